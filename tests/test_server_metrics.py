"""cat_engine.server.metrics in one process: the exposition (format 0.0.4, read by a strict parser here and by
prometheus_client's), every family docs/protocol.md and docs/operations.md name, with its type; counts as recorded;
the room label bound; the multiprocess directory server.py prepares; apps side by side not sharing counts; what the
store holds back, live connections, sessions, answers and commits through the real app on both stores.

The multiprocess mode (several processes, one sum) is tests/test_server_metrics_workers.py.
"""

from __future__ import annotations

import asyncio
import math
import re
import secrets
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import orjson
import prometheus_client
import pytest
from conftest import AppServer, battery_dict, subtest_dict, write_battery
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import ClientConnection, connect

from cat_engine.server import rooms
from cat_engine.server.hub import Hub
from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.metrics import (
    ANSWER_BUCKETS,
    MAX_ROOM_LABELS,
    MULTIPROC_ENV,
    OTHER_ROOM,
    Metrics,
    prepare_multiprocess_dir,
)
from cat_engine.server.redis_store import RedisStore
from cat_engine.server.settings import Settings
from cat_engine.server.store import CandidateRecord, Commit, RoomRecord, Store, token_digest
from cat_engine.server.wire_errors import WIRE_ERRORS
from load_tests.procs import RedisServer

REPO = Path(__file__).resolve().parents[1]

# every family, with its type; the documentation names exactly these (test below)
TYPES = {
    "cat_live_connections": "gauge",
    "cat_live_sessions": "gauge",
    "cat_answers_total": "counter",
    "cat_answer_seconds": "histogram",
    "cat_errors_total": "counter",
    "cat_frames_total": "counter",
    "cat_store_conflicts_total": "counter",
    "cat_store_commit_seconds": "histogram",
    "cat_suppressed_total": "counter",
    "cat_event_loop_lag_seconds": "gauge",
    "cat_room_live_candidates": "gauge",
    "cat_room_answers_total": "counter",
}

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
_VALUE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+|Inf|NaN)"
_SAMPLE = re.compile(rf"^(?P<name>{_NAME})(?:\{{(?P<labels>{_LABEL}(?:,{_LABEL})*)?\}})? (?P<value>{_VALUE})$")
_HELP = re.compile(rf"^# HELP (?P<name>{_NAME}) (?P<text>.*)$")
_TYPE = re.compile(rf"^# TYPE (?P<name>{_NAME}) (?P<type>counter|gauge|histogram|summary|untyped)$")
_LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


@dataclass
class Family:
    name: str
    type: str
    help: str = ""
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)


def parse(text: str) -> dict[str, Family]:
    """Parse exposition text strictly: every line is HELP, TYPE or a sample of the family declared last."""
    assert text.endswith("\n"), "the exposition ends with a line feed"
    families: dict[str, Family] = {}
    helps: dict[str, str] = {}
    current: Family | None = None
    for n, line in enumerate(text[:-1].split("\n"), 1):
        assert line, f"line {n} is empty"
        if m := _HELP.match(line):
            assert m["name"] not in helps, f"line {n}: second HELP for {m['name']}"
            helps[m["name"]] = m["text"]
            continue
        if m := _TYPE.match(line):
            name = m["name"]
            assert name not in families, f"line {n}: second TYPE for {name}"
            current = families[name] = Family(name, m["type"], helps.get(name, ""))
            continue
        assert not line.startswith("#"), f"line {n}: unexpected comment {line!r}"
        m = _SAMPLE.match(line)
        assert m, f"line {n}: not a sample line: {line!r}"
        assert current is not None, f"line {n}: sample before any TYPE"
        name = m["name"]
        allowed = {current.name}
        if current.type == "histogram":
            allowed = {f"{current.name}_bucket", f"{current.name}_sum", f"{current.name}_count"}
        assert name in allowed, f"line {n}: {name} outside its family {current.name}"
        labels = dict(_LABEL_PAIR.findall(m["labels"] or ""))
        value = float(m["value"].replace("Inf", "inf"))
        current.samples.append((name, labels, value))
    for name, family in families.items():
        assert family.help, f"{name} has no HELP"
    assert set(helps) == set(families), "HELP without TYPE"
    return families


