"""One ``cat-calibrate run``: calibrate a subtest's pretest items, test their fit, decide which are promoted, and
write the new pools (docs/calibration.md, "Commands"). The command line (options, text, progress) is
:mod:`cat_engine.calibrate_cli`'s.

Steps: :func:`~cat_engine.calibration.calibrate` the free (pretest) items with the operational items fixed;
:func:`~cat_engine.calibration_fit.item_fit` of each estimated item (degrees of freedom less its estimated
parameters); an item is **promoted** when it passes the :class:`~cat_engine.pretest_promotion.PromotionRule` and
its fit p-value is at least ``fit_alpha`` (an item too little answered to be tested fails; ``fit_alpha = 0``
turns the fit rule off). Stocking's method
needs one ability per session: the reported theta of the subtest from the export, or, where the export has
none, the EAP from the session's operational answers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from .calibration import Calibration, SlopePrior, calibrate, pool_slope_prior
from .calibration_data import SubtestData, item_range
from .calibration_estep import normalise, quadrature_nodes
from .calibration_fit import ItemFit, item_fit, n_estimated, posteriors
from .irt import DICHOTOMOUS, ItemParams
from .pool import Pool
from .pool_promotion import PromotionResult, finite, promote, se_record
from .pretest_promotion import PromotionRule, promotable

__all__ = ["RunOptions", "RunResult", "ability_estimates", "calibrate_subtest", "write_pools"]

BoolArray = npt.NDArray[np.bool_]
MAX_CYCLES = 100  # EM cycles at most (the calibration's default)


@dataclass(frozen=True)
class RunOptions:
    """What ``cat-calibrate run`` is asked to do."""

    method: str = "mem"
    fix_c: bool = False
    rule: PromotionRule = field(default_factory=PromotionRule)
    fit_alpha: float = 0.01
    fit_groups: int = 10
    min_per_group: int = 25
    a_prior_sd: float = (
        0.5  # sd of the log-a prior centred on the operational pool (calibration.pool_slope_prior); 0: none
    )


@dataclass(frozen=True, eq=False)
class RunResult:
    """The calibration of one subtest: the data, the calibration, the fit, and per pretest item whether it is
    promoted and (``items``) its JSON-ready report."""

    data: SubtestData
    calibration: Calibration
    fit: ItemFit
    promoted: BoolArray  # per pretest item
    updated: BoolArray  # per pretest item: estimated and converged (new provisional values)
    items: list[dict[str, Any]]


def ability_estimates(data: SubtestData) -> npt.NDArray[np.float64]:
    """Each session's reported theta, or the EAP from its operational answers where the export has none."""
    theta = data.final_theta.copy()
    missing = np.isnan(theta)
    if missing.any():
        r = data.responses
        nodes = quadrature_nodes(49)
        log_post = posteriors(
            data.params, r.person, r.item, r.category, r.n_persons, nodes, r.item < data.n_operational
        )
        weight, _ = normalise(log_post)
        theta[missing] = (weight @ nodes)[missing]
    return theta


def _params_of(params: ItemParams, k: int) -> dict[str, Any]:
    if params.model[k] == DICHOTOMOUS:
        return {"a": finite(params.a[k]), "b": finite(params.b[k]), "c": finite(params.c[k])}
    m = int(params.n_categories[k]) - 1
    return {"a": finite(params.a[k]), "b": [finite(s) for s in params.steps[k, :m]]}


def _reasons(cal: Calibration, k: int, rule: PromotionRule, fit_p: float, fit_alpha: float) -> list[str]:
    """Why item ``k`` is not promoted (empty: it is), each test of the rule named."""
    out = []
    if cal.responses[k] < rule.min_responses:
        out.append("responses")
    if rule.require_converged and not bool(cal.item_converged[k]):
        out.append("converged")
    if not cal.se_a[k] <= rule.max_se_a:
        out.append("se_a")
    if cal.params.model[k] == DICHOTOMOUS:
        if not cal.se_b[k] <= rule.max_se_b:
            out.append("se_b")
    else:
        m = int(cal.params.n_categories[k]) - 1
        if not np.all(cal.se_steps[k, :m] <= rule.max_se_step):
            out.append("se_steps")
    if fit_alpha > 0 and not fit_p >= fit_alpha:
        out.append("fit")
    return out


def slope_prior(data: SubtestData, sd_log: float) -> SlopePrior | None:
    """The prior on the pretest items' a: :func:`~cat_engine.calibration.pool_slope_prior` of the operational items
    with ``sd_log`` (0: none, maximum likelihood in a)."""
    if sd_log <= 0:
        return None
    return pool_slope_prior(data.params.a[: data.n_operational], sd_log)


