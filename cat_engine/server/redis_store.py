"""The Redis store: live state shared by every server process, on one Redis or a Redis Cluster.

Key layout (``P`` is ``CAT_KEY_PREFIX``, ``R`` a room id, ``S`` a session id ``R-n``). Every key of a room and of
its sessions carries the hash tag ``{R}``, so one Lua script may touch them all, also on a Cluster::

    P:{R}:room              hash    name, battery, created_ms, next (last session number handed out)
    P:{R}:sessions          list    session ids in registration order
    P:{R}:employees         hash    employee id -> session id (one registration per employee and room)
    P:{R}:unacked           set     ids of the room's sessions that are over and not yet acknowledged
    P:{R}:events            stream  room events for proctors (field e = JSON)
    P:{R}:s:S               hash    state, version, owner, employee_id, name, token
    P:{R}:s:S:replies       hash    seq -> reply frame of each applied answer
    P:{R}:s:S:audit         stream  every frame received and item presented (field e = JSON)
    P:{R}:s:S:result        string  final profile, once the session is over
    P:token:<sha256>        string  candidate token -> session id
    P:ptoken:<sha256>       string  proctor token -> room id
    P:rooms                 set     room ids
    P:proc:<id>             string  last heartbeat (ms) of a server process
    P:notify                channel cross-process notifications ``S\\n<message>``

Expiry: live keys (session, replies, audit, events) expire ``live_ttl_s`` after their last commit. When a session
is over its hash, audit and result lose their expiry until the HR system acknowledges the results; then they
expire ``acked_ttl_s`` later. The room's own keys (room, sessions, employees, unacked) expire ``live_ttl_s`` after
the room's last change, lose their expiry while any of its results is unacknowledged (the results are listed
through them), and expire ``acked_ttl_s`` after the last acknowledgement. An expiry only ever moves later on a live
change (``EXPIRE ... GT``; a key without one counts as never expiring). Keys written by earlier versions (a
``summary`` field in a session hash, a ``P:{R}:next`` counter) are read or left alone. Redis must run with
``maxmemory-policy noeviction`` and AOF (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from . import redis_scripts as scripts
from .store import (
    EVENTS_PER_READ,
    CandidateRecord,
    Commit,
    Notification,
    RoomRecord,
    SessionRecord,
    Store,
    StoreUnavailable,
    duplicate_employee,
    room_of,
)

__all__ = ["PackingConnection", "RedisStore"]

_log = logging.getLogger("cat_engine.server.redis")


_SESSION_FIELDS = ("session_id", "employee_id", "name", "token", "state", "version", "owner")


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


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
    ):
        self._url = url
        self._p = prefix
        self._live_ttl = live_ttl_s
        self._acked_ttl = acked_ttl_s
        # One quick retry on a fresh connection: after a Redis restart every pooled connection is stale and fails
        # once. Retrying is safe for every command here: a commit that did land is refused the second time by its
        # version check, and the session layer then finds the answer applied and returns its stored reply.
        self._redis: aioredis.Redis = aioredis.Redis.from_url(
            url,
            decode_responses=False,
            max_connections=max_connections,
            health_check_interval=30,
            socket_keepalive=True,
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
            connection_class=PackingConnection,
        )
        self._commit = self._redis.register_script(scripts.COMMIT)
        self._add = self._redis.register_script(scripts.ADD)
        self._next = self._redis.register_script(scripts.NEXT)
        self._ack = self._redis.register_script(scripts.ACK)
        # Commands in flight stay below the pool's size (a few connections are left for the notification
        # subscription and health checks): when every candidate of a killed process reconnects here at once, their
        # commands wait their turn instead of failing with redis-py's "Too many connections".
        self._in_flight = asyncio.Semaphore(max(max_connections - 8, 1))
        self._listeners: list[Notification] = []
        self._listen_task: asyncio.Task[None] | None = None

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
            self._listen_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listen_task
        await self._redis.aclose()

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except RedisError:
            return False

    async def _call(self, coro: Any) -> Any:
        try:
            await self._in_flight.acquire()
        except BaseException:  # cancelled while waiting: the command never ran
            coro.close()
            raise
        try:
            return await coro
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc
        finally:
            self._in_flight.release()

    # --- rooms and candidates ----------------------------------------------------------------------------------

    async def create_room(self, room: RoomRecord, proctor_token: str) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            key = self._room_key(room.room_id, "room")
            pipe.hset(key, mapping={"name": room.name, "battery": room.battery_id, "created_ms": room.created_ms})
            pipe.expire(key, self._live_ttl)
            pipe.set(f"{self._p}:ptoken:{_hash(proctor_token)}", room.room_id)
            pipe.sadd(f"{self._p}:rooms", room.room_id)
            await self._call(pipe.execute())

    async def get_room(self, room_id: str) -> RoomRecord | None:
        raw = await self._call(self._redis.hgetall(self._room_key(room_id, "room")))
        if not raw:
            return None
        return RoomRecord(room_id, _text(raw[b"name"]), _text(raw[b"battery"]), int(raw[b"created_ms"]))

    async def list_rooms(self) -> list[RoomRecord]:
        ids = sorted(_text(r) for r in await self._call(self._redis.smembers(f"{self._p}:rooms")))
        rooms = [await self.get_room(r) for r in ids]
        gone = [room_id for room_id, room in zip(ids, rooms, strict=True) if room is None]
        if gone:  # expired rooms leave the set as they are noticed
            await self._call(self._redis.srem(f"{self._p}:rooms", *gone))
        return sorted((r for r in rooms if r is not None), key=lambda r: r.created_ms)

    async def room_for_proctor_token(self, token: str) -> str | None:
        raw = await self._call(self._redis.get(f"{self._p}:ptoken:{_hash(token)}"))
        return None if raw is None else _text(raw)

    async def next_session_numbers(self, room_id: str, count: int) -> range:
        keys = [self._room_key(room_id, "room"), self._room_key(room_id, "next")]
        last = int(await self._call(self._next(keys=keys, args=[count, self._live_ttl])))
        return range(last - count + 1, last + 1)

    async def add_candidates(self, room_id: str, candidates: Sequence[tuple[CandidateRecord, bytes]]) -> None:
        employees = [c.employee_id for c, _ in candidates]
        dupes = {e for e in employees if employees.count(e) > 1}
        if dupes:
            raise duplicate_employee(sorted(dupes)[0])
        keys = self._room_keys(room_id) + [self._session_key(c.session_id) for c, _ in candidates]
        args: list[Any] = [self._live_ttl, len(candidates)]
        for cand, state in candidates:
            args += [cand.session_id, cand.employee_id, cand.name, cand.token, state]
        clash = await self._call(self._add(keys=keys, args=args))
        if clash:
            raise duplicate_employee(_text(clash))
        async with self._redis.pipeline(transaction=False) as pipe:
            for cand, _ in candidates:
                pipe.set(f"{self._p}:token:{_hash(cand.token)}", cand.session_id, ex=self._live_ttl)
            await self._call(pipe.execute())

    async def session_for_token(self, token: str) -> str | None:
        # each hello keeps the token alive as long as the session it opens
        raw = await self._call(self._redis.getex(f"{self._p}:token:{_hash(token)}", ex=self._live_ttl))
        return None if raw is None else _text(raw)

    async def room_candidates(self, room_id: str) -> list[CandidateRecord]:
        return [r.candidate for r in await self.load_room(room_id)]

    # --- sessions ----------------------------------------------------------------------------------------------

    @staticmethod
    def _record(values: Sequence[Any]) -> SessionRecord | None:
        if values[0] is None or values[4] is None:
            return None
        sid, emp, name, token, state, version, owner = values
        cand = CandidateRecord(_text(sid), _text(emp), _text(name), _text(token))
        return SessionRecord(cand, bytes(state), int(version), _text(owner or b""))

    async def load(self, session_id: str) -> SessionRecord | None:
        values = await self._call(self._redis.hmget(self._session_key(session_id), _SESSION_FIELDS))
        return self._record(values)

    async def load_room(self, room_id: str) -> list[SessionRecord]:
        ids = await self._call(self._redis.lrange(self._room_key(room_id, "sessions"), 0, -1))
        if not ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in ids:
                pipe.hmget(self._session_key(_text(sid)), _SESSION_FIELDS)
            rows = await self._call(pipe.execute())
        return [r for r in (self._record(v) for v in rows) if r is not None]

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
        args: list[Any] = [
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
        ]
        out = await self._call(self._commit(keys=keys, args=args))
        if int(out[0]) != 1:
            return False, []
        return True, [_text(i) for i in out[1:]]

    async def reply(self, session_id: str, seq: int) -> bytes | None:
        raw = await self._call(self._redis.hget(self._session_key(session_id, "replies"), str(seq)))
        return None if raw is None else bytes(raw)

    async def audit(self, session_id: str) -> list[tuple[str, bytes]]:
        rows = await self._call(self._redis.xrange(self._session_key(session_id, "audit")))
        return [(_text(i), bytes(f[b"e"])) for i, f in rows]

    async def append_audit(self, session_id: str, entry: bytes) -> None:
        # the stream exists (every session's first hello commits), so it keeps its expiry or its persistence
        await self._call(self._redis.xadd(self._session_key(session_id, "audit"), {"e": entry}))

    # --- room events -------------------------------------------------------------------------------------------

    async def read_events(self, room_id: str, after_id: str, block_ms: int) -> list[tuple[str, bytes]]:
        key = self._room_key(room_id, "events")
        if block_ms <= 0:
            rows = await self._call(self._redis.xrange(key, min=f"({after_id}", max="+"))
            return [(_text(i), bytes(f[b"e"])) for i, f in rows]
        # a blocking read holds its pool connection until it returns
        streams = await self._call(self._redis.xread({key: after_id}, block=block_ms, count=EVENTS_PER_READ))
        out: list[tuple[str, bytes]] = []
        for _, rows in streams or []:
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
        with contextlib.suppress(StoreUnavailable):
            await self._call(self._redis.publish(f"{self._p}:notify", session_id.encode() + b"\n" + message))

    def listen(self, callback: Notification) -> None:
        self._listeners.append(callback)

    async def _listen_loop(self) -> None:
        channel = f"{self._p}:notify"
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(channel)
                async for msg in pubsub.listen():
                    if msg.get("type") != "message":
                        continue
                    sid, _, body = bytes(msg["data"]).partition(b"\n")
                    for callback in list(self._listeners):
                        try:
                            await callback(sid.decode(), body)
                        except Exception:  # a listener's fault must not stop the others
                            _log.exception("notification listener failed")
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                _log.warning("notification subscription lost (%s); retrying", exc)
                await asyncio.sleep(0.5)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    # --- process liveness --------------------------------------------------------------------------------------

    async def beat(self, process_id: str, now_ms: int) -> None:
        await self._call(self._redis.set(f"{self._p}:proc:{process_id}", now_ms, ex=24 * 3600))

    async def last_beat(self, process_id: str) -> int | None:
        raw = await self._call(self._redis.get(f"{self._p}:proc:{process_id}"))
        return None if raw is None else int(raw)
