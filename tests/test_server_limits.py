"""cat_engine.server.limits: the token buckets and connection counts (a fake clock), then each limit against the
real app (uvicorn in a thread) over the memory and Redis stores: failed hellos per client address, open connections
per candidate and proctor token, a proctor's details and commands per token.

The app's limits read :attr:`Limits.clock`; each socket test gives the process fresh limits on a fake clock, so no
test waits for a bucket to refill and none depends on how fast the machine is.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import secrets
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from conftest import AppServer, battery_dict, subtest_dict, write_battery
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from cat_engine.server import rooms
from cat_engine.server.auth import normalise_proctor_token
from cat_engine.server.limits import ConnectionCounts, KeyedBuckets, Limits, TokenBucket, address_key
from cat_engine.server.settings import Settings
from cat_engine.server.wire_errors import Refusal
from load_tests.procs import RedisServer

# --- TokenBucket -----------------------------------------------------------------------------------------------


def test_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(burst=3, rate=2.0, now=0.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.take(0.4)  # 0.8 token refilled: not yet a whole one
    assert bucket.take(0.5)  # 1.0 token
    assert not bucket.take(0.5)


def test_bucket_never_holds_more_than_the_burst() -> None:
    bucket = TokenBucket(burst=2, rate=100.0, now=0.0)
    assert [bucket.take(1000.0) for _ in range(3)] == [True, True, False]


# --- KeyedBuckets ----------------------------------------------------------------------------------------------


def test_keyed_buckets_give_a_burst_per_key_then_say_when_one_token_is_back() -> None:
    buckets = KeyedBuckets(burst=3, rate=4.0, max_keys=100)
    assert [buckets.take("a", 10.0) for _ in range(3)] == [None, None, None]
    assert buckets.wait_ms("a", 10.0) == 250  # one token at 4 per second
    assert buckets.take("a", 10.0) == 250  # refused: nothing taken
    assert buckets.wait_ms("a", 10.125) == 125
    assert buckets.take("b", 10.0) is None  # another key has its own bucket
    assert buckets.wait_ms("b", 10.0) is None
    assert buckets.take("a", 10.25) is None  # exactly one token back
    assert buckets.wait_ms("a", 10.25) == 250
    assert buckets.wait_ms("a", 10.2500001) == 250  # rounded up, never 0 while empty
    assert buckets.tokens("a", 1000.0) == 3.0  # refills up to the burst, no further


def test_a_token_given_back_is_as_if_never_taken() -> None:
    buckets = KeyedBuckets(burst=2, rate=1.0, max_keys=10)
    buckets.take("a", 0.0)
    buckets.take("a", 0.0)
    assert buckets.take("a", 0.0) == 1000  # both held by hellos under way
    buckets.give("a", 0.0)  # one of them succeeded
    assert buckets.tokens("a", 0.0) == 1.0
    buckets.give("a", 0.5)  # the other too: full again, and forgotten
    assert len(buckets) == 0 and buckets.tokens("a", 0.5) == 2.0
    buckets.give("b", 0.0)  # nothing taken from b: it stays full
    assert len(buckets) == 0


def test_keyed_buckets_drop_refilled_buckets_and_keep_at_most_max_keys() -> None:
    buckets = KeyedBuckets(burst=2, rate=1.0, max_keys=3)
    buckets.take("a", 0.0)
    buckets.take("b", 0.5)
    assert len(buckets) == 2
    buckets.take("c", 1.2)  # a is full again (1 token + 1.2 s x 1/s): dropped, b is not
    assert len(buckets) == 2 and buckets.tokens("b", 1.2) == pytest.approx(1.7)
    for key in ("d", "e", "f", "g"):
        buckets.take(key, 1.3)
        buckets.take(key, 1.3)
    assert len(buckets) == 3  # capped: the oldest were dropped
    assert buckets.tokens("b", 1.3) == 2.0 and buckets.tokens("c", 1.3) == 2.0  # forgotten: full again
    assert buckets.wait_ms("g", 1.3) == 1000  # the newest are kept
    # many keys, each used once: the table never grows past its cap
    many = KeyedBuckets(burst=200, rate=20.0, max_keys=1000)
    for n in range(5000):
        many.take(f"10.0.{n // 256}.{n % 256}", n * 0.001)
        assert len(many) <= 1000


def _hellos_refused(times: list[tuple[float, bool]], settings: Settings) -> int:
    """Replay hellos ``(time, failed)`` from one address through the process's limit; how many were refused."""
    buckets = Limits.of(settings).hello_failures
    refused = 0
    for at, failed in sorted(times):  # as Connection.authenticate: take one, give it back unless the hello failed
        if buckets.take("198.51.100.7", at) is not None:
            refused += 1
        elif not failed:
            buckets.give("198.51.100.7", at)
    return refused


