"""Replacing lost tokens (cat_engine.server.tokens) on both stores: the new token works, the old one is dead."""

from __future__ import annotations

import pytest
from server_world import StoreFactory, World, in_world, make_battery, refused

from cat_engine.battery import Battery
from cat_engine.server import tokens


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    return make_battery(tmp_path_factory.mktemp("battery"))


def test_a_candidate_token_is_replaced_and_the_old_one_refused(new_store: StoreFactory, battery: Battery) -> None:
    async def body(w: World) -> None:
        old = w.token(1)
        [new] = await tokens.reissue_candidate_tokens(w.process.tx, w.room_id, [w.sid(1)])
        assert new["session_id"] == w.sid(1) and new["employee_id"] == w.cands[1]["employee_id"]
        assert new["token"] != old and len(new["token"]) == len(old)
        assert (await refused(w.process.candidates.hello(old, "p1/c1"))).code == "bad_token"
        sid, outcome = await w.process.candidates.hello(new["token"], "p1/c2")
        assert sid == w.sid(1) and outcome.frames
        # the others keep theirs
        assert (await w.process.candidates.hello(w.token(0), "p1/c3"))[0] == w.sid(0)

    in_world(new_store, battery, body)


def test_reissue_refuses_other_rooms_and_unknown_sessions_and_changes_nothing(
    new_store: StoreFactory, battery: Battery
) -> None:
    async def body(w: World) -> None:
        tx = w.process.tx
        ghost = f"{w.room_id}-0099"
        for ids, code in (([], "bad_request"), (["ABCDEF-0001"], "bad_request"), ([w.sid(0), ghost], "not_found")):
            assert (await refused(tokens.reissue_candidate_tokens(tx, w.room_id, ids))).code == code
        assert (await w.process.candidates.hello(w.token(0), "p1/c1"))[0] == w.sid(0)  # not replaced
        too_many = [w.sid(0)] * (tokens.MAX_REISSUE + 1)
        assert (await refused(tokens.reissue_candidate_tokens(tx, w.room_id, too_many))).code == "bad_request"

    in_world(new_store, battery, body)


def test_a_proctor_token_is_replaced_and_the_old_one_refused(new_store: StoreFactory, battery: Battery) -> None:
    async def body(w: World) -> None:
        proctors = w.process.proctors
        reply = await tokens.reissue_proctor_token(w.process.tx, w.room_id)
        assert reply["room_id"] == w.room_id and reply["proctor_token"] != w.proctor_token
        assert (await refused(proctors.room_for_token(w.proctor_token))).code == "bad_token"
        assert await proctors.room_for_token(reply["proctor_token"]) == w.room_id
        assert (await refused(tokens.reissue_proctor_token(w.process.tx, "ZZZZZZ"))).code == "not_found"

    in_world(new_store, battery, body)
