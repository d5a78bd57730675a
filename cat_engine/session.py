"""A battery sitting as a sans-I/O state machine: ``(state, input, now) -> (new state, events)``.

The state is a frozen :class:`SessionState`; every transition is a pure function that returns a new state and the
:mod:`events <cat_engine.events>` that happened, and never reads a clock, a socket or a global random generator.
Time comes in as ``now_ms`` (milliseconds, any monotone epoch the caller keeps), randomness from the session's
``seed``: subtest s draws with the seed key ``(seed, s)`` (see :meth:`cat_engine.battery.Subtest.step`), so a state
restored from :func:`cat_engine.codec.encode` bytes continues exactly as the original would have.

Phases::

    READY --start--> INTRO(0) --start--> ACTIVE --answer--> ACTIVE ... --(subtest done)--> INTRO(1) --start--> ...
                                          |  ^                                    (last subtest done) --> FINISHED
                                    pause |  | resume
                                          v  |
                                         PAUSED
    any phase but FINISHED --terminate--> TERMINATED

READY is the welcome (the candidate confirms who they are and reads the instructions); INTRO is the intro of a
subtest, before its clock starts. A subtest's intro ends with the candidate's :func:`start`, or by itself once
``intro_limit_ms`` has passed since it was first shown (:func:`tick`), so nobody can hold a room up.

Seats
-----
A sitting remembers the device (the page's id of its computer) it is taken on. A hello from another device does not
move it: :func:`needs_approval` says so, :func:`request_seat` records the request, and a proctor's
:func:`approve_seat` moves the sitting there (the old connection loses it, the clock stops until the new one is up)
or :func:`deny_seat` keeps it where it was. A sitting never taken on a device that sent an id moves freely.

Proctor commands
----------------
:func:`allowed_commands` says which :class:`Command` the state allows now; :func:`pause`, :func:`resume`,
:func:`extend_time` and :func:`terminate` refuse exactly the others (one guard per command, :func:`_refusal`), so a
console that offers what :func:`allowed_commands` lists never offers a command the session would refuse.

Clock
-----
A subtest's clock runs only while the phase is ACTIVE **and** the candidate is connected; :func:`connect`,
:func:`disconnect`, :func:`pause` and :func:`resume` start and stop it. Time left is ``time_limit + extensions - used``,
the limit with its pretest items' time (``Subtest.time_allowed_s``). When it reaches zero, :func:`tick` ends the subtest
with reason ``time_up`` using what was answered. :func:`answer` never changes state when it raises: an answer that
arrives after the time ran out raises :class:`~cat_engine.errors.TimeUp`, and the caller then applies :func:`tick`.

Invariants
----------
* ``seq`` numbers presented items across the whole battery, from 1; an answer must name the current ``seq``.
* Phase ACTIVE or PAUSED implies a current item (``item_index >= 0``); phase INTRO implies none, a subtest not yet
  started (``used_ms`` and ``extra_ms`` 0) and ``intro_at_ms`` set.
* ``running_since_ms`` is set exactly when the clock runs (ACTIVE and connected).
* ``theta`` and ``se`` are the estimate after the current subtest's last answer (None before its first); once the
  sitting is over they keep the last answer's.
* ``pause_reason`` is non-empty only while PAUSED (and then only if the proctor gave one).
* ``flags`` holds each integrity flag kind raised in the sitting once, in the order raised.
* ``pretest_item >= 0`` (a pretest item presented) implies ACTIVE or PAUSED, and ``item_index`` is then the
  operational item that follows it; the ``pretest_*`` answers belong to the current subtest and are never read by
  theta, SE, stopping, selection, exposure, the profile or the integrity screening (:mod:`.session_pretest`).

Integrity flags
---------------
After every transition that adds an answer or ends a subtest or the sitting (:func:`answer`, :func:`tick` when the
time runs out, :func:`start` of a subtest with nothing to give, :func:`terminate`), the sitting is screened with the
battery's ``[integrity]`` settings (:func:`cat_engine.session_integrity.new_flags`: the interim look while it runs,
the final look once it is over). A kind raised for the first time appends a :class:`~cat_engine.events.Flagged`
event after the transition's own events and the kind to ``flags``. A flag is evidence for a person to review: the
screening runs on the state already computed, so it never changes a score, an estimate, the next item or a stop.
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
    NoteAdded,
    Paused,
    PretestAnswered,
    Resumed,
    SeatApproved,
    SeatChangeRequested,
    SeatDenied,
    Started,
    SubtestDone,
    SubtestIntro,
    Terminated,
    TimeExtended,
)
from .options import current_order, stored_option
from .session_integrity import new_flags
from .session_pretest import CLEARED, answer_pretest, present
from .stopping import StopReason

__all__ = [
    "MAX_NOTES",
    "MAX_NOTE_CHARS",
    "Command",
    "Note",
    "Phase",
    "SessionState",
    "SubtestRecord",
    "add_note",
    "allowed_commands",
    "answer",
    "approve_seat",
    "connect",
    "deny_seat",
    "disconnect",
    "extend_time",
    "intro_ends_ms",
    "needs_approval",
    "new_session",
    "pause",
    "profile",
    "request_seat",
    "resume",
    "seat",
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
    INTRO = "intro"
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
    APPROVE_SEAT = "approve_seat"
    DENY_SEAT = "deny_seat"


MAX_NOTES = 100  # incident notes one sitting keeps (a proctor writes a few at most)
MAX_NOTE_CHARS = 1000


@dataclass(frozen=True)
class Note:
    """A proctor's incident note on the sitting, with when it was written."""

    at_ms: int
    text: str


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
    intro_at_ms : int or None
        When the current subtest's intro was first shown (None outside an intro).
    device : str or None
        The device the sitting is taken on (None: none that sent an id yet).
    seat_request : str or None
        The device waiting for a proctor to approve a move there (None: no request; "" a device without an id).
    seat_request_at_ms : int or None
        When that request was made (None: no request).
    notes : tuple of Note
        The proctors' incident notes, oldest first.
    flags : tuple of str
        The integrity flag kinds raised in the sitting, each once, in the order raised (:mod:`cat_engine.aberrance`,
        ``KINDS``).
    pretest_item : int
        Index in the current subtest's pretest pool of the pretest item being presented, or -1.
    pretest_items, pretest_responses, pretest_response_ms : tuple of int
        The current subtest's answered pretest items, stored options chosen and milliseconds each took.
    pretest_key : tuple of int or None
        ``(design seed, examinee index)``: which examinee of which pretest design the sitting is (None: examinee 0 of
        the design of its own seed; :mod:`.session_pretest`, "The plan of a sitting").
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
    intro_at_ms: int | None = None
    device: str | None = None
    seat_request: str | None = None
    notes: tuple[Note, ...] = ()
    seat_request_at_ms: int | None = None
    flags: tuple[str, ...] = ()
    pretest_item: int = -1
    pretest_items: tuple[int, ...] = ()
    pretest_responses: tuple[int, ...] = ()
    pretest_response_ms: tuple[int, ...] = ()
    pretest_key: tuple[int, int] | None = None


