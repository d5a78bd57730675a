"""The per-process hub: flood limit and delivery of store notifications to local connections."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cat_engine.battery import load_battery
from cat_engine.server.hub import Hub, TokenBucket
from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.settings import Settings

DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"


def test_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(burst=3, rate=2.0, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.take(0.4)  # 0.8 token refilled: not yet a whole one
    assert bucket.take(0.5)  # 1.0 token
    assert not bucket.take(0.5)


def test_bucket_never_holds_more_than_the_burst() -> None:
    bucket = TokenBucket(burst=2, rate=100.0, now=0.0)
    assert [bucket.take(1000.0) for _ in range(3)] == [True, True, False]


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
