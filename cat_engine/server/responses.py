"""The responses export of a room (``GET /api/rooms/{room_id}/responses``, admin token; docs/protocol.md).

One row per applied answer of every session of the room, in the sessions' registration order and each session's
answer order, built from the audit: a ``presented`` entry names the subtest, the item and (newer audits) the
operational interim estimate ``theta``/``se`` when it was shown and ``"pretest": true`` on a pretest item; the
applied ``answer`` entry with the same ``seq`` gives the stored ``option``, ``response_ms`` and ``at_ms``. The
rows (:data:`COLUMNS`) are what ``cat-calibrate`` (online calibration, docs/calibration.md) and
``cat-pool times`` read:

* ``position``: 1-based order of the item among the items the subtest presented, pretest items included;
* ``pool_id``/``pool_version``: of the pool the item is in (the subtest's pretest pool for a pretest item), as the
  sitting began with it;
* ``category``: the score category of the option by that pool's scoring (pool.scoring), null for an item the
  pool does not hold (a pretest item of an audit whose battery has no pretest pool any more);
* ``theta_before``/``se_before``: the presented entry's estimate; ``theta_after``/``se_after``: the next presented
  entry's in the same subtest, the subtest's reported result when the answer was its last, and equal to before on
  a pretest answer (a pretest item never moves the estimate); null where the audit has none (audits written before
  the estimate was recorded, or a subtest still running);
* ``final_theta``/``final_se``: the subtest's reported result (the stored result of a session that is over, else
  the subtests the session has ended so far), null while the subtest runs.

No names or employee ids: the sessions are named by id only. Parsing runs off the event loop (like
:mod:`.integrity`). ``?format=csv`` gives the same rows as CSV (spreadsheet-safe writer, :mod:`.spreadsheet`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from .. import codec
from ..battery import Battery
from ..calibration_data import EXPORT_COLUMNS
from ..pool import Pool
from ..session import SessionState, profile
from .hub import Hub
from .spreadsheet import Cell, to_csv
from .store import SessionRecord, Store
from .wire_errors import Refusal

__all__ = ["COLUMNS", "get_responses", "room_rows", "rows_to_csv", "rows_to_jsonl", "session_rows"]

COLUMNS = EXPORT_COLUMNS
"""The columns of a row (the keys of a JSON line, in this order)."""

Row = dict[str, Any]


def _pool_versions(battery: Battery, state: SessionState) -> dict[tuple[int, bool], tuple[str, str]]:
    """``(pool_id, pool_version)`` the sitting began with, by (subtest index, pretest): ``state.pools`` lists the
    operational pools in subtest order, then the pretest pools of the subtests that have one (older states: the
    operational ones only)."""
    order = [(i, False) for i in range(len(battery.subtests))]
    order += [(i, True) for i, s in enumerate(battery.subtests) if s.pretest is not None]
    out = {}
    for key, text in zip(order, state.pools, strict=False):
        pool_id, _, version = text.rpartition("@")
        out[key] = (pool_id, version)
    return out


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _category(pool: Pool | None, item_id: str, option: Any) -> int | None:
    if pool is None or not isinstance(option, int):
        return None
    try:
        index = pool.index_of(item_id)
    except KeyError:
        return None
    row = pool.scoring[index]
    return int(row[option]) if 0 <= option < row.size and row[option] >= 0 else None


def _finals(result: Mapping[str, Any] | None, battery: Battery, state: SessionState) -> dict[str, tuple[Any, Any]]:
    """``(theta, se)`` reported for each subtest that ended, by subtest id: from the stored result of a session
    that is over (``profile.subtests``, as :mod:`.results` reads it), else from the state's ended subtests."""
    subs = result["profile"]["subtests"] if result is not None else profile(battery, state).to_dict()["subtests"]
    return {s["subtest_id"]: (_number(s["theta"]), _number(s["se"])) for s in subs}


