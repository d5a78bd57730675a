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

ITEM_FRAME_KEYS = {"type", "seq", "item", "subtest", "progress", "time_left_s"}  # items carry no previous_subtest
INTRO_FRAME_KEYS = {"type", "subtest", "time_limit_s", "starts_in_s", "previous_subtest"}
WELCOME_FRAME_KEYS = {"type", "candidate", "battery", "instructions", "practice"}
FINISHED_FRAME_KEYS = {"type", "previous_subtest", "profile"}
INTRO_LIMIT_S = 300.0  # CAT_INTRO_LIMIT_S's default: an intro starts its subtest by itself this long after it came
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
    "device",
    "seat_request",
    "seat_request_at_ms",
    "notes",
    "flags",
}
EVENT_FIELDS = {
    "connected": set(),
    "disconnected": set(),
    "started": set(),
    "subtest_intro": {"subtest"},
    "room_opened": set(),
    "room_closed": set(),
    "item_presented": {"seq", "subtest", "item_index", "position"},
    "answered": {"seq", "subtest", "item_index", "response", "shown", "category", "response_ms", "theta", "se"},
    "subtest_done": {"subtest", "result"},
    "finished": {"profile"},
    "paused": {"reason"},
    "resumed": set(),
    "time_extended": {"subtest", "extra_ms"},
    "seat_change_requested": {"device", "requested"},
    "seat_approved": {"device"},
    "seat_denied": {"device"},
    "note": {"text"},
    "terminated": {"reason"},
    "flag": {"kind", "statistic", "subtest", "responses"},
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


def candidate(ws_url: str, token: str, **kwargs: Any) -> CandidateClient:
    """A candidate client that leaves every frame to the test (``welcome`` and ``subtest_intro`` included)."""
    return CandidateClient(ws_url, token, auto_start=False, **kwargs)


def check_no_secrets(frame: Frame) -> None:
    leaked = find_keys(frame.data, FORBIDDEN_ITEM_KEYS)
    assert not leaked, f"candidate frame carries {leaked}: {frame.raw}"


def check_texts(value: Any, where: str) -> None:
    """A text meant for the candidate: one string per language the page offers (``id``, ``en``)."""
    assert isinstance(value, dict) and set(value) == {"id", "en"}, f"{where}: {value!r}"
    assert all(isinstance(v, str) and v for v in value.values()), f"{where}: {value!r}"


def check_welcome(frame: Frame, who: dict[str, Any]) -> None:
    """A ``welcome`` frame for the registered candidate ``who`` (demo battery: instructions and practice items)."""
    assert frame.type == "welcome", frame.raw
    check_no_secrets(frame)
    data = frame.data
    assert set(data) == WELCOME_FRAME_KEYS, f"welcome fields {set(data)}: {frame.raw}"
    assert data["candidate"] == {"name": who["name"], "employee_id": who["employee_id"]}, frame.raw
    battery = data["battery"]
    assert set(battery) == {"name", "subtests"} and isinstance(battery["name"], str), frame.raw
    assert [s["id"] for s in battery["subtests"]] == list(SUBTESTS), frame.raw
    for sub, limit in zip(battery["subtests"], TIME_LIMITS, strict=True):
        assert set(sub) == {"id", "name", "items_max", "time_limit_s"}, frame.raw
        assert sub["items_max"] == 40 and sub["time_limit_s"] == limit and isinstance(sub["name"], str), frame.raw
    check_texts(data["instructions"], "instructions")  # the demo battery has instructions of its own
    practice = data["practice"]
    assert isinstance(practice, list) and practice, frame.raw  # and one practice item
    for item in practice:
        assert set(item) == {"id", "stem", "options"} and isinstance(item["id"], str), frame.raw
        check_texts(item["stem"], "practice stem")
        assert isinstance(item["options"], list) and len(item["options"]) >= 2, frame.raw
        for option in item["options"]:
            check_texts(option, "practice option")


def check_intro(frame: Frame, index: int, previous: str | None = None, *, repeat: bool = False) -> None:
    """A ``subtest_intro`` of subtest ``index``; ``previous``: the reason the subtest before ended (None: no
    ``previous_subtest``). ``repeat``: the intro shown again after a reconnect (``previous_subtest`` optional)."""
    assert frame.type == "subtest_intro", frame.raw
    check_no_secrets(frame)
    data = frame.data
    assert set(data) <= INTRO_FRAME_KEYS, f"undocumented fields {set(data) - INTRO_FRAME_KEYS}: {frame.raw}"
    assert INTRO_FRAME_KEYS - {"previous_subtest"} <= set(data), frame.raw
    sub = data["subtest"]
    assert set(sub) == {"index", "id", "name", "count", "items_max", "instructions"}, frame.raw
    assert sub["index"] == index and sub["id"] == SUBTESTS[index] and sub["count"] == len(SUBTESTS), frame.raw
    assert sub["items_max"] == 40 and isinstance(sub["name"], str), frame.raw
    check_texts(sub["instructions"], "subtest instructions")  # every demo subtest has its own
    assert data["time_limit_s"] == TIME_LIMITS[index], frame.raw
    starts_in = data["starts_in_s"]
    assert isinstance(starts_in, int | float) and 0 < starts_in <= INTRO_LIMIT_S, frame.raw
    prev = data.get("previous_subtest")
    if repeat and prev is None:
        return
    if previous is None and not repeat:
        assert prev is None, frame.raw
        return
    assert prev is not None and set(prev) == {"id", "name", "reason"}, frame.raw
    assert prev["id"] == SUBTESTS[index - 1] and (repeat or prev["reason"] == previous), frame.raw


class Walker:
    """Answers items with random option indices and checks each frame against the documentation: the welcome, the
    intro of every subtest (answered with ``start``), each item and ``finished``."""

    def __init__(self, client: CandidateClient, seed: int) -> None:
        assert not client.auto_start, "the walker sends every start itself"
        self.client = client
        self.rng = random.Random(seed)
        self.current: Frame | None = None  # the item being presented, as last validated
        self.intro: Frame | None = None  # the intro shown (its subtest not started yet)
        self.intros: list[Frame] = []  # every intro, as first received
        self.last_seq = 0  # the seq of the last item presented
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

    async def begin(self, frame: Frame, who: dict[str, Any]) -> None:
        """From the first hello reply of a session to its first item: ``welcome``; ``start``; the first subtest's
        ``subtest_intro``; ``start`` naming it; item seq 1."""
        check_welcome(frame, who)
        intro = await self.client.start()
        check_intro(intro, 0)
        self.intro = intro
        self.intros.append(intro)
        await self.enter()

    async def enter(self) -> None:
        """Start the subtest of the intro shown; its first item (the next seq, nothing answered in it yet)."""
        assert self.intro is not None
        index = int(self.intro["subtest"]["index"])
        frame = await self.client.start(index)
        self.check_item(frame)
        assert frame["seq"] == self.last_seq + 1, f"seq {frame['seq']} after {self.last_seq}: {frame.raw}"
        assert frame["subtest"]["index"] == index and frame["progress"]["answered"] == 0, frame.raw
        self.intro, self.current, self.last_seq = None, frame, int(frame["seq"])
        self.item_ids.append(frame["item"]["id"])

    def accept_repeat(self, frame: Frame) -> None:
        """The current item presented again (after a reconnect or a resume): same seq, item, subtest, progress."""
        assert self.current is not None
        self.check_item(frame)
        for key in ("seq", "item", "subtest", "progress"):
            assert frame[key] == self.current[key], f"{key} differs:\nwas {self.current.raw}\nnow {frame.raw}"
        self.current = frame

    def accept_reply(self, response: int, frame: Frame) -> None:
        """The reply to an answer of the current item: the next item (seq + 1), the next subtest's
        ``subtest_intro`` (its ``start`` is :meth:`enter`'s) or ``finished``."""
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
        if frame.type == "subtest_intro":
            assert index + 1 < len(SUBTESTS), f"an intro after the last subtest: {frame.raw}"
            check_intro(frame, index + 1, "completed")
            self.intro, self.current = frame, None
            self.intros.append(frame)
            return
        self.check_item(frame)
        assert frame["seq"] == self.seq + 1, f"seq {frame['seq']} after {self.seq}: {frame.raw}"
        assert frame["subtest"]["index"] == index, f"the next subtest's item without its intro: {frame.raw}"
        assert frame["progress"]["answered"] == answered + 1, frame.raw
        self.current, self.last_seq = frame, int(frame["seq"])
        self.item_ids.append(frame["item"]["id"])

    async def settle(self, response: int, frame: Frame) -> None:
        """:meth:`accept_reply`, then the next subtest started when the reply was its intro."""
        self.accept_reply(response, frame)
        if self.intro is not None:
            await self.enter()

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
        await self.settle(response, reply)
        return reply

    async def finish(self, every: int = 0, between: Callable[[], Awaitable[None]] | None = None) -> None:
        """Answer until ``finished``; ``between()`` runs after every ``every`` answers."""
        while self.finished is None:
            assert len(self.answers) < 3 * 40, "more answers than the battery allows"
            await self.step()
            if between is not None and every and len(self.answers) % every == 0 and self.finished is None:
                await between()


async def new_room(
    admin: AdminApi, n: int = 1, *, csv_too: int = 0, open: bool = True
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A room of the demo battery (open unless ``open=False``) with ``n`` candidates registered as JSON and
    ``csv_too`` more as CSV."""
    room = await admin.create_room(f"Ruang uji {secrets.token_hex(3)}", BATTERY_ID, open=open)
    assert set(room) >= {"room_id", "name", "battery", "open", "proctor_token"}, room
    assert room["open"] is open, room
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
    """(seq, shown) of every ``answered`` event of the session in the full stream, after its ``finished``: the
    position the candidate sent (the event's ``response`` is the stored option it maps to)."""
    await proctor.wait_event(lambda e: e["session_id"] == session_id and e["event"]["type"] == "finished", timeout=10)
    return [(e["event"]["seq"], e["event"]["shown"]) for e in proctor.session_events(session_id, "answered")]


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
        assert row["notes"] == "", row  # no proctor wrote an incident note
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

        device = "e2e-seat-" + secrets.token_hex(6)  # the page's id of this computer, recorded with each hello
        client = candidate(memory_server.ws_url, candidates[0]["token"], device=device)
        walker = Walker(client, seed=1)
        await walker.begin(await client.connect(), candidates[0])
        await walker.finish()
        # an intro before every subtest, the first included; the later ones tell how the one before ended
        assert [i["subtest"]["index"] for i in walker.intros] == [0, 1, 2]
        assert [i.get("previous_subtest", {}).get("reason") for i in walker.intros] == [None, "completed", "completed"]
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
        hellos = [e for e in entries if e["kind"] == "hello"]
        assert len(hellos) == 1 and device in json.dumps(hellos[0]), hellos  # "Seats": the device with the hello

        # A new connection after the end gets `finished` (without previous_subtest: not a reply to the last answer),
        # then the close 1000; it can re-read no item.
        again = candidate(memory_server.ws_url, candidates[0]["token"])
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
        resent = [
            (e["kind"], e.get("outcome")) for e in entries if e.get("outcome") and e["kind"] in ("answer", "hello")
        ]
        assert resent == [("answer", "duplicate")], (kinds, resent)
        added = [(e["kind"], e.get("outcome")) for e in later[len(entries) :]]
        assert added == [("hello", "finished")], (kinds, added)

    run(scenario, 45)


def test_exactly_once_and_reconnect(memory_server: ServerProcess) -> None:
    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        room, candidates = await new_room(admin, 1)
        session_id, token = candidates[0]["session_id"], candidates[0]["token"]
        client = candidate(memory_server.ws_url, token)
        walker = Walker(client, seed=2)
        await walker.begin(await client.connect(), candidates[0])
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
        newer = candidate(memory_server.ws_url, token)
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
        await walker.settle(response, reply)
        assert client.pending is None
        summary = (await admin.session(session_id))["session"]
        assert summary["answered_total"] == len(walker.answers) == 5, summary

        proctor = await full_stream(memory_server.ws_url, room["proctor_token"])
        await proctor.drain(0.3)
        stored = [(e["event"]["seq"], e["event"]["shown"]) for e in proctor.session_events(session_id, "answered")]
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
        client = candidate(memory_server.ws_url, token)
        await client._open()
        await client.send_raw("not json")
        assert (await client.recv()).code == "bad_message"
        await client.send_raw("[1, 2]")
        assert (await client.recv()).code == "bad_message"
        await client.send({"type": "answer", "seq": 1, "response": 0})
        assert (await client.recv()).code == "not_authenticated"
        await client.send({"type": "hello", "token": token})
        first = await client.recv()
        check_welcome(first, candidates[0])
        for frame in (
            {"type": "launch"},
            {"type": "answer", "seq": "1", "response": 0},
            {"type": "answer", "seq": 1},
            {"type": "answer", "seq": 1, "response": "0"},
            {"type": "start", "subtest": "0"},
            {"type": "start", "subtest": 0.5},
            {"type": "start", "subtest": True},
            {"type": "start", "subtest": 0, "seq": 1},
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
            (candidate(memory_server.ws_url, "no-such-token"), "candidate/unknown"),
            (candidate(memory_server.ws_url, room["proctor_token"]), "candidate/proctor token"),
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
        client = candidate(a.ws_url, token, limiter=limiter)
        walker = Walker(client, seed=3)
        await walker.begin(await client.connect(), candidates[0])
        switches = 0

        async def switch() -> None:
            nonlocal client, switches
            switches += 1
            old = client
            client = candidate(servers[switches % 2].ws_url, token, limiter=limiter)
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

        client = candidate(server.ws_url, candidates[0]["token"])
        walker = Walker(client, seed=4)
        await walker.begin(await client.connect(), candidates[0])
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
        await walker.settle(response, reply)
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
        client = candidate(server.ws_url, candidates[0]["token"])
        walker = Walker(client, seed=5)
        await walker.begin(await client.connect(), candidates[0])
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
        await walker.settle(response, reply)
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
        assert snap["room"]["open"] is True, snap.raw
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
        client = candidate(memory_server.ws_url, candidates[0]["token"])
        walker = Walker(client, seed=6)
        await walker.begin(await client.connect(), candidates[0])
        for _ in range(3):
            await walker.step()
        await proctor.wait_event(lambda e: e["event"]["type"] == "item_presented" and e["event"]["seq"] == 4)
        mine = list(proctor.session_events(s1))
        kinds = [e["event"]["type"] for e in mine]
        # hello; start (the battery begun, the first intro shown); start of the subtest; then answer after answer
        assert kinds[:4] == ["connected", "started", "subtest_intro", "item_presented"], kinds
        assert kinds[4:] == ["answered", "item_presented"] * 3, kinds
        for e in proctor.events:
            assert set(e) - {"view"} == {"type", "id", "session_id", "event"}, e
            fields = EVENT_FIELDS[e["event"]["type"]] | {"type", "at_ms"}
            assert fields <= set(e["event"]), e
        assert mine[2]["event"]["subtest"] == 0, mine[2]
        # the last event of each change carries the session's summary after it: connected (still ready), the intro
        # shown (phase intro), then the first item and, after each answer, the next one
        views = [e for e in mine if "view" in e]
        assert [e["event"]["type"] for e in views] == ["connected", "subtest_intro", *["item_presented"] * 4], views
        assert all(set(e["view"]) >= SESSION_SUMMARY_KEYS and e["view"]["session_id"] == s1 for e in views)
        assert [(e["view"]["phase"], e["view"]["connected"]) for e in views[:2]] == [("ready", True), ("intro", True)]
        assert views[1]["view"]["subtest_index"] == 0 and views[1]["view"]["answered_total"] == 0, views[1]
        views = views[2:]
        assert [e["view"]["phase"] for e in views] == ["active"] * 4, views
        assert [e["view"]["answered"] for e in views] == [0, 1, 2, 3], views
        last_answer = [e["event"] for e in mine if e["event"]["type"] == "answered"][-1]
        assert views[-1]["view"]["theta"] == round(last_answer["theta"], 4), views[-1]
        assert views[-1]["view"]["allowed"] == ["pause", "extend", "terminate"], views[-1]
        ids = proctor.event_ids()
        assert ids == sorted(ids, key=parse_event_id) and len(set(ids)) == len(ids)
        assert parse_event_id(ids[0]) > parse_event_id(snap["last_event_id"])
        answered = [e["event"] for e in proctor.session_events(s1, "answered")]
        assert [(a["seq"], a["shown"]) for a in answered] == walker.answers  # the positions sent
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
        assert time_frame.type == "time" and set(time_frame.data) == {"type", "time_left_s", "extended_s"}
        assert time_frame["extended_s"] == 300, time_frame.raw  # what was added, for the page to say
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
        again = candidate(memory_server.ws_url, candidates[0]["token"])
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
        client = candidate(memory_server.ws_url, candidates[0]["token"])
        assert (await client.connect()).type == "welcome"
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
        client = CandidateClient(memory_server.ws_url, candidates[0]["token"])  # past the welcome and the intro
        assert (await client.connect()).type == "item"
        assert [f.type for f in client.history] == ["welcome", "subtest_intro", "item"]
        reply = await client.answer(-1, 0)
        assert reply.code == "wrong_seq", reply.raw
        await client.disconnect()

    run(scenario, 15)


def test_flood_limit_default(memory_server: ServerProcess) -> None:
    """Default frame-rate limit: bursts of 200, then 20 frames per second; over it, error ``flood`` and close 1008."""

    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        _, candidates = await new_room(admin, 1)
        flooder = candidate(memory_server.ws_url, candidates[0]["token"], limiter=RateLimiter(1e6, 1e6))
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


# --- the welcome, the intros, start and the room gate ----------------------------------------------------------

QUIET_S = 2.5  # how long a test leaves a welcome or an intro shown: a clock running meanwhile would show it


async def summary_of(admin: AdminApi, session_id: str) -> dict[str, Any]:
    summary: dict[str, Any] = (await admin.session(session_id))["session"]
    return summary


def test_welcome_first_and_no_clock_before_start(memory_server: ServerProcess) -> None:
    """``welcome`` before any item; no item presented and no time spent until ``start``, nor during the intro until
    the ``start`` naming its subtest; an answer before that is ``not_started``."""

    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        _, candidates = await new_room(admin, 1)
        who, session_id = candidates[0], candidates[0]["session_id"]
        client = candidate(memory_server.ws_url, who["token"])
        walker = Walker(client, seed=8)
        check_welcome(await client.connect(), who)
        summary = await summary_of(admin, session_id)
        assert summary["phase"] == "ready" and summary["connected"] is True, summary
        assert summary["time_left_s"] is None and summary["answered_total"] == 0, summary
        assert summary["allowed"] == ["terminate"], summary

        # an answer before start: not_started, nothing changes, the connection stays open
        for seq in (1, 0):
            reply = await client.answer(seq, 0)
            assert reply.code == "not_started", reply.raw
        assert (await client.ping()).type == "pong"
        await asyncio.sleep(QUIET_S)
        summary = await summary_of(admin, session_id)
        assert summary["phase"] == "ready" and summary["time_left_s"] is None, summary

        intro = await client.start()
        check_intro(intro, 0)
        summary = await summary_of(admin, session_id)
        assert summary["phase"] == "intro" and summary["subtest_index"] == 0, summary
        assert summary["time_left_s"] in (None, TIME_LIMITS[0]), summary  # the clock has not started
        assert (await client.answer(1, 0)).code == "not_started"  # the intro is shown: start first
        await asyncio.sleep(QUIET_S)
        later = await summary_of(admin, session_id)
        assert later["phase"] == "intro" and later["time_left_s"] == summary["time_left_s"], (summary, later)

        walker.intro = intro
        await walker.enter()  # item seq 1 of the first subtest, its clock starting now
        assert walker.current is not None
        left = walker.current["time_left_s"]
        assert TIME_LIMITS[0] - QUIET_S < left <= TIME_LIMITS[0], walker.current.raw  # no time went by before
        summary = await summary_of(admin, session_id)
        assert summary["phase"] == "active" and summary["allowed"] == ["pause", "extend", "terminate"], summary
        assert TIME_LIMITS[0] - QUIET_S < summary["time_left_s"] <= TIME_LIMITS[0], summary

        # the refused answers were not recorded; one item presented, at the start
        entries = await admin.audit(session_id)
        assert audit_answers(entries) == [], entries
        assert [e["seq"] for e in entries if e["kind"] == "presented"] == [1], entries
        await walker.step()
        await client.disconnect()

    run(scenario, 30)


def test_an_intro_before_every_subtest_survives_a_reconnect(memory_server: ServerProcess) -> None:
    """``subtest_intro`` before each subtest (the first included); a reconnect while it is shown gets it again,
    its clock still not started and ``starts_in_s`` not reset upward; the answer that ended a subtest, resent then,
    gets its stored reply (the intro); a ``start`` once the battery is finished gets ``finished`` and a close."""

    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        room, candidates = await new_room(admin, 1)
        who, session_id = candidates[0], candidates[0]["session_id"]
        client = candidate(memory_server.ws_url, who["token"])
        walker = Walker(client, seed=9)
        check_welcome(await client.connect(), who)
        intro = await client.start()
        check_intro(intro, 0)
        await asyncio.sleep(0.6)

        # a reconnect during the first intro: the same intro, counting down from where it was
        await client.disconnect()
        again = await client.connect()
        check_intro(again, 0, repeat=True)
        assert again["subtest"] == intro["subtest"] and again["time_limit_s"] == intro["time_limit_s"], again.raw
        assert again["starts_in_s"] <= intro["starts_in_s"] - 0.4, (intro.raw, again.raw)
        walker.intro = again
        walker.intros.append(intro)
        await walker.enter()

        # the first subtest to its end: the reply to its last answer is the second subtest's intro
        while walker.intro is None:
            assert len(walker.answers) < 40, "the first subtest did not end within its item limit"
            response = walker.choose()
            walker.accept_reply(response, await client.answer(walker.seq, response))
        second = walker.intro
        assert second["subtest"]["index"] == 1 and second["previous_subtest"]["reason"] == "completed", second.raw
        summary = await summary_of(admin, session_id)
        assert summary["phase"] == "intro" and summary["subtest_index"] == 1, summary
        assert summary["time_left_s"] in (None, TIME_LIMITS[1]), summary
        await asyncio.sleep(0.6)

        # reconnect: the intro again (not the next subtest's first item), and the resend of the answer that ended the
        # subtest gets its stored reply, byte for byte: that intro
        await client.disconnect()
        again = await client.connect()
        check_intro(again, 1, repeat=True)
        assert again["starts_in_s"] <= second["starts_in_s"] - 0.4, (second.raw, again.raw)
        last_seq, last_response = walker.answers[-1]
        assert (await client.answer(last_seq, last_response)).raw == walker.replies[last_seq]
        assert (await summary_of(admin, session_id))["answered_total"] == len(walker.answers)
        walker.intro = again
        await walker.enter()
        await walker.finish()
        assert [i["subtest"]["index"] for i in walker.intros] == [0, 1, 2], [i.raw for i in walker.intros]
        assert walker.intros[2]["previous_subtest"]["id"] == SUBTESTS[1], walker.intros[2].raw

        # over: a start gets the finished frame, then the close 1000
        reply = await client.start()
        assert reply.type == "finished", reply.raw
        assert await client.wait_closed(5) == 1000
        await client.disconnect()
        await check_results(admin, room["room_id"], session_id, walker)

    run(scenario, 45)


def test_a_repeated_start_is_harmless(memory_server: ServerProcess) -> None:
    """A ``start`` that does not match where the session is changes nothing and gets that state's frame: a double
    start after an intro presents the first item once and skips none."""

    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        room, candidates = await new_room(admin, 1)
        who, session_id = candidates[0], candidates[0]["session_id"]
        client = candidate(memory_server.ws_url, who["token"])
        walker = Walker(client, seed=10)
        check_welcome(await client.connect(), who)

        # a start naming a subtest while the welcome is shown: the welcome again, nothing begun
        check_welcome(await client.start(0), who)
        assert (await summary_of(admin, session_id))["phase"] == "ready"
        intro = await client.start()
        check_intro(intro, 0)
        # a start naming another subtest than the intro's: the intro again
        for wrong in (1, 2, 7, -1):
            other = await client.start(wrong)
            check_intro(other, 0, repeat=True)
        assert (await summary_of(admin, session_id))["phase"] == "intro"

        # a double click: two starts at once; the first item, then the same item again
        for _ in range(2):
            await client.send({"type": "start", "subtest": 0})
        first, second = await client.recv(), await client.recv()
        walker.check_item(first)
        walker.check_item(second)
        assert first["seq"] == second["seq"] == 1 and first["item"] == second["item"], (first.raw, second.raw)
        assert second["subtest"]["index"] == 0, second.raw
        walker.current, walker.last_seq = first, 1
        walker.item_ids.append(first["item"]["id"])
        # a start while an item is presented, with or without a subtest: the item again
        for subtest in (None, 0, 1):
            walker.accept_repeat(await client.start(subtest))
        await walker.step()
        assert walker.current is not None and walker.current["seq"] == 2, walker.current
        assert walker.current["subtest"]["index"] == 0 and walker.current["progress"]["answered"] == 1

        summary = await summary_of(admin, session_id)
        assert summary["answered_total"] == 1 and summary["subtest_index"] == 0, summary
        entries = await admin.audit(session_id)
        assert [e["seq"] for e in entries if e["kind"] == "presented"] == [1, 2], entries
        proctor = await full_stream(memory_server.ws_url, room["proctor_token"])
        await proctor.wait_event(lambda e: e["event"]["type"] == "item_presented" and e["event"]["seq"] == 2)
        await proctor.drain(0.3)
        kinds = Counter(e["event"]["type"] for e in proctor.session_events(session_id))
        assert kinds["started"] == 1 and kinds["subtest_intro"] == 1 and kinds["item_presented"] == 2, kinds
        await proctor.disconnect()
        await client.disconnect()

    run(scenario, 30)


def test_a_closed_room_waits_until_a_proctor_opens_it(memory_server: ServerProcess) -> None:
    """A room created closed: ``hello`` gets ``waiting`` (``room_closed``), the connection stays open, and the
    ``welcome`` is pushed on it when a proctor sends ``open_room``; every proctor of the room gets the room event
    (``session_id`` null)."""

    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        room, candidates = await new_room(admin, 2, open=False)
        room_id = room["room_id"]
        listed = next(r for r in await admin.rooms() if r["room_id"] == room_id)
        assert listed["open"] is False, listed
        proctors = [ProctorClient(memory_server.ws_url, room["proctor_token"]) for _ in range(2)]
        for proctor in proctors:
            snap = await proctor.connect()
            assert snap.type == "snapshot" and snap["room"]["open"] is False, snap.raw

        who, session_id = candidates[0], candidates[0]["session_id"]
        client = candidate(memory_server.ws_url, who["token"])
        waiting = await client.connect()
        assert waiting.data == {"type": "waiting", "reason": "room_closed"}, waiting.raw
        assert (await client.ping()).type == "pong"  # the connection stays open
        assert (await client.answer(1, 0)).code == "not_started"
        assert (await client.start()).data == waiting.data  # no start while the room is closed
        summary = await summary_of(admin, session_id)
        assert summary["phase"] == "ready" and summary["connected"] is True and summary["time_left_s"] is None

        ack = await proctors[0].open_room()
        assert ack.type == "ack" and ack["command"] == "open_room", ack.raw
        assert ack["results"] == [] and ack["room"] == {"open": True}, ack.raw
        check_welcome(await client.wait_for("welcome"), who)  # pushed on the same connection
        for proctor in proctors:  # the room event reaches every proctor of the room
            event = await proctor.wait_event(lambda e: e["session_id"] is None)
            assert set(event) == {"type", "id", "session_id", "event", "room"}, event  # no view
            assert event["event"]["type"] == "room_opened", event
            assert event["room"] == {"open": True, "archived": False}, event
            assert isinstance(event["event"]["at_ms"], int), event
            parse_event_id(event["id"])
        # opening an open room changes nothing and is acknowledged the same way: no second event, nothing pushed to
        # the candidate reading the welcome
        ack = await proctors[1].open_room()
        assert ack.type == "ack" and ack["results"] == [] and ack["room"] == {"open": True}, ack.raw
        for proctor in proctors:
            await proctor.drain(0.5)
            assert [e["event"]["type"] for e in proctor.room_events()] == ["room_opened"], proctor.events
        with pytest.raises(TimeoutError):
            pushed = await client.recv(0.5)
            raise AssertionError(f"pushed after opening an open room: {pushed.raw}")
        assert next(r for r in await admin.rooms() if r["room_id"] == room_id)["open"] is True
        late = ProctorClient(memory_server.ws_url, room["proctor_token"])
        snap = await late.connect()
        assert snap["room"]["open"] is True, snap.raw
        await late.disconnect()

        # now the battery begins; a candidate arriving later gets the welcome at once
        check_intro(await client.start(), 0)
        other = candidate(memory_server.ws_url, candidates[1]["token"])
        check_welcome(await other.connect(), candidates[1])
        for c in (client, other, *proctors):
            await c.disconnect()

    run(scenario, 30)


def test_close_room_stops_new_starts_only(memory_server: ServerProcess) -> None:
    """``close_room``: a candidate whose battery has not started waits (``start`` and ``hello`` get ``waiting``);
    running tests go on, an intro shown included; ``open_room`` lets the waiting one begin."""

    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        room, candidates = await new_room(admin, 3)
        proctor = ProctorClient(memory_server.ws_url, room["proctor_token"])
        await proctor.connect()
        sitting = candidate(memory_server.ws_url, candidates[0]["token"])
        walker = Walker(sitting, seed=12)
        await walker.begin(await sitting.connect(), candidates[0])
        await walker.step()
        at_intro = candidate(memory_server.ws_url, candidates[1]["token"])
        check_welcome(await at_intro.connect(), candidates[1])
        check_intro(await at_intro.start(), 0)
        at_welcome = candidate(memory_server.ws_url, candidates[2]["token"])
        check_welcome(await at_welcome.connect(), candidates[2])

        ack = await proctor.close_room()
        assert ack.type == "ack" and ack["command"] == "close_room", ack.raw
        assert ack["results"] == [] and ack["room"] == {"open": False}, ack.raw
        event = await proctor.wait_event(lambda e: e["session_id"] is None)
        assert event["event"]["type"] == "room_closed", event
        assert event["room"] == {"open": False, "archived": False}, event
        assert "view" not in event, event

        await walker.step()  # a running test goes on
        first = await at_intro.start(0)  # so does a battery already begun: its subtest starts
        assert first.type == "item" and first["seq"] == 1 and first["subtest"]["index"] == 0, first.raw
        waiting = await at_welcome.start()  # a battery not begun does not begin
        assert waiting.data == {"type": "waiting", "reason": "room_closed"}, waiting.raw
        summary = await summary_of(admin, candidates[2]["session_id"])
        assert summary["phase"] == "ready" and summary["answered_total"] == 0, summary
        await at_welcome.disconnect()
        assert (await at_welcome.connect()).data == waiting.data  # nor on a new connection

        await proctor.open_room()
        check_welcome(await at_welcome.wait_for("welcome"), candidates[2])
        check_intro(await at_welcome.start(), 0)
        await walker.step()
        counts = (await admin.room(room["room_id"]))["counts"]
        assert counts.get("active") == 2 and counts.get("intro") == 1, counts
        for c in (sitting, at_intro, at_welcome, proctor):
            await c.disconnect()

    run(scenario, 30)


def test_an_intro_left_alone_starts_its_subtest(make_server: Callable[..., ServerProcess]) -> None:
    """``CAT_INTRO_LIMIT_S`` after an intro was first sent, its subtest starts by itself: the first ``item`` is
    pushed unprompted."""
    server = make_server(env={"CAT_INTRO_LIMIT_S": "2"})

    async def scenario() -> None:
        admin = AdminApi(server.base_url, ADMIN_TOKEN)
        _, candidates = await new_room(admin, 1)
        client = candidate(server.ws_url, candidates[0]["token"])
        assert (await client.connect()).type == "welcome"
        intro = await client.start()
        assert intro.type == "subtest_intro" and 0 < intro["starts_in_s"] <= 2, intro.raw
        pushed = await client.wait_for("item", timeout=20)
        assert pushed["seq"] == 1 and pushed["subtest"]["index"] == 0, pushed.raw
        assert [f.type for f in client.history] == ["welcome", "subtest_intro", "item"], client.history
        assert (await summary_of(admin, candidates[0]["session_id"]))["phase"] == "active"
        # the start that comes too late is harmless: the item again
        late = await client.start(0)
        assert late.type == "item" and late["seq"] == 1 and late["item"] == pushed["item"], late.raw
        await client.disconnect()

    run(scenario, 40)


def test_time_up_pushes_the_next_intro(make_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    """When a subtest's time runs out while the candidate is thinking, the next subtest's ``subtest_intro`` is
    pushed (``previous_subtest.reason`` ``time_up``); an answer for the old item then changes nothing."""
    demo = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"
    text = demo.read_text(encoding="utf-8")
    for name in ("manajerial_sosiokultural", "literasi_digital", "emerging_skills"):
        text = text.replace(f'pool = "{name}.json"', f'pool = "{demo.parent / (name + ".json")}"')
    assert text.count("time_limit_s = 1800") == 1
    short = tmp_path / "short.toml"
    short.write_text(text.replace("time_limit_s = 1800", "time_limit_s = 3"), encoding="utf-8")
    server = make_server(battery=short)

    async def scenario() -> None:
        admin = AdminApi(server.base_url, ADMIN_TOKEN)
        _, candidates = await new_room(admin, 1)
        session_id = candidates[0]["session_id"]
        client = candidate(server.ws_url, candidates[0]["token"])
        assert (await client.connect()).type == "welcome"
        intro = await client.start()
        assert intro.type == "subtest_intro" and intro["time_limit_s"] == 3, intro.raw
        first = await client.start(0)
        assert first.type == "item" and first["seq"] == 1 and 0 < first["time_left_s"] <= 3, first.raw
        pushed = await client.wait_for("subtest_intro", timeout=20)
        assert pushed["subtest"]["index"] == 1, pushed.raw
        prev = pushed["previous_subtest"]
        assert prev["id"] == SUBTESTS[0] and prev["reason"] == "time_up", pushed.raw
        summary = await summary_of(admin, session_id)
        assert summary["phase"] == "intro" and summary["subtest_index"] == 1, summary
        late = await client.answer(1, 0)
        assert late.type == "error" and late.code in ("wrong_seq", "not_started"), late.raw
        assert (await summary_of(admin, session_id))["answered_total"] == 0
        item = await client.start(1)
        assert item.type == "item" and item["seq"] == 2 and item["subtest"]["index"] == 1, item.raw
        await client.disconnect()

    run(scenario, 40)


# --- seats: a sitting moves to another computer only when the proctor approves (docs/protocol.md, "Seats") --------

DEVICE_A, DEVICE_B, DEVICE_C = "k3Vq9ZxT2mLp8RwA", "Lab2-Kursi-11_bb", "Lab3-Kursi-03_cc"
APPROVAL = {"type": "waiting", "reason": "approval"}


def test_another_device_waits_for_the_proctors_approval_and_a_denied_one_is_closed(
    memory_server: ServerProcess,
) -> None:
    async def scenario() -> None:
        admin = AdminApi(memory_server.base_url, ADMIN_TOKEN)
        room, candidates = await new_room(admin, 1)
        token, session_id = candidates[0]["token"], candidates[0]["session_id"]
        proctor = ProctorClient(memory_server.ws_url, room["proctor_token"])
        assert (await proctor.connect()).type == "snapshot"

        # the sitting is taken on the device of its first hello
        first = candidate(memory_server.ws_url, token, device=DEVICE_A)
        item = await first.advance(await first.connect())  # past the welcome and the first intro
        assert item.type == "item" and item["seq"] == 1, item.raw
        summary = await summary_of(admin, session_id)
        assert (summary["device"], summary["seat_request"]) == (DEVICE_A, None), summary

        # another computer: it waits, and every frame but a ping gets the waiting frame again
        second = candidate(memory_server.ws_url, token, device=DEVICE_B)
        assert (await second.connect()).data == APPROVAL
        for frame in ({"type": "start"}, {"type": "answer", "seq": 1, "response": 0}):
            await second.send(frame)
            assert (await second.recv()).data == APPROVAL, frame
        assert (await second.ping()).type == "pong"
        requested = await proctor.wait_event(lambda e: e["event"]["type"] == "seat_change_requested")
        assert requested["session_id"] == session_id, requested
        assert (requested["event"]["device"], requested["event"]["requested"]) == (DEVICE_A, DEVICE_B), requested
        assert requested["view"]["seat_request"] == DEVICE_B, requested
        assert requested["view"]["seat_request_at_ms"] == requested["event"]["at_ms"], requested
        assert requested["view"]["allowed"] == ["pause", "extend", "terminate", "approve_seat", "deny_seat"], requested
        # the sitting, its clock and its connection stay where they are
        reply = await first.answer(1, 0)
        assert reply.type == "item" and reply["seq"] == 2, reply.raw

        # approved: the old connection gets taken_over (4002); the waiting one gets where the sitting is
        # a decision on a request the proctor did not see (another device named): refused, nothing moves
        ack = await proctor.approve_seat(session_id, device=DEVICE_C)
        assert ack["results"][0]["ok"] is False and ack["results"][0]["code"] == "bad_command", ack.raw
        ack = await proctor.approve_seat(session_id, device=DEVICE_B)
        assert ack.type == "ack" and ack["command"] == "approve_seat", ack.raw
        assert ack["results"] == [{"session_id": session_id, "ok": True}], ack.raw
        lost = await first.recv()
        assert lost.code == "taken_over", lost.raw
        assert await first.wait_closed(5) == 4002
        moved = await second.recv()
        assert moved.type == "item" and moved["seq"] == 2 and moved["item"] == reply["item"], moved.raw
        after = await second.answer(2, 1)
        assert after.type == "item" and after["seq"] == 3, after.raw
        approved = await proctor.wait_event(lambda e: e["event"]["type"] == "seat_approved")
        assert approved["event"]["device"] == DEVICE_B, approved
        summary = await summary_of(admin, session_id)
        assert (summary["device"], summary["seat_request"], summary["connected"]) == (DEVICE_B, None, True)

        # a third computer, denied: closed with seat_denied (4011); the sitting goes on where it is
        third = candidate(memory_server.ws_url, token, device=DEVICE_C)
        assert (await third.connect()).data == APPROVAL
        await proctor.wait_event(
            lambda e: e["event"]["type"] == "seat_change_requested" and e["event"]["requested"] == DEVICE_C
        )
        ack = await proctor.deny_seat(session_id)
        assert ack["results"] == [{"session_id": session_id, "ok": True}], ack.raw
        refused = await third.recv()
        assert refused.code == "seat_denied", refused.raw
        assert await third.wait_closed(5) == 4011
        denied = await proctor.wait_event(lambda e: e["event"]["type"] == "seat_denied")
        assert denied["event"]["device"] == DEVICE_C, denied
        reply = await second.answer(3, 0)
        assert reply.type == "item" and reply["seq"] == 4, reply.raw
        # nothing waits now: a decision is refused
        ack = await proctor.deny_seat(session_id)
        assert ack["results"][0]["ok"] is False and ack["results"][0]["code"] == "bad_command", ack.raw

        # a message reaches the candidate; an incident note is counted in the summary
        ack = await proctor.message("Sisa waktu 5 menit.", session_id=session_id)
        assert ack["results"] == [{"session_id": session_id, "ok": True, "delivered": True}], ack.raw
        message = await second.recv()
        assert message.type == "message" and message["text"] == "Sisa waktu 5 menit.", message.raw
        assert isinstance(message["at_ms"], int), message.raw
        ack = await proctor.note(session_id, "Pindah ke meja 11 karena layar rusak")
        assert ack["results"] == [{"session_id": session_id, "ok": True}], ack.raw
        assert (await summary_of(admin, session_id))["notes"] == 1

        # all of it in the audit: who asked from where, and the proctor's decisions
        entries = await admin.audit(session_id)
        hellos = [(e.get("device"), e.get("outcome")) for e in entries if e["kind"] == "hello"]
        assert hellos == [(DEVICE_A, None), (DEVICE_B, "approval"), (DEVICE_B, None), (DEVICE_C, "approval")], hellos
        commands = [e["command"] for e in entries if e["kind"] == "proctor"]
        assert commands == ["approve_seat", "deny_seat"], entries
        for client in (second, third):
            await client.disconnect()
        await proctor.disconnect()

    run(scenario, 30)
