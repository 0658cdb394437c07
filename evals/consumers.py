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

Answers are shown as the same sanitised Markdown as stored answers
(evals.markdown), rendered here from the masked text: a delta frame carries
``html``, the whole answer so far, every ``StreamRenderer.interval`` at most,
and ``side_done`` and ``hello`` always carry it. The browser never renders
Markdown itself, so there is one sanitiser.
"""

import asyncio
import contextlib
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import translation
from django.utils.translation import gettext as _

from datafi.api import ApiError, scope_language, websocket_frame
from datafi.input import InputError
from evals import live, markdown
from evals.generation import GenResult

log = logging.getLogger(__name__)


def failed_detail(why: str) -> str:
    # Translators: %(why)s is the model API's own (English) error, e.g. "timed out".
    return _(
        "One of the two models failed to answer: %(why)s. This battle will not count; "
        "try a fresh pair."
    ) % {"why": why}


class LiveBattleConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        # The frames' human words are written in this language (no LocaleMiddleware
        # here); a turn's frames go to all of the voter's sockets in the generating one's.
        self.language = scope_language(self.scope)
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
        state = await database_sync_to_async(live.live_battle_state)(battle=battle)
        for turn in state["turns"]:
            turn["html"] = {side: markdown.render(turn[side]) for side in live.SIDES}
        await self._send(state)
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
        with translation.override(self.language):
            await self._receive_frame(content)

    async def _receive_frame(self, content):
        if not isinstance(content, dict):
            return await self._error("bad_message", _("Frames are JSON objects."))
        kind = content.get("type")
        if kind == "stop":
            side = content.get("side")
            if side not in live.SIDES:
                return await self._error("bad_side", _("side must be 'a' or 'b'."))
            # The generating socket may be another one of this voter's.
            await self.channel_layer.group_send(self.group, {"type": "live.stop", "side": side})
        elif kind == "continue":
            if self.task is not None and not self.task.done():
                return await self._error("turn_running", _("Wait for both answers to finish."))
            try:
                await database_sync_to_async(live.live_turn_add)(
                    user=self.user, battle_id=self.battle_id, text=content.get("prompt")
                )
            except ApiError as exc:
                return await self._error(exc.code, exc.detail)
            await self._start_pending()
        else:
            await self._error("bad_message", _("Unknown frame type."))

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # Every frame meets the input layer's rules: a 3,000-deep one used to raise
        # RecursionError, close the socket with 1011 and cancel the generation.
        with translation.override(getattr(self, "language", None)):
            try:
                content = websocket_frame(text_data)
            except InputError as exc:  # binary, not JSON, too deep, NUL
                return await self._error("bad_message", exc.detail)
        await self.receive_json(content, **kwargs)

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
        with translation.override(self.language):
            await self._run_turn_in_language(turn_id)

    async def _run_turn_in_language(self, turn_id: int):
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
                    "detail": _("Something went wrong on our side; try a fresh pair."),
                }
            )

    async def _generate_turn(self, turn_id: int):
        plan = await database_sync_to_async(live.live_turn_plan)(turn_id=turn_id)
        results = {"a": GenResult(), "b": GenResult()}
        renderers = {side: markdown.StreamRenderer() for side in live.SIDES}

        async def emit(frame: dict):
            # Rendered from the text the masker released, never from the raw stream.
            kind = frame.get("type")
            if kind == "delta":
                html = renderers[frame["side"]].feed(frame["text"])
                if html is not None:
                    frame = {**frame, "html": html}
            elif kind == "side_done":
                frame = {**frame, "html": renderers[frame["side"]].final()}
            await self._emit(frame)

        await self._emit({"type": "turn_start", "turn": plan.index, "prompt": plan.prompt})
        try:
            await live.live_turn_generate(plan, results=results, emit=emit, stops=self.stops)
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
                    "detail": _("The connection was lost, so this battle will not count."),
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
                (results[s].error_detail for s in live.SIDES if results[s].failed),
                _("an error"),
            )
            await self._emit(
                {
                    "type": "battle_error",
                    "turn": plan.index,
                    "code": "generation_failed",
                    "detail": failed_detail(why),
                }
            )
