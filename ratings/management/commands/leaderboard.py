"""Leaderboard of a battle file, for researchers: no database needed."""

import argparse
import csv
import json
import os
import sys

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from datafi import csvsafe
from datafi.progress import progress_bar
from ratings.aggregate import aggregate_battles, index_models
from ratings.battlefile import BadRowError, BattleFileError, read_battles
from ratings.table import INTERVAL_METHODS, elo_table, leaderboard_table

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


class ReadProgress:
    """``read_battles`` reports (done, total) in bytes or rows; the bar counts the steps."""

    def __init__(self, bar):
        self.bar = bar

    def __call__(self, done: int, total: int) -> None:
        if self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _fmt(x, spec=".1f"):
    return "" if x is None else format(x, spec)


class Command(BaseCommand):
    help = (
        "Print the leaderboard of a battle file in a public layout (arena 33k / 140k, "
        "Kaggle 55k CSV, search-arena-24k, evalica's LLMFAO; JSON, JSONL, CSV or Parquet). "
        "Rows that cannot count are skipped and summed up (--strict refuses them). Needs "
        "no database; the numbers are those the service shows for the same votes with the "
        "same settings."
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
        parser.add_argument(
            "--strict",
            action="store_true",
            help="refuse a file with rows that cannot count (default: skip and sum them up)",
        )
        # Kept for scripts written when refusing was the default; skipping is now.
        parser.add_argument("--skip-bad-rows", action="store_true", help=argparse.SUPPRESS)
        parser.add_argument(
            "--prior-sd",
            type=float,
            default=settings.RATINGS_PRIOR_SD,
            help="prior standard deviation of strengths in rating points (0: none)",
        )
        parser.add_argument(
            "--interval",
            choices=INTERVAL_METHODS,
            default=settings.RATINGS_INTERVAL,
            help="bootstrap (percentile) or sandwich (closed-form robust) intervals",
        )
        parser.add_argument(
            "--reweight",
            action=argparse.BooleanOptionalAction,
            default=settings.RATINGS_REWEIGHT,
            help="weight battles inversely to their pair's frequency (as LMArena does)",
        )
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
        if opts["prior_sd"] < 0:
            raise CommandError("--prior-sd must be positive (or 0 for no prior)")
        output = opts.get("output")
        if output and os.path.splitext(output)[1].lower() not in (".json", ".csv"):
            raise CommandError("--output must end in .json or .csv")
        if not os.path.isfile(path):
            raise CommandError(f"no such file: {path}")
        show = opts["progress"] == "always" or (
            opts["progress"] == "auto" and os.path.getsize(path) > 5 * 1024 * 1024
        )
        bar = (
            ReadProgress(
                progress_bar(
                    sys.stderr,
                    total=None,
                    desc=f"reading {os.path.basename(path)}",
                    # bytes for the text formats, rows for Parquet (read_battles)
                    unit="rows" if path.lower().endswith(".parquet") else "B",
                    unit_scale=True,
                )
            )
            if show
            else None
        )
        try:
            data = read_battles(
                path,
                format=None if opts["format"] == "auto" else opts["format"],
                progress=bar,
                style=method == "style",
                on_error="raise" if opts["strict"] else "skip",
            )
        except BadRowError as exc:
            raise CommandError(f"{exc} (--strict; without it such rows are skipped)") from None
        except BattleFileError as exc:
            raise CommandError(str(exc)) from None
        finally:
            if bar is not None:
                bar.close()
        rows, meta = self.table(data, method, opts)
        for row in rows:
            row["preliminary"] = row["votes"] < opts["min_votes"]
        meta["layout"], meta["format"], meta["skipped"] = data.layout, data.format, data.skipped
        meta["skip_reasons"] = data.skip_reasons
        if data.skipped:
            self.stderr.write(data.skip_summary())
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
                prior_sd=opts["prior_sd"] or None,
                interval=opts["interval"],
                reweight=opts["reweight"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None

    def print_table(self, rows, meta):
        out = self.stdout
        out.write(
            f"{meta['method']}: {_plural(meta['n_battles'], 'battle')}, "
            f"{_plural(meta['n_models'], 'model')} "
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
                    writer.writerows(csvsafe.dict_row(r) for r in rows)
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc}") from None
        self.stderr.write(f"wrote {output}")


def _json_default(x):
    if isinstance(x, np.generic):
        return x.item()
    raise TypeError(f"not JSON serialisable: {type(x)}")
