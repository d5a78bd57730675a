"""cat_engine.server.transaction: the loop of load, step, commit, remember, when processes race.

Two processes (two sets of use cases) over one private Redis, or one memory store with gated commits: each answer is
applied exactly once, a lost race is retried from the load, and a remembered record that went stale is loaded again.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest
from server_world import (
    ITEMS,
    LIMIT_1,
    Process,
    World,
    cmd,
    frame,
    make_battery,
    make_world,
    process,
    refused,
    run,
)

from cat_engine.battery import Battery
from cat_engine.server.redis_store import RedisStore
from cat_engine.server.store import SessionRecord, Store
from cat_engine.server.wire_errors import Refusal
from cat_engine.session import Phase
from load_tests.procs import RedisServer


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    return make_battery(tmp_path_factory.mktemp("battery"))


# --- two processes over one Redis ------------------------------------------------------------------------------


class _RacingStore:
    """A store proxy whose first ``load`` of each of ``n`` callers waits until all have loaded: a forced race."""

    def __init__(self, store: Store, barrier: asyncio.Barrier) -> None:
        self._store = store
        self._barrier = barrier
        self._waited = False

    async def load(self, session_id: str) -> SessionRecord | None:
        rec = await self._store.load(session_id)
        if not self._waited:
            self._waited = True
            await self._barrier.wait()
        return rec

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class _Gated:
    """A store proxy whose commits wait for ``wait_for``, or set ``then_set`` once done: a forced commit order."""

    def __init__(
        self, store: Any, wait_for: asyncio.Event | None = None, then_set: asyncio.Event | None = None
    ) -> None:
        self._store, self._wait_for, self._then_set = store, wait_for, then_set

    async def commit(self, *args: Any) -> Any:
        if self._wait_for is not None:
            await self._wait_for.wait()
        out = await self._store.commit(*args)
        if self._then_set is not None:
            self._then_set.set()
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def racer(store: Store, barrier: asyncio.Barrier, process_id: str, w: World) -> Process:
    racing: Any = _RacingStore(store, barrier)
    return process(racing, w.battery, process_id, lambda: w.clock[0])


def test_two_processes_racing_the_same_answer_apply_it_once(private_redis: RedisServer, battery: Battery) -> None:
    async def go() -> None:
        prefix = f"t-race-{secrets.token_hex(4)}"
        store_a = RedisStore(private_redis.url, prefix)
        store_b = RedisStore(private_redis.url, prefix)
        try:
            w = await make_world(battery, n=1, store=store_a)
            await w.sit("pA/c1")
            conflicts = 0
            for _ in range(2 * ITEMS):
                state = await w.state()
                if state.phase is Phase.INTRO:  # the first subtest is over: begin the next from its intro
                    await w.process.candidates.start(w.sid(), "pA/c1", state.subtest_index)
                    state = await w.state()
                seq = state.seq
                # two processes, the same connection id (a resend racing its original), different responses
                barrier = asyncio.Barrier(2)
                pa, pb = racer(store_a, barrier, "pA", w), racer(store_b, barrier, "pB", w)
                w.advance(1)
                out_a, out_b = await asyncio.gather(
                    pa.candidates.answer(w.sid(), "pA/c1", seq, 0), pb.candidates.answer(w.sid(), "pA/c1", seq, 1)
                )
                assert out_a.frames == out_b.frames
                assert len(out_a.frames) == 1
                assert [out_a.applied, out_b.applied].count(True) == 1
                conflicts += sum(int(p.tx.metrics.value("cat_store_conflicts_total")) for p in (pa, pb))
                answers = [a for a in await w.audit() if a["kind"] == "answer" and a["seq"] == seq]
                assert [a.get("outcome") for a in answers] == [None, "duplicate"]  # applied once, then the loser
                assert await store_a.reply(w.sid(), seq) == out_a.frames[0]
                after = await w.state()
                live = 0 if after.phase is Phase.FINISHED else len(after.items)
                assert sum(len(d.items) for d in after.done) + live == seq  # exactly one answer per seq so far
            assert conflicts == 2 * ITEMS  # the barrier made every round a real race
            assert (await w.state()).phase is Phase.FINISHED
            assert list(await store_b.results(w.room_id)) == [w.sid()]
            # and without the barrier, plain concurrent resends of one answer
            w2 = await make_world(battery, n=1, store=store_a)
            await w2.sit("pA/c2")
            pa, pb = (
                w2.other("pA"),
                process(store_b, battery, "pB", lambda: w2.clock[0]),
            )
            outs = await asyncio.gather(*(p.candidates.answer(w2.sid(), "pA/c2", 1, 3) for p in (pa, pb, pa, pb)))
            assert len({tuple(o.frames) for o in outs}) == 1
            outcomes = [a.get("outcome") for a in await w2.audit() if a["kind"] == "answer"]
            assert sorted(outcomes, key=str) == [None, "duplicate", "duplicate", "duplicate"]
        finally:
            await store_a.close()
            await store_b.close()

    run(go)


def test_a_lost_race_does_not_count_an_unsent_time_up(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.sit("p1/c1")
        w.advance(LIMIT_1 + 1)
        barrier, gate = asyncio.Barrier(2), asyncio.Event()
        candidate, proctor = racer(w.store, barrier, "p1", w), racer(w.store, barrier, "p1", w)
        candidate.tx.store = _Gated(candidate.tx.store, wait_for=gate)  # type: ignore[assignment]
        proctor.tx.store = _Gated(proctor.tx.store, then_set=gate)  # type: ignore[assignment]
        # both load the same version; the proctor's pause commits first; the late answer then finds it paused
        results = await asyncio.gather(
            candidate.candidates.answer(w.sid(), "p1/c1", 1, 0),
            proctor.proctors.command(w.room_id, cmd("pause", w.sid())),
            return_exceptions=True,
        )
        assert isinstance(results[0], Refusal) and results[0].code == "paused"
        assert candidate.tx.metrics.value("cat_store_conflicts_total") == 1
        assert candidate.tx.metrics.value("cat_errors_total", code="time_up") == 0

    run(go)


def test_a_record_remembered_by_a_process_that_another_process_moved_on_is_loaded_again(battery: Battery) -> None:
    """Each process remembers the last record it wrote, to skip a load; another process's commit makes it stale,
    and the version check then has it loaded again: no answer lost or doubled, no conflict counted."""

    async def go() -> None:
        w = await make_world(battery)
        p1, p2 = w.process, w.other("p2")
        await w.sit("p1/c1")
        for n in range(2):  # alternate processes for the same connection id (a load balancer moving it)
            for proc in (p1, p2):
                if (await w.state()).phase is Phase.INTRO:  # the next subtest begins from its intro, on this process
                    assert frame((await proc.candidates.start(w.sid(), "p1/c1", 1)).frames[0])["seq"] == 4
                seq = (await w.state()).seq
                w.advance(1)
                assert (await proc.candidates.answer(w.sid(), "p1/c1", seq, n)).applied
        state = await w.state()
        assert state.seq == 5 and len(state.done) == 1 and len(state.items) == 1
        assert p1.tx.metrics.value("cat_store_conflicts_total") == p2.tx.metrics.value("cat_store_conflicts_total") == 0
        # a proctor's pause through p2; p1's remembered record says active, the store says paused
        await p2.proctors.command(w.room_id, cmd("pause", w.sid()))
        failure = await refused(p1.candidates.answer(w.sid(), "p1/c1", state.seq, 0))
        assert failure.code == "paused" and (await w.state()).seq == state.seq
        await p2.proctors.command(w.room_id, cmd("resume", w.sid()))
        reply = frame((await p1.candidates.answer(w.sid(), "p1/c1", state.seq, 0)).frames[-1])
        assert reply["seq"] == state.seq + 1
        seqs = [a["seq"] for a in await w.audit() if a["kind"] == "answer"]
        assert seqs == [1, 2, 3, 4, 5]

    run(go)
