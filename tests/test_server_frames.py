"""cat_engine.server.frames: decoding client frames (docs/protocol.md) and building what a candidate may see."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import battery_dict, load, subtest_dict
from hypothesis import given, settings
from hypothesis import strategies as st

from cat_engine import session as core
from cat_engine.battery import Battery, load_battery
from cat_engine.events import Event, SubtestDone
from cat_engine.server.frames import (
    PROCTOR_COMMANDS,
    CandidateAnswer,
    Hello,
    Ping,
    ProctorCommand,
    ProctorDetail,
    ProtocolError,
    decode_candidate,
    decode_proctor,
    error_frame,
    finished_frame,
    item_frame,
    paused_frame,
    state_frame,
    time_frame,
)
from cat_engine.session import Phase, SessionState
from cat_engine.stopping import StopReason

DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"
MAX = 4096
CODES = {"bad_message", "too_large", "forbidden"}


@functools.cache
def demo() -> Battery:
    return load_battery(DEMO)


def dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def cand(obj: Any, max_bytes: int = MAX) -> Hello | CandidateAnswer | Ping:
    return decode_candidate(obj if isinstance(obj, str | bytes) else dumps(obj), max_bytes)


def proc(obj: Any, max_bytes: int = MAX) -> Hello | ProctorCommand | Ping:
    return decode_proctor(obj if isinstance(obj, str | bytes) else dumps(obj), max_bytes)


def code_of(decode: Any, obj: Any, max_bytes: int = MAX) -> str:
    with pytest.raises(ProtocolError) as info:
        decode(obj, max_bytes)
    assert info.value.message  # every refusal says why
    return info.value.code


# --- candidate frames: accepted ----------------------------------------------------------------------------------


def test_candidate_accepts_every_documented_frame() -> None:
    assert cand({"type": "hello", "token": "ABCD-EFGH-JKMN"}) == Hello("ABCD-EFGH-JKMN")
    assert cand({"type": "answer", "seq": 12, "response": 3}) == CandidateAnswer(12, 3)
    assert cand({"type": "ping"}) == Ping()
    # bytes are decoded the same way as text, and field order does not matter
    assert cand(b'{"response": 0, "seq": 1, "type": "answer"}') == CandidateAnswer(1, 0)


def test_candidate_answer_range_edges_are_accepted() -> None:
    # wrong seq and bad response are decided later (wrong_seq, bad_response), not by the decoder
    assert cand({"type": "answer", "seq": 0, "response": -1}) == CandidateAnswer(0, -1)
    assert cand({"type": "answer", "seq": 10**9, "response": 10**9}) == CandidateAnswer(10**9, 10**9)


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
    ],
)
def test_candidate_unknown_extra_field_is_bad_message(frame: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError) as info:
        cand(frame)
    assert info.value.code == "bad_message"
    extra = sorted(set(frame) - {"type", "token", "seq", "response"})
    assert all(name in info.value.message for name in extra)


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
    ],
)
def test_candidate_sending_proctor_command_is_forbidden(frame: dict[str, Any]) -> None:
    assert code_of(decode_candidate, dumps(frame)) == "forbidden"
    assert frame["type"] in PROCTOR_COMMANDS


def test_detail_request() -> None:
    assert decode_proctor(dumps({"type": "detail", "session_id": "R7K2QX-0001"}), MAX) == ProctorDetail(
        "R7K2QX-0001", None
    )
    assert decode_proctor(dumps({"type": "detail", "session_id": "R-1", "id": "d7"}), MAX) == ProctorDetail("R-1", "d7")
    for bad in (
        {"type": "detail"},
        {"type": "detail", "session_id": ""},
        {"type": "detail", "session_id": 7},
        {"type": "detail", "room": True},
        {"type": "detail", "session_id": "R-1", "id": True},
        {"type": "detail", "session_id": "R-1", "reason": "x"},
    ):
        assert code_of(decode_proctor, dumps(bad)) == "bad_message", bad
    assert code_of(decode_candidate, dumps({"type": "detail", "session_id": "R-1"})) == "forbidden"


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


@pytest.mark.parametrize("batch", ["yes", 1, 0, None, [], {}])
def test_proctor_batch_must_be_a_boolean(batch: Any) -> None:
    assert code_of(decode_proctor, dumps({"type": "hello", "token": "tok", "batch": batch})) == "bad_message"
    # the candidate has no batch to ask for
    assert code_of(decode_candidate, dumps({"type": "hello", "token": "tok", "batch": True})) == "bad_message"
    assert proc({"type": "ping"}) == Ping()
    assert proc({"type": "pause", "session_id": "R7K2QX-0001"}) == ProctorCommand("pause", "R7K2QX-0001")
    assert proc({"type": "pause", "room": True, "reason": "fire drill", "id": "c1"}) == ProctorCommand(
        "pause", None, "c1", None, "fire drill"
    )
    assert proc({"type": "pause", "room": True, "reason": ""}) == ProctorCommand("pause", None)
    assert proc({"type": "pause", "room": True, "reason": None}) == ProctorCommand("pause", None)
    assert proc({"type": "resume", "session_id": "R7K2QX-0002", "id": 7}) == ProctorCommand("resume", "R7K2QX-0002", 7)
    assert proc({"type": "extend", "room": True, "seconds": 300}) == ProctorCommand("extend", None, None, 300.0)
    assert proc({"type": "extend", "session_id": "R-1", "seconds": 1.5}) == ProctorCommand("extend", "R-1", None, 1.5)
    assert proc({"type": "terminate", "session_id": "R-1", "reason": "  cheating  "}) == ProctorCommand(
        "terminate", "R-1", None, None, "  cheating  "
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
        {"session_id": "S" * 101},
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
        {"type": "resume", "session_id": "R-1", "sessions": ["R-2"]},
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


# --- fuzz: a documented message or a ProtocolError, never anything else ------------------------------------------

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
    ["token", "seq", "response", "last_event_id", "id", "session_id", "room", "seconds", "reason"]
) | st.text(max_size=8)
_types = st.sampled_from(["hello", "answer", "ping", *PROCTOR_COMMANDS]) | st.text(max_size=10) | _json_scalars
_field_values = (
    _json
    | st.integers(min_value=-3, max_value=90000)
    | st.sampled_from([True, "R7K2QX-0001", "1700000000000-0", "ABCD-EFGH-JKMN", "cheating", " "])
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
    except ProtocolError as exc:
        assert exc.code in CODES
        return
    assert isinstance(msg, Hello | CandidateAnswer | Ping)
    if isinstance(msg, Hello):
        assert isinstance(msg.token, str) and 0 < len(msg.token) <= 200 and msg.last_event_id is None
    if isinstance(msg, CandidateAnswer):
        assert type(msg.seq) is int and type(msg.response) is int


def _check_proctor(raw: str | bytes, max_bytes: int = MAX) -> None:
    try:
        msg = decode_proctor(raw, max_bytes)
    except ProtocolError as exc:
        assert exc.code in {"bad_message", "too_large"}
        return
    assert isinstance(msg, Hello | ProctorCommand | Ping)
    if isinstance(msg, ProctorCommand):
        assert msg.command in PROCTOR_COMMANDS
        assert msg.session_id is None or (isinstance(msg.session_id, str) and msg.session_id)
        assert (msg.seconds is not None) == (msg.command == "extend")
        assert msg.seconds is None or 1 <= msg.seconds <= 86400
        assert msg.command == "terminate" or msg.command == "pause" or msg.reason == ""
        assert msg.command != "terminate" or msg.reason.strip()
        assert msg.request_id is None or type(msg.request_id) in (str, int)


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


# --- server frames: a real session over the demo battery ---------------------------------------------------------

ITEM_KEYS = {"type", "seq", "item", "subtest", "progress", "time_left_s"}
FORBIDDEN_KEYS = {
    "key",
    "keys",
    "option_weights",
    "weights",
    "params",
    "a",
    "b",
    "c",
    "d",
    "steps",
    "model",
    "content_area",
    "area",
    "exposure_k",
    "enemies",
    "theta",
    "se",
    "category",
    "item_index",
}


def _keys(value: Any) -> set[str]:
    """Every object key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def _previous(events: list[Event]) -> tuple[int, StopReason] | None:
    done = [e for e in events if isinstance(e, SubtestDone)]
    return None if not done else (done[-1].subtest, StopReason[done[-1].result.stop_reason.upper()])


