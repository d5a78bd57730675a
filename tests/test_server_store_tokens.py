"""Tokens at rest in both stores: kept only as digests, and replaced so that the old token leads nowhere."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
import redis as redis_sync

from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.redis_store import RedisStore
from cat_engine.server.store import CandidateRecord, Commit, RoomRecord, Store, token_digest
from load_tests.cluster import LocalCluster
from load_tests.procs import RedisServer


@pytest.fixture(params=["memory", "redis", "cluster"])
def store(request: pytest.FixtureRequest) -> Iterator[tuple[Store, asyncio.Runner]]:
    with asyncio.Runner() as runner:
        if request.param == "memory":
            s: Store = MemoryStore()
        else:
            server: RedisServer | LocalCluster = request.getfixturevalue(
                "private_redis" if request.param == "redis" else "private_cluster"
            )
            s = RedisStore(server.url, prefix=f"t{uuid4().hex[:8]}")
        runner.run(s.start())
        try:
            yield s, runner
        finally:
            runner.run(s.close())


async def _room(store: Store, n: int = 2) -> tuple[str, list[CandidateRecord]]:
    room = RoomRecord(f"r{uuid4().hex[:10]}", "Room", "battery-1", 1)
    await store.create_room(room, f"ptok-{room.room_id}")
    cands = [CandidateRecord(f"{room.room_id}-{i}", f"E{i}", "Name", token_digest(f"tok-{i}")) for i in range(n)]
    await store.add_candidates(room.room_id, [(c, b"s") for c in cands])
    return room.room_id, cands


def test_a_replaced_candidate_token_leads_nowhere(store: tuple[Store, asyncio.Runner]) -> None:
    s, runner = store
    _, (c0, c1) = runner.run(_room(s))
    assert runner.run(s.session_for_token("tok-0")) == c0.session_id
    after = runner.run(s.replace_candidate_token(c0.session_id, token_digest("new-0")))
    assert after is not None and after.token_digest == token_digest("new-0")
    assert after.session_id == c0.session_id and after.employee_id == c0.employee_id
    assert runner.run(s.session_for_token("tok-0")) is None
    assert runner.run(s.session_for_token("new-0")) == c0.session_id
    loaded = runner.run(s.load(c0.session_id))
    assert loaded is not None and loaded.candidate.token_digest == token_digest("new-0")
    assert runner.run(s.session_for_token("tok-1")) == c1.session_id  # the others keep theirs
    # replaced again: the second token dies as the first did
    runner.run(s.replace_candidate_token(c0.session_id, token_digest("newer-0")))
    assert runner.run(s.session_for_token("new-0")) is None
    assert runner.run(s.session_for_token("newer-0")) == c0.session_id


def test_replacing_the_token_of_no_session_leaves_nothing(store: tuple[Store, asyncio.Runner]) -> None:
    s, runner = store
    room_id, _ = runner.run(_room(s))
    assert runner.run(s.replace_candidate_token(f"{room_id}-77", token_digest("ghost"))) is None
    assert runner.run(s.session_for_token("ghost")) is None


def test_a_replaced_proctor_token_leads_nowhere(store: tuple[Store, asyncio.Runner]) -> None:
    s, runner = store
    room_id, _ = runner.run(_room(s))
    assert runner.run(s.room_for_proctor_token(f"ptok-{room_id}")) == room_id
    assert runner.run(s.replace_proctor_token(room_id, "pnew"))
    assert runner.run(s.room_for_proctor_token(f"ptok-{room_id}")) is None
    assert runner.run(s.room_for_proctor_token("pnew")) == room_id
    assert not runner.run(s.replace_proctor_token("rnosuchroom", "pghost"))
    assert runner.run(s.room_for_proctor_token("pghost")) is None


def _every_byte(client: Any, key: bytes) -> bytes:
    """The key's name and everything stored under it, as one blob."""
    kind = client.type(key)
    parts: list[bytes] = [key]
    if kind == b"string":
        parts.append(client.get(key) or b"")
    elif kind == b"hash":
        for f, v in client.hgetall(key).items():
            parts += [f, v]
    elif kind == b"list":
        parts += client.lrange(key, 0, -1)
    elif kind == b"set":
        parts += list(client.smembers(key))
    elif kind == b"stream":
        for _, fields in client.xrange(key):
            for f, v in fields.items():
                parts += [f, v]
    else:
        raise AssertionError(f"unexpected key type {kind!r} of {key!r}")
    return b"\n".join(parts)


def test_no_token_in_plain_text_in_redis(private_redis: RedisServer) -> None:
    """REDIS ONLY: every key and value a room, its sessions, a commit and both kinds of token replacement write."""
    prefix = f"t{uuid4().hex[:8]}"
    s = RedisStore(private_redis.url, prefix=prefix)
    tokens = ["PLAINPROCTOR1", "PLAINPROCTOR2", "PLAINCAND0", "PLAINCAND1", "PLAINCANDNEW"]

    async def scenario() -> str:
        await s.start()
        try:
            room = RoomRecord(f"r{uuid4().hex[:10]}", "Room", "battery-1", 1)
            await s.create_room(room, tokens[0])
            cands = [CandidateRecord(f"{room.room_id}-{i}", f"E{i}", "N", token_digest(tokens[2 + i])) for i in (0, 1)]
            await s.add_candidates(room.room_id, [(c, b"s") for c in cands], ("idem-key", b'{"reply":1}'))
            ok, _ = await s.commit(cands[0].session_id, 1, Commit(state=b"s2", audit=[b"a"], events=[b"e"]))
            assert ok
            await s.replace_candidate_token(cands[1].session_id, token_digest(tokens[4]))
            assert await s.replace_proctor_token(room.room_id, tokens[1])
            return room.room_id
        finally:
            await s.close()

    asyncio.run(scenario())
    client = redis_sync.Redis.from_url(private_redis.url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        assert len(keys) >= 8
        blob = b"\n".join(_every_byte(client, k) for k in keys)
    finally:
        client.close()
    for token in tokens:
        assert token.encode() not in blob
    assert token_digest(tokens[4]).encode() in blob  # (the check sees what is stored: the digests are there)
