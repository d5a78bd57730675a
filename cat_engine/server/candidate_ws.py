"""The candidate WebSocket ``/ws/candidate``: the I/O pump around :class:`~.candidate.CandidateCases`.

The reader handles the candidate's frames; the serving loop handles store notifications (proctor commands,
takeovers) and the subtest's timer. Each move holds the connection's turn, so they never interleave.

A candidate token has at most ``max_session_connections`` open connections on a process, counted by the normalised
token from its ``hello`` (before the session is taken over) until the connection ends: a reload (the old socket
not yet closed) and a takeover from another computer (the old socket open until the takeover notification closes
it) each need two. A connection taken over on the same process is told at once (besides the store's notification,
which a room's subscription just starting may miss), so it closes and frees its place. A finished session's
connection gets its final state, then closes with 1000 ``finished``. While the process drains for a restart, a
connection is closed with ``restarting`` (1012) after its move under way (:mod:`.draining`): the page reconnects to
another process and resends a pending answer.

A link that died without a close (a cable pulled, a frozen router) sends nothing: a connection that has said hello
and then sent no frame for ``idle_disconnect_s`` (the page pings every few seconds when quiet) is closed with
``idle`` (4010), so the session shows disconnected to the proctor and its clock stops, as on any close.
"""

from __future__ import annotations

import secrets
import time

import orjson
from starlette.websockets import WebSocket

from . import decoding, frames
from .auth import normalise_candidate_token
from .candidate import Outcome
from .connection import Connection
from .hub import Hub
from .store import room_of
from .wire_errors import Refusal

__all__ = ["candidate_endpoint"]

_OWNER_CHANGED = b'{"kind":"hello"}'  # a local notification: another connection of the session said hello


