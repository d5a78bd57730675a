"""The candidate endpoint's own duties over a real socket: the subtest timer, and pushes after proctor commands.

The protocol cases (errors, exactly-once, takeover) are in test_server_bad_input.py and test_e2e_protocol.py; these
check what only the endpoint's serving loop does: wake up when the subtest's time runs out, and forward a
proctor's pause, resume and extension to the candidate's open connection; and close a finished session's
connection (1000, ``finished``) after its final state.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from conftest import AppServer, battery_dict, subtest_dict, write_battery
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from cat_engine.server import rooms
from cat_engine.server.settings import Settings
from load_tests.procs import RedisServer

LIMIT_S = 1.5


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, app_server: Callable[..., AppServer]) -> Iterator[AppServer]:
    subs = [
        subtest_dict("s1", max_items=5, min_items=5, se_target=None, time_limit_s=LIMIT_S),
        subtest_dict("s2", max_items=5, min_items=5, se_target=None, time_limit_s=600),
    ]
    path = write_battery(tmp_path_factory.mktemp("battery"), battery_dict(subs, id="timer"))
    server = app_server(Settings(admin_token="t", demo_room=False, batteries=(path,)))
    yield server
    server.stop()


def _candidate(srv: AppServer) -> tuple[str, str, str]:
    tx = srv.hub.tx
    room = srv.call(rooms.create_room(tx, "R", "timer"))
    cand = srv.call(rooms.register(tx, room["room_id"], [{"employee_id": "E1", "name": "A"}]))[0]
    return room["proctor_token"], cand["token"], cand["session_id"]


async def _recv(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    frame = orjson.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert isinstance(frame, dict)
    return frame


def test_time_running_out_pushes_the_next_subtest(srv: AppServer) -> None:
    _, token, _ = _candidate(srv)

    async def go() -> None:
        async with connect(f"ws://127.0.0.1:{srv.port}/ws/candidate") as ws:
            await ws.send(orjson.dumps({"type": "hello", "token": token}).decode())
            first = await _recv(ws)
            assert first["subtest"]["id"] == "s1" and first["time_left_s"] == pytest.approx(LIMIT_S, abs=0.2)
            started = time.monotonic()
            pushed = await _recv(ws, timeout=LIMIT_S + 5)  # unprompted: the candidate sent nothing
            waited = time.monotonic() - started
            assert pushed["type"] == "item" and pushed["subtest"]["id"] == "s2", pushed
            assert pushed["previous_subtest"] == {"id": "s1", "name": "Subtest s1", "reason": "time_up"}
            assert pushed["seq"] == first["seq"] + 1
            assert waited >= LIMIT_S - 0.3  # not before the time ran out
            # the late answer to the old item changes nothing
            await ws.send(orjson.dumps({"type": "answer", "seq": first["seq"], "response": 0}).decode())
            assert (await _recv(ws))["code"] == "wrong_seq"

    asyncio.run(asyncio.wait_for(go(), 30))


def test_proctor_commands_reach_the_open_connection_and_stop_the_clock(srv: AppServer) -> None:
    proctor_token, token, session_id = _candidate(srv)

    async def command(proctor: ClientConnection, **fields: Any) -> None:
        await proctor.send(orjson.dumps({**fields, "session_id": session_id}).decode())
        while (frame := await _recv(proctor))["type"] != "ack":
            pass  # room events interleave with the acknowledgement
        assert frame["results"] == [{"session_id": session_id, "ok": True}], frame

    async def go() -> None:
        base = f"ws://127.0.0.1:{srv.port}"
        async with connect(f"{base}/ws/candidate") as ws, connect(f"{base}/ws/proctor") as proctor:
            await proctor.send(orjson.dumps({"type": "hello", "token": proctor_token}).decode())
            assert (await _recv(proctor))["type"] == "snapshot"
            await ws.send(orjson.dumps({"type": "hello", "token": token}).decode())
            first = await _recv(ws)
            await command(proctor, type="pause", reason="istirahat")
            assert await _recv(ws) == {"type": "paused", "reason": "istirahat"}
            await asyncio.sleep(LIMIT_S + 0.5)  # longer than the subtest's limit: paused, the clock stands still
            await command(proctor, type="extend", seconds=10)
            extended = await _recv(ws)
            assert extended["type"] == "time"
            assert extended["time_left_s"] == pytest.approx(first["time_left_s"] + 10, abs=0.3)
            await command(proctor, type="resume")
            again = await _recv(ws)
            assert again["type"] == "item" and again["seq"] == first["seq"] and again["item"] == first["item"]
            assert again["time_left_s"] == pytest.approx(first["time_left_s"] + 10, abs=0.3)

    asyncio.run(asyncio.wait_for(go(), 30))


def test_the_timer_follows_a_restored_session_after_a_reconnect(srv: AppServer) -> None:
    _, token, _ = _candidate(srv)

    async def go() -> None:
        url = f"ws://127.0.0.1:{srv.port}/ws/candidate"
        async with connect(url) as ws:
            await ws.send(orjson.dumps({"type": "hello", "token": token}).decode())
            first = await _recv(ws)
        await asyncio.sleep(LIMIT_S + 0.5)  # disconnected: no time used
        async with connect(url) as ws:
            await ws.send(orjson.dumps({"type": "hello", "token": token}).decode())
            resumed = await _recv(ws)
            assert resumed["seq"] == first["seq"] and resumed["subtest"]["id"] == "s1"
            assert resumed["time_left_s"] > 0.5
            pushed = await _recv(ws, timeout=LIMIT_S + 5)
            assert pushed["previous_subtest"]["reason"] == "time_up"

    asyncio.run(asyncio.wait_for(go(), 30))


# --- a finished session: its final state, then the end of the connection (both stores) ----------------------

FINISH_ITEMS = 3


@pytest.fixture(scope="module", params=["memory", "redis"])
def short_srv(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, app_server: Callable[..., AppServer]
) -> Iterator[AppServer]:
    sub = subtest_dict("s1", max_items=FINISH_ITEMS, min_items=FINISH_ITEMS, se_target=None, time_limit_s=600)
    path = write_battery(tmp_path_factory.mktemp("battery"), battery_dict([sub], id="short"))
    common: dict[str, Any] = {"admin_token": "t", "demo_room": False, "batteries": (path,)}
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("private_redis")
        settings = Settings(redis_url=redis.url, key_prefix=f"t-cws-{secrets.token_hex(4)}", **common)
    else:
        settings = Settings(**common)
    server = app_server(settings)
    assert server.hub.store.kind == request.param
    yield server
    server.stop()


async def _closed(ws: ClientConnection) -> tuple[int | None, str | None]:
    """Wait for the server's close (no frame may come first); its code and reason."""
    with pytest.raises(ConnectionClosed):
        frame = await asyncio.wait_for(ws.recv(), 5)
        raise AssertionError(f"a frame after the end: {frame!r}")
    return ws.close_code, ws.close_reason


