"""cat_engine.server.rooms: rooms, rosters (JSON rows and CSV) and result rows, over a MemoryStore."""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import random
import re
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest

from cat_engine.battery import Battery, load_battery
from cat_engine.server.auth import ALPHABET
from cat_engine.server.frames import ProctorCommand
from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.metrics import Metrics
from cat_engine.server.rooms import (
    RESULT_COLUMNS,
    RosterError,
    create_room,
    parse_roster_csv,
    register,
    result_rows,
    rows_to_csv,
)
from cat_engine.server.sessions import Sessions
from cat_engine.server.store import DuplicateEmployee

DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"
T = TypeVar("T")


@functools.cache
def demo() -> Battery:
    return load_battery(DEMO)


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


def new_sessions() -> Sessions:
    battery = demo()
    return Sessions(MemoryStore(), {battery.id: battery}, Metrics(), "proc1")


def roster(n: int, start: int = 1) -> list[dict[str, str]]:
    return [{"employee_id": f"19900101202012{i:04d}", "name": f"Peserta {i}"} for i in range(start, start + n)]


async def room_with(sessions: Sessions, rows: list[dict[str, str]]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    room = await create_room(sessions, "Ruang 1", demo().id)
    return room, await register(sessions, room["room_id"], rows)


# --- create_room -------------------------------------------------------------------------------------------------


def test_create_room() -> None:
    async def main() -> None:
        sessions = new_sessions()
        room = await create_room(sessions, "  Ruang 1  ", "cact-demo")
        assert set(room) == {"room_id", "name", "battery", "proctor_token"}
        assert room["name"] == "Ruang 1" and room["battery"] == "cact-demo"
        assert re.fullmatch(f"[{ALPHABET}]{{6}}", room["room_id"])
        stored = await sessions.store.get_room(room["room_id"])
        assert stored is not None and stored.name == "Ruang 1" and stored.battery_id == "cact-demo"
        assert await sessions.store.room_for_proctor_token(room["proctor_token"]) == room["room_id"]
        other = await create_room(sessions, "Ruang 2", "cact-demo")
        assert other["room_id"] != room["room_id"] and other["proctor_token"] != room["proctor_token"]
        assert len(await sessions.store.list_rooms()) == 2

    run(main())


@pytest.mark.parametrize("battery_id", ["", "nope", "CACT-DEMO", "cact-demo "])
def test_create_room_unknown_battery(battery_id: str) -> None:
    async def main() -> None:
        sessions = new_sessions()
        with pytest.raises(RosterError, match="unknown battery"):
            await create_room(sessions, "Ruang 1", battery_id)
        assert await sessions.store.list_rooms() == []

    run(main())


@pytest.mark.parametrize("name", ["", " ", "\t\n", "x" * 201])
def test_create_room_blank_or_long_name(name: str) -> None:
    async def main() -> None:
        sessions = new_sessions()
        with pytest.raises(RosterError, match="room name"):
            await create_room(sessions, name, "cact-demo")
        assert await sessions.store.list_rooms() == []

    run(main())


# --- register ----------------------------------------------------------------------------------------------------


def test_register_gives_each_candidate_a_session_and_a_token() -> None:
    async def main() -> None:
        sessions = new_sessions()
        rows = [{"employee_id": " 199001012020121001 ", "name": " Siti Rahma "}, *roster(2)]
        room, created = await room_with(sessions, rows)
        rid = room["room_id"]
        assert [c["session_id"] for c in created] == [f"{rid}-0001", f"{rid}-0002", f"{rid}-0003"]
        assert created[0]["employee_id"] == "199001012020121001" and created[0]["name"] == "Siti Rahma"
        assert all(set(c) == {"employee_id", "name", "session_id", "token"} for c in created)
        for c in created:
            assert re.fullmatch(f"[{ALPHABET}]{{12}}", c["token"])
            assert await sessions.store.session_for_token(c["token"]) == c["session_id"]
            rec = await sessions.store.load(c["session_id"])
            assert rec is not None
            battery = await sessions.battery_of(rid)
            view = await sessions.session_view(battery, rec, sessions.now_ms())
            assert (view["phase"], view["answered_total"], view["last_seen_ms"]) == ("ready", 0, None)
        stored = await sessions.store.room_candidates(rid)
        assert [(c.session_id, c.employee_id, c.name, c.token) for c in stored] == [
            (c["session_id"], c["employee_id"], c["name"], c["token"]) for c in created
        ]
        # a second roster continues the numbering
        more = await register(sessions, rid, roster(1, start=100))
        assert more[0]["session_id"] == f"{rid}-0004"

    run(main())


def test_register_tokens_are_unique() -> None:
    async def main() -> None:
        sessions = new_sessions()
        _, created = await room_with(sessions, roster(300))
        _, created2 = await room_with(sessions, roster(300))  # same employees, another room: allowed
        tokens = [c["token"] for c in created + created2]
        assert len(set(tokens)) == len(tokens) == 600

    run(main())


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (None, "non-empty list"),
        ([], "non-empty list"),
        ({"employee_id": "1", "name": "A"}, "non-empty list"),
        ("1,A", "non-empty list"),
        ([{"employee_id": "1", "name": "A"}, "2,B"], "candidate 2: must be an object"),
        ([{"employee_id": "1", "name": "A"}, ["2", "B"]], "candidate 2: must be an object"),
        ([{"name": "A"}], "candidate 1: 'employee_id'"),
        ([{"employee_id": "1"}], "candidate 1: 'name'"),
        ([{"employee_id": "1", "name": "A"}, {"employee_id": "", "name": "B"}], "candidate 2: 'employee_id'"),
        ([{"employee_id": "1", "name": "A"}, {"employee_id": "2", "name": "  "}], "candidate 2: 'name'"),
        ([*roster(2), {"employee_id": 3, "name": "C"}], "candidate 3: 'employee_id'"),
        ([*roster(3), {"employee_id": "4", "name": None}], "candidate 4: 'name'"),
        ([{"employee_id": "1", "name": "x" * 201}], "candidate 1: 'name'"),
        ([{"employee_id": "1" * 201, "name": "A"}], "candidate 1: 'employee_id'"),
        (roster(2001), "at most 2000"),
    ],
)
def test_register_rejects_bad_rows_naming_the_row(rows: Any, message: str) -> None:
    async def main() -> None:
        sessions = new_sessions()
        room = await create_room(sessions, "Ruang 1", "cact-demo")
        with pytest.raises(RosterError, match=re.escape(message)):
            await register(sessions, room["room_id"], rows)
        assert await sessions.store.room_candidates(room["room_id"]) == []

    run(main())


