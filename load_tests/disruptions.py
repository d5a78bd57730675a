"""What goes wrong on purpose: single network drops, a reconnect storm, killed and restarted servers, a Redis
Cluster master killed and failed over (:class:`Failover`).

Disruptions are placed by progress, not by the clock: at a share of the answers the run expects (the cat-sim
reference's mean test length times the examinees), so they fall mid-test whatever the pacing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .candidate import Candidate
from .cluster import ClusterNode, LocalCluster, key_slot
from .deployment import Deployment, Room
from .recorder import Recorder
from .scenarios import Scenario
from .stats import summarise

__all__ = ["Failover", "network_drops", "recovery_gaps", "restart_controller", "storm_controller", "storm_summary"]

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


def recovery_gaps(clients: Sequence[Candidate], at: float) -> tuple[list[float], int]:
    """Per examinee sitting at monotonic time ``at``: seconds from its last reply or error frame before ``at`` to its
    first acknowledged answer after it; and how many of them never got one (still unfinished at the end).

    Examinees with nothing before ``at`` (not arrived yet) or finished before it are left out."""
    gaps: list[float] = []
    unrecovered = 0
    for c in clients:
        before = max((t for t in (*c.ack_times, *c.error_times) if t <= at), default=None)
        if before is None:
            continue
        after = min((t for t in c.ack_times if t > at), default=None)
        if after is not None:
            gaps.append(after - before)
        elif c.outcome != "finished":
            unrecovered += 1
    return gaps, unrecovered


@dataclass
class Failover:
    """Kill the cluster master serving the most rooms, wait for its replica to take over, bring it back.

    At ``sc.failover_at`` of the expected answers: count the rooms per master (by the slot of ``P:{room}:room``),
    SIGKILL the master with the most (its whole process; the first of them on a tie), time
    :meth:`LocalCluster.wait_failover`, then :meth:`LocalCluster.restart` the killed node (it rejoins as a replica of
    the new master; with ``CAT_REDIS_WAIT_REPLICAS=1`` the new master's commits are confirmed only from then on) and
    let the clients settle for ``settle_s``. Kill, wait and restart run in a worker thread, so a phase that ends in
    the middle does not cut them short: :meth:`finish` waits for them and, should the restart not have happened,
    does it, so a run always ends with a healthy cluster.

    The store's ``unavailable`` refusals from the kill until the end of the settling are retryable
    (:meth:`~load_tests.recorder.Recorder.begin_disruption` with ``store=True``).
    """

    cluster: LocalCluster
    rooms: Sequence[Room]
    key_prefix: str
    share: float
    expected: float
    timeout_s: float = 60.0
    settle_s: float = 5.0
    killed: ClusterNode | None = None
    rooms_per_master: dict[str, int] = field(default_factory=dict)
    at_answers: int | None = None
    killed_at: float | None = None
    at_s: float | None = None
    failover_s: float | None = None
    rejoined_s: float | None = None
    problem: str | None = None
    window_errors: Counter[str] = field(default_factory=Counter)
    retryable: Counter[str] = field(default_factory=Counter)
    _future: concurrent.futures.Future[None] | None = None
    _pool: concurrent.futures.ThreadPoolExecutor | None = None

    @classmethod
    def of(cls, sc: Scenario, dep: Deployment, rooms: Sequence[Room], expected: float) -> Failover:
        if dep.cluster is None or sc.failover_at is None:
            raise ValueError("a failover needs a cluster started by the run (--store cluster)")
        timeout = max(60.0, sc.node_timeout_ms / 1000 * 10)
        return cls(dep.cluster, rooms, dep.key_prefix, sc.failover_at, expected, timeout_s=timeout)

    def victim(self) -> tuple[ClusterNode, int]:
        """The master serving the most rooms now, and how many."""
        masters = self.cluster.masters()
        count: Counter[int] = Counter({node.port: 0 for node in masters})
        for room in self.rooms:
            count[self.cluster.master_of_slot(key_slot(f"{self.key_prefix}:{{{room.room_id}}}:room")).port] += 1
        self.rooms_per_master = {self.cluster.node_at(port).addr: n for port, n in count.items()}
        port, n = max(count.items(), key=lambda kv: (kv[1], -masters.index(self.cluster.node_at(kv[0]))))
        return self.cluster.node_at(port), n

    def _sequence(self, node: ClusterNode) -> None:
        """Kill ``node``, wait for the failover, then restart it (in the worker thread)."""
        self.killed = node
        self.killed_at = time.monotonic()
        self.cluster.kill(node)
        try:
            self.failover_s = round(self.cluster.wait_failover(node, self.timeout_s), 3)
        except RuntimeError as err:
            self.problem = f"failover: {err}"
        self._restart(node)

    def _restart(self, node: ClusterNode) -> None:
        if node.running:
            return
        try:
            self.cluster.restart(node, self.timeout_s)
            if self.killed_at is not None:
                self.rejoined_s = round(time.monotonic() - self.killed_at, 3)
        except RuntimeError as err:
            self.problem = (self.problem + "; " if self.problem else "") + f"restart: {err}"

    def controller(self, rec: Recorder) -> Control:
        async def control(clients: list[Candidate]) -> None:
            while rec.answers < self.share * self.expected:
                await asyncio.sleep(0.05)
            node, n = await asyncio.to_thread(self.victim)
            self.at_answers = rec.answers
            self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="failover")
            rec.begin_disruption(f"kill -9 {node.addr} ({n} rooms)", store=True)
            self.at_s = round(rec.now(), 3)
            self._future = self._pool.submit(self._sequence, node)
            try:
                await asyncio.shield(asyncio.wrap_future(self._future))
                self._mark(rec)
                await asyncio.sleep(self.settle_s)
            finally:
                self._mark(rec)
                self.window_errors = Counter(rec.window_errors)
                self.retryable = Counter(rec.retryable)
                rec.end_disruption("failover settled", store=True)

        return control

    def _mark(self, rec: Recorder) -> None:
        """The failover and the rejoin as events of the run, at the times they happened (once each)."""
        labels = {label for _, label in rec.marks}
        assert self.at_s is not None
        for took, label in ((self.failover_s, "slots failed over"), (self.rejoined_s, "killed node back as replica")):
            if took is not None and label not in labels:
                rec.marks.append((round(self.at_s + took, 3), label))
        rec.marks.sort()

    def finish(self) -> None:
        """After the phase: wait for the kill, failover and restart to be over; restart the node should it still be
        down. Bounded by twice ``timeout_s``."""
        if self._future is not None:
            try:
                self._future.result(2 * self.timeout_s)
            except concurrent.futures.TimeoutError:
                self.problem = (self.problem or "") + " the failover did not end in time"
        if self.killed is not None and not self.killed.running:
            self._restart(self.killed)
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def summary(self, clients: Sequence[Candidate]) -> dict[str, Any]:
        """The ``failover`` section of the report."""
        gaps, unrecovered = ([], 0) if self.killed_at is None else recovery_gaps(clients, self.killed_at)
        return {
            "killed_node": None if self.killed is None else self.killed.addr,
            "rooms_on_it": None if self.killed is None else self.rooms_per_master.get(self.killed.addr),
            "rooms_per_master": self.rooms_per_master,
            "at_answers": self.at_answers,
            "at_s": self.at_s,
            "failover_s": self.failover_s,
            "rejoined_s": self.rejoined_s,
            "examinees_sitting": len(gaps) + unrecovered,
            "unrecovered": unrecovered if self.killed_at is not None else None,
            "slowest_recovery_s": round(max(gaps), 3) if gaps else None,
            "recovery_s": summarise(gaps),
            "errors_by_code": dict(sorted(self.window_errors.items())),
            "retryable_unavailable": sum(self.retryable.values()),
            "problem": self.problem,
        }
