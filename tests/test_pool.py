"""Tests of the pool format: loading, scoring, round trips and one test per validation error."""

import copy
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cat_engine.errors import CandidateError, PoolValidationError, ResponseOutOfRange
from cat_engine.irt import DICHOTOMOUS, GPCM, GRM
from cat_engine.pool import FORMAT_VERSION, Pool, load_pool, save_pool

SOURCE = "pools/test-pool.json"


def make_pool_dict() -> dict[str, Any]:
    """A minimal valid pool: one item of every model, one enemy pair, one exposure parameter."""
    return {
        "format_version": 1,
        "pool_id": "test-pool",
        "pool_version": "2026.1-test",
        "name": "Test Pool",
        "calibration": {"note": "synthetic test parameters", "synthetic": True},
        "theta_scale": {"mean": 0.0, "sd": 1.0, "D": 1.0},
        "content_areas": ["Alpha", "Beta"],
        "items": [
            {
                "id": "D1",
                "model": "1PL",
                "params": {"b": -0.5},
                "content_area": "Alpha",
                "stem": "one",
                "options": ["w", "x", "y"],
                "key": 0,
            },
            {
                "id": "D2",
                "model": "2PL",
                "params": {"a": 1.1, "b": 0.2},
                "content_area": "Beta",
                "stem": "two",
                "options": ["w", "x"],
                "key": 1,
                "enemies": ["D3"],
            },
            {
                "id": "D3",
                "model": "3PL",
                "params": {"a": 1.3, "b": 0.4, "c": 0.2},
                "content_area": "Alpha",
                "stem": "three",
                "options": ["w", "x", "y", "z"],
                "key": 2,
                "exposure_k": 0.75,
            },
            {
                "id": "D4",
                "model": "4PL",
                "params": {"a": 0.9, "b": -1.0, "c": 0.1, "d": 0.95},
                "content_area": "Beta",
                "stem": "four",
                "options": ["w", "x", "y", "z"],
                "key": 3,
            },
            {
                "id": "P1",
                "model": "GPCM",
                "params": {"a": 0.9, "b": [-1.6, -0.7, 0.2, 1.1]},
                "content_area": "Alpha",
                "stem": "five",
                "options": ["o1", "o2", "o3", "o4", "o5"],
                "option_weights": [3, 1, 5, 2, 4],
            },
            {
                "id": "P2",
                "model": "GRM",
                "params": {"a": 1.4, "b": [-1.0, 0.0, 1.0]},
                "content_area": "Beta",
                "stem": "six",
                "options": ["o1", "o2", "o3", "o4"],
                "option_weights": [0, 1, 2, 3],
            },
        ],
    }


def item_of(data: dict[str, Any], item_id: str) -> dict[str, Any]:
    return next(it for it in data["items"] if it["id"] == item_id)


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


# --- loading ----------------------------------------------------------------------------------------------------


def test_minimal_pool_loads() -> None:
    pool = Pool.from_dict(make_pool_dict(), source=SOURCE)
    assert pool.size == 6
    assert pool.source == SOURCE
    assert pool.pool_id == "test-pool"
    assert pool.content_areas == ("Alpha", "Beta")
    assert [it.id for it in pool.items] == ["D1", "D2", "D3", "D4", "P1", "P2"]
    assert pool.index_of("P1") == 4
    with pytest.raises(KeyError):
        pool.index_of("nope")
    params = pool.params
    np.testing.assert_array_equal(params.model, [DICHOTOMOUS] * 4 + [GPCM, GRM])
    np.testing.assert_allclose(params.a, [1.0, 1.1, 1.3, 0.9, 0.9, 1.4])
    np.testing.assert_allclose(params.b[:4], [-0.5, 0.2, 0.4, -1.0])
    np.testing.assert_allclose(params.b[4:], [float(np.mean([-1.6, -0.7, 0.2, 1.1])), 0.0])
    np.testing.assert_allclose(params.c, [0, 0, 0.2, 0.1, 0, 0])
    np.testing.assert_allclose(params.d, [1, 1, 1, 0.95, 1, 1])
    np.testing.assert_array_equal(params.n_categories, [2, 2, 2, 2, 5, 4])
    np.testing.assert_allclose(params.steps[4], [-1.6, -0.7, 0.2, 1.1])
    np.testing.assert_allclose(params.steps[5, :3], [-1.0, 0.0, 1.0])
    assert np.isnan(params.steps[5, 3]) and np.all(np.isnan(params.steps[:4]))
    assert params.D == 1.0
    np.testing.assert_array_equal(pool.area_index, [0, 1, 0, 1, 0, 1])
    np.testing.assert_allclose(pool.exposure_k, [[1, 1, 0.75, 1, 1, 1]])  # one stratum: unconditional
    assert pool.exposure_strata == ()
    # options are shuffled per candidate by default on one-key items only
    assert [it.shuffle_options for it in pool.items] == [True] * 4 + [False, False]
    assert pool.n_options(4) == 5


