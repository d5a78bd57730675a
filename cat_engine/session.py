"""A battery sitting as a sans-I/O state machine: ``(state, input, now) -> (new state, events)``.

The state is a frozen :class:`SessionState`; every transition is a pure function that returns a new state and the
:mod:`events <cat_engine.events>` that happened, and never reads a clock, a socket or a global random generator.
Time comes in as ``now_ms`` (milliseconds, any monotone epoch the caller keeps), randomness from the session's
``seed``: subtest s draws with the seed key ``(seed, s)`` (see :meth:`cat_engine.battery.Subtest.step`), so a state
restored from :func:`encode` bytes continues exactly as the original would have.

Phases::

    READY --start--> ACTIVE --answer--> ACTIVE ... --(last subtest done)--> FINISHED
                      |  ^
                pause |  | resume
                      v  |
                     PAUSED
    any phase but FINISHED --terminate--> TERMINATED

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
* Phase ACTIVE or PAUSED implies a current item (``item >= 0``).
* ``running_since_ms`` is set exactly when the clock runs (ACTIVE and connected).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import orjson

from .battery import Battery, Profile, SubtestResult
from .errors import (
    CatError,
    IllegalCommand,
    SessionFinished,
    SessionNotStarted,
    SessionPaused,
    SessionTerminated,
    StateCorrupted,
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
from .pool import Pool
from .stopping import StopReason

__all__ = [
    "DoneSubtest",
    "Phase",
    "SessionState",
    "answer",
    "connect",
    "decode",
    "disconnect",
    "encode",
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

_ENCODING_VERSION = 1  # bump when the layout of encode() changes


class Phase(StrEnum):
    """Where a sitting is."""

    READY = "ready"
    ACTIVE = "active"
    PAUSED = "paused"
    FINISHED = "finished"
    TERMINATED = "terminated"


@dataclass(frozen=True)
class DoneSubtest:
    """What a finished subtest leaves behind."""

    items: tuple[int, ...]
    responses: tuple[int, ...]
    response_ms: tuple[int, ...]
    theta: float
    se: float
    reason: StopReason
    used_ms: int


@dataclass(frozen=True)
class SessionState:
    """The whole state of one sitting; small and serialisable (see :func:`encode`).

    Attributes
    ----------
    seed : int
        The session's random seed (non-negative).
    subtest : int
        Index of the current subtest (equals the number of subtests when finished).
    seq : int
        Sequence number of the item being presented (0 before the first).
    item : int
        Item index of the item being presented in the current subtest's pool, or -1.
    items, responses, response_ms : tuple of int
        The current subtest's answered items, option indices chosen and clock milliseconds each answer took.
    used_ms : int
        Clock time used by the current subtest, not counting a running stretch.
    running_since_ms : int or None
        When the running stretch began, or None while the clock is stopped.
    extra_ms : int
        Time added to the current subtest by proctors.
    item_shown_at_ms : int
        ``used`` clock reading when the current item was presented (its response time is measured from there).
    """

    battery_id: str
    battery_version: str
    seed: int
    pools: tuple[str, ...] = ()  # Battery.pool_versions when the sitting began
    phase: Phase = Phase.READY
    connected: bool = False
    subtest: int = 0
    seq: int = 0
    item: int = -1
    items: tuple[int, ...] = ()
    responses: tuple[int, ...] = ()
    response_ms: tuple[int, ...] = ()
    used_ms: int = 0
    running_since_ms: int | None = None
    extra_ms: int = 0
    item_shown_at_ms: int = 0
    done: tuple[DoneSubtest, ...] = ()
    terminated_reason: str = ""


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
    limit = battery.subtests[state.subtest].time_limit_s
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
    return _with_clock(state, now_ms, connected=True), [Connected(now_ms)]


def disconnect(battery: Battery, state: SessionState, now_ms: int) -> Transition:
    """The candidate's connection dropped: the clock stops. Allowed in every phase."""
    return _with_clock(state, now_ms, connected=False), [Disconnected(now_ms)]


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
    sub = battery.subtests[state.subtest]
    category = sub.pool.score(state.item, response)  # raises ResponseOutOfRange
    left = time_left_ms(battery, state, now_ms)
    if left is not None and left <= 0:
        raise TimeUp("the time for this subtest has run out")
    used = time_used_ms(state, now_ms)
    took = used - state.item_shown_at_ms
    items = (*state.items, state.item)
    responses = (*state.responses, response)
    response_ms = (*state.response_ms, took)
    categories = sub.pool.categories(items, responses)
    step = sub.step(list(items), categories, (state.seed, state.subtest))
    events: list[Event] = [
        Answered(now_ms, state.seq, state.subtest, state.item, response, category, took, step.theta, step.se)
    ]
    if step.stop is StopReason.CONTINUE:  # the answer and the next item in one copy of the state
        new = replace(
            state,
            items=items,
            responses=responses,
            response_ms=response_ms,
            seq=state.seq + 1,
            item=step.next_item,
            item_shown_at_ms=used,
        )
        events.append(ItemPresented(now_ms, new.seq, new.subtest, new.item, len(items) + 1))
        return new, events
    answered = replace(state, items=items, responses=responses, response_ms=response_ms)
    return _end_subtest(battery, answered, step.theta, step.se, step.stop, now_ms, events)


