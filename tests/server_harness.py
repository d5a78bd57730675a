"""Processes for end-to-end tests: a private ``redis-server`` and ``python server.py``, each on a free loopback port.

Never the shared Redis at 127.0.0.1:6379: :class:`RedisServer` always starts its own, in a directory of its own,
with AOF on (``--appendonly yes --appendfsync everysec --save ''``), and can be stopped, killed and restarted on the
same port and directory. :class:`ServerProcess` runs ``server.py`` from the repository root with the environment a
test gives it and waits for ``GET /healthz``. Every wait is bounded; every process started here is also killed at
interpreter exit or on SIGTERM/SIGHUP of the test process, should a test's own cleanup not run (not on SIGKILL).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

__all__ = ["REPO_ROOT", "RedisServer", "ServerProcess", "free_port", "wait_healthz"]

REPO_ROOT = Path(__file__).resolve().parent.parent
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_LIVE: set[subprocess.Popen[bytes]] = set()


@atexit.register
def _kill_leftovers() -> None:
    for proc in list(_LIVE):
        _kill_group(proc, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(2)


def _on_signal(signum: int, frame: object) -> None:
    """SIGTERM/SIGHUP of the test process (e.g. from ``timeout``) skips atexit: kill our children, then die."""
    _kill_leftovers()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


if threading.current_thread() is threading.main_thread():
    for _sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(_sig) is signal.SIG_DFL:
            signal.signal(_sig, _on_signal)


def _kill_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Signal the process group a child leads (each child is started in a session of its own)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        proc.send_signal(sig)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, n: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-n:]
    except OSError:
        return "<no output>"


def _stop(proc: subprocess.Popen[bytes], timeout: float) -> None:
    _kill_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc, signal.SIGKILL)
        proc.wait(5)
    _LIVE.discard(proc)


def _kill9(proc: subprocess.Popen[bytes]) -> None:
    _kill_group(proc, signal.SIGKILL)
    proc.wait(5)
    _LIVE.discard(proc)


class RedisServer:
    """A private ``redis-server`` on a free loopback port, AOF on, data in ``workdir``."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise RuntimeError("redis-server not found")
        self.binary = binary
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port if port is not None else free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.workdir / "redis.log"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("redis already running")
        args = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.workdir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
            "--logfile",
            str(self.log),
        ]
        self.proc = subprocess.Popen(
            args, cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True
        )
        _LIVE.add(self.proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}:\n{_tail(self.log)}")
            if self.ping():
                return
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"redis-server not ready within {timeout} s:\n{_tail(self.log)}")

    def ping(self) -> bool:
        """True when the server answers PING with PONG (not while it is still loading the AOF)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM: Redis shuts down gracefully and fsyncs the AOF first."""
        if self.proc is not None:
            _stop(self.proc, timeout)

    def kill(self) -> None:
        """SIGKILL: what the AOF did not fsync yet (up to about a second with ``everysec``) is lost."""
        if self.proc is not None:
            _kill9(self.proc)

    def restart(self, *, hard: bool = False, down_for: float = 0.0) -> None:
        """Stop (SIGTERM, or SIGKILL when ``hard``), stay down ``down_for`` seconds, start on the same port/dir."""
        self.kill() if hard else self.stop()
        time.sleep(down_for)
        self.start()


class ServerProcess:
    """``python server.py`` from the repository root, on a free loopback port."""

    def __init__(
        self,
        workdir: Path,
        *,
        admin_token: str,
        port: int | None = None,
        redis_url: str | None = None,
        key_prefix: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port if port is not None else free_port()
        self.admin_token = admin_token
        self.redis_url = redis_url
        self.key_prefix = key_prefix
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.stderr_path = self.workdir / f"server-{self.port}.stderr"
        self.stdout_path = self.workdir / f"server-{self.port}.stdout"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAT_") and k not in ("REDIS_URL", "HOST")}
        env.update(
            HOST="127.0.0.1",
            PORT=str(self.port),
            CAT_ADMIN_TOKEN=self.admin_token,
            PYTHONUNBUFFERED="1",
            NO_PROXY="127.0.0.1,localhost",
        )
        if self.redis_url is not None:
            env["REDIS_URL"] = self.redis_url
        if self.key_prefix is not None:
            env["CAT_KEY_PREFIX"] = self.key_prefix
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 20.0) -> None:
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("server already running")
        self.starts += 1
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            err.write(f"\n===== start {self.starts} =====\n".encode())
            err.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "server.py"],
                cwd=REPO_ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        _LIVE.add(self.proc)
        try:
            wait_healthz(self.base_url, timeout, self.proc)
        except RuntimeError as exc:
            self.kill9()
            raise RuntimeError(f"{exc}\n--- server stderr ---\n{_tail(self.stderr_path)}") from None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is not None:
            _stop(self.proc, timeout)

    def kill9(self) -> None:
        if self.proc is not None:
            _kill9(self.proc)

    def restart(self, *, hard: bool = True) -> None:
        self.kill9() if hard else self.stop()
        self.start()

    def stderr(self) -> str:
        return _tail(self.stderr_path, 20000)


def wait_healthz(base_url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``GET /healthz`` until it answers 200; RuntimeError on timeout or if ``proc`` exits."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before /healthz answered")
        try:
            with _OPENER.open(base_url + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    return
                last = f"status {resp.status}"
        except urllib.error.HTTPError as err:
            last = f"status {err.code}"
        except OSError as err:
            last = repr(err)
        time.sleep(0.1)
    raise RuntimeError(f"{base_url}/healthz not 200 within {timeout} s (last: {last})")
