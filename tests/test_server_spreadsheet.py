"""cat_engine.server.spreadsheet: CSV a spreadsheet cannot run, XLSX with texts typed as text, export requests.

The payloads and the CSV field each must become are in tests/fixtures/formula_payloads.json, which the admin page's
test (tests/js/admin_roster.test.mjs) reads too.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cat_engine.server.spreadsheet import (
    FORMULA_START,
    MAX_EXPORT_COLUMNS,
    MAX_EXPORT_ROWS,
    MAX_EXPORT_TEXT,
    Cell,
    csv_cell,
    defuse,
    export_request,
    to_csv,
    to_xlsx,
)
from cat_engine.server.wire_errors import Refusal

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "formula_payloads.json").read_text(encoding="utf-8"))
TEXTS: list[str] = [c["text"] for c in FIXTURE["cells"]]
COLUMNS = ["employee_id", "name", "theta", "se", "level", "items"]
NUMERIC = {"theta", "se", "level", "items"}
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def table(texts: list[str]) -> list[list[Cell]]:
    """One row per text, in both text columns, with negative numbers beside it."""
    return [[t, t, -0.52 - i, 0.31, -(i % 3), i] for i, t in enumerate(texts)]


def starts_formula(cell: str) -> bool:
    """Whether a cell as a spreadsheet reads it starts with a formula character (past spaces and quotes it skips)."""
    lead = cell.lstrip(' "')
    return bool(lead) and lead[0] in FORMULA_START


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def check_no_formula_cells(text: str, columns: list[str]) -> None:
    """No reading of the file, by ``,`` or by ``;``, with quotes or without, starts a text cell with a formula."""
    numeric = [c in NUMERIC for c in columns]
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=","))
    for row in rows[1:]:
        assert len(row) == len(columns), row
        for cell, is_numeric in zip(row, numeric, strict=True):
            assert not starts_formula(cell) or (is_numeric and is_number(cell)), (cell, row)
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=";"):
        for cell in row:  # the columns mean nothing here: only a number may start with a sign
            assert not starts_formula(cell) or is_number(cell), (cell, row)
    for line in text.replace("\r", "\n").split("\n"):  # a reader blind to quotes, splitting on anything
        for sep in ",;\t":
            for cell in line.split(sep):
                assert not starts_formula(cell) or is_number(cell), (cell, line)


# --- the cell rule ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", FIXTURE["cells"], ids=lambda c: repr(c["text"]))
def test_text_cells_of_the_shared_payloads(case: dict[str, str]) -> None:
    assert csv_cell(case["text"]) == case["csv"]


@pytest.mark.parametrize("case", FIXTURE["numbers"], ids=lambda c: repr(c["value"]))
def test_numbers_stay_numbers(case: dict[str, Any]) -> None:
    assert csv_cell(case["value"]) == case["csv"]


def test_none_and_booleans_as_the_csv_module_writes_them() -> None:
    assert (csv_cell(None), csv_cell(True), csv_cell(False)) == ("", "True", "False")


def test_defuse_only_adds_quotes_marks() -> None:
    for text in TEXTS:
        assert defuse(text).replace("'", "") == text.replace("'", "")
    assert defuse("Siti Aminah") == "Siti Aminah"
    assert defuse("a" + " " * 10_000 + ",=") == "a" + " " * 10_000 + ",'="


# --- CSV files ---------------------------------------------------------------------------------------------------


def test_the_payloads_make_no_formula_cell_under_either_separator() -> None:
    text = to_csv(COLUMNS, table(TEXTS))
    check_no_formula_cells(text, COLUMNS)
    # read as a comma file, every text is its defused self and every number the number it was
    back = list(csv.reader(io.StringIO(text, newline="")))
    assert back[0] == COLUMNS
    for row, source in zip(back[1:], table(TEXTS), strict=True):
        assert row[:2] == [defuse(str(source[0]))] * 2
        assert [float(v) for v in row[2:]] == source[2:]


def test_the_check_itself_catches_an_unsafe_file() -> None:
    """The reader above fails the files the issue reported: quoting alone, and a name left as typed."""
    quoted_only = 'employee_id,name,theta,se,level,items\r\nE1,"Sari;=1+2",-0.5,0.3,1,2\r\n'
    with pytest.raises(AssertionError):
        check_no_formula_cells(quoted_only, COLUMNS)
    verbatim = "employee_id,name,theta,se,level,items\r\nE1,+SUM(1,-0.5,0.3,1,2\r\n"
    with pytest.raises(AssertionError):
        check_no_formula_cells(verbatim, COLUMNS)


@given(st.lists(st.text(alphabet="=+-@\t\r\n,;\"' ab1", max_size=12), min_size=1, max_size=5))
def test_no_text_makes_a_formula_cell(texts: list[str]) -> None:
    text = to_csv(COLUMNS, table(texts))
    check_no_formula_cells(text, COLUMNS)
    back = list(csv.reader(io.StringIO(text, newline="")))
    assert [row[1] for row in back[1:]] == [defuse(t) for t in texts]


def test_csv_layout() -> None:
    assert to_csv(["a", "b"], []) == "a,b\r\n"
    assert to_csv(["a", "b"], [["x", None], [1, 2.5]], line_end="\n") == "a,b\nx,\n1,2.5\n"
    assert to_csv(["=a"], [["b"]]) == "'=a\r\nb\r\n"  # the header is text too


# --- XLSX --------------------------------------------------------------------------------------------------------


def sheet_cells(data: bytes) -> list[ET.Element]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        assert sheets == ["xl/worksheets/sheet1.xml"]
        root = ET.fromstring(z.read(sheets[0]))
    assert not [e for e in root.iter() if e.tag == f"{_MAIN}f"]  # no formula anywhere
    return list(root.iter(f"{_MAIN}c"))


def test_xlsx_texts_are_text_and_numbers_numbers() -> None:
    texts = [*TEXTS, "=1+2", "#DIV/0!", "x" * 300]
    rows = table(texts)
    data = to_xlsx(COLUMNS, rows, title="hasil")
    cells = sheet_cells(data)
    assert len(cells) == len(COLUMNS) * (len(rows) + 1)
    assert [c.get("t") for c in cells[: len(COLUMNS)]] == ["inlineStr"] * len(COLUMNS)
    assert {c.get("t") for c in cells} == {"inlineStr", "n"}  # never an error value ("e") nor a formula's ("str")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["hasil"]
    assert ws.freeze_panes == "A2"
    got = [[(c.value, c.data_type) for c in row] for row in ws.iter_rows()]
    assert got[0] == [(c, "s") for c in COLUMNS]
    for line, source in zip(got[1:], rows, strict=True):
        text = str(source[0]).replace("\r\n", "\n").replace("\r", "\n")  # XML readers make a CR a LF
        if text:
            assert line[:2] == [(text, "s")] * 2
        else:  # an empty string: an empty cell
            assert [value for value, _ in line[:2]] == [None, None]
        assert line[2:] == [(v, "n") for v in source[2:]]


def test_xlsx_keeps_a_formula_lookalike_header_and_replaces_what_xml_cannot_carry() -> None:
    data = to_xlsx(["=cmd", "b"], [["a\x00b\x1fc\td", True]])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws is not None
    assert [[c.value for c in r] for r in ws.iter_rows()] == [["=cmd", "b"], ["a\ufffdb\ufffdc\td", True]]
    assert ws["A1"].data_type == "s" and ws["B2"].data_type == "b"


# --- export requests ---------------------------------------------------------------------------------------------


def good_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "filename": "tokens-R7K2PQ",
        "columns": ["employee_id", "name", "token"],
        "rows": [["1990", "=1+2", "ABCDEFGHJKMN"], ["1991", None, 3]],
    }
    return body | changes


def test_an_export_request() -> None:
    req = export_request(good_body())
    assert req.filename == "tokens-R7K2PQ.xlsx" and req.title == "tokens-R7K2PQ"
    assert req.columns == ("employee_id", "name", "token")
    assert req.rows == (("1990", "=1+2", "ABCDEFGHJKMN"), ("1991", None, 3))
    assert export_request(good_body(filename="a.xlsx")).filename == "a.xlsx"
    assert export_request(good_body(filename="x" * 100)).title == "x" * 31
    assert export_request(good_body(rows=[])).rows == ()


def test_the_export_limits_are_exact() -> None:
    width = [f"c{j}" for j in range(MAX_EXPORT_COLUMNS)]
    assert len(export_request(good_body(columns=width, rows=[[1] * MAX_EXPORT_COLUMNS])).columns) == 20
    many = [["1", "n", "t"]] * MAX_EXPORT_ROWS
    assert len(export_request(good_body(rows=many)).rows) == MAX_EXPORT_ROWS
    long = "x" * MAX_EXPORT_TEXT
    assert export_request(good_body(columns=[long, "b", "c"], rows=[[long, "", 0]])).rows == ((long, "", 0),)
    for bad in (
        good_body(columns=[*width, "one more"], rows=[]),
        good_body(rows=[*many, ["1", "n", "t"]]),
        good_body(rows=[[long + "x", "", 0]]),
        good_body(columns=[long + "x", "b", "c"]),
    ):
        with pytest.raises(Refusal) as refused:
            export_request(bad)
        assert refused.value.code == "bad_request"


@pytest.mark.parametrize(
    "body",
    [
        [],
        "x",
        {"filename": "a", "columns": ["a"]},
        good_body(extra=1),
        good_body(filename=""),
        good_body(filename="../etc"),
        good_body(filename='a".xlsx'),
        good_body(filename="a\r\nSet-Cookie: x"),
        good_body(filename=".xlsx"),
        good_body(filename="x" * 101),
        good_body(filename=5),
        good_body(columns=[]),
        good_body(columns="employee_id"),
        good_body(columns=[1, 2, 3]),
        good_body(rows={"a": 1}),
        good_body(rows=[["1", "2"]]),
        good_body(rows=[["1", "2", "3", "4"]]),
        good_body(rows=["abc"]),
        good_body(rows=[["1", True, "3"]]),
        good_body(rows=[["1", {"a": 1}, "3"]]),
        good_body(rows=[["1", ["x"], "3"]]),
        good_body(rows=[["1", float("inf"), "3"]]),
    ],
    ids=repr,
)
def test_bad_export_requests_are_refused(body: Any) -> None:
    with pytest.raises(Refusal) as refused:
        export_request(body)
    assert refused.value.code == "bad_request"
