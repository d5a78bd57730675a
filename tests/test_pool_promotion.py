"""Writing the pools of a calibration run (cat_engine/pool_promotion.py): promoted items appended to a new
operational pool version with their estimates and provenance, the others left in a new pretest pool version
(updated where asked), both loadable; versions, rounding, areas and enemies."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from calibration_sim import item_dict, operational_pool, pool_dict

from cat_engine.errors import PoolValidationError
from cat_engine.irt import ItemParams
from cat_engine.pool import Pool, load_pool, save_pool
from cat_engine.pool_promotion import RECORD, calibrated_version, estimated_params, promote, se_record

DAY = date(2026, 12, 7)


def _pretest() -> Pool:
    items = [
        item_dict("PT-1", "2PL", {"a": 1.0, "b": 0.0}),
        item_dict("PT-2", "3PL", {"a": 1.0, "b": 0.0, "c": 0.25}, area="C"),
        item_dict("PT-3", "GPCM", {"a": 1.0, "b": [-1.0, 0.0, 1.0]}),
        item_dict("PT-4", "1PL", {"b": 0.5}),
    ]
    items[0]["enemies"] = ["PT-4"]
    items[1]["enemies"] = ["PT-3"]
    data = pool_dict("pt", "2026.1-pt", items)
    data["content_areas"] = ["A", "B", "C"]
    return Pool.from_dict(data)


def _estimates(pt: Pool) -> ItemParams:
    p = pt.params
    steps = p.steps.copy()
    steps[2, :3] = [-1.23456, 0.11111, 1.5]
    return replace(p, a=np.array([1.234567, 0.8, 1.1, 0.9]), b=np.array([0.5, -0.25, 0.1, 0.7]), steps=steps)


def _records(pt: Pool) -> dict[str, dict[str, object]]:
    return {it.id: {"responses": 400 + k, "method": "mem"} for k, it in enumerate(pt.items)}


def test_versions_get_a_calibration_suffix() -> None:
    assert calibrated_version("2026.1", DAY) == "2026.1+cal20261207"
    assert calibrated_version("2026.1+cal20260101", DAY) == "2026.1+cal20261207"
    assert calibrated_version("2026.1+rt20261201+sh0.25", DAY) == "2026.1+rt20261201+cal20261207+sh0.25"


def test_estimated_params_per_model() -> None:
    pt = _pretest()
    est = _estimates(pt)
    assert estimated_params("2PL", est, 0) == ("2PL", {"a": 1.2346, "b": 0.5})
    assert estimated_params("3PL", est, 1) == ("3PL", {"a": 0.8, "b": -0.25, "c": 0.25})
    assert estimated_params("GPCM", est, 2) == ("GPCM", {"a": 1.1, "b": [-1.2346, 0.1111, 1.5]})
    assert estimated_params("1PL", est, 3) == ("2PL", {"a": 0.9, "b": 0.7})  # a was estimated
    grm = replace(est, steps=np.array([[0.100001, 0.100002, 0.5]] * 4))
    model, params = estimated_params("GRM", grm, 2)
    assert model == "GRM" and params["b"][0] < params["b"][1] < params["b"][2]  # still increasing after rounding
    assert se_record(0.1, float("nan"), float("nan"), [0.2, float("nan")]) == {"a": 0.1, "b": None, "c": None,
                                                                             "steps": [0.2]}  # fmt: skip


def test_promoted_items_join_the_operational_pool_with_provenance(tmp_path: Path) -> None:
    op_data = operational_pool(6, 1)
    op_data["calibration"][RECORD] = {"items": {"OLD-1": {"method": "oem"}}}
    op = Pool.from_dict(op_data)
    pt = _pretest()
    est = _estimates(pt)
    run = {"method": "mem", "date": DAY.isoformat()}
    result = promote(
        op,
        pt,
        est,
        promoted=[True, True, False, False],
        updated=[True, True, True, False],
        run=run,
        item_records=_records(pt),
        operational_version="2026.1+cal20261207",
        pretest_version="2026.1-pt+cal20261207",
    )
    new_op, new_pt = result.operational, result.pretest
    assert result.promoted == ("PT-1", "PT-2")
    assert new_op.pool_version == "2026.1+cal20261207" and new_op.size == op.size + 2
    assert [it.id for it in new_op.items[: op.size]] == [it.id for it in op.items]
    assert new_op.items[: op.size] == op.items  # the operational items unchanged
    added = new_op.items[op.size :]
    assert added[0].params == {"a": 1.2346, "b": 0.5} and added[1].params == {"a": 0.8, "b": -0.25, "c": 0.25}
    assert added[0].stem == pt.items[0].stem and added[1].key == pt.items[1].key
    assert new_op.content_areas == ("A", "B", "C")  # PT-2's area added
    assert added[0].enemies == () and added[1].enemies == ()  # their enemies stayed in the pretest pool
    record = new_op.calibration[RECORD]
    assert record["method"] == "mem" and set(record["items"]) == {"OLD-1", "PT-1", "PT-2"}
    assert record["items"]["PT-2"] == {"responses": 401, "method": "mem"}

    assert new_pt is not None and new_pt.pool_version == "2026.1-pt+cal20261207"
    assert [it.id for it in new_pt.items] == ["PT-3", "PT-4"]
    assert new_pt.items[0].params == {"a": 1.1, "b": [-1.2346, 0.1111, 1.5]}  # updated
    assert new_pt.items[1].params == {"b": 0.5} and new_pt.items[1].model == "1PL"  # kept
    assert set(new_pt.calibration[RECORD]["items"]) == {"PT-3", "PT-4"}

    for pool, name in ((new_op, "op.json"), (new_pt, "pt.json")):  # both load as files
        save_pool(pool, tmp_path / name)
        assert load_pool(tmp_path / name).to_dict() == pool.to_dict()


def test_all_promoted_leaves_no_pretest_pool_and_bad_input_is_refused() -> None:
    op, pt = Pool.from_dict(operational_pool(6, 1)), _pretest()
    everything = np.ones(pt.size, dtype=bool)
    versions = {"operational_version": "v2", "pretest_version": "p2"}
    result = promote(op, pt, _estimates(pt), everything, everything, {}, _records(pt), **versions)
    assert result.pretest is None and result.operational.size == op.size + pt.size
    moved = {it.id: it for it in result.operational.items}
    assert moved["PT-1"].enemies == ("PT-4",) and moved["PT-2"].enemies == ("PT-3",)  # all in one pool: kept
    with pytest.raises(ValueError, match="cover"):
        promote(op, pt, _estimates(pt), [True], everything, {}, _records(pt), **versions)
    clash = Pool.from_dict(pool_dict("pt", "x", [item_dict(op.items[0].id, "2PL", {"a": 1.0, "b": 0.0})]))
    one = np.ones(1, dtype=bool)
    with pytest.raises(PoolValidationError, match="duplicate id"):
        promote(op, clash, clash.params, one, one, {}, {op.items[0].id: {}}, **versions)
