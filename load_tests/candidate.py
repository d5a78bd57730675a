"""The candidate WebSocket client of one simulated examinee, written from ``docs/protocol.md``.

* ``hello`` with the token (and the examinee's ``device`` id, as the page sends its computer's); the reply says
  where the session is (``waiting``, ``welcome``, ``subtest_intro``, ``item``, ``paused``, ``finished``).
* ``waiting`` (the room is closed): stay connected; the server pushes ``welcome`` when a proctor opens the room.
* ``welcome``: read it for a moment (the reading delay, 0.5-2 s by default, not scaled), send ``start``; the reply
  is the first subtest's ``subtest_intro``. Each ``subtest_intro``: read it, send ``start`` naming its subtest; the
  reply is the subtest's first ``item`` (in open loop the schedule of answers starts afresh from it).
* For each ``item``: wait a think time, send ``answer``; the reply is the next ``item``, the next subtest's
  ``subtest_intro`` or ``finished`` (a reply carries ``previous_subtest.reason = "completed"`` when it ends a
  subtest; the same frame pushed because the subtest's time ran out carries ``time_up`` and acknowledges nothing:
  the answer in flight is refused next).
* Exactly once: the last answer is kept until its reply arrives. After a reconnect it is resent once the ``hello``
  reply is in (when the ``hello`` reply presents the same item again, answering it *is* the resend). The server
  applies an answer once and replays its stored reply to a resend.
* Reconnects like the candidate page (``static/socket.js``): after 0.5 s, doubling up to 5 s, each delay jittered
  by +-25 %. With several URLs (server instances, as hosts behind a load balancer), a refused connection moves
  on to the next URL at once, as a load balancer passes it to the next backend; the delay applies once every URL
  has refused.
* Store unavailable (``docs/protocol.md``: the error ``unavailable``, then the close code 1013; a Redis Cluster
  failing over): like a dropped connection, but the unacknowledged answer is kept whatever the frame was a reply
  to, and the reconnects follow a backoff of their own, 0.2 s doubling up to 2 s, +-25 % jitter, reset only by an
  acknowledged answer (a ``hello`` may well be answered while commits are still refused). The client keeps
  trying until the run's deadline: a real failover takes 15-20 s.
* Pacing: closed loop (think time after each reply) or open loop (answers on a schedule of think times that does
  not wait for the server; when the server holds an examinee back the schedule resumes from the present, and the
  delay is recorded as lag).

Every wait is bounded (reply timeout, connect timeout, the run's deadline), so a client always ends.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from .examinee import Responder, ThinkTime
from .recorder import Recorder

__all__ = ["UNAVAILABLE_CLOSE", "Backoff", "Candidate", "Pacing", "open_connection"]

CONNECT_TIMEOUT_S = 10.0
#: How long an examinee reads a ``welcome`` or a ``subtest_intro`` before sending ``start`` (real seconds).
READING = ThinkTime("uniform", (0.5, 2.0))
#: The close code of a connection the server ends because its store cannot take commands now (``unavailable``).
UNAVAILABLE_CLOSE = 1013
HEARTBEAT_S = 7.0  # a client that has sent nothing this long pings (docs/protocol.md, "Dead links")
_PING = '{"type":"ping"}'


@dataclass(frozen=True)
class Pacing:
    """When examinees answer.

    Attributes
    ----------
    mode : str
        ``closed``: each think time starts when the item arrives. ``open``: think times are laid end to end on a
        schedule that does not wait for the server (a fixed answer rate).
    think : ThinkTime
        Think times in real seconds.
    time_scale : float
        Factor on every think time (0.1 = ten times the real answer rate).
    reading : ThinkTime
        How long a ``welcome`` or a ``subtest_intro`` is read before ``start``, in real seconds (not scaled).
    """

    mode: str
    think: ThinkTime
    time_scale: float
    reading: ThinkTime = READING

    def delay(self, rng: np.random.Generator) -> float:
        """One think time, scaled, in seconds."""
        return self.think.sample(rng) * self.time_scale

    def reading_delay(self, rng: np.random.Generator) -> float:
        """How long a ``welcome`` or a ``subtest_intro`` is read before ``start``, in seconds (not scaled: a
        rehearsal's intros stay short whatever its time scale)."""
        return self.reading.sample(rng)

    @property
    def mean_delay(self) -> float:
        return self.think.mean * self.time_scale


class Backoff:
    """Reconnect delays of the candidate page: 0.5 s, doubling up to 5 s, each jittered by +-25 %."""

    def __init__(self, first: float = 0.5, most: float = 5.0) -> None:
        self.first, self.most = first, most
        self.delay = first

    def next(self) -> float:
        wait = self.delay * (0.75 + random.random() * 0.5)
        self.delay = min(self.delay * 2, self.most)
        return wait

    def reset(self) -> None:
        self.delay = self.first


async def open_connection(url: str) -> ClientConnection:
    """A WebSocket to ``url`` as a browser would open it: no compression (the server has it off), no proxy."""
    async with asyncio.timeout(CONNECT_TIMEOUT_S):
        return await connect(
            url,
            compression=None,
            proxy=None,
            open_timeout=None,
            ping_interval=None,  # the server pings; pages do not
            close_timeout=1.0,
            max_size=1 << 20,
        )


CONNECT_ERRORS = (OSError, InvalidHandshake, InvalidURI, TimeoutError)


class _Resync(Exception):
    """The client no longer knows where the session is: reconnect, and ``hello`` will say."""


class _Unavailable(Exception):
    """The server's store cannot take the request now: reconnect after the store backoff, resend what is pending."""


def _close_code(exc: ConnectionClosed) -> int | None:
    """The close code the server sent, None when the connection was lost without a close frame."""
    return None if exc.rcvd is None else exc.rcvd.code


@dataclass
class _Pending:
    seq: int
    response: int
    item_id: str
    due: float | None
    sent: float = 0.0


class Candidate:
    """One examinee's sitting over the candidate WebSocket.

    Parameters
    ----------
    token : str
        The candidate token.
    urls : sequence of str
        ``ws://.../ws/candidate`` of each server process or host to try, the preferred one first.
    responder : Responder
        Picks the option for each item.
    pacing : Pacing
    rng : numpy.random.Generator
        Think times.
    recorder : Recorder
    deadline : float
        Monotonic time after which the client stops trying.
    reply_timeout : float
        Longest wait for any frame the client expects.
    max_answers : int, optional
        Stop after this many acknowledged answers (the echo floor has no end of its own).
    drop_after : int, optional
        Drop the connection, as a network failure would, right after sending this many answers (that answer's
        reply is then lost and the answer is resent after the reconnect).
    device : str, optional
        Sent in every ``hello`` as the id of the examinee's computer.

    Attributes
    ----------
    acked : dict
        ``seq -> (item_id, response)`` of every answer whose reply the client saw (``response`` as sent: a position
        in the frame's options, which the audit's answer entries record as sent too).
    resumes : list of float
        Milliseconds from each lost connection to the session resumed.
    ack_times, error_times : list of float
        Monotonic times of every acknowledged answer's reply, and of every error frame received.
    unavailable : int
        Refusals because the store was unavailable (error ``unavailable`` or close 1013).
    welcomes, intros, waits, starts : int
        ``welcome``, ``subtest_intro`` and ``waiting`` frames received, ``start`` frames sent.
    outcome : str
        ``finished``, ``terminated``, ``stopped`` (``max_answers`` reached), ``refused`` (bad token) or
        ``unfinished``.
    """

    def __init__(
        self,
        token: str,
        urls: Sequence[str],
        responder: Responder,
        pacing: Pacing,
        rng: np.random.Generator,
        recorder: Recorder,
        deadline: float,
        *,
        reply_timeout: float = 30.0,
        max_answers: int | None = None,
        drop_after: int | None = None,
        device: str | None = None,
    ) -> None:
        self.token = token
        self.urls = list(urls)
        self.responder = responder
        self.pacing = pacing
        self.rng = rng
        self.rec = recorder
        self.deadline = deadline
        self.reply_timeout = reply_timeout
        self.max_answers = max_answers
        self.drop_after = drop_after
        self.acked: dict[int, tuple[str, int]] = {}
        self.resumes: list[float] = []
        self.ack_times: list[float] = []
        self.error_times: list[float] = []
        self.unavailable = 0
        self.welcomes = self.intros = self.waits = self.starts = 0
        self.outcome = "unfinished"
        self.connected = False
        self.connected_once = False
        self.sent = 0
        self._pending: _Pending | None = None
        self._ws: ClientConnection | None = None
        self._url = 0
        self._tried = 0
        self._due: float | None = None
        self._lost_at: float | None = None
        self._planned_drop = False
        self._backoff = Backoff()
        self._store_backoff = Backoff(0.2, 2.0)
        hello = {"type": "hello", "token": token}
        if device is not None:
            hello["device"] = device
        self._hello = orjson.dumps(hello).decode()
        # reading delays from a generator of their own, so that think times follow the same sequence as against the
        # echo floor whatever the welcome and intros cost
        self._reading_rng = np.random.default_rng(int(rng.integers(1 << 62)))

    @property
    def done(self) -> bool:
        return self.outcome != "unfinished"

    def drop(self) -> None:
        """Lose the connection now, without a closing handshake, as a network failure would."""
        ws = self._ws
        if ws is None or self.done:
            return
        self._planned_drop = True
        self._lost_at = time.monotonic()
        ws.transport.abort()

    # --- the connection loop -----------------------------------------------------------------------------------

    async def run(self) -> None:
        """Sit the battery until it is finished, or the deadline passes."""
        self.rec.started_examinees += 1
        try:
            while not self.done and time.monotonic() < self.deadline:
                url = self.urls[self._url % len(self.urls)]
                opened = time.monotonic()
                try:
                    ws = await open_connection(url)
                except CONNECT_ERRORS:
                    self.rec.reconnect_attempts += 1
                    await self._next_url()
                    continue
                self._tried = 0
                self._ws = ws
                backoff = self._backoff
                try:
                    await self._sitting(ws, opened)
                except ConnectionClosed as exc:
                    self._connection_lost()
                    if _close_code(exc) == UNAVAILABLE_CLOSE:
                        self.unavailable += 1
                        backoff = self._store_backoff
                except _Unavailable:
                    self._lost_at = self._lost_at or time.monotonic()
                    self.rec.drops["unavailable"] += 1
                    backoff = self._store_backoff
                except _Resync:
                    self._lost_at = self._lost_at or time.monotonic()
                except (ValueError, KeyError, TypeError) as exc:  # a frame this client cannot read: report, resync
                    self.rec.error(f"client:{type(exc).__name__}")
                    self._lost_at = self._lost_at or time.monotonic()
                finally:
                    self._ws = None
                    self.connected = False
                    if self.done:
                        await ws.close()
                    else:
                        ws.transport.abort()
                if not self.done:
                    await self._sleep(backoff.next())
        finally:
            if self.done:
                self.rec.finished_examinees += 1
            else:
                self.rec.error("client:unfinished")

    async def _next_url(self) -> None:
        """After a refused connection: the next URL at once, as a load balancer passes a refused connection to the
        next backend; once every URL was tried, the backoff delay."""
        self._url += 1
        self._tried += 1
        if self._tried >= len(self.urls):
            self._tried = 0
            await self._sleep(self._backoff.next())

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(min(seconds, self.deadline - time.monotonic()), 0.0))

    def _connection_lost(self) -> None:
        planned, self._planned_drop = self._planned_drop, False
        if self._lost_at is None:
            self._lost_at = time.monotonic()
        self.rec.lost_connection(planned)

    async def _sitting(self, ws: ClientConnection, opened: float) -> None:
        await ws.send(self._hello)
        frame = await self._recv(ws)
        if not self.connected_once:
            self.connected_once = True
            self.rec.connect_ms.append((time.monotonic() - opened) * 1000)
        self.connected = True
        self._backoff.reset()
        if frame.get("type") == "error":
            self._refused(frame)
            return
        frame = await self._resume(ws, frame)
        await self._converse(ws, frame)

    def _server_error(self, frame: dict[str, Any]) -> str:
        """Count an error frame; ``_Unavailable`` when it says the store cannot take the request now."""
        code = str(frame.get("code"))
        self.error_times.append(time.monotonic())
        self.rec.error(code)
        if code == "unavailable":
            self.unavailable += 1
            raise _Unavailable
        return code

    def _refused(self, frame: dict[str, Any]) -> None:
        code = self._server_error(frame)
        if code == "terminated":
            self.outcome = "terminated"
        elif code == "bad_token":
            self.outcome = "refused"
        else:
            raise _Resync

    async def _resume(self, ws: ClientConnection, frame: dict[str, Any]) -> dict[str, Any]:
        """After ``hello``: resend the unacknowledged answer, unless the same item is simply presented again."""
        p = self._pending
        if p is not None and not (frame.get("type") == "item" and frame.get("seq") == p.seq):
            p.sent = time.monotonic()
            await ws.send(self._answer_text(p))
            frame = await self._reply(ws, p, recovered=True)
        if self._lost_at is not None:
            now = time.monotonic()
            self.resumes.append((now - self._lost_at) * 1000)
            self.rec.resume_ms.append(self.resumes[-1])
            self.rec.resume_t.append(now - self.rec.started)
            self._lost_at = None
        return frame

    async def _converse(self, ws: ClientConnection, frame: dict[str, Any]) -> None:
        while not self.done:
            kind = frame.get("type")
            if kind == "finished":
                self.outcome = "finished"
            elif kind == "item":
                if self.max_answers is not None and len(self.acked) >= self.max_answers:
                    self.outcome = "stopped"
                else:
                    frame = await self._answer(ws, frame)
            elif kind in ("welcome", "subtest_intro"):
                frame = await self._start(ws, frame)
            elif kind == "error":
                self._refused(frame)
            else:  # waiting (welcome comes when the room opens), paused, time, pong: what is next is pushed later
                if kind == "waiting":
                    self.waits += 1
                frame = await self._recv(ws, self.deadline - time.monotonic())

    async def _start(self, ws: ClientConnection, frame: dict[str, Any]) -> dict[str, Any]:
        """Read a ``welcome`` or a ``subtest_intro`` for a moment, send ``start``; the frame that follows."""
        start: dict[str, Any] = {"type": "start"}
        if frame["type"] == "welcome":
            self.welcomes += 1
        else:
            self.intros += 1
            start["subtest"] = int(frame["subtest"]["index"])
        self._due = None  # open loop: the schedule of answers begins afresh with the subtest's first item
        await self._wait_until(ws, time.monotonic() + self.pacing.reading_delay(self._reading_rng))
        await ws.send(orjson.dumps(start).decode())
        self.starts += 1
        return await self._recv(ws)

    # --- answers -----------------------------------------------------------------------------------------------

    def _next_due(self, received: float) -> tuple[float, float]:
        """When to send the next answer: (the schedule's time, the time the client will actually aim for)."""
        if self.pacing.mode == "open" and self._due is not None:
            scheduled = self._due + self.pacing.delay(self.rng)
            self._due = max(scheduled, received)  # held back by the server: resume from the present
            return scheduled, self._due
        self._due = received + self.pacing.delay(self.rng)
        return self._due, self._due

    async def _answer(self, ws: ClientConnection, frame: dict[str, Any]) -> dict[str, Any]:
        seq = int(frame["seq"])
        p = self._pending
        if p is None or p.seq != seq:
            item = frame["item"]
            subtest = frame["subtest"]["id"]
            response = self.responder.respond(subtest, item["id"], item["options"])  # a position in the list shown
            scheduled, aim = self._next_due(time.monotonic())
            self.rec.scheduled(scheduled)
            await self._wait_until(ws, aim)
            p = self._pending = _Pending(seq, response, item["id"], scheduled if self.pacing.mode == "open" else None)
        p.sent = time.monotonic()
        await ws.send(self._answer_text(p))
        self.sent += 1
        if self.drop_after is not None and self.sent == self.drop_after:
            self.drop()  # the answer is on its way; its reply is lost with the connection
        return await self._reply(ws, p, recovered=False)

    @staticmethod
    def _answer_text(p: _Pending) -> str:
        return orjson.dumps({"type": "answer", "seq": p.seq, "response": p.response}).decode()

    async def _wait_until(self, ws: ClientConnection, when: float) -> None:
        """Think until ``when``; a connection lost meanwhile is noticed at once, as a page's ``onclose`` would.

        Like the page, a client that has sent nothing for :data:`HEARTBEAT_S` sends ``ping`` (docs/protocol.md,
        "Dead links": the server closes a candidate connection silent for 30 s); its ``pong`` is skipped by the
        reader like any frame that is not the reply."""
        while True:
            delay = when - time.monotonic()
            if delay <= 0:
                return
            try:
                async with asyncio.timeout(min(delay, HEARTBEAT_S)):
                    await asyncio.shield(ws.connection_lost_waiter)
            except TimeoutError:
                if delay > HEARTBEAT_S:
                    await ws.send(_PING)
                    continue
                return
            await ws.recv()  # raises ConnectionClosed

    async def _reply(self, ws: ClientConnection, p: _Pending, recovered: bool) -> dict[str, Any]:
        """Read up to the reply to answer ``p``; return the frame to go on from.

        The reply is the next ``item``, or a ``subtest_intro`` or ``finished`` that tells the subtest before was
        ``completed`` (the stored reply to a resend is the same frame). The same frames pushed because the time ran
        out (``time_up``) acknowledge nothing, nor does ``finished`` without ``previous_subtest`` (what a finished
        battery answers to an answer it never applied).
        """
        pushed: dict[str, Any] | None = None
        while True:
            frame = await self._recv(ws)
            kind = frame.get("type")
            if kind == "item" and int(frame["seq"]) > p.seq:
                self._ack(p, recovered)
                return frame
            if kind == "item" and int(frame["seq"]) == p.seq:
                return frame  # presented again (resumed after a pause): answered again from the loop
            if kind in ("subtest_intro", "finished"):
                ended = (frame.get("previous_subtest") or {}).get("reason")
                if ended == "completed":
                    self._ack(p, recovered)
                    return frame
                if ended == "time_up":
                    pushed = frame  # the subtest's time ran out first: the answer is refused next
                    continue
                self._pending = None  # not a reply to this answer: where the session is now
                return frame
            if kind == "error":
                code = self._server_error(frame)  # unavailable: raised, and the answer stays pending for the resend
                if code == "paused":
                    continue  # the item is presented again on resume
                self._pending = None
                if code == "time_up":
                    return pushed if pushed is not None else await self._recv(ws)  # what comes next follows
                if code in ("wrong_seq", "not_started") and pushed is not None:
                    return pushed
                if code == "finished":
                    self.outcome = "finished"
                    return frame
                if code == "terminated":
                    self.outcome = "terminated"
                    return frame
                raise _Resync
            # time, paused, pong: not the reply

    def _ack(self, p: _Pending, recovered: bool) -> None:
        now = time.monotonic()
        self.acked[p.seq] = (p.item_id, p.response)
        self.ack_times.append(now)
        self._store_backoff.reset()
        if recovered:
            self.rec.recovered(self._lost_at if self._lost_at is not None else p.sent, now)
        else:
            self.rec.answered(p.sent, now, p.due)
        self._pending = None

    async def _recv(self, ws: ClientConnection, timeout: float | None = None) -> dict[str, Any]:
        try:
            async with asyncio.timeout(self.reply_timeout if timeout is None else max(timeout, 0.0)):
                raw = await ws.recv(decode=False)
        except TimeoutError:
            self.rec.error("client:reply_timeout")
            raise _Resync from None
        frame: dict[str, Any] = orjson.loads(raw)
        if frame.get("type") == "item":
            self.rec.item_frame(len(raw))
        return frame
