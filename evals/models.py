"""Models under evaluation, prompts, answers, battles and votes.

Battles are identified by random UUIDs: nothing in a battle's public id says
which models fought it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Category(models.TextChoices):
    CODING = "coding", "Coding"
    MATH = "math", "Math"
    CREATIVE = "creative", "Creative writing"
    REASONING = "reasoning", "Reasoning"
    KNOWLEDGE = "knowledge", "Knowledge"
    ADVICE = "advice", "Advice"
    WRITING = "writing", "Writing & editing"
    OTHER = "other", "Other"


class EvalModel(models.Model):
    """A model under evaluation."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120, unique=True)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="models"
    )
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "evals_model"
        ordering = ["name"]
        verbose_name = "model under evaluation"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["active", "retired"]), name="evals_model_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Prompt(models.Model):
    class Source(models.TextChoices):
        DEMO = "demo", "Demo set"
        OPERATOR = "operator", "Operator"
        PROVIDER = "provider", "Provider"
        USER = "user", "Voter"

    key = models.SlugField(max_length=120, unique=True, null=True, blank=True)
    text = models.TextField()
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    language = models.CharField(max_length=8, default="en")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.OPERATOR)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "evals_prompt"
        indexes = [models.Index(fields=["category", "language"], name="evals_prompt_cat_lang")]

    def __str__(self) -> str:
        return self.key or self.text[:60]


class Answer(models.Model):
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="answers")
    model = models.ForeignKey(EvalModel, on_delete=models.PROTECT, related_name="answers")
    text = models.TextField()
    # Rendered once at write time: safe (sanitised) HTML with highlighted code.
    html = models.TextField(editable=False)
    token_count = models.PositiveIntegerField(default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "evals_answer"
        constraints = [
            models.UniqueConstraint(fields=["prompt", "model"], name="evals_answer_one_per_model"),
        ]

    def __str__(self) -> str:
        return f"answer {self.pk} to prompt {self.prompt_id}"


class Battle(models.Model):
    """One prompt, two answers shown as A and B to one voter."""

    class Status(models.TextChoices):
        SERVED = "served", "Served, awaiting vote"
        REVEALED = "revealed", "Voted and revealed"
        ABANDONED = "abandoned", "Abandoned"
        ERRORED = "errored", "Errored"

    class Mode(models.TextChoices):
        STORED = "stored", "Stored answers"
        LIVE = "live", "Live generation"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.STORED)
    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="battles")
    answer_a = models.ForeignKey(
        Answer, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    answer_b = models.ForeignKey(
        Answer, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    model_a = models.ForeignKey(EvalModel, on_delete=models.PROTECT, related_name="+")
    model_b = models.ForeignKey(EvalModel, on_delete=models.PROTECT, related_name="+")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="battles"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SERVED)
    served_at = models.DateTimeField()
    voted_at = models.DateTimeField(null=True, blank=True)
    revealed_at = models.DateTimeField(null=True, blank=True)
    # Kept, but left out of leaderboards and datasets, with the reason.
    excluded = models.BooleanField(default=False)
    exclusion_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "evals_battle"
        ordering = ["-served_at"]
        indexes = [
            models.Index(fields=["voter", "status"], name="evals_battle_voter_status"),
            models.Index(fields=["voter", "prompt"], name="evals_battle_voter_prompt"),
            models.Index(fields=["served_at", "id"], name="evals_battle_served"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(model_a=F("model_b")), name="evals_battle_two_models"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["served", "revealed", "abandoned", "errored"]),
                name="evals_battle_status_valid",
            ),
            # The vote and the reveal happen together, and only after serving.
            models.CheckConstraint(
                condition=(
                    Q(status="served", voted_at__isnull=True, revealed_at__isnull=True)
                    | Q(
                        status="revealed",
                        voted_at__isnull=False,
                        revealed_at__isnull=False,
                        voted_at__gte=F("served_at"),
                    )
                    | Q(status__in=["abandoned", "errored"], voted_at__isnull=True)
                ),
                name="evals_battle_status_times",
            ),
            models.CheckConstraint(
                condition=Q(excluded=False) | ~Q(exclusion_reason=""),
                name="evals_battle_exclusion_has_reason",
            ),
            # A voter has at most one open stored battle: reloading the arena
            # shows the same battle instead of re-rolling until a favourite
            # model comes up.
            models.UniqueConstraint(
                fields=["voter"],
                condition=Q(status="served", mode="stored"),
                name="evals_battle_one_open_per_voter",
            ),
        ]

    def __str__(self) -> str:
        return f"battle {self.id}"


