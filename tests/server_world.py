"""A world for the tests of the server's use cases: a store, one server process's use cases over it with a fake
clock, a room and its roster; and a second process over the same store when a test needs one.

No pytest-asyncio: every test runs one coroutine with :func:`run`. The battery is small and deterministic: two
subtests of exactly three items (no SE target), 60 s and 120 s.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
import pytest
from conftest import battery_dict, load, subtest_dict

from cat_engine import codec
from cat_engine import session as core
from cat_engine.battery import Battery, load_battery
from cat_engine.server import rooms
from cat_engine.server.candidate import CandidateCases, Outcome
from cat_engine.server.decoding import ProctorCommand
from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.metrics import Metrics
from cat_engine.server.proctor import ProctorCases
from cat_engine.server.store import SessionRecord, Store
from cat_engine.server.transaction import Transactions
from cat_engine.server.wire_errors import Refusal
from cat_engine.session import Command, Phase

__all__ = [
    "FORBIDDEN_KEYS",
    "ITEMS",
    "LIMIT_1",
    "LIMIT_2",
    "T0",
    "Process",
    "World",
    "cmd",
    "demo_battery",
    "finish_battery",
    "frame",
    "keys_anywhere",
    "make_battery",
    "make_world",
    "process",
    "refused",
    "run",
    "run_coroutine",
]

T0 = 1_800_000_000.0  # seconds since the epoch; the fake clock starts here
LIMIT_1, LIMIT_2 = 60, 120  # time limits of the two subtests, seconds
ITEMS = 3  # items per subtest (min = max, no SE target)
FORBIDDEN_KEYS = {"key", "params", "theta", "se", "option_weights", "exposure_k", "content_area", "model"}


DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"
T = TypeVar("T")


def run(factory: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(factory(), timeout)

    return asyncio.run(bounded())


def run_coroutine(coro: Awaitable[T]) -> T:
    """Run one coroutine to its end in a fresh event loop."""

    async def main() -> T:
        return await coro

    return asyncio.run(main())


@functools.cache
def demo_battery() -> Battery:
    """The demo battery of ``item_pools/`` (loaded once)."""
    return load_battery(DEMO)


def make_battery(directory: Path) -> Battery:
    subtests = [
        subtest_dict("s1", max_items=ITEMS, min_items=ITEMS, se_target=None, time_limit_s=LIMIT_1),
        subtest_dict("s2", max_items=ITEMS, min_items=ITEMS, se_target=None, time_limit_s=LIMIT_2),
    ]
    return load(directory, battery_dict(subtests))


@dataclass
class Process:
    """One server process's use cases over a store."""

    tx: Transactions
    candidates: CandidateCases
    proctors: ProctorCases


def process(store: Store, battery: Battery, process_id: str, clock: Callable[[], float]) -> Process:
    tx = Transactions(store, {battery.id: battery}, Metrics(), clock=clock)
    return Process(tx, CandidateCases(tx, process_id), ProctorCases(tx))


