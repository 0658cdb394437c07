"""Django's Redis cache with one client (one connection pool) per process.

Django keeps cache objects per context, and under ASGI every request is a new
context: the stock backend then builds a new client, a new pool and a new TCP
connection to Redis for every request that touches the cache (every request,
once sessions are read through it). redis-py's pools are thread-safe, so the
process shares one per location and options.
"""

import threading

from django.core.cache.backends.redis import RedisCache
from django.utils.functional import cached_property

_clients: dict = {}
_lock = threading.Lock()


class SharedRedisCache(RedisCache):
    @cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = self._class(self._servers, **self._options)
        return client
