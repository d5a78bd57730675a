"""Rolling restarts with the real parts: ``python server.py`` processes, a private ``redis-server``, the shipped nginx
site in front (load_tests/nginx.py), and clients written from docs/protocol.md (tests/protocol_client.py).

* One process, no nginx: SIGTERM while a candidate's answer is being committed (held by ``CLIENT PAUSE WRITE``).
  The process stops listening at once, the answer gets its reply, then ``restarting`` and close 1012, and the process
  exits with status 0; started again, it continues the session (Redis). In memory mode: an idle candidate and a
  proctor get ``restarting`` and 1012, and the exit is 0.
* Two processes behind nginx: candidates and a proctor sit a battery through nginx while each process in turn is
  stopped (SIGTERM, with every candidate's answer in flight) and started again on its port. Every answer in flight
  gets its reply; the clients see closes with 1012 only (never 1006 or 1011); every acknowledged answer is applied
  exactly once (the audit); every session finishes; the proctor misses no event and gets none twice.

Loopback only; every wait is bounded; nothing asserts speed.
"""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from conftest import battery_dict, subtest_dict, write_battery
from protocol_client import AdminApi, CandidateClient, ConnectionLost, Frame, ProctorClient, parse_event_id

from load_tests.nginx import NginxProcess, write_prefix
from load_tests.procs import RedisServer, ServerProcess, free_port, process_tree, wait_until

ADMIN_TOKEN = "rolling-" + secrets.token_hex(8)
BATTERY = "rolling"
ITEMS = 8  # per subtest, two subtests
EXIT_WAIT_S = 20.0  # uvicorn's graceful timeout is 5 s (drain) + 5 s (its own): far above either


def run(factory: Callable[[], Awaitable[None]], timeout: float = 120.0) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(factory(), timeout)

    asyncio.run(bounded())


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    subs = [subtest_dict(s, max_items=ITEMS, min_items=ITEMS, se_target=None, time_limit_s=900) for s in ("s1", "s2")]
    return write_battery(tmp_path_factory.mktemp("battery"), battery_dict(subs, id=BATTERY))


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own: the test pauses its writes."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def blocked_commits(redis_port: int) -> int:
    """Commits (EVALSHA) waiting in Redis, held by ``CLIENT PAUSE WRITE``."""
    client = redis.Redis(port=redis_port, socket_timeout=5)
    try:
        return sum(1 for c in client.client_list() if c.get("cmd") == "evalsha" and "b" in c.get("flags", ""))
    finally:
        client.close()


def pause_writes(redis_port: int, pause: bool) -> None:
    client = redis.Redis(port=redis_port, socket_timeout=5)
    try:
        if pause:
            # bounded, if the test never unpauses
            client.execute_command("CLIENT", "PAUSE", 15000, "WRITE")  # type: ignore[no-untyped-call]
        else:
            client.execute_command("CLIENT", "UNPAUSE")  # type: ignore[no-untyped-call]
    finally:
        client.close()


