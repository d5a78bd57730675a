"""What abusive clients cost the live server, row by row, over loopback: a measurement, not a test.

Each row starts its own ``python server.py`` (memory store by default; ``--store redis``: a private
``redis-server`` on a free port, one for the whole run), does one thing to it for a bounded time, and prints what
the server answered and what an honest candidate saw meanwhile:

* ``flood``: one client sends ``hello`` with wrong tokens for ``--seconds`` on each socket, ``--workers``
  connections at once (a new one after each close): replies per second, by code. Without a limit each is a token
  lookup in the store answered ``bad_token``; with the limit per client address most are ``rate_limited``;
  ``lookups`` are the ``bad_token`` replies (one store lookup each).
* ``detail``: ``--proctors`` proctor connections each send 199 ``detail`` frames at once (the flood limit's burst
  less the hello), asking in turn for every session of the room with a history, while one candidate answers items
  steadily (``--think`` s between a reply and the next answer): that candidate's answer latency. ``one token``: all
  the connections share the room's proctor token (several tabs of one console); ``own tokens``: each is the
  proctor of a room of its own (several consoles, the candidate in the first room). The proctors run in a child
  process, so the candidate's client never waits behind their frames; the latencies are from one steady second
  before the flood to one after it.
* ``conns``: four connections with one candidate token (one more than ``CAT_MAX_SESSION_CONNECTIONS``' default 3),
  their hellos one after the other and all at once: what each got, and the token's connections left open.

    .venv/bin/python benchmarks/bench_abuse.py                      # memory store, this checkout
    .venv/bin/python benchmarks/bench_abuse.py --store redis
    .venv/bin/python benchmarks/bench_abuse.py --tree /tmp/before   # another checkout's server.py (e.g. git archive)

Rooms are created open and every candidate here begins at once: ``start`` after the welcome and after each
subtest's intro (docs/protocol.md, Flow; a server from before that flow presents the item straight after ``hello``,
which the helpers take as well).

Loopback only; every row is bounded in frames and in time (``--seconds``; a row gives up after 60 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import secrets
import shutil
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: load_tests, server.py
from load_tests.procs import REPO_ROOT, RedisServer, ServerProcess
from load_tests.target import AdminApi

BATTERY = "cact-demo"
DETAILS = 199  # per proctor connection: the flood limit's burst (200) less the hello
ROW_TIMEOUT_S = 60.0
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Bench:
    """What every row needs: where the server comes from and how it is started."""

    workdir: Path
    tree: Path
    redis: RedisServer | None
    seconds: float
    workers: int
    proctors: int
    think_s: float
    rows: list[str] = field(default_factory=list)

    @contextmanager
    def server(self) -> Iterator[tuple[ServerProcess, AdminApi]]:
        """A fresh server process (fresh limits), on the shared Redis under a key prefix of its own."""
        token = secrets.token_urlsafe(16)
        server = ServerProcess(
            self.workdir,
            token,
            redis_url=None if self.redis is None else self.redis.url,
            key_prefix=f"bench-abuse-{secrets.token_hex(4)}",
            workers=1,
            demo_room=False,
            tree=self.tree,
        )
        server.start()
        try:
            yield server, AdminApi(server.base_url, token)
        finally:
            server.stop()

    def print(self, line: str) -> None:
        print(line, flush=True)
        self.rows.append(line)


# --- the client side -------------------------------------------------------------------------------------------


def ws(base: str, endpoint: str) -> Any:
    return connect(f"{base}/ws/{endpoint}", proxy=None, open_timeout=10, close_timeout=2, max_size=None)


async def send(conn: ClientConnection, frame: dict[str, Any]) -> None:
    await conn.send(json.dumps(frame))


async def recv(conn: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    """The next frame that is not a room event."""
    while True:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(conn.recv(), timeout))
        if frame.get("type") not in ("event", "events"):
            return frame


def reply_kind(frame: dict[str, Any]) -> str:
    return str(frame["code"]) if frame.get("type") == "error" else str(frame.get("type"))


def error_counts(server: ServerProcess) -> Counter[str]:
    """``cat_errors_total`` by code from ``/metrics`` (with the admin token, which always opens it)."""
    request = urllib.request.Request(server.base_url + "/metrics")
    request.add_header("authorization", f"Bearer {server.admin_token}")
    with _OPENER.open(request, timeout=10) as reply:
        text = reply.read().decode()
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        if line.startswith("cat_errors_total{"):
            label, _, value = line.partition("} ")
            counts[label.split('"')[1]] = int(float(value))  # prometheus_client writes counts as floats ("4.0")
    return counts


async def go_on(conn: ClientConnection, frame: dict[str, Any]) -> dict[str, Any]:
    """From ``frame`` on, ``start`` after a ``welcome`` and after each ``subtest_intro`` (naming its subtest), as a
    candidate who is ready at once; the first frame that waits for no start (an item, ``finished``, an error...)."""
    while frame.get("type") in ("welcome", "subtest_intro"):
        start: dict[str, Any] = {"type": "start"}
        if frame["type"] == "subtest_intro":
            start["subtest"] = frame["subtest"]["index"]
        await send(conn, start)
        frame = await recv(conn)
    return frame


async def begin(conn: ClientConnection, token: str) -> dict[str, Any]:
    """Say hello and go on to the item presented (:func:`go_on`); that frame (or whatever else came)."""
    await send(conn, {"type": "hello", "token": token})
    return await go_on(conn, await recv(conn))


async def answer_items(base: str, token: str, n: int, rng: np.random.Generator) -> int:
    """Say hello and answer up to ``n`` items with random options, starting each subtest on the way; how many were
    answered."""
    async with ws(base, "candidate") as conn:
        frame = await begin(conn, token)
        done = 0
        while frame.get("type") == "item" and done < n:
            options = len(frame["item"]["options"])
            await send(conn, {"type": "answer", "seq": frame["seq"], "response": int(rng.integers(options))})
            frame = await recv(conn)
            done += 1
            if done < n:
                frame = await go_on(conn, frame)
        return done


async def _histories(base: str, tokens: list[str], rng: np.random.Generator) -> None:
    """Each session answers 30 items: a detail worth computing."""
    await asyncio.gather(*(answer_items(base, token, 30, rng) for token in tokens))


def percentiles(ms: list[float]) -> str:
    if not ms:
        return "no answers"
    p50, p99 = np.percentile(ms, [50, 99])
    return f"{len(ms):>4} answers  p50 {p50:7.1f}  p99 {p99:7.1f}  max {max(ms):7.1f} ms"


# --- row (i): wrong-token hellos --------------------------------------------------------------------------------


async def _flood(base: str, endpoint: str, seconds: float, workers: int) -> tuple[Counter[str], float]:
    counts: Counter[str] = Counter()
    started = time.monotonic()
    stop = started + seconds

    async def worker() -> None:
        while time.monotonic() < stop:
            try:
                async with ws(base, endpoint) as conn:
                    while time.monotonic() < stop:  # rate_limited keeps the connection open: hello again on it
                        await send(conn, {"type": "hello", "token": f"WRONG-{secrets.token_hex(6)}"})
                        kind = reply_kind(await recv(conn))
                        counts[kind] += 1
                        if kind != "rate_limited":
                            break
            except (ConnectionClosed, OSError, TimeoutError):
                counts["closed early"] += 1

    await asyncio.gather(*(worker() for _ in range(workers)))
    return counts, time.monotonic() - started


def row_flood(bench: Bench) -> None:
    for endpoint in ("candidate", "proctor"):
        with bench.server() as (server, _):
            before = error_counts(server)
            counts, took = asyncio.run(_flood(server.ws_url, endpoint, bench.seconds, bench.workers))
            lookups = error_counts(server)["bad_token"] - before["bad_token"]
        total = sum(counts.values())
        parts = "  ".join(f"{k} {v / took:7.1f}/s" for k, v in counts.most_common())
        bench.print(f"flood   {endpoint:<9} {took:4.1f} s  hellos {total / took:7.1f}/s  {parts}  lookups {lookups}")


# --- row (ii): proctor details while a candidate answers ---------------------------------------------------------


async def _proctors(base: str, tokens: list[str], asked: list[list[str]], ready: Any, go: Any) -> Counter[str]:
    """Each proctor connection says hello; once all have, ``ready`` is set and ``go`` awaited; then each sends its
    detail frames at once and reads the replies."""
    replies: Counter[str] = Counter()
    conns = [await ws(base, "proctor") for _ in tokens]
    try:
        for conn, token in zip(conns, tokens, strict=True):
            await send(conn, {"type": "hello", "token": token})
        greeted = [reply_kind(await recv(conn)) for conn in conns]
        ready.set()
        while not go.is_set():
            await asyncio.sleep(0.005)

        async def proctor(conn: ClientConnection, greeting: str, sessions: list[str]) -> None:
            if greeting != "snapshot":
                replies[f"hello {greeting}"] += 1
                return
            try:
                for n in range(DETAILS):
                    await send(conn, {"type": "detail", "session_id": sessions[n % len(sessions)], "id": n})
                for _ in range(DETAILS):
                    replies[reply_kind(await recv(conn, 30.0))] += 1
            except (ConnectionClosed, TimeoutError):
                replies["closed early"] += 1

        await asyncio.gather(*(proctor(c, g, s) for c, g, s in zip(conns, greeted, asked, strict=True)))
    finally:
        for conn in conns:
            await conn.close()
    return replies


def _proctors_process(base: str, tokens: list[str], asked: list[list[str]], ready: Any, go: Any, out: Any) -> None:
    """The proctors in a process of their own, so the candidate's client never waits behind their frames."""
    flood = _proctors(base, tokens, asked, ready, go)
    out.put(dict(asyncio.run(asyncio.wait_for(flood, ROW_TIMEOUT_S))))


