"""The session state machine: full runs, illegal moves, the clock, determinism, a stateful fuzz (its encoding:
test_codec.py), and the integrity flags it raises (simulated examinees: test_session_integrity.py)."""

from __future__ import annotations

import functools
import math
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from conftest import battery_dict, load, make_pool_dict, subtest_dict
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sittings import begin, finished, fixed_battery_data, n_options, pools, run_sitting
from test_session_integrity import Examinee, flags_of, sit, timed_battery

from cat_engine import session as session_module
from cat_engine.battery import Battery, load_battery
from cat_engine.codec import decode, encode
from cat_engine.errors import (
    CandidateError,
    CatError,
    IllegalCommand,
    ProctorError,
    ResponseOutOfRange,
    SessionFinished,
    SessionNotStarted,
    SessionPaused,
    SessionTerminated,
    StateCorrupted,
    TimeUp,
    WrongSequence,
)
from cat_engine.events import (
    Answered,
    Connected,
    Disconnected,
    Event,
    Finished,
    Flagged,
    ItemPresented,
    Paused,
    Resumed,
    Started,
    SubtestDone,
    SubtestIntro,
    Terminated,
    TimeExtended,
)
from cat_engine.session import (
    MAX_NOTE_CHARS,
    MAX_NOTES,
    Command,
    Note,
    Phase,
    SessionState,
    add_note,
    allowed_commands,
    answer,
    approve_seat,
    connect,
    deny_seat,
    disconnect,
    extend_time,
    intro_ends_ms,
    needs_approval,
    new_session,
    pause,
    profile,
    request_seat,
    resume,
    seat,
    start,
    terminate,
    tick,
    time_left_ms,
    time_used_ms,
    trajectory,
)
from cat_engine.session_integrity import screen_session

# --- batteries ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    """Subtest s1: 3 items, 10 s; s2: 2 items, 20 s."""
    return load(tmp_path_factory.mktemp("fixed"), fixed_battery_data(), pools=pools())


