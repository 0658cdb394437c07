from django.contrib import admin

from evals import markdown
from evals.models import Answer, Battle, EvalModel, PairStat, Prompt, PromptSet, Vote


@admin.register(EvalModel)
class EvalModelAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "status", "created_at")
    list_filter = ("status", "organization")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ("key", "category", "language", "source", "is_active", "created_at")
    list_filter = ("category", "language", "source", "is_active")
    search_fields = ("key", "text")


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ("id", "prompt", "model", "token_count", "latency_ms", "created_at")
    list_filter = ("model",)
    search_fields = ("text", "prompt__key")
    raw_id_fields = ("prompt",)

    def save_model(self, request, obj, form, change):
        # Operators edit the Markdown; the stored HTML must follow it.
        obj.html = markdown.render(obj.text)
        super().save_model(request, obj, form, change)


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


# --- live battles ----------------------------------------------------------------

from django import forms  # noqa: E402

from evals import endpoints  # noqa: E402
from evals.models import GenerationStat, LiveTurn, ModelEndpoint  # noqa: E402


class ModelEndpointForm(forms.ModelForm):
    base_url = forms.URLField(max_length=300, assume_scheme="https")
    # Write-only: the stored key is never rendered back, not even encrypted.
    api_key = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only. Leave blank to keep the current key.",
    )
    clear_api_key = forms.BooleanField(required=False, help_text="Remove the stored key.")

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
            raise forms.ValidationError('A JSON object, e.g. {"temperature": 0.7}.')
        unknown = sorted(set(params) - endpoints.ALLOWED_PARAMS)
        if unknown:
            raise forms.ValidationError(f"Unknown parameters: {', '.join(unknown)}.")
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

    @admin.display(boolean=True, description="API key set")
    def has_api_key(self, obj):
        return bool(obj.api_key_encrypted)

    def save_model(self, request, obj, form, change):
        if form.cleaned_data.get("clear_api_key"):
            obj.api_key_encrypted = ""
        elif form.cleaned_data.get("api_key"):
            obj.api_key_encrypted = endpoints.api_key_encrypt(form.cleaned_data["api_key"])
        if not obj.paused:
            obj.pause_reason = ""
            obj.consecutive_failures = 0
        super().save_model(request, obj, form, change)

    @admin.action(description="Unpause the selected endpoints")
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


from evals.quality import admin as quality_admin  # noqa: E402, F401  (registers the quality tables)