def _lab(seats: int, mistakes: int, spread_s: float, seed: int) -> list[tuple[float, bool]]:
    """``seats`` candidates whose ``seats * mistakes`` mistyped tokens fall at random moments within ``spread_s``;
    each types it right after its last mistake."""
    rng = np.random.default_rng(seed)
    failures = np.sort(rng.uniform(0.0, spread_s, (seats, mistakes)), axis=1)
    return [(float(t), True) for t in failures.ravel()] + [(float(row[-1]) + 1.0, False) for row in failures]


@pytest.mark.parametrize("spread_s", [60.0, 90.0, 120.0])
@pytest.mark.parametrize("seed", range(5))
def test_a_lab_of_400_seats_behind_one_address_each_mistyping_three_times_is_never_refused(
    spread_s: float, seed: int
) -> None:
    settings = Settings()  # the defaults: 200 failed hellos at once, then 20 per second
    assert (settings.hello_fail_burst, settings.hello_fail_rate) == (200, 20.0)
    assert _hellos_refused(_lab(400, 3, spread_s, seed), settings) == 0


def test_a_lab_starting_together_and_retyping_is_never_refused() -> None:
    # every seat starts within the first minute; each mistake takes 5 to 15 s to notice and retype
    rng = np.random.default_rng(7)
    times: list[tuple[float, bool]] = []
    for start in rng.uniform(0.0, 60.0, 400):
        at = float(start)
        for _ in range(3):
            times.append((at, True))
            at += float(rng.uniform(5.0, 15.0))
        times.append((at, False))
    assert _hellos_refused(times, Settings()) == 0


def test_the_same_failures_packed_into_a_short_time_are_refused() -> None:
    # what the numbers do not allow: 1,200 failed hellos within 30 s from one address (about 200 + 30 x 20 pass)
    assert _hellos_refused(_lab(400, 3, 30.0, 0), Settings()) > 0
    assert _hellos_refused([(0.0, True)] * 201, Settings()) == 1  # the 201st at the same moment


# --- ConnectionCounts and address_key --------------------------------------------------------------------------


def test_connection_counts_refuse_beyond_the_limit_and_forget_keys_without_connections() -> None:
    counts = ConnectionCounts(limit=2)
    counts.acquire("T")
    counts.acquire("T")
    counts.acquire("U")
    with pytest.raises(Refusal) as info:
        counts.acquire("T")
    assert (info.value.code, info.value.close) == ("too_many_connections", 4009)
    assert counts.count("T") == 2
    counts.release("T")
    counts.acquire("T")
    for key in ("T", "T", "U"):
        counts.release(key)
    assert len(counts) == 0 and counts.count("T") == 0


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        (None, ""),
        ("testclient", "testclient"),
    ],
)
def test_address_key(host: str | None, key: str) -> None:
    assert address_key(host) == key


# --- against the app -------------------------------------------------------------------------------------------

ADMIN = "t"
ITEMS = 3
FAIL_BURST, FAIL_RATE = 5, 2.0
PROCTOR_BURST, PROCTOR_RATE = 3, 1.0
HELLO_BURST, HELLO_RATE = 12, 2.0  # (a test reloads five times: ten hellos with one token)
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def battery_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sub = subtest_dict("s1", max_items=ITEMS, min_items=ITEMS, se_target=None, time_limit_s=600)
    return write_battery(tmp_path_factory.mktemp("battery"), battery_dict([sub], id="limits"))


