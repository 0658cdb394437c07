"""add_stub_models points demo live models at a stub server; they really answer."""

import pytest
from django.core.management import call_command

from evals.models import ModelEndpoint
from tests.live_support import run_battle, start_battle

pytestmark = pytest.mark.django_db(transaction=True)


def test_stub_models_can_fight_a_live_battle(stub, alice):
    stub.api_key = None
    call_command("add_stub_models", "--base-url", stub.base_url, "--with-failing")
    assert ModelEndpoint.objects.count() == 4
    call_command("add_stub_models", "--base-url", stub.base_url)  # idempotent
    assert ModelEndpoint.objects.count() == 4
    ModelEndpoint.objects.filter(provider_model_id="fail:500").update(paused=True)
    # The slow stub model takes a few seconds; any pair of the three works. The
    # wait per frame is generous: CI runs this beside a loaded database.
    battle = start_battle(alice)
    frames = run_battle(alice, battle.id, timeout=60)
    assert frames[-1]["type"] == "turn_done", frames[-3:]
