"""A battery sitting as a sans-I/O state machine: ``(state, input, now) -> (new state, events)``.

The state is a frozen :class:`SessionState`; every transition is a pure function that returns a new state and the
:mod:`events <cat_engine.events>` that happened, and never reads a clock, a socket or a global random generator.
Time comes in as ``now_ms`` (milliseconds, any monotone epoch the caller keeps), randomness from the session's
``seed``: subtest s draws with the seed key ``(seed, s)`` (see :meth:`cat_engine.battery.Subtest.step`), so a state
restored from :func:`cat_engine.codec.encode` bytes continues exactly as the original would have.

Phases::

    READY --start--> ACTIVE --answer--> ACTIVE ... --(last subtest done)--> FINISHED
                      |  ^
                pause |  | resume
                      v  |
                     PAUSED
    any phase but FINISHED --terminate--> TERMINATED

Proctor commands
----------------
:func:`allowed_commands` says which :class:`Command` the state allows now; :func:`pause`, :func:`resume`,
:func:`extend_time` and :func:`terminate` refuse exactly the others (one guard per command, :func:`_refusal`), so a
console that offers what :func:`allowed_commands` lists never offers a command the session would refuse.

Clock
-----
A subtest's clock runs only while the phase is ACTIVE **and** the candidate is connected; :func:`connect`,
:func:`disconnect`, :func:`pause` and :func:`resume` start and stop it. Time left is
``time_limit + extensions - used``. When it reaches zero, :func:`tick` ends the subtest with reason ``time_up``
using what was answered. :func:`answer` never changes state when it raises: an answer that arrives after the time
ran out raises :class:`~cat_engine.errors.TimeUp`, and the caller then applies :func:`tick`.

Invariants
----------
* ``seq`` numbers presented items across the whole battery, from 1; an answer must name the current ``seq``.
* Phase ACTIVE or PAUSED implies a current item (``item_index >= 0``).
* ``running_since_ms`` is set exactly when the clock runs (ACTIVE and connected).
* ``theta`` and ``se`` are the estimate after the current subtest's last answer (None before its first); once the
  sitting is over they keep the last answer's.
* ``pause_reason`` is non-empty only while PAUSED (and then only if the proctor gave one).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from .battery import Battery, Profile, SubtestResult
from .errors import (
    IllegalCommand,
    SessionFinished,
    SessionNotStarted,
    SessionPaused,
    SessionTerminated,
    TimeUp,
    WrongSequence,
)
from .estimation import estimate
from .events import (
    Answered,
    Connected,
    Disconnected,
    Event,
    Finished,
    ItemPresented,
    Paused,
    Resumed,
    SubtestDone,
    Terminated,
    TimeExtended,
)
from .stopping import StopReason

__all__ = [
    "Command",
    "Phase",
    "SessionState",
    "SubtestRecord",
    "allowed_commands",
    "answer",
    "connect",
    "disconnect",
    "extend_time",
    "new_session",
    "pause",
    "profile",
    "resume",
    "start",
    "terminate",
    "tick",
    "time_left_ms",
    "time_used_ms",
    "trajectory",
]


class Phase(StrEnum):
    """Where a sitting is."""

    READY = "ready"
    ACTIVE = "active"
    PAUSED = "paused"
    FINISHED = "finished"
    TERMINATED = "terminated"


class Command(StrEnum):
    """A proctor's command to one session (the wire names of docs/protocol.md)."""

    PAUSE = "pause"
    RESUME = "resume"
    EXTEND = "extend"
    TERMINATE = "terminate"


@dataclass(frozen=True)
class SubtestRecord:
    """The record a finished subtest leaves in the state: its answers, final estimate, stop reason and time.

    Its reported form, with level and scaled score, is the profile row :class:`~cat_engine.battery.SubtestResult`.
    """

    items: tuple[int, ...]
    responses: tuple[int, ...]
    response_ms: tuple[int, ...]
    theta: float
    se: float
    stop_reason: StopReason
    time_used_ms: int


