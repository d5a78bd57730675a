"""Contract tests of the session store (``cat_engine/server/store.py``), run against both twins.

Every test of the first part runs once on :class:`~cat_engine.server.memory_store.MemoryStore` and once on
:class:`~cat_engine.server.redis_store.RedisStore` (fixture ``store``). The Redis twin talks to a private
``redis-server`` started once per test session (fixture ``private_redis`` in conftest.py, never the shared Redis on
6379), under a key prefix of its own per test.

The second part (``test_redis_*``, marked "REDIS ONLY") checks what only the Redis twin promises: the key layout
and its hash tags, expiry, several processes on one prefix, and :class:`StoreUnavailable` when Redis is down.

pytest-asyncio is not used: each test is a sync function whose async body runs under the fixture's
:class:`asyncio.Runner` (one event loop per test, the one the store was started in), bounded by a timeout.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar
from uuid import uuid4

import pytest
import redis as redis_sync
import redis.asyncio as aioredis
from redis.crc import key_slot

from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.redis_store import PackingConnection, RedisStore
from cat_engine.server.store import (
    CandidateRecord,
    Commit,
    RoomRecord,
    SessionRecord,
    Store,
    StoreUnavailable,
    committed,
    room_of,
)
from cat_engine.server.wire_errors import Refusal
from load_tests.procs import RedisServer, free_port

T = TypeVar("T")
Run = Callable[[Awaitable[T]], T]

BODY_TIMEOUT_S = 8.0
LIVE_TTL_S = 1000  # the Redis twin's live expiry in these tests
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


def make_redis_store(url: str, prefix: str) -> RedisStore:
    return RedisStore(url, prefix=prefix, live_ttl_s=LIVE_TTL_S, acked_ttl_s=ACKED_TTL_S)


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest, runner: asyncio.Runner) -> Iterator[Store]:
    """A started store of each twin (Redis: the private server, a fresh key prefix)."""
    if request.param == "memory":
        s: Store = MemoryStore()
    else:
        private_redis: RedisServer = request.getfixturevalue("private_redis")
        s = make_redis_store(private_redis.url, new_prefix())
    runner.run(s.start())
    try:
        yield s
    finally:
        runner.run(s.close())


@pytest.fixture
def redis_store(private_redis: RedisServer, runner: asyncio.Runner) -> Iterator[RedisStore]:
    """REDIS ONLY: a started RedisStore on the private server with a fresh key prefix."""
    s = make_redis_store(private_redis.url, new_prefix())
    runner.run(s.start())
    try:
        yield s
    finally:
        runner.run(s.close())


@pytest.fixture
def raw(private_redis: RedisServer) -> Iterator[redis_sync.Redis]:
    """REDIS ONLY: a plain sync client to look at the keys the store wrote."""
    client = redis_sync.Redis.from_url(private_redis.url)
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
    return CandidateRecord(f"{room_id}-{n}", employee_id or f"E{n:03d}", f"Candidate {n}", f"tok-{room_id}-{n}")


def row(c: CandidateRecord) -> tuple[CandidateRecord, bytes]:
    return c, f"state0:{c.session_id}".encode()


async def room_with(store: Store, n: int = 2) -> tuple[RoomRecord, list[CandidateRecord]]:
    """A stored room with ``n`` registered candidates (session numbers from the store)."""
    room = new_room()
    await store.create_room(room, f"ptok-{room.room_id}")
    numbers = await store.next_session_numbers(room.room_id, n)
    cands = [cand(room.room_id, i) for i in numbers]
    await store.add_candidates(room.room_id, [row(c) for c in cands])
    return room, cands


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


# === contract: both twins ========================================================================================


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
            assert await store.session_for_token(c.token) == c.session_id
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
            assert await store.session_for_token(c.token) is None
        assert await store.load_room(room.room_id) == before
        assert await store.room_candidates(room.room_id) == existing
        # the employee ids that were not the clash are still free
        if clash == "within_batch":
            await store.add_candidates(room.room_id, [row(batch[0])])
        else:
            await store.add_candidates(room.room_id, [row(batch[0]), row(batch[2])])
        assert await store.session_for_token(batch[0].token) == batch[0].session_id

    run(body())


def test_same_employee_in_two_rooms(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        _, first = await room_with(store, 1)
        room2 = new_room()
        await store.create_room(room2, "p-other")
        c = cand(room2.room_id, 1, first[0].employee_id)
        await store.add_candidates(room2.room_id, [row(c)])
        assert await store.session_for_token(c.token) == c.session_id

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


def test_notify_listen(store: Store, run: Run[Any]) -> None:
    async def body() -> None:
        heard: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        also: list[tuple[str, bytes]] = []

        async def listener(session_id: str, message: bytes) -> None:
            await heard.put((session_id, message))

        async def second(session_id: str, message: bytes) -> None:
            also.append((session_id, message))

        store.listen(listener)
        store.listen(second)
        message = b'{"kind":"paused"}\nwith a newline'
        assert await wait_for_notification(store, heard, "rabc-7", message) == ("rabc-7", message)
        while not heard.empty():  # drop the duplicates of the retries
            heard.get_nowait()
        await store.notify("rabc-8", b"")
        assert await asyncio.wait_for(heard.get(), 2.0) == ("rabc-8", b"")
        assert ("rabc-7", message) in also and also[-1] == ("rabc-8", b"")

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
    """A room whose sessions used every part of a commit (reply, audit, events, result), plus a heartbeat."""
    room, cands = await room_with(store, 2)
    for c in cands:
        ok, _ = await store.commit(c.session_id, 1, full_commit("a"))
        assert ok
    ok, _ = await store.commit(cands[0].session_id, 2, full_commit("end", result=b"R", persist=True))
    assert ok
    await store.beat("proc-1", 1)
    return room, cands


def test_redis_keys_carry_the_room_hash_tag(redis_store: RedisStore, raw: redis_sync.Redis, run: Run[Any]) -> None:
    """REDIS ONLY: every key of a room carries ``{room_id}``; the rest are the documented global keys."""

    async def body() -> list[tuple[RoomRecord, list[CandidateRecord]]]:
        return [await busy_room(redis_store), await busy_room(redis_store)]

    rooms = run(body())
    p = redis_store._p
    keys = sorted(k.decode() for k in raw.scan_iter(match=f"{p}:*", count=1000))
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
        for c in cands:
            base = f"{p}:{{{r}}}:s:{c.session_id}"
            expected |= {base, f"{base}:audit"}  # the reply is a field of the session hash
        expected.add(f"{p}:{{{r}}}:s:{cands[0].session_id}:result")
        assert set(by_room[r]) == expected
        assert len({key_slot(k.encode()) for k in by_room[r]}) == 1  # one Cluster slot per room
    assert sum(g.startswith("token:") for g in globals_) == 4
    assert sum(g.startswith("ptoken:") for g in globals_) == 2
    assert "rooms" in globals_ and "proc:proc-1" in globals_
    # tokens are stored hashed, never in clear
    assert not any("tok-" in g for g in globals_)


def ttl(raw: redis_sync.Redis, key: str) -> int:
    return int(raw.ttl(key))


def test_redis_ttls_live_persist_ack(redis_store: RedisStore, raw: redis_sync.Redis, run: Run[Any]) -> None:
    """REDIS ONLY: live keys expire; a finished session's hash, audit and result keep until acknowledged."""
    p = redis_store._p
    room, (c, other) = run(room_with(redis_store, 2))
    base = f"{p}:{{{room.room_id}}}:s:{c.session_id}"
    events = f"{p}:{{{room.room_id}}}:events"

    def live(key: str) -> bool:
        return 0 < ttl(raw, key) <= LIVE_TTL_S

    assert live(base)
    token_keys = [k.decode() for k in raw.scan_iter(match=f"{p}:token:*")]
    assert len(token_keys) == 2 and all(live(k) for k in token_keys)

    ok, _ = run(redis_store.commit(c.session_id, 1, full_commit("a")))
    assert ok
    for key in (base, f"{base}:replies", f"{base}:audit", events):
        assert live(key), (key, ttl(raw, key))

    ok, _ = run(redis_store.commit(c.session_id, 2, full_commit("end", result=b"R", persist=True)))
    assert ok
    for key in (base, f"{base}:audit", f"{base}:result"):
        assert ttl(raw, key) == -1, key
    assert live(f"{base}:replies") and live(events)

    # a stale commit asking to persist another session changes no expiry
    other_base = f"{p}:{{{room.room_id}}}:s:{other.session_id}"
    assert run(redis_store.commit(other.session_id, 7, full_commit("x", result=b"X", persist=True))) == (False, [])
    assert live(other_base) and raw.exists(f"{other_base}:result") == 0

    assert run(redis_store.ack_results(room.room_id, [c.session_id, other.session_id])) == 1
    for key in (base, f"{base}:audit", f"{base}:result", f"{base}:replies"):
        assert LIVE_TTL_S < ttl(raw, key) <= ACKED_TTL_S, (key, ttl(raw, key))
    assert live(other_base)


