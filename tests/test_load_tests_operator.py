"""load_tests.operator: one simulated person answers for four seats, one answer at a time, and the room timing
statistics find exactly those seats.

Offline: a small discrete-event loop plays the part of the server and of each seat's closed-loop client (item
shown, the pacing's delay, answer, next item after a network latency; intros read with the pacing's reading delay)
on a fake clock, with the real :class:`~load_tests.candidate.Pacing` and
:class:`~load_tests.operator.OperatorPacing` objects. The server's records are built as the server builds them:
``at_ms`` when an answer arrives, ``response_ms`` since the item was shown.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from cat_engine.room_timing import room_timing
from load_tests.candidate import Pacing
from load_tests.cli import options, parser
from load_tests.examinee import ThinkTime
from load_tests.operator import GROUP_SIZE, Operator, OperatorPacing, answer_times, plant_groups

LATENCY_S = 0.004  # one way, client to server


@dataclass
class Clock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


def sit(pacings: list[Pacing], clock: Clock, rng: np.random.Generator, items: int = 20) -> list[tuple[Any, Any]]:
    """Every seat through a welcome and three subtests of ``items`` items; the server's arrival times and
    response_ms (ms) of each seat's answers."""
    plans = [["intro"] * 1 + [job for _ in range(3) for job in ["intro"] + ["item"] * items] for _ in pacings]
    step = [0] * len(pacings)
    seen = [0.0] * len(pacings)  # server time the current item was shown
    events = [(0.0, s) for s in range(len(pacings))]  # a frame reaches seat s
    arrival: list[list[float]] = [[] for _ in pacings]
    response: list[list[float]] = [[] for _ in pacings]
    while events:
        t, s = heapq.heappop(events)
        clock.now = t
        job = plans[s][step[s]]
        wait = pacings[s].reading_delay(rng) if job == "intro" else pacings[s].delay(rng)
        at_server = t + wait + LATENCY_S  # the answer (or start) arrives; the server shows the next item now
        if job == "item":
            arrival[s].append(at_server)
            response[s].append(at_server - seen[s])
        seen[s] = at_server
        step[s] += 1
        if step[s] < len(plans[s]):
            heapq.heappush(events, (at_server + LATENCY_S, s))
    return [
        (np.round(np.array(a) * 1000), np.round(np.array(r) * 1000)) for a, r in zip(arrival, response, strict=True)
    ]


def test_an_operator_does_one_thing_at_a_time_oldest_first() -> None:
    clock = Clock()
    op = Operator(ThinkTime.parse("fixed:2"), 0.5, np.random.default_rng(0), clock)
    pacing = OperatorPacing.of(Pacing("open", ThinkTime.parse("fixed:9"), 0.5), op)
    assert pacing.mode == "closed" and pacing.think == ThinkTime.parse("fixed:9")
    rng = np.random.default_rng(1)
    assert pacing.delay(rng) == pytest.approx(1.0)  # free: 2 s x 0.5
    clock.now = 0.25
    assert pacing.delay(rng) == pytest.approx(1.75)  # waits for the first, then 1 s
    clock.now = 5.0
    assert 0.5 <= pacing.reading_delay(rng) <= 2.0  # an intro: read (not scaled), as the candidate page's reading
    starts = [b[0] for b in op.booked]
    ends = [b[1] for b in op.booked]
    assert starts == sorted(starts) and all(e <= s for e, s in zip(ends, starts[1:], strict=False))
    assert [b[2] for b in op.booked] == ["item", "item", "reading"]
    with pytest.raises(ValueError, match="operator"):
        OperatorPacing("closed", ThinkTime.parse("fixed:1"), 1.0).delay(rng)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_simulated_operator_is_flagged_and_nobody_else(seed: int) -> None:
    """Twenty seats at the load tests' pace (lognormal:30:0.5 x 0.1), four of them served by one operator."""
    clock = Clock()
    pacing = Pacing("closed", ThinkTime.parse("lognormal:30:0.5"), 0.1)
    op = Operator(pacing.think.scaled(1 / GROUP_SIZE), 0.1, np.random.default_rng([seed, 9]), clock)
    pacings = [pacing] * 16 + [OperatorPacing.of(pacing, op)] * GROUP_SIZE
    seats = sit(pacings, clock, np.random.default_rng(seed))
    jobs = np.array([(b[0], b[1]) for b in op.booked])
    assert np.all(jobs[1:, 0] >= jobs[:-1, 1] - 1e-12)  # never two things at once
    result = room_timing([a for a, _ in seats], [r for _, r in seats])
    assert [(f.kind, f.seats) for f in result.flags] == [("operator", (16, 17, 18, 19))]
    # each operator seat keeps about a normal pace: its median response time within a factor 1.5 of the others'
    normal = np.median(np.concatenate([r for _, r in seats[:16]]))
    assert all(0.67 < np.median(r) / normal < 1.5 for _, r in seats[16:])


def test_answer_times_come_from_applied_answers() -> None:
    entries = [
        {"kind": "hello", "at_ms": 1},
        {"kind": "answer", "at_ms": 30, "seq": 2, "response": 1, "response_ms": 20},
        {"kind": "answer", "at_ms": 10, "seq": 1, "response": 0, "response_ms": 9},
        {"kind": "answer", "at_ms": 31, "seq": 2, "response": 1, "outcome": "duplicate"},
        {"kind": "answer", "at_ms": 50, "seq": 3, "response": 1, "outcome": "time_up"},
        {"kind": "start", "at_ms": 60, "subtest": 1},
    ]
    assert answer_times(entries) == ([10.0, 30.0], [9.0, 20.0])


def test_groups_are_planted_inside_rooms() -> None:
    rooms = [list(range(0, 10)), list(range(10, 20))]
    groups = plant_groups(rooms, 2, seed=3)
    assert len(groups) == 4 and all(len(g) == GROUP_SIZE for g in groups)
    assert len({s for g in groups for s in g}) == 16  # no seat in two groups
    assert all(set(g) <= set(rooms[0]) for g in groups[:2]) and all(set(g) <= set(rooms[1]) for g in groups[2:])
    assert plant_groups(rooms, 2, seed=3) == groups
    assert plant_groups(rooms, 0, seed=3) == []
    with pytest.raises(ValueError, match="room 1"):
        plant_groups(rooms, 3, seed=3)


def test_command_line_options() -> None:
    args = parser("en").parse_args(["peak", "--examinees", "40", "--rooms", "2", "--operator-groups", "1"])
    opts = options(args)
    assert opts.scenario.operator_groups == 1 and opts.scenario.operator_think == ""
    assert options(parser("en").parse_args(["peak"])).scenario.operator_groups == 0  # the default is unchanged
    too_many = ["peak", "--examinees", "40", "--rooms", "2", "--operator-groups", "6"]
    with pytest.raises(ValueError, match="operator-groups"):
        options(parser("en").parse_args(too_many))
    with pytest.raises(ValueError, match="think time"):
        options(parser("en").parse_args(["peak", "--operator-groups", "1", "--operator-think", "gamma:1"]))
