"""What a candidate reads before the items: instructions and practice items, in every language the pages offer.

A battery config may give instructions for the whole battery and for each subtest, and practice items the
candidate tries before the battery starts (``docs/battery-format.md``)::

    [instructions]
    id = "Tes ini terdiri dari ..."
    en = "This test has ..."

    [[practice]]
    id = "latihan-1"
    stem = { id = "...", en = "..." }
    options = [ { id = "...", en = "..." }, { id = "...", en = "..." } ]

Every text is given in each of :data:`LANGUAGES`. Practice items carry no key and are never scored or stored: the
candidate page only lets the candidate try the way of answering. Problems raise ``ValueError`` naming the field
(the battery loader turns it into a :class:`~cat_engine.errors.BatteryConfigError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LANGUAGES", "MAX_PRACTICE", "MAX_TEXT", "PracticeItem", "Texts", "practice_items", "texts"]

LANGUAGES = ("id", "en")  # Bahasa Indonesia first: the pages' default
MAX_TEXT = 4_000  # characters of one text: what a screen can show
MAX_PRACTICE = 5


@dataclass(frozen=True)
class Texts:
    """One text in every language of :data:`LANGUAGES`."""

    id: str
    en: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "en": self.en}


@dataclass(frozen=True)
class PracticeItem:
    """A practice item: an id, a stem and two or more options, each in every language; no key."""

    id: str
    stem: Texts
    options: tuple[Texts, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "stem": self.stem.to_dict(), "options": [o.to_dict() for o in self.options]}


def texts(raw: Any, field: str) -> Texts:
    """A :class:`Texts` from a table with one non-empty string per language (``field`` names it in errors)."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"{field}: must be a table with {' and '.join(LANGUAGES)}")
    unknown = sorted(set(raw) - set(LANGUAGES))
    if unknown:
        raise ValueError(f"{field}.{unknown[0]}: unknown language (the pages offer {', '.join(LANGUAGES)})")
    values = []
    for lang in LANGUAGES:
        value = raw.get(lang)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{field}.{lang}: must be a non-empty string")
        if len(value) > MAX_TEXT:
            raise ValueError(f"{field}.{lang}: at most {MAX_TEXT} characters, got {len(value)}")
        values.append(value.strip())
    return Texts(*values)


def practice_items(raw: Any) -> tuple[PracticeItem, ...]:
    """The ``[[practice]]`` items of a battery config (none when absent)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_PRACTICE:
        raise ValueError(f"practice: must be a list of at most {MAX_PRACTICE} [[practice]] tables")
    items = []
    for n, entry in enumerate(raw, 1):
        field = f"practice[{n}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{field}: must be a table")
        unknown = sorted(set(entry) - {"id", "stem", "options"})
        if unknown:
            raise ValueError(f"{field}.{unknown[0]}: unknown setting (a practice item has id, stem and options)")
        item_id = entry.get("id")
        if not isinstance(item_id, str) or not item_id.strip():
            raise ValueError(f"{field}.id: must be a non-empty string")
        options = entry.get("options")
        if not isinstance(options, list) or not 2 <= len(options) <= 10:
            raise ValueError(f"{field}.options: must list 2 to 10 options")
        items.append(
            PracticeItem(
                item_id.strip(),
                texts(entry.get("stem"), f"{field}.stem"),
                tuple(texts(o, f"{field}.options[{k}]") for k, o in enumerate(options, 1)),
            )
        )
    ids = [i.id for i in items]
    if len(set(ids)) != len(ids):
        raise ValueError("practice: two practice items share an id")
    return tuple(items)
