"""Integrity flags where people act, over the live server (the real app under uvicorn, memory store and a private
Redis, driven by the protocol client): a candidate who answers every item at once is flagged ``rapid`` at the
answer where the count crosses its threshold, as a ``flag`` room event for the proctors (with the session's summary
listing it) and a ``flag`` audit entry that ``cat-verify`` replays; the room's integrity report
(``GET /api/rooms/{room_id}/integrity``, cat_engine/server/integrity.py) in JSON and CSV, for admins only; and the
report's room timing on answers laid out as one operator serving four seats beside two independent ones.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from conftest import AppServer, battery_dict, run_bounded, server_on, subtest_dict, write_battery
from protocol_client import AdminApi, CandidateClient, ProctorClient
from test_session_integrity import timed_pool

from cat_engine.battery import Battery, load_battery
from cat_engine.server.integrity import CSV_COLUMNS, seat_answers, timing_report
from cat_engine.server.settings import Settings
from cat_engine.signing import battery_files
from cat_engine.verify import verify_bundle

ADMIN = "integrity-" + secrets.token_hex(8)
BATTERY = "integrity-test"
STATISTIC_KEYS = {"name", "value", "p_value", "threshold", "n"}


@pytest.fixture(scope="module")
def battery_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two fixed subtests of 8 and 6 timed items (median times 20 to 60 s): answers a test client sends at once are
    all far below the rapid thresholds (2 to 7 s)."""
    subs = [
        subtest_dict("s1", max_items=8, min_items=8, se_target=None, time_limit_s=600),
        subtest_dict("s2", max_items=6, min_items=6, se_target=None, time_limit_s=600),
    ]
    directory = tmp_path_factory.mktemp("integrity")
    pools = {"s1.json": timed_pool(40, 21, "s1"), "s2.json": timed_pool(40, 22, "s2")}
    write_battery(directory, battery_dict(subs, id=BATTERY, version="2026.9"), pools=pools)
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


async def rapid_room(srv: AppServer) -> dict[str, Any]:
    """A room of two: Ani answers every item as soon as it comes, to the end; Bayu never comes. What the proctor
    received, the room and session ids."""
    admin = AdminApi(srv.base_url, ADMIN)
    room = await admin.create_room("Ruang integritas", BATTERY)
    people = await admin.register(room["room_id"], [("E1", "Ani"), ("E2", "Bayu")])
    proctor = ProctorClient(srv.ws_url, room["proctor_token"])
    await proctor.connect()
    ani = CandidateClient(srv.ws_url, people[0]["token"], device="komputer-01")
    frame = await ani.connect()
    for _ in range(20):
        if frame.type != "item":
            break
        frame = await ani.answer(int(frame["seq"]), 0)
    assert frame.type == "finished", frame.raw
    await ani.disconnect()
    ani_id = people[0]["session_id"]
    await proctor.wait_event(lambda e: e["session_id"] == ani_id and e["event"]["type"] == "finished")
    await proctor.drain()
    await proctor.disconnect()
    return {"room_id": room["room_id"], "sessions": [p["session_id"] for p in people], "events": proctor.events}


