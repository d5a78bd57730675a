r"""Online calibration: estimate pretest items' parameters with the operational items fixed (issue 19).

Methods (``method``), all on the operational scale, i.e. the scale of the fixed items with the population N(0, 1):

* ``"mem"``, the multiple-EM-cycle method of Ban, Hanson, Wang, Yi & Harris (2001): the first cycle's posteriors
  use the fixed (operational) items only; each later cycle updates every examinee's posterior with the free
  (pretest) items' current estimates too, and re-estimates them, until no parameter moves by more than ``tol``.
  At convergence this is the marginal maximum-likelihood estimate (Bock & Aitkin, 1981) of the free items with the
  fixed items known. When no item is fixed the first cycle uses the free items' starting values instead (plain
  Bock-Aitkin EM: with the prior alone every posterior would be the same and the EM would stay at a = 0).
* ``"oem"``: Wainer & Mislevy's (1990) one-EM-cycle method, MEM's first cycle only.
* ``"stocking-a"``: Stocking's (1988) Method A, each examinee's ability fixed at ``theta_hat`` and each item's
  likelihood maximised directly. A baseline for comparison: it ignores the error in :math:`\hat\theta`, which
  attenuates the estimated discriminations.

The E-step is :mod:`cat_engine.calibration_estep`, the M-step (damped Fisher scoring, every item of a family at
once) :mod:`cat_engine.calibration_mstep`, derivatives :mod:`cat_engine.calibration_models`, standard errors
:mod:`cat_engine.calibration_se`. See ``docs/calibration.md``.

**The 3PL lower asymptote.** A free dichotomous item whose starting ``c`` is positive is estimated as a 3PL item
(one with ``c = 0`` as 2PL), with a Beta prior on c (default Beta(5, 17), BILOG-MG's for five options; mode 0.2).
With some 500 answers, mostly from examinees near the item (adaptive testing), c is weakly identified: the few
low-ability answers leave the likelihood flat in c and its maximum often at 0 or wanders with a and b, so without
a prior the estimates are erratic. ``fix_c=True`` instead holds c at the value given. ``d`` is never estimated.

References: Ban, J.-C., Hanson, B. A., Wang, T., Yi, Q., & Harris, D. J. (2001). A comparative study of on-line
pretest item calibration/scaling methods in computerized adaptive testing. JEM 38(3). Bock, R. D., & Aitkin, M.
(1981). Psychometrika 46(4). Stocking, M. L. (1988). Scale drift in on-line calibration (ETS RR-88-28). Wainer,
H., & Mislevy, R. J. (1990). Item response theory, item calibration, and proficiency estimation. In Wainer (Ed.),
Computerized adaptive testing: a primer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from .calibration_estep import Grouper, log_prior, normalise, quadrature_nodes
from .calibration_models import Family, evaluate, valid
from .calibration_mstep import BetaPrior, SlopePrior, maximize
from .calibration_se import fixed_theta_information, marginal_information, sandwich_information, standard_errors
from .irt import DICHOTOMOUS, ItemParams, log_probability

__all__ = ["METHODS", "BetaPrior", "Calibration", "ResponseData", "SlopePrior", "calibrate", "pool_slope_prior"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

METHODS = ("mem", "oem", "stocking-a")


@dataclass(frozen=True)
class ResponseData:
    """Long-form responses: one row per (person, item) answered."""

    person: IntArray  # 0..n_persons-1
    item: IntArray  # index into the ItemParams being calibrated (operational and pretest items together)
    category: IntArray  # score category 0..n_categories-1
    n_persons: int


@dataclass(frozen=True)
class Calibration:
    """Result of :func:`calibrate`. Standard errors are NaN for fixed items and parameters not estimated."""

    params: ItemParams  # every item: fixed ones unchanged, free ones estimated
    se_a: FloatArray  # per item; NaN for fixed items and for parameters not estimated
    se_b: FloatArray  # dichotomous b; for polytomous items NaN (their location is the mean of steps)
    se_c: FloatArray  # 3PL lower asymptote (NaN when c is held fixed)
    se_steps: FloatArray  # shape like params.steps (GPCM steps / GRM thresholds), NaN elsewhere
    responses: IntArray  # responses per item in the data
    cycles: int
    converged: bool
    method: str  # "mem", "oem" or "stocking-a"
    #: Per item: the M-step converged inside the search bounds (True for fixed items).
    item_converged: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    #: Marginal log-likelihood of all the data at the returned parameters (quadrature, N(0, 1) prior; no c prior).
    log_likelihood: float = float("nan")


@dataclass
class _Block:
    """The free items of one family and their answers (rows)."""

    family: Family
    items: IntArray  # item indices in the pool
    eta: FloatArray  # (n, p)
    fixed: FloatArray  # (n, 2): c, d
    rows: IntArray  # indices into the data's rows
    pos: IntArray  # position of each row's item in `items`
    cat: IntArray
    cells: Grouper | None = None  # rows into (pos, category) cells
    se: FloatArray | None = None  # (n, p), like eta

    def table(self, nodes: FloatArray, D: float) -> FloatArray:
        logp, _ = evaluate(self.family, self.eta, self.fixed, nodes[None, :], D, grad=False)
        return logp


def calibrate(
    params: ItemParams,
    free: BoolArray,
    data: ResponseData,
    *,
    method: str = "mem",
    fix_c: bool = False,
    max_cycles: int = 100,
    tol: float = 1e-4,
    quadrature_points: int = 49,
    theta_hat: FloatArray | None = None,
    c_prior: BetaPrior | None = None,
    theta_range: tuple[float, float] = (-6.0, 6.0),
    a_prior: SlopePrior | None = None,
) -> Calibration:
    """Estimate the free items' parameters with the others fixed.

    Parameters
    ----------
    params : ItemParams
        Starting values of the free items, true (operational) values of the fixed ones.
    free : ndarray of bool, shape (n_items,)
        Which items are estimated.
    data : ResponseData
    method : {"mem", "oem", "stocking-a"}
    fix_c : bool
        Hold every free dichotomous item's c at its given value instead of estimating it.
    max_cycles, tol : int, float
        EM cycles at most, and the largest parameter change between cycles that counts as converged.
    quadrature_points : int
        Nodes of the grid on ``theta_range`` (default 49 on [-6, 6], spacing 0.25).
    theta_hat : ndarray, shape (n_persons,)
        Abilities for ``"stocking-a"`` (required there, unused otherwise).
    c_prior : BetaPrior, optional
        Prior of a free c; default ``BetaPrior(5, 17)``.
    a_prior : SlopePrior, optional
        Lognormal prior of every free item's a (None: none, maximum likelihood in a); estimates are then posterior
        modes and their SEs include the prior's curvature.

    Raises
    ------
    ValueError
        Inconsistent input: indices or categories out of range, repeated (person, item) rows, a free item without
        answers or with inadmissible starting values, OEM without fixed items, Stocking without ``theta_hat``.
    """
    free_arr = _validate(params, free, data, method, theta_hat, max_cycles, quadrature_points)
    prior = c_prior if c_prior is not None else BetaPrior()
    person = np.asarray(data.person, dtype=np.intp)
    item = np.asarray(data.item, dtype=np.intp)
    cat = np.asarray(data.category, dtype=np.intp)
    blocks = _blocks(params, free_arr, item, cat, fix_c)
    nodes = quadrature_nodes(quadrature_points, *theta_range)
    D = params.D
    result_converged = np.ones(params.size, dtype=bool)

    fixed_rows = np.flatnonzero(~free_arr[item])
    base = np.broadcast_to(log_prior(nodes), (data.n_persons, nodes.size)).copy()
    if fixed_rows.size:
        table = _pool_table(params, nodes)
        base += Grouper(person[fixed_rows], data.n_persons).sum_rows(table, item[fixed_rows], cat[fixed_rows])
    free_persons = [Grouper(person[b.rows], data.n_persons) for b in blocks]

    def log_posterior(with_free: bool) -> FloatArray:
        log_post = base.copy()
        if with_free:
            for block, grouper in zip(blocks, free_persons, strict=True):
                log_post += grouper.sum_rows(block.table(nodes, D), block.pos, block.cat)
        return log_post

    cycles, em_converged = 0, False
    if method == "stocking-a":
        assert theta_hat is not None
        for block in blocks:
            th, weights = _fixed_theta_layout(block, np.asarray(theta_hat, dtype=np.float64), person)
            fit = maximize(block.family, block.eta, block.fixed, th, weights, D, prior, slope=a_prior)
            block.eta = fit.eta
            result_converged[block.items] = fit.converged
            info = fixed_theta_information(block.family, block.eta, block.fixed, th, weights, D, prior, a_prior)
            block.se = standard_errors(info)
        cycles, em_converged = 1, True
    else:
        start_with_free = fixed_rows.size == 0  # plain Bock-Aitkin EM when nothing is fixed
        weights_of: list[FloatArray] = []
        log_post = base
        for cycles in range(1, max_cycles + 1):
            log_post = log_posterior(with_free=cycles > 1 or start_with_free)
            post, _ = normalise(log_post)
            change = 0.0
            weights_of = []
            for block in blocks:
                weights = _expected_counts(block, post, person)
                weights_of.append(weights)
                fit = maximize(block.family, block.eta, block.fixed, nodes[None, :], weights, D, prior, slope=a_prior)
                change = max(change, float(np.abs(fit.eta - block.eta).max(initial=0.0)))
                block.eta = fit.eta
                result_converged[block.items] = fit.converged
            if method == "oem":
                em_converged = True
                break
            if change < tol:
                em_converged = True
                break
        for block, weights in zip(blocks, weights_of, strict=True):
            if method == "oem":  # the posteriors the estimate was made with: operational items only
                row_logw = log_post[person[block.rows]]
                info = sandwich_information(
                    block.family,
                    block.eta,
                    block.fixed,
                    nodes,
                    D,
                    prior,
                    weights,
                    block.pos,
                    block.cat,
                    row_logw,
                    a_prior,
                )
            else:
                info = _marginal_info(block, log_posterior(with_free=True), person, nodes, D, prior, a_prior)
            block.se = standard_errors(info)

    return _result(params, blocks, item, method, cycles, em_converged, result_converged, log_posterior(True))


def pool_slope_prior(a: npt.ArrayLike, sd_log: float = 0.5) -> SlopePrior:
    """The :class:`SlopePrior` a pool suggests for its new items: :math:`\\log a \\sim N(\\mu, \\sigma^2)` with
    :math:`\\mu` the mean log of the discriminations ``a`` (the operational items') and ``sd_log`` (BILOG-MG's 0.5):
    new items written to the bank's specifications are expected to discriminate like the items already in it."""
    values = np.asarray(a, dtype=np.float64)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        raise ValueError("the pool has no item with a positive discrimination")
    return SlopePrior(float(np.log(values).mean()), sd_log)