def render(m: Metrics) -> dict[str, Family]:
    return parse(m.render().decode())


def value(families: dict[str, Family], family: str, sample: str | None = None, **labels: str) -> float:
    found = [v for n, lab, v in families[family].samples if n == (sample or family) and lab == labels]
    assert len(found) == 1, (family, sample, labels, families[family].samples)
    return found[0]


def by_label(families: dict[str, Family], family: str, label: str) -> dict[str, float]:
    return {lab[label]: v for _, lab, v in families[family].samples}


def buckets(families: dict[str, Family], family: str = "cat_answer_seconds") -> list[tuple[float, float]]:
    return [
        (float(lab["le"].replace("Inf", "inf")), v) for n, lab, v in families[family].samples if n.endswith("_bucket")
    ]


def documented_names(doc: str, start: str) -> set[str]:
    """The metric names in the paragraph of ``doc`` that starts with ``start``."""
    text = (REPO / "docs" / doc).read_text(encoding="utf-8")
    begin = text.index(start)
    end = text.find("\n\n", begin)
    return set(re.findall(r"`(cat_[a-z_]+)", text[begin:end]))


# --- the exposition ----------------------------------------------------------------------------------------------


def test_every_family_is_documented_and_present_from_the_start_with_its_type() -> None:
    families = render(Metrics())
    assert {name: f.type for name, f in families.items()} == TYPES
    assert documented_names("protocol.md", "Metrics (") == set(TYPES)
    assert documented_names("operations.md", "`GET /metrics`") == set(TYPES)
    for name, kind in TYPES.items():
        assert kind != "counter" or name.endswith("_total")
    assert by_label(families, "cat_live_connections", "kind") == {"candidate": 0, "proctor": 0}
    assert by_label(families, "cat_frames_total", "kind") == {"candidate": 0, "proctor": 0}
    assert by_label(families, "cat_suppressed_total", "kind") == {"audit": 0, "events": 0}
    assert by_label(families, "cat_errors_total", "code") == dict.fromkeys(WIRE_ERRORS, 0)  # every code, at 0
    for name in ("cat_live_sessions", "cat_answers_total", "cat_store_conflicts_total", "cat_event_loop_lag_seconds"):
        assert value(families, name) == 0
    for name in ("cat_answer_seconds", "cat_store_commit_seconds"):
        assert value(families, name, f"{name}_count") == value(families, name, f"{name}_sum") == 0
        assert all(v == 0 for _, v in buckets(families, name))
    assert families["cat_room_live_candidates"].samples == families["cat_room_answers_total"].samples == []


def test_prometheus_client_parser_reads_what_the_strict_parser_reads() -> None:
    m = Metrics()
    m.observe_answer(0.004, "ROOMAA")
    m.session_opened("ROOMAA")
    m.error("bad_token")
    text = m.render().decode()
    strict = parse(text)
    theirs = {f.name: f for f in text_string_to_metric_families(text)}
    for name, family in strict.items():
        other = theirs[name.removesuffix("_total") if family.type == "counter" else name]
        assert other.type == family.type
        assert [(s.name, s.labels, s.value) for s in other.samples] == family.samples


def test_metrics_have_their_own_registry() -> None:
    """Apps built side by side in one process (the tests) never see each other's counts, nor the global registry's."""
    a, b = Metrics(), Metrics()
    a.frame("candidate")
    a.observe_answer(0.01, "ROOMAA")
    a.connection_opened("proctor")
    assert value(render(a), "cat_frames_total", kind="candidate") == 1
    fb = render(b)
    assert value(fb, "cat_frames_total", kind="candidate") == 0
    assert value(fb, "cat_answers_total") == 0
    assert value(fb, "cat_live_connections", kind="proctor") == 0
    assert a.multiprocess_dir is None  # the tests run without PROMETHEUS_MULTIPROC_DIR
    assert a.registry is not prometheus_client.REGISTRY
    assert prometheus_client.REGISTRY.get_sample_value("cat_frames_total", {"kind": "candidate"}) is None


