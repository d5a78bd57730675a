"""cat_engine.server.proctor: the proctor's use cases over a store, with a fake clock (tests/server_world.py)."""

from __future__ import annotations

import secrets
from typing import Any

import orjson
import pytest
from server_world import (
    ITEMS,
    LIMIT_1,
    cmd,
    finish_battery,
    frame,
    make_battery,
    make_world,
    refused,
    run,
)

from cat_engine import session as core
from cat_engine.battery import Battery
from cat_engine.server import frames, rooms
from cat_engine.server import proctor as proctor_module
from cat_engine.server.decoding import ProctorDetail, ProctorMessage, ProctorNote, RoomGate
from cat_engine.server.redis_store import RedisStore
from cat_engine.server.results import result_rows
from cat_engine.session import Phase
from load_tests.procs import RedisServer


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    return make_battery(tmp_path_factory.mktemp("battery"))


# --- proctor ---------------------------------------------------------------------------------------------------


def test_proctor_commands_on_one_session(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery, n=2)
        sid = w.sid()
        await w.sit("p1/c1")

        async def command(name: str, **kw: Any) -> dict[str, Any]:
            return frame(await w.process.proctors.command(w.room_id, cmd(name, sid, **kw)))

        ack = await command("pause", request_id="a1", reason="r")
        assert ack == {"type": "ack", "id": "a1", "command": "pause", "results": [{"session_id": sid, "ok": True}]}
        assert (await w.view())["phase"] == "paused"
        r = await refused(w.process.candidates.answer(sid, "p1/c1", 1, 0))
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
        r = await refused(w.process.candidates.answer(sid, "p1/c1", 1, 0))
        assert (r.code, r.close) == ("terminated", 4003)
        r = await refused(w.process.candidates.hello(w.token(), "p1/c2"))
        assert (r.code, r.close, r.detail) == ("terminated", 4003, "menyontek")
        kinds = [a.get("command") for a in await w.audit() if a["kind"] == "proctor"]
        assert kinds == ["pause", "extend", "resume", "terminate"]  # only the applied ones
        assert w.process.tx.metrics.value("cat_errors_total", code="bad_command") == 5
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
        await w.sit("p1/c0", 0)
        await w.sit("p1/c1", 1)  # candidate 2 never started

        async def room(name: str, **kw: Any) -> dict[str, dict[str, Any]]:
            ack = frame(await w.process.proctors.command(w.room_id, cmd(name, None, **kw)))
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
        await w.process.candidates.hello(w.token(), "p1/c1")
        other = await rooms.create_room(w.process.tx, "Ruang 2", battery.id)
        before = (await w.fingerprint(), await w.fingerprint(other["room_id"]))
        for name, kw in (("pause", {}), ("terminate", {"reason": "x"}), ("extend", {"seconds": 10.0})):
            r = await refused(w.process.proctors.command(other["room_id"], cmd(name, w.sid(), **kw)))
            assert (r.code, r.close) == ("forbidden", None)
        r = await refused(w.process.proctors.command(other["room_id"], cmd("pause", "no-dash-here")))
        assert r.code == "forbidden"
        assert (await w.fingerprint(), await w.fingerprint(other["room_id"])) == before
        # a session id of the right room that does not exist: reported in the ack, not an error frame
        ack = frame(await w.process.proctors.command(w.room_id, cmd("pause", f"{w.room_id}-9999")))
        assert ack["results"][0]["ok"] is False
        assert ack["results"][0]["code"] == "not_found"
        assert (await w.process.proctors.room_for_token(w.proctor_token)) == w.room_id
        assert (await refused(w.process.proctors.room_for_token(w.token()))).code == "bad_token"

    run(go)


