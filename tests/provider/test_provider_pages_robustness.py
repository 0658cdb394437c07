"""The provider page's forms refuse bad input with a 400 (409) and a message on the
page, and change nothing: never a 500."""

import html
import sys

import pytest

from datafi.recursion import SAFE_RECURSION_LIMIT
from evals.models import EvalModel, ModelEndpoint


@pytest.fixture
def production_recursion_limit():
    """The limit a server runs with (datafi.recursion); py-evm, imported by the
    test run, leaves it at 12,288, deep enough to hide the RecursionError."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(SAFE_RECURSION_LIMIT)
    yield
    sys.setrecursionlimit(before)


def _register(client, default_params: str):
    form = {
        "model_name": "Nimbus Live",
        "base_url": "https://api.example.com/v1",
        "model_id": "nimbus",
        "api_key": "sk-test-secret",
        "default_params": default_params,
    }
    return client.post("/provider/zephyrine-labs/live", form)


@pytest.mark.parametrize(
    "params",
    ["[" * 5000, '{"a":' * 3000 + "1" + "}" * 3000, "[" * 200 + "]" * 200],
    ids=["5000 brackets", "3000 objects", "200 levels, closed"],
)
def test_deep_default_params_are_a_400_not_a_500(
    client, bob, orgs, params, production_recursion_limit
):
    client.force_login(bob)
    resp = _register(client, params)
    assert resp.status_code == 400
    page = html.unescape(resp.content.decode())
    assert "JSON may be nested at most 64 levels deep." in page
    assert not EvalModel.objects.filter(slug="nimbus-live").exists()
    assert not ModelEndpoint.objects.exists()


def test_default_params_that_are_not_json_keep_their_message(client, bob, orgs):
    client.force_login(bob)
    resp = _register(client, "{temperature: 1}")
    assert resp.status_code == 400
    assert "Default parameters must be a JSON object." in html.unescape(resp.content.decode())
    assert not ModelEndpoint.objects.exists()


# --- organisations ---------------------------------------------------------------------


def _create_org(client, **form):
    return client.post("/provider/organizations", form)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "N" * 121}, "The organisation's name may be at most 120 characters long."),
        ({"name": "Nimbus", "website": "javascript:alert(1)"}, "http:// or https:// address"),
        ({"name": "Nimbus", "website": "ftp://nimbus.example"}, "http:// or https:// address"),
        ({"name": "Nimbus", "website": "not a url"}, "http:// or https:// address"),
        (
            {"name": "Nimbus", "website": "https://nimbus.example/" + "a" * 180},
            "at most 200 characters",
        ),
    ],
    ids=["long name", "javascript", "ftp", "not a url", "long website"],
)
def test_a_bad_organisation_is_a_400_with_a_message(client, bob, form, message):
    from datafi.accounts.models import Organization

    client.force_login(bob)
    resp = _create_org(client, **form)
    assert resp.status_code == 400
    assert message in html.unescape(resp.content.decode())
    assert not Organization.objects.exists()


def test_a_good_organisation_is_created_with_its_website(client, bob):
    from datafi.accounts.models import Organization

    client.force_login(bob)
    name = "N" * 120
    resp = _create_org(client, name=name, website=" https://nimbus.example/about ")
    assert resp.status_code == 302
    org = Organization.objects.get()
    assert org.name == name and org.website == "https://nimbus.example/about"
    assert _create_org(client, name="Plain Org").status_code == 302
    assert Organization.objects.get(name="Plain Org").website == ""


def test_the_service_refuses_a_bad_website_too(bob):
    from datafi.accounts import services as account_services
    from datafi.accounts.models import Organization
    from datafi.api import ApiError

    with pytest.raises(ApiError) as exc:
        account_services.organization_create(
            name="Nimbus", owner=bob, website="javascript:alert(1)"
        )
    assert exc.value.status_code == 400 and exc.value.code == "invalid_website"
    assert not Organization.objects.exists()


# --- owners ----------------------------------------------------------------------------


def _set_role(client, username, role):
    return client.post("/provider/zephyrine-labs/members", {"username": username, "role": role})


def _role(org, user) -> str:
    return org.memberships.get(user=user).role


def test_the_only_owner_cannot_step_down(client, bob, orgs):
    client.force_login(bob)
    resp = _set_role(client, "bob", "member")
    assert resp.status_code == 409
    page = html.unescape(resp.content.decode())
    assert "bob is the only owner of Zephyrine Labs." in page
    assert _role(orgs["zephyrine"], bob) == "owner"
    # Still an owner: the owner pages answer.
    resp = client.post(
        "/provider/zephyrine-labs/keys", {"name": "k", "scopes": ["data:read"]}, follow=True
    )
    assert resp.status_code == 200 and "dfk_" in resp.content.decode()
    assert client.get("/provider/").status_code == 200


def test_an_owner_steps_down_once_another_owner_exists(client, bob, carol, orgs):
    from datafi.accounts import services as account_services
    from datafi.api import ApiError

    org = orgs["zephyrine"]
    client.force_login(bob)
    assert _set_role(client, "carol", "owner").status_code == 302
    # An owner's seat is offered: until carol takes it, bob stays the only owner.
    assert _set_role(client, "bob", "member").status_code == 409
    account_services.invitation_accept(user=carol, organization=org)
    assert _set_role(client, "bob", "member").status_code == 302
    assert _role(org, bob) == "member" and _role(org, carol) == "owner"
    # Now carol is the only owner: the service refuses her stepping down.
    with pytest.raises(ApiError) as exc:
        account_services.membership_add(organization=org, user=carol, role="member")
    assert exc.value.status_code == 409 and exc.value.code == "sole_owner"
    assert _role(org, carol) == "owner"
    # Adding members to an organisation without owners (operator set-ups) still works.
    ownerless = account_services.organization_get_or_create(slug="ownerless", name="Ownerless")
    account_services.membership_add(organization=ownerless, user=bob, role="member")
