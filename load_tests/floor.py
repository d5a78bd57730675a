"""The echo floor: the least one answer can cost on the server's own stack, measured in the same run.

A Starlette app under uvicorn with exactly the server's uvicorn settings (``server.UVICORN_OPTIONS`` and the same
``ws_max_size``, as many worker processes), one WebSocket endpoint, ``/ws/candidate``, that for each text frame

1. decodes the JSON,
2. makes one Redis round trip (``SET`` of the frame under the connection's key; none when started without
   Redis, to match a server on the memory store; on a Redis Cluster, ``redis+cluster://host:port,...`` as the
   server takes it, to the master of the key's slot), and
3. replies with the frame the server's conversation has there: ``hello`` gets a ``welcome``, a ``start`` without
   ``subtest`` the first ``subtest_intro``, a ``start`` with one the subtest's first item, and each answer an
   item-shaped frame numbered ``seq + 1``, padded to the mean size of the server's item frames in the same run;
   every ``FLOOR_SUBTEST_ITEMS`` answers (the mean subtest length of the run), the next ``subtest_intro`` instead,
   with ``previous_subtest`` completed (0: none).

So the same generator can drive it through the same frames (a hello, a start after the welcome and after each
intro, the answers), and the difference to the server is what the CAT work costs: loading and committing a
session, estimating, selecting, building frames, the audit and the proctors' events.

    FLOOR_REDIS_URL=redis://127.0.0.1:PORT/0 FLOOR_WORKERS=2 FLOOR_SUBTEST_ITEMS=14 PORT=8100 python -m load_tests.floor
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import os
from collections.abc import AsyncIterator
from typing import Any

import orjson
import redis.asyncio as aioredis
import uvicorn
from redis.asyncio.cluster import ClusterNode, RedisCluster
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from .target import cluster_nodes

__all__ = ["KEY_PATTERN", "KEY_PREFIX", "create_app", "item_frame_parts", "main"]

#: The keys the floor writes (one per connection), and their pattern for cleaning them out of a Redis the server
#: also uses.
KEY_PREFIX = "floor:"
KEY_PATTERN = KEY_PREFIX + "*"


def item_frame_parts(size: int) -> tuple[bytes, bytes]:
    """Prefix and suffix of an item frame around its ``seq`` number, about ``size`` bytes in all."""
    head = b'{"type":"item","seq":'
    options = [f"Pilihan {n}" for n in range(5)]
    body = {
        "item": {"id": "FLOOR", "stem": "", "options": options},
        "subtest": {"index": 0, "id": "floor", "name": "Floor", "count": 1},
        "progress": {"answered": 0, "max_items": 40, "subtests_done": 0, "subtests_total": 1},
        "time_left_s": None,
    }
    bare = len(head) + 2 + len(orjson.dumps(body))
    body["item"]["stem"] = "x" * max(size - bare, 0)  # type: ignore[index]
    return head, b"," + orjson.dumps(body)[1:]


_WELCOME = orjson.dumps(
    {
        "type": "welcome",
        "candidate": {"name": "Floor", "employee_id": "FLOOR"},
        "battery": {"name": "Floor", "subtests": []},
        "instructions": None,
        "practice": [],
    }
).decode()


def _intro(index: int) -> str:
    frame: dict[str, Any] = {
        "type": "subtest_intro",
        "subtest": {"index": index, "id": f"floor-{index}", "name": "Floor", "count": index + 2, "items_max": 40},
        "time_limit_s": None,
        "starts_in_s": 300.0,
    }
    if index:
        frame["previous_subtest"] = {"id": f"floor-{index - 1}", "name": "Floor", "reason": "completed"}
    return orjson.dumps(frame).decode()


def create_app() -> Starlette:
    """The floor app, configured from ``FLOOR_REDIS_URL``, ``FLOOR_FRAME_BYTES`` and ``FLOOR_SUBTEST_ITEMS``."""
    redis_url = os.environ.get("FLOOR_REDIS_URL") or None
    head, tail = item_frame_parts(int(os.environ.get("FLOOR_FRAME_BYTES") or 800))
    subtest_items = int(os.environ.get("FLOOR_SUBTEST_ITEMS") or 0)
    store: dict[str, aioredis.Redis | RedisCluster] = {}
    numbers = itertools.count()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if redis_url is not None:
            seeds = cluster_nodes(redis_url)
            if seeds is None:
                store["r"] = aioredis.Redis.from_url(redis_url)
            else:
                store["r"] = RedisCluster(startup_nodes=[ClusterNode(host, port) for host, port in seeds])
        try:
            yield
        finally:
            if "r" in store:
                await store["r"].aclose()

    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        key = f"{KEY_PREFIX}{os.getpid()}:{next(numbers)}"
        r = store.get("r")
        subtest, answered, seq = 0, 0, 0
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text") or ""
            frame = orjson.loads(text)
            kind = frame.get("type")
            if kind == "ping":  # as the server: a pong, no store call
                await ws.send({"type": "websocket.send", "text": '{"type":"pong"}'})
                continue
            if r is not None:
                await r.set(key, text)
            if kind == "hello":
                reply = _WELCOME
            elif kind == "start" and frame.get("subtest") is None:
                reply = _intro(subtest)
            else:
                if kind == "answer":
                    seq, answered = frame.get("seq", seq), answered + 1
                    if subtest_items and answered % subtest_items == 0:
                        subtest += 1
                        await ws.send({"type": "websocket.send", "text": _intro(subtest)})
                        continue
                reply = (head + str(seq + 1).encode() + tail).decode()
            await ws.send({"type": "websocket.send", "text": reply})

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "store": "redis" if redis_url else "none"})

    routes = [WebSocketRoute("/ws/candidate", echo), Route("/healthz", healthz)]
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    """Serve the floor on 127.0.0.1:``PORT`` with ``FLOOR_WORKERS`` processes and the server's uvicorn settings."""
    from cat_engine.server.settings import Settings

    server: Any = importlib.import_module("server")  # server.py at the repository root (the working directory)
    options: dict[str, Any] = dict(server.UVICORN_OPTIONS)
    uvicorn.run(
        "load_tests.floor:create_app",
        factory=True,
        host="127.0.0.1",
        port=int(os.environ["PORT"]),
        workers=int(os.environ.get("FLOOR_WORKERS") or 1),
        ws_max_size=server.ws_max_size(Settings()),
        **options,
    )


if __name__ == "__main__":
    main()
