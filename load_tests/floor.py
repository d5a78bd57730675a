"""The echo floor: the least one answer can cost on the server's own stack, measured in the same run.

A Starlette app under uvicorn with exactly the server's uvicorn settings (``server.UVICORN_OPTIONS`` and the same
``ws_max_size``, as many worker processes), one WebSocket endpoint, ``/ws/candidate``, that for each text frame

1. decodes the JSON,
2. makes one Redis round trip (``SET`` of the frame under the connection's key; none when started without
   Redis, to match a server on the memory store; on a Redis Cluster, ``redis+cluster://host:port,...`` as the
   server takes it, to the master of the key's slot), and
3. replies with an item-shaped frame numbered ``seq + 1`` (``hello`` gets 1), padded to the mean size of the
   server's item frames in the same run.

So the same generator can drive it, and the difference to the server is what the CAT work costs: loading and
committing a session, estimating, selecting, building frames, the audit and the proctors' events.

    FLOOR_REDIS_URL=redis://127.0.0.1:PORT/0 FLOOR_WORKERS=2 PORT=8100 python -m load_tests.floor
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


def create_app() -> Starlette:
    """The floor app, configured from ``FLOOR_REDIS_URL`` and ``FLOOR_FRAME_BYTES``."""
    redis_url = os.environ.get("FLOOR_REDIS_URL") or None
    head, tail = item_frame_parts(int(os.environ.get("FLOOR_FRAME_BYTES") or 800))
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
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text") or ""
            seq = orjson.loads(text).get("seq", 0)
            if r is not None:
                await r.set(key, text)
            await ws.send({"type": "websocket.send", "text": (head + str(seq + 1).encode() + tail).decode()})

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
