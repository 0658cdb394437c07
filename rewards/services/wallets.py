"""Wallets: Sign-In With Ethereum nonces, verification, linking and wallet-only sign-in."""

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from datafi.accounts import services as account_services
from datafi.api import ApiError
from rewards import chain, siwe
from rewards.models import SiweNonce, Wallet

# Signed by the wallet and checked word for word: never translated.
STATEMENT = "Link this wallet to your datafi account to receive reward payouts."
_DEFAULT_PORTS = {"http": 80, "https": 443}


def expected_chain_id() -> int:

    return chain.chain_id()


def siwe_challenge(*, address: str, domain: str, scheme: str, now=None) -> dict:
    """Issue a single-use nonce and the exact EIP-4361 message for ``address`` to sign."""
    try:
        address = siwe.checksum(address)
    except siwe.SiweError:
        raise ApiError(
            "invalid_address", _("address must be a 0x-prefixed Ethereum address.")
        ) from None
    now = (now or timezone.now()).replace(microsecond=0)
    ttl = timedelta(seconds=settings.SIWE_NONCE_TTL)
    nonce = secrets.token_hex(16)
    # Each request inserts a row: drop the dead ones here, so the table stays
    # as small as the nonces that can still be used.
    siwe_nonces_prune(now=now)
    SiweNonce.objects.create(nonce=nonce, created_at=now, expires_at=now + ttl)
    message = siwe.SiweMessage(
        domain=domain,
        address=address,
        statement=STATEMENT,
        uri=f"{scheme}://{domain}",
        version="1",
        chain_id=expected_chain_id(),
        nonce=nonce,
        issued_at=now,
        expiration_time=now + ttl,
    )
    return {"message": message.text(), "nonce": nonce, "expires_at": (now + ttl).isoformat()}


def siwe_nonces_prune(*, now=None) -> int:
    """Delete nonces that expired (used or not); return how many.

    An expired nonce can never be spent again (spending checks expires_at), so a
    message carrying one is refused whether its row is kept or not.
    """
    deleted, _by_model = SiweNonce.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


