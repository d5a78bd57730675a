"""The candidate endpoint's own duties over a real socket: the subtest timer, and pushes after proctor commands.

The protocol cases (errors, exactly-once, takeover) are in test_server_bad_input.py and test_e2e_protocol.py; these
check what only the endpoint's serving loop does: wake up when the subtest's time runs out or its intro has waited
long enough, and forward a proctor's pause, resume, extension and message to the candidate's open connection; close
a finished session's connection (1000, ``finished``) after its final state; and hold a connection from another
device until a proctor decides on the move (docs/protocol.md, "Seats").
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
import redis
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


def _candidate(srv: AppServer, battery: str = "timer") -> tuple[str, str, str]:
    tx = srv.hub.tx
    room = srv.call(rooms.create_room(tx, "R", battery, is_open=True))
    cand = srv.call(rooms.register(tx, room["room_id"], [{"employee_id": "E1", "name": "A"}]))[0]
    return room["proctor_token"], cand["token"], cand["session_id"]


async def _recv(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    frame = orjson.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert isinstance(frame, dict)
    return frame


async def _send(ws: ClientConnection, **frame: Any) -> None:
    await ws.send(orjson.dumps(frame).decode())


async def _sit(ws: ClientConnection, token: str, device: str | None = None) -> dict[str, Any]:
    """Say hello (from ``device``, when given), start at the welcome and at the first subtest's intro; the first
    item."""
    await _send(ws, type="hello", token=token, **({} if device is None else {"device": device}))
    welcome = await _recv(ws)
    assert welcome["type"] == "welcome", welcome
    await _send(ws, type="start")
    intro = await _recv(ws)
    assert (intro["type"], intro["subtest"]["index"]) == ("subtest_intro", 0), intro
    await _send(ws, type="start", subtest=0)
    item = await _recv(ws)
    assert item["type"] == "item", item
    return item


def test_time_running_out_pushes_the_next_subtest(srv: AppServer) -> None:
    _, token, _ = _candidate(srv)

    async def go() -> None:
        async with connect(f"ws://127.0.0.1:{srv.port}/ws/candidate") as ws:
            first = await _sit(ws, token)
            assert first["subtest"]["id"] == "s1" and first["time_left_s"] == pytest.approx(LIMIT_S, abs=0.2)
            started = time.monotonic()
            pushed = await _recv(ws, timeout=LIMIT_S + 5)  # unprompted: the candidate sent nothing
            waited = time.monotonic() - started
            assert pushed["type"] == "subtest_intro" and pushed["subtest"]["id"] == "s2", pushed
            assert pushed["previous_subtest"] == {"id": "s1", "name": "Subtest s1", "reason": "time_up"}
            assert waited >= LIMIT_S - 0.3  # not before the time ran out
            # the late answer to the old item changes nothing: the next subtest has not started
            await _send(ws, type="answer", seq=first["seq"], response=0)
            assert (await _recv(ws))["code"] == "not_started"
            await _send(ws, type="start", subtest=1)
            item = await _recv(ws)
            assert (item["type"], item["subtest"]["id"], item["seq"]) == ("item", "s2", first["seq"] + 1)
            # ... and once it has: wrong_seq
            await _send(ws, type="answer", seq=first["seq"], response=0)
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
            first = await _sit(ws, token)
            await command(proctor, type="pause", reason="istirahat")
            assert await _recv(ws) == {"type": "paused", "reason": "istirahat"}
            await asyncio.sleep(LIMIT_S + 0.5)  # longer than the subtest's limit: paused, the clock stands still
            await command(proctor, type="extend", seconds=10)
            extended = await _recv(ws)
            assert (extended["type"], extended["extended_s"]) == ("time", 10)  # and how much was added
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
            first = await _sit(ws, token)
        await asyncio.sleep(LIMIT_S + 0.5)  # disconnected: no time used
        async with connect(url) as ws:
            await ws.send(orjson.dumps({"type": "hello", "token": token}).decode())
            resumed = await _recv(ws)
            assert resumed["seq"] == first["seq"] and resumed["subtest"]["id"] == "s1"
            assert resumed["time_left_s"] > 0.5
            pushed = await _recv(ws, timeout=LIMIT_S + 5)
            assert pushed["type"] == "subtest_intro" and pushed["previous_subtest"]["reason"] == "time_up"

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
    """Say hello, start, and answer every item; the ``finished`` reply."""
    frame = await _sit(ws, token)
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
    room = short_srv.call(rooms.create_room(tx, "R", "short", is_open=True))
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
    room = short_srv.call(rooms.create_room(tx, "R", "short", is_open=True))
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
    room = short_srv.call(rooms.create_room(tx, "R", "short", is_open=True))
    cand = short_srv.call(rooms.register(tx, room["room_id"], [{"employee_id": "E1", "name": "A"}]))[0]
    url = f"ws://127.0.0.1:{short_srv.port}/ws/candidate"
    store = short_srv.hub.store

    async def lost(session_id: str, message: bytes) -> None:  # the notification never arrives
        return None

    async def go() -> None:
        store.notify = lost
        try:
            async with connect(url) as old, connect(url) as new:
                first = await _sit(old, cand["token"])
                await new.send(orjson.dumps({"type": "hello", "token": cand["token"]}).decode())
                assert (await _recv(new))["seq"] == first["seq"]
                assert (await _recv(old))["code"] == "taken_over"
                assert await _closed(old) == (4002, "taken_over")
                await new.send(orjson.dumps({"type": "ping"}).decode())  # the new one is untouched
                assert await _recv(new) == {"type": "pong"}
        finally:
            del store.notify

    asyncio.run(asyncio.wait_for(go(), 30))


# --- an intro left alone: the server starts the subtest -----------------------------------------------------------

INTRO_S = 1.0  # CAT_INTRO_LIMIT_S, its least


@pytest.fixture(scope="module")
def intro_srv(tmp_path_factory: pytest.TempPathFactory, app_server: Callable[..., AppServer]) -> Iterator[AppServer]:
    sub = subtest_dict("s1", max_items=3, min_items=3, se_target=None, time_limit_s=600)
    path = write_battery(tmp_path_factory.mktemp("battery"), battery_dict([sub], id="intro"))
    server = app_server(Settings(admin_token="t", demo_room=False, batteries=(path,), intro_limit_s=INTRO_S))
    yield server
    server.stop()


def test_an_intro_left_alone_pushes_the_first_item_when_its_limit_passes(intro_srv: AppServer) -> None:
    _, token, session_id = _candidate(intro_srv, "intro")

    async def go() -> None:
        async with connect(f"ws://127.0.0.1:{intro_srv.port}/ws/candidate") as ws:
            await _send(ws, type="hello", token=token, device="seat-0042-abcd")
            assert (await _recv(ws))["type"] == "welcome"
            await asyncio.sleep(INTRO_S + 0.5)  # the welcome has no limit: nothing comes
            await _send(ws, type="ping")
            assert await _recv(ws) == {"type": "pong"}
            await _send(ws, type="start")
            intro = await _recv(ws)
            assert intro["type"] == "subtest_intro" and intro["starts_in_s"] == pytest.approx(INTRO_S, abs=0.2)
            shown = time.monotonic()
            pushed = await _recv(ws, timeout=INTRO_S + 5)  # unprompted: the candidate sent no start
            waited = time.monotonic() - shown
            assert (pushed["type"], pushed["seq"], pushed["subtest"]["index"]) == ("item", 1, 0), pushed
            assert pushed["time_left_s"] == pytest.approx(600, abs=0.5)  # its clock starts with the item
            assert waited >= INTRO_S - 0.3  # not before the intro's limit
            # a start that comes late changes nothing: the item again
            await _send(ws, type="start", subtest=0)
            assert (await _recv(ws))["item"] == pushed["item"]
            await _send(ws, type="answer", seq=1, response=0)
            assert (await _recv(ws))["seq"] == 2

    asyncio.run(asyncio.wait_for(go(), 30))
    audit = [orjson.loads(e) for _, e in intro_srv.call(intro_srv.hub.store.audit(session_id))]
    audit = [a for a in audit if a["kind"] != "disconnected"]  # the close's entry may land after the read
    assert [a["kind"] for a in audit] == ["hello", "start", "intro_ended", "presented", "start", "answer", "presented"]
    assert audit[0]["device"] == "seat-0042-abcd"
    assert (audit[2]["subtest"], audit[4]["outcome"]) == (0, "ignored")


# --- seats: a second device waits for the proctor's decision (docs/protocol.md, "Seats"; both stores) -------------

SEAT_A, SEAT_B, SEAT_C = "lab1-seat07-aaaa", "lab2-seat11-bbbb", "lab3-seat03-cccc"
APPROVAL = {"type": "waiting", "reason": "approval"}


@pytest.fixture(scope="module", params=["memory", "redis"])
def seat_srv(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, app_server: Callable[..., AppServer]
) -> Iterator[AppServer]:
    sub = subtest_dict("s1", max_items=FINISH_ITEMS, min_items=FINISH_ITEMS, se_target=None, time_limit_s=600)
    path = write_battery(tmp_path_factory.mktemp("battery"), battery_dict([sub], id="seats"))
    # a sitting and two devices asking for it at once: more than the two connections a token needs otherwise
    common: dict[str, Any] = {
        "admin_token": "t",
        "demo_room": False,
        "batteries": (path,),
        "max_session_connections": 4,
    }
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("private_redis")
        settings = Settings(redis_url=redis.url, key_prefix=f"t-seat-{secrets.token_hex(4)}", **common)
    else:
        settings = Settings(**common)
    server = app_server(settings)
    assert server.hub.store.kind == request.param
    yield server
    server.stop()


async def _heard(srv: AppServer, room_id: str) -> None:
    """Wait until the server process hears the room's notifications.

    A Redis store subscribes to a room's channel once a connection of the room is open on the process, which takes
    a moment; a notification published before that reaches nobody there (a push to the candidate is then lost). A
    proctor's decision comes seconds after a candidate connects; a test that sends one at once waits for the
    subscription first, as tests/test_server_cluster_tasks.py does.
    """
    settings = srv.hub.settings
    if srv.hub.store.kind != "redis":
        return
    assert settings.redis_url is not None
    url, channel = settings.redis_url, f"{settings.key_prefix}:{{{room_id}}}:notify"

    def subscribers() -> int:
        client = redis.Redis.from_url(url)
        try:
            return int(client.execute_command("PUBSUB", "SHARDNUMSUB", channel)[1])  # type: ignore[no-untyped-call]
        finally:
            client.close()

    deadline = time.monotonic() + 5
    while await asyncio.to_thread(subscribers) < 1:
        assert time.monotonic() < deadline, f"the server never subscribed to {channel}"
        await asyncio.sleep(0.02)


class _Proctor:
    """A proctor connection that keeps the events it reads while waiting for acknowledgements."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []

    async def hello(self, token: str) -> dict[str, Any]:
        await _send(self.ws, type="hello", token=token)
        snapshot = await _recv(self.ws)
        assert snapshot["type"] == "snapshot", snapshot
        return snapshot

    async def reply(self, **frame: Any) -> dict[str, Any]:
        """Send a frame; the next frame that is not an event (an ``ack`` or an error)."""
        await _send(self.ws, **frame)
        while (got := await _recv(self.ws))["type"] == "event":
            self.events.append(got)
        return got

    async def event(self, kind: str, session_id: str) -> dict[str, Any]:
        """The first event of ``kind`` of the session, reading until it comes."""
        while True:
            for e in self.events:
                if e["session_id"] == session_id and e["event"]["type"] == kind:
                    return e
            got = await _recv(self.ws)
            assert got["type"] == "event", got
            self.events.append(got)


