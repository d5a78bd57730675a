r"""Where a pool is too thin for its tests, and which items would fix it: the planning half of the pool report.

:func:`thin_regions` compares depth with required depth (:mod:`cat_engine.pool_report`, whose docstring defines
both) and plans the fix in items like the pool's typical item (:func:`typical_item`), whose information exceeds
the threshold :math:`\tau` on :math:`[b + u_-, b + u_+]` (width :math:`W = u_+ - u_-`): a thin region
:math:`[\theta_1, \theta_2]` is split into :math:`m = \lceil (\theta_2 - \theta_1) / W \rceil` equal parts, and part
:math:`j = [l_j, h_j]` gets as many items as its largest shortfall, with a difficulty in
:math:`[h_j - u_+, l_j - u_-]`, so that their useful range holds the part.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .irt import DICHOTOMOUS, GPCM, ItemParams, information
from .pool import Pool

__all__ = ["FINE_STEP", "Placement", "ThinRegion", "TypicalItem", "theta_grid", "thin_regions", "typical_item"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Step of the grid the analysis runs on; the printed table shows every tenth point (steps of 0.5).
FINE_STEP = 0.05
_OFFSET_STEP = 0.01  # resolution of a typical item's useful range
_MERGE_GAP = 0.2  # thin runs closer than this are one region (a gap of a few grid points is noise)
_TOL = 1e-9


def theta_grid(low: float = -4.0, high: float = 4.0, step: float = FINE_STEP) -> FloatArray:
    """Equally spaced thetas from ``low`` to ``high`` inclusive, rounded so that 0.5-multiples are exact."""
    n = round((high - low) / step)
    grid: FloatArray = np.round(low + step * np.arange(n + 1), 10)
    return grid


@dataclass(frozen=True, eq=False)
class TypicalItem:
    """The item new items are planned as: the pool's most common model family at its median parameters.

    ``params`` holds the one item located at 0 (``b = 0``; polytomous steps centred on 0). Its information exceeds
    the threshold for :math:`\\theta - b` in ``[low_offset, high_offset]``, around its peak at ``peak_offset``.
    ``raised`` says that the median discrimination never reached the threshold, so ``a`` was raised until the
    peak information is twice the threshold.
    """

    model: str
    a: float
    c: float | None
    params: ItemParams
    low_offset: float
    high_offset: float
    peak_offset: float
    peak_information: float
    raised: bool

    @property
    def width(self) -> float:
        """Length of the theta range over which one such item exceeds the threshold."""
        return self.high_offset - self.low_offset

    @property
    def centre_offset(self) -> float:
        """Middle of the useful range relative to the item's difficulty."""
        return (self.low_offset + self.high_offset) / 2


def _family(params: ItemParams) -> int:
    """The most common model family of a pool (ties: the lower code, dichotomous first)."""
    codes, counts = np.unique(params.model, return_counts=True)
    return int(codes[np.argmax(counts)])


def _template(pool: Pool, a: float) -> tuple[str, float | None, ItemParams]:
    """Model label, ``c`` and parameters of the typical item with discrimination ``a``, located at 0."""
    params = pool.params
    family = _family(params)
    members = np.flatnonzero(params.model == family)
    if family == DICHOTOMOUS:
        c = float(np.median(params.c[members]))
        d = float(np.median(params.d[members]))
        model = "4PL" if d < 1.0 else "3PL" if c > 0.0 else "2PL"
        return model, c, ItemParams.dichotomous([a], [0.0], [c], [d], D=params.D)
    # Polytomous: the steps of the member whose discrimination is nearest the median, centred on 0.
    nearest = members[np.argmin(np.abs(params.a[members] - float(np.median(params.a[members]))))]
    n_cat = int(params.n_categories[nearest])
    steps = params.steps[nearest, : n_cat - 1] - params.b[nearest]
    model = ("GPCM" if family == GPCM else "GRM") + f"/{n_cat}"
    template = ItemParams(
        model=np.array([family], dtype=np.int8),
        a=np.array([a]),
        b=np.zeros(1),
        c=np.zeros(1),
        d=np.ones(1),
        steps=steps.reshape(1, -1).copy(),
        n_categories=np.array([n_cat], dtype=np.intp),
        D=params.D,
    )
    return model, None, template


def _useful_range(params: ItemParams, threshold: float) -> tuple[float, float, float, float]:
    """``(low, high, peak_offset, peak)``: the contiguous offsets around the peak where information > threshold."""
    offsets = theta_grid(-8.0, 8.0, _OFFSET_STEP)
    info = information(offsets[:, None], params)[:, 0]
    top = int(np.argmax(info))
    peak = float(info[top])
    if peak <= threshold:
        return math.nan, math.nan, float(offsets[top]), peak
    low = top
    while low > 0 and info[low - 1] > threshold:
        low -= 1
    high = top
    while high < offsets.size - 1 and info[high + 1] > threshold:
        high += 1
    return float(offsets[low]), float(offsets[high]), float(offsets[top]), peak


