"""Files for spreadsheets: CSV that a spreadsheet cannot run as formulas, and XLSX with text typed as text.

Names and other texts people typed end up in files that HR opens in Excel, LibreOffice or Google Sheets, which run
a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula (some also skip a leading tab or CR first). The rule
for a CSV text cell (a ``str``; docs/protocol.md, "Spreadsheet files"):

1. Defuse: a ``'`` goes before every place where a cell could start with a formula character: the start of the
   text, and each place right after a ``,``, ``;``, tab, CR or LF inside it, when the next character, after any
   spaces and double quotes, is one of ``= + - @``, tab, CR. Quoting alone is not enough, because a spreadsheet
   whose list separator is ``;`` (Indonesian and most European Windows settings) splits a comma file on ``;``
   and reads ``E1,"Sari;=1+2"`` as the cells ``E1,"Sari`` and ``=1+2"``; a tab-separated or quote-blind reading
   starts cells in the same places. So under any of these readings no text yields a cell starting with a formula
   character: ``Sari;=1+2`` is written ``"Sari;'=1+2"``.
2. Quote: a text holding ``,``, ``;``, ``"``, CR or LF is put in double quotes, its quotes doubled (RFC 4180).

Numbers (``int``, ``float``) are written as numbers, ``-0.52`` included: they come from the server (theta, SE,
counts), never from a person, so a numeric column can be summed. Booleans are ``True``/``False`` and ``None`` an
empty cell, as Python's csv module writes them. The admin page has the same rule (static/admin_roster.js
``csvField``); tests/fixtures/formula_payloads.json holds the cases both are checked against.

XLSX (:func:`to_xlsx`): a text cell is an OOXML string whatever it holds (openpyxl would make a ``str`` starting
with ``=`` a formula and ``#N/A`` an error value), numbers are numbers, booleans booleans. The text is kept as it
is, apart from the control characters XML 1.0 cannot carry (all below U+0020 but tab, LF and CR), which become
U+FFFD, line ends, which become LF (what any XML reader makes of a CR), and the OOXML cell limit of 32,767
characters.

:func:`export_request` checks the body of ``POST /api/export.xlsx``: a table the admin page holds only in its memory
(the tokens: the server keeps only their hashes), at most :data:`MAX_EXPORT_ROWS` rows of at most
:data:`MAX_EXPORT_COLUMNS` columns, each text at most :data:`MAX_EXPORT_TEXT` characters.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as _XlsxCell
from openpyxl.cell.cell import WriteOnlyCell

from .wire_errors import Refusal

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

__all__ = [
    "CELL_BREAKS",
    "FORMULA_START",
    "MAX_EXPORT_COLUMNS",
    "MAX_EXPORT_ROWS",
    "MAX_EXPORT_TEXT",
    "XLSX_MEDIA_TYPE",
    "Cell",
    "ExportRequest",
    "csv_cell",
    "defuse",
    "export_request",
    "to_csv",
    "to_xlsx",
]

Cell = str | int | float | bool | None

FORMULA_START = frozenset("=+-@\t\r")
"""A cell starting with one of these may be run as a formula (tab and CR: some spreadsheets skip them first)."""
CELL_BREAKS = frozenset(",;\t\r\n")
"""Where some reading of a comma file starts a new cell: a separator (comma, semicolon, tab) or a line break."""
_SKIPPED = frozenset(' "')  # what a spreadsheet may pass over before a cell's first character (trimmed, quotes)
_QUOTE_IF = frozenset(',;"\r\n')
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XLSX_MAX_TEXT = 32767

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_EXPORT_ROWS = 5000
MAX_EXPORT_COLUMNS = 20
MAX_EXPORT_TEXT = 200
_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def _formula_at(text: str, i: int) -> bool:
    """Whether a cell starting at ``text[i]`` starts, after spaces and quotes, with a formula character."""
    n = len(text)
    while i < n and text[i] in _SKIPPED:
        i += 1
    return i < n and text[i] in FORMULA_START


def defuse(text: str) -> str:
    """``text`` with a ``'`` put where a cell could start with a formula character (rule 1 of the module docstring).

    Each character is looked at once as a cell start at most (only after a break), and the look ahead passes spaces
    and quotes only, which are no breaks: linear in ``len(text)``.
    """
    out: list[str] = []
    cell_start = True
    for i, ch in enumerate(text):
        if cell_start and _formula_at(text, i):
            out.append("'")
        out.append(ch)
        cell_start = ch in CELL_BREAKS
    return "".join(out)


def csv_cell(value: Cell) -> str:
    """One CSV field: a text defused and quoted when needed; a number, boolean or None as it is (empty for None)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    text = defuse(value)
    if any(ch in _QUOTE_IF for ch in text):
        return '"' + text.replace('"', '""') + '"'
    return text


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Cell]], line_end: str = "\r\n") -> str:
    """A CSV file: the header of ``columns``, then one line per row, every field by :func:`csv_cell`."""
    lines = [",".join(map(csv_cell, columns))]
    lines.extend(",".join(map(csv_cell, row)) for row in rows)
    return line_end.join(lines) + line_end


