"""cat_engine/server/redis_client.py: the client a URL names, its one-pass command packer, its node clients."""

from __future__ import annotations

from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster

from cat_engine.server.redis_client import PackingConnection, cluster_ok, connect, node_client, per_node
from cat_engine.server.redis_store import RedisStore


@pytest.mark.parametrize(
    "args",
    [
        ("SET", "k", b"v"),
        ("EVALSHA", "a" * 40, 2, "P:{R}:s:R-1", b"P:{R}:events", "12", b"x" * 9000, b"", "", 259200, -3),
        ("XADD", "s", "*", "e", "unicode: \u00e9\u4e2d"),
        ("CONFIG GET", "maxmemory"),  # a command name with a space: redis-py's own packer
        (b"CLIENT SETNAME", b"x"),
        ("SET", "k", 1.5),  # a float: redis-py's own packer
        ("SET", "k", memoryview(b"abc")),
    ],
)
def test_packing_connection_packs_like_redis_py(args: tuple[Any, ...]) -> None:
    ours = b"".join(bytes(part) for part in PackingConnection().pack_command(*args))
    theirs = b"".join(bytes(part) for part in aioredis.Connection().pack_command(*args))
    assert ours == theirs


def test_packing_connection_refuses_what_redis_py_refuses() -> None:
    with pytest.raises(Exception) as ours:
        PackingConnection().pack_command("SET", "k", True)
    with pytest.raises(Exception) as theirs:
        aioredis.Connection().pack_command("SET", "k", True)
    assert type(ours.value) is type(theirs.value)


def test_the_store_uses_the_packing_connection() -> None:
    store = RedisStore("redis://127.0.0.1:1/0")
    assert store._redis.connection_pool.connection_class is PackingConnection


def test_a_cluster_url_gives_a_cluster_client_whose_nodes_pack_in_one_pass() -> None:
    client = connect("redis+cluster://user:secret@127.0.0.1:7000,127.0.0.1:7001", 50)
    assert isinstance(client, RedisCluster)
    assert client.connection_kwargs["connection_class"] is PackingConnection
    assert (client.connection_kwargs["username"], client.connection_kwargs["password"]) == ("user", "secret")
    single = connect("redis://127.0.0.1:1/0", 50)
    assert isinstance(single, aioredis.Redis) and single.connection_pool.max_connections == 50
    with pytest.raises(ValueError, match="redis\\+cluster://host:port"):
        connect("redis+cluster://nowhere", 50)


def test_a_node_client_talks_to_that_node_with_the_clusters_credentials() -> None:
    cluster = connect("redis+cluster://u:pw@127.0.0.1:7000", 10)
    client = node_client(cluster, ClusterNode("127.0.0.1", 7002))
    kwargs = client.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"], kwargs["username"], kwargs["password"]) == ("127.0.0.1", 7002, "u", "pw")
    assert client.connection_pool.connection_class is PackingConnection


def test_per_node_replies_and_cluster_state() -> None:
    by_node = {"127.0.0.1:7000": {"cluster_state": "ok"}, "127.0.0.1:7001": {"cluster_state": "fail"}}
    assert per_node(by_node) == list(by_node.values())
    one: dict[str, Any] = {"role": "master", "connected_slaves": 1}
    assert per_node(one) == [one]
    assert [cluster_ok(r) for r in per_node(by_node)] == [True, False]
    assert cluster_ok(b"cluster_state:ok\r\ncluster_slots_ok:16384") and not cluster_ok("cluster_state:fail")


def test_a_write_that_cannot_wait_starts_no_task_and_a_big_one_keeps_redis_pys_bound(
    private_redis: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Commands under the transport's high-water mark go to the transport without ``asyncio.wait_for`` (a task per
    command); a bigger one goes through redis-py's bounded write; both round-trip on a real Redis, and a reply that
    never comes still times out on the read."""
    import asyncio
    import secrets

    from redis.exceptions import TimeoutError as RedisTimeoutError

    bounded: list[float] = []
    real_wait_for = asyncio.wait_for

    async def counting_wait_for(awaitable: Any, timeout: float | None) -> Any:
        bounded.append(-1.0 if timeout is None else timeout)
        return await real_wait_for(awaitable, timeout)

    monkeypatch.setattr(asyncio, "wait_for", counting_wait_for)
    key = f"test-packing-{secrets.token_hex(6)}"

    async def run() -> None:
        client = connect(private_redis.url, 4)
        try:
            await client.set(key, b"small")
            assert await client.get(key) == b"small"
            small_writes = len(bounded)
            big = secrets.token_bytes(300_000)  # over any default high-water mark (64 KiB)
            await client.set(key, big)
            assert await client.get(key) == big
            assert small_writes == 0 and len(bounded) == 1 and bounded[0] > 0
            # BLPOP on an empty list with a server-side wait longer than the socket timeout: the read times out
            slow = aioredis.Redis.from_url(private_redis.url, socket_timeout=0.3, connection_class=PackingConnection)
            try:
                with pytest.raises(RedisTimeoutError):
                    await slow.blpop([f"{key}-empty"], timeout=3)
            finally:
                await slow.aclose()
        finally:
            await client.delete(key)
            await client.aclose()

    asyncio.run(run())
