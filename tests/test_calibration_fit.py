"""Item fit (cat_engine/calibration_fit.py): the chi-square tail against SciPy; the statistic's null on data
simulated from the model (known parameters: chi2 with G df; pretest items estimated by MEM from the same data:
G - p df), checked by the p-values being close to uniform over many items; and its power against an item whose
data come from other parameters."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest

from cat_engine.calibration import ResponseData, calibrate
from cat_engine.calibration_fit import chi2_sf, expected_score, item_fit, n_estimated
from cat_engine.irt import DICHOTOMOUS, GPCM, ItemParams
from cat_engine.simulate_pretest import draw_responses

IntArray = npt.NDArray[np.intp]


def _pool(n_2pl: int, n_gpcm: int, rng: np.random.Generator) -> ItemParams:
    n = n_2pl + n_gpcm
    steps = np.full((n, 3), np.nan)
    steps[n_2pl:] = np.sort(rng.normal(0.0, 1.0, (n_gpcm, 3)), axis=1)
    b = rng.normal(0.0, 1.0, n)
    b[n_2pl:] = steps[n_2pl:].mean(axis=1)
    return ItemParams(
        model=np.array([DICHOTOMOUS] * n_2pl + [GPCM] * n_gpcm, dtype=np.int8),
        a=np.exp(rng.normal(0.1, 0.25, n)),
        b=b,
        c=np.zeros(n),
        d=np.ones(n),
        steps=steps,
        n_categories=np.array([2] * n_2pl + [4] * n_gpcm, dtype=np.intp),
        D=1.0,
    )


def _simulate(
    truth: ItemParams, n_persons: int, per: int, rng: np.random.Generator
) -> tuple[IntArray, IntArray, IntArray]:
    theta = rng.normal(size=n_persons)
    items = np.argsort(rng.random((n_persons, truth.size)), axis=1)[:, :per].astype(np.intp)
    cats = draw_responses(truth, theta, items, rng)
    return np.repeat(np.arange(n_persons), per).astype(np.intp), items.ravel(), cats.ravel()


@pytest.mark.parametrize("df", [1, 2, 3, 4, 7, 10, 15])
def test_chi2_tail_matches_scipy(df: int) -> None:
    stats = pytest.importorskip("scipy.stats")
    for x in (0.0, 0.3, 1.0, float(df), 2.5 * df, 60.0):
        assert chi2_sf(x, df) == pytest.approx(float(stats.chi2.sf(x, df)), rel=1e-9, abs=1e-300)
    with pytest.raises(ValueError):
        chi2_sf(1.0, 0)


def test_p_values_are_uniform_with_known_parameters() -> None:
    """60 2PL and 20 GPCM items with the true parameters, two samples of 3,000 examinees answering 20 each."""
    rng = np.random.default_rng(4)
    truth = _pool(60, 20, rng)
    p_values = []
    for _ in range(2):
        person, item, cat = _simulate(truth, 3000, 20, rng)
        fit = item_fit(truth, person, item, cat, 3000, np.arange(truth.size))
        assert np.all(fit.df == 10)  # nothing estimated: G groups
        p_values.append(fit.p_value)
    p = np.concatenate(p_values)
    assert np.isfinite(p).all()
    assert 0.01 <= (p < 0.05).mean() <= 0.10
    assert 0.42 <= p.mean() <= 0.58  # uniform: 0.5 (SD of the mean over 160 items about 0.023)
    assert 0.12 <= (p < 0.2).mean() <= 0.28


def test_p_values_are_close_to_uniform_for_estimated_items() -> None:
    """40 pretest 2PL items estimated by MEM (from a = 1, b = 0) with 40 fixed items, df = G - 2."""
    rng = np.random.default_rng(8)
    truth = _pool(80, 0, rng)
    free = np.arange(80) < 40
    start = replace(truth, a=np.where(free, 1.0, truth.a), b=np.where(free, 0.0, truth.b))
    p_values = []
    for _ in range(3):
        person, item, cat = _simulate(truth, 3000, 20, rng)
        cal = calibrate(start, free, ResponseData(person, item, cat, 3000))
        lost = [n_estimated(cal.params, i, free_c=False) if free[i] else 0 for i in range(80)]
        fit = item_fit(cal.params, person, item, cat, 3000, np.flatnonzero(free), estimated=lost)
        assert np.all(fit.df[free] == 8) and np.isnan(fit.p_value[~free]).all()
        p_values.append(fit.p_value[free])
    p = np.concatenate(p_values)
    assert (p < 0.05).mean() <= 0.12
    assert 0.38 <= p.mean() <= 0.62


def test_an_item_whose_data_come_from_other_parameters_misfits() -> None:
    rng = np.random.default_rng(12)
    truth = _pool(30, 0, rng)
    wrong = replace(truth, c=np.where(np.arange(30) == 3, 0.35, 0.0), b=truth.b + np.where(np.arange(30) == 7, 0.7, 0))
    person, item, cat = _simulate(wrong, 2000, 15, rng)
    fit = item_fit(truth, person, item, cat, 2000, [3, 7, 10])
    assert fit.p_value[3] < 1e-4 and fit.p_value[7] < 1e-4
    groups = fit.groups[7]
    assert groups is not None and groups.n.sum() == fit.n[7]
    assert np.all(np.diff(groups.theta) > 0)  # groups in ability order
    # the item is harder than its parameters say: fewer correct than expected, in most groups
    assert (groups.observed < groups.expected).mean() >= 0.8
    assert np.isnan(fit.p_value[0]) and fit.groups[0] is None  # not asked for


def test_too_few_rows_are_not_tested_and_the_expected_score_curve() -> None:
    rng = np.random.default_rng(2)
    truth = _pool(5, 2, rng)
    person, item, cat = _simulate(truth, 40, 5, rng)
    fit = item_fit(truth, person, item, cat, 40, np.arange(7), min_per_group=25)
    assert np.isnan(fit.p_value).all() and np.all(fit.df == 0)
    curve = expected_score(truth, 6, np.array([-4.0, 0.0, 4.0]))
    assert np.all(np.diff(curve) > 0) and 0 < curve[0] < curve[-1] < 3