@pytest.fixture(scope="module", params=["memory", "redis"])
def srv(
    request: pytest.FixtureRequest, app_server: Callable[..., AppServer], battery_path: Path
) -> Iterator[AppServer]:
    limits: dict[str, Any] = {
        "batteries": (battery_path,),
        "hello_fail_burst": FAIL_BURST,
        "hello_fail_rate": FAIL_RATE,
        "hello_token_burst": HELLO_BURST,
        "hello_token_rate": HELLO_RATE,
        "proctor_burst": PROCTOR_BURST,
        "proctor_rate": PROCTOR_RATE,
        "max_session_connections": 2,
        "max_proctor_connections": 4,
    }
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("private_redis")
        prefix = f"t-limits-{secrets.token_hex(4)}"
        settings = Settings(redis_url=redis.url, key_prefix=prefix, admin_token=ADMIN, demo_room=False, **limits)
    else:
        settings = Settings(admin_token=ADMIN, demo_room=False, **limits)
    server = app_server(settings)
    assert server.hub.store.kind == request.param
    yield server
    server.stop()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fresh_limits(srv: AppServer) -> FakeClock:
    """Give the process new limits (empty tables) on a fake clock; returns the clock."""
    clock = FakeClock()

    async def swap() -> None:
        srv.hub.limits = Limits.of(srv.hub.settings)
        srv.hub.limits.clock = clock

    srv.call(swap())
    return clock


