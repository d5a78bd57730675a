"""The integrity report of a room (``GET /api/rooms/{room_id}/integrity``, admin token; docs/protocol.md).

Per session: who, its phase, the integrity flags it raised (kinds, in the order raised) and every statistic of its
screening (:func:`cat_engine.session_integrity.screen_session`: the final look once the sitting is over, the interim
look of the moment while it runs). Per room: the answer-timing statistics across its sessions
(:func:`cat_engine.room_timing.room_timing`): groups of sessions that look served by one operator, or answering in
lockstep, with the sessions named by id.

The room timing reads each session's audit: an applied ``answer`` entry gives the server time the answer arrived
(``at_ms``) and its ``response_ms``, what :mod:`cat_engine.room_timing` needs. Sessions with no applied answer take no
part. Like every flag, these are evidence for a person to review; nothing here changes a result.

``?format=csv`` gives one row per session (:data:`CSV_COLUMNS`) through the spreadsheet-safe writer
(:mod:`.spreadsheet`); ``room_flags`` names the room-level flags the session is in, each as its kind followed by the
ids of the group's sessions, separated by ``"; "``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from starlette.requests import Request
from starlette.responses import Response

from .. import codec
from ..aberrance import KINDS
from ..battery import Battery
from ..room_timing import RoomTiming, TimingConfig, room_timing
from ..session_integrity import is_over, screen_session
from .hub import Hub
from .spreadsheet import Cell, to_csv
from .store import RoomRecord, SessionRecord, Store
from .wire_errors import Refusal

__all__ = [
    "CSV_COLUMNS",
    "SeatAnswers",
    "get_integrity",
    "report_csv",
    "room_report",
    "room_seats",
    "seat_answers",
    "timing_report",
]

CSV_COLUMNS = (
    "session_id",
    "employee_id",
    "name",
    "phase",
    "look",
    "flags",
    "room_flags",
    *(column for kind in KINDS for column in (kind, f"p_{kind}")),
)
"""The CSV's columns: per session its flags, the room-level flags it is in, and each statistic's value and p-value
(by the kind it flags; empty when it was not computed)."""


@dataclass(frozen=True)
class SeatAnswers:
    """A session's applied answers as :func:`~cat_engine.room_timing.room_timing` reads them."""

    session_id: str
    arrival_ms: tuple[int, ...]
    response_ms: tuple[int, ...]


def seat_answers(session_id: str, entries: Sequence[bytes]) -> SeatAnswers:
    """The server time and response time of each applied answer in a session's audit ``entries`` (in stored order).

    The audit is in commit order; a session moved between server processes may see a clock a few ms behind, so
    an arrival earlier than the one before is taken at that one's time (room timing needs them in order)."""
    arrival: list[int] = []
    response: list[int] = []
    for raw in entries:
        entry = orjson.loads(raw)
        if entry.get("kind") != "answer" or "outcome" in entry or not isinstance(entry.get("response_ms"), int):
            continue
        at = int(entry["at_ms"])
        arrival.append(max(at, arrival[-1]) if arrival else at)
        response.append(int(entry["response_ms"]))
    return SeatAnswers(session_id, tuple(arrival), tuple(response))


def timing_report(seats: Sequence[SeatAnswers], config: TimingConfig | None = None) -> dict[str, Any]:
    """The room-level part of the report: the seats taken part (sessions with an answer), those with enough answers
    to be tested, each kind's threshold, and the flagged groups with their sessions' ids and answer arrivals."""
    taking = [s for s in seats if s.arrival_ms]
    if len(taking) < 2:
        return {"seats": len(taking), "eligible_seats": 0, "thresholds": {}, "flags": []}
    timing: RoomTiming = room_timing(
        [np.asarray(s.arrival_ms, dtype=np.float64) for s in taking],
        [np.asarray(s.response_ms, dtype=np.float64) for s in taking],
        config,
    )
    flags = [
        {
            "kind": f.kind,
            "sessions": [taking[i].session_id for i in f.seats],
            "statistic": f.statistic,
            "p_value": f.p_value,
            "threshold": f.threshold,
            # what the admin page's timing plot draws: each of the group's sessions' answer arrivals (server ms)
            "arrival_ms": [list(taking[i].arrival_ms) for i in f.seats],
        }
        for f in timing.flags
    ]
    return {
        "seats": len(taking),
        "eligible_seats": timing.eligible_seats,
        "thresholds": dict(timing.thresholds),
        "flags": flags,
    }


