"""The proctor's use cases: sign in to a room, see it, look at one session closely, command sessions.

The view of each session is :func:`cat_engine.view.session_view`, the one place it is computed; the snapshot, the
room's event stream (after every change) and ``GET /api/rooms/{id}`` all carry it. Commands go through the
transaction loop like the candidate's moves and are refused by the core's own guards.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from .. import codec
from .. import session as core
from ..battery import Battery
from ..errors import CatError, IllegalCommand
from ..events import Event
from ..pool import Pool
from ..response_time import TimeParams, expected_seconds
from ..session import Command, SessionState
from ..view import session_view
from . import audit, frames
from .auth import normalise_proctor_token
from .decoding import ProctorCommand, ProctorDetail, ProctorMessage, ProctorNote, RoomGate
from .store import RoomRecord, room_of
from .transaction import Change, Loaded, Transactions
from .wire_errors import Refusal

__all__ = ["ProctorCases", "RoomView"]

_DETAILS_KEPT = 2_000  # sessions whose last detail frame a process keeps (a few KB each)
_ANONYMOUS = b'{"type":"detail","id":null,'  # how a detail frame without a request id begins


@dataclass(frozen=True)
class RoomView:
    """A room and the summary of each of its sessions at one moment (``at_ms``)."""

    room: RoomRecord
    battery: Battery
    summaries: list[dict[str, Any]]
    at_ms: int

    def info(self) -> dict[str, Any]:
        return frames.room_info(self.room, self.battery)


class ProctorCases:
    """The proctor's moves over the transaction loop."""

    def __init__(self, tx: Transactions, lang: str = "id") -> None:
        self.tx = tx
        self.lang = lang
        # session id -> (stored version, its detail frame without a request id); least recently used first
        self._details: OrderedDict[str, tuple[int, bytes]] = OrderedDict()

    async def room_for_token(self, token: str) -> str:
        room_id = await self.tx.store.room_for_proctor_token(normalise_proctor_token(token))
        if room_id is None:
            raise Refusal("bad_token")
        return room_id

    async def room_view(self, room_id: str) -> RoomView:
        """The room with every session's summary now (``not_found`` when the room or its battery is gone)."""
        room = await self.tx.store.get_room(room_id)
        if room is None:
            raise Refusal("not_found", f"no room {room_id!r}")
        return await self._view_of(room)

    async def _view_of(self, room: RoomRecord) -> RoomView:
        battery = await self.tx.battery_of(room.room_id)
        records = await self.tx.store.load_room(room.room_id)
        now = self.tx.now_ms()
        summaries = [
            frames.session_summary(r.candidate, session_view(battery, codec.decode(battery, r.state), now))
            for r in records
        ]
        return RoomView(room, battery, summaries, now)

    async def snapshot(self, room_id: str) -> tuple[bytes, str]:
        """The proctor's snapshot frame and its ``last_event_id``; the events after that id follow it.

        The id is read before the sessions, so an event in between is in both (docs/protocol.md: apply events
        idempotently).
        """
        room = await self.tx.store.get_room(room_id)
        if room is None:
            raise Refusal("bad_token", "the room no longer exists")
        last = await self.tx.store.last_event_id(room_id)
        view = await self._view_of(room)
        return frames.snapshot_frame(view.info(), view.summaries, last, view.at_ms), last

    async def detail(self, room_id: str, request: ProctorDetail) -> bytes:
        """The ``detail`` frame: theta and SE after each answer, per subtest reached (docs/protocol.md), with each
        answer's response time and the session's flags (docs/protocol.md, "detail"); computed once per stored
        version of the session (:meth:`_detail_of`), so a repeated request costs a load (and, for a flagged session,
        a read of its audit when the version is new)."""
        if room_of(request.session_id) != room_id:
            raise Refusal("forbidden", "that session belongs to another room")
        try:
            loaded = await self.tx.load(request.session_id)
        except Refusal as refusal:
            raise Refusal("not_found", "the session does not exist or has expired") from refusal
        body = await self._detail_of(loaded)
        if request.request_id is None:
            return body
        return b'{"type":"detail","id":' + orjson.dumps(request.request_id) + b"," + body[len(_ANONYMOUS) :]

    async def _detail_of(self, loaded: Loaded) -> bytes:
        """The detail frame of a session without a request id, computed once per stored version.

        The frame is a function of the stored state (and of the room's battery, which never changes) and of the
        ``flag`` entries of the audit, which a commit writes with the state that lists their kinds; so a frame
        computed for a version is the frame of that version for as long as it is kept.
        """
        session_id, version = loaded.record.session_id, loaded.record.version
        kept = self._details.get(session_id)
        if kept is not None and kept[0] == version:
            self._details.move_to_end(session_id)
            return kept[1]
        battery, state = loaded.battery, loaded.state
        flags = _audit_flags(await self.tx.store.audit(session_id))  # room flags leave the state as it was
        plain = frames.detail_frame(battery, state, None, session_id, core.trajectory(battery, state))
        body = orjson.dumps(_with_times_and_flags(orjson.loads(plain), battery, state, flags))
        assert body.startswith(_ANONYMOUS)
        self._details[session_id] = (version, body)
        self._details.move_to_end(session_id)
        if len(self._details) > _DETAILS_KEPT:
            self._details.popitem(last=False)
        return body

    async def gate(self, room_id: str, gate: RoomGate) -> bytes:
        """Open or close the room (docs/protocol.md: ``open_room``, ``close_room``); the acknowledgement frame.

        The room event reaches every proctor of the room; each session of the room then hears of it, so a candidate
        waiting for the room gets the welcome at once. Running tests are never touched: closing only stops new
        starts.
        """
        room = await self.tx.store.get_room(room_id)
        if room is None:
            raise Refusal("not_found", f"no room {room_id!r}")
        if room.open == gate.open:  # opening an open room (or closing a closed one) changes nothing
            return frames.gate_ack_frame(gate.request_id, gate.open)
        if room.archived:
            raise Refusal("bad_command", f"room {room_id} is archived: it stays closed")
        now = self.tx.now_ms()
        event = frames.room_gate_event(gate.open, now)
        if not await self.tx.store.set_room_open(room_id, gate.open, event):
            raise Refusal("not_found", f"no room {room_id!r}")
        if gate.open:
            message = orjson.dumps({"kind": "room_opened"})
            for candidate in await self.tx.store.room_candidates(room_id):
                await self.tx.store.notify(candidate.session_id, message)
        return frames.gate_ack_frame(gate.request_id, gate.open)

    async def _targets(self, room_id: str, session_id: str | None) -> list[str]:
        """The sessions a command names: one of the room (``forbidden`` for another room's), or all of them."""
        if session_id is not None:
            if room_of(session_id) != room_id:
                raise Refusal("forbidden", "that session belongs to another room")
            return [session_id]
        return [c.session_id for c in await self.tx.store.room_candidates(room_id)]

    async def _each(
        self, targets: list[str], act: Callable[[str], Awaitable[dict[str, Any] | None]]
    ) -> list[dict[str, Any]]:
        """Apply ``act`` to each session; one acknowledgement result per session (a refusal reported, not raised;
        what ``act`` returns is added to its result)."""
        results: list[dict[str, Any]] = []
        for session_id in targets:
            try:
                extra = await act(session_id)
                results.append({"session_id": session_id, "ok": True, **(extra or {})})
            except Refusal as refusal:
                if refusal.code == "internal":
                    raise
                code = "not_found" if refusal.code == "bad_token" else refusal.code
                self.tx.metrics.error(code)
                message = Refusal(code).message(self.lang)
                results.append({"session_id": session_id, "ok": False, "code": code, "message": message})
        return results

    async def command(self, room_id: str, command: ProctorCommand) -> bytes:
        """Apply a proctor command to one session or the whole room; the acknowledgement frame."""
        targets = await self._targets(room_id, command.session_id)
        results = await self._each(targets, lambda session_id: self._command(session_id, command))
        return frames.ack_frame(command.request_id, command.command.value, results)

    async def note(self, room_id: str, note: ProctorNote) -> bytes:
        """Record an incident note on a session (kept in its state, its audit and the results); the ack."""

        async def act(session_id: str) -> None:
            async def step(loaded: Loaded) -> Change:
                now = self.tx.now_ms()
                try:
                    new, events = core.add_note(loaded.battery, loaded.state, note.text, now)
                except CatError as exc:
                    raise Refusal.of(exc) from exc
                return Change(new, events, [], [audit.note(now, new.notes[-1].text)])  # as kept: trimmed

            await self.tx.run(session_id, step)

        results = await self._each(await self._targets(room_id, note.session_id), act)
        return frames.ack_frame(note.request_id, "note", results)

    async def message(self, room_id: str, message: ProctorMessage) -> bytes:
        """Send a message to one candidate or the whole room: pushed to their open connections (shown until they
        dismiss it) and recorded in each session's audit; the ack."""
        now = self.tx.now_ms()
        note = orjson.dumps({"kind": "message", "text": message.text, "at_ms": now})

        async def act(session_id: str) -> dict[str, Any]:
            loaded = await self.tx.load(session_id)  # an unknown session is refused (not_found) before any write
            await self.tx.store.append_audit(session_id, audit.message(now, message.text))
            await self.tx.store.notify(session_id, note)
            return {"delivered": loaded.state.connected}  # a candidate not connected now does not see it

        results = await self._each(await self._targets(room_id, message.session_id), act)
        return frames.ack_frame(message.request_id, "message", results)

    async def _command(self, session_id: str, command: ProctorCommand) -> None:
        async def step(loaded: Loaded) -> Change:
            now = self.tx.now_ms()
            try:
                new, events = _transition(loaded, command, now)
            except CatError as exc:
                raise Refusal.of(exc) from exc
            entry = audit.proctor(now, command.command, command.reason, command.seconds)
            moved = command.command is Command.APPROVE_SEAT  # the old connection no longer owns the sitting
            return Change(new, events, [], [entry], owner="" if moved else None)

        done = await self.tx.run(session_id, step)
        assert isinstance(done.decision, Change)
        events = done.decision.events
        note: dict[str, Any] = {"kind": events[0].type if events else command.command.value}
        if command.command in (Command.APPROVE_SEAT, Command.DENY_SEAT):  # which device the decision is about
            note["device"] = done.before.state.seat_request
        elif command.command is Command.EXTEND:  # the candidate is told what changed
            note["extra_ms"] = done.state.extra_ms - done.before.state.extra_ms
        await self.tx.store.notify(session_id, orjson.dumps(note))


