"""End to end: ``python -m load_tests`` runs a tiny storm (5 examinees, some of them also dropping with an answer in
flight) against a server and a private Redis it starts itself, with the echo floor before and after it, and writes
a complete report. The room is created closed and opened by its proctor before the examinees come; each examinee
goes through the welcome and the intro of each of the three subtests.

No speed is asserted: timings on a shared CI machine say nothing about the server. What must hold whatever the
machine: every examinee finishes, nothing is lost or duplicated, no error, the report has its fields.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
from load_tests.report import REQUIRED_KEYS  # noqa: E402


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_tiny_storm_end_to_end(tmp_path: Path) -> None:
    args = ["storm", "--examinees", "5", "--rooms", "1", "--workers", "1", "--time-scale", "0.003"]
    args += ["--arrival-rate", "50", "--drop-share", "0.4", "--max-seconds", "90", "--no-progress", "--lang", "en"]
    done = subprocess.run(
        [sys.executable, "-m", "load_tests", *args, "--report-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((tmp_path / "report.json").read_text())
    assert set(REQUIRED_KEYS) <= set(report)
    assert report["scenario"] == "storm" and report["examinees"] == 5
    assert report["finished"] == 5 and report["unfinished"] == 0
    assert report["errors"] == 0, report["errors_by_code"]
    assert report["lost"] == 0 and report["duplicated"] == 0 and report["mismatched"] == 0
    assert report["answers"] == report["applied"] > 5 * 20  # the demo battery asks at least 26 items
    assert report["profile_mismatch"] == 0 and report["results"]["finished_sessions"] == 5
    assert set(report["latency_ms"]) >= {"p50", "p95", "p99", "max"}
    assert report["cpu_us_per_answer"] > 0 and report["floor_cpu_us_per_answer"] > 0
    before, after = report["floor"]["phases"]  # one floor run before the load phase, one after
    assert after["answers"] == report["answers"] and before["answers"] > 5 * 20
    assert report["floor"]["answers"] == before["answers"] + after["answers"]
    assert set(report["rmse_by_subtest"]) == {"manajerial-sosiokultural", "literasi-digital", "emerging-skills"}
    assert report["redis_memory"]["per_session_bytes"] > 0
    assert report["storm"]["dropped"] >= 1 and report["storm"]["not_resumed"] == 0
    proctors = report["proctors"]
    assert proctors["answered_missing"] == 0 and proctors["duplicates"] == 0
    assert proctors["rooms"] == proctors["rooms_opened"] == 1 and proctors["examinees_waited"] == 0, proctors
    # the battery and each of its three subtests started once per examinee; every start the server recorded was
    # sent (one sent as a connection dropped may never have arrived)
    assert proctors["starts_applied"] == 5 * 4, proctors
    assert proctors["starts"] >= proctors["starts_applied"] + proctors["starts_unchanged"], proctors
    assert {p.name for p in tmp_path.glob("*.png")} >= {"latency_histogram.png", "latency_over_time.png"}
    assert "Targets:" in (tmp_path / "summary.txt").read_text()
