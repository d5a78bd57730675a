"""The page scripts without a browser: the Node tests of their pure modules (``tests/js/``), and the proctor console's
model replayed against a real server.

The replay records every frame two proctor consoles receive (one batched, one event by event) while candidates sit
the battery with varied outcomes, then hands the frames and the server's ``GET /api/rooms/{id}`` to
``tests/js/replay.mjs``, which feeds them into ``proctor_model.js`` and checks that its rows and counts are the
server's. A third recording, a snapshot taken at the end plus the whole stored stream from ``"0-0"``, must give the
same rows. Node is Debian's ``nodejs`` (``scripts/ensure_node.sh``); a missing ``node`` fails these tests, it never
skips them.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import AppServer, battery_dict, subtest_dict, write_battery
from protocol_client import AdminApi, parse_event_id
from websockets.asyncio.client import ClientConnection, connect

from cat_engine.server.settings import Settings

REPO = Path(__file__).resolve().parent.parent
JS_TESTS = REPO / "tests" / "js"
ADMIN_TOKEN = "t"
BATCH_MS = 150


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node not found: run scripts/ensure_node.sh (installs Debian's nodejs)")
    return node


def _run_node(*args: str, timeout: float = 120) -> str:
    """Run node in the repository; its output, or a failure that prints it."""
    proc = subprocess.run([_node(), *args], cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        print(output)
        pytest.fail(f"node {' '.join(args)} exited with {proc.returncode}:\n{output}", pytrace=False)
    return output


def test_node_tests_of_the_page_modules() -> None:
    # the files by name: `node --test tests/js/` searches a directory only up to Node 20 (Debian's is 18 or 20)
    files = sorted(str(p.relative_to(REPO)) for p in JS_TESTS.glob("*.test.mjs"))
    assert files, "no tests in tests/js"
    output = _run_node("--test", *files)
    assert "# fail 0" in output, output


# --- the replay against a real server ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, app_server: Callable[..., AppServer]) -> Iterator[AppServer]:
    first = subtest_dict("s1", max_items=4, min_items=4, se_target=None, time_limit_s=600)
    second = subtest_dict("s2", max_items=3, min_items=3, se_target=0.3, time_limit_s=None)
    path = write_battery(tmp_path_factory.mktemp("battery"), battery_dict([first, second], id="replay"))
    # five consoles of one room at a time here (one drops and comes back): above the default of four per token
    settings = Settings(
        admin_token=ADMIN_TOKEN,
        demo_room=False,
        batteries=(path,),
        proctor_batch_ms=BATCH_MS,
        max_proctor_connections=8,
    )
    yield app_server(settings)


def _dumps(frame: dict[str, Any]) -> str:
    return orjson.dumps(frame).decode()


async def _recv(ws: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    frame = orjson.loads(await asyncio.wait_for(ws.recv(), timeout))
    assert isinstance(frame, dict)
    return frame


class Recorder:
    """A proctor console that only listens: every frame it receives, in order."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self.task = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, base: str, token: str, **hello: Any) -> Recorder:
        ws = await connect(f"{base}/ws/proctor")
        await ws.send(_dumps({"type": "hello", "token": token, **hello}))
        return cls(ws)

    async def _read(self) -> None:
        async for message in self.ws:
            self.frames.append(orjson.loads(message))

    def last_id(self) -> str:
        return self.last_of(self.frames)

    @staticmethod
    def last_of(frames: list[dict[str, Any]]) -> str:
        """The newest event id among ``frames`` (a snapshot's last_event_id included)."""
        ids = [f["id"] for f in frames if f.get("type") == "event"]
        ids += [e["id"] for f in frames if f.get("type") == "events" for e in f["events"]]
        ids += [f["last_event_id"] for f in frames if f.get("type") == "snapshot"]
        return max(ids, key=parse_event_id, default="0-0")

    async def close(self) -> list[dict[str, Any]]:
        await self.ws.close()
        await self.task
        return self.frames


class Candidate:
    """A candidate who goes straight past the welcome and each subtest's intro (``start``) to the items."""

    def __init__(self, base: str, who: dict[str, Any]) -> None:
        self.base = base
        self.who = who
        self.ws: ClientConnection | None = None
        self.frame: dict[str, Any] = {}

    async def start(self) -> None:
        self.ws = await connect(f"{self.base}/ws/candidate")
        await self.ws.send(_dumps({"type": "hello", "token": self.who["token"], "device": "replay-device-01"}))
        self.frame = await self._past_starts(await _recv(self.ws))

    async def _past_starts(self, frame: dict[str, Any]) -> dict[str, Any]:
        """``start`` after the welcome and after each intro, until a frame that is neither."""
        assert self.ws is not None
        while frame["type"] in ("welcome", "subtest_intro"):
            start: dict[str, Any] = {"type": "start"}
            if frame["type"] == "subtest_intro":
                start["subtest"] = frame["subtest"]["index"]
            await self.ws.send(_dumps(start))
            frame = await _recv(self.ws)
        return frame

    async def answer(self, n: int) -> None:
        assert self.ws is not None
        for i in range(n):
            assert self.frame["type"] == "item", self.frame
            await self.ws.send(_dumps({"type": "answer", "seq": self.frame["seq"], "response": i % 2}))
            self.frame = await self._past_starts(await _recv(self.ws))

    async def next_item(self) -> None:
        """Skip what the server pushed (a pause, a time) up to the item presented again."""
        assert self.ws is not None
        while (frame := await _recv(self.ws))["type"] != "item":
            pass
        self.frame = frame

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


