"""The per-process hub: delivery of store notifications to local connections (its limits: test_server_limits.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cat_engine.battery import load_battery
from cat_engine.server.hub import Hub
from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.settings import Settings

DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"


def test_notifications_reach_only_the_sessions_local_connections() -> None:
    async def body() -> None:
        store = MemoryStore()
        battery = load_battery(DEMO)
        hub = Hub(Settings(demo_room=False), store, {battery.id: battery}, "admin")
        mine: asyncio.Queue[object] = asyncio.Queue()
        other: asyncio.Queue[object] = asyncio.Queue()
        hub.attach("R-0001", mine)
        hub.attach("R-0002", other)
        assert hub.live_sessions == 2
        await store.notify("R-0001", b'{"kind":"paused"}')
        assert mine.get_nowait() == ("notify", b'{"kind":"paused"}')
        assert other.empty()
        hub.detach("R-0001", mine)
        await store.notify("R-0001", b'{"kind":"resumed"}')
        assert mine.empty()
        assert hub.live_sessions == 1

    asyncio.run(body())


def test_tell_others_reaches_the_sessions_other_local_connections_at_once() -> None:
    async def body() -> None:
        battery = load_battery(DEMO)
        hub = Hub(Settings(demo_room=False), MemoryStore(), {battery.id: battery}, "admin")
        me: asyncio.Queue[object] = asyncio.Queue()
        older: asyncio.Queue[object] = asyncio.Queue()
        elsewhere: asyncio.Queue[object] = asyncio.Queue()
        hub.attach("R-0001", me)
        hub.attach("R-0001", older)
        hub.attach("R-0002", elsewhere)
        hub.tell_others("R-0001", me, b'{"kind":"hello"}')
        assert older.get_nowait() == ("notify", b'{"kind":"hello"}')
        assert me.empty() and elsewhere.empty()
        hub.tell_others("R-0003", me, b"{}")  # no connection of that session: nothing happens

    asyncio.run(body())
