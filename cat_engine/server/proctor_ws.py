"""The proctor WebSocket ``/ws/proctor``: a room's snapshot, then its event stream; commands in between.

Events come from the room's stream in the store, read from the id the proctor last saw, so a proctor who
reconnects with ``last_event_id`` misses nothing. A background task sends them; the serving loop answers commands.

A proctor token has at most ``max_proctor_connections`` open connections on a process, and its ``detail`` frames
and commands, over all of them, are a token bucket of the process (``proctor_burst``, ``proctor_rate``): beyond
it the frame is answered ``rate_limited`` and nothing is done (for a command: that error, no ``ack``).

While the process drains for a restart, a console is closed with ``restarting`` (1012) after the command under way,
if any, has its ``ack`` (:mod:`.draining`); it reconnects with the last event id it saw and misses nothing.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.websockets import WebSocket, WebSocketDisconnect

from . import decoding, frames, tasks
from .auth import normalise_proctor_token
from .connection import Connection
from .hub import Hub
from .store import StoreUnavailable
from .wire_errors import Refusal

__all__ = ["proctor_endpoint"]

_BLOCK_MS = 5000


class _Proctor(Connection):
    kind = "proctor"

    def __init__(self, ws: WebSocket, hub: Hub) -> None:
        super().__init__(ws, hub)
        self.room_id: str | None = None
        self.token = ""  # the proctor token of the hello, once it succeeded
        self.events: asyncio.Task[None] | None = None

    async def stream(self, room_id: str, after: str, batch: bool) -> None:
        """Send every room event after ``after``, forever: one ``event`` frame each, or, when ``batch``, one
        ``events`` frame per read with reads at least ``proctor_batch_ms`` apart, so a busy room costs one read and
        one frame per interval instead of two of each per answer.

        It never dies silently: while the store is unavailable it waits and reads again from the last id sent; any
        other failure is logged and closes the socket (``internal``), so the console reconnects with its last id.
        """
        try:
            await self._stream(room_id, after, batch)
        except asyncio.CancelledError:
            raise
        except (WebSocketDisconnect, RuntimeError):
            return  # the console went away while an event was being sent: nothing to tell anyone
        except Exception:
            self._log.exception("proctor event stream of room %s failed", room_id)
            with contextlib.suppress(Exception):
                await self.fail(Refusal("internal", "the room's event stream stopped"))

    async def _stream(self, room_id: str, after: str, batch: bool) -> None:
        store = self.hub.store
        pause_s = self.hub.settings.proctor_batch_ms / 1000 if batch else 0.0
        while not tasks.cancel_requested():
            try:
                rows = await store.read_events(room_id, after, _BLOCK_MS)
            except StoreUnavailable:
                await asyncio.sleep(1.0)  # resume from the same id once the store is back
                continue
            if not rows:
                continue
            if batch:
                await self.send(frames.events_frame(rows))
                after = rows[-1][0]
                await asyncio.sleep(pause_s)
                continue
            for event_id, stored in rows:
                await self.send(frames.event_frame(event_id, stored))
                after = event_id

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        hello_by = loop.time() + self.hub.settings.hello_timeout_s
        while True:
            entry = await self.next_entry(None if self.room_id else max(hello_by - loop.time(), 0.0))
            if entry is not None:
                return  # closed or flooded: the reader has stopped
            async with self.turn:  # a hello being handled right now counts
                if await self.drained():
                    return
                if self.room_id is None:
                    await self.fail(Refusal("hello_timeout"))
                    return

    async def on_frame(self, text: str | None, received_at: float) -> bool:
        proctors = self.hub.proctors
        try:
            msg = self.decode(text, decoding.decode_proctor)
            if isinstance(msg, decoding.Ping):
                await self.send(frames.PONG)
            elif isinstance(msg, decoding.Hello):
                if self.room_id is not None:
                    raise Refusal("bad_message", "this connection already said hello")
                token = normalise_proctor_token(msg.token)
                room_id, snapshot, last_id = await self.authenticate(
                    self.hub.limits.proctors, token, lambda: self._hello(token)
                )
                self.room_id, self.token = room_id, token
                await self.send(snapshot)
                self.events = asyncio.create_task(self.stream(room_id, msg.last_event_id or last_id, msg.batch))
            elif self.room_id is None:
                raise Refusal("not_authenticated")
            else:
                limits = self.hub.limits
                wait = limits.proctor_moves.take(self.token, limits.clock())
                if wait is not None:  # the error names the request it refuses, as an ack or a detail would
                    echo = {} if msg.request_id is None else {"id": msg.request_id}
                    raise Refusal("rate_limited", "too many details and commands", retry_after_ms=wait, **echo)
                if isinstance(msg, decoding.ProctorDetail):
                    await self.send(await proctors.detail(self.room_id, msg))
                elif isinstance(msg, decoding.RoomGate):
                    await self.send(await proctors.gate(self.room_id, msg))
                elif isinstance(msg, decoding.ProctorNote):
                    await self.send(await proctors.note(self.room_id, msg))
                elif isinstance(msg, decoding.ProctorMessage):
                    await self.send(await proctors.message(self.room_id, msg))
                else:
                    await self.send(await proctors.command(self.room_id, msg))
                await asyncio.sleep(0)  # a burst of them read at once still lets candidates' moves in between
        except Refusal as refusal:
            return await self.fail(refusal)
        return True

    async def _hello(self, token: str) -> tuple[str, bytes, str]:
        room_id = await self.hub.proctors.room_for_token(token)
        snapshot, last_id = await self.hub.proctors.snapshot(room_id)
        return room_id, snapshot, last_id

    async def closing(self) -> None:
        if self.events is not None:
            await tasks.stop(self.events)


async def proctor_endpoint(ws: WebSocket) -> None:
    await _Proctor(ws, ws.app.state.hub).run()
