r"""Simulated pretest seeding and calibration (``cat-sim --pretest N:K``).

For one simulated subtest (:class:`cat_engine.simulate.SubtestSimulation`), N pretest items with known true
parameters are drawn like the pool's (:mod:`cat_engine.pretest_items`); examinee e gets K of them at the positions
of :mod:`cat_engine.pretest`'s design, with the design seeded by ``(seed, subtest index)`` and e the examinee's
index in the run; and answers each by the model at the true :math:`\theta`.

**The operational test is untouched.** Pretest answers are drawn *after* the operational simulation, from their
own generator ``(seed, PRETEST_STREAM, 2, subtest index)`` (:data:`cat_engine.pretest.PRETEST_STREAM`), and they
enter neither the estimate, the stopping rule, exposure control, content balancing nor the profile: the
operational results are bit for bit those of the same run without pretest. Pretest item j is given when the test
reaches its slot, i.e. when :math:`p_j` is below the operational length (always, unless the pool ran out before
``min_items``).

**Calibration.** The pool's items, fixed at their parameters, followed by the N pretest items, free, from
provisional values, are calibrated together by marginal maximum likelihood with EM
(:func:`cat_engine.calibration.calibrate`, method ``"mem"``) on all responses of the subtest: the operational
items anchor the scale, so the estimates are comparable with the truth without any linking. The summary compares
estimates :math:`\hat\xi_i` with the truth :math:`\xi_i` over the N items:
:math:`\text{RMSE} = \sqrt{\frac1N\sum_i(\hat\xi_i - \xi_i)^2}` and :math:`\text{bias} = \frac1N\sum_i(\hat\xi_i
- \xi_i)` for :math:`a` and :math:`b` (a polytomous item's :math:`b` is the mean of its steps), and the RMSE over
all steps of the polytomous items (``rmse_thresholds``, null without one).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .calibration_design import responses_needed, standard_error_bounds
from .irt import DICHOTOMOUS, ItemParams, category_probabilities
from .pretest import PRETEST_STREAM, PretestDesign, plan_examinees
from .pretest_items import SeededItems, concat_params, draw_seeded_items, provisional_params
from .pretest_promotion import PromotionRule, promotable
from .simulate import SubtestSimulation

if TYPE_CHECKING:
    from .calibration import Calibration, ResponseData

__all__ = [
    "PretestSimulation",
    "calibrate_pretest",
    "design_for",
    "draw_responses",
    "operational_responses",
    "pretest_summary",
    "run_pretest",
    "simulate_pretest",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

_RESPONSES, _ITEMS = 2, 3  # sub-streams of PRETEST_STREAM (0 and 1 are the design's)
#: EM cycles at most (the calibration's default).
MAX_CYCLES = 100


@dataclass(frozen=True, eq=False)
class PretestSimulation:
    """The pretest part of one simulated subtest.

    Attributes
    ----------
    design : PretestDesign
    seeded : SeededItems
        The N items and their true parameters.
    items, after_answer : ndarray of int, shape (E, K)
        Each examinee's pretest items (0..N-1) in the order given, and the operational answer each follows.
    given : ndarray of bool, shape (E, K)
        Whether the test reached each slot (``after_answer < operational length``).
    categories : ndarray of int, shape (E, K)
        The scores drawn from the true parameters (0 where not given).
    """

    design: PretestDesign
    seeded: SeededItems
    items: IntArray
    after_answer: IntArray
    given: BoolArray
    categories: IntArray

    @property
    def counts(self) -> IntArray:
        """Responses per pretest item."""
        counts: IntArray = np.bincount(self.items[self.given], minlength=self.design.n_items).astype(np.intp)
        return counts

    def long_form(self) -> tuple[IntArray, IntArray, IntArray]:
        """``(person, item, category)`` of every pretest response (item: 0..N-1)."""
        person, slot = np.nonzero(self.given)
        return person.astype(np.intp), self.items[person, slot], self.categories[person, slot]


def design_for(result: SubtestSimulation, n_items: int, per_examinee: int, after: int = 3) -> PretestDesign:
    """The design of ``result``'s subtest (its ``min_items``)."""
    return PretestDesign(n_items, per_examinee, result.subtest.stopping.min_items, after)


