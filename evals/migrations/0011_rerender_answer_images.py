"""Answers rendered before images were dropped (an <img> in an answer loaded a
provider's server before the vote) are rendered again with today's sanitiser."""

from django.db import migrations


def rerender(apps, schema_editor):
    from evals import markdown

    Answer = apps.get_model("evals", "Answer")
    for answer in Answer.objects.filter(html__icontains="<img").iterator(chunk_size=500):
        answer.html = markdown.render(answer.text)
        answer.save(update_fields=["html"])


class Migration(migrations.Migration):
    dependencies = [("evals", "0010_verbose_names")]

    operations = [migrations.RunPython(rerender, migrations.RunPython.noop)]
