"""Strict validation of rosters, names and ids against the real app (uvicorn in a thread), over both stores.

* A roster (CSV or JSON) with a bad row, and a room with a bad name, is ``400 bad_request`` naming the line (CSV:
  the physical line, header = 1; JSON: ``candidate <n>``) and the field, and nothing is stored: the room's
  candidates are unchanged, no session number is used up (the next good roster starts at ``-0001``) and, on Redis,
  every key under the test's prefix is as it was (``SCAN`` + ``DUMP``, heartbeat keys aside).
* A crafted room or session id on every admin route with ``{room_id}`` or ``{session_id}`` (taken from
  :func:`~cat_engine.server.admin.admin_routes`, so a new route is covered too), and in the ``session_ids`` of an
  acknowledgement, is ``404 not_found`` in JSON; on the proctor socket, ``detail`` and every command with such an
  id is an ``error`` frame ``not_found`` and the socket stays open (a ``ping`` gets ``pong``). The crafted ids
  include ``<R>-0001:audit`` and ``<R>-0001:result``, which on Redis are keys of another type beside the session's
  hash (a stream and a string, checked to exist) and once gave 500 and a 1011 close.
"""

from __future__ import annotations

import asyncio
import secrets
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from conftest import AppServer, battery_dict, subtest_dict, write_battery
from websockets.asyncio.client import ClientConnection, connect

from cat_engine.server.admin import admin_routes
from cat_engine.server.decoding import ProctorCommand, ProctorDetail
from cat_engine.server.metrics import Metrics
from cat_engine.server.settings import Settings
from cat_engine.server.transaction import Transactions
from cat_engine.server.wire_errors import Refusal
from cat_engine.session import Command
from load_tests.procs import RedisServer

ADMIN = "admin-" + secrets.token_hex(8)
BATTERY = "validation"
ITEMS = 2

# --- the server, its store and what the store holds -------------------------------------------------------------


@dataclass
class World:
    srv: AppServer
    redis: redis.Redis | None
    prefix: str

    def keys(self) -> dict[Any, tuple[Any, Any]]:
        """Every key under the test's prefix with its type and DUMP (empty on the memory store: no keys)."""
        if self.redis is None:
            return {}
        out: dict[Any, tuple[Any, Any]] = {}
        for key in self.redis.scan_iter(match=f"{self.prefix}:*", count=1000):
            if key.startswith(f"{self.prefix}:proc:".encode()) or key == f"{self.prefix}:health".encode():
                continue  # the heartbeat and the health check write these on their own
            out[key] = (self.redis.type(key), self.redis.dump(key))
        return out

    def key_type(self, key: str) -> Any:
        assert self.redis is not None
        return self.redis.type(key)


@pytest.fixture(scope="module")
def battery_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sub = subtest_dict("s1", max_items=ITEMS, min_items=ITEMS, se_target=None, time_limit_s=600)
    return write_battery(tmp_path_factory.mktemp("battery"), battery_dict([sub], id=BATTERY))


@pytest.fixture(scope="module", params=["memory", "redis"])
def world(request: pytest.FixtureRequest, app_server: Callable[..., AppServer], battery_path: Path) -> Iterator[World]:
    prefix = f"t-valid-{secrets.token_hex(4)}"
    common: dict[str, Any] = {
        "batteries": (battery_path,),
        "admin_token": ADMIN,
        "demo_room": False,
        "proctor_burst": 10_000,  # this file sends many refused frames on one proctor socket
        "proctor_rate": 1000.0,
    }
    client = None
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("private_redis")
        settings = Settings(redis_url=server.url, key_prefix=prefix, **common)
        client = redis.Redis.from_url(server.url)
    else:
        settings = Settings(**common)
    srv = app_server(settings)
    assert srv.hub.store.kind == request.param
    yield World(srv, client, prefix)
    srv.stop()
    if client is not None:
        client.close()