async def _answer_while(
    base: str, candidates: list[str], think_s: float, until: Callable[[], bool]
) -> list[tuple[float, float]]:
    """One candidate answers steadily (a fresh session whenever one finishes) until ``until()``; when each answer
    was sent (monotonic s) and its latency (ms: to its reply, the next item or the next subtest's intro; the
    ``start`` after an intro is not timed)."""
    latencies: list[tuple[float, float]] = []
    rng = np.random.default_rng(1)
    for token in candidates:
        async with ws(base, "candidate") as conn:
            frame = await begin(conn, token)
            while frame.get("type") == "item":
                await asyncio.sleep(think_s)
                options = len(frame["item"]["options"])
                at, sent = time.monotonic(), time.perf_counter()
                await send(conn, {"type": "answer", "seq": frame["seq"], "response": int(rng.integers(options))})
                frame = await recv(conn)
                latencies.append((at, (time.perf_counter() - sent) * 1000))
                if until():
                    return latencies
                frame = await go_on(conn, frame)
    return latencies


def _details_while_answering(
    base: str, tokens: list[str], asked: list[list[str]], candidates: list[str], think_s: float
) -> tuple[list[float], list[float], Counter[str]]:
    """The candidate's latencies (ms): all of them, and those of the answers sent from the proctors' go to the end
    of their process; and the proctors' replies by kind."""
    context = multiprocessing.get_context("spawn")
    out, ready, go = context.Queue(), context.Event(), context.Event()
    child = context.Process(target=_proctors_process, args=(base, tokens, asked, ready, go, out), daemon=True)
    child.start()
    if not ready.wait(ROW_TIMEOUT_S):
        child.kill()
        raise RuntimeError("the proctors did not connect")
    window: list[float] = []  # go, then the end of the proctors' process

    def until() -> bool:
        if len(window) == 1 and not child.is_alive():
            window.append(time.monotonic())
        return len(window) == 2 and time.monotonic() - window[1] > 1.0  # a steady second after the flood too

    async def run() -> list[tuple[float, float]]:
        answering = asyncio.create_task(_answer_while(base, candidates, think_s, until))
        await asyncio.sleep(1.0)  # a steady second before
        window.append(time.monotonic())
        go.set()
        return await answering

    try:
        timed = asyncio.run(asyncio.wait_for(run(), ROW_TIMEOUT_S))
        replies = Counter(out.get(timeout=ROW_TIMEOUT_S))
        during = [ms for at, ms in timed if len(window) == 2 and window[0] <= at <= window[1]]
        return [ms for _, ms in timed], during, replies
    finally:
        if child.is_alive():
            child.kill()


