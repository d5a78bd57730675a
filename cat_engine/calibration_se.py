r"""Standard errors of calibrated item parameters: observed information of each item at its estimate.

Each free item's covariance is the inverse of its own block of the information (other items' parameters, fixed or
free, held at their estimates: the per-item block that BILOG-MG and mirt's item-wise SEs also report).

* **MEM** (:func:`marginal_information`): the observed information of the item's *marginal* log-likelihood,

  .. math:: \ell_i(\eta) = \sum_{j \in i} \log \sum_q w_{jq}\,P_{x_j}(\theta_q; \eta) + \log\pi(\eta),

  where row :math:`j` is one examinee's answer :math:`x_j` to item :math:`i` and :math:`w_{jq}` is that examinee's
  posterior at node :math:`q` *without* this item (the prior times every other answered item's probability). Its
  score is :math:`\nabla\ell_i = \sum_j \sum_q \tilde w_{jq} \nabla\log P_{x_j}(\theta_q)` with :math:`\tilde w`
  the posterior *with* the item, which is analytic; the Hessian is its central difference. This equals Louis's
  (1982) observed information (complete-data information minus the missing information), so it does not treat
  the examinees' abilities as known.
* **OEM** (:func:`sandwich_information`): OEM maximises the expected complete-data log-likelihood with posteriors
  that do not depend on the item, an M-estimator, so its covariance is the sandwich :math:`A^{-1} B A^{-1}`,
  :math:`A` the negative Hessian of that objective, :math:`B = \sum_j g_j g_j^\top` the cross-product of the
  examinees' scores :math:`g_j = \sum_q w_{jq} \nabla\log P_{x_j}(\theta_q)`.
* **Stocking's Method A** (:func:`fixed_theta_information`): the negative Hessian of
  :math:`\sum_j \log P_{x_j}(\hat\theta_j)`, i.e. with abilities treated as known. It ignores the error in
  :math:`\hat\theta`, so it understates the true sampling variability (and the estimates are attenuated).

With a Beta prior on the 3PL's c the prior's curvature is part of the information (posterior-mode SEs).
Central differences use steps :math:`h = 10^{-4}\max(1, |\eta|)`, accurate to about :math:`h^2` relative.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from .calibration_models import Family, evaluate
from .calibration_mstep import BetaPrior, SlopePrior, gradient

__all__ = [
    "fixed_theta_information",
    "marginal_information",
    "sandwich_information",
    "standard_errors",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
ScoreFn = Callable[[FloatArray], FloatArray]

RELATIVE_STEP = 1e-4


def _fd_hessian(score: ScoreFn, eta: FloatArray) -> FloatArray:
    """Central-difference Jacobian of a per-item score ``(n, p) -> (n, p)``, symmetrised: shape (n, p, p)."""
    n, p = eta.shape
    hessian = np.empty((n, p, p))
    for j in range(p):
        h = RELATIVE_STEP * np.maximum(1.0, np.abs(eta[:, j]))
        up, down = eta.copy(), eta.copy()
        up[:, j] += h
        down[:, j] -= h
        hessian[:, :, j] = (score(up) - score(down)) / (2.0 * h[:, None])
    result: FloatArray = 0.5 * (hessian + np.swapaxes(hessian, 1, 2))
    return result


def _row_scores(
    family: Family,
    eta: FloatArray,
    fixed: FloatArray,
    nodes: FloatArray,
    D: float,
    row_item: IntArray,
    row_cat: IntArray,
    row_logw: FloatArray,
    include_item: bool,
) -> FloatArray:
    """:math:`\\sum_q \\tilde w_{jq} \\nabla \\log P_{x_j}(\\theta_q)` of every row, shape (R, p); the weights are
    ``row_logw`` normalised, times the item's own probability when ``include_item``."""
    logp, dlogp = evaluate(family, eta, fixed, nodes[None, :], D, grad=True)
    assert dlogp is not None
    log_weight = row_logw + logp[row_item, :, row_cat] if include_item else row_logw
    log_weight = log_weight - log_weight.max(axis=1, keepdims=True)
    weight = np.exp(log_weight)
    weight /= weight.sum(axis=1, keepdims=True)
    result: FloatArray = np.einsum("rq,rqp->rp", weight, dlogp[row_item, :, row_cat, :])
    return result


