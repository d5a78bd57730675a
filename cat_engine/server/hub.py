"""What one server process shares between its connections: settings, the use cases, metrics, live connections.

Notifications from the store (this process's or another's) reach the local connections of their session here.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..battery import Battery
from .candidate import CandidateCases
from .metrics import Metrics
from .proctor import ProctorCases
from .settings import Settings
from .store import Store, room_of
from .transaction import Transactions

__all__ = ["Hub", "TokenBucket"]


class TokenBucket:
    """Flood limit: ``burst`` frames at once, refilled at ``rate`` frames per second."""

    def __init__(self, burst: int, rate: float, now: float) -> None:
        self.burst, self.rate = float(burst), rate
        self.tokens, self.at = float(burst), now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


@dataclass
class Hub:
    settings: Settings
    store: Store
    batteries: Mapping[str, Battery]
    admin_token: str
    metrics: Metrics = field(default_factory=Metrics)
    process_id: str = field(default_factory=lambda: secrets.token_hex(6))
    tx: Transactions = field(init=False)
    candidates: CandidateCases = field(init=False)
    proctors: ProctorCases = field(init=False)
    # session id -> queues of the local candidate connections of that session
    _local: dict[str, set[asyncio.Queue[Any]]] = field(default_factory=lambda: defaultdict(set))

    def __post_init__(self) -> None:
        self.tx = Transactions(self.store, self.batteries, self.metrics)
        self.candidates = CandidateCases(self.tx, self.process_id, self.settings.lang)
        self.proctors = ProctorCases(self.tx, self.settings.lang)
        self.store.listen(self._on_notification)

    def attach(self, session_id: str, queue: asyncio.Queue[Any]) -> None:
        """Deliver the session's notifications to ``queue`` (the store hears its room while any is attached)."""
        if queue not in self._local[session_id]:
            self._local[session_id].add(queue)
            self.store.follow(room_of(session_id))

    def detach(self, session_id: str, queue: asyncio.Queue[Any]) -> None:
        queues = self._local.get(session_id)
        if queues is not None and queue in queues:
            queues.discard(queue)
            self.store.unfollow(room_of(session_id))
            if not queues:
                del self._local[session_id]

    @property
    def live_sessions(self) -> int:
        return len(self._local)

    async def _on_notification(self, session_id: str, message: bytes) -> None:
        for queue in list(self._local.get(session_id, ())):
            queue.put_nowait(("notify", message))
