"""The proctor WebSocket ``/ws/proctor``: a room's snapshot, then its event stream; commands in between.

Events come from the room's stream in the store, read from the id the proctor last saw, so a proctor who
reconnects with ``last_event_id`` misses nothing. A background task sends them; the serving loop answers commands.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.websockets import WebSocket

from . import frames
from .connection import CLOSE_HELLO_TIMEOUT, Connection
from .hub import Hub
from .sessions import Refused
from .store import StoreUnavailable

__all__ = ["event_frame", "events_frame", "proctor_endpoint"]

_BLOCK_MS = 5000


def event_frame(event_id: str, stored: bytes) -> bytes:
    """``{"type": "event", "id": ..., "session_id": ..., "event": ...}`` from a stored room event."""
    return b'{"type":"event","id":"' + event_id.encode() + b'",' + stored[1:]


def events_frame(rows: list[tuple[str, bytes]]) -> bytes:
    """``{"type": "events", "events": [...]}``: several room events, each as an ``event`` frame without its type."""
    return b'{"type":"events","events":[' + b",".join(b'{"id":"' + i.encode() + b'",' + e[1:] for i, e in rows) + b"]}"


class _Proctor(Connection):
    kind = "proctor"

    def __init__(self, ws: WebSocket, hub: Hub) -> None:
        super().__init__(ws, hub)
        self.room_id: str | None = None
        self.events: asyncio.Task[None] | None = None

    async def stream(self, room_id: str, after: str, batch: bool) -> None:
        """Send every room event after ``after``, forever: one ``event`` frame each, or, when ``batch``, one
        ``events`` frame per read with reads at least ``proctor_batch_ms`` apart, so a busy room costs one read and
        one frame per interval instead of two of each per answer."""
        store = self.hub.store
        pause_s = self.hub.settings.proctor_batch_ms / 1000 if batch else 0.0
        while True:
            try:
                rows = await store.read_events(room_id, after, _BLOCK_MS)
            except StoreUnavailable:
                await asyncio.sleep(1.0)  # resume from the same id once the store is back
                continue
            if not rows:
                continue
            if batch:
                await self.send(events_frame(rows))
                after = rows[-1][0]
                await asyncio.sleep(pause_s)
                continue
            for event_id, stored in rows:
                await self.send(event_frame(event_id, stored))
                after = event_id

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        hello_by = loop.time() + self.hub.settings.hello_timeout_s
        while True:
            entry = await self.next_entry(None if self.room_id else max(hello_by - loop.time(), 0.0))
            if entry is not None:
                return  # closed or flooded: the reader has stopped
            async with self.turn:  # a hello being handled right now counts
                if self.room_id is None:
                    await self.fail(Refused("hello_timeout", close=CLOSE_HELLO_TIMEOUT))
                    return

    async def on_frame(self, text: str | None) -> bool:
        sessions = self.hub.sessions
        try:
            msg = self.decode(text, frames.decode_proctor)
            if isinstance(msg, frames.Ping):
                await self.send(b'{"type":"pong"}')
            elif isinstance(msg, frames.Hello):
                if self.room_id is not None:
                    raise Refused("bad_message", "this connection already said hello")
                room_id = await sessions.proctor_room(msg.token)
                snapshot, last_id = await sessions.snapshot(room_id)
                self.room_id = room_id
                await self.send(snapshot)
                self.events = asyncio.create_task(self.stream(room_id, msg.last_event_id or last_id, msg.batch))
            elif self.room_id is None:
                raise Refused("not_authenticated")
            elif isinstance(msg, frames.ProctorDetail):
                await self.send(await sessions.proctor_detail(self.room_id, msg))
            else:
                await self.send(await sessions.proctor_command(self.room_id, msg))
        except Refused as refused:
            return await self.fail(refused)
        return True

    async def closing(self) -> None:
        if self.events is not None:
            self.events.cancel()
            with contextlib.suppress(BaseException):
                await self.events


async def proctor_endpoint(ws: WebSocket) -> None:
    await _Proctor(ws, ws.app.state.hub).run()
