"""The live server uses the same rules as the simulation: a sitting with seed s and the simulation of an examinee with
session seed s choose the same items, given the same answers, and report the same profile.

The demo battery has every random element switched on (first-item randomesque, Sympson-Hetter conditional on
ability, content balancing whose ties are broken at random, options shown in a per-session order) and a final WLE.
The simulated examinee answers first; the live candidate then gives the same answers through the server's use
cases, finding each stored option among the options as the item frame shows them (by text: the frame carries no
stored index).
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from server_world import demo_battery, make_world, run

from cat_engine.battery import Subtest
from cat_engine.session import Phase
from cat_engine.simulate import simulate_battery


def _item_frame(frames: list[bytes]) -> dict[str, Any]:
    items = [f for f in map(orjson.loads, frames) if f.get("type") == "item"]
    assert items, [orjson.loads(f).get("type") for f in frames]
    frame: dict[str, Any] = items[-1]
    return frame


def _option_scored(sub: Subtest, item: int, category: int) -> int:
    """A stored option of ``item`` that scores ``category``."""
    row: list[int] = sub.pool.scoring[item].tolist()
    return row.index(category)


@pytest.mark.parametrize("true_theta", [-2.4, 0.3, 2.2])
def test_a_live_sitting_chooses_what_the_simulation_chooses(true_theta: float) -> None:
    battery = demo_battery()

    async def go() -> None:
        w = await make_world(battery)
        seed = (await w.state()).seed
        simulated = simulate_battery(battery, [true_theta], seed=17, session_seeds=[seed])
        cases, sid, conn = w.process.candidates, w.sid(), "c1"
        out = await w.sit(conn)
        for index, (sub, sim) in enumerate(zip(battery.subtests, simulated, strict=True)):
            length = int(sim.lengths[0])
            for position in range(length):
                state = await w.state()
                if state.phase is Phase.INTRO:
                    out = await cases.start(sid, conn, index)
                    state = await w.state()
                assert state.subtest_index == index
                frame = _item_frame(out.frames)
                expected = int(sim.items[0, position])
                assert frame["item"]["id"] == sub.pool.items[expected].id, (sub.id, position)
                stored = _option_scored(sub, expected, int(sim.categories[0, position]))
                shown = frame["item"]["options"].index(sub.pool.items[expected].options[stored])
                w.advance(3)
                out = await cases.answer(sid, conn, frame["seq"], shown)
            record = (await w.state()).done[index]  # the subtest ended where the simulation's did
            assert list(record.items) == [int(i) for i in sim.items[0, :length]]
            assert record.theta == pytest.approx(float(sim.theta[0]), abs=1e-9)
            assert record.se == pytest.approx(float(sim.se[0]), abs=1e-9)
        assert (await w.state()).phase is Phase.FINISHED

    run(go, timeout=120)
