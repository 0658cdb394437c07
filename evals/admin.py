from django import forms
from django.contrib import admin, messages
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from datafi.api import ApiError
from evals import catalogue, identity, markdown, selectors
from evals.models import (
    Answer,
    Battle,
    EvalModel,
    PairStat,
    Prompt,
    PromptSet,
    Vote,
    VoterPreference,
)
from evals.provider import selectors as provider_selectors
from evals.provider import services as provider_services

# The operator's console, named as such (Django's default says "Django administration").
admin.site.site_header = gettext_lazy("datafi operations")
admin.site.site_title = gettext_lazy("datafi operations")
admin.site.index_title = gettext_lazy("Operations")


class ApprovalQueueFilter(admin.SimpleListFilter):
    """The review queue: models waiting for an operator, oldest first."""

    title = gettext_lazy("approval")
    parameter_name = "approval"

    def lookups(self, request, model_admin):
        return EvalModel.Approval.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(approval=self.value()).order_by("created_at")
        return queryset


class ModelReviewForm(forms.Form):
    # The intermediate page of the approve/reject actions: the reason is what
    # the provider reads through the API, and it is recorded with the reviewer.
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ServedContentAdmin(admin.ModelAdmin):
    """Admin of what voters can be served (models, prompts, answers): every change
    tells the serving processes to reload their copy (evals.catalogue)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        catalogue.catalogue_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalogue.catalogue_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        catalogue.catalogue_changed()


@admin.register(EvalModel)
class EvalModelAdmin(ServedContentAdmin):
    list_display = (
        "name",
        "organization",
        "status",
        "approval",
        "prerelease",
        "live_endpoint",
        "reviewed_by",
        "created_at",
    )
    list_filter = (ApprovalQueueFilter, "status", "prerelease", "organization")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    # Pre-release testing starts and ends through datafi.flows.prerelease (the
    # API), which publishes the commitment and the disclosure: never by an edit.
    readonly_fields = (
        "approval",
        "approval_reason",
        "reviewed_by",
        "reviewed_at",
        "prerelease",
        "codename",
        "testing_started_at",
        "testing_ended_at",
    )

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and obj.prerelease == EvalModel.Prerelease.TESTING:
            # Renaming would drop the codename, retiring would skip the disclosure.
            return (*fields, "name", "slug", "status", "organization")
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        if obj is not None and obj.prerelease == EvalModel.Prerelease.TESTING:
            return {}  # its slug is read-only then
        return super().get_prepopulated_fields(request, obj)

    actions = ["approve", "reject"]

    @admin.display(description="live endpoint (last probe)")
    def live_endpoint(self, obj):
        # What the review queue needs to judge a live model: does it answer?
        return provider_selectors.endpoint_probe_summary(model=obj)

    def save_model(self, request, obj, form, change):
        renamed = change and bool({"name", "slug"} & set(form.changed_data))
        if renamed:
            # Before the row, as a provider's rename takes them.
            provider_services.names_lock()
        super().save_model(request, obj, form, change)
        if not change:
            # An operator adding a model here has reviewed it by doing so.
            provider_services.model_approve(
                model=obj, by=request.user, reason="added by an operator in the admin"
            )
        elif renamed:
            # The model stays approved and is served under the new name: the
            # answers that show it must not be (a rename here skipped that).
            provider_services.model_renamed_by_operator_locked(model=obj)

    def _review(self, request, queryset, *, approve: bool):
        verb = "approve" if approve else "reject"
        if "apply" in request.POST:
            form = ModelReviewForm(request.POST)
            if form.is_valid():
                reason = form.cleaned_data["reason"]
                withheld = restored = count = 0
                refused = []
                # Each model on its own: one refused (renamed since it was shown, a
                # taken name) is reported by name, and the others are still reviewed.
                for model in queryset:
                    # The name this page showed the operator (the review is of it).
                    shown = request.POST.get(f"shown_name_{model.pk}")
                    try:
                        if approve:
                            review = provider_services.model_approve(
                                model=model, by=request.user, reason=reason, shown_name=shown
                            )
                        else:
                            review = provider_services.model_reject(
                                model=model, by=request.user, reason=reason, shown_name=shown
                            )
                    except ApiError as exc:
                        refused.append(f"{shown or model.name}: {exc.detail}")
                        continue
                    count += 1
                    withheld += review.withheld
                    restored += review.restored
                if refused:
                    self.message_user(
                        request,
                        ngettext(
                            "%(n)d model was left as it was: %(why)s",
                            "%(n)d models were left as they were: %(why)s",
                            len(refused),
                        )
                        % {"n": len(refused), "why": " ".join(refused)},
                        level=messages.ERROR,
                    )
                if not count:
                    return None
                if approve:
                    done = ngettext("%(n)d model: approved.", "%(n)d models: approved.", count)
                    answers = ngettext(
                        "%(n)d answer that shows an approved name was withheld.",
                        "%(n)d answers that show an approved name were withheld.",
                        withheld,
                    ) % {"n": withheld}
                else:
                    done = ngettext("%(n)d model: rejected.", "%(n)d models: rejected.", count)
                    answers = ngettext(
                        "%(n)d answer withheld for a rejected name was restored.",
                        "%(n)d answers withheld for a rejected name were restored.",
                        restored,
                    ) % {"n": restored}
                self.message_user(request, f"{done % {'n': count}} {answers}")
                return None
        form = ModelReviewForm()
        return render(
            request,
            "admin/evals/model_review.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Approve models") if approve else _("Reject models"),
                "models": queryset,
                "live": {
                    row["model"].pk: row for row in provider_selectors.live_models_review(queryset)
                },
                "form": form,
                "action": verb,
                "reason_required": not approve,
                "opts": self.model._meta,
            },
        )

    @admin.action(description=gettext_lazy("Approve the selected models (they enter the arena)"))
    def approve(self, request, queryset):
        return self._review(request, queryset, approve=True)

    @admin.action(
        description=gettext_lazy("Reject the selected models (with a reason for the provider)")
    )
    def reject(self, request, queryset):
        return self._review(request, queryset, approve=False)


@admin.register(Prompt)
class PromptAdmin(ServedContentAdmin):
    list_display = ("key", "category", "language", "source", "is_active", "created_at")
    list_filter = ("category", "language", "source", "is_active")
    search_fields = ("key", "text")


@admin.register(Answer)
class AnswerAdmin(ServedContentAdmin):
    list_display = ("id", "prompt", "model", "token_count", "withheld_reason", "created_at")
    list_filter = ("model",)
    search_fields = ("text", "prompt__key")
    raw_id_fields = ("prompt",)

    readonly_fields = ("withheld_reason",)

    def save_model(self, request, obj, form, change):
        # Operators edit the Markdown; the stored HTML must follow it.
        obj.html = markdown.render(obj.text)
        # Same identity check as every other way in: an answer that names a
        # model or provider is kept but never served before the vote.
        obj.withheld_reason = identity.withheld_reason(obj.text, identity.leak_pattern(obj.model))
        super().save_model(request, obj, form, change)
        if obj.withheld_reason:
            self.message_user(
                request,
                # Translators: %(reason)s is the stored (English) reason.
                _("Saved, but withheld from voters: %(reason)s.") % {"reason": obj.withheld_reason},
                level=messages.WARNING,
            )


class VoteInline(admin.StackedInline):
    model = Vote
    extra = 0
    can_delete = False
    readonly_fields = ("choice", "reasons", "time_to_vote_ms", "created_at")


@admin.register(Battle)
class BattleAdmin(admin.ModelAdmin):
    list_display = ("id", "voter", "model_a", "model_b", "status", "excluded", "served_at")
    list_filter = ("status", "mode", "excluded")
    search_fields = ("id", "voter__username")
    raw_id_fields = ("prompt", "answer_a", "answer_b", "voter")
    readonly_fields = ("served_at", "voted_at", "revealed_at")
    inlines = [VoteInline]


@admin.register(Vote)
class VoteAdmin(admin.ModelAdmin):
    list_display = ("battle", "choice", "time_to_vote_ms", "created_at")
    list_filter = ("choice",)
    readonly_fields = ("battle", "choice", "reasons", "time_to_vote_ms", "created_at")

    def has_add_permission(self, request):
        return False  # votes come from voters, through the vote service


@admin.register(PairStat)
class PairStatAdmin(admin.ModelAdmin):
    list_display = ("model_lo", "model_hi", "served", "voted")
    readonly_fields = ("model_lo", "model_hi", "served", "voted")

    def get_queryset(self, request):
        return selectors.pair_stats_with_served(super().get_queryset(request))

    @admin.display(description=gettext_lazy("battles served"), ordering="served")
    def served(self, obj):
        return obj.served


# --- live battles ----------------------------------------------------------------

from evals import endpoints  # noqa: E402
from evals.models import GenerationStat, LiveTurn, ModelEndpoint  # noqa: E402


class ModelEndpointForm(forms.ModelForm):
    base_url = forms.URLField(max_length=300, assume_scheme="https")
    # Write-only: the stored key is never rendered back, not even encrypted.
    api_key = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("Write-only. Leave blank to keep the current key."),
    )
    clear_api_key = forms.BooleanField(
        required=False, help_text=gettext_lazy("Remove the stored key.")
    )

    class Meta:
        model = ModelEndpoint
        fields = [
            "model",
            "base_url",
            "provider_model_id",
            "default_params",
            "timeout_s",
            "concurrency_limit",
            "paused",
            "pause_reason",
        ]

    def clean_default_params(self):
        params = self.cleaned_data.get("default_params") or {}
        if not isinstance(params, dict):
            raise forms.ValidationError(_('A JSON object, e.g. {"temperature": 0.7}.'))
        unknown = sorted(set(params) - endpoints.ALLOWED_PARAMS)
        if unknown:
            raise forms.ValidationError(
                _("Unknown parameters: %(names)s.") % {"names": ", ".join(unknown)}
            )
        return params


@admin.register(ModelEndpoint)
class ModelEndpointAdmin(admin.ModelAdmin):
    form = ModelEndpointForm
    list_display = (
        "model",
        "base_url",
        "provider_model_id",
        "concurrency_limit",
        "paused",
        "consecutive_failures",
        "has_api_key",
    )
    list_filter = ("paused",)
    search_fields = ("model__name", "base_url", "provider_model_id")
    readonly_fields = ("consecutive_failures", "has_api_key", "created_at", "updated_at")
    actions = ["unpause"]

    @admin.display(boolean=True, description=gettext_lazy("API key set"))
    def has_api_key(self, obj):
        return bool(obj.api_key_encrypted)

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("clear_api_key"):
            obj.api_key_encrypted = obj.api_key_hint = ""
        elif form.cleaned_data.get("api_key"):
            obj.api_key_encrypted = endpoints.api_key_encrypt(form.cleaned_data["api_key"])
            obj.api_key_hint = endpoints.api_key_hint(form.cleaned_data["api_key"])
        if not obj.paused:
            obj.pause_reason = ""
            obj.consecutive_failures = 0
        super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Unpause the selected endpoints"))
    def unpause(self, request, queryset):
        queryset.update(paused=False, pause_reason="", consecutive_failures=0)


@admin.register(LiveTurn)
class LiveTurnAdmin(admin.ModelAdmin):
    list_display = ("battle", "index", "state", "created_at", "finished_at")
    list_filter = ("state",)
    raw_id_fields = ("battle", "prompt", "answer_a", "answer_b")


@admin.register(GenerationStat)
class GenerationStatAdmin(admin.ModelAdmin):
    list_display = (
        "answer",
        "endpoint",
        "time_to_first_token_ms",
        "tokens_per_s",
        "completion_tokens",
        "usage_source",
        "finish_reason",
    )
    list_filter = ("finish_reason", "usage_source")
    raw_id_fields = ("answer",)


@admin.register(PromptSet)
class PromptSetAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "is_published", "created_at")
    search_fields = ("slug", "name")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("prompts",)


@admin.register(VoterPreference)
class VoterPreferenceAdmin(admin.ModelAdmin):
    """The languages each voter reads (set by the voter; read-only here)."""

    list_display = ("user", "languages", "updated_at")
    search_fields = ("user__username",)
    readonly_fields = ("user", "languages", "updated_at")

    def has_add_permission(self, request):
        return False


from evals.quality import admin as quality_admin  # noqa: E402, F401  (registers the quality tables)
