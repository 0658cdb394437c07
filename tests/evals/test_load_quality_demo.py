from datetime import UTC, datetime
from io import StringIO

from django.core.management import call_command

from evals.models import Battle
from evals.quality import simulate
from evals.quality.models import VoterFlag, VoterReliability


def test_it_replays_the_recorded_population_with_a_caught_ring_and_is_idempotent(db):
    call_command("load_demo", stdout=StringIO())
    out = StringIO()
    call_command("load_quality_demo", stdout=out, prefix="t")
    text = out.getvalue()
    ring = VoterReliability.objects.filter(user__username__startswith="t-ring-")
    assert ring.count() == 20 and ring.filter(excluded=True).count() >= 18, text
    honest = VoterReliability.objects.filter(user__username__startswith="t-voter-")
    assert honest.count() == 40 and honest.filter(excluded=True).count() <= 1, text
    # The scripted ring shows what no person does.
    flags = VoterFlag.objects.filter(user__username__startswith="t-ring-")
    assert flags.filter(reason="too_fast").exists()
    assert Battle.objects.filter(voter__username__startswith="t-", status="revealed").count() > 1000
    again = StringIO()
    call_command("load_quality_demo", prefix="t", stdout=again)
    assert "already loaded" in again.getvalue()


def test_a_recorded_population_replays_the_same_votes(db):
    call_command("load_demo", stdout=StringIO())
    start = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    pop = simulate.Population(
        honest=6, honest_votes=(6, 9), attackers=0, gold_pairs=4, sweep_every=0, seed=5
    )
    first = simulate.run(pop, start=start, prefix="a")
    data = simulate.record(first, start=start, prefix="a")
    assert len(data["votes"]) == first.votes
    again = simulate.replay(data, start=start, prefix="b", sweep_every=0)
    assert again.votes == first.votes

    def votes_of(prefix):
        return sorted(
            (b.voter.username.split("-", 1)[1], b.prompt.key, b.model_a.name, b.vote.choice)
            for b in Battle.objects.filter(voter__username__startswith=f"{prefix}-").select_related(
                "voter", "prompt", "model_a", "vote"
            )
        )

    assert votes_of("a") == votes_of("b")
    groups = {p["group"] for p in again.profiles.values()}
    assert groups <= {"careful", "skimmer"}
