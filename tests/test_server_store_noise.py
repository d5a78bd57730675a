"""The noise budget and the audit cap of both stores (memory, one Redis, a Redis Cluster): what repeats and
reconnects may store, what they may not, that nothing that advances a test is ever held back, and that the audit's
hash chain stays whole through all of it.

Each store runs on a fake clock (the noise budget counts minutes by the store's clock), with a small budget.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import orjson
import pytest

from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.redis_store import RedisStore
from cat_engine.server.store import (
    NOISE_LIFETIME_MINUTES,
    NOISE_SUMMARIES,
    AuditChain,
    CandidateRecord,
    Commit,
    NoiseBudget,
    RoomRecord,
    Store,
    suppressed_entry,
    token_digest,
)
from cat_engine.signing import chain_of, chain_start
from load_tests.cluster import LocalCluster
from load_tests.procs import RedisServer

PER_MINUTE = 10
START_S = 1_800_000_000.0  # a whole minute (the clock starts at a minute's first second)


class FakeClock:
    def __init__(self) -> None:
        self.now = START_S

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "redis", "cluster"])
def store(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[tuple[Store, asyncio.Runner]]:
    with asyncio.Runner() as runner:
        if request.param == "memory":
            s: Store = MemoryStore(noise_per_minute=PER_MINUTE, clock=clock)
        else:
            server: RedisServer | LocalCluster = request.getfixturevalue(
                "private_redis" if request.param == "redis" else "private_cluster"
            )
            s = RedisStore(server.url, prefix=f"t{uuid4().hex[:8]}", noise_per_minute=PER_MINUTE, clock=clock)
        runner.run(s.start())
        try:
            yield s, runner
        finally:
            runner.run(s.close())


async def _session(store: Store) -> str:
    room = RoomRecord(f"r{uuid4().hex[:10]}", "Room", "battery-1", 1)
    await store.create_room(room, f"ptok-{room.room_id}")
    sid = f"{room.room_id}-1"
    await store.add_candidates(room.room_id, [(CandidateRecord(sid, "E1", "Name", token_digest(f"t-{sid}")), b"s0")])
    return sid


def _kinds(entries: list[tuple[str, bytes]]) -> list[str]:
    return [orjson.loads(e).get("kind", e.decode()) if e.startswith(b"{") else e.decode() for _, e in entries]


async def _noisy_commits(store: Store, sid: str, version: int, n: int, tag: str) -> int:
    """``n`` reconnect-like commits (one audit entry, one event each, marked noise); the next version."""
    for i in range(n):
        commit = Commit(state=b"s", audit=[f"{tag}-a{i}".encode()], events=[f"{tag}-e{i}".encode()], noise=True)
        ok, _ = await store.commit(sid, version, commit)
        assert ok
        version += 1
    return version


def _events_of(store: Store, runner: asyncio.Runner, sid: str) -> list[bytes]:
    return [e for _, e in runner.run(store.read_events(sid.rsplit("-", 1)[0], "0-0", 0))]


def test_noisy_commits_store_their_state_but_only_a_minute_budget_of_audit_and_events(
    store: tuple[Store, asyncio.Runner],
) -> None:
    s, runner = store
    sid = runner.run(_session(s))
    version = runner.run(_noisy_commits(s, sid, 1, 3 * PER_MINUTE, "x"))
    record = runner.run(s.load(sid))
    assert record is not None and record.version == version == 3 * PER_MINUTE + 1  # every state change landed
    audit = runner.run(s.audit(sid))
    kinds = _kinds(audit)
    # the first PER_MINUTE, then one summary at the first held back; nothing after
    assert kinds == [f"x-a{i}" for i in range(PER_MINUTE)] + ["suppressed"]
    assert audit[-1][1] == suppressed_entry(int(START_S * 1000), PER_MINUTE)
    assert _events_of(s, runner, sid) == [f"x-e{i}".encode() for i in range(PER_MINUTE)]
    held = 2 * PER_MINUTE
    assert record.suppressed == (held, held)
    assert s.suppressed["audit"] == held and s.suppressed["events"] == held


def test_what_advances_the_test_is_never_held_back(store: tuple[Store, asyncio.Runner]) -> None:
    s, runner = store
    sid = runner.run(_session(s))
    version = runner.run(_noisy_commits(s, sid, 1, 2 * PER_MINUTE, "x"))
    answers = Commit(state=b"s2", audit=[b"answer", b"presented"], events=[b"answered", b"presented"])
    ok, ids = runner.run(s.commit(sid, version, answers))
    assert ok and len(ids) == 2
    assert _kinds(runner.run(s.audit(sid)))[-2:] == ["answer", "presented"]
    assert _events_of(s, runner, sid)[-2:] == [b"answered", b"presented"]


def test_repeats_outside_a_commit_share_the_budget(store: tuple[Store, asyncio.Runner]) -> None:
    s, runner = store
    sid = runner.run(_session(s))
    version = runner.run(_noisy_commits(s, sid, 1, PER_MINUTE - 3, "x"))
    assert version == PER_MINUTE - 2
    for i in range(10):
        runner.run(s.append_audit(sid, f"resent-{i}".encode()))
    kinds = _kinds(runner.run(s.audit(sid)))
    assert kinds == [f"x-a{i}" for i in range(PER_MINUTE - 3)] + ["resent-0", "resent-1", "resent-2", "suppressed"]
    assert s.suppressed["audit"] == 7
    record = runner.run(s.load(sid))
    assert record is not None and record.suppressed == (7, 0)


def test_the_budget_comes_back_each_minute_up_to_a_lifetime_cap(
    store: tuple[Store, asyncio.Runner], clock: FakeClock
) -> None:
    s, runner = store
    sid = runner.run(_session(s))
    version = 1
    minutes = NOISE_LIFETIME_MINUTES + 3
    for minute in range(minutes):
        clock.now = START_S + 60 * minute
        version = runner.run(_noisy_commits(s, sid, version, PER_MINUTE, f"m{minute}"))
    kinds = _kinds(runner.run(s.audit(sid)))
    stored = [k for k in kinds if k != "suppressed"]
    assert len(stored) == PER_MINUTE * NOISE_LIFETIME_MINUTES  # the lifetime cap, reached at its last minute
    assert stored[-1] == f"m{NOISE_LIFETIME_MINUTES - 1}-a{PER_MINUTE - 1}"
    assert kinds.count("suppressed") == 3  # one per minute with something held back
    record = runner.run(s.load(sid))  # (the events themselves are trimmed by age meanwhile)
    assert record is not None and record.suppressed == (3 * PER_MINUTE, 3 * PER_MINUTE)


def test_summary_entries_are_bounded_too(store: tuple[Store, asyncio.Runner], clock: FakeClock) -> None:
    s, runner = store
    sid = runner.run(_session(s))
    for minute in range(NOISE_SUMMARIES + 5):
        clock.now = START_S + 60 * minute
        for i in range(PER_MINUTE + 1):
            runner.run(s.append_audit(sid, f"m{minute}-{i}".encode()))
    kinds = _kinds(runner.run(s.audit(sid)))
    assert kinds.count("suppressed") == NOISE_SUMMARIES
    assert len(kinds) == PER_MINUTE * NOISE_LIFETIME_MINUTES + NOISE_SUMMARIES


def test_a_repeat_for_a_session_that_does_not_exist_writes_nothing(store: tuple[Store, asyncio.Runner]) -> None:
    s, runner = store
    sid = runner.run(_session(s))
    ghost = sid.rsplit("-", 1)[0] + "-99"
    runner.run(s.append_audit(ghost, b"resent"))
    assert runner.run(s.load(ghost)) is None
    assert runner.run(s.audit(ghost)) == []


def _set_audit_cap(s: Store, cap: int) -> None:
    if isinstance(s, RedisStore):
        s._noise[3] = cap
    else:
        assert isinstance(s, MemoryStore)
        s._audit_maxlen = cap


def test_audit_streams_are_capped_at_the_front_never_trimmed(store: tuple[Store, asyncio.Runner]) -> None:
    """The cap keeps the oldest entries: beyond it entries are counted as held back, so what is stored is always the
    whole chain from the session's first entry (and its head is the hash after the last one stored)."""
    s, runner = store
    cap = 100
    _set_audit_cap(s, cap)
    sid = runner.run(_session(s))

    async def fill() -> None:
        version = 1
        for i in range(3 * cap):
            ok, _ = await s.commit(sid, version, Commit(state=b"s", audit=[f"a{i}".encode()]))
            assert ok
            version += 1
        for i in range(5):
            await s.append_audit(sid, f"r{i}".encode())

    runner.run(fill())
    kinds = _kinds(runner.run(s.audit(sid)))
    assert kinds == [f"a{i}" for i in range(cap)]  # the first ones, in order
    record: Any = runner.run(s.load(sid))
    held = 2 * cap + 5
    assert record.suppressed == (held, 0) and s.suppressed["audit"] == held
    chain = runner.run(s.audit_chain(sid))
    assert chain_problem(sid, chain) is None
    assert chain.head == chain_of(chain_start(sid), [row.entry for row in chain.rows])[-1]