def _marginal_info(
    block: _Block,
    log_post: FloatArray,
    person: IntArray,
    nodes: FloatArray,
    D: float,
    prior: BetaPrior,
    slope: SlopePrior | None = None,
) -> FloatArray:
    """:func:`marginal_information` with each row's posterior minus the row's own item (leave-one-out)."""
    own = block.table(nodes, D)[block.pos, :, block.cat]
    row_logw = log_post[person[block.rows]] - own
    return marginal_information(
        block.family, block.eta, block.fixed, nodes, D, prior, block.pos, block.cat, row_logw, slope
    )


def _pool_table(params: ItemParams, nodes: FloatArray) -> FloatArray:
    """:math:`\\log P_{ik}(\\theta_q)` of every item, category and node, shape (n_items, Q, K)."""
    k = params.max_categories
    items = np.arange(params.size)[:, None, None]
    with np.errstate(divide="ignore"):
        table: FloatArray = log_probability(nodes[None, :, None], params, items, np.arange(k)[None, None, :])
    return table


def _expected_counts(block: _Block, post: FloatArray, person: IntArray) -> FloatArray:
    """:math:`r_{iqk}`, shape (n, Q, K), for the block's items."""
    n, k = block.items.size, block.family.n_categories
    if block.cells is None:
        block.cells = Grouper(block.pos * k + block.cat, n * k)
    sums = block.cells.sum(post[person[block.rows]])  # (n * K, Q)
    result: FloatArray = sums.reshape(n, k, -1).transpose(0, 2, 1).copy()
    return result