def draw_responses(params: ItemParams, theta: FloatArray, items: IntArray, rng: np.random.Generator) -> IntArray:
    """Categories drawn by inversion (as :func:`cat_engine.simulate.simulate_subtest` does) for examinees of true
    ability ``theta`` (shape (E,)) answering ``items`` (shape (E, K)): one uniform per answer."""
    probs = category_probabilities(theta[:, None], params, items)  # (E, K, C)
    u = rng.random(items.shape)
    drawn = (u[..., None] > np.cumsum(probs, axis=-1)).sum(axis=-1)
    result: IntArray = np.minimum(drawn, params.n_categories[items] - 1).astype(np.intp)
    return result


def simulate_pretest(
    result: SubtestSimulation, design: PretestDesign, seed: int, subtest_index: int
) -> PretestSimulation:
    """Seed ``design``'s items into ``result``'s examinees (indices 0..E-1) and draw their answers."""
    key = [seed, PRETEST_STREAM]
    seeded = draw_seeded_items(
        result.subtest.pool, design.n_items, np.random.default_rng([*key, _ITEMS, subtest_index])
    )
    items, after = plan_examinees(design, (seed, subtest_index), result.true_theta.shape[0])
    given = after < result.lengths[:, None]
    drawn = draw_responses(
        seeded.truth, result.true_theta, items, np.random.default_rng([*key, _RESPONSES, subtest_index])
    )
    return PretestSimulation(design, seeded, items, after, given, np.where(given, drawn, 0).astype(np.intp))


def operational_responses(result: SubtestSimulation) -> tuple[IntArray, IntArray, IntArray]:
    """``(person, item, category)`` of every operational answer of ``result`` (item: pool index)."""
    person, position = np.nonzero(result.items >= 0)
    return person.astype(np.intp), result.items[person, position], result.categories[person, position]


def calibrate_pretest(
    result: SubtestSimulation, pretest: PretestSimulation, *, fix_c: bool = False, **options: Any
) -> Calibration:
    """Calibrate the pretest items (free, from provisional values) with the pool's items fixed (module
    docstring); ``options`` go to :func:`cat_engine.calibration.calibrate`."""
    from .calibration import ResponseData, calibrate, pool_slope_prior

    pool = result.subtest.pool
    p_person, p_item, p_cat = pretest.long_form()
    start = provisional_params(pretest.seeded, p_item, p_cat)
    o_person, o_item, o_cat = operational_responses(result)
    data: ResponseData = ResponseData(
        person=np.concatenate([o_person, p_person]),
        item=np.concatenate([o_item, p_item + pool.size]),
        category=np.concatenate([o_cat, p_cat]),
        n_persons=int(result.true_theta.shape[0]),
    )
    # an item nobody answered (a run with fewer than N / K examinees) stays at its provisional values
    free = np.concatenate([np.zeros(pool.size, dtype=bool), pretest.counts > 0])
    options = {"max_cycles": MAX_CYCLES, "a_prior": pool_slope_prior(pool.params.a), **options}
    return calibrate(concat_params(pool.params, start), free, data, method="mem", fix_c=fix_c, **options)


def _rmse(error: FloatArray) -> float | None:
    return float(np.sqrt(np.mean(error**2))) if error.size else None


