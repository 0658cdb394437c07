"""Market fixtures: an arena with votes cast and folded through the real services,
contributors who agreed (alice, carol) or not (mallory), and an operator."""

import random

import pytest

from datafi.flows import fold
from datafi.market import services as market
from tests.conftest import build_arena
from tests.evals.quality_support import cast, clock
from tests.rewards.conftest import anvil_node  # noqa: F401  (the anvil fixture; evm is in tests/conftest.py)

TERMS = {
    "halcyon-9": "Zephyrine Labs output terms v2 (research and commercial use, attribution)",
    "marivolt-pro": "Zephyrine Labs output terms v2 (research and commercial use, attribution)",
    "tessaract-mini": "Quorvex AI usage policy 2026-01: outputs may be redistributed",
    "orbisque-xl": "Quorvex AI usage policy 2026-01: outputs may be redistributed",
}


PII_PROMPT = (
    "Please email me at jean.dupont@gmail.com or call +44 20 7946 0958: "
    "which laptop should I buy for 900 euros?"
)
PII_ANSWER = "Send the deposit to IBAN DE89 3704 0044 0532 0130 00 and I will ship it."


def vote_times(user, n: int, sim, *, choice="model_a", rng=None):
    """Serve and vote ``n`` battles for ``user`` (20 s each on the simulated clock)."""
    return [cast(user, sim, seconds=20, choice=choice, rng=rng) for _ in range(n)]


def build_market_arena():
    """Three plain prompts, one with personal data (and an answer with an IBAN), one exact
    and one normalised duplicate of prompt 1: six prompts, each answered by four models."""
    from evals import services

    arena = build_arena(prompts=3)
    extra = [
        ("pii", PII_PROMPT, "advice"),
        ("dup-exact", arena["prompts"][1].text, "math"),
        ("dup-normalised", "question NUMBER 1 -- explain topic 1!", "math"),
    ]
    for key, text, category in extra:
        prompt = services.prompt_upsert(key=key, text=text, category=category, language="en")
        arena["prompts"].append(prompt)
        for j, model in enumerate(arena["models"]):
            answer = PII_ANSWER if key == "pii" and j == 0 else f"Answer {j} to {key}."
            services.answer_upsert(prompt=prompt, model=model, text=answer)
    return arena


def fold_all():
    while fold.votes_fold(limit=500):
        pass


@pytest.fixture
def operator(bob, django_user_model):
    from datafi.accounts.services import user_create

    user = user_create(username="olga", password="correct horse battery staple")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def market_arena(db, alice, carol, mallory):
    arena = build_market_arena()
    market.consent_set(user=alice, agreed=True, source="signup")
    market.consent_set(user=carol, agreed=True, source="settings")
    market.consent_set(user=mallory, agreed=False, source="signup")
    sim = clock()
    rng = random.Random(14)
    # Six votes each: the sampler serves unseen prompts first, so every voter judges each once.
    for user in (alice, carol, mallory):
        vote_times(user, 6, sim, rng=rng)
    fold_all()
    arena["clock"] = sim
    return arena


@pytest.fixture
def product(market_arena, operator):
    return market.product_create(
        operator=operator,
        slug="arena-prefs",
        title="Arena preferences",
        card="Human preference votes from the datafi arena.",
        licence="CC-BY-4.0",
        model_terms=dict(TERMS),
        price_amount=250_000,
        price_currency="USD",
    )


def approve(version, operator):
    return market.version_review(version_id=version.pk, operator=operator, approve=True)
