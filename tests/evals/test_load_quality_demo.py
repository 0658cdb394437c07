from io import StringIO

from django.core.management import call_command

from evals.quality.models import VoterFlag, VoterReliability


def test_it_loads_a_population_with_a_caught_ring_and_is_idempotent(db):
    call_command("load_demo", stdout=StringIO())
    out = StringIO()
    call_command("load_quality_demo", honest=6, accounts=3, attack_votes=45, stdout=out, prefix="t")
    assert "ring accounts excluded 3/3" in out.getvalue()
    ring = VoterReliability.objects.filter(user__username__startswith="t-ring-")
    assert ring.count() == 3 and all(r.excluded for r in ring)
    assert VoterFlag.objects.filter(user__username__startswith="t-ring-").exists()
    again = StringIO()
    call_command("load_quality_demo", prefix="t", stdout=again)
    assert "already loaded" in again.getvalue()
