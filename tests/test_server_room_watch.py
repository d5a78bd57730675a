"""Room-level integrity flags, live (cat_engine/server/room_watch.py).

Over the real app (memory store and a private Redis, driven by the protocol client): four seats answered strictly in
turn by one "operator" beside two seats answering on their own; after the watch's look, the proctor's room feed has
exactly one ``operator`` flag event per seat of the group (with the group's other sessions) and none for the others,
each session's audit a ``room_flag`` entry that ``cat-verify`` accepts, and a second look, by this process or
another, raises nothing new. Then the store's once-only mark on both stores (several processes at once), which rooms
a look evaluates, the loop's start and stop in the app, the setting, and the console's words for a room flag.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import secrets
import shutil
import subprocess
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from uuid import uuid4

import numpy as np
import orjson
import pytest
import redis as redis_sync
from conftest import AppServer, battery_dict, run_bounded, server_on, subtest_dict, write_battery
from protocol_client import AdminApi, CandidateClient, ProctorClient
from test_session_integrity import timed_pool

from cat_engine.battery import Battery, load_battery
from cat_engine.server import tasks
from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.metrics import Metrics
from cat_engine.server.redis_store import RedisStore
from cat_engine.server.room_watch import FIRST_LOOK_MS, Raised, RoomWatch, flag_key, look_alpha, watch_rooms
from cat_engine.server.settings import Settings
from cat_engine.server.store import RoomRecord, Store, StoreUnavailable
from cat_engine.server.transaction import Transactions
from cat_engine.signing import battery_files
from cat_engine.verify import replay, verify_bundle
from load_tests.procs import RedisServer

ADMIN = "watch-" + secrets.token_hex(8)
BATTERY = "watch-test"
ITEMS = 30  # answers per seat: room_timing tests seats with at least 20
REPO = Path(__file__).resolve().parent.parent
LIVE_TTL_S = 1234  # the Redis stores' live expiry in the mark test
EVENT_KEYS = {"type", "at_ms", "kind", "statistic", "subtest", "responses", "sessions"}

run = run_bounded
T = TypeVar("T")


@pytest.fixture(scope="module")
def battery_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One subtest of 30 timed items, no SE target: each seat gives 30 answers in one run (no intro in between)."""
    subs = [subtest_dict("s1", max_items=ITEMS, min_items=ITEMS, se_target=None, time_limit_s=600)]
    directory = tmp_path_factory.mktemp("watch")
    write_battery(
        directory, battery_dict(subs, id=BATTERY, version="2026.10"), pools={"s1.json": timed_pool(40, 31, "w1")}
    )
    return directory


@pytest.fixture(scope="module")
def battery(battery_dir: Path) -> Battery:
    return load_battery(battery_dir / "battery.toml")


@pytest.fixture(params=["memory", "redis"])
def server(
    request: pytest.FixtureRequest, app_server: Callable[..., AppServer], battery_dir: Path
) -> Iterator[AppServer]:
    """The app with its own timer off (``CAT_ROOM_WATCH_S=0``): the test looks when it wants."""
    srv = server_on(
        request,
        app_server,
        admin_token=ADMIN,
        demo_room=False,
        batteries=(battery_dir / "battery.toml",),
        room_watch_s=0,
    )
    yield srv
    srv.stop()


