"""The processes of a run, and what they cost.

* :class:`RedisProcess` - a private ``redis-server`` on a free loopback port (never the shared one on 6379), with
  the persistence ``docs/operations.md`` asks for (AOF, ``everysec``, ``noeviction``), data in a directory of its
  own.
* :class:`ServerProcess` - ``python server.py`` with ``CAT_WORKERS`` processes; :class:`FloorProcess` - the echo
  floor (:mod:`load_tests.floor`) with as many.
* :class:`CpuMeter` - CPU seconds and resident memory of process trees, sampled from ``/proc``; a process that dies
  (a killed worker) keeps the CPU of its last sample.

Every child runs in a session of its own and is killed, with its whole process group, when the run ends, on
``SIGTERM``, or at interpreter exit.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import redis

from .target import AdminApi, loopback_url

__all__ = [
    "REPO_ROOT",
    "CpuMeter",
    "FloorProcess",
    "Managed",
    "RedisProcess",
    "ServerProcess",
    "cpu_seconds",
    "free_port",
    "listening_pids",
    "process_tree",
    "raise_open_files_limit",
    "redis_info",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_LIVE: set[Managed] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raise_open_files_limit(wanted: int = 16384) -> int:
    """Raise this process's open-file limit towards ``wanted`` (children inherit it); returns the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


# --- /proc ---------------------------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[int, float, int, int] | None:
    """``(ppid, cpu seconds, start time, resident bytes)`` of a process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15, starttime 22, rss 24
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK, int(fields[19]), int(fields[21]) * _PAGE


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    found = _stat(pid)
    return 0.0 if found is None else found[1]


def process_tree(roots: Iterable[int]) -> list[int]:
    """``roots`` and all their descendants that are alive now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            found = _stat(int(entry.name))
            if found is not None:
                children.setdefault(found[0], []).append(int(entry.name))
    out: list[int] = []
    todo = [r for r in roots if Path(f"/proc/{r}").exists()]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def listening_pids(port: int) -> list[int]:
    """Processes holding a listening TCP socket on ``port`` (to measure a server this run did not start)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                cols = line.split()
                if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{cols[9]}]")
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) in inodes for fd in (entry / "fd").iterdir()):
                pids.append(int(entry.name))
    return pids


class CpuMeter:
    """CPU seconds and resident memory of the process trees under ``roots()``, sampled.

    CPU is summed per process (pid and start time), each at its last sample, so a process killed between two
    samples loses at most one sampling interval of CPU, and a process started later (a restarted server) counts
    from its start. Call :meth:`reset` at the start of the measured phase.
    """

    def __init__(self, roots: Callable[[], Iterable[int]], rescan_s: float = 5.0) -> None:
        self.roots = roots
        self.rescan_s = rescan_s
        self._cpu: dict[tuple[int, int], float] = {}
        self._base: dict[tuple[int, int], float] = {}
        self._pids: list[int] = []
        self._scanned: tuple[float, tuple[int, ...]] = (0.0, ())
        self.max_rss = 0
        self.rss_series: list[tuple[float, int]] = []

    def _tree(self) -> list[int]:
        """The processes to read: all of /proc is scanned again only when the roots change, a process is gone,
        or every ``rescan_s`` seconds (worker processes may be started late), so a sample stays cheap."""
        roots = tuple(self.roots())
        when, known = self._scanned
        gone = any(not Path(f"/proc/{pid}").exists() for pid in self._pids)
        if roots != known or gone or time.monotonic() - when > self.rescan_s:
            self._pids = process_tree(roots)
            self._scanned = (time.monotonic(), roots)
        return self._pids

    def sample(self, at: float | None = None) -> None:
        rss = 0
        for pid in self._tree():
            found = _stat(pid)
            if found is not None:
                self._cpu[(pid, found[2])] = found[1]
                rss += found[3]
        self.max_rss = max(self.max_rss, rss)
        if at is not None:
            self.rss_series.append((at, rss))

    def reset(self) -> None:
        """Count CPU from now on."""
        self.sample()
        self._base = dict(self._cpu)
        self.max_rss = 0
        self.rss_series.clear()

    def total(self) -> float:
        """CPU seconds since :meth:`reset`, up to the last sample."""
        return sum(cpu - self._base.get(key, 0.0) for key, cpu in self._cpu.items())

    async def run(self, clock: Callable[[], float], interval: float = 0.5) -> None:
        """Sample every ``interval`` seconds until cancelled."""
        while True:
            self.sample(clock())
            await asyncio.sleep(interval)


# --- child processes -----------------------------------------------------------------------------------------


def _kill_all() -> None:
    for proc in list(_LIVE):
        proc.kill()


def _on_signal(signum: int, frame: object) -> None:
    _kill_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


atexit.register(_kill_all)


def install_signal_handlers() -> None:
    """Kill every child on SIGTERM or SIGHUP of this process (atexit does not run then)."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)


