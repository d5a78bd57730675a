"""cat_engine.server.metrics across processes: the multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``), first with small
processes that drive a :class:`Metrics` each (sums, ended and killed processes), then end to end: ``python server.py``
with ``CAT_WORKERS=2`` over a private Redis, scraped between hellos, answers and open sockets.

Every scrape may reach either worker: what it shows must be the host's sum all the same, and never go backwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from protocol_client import AdminApi, CandidateClient, ConnectionLost
from test_server_metrics import TYPES, Family, by_label, parse, value

from load_tests.procs import RedisServer, ServerProcess, process_tree

REPO = Path(__file__).resolve().parents[1]
ADMIN = "workers-admin-" + secrets.token_hex(8)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# --- processes that each drive one Metrics, in multiprocess mode --------------------------------------------------

_CHILD = """
import json, os, sys
from cat_engine.server.metrics import Metrics
m = Metrics()
print(json.dumps([os.getpid(), m.multiprocess_dir]), flush=True)
for line in sys.stdin:
    name, args, kwargs = json.loads(line)
    out = m.render().decode() if name == "render" else getattr(m, name)(*args, **kwargs)
    print(json.dumps(out), flush=True)
"""


class Child:
    """A Python process with one :class:`Metrics` (prometheus_client imported with the variable set), told what to
    record over its standard input."""

    def __init__(self, directory: Path) -> None:
        env = {**os.environ, MULTIPROC_ENV: str(directory), "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD], cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.pid, mp_dir = self._read()
        assert self.pid == self.proc.pid and mp_dir == str(directory)

    def _read(self) -> Any:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, f"the child ended (exit code {self.proc.wait(5)})"
        return json.loads(line)

    def __call__(self, name: str, *args: Any, **kwargs: Any) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps([name, args, kwargs]) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def render(self) -> dict[str, Family]:
        text = self("render")
        assert isinstance(text, str)
        return parse(text)

    def end(self) -> None:
        """Close the Metrics as the app's lifespan does, then exit."""
        self("close")
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        assert self.proc.wait(10) == 0

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


@pytest.fixture
def children(tmp_path: Path) -> Iterator[Callable[[], Child]]:
    made: list[Child] = []
    directory = tmp_path / "prom"
    directory.mkdir()

    def start() -> Child:
        made.append(Child(directory))
        return made[-1]

    yield start
    for child in made:
        if child.proc.poll() is None:
            child.kill()


def test_every_family_is_in_the_merged_exposition_with_its_type(children: Callable[[], Child]) -> None:
    families = children().render()  # no room seen yet: its families still have their HELP and TYPE
    assert {name: f.type for name, f in families.items()} == TYPES
    assert families["cat_room_answers_total"].samples == families["cat_room_live_candidates"].samples == []
    assert by_label(families, "cat_live_connections", "kind") == {"candidate": 0, "proctor": 0}
    assert value(families, "cat_answers_total") == value(families, "cat_event_loop_lag_seconds") == 0


def test_every_process_shows_the_sum_of_all(children: Callable[[], Child]) -> None:
    a, b = children(), children()
    for _ in range(3):
        a("frame", "candidate")
    for _ in range(4):
        b("frame", "candidate")
    a("connection_opened", "candidate")
    a("connection_opened", "candidate")
    b("connection_opened", "candidate")
    b("connection_opened", "proctor")
    a("session_opened", "ROOMAA")
    b("session_opened", "ROOMAA")
    b("session_opened", "ROOMBB")
    a("observe_answer", 0.002, "ROOMAA")
    b("observe_answer", 0.02, "ROOMBB")
    b("observe_answer", 0.2, "ROOMBB")
    a("observe_commit", 0.0003)
    b("observe_commit", 0.003)
    a("loop_lag", 0.1)
    b("loop_lag", 0.3)
    b("error", "bad_token")
    a("error", "bad_token")
    b("count_suppressed", "audit", 5)
    a("conflict")
    for child in (a, b):  # whichever answers the scrape
        f = child.render()
        assert value(f, "cat_frames_total", kind="candidate") == 7
        assert value(f, "cat_live_connections", kind="candidate") == 3
        assert value(f, "cat_live_connections", kind="proctor") == 1
        assert value(f, "cat_live_sessions") == 3
        assert by_label(f, "cat_room_live_candidates", "room") == {"ROOMAA": 2, "ROOMBB": 1}
        assert value(f, "cat_answers_total") == 3
        assert by_label(f, "cat_room_answers_total", "room") == {"ROOMAA": 1, "ROOMBB": 2}
        assert value(f, "cat_answer_seconds", "cat_answer_seconds_count") == 3
        assert value(f, "cat_answer_seconds", "cat_answer_seconds_bucket", le="0.025") == 2
        assert value(f, "cat_answer_seconds", "cat_answer_seconds_sum") == pytest.approx(0.222)
        assert value(f, "cat_store_commit_seconds", "cat_store_commit_seconds_count") == 2
        assert value(f, "cat_event_loop_lag_seconds") == 0.3  # the largest process's
        assert value(f, "cat_errors_total", code="bad_token") == 2
        assert value(f, "cat_errors_total", code="flood") == 0
        assert value(f, "cat_suppressed_total", kind="audit") == 5
        assert value(f, "cat_store_conflicts_total") == 1
    assert (a("value", "cat_frames_total", kind="candidate"), b("value", "cat_frames_total", kind="candidate")) == (
        3,
        4,
    )  # each its own part


