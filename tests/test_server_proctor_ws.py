"""The proctor endpoint over a real socket: snapshot, live events, resuming after a reconnect with the last id."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from conftest import AppServer, battery_dict, subtest_dict, write_battery
from websockets.asyncio.client import ClientConnection, connect

from cat_engine.server import rooms
from cat_engine.server.frames import event_frame, events_frame
from cat_engine.server.settings import Settings


def test_event_frame_splices_the_stored_event_under_its_id() -> None:
    stored = orjson.dumps({"session_id": "R-0001", "event": {"type": "resumed", "at_ms": 5}})
    assert orjson.loads(event_frame("17-2", stored)) == {
        "type": "event",
        "id": "17-2",
        "session_id": "R-0001",
        "event": {"type": "resumed", "at_ms": 5},
    }


def test_events_frame_holds_each_event_as_an_event_frame_without_its_type() -> None:
    rows = [
        ("17-2", orjson.dumps({"session_id": "R-0001", "event": {"type": "resumed", "at_ms": 5}})),
        ("18-0", orjson.dumps({"session_id": "R-0002", "event": {"type": "paused", "at_ms": 6, "reason": "x"}})),
    ]
    frame = orjson.loads(events_frame(rows))
    assert frame == {
        "type": "events",
        "events": [{k: v for k, v in orjson.loads(event_frame(i, e)).items() if k != "type"} for i, e in rows],
    }
    assert orjson.loads(events_frame(rows[:1]))["events"][0]["id"] == "17-2"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, app_server: Callable[..., AppServer]) -> Iterator[AppServer]:
    sub = subtest_dict("s1", max_items=6, min_items=6, se_target=None)
    path = write_battery(tmp_path_factory.mktemp("battery"), battery_dict([sub], id="proctor"))
    server = app_server(Settings(admin_token="t", demo_room=False, batteries=(path,), proctor_batch_ms=BATCH_MS))
    yield server
    server.stop()


BATCH_MS = 400


async def _recv(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    frame = orjson.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert isinstance(frame, dict)
    return frame


async def _send(ws: ClientConnection, **frame: Any) -> None:
    await ws.send(orjson.dumps(frame).decode())


async def _begin(ws: ClientConnection) -> dict[str, Any]:
    """From the welcome on: start the battery, then the first subtest from its intro; the first item."""
    await _send(ws, type="start")
    intro = await _recv(ws)
    assert intro["type"] == "subtest_intro", intro
    await _send(ws, type="start", subtest=intro["subtest"]["index"])
    item = await _recv(ws)
    assert item["type"] == "item", item
    return item


async def _sit(ws: ClientConnection, token: str) -> dict[str, Any]:
    """Say hello and start at the welcome and the first intro; the first item."""
    await _send(ws, type="hello", token=token)
    welcome = await _recv(ws)
    assert welcome["type"] == "welcome", welcome
    return await _begin(ws)


async def _events_until_quiet(ws: ClientConnection, quiet_s: float = 0.5) -> list[dict[str, Any]]:
    out = []
    while True:
        try:
            out.append(await _recv(ws, quiet_s))
        except TimeoutError:
            return out


def test_a_proctor_resuming_with_its_last_id_gets_exactly_the_missed_events(srv: AppServer) -> None:
    tx = srv.hub.tx
    room = srv.call(rooms.create_room(tx, "R", "proctor", is_open=True))
    cand = srv.call(rooms.register(tx, room["room_id"], [{"employee_id": "E1", "name": "A"}]))[0]
    base = f"ws://127.0.0.1:{srv.port}"
    hello = {"type": "hello", "token": room["proctor_token"]}

    async def answer(ws: ClientConnection, frame: dict[str, Any], n: int) -> dict[str, Any]:
        for _ in range(n):
            await ws.send(orjson.dumps({"type": "answer", "seq": frame["seq"], "response": 0}).decode())
            frame = await _recv(ws)
        return frame

    async def go() -> None:
        async with connect(f"{base}/ws/candidate") as cand_ws:
            async with connect(f"{base}/ws/proctor") as proctor:
                await proctor.send(orjson.dumps(hello).decode())
                snapshot = await _recv(proctor)
                assert snapshot["type"] == "snapshot" and snapshot["last_event_id"] == "0-0"
                assert [s["phase"] for s in snapshot["sessions"]] == ["ready"]
                frame = await answer(cand_ws, await _sit(cand_ws, cand["token"]), 2)
                seen = await _events_until_quiet(proctor)
            # the proctor is away while the candidate answers three more items
            frame = await answer(cand_ws, frame, 3)
            async with connect(f"{base}/ws/proctor") as proctor:
                await proctor.send(orjson.dumps({**hello, "last_event_id": seen[-1]["id"]}).decode())
                snapshot = await _recv(proctor)
                assert snapshot["sessions"][0]["answered"] == 5
                missed = await _events_until_quiet(proctor)
            async with connect(f"{base}/ws/proctor") as proctor:  # everything, from the start
                await proctor.send(orjson.dumps({**hello, "last_event_id": "0-0"}).decode())
                await _recv(proctor)
                everything = await _events_until_quiet(proctor)
        ids = [e["id"] for e in everything]
        assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-")))) and len(set(ids)) == len(ids)
        assert seen + missed == everything[: len(seen) + len(missed)]
        answered = [e["event"]["seq"] for e in seen + missed if e["event"]["type"] == "answered"]
        assert answered == [1, 2, 3, 4, 5]
        assert {e["session_id"] for e in everything} == {cand["session_id"]}

    asyncio.run(asyncio.wait_for(go(), 30))


def test_detail_gives_theta_and_se_after_each_answer_as_the_live_events_did(srv: AppServer) -> None:
    tx = srv.hub.tx
    room = srv.call(rooms.create_room(tx, "R", "proctor", is_open=True))
    other = srv.call(rooms.create_room(tx, "R2", "proctor", is_open=True))
    cand = srv.call(rooms.register(tx, room["room_id"], [{"employee_id": "E1", "name": "A"}]))[0]
    base = f"ws://127.0.0.1:{srv.port}"

    async def go() -> None:
        async with connect(f"{base}/ws/proctor") as proctor, connect(f"{base}/ws/candidate") as cand_ws:
            await proctor.send(orjson.dumps({"type": "hello", "token": room["proctor_token"]}).decode())
            await _recv(proctor)
            ask = {"type": "detail", "session_id": cand["session_id"], "id": "d1"}
            await proctor.send(orjson.dumps(ask).decode())
            assert await _recv(proctor) == {
                "type": "detail",
                "id": "d1",
                "session_id": cand["session_id"],
                "subtests": [],
                "notes": [],
                "flags": [],
            }
            frame = await _sit(cand_ws, cand["token"])
            for n in range(4):
                await cand_ws.send(orjson.dumps({"type": "answer", "seq": frame["seq"], "response": n % 2}).decode())
                frame = await _recv(cand_ws)
            events = await _events_until_quiet(proctor)
            live = [(e["event"]["theta"], e["event"]["se"]) for e in events if e["event"]["type"] == "answered"]
            await proctor.send(orjson.dumps(ask).decode())
            detail = await _recv(proctor)
            (sub,) = detail["subtests"]
            assert (sub["index"], sub["id"], sub["status"], sub["se_target"]) == (0, "s1", "current", None)
            assert sub["result"] is None  # under way: no result yet
            assert [p["position"] for p in sub["points"]] == [1, 2, 3, 4]
            got = [v for p in sub["points"] for v in (p["theta"], p["se"])]
            assert got == pytest.approx([v for pair in live for v in pair], abs=1e-4)
            # the subtest done (6 items): its result is the profile row, its last point the final estimate
            for n in range(2):
                await cand_ws.send(orjson.dumps({"type": "answer", "seq": frame["seq"], "response": n}).decode())
                frame = await _recv(cand_ws)
            assert frame["type"] == "finished"
            done = [
                e["event"]["result"] for e in await _events_until_quiet(proctor) if e["event"]["type"] == "subtest_done"
            ]
            await proctor.send(orjson.dumps(ask).decode())
            (sub,) = (await _recv(proctor))["subtests"]
            assert sub["status"] == "done" and sub["result"] == done[0]
            assert len(sub["points"]) == sub["result"]["items_administered"] == 6
            assert (sub["points"][-1]["theta"], sub["points"][-1]["se"]) == (done[0]["theta"], done[0]["se"])
            assert 0 < sub["result"]["level_probability"] <= 1  # how far the result's level can be trusted
            # another room's session: forbidden, and the connection stays open
            await proctor.send(orjson.dumps({"type": "detail", "session_id": f"{other['room_id']}-0001"}).decode())
            assert (await _recv(proctor))["code"] == "forbidden"
            await proctor.send(orjson.dumps({"type": "detail", "session_id": f"{room['room_id']}-0099"}).decode())
            assert (await _recv(proctor))["code"] == "not_found"
            await proctor.send(orjson.dumps({"type": "ping"}).decode())
            assert (await _recv(proctor))["type"] == "pong"

    asyncio.run(asyncio.wait_for(go(), 30))


def test_a_batched_proctor_gets_the_same_events_in_fewer_frames(srv: AppServer) -> None:
    tx = srv.hub.tx
    room = srv.call(rooms.create_room(tx, "R", "proctor", is_open=True))
    cand = srv.call(rooms.register(tx, room["room_id"], [{"employee_id": "E1", "name": "A"}]))[0]
    base = f"ws://127.0.0.1:{srv.port}"
    hello = {"type": "hello", "token": room["proctor_token"]}

    async def go() -> None:
        async with (
            connect(f"{base}/ws/proctor") as single,
            connect(f"{base}/ws/proctor") as batched,
            connect(f"{base}/ws/candidate") as cand_ws,
        ):
            await single.send(orjson.dumps(hello).decode())
            await batched.send(orjson.dumps({**hello, "batch": True}).decode())
            assert (await _recv(single))["type"] == (await _recv(batched))["type"] == "snapshot"
            frame = await _sit(cand_ws, cand["token"])
            for _ in range(4):  # answered within one batch interval
                await cand_ws.send(orjson.dumps({"type": "answer", "seq": frame["seq"], "response": 0}).decode())
                frame = await _recv(cand_ws)
            one_by_one = await _events_until_quiet(single, 2 * BATCH_MS / 1000)
            frames = await _events_until_quiet(batched, 2 * BATCH_MS / 1000)
            assert {f["type"] for f in one_by_one} == {"event"} and {f["type"] for f in frames} == {"events"}
            assert [e for f in frames for e in f["events"]] == [
                {k: v for k, v in f.items() if k != "type"} for f in one_by_one
            ]
            # connected, started, subtest_intro, item_presented, then answered + item_presented
            assert [f["event"]["type"] for f in one_by_one[:4]] == [
                "connected",
                "started",
                "subtest_intro",
                "item_presented",
            ]
            assert len(one_by_one) == 4 + 4 * 2
            assert len(frames) < len(one_by_one)
            # resuming in batch mode from an id in the middle gives exactly the rest
            middle = one_by_one[3]["id"]
        async with connect(f"{base}/ws/proctor") as again:
            await again.send(orjson.dumps({**hello, "batch": True, "last_event_id": middle}).decode())
            assert (await _recv(again))["type"] == "snapshot"
            rest = [e for f in await _events_until_quiet(again, 2 * BATCH_MS / 1000) for e in f["events"]]
            assert [e["id"] for e in rest] == [f["id"] for f in one_by_one[4:]] + [rest[-1]["id"]]
            assert rest[-1]["event"]["type"] == "disconnected"  # the candidate left meanwhile

    asyncio.run(asyncio.wait_for(go(), 30))


# --- the room gate over the sockets ----------------------------------------------------------------------------


async def _until(ws: ClientConnection, *wanted: str) -> dict[str, dict[str, Any]]:
    """Read frames until one of each type in ``wanted`` came (``event`` frames of sessions are passed over)."""
    got: dict[str, dict[str, Any]] = {}
    while set(wanted) - set(got):
        frame = await _recv(ws)
        if frame["type"] == "event" and frame["session_id"] is not None:
            continue
        assert frame["type"] in wanted and frame["type"] not in got, frame
        got[frame["type"]] = frame
    return got


def test_open_room_and_close_room_reach_proctors_and_candidates(srv: AppServer) -> None:
    tx = srv.hub.tx
    room = srv.call(rooms.create_room(tx, "R", "proctor"))  # closed, as the API makes rooms unless asked
    rows = [{"employee_id": "E1", "name": "Ani"}, {"employee_id": "E2", "name": "Budi"}]
    a, b = srv.call(rooms.register(tx, room["room_id"], rows))
    base = f"ws://127.0.0.1:{srv.port}"
    hello = {"type": "hello", "token": room["proctor_token"]}

    async def go() -> None:
        async with (
            connect(f"{base}/ws/proctor") as proctor,
            connect(f"{base}/ws/proctor") as batched,
            connect(f"{base}/ws/candidate") as ws_a,
            connect(f"{base}/ws/candidate") as ws_b,
        ):
            await proctor.send(orjson.dumps(hello).decode())
            snapshot = await _recv(proctor)
            assert snapshot["room"]["open"] is False
            await batched.send(orjson.dumps({**hello, "batch": True}).decode())
            assert (await _recv(batched))["type"] == "snapshot"
            for ws, cand in ((ws_a, a), (ws_b, b)):
                await _send(ws, type="hello", token=cand["token"])
                assert await _recv(ws) == {"type": "waiting", "reason": "room_closed"}
            await _send(ws_a, type="start")  # no start while the room is closed
            assert await _recv(ws_a) == {"type": "waiting", "reason": "room_closed"}
            # a candidate cannot open the room
            await _send(ws_a, type="open_room")
            assert (await _recv(ws_a))["code"] == "forbidden"
            # the proctor opens it: the ack, a room event, and each waiting candidate's welcome
            await _send(proctor, type="open_room", id="o1")
            got = await _until(proctor, "ack", "event")
            assert got["ack"] == {
                "type": "ack",
                "id": "o1",
                "command": "open_room",
                "results": [],
                "room": {"open": True},
            }
            event = got["event"]
            assert set(event) == {"type", "id", "session_id", "event", "room"}  # no view
            assert (event["session_id"], event["event"]["type"]) == (None, "room_opened")
            assert event["room"] == {"open": True, "archived": False}
            assert isinstance(event["event"]["at_ms"], int)
            for ws, cand in ((ws_a, a), (ws_b, b)):
                welcome = await _recv(ws)  # pushed: the candidate sent nothing
                assert welcome["type"] == "welcome", welcome
                assert welcome["candidate"] == {"name": cand["name"], "employee_id": cand["employee_id"]}
            item = await _begin(ws_a)
            await _send(ws_a, type="answer", seq=item["seq"], response=0)
            assert (await _recv(ws_a))["type"] == "item"
            # closed again: no new starts; the running test goes on
            await _send(proctor, type="close_room")
            got = await _until(proctor, "ack", "event")
            assert got["ack"] == {
                "type": "ack",
                "id": None,
                "command": "close_room",
                "results": [],
                "room": {"open": False},
            }
            assert (got["event"]["session_id"], got["event"]["event"]["type"]) == (None, "room_closed")
            assert got["event"]["room"] == {"open": False, "archived": False} and "view" not in got["event"]
            await _send(ws_b, type="start")
            assert await _recv(ws_b) == {"type": "waiting", "reason": "room_closed"}
            await _send(ws_a, type="answer", seq=item["seq"] + 1, response=0)
            assert (await _recv(ws_a))["seq"] == item["seq"] + 2
            # the batched proctor got both room events among the sessions' ones, in order
            room_events: list[dict[str, Any]] = []
            while len(room_events) < 2:
                frame = await _recv(batched)
                assert frame["type"] == "events", frame
                room_events += [e for e in frame["events"] if e["session_id"] is None]
            assert [(e["event"]["type"], e["room"]) for e in room_events] == [
                ("room_opened", {"open": True, "archived": False}),
                ("room_closed", {"open": False, "archived": False}),
            ]
            assert room_events[0]["id"] == event["id"]
        async with connect(f"{base}/ws/proctor") as again:  # a new snapshot says closed
            await again.send(orjson.dumps(hello).decode())
            assert (await _recv(again))["room"]["open"] is False

    asyncio.run(asyncio.wait_for(go(), 30))


# --- incident notes over the socket ------------------------------------------------------------------------------


def test_a_note_is_acknowledged_shown_in_the_detail_and_counted_in_the_summary(srv: AppServer) -> None:
    tx = srv.hub.tx
    room = srv.call(rooms.create_room(tx, "R", "proctor", is_open=True))
    cand = srv.call(rooms.register(tx, room["room_id"], [{"employee_id": "E1", "name": "A"}]))[0]
    sid = cand["session_id"]
    base = f"ws://127.0.0.1:{srv.port}"
    text = "Layar berkedip;\npindah ke meja 12"

    async def go() -> None:
        async with connect(f"{base}/ws/proctor") as proctor, connect(f"{base}/ws/candidate") as cand_ws:
            await _send(proctor, type="hello", token=room["proctor_token"])
            assert (await _recv(proctor))["type"] == "snapshot"
            await _sit(cand_ws, cand["token"])
            await _events_until_quiet(proctor, 0.3)
            await _send(proctor, type="note", session_id=sid, text=text, id="n1")
            got = await _events_until_quiet(proctor)
            acks = [f for f in got if f["type"] == "ack"]
            assert acks == [
                {"type": "ack", "id": "n1", "command": "note", "results": [{"session_id": sid, "ok": True}]}
            ]
            (event,) = [f for f in got if f["type"] == "event"]
            assert (event["session_id"], event["event"]["type"], event["event"]["text"]) == (sid, "note", text)
            assert event["view"]["notes"] == 1
            await _send(proctor, type="detail", session_id=sid, id="d1")
            detail = await _recv(proctor)
            assert [n["text"] for n in detail["notes"]] == [text]
            assert detail["notes"][0]["at_ms"] == event["event"]["at_ms"]
            # the candidate sees nothing of it
            await _send(cand_ws, type="ping")
            assert await _recv(cand_ws) == {"type": "pong"}
            # a note without visible text, with a control character or over 1000 characters: bad_message
            for bad in ("", " \n ", "a\x07b", "n" * 1001):
                await _send(proctor, type="note", session_id=sid, text=bad)
                refused = await _recv(proctor)
                assert (refused["type"], refused["code"]) == ("error", "bad_message"), bad
            # a candidate cannot write one
            await _send(cand_ws, type="note", session_id=sid, text="x")
            assert (await _recv(cand_ws))["code"] == "forbidden"
        async with connect(f"{base}/ws/proctor") as again:  # a new snapshot counts it
            await _send(again, type="hello", token=room["proctor_token"])
            (row,) = (await _recv(again))["sessions"]
            assert (row["session_id"], row["notes"]) == (sid, 1)

    asyncio.run(asyncio.wait_for(go(), 30))
