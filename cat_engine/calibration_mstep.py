r"""The M-step of calibration: maximise each item's weighted log-likelihood, all items of a family at once.

For item :math:`i` with parameters :math:`\eta_i` the objective is

.. math:: f_i(\eta_i) = \sum_{q} \sum_{k} r_{iqk} \log P_k(\theta_{iq}; \eta_i) + \log \pi(\eta_i),

where :math:`r_{iqk}` is the expected number of examinees at node :math:`\theta_q` answering in category :math:`k`
(EM; :math:`\theta_{iq}` the shared quadrature nodes) or an indicator of one examinee's answer at that examinee's
fixed :math:`\hat\theta` (Stocking's Method A; :math:`\theta_{iq}` then differs by item), and :math:`\pi` is the
prior (only the 3PL's lower asymptote has one: :class:`BetaPrior`).

It is maximised by Fisher scoring: the step solves :math:`\mathcal{I}\,\Delta = \nabla f` with the expected
information :math:`\mathcal{I} = \sum_q N_q \sum_k P_k\,\nabla\log P_k \nabla\log P_k^\top - \nabla^2 \log \pi`,
:math:`N_q = \sum_k r_{iqk}`, which is positive definite wherever the data carry information, so every step goes
uphill. A step is capped at :data:`MAX_STEP` in any coordinate and halved until the objective does not fall and
the parameters stay admissible (:func:`cat_engine.calibration_models.valid`). An item stops when its step is
below ``tol``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .calibration_models import Family, evaluate, valid
from .irt import DICHOTOMOUS

__all__ = ["BetaPrior", "MStepResult", "SlopePrior", "gradient", "maximize", "objective"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MAX_STEP = 1.0
HALVINGS = 40


@dataclass(frozen=True)
class BetaPrior:
    r"""Beta(:math:`\alpha, \beta`) prior on the 3PL lower asymptote,
    :math:`\log\pi(c) = (\alpha-1)\log c + (\beta-1)\log(1-c)` up to a constant.

    The default Beta(5, 17) is BILOG-MG's default for five-option items: :math:`\alpha = 20p + 1`,
    :math:`\beta = 20(1-p) + 1` with :math:`p = 1/5`, mode :math:`(\alpha-1)/(\alpha+\beta-2) = 0.2`, weight of about
    20 pseudo-responses.
    """

    alpha: float = 5.0
    beta: float = 17.0

    def log_density(self, c: FloatArray) -> FloatArray:
        result: FloatArray = (self.alpha - 1.0) * np.log(c) + (self.beta - 1.0) * np.log1p(-c)
        return result

    def gradient(self, c: FloatArray) -> FloatArray:
        result: FloatArray = (self.alpha - 1.0) / c - (self.beta - 1.0) / (1.0 - c)
        return result

    def curvature(self, c: FloatArray) -> FloatArray:
        """Second derivative of the log density (negative)."""
        result: FloatArray = -(self.alpha - 1.0) / c**2 - (self.beta - 1.0) / (1.0 - c) ** 2
        return result


@dataclass(frozen=True)
class SlopePrior:
    r"""Lognormal prior on the discrimination, :math:`\log a \sim N(\mu, \sigma^2)`:
    :math:`\log\pi(a) = -\log a - (\log a - \mu)^2 / (2\sigma^2)` up to a constant.

    BILOG-MG puts one on the slopes by default (:math:`\sigma = 0.5`); with a few dozen to a few hundred answers an
    item's a is weakly identified (an item answered right by nearly everyone runs to a step function, a very large
    a), and the prior keeps it finite at the cost of a pull towards :math:`e^{\mu}`, which fades as answers grow.
    Derivatives in a: :math:`\partial \log\pi = -[1 + (\log a - \mu)/\sigma^2] / a`,
    :math:`\partial^2 \log\pi = [1 - 1/\sigma^2 + (\log a - \mu)/\sigma^2] / a^2`.
    """

    mean_log: float = 0.0
    sd_log: float = 0.5

    def __post_init__(self) -> None:
        if not (np.isfinite(self.mean_log) and self.sd_log > 0 and np.isfinite(self.sd_log)):
            raise ValueError(
                f"slope prior: mean_log must be finite and sd_log > 0 (got {self.mean_log}, {self.sd_log})"
            )

    def log_density(self, a: FloatArray) -> FloatArray:
        z = np.log(a) - self.mean_log
        result: FloatArray = -np.log(a) - z * z / (2.0 * self.sd_log**2)
        return result

    def gradient(self, a: FloatArray) -> FloatArray:
        result: FloatArray = -(1.0 + (np.log(a) - self.mean_log) / self.sd_log**2) / a
        return result

    def curvature(self, a: FloatArray) -> FloatArray:
        """Second derivative of the log density."""
        v = self.sd_log**2
        result: FloatArray = (1.0 - 1.0 / v + (np.log(a) - self.mean_log) / v) / (a * a)
        return result


@dataclass(frozen=True)
class MStepResult:
    eta: FloatArray
    converged: BoolArray
    iterations: int


def _has_prior(family: Family, prior: BetaPrior | None) -> bool:
    return prior is not None and family.model == DICHOTOMOUS and family.free_c


def objective(
    family: Family,
    eta: FloatArray,
    fixed: FloatArray,
    theta: FloatArray,
    weights: FloatArray,
    D: float,
    prior: BetaPrior | None,
    slope: SlopePrior | None = None,
) -> FloatArray:
    """:math:`f_i(\\eta_i)` of every item, shape (n,). ``weights`` has shape (n, Q, K); ``slope``: a prior on a
    (every model's first parameter)."""
    logp, _ = evaluate(family, eta, fixed, theta, D, grad=False)
    # 0 * -inf (a category an item cannot produce, weighted 0) counts as 0
    value: FloatArray = np.where(weights > 0, weights * logp, 0.0).sum(axis=(1, 2))
    if prior is not None and _has_prior(family, prior):
        value = value + prior.log_density(eta[:, 2])
    if slope is not None:
        value = value + slope.log_density(eta[:, 0])
    return value


def gradient(
    family: Family,
    eta: FloatArray,
    fixed: FloatArray,
    theta: FloatArray,
    weights: FloatArray,
    D: float,
    prior: BetaPrior | None,
    with_information: bool = False,
    slope: SlopePrior | None = None,
) -> tuple[FloatArray, FloatArray | None]:
    """:math:`\\nabla f_i`, shape (n, p), and optionally the expected information, shape (n, p, p)."""
    logp, dlogp = evaluate(family, eta, fixed, theta, D, grad=True)
    assert dlogp is not None
    grad: FloatArray = np.einsum("nqk,nqkp->np", weights, dlogp)
    info: FloatArray | None = None
    if with_information:
        expected = weights.sum(axis=2, keepdims=True) * np.exp(logp)  # N_q P_k
        info = np.einsum("nqk,nqkp,nqkr->npr", expected, dlogp, dlogp)
    if prior is not None and _has_prior(family, prior):
        grad[:, 2] += prior.gradient(eta[:, 2])
        if info is not None:
            info[:, 2, 2] -= prior.curvature(eta[:, 2])
    if slope is not None:
        grad[:, 0] += slope.gradient(eta[:, 0])
        if info is not None:  # the prior's own information (positive where it is log-concave)
            info[:, 0, 0] += np.maximum(-slope.curvature(eta[:, 0]), 0.0)
    return grad, info


def _solve(info: FloatArray, grad: FloatArray) -> FloatArray:
    """Solve the batched systems, with a small ridge so that a flat direction gives a finite (gradient) step."""
    p = grad.shape[1]
    scale = np.maximum(np.abs(np.diagonal(info, axis1=1, axis2=2)).max(axis=1), 1e-12)
    ridged = info + (1e-9 * scale)[:, None, None] * np.eye(p)
    step: FloatArray = np.linalg.solve(ridged, grad[..., None])[..., 0]
    return step


def maximize(
    family: Family,
    eta: FloatArray,
    fixed: FloatArray,
    theta: FloatArray,
    weights: FloatArray,
    D: float,
    prior: BetaPrior | None = None,
    *,
    slope: SlopePrior | None = None,
    max_iter: int = 100,
    tol: float = 1e-7,
) -> MStepResult:
    """Maximise :func:`objective` for every item by damped Fisher scoring, starting at ``eta`` (must be valid).

    Returns the estimates, whether each item's last step was below ``tol`` (in every coordinate) and the number of
    iterations made.
    """
    eta = eta.copy()
    n = eta.shape[0]
    done = np.zeros(n, dtype=bool)
    converged = np.zeros(n, dtype=bool)
    iterations = 0
    for iterations in range(1, max_iter + 1):
        active = np.flatnonzero(~done)
        if active.size == 0:
            iterations -= 1
            break
        sub_eta, sub_fixed, sub_w = eta[active], fixed[active], weights[active]
        sub_theta = theta if theta.shape[0] == 1 else theta[active]
        grad, info = gradient(family, sub_eta, sub_fixed, sub_theta, sub_w, D, prior, True, slope)
        assert info is not None
        step = _solve(info, grad)
        step *= np.minimum(1.0, MAX_STEP / np.maximum(np.abs(step).max(axis=1), 1e-300))[:, None]
        current = objective(family, sub_eta, sub_fixed, sub_theta, sub_w, D, prior, slope)
        t = np.ones(active.size)
        accepted = np.zeros(active.size, dtype=bool)
        for _ in range(HALVINGS):
            pending = np.flatnonzero(~accepted)
            if pending.size == 0:
                break
            candidate = sub_eta[pending] + t[pending, None] * step[pending]
            ok = valid(family, candidate, sub_fixed[pending])
            value = np.full(pending.size, -np.inf)
            if ok.any():
                good = pending[ok]
                th = sub_theta if sub_theta.shape[0] == 1 else sub_theta[good]
                value[ok] = objective(family, candidate[ok], sub_fixed[good], th, sub_w[good], D, prior, slope)
            slack = 1e-12 * np.maximum(1.0, np.abs(current[pending]))
            better = ok & (value >= current[pending] - slack)
            accepted[pending[better]] = True
            t[pending[~better]] *= 0.5
        moved = np.where(accepted[:, None], t[:, None] * step, 0.0)
        eta[active] = sub_eta + moved
        # An item stops when its step is negligible (converged), or when no halving could move it: a maximum on a
        # bound of the search, or rounding noise next to the maximum (converged only if the full step was small).
        small = accepted & (np.abs(moved).max(axis=1) < tol)
        stuck = ~accepted & (np.abs(step).max(axis=1) >= 1e-5)
        converged[active] = small | (~accepted & ~stuck)
        done[active] = small | ~accepted
    # A maximum on a bound of the search (e.g. b of an item everyone answered correctly) is not an estimate.
    converged &= valid(family, eta, fixed, margin=1e-3)
    return MStepResult(eta, converged, iterations)
