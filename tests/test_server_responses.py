"""The responses export of a room (``GET /api/rooms/{room_id}/responses``, cat_engine/server/responses.py) over the
live server (the real app under uvicorn, memory store and a private Redis, driven by the protocol client): one row
per applied answer with what was answered (the item, the stored option the position chose, its score), the order,
the estimates around it and the subtest's result; the CSV holds the same rows as the JSON lines; admins only; an
unknown room is 404. The rows of a hand-made audit check the pretest rule and old audits without estimates.
"""

from __future__ import annotations

import csv
import io
import itertools
import secrets
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import pytest
from calibration_sim import pretest_pool
from conftest import AppServer, battery_dict, run_bounded, server_on, subtest_dict, write_battery
from protocol_client import AdminApi, CandidateClient

from cat_engine import codec
from cat_engine.battery import Battery, load_battery
from cat_engine.server.responses import COLUMNS, session_rows
from cat_engine.server.settings import Settings
from cat_engine.server.store import CandidateRecord, SessionRecord
from cat_engine.session import new_session

ADMIN = "responses-" + secrets.token_hex(8)
BATTERY = "responses-test"


@pytest.fixture(scope="module")
def battery_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two fixed-length subtests (6 and 4 items) on the conftest's random 3PL pools; s1 seeds 2 pretest items
    (of a pool of 4 with a GPCM item) after the third operational answer."""
    pretest = {"pool": "s1_pretest.json", "count": 2, "after": 3}
    subs = [
        subtest_dict("s1", max_items=6, min_items=6, se_target=None, pretest=pretest),
        subtest_dict("s2", max_items=4, min_items=4, se_target=None),
    ]
    directory = tmp_path_factory.mktemp("responses")
    truth: list[tuple[str, dict[str, Any]]] = [("2PL", {"a": 1.0, "b": 0.0}), ("GPCM", {"a": 1.0, "b": [-1, 0, 1]})] * 2
    pools = {"s1_pretest.json": pretest_pool(truth, pool_id="s1-pretest")}
    write_battery(directory, battery_dict(subs, id=BATTERY, version="2026.4"), pools=pools)
    return directory


@pytest.fixture(scope="module")
def battery(battery_dir: Path) -> Battery:
    return load_battery(battery_dir / "battery.toml")


@pytest.fixture(params=["memory", "redis"])
def server(
    request: pytest.FixtureRequest, app_server: Callable[..., AppServer], battery_dir: Path
) -> Iterator[AppServer]:
    srv = server_on(request, app_server, admin_token=ADMIN, demo_room=False, batteries=(battery_dir / "battery.toml",))
    yield srv
    srv.stop()


run = run_bounded


async def sitting(srv: AppServer) -> dict[str, Any]:
    """Ani answers every item (position = answer number mod 3) to the end; Bayu answers three items of s1 and
    leaves. The room id, session ids and each one's ``(seq, position)`` answers."""
    admin = AdminApi(srv.base_url, ADMIN)
    room = await admin.create_room("Ruang respons", BATTERY)
    people = await admin.register(room["room_id"], [("E1", "Ani"), ("E2", "Bayu")])
    sent: dict[str, list[tuple[int, int]]] = {}
    for person, limit in zip(people, (100, 3), strict=True):
        client = CandidateClient(srv.ws_url, person["token"])
        frame = await client.connect()
        mine = sent.setdefault(person["session_id"], [])
        while frame.type == "item" and len(mine) < limit:
            position = len(mine) % 3
            mine.append((int(frame["seq"]), position))
            frame = await client.answer(int(frame["seq"]), position)
        await client.disconnect()
    return {"room_id": room["room_id"], "sessions": [p["session_id"] for p in people], "sent": sent}


def _csv_value(column: str, text: str) -> Any:
    """A CSV cell back as the JSON value it came from (empty: null)."""
    if text == "":
        return None
    if column == "pretest":
        return text == "True"
    if column in ("position", "option", "category", "response_ms", "at_ms"):
        return int(text)
    if column.startswith(("theta_", "se_", "final_")):
        return float(text)
    return text


