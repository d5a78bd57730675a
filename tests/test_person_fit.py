"""Tests of :mod:`cat_engine.person_fit`: lz* and lz_p* against a brute-force computation of Snijders' (2001) and
Sinharay's (2016) formulas with the estimator's own :math:`r_0`, their null distributions by simulation, and the
ability-change test's null and power.

The brute force works from the category probabilities alone (derivatives by central differences, step 1e-4, so
agreement to about 1e-6 is expected) and uses each estimator's :math:`r_0` explicitly: 0 for the MLE,
:math:`J/(2I)` for Warm's WLE, :math:`-(\\theta - \\mu)/\\sigma^2` for the MAP. The module computes the correction
as :math:`-c_n \\sum_i s_{i x_i}` instead, so the two agree only if the estimate solves the estimator's equation.

Simulation tolerances are four binomial standard deviations of a rate measured on the stated number of simulees.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import numpy.typing as npt
import pytest

from cat_engine.estimation import EstimatorConfig, LogLikTable, estimate, estimate_batch, node_loglik
from cat_engine.irt import DICHOTOMOUS, GPCM, GRM, ItemParams, category_probabilities
from cat_engine.person_fit import ability_change, fit_terms, lz_star

FloatArray = npt.NDArray[np.float64]
SIMULEES = 2000


def _mixed_params(rng: np.random.Generator, n_dich: int, n_gpcm: int, n_grm: int) -> ItemParams:
    """A pool of 3PL items, then 4-category GPCM items, then 4-category GRM items."""
    n = n_dich + n_gpcm + n_grm
    model = np.array([DICHOTOMOUS] * n_dich + [GPCM] * n_gpcm + [GRM] * n_grm, dtype=np.int8)
    a = rng.uniform(0.8, 2.0, n)
    b = rng.normal(0.0, 1.0, n)
    c = np.where(model == DICHOTOMOUS, rng.uniform(0.0, 0.25, n), 0.0)
    steps = np.full((n, 3), np.nan)
    poly = model != DICHOTOMOUS
    raw = np.sort(rng.normal(0.0, 1.0, (n, 3)), axis=1)
    steps[poly] = raw[poly]
    b[poly] = raw[poly].mean(axis=1)
    n_categories = np.where(poly, 4, 2).astype(np.intp)
    return ItemParams(model, a, b, c, np.ones(n), steps, n_categories)


def _draw(rng: np.random.Generator, theta: FloatArray, params: ItemParams) -> npt.NDArray[np.intp]:
    """Categories drawn from the model, shape (len(theta), n_items)."""
    probs = category_probabilities(np.asarray(theta)[:, None], params)
    cumulative = probs.cumsum(axis=-1)
    u = rng.random((*probs.shape[:-1], 1))
    out: npt.NDArray[np.intp] = np.minimum((u > cumulative).sum(axis=-1), params.n_categories - 1)
    return out


# --- brute force -----------------------------------------------------------------------------------------------

_H = 1e-4


def _brute_lz(
    theta: float,
    params: ItemParams,
    categories: npt.NDArray[np.intp],
    r0: Literal["mle", "wle", "map"],
) -> float:
    """Sinharay's (2016) lz_p* (Snijders' lz* for 0/1 items) with the estimator's r_0, from probabilities only."""
    p0 = category_probabilities(theta, params)
    p_up, p_down = category_probabilities(theta + _H, params), category_probabilities(theta - _H, params)
    d1 = (p_up - p_down) / (2 * _H)
    d2 = (p_up - 2 * p0 + p_down) / _H**2
    exists = p0 > 0
    safe = np.where(exists, p0, 1.0)
    log_p = np.where(exists, np.log(safe), 0.0)
    r = np.where(exists, d1 / safe, 0.0)
    info = float((d1 * d1 / safe * exists).sum())
    warm_j = float((d1 * d2 / safe * exists).sum())
    r_zero = {"mle": 0.0, "wle": warm_j / (2 * info), "map": -theta}[r0]  # the MAP's prior is N(0, 1)
    x = np.zeros_like(p0)
    x[np.arange(categories.shape[0]), categories] = 1.0
    w_n = float(((x - p0) * log_p).sum())
    c_n = float((d1 * log_p).sum()) / float((d1 * r).sum())
    w_tilde = log_p - c_n * r
    mean = (p0 * w_tilde).sum(axis=1)
    variance = float(((p0 * w_tilde**2).sum(axis=1) - mean**2).sum())
    return (w_n + c_n * r_zero) / math.sqrt(variance)


