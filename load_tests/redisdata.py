"""What a run's Redis holds, read the same way from one Redis or from a Redis Cluster.

:class:`RedisData` is a synchronous reader for the harness (never for the server): ``redis://`` talks to one node,
``redis+cluster://host:port,...`` (the URL the server takes) to the masters of a cluster, each key sent to the master
serving its hash slot (:func:`~load_tests.cluster.key_slot` against ``CLUSTER SLOTS``, read again after a
``MOVED``), so ``MEMORY USAGE`` of a key is asked where the key lives. Every node it talks to must be on loopback
(a cluster announcing another address is refused), and every call has a socket timeout.

* :meth:`RedisData.used_memory` - ``used_memory`` of the Redis, or summed over the cluster's masters;
* :meth:`RedisData.delete` - delete the keys matching a pattern (``SCAN`` on every master; one key per
  ``UNLINK``, as a cluster refuses multi-key commands across slots even on one node);
* :meth:`RedisData.memory_usage` - ``MEMORY USAGE key SAMPLES 0`` (every element counted) of many keys;
* :func:`session_memory` - what a finished session costs in Redis: its own keys plus its share of its room's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import redis

from .cluster import key_slot
from .target import NotLoopback, cluster_nodes, loopback_redis_url, loopback_url

__all__ = ["ROOM_PARTS", "SESSION_PARTS", "RedisData", "sample_spread", "session_keys", "session_memory"]

#: A room's own keys (``P:{R}:<part>``), shared by its sessions.
ROOM_PARTS = ("room", "sessions", "employees", "events", "unacked")
#: A session's own keys: its hash ``P:{R}:s:S``, its audit stream and its result; and its token's index.
SESSION_PARTS = ("session", "audit", "result", "token_index")


def session_keys(prefix: str, room_id: str, session_id: str, token: str) -> dict[str, str]:
    """The keys of one session by part (:data:`SESSION_PARTS`), as the server's Redis store names them."""
    base = f"{prefix}:{{{room_id}}}:s:{session_id}"
    return {
        "session": base,
        "audit": f"{base}:audit",
        "result": f"{base}:result",
        "token_index": f"{prefix}:token:{hashlib.sha256(token.encode()).hexdigest()}",
    }


def room_keys(prefix: str, room_id: str) -> dict[str, str]:
    """The room's own keys by part (:data:`ROOM_PARTS`)."""
    return {part: f"{prefix}:{{{room_id}}}:{part}" for part in ROOM_PARTS}


