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
from cat_engine.events import Event
from cat_engine.server.frames import (
    error_frame,
    event_frame,
    events_frame,
    finished_frame,
    item_frame,
    paused_frame,
    room_events,
    state_frame,
    time_frame,
)
from cat_engine.server.wire_errors import Refusal
from cat_engine.session import Phase, SessionState

DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"


@functools.cache
def demo() -> Battery:
    return load_battery(DEMO)


# --- server frames: a real session over the demo battery ---------------------------------------------------------

ITEM_KEYS = {"type", "seq", "item", "subtest", "progress", "time_left_s"}
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
    events: list[Event]  # what led to this item (a subtest that ended names it as previous_subtest)


@dataclass
class Walk:
    battery: Battery
    presented: list[Presented]
    final: SessionState
    events: list[Event]  # of the last answer
    first_item_at_ms: dict[int, int]


T0 = 1_796_300_000_000
STEP_MS = 4_000


@functools.cache
def walk() -> Walk:
    """One whole sitting of the demo battery, answered at random, every item frame kept."""
    battery = demo()
    rng = random.Random(7)
    now = T0
    state = core.new_session(battery, 12345)
    state, _ = core.connect(battery, state, now)
    state, events = core.start(battery, state, now)
    presented: list[Presented] = []
    first_at = {0: now}
    while state.phase is Phase.ACTIVE:
        presented.append(Presented(item_frame(battery, state, now, events), state, now, events))
        now += STEP_MS
        n_options = len(battery.subtests[state.subtest_index].pool.items[state.item_index].options)
        before = state.subtest_index
        state, events = core.answer(battery, state, state.seq, rng.randrange(n_options), now)
        if state.phase is Phase.ACTIVE and state.subtest_index != before:
            first_at[state.subtest_index] = now
    return Walk(battery, presented, state, events, first_at)


def test_walk_covers_every_subtest_and_finishes() -> None:
    w = walk()
    assert w.final.phase is Phase.FINISHED
    assert {p.state.subtest_index for p in w.presented} == set(range(len(w.battery.subtests)))
    assert [orjson.loads(p.frame)["seq"] for p in w.presented] == list(range(1, len(w.presented) + 1))


def test_item_frames_have_exactly_the_documented_keys() -> None:
    w = walk()
    for p in w.presented:
        frame = orjson.loads(p.frame)
        first_of_later_subtest = p.state.subtest_index > 0 and not p.state.items
        assert set(frame) == ITEM_KEYS | ({"previous_subtest"} if first_of_later_subtest else set())
        assert frame["type"] == "item"
        assert set(frame["item"]) == {"id", "stem", "options"}
        assert set(frame["subtest"]) == {"index", "id", "name", "count"}
        assert set(frame["progress"]) == {"answered", "max_items", "subtests_done", "subtests_total"}
        if first_of_later_subtest:
            assert set(frame["previous_subtest"]) == {"id", "name", "reason"}


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


def test_item_frames_show_the_pool_item_in_order() -> None:
    w = walk()
    for p in w.presented:
        frame = orjson.loads(p.frame)
        sub = w.battery.subtests[p.state.subtest_index]
        item = sub.pool.items[p.state.item_index]
        assert frame["item"] == {"id": item.id, "stem": item.stem, "options": list(item.options)}
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


def test_previous_subtest_completed_on_first_item_of_the_next_subtest() -> None:
    w = walk()
    firsts = [p for p in w.presented if not p.state.items]
    assert [p.state.subtest_index for p in firsts] == list(range(len(w.battery.subtests)))
    assert "previous_subtest" not in orjson.loads(firsts[0].frame)
    for p in firsts[1:]:
        before = w.battery.subtests[p.state.subtest_index - 1]
        assert orjson.loads(p.frame)["previous_subtest"] == {
            "id": before.id,
            "name": before.name,
            "reason": "completed",
        }


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
    for shown, row in zip(profile["subtests"], rows, strict=True):
        assert set(shown) == {"id", "name", "level", "scaled_score", "items", "time_s"}
        assert shown["id"] == row.subtest_id
        assert shown["level"] == row.level and shown["scaled_score"] == row.scaled_score
        assert shown["items"] == row.n_items
        assert shown["time_s"] == pytest.approx(row.time_used_s, abs=0.05)
    assert not _keys(frame) & {"theta", "se"}
    # state_frame of a finished session is the same frame
    assert state_frame(w.battery, w.final, T0, w.events) == finished_frame(w.battery, w.final, w.events)


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
    state, _ = core.start(battery, state, T0)
    events: list[Event] = []
    while state.phase is Phase.ACTIVE:
        state, events = core.answer(battery, state, state.seq, 0, T0 + 1000)
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
    assert state.subtest_index == 1 and state.phase is Phase.ACTIVE
    frame = orjson.loads(item_frame(w.battery, state, now, events))
    first = w.battery.subtests[0]
    assert frame["previous_subtest"] == {"id": first.id, "name": first.name, "reason": "time_up"}
    assert frame["time_left_s"] == w.battery.subtests[1].time_limit_s  # a fresh clock
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
    frame = orjson.loads(state_frame(w.battery, state, now, events))
    sub = w.battery.subtests[last]
    assert frame["type"] == "finished"
    assert frame["previous_subtest"] == {"id": sub.id, "name": sub.name, "reason": "time_up"}


def test_time_left_is_null_for_a_subtest_without_limit(tmp_path: Path) -> None:
    battery = load(tmp_path, battery_dict([subtest_dict("s1", time_limit_s=None)]))
    state = core.new_session(battery, 3)
    state, _ = core.connect(battery, state, T0)
    state, _ = core.start(battery, state, T0)
    assert orjson.loads(item_frame(battery, state, T0 + 10_000))["time_left_s"] is None
    assert orjson.loads(time_frame(battery, state, T0)) == {"type": "time", "time_left_s": None}


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
    assert set(time_msg) == {"type", "time_left_s"} and time_msg["type"] == "time"
    assert time_msg["time_left_s"] == pytest.approx(orjson.loads(p.frame)["time_left_s"] - 1.5)
    assert state_frame(w.battery, p.state, p.now_ms) == item_frame(w.battery, p.state, p.now_ms)
    paused, _ = core.pause(w.battery, p.state, p.now_ms, "istirahat")
    assert state_frame(w.battery, paused, p.now_ms) == paused_frame("istirahat")  # the reason is the state's
    terminated, _ = core.terminate(w.battery, p.state, "curang", p.now_ms)
    with pytest.raises(ValueError, match="terminated"):
        state_frame(w.battery, terminated, p.now_ms)  # a terminated session gets the error, not a state frame
    with pytest.raises(ValueError, match="ready"):
        state_frame(w.battery, core.new_session(w.battery, 1), p.now_ms)


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