def test_a_rapid_guesser_is_flagged_to_the_proctors_in_the_audit_and_the_report(
    server: AppServer, battery: Battery
) -> None:
    sat = run(lambda: rapid_room(server))
    room_id, (ani, bayu) = sat["room_id"], sat["sessions"]
    mine = [e for e in sat["events"] if e["session_id"] == ani]
    flags = [e for e in mine if e["event"]["type"] == "flag"]
    assert [f["event"]["kind"] for f in flags][:1] == ["rapid"]
    assert len([f for f in flags if f["event"]["kind"] == "rapid"]) == 1  # raised once
    flag = flags[0]
    event = flag["event"]
    # the documented shape (docs/protocol.md, "Integrity flags")
    assert set(event) == {"type", "at_ms", "kind", "statistic", "subtest", "responses"}
    assert set(event["statistic"]) == STATISTIC_KEYS
    assert event["statistic"]["name"] == "rapid_guessing" and event["subtest"] is None
    assert event["statistic"]["p_value"] <= event["statistic"]["threshold"] == 0.002
    # every answer was rapid: the flag comes at the 5th, the first look (min_rapid), on all five
    k = mine.index(flag)
    answered = [e for e in mine[:k] if e["event"]["type"] == "answered"]
    assert len(answered) == 5 and answered[-1]["event"]["at_ms"] == event["at_ms"]
    assert (event["statistic"]["value"], event["statistic"]["n"]) == (5, 5)
    assert event["responses"] == [[0, p] for p in range(5)]
    # the last event of the change carries the summary, which lists the flag from then on
    assert flag["view"]["flags"] == ["rapid"]
    assert all(e["view"]["flags"] == [] for e in mine[:k] if "view" in e)
    final_view = [e for e in mine if "view" in e][-1]["view"]
    assert final_view["flags"][0] == "rapid" and final_view["phase"] == "finished"

    admin = AdminApi(server.base_url, ADMIN)
    entries = run(lambda: admin.audit(ani))
    audited = [e for e in entries if e["kind"] == "flag"]
    assert [e["flag"] for e in audited] == final_view["flags"]
    assert {k: v for k, v in audited[0].items() if k != "id"} == {
        "kind": "flag",
        "at_ms": event["at_ms"],
        "flag": "rapid",
        "statistic": event["statistic"],
        "subtest": None,
        "responses": event["responses"],
    }

    rows = run(lambda: admin.results(room_id))
    assert {r["flags"] for r in rows} == {";".join(final_view["flags"])}
    assert all(r["p_rapid"] <= 0.002 for r in rows)

    # the report
    report = run(lambda: admin.request("GET", f"/api/rooms/{room_id}/integrity")).json()
    assert (report["room_id"], report["battery"]) == (room_id, {"id": BATTERY, "version": "2026.9"})
    assert [s["session_id"] for s in report["sessions"]] == [ani, bayu]
    first, absent = report["sessions"]
    assert (first["employee_id"], first["name"], first["phase"], first["look"]) == ("E1", "Ani", "finished", "final")
    assert first["flags"] == final_view["flags"]
    stats = {s["name"]: s for s in first["statistics"]}
    assert stats["rapid_guessing"]["flagged"] and stats["rapid_guessing"]["value"] == 14  # every one of 14 answers
    assert {"lz_star", "speed_change"} <= set(stats)  # the final look: misfit too
    assert (absent["phase"], absent["look"], absent["flags"], absent["statistics"]) == ("ready", "interim", [], [])
    assert report["room_timing"] == {"seats": 1, "eligible_seats": 0, "thresholds": {}, "flags": []}

    reply = run(lambda: admin.request("GET", f"/api/rooms/{room_id}/integrity?format=csv"))
    assert reply.status == 200 and reply.headers["content-type"].startswith("text/csv")
    assert f'filename="integrity-{room_id}.csv"' in reply.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(reply.text)))
    assert tuple(table[0]) == CSV_COLUMNS
    assert [r["session_id"] for r in table] == [ani, bayu]
    assert table[0]["flags"] == ";".join(first["flags"]) and table[0]["room_flags"] == ""
    assert float(table[0]["rapid"]) == 14 and float(table[0]["p_rapid"]) == stats["rapid_guessing"]["p_value"]
    assert table[1]["flags"] == "" and table[1]["p_rapid"] == ""

    # the evidence bundle: the flags replay
    bundle = orjson.loads(run(lambda: admin.request("GET", f"/api/rooms/{room_id}/evidence")).body)
    verified = verify_bundle(bundle, battery, battery_files(battery))
    assert verified.ok, verified.to_dict()
    rows_ = bundle["sessions"][0]["audit"]
    k = next(i for i, r in enumerate(rows_) if '"kind":"flag"' in r["entry"])
    entry = orjson.loads(rows_[k]["entry"])
    entry["statistic"]["value"] = 4.0  # a count the answers do not give
    rows_[k]["entry"] = orjson.dumps(entry).decode()
    findings = [(f.step, f.code) for f in verify_bundle(bundle, battery, battery_files(battery)).sessions[0].findings]
    assert (k + 1, "flag") in findings


