"""``cat-pool report``: text in both languages, JSON, the battery form, exit codes and the PNG plots; and that
``cat-pool times`` is registered (its own tests are in tests/test_pool_times.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from conftest import battery_dict, make_item, make_pool_dict, subtest_dict, write_battery, write_pool

from cat_engine import cli, pool_cli
from cat_engine.pool import Pool, load_pool
from cat_engine.pool_report import build_report
from cat_engine.pool_report_plots import PLOT_FILES, plot_pool_report
from cat_engine.simulate import simulate_subtest

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# A fixed-length pool run: 5 items each, so 20 items are needed at every theta (5 / 0.25).
FAST = ["--examinees", "150", "--seed", "4", "--min-items", "5", "--max-items", "5", "--info-threshold", "0.5"]


def _items(b: np.ndarray, area_of: str = "AB") -> list[dict[str, Any]]:
    return [
        make_item(f"i{n:03d}", model="2PL", a=2.0, b=round(float(v), 6), area=area_of[n % len(area_of)])
        for n, v in enumerate(b)
    ]


@pytest.fixture
def easy_pool(tmp_path: Path) -> Path:
    """2PL items with a = 2 and b from -3.5 to 1: none above theta 2."""
    return write_pool(tmp_path / "easy.json", make_pool_dict(items=_items(np.round(np.arange(-3.5, 1.0001, 0.05), 2))))


def test_text_report_is_indonesian_by_default(
    easy_pool: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAT_LANG", raising=False)
    assert pool_cli.main(["report", str(easy_pool), *FAST]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("Laporan bank soal: Pool pool (pool v1.0), 91 butir, 2 area konten")
    for text in (
        "bank soal saja, bawaan cat-sim --pool",
        "Ambang informasi τ = 0.500 (--info-threshold); paparan maksimum r = 0.25",
        "Parameter paparan Sympson-Hetter (K)",
        "Simulasi: 150 peserta, theta sebenarnya seragam pada [-3, 3], seed 4",
        "Tidak pernah dipakai:",
        "Bagian bank soal yang tipis (kedalaman < diperlukan)",
        "Butir baru direncanakan seperti butir khas bank soal: 2PL, a 2.00",
    ):
        assert text in out.out
    # The theta-2 row of the depth table: no item above the threshold, 20 required.
    (row,) = [line.split() for line in out.out.splitlines() if line.startswith("   +2.0 ")]
    assert row[0] == "+2.0" and row[2:] == ["0", "20.0", "0", "0"]
    assert "-> tambah 40 butir: 20 dengan b" in out.out
    assert "Simulasi Pool pool [" in out.err  # the progress bar


def test_text_report_in_english(easy_pool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert pool_cli.main(["report", str(easy_pool), *FAST, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Pool report: Pool pool (pool v1.0), 91 items, 2 content areas")
    for text in ("Where the pool is thin (depth < required)", "-> add 40 items: 20 with b", "Never used:"):
        assert text in out
    assert "Laporan" not in out and "butir" not in out


def test_json_is_one_object_equal_to_the_report(easy_pool: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert pool_cli.main(["report", str(easy_pool), *FAST, "--json"]) == 0
    data = orjson.loads(capsys.readouterr().out)
    # The same run by hand: uniform true thetas from the seeded generator, then the simulation on it.
    subtest = cli.pool_subtest(load_pool(easy_pool), min_items=5, max_items=5)
    rng = np.random.default_rng(4)
    sim = simulate_subtest(subtest, rng.uniform(-3, 3, 150), rng)
    expected = build_report(subtest, sim, threshold=0.5).to_dict()
    assert data.pop("seconds") >= 0
    assert data.pop("source") == {"pool": str(easy_pool), "battery": None}
    assert data["simulation"].pop("seed") == 4
    assert data == orjson.loads(orjson.dumps(expected))
    (region,) = data["thin"]
    assert region["theta_low"] < 2.0 and region["theta_high"] == 3.0
    assert region["b_low"] <= 2.0 <= region["b_high"]
    assert data["subtest"]["max_items"] == 5
    assert data["subtest"]["se_target"] == 0.3 and data["subtest"]["exposure_control"] == "none"


def test_pool_defaults_are_cat_sims(easy_pool: Path) -> None:
    subtest = cli.pool_subtest(load_pool(easy_pool))
    assert (subtest.estimator.method, subtest.stopping.se_target) == ("eap", 0.3)
    assert (subtest.stopping.min_items, subtest.stopping.max_items, subtest.selection.randomesque) == (1, 40, 1)
    assert subtest.selection.exposure_control == "none" and subtest.blueprint is None


def test_battery_subtest_brings_its_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pool = make_pool_dict(items=_items(np.round(np.arange(-3.5, 3.5001, 0.1), 2)))
    pool["items"][0]["exposure_k"] = 0.5
    sub = subtest_dict(
        "s2",
        "p.json",
        max_items=6,
        min_items=4,
        selection={"exposure_control": "sympson_hetter"},
        blueprint={"A": {"target": 0.5}, "B": {"target": 0.5}},
    )
    path = write_battery(tmp_path, battery_dict([subtest_dict("s1"), sub]), pools={"p.json": pool})
    argv = ["report", "--battery", str(path), "--subtest", "s2", "--examinees", "120", "--json"]
    assert pool_cli.main(argv) == 0
    data = orjson.loads(capsys.readouterr().out)
    assert data["subtest"]["id"] == "s2" and data["subtest"]["max_items"] == 6
    assert data["subtest"]["exposure_control"] == "sympson_hetter"
    assert data["subtest"]["blueprint"] == {"A": 0.5, "B": 0.5}
    # The default threshold comes from the subtest: 1 / (0.3^2 * 6).
    assert data["info_threshold"] == pytest.approx(1 / (0.09 * 6)) and data["info_threshold_default"] is True
    assert data["exposure_parameters"][0]["items_controlled"] == 1
    assert data["grid"][8]["required_by_area"] is not None

    assert pool_cli.main([*argv, "--no-exposure-control"]) == 0
    assert orjson.loads(capsys.readouterr().out)["subtest"]["exposure_control"] == "none"


@pytest.mark.parametrize(
    "argv",
    [
        ["report"],  # neither POOL nor --battery
        ["report", "{pool}", "--battery", "{battery}"],
        ["report", "--battery", "{battery}"],  # two subtests: --subtest needed
        ["report", "--battery", "{battery}", "--subtest", "nope"],
        ["report", "--battery", "{battery}", "--subtest", "s1", "--max-items", "5"],
        ["report", "{pool}", "--subtest", "s1"],
        ["report", "{pool}", "--target", "1.5"],
        ["report", "{pool}", "--info-threshold", "0"],
        ["report", "{pool}", "--examinees", "0"],
        ["report", "{pool}", "--theta-range", "2", "-2"],
        ["report", "{pool}", "--min-items", "9", "--max-items", "5"],
    ],
)
def test_bad_arguments_exit_2(argv: list[str], easy_pool: Path, tmp_path: Path) -> None:
    battery = write_battery(tmp_path)
    filled = [a.format(pool=easy_pool, battery=battery) for a in argv]
    with pytest.raises(SystemExit) as exc:
        pool_cli.main(filled)
    assert exc.value.code == 2


def test_an_invalid_pool_exits_2_naming_item_and_field(tmp_path: Path) -> None:
    data = make_pool_dict(items=_items(np.zeros(3)))
    data["items"][1]["params"]["a"] = -1.0
    bad = write_pool(tmp_path / "bad.json", data)
    run = subprocess.run(
        [str(Path(sys.executable).parent / "cat-pool"), "report", str(bad)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert "i001" in run.stderr and "params.a" in run.stderr


def test_plot_option_writes_the_pngs(easy_pool: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plots"
    assert pool_cli.main(["report", str(easy_pool), *FAST, "--plot", str(out), "--json"]) == 0
    assert "Grafik ditulis ke" in capsys.readouterr().err
    for name in PLOT_FILES:
        data = (out / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 10_000


def test_conditional_exposure_parameters_are_drawn_as_a_heat_map(tmp_path: Path) -> None:
    data = make_pool_dict(items=_items(np.linspace(-2, 2, 30), area_of="A"), areas=("A",))
    data["exposure_strata"] = [-0.5, 0.5]
    for n, item in enumerate(data["items"]):
        item["exposure_k"] = [1.0, 0.3 + 0.02 * n, 1.0]
    pool = Pool.from_dict(data)
    subtest = cli.pool_subtest(pool, max_items=5)
    rng = np.random.default_rng(1)
    report = build_report(subtest, simulate_subtest(subtest, rng.uniform(-3, 3, 60), rng), threshold=0.5)
    assert [s.items_controlled for s in report.strata] == [0, 30, 0]
    written = plot_pool_report(report, tmp_path / "p", lang="en")
    assert [p.name for p in written] == list(PLOT_FILES)
    for path in written:
        content = path.read_bytes()
        assert content.startswith(PNG_MAGIC) and len(content) > 10_000
    text = pool_cli.text_report(report, "en", "test", 1)
    assert "(-inf, -0.5]" in text and "(-0.5, +0.5]" in text and "(+0.5, +inf]" in text


def test_times_subcommand_is_registered(tmp_path: Path) -> None:
    cat_pool = str(Path(sys.executable).parent / "cat-pool")
    listing = subprocess.run([cat_pool, "--help"], capture_output=True, text=True, check=True).stdout
    assert "times" in listing and "response-time parameters" in listing
    pool = write_pool(tmp_path / "p.json", make_pool_dict(items=_items(np.zeros(3))))
    data = tmp_path / "r.jsonl"
    data.write_text(
        "".join(
            f'{{"session": "s{s}", "item_id": "i00{i}", "response_ms": {1000 + 7 * s + i}}}\n'
            for s in range(4)
            for i in range(3)
        ),
        encoding="utf-8",
    )
    run = subprocess.run(
        [cat_pool, "times", str(data), "--pool", str(pool), "--min-responses", "4", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    result = orjson.loads(run.stdout)
    assert [item["n"] for item in result["items"]] == [4, 4, 4] and result["summary"]["estimated"] == 3