@dataclass
class Presented:
    frame: bytes
    state: SessionState
    now_ms: int
    previous: tuple[int, StopReason] | None


@dataclass
class Walk:
    battery: Battery
    presented: list[Presented]
    final: SessionState
    previous: tuple[int, StopReason] | None
    first_item_at_ms: dict[int, int]


T0 = 1_796_300_000_000
STEP_MS = 4_000


@functools.cache
def walk() -> Walk:
    """One whole sitting of the demo battery, answered at random, every item frame kept."""
    battery = demo()
    rng = random.Random(7)
    now = T0
    state = core.new_session(battery, 12345)
    state, _ = core.connect(battery, state, now)
    state, events = core.start(battery, state, now)
    presented: list[Presented] = []
    first_at = {0: now}
    previous = _previous(events)
    while state.phase is Phase.ACTIVE:
        presented.append(Presented(item_frame(battery, state, now, previous), state, now, previous))
        now += STEP_MS
        n_options = len(battery.subtests[state.subtest].pool.items[state.item].options)
        before = state.subtest
        state, events = core.answer(battery, state, state.seq, rng.randrange(n_options), now)
        previous = _previous(events)
        if state.phase is Phase.ACTIVE and state.subtest != before:
            first_at[state.subtest] = now
    return Walk(battery, presented, state, previous, first_at)


