"""Shared fixtures: the fixed characters and a small arena built through services.

alice votes, bob works for a model provider, carol researches, mallory attacks.
Suites that need a real service (PostgreSQL, Redis, Chromium, anvil) skip
without it, unless REQUIRE_SERVICES=1, which turns each such skip into a
failure; REQUIRE_SERVICES=browser,anvil does so for those markers only.
"""

import copy
import os
import shutil
import uuid

import pytest
from django.conf import settings

SERVICE_MARKERS = ("postgres", "redis", "browser", "anvil")


def required_services(value: str) -> frozenset[str]:
    """The markers whose skips are failures: all for 1/true/yes, else a comma list."""
    value = value.strip().lower()
    if value in {"", "0", "false", "no"}:
        return frozenset()
    if value in {"1", "true", "yes"}:
        return frozenset(SERVICE_MARKERS)
    chosen = frozenset(m.strip() for m in value.split(",") if m.strip())
    unknown = chosen - set(SERVICE_MARKERS)
    if unknown:
        raise pytest.UsageError(
            f"REQUIRE_SERVICES: unknown {sorted(unknown)}; use 1 or some of {SERVICE_MARKERS}"
        )
    return chosen


REQUIRE_SERVICES = required_services(os.environ.get("REQUIRE_SERVICES", ""))
CHROMIUM_PATHS = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")


def chromium_path() -> str | None:
    for path in CHROMIUM_PATHS:
        if os.path.exists(path):
            return path
    return shutil.which("chromium")


def _service_missing(marker: str) -> str | None:
    if marker == "postgres" and not settings.DB_IS_POSTGRES:
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if marker == "redis" and not settings.REDIS_URL:
        return "needs Redis: set REDIS_URL=redis://..."
    if marker == "browser":
        try:
            import playwright  # noqa: F401
        except ImportError:
            return "needs playwright (pip install -e .[dev])"
        if chromium_path() is None:
            return "needs Chromium: apt-get install -y chromium chromium-driver"
    if marker == "anvil":
        from tests.services import anvil_binary

        if anvil_binary() is None:
            return "needs anvil: npm install (package @foundry-rs/anvil)"
    return None


def pytest_runtest_setup(item):
    for marker in SERVICE_MARKERS:
        if item.get_closest_marker(marker) is None:
            continue
        reason = _service_missing(marker)
        if reason is None:
            continue
        if marker in REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES requires {marker} but this test {reason}", pytrace=False)
        pytest.skip(reason)


def _user(django_user_model, username):
    from datafi.accounts.services import user_create

    return user_create(username=username, password="correct horse battery staple")


@pytest.fixture
def alice(db, django_user_model):
    return _user(django_user_model, "alice")


@pytest.fixture
def bob(db, django_user_model):
    return _user(django_user_model, "bob")


@pytest.fixture
def carol(db, django_user_model):
    return _user(django_user_model, "carol")


@pytest.fixture
def operator(carol):
    """carol as a human operator: staff (the appeal queue, /quality/, rechecks)."""
    carol.is_staff = True
    carol.save(update_fields=["is_staff"])
    return carol


@pytest.fixture
def admin_operator(carol):
    """carol as an operator with the admin's model permissions (superuser)."""
    carol.is_staff = carol.is_superuser = True
    carol.save(update_fields=["is_staff", "is_superuser"])
    return carol


@pytest.fixture
def mallory(db, django_user_model):
    return _user(django_user_model, "mallory")


PROVIDERS = [("zephyrine-labs", "Zephyrine Labs"), ("quorvex-ai", "Quorvex AI")]
MODELS = [
    ("Halcyon-9", "zephyrine-labs"),
    ("Marivolt Pro", "zephyrine-labs"),
    ("Tessaract Mini", "quorvex-ai"),
    ("Orbisque XL", "quorvex-ai"),
]