@dataclass(frozen=True)
class SessionState:
    """The whole state of one sitting; small and serialisable (see :func:`encode`).

    Attributes
    ----------
    seed : int
        The session's random seed (non-negative).
    subtest_index : int
        Index of the current subtest (equals the number of subtests when finished).
    seq : int
        Sequence number of the item being presented (0 before the first).
    item_index : int
        Index of the item being presented in the current subtest's pool, or -1.
    items, responses, response_ms : tuple of int
        The current subtest's answered items, option indices chosen and clock milliseconds each answer took.
    theta, se : float or None
        The estimate after the current subtest's last answer (None before its first answer).
    used_ms : int
        Clock time used by the current subtest, not counting a running stretch.
    running_since_ms : int or None
        When the running stretch began, or None while the clock is stopped.
    extra_ms : int
        Time added to the current subtest by proctors.
    item_shown_at_ms : int
        ``used`` clock reading when the current item was presented (its response time is measured from there).
    done : tuple of SubtestRecord
        The subtests that ended, in order.
    pause_reason : str
        The proctor's reason while PAUSED ("" otherwise, or when none was given).
    terminated_reason : str
        The proctor's reason once TERMINATED.
    last_seen_ms : int or None
        When the candidate's side last moved the sitting: connected, disconnected, answered, or reached the next
        subtest when the time ran out (None before the first connection).
    """

    battery_id: str
    battery_version: str
    seed: int
    pools: tuple[str, ...] = ()  # Battery.pool_versions when the sitting began
    phase: Phase = Phase.READY
    connected: bool = False
    subtest_index: int = 0
    seq: int = 0
    item_index: int = -1
    items: tuple[int, ...] = ()
    responses: tuple[int, ...] = ()
    response_ms: tuple[int, ...] = ()
    theta: float | None = None
    se: float | None = None
    used_ms: int = 0
    running_since_ms: int | None = None
    extra_ms: int = 0
    item_shown_at_ms: int = 0
    done: tuple[SubtestRecord, ...] = ()
    pause_reason: str = ""
    terminated_reason: str = ""
    last_seen_ms: int | None = None


Transition = tuple[SessionState, list[Event]]


def new_session(battery: Battery, seed: int) -> SessionState:
    """A fresh sitting of ``battery`` in phase READY."""
    if seed < 0:
        raise ValueError("seed must be non-negative")
    return SessionState(battery_id=battery.id, battery_version=battery.version, seed=seed, pools=battery.pool_versions)


# --- clock -----------------------------------------------------------------------------------------------------


def time_used_ms(state: SessionState, now_ms: int) -> int:
    """Clock time the current subtest has used at ``now_ms``."""
    running = 0 if state.running_since_ms is None else max(now_ms - state.running_since_ms, 0)
    return state.used_ms + running


def time_left_ms(battery: Battery, state: SessionState, now_ms: int) -> int | None:
    """Clock time left in the current subtest (None when it has no limit or the sitting is over)."""
    if state.phase in (Phase.READY, Phase.FINISHED, Phase.TERMINATED):
        return None
    limit = battery.subtests[state.subtest_index].time_limit_s
    if limit is None:
        return None
    return max(round(limit * 1000) + state.extra_ms - time_used_ms(state, now_ms), 0)


def _with_clock(state: SessionState, now_ms: int, **changes: Any) -> SessionState:
    """Apply ``changes`` and then start or stop the clock to match the new phase and connection."""
    used = time_used_ms(state, now_ms)
    new = replace(state, used_ms=used, running_since_ms=None, **changes)
    if new.phase is Phase.ACTIVE and new.connected:
        new = replace(new, running_since_ms=now_ms)
    return new


# --- transitions -----------------------------------------------------------------------------------------------


def connect(battery: Battery, state: SessionState, now_ms: int) -> Transition:
    """The candidate's connection is up: the clock may run."""
    _require_open(state)
    return _with_clock(state, now_ms, connected=True, last_seen_ms=now_ms), [Connected(now_ms)]


