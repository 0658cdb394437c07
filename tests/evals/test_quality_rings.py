"""The cross-account ring rule: many young accounts favouring one model at once."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import numpy as np
from django.core.management import call_command

from evals.models import Battle, Vote
from evals.quality import simulate, stats
from evals.quality.models import QualityJob, VoterFlag, VoterReliability
from evals.quality.services import RING_JOB, ring_sweep

PARAMS = stats.RingParams(z=2.5, min_battles=4, null_rate=0.02, alpha=0.001, min_accounts=5)


def _honest_rows(rng, accounts, models=9, first_id=0):
    """Per-(account, model) sums of voters who follow the ratings' predictions."""
    rows = []
    for user in range(first_id, first_id + accounts):
        votes = int(rng.integers(15, 61))
        for model in range(models):
            n = int(rng.binomial(votes, 2 / models))
            p = rng.uniform(0.25, 0.75, size=n)
            wins = float((rng.random(n) < p).sum())
            rows.append((user, model, n, wins, float(p.sum()), float((p * (1 - p)).sum())))
    return rows


def _ring_rows(rng, accounts, *, target, first_id):
    """Accounts of ~33 votes that give the target every battle it appears in."""
    rows = []
    for user in range(first_id, first_id + accounts):
        n = int(rng.binomial(33, 2 / 9))
        p = rng.uniform(0.4, 0.6, size=n)
        rows.append((user, target, n, float(n), float(p.sum()), float((p * (1 - p)).sum())))
    return rows


def test_the_ring_test_finds_a_group_that_no_single_account_gives_away():
    rng = np.random.default_rng(7)
    ring = _ring_rows(rng, 30, target=3, first_id=1000)
    # Alone, no ring account passes the solo favouritism bound of z = 4.
    assert max(stats.favouritism_z(w, e, v) for _, _, n, w, e, v in ring if v) < 4
    found = stats.ring_test(_honest_rows(rng, 150) + ring, PARAMS)
    assert [f.model_id for f in found] == [3]
    members = found[0].members
    caught = sum(1 for user in members if user >= 1000)
    eligible = sum(1 for r in ring if r[2] >= PARAMS.min_battles)
    # Most of the ring, not all: an account with few battles with the target
    # cannot pass z = 2.5 by winning them all (21 of 28 here).
    assert caught >= 0.7 * eligible
    # Honest accounts above the lowered bound on the ring's model are flagged too
    # (about 1 - Phi(2.5) of them, plus the discreteness of a few battles).
    assert len(members) - caught < 0.02 * 150
    assert found[0].p_value < found[0].level == PARAMS.alpha / 9


def test_the_ring_test_stays_quiet_on_honest_populations():
    rng = np.random.default_rng(11)
    alarms = sum(bool(stats.ring_test(_honest_rows(rng, 150), PARAMS)) for _ in range(100))
    assert alarms == 0


def test_a_human_speed_ring_is_caught_by_the_sweep_and_every_row_is_kept(db, settings):
    # Deterministic: predictions are refitted on vote counts only, not on a
    # wall-clock TTL (which made a slow machine refit at other points).
    settings.QUALITY_SCORES_TTL = 10**9
    call_command("load_demo", stdout=StringIO())
    pop = simulate.Population(
        honest=60,
        honest_votes=(20, 40),
        attackers=15,
        attack_votes=500,
        target="Tarquil-8B",
        attacker_speed="human",
        seed=3,
        sweep_every=150,
    )
    out = simulate.run(pop, start=datetime(2025, 3, 3, 8, 0, tzinfo=UTC))
    assert out.sweeps > 0
    ring_flags = VoterFlag.objects.filter(reason="ring")
    flagged = set(ring_flags.values_list("user_id", flat=True))
    # Half of a 15-account ring at least (24 of 30 in the bench's larger
    # population): an account with few battles with the target cannot pass z = 2.5.
    assert len(flagged & set(out.attacker_ids)) >= 0.5 * len(out.attacker_ids)
    assert not flagged & set(out.honest_ids)
    # No per-account rule would have caught them: this is the group's doing.
    solo = set(
        VoterFlag.objects.filter(
            user_id__in=out.attacker_ids, reason__in=["too_fast", "outlier", "favouritism"]
        ).values_list("user_id", flat=True)
    )
    assert len(flagged - solo) >= 0.4 * len(out.attacker_ids)
    evidence = ring_flags.first().evidence
    # (A cohort flag has no z bound: its bound is a posterior, checked below.)
    assert evidence["model"] == "Tarquil-8B"
    assert evidence["account_bound"] is None or evidence["z"] > evidence["account_bound"]
    assert evidence["group"]["p_value"] < evidence["group"]["level"]
    assert evidence["group"]["above_bound"] > evidence["group"]["expected_above"]
    # Each suspect's flag says what kept it, and passes the bound that goes with it;
    # an account linked by address says so instead.
    for ev in ring_flags.values_list("evidence", flat=True):
        if "linked_by_network" in ev:
            assert ev["account_bound"] == settings.QUALITY_RING_LINK_Z and "kept_by" not in ev
        elif ev["kept_by"] == "cohort":
            assert ev["account_bound"] is None
            assert ev["cohort"]["posterior"] > ev["cohort"]["threshold"]
        elif ev["kept_by"] == "bound":
            assert ev["z"] > ev["account_bound"] == settings.QUALITY_RING_ALONE_Z
        else:
            assert ev["kept_by"] == "address"
            assert ev["z"] > ev["account_bound"] == settings.QUALITY_RING_Z
    # Excluded, never deleted: every ring vote is still there, marked with the reason.
    member = sorted(flagged)[0]
    assert VoterReliability.objects.get(user_id=member).excluded
    battles = Battle.objects.filter(voter_id=member, status="revealed")
    assert battles.exists() and Vote.objects.filter(battle__voter_id=member).count() == (
        battles.count()
    )
    reasons = set(battles.values_list("exclusion_reason", flat=True))
    assert "unreliable voter: ring favouring Tarquil-8B" in reasons
    assert all(r.startswith(("unreliable voter", "gold:")) for r in reasons), reasons


