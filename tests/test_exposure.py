"""cat_engine.exposure: Sympson-Hetter parameters by iterative simulation (docs/psychometrics.md, section 5.3)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from conftest import battery_dict, load, make_pool_dict, subtest_dict

from cat_engine.battery import Subtest
from cat_engine.exposure import CalibrationRound, band_max_exposure, calibrate_sympson_hetter, with_exposure_control
from cat_engine.simulate import simulate_subtest

ITEMS = 60
LENGTH = 8  # fixed length: the smallest maximum exposure reachable is LENGTH / ITEMS = 0.13, below every target here
TARGET = 0.3
EXAMINEES = 2000
ROUNDS = 10
CHECK_EXAMINEES = 4000
# How near the check run's maximum exposure must come to the target. Binomial noise: with N examinees an item
# given at rate r has SE sqrt(r(1 - r)/N), 0.010 for a round's 2,000 (so each K_i carries about 3 % relative noise)
# and 0.007 for the check's 4,000; the maximum over the ~20 items pushed to r sits about 2.5 SE above r (+0.02).
# SH also settles somewhat above its target (section 5.3: 0.23-0.25 for a 0.22 target), up to +0.03. Together
# 0.05, a sixth of the way from the target to the uncontrolled maximum (1.0: the fixed first item goes to everyone).
TOLERANCE = 0.05

Calibrated = tuple[npt.NDArray[np.float64], list[CalibrationRound]]


def _subtest(tmp_path: Path, selection: Mapping[str, Any] | None = None, pool: dict[str, Any] | None = None) -> Subtest:
    """A fixed-length subtest of LENGTH items from a pool of ITEMS 3PL items, exposure control as configured off."""
    chosen = selection or {"randomesque": 1, "first_item_randomesque": 1, "exposure_control": "none"}
    sub = subtest_dict("s1", "p.json", max_items=LENGTH, se_target=None, selection=chosen)
    data = pool if pool is not None else make_pool_dict(ITEMS, pool_id="p")
    return load(tmp_path, battery_dict([sub]), pools={"p.json": data}).subtests[0]


@pytest.fixture(scope="module")
def subtest(tmp_path_factory: pytest.TempPathFactory) -> Subtest:
    return _subtest(tmp_path_factory.mktemp("exposure"))


@pytest.fixture(scope="module")
def calibrated(subtest: Subtest) -> Calibrated:
    return calibrate_sympson_hetter(subtest, TARGET, EXAMINEES, ROUNDS, np.random.default_rng(11))


def test_parameters_are_in_the_unit_interval_and_stored_to_four_decimals(
    subtest: Subtest, calibrated: Calibrated
) -> None:
    k, _ = calibrated
    assert k.shape == (subtest.pool.size,) and k.dtype == np.float64
    assert np.all(k > 0) and np.all(k <= 1)
    assert np.array_equal(np.round(k, 4), k)
    assert 0 < np.sum(k < 1) < subtest.pool.size  # some items are controlled, not all
    subtest.pool.with_exposure_k(k)  # and the pool accepts them


def test_history_records_every_round(calibrated: Calibrated) -> None:
    k, history = calibrated
    assert [r.round for r in history] == list(range(1, ROUNDS + 1))
    assert all(r.mean_length == LENGTH for r in history)  # fixed length, a pool much larger than the test
    assert history[0].max_exposure == 1.0  # round 1 runs with every K = 1: the fixed first item goes to everyone
    assert history[-1].items_controlled == np.sum(k < 1)  # the count of the parameters the last round produced
    assert all(0 < r.max_exposure <= 1 for r in history)


def test_maximum_exposure_after_calibration_is_near_the_target(subtest: Subtest, calibrated: Calibrated) -> None:
    k, history = calibrated
    assert abs(history[-1].max_exposure - TARGET) <= TOLERANCE
    # a fresh check run, as cat-exposure makes, with and without the parameters
    rng = np.random.default_rng(12)
    truth = rng.standard_normal(CHECK_EXAMINEES)
    checked = simulate_subtest(with_exposure_control(subtest, k), truth, rng)
    uncontrolled = simulate_subtest(subtest, truth, rng)
    assert abs(checked.exposure.max() - TARGET) <= TOLERANCE
    assert uncontrolled.exposure.max() == 1.0
    assert np.all(checked.lengths == LENGTH)  # control costs no length when the length is fixed


def test_one_round_sets_k_from_the_selection_rates(subtest: Subtest) -> None:
    """K_i = 1 where P(S_i) <= r, else r / P(S_i) rounded to 4 decimals; round 1 is replayed from the same seed."""
    k, history = calibrate_sympson_hetter(subtest, TARGET, EXAMINEES, 1, np.random.default_rng(5))
    rng = np.random.default_rng(5)  # the calibration's own draws: the abilities, then the simulation
    replay = simulate_subtest(
        with_exposure_control(subtest, np.ones(subtest.pool.size)), rng.standard_normal(EXAMINEES), rng
    )
    selected = replay.considered[:, 0].sum(axis=0) / EXAMINEES
    # with every K = 1 no lottery fails, so an item is selected exactly when it is administered
    assert np.array_equal(selected, replay.exposure)
    assert history[0].max_exposure == replay.exposure.max()
    below = selected <= TARGET
    assert below.any() and (~below).any()
    assert np.all(k[below] == 1.0)  # items at or below the target keep K = 1
    assert np.array_equal(k[~below], np.round(TARGET / selected[~below], 4))
    assert history[0].items_controlled == np.sum(~below)


def test_a_target_above_every_rate_leaves_k_at_one(tmp_path: Path) -> None:
    # randomesque 5 (10 for the first item) spreads the items: the uncontrolled maximum is about 0.55
    spread = _subtest(tmp_path, selection={"randomesque": 5, "first_item_randomesque": 10, "exposure_control": "none"})
    k, history = calibrate_sympson_hetter(spread, 0.8, 1000, 3, np.random.default_rng(2))
    assert np.all(k == 1.0)
    assert all(r.items_controlled == 0 and r.max_exposure < 0.8 for r in history)


def test_a_tiny_target_floors_k_at_one_ten_thousandth(subtest: Subtest) -> None:
    k, _ = calibrate_sympson_hetter(subtest, 1e-5, 300, 1, np.random.default_rng(3))
    assert k.min() == 1e-4  # r / P(S_i) rounds to 0 for the first item, given to everyone; K stays > 0
    assert np.all(k > 0) and np.all(k <= 1)


def test_deterministic_for_a_seed(subtest: Subtest) -> None:
    runs = [calibrate_sympson_hetter(subtest, TARGET, 500, 3, np.random.default_rng(seed)) for seed in (8, 8, 9)]
    assert np.array_equal(runs[0][0], runs[1][0]) and runs[0][1] == runs[1][1]
    assert runs[0][1] != runs[2][1]  # another seed, other examinees


def test_starts_from_k_one_whatever_the_pool_holds(tmp_path: Path, subtest: Subtest) -> None:
    data = make_pool_dict(ITEMS, pool_id="p")
    for item in data["items"]:
        item["exposure_k"] = 0.05
    preset = _subtest(tmp_path, pool=data)
    assert np.all(preset.pool.exposure_k == 0.05)
    k, history = calibrate_sympson_hetter(preset, TARGET, 500, 2, np.random.default_rng(4))
    clean_k, clean_history = calibrate_sympson_hetter(subtest, TARGET, 500, 2, np.random.default_rng(4))
    assert np.array_equal(k, clean_k) and history == clean_history


def test_progress_sees_every_round(subtest: Subtest) -> None:
    seen: list[CalibrationRound] = []
    _, history = calibrate_sympson_hetter(subtest, TARGET, 300, 3, np.random.default_rng(6), seen.append)
    assert seen == history and len(seen) == 3


def test_no_rounds_leave_k_at_one(subtest: Subtest) -> None:
    k, history = calibrate_sympson_hetter(subtest, TARGET, 300, 0, np.random.default_rng(0))
    assert np.all(k == 1.0) and k.shape == (subtest.pool.size,) and history == []


@pytest.mark.parametrize("target", [0.0, 1.0, -0.1, 1.5, float("nan")])
def test_a_target_outside_the_open_unit_interval_is_refused(subtest: Subtest, target: float) -> None:
    with pytest.raises(ValueError, match="target"):
        calibrate_sympson_hetter(subtest, target, 100, 1, np.random.default_rng(0))


def test_with_exposure_control_switches_sympson_hetter_on(subtest: Subtest) -> None:
    assert subtest.selection.exposure_control == "none"
    on = with_exposure_control(subtest)
    assert on.selection.exposure_control == "sympson_hetter"
    assert on.pool is subtest.pool  # no parameters given: the pool's own
    assert on.selection.randomesque == subtest.selection.randomesque  # the rest of the configuration is kept
    k = np.where(np.arange(subtest.pool.size) % 2 == 0, 0.5, 1.0)
    with_k = with_exposure_control(subtest, k)
    assert np.array_equal(with_k.pool.exposure_k, [k])
    assert with_k.pool.pool_version == subtest.pool.pool_version
    assert np.all(subtest.pool.exposure_k == 1.0) and subtest.selection.exposure_control == "none"  # untouched


def test_conditional_parameters_hold_exposure_within_every_ability_band(subtest: Subtest) -> None:
    """Unconditional parameters meet the target on average and leave the extreme bands far above it (their
    examinees all need the same few items); parameters per stratum of theta-hat bring every band near it."""
    strata = (-2.0, -1.0, 0.0, 1.0, 2.0)
    rng = np.random.default_rng(21)
    plain, _ = calibrate_sympson_hetter(subtest, TARGET, EXAMINEES, ROUNDS, rng)
    # six bands share the simulees: three times as many keep each band's binomial noise near a plain run's
    k, history = calibrate_sympson_hetter(
        subtest, TARGET, 3 * EXAMINEES, ROUNDS, rng, strata=strata, theta_range=(-3.0, 3.0)
    )
    assert k.shape == (len(strata) + 1, subtest.pool.size)
    assert np.all(k > 0) and np.all(k <= 1) and np.array_equal(np.round(k, 4), k)
    assert not np.all(k == k[0])  # the parameters differ between strata
    truth = np.random.default_rng(22).uniform(-3.0, 3.0, 3 * CHECK_EXAMINEES)
    unconditional = simulate_subtest(with_exposure_control(subtest, plain), truth, np.random.default_rng(23))
    conditional = simulate_subtest(with_exposure_control(subtest, k, strata), truth, np.random.default_rng(23))
    assert band_max_exposure(unconditional) > TARGET + 0.25
    assert band_max_exposure(conditional) <= TARGET + TOLERANCE
    assert abs(history[-1].band_max_exposure - TARGET) <= TOLERANCE
    # in N(0, 1) (reweighted) the overall maximum stays within the target as well
    assert history[-1].max_exposure <= TARGET + TOLERANCE


def test_average_of_the_last_rounds(subtest: Subtest) -> None:
    """average_last = n returns the mean of the parameters the last n rounds produced (each round replayed with
    the same seed, since the procedure is deterministic for a seed)."""
    rounds = [calibrate_sympson_hetter(subtest, TARGET, 400, r, np.random.default_rng(6))[0] for r in (3, 4)]
    averaged, _ = calibrate_sympson_hetter(subtest, TARGET, 400, 4, np.random.default_rng(6), average_last=2)
    np.testing.assert_allclose(averaged, np.round((rounds[0] + rounds[1]) / 2, 4))
    with pytest.raises(ValueError, match="average_last"):
        calibrate_sympson_hetter(subtest, TARGET, 400, 4, np.random.default_rng(6), average_last=0)
