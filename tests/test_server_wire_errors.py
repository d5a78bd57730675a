"""cat_engine.server.wire_errors: the table of wire errors agrees with docs/protocol.md, row by row, and has texts.

The docs' table is parsed independently of the code: code, WebSocket behaviour, HTTP status and retry must match
:data:`WIRE_ERRORS` exactly, and every code has distinct Indonesian and English texts.
"""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from cat_engine.errors import CandidateError, CatError, ProctorError, SessionPaused, StateCorrupted
from cat_engine.server.frames import error_frame
from cat_engine.server.wire_errors import WIRE_ERRORS, Refusal, text

PROTOCOL = Path(__file__).resolve().parents[1] / "docs" / "protocol.md"


def documented_rows() -> dict[str, tuple[str, str, str]]:
    """``code -> (WebSocket, HTTP, retry)`` of the error table in docs/protocol.md (section "Errors")."""
    doc = PROTOCOL.read_text(encoding="utf-8")
    section = doc.split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \|.*\| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", section, flags=re.MULTILINE)
    return {code: (ws.strip(), http.strip(), retry.strip()) for code, ws, http, retry in rows}


DOCUMENTED = documented_rows()
CODES = sorted(DOCUMENTED)


def test_the_error_table_is_found() -> None:
    assert len(DOCUMENTED) >= 20
    assert {"bad_message", "too_large", "forbidden", "wrong_seq", "internal", "duplicate_employee"} <= set(CODES)


def test_the_docs_and_the_code_have_the_same_codes() -> None:
    assert set(DOCUMENTED) == set(WIRE_ERRORS)


@pytest.mark.parametrize("code", CODES)
def test_each_row_agrees_with_the_docs(code: str) -> None:
    ws, http, retry = DOCUMENTED[code]
    row = WIRE_ERRORS[code]
    assert retry in ("yes", "no") and (retry == "yes") == row.retryable
    assert http == ("-" if row.http_status is None else str(row.http_status))
    if ws == "open":
        assert row.close is None
    elif ws != "-":
        assert row.close == int(ws)


@pytest.mark.parametrize("code", CODES)
def test_documented_code_has_distinct_indonesian_and_english_texts(code: str) -> None:
    indonesian, english = text(code, "id"), text(code, "en")
    assert indonesian.strip() and english.strip()
    assert indonesian != english
    assert text(code) == indonesian  # Bahasa Indonesia by default
    if code != "internal":  # an unknown code falls back to the internal text: a documented code must not
        assert indonesian != text("internal", "id") and english != text("internal", "en")


def test_texts_of_different_codes_differ() -> None:
    for lang in ("id", "en"):
        texts = [text(code, lang) for code in CODES]
        assert len(set(texts)) == len(texts), lang


def _candidate_and_proctor_error_codes() -> list[str]:
    """Codes of the core's errors that the server puts on the wire unchanged."""
    found: list[str] = []
    stack: list[type[CatError]] = [CandidateError, ProctorError]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls not in (CandidateError, ProctorError):
            found.append(cls.code)
    return sorted(set(found))


@pytest.mark.parametrize("code", _candidate_and_proctor_error_codes())
def test_core_error_codes_sent_on_the_wire_are_rows(code: str) -> None:
    assert code in WIRE_ERRORS and code in DOCUMENTED


def test_core_errors_map_by_their_code_and_others_are_internal() -> None:
    paused = Refusal.of(SessionPaused("the session is paused by the proctor"))
    assert (paused.code, paused.detail) == ("paused", "the session is paused by the proctor")
    assert Refusal.of(StateCorrupted("bad bytes")).code == "internal"


def test_a_refusal_names_a_row_and_carries_its_fields() -> None:
    with pytest.raises(ValueError, match="no_such_code"):
        Refusal("no_such_code")
    refusal = Refusal("duplicate_employee", "employee id 'E1'", employee_id="E1")
    assert refusal.close is None and refusal.row.http_status == 409
    frame = orjson.loads(error_frame(refusal, "en"))
    assert frame == {
        "type": "error",
        "code": "duplicate_employee",
        "message": text("duplicate_employee", "en") + " (employee id 'E1')",
        "employee_id": "E1",
    }
    assert Refusal("taken_over").close == 4002 and Refusal("flood").close == 1008


def test_detail_is_appended() -> None:
    assert text("wrong_seq", "en", "seq 4, not 3") == text("wrong_seq", "en") + " (seq 4, not 3)"
    assert text("wrong_seq", "id", "seq 4, not 3").startswith(text("wrong_seq", "id"))
    assert text("wrong_seq", "en", "") == text("wrong_seq", "en")


def test_unknown_code_and_language_fall_back() -> None:
    assert text("no_such_code", "en") == text("internal", "en")
    assert text("no_such_code", "id") == text("internal", "id")
    assert text("bad_message", "fr") == text("bad_message", "id")


def test_every_code_the_server_raises_is_a_row() -> None:
    """A ``Refusal("<code>"`` anywhere in the server names a row (the constructor would fail only when reached)."""
    server = Path(__file__).resolve().parents[1] / "cat_engine" / "server"
    raised = {code for path in server.glob("*.py") for code in re.findall(r'Refusal\(\s*"([a-z_]+)"', path.read_text())}
    assert raised and raised <= set(WIRE_ERRORS)
