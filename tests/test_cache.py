"""The cache is Django's own Redis backend: no private override."""

import threading

import pytest
from django.core.cache import caches
from django.test import override_settings


@pytest.mark.redis
def test_it_reads_and_writes_through_djangos_redis_backend(settings):
    from django.core.cache.backends.redis import RedisCache

    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    cache = caches["default"]
    assert type(cache) is RedisCache
    cache.set("datafi-test-cache", {"v": 1}, 30)
    assert cache.get("datafi-test-cache") == {"v": 1}
    cache.delete("datafi-test-cache")


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
