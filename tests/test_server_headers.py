"""cat_engine.server.headers: ``nosniff`` on every HTTP response and ``no-store`` on every one that is not a page or
an asset (and on every error), against the real app under uvicorn over the memory and Redis stores; WebSockets pass
through untouched. Also ``/metrics``' bearer (the admin token or ``CAT_METRICS_TOKEN``)."""

from __future__ import annotations

import asyncio
import http.client
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import AppServer, battery_dict, subtest_dict, write_battery
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from cat_engine.server.headers import HttpHeaders, with_headers
from cat_engine.server.settings import Settings
from load_tests.procs import RedisServer

ADMIN = "admin-" + secrets.token_hex(8)
SCRAPE = "scrape-" + secrets.token_hex(8)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []


def call(srv: AppServer, method: str, path: str, token: str | None = None) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        return Reply(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


@pytest.fixture(scope="module")
def battery_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sub = subtest_dict("s1", max_items=2, min_items=2, se_target=None, time_limit_s=600)
    return write_battery(tmp_path_factory.mktemp("battery"), battery_dict([sub], id="headers"))


async def _boom(request: Request) -> Response:
    raise RuntimeError("a fault of ours, for the test")


@pytest.fixture(scope="module", params=["memory", "redis"])
def srv(
    request: pytest.FixtureRequest, app_server: Callable[..., AppServer], battery_path: Path
) -> Iterator[AppServer]:
    common: dict[str, Any] = {"admin_token": ADMIN, "metrics_token": SCRAPE, "demo_room": False}
    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("private_redis")
        prefix = f"t-headers-{secrets.token_hex(4)}"
        settings = Settings(redis_url=redis.url, key_prefix=prefix, batteries=(battery_path,), **common)
    else:
        settings = Settings(batteries=(battery_path,), **common)
    server = app_server(settings)
    assert server.hub.store.kind == request.param
    server.app.router.routes.append(Route("/test-boom", _boom))  # a 500 from an unhandled exception
    yield server
    server.stop()


# (method, path, token, status, Cache-Control): every kind of route and refusal the app has
CASES = [
    ("GET", "/", None, 200, "no-cache"),
    ("GET", "/proctor", None, 200, "no-cache"),
    ("GET", "/admin", None, 200, "no-cache"),
    ("GET", "/static/socket.js", None, 200, "no-cache"),
    ("GET", "/favicon.ico", None, 200, "max-age=86400"),
    ("GET", "/static/not-there.js", None, 404, "no-store"),
    ("GET", "/not-there", None, 404, "no-store"),
    ("POST", "/", None, 405, "no-store"),
    ("DELETE", "/api/rooms", ADMIN, 405, "no-store"),
    ("POST", "/healthz", None, 405, "no-store"),
    ("GET", "/api/batteries", ADMIN, 200, "no-store"),
    ("GET", "/api/rooms", ADMIN, 200, "no-store"),
    ("GET", "/api/rooms", None, 401, "no-store"),
    ("GET", "/api/rooms/NOROOM", ADMIN, 404, "no-store"),
    ("POST", "/api/rooms", ADMIN, 400, "no-store"),
    ("GET", "/healthz", None, 200, "no-store"),
    ("GET", "/metrics", ADMIN, 200, "no-store"),
    ("GET", "/metrics", None, 401, "no-store"),
    ("GET", "/test-boom", None, 500, "no-store"),
]


@pytest.mark.parametrize(("method", "path", "token", "status", "cache"), CASES)
def test_every_response_is_nosniff_and_api_replies_are_not_stored(
    srv: AppServer, method: str, path: str, token: str | None, status: int, cache: str
) -> None:
    reply = call(srv, method, path, token)
    assert reply.status == status, reply.body[:200]
    assert reply.header("x-content-type-options") == ["nosniff"]
    assert reply.header("cache-control") == [cache]


def test_head_of_a_page_keeps_its_headers(srv: AppServer) -> None:
    reply = call(srv, "HEAD", "/")
    assert reply.status == 200
    assert reply.header("x-content-type-options") == ["nosniff"]
    assert reply.header("cache-control") == ["no-cache"]
    assert "default-src 'self'" in reply.headers["content-security-policy"]


def test_every_api_route_of_the_app_is_covered(srv: AppServer) -> None:
    """Each HTTP route's path, with made-up parameters: nosniff and no-store whatever it answers (401 without a
    token), so a route added later cannot slip out of the middleware unnoticed."""
    seen = 0
    for route in srv.app.routes:
        if not isinstance(route, Route) or not route.path.startswith(("/api/", "/healthz", "/metrics")):
            continue
        path = route.path.replace("{room_id}", "NOROOM").replace("{session_id}", "NOROOM-0001")
        for method in sorted(route.methods or ()):
            reply = call(srv, method, path)
            assert reply.header("x-content-type-options") == ["nosniff"], (method, path)
            assert reply.header("cache-control") == ["no-store"], (method, path)
            seen += 1
    assert seen >= 12


# --- /metrics' bearer ---------------------------------------------------------------------------------------------


def test_metrics_open_to_the_admin_and_the_metrics_token_only(srv: AppServer) -> None:
    for token in (ADMIN, SCRAPE):
        reply = call(srv, "GET", "/metrics", token)
        assert reply.status == 200
        assert reply.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert b"cat_live_connections" in reply.body
    for wrong in (None, "", SCRAPE + "x", ADMIN[:-1], "proctor-token"):
        reply = call(srv, "GET", "/metrics", wrong)
        assert reply.status == 401, wrong
        assert reply.headers["content-type"].startswith("application/json")
        assert orjson.loads(reply.body)["error"]["code"] == "unauthorized"
    # the scraper's token opens the metrics and nothing else
    assert call(srv, "GET", "/api/rooms", SCRAPE).status == 401


def test_metrics_without_a_metrics_token_take_the_admin_token_only(app_server: Callable[..., AppServer]) -> None:
    server = app_server(Settings(admin_token=ADMIN, demo_room=False))
    try:
        assert call(server, "GET", "/metrics", ADMIN).status == 200
        for token in (None, "", "None", SCRAPE):
            assert call(server, "GET", "/metrics", token).status == 401, token
        text = call(server, "GET", "/metrics", ADMIN).body.decode()
        assert 'cat_errors_total{code="unauthorized"} 4.0' in text  # the refusals are counted like the API's
    finally:
        server.stop()


# --- WebSockets pass through ---------------------------------------------------------------------------------------


def test_a_websocket_through_the_middleware_works(srv: AppServer) -> None:
    async def go() -> tuple[dict[str, Any], int | None]:
        async with connect(f"{srv.ws_url}/ws/candidate", proxy=None, open_timeout=5) as ws:
            await ws.send(orjson.dumps({"type": "hello", "token": "NOSUCHTOKEN1"}).decode())
            frame = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
            return frame, ws.close_code

    frame, code = asyncio.run(asyncio.wait_for(go(), 20))
    assert frame["code"] == "bad_token" and code == 4001


def test_websocket_and_lifespan_scopes_pass_through_untouched() -> None:
    seen: list[tuple[Scope, Receive, Send]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((scope, receive, send))
        await send({"type": "websocket.http.response.start", "status": 403, "headers": []})

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    for kind in ("websocket", "lifespan"):
        scope: Scope = {"type": kind, "path": "/ws/candidate"}
        asyncio.run(HttpHeaders(app)(scope, receive, send))
        assert seen[-1][0] is scope and seen[-1][1] is receive and seen[-1][2] is send
    assert sent == [{"type": "websocket.http.response.start", "status": 403, "headers": []}] * 2


def test_with_headers() -> None:
    nosniff = (b"x-content-type-options", b"nosniff")
    assert with_headers([], 200) == [nosniff, (b"cache-control", b"no-store")]
    assert with_headers([(b"cache-control", b"no-cache")], 200) == [(b"cache-control", b"no-cache"), nosniff]
    assert with_headers([(b"Cache-Control", b"no-cache"), nosniff], 304) == [(b"Cache-Control", b"no-cache"), nosniff]
    # an error is never stored, whatever the responder said
    assert with_headers([(b"cache-control", b"no-cache")], 404) == [nosniff, (b"cache-control", b"no-store")]
    # nosniff is not doubled; list pairs (ASGI allows any iterable of pairs) come back as tuples
    assert with_headers([[b"X-Content-Type-Options", b"nosniff"]], 500) == [
        (b"X-Content-Type-Options", b"nosniff"),
        (b"cache-control", b"no-store"),
    ]
