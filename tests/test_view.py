"""cat_engine.view: the proctor's view of a sitting, computed from the state alone, in every phase."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import load
from sittings import begin, finished, fixed_battery_data, pools

from cat_engine.battery import Battery
from cat_engine.events import Answered
from cat_engine.session import (
    Command,
    Phase,
    add_note,
    allowed_commands,
    answer,
    disconnect,
    extend_time,
    new_session,
    pause,
    request_seat,
    resume,
    seat,
    terminate,
)
from cat_engine.view import session_view

WIRE_KEYS = {
    "phase",
    "connected",
    "subtest_index",
    "subtest",
    "answered",
    "answered_total",
    "theta",
    "se",
    "se_target",
    "time_left_s",
    "last_seen_ms",
    "pause_reason",
    "terminated_reason",
    "allowed",
    "device",
    "seat_request",
    "seat_request_at_ms",
    "notes",
    "flags",
}


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    """Subtest s1: 3 items, 10 s; s2: 2 items, 20 s (no SE target)."""
    return load(tmp_path_factory.mktemp("fixed"), fixed_battery_data(), pools=pools())


@pytest.fixture(scope="module")
def untimed(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    return load(tmp_path_factory.mktemp("untimed"), fixed_battery_data(limit1=None, limit2=None), pools=pools())


def test_a_session_not_started(fixed: Battery) -> None:
    view = session_view(fixed, new_session(fixed, 1), 0)
    assert view.to_dict() == {
        "phase": "ready",
        "connected": False,
        "subtest_index": 0,
        "subtest": "s1",
        "answered": 0,
        "answered_total": 0,
        "theta": None,
        "se": None,
        "se_target": None,
        "time_left_s": None,
        "last_seen_ms": None,
        "pause_reason": "",
        "terminated_reason": "",
        "allowed": ["terminate"],
        "device": None,
        "seat_request": None,
        "seat_request_at_ms": None,
        "notes": 0,
        "flags": [],
    }


def test_seats_and_notes_show_in_the_view(fixed: Battery) -> None:
    s = seat(begin(fixed), "pc-A-0001")
    s, _ = request_seat(s, "pc-B-0002", 2_000)
    s, _ = add_note(fixed, s, "Layar mati", 2_500)
    view = session_view(fixed, s, 3_000).to_dict()
    assert (view["device"], view["seat_request"], view["seat_request_at_ms"], view["notes"]) == (
        "pc-A-0001",
        "pc-B-0002",
        2_000,
        1,
    )
    assert view["allowed"][-2:] == ["approve_seat", "deny_seat"]


def test_the_flags_raised_show_in_the_view_in_their_order(fixed: Battery) -> None:
    s = replace(begin(fixed), flags=("rapid", "misfit"))
    assert session_view(fixed, s, 1_000).to_dict()["flags"] == ["rapid", "misfit"]
    over, _ = terminate(fixed, s, "joki", 2_000)
    assert session_view(fixed, over, 2_000).flags[:2] == ("rapid", "misfit")  # kept once the sitting is over


def test_a_session_under_way_counts_answers_and_keeps_the_last_estimate(fixed: Battery) -> None:
    s = begin(fixed, now=1_000)
    s, events = answer(fixed, s, s.seq, 1, 2_500)
    view = session_view(fixed, s, 4_000)
    assert (view.phase, view.connected, view.subtest_index, view.subtest_id) == (Phase.ACTIVE, True, 0, "s1")
    assert (view.answered, view.answered_total, view.last_seen_ms) == (1, 1, 2_500)
    answered = events[0]
    assert isinstance(answered, Answered)
    assert (view.theta, view.se) == (round(answered.theta, 4), round(answered.se, 4))
    assert view.time_left_s == 7.0  # 10 s limit, 3 s used at 4 000 ms
    assert view.allowed == (Command.PAUSE, Command.EXTEND, Command.TERMINATE)
    assert set(view.to_dict()) == WIRE_KEYS


def test_the_next_subtest_starts_from_the_prior(fixed: Battery) -> None:
    s = begin(fixed)
    for t in (1_000, 2_000, 3_000):
        s, _ = answer(fixed, s, s.seq, 0, t)
    view = session_view(fixed, s, 3_000)
    assert (view.subtest_index, view.subtest_id, view.answered, view.answered_total) == (1, "s2", 0, 3)
    assert (view.theta, view.se, view.time_left_s) == (None, None, 20.0)


def test_a_paused_or_dropped_session_keeps_its_clock(fixed: Battery) -> None:
    s = begin(fixed)
    paused, _ = pause(fixed, s, 2_000, "toilet")
    view = session_view(fixed, paused, 60_000)
    assert (view.phase, view.pause_reason, view.time_left_s) == (Phase.PAUSED, "toilet", 8.0)
    assert view.allowed == (Command.RESUME, Command.EXTEND, Command.TERMINATE)
    resumed, _ = resume(fixed, paused, 61_000)
    assert session_view(fixed, resumed, 61_000).pause_reason == ""
    dropped, _ = disconnect(fixed, s, 3_000)
    view = session_view(fixed, dropped, 90_000)
    assert (view.connected, view.time_left_s, view.last_seen_ms) == (False, 7.0, 3_000)
    extended, _ = extend_time(fixed, dropped, 30, 90_000)
    assert session_view(fixed, extended, 90_000).time_left_s == 37.0


def test_no_time_limit_means_nothing_to_extend(untimed: Battery) -> None:
    view = session_view(untimed, begin(untimed), 5_000)
    assert view.time_left_s is None
    assert view.allowed == (Command.PAUSE, Command.TERMINATE)


def test_a_sitting_that_is_over(fixed: Battery) -> None:
    done = finished(fixed)
    view = session_view(fixed, done, 10**9)
    assert (view.phase, view.subtest_index, view.subtest_id, view.answered) == (Phase.FINISHED, 2, None, 0)
    assert view.answered_total == sum(len(d.items) for d in done.done) == 5
    assert (view.theta, view.se) == (round(done.theta or 0, 4), round(done.se or 0, 4)) and done.theta is not None
    assert (view.time_left_s, view.allowed, view.se_target) == (None, (), None)
    s = begin(fixed)
    s, _ = answer(fixed, s, s.seq, 1, 1_000)
    paused, _ = pause(fixed, s, 1_500, "ribut")
    ended, _ = terminate(fixed, paused, "joki", 2_000)
    view = session_view(fixed, ended, 3_000)
    assert (view.phase, view.terminated_reason, view.pause_reason) == (Phase.TERMINATED, "joki", "")
    assert (view.answered, view.answered_total, view.allowed) == (0, 1, ())


@pytest.mark.parametrize("phase_maker", ["ready", "active", "paused", "finished", "terminated"])
def test_allowed_is_the_cores_guard(fixed: Battery, phase_maker: str) -> None:
    s = {
        "ready": lambda: new_session(fixed, 3),
        "active": lambda: begin(fixed),
        "paused": lambda: pause(fixed, begin(fixed), 10, "")[0],
        "finished": lambda: finished(fixed),
        "terminated": lambda: terminate(fixed, begin(fixed), "x", 10)[0],
    }[phase_maker]()
    assert session_view(fixed, s, 20).allowed == allowed_commands(fixed, s)
