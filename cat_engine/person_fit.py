r"""Person fit of a response pattern (lz* and its polytomous form lz_p*) and a change of ability across subtests.

lz* (Snijders, 2001) and lz_p* (Sinharay, 2016)
------------------------------------------------
Write :math:`X_{ik} = 1` when item :math:`i` was answered in category :math:`k` (0 otherwise), :math:`P_{ik}(\theta)`
the model's probabilities, :math:`s_{ik} = \partial \log P_{ik} / \partial\theta` (so
:math:`P'_{ik} = P_{ik}s_{ik}`) and :math:`w_{ik} = \log P_{ik}`. The log-likelihood centred at its expectation,

.. math:: W_n(\theta) = \sum_i \sum_k (X_{ik} - P_{ik})\, w_{ik}
          = \sum_i \big(\log P_{i x_i} - \textstyle\sum_k P_{ik}\log P_{ik}\big),

standardized by its variance at the *true* :math:`\theta` is :math:`l_z` (Drasgow, Levine & Williams, 1985); at an
estimate :math:`\hat\theta` its variance is smaller and :math:`l_z` is not standard normal. Snijders (2001) and,
for polytomous items, Sinharay (2016) correct it for an estimator that solves

.. math:: \sum_i s_{i x_i}(\hat\theta) + r_0(\hat\theta) = 0,

with :math:`r_0 = 0` for the MLE, :math:`r_0 = J/(2I)` for Warm's WLE and :math:`r_0 = -(\theta-\mu)/\sigma^2`
for the MAP. With :math:`c_n = \sum_{ik} P'_{ik} w_{ik} / \sum_{ik} P'_{ik} s_{ik}` (the denominator is the test
information :math:`I`) and :math:`\tilde w_{ik} = w_{ik} - c_n s_{ik}`,

.. math:: l_z^* = \frac{W_n(\hat\theta) + c_n(\hat\theta)\, r_0(\hat\theta)}
                       {\sqrt{\sum_i \big[\sum_k P_{ik}\tilde w_{ik}^2 - (\sum_k P_{ik}\tilde w_{ik})^2\big]}}
          \ \xrightarrow{d}\ N(0, 1),

all at :math:`\hat\theta`. For 0/1 items this is Snijders' :math:`(W_n + c_n r_0)/(\sqrt n\,\tau_n)` with
:math:`w_i = \log(p_i/q_i)`, :math:`r_i = p_i'/(p_i q_i)`; for GPCM or GRM items it is Sinharay's :math:`l_{zp}^*`;
one formula serves a mixed pool.

The estimator's term. Since :math:`\sum_i s_{i x_i}(\hat\theta) = -r_0(\hat\theta)` at the estimate, the numerator
is :math:`W_n(\hat\theta) - c_n(\hat\theta) \sum_i s_{i x_i}(\hat\theta)`, computed from the reported
:math:`\hat\theta` alone: it is Snijders' :math:`r_0` of the MLE, the WLE and the MAP (up to the estimator's
convergence tolerance), and for the EAP, which solves no such equation, the same expression defines the
:math:`r_0` the EAP implies (the EAP is the MAP plus :math:`O(1/n)`, so Snijders' conditions hold). The engine
reports Warm's WLE once a subtest ends and the EAP during it; both are handled by this one expression.

Misfit shows as *low* values (improbable responses); the p-value is :math:`\Phi(l_z^*)`. Over a battery each
subtest has its own :math:`\hat\theta`, so each subtest's numerator is corrected with its own :math:`c_n`, and the
battery's statistic is :math:`\sum_s \mathrm{num}_s / \sqrt{\sum_s \mathrm{var}_s}` (independent subtests).

In adaptive tests the items are chosen to be about as likely right as wrong at :math:`\hat\theta`; then
:math:`w_{i1} - w_{i0} = \log(p_i/q_i) \approx 0`, and :math:`l_z^*` has little power and a null that departs
from :math:`N(0,1)` (van Krimpen-Stoop & Meijer, 1999); ``docs/integrity.md`` gives what was measured.

Change of ability across subtests
---------------------------------
With unit-variance abilities that correlate :math:`\rho` between subtests, estimates :math:`\hat\theta_s` with
errors of variance :math:`SE_s^2`, and a change point between the subtests before (set :math:`B`, :math:`b` of
them) and after (:math:`A`, :math:`a`), the difference of the mean estimates
:math:`d = \bar{\hat\theta}_A - \bar{\hat\theta}_B` is, over the population, normal with mean 0 and variance

.. math:: (1 - \rho)\Big(\frac1a + \frac1b\Big) + \frac{\sum_A SE_s^2}{a^2} + \frac{\sum_B SE_s^2}{b^2},

which is :math:`2(1-\rho) + SE_k^2 + SE_l^2` for two subtests. The statistic is the largest :math:`|z|` over the
change points, with the Bonferroni p-value :math:`\min(1, 2m(1 - \Phi(\max|z|)))`. An EAP estimate (a partial
subtest) shrinks towards the prior; that makes the variance above an upper bound, so the test stays
conservative.

References
----------
Drasgow, F., Levine, M. V., & Williams, E. A. (1985). Appropriateness measurement with polychotomous item response
models and standardized indices. BJMSP 38, 67-86.
Snijders, T. A. B. (2001). Asymptotic null distribution of person fit statistics with estimated person parameter.
Psychometrika 66(3), 331-342.
Sinharay, S. (2016). Asymptotically correct standardization of person-fit statistics beyond dichotomous items.
Psychometrika 81(4), 992-1013.
Magis, D., Raiche, G., & Beland, S. (2012). A didactic presentation of Snijders's lz* index of person fit with
emphasis on response model selection and ability estimation. JEBS 37(1), 57-81.
van Krimpen-Stoop, E. M. L. A., & Meijer, R. R. (1999). The null distribution of person-fit statistics for
conventional and adaptive tests. APM 23(4), 327-345.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .irt import ItemParams, log_probability, score_derivatives

__all__ = ["AbilityChange", "FitTerms", "PersonFit", "ability_change", "fit_terms", "lz_star"]

FloatArray = npt.NDArray[np.float64]


def _normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


@dataclass(frozen=True)
class FitTerms:
    """The pieces of :math:`l_z^*` for one set of responses at one :math:`\\hat\\theta`.

    Attributes
    ----------
    numerator : float
        :math:`W_n(\\hat\\theta) - c_n \\sum_i s_{i x_i}(\\hat\\theta)`.
    variance : float
        :math:`\\sum_i [\\sum_k P_{ik}\\tilde w_{ik}^2 - (\\sum_k P_{ik}\\tilde w_{ik})^2]`.
    contributions : ndarray, shape (n,)
        Each response's term of the numerator, :math:`\\tilde w_{i x_i} - \\sum_k P_{ik}\\tilde w_{ik}`; the most
        negative are the least expected responses.
    item_variance : ndarray, shape (n,)
        The null variance of each contribution (they add up to ``variance``).
    """

    numerator: float
    variance: float
    contributions: FloatArray
    item_variance: FloatArray


@dataclass(frozen=True)
class PersonFit:
    """:math:`l_z^*` with its one-sided p-value :math:`\\Phi(l_z^*)` (low values misfit)."""

    lz: float
    n: int
    p_value: float
    alpha: float
    flagged: bool


def fit_terms(
    theta: float,
    params: ItemParams,
    items: Sequence[int] | npt.NDArray[np.intp],
    categories: Sequence[int] | npt.NDArray[np.intp],
) -> FitTerms:
    """Numerator, variance and per-response contributions of :math:`l_z^*` at ``theta`` (module docstring).

    ``theta`` is the estimate reported for these responses (by any of the engine's estimators).
    """
    idx = np.asarray(items, dtype=np.intp)
    cats = np.asarray(categories, dtype=np.intp)
    n = idx.shape[0]
    if n == 0:
        return FitTerms(0.0, 0.0, np.zeros(0), np.zeros(0))
    k = int(params.n_categories[idx].max())
    every = np.arange(k)[None, :]
    column = idx[:, None]
    log_p = log_probability(theta, params, column, every)
    scores = score_derivatives(theta, params, column, every)[0]
    exists = np.isfinite(log_p)
    prob = np.where(exists, np.exp(np.where(exists, log_p, 0.0)), 0.0)
    w = np.where(exists, log_p, 0.0)
    derivative = prob * scores
    information = float((derivative * scores).sum())
    c_n = float((derivative * w).sum()) / information if information > 0 else 0.0
    w_tilde = w - c_n * scores
    mean = (prob * w_tilde).sum(axis=1)
    item_variance: FloatArray = np.maximum((prob * w_tilde * w_tilde).sum(axis=1) - mean * mean, 0.0)
    contributions: FloatArray = w_tilde[np.arange(n), cats] - mean
    return FitTerms(float(contributions.sum()), float(item_variance.sum()), contributions, item_variance)


def lz_star(terms: Sequence[FitTerms], n: int, alpha: float = 0.01) -> PersonFit:
    """:math:`l_z^*` of one or more independently estimated parts (e.g. the subtests of a battery).

    Parameters
    ----------
    terms : sequence of FitTerms
        One per part, each at its own estimate (:func:`fit_terms`).
    n : int
        The number of responses (reported with the statistic).
    alpha : float
        Level of the one-sided test.
    """
    variance = sum(t.variance for t in terms)
    if variance <= 0.0:
        return PersonFit(0.0, n, 1.0, alpha, False)
    lz = sum(t.numerator for t in terms) / math.sqrt(variance)
    p_value = _normal_cdf(lz)
    return PersonFit(lz, n, p_value, alpha, p_value <= alpha)


@dataclass(frozen=True)
class AbilityChange:
    """The largest standardized change of the ability estimate between subtests.

    Attributes
    ----------
    z : ndarray, shape (m,)
        :math:`z` at each change point (positive: higher after).
    best : int
        The change point of the largest :math:`|z|`: the first subtest after it, as a position in the estimates
        given (-1 with fewer than two estimates).
    statistic : float
        :math:`\\max |z|`.
    p_value : float
        Bonferroni over the :math:`m` change points, two-sided.
    alpha : float
    flagged : bool
    """

    z: FloatArray
    best: int
    statistic: float
    p_value: float
    alpha: float
    flagged: bool


def ability_change(
    theta: npt.ArrayLike, se: npt.ArrayLike, correlation: float, *, alpha: float = 0.01
) -> AbilityChange:
    """Test for a change of ability between consecutive groups of subtests (module docstring).

    Parameters
    ----------
    theta, se : array_like, shape (S,)
        Each subtest's estimate and standard error, in battery order.
    correlation : float
        :math:`\\rho`, the correlation of the subtests' abilities in the population (in [0, 1]).
    alpha : float
        Level of the two-sided test.
    """
    if not 0.0 <= correlation <= 1.0:
        raise ValueError(f"the correlation must be within [0, 1], got {correlation}")
    t = np.asarray(theta, dtype=np.float64)
    v = np.asarray(se, dtype=np.float64) ** 2
    if np.any(~(v > 0)):
        raise ValueError("the standard errors must be positive")
    s = t.shape[0]
    if s < 2:
        return AbilityChange(np.zeros(0), -1, 0.0, 1.0, alpha, False)
    before = np.arange(1, s)
    after = s - before
    cum_t, cum_v = np.cumsum(t)[:-1], np.cumsum(v)[:-1]
    mean_b, mean_a = cum_t / before, (t.sum() - cum_t) / after
    var = (1.0 - correlation) * (1.0 / before + 1.0 / after) + cum_v / before**2 + (v.sum() - cum_v) / after**2
    z = (mean_a - mean_b) / np.sqrt(var)
    k = int(np.argmax(np.abs(z)))
    statistic = float(abs(z[k]))
    p_value = min(1.0, 2.0 * (s - 1) * _normal_cdf(-statistic))
    return AbilityChange(z, k + 1, statistic, p_value, alpha, p_value <= alpha)
