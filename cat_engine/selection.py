r"""Item selection: maximum Fisher information with randomesque, Sympson-Hetter, content balancing and enemies.

:func:`select_items` chooses the next item for many examinees at once, :func:`select_one` for one (a live
session's step) with the same rule and result. For
examinee :math:`e` at estimate :math:`\hat\theta_e` the rule is

.. math:: j_e = \arg\max_{i \in E_e} I_i(\hat\theta_e)

over the eligible set :math:`E_e`, built in this order:

1. **Availability**: items not yet administered and not an enemy of an administered item (the caller keeps
   this mask; :func:`block_items` updates it).
2. **Content balancing** (Kingsbury & Zara, 1989), when the subtest has a blueprint: areas at their maximum are
   closed; when the items left before ``max_items`` are only just enough to reach every area's minimum, only
   areas below their minimum stay open; of the open areas the one furthest below its target share,
   :math:`\arg\max_a \; \pi_a (n + 1) - n_a`, supplies the item, **ties broken at random** (so examinees do not
   all follow one sequence of areas, and the first item does not always come from the first area listed). If no
   open area has an available item the blueprint is set aside for that step rather than ending the test.
3. **Sympson-Hetter exposure control** (Sympson & Hetter, 1985), optionally **conditional on ability** (Stocking &
   Lewis, 1998): item :math:`i` may be administered only if it passes a lottery with probability
   :math:`K_{s,i}`, where :math:`s` is the stratum of the examinee's current estimate :math:`\hat\theta` (one
   stratum when the parameters are unconditional). An examinee draws one uniform :math:`u_i` per item and subtest
   (:func:`draw_lottery`) and item :math:`i` passes while :math:`u_i < K_{s,i}`. With one stratum this is exactly
   the classic procedure: there, an item reaching the top of the information order is administered with
   probability :math:`K_i` and otherwise set aside for the rest of the test, so each item faces its lottery at
   most once per examinee; taking the most informative item that passed is walking down the list in order of
   information. Conditionally, an item set aside in one stratum may pass again where its parameter is higher. If
   no eligible item passed, the lottery is ignored for that step rather than ending the test.
4. **Randomesque** (Kingsbury & Zara, 1989): one of the ``k`` most informative remaining items, uniformly at
   random. The first item of a test uses ``first_item_randomesque`` so that examinees starting at the same
   theta do not all see the same first item.

Every random number is a pure function of the examinee's key (a live session's seed and the subtest's index), the
step and the purpose (:mod:`cat_engine.draws`), so a restored session repeats its choices exactly and a simulation of
many examinees makes, for the same keys and answers, exactly the choices their live sessions make.

:func:`calibrate_sympson_hetter` lives in :mod:`cat_engine.exposure`, which simulates with this module.

References
----------
Kingsbury, G. G., & Zara, A. R. (1989). Procedures for selecting items for computerized adaptive tests. AME 2(4).
Stocking, M. L., & Lewis, C. (1998). Controlling item exposure conditional on ability in computerized adaptive
testing. JEBS 23(1).
Sympson, J. B., & Hetter, R. D. (1985). Controlling item-exposure rates in computerized adaptive testing.
Proceedings of the 27th annual meeting of the Military Testing Association.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

import numpy as np
import numpy.typing as npt

from .draws import KeyArray, uniforms, uniforms_one
from .irt import information
from .pool import Pool

__all__ = [
    "LOTTERY_STREAM",
    "BlueprintArea",
    "ResolvedBlueprint",
    "SelectionConfig",
    "block_items",
    "content_minimums_met",
    "draw_lottery",
    "lottery_of",
    "select_items",
    "select_one",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
ExposureControl = Literal["none", "sympson_hetter"]

#: Stream of the Sympson-Hetter lottery; a step's draws use ``4 * items_answered + purpose`` (below 2**33).
LOTTERY_STREAM = 2**41
_AREA_TIES, _RANDOMESQUE = 0, 1


def _step_stream(n_given: int | IntArray, purpose: int) -> npt.NDArray[np.uint64]:
    return np.asarray(n_given, dtype=np.uint64) * np.uint64(4) + np.uint64(purpose)


@dataclass(frozen=True)
class BlueprintArea:
    """Target share and item-count limits of one content area."""

    target: float
    min: int = 0
    max: int = 10**6


@dataclass(frozen=True)
class SelectionConfig:
    """How a subtest chooses items.

    Parameters
    ----------
    randomesque : int
        Choose at random among the ``k`` most informative eligible items (1 = plain maximum information).
    first_item_randomesque : int
        The same for the first item of the test.
    start_theta : float
        Theta at which the first item is chosen.
    exposure_control : {"none", "sympson_hetter"}
        Sympson-Hetter uses each item's ``exposure_k`` from the pool (per stratum of the estimate when the pool
        has ``exposure_strata``).
    blueprint : mapping of area name to BlueprintArea
        Content balancing; empty for none.
    """

    randomesque: int = 1
    first_item_randomesque: int = 10
    start_theta: float = 0.0
    exposure_control: ExposureControl = "none"
    blueprint: Mapping[str, BlueprintArea] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.randomesque < 1 or self.first_item_randomesque < 1:
            raise ValueError("randomesque sizes must be >= 1")
        if self.exposure_control not in ("none", "sympson_hetter"):
            raise ValueError(f"unknown exposure_control {self.exposure_control!r}")


@dataclass(frozen=True, eq=False)
class ResolvedBlueprint:
    """A blueprint as arrays over the pool's content areas (areas it does not name: target 0, no limits)."""

    target: FloatArray
    minimum: IntArray
    maximum: IntArray

    @cached_property
    def as_tuples(self) -> tuple[tuple[float, ...], tuple[int, ...], tuple[int, ...]]:
        """``(target, minimum, maximum)`` as tuples of Python numbers, for the one-examinee step's plain-Python
        counting."""
        return tuple(self.target.tolist()), tuple(self.minimum.tolist()), tuple(self.maximum.tolist())

    def minimums_met(self, counts: Sequence[int]) -> bool:
        """Whether one examinee's items per area (``counts``) reach every area's minimum."""
        return all(count >= low for count, low in zip(counts, self.as_tuples[1], strict=True))

    @classmethod
    def resolve(cls, blueprint: Mapping[str, BlueprintArea], pool: Pool) -> ResolvedBlueprint | None:
        """Arrays for ``pool``; None for an empty blueprint. Unknown area names raise ``KeyError``."""
        if not blueprint:
            return None
        n_areas = len(pool.content_areas)
        target = np.zeros(n_areas)
        minimum = np.zeros(n_areas, dtype=np.intp)
        maximum = np.full(n_areas, 10**6, dtype=np.intp)
        for name, area in blueprint.items():
            a = pool.content_areas.index(name) if name in pool.content_areas else None
            if a is None:
                raise KeyError(name)
            target[a], minimum[a], maximum[a] = area.target, area.min, area.max
        return cls(target, minimum, maximum)


