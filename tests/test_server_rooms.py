"""cat_engine.server.rooms: rooms and rosters (JSON rows and CSV), over a MemoryStore."""

from __future__ import annotations

import csv
import io
import re
import sys
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from server_world import Process, process
from server_world import demo_battery as demo
from server_world import run_coroutine as run

from cat_engine import codec
from cat_engine.server import rooms
from cat_engine.server.auth import ALPHABET, normalise_proctor_token
from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.rooms import check_text, create_room, parse_roster_csv, register
from cat_engine.server.store import token_digest
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
        assert set(room) == {"room_id", "name", "battery", "open", "proctor_token"}
        assert room["name"] == "Ruang 1" and room["battery"] == "cact-demo"
        assert room["open"] is False  # closed until its proctor opens it
        assert re.fullmatch(f"[{ALPHABET}]{{6}}", room["room_id"])
        stored = await p.tx.store.get_room(room["room_id"])
        assert stored is not None and stored.name == "Ruang 1" and stored.battery_id == "cact-demo"
        assert stored.open is False
        # the reply shows the token in its printed form; the store indexes its stored form
        stored_token = normalise_proctor_token(room["proctor_token"])
        assert await p.tx.store.room_for_proctor_token(stored_token) == room["room_id"]
        other = await create_room(p.tx, "Ruang 2", "cact-demo", is_open=True)
        assert other["room_id"] != room["room_id"] and other["proctor_token"] != room["proctor_token"]
        assert other["open"] is True
        stored = await p.tx.store.get_room(other["room_id"])
        assert stored is not None and stored.open is True
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
        # the store keeps the token's digest only
        assert [(c.session_id, c.employee_id, c.name, c.token_digest) for c in stored] == [
            (c["session_id"], c["employee_id"], c["name"], token_digest(c["token"])) for c in created
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
        tokens = [c["token"] for c in await register(p.tx, rid, first)] if first else []
        before = await store.room_candidates(rid)
        with pytest.raises(Refusal) as info:
            await register(p.tx, rid, second)
        assert (info.value.code, info.value.fields) == ("duplicate_employee", {"employee_id": clash})
        after = await store.room_candidates(rid)
        assert after == before  # all or none
        assert len(await store.load_room(rid)) == len(before)
        # none of the refused roster's employees can be found under any token
        assert {c.token_digest for c in after} == {token_digest(t) for t in tokens}
        for cand, token in zip(after, tokens, strict=True):
            assert await store.session_for_token(token) == cand.session_id
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


def test_parse_roster_csv_short_row_is_refused_for_its_empty_name() -> None:
    with pytest.raises(Refusal, match=re.escape("CSV roster: line 3: 'name' is empty")):
        parse_roster_csv("employee_id,name\n1,Ani\n2\n")


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


# --- the text rule (employee ids, names, room names) ---------------------------------------------------------------

# docs/protocol.md, "Rosters": every one is refused wherever it stands in the value
BIDI = ["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
BIDI += ["\u061c"]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
LINE_BREAKS = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"]
CONTROLS = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]]
OTHER_INVISIBLE = ["\u00ad", "\u180e", "\u2061", "\u2064", "\u206a", "\ufff9", "\U000e0001", "\U000e0041"]
OTHER_INVISIBLE += ["\u034f", "\u115f", "\u1160", "\u3164", "\uffa0", "\u17b4", "\u180b"]
PRIVATE_UNASSIGNED_SURROGATE = ["\ue000", "\U000f0000", "\u0378", "\U0010ffff", "\ufffe", "\ud800", "\udfff"]
REFUSED_CHARACTERS = [*BIDI, *ZERO_WIDTH, *LINE_BREAKS, *CONTROLS, *OTHER_INVISIBLE, *PRIVATE_UNASSIGNED_SURROGATE]

GOOD_NAMES = [
    "Siti Rahma",
    "Ni Luh Putu Ayu Sri Wahyuni",
    "I Gusti Ngurah Rai",
    "Muh. Rizky Pratama, S.Kom., M.T.",
    "Dra. Hj. Nur'aini",
    "O'Brien",
    "Abdul-Karim bin Ahmad",
    "Nguyễn Văn An",
    "Ḥusayn",
    "Δημήτρης Παπαδόπουλος",
    "Иван Петров",
    "محمد عبد الله",
    "שרה כהן",
    "王小明",
    "山田 太郎",
    "김민수",
    "สมชาย ใจดี",
    "राम कुमार",
    "ꦱꦶꦠꦶ",  # Javanese script
    "Siti\u00a0Rahma",  # a no-break space inside is kept
    "Siti\u3000Rahma",  # an ideographic space inside is kept
    "Siti  Rahma",  # two spaces are kept: nothing is collapsed
    "199001012020121001",
    "x" * 200,
]


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_check_text_keeps_names_of_every_script(name: str) -> None:
    assert check_text(name) == name
    assert check_text(f" \t{name}\u00a0 ") == name  # ordinary surrounding whitespace is trimmed


