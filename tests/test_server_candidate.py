"""cat_engine.server.candidate: the candidate's use cases over a store, with a fake clock (tests/server_world.py)."""

from __future__ import annotations

import orjson
import pytest
from server_world import (
    FORBIDDEN_KEYS,
    ITEMS,
    LIMIT_1,
    LIMIT_2,
    T0,
    cmd,
    finish_battery,
    frame,
    keys_anywhere,
    make_battery,
    make_world,
    refused,
    run,
)

from cat_engine import codec
from cat_engine.battery import Battery
from cat_engine.session import Phase


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    return make_battery(tmp_path_factory.mktemp("battery"))


# --- candidate -------------------------------------------------------------------------------------------------


def test_hello_starts_the_battery_and_returns_the_first_item(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        assert (await w.state()).phase is Phase.READY
        sid, out = await w.process.candidates.hello(w.token(), "p1/c1")
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
        state = codec.decode(battery, rec.state)
        assert (state.phase, state.connected, state.seq) == (Phase.ACTIVE, True, 1)
        assert [e["event"]["type"] for e in await w.events()] == ["connected", "item_presented"]
        assert [a["kind"] for a in await w.audit()] == ["hello", "presented"]
        # an unknown token
        assert (await refused(w.process.candidates.hello("nope", "p1/c2"))).code == "bad_token"

    run(go)


def test_answer_is_applied_once_and_a_resend_gets_the_same_bytes(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        _, out = await w.process.candidates.hello(w.token(), "p1/c1")
        nxt_item_id = frame(out.frames[0])["item"]["id"]
        w.advance(7)
        first = await w.process.candidates.answer(w.sid(), "p1/c1", 1, 2)
        assert len(first.frames) == 1 and first.applied
        nxt = frame(first.frames[0])
        assert (nxt["type"], nxt["seq"], nxt["time_left_s"]) == ("item", 2, LIMIT_1 - 7)
        assert nxt["progress"]["answered"] == 1
        before = await w.fingerprint()
        version = (await w.load()).version
        w.advance(5)  # the resend's reply is the stored one: its time_left_s is stale on purpose
        for response in (2, 0):  # whatever the resend carries, the first answer stands
            again = await w.process.candidates.answer(w.sid(), "p1/c1", 1, response)
            assert again.frames == first.frames and not again.applied
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
        assert (await w.state()).responses == (2,)

    run(go)


def test_wrong_seq_and_bad_response_change_nothing(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.process.candidates.hello(w.token(), "p1/c1")
        before = await w.fingerprint()
        for seq in (0, -1, 2, 99, 10**15, -(2**63)):  # any integer (docs/protocol.md, wrong_seq)
            r = await refused(w.process.candidates.answer(w.sid(), "p1/c1", seq, 0))
            assert (r.code, r.close) == ("wrong_seq", None)
        for response in (-1, 4, 10**9, 2**63 - 1):  # the items have four options
            r = await refused(w.process.candidates.answer(w.sid(), "p1/c1", 1, response))
            assert (r.code, r.close) == ("bad_response", None)
        assert await w.fingerprint() == before
        # refusals raised by the use case are counted when the endpoint sends them (test_server_candidate_ws.py)
        assert w.process.tx.metrics.value("cat_errors_total", code="bad_response") == 0

    run(go)


def test_a_second_hello_takes_the_session_over(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        _, first = await w.process.candidates.hello(w.token(), "p1/c1")
        w.advance(3)
        _, second = await w.process.candidates.hello(w.token(), "p1/c2")
        a, b = frame(first.frames[0]), frame(second.frames[0])
        assert (a["seq"], a["item"]) == (b["seq"], b["item"])  # the same item again
        assert b["time_left_s"] == LIMIT_1 - 3  # the clock went on through the takeover
        assert w.notes == [(w.sid(), {"kind": "takeover", "owner": "p1/c2", "old": "p1/c1"})]
        assert (await w.load()).owner == "p1/c2"
        before = await w.fingerprint()
        r = await refused(w.process.candidates.answer(w.sid(), "p1/c1", 1, 0))
        assert (r.code, r.close) == ("taken_over", 4002)
        r = await refused(w.process.candidates.refresh(w.sid(), "p1/c1", "paused"))
        assert r.code == "taken_over"
        assert (await w.process.candidates.tick(w.sid(), "p1/c1")).frames == []
        await w.process.candidates.goodbye(w.sid(), "p1/c1")  # the old connection closing stops nothing
        assert await w.fingerprint() == before
        out = await w.process.candidates.answer(w.sid(), "p1/c2", 1, 0)
        assert frame(out.frames[0])["seq"] == 2

    run(go)


def test_the_clock_runs_only_while_connected_and_not_paused(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.process.candidates.hello(w.token(), "p1/c1")
        w.advance(10)
        assert (await w.view())["time_left_s"] == LIMIT_1 - 10
        await w.process.candidates.goodbye(w.sid(), "p1/c1")
        rec = await w.load()
        assert rec.owner == ""
        w.advance(1000)  # disconnected: no time passes
        view = await w.view()
        assert (view["connected"], view["time_left_s"]) == (False, LIMIT_1 - 10)
        assert (await w.process.candidates.tick(w.sid(), "")).frames == []  # nobody owns it; nothing to end
        _, out = await w.process.candidates.hello(w.token(), "p1/c2")
        item = frame(out.frames[0])
        assert (item["seq"], item["time_left_s"]) == (1, LIMIT_1 - 10)
        w.advance(5)
        ack = frame(await w.process.proctors.command(w.room_id, cmd("pause", w.sid(), reason="toilet")))
        assert ack["results"] == [{"session_id": w.sid(), "ok": True}]
        w.advance(500)  # paused: no time passes
        view = await w.view()
        assert (view["phase"], view["time_left_s"], view["pause_reason"]) == ("paused", LIMIT_1 - 15, "toilet")
        await w.process.proctors.command(w.room_id, cmd("resume", w.sid()))
        refresh = await w.process.candidates.refresh(w.sid(), "p1/c2", "resumed")
        item = frame(refresh.frames[0])
        assert (item["type"], item["seq"], item["time_left_s"]) == ("item", 1, LIMIT_1 - 15)
        assert refresh.deadline_ms == w.process.tx.now_ms() + (LIMIT_1 - 15) * 1000
        w.advance(4)
        assert (await w.view())["time_left_s"] == LIMIT_1 - 19

    run(go)


def test_goodbye_stops_the_clock_once(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.process.candidates.hello(w.token(), "p1/c1")
        w.advance(2)
        await w.process.candidates.goodbye(w.sid(), "p1/c1")
        state = await w.state()
        assert (state.connected, state.running_since_ms, state.used_ms) == (False, None, 2000)
        assert [e["event"]["type"] for e in await w.events()][-1] == "disconnected"
        before = await w.fingerprint()
        await w.process.candidates.goodbye(w.sid(), "p1/c1")  # a second goodbye changes nothing
        assert await w.fingerprint() == before

    run(go)


def test_tick_ends_a_timed_out_subtest_and_presents_the_next(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.process.candidates.hello(w.token(), "p1/c1")
        await w.process.candidates.answer(w.sid(), "p1/c1", 1, 0)
        w.advance(LIMIT_1 - 1)
        before = await w.fingerprint()
        early = await w.process.candidates.tick(w.sid(), "p1/c1")  # a timer that fired early changes nothing
        assert early.frames == []
        assert early.deadline_ms == w.process.tx.now_ms() + 1000
        assert await w.fingerprint() == before
        w.advance(1)
        out = await w.process.candidates.tick(w.sid(), "p1/c1")
        assert len(out.frames) == 1
        item = frame(out.frames[0])
        assert (item["type"], item["seq"], item["subtest"]["id"]) == ("item", 3, "s2")
        assert item["previous_subtest"] == {"id": "s1", "name": "Subtest s1", "reason": "time_up"}
        assert item["progress"] == {"answered": 0, "max_items": ITEMS, "subtests_done": 1, "subtests_total": 2}
        assert item["time_left_s"] == LIMIT_2
        assert out.deadline_ms == w.process.tx.now_ms() + LIMIT_2 * 1000
        types = [e["event"]["type"] for e in await w.events()]
        assert types[-2:] == ["subtest_done", "item_presented"]
        # an answer for the old item that arrives after the timeout was processed: wrong_seq, nothing changes
        before = await w.fingerprint()
        assert (await refused(w.process.candidates.answer(w.sid(), "p1/c1", 2, 0))).code == "wrong_seq"
        assert await w.fingerprint() == before
        # the answer applied before the timeout is still a resend with its stored reply
        assert frame((await w.process.candidates.answer(w.sid(), "p1/c1", 1, 0)).frames[0])["seq"] == 2

    run(go)


def test_an_answer_after_the_time_ran_out_gets_time_up_then_what_comes_next(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.process.candidates.hello(w.token(), "p1/c1")
        w.advance(LIMIT_1 + 30)
        out = await w.process.candidates.answer(w.sid(), "p1/c1", 1, 0)
        assert len(out.frames) == 2
        err, item = frame(out.frames[0]), frame(out.frames[1])
        assert (err["type"], err["code"]) == ("error", "time_up")
        assert (item["type"], item["seq"], item["previous_subtest"]["reason"]) == ("item", 2, "time_up")
        assert w.process.tx.metrics.value("cat_errors_total", code="time_up") == 1
        assert not out.applied
        state = await w.state()
        assert state.done[0].items == ()  # the late answer was not applied
        audit = [a for a in await w.audit() if a["kind"] == "answer"]
        assert audit[-1]["outcome"] == "time_up"
        # the same in the last subtest: time_up, then finished; the result is stored
        w.advance(LIMIT_2 + 1)
        out = await w.process.candidates.answer(w.sid(), "p1/c1", 2, 1)
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
        await w.process.candidates.hello(w.token(), "p1/c1")
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
        resend = await w.process.candidates.answer(w.sid(), "p1/c1", 2 * ITEMS, 0)
        assert resend.frames == [last] and resend.end  # the stored reply, then the connection ends
        final = {"type": "finished", "profile": fin["profile"]}
        # any other seq (an earlier item's included): the final state and the end, never a stored item frame
        for seq in (1, 2 * ITEMS - 1, 2 * ITEMS + 1, 10**12, 0, -5):
            out = await w.process.candidates.answer(w.sid(), "p1/c1", seq, 0)
            assert [frame(f) for f in out.frames] == [final] and out.end and not out.applied
        _, out = await w.process.candidates.hello(w.token(), "p1/c9")  # finished: said, taken over by nobody
        assert [frame(f) for f in out.frames] == [final] and out.end
        # a finished battery has no owner: another connection's resend still gets the stored reply
        assert (await w.process.candidates.answer(w.sid(), "p1/c1", 2 * ITEMS, 3)).frames == [last]
        added = await w.only_audited(before)
        assert [(a["kind"], a.get("outcome"), a["conn"]) for a in added] == [
            ("answer", "duplicate", "p1/c1"),
            *[("answer", "finished", "p1/c1")] * 6,
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
            await dead.candidates.hello(w.token(n), f"deadproc/x{n}")
        t0_ms = int(T0 * 1000)
        w.advance(30)
        # the process beat 10 s after the hellos and then died (20 s of silence > 3 beat intervals)
        await w.store.beat("deadproc", t0_ms + 10_000)
        _, out = await w.process.candidates.hello(w.token(0), "p1/y0")
        assert frame(out.frames[0])["time_left_s"] == LIMIT_1 - 10
        assert (w.sid(0), {"kind": "takeover", "owner": "p1/y0", "old": "deadproc/x0"}) in w.notes
        # a process that beat 2 s ago is alive: its connection's clock ran until now
        await w.store.beat("deadproc", t0_ms + 28_000)
        _, out = await w.process.candidates.hello(w.token(1), "p1/y1")
        assert frame(out.frames[0])["time_left_s"] == LIMIT_1 - 30
        # a connection of this very process: until now
        _, out = await w.process.candidates.hello(w.token(1), "p1/y1b")
        assert frame(out.frames[0])["time_left_s"] == LIMIT_1 - 30

    run(go)


def test_a_stale_owner_with_no_heartbeat_on_record_stops_when_last_seen(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.other("gone").candidates.hello(w.token(), "gone/x")  # last seen now; no heartbeat ever stored
        w.advance(12)
        await w.other("gone").candidates.answer(w.sid(), "gone/x", 1, 0)  # last seen 12 s in
        w.advance(100)
        _, out = await w.process.candidates.hello(w.token(), "p1/y")
        assert frame(out.frames[0])["time_left_s"] == LIMIT_1 - 12

    run(go)


def test_last_seen_follows_the_candidate_not_the_proctor(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.process.candidates.hello(w.token(), "p1/c1")
        seen = (await w.view())["last_seen_ms"]
        assert seen == w.process.tx.now_ms()
        w.advance(40)
        await w.process.proctors.command(w.room_id, cmd("pause", w.sid()))
        await w.process.proctors.command(w.room_id, cmd("extend", w.sid(), seconds=5.0))
        assert (await w.view())["last_seen_ms"] == seen
        w.advance(5)
        await w.process.candidates.goodbye(w.sid(), "p1/c1")
        assert (await w.view())["last_seen_ms"] == seen + 45_000

    run(go)


def test_extending_a_paused_session_tells_the_candidate_the_time(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.process.candidates.hello(w.token(), "p1/c1")
        await w.process.proctors.command(w.room_id, cmd("pause", w.sid()))
        await w.process.proctors.command(w.room_id, cmd("extend", w.sid(), seconds=60.0))
        out = await w.process.candidates.refresh(w.sid(), "p1/c1", "time_extended")
        assert [frame(f) for f in out.frames] == [{"type": "time", "time_left_s": LIMIT_1 + 60}]

    run(go)


def test_refresh_after_proctor_commands(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.process.candidates.hello(w.token(), "p1/c1")
        await w.process.proctors.command(w.room_id, cmd("extend", w.sid(), seconds=30.0))
        assert w.notes[-1] == (w.sid(), {"kind": "time_extended"})
        out = await w.process.candidates.refresh(w.sid(), "p1/c1", "time_extended")
        assert [frame(f) for f in out.frames] == [{"type": "time", "time_left_s": LIMIT_1 + 30}]
        assert out.deadline_ms == w.process.tx.now_ms() + (LIMIT_1 + 30) * 1000
        await w.process.proctors.command(w.room_id, cmd("pause", w.sid(), reason="istirahat"))
        out = await w.process.candidates.refresh(w.sid(), "p1/c1", "paused")
        assert [frame(f) for f in out.frames] == [{"type": "paused", "reason": "istirahat"}]
        assert out.deadline_ms is None
        # a hello while paused says paused too
        _, out = await w.process.candidates.hello(w.token(), "p1/c2")
        assert frame(out.frames[0]) == {"type": "paused", "reason": "istirahat"}
        await w.process.proctors.command(w.room_id, cmd("terminate", None, reason="curang"))
        r = await refused(w.process.candidates.refresh(w.sid(), "p1/c2", "terminated"))
        assert (r.code, r.close) == ("terminated", 4003)

    run(go)