def test_register_extra_keys_in_a_row_are_ignored() -> None:
    async def main() -> None:
        sessions = new_sessions()
        _, created = await room_with(sessions, [{"employee_id": "1", "name": "A", "unit": "BKN"}])
        assert set(created[0]) == {"employee_id", "name", "session_id", "token"}

    run(main())


def test_register_unknown_room() -> None:
    async def main() -> None:
        with pytest.raises(LookupError):
            await register(new_sessions(), "NOROOM", roster(1))

    run(main())


@pytest.mark.parametrize(
    ("first", "second", "clash"),
    [
        ([], [{"employee_id": "E1", "name": "A"}, {"employee_id": "E1", "name": "B"}], "E1"),
        ([], [{"employee_id": "E1", "name": "A"}, {"employee_id": " E1 ", "name": "B"}], "E1"),  # stripped first
        (
            [{"employee_id": "E1", "name": "A"}],
            [{"employee_id": "E2", "name": "B"}, {"employee_id": "E1", "name": "C"}],
            "E1",
        ),
    ],
)
def test_duplicate_employee_stores_nothing(
    first: list[dict[str, str]], second: list[dict[str, str]], clash: str
) -> None:
    async def main() -> None:
        sessions = new_sessions()
        store = sessions.store
        assert isinstance(store, MemoryStore)
        room = await create_room(sessions, "Ruang 1", "cact-demo")
        rid = room["room_id"]
        if first:
            await register(sessions, rid, first)
        before = await store.room_candidates(rid)
        with pytest.raises(DuplicateEmployee) as info:
            await register(sessions, rid, second)
        assert info.value.employee_id == clash
        after = await store.room_candidates(rid)
        assert after == before  # all or none
        assert len(await store.load_room(rid)) == len(before)
        # none of the refused roster's employees can be found under any token
        for cand in after:
            assert await store.session_for_token(cand.token) == cand.session_id
        # the room still takes a roster without the clash
        fresh = await register(sessions, rid, [{"employee_id": "E9", "name": "Z"}])
        assert fresh[0]["employee_id"] == "E9"

    run(main())


