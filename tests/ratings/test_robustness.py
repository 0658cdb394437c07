"""ratings.robustness: the fewest votes whose removal changes the top model."""

import itertools

import numpy as np
import pytest

from ratings.aggregate import aggregate_battles, counts_from_pairs
from ratings.bt import fit_bt
from ratings.robustness import fewest_votes_to_change_top


def _pairs(m, rows):
    i, j, wi, wj = zip(*rows, strict=True)
    return counts_from_pairs(m, i, j, wi, [0] * len(rows), wj)


def _top_changed(counts, top):
    fit = fit_bt(counts)
    others = fit.theta.copy()
    others[top] = -np.inf
    return others.max() > fit.theta[top] + 1e-7


def test_two_models_six_to_four_needs_three_removals():
    # 6-4 -> removing two of the top's wins gives 4-4, a tie that keeps the top;
    # the third removal hands the top to the other model.
    r = fewest_votes_to_change_top(_pairs(2, [(0, 1, 6, 4)]))
    assert (r.votes, r.top, r.challenger) == (3, 0, 1)
    assert r.n_battles == 10
    assert r.share == pytest.approx(0.3)
    assert r.method == "greedy upper bound"


def test_it_is_an_upper_bound_on_the_exact_minimum_of_a_small_case():
    rows = [(0, 1, 3, 1), (0, 2, 3, 1), (1, 2, 2, 2)]
    counts = _pairs(3, rows)
    result = fewest_votes_to_change_top(counts)
    top = int(np.argmax(fit_bt(counts).theta))
    # Exhaustive search over every way to remove decisive votes.
    cells = [(k, side) for k in range(3) for side in ("i", "j")]
    caps = [rows[k][2] if side == "i" else rows[k][3] for k, side in cells]
    exact = None
    for removal in itertools.product(*[range(c + 1) for c in caps]):
        total = sum(removal)
        if exact is not None and total >= exact:
            continue
        new = [list(r) for r in rows]
        for (k, side), x in zip(cells, removal, strict=True):
            new[k][2 if side == "i" else 3] -= x
        if sum(r[2] + r[3] for r in new) == 0:
            continue
        if _top_changed(_pairs(3, [tuple(r) for r in new]), top):
            exact = total
    assert exact is not None
    assert result.votes >= exact
    # The greedy plan is not far off here, and its figure is itself verified.
    assert result.votes <= exact + 2


def test_the_removal_it_reports_really_changes_the_top():
    rng = np.random.default_rng(4)
    strength = np.array([1.0, 0.8, 0.2, -0.4])
    a = rng.integers(0, 4, 3000)
    b = (a + rng.integers(1, 4, 3000)) % 4
    won = rng.random(3000) < 1 / (1 + np.exp(strength[b] - strength[a]))
    counts = aggregate_battles(a, b, won.astype(float), n_models=4)
    r = fewest_votes_to_change_top(counts)
    assert r.top == 0 and r.votes is not None
    assert r.top_wins_removed + r.challenger_losses_removed == r.votes
    # A clear leader needs more removals than a near tie.
    tight = fewest_votes_to_change_top(_pairs(2, [(0, 1, 51, 49)]))
    wide = fewest_votes_to_change_top(_pairs(2, [(0, 1, 80, 20)]))
    # 51-49: 49-49 is a tie (top kept), 48-49 is not. 80-20: down to 19-20.
    assert tight.votes == 3 and wide.votes == 61


def test_a_model_that_never_won_cannot_take_the_top():
    # Model 1 only ever lost to model 0: removing wins can empty the board but
    # never put model 1 on top, so there is no figure.
    r = fewest_votes_to_change_top(_pairs(2, [(0, 1, 5, 0)]))
    assert (r.top, r.votes, r.challenger) == (0, None, None)


def test_on_a_split_graph_the_top_is_the_first_components_and_the_other_does_not_count():
    # Models 0-1 fought only each other, 2-3 only each other (a far wider margin).
    # Scores compare only within a component; the table lists component 0 first,
    # so its top is model 0, and model 3's larger score is no challenge to it.
    counts = _pairs(4, [(0, 1, 3, 1), (2, 3, 0, 9)])
    r = fewest_votes_to_change_top(counts)
    assert (r.top, r.challenger) == (0, 1)
    assert r.votes == 3  # 3-1 less two of 0's wins is 1-1, a tie that keeps 0; less three, 0-1
    assert r.top_wins_removed + r.challenger_losses_removed == r.votes


def test_the_top_can_be_named_as_the_table_breaks_a_tie():
    # 0 and 1 have the same record: the table shows 0 or 1 first by name; the
    # figure is about the model it shows.
    counts = _pairs(3, [(0, 2, 2, 0), (1, 2, 2, 0), (0, 1, 1, 1)])
    assert fewest_votes_to_change_top(counts, top=1).top == 1
    assert fewest_votes_to_change_top(counts, top=0).top == 0
    with pytest.raises(ValueError, match="no battles"):
        fewest_votes_to_change_top(_pairs(3, [(0, 1, 2, 1)]), top=2)
