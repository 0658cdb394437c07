"""Migration 0011 renders again the answers stored with an <img>."""

import importlib

import pytest
from django.apps import apps

pytestmark = pytest.mark.django_db


def test_an_answer_stored_with_an_image_loses_it(arena):
    from evals.models import Answer

    answer = Answer.objects.first()
    Answer.objects.filter(pk=answer.pk).update(
        text="See ![pixel](http://provider.example/p.png?m=1) here.",
        html='<p>See <img src="http://provider.example/p.png?m=1" alt="pixel"> here.</p>',
    )
    migration = importlib.import_module("evals.migrations.0011_rerender_answer_images")
    migration.rerender(apps, None)
    html = Answer.objects.get(pk=answer.pk).html
    assert "<img" not in html and "provider.example" not in html
    assert "pixel" in html
