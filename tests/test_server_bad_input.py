"""Every bad input of docs/protocol.md against the real app (uvicorn in a thread), over the memory and Redis stores.

Each case asserts the error code and what happens to the connection (stays open: a ``ping`` still gets ``pong``;
closed: the documented close code), that nothing stored changed (a fingerprint of the room's sessions with their
versions, replies, audit, events and results, taken before and after), and that ``/metrics`` counted exactly that
error (``cat_errors_total{code}``). Every case gets a fresh room, so one case's connection closing late cannot touch
another's fingerprint.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import secrets
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import AppServer, battery_dict, subtest_dict, write_battery
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from cat_engine import codec
from cat_engine import session as core
from cat_engine.server import rooms
from cat_engine.server.decoding import ProctorCommand
from cat_engine.server.settings import Settings
from cat_engine.session import Command
from load_tests.procs import RedisServer

ADMIN = "t"
ITEMS = 3
FLOOD_BURST = 10
HELLO_TIMEOUT_S = 1.0
MAX_FRAME = 4096
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def run(factory: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(factory(), timeout)

    return asyncio.run(bounded())


@pytest.fixture(scope="module")
def battery_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sub = subtest_dict("s1", max_items=ITEMS, min_items=ITEMS, se_target=None, time_limit_s=600)
    return write_battery(tmp_path_factory.mktemp("battery"), battery_dict([sub], id="bad-input"))


@pytest.fixture(scope="module", params=["memory", "redis"])
def srv(
    request: pytest.FixtureRequest, app_server: Callable[..., AppServer], battery_path: Path
) -> Iterator[AppServer]:
    limits: dict[str, Any] = {
        "batteries": (battery_path,),
        "flood_burst": FLOOD_BURST,
        "flood_rate": 2.0,
        "hello_timeout_s": HELLO_TIMEOUT_S,
    }
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("private_redis")
        prefix = f"t-bad-{secrets.token_hex(4)}"
        settings = Settings(redis_url=redis.url, key_prefix=prefix, admin_token=ADMIN, demo_room=False, **limits)
    else:
        settings = Settings(admin_token=ADMIN, demo_room=False, **limits)
    server = app_server(settings)
    assert server.hub.store.kind == request.param
    yield server
    server.stop()


# --- the room of a case ----------------------------------------------------------------------------------------


@dataclass
class Room:
    srv: AppServer
    room_id: str
    proctor_token: str
    cands: list[dict[str, str]]
    others: list[str] = field(default_factory=list)  # more rooms the case touches

    @property
    def sid(self) -> str:
        return self.cands[0]["session_id"]

    @property
    def token(self) -> str:
        return self.cands[0]["token"]

    def fingerprint(self) -> Any:
        return {r: self.srv.call(fingerprint(self.srv, r)) for r in (self.room_id, *self.others)}

    def state(self) -> core.SessionState:
        rec = self.srv.call(self.srv.hub.store.load(self.sid))
        return codec.decode(self.srv.hub.batteries["bad-input"], rec.state)


def new_room(srv: AppServer, n: int = 2, *, is_open: bool = True) -> Room:
    """A room of ``n`` candidates, open unless asked otherwise (the gate is not what most cases are about)."""
    tx = srv.hub.tx
    room = srv.call(rooms.create_room(tx, "Ruang Uji", "bad-input", is_open=is_open))
    roster = [{"employee_id": f"E{i}", "name": f"Peserta {i}"} for i in range(n)]
    cands = srv.call(rooms.register(tx, room["room_id"], roster))
    return Room(srv, room["room_id"], room["proctor_token"], cands)


async def fingerprint(srv: AppServer, room_id: str) -> Any:
    """What the store holds about a room (no DUMP: the Store interface, the same for both twins)."""
    store = srv.hub.store
    recs = await store.load_room(room_id)
    return {
        "sessions": [(r.session_id, r.version, r.state, r.owner) for r in recs],
        "replies": {r.session_id: [await store.reply(r.session_id, q) for q in range(1, ITEMS + 2)] for r in recs},
        "audit": {r.session_id: await store.audit(r.session_id) for r in recs},
        "events": await store.read_events(room_id, "0-0", 0),
        "results": await store.results(room_id),
    }


def error_counts(srv: AppServer) -> Counter[str]:
    request = urllib.request.Request(srv.base_url + "/metrics", headers={"Authorization": f"Bearer {ADMIN}"})
    with _OPENER.open(request, timeout=5) as resp:
        text = resp.read().decode()
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        m = re.fullmatch(r'cat_errors_total\{code="([a-z_]+)"\} (\d+)(?:\.0)?', line)
        if m:
            counts[m.group(1)] = int(m.group(2))
    return counts


def delta(after: Counter[str], before: Counter[str]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in after | before if after[k] != before[k]}


# --- the client side -------------------------------------------------------------------------------------------


def ws(srv: AppServer, endpoint: str) -> Any:
    return connect(f"{srv.ws_url}/ws/{endpoint}", proxy=None, open_timeout=5, close_timeout=2, max_size=None)


async def recv(conn: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    data = orjson.loads(await asyncio.wait_for(conn.recv(), timeout))
    assert isinstance(data, dict)
    return data


async def send(conn: ClientConnection, frame: str | bytes | dict[str, Any]) -> None:
    await conn.send(orjson.dumps(frame).decode() if isinstance(frame, dict) else frame)


def check_error(frame: dict[str, Any], code: str) -> None:
    assert frame.get("type") == "error", frame
    # wrong_seq carries the seq of the item being presented (docs/protocol.md); no other refusal here has fields
    fields = {"current_seq"} if code == "wrong_seq" else set()
    assert set(frame) == {"type", "code", "message"} | fields, frame
    assert frame["code"] == code, frame
    if fields:
        assert isinstance(frame["current_seq"], int) and frame["current_seq"] >= 1, frame
    assert isinstance(frame["message"], str) and frame["message"]


async def still_open(conn: ClientConnection) -> None:
    """A ``ping`` still gets ``pong`` (before ``hello`` too: docs/protocol.md, ``not_authenticated``)."""
    await send(conn, {"type": "ping"})
    assert await recv(conn) == {"type": "pong"}


async def closed_with(conn: ClientConnection, timeout: float = 5.0) -> int | None:
    """Read until the server closes; the close code it sent (frames other than pong are unexpected)."""
    with pytest.raises(ConnectionClosed):
        while True:
            extra = orjson.loads(await asyncio.wait_for(conn.recv(), timeout))
            assert extra == {"type": "pong"}, extra
    return conn.close_code


async def hello(conn: ClientConnection, token: str, expect: str) -> dict[str, Any]:
    await send(conn, {"type": "hello", "token": token})
    first = await recv(conn)
    assert first["type"] == expect, first
    return first


async def to_intro(conn: ClientConnection, token: str) -> dict[str, Any]:
    """``hello`` on a session not started (an open room): ``welcome``, then ``start`` and the first subtest's
    ``subtest_intro`` (docs/protocol.md, Flow 2 and 3)."""
    await hello(conn, token, "welcome")
    await send(conn, {"type": "start"})
    intro = await recv(conn)
    assert intro["type"] == "subtest_intro" and intro["subtest"]["index"] == 0, intro
    return intro


async def sit(conn: ClientConnection, token: str) -> dict[str, Any]:
    """``hello`` on a session not started, through the welcome and the first intro to the first ``item`` (Flow 4)."""
    await to_intro(conn, token)
    await send(conn, {"type": "start", "subtest": 0})
    item = await recv(conn)
    assert item["type"] == "item" and item["seq"] == 1, item
    return item


async def say_hello_at(conn: ClientConnection, token: str, at: str) -> None:
    """Say hello and bring the session to ``at``: ``item`` (the first one), ``welcome``, ``intro`` (the first
    subtest's), or the frame the hello gets as it is (``paused``, ``waiting``)."""
    if at == "item":
        await sit(conn, token)
    elif at == "intro":
        await to_intro(conn, token)
    else:
        await hello(conn, token, at)


# --- cases where the connection stays open ---------------------------------------------------------------------

Frame = Callable[[Room], "str | bytes | dict[str, Any]"]


@dataclass(frozen=True)
class Case:
    name: str
    endpoint: str  # candidate | proctor
    hello: bool  # say hello first
    frame: Frame
    code: str
    setup: Callable[[Room], None] | None = None
    at: str = "item"  # candidate: where the session is when the frame comes (see say_hello_at)
    room_open: bool = True

    def __str__(self) -> str:
        return self.name


def _const(value: str | bytes | dict[str, Any]) -> Frame:
    return lambda room: value


def _hello_from(device: object) -> Frame:
    """A ``hello`` with the room's token from ``device`` (docs/protocol.md: 8 to 64 of ``A-Z a-z 0-9 - _``)."""
    return lambda room: {"type": "hello", "token": room.token, "device": device}


def _pause(room: Room) -> None:
    cases, conn = room.srv.hub.candidates, "elsewhere/c"
    room.srv.call(cases.hello(room.token, conn))
    room.srv.call(cases.start(room.sid, conn, None))  # the welcome, then the first subtest's intro: an item shown
    room.srv.call(cases.start(room.sid, conn, 0))
    command = ProctorCommand(Command.PAUSE, room.sid)
    ack = orjson.loads(room.srv.call(room.srv.hub.proctors.command(room.room_id, command)))
    assert ack["results"][0]["ok"]


def _another_room(room: Room) -> None:
    other = new_room(room.srv, 1)
    room.others.append(other.room_id)
    room.cands.append(other.cands[0])  # cands[-1]: a session of another room


_NOT_JSON = ["{not json", '{"type": "ping"', "", "\ufeff{}", "NaN"]
_NOT_OBJECT = ["[1, 2]", '"hello"', "42", "null", "true"]
_NO_TYPE: list[dict[str, Any]] = [{"seq": 1}, {"type": 5}, {"type": None}, {"type": ["hello"]}]

CANDIDATE_OPEN: list[Case] = [
    *(
        Case(f"cand-not-json-{i}", "candidate", h, _const(f), "bad_message")
        for i, f in enumerate(_NOT_JSON)
        for h in (False, True)
    ),
    *(Case(f"cand-not-object-{i}", "candidate", True, _const(f), "bad_message") for i, f in enumerate(_NOT_OBJECT)),
    *(Case(f"cand-no-type-{i}", "candidate", False, _const(f), "bad_message") for i, f in enumerate(_NO_TYPE)),
    Case("cand-unknown-type", "candidate", True, _const({"type": "anwser", "seq": 1, "response": 0}), "bad_message"),
    Case("cand-unknown-type-pre", "candidate", False, _const({"type": "snapshot"}), "bad_message"),
    Case("cand-binary", "candidate", True, _const(b'{"type": "ping"}'), "bad_message"),
    Case("cand-binary-pre", "candidate", False, _const(b"\x00\xff"), "bad_message"),
    Case("cand-hello-no-token", "candidate", False, _const({"type": "hello"}), "bad_message"),
    Case("cand-hello-int-token", "candidate", False, _const({"type": "hello", "token": 5}), "bad_message"),
    Case("cand-hello-empty-token", "candidate", False, _const({"type": "hello", "token": ""}), "bad_message"),
    Case(
        "cand-hello-extra-field",
        "candidate",
        False,
        lambda r: {"type": "hello", "token": r.token, "x": 1},
        "bad_message",
    ),
    Case("cand-answer-no-response", "candidate", True, _const({"type": "answer", "seq": 1}), "bad_message"),
    Case("cand-answer-no-seq", "candidate", True, _const({"type": "answer", "response": 0}), "bad_message"),
    Case(
        "cand-answer-str-seq", "candidate", True, _const({"type": "answer", "seq": "1", "response": 0}), "bad_message"
    ),
    Case(
        "cand-answer-bool-seq", "candidate", True, _const({"type": "answer", "seq": True, "response": 0}), "bad_message"
    ),
    Case(
        "cand-answer-float-resp",
        "candidate",
        True,
        _const({"type": "answer", "seq": 1, "response": 1.5}),
        "bad_message",
    ),
    Case(
        "cand-answer-null-resp",
        "candidate",
        True,
        _const({"type": "answer", "seq": 1, "response": None}),
        "bad_message",
    ),
    # any JSON integer is a well-formed seq or response: the session says wrong_seq or bad_response
    Case("cand-answer-neg-seq", "candidate", True, _const({"type": "answer", "seq": -1, "response": 0}), "wrong_seq"),
    Case(
        "cand-answer-big-seq", "candidate", True, _const({"type": "answer", "seq": 10**15, "response": 0}), "wrong_seq"
    ),
    Case(
        "cand-answer-big-resp",
        "candidate",
        True,
        _const({"type": "answer", "seq": 1, "response": -(10**15)}),
        "bad_response",
    ),
    # past 64 bits orjson reads no integer: not JSON the server can read
    Case(
        "cand-answer-huge-seq",
        "candidate",
        True,
        _const('{"type": "answer", "seq": 100000000000000000000, "response": 0}'),
        "bad_message",
    ),
    Case("cand-ping-field", "candidate", True, _const({"type": "ping", "x": 1}), "bad_message"),
    Case("cand-ping-field-pre", "candidate", False, _const({"type": "ping", "token": "x"}), "bad_message"),
    Case(
        "cand-answer-extra",
        "candidate",
        True,
        _const({"type": "answer", "seq": 1, "response": 0, "x": 0}),
        "bad_message",
    ),
    Case(
        "cand-answer-before-hello",
        "candidate",
        False,
        _const({"type": "answer", "seq": 1, "response": 0}),
        "not_authenticated",
    ),
    Case("cand-proctor-command", "candidate", True, lambda r: {"type": "pause", "session_id": r.sid}, "forbidden"),
    Case(
        "cand-proctor-command-pre",
        "candidate",
        False,
        _const({"type": "terminate", "room": True, "reason": "x"}),
        "forbidden",
    ),
    Case("cand-wrong-seq", "candidate", True, _const({"type": "answer", "seq": 2, "response": 0}), "wrong_seq"),
    Case("cand-wrong-seq-zero", "candidate", True, _const({"type": "answer", "seq": 0, "response": 0}), "wrong_seq"),
    Case("cand-bad-response", "candidate", True, _const({"type": "answer", "seq": 1, "response": 4}), "bad_response"),
    Case(
        "cand-bad-response-neg", "candidate", True, _const({"type": "answer", "seq": 1, "response": -1}), "bad_response"
    ),
    Case(
        "cand-paused",
        "candidate",
        True,
        _const({"type": "answer", "seq": 1, "response": 0}),
        "paused",
        _pause,
        at="paused",
    ),
    # an answer before the battery or the subtest started: send start first
    *(
        Case(
            f"cand-not-started-{at}",
            "candidate",
            True,
            _const({"type": "answer", "seq": 1, "response": 0}),
            "not_started",
            at=at,
            room_open=at != "waiting",
        )
        for at in ("waiting", "welcome", "intro")
    ),
    Case("cand-start-str-subtest", "candidate", True, _const({"type": "start", "subtest": "0"}), "bad_message"),
    Case("cand-start-bool-subtest", "candidate", True, _const({"type": "start", "subtest": True}), "bad_message"),
    Case(
        "cand-start-float-subtest",
        "candidate",
        True,
        _const({"type": "start", "subtest": 0.5}),
        "bad_message",
        at="intro",
    ),
    Case("cand-start-extra", "candidate", True, _const({"type": "start", "seq": 1}), "bad_message", at="welcome"),
    Case("cand-start-before-hello", "candidate", False, _const({"type": "start"}), "not_authenticated"),
    *(
        Case(
            f"cand-hello-bad-device-{i}",
            "candidate",
            False,
            _hello_from(device),
            "bad_message",
        )
        for i, device in enumerate(["short", "x" * 65, "seat 12 lab", "kursi-é-0001", 12345678, ""])
    ),
    Case("cand-open-room", "candidate", True, _const({"type": "open_room"}), "forbidden", at="welcome"),
]

PROCTOR_OPEN: list[Case] = [
    *(
        Case(f"proc-not-json-{i}", "proctor", h, _const(f), "bad_message")
        for i, f in enumerate(_NOT_JSON)
        for h in (False, True)
    ),
    *(Case(f"proc-not-object-{i}", "proctor", True, _const(f), "bad_message") for i, f in enumerate(_NOT_OBJECT)),
    *(Case(f"proc-no-type-{i}", "proctor", True, _const(f), "bad_message") for i, f in enumerate(_NO_TYPE)),
    Case("proc-ping-field", "proctor", True, _const({"type": "ping", "id": 1}), "bad_message"),
    Case("proc-open-room-field", "proctor", True, _const({"type": "open_room", "room": True}), "bad_message"),
    Case("proc-close-room-bool-id", "proctor", True, _const({"type": "close_room", "id": True}), "bad_message"),
    Case("proc-open-room-pre", "proctor", False, _const({"type": "open_room"}), "not_authenticated"),
    Case("proc-unknown-type", "proctor", True, _const({"type": "kick", "room": True}), "bad_message"),
    Case("proc-answer", "proctor", True, _const({"type": "answer", "seq": 1, "response": 0}), "bad_message"),
    Case("proc-binary", "proctor", True, _const(b'{"type": "ping"}'), "bad_message"),
    Case("proc-hello-no-token", "proctor", False, _const({"type": "hello"}), "bad_message"),
    Case(
        "proc-hello-bad-last-id",
        "proctor",
        False,
        lambda r: {"type": "hello", "token": r.proctor_token, "last_event_id": "abc"},
        "bad_message",
    ),
    Case(
        "proc-hello-int-last-id",
        "proctor",
        False,
        lambda r: {"type": "hello", "token": r.proctor_token, "last_event_id": 5},
        "bad_message",
    ),
    Case("proc-neither-target", "proctor", True, _const({"type": "pause"}), "bad_message"),
    Case(
        "proc-both-targets",
        "proctor",
        True,
        lambda r: {"type": "pause", "room": True, "session_id": r.sid},
        "bad_message",
    ),
    Case("proc-room-false", "proctor", True, _const({"type": "pause", "room": False}), "bad_message"),
    Case("proc-int-session", "proctor", True, _const({"type": "pause", "session_id": 5}), "bad_message"),
    Case("proc-empty-session", "proctor", True, _const({"type": "pause", "session_id": ""}), "bad_message"),
    Case("proc-bool-id", "proctor", True, lambda r: {"type": "pause", "session_id": r.sid, "id": True}, "bad_message"),
    Case("proc-extend-no-seconds", "proctor", True, lambda r: {"type": "extend", "session_id": r.sid}, "bad_message"),
    Case(
        "proc-extend-zero",
        "proctor",
        True,
        lambda r: {"type": "extend", "session_id": r.sid, "seconds": 0},
        "bad_message",
    ),
    Case(
        "proc-extend-too-long",
        "proctor",
        True,
        lambda r: {"type": "extend", "room": True, "seconds": 86401},
        "bad_message",
    ),
    Case(
        "proc-extend-str",
        "proctor",
        True,
        lambda r: {"type": "extend", "session_id": r.sid, "seconds": "60"},
        "bad_message",
    ),
    Case(
        "proc-pause-seconds",
        "proctor",
        True,
        lambda r: {"type": "pause", "session_id": r.sid, "seconds": 5},
        "bad_message",
    ),
    Case(
        "proc-terminate-no-reason", "proctor", True, lambda r: {"type": "terminate", "session_id": r.sid}, "bad_message"
    ),
    Case(
        "proc-terminate-blank",
        "proctor",
        True,
        _const({"type": "terminate", "room": True, "reason": "  "}),
        "bad_message",
    ),
    Case(
        "proc-resume-reason",
        "proctor",
        True,
        lambda r: {"type": "resume", "session_id": r.sid, "reason": "x"},
        "bad_message",
    ),
    Case(
        "proc-pause-int-reason",
        "proctor",
        True,
        lambda r: {"type": "pause", "session_id": r.sid, "reason": 1},
        "bad_message",
    ),
    Case("proc-command-before-hello", "proctor", False, _const({"type": "pause", "room": True}), "not_authenticated"),
    Case(
        "proc-other-room",
        "proctor",
        True,
        lambda r: {"type": "pause", "session_id": r.cands[-1]["session_id"]},
        "forbidden",
        _another_room,
    ),
    Case(
        "proc-other-room-term",
        "proctor",
        True,
        lambda r: {"type": "terminate", "session_id": r.cands[-1]["session_id"], "reason": "x"},
        "forbidden",
        _another_room,
    ),
]


@pytest.mark.parametrize("case", CANDIDATE_OPEN + PROCTOR_OPEN, ids=str)
def test_bad_input_keeps_the_connection_and_changes_nothing(srv: AppServer, case: Case) -> None:
    room = new_room(srv, is_open=case.room_open)
    if case.setup is not None:
        case.setup(room)

    async def go() -> None:
        async with ws(srv, case.endpoint) as conn:
            if case.hello and case.endpoint == "candidate":
                await say_hello_at(conn, room.token, case.at)
            elif case.hello:
                await hello(conn, room.proctor_token, "snapshot")
            before, errors = room.fingerprint(), error_counts(srv)
            await send(conn, case.frame(room))
            check_error(await recv(conn), case.code)
            assert room.fingerprint() == before
            assert delta(error_counts(srv), errors) == {case.code: 1}
            await still_open(conn)

    run(go)


def test_an_answer_after_the_battery_finished(srv: AppServer) -> None:
    room = new_room(srv)

    async def go() -> None:
        async with ws(srv, "candidate") as conn:
            item = await sit(conn, room.token)
            for _ in range(ITEMS):
                await send(conn, {"type": "answer", "seq": item["seq"], "response": 0})
                item = await recv(conn)
            assert item["type"] == "finished"
            final = {k: v for k, v in item.items() if k != "previous_subtest"}
            before, errors = room.fingerprint(), error_counts(srv)
            await send(conn, {"type": "answer", "seq": ITEMS + 1, "response": 0})
            # the final state (never an item), then the normal close: nothing more to do on this connection
            assert await recv(conn) == final
            assert await closed_with(conn) == 1000
            deadline = time.monotonic() + 5
            while room.state().connected and time.monotonic() < deadline:  # the close's own disconnect lands
                await asyncio.sleep(0.02)
            after, was = room.fingerprint()[room.room_id], before[room.room_id]
            # the answer changed nothing but the audit; the close only disconnected
            assert (after["replies"], after["results"]) == (was["replies"], was["results"])
            new_events = [orjson.loads(e)["event"]["type"] for _, e in after["events"][len(was["events"]) :]]
            assert after["events"][: len(was["events"])] == was["events"] and new_events in ([], ["disconnected"])
            added = [orjson.loads(e) for _, e in after["audit"][room.sid][len(was["audit"][room.sid]) :]]
            assert [(a["kind"], a["seq"], a["outcome"]) for a in added] == [("answer", ITEMS + 1, "finished")]
            assert delta(error_counts(srv), errors) == {}

    run(go)


@pytest.mark.parametrize("endpoint", ["candidate", "proctor"])
def test_a_second_hello_is_refused_and_changes_nothing(srv: AppServer, endpoint: str) -> None:
    room = new_room(srv)
    token = room.token if endpoint == "candidate" else room.proctor_token

    async def go() -> None:
        async with ws(srv, endpoint) as conn:
            if endpoint == "candidate":
                await sit(conn, token)
            else:
                await hello(conn, token, "snapshot")
            before, errors = room.fingerprint(), error_counts(srv)
            await send(conn, {"type": "hello", "token": token})
            check_error(await recv(conn), "bad_message")  # docs/protocol.md: "a second hello on one connection"
            await still_open(conn)
            assert room.fingerprint() == before
            assert delta(error_counts(srv), errors) == {"bad_message": 1}

    run(go)


def test_resume_of_a_session_that_is_not_paused_is_acked_not_ok(srv: AppServer) -> None:
    room = new_room(srv)

    async def go() -> None:
        async with ws(srv, "proctor") as conn:
            await hello(conn, room.proctor_token, "snapshot")
            before, errors = room.fingerprint(), error_counts(srv)
            await send(conn, {"type": "resume", "session_id": room.sid, "id": "r1"})
            ack = await recv(conn)
            assert ack["type"] == "ack"
            assert (ack["id"], ack["command"]) == ("r1", "resume")
            (result,) = ack["results"]
            assert (result["session_id"], result["ok"], result["code"]) == (room.sid, False, "bad_command")
            assert isinstance(result["message"], str) and result["message"]
            await send(conn, {"type": "resume", "room": True})  # the whole room: each session reported
            ack = await recv(conn)
            assert ack["id"] is None
            assert [(r["session_id"], r["ok"], r["code"]) for r in ack["results"]] == [
                (c["session_id"], False, "bad_command") for c in room.cands
            ]
            await still_open(conn)
            assert room.fingerprint() == before
            assert delta(error_counts(srv), errors) == {"bad_command": 3}

    run(go)


# --- cases where the server closes the connection --------------------------------------------------------------


def _padded(frame: dict[str, Any], size: int) -> str:
    """``frame`` as JSON padded with spaces to exactly ``size`` bytes of UTF-8."""
    raw = orjson.dumps(frame).decode()
    return raw[:-1] + " " * (size - len(raw.encode())) + "}"


@pytest.mark.parametrize("endpoint", ["candidate", "proctor"])
def test_the_frame_size_limit_is_exact(srv: AppServer, endpoint: str) -> None:
    room = new_room(srv)

    async def go() -> None:
        async with ws(srv, endpoint) as conn:
            await send(conn, _padded({"type": "ping"}, MAX_FRAME))
            assert await recv(conn) == {"type": "pong"}
            errors = error_counts(srv)
            await send(conn, _padded({"type": "ping"}, MAX_FRAME + 1))
            check_error(await recv(conn), "too_large")
            assert await closed_with(conn) == 1009
            assert delta(error_counts(srv), errors) == {"too_large": 1}
        # fewer characters than the limit, more bytes: counted in bytes
        async with ws(srv, endpoint) as conn:
            before = room.fingerprint()
            await send(conn, {"type": "hello", "token": "é" * (MAX_FRAME // 2)})
            check_error(await recv(conn), "too_large")
            assert await closed_with(conn) == 1009
            assert room.fingerprint() == before

    run(go)


def _flood(room: Room) -> list[str | bytes | dict[str, Any]]:
    return [{"type": "ping"}] * (3 * FLOOD_BURST)


CLOSING = [
    # (name, endpoint, frames, code, close code)
    (
        "cand-too-large",
        "candidate",
        lambda r: [_padded({"type": "hello", "token": r.token}, MAX_FRAME + 1)],
        "too_large",
        1009,
    ),
    ("cand-flood", "candidate", _flood, "flood", 1008),
    ("cand-unknown-token", "candidate", lambda r: [{"type": "hello", "token": "ABCDEFGHJKMN"}], "bad_token", 4001),
    ("cand-proctor-token", "candidate", lambda r: [{"type": "hello", "token": r.proctor_token}], "bad_token", 4001),
    ("cand-hello-timeout", "candidate", lambda r: [], "hello_timeout", 4008),
    (
        "proc-too-large",
        "proctor",
        lambda r: [_padded({"type": "hello", "token": r.proctor_token}, MAX_FRAME + 1)],
        "too_large",
        1009,
    ),
    ("proc-flood", "proctor", _flood, "flood", 1008),
    ("proc-bad-token", "proctor", lambda r: [{"type": "hello", "token": "not-a-proctor-token"}], "bad_token", 4001),
    ("proc-candidate-token", "proctor", lambda r: [{"type": "hello", "token": r.token}], "bad_token", 4001),
    ("proc-hello-timeout", "proctor", lambda r: [], "hello_timeout", 4008),
]


@pytest.mark.parametrize(("name", "endpoint", "frames", "code", "close"), CLOSING, ids=[c[0] for c in CLOSING])
def test_bad_input_that_closes_the_connection_changes_nothing(
    srv: AppServer, name: str, endpoint: str, frames: Callable[[Room], list[Any]], code: str, close: int
) -> None:
    room = new_room(srv)

    async def go() -> None:
        before, errors = room.fingerprint(), error_counts(srv)
        started = time.monotonic()
        async with ws(srv, endpoint) as conn:
            for frame in frames(room):
                await send(conn, frame)
            pongs = 0
            while True:
                frame = await recv(conn)
                if frame != {"type": "pong"}:
                    break
                pongs += 1
            check_error(frame, code)
            assert await closed_with(conn) == close
        if code == "flood":
            assert FLOOD_BURST <= pongs < 3 * FLOOD_BURST
        if code == "hello_timeout":
            assert time.monotonic() - started >= HELLO_TIMEOUT_S * 0.9
        assert room.fingerprint() == before
        assert delta(error_counts(srv), errors) == {code: 1}

    run(go)


@pytest.mark.parametrize("endpoint", ["candidate", "proctor"])
def test_a_frame_over_the_transport_limit_closes_1009_and_changes_nothing(srv: AppServer, endpoint: str) -> None:
    """Over uvicorn's ``ws_max_size`` (64 KiB, as server.py sets it) the transport closes 1009 before the app sees
    the frame: no ``too_large`` error frame and no metric, but the documented close code."""
    room = new_room(srv)

    async def go() -> None:
        before = room.fingerprint()
        async with ws(srv, endpoint) as conn:
            await send(conn, _padded({"type": "hello", "token": room.token}, 70_000))
            assert await closed_with(conn) == 1009
        assert room.fingerprint() == before

    run(go)


@pytest.mark.parametrize("code", ["too_large", "flood"])
def test_closing_a_candidate_after_hello_only_disconnects(srv: AppServer, code: str) -> None:
    """After ``hello`` a close stops the clock (a ``disconnected`` event); nothing else changes."""
    room = new_room(srv)

    async def go() -> None:
        async with ws(srv, "candidate") as conn:
            item = await sit(conn, room.token)
            before, state, errors = room.fingerprint()[room.room_id], room.state(), error_counts(srv)
            if code == "too_large":
                await send(conn, _padded({"type": "answer", "seq": item["seq"], "response": 0}, MAX_FRAME + 1))
            else:
                for _ in range(3 * FLOOD_BURST):
                    await send(conn, {"type": "answer", "seq": item["seq"] + 5, "response": 0})
            frames = []
            with pytest.raises(ConnectionClosed):
                while True:
                    frames.append(await recv(conn))
            assert frames[-1]["code"] == code
            assert conn.close_code == (1009 if code == "too_large" else 1008)
        deadline = time.monotonic() + 5
        while room.state().connected and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        after = room.fingerprint()[room.room_id]
        for sid, entries in after["audit"].items():  # refused frames are not audited; the close stopped the clock
            old = before["audit"][sid]
            assert entries[: len(old)] == old
            added = [orjson.loads(e)["kind"] for _, e in entries[len(old) :]]
            assert added == (["disconnected"] if sid == room.sid else [])
        assert after["replies"] == before["replies"]
        assert after["results"] == before["results"]
        new_events = after["events"][len(before["events"]) :]
        assert after["events"][: len(before["events"])] == before["events"]
        assert [orjson.loads(e)["event"]["type"] for _, e in new_events] == ["disconnected"]
        now = room.state()
        assert now.last_seen_ms is not None and state.last_seen_ms is not None
        assert now.last_seen_ms >= state.last_seen_ms  # the disconnect is the candidate's last move

        def unclocked(s: core.SessionState) -> core.SessionState:
            return dataclasses.replace(s, used_ms=0, running_since_ms=None, last_seen_ms=None)

        assert unclocked(dataclasses.replace(now, connected=True)) == unclocked(state)
        counted = delta(error_counts(srv), errors)
        assert counted[code] == 1
        if code == "flood":  # the answers that came before the flood got wrong_seq each
            assert set(counted) <= {"flood", "wrong_seq"}
            assert counted.get("wrong_seq", 0) == sum(1 for f in frames if f.get("code") == "wrong_seq")

    run(go)
