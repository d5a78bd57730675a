r"""The pool report for the psychometrician: where along :math:`\theta` a pool can carry its tests.

Everything here is computation on a pool, its subtest settings and one simulation of that subtest; the
``cat-pool report`` command (:mod:`cat_engine.pool_cli`) runs the simulation, prints the report and draws its plots
(:mod:`cat_engine.pool_report_plots`). How to read it is in ``docs/pool-report.md``.

Definitions, on a grid of :math:`\theta` from -4 to 4 in steps of :data:`FINE_STEP`:

* pool information :math:`I(\theta) = \sum_i I_i(\theta)` (Lord, 1980), with :math:`I_i` the item's Fisher
  information (:func:`cat_engine.irt.information`);
* depth :math:`D(\theta) = \#\{i : I_i(\theta) > \tau\}` for the information threshold :math:`\tau`, and per
  content area :math:`D_a(\theta)` over the area's items. The default threshold is
  :math:`\tau = 1 / (SE_{target}^2\,n_{max})` (:func:`default_threshold`): the mean information per item a test
  needs to reach its SE target within its maximum length;
* required depth. In a band of true :math:`\theta` with mean test length :math:`\bar L`, the exposure rates of the
  items among the band's examinees add up to :math:`\sum_i r_i = \bar L` (every examinee takes :math:`L_e`
  items). If no item may exceed a rate :math:`r`, at least :math:`\bar L / r` distinct items must be used there,
  and for the test to measure there they must be informative there:
  :math:`R(\theta) = \bar L(\theta) / r`, and per content area with blueprint target share :math:`\pi_a`,
  :math:`R_a(\theta) = \bar L(\theta)\,\pi_a / r`;
* the pool is thin where :math:`D(\theta) < R(\theta)` (or :math:`D_a < R_a`); the shortfall at
  :math:`\theta` is :math:`\lceil R(\theta) \rceil - D(\theta)` items;
* a fix for a thin region :math:`[\theta_1, \theta_2]` in items like the pool's typical item
  (:func:`typical_item`), whose information exceeds :math:`\tau` on :math:`[b + u_-, b + u_+]` (width
  :math:`W = u_+ - u_-`): split the region into :math:`m = \lceil (\theta_2 - \theta_1) / W \rceil` equal parts,
  and put into part :math:`j = [l_j, h_j]` as many items as its largest shortfall, with a difficulty in
  :math:`[h_j - u_+, l_j - u_-]` (centred at :math:`b_j = (l_j + h_j)/2 - (u_- + u_+)/2`), so that their useful
  range holds the part. Every point of the region then gains at least its shortfall in items above the
  threshold.

References
----------
Lord, F. M. (1980). Applications of item response theory to practical testing problems. Erlbaum.
Reckase, M. D. (2010). Designing item pools to optimize the functioning of a computerized adaptive test.
Psychological Test and Assessment Modeling 52(2).
Stocking, M. L. (1994). Three practical issues for modern adaptive testing item pools. ETS RR-94-5.
Way, W. D. (1998). Protecting the integrity of computerized testing item pools. EM:IP 17(4).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .battery import Subtest
from .irt import information
from .pool import Pool
from .pool_fixes import FINE_STEP, ThinRegion, TypicalItem, theta_grid, thin_regions, typical_item
from .simulate import SubtestSimulation
from .stopping import StoppingConfig

__all__ = [
    "BANDS",
    "DEFAULT_TARGET",
    "BandUsage",
    "InformationProfile",
    "PoolReport",
    "StratumK",
    "band_usage",
    "build_report",
    "default_threshold",
    "exposure_parameters",
    "information_profile",
    "required_depth",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Inner edges of the six true-theta bands (-inf, -2], (-2, -1], ..., (2, inf); shown as -3..3.
BANDS: tuple[tuple[float, float], ...] = ((-3.0, -2.0), (-2.0, -1.0), (-1.0, 0.0), (0.0, 1.0), (1.0, 2.0), (2.0, 3.0))
_INNER_EDGES = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
#: Default maximum exposure rate r in a band.
DEFAULT_TARGET = 0.25
#: SE assumed for the default threshold of a subtest without an SE target (cat-sim's default).
_FALLBACK_SE = 0.3
_TOL = 1e-9


def default_threshold(stopping: StoppingConfig) -> float:
    r""":math:`\tau = 1 / (SE_{target}^2\,n_{max})`: the mean information per item that reaches the SE target in
    ``max_items`` items (an SE target of 0.3 is assumed when the subtest has none).

    The prior's information is left out, which makes the threshold slightly stricter than the EAP need."""
    se = stopping.se_target if stopping.se_target is not None else _FALLBACK_SE
    return 1.0 / (se * se * stopping.max_items)


