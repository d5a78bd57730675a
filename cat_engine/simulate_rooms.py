"""When each simulated answer reaches the server: seats in rooms, and one operator serving several seats.

The sessions of an :class:`~cat_engine.simulate_aberrance.AberrantBattery` are seated in rooms of
:data:`ROOM_SIZE` (an operator's seats always in one room) and laid out on one clock per room:

* a seat starts within :data:`START_SPREAD_S` of the room's start; before each subtest it spends
  :data:`INTRO_S` (uniform) on the subtest's instructions; each item is shown :data:`LATENCY_S` after the previous
  answer arrived and answered after the seat's response time (its log-seconds from the simulation);
* an operator's seats are served by one person, one action at a time: the operator goes to the seat whose
  screen has waited longest, spends :data:`SWITCH_S` (uniform) moving to it, then the time the action takes
  (their own response time for an answer, :data:`OPERATOR_INTRO_S` for an instruction page).

A seat's recorded response time is what the server measures: from the arrival of the previous answer (when it
presented the next item) to this answer, so the :data:`LATENCY_S` of the item's way to the screen and an operator's
waiting are in it.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .simulate_aberrance import AberrantBattery

__all__ = ["ROOM_SIZE", "SeatTimeline", "lay_out_rooms"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

ROOM_SIZE = 40
START_SPREAD_S = 30.0
INTRO_S = (20.0, 90.0)
OPERATOR_INTRO_S = (5.0, 15.0)
SWITCH_S = (1.0, 4.0)
LATENCY_S = 0.3
UNTIMED_LOG_S = float(np.log(30.0))  # an answer on an item without time parameters takes 30 s


@dataclass(frozen=True)
class SeatTimeline:
    """One session's answers over the battery: the room, the arrival times and the recorded response times."""

    room: int
    arrival_ms: IntArray  # server time of each answer, in battery order
    response_ms: IntArray  # shown-to-answer time the server records for each answer
    subtest: IntArray  # the subtest index of each answer


def _rooms(group: IntArray, rng: np.random.Generator) -> IntArray:
    """Room of each seat: units (a single seat or an operator's group) shuffled, then rooms filled in order."""
    n = group.shape[0]
    units: list[list[int]] = [[e] for e in np.flatnonzero(group < 0).tolist()]
    units.extend(np.flatnonzero(group == g).tolist() for g in range(int(group.max()) + 1))
    room = np.empty(n, dtype=np.intp)
    current, used = 0, 0
    for u in rng.permutation(len(units)).tolist():
        seats = units[u]
        if used + len(seats) > ROOM_SIZE:
            current, used = current + 1, 0
        room[seats] = current
        used += len(seats)
    return room


def _answer_seconds(sim: AberrantBattery, examinee: int) -> list[FloatArray]:
    """Per subtest, the seconds of each answer of ``examinee`` (untimed items: :data:`UNTIMED_LOG_S`)."""
    out = []
    for result, log_t in zip(sim.results, sim.log_times, strict=True):
        length = int(result.lengths[examinee])
        logs = np.nan_to_num(log_t[examinee, :length], nan=UNTIMED_LOG_S)
        out.append(np.exp(logs))
    return out


def _normal_seat(seconds: list[FloatArray], start: float, rng: np.random.Generator) -> tuple[FloatArray, ...]:
    arrivals, took, which = [], [], []
    clock = start
    for index, times in enumerate(seconds):
        clock += rng.uniform(*INTRO_S)
        for t in times.tolist():
            clock += LATENCY_S + t
            arrivals.append(clock)
            took.append(LATENCY_S + t)  # the server's clock: from its previous answer's arrival
            which.append(index)
    return np.asarray(arrivals), np.asarray(took), np.asarray(which, dtype=np.float64)


def _operator_seats(
    seats: list[int], seconds: dict[int, list[FloatArray]], start: float, rng: np.random.Generator
) -> dict[int, tuple[FloatArray, ...]]:
    """Serve ``seats`` one action at a time, longest-waiting screen first (module docstring)."""
    # Each seat's actions in order: (subtest, seconds) with seconds None for an instruction page.
    actions = {s: _actions(seconds[s]) for s in seats}
    waiting = [(start + rng.uniform(0, START_SPREAD_S), s, 0) for s in seats]  # (shown at, seat, next action)
    heapq.heapify(waiting)
    clock = start
    out: dict[int, tuple[list[float], list[float], list[float]]] = {s: ([], [], []) for s in seats}
    while waiting:
        shown, seat, step = heapq.heappop(waiting)
        subtest, took = actions[seat][step]
        clock = max(clock, shown) + rng.uniform(*SWITCH_S)
        clock += rng.uniform(*OPERATOR_INTRO_S) if took is None else took
        if took is not None:
            arrivals, recorded, which = out[seat]
            arrivals.append(clock)
            recorded.append(clock - shown + LATENCY_S)  # the server's clock starts at the previous arrival
            which.append(subtest)
        if step + 1 < len(actions[seat]):
            heapq.heappush(waiting, (clock + LATENCY_S, seat, step + 1))
    return {s: tuple(np.asarray(v, dtype=np.float64) for v in out[s]) for s in seats}


def _actions(seconds: list[FloatArray]) -> list[tuple[int, float | None]]:
    steps: list[tuple[int, float | None]] = []
    for index, times in enumerate(seconds):
        steps.append((index, None))
        steps.extend((index, float(t)) for t in times.tolist())
    return steps


def lay_out_rooms(sim: AberrantBattery, rng: np.random.Generator) -> list[SeatTimeline]:
    """Every session's timeline (module docstring), in examinee order."""
    n = sim.kinds.shape[0]
    room = _rooms(sim.operator_group, rng)
    room_start = {int(r): 0.0 for r in np.unique(room)}
    timelines: list[SeatTimeline | None] = [None] * n

    def timeline(e: int, arrivals: FloatArray, took: FloatArray, which: FloatArray) -> SeatTimeline:
        return SeatTimeline(
            int(room[e]),
            np.round(arrivals * 1000).astype(np.intp),
            np.maximum(np.round(took * 1000), 1).astype(np.intp),
            which.astype(np.intp),
        )

    for e in np.flatnonzero(sim.operator_group < 0).tolist():
        start = room_start[int(room[e])] + rng.uniform(0, START_SPREAD_S)
        timelines[e] = timeline(e, *_normal_seat(_answer_seconds(sim, e), start, rng))
    for g in range(int(sim.operator_group.max()) + 1):
        seats = np.flatnonzero(sim.operator_group == g).tolist()
        seconds = {s: _answer_seconds(sim, s) for s in seats}
        served = _operator_seats(seats, seconds, room_start[int(room[seats[0]])], rng)
        for s in seats:
            timelines[s] = timeline(s, *served[s])
    return [t for t in timelines if t is not None]
