"""What the candidate and proctor WebSocket endpoints share: the frame reader, sending, refusing, the lifecycle.

A connection runs two tasks. The reader handles each client frame (after the flood limit) as it arrives, with no
hand-over to another task on the way of an answer; the serving loop of the subclass waits on a queue for what else
can happen (store notifications, the subtest's timer, the end of the connection). Both take :attr:`Connection.turn`
for each move, so a connection's moves never interleave. Sends go through one lock, so frames from either task and
from a background task (a proctor's event stream) never interleave.

A ``hello`` goes through :meth:`Connection.authenticate`: the process's limits on failed hellos per client address
and on open connections per token (:mod:`.limits`).

Every connection is one of the process's :class:`~.draining.Drain` from its accept to the end of its clean-up. Once
the process drains (SIGTERM), a connection makes no more moves: the drain takes its turn (waiting for the move under
way) and closes it with ``restarting`` (1012), and so does any frame or timer that comes first (:meth:`drained`).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from . import frames
from .hub import Hub
from .limits import ConnectionCounts, TokenBucket, address_key
from .store import StoreUnavailable
from .wire_errors import Refusal

__all__ = ["Connection"]

Message = TypeVar("Message")
T = TypeVar("T")


class Connection(abc.ABC):
    """One client WebSocket; subclasses implement :meth:`serve` (and may :meth:`closing`)."""

    kind: ClassVar[str]

    def __init__(self, ws: WebSocket, hub: Hub) -> None:
        self.ws = ws
        self.hub = hub
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.turn = asyncio.Lock()  # one move at a time: a client frame, a notification or a timer tick
        self._send_lock = asyncio.Lock()
        self._log = logging.getLogger(f"cat_engine.server.{self.kind}")
        self.address = address_key(ws.client.host if ws.client is not None else None)
        self._counted: tuple[ConnectionCounts, str] | None = None  # the token this connection counts as one of
        self.closed = False  # a close was sent: no more moves
        self.last_rx = time.monotonic()  # when the client last sent a frame (the idle rule of candidate connections)

    async def send(self, frame: bytes) -> None:
        async with self._send_lock:
            await self.ws.send({"type": "websocket.send", "text": frame.decode()})

    async def close(self, code: int, reason: str) -> None:
        self.closed = True
        async with self._send_lock:
            await self.ws.close(code, reason)

    async def restart(self) -> None:
        """Close with ``restarting`` (1012) once the move under way, if any, is over (the process drains)."""
        async with self.turn:
            await self._restart_now()

    async def _restart_now(self) -> None:
        if self.closed:
            return
        with contextlib.suppress(Exception):  # the client may be gone already
            await self.fail(Refusal("restarting"))
        self.closed = True

    async def drained(self) -> bool:
        """Whether the connection must stop before a move (called with :attr:`turn` held): it was closed, or the
        process drains, in which case it is closed now with ``restarting``."""
        if not self.closed and self.hub.drain.draining:
            await self._restart_now()
        return self.closed

    async def fail(self, refusal: Refusal) -> bool:
        """Send the error frame; close when its code says so. Returns whether the connection goes on."""
        self.hub.metrics.error(refusal.code)
        await self.send(frames.error_frame(refusal, self.hub.settings.lang))
        if refusal.close is not None:
            await self.close(refusal.close, refusal.code)
            return False
        return True

    async def authenticate(self, counts: ConnectionCounts, key: str, hello: Callable[[], Awaitable[T]]) -> T:
        """Run ``hello`` (the token's lookup in the store and what follows) within the process's limits on hellos.

        While the client's address has no failed hello left, or ``key`` (the token) no hello left, it is refused
        ``rate_limited`` (with ``retry_after_ms``) without running. Otherwise it takes one hello of ``key`` and holds
        one failed hello of the address while it runs (so hellos running at once cannot together overdraw the
        address), keeps that when refused ``bad_token`` and gives it back otherwise. When
        ``key`` (the token) has the most open connections already: ``too_many_connections``, before anything
        happens to its session. Once it succeeds the connection counts as one of ``key``'s until it ends
        (:meth:`run`).
        """
        limits = self.hub.limits
        failures = limits.hello_failures
        wait = failures.wait_ms(self.address, limits.clock())
        if wait is not None:
            raise Refusal("rate_limited", "too many failed hellos from this address", retry_after_ms=wait)
        wait = limits.hellos.take(key, limits.clock())
        if wait is not None:
            raise Refusal("rate_limited", "too many hellos with this token", retry_after_ms=wait)
        failures.take(self.address, limits.clock())  # has a token: wait_ms said so, and nothing ran in between
        failed = False
        try:
            counts.acquire(key)  # before the first await: concurrent hellos with one token count each other
            try:
                result = await hello()
            except BaseException:
                counts.release(key)
                raise
        except Refusal as refusal:
            failed = refusal.code == "bad_token"
            raise
        finally:
            if not failed:
                failures.give(self.address, limits.clock())
        self._counted = (counts, key)
        return result

    def decode(self, text: str | None, decoder: Callable[[str, int], Message]) -> Message:
        """A client frame validated by ``decoder``; a bad one raises :class:`Refusal` with its wire code."""
        if text is None:
            raise Refusal("bad_message", "binary frames are not part of the protocol")
        return decoder(text, self.hub.settings.max_frame_bytes)

    async def next_entry(self, wait_s: float | None) -> tuple[Any, ...] | None:
        """The next queue entry, None when ``wait_s`` passed first; floods and closes end the connection."""
        try:
            if self.queue.empty():  # asyncio.timeout, unlike wait_for, starts no task per frame
                async with asyncio.timeout(wait_s):
                    entry: tuple[Any, ...] = await self.queue.get()
            else:
                entry = self.queue.get_nowait()
        except TimeoutError:
            return None
        if entry[0] == "raise":
            raise entry[1]
        if entry[0] == "flood":
            await self.fail(Refusal("flood"))
        return entry

    @abc.abstractmethod
    async def serve(self) -> None:
        """Handle queue entries until the connection ends (``("closed",)`` once the reader has stopped)."""

    @abc.abstractmethod
    async def on_frame(self, text: str | None, received_at: float) -> bool:
        """Handle one client frame (called with :attr:`turn` held; ``received_at`` is ``time.perf_counter()`` when
        it was read from the socket); False ends the connection."""

    async def closing(self) -> None:  # noqa: B027 (optional hook)
        """Called once when the connection ends, whatever the reason."""

    async def _read(self) -> None:
        """Handle client frames until the client goes, floods or a frame ends the connection; then tell the
        serving loop (with the exception, if handling a frame raised one)."""
        settings, metrics = self.hub.settings, self.hub.metrics
        bucket = TokenBucket(settings.flood_burst, settings.flood_rate, time.monotonic())
        try:
            while True:
                message = await self.ws.receive()
                received_at = time.perf_counter()
                self.last_rx = time.monotonic()
                if message["type"] == "websocket.disconnect":
                    break
                metrics.frame(self.kind)
                if not bucket.take(time.monotonic()):
                    self.queue.put_nowait(("flood",))
                    return
                async with self.turn:
                    if await self.drained():
                        break
                    going_on = await self.on_frame(message.get("text"), received_at)
                if not going_on:
                    break
        except Exception as exc:  # the serving loop raises it, so run() handles it like one of its own
            self.queue.put_nowait(("raise", exc))
            return
        self.queue.put_nowait(("closed",))

    async def run(self) -> None:
        """The whole life of the connection: accept, serve, then clean up."""
        await self.ws.accept()
        drain = self.hub.drain
        drain.add(self)
        metrics = self.hub.metrics
        metrics.connection_opened(self.kind)
        reader = asyncio.create_task(self._read())
        try:
            if drain.draining:  # accepted as the drain began, after it took the live connections
                await self.restart()
            await self.serve()
        except (WebSocketDisconnect, RuntimeError):
            pass  # the client went away while we were sending
        except StoreUnavailable as exc:  # Redis is down or failing over: the client reconnects and resumes
            self._log.warning("%s connection closed, store unavailable: %s", self.kind, exc)
            with contextlib.suppress(Exception):
                await self.fail(Refusal("unavailable"))
        except Exception:  # a fault of ours: tell, close, log
            self._log.exception("%s connection failed", self.kind)
            with contextlib.suppress(Exception):
                await self.fail(Refusal("internal"))
        finally:
            metrics.connection_closed(self.kind)
            if self._counted is not None:
                counts, key = self._counted
                counts.release(key)
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader
            with contextlib.suppress(Exception):
                await self.closing()
            if self.ws.client_state is not WebSocketState.DISCONNECTED:
                with contextlib.suppress(Exception):
                    await self.ws.close()
            drain.discard(self)
