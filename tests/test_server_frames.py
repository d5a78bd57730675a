"""cat_engine.server.frames: what a candidate may see of a real sitting of the demo battery, the error frame, and
the proctor frames built from session views and room events."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import battery_dict, load, subtest_dict

from cat_engine import session as core
from cat_engine.battery import Battery, load_battery
from cat_engine.events import Answered, Event
from cat_engine.options import current_order
from cat_engine.server.frames import (
    error_frame,
    event_frame,
    events_frame,
    finished_frame,
    item_frame,
    message_frame,
    paused_frame,
    room_events,
    state_frame,
    subtest_intro_frame,
    time_frame,
    waiting_frame,
    welcome_frame,
)
from cat_engine.server.store import CandidateRecord, token_digest
from cat_engine.server.wire_errors import Refusal
from cat_engine.session import Phase, SessionState

DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"


@functools.cache
def demo() -> Battery:
    return load_battery(DEMO)


# --- server frames: a real session over the demo battery ---------------------------------------------------------

ITEM_KEYS = {"type", "seq", "item", "subtest", "progress", "time_left_s"}
INTRO_KEYS = {"type", "subtest", "time_limit_s", "starts_in_s"}
INTRO_MS = 300_000  # how long an intro waits for the candidate's start (CAT_INTRO_LIMIT_S)
FORBIDDEN_KEYS = {
    "key",
    "keys",
    "option_weights",
    "weights",
    "params",
    "a",
    "b",
    "c",
    "d",
    "steps",
    "model",
    "content_area",
    "area",
    "exposure_k",
    "enemies",
    "theta",
    "se",
    "category",
    "item_index",
}


def _keys(value: Any) -> set[str]:
    """Every object key anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


@dataclass
class Presented:
    frame: bytes
    state: SessionState
    now_ms: int
    events: list[Event]  # what led to this frame (a subtest that ended names it as previous_subtest)


@dataclass
class Walk:
    battery: Battery
    presented: list[Presented]  # the item frames
    intros: list[Presented]  # the subtest_intro frames, one per subtest
    final: SessionState
    events: list[Event]  # of the last answer
    first_item_at_ms: dict[int, int]


T0 = 1_796_300_000_000
STEP_MS = 4_000


@functools.cache
def walk() -> Walk:
    """One whole sitting of the demo battery, answered at random, every item and intro frame kept; each intro is
    read for a while before its start."""
    battery = demo()
    rng = random.Random(7)
    now = T0
    state = core.new_session(battery, 12345)
    state, _ = core.connect(battery, state, now)
    state, events = core.start(battery, state, now)  # the welcome passed: the first intro
    presented: list[Presented] = []
    intros: list[Presented] = []
    first_at: dict[int, int] = {}
    while state.phase in (Phase.INTRO, Phase.ACTIVE):
        if state.phase is Phase.INTRO:
            intros.append(Presented(subtest_intro_frame(battery, state, now, INTRO_MS, events), state, now, events))
            now += STEP_MS
            state, events = core.start(battery, state, now)
            first_at[state.subtest_index] = now
            continue
        presented.append(Presented(item_frame(battery, state, now), state, now, events))
        now += STEP_MS
        n_options = len(battery.subtests[state.subtest_index].pool.items[state.item_index].options)
        state, events = core.answer(battery, state, state.seq, rng.randrange(n_options), now)
    return Walk(battery, presented, intros, state, events, first_at)


def test_walk_covers_every_subtest_and_finishes() -> None:
    w = walk()
    assert w.final.phase is Phase.FINISHED
    assert {p.state.subtest_index for p in w.presented} == set(range(len(w.battery.subtests)))
    assert [p.state.subtest_index for p in w.intros] == list(range(len(w.battery.subtests)))
    assert [orjson.loads(p.frame)["seq"] for p in w.presented] == list(range(1, len(w.presented) + 1))


def test_item_frames_have_exactly_the_documented_keys() -> None:
    w = walk()
    for p in w.presented:
        frame = orjson.loads(p.frame)
        assert set(frame) == ITEM_KEYS  # never previous_subtest: the next subtest's intro tells it
        assert frame["type"] == "item"
        assert set(frame["item"]) == {"id", "stem", "options"}
        assert set(frame["subtest"]) == {"index", "id", "name", "count"}
        assert set(frame["progress"]) == {"answered", "max_items", "subtests_done", "subtests_total"}


