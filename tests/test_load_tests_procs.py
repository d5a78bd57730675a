"""load_tests.procs, the one process harness of the tests, load tests and benchmarks.

A private Redis with the production settings of docs/operations.md, stopped, killed and restarted on the same port
and data; a server process reaching ``/healthz`` and killed with its process group; start-up errors carrying the log
tail; every child killed when the process that started it exits or gets SIGTERM/SIGHUP; CPU metering; cleaning the
echo floor's keys out of a Redis the server also uses.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from load_tests.floor import KEY_PATTERN
from load_tests.procs import (
    _LIVE,
    PORT_FLOOR,
    REDIS_SETTINGS,
    REPO_ROOT,
    CpuMeter,
    FloorProcess,
    Managed,
    RedisServer,
    ServerProcess,
    bindable,
    delete_keys,
    ephemeral_ports,
    free_port,
    healthz,
    redis_info,
    wait_until,
)


def gone(pid: int) -> bool:
    """The process no longer exists (or is a zombie nobody reaped yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# --- Redis ---------------------------------------------------------------------------------------------------------


def test_a_harness_redis_reports_the_production_settings(private_redis: RedisServer) -> None:
    assert dict(REDIS_SETTINGS) == {
        "appendonly": "yes",
        "appendfsync": "everysec",
        "maxmemory-policy": "noeviction",
        "save": "",
    }
    client = redis.Redis.from_url(private_redis.url, decode_responses=True)
    try:
        for key, value in REDIS_SETTINGS.items():
            assert client.config_get(key) == {key: value}
        assert client.config_get("bind") == {"bind": "127.0.0.1"}
        assert client.config_get("dir") == {"dir": str(private_redis.data_dir)}
    finally:
        client.close()
    assert private_redis.port != 6379 and private_redis.url == f"redis://127.0.0.1:{private_redis.port}/0"


def test_the_shared_redis_port_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="6379"):
        RedisServer(tmp_path, port=6379)


def _aof_written(url: str) -> bool:
    """Redis wrote its AOF buffer to the file: a SIGKILL of the process (not of the machine) loses nothing now."""
    return redis_info(url, "persistence").get("aof_buffer_length") == 0