Transition = tuple[SessionState, list[Event]]


def new_session(battery: Battery, seed: int, *, pretest_key: tuple[int, int] | None = None) -> SessionState:
    """A fresh sitting of ``battery`` in phase READY; ``pretest_key``: its pretest design seed and examinee index
    (:func:`cat_engine.session_pretest.pretest_key_of`), None for examinee 0 of the design of ``seed``."""
    if seed < 0:
        raise ValueError("seed must be non-negative")
    if pretest_key is not None and min(pretest_key) < 0:
        raise ValueError("the pretest key must be non-negative")
    return SessionState(
        battery_id=battery.id,
        battery_version=battery.version,
        seed=seed,
        pools=battery.pool_versions,
        pretest_key=pretest_key,
    )


# --- clock -----------------------------------------------------------------------------------------------------


def time_used_ms(state: SessionState, now_ms: int) -> int:
    """Clock time the current subtest has used at ``now_ms``."""
    running = 0 if state.running_since_ms is None else max(now_ms - state.running_since_ms, 0)
    return state.used_ms + running


def time_left_ms(battery: Battery, state: SessionState, now_ms: int) -> int | None:
    """Clock time left in the current subtest (None when it has no limit or the sitting is over)."""
    if state.phase in (Phase.READY, Phase.FINISHED, Phase.TERMINATED):
        return None
    limit = battery.subtests[state.subtest_index].time_allowed_s
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
    """The candidate's ``start``: READY -> INTRO of the first subtest (the battery begins); INTRO -> ACTIVE, the
    subtest's first item presented and its clock started (when the candidate is connected).

    Raises
    ------
    SessionFinished, SessionTerminated
        When the sitting is over.
    IllegalCommand
        When nothing waits for a start (an item is presented, or the session is paused).
    """
    _require_open(state)
    if state.phase is Phase.READY:
        return _begin_subtest(battery, state, 0, now_ms, [Started(now_ms)])
    if state.phase is Phase.INTRO:
        return _screened(battery, _present_first(battery, state, now_ms, []), now_ms)
    raise IllegalCommand(f"nothing waits for a start: the session is {state.phase}")