@dataclass
class World:
    """A store, the use cases of process "p1" over it with a fake clock, one room and its roster."""

    store: Store
    battery: Battery
    clock: list[float]
    process: Process
    room_id: str = ""
    proctor_token: str = ""
    cands: list[dict[str, str]] = field(default_factory=list)
    notes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def advance(self, seconds: float) -> None:
        self.clock[0] += seconds

    def sid(self, n: int = 0) -> str:
        return self.cands[n]["session_id"]

    def token(self, n: int = 0) -> str:
        return self.cands[n]["token"]

    async def sit(self, conn: str, n: int = 0, proc: Process | None = None, device: str | None = None) -> Outcome:
        """Say hello on ``conn`` (from ``device``, when given) and go through the welcome and the first intro: the
        outcome presents the first item (or, for a session already under way, where it is after the hello)."""
        cases = (proc or self.process).candidates
        _, out = await cases.hello(self.token(n), conn, device)
        state = await self.state(n)
        if state.phase is Phase.READY:
            out = await cases.start(self.sid(n), conn, None)
            state = await self.state(n)
        if state.phase is Phase.INTRO:
            out = await cases.start(self.sid(n), conn, state.subtest_index)
        return out

    def other(self, process_id: str) -> Process:
        """The use cases of another server process over the same store and clock."""
        return process(self.store, self.battery, process_id, lambda: self.clock[0])

    async def load(self, n: int = 0) -> SessionRecord:
        rec = await self.store.load(self.sid(n))
        assert rec is not None
        return rec

    async def state(self, n: int = 0) -> core.SessionState:
        return codec.decode(self.battery, (await self.load(n)).state)

    async def view(self, n: int = 0) -> dict[str, Any]:
        """The session's summary as proctors see it now."""
        summaries = (await self.process.proctors.room_view(self.room_id)).summaries
        return next(s for s in summaries if s["session_id"] == self.sid(n))

    async def events(self) -> list[dict[str, Any]]:
        return [orjson.loads(e) for _, e in await self.store.read_events(self.room_id, "0-0", 0)]

    async def audit(self, n: int = 0) -> list[dict[str, Any]]:
        return [orjson.loads(e) for _, e in await self.store.audit(self.sid(n))]

    async def fingerprint(self, room_id: str | None = None) -> Any:
        """Everything stored about a room: sessions (with versions), replies, audit, events, results."""
        room_id = room_id or self.room_id
        recs = await self.store.load_room(room_id)
        return (
            [(r.session_id, r.version, r.state, r.owner) for r in recs],
            {r.session_id: [await self.store.reply(r.session_id, q) for q in range(1, 2 * ITEMS + 2)] for r in recs},
            {r.session_id: await self.store.audit(r.session_id) for r in recs},
            await self.store.read_events(room_id, "0-0", 0),
            await self.store.results(room_id),
        )

    async def only_audited(self, before: Any) -> list[dict[str, Any]]:
        """Assert that nothing but the audit changed since ``before``; the audit entries appended since."""
        after = await self.fingerprint()
        assert (after[0], after[1], after[3], after[4]) == (before[0], before[1], before[3], before[4])
        added: list[dict[str, Any]] = []
        for sid, entries in after[2].items():
            old = before[2][sid]
            assert entries[: len(old)] == old
            added += [orjson.loads(e) for _, e in entries[len(old) :]]
        return added


StoreFactory = Callable[[], Store]


def in_world(new_store: StoreFactory, battery: Battery, body: Callable[[World], Awaitable[Any]], n: int = 3) -> None:
    """Run ``body`` on a world of ``n`` candidates over a store made by ``new_store`` (started, then closed)."""

    async def go() -> None:
        store = new_store()
        await store.start()
        try:
            await body(await make_world(battery, n=n, store=store))
        finally:
            await store.close()

    run(go)


async def make_world(battery: Battery, n: int = 1, store: Store | None = None, *, is_open: bool = True) -> World:
    """A world with one room (open unless asked otherwise) of ``n`` candidates."""
    clock = [T0]
    store = store or MemoryStore()
    world = World(store, battery, clock, process(store, battery, "p1", lambda: clock[0]))
    room = await rooms.create_room(world.process.tx, "Ruang 1", battery.id, is_open=is_open)
    world.room_id, world.proctor_token = room["room_id"], room["proctor_token"]
    roster = [{"employee_id": f"E{i:03d}", "name": f"Peserta {i}"} for i in range(1, n + 1)]
    world.cands = await rooms.register(world.process.tx, world.room_id, roster)
    # every notification sent, as it is sent (a Redis store's pub/sub would deliver it later, and only to a process
    # that follows the room)
    send = store.notify

    async def notify(session_id: str, message: bytes) -> None:
        world.notes.append((session_id, orjson.loads(message)))
        await send(session_id, message)

    store.notify = notify  # type: ignore[method-assign]
    return world


def frame(raw: bytes) -> dict[str, Any]:
    data = orjson.loads(raw)
    assert isinstance(data, dict)
    return data


def keys_anywhere(data: Any) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in keys_anywhere(v)}
    if isinstance(data, list):
        return {k for v in data for k in keys_anywhere(v)}
    return set()


def cmd(command: str, session_id: str | None, **kw: Any) -> ProctorCommand:
    return ProctorCommand(Command(command), session_id, **kw)


async def refused(coro: Awaitable[Any]) -> Refusal:
    with pytest.raises(Refusal) as info:
        await coro
    return info.value


async def finish_battery(w: World, conn: str, n: int = 0) -> bytes:
    """Answer every item of the battery, starting each subtest from its intro (an item presented or an intro
    shown); the last reply."""
    state = await w.state(n)
    reply = b""
    for _ in range(2 * ITEMS):
        if state.phase is Phase.INTRO:
            await w.process.candidates.start(w.sid(n), conn, state.subtest_index)
            state = await w.state(n)
        w.advance(1)
        reply = (await w.process.candidates.answer(w.sid(n), conn, state.seq, 0)).frames[-1]
        state = await w.state(n)
    assert state.phase is Phase.FINISHED
    return reply
