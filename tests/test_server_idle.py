"""Dead links on the server side: a candidate connection silent for ``CAT_IDLE_DISCONNECT_S`` is closed ``idle``.

A link that dies without a close sends nothing; the server then closes it (4010), so the session shows disconnected
to the proctor and its clock stops. A client that pings while quiet is never closed.
"""

from __future__ import annotations

import asyncio
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

IDLE_S = 1.0


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, app_server: Callable[..., AppServer]) -> Iterator[AppServer]:
    subs = [subtest_dict("s1", max_items=5, min_items=5, se_target=None, time_limit_s=600)]
    path = write_battery(tmp_path_factory.mktemp("battery"), battery_dict(subs, id="idle"))
    server = app_server(
        Settings(admin_token="t", demo_room=False, batteries=(path,), idle_disconnect_s=IDLE_S, hello_timeout_s=2.0)
    )
    yield server
    server.stop()


def _candidate(srv: AppServer) -> tuple[str, str]:
    tx = srv.hub.tx
    room = srv.call(rooms.create_room(tx, "R", "idle", is_open=True))
    cand = srv.call(rooms.register(tx, room["room_id"], [{"employee_id": "E1", "name": "A"}]))[0]
    return cand["token"], cand["session_id"]


async def _recv(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    frame = orjson.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert isinstance(frame, dict)
    return frame


async def _send(ws: ClientConnection, frame: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(frame).decode())


async def _to_first_item(ws: ClientConnection, token: str) -> dict[str, Any]:
    await _send(ws, {"type": "hello", "token": token})
    assert (await _recv(ws))["type"] == "welcome"
    await _send(ws, {"type": "start"})
    intro = await _recv(ws)
    assert intro["type"] == "subtest_intro"
    await _send(ws, {"type": "start", "subtest": intro["subtest"]["index"]})
    item = await _recv(ws)
    assert item["type"] == "item"
    return item


def _session(srv: AppServer, session_id: str) -> dict[str, Any]:
    room = srv.call(srv.hub.proctors.room_view(session_id.rsplit("-", 1)[0]))
    return next(s for s in room.summaries if s["session_id"] == session_id)


def test_a_silent_connection_is_closed_idle_and_its_clock_stops(srv: AppServer) -> None:
    token, sid = _candidate(srv)

    async def go() -> float:
        async with connect(srv.ws_url + "/ws/candidate") as ws:
            await _to_first_item(ws, token)
            quiet_from = time.monotonic()
            error = await _recv(ws, timeout=IDLE_S + 5)
            assert (error["type"], error["code"]) == ("error", "idle"), error
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            assert ws.close_code == 4010
            return time.monotonic() - quiet_from

    silent_for = srv.call(go(), timeout=20)
    assert silent_for >= IDLE_S * 0.9  # never before the client was silent that long (monotonic, no upper bound)
    for _ in range(50):  # the close is processed after the frame: the session shows disconnected
        view = _session(srv, sid)
        if not view["connected"]:
            break
        time.sleep(0.05)
    assert view["phase"] == "active" and view["connected"] is False
    left = view["time_left_s"]
    time.sleep(0.3)
    assert _session(srv, sid)["time_left_s"] == left  # the clock stopped with the link


def test_a_client_that_pings_while_quiet_stays_connected(srv: AppServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """...and the idle timer, waking on a link that spoke since, leaves the session alone (no load, no tick) while
    no clock or intro is due."""
    token, sid = _candidate(srv)
    store = srv.hub.tx.store
    loads: list[str] = []
    real_load = store.load

    async def counted_load(session_id: str) -> Any:
        loads.append(session_id)
        return await real_load(session_id)

    async def go() -> None:
        async with connect(srv.ws_url + "/ws/candidate") as ws:
            await _to_first_item(ws, token)
            monkeypatch.setattr(store, "load", counted_load)
            for _ in range(6):  # 3 idle periods in all, never silent for one
                await asyncio.sleep(IDLE_S / 2)
                await _send(ws, {"type": "ping"})
                assert await _recv(ws) == {"type": "pong"}
            assert ws.close_code is None  # still open after three idle periods
            assert sid not in loads  # the subtest's 600 s clock is far off: nothing to tick

    srv.call(go(), timeout=20)


def test_before_hello_the_hello_timeout_rules_not_the_idle_one(srv: AppServer) -> None:
    async def go() -> None:
        async with connect(srv.ws_url + "/ws/candidate") as ws:
            error = await _recv(ws, timeout=srv.hub.settings.hello_timeout_s + 5)
            assert error["code"] == "hello_timeout"

    srv.call(go(), timeout=30)
