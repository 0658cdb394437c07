"""Style control."""

import numpy as np
import pytest

from ratings.aggregate import aggregate_battles
from ratings.bt import fit_bt
from ratings.style import extract_features, fit_style


def test_it_extracts_markdown_features_by_regex():
    text = (
        "# Title\n\nSome **bold** text and __more__.\n\n- one\n- two\n1. three\n"
        "```\n# not a header\n- nor a list\n```\n"
    )
    length, headers, lists, bold = extract_features(text)
    assert headers == 1
    assert lists == 3
    assert bold == 2
    assert length > 10
    assert extract_features(None).tolist() == [0.0, 0.0, 0.0, 0.0]


def test_it_recovers_a_planted_length_bias():
    rng = np.random.default_rng(11)
    m, n = 8, 40_000
    strength = rng.normal(0, 0.5, m)
    a = rng.integers(0, m, n)
    b = (a + rng.integers(1, m, n)) % m
    # Model 0 writes long answers; voters like length beyond true strength.
    base_len = np.where(np.arange(m) == 0, 900.0, 300.0)
    la = rng.gamma(4.0, base_len[a] / 4.0)
    lb = rng.gamma(4.0, base_len[b] / 4.0)
    fa = np.c_[la, rng.poisson(1, n), rng.poisson(3, n), rng.poisson(2, n)]
    fb = np.c_[lb, rng.poisson(1, n), rng.poisson(3, n), rng.poisson(2, n)]
    diff = (la - lb) / (la + lb)
    planted = 1.0  # logit per unit of normalised length difference
    p = 1 / (1 + np.exp(-(strength[a] - strength[b] + planted * diff)))
    s = (rng.random(n) < p).astype(float)

    fit = fit_style(a, b, s, fa, fb, n_models=m)
    # coef is per standard deviation of the normalised difference.
    assert fit.coef[0] / fit.std[0] == pytest.approx(planted, abs=0.1)
    assert np.all(np.abs(fit.coef[1:]) < 0.05)
    truth = 1000 + 400 / np.log(10) * (strength - strength.mean())
    raw = fit_bt(aggregate_battles(a, b, s, n_models=m)).scores
    # Raw BT rewards model 0's verbosity; style control removes it.
    assert raw[0] - truth[0] > 30
    assert abs(fit.scores[0] - truth[0]) < 20