# --- HTTP --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    def error(self, status: int, code: str) -> str:
        """Check a JSON error of the admin API; its message."""
        assert self.status == status, (self.status, self.body[:300])
        assert self.content_type.startswith("application/json"), (self.content_type, self.body[:300])
        err = self.json["error"]
        assert err["code"] == code, err
        assert isinstance(err["message"], str) and err["message"]
        message: str = err["message"]
        return message


def api(w: World, method: str, path: str, body: Any = None, ctype: str | None = None) -> Reply:
    """One request with the path sent as given (no normalisation of ``..``)."""
    data = body if body is None or isinstance(body, bytes) else None
    if isinstance(body, str):
        data = body.encode()
    elif data is None and body is not None:
        data, ctype = orjson.dumps(body), ctype or "application/json"
    conn = HTTPConnection("127.0.0.1", w.srv.port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {ADMIN}"}
        if ctype is not None:
            headers["Content-Type"] = ctype
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        return Reply(resp.status, resp.getheader("content-type") or "", resp.read())
    finally:
        conn.close()


def new_room(w: World) -> str:
    reply = api(w, "POST", "/api/rooms", {"name": "Ruang Uji", "battery": BATTERY})
    assert reply.status == 201, reply.body
    return reply.json["room_id"]  # type: ignore[no-any-return]


def candidates(w: World, room_id: str) -> list[dict[str, str]]:
    reply = api(w, "GET", f"/api/rooms/{room_id}/candidates")
    assert reply.status == 200, reply.body
    return reply.json["candidates"]  # type: ignore[no-any-return]


def register(w: World, room_id: str, n: int = 1) -> list[dict[str, str]]:
    rows = [{"employee_id": f"E{i}", "name": f"Peserta {i}"} for i in range(1, n + 1)]
    reply = api(w, "POST", f"/api/rooms/{room_id}/candidates", {"candidates": rows})
    assert reply.status == 201, reply.body
    return reply.json["candidates"]  # type: ignore[no-any-return]


# --- rosters: every bad row is 400 naming line and field, and nothing is stored -------------------------------------

BIG = 128 * 1024 + 10  # over the csv module's field limit
HEADER = "employee_id,name\n"
BIDI_AND_ZERO_WIDTH = [
    *("\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"),
    *("\u2066", "\u2067", "\u2068", "\u2069", "\u061c"),
    *("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"),
]

# (case id, CSV body, what the message must name)
CSV_CASES: list[tuple[str, str, str]] = [
    ("unterminated-quote", HEADER + 'X1,"abc\nX2,def', "line 2: 'name'"),
    ("unterminated-quote-last-line", HEADER + "X0,A\nX1,B\n" + 'X2,"abc', "line 4: 'name'"),
    ("text-after-quote", HEADER + 'X1,"abc"def\n', "line 2: 'name'"),
    ("long-quoted-field", HEADER + f'X1,"{"x" * BIG}"\n', "line 2: 'name'"),
    ("long-unquoted-id", HEADER + f"{'1' * BIG},Budi\n", "line 2: 'employee_id'"),
    ("nul-in-name", HEADER + "X1,Bu\x00di\n", "line 2: 'name'"),
    ("nul-in-id", HEADER + "X1,A\nX\x002,B\n", "line 3: 'employee_id'"),
    ("lf-in-quoted-name", HEADER + 'X1,"Bu\ndi"\n', "line 2: 'name'"),
    ("crlf-in-quoted-name", HEADER.replace("\n", "\r\n") + 'X1,"Bu\r\ndi"\r\n', "line 2: 'name'"),
    ("cr-in-quoted-id", HEADER + 'X1,A\n"X\r2",B\n', "line 3: 'employee_id'"),
    ("c1-nel", HEADER + "X1,Bu\x85di\n", "line 2: 'name'"),
    ("live-name", HEADER + "X1,\u202eevil\u202c name\n", "line 2: 'name'"),
    ("name-201", HEADER + f"X1,{'n' * 201}\n", "line 2: 'name'"),
    ("id-201", HEADER + f"{'1' * 201},Budi\n", "line 2: 'employee_id'"),
    ("blank-lines-count", HEADER + "\n\nX1,A\n\nX2,B\u200bC\n", "line 6: 'name'"),
    *(
        (f"U+{ord(ch):04X}-{fieldname}", HEADER + ("X1,A\n" + row), f"line 3: '{fieldname}'")
        for ch in BIDI_AND_ZERO_WIDTH
        for fieldname, row in (("name", f"X2,Bu{ch}di\n"), ("employee_id", f"X{ch}2,Budi\n"))
    ),
]

JSON_CASES: list[tuple[str, list[dict[str, Any]], str]] = [
    ("nul", [{"employee_id": "X1", "name": "Bu\x00di"}], "candidate 1: 'name'"),
    ("lf", [{"employee_id": "X1", "name": "A"}, {"employee_id": "X2", "name": "Bu\ndi"}], "candidate 2: 'name'"),
    ("cr", [{"employee_id": "X\r1", "name": "A"}], "candidate 1: 'employee_id'"),
    ("c1-nel", [{"employee_id": "X1", "name": "Bu\x85di"}], "candidate 1: 'name'"),
    ("u2028", [{"employee_id": "X1", "name": "Bu\u2028di"}], "candidate 1: 'name'"),
    ("live-name", [{"employee_id": "X1", "name": "\u202eevil\u202c name"}], "candidate 1: 'name'"),
    ("long-name", [{"employee_id": "X1", "name": "x" * BIG}], "candidate 1: 'name'"),
    ("name-201", [{"employee_id": "X1", "name": "n" * 201}], "candidate 1: 'name'"),
    ("id-201", [{"employee_id": "1" * 201, "name": "A"}], "candidate 1: 'employee_id'"),
    *(
        (
            f"U+{ord(ch):04X}-{fieldname}",
            [{"employee_id": "X1", "name": "A"}, {"employee_id": "X2", "name": "B", fieldname: f"X{ch}Y"}],
            f"candidate 2: '{fieldname}'",
        )
        for ch in BIDI_AND_ZERO_WIDTH
        for fieldname in ("employee_id", "name")
    ),
]


def _refused_and_nothing_stored(w: World, room_id: str, send: Callable[[], Reply], names: str) -> None:
    before_keys, before = w.keys(), candidates(w, room_id)
    message = send().error(400, "bad_request")
    assert names in message, message
    assert len(message) < 800  # nothing long is echoed
    assert candidates(w, room_id) == before == []
    after_keys = w.keys()
    assert set(after_keys) - set(before_keys) == set()  # no new key under the prefix
    assert after_keys == before_keys  # and none changed: no session number used up, no registration kept
    # the room still takes a good roster, numbered from the start
    assert register(w, room_id)[0]["session_id"] == f"{room_id}-0001"


@pytest.mark.parametrize(("body", "names"), [c[1:] for c in CSV_CASES], ids=[c[0] for c in CSV_CASES])
def test_a_bad_csv_roster_is_refused_naming_line_and_field_and_stores_nothing(
    world: World, body: str, names: str
) -> None:
    room_id = new_room(world)
    path = f"/api/rooms/{room_id}/candidates"
    _refused_and_nothing_stored(world, room_id, lambda: api(world, "POST", path, body, "text/csv"), names)


@pytest.mark.parametrize(("rows", "names"), [c[1:] for c in JSON_CASES], ids=[c[0] for c in JSON_CASES])
def test_a_bad_json_roster_is_refused_naming_candidate_and_field_and_stores_nothing(
    world: World, rows: list[dict[str, Any]], names: str
) -> None:
    room_id = new_room(world)
    path = f"/api/rooms/{room_id}/candidates"
    _refused_and_nothing_stored(world, room_id, lambda: api(world, "POST", path, {"candidates": rows}), names)


def test_a_csv_roster_that_is_not_utf8_names_its_line(world: World) -> None:
    room_id = new_room(world)
    path = f"/api/rooms/{room_id}/candidates"
    body = (HEADER + "X1,A\nX2,Bu").encode() + b"\xff" + b"di\n"
    _refused_and_nothing_stored(world, room_id, lambda: api(world, "POST", path, body, "text/csv"), "line 3")


def test_a_bad_roster_with_an_idempotency_key_keeps_no_registration(world: World) -> None:
    room_id = new_room(world)
    path = f"/api/rooms/{room_id}/candidates"
    conn = HTTPConnection("127.0.0.1", world.srv.port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {ADMIN}", "Content-Type": "text/csv", "Idempotency-Key": "k1"}
        conn.request("POST", path, body=(HEADER + "X1,\u202eA\n").encode(), headers=headers)
        resp = conn.getresponse()
        Reply(resp.status, resp.getheader("content-type") or "", resp.read()).error(400, "bad_request")
        # the same key with a good roster registers it: the refused request left nothing under the key
        conn.request("POST", path, body=(HEADER + "X1,A\n").encode(), headers=headers)
        resp = conn.getresponse()
        assert resp.status == 201
        assert orjson.loads(resp.read())["candidates"][0]["employee_id"] == "X1"
    finally:
        conn.close()


@pytest.mark.parametrize(
    "name",
    ["", "  ", "Ruang\n1", "Ruang\x00", "\u202eRuang", "Ruang\u200b", "Ruang\x85", "Ruang\u2069", "r" * 201, "."],
)
def test_a_bad_room_name_is_refused_and_stores_nothing(world: World, name: str) -> None:
    before_keys = world.keys()
    before = api(world, "GET", "/api/rooms").json
    message = api(world, "POST", "/api/rooms", {"name": name, "battery": BATTERY}).error(400, "bad_request")
    assert "room name" in message
    assert api(world, "GET", "/api/rooms").json == before
    assert world.keys() == before_keys


# --- crafted ids: 404 on every HTTP path, not_found on the proctor socket ------------------------------------------


@dataclass(frozen=True)
class Sat:
    """A room whose first session is finished (so on Redis its audit stream and result string exist)."""

    room_id: str
    proctor_token: str
    session_id: str


def _sit(w: World, token: str) -> None:
    """A candidate through the whole battery: hello, ``start`` after the welcome and after each subtest's intro,
    every item answered (docs/protocol.md, Flow)."""

    async def go() -> None:
        async with connect(f"{w.srv.ws_url}/ws/candidate", proxy=None, open_timeout=5) as ws:

            async def say(frame: dict[str, Any]) -> dict[str, Any]:
                await ws.send(orjson.dumps(frame).decode())
                reply: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
                return reply

            frame = await say({"type": "hello", "token": token})
            assert frame["type"] == "welcome", frame
            frame = await say({"type": "start"})
            while frame["type"] in ("subtest_intro", "item"):
                if frame["type"] == "subtest_intro":
                    frame = await say({"type": "start", "subtest": frame["subtest"]["index"]})
                    assert frame["type"] == "item", frame
                frame = await say({"type": "answer", "seq": frame["seq"], "response": 0})
            assert frame["type"] == "finished", frame

    asyncio.run(asyncio.wait_for(go(), 20))


def _wait_disconnected(w: World, session_id: str) -> None:
    """The server commits the disconnection after the socket closed; wait for it so the store stays still."""
    for _ in range(250):
        if not api(w, "GET", f"/api/sessions/{session_id}").json["session"]["connected"]:
            return
        asyncio.run(asyncio.sleep(0.02))
    raise AssertionError("the session stayed connected")


def sat_room(w: World) -> Sat:
    reply = api(w, "POST", "/api/rooms", {"name": "Ruang Uji", "battery": BATTERY, "open": True})
    room_id, proctor_token = reply.json["room_id"], reply.json["proctor_token"]
    cand = register(w, room_id, 2)[0]
    _sit(w, cand["token"])
    _wait_disconnected(w, cand["session_id"])
    if w.redis is not None:
        base = f"{w.prefix}:{{{room_id}}}:s:{cand['session_id']}"
        assert w.key_type(base) == b"hash"
        assert w.key_type(f"{base}:audit") == b"stream"
        assert w.key_type(f"{base}:result") == b"string"
        w.redis.hset(f"{base}:replies", "1", "x")  # as an earlier version kept replies
    return Sat(room_id, proctor_token, cand["session_id"])


@pytest.fixture(scope="module")
def sat(world: World) -> Sat:
    return sat_room(world)


def crafted_session_ids(s: Sat) -> list[str]:
    return [
        f"{s.session_id}:audit",
        f"{s.session_id}:result",
        f"{s.session_id}:replies",
        f"{s.session_id}:x",
        f"{s.room_id}-1",
        f"{s.room_id}-0001-x",
        f"{s.room_id.lower()}-0001",
        f"{s.session_id}\n",
        f"{s.room_id}-" + "1" * 13,
        s.session_id + "1" * 3000,
        f"{s.room_id}-\u0660\u0660\u0660\u0661",  # Arabic-Indic digits
        f"\u202e{s.session_id}",
        "R-1",
        "..",
        "../x",
        f"{s.room_id}/../{s.session_id}",
        "*",
        s.room_id,
    ]


def crafted_room_ids(s: Sat) -> list[str]:
    return [
        s.session_id,
        f"{s.room_id}:room",
        f"{s.room_id}:events",
        f"{{{s.room_id}}}",
        s.room_id.lower(),
        s.room_id[:5],
        s.room_id + "A",
        f"{s.room_id}\n",
        "A" * 3000,
        s.room_id[:5] + "\u0425",  # Cyrillic Ha
        "..",
        "../x",
        "*",
    ]


def id_routes(param: str) -> list[tuple[str, str]]:
    """(method, path) of every admin route whose path names ``{param}``."""
    return [
        (method, route.path)
        for route in admin_routes()
        if "{" + param + "}" in route.path
        for method in sorted((route.methods or set()) - {"HEAD"})
    ]


def _body_for(path: str) -> Any:
    if path.endswith("/candidates"):
        return {"candidates": [{"employee_id": "Z1", "name": "Zed"}]}
    if path.endswith("/ack"):
        return {"session_ids": []}
    return {}


def _not_found(reply: Reply, crafted: str) -> None:
    if "/" in crafted:  # the path no longer matches any route: the router's own 404 (not a JSON body)
        assert reply.status == 404, (reply.status, reply.body[:200])
        return
    reply.error(404, "not_found")


def test_every_id_route_is_covered() -> None:
    assert {p for _, p in id_routes("room_id")} >= {
        "/api/rooms/{room_id}",
        "/api/rooms/{room_id}/candidates",
        "/api/rooms/{room_id}/results",
        "/api/rooms/{room_id}/results/ack",
    }
    assert {p for _, p in id_routes("session_id")} == {"/api/sessions/{session_id}", "/api/sessions/{session_id}/audit"}


def test_crafted_session_ids_are_404_on_every_session_path(world: World, sat: Sat) -> None:
    before = world.keys()
    for crafted in crafted_session_ids(sat):
        quoted = urllib.parse.quote(crafted, safe="/")
        for method, path in id_routes("session_id"):
            body = _body_for(path) if method == "POST" else None
            _not_found(api(world, method, path.replace("{session_id}", quoted), body), crafted)
    # the real session is found, and nothing changed
    assert api(world, "GET", f"/api/sessions/{sat.session_id}").status == 200
    assert api(world, "GET", f"/api/sessions/{sat.session_id}/audit").status == 200
    assert world.keys() == before


def test_crafted_room_ids_are_404_on_every_room_path(world: World, sat: Sat) -> None:
    before = world.keys()
    for crafted in crafted_room_ids(sat):
        quoted = urllib.parse.quote(crafted, safe="/")
        for method, path in id_routes("room_id"):
            body = _body_for(path) if method == "POST" else None
            _not_found(api(world, method, path.replace("{room_id}", quoted), body), crafted)
    assert api(world, "GET", f"/api/rooms/{sat.room_id}").status == 200
    assert world.keys() == before


def test_crafted_session_ids_in_an_acknowledgement_are_404_and_nothing_is_acknowledged(world: World) -> None:
    s = sat_room(world)
    before = world.keys()
    path = f"/api/rooms/{s.room_id}/results/ack"
    for crafted in crafted_session_ids(s):
        api(world, "POST", path, {"session_ids": [s.session_id, crafted]}).error(404, "not_found")
    assert world.keys() == before
    # the finished session was not acknowledged by any of them: now it is, once
    assert api(world, "POST", path, {"session_ids": [s.session_id]}).json == {"acknowledged": 1}


async def _recv(ws: ClientConnection) -> dict[str, Any]:
    frame = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
    assert isinstance(frame, dict)
    return frame


def test_crafted_session_ids_on_the_proctor_socket_are_not_found_and_the_socket_stays_open(
    world: World, sat: Sat
) -> None:
    frames: list[dict[str, Any]] = [
        {"type": "detail", "id": "d1"},
        {"type": "pause", "id": "c1", "reason": "x"},
        {"type": "resume"},
        {"type": "extend", "seconds": 60},
        {"type": "terminate", "reason": "left"},
    ]

    async def go() -> None:
        async with connect(f"{world.srv.ws_url}/ws/proctor", proxy=None, open_timeout=5, max_size=None) as ws:
            await ws.send(orjson.dumps({"type": "hello", "token": sat.proctor_token}).decode())
            assert (await _recv(ws))["type"] == "snapshot"
            before = world.keys()
            for crafted in crafted_session_ids(sat):
                for frame in frames:
                    await ws.send(orjson.dumps({**frame, "session_id": crafted}).decode())
                    reply = await _recv(ws)
                    assert (reply["type"], reply["code"]) == ("error", "not_found"), (crafted, frame, reply)
                    await ws.send(orjson.dumps({"type": "ping"}).decode())
                    assert await _recv(ws) == {"type": "pong"}
            assert world.keys() == before
            # the socket still serves the room: the real session's detail
            await ws.send(orjson.dumps({"type": "detail", "id": "ok", "session_id": sat.session_id}).decode())
            reply = await _recv(ws)
            assert (reply["type"], reply["session_id"]) == ("detail", sat.session_id), reply

    asyncio.run(asyncio.wait_for(go(), 60))


# --- defence in depth: the transaction loop refuses a malformed id before any store call ---------------------------


class _NoStore:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the store was called: {name}")


@pytest.mark.parametrize(
    ("session_id", "room_id"),
    [
        ("R7K2QX-0001:audit", "R7K2QX:room"),
        ("R7K2QX-0001:result", "R7K2QX-0001"),
        ("R-1", "R"),
        ("../x", "../x"),
        ("R7K2QX", "r7k2qx"),
    ],
)
def test_transactions_refuse_a_malformed_id_before_any_store_call(session_id: str, room_id: str) -> None:
    tx = Transactions(_NoStore(), {}, Metrics())  # type: ignore[arg-type]

    async def go() -> None:
        for call in (tx.load(session_id), tx.battery_of(room_id)):
            with pytest.raises(Refusal) as info:
                await call
            assert info.value.code == "not_found"

    asyncio.run(go())


def test_proctor_use_cases_answer_not_found_for_crafted_ids_past_the_decoder(world: World, sat: Sat) -> None:
    """``detail`` and commands called directly (as the socket would after a decoder that let an id through): the
    session's own keys of another type are never read as a session."""
    before = world.keys()
    proctors = world.srv.hub.proctors
    for crafted in (f"{sat.session_id}:audit", f"{sat.session_id}:result", f"{sat.session_id}:replies"):
        with pytest.raises(Refusal) as info:
            world.srv.call(proctors.detail(sat.room_id, ProctorDetail(crafted)))
        assert info.value.code == "not_found"
        ack = orjson.loads(world.srv.call(proctors.command(sat.room_id, ProctorCommand(Command.PAUSE, crafted))))
        assert [(r["session_id"], r["ok"], r["code"]) for r in ack["results"]] == [(crafted, False, "not_found")]
    assert world.keys() == before
