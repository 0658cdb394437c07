"""Log-in throttling (django-axes): per account and per address, with back-off."""

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

pytestmark = pytest.mark.django_db

RIGHT = "correct horse battery staple"
LOGIN = "/accounts/login/"


def attempt(client, username, password, address="10.0.0.1", **headers):
    return client.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_it_refuses_a_run_of_wrong_passwords_and_then_the_right_one(client, alice):
    refused = 0
    for i in range(50):
        resp = attempt(client, "alice", f"wrong {i}")
        refused += resp.status_code == 429
    # The first nine failures are answered as wrong passwords, every later try is refused.
    assert refused == 50 - 9
    resp = attempt(client, "alice", RIGHT)
    assert resp.status_code == 429
    assert not logged_in(client)


def test_the_locked_out_person_reads_what_happened_and_when_to_retry(client, alice):
    for i in range(10):
        resp = attempt(client, "alice", f"wrong {i}")
    assert resp.status_code == 429
    assert int(resp["Retry-After"]) == 15 * 60
    page = resp.content.decode()
    assert "too many failed attempts" in page and "try again in about 15 minutes" in page
    assert "UTC" in page and "reset it" in page


def test_api_clients_get_the_json_error_shape(client, alice):
    for i in range(10):
        resp = attempt(client, "alice", f"wrong {i}", HTTP_ACCEPT="application/json")
    assert resp.status_code == 429
    assert resp.json()["code"] == "throttled" and "try again" in resp.json()["detail"]
    assert resp["Retry-After"] == str(15 * 60)


def test_it_locks_one_account_tried_from_many_addresses(client, alice):
    for i in range(10):
        attempt(client, "alice", f"wrong {i}", address=f"10.1.0.{i}")
    resp = attempt(client, "alice", RIGHT, address="10.9.9.9")
    assert resp.status_code == 429 and not logged_in(client)


def test_it_locks_one_address_trying_many_accounts(client, alice, bob):
    for i in range(10):
        attempt(client, f"someone{i}", "guess", address="10.2.0.1")
    resp = attempt(client, "bob", RIGHT, address="10.2.0.1")
    assert resp.status_code == 429 and not logged_in(client)
    # Another address is not held responsible.
    resp = attempt(client, "bob", RIGHT, address="10.2.0.2")
    assert resp.status_code == 302 and logged_in(client)


def test_a_few_mistakes_do_not_lock_anyone_out(client, alice):
    for i in range(9):
        assert attempt(client, "alice", f"wrong {i}").status_code == 200
    resp = attempt(client, "alice", RIGHT)
    assert resp.status_code == 302 and logged_in(client)


def test_the_wait_doubles_while_someone_keeps_trying(client, alice):
    waits = []
    for i in range(40):
        resp = attempt(client, "alice", f"wrong {i}")
        if (i + 1) % 10 == 0:
            waits.append(int(resp["Retry-After"]))
    assert waits == [15 * 60, 30 * 60, 60 * 60, 120 * 60]


def test_the_wait_is_capped(client, alice, settings):
    settings.LOGIN_LOCKOUT_MAX_MINUTES = 40
    for i in range(40):
        resp = attempt(client, "alice", f"wrong {i}")
    assert int(resp["Retry-After"]) == 40 * 60


def test_log_in_works_again_once_the_wait_is_over(client, alice):
    for i in range(10):
        attempt(client, "alice", f"wrong {i}")
    assert attempt(client, "alice", RIGHT).status_code == 429
    # The refused try restarted the wait; let it pass.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timezone.timedelta(minutes=16))
    resp = attempt(client, "alice", RIGHT)
    assert resp.status_code == 302 and logged_in(client)


def test_the_admin_log_in_is_throttled_too(client, alice):
    for i in range(10):
        client.post(
            "/admin/login/", {"username": "alice", "password": f"wrong {i}"}, REMOTE_ADDR="10.3.0.1"
        )
    resp = attempt(client, "alice", RIGHT, address="10.3.0.2")
    assert resp.status_code == 429


def test_the_test_client_and_force_login_still_work(client, alice):
    assert client.login(username="alice", password=RIGHT)
    client.logout()
    assert not client.login(username="alice", password="wrong")
    client.force_login(alice)
    assert client.get("/api/rewards/summary").status_code != 401


def test_a_long_run_does_not_grow_the_attempt_record_without_bound(client, alice):
    for i in range(40):
        attempt(client, "alice", f"wrong {i}" + "x" * 200)
    (row,) = AccessAttempt.objects.all()
    assert row.failures_since_start == 40
    assert len(row.post_data) <= 2048 and len(row.get_data) <= 2048
    # The latest tries are kept, passwords masked.
    assert row.post_data.endswith("password=********************")
    assert "wrong" not in row.post_data
