"""The proctor WebSocket client: opens its room, watches the room's event stream and counts what it sees.

It says ``hello`` with the room's proctor token and ``"batch": true`` (as the proctor console does), reads the
``snapshot`` and then the events, several to an ``events`` frame. After a lost
connection it reconnects (the candidate page's backoff, next URL each time) with ``last_event_id``, so that the
server resends every later event once: events seen twice are counted as duplicates, and the ``answered`` events
per session are later compared with the answers the server applied.

Rooms are created closed, as on a test day: a proctor opens its room (``open_room``) before the candidates come in.
:meth:`Proctor.open_room` does that on a short connection of its own (the run calls it for each room before the
first examinee arrives); a watching proctor that finds its room closed on its first connection opens it too.
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

__all__ = ["Proctor", "RoomNotOpened"]

_OPEN_ROOM = orjson.dumps({"type": "open_room", "id": "open-room"}).decode()


class _Refused(Exception):
    """The server refused the proctor's ``hello``."""


class RoomNotOpened(RuntimeError):
    """:meth:`Proctor.open_room` could not open the room in time."""


class Proctor:
    """One proctor connection to a room, for the whole run (stopped by cancelling :meth:`run`).

    Parameters
    ----------
    token : str
        The room's proctor token.
    urls : sequence of str
        ``ws://.../ws/proctor`` of each server process or host to try, the preferred one first.
    recorder : Recorder
    deadline : float
        Monotonic time after which the proctor stops reconnecting.
    opens_room : bool
        Open the room (``open_room``) when the first snapshot shows it closed.

    Attributes
    ----------
    events : Counter
        Events received, by event type (duplicates excluded; the room's own events, ``room_opened`` and
        ``room_closed``, included).
    answered : Counter
        ``answered`` events per session id.
    duplicates : int
        Events whose id had been received before.
    reconnects : int
        Connections opened after the first.
    opened : bool
        This proctor opened its room (an ``open_room`` acknowledged with ``"room": {"open": true}``).
    found_open : bool
        The room was already open when this proctor came to open it.
    """

    def __init__(
        self, token: str, urls: Sequence[str], recorder: Recorder, deadline: float, *, opens_room: bool = True
    ) -> None:
        self.token = token
        self.urls = list(urls)
        self.rec = recorder
        self.deadline = deadline
        self.opens_room = opens_room
        self.events: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self.duplicates = 0
        self.reconnects = -1
        self.opened = False
        self.found_open = False
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

    async def open_room(self, timeout: float = 30.0) -> None:
        """Open the room on a connection of its own (``hello``, ``snapshot``, ``open_room``, its ``ack``), trying
        the URLs in turn with the backoff; :class:`RoomNotOpened` when that did not work within ``timeout``."""
        until = time.monotonic() + timeout
        last = "no connection"
        while time.monotonic() < until:
            try:
                ws = await open_connection(self.urls[self._url % len(self.urls)])
            except CONNECT_ERRORS as err:
                last = repr(err)
                self._url += 1
                await asyncio.sleep(self._backoff.next())
                continue
            try:
                async with asyncio.timeout(max(until - time.monotonic(), 1.0)):
                    if await self._open_on(ws):
                        self._backoff.reset()
                        return
                last = "open_room refused"
            except (ConnectionClosed, TimeoutError) as err:
                last = repr(err)
            finally:
                ws.transport.abort()
            await asyncio.sleep(self._backoff.next())
        raise RoomNotOpened(f"the room of proctor token {self.token[:6]}... was not opened: {last}")

    async def _open_on(self, ws: ClientConnection) -> bool:
        """``hello``, then ``open_room`` unless the snapshot shows the room open; whether it is open now."""
        await ws.send(orjson.dumps({"type": "hello", "token": self.token}).decode())
        snapshot = orjson.loads(await ws.recv(decode=False))
        if snapshot.get("type") != "snapshot":
            self.rec.error(f"proctor:{snapshot.get('code', snapshot.get('type'))}")
            return False
        if (snapshot.get("room") or {}).get("open") is True:
            self.found_open = True
            return True
        await ws.send(_OPEN_ROOM)
        while True:
            frame = orjson.loads(await ws.recv(decode=False))
            if frame.get("type") == "ack" or frame.get("type") == "error":
                return self._acknowledged(frame)

    def _acknowledged(self, frame: dict[str, Any]) -> bool:
        """The reply to ``open_room``: whether it left the room open."""
        acked = frame.get("type") == "ack" and frame.get("command") == "open_room"
        if acked and (frame.get("room") or {}).get("open") is True:
            self.opened = True
            return True
        self.rec.error(f"proctor:open_room:{frame.get('code', frame.get('type'))}")
        return False

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
            if self.opens_room and not self.opened and (snapshot.get("room") or {}).get("open") is False:
                await ws.send(_OPEN_ROOM)  # the ack comes among the events
        while True:
            frame = orjson.loads(await ws.recv(decode=False))
            kind = frame.get("type")
            if kind == "events":
                for event in frame["events"]:
                    self._count(event)
            elif kind == "event":
                self._count(frame)
            elif kind == "ack":
                self._acknowledged(frame)
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