class StoreSpy:
    """Counts every call of the app's store (its public coroutine methods), from :meth:`__enter__` to exit."""

    def __init__(self, srv: AppServer) -> None:
        self.store = srv.hub.store
        self.calls: Counter[str] = Counter()
        self._wrapped: list[str] = []
        self._patched = dict(vars(self.store))

    def _wrap(self, name: str, method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return await method(*args, **kwargs)

        return counted

    def __enter__(self) -> StoreSpy:
        for name, method in inspect.getmembers(self.store, inspect.iscoroutinefunction):
            if not name.startswith("_"):
                setattr(self.store, name, self._wrap(name, method))
                self._wrapped.append(name)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self._wrapped:  # back to what it was: the class's method, or a test's own patch
            if name in self._patched:
                setattr(self.store, name, self._patched[name])
            else:
                delattr(self.store, name)

    @property
    def total(self) -> int:
        """Calls, but for the reads of the open proctor connections' event streams."""
        return sum(n for name, n in self.calls.items() if name != "read_events")


def new_room(srv: AppServer, n: int = 1) -> tuple[str, str, list[dict[str, str]]]:
    room = srv.call(rooms.create_room(srv.hub.tx, "Ruang Batas", "limits", is_open=True))
    roster = [{"employee_id": f"E{i}", "name": f"Peserta {i}"} for i in range(n)]
    return room["room_id"], room["proctor_token"], srv.call(rooms.register(srv.hub.tx, room["room_id"], roster))


def error_counts(srv: AppServer) -> Counter[str]:
    request = urllib.request.Request(srv.base_url + "/metrics", headers={"Authorization": f"Bearer {ADMIN}"})
    with _OPENER.open(request, timeout=5) as resp:
        text = resp.read().decode()
    counts: Counter[str] = Counter()
    for line in text.splitlines():
        m = re.fullmatch(r'cat_errors_total\{code="([a-z_]+)"\} (\d+)(?:\.0)?', line)
        if m:
            counts[m.group(1)] = int(m.group(2))
    return counts


def run(factory: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(factory(), timeout)

    return asyncio.run(bounded())


def ws(srv: AppServer, endpoint: str) -> Any:
    return connect(f"{srv.ws_url}/ws/{endpoint}", proxy=None, open_timeout=5, close_timeout=2, max_size=None)


async def recv(conn: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    """The next frame that is not a room event (a proctor's stream interleaves them)."""
    while True:
        data = orjson.loads(await asyncio.wait_for(conn.recv(), timeout))
        assert isinstance(data, dict)
        if data.get("type") not in ("event", "events"):
            return data


async def send(conn: ClientConnection, frame: dict[str, Any]) -> None:
    await conn.send(orjson.dumps(frame).decode())


async def closed_with(conn: ClientConnection, timeout: float = 5.0) -> tuple[int | None, str | None]:
    """Read until the server closes (frames other than room events are unexpected); its close code and reason."""
    with pytest.raises(ConnectionClosed):
        while True:
            extra = orjson.loads(await asyncio.wait_for(conn.recv(), timeout))
            assert extra.get("type") in ("event", "events"), extra
    return conn.close_code, conn.close_reason


async def hello_item(conn: ClientConnection, token: str) -> dict[str, Any]:
    """Say hello and go on to the item presented: past the welcome (``start``) and the first subtest's intro
    (``start`` naming it) when the session has not started (docs/protocol.md, Flow); the item frame."""
    await send(conn, {"type": "hello", "token": token})
    frame = await recv(conn)
    if frame["type"] == "welcome":
        await send(conn, {"type": "start"})
        frame = await recv(conn)
        assert (frame["type"], frame["subtest"]["index"]) == ("subtest_intro", 0), frame
    if frame["type"] == "subtest_intro":
        await send(conn, {"type": "start", "subtest": frame["subtest"]["index"]})
        frame = await recv(conn)
    assert frame["type"] == "item", frame
    return frame


def rate_limited(frame: dict[str, Any], request_id: str | int | None = None) -> int:
    """The ``retry_after_ms`` of a ``rate_limited`` error frame (checked to be one, naming ``request_id`` when the
    refused frame had one)."""
    assert frame.get("type") == "error" and frame["code"] == "rate_limited", frame
    echo = set() if request_id is None else {"id"}
    assert set(frame) == {"type", "code", "message", "retry_after_ms"} | echo, frame
    assert frame.get("id") == request_id, frame
    assert isinstance(frame["message"], str) and frame["message"]
    wait = frame["retry_after_ms"]
    assert isinstance(wait, int) and wait >= 1
    return wait


async def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "not within the time allowed"
        await asyncio.sleep(0.01)


def test_failed_hellos_from_one_address_end_in_rate_limited_without_any_store_call(srv: AppServer) -> None:
    clock = fresh_limits(srv)
    _, proctor_token, cands = new_room(srv)
    before = error_counts(srv)

    async def go() -> None:
        with StoreSpy(srv) as spy:
            for n in range(FAIL_BURST):  # both sockets drain the one bucket of the address
                async with ws(srv, "candidate" if n % 2 else "proctor") as conn:
                    await send(conn, {"type": "hello", "token": f"WRONG-{n}-{secrets.token_hex(4)}"})
                    frame = await recv(conn)
                    assert frame["code"] == "bad_token", frame
                    assert (await closed_with(conn))[0] == 4001
            assert spy.total >= FAIL_BURST  # each of those looked its token up
            looked_up = spy.total
            async with ws(srv, "candidate") as cand, ws(srv, "proctor") as proctor:
                # the address has no failed hello left: a right token is refused too, and nothing is looked up
                await send(cand, {"type": "hello", "token": cands[0]["token"]})
                assert rate_limited(await recv(cand)) == 1000 / FAIL_RATE
                await send(proctor, {"type": "hello", "token": proctor_token})
                assert rate_limited(await recv(proctor)) == 1000 / FAIL_RATE
                await send(cand, {"type": "hello", "token": "WRONG"})
                assert rate_limited(await recv(cand)) == 1000 / FAIL_RATE
                assert spy.total == looked_up
                for conn in (cand, proctor):  # still open
                    await send(conn, {"type": "ping"})
                    assert await recv(conn) == {"type": "pong"}
                # once a token has refilled, the same connections say hello again (a session not started yet)
                clock.now += 1 / FAIL_RATE
                await send(cand, {"type": "hello", "token": cands[0]["token"]})
                assert (await recv(cand))["type"] == "welcome"
                await send(proctor, {"type": "hello", "token": proctor_token})
                assert (await recv(proctor))["type"] == "snapshot"
            # successful hellos took nothing: one failure more, then refused again
            for expected in ("bad_token", "rate_limited"):
                async with ws(srv, "candidate") as conn:
                    await send(conn, {"type": "hello", "token": "WRONG"})
                    assert (await recv(conn))["code"] == expected

    run(go)
    after = error_counts(srv)
    assert after["bad_token"] - before["bad_token"] == FAIL_BURST + 1
    assert after["rate_limited"] - before["rate_limited"] == 4


def test_a_hello_and_close_loop_on_one_token_is_held_to_the_token_rate(srv: AppServer) -> None:
    clock = fresh_limits(srv)
    _, proctor_token, cands = new_room(srv, 2)

    async def hello_once(endpoint: str, token: str) -> dict[str, Any]:
        async with ws(srv, endpoint) as conn:
            await send(conn, {"type": "hello", "token": token})
            return await recv(conn)

    async def go() -> None:
        # the candidates' sessions have not started: a hello gets the welcome
        for endpoint, token, ok in (
            ("candidate", cands[0]["token"], "welcome"),
            ("proctor", proctor_token, "snapshot"),
        ):
            for _ in range(HELLO_BURST):
                assert (await hello_once(endpoint, token))["type"] == ok
            with StoreSpy(srv) as spy:
                assert rate_limited(await hello_once(endpoint, token)) == 1000 / HELLO_RATE
                # refused before any lookup (the earlier connections' own closing may still write meanwhile)
                assert spy.calls["session_for_token"] + spy.calls["room_for_proctor_token"] == 0
            if endpoint == "candidate":  # typed with dashes and in lower case it is the same token
                typed = "-".join(token[i : i + 4] for i in range(0, 12, 4)).lower()
                assert rate_limited(await hello_once(endpoint, typed)) == 1000 / HELLO_RATE
                assert (await hello_once(endpoint, cands[1]["token"]))["type"] == "welcome"  # another token: its own
        clock.now += 1 / HELLO_RATE
        assert (await hello_once("candidate", cands[0]["token"]))["type"] == "welcome"
        assert (await hello_once("proctor", proctor_token))["type"] == "snapshot"

    run(go)


def test_a_candidate_token_has_at_most_two_connections_and_the_third_is_refused_before_any_takeover(
    srv: AppServer,
) -> None:
    fresh_limits(srv)
    _, _, cands = new_room(srv)
    token, sid = cands[0]["token"], cands[0]["session_id"]
    store = srv.hub.store
    gate = asyncio.Event()
    notify = store.notify

    async def gated(session_id: str, message: bytes) -> None:  # a takeover's notification waits for the gate
        await gate.wait()
        await notify(session_id, message)

    def count() -> int:
        counts: ConnectionCounts = srv.hub.limits.sessions
        return counts.count(token)

    def owner() -> str:
        record = srv.call(store.load(sid))
        assert record is not None
        return str(record.owner)

    async def go() -> None:
        store.notify = gated
        try:
            async with ws(srv, "candidate") as a, ws(srv, "candidate") as b, ws(srv, "candidate") as c:
                first = await hello_item(a, token)
                first_owner = owner()
                # another computer: its hello takes the session over and waits to tell the first connection
                await send(b, {"type": "hello", "token": token.lower()})  # typed in another case: the same token
                await wait_until(lambda: count() == 2)
                await wait_until(lambda: owner() != first_owner)  # committed; its notification is held
                taken = owner()
                with StoreSpy(srv) as spy:
                    await send(c, {"type": "hello", "token": token})
                    frame = await recv(c)
                    assert frame["code"] == "too_many_connections", frame
                    assert (await closed_with(c))[0] == 4009
                    assert spy.total == 0  # refused before anything happened to the session
                assert owner() == taken
                srv.loop.call_soon_threadsafe(gate.set)
                again = await recv(b)
                assert (again["type"], again["seq"]) == ("item", first["seq"])
                assert (await recv(a))["code"] == "taken_over"
                assert (await closed_with(a))[0] == 4002
                await wait_until(lambda: count() == 1)
                async with ws(srv, "candidate") as d:  # one closed: a new one is welcome
                    await send(d, {"type": "hello", "token": token})
                    assert (await recv(d))["seq"] == first["seq"]
                    assert (await recv(b))["code"] == "taken_over"
        finally:
            del store.notify
        await wait_until(lambda: count() == 0)

    run(go)


def test_a_reload_opens_the_new_connection_while_the_old_one_is_still_closing(srv: AppServer) -> None:
    fresh_limits(srv)
    _, _, cands = new_room(srv)
    token = cands[0]["token"]

    async def go() -> None:
        for _ in range(5):  # reload after reload: the old socket's close and the new hello race each time
            async with ws(srv, "candidate") as old:
                first = await hello_item(old, token)  # the first time through the welcome and the intro
                closing = asyncio.create_task(old.close())
                async with ws(srv, "candidate") as new:
                    await send(new, {"type": "hello", "token": token})
                    frame = await recv(new)
                    assert (frame["type"], frame["seq"]) == ("item", first["seq"])
                    await closing
        await wait_until(lambda: srv.hub.limits.sessions.count(token) == 0)

    run(go)


def test_a_proctor_token_has_at_most_four_connections(srv: AppServer) -> None:
    fresh_limits(srv)
    _, token, _ = new_room(srv)
    _, other_token, _ = new_room(srv)

    async def go() -> None:
        conns = [await ws(srv, "proctor") for _ in range(4)]
        try:
            for conn in conns:
                await send(conn, {"type": "hello", "token": token})
                assert (await recv(conn))["type"] == "snapshot"
            with StoreSpy(srv) as spy:
                async with ws(srv, "proctor") as fifth:
                    await send(fifth, {"type": "hello", "token": token})
                    frame = await recv(fifth)
                    assert frame["code"] == "too_many_connections", frame
                    assert (await closed_with(fifth))[0] == 4009
                assert spy.total == 0, spy.calls
            async with ws(srv, "proctor") as elsewhere:  # another room's token is another count
                await send(elsewhere, {"type": "hello", "token": other_token})
                assert (await recv(elsewhere))["type"] == "snapshot"
            await conns.pop().close()
            # counted by the token's stored form (a proctor token is shown in groups joined by dashes)
            await wait_until(lambda: srv.hub.limits.proctors.count(normalise_proctor_token(token)) == 3)
            async with ws(srv, "proctor") as again:
                await send(again, {"type": "hello", "token": token})
                assert (await recv(again))["type"] == "snapshot"
        finally:
            for conn in conns:
                await conn.close()

    run(go)


def test_details_and_commands_are_limited_per_proctor_token_over_all_its_connections(srv: AppServer) -> None:
    clock = fresh_limits(srv)
    room_id, token, cands = new_room(srv)
    _, other_token, others = new_room(srv)
    sid = cands[0]["session_id"]
    before = error_counts(srv)

    async def go() -> None:
        async with (
            ws(srv, "proctor") as p1,
            ws(srv, "proctor") as p2,
            ws(srv, "proctor") as p3,
            ws(srv, "candidate") as cand,
        ):
            for conn, tok in ((p1, token), (p2, token), (p3, other_token)):
                await send(conn, {"type": "hello", "token": tok})
                assert (await recv(conn))["type"] == "snapshot"
            await hello_item(cand, cands[0]["token"])
            detail = {"type": "detail", "session_id": sid}
            for conn, n in ((p1, 1), (p1, 2), (p2, 3)):  # the burst, shared by the token's connections
                await send(conn, {**detail, "id": n})
                frame = await recv(conn)
                assert (frame["type"], frame["id"]) == ("detail", n)
            # beyond it: an error, not an ack, and the command is not done
            await send(p2, {"type": "pause", "session_id": sid, "id": "c1"})
            assert rate_limited(await recv(p2), "c1") == 1000 / PROCTOR_RATE
            await send(p1, {**detail, "id": 4})
            assert rate_limited(await recv(p1), 4) == 1000 / PROCTOR_RATE
            await send(p1, detail)  # a frame without an id: an error without one
            assert rate_limited(await recv(p1)) == 1000 / PROCTOR_RATE
            for conn in (p1, p2):  # pings are not counted, and the connections stay open
                await send(conn, {"type": "ping"})
                assert await recv(conn) == {"type": "pong"}
            await send(p3, {"type": "detail", "session_id": others[0]["session_id"]})  # another token
            assert (await recv(p3))["type"] == "detail"
            summary = srv.call(srv.hub.proctors.room_view(room_id)).summaries[0]
            assert summary["phase"] == "active"  # the refused pause did nothing
            clock.now += 1 / PROCTOR_RATE
            await send(p2, {"type": "pause", "session_id": sid, "id": "c2"})
            ack = await recv(p2)
            assert ack == {"type": "ack", "id": "c2", "command": "pause", "results": [{"session_id": sid, "ok": True}]}
            assert (await recv(cand))["type"] == "paused"

    run(go)
    after = error_counts(srv)
    assert after["rate_limited"] - before["rate_limited"] == 3
