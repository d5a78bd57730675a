"""What the audit log records: one entry per frame that reached a session, and per item presented.

The entries are JSON objects with ``kind`` and ``at_ms`` (server time); their fields are the table "Audit entries"
of docs/protocol.md. An answer's ``response`` is the frame's (a display position); ``presented`` records the order
the options were shown in, and an applied answer the stored ``option`` it chose. Frames refused with an error
record nothing (they change nothing stored); pings are not recorded.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from ..battery import Battery
from ..events import Event, ItemPresented
from ..options import item_option_order
from ..session import Command

__all__ = ["answer", "hello", "intro_ended", "message", "note", "presented", "proctor", "start"]


def hello(at_ms: int, conn: str, device: str | None = None, *, outcome: str = "") -> bytes:
    """A candidate connection authenticated, from ``device`` (the page's id of its computer, when it sent one;
    ``outcome`` ``finished`` when the battery was already over)."""
    entry: dict[str, object] = {"kind": "hello", "at_ms": at_ms, "conn": conn}
    if device is not None:
        entry["device"] = device
    if outcome:
        entry["outcome"] = outcome
    return orjson.dumps(entry)


def start(at_ms: int, conn: str, subtest: int | None, *, outcome: str = "") -> bytes:
    """A candidate's ``start``: the battery begun (``subtest`` None) or subtest ``subtest`` begun; ``outcome``
    ``ignored`` (nothing waited for it), ``room_closed`` or ``finished`` when it changed nothing."""
    entry: dict[str, object] = {"kind": "start", "at_ms": at_ms, "conn": conn, "subtest": subtest}
    if outcome:
        entry["outcome"] = outcome
    return orjson.dumps(entry)


def intro_ended(at_ms: int, subtest: int) -> bytes:
    """A subtest's intro ran out without a ``start``: the server began the subtest itself."""
    return orjson.dumps({"kind": "intro_ended", "at_ms": at_ms, "subtest": subtest})


def answer(
    at_ms: int,
    conn: str,
    seq: int,
    response: int,
    *,
    item_id: str | None = None,
    response_ms: int | None = None,
    option: int | None = None,
    outcome: str = "",
) -> bytes:
    """An answer frame: applied (with ``item_id``, ``response_ms`` and ``option``), late (``outcome``
    ``time_up``) or a resend of an applied answer (``outcome`` ``duplicate``).

    ``response`` is the frame's, a display position; ``option`` the stored option index it chose."""
    entry: dict[str, object] = {"kind": "answer", "at_ms": at_ms, "conn": conn, "seq": seq, "response": response}
    if item_id is not None:
        entry["item_id"] = item_id
    if response_ms is not None:
        entry["response_ms"] = response_ms
    if option is not None:
        entry["option"] = option
    if outcome:
        entry["outcome"] = outcome
    return orjson.dumps(entry)


def proctor(at_ms: int, command: Command, reason: str, seconds: float | None) -> bytes:
    """A proctor command applied to the session."""
    entry: dict[str, object] = {"kind": "proctor", "at_ms": at_ms, "command": command.value, "reason": reason}
    if seconds is not None:
        entry["seconds"] = seconds
    return orjson.dumps(entry)


def note(at_ms: int, text: str) -> bytes:
    """A proctor's incident note on the session."""
    return orjson.dumps({"kind": "note", "at_ms": at_ms, "text": text})


def message(at_ms: int, text: str) -> bytes:
    """A proctor's message sent to the candidate (pushed to their open connection, if any)."""
    return orjson.dumps({"kind": "message", "at_ms": at_ms, "text": text})


def presented(battery: Battery, seed: int, events: Sequence[Event]) -> list[bytes]:
    """One entry per item the events presented, naming the subtest and the item by id, with the order its options
    were shown in to the session of ``seed``: ``option_order[p]`` is the stored index of the option at display
    position ``p`` (:mod:`cat_engine.options`)."""
    out = []
    for e in events:
        if isinstance(e, ItemPresented):
            sub = battery.subtests[e.subtest_index]
            order = item_option_order(sub.pool, seed, e.subtest_index, e.item_index)
            entry = {"kind": "presented", "at_ms": e.at_ms, "seq": e.seq, "subtest": sub.id}
            out.append(orjson.dumps({**entry, "item_id": sub.pool.items[e.item_index].id, "option_order": order}))
    return out