def disconnect(battery: Battery, state: SessionState, now_ms: int) -> Transition:
    """The candidate's connection dropped: the clock stops. Allowed in every phase."""
    return _with_clock(state, now_ms, connected=False, last_seen_ms=now_ms), [Disconnected(now_ms)]


def start(battery: Battery, state: SessionState, now_ms: int) -> Transition:
    """READY -> ACTIVE: present the first item of the first subtest."""
    _require_open(state)
    if state.phase is not Phase.READY:
        raise IllegalCommand("the session has already started")
    return _begin_subtest(battery, state, 0, now_ms, [])


def answer(battery: Battery, state: SessionState, seq: int, response: int, now_ms: int) -> Transition:
    """Apply the answer ``response`` (an option index) to the item numbered ``seq``.

    Raises
    ------
    SessionNotStarted, SessionPaused, SessionFinished, SessionTerminated
        When the phase allows no answer.
    WrongSequence
        When ``seq`` is not the item being presented.
    ResponseOutOfRange
        When ``response`` is not an option index of the item.
    TimeUp
        When the subtest's time has run out; apply :func:`tick` to end it.
    """
    _require_answerable(state)
    if isinstance(seq, bool) or not isinstance(seq, int) or seq != state.seq:
        raise WrongSequence(f"the item being presented is seq {state.seq}, not {seq!r}")
    sub = battery.subtests[state.subtest_index]
    category = sub.pool.score(state.item_index, response)  # raises ResponseOutOfRange
    left = time_left_ms(battery, state, now_ms)
    if left is not None and left <= 0:
        raise TimeUp("the time for this subtest has run out")
    used = time_used_ms(state, now_ms)
    took = used - state.item_shown_at_ms
    items = (*state.items, state.item_index)
    responses = (*state.responses, response)
    response_ms = (*state.response_ms, took)
    categories = sub.pool.categories(items, responses)
    index = state.subtest_index
    step = sub.step(list(items), categories, (state.seed, index))
    events: list[Event] = [
        Answered(now_ms, state.seq, index, state.item_index, response, category, took, step.theta, step.se)
    ]
    if step.stop_reason is StopReason.CONTINUE:  # the answer and the next item in one copy of the state
        new = replace(
            state,
            items=items,
            responses=responses,
            response_ms=response_ms,
            theta=step.theta,
            se=step.se,
            seq=state.seq + 1,
            item_index=step.next_item,
            item_shown_at_ms=used,
            last_seen_ms=now_ms,
        )
        events.append(ItemPresented(now_ms, new.seq, index, new.item_index, len(items) + 1))
        return new, events
    answered = replace(
        state,
        items=items,
        responses=responses,
        response_ms=response_ms,
        theta=step.theta,
        se=step.se,
        last_seen_ms=now_ms,
    )
    return _end_subtest(battery, answered, step.theta, step.se, step.stop_reason, now_ms, events)


def tick(battery: Battery, state: SessionState, now_ms: int) -> Transition:
    """End the current subtest if its time has run out; otherwise nothing happens."""
    left = time_left_ms(battery, state, now_ms)
    if left is None or left > 0 or state.phase is not Phase.ACTIVE:
        return state, []
    return _end_on(battery, replace(state, last_seen_ms=now_ms), StopReason.TIME_UP, now_ms, [])


def allowed_commands(battery: Battery, state: SessionState) -> tuple[Command, ...]:
    """The proctor commands the state allows now, in :class:`Command` order (what a console may offer)."""
    return tuple(c for c in Command if _refusal(battery, state, c) is None)


def pause(battery: Battery, state: SessionState, now_ms: int, reason: str = "") -> Transition:
    """ACTIVE -> PAUSED (a proctor's command); the clock stops."""
    _require_allowed(battery, state, Command.PAUSE)
    return _with_clock(state, now_ms, phase=Phase.PAUSED, pause_reason=reason), [Paused(now_ms, reason)]


