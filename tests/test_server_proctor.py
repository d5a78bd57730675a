"""cat_engine.server.proctor: the proctor's use cases over a store, with a fake clock (tests/server_world.py)."""

from __future__ import annotations

import secrets
from typing import Any

import orjson
import pytest
from server_world import (
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
from cat_engine.server.decoding import ProctorDetail
from cat_engine.server.redis_store import RedisStore
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
        await w.process.candidates.hello(w.token(), "p1/c1")

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
        await w.process.candidates.hello(w.token(0), "p1/c0")
        await w.process.candidates.hello(w.token(1), "p1/c1")  # candidate 2 never started

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
        await w.process.candidates.hello(w.token(), "p1/c1")
        await w.process.candidates.answer(w.sid(), "p1/c1", 1, 0)
        raw, last = await w.process.proctors.snapshot(w.room_id)
        snap = frame(raw)
        assert snap["last_event_id"] == last == await w.store.last_event_id(w.room_id)
        assert snap["room"]["room_id"] == w.room_id
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
                return frames.detail_frame(battery, state, request_id, w.sid(n), trajectory(battery, state))

            async def check(n: int) -> list[bytes]:
                got = [await proctors.detail(w.room_id, ProctorDetail(w.sid(n), rid)) for rid in ids]
                assert got == [await cold(n, rid) for rid in ids]  # byte for byte, whatever the request id
                return got

            await check(0)  # not started: no subtests
            await w.process.candidates.hello(w.token(), "p1/c1")
            await w.process.candidates.hello(w.token(1), "p1/c2")
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
