"""What the audit log records: one entry per frame that reached a session, per item presented, and per connection
lost while the clock depended on it.

The entries are JSON objects with ``kind`` and ``at_ms`` (server time); their fields are the table "Audit entries"
of docs/protocol.md. An answer's ``response`` is the frame's (a display position); ``presented`` records the order
the options were shown in, and an applied answer the stored ``option`` it chose. Frames refused with an error
record nothing (they change nothing stored); pings are not recorded.

The audit is what ``cat-verify`` replays (:mod:`cat_engine.verify`): every input of the session's transitions is in
it with the ``now_ms`` it was applied at: the frames, the proctors' commands and notes, the intros that ended by
themselves, and the connection losses (``disconnected``, :func:`derived`) that stop the clock, except those another
entry already implies (a takeover by a live process at the ``hello``'s own time, a proctor's approved move). The
integrity flags a change raised (``flag``, :func:`derived`) are recorded too, so that the replay checks it raises the
same ones at the same step; a room-level flag (``room_flag``: one operator for several seats, seats in lockstep)
is recorded in each of its sessions and changes nothing in the replay. The store chains the entries
(:mod:`cat_engine.signing`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson

from ..battery import Battery
from ..events import Connected, Disconnected, Event, Flagged, ItemPresented, PretestPresented, SeatApproved
from ..options import item_option_order
from ..session import Command, Phase, SessionState

__all__ = [
    "answer",
    "derived",
    "disconnected",
    "flag",
    "hello",
    "intro_ended",
    "message",
    "note",
    "presented",
    "proctor",
    "room_flag",
    "start",
]


def hello(at_ms: int, conn: str, device: str | None = None, *, outcome: str = "") -> bytes:
    """A candidate connection authenticated, from ``device`` (the page's id of its computer, when it sent one;
    ``outcome`` ``finished`` when the battery was already over)."""
    entry: dict[str, object] = {"kind": "hello", "at_ms": at_ms, "conn": conn}
    if device is not None:
        entry["device"] = device
    if outcome:
        entry["outcome"] = outcome
    return orjson.dumps(entry)


def start(at_ms: int, conn: str, subtest: int | None, *, outcome: str = "") -> bytes:
    """A candidate's ``start``: the battery begun (``subtest`` None) or subtest ``subtest`` begun; ``outcome``
    ``ignored`` (nothing waited for it), ``room_closed`` or ``finished`` when it changed nothing."""
    entry: dict[str, object] = {"kind": "start", "at_ms": at_ms, "conn": conn, "subtest": subtest}
    if outcome:
        entry["outcome"] = outcome
    return orjson.dumps(entry)


def intro_ended(at_ms: int, subtest: int) -> bytes:
    """A subtest's intro ran out without a ``start``: the server began the subtest itself."""
    return orjson.dumps({"kind": "intro_ended", "at_ms": at_ms, "subtest": subtest})


def answer(
    at_ms: int,
    conn: str,
    seq: int,
    response: int,
    *,
    item_id: str | None = None,
    response_ms: int | None = None,
    option: int | None = None,
    outcome: str = "",
) -> bytes:
    """An answer frame: applied (with ``item_id``, ``response_ms`` and ``option``), late (``outcome``
    ``time_up``) or a resend of an applied answer (``outcome`` ``duplicate``).

    ``response`` is the frame's, a display position; ``option`` the stored option index it chose."""
    entry: dict[str, object] = {"kind": "answer", "at_ms": at_ms, "conn": conn, "seq": seq, "response": response}
    if item_id is not None:
        entry["item_id"] = item_id
    if response_ms is not None:
        entry["response_ms"] = response_ms
    if option is not None:
        entry["option"] = option
    if outcome:
        entry["outcome"] = outcome
    return orjson.dumps(entry)


def proctor(at_ms: int, command: Command, reason: str, seconds: float | None) -> bytes:
    """A proctor command applied to the session."""
    entry: dict[str, object] = {"kind": "proctor", "at_ms": at_ms, "command": command.value, "reason": reason}
    if seconds is not None:
        entry["seconds"] = seconds
    return orjson.dumps(entry)


def note(at_ms: int, text: str) -> bytes:
    """A proctor's incident note on the session."""
    return orjson.dumps({"kind": "note", "at_ms": at_ms, "text": text})


def message(at_ms: int, text: str) -> bytes:
    """A proctor's message sent to the candidate (pushed to their open connection, if any)."""
    return orjson.dumps({"kind": "message", "at_ms": at_ms, "text": text})