def test_check_text_normalises_to_nfc_and_counts_the_stored_length() -> None:
    assert check_text("Jose\u0301") == "Jos\u00e9"
    assert check_text("Nguye\u0302\u0303n") == "Nguy\u1ec5n"
    assert check_text("e\u0301" * 200) == "\u00e9" * 200  # 400 characters typed, 200 stored
    with pytest.raises(ValueError, match="longer than 200 characters \\(201\\)"):
        check_text("e\u0301" * 201)
    with pytest.raises(ValueError, match="longer than 200"):
        check_text("x" * 201)


def test_trimmed_characters_are_the_tab_and_the_space_separators() -> None:
    zs = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Zs"]
    assert set(rooms._TRIM) == {"\t", *zs}
    for ch in zs:
        # trimmed around, kept inside (in NFC: U+2000 and U+2001 are canonically U+2002 and U+2003)
        assert check_text(f"{ch}A{ch}B{ch}") == unicodedata.normalize("NFC", f"A{ch}B")


@pytest.mark.parametrize("ch", REFUSED_CHARACTERS, ids=[f"U+{ord(c[0]):04X}" for c in REFUSED_CHARACTERS])
@pytest.mark.parametrize("where", ["start", "inside", "end"])
def test_check_text_refuses_controls_line_breaks_format_and_invisible_characters(ch: str, where: str) -> None:
    value = {"start": f"{ch}Siti", "inside": f"Si{ch}ti", "end": f"Siti{ch}"}[where]
    if ch == "\t" and where != "inside":
        assert check_text(value) == "Siti"  # a tab around the value is ordinary whitespace
        return
    with pytest.raises(ValueError) as info:
        check_text(value)
    message = str(info.value)
    position = {"start": 1, "inside": 3, "end": 5}[where]
    assert message.startswith(f"contains U+{ord(ch[0]):04X}")
    assert f"at character {position}" in message
    assert message.isascii()  # named by its code point, never echoed