def test_counts_and_gauges_show_what_was_recorded() -> None:
    m = Metrics()
    for _ in range(3):
        m.connection_opened("candidate")
    m.connection_opened("proctor")
    m.connection_opened("proctor")
    m.connection_closed("proctor")
    for _ in range(40):
        m.frame("candidate")
    m.frame("proctor")
    m.frame("proctor")
    for _ in range(5):
        m.conflict()
    m.session_opened("ROOMAA")
    m.session_opened("ROOMAA")
    m.session_opened("ROOMBB")
    m.session_closed("ROOMAA")
    m.count_suppressed("audit", 4)
    m.count_suppressed("events", 2)
    m.count_suppressed("audit", 1)
    m.loop_lag(0.25)
    families = render(m)
    assert value(families, "cat_live_connections", kind="candidate") == 3
    assert value(families, "cat_live_connections", kind="proctor") == 1
    assert value(families, "cat_live_sessions") == 2
    assert by_label(families, "cat_room_live_candidates", "room") == {"ROOMAA": 1, "ROOMBB": 1}
    assert value(families, "cat_frames_total", kind="candidate") == 40
    assert value(families, "cat_frames_total", kind="proctor") == 2
    assert value(families, "cat_store_conflicts_total") == 5
    assert value(families, "cat_suppressed_total", kind="audit") == 5
    assert value(families, "cat_suppressed_total", kind="events") == 2
    assert value(families, "cat_event_loop_lag_seconds") == 0.25
    assert m.value("cat_frames_total", kind="candidate") == 40  # this process's own reading
    assert m.value("cat_errors_total", code="flood") == 0


def test_errors_by_code() -> None:
    m = Metrics()
    for code in ["bad_message", "wrong_seq", "bad_message", "flood", "bad_message", "time_up"]:
        m.error(code)
    samples = render(m)["cat_errors_total"].samples
    seen = {lab["code"]: v for _, lab, v in samples if v}
    assert seen == {"bad_message": 3, "wrong_seq": 1, "flood": 1, "time_up": 1}
    assert all(set(lab) == {"code"} for _, lab, _ in samples)
    assert len(samples) == len(WIRE_ERRORS)  # one sample per code
    assert m.value("cat_errors_total", code="bad_message") == 3


LATENCIES = [0.0, 0.0004, 0.001, 0.0011, 0.003, 0.02, 0.02, 0.3, 0.9, 1.0, 2.5, 2.6, 30.0]


def test_answer_histogram_is_cumulative_and_counts_every_answer() -> None:
    m = Metrics()
    for i, s in enumerate(LATENCIES):
        m.observe_answer(s, "ROOMAA" if i % 3 else "ROOMBB")
    families = render(m)
    bs = buckets(families)
    assert [b for b, _ in bs] == [*ANSWER_BUCKETS, math.inf]
    counts = [c for _, c in bs]
    assert counts == sorted(counts)  # cumulative
    for bound, count in bs:  # each bucket counts the observations <= its bound
        assert count == sum(1 for s in LATENCIES if s <= bound), bound
    assert value(families, "cat_answer_seconds", "cat_answer_seconds_count") == counts[-1] == len(LATENCIES)
    assert value(families, "cat_answers_total") == len(LATENCIES)
    assert value(families, "cat_answer_seconds", "cat_answer_seconds_sum") == pytest.approx(sum(LATENCIES), abs=1e-9)
    assert by_label(families, "cat_room_answers_total", "room") == {"ROOMAA": 8, "ROOMBB": 5}


def test_commit_histogram_counts_every_commit() -> None:
    m = Metrics()
    for s in (0.00005, 0.0003, 0.0003, 0.004, 2.0):
        m.observe_commit(s)
    families = render(m)
    assert value(families, "cat_store_commit_seconds", "cat_store_commit_seconds_count") == 5
    assert dict(buckets(families, "cat_store_commit_seconds"))[0.0005] == 3
    assert dict(buckets(families, "cat_store_commit_seconds"))[math.inf] == 5


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), max_size=30),
    st.lists(st.sampled_from(["bad_message", "too_large", "flood", "wrong_seq", "internal"]), max_size=10),
    st.integers(min_value=0, max_value=50),
)
def test_any_recording_parses(latencies: list[float], errors: list[str], live: int) -> None:
    m = Metrics()
    for s in latencies:
        m.observe_answer(s, "ROOMAA")
    for code in errors:
        m.error(code)
    for _ in range(live):
        m.session_opened("ROOMAA")
    families = render(m)
    counts = [c for _, c in buckets(families)]
    assert counts == sorted(counts)
    assert counts[-1] == len(latencies) == value(families, "cat_answer_seconds", "cat_answer_seconds_count")
    assert value(families, "cat_answers_total") == len(latencies)
    assert value(families, "cat_live_sessions") == live
    assert sum(v for _, _, v in families["cat_errors_total"].samples) == len(errors)


