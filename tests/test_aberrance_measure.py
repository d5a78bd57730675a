"""The integrity flags measured on simulated examinees: false alarms and power add up as documented."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from cat_engine.aberrance import IntegrityConfig
from cat_engine.aberrance_measure import measure_aberrance
from cat_engine.battery import load_battery
from cat_engine.simulate_aberrance import simulate_aberrant_battery
from cat_engine.simulate_rooms import lay_out_rooms

DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"


@cache
def _measured() -> dict[str, Any]:
    mix = {"preknowledge": 0.1, "rapid": 0.1, "proxy": 0.1, "operator": 0.04}
    sim = simulate_aberrant_battery(load_battery(DEMO), 500, 21, mix, pilot=500)
    return measure_aberrance(sim, lay_out_rooms(sim, np.random.default_rng(3)), IntegrityConfig())


def test_the_block_has_every_kind_and_the_normal_examinees() -> None:
    block = _measured()
    assert [k["kind"] for k in block["kinds"]] == ["preknowledge", "rapid", "proxy", "operator"]
    assert [k["examinees"] for k in block["kinds"]] == [50, 50, 50, 20]
    assert block["examinees"] == 330


def test_any_flag_is_at_least_each_flag_and_at_most_their_sum() -> None:
    block = _measured()
    groups = {"normal": block["false_alarm_rate"]} | {k["kind"]: k["flagged"] for k in block["kinds"]}
    for group, anything in groups.items():
        per_flag = [shares[group] for shares in block["by_flag"].values()]
        assert max(per_flag, default=0.0) <= anything <= sum(per_flag) + 1e-12


def test_false_alarms_stay_near_their_budget_and_rapid_guessing_is_caught() -> None:
    block = _measured()
    # The statistics' levels add up to at most 0.05 (docs/integrity.md); 330 normal examinees give a binomial
    # standard deviation of 0.012 there, so 0.10 is four of them above the budget.
    assert block["false_alarm_rate"] <= 0.10
    rapid = next(k for k in block["kinds"] if k["kind"] == "rapid")
    assert rapid["flagged"] >= 0.8  # 30 % rapid answers over ~40 answers: the count test rejects nearly always
