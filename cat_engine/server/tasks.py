"""Background tasks that stop when told to.

On Python 3.11 a cancellation that arrives just as an inner ``asyncio.wait_for`` finishes can be swallowed (fixed in
3.12), and redis-py awaits through ``wait_for`` on every command: a loop that only relies on ``CancelledError`` may
then run on, and whoever awaits it waits forever. So each loop also checks :func:`cancel_requested`, and
:func:`stop` waits a bounded time.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

__all__ = ["cancel_requested", "stop"]

_log = logging.getLogger("cat_engine.server")


def cancel_requested() -> bool:
    """Whether the running task has been asked to stop (even if the ``CancelledError`` itself was lost)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


async def stop(task: asyncio.Task[Any], timeout: float = 2.0) -> None:
    """Cancel ``task`` and wait for it at most ``timeout`` seconds; its exception, if any, is consumed."""
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        _log.warning("background task %s did not stop within %.1f s", task.get_name(), timeout)
    elif not task.cancelled():
        task.exception()  # retrieved, so asyncio does not log it as never retrieved
