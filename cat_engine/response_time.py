r"""Van der Linden's lognormal model of response times, vectorised over items.

The time examinee :math:`j` takes on item :math:`i` is lognormal (van der Linden, 2006):

.. math:: \ln T_{ij} \sim N\big(\beta_i - \tau_j,\ \alpha_i^{-2}\big),

with the item's *time intensity* :math:`\beta_i` (the mean log-seconds of an examinee of average speed), its
*time discrimination* :math:`\alpha_i > 0` (the inverse of the log-time standard deviation) and the examinee's
*speed* :math:`\tau_j` (larger is faster; :math:`\tau = 0` is the calibration sample's mean). Times are in
seconds throughout; the server records milliseconds (``response_ms``), which :func:`log_seconds` converts.

The density of one log-time is

.. math:: f(\ln t) = \frac{\alpha_i}{\sqrt{2\pi}}
          \exp\!\Big(-\tfrac12 \big[\alpha_i(\ln t - (\beta_i - \tau))\big]^2\Big),

so the standardized residual :math:`z_{ij} = \alpha_i(\ln t_{ij} - \beta_i + \tau_j)` is standard normal under the
model. Given the items' parameters, the speed has a closed-form maximum-likelihood estimate, and with a
:math:`N(0, \sigma_\tau^2)` prior a closed-form posterior (normal, conjugate):

.. math:: \hat\tau = \frac{\sum_i \alpha_i^2 (\beta_i - \ln t_i)}{\sum_i \alpha_i^2 + \sigma_\tau^{-2}},\qquad
          \operatorname{SE}(\hat\tau) = \Big(\sum_i \alpha_i^2 + \sigma_\tau^{-2}\Big)^{-1/2}

(:math:`\sigma_\tau = \infty` gives the ML estimate).

:func:`fit_time_params` estimates the items' parameters from response data, jointly with the examinees' speeds
(see its docstring for the updates, the identification and the degrees-of-freedom correction of :math:`\alpha`).

References
----------
van der Linden, W. J. (2006). A lognormal model for response times on test items. JEBS 31(2), 181-204.
van der Linden, W. J., & Guo, F. (2008). Bayesian procedures for identifying aberrant response-time patterns in
adaptive testing. Psychometrika 73(3), 365-384.
Neyman, J., & Scott, E. L. (1948). Consistent estimates based on partially consistent observations. Econometrica
16(1), 1-32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "SpeedEstimate",
    "TimeFit",
    "TimeParams",
    "expected_seconds",
    "fit_time_params",
    "log_density",
    "log_seconds",
    "residuals",
    "simulate_log_times",
    "speed_estimate",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
_RSS_FLOOR: Final = 1e-12  # keeps alpha finite for an item whose residuals all vanish (degenerate data)


@dataclass(frozen=True)
class TimeParams:
    """Time intensity :math:`\\beta` (log-seconds) and time discrimination :math:`\\alpha` of some items."""

    beta: FloatArray
    alpha: FloatArray

    def __post_init__(self) -> None:
        if self.beta.shape != self.alpha.shape:
            raise ValueError(f"beta has shape {self.beta.shape}, alpha {self.alpha.shape}")
        if np.any(~np.isfinite(self.beta)) or np.any(~(self.alpha > 0)) or np.any(~np.isfinite(self.alpha)):
            raise ValueError("beta must be finite and alpha finite and positive")

    def take(self, items: npt.ArrayLike) -> TimeParams:
        """The parameters of the given item indices, in that order."""
        index = np.asarray(items, dtype=np.intp)
        return TimeParams(self.beta[index], self.alpha[index])


@dataclass(frozen=True)
class SpeedEstimate:
    """An examinee's speed :math:`\\hat\\tau` with its standard error, from ``n`` timed responses."""

    tau: float
    se: float
    n: int


def log_seconds(response_ms: npt.ArrayLike) -> FloatArray:
    """Natural log of a response time given in milliseconds, in log-seconds (at least 1 ms, so never -inf)."""
    ms = np.maximum(np.asarray(response_ms, dtype=np.float64), 1.0)
    return np.log(ms / 1000.0)


def residuals(log_t: npt.ArrayLike, params: TimeParams, tau: float | FloatArray) -> FloatArray:
    r"""Standardized residuals :math:`z_i = \alpha_i(\ln t_i - \beta_i + \tau)`, standard normal under the model.

    Negative values are faster than the model expects at speed ``tau``.
    """
    z: FloatArray = params.alpha * (np.asarray(log_t, dtype=np.float64) - params.beta + tau)
    return z


def log_density(log_t: npt.ArrayLike, params: TimeParams, tau: float | FloatArray) -> FloatArray:
    """Log density of each log-time under the model (see the module docstring)."""
    z = residuals(log_t, params, tau)
    out: FloatArray = np.log(params.alpha) - 0.5 * math.log(2 * math.pi) - 0.5 * z**2
    return out