def test_check_text_refuses_every_code_point_of_the_refused_categories() -> None:
    refused = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
    # every Cc, Cf, Zl, Zp (a few hundred) and a stride through the rest of the code space
    points = [c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in {"Cc", "Cf", "Zl", "Zp"}]
    points += range(0, sys.maxunicode + 1, 97)
    for c in points:
        ch = chr(c)
        if ch == "\t" or unicodedata.category(ch) not in refused:
            continue
        with pytest.raises(ValueError, match=f"contains U\\+{c:04X}"):
            check_text(f"A{ch}B")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "is empty"),
        ("   ", "is empty"),
        ("\t\u00a0\u3000", "is empty"),
        (".", "has no letter or digit"),
        ("- ,'", "has no letter or digit"),
        ("\u0301\u0302", "has no letter or digit"),
        (None, "must be a string"),
        (5, "must be a string"),
        (["A"], "must be a string"),
    ],
)
def test_check_text_refuses_empty_or_letterless_values(value: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        check_text(value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=260))
def test_check_text_returns_a_clean_value_or_refuses(value: str) -> None:
    try:
        out = check_text(value)
    except ValueError:
        return
    assert out and len(out) <= 200
    assert out == unicodedata.normalize("NFC", out) == out.strip(rooms._TRIM)
    assert all(unicodedata.category(c) not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"} for c in out)
    assert check_text(out) == out


@pytest.mark.parametrize(
    "name", ["Ruang\u202e 1", "Ruang\n1", "Ruang\x00", "\u200b", "Ruang\x85", "\u2066Ruang\u2069", "x" * 201, "."]
)
def test_create_room_refuses_names_breaking_the_text_rule(name: str) -> None:
    async def main() -> None:
        p = new_process()
        with pytest.raises(Refusal, match="room name") as info:
            await create_room(p.tx, name, "cact-demo")
        assert info.value.code == "bad_request"
        assert await p.tx.store.list_rooms() == []

    run(main())


def test_create_room_stores_the_trimmed_nfc_name() -> None:
    async def main() -> None:
        p = new_process()
        room = await create_room(p.tx, "\tRuang Jose\u0301 ", "cact-demo")
        stored = await p.tx.store.get_room(room["room_id"])
        assert room["name"] == "Ruang Jos\u00e9" and stored is not None and stored.name == "Ruang Jos\u00e9"

    run(main())


# --- rosters refused by the text rule: the row, the field, and nothing stored ------------------------------------


@pytest.mark.parametrize("ch", REFUSED_CHARACTERS, ids=[f"U+{ord(c[0]):04X}" for c in REFUSED_CHARACTERS])
@pytest.mark.parametrize("fieldname", ["employee_id", "name"])
def test_register_refuses_a_json_row_breaking_the_text_rule(ch: str, fieldname: str) -> None:
    async def main() -> None:
        p = new_process()
        room = await create_room(p.tx, "Ruang 1", "cact-demo")
        rid = room["room_id"]
        bad = {"employee_id": "E3", "name": "Tiga", fieldname: f"X{ch}Y"}
        with pytest.raises(Refusal, match=re.escape(f"candidate 3: '{fieldname}' contains U+")) as info:
            await register(p.tx, rid, [*roster(2), bad])
        assert info.value.code == "bad_request"
        assert await p.tx.store.room_candidates(rid) == []
        # no session number was used up: the next roster starts at 0001
        assert (await register(p.tx, rid, roster(1)))[0]["session_id"] == f"{rid}-0001"

    run(main())


def test_register_stores_nfc_and_finds_duplicates_across_normal_forms() -> None:
    async def main() -> None:
        p = new_process()
        room = await create_room(p.tx, "Ruang 1", "cact-demo")
        rid = room["room_id"]
        created = await register(p.tx, rid, [{"employee_id": "Jose\u0301", "name": "Jose\u0301 Rizal"}])
        assert (created[0]["employee_id"], created[0]["name"]) == ("Jos\u00e9", "Jos\u00e9 Rizal")
        stored = await p.tx.store.room_candidates(rid)
        assert (stored[0].employee_id, stored[0].name) == ("Jos\u00e9", "Jos\u00e9 Rizal")
        with pytest.raises(Refusal) as info:
            await register(p.tx, rid, [{"employee_id": "Jos\u00e9", "name": "Lain"}])
        assert (info.value.code, info.value.fields) == ("duplicate_employee", {"employee_id": "Jos\u00e9"})

    run(main())


def test_register_refuses_a_malformed_room_id_before_any_store_call() -> None:
    class NoStore:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"store called: {name}")

    async def main() -> None:
        p = new_process()
        p.tx.store = NoStore()  # type: ignore[assignment]
        for rid in ("R7K2QX-0001", "r7k2qx", "R7K2Q", "R7K2QXX", "R7K2Q0", "../x", ""):
            with pytest.raises(Refusal, match="not_found"):
                await register(p.tx, rid, roster(1))
        # a bad row of a well-formed room id is refused before the room is looked up
        with pytest.raises(Refusal, match="candidate 1: 'name'"):
            await register(p.tx, "R7K2QX", [{"employee_id": "1", "name": "\u202e"}])

    run(main())


# --- CSV: malformed files and bad fields, by physical line ---------------------------------------------------------

