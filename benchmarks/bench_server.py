"""Answer latency and server CPU per answer of the live server, against an echo floor measured in the same run.

Starts ``python server.py`` (memory store, or Redis with a private ``redis-server`` on a free port) and a minimal
Starlette WebSocket echo app on the same uvicorn settings, drives ``--examinees`` simulated candidates through the
demo battery over loopback (random option, think time uniform in ``--think``), and prints the answer-to-next-item
latency percentiles and the server process's CPU time per answer, for both, with their ratio. It is a quick check,
not the load test: ``load_tests/`` is where rollout rehearsals live.

    .venv/bin/python benchmarks/bench_server.py --store memory --examinees 50
    .venv/bin/python benchmarks/bench_server.py --store redis --examinees 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")
ECHO_APP = """
import os, uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
FRAME = os.environ["ECHO_FRAME"]
async def echo(ws):
    await ws.accept()
    while (await ws.receive())["type"] != "websocket.disconnect":
        await ws.send({"type": "websocket.send", "text": FRAME})
app = Starlette(routes=[WebSocketRoute("/ws", echo)])
uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), loop="uvloop", http="httptools",
            ws="websockets-sansio", ws_per_message_deflate=False, log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def api(base: str, token: str, path: str, body: object) -> dict:  # type: ignore[type-arg]
    req = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as reply:
        return json.loads(reply.read())  # type: ignore[no-any-return]


async def candidate(url: str, token: str, think: tuple[float, float], latencies: list[float]) -> None:
    async with connect(url, compression=None) as ws:
        await ws.send(json.dumps({"type": "hello", "token": token}))
        frame = json.loads(await ws.recv())
        while frame["type"] == "item":
            await asyncio.sleep(random.uniform(*think))
            started = time.perf_counter()
            answer = {
                "type": "answer",
                "seq": frame["seq"],
                "response": random.randrange(len(frame["item"]["options"])),
            }
            await ws.send(json.dumps(answer))
            frame = json.loads(await ws.recv())
            latencies.append((time.perf_counter() - started) * 1000)
        if frame["type"] != "finished":
            raise RuntimeError(f"a candidate ended with {frame}")


async def echo_client(url: str, messages: int, think: tuple[float, float], latencies: list[float]) -> None:
    async with connect(url, compression=None) as ws:
        for seq in range(messages):
            await asyncio.sleep(random.uniform(*think))
            started = time.perf_counter()
            await ws.send(json.dumps({"type": "answer", "seq": seq, "response": 1}))
            await ws.recv()
            latencies.append((time.perf_counter() - started) * 1000)


def summary(name: str, latencies: list[float], cpu_s: float) -> dict[str, float]:
    q = statistics.quantiles(latencies, n=100)
    row = {"n": len(latencies), "p50": q[49], "p95": q[94], "p99": q[98], "max": max(latencies)}
    row["cpu_us"] = cpu_s / len(latencies) * 1e6
    print(
        f"{name:<8} {row['n']:>6} {row['p50']:>8.2f} {row['p95']:>8.2f} {row['p99']:>8.2f} {row['max']:>8.2f}"
        f" {row['cpu_us']:>10.0f}"
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=("memory", "redis"), default="memory")
    parser.add_argument("--examinees", type=int, default=50)
    parser.add_argument("--think", type=float, nargs=2, default=(0.05, 0.3), metavar=("MIN_S", "MAX_S"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    random.seed(args.seed)
    think = (args.think[0], args.think[1])
    procs: list[subprocess.Popen[bytes]] = []
    workdir = Path(tempfile.mkdtemp(prefix="bench-server-"))
    try:
        env = {**os.environ, "CAT_ADMIN_TOKEN": "bench", "CAT_DEMO_ROOM": "0", "PORT": str(free_port())}
        if args.store == "redis":
            redis_port = free_port()
            binary = shutil.which("redis-server") or "/usr/bin/redis-server"
            redis_args = ["--port", str(redis_port), "--save", "", "--appendonly", "yes", "--dir", str(workdir)]
            procs.append(subprocess.Popen([binary, *redis_args], stdout=subprocess.DEVNULL))
            env["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
            time.sleep(0.5)
        server = subprocess.Popen([sys.executable, "server.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        procs.append(server)
        base = f"http://127.0.0.1:{env['PORT']}"
        wait_http(base + "/healthz")
        room = api(base, "bench", "/api/rooms", {"name": "bench", "battery": "cact-demo"})
        roster = [{"employee_id": f"B{i:05d}", "name": f"Bench {i}"} for i in range(args.examinees)]
        tokens = [
            c["token"]
            for c in api(base, "bench", f"/api/rooms/{room['room_id']}/candidates", {"candidates": roster})[
                "candidates"
            ]
        ]
        ws_url = base.replace("http", "ws") + "/ws/candidate"
        latencies: list[float] = []
        before = cpu_seconds(server.pid)
        asyncio.run(asyncio.wait_for(_gather(candidate(ws_url, t, think, latencies) for t in tokens), 600))
        server_cpu = cpu_seconds(server.pid) - before

        echo_port = free_port()
        frame = json.dumps({"type": "item", "seq": 1, "item": {"id": "X", "stem": "x" * 300, "options": ["a"] * 5}})
        echo = subprocess.Popen(
            [sys.executable, "-c", ECHO_APP], env={**os.environ, "PORT": str(echo_port), "ECHO_FRAME": frame}
        )
        procs.append(echo)
        time.sleep(1.5)
        per = max(len(latencies) // args.examinees, 1)
        floor: list[float] = []
        before = cpu_seconds(echo.pid)
        echo_url = f"ws://127.0.0.1:{echo_port}/ws"
        asyncio.run(asyncio.wait_for(_gather(echo_client(echo_url, per, think, floor) for _ in tokens), 600))
        echo_cpu = cpu_seconds(echo.pid) - before

        print(f"store {args.store}, {args.examinees} examinees, think {think[0]}-{think[1]} s; latency in ms")
        print(f"{'':<8} {'answers':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'cpu us/ans':>10}")
        ours = summary("server", latencies, server_cpu)
        base_row = summary("echo", floor, echo_cpu)
        p50_ratio, cpu_ratio = ours["p50"] / base_row["p50"], ours["cpu_us"] / base_row["cpu_us"]
        print(f"ratio to the echo floor: p50 {p50_ratio:.1f}x, cpu {cpu_ratio:.1f}x")
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


async def _gather(coros: object) -> None:
    await asyncio.gather(*coros)  # type: ignore[misc]


if __name__ == "__main__":
    sys.exit(main())
