"""``server.py``, the entry: refuses settings it cannot honour, exposes ``app`` for ``uvicorn server:app``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
