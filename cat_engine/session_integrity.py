"""The integrity screening of a sitting: :func:`cat_engine.aberrance.screen` read from a
:class:`~cat_engine.session.SessionState`, and the flags it raises for the first time.

:func:`session_subtests` turns the state into the screening's :class:`~cat_engine.aberrance.SubtestData`: every
subtest done (complete, with its reported estimate), then the current one if it has answers (partial, with its
interim estimate). :func:`screen_session` screens it with the final look once the sitting is over (finished or
terminated) and the interim look before. :func:`new_flags` is what the session state machine calls after every step
that adds an answer or ends a subtest or the sitting: a :class:`~cat_engine.events.Flagged` event for each flag
whose kind the sitting has not raised yet, in the screening's order (rapid, pre-knowledge, misfit, speed change,
ability change): the flags of :func:`screen_session` of the state after the step, with no more work than the step
needs.

Cost
----
The session screens after every answer, so :func:`new_flags` does only the part of the screening that can raise
something new, which gives the same flags as the whole screening:

* Only the rapid-guessing count reads the subtest under way (:func:`~cat_engine.aberrance.screen`): after an answer
  that ends nothing, the other statistics are as at the last subtest end, where they were looked at.
* The rapid-guessing flag needs a count at least a critical count that never falls as answers come
  (:mod:`cat_engine.aberrance`, "The false-alarm budget"). So a step can raise it only when it added a rapid answer
  (one comparison with the item's threshold) or the answer that brings the timed responses to ``min_rapid`` (the
  test's first look); not once it is raised, nor when a subtest ends by time or a proctor ends the sitting.

After an answer that ends nothing the rapid look runs alone (every subtest passed as partial, which leaves out the
statistics of complete subtests), and only when that answer can raise it: most answers cost one comparison. A
subtest end gets the whole screening, without the rapid test when it cannot rise (``min_rapid`` set beyond any
count). The end of the sitting gets the whole final look (its rapid flag left out when it cannot rise), kept for
the sitting's result, which reads the same look right after (:class:`_LastFinalLook`).
tests/test_session_integrity.py checks the flags against the whole screening after every step.

Invariants
----------
* A kind is raised at most once per sitting (``SessionState.flags`` remembers the kinds raised, in order); a
  statistic that keeps rejecting its null at later looks raises nothing new.
* Nothing here changes a score, an estimate, the next item or a stop: :mod:`cat_engine.session` only appends the
  events and the kinds to the state it had computed.

:mod:`cat_engine.session` imports this module, so it names the phases by their values (``Phase`` is a ``StrEnum``)
and imports :class:`~cat_engine.session.SessionState` for the type checker only.
"""

from __future__ import annotations

import functools
import math
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from .aberrance import Flag, Screening, SubtestData, screen
from .battery import Battery
from .events import Answered, Flagged
from .integrity_config import IntegrityConfig
from .response_time import TimeParams, log_seconds
from .rt_aberrance import rapid_thresholds

if TYPE_CHECKING:
    from .session import SessionState

__all__ = ["flagged_event", "is_over", "new_flags", "screen_session", "session_subtests"]

_IN_SUBTEST = frozenset({"active", "paused"})  # Phase.ACTIVE, Phase.PAUSED: a subtest under way
_OVER = frozenset({"finished", "terminated"})  # Phase.FINISHED, Phase.TERMINATED: the final look


def is_over(state: SessionState) -> bool:
    """Whether the sitting has finished or been terminated (its screening is the final look)."""
    return state.phase in _OVER


def session_subtests(battery: Battery, state: SessionState) -> list[SubtestData]:
    """The :class:`SubtestData` of a sitting: each subtest done (complete, with its reported estimate), then the
    current one if it has answers (partial, with its interim estimate)."""
    out = []
    for index, record in enumerate(state.done):
        pool = battery.subtests[index].pool
        categories = tuple(pool.categories(record.items, record.responses))
        out.append(SubtestData(pool, record.items, categories, record.response_ms, record.theta, record.se))
    current = state.subtest_index
    if state.items and len(state.done) == current and state.phase in _IN_SUBTEST:
        pool = battery.subtests[current].pool
        categories = tuple(pool.categories(state.items, state.responses))
        partial = SubtestData(pool, state.items, categories, state.response_ms, state.theta, state.se, complete=False)
        out.append(partial)
    return out


def screen_session(battery: Battery, state: SessionState, config: IntegrityConfig | None = None) -> Screening:
    """:func:`~cat_engine.aberrance.screen` of a sitting: its :func:`session_subtests`, the final look once it has
    finished or been terminated (``config``: the battery's ``[integrity]`` when omitted)."""
    if config is None and is_over(state):
        return _final_look(battery, state)
    cfg = battery.integrity if config is None else config
    return screen(session_subtests(battery, state), cfg, final=is_over(state))