def test_theta_scale_d_reaches_params_and_defaults() -> None:
    data = make_pool_dict()
    data["theta_scale"] = {"D": 1.702}
    pool = Pool.from_dict(data)
    assert pool.params.D == 1.702
    assert pool.theta_scale == {"mean": 0.0, "sd": 1.0, "D": 1.702}
    del data["theta_scale"]
    assert Pool.from_dict(data).params.D == 1.0


def test_arrays_are_read_only() -> None:
    pool = Pool.from_dict(make_pool_dict())
    with pytest.raises(ValueError):
        pool.enemy_matrix[0, 1] = True
    with pytest.raises(ValueError):
        pool.scoring[0, 0] = 5


# --- scoring ----------------------------------------------------------------------------------------------------


def test_score_by_key() -> None:
    pool = Pool.from_dict(make_pool_dict())
    i = pool.index_of("D3")  # key 2 of 4 options
    assert [pool.score(i, r) for r in range(4)] == [0, 0, 1, 0]
    i = pool.index_of("D1")  # key 0 of 3
    assert [pool.score(i, r) for r in range(3)] == [1, 0, 0]


def test_score_by_option_weights() -> None:
    pool = Pool.from_dict(make_pool_dict())
    i = pool.index_of("P1")  # weights [3, 1, 5, 2, 4]
    assert [pool.score(i, r) for r in range(5)] == [2, 0, 4, 1, 3]
    i = pool.index_of("P2")  # weights [0, 1, 2, 3]
    assert [pool.score(i, r) for r in range(4)] == [0, 1, 2, 3]
    np.testing.assert_array_equal(pool.scoring[pool.index_of("P2")], [0, 1, 2, 3, -1])


def test_score_with_weights_not_starting_at_zero_or_one() -> None:
    data = make_pool_dict()
    item_of(data, "P2")["option_weights"] = [-1, 1, 0, 2]
    pool = Pool.from_dict(data)
    i = pool.index_of("P2")
    assert [pool.score(i, r) for r in range(4)] == [0, 2, 1, 3]


@pytest.mark.parametrize("item_id", ["D1", "D3", "P1", "P2"])
@pytest.mark.parametrize("bad", [-1, "n_options", True, False, "1", 1.5, None, 1.0])
def test_score_rejects_non_option_responses(item_id: str, bad: Any) -> None:
    pool = Pool.from_dict(make_pool_dict())
    i = pool.index_of(item_id)
    response = pool.n_options(i) if bad == "n_options" else bad
    with pytest.raises(ResponseOutOfRange) as info:
        pool.score(i, response)
    assert isinstance(info.value, CandidateError)
    assert info.value.code == "bad_response"


# --- round trips ------------------------------------------------------------------------------------------------


def test_to_dict_from_dict_round_trip() -> None:
    data = make_pool_dict()
    pool = Pool.from_dict(copy.deepcopy(data), source=SOURCE)
    out = pool.to_dict()
    assert out == data
    again = Pool.from_dict(out, source=SOURCE)
    assert again.to_dict() == out
    for name in ("model", "a", "b", "c", "d", "n_categories"):
        np.testing.assert_array_equal(getattr(again.params, name), getattr(pool.params, name))
    np.testing.assert_array_equal(again.params.steps, pool.params.steps)
    np.testing.assert_array_equal(again.scoring, pool.scoring)
    np.testing.assert_array_equal(again.enemy_matrix, pool.enemy_matrix)
    np.testing.assert_array_equal(again.exposure_k, pool.exposure_k)


def test_from_dict_does_not_keep_references_to_the_input() -> None:
    data = make_pool_dict()
    pool = Pool.from_dict(data)
    data["items"][1]["params"]["a"] = 99.0
    data["calibration"]["note"] = "changed"
    assert pool.items[1].params["a"] == 1.1
    assert pool.calibration["note"] == "synthetic test parameters"


def test_save_pool_then_load_pool_round_trip(tmp_path: Path) -> None:
    pool = Pool.from_dict(make_pool_dict(), source=SOURCE)
    path = tmp_path / "saved.json"
    save_pool(pool, path)
    assert not (tmp_path / "saved.json.tmp").exists()
    loaded = load_pool(path)
    assert loaded.source == str(path)
    assert loaded.to_dict() == pool.to_dict()
    np.testing.assert_array_equal(loaded.params.steps, pool.params.steps)
    np.testing.assert_array_equal(loaded.scoring, pool.scoring)
    # the file is plain UTF-8 JSON in the documented format
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    assert on_disk["format_version"] == FORMAT_VERSION
    assert on_disk == make_pool_dict()