def _per_item(values: FloatArray, row_item: IntArray, n: int) -> FloatArray:
    out = np.zeros((n, *values.shape[1:]))
    np.add.at(out, row_item, values)
    return out


def marginal_information(
    family: Family,
    eta: FloatArray,
    fixed: FloatArray,
    nodes: FloatArray,
    D: float,
    prior: BetaPrior | None,
    row_item: IntArray,
    row_cat: IntArray,
    row_logw: FloatArray,
    slope: SlopePrior | None = None,
) -> FloatArray:
    """Observed information of each item's marginal log-likelihood, shape (n, p, p) (with the priors' curvature).

    ``row_item`` (position of the row's item in ``eta``), ``row_cat`` and ``row_logw`` (shape (R, Q), the log
    posterior of the row's examinee without this item, unnormalised) describe the item's answers.
    """
    n = eta.shape[0]

    def score(at: FloatArray) -> FloatArray:
        rows = _row_scores(family, at, fixed, nodes, D, row_item, row_cat, row_logw, include_item=True)
        total = _per_item(rows, row_item, n)
        if prior is not None and family.free_c:
            total[:, 2] += prior.gradient(at[:, 2])
        if slope is not None:
            total[:, 0] += slope.gradient(at[:, 0])
        return total

    return -_fd_hessian(score, eta)


def sandwich_information(
    family: Family,
    eta: FloatArray,
    fixed: FloatArray,
    nodes: FloatArray,
    D: float,
    prior: BetaPrior | None,
    weights: FloatArray,
    row_item: IntArray,
    row_cat: IntArray,
    row_logw: FloatArray,
    slope: SlopePrior | None = None,
) -> FloatArray:
    """The inverse of the sandwich covariance :math:`A^{-1}BA^{-1}`, i.e. :math:`A B^{-1} A`, shape (n, p, p).

    ``weights`` (n, Q, K) are the expected counts the M-step maximised; ``row_logw`` the examinees' log posteriors
    that produced them (without the item).
    """
    n = eta.shape[0]

    def score(at: FloatArray) -> FloatArray:
        grad, _ = gradient(family, at, fixed, nodes[None, :], weights, D, prior, slope=slope)
        return grad

    a = -_fd_hessian(score, eta)
    rows = _row_scores(family, eta, fixed, nodes, D, row_item, row_cat, row_logw, include_item=False)
    b = _per_item(np.einsum("rp,rs->rps", rows, rows), row_item, n)
    result: FloatArray = a @ _pinv(b) @ a
    return result


def fixed_theta_information(
    family: Family,
    eta: FloatArray,
    fixed: FloatArray,
    theta: FloatArray,
    weights: FloatArray,
    D: float,
    prior: BetaPrior | None,
    slope: SlopePrior | None = None,
) -> FloatArray:
    """Negative Hessian of the log-likelihood with abilities fixed (``theta`` (n, R), one-hot ``weights``)."""

    def score(at: FloatArray) -> FloatArray:
        grad, _ = gradient(family, at, fixed, theta, weights, D, prior, slope=slope)
        return grad

    return -_fd_hessian(score, eta)


def _pinv(matrices: FloatArray) -> FloatArray:
    result = np.asarray(np.linalg.pinv(matrices, hermitian=True), dtype=np.float64)
    return result


def standard_errors(information: FloatArray) -> FloatArray:
    """Square roots of the diagonal of each information matrix's inverse, shape (n, p); NaN where the matrix is not
    positive definite (an item whose data do not identify its parameters)."""
    n, p, _ = information.shape
    out = np.full((n, p), np.nan)
    for i in range(n):  # a few dozen small matrices; a loop keeps a singular one from failing the others
        try:
            chol = np.linalg.cholesky(information[i])
        except np.linalg.LinAlgError:
            continue
        inverse = np.asarray(np.linalg.inv(chol), dtype=np.float64)
        out[i] = np.sqrt((inverse * inverse).sum(axis=0))
    return out