def test_a_sweep_stands_down_while_another_holds_the_job(db):
    now = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    QualityJob.objects.create(name=RING_JOB, lease_until=now + timedelta(minutes=1))
    assert ring_sweep(now=now) is None
    # Once the lease has run out, the next run claims the job and releases it after.
    result = ring_sweep(now=now + timedelta(minutes=2))
    assert result == {**result, "findings": [], "flagged": []}
    job = QualityJob.objects.get(name=RING_JOB)
    assert job.lease_until is None and job.last_run_at == now + timedelta(minutes=2)


def test_with_defences_off_the_sweep_does_nothing(db, settings):
    settings.QUALITY_DEFENCES = False
    assert ring_sweep(now=datetime(2025, 3, 3, 8, 0, tzinfo=UTC)) is None
    assert not QualityJob.objects.exists()


def test_the_sweep_command_reports_what_it_did(db):
    out = StringIO()
    call_command("quality_sweep", stdout=out)
    assert "Ring sweep: 0 young accounts tested, 0 model(s) with a ring" in out.getvalue()


def _finding(members: dict, model_id=3) -> stats.RingFinding:
    return stats.RingFinding(
        model_id=model_id,
        accounts=40,
        above=len(members),
        expected_above=0.8,
        p_value=1e-9,
        level=1e-4,
        members=members,
    )


def test_a_suspect_is_flagged_only_with_evidence_of_its_own():
    finding = _finding(
        {
            1: (9, 9.0, 3.6, 3.4),  # past the bound for one account alone
            2: (6, 6.0, 2.4, 2.7),  # under it, but shares an address with 3
            3: (6, 6.0, 2.6, 2.6),
            4: (7, 7.0, 3.3, 2.8),  # under it, on an address no other suspect used
            5: (6, 6.0, 2.5, 2.6),  # under it, no address on record (a proxy)
        }
    )
    networks = {1: ["n-a"], 2: ["n-b", "n-c"], 3: ["n-c"], 4: ["n-d"], 9: ["n-d"]}
    kept = stats.ring_confirmed(finding, networks, alone_z=3.0)
    # 4 shares its address with account 9, which is not a suspect: a flatmate.
    assert kept == {1: "bound", 2: "address", 3: "address"}
    # With the bound at the ring's own, every suspect is kept.
    assert set(stats.ring_confirmed(finding, networks, alone_z=2.5)) == {1, 2, 3, 4, 5}


