"""Simulated pretest seeding: the operational test untouched, answers from the model, the summary's keys."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from cat_engine.battery import load_battery
from cat_engine.irt import DICHOTOMOUS, ItemParams, category_probabilities
from cat_engine.pretest_items import concat_params
from cat_engine.simulate import SubtestSimulation, simulate_subtest
from cat_engine.simulate_pretest import (
    PretestSimulation,
    design_for,
    draw_responses,
    operational_responses,
    pretest_summary,
    simulate_pretest,
)

DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"


@cache
def _run(subtest: int, examinees: int, seed: int) -> SubtestSimulation:
    sub = load_battery(DEMO).subtests[subtest]
    rng = np.random.default_rng(seed)
    return simulate_subtest(sub, rng.standard_normal(examinees), rng)


def _snapshot(result: SubtestSimulation) -> list[np.ndarray]:
    return [a.copy() for a in (result.theta, result.se, result.lengths, result.items, result.categories)]


def test_the_operational_results_are_those_of_the_run_without_pretest() -> None:
    sub = load_battery(DEMO).subtests[1]
    rng = np.random.default_rng(5)
    truth = rng.standard_normal(300)
    plain = simulate_subtest(sub, truth, np.random.default_rng(6))
    seeded = simulate_subtest(sub, truth, np.random.default_rng(6))
    before = _snapshot(seeded)
    pretest = simulate_pretest(seeded, design_for(seeded, 20, 4), seed=6, subtest_index=1)
    assert pretest.given.any()
    after = _snapshot(seeded)
    for a, b, c in zip(before, after, _snapshot(plain), strict=True):
        assert np.array_equal(a, b) and np.array_equal(a, c)
    assert plain.summary() | {"seconds": 0} == seeded.summary() | {"seconds": 0}


def test_pretest_items_are_given_at_their_slots_and_counted_evenly() -> None:
    result = _run(1, 400, 2)
    design = design_for(result, 40, 4)
    pretest = simulate_pretest(result, design, seed=2, subtest_index=1)
    assert np.array_equal(pretest.given, pretest.after_answer < result.lengths[:, None])
    assert pretest.given.all()  # min_items 8 is always reached: every slot is
    assert pretest.after_answer.min() >= 3 and pretest.after_answer.max() <= result.subtest.stopping.min_items - 2
    assert pretest.counts.max() - pretest.counts.min() <= 1
    assert np.all(pretest.categories[~pretest.given] == 0)


def test_the_same_seed_gives_the_same_pretest_and_another_subtest_another() -> None:
    result = _run(1, 200, 3)
    design = design_for(result, 30, 3)
    one = simulate_pretest(result, design, seed=3, subtest_index=1)
    two = simulate_pretest(result, design, seed=3, subtest_index=1)
    other = simulate_pretest(result, design, seed=3, subtest_index=2)
    assert np.array_equal(one.items, two.items) and np.array_equal(one.categories, two.categories)
    assert np.array_equal(one.seeded.truth.a, two.seeded.truth.a)
    assert not np.array_equal(one.items, other.items)


def test_draw_responses_follows_the_category_probabilities() -> None:
    params = concat_params(ItemParams.dichotomous([1.5], [0.3], [0.2]), load_battery(DEMO).subtests[0].pool.params)
    theta = np.full(40_000, 0.4)
    items = np.tile([0, 1], (theta.size, 1))
    drawn = draw_responses(params, theta, items, np.random.default_rng(8))
    for col, item in enumerate((0, 1)):
        probs = category_probabilities(0.4, params, [item])[0, : params.n_categories[item]]
        freq = np.bincount(drawn[:, col], minlength=probs.size) / theta.size
        se = np.sqrt(probs * (1 - probs) / theta.size)
        assert np.all(np.abs(freq - probs) <= 4.5 * se)


@pytest.mark.parametrize("subtest", [0, 2])
def test_pretest_answers_agree_with_the_model_at_the_true_abilities(subtest: int) -> None:
    result = _run(subtest, 3000, 4)
    pretest = simulate_pretest(result, design_for(result, 10, 2), seed=4, subtest_index=subtest)
    truth = pretest.seeded.truth
    person, item, cat = pretest.long_form()
    probs = category_probabilities(result.true_theta[person], truth, item)  # (R, C)
    scores = np.arange(probs.shape[1])
    expected = probs @ scores
    variance = probs @ scores**2 - expected**2
    for i in range(truth.size):
        rows = item == i
        z = (cat[rows].sum() - expected[rows].sum()) / np.sqrt(variance[rows].sum())
        assert abs(z) < 4.5


def test_operational_responses_are_the_long_form_of_the_test() -> None:
    result = _run(1, 50, 7)
    person, item, cat = operational_responses(result)
    assert person.size == result.lengths.sum()
    assert np.array_equal(np.bincount(person, minlength=50), result.lengths)
    assert np.all(item >= 0) and np.all(cat <= 1)


@dataclass(frozen=True)
class _PerfectCalibration:
    params: ItemParams
    se_a: np.ndarray
    se_b: np.ndarray
    se_c: np.ndarray
    se_steps: np.ndarray
    responses: np.ndarray
    cycles: int = 3
    converged: bool = True
    method: str = "mem"


def _perfect(result: SubtestSimulation, pretest: PretestSimulation, shift: float) -> _PerfectCalibration:
    pool = result.subtest.pool
    t = pretest.seeded.truth
    moved = ItemParams(t.model, t.a, t.b + shift, t.c, t.d, t.steps + shift, t.n_categories, t.D)
    params = concat_params(pool.params, moved)
    n = params.size
    return _PerfectCalibration(
        params=params,
        se_a=np.full(n, 0.1),
        se_b=np.full(n, 0.1),
        se_c=np.full(n, np.nan),
        se_steps=np.where(np.isnan(params.steps), np.nan, 0.1),
        responses=np.concatenate([np.zeros(pool.size, dtype=np.intp), pretest.counts]),
    )


@pytest.mark.parametrize("subtest", [0, 1])
def test_the_summary_has_the_issue_keys_and_measures_the_error(subtest: int) -> None:
    result = _run(subtest, 400, 9)
    pretest = simulate_pretest(result, design_for(result, 8, 2), seed=9, subtest_index=subtest)
    block = pretest_summary(pretest, _perfect(result, pretest, 0.25), result.subtest.pool.size)  # type: ignore[arg-type]
    for key in ("items", "responses_per_item", "rmse_a", "rmse_b", "bias_b", "rmse_thresholds", "promoted"):
        assert key in block
    assert block["items"] == 8 and block["responses_per_item"] == 100.0
    assert block["rmse_a"] == 0.0
    assert block["rmse_b"] == pytest.approx(0.25) and block["bias_b"] == pytest.approx(0.25)
    poly = pretest.seeded.truth.model != DICHOTOMOUS
    assert (block["rmse_thresholds"] is None) == (not poly.any())
    if poly.any():
        assert block["rmse_thresholds"] == pytest.approx(0.25)
    assert block["promoted"] == 0  # 100 responses are below the rule's 300


@pytest.mark.parametrize("subtest", [0, 1])
def test_calibration_recovers_the_seeded_items_from_a_few_hundred_examinees(subtest: int) -> None:
    from cat_engine.pretest_items import provisional_params
    from cat_engine.simulate_pretest import calibrate_pretest

    result = _run(subtest, 800, 11)
    pretest = simulate_pretest(result, design_for(result, 10, 4), seed=11, subtest_index=subtest)  # 320 answers each
    calibration = calibrate_pretest(result, pretest)
    offset = result.subtest.pool.size
    block = pretest_summary(pretest, calibration, offset)
    truth = pretest.seeded.truth
    estimate = calibration.params
    start = provisional_params(pretest.seeded, *pretest.long_form()[1:])
    assert np.array_equal(estimate.a[:offset], result.subtest.pool.params.a)  # the operational items stay fixed
    error_a = np.abs(estimate.a[offset:] - truth.a)
    assert np.median(error_a) < np.median(np.abs(start.a - truth.a))  # better than the provisional a = 1
    assert np.median(np.abs(estimate.b[offset:] - truth.b)) < 0.4
    assert np.median(error_a) < 0.5
    if subtest == 0:  # graded items: every step is informed by many answers
        assert block["rmse_a"] < 0.4 and block["rmse_b"] < 0.4 and block["rmse_thresholds"] < 0.5