def test_the_report_is_for_admins_only(
    app_server: Callable[..., AppServer], battery_dir: Path, battery: Battery
) -> None:
    srv = app_server(Settings(admin_token=ADMIN, demo_room=False, batteries=(battery_dir / "battery.toml",)))

    async def go() -> None:
        admin = AdminApi(srv.base_url, ADMIN)
        room = await admin.create_room("Ruang 2", BATTERY)
        path = f"/api/rooms/{room['room_id']}/integrity"
        assert (await admin.request("GET", path, token=None)).status == 401
        assert (await admin.request("GET", path, token="wrong")).status == 401
        proctor = await admin.request("GET", path, token=room["proctor_token"])
        assert (proctor.status, proctor.json()["error"]["code"]) == (401, "unauthorized")
        bad = await admin.request("GET", path + "?format=xlsx")
        assert (bad.status, bad.json()["error"]["code"]) == (400, "bad_request")
        assert (await admin.request("GET", "/api/rooms/ZZZZZZ/integrity")).status == 404
        assert (await admin.request("GET", "/api/rooms/nope!/integrity")).status == 404
        empty = (await admin.request("GET", path)).json()
        assert (empty["sessions"], empty["room_timing"]["flags"]) == ([], [])

    run(go)


def _entries(arrival: list[int], response: list[int]) -> list[bytes]:
    out = [orjson.dumps({"kind": "hello", "at_ms": arrival[0] - 60_000, "conn": "c"})]
    for n, (at, took) in enumerate(zip(arrival, response, strict=True), 1):
        out.append(orjson.dumps({"kind": "answer", "at_ms": at, "conn": "c", "seq": n, "response": 0, "option": 0,
                                 "item_id": "x", "response_ms": took}))  # fmt: skip
        if n == 3:  # a resend and a late answer are no applied answers
            out.append(orjson.dumps({"kind": "answer", "at_ms": at + 5, "conn": "c", "seq": n, "response": 0,
                                     "outcome": "duplicate"}))  # fmt: skip
    return out


def test_seat_answers_read_the_applied_answers_in_order() -> None:
    seat = seat_answers("R7K2QX-0001", _entries([1000, 5000, 9000, 8990, 20000], [900, 4000, 4000, 10, 11000]))
    assert seat.response_ms == (900, 4000, 4000, 10, 11000)
    assert seat.arrival_ms == (1000, 5000, 9000, 9000, 20000)  # a clock a few ms behind is taken in order


def test_the_room_timing_names_one_operators_seats_by_session() -> None:
    """Four seats served by one person one answer at a time (think times lognormal around 8 s, round robin: each
    seat's item waits while the three others are answered) beside two seats answering on their own (around 30 s);
    40 answers each. The operator's four sessions are one flag; the others are in none."""
    rng = np.random.default_rng(1)
    t0 = 1_800_000_000_000
    arrival: list[list[int]] = [[] for _ in range(6)]
    response: list[list[int]] = [[] for _ in range(6)]
    now, last = float(t0), [t0] * 4
    for k in range(4 * 40):
        seat = k % 4
        now += float(rng.lognormal(np.log(8000), 0.3))
        arrival[seat].append(int(now))
        response[seat].append(int(now) - last[seat])
        last[seat] = int(now)
    for seat in (4, 5):
        now = float(t0)
        for _ in range(40):
            took = float(rng.lognormal(np.log(30_000), 0.4))
            now += took
            arrival[seat].append(int(now))
            response[seat].append(int(took))
    ids = [f"R7K2QX-000{i + 1}" for i in range(6)]
    seats = [seat_answers(ids[i], _entries(arrival[i], response[i])) for i in range(6)]
    seats.append(seat_answers("R7K2QX-0007", []))  # never answered: takes no part
    report = timing_report(seats)
    assert (report["seats"], report["eligible_seats"]) == (6, 6)
    (flag,) = report["flags"]
    assert (flag["kind"], flag["sessions"]) == ("operator", ids[:4])
    assert flag["p_value"] <= flag["threshold"] and flag["threshold"] in report["thresholds"].values()
    assert timing_report(seats[4:])["flags"] == []
