"""Leaderboard of a battle file, for researchers: no database needed."""

import csv
import json
import os
import sys
import time

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ratings.aggregate import aggregate_battles, index_models
from ratings.battlefile import BattleFileError, read_battles
from ratings.table import elo_table, leaderboard_table

CSV_COLUMNS = [
    "rank",
    "model",
    "score",
    "lower",
    "upper",
    "votes",
    "win_rate",
    "both_bad_rate",
    "component",
    "preliminary",
]


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most every 0.2 s."""

    def __init__(self, stream, label: str):
        self.stream, self.label, self.last, self.drawn = stream, label, 0.0, False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.2 and done < total:
            return
        self.last, self.drawn = now, True
        frac = done / total if total else 1.0
        bar = "#" * int(frac * 30)
        self.stream.write(f"\r{self.label} [{bar:<30}] {frac:6.1%}")
        self.stream.flush()

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")


def _fmt(x, spec=".1f"):
    return "" if x is None else format(x, spec)


class Command(BaseCommand):
    help = (
        "Print the leaderboard of a battle file in a public arena layout (arena 33k / 140k "
        "JSON or JSONL, Kaggle CSV, or Parquet). Needs no database; the numbers are those "
        "the service shows for the same votes with the same settings."
    )
    # Reads a file and prints: no system checks or migrations, so it runs on a
    # checkout without a database.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True, help="battle file")
        parser.add_argument(
            "--format", default="auto", choices=["auto", "jsonl", "json", "csv", "parquet"]
        )
        parser.add_argument("--output", help="also write the table to this .json or .csv file")
        parser.add_argument(
            "--method",
            default="bt",
            choices=["bt", "style", "elo"],
            help="bt (Bradley-Terry), style (style-controlled BT) or elo (online Elo)",
        )
        parser.add_argument("--style", action="store_true", help="same as --method style")
        parser.add_argument(
            "--rounds", type=int, default=settings.RATINGS_BOOTSTRAP_ROUNDS, help="bootstrap rounds"
        )
        parser.add_argument(
            "--style-rounds",
            type=int,
            default=settings.RATINGS_STYLE_ROUNDS,
            help="bootstrap rounds of style control",
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--anchor", default=settings.RATINGS_ANCHOR or None, help="model held at 1000"
        )
        parser.add_argument("--k", type=float, default=settings.RATINGS_ELO_K, help="Elo K")
        parser.add_argument(
            "--min-votes",
            type=int,
            default=settings.RATINGS_PRELIMINARY_VOTES,
            help="rows with fewer votes are marked preliminary",
        )
        parser.add_argument("--skip-bad-rows", action="store_true")
        parser.add_argument(
            "--progress",
            choices=["auto", "always", "never"],
            default="auto",
            help="progress bar on stderr (auto: files over 5 MB)",
        )

    def handle(self, *args, **opts):
        method = "style" if opts["style"] else opts["method"]
        path = opts["input"]
        if opts["rounds"] < 0 or opts["style_rounds"] < 0:
            raise CommandError("--rounds and --style-rounds must be non-negative")
        output = opts.get("output")
        if output and os.path.splitext(output)[1].lower() not in (".json", ".csv"):
            raise CommandError("--output must end in .json or .csv")
        if not os.path.isfile(path):
            raise CommandError(f"no such file: {path}")
        show = opts["progress"] == "always" or (
            opts["progress"] == "auto" and os.path.getsize(path) > 5 * 1024 * 1024
        )
        bar = ProgressBar(sys.stderr, f"reading {os.path.basename(path)}") if show else None
        try:
            data = read_battles(
                path,
                format=None if opts["format"] == "auto" else opts["format"],
                progress=bar,
                style=method == "style",
                on_error="skip" if opts["skip_bad_rows"] else "raise",
            )
        except BattleFileError as exc:
            raise CommandError(str(exc)) from None
        finally:
            if bar is not None:
                bar.close()
        rows, meta = self.table(data, method, opts)
        for row in rows:
            row["preliminary"] = row["votes"] < opts["min_votes"]
        meta["layout"], meta["format"], meta["skipped"] = data.layout, data.format, data.skipped
        meta["min_votes"] = opts["min_votes"]
        self.print_table(rows, meta)
        if output:
            self.write(output, rows, meta)

    def table(self, data, method, opts):
        names, a, b = index_models(data.model_a, data.model_b)
        names = [str(n) for n in names]
        try:
            if method == "elo":
                return elo_table(names, a, b, data.outcome, both_bad=data.both_bad, k=opts["k"])
            counts = aggregate_battles(
                a, b, data.outcome, n_models=len(names), both_bad=data.both_bad
            )
            style = None
            if method == "style":
                if data.features_a is None:
                    raise CommandError(
                        "style control needs the answer texts (conversation_a/conversation_b "
                        "or response_a/response_b columns), and this file has none"
                    )
                style = {
                    "model_a_idx": a,
                    "model_b_idx": b,
                    "outcome": data.outcome,
                    "features_a": data.features_a,
                    "features_b": data.features_b,
                }
            return leaderboard_table(
                names,
                counts,
                rounds=opts["rounds"],
                seed=opts["seed"],
                anchor=opts["anchor"],
                style=style,
                style_rounds=opts["style_rounds"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None

    def print_table(self, rows, meta):
        out = self.stdout
        out.write(
            f"{meta['method']}: {meta['n_battles']} battles, {meta['n_models']} models "
            f"({meta['layout']} layout, {meta['format']})"
        )
        width = max([len("model")] + [len(r["model"]) for r in rows])
        out.write(
            f"{'rank':>4}  {'model':<{width}}  {'score':>7}  {'95% interval':>15}  "
            f"{'votes':>7}  {'win rate':>8}  {'both bad':>8}"
        )
        for r in rows:
            interval = f"{r['lower']:.1f}..{r['upper']:.1f}" if r["lower"] is not None else "-"
            flag = "  preliminary" if r["preliminary"] else ""
            out.write(
                f"{_fmt(r['rank'], 'd') or '-':>4}  {r['model']:<{width}}  {r['score']:>7.1f}  "
                f"{interval:>15}  {r['votes']:>7d}  {_fmt(r['win_rate'], '.3f') or '-':>8}  "
                f"{r['both_bad_rate']:>8.3f}{flag}"
            )
        if meta.get("style_coefficients"):
            coefs = ", ".join(f"{k} {v:+.1f}" for k, v in meta["style_coefficients"].items())
            out.write(f"style coefficients (rating points per s.d.): {coefs}")
        if meta.get("skipped"):
            self.stderr.write(f"skipped {meta['skipped']} bad rows")
        for warning in meta.get("warnings", []):
            self.stderr.write(f"warning: {warning}")

    def write(self, output, rows, meta):
        try:
            if output.lower().endswith(".json"):
                with open(output, "w", encoding="utf-8") as f:
                    json.dump({"rows": rows, "meta": meta}, f, indent=1, default=_json_default)
            else:
                with open(output, "w", encoding="utf-8", newline="") as f:
                    writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS, extrasaction="ignore")
                    writer.writeheader()
                    writer.writerows(rows)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc}") from None
        self.stderr.write(f"wrote {output}")


def _json_default(x):
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"not JSON serialisable: {type(x)}")
