"""Event-loop lag: how late the loop runs a short sleep, as the gauge ``cat_event_loop_lag_seconds``.

While a process's loop is busy (a long computation, a burst of frames), every callback waits, a sleep's wake-up
too: the overshoot of a :data:`INTERVAL_S` sleep is how long anything ready waited then. The gauge holds the largest
overshoot of the last :data:`WINDOW_S` seconds, so a scrape every 15 s sees a stall between two scrapes too.
"""

from __future__ import annotations

import asyncio
from collections import deque

from . import tasks
from .metrics import Metrics

__all__ = ["INTERVAL_S", "WINDOW_S", "watch_loop_lag"]

INTERVAL_S = 0.5
WINDOW_S = 15.0


async def watch_loop_lag(metrics: Metrics, interval: float = INTERVAL_S, window: float = WINDOW_S) -> None:
    """Sleep ``interval`` seconds over and over, recording the largest overshoot of the last ``window`` seconds;
    until cancelled (:func:`~.tasks.stop`)."""
    loop = asyncio.get_running_loop()
    recent: deque[float] = deque(maxlen=max(1, round(window / interval)))
    while not tasks.cancel_requested():
        start = loop.time()
        await asyncio.sleep(interval)
        # the loop may run a timer up to its clock resolution early: no negative lag
        recent.append(max(0.0, loop.time() - start - interval))
        metrics.loop_lag(max(recent))