def typical_item(pool: Pool, threshold: float) -> TypicalItem:
    """The pool's typical item and the theta range over which it exceeds ``threshold`` (see :class:`TypicalItem`).

    Dichotomous family: median a, c and d of its items. Polytomous: median a with the steps of the item nearest
    that a. Information grows with :math:`a^2` at the peak, so a raised ``a`` is found in a few multiplicative
    steps.
    """
    params = pool.params
    a = float(np.median(params.a[params.model == _family(params)]))
    model, c, template = _template(pool, a)
    low, high, peak_offset, peak = _useful_range(template, threshold)
    raised = False
    for _ in range(50):
        if peak >= 2 * threshold or (not raised and peak > threshold and high - low >= 4 * _OFFSET_STEP):
            break
        raised = True
        a *= max(math.sqrt(2 * threshold / peak), 1.01)
        model, c, template = _template(pool, a)
        low, high, peak_offset, peak = _useful_range(template, threshold)
    return TypicalItem(model, a, c, template, low, high, peak_offset, peak, raised)


@dataclass(frozen=True)
class Placement:
    """``count`` new items with difficulty in ``[b_low, b_high]``, ideally ``b`` (the location: the mean of the
    steps for polytomous items)."""

    count: int
    b: float
    b_low: float
    b_high: float


@dataclass(frozen=True)
class ThinRegion:
    """A run of grid points where the depth is below the required depth (``area`` None: the whole pool).

    ``shortfall`` is the largest :math:`\\lceil R \\rceil - D` in the region; ``placements`` the planned new items.
    """

    area: str | None
    theta_low: float
    theta_high: float
    min_depth: int
    required: float
    shortfall: int
    placements: tuple[Placement, ...]

    @property
    def items_needed(self) -> int:
        """Total new items of the plan."""
        return sum(p.count for p in self.placements)

    @property
    def b_low(self) -> float:
        """Lowest difficulty of the plan."""
        return min(p.b_low for p in self.placements)

    @property
    def b_high(self) -> float:
        """Highest difficulty of the plan."""
        return max(p.b_high for p in self.placements)


def thin_regions(
    theta: npt.ArrayLike, depth: npt.ArrayLike, required: npt.ArrayLike, typical: TypicalItem, area: str | None = None
) -> list[ThinRegion]:
    """Runs of ``theta`` where ``depth < required`` and the items like ``typical`` that fill each one.

    Runs less than 0.2 apart are one region (the gap's points have no shortfall).

    A region :math:`[\\theta_1, \\theta_2]` is split into :math:`m = \\lceil (\\theta_2 - \\theta_1) / W' \\rceil`
    (at least 1) equal parts, with :math:`W'` the typical item's useful width less two offset steps (a margin for
    the offsets' resolution); each part :math:`[l, h]` gets as many items as its largest shortfall, with a
    difficulty in :math:`[h - u_+, l - u_-]` (:math:`u_\\pm` the useful offsets less the margin), where their useful
    range holds the part. A part is never wider than :math:`W'`, so that interval is never empty.
    """
    grid = np.asarray(theta, dtype=np.float64)
    have = np.asarray(depth, dtype=np.intp)
    need = np.asarray(required, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        thin = have < need  # NaN (no requirement) is never thin
    shortfall = np.where(thin, np.ceil(np.nan_to_num(need) - _TOL).astype(np.intp) - have, 0)
    width = max(typical.width - 2 * _OFFSET_STEP, typical.width / 2)
    regions = []
    for start, stop in _runs(thin, round(_MERGE_GAP / FINE_STEP)):
        t1, t2 = float(grid[start]), float(grid[stop - 1])
        parts = max(1, math.ceil((t2 - t1) / width - _TOL))
        part = (t2 - t1) / parts
        placements = []
        for j in range(parts):
            lo, hi = t1 + j * part, t1 + (j + 1) * part
            inside = (grid >= lo - _TOL) & (grid <= hi + _TOL)
            count = int(shortfall[inside].max())
            if count > 0:
                placements.append(
                    Placement(
                        count,
                        round((lo + hi) / 2 - typical.centre_offset, 2),
                        round(hi - typical.high_offset + _OFFSET_STEP, 2),
                        round(lo - typical.low_offset - _OFFSET_STEP, 2),
                    )
                )
        regions.append(
            ThinRegion(
                area=area,
                theta_low=t1,
                theta_high=t2,
                min_depth=int(have[start:stop].min()),
                required=float(np.nanmax(need[start:stop])),
                shortfall=int(shortfall[start:stop].max()),
                placements=tuple(placements),
            )
        )
    return regions


def _runs(mask: BoolArray, max_gap: int = 0) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of True, joining runs separated by at most ``max_gap`` False entries."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    change = np.flatnonzero(np.diff(padded))
    runs: list[tuple[int, int]] = []
    for start, stop in zip(change[::2].tolist(), change[1::2].tolist(), strict=True):
        if runs and start - runs[-1][1] <= max_gap:
            runs[-1] = (runs[-1][0], stop)
        else:
            runs.append((start, stop))
    return runs
