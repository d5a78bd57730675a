"""The rehearsals: rollout, peak, storm, restart, soak, failover.

Each is a :class:`Scenario`: how many examinees in how many rooms, how they arrive and answer, which deployment
serves them, what goes wrong on purpose, and the targets the report checks. Every field can be overridden from the
command line. Think times are real seconds (answering one item takes about half a minute: median 30 s); the
``time_scale`` factor compresses them, so ``time_scale = 0.1`` is ten times the real answer rate of each examinee.

Targets (issue 5, measured on the 2-core development machine with server, Redis and generator together): no
errors, no answer lost or duplicated, every examinee finished, final-theta RMSE per subtest within 10 % of
``cat-sim``'s for the same battery and examinees; ``peak``: answer-to-next-item p99 <= 25 ms and server CPU per
answer <= 2.5 times the echo floor's; ``storm``: every examinee resumed within 5 s; ``failover``: the cluster serves
the killed master's slots again within 30 s and every examinee sitting then got a reply again within 30 s (the
store's ``unavailable`` refusals during the failover are retryable, not errors).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COMMON_CHECKS", "SCENARIOS", "Check", "Scenario"]

REAL_THINK = "lognormal:30:0.5"


@dataclass(frozen=True)
class Check:
    """A target: the report value at ``path`` (dots between keys) compared with ``limit``."""

    name: str
    path: str
    op: str  # "<=" or "=="
    limit: float

    def passed(self, value: float | None) -> bool:
        if value is None:
            return False
        return value <= self.limit if self.op == "<=" else value == self.limit


COMMON_CHECKS = (
    Check("errors", "errors", "==", 0),
    Check("lost", "lost", "==", 0),
    Check("duplicated", "duplicated", "==", 0),
    Check("unfinished", "unfinished", "==", 0),
    Check("rmse_within_10pct_of_cat_sim", "rmse_max_deviation", "<=", 0.10),
)


@dataclass(frozen=True)
class Scenario:
    """One rehearsal.

    Attributes
    ----------
    name : str
    examinees, rooms, proctors_per_room : int
        The examinees are spread over the rooms in blocks; each room has this many proctor connections.
    mode : str
        ``closed`` (think after each reply) or ``open`` (a fixed answer rate).
    think : str
        Think-time distribution in real seconds (:class:`~load_tests.examinee.ThinkTime`).
    time_scale : float
        Factor on every think time.
    arrival_rate : float
        Examinees starting per second (a fixed arrival rate).
    store : str
        ``redis``, ``cluster`` (a private Redis Cluster: 3 masters, 3 replicas) or ``memory``.
    node_timeout_ms : int
        ``cluster-node-timeout`` of the cluster's nodes: a master silent that long is failed over (the failover
        takes about twice that).
    server_env : tuple of (str, str)
        Environment of the servers started here, on top of the harness's (e.g. ``CAT_REDIS_WAIT_REPLICAS``).
    workers, instances : int
        Server processes per instance (``CAT_WORKERS``), and independent instances (as hosts behind a load
        balancer: each examinee prefers one and moves to the next when it cannot connect).
    drop_share : float
        Share of examinees whose network drops once, with an answer in flight.
    storm_at : float or None
        Every connected examinee is dropped at once when this share of the expected answers is in.
    restarts : tuple of float
        Shares of the expected answers at which an instance is killed (SIGKILL) and restarted, in turn.
    down_for : float
        Seconds a killed instance stays down.
    failover_at : float or None
        The cluster master serving the most rooms is killed (SIGKILL) when this share of the expected answers is
        in, and restarted (it rejoins as a replica) once its slots are failed over.
    max_seconds : float
        Bound on the load phase; examinees still sitting then are counted as unfinished.
    checks : tuple of Check
        Targets on top of :data:`COMMON_CHECKS`.
    operator_groups : int
        Groups of 4 seats per room answered by one simulated person, one answer at a time
        (:mod:`load_tests.operator`); 0 for none.
    operator_think : str
        That person's think time per item (real seconds, as ``think``); empty: ``think`` divided by 4, so each of
        the four seats keeps about a normal pace.
    """

    name: str
    examinees: int
    rooms: int
    proctors_per_room: int = 1
    mode: str = "closed"
    think: str = REAL_THINK
    time_scale: float = 0.1
    arrival_rate: float = 50.0
    store: str = "redis"
    node_timeout_ms: int = 3000
    server_env: tuple[tuple[str, str], ...] = ()
    workers: int = 2
    instances: int = 1
    drop_share: float = 0.0
    storm_at: float | None = None
    restarts: tuple[float, ...] = ()
    down_for: float = 1.0
    failover_at: float | None = None
    max_seconds: float = 900.0
    checks: tuple[Check, ...] = ()
    operator_groups: int = 0
    operator_think: str = ""


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        # a regional office's sitting: three rooms of 100, two proctor screens each, candidates logging in over
        # half a minute, a few network drops; think times compressed 5x, so a sitting takes about 15 minutes
        Scenario(
            "rollout",
            examinees=300,
            rooms=3,
            proctors_per_room=2,
            mode="closed",
            time_scale=0.2,
            arrival_rate=10.0,
            drop_share=0.05,
            max_seconds=1800.0,  # the longest adaptive tests (up to 120 items) take about 14 minutes
        ),
        # 1,000 examinees at ten times the real answer rate, on a fixed schedule
        Scenario(
            "peak",
            examinees=1000,
            rooms=10,
            mode="open",
            time_scale=0.1,
            arrival_rate=100.0,
            max_seconds=900.0,
            checks=(
                Check("latency_p99_le_25ms", "latency_ms.p99", "<=", 25.0),
                Check("cpu_le_2.5x_floor", "ratio_to_floor.cpu", "<=", 2.5),
            ),
        ),
        # every examinee's network drops at once, mid-test
        Scenario(
            "storm",
            examinees=1000,
            rooms=10,
            mode="open",
            time_scale=0.1,
            arrival_rate=100.0,
            storm_at=0.4,
            max_seconds=900.0,
            checks=(
                Check("storm_all_resumed", "storm.not_resumed", "==", 0),
                Check("storm_resume_le_5s", "storm.resume_ms.max", "<=", 5000.0),
            ),
        ),
        # two instances (hosts) on one Redis; each is killed with SIGKILL and restarted in turn
        Scenario(
            "restart",
            examinees=300,
            rooms=3,
            mode="closed",
            time_scale=0.1,
            arrival_rate=30.0,
            workers=1,
            instances=2,
            restarts=(0.3, 0.6),
            down_for=1.0,
            max_seconds=900.0,
        ),
        # a long steady run: examinees keep arriving for ten minutes, about 300 sitting at any time
        Scenario(
            "soak",
            examinees=1200,
            rooms=4,
            mode="open",
            time_scale=0.1,
            arrival_rate=2.0,
            max_seconds=1500.0,
        ),
        # peak's load on a Redis Cluster (3 masters, 3 replicas, every answer confirmed by a replica: WAIT 1); at
        # 40 % of the expected answers the master serving the most rooms is killed (SIGKILL), its replica takes
        # over, and the killed node comes back as a replica
        Scenario(
            "failover",
            examinees=1000,
            rooms=10,
            mode="open",
            time_scale=0.1,
            arrival_rate=100.0,
            store="cluster",
            server_env=(("CAT_REDIS_WAIT_REPLICAS", "1"),),
            failover_at=0.4,
            max_seconds=900.0,
            checks=(
                Check("failover_le_30s", "failover.failover_s", "<=", 30.0),
                Check("failover_all_recovered", "failover.unrecovered", "==", 0),
                Check("failover_recovery_le_30s", "failover.slowest_recovery_s", "<=", 30.0),
            ),
        ),
    )
}