def test_a_relative_work_directory_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--report-dir out/x`` gives a relative path; redis-server runs in its work directory, so the harness makes
    the paths absolute (a relative ``--dir`` once made Redis refuse to start)."""
    monkeypatch.chdir(tmp_path)
    redis = RedisServer(Path("relative") / "work")
    try:
        redis.start()
        assert redis.ping() and redis.data_dir == tmp_path / "relative" / "work" / "redis"
        assert redis.log.exists() and redis.log.is_absolute()
    finally:
        redis.kill()


def test_redis_stop_kill_and_restart_keep_port_directory_and_data(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    port = server.port
    try:
        server.start()
        first = server.pid
        assert first is not None and server.running and server.ping()
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
        client.set("graceful", b"1")

        server.stop()  # SIGTERM: Redis fsyncs the AOF before it exits
        assert not server.running and server.pid is None and not server.ping() and gone(first)
        server.start()
        assert server.port == port and client.get("graceful") == b"1"
        assert (server.data_dir / "appendonlydir").is_dir()

        client.set("crashed", b"2")
        assert eventually(lambda: _aof_written(server.url))
        crashed = server.pid
        assert crashed is not None
        server.kill()  # SIGKILL, as a crash would
        assert not server.running and not server.ping() and gone(crashed)
        server.start()
        assert client.get("crashed") == b"2" and client.get("graceful") == b"1"

        client.set("restarted", b"3")
        server.restart(down_for=0.1)  # graceful by default for Redis
        assert client.get("restarted") == b"3"
        assert eventually(lambda: _aof_written(server.url))
        server.restart(hard=True)
        assert client.get("restarted") == b"3" and server.port == port and server.starts == 5
        client.close()
    finally:
        server.kill()
    assert server not in _LIVE
    assert server.log.read_text().count("===== start") == 5


# --- servers ---------------------------------------------------------------------------------------------------------


def test_a_server_runs_from_the_tree_it_is_given(tmp_path: Path) -> None:
    assert ServerProcess(tmp_path, "t").cwd == REPO_ROOT
    assert ServerProcess(tmp_path, "t", tree=tmp_path / "other").cwd == tmp_path / "other"


def test_the_server_environment_holds_only_what_is_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAT_SESSION_TIMEOUT", "leaked")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    plain = ServerProcess(tmp_path, "tok", port=12345).env
    assert plain["HOST"] == "127.0.0.1" and plain["PORT"] == "12345" and plain["CAT_ADMIN_TOKEN"] == "tok"
    assert not {"REDIS_URL", "CAT_SESSION_TIMEOUT", "CAT_WORKERS", "CAT_KEY_PREFIX", "CAT_DEMO_ROOM"} & set(plain)
    full = ServerProcess(
        tmp_path,
        "tok",
        redis_url="redis://127.0.0.1:7000/0",
        key_prefix="p",
        workers=2,
        battery=tmp_path / "b.toml",
        demo_room=False,
        env={"CAT_LANG": "en", "CAT_WORKERS": "3"},
        index=4,
    )
    assert full.name == "server4" and full.log == tmp_path / "server4.log"
    assert {k: full.env[k] for k in ("REDIS_URL", "CAT_KEY_PREFIX", "CAT_BATTERIES", "CAT_DEMO_ROOM", "CAT_LANG")} == {
        "REDIS_URL": "redis://127.0.0.1:7000/0",
        "CAT_KEY_PREFIX": "p",
        "CAT_BATTERIES": str(tmp_path / "b.toml"),
        "CAT_DEMO_ROOM": "0",
        "CAT_LANG": "en",
    }
    assert full.env["CAT_WORKERS"] == "3"  # ``env`` comes last


def test_a_server_reaches_healthz_and_dies_with_its_process_group(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, "tok", demo_room=False)
    try:
        server.start()
        assert healthz(server.base_url) is None and server.ws_url == f"ws://127.0.0.1:{server.port}"
        first = server.pid
        assert first is not None and os.getpgid(first) == first  # a process group of its own
        server.restart()  # SIGKILL, then the same port
        second = server.pid
        assert second is not None and second != first and gone(first)
        assert healthz(server.base_url) is None
    finally:
        server.stop()
    assert not server.running and server.pid is None and server not in _LIVE
    assert gone(second) and healthz(server.base_url) is not None


def test_a_failed_start_names_the_log_tail(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path, "tok", env={"CAT_KEY_PREFIX": "no {braces}"})
    with pytest.raises(RuntimeError, match=r"(?s)server0 exited with \d+ before it was ready.*CAT_KEY_PREFIX"):
        server.start(timeout=30)
    assert not server.running and server not in _LIVE


def test_a_start_that_never_gets_ready_is_bounded_and_killed(tmp_path: Path) -> None:
    sleeper = Managed(
        "sleeper", [sys.executable, "-c", "print('asleep', flush=True); import time; time.sleep(60)"], {}, tmp_path
    )
    sleeper.start()
    pid = sleeper.pid
    assert pid is not None
    began = time.monotonic()
    with pytest.raises(RuntimeError, match=r"(?s)sleeper was not ready within 0.5 s \(last: no\).*asleep"):
        sleeper._wait(lambda: "no", 0.5)
    assert time.monotonic() - began < 10 and gone(pid) and sleeper not in _LIVE
    with pytest.raises(RuntimeError, match="not ready within"):
        wait_until(lambda: "never", 0.2, "nothing")


def test_the_floor_reaches_healthz(tmp_path: Path) -> None:
    floor = FloorProcess(tmp_path, redis_url=None, workers=1, frame_bytes=100)
    try:
        floor.start()
        assert healthz(floor.base_url) is None
    finally:
        floor.stop()
    assert not floor.running


# --- cleanup when the process that started them ends ---------------------------------------------------------------

_CHILD = """
import signal, sys, time
from pathlib import Path
for sig in (signal.SIGTERM, signal.SIGHUP):  # as in a shell without nohup, whatever pytest inherited
    signal.signal(sig, signal.SIG_DFL)