def tick(battery: Battery, state: SessionState, now_ms: int) -> Transition:
    """End the current subtest if its time has run out; otherwise nothing happens."""
    left = time_left_ms(battery, state, now_ms)
    if left is None or left > 0 or state.phase is not Phase.ACTIVE:
        return state, []
    return _end_on(battery, state, StopReason.TIME_UP, now_ms, [])


def pause(battery: Battery, state: SessionState, now_ms: int, reason: str = "") -> Transition:
    """ACTIVE -> PAUSED (a proctor's command); the clock stops."""
    if state.phase is not Phase.ACTIVE:
        raise IllegalCommand(f"only an active session can be paused (it is {state.phase})")
    return _with_clock(state, now_ms, phase=Phase.PAUSED), [Paused(now_ms, reason)]


def resume(battery: Battery, state: SessionState, now_ms: int) -> Transition:
    """PAUSED -> ACTIVE; the clock runs again if the candidate is connected."""
    if state.phase is not Phase.PAUSED:
        raise IllegalCommand(f"only a paused session can be resumed (it is {state.phase})")
    return _with_clock(state, now_ms, phase=Phase.ACTIVE), [Resumed(now_ms)]


def extend_time(battery: Battery, state: SessionState, seconds: float, now_ms: int) -> Transition:
    """Give the current subtest ``seconds`` more (a proctor's command)."""
    if state.phase not in (Phase.ACTIVE, Phase.PAUSED):
        raise IllegalCommand(f"time can only be extended during a subtest (the session is {state.phase})")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 1 <= seconds <= 24 * 3600:
        raise IllegalCommand(f"an extension must be between 1 and 86400 seconds, got {seconds!r}")
    if battery.subtests[state.subtest].time_limit_s is None:
        raise IllegalCommand("this subtest has no time limit to extend")
    extra = round(seconds * 1000)
    return replace(state, extra_ms=state.extra_ms + extra), [TimeExtended(now_ms, state.subtest, extra)]


def terminate(battery: Battery, state: SessionState, reason: str, now_ms: int) -> Transition:
    """End the sitting for good, keeping what was answered (a proctor's command, with a recorded reason)."""
    if state.phase in (Phase.FINISHED, Phase.TERMINATED):
        raise IllegalCommand(f"the session is already {state.phase}")
    if not isinstance(reason, str) or not reason.strip():
        raise IllegalCommand("terminating a session needs a reason")
    new = state
    if state.phase in (Phase.ACTIVE, Phase.PAUSED):
        theta, se = _estimate(battery, state)
        done = DoneSubtest(
            state.items,
            state.responses,
            state.response_ms,
            theta,
            se,
            StopReason.TERMINATED,
            time_used_ms(state, now_ms),
        )
        new = replace(state, done=(*state.done, done))
    new = _with_clock(new, now_ms, phase=Phase.TERMINATED, item=-1, terminated_reason=reason.strip())
    return new, [Terminated(now_ms, reason.strip())]