def block_items(available: BoolArray, pool: Pool, chosen: IntArray) -> None:
    """Mark each row's chosen item and its enemies unavailable, in place (``chosen < 0`` rows are skipped)."""
    rows = np.flatnonzero(chosen >= 0)
    if rows.size == 0:
        return
    picked = chosen[rows]
    available[rows, picked] = False
    if pool.has_enemies:
        available[rows] &= ~pool.enemy_matrix[picked]


def content_minimums_met(blueprint: ResolvedBlueprint | None, area_counts: IntArray) -> BoolArray:
    """Whether each examinee (row of ``area_counts``, shape (N, A)) has reached every area's minimum."""
    if blueprint is None:
        return np.ones(area_counts.shape[0], dtype=bool)
    result: BoolArray = np.all(area_counts >= blueprint.minimum, axis=1)
    return result


def _area_filter(
    pool: Pool,
    blueprint: ResolvedBlueprint,
    eligible: BoolArray,
    area_counts: IntArray,
    n_given: IntArray,
    max_items: int,
    keys: KeyArray,
) -> BoolArray:
    """Restrict each row's eligible items to the one content area the blueprint asks for next (step 2 above).

    Among the areas with the largest deficit, the one with the largest uniform of the row's area-tie draws wins.
    """
    n_areas = blueprint.target.shape[0]
    order, starts, areas = pool.area_groups
    has_items = np.zeros((eligible.shape[0], n_areas), dtype=bool)
    has_items[:, areas] = np.logical_or.reduceat(eligible[:, order], starts, axis=1)
    open_ = (area_counts < blueprint.maximum) & has_items
    shortfall = np.maximum(blueprint.minimum - area_counts, 0)
    remaining = max_items - n_given
    must_fill = (shortfall.sum(axis=1) >= remaining)[:, None]
    open_ &= ~must_fill | (shortfall > 0)
    deficit = blueprint.target * (n_given[:, None] + 1) - area_counts
    deficit = np.where(open_, deficit, -np.inf)
    tied = open_ & (deficit == deficit.max(axis=1, keepdims=True))
    draws = uniforms(keys, _step_stream(n_given, _AREA_TIES), n_areas)
    area = np.argmax(np.where(tied, draws, -1.0), axis=1)
    any_open = np.any(open_, axis=1)
    in_area = pool.area_index[None, :] == area[:, None]
    return np.where(any_open[:, None], eligible & in_area, eligible)


