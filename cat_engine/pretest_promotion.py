r"""Which calibrated pretest items may join the operational pool: a simple, documented rule.

An item is **promoted** when

* it has at least ``min_responses`` responses (default 300);
* its calibration converged (``require_converged``, default true): the EM iterations converged and the item's
  own estimate did, inside the search bounds (``Calibration.item_converged``). One item run off to a bound (say
  :math:`a \to 0`, :math:`b \to 15` for an item nobody near its difficulty answered) makes the whole run's
  ``converged`` false but does not hold the other items back;
* the standard error of its discrimination is at most ``max_se_a`` (default 0.2);
* dichotomous (1PL-4PL): the standard error of its difficulty is at most ``max_se_b`` (default 0.2);
* polytomous (GPCM, GRM): the standard error of **every** step or threshold is at most ``max_se_step`` (default
  0.3).

The thresholds are those of a :class:`PromotionRule`. A standard error that is NaN (not estimable, e.g. an item
everyone answered alike) fails its test. With about 500 responses from :math:`N(0, 1)` examinees a 3PL item of
average discrimination has :math:`SE(b)` near 0.1, so the defaults reject the items whose data say little
(too easy or too hard for the examinees, or barely discriminating), not ordinary items. The rule judges precision
only: whether an item's content, fit or bias (DIF) is acceptable is for the item reviewers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from .irt import DICHOTOMOUS, ItemParams

__all__ = ["PromotionRule", "promotable"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class PromotionRule:
    """Thresholds of the promotion rule (module docstring)."""

    min_responses: int = 300
    max_se_a: float = 0.2
    max_se_b: float = 0.2
    max_se_step: float = 0.3
    require_converged: bool = True


class Calibrated(Protocol):
    """What the rule reads of a calibration (:class:`cat_engine.calibration.Calibration` has it)."""

    @property
    def params(self) -> ItemParams: ...
    @property
    def se_a(self) -> FloatArray: ...
    @property
    def se_b(self) -> FloatArray: ...
    @property
    def se_steps(self) -> FloatArray: ...
    @property
    def responses(self) -> npt.NDArray[np.intp]: ...
    @property
    def converged(self) -> bool: ...


def promotable(
    calibration: Calibrated,
    items: npt.ArrayLike | None = None,
    rule: PromotionRule | None = None,
    em_converged: bool | None = None,
) -> BoolArray:
    """Whether each of ``items`` (default: all) of ``calibration`` passes ``rule`` (default thresholds).

    ``em_converged`` says whether the EM iterations converged (e.g. ``cycles < max_cycles``). When it is not given
    and the calibration reports ``item_converged``, the EM counts as converged if the run's ``converged`` is true
    or some item did not converge (which alone makes ``converged`` false); without ``item_converged`` the run's
    ``converged`` applies to every item.

    Returns
    -------
    ndarray of bool, shape (len(items),)
    """
    rule = rule or PromotionRule()
    params = calibration.params
    idx = np.arange(params.size) if items is None else np.asarray(items, dtype=np.intp)
    dichotomous = params.model[idx] == DICHOTOMOUS
    with np.errstate(invalid="ignore"):
        enough = np.asarray(calibration.responses)[idx] >= rule.min_responses
        a_ok = np.asarray(calibration.se_a)[idx] <= rule.max_se_a
        b_ok = np.asarray(calibration.se_b)[idx] <= rule.max_se_b
        steps_se = np.asarray(calibration.se_steps, dtype=np.float64)
        steps_se = steps_se.reshape(params.size, -1)[idx]
        width = steps_se.shape[1]
        own = np.arange(width)[None, :] < (params.n_categories[idx] - 1)[:, None]  # the item's own steps
        steps_ok = np.all(~own | (steps_se <= rule.max_se_step), axis=1)
    result: BoolArray = enough & a_ok & np.where(dichotomous, b_ok, steps_ok)
    if rule.require_converged:
        result &= _converged(calibration, idx, em_converged)
    return result


def _converged(calibration: Calibrated, idx: npt.NDArray[np.intp], em_converged: bool | None) -> BoolArray:
    """Per item of ``idx``: the EM converged and so did the item's own estimate (:func:`promotable`)."""
    per_item = getattr(calibration, "item_converged", None)
    if per_item is None or np.asarray(per_item).shape != (calibration.params.size,):
        return np.full(idx.shape, bool(calibration.converged) if em_converged is None else em_converged)
    per_item = np.asarray(per_item, dtype=bool)
    if em_converged is None:
        em_converged = bool(calibration.converged) or not bool(per_item.all())
    result: BoolArray = per_item[idx] & em_converged
    return result
