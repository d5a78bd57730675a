"""cat_engine.server.loop_lag: the watcher sees a blocked loop, holds the largest lag of its window, stops when
told, and the app's lifespan runs it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from conftest import AppServer

from cat_engine.server import tasks
from cat_engine.server.loop_lag import watch_loop_lag
from cat_engine.server.metrics import Metrics
from cat_engine.server.settings import Settings

BLOCK_S = 0.3


class Recording(Metrics):
    """Metrics that also keep every lag the watcher recorded, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[float] = []

    def loop_lag(self, seconds: float) -> None:
        super().loop_lag(seconds)
        self.seen.append(seconds)


async def _block_then_wait(m: Recording, interval: float, until: Callable[[list[float]], bool]) -> list[float]:
    """Block the loop for BLOCK_S while the watcher sleeps; then the values recorded from the stall on, once
    ``until`` holds for them (at most 5 s)."""
    await asyncio.sleep(interval / 4)  # the watcher is in its first sleep
    time.sleep(BLOCK_S)  # its sleep ends at least BLOCK_S - interval late
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        await asyncio.sleep(interval / 4)
        stalled = [i for i, v in enumerate(m.seen) if v >= BLOCK_S - interval]
        if stalled and until(m.seen[stalled[0] :]):
            return m.seen[stalled[0] :]
    raise AssertionError(f"the watcher recorded {m.seen}")


def test_a_blocked_loop_is_seen_and_held_for_the_window() -> None:
    async def go() -> None:
        m = Recording()
        watcher = asyncio.create_task(watch_loop_lag(m, interval=0.05, window=10.0))
        after = await _block_then_wait(m, 0.05, lambda seen: len(seen) >= 4)
        assert min(after) >= BLOCK_S - 0.05  # later, shorter lags do not hide it within the window
        assert m.value("cat_event_loop_lag_seconds") == m.seen[-1]
        await tasks.stop(watcher)
        assert watcher.done()

    asyncio.run(go())


def test_the_window_forgets_an_old_stall() -> None:
    async def go() -> None:
        m = Recording()
        watcher = asyncio.create_task(watch_loop_lag(m, interval=0.05, window=0.05))  # a window of one sleep
        # the next sleep that ends less late replaces it (on a loaded machine a few more may end late too)
        after = await _block_then_wait(m, 0.05, lambda seen: min(seen) < BLOCK_S - 0.05)
        assert after[0] >= BLOCK_S - 0.05 > after[-1]
        await tasks.stop(watcher)

    asyncio.run(go())


def _watchers(tasks_: set[asyncio.Task[object]]) -> int:
    return sum(1 for t in tasks_ if getattr(t.get_coro(), "__qualname__", "") == watch_loop_lag.__qualname__)


def test_the_app_runs_the_watcher_for_its_lifetime(app_server: Callable[..., AppServer]) -> None:
    srv = app_server(Settings(admin_token="t", demo_room=False))

    async def running() -> int:
        return _watchers(asyncio.all_tasks())

    try:
        assert srv.call(running()) == 1
    finally:
        srv.stop()
    assert _watchers(asyncio.all_tasks(srv.loop)) == 0
