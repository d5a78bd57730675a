"""What ``CAT_REDIS_WAIT_REPLICAS=1`` costs a commit: store-level commit latency on a local Redis Cluster, WAIT off
and on, interleaved in one run.

Starts a private :class:`~load_tests.cluster.LocalCluster` (3 masters + 3 replicas on free loopback ports), opens two
:class:`~cat_engine.server.redis_store.RedisStore` on it (``wait_replicas`` 0 and 1, each with its own key prefix),
registers ``--sessions`` sessions in each, then runs ``--rounds`` rounds in which every session commits one answer
of the size the server writes (state, reply frame, two audit entries, two room events), ``--concurrency`` commits in
flight at a time, the two stores' commits alternating. Prints each mode's commit latency (p50, p90, p99) and their
ratio: both see the same machine at the same moments. Traffic stays on loopback; the run is bounded.

    .venv/bin/python benchmarks/bench_wait.py --sessions 200 --rounds 20 --concurrency 20
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: load_tests, cat_engine
from cat_engine.server.redis_store import RedisStore
from cat_engine.server.store import CandidateRecord, Commit, RoomRecord
from load_tests.cluster import LocalCluster

_STATE = bytes(1800)  # about the encoded state of a session in its second subtest
_REPLY = b'{"type":"item","seq":12,' + b'"x":' + b'"' + b"y" * 700 + b'"}'  # an item frame (~0.7 KB)
_AUDIT = (b'{"kind":"answer","at_ms":1,"conn":"p/c","seq":12,"response":1,"item_id":"MSK-071","response_ms":20000}',)
_EVENT = b'{"session_id":"R-0001","event":{"type":"answered"}}'


async def _sessions(store: RedisStore, n: int, tag: str) -> list[str]:
    """``n`` sessions spread over 10 rooms (so over the Cluster's shards)."""
    out: list[str] = []
    for r in range(10):
        room = RoomRecord(f"{tag}R{r}", "bench", "battery", 1)
        await store.create_room(room, f"ptok-{tag}-{r}")
        count = n // 10 + (1 if r < n % 10 else 0)
        rows = [
            (CandidateRecord(f"{room.room_id}-{i}", f"E{i}", "x", f"tok-{tag}-{r}-{i}"), _STATE) for i in range(count)
        ]
        await store.add_candidates(room.room_id, rows)
        out += [c.session_id for c, _ in rows]
    return out


async def _bench(args: argparse.Namespace, url: str) -> dict[int, np.ndarray]:
    stores = {w: RedisStore(url, prefix=f"bw{w}", wait_replicas=w) for w in (0, 1)}
    for store in stores.values():
        await store.start()
    try:
        ids = {w: await _sessions(s, args.sessions, f"w{w}") for w, s in stores.items()}
        versions = {(w, sid): 1 for w in stores for sid in ids[w]}
        latency: dict[int, list[float]] = {0: [], 1: []}
        gate = asyncio.Semaphore(args.concurrency)

        async def one(w: int, sid: str, seq: int) -> None:
            async with gate:
                commit = Commit(_STATE, reply=(seq, _REPLY), audit=_AUDIT * 2, events=(_EVENT, _EVENT))
                t0 = time.perf_counter()
                ok, _ = await stores[w].commit(sid, versions[(w, sid)], commit)
                latency[w].append((time.perf_counter() - t0) * 1e6)
                assert ok
                versions[(w, sid)] += 1

        for seq in range(1, args.rounds + 1):
            jobs = [
                one(w, sid, seq)
                for pair in zip(ids[0], ids[1], strict=True)
                for w, sid in zip((0, 1), pair, strict=True)
            ]
            await asyncio.gather(*jobs)
            print(f"\rround {seq}/{args.rounds}", end="", flush=True)
        print()
        return {w: np.array(v) for w, v in latency.items()}
    finally:
        for store in stores.values():
            await store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=200, help="sessions per mode")
    parser.add_argument("--rounds", type=int, default=20, help="commits per session")
    parser.add_argument("--concurrency", type=int, default=20, help="commits in flight")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-wait-") as tmp, LocalCluster(Path(tmp)) as cluster:
        result = asyncio.run(asyncio.wait_for(_bench(args, cluster.url), 600))
    print(f"{'mode':<18} {'commits':>8} {'p50 us':>8} {'p90 us':>8} {'p99 us':>8}")
    for w, name in ((0, "WAIT off"), (1, "WAIT 1 replica")):
        p50, p90, p99 = np.percentile(result[w], [50, 90, 99])
        print(f"{name:<18} {len(result[w]):>8} {p50:>8.0f} {p90:>8.0f} {p99:>8.0f}")
    ratios = np.percentile(result[1], [50, 99]) / np.percentile(result[0], [50, 99])
    extra = np.percentile(result[1], 50) - np.percentile(result[0], 50)
    print(f"WAIT / off: p50 {ratios[0]:.2f}x, p99 {ratios[1]:.2f}x; {extra:.0f} us more per commit at the median")
    return 0


if __name__ == "__main__":
    sys.exit(main())