async def _command(ws: ClientConnection, **frame: Any) -> None:
    await ws.send(_dumps({**frame, "id": "c"}))
    while (reply := await _recv(ws))["type"] != "ack":
        pass
    assert all(r["ok"] for r in reply["results"]), reply


async def _settled(srv: AppServer, room_id: str, recorders: list[Recorder], timeout: float = 15.0) -> None:
    """Wait until the room's stream is still and every recorder has every event of it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = None
    while loop.time() < deadline:
        now = await asyncio.to_thread(srv.call, srv.hub.store.last_event_id(room_id))
        if now == last and all(r.last_id() == now for r in recorders):
            return
        last = now
        await asyncio.sleep(3 * BATCH_MS / 1000)
    raise AssertionError(f"the stream did not settle: {last} vs {[r.last_id() for r in recorders]}")


def test_the_console_model_replayed_gives_the_servers_rooms(srv: AppServer, tmp_path: Path) -> None:
    base = f"ws://127.0.0.1:{srv.port}"
    api = AdminApi(srv.base_url, ADMIN_TOKEN)

    async def go() -> dict[str, Any]:
        room = await api.create_room("Ruang Putar Ulang", "replay")
        rid, token = room["room_id"], room["proctor_token"]
        people = [(f"1990010120201210{i:02d}", f"Peserta {i:02d}") for i in range(1, 10)]
        who = await api.register(rid, people)
        batched = await Recorder.open(base, token, batch=True)
        single = await Recorder.open(base, token)
        away = await Recorder.open(base, token, batch=True)  # a console whose connection drops midway
        commander = await connect(f"{base}/ws/proctor")
        await commander.send(_dumps({"type": "hello", "token": token}))
        await _recv(commander)
        c = [Candidate(base, w) for w in who]
        try:
            # two finish the battery (4 + 3 items)
            for k in (0, 1):
                await c[k].start()
                await c[k].answer(7)
                assert c[k].frame["type"] == "finished"
            # paused by the proctor mid-subtest, still connected, after an extension of its time
            await c[2].start()
            await c[2].answer(2)
            await _command(commander, type="extend", session_id=who[2]["session_id"], seconds=120)
            await _command(commander, type="pause", session_id=who[2]["session_id"], reason="Izin ke toilet")
            # terminated in its second subtest
            await c[3].start()
            await c[3].answer(5)
            await _command(commander, type="terminate", session_id=who[3]["session_id"], reason="Membawa telepon")
            await _settled(srv, rid, [away])
            before = await away.close()
            # disconnected mid-subtest (the clock stops), while that console is away
            await c[4].start()
            await c[4].answer(2)
            await c[4].close()
            back = await Recorder.open(base, token, batch=True, last_event_id=Recorder.last_of(before))
            # active and connected: one in the first subtest (a running clock), one in the second (no limit)
            await c[5].start()
            await c[5].answer(3)
            await c[6].start()
            await c[6].answer(5)
            # paused, then resumed; the last of the roster never starts
            await c[7].start()
            await _command(commander, type="pause", session_id=who[7]["session_id"])
            await _command(commander, type="resume", session_id=who[7]["session_id"])
            await c[7].next_item()
            await c[7].answer(1)
            await _settled(srv, rid, [batched, single, back])
            expect = await api.room(rid)
            assert expect["counts"] == {"finished": 2, "paused": 1, "terminated": 1, "active": 4, "ready": 1}
            assert [s["connected"] for s in expect["sessions"] if s["phase"] == "active"] == [False, True, True, True]
            # the snapshot at the end, then the whole stream from the start
            replay = await Recorder.open(base, token, batch=True, last_event_id="0-0")
            await _settled(srv, rid, [replay])
            expect_end = await api.room(rid)
            details = {}
            for s in expect_end["sessions"]:
                await commander.send(_dumps({"type": "detail", "session_id": s["session_id"], "id": s["session_id"]}))
                while (reply := await _recv(commander))["type"] != "detail":
                    pass
                details[s["session_id"]] = reply
            replays = [
                ("live, batched", None, await batched.close(), expect),
                ("live, event by event", None, await single.close(), expect),
                ("live, reconnected midway", None, before + await back.close(), expect),
                ("snapshot at the end + stream from 0-0", "0-0", await replay.close(), expect_end),
            ]
            keys = ("name", "resume_from", "frames", "expect")
            return {"replays": [dict(zip(keys, r, strict=True)) for r in replays], "details": details}
        finally:
            for cand in c:
                await cand.close()
            await commander.close()

    recording = asyncio.run(asyncio.wait_for(go(), 120))
    _require_the_new_contract(recording)
    path = tmp_path / "recording.json"
    path.write_text(json.dumps(recording), encoding="utf-8")
    print(_run_node(str(JS_TESTS / "replay.mjs"), str(path)))


def _require_the_new_contract(recording: dict[str, Any]) -> None:
    """The replay needs the server's views in events, `allowed` and `at_ms` (docs/protocol.md); say plainly when the
    server does not produce them yet, rather than a list of differences."""
    first = recording["replays"][0]
    snapshot = next(f for f in first["frames"] if f["type"] == "snapshot")
    events = [e for f in first["frames"] if f["type"] == "events" for e in f["events"]]
    missing = []
    if "at_ms" not in snapshot:
        missing.append("the snapshot's at_ms")
    if "at_ms" not in first["expect"]:
        missing.append("GET /api/rooms/{id}'s at_ms")
    if any("allowed" not in s for s in first["expect"]["sessions"]):
        missing.append("the session views' allowed")
    if not any("view" in e for e in events):
        missing.append("the events' view")
    if missing:
        pytest.fail(f"the server does not produce {', '.join(missing)} yet", pytrace=False)
