"""Reads of the provider API, always scoped by the caller's ``Principal``."""

import hashlib
import hmac
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from evals.models import Battle, EvalModel, Prompt, PromptSet


def voter_pseudonym(public_id) -> str:
    """A stable, salted pseudonym for a voter: the same voter gets the same
    pseudonym in every export, and nobody without the salt can link it back."""
    # 32 hex digits whichever way the UUID arrives (object, or text from the
    # database with or without hyphens).
    handle = str(public_id).replace("-", "").lower()
    digest = hmac.new(
        settings.EXPORT_PSEUDONYM_SALT.encode(), handle.encode(), hashlib.sha256
    ).hexdigest()
    return f"arena_user_{digest[:16]}"


def models_for_principal(*, principal) -> QuerySet[EvalModel]:
    qs = EvalModel.objects.select_related("organization").annotate(answer_count=Count("answers"))
    if not principal.is_operator:
        qs = qs.filter(organization_id__in=principal.organization_ids)
    return qs.order_by("slug")


def model_for_principal(*, principal, slug: str) -> EvalModel | None:
    return models_for_principal(principal=principal).filter(slug=slug).first()


def prompt_sets_for_principal(*, principal) -> QuerySet[PromptSet]:
    qs = PromptSet.objects.annotate(prompt_count=Count("prompts"))
    if not principal.is_operator:
        qs = qs.filter(is_published=True)
    return qs.order_by("slug")


def prompts_in_set(*, prompt_set: PromptSet, unanswered_by: EvalModel | None = None):
    qs = Prompt.objects.filter(prompt_sets=prompt_set)
    if unanswered_by is not None:
        qs = qs.exclude(answers__model=unanswered_by)
    return qs.order_by("id")


def battles_for_principal(
    *,
    principal,
    model: EvalModel | None = None,
    opponent: EvalModel | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    category: str | None = None,
    language: str | None = None,
    excluded: bool | None = None,
    voted_only: bool = False,
) -> QuerySet[Battle]:
    """Battles the caller may read, newest last.

    A provider sees only closed battles (voted, abandoned or errored) in which
    one of its models fought: an open battle's id plus its models would let a
    provider tell a colluding voter which side is theirs.
    """
    qs = Battle.objects.select_related(
        "prompt", "model_a", "model_b", "voter", "vote", "answer_a", "answer_b"
    )
    if not principal.is_operator:
        own = principal.organization_ids
        qs = qs.filter(
            Q(model_a__organization_id__in=own) | Q(model_b__organization_id__in=own)
        ).exclude(status=Battle.Status.SERVED)
    if voted_only:
        qs = qs.filter(status=Battle.Status.REVEALED)
    if model is not None:
        qs = qs.filter(Q(model_a=model) | Q(model_b=model))
        if opponent is not None:
            qs = qs.filter(Q(model_a=model, model_b=opponent) | Q(model_a=opponent, model_b=model))
    elif opponent is not None:
        qs = qs.filter(Q(model_a=opponent) | Q(model_b=opponent))
    if since is not None:
        qs = qs.filter(served_at__gte=since)
    if until is not None:
        qs = qs.filter(served_at__lt=until)
    if category:
        qs = qs.filter(prompt__category=category)
    if language:
        qs = qs.filter(prompt__language=language)
    if excluded is not None:
        qs = qs.filter(excluded=excluded)
    return qs


def sampling_fairness(*, days: int, today: date | None = None) -> dict:
    """Each model's and provider's share of the battles served per day.

    A battle has two seats; a model's share is its seats over all seats that
    day, so the shares of a day sum to 1 (a battle between two models of the
    same provider gives that provider both seats).
    """
    today = today or timezone.now().date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=timezone.get_current_timezone())
    seats: dict[date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[date, int] = defaultdict(int)
    base = Battle.objects.filter(served_at__gte=start).annotate(day=TruncDate("served_at"))
    for side in ("model_a_id", "model_b_id"):
        for row in base.values("day", side).annotate(n=Count("id")).order_by():
            seats[row["day"]][row[side]] += row["n"]
            if side == "model_a_id":
                totals[row["day"]] += row["n"]
    models = {
        m.pk: m
        for m in EvalModel.objects.select_related("organization").filter(
            pk__in={mid for day in seats.values() for mid in day}
        )
    }
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        battles = totals.get(day, 0)
        all_seats = 2 * battles
        per_provider: dict[str, int] = defaultdict(int)
        model_rows = []
        for mid, n in sorted(seats.get(day, {}).items(), key=lambda kv: models[kv[0]].slug):
            m = models[mid]
            per_provider[m.organization.slug] += n
            model_rows.append(
                {
                    "model": m.slug,
                    "provider": m.organization.slug,
                    "battles": n,
                    "share": round(n / all_seats, 6),
                }
            )
        out.append(
            {
                "date": day,
                "battles": battles,
                "models": model_rows,
                "providers": [
                    {"provider": slug, "battles": n, "share": round(n / all_seats, 6)}
                    for slug, n in sorted(per_provider.items())
                ],
            }
        )
    return {"since": first, "until": today, "days": out}