def test_save_pool_overwrites_and_keeps_unicode(tmp_path: Path) -> None:
    data = make_pool_dict()
    data["items"][0]["stem"] = "Apa yang sebaiknya Anda lakukan? — «ü»"
    path = tmp_path / "pool.json"
    path.write_text("old", encoding="utf-8")
    save_pool(Pool.from_dict(data), path)
    assert load_pool(path).items[0].stem == data["items"][0]["stem"]


def test_with_exposure_k() -> None:
    pool = Pool.from_dict(make_pool_dict(), source=SOURCE)
    ks = [0.5, 1.0, 0.123456, 1.0, 0.9, 0.25]
    updated = pool.with_exposure_k(ks)
    assert updated is not pool
    assert updated.source == SOURCE
    np.testing.assert_array_equal(updated.exposure_k, [ks])  # stored exactly: to_dict is the inverse of from_dict
    np.testing.assert_allclose(pool.exposure_k, [[1, 1, 0.75, 1, 1, 1]])  # the original is untouched
    out = updated.to_dict()
    assert "exposure_k" not in item_of(out, "D2")  # k == 1 is the default and not written
    assert item_of(out, "D1")["exposure_k"] == 0.5
    assert item_of(out, "D3")["exposure_k"] == 0.123456
    assert [it.exposure_k for it in updated.items] == [(k,) for k in ks]
    np.testing.assert_array_equal(updated.enemy_matrix, pool.enemy_matrix)


def test_conditional_exposure_k_round_trips_and_finds_strata(tmp_path: Path) -> None:
    pool = Pool.from_dict(make_pool_dict(), source=SOURCE)
    ks = np.ones((3, pool.size))
    ks[:, 0] = [0.2, 0.5, 1.0]
    ks[:, 1] = 0.4  # the same in every stratum: written as one number
    updated = pool.with_exposure_k(ks, strata=[-1.0, 1.0])
    assert updated.exposure_strata == (-1.0, 1.0)
    np.testing.assert_array_equal(updated.exposure_k, ks)
    out = updated.to_dict()
    assert out["exposure_strata"] == [-1.0, 1.0]
    assert item_of(out, "D1")["exposure_k"] == [0.2, 0.5, 1.0]
    assert item_of(out, "D2")["exposure_k"] == 0.4
    assert "exposure_k" not in item_of(out, "D4")
    path = tmp_path / "pool.json"
    save_pool(updated, path)
    np.testing.assert_array_equal(load_pool(path).exposure_k, ks)
    # stratum s holds c_s < theta <= c_{s+1}
    assert [updated.stratum_of(t) for t in (-3.0, -1.0, -0.99, 1.0, 1.01)] == [0, 0, 1, 1, 2]
    assert updated.strata_of(np.array([-3.0, -1.0, -0.99, 1.0, 1.01])).tolist() == [0, 0, 1, 1, 2]
    # back to unconditional parameters: the strata go
    plain = updated.with_exposure_k(np.ones(pool.size))
    assert plain.exposure_strata == () and "exposure_strata" not in plain.to_dict()
    with pytest.raises(ValueError):
        pool.with_exposure_k(ks)  # three rows need two edges


@pytest.mark.parametrize(
    ("strata", "k", "field", "problem"),
    [
        ([1.0, -1.0], None, "exposure_strata", "increase"),
        ("low", None, "exposure_strata", "list"),
        ([-1.0, 1.0], [0.5, 0.5], "exposure_k", "2 values for the 3 strata"),
        ([-1.0, 1.0], [0.5, 0.0, 1.0], "exposure_k", "(0, 1]"),
        (None, [0.5, 0.5], "exposure_k", "2 values for the 1 strata"),
    ],
)
def test_bad_conditional_exposure(tmp_path: Path, strata: object, k: object, field: str, problem: str) -> None:
    data = make_pool_dict()
    if strata is not None:
        data["exposure_strata"] = strata
    if k is not None:
        item_of(data, "D3")["exposure_k"] = k
    error = expect_error(data, "D3" if field == "exposure_k" else None, field, tmp_path)
    assert problem in str(error)


