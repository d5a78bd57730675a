"""Simulated calibration data sets for the tests: pools of 2PL/3PL/GPCM items, and rows in the format of the
responses export (``GET /api/rooms/{room_id}/responses``, cat_engine/server/responses.py) drawn from true
parameters (:func:`cat_engine.simulate_pretest.draw_responses`), written as JSON lines or CSV.

Each simulated examinee (true theta ~ N(0, 1)) answers ``per_op`` operational items and ``per_pretest`` pretest
items drawn at random (the pretest ones placed after the third operational answer). Random, not targeted at the
true theta: a choice that depends on the true theta other than through the answers (as an adaptive test's does)
would make the missing answers non-ignorable and bias every marginal-likelihood estimate.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from cat_engine.calibration_data import EXPORT_COLUMNS
from cat_engine.irt import ItemParams
from cat_engine.pool import Pool
from cat_engine.simulate_pretest import draw_responses


def item_dict(item_id: str, model: str, params: Mapping[str, Any], area: str = "A") -> dict[str, Any]:
    """A pool item: 4 options keyed 0 (dichotomous), or one option per category weighted 1.. (GPCM)."""
    out: dict[str, Any] = {"id": item_id, "model": model, "params": dict(params), "content_area": area}
    out["stem"] = f"Soal {item_id}"
    if model == "GPCM":
        m = len(params["b"])
        out |= {"options": [f"O{k}" for k in range(m + 1)], "option_weights": list(range(1, m + 2))}
    else:
        out |= {"options": ["A", "B", "C", "D"], "key": 0}
    return out


def pool_dict(pool_id: str, version: str, items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "format_version": 1,
        "pool_id": pool_id,
        "pool_version": version,
        "name": f"Pool {pool_id}",
        "calibration": {"note": "simulated for tests"},
        "theta_scale": {"mean": 0.0, "sd": 1.0, "D": 1.0},
        "content_areas": ["A", "B"],
        "items": [dict(it) for it in items],
    }


def operational_pool(n: int, seed: int, pool_id: str = "op", version: str = "2026.1") -> dict[str, Any]:
    """``n`` 2PL items, a log-normal around 1.2, b ~ N(0, 1)."""
    rng = np.random.default_rng(seed)
    a = np.round(np.exp(rng.normal(0.2, 0.2, n)), 3)
    b = np.round(rng.normal(0.0, 1.0, n), 3)
    items = [
        item_dict(f"{pool_id.upper()}-{k:03d}", "2PL", {"a": float(a[k]), "b": float(b[k])}, "AB"[k % 2])
        for k in range(n)
    ]
    return pool_dict(pool_id, version, items)


def pretest_pool(
    truth: Sequence[tuple[str, Mapping[str, Any]]], pool_id: str = "pt", version: str = "2026.1-pt"
) -> dict[str, Any]:
    """A pretest pool whose items carry *provisional* parameters (a = 1, b = 0, c = 0.25, steps on [-1, 1]) for the
    true ``(model, params)`` given."""
    items = []
    for k, (model, params) in enumerate(truth):
        if model == "GPCM":
            m = len(params["b"])
            start: dict[str, Any] = {"a": 1.0, "b": [float(v) for v in np.linspace(-1.0, 1.0, m)]}
        else:
            start = {"a": 1.0, "b": 0.0} | ({"c": 0.25} if model == "3PL" else {})
        items.append(item_dict(f"{pool_id.upper()}-{k:03d}", model, start, "AB"[k % 2]))
    return pool_dict(pool_id, version, items)


def _option_of(pool: Pool, index: int, category: int) -> int:
    return int(np.flatnonzero(pool.scoring[index] == category)[0])


def simulate_rows(
    operational: Pool,
    n_persons: int,
    per_op: int,
    seed: int,
    *,
    op_truth: ItemParams | None = None,
    pretest: Pool | None = None,
    pretest_truth: ItemParams | None = None,
    per_pretest: int = 0,
    subtest_id: str = "s1",
    battery: tuple[str, str] = ("calib-test", "2026.1"),
    room_id: str = "RSIM01",
    first_session: int = 1,
    final_theta: bool = True,
) -> list[dict[str, Any]]:
    """Rows of the responses export for ``n_persons`` simulated sessions (module docstring). ``op_truth``: the
    operational items' true parameters (default the pool's; give shifted ones to simulate drift). With
    ``final_theta`` each session's reported theta is its true theta plus N(0, 0.3^2) noise, else null."""
    rng = np.random.default_rng(seed)
    truth = operational.params if op_truth is None else op_truth
    theta = rng.normal(size=n_persons)
    items = np.argsort(rng.random((n_persons, operational.size)), axis=1)[:, :per_op]
    cats = draw_responses(truth, theta, items.astype(np.intp), rng)
    if pretest is not None and per_pretest:
        assert pretest_truth is not None
        p_items = np.argsort(rng.random((n_persons, pretest.size)), axis=1)[:, :per_pretest].astype(np.intp)
        p_cats = draw_responses(pretest_truth, theta, p_items, rng)
    reported = theta + rng.normal(0.0, 0.3, n_persons)
    rows: list[dict[str, Any]] = []
    for j in range(n_persons):
        answers = [(operational, int(k), int(c), False) for k, c in zip(items[j], cats[j], strict=True)]
        if pretest is not None and per_pretest:
            extra = [(pretest, int(k), int(c), True) for k, c in zip(p_items[j], p_cats[j], strict=True)]
            answers[3:3] = extra
        session = f"{room_id}-{first_session + j:04d}"
        for position, (pool, k, c, is_pretest) in enumerate(answers, start=1):
            final = float(round(reported[j], 4)) if final_theta else None
            row: dict[str, Any] = {
                "room_id": room_id,
                "session_id": session,
                "battery_id": battery[0],
                "battery_version": battery[1],
                "subtest_id": subtest_id,
                "pool_id": pool.pool_id,
                "pool_version": pool.pool_version,
                "item_id": pool.items[k].id,
                "pretest": is_pretest,
                "position": position,
                "option": _option_of(pool, k, c),
                "category": c,
                "response_ms": 20_000,
                "at_ms": 1_000_000 + 30_000 * position,
                "theta_before": None,
                "se_before": None,
                "theta_after": None,
                "se_after": None,
                "final_theta": final,
                "final_se": 0.3 if final_theta else None,
            }
            rows.append(row)
    return rows


def write_jsonl(path: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps({c: r[c] for c in EXPORT_COLUMNS}) + b"\n" for r in rows))
    return path


def write_csv(path: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        writer.writerows([["" if r[c] is None else r[c] for c in EXPORT_COLUMNS] for r in rows])
    return path