def intro_ends_ms(state: SessionState, intro_limit_ms: int) -> int | None:
    """When the current intro ends by itself (:func:`tick`), or None outside an intro."""
    if state.phase is not Phase.INTRO or state.intro_at_ms is None:
        return None
    return state.intro_at_ms + intro_limit_ms


def answer(battery: Battery, state: SessionState, seq: int, response: int, now_ms: int) -> Transition:
    """Apply the answer ``response`` to the item numbered ``seq``.

    ``response`` is the display position the candidate chose (:mod:`cat_engine.options`: the session's order of
    the item's options); it is mapped to the stored option index before scoring, and the state and the
    :class:`~cat_engine.events.Answered` event's ``response`` keep that stored index (``shown`` the position).
    An answer to a pretest item is recorded apart and changes nothing else (:mod:`.session_pretest`).

    Raises
    ------
    SessionNotStarted, SessionPaused, SessionFinished, SessionTerminated
        When the phase allows no answer.
    WrongSequence
        When ``seq`` is not the item being presented.
    ResponseOutOfRange
        When ``response`` is not an option position of the item.
    TimeUp
        When the subtest's time has run out; apply :func:`tick` to end it.
    """
    _require_answerable(state)
    if isinstance(seq, bool) or not isinstance(seq, int) or seq != state.seq:
        raise WrongSequence(f"the item being presented is seq {state.seq}, not {seq!r}")
    if state.pretest_item >= 0:
        left, used = time_left_ms(battery, state, now_ms), time_used_ms(state, now_ms)
        return answer_pretest(battery, state, response, now_ms, left, used)  # never screened: nothing it scores
    sub = battery.subtests[state.subtest_index]
    shown = response
    response = stored_option(current_order(battery, state), shown)  # raises ResponseOutOfRange
    category = sub.pool.score(state.item_index, response)
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
        Answered(now_ms, state.seq, index, state.item_index, response, shown, category, took, step.theta, step.se)
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
        new, presented = present(battery, new, now_ms)  # a pretest item due now, else new.item_index
        events.append(presented)
        return _screened(battery, (new, events), now_ms)
    answered = replace(
        state,
        items=items,
        responses=responses,
        response_ms=response_ms,
        theta=step.theta,
        se=step.se,
        last_seen_ms=now_ms,
    )
    return _screened(
        battery, _end_subtest(battery, answered, step.theta, step.se, step.stop_reason, now_ms, events), now_ms
    )