def session_rows(
    room_id: str,
    battery: Battery,
    record: SessionRecord,
    entries: Sequence[bytes],
    result: Mapping[str, Any] | None,
) -> list[Row]:
    """The rows of one session from its audit ``entries`` (stored order) and its stored ``result`` (None while it
    is not over)."""
    state = codec.decode(battery, record.state)
    subtests = {s.id: (i, s) for i, s in enumerate(battery.subtests)}
    finals = _finals(result, battery, state)
    began = _pool_versions(battery, state)
    presented: dict[int, dict[str, Any]] = {}  # by seq
    shown: dict[str, list[int]] = {}  # seqs presented in each subtest, in order
    answers: list[dict[str, Any]] = []
    for raw in entries:
        entry = orjson.loads(raw)
        kind = entry.get("kind")
        if kind == "presented" and isinstance(entry.get("seq"), int):
            presented[entry["seq"]] = entry
            shown.setdefault(str(entry.get("subtest")), []).append(entry["seq"])
        elif kind == "answer" and "outcome" not in entry and "item_id" in entry:
            answers.append(entry)
    rows: list[Row] = []
    for answer in answers:
        shown_entry = presented.get(answer["seq"])
        if shown_entry is None:  # an answer always follows its item's presentation; skip a torn audit
            continue
        subtest_id = str(shown_entry.get("subtest"))
        index, sub = subtests.get(subtest_id, (None, None))
        seqs = shown[subtest_id]
        place = seqs.index(answer["seq"])
        pretest = shown_entry.get("pretest") is True
        before = (_number(shown_entry.get("theta")), _number(shown_entry.get("se")))
        final = finals.get(subtest_id, (None, None))
        if pretest:
            after = before
        elif place + 1 < len(seqs):
            following = presented[seqs[place + 1]]
            after = (_number(following.get("theta")), _number(following.get("se")))
        else:
            after = final
        pool: Pool | None = None
        pool_id = pool_version = None
        if sub is not None and index is not None:
            pool = sub.pretest.pool if pretest and sub.pretest is not None else sub.pool
            pool_id, pool_version = began.get((index, pretest), (pool.pool_id, pool.pool_version))
        item_id = str(answer["item_id"])
        rows.append(
            {
                "room_id": room_id,
                "session_id": record.session_id,
                "battery_id": state.battery_id,
                "battery_version": state.battery_version,
                "subtest_id": subtest_id,
                "pool_id": pool_id,
                "pool_version": pool_version,
                "item_id": item_id,
                "pretest": pretest,
                "position": place + 1,
                "option": answer.get("option"),
                "category": _category(pool, item_id, answer.get("option")),
                "response_ms": answer.get("response_ms"),
                "at_ms": answer.get("at_ms"),
                "theta_before": before[0],
                "se_before": before[1],
                "theta_after": after[0],
                "se_after": after[1],
                "final_theta": final[0],
                "final_se": final[1],
            }
        )
    return rows


async def room_rows(store: Store, room_id: str, battery: Battery) -> list[Row]:
    """Every row of the room: audits and results read in turn, parsed off the event loop."""
    records = await store.load_room(room_id)
    results = await store.results(room_id)
    audits = [[entry for _, entry in await store.audit(r.session_id)] for r in records]

    def build() -> list[Row]:
        rows: list[Row] = []
        for record, entries in zip(records, audits, strict=True):
            raw = results.get(record.session_id)
            result = None if raw is None else orjson.loads(raw)
            rows.extend(session_rows(room_id, battery, record, entries, result))
        return rows

    return await asyncio.to_thread(build)


def rows_to_jsonl(rows: Sequence[Row]) -> bytes:
    """One JSON object per line (keys in :data:`COLUMNS` order), LF line ends."""
    return b"".join(orjson.dumps({c: row[c] for c in COLUMNS}) + b"\n" for row in rows)


def rows_to_csv(rows: Sequence[Row]) -> str:
    """A header of :data:`COLUMNS`, then the rows, LF line ends, spreadsheet-safe (``pretest`` as True/False, null
    as an empty cell)."""
    table: list[list[Cell]] = [[row[c] for c in COLUMNS] for row in rows]
    return to_csv(COLUMNS, table, line_end="\n")


async def get_responses(request: Request, hub: Hub) -> Response:
    """``GET /api/rooms/{room_id}/responses[?format=jsonl|csv]`` (registered with the admin routes)."""
    room_id = request.path_params["room_id"]
    room = await hub.store.get_room(room_id)
    if room is None:
        raise Refusal("not_found", f"no room {room_id!r}")
    fmt = request.query_params.get("format", "jsonl")
    if fmt not in ("jsonl", "csv"):
        raise Refusal("bad_request", "format must be jsonl or csv")
    battery = await hub.tx.battery_of(room_id)
    rows = await room_rows(hub.store, room_id, battery)
    if fmt == "csv":
        body: str | bytes = rows_to_csv(rows)
        media = "text/csv; charset=utf-8"
    else:
        body = await asyncio.to_thread(rows_to_jsonl, rows)
        media = "application/x-ndjson"
    disposition = f'attachment; filename="responses-{room_id}.{fmt}"'
    return Response(body, media_type=media, headers={"content-disposition": disposition})