def resume(battery: Battery, state: SessionState, now_ms: int) -> Transition:
    """PAUSED -> ACTIVE; the clock runs again if the candidate is connected."""
    _require_allowed(battery, state, Command.RESUME)
    return _with_clock(state, now_ms, phase=Phase.ACTIVE, pause_reason=""), [Resumed(now_ms)]


def extend_time(battery: Battery, state: SessionState, seconds: float, now_ms: int) -> Transition:
    """Give the current subtest ``seconds`` more (a proctor's command)."""
    _require_allowed(battery, state, Command.EXTEND)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 1 <= seconds <= 24 * 3600:
        raise IllegalCommand(f"an extension must be between 1 and 86400 seconds, got {seconds!r}")
    extra = round(seconds * 1000)
    return replace(state, extra_ms=state.extra_ms + extra), [TimeExtended(now_ms, state.subtest_index, extra)]


def terminate(battery: Battery, state: SessionState, reason: str, now_ms: int) -> Transition:
    """End the sitting for good, keeping what was answered (a proctor's command, with a recorded reason)."""
    _require_allowed(battery, state, Command.TERMINATE)
    if not isinstance(reason, str) or not reason.strip():
        raise IllegalCommand("terminating a session needs a reason")
    new = state
    if state.phase in (Phase.ACTIVE, Phase.PAUSED):
        theta, se = _estimate(battery, state)
        record = SubtestRecord(
            state.items,
            state.responses,
            state.response_ms,
            theta,
            se,
            StopReason.TERMINATED,
            time_used_ms(state, now_ms),
        )
        new = replace(state, done=(*state.done, record))
    reason = reason.strip()
    new = _with_clock(new, now_ms, phase=Phase.TERMINATED, item_index=-1, pause_reason="", terminated_reason=reason)
    return new, [Terminated(now_ms, reason)]


def profile(battery: Battery, state: SessionState) -> Profile:
    """The competency profile of the subtests done so far (``complete`` once the battery is finished)."""
    rows: list[SubtestResult] = [
        battery.result(i, d.theta, d.se, len(d.items), d.time_used_ms / 1000, d.stop_reason)
        for i, d in enumerate(state.done)
    ]
    return Profile(battery.id, battery.version, tuple(rows), state.phase is Phase.FINISHED)


def trajectory(battery: Battery, state: SessionState) -> list[list[tuple[float, float]]]:
    r"""Theta and SE after each answer, per subtest reached: the subtests done, then the current one.

    The k-th pair of a subtest is the estimate from its first k answers by the subtest's own estimator,

    .. math:: (\hat\theta_k, SE_k) = \mathrm{estimate}(u_1, \ldots, u_k),

    the same values the session reported after each answer (:class:`~cat_engine.events.Answered`). A subtest ended
    before any answer has an empty list; a session not started yet has none.
    """
    out = [_trajectory(battery, i, d.items, d.responses) for i, d in enumerate(state.done)]
    if state.phase in (Phase.ACTIVE, Phase.PAUSED) and len(state.done) == state.subtest_index:
        out.append(_trajectory(battery, state.subtest_index, state.items, state.responses))
    return out


def _trajectory(
    battery: Battery, index: int, items: tuple[int, ...], responses: tuple[int, ...]
) -> list[tuple[float, float]]:
    sub = battery.subtests[index]
    categories = sub.pool.categories(items, responses)
    return [
        estimate(sub.estimator, sub.pool.params, list(items[:k]), categories[:k], sub.log_table)
        for k in range(1, len(items) + 1)
    ]


# --- internals -------------------------------------------------------------------------------------------------


def _require_open(state: SessionState) -> None:
    if state.phase is Phase.FINISHED:
        raise SessionFinished("the battery is finished")
    if state.phase is Phase.TERMINATED:
        raise SessionTerminated(f"the session was terminated: {state.terminated_reason}")


