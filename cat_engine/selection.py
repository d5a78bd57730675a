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
   :math:`\arg\max_a \; \pi_a (n + 1) - n_a`, supplies the item. If no open area has an available item the
   blueprint is set aside for that step rather than ending the test.
3. **Sympson-Hetter exposure control** (Sympson & Hetter, 1985): item :math:`i` may be administered only if it
   passes a lottery with probability :math:`K_i`. An examinee's lottery is drawn once per subtest
   (:func:`draw_lottery`), which is exactly the classic procedure: there, an item reaching the top of the
   information order is administered with probability :math:`K_i` and otherwise set aside for the rest of the
   test, so each item faces its lottery at most once per examinee. Taking the most informative item that passed
   is walking down the list in order of information. If no eligible item passed, the lottery is ignored for
   that step rather than ending the test.
4. **Randomesque** (Kingsbury & Zara, 1989): one of the ``k`` most informative remaining items, uniformly at
   random. The first item of a test uses ``first_item_randomesque`` so that examinees starting at the same
   theta do not all see the same first item.

Randomness comes only from the ``rng`` and ``lottery`` arguments; a live session seeds them from its own seed (and
step) so that a restored session repeats its choices exactly.

:func:`calibrate_sympson_hetter` lives in :mod:`cat_engine.exposure`, which simulates with this module.

References
----------
Kingsbury, G. G., & Zara, A. R. (1989). Procedures for selecting items for computerized adaptive tests. AME 2(4).
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

from .irt import information
from .pool import Pool

__all__ = [
    "BlueprintArea",
    "LazyRandom",
    "RandomSource",
    "ResolvedBlueprint",
    "SelectionConfig",
    "block_items",
    "content_minimums_met",
    "draw_lottery",
    "select_items",
    "select_one",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
ExposureControl = Literal["none", "sympson_hetter"]


class LazyRandom:
    """A numpy Generator made from ``seed_key`` on first use.

    Most steps of a plain maximum-information test draw no random number; a live session passes one of these so
    that it pays for seeding only when a draw happens, while the draws stay a pure function of the key.
    """

    def __init__(self, seed_key: Sequence[int]) -> None:
        self._seed_key = tuple(seed_key)
        self._generator: np.random.Generator | None = None

    def random(self, size: int | tuple[int, ...]) -> FloatArray:
        """Uniform draws in [0, 1), as ``numpy.random.Generator.random``."""
        if self._generator is None:
            self._generator = np.random.default_rng(self._seed_key)
        return self._generator.random(size)


#: Anything :func:`select_items` can draw from.
RandomSource = np.random.Generator | LazyRandom


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
        Sympson-Hetter uses each item's ``exposure_k`` from the pool.
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
) -> BoolArray:
    """Restrict each row's eligible items to the one content area the blueprint asks for next (step 2 above)."""
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
    area = np.argmax(deficit, axis=1)
    any_open = np.any(open_, axis=1)
    in_area = pool.area_index[None, :] == area[:, None]
    return np.where(any_open[:, None], eligible & in_area, eligible)


def _next_area(
    blueprint: ResolvedBlueprint, counts: Sequence[int], has_items: Sequence[bool], n_given: int, max_items: int
) -> int:
    """The content area one examinee's next item comes from (step 2 above), -1 when no area is open.

    :func:`_area_filter`'s rule for one row, over the few areas in plain Python (numpy's per-call cost outweighs
    that work); ``has_items[a]`` says whether area ``a`` still has an eligible item. Ties go to the first area, as
    ``argmax`` gives them.
    """
    target, minimum, maximum = blueprint.as_tuples
    shortfall = [max(low - count, 0) for low, count in zip(minimum, counts, strict=True)]
    must_fill = sum(shortfall) >= max_items - n_given
    best, chosen = -math.inf, -1
    for area, count in enumerate(counts):
        if has_items[area] and count < maximum[area] and (not must_fill or shortfall[area] > 0):
            deficit = target[area] * (n_given + 1) - count
            if deficit > best:
                best, chosen = deficit, area
    return chosen