def speed_estimate(log_t: npt.ArrayLike, params: TimeParams, prior_sd: float | None = None) -> SpeedEstimate:
    r"""The examinee's speed from log-times on items with known parameters (closed form; module docstring).

    Parameters
    ----------
    log_t : array_like, shape (n,)
        Log-seconds of the responses, in the order of ``params``.
    params : TimeParams
        The items' parameters, shape (n,).
    prior_sd : float, optional
        :math:`\sigma_\tau` of a :math:`N(0, \sigma_\tau^2)` prior; None for the ML estimate.

    Returns
    -------
    SpeedEstimate
        With no responses: the prior mean 0 and SE ``prior_sd`` (``inf`` without a prior).
    """
    lt = np.asarray(log_t, dtype=np.float64)
    if lt.shape != params.beta.shape:
        raise ValueError(f"{lt.shape[0] if lt.ndim else 0} times for {params.beta.shape[0]} items")
    weight = params.alpha**2
    precision = float(weight.sum()) + (0.0 if prior_sd is None else prior_sd**-2)
    if precision == 0.0:
        return SpeedEstimate(0.0, math.inf, 0)
    tau = float((weight * (params.beta - lt)).sum()) / precision
    return SpeedEstimate(tau, precision**-0.5, int(lt.shape[0]))


def expected_seconds(params: TimeParams, tau: float = 0.0) -> FloatArray:
    r"""Mean response time in seconds at speed ``tau``: :math:`E[T] = \exp(\beta - \tau + 1/(2\alpha^2))`."""
    out: FloatArray = np.exp(params.beta - tau + 0.5 / params.alpha**2)
    return out


def simulate_log_times(params: TimeParams, tau: float | FloatArray, rng: np.random.Generator) -> FloatArray:
    """Draw log-seconds from the model; ``tau`` broadcasts against the items (e.g. ``tau[:, None]``)."""
    mean = params.beta - np.asarray(tau, dtype=np.float64)
    out: FloatArray = mean + rng.standard_normal(np.shape(mean)) / params.alpha
    return out


@dataclass(frozen=True)
class TimeFit:
    r"""Item time parameters estimated jointly with the examinees' speeds (:func:`fit_time_params`).

    Item arrays have shape (n_items,), ``tau`` shape (n_persons,). ``df`` is the residual degrees of freedom of
    each item's :math:`\alpha` (its responses less the parameters fitted to them).
    """

    beta: FloatArray
    alpha: FloatArray
    se_beta: FloatArray
    se_alpha: FloatArray
    n: IntArray
    df: FloatArray
    tau: FloatArray
    iterations: int
    converged: bool

    @property
    def params(self) -> TimeParams:
        """The estimates as :class:`TimeParams`."""
        return TimeParams(self.beta, self.alpha)


