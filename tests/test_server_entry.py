"""``server.py``, the entry: refuses settings it cannot honour, exposes ``app`` for ``uvicorn server:app``."""

from __future__ import annotations

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