def test_shuffle_options_field(tmp_path: Path) -> None:
    data = make_pool_dict()
    item_of(data, "D1")["shuffle_options"] = False  # e.g. options "all of the above" must stay last
    item_of(data, "P1")["shuffle_options"] = True
    pool = Pool.from_dict(data)
    assert pool.items[0].shuffle_options is False and pool.items[4].shuffle_options is True
    out = pool.to_dict()  # written only where it differs from the default
    assert item_of(out, "D1")["shuffle_options"] is False and item_of(out, "P1")["shuffle_options"] is True
    assert "shuffle_options" not in item_of(out, "D2")
    item_of(data, "D2")["shuffle_options"] = "yes"
    expect_error(data, "D2", "shuffle_options", tmp_path)


@pytest.mark.parametrize("bad", [0.0, 1.5, -0.2, math.nan])
def test_with_exposure_k_validates(bad: float) -> None:
    pool = Pool.from_dict(make_pool_dict(), source=SOURCE)
    with pytest.raises(PoolValidationError) as info:
        pool.with_exposure_k([bad, 1, 1, 1, 1, 1])
    assert info.value.item_id == "D1"
    assert info.value.field == "exposure_k"


def test_with_exposure_k_needs_one_value_per_item() -> None:
    pool = Pool.from_dict(make_pool_dict())
    with pytest.raises(ValueError):
        pool.with_exposure_k([0.5, 0.5])


def test_small_exposure_k_survives_save_and_load(tmp_path: Path) -> None:
    """A valid k below 0.00005 survives saving (it was once rounded to 4 decimals, written as 0.0 and then
    refused on loading: a pool that loaded could not be saved and loaded again)."""
    data = make_pool_dict()
    item_of(data, "D1")["exposure_k"] = 4e-5
    pool = Pool.from_dict(data, source=SOURCE)
    path = tmp_path / "pool.json"
    save_pool(pool, path)
    loaded = load_pool(path)
    assert loaded.exposure_k[0, 0] > 0


def test_with_small_exposure_k() -> None:
    """with_exposure_k keeps a valid k = 4e-5 (it once rounded before validating and refused it as 0.0)."""
    pool = Pool.from_dict(make_pool_dict())
    updated = pool.with_exposure_k([4e-5, 1, 1, 1, 1, 1])
    assert 0 < updated.exposure_k[0, 0] <= 1e-4


def test_enemies_are_symmetric() -> None:
    pool = Pool.from_dict(make_pool_dict())
    i, j = pool.index_of("D2"), pool.index_of("D3")
    assert pool.enemy_matrix[i, j] and pool.enemy_matrix[j, i]
    np.testing.assert_array_equal(pool.enemy_matrix, pool.enemy_matrix.T)
    assert pool.enemy_matrix.sum() == 2
    assert not pool.enemy_matrix.diagonal().any()
    assert pool.items[j].enemies == ()  # only D2 lists the relation; the matrix makes it symmetric


def test_enemies_listed_on_both_sides_or_twice() -> None:
    data = make_pool_dict()
    item_of(data, "D3")["enemies"] = ["D2", "P1", "P1"]
    pool = Pool.from_dict(data)
    m = pool.enemy_matrix
    np.testing.assert_array_equal(m, m.T)
    assert m.sum() == 4
    assert m[pool.index_of("P1"), pool.index_of("D3")]


# --- validation errors ------------------------------------------------------------------------------------------


def expect_error(
    data: dict[str, Any], item_id: str | None, field: str, tmp_path: Path | None = None, match: str | None = None
) -> PoolValidationError:
    """Assert the pool is rejected naming the item and field, via from_dict and (when given a dir) load_pool."""
    with pytest.raises(PoolValidationError) as info:
        Pool.from_dict(copy.deepcopy(data), source=SOURCE)
    err = info.value
    assert type(err) is PoolValidationError
    assert err.code == "bad_pool"
    assert err.source == SOURCE
    assert err.item_id == item_id
    assert err.field == field
    assert "test-pool.json" in str(err)
    if match is not None:
        assert match in err.problem
    if tmp_path is not None:
        path = write_json(tmp_path / "broken-pool.json", data)
        with pytest.raises(PoolValidationError) as info2:
            load_pool(path)
        assert info2.value.source == str(path)
        assert (info2.value.item_id, info2.value.field) == (item_id, field)
        assert "broken-pool.json" in str(info2.value)
    return err


def test_duplicate_ids(tmp_path: Path) -> None:
    data = make_pool_dict()
    item_of(data, "P2")["id"] = "D2"
    err = expect_error(data, "D2", "id", tmp_path)
    assert "duplicate" in err.problem


@pytest.mark.parametrize("a", [0, 0.0, -1.2])
def test_discrimination_not_positive(tmp_path: Path, a: float) -> None:
    data = make_pool_dict()
    item_of(data, "D2")["params"]["a"] = a
    expect_error(data, "D2", "params.a", tmp_path)


