from django import forms
from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from datafi.api import ApiError
from evals import catalogue
from evals import selectors as evals_selectors
from evals.quality import services
from evals.quality.models import GoldPair, VoterAppeal, VoterFlag, VoterReliability


class GoldPairForm(forms.ModelForm):
    class Meta:
        model = GoldPair
        fields = ["answer_better", "answer_worse", "note", "is_active"]

    def clean(self):
        data = super().clean()
        better, worse = data.get("answer_better"), data.get("answer_worse")
        if better and worse:
            if better.pk == worse.pk:
                raise forms.ValidationError(_("A gold pair needs two different answers."))
            if better.prompt_id != worse.prompt_id:
                raise forms.ValidationError(_("The two answers must answer the same prompt."))
            if better.model_id == worse.model_id:
                raise forms.ValidationError(_("The two answers must come from different models."))
        return data


@admin.register(GoldPair)
class GoldPairAdmin(admin.ModelAdmin):
    form = GoldPairForm
    list_display = ("id", "prompt", "answer_better", "answer_worse", "is_active", "created_at")
    list_filter = ("is_active",)
    raw_id_fields = ("answer_better", "answer_worse")
    search_fields = ("prompt__key", "note")

    def save_model(self, request, obj, form, change):
        if change:
            # Only the note and the active switch change after creation.
            obj.prompt_id = obj.answer_better.prompt_id
            super().save_model(request, obj, form, change)
            catalogue.catalogue_changed()  # switched on or off: the serve's copy reloads
            return
        try:
            created = services.gold_pair_create(
                answer_better=obj.answer_better,
                answer_worse=obj.answer_worse,
                note=obj.note,
                created_by=request.user,
            )
        except ApiError as exc:
            raise forms.ValidationError(exc.detail) from exc
        obj.pk = created.pk

    def has_delete_permission(self, request, obj=None):
        return False  # battles point at gold pairs; switch them off instead


@admin.register(VoterReliability)
class VoterReliabilityAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "score",
        "votes",
        "gold_correct",
        "gold_total",
        "fast_votes",
        "excluded",
    )
    list_filter = ("excluded",)
    search_fields = ("user__username",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(VoterFlag)
class VoterFlagAdmin(admin.ModelAdmin):
    list_display = ("user", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("user__username",)
    readonly_fields = ("user", "reason", "evidence", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # flags are evidence: kept, never deleted


@admin.register(VoterAppeal)
class VoterAppealAdmin(admin.ModelAdmin):
    """Read-only record: decisions are taken on the quality dashboard, where clearing
    a flag also restores the votes and credits their points (the admin would not)."""

    list_display = ("user", "status", "created_at", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("user__username",)

    def get_readonly_fields(self, request, obj=None):
        return [*(f.name for f in self.model._meta.fields), "decision_covers"]

    @admin.display(description=_lazy("What the decision covers"))
    def decision_covers(self, obj):
        """Which votes a decision covers (those cast up to when the appeal was sent)
        and how many of them it changes, so the operator decides on what the voter saw."""
        if obj is None or obj.pk is None:
            return "-"
        coverage = evals_selectors.appeals_coverage(appeals=[obj])[obj.pk]
        lines = evals_selectors.appeal_coverage_words(appeal=obj, coverage=coverage)
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