def test_snapshot_lists_every_session(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery, n=2)
        await w.sit("p1/c1")
        await w.process.candidates.answer(w.sid(), "p1/c1", 1, 0)
        raw, last = await w.process.proctors.snapshot(w.room_id)
        snap = frame(raw)
        assert snap["last_event_id"] == last == await w.store.last_event_id(w.room_id)
        assert (snap["room"]["room_id"], snap["room"]["open"]) == (w.room_id, True)
        a, b = snap["sessions"]
        assert (a["phase"], a["answered"], a["answered_total"], a["connected"]) == ("active", 1, 1, True)
        assert a["theta"] is not None and a["se"] is not None
        assert (b["phase"], b["answered"], b["theta"], b["time_left_s"]) == ("ready", 0, None, None)

    run(go)


def test_every_change_ends_with_the_sessions_summary_after_it(battery: Battery) -> None:
    """The room's stream carries the view the server computed: after each change, the last event's ``view`` is the
    session's summary as a snapshot taken at that moment shows it (docs/protocol.md, events)."""

    async def go() -> None:
        w = await make_world(battery, n=2)
        seen = 0

        async def check(moves: int) -> None:
            nonlocal seen
            events = await w.events()
            new = events[seen:]
            seen = len(events)
            with_view = [e for e in new if "view" in e]
            assert len(with_view) == moves and "view" in new[-1], new
            now = (await w.process.proctors.room_view(w.room_id)).summaries
            assert with_view[-1]["view"] == next(s for s in now if s["session_id"] == with_view[-1]["session_id"])

        await w.process.candidates.hello(w.token(), "p1/c1")
        await check(1)
        await w.process.candidates.start(w.sid(), "p1/c1", None)
        await check(1)  # started, subtest_intro: one change
        (view,) = [e["view"] for e in (await w.events())[-1:]]
        assert (view["phase"], view["connected"], view["allowed"]) == ("intro", True, ["terminate"])
        await w.process.candidates.start(w.sid(), "p1/c1", 0)
        await check(1)
        w.advance(3)
        await w.process.candidates.answer(w.sid(), "p1/c1", 1, 1)
        await check(1)
        await w.process.proctors.command(w.room_id, cmd("pause", None, reason="listrik padam"))
        await check(1)  # the room-wide pause applies to the one session that can be paused
        (view,) = [e["view"] for e in (await w.events())[-1:]]
        assert (view["phase"], view["pause_reason"], view["allowed"]) == (
            "paused",
            "listrik padam",
            ["resume", "extend", "terminate"],
        )
        await w.process.proctors.command(w.room_id, cmd("extend", w.sid(), seconds=30.0))
        await check(1)
        await w.process.proctors.command(w.room_id, cmd("terminate", w.sid(1), reason="tidak hadir"))
        await check(1)
        await w.process.candidates.goodbye(w.sid(), "p1/c1")
        await check(1)
        snapshot, _ = await w.process.proctors.snapshot(w.room_id)
        rows = {s["session_id"]: s for s in frame(snapshot)["sessions"]}
        assert rows[w.sid(1)]["allowed"] == [] and rows[w.sid()]["connected"] is False

    run(go)