async def _second_device_asks(
    srv: AppServer,
    proctor_ws: ClientConnection,
    first: ClientConnection,
    second: ClientConnection,
    who: tuple[str, str, str],
) -> tuple[_Proctor, dict[str, Any]]:
    """The proctor signs in, the sitting is taken on SEAT_A by ``first`` (its first item returned), and ``second``
    says hello from SEAT_B, which waits for approval."""
    proctor_token, token, session_id = who
    proctor = _Proctor(proctor_ws)
    await proctor.hello(proctor_token)
    item = await _sit(first, token, SEAT_A)
    await _heard(srv, session_id.split("-")[0])
    await _send(second, type="hello", token=token, device=SEAT_B)
    assert await _recv(second) == APPROVAL
    return proctor, item


def test_a_second_device_waits_until_the_proctor_approves_the_move(seat_srv: AppServer) -> None:
    proctor_token, token, session_id = _candidate(seat_srv, "seats")
    base = f"ws://127.0.0.1:{seat_srv.port}"

    async def go() -> None:
        async with (
            connect(f"{base}/ws/proctor") as proctor_ws,
            connect(f"{base}/ws/candidate") as first,
            connect(f"{base}/ws/candidate") as second,
        ):
            proctor, item = await _second_device_asks(
                seat_srv, proctor_ws, first, second, (proctor_token, token, session_id)
            )
            # while it waits, anything but a ping gets the waiting frame again, and moves nothing
            for frame in (
                {"type": "start"},
                {"type": "start", "subtest": 0},
                {"type": "answer", "seq": 1, "response": 0},
            ):
                await _send(second, **frame)
                assert await _recv(second) == APPROVAL, frame
            await _send(second, type="ping")
            assert await _recv(second) == {"type": "pong"}
            requested = await proctor.event("seat_change_requested", session_id)
            assert (requested["event"]["device"], requested["event"]["requested"]) == (SEAT_A, SEAT_B)
            assert (requested["view"]["device"], requested["view"]["seat_request"]) == (SEAT_A, SEAT_B)
            assert "approve_seat" in requested["view"]["allowed"] and "deny_seat" in requested["view"]["allowed"]
            # the sitting stays on the first computer meanwhile
            await _send(first, type="answer", seq=item["seq"], response=0)
            current = await _recv(first)
            assert (current["type"], current["seq"]) == ("item", item["seq"] + 1)

            ack = await proctor.reply(type="approve_seat", session_id=session_id, id="a1")
            assert ack == {
                "type": "ack",
                "id": "a1",
                "command": "approve_seat",
                "results": [{"session_id": session_id, "ok": True}],
            }
            lost = await _recv(first)
            assert (lost["type"], lost["code"]) == ("error", "taken_over")
            assert await _closed(first) == (4002, "taken_over")
            moved = await _recv(second)  # the frame of where the sitting is, as after any hello
            assert (moved["type"], moved["seq"], moved["item"]) == ("item", current["seq"], current["item"])
            await _send(second, type="answer", seq=moved["seq"], response=1)
            after = await _recv(second)
            assert (after["type"], after["seq"]) == ("item", current["seq"] + 1)
            approved = await proctor.event("seat_approved", session_id)
            assert approved["event"]["device"] == SEAT_B

    asyncio.run(asyncio.wait_for(go(), 30))
    audit = [orjson.loads(e) for _, e in seat_srv.call(seat_srv.hub.store.audit(session_id))]
    hellos = [(a.get("device"), a.get("outcome")) for a in audit if a["kind"] == "hello"]
    assert hellos == [(SEAT_A, None), (SEAT_B, "approval"), (SEAT_B, None)]  # asked, then taken once approved
    assert [a["command"] for a in audit if a["kind"] == "proctor"] == ["approve_seat"]


