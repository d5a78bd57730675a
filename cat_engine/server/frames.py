"""Server frames out (docs/protocol.md): every frame the server sends, to candidates and to proctors.

The candidate frames are the one place that decides what a candidate may see: item id, stem, option texts,
progress and time left; never a key, weight, parameter, content area, theta or SE (the tests look for such keys in
every frame a sitting produces, with a list of their own), nor whether an item is a pretest item: a pretest item's
frame has the shape of any other, the progress counts it, and the limits shown include the pretest items and their
time (``Subtest.items_max``, ``Subtest.time_allowed_s``). The proctor frames carry the session views of
:mod:`cat_engine.view`, the room's events, the detail of a session and the acknowledgements of commands. What
clients send is decoded in :mod:`.decoding`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from ..battery import Battery
from ..events import Event, SubtestDone
from ..options import current_order
from ..session import Phase, SessionState, intro_ends_ms, time_left_ms
from ..session import profile as session_profile
from ..session_pretest import presented_item
from ..stopping import StopReason
from ..view import SessionView
from .store import CandidateRecord, RoomRecord
from .wire_errors import Refusal

__all__ = [
    "PONG",
    "ack_frame",
    "detail_frame",
    "error_frame",
    "event_frame",
    "events_frame",
    "finished_frame",
    "gate_ack_frame",
    "item_frame",
    "message_frame",
    "paused_frame",
    "room_events",
    "room_gate_event",
    "room_info",
    "session_summary",
    "snapshot_frame",
    "state_frame",
    "subtest_intro_frame",
    "time_frame",
    "waiting_frame",
    "welcome_frame",
]

PONG = b'{"type":"pong"}'

# --- errors ----------------------------------------------------------------------------------------------------


def error_frame(refusal: Refusal, lang: str) -> bytes:
    """``{"type": "error", "code", "message", ...fields}``."""
    return orjson.dumps({"type": "error", "code": refusal.code, "message": refusal.message(lang), **refusal.fields})


# --- candidate -------------------------------------------------------------------------------------------------


def _seconds(ms: int | None) -> float | None:
    return None if ms is None else round(ms / 1000, 1)


def _previous(battery: Battery, events: Sequence[Event]) -> dict[str, Any] | None:
    """``previous_subtest`` of the frame that follows ``events``: the last subtest they ended, if any."""
    done = [e for e in events if isinstance(e, SubtestDone)]
    if not done:
        return None
    last = done[-1]
    sub = battery.subtests[last.subtest_index]
    reason = "time_up" if last.result.stop_reason == StopReason.TIME_UP.label else "completed"
    return {"id": sub.id, "name": sub.name, "reason": reason}


def waiting_frame(reason: str) -> bytes:
    """``{"type": "waiting", "reason"}``: the candidate waits (``room_closed``: for the proctor to open the room)."""
    return orjson.dumps({"type": "waiting", "reason": reason})


def welcome_frame(battery: Battery, candidate: CandidateRecord) -> bytes:
    """Who the token belongs to, the battery, its instructions and practice items: the screen before ``start``."""
    return orjson.dumps(
        {
            "type": "welcome",
            "candidate": {"name": candidate.name, "employee_id": candidate.employee_id},
            "battery": {
                "name": battery.name,
                "subtests": [
                    {"id": s.id, "name": s.name, "items_max": s.items_max, "time_limit_s": s.time_allowed_s}
                    for s in battery.subtests
                ],
            },
            "instructions": None if battery.instructions is None else battery.instructions.to_dict(),
            "practice": [p.to_dict() for p in battery.practice],
        }
    )


def subtest_intro_frame(
    battery: Battery, state: SessionState, now_ms: int, intro_limit_ms: int, events: Sequence[Event] = ()
) -> bytes:
    """The intro of the subtest about to begin: its clock has not started (``events``: what led here)."""
    sub = battery.subtests[state.subtest_index]
    ends = intro_ends_ms(state, intro_limit_ms)
    frame: dict[str, Any] = {
        "type": "subtest_intro",
        "subtest": {
            "index": state.subtest_index,
            "id": sub.id,
            "name": sub.name,
            "count": len(battery.subtests),
            "items_max": sub.items_max,
            "instructions": None if sub.instructions is None else sub.instructions.to_dict(),
        },
        "time_limit_s": sub.time_allowed_s,
        "starts_in_s": None if ends is None else _seconds(max(ends - now_ms, 0)),
    }
    prev = _previous(battery, events)
    if prev is not None:
        frame["previous_subtest"] = prev
    return orjson.dumps(frame)


def item_frame(battery: Battery, state: SessionState, now_ms: int) -> bytes:
    """The item being presented, as the candidate may see it: its options in the session's order
    (:mod:`cat_engine.options`), never their stored indices."""
    sub = battery.subtests[state.subtest_index]
    pool, index, _ = presented_item(battery, state)  # a pretest item looks like any other
    item = pool.items[index]
    # the options in the session's display order: the answer's response is a position in this list
    options = [item.options[k] for k in current_order(battery, state)]
    frame: dict[str, Any] = {
        "type": "item",
        "seq": state.seq,
        "item": {"id": item.id, "stem": item.stem, "options": options},
        "subtest": {"index": state.subtest_index, "id": sub.id, "name": sub.name, "count": len(battery.subtests)},
        "progress": {
            "answered": len(state.items) + len(state.pretest_items),
            "max_items": sub.items_max,
            "subtests_done": len(state.done),
            "subtests_total": len(battery.subtests),
        },
        "time_left_s": _seconds(time_left_ms(battery, state, now_ms)),
    }
    return orjson.dumps(frame)


def finished_frame(battery: Battery, state: SessionState, events: Sequence[Event] = ()) -> bytes:
    """The end of the battery, with the candidate's view of the profile when the battery shows it."""
    profile: dict[str, Any] | None = None
    if battery.show_profile_to_candidate:
        rows = session_profile(battery, state).subtests
        profile = {
            "battery": {"id": battery.id, "version": battery.version, "name": battery.name},
            "subtests": [
                {
                    "id": r.subtest_id,
                    "name": r.name,
                    "level": r.level,
                    # P(the level is the true one): how far the level can be trusted (null with the level)
                    "level_probability": None if r.level_probability is None else round(r.level_probability, 3),
                    "scaled_score": r.scaled_score,
                    "items": r.n_items,
                    "time_s": round(r.time_used_s, 1),
                }
                for r in rows
            ],
        }
    frame: dict[str, Any] = {"type": "finished", "profile": profile}
    prev = _previous(battery, events)
    if prev is not None:
        frame["previous_subtest"] = prev
    return orjson.dumps(frame)