# --- detail: computed once per stored version ------------------------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_a_detail_is_computed_once_per_version_and_equals_a_cold_one(
    battery: Battery, store_kind: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    trajectory = core.trajectory  # the real one, for the cold frames
    computed: list[int] = []

    def counted(b: Battery, s: core.SessionState) -> list[list[tuple[float, float]]]:
        computed.append(s.seq)
        return trajectory(b, s)

    monkeypatch.setattr(core, "trajectory", counted)  # the module proctor.py calls it in
    ids: list[str | int | None] = [None, "d1", 7, -3, 'kutip "x" \u00e9\u4e2d', ""]

    async def go() -> None:
        store = None
        if store_kind == "redis":
            redis: RedisServer = request.getfixturevalue("private_redis")
            store = RedisStore(redis.url, f"t-detail-{secrets.token_hex(4)}")
        try:
            w = await make_world(battery, n=2, store=store)
            proctors = w.process.proctors

            async def cold(n: int, request_id: str | int | None) -> bytes:
                state = await w.state(n)
                plain = frames.detail_frame(battery, state, request_id, w.sid(n), trajectory(battery, state))
                flags = proctor_module._audit_flags(await w.store.audit(w.sid(n)))
                detail = proctor_module._with_times_and_flags(orjson.loads(plain), battery, state, flags)
                return orjson.dumps(detail)

            async def check(n: int) -> list[bytes]:
                got = [await proctors.detail(w.room_id, ProctorDetail(w.sid(n), rid)) for rid in ids]
                assert got == [await cold(n, rid) for rid in ids]  # byte for byte, whatever the request id
                return got

            await check(0)  # not started: no subtests
            await w.sit("p1/c1")
            await check(0)  # an item presented, nothing answered yet
            await w.sit("p1/c2", 1)
            for _ in range(2):
                w.advance(2)
                await w.process.candidates.answer(w.sid(), "p1/c1", (await w.state()).seq, 1)
            computed.clear()
            first = await check(0)
            assert len(computed) == 1  # six requests, one computation
            w.advance(2)
            await w.process.candidates.answer(w.sid(), "p1/c1", (await w.state()).seq, 0)
            second = await check(0)  # a new version: computed again, and different
            assert len(computed) == 2 and second != first
            assert len(frame(second[1])["subtests"][0]["points"]) == 3
            await finish_battery(w, "p1/c2", 1)
            await check(1)
            await check(0)
            assert len(computed) == 3  # session 1 once; session 0 unchanged since
            # at most _DETAILS_KEPT sessions are kept: the least recently asked is computed again
            monkeypatch.setattr(proctor_module, "_DETAILS_KEPT", 1)
            assert (await w.state()).phase is Phase.INTRO  # session 0 finished its first subtest
            await w.process.candidates.start(w.sid(), "p1/c1", 1)
            w.advance(2)
            await w.process.candidates.answer(w.sid(), "p1/c1", (await w.state()).seq, 0)
            await check(0)  # a new version: computed, and session 1's frame dropped
            assert len(computed) == 4 and len(proctors._details) == 1
            await check(1)
            await check(0)
            assert len(computed) == 6 and len(proctors._details) == 1
        finally:
            if store is not None:
                await store.close()

    run(go)


# --- the room gate: open_room, close_room ----------------------------------------------------------------------


def test_opening_the_room_tells_the_room_and_welcomes_the_waiting_candidates(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery, n=3, is_open=False)
        cases, proctors = w.process.candidates, w.process.proctors
        room = await w.store.get_room(w.room_id)
        assert room is not None and room.open is False
        assert frame((await proctors.snapshot(w.room_id))[0])["room"]["open"] is False
        for n in range(2):  # two candidates wait; the third has not connected
            _, out = await cases.hello(w.token(n), f"p1/c{n}")
            assert [frame(f) for f in out.frames] == [{"type": "waiting", "reason": "room_closed"}]
        assert w.notes == []
        before = await w.fingerprint()
        ack = frame(await proctors.gate(w.room_id, RoomGate(True, "g1")))
        assert ack == {"type": "ack", "id": "g1", "command": "open_room", "results": [], "room": {"open": True}}
        room = await w.store.get_room(w.room_id)
        assert room is not None and room.open is True
        assert frame((await proctors.snapshot(w.room_id))[0])["room"]["open"] is True
        # one room event, with no session and no view, at the end of the room's stream
        after = await w.fingerprint()
        assert after[0] == before[0] and after[2] == before[2]  # no session moved, no audit entry
        added = after[3][len(before[3]) :]
        assert after[3][: len(before[3])] == before[3] and len(added) == 1
        event_id, raw = added[0]
        assert orjson.loads(raw) == {
            "session_id": None,
            "event": {"type": "room_opened", "at_ms": w.process.tx.now_ms()},
            "room": {"open": True, "archived": False},
        }
        assert await w.store.last_event_id(w.room_id) == event_id
        # every session of the room hears of it; a waiting candidate's refresh is the welcome
        assert w.notes == [(w.sid(n), {"kind": "room_opened"}) for n in range(3)]
        for n in range(2):
            out = await cases.refresh(w.sid(n), f"p1/c{n}", "room_opened")
            welcome = frame(out.frames[0])
            assert len(out.frames) == 1 and welcome["type"] == "welcome"
            assert welcome["candidate"] == {"name": f"Peserta {n + 1}", "employee_id": f"E{n + 1:03d}"}
            assert out.deadline_ms is None
        assert await w.fingerprint() == after  # refreshing stores nothing
        # the welcome leads on as in an open room; a refresh after the start sends nothing new
        assert frame((await cases.start(w.sid(0), "p1/c0", None)).frames[0])["type"] == "subtest_intro"
        assert (await cases.refresh(w.sid(0), "p1/c0", "room_opened")).frames == []
        # opening an open room is acknowledged the same way and leaves it open
        assert frame(await proctors.gate(w.room_id, RoomGate(True, None))) == {**ack, "id": None}
        room = await w.store.get_room(w.room_id)
        assert room is not None and room.open is True

    run(go)


