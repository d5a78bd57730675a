r"""Stopping rules: precision target, minimum and maximum length, time limit, classification; composed.

A subtest ends at the first of these that holds, checked after every answer (and, for the time limit, whenever
the clock is read):

1. ``time_up``: the subtest's time ran out (the caller decides; the state machine owns the clock);
2. ``max_items``: :math:`n \ge n_{max}`;
3. ``pool_exhausted``: no eligible item is left;
4. once :math:`n \ge n_{min}` and every content area has its blueprint minimum:

   * ``se_target``: :math:`SE(\hat\theta) \le SE_{target}`;
   * ``classified``: the interval :math:`\hat\theta \pm z\,SE` excludes every cut score :math:`c_k`,
     i.e. :math:`\min_k |\hat\theta - c_k| > z\,SE` (Spray & Reckase, 1996; Eggen & Straetmans, 2000).

References
----------
Eggen, T. J. H. M., & Straetmans, G. J. J. M. (2000). Computerized adaptive testing for classifying examinees
into three categories. EPM 60(5).
Spray, J. A., & Reckase, M. D. (1996). Comparison of SPRT and sequential Bayes procedures for classifying
examinees into two categories using a computerized test. JEBS 21(4).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["StopReason", "StoppingConfig", "decide_stop", "decide_stops"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


class StopReason(IntEnum):
    """Why a subtest ended; 0 means it goes on. The names are the wire and report vocabulary."""

    CONTINUE = 0
    SE_TARGET = 1
    CLASSIFIED = 2
    MAX_ITEMS = 3
    POOL_EXHAUSTED = 4
    TIME_UP = 5
    TERMINATED = 6

    @property
    def label(self) -> str:
        """Lower-case name used in events, results and reports, e.g. ``"se_target"``."""
        return self.name.lower()


@dataclass(frozen=True)
class StoppingConfig:
    """When a subtest ends.

    Parameters
    ----------
    se_target : float or None
        Stop once SE <= this (None: no precision rule).
    min_items, max_items : int
        Length limits; ``max_items`` always applies.
    classification_cuts : tuple of float
        Stop once the interval theta +/- z SE excludes all of them (empty: no classification rule).
    classification_z : float
        The z of that interval.
    """

    se_target: float | None = None
    min_items: int = 1
    max_items: int = 40
    classification_cuts: tuple[float, ...] = ()
    classification_z: float = 1.96

    def __post_init__(self) -> None:
        if not 1 <= self.min_items <= self.max_items:
            raise ValueError("need 1 <= min_items <= max_items")
        if self.se_target is not None and not self.se_target > 0:
            raise ValueError("se_target must be > 0")
        if self.classification_z <= 0:
            raise ValueError("classification_z must be > 0")


def _rules(
    config: StoppingConfig, n_given: Any, theta: Any, se: Any, content_ok: Any, exhausted: Any, time_up: Any
) -> list[tuple[StopReason, Any]]:
    """The stopping rules in precedence order, as (reason, condition) pairs.

    Written once for both forms: the operators work on Python scalars (one live session) and on numpy arrays (a
    simulation) alike.
    """
    may_stop = (n_given >= config.min_items) & content_ok
    rules: list[tuple[StopReason, Any]] = [
        (StopReason.TIME_UP, time_up),
        (StopReason.MAX_ITEMS, n_given >= config.max_items),
        (StopReason.POOL_EXHAUSTED, exhausted),
    ]
    if config.se_target is not None:
        rules.append((StopReason.SE_TARGET, may_stop & (se <= config.se_target)))
    if config.classification_cuts:
        distance = np.abs(np.subtract.outer(theta, np.asarray(config.classification_cuts))).min(axis=-1)
        rules.append((StopReason.CLASSIFIED, may_stop & (distance > config.classification_z * se)))
    return rules


def decide_stop(
    config: StoppingConfig,
    n_given: int,
    theta: float,
    se: float,
    content_ok: bool,
    exhausted: bool,
    time_up: bool,
) -> StopReason:
    """Why one examinee's subtest stops now (``CONTINUE`` if it goes on); see :func:`decide_stops`."""
    for reason, condition in _rules(config, n_given, theta, se, content_ok, exhausted, time_up):
        if condition:
            return reason
    return StopReason.CONTINUE


def decide_stops(
    config: StoppingConfig,
    n_given: IntArray,
    theta: FloatArray,
    se: FloatArray,
    content_ok: BoolArray,
    exhausted: BoolArray,
    time_up: BoolArray,
) -> IntArray:
    """Stop reason per examinee (``StopReason`` values; 0 = continue), vectorised.

    Parameters
    ----------
    n_given : ndarray of int, shape (N,)
        Items administered.
    theta, se : ndarray, shape (N,)
        Current estimate and its standard error.
    content_ok : ndarray of bool, shape (N,)
        Whether every content area has its minimum.
    exhausted : ndarray of bool, shape (N,)
        Whether no eligible item is left.
    time_up : ndarray of bool, shape (N,)
        Whether the subtest's time ran out.
    """
    rules = _rules(config, n_given, theta, se, content_ok, exhausted, time_up)
    conditions = [np.broadcast_to(condition, n_given.shape) for _, condition in rules]
    result: IntArray = np.select(conditions, [int(reason) for reason, _ in rules], int(StopReason.CONTINUE))
    return result.astype(np.intp, copy=False)