def tick(battery: Battery, state: SessionState, now_ms: int, intro_limit_ms: int | None = None) -> Transition:
    """End the current subtest if its time has run out, or start it if its intro has been shown for
    ``intro_limit_ms`` (None: intros wait for the candidate); otherwise nothing happens."""
    if state.phase is Phase.INTRO:
        ends = None if intro_limit_ms is None else intro_ends_ms(state, intro_limit_ms)
        if ends is None or now_ms < ends:
            return state, []
        return _screened(battery, _present_first(battery, state, now_ms, []), now_ms)
    left = time_left_ms(battery, state, now_ms)
    if left is None or left > 0 or state.phase is not Phase.ACTIVE:
        return state, []
    return _screened(
        battery, _end_on(battery, replace(state, last_seen_ms=now_ms), StopReason.TIME_UP, now_ms, []), now_ms
    )


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
        theta, se = _final_estimate(battery, state, _estimate(battery, state))
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
    new = _with_clock(
        new,
        now_ms,
        phase=Phase.TERMINATED,
        item_index=-1,
        pretest_item=-1,
        pause_reason="",
        terminated_reason=reason,
        seat_request=None,
        seat_request_at_ms=None,
    )
    return _screened(battery, (new, [Terminated(now_ms, reason)]), now_ms)


def needs_approval(state: SessionState, device: str | None) -> bool:
    """Whether a hello from ``device`` (None: no id) needs a proctor's approval: the sitting is taken on another
    device. A finished sitting has no seat to take."""
    return state.phase is not Phase.FINISHED and state.device is not None and device != state.device


def seat(state: SessionState, device: str | None) -> SessionState:
    """The sitting taken on ``device`` by a hello that needs no approval (a hello without an id changes nothing)."""
    return state if device is None or device == state.device else replace(state, device=device)


def request_seat(state: SessionState, device: str | None, now_ms: int) -> Transition:
    """A hello from another device: record the request (the newest replaces an older one) for the proctor."""
    _require_open(state)
    requested = "" if device is None else device
    event = SeatChangeRequested(now_ms, state.device, None if device is None else device)
    return replace(state, seat_request=requested, seat_request_at_ms=now_ms), [event]


def approve_seat(battery: Battery, state: SessionState, now_ms: int) -> Transition:
    """A proctor approves the requested move: the sitting is taken on the new device; the old connection loses it
    and the clock stops until the new one connects."""
    _require_allowed(battery, state, Command.APPROVE_SEAT)
    assert state.seat_request is not None  # the guard requires it
    device = state.seat_request or None
    events: list[Event] = [SeatApproved(now_ms, device)]
    new = replace(state, device=device, seat_request=None, seat_request_at_ms=None)
    if new.connected:
        new, evs = disconnect(battery, new, now_ms)
        events += evs
    return new, events


def deny_seat(battery: Battery, state: SessionState, now_ms: int) -> Transition:
    """A proctor denies the requested move: the sitting stays where it is."""
    _require_allowed(battery, state, Command.DENY_SEAT)
    requested = state.seat_request or None
    return replace(state, seat_request=None, seat_request_at_ms=None), [SeatDenied(now_ms, requested)]


