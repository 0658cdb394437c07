import json
import random
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from datafi.api import ApiError
from evals import services
from evals.models import EvalModel
from ratings.services import refresh_dirty

DEMO_FILE = Path(__file__).resolve().parents[3] / "evals" / "demo" / "demo.json"


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
        "demo models' true_strength (load_demo first). Refreshes the leaderboards at the end."
    )

    def add_arguments(self, parser):
        parser.add_argument("--votes", type=int, default=500)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--file", default=str(DEMO_FILE), help="demo.json with true_strength")
        parser.add_argument("--no-refresh", action="store_true")

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
        rng = random.Random(options["seed"])
        users = get_user_model().objects
        voter_no, cast, total = 0, 0, options["votes"]
        voter = None
        while cast < total:
            if voter is None:
                voter_no += 1
                # Simulated voters cannot log in (no usable password).
                voter, _ = users.get_or_create(username=f"sim-voter-{options['seed']}-{voter_no}")
            try:
                battle = services.battle_serve(user=voter)
            except ApiError:
                voter = None  # this voter has seen every prompt
                if voter_no > total + 10:
                    raise CommandError("the sampler serves nothing: are answers loaded?") from None
                continue
            a, b = by_id.get(battle.model_a_id), by_id.get(battle.model_b_id)
            choice = simulated_choice(rng, strength.get(a, 1000.0), strength.get(b, 1000.0))
            services.vote_cast(user=voter, battle_id=battle.id, choice=choice)
            cast += 1
            if rng.random() < 0.02:
                voter = None  # voters come and go
            if cast % 100 == 0 or cast == total:
                self.stdout.write(f"\r  votes {cast}/{total}", ending="")
                self.stdout.flush()
        self.stdout.write("")
        if not options["no_refresh"]:
            n = refresh_dirty()
            self.stdout.write(f"Refreshed {n} leaderboard slices.")
        self.stdout.write(self.style.SUCCESS(f"Cast {cast} simulated votes."))