def row_detail(bench: Bench) -> None:
    rng = np.random.default_rng(0)
    for variant in ("one token", "own tokens"):
        with bench.server() as (server, admin):
            rooms = [admin.create_room(f"abuse {n}", BATTERY, open=True) for n in range(bench.proctors)]
            people = [[(f"H{n}{i:03d}", f"History {i}") for i in range(8)] for n in range(len(rooms))]
            registered = [admin.register(room["room_id"], p) for room, p in zip(rooms, people, strict=True)]
            live = admin.register(rooms[0]["room_id"], [(f"L{i:03d}", f"Live {i}") for i in range(5)])

            history = [c["token"] for cands in registered for c in cands]
            asyncio.run(_histories(server.ws_url, history, rng))
            sessions = [[c["session_id"] for c in cands] for cands in registered]
            sessions[0] += [c["session_id"] for c in live]
            if variant == "one token":
                tokens, asked = [rooms[0]["proctor_token"]] * bench.proctors, [sessions[0]] * bench.proctors
            else:
                tokens, asked = [r["proctor_token"] for r in rooms], sessions
            live_tokens = [c["token"] for c in live]
            every, during, replies = _details_while_answering(server.ws_url, tokens, asked, live_tokens, bench.think_s)
        parts = "  ".join(f"{k} {v}" for k, v in replies.most_common())
        bench.print(f"detail  {variant:<10} {bench.proctors} x {DETAILS}: {parts}")
        bench.print(f"        candidate, all     {percentiles(every)}")
        bench.print(f"        during the flood   {percentiles(during)}")


