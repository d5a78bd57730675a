"""load_tests.verify: the exactly-once check against audit entries, accuracy, the proctors' events and the rooms'
opening."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest

from cat_engine.battery import load_battery
from load_tests.candidate import Candidate, Pacing
from load_tests.deployment import Room
from load_tests.examinee import RandomResponder, ThinkTime
from load_tests.proctor import Proctor
from load_tests.recorder import Recorder
from load_tests.runner import DEFAULT_BATTERY
from load_tests.verify import (
    accuracy,
    answered_events,
    check_answers,
    profile_items,
    reference,
    rmse_comparison,
    room_gate,
)


def _applied(seq: int, item: str, response: int) -> dict[str, Any]:
    return {"kind": "answer", "conn": "p/c", "seq": seq, "response": response, "item_id": item, "response_ms": 900}


AUDIT: list[dict[str, Any]] = [
    {"kind": "hello", "conn": "p/c", "device": "lt-seat-000001"},
    {"kind": "start", "conn": "p/c", "subtest": None},  # the battery begun: the first intro shown
    {"kind": "start", "conn": "p/c", "subtest": 0},  # the first subtest begun
    {"kind": "start", "conn": "p/c", "subtest": 0, "outcome": "ignored"},  # a repeat: changed nothing
    {"kind": "presented", "seq": 1, "item_id": "A"},
    _applied(1, "A", 2),
    {"kind": "presented", "seq": 2, "item_id": "B"},
    _applied(2, "B", 0),
    {"kind": "answer", "conn": "p/d", "seq": 2, "response": 0, "outcome": "duplicate"},
    {"kind": "presented", "seq": 3, "item_id": "C"},
    _applied(3, "C", 1),
]


def test_every_acknowledged_answer_applied_once() -> None:
    check = check_answers({1: ("A", 2), 2: ("B", 0), 3: ("C", 1)}, AUDIT)
    assert (check.acknowledged, check.applied, check.resends) == (3, 3, 1)
    assert (check.lost, check.duplicated, check.mismatched, check.unacknowledged) == (0, 0, 0, 0)
    assert (check.starts, check.starts_unchanged) == (2, 1)  # counted, never taken for answers


def test_start_entries_are_not_answers() -> None:
    # start entries carry no seq or response; even one shaped like an answer is not an answer unless its kind is
    audit = [{"kind": "start", "subtest": 1, "seq": 4, "response": 0, "item_id": "D", "response_ms": 5}]
    check = check_answers({4: ("D", 0)}, audit)
    assert (check.applied, check.lost, check.starts) == (0, 1, 1)


def test_lost_duplicated_mismatched_and_unacknowledged() -> None:
    audit = [*AUDIT, _applied(3, "C", 1)]  # seq 3 applied twice
    check = check_answers({1: ("A", 3), 2: ("B", 0), 4: ("D", 0)}, audit, "R-0001")
    assert check.lost == 1 and check.lost_seqs == [("R-0001", 4)]
    assert check.duplicated == 1
    assert check.mismatched == 1  # seq 1 applied with another response
    assert check.unacknowledged == 1  # seq 3 applied, never acknowledged to the client


def test_late_answers_are_not_applied() -> None:
    audit = [{"kind": "answer", "seq": 1, "response": 0, "item_id": "A", "outcome": "time_up"}]
    check = check_answers({}, audit)
    assert (check.applied, check.late, check.lost) == (0, 1, 0)


def test_totals_add_up() -> None:
    total = check_answers({1: ("A", 2)}, AUDIT)
    total.add(check_answers({9: ("Z", 0)}, AUDIT, "S"))
    assert (total.acknowledged, total.applied, total.lost, total.unacknowledged) == (2, 6, 1, 5)
    assert (total.starts, total.starts_unchanged) == (4, 2)


def test_the_room_gate_counts_rooms_opened_and_examinees_who_waited() -> None:
    rec = Recorder()
    rooms = [Room("R1", "pt1"), Room("R2", "pt2"), Room("R3", "pt3")]
    opener, watcher, other = (Proctor(t, ["ws://127.0.0.1:9"], rec, 0.0) for t in ("pt1", "pt1", "pt2"))
    opener.opened = True
    watcher.found_open = True  # came after the opener: the room was open already
    other.found_open = True  # nobody of the run opened R2; R3 was never opened
    pacing = Pacing("closed", ThinkTime.parse("fixed:1"), 1.0)
    clients = []
    for waits, starts in ((0, 4), (2, 4), (1, 1)):
        rng = np.random.default_rng(0)
        c = Candidate("t", ["ws://127.0.0.1:9"], RandomResponder(rng), pacing, rng, rec, 0.0)
        c.waits, c.starts = waits, starts
        clients.append(c)
    gate = room_gate(rooms, [opener, watcher, other], clients)
    assert gate == {"rooms": 3, "rooms_opened": 1, "rooms_found_open": 1, "examinees_waited": 2, "starts": 9}


def _profile(thetas: dict[str, float]) -> dict[str, Any]:
    rows = [
        {"subtest_id": k, "theta": v, "items_administered": 10, "stop_reason": "se_target"} for k, v in thetas.items()
    ]
    return {"subtests": rows}


def test_accuracy_per_subtest() -> None:
    truth = {"a": 0.0, "b": 1.0, "c": -1.0}
    profiles = {"a": _profile({"x": 0.3, "y": 0.0}), "b": _profile({"x": 0.7, "y": 1.0}), "c": None}
    result = accuracy(truth, profiles)
    assert result["x"] == {"n": 2, "bias": 0.0, "rmse": 0.3, "mean_length": 10.0}
    assert result["y"] == {"n": 2, "bias": 0.0, "rmse": 0.0, "mean_length": 10.0}
    assert profile_items(profiles["a"]) == 20 and profile_items(None) == 0


def test_rmse_comparison_reports_the_worst_deviation() -> None:
    ref = {
        "x": {"rmse": 0.30, "bias": 0.01, "mean_length": 12.0},
        "y": {"rmse": 0.25, "bias": 0.0, "mean_length": 9.0},
    }
    rows, worst = rmse_comparison(
        {"x": {"n": 5, "rmse": 0.33, "bias": 0.02}, "y": {"n": 5, "rmse": 0.2, "bias": 0}}, ref
    )
    assert rows["x"]["ratio"] == pytest.approx(1.1)
    assert worst == pytest.approx(0.2)
    rows, worst = rmse_comparison({}, ref)
    assert rows["x"]["rmse"] is None and worst is None


def test_answered_events_against_applied_answers() -> None:
    watched = [
        (Counter({"s1": 3, "s2": 2}), {"s1": 3, "s2": 2}),
        (Counter({"s1": 2, "s2": 3, "other": 1}), {"s1": 3, "s2": 2}),
    ]
    assert answered_events(watched) == {"missing": 1, "extra": 2}


def test_reference_gives_each_examinees_answer_count() -> None:
    # the floor run before the load phase asks each examinee for as many answers as cat-sim gave it
    battery = load_battery(DEFAULT_BATTERY)
    rows, answers = reference(battery, [-2.0, 0.0, 0.5, 2.5], seed=3)
    assert set(rows) == {s.id for s in battery.subtests} and len(answers) == 4
    minimum = sum(s.stopping.min_items for s in battery.subtests)
    maximum = sum(s.stopping.max_items for s in battery.subtests)
    assert all(minimum <= n <= maximum for n in answers)
    assert sum(answers) / 4 == pytest.approx(sum(r["mean_length"] for r in rows.values()), abs=0.01)
