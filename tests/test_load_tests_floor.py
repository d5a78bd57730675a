"""The echo floor speaks the server's conversation: welcome, intros and their starts, items, an intro per subtest.

So the same examinee client drives it through the same frames, and the CPU per answer it costs is comparable.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from load_tests.procs import FloorProcess


async def _talk(ws: ClientConnection, frame: dict[str, Any]) -> dict[str, Any]:
    await ws.send(orjson.dumps(frame).decode())
    reply: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
    return reply


@pytest.mark.parametrize("subtest_items", [0, 3])
def test_the_floor_answers_each_frame_as_the_server_would(tmp_path: Path, subtest_items: int) -> None:
    floor = FloorProcess(tmp_path, redis_url=None, workers=1, frame_bytes=600, subtest_items=subtest_items)
    try:
        floor.start()
        kinds = asyncio.run(_sit(floor.base_url.replace("http", "ws", 1) + "/ws/candidate"))
    finally:
        floor.stop()
    expected = ["item"] * 7 if subtest_items == 0 else ["item", "item", "subtest_intro"] * 2 + ["item"]
    assert kinds == expected


async def _sit(url: str) -> list[str]:
    async with connect(url) as ws:
        assert (await _talk(ws, {"type": "hello", "token": "floor", "device": "floor-device"}))["type"] == "welcome"
        assert await _talk(ws, {"type": "ping"}) == {"type": "pong"}  # a heartbeat changes nothing
        intro = await _talk(ws, {"type": "start"})
        assert intro["type"] == "subtest_intro" and intro["subtest"]["index"] == 0 and "previous_subtest" not in intro
        item = await _talk(ws, {"type": "start", "subtest": 0})
        assert (item["type"], item["seq"]) == ("item", 1)
        kinds: list[str] = []
        seq = 1
        for _ in range(7):
            reply = await _talk(ws, {"type": "answer", "seq": seq, "response": 0})
            kinds.append(reply["type"])
            if reply["type"] == "subtest_intro":
                assert reply["previous_subtest"]["reason"] == "completed"
                reply = await _talk(ws, {"type": "start", "subtest": reply["subtest"]["index"]})
            assert reply["type"] == "item" and reply["seq"] == seq + 1
            assert 500 <= len(orjson.dumps(reply)) <= 700  # padded to about the server's item frames
            seq = reply["seq"]
    return kinds
