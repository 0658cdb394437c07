"""Periodic work on the ASGI server's event loop."""

import asyncio

from datafi.background import WithPeriodicTask


async def _app(scope, receive, send):
    return None


def _run(middleware, seconds: float):
    async def go():
        await middleware({"type": "http"}, None, None)
        await middleware({"type": "http"}, None, None)  # a second connection starts nothing
        await asyncio.sleep(seconds)
        if middleware.task:
            middleware.task.cancel()

    asyncio.run(go())


def test_it_runs_the_work_again_and_again_and_survives_a_failure(settings):
    settings.DATAFI_TEST_ON, settings.DATAFI_TEST_EVERY = True, 0.01
    calls = []

    def work():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a database hiccup")

    mw = WithPeriodicTask(
        _app,
        work=work,
        enabled_setting="DATAFI_TEST_ON",
        interval_setting="DATAFI_TEST_EVERY",
        what="test pass",
    )
    _run(mw, 0.3)
    assert len(calls) >= 3


def test_it_stays_off_when_its_setting_is_off(settings):
    settings.DATAFI_TEST_ON, settings.DATAFI_TEST_EVERY = False, 0.01
    calls = []
    mw = WithPeriodicTask(
        _app,
        work=lambda: calls.append(1),
        enabled_setting="DATAFI_TEST_ON",
        interval_setting="DATAFI_TEST_EVERY",
        what="test pass",
    )
    _run(mw, 0.1)
    assert mw.task is None and calls == []
