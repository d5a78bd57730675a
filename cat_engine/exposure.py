r"""Sympson-Hetter exposure-control parameters by iterative simulation, unconditional or conditional on ability.

The procedure of Sympson & Hetter (1985), as described by van der Linden (2003): with a target maximum exposure
rate :math:`r`, start from :math:`K_i = 1` and repeat

1. simulate the subtest for a sample of examinees with the current :math:`K`;
2. estimate for every item the probability of being *selected*, :math:`P(S_i)`: the share of examinees for
   whom it reached the top of the information order and so faced its lottery, which
   :func:`cat_engine.selection.select_items` counts;
3. set :math:`K_i = 1` if :math:`P(S_i) \le r`, else :math:`K_i = r / P(S_i)`,

so that the administration rate :math:`P(A_i) = P(S_i) K_i` is pushed to at most :math:`r`.

**Conditional on ability** (Stocking & Lewis, 1998). An average rate of 0.2 can hide a rate near 1 among the
ablest examinees, who all need the few hard items. With strata :math:`s` of the ability estimate (edges
:math:`c_1 < \dots < c_{S-1}`), item :math:`i` has a parameter :math:`K_{s,i}` for each stratum, applied while the
examinee's current :math:`\hat\theta` lies in it, and step 3 becomes

.. math:: K_{s,i} = \min\Big(1,\ \frac{r}{P_w(S_i)},\ \min_{b \,:\, S^{(b)}_{s,i} > 0.01}
          \frac{r_s}{P(S_i \mid b)}\Big),

where :math:`b` runs over the true-theta bands of ``cat-sim`` (with at least :data:`MIN_VISITS` simulees),
:math:`P(S_i \mid b)` is the share of band :math:`b`'s simulees for whom item :math:`i` was selected in any stratum,
:math:`S^{(b)}_{s,i}` the share for whom it was selected while their estimate was in stratum :math:`s`, and
:math:`P_w(S_i)` the unconditional selection rate in the reference population :math:`N(0, 1)`. A band's limit
applies in every stratum its examinees select the item in: they pass through several strata on their way to their
own (every test starts at the same theta), and a limit per stratum alone would let the rates of two strata add up
to twice the target within the band. The simulees are drawn uniformly over an ability range so that every band is
populated; :math:`P_w` reweights them by :math:`w_e \propto \varphi(\theta_e)`, an importance-sampling estimate of
the rate in :math:`N(0, 1)`, so the rate is held at :math:`r_s` within every band and at :math:`r` overall.

The parameters are written back into the pool file (``exposure_k``, with ``exposure_strata``) by ``cat-exposure``.

References
----------
Stocking, M. L., & Lewis, C. (1998). Controlling item exposure conditional on ability in computerized adaptive
testing. JEBS 23(1).
Sympson, J. B., & Hetter, R. D. (1985). Controlling item-exposure rates in computerized adaptive testing.
van der Linden, W. J. (2003). Some alternatives to Sympson-Hetter item-exposure control in computerized adaptive
testing. JEBS 28(3).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from .battery import Subtest
from .simulate import THETA_BANDS, SubtestSimulation, simulate_subtest

__all__ = [
    "MIN_VISITS",
    "CalibrationRound",
    "band_max_exposure",
    "calibrate_sympson_hetter",
    "with_exposure_control",
]

FloatArray = npt.NDArray[np.float64]

#: Simulees a true-theta band needs in a round before it constrains the parameters.
MIN_VISITS = 30
_SIGNIFICANT = 0.01  # share of a band's simulees selecting an item in a stratum for the band's limit to apply there


@dataclass(frozen=True)
class CalibrationRound:
    """Outcome of one round of the procedure: in N(0, 1) (reweighted), and the worst true-theta band."""

    round: int
    max_exposure: float
    mean_length: float
    items_controlled: int
    band_max_exposure: float = float("nan")


def with_exposure_control(
    subtest: Subtest, exposure_k: npt.ArrayLike | None = None, strata: Sequence[float] = ()
) -> Subtest:
    """The subtest with Sympson-Hetter switched on (and, when given, new parameters, with their strata's edges)."""
    pool = subtest.pool if exposure_k is None else subtest.pool.with_exposure_k(exposure_k, strata=strata)
    return replace(subtest, pool=pool, selection=replace(subtest.selection, exposure_control="sympson_hetter"))


def band_max_exposure(result: SubtestSimulation) -> float:
    """The largest exposure rate of any item among the simulees of any true-theta band (bands as in cat-sim)."""
    worst = 0.0
    for low, high in pairwise(THETA_BANDS):
        rows = (result.true_theta > low) & (result.true_theta <= high)
        if rows.sum() >= MIN_VISITS:
            worst = max(worst, float(result.exposure_among(rows).max()))
    return worst


def _band_limits(result: SubtestSimulation, within: float) -> FloatArray:  # the min over b of the formula above
    r"""Per stratum and item, the largest :math:`K` every true-theta band allows, shape (n_strata, n_items).

    Band :math:`b` (with at least :data:`MIN_VISITS` simulees) allows :math:`f_{b,i} = \min(1, r_s / P(S_i \mid b))`,
    :math:`P(S_i \mid b)` being the share of its simulees for whom item :math:`i` was selected in any stratum; the
    limit applies in every stratum where more than :data:`_SIGNIFICANT` of the band's simulees selected the item.
    A band's examinees pass through several strata on their way to their own, so an item selected by them in two
    strata is bounded by its total rate in the band, not by a rate per stratum that could add up to twice the target.
    """
    limits = np.ones(result.considered.shape[1:])
    for low, high in pairwise(THETA_BANDS):
        rows = (result.true_theta > low) & (result.true_theta <= high)
        if rows.sum() < MIN_VISITS:
            continue
        in_band = result.considered[rows]
        selected = in_band.any(axis=1).mean(axis=0)
        allowed = np.where(selected > within, within / np.maximum(selected, 1e-12), 1.0)
        where = in_band.mean(axis=0) > _SIGNIFICANT
        limits = np.minimum(limits, np.where(where, allowed[None, :], 1.0))
    return limits


def _population_weights(truth: FloatArray, theta_range: tuple[float, float] | None) -> FloatArray:
    """Importance weights that make the simulees a sample of N(0, 1) (ones when they were drawn from it)."""
    if theta_range is None:
        return np.ones_like(truth)
    weights: FloatArray = np.exp(-0.5 * truth**2)
    scaled: FloatArray = weights / weights.sum() * truth.shape[0]
    return scaled


def calibrate_sympson_hetter(
    subtest: Subtest,
    target: float,
    examinees: int,
    rounds: int,
    rng: np.random.Generator,
    progress: Callable[[CalibrationRound], None] | None = None,
    strata: Sequence[float] = (),
    theta_range: tuple[float, float] | None = None,
    stratum_target: float | None = None,
    average_last: int = 1,
) -> tuple[FloatArray, list[CalibrationRound]]:
    """Compute exposure parameters for a target maximum exposure rate.

    Parameters
    ----------
    subtest : Subtest
        The subtest as configured (its blueprint, randomesque and stopping rules are simulated as they are).
    target : float
        Target maximum exposure rate :math:`r` in N(0, 1), in (0, 1).
    examinees : int
        Simulated examinees per round.
    rounds : int
        Number of rounds.
    rng : numpy.random.Generator
    progress : callable, optional
        Called with each round's :class:`CalibrationRound`.
    strata : sequence of float
        Edges of the strata of the ability estimate; empty for the unconditional procedure.
    theta_range : (low, high), optional
        Draw the simulees' true theta uniformly on this range (reweighted to N(0, 1) for the overall rate); None
        draws them from N(0, 1).
    stratum_target : float, optional
        :math:`r_s`, the target within each stratum (default ``target``).
    average_last : int
        Return the mean of the parameters of the last ``average_last`` rounds (default 1: the last round's). Each
        round's parameters carry the binomial noise of its simulees' rates; averaging the rounds after the
        procedure has settled reduces it, so the exposure observed afterwards exceeds the target by less.

    Returns
    -------
    exposure_k : ndarray, shape (n_items,), or (len(strata) + 1, n_items) with strata
        The parameters after the last round (rounded to 4 decimals, as stored in the pool file).
    history : list of CalibrationRound
        Exposure and mean length observed in each round, with the parameters in force during it.
    """
    within = target if stratum_target is None else stratum_target
    if not (0 < target < 1 and 0 < within < 1):
        raise ValueError("targets must be in (0, 1)")
    if average_last < 1:
        raise ValueError("average_last must be at least 1")
    kept: list[FloatArray] = []
    n_strata = len(strata) + 1
    k: FloatArray = np.ones((n_strata, subtest.pool.size))
    history = []
    for round_ in range(1, rounds + 1):
        controlled = with_exposure_control(subtest, k, strata)
        truth = rng.standard_normal(examinees) if theta_range is None else rng.uniform(*theta_range, examinees)
        result = simulate_subtest(controlled, truth, rng)
        weights = _population_weights(truth, theta_range)
        selected = (weights[:, None] * result.considered.any(axis=1)).sum(axis=0) / weights.sum()
        k_all = np.where(selected > target, target / np.maximum(selected, 1e-12), 1.0)
        k = np.broadcast_to(k_all, (n_strata, subtest.pool.size)).copy()
        if n_strata > 1:
            k = np.minimum(k, _band_limits(result, within))
        k = np.maximum(np.round(k, 4), 1e-4)
        if round_ > rounds - average_last:
            kept.append(k)
        taken = np.zeros((examinees, subtest.pool.size), dtype=bool)
        rows, positions = np.nonzero(result.items >= 0)
        taken[rows, result.items[rows, positions]] = True
        record = CalibrationRound(
            round_,
            float(((weights[:, None] * taken).sum(axis=0) / weights.sum()).max()),
            float((weights * result.lengths).sum() / weights.sum()),
            int(np.sum(np.any(k < 1, axis=0))),
            band_max_exposure(result),
        )
        history.append(record)
        if progress is not None:
            progress(record)
    if kept:  # (no rounds: every K stays 1)
        k = np.maximum(np.round(np.mean(kept, axis=0), 4), 1e-4)
    return (k[0] if n_strata == 1 else k), history
