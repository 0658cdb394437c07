"""The ASGI server's own payout pass (make run on the embedded chain)."""

import asyncio

import pytest

from rewards.background import with_payout_worker
from rewards.models import Redemption
from tests.rewards.conftest import award, link_wallet


async def _app(scope, receive, send):
    return None


@pytest.mark.django_db(transaction=True)
def test_the_server_publishes_a_waiting_redemption_without_any_request(alice, evm, settings):
    from rewards.services import redemptions

    settings.REWARD_WORKER_IN_PROCESS, settings.REWARD_WORKER_SECONDS = True, 0.05
    award(alice, 10)
    link_wallet(alice)
    redemptions.redemption_request(user=alice, points=10, idempotency_key="bg-1")
    assert Redemption.objects.get().status == Redemption.Status.PENDING

    app = with_payout_worker(_app)

    async def serve_then_wait():
        await app({"type": "http"}, None, None)
        for _ in range(200):
            await asyncio.sleep(0.05)
            status = await asyncio.to_thread(lambda: Redemption.objects.get().status)
            if status != Redemption.Status.PENDING:
                break
        app.task.cancel()

    asyncio.run(serve_then_wait())
    assert Redemption.objects.get().status == Redemption.Status.CLAIMABLE


def test_it_is_off_under_pytest_by_default(settings):
    assert settings.REWARD_WORKER_IN_PROCESS is False
