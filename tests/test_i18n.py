"""Messages exist in both languages, format, and follow CAT_LANG."""

from __future__ import annotations

import pytest

from cat_engine import i18n


def test_every_message_has_both_languages() -> None:
    for key, texts in i18n._MESSAGES.items():
        assert set(texts) == set(i18n.LANGUAGES), key


def test_default_language_follows_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAT_LANG", raising=False)
    assert i18n.default_language() == "id"
    monkeypatch.setenv("CAT_LANG", "en")
    assert i18n.default_language() == "en"
    monkeypatch.setenv("CAT_LANG", "fr")
    assert i18n.default_language() == "id"


def test_message_formats_values_and_falls_back_to_indonesian() -> None:
    assert i18n.message("seconds", "en", seconds=1.234) == "Time 1.23 s"
    assert i18n.message("seconds", "xx", seconds=2) == "Waktu 2.00 detik"
