"""An independent client of the live server, written only from ``docs/protocol.md``.

Nothing here imports ``cat_engine.server``: the point is to check the server against its documentation.

* :class:`AdminApi` - the admin HTTP API (``urllib`` in a worker thread, no proxies, bounded timeouts).
* :class:`CandidateClient` - the candidate WebSocket: ``hello`` (with an optional ``device``), ``start`` and
  ``answer`` with the documented exactly-once resend (the last answer is kept until a reply is seen and resent
  after a reconnect once the ``hello`` reply has arrived), unprompted frames (``paused``, ``time``, ``message``) kept
  aside. By default it walks through the frames that wait for a ``start`` as a candidate who is ready at once would:
  ``welcome`` -> ``start``, ``subtest_intro`` -> ``start`` with its subtest, so that its helpers sit a battery from
  item to item (``auto_start=False`` leaves every frame to the caller). A server restart (``restarting``, close
  1012) is one of the closes after which it reconnects and resends; :attr:`_Client.closes` records the close code
  of every connection the server closed.
* :class:`ProctorClient` - the proctor WebSocket: ``hello`` with an optional ``last_event_id``, the events it
  receives (every one, duplicates included, so a test can look for gaps and duplicates) and commands with their
  acknowledgement (``open_room``, ``close_room``, the seat decisions ``approve_seat`` and ``deny_seat``, incident
  ``note`` and ``message`` among them).

Every wait is bounded by a timeout. Client frames are paced a little under the documented flood limit (bursts of
200, then 20 frames per second; the client keeps to 180 and 18) by one :class:`RateLimiter` per client, which
outlives reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import itertools
import json
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

__all__ = [
    "FORBIDDEN_ITEM_KEYS",
    "RESULT_COLUMNS",
    "STATE_FRAMES",
    "AdminApi",
    "ApiError",
    "CandidateClient",
    "ConnectionLost",
    "Frame",
    "HttpResponse",
    "ProctorClient",
    "RateLimiter",
    "find_keys",
    "parse_event_id",
]

#: Names that must never appear anywhere in a frame sent to a candidate (docs/protocol.md, ``item``: never the key,
#: option weights, IRT parameters, content area, exposure values, theta or SE).
FORBIDDEN_ITEM_KEYS = frozenset(
    {"key", "params", "a", "b", "c", "d", "theta", "se", "option_weights", "exposure_k", "content_area", "model"}
)

#: Result columns, in the documented order.
RESULT_COLUMNS = (
    "room_id",
    "session_id",
    "employee_id",
    "name",
    "battery_id",
    "battery_version",
    "subtest",
    "pool_version",
    "theta",
    "se",
    "level",
    "level_probability",
    "scaled_score",
    "items",
    "time_s",
    "stop_reason",
    "complete",
    "status",
    "notes",
    "flags",
    "p_rapid",
    "p_preknowledge",
    "p_misfit",
    "p_speed_change",
    "p_ability_change",
)

#: Errors after which the documentation says the connection is closed.
CLOSING_ERRORS = {
    "too_large": 1009,
    "flood": 1008,
    "bad_token": 4001,
    "hello_timeout": 4008,
    "terminated": 4003,
    "taken_over": 4002,
    "seat_denied": 4011,
    "idle": 4010,
    "restarting": 1012,
    "unavailable": 1013,
    "internal": 1011,
}

#: Frames that say where a candidate's session is (the reply to ``hello``, to ``start`` and to an answer, or pushed).
STATE_FRAMES = ("waiting", "welcome", "subtest_intro", "item", "paused", "finished")

#: Frames a candidate gets unprompted besides the state frames: a proctor's extension (``time``) or message
#: (``message``), and the reply to a ping.
PUSHED_FRAMES = ("time", "message", "pong")

#: Frames a candidate answers with ``start`` (docs/protocol.md, Flow 3 and 4).
START_FRAMES = ("welcome", "subtest_intro")

#: Errors the documentation calls retryable that close the connection: reconnect, then resend what was pending.
RECONNECT_ERRORS = ("internal", "unavailable", "restarting")

#: The wait before reconnecting after ``restarting`` (close 1012): 0.2 to 1 s, drawn (docs/protocol.md, "Server
#: restarts").
RESTART_DELAY_S = (0.2, 1.0)


def find_keys(value: Any, names: frozenset[str] | set[str], path: str = "$") -> list[str]:
    """Paths of every object key in ``value`` (recursively) that is one of ``names``."""
    found: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            if k in names:
                found.append(f"{path}.{k}")
            found.extend(find_keys(v, names, f"{path}.{k}"))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.extend(find_keys(v, names, f"{path}[{i}]"))
    return found


def parse_event_id(event_id: str) -> tuple[int, int]:
    """A Redis Stream id ``"<ms>-<n>"`` as a tuple that orders like the ids do."""
    ms, _, n = event_id.partition("-")
    return int(ms), int(n)


# --- HTTP --------------------------------------------------------------------------------------------------------


class ApiError(Exception):
    """An HTTP answer with a status the caller did not expect."""

    def __init__(self, method: str, url: str, response: HttpResponse) -> None:
        super().__init__(f"{method} {url} -> {response.status}: {response.body[:500]!r}")
        self.response = response


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only: never through a proxy
_NO_TOKEN: Any = object()


def http_request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> HttpResponse:
    """One blocking HTTP request; any status is returned, not raised."""
    request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with _OPENER.open(request, timeout=timeout) as resp:
            return HttpResponse(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as err:
        with err:
            return HttpResponse(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


class AdminApi:
    """The admin HTTP API of docs/protocol.md."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        content_type: str | None = None,
        token: str | None = _NO_TOKEN,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """Any request; ``token=None`` sends no Authorization header; ``headers`` are added as they are."""
        headers = dict(headers or {})
        token = self.token if token is _NO_TOKEN else token
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            content_type = content_type or "application/json"
        if content_type is not None:
            headers["Content-Type"] = content_type
        url = self.base_url + path
        return await asyncio.to_thread(http_request, method, url, body=body, headers=headers, timeout=self.timeout)

    async def _json(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        response = await self.request(method, path, **kwargs)
        if response.status != expect:
            raise ApiError(method, self.base_url + path, response)
        return response.json()

    async def healthz(self) -> HttpResponse:
        return await self.request("GET", "/healthz", token=None)

    async def batteries(self) -> list[dict[str, Any]]:
        return list((await self._json("GET", "/api/batteries"))["batteries"])

    async def create_room(self, name: str, battery: str = "cact-demo", *, open: bool = True) -> dict[str, Any]:
        """A new room; open by default (tests of the room gate ask for a closed one)."""
        body = {"name": name, "battery": battery, "open": open}
        room: dict[str, Any] = await self._json("POST", "/api/rooms", 201, json_body=body)
        return room

    async def rooms(self) -> list[dict[str, Any]]:
        return list((await self._json("GET", "/api/rooms"))["rooms"])

    async def register(
        self, room_id: str, candidates: Sequence[tuple[str, str]], *, idempotency_key: str | None = None
    ) -> list[dict[str, Any]]:
        """Register ``(employee_id, name)`` pairs as JSON; returns the candidates with session ids and tokens.

        ``idempotency_key`` is sent as the ``Idempotency-Key`` header: a repeated registration with the same key
        registers nothing and gets the reply of the first (the same sessions and tokens).
        """
        payload = {"candidates": [{"employee_id": e, "name": n} for e, n in candidates]}
        headers = {} if idempotency_key is None else {"Idempotency-Key": idempotency_key}
        path = f"/api/rooms/{room_id}/candidates"
        return list((await self._json("POST", path, 201, json_body=payload, headers=headers))["candidates"])

    async def register_csv(self, room_id: str, candidates: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        """Register ``(employee_id, name)`` pairs as CSV with an ``employee_id,name`` header."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["employee_id", "name"])
        writer.writerows(candidates)
        result = await self._json(
            "POST", f"/api/rooms/{room_id}/candidates", 201, body=buf.getvalue().encode(), content_type="text/csv"
        )
        return list(result["candidates"])

    async def room(self, room_id: str) -> dict[str, Any]:
        room: dict[str, Any] = await self._json("GET", f"/api/rooms/{room_id}")
        return room

    async def candidates(self, room_id: str) -> list[dict[str, Any]]:
        return list((await self._json("GET", f"/api/rooms/{room_id}/candidates"))["candidates"])

    async def session(self, session_id: str) -> dict[str, Any]:
        session: dict[str, Any] = await self._json("GET", f"/api/sessions/{session_id}")
        return session

    async def audit(self, session_id: str) -> list[dict[str, Any]]:
        return list((await self._json("GET", f"/api/sessions/{session_id}/audit"))["entries"])

    async def results(self, room_id: str) -> list[dict[str, Any]]:
        return list((await self._json("GET", f"/api/rooms/{room_id}/results?format=json"))["results"])

    async def results_csv(self, room_id: str) -> tuple[list[str], list[dict[str, str]]]:
        """The CSV results: (header, rows)."""
        response = await self.request("GET", f"/api/rooms/{room_id}/results?format=csv")
        if response.status != 200:
            raise ApiError("GET", f"{self.base_url}/api/rooms/{room_id}/results?format=csv", response)
        rows = list(csv.reader(io.StringIO(response.text)))
        header = rows[0] if rows else []
        return header, [dict(zip(header, row, strict=True)) for row in rows[1:] if row]

    async def ack_results(self, room_id: str, session_ids: Sequence[str]) -> int:
        body = {"session_ids": list(session_ids)}
        return int((await self._json("POST", f"/api/rooms/{room_id}/results/ack", json_body=body))["acknowledged"])


# --- WebSocket ---------------------------------------------------------------------------------------------------


class ConnectionLost(Exception):
    """The WebSocket closed (or could not be used) before the frame we waited for arrived."""

    def __init__(self, message: str, close_code: int | None = None) -> None:
        super().__init__(f"{message} (close code {close_code})")
        self.close_code = close_code


@dataclass(frozen=True)
class Frame:
    """One frame from the server: its text exactly as received and its parsed object."""

    raw: str
    data: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.data.get("type"))

    @property
    def code(self) -> str | None:
        """The error code of an ``error`` frame."""
        return self.data.get("code") if self.type == "error" else None

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    @classmethod
    def parse(cls, message: str | bytes) -> Frame:
        if isinstance(message, bytes):  # the protocol has only text frames
            return cls(repr(message), {"type": "<binary frame>"})
        try:
            data = json.loads(message)
        except ValueError:
            return cls(message, {"type": "<not json>"})
        if not isinstance(data, dict):
            return cls(message, {"type": "<not an object>"})
        return cls(message, data)


class RateLimiter:
    """A token bucket a little under the server's documented flood limit (bursts of 200, then 20 per second)."""

    def __init__(self, rate: float = 18.0, burst: float = 180.0) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._last = time.monotonic()

    async def acquire(self) -> None:
        while True:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return
            await asyncio.sleep((1.0 - self._tokens) / self.rate)


class _Connection:
    """One WebSocket with a reader task that queues every frame; ``None`` in the queue marks the close."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[Frame | None] = asyncio.Queue()
        self.closed = False
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url: str, timeout: float) -> _Connection:
        ws = await connect(
            url,
            open_timeout=timeout,
            close_timeout=2,
            ping_interval=None,  # no client pings: every frame we send is one we chose
            compression=None,
            proxy=None,
            max_size=2**20,
        )
        return cls(ws)

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                await self.queue.put(Frame.parse(message))
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason
            self.closed = True
            await self.queue.put(None)

    async def send(self, message: str | bytes) -> None:
        try:
            await self.ws.send(message)
        except ConnectionClosed as exc:
            raise ConnectionLost("send on a closed connection", self.ws.close_code) from exc

    async def next(self, timeout: float) -> Frame:
        """The next frame; :class:`ConnectionLost` once the connection has closed and every frame was read."""
        if self.closed and self.queue.empty():
            raise ConnectionLost("connection closed", self.close_code)
        try:
            frame = await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            raise TimeoutError(f"no frame within {timeout} s") from None
        if frame is None:
            raise ConnectionLost("connection closed", self.close_code)
        return frame

    async def wait_closed(self, timeout: float, sink: list[Frame]) -> int | None:
        """Read until the server closes, appending the frames read meanwhile to ``sink``; the close code.

        :class:`TimeoutError` if the connection is still open after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 and not (self.closed and self.queue.empty()):
                raise TimeoutError(f"connection still open after {timeout} s")
            try:
                sink.append(await self.next(max(0.01, remaining)))
            except ConnectionLost:
                return self.close_code
            except TimeoutError:
                raise TimeoutError(f"connection still open after {timeout} s") from None

    async def close(self) -> None:
        with contextlib.suppress(TimeoutError, OSError, ConnectionClosed):
            await asyncio.wait_for(self.ws.close(), 3)
        self._reader.cancel()
        await asyncio.wait({self._reader}, timeout=3)


_RETRYABLE = (ConnectionLost, OSError, InvalidHandshake, TimeoutError)


def _device(device: str | None) -> dict[str, Any]:
    """The optional ``device`` field of a seat decision."""
    return {} if device is None else {"device": device}


class _Client:
    path = ""

    def __init__(self, ws_base: str, token: str, *, limiter: RateLimiter | None, timeout: float) -> None:
        self.ws_base = ws_base.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.limiter = limiter or RateLimiter()
        self.conn: _Connection | None = None
        self.history: list[Frame] = []  # every frame received, over every connection
        self.closes: list[int | None] = []  # the close code of each connection the server closed, in order

    @property
    def url(self) -> str:
        return self.ws_base + self.path

    async def _open(self) -> _Connection:
        await self.disconnect()
        self.conn = await _Connection.open(self.url, self.timeout)
        return self.conn

    async def disconnect(self) -> None:
        """Close our side (the server sees a normal close); a connection the server closed first is recorded in
        :attr:`closes`."""
        if self.conn is not None:
            conn, self.conn = self.conn, None
            if conn.closed:
                self.closes.append(conn.close_code)
            await conn.close()

    async def _restart_wait(self) -> None:
        """After ``restarting`` or a close with 1012, wait 0.2 to 1 s before reconnecting (the docs' advice)."""
        conn = self.conn
        restarted = conn is not None and conn.closed and conn.close_code == 1012
        if restarted or (self.history and self.history[-1].code == "restarting"):
            await asyncio.sleep(random.uniform(*RESTART_DELAY_S))

    def _require(self) -> _Connection:
        if self.conn is None:
            raise ConnectionLost("not connected")
        return self.conn

    async def send(self, obj: Mapping[str, Any]) -> None:
        await self.send_raw(json.dumps(obj))

    async def send_raw(self, message: str | bytes) -> None:
        conn = self._require()
        await self.limiter.acquire()
        await conn.send(message)

    async def recv(self, timeout: float | None = None) -> Frame:
        frame = await self._require().next(self.timeout if timeout is None else timeout)
        self.history.append(frame)
        return frame

    async def wait_closed(self, timeout: float | None = None) -> int | None:
        """Read (and keep in :attr:`history`) until the server closes; returns the close code."""
        return await self._require().wait_closed(self.timeout if timeout is None else timeout, self.history)

    async def ping(self) -> Frame:
        await self.send({"type": "ping"})
        return await self.recv()


class CandidateClient(_Client):
    """A candidate on ``/ws/candidate``.

    :attr:`pending` holds the last answer until a reply is seen; :meth:`resume` reconnects and resends it, as the
    documentation asks of clients. :attr:`current` is the last frame that says where the session is (one of
    :data:`STATE_FRAMES`: the authoritative state); unprompted ``time``/``paused``/``pong`` frames go to
    :attr:`pushed`.

    With ``auto_start`` (the default) :meth:`connect`, :meth:`resume`, :meth:`answer` and :meth:`await_reply` answer
    a ``welcome`` with ``start`` and a ``subtest_intro`` with ``start`` naming its subtest, and return the frame that
    follows (the first ``item`` of the subtest, or ``waiting``, ``paused``, ``finished``, an error): a candidate who
    is ready at once. The frames passed on the way are kept in :attr:`welcomes` and :attr:`intros`; a ``waiting``
    frame is returned (the room is closed: ``welcome`` comes when its proctor opens it). :attr:`last_hello` is the
    ``hello`` reply itself. ``device`` is sent in every ``hello`` when given.
    """

    path = "/ws/candidate"

    #: Most ``start`` frames sent in one :meth:`advance` (the welcome and one intro need two; a server that keeps
    #: answering a start with another frame that waits for one is not followed further).
    MAX_STARTS = 4

    def __init__(
        self,
        ws_base: str,
        token: str,
        *,
        limiter: RateLimiter | None = None,
        timeout: float = 10.0,
        auto_start: bool = True,
        device: str | None = None,
    ) -> None:
        super().__init__(ws_base, token, limiter=limiter, timeout=timeout)
        self.auto_start = auto_start
        self.device = device
        self.pending: tuple[int, int] | None = None
        self.current: Frame | None = None
        self.pushed: list[Frame] = []
        self.items: list[Frame] = []  # every item frame seen, in order (repeats after reconnects included)
        self.welcomes: list[Frame] = []  # every welcome frame seen
        self.intros: list[Frame] = []  # every subtest_intro frame seen (repeats after reconnects included)
        self.starts: list[dict[str, Any]] = []  # every start frame sent
        self.last_hello: Frame | None = None  # the server's reply to the last hello

    def _track(self, frame: Frame) -> None:
        if frame.type in STATE_FRAMES:
            self.current = frame
        if frame.type == "item":
            self.items.append(frame)
        elif frame.type == "welcome":
            self.welcomes.append(frame)
        elif frame.type == "subtest_intro":
            self.intros.append(frame)

    async def recv(self, timeout: float | None = None) -> Frame:
        frame = await super().recv(timeout)
        self._track(frame)
        return frame

    async def _hello(self) -> Frame:
        """Open a connection, send ``hello`` and return the server's first frame, as it came."""
        await self._open()
        hello: dict[str, Any] = {"type": "hello", "token": self.token}
        if self.device is not None:
            hello["device"] = self.device
        await self.send(hello)
        reply = await self.recv()
        self.last_hello = reply
        if reply.code in RECONNECT_ERRORS:
            await self.disconnect()
            raise ConnectionLost(f"{reply.code} error on hello", CLOSING_ERRORS[str(reply.code)])
        return reply

    async def connect(self) -> Frame:
        """Open a connection, send ``hello`` and return the server's first frame, past ``welcome`` and
        ``subtest_intro`` with ``auto_start`` (the resend of a pending answer is :meth:`resume`'s).

        An ``internal`` or ``unavailable`` error (a fault of the server, or its store down or failing over) on the
        ``hello`` raises :class:`ConnectionLost`.
        """
        return await self._advance_if_auto(await self._hello())

    async def resume(self, *, attempts: int = 1, delay: float = 0.25) -> Frame:
        """(Re)connect with up to ``attempts`` tries and resend the pending answer once the hello reply arrived
        (after ``restarting``, the first try waits 0.2 to 1 s).

        Returns the reply to the resent answer when there was one, else the hello reply (with ``auto_start``, past
        ``welcome`` and ``subtest_intro``: the pending answer is resent before any ``start``, since its stored reply
        may be the intro the ``hello`` shows).
        """
        last: BaseException | None = None
        await self._restart_wait()
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(delay)
            try:
                reply = await self._hello()
                if self.pending is not None and reply.type != "error":
                    reply = await self._send_answer(*self.pending)
                return await self._advance_if_auto(reply)
            except _RETRYABLE as exc:
                last = exc
        raise ConnectionLost(f"could not resume after {attempts} attempts: {last!r}")

    async def start(self, subtest: int | None = None) -> Frame:
        """Send ``start`` (naming ``subtest`` when given) and return the frame that replies to it.

        ``time``, ``message`` and ``pong`` frames met on the way go to :attr:`pushed`; any other frame is the reply
        (a ``paused`` one included: a ``start`` while paused is answered with the state's frame).
        """
        frame: dict[str, Any] = {"type": "start"}
        if subtest is not None:
            frame["subtest"] = subtest
        self.starts.append(frame)
        await self.send(frame)
        while True:
            reply = await self.recv()
            if reply.type in PUSHED_FRAMES:
                self.pushed.append(reply)
                continue
            return reply

    async def advance(self, frame: Frame) -> Frame:
        """From ``frame`` on, answer ``welcome`` with ``start`` and ``subtest_intro`` with ``start`` naming its
        subtest, as the page does for a candidate who is ready at once; the first frame that waits for no start."""
        for _ in range(self.MAX_STARTS):
            if frame.type == "welcome":
                frame = await self.start()
            elif frame.type == "subtest_intro":
                frame = await self.start(int(frame["subtest"]["index"]))
            else:
                break
        return frame

    async def _advance_if_auto(self, frame: Frame) -> Frame:
        return await self.advance(frame) if self.auto_start else frame

    async def wait_for(self, *types: str, timeout: float | None = None) -> Frame:
        """Read frames until one of ``types`` (a type, or an error code) comes; :class:`TimeoutError` otherwise."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {types} frame; last {self.history[-1].raw if self.history else None}")
            frame = await self.recv(remaining)
            if frame.type in types or (frame.code is not None and frame.code in types):
                return frame

    async def answer(self, seq: int, response: int) -> Frame:
        """Send an answer and return the server's reply (``item``, ``subtest_intro``, ``finished`` or ``error``;
        with ``auto_start`` an intro is answered with ``start`` and the subtest's first ``item`` returned).

        The answer stays in :attr:`pending` until a reply is seen (it is kept after ``internal``, ``unavailable``,
        ``restarting`` and ``taken_over``, when it may or may not have been applied); :class:`ConnectionLost` if the
        connection closes first.
        """
        self.pending = (seq, response)
        return await self._advance_if_auto(await self._send_answer(seq, response))

    async def answer_current(self, choose: Callable[[Frame], int]) -> Frame:
        """Answer the item in :attr:`current` with ``choose(item_frame)``: a position in the frame's ``options`` (the
        order a session shows them in is its own: the server maps the position to the stored option)."""
        if self.current is None or self.current.type != "item":
            raise AssertionError(f"no item to answer: {self.current}")
        return await self.answer(int(self.current["seq"]), choose(self.current))

    async def _send_answer(self, seq: int, response: int) -> Frame:
        await self.send({"type": "answer", "seq": seq, "response": response})
        return await self._await_reply()

    async def await_reply(self, timeout: float | None = None) -> Frame:
        """The next frame that replies to an answer, keeping ``time``/``message``/``paused``/``pong`` frames in
        :attr:`pushed`
        (with ``auto_start``, past ``welcome`` and ``subtest_intro``)."""
        return await self._advance_if_auto(await self._await_reply(timeout))

    async def _await_reply(self, timeout: float | None = None) -> Frame:
        while True:
            frame = await self.recv(timeout)
            if frame.type in (*PUSHED_FRAMES, "paused"):
                self.pushed.append(frame)
                continue
            if frame.code not in (*RECONNECT_ERRORS, "taken_over"):
                self.pending = None
            return frame


class ProctorClient(_Client):
    """A proctor on ``/ws/proctor``.

    :attr:`events` keeps every ``event`` frame received over every connection, duplicates included;
    :attr:`last_event_id` is the id of the last one (or the snapshot's when starting fresh).
    """

    path = "/ws/proctor"

    def __init__(self, ws_base: str, token: str, *, limiter: RateLimiter | None = None, timeout: float = 10.0) -> None:
        super().__init__(ws_base, token, limiter=limiter, timeout=timeout)
        self.events: list[dict[str, Any]] = []
        self.others: list[Frame] = []  # frames other than events that nobody waited for
        self.snapshots: list[Frame] = []
        self.last_event_id: str | None = None
        self._ids = itertools.count(1)

    async def recv(self, timeout: float | None = None) -> Frame:
        frame = await super().recv(timeout)
        if frame.type == "event":
            self.events.append(frame.data)
            self.last_event_id = str(frame["id"])
        return frame

    async def connect(self, last_event_id: str | None = None) -> Frame:
        """Open, send ``hello`` (with ``last_event_id`` when given) and return the ``snapshot``."""
        await self._open()
        hello: dict[str, Any] = {"type": "hello", "token": self.token}
        if last_event_id is not None:
            hello["last_event_id"] = last_event_id
        await self.send(hello)
        frame = await self.recv()
        if frame.type != "snapshot":
            return frame
        self.snapshots.append(frame)
        if last_event_id is None:
            self.last_event_id = str(frame["last_event_id"])
        return frame

    async def resume(self, *, attempts: int = 1, delay: float = 0.25) -> Frame:
        """Reconnect with the last event id seen, with up to ``attempts`` tries (after ``restarting``, the first
        waits 0.2 to 1 s)."""
        last: BaseException | None = None
        await self._restart_wait()
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(delay)
            try:
                frame = await self.connect(self.last_event_id)
                if frame.code in RECONNECT_ERRORS:
                    raise ConnectionLost(f"{frame.code} error on hello", CLOSING_ERRORS[str(frame.code)])
                return frame
            except _RETRYABLE as exc:
                last = exc
        raise ConnectionLost(f"could not resume after {attempts} attempts: {last!r}")

    async def command(
        self,
        kind: str,
        *,
        session_id: str | None = None,
        room: bool = False,
        command_id: Any = None,
        **fields: Any,
    ) -> Frame:
        """Send a command and return its ``ack`` (or the ``error`` frame), collecting events meanwhile."""
        frame: dict[str, Any] = {"type": kind, "id": next(self._ids) if command_id is None else command_id}
        if session_id is not None:
            frame["session_id"] = session_id
        if room:
            frame["room"] = True
        frame.update(fields)
        await self.send(frame)
        return await self.next_reply()

    async def open_room(self) -> Frame:
        """``open_room``: its ``ack`` (``"room": {"open": true}``), or the error frame."""
        return await self.command("open_room")

    async def close_room(self) -> Frame:
        """``close_room``: its ``ack`` (``"room": {"open": false}``), or the error frame."""
        return await self.command("close_room")

    async def approve_seat(self, session_id: str, device: str | None = None) -> Frame:
        """``approve_seat``: move the sitting to the device waiting for approval ("Seats"); the ``ack``.

        ``device`` (optional) is the ``seat_request`` the proctor saw: refused with ``bad_command`` when another
        request has replaced it since."""
        return await self.command("approve_seat", session_id=session_id, **_device(device))

    async def deny_seat(self, session_id: str, device: str | None = None) -> Frame:
        """``deny_seat``: the sitting stays where it is, the waiting device is refused; the ``ack`` (``device`` as
        for :meth:`approve_seat`)."""
        return await self.command("deny_seat", session_id=session_id, **_device(device))

    async def note(self, session_id: str, text: str) -> Frame:
        """``note``: an incident note on the session (1 to 1000 characters, line breaks allowed); the ``ack``."""
        return await self.command("note", session_id=session_id, text=text)

    async def message(self, text: str, *, session_id: str | None = None) -> Frame:
        """``message`` to one candidate (``session_id``) or, without one, to the whole room; the ``ack``."""
        return await self.command("message", session_id=session_id, room=session_id is None, text=text)

    def room_events(self, kind: str | None = None) -> Iterator[dict[str, Any]]:
        """The room events received (``session_id`` null: ``room_opened``, ``room_closed``), of ``kind`` when given."""
        for e in self.events:
            if e.get("session_id") is None and (kind is None or e["event"].get("type") == kind):
                yield e

    async def send_and_reply(self, frame: Mapping[str, Any]) -> Frame:
        """Send any frame and return the next frame that is not an event."""
        await self.send(frame)
        return await self.next_reply()

    async def next_reply(self, timeout: float | None = None) -> Frame:
        while True:
            frame = await self.recv(timeout)
            if frame.type != "event":
                return frame

    def _matching(self, start: int, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        return next((e for e in self.events[start:] if predicate(e)), None)

    async def wait_event(
        self, predicate: Callable[[dict[str, Any]], bool], *, start: int = 0, timeout: float | None = None
    ) -> dict[str, Any]:
        """The first event from index ``start`` of :attr:`events` that matches, reading frames until it comes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while (found := self._matching(start, predicate)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching event; got {[e['event'].get('type') for e in self.events[start:]]}")
            frame = await self.recv(remaining)
            if frame.type != "event":
                self.others.append(frame)
        return found

    async def drain(self, quiet: float = 0.3, limit: float = 5.0) -> None:
        """Read frames until none arrives for ``quiet`` seconds (at most ``limit`` seconds in all)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                frame = await self.recv(quiet)
            except TimeoutError:
                return
            if frame.type != "event":
                self.others.append(frame)

    def event_ids(self) -> list[str]:
        return [str(e["id"]) for e in self.events]

    def session_events(self, session_id: str, kind: str | None = None) -> Iterator[dict[str, Any]]:
        for e in self.events:
            if e.get("session_id") == session_id and (kind is None or e["event"].get("type") == kind):
                yield e
