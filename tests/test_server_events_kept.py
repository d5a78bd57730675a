"""Room events are kept ``events_keep_s`` and then trimmed as new ones come, on both store twins.

A proctor always resumes with a fresh snapshot, so older events only serve one who was away longer; trimming keeps
a busy room's stream from growing all day (docs/operations.md, memory per session).
"""

from __future__ import annotations

import asyncio
import time
from uuid import uuid4

import pytest

from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.redis_store import RedisStore
from cat_engine.server.store import CandidateRecord, Commit, RoomRecord, Store, token_digest
from load_tests.procs import RedisServer

KEEP_S = 1


async def _fill(store: Store, batches: int, per_batch: int) -> tuple[str, str, int]:
    """A room with one session and ``batches`` commits of ``per_batch`` events; (room id, session id, version)."""
    room = RoomRecord(f"r{uuid4().hex[:10]}", "Room", "battery-1", 1)
    await store.create_room(room, f"ptok-{room.room_id}")
    sid = f"{room.room_id}-1"
    await store.add_candidates(room.room_id, [(CandidateRecord(sid, "E1", "Name", token_digest(f"tok-{sid}")), b"s")])
    version = 1
    for b in range(batches):
        events = [f'{{"n":{b * per_batch + i}}}'.encode() for i in range(per_batch)]
        ok, _ = await store.commit(sid, version, Commit(state=b"s", events=events))
        assert ok
        version += 1
    return room.room_id, sid, version


@pytest.mark.parametrize("twin", ["memory", "redis"])
def test_old_room_events_are_trimmed_new_ones_kept(twin: str, request: pytest.FixtureRequest) -> None:
    async def body() -> None:
        if twin == "memory":
            store: Store = MemoryStore(events_keep_s=KEEP_S)
        else:
            redis: RedisServer = request.getfixturevalue("private_redis")
            store = RedisStore(redis.url, prefix=f"t{uuid4().hex[:8]}", events_keep_s=KEEP_S)
        await store.start()
        try:
            room_id, sid, version = await _fill(store, 5, 200)  # 1,000 events, several stream nodes
            assert len(await store.read_events(room_id, "0-0", 0)) == 1000
            await asyncio.sleep(KEEP_S + 0.3)
            before = int(time.time() * 1000)
            ok, ids = await store.commit(sid, version, Commit(state=b"s", events=[b'{"n":"new"}']))
            assert ok
            left = await store.read_events(room_id, "0-0", 0)
            # the new event is there, and most of the old ones went (Redis trims whole stream nodes: MINID ~)
            assert left[-1] == (ids[0], b'{"n":"new"}')
            assert len(left) < 200, len(left)
            assert await store.last_event_id(room_id) == ids[0]
            assert int(ids[0].split("-")[0]) >= before - 5
        finally:
            await store.close()

    asyncio.run(asyncio.wait_for(body(), 20))
