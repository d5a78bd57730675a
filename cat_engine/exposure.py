r"""Sympson-Hetter exposure-control parameters by iterative simulation.

The procedure of Sympson & Hetter (1985), as described by van der Linden (2003): with a target maximum exposure
rate :math:`r`, start from :math:`K_i = 1` and repeat

1. simulate the subtest for a sample of examinees from the ability distribution with the current :math:`K`;
2. estimate for every item the probability of being *selected*, :math:`P(S_i)`: the share of examinees for
   whom it reached the top of the information order and so faced its lottery (each examinee's lottery is drawn
   once per subtest, so an item is selected at most once per examinee), which
   :func:`cat_engine.selection.select_items` counts;
3. set :math:`K_i = 1` if :math:`P(S_i) \le r`, else :math:`K_i = r / P(S_i)`,

so that the administration rate :math:`P(A_i) = P(S_i) K_i` is pushed to at most :math:`r`. The parameters are
written back into the pool file as each item's ``exposure_k`` by the ``cat-exposure`` command.

References
----------
Sympson, J. B., & Hetter, R. D. (1985). Controlling item-exposure rates in computerized adaptive testing.
van der Linden, W. J. (2003). Some alternatives to Sympson-Hetter item-exposure control in computerized adaptive
testing. JEBS 28(3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from .battery import Subtest
from .simulate import simulate_subtest

__all__ = ["CalibrationRound", "calibrate_sympson_hetter", "with_exposure_control"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CalibrationRound:
    """Outcome of one round of the procedure."""

    round: int
    max_exposure: float
    mean_length: float
    items_controlled: int


def with_exposure_control(subtest: Subtest, exposure_k: npt.ArrayLike | None = None) -> Subtest:
    """The subtest with Sympson-Hetter switched on (and, when given, new parameters in its pool)."""
    pool = subtest.pool if exposure_k is None else subtest.pool.with_exposure_k(exposure_k)
    return replace(subtest, pool=pool, selection=replace(subtest.selection, exposure_control="sympson_hetter"))


def calibrate_sympson_hetter(
    subtest: Subtest,
    target: float,
    examinees: int,
    rounds: int,
    rng: np.random.Generator,
    progress: Callable[[CalibrationRound], None] | None = None,
) -> tuple[FloatArray, list[CalibrationRound]]:
    """Compute exposure parameters for a target maximum exposure rate.

    Parameters
    ----------
    subtest : Subtest
        The subtest as configured (its blueprint, randomesque and stopping rules are simulated as they are).
    target : float
        Target maximum exposure rate :math:`r`, in (0, 1).
    examinees : int
        Simulated examinees per round, true theta from N(0, 1).
    rounds : int
        Number of rounds.
    rng : numpy.random.Generator

    Returns
    -------
    exposure_k : ndarray, shape (n_items,)
        The parameters after the last round (rounded to 4 decimals, as stored in the pool file).
    history : list of CalibrationRound
        Maximum exposure and mean length observed in each round, with the parameters in force during it.
    """
    if not 0 < target < 1:
        raise ValueError("target must be in (0, 1)")
    k: FloatArray = np.ones(subtest.pool.size)
    history = []
    for round_ in range(1, rounds + 1):
        controlled = with_exposure_control(subtest, k)
        result = simulate_subtest(controlled, rng.standard_normal(examinees), rng)
        selected = result.considered / examinees
        k = np.maximum(np.round(np.where(selected > target, target / np.maximum(selected, 1e-12), 1.0), 4), 1e-4)
        record = CalibrationRound(
            round_, float(result.exposure.max()), float(result.lengths.mean()), int(np.sum(k < 1))
        )
        history.append(record)
        if progress is not None:
            progress(record)
    return k, history
