"""The /rewards/ page has a heading (h1) like the other pages, in the reader's language."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _h1s(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<h1\b[^>]*>(.*?)</h1>", html, re.S)
    ]


def test_the_rewards_page_has_one_page_heading(client, alice):
    client.force_login(alice)
    assert _h1s(client.get("/rewards/").content.decode()) == ["Rewards"]


def test_the_rewards_heading_is_translated(client, alice):
    client.force_login(alice)
    html = client.get("/rewards/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert _h1s(html) == ["Hadiah"]
