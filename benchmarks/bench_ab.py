"""Server CPU per answer of two code trees measured at the same time: a paired A/B for a change to the server or core.

On a shared machine, two load runs a few minutes apart differ by 10 % and more in CPU per answer for the same
code (other tenants, clock changes), which hides the effect of most changes. Here both servers run at once: a
private ``redis-server`` and one ``python server.py`` from each tree (a checkout, e.g. ``git worktree add
/tmp/before HEAD~1``), each with its own key prefix; the same number of simulated examinees is registered on each
(true theta from N(0, 1), answering by the IRT model of :mod:`load_tests.examinee`, one proctor per room in batch
mode), and one load phase drives them all with examinees alternating between the two servers. Both see the same
machine at the same moments, so its drift cancels in the ratio B/A. Each round swaps which server's examinee
arrives first; the rounds' ratios and their geometric mean are printed.

Both servers run on this interpreter's packages; each imports ``cat_engine`` from its own tree (``server.py``'s
directory comes first on ``sys.path``). Traffic stays on loopback; every round is bounded in time.

    .venv/bin/python benchmarks/bench_ab.py /tmp/before . --examinees 300 --rounds 2
"""

from __future__ import annotations

import argparse
import math
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: load_tests, server.py
from cat_engine.battery import load_battery
from load_tests.candidate import Candidate, Pacing
from load_tests.deployment import Sitter, setup_rooms
from load_tests.examinee import ItemBank, SimulatedExaminee, ThinkTime
from load_tests.phase import progress_bar, run_async, run_phase
from load_tests.procs import CpuMeter, RedisServer, ServerProcess, raise_open_files_limit
from load_tests.proctor import Proctor
from load_tests.recorder import Recorder
from load_tests.runner import DEFAULT_BATTERY
from load_tests.target import AdminApi, ws_url

_ROOM_SIZE = 200  # examinees per room, as in the load tests' scenarios


def _tree_of(server: ServerProcess) -> Callable[[], list[int]]:
    """The roots for a :class:`CpuMeter` of ``server``'s processes (its workers are found under it)."""
    return lambda: [] if server.pid is None else [server.pid]


