"""What one server process shares between its connections: settings, the use cases, metrics, limits, live
connections, and whether the process drains for a restart (:mod:`.draining`).

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
from .draining import Drain
from .limits import Limits
from .metrics import Metrics
from .proctor import ProctorCases
from .settings import Settings
from .store import Store, room_of
from .transaction import Transactions

__all__ = ["Hub"]


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
    limits: Limits = field(init=False)
    drain: Drain = field(default_factory=Drain)  # the live connections, closed with 1012 on SIGTERM
    # session id -> queues of the local candidate connections of that session
    _local: dict[str, set[asyncio.Queue[Any]]] = field(default_factory=lambda: defaultdict(set))

    def __post_init__(self) -> None:
        self.tx = Transactions(self.store, self.batteries, self.metrics)
        self.store.on_suppressed = self.metrics.count_suppressed  # what the store holds back reaches the metrics
        intro_limit_ms = round(self.settings.intro_limit_s * 1000)
        self.candidates = CandidateCases(self.tx, self.process_id, self.settings.lang, intro_limit_ms)
        self.proctors = ProctorCases(self.tx, self.settings.lang)
        self.limits = Limits.of(self.settings)
        self.store.listen(self._on_notification)

    def attach(self, session_id: str, queue: asyncio.Queue[Any]) -> None:
        """Deliver the session's notifications to ``queue`` (the store hears its room while any is attached)."""
        queues = self._local[session_id]
        if queue not in queues:
            if not queues:
                self.metrics.session_opened(room_of(session_id))
            queues.add(queue)
            self.store.follow(room_of(session_id))

    def detach(self, session_id: str, queue: asyncio.Queue[Any]) -> None:
        queues = self._local.get(session_id)
        if queues is not None and queue in queues:
            queues.discard(queue)
            self.store.unfollow(room_of(session_id))
            if not queues:
                del self._local[session_id]
                self.metrics.session_closed(room_of(session_id))

    def tell_others(self, session_id: str, queue: asyncio.Queue[Any], message: bytes) -> None:
        """Deliver ``message`` at once to this process's connections of the session other than ``queue``'s (not
        through the store, whose notification may come late, or not at all while the room's subscription starts)."""
        for other in list(self._local.get(session_id, ())):
            if other is not queue:
                other.put_nowait(("notify", message))

    @property
    def live_sessions(self) -> int:
        return len(self._local)

    async def _on_notification(self, session_id: str, message: bytes) -> None:
        for queue in list(self._local.get(session_id, ())):
            queue.put_nowait(("notify", message))