def test_discrimination_not_positive_polytomous(tmp_path: Path) -> None:
    data = make_pool_dict()
    item_of(data, "P1")["params"]["a"] = -0.5
    expect_error(data, "P1", "params.a", tmp_path)


@pytest.mark.parametrize("c", [-0.01, 1.2])
def test_c_outside_unit_interval(tmp_path: Path, c: float) -> None:
    data = make_pool_dict()
    item_of(data, "D3")["params"]["c"] = c
    expect_error(data, "D3", "params.c", tmp_path)


@pytest.mark.parametrize(("c", "d"), [(0.5, 0.5), (0.6, 0.4)])
def test_c_not_below_d(tmp_path: Path, c: float, d: float) -> None:
    data = make_pool_dict()
    item_of(data, "D4")["params"].update(c=c, d=d)
    expect_error(data, "D4", "params.c", tmp_path)


def test_3pl_c_of_one(tmp_path: Path) -> None:
    data = make_pool_dict()
    item_of(data, "D3")["params"]["c"] = 1.0
    expect_error(data, "D3", "params.c", tmp_path)


def test_d_above_one(tmp_path: Path) -> None:
    data = make_pool_dict()
    item_of(data, "D4")["params"]["d"] = 1.01
    expect_error(data, "D4", "params.d", tmp_path)


@pytest.mark.parametrize("thresholds", [[-1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
def test_unordered_grm_thresholds(tmp_path: Path, thresholds: list[float]) -> None:
    data = make_pool_dict()
    item_of(data, "P2")["params"]["b"] = thresholds
    expect_error(data, "P2", "params.b", tmp_path)


def test_unordered_gpcm_steps_are_allowed() -> None:
    data = make_pool_dict()
    item_of(data, "P1")["params"]["b"] = [1.1, -1.6, 0.2, -0.7]
    Pool.from_dict(data)


def test_option_count_not_matching_categories(tmp_path: Path) -> None:
    data = make_pool_dict()
    item = item_of(data, "P1")  # GPCM with 4 steps -> 5 categories, but only 4 options
    item["options"] = item["options"][:4]
    item["option_weights"] = [1, 2, 3, 4]
    err = expect_error(data, "P1", "options", tmp_path)
    assert "4 options" in err.problem


def test_missing_key(tmp_path: Path) -> None:
    data = make_pool_dict()
    del item_of(data, "D3")["key"]
    expect_error(data, "D3", "key", tmp_path, match="missing")


@pytest.mark.parametrize("key", [4, -1, 10])
def test_key_out_of_range(tmp_path: Path, key: int) -> None:
    data = make_pool_dict()
    item_of(data, "D3")["key"] = key  # 4 options
    expect_error(data, "D3", "key", tmp_path)


@pytest.mark.parametrize("key", [True, 1.0, "1"])
def test_key_not_an_integer(tmp_path: Path, key: object) -> None:
    data = make_pool_dict()
    item_of(data, "D3")["key"] = key
    expect_error(data, "D3", "key", tmp_path)


def test_key_on_polytomous_item(tmp_path: Path) -> None:
    data = make_pool_dict()
    item_of(data, "P2")["key"] = 1
    expect_error(data, "P2", "key", tmp_path)


def test_option_weights_on_dichotomous_item(tmp_path: Path) -> None:
    data = make_pool_dict()
    item_of(data, "D2")["option_weights"] = [0, 1]
    expect_error(data, "D2", "option_weights", tmp_path)


@pytest.mark.parametrize("weights", [[1, 2, 4, 5], [1, 1, 2, 3], [0, 2, 4, 6]])
def test_option_weights_not_consecutive(tmp_path: Path, weights: list[int]) -> None:
    data = make_pool_dict()
    item_of(data, "P2")["option_weights"] = weights
    expect_error(data, "P2", "option_weights", tmp_path)


@pytest.mark.parametrize("weights", [[0, 1, 2], [0, 1, 2, 3, 4], None])
def test_option_weights_wrong_length_or_missing(tmp_path: Path, weights: list[int] | None) -> None:
    data = make_pool_dict()
    if weights is None:
        del item_of(data, "P2")["option_weights"]
    else:
        item_of(data, "P2")["option_weights"] = weights
    expect_error(data, "P2", "option_weights", tmp_path)


def test_unknown_enemy(tmp_path: Path) -> None:
    data = make_pool_dict()
    item_of(data, "P1")["enemies"] = ["D1", "NOPE"]
    err = expect_error(data, "P1", "enemies", tmp_path)
    assert "NOPE" in err.problem


def test_self_enemy(tmp_path: Path) -> None:
    data = make_pool_dict()
    item_of(data, "D4")["enemies"] = ["D4"]
    expect_error(data, "D4", "enemies", tmp_path)


@pytest.mark.parametrize("model", ["5PL", "gpcm", "", None])
def test_unknown_model(tmp_path: Path, model: str | None) -> None:
    data = make_pool_dict()
    item_of(data, "D2")["model"] = model
    expect_error(data, "D2", "model", tmp_path)


@pytest.mark.parametrize("model", [["3PL"], {"name": "3PL"}])
def test_model_of_wrong_json_type(tmp_path: Path, model: object) -> None:
    """A list or object as the model names the item and field (it once escaped as TypeError: unhashable type)."""
    data = make_pool_dict()
    item_of(data, "D2")["model"] = model
    expect_error(data, "D2", "model", tmp_path)


def test_unknown_item_field(tmp_path: Path) -> None:
    data = make_pool_dict()
    item = item_of(data, "D2")
    item["contnet_area"] = item.pop("content_area")
    err = expect_error(data, "D2", "contnet_area", tmp_path)
    assert "unknown field" in err.problem


def test_unknown_top_level_field(tmp_path: Path) -> None:
    data = make_pool_dict()
    data["content_area"] = ["Alpha"]
    expect_error(data, None, "content_area", tmp_path)


def test_unknown_parameter(tmp_path: Path) -> None:
    data = make_pool_dict()
    item_of(data, "D2")["params"]["c"] = 0.1  # a 2PL has no c
    expect_error(data, "D2", "params.c", tmp_path)


def test_missing_parameter(tmp_path: Path) -> None:
    data = make_pool_dict()
    del item_of(data, "D4")["params"]["d"]
    expect_error(data, "D4", "params.d", tmp_path)


def test_content_area_not_declared(tmp_path: Path) -> None:
    data = make_pool_dict()
    item_of(data, "P1")["content_area"] = "Gamma"
    expect_error(data, "P1", "content_area", tmp_path)


@pytest.mark.parametrize(
    ("item_id", "field", "value"),
    [
        ("D2", "params.a", math.nan),
        ("D2", "params.b", math.inf),
        ("D3", "params.c", math.nan),
        ("D4", "params.d", -math.inf),
        ("P1", "params.b", [0.0, math.nan, 1.0, 2.0]),
        ("P2", "params.b", [-1.0, 0.0, math.inf]),
        ("P2", "params.a", math.inf),
    ],
)
def test_non_finite_parameter(item_id: str, field: str, value: float | list[float]) -> None:
    data = make_pool_dict()
    item_of(data, item_id)["params"][field.split(".")[1]] = value
    expect_error(data, item_id, field)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "1e400"])
def test_non_finite_number_in_a_file(tmp_path: Path, literal: str) -> None:
    path = tmp_path / "nan-pool.json"
    text = json.dumps(make_pool_dict()).replace('"b": -0.5', f'"b": {literal}')
    assert literal in text
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PoolValidationError) as info:
        load_pool(path)
    assert info.value.source == str(path)
    assert "nan-pool.json" in str(info.value)


