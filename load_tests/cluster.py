"""A private local Redis Cluster (3 masters + 3 replicas by default) on free loopback ports, for tests and load tests.

* :class:`ClusterNode` - one ``redis-server`` in cluster mode with :data:`~load_tests.procs.REDIS_SETTINGS`, on
  127.0.0.1 only, its data, ``nodes.conf`` and log in a directory of its own; a :class:`~load_tests.procs.Managed`
  child, so it dies with this process whatever happens.
* :class:`LocalCluster` - the nodes, ``redis-cli --cluster create``, and what a failover test needs: which master
  serves a key or slot, which replica follows a master, :meth:`~LocalCluster.kill` (a crash),
  :meth:`~LocalCluster.wait_failover`, :meth:`~LocalCluster.restart` (the node rejoins, as a replica when its slots
  were taken over), and the ``redis+cluster://`` URL the server accepts.
* :func:`key_slot` - the cluster hash slot of a key (CRC16-XMODEM modulo 16384, with the ``{...}`` hash-tag rule),
  computed here, so a test can pick keys per master without asking a node.
* :func:`cluster_available` - why a cluster cannot be started here (None when it can).

Invariants:

* Never the shared Redis on 127.0.0.1:6379: every node runs on a free port whose cluster bus port (``port +
  10000``) was free too; 6379 is refused.
* Every wait is bounded by its ``timeout``; every call to a node by a 2 s socket timeout; ``redis-cli`` by the time
  left of :meth:`LocalCluster.start`.
* Talking to the nodes goes through the synchronous :mod:`redis` client, one short-lived connection per call.
* The nodes run with the production settings plus ``repl-diskless-sync-delay 0`` (a replica's full sync starts at
  once, not 5 s later), and :meth:`ClusterNode.stop` repeats its SIGTERM until the node exits: Redis ignores one
  that comes while it writes its initial AOF, as a replica does right after a full sync.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import redis

from .procs import REDIS_SETTINGS, SHARED_REDIS_PORT, Managed, bindable, ephemeral_ports, free_port, wait_until

__all__ = [
    "BUS_PORT_OFFSET",
    "SLOTS",
    "ClusterNode",
    "LocalCluster",
    "NodeEntry",
    "SlotRange",
    "cluster_available",
    "cluster_port",
    "crc16",
    "key_slot",
]

#: The number of hash slots of a Redis Cluster.
SLOTS = 16384
#: The cluster bus of a node listens on its port plus this (unless ``cluster-port`` says otherwise; not used here).
BUS_PORT_OFFSET = 10000
_CALL_TIMEOUT_S = 2.0
_MIN_REDIS_MAJOR = 6  # ``redis-cli --cluster create ... --cluster-yes``


# --- hash slots ----------------------------------------------------------------------------------------------


def _crc16_table() -> tuple[int, ...]:
    """The lookup table of CRC16-XMODEM (polynomial 0x1021, initial value 0), one entry per byte value."""
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = (crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1
        table.append(crc & 0xFFFF)
    return tuple(table)


_CRC16 = _crc16_table()


def crc16(data: bytes) -> int:
    """CRC16-XMODEM of ``data``, the checksum of Redis Cluster key hashing (``crc16(b"123456789") == 0x31C3``)."""
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16[((crc >> 8) ^ byte) & 0xFF]
    return crc


def key_slot(key: str | bytes) -> int:
    """The hash slot of ``key``, as ``CLUSTER KEYSLOT`` computes it.

    Parameters
    ----------
    key : str or bytes
        The key; a str is hashed as its UTF-8 bytes.

    Returns
    -------
    int
        ``crc16(part) % 16384``, where ``part`` is the text between the first ``{`` and the first ``}`` after it
        when that text is not empty (the hash tag: ``cat:{ABC123}:room`` hashes ``ABC123``), the whole key
        otherwise (``{}``, ``foo{`` and ``foo}{`` have no hash tag; ``a{b}c{d}`` hashes ``b``).
    """
    data = key.encode() if isinstance(key, str) else key
    start = data.find(b"{")
    if start != -1:
        end = data.find(b"}", start + 1)
        if end > start + 1:
            data = data[start + 1 : end]
    return crc16(data) % SLOTS


# --- availability --------------------------------------------------------------------------------------------


def _binary(name: str) -> str | None:
    """The path of the executable ``name`` (on PATH, or in /usr/bin), None when there is none."""
    found = shutil.which(name)
    if found is not None:
        return found
    fallback = Path("/usr/bin") / name
    return str(fallback) if fallback.exists() else None


def cluster_available() -> str | None:
    """Why a :class:`LocalCluster` cannot be started here, or None when it can.

    Returns
    -------
    str or None
        ``redis-server`` or ``redis-cli`` missing, or a ``redis-server`` older than 6 (no ``--cluster-yes``);
        None when both are there.
    """
    missing = [name for name in ("redis-server", "redis-cli") if _binary(name) is None]
    if missing:
        return f"{' and '.join(missing)} not found (Debian: apt-get install redis-server redis-tools)"
    server = _binary("redis-server")
    assert server is not None
    try:
        out = subprocess.run(
            [server, "--version"], capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"{server} --version failed: {err!r}"
    found = re.search(r"v=(\d+)\.", out)
    if found is not None and int(found.group(1)) < _MIN_REDIS_MAJOR:
        return f"redis-server {found.group(0)[2:]}x is too old for redis-cli --cluster create --cluster-yes"
    return None


# --- ports ---------------------------------------------------------------------------------------------------


def cluster_port(avoid: Iterable[int] = (), attempts: int = 200) -> int:
    """A free loopback port whose cluster bus port (``port + 10000``) is free too, not in ``avoid``.

    Raises
    ------
    RuntimeError
        When ``attempts`` candidates from :func:`~load_tests.procs.free_port` all failed.
    """
    taken = set(avoid)
    below = ephemeral_ports()[0] - BUS_PORT_OFFSET  # the bus port out of the ephemeral range too
    for _ in range(attempts):
        port = free_port(below=below)
        bus = port + BUS_PORT_OFFSET
        if port in taken or bus in taken or bus > 65535 or SHARED_REDIS_PORT in (port, bus):
            continue
        if bindable(bus):
            return port
    raise RuntimeError(f"no free port pair (port, port + {BUS_PORT_OFFSET}) on 127.0.0.1 in {attempts} attempts")


# --- one node ------------------------------------------------------------------------------------------------


class SlotRange(NamedTuple):
    """One range of ``CLUSTER SLOTS``: slots ``start`` to ``end`` (inclusive), served by the node on port
    ``master``, followed by the nodes on ``replicas`` (as ``CLUSTER SLOTS`` lists them: Redis 7 leaves out a replica
    that has not reported a replication offset yet; :meth:`LocalCluster.replicas_of` reads ``CLUSTER NODES``)."""

    start: int
    end: int
    master: int
    replicas: tuple[int, ...]


class NodeEntry(NamedTuple):
    """One line of ``CLUSTER NODES``."""

    node_id: str
    port: int
    flags: frozenset[str]
    master_id: str | None
    link_connected: bool


def _addr_port(addr: str) -> int:
    """The port of a ``CLUSTER NODES`` address, ``ip:port@cport[,hostname]``."""
    return int(addr.split("@", 1)[0].rsplit(":", 1)[1])


def _call(port: int, *args: Any) -> Any:
    """``args`` as one command to the Redis on 127.0.0.1:``port``, on a connection of its own (replies decoded).

    The command name is sent as separate words (``"CLUSTER", "SLOTS"``), so redis-py parses nothing: the reply is
    what the server sent (a str for bulk strings, lists, ints).
    """
    client = redis.Redis(
        host="127.0.0.1",
        port=port,
        socket_timeout=_CALL_TIMEOUT_S,
        socket_connect_timeout=_CALL_TIMEOUT_S,
        decode_responses=True,
    )
    try:
        return client.execute_command(*args)  # type: ignore[no-untyped-call]
    finally:
        client.close()


class ClusterNode(Managed):
    """One ``redis-server`` with ``--cluster-enabled yes`` on 127.0.0.1:``port`` (a free one by default, never
    6379) and :data:`~load_tests.procs.REDIS_SETTINGS`.

    Its data is in ``workdir/data``, its cluster configuration in ``workdir/nodes.conf`` and its log in
    ``workdir/<name>.log``. :meth:`stop` is a graceful shutdown, :meth:`kill` a crash; :meth:`start` after either
    brings the same node (same id, same port, same data) back; it rejoins its cluster from ``nodes.conf``.

    Parameters
    ----------
    workdir : Path
        The node's own directory (created on start).
    port : int, optional
        The client port; by default a free one whose bus port (``port + 10000``) is free too.
    node_timeout_ms : int
        ``cluster-node-timeout``: how long a node may not answer before it is taken as failing.
    name : str, optional
        The name of the child (and of its log file); ``redis-<port>`` by default.
    """

    def __init__(
        self, workdir: Path, port: int | None = None, *, node_timeout_ms: int = 1000, name: str | None = None
    ) -> None:
        binary = _binary("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found (Debian: apt-get install redis-server)")
        self._port = port if port is not None else cluster_port()
        if self._port == SHARED_REDIS_PORT:
            raise ValueError(f"port {SHARED_REDIS_PORT} is the shared Redis: the harness starts its own elsewhere")
        workdir = workdir.resolve()  # redis-server runs in workdir: a relative --dir would be taken from there
        self.data_dir = workdir / "data"
        self.config_file = workdir / "nodes.conf"
        self.node_timeout_ms = node_timeout_ms
        argv = [binary, "--port", str(self._port), "--bind", "127.0.0.1", "--protected-mode", "yes"]
        argv += ["--dir", str(self.data_dir), "--daemonize", "no"]
        argv += ["--cluster-enabled", "yes", "--cluster-config-file", str(self.config_file)]
        argv += ["--cluster-node-timeout", str(node_timeout_ms)]
        # a replica's full sync starts at once, not after the default 5 s wait for more replicas to share it
        argv += ["--repl-diskless-sync-delay", "0"]
        for key, value in REDIS_SETTINGS.items():
            argv += [f"--{key}", value]
        super().__init__(name or f"redis-{self._port}", argv, os.environ, workdir, cwd=workdir)

    @property
    def port(self) -> int:
        """The client port."""
        return self._port

    @property
    def bus_port(self) -> int:
        """The cluster bus port (``port + 10000``)."""
        return self._port + BUS_PORT_OFFSET

    @property
    def addr(self) -> str:
        """``127.0.0.1:<port>``, as ``redis-cli --cluster`` and cluster URLs name a node."""
        return f"127.0.0.1:{self._port}"

    def __repr__(self) -> str:
        return f"ClusterNode({self.addr}, {'running' if self.running else 'down'})"

    def start(self, timeout: float = 10.0) -> None:
        """Start, and wait until PING answers PONG (after the AOF is loaded).

        Raises
        ------
        RuntimeError
            When it does not answer within ``timeout`` seconds or exits first (with the tail of its log).
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.spawn()
        self._wait(self._ping, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Shut down gracefully (SIGTERM: Redis fsyncs its AOF first), SIGKILL after ``timeout`` seconds.

        Redis refuses a SIGTERM while it writes its initial AOF ("Writing initial AOF, can't exit": a replica just
        after a full sync) and does not retry, so the SIGTERM is repeated every 0.2 s until the node exits.
        """
        deadline = time.monotonic() + timeout
        while self.proc is not None and self.running and time.monotonic() < deadline:
            self._signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(min(0.2, max(deadline - time.monotonic(), 0.01)))
        super().stop(timeout=0.0)  # SIGKILL when it still runs; forget it either way

    def _ping(self) -> str | None:
        try:
            reply = _call(self._port, "PING")
        except (redis.RedisError, OSError) as err:
            return repr(err)
        return None if reply in (True, "PONG") else repr(reply)

    def command(self, *args: Any) -> Any:
        """Send one command (its words as separate arguments: ``node.command("CLUSTER", "KEYSLOT", key)``) and
        return the raw, decoded reply; :class:`redis.RedisError` or OSError when the node does not answer."""
        return _call(self._port, *args)

    def cluster_info(self) -> dict[str, str]:
        """``CLUSTER INFO`` as a dict (``cluster_state``, ``cluster_slots_ok``, ...)."""
        text = str(self.command("CLUSTER", "INFO"))
        pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
        return {k.strip(): v.strip() for k, v in pairs}

    def cluster_slots(self) -> list[SlotRange]:
        """``CLUSTER SLOTS`` as this node sees it, sorted by first slot."""
        out = []
        for entry in self.command("CLUSTER", "SLOTS"):
            start, end, master, *replicas = entry
            out.append(SlotRange(int(start), int(end), int(master[1]), tuple(int(r[1]) for r in replicas)))
        return sorted(out)

    def cluster_nodes(self) -> list[NodeEntry]:
        """``CLUSTER NODES`` as this node sees it (every node it knows, failed ones too)."""
        out = []
        for line in str(self.command("CLUSTER", "NODES")).splitlines():
            cols = line.split()
            if len(cols) < 8:
                continue
            out.append(
                NodeEntry(
                    node_id=cols[0],
                    port=_addr_port(cols[1]),
                    flags=frozenset(cols[2].split(",")),
                    master_id=None if cols[3] == "-" else cols[3],
                    link_connected=cols[7] == "connected",
                )
            )
        return out

    def node_id(self) -> str:
        """The node's cluster id (``CLUSTER MYID``)."""
        return str(self.command("CLUSTER", "MYID"))

    def role(self) -> str:
        """``master`` or ``slave``, as ``ROLE`` says now."""
        return str(self.command("ROLE")[0])

    def info(self, section: str) -> dict[str, Any]:
        """``INFO section`` as redis-py parses it: numbers as int or float, ``slave0`` and the like as dicts."""
        reply = self.command("INFO", section)
        if not isinstance(reply, dict):
            raise redis.ResponseError(f"INFO {section} answered {reply!r}")
        return reply


# --- the cluster ---------------------------------------------------------------------------------------------


class LocalCluster:
    """A private Redis Cluster of ``masters * (1 + replicas_per_master)`` :class:`ClusterNode` on 127.0.0.1.

    Node ``i`` lives in ``workdir/node<i>`` (data, ``nodes.conf``, log). The ports are chosen here, once: a
    :meth:`stop` then :meth:`start` brings the same cluster back from its ``nodes.conf`` files instead of creating
    a new one.

    Parameters
    ----------
    workdir : Path
        The cluster's directory.
    masters : int
        How many masters share the 16384 slots (``redis-cli --cluster create`` needs at least 3).
    replicas_per_master : int
        How many replicas follow each master.
    node_timeout_ms : int
        ``cluster-node-timeout`` of every node: a master that does not answer that long is failed over (about
        twice that, plus the replica's election delay of 0.5-1 s, in all).

    Examples
    --------
    >>> cluster = LocalCluster(tmp_path)                      # doctest: +SKIP
    >>> cluster.start()                                       # doctest: +SKIP
    >>> dead = cluster.master_of_key("cat:{ABC123}:room")     # doctest: +SKIP
    >>> cluster.kill(dead); cluster.wait_failover(dead)       # doctest: +SKIP
    2.4
    >>> cluster.restart(dead); cluster.stop()                 # doctest: +SKIP
    """

    def __init__(
        self, workdir: Path, masters: int = 3, replicas_per_master: int = 1, node_timeout_ms: int = 1000
    ) -> None:
        if masters < 3:
            raise ValueError("a Redis Cluster needs at least 3 masters")
        if replicas_per_master < 0:
            raise ValueError("replicas_per_master must be >= 0")
        self.workdir = workdir.resolve()
        self.masters_wanted = masters
        self.replicas_per_master = replicas_per_master
        self.node_timeout_ms = node_timeout_ms
        ports: list[int] = []
        for _ in range(masters * (1 + replicas_per_master)):
            ports.append(cluster_port(avoid=ports))
        self._nodes = [
            ClusterNode(self.workdir / f"node{i}", port, node_timeout_ms=node_timeout_ms, name=f"node{i}")
            for i, port in enumerate(ports)
        ]
        self._by_port = {node.port: node for node in self._nodes}
        self._seeds: list[ClusterNode] = []
        self._killed: dict[int, tuple[float, list[tuple[int, int]]]] = {}  # port -> (when, slot ranges it served)
        #: Seconds the last :meth:`start` took (nodes, ``--cluster create`` and agreement), None before.
        self.started_in: float | None = None

    # --- what it is --------------------------------------------------------------------------------------------

    @property
    def nodes(self) -> list[ClusterNode]:
        """All nodes, running or not, in creation order."""
        return list(self._nodes)

    @property
    def url(self) -> str:
        """``redis+cluster://127.0.0.1:p1,127.0.0.1:p2,...``: the masters right after :meth:`start` (any node
        seeds a cluster client; this list does not change after a failover)."""
        if not self._seeds:
            raise RuntimeError("the cluster is not started")
        return "redis+cluster://" + ",".join(node.addr for node in self._seeds)

    @property
    def log_files(self) -> list[Path]:
        """The log file of every node."""
        return [node.log for node in self._nodes]

    def node_at(self, port: int) -> ClusterNode:
        """The node on ``port``; LookupError when it is not one of this cluster's."""
        try:
            return self._by_port[port]
        except KeyError:
            raise LookupError(f"no node of this cluster on port {port}") from None

    def live_nodes(self) -> list[ClusterNode]:
        """The nodes whose process runs."""
        return [node for node in self._nodes if node.running]

    # --- start and stop ----------------------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> None:
        """Start every node, create the cluster, and wait until it is ok (:meth:`wait_ok`) and every master has
        its replicas online (:meth:`wait_replicas`), so a ``WAIT 1`` is answered at once.

        When every node already has a ``nodes.conf`` (this cluster was started and stopped before), the nodes
        rejoin from it and nothing is created.

        Raises
        ------
        RuntimeError
            When a node does not start, ``redis-cli --cluster create`` fails, or the cluster is not ok within
            ``timeout`` seconds; every node is stopped then, their logs stay in ``workdir``.
        """
        began = time.monotonic()
        deadline = began + timeout
        configured = [node.config_file.exists() for node in self._nodes]
        if any(configured) and not all(configured):
            raise RuntimeError(f"{self.workdir} holds part of another cluster (some nodes.conf): use a fresh workdir")
        try:
            for node in self._nodes:
                if not node.running:
                    node.start(timeout=max(deadline - time.monotonic(), 1.0))
            if not all(configured):
                self._create(deadline)
            self.wait_ok(max(deadline - time.monotonic(), 1.0))
            self.wait_replicas(max(deadline - time.monotonic(), 1.0))
        except BaseException:
            self.stop()
            raise
        self._seeds = self.masters()
        self._killed.clear()
        self.started_in = time.monotonic() - began

    def _create(self, deadline: float) -> None:
        """``redis-cli --cluster create <every addr> --cluster-replicas N --cluster-yes``, bounded by ``deadline``."""
        cli = _binary("redis-cli")
        if cli is None:
            raise RuntimeError("redis-cli not found (Debian: apt-get install redis-tools)")
        argv = [cli, "--cluster", "create", *(node.addr for node in self._nodes)]
        argv += ["--cluster-replicas", str(self.replicas_per_master), "--cluster-yes"]
        log = self.workdir / "cluster-create.log"
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                timeout=max(deadline - time.monotonic(), 1.0),
                check=False,
            )
        except subprocess.TimeoutExpired as err:
            output = err.stdout if isinstance(err.stdout, str) else ""
            log.write_text(output)
            raise RuntimeError(f"redis-cli --cluster create did not finish in time; its output is in {log}") from None
        log.write_text(done.stdout + done.stderr)
        if done.returncode != 0:
            tail = (done.stdout + done.stderr)[-4000:]
            raise RuntimeError(f"redis-cli --cluster create exited with {done.returncode}:\n{tail}")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every node gracefully (SIGTERM, all at once; SIGKILL after ``timeout`` seconds)."""
        with ThreadPoolExecutor(max_workers=len(self._nodes)) as pool:
            list(pool.map(lambda node: node.stop(timeout), self._nodes))

    def __enter__(self) -> LocalCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- state -------------------------------------------------------------------------------------------------

    def _not_ok(self) -> str | None:
        """None when every live node reports ``cluster_state:ok`` with all slots ok, and all of them agree on
        which live master serves which slots; else why not."""
        live = self.live_nodes()
        if not live:
            return "no node runs"
        views: dict[int, list[tuple[int, int, int]]] = {}
        for node in live:
            try:
                info = node.cluster_info()
                slots = node.cluster_slots()
            except (redis.RedisError, OSError) as err:
                return f"{node.addr}: {err!r}"
            if info.get("cluster_state") != "ok":
                return f"{node.addr}: cluster_state:{info.get('cluster_state')}"
            if info.get("cluster_slots_ok") != str(SLOTS):
                return f"{node.addr}: cluster_slots_ok:{info.get('cluster_slots_ok')}"
            views[node.port] = [(r.start, r.end, r.master) for r in slots]
        first_port, first = next(iter(views.items()))
        for port, view in views.items():
            if view != first:
                return f"127.0.0.1:{port} and 127.0.0.1:{first_port} disagree on the slots"
        if sum(end - start + 1 for start, end, _ in first) != SLOTS:
            return "not every slot is assigned"
        for _, _, master in first:
            if master not in self._by_port or not self._by_port[master].running:
                return f"slots served by 127.0.0.1:{master}, which is down"
        return None

    def wait_ok(self, timeout: float = 30.0) -> None:
        """Wait until every live node reports ``cluster_state:ok`` and ``cluster_slots_ok:16384`` and all agree on
        which live master serves each slot.

        Raises
        ------
        RuntimeError
            When that is not so within ``timeout`` seconds (naming the last reason).
        """
        wait_until(self._not_ok, timeout, f"the cluster in {self.workdir}", interval=0.1)

    def _replicas_missing(self) -> str | None:
        """None when every master has ``replicas_per_master`` replicas online (``INFO replication``) and the
        cluster's view lists them (``CLUSTER NODES``, which the replica lookups read; gossip may lag behind)."""
        try:
            masters = self.masters()
            for master in masters:
                info = master.info("replication")
                online = [
                    value
                    for key, value in info.items()
                    if re.fullmatch(r"slave\d+", key) and isinstance(value, dict) and value.get("state") == "online"
                ]
                if len(online) < self.replicas_per_master:
                    return f"{master.addr} has {len(online)} replicas online"
                listed = self.replicas_of(master)
                if len(listed) < self.replicas_per_master:
                    return f"{master.addr} has {len(listed)} replicas in CLUSTER NODES"
        except (redis.RedisError, OSError, RuntimeError, LookupError) as err:
            return repr(err)
        return None

    def wait_replicas(self, timeout: float = 30.0) -> None:
        """Wait until every master has ``replicas_per_master`` replicas online (synced, streaming its writes).

        Raises
        ------
        RuntimeError
            When that is not so within ``timeout`` seconds.
        """
        wait_until(self._replicas_missing, timeout, f"the replicas of the cluster in {self.workdir}", interval=0.1)

    def _view(self) -> tuple[ClusterNode, list[SlotRange]]:
        """A live node that answers (one reporting ``cluster_state:ok`` first) and its ``CLUSTER SLOTS``."""
        fallback: tuple[ClusterNode, list[SlotRange]] | None = None
        errors = []
        for node in self.live_nodes():
            try:
                slots = node.cluster_slots()
                if node.cluster_info().get("cluster_state") == "ok":
                    return node, slots
            except (redis.RedisError, OSError) as err:
                errors.append(f"{node.addr}: {err!r}")
                continue
            if fallback is None:
                fallback = (node, slots)
        if fallback is None:
            raise RuntimeError(f"no node of the cluster answers ({'; '.join(errors) or 'none runs'})")
        return fallback

    def slot_ranges(self) -> list[SlotRange]:
        """``CLUSTER SLOTS`` of a live node (one reporting ``cluster_state:ok`` when there is one)."""
        return self._view()[1]

    def masters(self) -> list[ClusterNode]:
        """The nodes serving slots now (by :meth:`slot_ranges`), in the order of their first slot."""
        out: list[ClusterNode] = []
        for r in self.slot_ranges():
            node = self.node_at(r.master)
            if node not in out:
                out.append(node)
        return out

    def master_of_slot(self, slot: int) -> ClusterNode:
        """The node serving ``slot`` now, by ``CLUSTER SLOTS`` of a live node; LookupError when it is unassigned."""
        if not 0 <= slot < SLOTS:
            raise ValueError(f"slot {slot} is not in 0..{SLOTS - 1}")
        for r in self.slot_ranges():
            if r.start <= slot <= r.end:
                return self.node_at(r.master)
        raise LookupError(f"slot {slot} is not assigned")

    def master_of_key(self, key: str | bytes) -> ClusterNode:
        """The node serving ``key`` now (its :func:`key_slot`)."""
        return self.master_of_slot(key_slot(key))

    def replicas_of(self, master: ClusterNode) -> list[ClusterNode]:
        """The nodes replicating ``master`` by ``CLUSTER NODES`` of a live node (of ``master`` itself when it
        runs), those not flagged failing first."""
        asked = [master] if master.running else []
        asked += [node for node in self.live_nodes() if node is not master]
        for node in asked:
            try:
                entries = node.cluster_nodes()
            except (redis.RedisError, OSError):
                continue
            ids = [e.node_id for e in entries if e.port == master.port]
            if not ids:
                continue
            followers = [e for e in entries if e.master_id == ids[0] and "slave" in e.flags]
            followers.sort(key=lambda e: bool(e.flags & {"fail", "fail?"}))
            return [self.node_at(e.port) for e in followers if e.port in self._by_port]
        raise RuntimeError(f"no live node knows {master.addr}")

    def replica_of(self, master: ClusterNode) -> ClusterNode:
        """The (first) replica of ``master``; LookupError when it has none."""
        found = self.replicas_of(master)
        if not found:
            raise LookupError(f"{master.addr} has no replica")
        return found[0]

    def used_memory_total(self) -> int:
        """The sum of ``INFO memory`` ``used_memory`` over the live masters, in bytes."""
        total = 0
        for node in self.masters():
            if node.running:
                total += int(node.info("memory")["used_memory"])
        return total

    # --- failures ----------------------------------------------------------------------------------------------

    def kill(self, node: ClusterNode) -> None:
        """SIGKILL ``node`` (a crash); the slots it served and the time are kept for :meth:`wait_failover`."""
        try:
            served = [(r.start, r.end) for r in self.slot_ranges() if r.master == node.port]
        except RuntimeError:
            served = []
        node.kill()
        self._killed[node.port] = (time.monotonic(), served)

    def _failover_pending(self, dead: ClusterNode, served: list[tuple[int, int]]) -> str | None:
        """None when some live node reports ``cluster_state:ok`` and, in its view, each slot ``dead`` served is
        served by a live master that itself reports ``cluster_state:ok`` and serving it."""
        why = "no live node"
        for node in self.live_nodes():
            try:
                if node.cluster_info().get("cluster_state") != "ok":
                    why = f"{node.addr}: cluster_state is not ok"
                    continue
                ranges = node.cluster_slots()
            except (redis.RedisError, OSError) as err:
                why = f"{node.addr}: {err!r}"
                continue
            owners = self._owners(ranges, served)
            if owners is None or dead.port in owners:
                why = f"{node.addr}: the slots of {dead.addr} are not served by another master"
                continue
            for port in owners:
                owner = self._by_port.get(port)
                if owner is None or not owner.running:
                    why = f"{node.addr}: slots of {dead.addr} are served by 127.0.0.1:{port}, which is down"
                    break
                try:
                    if owner.cluster_info().get("cluster_state") != "ok" or self._owners(
                        owner.cluster_slots(), served
                    ) != {port}:
                        why = f"the new master {owner.addr} does not confirm"
                        break
                except (redis.RedisError, OSError) as err:
                    why = f"{owner.addr}: {err!r}"
                    break
            else:
                return None
        return why

    @staticmethod
    def _owners(ranges: list[SlotRange], served: list[tuple[int, int]]) -> set[int] | None:
        """The ports serving the slot ranges ``served`` in ``ranges``; None when one of those slots is unassigned."""
        owners: set[int] = set()
        for start, end in served:
            covered = 0
            for r in ranges:
                lo, hi = max(start, r.start), min(end, r.end)
                if lo <= hi:
                    covered += hi - lo + 1
                    owners.add(r.master)
            if covered != end - start + 1:
                return None
        return owners

    def wait_failover(self, dead: ClusterNode, timeout: float = 30.0) -> float:
        """Wait until the slots ``dead`` served are served by a live master again.

        Parameters
        ----------
        dead : ClusterNode
            A node stopped by :meth:`kill` (or otherwise: then the slots it serves in the current view count).
        timeout : float
            Seconds to wait at most.

        Returns
        -------
        float
            Seconds from the :meth:`kill` of ``dead`` (from this call when it was not killed by :meth:`kill`) until
            some live node reported ``cluster_state:ok`` with each of those slots served by a live master that
            confirms it (``cluster_state:ok`` and the slots in its own view): the failover time. Before it
            returns, it also waits (within ``timeout``) until every live node agrees (:meth:`wait_ok`), so what
            is read from any node afterwards (:meth:`master_of_key`, ...) shows the new master.

        Raises
        ------
        RuntimeError
            When that is not so within ``timeout`` seconds.
        """
        began, served = self._killed.get(dead.port, (time.monotonic(), []))
        if dead.port not in self._killed:
            served = [(r.start, r.end) for r in self.slot_ranges() if r.master == dead.port]
        deadline = time.monotonic() + timeout
        wait_until(lambda: self._failover_pending(dead, served), timeout, f"the failover of {dead.addr}", interval=0.05)
        took = time.monotonic() - began
        # the other nodes learn the new master by gossip a little later: wait for all of them (wait_ok)
        self.wait_ok(max(deadline - time.monotonic(), 0.1))
        return took

    def restart(self, node: ClusterNode, timeout: float = 30.0) -> None:
        """Start ``node`` again on its port, data and ``nodes.conf`` (stopped gracefully first when it runs), and
        wait until it has rejoined.

        Rejoined: :meth:`wait_ok` (the node included), and, when it serves no slots (its slots were failed over:
        it comes back as a replica of their new master), ``role:slave`` with ``master_link_status:up`` and every
        live node listing it as a replica.

        Raises
        ------
        RuntimeError
            When the node does not start, or has not rejoined within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        if node.running:
            node.stop()
        node.start(timeout=max(deadline - time.monotonic(), 1.0))
        self._killed.pop(node.port, None)
        self.wait_ok(max(deadline - time.monotonic(), 1.0))
        if node in self.masters():
            return
        wait_until(
            lambda: self._replica_pending(node),
            max(deadline - time.monotonic(), 1.0),
            f"{node.addr} as a replica",
            node.proc,
            interval=0.1,
        )

    def _replica_pending(self, node: ClusterNode) -> str | None:
        """None when ``node`` is a replica whose link to its master is up, and every live node lists it as a
        replica (not failing) in ``CLUSTER NODES``."""
        try:
            info = node.info("replication")
            if info.get("role") != "slave" or info.get("master_link_status") != "up":
                return f"role:{info.get('role')} master_link_status:{info.get('master_link_status')}"
            for other in self.live_nodes():
                entry = next((e for e in other.cluster_nodes() if e.port == node.port), None)
                if entry is None or "slave" not in entry.flags or entry.flags & {"fail", "fail?"}:
                    return f"{other.addr} sees {node.addr} as {entry.flags if entry else 'unknown'}"
        except (redis.RedisError, OSError) as err:
            return repr(err)
        return None
