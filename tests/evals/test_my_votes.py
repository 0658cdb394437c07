"""The voter's own page of votes: every vote, newest first, with what it earned."""

import re

from evals import selectors, services
from tests.evals.quality_support import cast, clock, flag_as_ring


def test_it_lists_every_vote_of_mine_newest_first_with_points_and_anchors(
    arena, alice, bob, client
):
    c = clock()
    reveals = [cast(alice, c, seconds=20, choice=ch) for ch in ("model_a", "tie", "both_bad")]
    cast(bob, c, seconds=20)
    client.force_login(alice)
    resp = client.get("/votes/")
    assert resp.status_code == 200
    page = resp.content.decode()
    ids = [str(r.battle_id) for r in reveals]
    positions = [page.index(f'id="battle-{i}"') for i in ids]
    assert positions == sorted(positions, reverse=True)  # newest first
    assert page.count('class="vote-row') == 3  # bob's vote is not on alice's page
    assert "Both are bad" in page and "Tie" in page and "+10" in page
    assert reveals[0].model_a.name in page and reveals[0].model_b.name in page


def test_it_says_which_votes_did_not_count_and_why(arena, mallory, client):
    c = clock()
    for _ in range(12):
        cast(mallory, c, seconds=0.4)
    client.force_login(mallory)
    page = client.get("/votes/").content.decode()
    assert "does not count because your account is flagged" in page
    assert "faster than anyone can look at two answers" in page
    rows = selectors.my_votes_page(user=mallory)["rows"]
    assert all(not r["outcome"].counted for r in rows)
    assert rows[0]["outcome"].points == 0 and rows[0]["outcome"].weight == 0.0


def test_the_words_on_my_votes_point_up_the_page_not_to_my_votes(arena, alice, client):
    """After a vote the reveal says where to ask for a review (My votes); on My
    votes itself the same sentence points to the form at the top of the page."""
    c = clock()
    flag_as_ring(alice)
    reveal = cast(alice, c, seconds=20).as_dict()["outcome"]
    assert "you can ask for a review in My votes." in reveal["reason"]
    client.force_login(alice)
    page = client.get("/votes/").content.decode()
    assert "you can ask for a review at the top of this page." in page
    assert "in My votes" not in page
    assert page.index('id="appeal"') < page.index('class="vote-row')  # the form is above
    # Once an appeal waits there is no form to point to: the top says it waits,
    # the vote's words no longer send the voter anywhere.
    assert client.post("/votes/appeal", {"message": "Not a ring."}).status_code == 302
    page = client.get("/votes/").content.decode()
    assert "Your appeal is waiting for review" in page and 'name="message"' not in page
    [reason] = re.findall(r'<tr class="vote-reason">.*?class="muted">([^<]*)<', page)
    assert reason.endswith("you cast it while your account was flagged. It earns no points either.")


def test_it_pages_the_votes(arena, alice, client):
    c = clock()
    for _ in range(5):
        cast(alice, c, seconds=20)
    first = selectors.my_votes_page(user=alice, page=1, page_size=2)
    last = selectors.my_votes_page(user=alice, page=3, page_size=2)
    assert (first["pages"], first["total"], len(first["rows"]), len(last["rows"])) == (3, 5, 2, 1)
    assert {r["battle_id"] for r in first["rows"]}.isdisjoint(r["battle_id"] for r in last["rows"])
    client.force_login(alice)
    assert client.get("/votes/?page=0").status_code == 400
    assert client.get("/votes/?page=x").status_code == 400
    assert client.get("/votes/?page=99").status_code == 200  # the last page


def test_it_needs_a_login_and_is_linked_from_the_header(arena, alice, client):
    assert client.get("/votes/").status_code == 302
    client.force_login(alice)
    services.battle_serve(user=alice)
    assert 'href="/votes/"' in client.get("/arena/").content.decode()


def test_the_page_costs_the_same_queries_whatever_the_number_of_votes(arena, alice, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = clock()
    client.force_login(alice)
    counts = []
    for votes in (2, 4):
        while selectors.my_votes_page(user=alice)["total"] < votes:
            cast(alice, c, seconds=20)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/votes/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_it_links_to_the_password_change_for_an_account_with_a_password(arena, alice, client):
    client.force_login(alice)
    assert 'href="/accounts/password_change/"' in client.get("/votes/").content.decode()
    # An account signed in only with a wallet has no password to change.
    alice.set_unusable_password()
    alice.save()
    client.force_login(alice)
    assert 'href="/accounts/password_change/"' not in client.get("/votes/").content.decode()


def test_the_arena_says_the_count_beside_the_prompt_is_the_voters_own(arena, alice, client):
    # It read "3 votes so far" beside the prompt's tags: a new voter took it
    # for this prompt's votes (a walk-through as a new user).
    c = clock()
    for _ in range(3):
        cast(alice, c, seconds=20)
    client.force_login(alice)
    page = client.get("/arena/").content.decode()
    assert '<a class="muted votes-count" href="/votes/">You have cast 3 votes</a>' in page
    assert "votes so far" not in page
    page = client.get("/arena/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Anda telah memberikan 3 suara" in page


def test_the_prompt_column_shows_the_prompt_as_text_not_its_markdown(arena, alice, client):
    from evals.models import Prompt

    reveal = cast(alice, clock(), seconds=20)
    text = "Sort the objects by their `date` property, **newest** first? A & B < C"
    prompt = Prompt.objects.filter(battles__id=reveal.battle_id)
    prompt.update(text=text)
    client.force_login(alice)
    page = client.get("/votes/").content.decode()
    assert "Sort the objects by their date property, newest first? A &amp; B &lt; C" in page
    assert "`date`" not in page and "**newest**" not in page
