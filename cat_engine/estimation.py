r"""Ability estimation: EAP (default), MAP, MLE and WLE, each with its standard error.

Every estimator works on the bounded theta range ``[theta_min, theta_max]`` of its :class:`EstimatorConfig`
(default ``[-4, 4]``) and is vectorised across examinees: :func:`estimate_batch` serves simulations of thousands of
examinees, :func:`estimate` one live session. With the log-likelihood of a response pattern

.. math:: \ell(\theta) = \sum_{i} \log P_{i x_i}(\theta), \qquad I(\theta) = \sum_i I_i(\theta)

* **EAP** (Bock & Mislevy, 1982): posterior mean and standard deviation under a normal prior
  :math:`N(\mu, \sigma^2)`, by quadrature on ``quadrature_points`` equally spaced nodes :math:`q_j` over the range,

  .. math:: \hat\theta = \frac{\sum_j q_j L(q_j) \phi(q_j)}{\sum_j L(q_j)\phi(q_j)},\quad
            SE = \Big(\frac{\sum_j (q_j - \hat\theta)^2 L(q_j)\phi(q_j)}{\sum_j L(q_j)\phi(q_j)}\Big)^{1/2}

* **MAP** (Samejima, 1969; Baker & Kim, 2004): posterior mode, maximising :math:`\ell(\theta) + \log\phi(\theta)`,
  :math:`SE = (I(\hat\theta) + \sigma^{-2})^{-1/2}`.
* **MLE**: maximises :math:`\ell(\theta)`, :math:`SE = I(\hat\theta)^{-1/2}`.
* **WLE** (Warm, 1989): solves Warm's estimating equation :math:`\ell'(\theta) + J(\theta)/(2I(\theta)) = 0` with
  :math:`J = \sum_i \sum_k P_{ik}' P_{ik}'' / P_{ik}` (analytic, :func:`cat_engine.irt.score_derivatives`);
  :math:`SE = I(\hat\theta)^{-1/2}`. For 1PL/2PL, GPCM and GRM items this is the maximum of
  :math:`\ell + \tfrac12\log I`; for 3PL/4PL items it is not, and the engine solves Warm's equation.

The three modes start from the best node of the quadrature grid (for WLE, of :math:`\ell + \tfrac12\log I`),
which guards against the local maxima of 3PL likelihoods, moved to the vertex of the parabola through it and its two
neighbours, and are refined by Newton's method with the observed
curvature :math:`\ell''` where the objective is concave, and Fisher scoring
:math:`\theta \leftarrow \theta + s(\theta)/I(\theta)` elsewhere, with steps capped at 1 and the result kept inside
the range; iteration stops when a step is below 1e-8.

EAP weights the nodes by the trapezoid rule (half weight at the two end nodes), so it is the posterior mean and SD
of the prior restricted to the range, integrated to the rule's accuracy.

Extreme patterns (all correct, all wrong, all in the top category, no responses yet)
----------------------------------------------------------------------------------
No estimator ever returns inf or NaN.

* EAP and MAP are always finite: the prior keeps them near the data; with no responses EAP gives the prior mean
  and SD (restricted to the range) and MAP the prior mean with SE :math:`\sigma`.
* MLE has no finite maximum for all-correct or all-wrong patterns; it returns the bound of the range the
  likelihood rises towards (``theta_max`` or ``theta_min``).
* WLE is finite for such patterns in the 1PL/2PL and usually for 3PL/4PL, but is also clamped to the range.
* For MLE and WLE, an estimate on a bound of the range, or with no item answered (the estimate is then the
  prior mean), reports the SE cap, the width of the range ``theta_max - theta_min``; other SEs are capped there
  too. So a precision target is never met by a degenerate estimate.
* MAP can also reach a bound for extreme data (e.g. twenty hard items all correct); its SE keeps its formula
  there, so unlike MLE and WLE it can meet a precision target on the bound.
* Log-probabilities are computed in log space (:mod:`cat_engine.irt`), so however improbable a response, it
  neither underflows nor is floored, and a likelihood never turns flat by rounding.

References
----------
Bock, R. D., & Mislevy, R. J. (1982). Adaptive EAP estimation of ability in a microcomputer environment. APM 6(4).
Warm, T. A. (1989). Weighted likelihood estimation of ability in item response theory. Psychometrika 54(3).
Baker, F. B., & Kim, S.-H. (2004). Item Response Theory: Parameter Estimation Techniques (2nd ed.).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
import numpy.typing as npt

from .irt import ItemParams, information, log_probability, score_derivatives

__all__ = [
    "METHODS",
    "EstimatorConfig",
    "LogLikTable",
    "estimate",
    "estimate_batch",
    "final_exists",
    "node_information",
    "node_loglik",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Method = Literal["eap", "map", "mle", "wle"]
METHODS: tuple[Method, ...] = ("eap", "map", "mle", "wle")

_MAX_ITERATIONS = 50
_TOLERANCE = 1e-8
_WARM_STEP = 1e-5
_SECANT_MIN_STEP = 1e-7  # shorter steps: the secant of Warm's correction is mostly rounding
_INFO_FLOOR = 1e-12
_BOUND_TOLERANCE = 1e-6


@dataclass(frozen=True)
class EstimatorConfig:
    """How a subtest estimates ability.

    Parameters
    ----------
    method : {"eap", "map", "mle", "wle"}
    prior_mean, prior_sd : float
        Normal prior of EAP and MAP (and the start of MLE/WLE before any response).
    quadrature_points : int
        EAP nodes (and the grid the other methods start from), equally spaced over the range.
    theta_min, theta_max : float
        Bounds of the theta scale.
    final : {"eap", "map", "mle", "wle"}, optional
        The method of the reported estimate once the subtest has ended, when it differs from the one that guides
        the test (e.g. EAP during the test for stable selection, WLE at the end for an estimate without the
        prior's shrinkage); None for ``method``.
    """

    method: Method = "eap"
    prior_mean: float = 0.0
    prior_sd: float = 1.0
    quadrature_points: int = 61
    theta_min: float = -4.0
    theta_max: float = 4.0
    final: Method | None = None

    def __post_init__(self) -> None:
        for method in (self.method, self.final or self.method):
            if method not in METHODS:
                raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if not self.prior_sd > 0:
            raise ValueError("prior_sd must be > 0")
        if self.quadrature_points < 11:
            raise ValueError("quadrature_points must be at least 11")
        if not self.theta_min < self.prior_mean < self.theta_max:
            raise ValueError("need theta_min < prior_mean < theta_max")

    @cached_property
    def nodes(self) -> FloatArray:
        """Quadrature nodes, shape (quadrature_points,)."""
        nodes = np.linspace(self.theta_min, self.theta_max, self.quadrature_points)
        nodes.setflags(write=False)
        return nodes

    @cached_property
    def nodes_squared(self) -> FloatArray:
        """Squares of the nodes (for the posterior variance)."""
        result: FloatArray = self.nodes**2
        result.setflags(write=False)
        return result

    @cached_property
    def node_powers(self) -> FloatArray:
        """``[1, q_j, q_j^2]`` per node, shape (quadrature_points, 3): one product with the posterior weights gives
        their sum and the first two raw moments."""
        result: FloatArray = np.stack([np.ones_like(self.nodes), self.nodes, self.nodes_squared], axis=1)
        result.setflags(write=False)
        return result

    @cached_property
    def log_prior(self) -> FloatArray:
        """Log of the normal prior density at the nodes (up to a constant)."""
        z = (self.nodes - self.prior_mean) / self.prior_sd
        result: FloatArray = -0.5 * z * z
        result.setflags(write=False)
        return result

    @cached_property
    def log_eap_weights(self) -> FloatArray:
        """Log of the prior times the trapezoid weights (half weight at the two end nodes)."""
        result: FloatArray = self.log_prior.copy()
        result[[0, -1]] += np.log(0.5)
        result.setflags(write=False)
        return result

    @property
    def se_cap(self) -> float:
        """The largest SE MLE and WLE report (the width of the range)."""
        return self.theta_max - self.theta_min


@dataclass(frozen=True, eq=False)
class LogLikTable:
    """:math:`\\log P_{ik}(q_j)` of every item ``i``, category ``k`` and quadrature node ``q_j``.

    Built once per pool and estimator, it turns the log-likelihood at the nodes into a gather and a sum, the
    cost of an EAP estimate in a live session and of each position of a simulation. The values are exactly
    those :func:`~cat_engine.irt.log_probability` gives at the nodes.
    """

    values: FloatArray  # shape (n_items, max_categories, Q)

    @classmethod
    def build(cls, config: EstimatorConfig, params: ItemParams) -> LogLikTable:
        """Tabulate ``params`` at ``config``'s nodes."""
        items = np.arange(params.size)[:, None, None]
        categories = np.arange(params.max_categories)[None, :, None]
        values = log_probability(config.nodes[None, None, :], params, items, categories)
        values.setflags(write=False)
        return cls(values)

    def loglik(self, items: IntArray, categories: IntArray) -> FloatArray:
        """Log-likelihood at the nodes; ``items``, ``categories`` shape ``(..., L)`` give ``(..., Q)``."""
        result: FloatArray = self.values[items, categories].sum(axis=-2)
        return result


def node_loglik(
    config: EstimatorConfig, params: ItemParams, items: npt.ArrayLike, categories: npt.ArrayLike
) -> FloatArray:
    """Log-likelihood at the quadrature nodes, computed directly (see :class:`LogLikTable` for the cached form).

    ``items`` and ``categories`` have shape ``(..., L)``; the result has shape ``(..., Q)``.
    """
    items_arr = np.asarray(items, dtype=np.intp)
    cats = np.asarray(categories, dtype=np.intp)
    logp = log_probability(config.nodes[:, None], params, items_arr[..., None, :], cats[..., None, :])
    result: FloatArray = logp.sum(axis=-1)
    return result


def node_information(
    config: EstimatorConfig, params: ItemParams, items: npt.ArrayLike, mask: npt.ArrayLike | None = None
) -> FloatArray:
    """Test information at the quadrature nodes; ``items`` (and ``mask``) shape ``(..., L)`` gives ``(..., Q)``."""
    items_arr = np.asarray(items, dtype=np.intp)
    info = information(config.nodes[:, None], params, items_arr[..., None, :])
    if mask is not None:
        info = info * np.asarray(mask, dtype=bool)[..., None, :]
    result: FloatArray = info.sum(axis=-1)
    return result


def estimate(
    config: EstimatorConfig,
    params: ItemParams,
    items: Sequence[int] | IntArray,
    categories: Sequence[int] | IntArray,
    table: LogLikTable | None = None,
) -> tuple[float, float]:
    """Theta and SE of one examinee from the items answered and the categories scored.

    ``table``, when given, must be ``LogLikTable.build(config, params)``; it only makes the call faster.
    """
    if table is not None and config.method == "eap" and len(items):
        # a live session's step: the gathered rows summed over the same axis as table.loglik sums (same values)
        return _eap_one(config, table.values[items, categories].sum(axis=0))
    items_arr = np.asarray(items, dtype=np.intp).reshape(1, -1)
    cats = np.asarray(categories, dtype=np.intp).reshape(1, -1)
    loglik = node_loglik(config, params, items_arr, cats) if table is None else table.loglik(items_arr, cats)
    if config.method == "eap":
        return _eap_one(config, loglik[0])
    theta, se = estimate_batch(config, params, loglik, items_arr, cats, np.ones(items_arr.shape, dtype=bool))
    return float(theta[0]), float(se[0])


def final_exists(config: EstimatorConfig, theta: float | FloatArray) -> npt.NDArray[np.bool_]:
    """Whether each estimate is a maximum inside the theta range rather than pinned to one of its bounds (always
    true for EAP, whose posterior mean lies inside)."""
    at = np.asarray(theta, dtype=np.float64)
    if config.method == "eap":
        return np.ones(at.shape, dtype=bool)
    inside: npt.NDArray[np.bool_] = (at > config.theta_min + _BOUND_TOLERANCE) & (
        at < config.theta_max - _BOUND_TOLERANCE
    )
    return inside


def estimate_batch(
    config: EstimatorConfig,
    params: ItemParams,
    loglik: FloatArray,
    items: IntArray,
    categories: IntArray,
    mask: npt.NDArray[np.bool_],
    info_at_nodes: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Theta and SE of many examinees at once.

    Parameters
    ----------
    loglik : ndarray, shape (N, Q)
        Each examinee's log-likelihood at the nodes (:func:`node_loglik`).
    items, categories : ndarray of int, shape (N, L)
        Items answered and categories scored, padded where ``mask`` is false (padding must be valid indices,
        e.g. 0).
    mask : ndarray of bool, shape (N, L)
        Which entries are real responses.
    info_at_nodes : ndarray, shape (N, Q), optional
        Test information at the nodes; WLE uses it for its starting grid and computes it when omitted.

    Returns
    -------
    theta, se : ndarray, shape (N,)
    """
    if config.method == "eap":
        return _eap(config, loglik)
    objective = loglik.copy()
    if config.method == "map":
        objective += config.log_prior
    elif config.method == "wle":
        if info_at_nodes is None:
            info_at_nodes = node_information(config, params, items, mask)
        objective += 0.5 * np.log(np.maximum(info_at_nodes, _INFO_FLOOR))
    answered = np.any(mask, axis=1)
    start = _grid_start(config, objective)
    start = np.where(answered, start, config.prior_mean)
    return _newton(config, params, start, items, categories, mask, answered)


def _grid_start(config: EstimatorConfig, objective: FloatArray) -> FloatArray:
    """Each row's best node, moved to the vertex of the parabola through it and its neighbours.

    The vertex of the parabola through :math:`(q_{j-1}, f_{j-1}), (q_j, f_j), (q_{j+1}, f_{j+1})` is
    :math:`q_j + \\tfrac h2 (f_{j-1} - f_{j+1}) / (f_{j-1} - 2f_j + f_{j+1})`; it is used only where the three
    points are concave and kept within half a spacing, so Newton starts close to the mode and needs few steps.
    """
    n_nodes = config.quadrature_points
    best = np.argmax(objective, axis=1)
    inner = np.minimum(np.maximum(best, 1), n_nodes - 2)
    rows = np.arange(objective.shape[0])
    left, mid, right = objective[rows, inner - 1], objective[rows, inner], objective[rows, inner + 1]
    curvature = left - 2.0 * mid + right
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(curvature < 0, 0.5 * (left - right) / curvature, 0.0)
    shift = np.where((best == inner) & np.isfinite(shift), np.minimum(np.maximum(shift, -0.5), 0.5), 0.0)
    spacing = (config.theta_max - config.theta_min) / (n_nodes - 1)
    result: FloatArray = config.nodes[best] + shift * spacing
    return result


def _eap(config: EstimatorConfig, loglik: FloatArray) -> tuple[FloatArray, FloatArray]:
    log_post = loglik + config.log_eap_weights
    log_post -= log_post.max(axis=-1, keepdims=True)
    weights = np.exp(log_post)
    weights /= weights.sum(axis=-1, keepdims=True)
    theta = weights @ config.nodes
    var = weights @ config.nodes_squared - theta**2
    return theta, np.sqrt(np.maximum(var, 0.0))


def _eap_one(config: EstimatorConfig, loglik: FloatArray) -> tuple[float, float]:
    """:func:`_eap` for one examinee, in fewer numpy calls (the per-answer path of a live session).

    With :math:`w_j` the posterior weights at the nodes, scaled so the largest is 1, one product with
    :attr:`EstimatorConfig.node_powers` gives :math:`(\\sum w_j, \\sum w_j q_j, \\sum w_j q_j^2)`; then
    :math:`\\hat\\theta = \\sum w_j q_j / \\sum w_j` and :math:`SE^2 = \\sum w_j q_j^2 / \\sum w_j - \\hat\\theta^2`.
    """
    weights = loglik + config.log_eap_weights
    weights -= weights.max()
    np.exp(weights, out=weights)
    total, first, second = (weights @ config.node_powers).tolist()
    theta = first / total
    return theta, max(second / total - theta * theta, 0.0) ** 0.5


def _test_info(theta: FloatArray, params: ItemParams, items: IntArray, mask: npt.NDArray[np.bool_]) -> FloatArray:
    result: FloatArray = (information(theta[:, None], params, items) * mask).sum(axis=1)
    return result


def _warm_correction(
    theta: FloatArray, params: ItemParams, items: IntArray, categories: IntArray, mask: npt.NDArray[np.bool_]
) -> FloatArray:
    """:math:`J(\\theta) / (2 I(\\theta))`, Warm's correction to the score, per row."""
    _, _, info_i, warm_i = score_derivatives(theta[:, None], params, items, categories)
    info = (info_i * mask).sum(axis=1)
    result: FloatArray = (warm_i * mask).sum(axis=1) / (2.0 * np.maximum(info, _INFO_FLOOR))
    return result


def _newton(
    config: EstimatorConfig,
    params: ItemParams,
    start: FloatArray,
    items: IntArray,
    categories: IntArray,
    mask: npt.NDArray[np.bool_],
    answered: npt.NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray]:
    """Refine the modes by Newton's method, falling back to Fisher scoring where the objective is not concave."""
    theta = start.astype(np.float64, copy=True)
    prior_precision = 1.0 / config.prior_sd**2
    active = answered.copy()
    # WLE: each row's last iterate, its Warm correction there and the correction's slope (see below); every row
    # iterates from the first pass on, until it leaves the active set for good
    last_theta = np.zeros(theta.shape)
    last_correction = np.zeros(theta.shape)
    correction_slope = np.zeros(theta.shape)
    for iteration in range(_MAX_ITERATIONS):
        if not active.any():
            break
        if active.all():  # the common case, and always for one examinee: no row selection to copy
            idx: IntArray | slice = slice(None)
            t, m, rows_items, rows_cats = theta.copy(), mask, items, categories
        else:
            idx = np.flatnonzero(active)
            t, m, rows_items, rows_cats = theta[idx], mask[idx], items[idx], categories[idx]
        score_i, curvature_i, info_i, warm_i = score_derivatives(t[:, None], params, rows_items, rows_cats)
        score, curvature, info = (score_i * m).sum(axis=1), (curvature_i * m).sum(axis=1), (info_i * m).sum(axis=1)
        if config.method == "map":
            score = score - (t - config.prior_mean) * prior_precision
            curvature = curvature - prior_precision
            info = info + prior_precision
        elif config.method == "wle":
            # Warm's estimating equation g = l'(theta) + C(theta) = 0, C = J / (2 I). Newton needs g' in full: the
            # correction's own slope C' matters on short tests, where leaving it out makes the iteration swing
            # around the root. It is a forward difference at the first iterate, then the secant through a row's
            # last two iterates (one evaluation per step instead of three); a step too short for a secant keeps the
            # slope before. Only the speed of convergence depends on it, not the root.
            correction = (warm_i * m).sum(axis=1) / (2.0 * np.maximum(info, _INFO_FLOOR))
            score = score + correction
            if iteration == 0:
                up = _warm_correction(t + _WARM_STEP, params, rows_items, rows_cats, m)
                slope_c = (up - correction) / _WARM_STEP
            else:
                moved = t - last_theta[idx]
                with np.errstate(divide="ignore", invalid="ignore"):
                    secant = (correction - last_correction[idx]) / moved
                slope_c = np.where(np.abs(moved) > _SECANT_MIN_STEP, secant, correction_slope[idx])
            last_theta[idx], last_correction[idx], correction_slope[idx] = t, correction, slope_c
            curvature = curvature + slope_c
        slope = np.where(curvature < 0, -curvature, info)
        step = np.minimum(np.maximum(score / np.maximum(slope, _INFO_FLOOR), -1.0), 1.0)
        # (np.minimum/np.maximum rather than np.clip, whose wrapper costs more than the arithmetic here)
        new = np.minimum(np.maximum(t + step, config.theta_min), config.theta_max)
        theta[idx] = new
        active[idx] = np.abs(new - t) > _TOLERANCE
    info = _test_info(theta, params, items, mask)
    if config.method == "map":
        return theta, 1.0 / np.sqrt(info + prior_precision)
    # MLE and WLE: an estimate pinned to a bound of the range is no maximum, so it gets the capped SE.
    at_bound = (theta <= config.theta_min + _TOLERANCE) | (theta >= config.theta_max - _TOLERANCE)
    se = np.minimum(1.0 / np.sqrt(np.maximum(info, _INFO_FLOOR)), config.se_cap)
    return theta, np.where(answered & ~at_bound, se, config.se_cap)