@pytest.mark.parametrize("method", ["mle", "wle", "map"])
@pytest.mark.parametrize("pool", ["3pl", "gpcm", "grm", "mixed"])
def test_lz_star_matches_the_published_formula(method: Literal["mle", "wle", "map"], pool: str) -> None:
    rng = np.random.default_rng(["3pl", "gpcm", "grm", "mixed"].index(pool))
    counts = {"3pl": (15, 0, 0), "gpcm": (0, 12, 0), "grm": (0, 0, 12), "mixed": (8, 5, 5)}[pool]
    params = _mixed_params(rng, *counts)
    for theta_true in (-1.0, 0.4, 1.5):
        categories = _draw(rng, np.array([theta_true]), params)[0]
        items = np.arange(params.size)
        config = EstimatorConfig(method=method)
        theta, _ = estimate(config, params, items, categories)
        if not -3.9 < theta < 3.9:  # an MLE on the range's bound solves no equation
            continue
        got = lz_star([fit_terms(theta, params, items, categories)], params.size).lz
        assert got == pytest.approx(_brute_lz(theta, params, categories, method), abs=1e-5)


def test_fit_terms_add_up_and_edge_cases() -> None:
    rng = np.random.default_rng(5)
    params = _mixed_params(rng, 6, 3, 3)
    items = np.arange(params.size)
    categories = _draw(rng, np.array([0.3]), params)[0]
    terms = fit_terms(0.3, params, items, categories)
    assert terms.numerator == pytest.approx(terms.contributions.sum())
    assert terms.variance == pytest.approx(terms.item_variance.sum())
    assert np.all(terms.item_variance > 0)
    empty = fit_terms(0.0, params, [], [])
    assert (empty.numerator, empty.variance) == (0.0, 0.0)
    nothing = lz_star([empty], 0)
    assert (nothing.lz, nothing.p_value, nothing.flagged) == (0.0, 1.0, False)
    one = lz_star([fit_terms(0.0, params, [0], [1])], 1)
    assert math.isfinite(one.lz) and 0.0 <= one.p_value <= 1.0
    top = (params.n_categories - 1)[items]
    theta, _ = estimate(EstimatorConfig(method="wle"), params, items, top)
    all_top = lz_star([fit_terms(theta, params, items, top)], params.size)
    assert math.isfinite(all_top.lz) and not all_top.flagged  # consistent with a high ability: no misfit


def _lz_null(params: ItemParams, method: Literal["wle", "eap"], seed: int) -> FloatArray:
    rng = np.random.default_rng(seed)
    theta_true = rng.standard_normal(SIMULEES)
    categories = _draw(rng, theta_true, params)
    items = np.arange(params.size)
    config = EstimatorConfig(method=method)
    if method == "eap":
        table = LogLikTable.build(config, params)
        theta = np.array([estimate(config, params, items, c, table)[0] for c in categories])
    else:
        every = np.broadcast_to(items, categories.shape)
        loglik = node_loglik(config, params, every, categories)
        theta, _ = estimate_batch(config, params, loglik, every, categories, np.ones(categories.shape, dtype=bool))
    fits = [fit_terms(t, params, items, c) for t, c in zip(theta, categories, strict=True)]
    return np.array([lz_star([f], params.size).lz for f in fits])


@pytest.mark.parametrize(("pool", "method"), [("3pl", "wle"), ("mixed", "eap")])
def test_lz_star_null_is_close_to_standard_normal(pool: str, method: Literal["wle", "eap"]) -> None:
    """Fixed 30-item tests, theta ~ N(0, 1).

    The variance is what the correction exists to fix: the uncorrected lz at the estimate has a variance of about
    0.75 on these tests, so a bound of 0.15 around 1 (sampling SD about 0.03) tells the two apart. The N(0, 1) is
    asymptotic: on 30 3PL items the lower 1 % tail measured 0.0185 (the 3PL's guessing skews the statistic), so the
    1 % bound allows twice the nominal rate plus sampling noise; the 5 % tail must be within sampling noise.
    """
    rng = np.random.default_rng(40)
    counts = {"3pl": (30, 0, 0), "mixed": (16, 7, 7)}[pool]
    params = _mixed_params(rng, *counts)
    lz = _lz_null(params, method, 41)
    low5, low1 = np.mean(lz < -1.6449), np.mean(lz < -2.3263)
    print(
        f"lz* null, {pool} {method}: mean {lz.mean():.3f}, var {lz.var():.3f}, P(<z.05) {low5:.4f}, P(<z.01) {low1:.4f}"
    )
    assert abs(lz.var() - 1.0) < 0.15
    assert abs(low5 - 0.05) < _tolerance(0.05)
    assert low1 < 2 * 0.01 + _tolerance(0.01)