class RedisData:
    """Synchronous reads and deletes on one Redis (``redis://``) or a Redis Cluster (``redis+cluster://``).

    Parameters
    ----------
    url : str
        A loopback URL (NotLoopback otherwise).
    timeout : float
        Socket timeout of every call, in seconds.
    """

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = loopback_redis_url(url)
        self.timeout = timeout
        self.seeds = cluster_nodes(url)
        self._clients: dict[tuple[str, int], redis.Redis] = {}
        self._slots: list[tuple[int, int, tuple[str, int]]] = []

    @property
    def cluster(self) -> bool:
        return self.seeds is not None

    def __enter__(self) -> RedisData:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    # --- nodes -------------------------------------------------------------------------------------------------

    def _client(self, addr: tuple[str, int]) -> redis.Redis:
        client = self._clients.get(addr)
        if client is None:
            loopback_url(f"redis://{addr[0]}:{addr[1]}", ("redis",))
            client = redis.Redis(
                host=addr[0], port=addr[1], socket_timeout=self.timeout, socket_connect_timeout=self.timeout
            )
            self._clients[addr] = client
        return client

    def _single(self) -> redis.Redis:
        client = self._clients.get(("", 0))
        if client is None:
            client = redis.Redis.from_url(self.url, socket_timeout=self.timeout, socket_connect_timeout=self.timeout)
            self._clients[("", 0)] = client
        return client

    def refresh(self) -> None:
        """Read ``CLUSTER SLOTS`` again (from the first seed or known master that answers)."""
        assert self.seeds is not None
        known = [addr for _, _, addr in self._slots]
        errors = []
        for addr in [*self.seeds, *known]:
            try:
                reply = self._client(addr).execute_command("CLUSTER", "SLOTS")  # type: ignore[no-untyped-call]
            except (redis.RedisError, OSError) as err:
                errors.append(f"{addr[0]}:{addr[1]}: {err!r}")
                continue
            slots = []
            for start, end, master, *_ in reply:
                host = master[0].decode() if isinstance(master[0], bytes) else str(master[0])
                slots.append((int(start), int(end), (host or addr[0], int(master[1]))))
            for _, _, node in slots:
                loopback_url(f"redis://{node[0]}:{node[1]}", ("redis",))
            self._slots = sorted(slots)
            return
        raise redis.ConnectionError(f"no seed of {self.url} answers CLUSTER SLOTS ({'; '.join(errors)})")

    def masters(self) -> list[tuple[str, int]]:
        """The cluster's masters, by ``CLUSTER SLOTS`` (empty for one Redis)."""
        if self.seeds is None:
            return []
        if not self._slots:
            self.refresh()
        out: list[tuple[str, int]] = []
        for _, _, addr in self._slots:
            if addr not in out:
                out.append(addr)
        return out

    def _nodes(self) -> list[redis.Redis]:
        """A client per master (the one client for one Redis)."""
        return [self._client(addr) for addr in self.masters()] if self.cluster else [self._single()]

    def node_of(self, key: str) -> redis.Redis:
        """The client of the node that serves ``key``."""
        if not self.cluster:
            return self._single()
        if not self._slots:
            self.refresh()
        slot = key_slot(key)
        for start, end, addr in self._slots:
            if start <= slot <= end:
                return self._client(addr)
        raise redis.ResponseError(f"slot {slot} of {key!r} is not served")

    # --- reads and deletes -------------------------------------------------------------------------------------

    def used_memory(self) -> int | None:
        """``INFO memory`` ``used_memory`` in bytes: of the one Redis, or summed over the masters (each key once;
        replicas hold copies); None when a node does not answer."""
        try:
            return sum(int(node.info("memory")["used_memory"]) for node in self._nodes())
        except (redis.RedisError, OSError, KeyError, NotLoopback):
            return None

    def delete(self, pattern: str) -> int:
        """Delete the keys matching ``pattern`` on every node; returns how many."""
        deleted = 0
        for node in self._nodes():
            batch: list[bytes] = []
            for key in node.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) == 1000:
                    deleted += self._unlink(node, batch)
                    batch.clear()
            if batch:
                deleted += self._unlink(node, batch)
        return deleted

    def _unlink(self, node: redis.Redis, keys: list[bytes]) -> int:
        if not self.cluster:
            return int(node.unlink(*keys))
        pipe = node.pipeline(transaction=False)
        for key in keys:
            pipe.unlink(key)
        return sum(int(n) for n in pipe.execute())

    def memory_usage(self, keys: Sequence[str]) -> list[int]:
        """``MEMORY USAGE key SAMPLES 0`` of each key in bytes (0 for a key that does not exist), each asked of the
        node that serves it (one pipeline per node; the slots are read again once when a node answers ``MOVED``)."""
        for attempt in range(2):
            by_node: dict[int, tuple[redis.Redis, list[int]]] = {}
            for n, key in enumerate(keys):
                node = self.node_of(key)
                by_node.setdefault(id(node), (node, []))[1].append(n)
            out = [0] * len(keys)
            moved = False
            for node, positions in by_node.values():
                pipe = node.pipeline(transaction=False)
                for n in positions:
                    pipe.execute_command("MEMORY", "USAGE", keys[n], "SAMPLES", "0")  # type: ignore[no-untyped-call]
                for n, value in zip(positions, pipe.execute(raise_on_error=False), strict=True):
                    if isinstance(value, redis.ResponseError):
                        if str(value).startswith(("MOVED", "ASK")) and self.cluster and attempt == 0:
                            moved = True
                            continue
                        raise value
                    out[n] = int(value or 0)
            if not moved:
                return out
            self.refresh()
        raise redis.ResponseError("MEMORY USAGE: the keys kept moving")


