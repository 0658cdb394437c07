"""A pagination cursor is client input: one this API did not give out is a clear
404 (no such page) on every listing, never a 500, whatever its position holds."""

import base64
from urllib.parse import quote

import pytest

from tests.provider.helpers import auth


def cursor(raw: bytes) -> str:
    return quote(base64.b64encode(raw).decode("ascii"))


FORGED = {
    "text": cursor(b"p=abc"),
    "huge number": cursor(b"p=9999999999999999999999"),
    "nul": cursor(b"p=\x00"),
    "escaped nul": cursor(b"p=%00"),
    "timestamp": cursor(b"p=2026-01-01+00%3A00%3A00%2B00%3A00"),
    "naive timestamp": cursor(b"p=2026-01-01+00%3A00%3A00"),
    "timestamp past year 9999 in UTC": cursor(b"p=9999-12-31+23%3A00%3A00-05%3A00"),
    "bad offset": cursor(b"o=abc"),
    "negative offset": cursor(b"o=-1"),
    "bad reverse": cursor(b"r=x"),
    "not base64": "garbage",
    "not ascii": quote("é"),
}

# (URL, whether its ordering is a timestamp: a timestamp position is then a valid one)
LISTINGS = {
    "battles": ("/api/v1/battles", True),
    "votes": ("/api/v1/votes", True),
    "prompts": ("/api/v1/prompt-sets/core/prompts", False),
    "analytics battles": ("/api/v1/analytics/models/halcyon-9/battles", True),
    "snapshots": ("/api/v1/leaderboard/snapshots", False),
}


@pytest.fixture(autouse=True)
def _counted(settings):
    settings.QUALITY_DEFENCES = False


@pytest.mark.parametrize("listing", list(LISTINGS))
def test_a_forged_cursor_is_a_404_not_a_500(client, bob_key, votes, listing):
    url, by_time = LISTINGS[listing]
    # A number where a timestamp belongs, or a timestamp where an id does.
    forged = {**FORGED, "wrong type": cursor(b"p=12") if by_time else FORGED["timestamp"]}
    if by_time:
        del forged["timestamp"]  # a position of this listing
    answers = {}
    for name, value in forged.items():
        resp = client.get(f"{url}?cursor={value}", **auth(bob_key))
        answers[name] = (resp.status_code, resp.json())
    detail = "No such page: the cursor is not one we gave out."
    expected = (404, {"code": "not_found", "detail": detail})
    assert answers == dict.fromkeys(forged, expected)


@pytest.mark.parametrize("listing", list(LISTINGS))
def test_the_cursors_we_give_out_still_page_through(client, bob_key, votes, listing):
    url, _ = LISTINGS[listing]
    from ratings.services import leaderboard_refresh

    for _ in range(3):
        leaderboard_refresh(category="", language="")
    seen, page = [], client.get(f"{url}?page_size=1", **auth(bob_key))
    while True:
        assert page.status_code == 200, page.content
        data = page.json()
        seen += data["results"]
        if not data["next"]:
            break
        page = client.get(data["next"], **auth(bob_key))
        if data["previous"]:
            assert client.get(data["previous"], **auth(bob_key)).status_code == 200
    assert len(seen) >= 2


def test_a_page_size_of_a_non_ascii_digit_is_a_400(client):
    # "²".isdigit() is true, and int("²") raised a ValueError: a 500.
    resp = client.get("/api/v1/leaderboard/snapshots?page_size=%C2%B2")
    assert resp.status_code == 400 and resp.json()["code"] == "invalid", resp.content
