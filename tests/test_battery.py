"""Battery config loading and validation, levels, scaled scores and the one-examinee adaptive step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import battery_dict, load, make_item, make_pool_dict, subtest_dict, write_battery, write_pool

from cat_engine.battery import ReportingScale, load_battery
from cat_engine.errors import BatteryConfigError, ConfigError, PoolValidationError
from cat_engine.estimation import estimate
from cat_engine.irt import information
from cat_engine.pool import Pool
from cat_engine.stopping import StopReason

# --- a valid battery ---------------------------------------------------------------------------------------------


def _full_battery() -> dict[str, Any]:
    return battery_dict(
        subtests=[
            subtest_dict(
                "lit",
                "lit_pool.json",
                max_items=30,
                min_items=5,
                se_target=0.25,
                time_limit_s=1200,
                estimator={"method": "map", "prior_mean": 0.1, "prior_sd": 1.2, "theta_min": -5.0, "theta_max": 5.0},
                selection={
                    "method": "max_info",
                    "randomesque": 3,
                    "first_item_randomesque": 7,
                    "start_theta": -0.5,
                    "exposure_control": "sympson_hetter",
                },
                blueprint={"A": {"target": 0.6, "min": 2, "max": 20}, "B": {"target": 0.4, "min": 1}},
            ),
            subtest_dict("num", "num_pool.json", max_items=12, se_target=None, time_limit_s=None),
        ],
        reporting={"scale_mean": 50, "scale_sd": 10, "scale_min": 20, "scale_max": 80},
    )


def test_load_valid_battery(tmp_path: Path) -> None:
    data = _full_battery()
    data["subtests"][1]["stopping"]["classification_cuts"] = [-0.5, 0.5]
    data["subtests"][1]["stopping"]["classification_z"] = 1.5
    path = write_battery(tmp_path, data)
    battery = load_battery(path)
    assert (battery.id, battery.version, battery.name) == ("test-battery", "2026.1", "Test battery")
    assert battery.source == str(path)
    assert battery.show_profile_to_candidate is True
    assert battery.reporting == ReportingScale(50.0, 10.0, 20.0, 80.0)
    lit, num = battery.subtests
    assert (lit.id, lit.name, lit.pool.pool_id) == ("lit", "Subtest lit", "lit_pool")
    assert lit.pool.source == str(tmp_path / "lit_pool.json")
    assert lit.level_cuts == (-1.5, -0.5, 0.5, 1.5)
    assert lit.time_limit_s == 1200.0
    assert lit.estimator.method == "map"
    assert (lit.estimator.prior_mean, lit.estimator.prior_sd) == (0.1, 1.2)
    assert (lit.estimator.theta_min, lit.estimator.theta_max) == (-5.0, 5.0)
    assert (lit.selection.randomesque, lit.selection.first_item_randomesque) == (3, 7)
    assert lit.selection.start_theta == -0.5
    assert lit.selection.exposure_control == "sympson_hetter"
    assert (lit.stopping.se_target, lit.stopping.min_items, lit.stopping.max_items) == (0.25, 5, 30)
    assert lit.blueprint is not None
    assert lit.blueprint.target.tolist() == [0.6, 0.4]
    assert lit.blueprint.minimum.tolist() == [2, 1]
    assert lit.blueprint.maximum.tolist() == [20, 10**6]
    assert num.time_limit_s is None
    assert num.blueprint is None
    assert num.stopping.se_target is None
    assert num.stopping.classification_cuts == (-0.5, 0.5)
    assert num.stopping.classification_z == 1.5
    assert num.estimator.method == "eap"


def test_defaults_when_sections_are_omitted(tmp_path: Path) -> None:
    sub = {"id": "s", "name": "S", "pool": "s.json", "level_cuts": [-1, 0, 1, 2], "stopping": {"max_items": 15}}
    data = {"format_version": 1, "id": "b", "version": "1", "name": "B", "subtests": [sub]}
    battery = load(tmp_path, data)
    assert battery.reporting == ReportingScale()
    assert battery.show_profile_to_candidate is False
    (s,) = battery.subtests
    assert s.level_cuts == (-1.0, 0.0, 1.0, 2.0)
    assert s.estimator.method == "eap"
    assert (s.selection.randomesque, s.selection.first_item_randomesque) == (1, 10)
    assert s.selection.exposure_control == "none"
    assert (s.stopping.min_items, s.stopping.max_items, s.stopping.se_target) == (1, 15, None)
    assert s.time_limit_s is None
    assert s.blueprint is None


# --- levels and scaled scores ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("theta", "level"),
    [
        (-10.0, 1),
        (-1.5 - 1e-9, 1),
        (-1.5, 2),
        (-1.5 + 1e-9, 2),
        (-0.5 - 1e-9, 2),
        (-0.5, 3),
        (0.0, 3),
        (0.5 - 1e-9, 3),
        (0.5, 4),
        (1.5 - 1e-9, 4),
        (1.5, 5),
        (10.0, 5),
    ],
)
def test_level_at_and_around_cuts(tmp_path: Path, theta: float, level: int) -> None:
    battery = load(tmp_path, battery_dict(subtests=[subtest_dict("s1")]))
    assert battery.subtests[0].level(theta) == level


@pytest.mark.parametrize(
    ("theta", "score"),
    [
        (0.0, 500),
        (0.004, 500),
        (-0.004, 500),
        (0.006, 501),
        (-0.006, 499),
        (1.234, 623),
        (-1.236, 376),
        (4.0, 900),
        (4.2, 900),
        (-4.0, 100),
        (-7.5, 100),
    ],
)
def test_scaled_score_rounding_and_clipping(theta: float, score: int) -> None:
    scaled = ReportingScale().scaled(theta)
    assert isinstance(scaled, int)
    assert scaled == score


def test_battery_result_uses_reporting_scale_and_levels(tmp_path: Path) -> None:
    battery = load(tmp_path, _full_battery())
    row = battery.result(0, 1.5, 0.25, 12, 300.5, StopReason.SE_TARGET)
    assert row.level == 5
    assert row.scaled_score == 65  # 50 + 10 * 1.5
    assert (row.subtest_id, row.name, row.n_items) == ("lit", "Subtest lit", 12)
    assert row.stop_reason == "se_target"
    assert (row.pool_id, row.pool_version) == ("lit_pool", "1.0")
    assert battery.result(1, 9.0, 0.2, 3, 1.0, StopReason.MAX_ITEMS).scaled_score == 80
    assert battery.result(1, -9.0, 0.2, 3, 1.0, StopReason.MAX_ITEMS).scaled_score == 20
    d = row.to_dict()
    assert d["stop_reason"] == "se_target" and d["level"] == 5 and d["time_used_s"] == 300.5


# --- validation errors -------------------------------------------------------------------------------------------

Mutator = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutator:
    """Set a dotted path inside the first subtest (``top:`` prefix for the top level)."""

    def mutate(data: dict[str, Any]) -> None:
        if path.startswith("top:"):
            target, keys = data, path[4:].split(".")
        else:
            target, keys = data["subtests"][0], path.split(".")
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value

    return mutate


def _delete(path: str) -> Mutator:
    def mutate(data: dict[str, Any]) -> None:
        target = data["subtests"][0]
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return mutate


def _rename(section: str, old: str, new: str) -> Mutator:
    def mutate(data: dict[str, Any]) -> None:
        table = data["subtests"][0][section]
        table[new] = table.pop(old)

    return mutate


def _blueprint(spec: dict[str, Any]) -> Mutator:
    return _set("blueprint", spec)


def _duplicate_ids(data: dict[str, Any]) -> None:
    data["subtests"][1]["id"] = data["subtests"][0]["id"]


CASES: list[tuple[str, Mutator, str | None, str]] = [
    ("unknown top-level key", _set("top:colour", "blue"), None, "colour"),
    ("unknown reporting key", _set("top:reporting.scale_mena", 1), None, "reporting.scale_mena"),
    ("wrong format_version", _set("top:format_version", 2), None, "format_version"),
    ("empty battery id", _set("top:id", ""), None, "id"),
    ("unknown subtest key", _set("time_limit", 60), "s1", "time_limit"),
    ("unknown stopping key", _rename("stopping", "max_items", "max_item"), "s1", "stopping.max_item"),
    ("unknown estimator key", _set("estimator.methd", "eap"), "s1", "estimator.methd"),
    ("unknown selection key", _set("selection.randomesk", 3), "s1", "selection.randomesk"),
    ("missing max_items", _delete("stopping.max_items"), "s1", "stopping.max_items"),
    ("missing stopping", _delete("stopping"), "s1", "stopping"),
    ("three level cuts", _set("level_cuts", [-1.0, 0.0, 1.0]), "s1", "level_cuts"),
    ("five level cuts", _set("level_cuts", [-2.0, -1.0, 0.0, 1.0, 2.0]), "s1", "level_cuts"),
    ("unordered level cuts", _set("level_cuts", [-1.0, 1.0, 0.0, 2.0]), "s1", "level_cuts"),
    ("tied level cuts", _set("level_cuts", [-1.0, 0.0, 0.0, 2.0]), "s1", "level_cuts"),
    ("unknown estimator", _set("estimator.method", "bayes"), "s1", "estimator.method"),
    ("unknown final estimator", _set("estimator.final", "ml"), "s1", "estimator.final"),
    ("exposure_control typo", _set("selection.exposure_control", "sympson-hetter"), "s1", "selection.exposure_control"),
    ("selection method", _set("selection.method", "urry"), "s1", "selection.method"),
    ("randomesque zero", _set("selection.randomesque", 0), "s1", "selection"),
    ("negative time limit", _set("time_limit_s", -5), "s1", "time_limit_s"),
    ("min above max items", _set("stopping.min_items", 11), "s1", "stopping"),
    ("blueprint area not in pool", _blueprint({"A": {"target": 0.5}, "Z": {"target": 0.5}}), "s1", "blueprint.Z"),
    ("blueprint targets sum", _blueprint({"A": {"target": 0.5}, "B": {"target": 0.4}}), "s1", "blueprint"),
    (
        "blueprint min > max",
        _blueprint({"A": {"target": 0.5, "min": 5, "max": 3}, "B": {"target": 0.5}}),
        "s1",
        "blueprint.A",
    ),
    (
        "blueprint minimums exceed max_items",
        _blueprint({"A": {"target": 0.5, "min": 6}, "B": {"target": 0.5, "min": 5}}),
        "s1",
        "blueprint",
    ),
    (
        "blueprint unknown area key",
        _blueprint({"A": {"target": 0.5, "minimum": 1}, "B": {"target": 0.5}}),
        "s1",
        "blueprint.A.minimum",
    ),
    ("duplicate subtest ids", _duplicate_ids, "s1", "id"),
]


@pytest.mark.parametrize(("mutate", "subtest", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_battery_config_errors(tmp_path: Path, mutate: Mutator, subtest: str | None, field: str) -> None:
    data = battery_dict()  # subtests s1 and s2, max_items 10
    mutate(data)
    path = write_battery(tmp_path, data)
    with pytest.raises(BatteryConfigError) as info:
        load_battery(path)
    err = info.value
    assert (err.source, err.subtest_id, err.field) == (str(path), subtest, field)
    assert err.code == "bad_battery"
    assert isinstance(err, ConfigError)
    assert str(path) in str(err) and field in str(err)
    assert err.problem


def test_error_in_second_subtest_names_it(tmp_path: Path) -> None:
    data = battery_dict()
    data["subtests"][1]["stopping"]["max_item"] = 3
    path = write_battery(tmp_path, data)
    with pytest.raises(BatteryConfigError) as info:
        load_battery(path)
    assert (info.value.subtest_id, info.value.field) == ("s2", "stopping.max_item")


def test_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('format_version = 1\nid = "unterminated\n', encoding="utf-8")
    with pytest.raises(BatteryConfigError) as info:
        load_battery(path)
    assert (info.value.source, info.value.subtest_id, info.value.field) == (str(path), None, "<file>")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(BatteryConfigError) as info:
        load_battery(path)
    assert (info.value.source, info.value.subtest_id, info.value.field) == (str(path), None, "<file>")


def test_invalid_pool_raises_pool_error_naming_the_pool_file(tmp_path: Path) -> None:
    pool = make_pool_dict(10, pool_id="s1")
    pool["items"][3]["params"]["a"] = -1.0
    path = write_battery(tmp_path, battery_dict(), pools={"s1.json": pool})
    with pytest.raises(PoolValidationError) as info:
        load_battery(path)
    err = info.value
    assert err.source == str(tmp_path / "s1.json")
    assert (err.item_id, err.field) == ("s1-0003", "params.a")


def test_missing_pool_file(tmp_path: Path) -> None:
    data = battery_dict()
    path = write_battery(tmp_path, data)
    (tmp_path / "s2.json").unlink()
    with pytest.raises(PoolValidationError) as info:
        load_battery(path)
    assert info.value.source == str(tmp_path / "s2.json")
    assert info.value.field == "<file>"


def test_pool_not_json(tmp_path: Path) -> None:
    (tmp_path / "s1.json").write_text("{not json", encoding="utf-8")
    path = write_battery(tmp_path, battery_dict())
    with pytest.raises(PoolValidationError) as info:
        load_battery(path)
    assert info.value.source == str(tmp_path / "s1.json")


def test_blueprint_minimum_above_items_in_area(tmp_path: Path) -> None:
    items = [make_item(f"x{i}", area="A" if i < 8 else "B") for i in range(10)]
    data = battery_dict(subtests=[subtest_dict("s1", max_items=10)])
    data["subtests"][0]["blueprint"] = {"A": {"target": 0.5, "min": 1}, "B": {"target": 0.5, "min": 3}}
    path = write_battery(tmp_path, data, pools={"s1.json": make_pool_dict(items=items)})
    with pytest.raises(BatteryConfigError) as info:
        load_battery(path)
    assert (info.value.subtest_id, info.value.field) == ("s1", "blueprint.B")


# --- Subtest.step ------------------------------------------------------------------------------------------------

KEY = (0, 0)  # seed key of Subtest.step: e.g. (session seed, subtest index)


def _step_battery(tmp_path: Path, **stopping: Any) -> Any:
    items = [make_item(f"e{i}", a=1.0 + 0.05 * i, b=0.1 * (i % 7) - 0.3, c=0.1, key=i % 4) for i in range(12)]
    items[11]["enemies"] = ["e10"]
    sub = subtest_dict("s1", max_items=stopping.pop("max_items", 8), **stopping)
    sub["selection"] = {"randomesque": 1, "first_item_randomesque": 1}
    return load(tmp_path, battery_dict(subtests=[sub]), pools={"s1.json": make_pool_dict(items=items, areas=("A",))})


def test_step_first_item_is_most_informative_at_start_theta(tmp_path: Path) -> None:
    sub = _step_battery(tmp_path).subtests[0]
    result = sub.step([], [], KEY)
    assert result.stop_reason is StopReason.CONTINUE
    assert result.theta == pytest.approx(0.0, abs=1e-9)  # EAP with no responses: the prior mean
    assert result.se == pytest.approx(1.0, abs=1e-3)
    info = information(np.array([[0.0]]), sub.pool.params)[0]
    assert result.next_item == int(np.argmax(info))


def test_step_returns_valid_next_items_and_avoids_enemies(tmp_path: Path) -> None:
    sub = _step_battery(tmp_path, max_items=12, se_target=None, min_items=1).subtests[0]
    items: list[int] = []
    categories: list[int] = []
    key = (3, 0)
    while True:
        result = sub.step(items, categories, key)
        if result.stop_reason is not StopReason.CONTINUE:
            break
        assert 0 <= result.next_item < sub.pool.size
        assert result.next_item not in items
        assert not any(sub.pool.enemy_matrix[result.next_item, i] for i in items)
        items.append(result.next_item)
        categories.append(len(items) % 2)
    assert result.next_item == -1
    assert result.stop_reason is StopReason.POOL_EXHAUSTED  # 12 items with one enemy pair: 11 can be given
    assert len(items) == 11
    assert np.isfinite(result.theta) and np.isfinite(result.se)


def test_step_stops_at_max_items(tmp_path: Path) -> None:
    sub = _step_battery(tmp_path, max_items=3, se_target=None).subtests[0]
    assert sub.step([0, 1], [1, 0], KEY).stop_reason is StopReason.CONTINUE
    result = sub.step([0, 1, 2], [1, 0, 1], KEY)
    assert (result.stop_reason, result.next_item) == (StopReason.MAX_ITEMS, -1)


def test_step_se_target_waits_for_min_items(tmp_path: Path) -> None:
    sub = _step_battery(tmp_path, max_items=8, se_target=0.99, min_items=2).subtests[0]
    one = sub.step([0], [1], KEY)
    assert one.se <= 0.99
    assert one.stop_reason is StopReason.CONTINUE
    two = sub.step([0, 1], [1, 0], KEY)
    assert (two.stop_reason, two.next_item) == (StopReason.SE_TARGET, -1)


def test_step_time_up(tmp_path: Path) -> None:
    sub = _step_battery(tmp_path).subtests[0]
    assert sub.step([0], [1], KEY, time_up=True).stop_reason is StopReason.TIME_UP
    assert sub.step([], [], KEY, time_up=True).stop_reason is StopReason.TIME_UP


def test_step_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    battery = load(tmp_path, battery_dict(subtests=[subtest_dict("s1", selection={"first_item_randomesque": 10})]))
    sub = battery.subtests[0]
    firsts = {sub.step([], [], (s, 0)).next_item for s in range(40)}
    assert len(firsts) > 3
    for s in range(5):
        a = sub.step([], [], (s, 0)).next_item
        assert a == sub.step([], [], (s, 0)).next_item


def test_step_with_sympson_hetter(tmp_path: Path) -> None:
    pool = make_pool_dict(30, seed=4, pool_id="s1")
    params = Pool.from_dict(pool).params
    best = int(np.argmax(information(np.array([[0.0]]), params)[0]))
    pool["items"][best]["exposure_k"] = 0.0001
    sub = subtest_dict("s1", selection={"first_item_randomesque": 1, "exposure_control": "sympson_hetter"})
    battery = load(tmp_path, battery_dict(subtests=[sub]), pools={"s1.json": pool})
    step = battery.subtests[0].step
    firsts = [step([], [], (seed, 0)).next_item for seed in range(60)]
    assert firsts.count(best) <= 1
    assert firsts == [step([], [], (seed, 0)).next_item for seed in range(60)]  # a pure function of the key
    battery.subtests[0]._lotteries.clear()  # the kept lotteries are a cache: drawn again, the same items
    assert firsts == [step([], [], (seed, 0)).next_item for seed in range(60)]


def test_step_respects_blueprint(tmp_path: Path) -> None:
    data = battery_dict(subtests=[subtest_dict("s1", max_items=10, se_target=None)])
    data["subtests"][0]["blueprint"] = {"A": {"target": 0.5, "min": 5}, "B": {"target": 0.5, "min": 5}}
    sub = load(tmp_path, data).subtests[0]
    items: list[int] = []
    while (result := sub.step(items, [i % 2 for i in range(len(items))], KEY)).stop_reason is StopReason.CONTINUE:
        items.append(result.next_item)
    assert result.stop_reason is StopReason.MAX_ITEMS
    areas = np.bincount(sub.pool.area_index[items], minlength=2)
    assert areas.tolist() == [5, 5]


def test_pool_written_by_write_pool_roundtrips(tmp_path: Path) -> None:
    data = make_pool_dict(5)
    write_pool(tmp_path / "p.json", data)
    battery = load(tmp_path, battery_dict(subtests=[subtest_dict("s1", pool="p.json")]))
    assert battery.subtests[0].pool.to_dict()["items"] == data["items"]


def test_final_estimate_is_the_final_method_unless_it_does_not_exist(tmp_path: Path) -> None:
    """``final = "wle"``: the reported estimate is the WLE of the record (not the EAP that steered the test), and
    the interim estimate where the final estimate is pinned at a bound of the range or nothing was answered."""
    items = [make_item(f"i{j}", a=1.3, b=b, c=0.25) for j, b in enumerate((-1.0, -0.5, 0.0, 0.5, 1.0, 1.5))]
    sub_data = subtest_dict("s1", max_items=6, estimator={"method": "eap", "final": "wle"})
    pools = {"s1.json": make_pool_dict(items=items, areas=("A",))}
    sub = load(tmp_path, battery_dict(subtests=[sub_data]), pools=pools).subtests[0]
    assert sub.estimator.final == "wle"
    given, cats = [0, 1, 2, 3, 4], [1, 1, 0, 1, 0]
    interim = estimate(sub.estimator, sub.pool.params, given, cats)
    wle = estimate(replace(sub.estimator, method="wle"), sub.pool.params, given, cats)
    assert abs(wle[0] - interim[0]) > 0.01  # the two methods differ here, so the check below can fail
    assert sub.final_estimate(given, cats, interim) == wle
    assert sub.final_estimate([], [], (0.0, 1.0)) == (0.0, 1.0)
    # every answer wrong: a final MLE has no maximum and is pinned to the bound of the range
    mle_final = replace(sub, estimator=replace(sub.estimator, final="mle"))
    wrong = [0, 0, 0, 0, 0]
    pinned = estimate(replace(sub.estimator, method="mle"), sub.pool.params, given, wrong)
    assert pinned[0] <= sub.estimator.theta_min + 1e-6
    eap = estimate(sub.estimator, sub.pool.params, given, wrong)
    assert mle_final.final_estimate(given, wrong, eap) == eap
    mixed = estimate(replace(sub.estimator, method="mle"), sub.pool.params, given, cats)
    assert mle_final.final_estimate(given, cats, interim) == mixed  # where it exists, it is reported


def test_integrity_table_sets_its_fields_and_keeps_the_defaults(tmp_path: Path) -> None:
    battery = load(tmp_path, battery_dict(integrity={"ability_correlation": 0.7, "alpha_rapid": 0.001, "min_rapid": 8}))
    config = battery.integrity
    assert (config.ability_correlation, config.alpha_rapid, config.min_rapid) == (0.7, 0.001, 8)
    assert config.alpha_preknowledge == type(config)().alpha_preknowledge
    plain = tmp_path / "plain"
    plain.mkdir()
    assert load(plain, battery_dict()).integrity == type(config)()


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ({"ability_corelation": 0.7}, "integrity.ability_corelation"),
        ({"ability_correlation": 1.5}, "integrity"),
        ({"ability_correlation": "high"}, "integrity.ability_correlation"),
        ({"min_rapid": 2.5}, "integrity.min_rapid"),
        ({"alpha_misfit": -0.1}, "integrity"),
    ],
)
def test_integrity_table_errors_name_the_field(tmp_path: Path, table: dict[str, Any], field: str) -> None:
    path = write_battery(tmp_path, battery_dict(integrity=table))
    with pytest.raises(BatteryConfigError) as info:
        load_battery(path)
    assert (info.value.subtest_id, info.value.field) == (None, field)
