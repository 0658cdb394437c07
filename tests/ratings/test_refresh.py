"""The refresh queue: dirty slices, exclusive claims, snapshots and live events."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from ratings import selectors, services
from ratings.models import LeaderboardSnapshot, RefreshRequest
from tests.ratings.conftest import cast_votes, strongest_wins


def test_a_refresh_writes_three_snapshots_per_dirty_slice(arena, alice, refresh):
    battles = cast_votes(alice, 12, seed=1)
    slices = {("", "")}
    for battle, _ in battles:
        cat, lang = battle.prompt.category, battle.prompt.language
        slices |= {(cat, ""), ("", lang), (cat, lang)}
    assert refresh() == len(slices)
    assert refresh() == 0  # nothing dirty any more
    for cat, lang in slices:
        methods = set(
            LeaderboardSnapshot.objects.filter(category=cat, language=lang).values_list(
                "method", flat=True
            )
        )
        assert methods == {"bt", "style", "elo"}
    overall = selectors.leaderboard_latest()
    assert overall.vote_count == 12
    in_slice = [b for b, _ in battles if b.prompt.language == "fr"]
    assert selectors.leaderboard_latest(language="fr").vote_count == len(in_slice)
    assert selectors.leaderboard_latest(method="style").meta["style_coefficients"].keys() == {
        "length",
        "headers",
        "list_items",
        "bold",
    }


def _bt_scores() -> dict[int, float]:
    snap = selectors.leaderboard_latest(method="bt")
    return {} if snap is None else {int(r["model_id"]): r["score"] for r in snap.rows}


def test_the_latest_bt_snapshot_follows_the_votes(arena, alice, refresh):
    assert _bt_scores() == {}
    order = [m.id for m in arena["models"]]
    # Enough votes for online Elo to put the strongest first whatever pairs the
    # (random) sampler serves: at 24 it did not in about one run in 30.
    cast_votes(alice, 60, choose=strongest_wins(order))
    refresh()
    scores = _bt_scores()
    assert set(scores) == set(order)
    assert scores[order[0]] > scores[order[-1]]
    assert selectors.leaderboard_latest(method="elo").rows[0]["model_id"] == order[0]


def test_a_claimed_slice_is_not_claimed_twice(arena, alice):
    cast_votes(alice, 1)
    first = services.refresh_claim(worker="w1")
    assert first is not None
    others = []
    while (claim := services.refresh_claim(worker="w2")) is not None:
        others.append(claim)
    assert first.pk not in {c.pk for c in others}
    assert len(others) == 3
    assert services.refresh_claim(worker="w3") is None


def test_a_vote_during_a_refresh_dirties_the_slice_again(arena, alice):
    cast_votes(alice, 1)
    claimed = []
    while (c := services.refresh_claim(worker="w1")) is not None:
        claimed.append(c)
    cast_votes(alice, 1)  # lands while w1 computes
    for c in claimed:
        services.refresh_release(request=c, worker="w1")
    assert RefreshRequest.objects.get(category="", language="").dirty_since is not None


def test_a_dead_workers_lease_expires(arena, alice):
    cast_votes(alice, 1)
    dead = services.refresh_claim(worker="dead")
    RefreshRequest.objects.filter(pk=dead.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    claims = set()
    while (c := services.refresh_claim(worker="alive")) is not None:
        claims.add(c.pk)
    assert dead.pk in claims


def test_a_failed_refresh_leaves_the_slice_dirty(arena, alice):
    cast_votes(alice, 1)
    with mock.patch.object(services, "leaderboard_refresh", side_effect=RuntimeError("fit")):
        assert services.refresh_dirty(worker="w") == 0
    assert RefreshRequest.objects.filter(dirty_since__isnull=False, claimed_by="").exists()
    assert not LeaderboardSnapshot.objects.exists()


def test_the_snapshot_event_goes_out_on_commit(arena, alice, django_capture_on_commit_callbacks):
    cast_votes(alice, 4)
    with (
        mock.patch("datafi.events.group_send_now") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        snaps = services.leaderboard_refresh()
    group, message = send.call_args.args
    assert group == "leaderboard"
    assert message["type"] == "leaderboard.snapshot"
    assert message["snapshots"] == {s.method: s.id for s in snaps}
    assert message["vote_count"] == 4


def test_disconnected_pieces_are_reported(db, alice, refresh):
    from datafi.accounts.services import organization_get_or_create
    from evals import services as evals

    org = organization_get_or_create(slug="o", name="Org")
    models = [evals.model_upsert(name=f"M{k}", organization=org) for k in range(4)]
    # Prompt p0 is answered only by M0 and M1, p1 only by M2 and M3: the two
    # pairs can never meet.
    for k, pair in enumerate([models[:2], models[2:]]):
        prompt = evals.prompt_upsert(key=f"p{k}", text="q", category="math", language="en")
        for m in pair:
            # (An answer naming its own model would be withheld from voters.)
            evals.answer_upsert(prompt=prompt, model=m, text=f"answer number {k}")
    cast_votes(alice, 10, seed=2)
    refresh()
    snap = selectors.leaderboard_latest()
    assert snap.meta["n_components"] == 2
    assert any("disconnected" in w for w in snap.meta["warnings"])
    assert {r["component"] for r in snap.rows} == {0, 1}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_slice_get_it_once(arena, alice):
    cast_votes(alice, 1)
    # Only the overall slice is dirty.
    RefreshRequest.objects.exclude(category="", language="").update(dirty_since=None)
    barrier = threading.Barrier(2)
    results = {}

    def work(name):
        try:
            barrier.wait()
            results[name] = services.refresh_claim(worker=name)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"w{k}",)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [name for name, claim in results.items() if claim is not None]
    assert len(winners) == 1, results
    row = RefreshRequest.objects.get(category="", language="")
    assert row.claimed_by == winners[0] and row.dirty_since is None