def test_item_frames_carry_no_forbidden_data() -> None:
    w = walk()
    for p in w.presented:
        frame = orjson.loads(p.frame)
        sub = w.battery.subtests[p.state.subtest_index]
        item = sub.pool.items[p.state.item_index]
        assert not _keys(frame) & FORBIDDEN_KEYS
        strings = _strings(frame)
        # the content area is never sent as a value (it may only occur inside the stem's prose)
        assert item.content_area not in strings
        # the only number with a fraction is time_left_s: no parameter, weight, theta or SE slipped in
        assert all(type(v) is int for v in (*frame["progress"].values(), frame["seq"], frame["subtest"]["index"]))
        assert frame["time_left_s"] is None or isinstance(frame["time_left_s"], float)
        # nothing about other items: the only item id is the one presented
        other_ids = {it.id for it in sub.pool.items} - {item.id}
        assert not other_ids & set(strings)


def test_item_frames_show_the_pool_item_in_the_sessions_option_order() -> None:
    w = walk()
    reordered = 0
    for p in w.presented:
        frame = orjson.loads(p.frame)
        sub = w.battery.subtests[p.state.subtest_index]
        item = sub.pool.items[p.state.item_index]
        order = current_order(w.battery, p.state)
        assert frame["item"] == {"id": item.id, "stem": item.stem, "options": [item.options[k] for k in order]}
        assert sorted(frame["item"]["options"]) == sorted(item.options)
        if not item.shuffle_options:
            assert frame["item"]["options"] == list(item.options)
        reordered += frame["item"]["options"] != list(item.options)
        assert frame["seq"] == p.state.seq
        assert frame["subtest"] == {
            "index": p.state.subtest_index,
            "id": sub.id,
            "name": sub.name,
            "count": len(w.battery.subtests),
        }
        assert frame["progress"] == {
            "answered": len(p.state.items),
            "max_items": sub.stopping.max_items,
            "subtests_done": p.state.subtest_index,
            "subtests_total": len(w.battery.subtests),
        }
        assert sub.time_limit_s is not None
        elapsed_ms = p.now_ms - w.first_item_at_ms[p.state.subtest_index]
        assert frame["time_left_s"] == pytest.approx(sub.time_limit_s - elapsed_ms / 1000)
    assert reordered > len(w.presented) / 2  # the demo's one-key items mostly show another order than the stored one


def test_an_answer_is_the_option_at_its_position_in_the_frame() -> None:
    """The frame's options and the answer's response agree: the option scored is the text shown at the position
    the candidate chose, whatever the order."""
    battery = demo()
    now = T0
    state, _ = core.connect(battery, core.new_session(battery, 99), now)
    state, _ = core.start(battery, state, now)
    state, _ = core.start(battery, state, now)
    rng = random.Random(3)
    answered_at: list[int] = []
    while state.phase in (Phase.INTRO, Phase.ACTIVE):
        if state.phase is Phase.INTRO:
            state, _ = core.start(battery, state, now)
            continue
        shown = orjson.loads(item_frame(battery, state, now))["item"]["options"]
        item = battery.subtests[state.subtest_index].pool.items[state.item_index]
        position = rng.randrange(len(shown))
        now += STEP_MS
        state, events = core.answer(battery, state, state.seq, position, now)
        answered = next(e for e in events if isinstance(e, Answered))
        assert answered.shown == position
        assert item.options[answered.response] == shown[position]
        answered_at.append(answered.response)
    assert state.phase is Phase.FINISHED
    assert [r for d in state.done for r in d.responses] == answered_at  # the state keeps stored indices


def test_previous_subtest_completed_on_the_intro_of_the_next_subtest() -> None:
    w = walk()
    firsts = [p for p in w.presented if not p.state.items]
    assert [p.state.subtest_index for p in firsts] == list(range(len(w.battery.subtests)))
    assert all("previous_subtest" not in orjson.loads(p.frame) for p in firsts)
    assert "previous_subtest" not in orjson.loads(w.intros[0].frame)
    for p in w.intros[1:]:
        before = w.battery.subtests[p.state.subtest_index - 1]
        assert orjson.loads(p.frame)["previous_subtest"] == {
            "id": before.id,
            "name": before.name,
            "reason": "completed",
        }


