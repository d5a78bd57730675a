"""Connecting to Redis: the client a ``REDIS_URL`` names, its connection class, and what its errors mean.

* ``redis://host:port[/db]`` (or ``rediss://``): redis-py's asyncio ``Redis``, one quick retry on a fresh connection
  (after a Redis restart every pooled connection is stale and fails once);
* ``redis+cluster://[user:password@]host:port[,host:port...]``: redis-py's asyncio ``RedisCluster`` through those
  seed nodes; MOVED, ASK and TRYAGAIN are followed at once, a lost node or CLUSTERDOWN retried with backoff for
  about two seconds (0.05 s doubling to 0.5 s, 6 times) before the command is "store unavailable" and the client
  resends (the page and the load test keep trying through a failover of 15-20 s, docs/operations.md).

Retrying is safe for every command of the store: a commit that did land is refused the second time by its version
check, and the session layer then finds the answer applied and returns its stored reply.
"""

from __future__ import annotations

import re
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import (
    AskError,
    ClusterError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisClusterUnreachableError,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = [
    "UNAVAILABLE_ERRORS",
    "PackingConnection",
    "cluster_ok",
    "cluster_seeds",
    "connect",
    "node_client",
    "per_node",
]

#: Errors that mean "the store cannot take this command now": the client retries, nothing is known to be written
#: unless the version check says so later. ``AskError`` covers ``MOVED`` (its subclass) once the client's own
#: redirections are used up, as during a resharding.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    OSError,
    ClusterError,
    TryAgainError,
    AskError,
    SlotNotCoveredError,
    RedisClusterUnreachableError,
    ReadOnlyError,
    OutOfMemoryError,
)

_CLUSTER_URL = re.compile(r"^redis\+cluster://(?:(?P<user>[^:@/]*):(?P<password>[^@/]*)@)?(?P<nodes>[^/?#]+)/?$")


def cluster_seeds(url: str) -> list[tuple[str, int]] | None:
    """The seed nodes of a ``redis+cluster://host:port[,host:port...]`` URL; None for any other scheme.

    Raises
    ------
    ValueError
        A ``redis+cluster`` URL without a valid ``host:port`` list.
    """
    if not url.startswith("redis+cluster://"):
        return None
    match = _CLUSTER_URL.match(url)
    seeds: list[tuple[str, int]] = []
    for part in (match.group("nodes") if match else "").split(","):
        host, _, port = part.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"REDIS_URL {url!r}: a Cluster URL is redis+cluster://host:port[,host:port...]")
        seeds.append((host.strip("[]"), int(port)))
    return seeds


def _cluster_credentials(url: str) -> tuple[str | None, str | None]:
    """``(username, password)`` of a ``redis+cluster://user:password@...`` URL (None where absent)."""
    match = _CLUSTER_URL.match(url)
    if match is None:
        return None, None
    return match.group("user") or None, match.group("password")


