"""The live battle socket: ``ws/live/<battle id>/``.

The generation runs in the ASGI process that holds the socket which claimed
the turn (no separate worker). Its frames fan out through the channel layer
group ``live.<battle id>``, so every socket the voter has open on this battle
(another tab, a reconnect landing on another worker) sees the same stream, and
a "stop" sent on any of them reaches the generating one. With several workers
the layer must be Redis (``REDIS_URL``).

Frames name sides A and B only; answers are masked (evals.identity) so that no
frame before the vote names a model, even when a model names itself.

Client -> server: {"type": "stop", "side": "a"|"b"},
                  {"type": "continue", "prompt": "..."}
Server -> client: hello, turn_start, delta, side_done, turn_done, battle_error, error
"""

import asyncio
import contextlib
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from datafi.api import ApiError
from evals import live
from evals.generation import GenResult

log = logging.getLogger(__name__)

FAILED_DETAIL = (
    "One of the two models failed to answer: {why}. This battle will not count; try a fresh pair."
)


class LiveBattleConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        self.battle_id = str(self.scope["url_route"]["kwargs"]["battle_id"])
        battle = await database_sync_to_async(live.live_battle_for_socket)(
            user=user, battle_id=self.battle_id
        )
        if battle is None:
            # Unknown and someone else's look the same: nothing to probe.
            await self.close(code=4403)
            return
        self.task: asyncio.Task | None = None
        self.stops = {"a": asyncio.Event(), "b": asyncio.Event()}
        self.closed = False
        self.group = f"live.{self.battle_id}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._send(await database_sync_to_async(live.live_battle_state)(battle=battle))
        await self._start_pending()

    async def disconnect(self, code):
        self.closed = True
        task = getattr(self, "task", None)
        if task is not None and not task.done():
            # The voter left mid-answer: stop both models and record the
            # partial turn (the task does that on cancellation).
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            return await self._error("bad_message", "Frames are JSON objects.")
        kind = content.get("type")
        if kind == "stop":
            side = content.get("side")
            if side not in live.SIDES:
                return await self._error("bad_side", "side must be 'a' or 'b'.")
            # The generating socket may be another one of this voter's.
            await self.channel_layer.group_send(self.group, {"type": "live.stop", "side": side})
        elif kind == "continue":
            if self.task is not None and not self.task.done():
                return await self._error("turn_running", "Wait for both answers to finish.")
            try:
                await database_sync_to_async(live.live_turn_add)(
                    user=self.user, battle_id=self.battle_id, text=content.get("prompt")
                )
            except ApiError as exc:
                return await self._error(exc.code, exc.detail)
            await self._start_pending()
        else:
            await self._error("bad_message", "Unknown frame type.")

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)
        except ValueError:  # not JSON
            await self._error("bad_message", "Frames are JSON objects.")

    async def _error(self, code: str, detail: str):
        """An error about this socket's own frame: to this socket only."""
        await self._send({"type": "error", "code": code, "detail": detail})

    async def _send(self, frame: dict):
        if self.closed:
            return
        try:
            await self.send_json(frame)
        except Exception:  # the socket went away between checks
            self.closed = True

    async def _emit(self, frame: dict):
        """A frame of the battle's stream: to every socket on this battle."""
        await self.channel_layer.group_send(self.group, {"type": "live.frame", "frame": frame})

    async def live_frame(self, event):
        await self._send(event["frame"])

    async def live_stop(self, event):
        if self.task is not None and not self.task.done() and event.get("side") in self.stops:
            self.stops[event["side"]].set()

    async def _start_pending(self):
        turn_id = await database_sync_to_async(live.live_pending_turn_id)(battle_id=self.battle_id)
        if turn_id is None:
            return
        claimed = await database_sync_to_async(live.live_turn_claim)(turn_id=turn_id)
        if not claimed:
            return  # another socket of this voter is generating it
        self.stops = {"a": asyncio.Event(), "b": asyncio.Event()}
        self.task = asyncio.ensure_future(self._run_turn(turn_id))

    async def _run_turn(self, turn_id: int):
        try:
            await self._generate_turn(turn_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Never leave the voter watching a spinner: say so, and log it.
            log.exception("live turn %s failed", turn_id)
            with contextlib.suppress(Exception):
                await database_sync_to_async(live.live_turn_abort)(
                    turn_id=turn_id, reason="internal error during generation"
                )
            await self._emit(
                {
                    "type": "battle_error",
                    "code": "internal_error",
                    "detail": "Something went wrong on our side; try a fresh pair.",
                }
            )

    async def _generate_turn(self, turn_id: int):
        plan = await database_sync_to_async(live.live_turn_plan)(turn_id=turn_id)
        results = {"a": GenResult(), "b": GenResult()}
        await self._emit({"type": "turn_start", "turn": plan.index, "prompt": plan.prompt})
        try:
            await live.live_turn_generate(plan, results=results, emit=self._emit, stops=self.stops)
        except asyncio.CancelledError:
            for result in results.values():
                if not result.finish_reason:
                    result.finish_reason = "aborted"
            await database_sync_to_async(live.live_turn_record)(
                turn_id=turn_id,
                results=results,
                configs=plan.configs,
                pattern=plan.pattern,
                failure="voter disconnected during generation",
            )
            await self._emit(
                {
                    "type": "battle_error",
                    "turn": plan.index,
                    "code": "disconnected",
                    "detail": "The connection was lost, so this battle will not count.",
                }
            )
            raise
        outcome = await database_sync_to_async(live.live_turn_record)(
            turn_id=turn_id, results=results, configs=plan.configs, pattern=plan.pattern
        )
        if outcome.ok:
            await self._emit({"type": "turn_done", "turn": plan.index, "vote_open": True})
        else:
            why = next(
                (results[s].error_detail for s in live.SIDES if results[s].failed), "an error"
            )
            await self._emit(
                {
                    "type": "battle_error",
                    "turn": plan.index,
                    "code": "generation_failed",
                    "detail": FAILED_DETAIL.format(why=why),
                }
            )