def test_intro_frames_have_exactly_the_documented_keys_and_the_subtests_texts() -> None:
    w = walk()
    for k, p in enumerate(w.intros):
        frame = orjson.loads(p.frame)
        sub = w.battery.subtests[k]
        assert set(frame) == INTRO_KEYS | ({"previous_subtest"} if k else set())
        assert frame["type"] == "subtest_intro"
        assert sub.instructions is not None  # the demo battery gives each subtest instructions
        assert frame["subtest"] == {
            "index": k,
            "id": sub.id,
            "name": sub.name,
            "count": len(w.battery.subtests),
            "items_max": sub.stopping.max_items,
            "instructions": {"id": sub.instructions.id, "en": sub.instructions.en},
        }
        assert frame["time_limit_s"] == sub.time_limit_s
        assert frame["starts_in_s"] == INTRO_MS / 1000  # shown the moment it began
        assert not _keys(frame) & FORBIDDEN_KEYS
        assert not {it.id for it in sub.pool.items} & set(_strings(frame))  # no item named before it is shown
        # the same intro later: the same frame but starts_in_s, counting down, never below 0
        later = orjson.loads(subtest_intro_frame(w.battery, p.state, p.now_ms + 12_340, INTRO_MS, p.events))
        assert later == {**frame, "starts_in_s": pytest.approx(INTRO_MS / 1000 - 12.3)}
        gone = orjson.loads(subtest_intro_frame(w.battery, p.state, p.now_ms + INTRO_MS + 5_000, INTRO_MS))
        assert gone["starts_in_s"] == 0
        assert "previous_subtest" not in gone  # without the events that led to it (a reconnect)
        assert state_frame(w.battery, p.state, p.now_ms, INTRO_MS, p.events) == p.frame


def test_the_welcome_frame_holds_the_candidate_and_the_battery_and_no_secrets() -> None:
    battery = demo()
    token = "ABCDEFGHJKMN"
    candidate = CandidateRecord("R7K2QX-0001", "199001012020121001", "Siti Rahma", token_digest(token))
    frame = orjson.loads(welcome_frame(battery, candidate))
    assert set(frame) == {"type", "candidate", "battery", "instructions", "practice"}
    assert frame["type"] == "welcome"
    assert frame["candidate"] == {"name": "Siti Rahma", "employee_id": "199001012020121001"}
    assert frame["battery"] == {
        "name": battery.name,
        "subtests": [
            {"id": s.id, "name": s.name, "items_max": s.stopping.max_items, "time_limit_s": s.time_limit_s}
            for s in battery.subtests
        ],
    }
    assert battery.instructions is not None and battery.practice
    assert frame["instructions"] == {"id": battery.instructions.id, "en": battery.instructions.en}
    assert [p["id"] for p in frame["practice"]] == [p.id for p in battery.practice]
    for shown, item in zip(frame["practice"], battery.practice, strict=True):
        assert set(shown) == {"id", "stem", "options"}  # no key: practice is never scored
        assert shown["stem"] == {"id": item.stem.id, "en": item.stem.en}
        assert shown["options"] == [{"id": o.id, "en": o.en} for o in item.options]
    assert not _keys(frame) & FORBIDDEN_KEYS
    strings = set(_strings(frame))
    assert not {candidate.token_digest, token, candidate.session_id} & strings  # nothing of the token or session
    assert not {it.id for s in battery.subtests for it in s.pool.items} & strings  # no item of the battery


def test_the_welcome_of_a_battery_without_texts_and_the_waiting_frame(tmp_path: Path) -> None:
    battery = load(tmp_path, battery_dict([subtest_dict("s1", time_limit_s=None)]))
    candidate = CandidateRecord("R7K2QX-0002", "E2", "Budi", token_digest("x"))
    frame = orjson.loads(welcome_frame(battery, candidate))
    assert (frame["instructions"], frame["practice"]) == (None, [])
    assert frame["battery"]["subtests"] == [{"id": "s1", "name": "Subtest s1", "items_max": 10, "time_limit_s": None}]
    assert orjson.loads(waiting_frame("room_closed")) == {"type": "waiting", "reason": "room_closed"}


