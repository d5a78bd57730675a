"""Smoke test of benchmarks/bench_vs_catsim.py on tiny sizes: it runs and reports positive timings.

No speed is asserted: timings on a shared CI machine say nothing about the engines.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import orjson
import pytest

pytest.importorskip("catsim")

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_vs_catsim.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_vs_catsim", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def _check_rows(rows: list[dict[str, object]]) -> None:
    assert rows
    for row in rows:
        assert isinstance(row["ours_ms"], float) and row["ours_ms"] > 0, row
        assert isinstance(row["catsim_ms"], float) and row["catsim_ms"] > 0, row
        assert row["ratio"] is None or (isinstance(row["ratio"], float) and row["ratio"] > 0), row


def test_step_and_simulation_tiny(bench: ModuleType) -> None:
    problem = bench.build_problem(n_items=60, n_answered=5, seed=3)
    assert problem.pool.size == 60 and len(problem.items) == 5
    assert 0 < sum(problem.categories) < 5  # a mixed pattern

    step = bench.bench_step(problem, repeat=2, min_time=0.001)
    _check_rows(step["rows"])
    assert all(row["ratio"] is not None for row in step["rows"])
    check = step["check"]
    assert check["theta_mle_ours"] == pytest.approx(check["theta_mle_catsim"], abs=1e-3)

    sim = bench.bench_simulation(problem, n_examinees=50, catsim_examinees=8, seed=3, sim_repeat=1, progress=False)
    _check_rows(sim["rows"])
    totals = [row for row in sim["rows"] if row["task"].startswith("simulation total")]
    per_examinee = [row for row in sim["rows"] if "per examinee" in row["task"]]
    # different examinee counts: no ratio on totals, and the note says so; per-examinee rows carry the ratio
    assert totals and all(row["ratio"] is None and "8 examinees" in row["note"] for row in totals)
    assert per_examinee and all(row["ratio"] is not None for row in per_examinee)
    assert [s["examinees"] for s in sim["stats"]] == [50, 50, 8]
    assert all(1 <= s["mean_length"] <= 40 and s["rmse"] > 0 for s in sim["stats"])


def test_main_writes_json_and_prints_table(
    bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench.json"
    argv = ["--items", "60", "--answered", "5", "--examinees", "12", "--catsim-examinees", "12"]
    argv += ["--repeat", "2", "--min-time", "0.001", "--sim-repeat", "1", "--quiet", "--out", str(out)]
    results = bench.main(argv)
    printed = capsys.readouterr().out
    assert "catsim/ours" in printed and "simulation per examinee, EAP" in printed
    assert "NOTE" not in printed  # same examinee count: nothing to warn about
    data = orjson.loads(out.read_bytes())
    assert data["config"]["examinees"] == data["config"]["catsim_examinees"] == 12
    _check_rows(data["rows"])
    assert all(row["ratio"] is not None for row in data["rows"])
    assert len(data["rows"]) == len(results["rows"]) == 11


def test_smaller_catsim_run_is_announced(bench: ModuleType) -> None:
    problem = bench.build_problem(n_items=50, n_answered=4, seed=5)
    results = {
        "environment": bench.environment(),
        "config": {"items": 50, "model": "3PL", "answered": 4, "repeat": 1, "min_time_s": 0.001, "se_target": 0.3}
        | {"max_items": 40},
        "step": bench.bench_step(problem, repeat=1, min_time=0.001),
        "simulation": bench.bench_simulation(problem, 10, 4, seed=5, sim_repeat=1, progress=False),
    }
    results["rows"] = results["step"]["rows"] + results["simulation"]["rows"]
    report = bench.format_report(results)
    assert "NOTE: catsim ran 4 examinees" in report
