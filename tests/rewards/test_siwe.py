"""Sign-In With Ethereum: the strict parser, and every way a message is refused."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from rewards import siwe
from rewards.models import SiweNonce, Wallet
from rewards.services import wallets
from tests.rewards.conftest import DOMAIN, sign, wallet_of

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


def message(**overrides) -> siwe.SiweMessage:
    fields = {
        "domain": "example.org",
        "address": wallet_of("alice").address,
        "statement": "Link this wallet.",
        "uri": "https://example.org/rewards/",
        "version": "1",
        "chain_id": 1,
        "nonce": "abcdef0123456789",
        "issued_at": NOW,
        "expiration_time": NOW + timedelta(minutes=10),
    }
    fields.update(overrides)
    return siwe.SiweMessage(**fields)


def test_it_round_trips_the_eip_4361_example_layout():
    text = message(resources=("ipfs://bafy", "https://example.org/x"), request_id="r-1").text()
    assert text.splitlines()[0] == "example.org wants you to sign in with your Ethereum account:"
    parsed = siwe.parse(text)
    assert parsed == message(resources=("ipfs://bafy", "https://example.org/x"), request_id="r-1")


def test_it_parses_a_message_without_statement_and_with_a_scheme():
    text = message(statement=None, scheme="https").text()
    assert "\n\n\nURI: " in text
    parsed = siwe.parse(text)
    assert parsed.statement is None and parsed.scheme == "https"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t.replace(" wants you to sign in", " would like you to sign in"),
        lambda t: t.replace("\n", "\r\n"),
        lambda t: t.replace("Version: 1", "Version: 2"),
        lambda t: t.replace("Chain ID: 1", "Chain ID: one"),
        lambda t: t.replace("Nonce: abcdef0123456789", "Nonce: abc"),
        lambda t: t.replace("Nonce: ", "Nonce:"),
        lambda t: t.replace("Issued At: ", "Issued At: yesterday "),
        lambda t: t + "\nExtra: field",
        lambda t: t.replace("URI: https://example.org/rewards/", "URI: not a uri"),
        lambda t: "\n".join(t.splitlines()[:5]),
        lambda t: t.replace(wallet_of("alice").address, "0x1234"),
        lambda t: t.replace(
            wallet_of("alice").address,
            wallet_of("alice").address.swapcase()[0:2] + wallet_of("alice").address[2:].swapcase(),
        ),
        lambda t: t.replace("Link this wallet.", "Line one\nLine two"),
        lambda t: "",
    ],
)
def test_it_refuses_malformed_messages(mangle):
    text = mangle(message().text())
    with pytest.raises(siwe.SiweError):
        siwe.parse(text)


def test_it_recovers_the_signer():
    text = message().text()
    assert siwe.recover_address(text, sign(text, "alice")) == wallet_of("alice").address
    assert siwe.recover_address(text, sign(text, "mallory")) == wallet_of("mallory").address
    with pytest.raises(siwe.SiweError):
        siwe.recover_address(text, "0x" + "00" * 65)
    with pytest.raises(siwe.SiweError):
        siwe.recover_address(text, "not hex")


# --- the service and its endpoints ----------------------------------------------


@pytest.fixture
def challenge(evm):
    def issue(name="alice"):
        return wallets.siwe_challenge(address=wallet_of(name).address, domain=DOMAIN, scheme="http")

    return issue


def post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_a_user_links_a_wallet_over_the_api(client, alice, evm):
    client.force_login(alice)
    address = wallet_of("alice").address
    resp = post(client, "/api/wallet/nonce", {"address": address})
    assert resp.status_code == 201
    msg = resp.json()["message"]
    assert f"Chain ID: {evm.chain_id()}" in msg and "testserver wants you" in msg
    resp = post(client, "/api/wallet/link", {"message": msg, "signature": sign(msg, "alice")})
    assert resp.status_code == 200, resp.json()
    assert Wallet.objects.get(user=alice).address == address


def _refused(client, user, msg, sig, code, status):
    if user is not None:
        client.force_login(user)
    before = (Wallet.objects.count(), SiweNonce.objects.filter(used_at__isnull=False).count())
    resp = post(client, "/api/wallet/link", {"message": msg, "signature": sig})
    assert resp.status_code == status, resp.json()
    assert resp.json()["code"] == code
    after = (Wallet.objects.count(), SiweNonce.objects.filter(used_at__isnull=False).count())
    assert after == before, "a refused message changed something"


def test_a_replayed_message_is_refused(client, alice, challenge):
    msg = challenge()["message"]
    client.force_login(alice)
    assert (
        post(
            client, "/api/wallet/link", {"message": msg, "signature": sign(msg, "alice")}
        ).status_code
        == 200
    )
    _refused(client, alice, msg, sign(msg, "alice"), "nonce_used", 409)


def test_an_expired_message_is_refused(client, alice, evm):
    past = timezone.now() - timedelta(hours=2)
    msg = wallets.siwe_challenge(
        address=wallet_of("alice").address, domain=DOMAIN, scheme="http", now=past
    )["message"]
    _refused(client, alice, msg, sign(msg, "alice"), "expired", 401)


def test_a_message_for_another_domain_is_refused(client, alice, evm):
    msg = wallets.siwe_challenge(
        address=wallet_of("alice").address, domain="evil.example", scheme="http"
    )["message"]
    _refused(client, alice, msg, sign(msg, "alice"), "wrong_domain", 403)


def test_a_message_for_another_chain_is_refused(client, alice, challenge):
    msg = challenge()["message"]
    forged = msg.replace(f"Chain ID: {siwe.parse(msg).chain_id}", "Chain ID: 1")
    _refused(client, alice, forged, sign(forged, "alice"), "wrong_chain", 403)


def test_a_message_signed_by_another_key_is_refused(client, alice, challenge):
    msg = challenge()["message"]
    _refused(client, alice, msg, sign(msg, "mallory"), "bad_signature", 401)


def test_a_garbage_signature_is_refused(client, alice, challenge):
    msg = challenge()["message"]
    _refused(client, alice, msg, "0x1234", "bad_signature", 401)


def test_a_malformed_message_is_refused(client, alice, challenge):
    msg = challenge()["message"]
    broken = msg.replace("Version: 1", "Version: 9")
    _refused(client, alice, broken, sign(broken, "alice"), "malformed_message", 400)


def test_a_nonce_the_server_never_issued_is_refused(client, alice, challenge):
    msg = challenge()["message"]
    forged = msg.replace(siwe.parse(msg).nonce, "ffffffffffffffff0000")
    _refused(client, alice, forged, sign(forged, "alice"), "unknown_nonce", 401)


def test_a_message_without_expiry_is_refused(client, alice, challenge):
    msg = challenge()["message"]
    lines = [line for line in msg.split("\n") if not line.startswith("Expiration Time")]
    forged = "\n".join(lines)
    _refused(client, alice, forged, sign(forged, "alice"), "no_expiry", 400)


def test_someone_elses_wallet_cannot_be_taken(client, alice, mallory, challenge):
    msg = challenge("alice")["message"]
    client.force_login(alice)
    assert (
        post(
            client, "/api/wallet/link", {"message": msg, "signature": sign(msg, "alice")}
        ).status_code
        == 200
    )
    # mallory obtains a fresh message for alice's address but cannot sign it as alice:
    msg2 = challenge("alice")["message"]
    client.force_login(mallory)
    _refused(client, None, msg2, sign(msg2, "mallory"), "bad_signature", 401)


def test_linking_needs_a_login_and_a_json_body(client, challenge):
    msg = challenge()["message"]
    resp = post(client, "/api/wallet/link", {"message": msg, "signature": sign(msg, "alice")})
    assert resp.status_code == 401
    assert resp.json()["code"] == "not_authenticated"


def test_bad_input_to_the_wallet_endpoints_is_a_clear_4xx(client, alice, evm):
    client.force_login(alice)
    assert post(client, "/api/wallet/nonce", {"address": "0xnothex"}).status_code == 400
    assert post(client, "/api/wallet/nonce", ["a list"]).status_code == 400
    resp = client.post("/api/wallet/nonce", data="{broken", content_type="application/json")
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_json"
    resp = client.post("/api/wallet/link", data={"message": "x"})
    assert resp.status_code == 415
    resp = post(client, "/api/wallet/link", {"message": 5, "signature": None})
    assert resp.status_code == 400
    assert client.get("/api/wallet/link").status_code == 405
    assert not Wallet.objects.exists()
    assert not SiweNonce.objects.filter(used_at__isnull=False).exists()


def test_a_wallet_alone_signs_in_and_gets_the_same_account_next_time(client, challenge):
    msg = challenge("dora")["message"]
    resp = post(client, "/api/wallet/login", {"message": msg, "signature": sign(msg, "dora")})
    assert resp.status_code == 200, resp.json()
    username = resp.json()["username"]
    assert (
        client.get("/api/rewards/summary").json()["wallet"]["address"] == wallet_of("dora").address
    )
    client.logout()
    msg = challenge("dora")["message"]
    resp = post(client, "/api/wallet/login", {"message": msg, "signature": sign(msg, "dora")})
    assert resp.json()["username"] == username
    assert Wallet.objects.count() == 1


def test_a_replayed_sign_in_is_refused(client, challenge):
    msg = challenge("dora")["message"]
    assert (
        post(
            client, "/api/wallet/login", {"message": msg, "signature": sign(msg, "dora")}
        ).status_code
        == 200
    )
    client.logout()
    resp = post(client, "/api/wallet/login", {"message": msg, "signature": sign(msg, "dora")})
    assert resp.status_code == 409
    assert client.get("/api/rewards/summary").status_code == 401


# --- the URI names this site's whole origin (D11) ---------------------------------


def _with_uri(msg: str, uri: str) -> str:
    return "\n".join(
        f"URI: {uri}" if line.startswith("URI: ") else line for line in msg.split("\n")
    )


@pytest.mark.parametrize(
    "uri",
    [
        "ftp://testserver/x",
        "javascript://testserver",
        "javascript://testserver/%0aalert(1)",
        "https://testserver",
        "http://testserver:8443/",
        "http://user@testserver/",
        "http://testserver.evil.example/",
        "http://evil.example/testserver",
        "ws://testserver/",
    ],
)
def test_a_message_whose_uri_is_not_this_origin_is_refused(client, alice, challenge, uri):
    forged = _with_uri(challenge()["message"], uri)
    _refused(client, alice, forged, sign(forged, "alice"), "wrong_uri", 403)


@pytest.mark.parametrize("uri", ["http://testserver/rewards/", "http://TestServer:80/"])
def test_a_uri_on_this_origin_is_accepted(client, alice, challenge, uri):
    msg = _with_uri(challenge()["message"], uri)
    client.force_login(alice)
    resp = post(client, "/api/wallet/link", {"message": msg, "signature": sign(msg, "alice")})
    assert resp.status_code == 200, resp.json()


def test_a_message_for_another_scheme_is_refused(client, alice, challenge):
    forged = "https://" + challenge()["message"]
    _refused(client, alice, forged, sign(forged, "alice"), "wrong_domain", 403)


def test_a_wallet_sign_in_checks_the_origin_too(client, challenge):
    forged = _with_uri(challenge("dora")["message"], "ftp://testserver/x")
    resp = post(client, "/api/wallet/login", {"message": forged, "signature": sign(forged, "dora")})
    assert resp.status_code == 403 and resp.json()["code"] == "wrong_uri"
    assert not Wallet.objects.exists()


# --- nonces are pruned, and the anonymous wallet endpoints throttled (D7) ----------


def test_issuing_a_nonce_deletes_the_expired_ones(evm):
    address = wallet_of("alice").address
    past = timezone.now() - timedelta(hours=2)
    for _ in range(3):
        wallets.siwe_challenge(address=address, domain=DOMAIN, scheme="http", now=past)
    SiweNonce.objects.filter(pk=SiweNonce.objects.first().pk).update(used_at=past)
    live = wallets.siwe_challenge(address=address, domain=DOMAIN, scheme="http")
    assert list(SiweNonce.objects.values_list("nonce", flat=True)) == [live["nonce"]]


def test_the_prune_function_keeps_nonces_that_can_still_be_used(evm):
    address = wallet_of("alice").address
    now = timezone.now()
    wallets.siwe_challenge(address=address, domain=DOMAIN, scheme="http", now=now)
    assert wallets.siwe_nonces_prune(now=now) == 0
    later = now + timedelta(seconds=601)
    assert wallets.siwe_nonces_prune(now=later) == 1
    assert not SiweNonce.objects.exists()


@pytest.fixture
def mid_window(monkeypatch):
    from datetime import UTC, datetime

    from datafi.accounts import throttle

    monkeypatch.setattr(throttle, "_clock", lambda: datetime(2026, 6, 15, 12, 5, 30, tzinfo=UTC))


def test_nonce_requests_are_throttled_per_address(client, evm, settings, mid_window):
    settings.THROTTLE_WALLET_NONCE = "3/1m,500/1d"
    body = {"address": wallet_of("mallory").address}
    for _ in range(3):
        assert post(client, "/api/wallet/nonce", body).status_code == 201
    resp = post(client, "/api/wallet/nonce", body)
    assert resp.status_code == 429
    assert resp.json()["code"] == "throttled" and "try again" in resp.json()["detail"]
    assert resp["Retry-After"] == "30"
    assert SiweNonce.objects.count() == 3
    other = client.post(
        "/api/wallet/nonce",
        data=json.dumps(body),
        content_type="application/json",
        REMOTE_ADDR="10.0.0.9",
    )
    assert other.status_code == 201


def test_wallet_sign_in_attempts_are_throttled_per_address(client, challenge, settings, mid_window):
    settings.THROTTLE_WALLET_LOGIN = "2/1m"
    msg = challenge("dora")["message"]
    for _ in range(2):
        resp = post(client, "/api/wallet/login", {"message": msg, "signature": sign(msg, "eve")})
        assert resp.status_code == 401
    resp = post(client, "/api/wallet/login", {"message": msg, "signature": sign(msg, "dora")})
    assert resp.status_code == 429 and resp.json()["code"] == "throttled"
    assert resp["Retry-After"] == "30"
    assert not Wallet.objects.exists()
    assert client.get("/api/rewards/summary").status_code == 401
