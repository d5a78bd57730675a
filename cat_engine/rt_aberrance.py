r"""Aberrant response times within one session: rapid guessing, item pre-knowledge and a change of speed.

Every statistic here is a pure function of one examinee's log-times on *timed* items (items with parameters of
van der Linden's lognormal model, :mod:`cat_engine.response_time`), costs :math:`O(n)` in the number of responses
(the rapid-guessing p-value :math:`O(n\,k)` for a count :math:`k`), and returns its value, its p-value under a
stated null distribution and whether it is below the level ``alpha`` it was given. The model is

.. math:: \ln T_i \sim N\big(\beta_i - \tau,\ \alpha_i^{-2}\big)

for a normally working examinee of constant speed :math:`\tau`; the weights :math:`w_i = \alpha_i^2` give the
speed's estimate on a set :math:`A` of responses, :math:`\hat\tau_A = \sum_A w_i(\beta_i - \ln t_i) / W_A` with
:math:`W_A = \sum_A w_i`, which is exactly :math:`N(\tau, 1/W_A)` under the model (the item parameters taken as
known). ``docs/integrity.md`` gives the false-alarm rates and powers measured on the demo battery.

Rapid guessing (Wise & Kong, 2005; Wise & Ma, 2012)
    Response :math:`i` is *rapid* when :math:`t_i < \min(f \cdot E[T_i \mid \tau = 0],\ c)`, the normative threshold
    NT10 for :math:`f = 0.1` (10 % of the item's mean time at average speed) capped at :math:`c = 10` s. The
    person's count :math:`R` of rapid responses among :math:`n` (response-time effort :math:`RTE = 1 - R/n`) is,
    for a normal examinee of speed :math:`\tau`, a Poisson-binomial variable with the rates
    :math:`\pi_i(\tau) = \Phi(\alpha_i(\ln \mathrm{thr}_i - \beta_i + \tau))`. These rise with :math:`\tau`, and so
    does the tail :math:`P(R \ge r)`; the p-value is the tail at a fast reference speed :math:`\tau_{ref}` (default
    :math:`+2` SD of the population, 0.6), so the false-alarm rate is at most ``alpha`` for every examinee with
    :math:`\tau \le \tau_{ref}`.

Pre-knowledge (van der Linden & Guo, 2008; Sinharay, 2017)
    :func:`preknowledge` splits the responses into a set :math:`S` (those in the top category: correct) and the
    rest :math:`R`, and compares the speeds, :math:`z = (\hat\tau_S - \hat\tau_R) / \sqrt{1/W_S + 1/W_R}`; this is
    the signed root of Sinharay's (2017) likelihood-ratio statistic for "a different speed on :math:`S`" with the
    parameters known. Under the hierarchical model the log-times are independent of the responses given
    :math:`(\theta, \tau)`, and adaptive selection uses only the responses, so *given the responses* :math:`S` is
    fixed and :math:`z \sim N(0, 1)` exactly (but for a subtest ended by its time limit, whose length depends on
    the times); the one-sided p-value is :math:`1 - \Phi(z)`. The evidence lists the
    correct responses whose time is unexpectedly short against the speed on the others,
    :math:`r_i = \alpha_i(\ln t_i - \beta_i + \hat\tau_R)/\sqrt{1 + \alpha_i^2/W_R} < -z_{fast}`.

    :func:`loo_residuals` and :func:`fast_correct_count` give the original form of van der Linden & Guo (2008): the
    predictive residual of each log-time against the speed estimated from all the *other* responses,
    :math:`\ln t_i \sim N(\beta_i - \hat\tau_{-i},\ \alpha_i^{-2} + 1/W_{-i})`, exactly standard normal under the
    model; the count of correct responses with a residual below :math:`-z_{fast}`, whose null is bounded by a
    Poisson-binomial with rates :math:`P(\text{correct}_i)\,\Phi(-z_{fast})` that treats the residuals as
    independent; they are negatively correlated (:math:`\operatorname{Cov} = -W / (W_{-i} W_{-j})` before
    scaling, so negatively associated: Joag-Dev & Proschan, 1983), and the bound was conservative where measured.
    When many items are known, they pull :math:`\hat\tau_{-i}` towards the fast speed and hide each other, and
    they inflate the ability estimate behind :math:`P(\text{correct}_i)`: on the demo battery this count found far
    fewer pre-knowledge examinees than the split (``docs/integrity.md``).

Change of speed (a change-point test)
    For each candidate change point :math:`k` (the first response after it), with :math:`B` the responses before and
    :math:`A` those from :math:`k` on, :math:`z_k = (\hat\tau_A - \hat\tau_B)/\sqrt{1/W_A + 1/W_B}` is exactly
    :math:`N(0,1)` under a constant speed. The statistic is :math:`\max_k |z_k|` over the :math:`m` points with
    enough responses on both sides, with the Bonferroni p-value :math:`\min(1, 2m\,(1 - \Phi(\max_k |z_k|)))`,
    conservative for the correlated :math:`z_k`.

References
----------
van der Linden, W. J., & Guo, F. (2008). Bayesian procedures for identifying aberrant response-time patterns in
adaptive testing. Psychometrika 73(3), 365-384.
Sinharay, S. (2017). Detection of item preknowledge using likelihood ratio test and score test. JEBS 42(1), 46-68.
Wise, S. L., & Kong, X. (2005). Response time effort: a new measure of examinee motivation in computer-based
tests. Applied Measurement in Education 18(2), 163-183.
Wise, S. L., & Ma, L. (2012). Setting response time thresholds for a CAT item pool: the normative threshold
method. Paper, NCME annual meeting, Vancouver.
Joag-Dev, K., & Proschan, F. (1983). Negative association of random variables, with applications. Annals of
Statistics 11(1), 286-295.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .response_time import TimeParams, expected_seconds

__all__ = [
    "FAST_Z",
    "Preknowledge",
    "RapidGuessing",
    "SpeedChange",
    "fast_correct_count",
    "loo_residuals",
    "poisson_binomial_tail",
    "preknowledge",
    "rapid_guessing",
    "rapid_thresholds",
    "speed_change",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]

#: :math:`z_{0.95}`: a residual below :math:`-1.645` is "unexpectedly fast" (5 % of normal responses).
FAST_Z = 1.6448536269514722


def _normal_sf(z: float) -> float:
    """:math:`1 - \\Phi(z)`, accurate in the upper tail."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _normal_cdf(z: float) -> float:
    """:math:`\\Phi(z)`, accurate in the lower tail."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def poisson_binomial_tail(count: int, rates: npt.ArrayLike) -> float:
    r""":math:`P(S \ge k)` for :math:`S` a sum of independent Bernoulli variables with success ``rates``.

    Exact, by the recursion over items on the distribution of the count truncated at :math:`k` (the last state
    absorbs every count :math:`\ge k`, so the tail is accumulated, not obtained as :math:`1 -` a sum): cost
    :math:`O(n\,k)`.
    """
    p = np.asarray(rates, dtype=np.float64)
    if count <= 0:
        return 1.0
    if count > p.shape[0]:
        return 0.0
    state = np.zeros(count + 1)
    state[0] = 1.0
    for rate in p.tolist():
        moved = state[:-1] * rate
        state[:-1] -= moved
        state[1:] += moved
    return float(min(state[-1], 1.0))


# --- rapid guessing --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RapidGuessing:
    """Rapid responses of one examinee and the test of their count.

    Attributes
    ----------
    rapid : ndarray of bool, shape (n,)
        Which responses were faster than their item's threshold.
    count, n : int
        :math:`R` and the number of timed responses.
    effort : float
        Response-time effort :math:`RTE = 1 - R/n` (Wise & Kong, 2005); 1.0 with no response.
    expected : float
        :math:`\\sum_i \\pi_i(\\tau_{ref})`, the count a normal examinee at the reference speed has on average.
    p_value : float
        :math:`P(R \\ge \\text{count})` under the Poisson-binomial null at the reference speed.
    alpha : float
    flagged : bool
        ``p_value <= alpha``.
    """

    rapid: BoolArray
    count: int
    n: int
    effort: float
    expected: float
    p_value: float
    alpha: float
    flagged: bool


def rapid_thresholds(params: TimeParams, fraction: float = 0.10, cap_s: float = 10.0) -> FloatArray:
    r"""Normative thresholds in seconds: :math:`\min(f\,E[T_i \mid \tau = 0],\ c)`, with
    :math:`E[T_i \mid \tau=0] = e^{\beta_i + 1/(2\alpha_i^2)}` (NT10 of Wise & Ma, 2012, for :math:`f = 0.1`)."""
    out: FloatArray = np.minimum(fraction * expected_seconds(params, 0.0), cap_s)
    return out


def rapid_guessing(
    log_t: npt.ArrayLike,
    params: TimeParams,
    *,
    fraction: float = 0.10,
    cap_s: float = 10.0,
    reference_speed: float = 0.6,
    alpha: float = 0.01,
) -> RapidGuessing:
    r"""Count the rapid responses and test the count against a normal examinee at speed ``reference_speed``.

    Parameters
    ----------
    log_t : array_like, shape (n,)
        Log-seconds of the timed responses, in the order of ``params``.
    params : TimeParams
        Their items' time parameters.
    fraction, cap_s : float
        The threshold :func:`rapid_thresholds`.
    reference_speed : float
        :math:`\tau_{ref}`: the false-alarm rate is at most ``alpha`` for every examinee at most this fast.
    alpha : float
        Level of the test.
    """
    lt = np.asarray(log_t, dtype=np.float64)
    log_thr = np.log(rapid_thresholds(params, fraction, cap_s))
    rapid = lt < log_thr
    rates = np.array([_normal_cdf(z) for z in (params.alpha * (log_thr - params.beta + reference_speed)).tolist()])
    count, n = int(rapid.sum()), int(lt.shape[0])
    p_value = poisson_binomial_tail(count, rates)
    effort = 1.0 - count / n if n else 1.0
    return RapidGuessing(rapid, count, n, effort, float(rates.sum()), p_value, alpha, p_value <= alpha)


# --- pre-knowledge ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preknowledge:
    """The speed on the correct responses against the speed on the others (module docstring).

    Attributes
    ----------
    z : float
        :math:`(\\hat\\tau_S - \\hat\\tau_R) / \\sqrt{1/W_S + 1/W_R}`; positive when the correct responses are
        faster.
    tau_correct, tau_other, se : float
        :math:`\\hat\\tau_S`, :math:`\\hat\\tau_R` and the standard error of their difference.
    n_correct, n_other : int
    fast : ndarray of bool, shape (n,)
        Correct responses faster than expected from the speed on the others (residual below :math:`-z_{fast}`).
    p_value : float
        :math:`1 - \\Phi(z)`.
    alpha : float
    flagged : bool
    """

    z: float
    tau_correct: float
    tau_other: float
    se: float
    n_correct: int
    n_other: int
    fast: BoolArray
    p_value: float
    alpha: float
    flagged: bool


def preknowledge(
    log_t: npt.ArrayLike, params: TimeParams, correct: npt.ArrayLike, *, alpha: float = 0.01, fast_z: float = FAST_Z
) -> Preknowledge:
    """Test whether the correct (top-category) responses were faster than the others.

    Parameters
    ----------
    log_t : array_like, shape (n,)
        Log-seconds of the timed responses.
    params : TimeParams
        Their items' time parameters.
    correct : array_like of bool, shape (n,)
        Whether each response is in its item's top category.
    alpha : float
        Level of the one-sided test.
    fast_z : float
        The residual below which a correct response is listed as unexpectedly fast.

    Raises
    ------
    ValueError
        When either group is empty (the caller requires a minimum in each).
    """
    lt = np.asarray(log_t, dtype=np.float64)
    in_s = np.asarray(correct, dtype=bool)
    weight = params.alpha**2
    gap = params.beta - lt
    w_s, w_r = float(weight[in_s].sum()), float(weight[~in_s].sum())
    if w_s == 0.0 or w_r == 0.0:
        raise ValueError("both the correct responses and the others must be present")
    tau_s = float((weight * gap)[in_s].sum()) / w_s
    tau_r = float((weight * gap)[~in_s].sum()) / w_r
    se = math.sqrt(1.0 / w_s + 1.0 / w_r)
    z = (tau_s - tau_r) / se
    residual = params.alpha * (lt - params.beta + tau_r) / np.sqrt(1.0 + weight / w_r)
    p_value = _normal_sf(z)
    fast = in_s & (residual < -fast_z)
    return Preknowledge(
        z, tau_s, tau_r, se, int(in_s.sum()), int((~in_s).sum()), fast, p_value, alpha, p_value <= alpha
    )


def loo_residuals(log_t: npt.ArrayLike, params: TimeParams) -> FloatArray:
    r"""Leave-one-out predictive residuals of van der Linden & Guo (2008), standard normal under the model.

    .. math:: r_i = \frac{\ln t_i - \beta_i + \hat\tau_{-i}}{\sqrt{\alpha_i^{-2} + 1/W_{-i}}},\qquad
              \hat\tau_{-i} = \frac{\sum_{j \ne i} w_j(\beta_j - \ln t_j)}{W_{-i}},\ W_{-i} = \sum_{j\ne i} w_j

    (the speed's ML estimate without response :math:`i`, independent of :math:`\ln t_i`); all in :math:`O(n)` from
    the totals. Needs at least two responses; negative residuals are faster than predicted.
    """
    lt = np.asarray(log_t, dtype=np.float64)
    if lt.shape[0] < 2:
        raise ValueError("leave-one-out residuals need at least two responses")
    weight = params.alpha**2
    total_w = float(weight.sum())
    weighted = weight * (params.beta - lt)
    w_out = total_w - weight
    tau_out = (float(weighted.sum()) - weighted) / w_out
    out: FloatArray = (lt - params.beta + tau_out) / np.sqrt(1.0 / weight + 1.0 / w_out)
    return out


def fast_correct_count(
    residuals: npt.ArrayLike, correct: npt.ArrayLike, p_correct: npt.ArrayLike, fast_z: float = FAST_Z
) -> tuple[int, float]:
    r"""The count of correct responses with a residual below :math:`-z_{fast}` and its p-value.

    Under the model a response is correct with probability ``p_correct`` (the top category's at the ability
    estimate) and, independently, fast with probability :math:`\Phi(-z_{fast})`; the p-value is the
    Poisson-binomial tail with those products as rates (:func:`poisson_binomial_tail`), conservative for the
    negatively associated residuals of :func:`loo_residuals`.
    """
    hits = np.asarray(correct, dtype=bool) & (np.asarray(residuals, dtype=np.float64) < -fast_z)
    rates = np.asarray(p_correct, dtype=np.float64) * _normal_cdf(-fast_z)
    count = int(hits.sum())
    return count, poisson_binomial_tail(count, rates)


# --- change of speed -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpeedChange:
    """The largest standardized change of speed over the candidate change points.

    Attributes
    ----------
    z : ndarray, shape (m,)
        :math:`z_k` at each eligible point (positive: faster after).
    points : ndarray of int, shape (m,)
        The eligible points (index of the first response after the change).
    best : int
        The point of the largest :math:`|z_k|` (-1 when there is none).
    statistic : float
        :math:`\\max_k |z_k|` (0 with no eligible point).
    tau_before, tau_after : float
        The speeds on either side of ``best`` (NaN when there is none).
    p_value : float
        :math:`\\min(1, 2m(1 - \\Phi(\\max_k |z_k|)))` (1 with no eligible point).
    alpha : float
    flagged : bool
    """

    z: FloatArray
    points: IntArray
    best: int
    statistic: float
    tau_before: float
    tau_after: float
    p_value: float
    alpha: float
    flagged: bool


def speed_change(
    log_t: npt.ArrayLike,
    params: TimeParams,
    points: npt.ArrayLike,
    *,
    min_side: int = 5,
    alpha: float = 0.01,
) -> SpeedChange:
    """Test for a change of speed at one of the candidate ``points`` (module docstring).

    Parameters
    ----------
    log_t : array_like, shape (n,)
        Log-seconds of the timed responses in the order they were given.
    params : TimeParams
        Their items' time parameters.
    points : array_like of int
        Candidate change points: the index of the first response after each (e.g. each subtest's first response).
    min_side : int
        A point is eligible when it has at least this many responses before and after it.
    alpha : float
        Level of the two-sided test.
    """
    lt = np.asarray(log_t, dtype=np.float64)
    n = lt.shape[0]
    candidates = np.asarray(points, dtype=np.intp).reshape(-1)
    eligible = candidates[(candidates >= min_side) & (candidates <= n - min_side)]
    if eligible.size == 0:
        empty = np.zeros(0)
        return SpeedChange(empty, eligible, -1, 0.0, math.nan, math.nan, 1.0, alpha, False)
    weight = params.alpha**2
    cum_w = np.concatenate([[0.0], np.cumsum(weight)])
    cum_g = np.concatenate([[0.0], np.cumsum(weight * (params.beta - lt))])
    w_before, g_before = cum_w[eligible], cum_g[eligible]
    w_after, g_after = cum_w[-1] - w_before, cum_g[-1] - g_before
    tau_before, tau_after = g_before / w_before, g_after / w_after
    z = (tau_after - tau_before) / np.sqrt(1.0 / w_before + 1.0 / w_after)
    k = int(np.argmax(np.abs(z)))
    statistic = float(abs(z[k]))
    p_value = min(1.0, 2.0 * eligible.size * _normal_sf(statistic))
    return SpeedChange(
        z,
        eligible,
        int(eligible[k]),
        statistic,
        float(tau_before[k]),
        float(tau_after[k]),
        p_value,
        alpha,
        p_value <= alpha,
    )