def _next_area(
    blueprint: ResolvedBlueprint,
    counts: Sequence[int],
    has_items: Sequence[bool],
    n_given: int,
    max_items: int,
    key: Sequence[int],
) -> int:
    """The content area one examinee's next item comes from (step 2 above), -1 when no area is open.

    :func:`_area_filter`'s rule for one row, over the few areas in plain Python (numpy's per-call cost outweighs
    that work); ``has_items[a]`` says whether area ``a`` still has an eligible item. Ties are broken by the same
    draws as there, computed only when there is a tie.
    """
    target, minimum, maximum = blueprint.as_tuples
    shortfall = [max(low - count, 0) for low, count in zip(minimum, counts, strict=True)]
    must_fill = sum(shortfall) >= max_items - n_given
    best, tied = -math.inf, []
    for area, count in enumerate(counts):
        if has_items[area] and count < maximum[area] and (not must_fill or shortfall[area] > 0):
            deficit = target[area] * (n_given + 1) - count
            if deficit > best:
                best, tied = deficit, [area]
            elif deficit == best:
                tied.append(area)
    if len(tied) <= 1:
        return tied[0] if tied else -1
    draws = uniforms_one(key, int(_step_stream(n_given, _AREA_TIES)), len(counts))
    return max(tied, key=lambda area: draws[area])


def select_one(
    pool: Pool,
    config: SelectionConfig,
    blueprint: ResolvedBlueprint | None,
    theta: float,
    blocked: Collection[int],
    area_counts: Sequence[int],
    n_given: int,
    max_items: int,
    key: Sequence[int],
    lottery: FloatArray | None = None,
) -> int:
    r""":func:`select_items` for one examinee (a live session's step), in a few numpy calls.

    ``blocked`` holds the items administered and their enemies, without repeats (the complement of
    ``available``); ``area_counts`` the items administered per area; ``key`` the examinee's key (the words of a row
    of :func:`select_items`'s ``keys``); ``lottery`` has shape ``(n_items,)`` (:func:`lottery_of`).
    Ineligible items get information :math:`-\infty` in place, so the choice is made on the very values the batch
    form compares (and equals it: tested on random rows). When the blueprint opens one area, only that area's items
    are looked at (:attr:`Pool.area_items`, ascending, so the first of equal values is the same item): the batch
    form's other items are :math:`-\infty` there. Returns the item index, -1 when none is eligible.
    """
    area, area_of = -1, pool.area_of
    if blueprint is not None:
        left = list(pool.area_sizes)
        for item in blocked:
            left[area_of[item]] -= 1
        area = _next_area(blueprint, area_counts, [n > 0 for n in left], n_given, max_items, key)
    if area >= 0:  # positions in the area's items from here on
        candidates: IntArray | None = pool.area_items[area]
        masked = information(theta, pool.area_params[area])  # a new array: written below
        position = pool.area_position
        closed = [position[item] for item in blocked if area_of[item] == area]
    else:
        candidates = None
        masked = information(theta, pool.params)
        closed = list(blocked)
    if closed:
        masked[closed] = -np.inf
    k = config.first_item_randomesque if n_given == 0 else config.randomesque
    if config.exposure_control == "sympson_hetter":
        if lottery is None:
            raise ValueError("Sympson-Hetter selection needs the examinee's lottery (lottery_of)")
        limits = pool.exposure_k[pool.stratum_of(theta)]
        drawn = lottery if candidates is None else lottery[candidates]
        passed = np.where(drawn < (limits if candidates is None else limits[candidates]), masked, -np.inf)
        best = int(passed.argmax())
        if math.isfinite(passed[best]):  # else no eligible item passed: the lottery is set aside for this step
            if k == 1:
                return best if candidates is None else int(candidates[best])
            masked = passed
    if k == 1:  # the usual step: the most informative item
        best = int(masked.argmax())
        if not math.isfinite(masked[best]):
            return -1
        return best if candidates is None else int(candidates[best])
    draws = uniforms_one(key, int(_step_stream(n_given, _RANDOMESQUE)), min(k, pool.size))
    chosen = int(_randomesque(masked[None, :], np.array([k]), draws[None, :])[0])
    return chosen if candidates is None or chosen < 0 else int(candidates[chosen])


