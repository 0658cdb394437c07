"""Tables owned by the ratings app: pair counts, per-vote outcomes, refresh
requests and leaderboard snapshots.

The maths in this package (``bt.py``, ``elo.py``, ...) never imports Django;
only this module, ``services.py``, ``selectors.py`` and the views do.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class PairCount(models.Model):
    """Vote outcomes per unordered model pair (model_lo < model_hi) and slice.

    Updated by the vote's fold (one upsert per batch), so a
    Bradley-Terry refit reads O(models²) rows, never the votes.
    ``ties`` excludes both-bad votes; the fit counts both as half a win each side.
    """

    model_lo = models.ForeignKey("evals.EvalModel", on_delete=models.CASCADE, related_name="+")
    model_hi = models.ForeignKey("evals.EvalModel", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=20)
    language = models.CharField(max_length=8)
    wins_lo = models.PositiveIntegerField(default=0)
    wins_hi = models.PositiveIntegerField(default=0)
    ties = models.PositiveIntegerField(default=0)
    both_bad = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "ratings_paircount"
        constraints = [
            models.UniqueConstraint(
                fields=["model_lo", "model_hi", "category", "language"],
                name="ratings_paircount_slice",
            ),
            models.CheckConstraint(
                condition=Q(model_lo__lt=F("model_hi")), name="ratings_paircount_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_lo_id}-{self.model_hi_id} {self.category}/{self.language}"


class BattleOutcome(models.Model):
    """One counted vote, as the rating methods that need single battles see it.

    Online Elo depends on the order of the votes and style control on each
    battle's answer features, so those two views refit from these rows
    (O(votes)); the Bradley-Terry view reads only :class:`PairCount`. Features
    are :func:`ratings.style.extract_features` of the two answers, computed at
    vote time. Deleting the row is how a vote stops counting (see
    ``battle_outcome_retract``).
    """

    battle = models.OneToOneField(
        "evals.Battle", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    model_a = models.ForeignKey("evals.EvalModel", on_delete=models.CASCADE, related_name="+")
    model_b = models.ForeignKey("evals.EvalModel", on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=20)
    language = models.CharField(max_length=8)
    choice = models.CharField(max_length=10)
    voted_at = models.DateTimeField()
    length_a = models.PositiveIntegerField(default=0)
    headers_a = models.PositiveIntegerField(default=0)
    list_items_a = models.PositiveIntegerField(default=0)
    bold_a = models.PositiveIntegerField(default=0)
    length_b = models.PositiveIntegerField(default=0)
    headers_b = models.PositiveIntegerField(default=0)
    list_items_b = models.PositiveIntegerField(default=0)
    bold_b = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "ratings_battleoutcome"
        indexes = [
            models.Index(fields=["voted_at", "battle"], name="ratings_outcome_order"),
            models.Index(fields=["category", "language"], name="ratings_outcome_slice"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(choice__in=["model_a", "model_b", "tie", "both_bad"]),
                name="ratings_outcome_choice_valid",
            ),
            models.CheckConstraint(
                condition=~Q(model_a=F("model_b")), name="ratings_outcome_two_models"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.choice} on {self.battle_id}"


class RefreshRequest(models.Model):
    """The dirty flag of one leaderboard slice ('' = all categories / languages).

    A vote sets ``dirty_since`` (only if unset, so busy slices are not
    rewritten by every vote); a worker claims the slice with a conditional
    update that clears it and takes a lease (``claimed_until``), so any number
    of workers can share the work and a crashed worker's lease simply expires.
    """

    category = models.CharField(max_length=20, blank=True)
    language = models.CharField(max_length=8, blank=True)
    dirty_since = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ratings_refreshrequest"
        constraints = [
            models.UniqueConstraint(fields=["category", "language"], name="ratings_refresh_slice"),
        ]
        indexes = [models.Index(fields=["dirty_since"], name="ratings_refresh_dirty")]

    def __str__(self) -> str:
        return f"refresh {self.category or '*'}/{self.language or '*'}"


class LeaderboardSnapshot(models.Model):
    """A leaderboard as computed at one moment; pages and the API serve the latest."""

    class Method(models.TextChoices):
        BT = "bt", _("Bradley-Terry")
        STYLE = "style", _("Style-controlled Bradley-Terry")
        ELO = "elo", _("Online Elo")

    method = models.CharField(max_length=8, choices=Method.choices)
    category = models.CharField(max_length=20, blank=True)
    language = models.CharField(max_length=8, blank=True)
    params = models.JSONField(default=dict)
    vote_count = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    rows = models.JSONField(default=list)
    meta = models.JSONField(default=dict)

    class Meta:
        db_table = "ratings_leaderboardsnapshot"
        indexes = [
            models.Index(
                fields=["method", "category", "language", "-id"], name="ratings_snapshot_latest"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=["bt", "style", "elo"]), name="ratings_snapshot_method"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.category or '*'}/{self.language or '*'} @ {self.created_at}"