def test_walk_covers_every_subtest_and_finishes() -> None:
    w = walk()
    assert w.final.phase is Phase.FINISHED
    assert {p.state.subtest for p in w.presented} == set(range(len(w.battery.subtests)))
    assert [orjson.loads(p.frame)["seq"] for p in w.presented] == list(range(1, len(w.presented) + 1))


def test_item_frames_have_exactly_the_documented_keys() -> None:
    w = walk()
    for p in w.presented:
        frame = orjson.loads(p.frame)
        first_of_later_subtest = p.state.subtest > 0 and not p.state.items
        assert set(frame) == ITEM_KEYS | ({"previous_subtest"} if first_of_later_subtest else set())
        assert frame["type"] == "item"
        assert set(frame["item"]) == {"id", "stem", "options"}
        assert set(frame["subtest"]) == {"index", "id", "name", "count"}
        assert set(frame["progress"]) == {"answered", "max_items", "subtests_done", "subtests_total"}
        if first_of_later_subtest:
            assert set(frame["previous_subtest"]) == {"id", "name", "reason"}


def test_item_frames_carry_no_forbidden_data() -> None:
    w = walk()
    for p in w.presented:
        frame = orjson.loads(p.frame)
        sub = w.battery.subtests[p.state.subtest]
        item = sub.pool.items[p.state.item]
        assert not _keys(frame) & FORBIDDEN_KEYS
        strings = _strings(frame)
        # the content area is never sent as a value (it may only occur inside the stem's prose)
        assert item.content_area not in strings
        # the only number with a fraction is time_left_s: no parameter, weight, theta or SE slipped in
        assert all(type(v) is int for v in (*frame["progress"].values(), frame["seq"], frame["subtest"]["index"]))
        assert frame["time_left_s"] is None or isinstance(frame["time_left_s"], float)
        # nothing about other items: the only item id is the one presented
        other_ids = {it.id for it in sub.pool.items} - {item.id}
        assert not other_ids & set(strings)


def test_item_frames_show_the_pool_item_in_order() -> None:
    w = walk()
    for p in w.presented:
        frame = orjson.loads(p.frame)
        sub = w.battery.subtests[p.state.subtest]
        item = sub.pool.items[p.state.item]
        assert frame["item"] == {"id": item.id, "stem": item.stem, "options": list(item.options)}
        assert frame["seq"] == p.state.seq
        assert frame["subtest"] == {
            "index": p.state.subtest,
            "id": sub.id,
            "name": sub.name,
            "count": len(w.battery.subtests),
        }
        assert frame["progress"] == {
            "answered": len(p.state.items),
            "max_items": sub.stopping.max_items,
            "subtests_done": p.state.subtest,
            "subtests_total": len(w.battery.subtests),
        }
        assert sub.time_limit_s is not None
        elapsed_ms = p.now_ms - w.first_item_at_ms[p.state.subtest]
        assert frame["time_left_s"] == pytest.approx(sub.time_limit_s - elapsed_ms / 1000)


def test_previous_subtest_completed_on_first_item_of_the_next_subtest() -> None:
    w = walk()
    firsts = [p for p in w.presented if not p.state.items]
    assert [p.state.subtest for p in firsts] == list(range(len(w.battery.subtests)))
    assert "previous_subtest" not in orjson.loads(firsts[0].frame)
    for p in firsts[1:]:
        before = w.battery.subtests[p.state.subtest - 1]
        assert orjson.loads(p.frame)["previous_subtest"] == {
            "id": before.id,
            "name": before.name,
            "reason": "completed",
        }


def test_finished_frame_after_the_last_answer() -> None:
    w = walk()
    frame = orjson.loads(finished_frame(w.battery, w.final, w.previous))
    assert set(frame) == {"type", "profile", "previous_subtest"}
    last = w.battery.subtests[-1]
    assert frame["previous_subtest"] == {"id": last.id, "name": last.name, "reason": "completed"}
    profile = frame["profile"]
    assert set(profile) == {"battery", "subtests"}
    assert profile["battery"] == {"id": w.battery.id, "version": w.battery.version, "name": w.battery.name}
    rows = core.profile(w.battery, w.final).subtests
    assert len(profile["subtests"]) == len(w.battery.subtests) == len(rows)
    for shown, row in zip(profile["subtests"], rows, strict=True):
        assert set(shown) == {"id", "name", "level", "scaled_score", "items", "time_s"}
        assert shown["id"] == row.subtest_id
        assert shown["level"] == row.level and shown["scaled_score"] == row.scaled_score
        assert shown["items"] == row.items_administered
        assert shown["time_s"] == pytest.approx(row.time_used_s, abs=0.05)
    assert not _keys(frame) & {"theta", "se"}
    # state_frame of a finished session is the same frame
    assert state_frame(w.battery, w.final, T0, "", w.previous) == finished_frame(w.battery, w.final, w.previous)