@pytest.fixture(scope="module")
def adaptive(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    """Variable length, randomesque first items; s2 uses Sympson-Hetter."""
    data = battery_dict(
        subtests=[
            subtest_dict(
                "s1",
                max_items=15,
                min_items=3,
                se_target=0.45,
                selection={"randomesque": 2, "first_item_randomesque": 10},
            ),
            subtest_dict(
                "s2",
                max_items=10,
                min_items=2,
                se_target=0.5,
                selection={"first_item_randomesque": 5, "exposure_control": "sympson_hetter"},
            ),
        ]
    )
    return load(tmp_path_factory.mktemp("adaptive"), data, pools=pools())


@pytest.fixture(scope="module")
def long40(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    data = battery_dict(
        subtests=[
            subtest_dict("s1", max_items=40, min_items=40, se_target=0.3, time_limit_s=3600),
            subtest_dict("s2", max_items=5),
        ]
    )
    return load(tmp_path_factory.mktemp("long40"), data, pools=pools())


# --- helpers -----------------------------------------------------------------------------------------------------


def _unchanged(battery: Battery, state: SessionState, call: Callable[[], Any], error: type[CatError]) -> None:
    """``call`` raises ``error`` and leaves ``state`` exactly as it was."""
    before = encode(state)
    snapshot = SessionState(**{f: getattr(state, f) for f in state.__dataclass_fields__})
    with pytest.raises(error):
        call()
    assert encode(state) == before
    assert state == snapshot


# --- a full run --------------------------------------------------------------------------------------------------


def test_full_run_event_sequence(fixed: Battery) -> None:
    s = new_session(fixed, 3)
    assert s.phase is Phase.READY and s.seq == 0 and s.item_index == -1
    s, events = connect(fixed, s, 0)
    assert [type(e) for e in events] == [Connected]
    s, events = start(fixed, s, 0)
    assert s.phase is Phase.INTRO and s.subtest_index == 0 and s.item_index == -1
    all_events = list(events)
    rng = np.random.default_rng(0)
    t = 0
    while s.phase in (Phase.INTRO, Phase.ACTIVE):
        if s.phase is Phase.INTRO:
            s, events = start(fixed, s, t)
        else:
            t += 1000
            s, events = answer(fixed, s, s.seq, int(rng.integers(0, n_options(fixed, s))), t)
        all_events += events
    assert s.phase is Phase.FINISHED
    types = [e.type for e in all_events]
    assert types == [
        "started",
        "subtest_intro",
        "item_presented",
        "answered",
        "item_presented",
        "answered",
        "item_presented",
        "answered",
        "subtest_done",
        "subtest_intro",
        "item_presented",
        "answered",
        "item_presented",
        "answered",
        "subtest_done",
        "finished",
    ]
    presented = [e for e in all_events if isinstance(e, ItemPresented)]
    assert [e.seq for e in presented] == [1, 2, 3, 4, 5]
    assert [e.subtest_index for e in presented] == [0, 0, 0, 1, 1]
    assert [e.position for e in presented] == [1, 2, 3, 1, 2]
    answered = [e for e in all_events if isinstance(e, Answered)]
    assert [e.seq for e in answered] == [1, 2, 3, 4, 5]
    assert [e.item_index for e in answered] == [e.item_index for e in presented]
    assert all(e.response_ms == 1000 for e in answered)
    for e in answered:
        pool = fixed.subtests[e.subtest_index].pool
        assert e.category == pool.score(e.item_index, e.response)
        assert np.isfinite(e.theta) and e.se > 0
    # items within a subtest are distinct
    assert len({e.item_index for e in presented[:3]}) == 3

    done = [e for e in all_events if isinstance(e, SubtestDone)]
    assert [d.subtest_index for d in done] == [0, 1]
    assert all(d.result.stop_reason == "max_items" for d in done)
    (finished,) = [e for e in all_events if isinstance(e, Finished)]
    prof = profile(fixed, s)
    assert finished.profile == prof
    assert prof.complete
    assert (prof.battery_id, prof.battery_version) == ("test-battery", "2026.1")
    assert [r.subtest_id for r in prof.subtests] == ["s1", "s2"]
    assert [(r.pool_id, r.pool_version) for r in prof.subtests] == [("pool-one", "2026.1"), ("pool-two", "2026.2")]
    assert [r.n_items for r in prof.subtests] == [3, 2]
    for row, sub, d in zip(prof.subtests, fixed.subtests, done, strict=True):
        assert row.level == sub.level(row.theta)
        assert 1 <= row.level <= 5
        assert row.scaled_score == fixed.reporting.scaled(row.theta)
        assert row == d.result
    assert prof.subtests[0].time_used_s == 3.0
    assert prof.subtests[0].theta == answered[2].theta
    # every event serialises
    for ev in all_events:
        assert orjson.loads(orjson.dumps(ev.to_dict()))["type"] == ev.type
    assert s.item_index == -1 and s.running_since_ms is None


def test_profile_incomplete_midway(fixed: Battery) -> None:
    s = begin(fixed)
    assert profile(fixed, s).subtests == ()
    assert not profile(fixed, s).complete
    for t in (1, 2, 3):
        s, _ = answer(fixed, s, s.seq, 0, t * 100)
    p = profile(fixed, s)
    assert not p.complete and len(p.subtests) == 1


# --- illegal moves -----------------------------------------------------------------------------------------------


def _paused(battery: Battery) -> SessionState:
    s, _ = pause(battery, begin(battery), 100, "fire drill")
    return s


def _terminated(battery: Battery) -> SessionState:
    s, _ = terminate(battery, begin(battery), "cheating", 100)
    return s


def test_answer_before_start(fixed: Battery) -> None:
    s = new_session(fixed, 1)
    _unchanged(fixed, s, lambda: answer(fixed, s, 1, 0, 10), SessionNotStarted)
    _unchanged(fixed, s, lambda: answer(fixed, s, 0, 0, 10), SessionNotStarted)


@pytest.mark.parametrize("seq", [-1, +1, "str", "float", "bool", "none"])
def test_wrong_sequence(fixed: Battery, seq: Any) -> None:
    s = begin(fixed)
    s, _ = answer(fixed, s, s.seq, 0, 500)  # now at seq 2: seq - 1 is a real, already answered seq
    bad: Any = {  # deliberately not always an int
        -1: s.seq - 1,
        1: s.seq + 1,
        "str": str(s.seq),
        "float": float(s.seq),
        "bool": True,
        "none": None,
    }[seq]
    _unchanged(fixed, s, lambda: answer(fixed, s, bad, 0, 600), WrongSequence)


@pytest.mark.parametrize("response", [-1, 4, 99, "0", 1.0, True, None])
def test_response_out_of_range(fixed: Battery, response: Any) -> None:
    s = begin(fixed)
    assert n_options(fixed, s) == 4
    _unchanged(fixed, s, lambda: answer(fixed, s, s.seq, response, 500), ResponseOutOfRange)


def test_polytomous_item_accepts_all_five_options(tmp_path: Path) -> None:
    pool = make_pool_dict(2, seed=9, n_polytomous=3)
    pool["items"] = pool["items"][2:]  # only the GPCM items (5 options)
    battery = load(tmp_path, fixed_battery_data(len1=3, len2=1), pools={"s1.json": pool})
    s = begin(battery)
    assert n_options(battery, s) == 5
    _unchanged(battery, s, lambda: answer(battery, s, s.seq, 5, 10), ResponseOutOfRange)
    s, events = answer(battery, s, s.seq, 4, 10)
    assert isinstance(events[0], Answered)
    assert events[0].category == 4  # option weights 1..5 score categories 0..4


def test_answer_while_paused(fixed: Battery) -> None:
    s = _paused(fixed)
    _unchanged(fixed, s, lambda: answer(fixed, s, s.seq, 0, 500), SessionPaused)


def test_answer_after_time_up(fixed: Battery) -> None:
    s = begin(fixed)
    _unchanged(fixed, s, lambda: answer(fixed, s, s.seq, 0, 10_000), TimeUp)
    _unchanged(fixed, s, lambda: answer(fixed, s, s.seq, 0, 50_000), TimeUp)


def test_answer_after_finish(fixed: Battery) -> None:
    s = finished(fixed)
    _unchanged(fixed, s, lambda: answer(fixed, s, s.seq, 0, 10**9), SessionFinished)
    _unchanged(fixed, s, lambda: connect(fixed, s, 10**9), SessionFinished)
    _unchanged(fixed, s, lambda: start(fixed, s, 10**9), SessionFinished)
    _unchanged(fixed, s, lambda: terminate(fixed, s, "late", 10**9), IllegalCommand)
    _unchanged(fixed, s, lambda: pause(fixed, s, 10**9), IllegalCommand)
    _unchanged(fixed, s, lambda: extend_time(fixed, s, 10, 10**9), IllegalCommand)


def test_answer_after_terminate(fixed: Battery) -> None:
    s = _terminated(fixed)
    _unchanged(fixed, s, lambda: answer(fixed, s, s.seq, 0, 500), SessionTerminated)
    _unchanged(fixed, s, lambda: connect(fixed, s, 500), SessionTerminated)
    _unchanged(fixed, s, lambda: start(fixed, s, 500), SessionTerminated)
    _unchanged(fixed, s, lambda: resume(fixed, s, 500), IllegalCommand)
    _unchanged(fixed, s, lambda: terminate(fixed, s, "again", 500), IllegalCommand)


def test_resume_when_active(fixed: Battery) -> None:
    s = begin(fixed)
    _unchanged(fixed, s, lambda: resume(fixed, s, 50), IllegalCommand)


def test_pause_when_paused_or_ready(fixed: Battery) -> None:
    s = _paused(fixed)
    _unchanged(fixed, s, lambda: pause(fixed, s, 200), IllegalCommand)
    r = new_session(fixed, 1)
    _unchanged(fixed, r, lambda: pause(fixed, r, 200), IllegalCommand)
    _unchanged(fixed, r, lambda: resume(fixed, r, 200), IllegalCommand)


@pytest.mark.parametrize("seconds", [0, 0.5, -5, 0.0, -0.001, 86_401, float("nan"), float("inf"), "10", True, None])
def test_extend_by_bad_amount(fixed: Battery, seconds: Any) -> None:
    s = begin(fixed)
    _unchanged(fixed, s, lambda: extend_time(fixed, s, seconds, 200), IllegalCommand)


def test_extend_without_time_limit(tmp_path: Path) -> None:
    battery = load(tmp_path, fixed_battery_data(limit1=None), pools=pools())
    s = begin(battery)
    _unchanged(battery, s, lambda: extend_time(battery, s, 10, 200), IllegalCommand)
    r = new_session(battery, 1)
    _unchanged(battery, r, lambda: extend_time(battery, r, 10, 200), IllegalCommand)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t", None, 42])
def test_terminate_needs_reason(fixed: Battery, reason: Any) -> None:
    s = begin(fixed)
    _unchanged(fixed, s, lambda: terminate(fixed, s, reason, 200), IllegalCommand)


def test_start_twice(fixed: Battery) -> None:
    s = begin(fixed)
    _unchanged(fixed, s, lambda: start(fixed, s, 200), IllegalCommand)
    p = _paused(fixed)
    _unchanged(fixed, p, lambda: start(fixed, p, 200), IllegalCommand)


def test_error_tree_and_codes() -> None:
    for cls in (WrongSequence, ResponseOutOfRange, SessionNotStarted, SessionPaused, TimeUp):
        assert issubclass(cls, CandidateError)
    assert issubclass(SessionFinished, CandidateError) and issubclass(SessionTerminated, CandidateError)
    assert issubclass(IllegalCommand, ProctorError)
    assert issubclass(StateCorrupted, CatError)
    codes = [
        c.code
        for c in (
            WrongSequence,
            ResponseOutOfRange,
            SessionNotStarted,
            SessionPaused,
            TimeUp,
            SessionFinished,
            SessionTerminated,
            IllegalCommand,
            StateCorrupted,
        )
    ]
    assert len(set(codes)) == len(codes)


def test_new_session_rejects_negative_seed(fixed: Battery) -> None:
    with pytest.raises(ValueError):
        new_session(fixed, -1)


def test_proctor_commands_and_events(fixed: Battery) -> None:
    s = begin(fixed)
    s, ev = pause(fixed, s, 100, "noise")
    assert ev == [Paused(100, "noise")] and s.phase is Phase.PAUSED
    s, ev = extend_time(fixed, s, 2.5, 150)
    assert ev == [TimeExtended(150, 0, 2500)]
    s, ev = resume(fixed, s, 200)
    assert ev == [Resumed(200)] and s.phase is Phase.ACTIVE
    s, ev = disconnect(fixed, s, 300)
    assert ev == [Disconnected(300)]
    s, ev = terminate(fixed, s, "  left the room ", 400)
    assert ev == [Terminated(400, "left the room")]
    assert s.phase is Phase.TERMINATED and s.terminated_reason == "left the room" and s.item_index == -1
    prof = profile(fixed, s)
    assert not prof.complete
    assert [r.stop_reason for r in prof.subtests] == ["terminated"]
    assert prof.subtests[0].n_items == 0


def test_terminate_keeps_answers(fixed: Battery) -> None:
    s = begin(fixed)
    s, _ = answer(fixed, s, s.seq, 1, 1000)
    s, _ = answer(fixed, s, s.seq, 0, 2000)
    s, _ = terminate(fixed, s, "stop", 2500)
    (row,) = profile(fixed, s).subtests
    assert row.n_items == 2
    assert row.stop_reason == "terminated"
    assert row.time_used_s == 2.5
    assert decode(fixed, encode(s)) == s
    r, _ = terminate(fixed, new_session(fixed, 1), "no show", 0)
    assert r.phase is Phase.TERMINATED and profile(fixed, r).subtests == ()


def _answered_by_subtest(events: list[Event]) -> dict[int, list[tuple[float, float]]]:
    out: dict[int, list[tuple[float, float]]] = {}
    for e in events:
        if isinstance(e, Answered):
            out.setdefault(e.subtest_index, []).append((e.theta, e.se))
    return out


def test_trajectory_repeats_what_each_answer_reported(adaptive: Battery) -> None:
    _, s, events = run_sitting(adaptive, seed=11, response_seed=3)
    reported = _answered_by_subtest(events)
    traj = trajectory(adaptive, s)
    assert len(traj) == len(adaptive.subtests) == len(s.done)
    for index, points in enumerate(traj):
        assert len(points) == len(s.done[index].items) == len(reported[index])
        np.testing.assert_allclose(points, reported[index], rtol=0, atol=1e-12)
        assert points[-1] == pytest.approx((s.done[index].theta, s.done[index].se), abs=1e-12)


def test_trajectory_midway_paused_and_terminated(adaptive: Battery) -> None:
    assert trajectory(adaptive, new_session(adaptive, 1)) == []
    s = begin(adaptive)
    assert trajectory(adaptive, s) == [[]]  # the first item shown, nothing answered yet
    events: list[Event] = []
    for now in (1000, 2000):
        s, ev = answer(adaptive, s, s.seq, 1, now)
        events += ev
    s, _ = pause(adaptive, s, 2500)
    assert trajectory(adaptive, s) == [_answered_by_subtest(events)[0]]
    s, _ = terminate(adaptive, s, "stop", 3000)
    assert trajectory(adaptive, s) == [_answered_by_subtest(events)[0]]


# --- the clock ---------------------------------------------------------------------------------------------------


def test_clock_runs_only_while_active_and_connected(fixed: Battery) -> None:
    s = new_session(fixed, 1)
    s, _ = start(fixed, s, 0)  # not connected yet
    s, _ = start(fixed, s, 0)
    assert s.running_since_ms is None
    assert time_used_ms(s, 5_000) == 0
    assert time_left_ms(fixed, s, 5_000) == 10_000
    s, _ = connect(fixed, s, 5_000)
    assert s.running_since_ms == 5_000
    assert time_used_ms(s, 7_000) == 2_000
    s, _ = disconnect(fixed, s, 8_000)
    assert s.running_since_ms is None
    assert time_used_ms(s, 8_000) == 3_000
    assert time_used_ms(s, 60_000) == 3_000  # a disconnect stops the clock
    s, _ = connect(fixed, s, 60_000)
    s, _ = pause(fixed, s, 61_000)
    assert time_used_ms(s, 61_000) == 4_000
    assert time_used_ms(s, 500_000) == 4_000  # a pause stops the clock
    s, _ = resume(fixed, s, 500_000)
    assert time_used_ms(s, 501_500) == 5_500
    assert time_left_ms(fixed, s, 501_500) == 4_500
    s, _ = disconnect(fixed, s, 502_000)
    s, _ = pause(fixed, s, 503_000)
    s, _ = resume(fixed, s, 504_000)  # resumed but disconnected: still stopped
    assert s.running_since_ms is None
    assert time_used_ms(s, 600_000) == 6_000


def test_clock_before_start_does_not_run(fixed: Battery) -> None:
    s, _ = connect(fixed, new_session(fixed, 1), 0)
    assert s.running_since_ms is None
    assert time_left_ms(fixed, s, 1_000) is None
    s, events = start(fixed, s, 4_000)  # the battery begins: the first subtest's intro, its clock not started
    assert [type(e) for e in events] == [Started, SubtestIntro] and s.phase is Phase.INTRO
    assert s.running_since_ms is None and s.intro_at_ms == 4_000
    assert time_left_ms(fixed, s, 9_000) == 10_000  # the whole limit, however long the intro is read
    s, events = start(fixed, s, 9_000)
    assert [type(e) for e in events] == [ItemPresented] and s.phase is Phase.ACTIVE and s.intro_at_ms is None
    assert time_used_ms(s, 10_000) == 1_000


def test_intro_refuses_answers_pause_and_extension_but_not_termination(fixed: Battery) -> None:
    s, _ = connect(fixed, new_session(fixed, 1), 0)
    s, _ = start(fixed, s, 0)
    _unchanged(fixed, s, lambda: answer(fixed, s, 1, 0, 1_000), SessionNotStarted)
    assert allowed_commands(fixed, s) == (Command.TERMINATE,)
    _unchanged(fixed, s, lambda: pause(fixed, s, 1_000), IllegalCommand)
    _unchanged(fixed, s, lambda: extend_time(fixed, s, 60, 1_000), IllegalCommand)
    ended, events = terminate(fixed, s, "left the room", 2_000)
    assert ended.phase is Phase.TERMINATED and ended.done == () and [e.type for e in events] == ["terminated"]


def test_start_with_nothing_waiting_is_refused(fixed: Battery) -> None:
    s = begin(fixed)
    _unchanged(fixed, s, lambda: start(fixed, s, 1_000), IllegalCommand)
    p, _ = pause(fixed, s, 1_000)
    _unchanged(fixed, p, lambda: start(fixed, p, 1_000), IllegalCommand)
    f = finished(fixed)
    _unchanged(fixed, f, lambda: start(fixed, f, 1_000), SessionFinished)


def test_intro_starts_by_itself_after_its_limit(fixed: Battery) -> None:
    s, _ = connect(fixed, new_session(fixed, 1), 0)
    s, _ = start(fixed, s, 1_000)
    assert intro_ends_ms(s, 300_000) == 301_000
    assert tick(fixed, s, 10**9) == (s, [])  # without a limit an intro waits for the candidate
    assert tick(fixed, s, 300_999, 300_000) == (s, [])
    started, events = tick(fixed, s, 301_000, 300_000)
    assert [type(e) for e in events] == [ItemPresented] and started.phase is Phase.ACTIVE
    assert started.running_since_ms == 301_000 and time_left_ms(fixed, started, 301_000) == 10_000
    assert intro_ends_ms(started, 300_000) is None
    # a reconnect does not move the moment the intro ends
    d, _ = disconnect(fixed, s, 2_000)
    c, _ = connect(fixed, d, 3_000)
    assert intro_ends_ms(c, 300_000) == 301_000


def test_extend_time_adds(fixed: Battery) -> None:
    s = begin(fixed)
    assert time_left_ms(fixed, s, 4_000) == 6_000
    s, _ = extend_time(fixed, s, 2.5, 4_000)
    assert time_left_ms(fixed, s, 4_000) == 8_500
    s, _ = extend_time(fixed, s, 1, 4_000)
    assert time_left_ms(fixed, s, 4_000) == 9_500
    assert s.extra_ms == 3_500


def test_tick_ends_subtest_exactly_when_time_runs_out(fixed: Battery) -> None:
    s = begin(fixed)
    s, _ = answer(fixed, s, s.seq, 1, 2_000)
    same, events = tick(fixed, s, 9_999)
    assert same == s and events == []
    assert time_left_ms(fixed, s, 9_999) == 1
    after, events = answer(fixed, s, s.seq, 0, 9_999)  # still in time
    assert after.seq == s.seq + 1
    _unchanged(fixed, s, lambda: answer(fixed, s, s.seq, 0, 10_000), TimeUp)
    ended, events = tick(fixed, s, 10_000)
    assert [type(e) for e in events] == [SubtestDone, SubtestIntro]
    done = events[0]
    assert isinstance(done, SubtestDone)
    assert done.result.stop_reason == "time_up"
    assert done.result.n_items == 1
    assert done.result.time_used_s == 10.0
    assert ended.subtest_index == 1 and ended.seq == s.seq and ended.phase is Phase.INTRO
    assert events[1] == SubtestIntro(10_000, 1)
    ended, events = start(fixed, ended, 12_000)
    assert events == [ItemPresented(12_000, s.seq + 1, 1, ended.item_index, 1)]
    # the next subtest starts with a fresh clock
    assert time_used_ms(ended, 12_000) == 0
    assert time_left_ms(fixed, ended, 17_000) == 15_000


def test_a_late_tick_records_the_limit_not_the_lag(fixed: Battery) -> None:
    # the server's timer may fire after the limit (load, a sleeping laptop); the subtest used its limit, no more
    s = begin(fixed)
    s, _ = extend_time(fixed, s, 5, 1_000)
    _, events = tick(fixed, s, 40_000)
    done = events[0]
    assert isinstance(done, SubtestDone) and done.result.stop_reason == "time_up"
    assert done.result.time_used_s == 15.0


def test_subtest_ended_before_any_answer_reports_no_level(fixed: Battery) -> None:
    # time runs out on the first item: the estimate is only the prior, so no level or scaled score is reported
    s = begin(fixed)
    ended, events = tick(fixed, s, 10_000)
    done = events[0]
    assert isinstance(done, SubtestDone)
    assert done.result.n_items == 0
    assert done.result.level is None and done.result.scaled_score is None
    assert profile(fixed, ended).subtests[0].level is None
    # a subtest with answers does report them
    t = begin(fixed)
    t, _ = answer(fixed, t, t.seq, 1, 1_000)
    _, events = tick(fixed, t, 10_000)
    assert isinstance(events[0], SubtestDone) and events[0].result.level in range(1, 6)


def test_tick_after_pause_and_disconnect_counts_only_running_time(fixed: Battery) -> None:
    s = begin(fixed)
    s, _ = pause(fixed, s, 4_000)
    s, _ = resume(fixed, s, 100_000)
    s, _ = disconnect(fixed, s, 101_000)
    s, _ = connect(fixed, s, 200_000)
    # used: 4 000 + 1 000 so far; 5 000 more from 200 000
    assert tick(fixed, s, 204_999)[1] == []
    _, events = tick(fixed, s, 205_000)
    assert isinstance(events[0], SubtestDone) and events[0].result.stop_reason == "time_up"


def test_tick_with_extension(fixed: Battery) -> None:
    s = begin(fixed)
    s, _ = extend_time(fixed, s, 5, 1_000)
    assert tick(fixed, s, 14_999)[1] == []
    _unchanged(fixed, s, lambda: answer(fixed, s, s.seq, 0, 15_000), TimeUp)
    _, events = tick(fixed, s, 15_000)
    assert isinstance(events[0], SubtestDone) and events[0].result.time_used_s == 15.0


def test_extension_does_not_carry_over(fixed: Battery) -> None:
    s = begin(fixed)
    s, _ = extend_time(fixed, s, 30, 1_000)
    for t in (2_000, 3_000, 4_000):
        s, _ = answer(fixed, s, s.seq, 0, t)
    assert s.subtest_index == 1
    assert s.extra_ms == 0
    assert time_left_ms(fixed, s, 4_000) == 20_000


def test_tick_does_nothing_when_clock_cannot_run_out(fixed: Battery) -> None:
    s = begin(fixed)
    s, _ = pause(fixed, s, 1_000)
    assert tick(fixed, s, 10**9) == (s, [])
    r = new_session(fixed, 1)
    assert tick(fixed, r, 10**9) == (r, [])
    f = finished(fixed)
    assert tick(fixed, f, 10**12) == (f, [])


def test_tick_on_last_subtest_finishes(fixed: Battery) -> None:
    s = begin(fixed)
    for t in (1_000, 2_000, 3_000):
        s, _ = answer(fixed, s, s.seq, 0, t)
    assert s.subtest_index == 1 and s.phase is Phase.INTRO
    s, _ = start(fixed, s, 3_000)
    s, events = tick(fixed, s, 3_000 + 20_000)
    assert [type(e) for e in events] == [SubtestDone, Finished]
    assert s.phase is Phase.FINISHED
    assert [r.stop_reason for r in profile(fixed, s).subtests] == ["max_items", "time_up"]


def test_response_time_excludes_stopped_clock(fixed: Battery) -> None:
    s = begin(fixed)
    s, _ = pause(fixed, s, 1_000)
    s, _ = resume(fixed, s, 50_000)
    s, events = answer(fixed, s, s.seq, 0, 51_500)
    assert isinstance(events[0], Answered)
    assert events[0].response_ms == 2_500
    s, events = answer(fixed, s, s.seq, 0, 52_000)
    assert isinstance(events[0], Answered)
    assert events[0].response_ms == 500
    assert s.response_ms == (2_500, 500)


def test_fractional_time_limit_is_not_cut_short(tmp_path: Path) -> None:
    """A 1.005 s limit is 1005 ms; the subtest must not end at 1004 ms."""
    battery = load(tmp_path, fixed_battery_data(limit1=1.005), pools=pools())
    s = begin(battery)
    assert time_left_ms(battery, s, 0) == 1_005
    assert tick(battery, s, 1_004)[1] == []
    assert tick(battery, s, 1_005)[1] != []


# --- determinism and resume --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "response_seed"), [(0, 0), (12345, 99), (2**40, 7)])
def test_resume_at_every_step_is_identical(adaptive: Battery, seed: int, response_seed: int) -> None:
    items_a, final_a, events_a = run_sitting(adaptive, seed, response_seed)
    items_b, final_b, events_b = run_sitting(adaptive, seed, response_seed, roundtrip=True)
    assert final_a.phase is Phase.FINISHED
    assert items_a == items_b
    assert final_a == final_b
    assert profile(adaptive, final_a) == profile(adaptive, final_b)
    assert [e.to_dict() for e in events_a] == [e.to_dict() for e in events_b]
    # seq increments by one across the battery
    seqs = [e.seq for e in events_a if isinstance(e, ItemPresented)]
    assert seqs == list(range(1, len(seqs) + 1))
    reasons = {r.stop_reason for r in profile(adaptive, final_a).subtests}
    assert reasons <= {"se_target", "max_items"}


def test_different_seeds_differ(adaptive: Battery) -> None:
    firsts = {begin(adaptive, seed=seed).item_index for seed in range(12)}
    assert len(firsts) > 1
    runs = {tuple(run_sitting(adaptive, seed, 5)[0]) for seed in range(4)}
    assert len(runs) > 1


def test_same_seed_same_first_item(adaptive: Battery) -> None:
    assert len({begin(adaptive, seed=77, now=t).item_index for t in (0, 5, 10**6)}) == 1


# --- stateful fuzz -----------------------------------------------------------------------------------------------


@functools.cache
def _machine_battery() -> Battery:
    data = battery_dict(
        subtests=[
            subtest_dict(
                "s1", max_items=4, min_items=2, se_target=0.6, time_limit_s=8, selection={"first_item_randomesque": 4}
            ),
            subtest_dict("s2", max_items=3, min_items=3, se_target=None, time_limit_s=6),
        ]
    )
    with tempfile.TemporaryDirectory() as tmp:
        return load(Path(tmp), data, pools=pools())


class SessionMachine(RuleBasedStateMachine):
    """Random interleavings of every input; illegal ones must raise a CatError and change nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.battery = _machine_battery()
        self.now = 0
        self.state = new_session(self.battery, 0)
        self.n_answered_events = 0
        self.last_seq = 0
        self.clock_key: tuple[int, int] = (0, 0)
        self.last_used = 0
        self.estimate: tuple[float, float] | None = None  # of the current subtest's last Answered event
        self.seen: int | None = None  # when the candidate's side last moved the sitting

    @initialize(
        seed=st.integers(0, 2**32),
        connected=st.sampled_from([True, True, False]),
        started=st.sampled_from([True, True, True, False]),
    )
    def begin(self, seed: int, connected: bool, started: bool) -> None:
        """Most runs begin connected and started, so that the short runs still reach the later subtests."""
        self.state = new_session(self.battery, seed)
        if connected:
            self._apply(lambda: connect(self.battery, self.state, self.now), set())
        if started:  # through the welcome and the first intro
            self._apply(lambda: start(self.battery, self.state, self.now), set())
            self._apply(lambda: start(self.battery, self.state, self.now), set())

    # -- applying inputs

    def _apply(
        self,
        call: Callable[[], tuple[SessionState, list[Event]]],
        allowed: set[type[CatError]],
        call_is_tick: bool = False,
    ) -> None:
        """Apply an input; if it raises, the error must be one of ``allowed`` and the state unchanged."""
        before = encode(self.state)
        try:
            new, events = call()
        except CatError as exc:
            assert allowed, f"unexpected {type(exc).__name__}: {exc}"
            assert isinstance(exc, tuple(allowed)), f"{type(exc).__name__} not in {allowed}"
            assert encode(self.state) == before
            return
        assert not allowed, f"expected one of {allowed}, got success"
        self.n_answered_events += sum(isinstance(e, Answered) for e in events)
        assert all(e.at_ms == self.now for e in events)
        for e in events:
            if isinstance(e, Answered):
                self.estimate = (e.theta, e.se)
            elif isinstance(e, SubtestIntro):
                self.estimate = None  # a new subtest starts from the prior
            if isinstance(e, Connected | Disconnected | Answered):
                self.seen = self.now
        if call_is_tick and any(isinstance(e, SubtestDone) for e in events):
            self.seen = self.now  # the time ran out: the candidate reached the next subtest
        self.state = new

    def _closed(self) -> set[type[CatError]]:
        if self.state.phase is Phase.FINISHED:
            return {SessionFinished}
        if self.state.phase is Phase.TERMINATED:
            return {SessionTerminated}
        return set()

    # -- rules

    @rule(ms=st.integers(0, 3_000))
    def advance(self, ms: int) -> None:
        self.now += ms

    @rule()
    def do_start(self) -> None:
        waiting = self.state.phase in (Phase.READY, Phase.INTRO)
        allowed = self._closed() or (set() if waiting else {IllegalCommand})
        self._apply(lambda: start(self.battery, self.state, self.now), allowed)

    def _answer(self, seq: Any, response: Any) -> None:
        s = self.state
        allowed: set[type[CatError]] = self._closed()
        if s.phase in (Phase.READY, Phase.INTRO):
            allowed = {SessionNotStarted}
        elif s.phase is Phase.PAUSED:
            allowed = {SessionPaused}
        elif s.phase is Phase.ACTIVE:
            if isinstance(seq, bool) or not isinstance(seq, int) or seq != s.seq:
                allowed.add(WrongSequence)
            n = self.battery.subtests[s.subtest_index].pool.n_options(s.item_index)
            if isinstance(response, bool) or not isinstance(response, int) or not 0 <= response < n:
                allowed.add(ResponseOutOfRange)
            left = time_left_ms(self.battery, s, self.now)
            if left is not None and left <= 0:
                allowed.add(TimeUp)
        self._apply(lambda: answer(self.battery, s, seq, response, self.now), allowed)

    @rule(response=st.integers(0, 3))
    def answer_valid(self, response: int) -> None:
        self._answer(self.state.seq, response)

    @rule(response=st.integers(0, 3), ms=st.integers(0, 1_500))
    def answer_valid_later(self, response: int, ms: int) -> None:
        """A second valid-answer rule (with time passing first), so that runs get through the subtests."""
        self.now += ms
        self._answer(self.state.seq, response)

    @rule(offset=st.sampled_from([-1, 0, 1]), response=st.integers(-1, 5))
    def answer_any(self, offset: int, response: int) -> None:
        self._answer(self.state.seq + offset, response)

    @rule(seq=st.sampled_from(["1", 1.5, None, True]), response=st.sampled_from([0, "0", 0.0, None]))
    def answer_wrong_types(self, seq: Any, response: Any) -> None:
        self._answer(seq, response)

    @rule(reason=st.sampled_from(["", "break"]))
    def do_pause(self, reason: str) -> None:
        allowed: set[type[CatError]] = set() if self.state.phase is Phase.ACTIVE else {IllegalCommand}
        self._apply(lambda: pause(self.battery, self.state, self.now, reason), allowed)

    @rule()
    def do_resume(self) -> None:
        allowed: set[type[CatError]] = set() if self.state.phase is Phase.PAUSED else {IllegalCommand}
        self._apply(lambda: resume(self.battery, self.state, self.now), allowed)

    @rule(seconds=st.sampled_from([-1, 0, 0.25, 2, 5, 100_000]))
    def do_extend(self, seconds: float) -> None:
        ok = self.state.phase in (Phase.ACTIVE, Phase.PAUSED) and 1 <= seconds <= 86_400
        self._apply(lambda: extend_time(self.battery, self.state, seconds, self.now), set() if ok else {IllegalCommand})

    @rule()
    def do_connect(self) -> None:
        self._apply(lambda: connect(self.battery, self.state, self.now), self._closed())

    @rule()
    def do_disconnect(self) -> None:
        self._apply(lambda: disconnect(self.battery, self.state, self.now), set())

    @rule(ms=st.integers(0, 5_000), intro_limit=st.sampled_from([None, 0, 2_000]))
    def do_tick(self, ms: int, intro_limit: int | None) -> None:
        self.now += ms
        intro_ends = None if intro_limit is None else intro_ends_ms(self.state, intro_limit)
        self._apply(lambda: tick(self.battery, self.state, self.now, intro_limit), set(), call_is_tick=True)
        if intro_ends is not None:
            assert (self.state.phase is Phase.INTRO) == (self.now < intro_ends), "an intro outlived its limit"
        if self.state.phase is Phase.ACTIVE:
            left = time_left_ms(self.battery, self.state, self.now)
            assert left is None or left > 0, "tick left an ACTIVE subtest whose time ran out"

    @rule(reason=st.sampled_from(["", "  ", "", "\t", "", "", "", "proctor ended it"]))
    def do_terminate(self, reason: str) -> None:
        closed = self.state.phase in (Phase.FINISHED, Phase.TERMINATED)
        allowed: set[type[CatError]] = {IllegalCommand} if closed or not reason.strip() else set()
        self._apply(lambda: terminate(self.battery, self.state, reason, self.now), allowed)

    # -- invariants

    @invariant()
    def seq_never_decreases(self) -> None:
        assert self.state.seq >= self.last_seq
        self.last_seq = self.state.seq

    @invariant()
    def live_phase_has_item(self) -> None:
        if self.state.phase in (Phase.ACTIVE, Phase.PAUSED):
            assert self.state.item_index >= 0
            assert self.state.item_index < self.battery.subtests[self.state.subtest_index].pool.size
        else:
            assert self.state.item_index == -1

    @invariant()
    def clock_runs_exactly_when_active_and_connected(self) -> None:
        running = self.state.phase is Phase.ACTIVE and self.state.connected
        assert (self.state.running_since_ms is not None) == running

    @invariant()
    def roundtrip(self) -> None:
        assert decode(self.battery, encode(self.state)) == self.state

    @invariant()
    def allowed_commands_are_exactly_those_the_transitions_accept(self) -> None:
        b, s, now = self.battery, self.state, self.now
        attempts: dict[Command, Callable[[], Any]] = {
            Command.PAUSE: lambda: pause(b, s, now, "r"),
            Command.RESUME: lambda: resume(b, s, now),
            Command.EXTEND: lambda: extend_time(b, s, 5, now),
            Command.TERMINATE: lambda: terminate(b, s, "r", now),
        }
        accepted = []
        for command, attempt in attempts.items():
            try:
                attempt()
            except IllegalCommand:
                continue
            accepted.append(command)
        assert allowed_commands(b, s) == tuple(accepted)

    @invariant()
    def estimate_is_the_last_answers(self) -> None:
        s = self.state
        if s.phase is Phase.READY:
            assert (s.theta, s.se) == (None, None)
        else:
            assert (None if s.theta is None else (s.theta, s.se)) == self.estimate

    @invariant()
    def pause_reason_only_while_paused(self) -> None:
        if self.state.phase is not Phase.PAUSED:
            assert self.state.pause_reason == ""

    @invariant()
    def last_seen_is_the_candidates_last_move(self) -> None:
        assert self.state.last_seen_ms == self.seen

    @invariant()
    def time_used_never_decreases_within_a_subtest(self) -> None:
        key = (self.state.subtest_index, len(self.state.done))
        used = time_used_ms(self.state, self.now)
        if key == self.clock_key:
            assert used >= self.last_used
        self.clock_key, self.last_used = key, used

    @invariant()
    def answers_match_events(self) -> None:
        s = self.state
        current = len(s.items) if s.phase in (Phase.ACTIVE, Phase.PAUSED) else 0
        assert sum(len(d.items) for d in s.done) + current == self.n_answered_events

    @invariant()
    def profile_is_consistent(self) -> None:
        p = profile(self.battery, self.state)
        assert p.complete == (self.state.phase is Phase.FINISHED)
        assert len(p.subtests) == len(self.state.done)
        if p.complete:
            assert len(p.subtests) == len(self.battery.subtests)

    def teardown(self) -> None:
        event(f"final phase: {self.state.phase.value}, subtests done: {len(self.state.done)}")


SessionMachine.TestCase.settings = settings(
    max_examples=75,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestSessionMachine = SessionMachine.TestCase


# --- seats and notes -------------------------------------------------------------------------------------------


def test_a_sitting_moves_to_another_device_only_when_a_proctor_approves(fixed: Battery) -> None:
    s = begin(fixed)
    assert not needs_approval(s, "pc-A-0001") and not needs_approval(s, None)  # never taken on a device: moves freely
    s = seat(s, "pc-A-0001")
    assert s.device == "pc-A-0001" and seat(s, None) == s
    assert not needs_approval(s, "pc-A-0001")  # the same computer after a reload or a dropped link
    assert needs_approval(s, "pc-B-0002") and needs_approval(s, None)
    assert Command.APPROVE_SEAT not in allowed_commands(fixed, s)
    _unchanged(fixed, s, lambda: approve_seat(fixed, s, 1_000), IllegalCommand)
    _unchanged(fixed, s, lambda: deny_seat(fixed, s, 1_000), IllegalCommand)
    asked, events = request_seat(s, "pc-B-0002", 1_000)
    assert asked.seat_request == "pc-B-0002" and asked.device == "pc-A-0001"
    assert [e.to_dict() for e in events] == [
        {"type": "seat_change_requested", "at_ms": 1_000, "device": "pc-A-0001", "requested": "pc-B-0002"}
    ]
    assert {Command.APPROVE_SEAT, Command.DENY_SEAT} <= set(allowed_commands(fixed, asked))
    denied, events = deny_seat(fixed, asked, 2_000)
    assert (denied.device, denied.seat_request) == ("pc-A-0001", None)
    assert [e.to_dict() for e in events] == [{"type": "seat_denied", "at_ms": 2_000, "device": "pc-B-0002"}]
    moved, events = approve_seat(fixed, asked, 3_000)
    assert (moved.device, moved.seat_request) == ("pc-B-0002", None)
    assert [e.type for e in events] == ["seat_approved", "disconnected"]  # the old connection loses the sitting
    assert not moved.connected and moved.running_since_ms is None  # the clock waits for the new computer
    assert time_used_ms(moved, 60_000) == time_used_ms(asked, 3_000)


def test_a_request_without_an_id_is_approved_as_unknown_and_the_newest_request_wins(fixed: Battery) -> None:
    s = seat(begin(fixed), "pc-A-0001")
    s, _ = request_seat(s, "pc-B-0002", 1_000)
    s, events = request_seat(s, None, 2_000)
    assert s.seat_request == "" and [e.to_dict()["requested"] for e in events] == [None]
    moved, _ = approve_seat(fixed, s, 3_000)
    assert moved.device is None and not needs_approval(moved, "pc-C-0003")


def test_seat_requests_end_with_the_sitting(fixed: Battery) -> None:
    s = seat(begin(fixed), "pc-A-0001")
    s, _ = request_seat(s, "pc-B-0002", 1_000)
    over, _ = terminate(fixed, s, "peserta diganti", 2_000)
    assert over.seat_request is None and Command.APPROVE_SEAT not in allowed_commands(fixed, over)
    f = finished(fixed)
    assert not needs_approval(seat(f, "pc-A-0001"), "pc-B-0002")


def test_notes_are_kept_in_order_in_every_phase_and_bounded(fixed: Battery) -> None:
    s = new_session(fixed, 1)
    s, events = add_note(fixed, s, "  Datang terlambat 10 menit ", 1_000)
    assert s.notes == (Note(1_000, "Datang terlambat 10 menit"),)
    assert [e.to_dict() for e in events] == [{"type": "note", "at_ms": 1_000, "text": "Datang terlambat 10 menit"}]
    f = finished(fixed)
    f, _ = add_note(fixed, f, "Hasil diperiksa", 2_000)
    assert f.phase is Phase.FINISHED and f.notes[-1].text == "Hasil diperiksa"
    for bad in ("", "   ", "x" * (MAX_NOTE_CHARS + 1)):
        _unchanged(fixed, s, functools.partial(add_note, fixed, s, bad, 3_000), IllegalCommand)
    full = replace(s, notes=tuple(Note(i, "n") for i in range(MAX_NOTES)))
    _unchanged(fixed, full, lambda: add_note(fixed, full, "one more", 3_000), IllegalCommand)


# --- integrity flags ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def timed(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    """Two fixed subtests of 12 timed items (median times 20 to 60 s at average speed), default integrity settings."""
    return timed_battery(tmp_path_factory.mktemp("timed"))


def _rapid_rule(battery: Battery, answers: list[tuple[int, int, int]]) -> tuple[bool, int, float, list[int]]:
    """The rapid-guessing flag computed from scratch on ``(subtest, item, response_ms)`` answers: flagged, count,
    p-value, the indices of the rapid answers. docs/integrity.md and docs/battery-format.md: NT10 thresholds
    min(0.1 E[T | tau=0], 10 s), null rates at speed 0.6, the Poisson-binomial tail by multiplying the answers'
    probability generating polynomials (not the code's truncated recursion), flagged when at least 5 timed answers,
    p <= 0.002, and a count of at least 3 and 10 % of the answers."""
    rapid, rates = [], []
    for subtest, item, ms in answers:
        pool = battery.subtests[subtest].pool
        beta, alpha = float(pool.time_beta[item]), float(pool.time_alpha[item])
        threshold = min(0.1 * math.exp(beta + 1 / (2 * alpha**2)), 10.0)
        rapid.append(max(ms, 1) / 1000 < threshold)
        rates.append(0.5 * math.erfc(-alpha * (math.log(threshold) - beta + 0.6) / math.sqrt(2)))
    count = sum(rapid)
    generating = np.array([1.0])
    for rate in rates:
        generating = np.convolve(generating, [1 - rate, rate])
    p_value = float(generating[count:].sum())
    n = len(answers)
    flagged = n >= 5 and p_value <= 0.002 and count >= max(3, math.ceil(0.1 * n))
    return flagged, count, p_value, [k for k, r in enumerate(rapid) if r]


def test_a_rapid_guesser_is_flagged_once_where_the_count_crosses_the_threshold(timed: Battery) -> None:
    rng = np.random.default_rng(5)
    for first in (0, 6, 14):  # from the first answer; within the first subtest; in the second
        steps = sit(timed, 30 + first, Examinee(theta=0.2, rapid_from=first), rng)
        answers: list[tuple[int, int, int]] = []
        expected = None
        for k, step in enumerate(steps):
            for e in step.events:
                if isinstance(e, Answered):
                    answers.append((e.subtest_index, e.item_index, e.response_ms))
                    if expected is None and _rapid_rule(timed, answers)[0]:
                        expected = k, _rapid_rule(timed, answers), list(answers)
        assert expected is not None, first
        flags = [(k, e) for k, e in flags_of(steps) if e.kind == "rapid"]
        assert len(flags) == 1, first  # once, never again however many rapid answers follow
        (k, e), (where, (_, count, p_value, rapid), upto) = flags[0], expected
        assert k == where and e.at_ms == steps[k].events[0].at_ms
        assert (e.name, e.value, e.n, e.threshold) == ("rapid_guessing", count, len(upto), 0.002)
        assert e.p_value == pytest.approx(p_value, rel=1e-9)  # exact arithmetic both ways, summed differently
        positions = [sum(1 for s, _, _ in upto[:i] if s == upto[i][0]) for i in rapid]
        assert list(e.responses) == [(upto[i][0], pos) for i, pos in zip(rapid, positions, strict=True)]
        assert isinstance(steps[k].events[-1], Flagged)  # after the transition's own events
        assert steps[-1].after.flags[0] == "rapid"


def test_normal_sittings_raise_no_flag_in_most_cases() -> None:
    """Examinees who answer by the IRT model and take the lognormal model's times, abilities N(0, 1) and speeds
    N(0, 0.3^2), on the demo battery. Its levels bound the share of them flagged by 0.047
    (IntegrityConfig.budget): among 30, 1.4 are expected and 6 or more has probability 0.004, so at most 5 is a
    check that a change of seed would not fail by chance."""
    battery = load_battery(Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml")
    assert battery.integrity.budget(len(battery.subtests)) == pytest.approx(0.047)
    rng = np.random.default_rng(2026)
    flagged = []
    for k in range(30):
        who = Examinee(theta=float(rng.standard_normal()), tau=0.3 * float(rng.standard_normal()))
        steps = sit(battery, 500 + k, who, rng)
        assert steps[-1].after.phase is Phase.FINISHED
        if steps[-1].after.flags:
            flagged.append(steps[-1].after.flags)
    assert len(flagged) <= 5, flagged


def test_a_flag_changes_nothing_but_the_flags(timed: Battery) -> None:
    """The same sittings screened and with the screening switched off: the same items, answers, estimates, stops
    and events, but the flags."""
    for seed, who in [(40, Examinee(rapid_from=3)), (41, Examinee(tau_change=1.5)), (10, Examinee(known=0.4))]:
        screened = sit(timed, seed, who, np.random.default_rng(seed))
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(session_module, "new_flags", lambda *a, **kw: [])
            plain = sit(timed, seed, who, np.random.default_rng(seed))
        assert flags_of(screened) and not flags_of(plain)
        assert len(screened) == len(plain)
        for a, b in zip(screened, plain, strict=True):
            assert replace(a.after, flags=()) == b.after
            assert [e for e in a.events if not isinstance(e, Flagged)] == b.events
        assert profile(timed, screened[-1].after) == profile(timed, plain[-1].after)


def test_a_termination_gets_the_final_look(timed: Battery) -> None:
    """Pre-knowledge and misfit are looked at once the sitting is over, a proctor's termination included: an
    examinee who knows 40 % of the items (right and fast on them) is flagged when terminated half way."""
    steps = sit(timed, 9, Examinee(known=0.4), np.random.default_rng(9))
    mid = next(s.after for s in steps if len(s.after.done) == 1 and len(s.after.items) == 6)
    assert "preknowledge" not in mid.flags  # an interim look does not run it
    over, events = terminate(timed, mid, "joki", 10**6)
    final = [f.kind for f in screen_session(timed, over).flags if f.kind not in mid.flags]
    assert [e.kind for e in events if isinstance(e, Flagged)] == final
    assert "preknowledge" in final
    assert over.flags == (*mid.flags, *final)