def _xlsx_value(ws: WriteOnlyWorksheet, value: Cell) -> _XlsxCell | int | float | bool | None:
    if not isinstance(value, str):
        return value
    text = _NOT_XML.sub("\ufffd", value[:_XLSX_MAX_TEXT]).replace("\r\n", "\n").replace("\r", "\n")
    cell = WriteOnlyCell(ws, text)
    cell.data_type = "s"  # a string, never a formula ("=...") nor an error value ("#N/A")
    return cell


def to_xlsx(columns: Sequence[str], rows: Iterable[Sequence[Cell]], title: str = "Sheet1") -> bytes:
    """An XLSX workbook of one sheet named ``title``: the header of ``columns`` (frozen), then the rows.

    CPU-bound (about 12 µs a cell, measured: 1 s for 5,000 rows of 17 columns): a server calls it off the event loop.
    """
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    ws.append([_xlsx_value(ws, c) for c in columns])
    for row in rows:
        ws.append([_xlsx_value(ws, v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class ExportRequest:
    """A checked ``POST /api/export.xlsx`` body: the file name (ending in ``.xlsx``), the header and the rows."""

    filename: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    @property
    def title(self) -> str:
        """The sheet's name: the file name without ``.xlsx``, cut to the 31 characters a sheet name may have."""
        return self.filename.removesuffix(".xlsx")[:31]


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_EXPORT_TEXT:
        raise Refusal("bad_request", f"{what} must be a string of at most {MAX_EXPORT_TEXT} characters")
    return value


def _value(value: Any, what: str) -> Cell:
    if value is None or isinstance(value, str):
        return value if value is None else _text(value, what)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    raise Refusal("bad_request", f"{what} must be a string, a number or null")


def export_request(data: Any) -> ExportRequest:
    """Check the body of ``POST /api/export.xlsx`` (docs/protocol.md); raises ``Refusal("bad_request")``."""
    if not isinstance(data, dict) or set(data) != {"filename", "columns", "rows"}:
        raise Refusal("bad_request", 'expected {"filename": string, "columns": [string, ...], "rows": [[...], ...]}')
    filename = data["filename"]
    if not isinstance(filename, str) or not _FILENAME.fullmatch(filename):
        raise Refusal("bad_request", "filename: 1 to 100 of A-Z a-z 0-9 . _ -, starting with a letter or digit")
    columns = data["columns"]
    if not isinstance(columns, list) or not 1 <= len(columns) <= MAX_EXPORT_COLUMNS:
        raise Refusal("bad_request", f"columns: a list of 1 to {MAX_EXPORT_COLUMNS} names")
    header = tuple(_text(c, f"column {j}") for j, c in enumerate(columns, 1))
    rows = data["rows"]
    if not isinstance(rows, list) or len(rows) > MAX_EXPORT_ROWS:
        raise Refusal("bad_request", f"rows: a list of at most {MAX_EXPORT_ROWS} rows")
    checked = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, list) or len(row) != len(header):
            raise Refusal("bad_request", f"row {i}: a list of {len(header)} values, one per column")
        checked.append(tuple(_value(v, f"row {i}, column {j}") for j, v in enumerate(row, 1)))
    name = filename if filename.endswith(".xlsx") else f"{filename}.xlsx"
    return ExportRequest(name, header, tuple(checked))