class _LastFinalLook:
    """The final look of the sitting screened last, kept for the next call on the same subtests.

    A sitting that ends is screened twice at once: by :func:`new_flags` in the step that ends it, then by whoever
    keeps its result (the server's result record). Over, a sitting's screening depends only on the battery and
    its subtests done (``SessionState.done``, a tuple no step changes once the sitting is over), so the same objects
    give the same screening; any other pair is screened afresh. The entry is one tuple, replaced whole, so a reader
    in another thread never pairs one sitting's key with another's screening.
    """

    def __init__(self) -> None:
        self.entry: tuple[Battery, tuple[object, ...], Screening] | None = None

    def get(self, battery: Battery, state: SessionState) -> Screening | None:
        entry = self.entry
        if entry is None or entry[0] is not battery or entry[1] is not state.done:
            return None
        return entry[2]

    def keep(self, battery: Battery, state: SessionState, screening: Screening) -> None:
        self.entry = (battery, state.done, screening)


_LAST_FINAL = _LastFinalLook()


def _final_look(battery: Battery, state: SessionState) -> Screening:
    """The final look of a sitting that is over, with the battery's settings."""
    kept = _LAST_FINAL.get(battery, state)
    if kept is None:
        kept = screen(session_subtests(battery, state), battery.integrity, final=True)
        _LAST_FINAL.keep(battery, state, kept)
    return kept


def flagged_event(flag: Flag, at_ms: int) -> Flagged:
    """The core event of ``flag`` raised at ``at_ms``."""
    s = flag.statistic
    return Flagged(
        at_ms,
        flag.kind,
        s.name,
        float(s.value),
        float(s.p_value),
        float(s.threshold),
        int(s.n),
        flag.subtest,
        tuple((int(sub), int(pos)) for sub, pos in flag.responses),
    )


def new_flags(
    battery: Battery, state: SessionState, now_ms: int, *, answered: Answered | None, ended: bool
) -> list[Flagged]:
    """The :class:`~cat_engine.events.Flagged` events of the flags :func:`screen_session` raises for ``state`` whose
    kind ``state.flags`` does not hold yet (one per kind, in the screening's order), at ``now_ms``.

    ``state`` is the sitting after a step that added the answer ``answered`` (None: none) and, with ``ended``, ended
    a subtest or the sitting; the step before it was screened too (see "Cost", which this relies on).
    """
    rapid = "rapid" not in state.flags and answered is not None and _rapid_may_rise(battery, state, answered)
    if ended and is_over(state):  # the whole final look, which the sitting's result reads again; rapid as above
        flags = tuple(f for f in _final_look(battery, state).flags if rapid or f.kind != "rapid")
    elif ended:
        config = battery.integrity if rapid else _without_rapid(battery)
        flags = screen(session_subtests(battery, state), config, final=False).flags
    elif rapid:
        partial = [replace(d, complete=False) for d in session_subtests(battery, state)]
        flags = screen(partial, battery.integrity, final=False).flags
    else:
        return []
    raised = set(state.flags)
    out = []
    for flag in flags:
        if flag.kind not in raised:
            raised.add(flag.kind)
            out.append(flagged_event(flag, now_ms))
    return out


def _rapid_may_rise(battery: Battery, state: SessionState, answered: Answered) -> bool:
    """Whether the rapid-guessing flag can rise with the answer ``answered`` (now in ``state``): it was rapid, or it
    brought the timed responses to ``min_rapid``."""
    log_thr = _log_thresholds(battery, answered.subtest_index)[answered.item_index]
    if math.isnan(log_thr):  # untimed: the count and the number of timed responses stay as they were
        return False
    if float(log_seconds(answered.response_ms)) < log_thr:
        return True
    minimum = battery.integrity.min_rapid
    timed = 0
    for s, data in enumerate(_answers(state)):
        thresholds = _log_thresholds(battery, s)
        timed += sum(1 for i in data if not math.isnan(thresholds[i]))
        if timed > minimum:
            return False
    return timed == minimum


def _answers(state: SessionState) -> list[tuple[int, ...]]:
    """The items answered in each subtest reached (the one under way last), as :func:`session_subtests` reads them."""
    out = [d.items for d in state.done]
    if len(state.done) == state.subtest_index and state.phase in _IN_SUBTEST:
        out.append(state.items)
    return out


@functools.lru_cache(maxsize=64)
def _without_rapid(battery: Battery) -> IntegrityConfig:
    """The battery's settings with the rapid-guessing test off (it needs more timed responses than any sitting has)."""
    return replace(battery.integrity, min_rapid=sys.maxsize)


@functools.lru_cache(maxsize=64)
def _log_thresholds(battery: Battery, index: int) -> tuple[float, ...]:
    """The log of each item's rapid-response threshold in seconds
    (:func:`~cat_engine.rt_aberrance.rapid_thresholds` with the battery's settings) in subtest ``index``'s pool;
    NaN for an untimed item."""
    pool = battery.subtests[index].pool
    cfg = battery.integrity
    out = np.full(pool.size, np.nan)
    timed = np.flatnonzero(pool.timed)
    if timed.size:
        params = TimeParams(pool.time_beta[timed], pool.time_alpha[timed])
        out[timed] = np.log(rapid_thresholds(params, cfg.rapid_fraction, cfg.rapid_cap_s))
    return tuple(out.tolist())
