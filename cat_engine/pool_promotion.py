"""Write the pools a calibration run leaves: a new operational pool version with the promoted pretest items
appended, and a new pretest pool version with the items not promoted (docs/pool-format.md, "Online calibration").

Both are built as pool dicts and validated by :meth:`cat_engine.pool.Pool.from_dict`, so a pool this module
returns is one the server loads. The operational pool keeps every item and field it had; each promoted item is
the pretest pool's item (text, options, key or weights, area, time parameters) with its estimated parameters
(rounded to 4 decimals), appended in pretest-pool order. A 1PL pretest item is written as 2PL (calibration
estimates its discrimination). Enemies naming items that are not in the written pool are dropped (a pretest pool's
enemies are among its own items), and a content area the operational pool lacks is appended to its areas.

Provenance goes into ``calibration.online_calibration``: the run's record (method, date, data files with their
SHA-256, battery, subtest, the pools calibrated from, the promotion and fit rules) and ``items``, one record per
promoted item (data, method, date, responses, standard errors, fit), merged with the records of earlier runs so
every promoted item keeps its own. The pretest pool gets the same run record with ``items`` for its items that
were re-estimated (their parameters become the new provisional ones when the estimate converged).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from .irt import ItemParams
from .pool import Pool

__all__ = ["RECORD", "PromotionResult", "calibrated_version", "estimated_params", "finite", "promote", "se_record"]

_DECIMALS = 4
RECORD = "online_calibration"
"""The key of the provenance record in a pool's ``calibration``."""


def calibrated_version(version: str, day: date) -> str:
    """``version`` with its ``+cal...`` suffix set to ``day``, before any ``+sh...`` suffix of ``cat-exposure`` (as
    ``cat-pool times`` places its ``+rt``): ``2026.1+sh0.25`` -> ``2026.1+cal20261207+sh0.25``."""
    head, sep, tail = re.sub(r"\+cal[^+]*", "", version).partition("+sh")
    return f"{head}+cal{day:%Y%m%d}{sep}{tail}"


def _round(value: float) -> float:
    return round(float(value), _DECIMALS)


def estimated_params(model: str, params: ItemParams, k: int) -> tuple[str, dict[str, Any]]:
    """The pool-file ``(model, params)`` of item ``k`` of ``params`` (1PL becomes 2PL: a is estimated)."""
    a = _round(params.a[k])
    if model in ("GPCM", "GRM"):
        m = int(params.n_categories[k]) - 1
        steps = [_round(s) for s in params.steps[k, :m]]
        if model == "GRM":  # rounding must leave the thresholds increasing
            for v in range(1, m):
                steps[v] = max(steps[v], steps[v - 1] + 10.0**-_DECIMALS)
        return model, {"a": a, "b": steps}
    out: dict[str, Any] = {"a": a, "b": _round(params.b[k])}
    if model in ("3PL", "4PL"):
        out["c"] = _round(params.c[k])
    if model == "4PL":
        out["d"] = _round(params.d[k])
    return ("2PL" if model == "1PL" else model), out


@dataclass(frozen=True, eq=False)
class PromotionResult:
    """The two pools written: ``operational`` and ``pretest`` (None when every item was promoted: a pool cannot
    be empty), and the ids promoted."""

    operational: Pool
    pretest: Pool | None
    promoted: tuple[str, ...]


def _items_with(data: dict[str, Any], keep: set[str]) -> None:
    """Drop the enemies that are not items of ``keep`` (in place)."""
    for item in data["items"]:
        enemies = [e for e in item.get("enemies", []) if e in keep and e != item["id"]]
        item.pop("enemies", None)
        if enemies:
            item["enemies"] = enemies


def promote(
    operational: Pool,
    pretest: Pool,
    estimates: ItemParams,
    promoted: npt.ArrayLike,
    updated: npt.ArrayLike,
    run: Mapping[str, Any],
    item_records: Mapping[str, Mapping[str, Any]],
    *,
    operational_version: str,
    pretest_version: str,
) -> PromotionResult:
    """Build the new pools.

    Parameters
    ----------
    operational, pretest : Pool
        The pools calibrated from.
    estimates : ItemParams
        The pretest items' parameters after calibration, in pretest-pool order.
    promoted : array of bool, shape (pretest.size,)
        Which pretest items join the operational pool.
    updated : array of bool, shape (pretest.size,)
        Which of the others get their estimate as their new provisional parameters (e.g. estimated and
        converged); the rest keep theirs.
    run : mapping
        The run's provenance record (JSON-ready).
    item_records : mapping
        Per pretest item id, its record (JSON-ready): stored for the promoted items in the operational pool and for
        the updated ones in the pretest pool.
    operational_version, pretest_version : str
        The ``pool_version`` of each new pool.

    Raises
    ------
    cat_engine.errors.PoolValidationError
        When a written pool would not load (e.g. a promoted id already in the operational pool).
    """
    up = np.asarray(promoted, dtype=bool)
    renew = np.asarray(updated, dtype=bool)
    if up.shape != (pretest.size,) or renew.shape != (pretest.size,) or estimates.size != pretest.size:
        raise ValueError(f"promoted, updated and estimates must cover the {pretest.size} pretest items")
    source = pretest.to_dict()["items"]
    moved: list[dict[str, Any]] = []
    staying: list[dict[str, Any]] = []
    for k, raw in enumerate(source):
        item = dict(raw)
        if up[k] or renew[k]:
            item["model"], item["params"] = estimated_params(item["model"], estimates, k)
        (moved if up[k] else staying).append(item)

    op = operational.to_dict()
    op["pool_version"] = operational_version
    for item in moved:
        if item["content_area"] not in op["content_areas"]:
            op["content_areas"].append(item["content_area"])
    op["items"].extend(moved)
    _items_with(op, {it["id"] for it in op["items"]})
    previous = operational.calibration.get(RECORD)
    kept = dict(previous.get("items", {})) if isinstance(previous, Mapping) else {}
    ids = tuple(it["id"] for it in moved)
    op["calibration"][RECORD] = {**run, "items": {**kept, **{i: dict(item_records[i]) for i in ids}}}
    new_operational = Pool.from_dict(op, source=operational.source)

    new_pretest = None
    if staying:
        pt = pretest.to_dict()
        pt["pool_version"] = pretest_version
        pt["items"] = staying
        _items_with(pt, {it["id"] for it in staying})
        records = {it["id"]: dict(item_records[it["id"]]) for it in staying if it["id"] in item_records}
        pt["calibration"][RECORD] = {**run, "items": records}
        new_pretest = Pool.from_dict(pt, source=pretest.source)
    return PromotionResult(new_operational, new_pretest, ids)


def finite(value: float) -> float | None:
    """A number for JSON: None when NaN or infinite, else rounded to 4 decimals."""
    return _round(value) if math.isfinite(value) else None


def se_record(se_a: float, se_b: float, se_c: float, se_steps: Sequence[float]) -> dict[str, Any]:
    """An item's standard errors for its provenance record (null where not estimated)."""
    out: dict[str, Any] = {"a": finite(se_a), "b": finite(se_b), "c": finite(se_c)}
    steps = [finite(s) for s in se_steps if not math.isnan(s)]
    if steps:
        out["steps"] = steps
    return out