def test_rows_are_the_applied_answers_with_their_scores_and_estimates(server: AppServer, battery: Battery) -> None:
    sat = run(lambda: sitting(server))
    room_id, (ani, bayu) = sat["room_id"], sat["sessions"]
    admin = AdminApi(server.base_url, ADMIN)
    reply = run(lambda: admin.request("GET", f"/api/rooms/{room_id}/responses"))
    assert reply.status == 200 and reply.headers["content-type"].startswith("application/x-ndjson")
    assert f'filename="responses-{room_id}.jsonl"' in reply.headers["content-disposition"]
    rows = [orjson.loads(line) for line in reply.body.splitlines()]
    assert all(list(row) == list(COLUMNS) for row in rows)
    assert [r["session_id"] for r in rows] == [ani] * 12 + [bayu] * 3
    results = run(lambda: admin.results(room_id))
    assert {r["session_id"] for r in results} == {ani}  # Bayu's session is not over

    for sid in (ani, bayu):
        mine = [r for r in rows if r["session_id"] == sid]
        audit = run(partial(admin.audit, sid))
        shown = {e["seq"]: e for e in audit if e["kind"] == "presented"}
        for row, (seq, position) in zip(mine, sat["sent"][sid], strict=True):
            entry = shown[seq]
            sub = next(s for s in battery.subtests if s.id == entry["subtest"])
            pretest = entry.get("pretest") is True
            pool = sub.pretest.pool if pretest and sub.pretest is not None else sub.pool
            k = pool.index_of(entry["item_id"])
            assert (row["subtest_id"], row["item_id"], row["pretest"]) == (sub.id, entry["item_id"], pretest)
            assert row["option"] == entry["option_order"][position]  # the stored option the position showed
            assert row["category"] == int(pool.scoring[k, row["option"]])
            assert (row["pool_id"], row["pool_version"]) == (pool.pool_id, pool.pool_version)
            assert (row["battery_id"], row["battery_version"], row["room_id"]) == (BATTERY, "2026.4", room_id)
            assert row["response_ms"] >= 0
            assert row["theta_before"] == entry.get("theta") and row["se_before"] == entry.get("se")
            if pretest:  # a pretest answer does not move the estimate
                assert (row["theta_after"], row["se_after"]) == (row["theta_before"], row["se_before"])
            if row["position"] > 1:  # the operational estimate once the subtest has an answer
                assert row["theta_before"] is not None and row["se_before"] is not None
        # positions count 1.. within each subtest
        for sub_id in ("s1", "s2"):
            assert [r["position"] for r in mine if r["subtest_id"] == sub_id] == list(
                range(1, 1 + sum(r["subtest_id"] == sub_id for r in mine))
            )

    ani_rows = [r for r in rows if r["session_id"] == ani]
    by_subtest = {r["subtest"]: (r["theta"], r["se"]) for r in results}
    assert set(by_subtest) == {"s1", "s2"}
    for sub_id, (theta, se) in by_subtest.items():
        sub_rows = [r for r in ani_rows if r["subtest_id"] == sub_id]
        assert all((r["final_theta"], r["final_se"]) == (theta, se) for r in sub_rows)
        assert (sub_rows[-1]["theta_after"], sub_rows[-1]["se_after"]) == (theta, se)  # the last: the result
        for row, following in itertools.pairwise(sub_rows):
            if not row["pretest"]:
                assert (row["theta_after"], row["se_after"]) == (following["theta_before"], following["se_before"])
    assert sum(r["pretest"] for r in ani_rows) == 2 and all(r["subtest_id"] == "s1" for r in ani_rows if r["pretest"])
    assert [r["position"] for r in ani_rows if r["subtest_id"] == "s1"] == list(range(1, 9))
    assert all(r["final_theta"] is None and r["final_se"] is None for r in rows if r["session_id"] == bayu)

    text = run(lambda: admin.request("GET", f"/api/rooms/{room_id}/responses?format=csv"))
    assert text.status == 200 and text.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(text.text)))
    assert table[0] == list(COLUMNS)
    assert [{c: _csv_value(c, v) for c, v in zip(COLUMNS, line, strict=True)} for line in table[1:]] == rows


