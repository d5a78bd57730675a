"""cat_engine.server.decoding: client frames (docs/protocol.md) decode, or are refused with a documented code."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cat_engine.server.auth import is_session_id
from cat_engine.server.decoding import (
    CandidateAnswer,
    Hello,
    Ping,
    ProctorCommand,
    ProctorDetail,
    ProctorMessage,
    ProctorNote,
    RoomGate,
    Start,
    decode_candidate,
    decode_proctor,
)
from cat_engine.server.wire_errors import Refusal
from cat_engine.session import Command

MAX = 4096
CODES = {"bad_message", "too_large", "forbidden"}
PROCTOR_COMMANDS = ("pause", "resume", "extend", "terminate")  # docs/protocol.md, the proctor's commands
ROOM_GATES = ("open_room", "close_room")  # docs/protocol.md, the proctor's commands on the room itself
SEAT_COMMANDS = ("approve_seat", "deny_seat")  # docs/protocol.md, "Seats": one session each, never the room
TEXT_COMMANDS = ("note", "message")  # docs/protocol.md: an incident note, a message to candidates


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def cand(obj: Any, max_bytes: int = MAX) -> Hello | Start | CandidateAnswer | Ping:
    return decode_candidate(obj if isinstance(obj, str | bytes) else dumps(obj), max_bytes)


def proc(
    obj: Any, max_bytes: int = MAX
) -> Hello | ProctorCommand | ProctorDetail | ProctorNote | ProctorMessage | RoomGate | Ping:
    return decode_proctor(obj if isinstance(obj, str | bytes) else dumps(obj), max_bytes)


def code_of(decode: Any, obj: Any, max_bytes: int = MAX) -> str:
    with pytest.raises(Refusal) as info:
        decode(obj, max_bytes)
    assert info.value.detail  # every refusal says why
    return info.value.code


# --- candidate frames: accepted ----------------------------------------------------------------------------------


def test_candidate_accepts_every_documented_frame() -> None:
    assert cand({"type": "hello", "token": "ABCD-EFGH-JKMN"}) == Hello("ABCD-EFGH-JKMN")
    assert cand({"type": "hello", "token": "ABCD", "device": "dev-1234_X"}) == Hello("ABCD", device="dev-1234_X")
    assert cand({"type": "start"}) == Start(None)
    assert cand({"type": "start", "subtest": 2}) == Start(2)
    assert cand({"type": "answer", "seq": 12, "response": 3}) == CandidateAnswer(12, 3)
    assert cand({"type": "ping"}) == Ping()
    # bytes are decoded the same way as text, and field order does not matter
    assert cand(b'{"response": 0, "seq": 1, "type": "answer"}') == CandidateAnswer(1, 0)


def test_candidate_answer_range_edges_are_accepted() -> None:
    # wrong seq and bad response are decided later (wrong_seq, bad_response), not by the decoder
    assert cand({"type": "answer", "seq": 0, "response": -1}) == CandidateAnswer(0, -1)
    assert cand({"type": "answer", "seq": 10**9, "response": 10**9}) == CandidateAnswer(10**9, 10**9)


@pytest.mark.parametrize("subtest", [0, 1, 7, -1, 2**63 - 1])
def test_start_takes_any_integer_subtest(subtest: int) -> None:
    # whether it names the intro shown is the session's decision (a start that matches nothing changes nothing)
    assert cand({"type": "start", "subtest": subtest}) == Start(subtest)


@pytest.mark.parametrize("device", ["abcdefgh", "A" * 64, "dev-1234_abcd", "0123456789", "--------", "a_b-C_d-E"])
def test_hello_device_of_the_documented_form_is_kept(device: str) -> None:
    hello = cand({"type": "hello", "token": "ABCD", "device": device})
    assert hello == Hello("ABCD", device=device)
    assert cand({"type": "hello", "token": "ABCD"}) == Hello("ABCD", device=None)


# --- candidate frames: refused -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "not json",
        "{",
        '{"type": "ping"',
        "{'type': 'ping'}",  # single quotes are not JSON
        '{"type": "ping"} trailing',
        '{"type": NaN}',
        "\ud800",  # a lone surrogate does not encode to valid UTF-8
        b"\xff\xfe{}",
        "[" * 2000 + "]" * 2000,  # nested deeper than the parser allows
    ],
)
def test_non_json_is_bad_message(raw: str | bytes) -> None:
    assert code_of(decode_candidate, raw) == "bad_message"
    assert code_of(decode_proctor, raw) == "bad_message"


@pytest.mark.parametrize("value", [[], [{"type": "ping"}], "ping", 1, 1.5, True, None])
def test_json_that_is_not_an_object_is_bad_message(value: Any) -> None:
    assert code_of(decode_candidate, dumps(value)) == "bad_message"
    assert code_of(decode_proctor, dumps(value)) == "bad_message"


@pytest.mark.parametrize(
    "frame", [{}, {"token": "x"}, {"type": None}, {"type": 1}, {"type": True}, {"type": ["hello"]}, {"type": {}}]
)
def test_missing_or_non_string_type_is_bad_message(frame: dict[str, Any]) -> None:
    assert code_of(decode_candidate, dumps(frame)) == "bad_message"
    assert code_of(decode_proctor, dumps(frame)) == "bad_message"


@pytest.mark.parametrize("kind", ["", "Hello", "HELLO", "answers", "pong", "item", "error", "snapshot", "x" * 1000])
def test_unknown_type_is_bad_message(kind: str) -> None:
    assert code_of(decode_candidate, dumps({"type": kind})) == "bad_message"
    assert code_of(decode_proctor, dumps({"type": kind})) == "bad_message"


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "hello"},
        {"type": "hello", "token": ""},
        {"type": "hello", "token": None},
        {"type": "hello", "token": 123},
        {"type": "hello", "token": ["ABCD"]},
        {"type": "hello", "token": "A" * 201},
        {"type": "answer", "response": 0},
        {"type": "answer", "seq": 1},
        {"type": "answer"},
        {"type": "answer", "seq": True, "response": 0},  # bool is not an integer
        {"type": "answer", "seq": 1, "response": False},
        {"type": "answer", "seq": 1.0, "response": 0},  # floats are not integers, even whole ones
        {"type": "answer", "seq": 1.5, "response": 0},
        {"type": "answer", "seq": 1, "response": 2.0},
        {"type": "answer", "seq": "1", "response": 0},
        {"type": "answer", "seq": 1, "response": "2"},  # strings for response
        {"type": "answer", "seq": 1, "response": "B"},
        {"type": "answer", "seq": None, "response": 0},
        {"type": "answer", "seq": 1, "response": None},
        {"type": "answer", "seq": [1], "response": 0},
        {"type": "answer", "seq": 1, "response": {"index": 0}},
        {"type": "start", "subtest": "0"},
        {"type": "start", "subtest": 0.0},  # floats are not integers, even whole ones
        {"type": "start", "subtest": 1.5},
        {"type": "start", "subtest": True},  # bool is not an integer
        {"type": "start", "subtest": False},
        {"type": "start", "subtest": [0]},
        {"type": "start", "subtest": {"index": 0}},
        {"type": "hello", "token": "ABCD", "device": "short7c"},  # 8 to 64 characters
        {"type": "hello", "token": "ABCD", "device": "A" * 65},
        {"type": "hello", "token": "ABCD", "device": ""},
        {"type": "hello", "token": "ABCD", "device": "has space1"},
        {"type": "hello", "token": "ABCD", "device": "dot.dot.dot"},
        {"type": "hello", "token": "ABCD", "device": "perangkat\u00e9x"},
        {"type": "hello", "token": "ABCD", "device": "abcdefgh\n"},
        {"type": "hello", "token": "ABCD", "device": 12345678},
        {"type": "hello", "token": "ABCD", "device": True},
        {"type": "hello", "token": "ABCD", "device": ["abcdefgh"]},
        {"type": "hello", "token": "ABCD", "device": {"id": "abcdefgh"}},
    ],
)
def test_candidate_missing_or_wrong_typed_field_is_bad_message(frame: dict[str, Any]) -> None:
    assert code_of(decode_candidate, dumps(frame)) == "bad_message"


@pytest.mark.parametrize(
    ("seq", "response"),
    [(-1, 0), (10**9 + 1, 0), (2**63 - 1, 0), (2**64 - 1, 0), (1, 10**9 + 1), (1, -(10**9) - 1), (1, -(2**63))],
)
def test_candidate_any_integer_seq_and_response_decode(seq: int, response: int) -> None:
    # the protocol: seq is any integer; whether it names the item shown (wrong_seq) or an option (bad_response)
    # is the session's decision, not the decoder's
    assert decode_candidate(dumps({"type": "answer", "seq": seq, "response": response}), 4096) == CandidateAnswer(
        seq, response
    )


@pytest.mark.parametrize(
    "raw",
    [
        '{"type": "answer", "seq": 18446744073709551616, "response": 0}',  # beyond 64 bits: the parser gives a float
        '{"type": "answer", "seq": 1' + "0" * 40 + ', "response": 0}',
        '{"type": "answer", "seq": 1, "response": -99999999999999999999999}',
        '{"type": "answer", "seq": 1e3, "response": 0}',
        '{"type": "answer", "seq": 1, "response": 1e999}',
    ],
)
def test_candidate_huge_numbers_are_bad_message(raw: str) -> None:
    assert code_of(decode_candidate, raw) == "bad_message"


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "hello", "token": "ABCD", "last_event_id": "1-0"},  # proctors only
        {"type": "hello", "token": "ABCD", "extra": 1},
        {"type": "answer", "seq": 1, "response": 0, "item": "LD-207"},
        {"type": "answer", "seq": 1, "response": 0, "id": 7},
        {"type": "answer", "seq": 1, "response": 0, "Type": "answer"},
        {"type": "start", "seq": 1},
        {"type": "start", "subtest": 0, "id": "s1"},
        {"type": "start", "token": "ABCD"},
        {"type": "answer", "seq": 1, "response": 0, "subtest": 0},  # only start names a subtest
    ],
)
def test_candidate_unknown_extra_field_is_bad_message(frame: dict[str, Any]) -> None:
    with pytest.raises(Refusal) as info:
        cand(frame)
    assert info.value.code == "bad_message"
    known = {"hello": {"token"}, "answer": {"seq", "response"}, "start": {"subtest"}}[frame["type"]]
    extra = sorted(set(frame) - {"type"} - known)
    assert all(name in info.value.detail for name in extra)


@pytest.mark.parametrize("decode", [decode_candidate, decode_proctor])
def test_ping_with_unknown_field_is_bad_message(decode: Any) -> None:
    assert code_of(decode, dumps({"type": "ping", "extra": 1})) == "bad_message"


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "pause", "session_id": "R7K2QX-0001"},
        {"type": "resume", "room": True},
        {"type": "extend", "session_id": "R7K2QX-0001", "seconds": 60},
        {"type": "terminate", "room": True, "reason": "cheating"},
        {"type": "terminate"},  # even malformed: the type alone is forbidden to candidates
        {"type": "pause", "bogus": 1},
        {"type": "open_room"},
        {"type": "close_room"},
        {"type": "open_room", "id": "o1"},
        {"type": "close_room", "room": True, "bogus": 1},
        {"type": "detail", "session_id": "R7K2QX-0001"},
        {"type": "approve_seat", "session_id": "R7K2QX-0001"},
        {"type": "deny_seat", "session_id": "R7K2QX-0001", "id": "s1"},
        {"type": "approve_seat"},
        {"type": "note", "session_id": "R7K2QX-0001", "text": "pindah meja"},
        {"type": "note"},
        {"type": "message", "room": True, "text": "Sisa waktu 5 menit"},
        {"type": "message", "session_id": "R7K2QX-0001", "text": "x", "bogus": 1},
    ],
)
def test_candidate_sending_proctor_command_is_forbidden(frame: dict[str, Any]) -> None:
    assert code_of(decode_candidate, dumps(frame)) == "forbidden"
    assert frame["type"] in (*PROCTOR_COMMANDS, *ROOM_GATES, *SEAT_COMMANDS, *TEXT_COMMANDS, "detail")


def test_detail_request() -> None:
    assert decode_proctor(dumps({"type": "detail", "session_id": "R7K2QX-0001"}), MAX) == ProctorDetail(
        "R7K2QX-0001", None
    )
    assert decode_proctor(dumps({"type": "detail", "session_id": "ABCDEF-12345", "id": "d7"}), MAX) == ProctorDetail(
        "ABCDEF-12345", "d7"
    )
    for bad in (
        {"type": "detail"},
        {"type": "detail", "session_id": ""},
        {"type": "detail", "session_id": 7},
        {"type": "detail", "room": True},
        {"type": "detail", "session_id": "R7K2QX-0001", "id": True},
        {"type": "detail", "session_id": "R7K2QX-0001", "reason": "x"},
        {"type": "detail", "session_id": "R-1", "id": True},  # a malformed frame first, then an unknown id
    ):
        assert code_of(decode_proctor, dumps(bad)) == "bad_message", bad
    assert code_of(decode_candidate, dumps({"type": "detail", "session_id": "R7K2QX-0001"})) == "forbidden"
    assert code_of(decode_candidate, dumps({"type": "detail", "session_id": "R-1"})) == "forbidden"


CRAFTED_SESSION_IDS = [
    "R7K2QX-0001:audit",  # keys of another type beside the session hash (docs: the Redis key layout)
    "R7K2QX-0001:result",
    "R7K2QX-0001:replies",
    "../x",
    "R-1",
    "R7K2QX-1",
    "r7k2qx-0001",
    "R7K2QX",
    "R7K2QX-0001-x",
    "R7K2QX-0001\n",
    "R7K2QX-\u0661\u0662\u0663\u0664",
    "R7K2Q\u0425-0001",
    "\u202eR7K2QX-0001",
    "R7K2QX-" + "1" * 13,
    "S" * 101,
    "R7K2QX-0001" + "x" * 3000,
]


@pytest.mark.parametrize("session_id", CRAFTED_SESSION_IDS)
@pytest.mark.parametrize(
    "frame",
    [
        {"type": "detail"},
        {"type": "detail", "id": "d1"},
        {"type": "pause"},
        {"type": "pause", "reason": "x"},
        {"type": "resume", "id": 3},
        {"type": "extend", "seconds": 60},
        {"type": "terminate", "reason": "left"},
        {"type": "approve_seat"},
        {"type": "deny_seat", "id": "s1"},
        {"type": "note", "text": "pindah meja"},
        {"type": "message", "text": "Sisa waktu 5 menit"},
    ],
)
def test_a_session_id_not_of_the_form_is_not_found(session_id: str, frame: dict[str, Any]) -> None:
    assert code_of(decode_proctor, dumps({**frame, "session_id": session_id})) == "not_found"


def test_the_not_found_message_does_not_echo_the_crafted_id() -> None:
    with pytest.raises(Refusal) as info:
        proc({"type": "detail", "session_id": "\u202eR7K2QX-0001" + "x" * 3000})
    assert info.value.detail.isascii() and len(info.value.detail) < 120


# --- size limit --------------------------------------------------------------------------------------------------


def _padded(target_bytes: int, char: str = "x") -> str:
    """A valid hello frame whose UTF-8 encoding is exactly ``target_bytes`` long (``char`` pads the token)."""
    base = '{"type":"hello","token":""}'
    width = len(char.encode())
    room = target_bytes - len(base.encode())
    assert room % width == 0
    text = base[:-2] + char * (room // width) + base[-2:]
    assert len(text.encode()) == target_bytes
    return text


def test_frame_at_the_byte_limit_passes_size_check() -> None:
    limit = 200  # the token (173 characters) stays within its own 200-character limit
    raw = _padded(limit)
    assert decode_candidate(raw, limit) == Hello("x" * (limit - 27))
    assert decode_proctor(raw, limit) == Hello("x" * (limit - 27))
    assert decode_candidate(raw.encode(), limit) == Hello("x" * (limit - 27))


@pytest.mark.parametrize("decode", [decode_candidate, decode_proctor])
def test_frame_over_the_byte_limit_is_too_large(decode: Any) -> None:
    raw = _padded(MAX + 1)
    assert code_of(decode, raw) == "too_large"
    assert code_of(decode, raw.encode()) == "too_large"
    # size is checked before anything else: oversize garbage is too_large, not bad_message
    assert code_of(decode, "x" * (MAX + 1)) == "too_large"
    assert code_of(decode, b"\xff" * (MAX + 1)) == "too_large"


@pytest.mark.parametrize("decode", [decode_candidate, decode_proctor])
@pytest.mark.parametrize("char", ["é", "€", "😀"])
def test_multibyte_frame_under_the_limit_in_characters_but_over_in_bytes_is_too_large(decode: Any, char: str) -> None:
    width = len(char.encode())
    base = '{"type":"hello","token":""}'
    n = (MAX - len(base)) // width + 1  # just over the limit in bytes
    raw = base[:-2] + char * n + base[-2:]
    assert len(raw) <= MAX < len(raw.encode())
    assert code_of(decode, raw) == "too_large"
    assert code_of(decode, raw.encode()) == "too_large"


def test_multibyte_frame_within_the_limit_in_bytes_is_decoded() -> None:
    raw = '{"type":"hello","token":"' + "é" * 50 + '"}'
    assert len(raw.encode()) < 256
    assert decode_candidate(raw, 256) == Hello("é" * 50)


# --- proctor frames: accepted ------------------------------------------------------------------------------------


def test_proctor_accepts_every_documented_frame() -> None:
    assert proc({"type": "hello", "token": "tok"}) == Hello("tok", None)
    assert proc({"type": "hello", "token": "tok", "last_event_id": "1796300000000-3"}) == Hello(
        "tok", "1796300000000-3"
    )
    assert proc({"type": "hello", "token": "tok", "last_event_id": "0-0"}) == Hello("tok", "0-0")
    assert proc({"type": "hello", "token": "tok", "last_event_id": "1796300000000"}) == Hello("tok", "1796300000000")
    assert proc({"type": "hello", "token": "tok", "last_event_id": None}) == Hello("tok", None)
    assert proc({"type": "hello", "token": "tok", "batch": True}) == Hello("tok", None, batch=True)
    assert proc({"type": "hello", "token": "tok", "batch": False, "last_event_id": "1-0"}) == Hello("tok", "1-0")


@pytest.mark.parametrize("kind", ROOM_GATES)
@pytest.mark.parametrize("request_id", ["", "o1", "x" * 100, 0, -5, 2**63 - 1, None])
def test_open_room_and_close_room_decode_with_the_id_echoed(kind: str, request_id: Any) -> None:
    assert proc({"type": kind}) == RoomGate(kind == "open_room", None)
    assert proc({"type": kind, "id": request_id}) == RoomGate(kind == "open_room", request_id)


@pytest.mark.parametrize("kind", ROOM_GATES)
@pytest.mark.parametrize(
    "fields",
    [
        {"room": True},  # the room is the proctor's own: nothing names it
        {"session_id": "R7K2QX-0001"},
        {"open": True},
        {"reason": "x"},
        {"seconds": 10},
        {"id": True},
        {"id": 1.5},
        {"id": ["a"]},
        {"id": {"a": 1}},
        {"id": "x" * 101},
    ],
)
def test_open_room_and_close_room_with_a_wrong_field_are_bad_message(kind: str, fields: dict[str, Any]) -> None:
    assert code_of(decode_proctor, dumps({"type": kind, **fields})) == "bad_message"


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "start"},  # candidate frames are unknown to proctors
        {"type": "start", "subtest": 0},
        {"type": "hello", "token": "tok", "device": "abcdefgh"},  # the device is the candidate page's
    ],
)
def test_proctor_sending_candidate_fields_is_bad_message(frame: dict[str, Any]) -> None:
    assert code_of(decode_proctor, dumps(frame)) == "bad_message"


@pytest.mark.parametrize("batch", ["yes", 1, 0, None, [], {}])
def test_proctor_batch_must_be_a_boolean(batch: Any) -> None:
    assert code_of(decode_proctor, dumps({"type": "hello", "token": "tok", "batch": batch})) == "bad_message"
    # the candidate has no batch to ask for
    assert code_of(decode_candidate, dumps({"type": "hello", "token": "tok", "batch": True})) == "bad_message"
    assert proc({"type": "ping"}) == Ping()
    assert proc({"type": "pause", "session_id": "R7K2QX-0001"}) == ProctorCommand(Command.PAUSE, "R7K2QX-0001")
    assert proc({"type": "pause", "room": True, "reason": "fire drill", "id": "c1"}) == ProctorCommand(
        Command.PAUSE, None, "c1", None, "fire drill"
    )
    assert proc({"type": "pause", "room": True, "reason": ""}) == ProctorCommand(Command.PAUSE, None)
    assert proc({"type": "pause", "room": True, "reason": None}) == ProctorCommand(Command.PAUSE, None)
    assert proc({"type": "resume", "session_id": "R7K2QX-0002", "id": 7}) == ProctorCommand(
        Command.RESUME, "R7K2QX-0002", 7
    )
    assert proc({"type": "extend", "room": True, "seconds": 300}) == ProctorCommand(Command.EXTEND, None, None, 300.0)
    assert proc({"type": "extend", "session_id": "ABCDEF-0001", "seconds": 1.5}) == ProctorCommand(
        Command.EXTEND, "ABCDEF-0001", None, 1.5
    )
    assert proc({"type": "terminate", "session_id": "ABCDEF-0001", "reason": "  cheating  "}) == ProctorCommand(
        Command.TERMINATE, "ABCDEF-0001", None, None, "  cheating  "
    )


@pytest.mark.parametrize("seconds", [1, 1.0, 86400, 86400.0, 0.5e1])
def test_extend_seconds_edges_are_accepted(seconds: float) -> None:
    command = proc({"type": "extend", "room": True, "seconds": seconds})
    assert isinstance(command, ProctorCommand)
    assert command.seconds == float(seconds)
    assert isinstance(command.seconds, float)


@pytest.mark.parametrize("request_id", ["", "x" * 100, 0, -5, 2**63 - 1, None])
def test_command_id_of_the_clients_choosing_is_echoed(request_id: Any) -> None:
    command = proc({"type": "resume", "room": True, "id": request_id})
    assert isinstance(command, ProctorCommand)
    assert command.request_id == request_id


# --- proctor frames: refused -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", PROCTOR_COMMANDS)
@pytest.mark.parametrize(
    "target",
    [
        {},  # neither
        {"session_id": "R7K2QX-0001", "room": True},  # both
        {"room": False},
        {"room": None},
        {"room": 1},
        {"room": "true"},
        {"session_id": "R7K2QX-0001", "room": False},
        {"session_id": None},
        {"session_id": ""},
        {"session_id": 1},
        {"session_id": []},
    ],
)
def test_command_needs_exactly_one_of_session_id_and_room(kind: str, target: dict[str, Any]) -> None:
    frame = {"type": kind, **target}
    if kind == "extend":
        frame["seconds"] = 60
    if kind == "terminate":
        frame["reason"] = "cheating"
    assert code_of(decode_proctor, dumps(frame)) == "bad_message"


@pytest.mark.parametrize(
    "seconds", [None, 0, 0.99, -1, 86400.01, 86401, 10**9, 2**64 - 1, True, False, "60", [60], {"s": 60}]
)
def test_extend_seconds_out_of_range_or_wrong_type_is_bad_message(seconds: Any) -> None:
    frame = {"type": "extend", "room": True, "seconds": seconds}
    assert code_of(decode_proctor, dumps(frame)) == "bad_message"


def test_extend_without_seconds_is_bad_message() -> None:
    assert code_of(decode_proctor, dumps({"type": "extend", "room": True})) == "bad_message"


@pytest.mark.parametrize("reason", [None, "", " ", "\t\n", 5, True, ["x"], "r" * 501])
def test_terminate_without_or_blank_reason_is_bad_message(reason: Any) -> None:
    frame = {"type": "terminate", "session_id": "R7K2QX-0001", "reason": reason}
    assert code_of(decode_proctor, dumps(frame)) == "bad_message"
    assert code_of(decode_proctor, dumps({"type": "terminate", "session_id": "R7K2QX-0001"})) == "bad_message"


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "pause", "room": True, "reason": 5},
        {"type": "pause", "room": True, "reason": "r" * 501},
        {"type": "pause", "room": True, "seconds": 10},  # only extend takes seconds
        {"type": "resume", "room": True, "seconds": 10},
        {"type": "terminate", "room": True, "reason": "x", "seconds": 10},
        {"type": "resume", "room": True, "reason": "x"},  # only pause and terminate take a reason
        {"type": "extend", "room": True, "seconds": 10, "reason": "x"},
        {"type": "pause", "room": True, "id": True},
        {"type": "pause", "room": True, "id": 1.5},
        {"type": "pause", "room": True, "id": ["a"]},
        {"type": "pause", "room": True, "id": {"a": 1}},
        {"type": "pause", "room": True, "id": "x" * 101},
        {"type": "pause", "room": True, "token": "tok"},  # unknown extra field
        {"type": "resume", "session_id": "R7K2QX-0001", "sessions": ["R7K2QX-0002"]},
        {"type": "resume", "session_id": "R-1", "sessions": ["R-2"]},  # malformed before unknown
        {"type": "extend", "session_id": "R-1", "seconds": 0},
        {"type": "terminate", "session_id": "R-1"},
        {"type": "hello", "token": "tok", "room": True},
        {"type": "hello"},
        {"type": "hello", "token": ""},
        {"type": "hello", "token": 5},
        {"type": "answer", "seq": 1, "response": 0},  # candidate frames are unknown to proctors
    ],
)
def test_proctor_wrong_or_extra_field_is_bad_message(frame: dict[str, Any]) -> None:
    assert code_of(decode_proctor, dumps(frame)) == "bad_message"


def test_command_id_beyond_64_bits_is_bad_message() -> None:
    raw = '{"type": "pause", "room": true, "id": 1' + "0" * 30 + "}"  # the parser makes it a float
    assert code_of(decode_proctor, raw) == "bad_message"


@pytest.mark.parametrize(
    "last_event_id",
    ["", "-", "1-", "-1", "a-0", "1-a", "1-0-0", " 1-0", "1-0 ", "1.5-0", "+1-0", "1" * 41, 1, 1.5, True, [], {}],
)
def test_bad_last_event_id_is_bad_message(last_event_id: Any) -> None:
    frame = {"type": "hello", "token": "tok", "last_event_id": last_event_id}
    assert code_of(decode_proctor, dumps(frame)) == "bad_message"


@pytest.mark.parametrize("last_event_id", ["²-0", "1-²", "١٢٣-0"])
def test_last_event_id_with_non_ascii_digits_is_bad_message(last_event_id: str) -> None:
    frame = {"type": "hello", "token": "tok", "last_event_id": last_event_id}
    assert code_of(decode_proctor, dumps(frame)) == "bad_message"


# --- seats, notes and messages (docs/protocol.md, "Seats" and the proctor's commands) ------------------------


def _visible_text(text: Any, max_len: int) -> bool:
    """The documented text of a note or message: a string of 1 to ``max_len`` characters with something visible,
    line breaks allowed, no other control characters."""
    return (
        isinstance(text, str)
        and 1 <= len(text) <= max_len
        and bool(text.strip())
        and not any((ord(c) < 32 and c != "\n") or 127 <= ord(c) < 160 for c in text)
    )


@pytest.mark.parametrize("kind", SEAT_COMMANDS)
@pytest.mark.parametrize("request_id", [None, "s1", 0, 2**63 - 1])
def test_approve_seat_and_deny_seat_name_one_session(kind: str, request_id: Any) -> None:
    frame = {"type": kind, "session_id": "R7K2QX-0001"} | ({} if request_id is None else {"id": request_id})
    assert proc(frame) == ProctorCommand(Command(kind), "R7K2QX-0001", request_id)


@pytest.mark.parametrize("kind", SEAT_COMMANDS)
@pytest.mark.parametrize("device", ["lab1-seat07-aaaa", "", "d" * 64, None])
def test_a_seat_decision_may_name_the_device_the_proctor_saw(kind: str, device: str | None) -> None:
    frame = {"type": kind, "session_id": "R7K2QX-0001", "device": device}
    assert proc(frame) == ProctorCommand(Command(kind), "R7K2QX-0001", device=device)  # "": a device without id


@pytest.mark.parametrize("kind", PROCTOR_COMMANDS)
def test_only_a_seat_decision_names_a_device(kind: str) -> None:
    frame: dict[str, Any] = {"type": kind, "session_id": "R7K2QX-0001", "device": "lab1-seat07-aaaa"}
    needs: dict[str, dict[str, Any]] = {"extend": {"seconds": 60}, "terminate": {"reason": "x"}}
    frame |= needs.get(kind, {})
    assert code_of(decode_proctor, dumps(frame)) == "bad_message"
    del frame["device"]
    assert isinstance(proc(frame), ProctorCommand)  # the same frame without it is fine


@pytest.mark.parametrize("kind", SEAT_COMMANDS)
@pytest.mark.parametrize(
    "fields",
    [
        {},  # a session is required
        {"room": True},  # never the whole room
        {"room": True, "session_id": "R7K2QX-0001"},
        {"session_id": "R7K2QX-0001", "room": False},
        {"session_id": ""},
        {"session_id": None},
        {"session_id": 7},
        {"session_id": ["R7K2QX-0001"]},
        {"session_id": "R7K2QX-0001", "reason": "x"},
        {"session_id": "R7K2QX-0001", "seconds": 10},
        {"session_id": "R7K2QX-0001", "device": 5},  # the device the proctor saw: a string
        {"session_id": "R7K2QX-0001", "device": True},
        {"session_id": "R7K2QX-0001", "device": ["lab1-seat07"]},
        {"session_id": "R7K2QX-0001", "device": "d" * 65},  # longer than any device id
        {"session_id": "R7K2QX-0001", "id": True},
    ],
)
def test_a_seat_decision_without_exactly_one_session_or_with_a_bad_field_is_bad_message(
    kind: str, fields: dict[str, Any]
) -> None:
    assert code_of(decode_proctor, dumps({"type": kind, **fields})) == "bad_message"


GOOD_TEXTS = ["x", "Layar berkedip;\npindah ke meja 12", "\n\nbaris\n", "é" * 10, "王小明 izin ke toilet", "😀"]
BAD_TEXTS = ["", " ", "\n", " \n ", None, 5, True, ["x"], {"t": "x"}]
CONTROL_TEXTS = ["a\x00b", "bel\x07", "tab\there", "esc\x1b[2J", "del\x7f", "c1\x85", "csi\x9b"]


@pytest.mark.parametrize("text", [*GOOD_TEXTS, "n" * 1000])
def test_a_note_names_one_session_and_holds_1_to_1000_characters(text: str) -> None:
    assert proc({"type": "note", "session_id": "R7K2QX-0001", "text": text}) == ProctorNote("R7K2QX-0001", text)
    frame = {"type": "note", "session_id": "ABCDEF-12345", "text": text, "id": "n1"}
    assert proc(frame) == ProctorNote("ABCDEF-12345", text, "n1")


@pytest.mark.parametrize("text", [*GOOD_TEXTS, "m" * 500])
def test_a_message_names_one_session_or_the_room_and_holds_1_to_500_characters(text: str) -> None:
    assert proc({"type": "message", "session_id": "R7K2QX-0001", "text": text}) == ProctorMessage("R7K2QX-0001", text)
    assert proc({"type": "message", "room": True, "text": text, "id": 9}) == ProctorMessage(None, text, 9)


@pytest.mark.parametrize("text", [*BAD_TEXTS, *CONTROL_TEXTS, "n" * 1001, "é" * 1001])
def test_a_note_without_visible_text_or_too_long_or_with_control_characters_is_bad_message(text: Any) -> None:
    assert not _visible_text(text, 1000)
    frame = {"type": "note", "session_id": "R7K2QX-0001", "text": text}
    assert code_of(decode_proctor, dumps(frame)) == "bad_message"


@pytest.mark.parametrize("text", [*BAD_TEXTS, *CONTROL_TEXTS, "m" * 501, "😀" * 501])
def test_a_message_without_visible_text_or_too_long_or_with_control_characters_is_bad_message(text: Any) -> None:
    assert not _visible_text(text, 500)
    for target in ({"session_id": "R7K2QX-0001"}, {"room": True}):
        assert code_of(decode_proctor, dumps({"type": "message", **target, "text": text})) == "bad_message"


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "note", "text": "x"},  # a note is on one session
        {"type": "note", "room": True, "text": "x"},
        {"type": "note", "session_id": "R7K2QX-0001", "room": True, "text": "x"},
        {"type": "note", "session_id": "R7K2QX-0001"},
        {"type": "note", "session_id": "", "text": "x"},
        {"type": "note", "session_id": 1, "text": "x"},
        {"type": "note", "session_id": "R7K2QX-0001", "text": "x", "reason": "y"},
        {"type": "note", "session_id": "R7K2QX-0001", "text": "x", "id": 1.5},
        {"type": "message", "text": "x"},  # neither a session nor the room
        {"type": "message", "session_id": "R7K2QX-0001", "room": True, "text": "x"},
        {"type": "message", "room": False, "text": "x"},
        {"type": "message", "room": "true", "text": "x"},
        {"type": "message", "room": True},
        {"type": "message", "room": True, "text": "x", "seconds": 5},
        {"type": "message", "room": True, "text": "x", "id": ["m"]},
        {"type": "note", "session_id": "R-1", "text": ""},  # a malformed frame first, then an unknown id
        {"type": "message", "session_id": "R-1", "text": "x" * 501},
    ],
)
def test_a_note_or_message_with_a_wrong_field_is_bad_message(frame: dict[str, Any]) -> None:
    assert code_of(decode_proctor, dumps(frame)) == "bad_message"


def test_text_limits_count_characters_within_the_frame_limit() -> None:
    # 1000 four-byte characters: within the frame's 4096 bytes only just; the note's limit is in characters
    note = {"type": "note", "session_id": "R7K2QX-0001", "text": "😀" * 1000}
    assert len(dumps(note).encode()) <= MAX
    assert proc(note) == ProctorNote("R7K2QX-0001", "😀" * 1000)


# --- fuzz: a documented message or a Refusal, never anything else ------------------------------------------

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
_json = st.recursive(
    _json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
_field_names = st.sampled_from(
    [
        "token",
        "seq",
        "response",
        "last_event_id",
        "id",
        "session_id",
        "room",
        "seconds",
        "reason",
        "subtest",
        "device",
        "text",
    ]
) | st.text(max_size=8)
_types = (
    st.sampled_from(
        ["hello", "answer", "ping", "detail", "start", *PROCTOR_COMMANDS, *ROOM_GATES, *SEAT_COMMANDS, *TEXT_COMMANDS]
    )
    | st.text(max_size=10)
    | _json_scalars
)
_field_values = (
    _json
    | st.integers(min_value=-3, max_value=90000)
    | st.sampled_from(
        [True, "R7K2QX-0001", "1700000000000-0", "ABCD-EFGH-JKMN", "cheating", " ", "dev-1234_abcd", "a\nb", "a\x00"]
    )
)
_objects = st.builds(
    lambda kind, fields, keep_type: ({"type": kind} if keep_type else {}) | fields,
    _types,
    st.dictionaries(_field_names, _field_values, max_size=5),
    st.booleans(),
)


def _check_candidate(raw: str | bytes, max_bytes: int = MAX) -> None:
    try:
        msg = decode_candidate(raw, max_bytes)
    except Refusal as exc:
        assert exc.code in CODES
        return
    assert isinstance(msg, Hello | Start | CandidateAnswer | Ping)
    if isinstance(msg, Hello):
        assert isinstance(msg.token, str) and 0 < len(msg.token) <= 200 and msg.last_event_id is None
        assert msg.device is None or re.fullmatch(r"[A-Za-z0-9_-]{8,64}", msg.device)
        assert msg.batch is False
    if isinstance(msg, Start):
        assert msg.subtest is None or type(msg.subtest) is int
    if isinstance(msg, CandidateAnswer):
        assert type(msg.seq) is int and type(msg.response) is int


def _check_proctor(raw: str | bytes, max_bytes: int = MAX) -> None:
    try:
        msg = decode_proctor(raw, max_bytes)
    except Refusal as exc:
        assert exc.code in {"bad_message", "too_large", "not_found"}
        return
    assert isinstance(msg, Hello | ProctorCommand | ProctorDetail | ProctorNote | ProctorMessage | RoomGate | Ping)
    if isinstance(msg, Hello):
        assert msg.device is None
    if isinstance(msg, ProctorNote | ProctorMessage):
        assert _visible_text(msg.text, 1000 if isinstance(msg, ProctorNote) else 500)
        assert msg.session_id is None or is_session_id(msg.session_id)
        assert isinstance(msg, ProctorMessage) or msg.session_id is not None
        assert msg.request_id is None or type(msg.request_id) in (str, int)
    if isinstance(msg, RoomGate):
        assert type(msg.open) is bool
        assert msg.request_id is None or type(msg.request_id) in (str, int)
    if isinstance(msg, ProctorDetail):
        assert is_session_id(msg.session_id)
        assert msg.request_id is None or type(msg.request_id) in (str, int)
    if isinstance(msg, ProctorCommand):
        assert msg.command in (*PROCTOR_COMMANDS, *SEAT_COMMANDS)
        assert msg.session_id is None or is_session_id(msg.session_id)
        assert msg.command not in SEAT_COMMANDS or msg.session_id is not None  # never the whole room
        assert msg.device is None or (msg.command in SEAT_COMMANDS and isinstance(msg.device, str))
        assert (msg.seconds is not None) == (msg.command == "extend")
        assert msg.seconds is None or 1 <= msg.seconds <= 86400
        assert msg.command == "terminate" or msg.command == "pause" or msg.reason == ""
        assert msg.command != "terminate" or msg.reason.strip()
        assert msg.request_id is None or type(msg.request_id) in (str, int)


def test_the_proctor_oracle_accepts_every_valid_frame_kind() -> None:
    """The fuzz oracle must not reject what the protocol allows (a valid ``detail`` included)."""
    for frame in (
        {"type": "hello", "token": "t", "last_event_id": "1-0", "batch": True},
        {"type": "ping"},
        {"type": "detail", "id": "d1", "session_id": "R7K2QX-0001"},
        {"type": "pause", "room": True, "reason": "break"},
        {"type": "extend", "session_id": "R7K2QX-0001", "seconds": 60},
        {"type": "terminate", "session_id": "R7K2QX-0001", "reason": "left"},
        {"type": "open_room", "id": "o1"},
        {"type": "close_room"},
        {"type": "approve_seat", "session_id": "R7K2QX-0001", "id": 3},
        {"type": "deny_seat", "session_id": "R7K2QX-0001"},
        {"type": "note", "session_id": "R7K2QX-0001", "text": "baris 1\nbaris 2"},
        {"type": "message", "room": True, "text": "Harap tenang"},
        {"type": "message", "session_id": "R7K2QX-0001", "text": "x" * 500, "id": "m1"},
    ):
        _check_proctor(dumps(frame))


def test_the_candidate_oracle_accepts_every_valid_frame_kind() -> None:
    """The fuzz oracle must not reject what the protocol allows (a ``start`` and a ``device`` included)."""
    for frame in (
        {"type": "hello", "token": "t", "device": "dev-1234_abcd"},
        {"type": "start"},
        {"type": "start", "subtest": 1},
        {"type": "answer", "seq": 1, "response": 0},
        {"type": "ping"},
    ):
        _check_candidate(dumps(frame))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_arbitrary_text(raw: str) -> None:
    _check_candidate(raw)
    _check_proctor(raw)
    _check_candidate(raw, 256)
    _check_proctor(raw, 256)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_arbitrary_bytes(raw: bytes) -> None:
    _check_candidate(raw)
    _check_proctor(raw)


@settings(max_examples=200, deadline=None)
@given(_objects)
def test_fuzz_arbitrary_json_objects(obj: dict[str, Any]) -> None:
    raw = dumps(obj)
    _check_candidate(raw)
    _check_proctor(raw)
    _check_candidate(raw.encode(), 256)
    _check_proctor(raw.encode(), 256)


@settings(max_examples=100, deadline=None)
@given(_json)
def test_fuzz_arbitrary_json_values(value: Any) -> None:
    raw = dumps(value)
    _check_candidate(raw)
    _check_proctor(raw)
