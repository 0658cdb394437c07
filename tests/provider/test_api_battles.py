import datetime as dt

import pytest
from django.utils import timezone

from evals.models import Battle
from evals.provider.selectors import voter_pseudonym
from tests.provider.helpers import auth, make_key, org_battles


def ids(resp):
    return [b["id"] for b in resp.json()["results"]]


def all_pages(client, url, key):
    out = []
    while url:
        resp = client.get(url, **auth(key))
        assert resp.status_code == 200, resp.content
        out += ids(resp)
        url = resp.json()["next"]
    return out


def test_a_provider_reads_only_closed_battles_its_models_fought(client, orgs, bob_key, votes):
    mine = org_battles(votes["battles"], orgs["zephyrine"])
    assert 0 < len(mine) < len(votes["battles"])
    got = all_pages(client, "/api/v1/battles?page_size=3", bob_key)
    assert sorted(got) == sorted(str(b.id) for b in mine)
    assert len(got) == len(set(got))
    assert str(votes["open"].id) not in got  # still open: a provider must not see it


def test_battles_come_oldest_first_with_vote_and_pseudonymous_judge(client, bob_key, votes):
    results = client.get("/api/v1/battles", **auth(bob_key)).json()["results"]
    served = [r["served_at"] for r in results]
    assert served == sorted(served)
    first = Battle.objects.select_related("voter").get(pk=results[0]["id"])
    assert results[0]["judge"] == voter_pseudonym(first.voter.public_id)
    assert str(first.voter.public_id) not in str(results)
    assert results[0]["vote"]["reasons"] == ["more_helpful"]
    assert results[0]["prompt"]["key"] == first.prompt.key
    assert results[0]["answer_a"] == first.answer_a.text


def test_the_battle_list_costs_a_fixed_number_of_queries(
    client, bob_key, votes, django_assert_num_queries
):
    client.get("/api/v1/me", **auth(bob_key))  # last_used_at written
    with django_assert_num_queries(2):  # the key, one page with everything joined
        client.get("/api/v1/battles?page_size=2", **auth(bob_key))
    with django_assert_num_queries(2):
        client.get("/api/v1/votes", **auth(bob_key))


