"""``cat-sim --aberrance``: the option, its errors, the JSON block and the report."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from cat_engine.cli import sim_main

DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"


def test_json_has_the_aberrance_block_and_the_normal_examinees_figures(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--battery", str(DEMO), "--examinees", "200", "--seed", "4", "--aberrance", "rapid:0.1,proxy:0.1"]
    assert sim_main([*args, "--json"]) == 0
    out = orjson.loads(capsys.readouterr().out)
    block = out["aberrance"]
    assert block["examinees"] == 160
    assert [(k["kind"], k["examinees"]) for k in block["kinds"]] == [("rapid", 20), ("proxy", 20)]
    assert 0.0 <= block["false_alarm_rate"] <= 1.0
    assert {s["examinees"] for s in out["subtests"]} == {160}  # the subtests' figures: normal examinees only
    assert set(block["by_flag"]) <= {"rapid", "preknowledge", "misfit", "speed_change", "ability_change"}


def test_the_report_names_each_kind_in_the_language_asked(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--battery", str(DEMO), "--examinees", "120", "--seed", "4", "--aberrance", "rapid:0.1", "--lang", "en"]
    assert sim_main(args) == 0
    out = capsys.readouterr().out
    assert "false alarms among 108 normal examinees" in out
    assert "rapid: 12 examinees (10.0%), flagged" in out


@pytest.mark.parametrize("mix", ["cheat:0.1", "rapid:2", "rapid"])
def test_a_bad_mix_is_refused_by_the_parser(mix: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        sim_main(["--battery", str(DEMO), "--aberrance", mix])
    assert exc.value.code == 2
    assert "--aberrance" in capsys.readouterr().err


def test_a_single_pool_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    pool = DEMO.parent / "literasi_digital.json"
    with pytest.raises(SystemExit, match="--aberrance needs --battery"):
        sim_main(["--pool", str(pool), "--aberrance", "rapid:0.1", "--lang", "en"])
