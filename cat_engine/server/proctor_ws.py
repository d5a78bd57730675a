"""The proctor WebSocket ``/ws/proctor``: a room's snapshot, then its event stream; commands in between.

Events come from the room's stream in the store, read from the id the proctor last saw, so a proctor who
reconnects with ``last_event_id`` misses nothing. Two tasks send on one socket (events and command acks); a lock
keeps their frames whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from . import frames
from .candidate_ws import CLOSE_HELLO_TIMEOUT, CLOSE_POLICY, CLOSE_TOO_LARGE, pump_frames, send_frame
from .hub import Hub
from .sessions import CLOSE_INTERNAL, Refused
from .store import StoreUnavailable

__all__ = ["proctor_endpoint"]

_log = logging.getLogger("cat_engine.server.proctor")
_BLOCK_MS = 5000


def event_frame(event_id: str, stored: bytes) -> bytes:
    """``{"type": "event", "id": ..., "session_id": ..., "event": ...}`` from a stored room event."""
    return b'{"type":"event","id":"' + event_id.encode() + b'",' + stored[1:]


class _Proctor:
    def __init__(self, ws: WebSocket, hub: Hub) -> None:
        self.ws = ws
        self.hub = hub
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.lock = asyncio.Lock()
        self.room_id: str | None = None
        self.events: asyncio.Task[None] | None = None

    async def send(self, frame: bytes) -> None:
        async with self.lock:
            await send_frame(self.ws, frame)

    async def fail(self, refused: Refused) -> bool:
        await self.send(self.hub.sessions.error(refused))
        if refused.close is not None:
            async with self.lock:
                await self.ws.close(refused.close, refused.code)
            return False
        return True

    async def stream(self, room_id: str, after: str) -> None:
        """Send every room event after ``after``, forever."""
        store = self.hub.store
        while True:
            try:
                rows = await store.read_events(room_id, after, _BLOCK_MS)
            except StoreUnavailable:
                await asyncio.sleep(1.0)  # resume from the same id once the store is back
                continue
            for event_id, stored in rows:
                await self.send(event_frame(event_id, stored))
                after = event_id

    async def serve(self) -> None:
        deadline = asyncio.get_running_loop().time() + self.hub.settings.hello_timeout_s
        while True:
            wait = None if self.room_id else max(deadline - asyncio.get_running_loop().time(), 0.0)
            try:
                entry = await asyncio.wait_for(self.queue.get(), wait)
            except TimeoutError:
                await self.fail(Refused("hello_timeout", close=CLOSE_HELLO_TIMEOUT))
                return
            if entry[0] == "closed":
                return
            if entry[0] == "flood":
                await self.fail(Refused("flood", close=CLOSE_POLICY))
                return
            if not await self._frame(entry[1]):
                return

    async def _frame(self, text: str | None) -> bool:
        sessions = self.hub.sessions
        try:
            if text is None:
                raise frames.ProtocolError("bad_message", "binary frames are not part of the protocol")
            msg = frames.decode_proctor(text, self.hub.settings.max_frame_bytes)
        except frames.ProtocolError as exc:
            close = CLOSE_TOO_LARGE if exc.code == "too_large" else None
            return await self.fail(Refused(exc.code, exc.message, close=close))
        try:
            if isinstance(msg, frames.Ping):
                await self.send(b'{"type":"pong"}')
            elif isinstance(msg, frames.Hello):
                if self.room_id is not None:
                    raise Refused("bad_message", "this connection already said hello")
                room_id = await sessions.proctor_room(msg.token)
                snapshot, last_id = await sessions.snapshot(room_id)
                self.room_id = room_id
                await self.send(snapshot)
                after = msg.last_event_id or last_id
                self.events = asyncio.create_task(self.stream(room_id, after))
            elif self.room_id is None:
                raise Refused("not_authenticated")
            else:
                await self.send(await sessions.proctor_command(self.room_id, msg))
        except Refused as refused:
            return await self.fail(refused)
        return True


async def proctor_endpoint(ws: WebSocket) -> None:
    hub: Hub = ws.app.state.hub
    await ws.accept()
    hub.metrics.connections["proctor"] += 1
    proctor = _Proctor(ws, hub)
    reader = asyncio.create_task(pump_frames(ws, hub, proctor.queue, "proctor"))
    try:
        await proctor.serve()
    except (WebSocketDisconnect, RuntimeError):
        pass
    except StoreUnavailable as exc:
        _log.warning("store unavailable: %s", exc)
        with contextlib.suppress(Exception):
            await proctor.fail(Refused("internal", "the store is unavailable", close=CLOSE_INTERNAL))
    except Exception:
        _log.exception("proctor connection failed")
        with contextlib.suppress(Exception):
            await proctor.fail(Refused("internal", close=CLOSE_INTERNAL))
    finally:
        hub.metrics.connections["proctor"] -= 1
        for task in (reader, proctor.events):
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        if ws.client_state is not WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):
                await ws.close()