# --- information and depth ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class InformationProfile:
    """Pool information and depth along ``theta``.

    Attributes
    ----------
    theta : ndarray, shape (n_theta,)
    information : ndarray, shape (n_theta,)
        :math:`I(\\theta) = \\sum_i I_i(\\theta)`.
    item_information : ndarray, shape (n_theta, n_items)
    depth : ndarray of int, shape (n_theta,)
        Items with :math:`I_i(\\theta) > \\tau`.
    depth_by_area : ndarray of int, shape (n_areas, n_theta)
        The same within each content area of the pool.
    threshold : float
    """

    theta: FloatArray
    information: FloatArray
    item_information: FloatArray
    depth: IntArray
    depth_by_area: IntArray
    threshold: float


def information_profile(pool: Pool, theta: npt.ArrayLike, threshold: float) -> InformationProfile:
    """Information and depth of ``pool`` at ``theta`` with information threshold ``threshold``."""
    grid = np.asarray(theta, dtype=np.float64)
    info = information(grid[:, None], pool.params)
    above = info > threshold
    by_area = np.stack([above[:, pool.area_index == a].sum(axis=1) for a in range(len(pool.content_areas))])
    return InformationProfile(
        theta=grid,
        information=info.sum(axis=1),
        item_information=info,
        depth=above.sum(axis=1).astype(np.intp),
        depth_by_area=by_area.astype(np.intp),
        threshold=threshold,
    )


# --- exposure parameters --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StratumK:
    """Sympson-Hetter parameters of one stratum of :math:`\\hat\\theta` (``low``/``high`` None: unbounded)."""

    low: float | None
    high: float | None
    items_controlled: int
    min_k: float
    median_k: float


def exposure_parameters(pool: Pool) -> tuple[StratumK, ...]:
    """Per stratum (one row for unconditional parameters): items with K < 1, the smallest and the median K."""
    edges: list[float | None] = [None, *pool.exposure_strata, None]
    return tuple(
        StratumK(
            low=edges[s],
            high=edges[s + 1],
            items_controlled=int(np.sum(row < 1.0)),
            min_k=float(row.min()),
            median_k=float(np.median(row)),
        )
        for s, row in enumerate(pool.exposure_k)
    )


# --- the simulation by band -----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BandUsage:
    """What the simulation did to the examinees of one true-theta band.

    ``rates[i]`` is the share of the band's examinees given item ``i``; ``low``/``high`` are the band's shown
    edges (the outer bands also hold any theta beyond -3 or 3).
    """

    low: float
    high: float
    examinees: int
    mean_length: float
    rmse: float
    mean_se: float
    rates: FloatArray

    @property
    def items_used(self) -> int:
        """Distinct items given to anyone in the band."""
        return int(np.sum(self.rates > 0))

    @property
    def max_exposure(self) -> float:
        """The largest exposure rate in the band (0 without examinees)."""
        return float(self.rates.max()) if self.rates.size else 0.0

    def over(self, target: float) -> IntArray:
        """Items given to more than a share ``target`` of the band's examinees."""
        return np.flatnonzero(self.rates > target)

    def always(self) -> IntArray:
        """Items given to every examinee of the band."""
        return np.flatnonzero(self.rates >= 1.0) if self.examinees else np.zeros(0, dtype=np.intp)


def _band_index(theta: FloatArray) -> IntArray:
    """Band of each theta: (-inf, -2] is 0, ..., (2, inf) is 5."""
    result: IntArray = np.searchsorted(_INNER_EDGES, theta, side="left")
    return result


def band_usage(simulation: SubtestSimulation) -> tuple[BandUsage, ...]:
    """The six bands of :data:`BANDS` (a band without examinees has zero rates and NaN statistics)."""
    truth = simulation.true_theta
    band = _band_index(truth)
    error = simulation.theta - truth
    out = []
    for k, (low, high) in enumerate(BANDS):
        rows = band == k
        n = int(rows.sum())
        out.append(
            BandUsage(
                low=low,
                high=high,
                examinees=n,
                mean_length=float(simulation.lengths[rows].mean()) if n else math.nan,
                rmse=float(np.sqrt(np.mean(error[rows] ** 2))) if n else math.nan,
                mean_se=float(simulation.se[rows].mean()) if n else math.nan,
                rates=simulation.exposure_among(rows) if n else np.zeros(simulation.subtest.pool.size),
            )
        )
    return tuple(out)


