"""The pool report's analysis: depth by hand, exposure parameters, required depth, thin regions and their fix."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from conftest import battery_dict, load, make_item, make_pool_dict, subtest_dict

from cat_engine.battery import Subtest
from cat_engine.irt import ItemParams, information
from cat_engine.pool import Pool
from cat_engine.pool_fixes import theta_grid, thin_regions, typical_item
from cat_engine.pool_report import (
    BandUsage,
    PoolReport,
    build_report,
    default_threshold,
    exposure_parameters,
    information_profile,
    required_depth,
)
from cat_engine.simulate import simulate_subtest
from cat_engine.stopping import StoppingConfig

# A 2PL item with a = 2 (D = 1) has I = 4 P(1-P) > 0.5 exactly when |theta - b| < 2 arccosh(sqrt 2) / 2.
HALF_WIDTH_A2 = math.acosh(math.sqrt(2.0))


def _pool(items: list[dict[str, Any]], **extra: Any) -> Pool:
    data = make_pool_dict(items=items)
    data.update(extra)
    return Pool.from_dict(data, source="<test>")


def _p(theta: float, a: float, b: float) -> float:
    return 1.0 / (1.0 + math.exp(-a * (theta - b)))


def test_depth_and_information_of_a_tiny_pool_by_hand() -> None:
    specs = [(1.0, 0.0, "A"), (2.0, 1.0, "B"), (1.0, -1.0, "A"), (0.5, 0.0, "B")]
    pool = _pool([make_item(f"i{n}", model="2PL", a=a, b=b, area=area) for n, (a, b, area) in enumerate(specs)])
    profile = information_profile(pool, [-1.0, 0.0, 1.0], threshold=0.2)
    # I = a^2 P (1 - P). At theta 0: 0.25, 4 * 0.1192 * 0.8808 = 0.420, 0.1966, 0.0625 -> items 0 and 1 exceed 0.2.
    # At theta 1: 0.1966, 1.0, 0.1050, 0.0588 -> item 1 only. At theta -1: 0.1966, 0.0707, 0.25, 0.0588 -> item 2.
    assert profile.depth.tolist() == [1, 2, 1]
    assert profile.depth_by_area.tolist() == [[1, 1, 0], [0, 1, 1]]
    expected = [sum(a * a * _p(t, a, b) * (1 - _p(t, a, b)) for a, b, _ in specs) for t in (-1.0, 0.0, 1.0)]
    assert profile.information == pytest.approx(expected, rel=1e-9)
    assert profile.information[1] == pytest.approx(0.25 + 0.4200 + 0.1966 + 0.0625, abs=1e-3)


def test_depth_counts_items_strictly_above_the_threshold() -> None:
    pool = _pool([make_item("i0", model="2PL", a=2.0, b=0.0)])  # peak information exactly 1.0 at theta 0
    assert information_profile(pool, [0.0], threshold=1.0).depth.tolist() == [0]
    assert information_profile(pool, [0.0], threshold=0.999).depth.tolist() == [1]


def test_default_threshold_is_the_mean_information_per_item_that_reaches_the_se_target() -> None:
    assert default_threshold(StoppingConfig(se_target=0.3, max_items=40)) == pytest.approx(1 / (0.09 * 40))
    assert default_threshold(StoppingConfig(se_target=0.25, max_items=20)) == pytest.approx(1 / (0.0625 * 20))
    # Without an SE target, 0.3 is assumed.
    assert default_threshold(StoppingConfig(se_target=None, max_items=10)) == pytest.approx(1 / 0.9)


def test_theta_grid_hits_the_half_steps_exactly() -> None:
    grid = theta_grid()
    assert grid.size == 161 and grid[0] == -4.0 and grid[-1] == 4.0
    assert grid[::10].tolist() == [x / 2 for x in range(-8, 9)]


def test_exposure_parameters_per_stratum_and_unconditional() -> None:
    items = [make_item(f"i{n}", model="2PL", b=0.1 * n) for n in range(4)]
    items[0]["exposure_k"] = [0.2, 1.0, 0.5]
    items[1]["exposure_k"] = [1.0, 0.4, 1.0]
    items[2]["exposure_k"] = 0.9  # one value for every stratum
    conditional = exposure_parameters(_pool(items, exposure_strata=[-1.0, 1.0]))
    assert [(s.low, s.high) for s in conditional] == [(None, -1.0), (-1.0, 1.0), (1.0, None)]
    assert [s.items_controlled for s in conditional] == [2, 2, 2]
    assert [s.min_k for s in conditional] == [0.2, 0.4, 0.5]
    assert [s.median_k for s in conditional] == [0.95, 0.95, 0.95]  # medians of (0.2, 1, .9, 1), (1, .4, .9, 1) ...

    plain = [make_item(f"i{n}", model="2PL", exposure_k=k) for n, k in enumerate([0.3, None, None])]
    (row,) = exposure_parameters(_pool(plain))
    assert (row.low, row.high, row.items_controlled, row.min_k, row.median_k) == (None, None, 1, 0.3, 1.0)


def _bands(lengths: list[float], examinees: list[int] | None = None) -> list[BandUsage]:
    edges = [(-3.0, -2.0), (-2.0, -1.0), (-1.0, 0.0), (0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]
    counts = examinees or [100] * 6
    return [
        BandUsage(lo, hi, n, length, 0.3, 0.3, np.zeros(3))
        for (lo, hi), length, n in zip(edges, lengths, counts, strict=True)
    ]


def test_required_depth_is_the_band_length_over_the_target() -> None:
    bands = _bands([30.0, 20.0, 15.0, 15.0, 20.0, 30.0], [100, 100, 0, 100, 100, 100])
    theta = [-3.5, -3.0, -2.0, -1.95, -0.5, 0.0, 0.05, 2.0, 2.5, 3.0, 3.05]
    required = required_depth(theta, bands, target=0.25)
    expected = [math.nan, 120.0, 120.0, 80.0, math.nan, math.nan, 60.0, 80.0, 120.0, 120.0, math.nan]
    # Bands are (lo, hi]: -2 belongs to the lowest band, 0 to the empty (-1, 0] band; beyond -3..3 nothing.
    np.testing.assert_array_equal(required, expected)
    per_area = required_depth(theta, bands, target=0.25, share=0.25, domain=(-2.5, 2.5))
    assert math.isnan(per_area[1])  # -3 is outside the domain
    assert per_area[3] == pytest.approx(20.0)


def _a2_pool(b: np.ndarray, **extra: Any) -> Pool:
    items = [
        make_item(f"i{n:03d}", model="2PL", a=2.0, b=round(float(v), 6), area="AB"[n % 2]) for n, v in enumerate(b)
    ]
    return _pool(items, **extra)


def test_typical_item_of_a_2pl_pool_and_its_useful_range() -> None:
    typical = typical_item(_a2_pool(np.linspace(-1, 1, 5)), threshold=0.5)
    assert (typical.model, typical.a, typical.c, typical.raised) == ("2PL", 2.0, 0.0, False)
    assert typical.peak_information == pytest.approx(1.0)
    assert typical.low_offset == pytest.approx(-HALF_WIDTH_A2, abs=0.011)
    assert typical.high_offset == pytest.approx(HALF_WIDTH_A2, abs=0.011)
    assert typical.centre_offset == pytest.approx(0.0, abs=1e-9)


def test_typical_item_is_raised_when_the_median_discrimination_never_reaches_the_threshold() -> None:
    pool = _pool([make_item(f"i{n}", model="2PL", a=0.5, b=0.0) for n in range(3)])  # peak information 0.0625
    typical = typical_item(pool, threshold=0.5)
    assert typical.raised
    # 2PL peak information is a^2 / 4: twice the threshold needs a = 2.
    assert typical.a == pytest.approx(2.0, rel=0.01)
    assert 1.0 <= typical.peak_information < 1.05
    assert typical.width > 1.5


def test_typical_item_of_a_polytomous_pool() -> None:
    data = make_pool_dict(0, n_polytomous=12, seed=4)
    pool = Pool.from_dict(data, source="<test>")
    typical = typical_item(pool, threshold=0.3)
    assert typical.model == "GPCM/5" and typical.c is None
    assert typical.a == pytest.approx(float(np.median(pool.params.a)))
    info = information(np.array([[typical.low_offset], [typical.high_offset]]), typical.params)
    assert np.all(info > 0.3)


def test_thin_regions_and_a_plan_that_fixes_them() -> None:
    typical = typical_item(_a2_pool(np.zeros(3)), threshold=0.5)
    grid = theta_grid()
    depth = np.full(grid.size, 50, dtype=np.intp)
    depth[(grid > 0.95) & (grid < 1.05)] = 5  # one point: theta 1.0
    depth[grid >= 1.5] = np.clip(50 - ((grid[grid >= 1.5] - 1.5) * 40).astype(int), 0, None)
    required = required_depth(grid, _bands([5.0] * 6), target=0.25)  # 20 everywhere in [-3, 3]
    regions = thin_regions(grid, depth, required, typical)
    first, second = regions
    assert (first.theta_low, first.theta_high, first.min_depth, first.shortfall) == (1.0, 1.0, 5, 15)
    assert first.items_needed == 15
    thin_from = float(grid[(grid >= 1.5) & (depth < 20)][0])
    assert (second.theta_low, second.theta_high, second.min_depth, second.shortfall) == (thin_from, 3.0, 0, 20)
    assert second.required == 20.0

    # Items anywhere within each placement's b range close every shortfall.
    for end in ("b_low", "b_high"):
        fixed = depth.copy()
        for region in regions:
            for p in region.placements:
                at = getattr(p, end)
                fixed += p.count * (information(grid[:, None] - at, typical.params)[:, 0] > 0.5)
        with np.errstate(invalid="ignore"):
            assert not np.any(fixed < required)


def test_thin_runs_a_few_points_apart_are_one_region() -> None:
    typical = typical_item(_a2_pool(np.zeros(3)), threshold=0.5)
    grid = theta_grid()
    depth = np.full(grid.size, 50, dtype=np.intp)
    depth[(grid >= 0.0) & (grid <= 0.5)] = 10
    depth[(grid > 0.2) & (grid < 0.3)] = 30  # a single point with enough depth inside the run
    required = required_depth(grid, _bands([5.0] * 6), target=0.25)
    (region,) = thin_regions(grid, depth, required, typical)
    assert (region.theta_low, region.theta_high, region.min_depth, region.shortfall) == (0.0, 0.5, 10, 10)


def _fixed_length(pool: Pool, items: int = 5, **kw: Any) -> Subtest:
    return Subtest(
        id="t",
        name="T",
        pool=pool,
        level_cuts=(-1.5, -0.5, 0.5, 1.5),
        stopping=StoppingConfig(se_target=None, min_items=items, max_items=items),
        **kw,
    )


def _report(subtest: Subtest, n: int = 300, seed: int = 5, **kw: Any) -> PoolReport:
    rng = np.random.default_rng(seed)
    sim = simulate_subtest(subtest, rng.uniform(-3, 3, n), rng)
    return build_report(subtest, sim, **kw)


def test_a_pool_without_items_above_theta_2_is_thin_there_with_items_of_difficulty_2_to_3() -> None:
    b = np.round(np.arange(-3.5, 1.0001, 0.05), 2)  # 91 items, none harder than b = 1
    report = _report(_fixed_length(_a2_pool(b)), threshold=0.5)
    grid = report.profile.theta
    # Depth by the closed form: |theta - b| < arccosh(sqrt 2) for a = 2.
    by_hand = (np.abs(grid[:, None] - b[None, :]) < HALF_WIDTH_A2).sum(axis=1)
    np.testing.assert_array_equal(report.profile.depth, by_hand)
    assert report.profile.depth[grid == 2.0].item() == 0

    # Every test has 5 items, so 5 / 0.25 = 20 items are needed at every theta of [-3, 3].
    assert [band.mean_length for band in report.bands] == [5.0] * 6
    inside = (grid >= -3) & (grid <= 3)
    assert np.all(report.required[inside] == 20.0) and np.all(np.isnan(report.required[~inside]))

    (region,) = report.thin
    thin = grid[inside & (by_hand < 20)]
    assert (region.theta_low, region.theta_high) == (thin[0], 3.0)
    assert region.theta_low < 2.0 and region.shortfall == 20
    assert region.b_low <= 2.0 and region.b_high >= 2.5
    assert region.items_needed == 20 * len(region.placements) == 40
    assert report.thin_by_area == () and report.required_by_area is None


def test_simulation_usage_matches_the_administered_items() -> None:
    pool = _a2_pool(np.round(np.arange(-3.5, 3.5001, 0.1), 2))
    subtest = _fixed_length(pool, items=4)
    rng = np.random.default_rng(9)
    truth = rng.uniform(-3, 3, 240)
    sim = simulate_subtest(subtest, truth, rng)
    report = build_report(subtest, sim, threshold=0.5, target=0.3)
    given = np.zeros((truth.size, pool.size), dtype=bool)
    for row, items in enumerate(sim.items):
        given[row, items[items >= 0]] = True
    assert report.never_used.tolist() == np.flatnonzero(~given.any(axis=0)).tolist()
    band = np.searchsorted([-2.0, -1.0, 0.0, 1.0, 2.0], truth, side="left")
    over = set()
    for k, usage in enumerate(report.bands):
        rates = given[band == k].mean(axis=0)
        np.testing.assert_allclose(usage.rates, rates)
        # The exposure rates of a band add up to its mean test length.
        assert usage.rates.sum() == pytest.approx(usage.mean_length) and usage.mean_length == 4.0
        assert usage.items_used == int(np.sum(rates > 0)) >= math.ceil(4.0 / usage.max_exposure - 1e-9)
        over |= set(np.flatnonzero(rates > 0.3).tolist())
    assert set(report.overexposed.tolist()) == over and len(over) > 0
    peaks = report.band_max[report.overexposed]
    assert np.all(np.diff(peaks) <= 0)  # most exposed first


def test_per_area_requirements_follow_the_blueprint(tmp_path: Path) -> None:
    b = np.round(np.arange(-3.5, 1.0001, 0.05), 2)
    pool_dict = make_pool_dict(
        items=[make_item(f"i{n:03d}", model="2PL", a=2.0, b=float(v), area="AB"[n % 2]) for n, v in enumerate(b)]
    )
    sub = subtest_dict(
        "s", "p.json", max_items=6, min_items=6, se_target=None, blueprint={"A": {"target": 0.5}, "B": {"target": 0.5}}
    )
    subtest = load(tmp_path, battery_dict([sub]), pools={"p.json": pool_dict}).subtests[0]
    report = _report(subtest, n=240, threshold=0.5)
    assert report.required_by_area is not None
    inside = (report.profile.theta >= -3) & (report.profile.theta <= 3)
    np.testing.assert_allclose(report.required_by_area[:, inside], 6 * 0.5 / 0.25)  # 12 per area
    top = [r for r in report.thin_by_area if r.theta_high == 3.0]
    assert [r.area for r in top] == ["A", "B"]
    assert all(r.shortfall == 12 for r in top)
    assert report.settings()["blueprint"] == {"A": 0.5, "B": 0.5}


def test_report_json_round_trips() -> None:
    report = _report(_fixed_length(_a2_pool(np.round(np.arange(-3.5, 1.0001, 0.1), 2))), n=120, threshold=0.5)
    data = report.to_dict()
    assert orjson.loads(orjson.dumps(data)) == data
    assert [row["theta"] for row in data["grid"]] == [x / 2 for x in range(-8, 9)]
    row = data["grid"][12]  # theta 2.0
    assert (row["theta"], row["depth"], row["required"]) == (2.0, 0, 20.0)
    assert data["grid"][0]["required"] is None  # theta -4: no examinee there
    assert data["thin"][0]["theta_high"] == 3.0 and data["thin"][0]["add"][0]["count"] > 0
    assert data["info_threshold"] == 0.5 and data["info_threshold_default"] is False
    assert len(data["items"]) == report.pool.size
    assert data["exposure_parameters"] == [
        {"low": None, "high": None, "items_controlled": 0, "min_k": 1.0, "median_k": 1.0}
    ]


def test_bad_report_arguments_raise() -> None:
    subtest = _fixed_length(_a2_pool(np.zeros(6)))
    rng = np.random.default_rng(0)
    sim = simulate_subtest(subtest, rng.uniform(-3, 3, 10), rng)
    with pytest.raises(ValueError, match="target"):
        build_report(subtest, sim, target=1.0)
    with pytest.raises(ValueError, match="threshold"):
        build_report(subtest, sim, threshold=0.0)


def test_typical_item_params_are_located_at_zero() -> None:
    typical = typical_item(_a2_pool(np.array([1.0, 2.0, 3.0])), threshold=0.5)
    assert isinstance(typical.params, ItemParams)
    assert typical.params.b.tolist() == [0.0] and typical.peak_offset == pytest.approx(0.0, abs=0.011)
