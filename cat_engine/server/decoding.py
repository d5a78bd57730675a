"""Client frames in (docs/protocol.md): decoding and validating what candidates and proctors send.

Decoding checks size, JSON, type and every field before anything else runs, so a bad frame ends here with a
:class:`~.wire_errors.Refusal` (``too_large``, ``bad_message`` or ``forbidden``) and touches nothing stored. A
proctor's ``session_id`` that is a string but not of the form of a session id (:func:`.auth.is_session_id`) names no
session: ``not_found``, decided here once the rest of the frame is well formed, so no crafted id reaches a store
key. What the server sends back is built in :mod:`.frames`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from ..session import Command
from .auth import is_session_id
from .wire_errors import Refusal

__all__ = [
    "CandidateAnswer",
    "Hello",
    "Ping",
    "ProctorCommand",
    "ProctorDetail",
    "ProctorMessage",
    "ProctorNote",
    "RoomGate",
    "Start",
    "decode_candidate",
    "decode_proctor",
]

_COMMANDS = frozenset(c.value for c in Command)
_MAX_TOKEN = 200
_MAX_REASON = 500
_MAX_ID = 100
_DEVICE = re.compile(r"[A-Za-z0-9_-]{8,64}")
_GATES = {"open_room": True, "close_room": False}
_SEATS = frozenset({Command.APPROVE_SEAT.value, Command.DENY_SEAT.value})  # one session each, no room-wide form
_MAX_NOTE = 1000
_MAX_MESSAGE = 500


@dataclass(frozen=True)
class Hello:
    token: str
    last_event_id: str | None = None
    batch: bool = False  # proctor only: events come as ``events`` frames, several at a time
    device: str | None = None  # candidate only: the page's id of its computer


@dataclass(frozen=True)
class Start:
    """A candidate's ``start``: after the welcome (``subtest`` None) or a subtest's intro."""

    subtest: int | None = None


@dataclass(frozen=True)
class CandidateAnswer:
    seq: int
    response: int


@dataclass(frozen=True)
class Ping:
    pass


@dataclass(frozen=True)
class ProctorCommand:
    command: Command
    session_id: str | None  # None: the whole room
    request_id: str | int | None = None
    seconds: float | None = None
    reason: str = ""
    device: str | None = None  # approve_seat/deny_seat: the request decided on (refused if another is waiting)


@dataclass(frozen=True)
class ProctorDetail:
    session_id: str
    request_id: str | int | None = None


@dataclass(frozen=True)
class ProctorNote:
    """An incident note on one session."""

    session_id: str
    text: str
    request_id: str | int | None = None


@dataclass(frozen=True)
class ProctorMessage:
    """A message to one candidate (``session_id``) or to the whole room (None)."""

    session_id: str | None
    text: str
    request_id: str | int | None = None


@dataclass(frozen=True)
class RoomGate:
    """A proctor's ``open_room`` (``open`` True) or ``close_room``."""

    open: bool
    request_id: str | int | None = None


def _object(raw: str | bytes, max_bytes: int) -> dict[str, Any]:
    if len(raw) > max_bytes:  # str length <= UTF-8 length, so a str is checked again once encoded
        raise Refusal("too_large", f"frames are limited to {max_bytes} bytes")
    if isinstance(raw, str):
        raw = raw.encode("utf-8", errors="surrogatepass")
        if len(raw) > max_bytes:
            raise Refusal("too_large", f"frames are limited to {max_bytes} bytes")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise Refusal("bad_message", "the frame is not valid JSON") from None
    if not isinstance(data, dict):
        raise Refusal("bad_message", "a frame must be a JSON object")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise Refusal("bad_message", "a frame needs a string field 'type'")
    return data


def _int_field(data: dict[str, Any], name: str) -> int:
    # any JSON integer orjson reads (64-bit); whether it names the right item or option is the session's call
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refusal("bad_message", f"field '{name}' must be an integer")
    return value


def _str_field(data: dict[str, Any], name: str, max_len: int, required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value) or len(value) > max_len:
        raise Refusal("bad_message", f"field '{name}' must be a non-empty string of at most {max_len} characters")
    return value


def _only(data: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(data) - allowed - {"type"})
    if extra:
        raise Refusal("bad_message", f"unknown field(s) {', '.join(map(repr, extra))}")


def decode_candidate(raw: str | bytes, max_bytes: int) -> Hello | Start | CandidateAnswer | Ping:
    """Validate a candidate's frame.

    Raises
    ------
    Refusal
        ``too_large``, ``bad_message`` or, for a proctor command, ``forbidden``.
    """
    data = _object(raw, max_bytes)
    kind = data["type"]
    if kind == "hello":
        _only(data, {"token", "device"})
        device = data.get("device")
        if device is not None and (not isinstance(device, str) or _DEVICE.fullmatch(device) is None):
            raise Refusal("bad_message", "field 'device' must be 8 to 64 characters of A-Z a-z 0-9 - _")
        return Hello(_str_field(data, "token", _MAX_TOKEN), device=device)
    if kind == "start":
        _only(data, {"subtest"})
        return Start(None if data.get("subtest") is None else _int_field(data, "subtest"))
    if kind == "answer":
        _only(data, {"seq", "response"})
        return CandidateAnswer(_int_field(data, "seq"), _int_field(data, "response"))
    if kind == "ping":
        _only(data, set())
        return Ping()
    if kind in _COMMANDS or kind in _GATES or kind in ("detail", "note", "message"):
        raise Refusal("forbidden", "candidates cannot send proctor commands")
    raise Refusal("bad_message", f"unknown frame type {kind[:40]!r}")