@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_wrong_format_version(tmp_path: Path, version: object) -> None:
    data = make_pool_dict()
    data["format_version"] = version
    expect_error(data, None, "format_version", tmp_path)


def test_format_version_true_is_not_1(tmp_path: Path) -> None:
    """``true`` is not the format version 1 (``True == 1`` in Python once let it load)."""
    data = make_pool_dict()
    data["format_version"] = True
    expect_error(data, None, "format_version", tmp_path)


def test_missing_format_version(tmp_path: Path) -> None:
    data = make_pool_dict()
    del data["format_version"]
    expect_error(data, None, "format_version", tmp_path)


@pytest.mark.parametrize("items", [[], None, {}])
def test_empty_items(tmp_path: Path, items: object) -> None:
    data = make_pool_dict()
    data["items"] = items
    expect_error(data, None, "items", tmp_path)


@pytest.mark.parametrize("k", [0, 0.0, 1.5, -0.1, True])
def test_bad_exposure_k(tmp_path: Path, k: float) -> None:
    data = make_pool_dict()
    item_of(data, "D3")["exposure_k"] = k
    expect_error(data, "D3", "exposure_k", tmp_path)


def test_exposure_k_of_one_is_allowed() -> None:
    data = make_pool_dict()
    item_of(data, "D3")["exposure_k"] = 1
    assert Pool.from_dict(data).exposure_k[0, 2] == 1.0