def test_finished_frame_without_previous_subtest_when_resumed() -> None:
    w = walk()
    frame = orjson.loads(finished_frame(w.battery, w.final))
    assert set(frame) == {"type", "profile"}


def test_finished_frame_profile_is_null_when_not_shown_to_candidates(tmp_path: Path) -> None:
    data = battery_dict(
        [subtest_dict("s1", max_items=3, se_target=None), subtest_dict("s2", max_items=3, se_target=None)],
        show_profile_to_candidate=False,
    )
    battery = load(tmp_path, data)
    assert battery.show_profile_to_candidate is False
    state = core.new_session(battery, 1)
    state, _ = core.connect(battery, state, T0)
    state, _ = core.start(battery, state, T0)
    events: list[Event] = []
    while state.phase is Phase.ACTIVE:
        state, events = core.answer(battery, state, state.seq, 0, T0 + 1000)
    frame = orjson.loads(finished_frame(battery, state, _previous(events)))
    assert frame["profile"] is None
    assert frame["previous_subtest"] == {"id": "s2", "name": "Subtest s2", "reason": "completed"}
    assert not _keys(frame) & {"theta", "se"}


def _at_first_item(w: Walk, subtest: int) -> Presented:
    return next(p for p in w.presented if p.state.subtest == subtest and not p.state.items)


def test_previous_subtest_time_up_when_the_clock_ran_out() -> None:
    w = walk()
    start = _at_first_item(w, 0)
    limit_ms = round(w.battery.subtests[0].time_limit_s * 1000)
    now = start.now_ms + limit_ms
    state, events = core.tick(w.battery, start.state, now)
    assert state.subtest == 1 and state.phase is Phase.ACTIVE
    previous = _previous(events)
    assert previous == (0, StopReason.TIME_UP)
    frame = orjson.loads(item_frame(w.battery, state, now, previous))
    first = w.battery.subtests[0]
    assert frame["previous_subtest"] == {"id": first.id, "name": first.name, "reason": "time_up"}
    assert frame["time_left_s"] == w.battery.subtests[1].time_limit_s  # a fresh clock
    assert frame["progress"]["answered"] == 0 and frame["progress"]["subtests_done"] == 1


def test_finished_after_time_up_of_the_last_subtest() -> None:
    w = walk()
    last = len(w.battery.subtests) - 1
    start = _at_first_item(w, last)
    now = start.now_ms + round(w.battery.subtests[last].time_limit_s * 1000) + 1
    state, events = core.tick(w.battery, start.state, now)
    assert state.phase is Phase.FINISHED
    frame = orjson.loads(state_frame(w.battery, state, now, "", _previous(events)) or b"null")
    sub = w.battery.subtests[last]
    assert frame["type"] == "finished"
    assert frame["previous_subtest"] == {"id": sub.id, "name": sub.name, "reason": "time_up"}


def test_time_left_is_null_for_a_subtest_without_limit(tmp_path: Path) -> None:
    battery = load(tmp_path, battery_dict([subtest_dict("s1", time_limit_s=None)]))
    state = core.new_session(battery, 3)
    state, _ = core.connect(battery, state, T0)
    state, _ = core.start(battery, state, T0)
    assert orjson.loads(item_frame(battery, state, T0 + 10_000))["time_left_s"] is None
    assert orjson.loads(time_frame(battery, state, T0)) == {"type": "time", "time_left_s": None}


def test_paused_time_error_frames_and_state_frame() -> None:
    w = walk()
    p = w.presented[3]
    assert orjson.loads(paused_frame("istirahat")) == {"type": "paused", "reason": "istirahat"}
    assert orjson.loads(error_frame("wrong_seq", "x")) == {"type": "error", "code": "wrong_seq", "message": "x"}
    time_msg = orjson.loads(time_frame(w.battery, p.state, p.now_ms + 1500))
    assert set(time_msg) == {"type", "time_left_s"} and time_msg["type"] == "time"
    assert time_msg["time_left_s"] == pytest.approx(orjson.loads(p.frame)["time_left_s"] - 1.5)
    assert state_frame(w.battery, p.state, p.now_ms) == item_frame(w.battery, p.state, p.now_ms)
    paused, _ = core.pause(w.battery, p.state, p.now_ms, "istirahat")
    assert state_frame(w.battery, paused, p.now_ms, "istirahat") == paused_frame("istirahat")
    terminated, _ = core.terminate(w.battery, p.state, "curang", p.now_ms)
    assert state_frame(w.battery, terminated, p.now_ms) is None
