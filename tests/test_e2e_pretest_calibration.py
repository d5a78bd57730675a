"""Issue 19 end to end over the live server: pretest items seeded into live sittings, exported, calibrated, promoted
into a new pool version, and that version served.

1. A battery with ``[subtests.pretest]`` tables (tests/test_session_pretest.py's pools: s1 3PL with 7 pretest items,
   3 per sitting; s2 mixed with 3 pretest items, 2 per sitting) runs on the app; 160 candidates sit it over the
   WebSocket protocol (tests/protocol_client.py), each answering every item, pretest ones included, by the IRT model
   at a true ability drawn from N(0, 1) (the load generator's simulated examinee, which finds an item in the
   subtest's operational or pretest pool).
2. The room's responses export (``GET /api/rooms/{id}/responses``) holds every applied answer, the pretest ones
   marked, and the results count the operational answers only.
3. ``cat-calibrate gather`` and ``cat-calibrate run`` calibrate s1's pretest items with its operational items fixed
   (a promotion rule loosened to this sample's size, about 69 answers per item: 30 answers, any SE, no fit rule;
   c held at the pool's value, which 69 answers hardly identify) and write a new operational
   pool version with the promoted items and their provenance, and a new pretest pool version with the rest.
4. A battery on the two new versions loads on a fresh app, and a sitting there is served from them (its result
   names the new versions).
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from conftest import AppServer, battery_dict, run_bounded, write_battery
from protocol_client import AdminApi, CandidateClient
from test_session_pretest import _pools, _subtests

from cat_engine.battery import load_battery
from cat_engine.calibrate_cli import main as calibrate_main
from cat_engine.pool import load_pool
from cat_engine.server.settings import Settings
from load_tests.examinee import ItemBank, SimulatedExaminee

ADMIN = "calib-" + secrets.token_hex(8)
BATTERY = "pretest-e2e"
SITTINGS = 160


async def sit_room(srv: AppServer, battery_path: Path, sittings: int, seed: int) -> str:
    """``sittings`` candidates of one room sit the battery to the end (at most 20 at once); the room id."""
    bank = ItemBank(load_battery(battery_path))
    admin = AdminApi(srv.base_url, ADMIN)
    room = await admin.create_room("Ruang uji coba soal", BATTERY)
    people = await admin.register(room["room_id"], [(f"E{i:04d}", f"Peserta {i}") for i in range(sittings)])
    rng = np.random.default_rng(seed)
    gate = asyncio.Semaphore(20)

    async def one(token: str, theta: float, child: int) -> None:
        who = SimulatedExaminee(theta, bank, np.random.default_rng([seed, child]))
        async with gate:
            client = CandidateClient(srv.ws_url, token, auto_start=False)
            frame = await client.connect()
            assert frame.type == "welcome", frame.raw
            frame = await client.start()
            while frame.type != "finished":
                if frame.type == "subtest_intro":
                    frame = await client.start(frame["subtest"]["index"])
                    continue
                assert frame.type == "item", frame.raw
                item = frame["item"]
                position = who.respond(frame["subtest"]["id"], item["id"], item["options"])
                frame = await client.answer(int(frame["seq"]), position)
            await client.disconnect()

    thetas = rng.normal(size=sittings)
    await asyncio.gather(*(one(p["token"], float(t), k) for k, (p, t) in enumerate(zip(people, thetas, strict=True))))
    return str(room["room_id"])


def test_seeded_live_exported_calibrated_promoted_and_served(
    app_server: Callable[..., AppServer], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    top = {"id": BATTERY, "version": "2026.12"}
    (tmp_path / "v1").mkdir()
    battery_path = write_battery(tmp_path / "v1", battery_dict(_subtests(True), **top), pools=_pools())
    battery = load_battery(battery_path)
    srv = app_server(Settings(admin_token=ADMIN, demo_room=False, batteries=(battery_path,)))
    try:
        room_id = run_bounded(lambda: sit_room(srv, battery_path, SITTINGS, seed=19), timeout=600)
        admin = AdminApi(srv.base_url, ADMIN)
        exported = run_bounded(lambda: admin.request("GET", f"/api/rooms/{room_id}/responses"))
        results = run_bounded(lambda: admin.results(room_id))
    finally:
        srv.stop()
    assert exported.status == 200, exported.body[:300]
    rows = [orjson.loads(line) for line in exported.body.splitlines() if line.strip()]

    # every applied answer is a row; pretest rows are s1's and s2's pretest items, 3 and 2 per sitting
    pretest_ids = {sub.id: {it.id for it in sub.pretest.pool.items} for sub in battery.subtests if sub.pretest}
    assert len({r["session_id"] for r in rows}) == SITTINGS
    for sub_id, count in (("s1", 3), ("s2", 2)):
        mine = [r for r in rows if r["subtest_id"] == sub_id and r["pretest"]]
        assert len(mine) == count * SITTINGS
        assert {r["item_id"] for r in mine} <= pretest_ids[sub_id]
    assert all(r["item_id"] not in pretest_ids[r["subtest_id"]] for r in rows if not r["pretest"])
    # the results count the operational answers only
    operational = {(r["session_id"], r["subtest_id"]) for r in rows if not r["pretest"]}
    counted = {(r["session_id"], r["subtest"]): r["items"] for r in results}
    for key in operational:
        assert counted[key] == sum(1 for r in rows if (r["session_id"], r["subtest_id"]) == key and not r["pretest"])

    # gather, then calibrate s1's pretest items and promote them into a new pool version
    export_file = tmp_path / f"{room_id}.jsonl"
    export_file.write_bytes(exported.body)
    data = tmp_path / "data.jsonl"
    assert calibrate_main(["gather", str(export_file), "--out", str(data), "--json"]) == 0
    out_dir = tmp_path / "calibrated"
    loose = ["--min-responses", "30", "--max-se-a", "100", "--max-se-b", "100", "--fit-alpha", "0", "--fix-c"]
    argv = ["run", str(data), "--battery", str(battery_path), "--subtest", "s1", "--out-dir", str(out_dir), *loose]
    capsys.readouterr()
    assert calibrate_main([*argv, "--json"]) == 0
    report = orjson.loads((out_dir / "report.json").read_bytes())
    by_id = {it["id"]: it for it in report["items"]}
    assert set(by_id) == pretest_ids["s1"]
    truth = battery.subtests[0].pretest
    assert truth is not None
    checked = 0
    for item_id, it in by_id.items():  # the simulees answered by the pretest pool's parameters: the estimates near
        index = truth.pool.index_of(item_id)
        assert it["n"] >= 30
        if not it["converged"]:  # run to a bound (70 answers hardly identify a 3PL): never promoted
            assert not it["promoted"] and "converged" in it["reasons"]
            continue
        if abs(float(truth.pool.params.b[index])) > 1.5:  # answered right (or wrong) by nearly all: b barely known
            continue
        checked += 1
        assert abs(it["estimate"]["b"] - float(truth.pool.params.b[index])) < 4 * it["se"]["b"] + 0.1, it
    assert checked >= 3
    promoted = {i for i, it in by_id.items() if it["promoted"]}
    assert promoted, report
    written = report["written"]
    new_op = load_pool(written["operational"]["path"])
    assert [it.id for it in new_op.items[battery.subtests[0].pool.size :]] == sorted(promoted)
    assert set(new_op.calibration["online_calibration"]["items"]) == promoted
    left = pretest_ids["s1"] - promoted
    if left:
        assert {it.id for it in load_pool(written["pretest"]["path"]).items} == left

    # the new versions, served: a battery on them loads on a fresh app and a sitting there names them
    v2 = tmp_path / "v2"
    shutil.copytree(tmp_path / "v1", v2)
    shutil.copy(written["operational"]["path"], v2 / "s1.json")
    subs = _subtests(True)
    if left:  # the items not promoted stay in pretest, at most 3 a sitting
        shutil.copy(written["pretest"]["path"], v2 / "s1_pre.json")
        subs[0]["pretest"]["count"] = min(3, len(left))
    else:  # every pretest item promoted: s1 keeps no pretest table
        del subs[0]["pretest"]
    battery_v2 = write_battery(v2, battery_dict(subs, id=BATTERY, version="2026.13"), filename="battery.toml")
    assert load_battery(battery_v2).subtests[0].pool.pool_version == new_op.pool_version
    srv = app_server(Settings(admin_token=ADMIN, demo_room=False, batteries=(battery_v2,)))
    try:
        room_id = run_bounded(lambda: sit_room(srv, battery_v2, 1, seed=20), timeout=120)
        (row, *_) = run_bounded(lambda: AdminApi(srv.base_url, ADMIN).results(room_id))
    finally:
        srv.stop()
    result: dict[str, Any] = row
    assert any(new_op.pool_version in str(v) for v in result.values()), result
