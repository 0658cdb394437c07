"""The sampling bench's figure: votes from which a policy meets the target.

It reads the curves through their isotonic fit, so one unlucky refit after
the target is met does not reset the count (the old rule, "the last refit
that missed plus one", did; two runs of the same policy then differed by
half).
"""

import importlib.util
import os
from pathlib import Path

import numpy as np

SPEC = importlib.util.spec_from_file_location(
    "bench_sampling", Path(__file__).resolve().parents[1] / "bench" / "sampling.py"
)
bench = importlib.util.module_from_spec(SPEC)
# The bench, run as a script, sets DATA_DIR for itself. Imported here it must not
# leave it behind: the servers later tests start inherit this environment, and
# a DATA_DIR of its own gave them another generated SECRET_KEY, so every
# session the tests handed them was refused ("Log in to vote").
ENVIRON = dict(os.environ)
try:
    SPEC.loader.exec_module(bench)
finally:
    for name in set(os.environ) - set(ENVIRON):
        del os.environ[name]
    os.environ.update(ENVIRON)


def test_importing_the_bench_left_the_environment_as_it_was():
    for name in ("DATA_DIR", "DJANGO_SETTINGS_MODULE"):
        assert os.environ.get(name) == ENVIRON.get(name)


def arenas(hit_counts, arenas=20, tau=0.95):
    """Per-arena top-3 hits with ``hit_counts[c]`` arenas right at refit c."""
    top3 = np.zeros((arenas, len(hit_counts)), dtype=bool)
    for c, k in enumerate(hit_counts):
        top3[:k, c] = True
    return np.full(top3.shape, tau), top3


def test_one_unlucky_refit_after_the_target_does_not_reset_the_count():
    # 19 or 20 of 20 right from the 3rd refit on, except 18 at the 6th.
    taus, top3 = arenas([10, 15, 19, 20, 19, 18, 20, 20, 19, 20])
    assert bench.votes_needed(taus, top3, 250) == 750


def test_a_policy_that_stays_below_the_target_never_reaches_it():
    taus, top3 = arenas([10, 15, 18, 17, 18, 18, 18, 17, 18, 18])
    assert bench.votes_needed(taus, top3, 250) is None


def test_a_late_sustained_drop_pushes_the_figure_back():
    # Right early by luck, then wrong for a long stretch: pooled, the early
    # refits do not count as reaching the target.
    taus, top3 = arenas([20, 20, 15, 15, 15, 15, 20, 20, 20, 20])
    assert bench.votes_needed(taus, top3, 250) == 1750


def test_both_targets_are_needed():
    taus, top3 = arenas([20] * 10)
    taus[:, :4] = 0.85  # tau reaches 0.9 only at the 5th refit
    assert bench.votes_needed(taus, top3, 100) == 500


def test_ratio_interval_brackets_the_ratio():
    fast = arenas([12, 19, 20, 20, 20, 20, 20, 20, 20, 20])
    slow = arenas([5, 8, 12, 15, 17, 19, 20, 20, 20, 20])
    low, high = bench.ratio_interval({"datafi": fast, "uniform": slow}, "datafi", 250)
    assert low <= 2 / 6 <= high < 1