def sample_spread(groups: Mapping[Any, Sequence[Any]], most: int) -> list[Any]:
    """Up to ``most`` members taken from the groups in turn (one from each group per round), each group's picks
    evenly spaced over it: a sample spread over every group and over each group's order."""
    total = sum(len(g) for g in groups.values())
    if total <= most:
        return [x for g in groups.values() for x in g]
    quota = dict.fromkeys(groups, 0)
    left = most
    while left > 0:
        for key, members in groups.items():
            if left > 0 and quota[key] < len(members):
                quota[key] += 1
                left -= 1
    out = []
    for key, members in groups.items():
        k = quota[key]
        out += [members[int(i * len(members) / k)] for i in range(k)] if k else []
    return out


def session_memory(
    data: RedisData,
    prefix: str,
    sessions: Iterable[tuple[str, str, str]],
    room_sizes: Mapping[str, int],
    most: int = 50,
) -> dict[str, Any] | None:
    """What a finished session costs in Redis, from ``MEMORY USAGE`` of a sample of sessions.

    Parameters
    ----------
    data : RedisData
    prefix : str
        The server's ``CAT_KEY_PREFIX``.
    sessions : iterable of (room id, session id, token)
        The finished sessions to sample from.
    room_sizes : mapping
        Room id -> sessions registered in it (a room's own keys are shared by that many sessions).
    most : int
        Sessions to sample at most, spread over the rooms.

    Returns
    -------
    dict or None
        ``mean``, ``max`` and ``min`` bytes per session (its keys, :data:`SESSION_PARTS`, plus its room's keys,
        :data:`ROOM_PARTS`, divided by the room's sessions), ``sampled``, ``rooms``, and ``parts_mean`` (bytes by
        part, the room's share as ``room_share``); None without a finished session.
    """
    by_room: dict[str, list[tuple[str, str]]] = {}
    for room_id, session_id, token in sessions:
        by_room.setdefault(room_id, []).append((session_id, token))
    picked = sample_spread({r: [(r, sid, tok) for sid, tok in v] for r, v in by_room.items()}, most)
    if not picked:
        return None
    rooms = sorted({room_id for room_id, _, _ in picked})
    room_key_list = [(room_id, key) for room_id in rooms for key in room_keys(prefix, room_id).values()]
    session_key_list = [
        (n, part, key)
        for n, (room_id, sid, token) in enumerate(picked)
        for part, key in session_keys(prefix, room_id, sid, token).items()
    ]
    sizes = data.memory_usage([key for _, key in room_key_list] + [key for _, _, key in session_key_list])
    room_bytes: dict[str, int] = dict.fromkeys(rooms, 0)
    for (room_id, _), size in zip(room_key_list, sizes, strict=False):
        room_bytes[room_id] += size
    per_session = [0.0] * len(picked)
    parts: dict[str, float] = dict.fromkeys((*SESSION_PARTS, "room_share"), 0.0)
    for (n, part, _), size in zip(session_key_list, sizes[len(room_key_list) :], strict=True):
        per_session[n] += size
        parts[part] += size
    for n, (room_id, _, _) in enumerate(picked):
        share = room_bytes[room_id] / max(room_sizes.get(room_id, 1), 1)
        per_session[n] += share
        parts["room_share"] += share
    return {
        "mean": round(sum(per_session) / len(picked)),
        "max": round(max(per_session)),
        "min": round(min(per_session)),
        "sampled": len(picked),
        "rooms": len(rooms),
        "parts_mean": {part: round(total / len(picked)) for part, total in parts.items()},
    }
