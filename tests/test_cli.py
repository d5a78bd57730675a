"""The command-line tools: cat-sim's JSON interface, cat-validate's verdicts, cat-exposure's writing, languages."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import orjson
import pytest
from conftest import battery_dict, make_pool_dict, subtest_dict, write_battery, write_pool

from cat_engine import cli
from cat_engine.pool import load_pool

REQUIRED = {
    "name",
    "examinees",
    "mean_length",
    "bias",
    "rmse",
    "coverage_95",
    "max_exposure",
    "unused_share",
    "mean_overlap",
}


def test_cat_sim_json_interface(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_battery(tmp_path)
    assert cli.sim_main(["--battery", str(path), "--examinees", "60", "--seed", "3", "--json"]) == 0
    out = capsys.readouterr()
    report = orjson.loads(out.out)  # stdout holds exactly one JSON object
    assert set(report) >= {"subtests", "seconds"}
    assert [s["name"] for s in report["subtests"]] == ["Subtest s1", "Subtest s2"]
    for sub in report["subtests"]:
        assert set(sub) >= REQUIRED
        assert sub["examinees"] == 60
    assert "[" in out.err  # the progress bar went to stderr


def test_cat_sim_reports_by_band_levels_and_areas_for_a_uniform_spread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_battery(tmp_path)
    argv = ["--battery", str(path), "--examinees", "300", "--seed", "3", "--theta-dist", "uniform:-3:3", "--json"]
    assert cli.sim_main(argv) == 0
    report = orjson.loads(capsys.readouterr().out)
    for sub in report["subtests"]:
        bands = sub["bands"]
        assert [(b["lo"], b["hi"]) for b in bands] == [
            (-3.0, -2.0),
            (-2.0, -1.0),
            (-1.0, 0.0),
            (0.0, 1.0),
            (1.0, 2.0),
            (2.0, 3.0),
        ]
        assert sum(b["examinees"] for b in bands) == 300
        assert all(30 <= b["examinees"] <= 70 for b in bands)  # about 50 each from a uniform spread
        assert all(0 < b["max_exposure"] <= 1 and 0 <= b["coverage_95"] <= 1 for b in bands)
        assert 0 < sub["level_accuracy"] <= 1 and 0 < sub["level_consistency"] <= 1
        assert [row["level"] for row in sub["levels"]] == [1, 2, 3, 4, 5]
        assert isinstance(sub["area_share"], dict)


@pytest.mark.parametrize("spec", ["uniform", "uniform:3:-3", "uniform:a:b", "beta:1:2", "uniform:-inf:3"])
def test_cat_sim_refuses_a_bad_theta_distribution(spec: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.sim_main(["--battery", "x.toml", "--theta-dist", spec])
    assert info.value.code == 2 and "--theta-dist" in capsys.readouterr().err


def test_cat_sim_is_reproducible_from_its_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_battery(tmp_path)
    runs = []
    for _ in range(2):
        cli.sim_main(["--battery", str(path), "--examinees", "40", "--seed", "9", "--json"])
        report = orjson.loads(capsys.readouterr().out)
        runs.append([(s["rmse"], s["mean_length"]) for s in report["subtests"]])
    assert runs[0] == runs[1]


def test_cat_sim_console_script_runs_as_a_process(tmp_path: Path) -> None:
    path = write_battery(tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from cat_engine.cli import sim_main; raise SystemExit(sim_main())",
            "--battery",
            str(path),
            "--examinees",
            "20",
            "--json",
            "--subtest",
            "s2",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    report = orjson.loads(done.stdout)
    assert [s["subtest_id"] for s in report["subtests"]] == ["s2"]


def test_cat_sim_report_in_both_languages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_battery(tmp_path)
    cli.sim_main(["--battery", str(path), "--examinees", "30", "--lang", "id"])
    indonesian = capsys.readouterr().out
    cli.sim_main(["--battery", str(path), "--examinees", "30", "--lang", "en"])
    english = capsys.readouterr().out
    assert "Rata-rata panjang tes" in indonesian and "Cakupan interval 95%" in indonesian
    assert "Mean test length" in english and "95% interval coverage" in english


def test_cat_sim_single_pool_and_plots(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool = write_pool(tmp_path / "p.json", make_pool_dict(80, pool_id="p"))
    plots = tmp_path / "plots"
    args = [
        "--pool",
        str(pool),
        "--examinees",
        "50",
        "--estimator",
        "wle",
        "--max-items",
        "12",
        "--json",
        "--plot",
        str(plots),
    ]
    assert cli.sim_main(args) == 0
    report = orjson.loads(capsys.readouterr().out)
    assert report["subtests"][0]["pool_id"] == "p"
    assert report["subtests"][0]["length_percentiles"]["95"] <= 12
    assert sorted(p.name for p in plots.iterdir()) == ["conditional_se.png", "exposure.png", "information.png"]


def test_cat_sim_bad_battery_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('format_version = 1\nid = "x"\n', encoding="utf-8")
    assert cli.sim_main(["--battery", str(bad), "--json"]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "version" in err


def test_cat_validate_names_the_bad_item_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_pool(tmp_path / "good.json", make_pool_dict(10, pool_id="good"))
    data = make_pool_dict(10, pool_id="bad")
    data["items"][4]["params"]["a"] = -1.0
    bad = write_pool(tmp_path / "bad.json", data)
    assert cli.validate_main([str(good), str(bad), "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert f"OK   {good}" in out
    assert "FAIL" in out and "bad.json" in out and "bad-0004" in out and "params.a" in out
    assert cli.validate_main([str(good), str(write_battery(tmp_path))]) == 0
    assert "SAH" in capsys.readouterr().out


def test_cat_exposure_writes_parameters_and_a_new_pool_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pools = {"p.json": make_pool_dict(60, pool_id="p")}
    sub = subtest_dict(
        "s1",
        "p.json",
        max_items=8,
        se_target=None,
        selection={"randomesque": 1, "first_item_randomesque": 1, "exposure_control": "sympson_hetter"},
    )
    path = write_battery(tmp_path, battery_dict([sub]), pools=pools)
    before = (tmp_path / "p.json").read_bytes()
    assert (
        cli.exposure_main(
            ["--battery", str(path), "--target", "0.3", "--examinees", "200", "--rounds", "3", "--dry-run"]
        )
        == 0
    )
    assert (tmp_path / "p.json").read_bytes() == before
    assert cli.exposure_main(["--battery", str(path), "--target", "0.3", "--examinees", "200", "--rounds", "3"]) == 0
    out = capsys.readouterr().out
    assert "putaran 3" in out
    pool = load_pool(tmp_path / "p.json")
    assert (pool.exposure_k < 1).any()
    assert pool.pool_version != "1.0" and pool.pool_version.startswith("1.0")
    assert pool.calibration["exposure_control"]["target"] == 0.3


def test_exposure_writes_parameters_conditional_on_ability(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pools = {"p.json": make_pool_dict(60, pool_id="p")}
    sub = subtest_dict(
        "s1",
        "p.json",
        max_items=8,
        se_target=None,
        selection={"randomesque": 1, "first_item_randomesque": 1, "exposure_control": "sympson_hetter"},
    )
    path = write_battery(tmp_path, battery_dict([sub]), pools=pools)
    argv = ["--battery", str(path), "--target", "0.3", "--examinees", "600", "--rounds", "2", "--strata=-1,0,1"]
    assert cli.exposure_main([*argv, "--stratum-target", "0.35", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "within a band" in out and "check by ability band" in out
    pool = load_pool(tmp_path / "p.json")
    assert pool.exposure_strata == (-1.0, 0.0, 1.0) and pool.exposure_k.shape == (4, 60)
    assert (pool.exposure_k < 1).any() and not np.all(pool.exposure_k == pool.exposure_k[0])
    record = pool.calibration["exposure_control"]
    assert record["strata"] == [-1.0, 0.0, 1.0] and record["stratum_target"] == 0.35
    assert record["theta_dist"] == "uniform:-3.0:3.0" and 0 < record["check_band_max_exposure"] <= 1


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--average-last", "0"], "--average-last"),
        (["--rounds", "3", "--average-last", "4"], "--average-last"),
        (["--target", "1.5"], "--target"),
        (["--stratum-target", "0"], "--stratum-target"),
    ],
)
def test_exposure_refuses_bad_settings(
    tmp_path: Path, argv: list[str], problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.exposure_main(["--battery", str(tmp_path / "b.toml"), *argv])
    assert exited.value.code == 2
    assert problem in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["1,0", "a,b", "0,nan"])
def test_exposure_refuses_bad_strata(tmp_path: Path, bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.exposure_main(["--battery", str(tmp_path / "b.toml"), f"--strata={bad}"])
    assert exited.value.code == 2
    assert "increasing numbers" in capsys.readouterr().err


def test_progress_bar_draws_and_finishes() -> None:
    stream = io.StringIO()
    bar = cli.ProgressBar("Simulasi", stream=stream, width=10)
    bar(1, 4)
    bar(4, 4)
    text = stream.getvalue()
    assert text.endswith("[##########] 4/4\n")
    assert text.startswith("\rSimulasi [##--------] 1/4")


@pytest.mark.parametrize("main", [cli.sim_main, cli.exposure_main])
def test_missing_required_arguments_exit_with_usage(main: Callable[[Sequence[str] | None], int]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
