"""Models under evaluation, prompts, answers, battles and votes.

Battles are identified by random UUIDs: nothing in a battle's public id says
which models fought it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    CODING = "coding", _("Coding")
    MATH = "math", _("Math")
    CREATIVE = "creative", _("Creative writing")
    REASONING = "reasoning", _("Reasoning")
    KNOWLEDGE = "knowledge", _("Knowledge")
    ADVICE = "advice", _("Advice")
    WRITING = "writing", _("Writing & editing")
    OTHER = "other", _("Other")


class EvalModel(models.Model):
    """A model under evaluation."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120, unique=True)
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="models"
    )

    class Approval(models.TextChoices):
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # Anyone can register a model through the API; only an operator puts it in
    # front of voters. Pending until reviewed, so that a new path that creates
    # models cannot skip the review by forgetting it.
    approval = models.CharField(
        max_length=10, choices=Approval.choices, default=Approval.PENDING, db_index=True
    )
    approval_reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when a model was registered by an operator command.",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Prerelease(models.TextChoices):
        NONE = "", _("Not entered for pre-release testing")
        TESTING = "testing", _("In testing under a codename")
        RELEASED = "released", _("Released (results disclosed)")
        WITHDRAWN = "withdrawn", _("Withdrawn (results disclosed)")

    # Pre-release testing (issue #18): while TESTING the model's name is its
    # codename and its standing is left out of every public leaderboard; a
    # commitment to the codename was published at entry, and its results are
    # disclosed with the commitment's preimage when testing ends.
    prerelease = models.CharField(
        max_length=10, choices=Prerelease.choices, default=Prerelease.NONE, blank=True
    )
    codename = models.CharField(max_length=120, blank=True)
    testing_started_at = models.DateTimeField(null=True, blank=True)
    testing_ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "evals_model"
        ordering = ["name"]
        verbose_name = "model under evaluation"
        verbose_name_plural = "models under evaluation"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["active", "retired"]), name="evals_model_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(approval="pending", reviewed_at__isnull=True)
                | Q(approval="approved", reviewed_at__isnull=False)
                | (Q(approval="rejected", reviewed_at__isnull=False) & ~Q(approval_reason="")),
                name="evals_model_approval_reviewed",
            ),
            models.CheckConstraint(
                condition=Q(prerelease="", codename="", testing_started_at__isnull=True)
                | Q(
                    prerelease="testing",
                    testing_started_at__isnull=False,
                    testing_ended_at__isnull=True,
                    status="active",
                )
                | Q(
                    prerelease__in=["released", "withdrawn"],
                    testing_started_at__isnull=False,
                    testing_ended_at__isnull=False,
                ),
                name="evals_model_prerelease_times",
            ),
            models.CheckConstraint(
                condition=Q(prerelease="") | ~Q(codename=""),
                name="evals_model_prerelease_codename",
            ),
        ]

    # Said in place of the maker of a model in pre-release testing (reveal,
    # vote history, fairness): the commitment keeps it until testing ends.
    UNDISCLOSED_MAKER = _("maker not disclosed during testing")

    def __str__(self) -> str:
        return self.name

    @property
    def maker_disclosed(self) -> bool:
        return self.prerelease != self.Prerelease.TESTING


class Prompt(models.Model):
    class Source(models.TextChoices):
        DEMO = "demo", _("Demo set")
        OPERATOR = "operator", _("Operator")
        PROVIDER = "provider", _("Provider")
        USER = "user", _("Voter")

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
    # Non-empty: the sampler never serves this answer, and this says why (it
    # names a model or provider, which would tell the voter who is who).
    withheld_reason = models.CharField(max_length=300, blank=True)
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
        SERVED = "served", _("Served, awaiting vote")
        REVEALED = "revealed", _("Voted and revealed")
        ABANDONED = "abandoned", _("Abandoned")
        ERRORED = "errored", _("Errored")
        # The voter asked for another battle: kept for the skip rate, never
        # counted, paid or revealed.
        SKIPPED = "skipped", _("Skipped")

    class Mode(models.TextChoices):
        STORED = "stored", _("Stored answers")
        LIVE = "live", _("Live generation")

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
                condition=Q(status__in=["served", "revealed", "abandoned", "errored", "skipped"]),
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
                    | Q(status__in=["abandoned", "errored", "skipped"], voted_at__isnull=True)
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
        MODEL_A = "model_a", _("A is better")
        MODEL_B = "model_b", _("B is better")
        TIE = "tie", _("Tie")
        BOTH_BAD = "both_bad", _("Both are bad")

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
    # datafi.flows.fold.votes_fold); null until then. The keyed hash of the
    # voter's network is kept for that fold (the address itself never is).
    folded_at = models.DateTimeField(null=True, blank=True)
    network = models.CharField(max_length=16, blank=True, default="")
    # What the fold decided for this vote, kept so the voter can be told later
    # ("My votes") without recomputing a score that has moved on since: the
    # points multiplier at the time, and the points booked (0: none).
    weight = models.FloatField(null=True, blank=True)
    points = models.IntegerField(null=True, blank=True)
    # The part of ``weight`` that is the vote's reading speed (1: a vote that
    # took the time to read both answers; the rest of the weight is the voter's
    # reliability), so the voter is told which of the two cost points. Null for
    # votes folded before it was kept.
    speed_weight = models.FloatField(null=True, blank=True)

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
    """Battles voted per unordered model pair (model_lo < model_hi).

    The sampler reads this instead of counting votes; it is updated with F()
    increments in the vote's fold. (Battles served per pair are counted when the
    admin shows them: bumping a row on every serve cost every voter a statement
    and a row lock for a figure only operators read.)
    """

    model_lo = models.ForeignKey(EvalModel, on_delete=models.CASCADE, related_name="+")
    model_hi = models.ForeignKey(EvalModel, on_delete=models.CASCADE, related_name="+")
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
    # Registered by a provider through the API: its base URL is the provider's
    # word, so it is checked against the service's own network before every
    # use (evals.netguard). Operators' endpoints (admin, commands) are trusted.
    provider_managed = models.BooleanField(default=False)
    # The key's last four characters, so that a provider can tell which key is
    # stored without the key ever being shown again.
    api_key_hint = models.CharField(max_length=4, blank=True, editable=False)
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


