"""Pretest items over the live server: a battery with ``[subtests.pretest]`` tables loads, a candidate sits it over
the WebSocket protocol with the client written from docs/protocol.md (tests/protocol_client.py), the pretest items
come as items like any other, the audit names them, and the results count only the operational items: the profile
is the one the same seed and the same operational answers give on the battery without the pretest tables. The
pretest items a sitting gets are the plan of its pretest key, which the server derives from the session id: a room's
sessions are the consecutive examinees 0, 1, 2, ... of the room's design.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import AppServer, battery_dict, run_bounded, server_on, write_battery
from protocol_client import FORBIDDEN_ITEM_KEYS, AdminApi, CandidateClient, Frame, find_keys
from test_session_pretest import PER_ITEM_S, PRETEST, _pools, _subtests

from cat_engine import session as core
from cat_engine.battery import Battery, load_battery
from cat_engine.options import current_order, shown_position
from cat_engine.session import Phase
from cat_engine.session_pretest import plan, presented_item_id, pretest_key_of
from cat_engine.signing import battery_files
from cat_engine.verify import verify_bundle

ADMIN = "pretest-" + secrets.token_hex(8)
BATTERY = "pretest-test"


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The battery with pretest tables and the same battery (same id, version and pools) without them."""
    directory = tmp_path_factory.mktemp("server-pretest")
    pools = _pools()
    top = {"id": BATTERY, "version": "2026.12"}
    with_path = write_battery(directory, battery_dict(_subtests(True), **top), pools=pools, filename="with.toml")
    plain = write_battery(directory, battery_dict(_subtests(False), **top), pools=pools, filename="without.toml")
    return with_path, plain


@pytest.fixture(params=["memory", "redis"])
def server(
    request: pytest.FixtureRequest, app_server: Callable[..., AppServer], paths: tuple[Path, Path]
) -> Iterator[AppServer]:
    srv = server_on(request, app_server, admin_token=ADMIN, demo_room=False, batteries=(paths[0],))
    yield srv
    srv.stop()


def choose(frame: Frame) -> int:
    """The position a candidate picks: a fixed function of the item id."""
    return zlib.crc32(frame["item"]["id"].encode()) % len(frame["item"]["options"])


async def sit(srv: AppServer) -> tuple[str, str, Frame, list[Frame]]:
    """One candidate sits the battery to the end: room id, session id, the welcome and every item frame."""
    admin = AdminApi(srv.base_url, ADMIN)
    room = await admin.create_room("Ruang uji coba soal", BATTERY)
    (who,) = await admin.register(room["room_id"], [("E1", "Ani")])
    client = CandidateClient(srv.ws_url, who["token"], auto_start=False)
    welcome = await client.connect()
    assert welcome.type == "welcome", welcome.raw
    frame = await client.start()
    items: list[Frame] = []
    while frame.type != "finished":
        assert not find_keys(frame.data, FORBIDDEN_ITEM_KEYS), frame.raw
        assert b"pretest" not in (frame.raw if isinstance(frame.raw, bytes) else frame.raw.encode()).lower()
        if frame.type == "subtest_intro":
            frame = await client.start(frame["subtest"]["index"])
            continue
        assert frame.type == "item", frame.raw
        items.append(frame)
        frame = await client.answer(int(frame["seq"]), choose(frame))
    await client.disconnect()
    return room["room_id"], who["session_id"], welcome, items


