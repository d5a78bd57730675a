"""The Redis store: live state shared by every server process, on one Redis or a Redis Cluster.

``REDIS_URL`` picks the client (:mod:`.redis_client`): ``redis://host:port[/db]`` one Redis,
``redis+cluster://host:port[,host:port...]`` a Redis Cluster reached through those seed nodes.

Key layout (``P`` is ``CAT_KEY_PREFIX``, ``R`` a room id, ``S`` a session id ``R-n``). Every key of a room and of
its sessions carries the hash tag ``{R}``, so one Lua script may touch them all, also on a Cluster::

    P:{R}:room              hash    name, battery, created_ms, next (last session number handed out), ptoken (the
                                    proctor token's digest), open (1/0: the room gate; absent: open, as rooms
                                    stored before the gate were), archived (1 once archived)
    P:{R}:sessions          list    session ids in registration order
    P:{R}:employees         hash    employee id -> session id (one registration per employee and room)
    P:{R}:unacked           set     ids of the room's sessions that are over and not yet acknowledged
    P:{R}:events            stream  room events for proctors (field e = JSON)
    P:{R}:notify            channel notifications ``S\\n<message>`` to the processes that follow the room (sharded
                                    pub/sub: SPUBLISH/SSUBSCRIBE, served by the node of the room's slot)
    P:{R}:reg:<key>         string  the reply of a registration sent with that ``Idempotency-Key``
    P:{R}:s:S               hash    state, version, owner, employee_id, name, token_digest, reply_seq and reply (the
                                    last applied answer's seq and reply frame), noise_* (store.NoiseBudget),
                                    audit_head (the audit chain's head: the hash after the last entry)
    P:{R}:s:S:audit         stream  every frame received and item presented (field e = JSON, p = the hash of the
                                    entry before: cat_engine.signing); at most AUDIT_MAXLEN entries, never trimmed
    P:{R}:s:S:result        string  final profile, once the session is over
    P:{R}:raised            set     keys of the room-level integrity flags already raised and of the periods evaluated
                                    (room_watch), expiring
                                    ``live_ttl_s`` after the last one
    P:token:<sha256>        string  candidate token -> session id (an index: the session hash's digest is the truth)
    P:ptoken:<sha256>       string  proctor token -> room id (an index: the room hash's ptoken is the truth)

No token is kept: only its SHA-256 (:func:`~.store.token_digest`), in the index key names and the hashes.
    P:rooms                 set     room ids
    P:proc:<id>             string  last heartbeat (ms) of a server process
    P:health                string  written by every health check

Writes that span slots are ordered so that a failure half way changes nothing anyone can see: a token's index is
written before the room or sessions it leads to (a lookup that leads nowhere is refused like an unknown token), and a
room id joins ``P:rooms`` only after its room exists. A replaced token's new index is written first, then the
digest in the session (or room) hash, then the old index goes.

Room events are kept ``events_keep_s`` (and then trimmed as new ones come): they serve live proctors and a
proctor's resume, which starts with a fresh snapshot anyway.

Expiry: live keys (session, audit, events) expire ``live_ttl_s`` after their last commit. When a session is over its
hash, audit and result lose their expiry until the HR system acknowledges the results; then they expire
``acked_ttl_s`` later. The room's own keys (room, sessions, employees, unacked) expire ``live_ttl_s`` after the
room's last change, lose their expiry while any of its results is unacknowledged (the results are listed through
them), and expire ``acked_ttl_s`` after the last acknowledgement. An expiry only ever moves later on a live change
(``EXPIRE ... GT``; a key without one counts as never expiring). Keys written by earlier versions (a ``summary``
field in a session hash, a ``P:{R}:next`` counter, a ``P:{R}:s:S:replies`` hash, a session's plain ``token``, a room
without ``ptoken``) are read or left alone; a replaced token takes the plain one away. Redis
must run with ``maxmemory-policy noeviction`` and AOF (docs/operations.md).

Errors: whatever says the store cannot take a command now (connection lost, timeout, a Cluster failing over:
``CLUSTERDOWN``, ``TRYAGAIN``, ``MASTERDOWN``, a slot without a node, ``MOVED`` again and again, a replica that
refuses writes, ``OOM``: :data:`.redis_client.UNAVAILABLE_ERRORS`) is :class:`~.store.StoreUnavailable`, after the
client's own short retries.

The audit chain: Lua has no SHA-256, so the process computes each entry's ``prev`` and the new head from the head
it last saw for the session (kept in :attr:`RedisStore._heads`, refreshed by every load and write); a script writes
only if the session hash still holds that head, and otherwise returns the head it holds, on which the process computes
the chain again (a commit's version check comes first, so this only happens when an audit entry outside a commit, or
another process, moved the head). An audit stream written before the chain existed has entries without ``p`` and a
session hash without ``audit_head``: its next entries chain from the session's chain start, and ``cat-verify`` reports
the unchained entries before them.

Replication: with ``wait_replicas`` N > 0 a commit (and an audit entry) returns only once N replicas have it
(``WAIT``, up to ``wait_timeout_ms``); when they do not confirm in time it raises StoreUnavailable, so the answer is
not acknowledged and the client resends it (applied at most once, as ever).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from ..signing import chain_of, chain_start
from . import redis_scripts as scripts
from . import tasks
from .redis_client import UNAVAILABLE_ERRORS, cluster_ok, connect, node_client, per_node
from .store import (
    AUDIT_MAXLEN,
    EVENTS_PER_READ,
    NOISE_LIFETIME_MINUTES,
    NOISE_SUMMARIES,
    AuditChain,
    AuditRow,
    CandidateRecord,
    Commit,
    Notification,
    RoomRecord,
    SessionRecord,
    Store,
    StoreUnavailable,
    duplicate_employee,
    room_of,
    suppressed_entry,
    token_digest,
)

__all__ = ["RedisStore"]

_HEADS_KEPT = 20_000  # sessions whose audit head this process remembers (a first guess, checked by the scripts)
_CHAIN_ATTEMPTS = 50  # a script refused because the head moved is tried again on the head it returned

_log = logging.getLogger("cat_engine.server.redis")

# KEYS: the room's raised set. ARGV: the flag's key, live ttl. Returns 1 when the key is new (SADD's answer), else 0.
_MARK = """
local added = redis.call('SADD', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return added
"""


# token: the plain token kept by earlier versions, read only when token_digest is absent
_SESSION_FIELDS = (
    "session_id",
    "employee_id",
    "name",
    "token_digest",
    "state",
    "version",
    "owner",
    "noise_da",
    "noise_de",
    "token",
    scripts.HEAD_FIELD,
)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisStore(Store):
    """State in Redis (see the module docstring for the key layout)."""

    kind = "redis"

    def __init__(
        self,
        url: str,
        prefix: str = "cat",
        live_ttl_s: int = 3 * 24 * 3600,
        acked_ttl_s: int = 30 * 86400,
        max_connections: int = 512,
        wait_replicas: int = 0,
        wait_timeout_ms: int = 1000,
        events_keep_s: int = 300,
        noise_per_minute: int = 100,
        clock: Callable[[], float] = time.time,
    ):
        self._url = url
        self._p = prefix
        self._live_ttl = live_ttl_s
        self._acked_ttl = acked_ttl_s
        self._wait = (wait_replicas, wait_timeout_ms)
        self._events_keep_ms = events_keep_s * 1000
        # the noise budget's limits (ARGV of the scripts, in their order) and its clock: each process counts minutes
        # by its own clock (a few ms apart between processes only shift the minute a little)
        self._noise = [noise_per_minute, NOISE_LIFETIME_MINUTES, NOISE_SUMMARIES, AUDIT_MAXLEN]
        self._clock = clock
        self.suppressed: Counter[str] = Counter()
        self._redis: Any = connect(url, max_connections)
        self.cluster = isinstance(self._redis, RedisCluster)
        self.kind = "redis-cluster" if self.cluster else "redis"
        self._commit = self._redis.register_script(scripts.COMMIT)
        self._add = self._redis.register_script(scripts.ADD)
        self._next = self._redis.register_script(scripts.NEXT)
        self._ack = self._redis.register_script(scripts.ACK)
        self._room = self._redis.register_script(scripts.ROOM)
        self._gate = self._redis.register_script(scripts.GATE)
        self._edit = self._redis.register_script(scripts.EDIT)
        self._remove = self._redis.register_script(scripts.REMOVE)
        self._audit = self._redis.register_script(scripts.AUDIT)
        self._token = self._redis.register_script(scripts.TOKEN)
        self._ptoken = self._redis.register_script(scripts.PTOKEN)
        self._chain = self._redis.register_script(scripts.CHAIN)
        self._mark = self._redis.register_script(_MARK)
        # session id -> the audit chain's head last seen ("" none): the first guess of the next write
        self._heads: OrderedDict[str, str] = OrderedDict()
        # Commands in flight stay below the pool's size (a few connections are left for the notification
        # subscription and health checks): when every candidate of a killed process reconnects here at once, their
        # commands wait their turn instead of failing with redis-py's "Too many connections".
        self._in_flight = asyncio.Semaphore(max(max_connections - 8, 1))
        self._listeners: list[Notification] = []
        self._followed: Counter[str] = Counter()
        self._follow_changed = asyncio.Event()
        self._listen_task: asyncio.Task[None] | None = None
        # Cluster with WAIT: one single-node client per master (by name), so a commit and its WAIT share a connection
        self._node_clients: dict[str, aioredis.Redis] = {}
        self._told_cluster_node = False  # the misconfiguration is logged once, not at every health check

    # --- keys --------------------------------------------------------------------------------------------------

    def _room_key(self, room_id: str, part: str) -> str:
        return f"{self._p}:{{{room_id}}}:{part}"

    def _room_keys(self, room_id: str) -> list[str]:
        return [self._room_key(room_id, part) for part in scripts.ROOM_PARTS]

    def _session_key(self, session_id: str, part: str = "") -> str:
        base = f"{self._p}:{{{room_of(session_id)}}}:s:{session_id}"
        return f"{base}:{part}" if part else base

    # --- lifecycle ---------------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._listen_task = asyncio.create_task(self._listen_loop(), name="redis-notify-listener")

    async def close(self) -> None:
        if self._listen_task is not None:
            await tasks.stop(self._listen_task)
        for client in self._node_clients.values():
            await client.aclose()
        await self._redis.aclose()

    async def ping(self) -> bool:
        """Whether a write lands now: on a Cluster every master reports ``cluster_state:ok``; a single-node URL that
        points at a Cluster node is refused (most keys would be answered ``MOVED``); with ``wait_replicas`` every
        master has that many replicas connected (else no answer could be acknowledged); then one ``SET`` must land."""
        try:
            primaries = {"target_nodes": RedisCluster.PRIMARIES} if self.cluster else {}
            if self.cluster:
                states = await self._redis.execute_command("CLUSTER INFO", **primaries)
                if not all(cluster_ok(info) for info in per_node(states)):
                    return False
            else:
                info = await self._redis.info("cluster")
                if int(info.get("cluster_enabled", 0)) == 1:
                    if not self._told_cluster_node:
                        _log.error("REDIS_URL names one node of a Redis Cluster: use redis+cluster://host:port,...")
                        self._told_cluster_node = True
                    return False
            if self._wait[0] > 0:
                replication = await self._redis.execute_command("INFO", "replication", **primaries)
                if any(int(r.get("connected_slaves", 0)) < self._wait[0] for r in per_node(replication)):
                    return False
            return bool(await self._redis.set(f"{self._p}:health", b"1", px=10_000))
        except Exception:  # whatever the reason, nothing can be written now
            return False

    async def _call(self, coro: Any) -> Any:
        try:
            await self._in_flight.acquire()
        except BaseException:  # cancelled while waiting: the command never ran
            coro.close()
            raise
        try:
            return await coro
        except UNAVAILABLE_ERRORS as exc:
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc
        finally:
            self._in_flight.release()

    # --- rooms and candidates ----------------------------------------------------------------------------------

    async def create_room(self, room: RoomRecord, proctor_token: str) -> None:
        # index, room, list: a failure before the last step leaves nothing listed and a token that leads nowhere
        digest = token_digest(proctor_token)
        await self._call(self._redis.set(f"{self._p}:ptoken:{digest}", room.room_id))
        key = self._room_key(room.room_id, "room")
        args = [room.name, room.battery_id, room.created_ms, self._live_ttl, digest, int(room.open)]
        await self._call(self._room(keys=[key], args=args))
        await self._call(self._redis.sadd(f"{self._p}:rooms", room.room_id))

    async def get_room(self, room_id: str) -> RoomRecord | None:
        raw = await self._call(self._redis.hgetall(self._room_key(room_id, "room")))
        if not raw or b"name" not in raw:
            return None
        is_open = raw.get(b"open", b"1") != b"0"  # a room stored before the gate existed is open
        archived = raw.get(b"archived", b"0") == b"1"
        name, battery, created = _text(raw[b"name"]), _text(raw[b"battery"]), int(raw[b"created_ms"])
        return RoomRecord(room_id, name, battery, created, is_open, archived)

    async def set_room_open(self, room_id: str, is_open: bool, event: bytes) -> bool:
        return await self._set_room(room_id, event, "open", int(is_open))

    async def archive_room(self, room_id: str, event: bytes) -> bool:
        return await self._set_room(room_id, event, "open", 0, "archived", 1)

    async def _set_room(self, room_id: str, event: bytes, *fields: str | int) -> bool:
        keys = [self._room_key(room_id, "room"), self._room_key(room_id, "events")]
        return await self._call(self._gate(keys=keys, args=[event, *fields])) is not None

    async def list_rooms(self) -> list[RoomRecord]:
        ids = sorted(_text(r) for r in await self._call(self._redis.smembers(f"{self._p}:rooms")))
        rooms = [await self.get_room(r) for r in ids]
        gone = [room_id for room_id, room in zip(ids, rooms, strict=True) if room is None]
        if gone:  # expired rooms leave the set as they are noticed
            await self._call(self._redis.srem(f"{self._p}:rooms", *gone))
        return sorted((r for r in rooms if r is not None), key=lambda r: r.created_ms)

    async def room_for_proctor_token(self, token: str) -> str | None:
        digest = token_digest(token)
        raw = await self._call(self._redis.get(f"{self._p}:ptoken:{digest}"))
        if raw is None:
            return None
        room_id = _text(raw)
        name, kept = await self._call(self._redis.hmget(self._room_key(room_id, "room"), ["name", "ptoken"]))
        if name is None or (kept is not None and _text(kept) != digest):  # gone, or the token was replaced
            return None
        return room_id

    async def replace_proctor_token(self, room_id: str, token: str) -> bool:
        digest = token_digest(token)
        await self._call(self._redis.set(f"{self._p}:ptoken:{digest}", room_id))
        old = await self._call(self._ptoken(keys=[self._room_key(room_id, "room")], args=[digest]))
        if old is None:
            await self._call(self._redis.delete(f"{self._p}:ptoken:{digest}"))
            return False
        if _text(old):
            await self._call(self._redis.delete(f"{self._p}:ptoken:{_text(old)}"))
        return True

    async def next_session_numbers(self, room_id: str, count: int) -> range:
        keys = [self._room_key(room_id, "room"), self._room_key(room_id, "next")]
        last = int(await self._call(self._next(keys=keys, args=[count, self._live_ttl])))
        return range(last - count + 1, last + 1)

    async def add_candidates(
        self,
        room_id: str,
        candidates: Sequence[tuple[CandidateRecord, bytes]],
        idempotency: tuple[str, bytes] | None = None,
    ) -> bytes | None:
        employees = [c.employee_id for c, _ in candidates]
        dupes = {e for e in employees if employees.count(e) > 1}
        if dupes:
            raise duplicate_employee(sorted(dupes)[0])
        # the token indexes first: if the script below never runs they lead to sessions that do not exist
        token_keys = [f"{self._p}:token:{cand.token_digest}" for cand, _ in candidates]
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, (cand, _) in zip(token_keys, candidates, strict=True):
                pipe.set(key, cand.session_id, ex=self._live_ttl)
            await self._call(pipe.execute())
        key, reply = idempotency if idempotency is not None else ("", b"")
        keys = [*self._room_keys(room_id), self._room_key(room_id, f"reg:{token_digest(key)}")]
        keys += [self._session_key(c.session_id) for c, _ in candidates]
        args: list[Any] = [self._live_ttl, len(candidates), reply]
        for cand, state in candidates:
            args += [cand.session_id, cand.employee_id, cand.name, cand.token_digest, state]
        out = await self._call(self._add(keys=keys, args=args))
        kind = _text(out[0])
        if kind != "ok":  # nothing registered: the indexes go too (should this fail, they lead nowhere anyway)
            with contextlib.suppress(StoreUnavailable):
                await self._call(self._redis.delete(*token_keys))
        if kind == "dup":
            raise duplicate_employee(_text(out[1]))
        return bytes(out[1]) if kind == "idem" else None

    async def session_for_token(self, token: str) -> str | None:
        # each hello keeps the token alive as long as the session it opens
        raw = await self._call(self._redis.getex(f"{self._p}:token:{token_digest(token)}", ex=self._live_ttl))
        return None if raw is None else _text(raw)

    async def replace_candidate_token(self, session_id: str, digest: str) -> CandidateRecord | None:
        index = f"{self._p}:token:{digest}"
        await self._call(self._redis.set(index, session_id, ex=self._live_ttl))
        old = await self._call(self._token(keys=[self._session_key(session_id)], args=[digest]))
        if old is None:
            await self._call(self._redis.delete(index))
            return None
        if _text(old):
            await self._call(self._redis.delete(f"{self._p}:token:{_text(old)}"))
        record = await self.load(session_id)
        return None if record is None else record.candidate

    async def room_candidates(self, room_id: str) -> list[CandidateRecord]:
        return [r.candidate for r in await self.load_room(room_id)]

    async def edit_candidate(self, session_id: str, expected_version: int, employee_id: str, name: str) -> bool:
        keys = [self._session_key(session_id), self._room_key(room_of(session_id), "employees")]
        outcome = _text(await self._call(self._edit(keys=keys, args=[expected_version, employee_id, name, session_id])))
        if outcome == "dup":
            raise duplicate_employee(employee_id)
        return outcome == "ok"

    async def remove_candidate(self, session_id: str, expected_version: int) -> bool:
        room_id = room_of(session_id)
        keys = [
            self._session_key(session_id),
            self._session_key(session_id, "audit"),
            self._session_key(session_id, "result"),
            self._room_key(room_id, "sessions"),
            self._room_key(room_id, "employees"),
            self._room_key(room_id, "unacked"),
        ]
        digest = await self._call(self._remove(keys=keys, args=[expected_version, session_id]))
        if digest is None:
            return False
        self._heads.pop(session_id, None)
        if _text(digest):  # the index, in another slot: it leads nowhere already, and now it goes
            await self._call(self._redis.delete(f"{self._p}:token:{_text(digest)}"))
        return True

    # --- sessions ----------------------------------------------------------------------------------------------

    @staticmethod
    def _record(values: Sequence[Any]) -> SessionRecord | None:
        if values[0] is None or values[4] is None:
            return None
        sid, emp, name, digest, state, version, owner, dropped_audit, dropped_events, plain, _ = values
        if digest is None:  # a session of an earlier version kept the token itself
            digest = token_digest(_text(plain or b""))
        cand = CandidateRecord(_text(sid), _text(emp), _text(name), _text(digest))
        suppressed = (int(dropped_audit or 0), int(dropped_events or 0))
        return SessionRecord(cand, bytes(state), int(version), _text(owner or b""), suppressed)

    async def load(self, session_id: str) -> SessionRecord | None:
        values = await self._call(self._redis.hmget(self._session_key(session_id), _SESSION_FIELDS))
        record = self._record(values)
        if record is not None:
            self._saw_head(session_id, values[-1])
        return record

    async def load_room(self, room_id: str) -> list[SessionRecord]:
        ids = await self._call(self._redis.lrange(self._room_key(room_id, "sessions"), 0, -1))
        if not ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in ids:
                pipe.hmget(self._session_key(_text(sid)), _SESSION_FIELDS)
            rows = await self._call(pipe.execute())
        records = []
        for values in rows:
            record = self._record(values)
            if record is not None:
                self._saw_head(record.session_id, values[-1])
                records.append(record)
        return records

    # --- the audit chain ---------------------------------------------------------------------------------------

    def _saw_head(self, session_id: str, head: Any) -> None:
        """Remember the audit head last seen for a session (the first guess of its next write)."""
        self._heads[session_id] = "" if head is None else _text(head)
        self._heads.move_to_end(session_id)
        if len(self._heads) > _HEADS_KEPT:
            self._heads.popitem(last=False)

    def _chain_args(self, session_id: str, head: str, entries: Sequence[bytes], now_ms: int, noise: bool) -> list[Any]:
        """The chain arguments of a script (redis_scripts, ``chain_args``) for ``entries`` appended on ``head``:
        the head expected, the summary entry a noisy write may leave first, the chain of the entries alone and the
        chain of the summary entry and the entries (only for a noisy write; blanks otherwise)."""
        start = head or chain_start(session_id)
        plain = chain_of(start, entries)
        if not noise:
            return [head, b"", *plain, *([""] * (len(entries) + 2))]
        summary = suppressed_entry(now_ms, self._noise[0])
        return [head, summary, *plain, *chain_of(start, [summary, *entries])]

    async def _chained(
        self, session_id: str, entries: Sequence[bytes], noise: bool, write: Callable[[list[Any], int], Awaitable[Any]]
    ) -> Any:
        """Run ``write(chain arguments, now ms)`` until the script finds the head it was computed on; its reply."""
        head = self._heads.get(session_id, "")
        for _ in range(_CHAIN_ATTEMPTS):
            now_ms = int(self._clock() * 1000)
            out = await write(self._chain_args(session_id, head, entries, now_ms, noise), now_ms)
            if int(out[0]) != 2:
                return out
            head = _text(out[1])  # another write moved the head: compute the chain again on the one held
            self._saw_head(session_id, head)
        raise StoreUnavailable(f"the audit of {session_id} kept changing under {_CHAIN_ATTEMPTS} writes")

    async def audit_chain(self, session_id: str) -> AuditChain:
        keys = [self._session_key(session_id), self._session_key(session_id, "audit")]
        head, rows = await self._call(self._chain(keys=keys, args=[]))
        out = []
        for row_id, flat in rows:
            fields = {_text(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}
            prev = fields.get("p")
            out.append(AuditRow(_text(row_id), bytes(fields["e"]), None if prev is None else _text(prev)))
        return AuditChain(tuple(out), _text(head))

    async def commit(self, session_id: str, expected_version: int, commit: Commit) -> tuple[bool, list[str]]:
        room_id = room_of(session_id)
        keys = [
            self._session_key(session_id),
            self._session_key(session_id, "replies"),
            self._session_key(session_id, "audit"),
            self._room_key(room_id, "events"),
            self._session_key(session_id, "result"),
            *self._room_keys(room_id),
        ]
        reply_seq, reply = ("", b"") if commit.reply is None else (str(commit.reply[0]), commit.reply[1])
        base: list[Any] = [
            str(expected_version),
            commit.state,
            "0" if commit.owner is None else "1",
            commit.owner or "",
            reply_seq,
            reply,
            commit.result or b"",
            self._live_ttl,
            "1" if commit.persist else "0",
            session_id,
            len(commit.audit),
            *commit.audit,
            len(commit.events),
            *commit.events,
            self._events_keep_ms,
            "1" if commit.noise else "0",
            *self._noise,
        ]

        async def write(chain: list[Any], now_ms: int) -> Any:
            args = [*base, now_ms, *chain]
            if self._wait[0] > 0:
                return await self._replicated(keys[0], lambda client: self._commit(keys=keys, args=args, client=client))
            return await self._call(self._commit(keys=keys, args=args))

        out = await self._chained(session_id, commit.audit, commit.noise, write)
        if int(out[0]) != 1:
            return False, []
        self._saw_head(session_id, out[3])
        self._held_back("audit", int(out[1]))
        self._held_back("events", int(out[2]))
        return True, [_text(i) for i in out[4:]]

    async def reply(self, session_id: str, seq: int) -> bytes | None:
        got_seq, got = await self._call(self._redis.hmget(self._session_key(session_id), ["reply_seq", "reply"]))
        if got_seq is not None:
            return bytes(got) if int(got_seq) == seq else None
        # a session of an earlier version keeps its replies in a hash by seq
        raw = await self._call(self._redis.hget(self._session_key(session_id, "replies"), str(seq)))
        return None if raw is None else bytes(raw)

    async def audit(self, session_id: str) -> list[tuple[str, bytes]]:
        rows = await self._call(self._redis.xrange(self._session_key(session_id, "audit")))
        return [(_text(i), bytes(f[b"e"])) for i, f in rows]

    async def append_audit(self, session_id: str, entry: bytes) -> None:
        # the stream exists (every session's first hello commits), so it keeps its expiry or its persistence
        keys = [self._session_key(session_id), self._session_key(session_id, "audit")]

        async def write(chain: list[Any], now_ms: int) -> Any:
            args = [entry, *self._noise, now_ms, *chain]
            if self._wait[0] > 0:
                # also makes a resend's stored reply durable: WAIT covers every write the master took before this one
                return await self._replicated(keys[0], lambda client: self._audit(keys=keys, args=args, client=client))
            return await self._call(self._audit(keys=keys, args=args))

        out = await self._chained(session_id, [entry], True, write)
        if int(out[0]) == 1:
            self._saw_head(session_id, out[2])
            self._held_back("audit", int(out[1]))

    # --- replication -------------------------------------------------------------------------------------------

    async def _replicated(self, key: str, write: Any) -> Any:
        """Run ``write(pipeline)`` then ``WAIT`` on one connection to the master of ``key``; its result once the
        replicas confirm, StoreUnavailable when fewer than ``wait_replicas`` do within ``wait_timeout_ms``."""
        replicas, timeout_ms = self._wait
        client = await self._master_client(key)
        async with client.pipeline(transaction=False) as pipe:
            queued = write(pipe)
            if inspect.isawaitable(queued):  # a script queues itself through a coroutine
                await queued
            pipe.execute_command("WAIT", replicas, timeout_ms)
            try:
                out, acked = await self._call(pipe.execute())
            except StoreUnavailable:
                if self.cluster:  # the master may have moved: ask the Cluster again next time
                    self._node_clients.clear()
                raise
        if int(acked) < replicas:
            raise StoreUnavailable(f"WAIT: {acked} of {replicas} replicas confirmed within {timeout_ms} ms")
        return out

    async def _master_client(self, key: str) -> Any:
        if not self.cluster:
            return self._redis
        try:
            if self._redis.nodes_manager.default_node is None:
                await self._redis.initialize()
            node = self._redis.get_node_from_key(key)
        except UNAVAILABLE_ERRORS as exc:
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from exc
        client = self._node_clients.get(node.name)
        if client is None:
            client = self._node_clients[node.name] = node_client(self._redis, node)
        return client

    # --- room events -------------------------------------------------------------------------------------------

    async def read_events(self, room_id: str, after_id: str, block_ms: int) -> list[tuple[str, bytes]]:
        key = self._room_key(room_id, "events")
        if block_ms <= 0:
            rows = await self._call(self._redis.xrange(key, min=f"({after_id}", max="+"))
            return [(_text(i), bytes(f[b"e"])) for i, f in rows]
        # a blocking read holds its pool connection until it returns
        streams = await self._call(self._redis.xread({key: after_id}, block=block_ms, count=EVENTS_PER_READ))
        out: list[tuple[str, bytes]] = []
        for _, rows in _stream_rows(streams):
            out += [(_text(i), bytes(f[b"e"])) for i, f in rows]
        return out

    async def last_event_id(self, room_id: str) -> str:
        rows = await self._call(self._redis.xrevrange(self._room_key(room_id, "events"), count=1))
        return _text(rows[0][0]) if rows else "0-0"

    # --- results -----------------------------------------------------------------------------------------------

    async def results(self, room_id: str) -> dict[str, bytes]:
        ids = [_text(s) for s in await self._call(self._redis.lrange(self._room_key(room_id, "sessions"), 0, -1))]
        if not ids:
            return {}
        values = await self._call(self._redis.mget([self._session_key(s, "result") for s in ids]))
        return {sid: bytes(v) for sid, v in zip(ids, values, strict=True) if v is not None}

    async def result(self, session_id: str) -> bytes | None:
        raw = await self._call(self._redis.get(self._session_key(session_id, "result")))
        return None if raw is None else bytes(raw)

    async def ack_results(self, room_id: str, session_ids: Sequence[str]) -> int:
        done = await self.results(room_id)
        acked = [s for s in set(session_ids) if s in done]
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in acked:
                for part in ("", "result", "audit", "replies"):
                    pipe.expire(self._session_key(sid, part), self._acked_ttl)
            await self._call(pipe.execute())
        await self._call(self._ack(keys=self._room_keys(room_id), args=[self._acked_ttl, *acked]))
        return len(acked)

    # --- notifications -----------------------------------------------------------------------------------------

    async def notify(self, session_id: str, message: bytes) -> None:
        channel = self._room_key(room_of(session_id), "notify")
        with contextlib.suppress(StoreUnavailable):
            await self._call(self._redis.spublish(channel, session_id.encode() + b"\n" + message))

    def listen(self, callback: Notification) -> None:
        self._listeners.append(callback)

    def follow(self, room_id: str) -> None:
        self._followed[room_id] += 1
        if self._followed[room_id] == 1:
            self._follow_changed.set()

    def unfollow(self, room_id: str) -> None:
        self._followed[room_id] -= 1
        if self._followed[room_id] <= 0:
            del self._followed[room_id]
            self._follow_changed.set()

    async def _listen_loop(self) -> None:
        """Hear the followed rooms' channels, forever: (un)subscribing as rooms are followed and left, and starting
        over on a fresh subscription after any failure (a lost notification is tolerated, docs/protocol.md)."""
        while not tasks.cancel_requested():
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            heard: set[str] = set()
            try:
                while not tasks.cancel_requested():
                    self._follow_changed.clear()
                    wanted = {self._room_key(r, "notify") for r in self._followed}
                    if wanted - heard:
                        await pubsub.ssubscribe(*sorted(wanted - heard))
                    if heard - wanted:
                        await pubsub.sunsubscribe(*sorted(heard - wanted))
                    heard = wanted
                    if not heard:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._follow_changed.wait(), 1.0)
                        continue
                    msg = await _next_message(pubsub, self.cluster)
                    if msg is not None and msg.get("type") in ("smessage", b"smessage"):
                        await self._deliver(bytes(msg["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever broke the subscription: start it again
                _log.warning("notification subscription lost (%s: %s); retrying", type(exc).__name__, exc)
                await asyncio.sleep(0.5)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def _deliver(self, data: bytes) -> None:
        sid, _, body = data.partition(b"\n")
        for callback in list(self._listeners):
            try:
                await callback(sid.decode(), body)
            except Exception:  # a listener's fault must not stop the others
                _log.exception("notification listener failed")

    # --- process liveness --------------------------------------------------------------------------------------

    async def mark_raised(self, room_id: str, key: str) -> bool:
        key_name = self._room_key(room_id, "raised")
        return int(await self._call(self._mark(keys=[key_name], args=[key, self._live_ttl]))) == 1

    async def beat(self, process_id: str, now_ms: int) -> None:
        await self._call(self._redis.set(f"{self._p}:proc:{process_id}", now_ms, ex=24 * 3600))

    async def last_beat(self, process_id: str) -> int | None:
        raw = await self._call(self._redis.get(f"{self._p}:proc:{process_id}"))
        return None if raw is None else int(raw)


async def _next_message(pubsub: Any, cluster: bool) -> dict[str, Any] | None:
    """The next message of a subscription, None after a tenth of a second without one (so a room followed meanwhile
    is subscribed to soon)."""
    if cluster:
        return await pubsub.get_sharded_message(ignore_subscribe_messages=True, timeout=0.1)  # type: ignore[no-any-return]
    return await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)  # type: ignore[no-any-return]


def _stream_rows(streams: Any) -> list[tuple[Any, Any]]:
    """``XREAD``'s reply as (stream, rows) pairs: a list of pairs (RESP2), or a dict (RESP3)."""
    if not streams:
        return []
    return list(streams.items()) if isinstance(streams, dict) else list(streams)