def test_a_denied_device_is_closed_and_approving_another_closes_the_one_waiting(seat_srv: AppServer) -> None:
    proctor_token, token, session_id = _candidate(seat_srv, "seats")
    base = f"ws://127.0.0.1:{seat_srv.port}"

    async def go() -> None:
        async with connect(f"{base}/ws/proctor") as proctor_ws, connect(f"{base}/ws/candidate") as first:
            proctor = _Proctor(proctor_ws)
            await proctor.hello(proctor_token)
            item = await _sit(first, token, SEAT_A)
            await _heard(seat_srv, session_id.split("-")[0])
            async with connect(f"{base}/ws/candidate") as second:
                await _send(second, type="hello", token=token, device=SEAT_B)
                assert await _recv(second) == APPROVAL
                ack = await proctor.reply(type="deny_seat", session_id=session_id)
                assert ack["results"] == [{"session_id": session_id, "ok": True}]
                refused = await _recv(second)
                assert (refused["type"], refused["code"]) == ("error", "seat_denied")
                assert await _closed(second) == (4011, "seat_denied")
            denied = await proctor.event("seat_denied", session_id)
            assert denied["event"]["device"] == SEAT_B
            # the sitting stayed: the first computer goes on
            await _send(first, type="answer", seq=item["seq"], response=0)
            current = await _recv(first)
            assert (current["type"], current["seq"]) == ("item", item["seq"] + 1)

            # two devices ask; the newer request replaces the older; approving it closes the older one
            async with connect(f"{base}/ws/candidate") as third, connect(f"{base}/ws/candidate") as fourth:
                await _send(third, type="hello", token=token, device=SEAT_B)
                assert await _recv(third) == APPROVAL
                await _send(fourth, type="hello", token=token, device=SEAT_C)
                assert await _recv(fourth) == APPROVAL
                ack = await proctor.reply(type="approve_seat", session_id=session_id)
                assert ack["results"] == [{"session_id": session_id, "ok": True}]
                refused = await _recv(third)
                assert (refused["type"], refused["code"]) == ("error", "seat_denied")
                assert await _closed(third) == (4011, "seat_denied")
                lost = await _recv(first)
                assert (lost["type"], lost["code"]) == ("error", "taken_over")
                assert await _closed(first) == (4002, "taken_over")
                moved = await _recv(fourth)
                assert (moved["type"], moved["seq"], moved["item"]) == ("item", current["seq"], current["item"])
            approved = await proctor.event("seat_approved", session_id)
            assert approved["event"]["device"] == SEAT_C
            requests = [
                e["event"]["requested"] for e in proctor.events if e["event"]["type"] == "seat_change_requested"
            ]
            assert requests == [SEAT_B, SEAT_B, SEAT_C]

    asyncio.run(asyncio.wait_for(go(), 30))


