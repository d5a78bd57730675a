"""The promotion rule of calibrated pretest items."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cat_engine.irt import GPCM, ItemParams
from cat_engine.pretest_items import concat_params
from cat_engine.pretest_promotion import PromotionRule, promotable


@dataclass(frozen=True)
class FakeCalibration:
    params: ItemParams
    se_a: npt.NDArray[np.float64]
    se_b: npt.NDArray[np.float64]
    se_steps: npt.NDArray[np.float64]
    responses: npt.NDArray[np.intp]
    converged: bool = True
    item_converged: npt.NDArray[np.bool_] | None = None


def _gpcm(n: int) -> ItemParams:
    steps = np.tile([-1.0, 0.0, 1.0, np.nan], (n, 1))
    steps[0, 3] = 2.0  # item 0 has four steps, the others three
    cats = np.array([5] + [4] * (n - 1), dtype=np.intp)
    return ItemParams(
        model=np.full(n, GPCM, dtype=np.int8),
        a=np.ones(n),
        b=np.nanmean(steps, axis=1),
        c=np.zeros(n),
        d=np.ones(n),
        steps=steps,
        n_categories=cats,
    )


def _calibration(converged: bool = True) -> FakeCalibration:
    params = concat_params(ItemParams.dichotomous(np.ones(4), np.zeros(4), np.full(4, 0.2)), _gpcm(3))
    nan = np.nan
    return FakeCalibration(
        params=params,
        #              ok   se_b  se_a  few   4th   step  padding ignored
        se_a=np.array([0.1, 0.1, 0.25, 0.1, 0.1, 0.1, 0.1]),
        se_b=np.array([0.15, 0.21, 0.1, 0.1, 0.9, 0.9, 0.9]),  # a polytomous item's b SE is not used
        se_steps=np.array(
            [
                [nan] * 4,
                [nan] * 4,
                [nan] * 4,
                [nan] * 4,
                [0.2, 0.3, 0.25, 0.31],  # four steps: the fourth fails
                [0.2, 0.31, 0.25, nan],
                [0.2, 0.2, 0.2, 0.35],  # three steps: the 0.35 is past its own steps
            ]
        ),
        responses=np.array([500, 500, 500, 299, 500, 500, 500]),
        converged=converged,
    )


def test_each_threshold_of_the_rule_can_fail_an_item() -> None:
    assert promotable(_calibration()).tolist() == [True, False, False, False, False, False, True]


def test_a_subset_of_items_and_other_thresholds() -> None:
    cal = _calibration()
    assert promotable(cal, [4, 5, 6]).tolist() == [False, False, True]
    loose = PromotionRule(min_responses=200, max_se_a=0.3, max_se_b=0.3, max_se_step=0.4)
    assert promotable(cal, rule=loose).all()


def test_nothing_is_promoted_without_convergence_unless_the_rule_allows_it() -> None:
    cal = _calibration(converged=False)
    assert not promotable(cal).any()
    assert promotable(cal, rule=PromotionRule(require_converged=False)).sum() == 2


def test_an_unestimable_standard_error_fails() -> None:
    cal = _calibration()
    se_a = cal.se_a.copy()
    se_a[0] = np.nan
    assert not promotable(FakeCalibration(cal.params, se_a, cal.se_b, cal.se_steps, cal.responses))[0]


def test_one_item_off_at_a_bound_does_not_hold_the_others_back() -> None:
    cal = _calibration()
    stuck = np.ones(7, dtype=bool)
    stuck[4] = False  # the run's converged is false because of item 4 alone
    with_items = FakeCalibration(cal.params, cal.se_a, cal.se_b, cal.se_steps, cal.responses, False, stuck)
    assert promotable(with_items).tolist() == [True, False, False, False, False, False, True]
    stuck[6] = False
    assert promotable(with_items).tolist() == [True, False, False, False, False, False, False]
    assert not promotable(with_items, em_converged=False).any()  # the EM itself ran out of cycles
    every = FakeCalibration(cal.params, cal.se_a, cal.se_b, cal.se_steps, cal.responses, False, np.ones(7, dtype=bool))
    assert not promotable(every).any()  # every item converged, so the EM did not
