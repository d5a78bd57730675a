"""Smoke test of benchmarks/bench_ab.py: two servers run side by side, every examinee finishes, a ratio is printed.

Here both trees are this checkout (an A/A run). No speed is asserted: timings on a shared CI machine say nothing
about the server.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_ab.py"


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_bench_ab_runs_two_servers_and_reports_the_ratio() -> None:
    args = ["--examinees", "4", "--time-scale", "0.002", "--arrival-rate", "50", "--max-seconds", "120"]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(ROOT), str(ROOT), *args, "--no-progress"],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    row = re.search(r"^1\s+(\d+)\s+(\S+)\s+(\d+)\s+(\S+)\s+(\S+)$", done.stdout, re.M)
    assert row, done.stdout
    answers_a, answers_b = int(row.group(1)), int(row.group(3))
    assert min(answers_a, answers_b) >= 2 * (10 + 8 + 8)  # two examinees each, the battery's min_items per subtest
    # in so short a run a server's CPU time can stay under the kernel's clock tick: then nan, never a crash
    assert re.search(r"server CPU per answer, B/A: (?:[\d.]+|nan) \(geometric mean of [01] round", done.stdout)


def test_bench_ab_refuses_a_directory_that_is_not_a_checkout(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "has no server.py" in done.stderr