class _Candidate(Connection):
    kind = "candidate"

    def __init__(self, ws: WebSocket, hub: Hub) -> None:
        super().__init__(ws, hub)
        self.conn = f"{hub.process_id}/{secrets.token_hex(6)}"
        self.session_id: str | None = None
        self.deadline_ms: int | None = None
        self.token = ""  # the normalised token of the hello
        self.device: str | None = None  # the device id of the hello
        self.pending = False  # waiting for a proctor to approve a move to this device (docs/protocol.md, Seats)

    async def deliver(self, outcome: Outcome) -> bool:
        """Send the outcome's frames; then close (1000, ``finished``) when it ends the connection. Returns whether
        the connection goes on."""
        for frame in outcome.frames:
            await self.send(frame)
        if outcome.end:
            await self.close(1000, "finished")
            return False
        if outcome.deadline_ms != self.deadline_ms:
            self.deadline_ms = outcome.deadline_ms
            self.queue.put_nowait(("rearm",))  # the serving loop sets its timer again
        return True

    async def serve(self) -> None:
        candidates = self.hub.candidates
        hello_by = time.monotonic() + self.hub.settings.hello_timeout_s
        idle_s = self.hub.settings.idle_disconnect_s
        while True:
            if self.session_id is None:
                wait: float | None = max(hello_by - time.monotonic(), 0.0)
            else:  # the link is taken for dead once the client has been silent for idle_s
                wait = max(self.last_rx + idle_s - time.monotonic(), 0.0)
                if self.deadline_ms is not None:  # the clock runs out (or the intro ends) then: wake a little after
                    wait = min(wait, max((self.deadline_ms - self.hub.tx.now_ms()) / 1000 + 0.05, 0.0))
            entry = await self.next_entry(wait)
            if entry is not None and entry[0] in ("closed", "flood"):
                return
            async with self.turn:
                if await self.drained():
                    return
                if entry is None:
                    if self.session_id is None:
                        await self.fail(Refusal("hello_timeout"))
                        return
                    if time.monotonic() - self.last_rx >= idle_s:
                        await self.fail(Refusal("idle"))
                        return
                    # the clock ran out or the intro ended (else the idle timer woke on a link that spoke since:
                    # nothing is due, and a tick would only load the session to find that)
                    due = self.deadline_ms is not None and self.hub.tx.now_ms() >= self.deadline_ms
                    if due and not await self.deliver(await candidates.tick(self.session_id, self.conn)):
                        return
                elif entry[0] == "notify" and not await self._notified(entry[1]):
                    return

    async def _notified(self, message: bytes) -> bool:
        assert self.session_id is not None
        note = orjson.loads(message)
        kind = note.get("kind")
        try:
            if self.pending:
                return await self._decided(kind, note.get("device"))
            if kind == "takeover":
                if note.get("owner") != self.conn:
                    raise Refusal("taken_over")
                return True
            if kind == "message":
                await self.send(frames.message_frame(str(note.get("text", "")), int(note.get("at_ms", 0))))
                return True
            extra = int(note.get("extra_ms", 0))
            return await self.deliver(await self.hub.candidates.refresh(self.session_id, self.conn, kind, extra))
        except Refusal as refusal:
            return await self.fail(refusal)

    async def _decided(self, kind: str | None, device: str | None) -> bool:
        """A connection waiting for approval hears the proctor's decision: approved for this device, it says hello
        again and takes the sitting; denied (or another device approved), it is closed ``seat_denied``."""
        assert self.session_id is not None
        mine = device == ("" if self.device is None else self.device)
        if kind == "seat_approved" and mine:
            sid, outcome = await self.hub.candidates.hello(self.token, self.conn, self.device)
            self.pending = outcome.pending
            if not self.pending:
                self.hub.tell_others(sid, self.queue, _OWNER_CHANGED)
            return await self.deliver(outcome)
        if (kind == "seat_denied" and mine) or (kind == "seat_approved" and not mine):
            return await self.fail(Refusal("seat_denied"))
        if kind == "terminated":  # the sitting ended while this computer waited: nothing left to move
            return await self.fail(Refusal("terminated"))
        return True

    async def on_frame(self, text: str | None, received_at: float) -> bool:
        candidates = self.hub.candidates
        try:
            msg = self.decode(text, decoding.decode_candidate)
            if isinstance(msg, decoding.Ping):
                await self.send(frames.PONG)
            elif isinstance(msg, decoding.Hello):
                if self.session_id is not None:
                    raise Refusal("bad_message", "this connection already said hello")
                token = normalise_candidate_token(msg.token)
                sid, outcome = await self.authenticate(
                    self.hub.limits.sessions, token, lambda: candidates.hello(token, self.conn, msg.device)
                )
                if not outcome.end:  # a finished session's connection only gets its final state
                    self.session_id, self.token, self.device, self.pending = sid, token, msg.device, outcome.pending
                    self.hub.attach(sid, self.queue)  # hears takeovers and proctor commands from any process
                    # this process's older connections of the session check who owns it now, and close if taken
                    # over, without waiting for the store's notification (a connection waiting for approval owns
                    # nothing yet)
                    if not outcome.pending:
                        self.hub.tell_others(sid, self.queue, _OWNER_CHANGED)
                return await self.deliver(outcome)
            elif self.session_id is None:
                raise Refusal("not_authenticated")
            elif self.pending:  # nothing but pings until the proctor decides: the waiting frame again
                await self.send(frames.waiting_frame("approval"))
            elif isinstance(msg, decoding.Start):
                return await self.deliver(await candidates.start(self.session_id, self.conn, msg.subtest))
            else:
                outcome = await candidates.answer(self.session_id, self.conn, msg.seq, msg.response)
                going_on = await self.deliver(outcome)
                if outcome.applied:  # from the frame read off the socket to its reply sent
                    self.hub.metrics.observe_answer(time.perf_counter() - received_at, room_of(self.session_id))
                return going_on
        except Refusal as refusal:
            return await self.fail(refusal)
        return True

    async def closing(self) -> None:
        if self.session_id is not None:
            self.hub.detach(self.session_id, self.queue)
            await self.hub.candidates.goodbye(self.session_id, self.conn)


async def candidate_endpoint(ws: WebSocket) -> None:
    await _Candidate(ws, ws.app.state.hub).run()