def decode_proctor(
    raw: str | bytes, max_bytes: int
) -> Hello | ProctorCommand | ProctorDetail | ProctorNote | ProctorMessage | RoomGate | Ping:
    """Validate a proctor's frame (raises :class:`~.wire_errors.Refusal`)."""
    data = _object(raw, max_bytes)
    kind = data["type"]
    if kind == "hello":
        _only(data, {"token", "last_event_id", "batch"})
        last = data.get("last_event_id")
        if last is not None and not _is_stream_id(last):
            raise Refusal("bad_message", "field 'last_event_id' must be a stream id like '1700000000000-0'")
        batch = data.get("batch", False)
        if not isinstance(batch, bool):
            raise Refusal("bad_message", "field 'batch' must be true or false")
        return Hello(_str_field(data, "token", _MAX_TOKEN), last, batch)
    if kind == "ping":
        _only(data, set())
        return Ping()
    if kind == "detail":
        _only(data, {"id", "session_id"})
        detail_of, request_id = _session_id(data), _request_id(data)
        return ProctorDetail(_known_form(detail_of), request_id)
    if kind in _GATES:
        _only(data, {"id"})
        return RoomGate(_GATES[kind], _request_id(data))
    if kind == "note":  # the id's form is checked last: not_found only for an otherwise well-formed frame
        _only(data, {"id", "session_id", "text"})
        note_of, request_id, text = _session_id(data), _request_id(data), _text_field(data, _MAX_NOTE)
        return ProctorNote(_known_form(note_of), text, request_id)
    if kind == "message":
        _only(data, {"id", "session_id", "room", "text"})
        request_id, text, target = _request_id(data), _text_field(data, _MAX_MESSAGE), _target(data)
        return ProctorMessage(None if target is None else _known_form(target), text, request_id)
    if kind not in _COMMANDS:
        raise Refusal("bad_message", f"unknown frame type {kind[:40]!r}")
    _only(data, {"id", "session_id", "room", "seconds", "reason", "device"})
    request_id = _request_id(data)
    if kind in _SEATS and "session_id" not in data:
        raise Refusal("bad_message", f"'{kind}' names one 'session_id'")
    session_id = _target(data)
    device = data.get("device")
    if device is not None and (kind not in _SEATS or not isinstance(device, str) or len(device) > 64):
        raise Refusal("bad_message", "field 'device' (a seat decision's device, at most 64 characters) is not for this")
    seconds: float | None = None
    if kind == "extend":
        value = data.get("seconds")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 86400:
            raise Refusal("bad_message", "field 'seconds' must be a number from 1 to 86400")
        seconds = float(value)
    elif "seconds" in data:
        raise Refusal("bad_message", "only 'extend' takes 'seconds'")
    if kind == "terminate":
        reason = _str_field(data, "reason", _MAX_REASON)
        if not reason.strip():
            raise Refusal("bad_message", "terminating needs a reason")
    elif kind == "pause":
        reason = _str_field(data, "reason", _MAX_REASON, required=False)
    elif "reason" in data:
        raise Refusal("bad_message", f"'{kind}' takes no 'reason'")
    else:
        reason = ""
    if session_id is not None:
        _known_form(session_id)
    return ProctorCommand(Command(kind), session_id, request_id, seconds, reason, device)


def _target(data: dict[str, Any]) -> str | None:
    """The session a command names, or None for ``"room": true`` (the whole room); exactly one of the two."""
    has_session, room = "session_id" in data, data.get("room")
    if has_session == (room is True) or (room is not None and room is not True):
        raise Refusal("bad_message", "a command names either 'session_id' or \"room\": true")
    return _session_id(data) if has_session else None


def _text_field(data: dict[str, Any], max_len: int) -> str:
    """A note's or message's text: line breaks (LF, CR LF, CR) kept as LF, any other control character refused."""
    text = _str_field(data, "text", max_len).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip() or any((ord(c) < 32 and c != "\n") or 127 <= ord(c) < 160 for c in text):
        raise Refusal("bad_message", "field 'text' must hold visible text (line breaks allowed, no control characters)")
    return text


def _session_id(data: dict[str, Any]) -> str:
    # any length: a long string is as unknown as a short one (the frame size bounds it)
    value = data.get("session_id")
    if not isinstance(value, str) or not value:
        raise Refusal("bad_message", "field 'session_id' must be a non-empty string")
    return value


def _known_form(session_id: str) -> str:
    if not is_session_id(session_id):
        raise Refusal("not_found", f"no session {session_id[:40]!a}: not a session id")
    return session_id


def _request_id(data: dict[str, Any]) -> str | int | None:
    request_id = data.get("id")
    if request_id is not None and (
        isinstance(request_id, bool) or not isinstance(request_id, str | int) or len(str(request_id)) > _MAX_ID
    ):
        raise Refusal("bad_message", "field 'id' must be a short string or an integer")
    return request_id


_STREAM_ID = re.compile(r"[0-9]{1,20}(?:-[0-9]{1,20})?")


def _is_stream_id(value: Any) -> bool:
    """A Redis Stream id ``<ms>-<n>`` (or ``<ms>``) of ASCII digits, each part below 2**64."""
    if not isinstance(value, str) or _STREAM_ID.fullmatch(value) is None:
        return False
    return all(int(part) < 2**64 for part in value.split("-"))
