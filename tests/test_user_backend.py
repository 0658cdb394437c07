"""The authentication backend reads the logged-in user with a raw select."""

from django.contrib.auth import BACKEND_SESSION_KEY

from datafi.accounts.backends import UserBackend


def test_it_reads_the_user_by_primary_key_with_every_field(alice):
    user = UserBackend().get_user(str(alice.pk))
    assert user == alice
    assert (user.username, user.is_active, user.date_joined) == (
        alice.username,
        alice.is_active,
        alice.date_joined,
    )
    assert user.get_session_auth_hash() == alice.get_session_auth_hash()


def test_it_refuses_unknown_malformed_and_inactive_users(alice):
    backend = UserBackend()
    assert backend.get_user(str(alice.pk + 1000)) is None
    assert backend.get_user("1; DROP TABLE accounts_user") is None
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert backend.get_user(str(alice.pk)) is None


def test_logins_use_it_and_older_sessions_stay_valid(client, alice):
    alice.set_password("correct horse battery")
    alice.save()
    assert client.login(username="alice", password="correct horse battery")
    assert client.session[BACKEND_SESSION_KEY] == "datafi.accounts.backends.UserBackend"
    assert client.get("/api/arena/next", HTTP_ACCEPT="application/json").status_code != 401
    # A session made before this backend names Django's own: still logged in.
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/api/arena/next", HTTP_ACCEPT="application/json").status_code != 401
