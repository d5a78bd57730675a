r"""Parameter drift of operational items: re-estimate each item from live responses and compare (``cat-calibrate
drift``; docs/calibration.md, "Drift").

**One item at a time, the others fixed.** Item :math:`i` is freed, every other operational item held at its pool
parameters, and :math:`i`'s parameters are estimated by MEM (:func:`cat_engine.calibration.calibrate`) from the
responses of the sessions that answered it (other sessions carry no information on :math:`i` once the others are
fixed). Why not free every item at once: with all items free the scale is set by the N(0, 1) prior on *this*
population, so a population that is abler or more varied than the calibration sample (likely, with adaptive
testing in a new year) would move every b together and show as drift of all items; and a drifting item would pull
the others. With the others fixed the scale stays the operational one, anchored by the items that did not change,
and a single item's drift shows in its own estimate only. The cost is one small calibration per item. A 3PL item's
c is held at its pool value (``fix_c``): it is weakly identified by a few hundred answers and would trade off
against a; drift is judged on a and b.

Reported per item with at least ``min_responses`` responses: the old and new a and b (a polytomous item's b is
the mean of its steps), :math:`\Delta a`, :math:`\Delta b`, :math:`z_b = \Delta b / SE(\hat b)`, and the fit of
the **old** parameters to the live data (:func:`cat_engine.calibration_fit.item_fit` with nothing estimated:
:math:`\chi^2_G`). Flags: ``b`` when :math:`|\Delta b|` exceeds ``threshold_b``, ``a`` when :math:`|\Delta a|`
exceeds ``threshold_a`` (each only when the change is also more than ``min_z`` standard errors of the new
estimate, so that a change within the noise of a little-answered item is not flagged), ``fit`` when the fit's
p-value is below ``fit_alpha``. A flag is a reason to review the
item (content exposed, outdated, miskeyed), not a verdict.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .calibration import ResponseData, calibrate
from .calibration_data import SubtestData, item_range
from .calibration_fit import item_fit
from .irt import DICHOTOMOUS

__all__ = ["DriftItem", "DriftRule", "drift"]


@dataclass(frozen=True)
class DriftRule:
    """Thresholds of the drift flags (module docstring)."""

    threshold_b: float = 0.3
    threshold_a: float = 0.3
    fit_alpha: float = 0.01
    min_responses: int = 100
    min_z: float = 3.0  # a change must also exceed this many standard errors


@dataclass(frozen=True)
class DriftItem:
    """One operational item's re-estimate (``None`` fields: not estimated, too few responses)."""

    id: str
    n: int
    a_old: float
    b_old: float
    a_new: float | None = None
    b_new: float | None = None
    se_a: float | None = None
    se_b: float | None = None
    converged: bool | None = None
    fit_statistic: float | None = None
    fit_df: int | None = None
    fit_p: float | None = None
    flags: tuple[str, ...] = ()

    @property
    def delta_a(self) -> float | None:
        return None if self.a_new is None else self.a_new - self.a_old

    @property
    def delta_b(self) -> float | None:
        return None if self.b_new is None else self.b_new - self.b_old

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["flags"] = list(self.flags)
        out["delta_a"], out["delta_b"] = self.delta_a, self.delta_b
        out["z_b"] = None if self.delta_b is None or not self.se_b else self.delta_b / self.se_b
        return out


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def drift(
    data: SubtestData,
    rule: DriftRule | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[DriftItem]:
    """Re-estimate each operational item of ``data`` (module docstring); pretest rows, if any, are left out."""
    rule = rule or DriftRule()
    n_op = data.n_operational
    r = data.responses
    keep = r.item < n_op
    person, item, category = r.person[keep], r.item[keep], r.category[keep]
    params = item_range(data.params, 0, n_op)
    counts = np.bincount(item, minlength=n_op)
    tested = np.flatnonzero(counts >= rule.min_responses)
    fit = item_fit(params, person, item, category, r.n_persons, tested)
    out: list[DriftItem] = []
    for done, i in enumerate(range(n_op)):
        if progress is not None:
            progress(done, n_op)
        base = DriftItem(data.item_ids[i], int(counts[i]), float(params.a[i]), float(params.b[i]))
        if counts[i] < rule.min_responses:
            out.append(base)
            continue
        # only the sessions that answered item i say anything about it once the others are fixed
        persons = np.unique(person[item == i])
        code = np.full(r.n_persons, -1, dtype=np.intp)
        code[persons] = np.arange(persons.size)
        rows = code[person] >= 0
        subset = ResponseData(code[person[rows]], item[rows], category[rows], int(persons.size))
        free = np.zeros(n_op, dtype=bool)
        free[i] = True
        cal = calibrate(params, free, subset, method="mem", fix_c=True)
        a_new, b_new = float(cal.params.a[i]), float(cal.params.b[i])
        se_b = cal.se_b[i] if params.model[i] == DICHOTOMOUS else _mean_step_se(cal.se_steps[i])
        item_result = DriftItem(
            id=base.id,
            n=base.n,
            a_old=base.a_old,
            b_old=base.b_old,
            a_new=a_new,
            b_new=b_new,
            se_a=_number(float(cal.se_a[i])),
            se_b=_number(float(se_b)),
            converged=bool(cal.item_converged[i]) and cal.converged,
            fit_statistic=_number(float(fit.statistic[i])),
            fit_df=int(fit.df[i]) if fit.df[i] else None,
            fit_p=_number(float(fit.p_value[i])),
        )
        flags = []
        if _beyond(b_new - base.b_old, rule.threshold_b, item_result.se_b, rule.min_z):
            flags.append("b")
        if _beyond(a_new - base.a_old, rule.threshold_a, item_result.se_a, rule.min_z):
            flags.append("a")
        if item_result.fit_p is not None and item_result.fit_p < rule.fit_alpha:
            flags.append("fit")
        out.append(DriftItem(**{**item_result.__dict__, "flags": tuple(flags)}))
    if progress is not None:
        progress(n_op, n_op)
    return out


def _beyond(delta: float, threshold: float, se: float | None, min_z: float) -> bool:
    """A change larger than ``threshold`` and than ``min_z`` standard errors (an SE not estimable: the threshold
    alone)."""
    return abs(delta) > threshold and (se is None or abs(delta) > min_z * se)


def _mean_step_se(se_steps: np.ndarray[Any, np.dtype[np.float64]]) -> float:
    """A rough SE of the mean of the steps (steps taken as independent): :math:`\\sqrt{\\sum SE_v^2} / m`."""
    own = se_steps[~np.isnan(se_steps)]
    return float(np.sqrt((own**2).sum()) / own.size) if own.size else math.nan
