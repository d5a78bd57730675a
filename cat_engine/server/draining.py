"""Rolling restarts: what a server process does between SIGTERM and its exit.

A process told to stop (SIGTERM: ``kill``, systemd, uvicorn's supervisor replacing a worker) first stops listening,
so that the next connection goes to another process (nginx skips a refused port; a shared listening socket of
``CAT_WORKERS`` is left to the other workers). Then each of its WebSockets makes the move under way, if any (the
frame being handled holds the connection's :attr:`~.connection.Connection.turn`: an answer's commit and its reply),
and is closed with the error ``restarting`` and close code 1012 (service restart): a client reconnects at once to
another process and continues; a pending answer it resends is applied at most once (docs/protocol.md). Only then is
uvicorn told to exit; its own shutdown would otherwise close every WebSocket at once with 1012, a reply under way
lost (applied, but never acknowledged).

uvicorn calls its lifespan shutdown only after the connections have closed, too late for this, so the app puts
:func:`hook_sigterm` in front of uvicorn's SIGTERM handler while it runs. The hook needs uvicorn's server (to stop
listening and to let it exit): it is the object whose ``handle_exit`` uvicorn installs as the handler in the main
thread, which is where ``python server.py``, ``uvicorn server:app`` and each ``--workers`` process run it. Elsewhere
(an app served in a thread, as in the tests; another server) no hook is installed and :meth:`Drain.run` is there to
be called.

Invariants:

* Once :attr:`Drain.draining` is set, no connection starts a move: a frame or a timer that comes later closes its
  connection with ``restarting`` instead (a ``hello`` included), so the drain ends within one move per connection.
* Every wait is bounded by uvicorn's ``timeout_graceful_shutdown`` (5 s in ``server.py``), after which uvicorn's own
  shutdown closes what is left with 1012 and waits that long again; the process then exits with status 0.
* More SIGTERMs during the drain change nothing: with ``CAT_WORKERS`` a worker gets one from its supervisor and,
  under systemd's default ``KillMode=control-group`` or a ``kill`` of the process group, one more directly.
  SIGINT (Ctrl+C) is uvicorn's own: it stops at once, a second one forces the exit.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Protocol

from uvicorn.server import Server

__all__ = ["DRAIN_TIMEOUT_S", "Drain", "Restartable", "hook_sigterm"]

DRAIN_TIMEOUT_S = 5.0  # without uvicorn's server (its timeout_graceful_shutdown otherwise)

_log = logging.getLogger("cat_engine.server")


class Restartable(Protocol):
    async def restart(self) -> None:
        """Close with ``restarting`` (1012) once the move under way, if any, is over."""


class Drain:
    """The draining flag of a process and its live connections."""

    def __init__(self) -> None:
        self.draining = False
        self._live: set[Restartable] = set()
        self._empty = asyncio.Event()
        self._empty.set()

    def __len__(self) -> int:
        return len(self._live)

    def add(self, conn: Restartable) -> None:
        self._live.add(conn)
        self._empty.clear()

    def discard(self, conn: Restartable) -> None:
        """``conn`` has ended (its clean-up done)."""
        self._live.discard(conn)
        if not self._live:
            self._empty.set()

    async def run(self, timeout_s: float = DRAIN_TIMEOUT_S) -> bool:
        """Set :attr:`draining`, close every live connection after its move, and wait until all have ended.

        Returns whether they all ended within ``timeout_s`` seconds.
        """
        self.draining = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        closing = [asyncio.create_task(conn.restart()) for conn in list(self._live)]
        if closing:
            _, late = await asyncio.wait(closing, timeout=timeout_s)
            for task in late:
                task.cancel()
        try:
            async with asyncio.timeout_at(deadline):
                await self._empty.wait()
        except TimeoutError:
            _log.warning("%d connection(s) still open after draining for %.1f s", len(self._live), timeout_s)
            return False
        return True


def hook_sigterm(drain: Drain) -> Callable[[], None] | None:
    """Drain on SIGTERM before uvicorn's own shutdown (module docstring); returns what puts uvicorn's handler back.

    None (nothing installed) outside the main thread or when the SIGTERM handler is not a uvicorn server's.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    previous = signal.getsignal(signal.SIGTERM)
    server = getattr(previous, "__self__", None)
    if not callable(previous) or not isinstance(server, Server):
        return None
    uvicorn_handler: Callable[[int, FrameType | None], object] = previous
    loop = asyncio.get_running_loop()
    timeout_s = float(server.config.timeout_graceful_shutdown or DRAIN_TIMEOUT_S)
    started: list[asyncio.Task[None]] = []  # keeps the drain's task referenced until the process exits

    async def drain_then_exit() -> None:
        try:
            for listener in getattr(server, "servers", ()):
                listener.close()  # stop accepting; uvicorn's shutdown closes them again, harmlessly
            await drain.run(timeout_s)
        finally:
            server.should_exit = True  # uvicorn's shutdown: lifespan, then exit 0

    def on_sigterm(sig: int, frame: FrameType | None) -> None:
        # runs in the main thread between two bytecodes of the loop's work: hand over to the loop
        if server.should_exit:  # uvicorn stops already (SIGINT): its own way
            uvicorn_handler(sig, frame)
            return
        if drain.draining:
            return
        drain.draining = True
        loop.call_soon_threadsafe(lambda: started.append(loop.create_task(drain_then_exit())))

    signal.signal(signal.SIGTERM, on_sigterm)

    def unhook() -> None:
        if signal.getsignal(signal.SIGTERM) is on_sigterm:
            signal.signal(signal.SIGTERM, previous)

    return unhook
