"""A provider registers two live models on its page against the stub, sees the
probes; an operator approves them in the admin, seeing the probes; a voter
watches them stream in a live battle."""

import pytest

from tests.browser.conftest import ARTIFACTS, login, wait_live_ready, wait_until
from tests.conftest import build_arena

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _register(page, stub, name, model_id):
    card = "#org-zephyrine-labs"
    if not page.is_visible(f"{card} .live-form"):
        page.click(f"{card} .live-register summary")
    page.fill(f"{card} .live-form input[name=model_name]", name)
    page.fill(f"{card} .live-form input[name=base_url]", stub.base_url)
    page.fill(f"{card} .live-form input[name=model_id]", model_id)
    page.fill(f"{card} .live-form input[name=api_key]", "sk-test-secret")
    page.click(f"{card} .live-form button")
    page.wait_for_selector(f"tr[data-model='{name.lower().replace(' ', '-')}']")


def test_a_provider_registers_live_models_that_an_operator_approves_and_voters_see(
    asgi_server, page, stub, bob, carol, alice, settings
):
    from datafi.accounts.services import membership_add
    from evals.models import Battle

    settings.PROVIDER_ENDPOINTS_ALLOW_PRIVATE = True  # the stub listens on 127.0.0.1
    arena = build_arena(prompts=3)
    membership_add(organization=arena["orgs"]["zephyrine-labs"], user=bob, role="owner")
    carol.is_staff = carol.is_superuser = True
    carol.save(update_fields=["is_staff", "is_superuser"])

    login(page, asgi_server, "bob")
    page.goto(f"{asgi_server}/provider/")
    _register(page, stub, "Nimbus Live", "nimbus+slow:0.04")
    _register(page, stub, "Cirrus Live", "cirrus+slow:0.05")
    row = page.inner_text("tr[data-model='nimbus-live']")
    assert "waiting for approval" in row and "first token after" in row and "tokens/s" in row
    assert "sk-test-secret" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "provider-live-models.png"), full_page=True)

    page.context.clear_cookies()
    login(page, asgi_server, "carol")
    page.goto(f"{asgi_server}/admin/evals/evalmodel/?approval=pending")
    for name in ("Nimbus Live", "Cirrus Live"):
        page.check(f"tr:has-text('{name}') input[name=_selected_action]")
    page.select_option("select[name=action]", "approve")
    page.click("button[name=index]")
    page.wait_for_selector("textarea[name=reason]")
    assert page.inner_text("body").count("last probe: ok") == 2
    page.fill("textarea[name=reason]", "both answer quickly")
    page.click("input[type=submit][value=Approve]")
    page.wait_for_selector(".messagelist")

    page.context.clear_cookies()
    login(page, asgi_server, "alice")
    page.goto(f"{asgi_server}/live/")
    page.fill("#prompt", "Explain how a rainbow forms, briefly.")
    page.keyboard.press("Enter")
    wait_until(
        page,
        """() => document.querySelector('#thread-a .turn-answer')?.textContent.length > 10
              && document.querySelector('#thread-b .turn-answer')?.textContent.length > 10""",
        timeout_ms=60_000,  # a process's first live battle once took > 20 s on a loaded CI run
    )
    wait_live_ready(page)
    body = page.inner_text("body")
    assert "Nimbus" not in body and "Cirrus" not in body
    battle = Battle.objects.get(voter=alice, mode="live")
    assert {battle.model_a.slug, battle.model_b.slug} == {"nimbus-live", "cirrus-live"}
