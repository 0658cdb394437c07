"""Helpers shared by the provider tests."""

import json

from datafi.accounts import services as account_services
from datafi.accounts.models import ApiKey

ALL_SCOPES = list(ApiKey.Scope.values)


def make_key(org, scopes=None, user=None) -> str:
    return account_services.api_key_create(
        organization=org, name="test key", scopes=scopes or ALL_SCOPES, created_by=user
    ).plaintext


def auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def org_battles(battles, org):
    return [b for b in battles if org.pk in (b.model_a.organization_id, b.model_b.organization_id)]


def register_model(client, key: str, name: str):
    """Register a model named ``name`` over the API with ``key``; the new model."""
    from evals.models import EvalModel

    resp = client.post(
        "/api/v1/models",
        data=json.dumps({"name": name}),
        content_type="application/json",
        **auth(key),
    )
    assert resp.status_code == 201, resp.json()
    return EvalModel.objects.get(slug=resp.json()["slug"])