def _fixed_theta_layout(block: _Block, theta_hat: FloatArray, person: IntArray) -> tuple[FloatArray, FloatArray]:
    """Each item's answers laid out ``(n, R)`` (R the most answers of any item): abilities and one-hot weights."""
    n, k = block.items.size, block.family.n_categories
    counts = np.bincount(block.pos, minlength=n)
    order = np.argsort(block.pos, kind="stable")
    rank = np.arange(order.size) - (np.cumsum(counts) - counts)[block.pos[order]]
    width = int(counts.max())
    theta = np.zeros((n, width))
    weights = np.zeros((n, width, k))
    rows = block.rows[order]
    theta[block.pos[order], rank] = theta_hat[person[rows]]
    weights[block.pos[order], rank, block.cat[order]] = 1.0
    return theta, weights


def _blocks(params: ItemParams, free: BoolArray, item: IntArray, cat: IntArray, fix_c: bool) -> list[_Block]:
    """Group the free items into families and collect their starting values and rows."""
    free_items = np.flatnonzero(free)
    keys: dict[Family, list[int]] = {}
    for i in free_items.tolist():
        model = int(params.model[i])
        free_c = model == DICHOTOMOUS and not fix_c and params.c[i] > 0
        keys.setdefault(Family(model, int(params.n_categories[i]), bool(free_c)), []).append(i)
    position = np.full(params.size, -1, dtype=np.intp)
    family_of = np.full(params.size, -1, dtype=np.intp)
    blocks = []
    for f, (family, members) in enumerate(keys.items()):
        items = np.array(members, dtype=np.intp)
        position[items] = np.arange(items.size)
        family_of[items] = f
        if family.model == DICHOTOMOUS:
            columns = [params.a[items], params.b[items]] + ([params.c[items]] if family.free_c else [])
            eta = np.column_stack(columns)
        else:
            eta = np.column_stack([params.a[items], params.steps[items, : family.n_categories - 1]])
        fixed = np.column_stack([params.c[items], params.d[items]])
        if not np.all(valid(family, eta, fixed)):
            bad = items[~valid(family, eta, fixed)]
            raise ValueError(f"free items {bad.tolist()} have inadmissible starting values")
        rows = np.flatnonzero(family_of[item] == f)
        blocks.append(_Block(family, items, eta, fixed, rows, position[item[rows]], cat[rows]))
    return blocks


