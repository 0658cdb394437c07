"""Concurrent ends of one model's testing on PostgreSQL: one disclosure, never two."""

import pytest

from datafi.api import ApiError
from datafi.flows import prerelease
from evals.models import EvalModel
from rewards.models import Commitment
from tests.concurrency import run_concurrently

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_racing_releases_and_withdrawals_disclose_exactly_once(orgs, evm):
    entered = prerelease.prerelease_enter(organization=orgs["zephyrine"], codename="Racer")
    model = entered.model

    def end(i):
        fresh = EvalModel.objects.get(pk=model.pk)
        if i % 2:
            return prerelease.prerelease_end(model=fresh, outcome="withdrawn")
        return prerelease.prerelease_end(model=fresh, outcome="released", name=f"Racer {i}")

    results = run_concurrently(6, end)
    won = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, ApiError)]
    assert len(won) == 1 and len(refused) == 5, results
    assert {e.code for e in refused} == {"not_in_testing"}
    c = Commitment.objects.get(model=model)
    model.refresh_from_db()
    assert c.outcome == model.prerelease and c.results["codename"] == "Racer"
    if c.outcome == "released":
        assert c.released_name == model.name
    else:
        assert model.status == "retired"