@pytest.mark.parametrize("text", ["", "{", "{'format_version': 1}", '{"format_version": 1,}', "\xff\xfe"])
def test_invalid_json_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "invalid-pool.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(PoolValidationError) as info:
        load_pool(path)
    err = info.value
    assert err.source == str(path)
    assert err.item_id is None
    assert err.field == "<file>"
    assert "invalid-pool.json" in str(err)


def test_json_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "list-pool.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(PoolValidationError) as info:
        load_pool(path)
    assert (info.value.item_id, info.value.field) == (None, "<top>")
    assert "list-pool.json" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "no-such-pool.json"
    with pytest.raises(PoolValidationError) as info:
        load_pool(path)
    err = info.value
    assert err.source == str(path)
    assert err.item_id is None
    assert err.field == "<file>"
    assert "no-such-pool.json" in str(err)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(PoolValidationError) as info:
        load_pool(tmp_path)
    assert info.value.field == "<file>"


@pytest.mark.parametrize(
    ("field", "value"),
    [("pool_id", ""), ("pool_version", 3), ("name", None), ("calibration", {}), ("content_areas", [])],
)
def test_bad_top_level_fields(tmp_path: Path, field: str, value: object) -> None:
    data = make_pool_dict()
    data[field] = value
    err = expect_error(data, None, "calibration.note" if field == "calibration" else field, tmp_path)
    assert err.item_id is None


def test_duplicate_content_area(tmp_path: Path) -> None:
    data = make_pool_dict()
    data["content_areas"] = ["Alpha", "Beta", "Alpha"]
    expect_error(data, None, "content_areas", tmp_path)


@pytest.mark.parametrize("options", [["only"], [], ["a", ""], "ab"])
def test_bad_options(tmp_path: Path, options: list[str] | str) -> None:
    data = make_pool_dict()
    item_of(data, "D2")["options"] = options
    expect_error(data, "D2", "options", tmp_path)


def test_error_in_the_last_item_rejects_the_whole_file(tmp_path: Path) -> None:
    data = make_pool_dict()
    template = item_of(data, "D2")
    extra = []
    for n in range(200):
        item = copy.deepcopy(template)
        item["id"] = f"X{n:03d}"
        item.pop("enemies")
        extra.append(item)
    extra[-1]["params"]["a"] = -1.0
    data["items"].extend(extra)
    path = write_json(tmp_path / "deep-error-pool.json", data)
    result = None
    with pytest.raises(PoolValidationError) as info:
        result = load_pool(path)
    assert result is None  # nothing half-loads: no pool object is returned
    assert info.value.item_id == "X199"
    assert info.value.field == "params.a"
    assert "deep-error-pool.json" in str(info.value)
    # the same file without the error loads completely
    extra[-1]["params"]["a"] = 1.0
    assert load_pool(write_json(path, data)).size == 206


def test_unknown_enemy_in_the_last_item_rejects_the_whole_file(tmp_path: Path) -> None:
    data = make_pool_dict()
    data["items"][-1]["enemies"] = ["D1", "GHOST"]
    path = write_json(tmp_path / "enemy-pool.json", data)
    with pytest.raises(PoolValidationError) as info:
        load_pool(path)
    assert (info.value.item_id, info.value.field) == ("P2", "enemies")


# --- response-time parameters -------------------------------------------------------------------------------------


def timed_pool_dict() -> dict[str, Any]:
    """The minimal pool with time parameters on D1, D3 and P1 (the others untimed)."""
    data = make_pool_dict()
    item_of(data, "D1")["time"] = {"beta": 3.7, "alpha": 2.0}
    item_of(data, "D3")["time"] = {"beta": 4.1, "alpha": 1.5}
    item_of(data, "P1")["time"] = {"beta": 4.0, "alpha": 2.5}
    return data


def test_time_parameters_load_into_arrays() -> None:
    pool = Pool.from_dict(timed_pool_dict())
    np.testing.assert_array_equal(pool.timed, [True, False, True, False, True, False])
    np.testing.assert_array_equal(pool.time_beta[pool.timed], [3.7, 4.1, 4.0])
    np.testing.assert_array_equal(pool.time_alpha[pool.timed], [2.0, 1.5, 2.5])
    assert np.isnan(pool.time_beta[~pool.timed]).all() and np.isnan(pool.time_alpha[~pool.timed]).all()
    assert pool.items[2].time == (4.1, 1.5) and pool.items[1].time is None
    params = pool.time_params_of([4, 0])
    np.testing.assert_array_equal(params.beta, [4.0, 3.7])
    np.testing.assert_array_equal(params.alpha, [2.5, 2.0])
    with pytest.raises(ValueError, match="item D4 has no time parameters"):
        pool.time_params_of([0, 3, 5])
    with pytest.raises(ValueError):
        pool.time_beta[0] = 1.0  # read-only like the other arrays


