r"""Item log-probabilities and their derivatives with respect to the item's own parameters, for calibration.

:mod:`cat_engine.irt` differentiates with respect to :math:`\theta`; calibration needs the derivatives with respect
to the item parameters. Items are handled in batches of one :class:`Family` (one model, one number of categories,
c free or not), so every array has a fixed parameter dimension ``p`` and the whole batch is one numpy expression.

Parameter vectors :math:`\eta` (the pool's own parameterisation, so standard errors need no delta method):

* dichotomous: :math:`(a, b)` or, with a free lower asymptote, :math:`(a, b, c)`; ``d`` (and ``c`` when not free)
  are constants;
* GPCM: :math:`(a, b_1, \dots, b_m)` (steps); GRM: :math:`(a, b_1, \dots, b_m)` (increasing thresholds).

Derivatives, with :math:`\alpha = Da` and :math:`\sigma` the logistic:

* 4PL, :math:`P = c + (d-c)L`, :math:`L = \sigma(z)`, :math:`z = \alpha(\theta - b)`:
  :math:`\partial_a \log P_1 = (d-c)L(1-L)D(\theta-b)/P`, :math:`\partial_b \log P_1 = -(d-c)L(1-L)\alpha/P`,
  :math:`\partial_c \log P_1 = (1-L)/P`, and for :math:`P_0 = 1 - P` the same numerators over :math:`-(1-P)`;
* GPCM, :math:`Z_k = \sum_{v \le k}(\theta - b_v)`, :math:`P_k \propto e^{\alpha Z_k}`:
  :math:`\partial_a \log P_k = D(Z_k - E[Z])`, :math:`\partial_{b_v} \log P_k = -\alpha(1[k \ge v] - P(X \ge v))`;
* GRM, :math:`P_k = P^*_k - P^*_{k+1}`, :math:`W_k = P^*_k(1 - P^*_k)` (:math:`W_0 = W_{m+1} = 0`):
  :math:`\partial_a \log P_k = D[(\theta - b_k)W_k - (\theta - b_{k+1})W_{k+1}]/P_k`,
  :math:`\partial_{b_k} \log P_k = -\alpha W_k/P_k`, :math:`\partial_{b_{k+1}} \log P_k = \alpha W_{k+1}/P_k`.

Every ratio is formed in log space (:math:`\exp(\log W - \log P)`), so far from the item nothing divides 0 by 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .irt import DICHOTOMOUS, GPCM, GRM

__all__ = ["BOUND", "MIN_A", "Family", "evaluate", "valid"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Bounds of the search: |b| and every step stay within BOUND, a within [MIN_A, MAX_A]; an item estimated at a
#: bound (e.g. every answer correct) is reported as not converged.
BOUND = 15.0
MIN_A = 1e-3
MAX_A = 50.0
#: Smallest gap between consecutive GRM thresholds, and distance of c from 0 and from d.
MIN_GAP = 1e-6


@dataclass(frozen=True)
class Family:
    """Items estimated together: one model, one category count, and (dichotomous) whether c is free."""

    model: int
    n_categories: int
    free_c: bool = False

    @property
    def n_params(self) -> int:
        if self.model == DICHOTOMOUS:
            return 3 if self.free_c else 2
        return self.n_categories  # a and m = K - 1 steps


def _log_sigmoid(x: FloatArray) -> FloatArray:
    result: FloatArray = -np.logaddexp(0.0, -x)
    return result


def evaluate(
    family: Family, eta: FloatArray, fixed: FloatArray, theta: FloatArray, D: float, grad: bool = True
) -> tuple[FloatArray, FloatArray | None]:
    """Log-probabilities of every category and (optionally) their parameter derivatives.

    Parameters
    ----------
    family : Family
    eta : ndarray, shape (n, p)
        Parameters of the n items.
    fixed : ndarray, shape (n, 2)
        ``(c, d)`` of dichotomous items (c ignored when free); unused by polytomous items.
    theta : ndarray, shape (n, Q) or (1, Q)
        Abilities at which each item is evaluated.
    D : float
        Scaling constant.
    grad : bool
        Whether to compute the derivatives.

    Returns
    -------
    logp : ndarray, shape (n, Q, K)
    dlogp : ndarray, shape (n, Q, K, p), or None
    """
    if family.model == DICHOTOMOUS:
        return _dichotomous(family, eta, fixed, theta, D, grad)
    if family.model == GPCM:
        return _gpcm(eta, theta, D, grad)
    if family.model == GRM:
        return _grm(eta, theta, D, grad)
    raise ValueError(f"unknown model code {family.model}")


def _dichotomous(
    family: Family, eta: FloatArray, fixed: FloatArray, theta: FloatArray, D: float, grad: bool
) -> tuple[FloatArray, FloatArray | None]:
    a, b = eta[:, 0:1], eta[:, 1:2]
    c = eta[:, 2:3] if family.free_c else fixed[:, 0:1]
    d = fixed[:, 1:2]
    z = D * a * (theta - b)
    ls, lsn = _log_sigmoid(z), _log_sigmoid(-z)
    with np.errstate(divide="ignore"):
        log_c, log_dc, log_1d = np.log(c), np.log(d - c), np.log(1.0 - d)
    log_p = np.logaddexp(log_c, log_dc + ls)
    log_q = np.logaddexp(log_1d, log_dc + lsn)
    logp = np.stack([log_q, log_p], axis=-1)
    if not grad:
        return logp, None
    log_w = log_dc + ls + lsn  # log (d - c) L (1 - L)
    r1, r0 = np.exp(log_w - log_p), np.exp(log_w - log_q)
    dz_da, dz_db = D * (theta - b), np.broadcast_to(-D * a, z.shape)
    columns = [np.stack([-r0 * dz_da, r1 * dz_da], axis=-1), np.stack([-r0 * dz_db, r1 * dz_db], axis=-1)]
    if family.free_c:
        columns.append(np.stack([-np.exp(lsn - log_q), np.exp(lsn - log_p)], axis=-1))
    return logp, np.stack(columns, axis=-1)


def _gpcm(eta: FloatArray, theta: FloatArray, D: float, grad: bool) -> tuple[FloatArray, FloatArray | None]:
    a, steps = eta[:, 0], eta[:, 1:]
    n, m = steps.shape
    shape = np.broadcast_shapes(theta.shape, (n, 1))
    big_z = np.zeros((*shape, m + 1))
    big_z[..., 1:] = np.cumsum(theta[..., None] - steps[:, None, :], axis=-1)
    z = (D * a)[:, None, None] * big_z
    top = z.max(axis=-1, keepdims=True)
    logp = z - top - np.log(np.exp(z - top).sum(axis=-1, keepdims=True))
    if not grad:
        return logp, None
    p = np.exp(logp)
    dlogp = np.empty((*shape, m + 1, m + 1))
    dlogp[..., 0] = D * (big_z - (p * big_z).sum(axis=-1, keepdims=True))
    at_least = np.cumsum(p[..., ::-1], axis=-1)[..., ::-1][..., 1:]  # P(X >= v), v = 1..m
    indicator = (np.arange(m + 1)[:, None] >= np.arange(1, m + 1)[None, :]).astype(np.float64)  # (K, m)
    dlogp[..., 1:] = -(D * a)[:, None, None, None] * (indicator - at_least[..., None, :])
    return logp, dlogp


def _grm(eta: FloatArray, theta: FloatArray, D: float, grad: bool) -> tuple[FloatArray, FloatArray | None]:
    a, thresholds = eta[:, 0], eta[:, 1:]
    m = thresholds.shape[1]
    alpha = (D * a)[:, None, None]
    gap = thresholds[:, 1:] - thresholds[:, :-1]  # (n, m - 1), positive when valid
    diff = theta[..., None] - thresholds[:, None, :]  # (n, Q, m)
    z = alpha * diff
    ls, lsn = _log_sigmoid(z), _log_sigmoid(-z)
    shape = z.shape[:-1]
    logp = np.empty((*shape, m + 1))
    logp[..., 0] = lsn[..., 0]
    logp[..., m] = ls[..., m - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.log(-np.expm1(-(D * a)[:, None] * gap))  # (n, m - 1)
    logp[..., 1:m] = ls[..., :-1] + lsn[..., 1:] + factor[:, None, :]
    if not grad:
        return logp, None
    log_w = ls + lsn  # log W_k, k = 1..m
    # W_k / P_k (k = 1..m) and W_{k+1} / P_k (k = 0..m-1)
    upper = np.exp(log_w - logp[..., 1:])
    lower = np.exp(log_w - logp[..., :-1])
    dlogp = np.zeros((*shape, m + 1, m + 1))
    dlogp[..., 1:, 0] += D * diff * upper
    dlogp[..., :-1, 0] -= D * diff * lower
    k = np.arange(m)
    dlogp[..., k + 1, k + 1] = -alpha * upper  # d log P_k / d b_k
    dlogp[..., k, k + 1] = alpha * lower  # d log P_k / d b_{k+1}
    return logp, dlogp


def valid(family: Family, eta: FloatArray, fixed: FloatArray, margin: float = 0.0) -> BoolArray:
    """Whether each row of ``eta`` is an admissible parameter vector (inside the search bounds, by ``margin``)."""
    a = eta[:, 0]
    ok: BoolArray = (a >= MIN_A + margin) & (a <= MAX_A - margin) & np.all(np.abs(eta[:, 1:]) <= BOUND - margin, axis=1)
    ok &= np.all(np.isfinite(eta), axis=1)
    if family.model == DICHOTOMOUS and family.free_c:
        ok &= (eta[:, 2] > MIN_GAP + margin) & (eta[:, 2] < fixed[:, 1] - MIN_GAP - margin)
    if family.model == GRM and eta.shape[1] > 2:
        ok &= np.all(np.diff(eta[:, 1:], axis=1) > MIN_GAP + margin, axis=1)
    return ok
