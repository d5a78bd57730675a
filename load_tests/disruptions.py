"""What goes wrong on purpose: single network drops, a reconnect storm, killed and restarted servers.

Disruptions are placed by progress, not by the clock: at a share of the answers the run expects (the cat-sim
reference's mean test length times the examinees), so they fall mid-test whatever the pacing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import numpy as np

from .candidate import Candidate
from .deployment import Deployment
from .recorder import Recorder
from .scenarios import Scenario
from .stats import summarise

__all__ = ["network_drops", "restart_controller", "storm_controller", "storm_summary"]

Control = Callable[[list[Candidate]], Coroutine[Any, Any, None]]


def network_drops(examinees: int, share: float, seed: int) -> dict[int, int]:
    """Which examinees lose their network once, and after how many answers (3 to 24): ``{index: answers}``."""
    rng = np.random.default_rng([seed, 7])
    chosen = np.flatnonzero(rng.random(examinees) < share)
    return {int(i): int(rng.integers(3, 25)) for i in chosen}


def storm_controller(sc: Scenario, expected: float, out: dict[str, Any]) -> Callable[[Recorder], Control]:
    """Drop every connected examinee at once, when all have arrived and ``sc.storm_at`` of the expected answers
    are in; ``out["targets"]`` gets ``(client, resumes before the drop)`` of each one dropped."""

    def bind(rec: Recorder) -> Control:
        async def control(clients: list[Candidate]) -> None:
            assert sc.storm_at is not None
            while not (rec.started_examinees >= sc.examinees and rec.answers >= sc.storm_at * expected):
                await asyncio.sleep(0.05)
            targets = [c for c in clients if c.connected and not c.done]
            out["targets"] = [(c, len(c.resumes)) for c in targets]
            rec.begin_disruption("storm")
            for c in targets:
                c.drop()
            until = time.monotonic() + 60.0
            while time.monotonic() < until and any(len(c.resumes) <= n for c, n in out["targets"]):
                await asyncio.sleep(0.05)
            rec.end_disruption("storm over")

        return control

    return bind


def storm_summary(out: dict[str, Any]) -> dict[str, Any]:
    """Dropped, resumed, not resumed, resumed within 5 s, and the resume times of a storm."""
    targets = out.get("targets", [])
    times = [c.resumes[n] for c, n in targets if len(c.resumes) > n]
    return {
        "dropped": len(targets),
        "resumed": len(times),
        "not_resumed": len(targets) - len(times),
        "within_5s": sum(1 for t in times if t <= 5000),
        "resume_ms": summarise(times),
    }


def restart_controller(sc: Scenario, dep: Deployment, expected: float) -> Callable[[Recorder], Control]:
    """Kill (SIGKILL, the whole process group) and restart the instances in turn, at ``sc.restarts`` shares of
    the expected answers; connections lost until 5 s after each restart are expected, not errors."""

    def bind(rec: Recorder) -> Control:
        async def control(clients: list[Candidate]) -> None:
            for k, share in enumerate(sc.restarts):
                while rec.answers < share * expected:
                    await asyncio.sleep(0.05)
                server = dep.servers[k % len(dep.servers)]
                rec.begin_disruption(f"kill -9 {server.name}")
                await asyncio.to_thread(server.kill)
                await asyncio.sleep(sc.down_for)
                await asyncio.to_thread(server.start)
                rec.mark(f"{server.name} up")
                await asyncio.sleep(5.0)
                rec.end_disruption(f"{server.name} settled")

        return control

    return bind