def disconnected(at_ms: int, *, stopped_ms: int | None = None) -> bytes:
    """The candidate's connection was lost at ``at_ms``: the clock stopped. With ``stopped_ms``: a new connection
    took the sitting over at ``at_ms`` (its ``hello`` is recorded just before) from one whose server process had
    died, and that connection's clock stopped earlier, at ``stopped_ms`` (the process's last heartbeat)."""
    entry: dict[str, object] = {"kind": "disconnected", "at_ms": at_ms}
    if stopped_ms is not None:
        entry["stopped_ms"] = stopped_ms
    return orjson.dumps(entry)


def flag(e: Flagged) -> bytes:
    """An integrity flag raised for the first time in the session: ``flag`` its kind, with the statistic, the
    subtest (a change's first subtest after it, else null) and the ``[subtest, position]`` of the responses it rests
    on (the ``flag`` room event's fields, the kind named ``flag``)."""
    wire = e.to_dict()
    entry = {"kind": "flag", "at_ms": e.at_ms, "flag": e.kind, "statistic": wire["statistic"]}
    return orjson.dumps({**entry, "subtest": e.subtest_index, "responses": wire["responses"]})


def room_flag(at_ms: int, kind: str, statistic: Mapping[str, object], sessions: Sequence[str]) -> bytes:
    """A room-level integrity flag the session is in (:mod:`.room_watch`): ``flag`` its kind (``operator``,
    ``lockstep``), the group's ``statistic`` and the group's other ``sessions``. It rests on the timing of several
    sessions, not on this one's answers alone, so the replay takes it as it is: it changes nothing."""
    entry = {"kind": "room_flag", "at_ms": at_ms, "flag": kind, "statistic": dict(statistic)}
    return orjson.dumps({**entry, "sessions": list(sessions)})


def presented(battery: Battery, seed: int, events: Sequence[Event]) -> list[bytes]:
    """One entry per item the events presented, naming the subtest and the item by id, with the order its options
    were shown in to the session of ``seed``: ``option_order[p]`` is the stored index of the option at display
    position ``p`` (:mod:`cat_engine.options`), and the operational interim estimate at that moment, ``theta`` and
    ``se`` as the session state holds them (null before the subtest's first answer); a pretest item's entry adds
    ``"pretest": true`` (its ``item_id`` is of the subtest's pretest pool)."""
    return [_presented(battery, seed, e) for e in events if isinstance(e, ItemPresented)]


def derived(battery: Battery, state: SessionState, events: Sequence[Event]) -> list[bytes]:
    """The entries a change's core events leave after the change's own, in the events' order; ``state`` is the
    session after the change.

    One :func:`presented` entry per item presented, one :func:`flag` per integrity flag raised, and one
    :func:`disconnected` per connection lost while the session is not over, unless another entry implies it: a
    proctor's approved move disconnects by itself (after :class:`~cat_engine.events.SeatApproved`), and a takeover
    whose clock stopped at the ``hello``'s own time (the :class:`~cat_engine.events.Connected` right after it has
    the same time) is the ``hello`` itself. A connection lost once the session is over changes nothing a replay
    needs.
    """
    over = state.phase in (Phase.FINISHED, Phase.TERMINATED)
    out = []
    for k, e in enumerate(events):
        if isinstance(e, ItemPresented):
            out.append(_presented(battery, state.seed, e))
        elif isinstance(e, Flagged):
            out.append(flag(e))
        elif isinstance(e, Disconnected) and not over:
            if any(isinstance(before, SeatApproved) for before in events[:k]):
                continue
            after = events[k + 1] if k + 1 < len(events) else None
            if isinstance(after, Connected):
                if after.at_ms != e.at_ms:
                    out.append(disconnected(after.at_ms, stopped_ms=e.at_ms))
                continue
            out.append(disconnected(e.at_ms))
    return out


def _presented(battery: Battery, seed: int, e: ItemPresented) -> bytes:
    sub = battery.subtests[e.subtest_index]
    pretest = isinstance(e, PretestPresented) and sub.pretest is not None
    pool = sub.pretest.pool if isinstance(e, PretestPresented) and sub.pretest is not None else sub.pool
    order = item_option_order(pool, seed, e.subtest_index, e.item_index, pretest=pretest)
    entry: dict[str, object] = {"kind": "presented", "at_ms": e.at_ms, "seq": e.seq, "subtest": sub.id}
    entry.update(item_id=pool.items[e.item_index].id, option_order=order, theta=e.theta, se=e.se)
    if pretest:
        entry["pretest"] = True
    return orjson.dumps(entry)