def _result(
    params: ItemParams,
    blocks: list[_Block],
    item: IntArray,
    method: str,
    cycles: int,
    em_converged: bool,
    item_converged: BoolArray,
    log_post: FloatArray,
) -> Calibration:
    """Write the estimates and standard errors into pool-shaped arrays."""
    a, b, c, steps = params.a.copy(), params.b.copy(), params.c.copy(), params.steps.copy()
    n = params.size
    se_a, se_b, se_c = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    se_steps = np.full(steps.shape, np.nan)
    for block in blocks:
        items, eta, m = block.items, block.eta, block.family.n_categories - 1
        se = block.se if block.se is not None else np.full(eta.shape, np.nan)
        a[items], se_a[items] = eta[:, 0], se[:, 0]
        if block.family.model == DICHOTOMOUS:
            b[items], se_b[items] = eta[:, 1], se[:, 1]
            if block.family.free_c:
                c[items], se_c[items] = eta[:, 2], se[:, 2]
        else:
            steps[items, :m], se_steps[items, :m] = eta[:, 1:], se[:, 1:]
            b[items] = eta[:, 1:].mean(axis=1)
    estimated = ItemParams(params.model, a, b, c, params.d, steps, params.n_categories, params.D)
    _, log_norm = normalise(log_post)
    return Calibration(
        params=estimated,
        se_a=se_a,
        se_b=se_b,
        se_c=se_c,
        se_steps=se_steps,
        responses=np.bincount(item, minlength=n).astype(np.intp),
        cycles=cycles,
        converged=bool(em_converged and item_converged.all()),
        method=method,
        item_converged=item_converged,
        log_likelihood=float(log_norm.sum()),
    )


