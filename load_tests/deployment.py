"""Where a run's traffic goes, and who sits where.

:class:`Deployment` is either started here (a private ``redis-server``, or a private Redis Cluster of 3 masters and 3
replicas (:class:`~load_tests.cluster.LocalCluster`), and ``instances`` x ``python server.py`` with ``workers``
processes each, all on free loopback ports) or a server already running on loopback (``--target``).
:func:`setup_rooms` creates the rooms and registers the examinees through the admin API.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .cluster import LocalCluster
from .procs import RedisServer, ServerProcess, listening_pids
from .redisdata import RedisData
from .scenarios import Scenario
from .target import AdminApi, cluster_nodes, loopback_redis_url, loopback_url

__all__ = ["Deployment", "Room", "Sitter", "setup_rooms"]

_REGISTER_CHUNK = 1000
#: ``CAT_KEY_PREFIX`` of the servers started here.
OWN_KEY_PREFIX = "lt"


@dataclass
class Sitter:
    """One registered examinee: position in the run, room, session, token and true ability."""

    index: int
    room: int
    session_id: str
    token: str
    theta: float


@dataclass
class Room:
    room_id: str
    proctor_token: str
    session_ids: list[str] = field(default_factory=list)


class Deployment:
    """The servers of a run: started here, or a running one on loopback.

    Parameters
    ----------
    scenario : Scenario
        Store, workers and instances of servers started here.
    workdir : Path
        Logs and Redis data.
    battery : Path
        The battery file the servers load.
    target, admin_token, redis_url : str, optional
        A running server (loopback only), its admin token and its Redis (for memory figures; ``redis://`` or
        ``redis+cluster://``).
    server_pids : sequence of int
        The running server's processes (found from its listening socket when empty).
    key_prefix : str, optional
        The target's ``CAT_KEY_PREFIX`` (default ``cat``); the servers started here use :data:`OWN_KEY_PREFIX`.
    """

    def __init__(
        self,
        scenario: Scenario,
        workdir: Path,
        battery: Path,
        *,
        target: str | None = None,
        admin_token: str | None = None,
        redis_url: str | None = None,
        server_pids: Sequence[int] = (),
        key_prefix: str | None = None,
    ) -> None:
        self.scenario = scenario
        self.workdir = workdir
        self.battery = battery
        self.target = target
        self.redis: RedisServer | None = None
        self.cluster: LocalCluster | None = None
        self.key_prefix = OWN_KEY_PREFIX if target is None else key_prefix or "cat"
        self.servers: list[ServerProcess] = []
        self.redis_url = redis_url
        self.base_urls: list[str] = []
        self.admin = AdminApi("", admin_token or "")
        self._target_pids = list(server_pids)

    @property
    def store(self) -> str:
        if self.redis_url:
            return "cluster" if cluster_nodes(self.redis_url) is not None else "redis"
        return "unknown" if self.target is not None else "memory"

    def start(self) -> None:
        """Start the servers (or check the target), and wait until they answer ``/healthz``."""
        if self.target is not None:
            base = loopback_url(self.target)
            self.admin = AdminApi(base, self.admin.token)
            if not self.admin.healthy():
                raise RuntimeError(f"{base}/healthz does not answer 200")
            self.base_urls = [base]
            self.redis_url = loopback_redis_url(self.redis_url) if self.redis_url else None
            if not self._target_pids:
                self._target_pids = listening_pids(int(base.rsplit(":", 1)[1]) if base.count(":") == 2 else 80)
            return
        sc = self.scenario
        token = secrets.token_urlsafe(24)
        if sc.store == "redis":
            self.redis = RedisServer(self.workdir)
            self.redis.start()
            self.redis_url = self.redis.url
        elif sc.store == "cluster":
            self.cluster = LocalCluster(
                self.workdir / "cluster", masters=3, replicas_per_master=1, node_timeout_ms=sc.node_timeout_ms
            )
            self.cluster.start()
            self.redis_url = self.cluster.url
        for i in range(sc.instances):
            server = ServerProcess(
                self.workdir,
                token,
                redis_url=self.redis_url,
                workers=sc.workers,
                key_prefix=self.key_prefix,
                battery=self.battery,
                demo_room=False,
                env=dict(sc.server_env),
                index=i,
            )
            server.start()
            self.servers.append(server)
        self.base_urls = [s.base_url for s in self.servers]
        self.admin = AdminApi(self.base_urls[0], token)

    @property
    def workers(self) -> int:
        """Server processes in all (1 per instance for a target whose workers are not known)."""
        return self.scenario.workers * len(self.servers) if self.servers else max(len(self._target_pids), 1)

    def server_pids(self) -> list[int]:
        if self.target is not None:
            return self._target_pids
        return [pid for s in self.servers if (pid := s.pid) is not None]

    def redis_pids(self) -> list[int]:
        """The Redis processes started here: the one ``redis-server``, or every running node of the cluster."""
        if self.cluster is not None:
            return [pid for node in self.cluster.nodes if (pid := node.pid) is not None]
        return [pid] if self.redis is not None and (pid := self.redis.pid) is not None else []

    def redis_data(self) -> RedisData | None:
        """A reader of the run's Redis (one server or the cluster; None without Redis)."""
        return None if self.redis_url is None else RedisData(self.redis_url)

    def redis_memory(self) -> int | None:
        """Redis ``used_memory`` in bytes, summed over the masters of a cluster (None without Redis)."""
        data = self.redis_data()
        if data is None:
            return None
        with data:
            return data.used_memory()

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        if self.redis is not None:
            self.redis.stop()
        if self.cluster is not None:
            self.cluster.stop()


def setup_rooms(
    admin: AdminApi, battery_id: str, thetas: Sequence[float] | npt.NDArray[np.float64], n_rooms: int
) -> tuple[list[Room], list[Sitter]]:
    """Create ``n_rooms`` rooms and register the examinees in blocks, one block per room, in examinee order."""
    rooms: list[Room] = []
    sitters: list[Sitter] = []
    blocks = np.array_split(np.arange(len(thetas)), max(min(n_rooms, len(thetas)), 1))
    stamp = secrets.token_hex(3)
    for r, block in enumerate(blocks):
        created = admin.create_room(f"Uji beban {r + 1}", battery_id)
        room = Room(created["room_id"], created["proctor_token"])
        rooms.append(room)
        for start in range(0, len(block), _REGISTER_CHUNK):
            part = [int(i) for i in block[start : start + _REGISTER_CHUNK]]
            people = [(f"LT{stamp}{i:06d}", f"Peserta Uji {i + 1}") for i in part]
            for i, cand in zip(part, admin.register(room.room_id, people), strict=True):
                sitters.append(Sitter(i, r, cand["session_id"], cand["token"], float(thetas[i])))
                room.session_ids.append(cand["session_id"])
    return rooms, sitters
