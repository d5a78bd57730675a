"""load_tests.candidate against a scripted fake server: replies, lost replies, resends, pushes, drops.

The fake server follows docs/protocol.md for one session of ``ITEMS`` items and can lose a reply (apply the answer,
then cut the connection), lose an answer (cut before applying it), push the next subtest's item (time up), or refuse
an answer or a hello because its store is unavailable (error ``unavailable``, close 1013), before or after applying
the answer (a commit that landed but whose replica did not confirm it).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from websockets.asyncio.server import ServerConnection, serve

from load_tests.candidate import Candidate, Pacing
from load_tests.examinee import RandomResponder, ThinkTime
from load_tests.recorder import Recorder

ITEMS = 4


def _item(seq: int, reason: str | None = None) -> str:
    frame: dict[str, Any] = {
        "type": "item",
        "seq": seq,
        "item": {"id": f"I{seq}", "stem": "?", "options": ["a", "b", "c"]},
        "subtest": {"index": 0, "id": "s", "name": "S", "count": 1},
    }
    if reason is not None:
        frame["previous_subtest"] = {"id": "s", "name": "S", "reason": reason}
    return json.dumps(frame)


@dataclass
class FakeServer:
    lose_reply: set[int] = field(default_factory=set)  # apply the answer to this seq, then cut the connection
    lose_answer: set[int] = field(default_factory=set)  # cut the connection before applying it
    push_time_up_at: int | None = None  # when this seq is presented, push the next item at once (time ran out)
    refuse_answer: dict[int, str] = field(default_factory=dict)  # seq -> "before" or "after" applying: unavailable
    refuse_hellos: int = 0  # the hellos after a refused answer refused as unavailable too
    tried: dict[int, list[int]] = field(default_factory=dict)  # the responses received for each seq
    seq: int = 1
    applied: dict[int, int] = field(default_factory=dict)
    replies: dict[int, str] = field(default_factory=dict)
    resends: int = 0
    hellos: int = 0

    def current(self) -> str:
        return json.dumps({"type": "finished", "profile": None}) if self.seq > ITEMS else _item(self.seq)

    async def handler(self, ws: ServerConnection) -> None:
        async for raw in ws:
            msg = json.loads(raw)
            if msg["type"] == "hello":
                self.hellos += 1
                if self.refuse_hellos and not self.refuse_answer and self.tried:
                    self.refuse_hellos -= 1
                    await _unavailable(ws)
                    return
                await ws.send(self.current())
                continue
            seq = msg["seq"]
            self.tried.setdefault(seq, []).append(msg["response"])
            if seq in self.replies:  # a resend of an applied answer: the stored reply
                self.resends += 1
                await ws.send(self.replies[seq])
                continue
            if seq != self.seq:
                await ws.send(json.dumps({"type": "error", "code": "wrong_seq", "message": "-"}))
                continue
            if self.refuse_answer.get(seq) == "before":
                del self.refuse_answer[seq]
                await _unavailable(ws)
                return
            if seq in self.lose_answer:
                self.lose_answer.discard(seq)
                ws.transport.abort()
                return
            self.applied[seq] = msg["response"]
            self.seq += 1
            self.replies[seq] = self.current()
            if seq in self.lose_reply:
                self.lose_reply.discard(seq)
                ws.transport.abort()
                return
            if self.refuse_answer.get(seq) == "after":
                del self.refuse_answer[seq]
                await _unavailable(ws)
                return
            await ws.send(self.replies[seq])
            if self.push_time_up_at == self.seq:  # the new item's time runs out before the candidate answers
                self.seq += 1
                await ws.send(_item(self.seq, "time_up") if self.seq <= ITEMS else self.current())


async def _unavailable(ws: ServerConnection) -> None:
    """What the server does when its store cannot take a request: the error, then close code 1013."""
    await ws.send(json.dumps({"type": "error", "code": "unavailable", "message": "-"}))
    await ws.close(1013, "store unavailable")


async def _sit(
    server: FakeServer, think: str = "fixed:0", drop_at: float | None = None, store_disrupted: bool = False
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
            Pacing("closed", ThinkTime.parse(think), 1.0),
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


def test_a_lost_reply_is_resent_and_answered_from_storage() -> None:
    server = FakeServer(lose_reply={2})
    client, rec = asyncio.run(_sit(server))
    assert client.outcome == "finished"
    assert sorted(client.acked) == [1, 2, 3, 4]
    assert server.resends == 1 and server.hellos == 2
    assert {seq: r for seq, (_, r) in client.acked.items()} == server.applied
    assert len(rec.recovered_ms) == 1 and len(rec.resume_ms) == 1
    assert rec.drops["unexpected"] == 1 and rec.errors["client:connection_lost"] == 1


def test_a_lost_answer_is_answered_again_with_the_same_response() -> None:
    server = FakeServer(lose_answer={3})
    client, rec = asyncio.run(_sit(server))
    assert client.outcome == "finished"
    assert sorted(client.acked) == [1, 2, 3, 4]
    assert server.resends == 0 and server.hellos == 2
    assert {seq: r for seq, (_, r) in client.acked.items()} == server.applied
    assert len(rec.recovered_ms) == 0  # the hello reply presented seq 3 again: answering it was the resend


def test_an_item_pushed_when_time_ran_out_does_not_acknowledge_the_refused_answer() -> None:
    # after answering seq 1 the client gets item 2, and at once item 3 (seq 2's time ran out); its answer to 2 is
    # then refused with wrong_seq and must not count as acknowledged
    server = FakeServer(push_time_up_at=2)
    client, rec = asyncio.run(_sit(server, think="fixed:0.05"))
    assert client.outcome == "finished"
    assert sorted(client.acked) == [1, 3, 4]
    assert sorted(server.applied) == [1, 3, 4]
    assert rec.errors["wrong_seq"] == 1


def test_a_planned_drop_is_noticed_while_thinking_and_resumed() -> None:
    server = FakeServer()
    client, rec = asyncio.run(_sit(server, think="fixed:0.3", drop_at=0.45))
    assert client.outcome == "finished"
    assert sorted(client.acked) == [1, 2, 3, 4]
    assert rec.drops["planned"] == 1 and not rec.errors
    assert len(client.resumes) == 1 and server.hellos == 2


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