def _validate(
    params: ItemParams,
    free: BoolArray,
    data: ResponseData,
    method: str,
    theta_hat: FloatArray | None,
    max_cycles: int,
    quadrature_points: int,
) -> BoolArray:
    """Check the arguments; returns ``free`` as a boolean array."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    n = params.size
    free_arr = np.asarray(free)
    if free_arr.shape != (n,) or free_arr.dtype != np.bool_:
        raise ValueError(f"free must be a boolean array of shape ({n},), got {free_arr.dtype} {free_arr.shape}")
    if max_cycles < 1 or quadrature_points < 5:
        raise ValueError("max_cycles must be >= 1 and quadrature_points >= 5")
    if data.n_persons < 1:
        raise ValueError(f"n_persons must be positive, got {data.n_persons}")
    arrays = {"person": data.person, "item": data.item, "category": data.category}
    shapes = {name: np.shape(value) for name, value in arrays.items()}
    if len(set(shapes.values())) != 1 or len(shapes["item"]) != 1:
        raise ValueError(f"person, item and category must be 1-D arrays of one length, got shapes {shapes}")
    for name, value in arrays.items():
        if np.asarray(value).size and not np.issubdtype(np.asarray(value).dtype, np.integer):
            raise ValueError(f"{name} must hold integers, got {np.asarray(value).dtype}")
    person, item, cat = (np.asarray(v, dtype=np.intp) for v in arrays.values())
    _in_range("person", person, data.n_persons)
    _in_range("item", item, n)
    if item.size:
        bad = np.flatnonzero((cat < 0) | (cat >= params.n_categories[item]))
        if bad.size:
            j = int(bad[0])
            raise ValueError(
                f"{bad.size} responses have a category out of range, e.g. row {j}: category {int(cat[j])} of item "
                f"{int(item[j])}, which has {int(params.n_categories[item[j]])} categories"
            )
        key = person.astype(np.int64) * n + item
        if np.unique(key).size != key.size:
            raise ValueError("a (person, item) pair appears more than once: each person answers an item once")
    answered = np.bincount(item, minlength=n)
    silent = np.flatnonzero(free_arr & (answered == 0))
    if silent.size:
        raise ValueError(f"free items {silent.tolist()} have no responses to estimate them from")
    if method == "oem" and not np.any(~free_arr[item]):
        raise ValueError("OEM needs fixed (operational) items answered: its posteriors come from them alone")
    if method == "stocking-a":
        if theta_hat is None:
            raise ValueError("method 'stocking-a' needs theta_hat, one ability per person")
        th = np.asarray(theta_hat, dtype=np.float64)
        if th.shape != (data.n_persons,) or not np.all(np.isfinite(th)):
            raise ValueError(f"theta_hat must be {data.n_persons} finite abilities, got shape {th.shape}")
    return free_arr


def _in_range(name: str, values: IntArray, n: int) -> None:
    bad = np.flatnonzero((values < 0) | (values >= n))
    if bad.size:
        j = int(bad[0])
        raise ValueError(f"{bad.size} rows have {name} out of range [0, {n}), e.g. row {j}: {int(values[j])}")
