"""The proctor's use cases: sign in to a room, see it, look at one session closely, command sessions.

The view of each session is :func:`cat_engine.view.session_view`, the one place it is computed; the snapshot, the
room's event stream (after every change) and ``GET /api/rooms/{id}`` all carry it. Commands go through the
transaction loop like the candidate's moves and are refused by the core's own guards.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson

from .. import codec
from .. import session as core
from ..battery import Battery
from ..errors import CatError
from ..events import Event
from ..session import Command, SessionState
from ..view import session_view
from . import audit, frames
from .decoding import ProctorCommand, ProctorDetail
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
        return frames.room_info(self.room.room_id, self.room.name, self.battery)


class ProctorCases:
    """The proctor's moves over the transaction loop."""

    def __init__(self, tx: Transactions, lang: str = "id") -> None:
        self.tx = tx
        self.lang = lang
        # session id -> (stored version, its detail frame without a request id); least recently used first
        self._details: OrderedDict[str, tuple[int, bytes]] = OrderedDict()

    async def room_for_token(self, token: str) -> str:
        room_id = await self.tx.store.room_for_proctor_token(token)
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
        """The ``detail`` frame: theta and SE after each answer, per subtest reached (docs/protocol.md); computed
        once per stored version of the session (:meth:`_detail_of`), so a repeated request costs a load."""
        if room_of(request.session_id) != room_id:
            raise Refusal("forbidden", "that session belongs to another room")
        try:
            loaded = await self.tx.load(request.session_id)
        except Refusal as refusal:
            raise Refusal("not_found", "the session does not exist or has expired") from refusal
        body = self._detail_of(loaded)
        if request.request_id is None:
            return body
        return b'{"type":"detail","id":' + orjson.dumps(request.request_id) + b"," + body[len(_ANONYMOUS) :]

    def _detail_of(self, loaded: Loaded) -> bytes:
        """The detail frame of a session without a request id, computed once per stored version.

        The frame is a function of the stored state alone (and of the room's battery, which never changes), so a
        frame computed for a version is the frame of that version for as long as it is kept.
        """
        session_id, version = loaded.record.session_id, loaded.record.version
        kept = self._details.get(session_id)
        if kept is not None and kept[0] == version:
            self._details.move_to_end(session_id)
            return kept[1]
        battery, state = loaded.battery, loaded.state
        body = frames.detail_frame(battery, state, None, session_id, core.trajectory(battery, state))
        assert body.startswith(_ANONYMOUS)
        self._details[session_id] = (version, body)
        self._details.move_to_end(session_id)
        if len(self._details) > _DETAILS_KEPT:
            self._details.popitem(last=False)
        return body

    async def command(self, room_id: str, command: ProctorCommand) -> bytes:
        """Apply a proctor command to one session or the whole room; the acknowledgement frame."""
        if command.session_id is not None:
            if room_of(command.session_id) != room_id:
                raise Refusal("forbidden", "that session belongs to another room")
            targets = [command.session_id]
        else:
            targets = [c.session_id for c in await self.tx.store.room_candidates(room_id)]
        results = []
        for session_id in targets:
            try:
                await self._command(session_id, command)
                results.append({"session_id": session_id, "ok": True})
            except Refusal as refusal:
                if refusal.code == "internal":
                    raise
                code = "not_found" if refusal.code == "bad_token" else refusal.code
                self.tx.metrics.error(code)
                message = Refusal(code).message(self.lang)
                results.append({"session_id": session_id, "ok": False, "code": code, "message": message})
        return frames.ack_frame(command.request_id, command.command, results)

    async def _command(self, session_id: str, command: ProctorCommand) -> None:
        async def step(loaded: Loaded) -> Change:
            now = self.tx.now_ms()
            try:
                new, events = _transition(loaded, command, now)
            except CatError as exc:
                raise Refusal.of(exc) from exc
            entry = audit.proctor(now, command.command, command.reason, command.seconds)
            return Change(new, events, [], [entry])

        done = await self.tx.run(session_id, step)
        assert isinstance(done.decision, Change)
        events = done.decision.events
        kind = events[0].type if events else command.command.value
        await self.tx.store.notify(session_id, orjson.dumps({"kind": kind}))


def _transition(loaded: Loaded, command: ProctorCommand, now_ms: int) -> tuple[SessionState, list[Event]]:
    battery, state = loaded.battery, loaded.state
    if command.command is Command.PAUSE:
        return core.pause(battery, state, now_ms, command.reason)
    if command.command is Command.RESUME:
        return core.resume(battery, state, now_ms)
    if command.command is Command.EXTEND:
        assert command.seconds is not None  # the decoder requires it
        return core.extend_time(battery, state, command.seconds, now_ms)
    return core.terminate(battery, state, command.reason, now_ms)