def _session_entry(battery: Battery, record: SessionRecord) -> dict[str, Any]:
    state = codec.decode(battery, record.state)
    screening = screen_session(battery, state)
    return {
        "session_id": record.session_id,
        "employee_id": record.candidate.employee_id,
        "name": record.candidate.name,
        "phase": state.phase.value,
        "look": "final" if is_over(state) else "interim",
        "flags": list(state.flags),
        "statistics": [s.to_dict() for s in screening.statistics],
    }


def _assemble(
    room: RoomRecord, battery: Battery, records: Sequence[SessionRecord], seats: Sequence[SeatAnswers], now_ms: int
) -> dict[str, Any]:
    return {
        "room_id": room.room_id,
        "battery": {"id": battery.id, "version": battery.version},
        "at_ms": now_ms,
        "sessions": [_session_entry(battery, r) for r in records],
        "room_timing": timing_report(seats),
    }


async def room_seats(store: Store, records: Sequence[SessionRecord]) -> list[SeatAnswers]:
    """The applied answers of each of ``records``' sessions, from their audits (read in turn, parsed off the event
    loop); also what :mod:`.room_watch` evaluates."""
    audits = [(r.session_id, [entry for _, entry in await store.audit(r.session_id)]) for r in records]
    return await asyncio.to_thread(lambda: [seat_answers(sid, entries) for sid, entries in audits])


async def room_report(store: Store, room: RoomRecord, battery: Battery, now_ms: int) -> dict[str, Any]:
    """The integrity report of ``room`` (the screening and the timing statistics computed off the event loop)."""
    records = await store.load_room(room.room_id)
    seats = await room_seats(store, records)
    return await asyncio.to_thread(_assemble, room, battery, records, seats, now_ms)


def report_csv(report: dict[str, Any]) -> str:
    """The report as CSV: one row per session (:data:`CSV_COLUMNS`), LF line ends, spreadsheet-safe."""
    in_flags: dict[str, list[str]] = {}
    for f in report["room_timing"]["flags"]:
        for sid in f["sessions"]:
            in_flags.setdefault(sid, []).append(" ".join([f["kind"], *f["sessions"]]))
    rows: list[list[Cell]] = []
    for s in report["sessions"]:
        by_kind = {st["kind"]: st for st in s["statistics"]}
        values: list[Cell] = []
        for kind in KINDS:
            st = by_kind.get(kind)
            values += [None, None] if st is None else [_finite(st["value"]), _finite(st["p_value"])]
        head: list[Cell] = [s["session_id"], s["employee_id"], s["name"], s["phase"], s["look"]]
        rows.append([*head, ";".join(s["flags"]), "; ".join(in_flags.get(s["session_id"], [])), *values])
    return to_csv(CSV_COLUMNS, rows, line_end="\n")


def _finite(value: Any) -> float | None:
    """A statistic's number for a spreadsheet: None (an empty cell) when it is not finite."""
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


async def get_integrity(request: Request, hub: Hub) -> Response:
    """``GET /api/rooms/{room_id}/integrity[?format=json|csv]`` (registered with the admin routes)."""
    room_id = request.path_params["room_id"]
    room = await hub.store.get_room(room_id)
    if room is None:
        raise Refusal("not_found", f"no room {room_id!r}")
    fmt = request.query_params.get("format", "json")
    if fmt not in ("json", "csv"):
        raise Refusal("bad_request", "format must be json or csv")
    battery = await hub.tx.battery_of(room_id)
    report = await room_report(hub.store, room, battery, hub.tx.now_ms())
    if fmt == "csv":
        return Response(
            report_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="integrity-{room_id}.csv"'},
        )
    return Response(orjson.dumps(report), media_type="application/json")
