"""Batteries and sittings shared by the tests of the session state machine and of its encoding.

* :func:`pools` - two small pools (60 dichotomous items; 40 with some polytomous and Sympson-Hetter values);
* :func:`fixed_battery_data` - two fixed-length subtests with time limits;
* :func:`begin`, :func:`run_sitting`, :func:`finished` - sittings driven through the core's transitions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from conftest import battery_dict, make_pool_dict, subtest_dict

from cat_engine.battery import Battery
from cat_engine.codec import decode, encode
from cat_engine.events import Event, ItemPresented, Started, SubtestIntro
from cat_engine.session import Phase, SessionState, answer, connect, new_session, start

__all__ = ["begin", "finished", "fixed_battery_data", "n_options", "pools", "run_sitting", "through_intros"]


def pools() -> dict[str, dict[str, Any]]:
    two = make_pool_dict(40, seed=2, pool_id="pool-two", pool_version="2026.2", n_polytomous=6)
    for i, item in enumerate(two["items"]):
        if i % 3 == 0:
            item["exposure_k"] = 0.4  # used when a subtest turns on Sympson-Hetter
    return {
        "s1.json": make_pool_dict(60, seed=1, pool_id="pool-one", pool_version="2026.1"),
        "s2.json": two,
    }


def fixed_battery_data(len1: int = 3, len2: int = 2, limit1: float | None = 10, limit2: float | None = 20) -> Any:
    """Two fixed-length subtests (min_items = max_items, no precision rule)."""
    return battery_dict(
        subtests=[
            subtest_dict("s1", max_items=len1, min_items=len1, se_target=None, time_limit_s=limit1),
            subtest_dict("s2", max_items=len2, min_items=len2, se_target=None, time_limit_s=limit2),
        ]
    )


def begin(battery: Battery, seed: int = 7, now: int = 0) -> SessionState:
    """A connected sitting presenting the first subtest's first item (welcome and intro passed at ``now``)."""
    s, _ = connect(battery, new_session(battery, seed), now)
    s, events = start(battery, s, now)
    assert [type(e) for e in events] == [Started, SubtestIntro]
    s, events = start(battery, s, now)
    assert [type(e) for e in events] == [ItemPresented]
    return s


def through_intros(battery: Battery, state: SessionState, now: int) -> tuple[SessionState, list[Event]]:
    """Start every intro met at ``now`` (a subtest whose pool gives no item leads straight to the next intro)."""
    events: list[Event] = []
    while state.phase is Phase.INTRO:
        state, ev = start(battery, state, now)
        events += ev
    return state, events


def n_options(battery: Battery, state: SessionState) -> int:
    return battery.subtests[state.subtest_index].pool.n_options(state.item_index)


def run_sitting(
    battery: Battery, seed: int, response_seed: int, *, roundtrip: bool = False, step_ms: int = 1500
) -> tuple[list[tuple[int, int]], SessionState, list[Event]]:
    """Run a whole sitting with random valid responses; optionally encode and decode the state at every step."""
    responses = np.random.default_rng(response_seed)
    now = 0
    s = new_session(battery, seed)
    s, ev1 = connect(battery, s, now)
    s, ev2 = start(battery, s, now)
    s, ev3 = through_intros(battery, s, now)
    events = ev1 + ev2 + ev3
    presented: list[tuple[int, int]] = [(s.subtest_index, s.item_index)]
    while s.phase is Phase.ACTIVE:
        if roundtrip:
            s = decode(battery, encode(s))
        now += step_ms + int(responses.integers(0, 500))
        r = int(responses.integers(0, n_options(battery, s)))
        s, ev = answer(battery, s, s.seq, r, now)
        if roundtrip and s.phase is Phase.INTRO:
            s = decode(battery, encode(s))
        s, ev_intro = through_intros(battery, s, now)
        ev += ev_intro
        events += ev
        presented += [(e.subtest_index, e.item_index) for e in ev if isinstance(e, ItemPresented)]
    return presented, s, events


def finished(battery: Battery) -> SessionState:
    _, s, _ = run_sitting(battery, 1, 1)
    assert s.phase is Phase.FINISHED
    return s