async def _finish(ws: ClientConnection, token: str) -> dict[str, Any]:
    """Say hello and answer every item; the ``finished`` reply."""
    await ws.send(orjson.dumps({"type": "hello", "token": token}).decode())
    frame = await _recv(ws)
    for _ in range(FINISH_ITEMS):
        assert frame["type"] == "item", frame
        await ws.send(orjson.dumps({"type": "answer", "seq": frame["seq"], "response": 0}).decode())
        frame = await _recv(ws)
    assert frame["type"] == "finished", frame
    return frame


@pytest.mark.parametrize("seq_after", ["last", "next", "zero"])
def test_an_answer_on_a_finished_session_gets_the_finished_frame_then_close_1000(
    short_srv: AppServer, seq_after: str
) -> None:
    tx = short_srv.hub.tx
    room = short_srv.call(rooms.create_room(tx, "R", "short"))
    cand = short_srv.call(rooms.register(tx, room["room_id"], [{"employee_id": "E1", "name": "A"}]))[0]
    seq = {"last": FINISH_ITEMS, "next": FINISH_ITEMS + 1, "zero": 0}[seq_after]

    async def go() -> None:
        async with connect(f"ws://127.0.0.1:{short_srv.port}/ws/candidate") as ws:
            finished = await _finish(ws, cand["token"])
            # from the connection that finished it: the final state, never an item, then the end
            await ws.send(orjson.dumps({"type": "answer", "seq": seq, "response": 1}).decode())
            again = await _recv(ws)
            assert again["type"] == "finished", again
            assert again["profile"] == finished["profile"]
            if seq_after == "last":  # the resend of the last answer: its stored reply, byte for byte the same
                assert again == finished
            assert await _closed(ws) == (1000, "finished")

    asyncio.run(asyncio.wait_for(go(), 30))


def test_a_hello_on_a_finished_session_gets_the_finished_frame_then_close_1000(short_srv: AppServer) -> None:
    tx = short_srv.hub.tx
    room = short_srv.call(rooms.create_room(tx, "R", "short"))
    cand = short_srv.call(rooms.register(tx, room["room_id"], [{"employee_id": "E1", "name": "A"}]))[0]
    url = f"ws://127.0.0.1:{short_srv.port}/ws/candidate"

    async def go() -> None:
        async with connect(url) as ws:
            finished = await _finish(ws, cand["token"])
        for _ in range(2):  # every later hello, from any computer
            async with connect(url) as ws:
                await ws.send(orjson.dumps({"type": "hello", "token": cand["token"]}).decode())
                frame = await _recv(ws)
                assert frame["type"] == "finished" and frame["profile"] == finished["profile"]
                assert await _closed(ws) == (1000, "finished")
        # nothing of the session counts as open any more on the process
        assert short_srv.call(_count(short_srv, cand["token"])) == 0

    asyncio.run(asyncio.wait_for(go(), 30))


async def _count(srv: AppServer, token: str) -> int:
    for _ in range(100):  # the server ends its side of the connection just after the close
        if srv.hub.limits.sessions.count(token) == 0:
            return 0
        await asyncio.sleep(0.01)
    return int(srv.hub.limits.sessions.count(token))


def test_a_takeover_on_the_same_process_closes_the_old_connection_without_the_stores_notification(
    short_srv: AppServer,
) -> None:
    tx = short_srv.hub.tx
    room = short_srv.call(rooms.create_room(tx, "R", "short"))
    cand = short_srv.call(rooms.register(tx, room["room_id"], [{"employee_id": "E1", "name": "A"}]))[0]
    url = f"ws://127.0.0.1:{short_srv.port}/ws/candidate"
    store = short_srv.hub.store

    async def lost(session_id: str, message: bytes) -> None:  # the notification never arrives
        return None

    async def go() -> None:
        store.notify = lost
        try:
            async with connect(url) as old, connect(url) as new:
                await old.send(orjson.dumps({"type": "hello", "token": cand["token"]}).decode())
                first = await _recv(old)
                await new.send(orjson.dumps({"type": "hello", "token": cand["token"]}).decode())
                assert (await _recv(new))["seq"] == first["seq"]
                assert (await _recv(old))["code"] == "taken_over"
                assert await _closed(old) == (4002, "taken_over")
                await new.send(orjson.dumps({"type": "ping"}).decode())  # the new one is untouched
                assert await _recv(new) == {"type": "pong"}
        finally:
            del store.notify

    asyncio.run(asyncio.wait_for(go(), 30))
