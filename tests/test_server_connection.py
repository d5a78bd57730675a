"""cat_engine.server.connection: :meth:`Connection.authenticate`, the limits every ``hello`` goes through, with a
fake socket, a fake clock and hellos that wait for the test to decide how they end (the sockets themselves are
tested in test_server_limits.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from starlette.websockets import WebSocket

from cat_engine.battery import load_battery
from cat_engine.server.connection import Connection
from cat_engine.server.hub import Hub
from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.settings import Settings
from cat_engine.server.wire_errors import Refusal

DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"


class _Conn(Connection):
    kind = "candidate"

    async def serve(self) -> None:
        raise NotImplementedError

    async def on_frame(self, text: str | None, received_at: float) -> bool:
        raise NotImplementedError


def _hub(**settings: Any) -> Hub:
    battery = load_battery(DEMO)
    hub = Hub(Settings(demo_room=False, **settings), MemoryStore(), {battery.id: battery}, "admin")
    hub.limits.clock = lambda: 100.0  # frozen: nothing refills during a test
    return hub


def _conn(hub: Hub, host: str = "192.0.2.1") -> _Conn:
    return _Conn(cast(WebSocket, SimpleNamespace(client=SimpleNamespace(host=host))), hub)


async def _outcome(task: asyncio.Task[Any]) -> str:
    try:
        await task
    except Refusal as refusal:
        return refusal.code
    return "ok"


def test_hellos_under_way_hold_their_failures_so_many_at_once_cannot_overdraw_the_address() -> None:
    async def body() -> None:
        hub = _hub(hello_fail_burst=3, max_session_connections=100)
        gate = asyncio.Event()

        async def wrong_token() -> None:
            await gate.wait()  # a slow lookup
            raise Refusal("bad_token")

        started = [
            asyncio.create_task(_conn(hub).authenticate(hub.limits.sessions, f"T{n}", wrong_token)) for n in range(10)
        ]
        await asyncio.sleep(0)
        gate.set()
        outcomes = [await _outcome(t) for t in started]
        assert outcomes == ["bad_token"] * 3 + ["rate_limited"] * 7  # three lookups, however many came at once
        assert len(hub.limits.sessions) == 0  # and no connection counted

    asyncio.run(body())


def test_a_successful_or_refused_for_another_reason_hello_gives_its_failure_back() -> None:
    async def body() -> None:
        hub = _hub(hello_fail_burst=2, max_session_connections=1)
        failures = hub.limits.hello_failures

        async def right() -> str:
            return "session"

        async def terminated() -> str:
            raise Refusal("terminated")

        first = _conn(hub)
        assert await first.authenticate(hub.limits.sessions, "T", right) == "session"
        assert failures.tokens(first.address, 100.0) == 2.0
        assert hub.limits.sessions.count("T") == 1
        # the token has its one connection: refused before the hello runs, and no failure taken
        assert await _outcome(asyncio.create_task(_conn(hub).authenticate(hub.limits.sessions, "T", right))) == (
            "too_many_connections"
        )
        assert await _outcome(asyncio.create_task(_conn(hub).authenticate(hub.limits.sessions, "U", terminated))) == (
            "terminated"
        )
        assert failures.tokens(first.address, 100.0) == 2.0
        assert hub.limits.sessions.count("U") == 0

    asyncio.run(body())


@pytest.mark.parametrize("kind", ["candidate", "proctor"])
def test_another_address_has_its_own_failures(kind: str) -> None:
    async def body() -> None:
        hub = _hub(hello_fail_burst=1)

        async def wrong() -> None:
            raise Refusal("bad_token")

        counts = hub.limits.sessions if kind == "candidate" else hub.limits.proctors
        here, there = _conn(hub, "198.51.100.1"), _conn(hub, "198.51.100.2")
        assert await _outcome(asyncio.create_task(here.authenticate(counts, "x", wrong))) == "bad_token"
        assert await _outcome(asyncio.create_task(here.authenticate(counts, "x", wrong))) == "rate_limited"
        assert await _outcome(asyncio.create_task(there.authenticate(counts, "x", wrong))) == "bad_token"

    asyncio.run(body())
