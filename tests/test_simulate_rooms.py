"""Room timelines: normal seats keep their own times; an operator's seats answer one at a time."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from cat_engine.battery import load_battery
from cat_engine.simulate_aberrance import AberrantBattery, simulate_aberrant_battery
from cat_engine.simulate_rooms import LATENCY_S, ROOM_SIZE, SWITCH_S, SeatTimeline, lay_out_rooms

DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"


@cache
def _laid_out() -> tuple[AberrantBattery, list[SeatTimeline]]:
    sim = simulate_aberrant_battery(load_battery(DEMO), 200, 5, {"operator": 0.1, "rapid": 0.05}, pilot=200)
    return sim, lay_out_rooms(sim, np.random.default_rng(2))


def test_rooms_are_at_most_full_and_keep_an_operator_s_seats_together() -> None:
    sim, timelines = _laid_out()
    rooms = np.array([t.room for t in timelines])
    assert np.bincount(rooms).max() <= ROOM_SIZE
    for g in range(int(sim.operator_group.max()) + 1):
        assert np.unique(rooms[sim.operator_group == g]).size == 1


def test_every_answer_has_a_time_in_battery_order() -> None:
    sim, timelines = _laid_out()
    for e, t in enumerate(timelines):
        lengths = [int(r.lengths[e]) for r in sim.results]
        assert t.arrival_ms.size == t.response_ms.size == sum(lengths)
        assert np.array_equal(t.subtest, np.repeat(np.arange(len(lengths)), lengths))
        assert np.all(np.diff(t.arrival_ms) > 0)


def test_a_normal_seat_records_its_own_response_times() -> None:
    sim, timelines = _laid_out()
    for e in np.flatnonzero(sim.operator_group < 0)[:50].tolist():
        own = np.concatenate([lt[e, : int(r.lengths[e])] for r, lt in zip(sim.results, sim.log_times, strict=True)])
        # the server's clock: the seat's own time and the item's way to the screen
        assert np.allclose(timelines[e].response_ms, (np.exp(own) + LATENCY_S) * 1000, atol=1.0)
        gaps = np.diff(timelines[e].arrival_ms)  # within a subtest the recorded time is the gap itself
        assert np.all(gaps >= timelines[e].response_ms[1:] - 2)
        same = np.diff(timelines[e].subtest) == 0
        assert np.allclose(gaps[same], timelines[e].response_ms[1:][same], atol=2)


def test_an_operator_s_seats_answer_one_at_a_time_and_wait_for_each_other() -> None:
    sim, timelines = _laid_out()
    for g in range(int(sim.operator_group.max()) + 1):
        seats = np.flatnonzero(sim.operator_group == g).tolist()
        merged = np.sort(np.concatenate([timelines[s].arrival_ms for s in seats]))
        assert np.all(np.diff(merged) >= SWITCH_S[0] * 1000 - 1)  # one person: a move between any two answers
        for s in seats:
            own = np.concatenate([lt[s, : int(r.lengths[s])] for r, lt in zip(sim.results, sim.log_times, strict=True)])
            recorded = timelines[s].response_ms
            assert np.all(recorded >= np.exp(own) * 1000 - 1)  # the operator's own time, plus waiting
        all_recorded = np.concatenate([timelines[s].response_ms for s in seats])
        all_own = np.concatenate(
            [
                np.exp(lt[s, : int(r.lengths[s])]) * 1000
                for s in seats
                for r, lt in zip(sim.results, sim.log_times, strict=True)
            ]
        )
        assert np.median(all_recorded / all_own) > 2.0  # each seat waits for the three others