def pretest_summary(
    pretest: PretestSimulation,
    calibration: Calibration,
    offset: int,
    rule: PromotionRule | None = None,
    fix_c: bool = False,
    seconds: float | None = None,
) -> dict[str, Any]:
    """The ``pretest`` block of a subtest: ``items`` (N), ``responses_per_item`` (mean; ``responses_min``,
    ``responses_max``), ``rmse_a``, ``rmse_b``, ``bias_a``, ``bias_b``, ``rmse_c`` (items with a guessing
    parameter; null without one), ``rmse_thresholds`` (steps of polytomous items; null without one), ``promoted``
    (:func:`cat_engine.pretest_promotion.promotable`), and the calibration's ``converged`` (the whole run),
    ``items_not_converged`` (pretest items whose estimate did not converge, e.g. run off to a bound), ``cycles``,
    ``method`` and ``fix_c``. ``offset`` is the index of the first pretest item in the calibration."""
    truth = pretest.seeded.truth
    idx = np.arange(offset, offset + truth.size)
    est = calibration.params
    err_a = est.a[idx] - truth.a
    err_b = est.b[idx] - truth.b
    guess = pretest.seeded.guessing
    poly = truth.model != DICHOTOMOUS
    step_err = est.steps[idx][poly, : truth.steps.shape[1]] - truth.steps[poly]
    step_err = step_err[~np.isnan(truth.steps[poly])]
    counts = pretest.counts
    em_converged = bool(calibration.converged) or calibration.cycles < MAX_CYCLES
    item_converged = getattr(calibration, "item_converged", None)
    if item_converged is None or np.shape(item_converged) != (est.size,):
        item_converged = np.full(est.size, bool(calibration.converged))
    return {
        "items": int(truth.size),
        "per_examinee": pretest.design.per_examinee,
        "responses_per_item": float(counts.mean()),
        "responses_min": int(counts.min()),
        "responses_max": int(counts.max()),
        "rmse_a": _rmse(err_a),
        "bias_a": float(err_a.mean()),
        "rmse_b": _rmse(err_b),
        "bias_b": float(err_b.mean()),
        "rmse_c": _rmse((est.c[idx] - truth.c)[guess]),
        "rmse_thresholds": _rmse(step_err),
        "promoted": int(promotable(calibration, idx, rule, em_converged).sum()),
        "converged": bool(calibration.converged),
        "items_not_converged": int(truth.size - np.asarray(item_converged, dtype=bool)[idx].sum()),
        "cycles": int(calibration.cycles),
        "method": calibration.method,
        "fix_c": fix_c,
        "se_bound": se_bound(truth, counts, free_c=not fix_c),
        **({} if seconds is None else {"seconds": seconds}),
    }


def se_bound(truth: ItemParams, counts: IntArray, *, free_c: bool = True, target: float = 0.15) -> dict[str, Any]:
    """What the data allow, whatever the estimator (:mod:`cat_engine.calibration_design`): the root mean square over
    the items of the Cramér-Rao bound on the standard error of a, b and the steps at each item's own number of
    responses, its ability known (``rmse_a``, ``rmse_b``, ``rmse_thresholds``: an unbiased calibration's RMSE cannot
    be lower on average), and the median number of responses the bound needs for ``target`` in a and b (or a and
    the steps): ``responses_for_target``."""
    se_a, se_b, se_steps, needed = [], [], [], []
    for i in range(truth.size):
        if counts[i] <= 0:
            continue
        bounds = standard_error_bounds(truth, i, float(counts[i]), free_c=free_c)
        se_a.append(bounds[0])
        if truth.model[i] == DICHOTOMOUS:
            se_b.append(bounds[1])
        else:
            se_steps.extend(bounds[1:].tolist())
        needed.append(responses_needed(truth, i, target, free_c=free_c))

    def rms(values: list[float]) -> float | None:
        return float(np.sqrt(np.mean(np.square(values)))) if values else None

    return {
        "rmse_a": rms(se_a),
        "rmse_b": rms(se_b),
        "rmse_thresholds": rms(se_steps),
        "target": target,
        "responses_for_target": float(np.median(needed)) if needed else None,
    }


def run_pretest(
    results: Sequence[SubtestSimulation],
    indices: Sequence[int],
    n_items: int,
    per_examinee: int,
    seed: int,
    *,
    after: int = 3,
    fix_c: bool = False,
    rule: PromotionRule | None = None,
    progress: Any = None,
) -> list[dict[str, Any]]:
    """Seed, answer and calibrate the pretest items of every subtest of ``results`` (``indices``: each one's index
    in the battery, which seeds its design); ``progress(name, done, total)`` is called around each calibration."""
    blocks = []
    for result, index in zip(results, indices, strict=True):
        started = time.perf_counter()
        design = design_for(result, n_items, per_examinee, after)
        pretest = simulate_pretest(result, design, seed, index)
        if progress is not None:
            progress(result.subtest.name, 0, 1)
        calibration = calibrate_pretest(result, pretest, fix_c=fix_c)
        if progress is not None:
            progress(result.subtest.name, 1, 1)
        offset = result.subtest.pool.size
        blocks.append(pretest_summary(pretest, calibration, offset, rule, fix_c, time.perf_counter() - started))
    return blocks