def _with_times_and_flags(
    frame: dict[str, Any], battery: Battery, state: SessionState, flags: list[dict[str, Any]]
) -> dict[str, Any]:
    r"""The detail frame with each point's ``response_ms`` and ``expected_ms`` and the session's ``flags``
    (docs/protocol.md, "detail").

    A point's ``expected_ms`` is its item's mean response time at average speed under the lognormal model,
    :math:`E[T] = \exp(\beta + 1/(2\alpha^2))` (van der Linden, 2006;
    :func:`cat_engine.response_time.expected_seconds` at :math:`\tau = 0`), null for an item without time
    parameters.
    """
    records = [(r.items, r.response_ms) for r in state.done] + [(state.items, state.response_ms)]
    for sub in frame["subtests"]:
        index = int(sub["index"])
        items, times = records[index]  # a subtest done, or the one under way (the last reached)
        expected = _expected_ms(battery.subtests[index].pool, items)
        for point in sub["points"]:
            k = int(point["position"]) - 1
            point["response_ms"] = times[k] if k < len(times) else None
            point["expected_ms"] = expected[k] if k < len(expected) else None
    frame["flags"] = flags
    return frame


def _expected_ms(pool: Pool, items: Sequence[int]) -> list[int | None]:
    """Each item's mean response time at average speed in whole ms (None: an item without time parameters)."""
    if not items:
        return []
    index = np.asarray(items, dtype=np.intp)
    timed = pool.timed[index]
    out: list[int | None] = [None] * len(items)
    if timed.any():
        seconds = expected_seconds(TimeParams(pool.time_beta[index[timed]], pool.time_alpha[index[timed]]))
        for k, s in zip(np.flatnonzero(timed).tolist(), seconds.tolist(), strict=True):
            out[k] = round(s * 1000) if math.isfinite(s) else None
    return out


