"""``cat-sim --pretest N:K``: the option, its errors, the JSON block and the report."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from cat_engine.cli import sim_main
from cat_engine.sim_pretest_cli import parse_pretest

DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"
POOL = DEMO.parent / "literasi_digital.json"
KEYS = {"items", "responses_per_item", "rmse_a", "rmse_b", "bias_b", "rmse_thresholds", "promoted"}


@pytest.mark.parametrize(("text", "expected"), [("40:4", (40, 4)), ("1:1", (1, 1)), (" 7:7 ", (7, 7))])
def test_parse_accepts_n_colon_k(text: str, expected: tuple[int, int]) -> None:
    assert parse_pretest(text) == expected


@pytest.mark.parametrize("text", ["40", "40:0", "4:5", "0:0", "a:b", "40:4:2", "-4:2", "4.0:2", ""])
def test_parse_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError):
        parse_pretest(text)


@pytest.mark.parametrize(("lang", "phrase"), [("id", "harus N:K, bilangan bulat"), ("en", "expected N:K, integers")])
def test_a_bad_option_is_explained_in_the_language_asked(
    lang: str, phrase: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert sim_main(["--battery", str(DEMO), "--pretest", "4:5", "--lang", lang]) == 2
    err = capsys.readouterr().err
    assert "--pretest" in err and phrase in err and "'4:5'" in err


def test_a_subtest_too_short_for_pretest_slots_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert sim_main(["--pool", str(POOL), "--pretest", "10:2", "--lang", "en", "--examinees", "5"]) == 2
    err = capsys.readouterr().err
    assert "min_items of at least 5" in err and "--min-items" in err


def test_pretest_and_aberrance_are_not_combined(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--battery", str(DEMO), "--pretest", "10:2", "--aberrance", "rapid:0.1", "--lang", "en"]
    assert sim_main(args) == 2
    assert "cannot be combined" in capsys.readouterr().err


def _json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert sim_main([*args, "--json"]) == 0
    out: dict[str, object] = orjson.loads(capsys.readouterr().out)
    return out


def test_a_small_run_adds_the_block_and_keeps_the_operational_figures(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--battery", str(DEMO), "--examinees", "240", "--seed", "5"]
    plain = _json(base, capsys)
    seeded = _json([*base, "--pretest", "12:3"], capsys)
    assert isinstance(plain["subtests"], list) and isinstance(seeded["subtests"], list)
    assert len(seeded["subtests"]) == 3
    for before, after in zip(plain["subtests"], seeded["subtests"], strict=True):
        block = after.pop("pretest")
        assert set(block) >= KEYS
        assert block["items"] == 12 and block["responses_per_item"] == 60.0  # 240 x 3 / 12
        assert 0 <= block["promoted"] <= 12  # 60 responses: the rule's minimum of 300 is not met
        before.pop("seconds"), after.pop("seconds")
        assert before == after


def test_the_report_shows_each_subtests_pretest_lines(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--pool", str(POOL), "--min-items", "8", "--examinees", "100", "--pretest", "5:2", "--lang", "en"]
    assert sim_main(args) == 0
    captured = capsys.readouterr()
    assert "Pretest (simulated): 5 items, 2 per examinee, 40 responses per item (40-40)" in captured.out
    assert "promoted to the operational pool: 0 of 5" in captured.out
    assert "Calibrating pretest" in captured.err  # progress of the calibration phase
