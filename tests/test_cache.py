"""The cache is django-redis (a well-kept library), no private override."""

import threading

import pytest
from django.core.cache import caches
from django.test import override_settings


@pytest.mark.redis
def test_it_reads_and_writes_through_django_redis(settings):
    from django_redis.cache import RedisCache

    assert settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    cache = caches["default"]
    assert type(cache) is RedisCache
    cache.set("datafi-test-cache", {"v": 1}, 30)
    assert cache.get("datafi-test-cache") == {"v": 1}
    assert cache.add("datafi-test-cache", {"v": 2}, 30) is False  # add never replaces
    cache.delete("datafi-test-cache")
    assert cache.get("datafi-test-cache") is None


@pytest.mark.redis
def test_every_cache_call_reuses_one_redis_client(settings):
    # Why django-redis: Django's own RedisCache made a new redis client object
    # (its ~170 response callbacks) on every get and set, three per voter round.
    cache = caches["default"]
    cache.get("datafi-test-cache-reuse")
    first = cache.client.get_client(write=False)
    cache.set("datafi-test-cache-reuse", 1, 30)
    cache.get("datafi-test-cache-reuse")
    assert cache.client.get_client(write=False) is first
    assert cache.client.get_client(write=True) is first  # one server: one client
    cache.delete("datafi-test-cache-reuse")


@pytest.mark.redis
def test_a_wsgi_worker_thread_keeps_one_cache_client_across_requests(settings, client, alice):
    # The old override shared one client per process because under ASGI every
    # request made a new cache object (and a new Redis connection). On the
    # WSGI workers a thread keeps its cache object from request to request.
    seen = []

    def two_requests():
        with override_settings(ALLOWED_HOSTS=["testserver"]):
            for _ in range(2):
                client.get("/")
                seen.append(caches["default"])

    worker = threading.Thread(target=two_requests)
    worker.start()
    worker.join()
    assert len(seen) == 2 and seen[0] is seen[1]


@pytest.mark.redis
def test_a_fresh_cache_namespace_leaves_other_workers_channel_groups_alone(settings):
    # Tests used to reset throttles with cache.clear(), which on Redis is FLUSHDB
    # of the database every parallel worker shares: it dropped a live battle's
    # channel group on another worker mid-stream (the page never saw an answer).
    import redis
    from django.core.cache import cache

    from tests.conftest import cache_namespace_fresh

    raw = redis.Redis.from_url(settings.REDIS_URL)
    other = "asgi-other-worker:group:live.test-isolation"
    raw.zadd(other, {"specific.channel!abc": 1.0})
    raw.expire(other, 60)
    cache.set("throttle-count", 7, 60)
    try:
        cache_namespace_fresh(settings)
        assert cache.get("throttle-count") is None  # this test starts from nothing
        cache.set("throttle-count", 1, 60)
        assert cache.get("throttle-count") == 1
        assert raw.exists(other), "another worker's channel group was wiped"
    finally:
        raw.delete(other)


def test_no_test_flushes_the_shared_cache():
    # The rule above, kept: a flush reaches every worker's keys, whatever its prefix.
    from pathlib import Path

    here = Path(__file__).resolve().parent
    offenders = [
        str(path.relative_to(here))
        for path in here.rglob("*.py")
        # (this file and the top conftest name it only to explain the rule)
        if path not in {here / "test_cache.py", here / "conftest.py"}
        and "cache.clear()" in path.read_text()
    ]
    assert offenders == [], f"use the fresh_cache fixture instead of cache.clear(): {offenders}"