class Vote(models.Model):
    """The verdict on a battle. Its primary key is the battle: one vote per battle,
    and the voter is the battle's voter by construction."""

    class Choice(models.TextChoices):
        MODEL_A = "model_a", "A is better"
        MODEL_B = "model_b", "B is better"
        TIE = "tie", "Tie"
        BOTH_BAD = "both_bad", "Both are bad"

    REASON_TAGS = (
        "more_accurate",
        "more_helpful",
        "better_formatted",
        "more_concise",
        "more_detailed",
        "better_code",
        "followed_instructions",
        "right_language",
        "hallucination",
        "refused",
    )

    battle = models.OneToOneField(
        Battle, on_delete=models.PROTECT, primary_key=True, related_name="vote"
    )
    choice = models.CharField(max_length=10, choices=Choice.choices)
    reasons = models.JSONField(default=list, blank=True)
    time_to_vote_ms = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    # The vote's consequences (ratings counts, the voter's reliability, the
    # points credit) are folded in after it commits, in batches (see
    # evals.services.votes_fold); null until then. The keyed hash of the
    # voter's network is kept for that fold (the address itself never is).
    folded_at = models.DateTimeField(null=True, blank=True)
    network = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        db_table = "evals_vote"
        indexes = [
            # The fold's queue: only votes still waiting are in this index.
            models.Index(
                fields=["created_at"],
                name="evals_vote_unfolded",
                condition=Q(folded_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(choice__in=["model_a", "model_b", "tie", "both_bad"]),
                name="evals_vote_choice_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.choice} on {self.battle_id}"


class PairStat(models.Model):
    """Battles served and voted per unordered model pair (model_lo < model_hi).

    The sampler reads this instead of counting votes; it is updated with F()
    increments in the same transaction as the battle (served) or the vote's
    fold (voted).
    """

    model_lo = models.ForeignKey(EvalModel, on_delete=models.CASCADE, related_name="+")
    model_hi = models.ForeignKey(EvalModel, on_delete=models.CASCADE, related_name="+")
    served = models.PositiveIntegerField(default=0)
    voted = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "evals_pairstat"
        constraints = [
            models.UniqueConstraint(fields=["model_lo", "model_hi"], name="evals_pairstat_pair"),
            models.CheckConstraint(
                condition=Q(model_lo__lt=F("model_hi")), name="evals_pairstat_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"pair {self.model_lo_id}-{self.model_hi_id}"


# --- live battles ----------------------------------------------------------------


class ModelEndpoint(models.Model):
    """The OpenAI-compatible chat endpoint behind a model, for live battles and
    batch generation. The API key is stored encrypted (see evals.endpoints)."""

    model = models.OneToOneField(EvalModel, on_delete=models.CASCADE, related_name="endpoint")
    base_url = models.URLField(max_length=300)
    provider_model_id = models.CharField(max_length=200)
    api_key_encrypted = models.TextField(blank=True, editable=False)
    # Extra chat.completions parameters: temperature, max_tokens, top_p, ...
    default_params = models.JSONField(default=dict, blank=True)
    timeout_s = models.FloatField(default=60.0)
    concurrency_limit = models.PositiveIntegerField(default=4)
    paused = models.BooleanField(default=False)
    pause_reason = models.CharField(max_length=200, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "evals_model_endpoint"
        constraints = [
            models.CheckConstraint(
                condition=Q(timeout_s__gt=0), name="evals_endpoint_timeout_positive"
            ),
            models.CheckConstraint(
                condition=Q(concurrency_limit__gte=1), name="evals_endpoint_concurrency_min"
            ),
        ]

    def __str__(self) -> str:
        return f"endpoint of {self.model_id}"


class EndpointLease(models.Model):
    """One in-flight request to an endpoint: the cross-worker concurrency
    semaphore. Leases expire, so a crashed worker cannot hold a slot forever."""

    endpoint = models.ForeignKey(ModelEndpoint, on_delete=models.CASCADE, related_name="leases")
    token = models.UUIDField(unique=True, default=uuid.uuid4)
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "evals_endpoint_lease"
        indexes = [models.Index(fields=["endpoint", "expires_at"], name="evals_lease_endpoint")]

    def __str__(self) -> str:
        return f"lease {self.token} on {self.endpoint_id}"


class GenerationQuota(models.Model):
    """Generations a user started in one fixed rate-limit window."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "evals_generation_quota"
        constraints = [
            models.UniqueConstraint(fields=["user", "window_start"], name="evals_quota_window"),
        ]

    def __str__(self) -> str:
        return f"{self.count} generations by {self.user_id} from {self.window_start}"


class GenerationStat(models.Model):
    """How a generated answer was produced: speed, tokens and how it ended."""

    class Finish(models.TextChoices):
        STOP = "stop", "Finished"
        LENGTH = "length", "Hit max tokens"
        STOPPED = "stopped", "Stopped by the voter"
        CONTENT_FILTER = "content_filter", "Content filter"
        ERROR = "error", "Failed"
        ABORTED = "aborted", "Aborted (the other side failed or the voter left)"
        OTHER = "other", "Other"

    answer = models.OneToOneField(
        Answer, on_delete=models.CASCADE, primary_key=True, related_name="generation"
    )
    endpoint = models.ForeignKey(
        ModelEndpoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    time_to_first_token_ms = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    tokens_per_s = models.FloatField(null=True, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    # "reported" from the stream's usage chunk, else "estimated" from the text.
    usage_source = models.CharField(max_length=10, default="estimated")
    finish_reason = models.CharField(max_length=16, choices=Finish.choices)
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "evals_generation_stat"

    def __str__(self) -> str:
        return f"generation of answer {self.answer_id}"


class LiveTurn(models.Model):
    """One exchange of a live battle: the voter's prompt and both answers.

    Turn 0's prompt and answers are also the battle's ``prompt``/``answer_a``/
    ``answer_b``, so a one-turn live battle reads like a stored one; the whole
    conversation, which the vote covers, is the battle's turns in order.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be generated"
        GENERATING = "generating", "Generating"
        DONE = "done", "Both answers finished"
        ERRORED = "errored", "Failed"

    battle = models.ForeignKey(Battle, on_delete=models.CASCADE, related_name="turns")
    index = models.PositiveSmallIntegerField()
    prompt = models.ForeignKey(Prompt, on_delete=models.PROTECT, related_name="+")
    answer_a = models.ForeignKey(
        Answer, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    answer_b = models.ForeignKey(
        Answer, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "evals_live_turn"
        ordering = ["battle", "index"]
        constraints = [
            models.UniqueConstraint(fields=["battle", "index"], name="evals_live_turn_order"),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "generating", "done", "errored"]),
                name="evals_live_turn_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"turn {self.index} of {self.battle_id}"


class PromptSet(models.Model):
    """A curated group of prompts that providers answer (operators curate them)."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    prompts = models.ManyToManyField(Prompt, related_name="prompt_sets", blank=True)
    is_published = models.BooleanField(
        default=True, help_text="Published sets are readable by every provider."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "evals_promptset"
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


# Quality tables (gold pairs, sampling records, reliability, flags, rate counters).
from evals.quality.models import (  # noqa: E402, F401
    BattleSampling,
    GoldPair,
    QualityJob,
    RateCounter,
    VoterFlag,
    VoterReliability,
)