def build_arena(prompts: int = 6):
    """Two providers, four models, ``prompts`` prompts each answered by every model."""
    from datafi.accounts.services import organization_get_or_create
    from evals import services

    orgs = {slug: organization_get_or_create(slug=slug, name=name) for slug, name in PROVIDERS}
    models = [
        services.model_upsert(name=name, organization=orgs[org], description=f"{name} test model")
        for name, org in MODELS
    ]
    categories = ["coding", "math", "creative", "reasoning", "knowledge", "advice"]
    prompt_objs = []
    for i in range(prompts):
        prompt = services.prompt_upsert(
            key=f"p{i}",
            text=f"Question number {i}: explain **topic {i}**.",
            category=categories[i % len(categories)],
            language="en" if i % 3 else "fr",
        )
        prompt_objs.append(prompt)
        for j, model in enumerate(models):
            services.answer_upsert(
                prompt=prompt,
                model=model,
                text=f"Answer style {j} to question {i}.\n\n```python\nprint({i} + {j})\n```",
                latency_ms=100 * (j + 1),
            )
    return {"orgs": orgs, "models": models, "prompts": prompt_objs}


@pytest.fixture
def arena(db):
    return build_arena()


@pytest.fixture
def identities(arena):
    """Every string that would give away a model before the vote."""
    out = set()
    for model in arena["models"]:
        out |= {model.name, model.slug, model.organization.name, model.organization.slug}
    return {s.lower() for s in out}


# Live battle fixtures (the OpenAI-compatible stub server, ...).
pytest_plugins = ["tests.live_support"]


def session_queries() -> int:
    """Queries a logged-in request spends reading its session: none when
    sessions are read through Redis (REDIS_URL set), else one."""
    return 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1


@pytest.fixture(autouse=True)
def _fresh_model_identities():
    """Reveals read model names from a per-process copy: a test's models may
    reuse an earlier test's ids (SQLite reuses rolled-back rowids)."""
    from evals.catalogue import catalogue_forget
    from evals.sampler import vote_counts_forget
    from evals.selectors import model_identities_forget

    model_identities_forget()
    # The sampler's per-process copies too (same reason).
    catalogue_forget()
    vote_counts_forget()


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """Each test starts in the default language. Django keeps the language a
    request activated on its thread after the response (the test client's
    requests run on the test's thread), so a test that asked for a page in
    Indonesian left the next test's service messages in Indonesian."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """Each test gets its own channel layer instance.

    A Redis layer binds its asyncio locks to the event loop that first used it;
    a consumer left receiving when an earlier test's loop closed would leave a
    lock held on a dead loop, and every later test would fail on it.
    """
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def cache_namespace_fresh(settings) -> str:
    """Point the default cache at a key prefix of its own, so that nothing an
    earlier test counted (throttles) is seen; returns the prefix.

    Not ``cache.clear()``: on Redis that is FLUSHDB of the database that every
    parallel worker shares, channel layer included; it wiped a live battle's
    group on another worker mid-stream, and its answers never reached the page.
    Django rebuilds its cache handlers when CACHES changes; the old keys expire.
    """
    caches = copy.deepcopy(settings.CACHES)
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    caches["default"]["KEY_PREFIX"] = prefix
    settings.CACHES = caches
    return prefix


@pytest.fixture
def fresh_cache(settings):
    """This test's own cache namespace (see cache_namespace_fresh)."""
    return cache_namespace_fresh(settings)


@pytest.fixture(scope="session", autouse=True)
def _own_redis_prefix_per_worker():
    """Parallel test workers share one Redis: give each its own channel-layer
    key prefix, so that one worker's groups never touch another's (a flush would
    still reach every prefix: tests use fresh_cache, never cache.clear())."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    layer = settings.CHANNEL_LAYERS.get("default", {})
    if worker and "redis" in layer.get("BACKEND", "").lower():
        layer.setdefault("CONFIG", {})["prefix"] = f"asgi-{worker}"
    yield


@pytest.fixture
def evm(settings):
    """A fresh in-process EVM (and no CHAIN_RPC_URL) for this test."""
    from rewards import chain

    settings.CHAIN_RPC_URL = ""
    settings.CHAIN_PRIVATE_KEY = ""
    settings.CHAIN_ID = 0
    settings.CHAIN_CONFIRMATIONS = 1
    settings.REWARD_WORKER_ON_DEMAND = False
    chain.reset()
    yield chain
    chain.reset()