def test_noise_keeps_the_chain_whole(store: tuple[Store, asyncio.Runner], clock: FakeClock) -> None:
    """Noisy commits and repeats held back, summary entries written by the store itself, several minutes: whatever
    is stored links up from the session's chain start to the head the store keeps."""
    s, runner = store
    sid = runner.run(_session(s))
    version = runner.run(_noisy_commits(s, sid, 1, PER_MINUTE + 2, "x"))
    for i in range(3):
        runner.run(s.append_audit(sid, f"resent-{i}".encode()))
    clock.now += 60
    version = runner.run(_noisy_commits(s, sid, version, 2, "y"))
    ok, _ = runner.run(s.commit(sid, version, Commit(state=b"s", audit=[b"answer", b"presented"])))
    assert ok
    chain = runner.run(s.audit_chain(sid))
    kinds = _kinds([(row.id, row.entry) for row in chain.rows])
    assert kinds == [f"x-a{i}" for i in range(PER_MINUTE)] + ["suppressed", "y-a0", "y-a1", "answer", "presented"]
    assert chain_problem(sid, chain) is None


def chain_problem(session_id: str, chain: AuditChain) -> str | None:
    """What is wrong with a stored chain (None: it starts at the session's chain start, each prev is the hash of the
    entry before, and the head is the hash after the last entry); computed here from the definition."""
    expected = chain_start(session_id)
    for k, row in enumerate(chain.rows):
        if row.prev != expected:
            return f"entry {k}: prev {row.prev} != {expected}"
        expected = hashlib.sha256(expected.encode() + row.entry).hexdigest()
    if chain.rows and chain.head != expected:
        return f"head {chain.head} != {expected}"
    return None


