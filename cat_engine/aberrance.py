"""The integrity screening of one session: every within-session statistic on the subtests so far, and its flags.

:func:`screen` takes what a sitting has recorded, subtest by subtest (:class:`SubtestData`; the current subtest may
be partial; :func:`cat_engine.session_integrity.session_subtests` builds them from a
:class:`~cat_engine.session.SessionState`), computes each
statistic that has enough data and returns them all with the flags they raise:

==================  =================================================  ==============================================
kind                statistic                                          null distribution
==================  =================================================  ==============================================
``rapid``           count of rapid responses                           Poisson-binomial at a fast reference speed
                    (:func:`.rt_aberrance.rapid_guessing`)
``preknowledge``    speed on the correct responses against the others  exactly N(0, 1) given the responses
                    (:func:`.rt_aberrance.preknowledge`)
``misfit``          lz* / lz_p* over the subtests                      asymptotically N(0, 1)
                    (:func:`.person_fit.lz_star`)
``speed_change``    largest change of speed at a subtest boundary      N(0, 1) per boundary, Bonferroni
                    (:func:`.rt_aberrance.speed_change`)
``ability_change``  largest change of ability at a subtest boundary    N(0, 1) over the population, Bonferroni
                    (:func:`.person_fit.ability_change`)
==================  =================================================  ==============================================

Looks. A live session calls :func:`screen` after every answer. The rapid-guessing count reads every response so
far, the partial subtest included, so a rapid guesser is flagged while still sitting. The other tests read only the
*complete* subtests, so their statistics move only when a subtest ends: one look per subtest end. The change tests
run at every look, at ``interim_fraction`` of their level before the sitting is over (``final=False``); the
pre-knowledge and misfit tests run at the final look only (the sitting finished or terminated).

The false-alarm budget (Bonferroni over tests and looks). At the final look the union of the flags of a normal
examinee has probability at most the sum of the levels, by default 0.002 + 0.01 + 0.005 + 0.0125 + 0.0125 = 0.042;
each of the :math:`S - 2` interim looks of a battery of :math:`S` subtests where a change test can run adds
:math:`0.2 \\times (0.0125 + 0.0125) = 0.005`, so 0.047 for three subtests (:meth:`IntegrityConfig.budget`). The
rapid-guessing flag needs a count at least a critical count that never falls as answers come (the smallest count
with a p-value at most its level, and at least ``min_rapid_count`` and ``min_rapid_share`` of the answers), and the
count only grows; so its looks after every answer add nothing while the critical count stays the same, and each
rise of it adds at most the level (``docs/integrity.md``, which also gives the rates measured on the demo battery).

Response-time statistics use only responses on timed items that have a recorded time; a pool without time
parameters gives none. A flag is evidence for a person to review: it never changes a score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .integrity_config import IntegrityConfig
from .person_fit import FitTerms, ability_change, fit_terms, lz_star
from .pool import Pool
from .response_time import TimeParams, log_seconds
from .rt_aberrance import preknowledge, rapid_guessing, speed_change

__all__ = [
    "KINDS",
    "Flag",
    "IntegrityConfig",
    "Screening",
    "Statistic",
    "SubtestData",
    "screen",
]

KINDS = ("rapid", "preknowledge", "misfit", "speed_change", "ability_change")


@dataclass(frozen=True)
class SubtestData:
    """What one subtest of a sitting recorded (the current one may be partial).

    Attributes
    ----------
    pool : Pool
    items : tuple of int
        Item indices answered, in order.
    categories : tuple of int
        The category scored for each answer (:meth:`cat_engine.pool.Pool.categories`).
    response_ms : tuple of int
        Each answer's response time in milliseconds; empty when no times were recorded.
    theta, se : float or None
        The estimate reported for these answers (None before the first): the final one of a complete subtest, the
        interim one of the current subtest.
    complete : bool
        Whether the subtest has ended (only the rapid-guessing count reads a partial subtest).
    """

    pool: Pool
    items: tuple[int, ...]
    categories: tuple[int, ...]
    response_ms: tuple[int, ...] = ()
    theta: float | None = None
    se: float | None = None
    complete: bool = True

    def __post_init__(self) -> None:
        if len(self.categories) != len(self.items):
            raise ValueError(f"{len(self.categories)} categories for {len(self.items)} items")
        if self.response_ms and len(self.response_ms) != len(self.items):
            raise ValueError(f"{len(self.response_ms)} response times for {len(self.items)} items")


@dataclass(frozen=True)
class Statistic:
    """One computed statistic.

    Attributes
    ----------
    name : str
        ``rapid_guessing`` (value: the count of rapid responses; RTE is ``1 - value / n``), ``preknowledge``
        (value: z), ``lz_star`` (value: lz*), ``speed_change`` or ``ability_change`` (value: the largest |z|).
    kind : str
        The flag kind it raises (one of :data:`KINDS`).
    value, p_value : float
        The statistic and its p-value under its null.
    threshold : float
        The level: the statistic flags when ``p_value <= threshold``.
    flagged : bool
    n : int
        The responses it was computed from.
    """

    name: str
    kind: str
    value: float
    p_value: float
    threshold: float
    flagged: bool
    n: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "kind": self.kind,
            "value": self.value,
            "p_value": self.p_value,
            "threshold": self.threshold,
            "flagged": self.flagged,
            "n": self.n,
        }


@dataclass(frozen=True)
class Flag:
    """A flag raised by a statistic, with its evidence.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    statistic : Statistic
    responses : tuple of (int, int)
        ``(subtest, position)`` of the responses it rests on (position in the subtest's answers, from 0): the rapid
        responses, the correct and unexpectedly fast ones, the least expected ones, or those after a change.
    subtest : int or None
        For a change: the first subtest after it.
    """

    kind: str
    statistic: Statistic
    responses: tuple[tuple[int, int], ...] = ()
    subtest: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "statistic": self.statistic.to_dict(),
            "responses": [list(r) for r in self.responses],
            "subtest": self.subtest,
        }


@dataclass(frozen=True)
class Screening:
    """Every statistic computed and the flags raised."""

    statistics: tuple[Statistic, ...] = ()
    flags: tuple[Flag, ...] = field(default_factory=tuple)

    @property
    def flagged(self) -> bool:
        """Whether any flag was raised."""
        return bool(self.flags)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"statistics": [s.to_dict() for s in self.statistics], "flags": [f.to_dict() for f in self.flags]}


@dataclass(frozen=True)
class _Timed:
    """The timed responses of the battery, in the order given."""

    log_t: npt.NDArray[np.float64]
    params: TimeParams
    correct: npt.NDArray[np.bool_]
    subtest: npt.NDArray[np.intp]
    position: npt.NDArray[np.intp]

    def at(self, mask: npt.NDArray[np.bool_]) -> tuple[tuple[int, int], ...]:
        return tuple(zip(self.subtest[mask].tolist(), self.position[mask].tolist(), strict=True))


def _timed(subtests: Sequence[SubtestData | None]) -> _Timed:
    """The timed responses with a recorded time of the subtests given (None: a subtest left out)."""
    log_t, beta, alpha, correct, subtest, position = [], [], [], [], [], []
    for s, data in enumerate(subtests):
        if data is None or not data.response_ms:
            continue
        items = np.asarray(data.items, dtype=np.intp)
        keep = np.flatnonzero(data.pool.timed[items])
        if keep.size == 0:
            continue
        chosen = items[keep]
        log_t.append(log_seconds(np.asarray(data.response_ms)[keep]))
        beta.append(data.pool.time_beta[chosen])
        alpha.append(data.pool.time_alpha[chosen])
        top = data.pool.params.n_categories[chosen] - 1
        correct.append(np.asarray(data.categories, dtype=np.intp)[keep] == top)
        subtest.append(np.full(keep.size, s, dtype=np.intp))
        position.append(keep)
    if not log_t:
        empty = np.zeros(0)
        return _Timed(empty, TimeParams(empty, empty), np.zeros(0, dtype=bool), *(np.zeros(0, dtype=np.intp),) * 2)
    return _Timed(
        np.concatenate(log_t),
        TimeParams(np.concatenate(beta), np.concatenate(alpha)),
        np.concatenate(correct),
        np.concatenate(subtest),
        np.concatenate(position),
    )


def screen(subtests: Sequence[SubtestData], config: IntegrityConfig | None = None, *, final: bool = True) -> Screening:
    """Compute every within-session statistic that has enough data, and the flags they raise.

    Parameters
    ----------
    subtests : sequence of SubtestData
        The sitting's subtests so far, in battery order (the last may be partial: ``complete=False``).
    config : IntegrityConfig, optional
        Levels and minimums (the defaults when omitted).
    final : bool
        Whether the sitting is over (finished or terminated): the final look. Otherwise an interim look: rapid
        guessing as at the final look, the change tests on the complete subtests at ``interim_fraction`` of their
        level, and no pre-knowledge or misfit test.

    Returns
    -------
    Screening
        Statistics in the order rapid, pre-knowledge, misfit, speed change, ability change (those computed), and
        a flag for each one that rejects its null.

    Notes
    -----
    Only the rapid-guessing count reads the partial subtest, so calling this after every answer makes one look per
    subtest end for the other tests (their statistics do not move between two subtest ends), and the union bound of
    :meth:`IntegrityConfig.budget` holds however often it is called.
    """
    cfg = IntegrityConfig() if config is None else config
    found: list[tuple[Statistic, Flag | None]] = []
    timed_all = _timed(subtests)
    if timed_all.log_t.shape[0] >= cfg.min_rapid:
        found.append(_rapid(timed_all, cfg))
    complete = [d if d.complete else None for d in subtests]
    timed = _timed(complete)
    scale = 1.0 if final else cfg.interim_fraction
    if final:
        n_timed = int(timed.log_t.shape[0])
        n_correct = int(timed.correct.sum())
        enough_groups = min(n_correct, n_timed - n_correct) >= cfg.min_preknowledge_group
        if n_timed >= cfg.min_preknowledge and enough_groups:
            found.append(_preknowledge(timed, cfg))
        misfit = _misfit(complete, cfg)
        if misfit is not None:
            found.append(misfit)
    starts = np.flatnonzero(np.diff(timed.subtest)) + 1
    if starts.size:
        found.append(_speed_change(timed, starts, cfg.alpha_speed_change * scale, cfg))
    if cfg.ability_correlation is not None:
        change = _ability_change(complete, cfg.ability_correlation, cfg.alpha_ability_change * scale, cfg)
        if change is not None:
            found.append(change)
    return Screening(tuple(s for s, _ in found), tuple(f for _, f in found if f is not None))


def _rapid(timed: _Timed, cfg: IntegrityConfig) -> tuple[Statistic, Flag | None]:
    result = rapid_guessing(
        timed.log_t,
        timed.params,
        fraction=cfg.rapid_fraction,
        cap_s=cfg.rapid_cap_s,
        reference_speed=cfg.rapid_reference_speed,
        alpha=cfg.alpha_rapid,
    )
    enough = result.count >= max(cfg.min_rapid_count, math.ceil(cfg.min_rapid_share * result.n - 1e-9))
    flagged = result.flagged and enough
    stat = Statistic("rapid_guessing", "rapid", float(result.count), result.p_value, cfg.alpha_rapid, flagged, result.n)
    return stat, Flag("rapid", stat, timed.at(result.rapid)) if flagged else None


def _preknowledge(timed: _Timed, cfg: IntegrityConfig) -> tuple[Statistic, Flag | None]:
    result = preknowledge(timed.log_t, timed.params, timed.correct, alpha=cfg.alpha_preknowledge, fast_z=cfg.fast_z)
    n = result.n_correct + result.n_other
    stat = Statistic(
        "preknowledge", "preknowledge", result.z, result.p_value, cfg.alpha_preknowledge, result.flagged, n
    )
    return stat, Flag("preknowledge", stat, timed.at(result.fast)) if result.flagged else None


def _misfit(subtests: Sequence[SubtestData | None], cfg: IntegrityConfig) -> tuple[Statistic, Flag | None] | None:
    parts: list[tuple[int, FitTerms]] = []
    for s, data in enumerate(subtests):
        if data is not None and data.items and data.theta is not None:
            parts.append((s, fit_terms(data.theta, data.pool.params, data.items, data.categories)))
    n = sum(t.contributions.shape[0] for _, t in parts)
    if n < cfg.min_misfit:
        return None
    result = lz_star([t for _, t in parts], n, cfg.alpha_misfit)
    stat = Statistic("lz_star", "misfit", result.lz, result.p_value, cfg.alpha_misfit, result.flagged, n)
    if not result.flagged:
        return stat, None
    evidence = [
        (s, int(i))
        for s, t in parts
        for i in np.flatnonzero(t.contributions < -cfg.fast_z * np.sqrt(np.maximum(t.item_variance, 0.0)))
    ]
    return stat, Flag("misfit", stat, tuple(evidence))


def _speed_change(
    timed: _Timed, starts: npt.NDArray[np.intp], alpha: float, cfg: IntegrityConfig
) -> tuple[Statistic, Flag | None]:
    result = speed_change(timed.log_t, timed.params, starts, min_side=cfg.min_change_side, alpha=alpha)
    n = int(timed.log_t.shape[0])
    stat = Statistic("speed_change", "speed_change", result.statistic, result.p_value, alpha, result.flagged, n)
    if not result.flagged:
        return stat, None
    after = np.arange(n) >= result.best
    return stat, Flag("speed_change", stat, timed.at(after), int(timed.subtest[result.best]))


def _ability_change(
    subtests: Sequence[SubtestData | None], correlation: float, alpha: float, cfg: IntegrityConfig
) -> tuple[Statistic, Flag | None] | None:
    used = [
        (s, d.theta, d.se, len(d.items))
        for s, d in enumerate(subtests)
        if d is not None and d.theta is not None and d.se is not None and len(d.items) >= cfg.min_subtest_responses
    ]
    if len(used) < 2:
        return None
    result = ability_change([u[1] for u in used], [u[2] for u in used], correlation, alpha=alpha)
    n = sum(u[3] for u in used)
    stat = Statistic("ability_change", "ability_change", result.statistic, result.p_value, alpha, result.flagged, n)
    if not result.flagged:
        return stat, None
    first = used[result.best][0]
    evidence = tuple((s, i) for s, _, _, length in used if s >= first for i in range(length))
    return stat, Flag("ability_change", stat, evidence, first)