def _refusal(battery: Battery, state: SessionState, command: Command) -> str | None:
    """Why the state refuses ``command`` now (None: it allows it). The one guard of each proctor command."""
    phase = state.phase
    if command is Command.PAUSE:
        return None if phase is Phase.ACTIVE else f"only an active session can be paused (it is {phase})"
    if command is Command.RESUME:
        return None if phase is Phase.PAUSED else f"only a paused session can be resumed (it is {phase})"
    if command is Command.EXTEND:
        if phase not in (Phase.ACTIVE, Phase.PAUSED):
            return f"time can only be extended during a subtest (the session is {phase})"
        if battery.subtests[state.subtest_index].time_limit_s is None:
            return "this subtest has no time limit to extend"
        return None
    return f"the session is already {phase}" if phase in (Phase.FINISHED, Phase.TERMINATED) else None


def _require_allowed(battery: Battery, state: SessionState, command: Command) -> None:
    refusal = _refusal(battery, state, command)
    if refusal is not None:
        raise IllegalCommand(refusal)


def _require_answerable(state: SessionState) -> None:
    _require_open(state)
    if state.phase is Phase.READY:
        raise SessionNotStarted("the session has not started")
    if state.phase is Phase.PAUSED:
        raise SessionPaused("the session is paused by the proctor")


def _estimate(battery: Battery, state: SessionState) -> tuple[float, float]:
    sub = battery.subtests[state.subtest_index]
    categories = sub.pool.categories(state.items, state.responses)
    return estimate(sub.estimator, sub.pool.params, list(state.items), categories, sub.log_table)


def _present(state: SessionState, item_index: int, used_ms: int) -> SessionState:
    return replace(state, seq=state.seq + 1, item_index=item_index, item_shown_at_ms=used_ms)


def _begin_subtest(battery: Battery, state: SessionState, index: int, now_ms: int, events: list[Event]) -> Transition:
    """Reset the clock and present the first item of subtest ``index``, or finish when there is none left."""
    if index >= len(battery.subtests):  # theta and se keep the last answer's
        new = _with_clock(state, now_ms, phase=Phase.FINISHED, subtest_index=index, item_index=-1)
        new = replace(new, used_ms=0, running_since_ms=None)
        events.append(Finished(now_ms, profile(battery, new)))
        return new, events
    fresh = replace(
        state,
        subtest_index=index,
        items=(),
        responses=(),
        response_ms=(),
        theta=None,
        se=None,
        used_ms=0,
        running_since_ms=None,
        extra_ms=0,
    )
    fresh = _with_clock(fresh, now_ms, phase=Phase.ACTIVE)
    step = battery.subtests[index].step([], [], (state.seed, index))
    if step.stop_reason is not StopReason.CONTINUE:  # a pool with nothing to give: record an empty subtest
        return _end_subtest(battery, fresh, step.theta, step.se, step.stop_reason, now_ms, events)
    new = _present(fresh, step.next_item, 0)
    events.append(ItemPresented(now_ms, new.seq, index, new.item_index, 1))
    return new, events


def _end_on(
    battery: Battery, state: SessionState, stop_reason: StopReason, now_ms: int, events: list[Event]
) -> Transition:
    theta, se = _estimate(battery, state)
    return _end_subtest(battery, state, theta, se, stop_reason, now_ms, events)


def _end_subtest(
    battery: Battery,
    state: SessionState,
    theta: float,
    se: float,
    stop_reason: StopReason,
    now_ms: int,
    events: list[Event],
) -> Transition:
    index = state.subtest_index
    used = time_used_ms(state, now_ms)
    limit = battery.subtests[index].time_limit_s
    if stop_reason is StopReason.TIME_UP and limit is not None:
        used = min(used, round(limit * 1000) + state.extra_ms)  # noticed late (a timer's lag): record the limit
    record = SubtestRecord(state.items, state.responses, state.response_ms, theta, se, stop_reason, used)
    ended = replace(state, done=(*state.done, record), item_index=-1)
    result = battery.result(index, theta, se, len(state.items), used / 1000, stop_reason)
    events.append(SubtestDone(now_ms, index, result))
    return _begin_subtest(battery, ended, index + 1, now_ms, events)