def test_ended_and_killed_processes_leave_the_gauges_and_keep_the_counts(children: Callable[[], Child]) -> None:
    a, b, c = children(), children(), children()
    for child, n in ((a, 1), (b, 2), (c, 4)):
        for _ in range(n):
            child("frame", "candidate")
            child("connection_opened", "candidate")
            child("session_opened", "ROOMAA")
            child("observe_answer", 0.01, "ROOMAA")
        child("loop_lag", n / 10)
    f = a.render()
    assert value(f, "cat_live_connections", kind="candidate") == value(f, "cat_live_sessions") == 7
    assert value(f, "cat_event_loop_lag_seconds") == 0.4
    b.end()  # its lifespan ended
    c.kill()  # killed: no close
    f = a.render()
    assert value(f, "cat_live_connections", kind="candidate") == value(f, "cat_live_sessions") == 1
    assert by_label(f, "cat_room_live_candidates", "room") == {"ROOMAA": 1}
    assert value(f, "cat_event_loop_lag_seconds") == 0.1
    assert value(f, "cat_frames_total", kind="candidate") == 7  # the counters of ended processes stay
    assert value(f, "cat_answers_total") == 7
    assert by_label(f, "cat_room_answers_total", "room") == {"ROOMAA": 7}
    d = children()  # a process started after them (a restarted worker) shows the same
    f = d.render()
    assert value(f, "cat_frames_total", kind="candidate") == 7
    assert value(f, "cat_live_connections", kind="candidate") == 1


# --- python server.py with two workers ---------------------------------------------------------------------------

N_WRONG = 3  # wrong-token hellos between two scrapes
N_ANSWERS = 2  # answers of the candidate of each round
ROUNDS = 6
#: The frames a candidate sends between its hello and its first item (docs/protocol.md, Flow 3 and 4).
FIRST_STARTS = [{"type": "start"}, {"type": "start", "subtest": 0}]
COUNTERS = ("_total", "_count", "_sum", "_bucket")


def run(factory: Callable[[], Awaitable[None]], timeout: float = 180.0) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(factory(), timeout)

    asyncio.run(bounded())