def calibrate_subtest(data: SubtestData, pretest: Pool, options: RunOptions) -> RunResult:
    """Calibrate, test the fit and apply the rules (module docstring). ``data`` must have free items."""
    if not data.free.any():
        raise ValueError("no pretest item of the subtest has responses in the data")
    r = data.responses
    theta_hat = ability_estimates(data) if options.method == "stocking-a" else None
    cal = calibrate(
        data.params,
        data.free,
        r,
        method=options.method,
        fix_c=options.fix_c,
        theta_hat=theta_hat,
        max_cycles=MAX_CYCLES,
        a_prior=slope_prior(data, options.a_prior_sd),
    )
    offset = data.n_operational
    free = np.flatnonzero(data.free)
    lost = np.zeros(cal.params.size, dtype=np.intp)
    for i in free.tolist():
        free_c = cal.params.model[i] == DICHOTOMOUS and not options.fix_c and data.params.c[i] > 0
        lost[i] = n_estimated(cal.params, i, bool(free_c))
    fit = item_fit(
        cal.params,
        r.person,
        r.item,
        r.category,
        r.n_persons,
        free,
        estimated=lost,
        groups=options.fit_groups,
        min_per_group=options.min_per_group,
    )
    idx = np.arange(offset, offset + pretest.size)
    em_converged = bool(cal.converged) or cal.cycles < MAX_CYCLES  # one item at a bound is judged on its own
    passes = promotable(cal, idx, options.rule, em_converged) & data.free[idx]
    with np.errstate(invalid="ignore"):
        fits = fit.p_value[idx] >= options.fit_alpha if options.fit_alpha > 0 else np.ones(idx.size, dtype=bool)
    promoted = passes & fits
    updated = data.free[idx] & np.asarray(cal.item_converged, dtype=bool)[idx]
    items = []
    for j, item in enumerate(pretest.items):
        k = offset + j
        p = float(fit.p_value[k])
        items.append(
            {
                "id": item.id,
                "model": item.model,
                "n": int(cal.responses[k]),
                "estimated": bool(data.free[k]),
                "start": _params_of(data.params, k),
                "estimate": _params_of(cal.params, k) if data.free[k] else None,
                "se": se_record(cal.se_a[k], cal.se_b[k], cal.se_c[k], cal.se_steps[k].tolist()),
                "converged": bool(cal.item_converged[k]) if data.free[k] else None,
                "fit": {
                    "statistic": finite(float(fit.statistic[k])),
                    "df": int(fit.df[k]) or None,
                    "p_value": (None if math.isnan(p) else p),
                },
                "promoted": bool(promoted[j]),
                "reasons": []
                if promoted[j] or not data.free[k]
                else _reasons(cal, k, options.rule, p, options.fit_alpha),
            }
        )
    return RunResult(data, cal, fit, promoted, updated, items)


def write_pools(
    result: RunResult,
    operational: Pool,
    pretest: Pool,
    *,
    battery: tuple[str, str],
    subtest_id: str,
    options: RunOptions,
    day: date,
    operational_version: str,
    pretest_version: str,
) -> PromotionResult:
    """The new pools (validated, not saved) with the provenance records of docs/pool-format.md."""
    cal = result.calibration
    offset = result.data.n_operational
    files = [{"file": f.path, "sha256": f.sha256, "rows": f.rows} for f in result.data.files]
    run = {
        "method": cal.method,
        "date": day.isoformat(),
        "data": files,
        "battery": {"id": battery[0], "version": battery[1]},
        "subtest": subtest_id,
        "operational_pool": f"{operational.pool_id}@{operational.pool_version}",
        "pretest_pool": f"{pretest.pool_id}@{pretest.pool_version}",
        "rule": asdict(options.rule),
        "fit": {"alpha": options.fit_alpha, "groups": options.fit_groups},
        "fix_c": options.fix_c,
        "promoted": int(result.promoted.sum()),
        "cycles": cal.cycles,
        "converged": bool(cal.converged),
    }
    records = {}
    for j, item in enumerate(result.items):
        if not item["estimated"]:
            continue
        records[item["id"]] = {
            "data": [{"file": f["file"], "sha256": f["sha256"]} for f in files],
            "method": cal.method,
            "date": day.isoformat(),
            "responses": item["n"],
            "se": item["se"],
            "fit": item["fit"],
            "from": f"{pretest.pool_id}@{pretest.pool_version}",
            "promoted": bool(result.promoted[j]),
        }
    estimates = item_range(cal.params, offset, offset + pretest.size)
    return promote(
        operational,
        pretest,
        estimates,
        result.promoted,
        result.updated,
        run,
        records,
        operational_version=operational_version,
        pretest_version=pretest_version,
    )