def test_the_export_is_for_admins_only_and_names_a_room(
    app_server: Callable[..., AppServer], battery_dir: Path
) -> None:
    srv = app_server(Settings(admin_token=ADMIN, demo_room=False, batteries=(battery_dir / "battery.toml",)))

    async def go() -> None:
        admin = AdminApi(srv.base_url, ADMIN)
        room = await admin.create_room("Ruang 2", BATTERY)
        path = f"/api/rooms/{room['room_id']}/responses"
        assert (await admin.request("GET", path, token=None)).status == 401
        assert (await admin.request("GET", path, token="wrong")).status == 401
        proctor = await admin.request("GET", path, token=room["proctor_token"])
        assert (proctor.status, proctor.json()["error"]["code"]) == (401, "unauthorized")
        bad = await admin.request("GET", path + "?format=xlsx")
        assert (bad.status, bad.json()["error"]["code"]) == (400, "bad_request")
        assert (await admin.request("GET", "/api/rooms/ZZZZZZ/responses")).status == 404
        assert (await admin.request("GET", "/api/rooms/nope!/responses")).status == 404
        empty = await admin.request("GET", path)
        assert (empty.status, empty.body) == (200, b"")
        header = await admin.request("GET", path + "?format=csv")
        assert header.text.splitlines() == [",".join(COLUMNS)]

    run(go)


def _audit(battery: Battery, with_estimates: bool) -> list[bytes]:
    """A hand-made audit of subtest s1: operational items at seq 1 and 3, a pretest item at seq 2 (with an id its
    pretest pool lacks), then s1 still running at seq 4."""
    pool = battery.subtests[0].pool
    ids = [pool.items[k].id for k in range(4)]
    out = []
    for seq, item_id in enumerate(ids, start=1):
        entry: dict[str, Any] = {"kind": "presented", "at_ms": 1000 * seq, "seq": seq, "subtest": "s1"}
        entry |= {"item_id": item_id, "option_order": [0, 1, 2, 3]}
        if with_estimates:
            entry |= {"theta": 0.1 * seq, "se": 1.0 - 0.1 * seq}
        if seq == 2:
            entry["pretest"] = True
        out.append(orjson.dumps(entry))
        if seq < 4:
            answer = {"kind": "answer", "at_ms": 1000 * seq + 500, "conn": "c", "seq": seq, "response": 1}
            out.append(orjson.dumps(answer | {"item_id": item_id, "response_ms": 400, "option": 1}))
    return out


@pytest.mark.parametrize("with_estimates", [True, False])
def test_pretest_rows_keep_the_estimate_and_old_audits_give_nulls(battery: Battery, with_estimates: bool) -> None:
    state = new_session(battery, 7)
    record = SessionRecord(CandidateRecord("R1-0001", "E1", "Ani", "x"), codec.encode(state), 1, "")
    rows = session_rows("R1", battery, record, _audit(battery, with_estimates), None)
    assert [(r["position"], r["pretest"]) for r in rows] == [(1, False), (2, True), (3, False)]
    assert rows[1]["pool_id"] == "s1-pretest" and rows[1]["category"] is None  # not an item of that pool
    assert rows[0]["category"] == int(battery.subtests[0].pool.scoring[0, 1])
    assert all(r["final_theta"] is None for r in rows)  # s1 is still running
    if not with_estimates:
        assert all(r[c] is None for r in rows for c in ("theta_before", "se_before", "theta_after", "se_after"))
        return
    before = [(r["theta_before"], r["se_before"]) for r in rows]
    after = [(r["theta_after"], r["se_after"]) for r in rows]
    assert before == [(0.1, 0.9), (0.2, 0.8), pytest.approx((0.3, 0.7))]
    # the operational answers move to the next item's estimate; the pretest answer keeps its own
    assert after[0] == (0.2, 0.8) and after[1] == before[1] and after[2] == pytest.approx((0.4, 0.6))
