"""Issue #11 as a new voter tries it, in Chromium: a skimmer who votes like the
crowd keeps their votes counted and is told why any vote earned less; a
flagged voter appeals, an operator clears the flag, and the votes count and
earn again, once."""

import random
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.browser.conftest import ARTIFACTS, login
from tests.conftest import build_arena

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# About 300 words: an answer a careful reader takes a minute over.
LONG = " ".join(["This part of the answer explains one more step in plain words."] * 25)


def _shoot(page, name):
    for scheme in ("light", "dark"):
        for label, viewport in (("desktop", (1280, 900)), ("phone", (390, 844))):
            page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
            page.emulate_media(color_scheme=scheme)
            page.wait_for_timeout(100)
            page.screenshot(path=str(ARTIFACTS / f"{name}-{label}-{scheme}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(color_scheme="light")


def test_a_skimmer_who_votes_like_the_crowd_keeps_their_votes_and_sees_why(
    live_server, page, alice, settings
):
    from evals import services
    from evals.models import Battle, BattleSampling, Vote
    from evals.quality.models import VoterReliability

    settings.QUALITY_GOLD_RATE = 0.1
    # The test compresses a skimmer's ten minutes into seconds (it backdates each
    # serve instead of waiting): the per-minute vote limits would refuse that.
    settings.QUALITY_VOTES_PER_MINUTE_USER = settings.QUALITY_VOTES_PER_MINUTE_IP = 0
    arena = build_arena(prompts=36)
    for prompt in arena["prompts"]:
        for j, model in enumerate(arena["models"]):
            services.answer_upsert(prompt=prompt, model=model, text=f"Answer {j}. {LONG}")
    strength = {m.id: -i for i, m in enumerate(arena["models"])}  # the crowd's taste
    rng = random.Random(11)
    login(page, live_server.url)
    reveals = {}
    for _ in range(30):
        page.wait_for_selector("#arena[data-state=open]")
        battle = Battle.objects.get(voter=alice, status="served", mode="stored")
        # Skimming: 3-8 s on two 300-word answers. The serve is backdated by
        # that much instead of the test waiting it out.
        Battle.objects.filter(pk=battle.pk).update(
            served_at=timezone.now() - timedelta(seconds=rng.uniform(3, 8))
        )
        better = (
            BattleSampling.objects.filter(battle_id=battle.pk)
            .values_list("gold_pair__answer_better_id", flat=True)
            .first()
        )
        if better:  # a check battle: its better answer is plain to anyone
            a_wins = better == battle.answer_a_id
        else:
            a_wins = strength[battle.model_a_id] > strength[battle.model_b_id]
        page.keyboard.press("1" if a_wins else "2")
        page.wait_for_selector("#reveal:not(.hidden)")
        page.wait_for_selector("#reveal-points strong")
        reveals[battle.pk] = page.inner_text("#reveal-points")
        if len(reveals) == 1:
            _shoot(page, "skimmer-reveal")
        # "n" navigates to the next battle: wait for that navigation itself
        # (waiting for "load" returned at once, on the page still shown, and a
        # goto right after the last one was "interrupted by another navigation").
        with page.expect_navigation():
            page.keyboard.press("n")

    votes = Vote.objects.filter(battle__voter=alice).select_related("battle")
    assert votes.count() == 30
    checks = set(
        BattleSampling.objects.filter(gold_pair__isnull=False).values_list("battle_id", flat=True)
    )
    judged = [v for v in votes if v.battle_id not in checks]
    counted = [v for v in judged if not v.battle.excluded]
    assert len(counted) >= 0.8 * len(judged), [v.battle.exclusion_reason for v in judged]
    assert not VoterReliability.objects.get(user=alice).excluded
    # Every vote that earned less than the full 10 points says why, on the reveal.
    short = [v for v in votes if v.points < 10]
    assert short, "a skimmer's votes earn a reduced share"
    for vote in short:
        text = reveals[vote.battle_id]
        assert re.search(r"earns \d+ of 10 points|left out|no points", text), text
    page.goto(f"{live_server.url}/votes/")
    assert page.locator("table.my-votes tbody tr").count() >= 20
    _shoot(page, "skimmer-my-votes")


def test_a_flagged_voter_appeals_and_an_operator_clears_the_flag(live_server, page, alice, carol):
    from evals.quality.models import VoterAppeal
    from rewards.services.ledger import balances_for
    from tests.evals.quality_support import cast, clock
    from tests.evals.test_appeal import flag_as_ring

    build_arena()
    c = clock()
    for _ in range(2):
        cast(alice, c, seconds=20)
    flag_as_ring(alice)
    for _ in range(3):
        cast(alice, c, seconds=20)
    assert balances_for(alice).available == 20
    carol.is_staff = True
    carol.save()

    login(page, live_server.url)
    page.goto(f"{live_server.url}/votes/")
    assert "Your account is flagged" in page.inner_text("#appeal")
    page.fill("#appeal-message", "I vote for what I like; I am one person.")
    page.click(".appeal-form button[type=submit]")
    page.wait_for_selector("text=Your appeal is waiting for review")
    _shoot(page, "appeal-waiting")

    operator = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    desk = operator.new_page()
    login(desk, live_server.url, username="carol")
    desk.goto(f"{live_server.url}/quality/")
    appeal = VoterAppeal.objects.get(user=alice)
    row = desk.locator(f"#appeal-{appeal.id}")
    assert "I vote for what I like" in row.inner_text()
    row.locator("textarea[name=reason]").fill("Checked by hand: one person, honest taste.")
    row.locator("button[value=clear]").click()
    desk.wait_for_load_state("load")
    desk.screenshot(path=str(ARTIFACTS / "appeal-operator-cleared.png"), full_page=True)
    operator.close()

    page.goto(f"{live_server.url}/votes/")
    notice = page.inner_text("#appeal")
    assert "Your appeal was accepted" in notice and "30 points credited" in notice
    assert "Checked by hand" in notice
    _shoot(page, "appeal-accepted")
    assert balances_for(alice).available == 50
    page.reload()  # nothing is credited twice
    assert balances_for(alice).available == 50
    appeal.refresh_from_db()
    assert (appeal.status, appeal.votes_restored, appeal.points_credited) == ("cleared", 5, 30)