def profile(battery: Battery, state: SessionState) -> Profile:
    """The competency profile of the subtests done so far (``complete`` once the battery is finished)."""
    rows: list[SubtestResult] = [
        battery.result(i, d.theta, d.se, len(d.items), d.used_ms / 1000, d.reason) for i, d in enumerate(state.done)
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
    if state.phase in (Phase.ACTIVE, Phase.PAUSED) and len(state.done) == state.subtest:
        out.append(_trajectory(battery, state.subtest, state.items, state.responses))
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


def _require_answerable(state: SessionState) -> None:
    _require_open(state)
    if state.phase is Phase.READY:
        raise SessionNotStarted("the session has not started")
    if state.phase is Phase.PAUSED:
        raise SessionPaused("the session is paused by the proctor")


def _estimate(battery: Battery, state: SessionState) -> tuple[float, float]:
    sub = battery.subtests[state.subtest]
    categories = sub.pool.categories(state.items, state.responses)
    return estimate(sub.estimator, sub.pool.params, list(state.items), categories, sub.log_table)


def _present(state: SessionState, item: int, used_ms: int) -> SessionState:
    return replace(state, seq=state.seq + 1, item=item, item_shown_at_ms=used_ms)


def _begin_subtest(battery: Battery, state: SessionState, index: int, now_ms: int, events: list[Event]) -> Transition:
    """Reset the clock and present the first item of subtest ``index``, or finish when there is none left."""
    if index >= len(battery.subtests):
        new = _with_clock(state, now_ms, phase=Phase.FINISHED, subtest=index, item=-1)
        new = replace(new, used_ms=0, running_since_ms=None)
        events.append(Finished(now_ms, profile(battery, new)))
        return new, events
    fresh = replace(
        state, subtest=index, items=(), responses=(), response_ms=(), used_ms=0, running_since_ms=None, extra_ms=0
    )
    fresh = _with_clock(fresh, now_ms, phase=Phase.ACTIVE)
    step = battery.subtests[index].step([], [], (state.seed, index))
    if step.stop is not StopReason.CONTINUE:  # a pool with nothing to give: record an empty subtest
        return _end_subtest(battery, fresh, step.theta, step.se, step.stop, now_ms, events)
    new = _present(fresh, step.next_item, 0)
    events.append(ItemPresented(now_ms, new.seq, index, new.item, 1))
    return new, events


def _end_on(battery: Battery, state: SessionState, reason: StopReason, now_ms: int, events: list[Event]) -> Transition:
    theta, se = _estimate(battery, state)
    return _end_subtest(battery, state, theta, se, reason, now_ms, events)


def _end_subtest(
    battery: Battery,
    state: SessionState,
    theta: float,
    se: float,
    reason: StopReason,
    now_ms: int,
    events: list[Event],
) -> Transition:
    used = time_used_ms(state, now_ms)
    limit = battery.subtests[state.subtest].time_limit_s
    if reason is StopReason.TIME_UP and limit is not None:
        used = min(used, round(limit * 1000) + state.extra_ms)  # noticed late (a timer's lag): record the limit
    done = DoneSubtest(state.items, state.responses, state.response_ms, theta, se, reason, used)
    ended = replace(state, done=(*state.done, done), item=-1)
    result = battery.result(state.subtest, theta, se, len(state.items), used / 1000, reason)
    events.append(SubtestDone(now_ms, state.subtest, result))
    return _begin_subtest(battery, ended, state.subtest + 1, now_ms, events)


# --- encoding --------------------------------------------------------------------------------------------------


def encode(state: SessionState) -> bytes:
    """Compact bytes of a state (orjson of a positional list; a finished 40-item subtest takes well under 1 KB)."""
    done = [
        [list(d.items), list(d.responses), list(d.response_ms), d.theta, d.se, int(d.reason), d.used_ms]
        for d in state.done
    ]
    return orjson.dumps(
        [
            _ENCODING_VERSION,
            state.battery_id,
            state.battery_version,
            state.seed,
            list(state.pools),
            state.phase.value,
            state.connected,
            state.subtest,
            state.seq,
            state.item,
            list(state.items),
            list(state.responses),
            list(state.response_ms),
            state.used_ms,
            state.running_since_ms,
            state.extra_ms,
            state.item_shown_at_ms,
            done,
            state.terminated_reason,
        ]
    )


def decode(battery: Battery, data: bytes) -> SessionState:
    """Restore a state from :func:`encode` bytes, checking it fits ``battery``.

    Raises
    ------
    StateCorrupted
        When the bytes are not a state of this battery (wrong battery or version, bad indices, bad shape).
    """
    try:
        raw = orjson.loads(data)
        (
            version,
            battery_id,
            battery_version,
            seed,
            pools,
            phase,
            connected,
            subtest,
            seq,
            item,
            items,
            responses,
            response_ms,
            used_ms,
            running_since,
            extra_ms,
            shown_at,
            done_raw,
            reason,
        ) = raw
        if version != _ENCODING_VERSION:
            raise StateCorrupted(f"unknown state encoding version {version!r}")
        done = tuple(
            DoneSubtest(tuple(d[0]), tuple(d[1]), tuple(d[2]), float(d[3]), float(d[4]), StopReason(d[5]), int(d[6]))
            for d in done_raw
        )
        state = SessionState(
            battery_id=battery_id,
            battery_version=battery_version,
            seed=int(seed),
            pools=tuple(str(p) for p in pools),
            phase=Phase(phase),
            connected=bool(connected),
            subtest=int(subtest),
            seq=int(seq),
            item=int(item),
            items=tuple(int(i) for i in items),
            responses=tuple(int(r) for r in responses),
            response_ms=tuple(int(t) for t in response_ms),
            used_ms=int(used_ms),
            running_since_ms=None if running_since is None else int(running_since),
            extra_ms=int(extra_ms),
            item_shown_at_ms=int(shown_at),
            done=done,
            terminated_reason=str(reason),
        )
    except CatError:
        raise
    except (ValueError, TypeError, IndexError, KeyError, orjson.JSONDecodeError) as exc:
        raise StateCorrupted(f"stored session state does not decode: {exc}") from exc
    _check_fits(battery, state)
    return state


def _check_fits(battery: Battery, state: SessionState) -> None:
    if state.seed < 0:
        raise StateCorrupted("the seed must be non-negative")
    if (state.battery_id, state.battery_version) != (battery.id, battery.version):
        raise StateCorrupted(
            f"state belongs to battery {state.battery_id} {state.battery_version}, not {battery.id} {battery.version}"
        )
    if state.pools != battery.pool_versions:
        # New parameters (a recalibration, new exposure parameters) would change how the sitting continues.
        raise StateCorrupted(
            f"state was made with pools {', '.join(state.pools)}, "
            f"the battery now has {', '.join(battery.pool_versions)}"
        )
    n_sub = len(battery.subtests)
    # Each ended subtest leaves one DoneSubtest; termination also records the interrupted one.
    allowed_done = {state.subtest, state.subtest + 1} if state.phase is Phase.TERMINATED else {state.subtest}
    if not 0 <= state.subtest <= n_sub or len(state.done) not in allowed_done or len(state.done) > n_sub:
        raise StateCorrupted("subtest index and finished subtests disagree")
    live = state.phase in (Phase.ACTIVE, Phase.PAUSED)
    if live and not (state.subtest < n_sub and 0 <= state.item < battery.subtests[state.subtest].pool.n_items):
        raise StateCorrupted("an active session must present an item of its subtest's pool")
    if not len(state.items) == len(state.responses) == len(state.response_ms):
        raise StateCorrupted("items, responses and response times differ in length")
    for sub, d in zip(battery.subtests, state.done, strict=False):
        _check_answers(sub.pool, d.items, d.responses)
    if state.subtest < n_sub:
        _check_answers(battery.subtests[state.subtest].pool, state.items, state.responses)


def _check_answers(pool: Pool, items: tuple[int, ...], responses: tuple[int, ...]) -> None:
    if len(items) != len(responses):
        raise StateCorrupted("items and responses differ in length")
    n_items, counts = pool.n_items, pool.option_counts
    for i, r in zip(items, responses, strict=True):
        if not 0 <= i < n_items or not 0 <= r < counts[i]:
            raise StateCorrupted(f"answer ({i}, {r}) does not fit pool {pool.pool_id}")
