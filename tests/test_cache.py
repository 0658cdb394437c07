"""The Redis cache shares one client per process."""

import pytest

from datafi.cache import SharedRedisCache


def test_every_cache_object_of_a_process_shares_one_redis_client():
    # Django builds a cache object per context, which under ASGI is per request.
    first = SharedRedisCache("redis://127.0.0.1:6379/5", {"KEY_PREFIX": "t"})
    second = SharedRedisCache("redis://127.0.0.1:6379/5", {"KEY_PREFIX": "t"})
    other = SharedRedisCache("redis://127.0.0.1:6379/6", {"KEY_PREFIX": "t"})
    assert first._cache is second._cache
    assert other._cache is not first._cache


@pytest.mark.redis
def test_the_shared_client_reads_and_writes(settings):
    cache = SharedRedisCache(settings.REDIS_URL, {"KEY_PREFIX": "datafi-test-cache"})
    cache.set("k", {"v": 1}, 30)
    assert SharedRedisCache(settings.REDIS_URL, {"KEY_PREFIX": "datafi-test-cache"}).get("k") == {
        "v": 1
    }
    cache.delete("k")