def _tolerance(p: float, m: int = SIMULEES) -> float:
    return 4.0 * math.sqrt(p * (1.0 - p) / m)


def test_lz_star_finds_reversed_patterns() -> None:
    """Examinees who fail the third easiest items and pass the third hardest ones, otherwise model-conforming."""
    rng = np.random.default_rng(42)
    params = _mixed_params(rng, 30, 0, 0)
    order = np.argsort(params.b)
    easiest, hardest = order[:10], order[-10:]
    theta_true = rng.standard_normal(SIMULEES // 4)
    categories = _draw(rng, theta_true, params)
    categories[:, easiest] = 0
    categories[:, hardest] = 1
    items = np.arange(params.size)
    config = EstimatorConfig(method="wle")
    flagged = []
    for c in categories:
        theta, _ = estimate(config, params, items, c)
        flagged.append(lz_star([fit_terms(theta, params, items, c)], params.size, alpha=0.01).flagged)
    power = np.mean(flagged)
    print(f"lz*: power {power:.3f} on reversed patterns at alpha 0.01")
    assert power > 0.8


# --- ability change --------------------------------------------------------------------------------------------


def _abilities(rng: np.random.Generator, m: int, s: int, rho: float) -> FloatArray:
    out: FloatArray = math.sqrt(rho) * rng.standard_normal((m, 1)) + math.sqrt(1 - rho) * rng.standard_normal((m, s))
    return out


@pytest.mark.parametrize("rho", [0.6, 1.0])
def test_ability_change_null(rho: float) -> None:
    rng = np.random.default_rng(50)
    se = np.array([0.3, 0.25, 0.35])
    theta = _abilities(rng, SIMULEES, 3, rho)
    estimate_ = theta + se * rng.standard_normal(theta.shape)
    two = np.mean([ability_change(t[:2], se[:2], rho, alpha=0.05).flagged for t in estimate_])
    assert abs(two - 0.05) < _tolerance(0.05)  # one boundary: exactly N(0, 1)
    three = np.mean([ability_change(t, se, rho, alpha=0.05).flagged for t in estimate_])
    print(f"ability change, rho {rho}: rejection rate {two:.4f} (2 subtests), {three:.4f} (3, Bonferroni)")
    assert 0.025 < three <= 0.05 + _tolerance(0.05)
    # EAP-like estimates (normal prior, posterior mean and SD) shrink: the test stays conservative
    shrink = 1.0 / (1.0 + se**2)
    posterior = estimate_ * shrink
    eap = np.mean([ability_change(t, se * np.sqrt(shrink), rho, alpha=0.05).flagged for t in posterior])
    assert eap <= 0.05 + _tolerance(0.05)


def test_ability_change_finds_a_stand_in_when_abilities_agree() -> None:
    """rho = 1: a stand-in of independent ability from N(0, 1) answers the third subtest."""
    rng = np.random.default_rng(51)
    se = np.full(3, 0.3)
    own, stand_in = rng.standard_normal(SIMULEES // 2), rng.standard_normal(SIMULEES // 2)
    theta = np.stack([own, own, stand_in], axis=1) + 0.3 * rng.standard_normal((SIMULEES // 2, 3))
    results = [ability_change(t, se, 1.0, alpha=0.0125) for t in theta]
    power = np.mean([r.flagged for r in results])
    placed = np.mean([r.best == 2 for r in results if r.flagged])
    print(f"ability change of a stand-in, rho 1: power {power:.3f} at alpha 0.0125; placed right {placed:.2f}")
    # |d| ~ |N(0, 2 + 0.09 * 1.5)| against 2.73 * sqrt(0.135) = 1.0: power near 0.5
    assert 0.4 < power < 0.65
    assert placed > 0.9


def test_ability_change_edges() -> None:
    assert ability_change([0.5], [0.3], 0.8).p_value == 1.0
    with pytest.raises(ValueError, match="correlation"):
        ability_change([0.0, 1.0], [0.3, 0.3], 1.5)
    with pytest.raises(ValueError, match="standard errors"):
        ability_change([0.0, 1.0], [0.3, 0.0], 1.0)
