"""Operator dashboard (staff only) and the public fairness report and API."""

import pytest

from datafi.flows import fold
from evals import services
from tests.evals.quality_support import cast, clock


@pytest.fixture
def staff(db, django_user_model):
    from datafi.accounts.services import user_create

    user = user_create(username="olga", password="correct horse battery staple")
    user.is_staff = True
    user.save()
    return user


def test_the_dashboard_sends_visitors_to_log_in(client, db):
    resp = client.get("/quality/")
    assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")


def test_the_dashboard_is_forbidden_to_voters(client, alice):
    client.force_login(alice)
    assert client.get("/quality/").status_code == 403


def test_the_dashboard_shows_flagged_voters_with_their_evidence(client, staff, arena, mallory):
    c = clock()
    for _ in range(10):
        cast(mallory, c, seconds=0.2)
    client.force_login(staff)
    resp = client.get("/quality/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "mallory" in html and "too_fast" in html and "p_fast_rate_above" in html
    assert "excluded" in html and "unreliable voter" in html
    assert "<svg" in html and "Reliability distribution" in html


def test_the_dashboard_reads_a_fixed_number_of_queries(client, staff, arena, mallory):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = clock()
    for _ in range(10):
        cast(mallory, c, seconds=0.2)
    client.force_login(staff)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/quality/").status_code == 200
    first = len(ctx.captured_queries)
    for _ in range(10):
        cast(mallory, c, seconds=25)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/quality/").status_code == 200
    assert len(ctx.captured_queries) == first


def test_fairness_shares_add_up_per_day(client, arena, alice, bob, carol):
    for user in (alice, bob, carol):
        battle = services.battle_serve(user=user)
        fold.vote_cast(user=user, battle_id=battle.id, choice="tie")
    data = client.get("/api/quality/fairness?days=2").json()
    assert len(data["days"]) == 2
    today = data["days"][-1]
    assert today["battles"] == 3
    assert sum(m["share"] for m in today["models"]) == pytest.approx(1.0)
    assert sum(p["share"] for p in today["providers"]) == pytest.approx(1.0)
    assert {p["provider"] for p in today["providers"]} <= {"zephyrine-labs", "quorvex-ai"}
    page = client.get("/quality/fairness/?days=2")
    assert (
        page.status_code == 200
        and b"Zephyrine Labs" in page.content
        or b"Quorvex AI" in (page.content)
    )


@pytest.mark.parametrize("days", ["0", "91", "abc", "-1", "2.5"])
def test_fairness_rejects_bad_days_with_a_400(client, db, days):
    resp = client.get(f"/api/quality/fairness?days={days}")
    assert resp.status_code == 400 and resp.json()["code"] == "invalid_days"
    assert client.get(f"/quality/fairness/?days={days}").status_code == 400


def test_fairness_takes_only_get(client, db):
    assert client.post("/api/quality/fairness").status_code == 405
