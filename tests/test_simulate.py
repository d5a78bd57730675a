"""Simulation studies: accuracy against known truths, agreement with the live step, and the summary's numbers."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import battery_dict, load, make_pool_dict, subtest_dict

from cat_engine.battery import Subtest
from cat_engine.draws import as_keys
from cat_engine.estimation import EstimatorConfig, Method
from cat_engine.selection import SelectionConfig
from cat_engine.simulate import SubtestSimulation, simulate_battery, simulate_subtest
from cat_engine.stopping import StoppingConfig, StopReason


def _subtest(
    tmp_path: Path, n_items: int = 200, n_polytomous: int = 0, *, max_items: int = 30, se: float | None = 0.3
) -> Subtest:
    pools = {"p.json": make_pool_dict(n_items, seed=3, pool_id="p", n_polytomous=n_polytomous)}
    sub = subtest_dict("s1", "p.json", max_items=max_items, se_target=se)
    return load(tmp_path, battery_dict([sub]), pools=pools).subtests[0]


def test_recovers_theta_with_the_promised_precision(tmp_path: Path) -> None:
    sub = _subtest(tmp_path)
    result = simulate_subtest(sub, np.random.default_rng(0).standard_normal(1500), np.random.default_rng(1))
    summary = result.summary()
    assert summary["examinees"] == 1500
    assert abs(summary["bias"]) < 0.05
    # Stopping at SE 0.3 (or 30 items): RMSE near the target, and the EAP interval covers about 95%.
    assert summary["rmse"] < 0.36
    assert 0.92 <= summary["coverage_95"] <= 0.98
    assert set(summary["stop_reasons"]) <= {"se_target", "max_items", "pool_exhausted"}
    assert summary["stop_reasons"].get("se_target", 0) > 1000


def test_every_examinee_gets_distinct_items_and_lengths_match(tmp_path: Path) -> None:
    sub = _subtest(tmp_path, n_items=80)
    result = simulate_subtest(sub, np.linspace(-3, 3, 200), np.random.default_rng(2))
    for row, length in zip(result.items, result.lengths, strict=True):
        given = row[row >= 0]
        assert given.size == length
        assert np.unique(given).size == given.size
        assert np.all(row[length:] == -1)
    assert np.all(result.lengths <= 30)


def test_mixed_pool_simulates_polytomous_items(tmp_path: Path) -> None:
    sub = _subtest(tmp_path, n_items=40, n_polytomous=60)
    result = simulate_subtest(sub, np.random.default_rng(5).standard_normal(400), np.random.default_rng(6))
    summary = result.summary()
    assert summary["rmse"] < 0.4
    poly = np.flatnonzero(sub.pool.params.model != 0)
    assert np.isin(result.items[result.items >= 0], poly).any()


@pytest.mark.parametrize("method", ["map", "mle", "wle"])
def test_point_estimators_run_vectorised(tmp_path: Path, method: Method) -> None:
    base = _subtest(tmp_path, max_items=20)
    sub = replace(base, estimator=EstimatorConfig(method=method))
    truth = np.random.default_rng(7).standard_normal(300)
    result = simulate_subtest(sub, truth, np.random.default_rng(8))
    assert np.all(np.isfinite(result.theta)) and np.all(np.isfinite(result.se))
    assert np.corrcoef(result.theta, truth)[0, 1] > 0.85


def test_simulation_chooses_what_the_live_step_chooses_for_the_same_keys(tmp_path: Path) -> None:
    """The vectorised loop and Subtest.step make the same decisions from the same answers and keys.

    A subtest with every random element (first-item and later randomesque, conditional Sympson-Hetter, content
    balancing with tied targets) and a final WLE: each simulated examinee with key (seed, 0) is replayed through
    step(), which a live session with that seed calls, and must get the same items, stop at the same point and
    report the same estimate.
    """
    data = make_pool_dict(120, seed=3, pool_id="p", areas=("A", "B", "C"))
    data["exposure_strata"] = [-1.0, 0.0, 1.0]
    rng = np.random.default_rng(4)
    for item in data["items"]:
        item["exposure_k"] = rng.choice([0.3, 0.7, 1.0], size=4).tolist()
    sub_data = subtest_dict(
        "s1",
        "p.json",
        max_items=12,
        min_items=4,
        se_target=0.4,
        estimator={"method": "eap", "final": "wle"},
        selection={"randomesque": 2, "first_item_randomesque": 5, "exposure_control": "sympson_hetter"},
        blueprint={area: {"target": 1 / 3, "min": 1, "max": 6} for area in ("A", "B", "C")},
    )
    sub = load(tmp_path, battery_dict([sub_data]), pools={"p.json": data}).subtests[0]
    seeds = [7, 123456789012, 2**62 - 1, 0, 42, 99, 5, 31337]
    keys = as_keys([[s, 0] for s in seeds])
    result = simulate_subtest(sub, np.linspace(-2.5, 2.5, len(seeds)), np.random.default_rng(11), keys=keys)
    first_items = set()
    for row, seed in enumerate(seeds):
        length = int(result.lengths[row])
        items = [int(i) for i in result.items[row, :length]]
        cats = [int(c) for c in result.categories[row, :length]]
        first_items.add(items[0])
        for position in range(length):
            step = sub.step(items[:position], cats[:position], (seed, 0))
            assert step.next_item == items[position], (seed, position)
        last = sub.step(items, cats, (seed, 0))
        assert last.stop_reason != StopReason.CONTINUE and last.stop_reason == result.reasons[row]
        theta, se = sub.final_estimate(items, cats, (last.theta, last.se))
        assert theta == pytest.approx(result.theta[row], abs=1e-9) and se == pytest.approx(result.se[row], abs=1e-9)
    assert len(first_items) > 1  # the random elements were exercised


def test_summary_numbers_are_what_they_say(tmp_path: Path) -> None:
    sub = _subtest(tmp_path, n_items=20, max_items=3, se=0.01)
    truth = np.array([0.0, 1.0, -1.0, 2.0])
    items = np.array([[0, 1, 2], [0, 1, 3], [4, 5, 6], [0, 1, 2]])
    fake = SubtestSimulation(
        subtest=sub,
        true_theta=truth,
        theta=np.array([0.1, 0.8, -1.0, 2.5]),
        se=np.array([0.2, 0.05, 0.1, 0.2]),
        lengths=np.array([3, 3, 3, 3]),
        reasons=np.full(4, int(StopReason.MAX_ITEMS)),
        items=items,
        categories=np.zeros_like(items),
        considered=np.zeros((4, 0, 20), dtype=bool),
        visited=np.ones((4, 1), dtype=bool),
        keys=as_keys([[0]] * 4),
        seconds=0.0,
    )
    s = fake.summary()
    assert s["bias"] == pytest.approx((0.1 - 0.2 + 0 + 0.5) / 4)
    assert s["rmse"] == pytest.approx(np.sqrt((0.01 + 0.04 + 0 + 0.25) / 4))
    # |err| <= 1.96 SE: 0.1<=0.392 yes, 0.2<=0.098 no, 0<=0.196 yes, 0.5<=0.392 no
    assert s["coverage_95"] == pytest.approx(0.5)
    assert s["max_exposure"] == pytest.approx(0.75)  # items 0 and 1 in 3 of 4 tests
    assert s["unused_share"] == pytest.approx(13 / 20)
    # pairs: (0,1) 2 shared, (0,2) 0, (0,3) 3, (1,2) 0, (1,3) 2, (2,3) 0 -> mean of x/3
    assert s["mean_overlap"] == pytest.approx((2 + 0 + 3 + 0 + 2 + 0) / 3 / 6)
    assert s["stop_reasons"] == {"max_items": 4}
    # bands of width 1 from -3 to 3, with the most-used item's exposure among the band's examinees
    bands = {(b["lo"], b["hi"]): b for b in s["bands"]}
    assert set(bands) == {(-2.0, -1.0), (-1.0, 0.0), (0.0, 1.0), (1.0, 2.0)}  # (lo, hi]: -1, 0, 1 and 2
    assert [bands[k]["examinees"] for k in sorted(bands)] == [1, 1, 1, 1]
    assert all(b["max_exposure"] == pytest.approx(1.0) for b in bands.values())  # one examinee each
    assert fake.exposure_among(np.array([True, False, True, False])).max() == pytest.approx(0.5)  # no item shared
    assert fake.exposure_among(np.array([True, True, False, False]))[[0, 1, 2, 3]] == pytest.approx([1, 1, 0.5, 0.5])
    assert bands[(1.0, 2.0)]["rmse"] == pytest.approx(0.5) and bands[(-2.0, -1.0)]["rmse"] == pytest.approx(0.0)
    assert set(s["bands"][0]) == {"lo", "hi", "examinees", "rmse", "bias", "coverage_95", "mean_length", "max_exposure"}
    # levels with the default cuts -1.5, -0.5, 0.5, 1.5: truths 3, 4, 2, 5 reported as 3, 4, 2, 5
    assert s["level_accuracy"] == pytest.approx(1.0) and 0 < s["level_consistency"] <= 1
    assert s["area_share"]  # the pool's areas, each [achieved, target]
    assert sum(v[0] for v in s["area_share"].values()) == pytest.approx(1.0)


def test_bands_put_thetas_beyond_three_in_the_outer_bands(tmp_path: Path) -> None:
    sub = _subtest(tmp_path, n_items=40, max_items=5, se=0.5)
    result = simulate_subtest(sub, np.array([-4.0, -2.5, 2.5, 3.5]), np.random.default_rng(3))
    bands = {(b["lo"], b["hi"]): b["examinees"] for b in result.summary()["bands"]}
    assert bands == {(-3.0, -2.0): 2, (2.0, 3.0): 2}


def test_battery_simulation_uses_each_subtest_and_same_truth(tmp_path: Path) -> None:
    battery = load(tmp_path, battery_dict([subtest_dict("s1"), subtest_dict("s2")]))
    calls = []
    results = simulate_battery(battery, 50, seed=4, progress=lambda name, done, total: calls.append((name, done)))
    assert [r.subtest.id for r in results] == ["s1", "s2"]
    assert np.array_equal(results[0].true_theta, results[1].true_theta)
    assert {c[0] for c in calls} == {"Subtest s1", "Subtest s2"}
    again = simulate_battery(battery, 50, seed=4)
    assert np.array_equal(results[0].theta, again[0].theta)


def test_content_blueprint_is_respected(tmp_path: Path) -> None:
    pools = {"p.json": make_pool_dict(120, areas=("A", "B", "C"), seed=9, pool_id="p")}
    blueprint = {
        "A": {"target": 0.5, "min": 3, "max": 6},
        "B": {"target": 0.3, "min": 2, "max": 4},
        "C": {"target": 0.2, "min": 1, "max": 3},
    }
    sub = subtest_dict("s1", "p.json", max_items=12, min_items=6, se_target=0.4, blueprint=blueprint)
    battery = load(tmp_path, battery_dict([sub]), pools=pools)
    result = simulate_subtest(
        battery.subtests[0], np.random.default_rng(1).standard_normal(300), np.random.default_rng(2)
    )
    area = battery.subtests[0].pool.area_index
    for row in result.items:
        counts = np.bincount(area[row[row >= 0]], minlength=3)
        assert np.all(counts >= [3, 2, 1]) and np.all(counts <= [6, 4, 3])


def test_single_pool_subtest_without_battery(tmp_path: Path) -> None:
    pool = load(tmp_path).subtests[0].pool
    sub = Subtest(
        "x",
        "X",
        pool,
        (-1.5, -0.5, 0.5, 1.5),
        selection=SelectionConfig(),
        stopping=StoppingConfig(se_target=0.5, max_items=10),
    )
    result = simulate_subtest(sub, np.zeros(10), np.random.default_rng(0))
    assert np.all(result.lengths >= 1)