def test_the_filters_narrow_the_list(client, orgs, bob_key, votes):
    mine = org_battles(votes["battles"], orgs["zephyrine"])
    with_halcyon = [b for b in mine if "halcyon-9" in (b.model_a.slug, b.model_b.slug)]
    got = all_pages(client, "/api/v1/battles?model=halcyon-9", bob_key)
    assert sorted(got) == sorted(str(b.id) for b in with_halcyon)
    vs_orbisque = [b for b in with_halcyon if "orbisque-xl" in (b.model_a.slug, b.model_b.slug)]
    got = all_pages(client, "/api/v1/battles?model=halcyon-9&opponent=orbisque-xl", bob_key)
    assert sorted(got) == sorted(str(b.id) for b in vs_orbisque)
    got = all_pages(client, "/api/v1/battles?excluded=true", bob_key)
    expected = [str(votes["excluded"].id)] if votes["excluded"] in mine else []
    assert got == expected
    got = all_pages(client, "/api/v1/battles?excluded=false", bob_key)
    assert str(votes["excluded"].id) not in got
    got = all_pages(client, "/api/v1/battles?language=fr", bob_key)
    assert sorted(got) == sorted(str(b.id) for b in mine if b.prompt.language == "fr")
    got = all_pages(client, "/api/v1/battles?category=coding", bob_key)
    assert sorted(got) == sorted(str(b.id) for b in mine if b.prompt.category == "coding")
    future = (timezone.now() + dt.timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert all_pages(client, f"/api/v1/battles?since={future}", bob_key) == []
    assert len(all_pages(client, f"/api/v1/battles?until={future}", bob_key)) == len(mine)


def test_votes_are_the_voted_battles_in_vote_order(client, orgs, bob_key, votes):
    got = all_pages(client, "/api/v1/votes?page_size=2", bob_key)
    mine = org_battles(votes["battles"], orgs["zephyrine"])
    assert sorted(got) == sorted(str(b.id) for b in mine)
    voted_at = {str(b.id): b.pk for b in mine}
    assert set(got) == set(voted_at)


def test_an_operator_reads_every_battle(client, carol, votes):
    carol.is_staff = True
    carol.save()
    client.force_login(carol)
    resp = client.get("/api/v1/battles?page_size=100")
    assert len(resp.json()["results"]) == len(votes["battles"]) + 1  # and the open one


def test_another_organisation_sees_none_of_the_zephyrine_only_battles(
    client, orgs, mallory_key, votes
):
    got = set(all_pages(client, "/api/v1/battles", mallory_key))
    for b in votes["battles"]:
        both_zephyrine = {b.model_a.organization_id, b.model_b.organization_id} == {
            orgs["zephyrine"].pk
        }
        assert (str(b.id) in got) is not both_zephyrine


@pytest.mark.parametrize(
    "query,code",
    [
        ("since=yesterday", "invalid"),
        ("category=astrology", "invalid"),
        ("excluded=maybe", "invalid"),
        ("page_size=0", "invalid"),
        ("page_size=abc", "invalid"),
        ("language=en&language=fr", "repeated_parameter"),
        ("language=" + "x" * 20, "invalid"),
    ],
)
def test_malformed_filters_are_a_400(client, bob_key, votes, query, code):
    resp = client.get(f"/api/v1/battles?{query}", **auth(bob_key))
    assert resp.status_code == 400, resp.content
    assert resp.json()["code"] == code


def test_a_forged_cursor_is_a_404(client, bob_key, votes):
    resp = client.get("/api/v1/battles?cursor=bz14", **auth(bob_key))
    assert resp.status_code == 404 and resp.json()["code"] == "not_found"


def test_reading_battles_needs_the_data_scope(client, orgs, votes):
    key = make_key(orgs["zephyrine"], scopes=["models:write"])
    assert client.get("/api/v1/battles", **auth(key)).status_code == 403
    assert client.get("/api/v1/votes", **auth(key)).status_code == 403


# --- sampling fairness ------------------------------------------------------------------


@pytest.fixture
def midday(time_machine):
    """Today at noon UTC, the clock running: a run that straddled midnight counted the
    fixture's battles on one day and asked for the next."""
    noon = dt.datetime.combine(timezone.now().date(), dt.time(12), tzinfo=dt.UTC)
    time_machine.move_to(noon, tick=True)


def test_fairness_is_public_and_shares_sum_to_one(midday, client, votes):
    resp = client.get("/api/v1/fairness?days=3")
    assert resp.status_code == 200
    days = resp.json()["days"]
    assert len(days) == 3
    today = days[-1]
    assert today["date"] == timezone.now().date().isoformat()
    # The open battle is not counted: counting it would name its pair.
    assert today["battles"] == Battle.objects.filter(status="revealed").count() == 12
    assert sum(m["battles"] for m in today["models"]) == 24
    # Each share is rounded to 6 decimals: the sum is 1 within half a unit per model.
    models = today["models"]
    assert abs(sum(m["share"] for m in models) - 1) <= len(models) * 0.5e-6 + 1e-12
    providers = today["providers"]
    assert abs(sum(p["share"] for p in providers) - 1) <= len(providers) * 0.5e-6 + 1e-12
    assert {p["provider"] for p in today["providers"]} == {"zephyrine-labs", "quorvex-ai"}
    assert days[0]["battles"] == 0 and days[0]["models"] == []


@pytest.mark.parametrize("query", ["days=0", "days=400", "days=x"])
def test_fairness_rejects_bad_ranges(client, db, query):
    resp = client.get(f"/api/v1/fairness?{query}")
    assert resp.status_code == 400 and resp.json()["code"] == "invalid"


def test_fairness_with_a_revoked_key_is_a_401(client, revoked_key):
    assert client.get("/api/v1/fairness", **auth(revoked_key)).status_code == 401


@pytest.mark.parametrize("value", ["", "null", "maybe"])
def test_an_empty_or_unknown_excluded_filter_is_a_400(client, bob_key, votes, value):
    resp = client.get(f"/api/v1/battles?excluded={value}", **auth(bob_key))
    assert resp.status_code == 400 and resp.json()["code"] == "invalid"
