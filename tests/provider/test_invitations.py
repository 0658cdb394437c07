"""A seat in an organisation is offered and taken, never imposed (a red-team
finding): an owner could add anyone as an owner, step down, and leave them the
organisation's only owner, unable to delete their account."""

import pytest

from datafi.accounts import selectors as account_selectors
from datafi.accounts import services as account_services
from datafi.accounts.models import Invitation, Membership
from datafi.api import ApiError
from datafi.flows import deletion


@pytest.fixture
def trap(client, mallory, carol):
    org = account_services.organization_create(name="Trap Labs", owner=mallory)
    client.force_login(mallory)
    return org


def seat(org, user):
    return Membership.objects.filter(organization=org, user=user).values_list("role", flat=True)


def test_an_owner_cannot_make_someone_an_owner_who_did_not_accept(client, trap, mallory, carol):
    resp = client.post("/provider/trap-labs/members", {"username": "carol", "role": "owner"})
    assert resp.status_code == 302
    page = client.get("/provider/").content.decode()
    assert "carol, invited as Owner: waiting for their answer" in page
    assert not seat(trap, carol).exists()
    # Stepping down would leave the organisation without an owner: refused.
    resp = client.post("/provider/trap-labs/members", {"username": "mallory", "role": "member"})
    assert resp.status_code == 409
    assert list(seat(trap, mallory)) == ["owner"]
    # Carol's account is hers to delete.
    deletion.account_delete(user_id=carol.pk)
    carol.refresh_from_db()
    assert not carol.is_active
    assert not Invitation.objects.filter(organization=trap).exists()


def test_the_invited_person_sees_the_invitation_and_accepts_it(client, trap, carol):
    client.post("/provider/trap-labs/members", {"username": "carol", "role": "owner"})
    client.force_login(carol)
    page = client.get("/provider/").content.decode()
    assert "mallory invites you to Trap Labs as Owner." in page
    resp = client.post("/provider/invitations/trap-labs/accept")
    assert resp.status_code == 302
    assert list(seat(trap, carol)) == ["owner"]
    assert not Invitation.objects.exists()
    assert "You are now in Trap Labs." in client.get("/provider/").content.decode()
    # Used up: a second accept is a 404 in words.
    resp = client.post("/provider/invitations/trap-labs/accept")
    assert resp.status_code == 404
    assert "No invitation to Trap Labs is waiting for you." in resp.content.decode()


def test_a_declined_invitation_gives_no_seat(client, trap, carol):
    client.post("/provider/trap-labs/members", {"username": "carol", "role": "member"})
    client.force_login(carol)
    assert client.post("/provider/invitations/trap-labs/decline").status_code == 302
    assert not seat(trap, carol).exists() and not Invitation.objects.exists()


def test_a_member_made_owner_is_asked_too_and_a_step_down_to_member_is_at_once(
    trap, mallory, carol
):
    account_services.membership_add(organization=trap, user=carol, role="member")
    invited = account_services.membership_invite(
        organization=trap, user=carol, role="owner", invited_by=mallory
    )
    assert invited and list(seat(trap, carol)) == ["member"]
    account_services.invitation_accept(user=carol, organization=trap)
    assert list(seat(trap, carol)) == ["owner"]
    # Now two owners: either may take the other's owner rights away at once.
    assert not account_services.membership_invite(
        organization=trap, user=carol, role="member", invited_by=mallory
    )
    assert list(seat(trap, carol)) == ["member"]


def test_someone_elses_invitation_cannot_be_accepted(client, trap, carol, alice):
    account_services.membership_invite(
        organization=trap, user=carol, role="owner", invited_by=trap.memberships.get().user
    )
    with pytest.raises(ApiError) as exc:
        account_services.invitation_accept(user=alice, organization=trap)
    assert exc.value.status_code == 404
    client.force_login(alice)
    assert client.post("/provider/invitations/trap-labs/accept").status_code == 404
    assert not seat(trap, alice).exists() and Invitation.objects.filter(user=carol).exists()


