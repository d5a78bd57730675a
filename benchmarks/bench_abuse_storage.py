"""What abusive clients can make the server store, and read back, over loopback: a measurement, not a test.

The storage rows of the hardening issue, beside :mod:`bench_abuse` (whose server, client helpers and options these
use). Each row starts its own ``python server.py``:

* ``resend``: a finished session; ``--conns`` connections each say ``hello`` with its token and resend its last
  answer up to 199 times (the flood limit's burst), for at most ``--seconds``; then ``hello``/close loops on the
  finished token for the rest of the time. What the connections got, and how much the session's audit and the
  room's events grew.
* ``loop``: a ``hello``/close loop on an active token for ``--seconds`` while another candidate answers steadily:
  loops per second, by reply, the audit and room-event growth of the looped session, the other candidate's latency.
* ``reread``: what a used slip reads back: a new connection with a finished token says ``hello`` and answers seq 1.
* ``tokens`` (``--store redis`` only): every key and value the server wrote under its prefix (rooms, rosters,
  sessions that answered, a registration with an idempotency key), searched for the tokens in plain text.

    .venv/bin/python benchmarks/bench_abuse_storage.py [--store redis] [--tree /tmp/before]

Loopback only; every row is bounded in frames and in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import redis as redis_sync
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_abuse beside this file
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: load_tests
from bench_abuse import (
    BATTERY,
    ROW_TIMEOUT_S,
    Bench,
    answer_items,
    begin,
    go_on,
    percentiles,
    recv,
    reply_kind,
    run_rows,
    send,
    ws,
)

from load_tests.procs import REPO_ROOT
from load_tests.target import AdminApi

RESENDS = 199


def _room_events(admin: AdminApi, proctor_token: str, session_id: str) -> int:
    """How many events of the session the room's stream holds now, as a proctor who resumes from the start reads
    them."""
    return sum(1 for e in asyncio.run(_read_events(admin, proctor_token)) if e.get("session_id") == session_id)


async def _read_events(admin: AdminApi, proctor_token: str) -> list[Any]:
    base = admin.base_url.replace("http://", "ws://")
    async with ws(base, "proctor") as conn:
        await send(conn, {"type": "hello", "token": proctor_token, "last_event_id": "0-0"})
        got: list[Any] = []
        while True:
            try:
                frame = json.loads(await asyncio.wait_for(conn.recv(), 0.5))
            except TimeoutError:
                return got
            if frame.get("type") == "event":
                got.append(frame)


def _finished(admin: AdminApi, base: str) -> tuple[str, str, dict[str, Any]]:
    """A room with one finished session: (the room's proctor token, session id, that candidate as registered)."""
    room = admin.create_room("abuse storage", BATTERY, open=True)
    [cand] = admin.register(room["room_id"], [("F001", "Selesai")])
    asyncio.run(answer_items(base, cand["token"], 10_000, np.random.default_rng(0)))
    return room["proctor_token"], cand["session_id"], cand


# --- row: resends on a finished session --------------------------------------------------------------------------


async def _resend(base: str, token: str, seq: int, conns: int, seconds: float) -> Counter[str]:
    got: Counter[str] = Counter()
    stop = time.monotonic() + seconds

    async def one() -> None:
        try:
            async with ws(base, "candidate") as conn:
                await send(conn, {"type": "hello", "token": token})
                got["hello " + reply_kind(await recv(conn))] += 1
                for _ in range(RESENDS):
                    if time.monotonic() > stop:
                        return
                    await send(conn, {"type": "answer", "seq": seq, "response": 0})
                    got["resend " + reply_kind(await recv(conn))] += 1
        except (ConnectionClosed, TimeoutError) as exc:
            got[f"closed {getattr(exc, 'rcvd', None) and exc.rcvd.code}"] += 1  # type: ignore[union-attr]

    await asyncio.gather(*(one() for _ in range(conns)))
    while time.monotonic() < stop:  # then hello/close loops on the finished token
        await one()
    return got


def row_resend(bench: Bench) -> None:
    with bench.server() as (server, admin):
        proctor_token, session_id, cand = _finished(admin, server.ws_url)
        audit = admin.audit(session_id)
        seq = max(e["seq"] for e in audit if e["kind"] == "answer")
        events = _room_events(admin, proctor_token, session_id)
        started = time.monotonic()
        got = asyncio.run(_resend(server.ws_url, cand["token"], seq, bench.workers, bench.seconds))
        took = time.monotonic() - started
        audit_after = admin.audit(session_id)
        events_after = _room_events(admin, proctor_token, session_id)
    parts = "  ".join(f"{k} {v}" for k, v in got.most_common())
    bench.print(f"resend  {took:4.1f} s  {parts}")
    kinds = Counter(e["kind"] for e in audit_after[len(audit) :])
    bench.print(
        f"        audit {len(audit)} -> {len(audit_after)} entries ({dict(kinds)}); "
        f"room events {events} -> {events_after}"
    )


# --- row: hello/close loop on an active token --------------------------------------------------------------------


async def _loop(base: str, token: str, seconds: float) -> Counter[str]:
    got: Counter[str] = Counter()
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        try:
            async with ws(base, "candidate") as conn:
                await send(conn, {"type": "hello", "token": token})
                got[reply_kind(await recv(conn))] += 1
        except (ConnectionClosed, TimeoutError):
            got["closed early"] += 1
    return got


async def _answering(base: str, token: str, think_s: float, until: Callable[[], bool]) -> list[float]:
    latencies: list[float] = []
    rng = np.random.default_rng(1)
    async with ws(base, "candidate") as conn:
        frame = await begin(conn, token)
        while frame.get("type") == "item" and not until():
            await asyncio.sleep(think_s)
            sent = time.perf_counter()
            options = len(frame["item"]["options"])
            await send(conn, {"type": "answer", "seq": frame["seq"], "response": int(rng.integers(options))})
            frame = await recv(conn)
            latencies.append((time.perf_counter() - sent) * 1000)
            frame = await go_on(conn, frame)  # the next subtest's intro: start it (not timed)
    return latencies


def row_loop(bench: Bench) -> None:
    with bench.server() as (server, admin):
        room = admin.create_room("abuse loop", BATTERY, open=True)
        looped, honest = admin.register(room["room_id"], [("L001", "Diulang"), ("L002", "Jujur")])
        asyncio.run(answer_items(server.ws_url, looped["token"], 2, np.random.default_rng(0)))
        audit = len(admin.audit(looped["session_id"]))
        events = _room_events(admin, room["proctor_token"], looped["session_id"])

        async def both() -> tuple[Counter[str], list[float], float]:
            done: list[bool] = []
            answering = asyncio.create_task(
                _answering(server.ws_url, honest["token"], bench.think_s, lambda: bool(done))
            )
            started = time.monotonic()
            got = await _loop(server.ws_url, looped["token"], bench.seconds)
            took = time.monotonic() - started
            done.append(True)
            return got, await answering, took

        got, latencies, took = asyncio.run(asyncio.wait_for(both(), ROW_TIMEOUT_S))
        audit_after = len(admin.audit(looped["session_id"]))
        events_after = _room_events(admin, room["proctor_token"], looped["session_id"])
        suppressed = admin.session(looped["session_id"]).get("suppressed")
    parts = "  ".join(f"{k} {v / took:6.1f}/s" for k, v in got.most_common())
    bench.print(f"loop    {took:4.1f} s  hellos {sum(got.values()) / took:6.1f}/s  {parts}")
    bench.print(
        f"        looped session: audit {audit} -> {audit_after}, room events {events} -> {events_after}, "
        f"held back {suppressed}"
    )
    bench.print(f"        other candidate   {percentiles(latencies)}")


# --- row: what a used slip reads back ----------------------------------------------------------------------------


async def _reread(base: str, token: str) -> list[str]:
    seen: list[str] = []
    try:
        async with ws(base, "candidate") as conn:
            await send(conn, {"type": "hello", "token": token})
            seen.append("hello: " + reply_kind(await recv(conn)))
            await send(conn, {"type": "answer", "seq": 1, "response": 0})
            frame = await recv(conn, 3.0)
            seen.append("answer seq 1: " + reply_kind(frame) + (" (an item!)" if frame.get("type") == "item" else ""))
    except ConnectionClosed as exc:
        seen.append(f"closed {exc.rcvd.code if exc.rcvd else None}")
    return seen


def row_reread(bench: Bench) -> None:
    with bench.server() as (server, admin):
        _, _, cand = _finished(admin, server.ws_url)
        seen = asyncio.run(asyncio.wait_for(_reread(server.ws_url, cand["token"]), ROW_TIMEOUT_S))
    bench.print(f"reread  a finished token: {'; '.join(seen)}")


# --- row: tokens at rest -----------------------------------------------------------------------------------------


def _every_value(client: Any, key: bytes) -> list[bytes]:
    kind = client.type(key)
    if kind == b"string":
        return [client.get(key) or b""]
    if kind == b"hash":
        return [b for pair in client.hgetall(key).items() for b in pair]
    if kind == b"list":
        return list(client.lrange(key, 0, -1))
    if kind == b"set":
        return list(client.smembers(key))
    if kind == b"stream":
        return [b for _, fields in client.xrange(key) for pair in fields.items() for b in pair]
    return []


def row_tokens(bench: Bench) -> None:
    if bench.redis is None:
        bench.print("tokens  (Redis only: run with --store redis)")
        return
    with bench.server() as (server, admin):
        room = admin.create_room("abuse tokens", BATTERY, open=True)
        body = {"candidates": [{"employee_id": f"T{i:03d}", "name": f"Peserta {i}"} for i in range(20)]}
        reply = admin.request(
            "POST", f"/api/rooms/{room['room_id']}/candidates", body, 201
        )  # (AdminApi sends no Idempotency-Key; a second registration below does)
        cands = reply["candidates"]
        again = [{"employee_id": "T900", "name": "Ulang"}]
        keyed = _register_with_key(admin, room["room_id"], again, secrets.token_hex(16))
        asyncio.run(answer_items(server.ws_url, cands[0]["token"], 3, np.random.default_rng(0)))
        tokens = [room["proctor_token"], *(c["token"] for c in cands), *(c["token"] for c in keyed)]
        client = redis_sync.Redis.from_url(bench.redis.url)
        try:
            keys = list(client.scan_iter(match=f"{server.key_prefix}:*"))
            blobs = list(keys) + [v for k in keys for v in _every_value(client, k)]
        finally:
            client.close()
    found = sum(1 for t in tokens if any(t.encode() in b for b in blobs))
    bench.print(
        f"tokens  {len(tokens)} tokens, {len(keys)} keys and their values searched: {found} found in plain text"
    )


def _register_with_key(admin: AdminApi, room_id: str, rows: list[dict[str, str]], key: str) -> list[dict[str, Any]]:
    import urllib.request

    request = urllib.request.Request(
        f"{admin.base_url}/api/rooms/{room_id}/candidates",
        data=json.dumps({"candidates": rows}).encode(),
        method="POST",
        headers={"authorization": f"Bearer {admin.token}", "content-type": "application/json", "idempotency-key": key},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as reply:
        created: list[dict[str, Any]] = json.loads(reply.read())["candidates"]
    return created


# --- main --------------------------------------------------------------------------------------------------------

ROWS: dict[str, Callable[[Bench], None]] = {
    "resend": row_resend,
    "loop": row_loop,
    "reread": row_reread,
    "tokens": row_tokens,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--store", choices=("memory", "redis"), default="memory")
    parser.add_argument("--tree", type=Path, default=REPO_ROOT, help="the checkout whose server.py runs")
    parser.add_argument("--rows", nargs="+", choices=tuple(ROWS), default=list(ROWS))
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each flood")
    parser.add_argument("--conns", type=int, default=20, help="connections of the resend flood")
    parser.add_argument("--think", type=float, default=0.02, help="the honest candidate's seconds between answers")
    args = parser.parse_args()
    if not 0 < args.seconds <= 30 or not 1 <= args.conns <= 64:
        parser.error("--seconds must be in (0, 30], --conns in 1..64")
    run_rows(
        args.store,
        lambda workdir, redis: Bench(workdir, args.tree.resolve(), redis, args.seconds, args.conns, 1, args.think),
        [ROWS[name] for name in args.rows],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