def test_redis_room_keys_live_while_results_are_unacknowledged(
    redis_store: RedisStore, raw: redis_sync.Redis, run: Run[Any]
) -> None:
    """REDIS ONLY: a room's own keys expire with the room's last change, stay while any of its results is
    unacknowledged (results are listed through them), and expire after the last acknowledgement."""
    p = redis_store._p
    room, (c1, c2) = run(room_with(redis_store, 2))
    room_keys = [f"{p}:{{{room.room_id}}}:{part}" for part in ("room", "sessions", "employees")]
    unacked = f"{p}:{{{room.room_id}}}:unacked"

    def all_live() -> bool:
        return all(0 < ttl(raw, k) <= LIVE_TTL_S for k in room_keys)

    assert all_live(), [ttl(raw, k) for k in room_keys]
    assert run(redis_store.commit(c1.session_id, 1, full_commit("a")))[0] and all_live()
    for c in (c1, c2):  # both sessions end; their results wait for the HR system
        version = 2 if c is c1 else 1
        assert run(redis_store.commit(c.session_id, version, full_commit("end", result=b"R", persist=True)))[0]
        assert all(ttl(raw, k) == -1 for k in [*room_keys, unacked])
    assert run(redis_store.commit(c1.session_id, 3, Commit(state=b"end", owner="", events=[b"d"])))[0]
    assert all(ttl(raw, k) == -1 for k in room_keys)  # a later live change does not bring the expiry back

    assert run(redis_store.ack_results(room.room_id, [c1.session_id])) == 1
    assert all(ttl(raw, k) == -1 for k in room_keys)  # c2's result is still unacknowledged
    assert sorted(run(redis_store.results(room.room_id))) == sorted([c1.session_id, c2.session_id])
    assert run(redis_store.ack_results(room.room_id, [c2.session_id])) == 1
    assert all(LIVE_TTL_S < ttl(raw, k) <= ACKED_TTL_S for k in room_keys), [ttl(raw, k) for k in room_keys]
    assert raw.exists(unacked) == 0


