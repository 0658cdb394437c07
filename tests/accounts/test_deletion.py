"""Deleting one's account (issue #14, item 2): the page says first which frozen versions
hold the person's votes and what happens to their points; the confirmed deletion
removes who they were, keeps their votes out of every later version, and leaves the
versions frozen before exactly as they were."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from datafi.accounts import services as accounts
from datafi.accounts.models import ApiKey, DeletionRequest, Membership, User
from datafi.errors import ApiError
from datafi.flows import deletion
from datafi.market import canonical
from datafi.market import selectors as market_selectors
from datafi.market import services as market
from datafi.market.models import DataSaleConsent, VersionRow
from rewards.models import Wallet
from rewards.services import ledger, redemptions
from tests.market import conftest as market_fixtures
from tests.rewards.conftest import link_wallet

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the fixed characters' (tests/conftest.py)
PAGE = "/accounts/delete/"

# The market's fixtures (an arena voted through the real services, a product).
market_arena = market_fixtures.market_arena
operator = market_fixtures.operator
product = market_fixtures.product


def rows_of(version):
    return list(
        VersionRow.objects.filter(version=version)
        .order_by("position")
        .values_list("position", "battle_id", "voter_id", "leaf", "canonical")
    )


@pytest.fixture
def version_1(product, operator):
    return market.version_freeze(product_id=product.pk, operator=operator)


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


def confirm(client, **fields):
    return client.post(PAGE, {"password": PASSWORD, "forfeit": "on", **fields})


def test_the_page_lists_version_1_and_the_points_before_anything_is_confirmed(
    signed_in, alice, version_1
):
    mine = VersionRow.objects.filter(version=version_1, voter=alice).count()
    assert mine > 0
    available = ledger.balances_for(alice).available
    assert available > 0
    response = signed_in.get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Arena preferences</strong>, version 1" in page
    assert f"{mine} of your votes" in page
    assert "a version already sold stays sold" in page
    assert "Your votes leave every dataset version frozen after your deletion" in page
    assert f"You have {available} points available" in page
    assert "Redeem them first" in page
    assert f"my {available} points will be lost" in page
    assert 'name="password"' in page and 'name="csrfmiddlewaretoken"' in page
    # Reading the page changes nothing.
    assert not DeletionRequest.objects.exists()
    assert User.objects.get(pk=alice.pk).is_active


def test_a_deleted_voter_leaves_later_versions_and_version_1_keeps_its_rows_and_root(
    signed_in, alice, carol, product, operator, version_1
):
    before = rows_of(version_1)
    assert any(row[2] == alice.pk for row in before)
    response = confirm(signed_in)
    assert response.status_code == 302 and response["Location"] == "/accounts/deleted/"

    version_1.refresh_from_db()
    assert rows_of(version_1) == before
    root, count = canonical.root_of_lines(market_selectors.version_lines(version=version_1))
    assert (root, count) == (version_1.root, version_1.row_count)

    version_2 = market.version_freeze(product_id=product.pk, operator=operator)
    voters = set(VersionRow.objects.filter(version=version_2).values_list("voter_id", flat=True))
    assert voters == {carol.pk}
    assert version_2.metadata["left_out"]["no_consent"] == 12  # mallory's 6, alice's 6
    consent = DataSaleConsent.objects.get(user=alice)
    assert (consent.agreed, consent.source) == (False, "deletion")


def test_identity_is_removed_and_the_record_keeps_nothing_personal(
    signed_in, alice, carol, version_1, evm
):
    link_wallet(alice)
    org = accounts.organization_create(name="Alice Research", owner=alice)
    accounts.membership_add(organization=org, user=carol, role="owner")  # not left ownerless
    key = accounts.api_key_create(
        organization=org, name="ci", scopes=["data:read"], created_by=alice
    ).key
    alice.email, alice.first_name, alice.last_name = "alice@example.org", "Alice", "Liddell"
    alice.save()
    Client().post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert AccessAttempt.objects.filter(username="alice").exists()
    public_id = alice.public_id

    page = signed_in.get(PAGE).content.decode()
    assert "Alice Research (Owner) ends, and the 1 API key you created for it stops working" in page
    assert "will be unlinked" in page
    assert confirm(signed_in).status_code == 302

    gone = User.objects.get(pk=alice.pk)
    assert gone.username.startswith("deleted-") and "alice" not in gone.username
    assert (gone.email, gone.first_name, gone.last_name) == ("", "", "")
    assert not gone.has_usable_password()
    assert not (gone.is_active or gone.is_staff or gone.is_superuser)
    assert gone.public_id != public_id
    assert not Wallet.objects.filter(user=alice).exists()
    assert not Membership.objects.filter(user=alice).exists()
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert not AccessAttempt.objects.filter(username="alice").exists()
    record = DeletionRequest.objects.get(user=alice)
    assert record.completed_at >= record.requested_at
    # Only the deletion's times and the (anonymised) row it names.
    assert {f.name for f in DeletionRequest._meta.concrete_fields} == {
        "id",
        "user",
        "requested_at",
        "completed_at",
    }


def test_they_are_logged_out_everywhere_and_cannot_log_in_again(signed_in, alice, version_1):
    other = Client()
    other.force_login(alice)
    assert other.get("/votes/").status_code == 200
    assert confirm(signed_in).status_code == 302

    for client in (signed_in, other):
        response = client.get("/votes/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Client().login(username="alice", password=PASSWORD)
    gone = User.objects.get(pk=alice.pk)
    assert not Client().login(username=gone.username, password=PASSWORD)
    response = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in response.client.session
    done = signed_in.get("/accounts/deleted/")
    assert done.status_code == 200 and "Your account is deleted" in done.content.decode()


def _unchanged(alice):
    user = User.objects.get(pk=alice.pk)
    assert (user.username, user.is_active) == ("alice", True)
    assert user.check_password(PASSWORD)
    assert not DeletionRequest.objects.exists()
    assert market_selectors.consent_of(user=alice) is True


def test_a_wrong_password_is_a_form_error_and_changes_nothing(signed_in, alice, version_1):
    response = confirm(signed_in, password="not my password")
    assert response.status_code == 400
    assert "That is not your password. Nothing was deleted." in response.content.decode()
    _unchanged(alice)
    assert signed_in.get("/votes/").status_code == 200


def test_password_guesses_on_the_deletion_form_are_limited(signed_in, alice, version_1, settings):
    # The form checks the password: a stolen session must not be able to try
    # passwords there without limit. Past the limit even the right one waits.
    settings.THROTTLE_ACCOUNT_DELETE = "3/10m"
    for _ in range(3):
        assert confirm(signed_in, password="guess").status_code == 400
    response = confirm(signed_in)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Too many deletion attempts for this account" in response.content.decode()
    assert User.objects.filter(pk=alice.pk, is_active=True).exists()


def test_an_organisations_only_owner_is_told_to_hand_it_over_first(
    signed_in, alice, bob, version_1
):
    org = accounts.organization_create(name="Alice Research", owner=alice)
    accounts.membership_add(organization=org, user=bob)  # a member, not an owner
    page = signed_in.get(PAGE)
    text = page.content.decode()
    assert "You are the only owner of Alice Research. Make another member an owner" in text
    assert 'id="deletion-form"' not in text and 'href="/provider/"' in text
    refused = confirm(signed_in)
    assert refused.status_code == 409
    _unchanged(alice)
    # The flow refuses too, whatever the page saw.
    with pytest.raises(ApiError) as exc:
        deletion.account_delete(user_id=alice.pk)
    assert exc.value.code == "sole_owner" and exc.value.status_code == 409
    _unchanged(alice)
    # Once bob is an owner too, the deletion goes ahead and bob keeps the organisation.
    accounts.membership_add(organization=org, user=bob, role="owner")
    assert confirm(signed_in).status_code == 302
    assert list(Membership.objects.filter(organization=org).values_list("user", "role")) == [
        (bob.pk, "owner")
    ]


def test_the_arena_forgets_the_languages_and_the_appeal_words(signed_in, alice, version_1):
    from evals import services as arena
    from evals.models import VoterPreference
    from evals.quality.models import VoterAppeal

    arena.voter_languages_set(user=alice, languages=["en", "id"])
    VoterAppeal.objects.create(
        user=alice, message="I am Alice from Jakarta, call me", created_at=alice.date_joined
    )
    page = signed_in.get(PAGE).content.decode()
    assert "The languages you read and the words of your appeals are removed" in page
    assert confirm(signed_in).status_code == 302
    assert not VoterPreference.objects.filter(user_id=alice.pk).exists()
    appeal = VoterAppeal.objects.get(user=alice)
    assert appeal.message == "" and appeal.status == VoterAppeal.Status.OPEN


def test_points_left_behind_need_the_tick_that_says_so(signed_in, alice, version_1):
    response = signed_in.post(PAGE, {"password": PASSWORD})
    assert response.status_code == 400
    assert "my " in response.content.decode() and "points will be lost" in response.content.decode()
    _unchanged(alice)


def test_no_points_no_tick(client, carol, market_arena):
    # A voter whose points were all paid out: the form asks for the password only.
    bare = accounts.user_create(username="dora", password=PASSWORD)
    client.force_login(bare)
    page = client.get(PAGE).content.decode()
    assert 'name="forfeit"' not in page and "You have 0 points available" in page
    assert "None of your votes is in a dataset version yet" in page
    assert client.post(PAGE, {"password": PASSWORD}).status_code == 302
    assert DeletionRequest.objects.filter(user=bare).exists()


def test_it_is_refused_in_plain_words_while_a_redemption_holds_points_in_escrow(
    signed_in, alice, version_1, evm
):
    link_wallet(alice)
    redemptions.redemption_request(user=alice, points=10, idempotency_key="before-leaving")
    assert ledger.balances_for(alice).escrow == 10

    page = signed_in.get(PAGE)
    text = page.content.decode()
    assert page.status_code == 200
    assert "10 points are on their way to your wallet in a redemption" in text
    assert 'id="deletion-form"' not in text

    response = confirm(signed_in)
    assert response.status_code == 409
    assert "once that payout is settled" in response.content.decode()
    _unchanged(alice)
    assert Wallet.objects.filter(user=alice).exists()


def test_the_flow_refuses_escrow_even_when_the_page_did_not_see_it(alice, market_arena, evm):
    link_wallet(alice)
    redemptions.redemption_request(user=alice, points=10, idempotency_key="k")
    with pytest.raises(ApiError) as refused:
        deletion.account_delete(user_id=alice.pk)
    assert (refused.value.code, refused.value.status_code) == ("redemption_in_flight", 409)
    _unchanged(alice)
    assert Wallet.objects.filter(user=alice).exists()


def test_a_second_request_changes_nothing(alice, market_arena):
    first = deletion.account_delete(user_id=alice.pk)
    after_first = User.objects.get(pk=alice.pk)
    second = deletion.account_delete(user_id=alice.pk)
    assert not first.already and second.already
    assert second.record.pk == first.record.pk
    again = User.objects.get(pk=alice.pk)
    assert (again.username, again.public_id, again.password) == (
        after_first.username,
        after_first.public_id,
        after_first.password,
    )
    assert DeletionRequest.objects.count() == 1


def test_a_wallet_only_account_confirms_with_its_user_name(client, market_arena):
    user = User.objects.create_user(username="wallet-0a1b2c3d", password=None)
    client.force_login(user)
    page = client.get(PAGE).content.decode()
    assert 'name="password"' not in page and "type your user name, wallet-0a1b2c3d" in page
    response = client.post(PAGE, {"confirm": "wallet-0a1b2c"})
    assert response.status_code == 400 and "Nothing was deleted" in response.content.decode()
    assert not DeletionRequest.objects.exists()
    assert client.post(PAGE, {"confirm": "wallet-0a1b2c3d"}).status_code == 302
    assert DeletionRequest.objects.filter(user=user).exists()


def test_it_needs_a_login_and_a_csrf_token(alice, market_arena):
    anonymous = Client()
    response = anonymous.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    anonymous.post(PAGE, {"password": PASSWORD, "forfeit": "on"})
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(PAGE, {"password": PASSWORD, "forfeit": "on"}).status_code == 403
    assert strict.put(PAGE).status_code in (403, 405)
    _unchanged(alice)


def test_the_consent_page_and_my_votes_link_to_it(signed_in, market_arena):
    assert f'href="{PAGE}"' in signed_in.get("/market/consent/").content.decode()
    assert f'href="{PAGE}"' in signed_in.get("/votes/").content.decode()


def test_a_deleted_account_cannot_link_a_wallet_again(alice, market_arena, evm):
    deletion.account_delete(user_id=alice.pk)
    with pytest.raises(ApiError) as refused:
        link_wallet(User.objects.get(pk=alice.pk), "alice")
    assert (refused.value.code, refused.value.status_code) == ("inactive", 403)
    assert not Wallet.objects.exists()