def test_closing_the_room_stops_new_starts_and_leaves_running_tests_alone(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery, n=4)
        cases, proctors = w.process.candidates, w.process.proctors
        item = frame((await w.sit("p1/c0", 0)).frames[0])  # in a subtest
        await cases.hello(w.token(1), "p1/c1")
        intro = frame((await cases.start(w.sid(1), "p1/c1", None)).frames[0])  # at an intro
        _, out = await cases.hello(w.token(2), "p1/c2")  # at the welcome
        assert frame(out.frames[0])["type"] == "welcome"
        before = await w.fingerprint()
        ack = frame(await proctors.gate(w.room_id, RoomGate(False, 7)))
        assert ack == {"type": "ack", "id": 7, "command": "close_room", "results": [], "room": {"open": False}}
        room = await w.store.get_room(w.room_id)
        assert room is not None and room.open is False
        after = await w.fingerprint()
        assert after[0] == before[0]  # no session touched
        (event_id, raw), *rest = after[3][len(before[3]) :]
        assert rest == []
        assert orjson.loads(raw) == {
            "session_id": None,
            "event": {"type": "room_closed", "at_ms": w.process.tx.now_ms()},
            "room": {"open": False, "archived": False},
        }
        assert await w.store.last_event_id(w.room_id) == event_id
        assert frame((await proctors.snapshot(w.room_id))[0])["room"]["open"] is False
        # the candidate at the welcome cannot start: waiting, and nothing but the audit changes
        before = await w.fingerprint()
        out = await cases.start(w.sid(2), "p1/c2", None)
        assert [frame(f) for f in out.frames] == [{"type": "waiting", "reason": "room_closed"}]
        added = await w.only_audited(before)
        assert [(a["kind"], a["outcome"]) for a in added] == [("start", "room_closed")]
        assert (await w.state(2)).phase is Phase.READY
        # one who connects now waits; one whose battery has begun is shown where it is
        _, out = await cases.hello(w.token(3), "p1/c3")
        assert [frame(f) for f in out.frames] == [{"type": "waiting", "reason": "room_closed"}]
        _, out = await cases.hello(w.token(2), "p1/c2b")
        assert [frame(f) for f in out.frames] == [{"type": "waiting", "reason": "room_closed"}]
        w.advance(1)
        _, out = await cases.hello(w.token(0), "p1/c0b")
        assert (frame(out.frames[0])["type"], frame(out.frames[0])["seq"]) == ("item", item["seq"])
        _, out = await cases.hello(w.token(1), "p1/c1b")
        assert frame(out.frames[0])["subtest"] == intro["subtest"]
        # running tests go on: an answer, and the start of a subtest from its intro
        assert (await cases.answer(w.sid(0), "p1/c0b", item["seq"], 0)).applied
        assert frame((await cases.start(w.sid(1), "p1/c1b", 0)).frames[0])["type"] == "item"
        # opened again: the start goes through
        await proctors.gate(w.room_id, RoomGate(True, None))
        out = await cases.start(w.sid(2), "p1/c2b", None)
        assert frame(out.frames[0])["type"] == "subtest_intro"

    run(go)