def test_a_ring_links_accounts_that_share_its_addresses_and_favour_its_model():
    finding = _finding({1: (8, 8.0, 3.6, 3.1), 2: (7, 7.0, 3.2, 2.9)})
    networks = {1: ["n-ring"], 2: ["n-ring", "n-other"], 10: ["n-ring"], 11: ["n-ring"]}
    networks |= {12: ["n-home"], 13: ["n-other"], 14: ["n-ring"]}
    rows = [
        # three wins out of three at even odds: z = 1.73, under the ring's bound
        (10, 3, 3, 3.0, 1.5, 0.75),
        # shares the address but does not favour the model: a flatmate
        (11, 3, 4, 2.0, 2.0, 1.0),
        # favours the model as much, from an address the ring never used
        (12, 3, 3, 3.0, 1.5, 0.75),
        # shares an address with member 2 (its second one)
        (13, 3, 2, 2.0, 1.0, 0.5),
        # one battle is not enough to say anything
        (14, 3, 1, 1.0, 0.5, 0.25),
        # the ring's own members and other models are not candidates
        (1, 3, 8, 8.0, 3.6, 1.9),
        (10, 4, 3, 3.0, 1.5, 0.75),
    ]
    links = stats.ring_linked(finding, rows, networks, z=1.0, min_battles=2)
    assert set(links) == {10, 13}
    assert links[10].shared == 1 and links[10].linked_members == 2
    assert links[13].linked_members == 1 and links[13].z > 1.0
    # No member with a known address: nothing to link to.
    assert stats.ring_linked(finding, rows, {10: ["n-ring"]}, z=1.0, min_battles=2) == {}


def test_network_keys_hide_the_address_and_group_an_ipv6_household():
    from evals.quality.limits import network_key

    key = network_key("203.0.113.7")
    assert key and "203.0.113" not in key and len(key) == 16
    assert network_key("203.0.113.7") == key != network_key("203.0.113.8")
    assert network_key("2001:db8:1:2::10") == network_key("2001:db8:1:2:ffff::1")
    assert network_key("2001:db8:1:3::10") != network_key("2001:db8:1:2::10")
    assert network_key(None) is None and network_key("not an address") is None


def _first_seen(rng, users, start_h, end_h):
    return {u: float(rng.uniform(start_h, end_h)) * 3600 for u in users}


def test_a_ring_without_shared_addresses_is_singled_out_by_when_its_accounts_started():
    # 150 honest accounts started over the first ten hours; 10 more honest
    # newcomers started among the ring's 40 accounts, which began together 20 h
    # in, each with 10-40 votes (two to nine battles with the target, all won:
    # most cannot pass the ring's bound, and none has an address in common).
    rng = np.random.default_rng(5)
    honest = _honest_rows(rng, 150) + _honest_rows(rng, 10, first_id=500)
    ring = []
    for user in range(1000, 1040):
        n = int(rng.integers(2, 10))
        p = rng.uniform(0.4, 0.6, size=n)
        ring.append((user, 3, n, float(n), float(p.sum()), float((p * (1 - p)).sum())))
    rows = honest + ring
    first = _first_seen(rng, range(150), 0, 10) | _first_seen(rng, range(500, 510), 20, 23)
    first |= _first_seen(rng, range(1000, 1040), 20, 23)
    (finding,) = stats.ring_test(rows, PARAMS)
    confirmed = stats.ring_confirmed(finding, {}, alone_z=3.0)
    assert len(set(confirmed) & set(range(1000, 1040))) < 0.5 * 40
    cohort = stats.ring_cohort(finding, rows, first, window=4 * 3600, min_battles=2, posterior=0.95)
    caught = (set(confirmed) | set(cohort)) & set(range(1000, 1040))
    assert len(caught) >= 0.9 * 40
    # No honest account is taken in, neither the early ones nor the newcomers
    # who started among the ring.
    assert not (set(confirmed) | set(cohort)) - set(range(1000, 1040))
    member = next(iter(cohort.values()))
    assert member.posterior > 0.95 and member.likelihood_ratio > 1 and member.cohort > 0


def test_a_lucky_honest_record_far_from_any_ring_is_not_taken_in_by_the_cohort():
    finding = _finding({1: (8, 8.0, 3.6, 3.1), 2: (7, 7.0, 3.2, 2.9), 3: (7, 7.0, 3.0, 3.0)})
    rng = np.random.default_rng(3)
    rows = _honest_rows(rng, 60, first_id=10)
    # An honest account that won all five of its battles with the ring's model,
    # among honest accounts that started with it, an hour before the ring.
    rows.append((9, 3, 5, 5.0, 2.3, 1.2))
    rows += [(u, 3, n, w, e, e * 0.5) for u, (n, w, e, _z) in finding.members.items()]
    first = {u: 3600.0 * (u % 7) for u in range(10, 70)} | {9: 3600.0}
    first |= {1: 5 * 3600.0 * 10, 2: 5 * 3600.0 * 10 + 60, 3: 5 * 3600.0 * 10 + 120}
    cohort = stats.ring_cohort(finding, rows, first, window=4 * 3600, min_battles=2, posterior=0.95)
    assert 9 not in cohort
    # The ring's own accounts, alone in their window, are.
    assert set(cohort) == {1, 2, 3}
    assert all(c.ring_share > 0.5 for c in cohort.values())


