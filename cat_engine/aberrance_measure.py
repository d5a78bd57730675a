"""How often the integrity statistics flag simulated examinees: false alarms among normal ones, power per kind.

Every simulated sitting of an :class:`~cat_engine.simulate_aberrance.AberrantBattery` is screened at its end by
:func:`cat_engine.aberrance.screen` (the response times the server would record, from
:mod:`cat_engine.simulate_rooms`), and every room by :func:`cat_engine.room_timing.room_timing`. An examinee is
flagged when any statistic of either flags them. ``cat-sim --aberrance`` prints the result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from .aberrance import IntegrityConfig, SubtestData, screen
from .room_timing import TimingConfig, room_timing
from .simulate_aberrance import KINDS, NORMAL, AberrantBattery
from .simulate_rooms import SeatTimeline

__all__ = ["measure_aberrance"]


def _sitting(sim: AberrantBattery, timeline: SeatTimeline, e: int) -> list[SubtestData]:
    out = []
    for index, result in enumerate(sim.results):
        length = int(result.lengths[e])
        items = result.items[e, :length]
        out.append(
            SubtestData(
                result.subtest.pool,
                tuple(items.tolist()),
                tuple(result.categories[e, :length].tolist()),
                tuple(timeline.response_ms[timeline.subtest == index].tolist()),
                float(result.theta[e]),
                float(result.se[e]),
            )
        )
    return out


def measure_aberrance(
    sim: AberrantBattery,
    timelines: list[SeatTimeline],
    config: IntegrityConfig | None = None,
    timing: TimingConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """The ``aberrance`` block of ``cat-sim --json``.

    Returns
    -------
    dict
        ``false_alarm_rate`` (share of normal examinees with any flag), ``kinds`` (per simulated kind: ``kind``,
        ``share``, ``examinees``, ``flagged``: the share of them with any flag) and ``by_flag`` (per flag kind, the
        share of each simulated group it flagged).
    """
    n = sim.kinds.shape[0]
    flags: dict[str, npt.NDArray[np.bool_]] = {}

    def mark(kind: str, who: int | list[int]) -> None:
        flags.setdefault(kind, np.zeros(n, dtype=bool))[who] = True

    for e in range(n):
        for flag in screen(_sitting(sim, timelines[e], e), config, final=True).flags:
            mark(flag.kind, e)
        if progress is not None and (e + 1) % 500 == 0:
            progress(e + 1, n)
    rooms = np.array([t.room for t in timelines])
    for room in np.unique(rooms).tolist():
        seats = np.flatnonzero(rooms == room).tolist()
        found = room_timing([timelines[s].arrival_ms for s in seats], [timelines[s].response_ms for s in seats], timing)
        for group in found.flags:
            mark(group.kind, [seats[s] for s in group.seats])
    if progress is not None:
        progress(n, n)
    anything = np.zeros(n, dtype=bool)
    for mask in flags.values():
        anything |= mask
    groups = [NORMAL, *[k for k in KINDS if np.any(sim.kinds == k)]]
    normal = sim.kinds == NORMAL
    return {
        "false_alarm_rate": float(anything[normal].mean()),
        "examinees": int(normal.sum()),
        "kinds": [
            {
                "kind": kind,
                "share": float(np.mean(sim.kinds == kind)),
                "examinees": int(np.sum(sim.kinds == kind)),
                "flagged": float(anything[sim.kinds == kind].mean()),
            }
            for kind in groups[1:]
        ],
        "by_flag": {
            flag: {group: float(mask[sim.kinds == group].mean()) for group in groups}
            for flag, mask in sorted(flags.items())
        },
    }
