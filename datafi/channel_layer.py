"""The Redis channel layer, surviving a blocking pop whose reply comes late.

channels_redis waits for messages in a BZPOPMIN that blocks for 5 s, and redis-py
8 gives every socket a 5 s read timeout: on a busy host the empty reply comes a
moment after the socket gave up, and the consumer waiting on it (a live battle's
socket, a leaderboard page) died on "Timeout reading from ..." (it failed CI
that way). Here such a timeout counts as what it almost always is, an empty pop,
and the wait goes on.

Not while the task is being cancelled: then the timeout is how a receive whose
cancellation was swallowed mid-read still ends (shortening the pop instead left
those receives looping for ever). A message that arrives in the last instant of
a pop whose reply is then lost is lost, as it was before, when the consumer died.
"""

import asyncio

from channels_redis.core import RedisChannelLayer as _RedisChannelLayer
from redis.exceptions import TimeoutError as RedisTimeoutError


class RedisChannelLayer(_RedisChannelLayer):
    async def _brpop_with_clean(self, index, channel, timeout):
        try:
            return await super()._brpop_with_clean(index, channel, timeout)
        except RedisTimeoutError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            return None
