"""The server's use cases (:class:`cat_engine.server.sessions.Sessions`) over a store, with a fake clock.

Most tests run over a :class:`MemoryStore`; the race test runs two ``Sessions`` (two "processes") over one private
Redis. The battery is small and deterministic: two subtests of exactly three items (no SE target), 60 s and 120 s.
No pytest-asyncio: every test runs one coroutine with :func:`run`.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from conftest import battery_dict, load, subtest_dict
from server_harness import RedisServer

from cat_engine import session as core
from cat_engine.battery import Battery
from cat_engine.server import rooms
from cat_engine.server.frames import ProctorCommand
from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.metrics import Metrics
from cat_engine.server.redis_store import RedisStore
from cat_engine.server.sessions import Refused, Sessions
from cat_engine.server.store import SessionRecord, Store
from cat_engine.session import Phase

T0 = 1_800_000_000.0  # seconds since the epoch; the fake clock starts here
LIMIT_1, LIMIT_2 = 60, 120  # time limits of the two subtests, seconds
ITEMS = 3  # items per subtest (min = max, no SE target)
FORBIDDEN_KEYS = {"key", "params", "theta", "se", "option_weights", "exposure_k", "content_area", "model"}


def run(factory: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(factory(), timeout)

    return asyncio.run(bounded())


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    subtests = [
        subtest_dict("s1", max_items=ITEMS, min_items=ITEMS, se_target=None, time_limit_s=LIMIT_1),
        subtest_dict("s2", max_items=ITEMS, min_items=ITEMS, se_target=None, time_limit_s=LIMIT_2),
    ]
    return load(tmp_path_factory.mktemp("battery"), battery_dict(subtests))


@dataclass
class World:
    """A store, the use cases over it with a fake clock, one room and its roster."""

    store: Store
    battery: Battery
    clock: list[float]
    sessions: Sessions
    room_id: str = ""
    proctor_token: str = ""
    cands: list[dict[str, str]] = field(default_factory=list)
    notes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def advance(self, seconds: float) -> None:
        self.clock[0] += seconds

    def sid(self, n: int = 0) -> str:
        return self.cands[n]["session_id"]

    def token(self, n: int = 0) -> str:
        return self.cands[n]["token"]

    def other(self, process_id: str) -> Sessions:
        """The use cases of another server process over the same store and clock."""
        return Sessions(self.store, {self.battery.id: self.battery}, Metrics(), process_id, clock=lambda: self.clock[0])

    async def load(self, n: int = 0) -> SessionRecord:
        rec = await self.store.load(self.sid(n))
        assert rec is not None
        return rec

    async def state(self, n: int = 0) -> core.SessionState:
        return core.decode(self.battery, (await self.load(n)).state)

    async def view(self, n: int = 0) -> dict[str, Any]:
        return await self.sessions.session_view(self.battery, await self.load(n), self.sessions.now_ms())

    async def events(self) -> list[dict[str, Any]]:
        return [orjson.loads(e) for _, e in await self.store.read_events(self.room_id, "0-0", 0)]

    async def audit(self, n: int = 0) -> list[dict[str, Any]]:
        return [orjson.loads(e) for _, e in await self.store.audit(self.sid(n))]

    async def fingerprint(self, room_id: str | None = None) -> Any:
        """Everything stored about a room: sessions (with versions), replies, audit, events, results."""
        room_id = room_id or self.room_id
        recs = await self.store.load_room(room_id)
        return (
            [(r.session_id, r.version, r.state, r.owner, r.summary) for r in recs],
            {r.session_id: [await self.store.reply(r.session_id, q) for q in range(1, 2 * ITEMS + 2)] for r in recs},
            {r.session_id: await self.store.audit(r.session_id) for r in recs},
            await self.store.read_events(room_id, "0-0", 0),
            await self.store.results(room_id),
        )

    async def only_audited(self, before: Any) -> list[dict[str, Any]]:
        """Assert that nothing but the audit changed since ``before``; the audit entries appended since."""
        after = await self.fingerprint()
        assert (after[0], after[1], after[3], after[4]) == (before[0], before[1], before[3], before[4])
        added: list[dict[str, Any]] = []
        for sid, entries in after[2].items():
            old = before[2][sid]
            assert entries[: len(old)] == old
            added += [orjson.loads(e) for _, e in entries[len(old) :]]
        return added


async def make_world(battery: Battery, n: int = 1, store: Store | None = None) -> World:
    clock = [T0]
    store = store or MemoryStore()
    sessions = Sessions(store, {battery.id: battery}, Metrics(), "p1", clock=lambda: clock[0])
    world = World(store, battery, clock, sessions)
    room = await rooms.create_room(sessions, "Ruang 1", battery.id)
    world.room_id, world.proctor_token = room["room_id"], room["proctor_token"]
    roster = [{"employee_id": f"E{i:03d}", "name": f"Peserta {i}"} for i in range(1, n + 1)]
    world.cands = await rooms.register(sessions, world.room_id, roster)

    async def listener(session_id: str, message: bytes) -> None:
        world.notes.append((session_id, orjson.loads(message)))

    store.listen(listener)
    return world


def frame(raw: bytes) -> dict[str, Any]:
    data = orjson.loads(raw)
    assert isinstance(data, dict)
    return data


def keys_anywhere(data: Any) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in keys_anywhere(v)}
    if isinstance(data, list):
        return {k for v in data for k in keys_anywhere(v)}
    return set()


def cmd(command: str, session_id: str | None, **kw: Any) -> ProctorCommand:
    return ProctorCommand(command, session_id, **kw)


async def refused(coro: Awaitable[Any]) -> Refused:
    with pytest.raises(Refused) as info:
        await coro
    return info.value


async def finish_battery(w: World, conn: str, n: int = 0) -> bytes:
    """Answer every item of the battery (hello already said); the last reply."""
    state = await w.state(n)
    reply = b""
    for _ in range(2 * ITEMS):
        w.advance(1)
        reply = (await w.sessions.candidate_answer(w.sid(n), conn, state.seq, 0)).frames[-1]
        state = await w.state(n)
    assert state.phase is Phase.FINISHED
    return reply


# --- candidate -------------------------------------------------------------------------------------------------


def test_hello_starts_the_battery_and_returns_the_first_item(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        assert (await w.state()).phase is Phase.READY
        sid, out = await w.sessions.candidate_hello(w.token(), "p1/c1")
        assert sid == w.sid()
        assert len(out.frames) == 1
        item = frame(out.frames[0])
        assert item["type"] == "item"
        assert item["seq"] == 1
        assert item["subtest"] == {"index": 0, "id": "s1", "name": "Subtest s1", "count": 2}
        assert item["progress"] == {"answered": 0, "max_items": ITEMS, "subtests_done": 0, "subtests_total": 2}
        assert item["time_left_s"] == LIMIT_1
        assert "previous_subtest" not in item
        assert set(item["item"]) == {"id", "stem", "options"}
        assert not keys_anywhere(item) & FORBIDDEN_KEYS
        assert out.deadline_ms == int(T0 * 1000) + LIMIT_1 * 1000
        rec = await w.load()
        assert rec.owner == "p1/c1"
        state = core.decode(battery, rec.state)
        assert (state.phase, state.connected, state.seq) == (Phase.ACTIVE, True, 1)
        assert [e["event"]["type"] for e in await w.events()] == ["connected", "item_presented"]
        assert [a["kind"] for a in await w.audit()] == ["hello", "presented"]
        # an unknown token
        assert (await refused(w.sessions.candidate_hello("nope", "p1/c2"))).code == "bad_token"

    run(go)


def test_answer_is_applied_once_and_a_resend_gets_the_same_bytes(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        _, out = await w.sessions.candidate_hello(w.token(), "p1/c1")
        nxt_item_id = frame(out.frames[0])["item"]["id"]
        w.advance(7)
        first = await w.sessions.candidate_answer(w.sid(), "p1/c1", 1, 2)
        assert len(first.frames) == 1
        nxt = frame(first.frames[0])
        assert (nxt["type"], nxt["seq"], nxt["time_left_s"]) == ("item", 2, LIMIT_1 - 7)
        assert nxt["progress"]["answered"] == 1
        before = await w.fingerprint()
        version = (await w.load()).version
        w.advance(5)  # the resend's reply is the stored one: its time_left_s is stale on purpose
        for response in (2, 0):  # whatever the resend carries, the first answer stands
            again = await w.sessions.candidate_answer(w.sid(), "p1/c1", 1, response)
            assert again.frames == first.frames
        assert (await w.load()).version == version
        # a resend changes nothing but leaves an audit entry (docs/protocol.md, audit: outcome "duplicate")
        added = await w.only_audited(before)
        assert [(a["kind"], a["seq"], a["response"], a["outcome"], a["conn"]) for a in added] == [
            ("answer", 1, 2, "duplicate", "p1/c1"),
            ("answer", 1, 0, "duplicate", "p1/c1"),
        ]
        answers = [a for a in await w.audit() if a["kind"] == "answer" and "outcome" not in a]
        assert len(answers) == 1
        assert (answers[0]["seq"], answers[0]["response"], answers[0]["response_ms"]) == (1, 2, 7000)
        assert answers[0]["item_id"] == nxt_item_id
        assert w.sessions.metrics.answers == 1
        assert (await w.state()).responses == (2,)

    run(go)


def test_wrong_seq_and_bad_response_change_nothing(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.sessions.candidate_hello(w.token(), "p1/c1")
        before = await w.fingerprint()
        for seq in (0, -1, 2, 99, 10**15, -(2**63)):  # any integer (docs/protocol.md, wrong_seq)
            r = await refused(w.sessions.candidate_answer(w.sid(), "p1/c1", seq, 0))
            assert (r.code, r.close) == ("wrong_seq", None)
        for response in (-1, 4, 10**9, 2**63 - 1):  # the items have four options
            r = await refused(w.sessions.candidate_answer(w.sid(), "p1/c1", 1, response))
            assert (r.code, r.close) == ("bad_response", None)
        assert await w.fingerprint() == before
        # refusals raised by the use case are counted when the endpoint turns them into frames
        err = frame(w.sessions.error(r))
        assert (err["type"], err["code"]) == ("error", "bad_response")
        assert w.sessions.metrics.errors["bad_response"] == 1

    run(go)


def test_a_second_hello_takes_the_session_over(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        _, first = await w.sessions.candidate_hello(w.token(), "p1/c1")
        w.advance(3)
        _, second = await w.sessions.candidate_hello(w.token(), "p1/c2")
        a, b = frame(first.frames[0]), frame(second.frames[0])
        assert (a["seq"], a["item"]) == (b["seq"], b["item"])  # the same item again
        assert b["time_left_s"] == LIMIT_1 - 3  # the clock went on through the takeover
        assert w.notes == [(w.sid(), {"kind": "takeover", "owner": "p1/c2", "old": "p1/c1"})]
        assert (await w.load()).owner == "p1/c2"
        before = await w.fingerprint()
        r = await refused(w.sessions.candidate_answer(w.sid(), "p1/c1", 1, 0))
        assert (r.code, r.close) == ("taken_over", 4002)
        r = await refused(w.sessions.candidate_refresh(w.sid(), "p1/c1", "paused"))
        assert r.code == "taken_over"
        assert (await w.sessions.candidate_tick(w.sid(), "p1/c1")).frames == []
        await w.sessions.candidate_goodbye(w.sid(), "p1/c1")  # the old connection closing stops nothing
        assert await w.fingerprint() == before
        out = await w.sessions.candidate_answer(w.sid(), "p1/c2", 1, 0)
        assert frame(out.frames[0])["seq"] == 2

    run(go)


def test_the_clock_runs_only_while_connected_and_not_paused(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.sessions.candidate_hello(w.token(), "p1/c1")
        w.advance(10)
        assert (await w.view())["time_left_s"] == LIMIT_1 - 10
        await w.sessions.candidate_goodbye(w.sid(), "p1/c1")
        rec = await w.load()
        assert rec.owner == ""
        w.advance(1000)  # disconnected: no time passes
        view = await w.view()
        assert (view["connected"], view["time_left_s"]) == (False, LIMIT_1 - 10)
        assert (await w.sessions.candidate_tick(w.sid(), "")).frames == []  # nobody owns it; nothing to end
        _, out = await w.sessions.candidate_hello(w.token(), "p1/c2")
        item = frame(out.frames[0])
        assert (item["seq"], item["time_left_s"]) == (1, LIMIT_1 - 10)
        w.advance(5)
        ack = frame(await w.sessions.proctor_command(w.room_id, cmd("pause", w.sid(), reason="toilet")))
        assert ack["results"] == [{"session_id": w.sid(), "ok": True}]
        w.advance(500)  # paused: no time passes
        view = await w.view()
        assert (view["phase"], view["time_left_s"], view["pause_reason"]) == ("paused", LIMIT_1 - 15, "toilet")
        await w.sessions.proctor_command(w.room_id, cmd("resume", w.sid()))
        refresh = await w.sessions.candidate_refresh(w.sid(), "p1/c2", "resumed")
        item = frame(refresh.frames[0])
        assert (item["type"], item["seq"], item["time_left_s"]) == ("item", 1, LIMIT_1 - 15)
        assert refresh.deadline_ms == w.sessions.now_ms() + (LIMIT_1 - 15) * 1000
        w.advance(4)
        assert (await w.view())["time_left_s"] == LIMIT_1 - 19

    run(go)


def test_goodbye_stops_the_clock_once(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.sessions.candidate_hello(w.token(), "p1/c1")
        w.advance(2)
        await w.sessions.candidate_goodbye(w.sid(), "p1/c1")
        state = await w.state()
        assert (state.connected, state.running_since_ms, state.used_ms) == (False, None, 2000)
        assert [e["event"]["type"] for e in await w.events()][-1] == "disconnected"
        before = await w.fingerprint()
        await w.sessions.candidate_goodbye(w.sid(), "p1/c1")  # a second goodbye changes nothing
        assert await w.fingerprint() == before

    run(go)


def test_tick_ends_a_timed_out_subtest_and_presents_the_next(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.sessions.candidate_hello(w.token(), "p1/c1")
        await w.sessions.candidate_answer(w.sid(), "p1/c1", 1, 0)
        w.advance(LIMIT_1 - 1)
        before = await w.fingerprint()
        early = await w.sessions.candidate_tick(w.sid(), "p1/c1")  # a timer that fired early changes nothing
        assert early.frames == []
        assert early.deadline_ms == w.sessions.now_ms() + 1000
        assert await w.fingerprint() == before
        w.advance(1)
        out = await w.sessions.candidate_tick(w.sid(), "p1/c1")
        assert len(out.frames) == 1
        item = frame(out.frames[0])
        assert (item["type"], item["seq"], item["subtest"]["id"]) == ("item", 3, "s2")
        assert item["previous_subtest"] == {"id": "s1", "name": "Subtest s1", "reason": "time_up"}
        assert item["progress"] == {"answered": 0, "max_items": ITEMS, "subtests_done": 1, "subtests_total": 2}
        assert item["time_left_s"] == LIMIT_2
        assert out.deadline_ms == w.sessions.now_ms() + LIMIT_2 * 1000
        types = [e["event"]["type"] for e in await w.events()]
        assert types[-2:] == ["subtest_done", "item_presented"]
        # an answer for the old item that arrives after the timeout was processed: wrong_seq, nothing changes
        before = await w.fingerprint()
        assert (await refused(w.sessions.candidate_answer(w.sid(), "p1/c1", 2, 0))).code == "wrong_seq"
        assert await w.fingerprint() == before
        # the answer applied before the timeout is still a resend with its stored reply
        assert frame((await w.sessions.candidate_answer(w.sid(), "p1/c1", 1, 0)).frames[0])["seq"] == 2

    run(go)


def test_an_answer_after_the_time_ran_out_gets_time_up_then_what_comes_next(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.sessions.candidate_hello(w.token(), "p1/c1")
        w.advance(LIMIT_1 + 30)
        out = await w.sessions.candidate_answer(w.sid(), "p1/c1", 1, 0)
        assert len(out.frames) == 2
        err, item = frame(out.frames[0]), frame(out.frames[1])
        assert (err["type"], err["code"]) == ("error", "time_up")
        assert (item["type"], item["seq"], item["previous_subtest"]["reason"]) == ("item", 2, "time_up")
        assert w.sessions.metrics.errors["time_up"] == 1
        assert w.sessions.metrics.answers == 0
        state = await w.state()
        assert state.done[0].items == ()  # the late answer was not applied
        audit = [a for a in await w.audit() if a["kind"] == "answer"]
        assert audit[-1]["outcome"] == "time_up"
        # the same in the last subtest: time_up, then finished; the result is stored
        w.advance(LIMIT_2 + 1)
        out = await w.sessions.candidate_answer(w.sid(), "p1/c1", 2, 1)
        err, fin = frame(out.frames[0]), frame(out.frames[1])
        assert err["code"] == "time_up"
        assert fin["type"] == "finished"
        assert fin["previous_subtest"] == {"id": "s2", "name": "Subtest s2", "reason": "time_up"}
        assert out.deadline_ms is None
        results = await w.store.results(w.room_id)
        assert orjson.loads(results[w.sid()])["status"] == "finished"

    run(go)


def test_a_finished_battery_stores_the_result_and_answers_finished(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.sessions.candidate_hello(w.token(), "p1/c1")
        assert await w.store.results(w.room_id) == {}
        last = await finish_battery(w, "p1/c1")
        fin = frame(last)
        assert fin["type"] == "finished"
        assert fin["previous_subtest"] == {"id": "s2", "name": "Subtest s2", "reason": "completed"}
        assert [s["id"] for s in fin["profile"]["subtests"]] == ["s1", "s2"]
        assert not keys_anywhere(fin) & FORBIDDEN_KEYS
        result = orjson.loads((await w.store.results(w.room_id))[w.sid()])
        assert result["status"] == "finished"
        assert result["profile"]["complete"] is True
        assert [s["items_administered"] for s in result["profile"]["subtests"]] == [ITEMS, ITEMS]
        assert (result["employee_id"], result["room_id"]) == ("E001", w.room_id)
        before = await w.fingerprint()
        assert (await w.sessions.candidate_answer(w.sid(), "p1/c1", 2 * ITEMS, 0)).frames == [last]  # resend
        for seq in (2 * ITEMS + 1, 10**12, 0, -5):
            assert (await refused(w.sessions.candidate_answer(w.sid(), "p1/c1", seq, 0))).code == "finished"
        _, out = await w.sessions.candidate_hello(w.token(), "p1/c9")  # finished: said, taken over by nobody
        assert frame(out.frames[0]) == {"type": "finished", "profile": fin["profile"]}
        # a finished battery has no owner: another connection's resend still gets the stored reply
        assert (await w.sessions.candidate_answer(w.sid(), "p1/c1", 2 * ITEMS, 3)).frames == [last]
        added = await w.only_audited(before)
        assert [(a["kind"], a.get("outcome"), a["conn"]) for a in added] == [
            ("answer", "duplicate", "p1/c1"),
            ("hello", "finished", "p1/c9"),
            ("answer", "duplicate", "p1/c1"),
        ]
        assert w.notes == []  # no takeover
        view = await w.view()
        assert (view["phase"], view["answered"], view["answered_total"]) == ("finished", 0, 2 * ITEMS)

    run(go)


def test_a_stale_owner_of_a_dead_process_stops_at_its_last_beat(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery, n=3)
        dead = w.other("deadproc")
        for n in range(3):
            await dead.candidate_hello(w.token(n), f"deadproc/x{n}")
        t0_ms = int(T0 * 1000)
        w.advance(30)
        # the process beat 10 s after the hellos and then died (20 s of silence > 3 beat intervals)
        await w.store.beat("deadproc", t0_ms + 10_000)
        _, out = await w.sessions.candidate_hello(w.token(0), "p1/y0")
        assert frame(out.frames[0])["time_left_s"] == LIMIT_1 - 10
        assert (w.sid(0), {"kind": "takeover", "owner": "p1/y0", "old": "deadproc/x0"}) in w.notes
        # a process that beat 2 s ago is alive: its connection's clock ran until now
        await w.store.beat("deadproc", t0_ms + 28_000)
        _, out = await w.sessions.candidate_hello(w.token(1), "p1/y1")
        assert frame(out.frames[0])["time_left_s"] == LIMIT_1 - 30
        # a connection of this very process: until now
        _, out = await w.sessions.candidate_hello(w.token(1), "p1/y1b")
        assert frame(out.frames[0])["time_left_s"] == LIMIT_1 - 30

    run(go)


def test_a_stale_owner_with_no_heartbeat_on_record_stops_when_last_seen(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.other("gone").candidate_hello(w.token(), "gone/x")  # last seen now; no heartbeat ever stored
        w.advance(12)
        await w.other("gone").candidate_answer(w.sid(), "gone/x", 1, 0)  # last seen 12 s in
        w.advance(100)
        _, out = await w.sessions.candidate_hello(w.token(), "p1/y")
        assert frame(out.frames[0])["time_left_s"] == LIMIT_1 - 12

    run(go)


def test_last_seen_follows_the_candidate_not_the_proctor(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.sessions.candidate_hello(w.token(), "p1/c1")
        seen = (await w.view())["last_seen_ms"]
        assert seen == w.sessions.now_ms()
        w.advance(40)
        await w.sessions.proctor_command(w.room_id, cmd("pause", w.sid()))
        await w.sessions.proctor_command(w.room_id, cmd("extend", w.sid(), seconds=5.0))
        assert (await w.view())["last_seen_ms"] == seen
        w.advance(5)
        await w.sessions.candidate_goodbye(w.sid(), "p1/c1")
        assert (await w.view())["last_seen_ms"] == seen + 45_000

    run(go)


def test_extending_a_paused_session_tells_the_candidate_the_time(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.sessions.candidate_hello(w.token(), "p1/c1")
        await w.sessions.proctor_command(w.room_id, cmd("pause", w.sid()))
        await w.sessions.proctor_command(w.room_id, cmd("extend", w.sid(), seconds=60.0))
        out = await w.sessions.candidate_refresh(w.sid(), "p1/c1", "time_extended")
        assert [frame(f) for f in out.frames] == [{"type": "time", "time_left_s": LIMIT_1 + 60}]

    run(go)


def test_refresh_after_proctor_commands(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.sessions.candidate_hello(w.token(), "p1/c1")
        await w.sessions.proctor_command(w.room_id, cmd("extend", w.sid(), seconds=30.0))
        assert w.notes[-1] == (w.sid(), {"kind": "time_extended"})
        out = await w.sessions.candidate_refresh(w.sid(), "p1/c1", "time_extended")
        assert [frame(f) for f in out.frames] == [{"type": "time", "time_left_s": LIMIT_1 + 30}]
        assert out.deadline_ms == w.sessions.now_ms() + (LIMIT_1 + 30) * 1000
        await w.sessions.proctor_command(w.room_id, cmd("pause", w.sid(), reason="istirahat"))
        out = await w.sessions.candidate_refresh(w.sid(), "p1/c1", "paused")
        assert [frame(f) for f in out.frames] == [{"type": "paused", "reason": "istirahat"}]
        assert out.deadline_ms is None
        # a hello while paused says paused too
        _, out = await w.sessions.candidate_hello(w.token(), "p1/c2")
        assert frame(out.frames[0]) == {"type": "paused", "reason": "istirahat"}
        await w.sessions.proctor_command(w.room_id, cmd("terminate", None, reason="curang"))
        r = await refused(w.sessions.candidate_refresh(w.sid(), "p1/c2", "terminated"))
        assert (r.code, r.close) == ("terminated", 4003)

    run(go)


# --- proctor ---------------------------------------------------------------------------------------------------


def test_proctor_commands_on_one_session(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery, n=2)
        sid = w.sid()
        await w.sessions.candidate_hello(w.token(), "p1/c1")

        async def command(name: str, **kw: Any) -> dict[str, Any]:
            return frame(await w.sessions.proctor_command(w.room_id, cmd(name, sid, **kw)))

        ack = await command("pause", request_id="a1", reason="r")
        assert ack == {"type": "ack", "id": "a1", "command": "pause", "results": [{"session_id": sid, "ok": True}]}
        assert (await w.view())["phase"] == "paused"
        r = await refused(w.sessions.candidate_answer(sid, "p1/c1", 1, 0))
        assert (r.code, r.close) == ("paused", None)
        before = await w.fingerprint()
        ack = await command("pause", request_id=7)
        assert ack["id"] == 7
        (res,) = ack["results"]
        assert (res["session_id"], res["ok"], res["code"]) == (sid, False, "bad_command")
        assert isinstance(res["message"], str) and res["message"]
        assert await w.fingerprint() == before  # a refused command stores nothing
        assert (await command("extend", seconds=90.0))["results"] == [{"session_id": sid, "ok": True}]
        assert (await command("resume"))["results"] == [{"session_id": sid, "ok": True}]
        assert (await w.view())["time_left_s"] == LIMIT_1 + 90
        ack = await command("resume")
        assert ack["id"] is None
        assert ack["results"][0]["code"] == "bad_command"
        assert (await command("terminate", reason="menyontek"))["results"] == [{"session_id": sid, "ok": True}]
        view = await w.view()
        assert (view["phase"], view["terminated_reason"]) == ("terminated", "menyontek")
        result = orjson.loads((await w.store.results(w.room_id))[sid])
        assert (result["status"], result["terminated_reason"]) == ("terminated", "menyontek")
        assert result["profile"]["complete"] is False
        for name, kw in (("terminate", {"reason": "x"}), ("resume", {}), ("extend", {"seconds": 5.0})):
            assert (await command(name, **kw))["results"][0]["code"] == "bad_command"
        r = await refused(w.sessions.candidate_answer(sid, "p1/c1", 1, 0))
        assert (r.code, r.close) == ("terminated", 4003)
        r = await refused(w.sessions.candidate_hello(w.token(), "p1/c2"))
        assert (r.code, r.close, r.detail) == ("terminated", 4003, "menyontek")
        kinds = [a.get("command") for a in await w.audit() if a["kind"] == "proctor"]
        assert kinds == ["pause", "extend", "resume", "terminate"]  # only the applied ones
        assert w.sessions.metrics.errors["bad_command"] == 5
        # the other candidate was never touched
        assert (await w.state(1)).phase is Phase.READY
        assert [(s, n["kind"]) for s, n in w.notes] == [
            (sid, "paused"),
            (sid, "time_extended"),
            (sid, "resumed"),
            (sid, "terminated"),
        ]

    run(go)


def test_proctor_commands_on_the_whole_room(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery, n=3)
        await w.sessions.candidate_hello(w.token(0), "p1/c0")
        await w.sessions.candidate_hello(w.token(1), "p1/c1")  # candidate 2 never started

        async def room(name: str, **kw: Any) -> dict[str, dict[str, Any]]:
            ack = frame(await w.sessions.proctor_command(w.room_id, cmd(name, None, **kw)))
            assert ack["command"] == name
            assert [r["session_id"] for r in ack["results"]] == [w.sid(n) for n in range(3)]
            return {r["session_id"]: r for r in ack["results"]}

        for name, kw in (("pause", {"reason": "gangguan listrik"}), ("extend", {"seconds": 60}), ("resume", {})):
            res = await room(name, **kw)
            assert res[w.sid(0)] == {"session_id": w.sid(0), "ok": True}
            assert res[w.sid(1)] == {"session_id": w.sid(1), "ok": True}
            assert (res[w.sid(2)]["ok"], res[w.sid(2)]["code"]) == (False, "bad_command")
        await finish_battery(w, "p1/c1", 1)
        res = await room("terminate", reason="ruang ditutup")
        assert res[w.sid(0)]["ok"] and res[w.sid(2)]["ok"]
        assert (res[w.sid(1)]["ok"], res[w.sid(1)]["code"]) == (False, "bad_command")  # already finished
        statuses = {s: orjson.loads(r)["status"] for s, r in (await w.store.results(w.room_id)).items()}
        assert statuses == {w.sid(0): "terminated", w.sid(1): "finished", w.sid(2): "terminated"}

    run(go)


def test_a_proctor_naming_a_session_of_another_room_is_forbidden(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.sessions.candidate_hello(w.token(), "p1/c1")
        other = await rooms.create_room(w.sessions, "Ruang 2", battery.id)
        before = (await w.fingerprint(), await w.fingerprint(other["room_id"]))
        for name, kw in (("pause", {}), ("terminate", {"reason": "x"}), ("extend", {"seconds": 10.0})):
            r = await refused(w.sessions.proctor_command(other["room_id"], cmd(name, w.sid(), **kw)))
            assert (r.code, r.close) == ("forbidden", None)
        r = await refused(w.sessions.proctor_command(other["room_id"], cmd("pause", "no-dash-here")))
        assert r.code == "forbidden"
        assert (await w.fingerprint(), await w.fingerprint(other["room_id"])) == before
        # a session id of the right room that does not exist: reported in the ack, not an error frame
        ack = frame(await w.sessions.proctor_command(w.room_id, cmd("pause", f"{w.room_id}-9999")))
        assert ack["results"][0]["ok"] is False
        assert ack["results"][0]["code"] == "not_found"
        assert (await w.sessions.proctor_room(w.proctor_token)) == w.room_id
        assert (await refused(w.sessions.proctor_room(w.token()))).code == "bad_token"

    run(go)


def test_snapshot_lists_every_session(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery, n=2)
        await w.sessions.candidate_hello(w.token(), "p1/c1")
        await w.sessions.candidate_answer(w.sid(), "p1/c1", 1, 0)
        raw, last = await w.sessions.snapshot(w.room_id)
        snap = frame(raw)
        assert snap["last_event_id"] == last == await w.store.last_event_id(w.room_id)
        assert snap["room"]["room_id"] == w.room_id
        a, b = snap["sessions"]
        assert (a["phase"], a["answered"], a["answered_total"], a["connected"]) == ("active", 1, 1, True)
        assert a["theta"] is not None and a["se"] is not None
        assert (b["phase"], b["answered"], b["theta"], b["time_left_s"]) == ("ready", 0, None, None)

    run(go)


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


def racer(store: Store, barrier: asyncio.Barrier, process_id: str, w: World) -> Sessions:
    racing: Any = _RacingStore(store, barrier)
    return Sessions(racing, {w.battery.id: w.battery}, Metrics(), process_id, clock=lambda: w.clock[0])


def test_two_processes_racing_the_same_answer_apply_it_once(private_redis: RedisServer, battery: Battery) -> None:
    async def go() -> None:
        prefix = f"t-race-{secrets.token_hex(4)}"
        store_a = RedisStore(private_redis.url, prefix)
        store_b = RedisStore(private_redis.url, prefix)
        try:
            w = await make_world(battery, n=1, store=store_a)
            await w.sessions.candidate_hello(w.token(), "pA/c1")
            conflicts = 0
            for _ in range(2 * ITEMS):
                state = await w.state()
                seq = state.seq
                # two processes, the same connection id (a resend racing its original), different responses
                barrier = asyncio.Barrier(2)
                pa, pb = racer(store_a, barrier, "pA", w), racer(store_b, barrier, "pB", w)
                w.advance(1)
                out_a, out_b = await asyncio.gather(
                    pa.candidate_answer(w.sid(), "pA/c1", seq, 0), pb.candidate_answer(w.sid(), "pA/c1", seq, 1)
                )
                assert out_a.frames == out_b.frames
                assert len(out_a.frames) == 1
                assert pa.metrics.answers + pb.metrics.answers == 1
                conflicts += pa.metrics.conflicts + pb.metrics.conflicts
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
            await w2.sessions.candidate_hello(w2.token(), "pA/c2")
            pa, pb = (
                w2.other("pA"),
                Sessions(store_b, {battery.id: battery}, Metrics(), "pB", clock=lambda: w2.clock[0]),
            )
            outs = await asyncio.gather(*(p.candidate_answer(w2.sid(), "pA/c2", 1, 3) for p in (pa, pb, pa, pb)))
            assert len({tuple(o.frames) for o in outs}) == 1
            answers = [a.get("outcome") for a in await w2.audit() if a["kind"] == "answer"]
            assert sorted(answers, key=str) == [None, "duplicate", "duplicate", "duplicate"]
        finally:
            await store_a.close()
            await store_b.close()

    run(go)


def test_a_lost_race_does_not_count_an_unsent_time_up(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.sessions.candidate_hello(w.token(), "p1/c1")
        w.advance(LIMIT_1 + 1)
        barrier, gate = asyncio.Barrier(2), asyncio.Event()
        candidate, proctor = racer(w.store, barrier, "p1", w), racer(w.store, barrier, "p1", w)
        candidate.store = _Gated(candidate.store, wait_for=gate)  # type: ignore[assignment]
        proctor.store = _Gated(proctor.store, then_set=gate)  # type: ignore[assignment]
        # both load the same version; the proctor's pause commits first; the late answer then finds it paused
        results = await asyncio.gather(
            candidate.candidate_answer(w.sid(), "p1/c1", 1, 0),
            proctor.proctor_command(w.room_id, cmd("pause", w.sid())),
            return_exceptions=True,
        )
        assert isinstance(results[0], Refused) and results[0].code == "paused"
        assert candidate.metrics.conflicts == 1
        assert candidate.metrics.errors["time_up"] == 0

    run(go)


def test_a_record_remembered_by_a_process_that_another_process_moved_on_is_loaded_again(battery: Battery) -> None:
    """Each process remembers the last record it wrote, to skip a load; another process's commit makes it stale,
    and the version check then has it loaded again: no answer lost or doubled, no conflict counted."""

    async def go() -> None:
        w = await make_world(battery)
        p1, p2 = w.sessions, w.other("p2")
        await p1.candidate_hello(w.token(), "p1/c1")
        for n in range(2):  # alternate processes for the same connection id (a load balancer moving it)
            for proc in (p1, p2):
                seq = (await w.state()).seq
                w.advance(1)
                await proc.candidate_answer(w.sid(), "p1/c1", seq, n)
        state = await w.state()
        assert state.seq == 5 and len(state.done) == 1 and len(state.items) == 1
        assert p1.metrics.conflicts == 0 and p2.metrics.conflicts == 0
        assert p1.metrics.answers + p2.metrics.answers == 4
        # a proctor's pause through p2; p1's remembered record says active, the store says paused
        await p2.proctor_command(w.room_id, cmd("pause", w.sid()))
        failure = await refused(p1.candidate_answer(w.sid(), "p1/c1", state.seq, 0))
        assert failure.code == "paused" and (await w.state()).seq == state.seq
        await p2.proctor_command(w.room_id, cmd("resume", w.sid()))
        reply = frame((await p1.candidate_answer(w.sid(), "p1/c1", state.seq, 0)).frames[-1])
        assert reply["seq"] == state.seq + 1
        seqs = [a["seq"] for a in await w.audit() if a["kind"] == "answer"]
        assert seqs == [1, 2, 3, 4, 5]

    run(go)
