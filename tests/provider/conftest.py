"""Providers on top of the small arena: bob owns Zephyrine Labs (Halcyon-9,
Marivolt Pro), mallory owns Quorvex AI (Tessaract Mini, Orbisque XL)."""

import random

import pytest

from datafi.accounts import services as account_services
from datafi.flows import fold
from evals import services
from evals.models import Prompt
from evals.provider.services import prompt_set_upsert
from tests.provider.helpers import ALL_SCOPES, make_key


@pytest.fixture(autouse=True)
def _fresh_throttles(settings, fresh_cache):
    # Throttle counts live in the cache, which outlives a test: a namespace of its own.
    settings.PROVIDER_API_THROTTLE_RATES = {"api_key": "100000/min", "export": "100000/min"}


@pytest.fixture
def orgs(arena, bob, mallory):
    zephyrine, quorvex = arena["orgs"]["zephyrine-labs"], arena["orgs"]["quorvex-ai"]
    account_services.membership_add(organization=zephyrine, user=bob, role="owner")
    account_services.membership_add(organization=quorvex, user=mallory, role="owner")
    prompt_set_upsert(slug="core", name="Core prompts", prompts=list(Prompt.objects.all()))
    return {"zephyrine": zephyrine, "quorvex": quorvex}


@pytest.fixture
def bob_key(orgs, bob):
    return make_key(orgs["zephyrine"], user=bob)


@pytest.fixture
def mallory_key(orgs, mallory):
    return make_key(orgs["quorvex"], user=mallory)


@pytest.fixture
def revoked_key(orgs, bob):
    new = account_services.api_key_create(
        organization=orgs["zephyrine"], name="old", scopes=ALL_SCOPES, created_by=bob
    )
    account_services.api_key_revoke(key=new.key)
    return new.plaintext


@pytest.fixture
def votes(orgs, django_user_model, settings):
    """Twelve voted battles through the real services (the sampler covers every
    pair), one excluded, one left open, one tie and one both_bad."""
    from evals.models import Battle

    # These votes follow their battles within milliseconds; the speed rule
    # would exclude them all, and the provider tests need counted battles.
    settings.QUALITY_IMPOSSIBLE_VOTE_MS = 0

    choices = ["model_a", "model_b", "tie", "both_bad", "model_a", "model_b"] * 2
    voters = [
        account_services.user_create(username=f"voter{i}", password="x" * 20) for i in range(3)
    ]
    battles = []
    # A seeded sampler: with a random one, every battle now and then involved
    # the same provider's models, and the tests of what another provider cannot
    # see had nothing to check.
    rng = random.Random(20261121)
    for n, choice in enumerate(choices):
        voter = voters[n % 3]
        battle = services.battle_serve(user=voter, rng=rng)
        fold.vote_cast(user=voter, battle_id=battle.id, choice=choice, reasons=["more_helpful"])
        battles.append(battle)
    excluded = battles[0]
    Battle.objects.filter(pk=excluded.pk).update(excluded=True, exclusion_reason="identity leak")
    open_battle = services.battle_serve(user=voters[0])
    return {"battles": battles, "excluded": excluded, "open": open_battle, "voters": voters}
