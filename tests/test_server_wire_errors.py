"""cat_engine.server.messages: every documented error code has distinct Indonesian and English texts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cat_engine.errors import CandidateError, CatError, ProctorError
from cat_engine.server.messages import text

PROTOCOL = Path(__file__).resolve().parents[1] / "docs" / "protocol.md"


def documented_codes() -> list[str]:
    """The codes of the error table in docs/protocol.md (section "Errors")."""
    doc = PROTOCOL.read_text(encoding="utf-8")
    section = doc.split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)


CODES = documented_codes()


def test_the_error_table_is_found() -> None:
    assert len(CODES) == len(set(CODES)) >= 16
    assert {"bad_message", "too_large", "forbidden", "wrong_seq", "internal"} <= set(CODES)


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
def test_core_error_codes_sent_on_the_wire_have_texts(code: str) -> None:
    assert text(code, "id") != text("internal", "id")
    assert text(code, "en") != text("internal", "en")
    assert text(code, "id") != text(code, "en")


def test_detail_is_appended() -> None:
    assert text("wrong_seq", "en", "seq 4, not 3") == text("wrong_seq", "en") + " (seq 4, not 3)"
    assert text("wrong_seq", "id", "seq 4, not 3").startswith(text("wrong_seq", "id"))
    assert text("wrong_seq", "en", "") == text("wrong_seq", "en")


def test_unknown_code_and_language_fall_back() -> None:
    assert text("no_such_code", "en") == text("internal", "en")
    assert text("no_such_code", "id") == text("internal", "id")
    assert text("bad_message", "fr") == text("bad_message", "id")
