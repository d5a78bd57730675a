"""cat_engine.server.candidate: the candidate's use cases over a store, with a fake clock (tests/server_world.py)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from server_world import (
    FORBIDDEN_KEYS,
    ITEMS,
    LIMIT_1,
    LIMIT_2,
    T0,
    World,
    cmd,
    demo_battery,
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
from cat_engine.options import item_option_order
from cat_engine.server.redis_store import RedisStore
from cat_engine.session import Phase
from load_tests.procs import RedisServer


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    return make_battery(tmp_path_factory.mktemp("battery"))


# --- candidate -------------------------------------------------------------------------------------------------


def test_hello_welcome_then_start_intro_then_start_presents_the_first_item(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        cases = w.process.candidates
        assert (await w.state()).phase is Phase.READY
        sid, out = await cases.hello(w.token(), "p1/c1")
        assert sid == w.sid()
        assert [frame(f)["type"] for f in out.frames] == ["welcome"]
        assert out.deadline_ms is None and not out.end  # no clock runs before the start
        rec = await w.load()
        assert rec.owner == "p1/c1"
        state = codec.decode(battery, rec.state)
        assert (state.phase, state.connected, state.seq) == (Phase.READY, True, 0)
        # start: the battery begins with the first subtest's intro; its clock has not started
        out = await cases.start(sid, "p1/c1", None)
        intro = frame(out.frames[0])
        assert len(out.frames) == 1 and intro["type"] == "subtest_intro"
        assert intro["subtest"] == {
            "index": 0,
            "id": "s1",
            "name": "Subtest s1",
            "count": 2,
            "items_max": ITEMS,
            "instructions": None,
        }
        assert (intro["time_limit_s"], intro["starts_in_s"]) == (LIMIT_1, cases.intro_limit_ms / 1000)
        assert "previous_subtest" not in intro
        assert out.deadline_ms == int(T0 * 1000) + cases.intro_limit_ms  # the intro's own end
        assert (await w.state()).phase is Phase.INTRO
        # start naming the intro's subtest: the first item, and the subtest's clock starts now
        out = await cases.start(sid, "p1/c1", 0)
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
        types = [e["event"]["type"] for e in await w.events()]
        assert types == ["connected", "started", "subtest_intro", "item_presented"]
        audit = await w.audit()
        assert [a["kind"] for a in audit] == ["hello", "start", "start", "presented"]
        assert [(a["conn"], a["subtest"], "outcome" in a) for a in audit if a["kind"] == "start"] == [
            ("p1/c1", None, False),
            ("p1/c1", 0, False),
        ]
        # an unknown token
        assert (await refused(w.process.candidates.hello("nope", "p1/c2"))).code == "bad_token"

    run(go)


def test_answer_is_applied_once_and_a_resend_gets_the_same_bytes(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        out = await w.sit("p1/c1")
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
        state = await w.state()
        order = item_option_order(battery.subtests[0].pool, state.seed, 0, state.items[0])
        assert state.responses == (order[2],)  # the stored option shown at position 2
        assert answers[0]["option"] == order[2]

    run(go)


def test_a_resend_of_the_answer_that_ended_a_subtest_gets_the_stored_intro(battery: Battery) -> None:
    """The reply to a subtest's last answer is the next intro; a resend of that answer (its reply was lost, the
    client reconnected and the hello showed the intro) gets that reply again, byte for byte, and changes nothing
    (docs/protocol.md, "Exactly once"; the client resends before any start)."""

    async def go() -> None:
        w = await make_world(battery)
        cases = w.process.candidates
        await w.sit("p1/c1")
        for seq in range(1, ITEMS + 1):
            w.advance(1)
            out = await cases.answer(w.sid(), "p1/c1", seq, 0)
        intro = out.frames
        assert frame(intro[0])["type"] == "subtest_intro" and out.applied
        w.advance(5)
        _, hello = await cases.hello(w.token(), "p1/c2")  # a reconnect shows the same intro
        assert frame(hello.frames[0])["subtest"]["index"] == 1
        before = await w.fingerprint()
        for response in (0, 2):  # whatever the resend carries, the first answer stands
            again = await cases.answer(w.sid(), "p1/c2", ITEMS, response)
            assert again.frames == intro and not again.applied
        added = await w.only_audited(before)
        assert [(a["kind"], a["seq"], a["outcome"]) for a in added] == [("answer", ITEMS, "duplicate")] * 2

    run(go)


def test_wrong_seq_and_bad_response_change_nothing(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.sit("p1/c1")
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
        first = await w.sit("p1/c1")
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
        await w.sit("p1/c1")
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
        await w.sit("p1/c1")
        w.advance(2)
        await w.process.candidates.goodbye(w.sid(), "p1/c1")
        state = await w.state()
        assert (state.connected, state.running_since_ms, state.used_ms) == (False, None, 2000)
        assert [e["event"]["type"] for e in await w.events()][-1] == "disconnected"
        before = await w.fingerprint()
        await w.process.candidates.goodbye(w.sid(), "p1/c1")  # a second goodbye changes nothing
        assert await w.fingerprint() == before

    run(go)


def test_tick_ends_a_timed_out_subtest_and_shows_the_next_intro(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        cases = w.process.candidates
        await w.sit("p1/c1")
        await cases.answer(w.sid(), "p1/c1", 1, 0)
        w.advance(LIMIT_1 - 1)
        before = await w.fingerprint()
        early = await cases.tick(w.sid(), "p1/c1")  # a timer that fired early changes nothing
        assert early.frames == []
        assert early.deadline_ms == cases.tx.now_ms() + 1000
        assert await w.fingerprint() == before
        w.advance(1)
        out = await cases.tick(w.sid(), "p1/c1")
        assert len(out.frames) == 1
        assert frame(out.frames[0]) == {
            "type": "subtest_intro",
            "subtest": {
                "index": 1,
                "id": "s2",
                "name": "Subtest s2",
                "count": 2,
                "items_max": ITEMS,
                "instructions": None,
            },
            "time_limit_s": LIMIT_2,
            "starts_in_s": cases.intro_limit_ms / 1000,
            "previous_subtest": {"id": "s1", "name": "Subtest s1", "reason": "time_up"},
        }
        assert out.deadline_ms == cases.tx.now_ms() + cases.intro_limit_ms  # during an intro: the intro's end
        types = [e["event"]["type"] for e in await w.events()]
        assert types[-2:] == ["subtest_done", "subtest_intro"]
        # an answer for the old item that arrives once the intro is shown: not_started, nothing changes
        before = await w.fingerprint()
        assert (await refused(cases.answer(w.sid(), "p1/c1", 2, 0))).code == "not_started"
        assert await w.fingerprint() == before
        # the answer applied before the timeout is still a resend with its stored reply
        assert frame((await cases.answer(w.sid(), "p1/c1", 1, 0)).frames[0])["seq"] == 2
        # the next subtest starts with a fresh clock
        out = await cases.start(w.sid(), "p1/c1", 1)
        item = frame(out.frames[0])
        assert (item["type"], item["seq"], item["subtest"]["id"]) == ("item", 3, "s2")
        assert "previous_subtest" not in item  # items carry none: the intro told it
        assert item["progress"] == {"answered": 0, "max_items": ITEMS, "subtests_done": 1, "subtests_total": 2}
        assert item["time_left_s"] == LIMIT_2
        assert out.deadline_ms == cases.tx.now_ms() + LIMIT_2 * 1000
        # and an answer for the old item now: wrong_seq, nothing changes
        before = await w.fingerprint()
        assert (await refused(cases.answer(w.sid(), "p1/c1", 2, 0))).code == "wrong_seq"
        assert await w.fingerprint() == before

    run(go)


def test_an_answer_after_the_time_ran_out_gets_time_up_then_what_comes_next(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        cases = w.process.candidates
        await w.sit("p1/c1")
        w.advance(LIMIT_1 + 30)
        out = await cases.answer(w.sid(), "p1/c1", 1, 0)
        assert len(out.frames) == 2
        err, intro = frame(out.frames[0]), frame(out.frames[1])
        assert (err["type"], err["code"]) == ("error", "time_up")
        assert (intro["type"], intro["subtest"]["index"], intro["previous_subtest"]["reason"]) == (
            "subtest_intro",
            1,
            "time_up",
        )
        assert out.deadline_ms == cases.tx.now_ms() + cases.intro_limit_ms
        assert w.process.tx.metrics.value("cat_errors_total", code="time_up") == 1
        assert not out.applied
        state = await w.state()
        assert state.done[0].items == ()  # the late answer was not applied
        audit = [a for a in await w.audit() if a["kind"] == "answer"]
        assert audit[-1]["outcome"] == "time_up"
        # the same in the last subtest: time_up, then finished; the result is stored
        item = frame((await cases.start(w.sid(), "p1/c1", 1)).frames[0])
        assert (item["type"], item["seq"]) == ("item", 2)
        w.advance(LIMIT_2 + 1)
        out = await cases.answer(w.sid(), "p1/c1", 2, 1)
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
        await w.sit("p1/c1")
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
            await w.sit(f"deadproc/x{n}", n, dead)
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
        await w.sit("gone/x", proc=w.other("gone"))  # last seen now; no heartbeat ever stored
        w.advance(12)
        await w.other("gone").candidates.answer(w.sid(), "gone/x", 1, 0)  # last seen 12 s in
        w.advance(100)
        _, out = await w.process.candidates.hello(w.token(), "p1/y")
        assert frame(out.frames[0])["time_left_s"] == LIMIT_1 - 12

    run(go)


def test_last_seen_follows_the_candidate_not_the_proctor(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.sit("p1/c1")
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
        await w.sit("p1/c1")
        await w.process.proctors.command(w.room_id, cmd("pause", w.sid()))
        await w.process.proctors.command(w.room_id, cmd("extend", w.sid(), seconds=60.0))
        assert w.notes[-1] == (w.sid(), {"kind": "time_extended", "extra_ms": 60_000})
        out = await w.process.candidates.refresh(w.sid(), "p1/c1", "time_extended", 60_000)
        assert [frame(f) for f in out.frames] == [{"type": "time", "time_left_s": LIMIT_1 + 60, "extended_s": 60}]

    run(go)


def test_refresh_after_proctor_commands(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        await w.sit("p1/c1")
        await w.process.proctors.command(w.room_id, cmd("extend", w.sid(), seconds=30.0))
        assert w.notes[-1] == (w.sid(), {"kind": "time_extended", "extra_ms": 30_000})  # what was added
        out = await w.process.candidates.refresh(w.sid(), "p1/c1", "time_extended", 30_000)
        assert [frame(f) for f in out.frames] == [{"type": "time", "time_left_s": LIMIT_1 + 30, "extended_s": 30}]
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


# --- before the battery: welcome, waiting --------------------------------------------------------------------------


def test_the_welcome_says_who_the_token_is_and_what_the_battery_holds_without_keys() -> None:
    async def go() -> None:
        demo = demo_battery()
        assert demo.instructions is not None and demo.practice  # the demo battery has both (item_pools/)
        w = await make_world(demo)
        _, out = await w.process.candidates.hello(w.token(), "p1/c1")
        assert len(out.frames) == 1
        welcome = frame(out.frames[0])
        assert welcome == {
            "type": "welcome",
            "candidate": {"name": w.cands[0]["name"], "employee_id": w.cands[0]["employee_id"]},
            "battery": {
                "name": demo.name,
                "subtests": [
                    {"id": s.id, "name": s.name, "items_max": s.stopping.max_items, "time_limit_s": s.time_limit_s}
                    for s in demo.subtests
                ],
            },
            "instructions": {"id": demo.instructions.id, "en": demo.instructions.en},
            "practice": [
                {
                    "id": p.id,
                    "stem": {"id": p.stem.id, "en": p.stem.en},
                    "options": [{"id": o.id, "en": o.en} for o in p.options],
                }
                for p in demo.practice
            ],
        }
        assert welcome["candidate"] == {"name": "Peserta 1", "employee_id": "E001"}
        assert not keys_anywhere(welcome) & FORBIDDEN_KEYS
        # the subtest's intro carries its own instructions, and no keys either
        intro = frame((await w.process.candidates.start(w.sid(), "p1/c1", None)).frames[0])
        first = demo.subtests[0]
        assert first.instructions is not None
        assert intro["subtest"]["instructions"] == {"id": first.instructions.id, "en": first.instructions.en}
        assert (intro["subtest"]["id"], intro["subtest"]["count"]) == (first.id, len(demo.subtests))
        assert not keys_anywhere(intro) & FORBIDDEN_KEYS

    run(go)


def test_a_battery_without_instructions_or_practice_welcomes_with_null_and_none(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        _, out = await w.process.candidates.hello(w.token(), "p1/c1")
        welcome = frame(out.frames[0])
        assert (welcome["instructions"], welcome["practice"]) == (None, [])
        assert welcome["battery"]["subtests"] == [
            {"id": "s1", "name": "Subtest s1", "items_max": ITEMS, "time_limit_s": LIMIT_1},
            {"id": "s2", "name": "Subtest s2", "items_max": ITEMS, "time_limit_s": LIMIT_2},
        ]
        # a reconnect before the start: the welcome again, nothing started
        w.advance(30)
        _, again = await w.process.candidates.hello(w.token(), "p1/c2")
        assert again.frames == out.frames and again.deadline_ms is None
        assert (await w.state()).phase is Phase.READY

    run(go)


def test_a_closed_room_keeps_the_candidate_waiting_and_refuses_to_start(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery, is_open=False)
        cases = w.process.candidates
        _, out = await cases.hello(w.token(), "p1/c1")
        assert [frame(f) for f in out.frames] == [{"type": "waiting", "reason": "room_closed"}]
        assert not out.end and out.deadline_ms is None  # the connection stays open
        view = await w.view()
        assert (view["phase"], view["connected"]) == ("ready", True)
        before = await w.fingerprint()
        out = await cases.start(w.sid(), "p1/c1", None)
        assert [frame(f) for f in out.frames] == [{"type": "waiting", "reason": "room_closed"}]
        added = await w.only_audited(before)  # nothing started
        assert [(a["kind"], a["subtest"], a["outcome"]) for a in added] == [("start", None, "room_closed")]
        assert (await w.state()).phase is Phase.READY
        # a refresh for anything but the room opening sends nothing
        assert (await cases.refresh(w.sid(), "p1/c1", "paused")).frames == []

    run(go)


# --- start: harmless to repeat -----------------------------------------------------------------------------------


def test_a_start_that_matches_nothing_waiting_changes_nothing_but_the_audit(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        cases = w.process.candidates

        async def ignored(subtest: int | None) -> list[bytes]:
            before = await w.fingerprint()
            out = await cases.start(w.sid(), "p1/c1", subtest)
            added = await w.only_audited(before)
            assert [(a["kind"], a["conn"], a["subtest"], a["outcome"]) for a in added] == [
                ("start", "p1/c1", subtest, "ignored")
            ]
            assert not out.end
            return out.frames

        _, hello = await cases.hello(w.token(), "p1/c1")
        assert await ignored(0) == hello.frames  # a subtest while the welcome is shown: the welcome again
        intro = (await cases.start(w.sid(), "p1/c1", None)).frames
        w.advance(10)
        subtests: tuple[int | None, ...] = (1, -1, 7)
        for subtest in subtests:  # a subtest other than the intro's: the same intro, ten seconds on
            shown = await ignored(subtest)
            assert len(shown) == 1
            assert frame(shown[0]) == {**frame(intro[0]), "starts_in_s": cases.intro_limit_ms / 1000 - 10}
        assert (await w.state()).phase is Phase.INTRO
        item = (await cases.start(w.sid(), "p1/c1", 0)).frames
        w.advance(2)
        for subtest in (None, 0, 1):  # an item is presented: the same item (time_left_s of now)
            shown = await ignored(subtest)
            assert [frame(f) for f in shown] == [{**frame(item[0]), "time_left_s": LIMIT_1 - 2}]
        await w.process.proctors.command(w.room_id, cmd("pause", w.sid(), reason="istirahat"))
        for subtest in (None, 0):  # paused: paused
            assert [frame(f) for f in await ignored(subtest)] == [{"type": "paused", "reason": "istirahat"}]

    run(go)


def test_a_start_without_subtest_begins_the_intro_shown(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        cases = w.process.candidates
        await cases.hello(w.token(), "p1/c1")
        await cases.start(w.sid(), "p1/c1", None)
        out = await cases.start(w.sid(), "p1/c1", None)
        item = frame(out.frames[0])
        assert (item["type"], item["seq"], item["subtest"]["index"]) == ("item", 1, 0)
        starts = [a for a in await w.audit() if a["kind"] == "start"]
        assert [(a["subtest"], a.get("outcome")) for a in starts] == [(None, None), (0, None)]  # the subtest begun

    run(go)


def test_a_start_after_the_end_gets_the_end(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery, n=2)
        cases = w.process.candidates
        await w.sit("p1/c1")
        last = frame(await finish_battery(w, "p1/c1"))
        final = {"type": "finished", "profile": last["profile"]}
        before = await w.fingerprint()
        for subtest in (None, 0, 1):
            out = await cases.start(w.sid(), "p1/c1", subtest)
            assert [frame(f) for f in out.frames] == [final] and out.end
        out = await cases.start(w.sid(), "p1/c9", None)  # from any connection: a finished battery has no owner
        assert [frame(f) for f in out.frames] == [final] and out.end
        added = await w.only_audited(before)
        assert [(a["kind"], a["subtest"], a["outcome"]) for a in added] == [
            ("start", None, "finished"),
            ("start", 0, "finished"),
            ("start", 1, "finished"),
            ("start", None, "finished"),
        ]
        # terminated, at the welcome or in an intro: the error terminated, nothing stored
        await cases.hello(w.token(1), "p1/d1")
        await w.process.proctors.command(w.room_id, cmd("terminate", w.sid(1), reason="curang"))
        before = await w.fingerprint()
        for subtest in (None, 0):
            r = await refused(cases.start(w.sid(1), "p1/d1", subtest))
            assert (r.code, r.close, r.detail) == ("terminated", 4003, "curang")
        assert await w.fingerprint() == before

    run(go)


def test_a_start_from_a_connection_taken_over_is_refused(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        cases = w.process.candidates
        await cases.hello(w.token(), "p1/c1")
        await cases.hello(w.token(), "p1/c2")
        before = await w.fingerprint()
        r = await refused(cases.start(w.sid(), "p1/c1", None))
        assert (r.code, r.close) == ("taken_over", 4002)
        assert await w.fingerprint() == before

    run(go)


# --- the intro: its own limit, reconnects, answers -----------------------------------------------------------------


def test_an_intro_left_alone_starts_the_subtest_by_itself(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        cases = w.process.candidates
        limit_ms = cases.intro_limit_ms
        await cases.hello(w.token(), "p1/c1")
        shown = await cases.start(w.sid(), "p1/c1", None)
        intro_end = cases.tx.now_ms() + limit_ms
        assert shown.deadline_ms == intro_end
        w.advance(limit_ms / 1000 - 1)
        before = await w.fingerprint()
        early = await cases.tick(w.sid(), "p1/c1")  # the connection's timer fired early: nothing happens
        assert (early.frames, early.deadline_ms) == ([], intro_end)
        assert await w.fingerprint() == before
        assert (await cases.tick(w.sid(), "p1/c9")).frames == []  # not the owner's timer: nothing either
        assert await w.fingerprint() == before
        w.advance(1)
        out = await cases.tick(w.sid(), "p1/c1")
        item = frame(out.frames[0])
        assert len(out.frames) == 1
        assert (item["type"], item["seq"], item["time_left_s"]) == ("item", 1, LIMIT_1)  # the clock starts now
        assert out.deadline_ms == intro_end + LIMIT_1 * 1000
        audit = await w.audit()
        assert [(a["kind"], a.get("subtest")) for a in audit[-2:]] == [("intro_ended", 0), ("presented", "s1")]
        assert audit[-2]["at_ms"] == intro_end
        assert [e["event"]["type"] for e in await w.events()][-1] == "item_presented"
        # the next intro, shown after the last answer of the first subtest, has a limit of its own
        for _ in range(ITEMS):
            w.advance(1)
            out = await cases.answer(w.sid(), "p1/c1", (await w.state()).seq, 0)
        assert frame(out.frames[0])["type"] == "subtest_intro"
        assert out.deadline_ms == cases.tx.now_ms() + limit_ms

    run(go)


def test_a_reconnect_during_an_intro_shows_it_again_without_restarting_its_limit(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        cases = w.process.candidates
        limit_s = cases.intro_limit_ms / 1000
        await cases.hello(w.token(), "p1/c1")
        first = frame((await cases.start(w.sid(), "p1/c1", None)).frames[0])
        intro_end = cases.tx.now_ms() + cases.intro_limit_ms
        assert first["starts_in_s"] == limit_s
        w.advance(40)
        await cases.goodbye(w.sid(), "p1/c1")
        w.advance(20)
        _, out = await cases.hello(w.token(), "p1/c2")
        again = frame(out.frames[0])
        assert again == {**first, "starts_in_s": limit_s - 60}  # the same intro, its limit not reset
        assert out.deadline_ms == intro_end
        w.advance(15)
        _, out = await cases.hello(w.token(), "p1/c3")  # a takeover too
        assert frame(out.frames[0])["starts_in_s"] == limit_s - 75
        state = await w.state()
        assert (state.phase, state.used_ms, state.seq) == (Phase.INTRO, 0, 0)  # no item, no clock
        # a hello once the limit has passed (nobody was connected to start it): the subtest begins then
        await cases.goodbye(w.sid(), "p1/c3")
        w.advance(limit_s)
        _, out = await cases.hello(w.token(), "p1/c4")
        item = frame(out.frames[0])
        assert (item["type"], item["seq"], item["time_left_s"]) == ("item", 1, LIMIT_1)

    run(go)


def test_an_answer_during_an_intro_is_not_started_and_changes_nothing(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        cases = w.process.candidates
        await cases.hello(w.token(), "p1/c1")
        before = await w.fingerprint()
        for seq in (0, 1):  # at the welcome
            r = await refused(cases.answer(w.sid(), "p1/c1", seq, 0))
            assert (r.code, r.close) == ("not_started", None)
        assert await w.fingerprint() == before
        await cases.start(w.sid(), "p1/c1", None)
        before = await w.fingerprint()
        for seq in (0, 1, 2):  # in the intro
            r = await refused(cases.answer(w.sid(), "p1/c1", seq, 0))
            assert (r.code, r.close) == ("not_started", None)
        assert await w.fingerprint() == before

    run(go)


def test_the_hello_audit_entry_records_the_device(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        cases = w.process.candidates
        await cases.hello(w.token(), "p1/c0")  # no device sent: none recorded
        await cases.hello(w.token(), "p1/c1", "dev-1234_abcd")
        await cases.hello(w.token(), "p1/c2", "dev-1234_abcd")
        await cases.hello(w.token(), "p1/c3", "OtherComputer99")  # another computer: waits for approval
        await cases.hello(w.token(), "p1/c4")  # no device, once the sitting has one: waits too
        hellos = [a for a in await w.audit() if a["kind"] == "hello"]
        assert [(a["conn"], a.get("device"), a.get("outcome")) for a in hellos] == [
            ("p1/c0", None, None),
            ("p1/c1", "dev-1234_abcd", None),
            ("p1/c2", "dev-1234_abcd", None),
            ("p1/c3", "OtherComputer99", "approval"),
            ("p1/c4", None, "approval"),
        ]
        assert "device" not in hellos[0] and "device" not in hellos[4]
        # a finished battery's hello is recorded with its device too (a finished sitting has no seat to ask for)
        await w.sit("p1/c2", device="dev-1234_abcd")
        await finish_battery(w, "p1/c2")
        await cases.hello(w.token(), "p1/c5", "dev-after-end")
        last = (await w.audit())[-1]
        assert (last["kind"], last["outcome"], last["device"]) == ("hello", "finished", "dev-after-end")

    run(go)


# --- seats: a sitting stays on its device until a proctor approves a move (docs/protocol.md, "Seats") --------------

SEAT_A, SEAT_B, SEAT_C = "lab1-seat07-aaaa", "lab2-seat11-bbbb", "lab3_seat03_cccc"
MOVES = ["pause", "extend", "terminate", "approve_seat", "deny_seat"]  # what a proctor may do while a move waits


@pytest.fixture(params=["memory", "redis"])
def store_url(request: pytest.FixtureRequest) -> str | None:
    """None for a memory store; the URL of the private Redis for a Redis store."""
    if request.param == "memory":
        return None
    redis: RedisServer = request.getfixturevalue("private_redis")
    return redis.url


def on_store(store_url: str | None, battery: Battery, body: Callable[[World], Awaitable[None]], n: int = 1) -> None:
    """Run ``body`` on a world over a memory store, or over the Redis at ``store_url`` (a prefix of its own)."""

    async def go() -> None:
        store = None if store_url is None else RedisStore(store_url, f"t-seat-{secrets.token_hex(4)}")
        try:
            await body(await make_world(battery, n=n, store=store))
        finally:
            if store is not None:
                await store.close()

    run(go)


def test_a_sitting_stays_on_its_device_until_a_proctor_approves_a_move(battery: Battery, store_url: str | None) -> None:
    async def body(w: World) -> None:
        cases, proctors, sid = w.process.candidates, w.process.proctors, w.sid()
        first = frame((await w.sit("p1/c1", device=SEAT_A)).frames[0])
        state = await w.state()
        assert (state.device, state.seat_request) == (SEAT_A, None)  # taken on the device of its first hello
        view = await w.view()
        assert (view["device"], view["seat_request"], view["allowed"]) == (SEAT_A, None, MOVES[:3])
        # the same device (a reload, a dropped link, a second tab): resumes and takes over, as always
        w.advance(2)
        _, same = await cases.hello(w.token(), "p1/c2", SEAT_A)
        again = frame(same.frames[0])
        assert not same.pending and (again["seq"], again["item"]) == (first["seq"], first["item"])
        assert (await w.load()).owner == "p1/c2"
        assert w.notes[-1] == (sid, {"kind": "takeover", "owner": "p1/c2", "old": "p1/c1"})

        # another device: it waits for approval and nothing moves
        w.advance(3)
        told, seen = len(w.notes), len(await w.events())
        _, asked = await cases.hello(w.token(), "p1/c3", SEAT_B)
        assert [frame(f) for f in asked.frames] == [{"type": "waiting", "reason": "approval"}]
        assert asked.pending and not asked.end and asked.deadline_ms is None
        rec = await w.load()
        state = codec.decode(battery, rec.state)
        assert rec.owner == "p1/c2"  # the sitting, its connection and its clock stay where they are
        assert (state.device, state.seat_request, state.connected) == (SEAT_A, SEAT_B, True)
        assert state.running_since_ms is not None
        assert len(w.notes) == told  # nobody is told to leave
        (requested,) = (await w.events())[seen:]
        assert requested["event"] == {
            "type": "seat_change_requested",
            "at_ms": cases.tx.now_ms(),
            "device": SEAT_A,
            "requested": SEAT_B,
        }
        assert (requested["view"]["device"], requested["view"]["seat_request"]) == (SEAT_A, SEAT_B)
        asked_at = cases.tx.now_ms()
        assert requested["view"]["seat_request_at_ms"] == asked_at  # when it asked
        assert requested["view"]["allowed"] == MOVES
        last = (await w.audit())[-1]
        assert (last["kind"], last["conn"], last["device"], last["outcome"]) == ("hello", "p1/c3", SEAT_B, "approval")
        # the same request again (the waiting page reloaded): recorded in the audit, no second event
        w.advance(1)
        before = await w.fingerprint()
        _, repeat = await cases.hello(w.token(), "p1/c4", SEAT_B)
        assert repeat.pending and repeat.frames == asked.frames
        added = await w.only_audited(before)
        assert [(a["kind"], a["conn"], a["device"], a["outcome"]) for a in added] == [
            ("hello", "p1/c4", SEAT_B, "approval")
        ]
        assert (await w.view())["seat_request_at_ms"] == asked_at  # still the first time it asked
        # the seated connection goes on meanwhile, its clock running (6 s so far)
        out = await cases.answer(sid, "p1/c2", first["seq"], 0)
        assert frame(out.frames[0])["seq"] == first["seq"] + 1
        assert (await w.view())["time_left_s"] == LIMIT_1 - 6

        # a decision on another device than the one waiting (the proctor saw an older request): refused, no change
        before = await w.fingerprint()
        for name in ("approve_seat", "deny_seat"):
            ack = frame(await proctors.command(w.room_id, cmd(name, sid, device=SEAT_C)))
            assert [(r["ok"], r["code"]) for r in ack["results"]] == [(False, "bad_command")]
        assert await w.fingerprint() == before

        # the proctor approves (naming the device it saw): the old connection loses the sitting, the clock stops
        # until the new one is up
        ack = frame(await proctors.command(w.room_id, cmd("approve_seat", sid, request_id="s1", device=SEAT_B)))
        assert ack == {
            "type": "ack",
            "id": "s1",
            "command": "approve_seat",
            "results": [{"session_id": sid, "ok": True}],
        }
        assert w.notes[-1] == (sid, {"kind": "seat_approved", "device": SEAT_B})  # which device may come
        rec = await w.load()
        state = codec.decode(battery, rec.state)
        assert rec.owner == ""
        assert (state.device, state.seat_request, state.connected, state.running_since_ms) == (
            SEAT_B,
            None,
            False,
            None,
        )
        approved, gone = (await w.events())[-2:]
        assert (approved["event"]["type"], approved["event"]["device"]) == ("seat_approved", SEAT_B)
        assert gone["event"]["type"] == "disconnected"
        view = gone["view"]
        assert (view["device"], view["seat_request"], view["seat_request_at_ms"], view["connected"]) == (
            SEAT_B,
            None,
            None,
            False,
        )
        entry = (await w.audit())[-1]
        assert (entry["kind"], entry["command"]) == ("proctor", "approve_seat")
        r = await refused(cases.refresh(sid, "p1/c2", "seat_approved"))
        assert (r.code, r.close) == ("taken_over", 4002)
        r = await refused(cases.answer(sid, "p1/c2", first["seq"] + 1, 0))
        assert (r.code, r.close) == ("taken_over", 4002)
        w.advance(50)  # nobody holds the sitting: no time passes
        assert (await w.view())["time_left_s"] == LIMIT_1 - 6
        # the waiting connection says hello again and takes the sitting where it is
        told = len(w.notes)
        _, moved = await cases.hello(w.token(), "p1/c3", SEAT_B)
        item = frame(moved.frames[0])
        assert not moved.pending
        assert (item["type"], item["seq"], item["time_left_s"]) == ("item", first["seq"] + 1, LIMIT_1 - 6)
        assert moved.deadline_ms == cases.tx.now_ms() + (LIMIT_1 - 6) * 1000
        rec = await w.load()
        assert rec.owner == "p1/c3" and codec.decode(battery, rec.state).connected
        assert len(w.notes) == told  # nobody held it: nobody to tell
        # now the first computer is the other one
        _, back = await cases.hello(w.token(), "p1/c5", SEAT_A)
        assert back.pending and (await w.state()).seat_request == SEAT_A

    on_store(store_url, battery, body)


def test_a_denied_move_leaves_the_sitting_where_it_is(battery: Battery, store_url: str | None) -> None:
    async def body(w: World) -> None:
        cases, proctors, sid = w.process.candidates, w.process.proctors, w.sid()
        first = frame((await w.sit("p1/c1", device=SEAT_A)).frames[0])

        async def decide(name: str) -> list[dict[str, Any]]:
            results: list[dict[str, Any]] = frame(await proctors.command(w.room_id, cmd(name, sid)))["results"]
            return results

        # nothing waits for approval: both decisions are refused and store nothing
        before = await w.fingerprint()
        for name in ("approve_seat", "deny_seat"):
            (res,) = await decide(name)
            assert (res["session_id"], res["ok"], res["code"]) == (sid, False, "bad_command")
            assert isinstance(res["message"], str) and res["message"]
        assert await w.fingerprint() == before
        # a hello without a device id, once the sitting has one: a request of "" (no id), null in the event
        _, asked = await cases.hello(w.token(), "p1/c2")
        assert asked.pending and [frame(f)["reason"] for f in asked.frames] == ["approval"]
        assert (await w.view())["seat_request"] == ""
        event = (await w.events())[-1]["event"]
        assert (event["type"], event["device"], event["requested"]) == ("seat_change_requested", SEAT_A, None)
        # a newer request from yet another device replaces it
        w.advance(4)
        _, asked = await cases.hello(w.token(), "p1/c3", SEAT_B)
        assert asked.pending and (await w.state()).seat_request == SEAT_B
        view = await w.view()
        assert (view["seat_request"], view["seat_request_at_ms"]) == (SEAT_B, cases.tx.now_ms())
        # a decision about the replaced request ("" is the device without an id) is refused
        ack = frame(await proctors.command(w.room_id, cmd("deny_seat", sid, device="")))
        assert [(r["ok"], r["code"]) for r in ack["results"]] == [(False, "bad_command")]
        assert (await w.state()).seat_request == SEAT_B
        event = (await w.events())[-1]["event"]
        assert (event["type"], event["device"], event["requested"]) == ("seat_change_requested", SEAT_A, SEAT_B)

        # denied: the sitting stays where it is; the waiting device is told
        told = len(w.notes)
        assert await decide("deny_seat") == [{"session_id": sid, "ok": True}]
        assert w.notes[told:] == [(sid, {"kind": "seat_denied", "device": SEAT_B})]
        rec = await w.load()
        state = codec.decode(battery, rec.state)
        assert rec.owner == "p1/c1"
        assert (state.device, state.seat_request, state.connected) == (SEAT_A, None, True)
        assert state.running_since_ms is not None
        denied = (await w.events())[-1]
        assert (denied["event"]["type"], denied["event"]["device"]) == ("seat_denied", SEAT_B)
        assert (denied["view"]["seat_request"], denied["view"]["seat_request_at_ms"]) == (None, None)
        assert denied["view"]["allowed"] == MOVES[:3]
        assert [a["command"] for a in await w.audit() if a["kind"] == "proctor"] == ["deny_seat"]
        out = await cases.answer(sid, "p1/c1", first["seq"], 0)  # the seated connection goes on
        assert frame(out.frames[0])["seq"] == first["seq"] + 1
        assert (await decide("deny_seat"))[0]["code"] == "bad_command"  # nothing waits any more

        # a request still waiting when the sitting is terminated goes with it
        await cases.hello(w.token(), "p1/c4", SEAT_C)
        assert (await w.state()).seat_request == SEAT_C
        await proctors.command(w.room_id, cmd("terminate", sid, reason="curang"))
        state = await w.state()
        assert (state.seat_request, state.seat_request_at_ms) == (None, None)
        assert (await w.view())["allowed"] == []
        assert (await decide("approve_seat"))[0]["code"] == "bad_command"

    on_store(store_url, battery, body)


def test_a_sitting_whose_hellos_sent_no_device_moves_freely(battery: Battery, store_url: str | None) -> None:
    async def body(w: World) -> None:
        cases, proctors, sid = w.process.candidates, w.process.proctors, w.sid()
        await w.sit("p1/c1")  # an older page: no device id
        _, out = await cases.hello(w.token(), "p1/c2")
        assert not out.pending and frame(out.frames[0])["type"] == "item"
        assert (await w.load()).owner == "p1/c2"
        assert w.notes[-1] == (sid, {"kind": "takeover", "owner": "p1/c2", "old": "p1/c1"})
        assert ((await w.state()).device, (await w.view())["device"]) == (None, None)
        # the first hello that sends an id moves it as before, and the sitting is taken on that device
        _, out = await cases.hello(w.token(), "p1/c3", SEAT_A)
        assert not out.pending and (await w.load()).owner == "p1/c3"
        assert ((await w.state()).device, (await w.view())["device"]) == (SEAT_A, SEAT_A)
        # from then on a hello without one waits; approved, the sitting has no device again and moves freely
        _, out = await cases.hello(w.token(), "p1/c4")
        assert out.pending and (await w.load()).owner == "p1/c3"
        ack = frame(await proctors.command(w.room_id, cmd("approve_seat", sid)))
        assert ack["results"] == [{"session_id": sid, "ok": True}]
        assert w.notes[-1] == (sid, {"kind": "seat_approved", "device": ""})  # the device without an id
        approved = [e["event"] for e in await w.events() if e["event"]["type"] == "seat_approved"]
        assert approved[-1]["device"] is None
        assert ((await w.state()).device, (await w.load()).owner) == (None, "")
        _, out = await cases.hello(w.token(), "p1/c4")
        assert not out.pending and (await w.load()).owner == "p1/c4"
        _, out = await cases.hello(w.token(), "p1/c5")
        assert not out.pending and (await w.load()).owner == "p1/c5"

    on_store(store_url, battery, body)
