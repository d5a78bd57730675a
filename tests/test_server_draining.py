"""cat_engine.server.draining: the drain of a process's connections, and its hook in front of uvicorn's SIGTERM.

The drain runs against the real app (uvicorn in a thread, memory and Redis stores) with a candidate's answer held in
the store's commit: the candidate gets its reply, then ``restarting`` and close 1012; a proctor and a ``hello`` that
comes during the drain get ``restarting`` and 1012 at once; the answer is applied once. The SIGTERM hook is tested
with a uvicorn server object in the main thread (the whole process under a real SIGTERM is
tests/test_deploy_rolling_restart.py's).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import uvicorn
from conftest import AppServer, battery_dict, subtest_dict, write_battery
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from cat_engine.server import rooms
from cat_engine.server.draining import Drain, hook_sigterm
from cat_engine.server.settings import Settings
from load_tests.procs import RedisServer

ADMIN = "t"


def run(factory: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(factory(), timeout)

    return asyncio.run(bounded())


@pytest.fixture(scope="module")
def battery_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sub = subtest_dict("s1", max_items=3, min_items=3, se_target=None, time_limit_s=600)
    return write_battery(tmp_path_factory.mktemp("battery"), battery_dict([sub], id="drain"))


@pytest.fixture(params=["memory", "redis"])
def srv(
    request: pytest.FixtureRequest, app_server: Callable[..., AppServer], battery_path: Path
) -> Iterator[AppServer]:
    """A server of the test's own: once drained, it stays draining."""
    common: dict[str, Any] = {"batteries": (battery_path,), "admin_token": ADMIN, "demo_room": False}
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("private_redis")
        settings = Settings(redis_url=redis.url, key_prefix=f"t-drain-{secrets.token_hex(4)}", **common)
    else:
        settings = Settings(**common)
    server = app_server(settings)
    assert server.hub.store.kind == request.param
    yield server
    server.stop()


class HeldCommit:
    """The store's next commit waits (off the loop, bounded) until the test releases it."""

    def __init__(self, store: Any) -> None:
        self.original = store.commit
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()

    async def commit(self, *args: Any, **kwargs: Any) -> Any:
        if self.armed:
            self.armed = False
            self.entered.set()
            await asyncio.to_thread(self.release.wait, 20)
        return await self.original(*args, **kwargs)


def ws(srv: AppServer, endpoint: str) -> Any:
    return connect(f"{srv.ws_url}/ws/{endpoint}", proxy=None, open_timeout=5, close_timeout=2, max_size=None)