def _origin(scheme: str, netloc: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, the port spelt out; None if unreadable."""
    parts = urlsplit(f"{scheme}://{netloc}")
    try:
        port = parts.port
    except ValueError:
        return None
    if parts.username is not None or parts.password is not None or not parts.hostname:
        return None
    scheme = scheme.lower()
    return scheme, parts.hostname, port or _DEFAULT_PORTS.get(scheme, 0)


def _uri_is_on_site(uri: str, *, scheme: str, domain: str) -> bool:
    # The whole origin: scheme, host and port. Comparing the text after "://"
    # let ftp://<host>/x and javascript://<host> through.
    parts = urlsplit(uri)
    if parts.scheme.lower() not in _DEFAULT_PORTS:
        return False
    got = _origin(parts.scheme, parts.netloc)
    return got is not None and got == _origin(scheme, domain)


def siwe_verify(
    *, message: str, signature: str, domain: str, scheme: str = "http", now=None
) -> str:
    """Check a signed SIWE message and consume its nonce; returns the signer's address.

    ``domain`` and ``scheme`` are this site's (views pass the request's); the
    message's URI must be on that origin. Must run inside a transaction so the
    nonce is spent only if the caller's write (link, sign-in) commits too.
    """
    now = now or timezone.now()
    if not isinstance(message, str) or not isinstance(signature, str):
        raise ApiError("invalid_input", _("message and signature are required strings."))
    try:
        parsed = siwe.parse(message)
    except siwe.SiweError as exc:
        raise ApiError(
            "malformed_message",
            _("Not an EIP-4361 message: %(problem)s.") % {"problem": exc},
        ) from None
    if parsed.domain != domain:
        raise ApiError(
            "wrong_domain",
            _("The message is for %(theirs)s, this is %(ours)s.")
            % {"theirs": repr(parsed.domain), "ours": repr(domain)},
            403,
        )
    if parsed.scheme is not None and parsed.scheme.lower() != scheme.lower():
        raise ApiError(
            "wrong_domain",
            _("The message is for %(theirs)s://, this is %(ours)s://.")
            % {"theirs": parsed.scheme, "ours": scheme},
            403,
        )
    if not _uri_is_on_site(parsed.uri, scheme=scheme, domain=domain):
        raise ApiError(
            "wrong_uri",
            _("The message's URI is not on this site (%(site)s).")
            % {"site": f"{scheme}://{domain}"},
            403,
        )
    if parsed.chain_id != expected_chain_id():
        raise ApiError(
            "wrong_chain",
            _("The message is for chain %(theirs)s, payouts are on %(ours)s.")
            % {"theirs": parsed.chain_id, "ours": expected_chain_id()},
            403,
        )
    skew = timedelta(seconds=settings.SIWE_CLOCK_SKEW)
    if parsed.issued_at > now + skew:
        raise ApiError("not_yet_valid", _("The message is issued in the future."), 401)
    if parsed.not_before is not None and parsed.not_before > now + skew:
        raise ApiError("not_yet_valid", _("The message is not valid yet."), 401)
    if parsed.expiration_time is None:
        raise ApiError("no_expiry", _("The message must carry an Expiration Time."), 400)
    if parsed.expiration_time <= now:
        raise ApiError("expired", _("The message has expired; ask for a new one."), 401)
    try:
        signer = siwe.recover_address(message, signature)
    except siwe.SiweError as exc:
        raise ApiError("bad_signature", str(exc), 401) from None
    if signer != siwe.checksum(parsed.address):
        raise ApiError("bad_signature", _("The signature is not from the message's address."), 401)
    # Consume the nonce last and conditionally: of two requests replaying the
    # same signed message, exactly one changes the row.
    spent = SiweNonce.objects.filter(
        nonce=parsed.nonce, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if spent != 1:
        known = SiweNonce.objects.filter(nonce=parsed.nonce).first()
        if known is None:
            raise ApiError("unknown_nonce", _("This nonce was not issued here."), 401)
        if known.used_at is not None:
            raise ApiError("nonce_used", _("This message was already used."), 409)
        raise ApiError("expired", _("The nonce has expired; ask for a new one."), 401)
    return signer


@transaction.atomic(durable=True)
def wallet_link(
    *, user, message: str, signature: str, domain: str, scheme: str = "http", now=None
) -> Wallet:
    """Link the wallet that signed ``message`` to ``user`` (replacing any earlier one)."""
    now = now or timezone.now()
    # The user's row lock, which an account deletion holds: a link racing the
    # deletion waits for it and then finds the account closed.
    if user.pk not in account_services.users_lock_active(user_ids=[user.pk]):
        raise ApiError("inactive", _("This account is disabled."), 403)
    address = siwe_verify(
        message=message, signature=signature, domain=domain, scheme=scheme, now=now
    )
    owner = Wallet.objects.select_for_update().filter(address=address).first()
    if owner is not None and owner.user_id != user.id:
        raise ApiError("wallet_taken", _("This wallet is linked to another account."), 409)
    if owner is not None:
        return owner
    try:
        with transaction.atomic():
            wallet, _created = Wallet.objects.update_or_create(
                user=user, defaults={"address": address, "linked_at": now}
            )
    except IntegrityError:
        raise ApiError(
            "wallet_taken", _("This wallet is linked to another account."), 409
        ) from None
    return wallet


@transaction.atomic(durable=True)
def wallet_sign_in(*, message: str, signature: str, domain: str, scheme: str = "http", now=None):
    """The user owning the signing wallet, created (with the wallet linked) on first sign-in."""

    now = now or timezone.now()
    address = siwe_verify(
        message=message, signature=signature, domain=domain, scheme=scheme, now=now
    )
    wallet = Wallet.objects.select_related("user").filter(address=address).first()
    if wallet is not None:
        if not wallet.user.is_active:
            raise ApiError("inactive", _("This account is disabled."), 403)
        return wallet.user
    user = account_services.user_create_unique(base=f"wallet-{address[2:10].lower()}")
    Wallet.objects.create(user=user, address=address, linked_at=now)
    return user
