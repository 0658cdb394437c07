"""Writes for quality: gold pairs, sampling records, vote assessment, exclusions."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Min, Q
from django.utils.translation import gettext as _

from datafi.api import ApiError
from evals import catalogue
from evals.models import Answer, Battle, EvalModel, Vote
from evals.quality import limits, selectors, stats
from evals.quality.models import (
    BattleSampling,
    GoldPair,
    QualityJob,
    VoterFlag,
    VoterReliability,
)
from ratings.selectors import battles_counted, pair_outcome_totals
from ratings.services import battle_outcome_retract

GOLD_REASON = "gold: calibration battle with a known better answer"
# The prefix of an excluded battle's reason when the vote came faster than any
# person can look at two answers (selectors explain it by this prefix).
IMPOSSIBLE_REASON = "impossible speed"
# Flags raised by a periodic job rather than recomputed from the voter's running
# sums at each vote: they keep halving the score once raised.
STICKY_FLAGS = ("ring",)


def gold_pair_create(
    *, answer_better: Answer, answer_worse: Answer, note: str = "", created_by=None
):
    """Mark ``answer_better`` as the known better answer of a pair to one prompt."""
    if answer_better.pk == answer_worse.pk:
        raise ApiError("invalid_gold_pair", _("A gold pair needs two different answers."))
    if answer_better.prompt_id != answer_worse.prompt_id:
        raise ApiError("invalid_gold_pair", _("The two answers must answer the same prompt."))
    if answer_better.model_id == answer_worse.model_id:
        raise ApiError("invalid_gold_pair", _("The two answers must come from different models."))
    try:
        with transaction.atomic():
            gold = GoldPair.objects.create(
                prompt_id=answer_better.prompt_id,
                answer_better=answer_better,
                answer_worse=answer_worse,
                note=note,
                created_by=created_by,
            )
            catalogue.catalogue_changed()  # the serve draws gold pairs from its copy
            return gold
    except IntegrityError:
        raise ApiError("duplicate_gold_pair", _("This gold pair already exists."), 409) from None


def battle_sampling_record(*, battle: Battle, pick) -> BattleSampling:
    """Store how the sampler chose ``battle`` (call in the battle's transaction)."""
    return BattleSampling.objects.create(
        battle=battle,
        gold_pair_id=pick.gold_pair_id,
        probability=min(1.0, max(0.0, float(pick.probability))),
        weight=float(pick.weight),
        floor_mix=float(pick.floor_mix),
        words=len(pick.answer_a.text.split()) + len(pick.answer_b.text.split()),
    )


def vote_limits_consume(*, user, ip: str | None, now: datetime) -> None:
    """Count a vote against the per-user and per-IP limits; 429 when over (atomic)."""
    if settings.QUALITY_DEFENCES:
        limits.vote_limits_consume(user_id=user.pk, ip=ip, now=now)


def outcome_retract(*, battle: Battle, choice: str) -> bool:
    """Take an already counted vote back out of the ratings' pair counts;
    False when it was not counted (nothing to do)."""

    return battle_outcome_retract(battle=battle, choice=choice)


def _params() -> stats.ReliabilityParams:
    return stats.ReliabilityParams(
        gold_prior=tuple(settings.QUALITY_GOLD_PRIOR),
        gold_min_accuracy=settings.QUALITY_GOLD_MIN_ACCURACY,
        agree_prior=(1.5, 0.5),
        agree_min=settings.QUALITY_AGREE_MIN,
        fast_prior=(1.0, 9.0),
        fast_max_rate=settings.QUALITY_FAST_MAX_RATE,
        confidence=settings.QUALITY_CONFIDENCE,
        gold_confidence=settings.QUALITY_GOLD_CONFIDENCE,
        outlier_alpha=settings.QUALITY_OUTLIER_ALPHA,
        favouritism_z=settings.QUALITY_FAVOURITISM_Z,
        favouritism_min_votes=settings.QUALITY_FAVOURITISM_MIN_VOTES,
    )


def _reliability_locked(user_id: int) -> VoterReliability:
    # Two votes of one voter must not both read the old sums and write back
    # their own: hold the row's lock until commit. Only a first vote finds no
    # row; ON CONFLICT DO NOTHING because a concurrent first vote of the same
    # voter may create it first; either way it exists afterwards.
    rel = VoterReliability.objects.select_for_update().filter(user_id=user_id).first()
    if rel is not None:
        return rel
    VoterReliability.objects.bulk_create([VoterReliability(user_id=user_id)], ignore_conflicts=True)
    return VoterReliability.objects.select_for_update().get(user_id=user_id)


def _evidence(rel: VoterReliability) -> stats.VoterEvidence:
    return stats.VoterEvidence(
        votes=rel.votes,
        gold_correct=rel.gold_correct,
        gold_total=rel.gold_total,
        agree_weight=rel.agree_weight,
        agree_total=rel.agree_total,
        fast_votes=rel.fast_votes,
        fisher_sum=rel.fisher_sum,
        fisher_n=rel.fisher_n,
        fisher_min_p=rel.fisher_min_p,
        model_bias=rel.model_bias,
    )


def _words(answer_ids) -> int:
    return sum(
        len(text.split())
        for text in Answer.objects.filter(pk__in=answer_ids).values_list("text", flat=True)
    )


def _battle_exclude(*, battle: Battle, choice: str, reason: str) -> None:
    changed = Battle.objects.filter(pk=battle.pk, excluded=False).update(
        excluded=True, exclusion_reason=reason[:200]
    )
    if changed:
        battle.excluded, battle.exclusion_reason = True, reason[:200]
        outcome_retract(battle=battle, choice=choice)


def voter_exclude(*, rel: VoterReliability, reason: str, now: datetime) -> int:
    """Mark the voter excluded and exclude every vote they cast; return how many.

    Rows are kept: only ``excluded`` and ``exclusion_reason`` change, and votes
    already counted by the ratings are retracted.
    """
    rel.excluded, rel.excluded_at = True, now
    battles = list(
        Battle.objects.select_related("vote").filter(
            voter_id=rel.user_id, status=Battle.Status.REVEALED, excluded=False
        )
    )
    for battle in battles:
        _battle_exclude(battle=battle, choice=battle.vote.choice, reason=reason)
    return len(battles)


@dataclasses.dataclass(frozen=True)
class VoteToAssess:
    """One vote for :class:`VoteBatchAssessment`: its battle (with the sampling
    record and its gold pair selected), the vote, and the voter's network key."""

    battle: Battle
    vote: Vote
    network: str


def _pair(item: VoteToAssess) -> tuple[int, int]:
    return tuple(sorted((item.battle.model_a_id, item.battle.model_b_id)))


def _observed(item: VoteToAssess, lo: int) -> int:
    return selectors.outcome_code(choice=item.vote.choice, model_a_id=item.battle.model_a_id, lo=lo)


_RELIABILITY_FIELDS = [f for f in VoterReliability._meta.concrete_fields if not f.primary_key]
# Only the table and column names (constants) are formatted in.
_RELIABILITY_UPDATE = (
    f"UPDATE {VoterReliability._meta.db_table} SET "  # noqa: S608
    + ", ".join(f"{f.column} = %s" for f in _RELIABILITY_FIELDS)
    + " WHERE user_id = %s"
)


def _reliabilities_save(rels: list[VoterReliability], *, now: datetime) -> None:
    """Write back locked reliability rows: one statement run once per row.

    (``bulk_update`` builds a CASE per row and field, which cost more CPU than
    the rest of a fold batch together.)
    """
    for rel in rels:
        rel.updated_at = now
    params = [
        [f.get_db_prep_save(getattr(rel, f.attname), connection) for f in _RELIABILITY_FIELDS]
        + [rel.user_id]
        for rel in rels
    ]
    with connection.cursor() as cursor:
        cursor.executemany(_RELIABILITY_UPDATE, params)


class VoteBatchAssessment:
    """Fold a batch of votes into their voters' reliability, in vote order.

    ``begin`` locks the voters' reliability rows (in user order: a ring sweep
    takes the same rows before the pair counts, so the fold must too) and reads
    each pair's outcome history, before the caller counts the batch in the
    ratings. ``assess`` then takes the votes one by one, exactly as if each had
    been assessed alone: a vote is tested against the pair's history before it
    (the counted votes before it, the batch's earlier ones included), and the
    score, the flags and any exclusion of a vote are in place when the next
    vote is assessed. When a voter is excluded mid-batch (their counted votes
    retracted), the histories are read again for the votes after it.
    """

    def __init__(self, *, rels, histories, scores, params):
        self.rels = rels
        self.histories = histories
        self.scores = scores
        self.params = params
        self.speeds: dict = {}  # battle id -> the share of points its reading speed kept

    @classmethod
    def begin(cls, *, items: list[VoteToAssess]) -> VoteBatchAssessment | None:
        if not settings.QUALITY_DEFENCES or not items:
            return None

        user_ids = sorted({item.battle.voter_id for item in items})
        # ON CONFLICT DO NOTHING: a voter's first vote finds no row, and a
        # concurrent fold may create it first; either way it exists afterwards.
        # Only the missing rows are built (a plain read first: nearly every voter
        # of a batch has one already).
        have = set(
            VoterReliability.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True)
        )
        VoterReliability.objects.bulk_create(
            [VoterReliability(user_id=u) for u in user_ids if u not in have],
            ignore_conflicts=True,
        )
        # Two folds must not both read a voter's old sums and write back their
        # own: hold the rows' locks until commit.
        rels = {
            rel.user_id: rel
            for rel in VoterReliability.objects.select_for_update()
            .filter(user_id__in=user_ids)
            .order_by("user_id")
        }
        pairs = {_pair(item) for item in items}
        histories = {k: list(v) for k, v in pair_outcome_totals(pairs=pairs).items()}
        return cls(
            rels=rels, histories=histories, scores=selectors.current_scores(), params=_params()
        )

    def assess(self, *, items: list[VoteToAssess], now: datetime) -> dict:
        """Assess each vote in order; the points multiplier of each, by battle id
        (its reading-speed part is kept in ``self.speeds``)."""
        multipliers = {}
        # The ratings counted every vote whose battle was not already excluded.
        counted = {item.battle.pk for item in items if not item.battle.excluded}
        for i, item in enumerate(items):
            rel = self.rels[item.battle.voter_id]
            was_excluded = rel.excluded
            speed = self._assess_one(rel=rel, item=item, now=now)
            if rel.excluded and not was_excluded:
                self._histories_reread(later=items[i + 1 :], counted=counted)
            elif item.battle.pk in counted and not item.battle.excluded and not rel.excluded:
                lo, hi = _pair(item)
                self.histories[(lo, hi)][_observed(item, lo)] += 1
            self.speeds[item.battle.pk] = speed
            multipliers[item.battle.pk] = speed * selectors.points_multiplier_for(
                score=rel.score, excluded=rel.excluded
            )
        _reliabilities_save(list(self.rels.values()), now=now)
        return multipliers

    def _histories_reread(self, *, later: list[VoteToAssess], counted: set) -> None:
        """The pairs' histories as they stand now, less the votes not assessed yet
        (those the exclusion just retracted are out of the counts already)."""

        self.histories = {
            k: list(v) for k, v in pair_outcome_totals(pairs=list(self.histories)).items()
        }
        pending = [item for item in later if item.battle.pk in counted]
        still = battles_counted(battle_ids=[item.battle.pk for item in pending])
        for item in pending:
            if item.battle.pk in still:
                lo, hi = _pair(item)
                self.histories[(lo, hi)][_observed(item, lo)] -= 1

    def _assess_one(self, *, rel: VoterReliability, item: VoteToAssess, now: datetime) -> float:
        """Fold one vote into its voter's evidence; the share of points its speed keeps."""
        battle, vote = item.battle, item.vote
        sampling = getattr(battle, "sampling", None)  # None if unsampled
        gold = sampling.gold_pair if sampling else None
        lo, hi = _pair(item)
        observed = _observed(item, lo)
        p_lo = stats.win_probability(self.scores.get(lo, 1000.0), self.scores.get(hi, 1000.0))

        rel.votes += 1
        if item.network and item.network not in rel.networks:
            rel.networks = [*rel.networks, item.network][-settings.QUALITY_NETWORKS_KEPT :]
        if gold is not None:
            rel.gold_total += 1
            better_side = "model_a" if battle.answer_a_id == gold.answer_better_id else "model_b"
            rel.gold_correct += int(vote.choice == better_side)
        if observed in (stats.LO_WON, stats.HI_WON):
            weight = abs(2.0 * p_lo - 1.0)
            rel.agree_total += weight
            rel.agree_weight += weight * int((observed == stats.LO_WON) == (p_lo >= 0.5))
            bias = dict(rel.model_bias or {})
            for model_id, p_win, won in (
                (lo, p_lo, observed == stats.LO_WON),
                (hi, 1.0 - p_lo, observed == stats.HI_WON),
            ):
                n, wins, expected, variance = bias.get(str(model_id), [0, 0.0, 0.0, 0.0])
                bias[str(model_id)] = [
                    n + 1,
                    wins + int(won),
                    expected + p_win,
                    variance + p_win * (1 - p_win),
                ]
            rel.model_bias = bias
        words = sampling.words if sampling else _words([battle.answer_a_id, battle.answer_b_id])
        speed = vote_speed_weight(ms=vote.time_to_vote_ms, words=words)
        # Only votes no person could make count against the voter: a skimmer who
        # decides in a few seconds votes like the crowd and keeps every vote
        # counted (their points are graded by ``speed`` instead).
        impossible = speed == 0.0
        rel.fast_votes += int(impossible)
        probs = stats.outcome_probabilities(
            tuple(self.histories[(lo, hi)]),
            p_lo=p_lo,
            prior_strength=settings.QUALITY_OUTLIER_PRIOR_VOTES,
        )
        p_value = stats.outcome_p_value(probs, observed, key=str(battle.pk))
        rel.fisher_sum += -2.0 * math.log(p_value)
        rel.fisher_n += 1
        rel.fisher_min_p = min(rel.fisher_min_p, p_value)

        assessment = stats.assess(_evidence(rel), self.params)
        sticky = [f for f in rel.flags if f in STICKY_FLAGS and f not in assessment.flags]
        rel.score = assessment.score * 0.5 ** len(sticky)
        for reason, evidence in assessment.flags.items():
            if reason not in rel.flags:
                rel.flags = [*rel.flags, reason]
                VoterFlag.objects.create(
                    user_id=rel.user_id,
                    reason=reason,
                    evidence={**evidence, "battle": str(battle.pk), "votes": rel.votes},
                    created_at=now,
                )
        if not rel.excluded and rel.score < settings.QUALITY_RELIABILITY_THRESHOLD:
            reasons = sorted(assessment.flags) or ["low_reliability"]
            VoterFlag.objects.create(
                user_id=rel.user_id,
                reason=VoterFlag.Reason.LOW_RELIABILITY,
                evidence={
                    "score": round(rel.score, 4),
                    "threshold": settings.QUALITY_RELIABILITY_THRESHOLD,
                    "flags": reasons,
                    "gold_mean": round(assessment.gold_mean, 4),
                    "agree_mean": round(assessment.agree_mean, 4),
                    "fast_mean": round(assessment.fast_mean, 4),
                    "votes": rel.votes,
                },
                created_at=now,
            )
            voter_exclude(rel=rel, reason=f"unreliable voter: {', '.join(reasons)}", now=now)
        elif rel.excluded:
            _battle_exclude(
                battle=battle, choice=vote.choice, reason="unreliable voter: excluded earlier"
            )
        # A gold battle is out of the leaderboard whatever the vote's speed: its
        # reason comes first (an impossible gold vote still earns nothing).
        if gold is not None:
            _battle_exclude(battle=battle, choice=vote.choice, reason=GOLD_REASON)
        if impossible:
            _battle_exclude(
                battle=battle,
                choice=vote.choice,
                reason=f"{IMPOSSIBLE_REASON}: {vote.time_to_vote_ms} ms after the answers appeared",
            )
        return speed


