"""Correcting a roster before the test (cat_engine.server.roster_edits) and archiving a room, on both stores.

A candidate who has not started may be edited or removed; once they started, ``started`` and nothing changes. An
archived room stays closed and takes no roster.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from server_world import StoreFactory, World, in_world, make_battery, refused

from cat_engine.battery import Battery
from cat_engine.server import rooms
from cat_engine.server.decoding import RoomGate
from cat_engine.server.frames import room_gate_event
from cat_engine.server.roster_edits import edit_candidate, remove_candidate


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    return make_battery(tmp_path_factory.mktemp("battery"))


def test_a_candidate_who_has_not_started_is_corrected(new_store: StoreFactory, battery: Battery) -> None:
    async def body(w: World) -> None:
        tx = w.process.tx
        before = await w.load(1)
        edited = await edit_candidate(tx, w.sid(1), {"name": "  Siti Rahmawati ", "employee_id": "E900"})
        assert edited == {"session_id": w.sid(1), "employee_id": "E900", "name": "Siti Rahmawati"}
        after = await w.load(1)
        assert (after.candidate.employee_id, after.candidate.name) == ("E900", "Siti Rahmawati")
        assert after.version == before.version + 1 and after.state == before.state
        # the old employee id is free again, the new one taken
        added = await rooms.register(tx, w.room_id, [{"employee_id": "E002", "name": "Baru"}])
        assert added[0]["employee_id"] == "E002"
        taken = await refused(rooms.register(tx, w.room_id, [{"employee_id": "E900", "name": "Dua"}]))
        assert taken.code == "duplicate_employee"
        # the welcome shows the corrected name
        _, out = await w.process.candidates.hello(w.token(1), "p1/c1")
        assert orjson.loads(out.frames[0])["candidate"] == {"name": "Siti Rahmawati", "employee_id": "E900"}
        # only the name: the id stays
        await edit_candidate(tx, w.sid(1), {"name": "Siti R."})
        assert (await w.load(1)).candidate.employee_id == "E900"

    in_world(new_store, battery, body)


def test_edits_are_refused_when_bad_duplicate_or_started_and_change_nothing(
    new_store: StoreFactory, battery: Battery
) -> None:
    async def body(w: World) -> None:
        tx = w.process.tx
        await w.sit("p1/c1", n=0)  # candidate 0 has started
        kept = [await w.load(n) for n in range(3)]
        cases: list[tuple[str, Any, str]] = [
            (w.sid(1), {"employee_id": w.cands[2]["employee_id"]}, "duplicate_employee"),
            (w.sid(1), {"name": "a\u202eb"}, "bad_request"),
            (w.sid(1), {"name": ""}, "bad_request"),
            (w.sid(1), {}, "bad_request"),
            (w.sid(1), {"token": "x"}, "bad_request"),
            (w.sid(1), ["name"], "bad_request"),
            (w.sid(0), {"name": "Orang Lain"}, "started"),
            (f"{w.room_id}-0099", {"name": "Hantu"}, "not_found"),
        ]
        for sid, edit, code in cases:
            assert (await refused(edit_candidate(tx, sid, edit))).code == code, (sid, edit)
        assert (await refused(remove_candidate(tx, w.sid(0)))).code == "started"
        assert [await w.load(n) for n in range(3)] == kept

    in_world(new_store, battery, body)


def test_a_candidate_who_has_not_started_is_removed_with_the_token(new_store: StoreFactory, battery: Battery) -> None:
    async def body(w: World) -> None:
        tx = w.process.tx
        await w.process.candidates.hello(w.token(2), "p1/c9")  # at the welcome: not started, may still be removed
        assert await remove_candidate(tx, w.sid(2)) == {"removed": w.sid(2)}
        assert await w.store.load(w.sid(2)) is None
        assert [c.session_id for c in await w.store.room_candidates(w.room_id)] == [w.sid(0), w.sid(1)]
        assert await w.store.audit(w.sid(2)) == []
        assert (await refused(w.process.candidates.hello(w.token(2), "p1/c1"))).code == "bad_token"
        assert (await refused(remove_candidate(tx, w.sid(2)))).code == "not_found"
        # the employee id may be registered again
        again = await rooms.register(tx, w.room_id, [{"employee_id": w.cands[2]["employee_id"], "name": "Lagi"}])
        assert again[0]["session_id"] != w.sid(2)

    in_world(new_store, battery, body)


def test_an_edit_loses_to_a_start_that_came_first(new_store: StoreFactory, battery: Battery) -> None:
    """The store applies an edit only to the version that was checked: a candidate who starts in between is not
    edited (the edit is checked again and refused)."""

    async def body(w: World) -> None:
        checked = await w.load(1)
        await w.sit("p1/c1", n=1)
        assert not await w.store.edit_candidate(w.sid(1), checked.version, "E777", "Terlambat")
        assert not await w.store.remove_candidate(w.sid(1), checked.version)
        assert (await w.load(1)).candidate.employee_id == w.cands[1]["employee_id"]

    in_world(new_store, battery, body)


def test_an_archived_room_stays_closed_and_takes_no_roster(new_store: StoreFactory, battery: Battery) -> None:
    async def body(w: World) -> None:
        tx = w.process.tx
        await w.sit("p1/c1", n=0)  # a running test goes on
        last = await w.store.last_event_id(w.room_id)
        assert await w.store.archive_room(w.room_id, room_gate_event(False, tx.now_ms(), archived=True))
        room = await w.store.get_room(w.room_id)
        assert room is not None and (room.open, room.archived) == (False, True)
        [(_, raw)] = await w.store.read_events(w.room_id, last, 0)
        assert orjson.loads(raw)["event"]["type"] == "room_archived"
        assert orjson.loads(raw)["room"] == {"open": False, "archived": True}
        refusal = await refused(w.process.proctors.gate(w.room_id, RoomGate(True, "g1")))
        assert refusal.code == "bad_command"
        assert (await w.store.get_room(w.room_id)).open is False  # type: ignore[union-attr]
        roster = rooms.register(tx, w.room_id, [{"employee_id": "E500", "name": "Baru"}])
        assert (await refused(roster)).code == "bad_request"
        _, out = await w.process.candidates.hello(w.token(1), "p1/c2")
        assert orjson.loads(out.frames[0]) == {"type": "waiting", "reason": "room_closed"}
        state = await w.state(0)
        answered = await w.process.candidates.answer(w.sid(0), "p1/c1", state.seq, 0)
        assert answered.applied
        assert not await w.store.archive_room("ZZZZZZ", b"{}")

    in_world(new_store, battery, body)