def select_one(
    pool: Pool,
    config: SelectionConfig,
    blueprint: ResolvedBlueprint | None,
    theta: float,
    blocked: Collection[int],
    area_counts: Sequence[int],
    n_given: int,
    max_items: int,
    rng: RandomSource,
    lottery: BoolArray | None = None,
) -> int:
    r""":func:`select_items` for one examinee (a live session's step), in a few numpy calls.

    ``blocked`` holds the items administered and their enemies, without repeats (the complement of
    ``available``); ``area_counts`` the items administered per area; ``lottery`` has shape ``(1, n_items)``.
    Ineligible items get information :math:`-\infty` in place, so the choice is made on the very values the batch
    form compares (and equals it: tested on random rows). Returns the item index, -1 when none is eligible.
    """
    masked = information(theta, pool.params)  # a new array, shape (n_items,): written below
    if blocked:
        masked[list(blocked)] = -np.inf
    if blueprint is not None:
        left = list(pool.area_sizes)
        area_of = pool.area_of
        for item in blocked:
            left[area_of[item]] -= 1
        area = _next_area(blueprint, area_counts, [n > 0 for n in left], n_given, max_items)
        if area >= 0:
            masked[pool.outside_area[area]] = -np.inf
    k = config.first_item_randomesque if n_given == 0 else config.randomesque
    if config.exposure_control == "sympson_hetter":
        if lottery is None:
            raise ValueError("Sympson-Hetter selection needs the examinee's lottery (draw_lottery)")
        passed = np.where(lottery[0], masked, -np.inf)
        best = int(passed.argmax())
        if math.isfinite(passed[best]):  # else no eligible item passed: the lottery is set aside for this step
            if k == 1:
                return best
            masked = passed
    if k == 1:  # the usual step: the most informative item
        best = int(masked.argmax())
        return best if math.isfinite(masked[best]) else -1
    return int(_randomesque(masked[None, :], np.array([k]), rng)[0])


def select_items(
    pool: Pool,
    config: SelectionConfig,
    blueprint: ResolvedBlueprint | None,
    theta: FloatArray,
    available: BoolArray,
    area_counts: IntArray,
    n_given: IntArray,
    max_items: int,
    rng: RandomSource,
    lottery: BoolArray | None = None,
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
    rng : numpy.random.Generator or LazyRandom
        Source of the randomesque and Sympson-Hetter draws.
    lottery : ndarray of bool, shape (N, n_items), optional
        Each examinee's Sympson-Hetter lottery outcomes for this subtest (:func:`draw_lottery`); required when
        the config asks for Sympson-Hetter, ignored otherwise.
    considered : ndarray of bool, shape (N, n_items), optional
        When given, set to true in place for the items the Sympson-Hetter procedure *selected* this step: the
        chosen item and every more informative eligible item whose lottery failed. Kept across the steps of a
        test it marks each item at most once per examinee, the counts behind :math:`P(S_i)` of the
        exposure-parameter calibration (:mod:`cat_engine.exposure`).

    Returns
    -------
    ndarray of int, shape (N,)
        Item index per examinee, -1 where no item is available.
    """
    if theta.shape[0] == 1 and considered is None:
        blocked = np.flatnonzero(~available[0]).tolist()
        counts = area_counts[0].tolist()
        given, at = int(n_given[0]), float(theta[0])
        return np.array([select_one(pool, config, blueprint, at, blocked, counts, given, max_items, rng, lottery)])
    info = information(theta[:, None], pool.params)
    eligible = available  # never written to below: every restriction makes a new array
    if blueprint is not None:
        eligible = _area_filter(pool, blueprint, eligible, area_counts, n_given, max_items)
    candidates = eligible
    if config.exposure_control == "sympson_hetter":
        if lottery is None:
            raise ValueError("Sympson-Hetter selection needs the examinees' lottery (draw_lottery)")
        passed = eligible & lottery
        nobody = ~np.any(passed, axis=1, keepdims=True)
        candidates = np.where(nobody, eligible, passed)
    masked = np.where(candidates, info, -np.inf)
    k = np.where(n_given == 0, config.first_item_randomesque, config.randomesque)
    chosen = _randomesque(masked, k, rng)
    if considered is not None:
        rows = np.flatnonzero(chosen >= 0)
        best = info[rows, chosen[rows]]
        considered[rows, chosen[rows]] = True
        if lottery is not None:
            considered[rows] |= eligible[rows] & ~lottery[rows] & (info[rows] > best[:, None])
    return chosen


def draw_lottery(pool: Pool, rng: RandomSource, n_examinees: int) -> BoolArray:
    """Sympson-Hetter lottery outcomes of ``n_examinees`` for one subtest: item i passes with probability K_i."""
    result: BoolArray = rng.random((n_examinees, pool.size)) < pool.exposure_k
    return result


def _randomesque(masked: FloatArray, k: IntArray, rng: RandomSource) -> IntArray:
    """Per row, one of the ``k`` largest finite entries uniformly at random (-1 when the row has none)."""
    n_rows, n_items = masked.shape
    k_max = int(min(k.max(), n_items))
    if k_max == 1:
        chosen = np.argmax(masked, axis=1)
    else:
        top = np.argpartition(-masked, k_max - 1, axis=1)[:, :k_max]
        top_values = np.take_along_axis(masked, top, axis=1)
        order = np.argsort(-top_values, axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        top_values = np.take_along_axis(top_values, order, axis=1)
        usable = np.isfinite(top_values) & (np.arange(k_max)[None, :] < k[:, None])
        draws = np.where(usable, rng.random((n_rows, k_max)) + 1e-12, -1.0)
        chosen = top[np.arange(n_rows), np.argmax(draws, axis=1)]
    found = np.isfinite(masked[np.arange(n_rows), chosen])
    result: IntArray = np.where(found, chosen, -1)
    return result