def select_items(
    pool: Pool,
    config: SelectionConfig,
    blueprint: ResolvedBlueprint | None,
    theta: FloatArray,
    available: BoolArray,
    area_counts: IntArray,
    n_given: IntArray,
    max_items: int,
    keys: KeyArray,
    lottery: FloatArray | None = None,
    considered: BoolArray | None = None,
) -> IntArray:
    """Choose the next item of each examinee.

    Parameters
    ----------
    theta : ndarray, shape (N,)
        Current estimates (use ``config.start_theta`` before the first item).
    available : ndarray of bool, shape (N, n_items)
        Items neither administered nor blocked as enemies.
    area_counts : ndarray of int, shape (N, n_areas)
        Items administered so far per content area.
    n_given : ndarray of int, shape (N,)
        Items administered so far.
    max_items : int
        The subtest's maximum length (content balancing plans for it).
    keys : ndarray of uint64, shape (N, W)
        Each examinee's key (:mod:`cat_engine.draws`): the randomesque and area-tie draws of the step are a pure
        function of it and of ``n_given``.
    lottery : ndarray, shape (N, n_items), optional
        Each examinee's Sympson-Hetter uniforms for this subtest (:func:`draw_lottery`); required when the config
        asks for Sympson-Hetter, ignored otherwise.
    considered : ndarray of bool, shape (N, n_strata, n_items), optional
        When given, set to true in place, in the stratum of each row's estimate, for the items the Sympson-Hetter
        procedure *selected* this step: the chosen item and every more informative eligible item whose lottery
        failed. Kept across the steps of a test it marks each item at most once per examinee and stratum, the
        counts behind :math:`P(S_i)` of the exposure-parameter calibration (:mod:`cat_engine.exposure`).

    Returns
    -------
    ndarray of int, shape (N,)
        Item index per examinee, -1 where no item is available.
    """
    if theta.shape[0] == 1 and considered is None:
        blocked = np.flatnonzero(~available[0]).tolist()
        counts = area_counts[0].tolist()
        given, at, key = int(n_given[0]), float(theta[0]), keys[0].tolist()
        row_lottery = None if lottery is None else lottery[0]
        chosen_one = select_one(pool, config, blueprint, at, blocked, counts, given, max_items, key, row_lottery)
        return np.array([chosen_one])
    info = information(theta[:, None], pool.params)
    eligible = available  # never written to below: every restriction makes a new array
    if blueprint is not None:
        eligible = _area_filter(pool, blueprint, eligible, area_counts, n_given, max_items, keys)
    candidates = eligible
    strata = pool.strata_of(theta)
    passing: BoolArray | None = None
    if config.exposure_control == "sympson_hetter":
        if lottery is None:
            raise ValueError("Sympson-Hetter selection needs the examinees' lottery (draw_lottery)")
        passing = lottery < pool.exposure_k[strata]
        passed = eligible & passing
        nobody = ~np.any(passed, axis=1, keepdims=True)
        candidates = np.where(nobody, eligible, passed)
    masked = np.where(candidates, info, -np.inf)
    k = np.where(n_given == 0, config.first_item_randomesque, config.randomesque)
    k_max = int(min(k.max(), pool.size))
    draws = uniforms(keys, _step_stream(n_given, _RANDOMESQUE), k_max) if k_max > 1 else None
    chosen = _randomesque(masked, k, draws)
    if considered is not None:
        rows = np.flatnonzero(chosen >= 0)
        best = info[rows, chosen[rows]]
        considered[rows, strata[rows], chosen[rows]] = True
        if passing is not None:
            failed = eligible[rows] & ~passing[rows] & (info[rows] > best[:, None])
            considered[rows, strata[rows]] |= failed
    return chosen


def draw_lottery(pool: Pool, keys: KeyArray) -> FloatArray:
    """The Sympson-Hetter uniforms of each examinee (row of ``keys``) for one subtest, shape (N, n_items): item
    :math:`i` passes in stratum :math:`s` while :math:`u_i < K_{s,i}`, with probability :math:`K_{s,i}`."""
    return uniforms(keys, LOTTERY_STREAM, pool.size)


def lottery_of(pool: Pool, key: Sequence[int]) -> FloatArray:
    """:func:`draw_lottery` of one examinee, shape (n_items,) (the same numbers, computed faster)."""
    return uniforms_one(key, LOTTERY_STREAM, pool.size)


def _randomesque(masked: FloatArray, k: IntArray, uniform: FloatArray | None) -> IntArray:
    """Per row, one of the ``k`` largest finite entries uniformly at random (-1 when the row has none).

    ``uniform`` has shape (n_rows, k_max) with ``k_max = min(max(k), n_items)``; the winner is the candidate with
    the largest draw among the row's first ``k`` (None when ``k_max`` is 1).
    """
    n_rows, n_items = masked.shape
    k_max = int(min(k.max(), n_items))
    if k_max == 1 or uniform is None:
        chosen = np.argmax(masked, axis=1)
    else:
        top = np.argpartition(-masked, k_max - 1, axis=1)[:, :k_max]
        top_values = np.take_along_axis(masked, top, axis=1)
        order = np.argsort(-top_values, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        top_values = np.take_along_axis(top_values, order, axis=1)
        usable = np.isfinite(top_values) & (np.arange(k_max)[None, :] < k[:, None])
        draws = np.where(usable, uniform[:, :k_max] + 1e-12, -1.0)
        chosen = top[np.arange(n_rows), np.argmax(draws, axis=1)]
    found = np.isfinite(masked[np.arange(n_rows), chosen])
    result: IntArray = np.where(found, chosen, -1)
    return result
