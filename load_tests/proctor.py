"""The proctor WebSocket client: watches a room's event stream and counts what it sees.

It says ``hello`` with the room's proctor token and ``"batch": true`` (as the proctor console does), reads the
``snapshot`` and then the events, several to an ``events`` frame. After a lost
connection it reconnects (the candidate page's backoff, next URL each time) with ``last_event_id``, so that the
server resends every later event once: events seen twice are counted as duplicates, and the ``answered`` events
per session are later compared with the answers the server applied.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .candidate import CONNECT_ERRORS, Backoff, open_connection
from .recorder import Recorder

__all__ = ["Proctor"]


class _Refused(Exception):
    """The server refused the proctor's ``hello``."""


class Proctor:
    """One proctor connection to a room, for the whole run (stopped by cancelling :meth:`run`).

    Attributes
    ----------
    events : Counter
        Events received, by event type (duplicates excluded).
    answered : Counter
        ``answered`` events per session id.
    duplicates : int
        Events whose id had been received before.
    reconnects : int
        Connections opened after the first.
    """

    def __init__(self, token: str, urls: Sequence[str], recorder: Recorder, deadline: float) -> None:
        self.token = token
        self.urls = list(urls)
        self.rec = recorder
        self.deadline = deadline
        self.events: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.duplicates = 0
        self.reconnects = -1
        self.last_event_id: str | None = None
        self.last_event_at = time.monotonic()
        self._ids: set[str] = set()
        self._url = 0
        self._backoff = Backoff()

    @property
    def answered_total(self) -> int:
        return sum(self.answered.values())

    async def run(self) -> None:
        """Watch the room until cancelled or the deadline passes."""
        while time.monotonic() < self.deadline:
            try:
                ws = await open_connection(self.urls[self._url % len(self.urls)])
            except CONNECT_ERRORS:
                self._url += 1
                await asyncio.sleep(self._backoff.next())
                continue
            self.reconnects += 1
            try:
                await self._watch(ws)
            except ConnectionClosed:
                self.rec.lost_connection(planned=False)
            except TimeoutError:
                self.rec.error("client:proctor_timeout")
            except _Refused:
                pass
            finally:
                ws.transport.abort()
            await asyncio.sleep(self._backoff.next())

    async def _watch(self, ws: ClientConnection) -> None:
        hello: dict[str, str | bool] = {"type": "hello", "token": self.token, "batch": True}
        if self.last_event_id is not None:
            hello["last_event_id"] = self.last_event_id
        await ws.send(orjson.dumps(hello).decode())
        async with asyncio.timeout(30):
            snapshot = orjson.loads(await ws.recv(decode=False))
        if snapshot.get("type") != "snapshot":
            self.rec.error(f"proctor:{snapshot.get('code', snapshot.get('type'))}")
            raise _Refused
        self._backoff.reset()
        if self.last_event_id is None:
            self.last_event_id = snapshot.get("last_event_id")
        while True:
            frame = orjson.loads(await ws.recv(decode=False))
            kind = frame.get("type")
            if kind == "events":
                for event in frame["events"]:
                    self._count(event)
            elif kind == "event":
                self._count(frame)
            elif kind == "error":
                self.rec.error(f"proctor:{frame.get('code')}")

    def _count(self, event: dict[str, Any]) -> None:
        """One room event (``id``, ``session_id``, ``event``), counted once however often it comes."""
        event_id = event["id"]
        self.last_event_at = time.monotonic()
        if event_id in self._ids:
            self.duplicates += 1
            return
        self._ids.add(event_id)
        self.last_event_id = event_id
        kind = event["event"]["type"]
        self.events[kind] += 1
        if kind == "answered":
            self.answered[event["session_id"]] += 1
