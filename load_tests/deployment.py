"""Where a run's traffic goes, and who sits where.

:class:`Deployment` is either started here (a private ``redis-server`` and ``instances`` x ``python server.py``
with ``workers`` processes each, all on free loopback ports) or a server already running on loopback
(``--target``). :func:`setup_rooms` creates the rooms and registers the examinees through the admin API.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .procs import RedisServer, ServerProcess, listening_pids, redis_info
from .scenarios import Scenario
from .target import AdminApi, loopback_url

__all__ = ["Deployment", "Room", "Sitter", "setup_rooms"]

_REGISTER_CHUNK = 1000


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
        A running server (loopback only), its admin token and its Redis (for memory figures).
    server_pids : sequence of int
        The running server's processes (found from its listening socket when empty).
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
    ) -> None:
        self.scenario = scenario
        self.workdir = workdir
        self.battery = battery
        self.target = target
        self.redis: RedisServer | None = None
        self.servers: list[ServerProcess] = []
        self.redis_url = redis_url
        self.base_urls: list[str] = []
        self.admin = AdminApi("", admin_token or "")
        self._target_pids = list(server_pids)

    @property
    def store(self) -> str:
        if self.target is not None:
            return "redis" if self.redis_url else "unknown"
        return "redis" if self.redis_url else "memory"

    def start(self) -> None:
        """Start the servers (or check the target), and wait until they answer ``/healthz``."""
        if self.target is not None:
            base = loopback_url(self.target)
            self.admin = AdminApi(base, self.admin.token)
            if not self.admin.healthy():
                raise RuntimeError(f"{base}/healthz does not answer 200")
            self.base_urls = [base]
            self.redis_url = loopback_url(self.redis_url, ("redis",)) if self.redis_url else None
            if not self._target_pids:
                self._target_pids = listening_pids(int(base.rsplit(":", 1)[1]) if base.count(":") == 2 else 80)
            return
        sc = self.scenario
        token = secrets.token_urlsafe(24)
        if sc.store == "redis":
            self.redis = RedisServer(self.workdir)
            self.redis.start()
            self.redis_url = self.redis.url
        for i in range(sc.instances):
            server = ServerProcess(
                self.workdir,
                token,
                redis_url=self.redis_url,
                workers=sc.workers,
                key_prefix="lt",
                battery=self.battery,
                demo_room=False,
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
        return [pid] if self.redis is not None and (pid := self.redis.pid) is not None else []

    def redis_memory(self) -> int | None:
        """Redis ``used_memory`` in bytes (None without Redis)."""
        if self.redis_url is None:
            return None
        used = redis_info(self.redis_url, "memory").get("used_memory")
        return None if used is None else int(used)

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        if self.redis is not None:
            self.redis.stop()


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