def paused_frame(reason: str) -> bytes:
    return orjson.dumps({"type": "paused", "reason": reason})


def time_frame(battery: Battery, state: SessionState, now_ms: int, extra_ms: int = 0) -> bytes:
    """The time left, after a proctor's extension of ``extra_ms`` (the candidate is told how much was added)."""
    left = _seconds(time_left_ms(battery, state, now_ms))
    return orjson.dumps({"type": "time", "time_left_s": left, "extended_s": _seconds(extra_ms)})


def message_frame(text: str, at_ms: int) -> bytes:
    """A proctor's message to the candidate, shown until dismissed."""
    return orjson.dumps({"type": "message", "text": text, "at_ms": at_ms})


def state_frame(
    battery: Battery, state: SessionState, now_ms: int, intro_limit_ms: int, events: Sequence[Event] = ()
) -> bytes:
    """The frame that tells a candidate where a started session is: ``subtest_intro``, ``item``, ``paused`` or
    ``finished`` (``events``: what led here, for ``previous_subtest``).

    A session that is READY or TERMINATED has no such frame (the first gets ``welcome`` or ``waiting``, which need
    the candidate and the room; the second is the error ``terminated``): asking for one is a bug.
    """
    if state.phase is Phase.INTRO:
        return subtest_intro_frame(battery, state, now_ms, intro_limit_ms, events)
    if state.phase is Phase.ACTIVE:
        return item_frame(battery, state, now_ms)
    if state.phase is Phase.PAUSED:
        return paused_frame(state.pause_reason)
    if state.phase is Phase.FINISHED:
        return finished_frame(battery, state, events)
    raise ValueError(f"a {state.phase} session has no state frame")


# --- proctor ---------------------------------------------------------------------------------------------------


def session_summary(candidate: CandidateRecord, view: SessionView) -> dict[str, Any]:
    """A session as the snapshot, the room's events and ``GET /api/rooms/{id}`` show it: identity, then the view."""
    return {
        "session_id": candidate.session_id,
        "employee_id": candidate.employee_id,
        "name": candidate.name,
        **view.to_dict(),
    }