BIG = 128 * 1024 + 10  # over the csv module's field limit (131072)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # an unterminated quote: the rest of the file would be one name
        ('employee_id,name\nX1,"abc\nX2,def', "line 2: 'name': unexpected end of data"),
        ('employee_id,name\nX0,A\nX1,"abc', "line 3: 'name': unexpected end of data"),
        ('employee_id,name\n"X1,abc\n', "line 2: 'employee_id': unexpected end of data"),
        # text after a closing quote
        ('employee_id,name\nX1,"abc"def\n', "line 2: 'name': ',' expected after '\"'"),
        ('employee_id;name\nX1;"a"b\n', "line 2: 'name': ';' expected after '\"'"),
        # over the csv module's field limit, quoted or not
        (f'employee_id,name\nX1,"{"x" * BIG}"\n', "line 2: 'name': field larger than field limit"),
        (f"employee_id,name\nX1,{'x' * BIG}\n", "line 2: 'name': field larger than field limit"),
        (f"employee_id,name\n{'x' * BIG},A\n", "line 2: 'employee_id': field larger than field limit"),
        (f"employee_id,name,unit\nX1,A,{'x' * BIG}\n", "line 2: 'unit': field larger than field limit"),
        (f"employee_id,name\nX1,A\n\n\n{'x' * BIG},A\n", "line 5: 'employee_id': field larger"),
        (f"employee_id,name{'x' * BIG}\n", "line 1: column 2: field larger than field limit"),
        # a quoted line break, in every spelling, is a line break in the field
        ('employee_id,name\nX1,"ab\ncd"\n', "line 2: 'name' contains U+000A"),
        ('employee_id,name\r\nX1,"ab\r\ncd"\r\n', "line 2: 'name' contains U+000D"),
        ('employee_id,name\nX1,"ab\rcd"\n', "line 2: 'name' contains U+000D"),
        ('employee_id,name\nX1,A\n"X\n2",B\n', "line 3: 'employee_id' contains U+000A"),
        ('employee_id,name\nX1,"A\n"\n', "line 2: 'name' contains U+000A"),  # even at the end
        # controls and invisible characters
        ("employee_id,name\nX1,a\x00b\n", "line 2: 'name' contains U+0000"),
        ("employee_id,name\nX\x001,A\n", "line 2: 'employee_id' contains U+0000"),
        ("employee_id,name\nX1,\u202eevil\u202c name\n", "line 2: 'name' contains U+202E"),
        ("employee_id,name\nX1,A\nX2,B\u200bC\n", "line 3: 'name' contains U+200B"),
        ("employee_id,name\nX1,a\x85b\n", "line 2: 'name' contains U+0085"),
        ("employee_id,name\nX1,a\u2028b\n", "line 2: 'name' contains U+2028"),
        ("employee_id,name\nX1,a\tb\n", "line 2: 'name' contains U+0009"),
        # too long, empty
        (f"employee_id,name\nX1,{'x' * 201}\n", "line 2: 'name' is longer than 200"),
        (f"employee_id,name\n{'1' * 201},A\n", "line 2: 'employee_id' is longer than 200"),
        ("employee_id,name\nX1,A\n,B\n", "line 3: 'employee_id' is empty"),
        ("employee_id,name\nX1,A\nX2,.\n", "line 3: 'name' has no letter or digit"),
        # line numbers are physical lines: blank lines and lone CRs count
        ("employee_id,name\n\n\nX1,\u2066A\n", "line 4: 'name' contains U+2066"),
        ("employee_id,name\rX1,A\rX2,\ufeffB\r", "line 3: 'name' contains U+FEFF"),
        ('employee_id,name\nX1,"A\nB"\nX2,\u200dC\n', "line 2: 'name' contains U+000A"),
        # the header
        ("employee_id,name,name\nX1,A\n", "line 1: the column 'name' appears more than once"),
    ],
)
def test_parse_roster_csv_refuses_naming_line_and_field(body: str, message: str) -> None:
    with pytest.raises(Refusal) as info:
        parse_roster_csv(body)
    assert info.value.code == "bad_request"
    assert info.value.detail.startswith("CSV roster: ")
    assert message in info.value.detail, info.value.detail
    assert len(info.value.detail) < 600  # the long field is not echoed


def test_parse_roster_csv_checks_rows_after_a_multiline_one_by_their_own_lines() -> None:
    body = 'employee_id,name\nX1,"A\nB"\nX2,C\n'
    with pytest.raises(Refusal, match="line 2: 'name' contains U\\+000A"):
        parse_roster_csv(body)
    # the reader counts the lines a quoted field spans: the row after it starts on line 4
    with pytest.raises(Refusal, match="line 4: 'name' contains U\\+202E"):
        parse_roster_csv('employee_id,name,note\nX1,A,"x\ny"\nX2,\u202eB,z\n')


def test_parse_roster_csv_ignores_other_columns_but_refuses_blank_ids_of_rows_with_content() -> None:
    assert parse_roster_csv('employee_id,name,note\nX1,A,"multi\nline \u202e note"\n') == [
        {"employee_id": "X1", "name": "A"}
    ]
    with pytest.raises(Refusal, match="line 3: 'employee_id' is empty"):
        parse_roster_csv("employee_id,name,note\nX1,A,\n,,only a note\n")


def test_parse_roster_csv_trims_and_normalises_like_json_rows() -> None:
    assert parse_roster_csv("employee_id,name\n\tX1 ,\u00a0Jose\u0301 Rizal \n") == [
        {"employee_id": "X1", "name": "Jos\u00e9 Rizal"}
    ]


def test_parse_roster_csv_refuses_more_rows_than_a_roster_holds_at_their_line() -> None:
    body = "employee_id,name\n" + "".join(f"E{i},N{i}\n" for i in range(2001))
    with pytest.raises(Refusal, match="line 2002: a roster holds at most 2000"):
        parse_roster_csv(body)
    assert len(parse_roster_csv("employee_id,name\n" + "".join(f"E{i},N{i}\n" for i in range(2000)))) == 2000


@pytest.mark.parametrize(
    ("raw", "column"),
    [
        ('a,"b', 1),
        ('"a', 0),
        ('a,"b""c', 1),
        ('a,"b"c', 1),
        ('"a"x,b', 0),
        ("a," + "x" * 201, 1),
        ('"' + "x" * 201 + '"', 0),
        ('"' + '""' * 201 + '"', 0),
        ("a,b\n", None),
        ('"a""b",c\n', None),
        ('a,"b\nc",d', None),
        ("x" * 200 + ",b", None),
    ],
)
def test_faulty_column(raw: str, column: int | None) -> None:
    assert rooms._faulty_column(raw, ",") == column
