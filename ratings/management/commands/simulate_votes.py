import json
import random
from contextlib import nullcontext
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from datafi.api import ApiError
from datafi.flows import fold
from datafi.progress import progress_bar
from evals import services
from evals.models import EvalModel
from ratings.services import refresh_dirty

DEMO_FILE = Path(__file__).resolve().parents[3] / "evals" / "demo" / "demo.json"
# The settings that limit votes; 0 turns a limit off (evals.quality.limits).
VOTE_LIMIT_SETTINGS = (
    "QUALITY_VOTES_PER_MINUTE_USER",
    "QUALITY_VOTES_PER_DAY_USER",
    "QUALITY_VOTES_PER_MINUTE_IP",
    "QUALITY_VOTES_PER_DAY_IP",
)
# A fresh voter refused this many times in a row means the limits leave no room.
MAX_REFUSALS_IN_A_ROW = 10


def simulated_choice(rng: random.Random, strength_a: float, strength_b: float) -> str:
    """A vote drawn from Bradley-Terry on the true strengths, with some ties and both-bad."""
    weak = max(strength_a, strength_b) < 1050
    r = rng.random()
    if r < (0.10 if weak else 0.03):
        return "both_bad"
    if r < 0.22:
        return "tie"
    p_a = 1.0 / (1.0 + 10 ** ((strength_b - strength_a) / 400.0))
    return "model_a" if rng.random() < p_a else "model_b"


class Command(BaseCommand):
    help = (
        "Cast votes by simulated voters through the real arena services, following the "
        "demo models' true_strength (load_demo first). Refreshes the leaderboards at the end. "
        "The vote limits are respected (a voter who reaches one leaves and a new one arrives) "
        "unless --lift-limits lifts them for this run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--votes", type=int, default=500)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--file", default=str(DEMO_FILE), help="demo.json with true_strength")
        parser.add_argument("--no-refresh", action="store_true")
        parser.add_argument(
            "--lift-limits",
            action="store_true",
            help="lift the per-user and per-IP vote limits for this run (one voter may then "
            "cast any number of votes a minute)",
        )

    def handle(self, *args, **options):
        if options["votes"] < 0:
            raise CommandError("--votes must be non-negative")
        try:
            demo = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        strength = {m["name"]: float(m["true_strength"]) for m in demo["models"]}
        by_id = dict(EvalModel.objects.filter(name__in=strength).values_list("id", "name"))
        if len(by_id) < 2:
            raise CommandError("The demo models are not loaded: run manage.py load_demo first.")
        if not settings.QUALITY_DEFENCES:
            self.stdout.write("Vote limits: none apply (QUALITY_DEFENCES is off).")
            limits = nullcontext()
        elif options["lift_limits"]:
            self.stdout.write(
                "Vote limits: lifted for this run (--lift-limits): "
                + ", ".join(f"{name}=0" for name in VOTE_LIMIT_SETTINGS)
                + "."
            )
            limits = override_settings(**dict.fromkeys(VOTE_LIMIT_SETTINGS, 0))
        else:
            self.stdout.write(
                "Vote limits: respected: each simulated voter casts at most "
                f"{settings.QUALITY_VOTES_PER_MINUTE_USER} votes a minute and "
                f"{settings.QUALITY_VOTES_PER_DAY_USER} a day (0 = no limit); one who is "
                "refused leaves and a new voter arrives. --lift-limits lifts them."
            )
            limits = nullcontext()
        with limits:
            cast, refused = self._simulate(options, strength, by_id)
        self.stdout.write("")
        if refused:
            self.stdout.write(f"{refused} votes were refused by a vote limit (not cast).")
        if not options["no_refresh"]:
            n = refresh_dirty()
            self.stdout.write(f"Refreshed {n} leaderboard slices.")
        self.stdout.write(self.style.SUCCESS(f"Cast {cast} simulated votes."))

    def _simulate(self, options, strength, by_id) -> tuple[int, int]:
        """Cast ``--votes`` votes; how many were cast and how many a limit refused."""
        rng = random.Random(options["seed"])
        users = get_user_model().objects
        voter_no, cast, refused, in_a_row, total = 0, 0, 0, 0, options["votes"]
        voter = None
        bar = progress_bar(self.stdout, total=total, desc="votes", unit="votes")
        while cast < total:
            if voter is None:
                voter_no += 1
                # Simulated voters cannot log in (no usable password).
                voter, _ = users.get_or_create(username=f"sim-voter-{options['seed']}-{voter_no}")
            try:
                battle = services.battle_serve(user=voter)
            except ApiError:
                voter = None  # this voter has seen every prompt
                if voter_no > total + refused + 10:
                    raise CommandError("the sampler serves nothing: are answers loaded?") from None
                continue
            a, b = by_id.get(battle.model_a_id), by_id.get(battle.model_b_id)
            choice = simulated_choice(rng, strength.get(a, 1000.0), strength.get(b, 1000.0))
            try:
                fold.vote_cast(user=voter, battle_id=battle.id, choice=choice)
            except ApiError as exc:
                if exc.code != "rate_limited":
                    raise
                # The vote changed nothing; this voter is done for now.
                refused += 1
                in_a_row += 1
                voter = None
                if in_a_row >= MAX_REFUSALS_IN_A_ROW:
                    raise CommandError(
                        f"{in_a_row} fresh voters in a row were refused by a vote limit "
                        f"({exc.detail}); pass --lift-limits to lift the limits for this run."
                    ) from None
                continue
            in_a_row = 0
            cast += 1
            if rng.random() < 0.02:
                voter = None  # voters come and go
            bar.update(1)
        bar.close()
        return cast, refused
