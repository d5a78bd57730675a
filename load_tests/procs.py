"""The child processes of the tests, the load tests and the benchmarks, and what they cost: the one process harness.

* :class:`RedisServer` - a private ``redis-server`` on a free loopback port with the production settings of
  ``docs/operations.md`` (:data:`REDIS_SETTINGS`: AOF, ``everysec``, ``noeviction``), its data in a directory of
  its own; it can be stopped (SIGTERM), killed (SIGKILL) and restarted on the same port and directory.
* :class:`ServerProcess` - ``python server.py`` from a given tree, with the environment a caller gives it;
  :class:`FloorProcess` - the echo floor (:mod:`load_tests.floor`). Both are ready when ``GET /healthz`` answers
  200, and can be killed and restarted on the same port.
* :class:`Managed` - what they share: a child in a session (process group) of its own, its stdout and stderr
  appended to ``<workdir>/<name>.log``, whose tail every start-up error carries.
* :class:`CpuMeter` - CPU seconds and resident memory of process trees, sampled from ``/proc``; a process that dies
  (a killed worker) keeps the CPU of its last sample.

Invariants:

* Never the shared Redis on 127.0.0.1:6379: :class:`RedisServer` always starts its own, on a port it is given or
  a free one, and refuses 6379. Every child listens on 127.0.0.1 only.
* Every child started here is killed with its whole process group by :meth:`Managed.stop` or :meth:`Managed.kill`,
  and otherwise at interpreter exit, or on SIGTERM or SIGHUP of this process (the handlers are installed at import
  where those signals still have their default action; a SIGKILL of this process cannot be caught).
* Every wait is bounded: start-up by its ``timeout`` (plus one probe's own timeout), stop by its ``timeout`` then
  SIGKILL, and the wait after a SIGKILL by 5 s.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import redis

from .target import loopback_url

__all__ = [
    "PORT_FLOOR",
    "REDIS_SETTINGS",
    "REPO_ROOT",
    "CpuMeter",
    "FloorProcess",
    "Managed",
    "RedisServer",
    "ServerProcess",
    "bindable",
    "cpu_seconds",
    "delete_keys",
    "ephemeral_ports",
    "free_port",
    "healthz",
    "install_signal_handlers",
    "listening_pids",
    "process_tree",
    "raise_open_files_limit",
    "redis_info",
    "wait_healthz",
    "wait_until",
]

REPO_ROOT = Path(__file__).resolve().parents[1]

#: The Redis settings ``docs/operations.md`` requires in production ("Redis settings an operator must use"); every
#: Redis started here runs with them, so the tests and load tests see what a test day sees.
REDIS_SETTINGS: Mapping[str, str] = MappingProxyType(
    {"appendonly": "yes", "appendfsync": "everysec", "maxmemory-policy": "noeviction", "save": ""}
)
SHARED_REDIS_PORT = 6379

_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_LIVE: set[Managed] = set()
_LIVE_LOCK = threading.RLock()  # re-entrant: the signal handler may interrupt a holder
_KILL_WAIT_S = 5.0


PORT_FLOOR = 15000  # free_port stays above the ports that services commonly listen on
_EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def ephemeral_ports() -> tuple[int, int]:
    """The kernel's range of ports for outgoing connections (Linux's default when it cannot be read)."""
    try:
        low, high = (int(x) for x in _EPHEMERAL_RANGE_FILE.read_text().split())
    except (OSError, ValueError):
        return 32768, 60999
    return low, high


def bindable(port: int) -> bool:
    """Whether 127.0.0.1:``port`` can be bound now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(below: int | None = None, attempts: int = 200) -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago, below the kernel's ephemeral range (and below ``below``).

    A port the kernel hands out for outgoing connections (what binding port 0 returns too) can be taken by any
    client between this call and the child's bind: a test then fails with "Address already in use" (seen once in
    CI, a cluster node). Below the ephemeral range only another listener can take it. When that range leaves no
    room, or ``attempts`` random candidates are all taken, the kernel picks one as before.
    """
    top = min(ephemeral_ports()[0], below if below is not None else 65536)
    if top - PORT_FLOOR >= 1000:
        for _ in range(attempts):
            port = random.randrange(PORT_FLOOR, top)
            if bindable(port):
                return port
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


# --- readiness ---------------------------------------------------------------------------------------------------


def wait_until(
    check: Callable[[], str | None],
    timeout: float,
    what: str,
    proc: subprocess.Popen[bytes] | None = None,
    interval: float = 0.05,
) -> None:
    """Call ``check`` until it returns None (ready); it returns why not otherwise.

    RuntimeError when ``timeout`` seconds pass (naming the last reason) or when ``proc`` exits first.
    """
    deadline = time.monotonic() + timeout
    why = "not checked"
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before it was ready (last: {why})")
        found = check()
        if found is None:
            return
        why = found
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{what} was not ready within {timeout} s (last: {why})")
        time.sleep(interval)


def healthz(base_url: str, timeout: float = 2.0) -> str | None:
    """None when ``GET base_url/healthz`` answers 200 (never through a proxy), else what happened instead."""
    try:
        with _OPENER.open(base_url + "/healthz", timeout=timeout) as resp:
            return None if resp.status == 200 else f"status {resp.status}"
    except urllib.error.HTTPError as err:
        return f"status {err.code}"
    except OSError as err:
        return repr(err)


def wait_healthz(base_url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``GET /healthz`` until it answers 200; RuntimeError on timeout or if ``proc`` exits first."""
    wait_until(lambda: healthz(base_url), timeout, f"{base_url}/healthz", proc, interval=0.1)