def test_a_pool_without_time_parameters_is_all_untimed() -> None:
    pool = Pool.from_dict(make_pool_dict())
    assert not pool.timed.any() and np.isnan(pool.time_beta).all()
    assert all(it.time is None for it in pool.items)
    assert all("time" not in it for it in pool.to_dict()["items"])
    assert pool.time_params_of([]).beta.shape == (0,)


def test_time_parameters_round_trip(tmp_path: Path) -> None:
    data = timed_pool_dict()
    pool = Pool.from_dict(copy.deepcopy(data))
    assert pool.to_dict() == data
    path = tmp_path / "timed.json"
    save_pool(pool, path)
    assert json.loads(path.read_text(encoding="utf-8")) == data
    loaded = load_pool(path)
    np.testing.assert_array_equal(loaded.time_beta, pool.time_beta)
    np.testing.assert_array_equal(loaded.time_alpha, pool.time_alpha)
    # written last in the item, so a file that adds "time" at the end of each item is saved back byte for byte
    assert list(item_of(loaded.to_dict(), "D3"))[-1] == "time"


def test_with_time_params() -> None:
    pool = Pool.from_dict(timed_pool_dict(), source=SOURCE)
    record = {"method": "test", "responses": 10}
    updated = pool.with_time_params({"D2": (3.2, 1.8), "D3": (4.4, 1.6)}, "2026.1-test+rt1", record)
    assert updated.source == SOURCE and updated.pool_version == "2026.1-test+rt1"
    assert updated.calibration["response_time"] == record
    assert [it.time for it in updated.items] == [(3.7, 2.0), (3.2, 1.8), (4.4, 1.6), None, (4.0, 2.5), None]
    assert pool.items[1].time is None  # the original is untouched
    out, before = updated.to_dict(), pool.to_dict()
    for item in (*out["items"], *before["items"]):
        item.pop("time", None)
    out["calibration"].pop("response_time")
    out["pool_version"] = before["pool_version"]
    assert out == before  # nothing else changed
    with pytest.raises(ValueError, match="no item 'NOPE'"):
        pool.with_time_params({"NOPE": (3.0, 2.0)})
    with pytest.raises(PoolValidationError) as info:
        pool.with_time_params({"D2": (3.0, 0.0)})
    assert (info.value.item_id, info.value.field) == ("D2", "time.alpha")


@pytest.mark.parametrize(
    ("time", "field", "problem"),
    [
        ([3.7, 2.0], "time", "must be an object"),
        ({"beta": 3.7}, "time.alpha", "missing"),
        ({"alpha": 2.0}, "time.beta", "missing"),
        ({"beta": 3.7, "alpha": 2.0, "sigma": 0.5}, "time.sigma", "unknown field"),
        ({"beta": "3.7", "alpha": 2.0}, "time.beta", "finite number"),
        ({"beta": math.nan, "alpha": 2.0}, "time.beta", "finite number"),
        ({"beta": True, "alpha": 2.0}, "time.beta", "finite number"),
        ({"beta": 10.6, "alpha": 2.0}, "time.beta", "log-milliseconds?"),  # ln(40000): 40 s in milliseconds
        ({"beta": -2.5, "alpha": 2.0}, "time.beta", "log-seconds in [-2.30, 8.19]"),
        ({"beta": 3.7, "alpha": 0}, "time.alpha", "> 0"),
        ({"beta": 3.7, "alpha": -1.5}, "time.alpha", "> 0"),
        ({"beta": 3.7, "alpha": math.inf}, "time.alpha", "finite number"),
        ({"beta": 3.7, "alpha": None}, "time.alpha", "finite number"),
    ],
)
def test_bad_time_parameters(tmp_path: Path, time: object, field: str, problem: str) -> None:
    data = make_pool_dict()
    item_of(data, "P2")["time"] = time
    # a file cannot hold NaN or infinity as JSON numbers: those are checked through from_dict only
    finite = not isinstance(time, dict) or all(not isinstance(v, float) or math.isfinite(v) for v in time.values())
    expect_error(data, "P2", field, tmp_path if finite else None, match=problem)


def test_time_beta_bounds_are_inclusive() -> None:
    data = make_pool_dict()
    item_of(data, "D1")["time"] = {"beta": math.log(0.1), "alpha": 1.0}
    item_of(data, "D2")["time"] = {"beta": math.log(3600.0), "alpha": 1.0}
    assert Pool.from_dict(data).timed.sum() == 2
