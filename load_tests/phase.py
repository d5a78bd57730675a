"""One load phase: examinees arriving at a fixed rate, proctors watching, a disruption, a progress bar, meters.

A phase ends when every examinee is done or its time bound passes (examinees still sitting are then cancelled
and count as unfinished), after the proctors have caught up with the events of their rooms.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import sys
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from tqdm import tqdm

from .candidate import Candidate
from .deployment import Sitter
from .messages import message
from .procs import CpuMeter
from .proctor import Proctor
from .recorder import Recorder

__all__ = ["ClientFactory", "Controller", "PhaseResult", "progress_bar", "run_async", "run_phase"]

T = TypeVar("T")
ClientFactory = Callable[[Sitter, Recorder], Candidate]
#: A disruption: given the recorder, a coroutine function of the list of clients (growing as examinees arrive).
Controller = Callable[[Recorder], Callable[[list[Candidate]], Coroutine[Any, Any, None]]]


@dataclass
class PhaseResult:
    """What one load phase (against the server, or against the floor) measured."""

    rec: Recorder
    clients: list[Candidate]
    seconds: float
    server_cpu_s: float | None
    redis_cpu_s: float | None
    generator_cpu_s: float
    max_rss: int | None = None
    rss_series: list[tuple[float, int]] = field(default_factory=list)

    def per_answer_us(self, seconds: float | None) -> float | None:
        """``seconds`` of CPU per acknowledged answer, in microseconds."""
        answers = self.rec.answers
        return None if seconds is None or answers == 0 else round(seconds / answers * 1e6, 1)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on uvloop when it is installed (as the server does), else on asyncio's own loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


@contextlib.contextmanager
def progress_bar(enabled: bool, total: int, desc: str, lang: str) -> Iterator[tqdm | None]:
    """A tqdm bar of finished examinees on stderr (None when disabled)."""
    if not enabled:
        yield None
        return
    bar = tqdm(total=total, desc=desc, unit=" " + message("unit", lang), file=sys.stderr, dynamic_ncols=True)
    try:
        yield bar
    finally:
        bar.close()


async def _progress(rec: Recorder, bar: tqdm, lang: str) -> None:
    last_answers, last_t = 0, time.monotonic()
    while True:
        await asyncio.sleep(0.5)
        now = time.monotonic()
        recent = np.array(rec.latency_ms[-2000:]) if rec.latency_ms else np.zeros(1)
        rate = (rec.answers - last_answers) / max(now - last_t, 1e-6)
        last_answers, last_t = rec.answers, now
        bar.n = rec.finished_examinees
        postfix = message(
            "postfix",
            lang,
            answers=rec.answers,
            rate=rate,
            p99=float(np.percentile(recent, 99)),
            errors=sum(rec.errors.values()),
        )
        bar.set_postfix_str(postfix, refresh=True)


async def _drain(
    proctors: Sequence[Proctor], room_of_proctor: Sequence[int], clients: Sequence[Candidate], sitters: Sequence[Sitter]
) -> None:
    """Let the proctors catch up: until each has seen an ``answered`` event for every acknowledged answer of its
    room, or nothing arrived for 3 s; at most 20 s."""
    per_room: dict[int, int] = {}
    for client, sitter in zip(clients, sitters, strict=False):
        per_room[sitter.room] = per_room.get(sitter.room, 0) + len(client.acked)
    until = time.monotonic() + 20.0
    while time.monotonic() < until:
        behind = [p for p, r in zip(proctors, room_of_proctor, strict=True) if p.answered_total < per_room.get(r, 0)]
        if not behind or all(time.monotonic() - p.last_event_at > 3.0 for p in behind):
            return
        await asyncio.sleep(0.1)


async def _drive(
    sitters: Sequence[Sitter],
    make_client: ClientFactory,
    rec: Recorder,
    arrival_rate: float,
    deadline: float,
    side: list[asyncio.Task[Any]],
    control: Callable[[list[Candidate]], Coroutine[Any, Any, None]] | None,
) -> list[Candidate]:
    clients: list[Candidate] = []
    tasks: list[asyncio.Task[None]] = []
    if control is not None:
        side.append(asyncio.create_task(control(clients)))
    start = time.monotonic()
    try:
        async with asyncio.timeout(max(deadline - time.monotonic(), 0.0)):
            for n, sitter in enumerate(sitters):
                wait = start + n / arrival_rate - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                client = make_client(sitter, rec)
                clients.append(client)
                tasks.append(asyncio.create_task(client.run()))
            await asyncio.gather(*tasks)
    except TimeoutError:
        pass
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return clients


def _generator_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_phase(
    sitters: Sequence[Sitter],
    make_client: ClientFactory,
    *,
    arrival_rate: float,
    max_seconds: float,
    server_meter: CpuMeter | None,
    redis_meter: CpuMeter | None,
    proctors: Sequence[Proctor] = (),
    room_of_proctor: Sequence[int] = (),
    controller: Controller | None = None,
    bar: tqdm | None = None,
    lang: str = "id",
) -> PhaseResult:
    """Run one load phase and return what it measured.

    Parameters
    ----------
    sitters : sequence of Sitter
        The examinees, in arrival order.
    make_client : callable
        Builds the client of an examinee.
    arrival_rate : float
        Examinees starting per second.
    max_seconds : float
        Bound on the phase.
    server_meter, redis_meter : CpuMeter, optional
        CPU of the server's and of Redis's processes, counted from the start of the phase.
    proctors, room_of_proctor : sequence
        Proctor clients and the room (index) of each; they connect first and are drained at the end.
    controller : callable, optional
        The phase's disruption.
    bar : tqdm, optional
        Progress display.
    lang : str
    """
    rec = Recorder()
    for proctor in proctors:
        proctor.rec = rec
    meters = [m for m in (server_meter, redis_meter) if m is not None]
    for meter in meters:
        meter.reset()
    cpu0 = _generator_cpu()
    side: list[asyncio.Task[Any]] = [asyncio.create_task(m.run(rec.now)) for m in meters]
    watchers = [asyncio.create_task(p.run()) for p in proctors]
    if proctors:
        await asyncio.sleep(0.3)  # the proctors see their rooms before the first candidate arrives
    if bar is not None:
        side.append(asyncio.create_task(_progress(rec, bar, lang)))
    control = None if controller is None else controller(rec)
    deadline = time.monotonic() + max_seconds
    clients = await _drive(sitters, make_client, rec, arrival_rate, deadline, side, control)
    seconds = rec.now()
    if proctors:
        await _drain(proctors, room_of_proctor, clients, sitters)
    for task in [*side, *watchers]:
        task.cancel()
    await asyncio.gather(*side, *watchers, return_exceptions=True)
    for meter in meters:
        meter.sample(rec.now())
    return PhaseResult(
        rec=rec,
        clients=clients,
        seconds=seconds,
        server_cpu_s=None if server_meter is None else server_meter.total(),
        redis_cpu_s=None if redis_meter is None else redis_meter.total(),
        generator_cpu_s=_generator_cpu() - cpu0,
        max_rss=None if server_meter is None else server_meter.max_rss,
        rss_series=[] if server_meter is None else list(server_meter.rss_series),
    )
