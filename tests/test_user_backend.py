"""The authentication backend is Django's own, under the name sessions carry."""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.backends import ModelBackend

from datafi.accounts.backends import UserBackend


def test_it_is_djangos_model_backend_with_nothing_overridden():
    # No private read path to break at the next Django upgrade.
    assert UserBackend.__bases__ == (ModelBackend,)
    assert set(vars(UserBackend)) <= {"__module__", "__doc__", "__qualname__", "__firstlineno__"}


def test_it_reads_the_user_and_refuses_unknown_and_inactive_ones(alice):
    backend = UserBackend()
    assert backend.get_user(alice.pk) == alice
    assert backend.get_user(alice.pk + 1000) is None
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert backend.get_user(alice.pk) is None


def test_logins_use_it_and_older_sessions_stay_valid(client, alice):
    alice.set_password("correct horse battery")
    alice.save()
    assert client.login(username="alice", password="correct horse battery")
    assert client.session[BACKEND_SESSION_KEY] == "datafi.accounts.backends.UserBackend"
    assert client.get("/api/arena/next", HTTP_ACCEPT="application/json").status_code != 401
    # A session made before this backend names Django's own: still logged in.
    client.force_login(alice, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/api/arena/next", HTTP_ACCEPT="application/json").status_code != 401
