"""Contract tests of the session store (``cat_engine/server/store.py``), run against every kind of store.

Every test of the first part runs three times (fixture ``store``): on
:class:`~cat_engine.server.memory_store.MemoryStore`, on :class:`~cat_engine.server.redis_store.RedisStore` with a
private ``redis-server`` (fixture ``private_redis``), and on a RedisStore with a private Redis Cluster of 3 masters
and 3 replicas reached through its ``redis+cluster://`` URL (fixture ``private_cluster``). Both are started once per
test session (conftest.py), never the shared Redis on 6379; each test uses a key prefix of its own.

The second part (``test_redis_*``, marked "REDIS ONLY") checks what only the Redis store promises:

* on both the single Redis and the Cluster (fixtures ``any_redis_store`` and ``any_raw``, parametrized by
  ``redis_url``): the key layout and its hash tags, expiry, keys of earlier versions, the order of writes that span
  slots, several processes on one prefix and the per-room notifications they follow, WAIT for more replicas than
  there are;
* on the single Redis: :class:`StoreUnavailable` when Redis is down, the connection's command packer, the pool;
* on the Cluster: ``kind`` and the cluster URL, ``ping`` of a single-node URL pointing at a Cluster node, the
  Cluster's errors that mean "unavailable", WAIT for a replica, and a failover (on a Cluster of its own, since it
  kills a master).

pytest-asyncio is not used: each test is a sync function whose async body runs under the fixture's
:class:`asyncio.Runner` (one event loop per test, the one the store was started in), bounded by a timeout
(:data:`BODY_TIMEOUT_S`; :data:`FAILOVER_TIMEOUT_S` for the failover).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar
from uuid import uuid4

import pytest
import redis as redis_sync
import redis.asyncio as aioredis
from redis.cluster import RedisCluster as SyncRedisCluster
from redis.crc import key_slot
from redis.exceptions import (
    AskError,
    ClusterCrossSlotError,
    ClusterDownError,
    MasterDownError,
    MovedError,
    OutOfMemoryError,
    ReadOnlyError,
    RedisClusterUnreachableError,
    ResponseError,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.redis_client import UNAVAILABLE_ERRORS, cluster_seeds
from cat_engine.server.redis_store import RedisStore
from cat_engine.server.store import (
    AuditChain,
    CandidateRecord,
    Commit,
    RoomRecord,
    SessionRecord,
    Store,
    StoreUnavailable,
    committed,
    room_of,
    token_digest,
)
from cat_engine.server.wire_errors import Refusal
from load_tests.cluster import LocalCluster
from load_tests.procs import RedisServer, free_port

T = TypeVar("T")
Run = Callable[[Awaitable[T]], T]
Raw = redis_sync.Redis | SyncRedisCluster

BODY_TIMEOUT_S = 8.0
FAILOVER_TIMEOUT_S = 60.0  # the failover test's body: a failover, the old master's restart, answers on either side
LIVE_TTL_S = 1000  # the Redis store's live expiry in these tests
ACKED_TTL_S = 5000  # ... and after results are acknowledged (distinct, to tell them apart)


# --- fixtures ----------------------------------------------------------------------------------------------------


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    """One event loop for the test: the store is started, used and closed in it."""
    with asyncio.Runner() as r:
        yield r


@pytest.fixture
def run(runner: asyncio.Runner) -> Run[Any]:
    """``run(coro)``: run an async test body in the test's loop, bounded by :data:`BODY_TIMEOUT_S`."""

    def _run(coro: Awaitable[T]) -> T:
        return runner.run(asyncio.wait_for(coro, BODY_TIMEOUT_S))

    return _run


def new_prefix() -> str:
    return f"t{uuid4().hex[:8]}"


def make_redis_store(url: str, prefix: str, **kwargs: Any) -> RedisStore:
    return RedisStore(url, prefix=prefix, live_ttl_s=LIVE_TTL_S, acked_ttl_s=ACKED_TTL_S, **kwargs)


def is_cluster(url: str) -> bool:
    return cluster_seeds(url) is not None


@pytest.fixture(params=["memory", "redis", "cluster"])
def store(request: pytest.FixtureRequest, runner: asyncio.Runner) -> Iterator[Store]:
    """A started store of each kind (Redis: the private server or the private Cluster, a fresh key prefix)."""
    if request.param == "memory":
        s: Store = MemoryStore()
    elif request.param == "redis":
        private_redis: RedisServer = request.getfixturevalue("private_redis")
        s = make_redis_store(private_redis.url, new_prefix())
    else:
        private_cluster: LocalCluster = request.getfixturevalue("private_cluster")
        s = make_redis_store(private_cluster.url, new_prefix())
    runner.run(s.start())
    try:
        yield s
    finally:
        runner.run(s.close())


@pytest.fixture(params=["redis", "cluster"])
def redis_url(request: pytest.FixtureRequest) -> str:
    """REDIS ONLY: the URL of the private Redis, then of the private Cluster (``redis+cluster://``)."""
    if request.param == "redis":
        private_redis: RedisServer = request.getfixturevalue("private_redis")
        return private_redis.url
    private_cluster: LocalCluster = request.getfixturevalue("private_cluster")
    return private_cluster.url


@pytest.fixture
def any_redis_store(redis_url: str, runner: asyncio.Runner) -> Iterator[RedisStore]:
    """REDIS ONLY: a started RedisStore on :func:`redis_url` (single Redis, then Cluster) with a fresh key prefix."""
    s = make_redis_store(redis_url, new_prefix())
    runner.run(s.start())
    try:
        yield s
    finally:
        runner.run(s.close())


def raw_client(url: str) -> Raw:
    """A plain sync client to look at the keys a store wrote: redis-py's RedisCluster for a Cluster URL (its
    ``scan_iter`` walks every master; one-key commands go to the key's master)."""
    seeds = cluster_seeds(url)
    if seeds is None:
        return redis_sync.Redis.from_url(url)
    host, port = seeds[0]
    return SyncRedisCluster(host=host, port=port)


@pytest.fixture
def any_raw(redis_url: str) -> Iterator[Raw]:
    """REDIS ONLY: :func:`raw_client` of :func:`redis_url`."""
    client = raw_client(redis_url)
    try:
        yield client
    finally:
        client.close()


# --- helpers -----------------------------------------------------------------------------------------------------

_room_counter = 0


def new_room(name: str = "Room") -> RoomRecord:
    """A room with a fresh id (no ``-``) and an increasing creation time."""
    global _room_counter
    _room_counter += 1
    return RoomRecord(f"r{uuid4().hex[:10]}", name, "battery-1", 1_700_000_000_000 + _room_counter)


def cand(room_id: str, n: int, employee_id: str | None = None) -> CandidateRecord:
    session_id = f"{room_id}-{n}"
    return CandidateRecord(session_id, employee_id or f"E{n:03d}", f"Candidate {n}", token_digest(f"tok-{session_id}"))


def tok(c: CandidateRecord) -> str:
    """The token of a candidate made by :func:`cand` (the store keeps only its digest)."""
    return f"tok-{c.session_id}"


def row(c: CandidateRecord) -> tuple[CandidateRecord, bytes]:
    return c, f"state0:{c.session_id}".encode()


async def room_with(
    store: Store, n: int = 2, idempotency: tuple[str, bytes] | None = None
) -> tuple[RoomRecord, list[CandidateRecord]]:
    """A stored room with ``n`` registered candidates (session numbers from the store)."""
    room = new_room()
    await store.create_room(room, f"ptok-{room.room_id}")
    numbers = await store.next_session_numbers(room.room_id, n)
    cands = [cand(room.room_id, i) for i in numbers]
    assert await store.add_candidates(room.room_id, [row(c) for c in cands], idempotency) is None
    return room, cands


def sha(token: str) -> str:
    """How the Redis store names a token in its keys (``P:token:<sha>``, ``P:ptoken:<sha>``, ``P:{R}:reg:<sha>``)."""
    return hashlib.sha256(token.encode()).hexdigest()


def id_key(event_id: str) -> tuple[int, int]:
    ms, _, n = event_id.partition("-")
    return int(ms), int(n)


def assert_increasing(ids: list[str]) -> None:
    keys = [id_key(i) for i in ids]
    assert keys == sorted(keys) and len(set(keys)) == len(keys), ids


async def snapshot(store: Store, room_id: str, session_id: str, seqs: range = range(1, 6)) -> dict[str, Any]:
    """Everything a commit may write, as seen through the interface."""
    return {
        "record": await store.load(session_id),
        "replies": {seq: await store.reply(session_id, seq) for seq in seqs},
        "audit": await store.audit(session_id),
        "events": await store.read_events(room_id, "0-0", 0),
        "last_event": await store.last_event_id(room_id),
        "results": await store.results(room_id),
    }


def full_commit(tag: str, **kw: Any) -> Commit:
    fields: dict[str, Any] = {
        "state": f"state:{tag}".encode(),
        "owner": f"conn-{tag}",
        "reply": (1, f"reply:{tag}".encode()),
        "audit": [f"audit:{tag}:1".encode(), f"audit:{tag}:2".encode()],
        "events": [f"event:{tag}:1".encode(), f"event:{tag}:2".encode()],
    }
    fields.update(kw)
    return Commit(**fields)


# === contract: every store =========================================================================================


def test_ping(store: Store, run: Run[Any]) -> None:
    assert run(store.ping()) is True