def room_info(room: RoomRecord, battery: Battery) -> dict[str, Any]:
    """The ``room`` object of the snapshot and of ``GET /api/rooms/{id}``."""
    return {
        "room_id": room.room_id,
        "name": room.name,
        "open": room.open,
        "archived": room.archived,
        "battery": {"id": battery.id, "version": battery.version, "name": battery.name},
        "subtests": [
            {
                "id": s.id,
                "name": s.name,
                "se_target": s.stopping.se_target,
                "max_items": s.stopping.max_items,
                "time_limit_s": s.time_allowed_s,
            }
            for s in battery.subtests
        ],
    }


def snapshot_frame(room: dict[str, Any], summaries: list[dict[str, Any]], last_event_id: str, at_ms: int) -> bytes:
    return orjson.dumps(
        {"type": "snapshot", "room": room, "sessions": summaries, "last_event_id": last_event_id, "at_ms": at_ms}
    )


def room_events(session_id: str, events: Sequence[Event], summary: dict[str, Any]) -> list[bytes]:
    """The room-stream entries of one change: each event, the last one with the session's summary after it."""
    last = len(events) - 1
    return [
        orjson.dumps(
            {"session_id": session_id, "event": e.to_dict(), "view": summary}
            if i == last
            else {"session_id": session_id, "event": e.to_dict()}
        )
        for i, e in enumerate(events)
    ]


def event_frame(event_id: str, stored: bytes) -> bytes:
    """``{"type": "event", "id": ..., "session_id": ..., "event": ..., "view"?: ...}`` from a room-stream entry."""
    return b'{"type":"event","id":"' + event_id.encode() + b'",' + stored[1:]


def events_frame(rows: list[tuple[str, bytes]]) -> bytes:
    """``{"type": "events", "events": [...]}``: several room events, each as an ``event`` frame without its type."""
    return b'{"type":"events","events":[' + b",".join(b'{"id":"' + i.encode() + b'",' + e[1:] for i, e in rows) + b"]}"


def detail_frame(
    battery: Battery,
    state: SessionState,
    request_id: str | int | None,
    session_id: str,
    trajectory: list[list[tuple[float, float]]],
) -> bytes:
    """The ``detail`` frame: theta and SE after each answer, per subtest reached (``trajectory``), with the
    results of the subtests done."""
    results = session_profile(battery, state).subtests
    subtests = []
    for index, points in enumerate(trajectory):
        sub = battery.subtests[index]
        done = index < len(results)
        subtests.append(
            {
                "index": index,
                "id": sub.id,
                "name": sub.name,
                "se_target": sub.stopping.se_target,
                "status": "done" if done else "current",
                "points": [
                    {"position": k, "theta": round(theta, 4), "se": round(se, 4)}
                    for k, (theta, se) in enumerate(points, 1)
                ],
                "result": results[index].to_dict() if done else None,
            }
        )
    notes = [{"at_ms": n.at_ms, "text": n.text} for n in state.notes]
    return orjson.dumps(
        {"type": "detail", "id": request_id, "session_id": session_id, "subtests": subtests, "notes": notes}
    )


def room_gate_event(is_open: bool, at_ms: int, *, archived: bool = False) -> bytes:
    """The room-stream entry of ``open_room``/``close_room`` or of archiving the room: a room event, with no session
    and no view."""
    kind = "room_archived" if archived else "room_opened" if is_open else "room_closed"
    room = {"open": is_open, "archived": archived}
    return orjson.dumps({"session_id": None, "event": {"type": kind, "at_ms": at_ms}, "room": room})


def gate_ack_frame(request_id: str | int | None, is_open: bool) -> bytes:
    """The acknowledgement of ``open_room``/``close_room``: the room's state after it."""
    command = "open_room" if is_open else "close_room"
    return orjson.dumps({"type": "ack", "id": request_id, "command": command, "results": [], "room": {"open": is_open}})


def ack_frame(request_id: str | int | None, command: str, results: list[dict[str, Any]]) -> bytes:
    """The acknowledgement of a proctor command (its wire name): one result per session it was applied to."""
    return orjson.dumps({"type": "ack", "id": request_id, "command": command, "results": results})
