"""cat_engine/server/tasks.py: loops that stop when told, even when a cancellation is swallowed."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from cat_engine.server import tasks


def test_a_loop_that_swallows_its_cancellation_still_sees_the_request() -> None:
    async def body() -> int:
        rounds = 0

        async def loop() -> None:
            nonlocal rounds
            while not tasks.cancel_requested():
                rounds += 1
                # swallowed, as Python 3.11's wait_for may do inside a library call
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.sleep(0.01)

        task = asyncio.create_task(loop())
        await asyncio.sleep(0.05)
        await tasks.stop(task, timeout=1.0)
        assert task.done()
        return rounds

    assert asyncio.run(body()) >= 1
    assert not asyncio.run(_flag_outside_a_cancelled_task())


async def _flag_outside_a_cancelled_task() -> bool:
    return tasks.cancel_requested()


def test_stop_gives_up_after_its_timeout_on_a_task_that_never_ends(caplog: pytest.LogCaptureFixture) -> None:
    async def body() -> bool:
        release = asyncio.Event()

        async def stubborn() -> None:
            while not release.is_set():
                try:
                    await asyncio.wait_for(release.wait(), 0.01)
                except (asyncio.CancelledError, TimeoutError):
                    continue  # deaf to cancellation, as a task whose cancel was swallowed may be

        task = asyncio.create_task(stubborn(), name="stubborn")
        await asyncio.sleep(0.05)  # running: a task cancelled before its first step never runs at all
        loop = asyncio.get_running_loop()
        started = loop.time()
        await tasks.stop(task, timeout=0.2)
        waited = loop.time() - started
        assert not task.done()  # it ran on: stop did not wait forever for it
        release.set()
        await asyncio.wait({task}, timeout=2.0)
        return task.done() and 0.15 <= waited < 5.0

    with caplog.at_level(logging.WARNING, logger="cat_engine.server"):
        assert asyncio.run(body())
    assert any("stubborn" in r.getMessage() and "did not stop" in r.getMessage() for r in caplog.records)


def test_stop_consumes_the_exception_of_a_task_that_failed() -> None:
    async def body() -> None:
        async def broken() -> None:
            raise ValueError("boom")

        task = asyncio.create_task(broken())
        await asyncio.sleep(0)
        await tasks.stop(task)
        assert task.done() and isinstance(task.exception(), ValueError)

    asyncio.run(body())