def test_the_gate_of_a_room_that_does_not_exist_is_not_found(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery)
        for is_open in (True, False):
            r = await refused(w.process.proctors.gate("ZZZZZZ", RoomGate(is_open, None)))
            assert r.code == "not_found"
        assert await w.store.get_room("ZZZZZZ") is None
        assert await w.store.read_events("ZZZZZZ", "0-0", 0) == []
        assert w.notes == []

    run(go)


# --- incident notes and messages to candidates -------------------------------------------------------------------

NOTE_1 = "Layar berkedip;\npindah ke meja 12"
NOTE_2 = "Peserta mengeluh pusing setelah selesai"


def test_incident_notes_are_kept_in_the_session_its_audit_and_its_results(
    battery: Battery, store_kind: str, request: pytest.FixtureRequest
) -> None:
    url = None if store_kind == "memory" else request.getfixturevalue("private_redis").url

    async def go() -> None:
        store = None if url is None else RedisStore(url, f"t-notes-{secrets.token_hex(4)}")
        try:
            w = await make_world(battery, n=3, store=store)
            proctors, sid = w.process.proctors, w.sid()

            async def note(text: str, session_id: str = sid, request_id: str | int | None = None) -> dict[str, Any]:
                return frame(await proctors.note(w.room_id, ProctorNote(session_id, text, request_id)))

            await w.sit("p1/c1")
            w.advance(5)
            at = w.process.tx.now_ms()
            told = len(w.notes)
            ack = await note(NOTE_1, request_id="n1")
            assert ack == {"type": "ack", "id": "n1", "command": "note", "results": [{"session_id": sid, "ok": True}]}
            assert (await w.state()).notes == (core.Note(at, NOTE_1),)
            view = await w.view()
            assert (view["notes"], view["phase"]) == (1, "active")  # the count; the test goes on
            detail = frame(await proctors.detail(w.room_id, ProctorDetail(sid)))
            assert detail["notes"] == [{"at_ms": at, "text": NOTE_1}]
            event = (await w.events())[-1]
            assert event["event"] == {"type": "note", "at_ms": at, "text": NOTE_1}
            assert event["view"]["notes"] == 1
            entry = (await w.audit())[-1]
            assert (entry["kind"], entry["at_ms"], entry["text"]) == ("note", at, NOTE_1)
            assert len(w.notes) == told  # nothing for the candidate's screen
            assert await result_rows(w.store, w.room_id) == []  # no rows before the end

            # finished: the rows carry the note; a note written after the end joins them
            await finish_battery(w, "p1/c1")
            assert [r["notes"] for r in await result_rows(w.store, w.room_id)] == [NOTE_1] * 2
            w.advance(60)
            assert await w.store.ack_results(w.room_id, [sid]) == 1  # the HR system took the result
            assert (await note(NOTE_2))["results"] == [{"session_id": sid, "ok": True}]
            assert [r["notes"] for r in await result_rows(w.store, w.room_id)] == [f"{NOTE_1}\n{NOTE_2}"] * 2
            if isinstance(w.store, RedisStore):  # the changed result is kept until it is acknowledged again
                unacked = w.store._room_key(w.room_id, "unacked")
                assert await w.store._redis.sismember(unacked, sid)
                assert await w.store._redis.ttl(w.store._session_key(sid, "result")) == -1
            view = await w.view()
            assert (view["phase"], view["notes"]) == ("finished", 2)
            detail = frame(await proctors.detail(w.room_id, ProctorDetail(sid)))
            assert [n["text"] for n in detail["notes"]] == [NOTE_1, NOTE_2]  # oldest first
            assert [n["at_ms"] for n in detail["notes"]] == [at, at + ITEMS * 2 * 1000 + 60_000]

            # a session never started keeps notes too (it has no rows); a terminated one has them in its rows
            assert (await note("Tidak hadir", w.sid(2)))["results"][0]["ok"] is True
            assert (await w.view(2))["notes"] == 1
            await w.sit("p1/d1", 1)
            assert (await note("Membuka ponsel", w.sid(1)))["results"][0]["ok"] is True
            await proctors.command(w.room_id, cmd("terminate", w.sid(1), reason="menyontek"))
            rows = await result_rows(w.store, w.room_id)
            assert [r["notes"] for r in rows if r["session_id"] == w.sid(1)] == ["Membuka ponsel"]
            assert not [r for r in rows if r["session_id"] == w.sid(2)]

            # at most 100 notes a session
            for n in range(98):
                assert (await note(f"catatan {n}"))["results"][0]["ok"] is True
            assert (await w.view())["notes"] == 100
            before = await w.fingerprint()
            (res,) = (await note("satu lagi"))["results"]
            assert (res["session_id"], res["ok"], res["code"]) == (sid, False, "bad_command")
            assert await w.fingerprint() == before  # refused: nothing stored

            # another room's session: forbidden; an unknown one of the room: not_found in the ack
            other = await rooms.create_room(w.process.tx, "Ruang 2", battery.id)
            r = await refused(proctors.note(other["room_id"], ProctorNote(sid, "x")))
            assert (r.code, r.close) == ("forbidden", None)
            (res,) = (await note("x", f"{w.room_id}-9999"))["results"]
            assert (res["ok"], res["code"]) == (False, "not_found")
            assert await w.fingerprint() == before
        finally:
            if store is not None:
                await store.close()

    run(go)


