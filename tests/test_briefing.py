"""Instructions and practice items of a battery config: parsed in every language, refused naming the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import battery_dict, write_battery

from cat_engine.battery import load_battery
from cat_engine.briefing import LANGUAGES, MAX_PRACTICE, MAX_TEXT, PracticeItem, Texts, practice_items, texts
from cat_engine.errors import BatteryConfigError


def _practice(n: int = 1, options: int = 3) -> list[dict[str, Any]]:
    return [
        {
            "id": f"p{k}",
            "stem": {"id": f"Soal latihan {k}", "en": f"Practice question {k}"},
            "options": [{"id": f"Pilihan {o}", "en": f"Option {o}"} for o in range(options)],
        }
        for k in range(1, n + 1)
    ]


def test_texts_in_every_language_trimmed() -> None:
    assert LANGUAGES == ("id", "en")
    assert texts({"id": "  Petunjuk ", "en": "Instructions\n"}, "instructions") == Texts("Petunjuk", "Instructions")
    assert Texts("a", "b").to_dict() == {"id": "a", "en": "b"}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("Petunjuk", "instructions"),
        ({"id": "Petunjuk"}, "instructions.en"),
        ({"id": "", "en": "x"}, "instructions.id"),
        ({"id": "  ", "en": "x"}, "instructions.id"),
        ({"id": 5, "en": "x"}, "instructions.id"),
        ({"id": "x", "en": "x", "fr": "x"}, "instructions.fr"),
        ({"id": "x" * (MAX_TEXT + 1), "en": "x"}, "instructions.id"),
    ],
)
def test_bad_texts_name_the_field(raw: Any, field: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field}: "):
        texts(raw, "instructions")


def test_practice_items_parse_without_a_key() -> None:
    items = practice_items(_practice(2, options=4))
    assert [i.id for i in items] == ["p1", "p2"]
    assert isinstance(items[0], PracticeItem) and len(items[0].options) == 4
    wire = items[0].to_dict()
    assert set(wire) == {"id", "stem", "options"}
    assert wire["stem"] == {"id": "Soal latihan 1", "en": "Practice question 1"}
    assert wire["options"][3] == {"id": "Pilihan 3", "en": "Option 3"}
    assert practice_items(None) == ()


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p[0].__setitem__("key", 1), "practice[1].key"),
        (lambda p: p[0].__setitem__("id", ""), "practice[1].id"),
        (lambda p: p[0].__setitem__("options", [p[0]["options"][0]]), "practice[1].options"),
        (lambda p: p[0]["options"].__setitem__(1, {"id": "x"}), "practice[1].options[2].en"),
        (lambda p: p[1].__setitem__("stem", "x"), "practice[2].stem"),
        (lambda p: p[1].__setitem__("id", "p1"), "practice"),
        (lambda p: p.extend(_practice(MAX_PRACTICE)), "practice"),
        (lambda p: p.__setitem__(0, "x"), "practice[1]"),
    ],
)
def test_bad_practice_items_name_the_field(mutate: Any, field: str) -> None:
    raw = _practice(2)
    mutate(raw)
    with pytest.raises(ValueError) as info:
        practice_items(raw)
    assert str(info.value).startswith(f"{field}: ")


def test_battery_carries_its_instructions_and_practice(tmp_path: Path) -> None:
    data = battery_dict(instructions={"id": "Petunjuk umum", "en": "General instructions"}, practice=_practice(1))
    data["subtests"][1]["instructions"] = {"id": "Petunjuk subtes", "en": "Subtest instructions"}
    battery = load_battery(write_battery(tmp_path, data))
    assert battery.instructions == Texts("Petunjuk umum", "General instructions")
    assert [p.id for p in battery.practice] == ["p1"]
    assert battery.subtests[0].instructions is None
    assert battery.subtests[1].instructions == Texts("Petunjuk subtes", "Subtest instructions")


@pytest.mark.parametrize(
    ("top", "sub", "subtest", "field"),
    [
        ({"instructions": {"id": "x"}}, None, None, "instructions.en"),
        ({"practice": [{"id": "p", "stem": {"id": "x", "en": "x"}, "options": []}]}, None, None, "practice[1].options"),
        ({}, {"id": "x", "en": ""}, "s2", "instructions.en"),
    ],
)
def test_battery_refuses_bad_texts_naming_subtest_and_field(
    tmp_path: Path, top: dict[str, Any], sub: Any, subtest: str | None, field: str
) -> None:
    data = battery_dict(**top)
    if sub is not None:
        data["subtests"][1]["instructions"] = sub
    with pytest.raises(BatteryConfigError) as info:
        load_battery(write_battery(tmp_path, data))
    assert (info.value.subtest_id, info.value.field) == (subtest, field)


def test_the_demo_battery_has_instructions_and_practice_in_both_languages() -> None:
    battery = load_battery(Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml")
    assert battery.instructions is not None and battery.practice
    assert all(s.instructions is not None for s in battery.subtests)