async def recv(conn: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    data = orjson.loads(await asyncio.wait_for(conn.recv(), timeout))
    assert isinstance(data, dict)
    return data


async def send(conn: ClientConnection, frame: dict[str, Any]) -> None:
    await conn.send(orjson.dumps(frame).decode())


async def restarted(conn: ClientConnection, skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Frames until ``restarting`` (those of a type in ``skip`` left out), then the close, which must be 1012."""
    seen: list[dict[str, Any]] = []
    while True:
        frame = await recv(conn)
        if frame.get("type") in skip:
            continue
        seen.append(frame)
        if frame.get("code") == "restarting":
            break
    assert set(seen[-1]) == {"type", "code", "message"} and seen[-1]["type"] == "error", seen
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(conn.recv(), 10)
    assert conn.close_code == 1012, conn.close_code
    return seen


async def until(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.01)


def test_the_drain_lets_the_answer_under_way_finish_then_closes_everyone_with_1012(
    srv: AppServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = srv.hub
    room = srv.call(rooms.create_room(hub.tx, "Ruang", "drain", is_open=True))
    cands = srv.call(
        rooms.register(hub.tx, room["room_id"], [{"employee_id": f"E{i}", "name": f"P {i}"} for i in "12"])
    )
    held = HeldCommit(hub.store)
    monkeypatch.setattr(hub.store, "commit", held.commit)

    async def go() -> None:
        async with ws(srv, "candidate") as cand, ws(srv, "proctor") as proctor:
            await send(cand, {"type": "hello", "token": cands[0]["token"]})
            assert (await recv(cand))["type"] == "welcome"
            await send(cand, {"type": "start"})
            intro = await recv(cand)
            assert (intro["type"], intro["subtest"]["index"]) == ("subtest_intro", 0), intro
            await send(cand, {"type": "start", "subtest": 0})
            first = await recv(cand)
            assert first["type"] == "item" and first["seq"] == 1, first
            await send(proctor, {"type": "hello", "token": room["proctor_token"]})
            assert (await recv(proctor))["type"] == "snapshot"
            assert len(hub.drain) == 2

            held.armed = True
            await send(cand, {"type": "answer", "seq": 1, "response": 0})
            assert await asyncio.to_thread(held.entered.wait, 10), "the answer never reached the commit"
            drained = asyncio.run_coroutine_threadsafe(hub.drain.run(15), srv.loop)
            await until(lambda: hub.drain.draining, "the drain started")

            # the proctor has no move under way: closed at once (events of the answer may come first)
            await restarted(proctor, skip=("event", "events"))
            # a hello during the drain is not handled: restarting, 1012
            async with ws(srv, "candidate") as late:
                with contextlib.suppress(ConnectionClosed):  # it may be closed before the hello is out
                    await send(late, {"type": "hello", "token": cands[1]["token"]})
                assert [f["type"] for f in await restarted(late)] == ["error"]
            assert not drained.done()  # still waiting for the candidate's move

            held.release.set()
            frames = await restarted(cand)
            assert [(f["type"], f.get("seq")) for f in frames] == [("item", 2), ("error", None)], frames
            assert await asyncio.wrap_future(drained) is True
            assert len(hub.drain) == 0

    run(go)
    audit = [orjson.loads(raw) for _, raw in srv.call(hub.store.audit(cands[0]["session_id"]))]
    answers = [e for e in audit if e.get("kind") == "answer"]
    assert [(e["seq"], e["response"], "item_id" in e) for e in answers] == [(1, 0, True)], answers
    # the second candidate's session never started: its hello was not handled
    assert srv.call(hub.store.audit(cands[1]["session_id"])) == []


# --- Drain alone ------------------------------------------------------------------------------------------------


class _Conn:
    def __init__(self, drain: Drain, log: list[str], name: str, stuck: bool = False) -> None:
        self.drain, self.log, self.name, self.stuck = drain, log, name, stuck

    async def restart(self) -> None:
        self.log.append(f"restart {self.name}")
        if self.stuck:
            await asyncio.sleep(3600)
        self.drain.discard(self)


def test_a_drain_without_connections_ends_at_once() -> None:
    async def go() -> None:
        drain = Drain()
        assert not drain.draining
        assert await drain.run(1.0) is True
        assert drain.draining

    run(go)


def test_a_connection_that_never_ends_bounds_the_drain_and_the_others_still_close() -> None:
    async def go() -> None:
        drain, log = Drain(), list[str]()
        conns = [_Conn(drain, log, "a"), _Conn(drain, log, "b", stuck=True), _Conn(drain, log, "c")]
        for conn in conns:
            drain.add(conn)
        assert await drain.run(0.3) is False
        assert sorted(log) == ["restart a", "restart b", "restart c"]
        assert len(drain) == 1

    run(go)


# --- the SIGTERM hook -------------------------------------------------------------------------------------------


class _Listener:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def close(self) -> None:
        self.log.append("stop listening")


@pytest.fixture
def sigterm_restored() -> Iterator[None]:
    before = signal.getsignal(signal.SIGTERM)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _uvicorn_server() -> uvicorn.Server:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise NotImplementedError

    return uvicorn.Server(uvicorn.Config(app, timeout_graceful_shutdown=2))


def test_sigterm_stops_listening_drains_then_lets_uvicorn_exit_without_its_signal(sigterm_restored: None) -> None:
    server = _uvicorn_server()
    signal.signal(signal.SIGTERM, server.handle_exit)  # what uvicorn's serve() does in the main thread

    async def go() -> None:
        drain, log = Drain(), list[str]()
        server.servers = [_Listener(log)]  # type: ignore[list-item]
        drain.add(_Conn(drain, log, "a"))
        unhook = hook_sigterm(drain)
        assert unhook is not None
        signal.raise_signal(signal.SIGTERM)
        assert drain.draining and not server.should_exit  # the drain runs first
        await until(lambda: server.should_exit, "uvicorn told to exit")
        assert log == ["stop listening", "restart a"]
        # no signal for uvicorn to raise again at its end: the process exits with status 0
        assert server._captured_signals == []
        signal.raise_signal(signal.SIGTERM)  # uvicorn is stopping now: the next SIGTERM is its own
        assert server._captured_signals == [signal.SIGTERM]
        unhook()
        assert signal.getsignal(signal.SIGTERM) == server.handle_exit

    run(go)


def test_more_sigterms_during_the_drain_change_nothing(sigterm_restored: None) -> None:
    server = _uvicorn_server()
    signal.signal(signal.SIGTERM, server.handle_exit)

    async def go() -> None:
        drain, log = Drain(), list[str]()
        server.servers = []
        drain.add(_Conn(drain, log, "a", stuck=True))
        assert hook_sigterm(drain) is not None
        for _ in range(3):  # the supervisor's, and systemd's to the whole group
            signal.raise_signal(signal.SIGTERM)
        await asyncio.sleep(0.2)
        assert log == ["restart a"] and not server.should_exit and server._captured_signals == []
        await until(lambda: server.should_exit, "uvicorn told to exit once the drain's time is up")
        assert server._captured_signals == []

    run(go)


def test_no_hook_without_a_uvicorn_handler_or_off_the_main_thread(sigterm_restored: None) -> None:
    def mine(sig: int, frame: object) -> None:
        raise AssertionError("not expected to run")

    signal.signal(signal.SIGTERM, mine)

    async def go() -> None:
        assert hook_sigterm(Drain()) is None
        assert signal.getsignal(signal.SIGTERM) is mine
        signal.signal(signal.SIGTERM, _uvicorn_server().handle_exit)
        found: list[object] = []
        thread = threading.Thread(target=lambda: found.append(asyncio.run(_hook_in_a_thread())))
        thread.start()
        thread.join(10)
        assert found == [None]

    async def _hook_in_a_thread() -> object:
        return hook_sigterm(Drain())

    run(go)
