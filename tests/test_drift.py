"""Drift of operational items (cat_engine/drift.py): on live data simulated with one item's difficulty shifted,
that item is flagged (its b moved, and its old parameters misfit) and the others are not; items with too few
responses are reported without an estimate."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from calibration_sim import operational_pool, simulate_rows, write_jsonl

from cat_engine.calibration_data import load_subtest
from cat_engine.drift import DriftItem, DriftRule, drift
from cat_engine.pool import Pool

SHIFTED, SHIFT = 5, 0.8


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pool, list[DriftItem]]:
    op = Pool.from_dict(operational_pool(20, 11))
    truth = replace(op.params, b=op.params.b + np.where(np.arange(op.size) == SHIFTED, SHIFT, 0.0))
    rows = simulate_rows(op, 1500, 12, 21, op_truth=truth)
    path = write_jsonl(tmp_path_factory.mktemp("drift") / "live.jsonl", rows)
    data = load_subtest([path], "s1", op, None)
    seen: list[tuple[int, int]] = []
    items = drift(
        data, DriftRule(threshold_b=0.3, threshold_a=0.5, fit_alpha=0.001), progress=lambda d, t: seen.append((d, t))
    )
    assert seen[0] == (0, 20) and seen[-1] == (20, 20)
    return op, items


def test_the_shifted_item_is_flagged_and_the_others_are_not(report: tuple[Pool, list[DriftItem]]) -> None:
    op, items = report
    flagged = {it.id: it.flags for it in items if it.flags}
    shifted = op.items[SHIFTED].id
    assert set(flagged) == {shifted}
    assert "b" in flagged[shifted] and "fit" in flagged[shifted]
    moved = items[SHIFTED]
    assert moved.delta_b is not None and moved.se_b is not None
    assert moved.delta_b == pytest.approx(SHIFT, abs=4 * moved.se_b)
    others = [it for k, it in enumerate(items) if k != SHIFTED]
    assert all(it.delta_b is not None and abs(it.delta_b) < 0.3 for it in others)
    assert all(it.converged for it in items)
    d = moved.to_dict()
    assert d["z_b"] == pytest.approx(d["delta_b"] / d["se_b"]) and d["flags"] == list(moved.flags)


def test_items_with_too_few_responses_are_not_estimated(tmp_path: Path) -> None:
    op = Pool.from_dict(operational_pool(20, 11))
    rows = simulate_rows(op, 60, 12, 3)
    data = load_subtest([write_jsonl(tmp_path / "few.jsonl", rows)], "s1", op, None)
    items = drift(data, DriftRule(min_responses=40))
    estimated = [it for it in items if it.b_new is not None]
    assert estimated and len(estimated) < len(items)
    assert all(it.n >= 40 for it in estimated) and all(it.n < 40 and not it.flags for it in items if it.b_new is None)