def test_noise_budget_rule() -> None:
    """The rule itself, as the Lua scripts mirror it: window, lifetime, one summary per minute."""
    b = NoiseBudget()
    minute_ms = 60_000
    assert b.admit(0, 2, 1, 1) == (True, True, False)
    assert b.admit(1, 2, 1, 1) == (True, True, False)
    assert b.admit(2, 2, 1, 0) == (False, True, True)  # the audit entry is held back; no event to hold
    assert b.admit(3, 2, 0, 1) == (True, False, False)  # already told this minute
    assert (b.dropped_audit, b.dropped_events) == (1, 1)
    assert b.admit(minute_ms, 2, 2, 2) == (True, True, False)  # a new minute
    assert b.admit(minute_ms, 2, 3, 0) == (False, True, True)  # over the minute's budget at once: held whole


def test_noise_commits_of_a_stale_version_change_nothing(store: tuple[Store, asyncio.Runner]) -> None:
    s, runner = store
    sid = runner.run(_session(s))
    ok, _ = runner.run(s.commit(sid, 5, Commit(state=b"s", audit=[b"a"], events=[b"e"], noise=True)))
    assert not ok
    assert runner.run(s.audit(sid)) == []
    record: Any = runner.run(s.load(sid))
    assert record.suppressed == (0, 0)
