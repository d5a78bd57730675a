"""Administration use cases: create rooms and register rosters.

A roster is registered all or none: one session (with its own random seed) and one candidate token per row. Every
row is checked before anything is read from or written to the store: a bad row is refused as ``bad_request`` naming
the row (JSON: ``candidate <n>``, counting from 1; CSV: ``line <n>``, the physical line of the file where the row
starts, the header being line 1) and the field; an employee id already in the room (or twice in the roster) as
``duplicate_employee`` with that id. Results for the HR system are in :mod:`.results`.

The text rule (:func:`check_text`) for employee ids, names and room names, in this order:

1. ordinary surrounding whitespace (tabs and Unicode space separators, category Zs) is trimmed;
2. what is left must be non-empty and must not contain line breaks (LF, CR, U+2028, U+2029), control characters
   (C0, DEL, C1 such as U+0085, NUL), format characters (category Cf: bidi controls U+200E, U+200F,
   U+202A-U+202E, U+2066-U+2069, U+061C; zero-width U+200B-U+200D, U+2060, U+FEFF; soft hyphen, ...),
   surrogates, private-use or unassigned code points, or the invisible letters and marks of :data:`_INVISIBLE`;
3. it must hold a letter or a digit;
4. it is normalised to Unicode NFC (so an id or a name typed decomposed or composed is stored, and compared for
   duplicates, the same way) and must then be at most 200 characters.

Nothing else is changed: inner spaces are kept as they are.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import unicodedata
from collections.abc import Iterator
from typing import Any

import orjson

from .. import codec
from .. import session as core
from ..session_pretest import pretest_key_of
from .auth import is_room_id, new_candidate_token, new_proctor_token, new_room_id, show_proctor_token
from .sealed import open_sealed, seal
from .store import CandidateRecord, RoomRecord, token_digest
from .transaction import Transactions
from .wire_errors import Refusal

__all__ = ["check_text", "create_room", "parse_roster_csv", "register"]

_MAX_ROSTER = 2000
_MAX_FIELD = 200
# trimmed at either end: tab and every space separator (Unicode category Zs)
_TRIM = "\t\u0020\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
# not Cc/Cf but invisible all the same (Default_Ignorable_Code_Point letters and marks): Hangul fillers, the
# combining grapheme joiner, Khmer inherent vowels, Mongolian free variation selectors
_INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u3164\uffa0")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def check_text(value: Any) -> str:
    """An employee id, a name or a room name as stored: the text rule of the module docstring.

    Raises
    ------
    ValueError
        Why the value is refused, in words that follow the field's name (``'name' <reason>``); the offending
        character is named by its code point, never echoed.
    """
    if not isinstance(value, str):
        raise ValueError("must be a string")
    lead = len(value) - len(value.lstrip(_TRIM))
    text = value.strip(_TRIM)
    if not text:
        raise ValueError("is empty")
    if not text.isprintable():  # any Cc, Cf, Cs, Co, Cn, Zl, Zp, or a Zs other than U+0020 (allowed inside)
        for i, ch in enumerate(text):
            if unicodedata.category(ch) in _REFUSED_CATEGORIES:
                raise ValueError(_bad_character(ch, lead + i + 1))
    if not _INVISIBLE.isdisjoint(text):
        i = min(text.index(ch) for ch in _INVISIBLE if ch in text)
        raise ValueError(_bad_character(text[i], lead + i + 1))
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        raise ValueError("has no letter or digit")
    text = unicodedata.normalize("NFC", text)
    if len(text) > _MAX_FIELD:
        raise ValueError(f"is longer than {_MAX_FIELD} characters ({len(text)})")
    return text


def _bad_character(ch: str, position: int) -> str:
    name = unicodedata.name(ch, "")
    shown = f"U+{ord(ch):04X}" + (f" {name}" if name else "")
    return (
        f"contains {shown} at character {position}: line breaks, control characters, format characters (bidi,"
        " zero-width) and invisible or unassigned code points are not allowed"
    )


async def create_room(tx: Transactions, name: str, battery_id: str, *, is_open: bool = False) -> dict[str, Any]:
    """A new room for ``battery_id``, closed unless ``is_open`` (its proctor opens it); returns its id and proctor
    token."""
    if battery_id not in tx.batteries:
        raise Refusal("bad_request", f"unknown battery {battery_id!r}; loaded: {', '.join(sorted(tx.batteries))}")
    try:
        clean = check_text(name)
    except ValueError as exc:
        raise Refusal("bad_request", f"room name {exc}") from None
    room = RoomRecord(new_room_id(), clean, battery_id, tx.now_ms(), is_open)
    token = new_proctor_token()
    await tx.store.create_room(room, token)
    shown = show_proctor_token(token)
    return {"room_id": room.room_id, "name": room.name, "battery": battery_id, "open": is_open, "proctor_token": shown}


def _check_rows(rows: Any) -> list[tuple[str, str]]:
    if not isinstance(rows, list) or not rows:
        raise Refusal("bad_request", "'candidates' must be a non-empty list")
    if len(rows) > _MAX_ROSTER:
        raise Refusal("bad_request", f"a roster holds at most {_MAX_ROSTER} candidates per request")
    out = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise Refusal("bad_request", f"candidate {i}: must be an object with 'employee_id' and 'name'")
        employee_id, name = (_field(row.get(f), f"candidate {i}", f) for f in ("employee_id", "name"))
        out.append((employee_id, name))
    return out


def _field(value: Any, where: str, fieldname: str) -> str:
    try:
        return check_text(value)
    except ValueError as exc:
        raise Refusal("bad_request", f"{where}: '{fieldname}' {exc}") from None


class _Lines:
    """The physical lines of a text, as the csv reader takes them; ``record`` holds those of the row being read."""

    def __init__(self, text: str) -> None:
        self._lines = iter(io.StringIO(text, newline=""))  # \n, \r\n and \r end a line; none is translated
        self.record: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.record.append(line)
        return line


def parse_roster_csv(body: str) -> list[dict[str, str]]:
    """Checked rows of a CSV roster with a header naming ``employee_id`` and ``name`` (comma or semicolon separated).

    Rows whose cells are all blank are skipped; other columns are ignored. A row is refused (``bad_request``
    naming its line and field) when the CSV is malformed (an unterminated quote, text after a closing quote, a field
    over the csv module's limit) or a field breaks the text rule (:func:`check_text`: so a quoted field holding a
    line break is refused too).
    """
    text = body.lstrip("\ufeff")
    first = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    # only the delimiter is guessed: the rest is the spreadsheet dialect (doubled quotes inside quoted fields)
    delimiter = ";" if first.count(";") > first.count(",") else ","
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header: list[str] | None = None
    columns: tuple[int, int] = (0, 0)
    rows: list[dict[str, str]] = []
    while True:
        line = reader.line_num + 1  # where the row starts
        lines.record.clear()
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            column = _faulty_column("".join(lines.record), delimiter)
            where = f"line {line}"
            if column is not None:
                where += f": '{header[column]}'" if header and column < len(header) else f": column {column + 1}"
            raise Refusal("bad_request", f"CSV roster: {where}: {exc}") from None
        if header is None:
            header = [h.strip().lower() for h in cells]
            columns = _header_columns(header)
            continue
        if all(not c.strip(_TRIM) for c in cells):
            continue
        if len(rows) == _MAX_ROSTER:
            raise Refusal("bad_request", f"CSV roster: line {line}: a roster holds at most {_MAX_ROSTER} candidates")
        values = [cells[c] if c < len(cells) else "" for c in columns]
        where = f"CSV roster: line {line}"
        rows.append({f: _field(v, where, f) for f, v in zip(("employee_id", "name"), values, strict=True)})
    if header is None:
        _header_columns([])
    return rows


def _header_columns(header: list[str]) -> tuple[int, int]:
    """The columns of ``employee_id`` and ``name`` in the header row."""
    if "employee_id" not in header or "name" not in header:
        raise Refusal("bad_request", "CSV roster: the CSV needs a header row with the columns employee_id and name")
    for fieldname in ("employee_id", "name"):
        if header.count(fieldname) > 1:
            raise Refusal("bad_request", f"CSV roster: line 1: the column '{fieldname}' appears more than once")
    return header.index("employee_id"), header.index("name")


def _faulty_column(raw: str, delimiter: str) -> int | None:
    """The column (from 0) where the raw text of a row the csv reader refused goes wrong: the first field over
    :data:`_MAX_FIELD`, text after a closing quote, or a quote never closed; None when none is found."""
    i, column, length, quoted = 0, 0, 0, False
    while i < len(raw):
        ch = raw[i]
        if quoted:
            if ch == '"' and raw.startswith('"', i + 1):  # a doubled quote: one quote of the field
                length += 1
                i += 1
            elif ch == '"':
                quoted = False
                if raw[i + 1 : i + 2] not in ("", delimiter, "\r", "\n"):
                    return column
            else:
                length += 1
        elif ch == '"' and length == 0:
            quoted = True
        elif ch == delimiter:
            column, length = column + 1, 0
        elif ch not in "\r\n":
            length += 1
        if length > _MAX_FIELD:
            return column
        i += 1
    return column if quoted else None


async def register(
    tx: Transactions, room_id: str, rows: Any, idempotency_key: str | None = None
) -> list[dict[str, str]]:
    """Register a roster in a room: one session and token per candidate, all or none.

    With ``idempotency_key`` (the request's ``Idempotency-Key``) a repeated request, e.g. a retry after a lost
    reply, registers nothing and gets the reply of the first: the same sessions and tokens.

    Raises
    ------
    Refusal
        ``not_found`` for an unknown room, ``bad_request`` for a malformed row or a battery not loaded here,
        ``duplicate_employee`` for a repeated employee id.
    """
    if not is_room_id(room_id):
        raise Refusal("not_found", f"no room {room_id[:40]!a}")
    checked = _check_rows(rows)  # before any store call: a refused roster touches nothing
    room = await tx.store.get_room(room_id)
    if room is None:
        raise Refusal("not_found", f"no room {room_id!r}")
    if room.archived:
        raise Refusal("bad_request", f"room {room_id} is archived: its roster is final")
    battery = tx.batteries.get(room.battery_id)
    if battery is None:
        raise Refusal("bad_request", f"the room's battery {room.battery_id!r} is not loaded in this server")
    numbers = await tx.store.next_session_numbers(room_id, len(checked))
    records = []
    reply: list[dict[str, str]] = []
    for number, (employee_id, name) in zip(numbers, checked, strict=True):
        token = new_candidate_token()
        cand = CandidateRecord(f"{room_id}-{number:04d}", employee_id, name, token_digest(token))
        state = core.new_session(battery, secrets.randbits(62), pretest_key=pretest_key_of(cand.session_id))
        records.append((cand, codec.encode(state)))
        reply.append({"employee_id": employee_id, "name": name, "session_id": cand.session_id, "token": token})
    if idempotency_key is None:
        await tx.store.add_candidates(room_id, records)
        return reply
    # the reply is kept sealed with the idempotency key: the store holds no token in plain text
    kept = seal(idempotency_key, orjson.dumps(reply))
    earlier = await tx.store.add_candidates(room_id, records, (idempotency_key, kept))
    if earlier is None:
        return reply
    opened = open_sealed(idempotency_key, earlier)
    if opened is None:  # kept by an earlier version, in plain text
        opened = earlier
    return list(orjson.loads(opened))
