"""cat_engine.server.rooms: rooms and rosters (JSON rows and CSV), over a MemoryStore."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from server_world import Process, process
from server_world import demo_battery as demo
from server_world import run_coroutine as run

from cat_engine import codec
from cat_engine.server.auth import ALPHABET
from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.rooms import create_room, parse_roster_csv, register
from cat_engine.server.wire_errors import Refusal
from cat_engine.view import session_view


def new_process() -> Process:
    return process(MemoryStore(), demo(), "proc1", lambda: 1_800_000_000.0)


def roster(n: int, start: int = 1) -> list[dict[str, str]]:
    return [{"employee_id": f"19900101202012{i:04d}", "name": f"Peserta {i}"} for i in range(start, start + n)]


async def room_with(p: Process, rows: list[dict[str, str]]) -> tuple[dict[str, Any], list[dict[str, str]]]:
    room = await create_room(p.tx, "Ruang 1", demo().id)
    return room, await register(p.tx, room["room_id"], rows)


# --- create_room -------------------------------------------------------------------------------------------------


def test_create_room() -> None:
    async def main() -> None:
        p = new_process()
        room = await create_room(p.tx, "  Ruang 1  ", "cact-demo")
        assert set(room) == {"room_id", "name", "battery", "proctor_token"}
        assert room["name"] == "Ruang 1" and room["battery"] == "cact-demo"
        assert re.fullmatch(f"[{ALPHABET}]{{6}}", room["room_id"])
        stored = await p.tx.store.get_room(room["room_id"])
        assert stored is not None and stored.name == "Ruang 1" and stored.battery_id == "cact-demo"
        assert await p.tx.store.room_for_proctor_token(room["proctor_token"]) == room["room_id"]
        other = await create_room(p.tx, "Ruang 2", "cact-demo")
        assert other["room_id"] != room["room_id"] and other["proctor_token"] != room["proctor_token"]
        assert len(await p.tx.store.list_rooms()) == 2

    run(main())


@pytest.mark.parametrize("battery_id", ["", "nope", "CACT-DEMO", "cact-demo "])
def test_create_room_unknown_battery(battery_id: str) -> None:
    async def main() -> None:
        p = new_process()
        with pytest.raises(Refusal, match="unknown battery"):
            await create_room(p.tx, "Ruang 1", battery_id)
        assert await p.tx.store.list_rooms() == []

    run(main())


@pytest.mark.parametrize("name", ["", " ", "\t\n", "x" * 201])
def test_create_room_blank_or_long_name(name: str) -> None:
    async def main() -> None:
        p = new_process()
        with pytest.raises(Refusal, match="room name"):
            await create_room(p.tx, name, "cact-demo")
        assert await p.tx.store.list_rooms() == []

    run(main())


# --- register ----------------------------------------------------------------------------------------------------


def test_register_gives_each_candidate_a_session_and_a_token() -> None:
    async def main() -> None:
        p = new_process()
        rows = [{"employee_id": " 199001012020121001 ", "name": " Siti Rahma "}, *roster(2)]
        room, created = await room_with(p, rows)
        rid = room["room_id"]
        assert [c["session_id"] for c in created] == [f"{rid}-0001", f"{rid}-0002", f"{rid}-0003"]
        assert created[0]["employee_id"] == "199001012020121001" and created[0]["name"] == "Siti Rahma"
        assert all(set(c) == {"employee_id", "name", "session_id", "token"} for c in created)
        for c in created:
            assert re.fullmatch(f"[{ALPHABET}]{{12}}", c["token"])
            assert await p.tx.store.session_for_token(c["token"]) == c["session_id"]
            rec = await p.tx.store.load(c["session_id"])
            assert rec is not None
            battery = await p.tx.battery_of(rid)
            view = session_view(battery, codec.decode(battery, rec.state), p.tx.now_ms())
            assert (view.phase.value, view.answered_total, view.last_seen_ms) == ("ready", 0, None)
        stored = await p.tx.store.room_candidates(rid)
        assert [(c.session_id, c.employee_id, c.name, c.token) for c in stored] == [
            (c["session_id"], c["employee_id"], c["name"], c["token"]) for c in created
        ]
        # a second roster continues the numbering
        more = await register(p.tx, rid, roster(1, start=100))
        assert more[0]["session_id"] == f"{rid}-0004"

    run(main())


def test_register_tokens_are_unique() -> None:
    async def main() -> None:
        p = new_process()
        _, created = await room_with(p, roster(300))
        _, created2 = await room_with(p, roster(300))  # same employees, another room: allowed
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
        p = new_process()
        room = await create_room(p.tx, "Ruang 1", "cact-demo")
        with pytest.raises(Refusal, match=re.escape(message)):
            await register(p.tx, room["room_id"], rows)
        assert await p.tx.store.room_candidates(room["room_id"]) == []

    run(main())


def test_register_extra_keys_in_a_row_are_ignored() -> None:
    async def main() -> None:
        p = new_process()
        _, created = await room_with(p, [{"employee_id": "1", "name": "A", "unit": "BKN"}])
        assert set(created[0]) == {"employee_id", "name", "session_id", "token"}

    run(main())


def test_register_unknown_room() -> None:
    async def main() -> None:
        with pytest.raises(Refusal, match="not_found"):
            await register(new_process().tx, "NOROOM", roster(1))

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
        p = new_process()
        store = p.tx.store
        assert isinstance(store, MemoryStore)
        room = await create_room(p.tx, "Ruang 1", "cact-demo")
        rid = room["room_id"]
        if first:
            await register(p.tx, rid, first)
        before = await store.room_candidates(rid)
        with pytest.raises(Refusal) as info:
            await register(p.tx, rid, second)
        assert (info.value.code, info.value.fields) == ("duplicate_employee", {"employee_id": clash})
        after = await store.room_candidates(rid)
        assert after == before  # all or none
        assert len(await store.load_room(rid)) == len(before)
        # none of the refused roster's employees can be found under any token
        for cand in after:
            assert await store.session_for_token(cand.token) == cand.session_id
        # the room still takes a roster without the clash
        fresh = await register(p.tx, rid, [{"employee_id": "E9", "name": "Z"}])
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
        p = new_process()
        room = await create_room(p.tx, "Ruang 1", "cact-demo")
        with pytest.raises(Refusal, match="candidate 2: 'name'"):
            await register(p.tx, room["room_id"], rows)

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
    with pytest.raises(Refusal, match="employee_id and name"):
        parse_roster_csv(body)


def test_parse_roster_csv_header_only_is_empty_and_register_refuses_it() -> None:
    assert parse_roster_csv("employee_id,name\n") == []

    async def main() -> None:
        p = new_process()
        room = await create_room(p.tx, "Ruang 1", "cact-demo")
        with pytest.raises(Refusal, match="non-empty list"):
            await register(p.tx, room["room_id"], [])

    run(main())


def test_parsed_csv_registers() -> None:
    async def main() -> None:
        p = new_process()
        room = await create_room(p.tx, "Ruang 1", "cact-demo")
        created = await register(p.tx, room["room_id"], parse_roster_csv("\ufeffemployee_id;name\n1;A\n2;B\n"))
        assert [(c["employee_id"], c["name"]) for c in created] == [("1", "A"), ("2", "B")]

    run(main())
