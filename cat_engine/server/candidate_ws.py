"""The candidate WebSocket ``/ws/candidate``: the I/O pump around :class:`~.sessions.Sessions`.

One task reads frames (and enforces the flood limit) into a queue; the serving loop takes frames, store
notifications and the subtest timer from that queue one at a time, so a connection's moves never interleave.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from . import frames
from .auth import normalise_candidate_token
from .hub import Hub, TokenBucket
from .sessions import CLOSE_INTERNAL, Outcome, Refused
from .store import StoreUnavailable

__all__ = ["candidate_endpoint", "pump_frames", "send_frame"]

_log = logging.getLogger("cat_engine.server.candidate")
CLOSE_TOO_LARGE = 1009
CLOSE_POLICY = 1008
CLOSE_HELLO_TIMEOUT = 4008


async def send_frame(ws: WebSocket, frame: bytes) -> None:
    await ws.send({"type": "websocket.send", "text": frame.decode()})


async def pump_frames(ws: WebSocket, hub: Hub, queue: asyncio.Queue[Any], kind: str) -> None:
    """Read client frames into ``queue`` until the socket closes or the client floods."""
    bucket = TokenBucket(hub.settings.flood_burst, hub.settings.flood_rate, time.monotonic())
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            queue.put_nowait(("closed", None))
            return
        hub.metrics.frames[kind] += 1
        if not bucket.take(time.monotonic()):
            queue.put_nowait(("flood", None))
            return
        queue.put_nowait(("frame", message.get("text"), message.get("bytes")))


class _Candidate:
    def __init__(self, ws: WebSocket, hub: Hub) -> None:
        self.ws = ws
        self.hub = hub
        self.conn = f"{hub.process_id}/{secrets.token_hex(6)}"
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.session_id: str | None = None
        self.deadline_ms: int | None = None

    async def send(self, frame: bytes) -> None:
        await send_frame(self.ws, frame)

    async def fail(self, refused: Refused) -> bool:
        """Send the error; close when the code says so. Returns whether the connection goes on."""
        await self.send(self.hub.sessions.error(refused))
        if refused.close is not None:
            await self.ws.close(refused.close, refused.code)
            return False
        return True

    async def deliver(self, outcome: Outcome) -> None:
        for frame in outcome.frames:
            await self.send(frame)
        self.deadline_ms = outcome.deadline_ms

    def _wait_s(self) -> float | None:
        if self.session_id is None:
            return self.hub.settings.hello_timeout_s
        if self.deadline_ms is None:
            return None
        return max((self.deadline_ms - self.hub.sessions.now_ms()) / 1000 + 0.05, 0.0)

    async def serve(self) -> None:
        sessions = self.hub.sessions
        hello_by = time.monotonic() + self.hub.settings.hello_timeout_s
        while True:
            wait = self._wait_s()
            if self.session_id is None:
                wait = max(hello_by - time.monotonic(), 0.0)
            try:
                entry = await asyncio.wait_for(self.queue.get(), wait)
            except TimeoutError:
                if self.session_id is None:
                    await self.fail(Refused("hello_timeout", close=CLOSE_HELLO_TIMEOUT))
                    return
                await self.deliver(await sessions.candidate_tick(self.session_id, self.conn))
                continue
            kind = entry[0]
            if kind == "closed":
                return
            if kind == "flood":
                await self.fail(Refused("flood", close=CLOSE_POLICY))
                return
            if kind == "notify":
                if not await self._notified(entry[1]):
                    return
                continue
            if not await self._frame(entry[1], entry[2]):
                return

    async def _notified(self, message: bytes) -> bool:
        assert self.session_id is not None
        note = orjson.loads(message)
        if note.get("kind") == "takeover":
            if note.get("owner") == self.conn:
                return True
            return await self.fail(Refused("taken_over"))
        try:
            await self.deliver(await self.hub.sessions.candidate_refresh(self.session_id, self.conn, note.get("kind")))
        except Refused as refused:
            return await self.fail(refused)
        return True

    async def _frame(self, text: str | None, data: bytes | None) -> bool:
        sessions = self.hub.sessions
        try:
            if text is None:
                raise frames.ProtocolError("bad_message", "binary frames are not part of the protocol")
            msg = frames.decode_candidate(text, self.hub.settings.max_frame_bytes)
        except frames.ProtocolError as exc:
            close = CLOSE_TOO_LARGE if exc.code == "too_large" else None
            return await self.fail(Refused(exc.code, exc.message, close=close))
        try:
            if isinstance(msg, frames.Ping):
                await self.send(b'{"type":"pong"}')
            elif isinstance(msg, frames.Hello):
                if self.session_id is not None:
                    raise Refused("bad_message", "this connection already said hello")
                sid, outcome = await sessions.candidate_hello(normalise_candidate_token(msg.token), self.conn)
                self.session_id = sid
                self.hub.attach(sid, self.queue)
                await self.deliver(outcome)
            elif self.session_id is None:
                raise Refused("not_authenticated")
            else:
                await self.deliver(await sessions.candidate_answer(self.session_id, self.conn, msg.seq, msg.response))
        except Refused as refused:
            return await self.fail(refused)
        return True


async def candidate_endpoint(ws: WebSocket) -> None:
    hub: Hub = ws.app.state.hub
    await ws.accept()
    hub.metrics.connections["candidate"] += 1
    cand = _Candidate(ws, hub)
    reader = asyncio.create_task(pump_frames(ws, hub, cand.queue, "candidate"))
    try:
        await cand.serve()
    except (WebSocketDisconnect, RuntimeError):
        pass  # the client went away while we were sending
    except StoreUnavailable as exc:  # Redis is down: the client reconnects and resumes once it is back
        _log.warning("store unavailable: %s", exc)
        with contextlib.suppress(Exception):
            await cand.fail(Refused("internal", "the store is unavailable", close=CLOSE_INTERNAL))
    except Exception:  # a fault of ours: tell, close, log
        _log.exception("candidate connection failed")
        with contextlib.suppress(Exception):
            await cand.fail(Refused("internal", close=CLOSE_INTERNAL))
    finally:
        hub.metrics.connections["candidate"] -= 1
        reader.cancel()
        with contextlib.suppress(BaseException):
            await reader
        if cand.session_id is not None:
            hub.detach(cand.session_id, cand.queue)
            with contextlib.suppress(Exception):
                await hub.sessions.candidate_goodbye(cand.session_id, cand.conn)
        if ws.client_state is not WebSocketState.DISCONNECTED:
            with contextlib.suppress(Exception):
                await ws.close()