def test_parser_rejects_malformed_text() -> None:
    """The parser above is strict enough to catch what a scraper would refuse."""
    good = "# HELP x_total A counter.\n# TYPE x_total counter\nx_total 1\n"
    parse(good)
    for bad in [
        good.rstrip("\n"),
        good + "\n",
        good + "y_total 1\n",
        good.replace("x_total 1", "x_total one"),
        good.replace("x_total 1", "x_total{kind=candidate} 1"),
        good.replace("x_total 1", "x total 1"),
        "x_total 1\n",
        good.replace("# TYPE x_total counter", "# TYPE x_total meter"),
    ]:
        with pytest.raises(AssertionError):
            parse(bad)


# --- room labels -------------------------------------------------------------------------------------------------


def test_rooms_beyond_the_bound_are_counted_as_other() -> None:
    m = Metrics(max_rooms=3)
    rooms_ = [f"ROOM{c}{c}" for c in "ABCDE"]
    for r in rooms_:
        m.session_opened(r)
        m.observe_answer(0.01, r)
    m.observe_answer(0.01, rooms_[0])  # a room labelled before the bound keeps its label after it
    m.session_opened(rooms_[4])
    families = render(m)
    assert by_label(families, "cat_room_answers_total", "room") == {
        rooms_[0]: 2,
        rooms_[1]: 1,
        rooms_[2]: 1,
        OTHER_ROOM: 2,
    }
    assert by_label(families, "cat_room_live_candidates", "room") == {
        rooms_[0]: 1,
        rooms_[1]: 1,
        rooms_[2]: 1,
        OTHER_ROOM: 3,
    }
    assert value(families, "cat_answers_total") == 6  # the totals count every room
    for r in rooms_:  # a gauge goes down under the label it went up under
        m.session_closed(r)
    m.session_closed(rooms_[4])
    assert set(by_label(render(m), "cat_room_live_candidates", "room").values()) == {0}
    assert value(render(m), "cat_live_sessions") == 0


def test_the_default_bound() -> None:
    m = Metrics()
    assert MAX_ROOM_LABELS == 500
    labels = {m.room_label(f"R{n:05d}") for n in range(MAX_ROOM_LABELS + 20)}
    assert len(labels) == MAX_ROOM_LABELS + 1 and OTHER_ROOM in labels
    assert m.room_label("R00000") == "R00000"


# --- the multiprocess directory (server.py) ---------------------------------------------------------------------


def test_prepare_multiprocess_dir_makes_a_fresh_directory(tmp_path: Path) -> None:
    env: dict[str, str] = {}
    other: dict[str, str] = {}
    made, made_again = prepare_multiprocess_dir(env), prepare_multiprocess_dir(other)
    try:
        assert made is not None and env[MULTIPROC_ENV] == made
        assert Path(made).is_dir() and not any(Path(made).iterdir())
        assert made_again is not None and other[MULTIPROC_ENV] == made_again != made  # each start its own
    finally:
        for path in (made, made_again):
            if path is not None:
                Path(path).rmdir()


def test_prepare_multiprocess_dir_empties_the_operators_directory(tmp_path: Path) -> None:
    given = tmp_path / "prom"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"old")
    (given / "gauge_livesum_123.db").write_bytes(b"old")
    (given / "notes.txt").write_text("kept")  # only the client's files go
    env = {MULTIPROC_ENV: str(given)}
    assert prepare_multiprocess_dir(env) is None
    assert env == {MULTIPROC_ENV: str(given)}
    assert sorted(p.name for p in given.iterdir()) == ["notes.txt"]
    missing = tmp_path / "new" / "prom"
    assert prepare_multiprocess_dir({MULTIPROC_ENV: str(missing)}) is None
    assert missing.is_dir()