def vote_speed_weight(*, ms: int, words: int) -> float:
    """Share of a vote's points its speed keeps (``stats.speed_weight`` with the settings)."""
    return stats.speed_weight(
        ms,
        read_ms=stats.min_read_ms(
            words, wpm=settings.QUALITY_READ_WPM, floor_ms=settings.QUALITY_MIN_VOTE_MS
        ),
        impossible_ms=settings.QUALITY_IMPOSSIBLE_VOTE_MS,
        floor=settings.QUALITY_SPEED_FLOOR,
    )


# --- coordinated favouritism: the periodic ring sweep -------------------------------

RING_JOB = "ring_sweep"


def _ring_params() -> stats.RingParams:
    return stats.RingParams(
        z=settings.QUALITY_RING_Z,
        min_battles=settings.QUALITY_RING_MIN_BATTLES,
        null_rate=settings.QUALITY_RING_NULL_RATE,
        alpha=settings.QUALITY_RING_ALPHA,
        min_accounts=settings.QUALITY_RING_MIN_ACCOUNTS,
    )


def _ring_flag_voter(
    *,
    user_id: int,
    finding: stats.RingFinding,
    now: datetime,
    link: stats.RingLink | None = None,
    kept_by: str = "",
    cohort: stats.RingCohort | None = None,
) -> bool:
    """Flag and exclude one ring member in its own transaction; False if skipped.

    ``link`` is set for an account tied to the ring by a shared network address
    rather than by clearing the ring's bound itself; ``kept_by`` says what else a
    suspect had against it (see ``stats.ring_confirmed``); ``cohort`` is set
    (with ``kept_by="cohort"``) for an account singled out by when it started
    voting (see ``stats.ring_cohort``)."""

    with transaction.atomic():
        # A vote of this voter that is under way holds its served battle: let
        # it commit first. Then the lock order of the vote's fold: the
        # reliability row before the pair counts (which retractions take).
        list(
            Battle.objects.select_for_update()
            .filter(voter_id=user_id, status=Battle.Status.SERVED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        rel = _reliability_locked(user_id)
        if rel.excluded or "ring" in rel.flags:
            return False
        if cohort is not None:
            n, wins, expected, z = cohort.battles, cohort.wins, cohort.expected, cohort.z
            bound = None  # the cohort's posterior bound, in its own entry below
        elif link is None:
            n, wins, expected, z = finding.members[user_id]
            bound = settings.QUALITY_RING_ALONE_Z if kept_by == "bound" else settings.QUALITY_RING_Z
        else:
            n, wins, expected, z = link.battles, link.wins, link.expected, link.z
            bound = settings.QUALITY_RING_LINK_Z
        name = EvalModel.objects.filter(pk=finding.model_id).values_list("name", flat=True).first()
        evidence = {
            "model_id": finding.model_id,
            "model": name,
            "battles": n,
            "wins": wins,
            "expected_wins": round(expected, 3),
            "z": round(z, 3),
            "account_bound": bound,
            "group": {
                "accounts": finding.accounts,
                "above_bound": finding.above,
                "expected_above": round(finding.expected_above, 2),
                "p_value": finding.p_value,
                "level": finding.level,
                "young_days": settings.QUALITY_RING_YOUNG_DAYS,
            },
            "votes": rel.votes,
        }
        if link is None:
            evidence["kept_by"] = kept_by
        if cohort is not None:
            evidence["cohort"] = {
                "window_hours": settings.QUALITY_RING_COHORT_HOURS,
                "accounts": cohort.cohort,
                "ring_share": round(cohort.ring_share, 3),
                "likelihood_ratio": round(cohort.likelihood_ratio, 3),
                "posterior": round(cohort.posterior, 4),
                "threshold": settings.QUALITY_RING_COHORT_POSTERIOR,
            }
        if link is not None:
            evidence["linked_by_network"] = {
                "shared_addresses": link.shared,
                "members_met": link.linked_members,
            }
        VoterFlag.objects.create(
            user_id=user_id, reason=VoterFlag.Reason.RING, evidence=evidence, created_at=now
        )
        rel.flags = [*rel.flags, "ring"]
        rel.score = rel.score * 0.5
        if not rel.excluded and rel.score < settings.QUALITY_RELIABILITY_THRESHOLD:
            VoterFlag.objects.create(
                user_id=user_id,
                reason=VoterFlag.Reason.LOW_RELIABILITY,
                evidence={
                    "score": round(rel.score, 4),
                    "threshold": settings.QUALITY_RELIABILITY_THRESHOLD,
                    "flags": sorted(rel.flags),
                    "votes": rel.votes,
                },
                created_at=now,
            )
            voter_exclude(rel=rel, reason=f"unreliable voter: ring favouring {name}", now=now)
        rel.save()
    return True


def _first_votes(rels) -> dict[int, float]:
    """When each of the tested voters cast their first vote (POSIX seconds)."""
    first = (
        Battle.objects.filter(
            voter_id__in=rels.values("user_id"),
            status=Battle.Status.REVEALED,
            voted_at__isnull=False,
        )
        .values("voter_id")
        .annotate(first=Min("voted_at"))
        .values_list("voter_id", "first")
    )
    return {user_id: at.timestamp() for user_id, at in first}


def ring_sweep(*, now: datetime, lease_seconds: int = 300) -> dict | None:
    """Look for rings (many young accounts favouring one model) and exclude them.

    A periodic job (``manage.py quality_sweep``), not a step of the vote: the
    test reads every young voter's per-model sums, which one vote should not pay
    for. Returns what it found, or None when another process holds the job.
    """
    if not settings.QUALITY_DEFENCES:
        return None
    QualityJob.objects.get_or_create(name=RING_JOB)
    claimed = QualityJob.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), name=RING_JOB
    ).update(lease_until=now + timedelta(seconds=lease_seconds))
    if claimed != 1:
        return None  # another process got there first
    try:
        # Excluded accounts stay in the test: the evidence of a ring does not go
        # away when part of it has been caught (otherwise each catch would hide
        # the rest). Only accounts not yet excluded are flagged.
        rels = VoterReliability.objects.all()
        if settings.QUALITY_RING_YOUNG_DAYS:
            young_since = now - timedelta(days=settings.QUALITY_RING_YOUNG_DAYS)
            rels = rels.filter(user__date_joined__gte=young_since)
        rows, excluded, networks = [], set(), {}
        for user_id, bias, is_excluded, nets in rels.values_list(
            "user_id", "model_bias", "excluded", "networks"
        ).iterator():
            if is_excluded:
                excluded.add(user_id)
            networks[user_id] = nets or []
            rows.extend(
                (user_id, model_id, n, wins, expected, variance)
                for model_id, (n, wins, expected, variance) in (bias or {}).items()
            )
        findings = stats.ring_test(rows, _ring_params())
        flagged, deferred, linked, confirmed_n, cohorts = [], [], {}, {}, {}
        first_seen = _first_votes(rels) if findings else {}
        for finding in findings:
            confirmed = stats.ring_confirmed(
                finding,
                networks,
                alone_z=settings.QUALITY_RING_ALONE_Z,
            )
            confirmed_n[finding.model_id] = len(confirmed)
            # Only the kept suspects anchor the network link.
            anchors = dataclasses.replace(
                finding, members={u: finding.members[u] for u in confirmed}
            )
            links = stats.ring_linked(
                anchors,
                rows,
                networks,
                z=settings.QUALITY_RING_LINK_Z,
                min_battles=settings.QUALITY_RING_LINK_MIN_BATTLES,
            )
            linked[finding.model_id] = len(links)
            # Accounts that started voting with the ring: its suspects and
            # accounts with too few battles with the model to be suspects.
            cohort = stats.ring_cohort(
                finding,
                rows,
                first_seen,
                window=settings.QUALITY_RING_COHORT_HOURS * 3600.0,
                min_battles=settings.QUALITY_RING_COHORT_MIN_BATTLES,
                posterior=settings.QUALITY_RING_COHORT_POSTERIOR,
            )
            cohort = {u: c for u, c in cohort.items() if u not in confirmed and u not in links}
            cohorts[finding.model_id] = len(cohort)
            candidates = [(u, None, None) for u in sorted(set(confirmed) - excluded)]
            candidates += [(u, links[u], None) for u in sorted(set(links) - excluded)]
            candidates += [(u, None, cohort[u]) for u in sorted(set(cohort) - excluded)]
            for user_id, link, by_cohort in candidates:
                try:
                    if _ring_flag_voter(
                        user_id=user_id,
                        finding=finding,
                        now=now,
                        link=link,
                        kept_by="cohort" if by_cohort else confirmed.get(user_id, ""),
                        cohort=by_cohort,
                    ):
                        flagged.append(user_id)
                except DatabaseError:
                    # A deadlock victim (a vote of this voter raced the sweep):
                    # the voter is looked at again on the next run.
                    deferred.append(user_id)
        result = {
            "at": now.isoformat(),
            "accounts_tested": len({r[0] for r in rows}),
            "findings": [
                {
                    "model_id": f.model_id,
                    "accounts": f.accounts,
                    "above_bound": f.above,
                    "kept": confirmed_n.get(f.model_id, 0),
                    "linked_by_network": linked.get(f.model_id, 0),
                    "cohort": cohorts.get(f.model_id, 0),
                    "p_value": f.p_value,
                }
                for f in findings
            ],
            "flagged": flagged,
            "deferred": deferred,
        }
        QualityJob.objects.filter(name=RING_JOB).update(last_run_at=now, last_result=result)
        return result
    finally:
        QualityJob.objects.filter(name=RING_JOB).update(lease_until=None)