def refused(port: int) -> str | None:
    """None when a TCP connection to ``port`` is refused (nobody listens), else what happened."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return "accepted"
    except ConnectionRefusedError:
        return None
    except OSError as err:
        return repr(err)


async def wait_for(check: Callable[[], Any], what: str, timeout: float = 10.0) -> None:
    """Poll ``check`` (run in a thread) until it returns None."""
    await asyncio.to_thread(wait_until, check, timeout, what)


def applied_answers(entries: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """(seq, response) of the audit's applied answers (docs/protocol.md: an ``answer`` entry with ``item_id`` and
    no ``outcome``), in audit order."""
    return [
        (int(e["seq"]), int(e["response"]))
        for e in entries
        if e.get("kind") == "answer" and "item_id" in e and "outcome" not in e
    ]


def worker_pids(supervisor: int) -> set[int]:
    """The uvicorn workers under ``supervisor`` (multiprocessing's spawned children; not its resource tracker)."""
    found = set()
    for pid in process_tree([supervisor]):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            found.add(pid)
    return found


def finished_event(proctor: ProctorClient, session_id: str) -> str | None:
    """None once the proctor has received the session's ``finished`` event."""
    for e in list(proctor.events):
        if e["session_id"] == session_id and e["event"]["type"] == "finished":
            return None
    return "no finished event yet"


async def sigterm(server: ServerProcess) -> int:
    """SIGTERM to the server (as systemd sends it) and its exit status, waited for a bounded time."""
    assert server.proc is not None
    server.proc.send_signal(signal.SIGTERM)
    return await asyncio.to_thread(server.proc.wait, EXIT_WAIT_S)


# --- one process -------------------------------------------------------------------------------------------------


def test_sigterm_lets_the_answer_being_committed_finish_then_closes_1012_and_exits_0(
    tmp_path: Path, own_redis: RedisServer, battery: Path
) -> None:
    server = ServerProcess(
        tmp_path / "server", ADMIN_TOKEN, redis_url=own_redis.url, key_prefix="roll1", battery=battery
    )
    server.start()

    async def go() -> None:
        admin = AdminApi(server.base_url, ADMIN_TOKEN)
        room = await admin.create_room("Ruang", BATTERY)
        (cand,) = await admin.register(room["room_id"], [("E1", "Peserta")])
        client = CandidateClient(server.ws_url, cand["token"])
        first = await client.connect()
        assert first.type == "item" and first["seq"] == 1, first.raw

        await asyncio.to_thread(pause_writes, own_redis.port, True)
        try:
            client.pending = (1, 0)
            await client.send({"type": "answer", "seq": 1, "response": 0})
            await wait_for(lambda: None if blocked_commits(own_redis.port) == 1 else "not blocked", "commit held")
            assert server.proc is not None
            server.proc.send_signal(signal.SIGTERM)
            # it stops listening while the answer is still being committed
            await wait_for(lambda: refused(server.port), "the port refused")
            assert client.conn is not None and client.conn.queue.empty() and not client.conn.closed
        finally:
            await asyncio.to_thread(pause_writes, own_redis.port, False)
        reply = await client.await_reply()
        assert reply.type == "item" and reply["seq"] == 2, reply.raw
        assert client.pending is None
        assert await client.wait_closed() == 1012
        assert client.history[-1].code == "restarting", client.history[-1].raw
        assert await asyncio.to_thread(server.proc.wait, EXIT_WAIT_S) == 0

        await asyncio.to_thread(server.start)
        again = await client.resume(attempts=20)
        assert again.type == "item" and again["seq"] == 2, again.raw
        assert client.closes == [1012]
        assert applied_answers(await admin.audit(cand["session_id"])) == [(1, 0)]
        await client.disconnect()

    try:
        run(go, 60)
    finally:
        server.stop()


def test_sigterm_in_memory_mode_closes_candidates_and_proctors_1012_and_exits_0(tmp_path: Path, battery: Path) -> None:
    server = ServerProcess(tmp_path / "server", ADMIN_TOKEN, battery=battery, demo_room=False)
    server.start()

    async def go() -> None:
        admin = AdminApi(server.base_url, ADMIN_TOKEN)
        room = await admin.create_room("Ruang", BATTERY)
        (cand,) = await admin.register(room["room_id"], [("E1", "Peserta")])
        client = CandidateClient(server.ws_url, cand["token"])
        assert (await client.connect()).type == "item"
        proctor = ProctorClient(server.ws_url, room["proctor_token"])
        assert (await proctor.connect()).type == "snapshot"
        status = await sigterm(server)
        assert await client.wait_closed() == 1012
        assert client.history[-1].code == "restarting", client.history[-1].raw
        assert await proctor.wait_closed() == 1012
        assert proctor.history[-1].code == "restarting", proctor.history[-1].raw
        assert status == 0

    try:
        run(go, 60)
    finally:
        server.stop()


def test_sighup_replaces_the_workers_of_one_port_one_at_a_time(
    tmp_path: Path, own_redis: RedisServer, battery: Path
) -> None:
    """``CAT_WORKERS=2``: SIGHUP to the supervisor replaces each worker (docs/operations.md, "Rolling restart"); the
    candidates of each old worker get 1012, come back to the same port and continue. Then SIGTERM to the group stops
    it all, each page told ``restarting``, and the supervisor exits with 0."""
    server = ServerProcess(
        tmp_path / "server", ADMIN_TOKEN, redis_url=own_redis.url, key_prefix="roll3", battery=battery, workers=2
    )
    server.start()

    async def go() -> None:
        assert server.proc is not None
        admin = AdminApi(server.base_url, ADMIN_TOKEN)
        room = await admin.create_room("Ruang", BATTERY)
        cands = await admin.register(room["room_id"], [(f"E{i}", f"Peserta {i}") for i in range(4)])
        sitters = [Sitter(CandidateClient(server.ws_url, c["token"]), seed=i) for i, c in enumerate(cands)]
        for sitter in sitters:
            assert (await sitter.client.connect()).type == "item"
        await asyncio.gather(*(s.steps(2) for s in sitters))
        supervisor = server.proc.pid
        workers = worker_pids(supervisor)
        assert len(workers) == 2, workers
        server.proc.send_signal(signal.SIGHUP)
        codes = await asyncio.gather(*(s.client.wait_closed(30) for s in sitters))
        assert codes == [1012] * len(sitters)
        await asyncio.gather(*(s.steps(ITEMS) for s in sitters))  # reconnect, resend nothing, go on

        def replaced() -> str | None:
            now = worker_pids(supervisor)
            return None if len(now) == 2 and not workers & now else f"workers {now}, were {workers}"

        await wait_for(replaced, "two new workers")
        assert server.proc.poll() is None  # the supervisor stays
        for sitter, cand in zip(sitters, cands, strict=True):
            assert applied_answers(await admin.audit(cand["session_id"])) == sitter.acked
            assert sitter.client.closes and set(sitter.client.closes) <= {1012}, sitter.client.closes

        # SIGTERM to the whole process group, as systemd's default KillMode does: each worker gets it directly and
        # once more from the supervisor; the second changes nothing, every page still gets `restarting` first
        os.killpg(supervisor, signal.SIGTERM)
        codes = await asyncio.gather(*(s.client.wait_closed(30) for s in sitters))
        assert codes == [1012] * len(sitters)
        assert [s.client.history[-1].code for s in sitters] == ["restarting"] * len(sitters)
        assert await asyncio.to_thread(server.proc.wait, EXIT_WAIT_S) == 0

    try:
        run(go, 90)
    finally:
        server.stop()


# --- two processes behind nginx ----------------------------------------------------------------------------------


class Sitter:
    """A candidate sitting the battery through nginx: answers, and resumes as the docs say whenever a connection is
    closed (``restarting``: after 0.2-1 s), until ``finished``."""

    def __init__(self, client: CandidateClient, seed: int) -> None:
        self.client = client
        self.seed = seed
        self.acked: list[tuple[int, int]] = []  # (seq, response) of every answer that got its reply
        self.finished: Frame | None = None

    @property
    def seq(self) -> int:
        assert self.client.current is not None and self.client.current.type == "item"
        return int(self.client.current["seq"])

    def response(self) -> int:
        return (self.seq * 7 + self.seed) % 4

    def accept(self, seq: int, response: int, reply: Frame) -> None:
        assert reply.type in ("item", "finished"), reply.raw
        if reply.type == "item":
            assert reply["seq"] == seq + 1, f"{reply.raw} after seq {seq}"
        else:
            self.finished = reply
        self.acked.append((seq, response))

    async def resumed(self) -> Frame:
        return await self.client.resume(attempts=60, delay=0.25)

    async def send_answer(self) -> tuple[int, int]:
        """Send the next answer without waiting for its reply (it becomes the pending one)."""
        seq, response = self.seq, self.response()
        self.client.pending = (seq, response)
        await self.client.send({"type": "answer", "seq": seq, "response": response})
        return seq, response

    async def reply(self, seq: int, response: int) -> Frame:
        """The reply to the pending answer, reconnecting and resending it (:meth:`CandidateClient.resume`) when the
        connection is closed first."""
        try:
            frame = await self.client.await_reply()
        except ConnectionLost:
            frame = await self.resumed()
        while frame.code == "restarting":  # the process began to drain before it read the answer
            frame = await self.resumed()
        self.accept(seq, response, frame)
        return frame

    async def step(self) -> None:
        try:
            seq, response = await self.send_answer()
        except ConnectionLost:  # closed (1012) since the last reply: the resume sends the pending answer
            seq, response = self.client.pending or (0, 0)
            frame = await self.resumed()
            while frame.code == "restarting":
                frame = await self.resumed()
            self.accept(seq, response, frame)
            return
        await self.reply(seq, response)

    async def steps(self, n: int) -> None:
        for _ in range(n):
            if self.finished is not None:
                return
            await self.step()


class Watcher:
    """A proctor console through nginx that reads every event and resumes after each close."""

    def __init__(self, proctor: ProctorClient) -> None:
        self.proctor = proctor
        self.task: asyncio.Task[None] | None = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.proctor.recv(3600)
            except ConnectionLost:
                await self.proctor.resume(attempts=60, delay=0.25)

    def start(self) -> None:
        self.task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.wait({self.task}, timeout=5)


def test_a_battery_through_nginx_while_each_process_is_restarted_in_turn(
    tmp_path: Path, own_redis: RedisServer, battery: Path
) -> None:
    ports = [free_port(), free_port()]
    env = {"CAT_FORWARDED_ALLOW_IPS": "127.0.0.1"}
    servers = [
        ServerProcess(
            tmp_path / f"server{i}",
            ADMIN_TOKEN,
            redis_url=own_redis.url,
            key_prefix="roll2",
            battery=battery,
            env=env,
            port=port,
            index=i,
        )
        for i, port in enumerate(ports)
    ]
    nginx_port = free_port()
    conf = write_prefix(tmp_path / "nginx", upstream_ports=ports, http_port=nginx_port)
    nginx = NginxProcess(conf, [nginx_port])
    try:
        for server in servers:
            server.start()
        nginx.start()
        run(lambda: _sit_through_restarts(servers, nginx, own_redis), 180)
    finally:
        nginx.stop()
        for server in servers:
            server.stop()


async def _sit_through_restarts(servers: list[ServerProcess], nginx: NginxProcess, own_redis: RedisServer) -> None:
    admin = AdminApi(nginx.base_url, ADMIN_TOKEN)
    room = await admin.create_room("Ruang", BATTERY)
    cands = await admin.register(room["room_id"], [(f"E{i}", f"Peserta {i}") for i in range(6)])
    watcher = Watcher(ProctorClient(nginx.ws_url, room["proctor_token"]))
    assert (await watcher.proctor.connect()).type == "snapshot"
    watcher.start()
    sitters = [Sitter(CandidateClient(nginx.ws_url, c["token"]), seed=i) for i, c in enumerate(cands)]
    for sitter in sitters:
        first = await sitter.client.connect()
        assert first.type == "item" and first["seq"] == 1, first.raw
    await asyncio.gather(*(s.steps(3) for s in sitters))

    for server in servers:
        closes_before = sum(len(s.client.closes) for s in sitters)
        # every candidate's next answer is being committed when the process is told to stop
        await asyncio.to_thread(pause_writes, own_redis.port, True)
        try:
            in_flight = [await s.send_answer() for s in sitters]
            await wait_for(
                lambda: None if blocked_commits(own_redis.port) >= len(sitters) else "not all held", "commits held"
            )
            assert server.proc is not None
            server.proc.send_signal(signal.SIGTERM)
            await wait_for(functools.partial(refused, server.port), f"port {server.port} refused")
        finally:
            await asyncio.to_thread(pause_writes, own_redis.port, False)
        replies = [await s.client.await_reply() for s in sitters]  # no reconnect: each answer gets its reply
        for sitter, (seq, response), reply in zip(sitters, in_flight, replies, strict=True):
            sitter.accept(seq, response, reply)
        assert await asyncio.to_thread(server.proc.wait, EXIT_WAIT_S) == 0
        await asyncio.gather(*(s.steps(2) for s in sitters))  # the drained candidates reconnect through nginx
        await asyncio.to_thread(server.start)
        restarted = sum(len(s.client.closes) for s in sitters) - closes_before
        assert restarted >= 1, f"no candidate was on the process on port {server.port}"

    for sitter in sitters:
        while sitter.finished is None:
            await sitter.step()
        # 1012 for each restart it was on; 1000 after `finished` when the close came before our own
        closes = sitter.client.closes
        assert 1012 in closes and set(closes) <= {1012, 1000} and 1000 not in closes[:-1], closes
        await sitter.client.disconnect()

    proctor = watcher.proctor
    for sitter, cand in zip(sitters, cands, strict=True):
        sid = cand["session_id"]
        assert applied_answers(await admin.audit(sid)) == sitter.acked  # each acknowledged answer once, in order
        assert [seq for seq, _ in sitter.acked] == list(range(1, 2 * ITEMS + 1))
        assert (await admin.session(sid))["session"]["phase"] == "finished"
        await wait_for(functools.partial(finished_event, proctor, sid), f"the proctor saw {sid} finish")
    await watcher.stop()
    ids = proctor.event_ids()
    assert len(ids) == len(set(ids)) and ids == sorted(ids, key=parse_event_id), "an event twice or out of order"
    for sitter, cand in zip(sitters, cands, strict=True):
        events = proctor.session_events(cand["session_id"], "answered")
        assert [(e["event"]["seq"], e["event"]["shown"]) for e in events] == sitter.acked  # the positions sent
    assert proctor.closes and set(proctor.closes) <= {1012}, proctor.closes
    await proctor.disconnect()
