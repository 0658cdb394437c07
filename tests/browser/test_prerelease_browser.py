"""A provider tests a model under a codename: /transparency/ shows its commitment
and the provider's count of models in testing, but not the codename; at release
the page shows the results with the preimage, and verify_commitment checks them
against the chain."""

import json

import pytest
from django.core.management import call_command
from django.test import Client

from tests.browser.conftest import ARTIFACTS
from tests.conftest import build_arena
from tests.provider.helpers import auth, make_key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _battle(slug, settings):
    """An operator approves the model; it answers every prompt and wins its battles."""
    import random

    from datafi.accounts import services as account_services
    from datafi.flows import fold
    from evals import services
    from evals.models import EvalModel, Prompt
    from evals.provider import services as provider_services

    settings.QUALITY_IMPOSSIBLE_VOTE_MS = 0
    settings.RATINGS_BOOTSTRAP_ROUNDS = 20
    model = EvalModel.objects.get(slug=slug)
    provider_services.model_approve(model=model, by=None)
    for prompt in Prompt.objects.all():
        services.answer_upsert(prompt=prompt, model=model, text=f"Codename answer to {prompt.key}.")
    rng = random.Random(7)
    for n in range(12):
        voter = account_services.user_create(username=f"voter{n}", password="x" * 20)
        for _ in range(2):
            battle = services.battle_serve(user=voter, rng=rng)
            if model.pk in (battle.model_a_id, battle.model_b_id):
                choice = "model_a" if battle.model_a_id == model.pk else "model_b"
            else:
                choice = "tie"
            fold.vote_cast(user=voter, battle_id=battle.id, choice=choice, reasons=[])
    fold.votes_fold()


def test_a_codename_model_is_committed_then_disclosed_on_the_transparency_page(
    asgi_server, page, bob, evm, capsys, settings
):
    from datafi.accounts.services import membership_add
    from rewards.services.payouts import chain_txs_progress

    arena = build_arena(prompts=2)
    org = arena["orgs"]["zephyrine-labs"]
    membership_add(organization=org, user=bob, role="owner")
    key = make_key(org, user=bob)
    api = Client()
    resp = api.post(
        "/api/v1/testing-models",
        data={"codename": "Nightjar Seven"},
        content_type="application/json",
        **auth(key),
    )
    assert resp.status_code == 201, resp.content
    slug, digest = resp.json()["model"]["slug"], resp.json()["commitment"]["digest"]
    evm.mine(1)
    chain_txs_progress()

    _battle(slug, settings)

    page.goto(f"{asgi_server}/transparency/")
    section = page.inner_text("#prerelease")
    assert digest in section and "Zephyrine Labs" in section and "confirmed" in section
    assert page.inner_text(".in-testing tbody").split() == ["Zephyrine", "Labs", "1"]
    assert "Nightjar Seven" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "prerelease-committed.png"), full_page=True)

    resp = api.post(
        f"/api/v1/models/{slug}/release",
        data={"name": "Zephyr Ultra"},
        content_type="application/json",
        **auth(key),
    )
    assert resp.status_code == 200, resp.content
    commitment = resp.json()["commitment"]

    page.reload()
    card = page.inner_text(f"#commitment-{commitment['id']}")
    assert "Tested as Nightjar Seven, released as Zephyr Ultra" in card
    assert json.loads(page.inner_text(f"#commitment-{commitment['id']} .preimage")) == json.loads(
        commitment["preimage"]
    )
    assert " votes." in card and ", 0 votes." not in card
    assert "No provider has a model in testing." in page.inner_text("#prerelease")
    page.screenshot(path=str(ARTIFACTS / "prerelease-disclosed.png"), full_page=True)

    call_command("verify_commitment", str(commitment["id"]))
    assert "OK: the disclosure matches its commitment" in capsys.readouterr().out
