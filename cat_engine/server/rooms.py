"""Administration use cases: create rooms and register rosters.

A roster is registered all or none: one session (with its own random seed) and one candidate token per row. A bad
row is refused as ``bad_request`` naming the row and field; an employee id already in the room (or twice in the
roster) as ``duplicate_employee`` with that id. Results for the HR system are in :mod:`.results`.
"""

from __future__ import annotations

import csv
import io
import secrets
from typing import Any

import orjson

from .. import codec
from .. import session as core
from .auth import new_candidate_token, new_proctor_token, new_room_id
from .store import CandidateRecord, RoomRecord
from .transaction import Transactions
from .wire_errors import Refusal

__all__ = ["create_room", "parse_roster_csv", "register"]

_MAX_ROSTER = 2000
_MAX_FIELD = 200


async def create_room(tx: Transactions, name: str, battery_id: str) -> dict[str, Any]:
    """A new room for ``battery_id``; returns its id and proctor token."""
    if battery_id not in tx.batteries:
        raise Refusal("bad_request", f"unknown battery {battery_id!r}; loaded: {', '.join(sorted(tx.batteries))}")
    if not name.strip() or len(name) > _MAX_FIELD:
        raise Refusal("bad_request", f"a room name must be 1 to {_MAX_FIELD} characters")
    room = RoomRecord(new_room_id(), name.strip(), battery_id, tx.now_ms())
    token = new_proctor_token()
    await tx.store.create_room(room, token)
    return {"room_id": room.room_id, "name": room.name, "battery": battery_id, "proctor_token": token}


def _check_rows(rows: Any) -> list[tuple[str, str]]:
    if not isinstance(rows, list) or not rows:
        raise Refusal("bad_request", "'candidates' must be a non-empty list")
    if len(rows) > _MAX_ROSTER:
        raise Refusal("bad_request", f"a roster holds at most {_MAX_ROSTER} candidates per request")
    out = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise Refusal("bad_request", f"candidate {i}: must be an object with 'employee_id' and 'name'")
        for fieldname in ("employee_id", "name"):
            value = row.get(fieldname)
            if not isinstance(value, str) or not value.strip() or len(value) > _MAX_FIELD:
                raise Refusal(
                    "bad_request", f"candidate {i}: '{fieldname}' must be a non-empty string of at most {_MAX_FIELD}"
                )
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
        raise Refusal("bad_request", "CSV roster: the CSV needs a header row with the columns employee_id and name")
    rows = []
    for raw in reader:
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
        if not any(row.values()):
            continue
        rows.append({"employee_id": row.get("employee_id", ""), "name": row.get("name", "")})
    return rows


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
    room = await tx.store.get_room(room_id)
    if room is None:
        raise Refusal("not_found", f"no room {room_id!r}")
    checked = _check_rows(rows)
    battery = tx.batteries.get(room.battery_id)
    if battery is None:
        raise Refusal("bad_request", f"the room's battery {room.battery_id!r} is not loaded in this server")
    numbers = await tx.store.next_session_numbers(room_id, len(checked))
    records = []
    for number, (employee_id, name) in zip(numbers, checked, strict=True):
        cand = CandidateRecord(f"{room_id}-{number:04d}", employee_id, name, new_candidate_token())
        records.append((cand, codec.encode(core.new_session(battery, secrets.randbits(62)))))
    reply = [
        {"employee_id": c.employee_id, "name": c.name, "session_id": c.session_id, "token": c.token} for c, _ in records
    ]
    if idempotency_key is None:
        await tx.store.add_candidates(room_id, records)
        return reply
    earlier = await tx.store.add_candidates(room_id, records, (idempotency_key, orjson.dumps(reply)))
    return reply if earlier is None else list(orjson.loads(earlier))
