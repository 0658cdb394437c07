"""Generation speed percentiles: from live battles through the OpenAI-protocol
stub server, counted only once the battle is revealed."""

import pytest

from datafi.accounts import services as account_services
from evals.models import GenerationStat, LiveTurn
from evals.provider.analytics import _percentile
from tests.live_support import live_models, run_battle, start_battle, stub  # noqa: F401
from tests.provider.helpers import auth, make_key

pytestmark = pytest.mark.django_db(transaction=True)


def test_percentiles_are_measured_values_by_nearest_rank():
    values = sorted(range(1, 101))
    assert [_percentile(values, q) for q in (50, 90, 99)] == [50, 90, 99]
    assert _percentile([7.0], 99) == 7.0
    assert _percentile([], 50) is None


def test_speed_counts_revealed_live_battles_only(stub, alice, client, settings):  # noqa: F811
    settings.QUALITY_DEFENCES = False
    arena = live_models(stub, a="alpha+slow:0.01", b="beta+slow:0.01")
    halcyon = arena["models"][0]  # live, of Zephyrine Labs
    key = make_key(arena["orgs"]["zephyrine-labs"])

    voted = start_battle(alice)
    run_battle(alice, voted.id)
    client.force_login(alice)
    resp = client.post(
        f"/arena/battles/{voted.id}/vote",
        data={"choice": "tie"},
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )
    assert resp.status_code == 200, resp.content
    # A second live battle, generated but never voted: still open.
    other = account_services.user_create(username="other", password="x" * 20)
    open_battle = start_battle(other)
    run_battle(other, open_battle.id)
    assert GenerationStat.objects.filter(answer__model=halcyon).count() == 2

    data = client.get(f"/api/v1/analytics/models/{halcyon.slug}", **auth(key)).json()
    speed = data["speed"]
    assert speed["generations"] == 1 and speed["errors"] == 0
    turn = LiveTurn.objects.get(battle=voted)
    answer = turn.answer_a if voted.model_a_id == halcyon.pk else turn.answer_b
    stat = GenerationStat.objects.get(answer=answer)
    metrics = {m["metric"]: m for m in speed["metrics"]}
    assert metrics["time_to_first_token_ms"]["p50"] == stat.time_to_first_token_ms
    assert metrics["tokens_per_s"]["p99"] == pytest.approx(stat.tokens_per_s, rel=1e-3)
    assert metrics["duration_ms"]["samples"] == 1
    rows = client.get(speed["battles_url"], **auth(key)).json()["results"]
    assert [r["id"] for r in rows] == [str(voted.id)]
