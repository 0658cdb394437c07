"""The export and the analytics CSV answer with their own content type, but read
request bodies as every other view does: a logged-in session's form post is a
4xx with a message. Their negotiation once handed any body to the JSON parser,
so Django's CSRF check, reading the form, crashed on "null" (a 500)."""

import pytest
from django.test import Client

BODIES = ["null", "[]", '"x"', "1", "format=arena-jsonl"]


def session_form_post(user, url: str, body: str):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/provider/")  # sets the CSRF cookie
    return client.post(
        url,
        data=body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )


@pytest.mark.parametrize("body", BODIES)
def test_a_form_post_to_the_export_is_refused(bob, votes, body):
    resp = session_form_post(bob, "/api/v1/datasets/export", body)
    assert resp.status_code in (405, 415), resp.content
    assert resp.json()["detail"]


@pytest.mark.parametrize("body", BODIES)
def test_a_form_post_to_the_analytics_csv_is_refused(bob, orgs, arena, body):
    model = arena["models"][0]  # Halcyon-9, bob's
    resp = session_form_post(bob, f"/api/v1/analytics/models/{model.slug}/csv", body)
    assert resp.status_code in (405, 415), resp.content
    assert resp.json()["detail"]