def _round(
    trees: tuple[Path, Path], args: argparse.Namespace, seed: int, workdir: Path
) -> tuple[list[int], list[float]]:
    """One paired phase: answers and server CPU microseconds per answer of tree A and tree B."""
    token = secrets.token_urlsafe(16)
    redis = RedisServer(workdir / f"redis{seed}")
    servers: list[ServerProcess] = []
    try:
        redis.start()
        for k, tree in enumerate(trees):
            server = ServerProcess(
                workdir,
                token,
                redis_url=redis.url,
                workers=args.workers,
                key_prefix=f"ab{k}",
                demo_room=False,
                index=k,
                tree=tree,
            )
            servers.append(server)
            server.start()
        battery = load_battery(args.battery)
        bank = ItemBank(battery)
        half = max(args.examinees // 2, 1)
        thetas = np.random.default_rng(seed).standard_normal(2 * half)
        rooms = max(half // _ROOM_SIZE, 1)
        seats: list[tuple[Sitter, str]] = []
        proctors: list[Proctor] = []
        deadline = time.monotonic() + args.max_seconds
        per_server = []
        for k, server in enumerate(servers):
            made, sitters = setup_rooms(AdminApi(server.base_url, token), battery.id, thetas[k::2], rooms)
            for sitter in sitters:  # rooms numbered across both servers, as the proctors are listed
                sitter.room += k * rooms
            per_server.append(sitters)
            for room in made:
                url = ws_url(server.base_url, "/ws/proctor")
                proctors.append(Proctor(room.proctor_token, [url], Recorder(), deadline + 60))
        # alternate the servers in the arrival order; odd rounds start with B
        first, second = (0, 1) if seed % 2 == 0 else (1, 0)
        for a, b in zip(per_server[first], per_server[second], strict=True):
            seats += [(a, servers[first].base_url), (b, servers[second].base_url)]
        where = {id(s): base for s, base in seats}
        order = {id(s): n for n, (s, _) in enumerate(seats)}
        pacing = Pacing("open", ThinkTime.parse(args.think), args.time_scale)

        server_of: dict[int, int] = {}  # id of each Candidate -> 0 (A) or 1 (B)

        def client(s: Sitter, rec: Recorder) -> Candidate:
            n = order[id(s)]
            candidate = Candidate(
                s.token,
                [ws_url(where[id(s)], "/ws/candidate")],
                SimulatedExaminee(s.theta, bank, np.random.default_rng([seed, 1, n])),
                pacing,
                np.random.default_rng([seed, 2, n]),
                rec,
                deadline,
            )
            server_of[id(candidate)] = 0 if where[id(s)] == servers[0].base_url else 1
            return candidate

        meters = [CpuMeter(_tree_of(server)) for server in servers]
        for meter in meters:
            meter.reset()
        with progress_bar(args.progress, len(seats), f"A/B round {seed + 1}", "en") as bar:
            phase = run_async(
                run_phase(
                    [s for s, _ in seats],
                    client,
                    arrival_rate=args.arrival_rate,
                    max_seconds=args.max_seconds,
                    server_meter=None,
                    redis_meter=None,
                    proctors=proctors,
                    room_of_proctor=list(range(len(proctors))),
                    bar=bar,
                )
            )
        for meter in meters:
            meter.sample()
        answers = [0, 0]
        for c in phase.clients:
            answers[server_of[id(c)]] += len(c.acked)
        errors = sum(phase.rec.errors.values())
        if errors:
            raise RuntimeError(f"the round had {errors} errors: {dict(phase.rec.errors)}")
        cpu = [meter.total() / n * 1e6 if n else math.nan for meter, n in zip(meters, answers, strict=True)]
        return answers, cpu
    finally:
        for server in servers:
            server.stop()
        redis.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("tree_a", type=Path, help="checkout of the reference (A)")
    parser.add_argument("tree_b", type=Path, help="checkout of the change (B)")
    parser.add_argument("--examinees", type=int, default=300, help="in all, half on each server")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="processes of each server")
    parser.add_argument("--arrival-rate", type=float, default=100.0, help="examinees starting per second")
    parser.add_argument("--think", default="lognormal:30:0.5", help="think time (load_tests.examinee.ThinkTime)")
    parser.add_argument("--time-scale", type=float, default=0.05, help="think times are multiplied by this")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="bound on each round")
    parser.add_argument("--battery", type=Path, default=DEFAULT_BATTERY)
    parser.add_argument("--no-progress", dest="progress", action="store_false")
    args = parser.parse_args()
    trees = (args.tree_a.resolve(), args.tree_b.resolve())
    for tree in trees:
        if not (tree / "server.py").is_file():
            parser.error(f"{tree} has no server.py: give the root of a checkout")
    raise_open_files_limit()
    workdir = Path(tempfile.mkdtemp(prefix="bench-ab-"))
    ratios = []
    try:
        print(f"A = {trees[0]}\nB = {trees[1]}")
        print(f"{'round':<6} {'answers A':>9} {'us/ans A':>9} {'answers B':>9} {'us/ans B':>9} {'B/A':>7}")
        for r in range(args.rounds):
            answers, cpu = _round(trees, args, r, workdir)
            ratio = cpu[1] / cpu[0] if cpu[0] > 0 else math.nan
            ratios.append(ratio)
            print(f"{r + 1:<6} {answers[0]:>9} {cpu[0]:>9.0f} {answers[1]:>9} {cpu[1]:>9.0f} {ratio:>7.3f}", flush=True)
        finite = [x for x in ratios if math.isfinite(x) and x > 0]
        mean = math.exp(sum(map(math.log, finite)) / len(finite)) if finite else math.nan
        print(f"server CPU per answer, B/A: {mean:.3f} (geometric mean of {len(finite)} round(s))")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