# --- row (iii): connections per candidate token ------------------------------------------------------------------


CONNS = 4  # one more than the connections a candidate token may have open on a process by default


async def _over_the_limit(base: str, token: str, at_once: bool) -> tuple[list[str], int]:
    """:data:`CONNS` connections say hello with one token; what each got first, and how many are still open after."""
    conns = [await ws(base, "candidate") for _ in range(CONNS)]
    try:
        got: list[str] = []
        if at_once:
            for conn in conns:
                await send(conn, {"type": "hello", "token": token})
            got = [reply_kind(await recv(conn)) for conn in conns]
        else:
            for conn in conns:
                await send(conn, {"type": "hello", "token": token})
                got.append(reply_kind(await recv(conn)))
        await asyncio.sleep(0.5)  # takeovers and refusals close what they close
        still = 0
        for conn in conns:
            try:
                await send(conn, {"type": "ping"})
                while reply_kind(await recv(conn, 2.0)) != "pong":
                    pass
                still += 1
            except (ConnectionClosed, TimeoutError):
                pass
        return got, still
    finally:
        for conn in conns:
            await conn.close()


def row_conns(bench: Bench) -> None:
    with bench.server() as (server, admin):
        room = admin.create_room("abuse conns", BATTERY, open=True)
        cands = admin.register(room["room_id"], [("C1", "Satu"), ("C2", "Dua")])
        for cand, at_once in zip(cands, (False, True), strict=True):
            row = _over_the_limit(server.ws_url, cand["token"], at_once)
            got, still = asyncio.run(asyncio.wait_for(row, ROW_TIMEOUT_S))
            how = "all at once" if at_once else "one by one"
            bench.print(f"conns   {how:<12} hellos got {', '.join(got)}; open after: {still}")


# --- main --------------------------------------------------------------------------------------------------------

ROWS: dict[str, Callable[[Bench], None]] = {"flood": row_flood, "detail": row_detail, "conns": row_conns}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--store", choices=("memory", "redis"), default="memory")
    parser.add_argument("--tree", type=Path, default=REPO_ROOT, help="the checkout whose server.py runs")
    parser.add_argument("--rows", nargs="+", choices=tuple(ROWS), default=list(ROWS))
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each flood")
    parser.add_argument("--workers", type=int, default=8, help="connections of the flooding client at once")
    parser.add_argument("--proctors", type=int, default=5)
    parser.add_argument("--think", type=float, default=0.02, help="the candidate's seconds between reply and answer")
    args = parser.parse_args()
    if not 0 < args.seconds <= 30 or not 1 <= args.workers <= 64 or not 1 <= args.proctors <= 20:
        parser.error("--seconds must be in (0, 30], --workers in 1..64, --proctors in 1..20")
    run_rows(
        args.store,
        lambda workdir, redis: Bench(
            workdir, args.tree.resolve(), redis, args.seconds, args.workers, args.proctors, args.think
        ),
        [ROWS[name] for name in args.rows],
    )
    return 0


def run_rows(
    store: str, make_bench: Callable[[Path, RedisServer | None], Bench], rows: list[Callable[[Bench], None]]
) -> None:
    """Run ``rows`` on the bench ``make_bench(workdir, redis)`` makes, with a private Redis for ``store`` "redis";
    everything started here is stopped and removed after."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-abuse-"))
    redis = RedisServer(workdir) if store == "redis" else None
    bench = make_bench(workdir, redis)
    try:
        if redis is not None:
            redis.start()
        print(f"store {store}, server from {bench.tree}")
        for row in rows:
            row(bench)
    finally:
        if redis is not None:
            redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