def test_a_message_reaches_the_sessions_named_and_is_in_their_audit(battery: Battery) -> None:
    async def go() -> None:
        w = await make_world(battery, n=3)
        proctors = w.process.proctors
        await w.sit("p1/c0", 0)
        await w.sit("p1/c1", 1)  # candidate 2 never connected
        w.advance(3)
        now = w.process.tx.now_ms()
        told, before = len(w.notes), await w.fingerprint()
        text = "Sisa waktu 5 menit, periksa jawaban Anda."
        ack = frame(await proctors.message(w.room_id, ProctorMessage(w.sid(1), text, "m1")))
        assert ack == {
            "type": "ack",
            "id": "m1",
            "command": "message",
            "results": [{"session_id": w.sid(1), "ok": True, "delivered": True}],
        }
        # pushed to the session's connections (the endpoint sends the frame); recorded in its audit, nothing else
        assert w.notes[told:] == [(w.sid(1), {"kind": "message", "text": text, "at_ms": now})]
        assert await w.only_audited(before) == [{"kind": "message", "at_ms": now, "text": text}]
        assert (await w.audit(1))[-1]["kind"] == "message"

        # the whole room: every session, one never connected included
        told, before = len(w.notes), await w.fingerprint()
        text = "Harap tenang.\nUjian dimulai sebentar lagi."
        ack = frame(await proctors.message(w.room_id, ProctorMessage(None, text)))
        assert (ack["id"], ack["command"]) == (None, "message")
        # delivered: whether the candidate was connected to get it (candidate 2 never was)
        assert ack["results"] == [{"session_id": w.sid(n), "ok": True, "delivered": n < 2} for n in range(3)]
        message = {"kind": "message", "text": text, "at_ms": now}
        assert w.notes[told:] == [(w.sid(n), message) for n in range(3)]
        assert await w.only_audited(before) == [{"kind": "message", "at_ms": now, "text": text}] * 3
        for n in range(3):
            assert (await w.audit(n))[-1] == {"kind": "message", "at_ms": now, "text": text}

        # another room's session: forbidden; an unknown one of the room: not_found in the ack; nothing stored
        other = await rooms.create_room(w.process.tx, "Ruang 2", battery.id)
        told, before = len(w.notes), await w.fingerprint()
        r = await refused(proctors.message(other["room_id"], ProctorMessage(w.sid(), "x")))
        assert (r.code, r.close) == ("forbidden", None)
        ack = frame(await proctors.message(w.room_id, ProctorMessage(f"{w.room_id}-9999", "x")))
        assert [(r["ok"], r["code"]) for r in ack["results"]] == [(False, "not_found")]
        assert await w.fingerprint() == before and len(w.notes) == told

    run(go)