def established_by_pid(port: int, pids: list[int]) -> dict[int, int]:
    """Established TCP connections to ``port`` held by each of ``pids`` (the worker that accepted them)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                cols = line.split()
                if cols[3] == "01" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{cols[9]}]")
    counts: dict[int, int] = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            n = sum(1 for fd in Path(f"/proc/{pid}/fd").iterdir() if os.readlink(fd) in inodes)
            if n:
                counts[pid] = n
    return counts


class Scraper:
    """Scrapes ``/metrics`` and checks that no counter, histogram count, sum or bucket ever went backwards."""

    def __init__(self, admin: AdminApi) -> None:
        self.admin = admin
        self.last: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self.count = 0

    async def scrape(self) -> dict[str, Family]:
        reply = await self.admin.request("GET", "/metrics")
        assert reply.status == 200, reply.body
        families = parse(reply.text)
        now = {
            (name, tuple(sorted(labels.items()))): v
            for family in families.values()
            for name, labels, v in family.samples
            if family.type in ("counter", "histogram") and name.endswith(COUNTERS)
        }
        for key, before in self.last.items():
            assert key in now, f"scrape {self.count}: {key} vanished"
            assert now[key] >= before, f"scrape {self.count}: {key} went back from {before} to {now[key]}"
        self.last = now
        self.count += 1
        return families

    async def until(self, check: Callable[[dict[str, Family]], bool], timeout: float = 10.0) -> dict[str, Family]:
        """The first scrape for which ``check`` holds (a reply reaches the client just before its count is made, and
        a close reaches the server after the client's); the last one after ``timeout``, for the caller's asserts."""
        deadline = time.monotonic() + timeout
        while True:
            families = await self.scrape()
            if check(families) or time.monotonic() > deadline:
                return families
            await asyncio.sleep(0.05)


@pytest.fixture
def two_workers(tmp_path: Path, private_redis: RedisServer) -> Iterator[ServerProcess]:
    server = ServerProcess(
        tmp_path / "server", ADMIN, redis_url=private_redis.url, key_prefix=f"t-mw-{secrets.token_hex(4)}", workers=2
    )
    try:
        server.start(timeout=60)
        yield server
    finally:
        server.stop()
    assert "Traceback" not in server.tail(), server.tail()


def test_server_py_with_two_workers_adds_up(two_workers: ServerProcess) -> None:
    server = two_workers

    async def go() -> None:
        admin = AdminApi(server.base_url, ADMIN)
        scraper = Scraper(admin)
        room = (await admin.create_room("Ruang Metrik"))["room_id"]
        cands = await admin.register(room, [(f"E{i:03d}", f"Peserta {i}") for i in range(60)])
        tokens = [c["token"] for c in cands]
        frames = answers = wrong_hellos = 0

        def counted(f: dict[str, Family]) -> bool:
            return value(f, "cat_frames_total", kind="candidate") == frames and value(f, "cat_answers_total") == answers

        f = await scraper.scrape()
        assert value(f, "cat_frames_total", kind="candidate") == 0
        for _ in range(ROUNDS):
            for _ in range(N_WRONG):
                wrong = CandidateClient(server.ws_url, "no-such-token-" + secrets.token_hex(4))
                assert (await wrong.connect()).code == "bad_token"
                await wrong.disconnect()
                frames += 1
                wrong_hellos += 1
            client = CandidateClient(server.ws_url, tokens.pop())
            frame = await client.connect()  # hello, welcome, start, the first intro, start: the first item
            assert client.starts == FIRST_STARTS, client.starts
            frames += 1 + len(FIRST_STARTS)
            for n in range(N_ANSWERS):
                assert frame.type == "item", frame.raw
                frame = await client.answer(int(frame["seq"]), n % 2)
                frames += 1
                answers += 1
            assert client.starts == FIRST_STARTS  # no subtest ended within these answers: no other start
            await client.disconnect()
            f = await scraper.until(counted)
            assert value(f, "cat_frames_total", kind="candidate") == frames
            assert value(f, "cat_answers_total") == answers
            assert value(f, "cat_answer_seconds", "cat_answer_seconds_count") == answers
            assert by_label(f, "cat_room_answers_total", "room") == {room: answers}
            assert value(f, "cat_errors_total", code="bad_token") == wrong_hellos

        # open sockets until both workers hold some: the sum is only right if it adds both
        workers = [pid for pid in process_tree([server.pid or 0]) if pid != server.pid]
        open_clients: list[CandidateClient] = []
        spread: dict[int, int] = {}
        while len(open_clients) < 12 or (len(spread) < 2 and tokens):
            client = CandidateClient(server.ws_url, tokens.pop())
            assert (await client.connect()).type == "item"
            assert client.starts == FIRST_STARTS, client.starts
            frames += 1 + len(FIRST_STARTS)
            open_clients.append(client)
            spread = established_by_pid(server.port, workers)
        assert len(spread) == 2, f"every socket went to one worker: {spread}"

        def live(n: int) -> Callable[[dict[str, Family]], bool]:
            return lambda f: value(f, "cat_live_connections", kind="candidate") == n and counted(f)

        for _ in range(6):  # whichever worker answers
            f = await scraper.until(live(len(open_clients)))
            assert value(f, "cat_live_connections", kind="candidate") == len(open_clients)
            assert value(f, "cat_live_sessions") == len(open_clients)
            assert by_label(f, "cat_room_live_candidates", "room") == {room: len(open_clients)}
            assert value(f, "cat_frames_total", kind="candidate") == frames

        # a worker killed: its sockets drop and leave the gauges, its counts stay (uvicorn starts another)
        victim = min(spread, key=lambda pid: spread[pid])
        os.kill(victim, signal.SIGKILL)
        survivors = len(open_clients) - spread[victim]
        f = await scraper.until(live(survivors))
        assert value(f, "cat_live_connections", kind="candidate") == survivors
        assert value(f, "cat_live_sessions") == survivors
        assert value(f, "cat_frames_total", kind="candidate") == frames
        assert value(f, "cat_answers_total") == answers

        for client in open_clients:
            with contextlib.suppress(ConnectionLost, OSError):
                await client.disconnect()
        f = await scraper.until(live(0))
        assert value(f, "cat_live_connections", kind="candidate") == 0
        assert value(f, "cat_live_sessions") == 0
        assert by_label(f, "cat_room_live_candidates", "room") == {room: 0}
        assert value(f, "cat_answers_total") == answers
        assert scraper.count > ROUNDS + 6

    run(go)
