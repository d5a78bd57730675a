"""Smoke test of benchmarks/bench_server.py: both servers run, every answer is timed, the ratios are printed.

No speed is asserted: timings on a shared CI machine say nothing about the server.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_server.py"


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_bench_server_runs_and_reports(store: str) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--store", store, "--examinees", "2", "--think", "0", "0.001"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = {m.group(1): m for m in re.finditer(r"^(server|echo)\s+(\d+)\s+([\d.]+)", done.stdout, re.M)}
    assert set(rows) == {"server", "echo"}, done.stdout
    answers = int(rows["server"].group(2))
    assert answers >= 2 * (10 + 8 + 8)  # the demo battery's min_items per subtest, for each examinee
    # the floor's CPU time can be under the kernel's clock tick in so short a run: then "n/a", never a crash
    assert re.search(r"ratio to the echo floor: p50 [\d.]+x, cpu (?:[\d.]+x|n/a)", done.stdout), done.stdout