from load_tests.procs import RedisServer
redis = RedisServer(Path(sys.argv[1]))
redis.start()
print(redis.pid, flush=True)
if sys.argv[2] == "wait":
    time.sleep(60)
"""


@pytest.mark.parametrize("how", ["exit", "SIGTERM", "SIGHUP"])
def test_children_are_killed_when_their_parent_exits_or_is_signalled(tmp_path: Path, how: str) -> None:
    mode = "exit" if how == "exit" else "wait"
    parent = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(tmp_path), mode],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert parent.stdout is not None
        ready, _, _ = select.select([parent.stdout], [], [], 30)
        line = parent.stdout.readline() if ready else b""
        assert line.strip().isdigit(), line
        child = int(line)
        if how != "exit":
            sig = getattr(signal, how)
            parent.send_signal(sig)
        assert parent.wait(30) == (0 if how == "exit" else -sig)
        assert eventually(lambda: gone(child))
    finally:
        if parent.poll() is None:
            os.killpg(parent.pid, signal.SIGKILL)
            parent.wait(5)


# --- CPU metering, and the floor's keys ----------------------------------------------------------------------------


def test_cpu_meter_counts_a_tree_and_keeps_a_dead_process_last_sample(tmp_path: Path) -> None:
    code = "import time\nwhile time.process_time() < 0.3: pass\nprint('done', flush=True)\ntime.sleep(60)"
    busy = Managed("busy", [sys.executable, "-c", code], {}, tmp_path)
    busy.start()
    try:
        meter = CpuMeter(lambda: [] if busy.pid is None else [busy.pid])
        meter.reset()
        assert eventually(lambda: "done" in busy.tail(), 30)
        meter.sample()
        used = meter.total()
        assert 0.15 <= used < 5 and meter.max_rss > 0
    finally:
        busy.kill()
    meter.sample()
    assert meter.total() == used


def test_delete_keys_removes_only_the_matching_keys(private_redis: RedisServer) -> None:
    client = redis.Redis.from_url(private_redis.url)
    try:
        client.mset({f"floor:123:{n}": b"x" for n in range(2500)})  # more than one scan batch
        client.set("lt-procs:{R1}:s:R1-1", b"session")
        assert delete_keys(private_redis.url, KEY_PATTERN) == 2500
        assert not list(client.scan_iter(match=KEY_PATTERN)) and client.get("lt-procs:{R1}:s:R1-1") == b"session"
        assert delete_keys(private_redis.url, KEY_PATTERN) == 0
    finally:
        client.delete("lt-procs:{R1}:s:R1-1")
        client.close()


def test_free_ports_lie_below_the_ephemeral_range_and_can_be_bound() -> None:
    """An outgoing connection cannot take the port between free_port and the child's bind (CI once saw a cluster
    node fail with "Address already in use" on a port the kernel had handed out)."""
    low, high = ephemeral_ports()
    assert 1024 <= low < high <= 65535
    ports = [free_port() for _ in range(50)]
    assert all(PORT_FLOOR <= port < low for port in ports), ports
    assert all(bindable(port) for port in ports)
    assert all(PORT_FLOOR <= free_port(below=PORT_FLOOR + 1500) < PORT_FLOOR + 1500 for _ in range(20))


def test_a_port_someone_listens_on_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", free_port()))
        sock.listen()
        taken = int(sock.getsockname()[1])
        assert not bindable(taken)
        candidates = iter([taken, taken, taken + 1])
        monkeypatch.setattr("load_tests.procs.random.randrange", lambda lo, hi: next(candidates))
        assert free_port() == taken + 1


def test_free_port_falls_back_to_the_kernel_when_the_range_leaves_no_room() -> None:
    low, high = ephemeral_ports()
    port = free_port(below=PORT_FLOOR + 10)
    assert low <= port <= high  # the kernel's pick, not one of the ten ports below the bound
    assert bindable(port)
