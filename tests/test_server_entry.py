"""``server.py``, the entry: refuses settings it cannot honour, exposes ``app`` for ``uvicorn server:app``."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "server.py"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_several_workers_need_redis() -> None:
    done = _run({"CAT_WORKERS": "2"})
    assert done.returncode == 2 and "REDIS_URL" in done.stderr


def test_a_bad_setting_is_named() -> None:
    done = _run({"PORT": "eighty"})
    assert done.returncode == 2 and "PORT" in done.stderr


def test_module_exposes_an_app_for_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    monkeypatch.delenv("REDIS_URL", raising=False)
    from starlette.applications import Starlette

    import server

    assert isinstance(server.app, Starlette)
    with pytest.raises(AttributeError):
        server.not_there  # noqa: B018


def test_workers_share_redis_and_one_banner_is_printed(private_redis: Any, tmp_path: Path) -> None:
    from load_tests.procs import free_port

    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "REDIS_URL": private_redis.url,
        "CAT_KEY_PREFIX": f"t-entry-{port}",
        "CAT_WORKERS": "2",
        "PORT": str(port),
        "CAT_LANG": "en",
    }
    out = (tmp_path / "out.txt").open("w+")
    proc = subprocess.Popen([sys.executable, "server.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        health = None
        while time.monotonic() < deadline and health is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as reply:
                    health = json.loads(reply.read())
            except OSError:
                time.sleep(0.2)
        assert health == {"status": "ok", "store": "redis"}
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    out.seek(0)
    text = out.read()
    assert text.count("CAT server is running at") == 1, text
    assert "admin API token: " in text and "Demo room" not in text


# --- uvicorn's options ---------------------------------------------------------------------------------------------


def _server(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(ROOT))
    import server

    return server


def test_uvicorn_options_come_from_the_settings_and_are_all_uvicorn_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    import inspect

    import uvicorn

    from cat_engine.server.settings import Settings

    server = _server(monkeypatch)
    env = {"CAT_LIMIT_CONCURRENCY": "1234", "CAT_KEEP_ALIVE_S": "7", "CAT_MAX_HEADER_BYTES": "8192", "PORT": "8123"}
    settings = Settings.from_env(env)
    options = server.uvicorn_options(settings, env)
    assert set(options) <= set(inspect.signature(uvicorn.Config).parameters)  # a typo or a uvicorn upgrade shows
    config = uvicorn.Config("server:_app", factory=True, **options)
    limits = (config.limit_concurrency, config.timeout_keep_alive, config.h11_max_incomplete_event_size)
    assert limits == (1234, 7, 8192)
    assert (config.port, config.ws_max_size, config.http) == (8123, server.ws_max_size(settings), "h11")
    assert config.proxy_headers is False  # no proxy is believed unless named
    defaults = server.uvicorn_options(Settings(), {})
    assert (defaults["limit_concurrency"], defaults["timeout_keep_alive"]) == (5000, 5)
    assert defaults["h11_max_incomplete_event_size"] == 16384


def test_forwarded_allow_ips(monkeypatch: pytest.MonkeyPatch) -> None:
    server = _server(monkeypatch)
    assert server.forwarded_allow_ips({}) == []
    assert server.forwarded_allow_ips({"CAT_FORWARDED_ALLOW_IPS": " , "}) == []
    value = "10.0.0.5, 10.1.0.0/16,::1,fd00::/8"
    expected = ["10.0.0.5", "10.1.0.0/16", "::1", "fd00::/8"]
    assert server.forwarded_allow_ips({"CAT_FORWARDED_ALLOW_IPS": value}) == expected
    assert server.forwarded_allow_ips({"CAT_FORWARDED_ALLOW_IPS": "*"}) == ["*"]
    for bad in ("nginx", "10.0.0.300", "10.0.0.5;10.0.0.6", "*.example.org"):
        with pytest.raises(ValueError, match="CAT_FORWARDED_ALLOW_IPS"):
            server.forwarded_allow_ips({"CAT_FORWARDED_ALLOW_IPS": bad})


def test_the_named_proxies_are_believed_and_no_one_else(monkeypatch: pytest.MonkeyPatch) -> None:
    """uvicorn's own default believes X-Forwarded-For from 127.0.0.1; server.py believes only the proxies named."""
    import uvicorn
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from cat_engine.server.settings import Settings

    server = _server(monkeypatch)
    monkeypatch.setenv("CAT_DEMO_ROOM", "0")

    async def client_seen(env: dict[str, str], peer: str) -> Any:
        config = uvicorn.Config("server:_app", factory=True, **server.uvicorn_options(Settings(), env))
        config.load()
        seen: dict[str, Any] = {}

        async def app(scope: Any, receive: Any, send: Any) -> None:
            seen["client"] = scope["client"]

        loaded = config.loaded_app
        while not isinstance(loaded, ProxyHeadersMiddleware) and hasattr(loaded, "app"):
            loaded = loaded.app
        if not isinstance(loaded, ProxyHeadersMiddleware):
            return None  # no proxy middleware at all: the peer is the client
        loaded.app = app
        scope = {"type": "http", "client": (peer, 5000), "headers": [(b"x-forwarded-for", b"203.0.113.9")]}
        await loaded(scope, None, None)  # type: ignore[arg-type]
        return seen["client"]

    assert asyncio.run(client_seen({}, "127.0.0.1")) is None
    trusted = {"CAT_FORWARDED_ALLOW_IPS": "10.0.0.5"}
    assert asyncio.run(client_seen(trusted, "10.0.0.5")) == ("203.0.113.9", 0)
    assert asyncio.run(client_seen(trusted, "127.0.0.1")) == ("127.0.0.1", 5000)


def test_a_bad_forwarded_setting_is_named() -> None:
    done = _run({"CAT_FORWARDED_ALLOW_IPS": "my-proxy"})
    assert done.returncode == 2 and "CAT_FORWARDED_ALLOW_IPS" in done.stderr
