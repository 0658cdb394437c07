"""The operators' admin is branded and its names are spelt right."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_admin_says_datafi_operations_and_models_under_evaluation(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "datafi operations" in html and "Django administration" not in html
    assert "Models under evaluation" in html
    assert "Model under evaluations" not in html


def test_no_model_is_named_with_a_made_up_plural():
    from django.apps import apps

    evals = apps.get_app_config("evals")
    wrong = [m._meta.verbose_name_plural for m in evals.get_models()]
    assert "model under evaluations" not in wrong


def test_no_model_of_ours_has_a_made_up_plural():
    import re

    from django.apps import apps

    ours = [apps.get_app_config(label) for label in ("evals", "ratings", "rewards", "accounts")]
    wrong = [
        str(m._meta.verbose_name_plural)
        for app in ours
        for m in app.get_models()
        # "entrys", "leafs", "chain txs": a plural Django made by adding an s
        if re.search(r"([^aeiou]ys|leafs|xs)$", str(m._meta.verbose_name_plural))
    ]
    assert wrong == []