def test_the_invitation_pages_speak_indonesian(client, trap, carol):
    client.post("/provider/trap-labs/members", {"username": "carol", "role": "owner"})
    client.force_login(carol)
    page = client.get("/provider/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Undangan" in page and "Invitations" not in page


def test_an_inactive_account_cannot_be_invited(client, trap, carol):
    carol.is_active = False
    carol.save(update_fields=["is_active"])
    resp = client.post("/provider/trap-labs/members", {"username": "carol", "role": "member"})
    assert resp.status_code == 400 and "No user with that name." in resp.content.decode()
    assert not Invitation.objects.exists()


def test_setting_someone_to_member_withdraws_the_owners_seat_offered_earlier(trap, mallory, carol):
    account_services.membership_add(organization=trap, user=carol, role="member")
    account_services.membership_invite(
        organization=trap, user=carol, role="owner", invited_by=mallory
    )
    account_services.membership_invite(
        organization=trap, user=carol, role="member", invited_by=mallory
    )
    assert not Invitation.objects.exists()
    with pytest.raises(ApiError) as exc:
        account_services.invitation_accept(user=carol, organization=trap)
    assert exc.value.status_code == 404 and list(seat(trap, carol)) == ["member"]


def test_an_invitation_lapses_when_its_sender_is_no_longer_an_owner(
    client, trap, mallory, carol, alice
):
    # Carol, an owner, invites alice as an owner; mallory then takes carol's
    # owner rights away. Alice's accept must not make her an owner.
    account_services.membership_add(organization=trap, user=carol, role="owner")
    account_services.membership_invite(
        organization=trap, user=alice, role="owner", invited_by=carol
    )
    account_services.membership_invite(
        organization=trap, user=carol, role="member", invited_by=mallory
    )
    client.force_login(alice)
    resp = client.post("/provider/invitations/trap-labs/accept")
    assert resp.status_code == 409
    assert "This invitation to Trap Labs lapsed" in resp.content.decode()
    assert not seat(trap, alice).exists() and not Invitation.objects.exists()


def test_an_owner_withdraws_an_invitation_from_the_page(client, trap, carol):
    client.post("/provider/trap-labs/members", {"username": "carol", "role": "owner"})
    page = client.get("/provider/").content.decode()
    assert 'action="/provider/trap-labs/invitations/withdraw"' in page
    resp = client.post("/provider/trap-labs/invitations/withdraw", {"username": "carol"})
    assert resp.status_code == 302 and not Invitation.objects.exists()
    again = client.post("/provider/trap-labs/invitations/withdraw", {"username": "carol"})
    assert again.status_code == 404
    client.force_login(carol)
    assert client.post("/provider/invitations/trap-labs/accept").status_code == 404


def test_a_lapsed_invitation_is_listed_neither_to_the_invited_person_nor_to_the_owners(
    client, trap, mallory, carol, alice
):
    # Carol, an owner, invites alice; mallory then takes carol's owner rights
    # away. Alice's invitation can no longer be accepted: nobody is shown it.
    account_services.membership_add(organization=trap, user=carol, role="owner")
    account_services.membership_invite(
        organization=trap, user=alice, role="owner", invited_by=carol
    )
    client.force_login(alice)
    assert "carol invites you to Trap Labs as Owner." in client.get("/provider/").content.decode()
    client.force_login(mallory)
    assert "alice, invited as Owner" in client.get("/provider/").content.decode()

    account_services.membership_invite(
        organization=trap, user=carol, role="member", invited_by=mallory
    )
    client.force_login(alice)
    page = client.get("/provider/").content.decode()
    assert 'id="invitations"' not in page and "invites you to Trap Labs" not in page
    assert account_selectors.invitations_of(user=alice) == []
    client.force_login(mallory)
    assert "alice, invited as" not in client.get("/provider/").content.decode()
    assert account_selectors.invitations_sent(organization_ids=[trap.pk]) == {}

    # An owner who invites alice again makes the offer stand: listed again.
    account_services.membership_invite(
        organization=trap, user=alice, role="member", invited_by=mallory
    )
    assert [i.invited_by for i in account_selectors.invitations_of(user=alice)] == ["mallory"]
    assert account_selectors.invitations_sent(organization_ids=[trap.pk]) == {
        trap.pk: [("alice", "Member")]
    }


def test_an_invitation_whose_sender_deleted_their_account_is_not_listed(
    trap, mallory, carol, alice
):
    account_services.membership_add(organization=trap, user=carol, role="owner")
    account_services.membership_invite(
        organization=trap, user=alice, role="member", invited_by=carol
    )
    deletion.account_delete(user_id=carol.pk)
    assert Invitation.objects.filter(user=alice).exists()  # kept, but it lapsed
    assert account_selectors.invitations_of(user=alice) == []
    assert account_selectors.invitations_sent(organization_ids=[trap.pk]) == {}