def required_depth(
    theta: npt.ArrayLike,
    bands: Sequence[BandUsage],
    target: float,
    share: float = 1.0,
    domain: tuple[float, float] = (-3.0, 3.0),
) -> FloatArray:
    """:math:`R(\\theta) = \\bar L\\,\\pi / r` by band (``share`` :math:`\\pi`, ``target`` :math:`r`); NaN outside
    ``domain`` (where no examinee was simulated) and in bands without examinees."""
    grid = np.asarray(theta, dtype=np.float64)
    lengths = np.array([b.mean_length if b.examinees else math.nan for b in bands])
    required: FloatArray = lengths[_band_index(grid)] * share / target
    outside = (grid < domain[0] - _TOL) | (grid > domain[1] + _TOL)
    required[outside] = math.nan
    return required


# --- the whole report -----------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PoolReport:
    """Everything ``cat-pool report`` shows; :meth:`to_dict` is its JSON form."""

    subtest: Subtest
    threshold: float
    threshold_is_default: bool
    target: float
    theta_range: tuple[float, float]
    profile: InformationProfile
    required: FloatArray
    required_by_area: FloatArray | None  # (n_areas, n_theta); None without a blueprint
    strata: tuple[StratumK, ...]
    examinees: int
    mean_length: float
    exposure: FloatArray
    bands: tuple[BandUsage, ...]
    typical: TypicalItem
    thin: tuple[ThinRegion, ...]
    thin_by_area: tuple[ThinRegion, ...]

    @property
    def pool(self) -> Pool:
        """The subtest's pool."""
        return self.subtest.pool

    @property
    def band_max(self) -> FloatArray:
        """Each item's largest exposure rate over the bands with examinees."""
        rates = [b.rates for b in self.bands if b.examinees]
        result: FloatArray = np.max(rates, axis=0) if rates else np.zeros(self.pool.size)
        return result

    @property
    def never_used(self) -> IntArray:
        """Items no simulated examinee was given."""
        return np.flatnonzero(self.exposure == 0)

    @property
    def never_useful(self) -> IntArray:
        """Items whose information never exceeds the threshold within the simulated theta range."""
        grid = self.profile.theta
        inside = (grid >= self.theta_range[0] - _TOL) & (grid <= self.theta_range[1] + _TOL)
        return np.flatnonzero(~np.any(self.profile.item_information[inside] > self.threshold, axis=0))

    @property
    def overexposed(self) -> IntArray:
        """Items given to more than ``target`` of some band's examinees, most exposed first."""
        peak = self.band_max
        over = np.flatnonzero(peak > self.target)
        return over[np.argsort(-peak[over], kind="stable")]

    def settings(self) -> dict[str, Any]:
        """The simulated subtest's settings."""
        sub = self.subtest
        blueprint = sub.blueprint
        return {
            "estimator": sub.estimator.method,
            "se_target": sub.stopping.se_target,
            "min_items": sub.stopping.min_items,
            "max_items": sub.stopping.max_items,
            "randomesque": sub.selection.randomesque,
            "exposure_control": sub.selection.exposure_control,
            "blueprint": None
            if blueprint is None
            else {area: float(blueprint.target[a]) for a, area in enumerate(self.pool.content_areas)},
        }

    def _grid_row(self, g: int) -> dict[str, Any]:
        areas = self.pool.content_areas
        by_area = self.required_by_area
        return {
            "theta": float(self.profile.theta[g]),
            "information": float(self.profile.information[g]),
            "depth": int(self.profile.depth[g]),
            "required": _num(self.required[g]),
            "depth_by_area": {area: int(self.profile.depth_by_area[a, g]) for a, area in enumerate(areas)},
            "required_by_area": None
            if by_area is None
            else {area: _num(by_area[a, g]) for a, area in enumerate(areas)},
        }

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON types (the grid rows every 0.5 of theta)."""
        pool = self.pool
        areas = pool.content_areas
        every = round(0.5 / FINE_STEP)
        rows = [self._grid_row(g) for g in range(0, self.profile.theta.size, every)]
        band_max = self.band_max
        peak = self.profile.item_information.max(axis=0)
        return {
            "pool": {
                "pool_id": pool.pool_id,
                "pool_version": pool.pool_version,
                "name": pool.name,
                "items": pool.size,
                "content_areas": list(areas),
                "exposure_strata": list(pool.exposure_strata),
            },
            "subtest": {"id": self.subtest.id, "name": self.subtest.name, **self.settings()},
            "info_threshold": self.threshold,
            "info_threshold_default": self.threshold_is_default,
            "target": self.target,
            "grid": rows,
            "exposure_parameters": [vars(s) for s in self.strata],
            "simulation": {
                "examinees": self.examinees,
                "theta_range": list(self.theta_range),
                "mean_length": self.mean_length,
                "max_exposure": float(self.exposure.max()),
                "never_used": [pool.items[i].id for i in self.never_used],
                "never_used_and_never_above_threshold": [
                    pool.items[i].id for i in np.intersect1d(self.never_used, self.never_useful)
                ],
                "overexposed": [
                    {
                        "item": pool.items[i].id,
                        "band": list(BANDS[int(np.argmax([b.rates[i] for b in self.bands]))]),
                        "rate": float(band_max[i]),
                    }
                    for i in self.overexposed
                ],
                "bands": [
                    {
                        "lo": b.low,
                        "hi": b.high,
                        "examinees": b.examinees,
                        "mean_length": _num(b.mean_length),
                        "required_depth": _num(b.mean_length / self.target),
                        "items_used": b.items_used,
                        "max_exposure": b.max_exposure,
                        "over_target": int(b.over(self.target).size),
                        "used_by_all": int(b.always().size),
                        "rmse": _num(b.rmse),
                        "mean_se": _num(b.mean_se),
                    }
                    for b in self.bands
                ],
            },
            "typical_item": {
                "model": self.typical.model,
                "a": self.typical.a,
                "c": self.typical.c,
                "useful_offsets": [self.typical.low_offset, self.typical.high_offset],
                "peak_information": self.typical.peak_information,
                "raised": self.typical.raised,
            },
            "thin": [_region_dict(r) for r in self.thin],
            "thin_by_area": [_region_dict(r) for r in self.thin_by_area],
            "items": [
                {
                    "id": item.id,
                    "area": item.content_area,
                    "a": float(pool.params.a[i]),
                    "b": float(pool.params.b[i]),
                    "k": [float(k) for k in pool.exposure_k[:, i]],
                    "peak_information": float(peak[i]),
                    "exposure": float(self.exposure[i]),
                    "max_band_exposure": float(band_max[i]),
                }
                for i, item in enumerate(pool.items)
            ],
        }


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _region_dict(region: ThinRegion) -> dict[str, Any]:
    return {
        "area": region.area,
        "theta_low": region.theta_low,
        "theta_high": region.theta_high,
        "min_depth": region.min_depth,
        "required": region.required,
        "shortfall": region.shortfall,
        "items_needed": region.items_needed,
        "b_low": region.b_low,
        "b_high": region.b_high,
        "add": [vars(p) for p in region.placements],
    }


def build_report(
    subtest: Subtest,
    simulation: SubtestSimulation,
    *,
    threshold: float | None = None,
    target: float = DEFAULT_TARGET,
    theta_range: tuple[float, float] = (-3.0, 3.0),
) -> PoolReport:
    """The pool report of ``subtest`` from ``simulation`` (its examinees' true thetas in ``theta_range``).

    ``threshold`` None takes :func:`default_threshold`; ``target`` is the maximum exposure rate :math:`r`.
    """
    if not 0 < target < 1:
        raise ValueError("target must be in (0, 1)")
    pool = subtest.pool
    tau = default_threshold(subtest.stopping) if threshold is None else threshold
    if not tau > 0:
        raise ValueError("the information threshold must be > 0")
    grid = theta_grid()
    profile = information_profile(pool, grid, tau)
    bands = band_usage(simulation)
    required = required_depth(grid, bands, target, 1.0, theta_range)
    typical = typical_item(pool, tau)
    thin = thin_regions(grid, profile.depth, required, typical)
    required_by_area = None
    thin_by_area: list[ThinRegion] = []
    if subtest.blueprint is not None:
        shares = subtest.blueprint.target
        required_by_area = np.stack([required_depth(grid, bands, target, float(s), theta_range) for s in shares])
        for a, area in enumerate(pool.content_areas):
            thin_by_area += thin_regions(grid, profile.depth_by_area[a], required_by_area[a], typical, area)
    return PoolReport(
        subtest=subtest,
        threshold=tau,
        threshold_is_default=threshold is None,
        target=target,
        theta_range=theta_range,
        profile=profile,
        required=required,
        required_by_area=required_by_area,
        strata=exposure_parameters(pool),
        examinees=int(simulation.lengths.shape[0]),
        mean_length=float(simulation.lengths.mean()),
        exposure=simulation.exposure,
        bands=bands,
        typical=typical,
        thin=tuple(thin),
        thin_by_area=tuple(thin_by_area),
    )
