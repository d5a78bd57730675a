"""No background task of a server process dies silently when a Redis Cluster master fails under it.

The requirement: the proctor event reader, the notification listener and the heartbeat either recover (the event
reader resumes from its last id) or close their connection so the client reconnects. Tested by killing a master
under each.

Two app servers A and B (``conftest.AppServer``: the real app under uvicorn in a thread) share a Redis Cluster of
this test's own (3 masters + 3 replicas, node timeout 1000 ms, no ``WAIT``). The room is picked so that one master
serves the room's keys (its event stream and its notification channel, one hash tag) and A's heartbeat key. Before
the kill a proctor on A streams the room's events (it has seen candidate X's first events), A's listener is
subscribed to the room's channel on that master (X's connection is on A), and A has beaten. That master is then
SIGKILLed; its replica, held back (SIGSTOP) for :data:`HOLD_S` so that the outage outlasts the store client's own
retries, takes over; the dead node comes back as a replica (the cluster is whole again). Then, at once:

1. the event reader: candidate Y says hello on B and answers its first item; the proctor on A gets that
   ``answered`` event on the same socket within :data:`RECOVERY_S`, with exactly the room's events after the last
   one it saw before the kill (nothing lost, nothing twice), or its socket was closed by the server and a
   reconnect with its last event id gets it. Open and silent fails;
2. the notification listener: X's token says hello on B; A's connection of X gets the error ``taken_over`` and is
   closed with 4002 within :data:`RECOVERY_S`. A lost notification is tolerated (docs/protocol.md), so up to
   :data:`TAKEOVER_ATTEMPTS` takeovers :data:`TAKEOVER_SPACING_S` apart (each by a new connection on B, the
   earlier ones kept open so that each takeover notifies), one must arrive;
3. the heartbeat: A's last beat advances past the moment the old master had rejoined within :data:`BEAT_BOUND_S`.

Nothing the server logs under ``cat_engine.server`` at WARNING or above carries a traceback (caplog).

Every wait is bounded; the scenario runs under ``asyncio.wait_for``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import AppServer, battery_dict, subtest_dict, write_battery
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from cat_engine.server.settings import Settings
from cat_engine.server.store import StoreUnavailable
from load_tests.cluster import ClusterNode, LocalCluster

ADMIN = "tasks-admin-" + secrets.token_hex(8)
BATTERY = "cluster-tasks"
RECOVERY_S = 10.0  # the proctor's event, or X's takeover, must arrive this long after its cause at the latest
TAKEOVER_ATTEMPTS = 3
TAKEOVER_SPACING_S = 2.0
BEAT_BOUND_S = 6.0  # a beat every 2 s: one must land after the rejoin within this
PRE_KILL_S = 5.0  # each check of the set-up before the kill
SCENARIO_TIMEOUT_S = 60.0  # the whole scenario: set-up, kill, failover, rejoin, checks
FRAME_S = 5.0  # a reply to a client frame
#: How long the dead master's replica is held back (SIGSTOP) after the kill: the slot then has no master for about
#: this plus the election (~1 s), longer than the store client retries a command (~2.2 s) and than a beat's interval
#: plus those retries, so the event reader, the listener and the heartbeat each see the store fail (without it a
#: failover of ~2.3 s may be ridden out by the client's retries alone, and a task that dies on its first error
#: could pass).
HOLD_S = 4.0

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only: never through a proxy


# --- fixtures ----------------------------------------------------------------------------------------------------


@pytest.fixture
def servers(own_cluster: LocalCluster, tmp_path: Path) -> Iterator[tuple[AppServer, AppServer, str]]:
    """Two app servers A and B on the cluster, one key prefix of their own: ``(A, B, prefix)``; stopped before the
    cluster is."""
    sub = subtest_dict("s1", max_items=20, min_items=20, se_target=None, time_limit_s=600)
    path = write_battery(tmp_path, battery_dict([sub], id=BATTERY))
    prefix = "tasks-" + secrets.token_hex(5)
    url = own_cluster.url
    settings = Settings(redis_url=url, admin_token=ADMIN, key_prefix=prefix, demo_room=False, batteries=(path,))
    started: list[AppServer] = []
    try:
        for _ in range(2):
            server = AppServer(settings)
            started.append(server)
            server.start()
        yield started[0], started[1], prefix
    finally:
        for started_server in started:
            started_server.stop()


# --- helpers -----------------------------------------------------------------------------------------------------


def post(server: AppServer, path: str, body: Any) -> Any:
    """A POST to the admin API with the admin token; its JSON reply (201 expected)."""
    request = urllib.request.Request(
        server.base_url + path,
        data=orjson.dumps(body),
        method="POST",
        headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"},
    )
    with _OPENER.open(request, timeout=10) as reply:
        assert reply.status == 201, reply.status
        return orjson.loads(reply.read())


def room_key(prefix: str, room_id: str) -> str:
    return f"{prefix}:{{{room_id}}}:room"


def room_on_the_beat_master(
    cluster: LocalCluster, server: AppServer, prefix: str
) -> tuple[dict[str, Any], ClusterNode]:
    """A new room whose master also serves ``server``'s heartbeat key (``P:proc:<id>``); the room and that master.

    Room ids are random: a third of them land there, so a few rooms are created until one does."""
    beat_master = cluster.master_of_key(f"{prefix}:proc:{server.hub.process_id}")
    for _ in range(40):
        body = {"name": "Ruang klaster", "battery": BATTERY, "open": True}
        room: dict[str, Any] = post(server, "/api/rooms", body)
        if cluster.master_of_key(room_key(prefix, room["room_id"])) is beat_master:
            return room, beat_master
    raise AssertionError(f"no room of 40 on the master of the heartbeat key ({beat_master})")


async def say(ws: ClientConnection, frame: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(frame).decode())


async def recv(ws: ClientConnection, timeout: float = FRAME_S) -> dict[str, Any]:
    """The next frame (TimeoutError after ``timeout``; ConnectionClosed once the socket is closed)."""
    frame = orjson.loads(await asyncio.wait_for(ws.recv(), max(timeout, 0.0)))
    assert isinstance(frame, dict), frame
    return frame


def close_code(ws: ClientConnection, exc: ConnectionClosed | None = None) -> int | None:
    if exc is not None and exc.rcvd is not None:
        return exc.rcvd.code
    return ws.close_code


def is_answered(frame: dict[str, Any], session_id: str, seq: int) -> bool:
    return (
        frame.get("type") == "event"
        and frame.get("session_id") == session_id
        and frame["event"]["type"] == "answered"
        and frame["event"]["seq"] == seq
    )


def show(frames: list[dict[str, Any]]) -> list[str]:
    """Frames in short: ``event <id> <session> <type>``, ``error <code>``, or the type."""
    out = []
    for f in frames:
        if f.get("type") == "event":
            out.append(f"event {f['id']} {f['session_id']} {f['event']['type']}")
        elif f.get("type") == "error":
            out.append(f"error {f.get('code')}")
        else:
            out.append(str(f.get("type")))
    return out


def event_key(event_id: str) -> tuple[int, int]:
    ms, _, n = event_id.partition("-")
    return int(ms), int(n)


async def candidate_hello(server: AppServer, token: str, budget_s: float = 8.0) -> tuple[ClientConnection, int]:
    """A candidate connection to ``server`` that said hello (and ``start`` after the welcome and after the first
    subtest's intro when the session had not started, docs/protocol.md Flow); it and the seq of the item presented.

    ``unavailable`` (the store not ready yet) is retried, as a client does, within ``budget_s``."""
    deadline = time.monotonic() + budget_s
    refused: list[str] = []
    while True:
        ws = await connect(f"{server.ws_url}/ws/candidate", open_timeout=FRAME_S)
        sent: dict[str, Any] = {"type": "hello", "token": token}
        while True:
            await say(ws, sent)
            try:
                frame = await recv(ws)
            except ConnectionClosed as exc:
                frame = {"type": "closed", "code": close_code(ws, exc)}
            except TimeoutError:
                await ws.close()
                raise AssertionError(
                    f"{sent['type']} on {server.base_url}: no reply within {FRAME_S} s; before: {refused}"
                ) from None
            if frame.get("type") == "welcome":
                sent = {"type": "start"}
            elif frame.get("type") == "subtest_intro":
                sent = {"type": "start", "subtest": frame["subtest"]["index"]}
            else:
                break
        if frame.get("type") == "item":
            return ws, int(frame["seq"])
        await ws.close()
        refused.append(repr(frame)[:300])
        if frame.get("code") not in ("unavailable", 1013) or time.monotonic() > deadline:
            raise AssertionError(f"hello on {server.base_url}: {refused}")
        await asyncio.sleep(0.5)


# --- the checks after the rejoin ---------------------------------------------------------------------------------


async def events_after(server: AppServer, proctor_token: str, after: str, until: str) -> list[str]:
    """The ids of the room's events after ``after`` up to ``until``, as a proctor resuming from ``after`` on
    ``server`` gets them."""
    async with connect(f"{server.ws_url}/ws/proctor", open_timeout=FRAME_S) as ws:
        await say(ws, {"type": "hello", "token": proctor_token, "last_event_id": after})
        snapshot = await recv(ws)
        assert snapshot.get("type") == "snapshot", snapshot
        ids: list[str] = []
        while not ids or event_key(ids[-1]) < event_key(until):
            frame = await recv(ws)
            if frame.get("type") == "event":
                ids.append(frame["id"])
        return ids


async def event_reader_recovers(
    a: AppServer,
    b: AppServer,
    proctor: ClientConnection,
    proctor_token: str,
    before_kill: str,
    y_token: str,
    y_session: str,
) -> str:
    """Check 1: Y answers on B; the proctor on A gets that ``answered`` event (see the module docstring).

    ``before_kill`` is the id of the last event the proctor got before the kill."""
    y, seq = await candidate_hello(b, y_token)
    try:
        await say(y, {"type": "answer", "seq": seq, "response": 0})
        reply = await recv(y)
        assert reply.get("type") == "item" and reply.get("seq") == seq + 1, f"Y's answer on B: {reply}"
    finally:
        await y.close()
    answered_at = time.monotonic()
    deadline = answered_at + RECOVERY_S
    seen: list[dict[str, Any]] = []  # frames on the proctor's socket since the kill
    last_id = before_kill
    while True:
        try:
            frame = await recv(proctor, deadline - time.monotonic())
        except TimeoutError:
            raise AssertionError(
                f"event reader: the proctor on A got no `answered` of {y_session} seq {seq} within {RECOVERY_S} s "
                f"of the answer, its socket still open; frames since the kill: {show(seen)}"
            ) from None
        except ConnectionClosed as exc:  # closed by the server: allowed, the console reconnects with its last id
            code = close_code(proctor, exc)
            closed = f"closed by the server (code {code}) after {show(seen)}"
            async with connect(f"{a.ws_url}/ws/proctor", open_timeout=FRAME_S) as again:
                await say(again, {"type": "hello", "token": proctor_token, "last_event_id": last_id})
                snapshot = await recv(again)
                assert snapshot.get("type") == "snapshot", f"{closed}; the reconnect got {snapshot}"
                while True:
                    try:
                        frame = await recv(again, deadline - time.monotonic())
                    except TimeoutError:
                        raise AssertionError(
                            f"event reader: {closed}; the reconnect with last_event_id {last_id} got no `answered` "
                            f"of {y_session} seq {seq} within {RECOVERY_S} s of the answer"
                        ) from None
                    if is_answered(frame, y_session, seq):
                        return f"{closed}; the reconnect got the event {time.monotonic() - answered_at:.2f} s after"
        seen.append(frame)
        if frame.get("type") == "event":
            assert event_key(frame["id"]) > event_key(last_id), f"event ids going back: {show(seen)} after {last_id}"
            last_id = frame["id"]
        if is_answered(frame, y_session, seq):
            took = time.monotonic() - answered_at
            break
    # resumed from its last id: exactly the room's events after the last one it got before the kill
    got = [f["id"] for f in seen if f.get("type") == "event"]
    stream = await events_after(b, proctor_token, before_kill, last_id)
    assert got == stream, (
        f"event reader: the proctor on A got {show(seen)}; the room's events after {before_kill}: {stream}"
    )
    return f"the same socket, {took:.2f} s after the answer ({len(got)} events since the kill, none lost or twice)"


async def taken_over_by(x: ClientConnection, until: float, seen: list[dict[str, Any]]) -> bool:
    """Whether A's connection of X gets ``taken_over`` before ``until`` (monotonic); once it has, it must be closed
    with 4002 before ``until`` too. Anything else that ends the socket fails."""
    while True:
        try:
            frame = await recv(x, until - time.monotonic())
        except TimeoutError:
            return False
        except ConnectionClosed as exc:
            raise AssertionError(
                f"listener: A's connection of X closed (code {close_code(x, exc)}) without `taken_over`; "
                f"frames: {show(seen)}"
            ) from None
        seen.append(frame)
        if frame.get("type") == "error" and frame.get("code") == "taken_over":
            break
    try:
        frame = await recv(x, until - time.monotonic())
    except TimeoutError:
        raise AssertionError(
            f"listener: A's connection of X got `taken_over` but is still open; {show(seen)}"
        ) from None
    except ConnectionClosed as exc:
        code = close_code(x, exc)
        assert code == 4002, f"listener: A's connection of X closed with {code} after {show(seen)}"
        return True
    raise AssertionError(f"listener: a frame after `taken_over`: {show([*seen, frame])}")


async def listener_recovers(b: AppServer, x: ClientConnection, x_token: str) -> str:
    """Check 2: X's token says hello on B, up to :data:`TAKEOVER_ATTEMPTS` times; A's connection of X is taken over."""
    began = time.monotonic()
    deadline = began + RECOVERY_S
    seen: list[dict[str, Any]] = []  # frames on A's connection of X since the kill
    on_b: list[ClientConnection] = []  # kept open: a takeover of an open connection is notified
    try:
        for attempt in range(1, TAKEOVER_ATTEMPTS + 1):
            ws, _ = await candidate_hello(b, x_token, budget_s=max(deadline - time.monotonic(), 0.5))
            on_b.append(ws)
            said_at = time.monotonic()
            until = deadline if attempt == TAKEOVER_ATTEMPTS else min(said_at + TAKEOVER_SPACING_S, deadline)
            if await taken_over_by(x, until, seen):
                return f"taken over at attempt {attempt}, {time.monotonic() - said_at:.2f} s after its hello"
        raise AssertionError(
            f"listener: A's connection of X heard none of {TAKEOVER_ATTEMPTS} takeovers on B within "
            f"{time.monotonic() - began:.1f} s, its socket still open; frames: {show(seen)}"
        )
    finally:
        for ws in on_b:
            await ws.close()


async def heartbeat_recovers(a: AppServer, rejoined_ms: int) -> str:
    """Check 3: A's last beat is later than ``rejoined_ms`` (epoch ms) within :data:`BEAT_BOUND_S`."""
    began = time.monotonic()
    errors: list[str] = []
    beat: int | None = None
    while True:
        try:
            beat = await asyncio.to_thread(a.call, a.hub.store.last_beat(a.hub.process_id), 5.0)
        except (StoreUnavailable, TimeoutError) as exc:  # the reading, not the beating: noted, asked again
            errors.append(f"{type(exc).__name__}: {exc}")
        if beat is not None and beat > rejoined_ms:
            late = (beat - rejoined_ms) / 1000
            return f"a beat {late:.2f} s after the rejoin, read {time.monotonic() - began:.2f} s after it"
        if time.monotonic() - began > BEAT_BOUND_S:
            raise AssertionError(
                f"heartbeat: A's last beat {beat} is not after the rejoin ({rejoined_ms}) within {BEAT_BOUND_S} s; "
                f"errors reading it: {errors}"
            )
        await asyncio.sleep(0.2)


# --- the test ----------------------------------------------------------------------------------------------------


def kill_and_hold(cluster: LocalCluster, dead: ClusterNode, replica: ClusterNode) -> None:
    """SIGKILL ``dead`` and keep its replica stopped (SIGSTOP) for :data:`HOLD_S`, so that the room's slot has no
    master for longer than the store client's own retries last: each task then sees the store fail."""
    cluster.kill(dead)
    pid = replica.pid
    assert pid is not None, f"{replica} does not run"
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(HOLD_S)
    finally:
        os.kill(pid, signal.SIGCONT)


async def kill_under_every_task(cluster: LocalCluster, a: AppServer, b: AppServer, prefix: str) -> list[str]:
    """The scenario of the module docstring; what each check found (AssertionError naming every failed one)."""
    room, dead = await asyncio.to_thread(room_on_the_beat_master, cluster, a, prefix)
    room_id, proctor_token = room["room_id"], room["proctor_token"]
    people = [{"employee_id": "X-1", "name": "Peserta X"}, {"employee_id": "Y-1", "name": "Peserta Y"}]
    registered = await asyncio.to_thread(post, a, f"/api/rooms/{room_id}/candidates", {"candidates": people})
    x_cand, y_cand = registered["candidates"]
    notes = [f"room {room_id} and A's heartbeat key on {dead.addr}"]

    async with connect(f"{a.ws_url}/ws/proctor", open_timeout=FRAME_S) as proctor:
        # the event reader: a proctor on A streams the room's events (X's first ones)
        await say(proctor, {"type": "hello", "token": proctor_token})
        snapshot = await recv(proctor)
        assert snapshot.get("type") == "snapshot", snapshot
        x, _ = await candidate_hello(a, x_cand["token"])
        try:
            before: list[dict[str, Any]] = []
            while not any(
                f.get("session_id") == x_cand["session_id"] and f["event"]["type"] == "item_presented"
                for f in before
                if f.get("type") == "event"
            ):
                before.append(await recv(proctor, PRE_KILL_S))
            before_kill = [f["id"] for f in before if f.get("type") == "event"][-1]

            # the listener: A is subscribed to the room's channel on its master (X's connection follows the room)
            channel = f"{prefix}:{{{room_id}}}:notify"
            deadline = time.monotonic() + PRE_KILL_S
            while int((await asyncio.to_thread(dead.command, "PUBSUB", "SHARDNUMSUB", channel))[1]) < 1:
                assert time.monotonic() < deadline, f"A never subscribed to {channel} on {dead.addr}"
                await asyncio.sleep(0.05)

            # the heartbeat: A has beaten
            assert await asyncio.to_thread(a.call, a.hub.store.last_beat(a.hub.process_id)) is not None

            # the master under all three goes; its replica takes over (held back a little); it comes back as a
            # replica
            replica = await asyncio.to_thread(cluster.replica_of, dead)
            killed_at = time.monotonic()
            await asyncio.to_thread(kill_and_hold, cluster, dead, replica)
            took = await asyncio.to_thread(cluster.wait_failover, dead, 20.0)
            await asyncio.to_thread(cluster.restart, dead, 30.0)
            rejoined_ms = int(time.time() * 1000)
            notes.append(f"failover {took:.2f} s, rejoined {time.monotonic() - killed_at:.2f} s after the kill")

            results = await asyncio.gather(
                event_reader_recovers(a, b, proctor, proctor_token, before_kill, y_cand["token"], y_cand["session_id"]),
                listener_recovers(b, x, x_cand["token"]),
                heartbeat_recovers(a, rejoined_ms),
                return_exceptions=True,
            )
        finally:
            await x.close()

    failed = []
    for name, result in zip(("event reader", "listener", "heartbeat"), results, strict=True):
        if isinstance(result, BaseException):
            failed.append(f"{name}: {result!r}" if not isinstance(result, AssertionError) else str(result))
        else:
            notes.append(f"{name}: {result}")
    if failed:
        raise AssertionError("\n".join([*failed, *notes]))
    return notes


def test_a_master_killed_under_the_event_reader_the_listener_and_the_heartbeat(
    own_cluster: LocalCluster, servers: tuple[AppServer, AppServer, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="cat_engine.server")
    a, b, prefix = servers
    notes = asyncio.run(asyncio.wait_for(kill_under_every_task(own_cluster, a, b, prefix), SCENARIO_TIMEOUT_S))

    logged = [r for r in caplog.records if r.name == "cat_engine.server" or r.name.startswith("cat_engine.server.")]
    warnings = [f"{r.name} {r.levelname}: {r.getMessage()}" for r in logged]
    print("\n" + "\n".join([*notes, f"cat_engine.server logged {len(logged)} warnings+:", *warnings]))
    formatter = logging.Formatter("%(name)s %(levelname)s: %(message)s")
    tracebacks = [formatter.format(r) for r in logged if r.exc_info]
    assert not tracebacks, "the server logged tracebacks:\n" + "\n\n".join(tracebacks)
