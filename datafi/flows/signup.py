"""A voter signs up: the account (accounts), the languages they read (evals) and
whether their votes may be sold in datasets (market)."""

from django.db import transaction

from datafi.accounts import services as accounts
from datafi.market import services as market
from evals import services as evals


def voter_signup(
    *, username: str, password: str, email: str = "", languages=(), sell_data: bool = False
):
    """Create the account, record its languages and its answer on selling its data,
    together or not at all.

    No language (a client that sent none and a browser that named none we
    serve): the voter has not said, and any language is served.
    """
    with transaction.atomic():
        user = accounts.user_create(username=username, password=password, email=email)
        if languages:
            evals.voter_languages_set(user=user, languages=list(languages))
        # Asked at sign-up: an unticked box is a "no" that was asked, not "never asked".
        market.consent_set(user=user, agreed=bool(sell_data), source="signup")
    return user
