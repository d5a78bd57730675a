"""End-to-end checks of ``python server.py`` against ``docs/protocol.md``, through an independent client.

The client (tests/protocol_client.py) and these tests are written from the documentation only; nothing here imports
``cat_engine.server``. Each test starts real processes (load_tests/procs.py): one memory-mode server shared by
the module, and for the Redis tests a private ``redis-server`` (never the shared one on 6379) with one or two
servers on it. Tests are plain sync functions running one coroutine under ``asyncio.wait_for``.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from protocol_client import (
    FORBIDDEN_ITEM_KEYS,
    RESULT_COLUMNS,
    AdminApi,
    CandidateClient,
    ConnectionLost,
    Frame,
    ProctorClient,
    RateLimiter,
    find_keys,
    parse_event_id,
)

from load_tests.procs import RedisServer, ServerProcess

ADMIN_TOKEN = "e2e-admin-" + secrets.token_hex(12)
BATTERY_ID = "cact-demo"
SUBTESTS = ("manajerial-sosiokultural", "literasi-digital", "emerging-skills")
TIME_LIMITS = (1800, 1200, 1200)

ITEM_FRAME_KEYS = {"type", "seq", "item", "subtest", "progress", "time_left_s", "previous_subtest"}
FINISHED_FRAME_KEYS = {"type", "previous_subtest", "profile"}
SESSION_SUMMARY_KEYS = {
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
}
EVENT_FIELDS = {
    "connected": set(),
    "disconnected": set(),
    "item_presented": {"seq", "subtest", "item_index", "position"},
    "answered": {"seq", "subtest", "item_index", "response", "category", "response_ms", "theta", "se"},
    "subtest_done": {"subtest", "result"},
    "finished": {"profile"},
    "paused": {"reason"},
    "resumed": set(),
    "time_extended": {"subtest", "extra_ms"},
    "terminated": {"reason"},
}


def run(factory: Callable[[], Awaitable[None]], timeout: float = 60.0) -> None:
    """Run one test coroutine with a hard bound."""

    async def bounded() -> None:
        await asyncio.wait_for(factory(), timeout)

    asyncio.run(bounded())


# --- processes ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def memory_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("memory-server"), admin_token=ADMIN_TOKEN)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    redis = RedisServer(tmp_path / "redis")
    try:
        redis.start()
        yield redis
    finally:
        redis.kill()


@pytest.fixture
def key_prefix() -> str:
    return "e2e-" + secrets.token_hex(6)


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """A factory of started servers, every one stopped at the end of the test."""
    started: list[ServerProcess] = []

    def factory(**kwargs: Any) -> ServerProcess:
        server = ServerProcess(tmp_path / f"server-{len(started)}", admin_token=ADMIN_TOKEN, **kwargs)
        started.append(server)
        server.start()
        return server

    try:
        yield factory
    finally:
        for server in started:
            server.stop()


# --- a candidate walking the battery, checking every frame against the documentation ------------------------------


def check_no_secrets(frame: Frame) -> None:
    leaked = find_keys(frame.data, FORBIDDEN_ITEM_KEYS)
    assert not leaked, f"candidate frame carries {leaked}: {frame.raw}"


class Walker:
    """Answers items with random option indices and checks each item/finished frame against the documentation."""

    def __init__(self, client: CandidateClient, seed: int) -> None:
        self.client = client
        self.rng = random.Random(seed)
        self.current: Frame | None = None  # the item being presented, as last validated
        self.answers: list[tuple[int, int]] = []  # (seq, response) of every acknowledged answer, in order
        self.item_ids: list[str] = []  # item ids in seq order
        self.items_per_subtest: Counter[int] = Counter()
        self.finished: Frame | None = None
        self.extra_time_s = 0.0  # time a proctor added
        self.replies: dict[int, str] = {}  # seq answered -> the reply to it, as first received

    @property
    def seq(self) -> int:
        assert self.current is not None
        return int(self.current["seq"])

    def check_item(self, frame: Frame) -> None:
        assert frame.type == "item", frame.raw
        data = frame.data
        check_no_secrets(frame)
        assert set(data) <= ITEM_FRAME_KEYS, f"undocumented fields {set(data) - ITEM_FRAME_KEYS}: {frame.raw}"
        assert ITEM_FRAME_KEYS - {"previous_subtest"} <= set(data), frame.raw
        assert isinstance(data["seq"], int) and not isinstance(data["seq"], bool), frame.raw
        item = data["item"]
        assert set(item) == {"id", "stem", "options"}, frame.raw
        assert isinstance(item["id"], str) and isinstance(item["stem"], str), frame.raw
        assert isinstance(item["options"], list) and len(item["options"]) >= 2, frame.raw
        assert all(isinstance(o, str) for o in item["options"]), frame.raw
        subtest = data["subtest"]
        assert set(subtest) == {"index", "id", "name", "count"}, frame.raw
        assert subtest["count"] == len(SUBTESTS), frame.raw
        assert subtest["id"] == SUBTESTS[subtest["index"]], frame.raw
        progress = data["progress"]
        assert set(progress) == {"answered", "max_items", "subtests_done", "subtests_total"}, frame.raw
        assert progress["subtests_total"] == len(SUBTESTS), frame.raw
        assert progress["subtests_done"] == subtest["index"], frame.raw
        assert progress["max_items"] == 40, frame.raw
        assert 0 <= progress["answered"] < progress["max_items"], frame.raw
        left = data["time_left_s"]
        assert isinstance(left, int | float), frame.raw
        assert 0 < left <= TIME_LIMITS[subtest["index"]] + self.extra_time_s, frame.raw

    def accept_first(self, frame: Frame) -> None:
        """The reply to the first hello of a session: item seq 1 of the first subtest."""
        self.check_item(frame)
        assert frame["seq"] == 1, frame.raw
        assert frame["subtest"]["index"] == 0 and frame["progress"]["answered"] == 0, frame.raw
        assert "previous_subtest" not in frame.data, frame.raw
        self.current = frame
        self.item_ids.append(frame["item"]["id"])

    def accept_repeat(self, frame: Frame) -> None:
        """The current item presented again (after a reconnect or a resume): same seq, item, subtest, progress."""
        assert self.current is not None
        self.check_item(frame)
        for key in ("seq", "item", "subtest", "progress"):
            assert frame[key] == self.current[key], f"{key} differs:\nwas {self.current.raw}\nnow {frame.raw}"
        self.current = frame

    def accept_reply(self, response: int, frame: Frame) -> None:
        """The reply to an answer of the current item: the next item (seq + 1) or ``finished``."""
        cur = self.current
        assert cur is not None
        index, answered = cur["subtest"]["index"], cur["progress"]["answered"]
        self.answers.append((self.seq, response))
        self.replies[self.seq] = frame.raw
        self.items_per_subtest[index] += 1
        if frame.type == "finished":
            assert index == len(SUBTESTS) - 1, f"finished after subtest {index}: {frame.raw}"
            self.check_finished(frame)
            self.finished, self.current = frame, None
            return
        self.check_item(frame)
        assert frame["seq"] == self.seq + 1, f"seq {frame['seq']} after {self.seq}: {frame.raw}"
        new_index = frame["subtest"]["index"]
        if new_index == index:
            assert frame["progress"]["answered"] == answered + 1, frame.raw
            assert "previous_subtest" not in frame.data, frame.raw
        else:
            assert new_index == index + 1, frame.raw
            assert frame["progress"]["answered"] == 0, frame.raw
            prev = frame.get("previous_subtest")
            assert prev is not None and prev["id"] == SUBTESTS[index] and prev["reason"] == "completed", frame.raw
            assert set(prev) == {"id", "name", "reason"}, frame.raw
        self.current = frame
        self.item_ids.append(frame["item"]["id"])

    def check_finished(self, frame: Frame) -> None:
        data = frame.data
        check_no_secrets(frame)
        assert set(data) <= FINISHED_FRAME_KEYS, frame.raw
        prev = data.get("previous_subtest")
        assert prev is not None and prev["id"] == SUBTESTS[-1] and prev["reason"] == "completed", frame.raw
        profile = data["profile"]  # the demo battery shows results to candidates
        assert profile is not None, frame.raw
        assert profile["battery"]["id"] == BATTERY_ID, frame.raw
        assert [s["id"] for s in profile["subtests"]] == list(SUBTESTS), frame.raw
        assert [s["items"] for s in profile["subtests"]] == [self.items_per_subtest[i] for i in range(3)], frame.raw

    def choose(self) -> int:
        assert self.current is not None
        return self.rng.randrange(len(self.current["item"]["options"]))

    async def step(self) -> Frame:
        """Answer the current item and check the reply."""
        response = self.choose()
        reply = await self.client.answer(self.seq, response)
        self.accept_reply(response, reply)
        return reply

    async def finish(self, every: int = 0, between: Callable[[], Awaitable[None]] | None = None) -> None:
        """Answer until ``finished``; ``between()`` runs after every ``every`` answers."""
        while self.finished is None:
            assert len(self.answers) < 3 * 40, "more answers than the battery allows"
            await self.step()
            if between is not None and every and len(self.answers) % every == 0 and self.finished is None:
                await between()


async def new_room(admin: AdminApi, n: int = 1, *, csv_too: int = 0) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    room = await admin.create_room(f"Ruang uji {secrets.token_hex(3)}", BATTERY_ID)
    assert set(room) >= {"room_id", "name", "battery", "proctor_token"}, room
    base = secrets.randbelow(10**9)
    people = [(f"1990{base + i:010d}", f"Peserta {i}") for i in range(n)]
    candidates = await admin.register(room["room_id"], people)
    assert [(c["employee_id"], c["name"]) for c in candidates] == people, candidates
    if csv_too:
        more = [(f"1991{base + i:010d}", f"Peserta CSV, {i}") for i in range(csv_too)]
        registered = await admin.register_csv(room["room_id"], more)
        assert [(c["employee_id"], c["name"]) for c in registered] == more, registered
        candidates += registered
    for c in candidates:
        assert isinstance(c["session_id"], str) and isinstance(c["token"], str) and c["token"], c
    return room, candidates


async def stored_answers(proctor: ProctorClient, session_id: str) -> list[tuple[int, int]]:
    """(seq, response) of every ``answered`` event of the session in the full stream, after its ``finished``."""
    await proctor.wait_event(lambda e: e["session_id"] == session_id and e["event"]["type"] == "finished", timeout=10)
    return [(e["event"]["seq"], e["event"]["response"]) for e in proctor.session_events(session_id, "answered")]


async def full_stream(ws_url: str, proctor_token: str) -> ProctorClient:
    """A proctor that resumes from ``"0-0"``: it receives every event of the room."""
    proctor = ProctorClient(ws_url, proctor_token)
    snapshot = await proctor.connect("0-0")
    assert snapshot.type == "snapshot", snapshot.raw
    return proctor


def audit_answers(entries: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """(seq, response) of every answer frame the audit says was received, in audit order.

    The documentation gives an entry only ``id``, ``at_ms`` and ``kind`` plus unnamed fields; an answer frame is
    recognised as an entry of kind ``answer`` with ``seq`` and ``response``, or one holding a received frame of
    type ``answer`` (as an object or JSON text).
    """

    def find(value: Any) -> tuple[int, int] | None:
        if isinstance(value, str) and value.startswith("{"):
            try:
                value = json.loads(value)
            except ValueError:
                return None
        if isinstance(value, dict):
            if value.get("type") == "answer" and "seq" in value and "response" in value:
                return int(value["seq"]), int(value["response"])
            for v in value.values():
                if (found := find(v)) is not None:
                    return found
        return None

    out: list[tuple[int, int]] = []
    for entry in entries:
        if entry.get("kind") == "answer" and "seq" in entry and "response" in entry:
            out.append((int(entry["seq"]), int(entry["response"])))
        elif (found := find({k: v for k, v in entry.items() if k not in ("id", "at_ms", "kind")})) is not None:
            out.append(found)
    return out


def check_audit_order(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        assert {"id", "at_ms", "kind"} <= set(entry), entry
    at = [e["at_ms"] for e in entries]
    assert at == sorted(at), "audit entries out of time order"


async def check_results(admin: AdminApi, room_id: str, session_id: str, walker: Walker) -> None:
    """One result row per finished subtest, in JSON and CSV, with the item counts the candidate saw."""
    rows = [r for r in await admin.results(room_id) if r["session_id"] == session_id]
    assert [r["subtest"] for r in rows] == list(SUBTESTS), rows
    for i, row in enumerate(rows):
        assert set(row) == set(RESULT_COLUMNS), f"result columns {list(row)}"
        assert row["room_id"] == room_id and row["battery_id"] == BATTERY_ID, row
        assert row["items"] == walker.items_per_subtest[i], row
        assert row["status"] == "finished" and row["complete"] is True, row
        assert isinstance(row["theta"], float | int) and isinstance(row["se"], float | int), row
    header, csv_rows = await admin.results_csv(room_id)
    assert header == list(RESULT_COLUMNS), header
    mine = [r for r in csv_rows if r["session_id"] == session_id]
    assert [r["subtest"] for r in mine] == list(SUBTESTS), mine
    assert [int(r["items"]) for r in mine] == [walker.items_per_subtest[i] for i in range(3)], mine
    assert all(r["status"] == "finished" for r in mine), mine


# --- the tests -----------------------------------------------------------------------------------------------------


def test_whole_battery_memory_mode(memory_server: ServerProcess) -> None:
    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        health = await admin.healthz()
        assert health.status == 200 and health.json() == {"status": "ok", "store": "memory"}, health
        batteries = {b["id"]: b for b in await admin.batteries()}
        assert [s["id"] for s in batteries[BATTERY_ID]["subtests"]] == list(SUBTESTS), batteries
        room, candidates = await new_room(admin, 1, csv_too=2)
        assert room["room_id"] in {r["room_id"] for r in await admin.rooms()}
        listed = await admin.candidates(room["room_id"])
        # the list names the sessions but shows no token (the server keeps only their digests)
        assert {c["session_id"] for c in listed} == {c["session_id"] for c in candidates}
        assert all("token" not in c for c in listed), listed
        session_id = candidates[0]["session_id"]

        client = CandidateClient(memory_server.ws_url, candidates[0]["token"])
        walker = Walker(client, seed=1)
        walker.accept_first(await client.connect())
        await walker.finish()
        # The last answer resent on the same connection (as a client does when the reply seems lost) gets its stored
        # reply, the `finished` frame, byte for byte; then the server closes with 1000: nothing more to do.
        assert walker.finished is not None
        reply = await client.answer(len(walker.answers), 0)
        assert reply.raw == walker.finished.raw, reply.raw
        assert await client.wait_closed() == 1000
        await client.disconnect()
        assert 3 * 10 <= len(walker.answers) <= 3 * 40
        assert [seq for seq, _ in walker.answers] == list(range(1, len(walker.answers) + 1))
        assert len(set(walker.item_ids)) == len(walker.item_ids), "an item was presented twice"

        # The audit holds every answer frame received, in order: each answer once, then the one resend of the last.
        entries = await admin.audit(session_id)
        check_audit_order(entries)
        assert audit_answers(entries) == [*walker.answers, (len(walker.answers), 0)]
        kinds = Counter(e["kind"] for e in entries)

        # A new connection after the end gets `finished` (without previous_subtest: not a reply to the last answer),
        # then the close 1000; it can re-read no item.
        again = CandidateClient(memory_server.ws_url, candidates[0]["token"])
        frame = await again.connect()
        assert frame.type == "finished" and "previous_subtest" not in frame.data, frame.raw
        check_no_secrets(frame)
        assert await again.wait_closed() == 1000
        await again.disconnect()

        await check_results(admin, room["room_id"], session_id, walker)
        session = await admin.session(session_id)
        assert session["session"]["phase"] == "finished" and session["profile"] is not None, session

        proctor = await full_stream(memory_server.ws_url, room["proctor_token"])
        assert await stored_answers(proctor, session_id) == walker.answers
        await proctor.disconnect()

        acknowledged = await admin.ack_results(room["room_id"], [session_id])
        assert acknowledged == 1

        # The audit's table: the resent last answer (outcome duplicate) is recorded, then the hello after the end
        # (outcome finished).
        later = await admin.audit(session_id)
        check_audit_order(later)
        assert later[: len(entries)] == entries
        resent = [(e["kind"], e.get("outcome")) for e in entries if e.get("outcome")]
        assert resent == [("answer", "duplicate")], (kinds, resent)
        added = [(e["kind"], e.get("outcome")) for e in later[len(entries) :]]
        assert added == [("hello", "finished")], (kinds, added)

    run(scenario, 45)


def test_exactly_once_and_reconnect(memory_server: ServerProcess) -> None:
    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        room, candidates = await new_room(admin, 1)
        session_id, token = candidates[0]["session_id"], candidates[0]["token"]
        client = CandidateClient(memory_server.ws_url, token)
        walker = Walker(client, seed=2)
        walker.accept_first(await client.connect())
        for _ in range(3):
            await walker.step()
        assert walker.current is not None and walker.current["seq"] == 4

        # Resend of an applied answer (same seq, same or another response): the same reply, byte for byte.
        seq, response = walker.answers[-1]
        first_reply = walker.current.raw
        assert (await client.answer(seq, response)).raw == first_reply
        assert (await client.answer(seq, (response + 1) % 2)).raw == first_reply
        summary = (await admin.session(session_id))["session"]
        assert summary["answered_total"] == 3 and summary["answered"] == 3, summary

        # Wrong seqs: error, nothing changes, the connection stays open.
        for bad in (0, walker.seq + 1, walker.seq + 7):
            reply = await client.answer(bad, 0)
            assert reply.type == "error" and reply.code == "wrong_seq", reply.raw
            assert set(reply.data) == {"type", "code", "message", "current_seq"}, reply.raw
            assert reply.data["current_seq"] == walker.seq, reply.raw
        reply = await client.answer(walker.seq, len(walker.current["item"]["options"]))
        assert reply.code == "bad_response", reply.raw
        reply = await client.answer(walker.seq, -1)
        assert reply.code == "bad_response", reply.raw
        assert (await client.ping()).type == "pong"
        summary = (await admin.session(session_id))["session"]
        assert summary["answered_total"] == 3, summary

        # Reconnect with the same token: the same item again, same seq.
        await client.disconnect()
        walker.accept_repeat(await client.connect())
        await walker.step()

        # A newer connection takes the session over; the older one gets taken_over and close code 4002.
        newer = CandidateClient(memory_server.ws_url, token)
        walker.accept_repeat(await newer.connect())
        seen = len(client.history)
        code = await client.wait_closed(5)
        frames = client.history[seen:]
        assert [f.code for f in frames] == ["taken_over"] and code == 4002, ([f.raw for f in frames], code)
        walker.client = client = newer

        # A lost reply: the answer goes out, the connection drops before the reply is read; after the reconnect
        # the client resends it and gets the reply; the answer counts once.
        response = walker.choose()
        client.pending = (walker.seq, response)
        await client.send({"type": "answer", "seq": walker.seq, "response": response})
        await client.disconnect()
        await asyncio.sleep(0.2)
        reply = await client.resume(attempts=3)
        hello_reply = client.last_hello
        assert hello_reply is not None
        assert hello_reply.type == "item" and hello_reply["seq"] in (walker.seq, walker.seq + 1), hello_reply.raw
        walker.accept_reply(response, reply)
        assert client.pending is None
        summary = (await admin.session(session_id))["session"]
        assert summary["answered_total"] == len(walker.answers) == 5, summary

        proctor = await full_stream(memory_server.ws_url, room["proctor_token"])
        await proctor.drain(0.3)
        stored = [(e["event"]["seq"], e["event"]["response"]) for e in proctor.session_events(session_id, "answered")]
        assert stored == walker.answers
        await proctor.disconnect()

        # Only the last applied answer's reply is kept: an older applied seq is wrong_seq with the seq shown now.
        for seq_old, resp_old in walker.answers[:-1]:
            reply = await client.answer(seq_old, resp_old)
            assert reply.code == "wrong_seq" and reply.data["current_seq"] == walker.seq, reply.raw
        seq_last, resp_last = walker.answers[-1]
        assert (await client.answer(seq_last, resp_last)).raw == walker.replies[seq_last]
        assert (await admin.session(session_id))["session"]["answered_total"] == len(walker.answers)
        await client.disconnect()

    run(scenario, 30)


def test_protocol_errors(memory_server: ServerProcess) -> None:
    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        room, candidates = await new_room(admin, 1)
        token = candidates[0]["token"]
        client = CandidateClient(memory_server.ws_url, token)
        await client._open()
        await client.send_raw("not json")
        assert (await client.recv()).code == "bad_message"
        await client.send_raw("[1, 2]")
        assert (await client.recv()).code == "bad_message"
        await client.send({"type": "answer", "seq": 1, "response": 0})
        assert (await client.recv()).code == "not_authenticated"
        await client.send({"type": "hello", "token": token})
        first = await client.recv()
        assert first.type == "item" and first["seq"] == 1, first.raw
        for frame in (
            {"type": "launch"},
            {"type": "answer", "seq": "1", "response": 0},
            {"type": "answer", "seq": 1},
            {"type": "answer", "seq": 1, "response": "0"},
        ):
            await client.send(frame)
            assert (await client.recv()).code == "bad_message", frame
        await client.send_raw(b'{"type": "ping"}')
        assert (await client.recv()).code == "bad_message"
        # A candidate sending a proctor command.
        await client.send({"type": "pause", "session_id": candidates[0]["session_id"]})
        assert (await client.recv()).code == "forbidden"
        assert (await client.ping()).type == "pong"
        # Nothing of the above was applied.
        summary = (await admin.session(candidates[0]["session_id"]))["session"]
        assert summary["answered_total"] == 0, summary

        # Frame over 4096 bytes: closed with 1009.
        await client.send({"type": "ping", "pad": "x" * 5000})
        code = await client.wait_closed(5)
        assert code == 1009, (code, [f.raw for f in client.history[-2:]])
        assert client.history[-1].code == "too_large", client.history[-1].raw

        # Tokens: unknown, and of the wrong kind, on both endpoints.
        for url_client, bad in (
            (CandidateClient(memory_server.ws_url, "no-such-token"), "candidate/unknown"),
            (CandidateClient(memory_server.ws_url, room["proctor_token"]), "candidate/proctor token"),
            (ProctorClient(memory_server.ws_url, token), "proctor/candidate token"),
        ):
            reply = await url_client.connect()
            assert reply.code == "bad_token", (bad, reply.raw)
            assert await url_client.wait_closed(5) == 4001, bad

    run(scenario, 30)


def test_admin_api_errors(memory_server: ServerProcess) -> None:
    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        for token in (None, "wrong-" + ADMIN_TOKEN):
            response = await admin.request("GET", "/api/rooms", token=token)
            assert response.status == 401, response
            assert response.json()["error"]["code"] == "unauthorized", response.json()
        response = await admin.request("GET", "/api/rooms/NOSUCHROOM")
        assert response.status == 404 and response.json()["error"]["code"] == "not_found", response
        response = await admin.request("GET", "/api/sessions/NOSUCHROOM-0001")
        assert response.status == 404 and response.json()["error"]["code"] == "not_found", response

        room, candidates = await new_room(admin, 2)
        room_id = room["room_id"]
        dup = candidates[1]["employee_id"]
        payload = {"candidates": [{"employee_id": "200001012020121999", "name": "Baru"}, {"employee_id": dup}]}
        payload["candidates"][1]["name"] = "Lagi"
        response = await admin.request("POST", f"/api/rooms/{room_id}/candidates", json_body=payload)
        assert response.status == 409 and response.json()["error"]["code"] == "duplicate_employee", response
        assert response.json()["error"]["employee_id"] == dup, response.json()
        assert len(await admin.candidates(room_id)) == 2, "part of a rejected roster was stored"
        twice = {"candidates": [{"employee_id": "300001", "name": "A"}, {"employee_id": "300001", "name": "B"}]}
        response = await admin.request("POST", f"/api/rooms/{room_id}/candidates", json_body=twice)
        assert response.status == 409 and response.json()["error"]["employee_id"] == "300001", response
        assert len(await admin.candidates(room_id)) == 2

        big = "employee_id,name\n" + "".join(f"{400000 + i},Peserta {i:06d} {'x' * 40}\n" for i in range(20000))
        assert len(big) > 1024 * 1024
        response = await admin.request(
            "POST", f"/api/rooms/{room_id}/candidates", body=big.encode(), content_type="text/csv"
        )
        assert response.status == 413 and response.json()["error"]["code"] == "too_large", response

        summary = await admin.room(room_id)
        assert summary["room"]["room_id"] == room_id, summary
        assert summary["counts"].get("ready") == 2, summary
        for s in summary["sessions"]:
            assert set(s) >= SESSION_SUMMARY_KEYS, SESSION_SUMMARY_KEYS - set(s)
            assert s["phase"] == "ready" and s["theta"] is None and s["se"] is None, s

        metrics = await admin.request("GET", "/metrics")  # the admin bearer (or CAT_METRICS_TOKEN) opens it
        assert metrics.status == 200 and "cat_answers_total" in metrics.text

    run(scenario, 20)


def test_two_processes_share_redis(
    make_server: Callable[..., ServerProcess], redis_server: RedisServer, key_prefix: str
) -> None:
    a = make_server(redis_url=redis_server.url, key_prefix=key_prefix)
    b = make_server(redis_url=redis_server.url, key_prefix=key_prefix)

    async def scenario() -> None:
        admin_a, admin_b = AdminApi(a.base_url, ADMIN_TOKEN), AdminApi(b.base_url, ADMIN_TOKEN)
        assert (await admin_a.healthz()).json() == {"status": "ok", "store": "redis"}
        room, candidates = await new_room(admin_a, 1)
        session_id, token = candidates[0]["session_id"], candidates[0]["token"]
        assert [c["session_id"] for c in await admin_b.candidates(room["room_id"])] == [session_id]

        limiter = RateLimiter()
        servers = [a, b]
        client = CandidateClient(a.ws_url, token, limiter=limiter)
        walker = Walker(client, seed=3)
        walker.accept_first(await client.connect())
        switches = 0

        async def switch() -> None:
            nonlocal client, switches
            switches += 1
            old = client
            client = CandidateClient(servers[switches % 2].ws_url, token, limiter=limiter)
            walker.client = client
            if switches == 3:  # the old connection left open: the newer one, on the other process, takes over
                walker.accept_repeat(await client.connect())
                seen = len(old.history)
                code = await old.wait_closed(5)
                assert code == 4002 and [f.code for f in old.history[seen:]] == ["taken_over"], old.history[seen:]
            else:
                await old.disconnect()
                walker.accept_repeat(await client.connect())

        await walker.finish(every=3, between=switch)
        await client.disconnect()
        assert switches >= 5

        for admin in (admin_a, admin_b):
            await check_results(admin, room["room_id"], session_id, walker)
            entries = await admin.audit(session_id)
            check_audit_order(entries)
            assert audit_answers(entries) == walker.answers
        for server in servers:
            proctor = await full_stream(server.ws_url, room["proctor_token"])
            assert await stored_answers(proctor, session_id) == walker.answers
            ids = proctor.event_ids()
            assert len(ids) == len(set(ids)) and ids == sorted(ids, key=parse_event_id)
            await proctor.disconnect()

        summary = (await admin_b.session(session_id))["session"]
        assert summary["answered_total"] == len(walker.answers), summary

    run(scenario, 60)


def test_server_kill9_and_restart(
    make_server: Callable[..., ServerProcess], redis_server: RedisServer, key_prefix: str
) -> None:
    server = make_server(redis_url=redis_server.url, key_prefix=key_prefix)

    async def scenario() -> None:
        admin = AdminApi(server.base_url, ADMIN_TOKEN)
        room, candidates = await new_room(admin, 1)
        session_id = candidates[0]["session_id"]
        proctor = ProctorClient(server.ws_url, room["proctor_token"])
        snapshot = await proctor.connect()
        assert snapshot.type == "snapshot", snapshot.raw
        start_id = proctor.last_event_id
        assert start_id is not None

        client = CandidateClient(server.ws_url, candidates[0]["token"])
        walker = Walker(client, seed=4)
        walker.accept_first(await client.connect())
        for _ in range(4):
            await walker.step()
        await proctor.wait_event(lambda e: e["event"]["type"] == "answered" and e["event"]["seq"] == 4)

        # 1. kill -9 between answers: the candidate resumes at the same item (same seq, same item id).
        await asyncio.to_thread(server.restart, hard=True)
        walker.accept_repeat(await client.resume(attempts=20))
        missed = [walker.seq + i for i in range(3)]
        for _ in range(3):  # the proctor is away meanwhile: it misses these events
            await walker.step()
        await proctor.resume(attempts=20)
        await proctor.wait_event(lambda e: e["event"]["type"] == "answered" and e["event"]["seq"] == missed[-1])
        got = [e["event"]["seq"] for e in proctor.events if e["event"]["type"] == "answered"]
        assert got == [1, 2, 3, 4, *missed], got

        # 2. kill -9 with an answer on the way: after the restart the client resends it; it counts once.
        response = walker.choose()
        client.pending = (walker.seq, response)
        await client.send({"type": "answer", "seq": walker.seq, "response": response})
        await asyncio.to_thread(server.restart, hard=True)
        reply = await client.resume(attempts=20)
        hello_reply = client.last_hello
        assert hello_reply is not None
        assert hello_reply.type == "item" and hello_reply["seq"] in (walker.seq, walker.seq + 1), hello_reply.raw
        walker.accept_reply(response, reply)
        await proctor.resume(attempts=20)
        await walker.finish()
        await client.disconnect()

        full = await full_stream(server.ws_url, room["proctor_token"])
        assert await stored_answers(full, session_id) == walker.answers
        await proctor.wait_event(lambda e: e["session_id"] == session_id and e["event"]["type"] == "finished")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            await full.drain(0.3)
            await proctor.drain(0.3)
            if full.last_event_id == proctor.last_event_id:
                break
        resumed = proctor.event_ids()
        assert len(resumed) == len(set(resumed)), "the resuming proctor got an event twice"
        assert resumed == sorted(resumed, key=parse_event_id)
        expected = [i for i in full.event_ids() if parse_event_id(i) > parse_event_id(start_id)]
        assert resumed == expected, "the resuming proctor missed events"
        await check_results(admin, room["room_id"], session_id, walker)
        await proctor.disconnect()
        await full.disconnect()

    run(scenario, 60)


def test_redis_restart_loses_no_acknowledged_answer(
    make_server: Callable[..., ServerProcess], redis_server: RedisServer, key_prefix: str
) -> None:
    server = make_server(redis_url=redis_server.url, key_prefix=key_prefix)

    async def scenario() -> None:
        admin = AdminApi(server.base_url, ADMIN_TOKEN)
        room, candidates = await new_room(admin, 1)
        session_id = candidates[0]["session_id"]
        client = CandidateClient(server.ws_url, candidates[0]["token"])
        walker = Walker(client, seed=5)
        walker.accept_first(await client.connect())
        for _ in range(5):
            await walker.step()

        # SIGKILL, not a graceful SHUTDOWN: a graceful stop fsyncs the AOF and would prove nothing about
        # durability. With appendfsync everysec a write is on disk within about a second, so we wait 1.5 s after
        # the last acknowledged answer; what the server acknowledged before that must survive the crash.
        await asyncio.sleep(1.5)
        await asyncio.to_thread(redis_server.kill)

        deadline = time.monotonic() + 8
        while (health := await admin.healthz()).status != 503 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        assert health.status == 503, f"/healthz answered {health.status} with Redis down"

        # An answer while Redis is down: not acknowledged (unavailable and close, or no reply yet).
        response = walker.choose()
        client.timeout = 4.0
        try:
            reply = await client.answer(walker.seq, response)
            assert reply.code == "unavailable", f"a reply while the store is down: {reply.raw}"
        except (ConnectionLost, TimeoutError):
            pass
        assert client.pending == (walker.seq, response)

        await asyncio.to_thread(redis_server.start)
        client.timeout = 10.0
        reply = await client.resume(attempts=60, delay=0.25)
        hello_reply = client.last_hello
        assert hello_reply is not None
        assert hello_reply.type == "item" and hello_reply["seq"] in (walker.seq, walker.seq + 1), hello_reply.raw
        walker.accept_reply(response, reply)
        await walker.finish()
        await client.disconnect()

        assert (await admin.healthz()).status == 200
        full = await full_stream(server.ws_url, room["proctor_token"])
        assert await stored_answers(full, session_id) == walker.answers
        await full.disconnect()
        await check_results(admin, room["room_id"], session_id, walker)

    run(scenario, 60)


def test_proctor_snapshot_events_and_commands(memory_server: ServerProcess) -> None:
    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        room, candidates = await new_room(admin, 2)
        other_room, others = await new_room(admin, 1)
        s1, s2 = candidates[0]["session_id"], candidates[1]["session_id"]

        proctor = ProctorClient(memory_server.ws_url, room["proctor_token"])
        snap = await proctor.connect()
        assert snap.type == "snapshot", snap.raw
        assert set(snap.data) == {"type", "room", "sessions", "last_event_id", "at_ms"}, snap.raw
        assert snap["room"]["room_id"] == room["room_id"] and snap["room"]["battery"]["id"] == BATTERY_ID, snap.raw
        subtests = snap["room"]["subtests"]
        assert [s["id"] for s in subtests] == list(SUBTESTS), snap.raw
        assert [s["time_limit_s"] for s in subtests] == list(TIME_LIMITS), snap.raw
        assert all(s["se_target"] == 0.3 and s["max_items"] == 40 for s in subtests), snap.raw
        assert sorted(s["session_id"] for s in snap["sessions"]) == sorted([s1, s2]), snap.raw
        for s in snap["sessions"]:
            assert set(s) >= SESSION_SUMMARY_KEYS, SESSION_SUMMARY_KEYS - set(s)
            assert s["phase"] == "ready" and s["connected"] is False and s["allowed"] == ["terminate"], s
        parse_event_id(snap["last_event_id"])

        # Live events while a candidate answers.
        client = CandidateClient(memory_server.ws_url, candidates[0]["token"])
        walker = Walker(client, seed=6)
        walker.accept_first(await client.connect())
        for _ in range(3):
            await walker.step()
        await proctor.wait_event(lambda e: e["event"]["type"] == "item_presented" and e["event"]["seq"] == 4)
        mine = list(proctor.session_events(s1))
        kinds = [e["event"]["type"] for e in mine]
        assert sorted(kinds[:2]) == ["connected", "item_presented"], kinds
        assert kinds[2:] == ["answered", "item_presented"] * 3, kinds
        for e in proctor.events:
            assert set(e) - {"view"} == {"type", "id", "session_id", "event"}, e
            fields = EVENT_FIELDS[e["event"]["type"]] | {"type", "at_ms"}
            assert fields <= set(e["event"]), e
        # the last event of each change carries the session's summary after it: after each answer, the next item
        views = [e for e in mine if "view" in e]
        assert [e["event"]["type"] for e in views] == ["item_presented"] * 4, views
        assert [e["view"]["answered"] for e in views] == [0, 1, 2, 3], views
        assert all(set(e["view"]) >= SESSION_SUMMARY_KEYS and e["view"]["session_id"] == s1 for e in views)
        last_answer = [e["event"] for e in mine if e["event"]["type"] == "answered"][-1]
        assert views[-1]["view"]["theta"] == round(last_answer["theta"], 4), views[-1]
        assert views[-1]["view"]["allowed"] == ["pause", "extend", "terminate"], views[-1]
        ids = proctor.event_ids()
        assert ids == sorted(ids, key=parse_event_id) and len(set(ids)) == len(ids)
        assert parse_event_id(ids[0]) > parse_event_id(snap["last_event_id"])
        answered = [e["event"] for e in proctor.session_events(s1, "answered")]
        assert [(a["seq"], a["response"]) for a in answered] == walker.answers
        assert all(isinstance(a["theta"], float | int) and a["se"] > 0 for a in answered), answered
        presented = [e["event"] for e in proctor.session_events(s1, "item_presented")]
        assert [(p["seq"], p["position"], p["subtest"]) for p in presented] == [(i, i, 0) for i in range(1, 5)]

        second = ProctorClient(memory_server.ws_url, room["proctor_token"])
        snap2 = await second.connect()
        row = next(s for s in snap2["sessions"] if s["session_id"] == s1)
        assert row["phase"] == "active" and row["connected"] is True and row["answered"] == 3, row
        assert row["answered_total"] == 3 and row["subtest_index"] == 0 and row["subtest"] == SUBTESTS[0], row
        assert math.isclose(row["theta"], answered[-1]["theta"], abs_tol=1e-3), (row, answered[-1])
        assert math.isclose(row["se"], answered[-1]["se"], abs_tol=1e-3), (row, answered[-1])
        await second.disconnect()

        # Pause: the candidate gets `paused`; an answer gets the error `paused`.
        ack = await proctor.command("pause", session_id=s1, reason="istirahat", command_id="c-pause")
        assert ack.type == "ack" and ack["id"] == "c-pause" and ack["command"] == "pause", ack.raw
        assert ack["results"] == [{"session_id": s1, "ok": True}], ack.raw
        paused = await client.recv()
        assert paused.data == {"type": "paused", "reason": "istirahat"}, paused.raw
        reply = await client.answer(walker.seq, 0)
        assert reply.code == "paused", reply.raw
        assert (await client.ping()).type == "pong"
        await proctor.wait_event(lambda e: e["session_id"] == s1 and e["event"]["type"] == "paused")
        assert [e["event"]["reason"] for e in proctor.session_events(s1, "paused")] == ["istirahat"]

        # Commands the state does not allow: bad_command (in the ack's results, or as an error frame).
        for kind, sid in (("pause", s1), ("resume", s2)):
            frame = await proctor.command(kind, session_id=sid)
            if frame.type == "ack":
                assert frame["results"][0]["ok"] is False and frame["results"][0]["code"] == "bad_command", frame.raw
            else:
                assert frame.code == "bad_command", frame.raw

        # Resume: the item again, same seq.
        ack = await proctor.command("resume", session_id=s1)
        assert ack.type == "ack" and ack["results"] == [{"session_id": s1, "ok": True}], ack.raw
        walker.accept_repeat(await client.recv())

        # Extend: the candidate gets `time`.
        before = walker.current["time_left_s"] if walker.current else 0
        ack = await proctor.command("extend", session_id=s1, seconds=300)
        assert ack.type == "ack" and ack["results"] == [{"session_id": s1, "ok": True}], ack.raw
        time_frame = await client.recv()
        assert time_frame.type == "time" and set(time_frame.data) == {"type", "time_left_s"}, time_frame.raw
        assert before + 290 <= time_frame["time_left_s"] <= before + 300, (before, time_frame.raw)
        walker.extra_time_s += 300
        extended = await proctor.wait_event(lambda e: e["event"]["type"] == "time_extended")
        assert extended["event"]["extra_ms"] == 300_000 and extended["event"]["subtest"] == 0, extended

        # Malformed commands, and a session of another room.
        for bad in (
            {"type": "extend", "session_id": s1, "seconds": 0},
            {"type": "extend", "session_id": s1, "seconds": 86401},
            {"type": "extend", "session_id": s1},
            {"type": "terminate", "session_id": s1},
            {"type": "terminate", "session_id": s1, "reason": ""},
            {"type": "pause"},
        ):
            frame = await proctor.send_and_reply(bad)
            assert frame.code == "bad_message", (bad, frame.raw)
        frame = await proctor.command("pause", session_id=others[0]["session_id"])
        assert frame.code == "forbidden", frame.raw
        assert other_room["room_id"] != room["room_id"]

        # An answer still works after all that.
        await walker.step()

        # Terminate: the candidate gets the error `terminated` and close code 4003, also on a new hello.
        ack = await proctor.command("terminate", session_id=s1, reason="kecurangan")
        assert ack.type == "ack" and ack["results"] == [{"session_id": s1, "ok": True}], ack.raw
        frame = await client.recv()
        assert frame.code == "terminated", frame.raw
        assert await client.wait_closed(5) == 4003
        again = CandidateClient(memory_server.ws_url, candidates[0]["token"])
        assert (await again.connect()).code == "terminated"
        assert await again.wait_closed(5) == 4003
        await proctor.wait_event(lambda e: e["session_id"] == s1 and e["event"]["type"] == "terminated")
        assert [e["event"]["reason"] for e in proctor.session_events(s1, "terminated")] == ["kecurangan"]
        summary = (await admin.session(s1))["session"]
        assert summary["phase"] == "terminated" and summary["terminated_reason"] == "kecurangan", summary

        # A room-wide command reports every session.
        ack = await proctor.command("resume", room=True)
        assert ack.type == "ack" and ack["command"] == "resume", ack.raw
        results = {r["session_id"]: r for r in ack["results"]}
        assert set(results) == {s1, s2}, ack.raw
        assert all(r["ok"] is False and r["code"] == "bad_command" for r in results.values()), ack.raw
        assert (await proctor.send_and_reply({"type": "ping"})).type == "pong"
        await proctor.disconnect()

    run(scenario, 30)


def test_second_hello_is_bad_message(memory_server: ServerProcess) -> None:
    """The error table: ``bad_message`` for "a second ``hello`` on one connection" (the connection stays open)."""

    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        _, candidates = await new_room(admin, 1)
        client = CandidateClient(memory_server.ws_url, candidates[0]["token"])
        assert (await client.connect()).type == "item"
        await client.send({"type": "hello", "token": candidates[0]["token"]})
        reply = await client.recv()
        assert reply.code == "bad_message", reply.raw
        assert (await client.ping()).type == "pong"
        await client.disconnect()

    run(scenario, 15)


def test_negative_seq_is_wrong_seq(memory_server: ServerProcess) -> None:
    """``seq`` is an integer; one that is neither presented nor applied (here -1) gets ``wrong_seq``
    (``bad_message`` is for a missing or wrong-typed field)."""

    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        _, candidates = await new_room(admin, 1)
        client = CandidateClient(memory_server.ws_url, candidates[0]["token"])
        assert (await client.connect()).type == "item"
        reply = await client.answer(-1, 0)
        assert reply.code == "wrong_seq", reply.raw
        await client.disconnect()

    run(scenario, 15)


def test_flood_limit_default(memory_server: ServerProcess) -> None:
    """Default frame-rate limit: bursts of 200, then 20 frames per second; over it, error ``flood`` and close 1008."""

    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        _, candidates = await new_room(admin, 1)
        flooder = CandidateClient(memory_server.ws_url, candidates[0]["token"], limiter=RateLimiter(1e6, 1e6))
        await flooder.connect()
        conn = flooder._require()
        for _ in range(300):  # 301 frames with the hello, at once: far over a burst of 200
            try:
                await conn.send('{"type": "ping"}')
            except ConnectionLost:
                break
        try:
            code = await flooder.wait_closed(5)
        except TimeoutError:
            code = None
        answered = Counter(f.type if f.code is None else f.code for f in flooder.history)
        assert code == 1008 and answered["flood"] == 1, (code, answered)
        assert answered["pong"] <= 200, answered

    run(scenario, 15)