class PackingConnection(aioredis.Connection):
    """redis-py's connection with a one-pass command packer.

    redis-py joins the growing buffer once per argument, which costs more than the rest of a command when it has
    many arguments (the commit script has over twenty, a few kilobytes in all). Here each argument of the usual
    kinds (bytes, str, int) is framed once and the whole command joined once: ``*<n>\r\n`` then ``$<len>\r\n<arg>\r\n``
    per argument (RESP). Anything else (floats, memoryviews, a command name with a space such as ``CONFIG GET``)
    goes to redis-py's own packer.
    """

    def pack_command(self, *args: Any) -> list[bytes]:
        first = args[0]
        if isinstance(first, str | bytes) and (" " in first if isinstance(first, str) else b" " in first):
            return super().pack_command(*args)
        parts = [b"*%d\r\n" % len(args)]
        for arg in args:
            if isinstance(arg, str):
                arg = arg.encode()
            elif isinstance(arg, int) and not isinstance(arg, bool):
                arg = b"%d" % arg
            elif not isinstance(arg, bytes):
                return super().pack_command(*args)
            parts += (b"$%d\r\n" % len(arg), arg, b"\r\n")
        return [b"".join(parts)]

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        """redis-py's, without a task per command for a write that cannot wait.

        redis-py bounds every write by ``socket_timeout`` with ``asyncio.wait_for``, which starts a task for it. A
        write waits only when the transport's buffer goes over its high-water mark (the server stopped reading);
        below it the transport takes the bytes and sends them as the loop goes on. So a command that keeps the
        buffer at most at that mark, on an open connection, is handed to the transport directly; the read of its
        reply keeps ``socket_timeout``, so a Redis that stopped answering is found as before. Anything else
        (not connected, closing, a bigger write) goes through redis-py's own path.
        """
        writer = self._writer
        if writer is None or self._reader is None or not isinstance(command, list):
            return await super().send_packed_command(command, check_health)
        transport = writer.transport
        pending = transport.get_write_buffer_size() + sum(len(part) for part in command)
        if transport.is_closing() or pending > transport.get_write_buffer_limits()[1]:
            return await super().send_packed_command(command, check_health)
        if check_health:
            # a PING every health_check_interval, which may reconnect
            await self.check_health()  # type: ignore[no-untyped-call]
            if self._writer is not writer:
                return await super().send_packed_command(command, False)
        writer.writelines(command)


def connect(url: str, max_connections: int) -> Any:
    """The client ``url`` names (module docstring), with :class:`PackingConnection` and at most
    ``max_connections`` connections (per node on a Cluster).

    Raises
    ------
    ValueError
        A ``redis+cluster`` URL without a valid ``host:port`` list.
    """
    seeds = cluster_seeds(url)
    if seeds is None:
        return aioredis.Redis.from_url(
            url,
            decode_responses=False,
            max_connections=max_connections,
            health_check_interval=30,
            socket_keepalive=True,
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
            connection_class=PackingConnection,
        )
    username, password = _cluster_credentials(url)
    cluster = RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in seeds],
        decode_responses=False,
        max_connections=max_connections,
        socket_keepalive=True,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 6),
        username=username,
        password=password,
    )
    # RedisCluster takes no connection class; the nodes it discovers are built from these kwargs
    cluster.connection_kwargs["connection_class"] = PackingConnection
    return cluster


def node_client(cluster: RedisCluster, node: ClusterNode, max_connections: int = 64) -> aioredis.Redis:
    """A single-node client of one Cluster node, with the Cluster's credentials: for commands that must share a
    connection with the writes before them (``WAIT``)."""
    kwargs = cluster.get_connection_kwargs()
    pool = aioredis.ConnectionPool(
        connection_class=PackingConnection,
        host=node.host,
        port=int(node.port),
        username=kwargs.get("username"),
        password=kwargs.get("password"),
        max_connections=max_connections,
        socket_keepalive=True,
    )
    return aioredis.Redis(connection_pool=pool)


def per_node(reply: Any) -> list[Any]:
    """The per-node replies of a command sent to several Cluster nodes (a dict by node name, each reply a dict or
    text), or the one reply of a single node (a dict of fields, or text)."""
    by_node = isinstance(reply, dict) and reply and all(isinstance(v, dict | bytes | str) for v in reply.values())
    if by_node and not any(k in reply for k in ("cluster_state", "role", b"cluster_state", b"role")):
        return list(reply.values())
    return [reply]


def cluster_ok(info: Any) -> bool:
    """Whether one node's ``CLUSTER INFO`` (parsed, or its text) says ``cluster_state:ok``."""
    if isinstance(info, dict):
        info = info.get("cluster_state", b"")
        return (info.decode() if isinstance(info, bytes) else str(info)) == "ok"
    return "cluster_state:ok" in (info.decode() if isinstance(info, bytes) else str(info))
