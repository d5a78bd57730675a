"""End-to-end checks of ``python server.py`` on a local Redis Cluster, through the independent client.

The client (tests/protocol_client.py) follows ``docs/protocol.md`` only; nothing here imports ``cat_engine.server``.

* Two server processes share the session's ``private_cluster`` (3 masters + 3 replicas; its nodes are never
  killed here): a candidate walks the whole demo battery (its welcome and the intro of each subtest answered with
  ``start`` by the client, as a candidate ready at once) switching process every few answers, a proctor on the
  other process sees every answer, the audit holds each answer once; a repeated registration with an
  ``Idempotency-Key`` registers nothing new; a server given a single-node URL of a cluster node is unhealthy.
* A failover on a cluster of the test's own: the master holding the room is SIGKILLed mid-sitting with
  ``CAT_REDIS_WAIT_REPLICAS=1``; the candidate keeps going as the documentation says (``unavailable`` or a lost
  connection: reconnect, ``hello``, resend the pending answer) and finishes; every acknowledged answer is in the
  audit exactly once as applied.

Every wait is bounded; each test runs one coroutine under ``asyncio.wait_for``.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from protocol_client import (
    RECONNECT_ERRORS,
    AdminApi,
    CandidateClient,
    ConnectionLost,
    Frame,
    ProctorClient,
    RateLimiter,
)
from websockets.exceptions import InvalidHandshake

from load_tests.cluster import LocalCluster
from load_tests.procs import ServerProcess

ADMIN_TOKEN = "e2e-cluster-admin-" + secrets.token_hex(12)
BATTERY_ID = "cact-demo"
SUBTESTS = 3
MAX_ANSWERS = 3 * 40  # the demo battery: three subtests of at most 40 items
SWITCH_EVERY = 3  # answers between two switches of server process
RECOVERY_BUDGET_S = 40.0  # how long one answer may take to be acknowledged through a failover
NO_REPLICA_S = 1.5  # how long the new master runs without a replica before the dead node comes back

#: What a lost connection looks like to the client (the documentation: reconnect, hello, resend the pending answer).
LOST = (ConnectionLost, TimeoutError, OSError, InvalidHandshake)


def run(factory: Callable[[], Awaitable[None]], timeout: float) -> None:
    """Run one test coroutine with a hard bound."""

    async def bounded() -> None:
        await asyncio.wait_for(factory(), timeout)

    asyncio.run(bounded())


def room_key(prefix: str, room_id: str) -> str:
    """The key of a room's hash; every key of the room shares its hash tag, so its master holds them all."""
    return f"{prefix}:{{{room_id}}}:room"


# --- processes ---------------------------------------------------------------------------------------------------


@pytest.fixture
def make_servers(tmp_path: Path) -> Iterator[Callable[..., list[ServerProcess]]]:
    """A factory of server processes started in parallel (``make_servers(n, **settings)``), all stopped at the end.

    ``start=False`` only spawns them (for a server that is not expected to become healthy).
    """
    started: list[ServerProcess] = []

    def factory(n: int, *, start: bool = True, **kwargs: Any) -> list[ServerProcess]:
        servers = []
        for _ in range(n):
            index = len(started)
            server = ServerProcess(tmp_path / f"server-{index}", admin_token=ADMIN_TOKEN, index=index, **kwargs)
            started.append(server)
            servers.append(server)
        if start:
            with ThreadPoolExecutor(max_workers=n) as pool:
                list(pool.map(lambda s: s.start(timeout=30), servers))
        else:
            for server in servers:
                server.spawn()
        return servers

    try:
        yield factory
    finally:
        for server in started:
            server.stop()


# --- the admin side --------------------------------------------------------------------------------------------


