"""Answer latency and server CPU per answer of the live server, against an echo floor measured in the same run.

Starts ``python server.py`` (one process; memory store, or Redis with a private ``redis-server`` on a free port)
and the echo floor of the load tests (:mod:`load_tests.floor`: the same uvicorn settings, one Redis round trip per
message when the server runs on Redis), drives ``--examinees`` simulated candidates through the demo battery over
loopback in an open room (``start`` after the welcome and after each subtest's intro, then a random option per
item; every wait a think time uniform in ``--think``), and prints the answer-to-next-item latency percentiles and
the server process's CPU time per answer (its hellos and starts included), for both, with their ratio. It is a
quick check built from the load generator's pieces, not the load test: ``python -m load_tests`` is where rollout
rehearsals live.

    .venv/bin/python benchmarks/bench_server.py --store memory --examinees 50
    .venv/bin/python benchmarks/bench_server.py --store redis --examinees 50
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: load_tests, server.py
from load_tests.candidate import Candidate, Pacing
from load_tests.deployment import Sitter
from load_tests.examinee import RandomResponder, ThinkTime
from load_tests.phase import PhaseResult, run_async, run_phase
from load_tests.procs import CpuMeter, FloorProcess, RedisServer, ServerProcess
from load_tests.recorder import Recorder
from load_tests.stats import summarise
from load_tests.target import AdminApi, ws_url


def _phase(url: str, sitters: list[Sitter], pacing: Pacing, pid: int | None, answers: list[int] | None) -> PhaseResult:
    def client(s: Sitter, rec: Recorder) -> Candidate:
        rng = np.random.default_rng(s.index)
        limit = None if answers is None else max(answers[s.index], 1)
        return Candidate(
            s.token, [url], RandomResponder(rng), pacing, rng, rec, time.monotonic() + 600, max_answers=limit
        )

    meter = CpuMeter(lambda: [] if pid is None else [pid])
    return run_async(
        run_phase(sitters, client, arrival_rate=1e6, max_seconds=600, server_meter=meter, redis_meter=None)
    )


def summary(name: str, phase: PhaseResult) -> dict[str, float]:
    row = summarise(phase.rec.latency_ms)
    cpu_us = phase.per_answer_us(phase.server_cpu_s) or 0.0
    print(
        f"{name:<8} {row['n']:>6} {row['p50']:>8.2f} {row['p95']:>8.2f} {row['p99']:>8.2f} {row['max']:>8.2f}"
        f" {cpu_us:>10.0f}"
    )
    return {"p50": float(row["p50"] or 0.0), "cpu_us": cpu_us}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--store", choices=("memory", "redis"), default="memory")
    parser.add_argument("--examinees", type=int, default=50)
    parser.add_argument("--think", type=float, nargs=2, default=(0.05, 0.3), metavar=("MIN_S", "MAX_S"))
    args = parser.parse_args()
    think = ThinkTime.parse(f"uniform:{args.think[0]}:{args.think[1]}")
    # the welcome and each intro are read for a think time too (not the load tests' seconds): only answers are timed
    pacing = Pacing("closed", think, 1.0, reading=think)
    workdir = Path(tempfile.mkdtemp(prefix="bench-server-"))
    redis = RedisServer(workdir) if args.store == "redis" else None
    token = secrets.token_urlsafe(16)
    server: ServerProcess | None = None
    floor: FloorProcess | None = None
    try:
        if redis is not None:
            redis.start()
        server = ServerProcess(workdir, token, redis_url=None if redis is None else redis.url, demo_room=False)
        server.start()
        admin = AdminApi(server.base_url, token)
        room = admin.create_room("bench", "cact-demo", open=True)  # candidates begin at once
        roster = [(f"B{i:05d}", f"Bench {i}") for i in range(args.examinees)]
        people = admin.register(room["room_id"], roster)
        sitters = [Sitter(i, 0, c["session_id"], c["token"], 0.0) for i, c in enumerate(people)]
        ours = _phase(ws_url(server.base_url, "/ws/candidate"), sitters, pacing, server.pid, None)

        frame_bytes = ours.rec.mean_frame_bytes
        floor = FloorProcess(
            workdir, redis_url=None if redis is None else redis.url, workers=1, frame_bytes=frame_bytes
        )
        floor.start()
        answers = [len(c.acked) for c in ours.clients]
        echo = _phase(ws_url(floor.base_url, "/ws/candidate"), sitters, pacing, floor.pid, answers)

        print(f"store {args.store}, {args.examinees} examinees, think {args.think[0]}-{args.think[1]} s; latency in ms")
        print(f"{'':<8} {'answers':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'cpu us/ans':>10}")
        a, b = summary("server", ours), summary("echo", echo)
        # a tiny run can stay under the kernel's CPU clock tick (10 ms): no ratio then, rather than a division by 0
        p50, cpu = (f"{x / y:.1f}x" if y > 0 else "n/a" for x, y in ((a["p50"], b["p50"]), (a["cpu_us"], b["cpu_us"])))
        print(f"ratio to the echo floor: p50 {p50}, cpu {cpu}")
    finally:
        for proc in (floor, server, redis):
            if proc is not None:
                proc.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
