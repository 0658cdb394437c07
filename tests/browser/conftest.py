import os
from pathlib import Path

import pytest

from tests.conftest import chromium_path

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture
def page(request):
    """A Playwright page in Debian's headless Chromium."""
    # Playwright's sync API runs an event loop in this thread; the test's own
    # ORM calls are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)  # generous: CI runs two workers at once
        yield page
        context.close()
        browser.close()


@pytest.fixture
def asgi_server():
    """The real ASGI app (HTTP + websockets) served by uvicorn in a thread of
    this process, so it shares the test database; static files from the finders.

    pytest-django's live_server is WSGI only and cannot carry websockets.
    """
    import copy
    import socket
    import threading
    import time

    import uvicorn
    from channels.routing import ProtocolTypeRouter
    from django.conf import settings
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.test import override_settings

    from datafi.asgi import django_asgi_app, websocket_application
    from tests.live_support import close_db_pool

    app = ProtocolTypeRouter(
        {"http": ASGIStaticFilesHandler(django_asgi_app), "websocket": websocket_application}
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            ws="websockets-sansio",
        )
    )
    # A channel layer instance of the server's own. channels_redis binds an
    # instance's receive state to one event loop; earlier websocket tests of
    # this process ran on loops of their own, and one that ended mid-receive
    # left the shared instance refusing this server's loop ("Two event loops
    # are trying to receive()"): live-battle sockets died on CI's Redis run.
    # Overriding the setting makes Channels build fresh instances.
    with override_settings(CHANNEL_LAYERS=copy.deepcopy(settings.CHANNEL_LAYERS)):
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 15
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
        server.should_exit = True
        thread.join(timeout=10)
    close_db_pool()  # the server's threads returned their connections to the pool


def login(page, base, username="alice"):
    """Log in through the form as one of the fixed characters; lands in the arena."""
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/arena/")


def wait_until(page, expression: str, *, timeout_ms: int = 30_000, every_ms: int = 50):
    """Poll a JavaScript expression (or arrow function) from Python until it is truthy.

    Not ``page.wait_for_function``: when its first check fails it polls by
    ``eval`` inside the page, which the site's Content-Security-Policy refuses
    (script-src 'self'), so a test failed whenever the page was a moment slow.
    ``page.evaluate`` goes through the DevTools protocol, which the CSP allows.
    The timeout is the page's default one (30 s), as it was with wait_for_function.
    """
    # A boolean comes back, not what the expression returns (a Chart object would
    # have to be serialised).
    if expression.lstrip().startswith("()"):
        script = f"() => !!(({expression})())"
    else:
        script = f"() => !!({expression})"
    waited = 0
    while not page.evaluate(script):
        if waited >= timeout_ms:
            raise AssertionError(f"still false after {timeout_ms} ms: {expression}")
        page.wait_for_timeout(every_ms)
        waited += every_ms


def live_state(browser_page) -> dict:
    """What the live page shows (state, error, each side's status, the start of A's
    thread), for a failure message."""
    return browser_page.evaluate(
        """() => ({
          state: document.querySelector('#live')?.dataset.state,
          error: document.querySelector('#live-error-text')?.textContent,
          statusA: document.querySelector('#status-a')?.textContent,
          statusB: document.querySelector('#status-b')?.textContent,
          threadA: document.querySelector('#thread-a')?.textContent.slice(0, 300),
        })"""
    )


def wait_live_ready(browser_page) -> None:
    """Wait until both live answers are done: they take about 4 s, but a loaded CI
    run (xdist workers, PostgreSQL, Redis) once waited past 20 s. On a timeout,
    say what the page shows."""
    try:
        browser_page.wait_for_selector("#live[data-state=ready]", timeout=60_000)
    except Exception as exc:
        raise AssertionError(
            f"the answers never finished; the page said: {live_state(browser_page)}"
        ) from exc


# --- shared by the browser tests ---------------------------------------------------------


def luminance(rgb) -> float:
    """WCAG relative luminance of an (r, g, b[, a]) colour in 0-255."""

    def channel(c):
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def quality_demo_load() -> None:
    """The demo arena and the quality demo (a flagged ring), loaded off the test
    thread: Playwright runs an event loop here, and the votes' on-commit events
    (rewards) use async_to_sync, which refuses to run inside one."""
    import threading
    from io import StringIO

    from django.core.management import call_command

    def load():
        from django.db import connection

        try:
            call_command("load_demo", stdout=StringIO())
            call_command(
                "load_quality_demo", honest=12, accounts=6, attack_votes=120, stdout=StringIO()
            )
        finally:
            connection.close()

    loader = threading.Thread(target=load)
    loader.start()
    loader.join()


@pytest.fixture
def board(alice, settings):
    """A leaderboard of 80 counted votes (a scripted voter; quality is tested elsewhere)."""
    from ratings.services import refresh_dirty
    from tests.conftest import build_arena
    from tests.ratings.conftest import cast_votes

    settings.QUALITY_DEFENCES = False
    settings.RATINGS_BOOTSTRAP_ROUNDS = 200
    settings.RATINGS_STYLE_ROUNDS = 20
    arena = build_arena(prompts=12)
    cast_votes(alice, 80, seed=5)
    refresh_dirty(worker="browser-test")
    return arena