def test_a_device_waiting_for_approval_is_closed_when_the_sitting_is_terminated(seat_srv: AppServer) -> None:
    proctor_token, token, session_id = _candidate(seat_srv, "seats")
    base = f"ws://127.0.0.1:{seat_srv.port}"

    async def go() -> None:
        async with (
            connect(f"{base}/ws/proctor") as proctor_ws,
            connect(f"{base}/ws/candidate") as first,
            connect(f"{base}/ws/candidate") as second,
        ):
            who = (proctor_token, token, session_id)
            proctor, _ = await _second_device_asks(seat_srv, proctor_ws, first, second, who)
            ack = await proctor.reply(type="terminate", session_id=session_id, reason="joki")
            assert ack["results"] == [{"session_id": session_id, "ok": True}]
            for ws in (first, second):  # nothing is left to move: the waiting computer is told, as the seated one
                ended = await _recv(ws)
                assert (ended["type"], ended["code"]) == ("error", "terminated")
                assert (await _closed(ws))[0] == 4003

    asyncio.run(asyncio.wait_for(go(), 30))


# --- a proctor's message: pushed to the candidates' open connections, in their audit (both stores) ----------------


def test_a_proctors_message_reaches_the_connected_candidates_it_names(seat_srv: AppServer) -> None:
    tx = seat_srv.hub.tx
    room = seat_srv.call(rooms.create_room(tx, "R", "seats", is_open=True))
    rows = [{"employee_id": f"E{n}", "name": f"Peserta {n}"} for n in range(1, 4)]
    a, b, c = seat_srv.call(rooms.register(tx, room["room_id"], rows))  # c never connects
    other = seat_srv.call(rooms.create_room(tx, "R2", "seats", is_open=True))
    stranger = seat_srv.call(rooms.register(tx, other["room_id"], [{"employee_id": "E9", "name": "Lain"}]))[0]
    base = f"ws://127.0.0.1:{seat_srv.port}"

    async def go() -> None:
        async with (
            connect(f"{base}/ws/proctor") as proctor_ws,
            connect(f"{base}/ws/candidate") as ws_a,
            connect(f"{base}/ws/candidate") as ws_b,
        ):
            proctor = _Proctor(proctor_ws)
            await proctor.hello(room["proctor_token"])
            item = await _sit(ws_a, a["token"])  # answering
            await _send(ws_b, type="hello", token=b["token"])
            assert (await _recv(ws_b))["type"] == "welcome"  # still at the welcome
            await _heard(seat_srv, room["room_id"])
            # to one candidate
            text = "Sisa waktu 5 menit, periksa jawaban Anda."
            ack = await proctor.reply(type="message", session_id=a["session_id"], text=text, id="m1")
            assert ack == {
                "type": "ack",
                "id": "m1",
                "command": "message",
                "results": [{"session_id": a["session_id"], "ok": True, "delivered": True}],
            }
            got = await _recv(ws_a)
            assert set(got) == {"type", "text", "at_ms"} and (got["type"], got["text"]) == ("message", text)
            assert isinstance(got["at_ms"], int) and got["at_ms"] > 1_700_000_000_000
            await _send(ws_b, type="ping")
            assert await _recv(ws_b) == {"type": "pong"}  # not for b
            # to the room: every connected candidate, whatever the screen
            text = "Harap tenang.\nUjian segera berakhir."
            ack = await proctor.reply(type="message", room=True, text=text)
            delivered = [{"session_id": s["session_id"], "ok": True, "delivered": s is not c} for s in (a, b, c)]
            assert ack["results"] == delivered  # c never connected: nothing to show it on
            for ws in (ws_a, ws_b):
                got = await _recv(ws)
                assert (got["type"], got["text"]) == ("message", text)
            # the candidate goes on where it was
            await _send(ws_a, type="answer", seq=item["seq"], response=0)
            assert (await _recv(ws_a))["seq"] == item["seq"] + 1
            # another room's session: forbidden, nothing sent
            refused = await proctor.reply(type="message", session_id=stranger["session_id"], text="x")
            assert (refused["type"], refused["code"]) == ("error", "forbidden")
            # a bad text: bad_message, and the connection stays open
            for bad in ("", "   ", "a\x00b", "m" * 501):
                refused = await proctor.reply(type="message", room=True, text=bad)
                assert (refused["type"], refused["code"]) == ("error", "bad_message"), bad
            assert (await proctor.reply(type="ping"))["type"] == "pong"

    asyncio.run(asyncio.wait_for(go(), 30))

    def messages(session_id: str) -> list[str]:
        audit = [orjson.loads(e) for _, e in seat_srv.call(seat_srv.hub.store.audit(session_id))]
        return [e["text"] for e in audit if e["kind"] == "message"]

    assert messages(a["session_id"]) == [
        "Sisa waktu 5 menit, periksa jawaban Anda.",
        "Harap tenang.\nUjian segera berakhir.",
    ]
    assert messages(b["session_id"]) == messages(c["session_id"]) == ["Harap tenang.\nUjian segera berakhir."]
    assert messages(stranger["session_id"]) == []
