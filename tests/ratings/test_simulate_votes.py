"""The README's demo command, ``simulate_votes``, runs under the vote limits or lifts them
explicitly, and says which."""

import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from evals.models import Vote
from evals.quality.limits import window_start
from ratings.management.commands.simulate_votes import DEMO_FILE


@pytest.fixture
def demo(db, settings, tmp_path):
    """The demo data cut to four models and a dozen prompts (loading it all takes long)."""
    settings.QUALITY_DEFENCES = True  # the vote limits are part of them
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    models = {m["name"] for m in data["models"][:4]}
    prompts = {p["key"] for p in data["prompts"][:12]}
    data["models"] = [m for m in data["models"] if m["name"] in models]
    data["prompts"] = [p for p in data["prompts"] if p["key"] in prompts]
    data["answers"] = [
        a for a in data["answers"] if a["model"] in models and a["prompt"] in prompts
    ]
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    call_command("load_demo", file=str(path), stdout=StringIO())
    return path


@pytest.fixture
def simulate(demo):
    def run(**options) -> str:
        out = StringIO()
        call_command("simulate_votes", file=str(demo), no_refresh=True, stdout=out, **options)
        return out.getvalue()

    return run


def test_it_respects_the_per_user_vote_limit_and_says_so(simulate, settings):
    # A limit far below what one simulated voter casts (about 50 votes before leaving).
    settings.QUALITY_VOTES_PER_MINUTE_USER = 2
    out = simulate(votes=7)
    assert "Vote limits: respected" in out and "at most 2 votes a minute" in out
    assert "votes were refused by a vote limit" in out
    assert "Cast 7 simulated votes." in out
    assert Vote.objects.count() == 7
    # The limit counts fixed minutes (aligned to the epoch, see evals.quality.limits): on a
    # slow machine the run spans more than one, so count per voter and minute.
    per_minute = Counter(
        (voter, window_start(at, 60))
        for voter, at in Vote.objects.values_list("battle__voter_id", "created_at")
    )
    assert max(per_minute.values()) <= 2


def test_it_lifts_the_limits_only_when_asked_and_says_so(simulate, settings):
    settings.QUALITY_VOTES_PER_MINUTE_USER = 2
    out = simulate(votes=7, lift_limits=True)
    assert "Vote limits: lifted for this run" in out and "refused" not in out
    assert Vote.objects.count() == 7
    # Lifted for the run only.
    assert settings.QUALITY_VOTES_PER_MINUTE_USER == 2


def test_it_stops_with_a_clear_error_when_the_limits_leave_no_room(simulate, settings):
    settings.QUALITY_VOTES_PER_DAY_USER = 1
    # Each fresh voter has room for one vote: the run completes with ten voters.
    assert "Cast 10 simulated votes." in simulate(votes=10)
    with pytest.raises(CommandError, match="--lift-limits"):
        # The same ten voters again (same seed): each is over its daily limit.
        simulate(votes=10)


def test_it_says_when_no_limit_applies(simulate, settings):
    settings.QUALITY_DEFENCES = False
    assert "Vote limits: none apply (QUALITY_DEFENCES is off)" in simulate(votes=1)
