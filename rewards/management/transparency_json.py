"""Reading a published transparency record (an epoch, a commitment) for the verify commands."""

import json
import urllib.request

from django.core.management.base import CommandError


def load_url(url: str) -> dict:
    """The JSON at an http(s) URL, e.g. /api/transparency/epochs/<n>."""
    if not url.startswith(("http://", "https://")):
        raise CommandError("--url must be an http(s) URL")
    with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 (scheme checked above)
        return json.load(resp)