def test_finished_frame_after_the_last_answer() -> None:
    w = walk()
    frame = orjson.loads(finished_frame(w.battery, w.final, w.events))
    assert set(frame) == {"type", "profile", "previous_subtest"}
    last = w.battery.subtests[-1]
    assert frame["previous_subtest"] == {"id": last.id, "name": last.name, "reason": "completed"}
    profile = frame["profile"]
    assert set(profile) == {"battery", "subtests"}
    assert profile["battery"] == {"id": w.battery.id, "version": w.battery.version, "name": w.battery.name}
    rows = core.profile(w.battery, w.final).subtests
    assert len(profile["subtests"]) == len(w.battery.subtests) == len(rows)
    for shown, row, sub in zip(profile["subtests"], rows, w.battery.subtests, strict=True):
        assert set(shown) == {"id", "name", "level", "level_probability", "scaled_score", "items", "time_s"}
        assert shown["id"] == row.subtest_id
        assert shown["level"] == row.level and shown["scaled_score"] == row.scaled_score
        # the probability that the level is the true one, from the subtest's own theta and SE, to 3 decimals
        assert 0 < shown["level_probability"] <= 1
        assert shown["level_probability"] == round(sub.level_probability(row.theta, row.se), 3)
        assert shown["items"] == row.n_items
        assert shown["time_s"] == pytest.approx(row.time_used_s, abs=0.05)
    assert not _keys(frame) & {"theta", "se"}
    # state_frame of a finished session is the same frame
    assert state_frame(w.battery, w.final, T0, INTRO_MS, w.events) == finished_frame(w.battery, w.final, w.events)


def test_finished_frame_without_previous_subtest_when_resumed() -> None:
    w = walk()
    frame = orjson.loads(finished_frame(w.battery, w.final))
    assert set(frame) == {"type", "profile"}


def test_finished_frame_profile_is_null_when_not_shown_to_candidates(tmp_path: Path) -> None:
    data = battery_dict(
        [subtest_dict("s1", max_items=3, se_target=None), subtest_dict("s2", max_items=3, se_target=None)],
        show_profile_to_candidate=False,
    )
    battery = load(tmp_path, data)
    assert battery.show_profile_to_candidate is False
    state = core.new_session(battery, 1)
    state, _ = core.connect(battery, state, T0)
    events: list[Event] = []
    while state.phase in (Phase.READY, Phase.INTRO, Phase.ACTIVE):
        if state.phase is Phase.ACTIVE:
            state, events = core.answer(battery, state, state.seq, 0, T0 + 1000)
        else:
            state, events = core.start(battery, state, T0)
    frame = orjson.loads(finished_frame(battery, state, events))
    assert frame["profile"] is None
    assert frame["previous_subtest"] == {"id": "s2", "name": "Subtest s2", "reason": "completed"}
    assert not _keys(frame) & {"theta", "se"}


def _at_first_item(w: Walk, subtest: int) -> Presented:
    return next(p for p in w.presented if p.state.subtest_index == subtest and not p.state.items)


def test_previous_subtest_time_up_when_the_clock_ran_out() -> None:
    w = walk()
    start = _at_first_item(w, 0)
    limit_s = w.battery.subtests[0].time_limit_s
    assert limit_s is not None  # the walk's battery times its subtests
    limit_ms = round(limit_s * 1000)
    now = start.now_ms + limit_ms
    state, events = core.tick(w.battery, start.state, now)
    assert state.subtest_index == 1 and state.phase is Phase.INTRO
    intro = orjson.loads(state_frame(w.battery, state, now, INTRO_MS, events))
    first = w.battery.subtests[0]
    assert intro["type"] == "subtest_intro" and intro["subtest"]["index"] == 1
    assert intro["previous_subtest"] == {"id": first.id, "name": first.name, "reason": "time_up"}
    assert intro["time_limit_s"] == w.battery.subtests[1].time_limit_s
    state, events = core.start(w.battery, state, now + STEP_MS)
    frame = orjson.loads(state_frame(w.battery, state, now + STEP_MS, INTRO_MS, events))
    assert frame["type"] == "item" and "previous_subtest" not in frame
    assert frame["time_left_s"] == w.battery.subtests[1].time_limit_s  # a fresh clock, started at the start
    assert frame["progress"]["answered"] == 0 and frame["progress"]["subtests_done"] == 1


def test_finished_after_time_up_of_the_last_subtest() -> None:
    w = walk()
    last = len(w.battery.subtests) - 1
    start = _at_first_item(w, last)
    limit_s = w.battery.subtests[last].time_limit_s
    assert limit_s is not None  # the walk's battery times its subtests
    now = start.now_ms + round(limit_s * 1000) + 1
    state, events = core.tick(w.battery, start.state, now)
    assert state.phase is Phase.FINISHED
    frame = orjson.loads(state_frame(w.battery, state, now, INTRO_MS, events))
    sub = w.battery.subtests[last]
    assert frame["type"] == "finished"
    assert frame["previous_subtest"] == {"id": sub.id, "name": sub.name, "reason": "time_up"}
    # the last subtest ended before any answer: no level, so no probability of it either
    *answered, unanswered = frame["profile"]["subtests"]
    assert (unanswered["items"], unanswered["level"], unanswered["level_probability"]) == (0, None, None)
    assert all(isinstance(r["level_probability"], float) for r in answered)