def test_rooms(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        assert await store.list_rooms() == []
        first, second = new_room("First"), new_room("Second")
        assert await store.get_room(first.room_id) is None
        await store.create_room(first, "proctor-token-1")
        await store.create_room(second, "proctor-token-2")
        assert await store.get_room(first.room_id) == first
        assert await store.get_room(second.room_id) == second
        assert await store.get_room("rnope") is None
        assert await store.list_rooms() == [first, second]
        assert await store.room_for_proctor_token("proctor-token-1") == first.room_id
        assert await store.room_for_proctor_token("proctor-token-2") == second.room_id
        assert await store.room_for_proctor_token("unknown-token") is None
        assert await store.room_for_proctor_token("") is None

    run(body())


def test_set_room_open_keeps_the_flag_and_appends_the_room_event(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        closed = replace(new_room("Closed"), open=False)
        opened = new_room("Open")
        assert opened.open is True  # the default: a room stored before the gate existed is open
        await store.create_room(closed, "ptok-closed")
        await store.create_room(opened, "ptok-open")
        assert await store.get_room(closed.room_id) == closed  # the flag is stored with the room
        assert await store.get_room(opened.room_id) == opened
        assert await store.set_room_open(closed.room_id, True, b"opened-1") is True
        assert await store.get_room(closed.room_id) == replace(closed, open=True)
        assert await store.get_room(opened.room_id) == opened  # another room is untouched
        assert await store.set_room_open(closed.room_id, False, b"closed-1") is True
        assert await store.get_room(closed.room_id) == closed
        assert [r.open for r in await store.list_rooms() if r.room_id == closed.room_id] == [False]
        # each change appended its event to the room's stream, in order, after the sessions' events
        events = await store.read_events(closed.room_id, "0-0", 0)
        assert [e for _, e in events] == [b"opened-1", b"closed-1"]
        assert_increasing([i for i, _ in events])
        assert await store.last_event_id(closed.room_id) == events[-1][0]
        assert await store.read_events(closed.room_id, events[0][0], 0) == events[1:]
        assert await store.read_events(opened.room_id, "0-0", 0) == []
        # a missing room: False, nothing written
        assert await store.set_room_open("rnope", True, b"ghost") is False
        assert await store.get_room("rnope") is None
        assert await store.read_events("rnope", "0-0", 0) == []
        assert await store.last_event_id("rnope") == "0-0"

    run(body())


def test_set_room_open_wakes_a_blocked_reader_of_the_room(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        room, (c,) = await room_with(store, 1)
        _, ids = await store.commit(c.session_id, 1, Commit(state=b"s", events=[b"session-event"]))
        reader = asyncio.create_task(store.read_events(room.room_id, ids[-1], 3000))
        await asyncio.sleep(0.2)
        assert not reader.done()
        assert await store.set_room_open(room.room_id, False, b"room-closed")
        got = await reader
        assert [e for _, e in got] == [b"room-closed"]  # woken by the gate, not by the timeout
        assert got[0][0] == await store.last_event_id(room.room_id)

    run(body())


def test_next_session_numbers_consecutive_and_disjoint(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        room = new_room()
        other = new_room()
        await store.create_room(room, "p1")
        await store.create_room(other, "p2")
        a = await store.next_session_numbers(room.room_id, 3)
        b = await store.next_session_numbers(room.room_id, 2)
        c = await store.next_session_numbers(room.room_id, 1)
        assert (len(a), len(b), len(c)) == (3, 2, 1)
        assert a.step == b.step == c.step == 1
        assert a.start >= 1
        assert b.start == a.stop and c.start == b.stop
        # concurrent reservations never overlap
        ranges = await asyncio.gather(*(store.next_session_numbers(room.room_id, 4) for _ in range(10)))
        numbers = [n for r in [a, b, c, *ranges] for n in r]
        assert len(numbers) == len(set(numbers)) == 3 + 2 + 1 + 40
        assert all(len(r) == 4 and r.step == 1 for r in ranges)
        # another room counts on its own
        assert (await store.next_session_numbers(other.room_id, 2)).start == a.start

    run(body())


def test_add_candidates_and_load(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        room, cands = await room_with(store, 3)
        assert await store.room_candidates(room.room_id) == cands
        for c in cands:
            assert await store.session_for_token(tok(c)) == c.session_id
            assert room_of(c.session_id) == room.room_id
            rec = await store.load(c.session_id)
            assert rec == SessionRecord(c, f"state0:{c.session_id}".encode(), 1, "")
            assert rec.session_id == c.session_id
        assert await store.load_room(room.room_id) == [await store.load(c.session_id) for c in cands]
        assert await store.session_for_token("no-such-token") is None
        assert await store.load(f"{room.room_id}-999") is None
        assert await store.load_room("rnope") == []
        assert await store.room_candidates("rnope") == []
        # a second batch appends in registration order
        more = [cand(room.room_id, n) for n in await store.next_session_numbers(room.room_id, 2)]
        await store.add_candidates(room.room_id, [row(c) for c in more])
        assert await store.room_candidates(room.room_id) == cands + more

    run(body())


@pytest.mark.parametrize("clash", ["within_batch", "already_in_room"])
def test_add_candidates_all_or_none(store: Store, run: Run[Any], clash: str) -> None:
    async def body() -> None:
        room, existing = await room_with(store, 1)
        numbers = list(await store.next_session_numbers(room.room_id, 3))
        if clash == "within_batch":
            batch = [cand(room.room_id, numbers[0], "X1"), cand(room.room_id, numbers[1], "X2")]
            batch.append(cand(room.room_id, numbers[2], "X1"))
            dupe = "X1"
        else:
            batch = [cand(room.room_id, numbers[0], "X1"), cand(room.room_id, numbers[1], existing[0].employee_id)]
            batch.append(cand(room.room_id, numbers[2], "X3"))
            dupe = existing[0].employee_id
        before = await store.load_room(room.room_id)
        with pytest.raises(Refusal) as info:
            await store.add_candidates(room.room_id, [row(c) for c in batch])
        assert (info.value.code, info.value.fields) == ("duplicate_employee", {"employee_id": dupe})
        # nothing of the batch was stored: no session, no token, no roster entry
        for c in batch:
            assert await store.load(c.session_id) is None
            assert await store.session_for_token(tok(c)) is None
        assert await store.load_room(room.room_id) == before
        assert await store.room_candidates(room.room_id) == existing
        # the employee ids that were not the clash are still free
        if clash == "within_batch":
            await store.add_candidates(room.room_id, [row(batch[0])])
        else:
            await store.add_candidates(room.room_id, [row(batch[0]), row(batch[2])])
        assert await store.session_for_token(tok(batch[0])) == batch[0].session_id

    run(body())


def test_same_employee_in_two_rooms(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        _, first = await room_with(store, 1)
        room2 = new_room()
        await store.create_room(room2, "p-other")
        c = cand(room2.room_id, 1, first[0].employee_id)
        await store.add_candidates(room2.room_id, [row(c)])
        assert await store.session_for_token(tok(c)) == c.session_id

    run(body())


def test_add_candidates_idempotent(store: Store, run: Run[Any]) -> None:
    """A registration with an idempotency key is stored at most once per room: repeated, it writes nothing and
    returns the first one's reply; another key registers as usual, and refusals still apply."""

    async def body() -> None:
        room = new_room()
        await store.create_room(room, "ptok-idem")

        async def batch(*employees: str) -> list[CandidateRecord]:
            numbers = await store.next_session_numbers(room.room_id, len(employees))
            return [cand(room.room_id, n, e) for n, e in zip(numbers, employees, strict=True)]

        first = await batch("A1", "A2")
        assert await store.add_candidates(room.room_id, [row(c) for c in first], ("key-1", b"reply-1")) is None
        assert await store.room_candidates(room.room_id) == first
        # the same key again, as a retried request sends it (new session ids and tokens; the same employees, then
        # others): nothing is written, not even a token index, and the first reply comes back
        retry = await batch("A1", "A2")
        other = await batch("B1")
        for repeat in (retry, other):
            got = await store.add_candidates(room.room_id, [row(c) for c in repeat], ("key-1", b"reply-other"))
            assert got == b"reply-1"
        for c in retry + other:
            assert await store.load(c.session_id) is None
            assert await store.session_for_token(tok(c)) is None
        assert await store.room_candidates(room.room_id) == first
        for c in first:
            assert await store.session_for_token(tok(c)) == c.session_id
        # another key registers normally, and keeps its own reply
        second = await batch("C1")
        assert await store.add_candidates(room.room_id, [row(c) for c in second], ("key-2", b"reply-2")) is None
        assert await store.add_candidates(room.room_id, [row(c) for c in await batch("C9")], ("key-2", b"x")) == (
            b"reply-2"
        )
        assert await store.room_candidates(room.room_id) == first + second
        assert await store.session_for_token(tok(second[0])) == second[0].session_id
        # a new key is no way around duplicate_employee; a refused registration does not keep its key
        clash = await batch("D1", "A1")
        with pytest.raises(Refusal) as info:
            await store.add_candidates(room.room_id, [row(c) for c in clash], ("key-3", b"reply-3"))
        assert (info.value.code, info.value.fields) == ("duplicate_employee", {"employee_id": "A1"})
        assert [await store.load(c.session_id) for c in clash] == [None, None]
        third = await batch("D1")
        assert await store.add_candidates(room.room_id, [row(c) for c in third], ("key-3", b"reply-3b")) is None
        assert await store.room_candidates(room.room_id) == first + second + third
        # keys are per room: the same key registers in another room
        elsewhere = new_room()
        await store.create_room(elsewhere, "ptok-elsewhere")
        c = cand(elsewhere.room_id, 1, "A1")
        assert await store.add_candidates(elsewhere.room_id, [row(c)], ("key-1", b"reply-elsewhere")) is None
        assert await store.room_candidates(elsewhere.room_id) == [c]
        # without a key nothing is remembered: the same roster again is a duplicate
        with pytest.raises(Refusal, match="duplicate_employee"):
            await store.add_candidates(elsewhere.room_id, [row(cand(elsewhere.room_id, 2, "A1"))])

    run(body())


def test_commit_writes_everything_and_bumps_version(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        room, (c, other) = await room_with(store, 2)
        sid = c.session_id
        before = await store.load(sid)
        assert before is not None and (before.version, before.owner) == (1, "")
        ok, ids1 = await store.commit(sid, 1, full_commit("a"))
        assert ok is True and len(ids1) == 2
        rec = await store.load(sid)
        assert rec is not None
        assert rec == committed(before, full_commit("a"))  # the store's rule, as the session layer applies it
        assert (rec.version, rec.state, rec.owner) == (2, b"state:a", "conn-a")
        assert rec.candidate == c
        # owner None keeps the owner
        ok, ids2 = await store.commit(sid, 2, Commit(state=b"state:b", events=[b"ev-b"]))
        assert ok is True and len(ids2) == 1
        after = await store.load(sid)
        assert after is not None and after == committed(rec, Commit(state=b"state:b"))
        rec = after
        assert (rec.version, rec.state, rec.owner) == (3, b"state:b", "conn-a")
        # owner "" clears it
        ok, ids3 = await store.commit(sid, 3, Commit(state=b"state:c", owner=""))
        assert ok is True and ids3 == []
        rec = await store.load(sid)
        assert rec is not None and (rec.version, rec.owner) == (4, "")
        assert_increasing(ids1 + ids2)
        assert await store.last_event_id(room.room_id) == ids2[-1]
        assert await store.read_events(room.room_id, "0-0", 0) == [
            (ids1[0], b"event:a:1"),
            (ids1[1], b"event:a:2"),
            (ids2[0], b"ev-b"),
        ]
        # the other session of the room is untouched
        untouched = await store.load(other.session_id)
        assert untouched is not None and (untouched.version, untouched.owner) == (1, "")
        # a commit to a session that does not exist writes nothing
        assert await store.commit(f"{room.room_id}-999", 1, full_commit("ghost")) == (False, [])
        assert await store.load(f"{room.room_id}-999") is None
        assert await store.last_event_id(room.room_id) == ids2[-1]

    run(body())


def test_stale_commit_writes_nothing(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        room, (c, _) = await room_with(store, 2)
        sid = c.session_id
        ok, _ = await store.commit(sid, 1, full_commit("first"))
        assert ok
        before = await snapshot(store, room.room_id, sid)
        stale = full_commit(
            "stale",
            reply=(2, b"reply:stale"),
            audit=[b"audit:stale"],
            events=[b"event:stale"],
            result=b"result:stale",
            persist=True,
        )
        for version in (1, 0, 3, 99):
            assert await store.commit(sid, version, stale) == (False, [])
        assert await snapshot(store, room.room_id, sid) == before
        assert await store.reply(sid, 2) is None
        # the right version still commits afterwards
        ok, ids = await store.commit(sid, 2, stale)
        assert ok and len(ids) == 1
        rec = await store.load(sid)
        assert rec is not None and (rec.version, rec.state) == (3, b"state:stale")

    run(body())


def test_concurrent_commits_one_wins(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        room, (c,) = await room_with(store, 1)
        outcomes = await asyncio.gather(
            *(store.commit(c.session_id, 1, full_commit(f"w{i}", events=[f"w{i}".encode()])) for i in range(8))
        )
        winners = [i for i, (ok, _) in enumerate(outcomes) if ok]
        assert len(winners) == 1
        rec = await store.load(c.session_id)
        assert rec is not None and rec.version == 2 and rec.state == f"state:w{winners[0]}".encode()
        assert [e for _, e in await store.read_events(room.room_id, "0-0", 0)] == [f"w{winners[0]}".encode()]
        assert len(await store.audit(c.session_id)) == 2

    run(body())


def test_only_the_last_reply_is_kept(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        _, (c,) = await room_with(store, 1)
        sid = c.session_id
        assert await store.reply(sid, 1) is None
        for seq in (1, 2, 3):
            ok, _ = await store.commit(sid, seq, Commit(state=b"s", reply=(seq, f"r{seq}".encode())))
            assert ok
        ok, _ = await store.commit(sid, 4, Commit(state=b"s"))  # no reply: keeps the last one
        assert ok
        assert [await store.reply(sid, seq) for seq in (1, 2, 3, 4)] == [None, None, b"r3", None]
        assert await store.reply(f"{room_of(sid)}-999", 1) is None

    run(body())


def test_audit_in_order(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        _, (c, other) = await room_with(store, 2)
        sid = c.session_id
        assert await store.audit(sid) == []
        expected: list[bytes] = []
        version = 1
        for batch in ([b"a1", b"a2", b"a3"], [], [b"a4"], [b"a5", b"a6"]):
            ok, _ = await store.commit(sid, version, Commit(state=b"s", audit=batch))
            assert ok
            version += 1
            expected += batch
        entries = await store.audit(sid)
        assert [e for _, e in entries] == expected
        assert_increasing([i for i, _ in entries])
        assert await store.audit(other.session_id) == []
        assert await store.audit(f"{room_of(sid)}-999") == []

    run(body())


def chain_problem(session_id: str, chain: AuditChain) -> str | None:
    """What is wrong with a stored audit chain, from its definition (docs/verification.md): None when the first
    entry's prev is SHA-256 of the tag and the session id, each next prev is SHA-256(prev || entry), and the head is
    the hash after the last entry."""
    expected = hashlib.sha256(b"cat-engine audit chain v1\n" + session_id.encode()).hexdigest()
    for k, row in enumerate(chain.rows):
        if row.prev != expected:
            return f"entry {k}: prev {row.prev} != {expected}"
        expected = hashlib.sha256(expected.encode() + row.entry).hexdigest()
    if chain.rows and chain.head != expected:
        return f"head {chain.head} != {expected}"
    return None


def test_audit_is_a_hash_chain(store: Store, run: Run[Any]) -> None:
    """Commits and repeats outside them, several at once: every entry is stored with the hash of the one before, the
    store keeps the head, and each session has a chain of its own."""

    async def body() -> None:
        room, (c, other) = await room_with(store, 2)
        sid = c.session_id
        assert await store.audit_chain(sid) == AuditChain((), "")
        version = 1
        for batch in ([b"a1", b"a2"], [], [b"a3"]):
            assert (await store.commit(sid, version, Commit(state=b"s", audit=batch)))[0]
            version += 1
        # repeats (outside any commit) and commits racing: the store orders them, the chain follows that order
        repeats = [store.append_audit(sid, f"r{i}".encode()) for i in range(6)]
        commits = [store.commit(sid, version, Commit(state=b"s", audit=[f"c{i}".encode()])) for i in range(3)]
        await asyncio.gather(*repeats, *commits)
        await store.append_audit(other.session_id, b"o1")
        chain = await store.audit_chain(sid)
        assert [r.entry for r in chain.rows] == [e for _, e in await store.audit(sid)]
        assert [r.id for r in chain.rows] == [i for i, _ in await store.audit(sid)]
        assert len(chain.rows) == 3 + 6 + 1  # one of the racing commits won
        assert chain_problem(sid, chain) is None
        assert chain_problem(other.session_id, await store.audit_chain(other.session_id)) is None
        assert await store.audit_chain(f"{room.room_id}-999") == AuditChain((), "")

    run(body())


def test_read_events_after_id(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        room, (c1, c2) = await room_with(store, 2)
        assert await store.last_event_id(room.room_id) == "0-0"
        assert await store.read_events(room.room_id, "0-0", 0) == []
        ids: list[str] = []
        _, got = await store.commit(c1.session_id, 1, Commit(state=b"s", events=[b"e1", b"e2"]))
        ids += got
        _, got = await store.commit(c2.session_id, 1, Commit(state=b"s", events=[b"e3"]))
        ids += got
        _, got = await store.commit(c1.session_id, 2, Commit(state=b"s", events=[b"e4", b"e5"]))
        ids += got
        assert len(ids) == 5
        assert_increasing(ids)
        everything = list(zip(ids, [b"e1", b"e2", b"e3", b"e4", b"e5"], strict=True))
        assert await store.read_events(room.room_id, "0-0", 0) == everything
        for k, after in enumerate(ids):
            assert await store.read_events(room.room_id, after, 0) == everything[k + 1 :]
        assert await store.last_event_id(room.room_id) == ids[-1]
        # a blocking read returns at once when events are already there
        t0 = time.monotonic()
        assert await store.read_events(room.room_id, ids[1], 2000) == everything[2:]
        assert time.monotonic() - t0 < 1.0
        # another room's stream is separate
        other, _ = await room_with(store, 1)
        assert await store.read_events(other.room_id, "0-0", 0) == []
        assert await store.last_event_id(other.room_id) == "0-0"

    run(body())


def test_read_events_blocks_until_a_commit(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        room, (c,) = await room_with(store, 1)
        _, first = await store.commit(c.session_id, 1, Commit(state=b"s", events=[b"old"]))
        after = await store.last_event_id(room.room_id)
        assert after == first[0]
        reader = asyncio.create_task(store.read_events(room.room_id, after, 3000))
        await asyncio.sleep(0.2)
        assert not reader.done()
        t0 = time.monotonic()

        async def writer() -> list[str]:
            ok, ids = await store.commit(c.session_id, 2, Commit(state=b"s", events=[b"new"]))
            assert ok
            return ids

        ids = await asyncio.create_task(writer())
        got = await reader
        assert got == [(ids[0], b"new")]
        assert time.monotonic() - t0 < 1.0  # woken by the commit, not by the timeout

    run(body())


def test_read_events_block_times_out(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        room, (c,) = await room_with(store, 1)
        t0 = time.monotonic()
        assert await store.read_events(room.room_id, "0-0", 300) == []  # empty stream
        assert 0.25 <= time.monotonic() - t0 < 2.0
        await store.commit(c.session_id, 1, Commit(state=b"s", events=[b"e"]))
        last = await store.last_event_id(room.room_id)
        t0 = time.monotonic()
        assert await store.read_events(room.room_id, last, 300) == []  # nothing after the last id
        assert 0.25 <= time.monotonic() - t0 < 2.0

    run(body())


def test_results_and_ack(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        room, (c1, c2, c3) = await room_with(store, 3)
        assert await store.results(room.room_id) == {}
        await store.commit(c1.session_id, 1, Commit(state=b"s"))  # no result
        ok, _ = await store.commit(c2.session_id, 1, Commit(state=b"done", result=b"R2", persist=True))
        assert ok
        ok, _ = await store.commit(c3.session_id, 1, Commit(state=b"done", result=b"R3", persist=True))
        assert ok
        assert await store.results(room.room_id) == {c2.session_id: b"R2", c3.session_id: b"R3"}
        assert await store.results("rnope") == {}
        assert [await store.result(c.session_id) for c in (c1, c2, c3)] == [None, b"R2", b"R3"]
        assert await store.result("rnope-0001") is None
        ids = [c1.session_id, c2.session_id, c2.session_id, f"{room.room_id}-999"]
        assert await store.ack_results(room.room_id, ids) == 1
        assert await store.ack_results(room.room_id, []) == 0
        assert await store.ack_results(room.room_id, [c1.session_id, c2.session_id, c3.session_id]) == 2
        assert await store.ack_results("rnope", [c2.session_id]) == 0
        # acknowledged results are still readable until they expire
        assert await store.results(room.room_id) == {c2.session_id: b"R2", c3.session_id: b"R3"}

    run(body())


async def wait_for_notification(
    store: Store, queue: asyncio.Queue[tuple[str, bytes]], session_id: str, message: bytes
) -> tuple[str, bytes]:
    """Notify until the listener hears it (a Redis subscription needs a moment to be ready), up to ~2.5 s."""
    deadline = time.monotonic() + 2.5
    while True:
        await store.notify(session_id, message)
        try:
            return await asyncio.wait_for(queue.get(), 0.1)
        except TimeoutError:
            if time.monotonic() > deadline:
                raise AssertionError("no notification within 2.5 s") from None


def drain(queue: asyncio.Queue[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """What the queue holds now, taken out."""
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


async def heard_within(queue: asyncio.Queue[tuple[str, bytes]], seconds: float = 0.5) -> list[tuple[str, bytes]]:
    """What the queue receives within ``seconds`` (for "nothing is heard": a subscription answers in far less)."""
    await asyncio.sleep(seconds)
    return drain(queue)


def test_notify_listen(store: Store, run: Run[Any]) -> None:
    """A store hears the notifications of the rooms it follows (MemoryStore: of every room)."""

    async def body() -> None:
        heard: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        also: list[tuple[str, bytes]] = []

        async def listener(session_id: str, message: bytes) -> None:
            await heard.put((session_id, message))

        async def second(session_id: str, message: bytes) -> None:
            also.append((session_id, message))

        store.listen(listener)
        store.listen(second)
        store.follow("rabc")
        message = b'{"kind":"paused"}\nwith a newline'
        assert await wait_for_notification(store, heard, "rabc-7", message) == ("rabc-7", message)
        drain(heard)  # the duplicates of the retries
        await store.notify("rabc-8", b"")
        assert await asyncio.wait_for(heard.get(), 2.0) == ("rabc-8", b"")
        assert ("rabc-7", message) in also and also[-1] == ("rabc-8", b"")
        # follows are counted: one unfollow of two leaves the room followed
        store.follow("rabc")
        store.unfollow("rabc")
        await asyncio.sleep(0.3)
        await store.notify("rabc-9", b"still")
        assert await asyncio.wait_for(heard.get(), 2.0) == ("rabc-9", b"still")
        store.unfollow("rabc")

    run(body())


def test_beat(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        assert await store.last_beat("proc-a") is None
        await store.beat("proc-a", 1_700_000_000_123)
        await store.beat("proc-b", 5)
        assert await store.last_beat("proc-a") == 1_700_000_000_123
        await store.beat("proc-a", 1_700_000_000_999)
        assert await store.last_beat("proc-a") == 1_700_000_000_999
        assert await store.last_beat("proc-b") == 5
        assert await store.last_beat("proc-c") is None

    run(body())


# === REDIS ONLY ==================================================================================================

_GLOBAL_KEY = re.compile(r"(token|ptoken|proc):[^{}]+|rooms")


async def busy_room(store: Store) -> tuple[RoomRecord, list[CandidateRecord]]:
    """A room registered with an idempotency key whose sessions used every part of a commit (reply, audit, events,
    result), plus a heartbeat."""
    room, cands = await room_with(store, 2, idempotency=("reg-key", b"reg-reply"))
    for c in cands:
        ok, _ = await store.commit(c.session_id, 1, full_commit("a"))
        assert ok
    ok, _ = await store.commit(cands[0].session_id, 2, full_commit("end", result=b"R", persist=True))
    assert ok
    await store.beat("proc-1", 1)
    return room, cands


def test_redis_keys_carry_the_room_hash_tag(any_redis_store: RedisStore, any_raw: Raw, run: Run[Any]) -> None:
    """REDIS ONLY: every key of a room carries ``{room_id}`` (one Cluster slot per room); the rest are the documented
    global keys. No ``:replies`` key: the reply is a field of the session hash."""
    store = any_redis_store

    async def body() -> list[tuple[RoomRecord, list[CandidateRecord]]]:
        return [await busy_room(store), await busy_room(store)]

    rooms = run(body())
    p = store._p
    keys = sorted(k.decode() for k in any_raw.scan_iter(match=f"{p}:*", count=1000))
    by_room: dict[str, list[str]] = {room.room_id: [] for room, _ in rooms}
    globals_: list[str] = []
    for key in keys:
        rest = key[len(p) + 1 :]
        tag = re.fullmatch(r"\{([^{}]+)\}:.+", rest)
        if tag is not None:
            assert tag.group(1) in by_room, key
            by_room[tag.group(1)].append(key)
        else:
            assert _GLOBAL_KEY.fullmatch(rest), f"key without a room hash tag: {key}"
            globals_.append(rest)
    for room, cands in rooms:
        r = room.room_id
        # "unacked": cands[0] is over and its result not yet acknowledged
        expected = {f"{p}:{{{r}}}:{part}" for part in ("room", "sessions", "employees", "unacked", "events")}
        expected.add(f"{p}:{{{r}}}:reg:{sha('reg-key')}")
        for c in cands:
            base = f"{p}:{{{r}}}:s:{c.session_id}"
            expected |= {base, f"{base}:audit"}  # the reply is a field of the session hash
        expected.add(f"{p}:{{{r}}}:s:{cands[0].session_id}:result")
        assert set(by_room[r]) == expected
        assert len({key_slot(k.encode()) for k in by_room[r]}) == 1  # one Cluster slot per room
        assert any_raw.get(f"{p}:{{{r}}}:reg:{sha('reg-key')}") == b"reg-reply"
    assert sum(g.startswith("token:") for g in globals_) == 4
    assert sum(g.startswith("ptoken:") for g in globals_) == 2
    assert "rooms" in globals_ and "proc:proc-1" in globals_
    # tokens are stored hashed, never in clear
    assert not any("tok-" in g for g in globals_)


def ttl(raw: Raw, key: str) -> int:
    return int(raw.ttl(key))


def test_redis_ttls_live_persist_ack(any_redis_store: RedisStore, any_raw: Raw, run: Run[Any]) -> None:
    """REDIS ONLY: live keys expire; a finished session's hash, audit and result keep until acknowledged."""
    store, raw = any_redis_store, any_raw
    p = store._p
    room, (c, other) = run(room_with(store, 2))
    base = f"{p}:{{{room.room_id}}}:s:{c.session_id}"
    events = f"{p}:{{{room.room_id}}}:events"

    def live(key: str) -> bool:
        return 0 < ttl(raw, key) <= LIVE_TTL_S

    assert live(base)
    token_keys = [k.decode() for k in raw.scan_iter(match=f"{p}:token:*")]
    assert len(token_keys) == 2 and all(live(k) for k in token_keys)

    ok, _ = run(store.commit(c.session_id, 1, full_commit("a")))
    assert ok
    for key in (base, f"{base}:audit", events):
        assert live(key), (key, ttl(raw, key))
    # the last reply lives in the session hash, with it
    assert raw.hmget(base, ["reply_seq", "reply"]) == [b"1", b"reply:a"]
    assert raw.exists(f"{base}:replies") == 0

    ok, _ = run(store.commit(c.session_id, 2, full_commit("end", result=b"R", persist=True)))
    assert ok
    for key in (base, f"{base}:audit", f"{base}:result"):
        assert ttl(raw, key) == -1, key
    assert live(events)

    # a stale commit asking to persist another session changes no expiry
    other_base = f"{p}:{{{room.room_id}}}:s:{other.session_id}"
    assert run(store.commit(other.session_id, 7, full_commit("x", result=b"X", persist=True))) == (False, [])
    assert live(other_base) and raw.exists(f"{other_base}:result") == 0

    assert run(store.ack_results(room.room_id, [c.session_id, other.session_id])) == 1
    for key in (base, f"{base}:audit", f"{base}:result"):
        assert LIVE_TTL_S < ttl(raw, key) <= ACKED_TTL_S, (key, ttl(raw, key))
    assert raw.exists(f"{base}:replies") == 0  # acknowledging sets no expiry on a key that is not there
    assert live(other_base)


def test_redis_room_keys_live_while_results_are_unacknowledged(
    any_redis_store: RedisStore, any_raw: Raw, run: Run[Any]
) -> None:
    """REDIS ONLY: a room's own keys expire with the room's last change, stay while any of its results is
    unacknowledged (results are listed through them), and expire after the last acknowledgement."""
    store, raw = any_redis_store, any_raw
    p = store._p
    room, (c1, c2) = run(room_with(store, 2))
    room_keys = [f"{p}:{{{room.room_id}}}:{part}" for part in ("room", "sessions", "employees")]
    unacked = f"{p}:{{{room.room_id}}}:unacked"

    def all_live() -> bool:
        return all(0 < ttl(raw, k) <= LIVE_TTL_S for k in room_keys)

    assert all_live(), [ttl(raw, k) for k in room_keys]
    assert run(store.commit(c1.session_id, 1, full_commit("a")))[0] and all_live()
    for c in (c1, c2):  # both sessions end; their results wait for the HR system
        version = 2 if c is c1 else 1
        assert run(store.commit(c.session_id, version, full_commit("end", result=b"R", persist=True)))[0]
        assert all(ttl(raw, k) == -1 for k in [*room_keys, unacked])
    assert run(store.commit(c1.session_id, 3, Commit(state=b"end", owner="", events=[b"d"])))[0]
    assert all(ttl(raw, k) == -1 for k in room_keys)  # a later live change does not bring the expiry back

    assert run(store.ack_results(room.room_id, [c1.session_id])) == 1
    assert all(ttl(raw, k) == -1 for k in room_keys)  # c2's result is still unacknowledged
    assert sorted(run(store.results(room.room_id))) == sorted([c1.session_id, c2.session_id])
    assert run(store.ack_results(room.room_id, [c2.session_id])) == 1
    assert all(LIVE_TTL_S < ttl(raw, k) <= ACKED_TTL_S for k in room_keys), [ttl(raw, k) for k in room_keys]
    assert raw.exists(unacked) == 0


def test_redis_session_numbers_continue_a_counter_of_the_first_release(
    any_redis_store: RedisStore, any_raw: Raw, run: Run[Any]
) -> None:
    """REDIS ONLY: rooms created by the first release kept their counter in ``P:{R}:next``: numbering continues
    from it (never reusing a session id) and the old key goes."""
    store, raw = any_redis_store, any_raw
    p = store._p
    room = new_room()
    run(store.create_room(room, "ptok-old"))
    raw.set(f"{p}:{{{room.room_id}}}:next", 41)
    assert list(run(store.next_session_numbers(room.room_id, 2))) == [42, 43]
    assert raw.exists(f"{p}:{{{room.room_id}}}:next") == 0
    assert list(run(store.next_session_numbers(room.room_id, 1))) == [44]
    assert 0 < ttl(raw, f"{p}:{{{room.room_id}}}:room") <= LIVE_TTL_S


def test_redis_reply_of_an_earlier_version_read_then_dropped(
    any_redis_store: RedisStore, any_raw: Raw, run: Run[Any]
) -> None:
    """REDIS ONLY: earlier versions kept every reply in a ``P:{R}:s:S:replies`` hash by seq. While the session
    hash has no ``reply_seq`` it is read; the first reply stored now replaces it (and only the last is kept)."""
    store, raw = any_redis_store, any_raw
    room, (c,) = run(room_with(store, 1))
    sid = c.session_id
    base = f"{store._p}:{{{room.room_id}}}:s:{sid}"
    raw.hset(f"{base}:replies", mapping={"1": b"old-1", "2": b"old-2"})

    async def replies() -> list[bytes | None]:
        return [await store.reply(sid, seq) for seq in (1, 2, 3)]

    assert run(replies()) == [b"old-1", b"old-2", None]
    # a commit without a reply leaves the old hash as it is
    assert run(store.commit(sid, 1, Commit(state=b"s2", audit=[b"a"])))[0]
    assert raw.exists(f"{base}:replies") == 1
    assert run(replies()) == [b"old-1", b"old-2", None]
    # a stale commit with a reply writes nothing, so the old hash stays too
    assert run(store.commit(sid, 1, Commit(state=b"x", reply=(3, b"stale")))) == (False, [])
    assert raw.exists(f"{base}:replies") == 1
    # the first reply stored now: the old hash goes, and only the new reply is answered
    assert run(store.commit(sid, 2, Commit(state=b"s3", reply=(3, b"new-3"))))[0]
    assert raw.exists(f"{base}:replies") == 0
    assert raw.hmget(base, ["reply_seq", "reply"]) == [b"3", b"new-3"]
    assert run(replies()) == [None, None, b"new-3"]


def test_redis_expired_rooms_leave_the_room_list(any_redis_store: RedisStore, any_raw: Raw, run: Run[Any]) -> None:
    store, raw = any_redis_store, any_raw
    p = store._p
    kept, gone = new_room("kept"), new_room("gone")
    run(store.create_room(kept, "ptok-kept"))
    run(store.create_room(gone, "ptok-gone"))
    raw.delete(f"{p}:{{{gone.room_id}}}:room")  # as its expiry would
    assert [r.room_id for r in run(store.list_rooms())] == [kept.room_id]
    assert raw.sismember(f"{p}:rooms", gone.room_id) == 0


def test_redis_a_room_hash_without_the_open_field_reads_as_open(
    any_redis_store: RedisStore, any_raw: Raw, run: Run[Any]
) -> None:
    """REDIS ONLY: a room stored before the gate existed has no ``open`` field: it is open, as it was; the gate
    writes the field (``1``/``0``) and the stream together, and nothing for a room that is gone."""
    store, raw = any_redis_store, any_raw
    p = store._p
    room = replace(new_room(), open=False)
    run(store.create_room(room, "ptok-old"))
    key = f"{p}:{{{room.room_id}}}:room"
    assert raw.hget(key, "open") == b"0"
    raw.hdel(key, "open")  # as an earlier version stored it
    stored = run(store.get_room(room.room_id))
    assert stored is not None and stored.open is True
    assert run(store.set_room_open(room.room_id, False, b"closed")) is True
    assert raw.hget(key, "open") == b"0"
    assert run(store.set_room_open(room.room_id, True, b"opened")) is True
    assert raw.hget(key, "open") == b"1"
    assert [e for _, e in run(store.read_events(room.room_id, "0-0", 0))] == [b"closed", b"opened"]
    gone = new_room()
    run(store.create_room(gone, "ptok-gone"))
    raw.delete(f"{p}:{{{gone.room_id}}}:room")  # as its expiry would
    assert run(store.set_room_open(gone.room_id, True, b"ghost")) is False
    assert raw.exists(f"{p}:{{{gone.room_id}}}:events") == 0
    assert raw.exists(f"{p}:{{{gone.room_id}}}:room") == 0  # not brought back


def test_redis_proctor_token_of_a_missing_room_leads_nowhere(
    any_redis_store: RedisStore, any_raw: Raw, run: Run[Any]
) -> None:
    """REDIS ONLY: ``P:ptoken:<sha>`` is only an index; it counts while the room it names exists."""
    store, raw = any_redis_store, any_raw
    p = store._p
    # an index written by a room creation that failed before the room (see the next test), or left by a room that
    # expired
    raw.set(f"{p}:ptoken:{sha('ptok-ghost')}", "rghost")
    assert run(store.room_for_proctor_token("ptok-ghost")) is None
    room = new_room()
    run(store.create_room(room, "ptok-expiring"))
    assert run(store.room_for_proctor_token("ptok-expiring")) == room.room_id
    raw.delete(f"{p}:{{{room.room_id}}}:room")  # as its expiry would
    assert raw.exists(f"{p}:ptoken:{sha('ptok-expiring')}") == 1
    assert run(store.room_for_proctor_token("ptok-expiring")) is None


def test_redis_writes_that_fail_half_way_lead_nowhere(
    any_redis_store: RedisStore, any_raw: Raw, run: Run[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """REDIS ONLY: the token indexes are written before the room or sessions they lead to (they are on other
    slots), so a failure in between leaves an index that leads nowhere, never a room or session without one."""
    store, raw = any_redis_store, any_raw
    p = store._p
    room, existing = run(room_with(store, 1))
    c = cand(room.room_id, run(store.next_session_numbers(room.room_id, 1)).start, "H1")

    async def lost(*args: Any, **kwargs: Any) -> Any:
        raise RedisConnectionError("connection lost (injected)")

    monkeypatch.setattr(store, "_add", lost)  # the registration script never runs
    with pytest.raises(StoreUnavailable):
        run(store.add_candidates(room.room_id, [row(c)]))
    assert raw.get(f"{p}:token:{sha(tok(c))}") == c.session_id.encode()  # written first ...
    assert run(store.load(c.session_id)) is None  # ... it leads to no session
    assert run(store.room_candidates(room.room_id)) == existing
    assert raw.hget(f"{p}:{{{room.room_id}}}:employees", "H1") is None

    monkeypatch.setattr(store, "_room", lost)  # the room script never runs
    ghost = new_room()
    with pytest.raises(StoreUnavailable):
        run(store.create_room(ghost, "ptok-half"))
    assert raw.get(f"{p}:ptoken:{sha('ptok-half')}") == ghost.room_id.encode()
    assert run(store.room_for_proctor_token("ptok-half")) is None
    assert run(store.get_room(ghost.room_id)) is None
    assert run(store.list_rooms()) == [room]


def test_redis_refused_registration_leaves_no_token_index(
    any_redis_store: RedisStore, any_raw: Raw, run: Run[Any]
) -> None:
    """REDIS ONLY: a registration the script refuses (a duplicate employee, a repeated idempotency key) deletes the
    token indexes it wrote first; those of the registrations that went in stay."""
    store, raw = any_redis_store, any_raw
    p = store._p

    def token_keys() -> set[str]:
        return {k.decode() for k in raw.scan_iter(match=f"{p}:token:*", count=1000)}

    room, (first,) = run(room_with(store, 1))
    assert token_keys() == {f"{p}:token:{sha(tok(first))}"}

    async def numbers(n: int) -> list[int]:
        return list(await store.next_session_numbers(room.room_id, n))

    a, b = run(numbers(2))
    with pytest.raises(Refusal, match="duplicate_employee"):  # refused by the script: already in the room
        run(
            store.add_candidates(
                room.room_id, [row(cand(room.room_id, a, "N1")), row(cand(room.room_id, b, first.employee_id))]
            )
        )
    assert token_keys() == {f"{p}:token:{sha(tok(first))}"}

    (n,) = run(numbers(1))
    kept = cand(room.room_id, n, "K1")
    assert run(store.add_candidates(room.room_id, [row(kept)], ("key", b"reply"))) is None
    registered = {f"{p}:token:{sha(tok(first))}", f"{p}:token:{sha(tok(kept))}"}
    assert token_keys() == registered
    (n,) = run(numbers(1))
    assert run(store.add_candidates(room.room_id, [row(cand(room.room_id, n, "K2"))], ("key", b"x"))) == b"reply"
    assert token_keys() == registered
    assert run(store.session_for_token(tok(kept))) == kept.session_id


def test_redis_commit_after_persist_keeps_it(any_redis_store: RedisStore, any_raw: Raw, run: Run[Any]) -> None:
    """REDIS ONLY: the documented promise holds until the results are acknowledged, whatever commits follow."""
    store, raw = any_redis_store, any_raw
    p = store._p
    room, (c,) = run(room_with(store, 1))
    base = f"{p}:{{{room.room_id}}}:s:{c.session_id}"
    ok, _ = run(store.commit(c.session_id, 1, full_commit("end", result=b"R", persist=True)))
    assert ok and ttl(raw, base) == -1
    # what CandidateCases.goodbye commits when the finished candidate's connection closes
    ok, _ = run(store.commit(c.session_id, 2, Commit(state=b"end", owner="", events=[b"d"])))
    assert ok
    assert ttl(raw, base) == -1
    assert ttl(raw, f"{base}:audit") == -1


def test_redis_two_processes_share_a_prefix(any_redis_store: RedisStore, redis_url: str, run: Run[Any]) -> None:
    """REDIS ONLY: a second RedisStore on the same prefix (another process) sees and respects the first's writes."""
    first = any_redis_store

    async def body() -> None:
        second = make_redis_store(redis_url, first._p)
        await second.start()
        try:
            room, (c,) = await room_with(first, 1)
            assert await second.get_room(room.room_id) == room
            assert await second.list_rooms() == [room]
            assert await second.room_for_proctor_token(f"ptok-{room.room_id}") == room.room_id
            assert await second.session_for_token(tok(c)) == c.session_id
            # numbers come from one counter
            a = await first.next_session_numbers(room.room_id, 2)
            b = await second.next_session_numbers(room.room_id, 2)
            assert b.start == a.stop
            # a duplicate employee is refused across processes
            with pytest.raises(Refusal, match="duplicate_employee"):
                await second.add_candidates(room.room_id, [row(cand(room.room_id, b.start, c.employee_id))])
            # and so is a repeated idempotency key
            first_reg = cand(room.room_id, a.start, "I1")
            assert await first.add_candidates(room.room_id, [row(first_reg)], ("k", b"first")) is None
            again = cand(room.room_id, b.start, "I2")
            assert await second.add_candidates(room.room_id, [row(again)], ("k", b"second")) == b"first"
            assert await first.load(again.session_id) is None

            ok, ids = await first.commit(c.session_id, 1, full_commit("a"))
            assert ok
            rec = await second.load(c.session_id)
            assert rec is not None and (rec.version, rec.state, rec.owner) == (2, b"state:a", "conn-a")
            assert await second.reply(c.session_id, 1) == b"reply:a"
            before = await snapshot(second, room.room_id, c.session_id)
            assert await second.commit(c.session_id, 1, full_commit("stale", result=b"X", persist=True)) == (
                False,
                [],
            )
            assert await snapshot(first, room.room_id, c.session_id) == before
            # the second's blocking reader is woken by the first's commit
            reader = asyncio.create_task(second.read_events(room.room_id, ids[-1], 3000))
            await asyncio.sleep(0.1)
            ok, new_ids = await first.commit(c.session_id, 2, Commit(state=b"s3", events=[b"x"]))
            assert ok
            assert await reader == [(new_ids[0], b"x")]
            # and it can commit on the version the first left
            ok, _ = await second.commit(c.session_id, 3, Commit(state=b"s4", owner="conn-b"))
            assert ok
            rec = await first.load(c.session_id)
            assert rec is not None and (rec.version, rec.state, rec.owner) == (4, b"s4", "conn-b")
            # notifications reach the listeners of the other process, which follows the room
            heard: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()

            async def listener(session_id: str, message: bytes) -> None:
                await heard.put((session_id, message))

            second.listen(listener)
            second.follow(room.room_id)
            assert await wait_for_notification(first, heard, c.session_id, b"hi") == (c.session_id, b"hi")
        finally:
            await second.close()

    run(body())


def test_redis_the_chain_stays_whole_when_processes_interleave(
    any_redis_store: RedisStore, redis_url: str, run: Run[Any]
) -> None:
    """REDIS ONLY: each process computes the chain from the head it last saw; when another process (or a repeat
    outside a commit) moved it, the script refuses and the process computes again on the head it is given."""
    first = any_redis_store

    async def body() -> None:
        second = make_redis_store(redis_url, first._p)
        await second.start()
        try:
            _, (c,) = await room_with(first, 1)
            sid = c.session_id
            assert (await first.commit(sid, 1, Commit(state=b"s", audit=[b"f1"])))[0]
            await second.append_audit(sid, b"s-repeat")  # first's remembered head is now stale
            assert (await first.commit(sid, 2, Commit(state=b"s", audit=[b"f2", b"f3"])))[0]
            assert (await second.commit(sid, 3, Commit(state=b"s", audit=[b"s1"], noise=True)))[0]
            writes = [first.append_audit(sid, f"fr{i}".encode()) for i in range(5)]
            writes += [second.append_audit(sid, f"sr{i}".encode()) for i in range(5)]
            await asyncio.gather(*writes)
            chain = await first.audit_chain(sid)
            assert len(chain.rows) == 5 + 10
            assert chain_problem(sid, chain) is None
            assert chain == await second.audit_chain(sid)
        finally:
            await second.close()

    run(body())


def test_redis_audit_written_before_the_chain_is_read_and_continued(
    any_redis_store: RedisStore, any_raw: Raw, run: Run[Any]
) -> None:
    """REDIS ONLY: an audit stream of an earlier version (entries without ``p``, no head in the session hash) is read
    as it is, its entries without a prev; new entries chain from the session's chain start after them."""
    store, raw = any_redis_store, any_raw
    room, (c,) = run(room_with(store, 1))
    sid = c.session_id
    key = f"{store._p}:{{{room.room_id}}}:s:{sid}:audit"
    raw.xadd(key, {"e": b"old-1"})
    raw.xadd(key, {"e": b"old-2"})
    assert run(store.commit(sid, 1, Commit(state=b"s", audit=[b"new-1", b"new-2"])))[0]
    chain = run(store.audit_chain(sid))
    assert [(r.entry, r.prev is None) for r in chain.rows] == [
        (b"old-1", True),
        (b"old-2", True),
        (b"new-1", False),
        (b"new-2", False),
    ]
    assert chain_problem(sid, AuditChain(chain.rows[2:], chain.head)) is None
    assert [e for _, e in run(store.audit(sid))] == [b"old-1", b"old-2", b"new-1", b"new-2"]


def test_redis_notifications_reach_the_processes_that_follow_the_room(
    any_redis_store: RedisStore, redis_url: str, run: Run[Any]
) -> None:
    """REDIS ONLY: a notification reaches the listeners of every store (process) that follows the session's room,
    the notifying one included, and no other; follows are counted, and the last unfollow stops them."""
    first = any_redis_store

    async def body() -> None:
        second = make_redis_store(redis_url, first._p)
        await second.start()
        try:
            (room, (c,)), (other, (d,)) = await room_with(first, 1), await room_with(first, 1)
            to_first: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
            to_second: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()

            async def first_listener(session_id: str, message: bytes) -> None:
                await to_first.put((session_id, message))

            async def second_listener(session_id: str, message: bytes) -> None:
                await to_second.put((session_id, message))

            first.listen(first_listener)
            second.listen(second_listener)
            # nobody follows anything yet
            await first.notify(c.session_id, b"unheard")
            assert await heard_within(to_second) == [] and drain(to_first) == []

            second.follow(room.room_id)
            assert await wait_for_notification(first, to_second, c.session_id, b"one") == (c.session_id, b"one")
            drain(to_second)
            # the room the second does not follow; the first, which notifies, follows nothing
            await first.notify(d.session_id, b"other room")
            await second.notify(c.session_id, b"from the second")
            assert await asyncio.wait_for(to_second.get(), 2.0) == (c.session_id, b"from the second")
            assert await heard_within(to_second) == [] and drain(to_first) == []

            # counted: followed twice, unfollowed once, still heard
            second.follow(room.room_id)
            second.unfollow(room.room_id)
            await asyncio.sleep(0.3)
            await first.notify(c.session_id, b"two")
            assert await asyncio.wait_for(to_second.get(), 2.0) == (c.session_id, b"two")
            # back to zero: no longer heard
            second.unfollow(room.room_id)
            await asyncio.sleep(1.0)  # the subscription changes within a tenth of a second or so
            drain(to_second)
            await first.notify(c.session_id, b"after unfollow")
            assert await heard_within(to_second) == []
            # followed again: heard again; the first hears the room it follows itself
            second.follow(room.room_id)
            assert await wait_for_notification(first, to_second, c.session_id, b"three") == (c.session_id, b"three")
            first.follow(other.room_id)
            assert await wait_for_notification(first, to_first, d.session_id, b"own") == (d.session_id, b"own")
            assert all(sid == c.session_id for sid, _ in drain(to_second))  # never the other room's
        finally:
            await second.close()

    run(body())


def test_redis_unreachable_raises_store_unavailable(run: Run[Any]) -> None:
    """REDIS ONLY: with nothing listening, calls raise StoreUnavailable (not a redis exception); ping is False."""

    async def body() -> None:
        store = make_redis_store(f"redis://127.0.0.1:{free_port()}/0", new_prefix())
        await store.start()
        try:
            assert await store.ping() is False
            room = new_room()
            c = cand(room.room_id, 1)
            calls: list[Callable[[], Awaitable[Any]]] = [
                lambda: store.create_room(room, "p"),
                lambda: store.get_room(room.room_id),
                lambda: store.list_rooms(),
                lambda: store.room_for_proctor_token("p"),
                lambda: store.next_session_numbers(room.room_id, 1),
                lambda: store.add_candidates(room.room_id, [row(c)]),
                lambda: store.session_for_token(tok(c)),
                lambda: store.room_candidates(room.room_id),
                lambda: store.load(c.session_id),
                lambda: store.load_room(room.room_id),
                lambda: store.commit(c.session_id, 1, full_commit("a")),
                lambda: store.reply(c.session_id, 1),
                lambda: store.audit(c.session_id),
                lambda: store.read_events(room.room_id, "0-0", 0),
                lambda: store.read_events(room.room_id, "0-0", 100),
                lambda: store.last_event_id(room.room_id),
                lambda: store.results(room.room_id),
                lambda: store.ack_results(room.room_id, [c.session_id]),
                lambda: store.beat("proc", 1),
                lambda: store.last_beat("proc"),
            ]
            for call in calls:
                with pytest.raises(StoreUnavailable):
                    await call()
            await store.notify(c.session_id, b"x")  # best effort: no exception
        finally:
            await store.close()

    run(body())


def test_redis_a_burst_larger_than_the_pool_waits_instead_of_failing(
    private_redis: RedisServer, runner: asyncio.Runner, run: Run[Any]
) -> None:
    # every candidate of a killed process reconnects to the survivor at once: more commands at the same moment
    # than the pool has connections must queue, not fail with redis-py's "Too many connections"
    store = RedisStore(private_redis.url, prefix=new_prefix(), max_connections=12)
    runner.run(store.start())
    try:

        async def body() -> None:
            room = RoomRecord("RBURST", "Burst", "b", 1)
            await store.create_room(room, "ptok")
            results = await asyncio.gather(*(store.get_room("RBURST") for _ in range(200)))
            assert results == [room] * 200
            pool = store._redis.connection_pool
            assert len(pool._in_use_connections) + len(pool._available_connections) <= 12

        run(body())
    finally:
        runner.run(store.close())


# --- WAIT for replicas -------------------------------------------------------------------------------------------


def test_redis_wait_for_more_replicas_than_there_are(redis_url: str, run: Run[Any]) -> None:
    """REDIS ONLY: with ``wait_replicas`` above what confirms (the single Redis has no replica, each Cluster master
    one), a commit and an audit entry raise StoreUnavailable after ``wait_timeout_ms``, though the write landed: the
    version moved, so a retry of the commit cannot apply it twice; ping says no answer can be acknowledged."""
    wanted = 2 if is_cluster(redis_url) else 1

    async def body() -> None:
        store = make_redis_store(redis_url, new_prefix(), wait_replicas=wanted, wait_timeout_ms=100)
        await store.start()
        try:
            room, (c,) = await room_with(store, 1)  # registration does not wait
            sid = c.session_id
            t0 = time.monotonic()
            with pytest.raises(StoreUnavailable, match="WAIT"):
                await store.commit(sid, 1, full_commit("a"))
            assert 0.09 <= time.monotonic() - t0 < 2.0
            rec = await store.load(sid)
            assert rec is not None and (rec.version, rec.state, rec.owner) == (2, b"state:a", "conn-a")
            assert await store.reply(sid, 1) == b"reply:a"
            assert [e for _, e in await store.read_events(room.room_id, "0-0", 0)] == [b"event:a:1", b"event:a:2"]
            # a retry on the version it was decided on writes nothing (it still cannot be confirmed)
            with pytest.raises(StoreUnavailable, match="WAIT"):
                await store.commit(sid, 1, full_commit("again", events=[b"again"]))
            rec = await store.load(sid)
            assert rec is not None and (rec.version, rec.state) == (2, b"state:a")
            assert len(await store.read_events(room.room_id, "0-0", 0)) == 2
            with pytest.raises(StoreUnavailable, match="WAIT"):
                await store.append_audit(sid, b"resent")
            assert [e for _, e in await store.audit(sid)] == [b"audit:a:1", b"audit:a:2", b"resent"]
            assert await store.ping() is False
            # the same data through a store that does not wait
            plain = make_redis_store(redis_url, store._p)
            try:
                assert await plain.ping() is True
                assert await plain.commit(sid, 2, Commit(state=b"s3")) == (True, [])
            finally:
                await plain.close()
        finally:
            await store.close()

    run(body())


def _readonly_client(node_port: int) -> redis_sync.Redis:
    """A client to one Cluster replica that may read the keys of its master's slots (``READONLY``)."""
    client = redis_sync.Redis(host="127.0.0.1", port=node_port, single_connection_client=True, socket_timeout=2.0)
    client.execute_command("READONLY")  # type: ignore[no-untyped-call]
    return client


def test_redis_cluster_commit_waits_for_a_replica(private_cluster: LocalCluster, run: Run[Any]) -> None:
    """REDIS ONLY: with ``wait_replicas=1`` a commit returns once the replica of its master has it: the reply and
    the audit can be read on the replica right away (one replica per master; ``READONLY`` reads there)."""
    cluster = private_cluster

    async def body() -> None:
        store = make_redis_store(cluster.url, new_prefix(), wait_replicas=1, wait_timeout_ms=2000)
        await store.start()
        try:
            assert await store.ping() is True  # every master has its replica
            room, (c, other) = await room_with(store, 2)
            base = f"{store._p}:{{{room.room_id}}}:s:{c.session_id}"
            master = cluster.master_of_key(base)
            replica = _readonly_client(cluster.replica_of(master).port)
            try:
                for seq in (1, 2, 3):
                    commit = full_commit(f"a{seq}", reply=(seq, f"reply:{seq}".encode()))
                    assert await store.commit(c.session_id, seq, commit) == (True, [ANY_ID, ANY_ID])
                    assert replica.hmget(base, ["version", "reply_seq", "reply"]) == [
                        str(seq + 1).encode(),
                        str(seq).encode(),
                        f"reply:{seq}".encode(),
                    ]
                await store.append_audit(c.session_id, b"resent")
                assert replica.xlen(f"{base}:audit") == 7
                assert await store.commit(other.session_id, 1, full_commit("b")) == (True, [ANY_ID, ANY_ID])
                # a stale commit is refused as ever
                assert await store.commit(c.session_id, 1, full_commit("stale")) == (False, [])
            finally:
                replica.close()
        finally:
            await store.close()

    run(body())


class _AnyId:
    """Equal to any room event id (``"<ms>-<n>"``)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and re.fullmatch(r"\d+-\d+", other) is not None

    def __hash__(self) -> int:
        return 0


ANY_ID: Any = _AnyId()


# --- Cluster: URL, ping, errors ----------------------------------------------------------------------------------


def test_redis_cluster_urls_and_kind(run: Run[Any]) -> None:
    """REDIS ONLY: ``redis+cluster://host:port[,host:port...]`` picks the Cluster client (kind ``redis-cluster``);
    a malformed one is a ValueError; other schemes are no Cluster URL."""
    assert cluster_seeds("redis://127.0.0.1:6380/0") is None
    assert cluster_seeds("rediss://cache.example:6380") is None
    assert cluster_seeds("redis+cluster://127.0.0.1:7000") == [("127.0.0.1", 7000)]
    assert cluster_seeds("redis+cluster://a:7000,b.example:7001/") == [("a", 7000), ("b.example", 7001)]
    assert cluster_seeds("redis+cluster://user:secret@a:7000,b:7001") == [("a", 7000), ("b", 7001)]
    assert cluster_seeds("redis+cluster://[::1]:7000") == [("::1", 7000)]
    bad = ["", "host", "host:", ":7000", "host:0", "host:65536", "host:port", "a:1,,b:2", "a:1/0", "a:1?x=1"]
    for nodes in bad:
        with pytest.raises(ValueError, match="redis\\+cluster://host:port"):
            cluster_seeds(f"redis+cluster://{nodes}")

    async def body() -> None:
        stores = [RedisStore("redis+cluster://127.0.0.1:1,127.0.0.1:2"), RedisStore("redis://127.0.0.1:1/0")]
        try:
            assert [(s.kind, s.cluster) for s in stores] == [("redis-cluster", True), ("redis", False)]
        finally:
            for s in stores:
                await s.close()

    run(body())
    with pytest.raises(ValueError):
        RedisStore("redis+cluster://nohost")


def test_redis_ping_of_a_single_node_url_pointing_at_a_cluster_node(
    private_cluster: LocalCluster, run: Run[Any]
) -> None:
    """REDIS ONLY: a ``redis://`` URL naming one node of a Cluster is refused by ping (most keys would be answered
    ``MOVED``, which store calls report as StoreUnavailable); the Cluster URL of the same nodes pings True."""
    node = private_cluster.masters()[0]
    mine = [r for r in private_cluster.slot_ranges() if r.master == node.port]
    prefix = new_prefix()
    # a room whose slot another master serves
    elsewhere = next(
        room_id
        for room_id in (f"r{i:04d}" for i in range(10_000))
        if not any(r.start <= key_slot(f"{prefix}:{{{room_id}}}:room".encode()) <= r.end for r in mine)
    )

    async def body() -> None:
        single = make_redis_store(f"redis://{node.addr}/0", prefix)
        whole = make_redis_store(private_cluster.url, prefix)
        for s in (single, whole):
            await s.start()
        try:
            assert await single.ping() is False
            assert await single.ping() is False  # every time (it is logged once)
            with pytest.raises(StoreUnavailable, match="MovedError"):
                await single.get_room(elsewhere)
            assert await whole.ping() is True
            assert await whole.get_room(elsewhere) is None
            assert await single.ping() is False
        finally:
            for s in (single, whole):
                await s.close()

    run(body())


@pytest.mark.parametrize(
    ("states", "replicas", "wanted", "writable"),
    [
        (["ok", "ok", "ok"], [1, 1, 1], 0, True),
        (["ok", "fail", "ok"], [1, 1, 1], 0, False),
        (["fail", "fail", "fail"], [1, 1, 1], 0, False),
        (["ok", "ok", "ok"], [1, 1, 1], 1, True),
        (["ok", "ok", "ok"], [1, 0, 1], 1, False),  # a master just failed over to has no replica yet
        (["ok", "ok", "ok"], [1, 1, 1], 2, False),
    ],
)
def test_redis_cluster_ping_needs_every_master(
    states: list[str],
    replicas: list[int],
    wanted: int,
    writable: bool,
    run: Run[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """REDIS ONLY: on a Cluster ping is True only when every master reports ``cluster_state:ok`` (and, with
    ``wait_replicas``, has that many replicas connected) and a write lands; the masters' replies as redis-py gives
    them for a command sent to all primaries (a dict by node)."""

    async def body() -> None:
        store = make_redis_store("redis+cluster://127.0.0.1:1", new_prefix(), wait_replicas=wanted)
        nodes = [f"127.0.0.1:{7000 + i}" for i in range(3)]
        written: list[str] = []

        async def execute_command(*args: Any, **kwargs: Any) -> Any:
            assert kwargs.get("target_nodes") == aioredis.RedisCluster.PRIMARIES
            if args == ("CLUSTER INFO",):
                return {
                    n: {"cluster_state": st, "cluster_slots_ok": "16384"} for n, st in zip(nodes, states, strict=True)
                }
            assert args == ("INFO", "replication"), args
            return {n: {"role": "master", "connected_slaves": k} for n, k in zip(nodes, replicas, strict=True)}

        async def set_(key: str, value: bytes, px: int) -> bool:
            written.append(key)
            return True

        monkeypatch.setattr(store._redis, "execute_command", execute_command)
        monkeypatch.setattr(store._redis, "set", set_)
        try:
            assert await store.ping() is writable
            assert written == ([f"{store._p}:health"] if writable else [])
        finally:
            await store.close()

    run(body())


_UNAVAILABLE = [
    ClusterDownError("CLUSTERDOWN The cluster is down"),
    MasterDownError("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."),
    TryAgainError("TRYAGAIN Multiple keys request during rehashing of slot"),
    MovedError("3999 127.0.0.1:7002"),
    AskError("3999 127.0.0.1:7002"),
    SlotNotCoveredError("Slot 3999 is not covered by the cluster."),
    RedisClusterUnreachableError("None of the startup nodes is reachable"),
    ReadOnlyError("READONLY You can't write against a read only replica."),
    OutOfMemoryError("OOM command not allowed when used memory > 'maxmemory'."),
    RedisConnectionError("Error 111 connecting to 127.0.0.1:7002. Connection refused."),
    RedisTimeoutError("Timeout reading from 127.0.0.1:7002"),
]


@pytest.mark.parametrize("error", _UNAVAILABLE, ids=lambda e: type(e).__name__)
def test_redis_cluster_errors_are_store_unavailable(
    error: Exception, run: Run[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """REDIS ONLY: what a Cluster answers while it cannot take a command (failing over, resharding, a replica
    promoted or demoted, memory full, a node gone) reaches the caller as StoreUnavailable, the cause kept."""
    assert isinstance(error, UNAVAILABLE_ERRORS)

    async def body() -> None:
        store = make_redis_store("redis+cluster://127.0.0.1:1", new_prefix())  # never connects: commands replaced

        async def failing(*args: Any, **kwargs: Any) -> Any:
            raise error

        for command in ("hmget", "set", "xadd", "spublish"):
            monkeypatch.setattr(store._redis, command, failing)
        try:
            with pytest.raises(StoreUnavailable) as info:
                await store.load("rabc-1")
            assert info.value.__cause__ is error and type(error).__name__ in str(info.value)
            with pytest.raises(StoreUnavailable):
                await store.beat("proc", 1)
            await store.notify("rabc-1", b"x")  # best effort: no exception
            assert await store.ping() is False
        finally:
            await store.close()

    run(body())


@pytest.mark.parametrize(
    "error",
    [ResponseError("ERR wrong number of arguments"), ClusterCrossSlotError("CROSSSLOT Keys in request")],
    ids=lambda e: type(e).__name__,
)
def test_redis_cluster_faults_of_the_command_are_not_unavailable(
    error: Exception, run: Run[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """REDIS ONLY: an error of the command itself (a bug, which a retry would not cure) is not StoreUnavailable."""
    assert not isinstance(error, UNAVAILABLE_ERRORS)

    async def body() -> None:
        store = make_redis_store("redis+cluster://127.0.0.1:1", new_prefix())

        async def failing(*args: Any, **kwargs: Any) -> Any:
            raise error

        monkeypatch.setattr(store._redis, "hmget", failing)
        try:
            with pytest.raises(type(error)):
                await store.load("rabc-1")
        finally:
            await store.close()

    run(body())


# --- Cluster: failover -------------------------------------------------------------------------------------------


def test_redis_cluster_failover_keeps_every_acknowledged_answer(tmp_path: Path, runner: asyncio.Runner) -> None:
    """REDIS ONLY, on a Cluster of its own: answers are committed with ``wait_replicas=1`` (acknowledged once the
    replica has them); the master of the room's slot is killed, its replica takes over, and the old master comes
    back as the new master's replica.

    Answers 1-3 are acknowledged before the kill. Answer 4 is tried again and again from the kill until the old
    master is back: every store call then either succeeds or raises StoreUnavailable (never anything else), and
    nothing is acknowledged (first the master is gone, then the new one has no replica to confirm: its commit
    lands there unacknowledged, and ping is False all along). Once the old master is back, answer 4 is
    acknowledged by resending its stored reply, as the session layer does, and 5-7 follow. Then every
    acknowledged answer is in the audit exactly once, the version counts exactly the acknowledged answers, and
    ping is True.
    """
    cluster = LocalCluster(tmp_path / "cluster", node_timeout_ms=1000)
    cluster.start()
    try:
        store = make_redis_store(cluster.url, new_prefix(), wait_replicas=1, wait_timeout_ms=200)
        runner.run(store.start())
        try:
            runner.run(asyncio.wait_for(_failover_body(cluster, store), FAILOVER_TIMEOUT_S))
        finally:
            runner.run(store.close())
    finally:
        cluster.stop()


async def _failover_body(cluster: LocalCluster, store: RedisStore) -> None:
    LAST = 7  # answers 1-3 before the kill, 4 across the failover, 5-7 after
    room, (c,) = await room_with(store, 1)
    sid = c.session_id
    acked: list[int] = []
    unavailable: list[str] = []
    deadline = time.monotonic() + 40.0

    def state(seq: int) -> bytes:
        return f"after-answer-{seq}".encode()

    async def attempt(seq: int) -> bool:
        """One attempt at answer ``seq``; True when it is acknowledged."""
        rec = await store.load(sid)
        assert rec is not None
        if rec.state == state(seq):  # an earlier attempt landed: resend its stored reply (WAIT makes it durable)
            assert await store.reply(sid, seq) == f"reply-{seq}".encode()
            await store.append_audit(sid, f"resent:{seq}".encode())
            return True
        assert rec.state == (state(seq - 1) if seq > 1 else row(c)[1]), (seq, rec.state)  # none lost, none ahead
        commit = Commit(state=state(seq), reply=(seq, f"reply-{seq}".encode()), audit=[f"answer:{seq}".encode()])
        ok, _ = await store.commit(sid, rec.version, commit)
        return ok

    async def answer(seq: int) -> None:
        """Retry answer ``seq`` until it is acknowledged (bounded by the deadline)."""
        while True:
            try:
                if await attempt(seq):
                    acked.append(seq)
                    return
            except StoreUnavailable as exc:
                unavailable.append(str(exc))
            assert time.monotonic() < deadline, f"answer {seq} not acknowledged in time; last: {unavailable[-1:]}"
            await asyncio.sleep(0.02)

    for seq in range(1, 4):
        await answer(seq)
    assert unavailable == []

    dead = cluster.master_of_key(f"{store._p}:{{{room.room_id}}}:room")
    pings: list[bool] = []
    done = asyncio.Event()

    async def poll_ping() -> None:
        while not done.is_set():
            pings.append(await store.ping())
            await asyncio.sleep(0.05)

    async def not_acknowledged(seq: int) -> str:
        """One attempt at answer ``seq`` while no replica can confirm it: StoreUnavailable (its message), always."""
        try:
            got = await attempt(seq)
        except StoreUnavailable as exc:
            unavailable.append(str(exc))
            return str(exc)
        raise AssertionError(f"answer {seq}: {got} although no replica could confirm it")

    cluster.kill(dead)
    poller = asyncio.create_task(poll_ping())
    try:
        # while the replica takes over, and after: its new master has no replica (the old one is down)
        failover = asyncio.create_task(asyncio.to_thread(cluster.wait_failover, dead, 30.0))
        while not failover.done():
            await not_acknowledged(4)
            await asyncio.sleep(0.02)
        await failover
        while "WAIT" not in await not_acknowledged(4):  # until the commit reaches the new master
            assert time.monotonic() < deadline, unavailable[-1:]
            await asyncio.sleep(0.02)
        rec = await store.load(sid)
        assert rec is not None and rec.state == state(4)  # it landed there, unacknowledged
        while not pings:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert not any(pings), pings  # not writable (acknowledged) from the kill until a replica is back
        await asyncio.to_thread(cluster.restart, dead, 30.0)  # back as the replica of the new master
        # answer 4 is acknowledged now by resending its stored reply, which the replica confirms; more answers
        for seq in range(4, LAST + 1):
            await answer(seq)
    finally:
        done.set()
        await poller
    ping_deadline = time.monotonic() + 5.0
    while not await store.ping():
        assert time.monotonic() < ping_deadline, "ping is not True after the old master rejoined"
        await asyncio.sleep(0.05)

    assert acked == list(range(1, LAST + 1))
    entries = [e for _, e in await store.audit(sid)]
    answers = [int(e.split(b":")[1]) for e in entries if e.startswith(b"answer:")]
    assert answers == acked  # each acknowledged answer once, none lost, none twice
    assert b"resent:4" in entries
    rec = await store.load(sid)
    assert rec is not None and rec.version == len(acked) + 1 and rec.state == state(LAST)
    assert await store.reply(sid, LAST) == f"reply-{LAST}".encode()