# --- parse_roster_csv --------------------------------------------------------------------------------------------

EXPECTED = [{"employee_id": "199001012020121001", "name": "Siti Rahma"}, {"employee_id": "2", "name": "Budi"}]


@pytest.mark.parametrize(
    "body",
    [
        "employee_id,name\n199001012020121001,Siti Rahma\n2,Budi\n",
        "employee_id;name\n199001012020121001;Siti Rahma\n2;Budi\n",
        "employee_id,name\r\n199001012020121001,Siti Rahma\r\n2,Budi\r\n",
        "employee_id;name\r\n199001012020121001;Siti Rahma\r\n2;Budi",
        "\ufeffemployee_id,name\n199001012020121001,Siti Rahma\n2,Budi\n",  # a BOM from Excel
        "\ufeffemployee_id;name\n199001012020121001;Siti Rahma\n2;Budi\n",
        "Employee_ID , NAME\n 199001012020121001 , Siti Rahma \n2,Budi\n",  # header case and spaces
        "name,employee_id\nSiti Rahma,199001012020121001\nBudi,2\n",  # any column order
        "no,employee_id,name,unit\n1,199001012020121001,Siti Rahma,BKN\n2,2,Budi,BKD\n",  # extra columns
        "employee_id;name;unit\n199001012020121001;Siti Rahma;BKN\n2;Budi;BKD\n",
        "employee_id,name\n\n199001012020121001,Siti Rahma\n\n\n2,Budi\n\n",  # blank lines
        "employee_id,name\n199001012020121001,Siti Rahma\n,\n2,Budi\n,,\n",  # rows of empty cells
        'employee_id,name\n"199001012020121001","Siti Rahma"\n"2","Budi"\n',  # quoted
        "employee_id,name\n199001012020121001,Siti Rahma,extra cell\n2,Budi\n",  # a row longer than the header
    ],
)
def test_parse_roster_csv(body: str) -> None:
    assert parse_roster_csv(body) == EXPECTED


def test_parse_roster_csv_keeps_delimiters_inside_quotes() -> None:
    assert parse_roster_csv('employee_id,name\n1,"Rahma, Siti"\n') == [{"employee_id": "1", "name": "Rahma, Siti"}]
    assert parse_roster_csv('employee_id;name\n1;"Rahma; Siti"\n') == [{"employee_id": "1", "name": "Rahma; Siti"}]


def test_parse_roster_csv_short_row_gives_empty_name_refused_by_register() -> None:
    rows = parse_roster_csv("employee_id,name\n1,Ani\n2\n")
    assert rows == [{"employee_id": "1", "name": "Ani"}, {"employee_id": "2", "name": ""}]

    async def main() -> None:
        sessions = new_sessions()
        room = await create_room(sessions, "Ruang 1", "cact-demo")
        with pytest.raises(RosterError, match="candidate 2: 'name'"):
            await register(sessions, room["room_id"], rows)

    run(main())


def test_parse_roster_csv_doubled_quotes_as_spreadsheets_write_them() -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([["employee_id", "name"], ["1", 'Budi "Bud" Santoso']])
    assert parse_roster_csv(out.getvalue()) == [{"employee_id": "1", "name": 'Budi "Bud" Santoso'}]


@pytest.mark.parametrize(
    "body",
    [
        "",
        "\ufeff",
        "\n\n",
        "199001012020121001,Siti Rahma\n2,Budi\n",  # no header
        "id,name\n1,A\n",
        "employee_id,nama\n1,A\n",
        "employee_id\n1\n",
        "name\nA\n",
        "employee_id|name\n1|A\n",  # a delimiter other than comma or semicolon
    ],
)
def test_parse_roster_csv_without_header_is_refused(body: str) -> None:
    with pytest.raises(RosterError, match="employee_id and name"):
        parse_roster_csv(body)