def fit_time_params(
    item: npt.ArrayLike,
    person: npt.ArrayLike,
    log_t: npt.ArrayLike,
    *,
    correct_df: bool = True,
    tol: float = 1e-9,
    max_iter: int = 2000,
) -> TimeFit:
    r"""Estimate items' :math:`(\beta_i, \alpha_i)` and persons' :math:`\tau_j` from log-times by maximum likelihood.

    Block coordinate ascent on the joint log-likelihood
    :math:`\sum_{ij} [\ln\alpha_i - \tfrac12\alpha_i^2 (\ln t_{ij} - \beta_i + \tau_j)^2]`, each block in closed
    form (van der Linden 2006): the speeds given the items (:func:`speed_estimate`'s formula), then

    .. math:: \hat\beta_i = \frac1{n_i}\sum_j (\ln t_{ij} + \tau_j),\qquad
              \hat\alpha_i^2 = \frac{\nu_i}{\sum_j (\ln t_{ij} - \hat\beta_i + \tau_j)^2}.

    Only :math:`\beta_i - \tau_j` is identified: the speeds are centred, :math:`\sum_j \tau_j = 0`, so the time
    intensity is the mean log-time of an examinee of the sample's mean speed. Plain ML has :math:`\nu_i = n_i`; it
    is biased upwards, and does not become consistent as :math:`n_i` grows with a fixed test length, because every
    residual was fitted to :math:`\beta_i` and to its examinee's :math:`\tau_j` (Neyman-Scott's incidental
    parameters). With ``correct_df`` the residual degrees of freedom are used instead,
    :math:`\nu_i = n_i - \sum_j h_{ij}`, with the leverage of a response in the weighted least-squares fit of
    :math:`\beta` and :math:`\tau` to first order, :math:`h_{ij} \approx 1/n_i + \alpha_i^2/\sum_{k \in j}
    \alpha_k^2` (it sums to :math:`1 + \sum_j \alpha_i^2/s_j`; the two-way analogue of dividing a variance by
    :math:`n - 1`). With 20 items per examinee this removes a bias of about +3 % in :math:`\alpha`, with 10 items
    one of +6 %.

    Standard errors come from the observed information of each item parameter at the estimates, with the speeds
    of its examinees profiled out (the other items held fixed; :math:`s_j = \sum_{k \in j}\alpha_k^2`,
    :math:`e_{ij}` the residual):

    .. math:: \operatorname{SE}(\hat\beta_i)^{-2} = \alpha_i^2\Big(n_i - \sum_j \frac{\alpha_i^2}{s_j}\Big),\qquad
              \operatorname{SE}(\hat\alpha_i)^{-2} = \frac{n_i + \nu_i}{\alpha_i^2}
              - 4\alpha_i^2 \sum_j \frac{e_{ij}^2}{s_j}.

    Without the profiling they would be the familiar :math:`1/(\alpha_i\sqrt{n_i})` and
    :math:`\alpha_i/\sqrt{2n_i}`, which understate the spread of the estimates by 3 % and 7 % with 10 items per
    examinee, and 9 % and 19 % with 5. Neither includes the uncertainty of the origin (the sample's mean speed),
    which moves every :math:`\beta_i` together. An :math:`\operatorname{SE}(\hat\alpha_i)` is infinite where the
    information is not positive (items answered mostly in sessions of two or three).

    Parameters
    ----------
    item, person : array_like of int, shape (n,)
        Each response's item index in ``0..n_items-1`` and person index in ``0..n_persons-1``; every item needs at
        least two responses and every person at least two (with one, the person's speed absorbs the response).
    log_t : array_like, shape (n,)
        Log-seconds (:func:`log_seconds`). At most one response per (item, person) pair is assumed.
    correct_df : bool
        Use the residual degrees of freedom :math:`\nu_i` (default) or :math:`n_i` (plain joint ML).
    tol, max_iter : float, int
        Stop when no :math:`\beta`, :math:`\tau` or :math:`\ln\alpha` moves by more than ``tol`` in an iteration.

    Returns
    -------
    TimeFit

    Raises
    ------
    ValueError
        On mismatched shapes, negative or non-integer indices, non-finite times, or an item or person index with
        fewer than two responses.
    """
    i = np.asarray(item)
    j = np.asarray(person)
    y = np.asarray(log_t, dtype=np.float64)
    if not (i.shape == j.shape == y.shape) or y.ndim != 1:
        raise ValueError(f"item, person and log_t must be 1-d of one length, got {i.shape}, {j.shape}, {y.shape}")
    if not (np.issubdtype(i.dtype, np.integer) and np.issubdtype(j.dtype, np.integer)):
        raise ValueError("item and person must be integer indices")
    if y.size == 0 or i.min() < 0 or j.min() < 0:
        raise ValueError("need responses with non-negative item and person indices")
    if not np.all(np.isfinite(y)):
        raise ValueError("log_t must be finite")
    n = np.bincount(i)
    m = np.bincount(j)
    if n.min() < 2 or m.min() < 2:
        who, counts = ("item", n) if n.min() < 2 else ("person", m)
        raise ValueError(f"{who} {int(np.argmin(counts))} has {int(counts.min())} responses; each needs at least two")
    beta = np.bincount(i, y) / n
    tau = np.zeros(m.size)
    alpha = np.sqrt((n - 1) / np.maximum(np.bincount(i, (y - beta[i]) ** 2), _RSS_FLOOR))
    df = n.astype(np.float64)
    converged = False
    iterations = 0
    while iterations < max_iter and not converged:
        iterations += 1
        weight = alpha[i] ** 2
        total = np.bincount(j, weight)
        new_tau = np.bincount(j, weight * (beta[i] - y)) / total
        new_tau -= new_tau.mean()
        new_beta = np.bincount(i, y + new_tau[j]) / n
        residual = y - new_beta[i] + new_tau[j]
        used = n - 1.0 - np.bincount(i, weight / total[j]) if correct_df else n.astype(np.float64)
        df = np.maximum(used, 1.0)
        new_alpha = np.sqrt(df / np.maximum(np.bincount(i, residual**2), _RSS_FLOOR))
        change = max(
            float(np.abs(new_beta - beta).max()),
            float(np.abs(new_tau - tau).max()),
            float(np.abs(np.log(new_alpha / alpha)).max()),
        )
        beta, tau, alpha = new_beta, new_tau, new_alpha
        converged = change <= tol
    weight = alpha[i] ** 2
    total = np.bincount(j, weight)
    residual = y - beta[i] + tau[j]
    info_beta = alpha**2 * (n - np.bincount(i, weight / total[j]))
    info_alpha = (n + df) / alpha**2 - 4.0 * alpha**2 * np.bincount(i, residual**2 / total[j])
    return TimeFit(
        beta=beta,
        alpha=alpha,
        se_beta=info_beta**-0.5,
        se_alpha=np.where(info_alpha > 0, np.abs(info_alpha) ** -0.5, math.inf),
        n=n.astype(np.intp),
        df=df,
        tau=tau,
        iterations=iterations,
        converged=converged,
    )
