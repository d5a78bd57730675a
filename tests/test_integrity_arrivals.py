"""The answer arrivals a timing flag of the integrity report carries (``arrival_ms``, cat_engine/server/integrity.py,
docs/protocol.md "Integrity report"): what the admin page's timing plot draws. Each flag lists, for each of its
sessions in the same order, the arrival times the room timing read; the CSV stays as it was."""

from __future__ import annotations

import csv
import io

import numpy as np

from cat_engine.server.integrity import CSV_COLUMNS, SeatAnswers, report_csv, timing_report


def _operator_room(seed: int = 3) -> list[SeatAnswers]:
    """Three seats answered in turn by one person (lognormal think times around 8 s), 30 answers each, beside one seat
    answering on its own (around 30 s)."""
    rng = np.random.default_rng(seed)
    t0 = 1_800_000_000_000
    arrival: list[list[int]] = [[] for _ in range(4)]
    response: list[list[int]] = [[] for _ in range(4)]
    now, last = float(t0), [t0] * 3
    for k in range(3 * 30):
        seat = k % 3
        now += float(rng.lognormal(np.log(8000), 0.5))
        arrival[seat].append(int(now))
        response[seat].append(int(now) - last[seat])
        last[seat] = int(now)
    now = float(t0)
    for _ in range(30):
        took = float(rng.lognormal(np.log(30_000), 0.4))
        now += took
        arrival[3].append(int(now))
        response[3].append(int(took))
    return [SeatAnswers(f"R7K2QX-000{i + 1}", tuple(arrival[i]), tuple(response[i])) for i in range(4)]


def test_a_timing_flag_carries_its_sessions_arrivals_in_their_order() -> None:
    seats = _operator_room()
    report = timing_report(seats)
    flags = [f for f in report["flags"] if f["kind"] == "operator"]
    assert flags, report
    by_id = {s.session_id: s for s in seats}
    for flag in report["flags"]:
        assert len(flag["arrival_ms"]) == len(flag["sessions"])
        for session_id, arrivals in zip(flag["sessions"], flag["arrival_ms"], strict=True):
            assert arrivals == list(by_id[session_id].arrival_ms)
            assert all(isinstance(ms, int) for ms in arrivals)
    # the seat answering on its own is in no flag, so its arrivals are nowhere in the report
    assert all("R7K2QX-0004" not in f["sessions"] for f in report["flags"])


def test_no_flag_no_arrivals_and_the_csv_is_unchanged() -> None:
    seats = _operator_room()
    assert timing_report(seats[3:]) == {"seats": 1, "eligible_seats": 0, "thresholds": {}, "flags": []}
    timing = timing_report(seats)
    sessions = [
        {"session_id": s.session_id, "employee_id": f"E{i}", "name": f"N{i}", "phase": "active", "look": "interim",
         "flags": [], "statistics": []}
        for i, s in enumerate(seats)
    ]  # fmt: skip
    text = report_csv({"sessions": sessions, "room_timing": timing})
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert all("arrival" not in column for column in CSV_COLUMNS)
    operator = next(f for f in timing["flags"] if f["kind"] == "operator")
    first = operator["sessions"][0]
    room_flags = {r["session_id"]: r["room_flags"] for r in rows}[first]
    assert room_flags.startswith("operator ") and str(operator["arrival_ms"][0][0]) not in room_flags
