"""Results for the HR system: the record a session leaves when it is over, and the rows, CSV and XLSX made of them.

A result names what produced it: the battery id and version, and each subtest's pool id and version
(docs/protocol.md, "Result rows"). It also holds the integrity flags the sitting raised (their kinds, in the order
raised) and the statistics of its final screening (:func:`cat_engine.session_integrity.screen_session`): the rows
carry the flags and each statistic's p-value, evidence for a person to review beside the scores they never change.

The files are made by :mod:`.spreadsheet`: names are texts people typed, so the CSV defuses formulas and the XLSX
types them as text; theta, SE, the level's probability, the counts and the p-values stay numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import orjson

from ..aberrance import KINDS
from ..battery import Battery
from ..session import SessionState, profile
from ..session_integrity import screen_session
from .spreadsheet import Cell, to_csv, to_xlsx
from .store import CandidateRecord, Store, room_of

__all__ = ["INTEGRITY_COLUMNS", "RESULT_COLUMNS", "result_record", "result_rows", "rows_to_csv", "rows_to_xlsx"]

INTEGRITY_COLUMNS = tuple(f"p_{kind}" for kind in KINDS)
"""The p-value of each integrity statistic of the final screening, by the flag kind it raises."""

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
    "level_probability",
    "scaled_score",
    "items",
    "time_s",
    "stop_reason",
    "complete",
    "status",
    "notes",
    "flags",
    *INTEGRITY_COLUMNS,
)


def result_record(candidate: CandidateRecord, battery: Battery, state: SessionState) -> bytes:
    """The result a finished or terminated session leaves: who, how it ended, which pools, the full profile, the
    notes, the integrity flags raised and the statistics of the final screening (``integrity``: each statistic's
    name, kind, value, p-value, threshold, whether it flagged and its number of responses)."""
    screening = screen_session(battery, state)
    return orjson.dumps(
        {
            "session_id": candidate.session_id,
            "room_id": room_of(candidate.session_id),
            "employee_id": candidate.employee_id,
            "name": candidate.name,
            "status": state.phase.value,
            "terminated_reason": state.terminated_reason,
            "pools": list(state.pools),
            "profile": profile(battery, state).to_dict(),
            "notes": [{"at_ms": n.at_ms, "text": n.text} for n in state.notes],
            "flags": list(state.flags),
            "integrity": [s.to_dict() for s in screening.statistics],
        }
    )


async def result_rows(store: Store, room_id: str) -> list[dict[str, Any]]:
    """One row per candidate and subtest done, of the room's finished and terminated sessions."""
    rows: list[dict[str, Any]] = []
    for session_id, raw in (await store.results(room_id)).items():
        result = orjson.loads(raw)
        rows.extend(_row(room_id, session_id, result, sub) for sub in result["profile"]["subtests"])
    return rows


def _row(room_id: str, session_id: str, result: dict[str, Any], sub: dict[str, Any]) -> dict[str, Any]:
    profile_ = result["profile"]
    return {
        "room_id": room_id,
        "session_id": session_id,
        "employee_id": result["employee_id"],
        "name": result["name"],
        "battery_id": profile_["battery_id"],
        "battery_version": profile_["battery_version"],
        "subtest": sub["subtest_id"],
        "pool_version": f"{sub['pool_id']}@{sub['pool_version']}",
        "theta": sub["theta"],
        "se": sub["se"],
        "level": sub["level"],
        "level_probability": sub.get("level_probability"),  # results stored before it existed have none
        "scaled_score": sub["scaled_score"],
        "items": sub["items_administered"],
        "time_s": sub["time_used_s"],
        "stop_reason": sub["stop_reason"],
        "complete": profile_["complete"],
        "status": result["status"],
        "notes": _notes(result.get("notes", [])),  # results stored before notes existed have none
        "flags": ";".join(result.get("flags", [])),  # results stored before flags existed have none
        **_p_values(result.get("integrity", [])),
    }


def _notes(notes: list[dict[str, Any]]) -> str:
    """The proctors' incident notes in one cell: oldest first, one per line."""
    return "\n".join(n["text"] for n in notes)


def _p_values(statistics: list[dict[str, Any]]) -> dict[str, float | None]:
    """Each statistic's p-value to 4 significant digits, by kind (None: not computed, too few responses)."""
    found = {s["kind"]: s["p_value"] for s in statistics}
    out: dict[str, float | None] = {}
    for column, kind in zip(INTEGRITY_COLUMNS, KINDS, strict=True):
        p = found.get(kind)
        out[column] = float(f"{p:.4g}") if isinstance(p, int | float) and math.isfinite(p) else None
    return out


def _table(rows: Sequence[dict[str, Any]]) -> list[list[Cell]]:
    return [[row[c] for c in RESULT_COLUMNS] for row in rows]


def rows_to_csv(rows: Sequence[dict[str, Any]]) -> str:
    """The results CSV: a header of :data:`RESULT_COLUMNS`, then the rows, LF line ends, spreadsheet-safe."""
    return to_csv(RESULT_COLUMNS, _table(rows), line_end="\n")


def rows_to_xlsx(rows: Sequence[dict[str, Any]]) -> bytes:
    """The results as an XLSX workbook (sheet ``results``): texts as text, numbers as numbers. CPU-bound: about a
    second for 5,000 rows, so a server calls it off the event loop."""
    return to_xlsx(RESULT_COLUMNS, _table(rows), title="results")