# --- what the store holds back, on both stores -------------------------------------------------------------------

PER_MINUTE = 10


@pytest.fixture(params=["memory", "redis"])
def noisy_store(request: pytest.FixtureRequest) -> Iterator[tuple[Store, asyncio.Runner]]:
    clock = lambda: 1_800_000_000.0  # noqa: E731 (one minute throughout: the budget never renews)
    with asyncio.Runner() as runner:
        if request.param == "memory":
            s: Store = MemoryStore(noise_per_minute=PER_MINUTE, clock=clock)
        else:
            redis: RedisServer = request.getfixturevalue("private_redis")
            s = RedisStore(redis.url, prefix=f"t-metrics-{uuid4().hex[:8]}", noise_per_minute=PER_MINUTE, clock=clock)
        runner.run(s.start())
        try:
            yield s, runner
        finally:
            runner.run(s.close())


def test_noise_the_store_holds_back_reaches_the_metrics(noisy_store: tuple[Store, asyncio.Runner]) -> None:
    store, runner = noisy_store
    hub = Hub(Settings(demo_room=False), store, {}, "admin", Metrics())

    async def noise() -> None:
        room = RoomRecord(f"r{uuid4().hex[:10]}", "Room", "battery-1", 1)
        await store.create_room(room, f"ptok-{room.room_id}")
        sid = f"{room.room_id}-1"
        await store.add_candidates(room.room_id, [(CandidateRecord(sid, "E1", "N", token_digest(f"t-{sid}")), b"s")])
        version = 1
        for i in range(PER_MINUTE + 3):  # reconnect-like commits: the last 3 over the budget
            commit = Commit(state=b"s", audit=[f"a{i}".encode()], events=[f"e{i}".encode()], noise=True)
            assert (await store.commit(sid, version, commit))[0]
            version += 1
        for _ in range(2):  # repeats: over the budget too
            await store.append_audit(sid, b"repeat")

    runner.run(noise())
    families = render(hub.metrics)
    assert value(families, "cat_suppressed_total", kind="audit") == 5 == store.suppressed["audit"]
    assert value(families, "cat_suppressed_total", kind="events") == 3 == store.suppressed["events"]


# --- through the real app, on both stores ------------------------------------------------------------------------

ADMIN = "t"
ITEMS = 4
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def battery_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sub = subtest_dict("s1", max_items=ITEMS, min_items=ITEMS, se_target=None, time_limit_s=600)
    return write_battery(tmp_path_factory.mktemp("battery"), battery_dict([sub], id="metrics"))


@pytest.fixture(params=["memory", "redis"])
def srv(
    request: pytest.FixtureRequest, app_server: Callable[..., AppServer], battery_path: Path
) -> Iterator[AppServer]:
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("private_redis")
        prefix = f"t-metrics-{secrets.token_hex(4)}"
        settings_ = Settings(
            redis_url=redis.url, key_prefix=prefix, admin_token=ADMIN, demo_room=False, batteries=(battery_path,)
        )
    else:
        settings_ = Settings(admin_token=ADMIN, demo_room=False, batteries=(battery_path,))
    server = app_server(settings_)
    assert server.hub.store.kind == request.param
    yield server
    server.stop()


def scrape(srv: AppServer) -> dict[str, Family]:
    request = urllib.request.Request(srv.base_url + "/metrics", headers={"Authorization": f"Bearer {ADMIN}"})
    with _OPENER.open(request, timeout=5) as resp:
        assert resp.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
        return parse(resp.read().decode())


def settled(srv: AppServer, check: Callable[[dict[str, Family]], bool], timeout: float = 10.0) -> dict[str, Family]:
    """The first scrape for which ``check`` holds (a reply may reach the client just before its count is made);
    the last one after ``timeout``, for the caller's assertions to show what differs."""
    deadline = time.monotonic() + timeout
    while True:
        families = scrape(srv)
        if check(families) or time.monotonic() > deadline:
            return families
        time.sleep(0.02)