def test_redis_session_numbers_continue_a_counter_of_the_first_release(
    redis_store: RedisStore, raw: redis_sync.Redis, run: Run[Any]
) -> None:
    """REDIS ONLY: rooms created by the first release kept their counter in ``P:{R}:next``: numbering continues
    from it (never reusing a session id) and the old key goes."""
    p = redis_store._p
    room = new_room()
    run(redis_store.create_room(room, "ptok-old"))
    raw.set(f"{p}:{{{room.room_id}}}:next", 41)
    assert list(run(redis_store.next_session_numbers(room.room_id, 2))) == [42, 43]
    assert raw.exists(f"{p}:{{{room.room_id}}}:next") == 0
    assert list(run(redis_store.next_session_numbers(room.room_id, 1))) == [44]
    assert 0 < ttl(raw, f"{p}:{{{room.room_id}}}:room") <= LIVE_TTL_S


def test_redis_expired_rooms_leave_the_room_list(redis_store: RedisStore, raw: redis_sync.Redis, run: Run[Any]) -> None:
    p = redis_store._p
    kept, gone = new_room("kept"), new_room("gone")
    run(redis_store.create_room(kept, "ptok-kept"))
    run(redis_store.create_room(gone, "ptok-gone"))
    raw.delete(f"{p}:{{{gone.room_id}}}:room")  # as its expiry would
    assert [r.room_id for r in run(redis_store.list_rooms())] == [kept.room_id]
    assert raw.sismember(f"{p}:rooms", gone.room_id) == 0


def test_redis_commit_after_persist_keeps_it(redis_store: RedisStore, raw: redis_sync.Redis, run: Run[Any]) -> None:
    """REDIS ONLY: the documented promise holds until the results are acknowledged, whatever commits follow."""
    p = redis_store._p
    room, (c,) = run(room_with(redis_store, 1))
    base = f"{p}:{{{room.room_id}}}:s:{c.session_id}"
    ok, _ = run(redis_store.commit(c.session_id, 1, full_commit("end", result=b"R", persist=True)))
    assert ok and ttl(raw, base) == -1
    # what CandidateCases.goodbye commits when the finished candidate's connection closes
    ok, _ = run(redis_store.commit(c.session_id, 2, Commit(state=b"end", owner="", events=[b"d"])))
    assert ok
    assert ttl(raw, base) == -1
    assert ttl(raw, f"{base}:audit") == -1


def test_redis_two_processes_share_a_prefix(redis_store: RedisStore, private_redis: RedisServer, run: Run[Any]) -> None:
    """REDIS ONLY: a second RedisStore on the same prefix (another process) sees and respects the first's writes."""
    first = redis_store

    async def body() -> None:
        second = make_redis_store(private_redis.url, first._p)
        await second.start()
        try:
            room, (c,) = await room_with(first, 1)
            assert await second.get_room(room.room_id) == room
            assert await second.list_rooms() == [room]
            assert await second.room_for_proctor_token(f"ptok-{room.room_id}") == room.room_id
            assert await second.session_for_token(c.token) == c.session_id
            # numbers come from one counter
            a = await first.next_session_numbers(room.room_id, 2)
            b = await second.next_session_numbers(room.room_id, 2)
            assert b.start == a.stop
            # a duplicate employee is refused across processes
            with pytest.raises(Refusal, match="duplicate_employee"):
                await second.add_candidates(room.room_id, [row(cand(room.room_id, b.start, c.employee_id))])

            ok, ids = await first.commit(c.session_id, 1, full_commit("a"))
            assert ok
            rec = await second.load(c.session_id)
            assert rec is not None and (rec.version, rec.state, rec.owner) == (2, b"state:a", "conn-a")
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
            # notifications reach the other process's listeners
            heard: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()

            async def listener(session_id: str, message: bytes) -> None:
                await heard.put((session_id, message))

            second.listen(listener)
            assert await wait_for_notification(first, heard, c.session_id, b"hi") == (c.session_id, b"hi")
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
                lambda: store.session_for_token(c.token),
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