def _audit_flags(entries: Sequence[tuple[str, bytes]]) -> list[dict[str, Any]]:
    """The flags a session's audit records (its ``flag`` entries, :func:`cat_engine.server.audit.flag`, and the
    room-level ``room_flag`` ones, :func:`cat_engine.server.audit.room_flag`), oldest first, in the fields of the
    ``flag`` event: kind, at_ms, statistic, subtest, responses (and ``sessions``, the group's others, for a room
    flag)."""
    out = []
    for _, raw in entries:
        if b'flag"' not in raw:  # most entries: no need to decode them
            continue
        entry = orjson.loads(raw)
        kind = entry.get("kind")
        if kind == "flag":
            out.append(
                {
                    "kind": entry["flag"],
                    "at_ms": entry["at_ms"],
                    "statistic": entry["statistic"],
                    "subtest": entry.get("subtest"),
                    "responses": entry.get("responses", []),
                }
            )
        elif kind == "room_flag":
            out.append(
                {
                    "kind": entry["flag"],
                    "at_ms": entry["at_ms"],
                    "statistic": entry["statistic"],
                    "subtest": None,
                    "responses": [],
                    "sessions": entry.get("sessions", []),
                }
            )
    return out


def _transition(loaded: Loaded, command: ProctorCommand, now_ms: int) -> tuple[SessionState, list[Event]]:
    battery, state = loaded.battery, loaded.state
    if command.command is Command.PAUSE:
        return core.pause(battery, state, now_ms, command.reason)
    if command.command is Command.RESUME:
        return core.resume(battery, state, now_ms)
    if command.command is Command.EXTEND:
        assert command.seconds is not None  # the decoder requires it
        return core.extend_time(battery, state, command.seconds, now_ms)
    if command.device is not None and command.device != state.seat_request:  # decided on an older request
        raise IllegalCommand("another computer's request is waiting now: look again before deciding")
    if command.command is Command.APPROVE_SEAT:
        return core.approve_seat(battery, state, now_ms)
    if command.command is Command.DENY_SEAT:
        return core.deny_seat(battery, state, now_ms)
    return core.terminate(battery, state, command.reason, now_ms)
