"""Administration use cases: create rooms, register a roster, collect results for the HR system."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Sequence
from typing import Any

import orjson

from .. import session as core
from .auth import new_candidate_token, new_proctor_token, new_room_id
from .sessions import Sessions, summary_of
from .store import CandidateRecord, RoomRecord

__all__ = [
    "RESULT_COLUMNS",
    "RosterError",
    "create_room",
    "parse_roster_csv",
    "register",
    "result_rows",
    "rows_to_csv",
]

RESULT_COLUMNS = (
    "room_id",
    "session_id",
    "employee_id",
    "name",
    "battery_id",
    "battery_version",
    "subtest",
    "pool_version",
    "theta",
    "se",
    "level",
    "scaled_score",
    "items",
    "time_s",
    "stop_reason",
    "complete",
    "status",
)
_MAX_ROSTER = 2000
_MAX_FIELD = 200


class RosterError(ValueError):
    """A roster that cannot be registered; the message names the row and field."""


async def create_room(sessions: Sessions, name: str, battery_id: str) -> dict[str, Any]:
    """A new room for ``battery_id``; returns its id and proctor token."""
    if battery_id not in sessions.batteries:
        raise RosterError(f"unknown battery {battery_id!r}; loaded: {', '.join(sorted(sessions.batteries))}")
    if not name.strip() or len(name) > _MAX_FIELD:
        raise RosterError(f"a room name must be 1 to {_MAX_FIELD} characters")
    room = RoomRecord(new_room_id(), name.strip(), battery_id, sessions.now_ms())
    token = new_proctor_token()
    await sessions.store.create_room(room, token)
    return {"room_id": room.room_id, "name": room.name, "battery": battery_id, "proctor_token": token}


def _check_rows(rows: Any) -> list[tuple[str, str]]:
    if not isinstance(rows, list) or not rows:
        raise RosterError("'candidates' must be a non-empty list")
    if len(rows) > _MAX_ROSTER:
        raise RosterError(f"a roster holds at most {_MAX_ROSTER} candidates per request")
    out = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise RosterError(f"candidate {i}: must be an object with 'employee_id' and 'name'")
        for fieldname in ("employee_id", "name"):
            value = row.get(fieldname)
            if not isinstance(value, str) or not value.strip() or len(value) > _MAX_FIELD:
                raise RosterError(f"candidate {i}: '{fieldname}' must be a non-empty string of at most {_MAX_FIELD}")
        out.append((row["employee_id"].strip(), row["name"].strip()))
    return out


def parse_roster_csv(body: str) -> list[dict[str, str]]:
    """Rows of a CSV roster with a header naming ``employee_id`` and ``name`` (comma or semicolon separated)."""
    lines = body.lstrip("\ufeff")
    first = lines.split("\n", 1)[0]
    # only the delimiter is guessed: the rest is the spreadsheet dialect (doubled quotes inside quoted fields)
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(lines), delimiter=delimiter)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "employee_id" not in header or "name" not in header:
        raise RosterError("the CSV needs a header row with the columns employee_id and name")
    rows = []
    for raw in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
        if not any(row.values()):
            continue
        rows.append({"employee_id": row.get("employee_id", ""), "name": row.get("name", "")})
    return rows


async def register(sessions: Sessions, room_id: str, rows: Any) -> list[dict[str, str]]:
    """Register a roster in a room: one session and token per candidate, all or none.

    Raises
    ------
    RosterError
        On a malformed row; :class:`~.store.DuplicateEmployee` on a repeated employee id; LookupError on an
        unknown room.
    """
    room = await sessions.store.get_room(room_id)
    if room is None:
        raise LookupError(room_id)
    checked = _check_rows(rows)
    battery = sessions.batteries.get(room.battery_id)
    if battery is None:
        raise RosterError(f"the room's battery {room.battery_id!r} is not loaded in this server")
    numbers = await sessions.store.next_session_numbers(room_id, len(checked))
    summary = orjson.dumps(summary_of({}, [], None))  # nothing heard from the candidate yet
    records = []
    for number, (employee_id, name) in zip(numbers, checked, strict=True):
        cand = CandidateRecord(f"{room_id}-{number:04d}", employee_id, name, new_candidate_token())
        state = core.new_session(battery, secrets.randbits(62))
        records.append((cand, core.encode(state), summary))
    await sessions.store.add_candidates(room_id, records)
    return [
        {"employee_id": c.employee_id, "name": c.name, "session_id": c.session_id, "token": c.token}
        for c, _, _ in records
    ]


async def result_rows(sessions: Sessions, room_id: str) -> list[dict[str, Any]]:
    """One row per candidate and subtest done, of the room's finished and terminated sessions (docs/protocol.md)."""
    rows: list[dict[str, Any]] = []
    for sid, raw in (await sessions.store.results(room_id)).items():
        result = orjson.loads(raw)
        rows.extend(_result_row(room_id, sid, result, sub) for sub in result["profile"]["subtests"])
    return rows


def _result_row(room_id: str, session_id: str, result: dict[str, Any], sub: dict[str, Any]) -> dict[str, Any]:
    profile = result["profile"]
    return {
        "room_id": room_id,
        "session_id": session_id,
        "employee_id": result["employee_id"],
        "name": result["name"],
        "battery_id": profile["battery_id"],
        "battery_version": profile["battery_version"],
        "subtest": sub["subtest_id"],
        "pool_version": f"{sub['pool_id']}@{sub['pool_version']}",
        "theta": sub["theta"],
        "se": sub["se"],
        "level": sub["level"],
        "scaled_score": sub["scaled_score"],
        "items": sub["items_administered"],
        "time_s": sub["time_used_s"],
        "stop_reason": sub["stop_reason"],
        "complete": profile["complete"],
        "status": result["status"],
    }


def rows_to_csv(rows: Sequence[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=RESULT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
