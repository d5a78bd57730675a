"""The load tests on a Redis Cluster: reading a cluster's keys where they live, what a session costs, the recovery
of examinees after a failover, and two tiny end-to-end runs (``--store cluster``, and the ``failover`` scenario that
kills the master serving the most rooms).

No speed is asserted. What must hold whatever the machine: every examinee finishes, nothing is lost or duplicated,
no error other than the retryable ``unavailable`` during the failover, and the report has its new fields.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from load_tests.candidate import Candidate, Pacing
from load_tests.cluster import LocalCluster, cluster_available, key_slot
from load_tests.disruptions import recovery_gaps
from load_tests.examinee import RandomResponder, ThinkTime
from load_tests.recorder import Recorder
from load_tests.redisdata import RedisData, sample_spread, session_keys, session_memory
from load_tests.report import REQUIRED_KEYS
from load_tests.target import NotLoopback, loopback_redis_url

ROOT = Path(__file__).resolve().parents[1]
COMMON = ("--no-progress", "--no-plots", "--lang", "en")
needs_cluster = pytest.mark.skipif(cluster_available() is not None, reason=str(cluster_available()))


# --- pieces --------------------------------------------------------------------------------------------------


def test_cluster_urls_must_be_loopback_on_every_seed() -> None:
    url = "redis+cluster://127.0.0.1:7000,127.0.0.1:7001"
    assert loopback_redis_url(url) == url
    with pytest.raises(NotLoopback):
        loopback_redis_url("redis+cluster://127.0.0.1:7000,10.1.2.3:7001")
    with pytest.raises(NotLoopback):
        loopback_redis_url("redis+cluster://127.0.0.1")


def test_a_sample_is_spread_over_groups_and_within_each() -> None:
    groups = {"a": list(range(100)), "b": list(range(100, 103)), "c": list(range(200, 240))}
    picked = sample_spread(groups, 20)
    assert len(picked) == 20 and len(set(picked)) == 20
    assert sum(1 for x in picked if 100 <= x < 103) == 3  # a small group gives all it has
    in_a = [x for x in picked if x < 100]
    assert in_a[0] == 0 and in_a[-1] > 80  # spread over the group, not its first members
    assert sample_spread({"a": [1, 2]}, 50) == [1, 2]


def _client(rec: Recorder, acks: list[float], errors: list[float], outcome: str) -> Candidate:
    rng = np.random.default_rng(0)
    pacing = Pacing("open", ThinkTime.parse("fixed:1"), 1)
    c = Candidate("t", ["ws://127.0.0.1:9"], RandomResponder(rng), pacing, rng, rec, 0)
    c.ack_times, c.error_times, c.outcome = acks, errors, outcome
    return c


def test_recovery_gaps_run_from_the_last_frame_before_the_kill_to_the_next_reply() -> None:
    rec = Recorder()
    clients = [
        _client(rec, [1.0, 2.0, 9.0, 10.0], [], "finished"),  # 2.0 -> 9.0
        _client(rec, [1.0, 11.0], [4.0], "finished"),  # an error frame before the kill counts: 4.0 -> 11.0
        _client(rec, [1.0], [], "finished"),  # done before the kill
        _client(rec, [6.0, 7.0], [], "finished"),  # arrived after the kill
        _client(rec, [2.0], [5.5], "unfinished"),  # never answered again
    ]
    gaps, unrecovered = recovery_gaps(clients, 5.0)
    assert gaps == [7.0, 7.0] and unrecovered == 1


# --- a cluster's keys ----------------------------------------------------------------------------------------


@needs_cluster
def test_memory_usage_and_deletes_go_to_the_node_of_each_key(private_cluster: LocalCluster) -> None:
    prefix = f"t{secrets.token_hex(3)}"
    rooms = [f"R{n}{secrets.token_hex(2)}" for n in range(12)]
    masters = {private_cluster.master_of_key(f"{prefix}:{{{r}}}:room").port for r in rooms}
    assert len(masters) >= 2  # the rooms fall on several masters
    with RedisData(private_cluster.url) as data:
        assert data.cluster and len(data.masters()) == 3
        keys = []
        for r in rooms:
            keys += [f"{prefix}:{{{r}}}:room", *session_keys(prefix, r, f"{r}-1", f"tok{r}").values()]
            master = private_cluster.master_of_key(f"{prefix}:{{{r}}}:room")
            master.command("HSET", f"{prefix}:{{{r}}}:room", "name", "x" * 200)
            master.command("HSET", f"{prefix}:{{{r}}}:s:{r}-1", "state", "y" * 50)
        sizes = data.memory_usage(keys)
        for key, size in zip(keys, sizes, strict=True):
            node = private_cluster.master_of_slot(key_slot(key))
            assert size == int(node.command("MEMORY", "USAGE", key, "SAMPLES", "0") or 0)
        assert sum(1 for s in sizes if s > 0) == 2 * len(rooms)
        cost = session_memory(data, prefix, [(r, f"{r}-1", f"tok{r}") for r in rooms], dict.fromkeys(rooms, 2), most=5)
        assert cost is not None and cost["sampled"] == 5 and cost["rooms"] == 5
        assert cost["parts_mean"]["session"] > 50 and cost["parts_mean"]["room_share"] > 100
        assert cost["parts_mean"]["audit"] == 0 and cost["min"] <= cost["mean"] <= cost["max"]
        assert data.delete(f"{prefix}:*") == 2 * len(rooms)
        assert not any(data.memory_usage(keys))
        used = data.used_memory()
        assert used is not None and used > 0


# --- end to end ----------------------------------------------------------------------------------------------


def _run(tmp_path: Path, args: list[str], timeout: float) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "load_tests", *args, *COMMON, "--report-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report: dict[str, Any] = json.loads((tmp_path / "report.json").read_text())
    assert set(REQUIRED_KEYS) <= set(report)
    return report


@needs_cluster
def test_a_tiny_run_on_a_cluster(tmp_path: Path) -> None:
    args = ["peak", "--store", "cluster", "--examinees", "6", "--rooms", "2", "--workers", "1"]
    args += ["--time-scale", "0.003", "--arrival-rate", "50", "--max-seconds", "40"]
    report = _run(tmp_path, args, 120)
    assert report["settings"]["store"] == "cluster" and report["settings"]["node_timeout_ms"] == 3000
    assert report["finished"] == 6 and report["unfinished"] == 0
    assert report["errors"] == 0, report["errors_by_code"]
    assert report["lost"] == 0 and report["duplicated"] == 0 and report["mismatched"] == 0
    assert report["answers"] == report["applied"] > 6 * 20
    assert report["redis_bytes_per_session"] > 0
    parts = report["session_memory"]["parts_mean"]
    assert parts["session"] > 0 and parts["audit"] > 0 and parts["result"] > 0 and parts["room_share"] > 0
    assert report["redis_memory"]["per_session_bytes"] > 0
    assert report["redis_cpu_us_per_answer"] > 0  # all six nodes measured
    assert report["floor"]["redis_round_trip"] and report["floor"]["errors"] == 0
    assert report["failover"] is None and report["retryable_unavailable"] == 0
    assert "Redis memory per finished session" in (tmp_path / "summary.txt").read_text()


@needs_cluster
def test_a_tiny_failover(tmp_path: Path) -> None:
    args = ["failover", "--examinees", "8", "--rooms", "2", "--workers", "1", "--time-scale", "0.015"]
    args += ["--arrival-rate", "50", "--node-timeout-ms", "1000", "--max-seconds", "50", "--no-floor"]
    report = _run(tmp_path, args, 150)
    assert report["finished"] == 8 and report["unfinished"] == 0
    assert report["errors"] == 0, report["errors_by_code"]
    assert report["lost"] == 0 and report["duplicated"] == 0 and report["mismatched"] == 0
    assert report["answers"] == report["applied"]
    fo = report["failover"]
    assert fo["killed_node"] and fo["rooms_on_it"] == max(fo["rooms_per_master"].values()) >= 1
    assert fo["failover_s"] > 0 and fo["rejoined_s"] >= fo["failover_s"] and fo["problem"] is None
    assert fo["at_answers"] > 0 and fo["unrecovered"] == 0 and fo["slowest_recovery_s"] > 0
    assert set(fo["errors_by_code"]) <= {"unavailable", "proctor:unavailable"}
    assert report["retryable_unavailable"] == fo["retryable_unavailable"]
    assert report["settings"]["server_env"] == {"CAT_REDIS_WAIT_REPLICAS": "1"}
    assert all(c["passed"] for c in report["checks"] if c["name"].startswith("failover")), report["checks"]
    assert list((tmp_path / "work" / "cluster").glob("node*/node*.log"))