class EndpointProbe(models.Model):
    """One short streamed completion sent to an endpoint to see that it works:
    on registration, on the provider's request and on resume."""

    class Trigger(models.TextChoices):
        REGISTRATION = "registration", "On registration"
        REQUEST = "request", "On request"
        KEY_ROTATION = "key_rotation", "After a key rotation"

    endpoint = models.ForeignKey(ModelEndpoint, on_delete=models.CASCADE, related_name="probes")
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    ok = models.BooleanField()
    time_to_first_token_ms = models.PositiveIntegerField(null=True, blank=True)
    tokens_per_s = models.FloatField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    # A stable identifier (timeout, unauthorized, connection_refused, ...) and
    # the same in plain words for the provider.
    error_code = models.CharField(max_length=40, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "evals_endpoint_probe"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "-created_at"], name="evals_probe_latest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ok=True, error_code="") | Q(ok=False) & ~Q(error_code=""),
                name="evals_probe_error_iff_failed",
            ),
        ]

    def __str__(self) -> str:
        return f"probe {self.pk} of endpoint {self.endpoint_id}: {'ok' if self.ok else self.error}"


class GenerationJob(models.Model):
    """A provider's request to fill its model's answers to the stored prompts,
    claimed by a worker (SKIP LOCKED) and run outside any transaction."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    model = models.ForeignKey(EvalModel, on_delete=models.CASCADE, related_name="generation_jobs")
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    total = models.PositiveIntegerField(default=0)
    written = models.PositiveIntegerField(default=0)
    withheld = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # [{"prompt": key, "reason": ...}]: answers kept out of battles, and
    # prompts that failed, in plain words (the first few of each).
    notes = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=300, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "evals_generation_job"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "created_at"], name="evals_genjob_queue")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["queued", "running", "done", "failed"]),
                name="evals_genjob_state_valid",
            ),
            # One job at a time per model: a second request while one is
            # queued or running is a 409, not a second run over the same prompts.
            models.UniqueConstraint(
                fields=["model"],
                condition=Q(state__in=["queued", "running"]),
                name="evals_genjob_one_active_per_model",
            ),
        ]

    def __str__(self) -> str:
        return f"generation job {self.id} ({self.state})"


class GenerationStat(models.Model):
    """How a generated answer was produced: speed, tokens and how it ended."""

    class Finish(models.TextChoices):
        STOP = "stop", _("Finished")
        LENGTH = "length", _("Hit max tokens")
        STOPPED = "stopped", _("Stopped by the voter")
        CONTENT_FILTER = "content_filter", _("Content filter")
        ERROR = "error", _("Failed")
        ABORTED = "aborted", _("Aborted (the other side failed or the voter left)")
        OTHER = "other", _("Other")

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
        PENDING = "pending", _("Waiting to be generated")
        GENERATING = "generating", _("Generating")
        DONE = "done", _("Both answers finished")
        ERRORED = "errored", _("Failed")

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
class VoterPreference(models.Model):
    """What a voter asked of the arena: the languages they read (ISO 639-1).

    Empty: not said (accounts from before the choice existed), and any
    language is served. Set at sign-up from the browser's languages and
    changed at /arena/languages/.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    languages = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "evals_voter_preference"
        verbose_name = "voter preference"

    def __str__(self) -> str:
        return f"{self.user_id} reads {', '.join(self.languages) or 'any language'}"


from evals.quality.models import (  # noqa: E402, F401
    BattleSampling,
    GoldPair,
    QualityJob,
    RateCounter,
    VoterAppeal,
    VoterFlag,
    VoterReliability,
)
