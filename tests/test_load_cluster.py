"""The private Redis Cluster harness (:mod:`load_tests.cluster`): hash slots as Redis computes them, the shared
``private_cluster`` fixture (3 masters owning every slot, one replica each), and a failover on a cluster of its own:
a replicated key survives the SIGKILL of its master, and the old master comes back as a replica.

Every node runs on a free loopback port (never 6379); every wait is bounded by time.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from redis.cluster import RedisCluster
from redis.exceptions import MovedError

from load_tests.cluster import SLOTS, LocalCluster, cluster_available, crc16, key_slot
from load_tests.procs import SHARED_REDIS_PORT

KEYS: list[str | bytes] = [
    "foo",
    "bar",
    "",
    "cat:{ABC123}:room",
    "cat:{ABC123}:events",
    "{}",
    "{}x",
    "a{b}c{d}",
    "foo{}{bar}",
    "foo{{bar}}zap",
    "foo{bar}{zap}",
    "{user1000}.following",
    "no}tag{",
    "{",
    "}",
    "ünïcødé:{Ω}",
    b"\xff\x00binary{\x01}",
]


def _eventually(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``check`` (a redis error counts as not yet) until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = "not checked"
    while time.monotonic() < deadline:
        try:
            if check():
                return
            last = "false"
        except (redis.RedisError, OSError) as err:
            last = repr(err)
        time.sleep(0.05)
    pytest.fail(f"{what}: not within {timeout} s (last: {last})")


# --- hash slots ----------------------------------------------------------------------------------------------


def test_crc16_is_xmodem() -> None:
    assert crc16(b"123456789") == 0x31C3  # the CRC16-XMODEM check value the Redis Cluster spec gives
    assert crc16(b"") == 0


def test_key_slot_hash_tags() -> None:
    assert key_slot("foo") == 12182
    assert key_slot("cat:{ABC123}:room") == key_slot("cat:{ABC123}:events") == key_slot("ABC123")
    assert key_slot("a{b}c{d}") == key_slot("b")  # the first tag only
    assert key_slot("{}") == crc16(b"{}") % SLOTS  # an empty tag is no tag: the whole key is hashed
    assert key_slot("foo{}{bar}") == crc16(b"foo{}{bar}") % SLOTS
    assert key_slot("foo{{bar}}zap") == key_slot("{bar")
    assert key_slot("ünïcødé") == key_slot("ünïcødé".encode())
    assert all(0 <= key_slot(k) < SLOTS for k in KEYS)


def test_key_slot_matches_cluster_keyslot(private_cluster: LocalCluster) -> None:
    node = private_cluster.nodes[0]
    for key in KEYS:
        assert key_slot(key) == int(node.command("CLUSTER", "KEYSLOT", key)), key


# --- the shared fixture --------------------------------------------------------------------------------------


def test_fixture_cluster_is_ok(private_cluster: LocalCluster) -> None:
    cluster = private_cluster
    cluster.wait_ok(10)
    assert len(cluster.nodes) == 6
    for node in cluster.nodes:
        assert node.running
        assert SHARED_REDIS_PORT not in (node.port, node.bus_port)
        assert node.addr == f"127.0.0.1:{node.port}"
        info = node.cluster_info()
        assert info["cluster_state"] == "ok"
        assert info["cluster_slots_assigned"] == info["cluster_slots_ok"] == str(SLOTS)
        assert info["cluster_known_nodes"] == "6"

    masters = cluster.masters()
    assert len(masters) == 3
    ranges = cluster.slot_ranges()
    assert ranges[0].start == 0 and ranges[-1].end == SLOTS - 1
    assert all(a.end + 1 == b.start for a, b in itertools.pairwise(ranges))
    assert sum(r.end - r.start + 1 for r in ranges) == SLOTS
    assert {r.master for r in ranges} == {m.port for m in masters}
    assert cluster.url == "redis+cluster://" + ",".join(m.addr for m in masters)

    replicas = []
    for master in masters:
        assert master.role() == "master"
        found = cluster.replicas_of(master)
        assert len(found) == 1
        replica = cluster.replica_of(master)
        assert replica is found[0] and replica not in masters
        assert replica.role() == "slave"
        replication = replica.info("replication")
        assert replication["master_port"] == master.port and replication["master_link_status"] == "up"
        replicas.append(replica)
    assert set(cluster.nodes) == set(masters) | set(replicas)
    assert cluster.used_memory_total() > 0


def test_master_of_key_serves_the_key(private_cluster: LocalCluster) -> None:
    """The node :meth:`~LocalCluster.master_of_key` names takes the key; another master redirects it (MOVED)."""
    masters = private_cluster.masters()
    for tag in ("ABC123", "XYZ789", "q"):
        key = f"test_load_cluster:{{{tag}}}:probe"
        owner = private_cluster.master_of_key(key)
        assert owner is private_cluster.master_of_slot(key_slot(key))
        with redis.Redis(host="127.0.0.1", port=owner.port, socket_timeout=2) as client:
            assert client.set(key, "1", ex=60) is True
            assert client.delete(key) == 1
        other = next(m for m in masters if m is not owner)
        with (
            redis.Redis(host="127.0.0.1", port=other.port, socket_timeout=2) as client,
            pytest.raises(MovedError) as moved,
        ):
            client.get(key)
        assert (moved.value.slot_id, moved.value.port) == (key_slot(key), owner.port)
    with pytest.raises(ValueError, match="slot"):
        private_cluster.master_of_slot(SLOTS)


# --- a failover, on a cluster of its own -----------------------------------------------------------------------


def _replica_value(port: int, key: str) -> str | None:
    """``key`` read on the replica at ``port`` itself (READONLY on the same connection)."""
    with redis.Redis(
        host="127.0.0.1", port=port, socket_timeout=2, decode_responses=True, single_connection_client=True
    ) as client:
        client.readonly()
        value = client.get(key)
    return None if value is None else str(value)


def test_failover_keeps_a_replicated_key(tmp_path: Path) -> None:
    why = cluster_available()
    if why is not None:
        pytest.fail(f"cannot start a private Redis Cluster: {why}")
    cluster = LocalCluster(tmp_path / "cluster", node_timeout_ms=1000)
    cluster.start(timeout=60)
    client: RedisCluster | None = None
    try:
        client = RedisCluster(
            host="127.0.0.1",
            port=cluster.nodes[0].port,
            socket_timeout=2,
            socket_connect_timeout=2,
            decode_responses=True,
        )
        key = "cat:{FAILOVER1}:probe"
        master = cluster.master_of_key(key)
        replica = cluster.replica_of(master)

        assert client.set(key, "before") is True
        target = client.get_node(host="127.0.0.1", port=master.port)  # type: ignore[no-untyped-call]
        assert client.wait(1, 5000, target_nodes=target) >= 1
        # WAIT counts the replicas that have this connection's writes; reading the key on the replica proves it
        _eventually(lambda: _replica_value(replica.port, key) == "before", 5, "the key on the replica")

        cluster.kill(master)
        assert not master.running
        took = cluster.wait_failover(master, timeout=30)
        assert 0 < took < 30
        assert cluster.master_of_key(key) is replica
        assert replica.role() == "master"
        # the client finds the new master by itself (its first call may meet the dead one: retried, bounded)
        _eventually(lambda: client is not None and client.get(key) == "before", 15, "the key after the failover")
        assert client.set(key, "after") is True

        cluster.restart(master, timeout=30)
        assert master.running and master.role() == "slave"
        assert cluster.replica_of(replica) is master
        assert master.info("replication")["master_port"] == replica.port
        _eventually(lambda: _replica_value(master.port, key) == "after", 5, "the write on the restarted node")
        cluster.wait_ok(10)
        assert len(cluster.masters()) == 3
    finally:
        if client is not None:
            client.close()
        cluster.stop()
    assert not any(node.running for node in cluster.nodes)