def test_a_sitting_with_pretest_items_over_the_protocol(server: AppServer, paths: tuple[Path, Path]) -> None:
    battery, without = load_battery(paths[0]), load_battery(paths[1])
    room_id, session_id, welcome, items = run_bounded(lambda: sit(server))
    admin = AdminApi(server.base_url, ADMIN)

    # the welcome's limits include the pretest items and their time
    listed = welcome["battery"]["subtests"]
    assert [s["items_max"] for s in listed] == [12 + PRETEST["s1"][0], 9 + PRETEST["s2"][0]]
    assert [s["time_limit_s"] for s in listed] == [600 + c * PER_ITEM_S for c, _ in PRETEST.values()]

    # the audit names the pretest items; the candidate saw them as items like any other
    audit = run_bounded(lambda: admin.audit(session_id))
    presented = {e["seq"]: e for e in audit if e["kind"] == "presented"}
    assert sorted(presented) == [int(f["seq"]) for f in items]
    pretest_ids = {it.id for sub in battery.subtests if sub.pretest for it in sub.pretest.pool.items}
    for f in items:
        entry = presented[int(f["seq"])]
        assert f["item"]["id"] == entry["item_id"]
        assert (entry.get("pretest") is True) == (entry["item_id"] in pretest_ids)
        assert {"theta", "se"} <= set(entry)
    assert len({frozenset(f.data) for f in items}) == 1 and len({frozenset(f["item"]) for f in items}) == 1
    for index in range(2):  # the progress counts every item of the subtest, pretest items included
        answered = [f["progress"]["answered"] for f in items if f["subtest"]["index"] == index]
        assert answered == list(range(len(answered)))
    pretest_by_subtest = {
        sub.id: sum(1 for e in presented.values() if e["subtest"] == sub.id and e.get("pretest"))
        for sub in battery.subtests
    }
    assert pretest_by_subtest == {sid: count for sid, (count, _) in PRETEST.items()}
    applied = [e for e in audit if e["kind"] == "answer" and "option" in e]
    assert len(applied) == len(items)

    # the result counts the operational items only, and is the battery without pretest items' on the same answers
    rows = [r for r in run_bounded(lambda: admin.results(room_id)) if r["session_id"] == session_id]
    response = run_bounded(lambda: admin.request("GET", f"/api/rooms/{room_id}/evidence"))
    assert response.status == 200, response.body[:300]
    bundle = orjson.loads(response.body)
    (exported,) = bundle["sessions"]
    theirs = orjson.loads(exported["result"])["profile"]["subtests"]

    # the pretest items given are the plan of the session id's pretest key: examinee 0, the room's first session
    key = pretest_key_of(session_id)
    assert key is not None and key[1] == 0
    for index, sub in enumerate(battery.subtests):
        schedule = plan(battery, index, int(exported["seed"]), key)
        assert schedule is not None and sub.pretest is not None
        given = [e["item_id"] for _, e in sorted(presented.items()) if e["subtest"] == sub.id and e.get("pretest")]
        assert given == [sub.pretest.pool.items[i].id for i in schedule[0]]  # every slot is reached here
    answers = [e for e in applied if not presented[e["seq"]].get("pretest")]
    mine = replay_operational(without, int(exported["seed"]), answers, presented)
    for row_mine, row_theirs, row in zip(mine["subtests"], theirs, rows, strict=True):
        sid = row_mine["subtest_id"]
        operational = sum(1 for e in presented.values() if e["subtest"] == sid) - pretest_by_subtest[sid]
        assert row_theirs["items_administered"] == row["items"] == operational
        assert (row["subtest"], row["theta"]) == (sid, row_theirs["theta"])
        for name in ("theta", "se", "level", "level_probability", "scaled_score", "items_administered", "stop_reason"):
            assert row_mine[name] == row_theirs[name], name

    # and the audit replays (cat-verify's check)
    report = verify_bundle(bundle, battery, battery_files(battery))
    assert report.ok, report.to_dict()


def test_a_rooms_sessions_are_consecutive_examinees_of_its_design(server: AppServer) -> None:
    """The store numbers a room's sessions from 1 over all its registrations, so their pretest keys are examinees
    0, 1, 2, ... of one design seed, which the cyclic design needs for its counts within one; another room has
    another seed."""
    admin = AdminApi(server.base_url, ADMIN)

    async def register() -> list[list[str]]:
        rooms = []
        for _ in range(2):
            room = await admin.create_room("Ruang uji coba soal", BATTERY)
            first = await admin.register(room["room_id"], [("E1", "Ani"), ("E2", "Budi"), ("E3", "Citra")])
            second = await admin.register(room["room_id"], [("E4", "Dewi"), ("E5", "Eko")])
            rooms.append([who["session_id"] for who in (*first, *second)])
        return rooms

    rooms = run_bounded(register)
    seeds = []
    for ids in rooms:
        keys = [pretest_key_of(sid) for sid in ids]
        assert all(k is not None for k in keys), ids
        assert [k[1] for k in keys if k is not None] == list(range(5))
        assert len({k[0] for k in keys if k is not None}) == 1
        seeds.append(keys[0])
    assert seeds[0] != seeds[1]


def replay_operational(
    battery: Battery, seed: int, answers: list[dict[str, Any]], presented: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    """The operational answers (stored options, in order) applied to a fresh sitting of ``battery`` with ``seed``;
    each item it presents must be the one the server presented; the profile as a dict."""
    s = core.new_session(battery, seed)
    s, _ = core.start(battery, s, 0)
    s, _ = core.start(battery, s, 0)
    t = 0
    for entry in answers:
        while s.phase is Phase.INTRO:
            s, _ = core.start(battery, s, t)
        assert presented_item_id(battery, s) == presented[entry["seq"]]["item_id"]
        t += 1000
        s, _ = core.answer(battery, s, s.seq, shown_position(current_order(battery, s), entry["option"]), t)
    assert s.phase is Phase.FINISHED
    return core.profile(battery, s).to_dict()