class Managed:
    """A child process in a session of its own, its output in ``log``."""

    def __init__(
        self, name: str, argv: list[str], env: Mapping[str, str], workdir: Path, cwd: Path = REPO_ROOT
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = dict(env)
        self.workdir = workdir
        self.cwd = cwd
        self.log = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def spawn(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"\n===== start {self.starts} =====\n".encode())
            out.flush()
            self.proc = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _LIVE.add(self)

    def _signal(self, sig: signal.Signals) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def kill(self) -> None:
        """SIGKILL to the whole process group, as a crash would."""
        self._signal(signal.SIGKILL)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)
        _LIVE.discard(self)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout``."""
        self._signal(signal.SIGTERM)
        if self.proc is not None:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        _LIVE.discard(self)

    def tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def _wait(self, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited during start-up:\n{self.tail()}")
            if ready():
                return
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"{self.name} was not ready within {timeout} s:\n{self.tail()}")


class RedisProcess(Managed):
    """A private ``redis-server`` on a free loopback port."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise RuntimeError("redis-server not found (Debian: apt-get install redis-server)")
        self.port = port if port is not None else free_port()
        data = workdir / "redis"
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(data), "--daemonize", "no"]
        argv += ["--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--maxmemory-policy", "noeviction"]
        super().__init__("redis", argv, os.environ, workdir)
        data.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        self.spawn()
        self._wait(lambda: redis_info(self.url, "server") != {}, timeout)


def redis_info(url: str, section: str) -> dict[str, Any]:
    """``INFO section`` of the Redis at ``url`` (a loopback URL), empty when it does not answer."""
    client = redis.Redis.from_url(loopback_url(url, ("redis",)), socket_timeout=5)
    try:
        info: dict[str, Any] = client.info(section)
        return info
    except (redis.RedisError, OSError):
        return {}
    finally:
        client.close()


def delete_keys(url: str, pattern: str) -> int:
    """Delete the keys matching ``pattern`` from the Redis at ``url`` (a loopback URL); returns how many."""
    client = redis.Redis.from_url(loopback_url(url, ("redis",)), socket_timeout=5)
    try:
        deleted = 0
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) == 1000:
                deleted += int(client.unlink(*batch))
                batch.clear()
        if batch:
            deleted += int(client.unlink(*batch))
        return deleted
    finally:
        client.close()


class _HttpProcess(Managed):
    """A child serving HTTP on 127.0.0.1:``port``, ready when ``GET /healthz`` answers 200."""

    def __init__(
        self, name: str, argv: list[str], env: Mapping[str, str], workdir: Path, port: int, cwd: Path = REPO_ROOT
    ) -> None:
        super().__init__(name, argv, env, workdir, cwd)
        self.port = port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        self.spawn()
        probe = AdminApi(self.base_url, "", timeout=2.0)
        self._wait(probe.healthy, timeout)

    def restart(self, down_for: float = 0.0) -> None:
        """SIGKILL, stay down ``down_for`` seconds, start again on the same port."""
        self.kill()
        time.sleep(down_for)
        self.start()


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CAT_") and k not in ("REDIS_URL", "HOST", "PORT")}


class ServerProcess(_HttpProcess):
    """``python server.py`` on a free loopback port: memory store (one process) or Redis (``workers`` processes)."""

    def __init__(
        self,
        workdir: Path,
        admin_token: str,
        *,
        redis_url: str | None = None,
        workers: int = 1,
        key_prefix: str = "cat",
        battery: Path | None = None,
        index: int = 0,
        tree: Path = REPO_ROOT,
    ) -> None:
        port = free_port()
        env = _clean_env()
        env.update(
            HOST="127.0.0.1",
            PORT=str(port),
            CAT_ADMIN_TOKEN=admin_token,
            CAT_WORKERS=str(workers),
            CAT_DEMO_ROOM="0",
            CAT_KEY_PREFIX=key_prefix,
            PYTHONUNBUFFERED="1",
            NO_PROXY="127.0.0.1,localhost",
        )
        if redis_url is not None:
            env["REDIS_URL"] = redis_url
        if battery is not None:
            env["CAT_BATTERIES"] = str(battery)
        # ``tree``: the checkout whose server.py runs; it imports cat_engine from there (the script's directory
        # comes first on sys.path), with this interpreter's packages
        super().__init__(f"server{index}", [sys.executable, "server.py"], env, workdir, port, tree)


class FloorProcess(_HttpProcess):
    """The echo floor (:mod:`load_tests.floor`) on a free loopback port, with ``workers`` processes."""

    def __init__(self, workdir: Path, *, redis_url: str | None, workers: int, frame_bytes: int) -> None:
        port = free_port()
        env = _clean_env()
        env.update(PORT=str(port), FLOOR_WORKERS=str(workers), FLOOR_FRAME_BYTES=str(frame_bytes))
        if redis_url is not None:
            env["FLOOR_REDIS_URL"] = redis_url
        super().__init__("floor", [sys.executable, "-m", "load_tests.floor"], env, workdir, port)
