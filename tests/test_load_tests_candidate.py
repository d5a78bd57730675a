"""load_tests.candidate against a scripted fake server: the welcome and the intros, replies, lost replies, resends,
pushes, drops, a closed room.

The fake server follows docs/protocol.md for one session of ``ITEMS`` items in two subtests (seqs 1-2 and 3-4): the
``hello`` reply says where the session is (``waiting`` while the room is closed, then ``welcome`` pushed when it
opens; ``welcome``, ``subtest_intro``, ``item``, ``finished``); ``start`` begins the battery, then each subtest;
the reply to a subtest's last answer is the next ``subtest_intro`` or ``finished`` (with ``previous_subtest``). It
can lose a reply (apply the answer, then cut the connection), lose an answer (cut before applying it), push the
next subtest's intro or ``finished`` (time up), or refuse an answer or a hello because its store is unavailable
(error ``unavailable``, close 1013), before or after applying the answer (a commit that landed but whose replica
did not confirm it).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from websockets.asyncio.server import ServerConnection, serve

from load_tests.candidate import READING, Candidate, Pacing
from load_tests.examinee import RandomResponder, ThinkTime
from load_tests.recorder import Recorder

ITEMS = 4
SUBTEST_OF = {1: 0, 2: 0, 3: 1, 4: 1}  # seq -> subtest index
LAST_OF = {0: 2, 1: 4}  # subtest -> its last seq
NO_READING = ThinkTime.parse("fixed:0")


def _item(seq: int) -> str:
    sub = SUBTEST_OF[seq]
    frame: dict[str, Any] = {
        "type": "item",
        "seq": seq,
        "item": {"id": f"I{seq}", "stem": "?", "options": ["a", "b", "c"]},
        "subtest": {"index": sub, "id": f"s{sub}", "name": f"S{sub}", "count": 2},
    }
    return json.dumps(frame)


def _previous(index: int, reason: str) -> dict[str, str]:
    return {"id": f"s{index}", "name": f"S{index}", "reason": reason}


def _intro(index: int, reason: str | None = None) -> str:
    frame: dict[str, Any] = {
        "type": "subtest_intro",
        "subtest": {"index": index, "id": f"s{index}", "name": f"S{index}", "count": 2, "items_max": 2},
        "time_limit_s": 60,
        "starts_in_s": 300,
    }
    if reason is not None:
        frame["previous_subtest"] = _previous(index - 1, reason)
    return json.dumps(frame)


def _finished(reason: str | None = None) -> str:
    frame: dict[str, Any] = {"type": "finished", "profile": None}
    if reason is not None:
        frame["previous_subtest"] = _previous(1, reason)
    return json.dumps(frame)


WELCOME = json.dumps({"type": "welcome", "candidate": {"name": "N", "employee_id": "E"}, "practice": []})
WAITING = json.dumps({"type": "waiting", "reason": "room_closed"})


@dataclass
class FakeServer:
    lose_reply: set[int] = field(default_factory=set)  # apply the answer to this seq, then cut the connection
    lose_answer: set[int] = field(default_factory=set)  # cut the connection before applying it
    push_time_up_at: int | None = None  # when this seq is presented, its subtest's time runs out at once
    refuse_answer: dict[int, str] = field(default_factory=dict)  # seq -> "before" or "after" applying: unavailable
    refuse_hellos: int = 0  # the hellos after a refused answer refused as unavailable too
    open_after: float | None = None  # the room closed until this long after the first hello
    tried: dict[int, list[int]] = field(default_factory=dict)  # the responses received for each seq
    state: str = "welcome"  # welcome, intro, item, finished
    subtest: int = 0
    seq: int = 1
    applied: dict[int, int] = field(default_factory=dict)
    replies: dict[int, str] = field(default_factory=dict)
    resends: int = 0
    hellos: int = 0
    starts: list[int | None] = field(default_factory=list)  # the subtest of each start frame
    shown: dict[str, float] = field(default_factory=dict)  # when a welcome or intro was last sent
    read_for: list[float] = field(default_factory=list)  # from a welcome or intro sent to the start that followed it
    room_open: bool = True
    connections: list[ServerConnection] = field(default_factory=list)
    pings: list[float] = field(default_factory=list)  # when each ping came

    def current(self) -> str:
        if self.state == "welcome":
            return WELCOME if self.room_open else WAITING
        if self.state == "intro":
            return _intro(self.subtest)
        return _finished() if self.state == "finished" else _item(self.seq)

    async def send(self, ws: ServerConnection, frame: str) -> None:
        kind = json.loads(frame)["type"]
        if kind in ("welcome", "subtest_intro"):
            self.shown[kind] = time.monotonic()
        await ws.send(frame)

    async def open_room(self) -> None:
        assert self.open_after is not None
        await asyncio.sleep(self.open_after)
        self.room_open = True
        for ws in self.connections:  # the welcome pushed to whoever waits
            if self.state == "welcome":
                await self.send(ws, WELCOME)

    def end_subtest(self, reason: str) -> str:
        """The subtest of ``self.seq - 1`` is over: the next intro, or finished."""
        if self.subtest + 1 < len(LAST_OF):
            self.state, self.subtest = "intro", self.subtest + 1
            return _intro(self.subtest, reason)
        self.state = "finished"
        return _finished(reason)

    async def handler(self, ws: ServerConnection) -> None:
        self.connections.append(ws)
        async for raw in ws:
            msg = json.loads(raw)
            if msg["type"] == "hello":
                self.hellos += 1
                if self.refuse_hellos and not self.refuse_answer and self.tried:
                    self.refuse_hellos -= 1
                    await _unavailable(ws)
                    return
                if self.open_after is not None and self.hellos == 1:
                    self.room_open = False
                    asyncio.get_running_loop().create_task(self.open_room())
                await self.send(ws, self.current())
                continue
            if msg["type"] == "start":
                await self.start(ws, msg.get("subtest"))
                continue
            if msg["type"] == "ping":
                self.pings.append(time.monotonic())
                await ws.send(json.dumps({"type": "pong"}))
                continue
            await self.answer(ws, msg["seq"], msg["response"])

    async def start(self, ws: ServerConnection, subtest: int | None) -> None:
        self.starts.append(subtest)
        kind = {"welcome": "welcome", "intro": "subtest_intro"}.get(self.state)
        if kind in self.shown:
            self.read_for.append(time.monotonic() - self.shown[kind])
        if self.state == "welcome" and self.room_open and subtest is None:
            self.state, self.subtest = "intro", 0
        elif self.state == "intro" and subtest in (None, self.subtest):
            self.state = "item"
        await self.send(ws, self.current())  # the state's frame: a start that matches nothing changes nothing

    async def answer(self, ws: ServerConnection, seq: int, response: int) -> None:
        self.tried.setdefault(seq, []).append(response)
        if seq in self.replies:  # a resend of an applied answer: the stored reply
            self.resends += 1
            await ws.send(self.replies[seq])
            return
        if self.state == "finished":  # an answer never applied, once the battery is over
            await ws.send(_finished())
            await ws.close(1000)
            return
        if self.state != "item" or seq != self.seq:
            await ws.send(json.dumps({"type": "error", "code": "wrong_seq", "message": "-"}))
            return
        if self.refuse_answer.get(seq) == "before":
            del self.refuse_answer[seq]
            await _unavailable(ws)
            return
        if seq in self.lose_answer:
            self.lose_answer.discard(seq)
            ws.transport.abort()
            return
        self.applied[seq] = response
        self.seq += 1
        self.replies[seq] = self.end_subtest("completed") if LAST_OF[self.subtest] == seq else _item(self.seq)
        if seq in self.lose_reply:
            self.lose_reply.discard(seq)
            ws.transport.abort()
            return
        if self.refuse_answer.get(seq) == "after":
            del self.refuse_answer[seq]
            await _unavailable(ws)
            return
        await self.send(ws, self.replies[seq])
        if self.push_time_up_at == self.seq and self.state == "item":  # time runs out before the candidate answers
            self.seq += 1
            await self.send(ws, self.end_subtest("time_up"))


async def _unavailable(ws: ServerConnection) -> None:
    """What the server does when its store cannot take a request: the error, then close code 1013."""
    await ws.send(json.dumps({"type": "error", "code": "unavailable", "message": "-"}))
    await ws.close(1013, "store unavailable")


async def _sit(
    server: FakeServer,
    think: str = "fixed:0",
    drop_at: float | None = None,
    store_disrupted: bool = False,
    reading: ThinkTime = NO_READING,
) -> tuple[Candidate, Recorder]:
    async with serve(server.handler, "127.0.0.1", 0) as ws_server:
        port = next(iter(ws_server.sockets)).getsockname()[1]
        rec = Recorder()
        if store_disrupted:
            rec.begin_disruption("failover", store=True)
        client = Candidate(
            "tok",
            [f"ws://127.0.0.1:{port}"],
            RandomResponder(np.random.default_rng(1)),
            Pacing("closed", ThinkTime.parse(think), 1.0, reading),
            np.random.default_rng(2),
            rec,
            time.monotonic() + 20,
            reply_timeout=5,
        )
        task = asyncio.create_task(client.run())
        if drop_at is not None:
            await asyncio.sleep(drop_at)
            client.drop()
        await asyncio.wait_for(task, 20)
    return client, rec


def test_a_whole_sitting() -> None:
    server = FakeServer()
    client, rec = asyncio.run(_sit(server))
    assert client.outcome == "finished"
    assert sorted(client.acked) == [1, 2, 3, 4]
    assert {seq: r for seq, (_, r) in client.acked.items()} == server.applied
    assert len(rec.latency_ms) == 4 and len(rec.connect_ms) == 1
    assert rec.answers == 4 and not rec.errors and server.hellos == 1
    # the welcome answered with start, each intro with start naming its subtest
    assert server.starts == [None, 0, 1]
    assert (client.welcomes, client.intros, client.starts, client.waits) == (1, 2, 3, 0)


def test_a_long_think_pings_so_the_server_never_takes_the_link_for_dead(monkeypatch: Any) -> None:
    # docs/protocol.md, "Dead links": a client quiet for HEARTBEAT_S pings; its pong is not taken for a reply
    monkeypatch.setattr("load_tests.candidate.HEARTBEAT_S", 0.1)
    server = FakeServer()
    client, rec = asyncio.run(_sit(server, think="fixed:0.35"))
    assert client.outcome == "finished" and sorted(client.acked) == [1, 2, 3, 4] and not rec.errors
    assert len(server.pings) >= 4 * 2  # about three per think time of 0.35 s, four think times
    quick = FakeServer()
    asyncio.run(_sit(quick, think="fixed:0.05"))
    assert quick.pings == []  # thinking shorter than HEARTBEAT_S sends none


def test_the_welcome_and_each_intro_are_read_for_a_moment() -> None:
    # the default reading delay: 0.5 to 2 s before each start (not scaled by the run's time scale)
    server = FakeServer()
    client, _ = asyncio.run(_sit(server, reading=READING))
    assert client.outcome == "finished" and server.starts == [None, 0, 1]
    assert len(server.read_for) == 3 and all(s >= 0.45 for s in server.read_for), server.read_for


def test_a_closed_room_is_waited_for_on_the_same_connection() -> None:
    server = FakeServer(open_after=0.3)
    client, rec = asyncio.run(_sit(server))
    assert client.outcome == "finished"
    assert sorted(client.acked) == [1, 2, 3, 4] and not rec.errors
    assert server.hellos == 1  # no reconnect: the welcome came on the connection that waited
    assert client.waits == 1 and client.welcomes == 1 and server.starts == [None, 0, 1]


def test_a_lost_reply_is_resent_and_answered_from_storage() -> None:
    server = FakeServer(lose_reply={3})
    client, rec = asyncio.run(_sit(server))
    assert client.outcome == "finished"
    assert sorted(client.acked) == [1, 2, 3, 4]
    assert server.resends == 1 and server.hellos == 2
    assert {seq: r for seq, (_, r) in client.acked.items()} == server.applied
    assert len(rec.recovered_ms) == 1 and len(rec.resume_ms) == 1
    assert rec.drops["unexpected"] == 1 and rec.errors["client:connection_lost"] == 1


def test_a_lost_reply_that_ended_a_subtest_is_answered_by_the_next_intro() -> None:
    # the hello after the drop shows the second subtest's intro; the resend of answer 2 gets its stored reply (that
    # intro, previous_subtest completed): acknowledged once, then the subtest is started once
    server = FakeServer(lose_reply={2})
    client, rec = asyncio.run(_sit(server))
    assert client.outcome == "finished"
    assert sorted(client.acked) == [1, 2, 3, 4] and server.resends == 1
    assert {seq: r for seq, (_, r) in client.acked.items()} == server.applied
    assert server.starts == [None, 0, 1] and len(rec.recovered_ms) == 1


def test_a_lost_answer_is_answered_again_with_the_same_response() -> None:
    server = FakeServer(lose_answer={3})
    client, rec = asyncio.run(_sit(server))
    assert client.outcome == "finished"
    assert sorted(client.acked) == [1, 2, 3, 4]
    assert server.resends == 0 and server.hellos == 2
    assert {seq: r for seq, (_, r) in client.acked.items()} == server.applied
    assert len(rec.recovered_ms) == 0  # the hello reply presented seq 3 again: answering it was the resend


def test_an_intro_pushed_when_time_ran_out_does_not_acknowledge_the_refused_answer() -> None:
    # after answering seq 1 the client gets item 2, and at once the second subtest's intro (the first subtest's time
    # ran out); its answer to 2 is then refused with wrong_seq and must not count as acknowledged
    server = FakeServer(push_time_up_at=2)
    client, rec = asyncio.run(_sit(server, think="fixed:0.05"))
    assert client.outcome == "finished"
    assert sorted(client.acked) == [1, 3, 4]
    assert sorted(server.applied) == [1, 3, 4]
    assert rec.errors["wrong_seq"] == 1 and server.starts == [None, 0, 1]


def test_finished_pushed_when_time_ran_out_does_not_acknowledge_the_refused_answer() -> None:
    # item 4 is presented and the last subtest's time runs out at once: finished (time_up) is pushed; the answer to 4
    # then gets the finished frame without previous_subtest, which acknowledges nothing
    server = FakeServer(push_time_up_at=4)
    client, rec = asyncio.run(_sit(server, think="fixed:0.05"))
    assert client.outcome == "finished"
    assert sorted(client.acked) == [1, 2, 3] == sorted(server.applied)
    assert not rec.errors


def test_a_planned_drop_is_noticed_while_thinking_and_resumed() -> None:
    server = FakeServer()
    client, rec = asyncio.run(_sit(server, think="fixed:0.3", drop_at=0.45))
    assert client.outcome == "finished"
    assert sorted(client.acked) == [1, 2, 3, 4]
    assert rec.drops["planned"] == 1 and not rec.errors
    assert len(client.resumes) == 1 and server.hellos == 2


def test_a_drop_while_reading_is_resumed_where_the_session_is() -> None:
    # dropped while the welcome or the first intro is read: the hello shows it again, and each start is sent once
    server = FakeServer()
    client, rec = asyncio.run(_sit(server, drop_at=0.6, reading=ThinkTime.parse("fixed:0.4")))
    assert client.outcome == "finished"
    assert sorted(client.acked) == [1, 2, 3, 4] and not rec.errors
    assert server.hellos == 2 and server.starts == [None, 0, 1] and rec.drops["planned"] == 1


def test_unavailable_keeps_the_answer_and_resends_it_after_a_backoff() -> None:
    # answer 2 refused before it was applied, then two hellos refused: the client backs off (0.2 s, doubling) and
    # answers seq 2 with the same response once the store is back
    server = FakeServer(refuse_answer={2: "before"}, refuse_hellos=2)
    began = time.monotonic()
    client, rec = asyncio.run(_sit(server))
    assert client.outcome == "finished"
    assert sorted(client.acked) == [1, 2, 3, 4]
    assert {seq: r for seq, (_, r) in client.acked.items()} == server.applied
    assert len(server.tried[2]) == 2 and len(set(server.tried[2])) == 1  # the pending answer, resent unchanged
    assert server.hellos == 4 and client.unavailable == 3
    assert rec.errors == {"unavailable": 3} and not rec.retryable  # no disruption of the store: errors
    assert rec.drops["unavailable"] == 3
    assert time.monotonic() - began >= 0.15 * (1 + 2 + 4)  # 0.2 s, 0.4 s, 0.8 s, each -25 % at most


def test_unavailable_after_the_answer_was_applied_gets_the_stored_reply() -> None:
    # the commit of answer 3 landed but was refused (its replica did not confirm): the hello presents item 4, and
    # the resend of 3 is answered from storage, so 3 is acknowledged once and applied once
    server = FakeServer(refuse_answer={3: "after"})
    client, rec = asyncio.run(_sit(server, store_disrupted=True))
    assert client.outcome == "finished"
    assert sorted(client.acked) == [1, 2, 3, 4]
    assert server.resends == 1 and len(rec.recovered_ms) == 1
    assert {seq: r for seq, (_, r) in client.acked.items()} == server.applied
    assert not rec.errors and rec.retryable == {"unavailable": 1}  # the store disrupted on purpose: retryable
    assert rec.window_errors == {"unavailable": 1}
    assert len(client.ack_times) == 4 and len(client.error_times) == 1