def test_parse_roster_csv_header_only_is_empty_and_register_refuses_it() -> None:
    assert parse_roster_csv("employee_id,name\n") == []

    async def main() -> None:
        sessions = new_sessions()
        room = await create_room(sessions, "Ruang 1", "cact-demo")
        with pytest.raises(RosterError, match="non-empty list"):
            await register(sessions, room["room_id"], [])

    run(main())


def test_parsed_csv_registers() -> None:
    async def main() -> None:
        sessions = new_sessions()
        room = await create_room(sessions, "Ruang 1", "cact-demo")
        created = await register(sessions, room["room_id"], parse_roster_csv("\ufeffemployee_id;name\n1;A\n2;B\n"))
        assert [(c["employee_id"], c["name"]) for c in created] == [("1", "A"), ("2", "B")]

    run(main())


# --- results -----------------------------------------------------------------------------------------------------


async def sit(sessions: Sessions, token: str, seed: int) -> list[dict[str, Any]]:
    """Answer a whole sitting through the Sessions API; the frames received."""
    rng = random.Random(seed)
    conn = f"proc1/c{seed}"
    session_id, outcome = await sessions.candidate_hello(token, conn)
    received = [orjson.loads(f) for f in outcome.frames]
    for _ in range(500):
        frame = received[-1]
        if frame["type"] == "finished":
            return received
        assert frame["type"] == "item", frame
        response = rng.randrange(len(frame["item"]["options"]))
        outcome = await sessions.candidate_answer(session_id, conn, frame["seq"], response)
        assert len(outcome.frames) == 1
        received.append(orjson.loads(outcome.frames[0]))
    raise AssertionError("the sitting did not finish")


def test_result_rows_of_finished_and_terminated_sessions() -> None:
    async def main() -> None:
        sessions = new_sessions()
        battery = demo()
        room, created = await room_with(sessions, roster(3))
        rid = room["room_id"]
        assert await result_rows(sessions, rid) == []
        assert rows_to_csv([]) == ",".join(RESULT_COLUMNS) + "\n"

        received = await sit(sessions, created[0]["token"], 1)
        assert received[-1]["type"] == "finished"
        # the second candidate starts and is terminated by the proctor; the third never starts
        await sessions.candidate_hello(created[1]["token"], "proc1/x")
        ack = orjson.loads(
            await sessions.proctor_command(
                rid, ProctorCommand("terminate", created[1]["session_id"], reason="menyontek")
            )
        )
        assert ack["results"] == [{"session_id": created[1]["session_id"], "ok": True}]

        rows = await result_rows(sessions, rid)
        n_sub = len(battery.subtests)
        finished = [r for r in rows if r["session_id"] == created[0]["session_id"]]
        terminated = [r for r in rows if r["session_id"] == created[1]["session_id"]]
        assert len(finished) == n_sub and len(terminated) == 1
        assert len(rows) == n_sub + 1
        assert not [r for r in rows if r["session_id"] == created[2]["session_id"]]

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

        text = rows_to_csv(rows)
        parsed = list(csv.reader(io.StringIO(text)))
        assert tuple(parsed[0]) == RESULT_COLUMNS
        assert len(parsed) == len(rows) + 1
        for line, row in zip(parsed[1:], rows, strict=True):
            assert line == ["" if v is None else str(v) for v in row.values()]
        assert text.endswith("\n") and "\r" not in text

    run(main())


def test_rows_to_csv_quotes_what_needs_quoting() -> None:
    row = dict.fromkeys(RESULT_COLUMNS, "")
    row |= {"name": 'Rahma, Siti "Ani"', "theta": 0.5, "complete": True}
    text = rows_to_csv([row])
    back = list(csv.DictReader(io.StringIO(text)))
    assert back[0]["name"] == 'Rahma, Siti "Ani"'
    assert back[0]["theta"] == "0.5" and back[0]["complete"] == "True"
    assert tuple(back[0]) == RESULT_COLUMNS


def test_result_columns_are_the_documented_ones() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "protocol.md").read_text(encoding="utf-8")
    section = doc.split("Result rows (", 1)[1].split("`status`", 1)[0] + "`status`"
    documented = re.findall(r"`([a-z_]+)`", section)
    assert tuple(documented) == RESULT_COLUMNS