def _redis_ping(port: int) -> str | None:
    """None when the Redis on ``port`` answers PING with PONG (not while it still loads its AOF: ``-LOADING``)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError as err:
        return repr(err)
    return None if reply.startswith(b"+PONG") else repr(reply)


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


# --- killing every child, whatever happens ----------------------------------------------------------------------


def _kill_all() -> None:
    """SIGKILL every live child's process group (at exit, on SIGTERM/SIGHUP)."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for child in live:
        child.kill()


def _on_signal(signum: int, frame: object) -> None:
    """SIGTERM/SIGHUP skip atexit: kill the children, then die of the same signal."""
    _kill_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def install_signal_handlers() -> None:
    """Kill every child on SIGTERM or SIGHUP of this process (atexit does not run then).

    Only a signal that still has its default action gets the handler (``nohup`` keeps ignoring SIGHUP, a handler
    of the caller's own stays); a no-op outside the main thread. Called at import, so every user of this module is
    covered; calling it again is harmless.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_DFL:
            signal.signal(sig, _on_signal)


atexit.register(_kill_all)
install_signal_handlers()


# --- child processes -----------------------------------------------------------------------------------------


def _clean_env() -> dict[str, str]:
    """This process's environment without the server's own settings (a test's ``CAT_*`` must not leak in)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CAT_") and k not in ("REDIS_URL", "HOST", "PORT")}


class Managed:
    """A child process in a session (process group) of its own, its stdout and stderr appended to ``log``.

    Subclasses define readiness in :meth:`start`; :meth:`spawn` only starts the process.
    """

    def __init__(
        self, name: str, argv: list[str], env: Mapping[str, str], workdir: Path, cwd: Path = REPO_ROOT
    ) -> None:
        self.name = name
        self.argv = argv
        self.env = dict(env)
        self.workdir = workdir.resolve()  # absolute: a child may run in another directory than the caller's
        self.cwd = cwd
        self.log = self.workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def pid(self) -> int | None:
        """The child's pid while it runs, else None."""
        return self.proc.pid if self.running and self.proc is not None else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def spawn(self) -> None:
        """Start the process (RuntimeError when it already runs); each start is marked in the log."""
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
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
        with _LIVE_LOCK:
            _LIVE.add(self)

    def start(self, timeout: float = 30.0) -> None:
        """Start the process; ready at once (subclasses wait for their service)."""
        self.spawn()

    def _signal(self, sig: signal.Signals) -> None:
        """Signal the child's whole process group (its workers too)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        except PermissionError:
            self.proc.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL to the whole process group, as a crash would."""
        self._signal(signal.SIGKILL)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(_KILL_WAIT_S)
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the whole process group (a graceful shutdown), then SIGKILL after ``timeout`` seconds."""
        self._signal(signal.SIGTERM)
        if self.proc is not None:
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def restart(self, *, hard: bool = True, down_for: float = 0.0) -> None:
        """Kill (``hard``: SIGKILL) or stop (SIGTERM), stay down ``down_for`` seconds, start again on the same
        port and directory."""
        if hard:
            self.kill()
        else:
            self.stop()
        time.sleep(down_for)
        self.start()

    def tail(self, n: int = 4000) -> str:
        """The last ``n`` characters of the log."""
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return "<no output>"

    def _wait(self, check: Callable[[], str | None], timeout: float) -> None:
        """:func:`wait_until` ``check``; on failure kill the child and raise with the tail of its log."""
        try:
            wait_until(check, timeout, self.name, self.proc)
        except RuntimeError as exc:
            self.kill()
            raise RuntimeError(f"{exc}\n--- {self.log} ---\n{self.tail()}") from None


class RedisServer(Managed):
    """A private ``redis-server`` on 127.0.0.1:``port`` (a free one by default, never 6379) with
    :data:`REDIS_SETTINGS`; data in ``workdir/redis``, log in ``workdir/redis.log``.

    :meth:`stop` is a graceful shutdown (Redis fsyncs its AOF first), :meth:`kill` a crash (what the AOF did not
    fsync yet may be lost, up to about a second with ``everysec``); :meth:`start` after either, or
    :meth:`restart`, brings the same server back on the same port and data.
    """

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            raise RuntimeError("redis-server not found (Debian: apt-get install redis-server)")
        self.port = port if port is not None else free_port()
        if self.port == SHARED_REDIS_PORT:
            raise ValueError(f"port {SHARED_REDIS_PORT} is the shared Redis: the harness starts its own elsewhere")
        workdir = workdir.resolve()  # redis-server runs in workdir: a relative --dir would be taken from there
        self.data_dir = workdir / "redis"
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--protected-mode", "yes"]
        argv += ["--dir", str(self.data_dir), "--daemonize", "no"]
        for key, value in REDIS_SETTINGS.items():
            argv += [f"--{key}", value]
        super().__init__("redis", argv, os.environ, workdir, cwd=workdir)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        """Start, and wait until PING answers PONG (after the AOF is loaded)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.spawn()
        self._wait(lambda: _redis_ping(self.port), timeout)

    def ping(self) -> bool:
        """Whether the server answers PING with PONG now."""
        return _redis_ping(self.port) is None

    def restart(self, *, hard: bool = False, down_for: float = 0.0) -> None:
        """Stop (SIGTERM, or SIGKILL when ``hard``), stay down ``down_for`` seconds, start on the same port/dir."""
        super().restart(hard=hard, down_for=down_for)


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

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        """Start, and wait until ``GET /healthz`` answers 200."""
        self.spawn()
        self._wait(lambda: healthz(self.base_url), timeout)


class ServerProcess(_HttpProcess):
    """``python server.py`` from ``tree`` on 127.0.0.1:``port`` (a free one by default).

    The environment is this process's without ``CAT_*``, ``REDIS_URL``, ``HOST`` and ``PORT``, then ``HOST``,
    ``PORT``, ``CAT_ADMIN_TOKEN``, then each setting given here (None leaves the server's default:
    ``CAT_WORKERS``, ``CAT_KEY_PREFIX``, ``CAT_BATTERIES``, ``CAT_DEMO_ROOM``, ``REDIS_URL``), then ``env``.
    The log is ``workdir/server<index>.log``.
    """

    def __init__(
        self,
        workdir: Path,
        admin_token: str,
        *,
        redis_url: str | None = None,
        key_prefix: str | None = None,
        workers: int | None = None,
        battery: Path | None = None,
        demo_room: bool | None = None,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        index: int = 0,
        tree: Path = REPO_ROOT,
    ) -> None:
        port = port if port is not None else free_port()
        self.admin_token = admin_token
        self.redis_url = redis_url
        self.key_prefix = key_prefix
        full = _clean_env()
        full.update(
            HOST="127.0.0.1",
            PORT=str(port),
            CAT_ADMIN_TOKEN=admin_token,
            PYTHONUNBUFFERED="1",
            NO_PROXY="127.0.0.1,localhost",
        )
        if redis_url is not None:
            full["REDIS_URL"] = redis_url
        if key_prefix is not None:
            full["CAT_KEY_PREFIX"] = key_prefix
        if workers is not None:
            full["CAT_WORKERS"] = str(workers)
        if battery is not None:
            full["CAT_BATTERIES"] = str(battery)
        if demo_room is not None:
            full["CAT_DEMO_ROOM"] = "1" if demo_room else "0"
        full.update(env or {})
        # ``tree``: the checkout whose server.py runs; it imports cat_engine from there (the script's directory
        # comes first on sys.path), with this interpreter's packages
        super().__init__(f"server{index}", [sys.executable, "server.py"], full, workdir, port, tree)


class FloorProcess(_HttpProcess):
    """The echo floor (:mod:`load_tests.floor`) on a free loopback port, with ``workers`` processes."""

    def __init__(
        self, workdir: Path, *, redis_url: str | None, workers: int, frame_bytes: int, subtest_items: int = 0
    ) -> None:
        port = free_port()
        env = _clean_env()
        env.update(
            PORT=str(port),
            FLOOR_WORKERS=str(workers),
            FLOOR_FRAME_BYTES=str(frame_bytes),
            FLOOR_SUBTEST_ITEMS=str(subtest_items),
        )
        if redis_url is not None:
            env["FLOOR_REDIS_URL"] = redis_url
        super().__init__("floor", [sys.executable, "-m", "load_tests.floor"], env, workdir, port)