def test_time_left_is_null_for_a_subtest_without_limit(tmp_path: Path) -> None:
    battery = load(tmp_path, battery_dict([subtest_dict("s1", time_limit_s=None)]))
    state = core.new_session(battery, 3)
    state, _ = core.connect(battery, state, T0)
    state, _ = core.start(battery, state, T0)
    assert orjson.loads(subtest_intro_frame(battery, state, T0, INTRO_MS))["time_limit_s"] is None
    state, _ = core.start(battery, state, T0)
    assert orjson.loads(item_frame(battery, state, T0 + 10_000))["time_left_s"] is None
    assert orjson.loads(time_frame(battery, state, T0)) == {"type": "time", "time_left_s": None, "extended_s": 0.0}


def test_paused_time_error_frames_and_state_frame() -> None:
    w = walk()
    p = w.presented[3]
    assert orjson.loads(paused_frame("istirahat")) == {"type": "paused", "reason": "istirahat"}
    wrong = orjson.loads(error_frame(Refusal("wrong_seq", "seq 4, not 3"), "en"))
    assert wrong == {
        "type": "error",
        "code": "wrong_seq",
        "message": "This answer is not for the item shown. (seq 4, not 3)",
    }
    time_msg = orjson.loads(time_frame(w.battery, p.state, p.now_ms + 1500))
    assert set(time_msg) == {"type", "time_left_s", "extended_s"} and time_msg["type"] == "time"
    assert time_msg["time_left_s"] == pytest.approx(orjson.loads(p.frame)["time_left_s"] - 1.5)
    # after a proctor's extension: the time left with it, and how much was added (docs/protocol.md, `time`)
    extended, _ = core.extend_time(w.battery, p.state, 90.5, p.now_ms)
    time_msg = orjson.loads(time_frame(w.battery, extended, p.now_ms + 1500, 90_500))
    assert time_msg["extended_s"] == 90.5
    assert time_msg["time_left_s"] == pytest.approx(orjson.loads(p.frame)["time_left_s"] - 1.5 + 90.5)
    assert orjson.loads(message_frame("Sisa waktu 5 menit.\nPeriksa jawaban.", 1_796_300_000_000)) == {
        "type": "message",
        "text": "Sisa waktu 5 menit.\nPeriksa jawaban.",
        "at_ms": 1_796_300_000_000,
    }
    assert state_frame(w.battery, p.state, p.now_ms, INTRO_MS) == item_frame(w.battery, p.state, p.now_ms)
    paused, _ = core.pause(w.battery, p.state, p.now_ms, "istirahat")
    assert state_frame(w.battery, paused, p.now_ms, INTRO_MS) == paused_frame("istirahat")  # the state's reason
    terminated, _ = core.terminate(w.battery, p.state, "curang", p.now_ms)
    with pytest.raises(ValueError, match="terminated"):
        state_frame(w.battery, terminated, p.now_ms, INTRO_MS)  # a terminated session gets the error
    with pytest.raises(ValueError, match="ready"):  # welcome or waiting: they need the candidate and the room
        state_frame(w.battery, core.new_session(w.battery, 1), p.now_ms, INTRO_MS)


# --- proctor frames ------------------------------------------------------------------------------------------------


def test_room_events_carry_the_summary_on_the_last_event_of_a_change() -> None:
    w = walk()
    p = w.presented[5]
    state, events = core.answer(w.battery, p.state, p.state.seq, 0, p.now_ms + 1000)
    summary = {"session_id": "R-0001", "phase": state.phase.value}
    rows = [orjson.loads(r) for r in room_events("R-0001", events, summary)]
    assert [r["event"] for r in rows] == [e.to_dict() for e in events]
    assert all(r["session_id"] == "R-0001" for r in rows)
    assert [("view" in r) for r in rows] == [False] * (len(rows) - 1) + [True]
    assert rows[-1]["view"] == summary
    stored = room_events("R-0001", events, summary)
    frame = orjson.loads(event_frame("1-2", stored[-1]))
    assert frame == {"type": "event", "id": "1-2", **rows[-1]}
    batch = orjson.loads(events_frame([(f"1-{i}", e) for i, e in enumerate(stored)]))
    assert batch == {"type": "events", "events": [{"id": f"1-{i}", **r} for i, r in enumerate(rows)]}