async def operator_room(srv: AppServer) -> dict[str, Any]:
    """A room of six: seats 1-4 answered by one person strictly in turn (think time lognormal around 40 ms, so each
    seat's item waits while the three others are answered), seats 5 and 6 each answering on their own (around
    180 ms, lognormal sigma 0.5), all at once, to the end. The proctor is connected throughout."""
    admin = AdminApi(srv.base_url, ADMIN)
    room = await admin.create_room("Ruang operator", BATTERY)
    people = await admin.register(room["room_id"], [(f"E{i}", f"Peserta {i}") for i in range(1, 7)])
    proctor = ProctorClient(srv.ws_url, room["proctor_token"])
    await proctor.connect()
    rng = np.random.default_rng(5)
    seats = [CandidateClient(srv.ws_url, p["token"], device=f"komputer-{i:02d}") for i, p in enumerate(people)]

    async def operator() -> None:
        frames = [await seat.connect() for seat in seats[:4]]
        for k in range(4 * ITEMS):
            i = k % 4
            await asyncio.sleep(float(rng.lognormal(np.log(0.04), 0.3)))
            assert frames[i].type == "item", frames[i].raw
            frames[i] = await seats[i].answer(int(frames[i]["seq"]), 0)
        assert all(f.type == "finished" for f in frames)

    async def alone(seat: CandidateClient, seed: int) -> None:
        own = np.random.default_rng(seed)
        frame = await seat.connect()
        while frame.type == "item":
            await asyncio.sleep(float(own.lognormal(np.log(0.18), 0.5)))
            frame = await seat.answer(int(frame["seq"]), 1)
        assert frame.type == "finished", frame.raw

    await asyncio.gather(operator(), alone(seats[4], 11), alone(seats[5], 12))
    for seat in seats:
        await seat.disconnect()
    await proctor.drain()
    return {"room_id": room["room_id"], "sessions": [p["session_id"] for p in people], "proctor": proctor}


def room_flags(proctor: ProctorClient) -> list[dict[str, Any]]:
    return [
        e for e in proctor.events if e["event"]["type"] == "flag" and e["event"]["kind"] in ("operator", "lockstep")
    ]


