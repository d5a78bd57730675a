r"""Simulation studies of a subtest or a whole battery, vectorised across examinees.

Each simulated examinee has a true :math:`\theta` (drawn from :math:`N(0, 1)` unless given) and answers every item
by sampling a category from the model, :math:`x \sim P_k(\theta)`. The loop runs over test *positions*, never over
examinees: at each position every examinee still testing gets an item at once, using the same estimator,
selection and stopping functions a live session uses (:meth:`cat_engine.battery.Subtest.step` is their
single-examinee form). The subtest's time limit is not simulated (there is no response-time model).

Summary statistics, for estimates :math:`\hat\theta_e` with standard errors :math:`SE_e` of :math:`N` examinees:

* bias :math:`\frac1N\sum_e (\hat\theta_e - \theta_e)`, RMSE :math:`\sqrt{\frac1N\sum_e (\hat\theta_e-\theta_e)^2}`;
* 95% coverage: share of examinees with :math:`|\hat\theta_e - \theta_e| \le 1.96\,SE_e`;
* the same conditional on true-theta bands (``bands``: six of width 1 from -3 to 3, a theta beyond them counted in
  the outer one), with the most-used item's exposure among the band's examinees;
* exposure rate of item :math:`i`: :math:`r_i = n_i / N`; the maximum, and the share of items never used;
* level accuracy and consistency (:mod:`cat_engine.classification`);
* per content area, the share of each examinee's items in it, averaged, beside the blueprint's target;
* mean overlap: the number of items two examinees share divided by their mean test length, averaged over
  all pairs (over a random sample of 2,000 examinees for larger runs); cf. Chen, Ankenmann & Spray (2003).

References
----------
Chen, S.-Y., Ankenmann, R. D., & Spray, J. A. (2003). The relationship between item exposure and test overlap in
computerized adaptive testing. JEM 40(2).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from .battery import Battery, Subtest
from .classification import classification_summary
from .draws import KeyArray, as_keys
from .estimation import estimate_batch, final_exists
from .irt import category_probabilities, information
from .selection import block_items, content_minimums_met, draw_lottery, select_items
from .stopping import StopReason, decide_stops

__all__ = ["THETA_BANDS", "SubtestSimulation", "simulate_battery", "simulate_subtest"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Progress = Callable[[int, int], None]
#: ``respond(rows, position, chosen, drawn) -> categories``: see :func:`simulate_subtest`.
Respond = Callable[[IntArray, int, IntArray, IntArray], IntArray]

#: Edges of the true-theta bands for conditional statistics.
THETA_BANDS: tuple[float, ...] = (-np.inf, -2.0, -1.0, 0.0, 1.0, 2.0, np.inf)
_OVERLAP_SAMPLE = 2000


@dataclass(frozen=True, eq=False)
class SubtestSimulation:
    """Per-examinee outcome of simulating one subtest.

    Attributes
    ----------
    items : ndarray of int, shape (N, max_items)
        Items administered in order, -1 after the end of each test.
    categories : ndarray of int, shape (N, max_items)
        The score category of each answer (0 after the end of each test).
    considered : ndarray of bool, shape (N, n_strata, n_items)
        Whether the Sympson-Hetter procedure selected each item for each examinee while the estimate was in each
        stratum of the pool's ``exposure_strata`` (see :func:`select_items`); all false without exposure control.
    visited : ndarray of bool, shape (N, n_strata)
        Whether each examinee was given an item while the estimate was in each stratum.
    keys : ndarray of uint64, shape (N, W)
        The examinees' keys (:mod:`cat_engine.draws`), from which their selection draws were made.
    """

    subtest: Subtest
    true_theta: FloatArray
    theta: FloatArray
    se: FloatArray
    lengths: IntArray
    reasons: IntArray
    items: IntArray
    categories: IntArray
    considered: npt.NDArray[np.bool_]
    visited: npt.NDArray[np.bool_]
    keys: KeyArray
    seconds: float

    @property
    def exposure(self) -> FloatArray:
        """Exposure rate of each item of the pool."""
        counts = np.bincount(self.items[self.items >= 0], minlength=self.subtest.pool.size)
        result: FloatArray = counts / self.true_theta.shape[0]
        return result

    def mean_overlap(self, rng: np.random.Generator | None = None) -> float:
        """Mean over pairs of examinees of shared items / mean of their two test lengths."""
        n = self.true_theta.shape[0]
        rows = np.arange(n)
        if n > _OVERLAP_SAMPLE:
            rows = (rng or np.random.default_rng(0)).choice(n, _OVERLAP_SAMPLE, replace=False)
        if rows.size < 2:
            return 0.0
        taken = np.zeros((rows.size, self.subtest.pool.size), dtype=np.float32)
        sub_items = self.items[rows]
        r, c = np.nonzero(sub_items >= 0)
        taken[r, sub_items[r, c]] = 1.0
        shared = taken @ taken.T
        lengths = self.lengths[rows].astype(np.float64)
        mean_len = (lengths[:, None] + lengths[None, :]) / 2
        upper = np.triu_indices(rows.size, k=1)
        return float(np.mean(shared[upper] / np.maximum(mean_len[upper], 1.0)))

    def summary(self) -> dict[str, Any]:
        """Report of the run: length, accuracy, coverage, conditional statistics and exposure."""
        error = self.theta - self.true_theta
        covered = np.abs(error) <= 1.96 * self.se
        exposure = self.exposure
        bands = []
        for low, high in pairwise(THETA_BANDS):
            in_band = (self.true_theta > low) & (self.true_theta <= high)
            if not in_band.any():
                continue
            e = error[in_band]
            bands.append(
                {
                    "theta_low": None if np.isinf(low) else low,
                    "theta_high": None if np.isinf(high) else high,
                    "examinees": int(in_band.sum()),
                    "bias": float(e.mean()),
                    "rmse": float(np.sqrt(np.mean(e**2))),
                    "mean_se": float(self.se[in_band].mean()),
                    "coverage_95": float(covered[in_band].mean()),
                    "mean_length": float(self.lengths[in_band].mean()),
                    "max_exposure": float(self.exposure_among(in_band).max()),
                }
            )
        codes, counts = np.unique(self.reasons, return_counts=True)
        reasons = {StopReason(int(code)).label: int(count) for code, count in zip(codes, counts, strict=True)}
        return {
            "name": self.subtest.name,
            "subtest_id": self.subtest.id,
            "pool_id": self.subtest.pool.pool_id,
            "pool_items": self.subtest.pool.size,
            "examinees": int(self.true_theta.shape[0]),
            "mean_length": float(self.lengths.mean()),
            "length_percentiles": {str(p): float(np.percentile(self.lengths, p)) for p in (5, 25, 50, 75, 95)},
            "bias": float(error.mean()),
            "rmse": float(np.sqrt(np.mean(error**2))),
            "mean_se": float(self.se.mean()),
            "coverage_95": float(covered.mean()),
            "max_exposure": float(exposure.max()),
            "unused_share": float(np.mean(exposure == 0)),
            "mean_overlap": self.mean_overlap(),
            "stop_reasons": reasons,
            "by_theta": bands,
            "bands": [
                {"lo": -3.0 if b["theta_low"] is None else b["theta_low"]}
                | {"hi": 3.0 if b["theta_high"] is None else b["theta_high"]}
                | {k: b[k] for k in ("examinees", "rmse", "bias", "coverage_95", "mean_length", "max_exposure")}
                for b in bands
            ],
            **classification_summary(self.true_theta, self.theta, self.se, self.subtest.level_cuts),
            "area_share": self.area_share(),
            "seconds": self.seconds,
        }

    def exposure_among(self, rows: npt.NDArray[np.bool_]) -> FloatArray:
        """Exposure rate of each item among the examinees ``rows`` selects."""
        chosen = self.items[rows]
        counts = np.bincount(chosen[chosen >= 0], minlength=self.subtest.pool.size)
        result: FloatArray = counts / max(int(rows.sum()), 1)
        return result

    def area_share(self) -> dict[str, list[float | None]]:
        """Per content area ``[achieved, target]``: the share of each examinee's items in the area, averaged over
        examinees with at least one item, and the blueprint's target (None without a blueprint)."""
        pool = self.subtest.pool
        given = self.lengths > 0
        if not pool.content_areas or not given.any():
            return {}
        per_area = np.zeros((int(given.sum()), len(pool.content_areas)))
        for row, items in enumerate(self.items[given]):
            taken = items[items >= 0]
            per_area[row] = np.bincount(pool.area_index[taken], minlength=len(pool.content_areas)) / taken.size
        blueprint = self.subtest.blueprint
        return {
            area: [float(per_area[:, a].mean()), None if blueprint is None else float(blueprint.target[a])]
            for a, area in enumerate(pool.content_areas)
        }