def test_the_app_counts_connections_sessions_answers_and_commits(srv: AppServer, monkeypatch: Any) -> None:
    tx = srv.hub.tx
    room = srv.call(rooms.create_room(tx, "Ruang", "metrics", is_open=True))["room_id"]
    cands = srv.call(rooms.register(tx, room, [{"employee_id": f"E{i}", "name": f"P {i}"} for i in range(3)]))
    store = srv.hub.store
    commits = 0
    real_commit = store.commit

    async def counting_commit(*args: Any, **kwargs: Any) -> Any:
        nonlocal commits
        commits += 1
        return await real_commit(*args, **kwargs)

    monkeypatch.setattr(store, "commit", counting_commit)
    answers_each = 2
    starts_each = 2  # the battery's, after the welcome, and the first subtest's, after its intro
    sockets: list[ClientConnection] = []

    async def sit() -> None:
        for cand in cands:
            ws = await connect(f"{srv.ws_url}/ws/candidate", proxy=None, open_timeout=5)
            sockets.append(ws)
            await ws.send(orjson.dumps({"type": "hello", "token": cand["token"]}).decode())
            frame = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            assert frame["type"] == "welcome", frame
            for start in ({"type": "start"}, {"type": "start", "subtest": 0}):
                await ws.send(orjson.dumps(start).decode())
                frame = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            for n in range(answers_each):
                assert frame["type"] == "item", frame
                await ws.send(orjson.dumps({"type": "answer", "seq": frame["seq"], "response": n % 2}).decode())
                frame = orjson.loads(await asyncio.wait_for(ws.recv(), 5))

    async def leave() -> None:
        for ws in sockets:
            await ws.close()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(sit(), 30))
        answers = answers_each * len(cands)
        families = settled(srv, lambda f: value(f, "cat_answers_total") == answers)
        assert value(families, "cat_live_connections", kind="candidate") == len(cands)
        assert value(families, "cat_live_connections", kind="proctor") == 0
        assert value(families, "cat_live_sessions") == len(cands)
        assert by_label(families, "cat_room_live_candidates", "room") == {room: len(cands)}
        assert value(families, "cat_answers_total") == answers
        assert by_label(families, "cat_room_answers_total", "room") == {room: answers}
        assert value(families, "cat_answer_seconds", "cat_answer_seconds_count") == answers
        moves = len(cands) * (1 + starts_each) + answers  # hellos, starts and answers
        assert value(families, "cat_frames_total", kind="candidate") == moves
        # each hello, start and answer committed once (no other process: no conflict), each commit observed
        assert commits == moves
        assert value(families, "cat_store_commit_seconds", "cat_store_commit_seconds_count") == commits
        assert value(families, "cat_store_conflicts_total") == 0
        loop.run_until_complete(asyncio.wait_for(leave(), 10))
    finally:
        loop.close()
    families = settled(
        srv,
        lambda f: value(f, "cat_live_connections", kind="candidate") == 0 and value(f, "cat_live_sessions") == 0,
    )
    assert value(families, "cat_live_connections", kind="candidate") == 0
    assert value(families, "cat_live_sessions") == 0
    assert by_label(families, "cat_room_live_candidates", "room") == {room: 0}
    assert value(families, "cat_answers_total") == answers  # counters stay


def test_two_apps_in_one_process_keep_their_own_counts(
    app_server: Callable[..., AppServer], battery_path: Path
) -> None:
    a = app_server(Settings(admin_token=ADMIN, demo_room=False, batteries=(battery_path,)))
    b = app_server(Settings(admin_token=ADMIN, demo_room=False, batteries=(battery_path,)))

    async def wrong_hello(server: AppServer) -> None:
        async with connect(f"{server.ws_url}/ws/candidate", proxy=None, open_timeout=5) as ws:
            await ws.send(orjson.dumps({"type": "hello", "token": "no-such-token"}).decode())
            assert orjson.loads(await asyncio.wait_for(ws.recv(), 5))["code"] == "bad_token"

    try:
        for _ in range(3):
            asyncio.run(wrong_hello(a))
        asyncio.run(wrong_hello(b))
        assert value(scrape(a), "cat_frames_total", kind="candidate") == 3
        assert value(scrape(a), "cat_errors_total", code="bad_token") == 3
        assert value(scrape(b), "cat_frames_total", kind="candidate") == 1
        assert value(scrape(b), "cat_errors_total", code="bad_token") == 1
    finally:
        a.stop()
        b.stop()
