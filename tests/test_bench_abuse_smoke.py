"""Smoke tests of benchmarks/bench_abuse.py and bench_abuse_storage.py: every row runs against a real server and
reports what it saw. What the rows show that does not depend on speed is checked too (a used slip reads nothing
back, no token in plain text in Redis, the third connection of a token refused); no speed is asserted.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_bench_abuse_rows_run_and_report() -> None:
    out = _run("bench_abuse.py", "--seconds", "0.5", "--workers", "2", "--proctors", "2")
    floods = re.findall(r"^flood\s+(candidate|proctor)\s+([\d.]+) s\s.*\blookups (\d+)$", out, re.M)
    assert [endpoint for endpoint, _, _ in floods] == ["candidate", "proctor"], out
    # the address's budget: the burst, then the rate over the flood's length (its printed length is rounded)
    assert all(int(lookups) <= 200 + 20 * (float(took) + 0.1) for _, took, lookups in floods), out
    assert len(re.findall(r"^detail\s+(one token|own tokens)\s", out, re.M)) == 2, out
    assert re.search(r"^conns\s+all at once\s+hellos got .*too_many_connections", out, re.M), out


def test_bench_abuse_storage_rows_run_and_report() -> None:
    out = _run("bench_abuse_storage.py", "--store", "redis", "--seconds", "1", "--conns", "4")
    assert re.search(r"^resend\s", out, re.M) and re.search(r"^loop\s", out, re.M), out
    assert re.search(r"^reread\s+a finished token: hello: finished; closed 1000$", out, re.M), out
    assert re.search(r"^tokens\s+\d+ tokens, \d+ keys and their values searched: 0 found in plain text$", out, re.M)