def simulate_subtest(
    subtest: Subtest,
    true_theta: npt.ArrayLike,
    rng: np.random.Generator,
    progress: Progress | None = None,
    keys: KeyArray | None = None,
    respond: Respond | None = None,
) -> SubtestSimulation:
    """Simulate ``subtest`` for examinees with the given true abilities.

    Parameters
    ----------
    subtest : Subtest
    true_theta : array_like, shape (N,)
    rng : numpy.random.Generator
        Source of the responses (and of the keys when not given).
    progress : callable, optional
        Called as ``progress(position, max_items)`` after each test position.
    keys : ndarray of uint64, shape (N, W), optional
        The examinees' keys for the selection draws (randomesque, Sympson-Hetter, content-area ties): a live
        session's are ``(seed, subtest index)``, and with them and the same answers the simulation chooses the
        items the session chooses. Default: one random word per examinee.
    respond : callable, optional
        ``respond(rows, position, chosen, drawn)`` returns the categories examinees ``rows`` give to items
        ``chosen`` at test position ``position``, where ``drawn`` are the categories the model drew from their
        true abilities: the hook of simulated aberrant behaviour (:mod:`cat_engine.simulate_aberrance`). The
        model's draws are made either way, so examinees the hook leaves alone answer exactly as without it.
    """
    started = time.perf_counter()
    truth = np.asarray(true_theta, dtype=np.float64)
    n = truth.shape[0]
    pool, est, stopping = subtest.pool, subtest.estimator, subtest.stopping
    max_items = stopping.max_items
    n_areas = len(pool.content_areas)

    available = np.ones((n, pool.size), dtype=bool)
    area_counts = np.zeros((n, n_areas), dtype=np.intp)
    n_given = np.zeros(n, dtype=np.intp)
    items = np.full((n, max_items), -1, dtype=np.intp)
    cats = np.zeros((n, max_items), dtype=np.intp)
    loglik = np.zeros((n, est.quadrature_points))
    theta = np.full(n, subtest.selection.start_theta)
    se = np.full(n, est.prior_sd)
    reasons = np.zeros(n, dtype=np.intp)
    if keys is None:
        keys = rng.integers(0, 2**63, size=(n, 1), dtype=np.int64).astype(np.uint64)
    controlled = subtest.selection.exposure_control == "sympson_hetter"
    lottery = draw_lottery(pool, keys) if controlled else None
    n_strata = pool.exposure_k.shape[0]
    considered = np.zeros((n, n_strata if controlled else 0, pool.size), dtype=bool)
    visited = np.zeros((n, n_strata), dtype=bool)

    for position in range(max_items):
        rows = np.flatnonzero(reasons == StopReason.CONTINUE)
        if rows.size == 0:
            break
        sel_considered = considered[rows] if controlled else None
        visited[rows, pool.strata_of(theta[rows])] = True
        chosen = select_items(
            pool,
            subtest.selection,
            subtest.blueprint,
            theta[rows],
            available[rows],
            area_counts[rows],
            n_given[rows],
            max_items,
            keys[rows],
            None if lottery is None else lottery[rows],
            sel_considered,
        )
        if sel_considered is not None:
            considered[rows] = sel_considered
        got = chosen >= 0
        reasons[rows[~got]] = StopReason.POOL_EXHAUSTED  # (the stopping check normally catches this a step earlier)
        rows, chosen = rows[got], chosen[got]
        probs = category_probabilities(truth[rows], pool.params, chosen)
        drawn = (rng.random(rows.size)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
        drawn = np.minimum(drawn, pool.params.n_categories[chosen] - 1)
        if respond is not None:
            drawn = respond(rows, position, chosen, drawn)

        sub_available = available[rows]
        block_items(sub_available, pool, chosen)
        available[rows] = sub_available
        area_counts[rows, pool.area_index[chosen]] += 1
        items[rows, position] = chosen
        cats[rows, position] = drawn
        n_given[rows] += 1
        loglik[rows] += subtest.log_table.values[chosen, drawn]

        width = position + 1
        sub_items = items[rows, :width]
        theta[rows], se[rows] = estimate_batch(
            est, pool.params, loglik[rows], np.maximum(sub_items, 0), cats[rows, :width], sub_items >= 0
        )
        reasons[rows] = decide_stops(
            stopping,
            n_given[rows],
            theta[rows],
            se[rows],
            content_minimums_met(subtest.blueprint, area_counts[rows]),
            ~np.any(available[rows], axis=1),
            np.zeros(rows.size, dtype=bool),
        )
        if progress is not None:
            progress(position + 1, max_items)

    if progress is not None and position + 1 < max_items:
        progress(max_items, max_items)  # every test ended early: show the bar complete
    if est.final is not None and est.final != est.method:
        _final_estimates(subtest, items, cats, n_given, loglik, theta, se)
    return SubtestSimulation(
        subtest=subtest,
        true_theta=truth,
        theta=theta,
        se=se,
        lengths=n_given,
        reasons=reasons,
        items=items,
        categories=cats,
        considered=considered,
        visited=visited,
        keys=keys,
        seconds=time.perf_counter() - started,
    )


def _final_estimates(
    subtest: Subtest,
    items: IntArray,
    cats: IntArray,
    lengths: IntArray,
    loglik: FloatArray,
    theta: FloatArray,
    se: FloatArray,
) -> None:
    """Replace, in place, each examinee's estimate by the estimator's ``final`` method (what
    :meth:`Subtest.final_estimate` reports for one), in groups of equal test length so that no work is spent on
    padding, and with the test information at the nodes gathered from a table."""
    est = subtest.estimator
    config = replace(est, method=est.final or est.method)
    info_table = information(est.nodes[:, None], subtest.pool.params).T  # (n_items, Q)
    for length in np.unique(lengths[lengths > 0]).tolist():
        rows = np.flatnonzero(lengths == length)
        given, scored = items[rows, :length], cats[rows, :length]
        final_theta, final_se = estimate_batch(
            config,
            subtest.pool.params,
            loglik[rows],
            given,
            scored,
            np.ones(given.shape, dtype=bool),
            info_table[given].sum(axis=1),
        )
        exists = final_exists(config, final_theta)
        theta[rows] = np.where(exists, final_theta, theta[rows])
        se[rows] = np.where(exists, final_se, se[rows])


def simulate_battery(
    battery: Battery,
    examinees: int | Sequence[float] | FloatArray,
    seed: int,
    progress: Callable[[str, int, int], None] | None = None,
    session_seeds: Sequence[int] | None = None,
) -> list[SubtestSimulation]:
    """Simulate every subtest of ``battery``.

    ``examinees`` is a count (true thetas drawn from N(0, 1)) or the true thetas themselves. The same examinee
    keeps the same true theta in every subtest. Examinee e selects as a live session with seed
    ``session_seeds[e]`` would (keys ``(seed, subtest index)``); the seeds are drawn when not given.
    """
    rng = np.random.default_rng(seed)
    truth = rng.standard_normal(examinees) if isinstance(examinees, int) else np.asarray(examinees, dtype=np.float64)
    seeds = (
        rng.integers(0, 2**62, size=(truth.shape[0], 1), dtype=np.int64).astype(np.uint64)
        if session_seeds is None
        else as_keys([[s] for s in session_seeds])
    )[:, 0]
    results = []
    for index, sub in enumerate(battery.subtests):
        keys = np.stack([seeds, np.full_like(seeds, index)], axis=1)
        report: Progress | None = None
        if progress is not None:
            name = sub.name

            def report(done: int, total: int, _name: str = name) -> None:
                progress(_name, done, total)

        results.append(simulate_subtest(sub, truth, rng, report, keys))
    return results
