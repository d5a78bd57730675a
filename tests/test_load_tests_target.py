"""load_tests.target and the command line: loopback only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
from load_tests.target import NotLoopback, loopback_url, ws_url  # noqa: E402


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://127.3.2.1:80/", "http://localhost:8000", "http://[::1]:8000"]
)
def test_loopback_targets_are_accepted(url: str) -> None:
    assert loopback_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5:8000",
        "http://192.168.1.10:8000",
        "http://0.0.0.0:8000",
        "http://example.com:8000",
        "http://127.0.0.1.example.com:8000",
        "ftp://127.0.0.1/",
        "127.0.0.1:8000",
    ],
)
def test_other_targets_are_refused(url: str) -> None:
    with pytest.raises(NotLoopback):
        loopback_url(url)


def test_redis_urls_are_checked_too() -> None:
    assert loopback_url("redis://127.0.0.1:6390/0", ("redis",)) == "redis://127.0.0.1:6390/0"
    with pytest.raises(NotLoopback):
        loopback_url("redis://10.1.1.1:6379/0", ("redis",))


def test_ws_url() -> None:
    assert ws_url("http://127.0.0.1:8000", "/ws/candidate") == "ws://127.0.0.1:8000/ws/candidate"
    assert ws_url("https://localhost", "/ws/proctor") == "wss://localhost/ws/proctor"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_command_refuses_a_remote_target_before_sending_anything(lang: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "load_tests", "peak", "--target", "http://10.20.30.40:8000", "--lang", lang],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert ("ditolak" if lang == "id" else "refused") in done.stderr
    assert "loopback" in done.stderr


def test_the_command_refuses_a_restart_against_a_target() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "load_tests", "restart", "--target", "http://127.0.0.1:9", "--lang", "en"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "restart" in done.stderr