def add_note(battery: Battery, state: SessionState, text: str, now_ms: int) -> Transition:
    """Record a proctor's incident note (any phase; kept in the results)."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_NOTE_CHARS:
        raise IllegalCommand(f"a note needs 1 to {MAX_NOTE_CHARS} characters")
    if len(state.notes) >= MAX_NOTES:
        raise IllegalCommand(f"a session keeps at most {MAX_NOTES} notes")
    text = text.strip()
    return replace(state, notes=(*state.notes, Note(now_ms, text))), [NoteAdded(now_ms, text)]


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
    if command in (Command.APPROVE_SEAT, Command.DENY_SEAT):
        if phase in (Phase.FINISHED, Phase.TERMINATED):
            return f"the session is already {phase}"
        return None if state.seat_request is not None else "no move to another computer waits for approval"
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
    if state.phase is Phase.INTRO:
        raise SessionNotStarted("the subtest has not started: its intro is shown")
    if state.phase is Phase.PAUSED:
        raise SessionPaused("the session is paused by the proctor")


def _estimate(battery: Battery, state: SessionState) -> tuple[float, float]:
    sub = battery.subtests[state.subtest_index]
    categories = sub.pool.categories(state.items, state.responses)
    return estimate(sub.estimator, sub.pool.params, list(state.items), categories, sub.log_table)


def _final_estimate(battery: Battery, state: SessionState, interim: tuple[float, float]) -> tuple[float, float]:
    sub = battery.subtests[state.subtest_index]
    return sub.final_estimate(state.items, sub.pool.categories(state.items, state.responses), interim)


def _screened(battery: Battery, transition: Transition, now_ms: int) -> Transition:
    """``transition`` with the flags it raises for the first time (see "Integrity flags"): screened when its events
    add an answer or end a subtest or the sitting, else as it is."""
    state, events = transition
    if not any(isinstance(e, _SCREENED_AFTER) and not isinstance(e, PretestAnswered) for e in events):
        return transition
    answered = next((e for e in events if isinstance(e, Answered) and not isinstance(e, PretestAnswered)), None)
    ended = any(isinstance(e, SubtestDone | Terminated) for e in events)
    raised = new_flags(battery, state, now_ms, answered=answered, ended=ended)
    if not raised:
        return transition
    flagged: list[Event] = [*events, *raised]
    return replace(state, flags=(*state.flags, *(f.kind for f in raised))), flagged


_SCREENED_AFTER = (Answered, SubtestDone, Terminated)


def _present(state: SessionState, item_index: int, used_ms: int) -> SessionState:
    return replace(state, seq=state.seq + 1, item_index=item_index, item_shown_at_ms=used_ms)


def _begin_subtest(battery: Battery, state: SessionState, index: int, now_ms: int, events: list[Event]) -> Transition:
    """Show the intro of subtest ``index`` (its clock not started), or finish when there is none left."""
    if index >= len(battery.subtests):  # theta and se keep the last answer's
        new = _with_clock(state, now_ms, phase=Phase.FINISHED, subtest_index=index, item_index=-1)
        new = replace(new, seat_request=None, seat_request_at_ms=None)
        new = replace(new, used_ms=0, running_since_ms=None)
        events.append(Finished(now_ms, profile(battery, new)))
        return new, events
    fresh = replace(
        state,
        phase=Phase.INTRO,
        subtest_index=index,
        item_index=-1,
        items=(),
        responses=(),
        response_ms=(),
        theta=None,
        se=None,
        used_ms=0,
        running_since_ms=None,
        extra_ms=0,
        intro_at_ms=now_ms,
        **CLEARED,
    )
    events.append(SubtestIntro(now_ms, index))
    return fresh, events


def _present_first(battery: Battery, state: SessionState, now_ms: int, events: list[Event]) -> Transition:
    """INTRO -> ACTIVE: present the subtest's first item and start its clock (an empty pool ends it at once)."""
    index = state.subtest_index
    fresh = _with_clock(state, now_ms, phase=Phase.ACTIVE, intro_at_ms=None)
    step = battery.subtests[index].step([], [], (state.seed, index))
    if step.stop_reason is not StopReason.CONTINUE:  # a pool with nothing to give: record an empty subtest
        return _end_subtest(battery, fresh, step.theta, step.se, step.stop_reason, now_ms, events)
    new, presented = present(battery, _present(fresh, step.next_item, 0), now_ms)
    events.append(presented)
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
    theta, se = _final_estimate(battery, state, (theta, se))
    used = time_used_ms(state, now_ms)
    limit = battery.subtests[index].time_allowed_s
    if stop_reason is StopReason.TIME_UP and limit is not None:
        used = min(used, round(limit * 1000) + state.extra_ms)  # noticed late (a timer's lag): record the limit
    record = SubtestRecord(state.items, state.responses, state.response_ms, theta, se, stop_reason, used)
    ended = replace(state, done=(*state.done, record), item_index=-1, **CLEARED)
    result = battery.result(index, theta, se, len(state.items), used / 1000, stop_reason)
    events.append(SubtestDone(now_ms, index, result))
    return _begin_subtest(battery, ended, index + 1, now_ms, events)