async def new_room(admin: AdminApi, idempotency_key: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A room of the demo battery with one registered candidate: (room, candidate)."""
    room = await admin.create_room(f"Ruang klaster {secrets.token_hex(3)}", BATTERY_ID)
    person = (f"1990{secrets.randbelow(10**10):010d}", "Peserta Klaster")
    candidates = await admin.register(room["room_id"], [person], idempotency_key=idempotency_key)
    assert [(c["employee_id"], c["name"]) for c in candidates] == [person], candidates
    return room, candidates[0]


def applied_answers(entries: Sequence[dict[str, Any]]) -> list[tuple[int, int]]:
    """(seq, response) of every answer the audit says was applied, in audit order (docs/protocol.md: an entry of
    kind ``answer`` with ``item_id`` and ``response_ms`` and no ``outcome``)."""
    return [
        (int(e["seq"]), int(e["response"]))
        for e in entries
        if e.get("kind") == "answer" and "outcome" not in e and "response_ms" in e
    ]


def outcomes(entries: Sequence[dict[str, Any]], outcome: str) -> list[tuple[int, int]]:
    """(seq, response) of the answer entries with that ``outcome``."""
    return [
        (int(e["seq"]), int(e["response"]))
        for e in entries
        if e.get("kind") == "answer" and e.get("outcome") == outcome
    ]


def check_audit(entries: Sequence[dict[str, Any]], acknowledged: Sequence[tuple[int, int]]) -> Counter[str]:
    """Every acknowledged answer applied exactly once, nothing else applied, every resend a duplicate of an applied
    answer; the kinds of entries, counted."""
    for entry in entries:
        assert {"id", "at_ms", "kind"} <= set(entry), entry
    applied = applied_answers(entries)
    seqs = Counter(seq for seq, _ in applied)
    twice = sorted(seq for seq, n in seqs.items() if n > 1)
    assert not twice, f"seqs applied more than once: {twice}"
    assert applied == list(acknowledged), f"applied {applied}\nacknowledged {list(acknowledged)}"
    applied_set = set(applied)
    for dup in outcomes(entries, "duplicate"):
        assert dup in applied_set, f"a duplicate of an answer never applied: {dup}"
    return Counter(e["kind"] if e.get("kind") != "answer" else f"answer/{e.get('outcome', 'applied')}" for e in entries)


# --- a candidate that moves between processes and rides out store failures ---------------------------------------


class Sitter:
    """A candidate walking the battery over several server processes, as docs/protocol.md asks of a client.

    Every ``switch_every`` acknowledged answers it closes its connection and resumes on the next process. When an
    answer gets ``unavailable`` (or ``internal``) or the connection is lost, it reconnects (to the next process),
    sends ``hello`` and resends the pending answer, with a backoff, until the answer is acknowledged (a reply that
    is the next ``item`` or ``finished``) or ``budget_s`` passes.
    """

    def __init__(
        self, servers: Sequence[ServerProcess], token: str, seed: int, *, switch_every: int, budget_s: float
    ) -> None:
        self.servers = list(servers)
        self.token = token
        self.rng = random.Random(seed)
        self.switch_every = switch_every
        self.budget_s = budget_s
        self.limiter = RateLimiter()  # one budget of frames across every connection
        self.index = 0
        self.client = self._client()
        self.current: Frame | None = None  # the item being presented
        self.finished: Frame | None = None
        self.acked: list[tuple[int, int]] = []  # (seq, response) of every acknowledged answer, in order
        self.acked_at: list[float] = []  # time.monotonic() of each acknowledgement
        self.sent: list[tuple[int, int]] = []  # every answer frame sent, resends included
        self.hops = 0  # connections opened after the first
        self.intros = 0  # subtests begun after the first, each through its intro
        self.trouble: list[str] = []  # what went wrong on the way, for the report
        self.trouble_codes: Counter[str] = Counter()

    def _client(self) -> CandidateClient:
        return CandidateClient(self.servers[self.index].ws_url, self.token, limiter=self.limiter, timeout=6.0)

    @property
    def seq(self) -> int:
        assert self.current is not None and self.current.type == "item", self.current
        return int(self.current["seq"])

    def _note(self, what: str, code: str) -> None:
        self.trouble.append(f"{time.monotonic():.3f} server{self.index}: {what}")
        self.trouble_codes[code] += 1

    async def start(self) -> None:
        first = await self.client.connect()  # past the welcome and the first intro (the client starts them)
        assert first.type == "item" and first["seq"] == 1, first.raw
        assert [f.type for f in self.client.history] == ["welcome", "subtest_intro", "item"], self.client.history
        self.current = first

    async def _hop(self, pending: tuple[int, int] | None) -> Frame:
        """Close the connection, connect to the next process, ``hello``, resend ``pending``; the last frame."""
        await self.client.disconnect()
        self.index = (self.index + 1) % len(self.servers)
        self.client = self._client()
        self.client.pending = pending
        self.hops += 1
        if pending is not None:
            self.sent.append(pending)
        reply = await self.client.resume(attempts=1)
        hello = self.client.last_hello
        assert hello is not None
        if hello.code in RECONNECT_ERRORS or reply.code in RECONNECT_ERRORS:
            return reply
        # the hello reply: where the session is. With an answer pending it may already have been applied (its
        # reply lost): then the next item, the next subtest's intro after a subtest's last answer, or `finished`
        # after the last one. The client resends the answer before any start, then starts what waits for it.
        if pending is None:
            assert self.current is not None
            assert hello.type == "item" and hello["seq"] == self.seq, f"hello after {self.seq}: {hello.raw}"
            assert hello["item"] == self.current["item"], f"another item at seq {self.seq}: {hello.raw}"
        else:
            later = hello.type in ("finished", "subtest_intro")
            ok = later or (hello.type == "item" and hello["seq"] in (pending[0], pending[0] + 1))
            assert ok, f"hello with answer {pending} pending: {hello.raw}"
        return reply

    async def _until_served(self, pending: tuple[int, int] | None, first: Frame | None) -> Frame:
        """``first`` (the reply on the current connection, None when it was lost) or, while that is a retryable
        error or missing, the reply after a hop; bounded by ``budget_s``."""
        deadline = time.monotonic() + self.budget_s
        reply = first
        attempt = 0
        while reply is None or reply.code in RECONNECT_ERRORS:
            if reply is not None:
                self._note(f"{reply.raw}", str(reply.code))
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"answer {pending} not acknowledged within {self.budget_s} s; on the way:\n"
                    + "\n".join(self.trouble[-30:])
                )
            await asyncio.sleep(min(0.1 * 2**attempt, 1.0) if attempt else 0.05)
            attempt += 1
            try:
                reply = await self._hop(pending)
            except LOST as exc:
                self._note(repr(exc), type(exc).__name__)
                reply = None
        return reply

    async def step(self, *, lose_reply: bool = False) -> Frame:
        """Answer the item being presented and see it acknowledged (through any failures); the reply.

        ``lose_reply``: close the connection right after sending the answer, as if its reply was lost; the answer
        is then resent on the next process (a duplicate there, when the first one was applied).
        """
        seq = self.seq
        response = self.rng.randrange(len(self.current["item"]["options"]))  # type: ignore[index]
        pending = (seq, response)
        self.sent.append(pending)
        first: Frame | None = None
        try:
            if lose_reply:
                self.client.pending = pending
                await self.client.send({"type": "answer", "seq": seq, "response": response})
                await self.client.disconnect()
                await asyncio.sleep(0.3)  # time for the first process to apply it
            else:
                first = await self.client.answer(seq, response)
        except LOST as exc:
            self._note(repr(exc), type(exc).__name__)
        reply = await self._until_served(pending, first)
        assert reply.type in ("item", "finished"), f"answer {pending}: {reply.raw}\n" + "\n".join(self.trouble[-30:])
        self.acked.append(pending)
        self.acked_at.append(time.monotonic())
        if reply.type == "finished":
            self.finished, self.current = reply, None
        else:
            assert reply["seq"] == seq + 1, f"answer {pending}: {reply.raw}"
            index = reply["subtest"]["index"]
            if index != self.current["subtest"]["index"]:  # type: ignore[index]
                # a new subtest begins with its intro (answered with start by the client)
                intros = self.client.intros
                assert intros and intros[-1]["subtest"]["index"] == index, [f.raw for f in intros]
                self.intros += 1
            self.current = reply
        return reply

    async def switch(self) -> None:
        """Leave this process and resume on the next one (the same item again)."""
        hello = await self._until_served(None, None)
        assert hello.type == "item" and hello["seq"] == self.seq, hello.raw

    async def walk(self, until: Callable[[Sitter], bool]) -> None:
        """Answer until ``until(self)`` or the battery is finished, switching process every ``switch_every``."""
        while self.finished is None and not until(self):
            assert len(self.acked) < MAX_ANSWERS, "more answers than the battery allows"
            await self.step()
            if self.finished is None and len(self.acked) % self.switch_every == 0:
                await self.switch()

    async def close(self) -> None:
        await self.client.disconnect()


def check_walk(sitter: Sitter) -> None:
    """The acknowledged answers: seqs 1..n without gaps, ended by ``finished`` with a profile of every subtest."""
    assert sitter.finished is not None
    assert [seq for seq, _ in sitter.acked] == list(range(1, len(sitter.acked) + 1)), sitter.acked
    assert SUBTESTS * 3 <= len(sitter.acked) <= MAX_ANSWERS, len(sitter.acked)
    profile = sitter.finished["profile"]
    assert profile is not None and len(profile["subtests"]) == SUBTESTS, sitter.finished.raw
    assert sum(s["items"] for s in profile["subtests"]) == len(sitter.acked), sitter.finished.raw
    assert sitter.intros == SUBTESTS - 1, sitter.intros


async def check_result(admin: AdminApi, room_id: str, session_id: str, answers: int) -> dict[str, Any]:
    """The session is finished with a full profile, one result row per subtest; its summary."""
    session = await admin.session(session_id)
    summary: dict[str, Any] = session["session"]
    assert summary["phase"] == "finished", summary
    assert summary["answered_total"] == answers, (summary, answers)
    profile = session["profile"]
    assert profile is not None and profile["complete"] is True and len(profile["subtests"]) == SUBTESTS, profile
    assert sum(s["items_administered"] for s in profile["subtests"]) == answers, profile
    rows = [r for r in await admin.results(room_id) if r["session_id"] == session_id]
    assert len(rows) == SUBTESTS and all(r["status"] == "finished" and r["complete"] for r in rows), rows
    return summary


def assert_no_traceback(server: ServerProcess) -> None:
    """The server's log holds no traceback (a store that cannot be reached is one warning line)."""
    text = server.log.read_text(errors="replace")
    assert "Traceback" not in text, f"{server.log}:\n{text[-6000:]}"


# --- the tests -----------------------------------------------------------------------------------------------------


def test_two_processes_share_a_cluster(
    private_cluster: LocalCluster, make_servers: Callable[..., list[ServerProcess]]
) -> None:
    prefix = "e2ec-" + secrets.token_hex(5)
    a, b = make_servers(2, redis_url=private_cluster.url, key_prefix=prefix)

    async def scenario() -> None:
        admin_a, admin_b = AdminApi(a.base_url, ADMIN_TOKEN), AdminApi(b.base_url, ADMIN_TOKEN)
        for admin in (admin_a, admin_b):
            health = await admin.healthz()
            assert health.status == 200, (health.status, health.body)
            assert health.json() == {"status": "ok", "store": "redis-cluster"}, health.body

        # A registration repeated with the same Idempotency-Key (a retry after a lost reply, here on the other
        # process): the same sessions and tokens, nothing registered twice.
        key = "reg-" + secrets.token_hex(8)
        room, cand = await new_room(admin_a, idempotency_key=key)
        room_id, session_id, token = room["room_id"], cand["session_id"], cand["token"]
        for admin in (admin_a, admin_b):
            again = await admin.register(room_id, [(cand["employee_id"], cand["name"])], idempotency_key=key)
            assert again == [cand], (again, cand)
        for admin in (admin_a, admin_b):
            listed = await admin.candidates(room_id)  # (tokens are shown once: in the registration's reply)
            assert [c["session_id"] for c in listed] == [session_id] and "token" not in listed[0], listed

        proctor = ProctorClient(b.ws_url, room["proctor_token"])
        snapshot = await proctor.connect()
        assert snapshot.type == "snapshot", snapshot.raw
        assert [s["session_id"] for s in snapshot["sessions"]] == [session_id], snapshot.raw

        sitter = Sitter([a, b], token, seed=11, switch_every=SWITCH_EVERY, budget_s=10.0)
        await sitter.start()
        await sitter.walk(lambda s: False)
        await sitter.close()
        check_walk(sitter)
        assert not sitter.trouble, "\n".join(sitter.trouble)
        assert sitter.hops >= len(sitter.acked) // SWITCH_EVERY - 1, (sitter.hops, len(sitter.acked))

        # The proctor on process B saw every answer (given through either process) once, in order.
        await proctor.wait_event(
            lambda e: e["session_id"] == session_id and e["event"]["type"] == "finished", timeout=10
        )
        answered = [(e["event"]["seq"], e["event"]["shown"]) for e in proctor.session_events(session_id, "answered")]
        assert answered == sitter.acked, (answered, sitter.acked)
        await proctor.disconnect()

        for admin in (admin_a, admin_b):
            kinds = check_audit(await admin.audit(session_id), sitter.acked)
            assert kinds["answer/duplicate"] == 0, kinds
            await check_result(admin, room_id, session_id, len(sitter.acked))
            health = await admin.healthz()
            assert health.status == 200, (health.status, health.body)

    run(scenario, 45)
    for server in (a, b):
        assert_no_traceback(server)

    # A single-node URL that names one node of the Cluster: most keys would be answered MOVED; unhealthy.
    node = private_cluster.nodes[0]
    (single,) = make_servers(1, start=False, redis_url=f"redis://127.0.0.1:{node.port}/0", key_prefix=prefix + "-1n")

    async def single_node() -> None:
        admin = AdminApi(single.base_url, ADMIN_TOKEN, timeout=5)
        deadline = time.monotonic() + 20
        while True:
            assert single.running, f"the server exited:\n{single.tail()}"
            try:
                health = await admin.healthz()
                break
            except OSError:  # not listening yet
                if time.monotonic() > deadline:
                    raise AssertionError(f"no /healthz answer within 20 s:\n{single.tail()}") from None
                await asyncio.sleep(0.1)
        assert health.status == 503, (health.status, health.body, single.tail())
        assert health.json()["status"] == "unavailable", health.body

    run(single_node, 25)
    assert_no_traceback(single)


def test_failover_mid_sitting_loses_nothing(
    own_cluster: LocalCluster, make_servers: Callable[..., list[ServerProcess]]
) -> None:
    cluster = own_cluster
    prefix = "e2ef-" + secrets.token_hex(5)
    a, b = make_servers(2, redis_url=cluster.url, key_prefix=prefix, env={"CAT_REDIS_WAIT_REPLICAS": "1"})
    servers = [a, b]

    async def scenario() -> None:
        admins = [AdminApi(s.base_url, ADMIN_TOKEN, timeout=5) for s in servers]
        room, cand = await new_room(admins[0])
        room_id, session_id = room["room_id"], cand["session_id"]
        dead = cluster.master_of_key(room_key(prefix, room_id))

        sitter = Sitter(servers, cand["token"], seed=23, switch_every=SWITCH_EVERY, budget_s=RECOVERY_BUDGET_S)
        await sitter.start()
        # about a third of the battery: the first subtest, and two answers into the second
        await sitter.walk(lambda s: s.current is not None and s.current["subtest"]["index"] == 1)
        await sitter.walk(lambda s: s.current is not None and s.current["progress"]["answered"] == 2)
        before_kill = len(sitter.acked)
        assert not sitter.trouble, "\n".join(sitter.trouble)

        # /healthz of both processes, polled from the kill on
        health: list[tuple[float, int, int]] = []  # (time asked, server index, status; 0 when no answer)
        polling = True

        async def probe(i: int) -> None:
            asked = time.monotonic()  # a probe counts at the moment it was sent (it may take a while to answer)
            try:
                status = (await admins[i].healthz()).status
            except OSError:
                status = 0
            health.append((asked, i, status))

        async def poll_health() -> None:
            while polling:
                await asyncio.gather(*(probe(i) for i in range(len(admins))))
                await asyncio.sleep(0.1)

        # SIGKILL of the master of the room; once its replica has taken over, the dead node stays down a little
        # longer, then comes back as a replica of the new master. Until then the new master has no replica, so with
        # CAT_REDIS_WAIT_REPLICAS=1 no answer may be acknowledged (one applied meanwhile is refused `unavailable`,
        # and its resend later is a duplicate).
        marks: dict[str, float] = {}

        def fail_over_and_rejoin() -> float:
            took = cluster.wait_failover(dead, timeout=30)
            marks["failed_over"] = time.monotonic()
            time.sleep(NO_REPLICA_S)
            marks["restarting"] = time.monotonic()
            cluster.restart(dead, timeout=30)
            marks["rejoined"] = time.monotonic()
            return took

        marks["kill"] = time.monotonic()
        await asyncio.to_thread(cluster.kill, dead)
        poller = asyncio.create_task(poll_health())
        operator = asyncio.create_task(asyncio.to_thread(fail_over_and_rejoin))

        await sitter.walk(lambda s: len(s.acked) >= before_kill + 4)
        await sitter.step(lose_reply=True)  # and a reply lost on top, once the room is served again
        await sitter.walk(lambda s: False)
        await sitter.close()
        took = await asyncio.wait_for(operator, 40)
        marks["done"] = time.monotonic()
        await asyncio.sleep(2.0)  # health must stay good after the node rejoined
        polling = False
        await asyncio.wait_for(poller, 15)

        check_walk(sitter)
        after_kill = len(sitter.acked) - before_kill
        assert after_kill > 0

        # While the room's master was down, and then while its new master had no replica, nothing was acknowledged.
        early = [t - marks["kill"] for t in sitter.acked_at if marks["kill"] < t < marks["restarting"]]
        timeline = {k: round(v - marks["kill"], 2) for k, v in marks.items()}
        assert not early, f"answers acknowledged {early} s after the kill, before a replica was back: {timeline}"

        # /healthz: 503 during the failover, 200 once it is over, and 200 after the node rejoined.
        during = [(t - marks["kill"], i, s) for t, i, s in health if t < marks["failed_over"]]
        assert any(s == 503 for _, _, s in during), f"/healthz never 503 during the failover: {during}, {timeline}"
        for i in range(len(servers)):
            late = [s for t, j, s in health if j == i and t > marks["rejoined"] + 0.5]
            assert late and all(s == 200 for s in late), f"server{i} /healthz after the rejoin: {late}"
            assert (await admins[i].healthz()).status == 200

        # The audit: every acknowledged answer applied exactly once, resends recorded as duplicates.
        for admin in admins:
            kinds = check_audit(await admin.audit(session_id), sitter.acked)
            assert kinds["answer/duplicate"] >= 1, f"the resend after the lost reply is not a duplicate: {kinds}"
            summary = await check_result(admin, room_id, session_id, len(sitter.acked))
            assert summary["answered_total"] == len(sitter.acked), summary

        # Store unavailability is logged as one warning line, never with a traceback.
        for server in servers:
            assert_no_traceback(server)

        print(  # shown with -s or on failure: what the failover looked like
            f"\ntimeline {timeline}; acks after the kill at "
            f"{[round(t - marks['kill'], 2) for t in sitter.acked_at if t > marks['kill']][:3]}...\n"
            f"failover {took:.2f} s; answers {before_kill} + {after_kill}; hops {sitter.hops}; "
            f"audit {dict(kinds)}; trouble {dict(sitter.trouble_codes)}; "
            f"health {dict(Counter(s for _, _, s in health))}\n" + "\n".join(sitter.trouble)
        )

    run(scenario, 75)