def test_a_cohort_flag_tells_the_voter_in_plain_words_why():
    from django.utils import translation

    from evals.quality.selectors import APPEAL_HINT, flag_explanation

    evidence = {
        "model": "Tarquil-8B",
        "wins": 3,
        "battles": 3,
        "expected_wins": 1.3,
        "group": {"above_bound": 12},
        "kept_by": "cohort",
        "cohort": {"window_hours": 4.0, "accounts": 31, "posterior": 0.99},
    }
    for language in ("en", "id"):
        with translation.override(language):
            text = flag_explanation(reason="ring", evidence=evidence)
            assert "%(" not in text and "Tarquil-8B" in text and str(APPEAL_HINT) in text
    with translation.override("en"):
        text = flag_explanation(reason="ring", evidence=evidence)
    assert "you picked it 3 times in 3 battles where about 1 were expected" in text
    assert "started voting within 4 hours of many such accounts" in text


def _voters_stored(rows, first_seen, start, *, prefix):
    """Accounts with the given per-model sums and one revealed battle at their first vote."""
    from django.contrib.auth import get_user_model

    from evals.models import Answer, EvalModel

    models = list(EvalModel.objects.order_by("pk").values_list("pk", flat=True))
    answers = {}
    for answer in Answer.objects.filter(model_id__in=models[:2]).order_by("pk"):
        answers.setdefault(answer.prompt_id, {})[answer.model_id] = answer
    prompt_id, pair = next((p, a) for p, a in answers.items() if len(a) == 2)
    bias = {}
    for user, model, n, wins, expected, variance in rows:
        if n:
            bias.setdefault(user, {})[str(models[model])] = [n, wins, expected, variance]
    users = {}
    for user in sorted(first_seen):
        account = get_user_model().objects.create_user(username=f"{prefix}-{user}", password=None)
        users[user] = account.pk
        VoterReliability.objects.create(
            user_id=account.pk, votes=40, score=0.8, model_bias=bias.get(user, {})
        )
        at = start + timedelta(seconds=first_seen[user])
        battle = Battle.objects.create(
            prompt_id=prompt_id,
            answer_a=pair[models[0]],
            answer_b=pair[models[1]],
            model_a_id=models[0],
            model_b_id=models[1],
            voter_id=account.pk,
            status=Battle.Status.REVEALED,
            served_at=at,
            voted_at=at + timedelta(seconds=20),
            revealed_at=at + timedelta(seconds=20),
        )
        Vote.objects.create(battle=battle, choice="model_a", time_to_vote_ms=20_000, created_at=at)
    return users, models


def test_the_sweep_catches_a_ring_without_shared_addresses_and_spares_honest_voters(db):
    # Careful readers and skimmers (noisier) started over the first ten hours,
    # a few honest newcomers among the ring; the ring's 40 accounts began
    # together 20 h in, each from an address of its own.
    call_command("load_demo", stdout=StringIO())
    rng = np.random.default_rng(5)
    careful = _honest_rows(rng, 100)
    skimmers = _honest_rows(rng, 50, first_id=100)
    newcomers = _honest_rows(rng, 10, first_id=500)
    ring = []
    for user in range(1000, 1040):
        n = int(rng.integers(2, 10))
        p = rng.uniform(0.4, 0.6, size=n)
        ring.append((user, 3, n, float(n), float(p.sum()), float((p * (1 - p)).sum())))
    first = _first_seen(rng, range(150), 0, 10) | _first_seen(rng, range(500, 510), 20, 23)
    first |= _first_seen(rng, range(1000, 1040), 20, 23)
    start = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    users, models = _voters_stored(careful + skimmers + newcomers + ring, first, start, prefix="v")
    ring_ids = {users[u] for u in range(1000, 1040)}

    result = ring_sweep(now=start + timedelta(hours=30))
    (found,) = result["findings"]
    assert found["model_id"] == models[3] and found["cohort"] > 0
    excluded = set(VoterReliability.objects.filter(excluded=True).values_list("user_id", flat=True))
    assert len(excluded & ring_ids) >= 0.9 * len(ring_ids)
    assert not excluded - ring_ids
    # Without the cohort, the suspects' own evidence alone keeps under half.
    assert found["kept"] < 0.5 * len(ring_ids)
    flag = VoterFlag.objects.filter(reason="ring", evidence__kept_by="cohort").first()
    ev = flag.evidence
    assert ev["account_bound"] is None and ev["cohort"]["posterior"] > ev["cohort"]["threshold"]
    assert ev["cohort"]["window_hours"] == 4.0 and ev["cohort"]["accounts"] > 0
    assert VoterReliability.objects.get(user_id=flag.user_id).excluded