async def on_server(srv: AppServer, coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the server's loop (the store's connections belong to it) without blocking this one."""
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, srv.loop))


def test_one_operator_for_four_seats_is_flagged_live_once_per_seat(server: AppServer, battery: Battery) -> None:
    async def go() -> tuple[dict[str, Any], list[Raised], list[dict[str, Any]]]:
        sat = await operator_room(server)
        proctor = sat["proctor"]
        group = sat["sessions"][:4]
        assert room_flags(proctor) == []  # nothing before the watch looks
        watch = RoomWatch(server.hub.tx)
        raised = await on_server(server, watch.tick())  # the room moved a moment ago: this look evaluates it
        for sid in group:
            await proctor.wait_event(lambda e, sid=sid: e["session_id"] == sid and e["event"].get("kind") == "operator")
        await proctor.drain()
        first = list(room_flags(proctor))
        # looked at again, by this process or another (a fresh watch: what was raised is known to the store only)
        assert await on_server(server, watch.tick()) == []
        assert await on_server(server, RoomWatch(server.hub.tx).evaluate(sat["room_id"])) == []
        await proctor.drain(quiet=0.5)
        assert room_flags(proctor) == first
        await proctor.disconnect()
        return sat, raised, first

    sat, raised_all, flags = run(go, timeout=120)
    room_id, ids = sat["room_id"], sat["sessions"]
    group, others = ids[:4], ids[4:]
    (raised,) = raised_all
    assert (raised.kind, raised.sessions) == ("operator", tuple(group))
    assert raised.p_value <= raised.threshold
    assert sorted(f["session_id"] for f in flags) == group  # one per seat of the group, none for the others
    for f in flags:
        event, sid = f["event"], f["session_id"]
        assert set(event) == EVENT_KEYS
        assert (event["kind"], event["at_ms"], event["subtest"], event["responses"]) == (
            "operator",
            raised.at_ms,
            None,
            [],
        )
        assert event["sessions"] == [s for s in group if s != sid]
        assert event["statistic"] == {
            "name": "alternation_share",
            "value": raised.statistic,
            "p_value": raised.p_value,
            "threshold": raised.threshold,
            "n": ITEMS,
        }
        # the change's only event carries the session's summary; its own flags do not list a room flag
        assert f["view"]["session_id"] == sid and "operator" not in f["view"]["flags"]

    # the audit of each seat of the group records it; the evidence still verifies (the replay accepts the entry)
    admin = AdminApi(server.base_url, ADMIN)

    async def read_audits() -> list[list[dict[str, Any]]]:
        return [await admin.audit(sid) for sid in ids]

    audits = run(read_audits)
    for sid, audited in zip(ids, audits, strict=True):
        entries = [e for e in audited if e["kind"] == "room_flag"]
        if sid in others:
            assert entries == []
            continue
        (entry,) = entries
        assert (entry["flag"], entry["at_ms"], entry["sessions"]) == (
            "operator",
            raised.at_ms,
            [s for s in group if s != sid],
        )
        assert entry["statistic"] == flags[0]["event"]["statistic"] | {"n": ITEMS}
    bundle = orjson.loads(run(lambda: admin.request("GET", f"/api/rooms/{room_id}/evidence")).body)
    verified = verify_bundle(bundle, battery, battery_files(battery))
    assert verified.ok, verified.to_dict()
    # a room flag comes while the seats still answer, in practice: the replay takes it there as well
    seat = next(x for x in bundle["sessions"] if x["session_id"] == group[0])
    texts = [r["entry"].encode() for r in seat["audit"]]
    (k,) = [i for i, t in enumerate(texts) if b'"kind":"room_flag"' in t]
    middle = [i for i, t in enumerate(texts) if b'"kind":"answer"' in t][3]  # between two changes, as commits land
    moved = [*texts[:middle], texts[k], *texts[middle:k], *texts[k + 1 :]]
    assert replay(battery, group[0], int(seat["seed"]), moved).divergence is None
    assert replay(battery, group[0], int(seat["seed"]), [*moved, b'{"kind":"room_fleg","at_ms":1}']).divergence
    # the report on request names the same group
    report = run(lambda: admin.request("GET", f"/api/rooms/{room_id}/integrity")).json()
    assert [f["sessions"] for f in report["room_timing"]["flags"]] == [group]
    # at alpha (one look), where the watch's first period evaluated at look_alpha(alpha, 1): the threshold scales
    (reported,) = report["room_timing"]["flags"]
    assert raised.threshold == pytest.approx(reported["threshold"] * look_alpha(1.0, 1), rel=1e-9)


# --- the once-only mark ------------------------------------------------------------------------------------------


@dataclass
class Deployment:
    """Two stores as two processes of one deployment see it: the same MemoryStore twice, or two RedisStores on the
    private Redis under one fresh key prefix (``url``, ``prefix``) with the same settings."""

    url: str | None = None
    prefix: str = ""

    def stores(self) -> tuple[Store, Store]:
        if self.url is None:
            one = MemoryStore()
            return one, one
        a, b = (RedisStore(self.url, prefix=self.prefix, live_ttl_s=LIVE_TTL_S) for _ in range(2))
        return a, b


@pytest.fixture(params=["memory", "redis"])
def deployment(request: pytest.FixtureRequest) -> Deployment:
    if request.param == "memory":
        return Deployment()
    server: RedisServer = request.getfixturevalue("private_redis")
    return Deployment(server.url, f"t{uuid4().hex[:8]}")


def test_a_room_flag_is_marked_once_whichever_process_marks_it(deployment: Deployment) -> None:
    async def go() -> list[bool]:
        a, b = deployment.stores()
        await a.start()
        if b is not a:
            await b.start()
        try:
            key = flag_key("operator", ["R1-0003", "R1-0001"])
            assert key == flag_key("operator", ["R1-0001", "R1-0003"]) == "operator:R1-0001,R1-0003"
            assert await a.mark_raised("R1", key) is True
            assert await a.mark_raised("R1", key) is False  # again: not new
            assert await b.mark_raised("R1", key) is False  # nor in another process
            assert await b.mark_raised("R1", flag_key("lockstep", ["R1-0001", "R1-0003"])) is True  # another kind
            assert await b.mark_raised("R1", flag_key("operator", ["R1-0001", "R1-0002", "R1-0003"])) is True
            assert await a.mark_raised("R2", key) is True  # another room
            # many at once, from both: exactly one is first
            marks = [(a if i % 2 else b).mark_raised("R3", key) for i in range(20)]
            return list(await asyncio.gather(*marks))
        finally:
            await a.close()
            if b is not a:
                await b.close()

    firsts = run(go)
    assert firsts.count(True) == 1
    if deployment.url is not None:
        raw = redis_sync.Redis.from_url(deployment.url)
        try:
            ttl = raw.ttl(f"{deployment.prefix}:{{R3}}:raised")
        finally:
            raw.close()
        assert 0 < ttl <= LIVE_TTL_S  # kept as long as the room's live keys, not for ever


# --- which rooms a look evaluates --------------------------------------------------------------------------------


def test_a_look_evaluates_the_rooms_that_moved_and_skips_quiet_ones() -> None:
    now = [1_800_000_000.0]
    store = MemoryStore(clock=lambda: now[0])
    tx = Transactions(store, {}, Metrics(), clock=lambda: now[0])
    watch = RoomWatch(tx)
    looked: list[str] = []

    async def evaluate(room_id: str, period: int | None = None) -> list[Any]:
        looked.append(room_id)
        return []

    watch.evaluate = evaluate  # type: ignore[method-assign]

    async def go() -> None:
        for name in ("old", "busy", "empty"):
            await store.create_room(RoomRecord(name, name, "b", 0), f"tok-{name}")
        await store.set_room_open("old", True, b'{"type":"room_opened"}')
        now[0] += FIRST_LOOK_MS / 1000 + 1  # "old" last moved before the first look's window
        await store.set_room_open("busy", True, b'{"type":"room_opened"}')
        assert await watch.tick() == []
        assert looked == ["busy"]  # not the old room, nor one without events
        await watch.tick()
        assert looked == ["busy"]  # nothing new: not again
        await store.set_room_open("old", False, b'{"type":"room_closed"}')
        await watch.tick()
        assert looked == ["busy", "old"]  # the old room moved

    run(go)


def test_one_process_evaluates_a_room_per_period() -> None:
    """Two processes' watches on one store: in a period only the first to mark it evaluates a room; the other
    evaluates it in the next period (the room moved meanwhile)."""
    now = [1_800_000_000.0]
    store = MemoryStore(clock=lambda: now[0])
    looked: list[tuple[str, int | None]] = []

    def watch_of(name: str) -> RoomWatch:
        watch = RoomWatch(Transactions(store, {}, Metrics(), clock=lambda: now[0]), interval_s=60)

        async def evaluate(room_id: str, period: int | None = None) -> list[Any]:
            looked.append((name, period))
            return []

        watch.evaluate = evaluate  # type: ignore[method-assign]
        return watch

    a, b = watch_of("a"), watch_of("b")

    async def go() -> None:
        await store.create_room(RoomRecord("r", "r", "b", 0), "tok-r")
        await store.set_room_open("r", True, b'{"type":"room_opened"}')
        await a.tick()
        await b.tick()
        period = int(now[0] * 1000) // 60_000
        assert looked == [("a", period)]  # b skipped the room: a had it in this period
        now[0] += 60
        await store.set_room_open("r", False, b'{"type":"room_closed"}')
        await b.tick()
        await a.tick()
        assert looked == [("a", period), ("b", period + 1)]

    run(go)


def test_the_level_is_spent_over_the_looks() -> None:
    """alpha_k = alpha 6 / (pi^2 k^2): the first look at 0.61 alpha, decreasing, the sum tending to alpha."""
    levels = [look_alpha(0.01, k) for k in range(1, 200_001)]
    assert levels[0] == pytest.approx(0.01 * 6 / np.pi**2)
    assert all(x > y for x, y in itertools.pairwise(levels))
    assert sum(levels) <= 0.01 and sum(levels) == pytest.approx(0.01, rel=1e-4)
    with pytest.raises(ValueError, match="counted from 1"):
        look_alpha(0.01, 0)
    with pytest.raises(ValueError, match="interval"):
        RoomWatch(Transactions(MemoryStore(), {}, Metrics()), interval_s=0)


def test_the_loop_looks_on_its_timer_and_survives_a_failed_look(caplog: pytest.LogCaptureFixture) -> None:
    class Flaky(MemoryStore):
        calls = 0

        async def list_rooms(self) -> list[RoomRecord]:
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise StoreUnavailable("down")
            return []

    async def go() -> int:
        tx = Transactions(Flaky(), {}, Metrics())
        task = asyncio.create_task(watch_rooms(tx, 0.01))
        for _ in range(500):
            if Flaky.calls >= 3:
                break
            await asyncio.sleep(0.01)
        await tasks.stop(task)
        return Flaky.calls

    with caplog.at_level(logging.WARNING, logger="cat_engine.server"):
        assert run(go) >= 3  # it went on after the store was down
    assert any("store is unavailable" in r.getMessage() for r in caplog.records)


def test_the_app_runs_the_watch_unless_it_is_off(app_server: Callable[..., AppServer], battery_dir: Path) -> None:
    async def names() -> set[str]:
        return {t.get_name() for t in asyncio.all_tasks()}

    batteries = (battery_dir / "battery.toml",)
    on = app_server(Settings(admin_token=ADMIN, demo_room=False, batteries=batteries, room_watch_s=5))
    off = app_server(Settings(admin_token=ADMIN, demo_room=False, batteries=batteries, room_watch_s=0))
    try:
        assert "room-watch" in on.call(names())
        assert "room-watch" not in off.call(names())
    finally:
        on.stop()
        off.stop()


# --- the setting -------------------------------------------------------------------------------------------------


def test_the_setting_is_read_from_the_environment() -> None:
    assert Settings.from_env({}).room_watch_s == 120.0
    assert Settings.from_env({"CAT_ROOM_WATCH_S": "0"}).room_watch_s == 0.0  # off
    assert Settings.from_env({"CAT_ROOM_WATCH_S": "12.5"}).room_watch_s == 12.5
    for bad in ("-1", "3601", "soon"):
        with pytest.raises(ValueError, match="CAT_ROOM_WATCH_S"):
            Settings.from_env({"CAT_ROOM_WATCH_S": bad})


# --- the console's words -----------------------------------------------------------------------------------------


def test_the_console_says_why_and_with_whom(tmp_path: Path) -> None:
    """proctor_flags.js keeps a room flag's other sessions and says them beside its reason, in both languages."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node not found: run scripts/ensure_node.sh (installs Debian's nodejs)")
    static = (REPO / "tests" / "js" / "static.mjs").as_uri()
    script = tmp_path / "room_flag.mjs"
    script.write_text(
        f"""
import {{load}} from {json.dumps(static)};
const F = await load("proctor_flags.js");
const {{TEXTS}} = await load("proctor_texts.js");
const {{makeT}} = await load("i18n.js");
const raw = {{type: "flag", at_ms: 5, kind: "operator", subtest: null, responses: [], sessions: ["R1-0002", "R1-0003"],
  statistic: {{name: "alternation_share", value: 1, p_value: 1e-12, threshold: 1e-7, n: 30}}}};
const flag = F.normalizeFlag(raw);
const out = {{sessions: flag.sessions, plain: F.normalizeFlag({{kind: "rapid"}})}};
for (const lang of ["id", "en"]) {{
  const t = makeT(TEXTS, lang);
  out[lang] = {{reason: F.reasonText("operator", t), lockstep: F.reasonText("lockstep", t),
    evidence: F.evidenceText(flag, t, () => null)}};
}}
console.log(JSON.stringify(out));
"""
    )
    proc = subprocess.run([node, str(script)], cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["sessions"] == ["R1-0002", "R1-0003"]
    assert "sessions" not in out["plain"]  # a session's own flag is as before
    assert out["id"]["evidence"] == "bersama sesi R1-0002, R1-0003"
    assert out["en"]["evidence"] == "with sessions R1-0002, R1-0003"
    for lang in ("id", "en"):
        assert out[lang]["reason"] and out[lang]["lockstep"] and out[lang]["reason"] != out[lang]["lockstep"]
    assert "kursi lain" in out["id"]["reason"] and "other seats" in out["en"]["reason"]


def test_a_room_flag_is_in_the_detail_after_a_reload() -> None:
    """The detail frame's flags read the audit: a room flag (which leaves the state's own flags as they were) is
    listed with the group's other sessions, after the session's own flags in audit order."""
    from cat_engine.server import audit
    from cat_engine.server.proctor import _audit_flags

    statistic = {"name": "alternation_share", "value": 1.0, "p_value": 1e-9, "threshold": 1e-6, "n": 30}
    entries = [
        ("1-0", b'{"kind":"answer","at_ms":5,"response":1}'),
        ("2-0", audit.room_flag(9, "operator", statistic, ["s2", "s3"])),
    ]
    assert _audit_flags(entries) == [
        {
            "kind": "operator",
            "at_ms": 9,
            "statistic": statistic,
            "subtest": None,
            "responses": [],
            "sessions": ["s2", "s3"],
        }
    ]
