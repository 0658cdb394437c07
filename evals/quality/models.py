"""Quality tables. They live in the ``evals`` app (migrations in evals/migrations)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class GoldPair(models.Model):
    """Two answers to the same prompt where operators know which one is better."""

    prompt = models.ForeignKey("evals.Prompt", on_delete=models.PROTECT, related_name="+")
    answer_better = models.ForeignKey("evals.Answer", on_delete=models.PROTECT, related_name="+")
    answer_worse = models.ForeignKey("evals.Answer", on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True, help_text="Why the better answer is better.")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "evals_goldpair"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(answer_better=F("answer_worse")), name="evals_goldpair_two_answers"
            ),
            models.UniqueConstraint(
                fields=["answer_better", "answer_worse"], name="evals_goldpair_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"gold {self.answer_better_id} > {self.answer_worse_id}"


class BattleSampling(models.Model):
    """How the sampler chose a battle. Never shown to voters.

    Every battle the sampler serves gets one row (gold or not), so the mere
    existence of a row says nothing; ``gold_pair`` is set for gold battles.
    """

    battle = models.OneToOneField(
        "evals.Battle", on_delete=models.PROTECT, primary_key=True, related_name="sampling"
    )
    gold_pair = models.ForeignKey(
        GoldPair, on_delete=models.PROTECT, null=True, blank=True, related_name="battles"
    )
    # Probability that the sampler picked this unordered pair on this draw, and
    # the raw weight it gave the pair before normalising and mixing in the floor.
    probability = models.FloatField()
    weight = models.FloatField()
    floor_mix = models.FloatField(default=0.0)
    # Words in the two answers, for the reading-speed rule at vote time.
    words = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "evals_battlesampling"
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__gte=0) & Q(probability__lte=1),
                name="evals_battlesampling_probability",
            ),
        ]

    def __str__(self) -> str:
        return f"sampling of {self.battle_id}"


class VoterReliability(models.Model):
    """Running evidence about one voter and the reliability score it gives."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, primary_key=True, related_name="+"
    )
    votes = models.PositiveIntegerField(default=0)
    gold_correct = models.PositiveIntegerField(default=0)
    gold_total = models.PositiveIntegerField(default=0)
    agree_weight = models.FloatField(default=0.0)
    agree_total = models.FloatField(default=0.0)
    fast_votes = models.PositiveIntegerField(default=0)
    fisher_sum = models.FloatField(default=0.0)
    fisher_n = models.PositiveIntegerField(default=0)
    fisher_min_p = models.FloatField(default=1.0)
    model_bias = models.JSONField(default=dict, blank=True)
    # Keyed hashes of the network addresses the voter recently voted from (the
    # address itself is never stored): links the accounts of one ring.
    networks = models.JSONField(default=list, blank=True)
    # Reasons already flagged (each is recorded once in VoterFlag).
    flags = models.JSONField(default=list, blank=True)
    score = models.FloatField(default=1.0)
    # Once a voter falls below the threshold their votes stay excluded until an
    # operator clears them (a later streak of good votes does not launder the
    # earlier ones).
    excluded = models.BooleanField(default=False)
    excluded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "evals_voterreliability"
        verbose_name_plural = "voter reliabilities"
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1), name="evals_voterrel_score_range"
            ),
            models.CheckConstraint(
                condition=Q(gold_correct__lte=F("gold_total")), name="evals_voterrel_gold"
            ),
            models.CheckConstraint(
                condition=Q(excluded=False) | Q(excluded_at__isnull=False),
                name="evals_voterrel_excluded_at",
            ),
        ]

    def __str__(self) -> str:
        return f"reliability of {self.user_id}: {self.score:.2f}"


class VoterFlag(models.Model):
    """A rule a voter tripped, with the evidence at that moment. Kept, never deleted."""

    class Reason(models.TextChoices):
        GOLD_ACCURACY = "gold_accuracy", _("Fails gold battles")
        DISAGREEMENT = "disagreement", _("Disagrees with the ratings")
        TOO_FAST = "too_fast", _("Votes faster than reading")
        OUTLIER = "outlier", _("Sequential outlier test")
        FAVOURITISM = "favouritism", _("Favours one model")
        RING = "ring", _("One of many accounts favouring one model")
        LOW_RELIABILITY = "low_reliability", _("Below the reliability threshold")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    evidence = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "evals_voterflag"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "reason"], name="evals_voterflag_user")]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    reason__in=[
                        "gold_accuracy",
                        "disagreement",
                        "too_fast",
                        "outlier",
                        "favouritism",
                        "ring",
                        "low_reliability",
                    ]
                ),
                name="evals_voterflag_reason_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} on {self.user_id}"


class VoterAppeal(models.Model):
    """A voter's request for review of the automatic judgements on them (a flag,
    an exclusion, votes that earned less), and the operator's decision on it."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLEARED = "cleared", _("Cleared")
        # Stored as "upheld" (the judgement stands); said as the voter hears it.
        UPHELD = "upheld", _("Turned down")

    MESSAGE_MAX = 1000

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    # Who decided, when and why (the reason is shown to the voter).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    # Votes counted again and points credited when the appeal was cleared.
    votes_restored = models.PositiveIntegerField(default=0)
    points_credited = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "evals_voterappeal"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "cleared", "upheld"]),
                name="evals_voterappeal_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="open", decided_at__isnull=True)
                | (
                    Q(status__in=["cleared", "upheld"], decided_at__isnull=False)
                    & Q(decided_by__isnull=False)
                    & ~Q(decision_reason="")
                ),
                name="evals_voterappeal_decision_recorded",
            ),
            # One open appeal per voter: a second request adds nothing to review.
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="open"), name="evals_voterappeal_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"appeal {self.pk} by {self.user_id} ({self.status})"


class QualityJob(models.Model):
    """A periodic quality job (``manage.py quality_sweep``) and its lease.

    A run claims the job with a conditional update of ``lease_until``; a second
    process finds no row to update and stands down.
    """

    name = models.CharField(max_length=40, primary_key=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_result = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "evals_qualityjob"

    def __str__(self) -> str:
        return f"{self.name} (last run {self.last_run_at})"


class RateCounter(models.Model):
    """Votes counted per key (user or IP) per window, incremented atomically."""

    key = models.CharField(max_length=120)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "evals_ratecounter"
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="evals_ratecounter_key"),
        ]
        indexes = [models.Index(fields=["window_start"], name="evals_ratecounter_window")]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start:%Y-%m-%dT%H:%M}: {self.count}"
