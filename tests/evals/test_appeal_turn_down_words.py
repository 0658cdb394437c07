"""Refusing an appeal is said in plain words on the operators' side too: the button
reads "Turn down: keep the judgement" (beside "Clear", "Uphold" read as granting it)
and the decision is "Turned down", as the voter is told. The stored value stays
"upheld" and the decision value "uphold" is still what the form and API send."""

import pytest
from django.utils import timezone, translation

from evals.quality.models import VoterAppeal

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_appeal(alice):
    return VoterAppeal.objects.create(user=alice, message="Not a ring.", created_at=timezone.now())


def test_the_dashboard_button_says_turn_down_and_sends_uphold(client, admin_operator, open_appeal):
    client.force_login(admin_operator)
    page = client.get("/quality/").content.decode()
    assert (
        '<button type="submit" name="decision" value="uphold">Turn down: keep the judgement'
        "</button>" in page
    )
    assert ">Uphold<" not in page

    resp = client.post(
        f"/quality/appeals/{open_appeal.id}/decide",
        {"decision": "uphold", "reason": "Same device as four other accounts."},
    )
    assert resp.status_code == 302
    open_appeal.refresh_from_db()
    assert open_appeal.status == "upheld"
    page = client.get("/quality/").content.decode()
    assert "<td>Turned down</td>" in page and "Upheld" not in page


def test_the_dashboard_in_indonesian(client, admin_operator, open_appeal):
    client.force_login(admin_operator)
    page = client.get("/quality/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Tolak: penilaian tetap berlaku" in page and "Pertahankan" not in page


def test_the_status_label_and_the_admins_filter_say_turned_down(client, admin_operator, alice):
    VoterAppeal.objects.create(
        user=alice,
        message="Not a ring.",
        created_at=timezone.now(),
        status="upheld",
        decided_by=admin_operator,
        decided_at=timezone.now(),
        decision_reason="Same device.",
    )
    appeal = VoterAppeal.objects.get()
    with translation.override("en"):
        assert appeal.get_status_display() == "Turned down"
    with translation.override("id"):
        assert appeal.get_status_display() == "Ditolak"
    client.force_login(admin_operator)
    page = client.get("/admin/evals/voterappeal/").content.decode()
    assert "Turned down" in page and "Upheld" not in page
    # The filter still selects by the stored value.
    filtered = client.get("/admin/evals/voterappeal/?status__exact=upheld").content.decode()
    assert "1 voter appeal" in filtered
