"""Browsers ask every site for /favicon.ico: the admin's pages, which link no
icon, logged a 404 for it."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static


@pytest.mark.django_db
def test_favicon_ico_leads_to_the_site_icon(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 301
    assert resp["Location"] == static("favicon.svg")
    path = finders.find("favicon.svg")
    assert path and Path(path).read_bytes().lstrip().startswith(b"<svg")
