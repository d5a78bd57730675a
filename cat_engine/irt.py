r"""Item response models: 1PL-4PL, GPCM and GRM, vectorised over items and theta.

All items of a pool live in one :class:`ItemParams`, whatever their model, so one pool may mix dichotomous and
polytomous items. Every function takes ``theta`` and an optional array of item indices ``items`` and broadcasts
them against each other with numpy's rules, so the same code serves

* the whole pool at one or many abilities: ``theta[:, None]`` against all items gives ``(n_theta, n_items)``;
* one item per examinee at many quadrature nodes: ``theta[None, :]`` against ``items[:, None]``;
* a test's administered items at the quadrature nodes, and so on.

Responses are *categories*: 0/1 for dichotomous items, ``0..m`` for an item with ``m + 1`` categories. Turning an
option index into a category is the pool's job (:meth:`cat_engine.pool.Pool.score`).

Models
------
With scaling constant :math:`D` (default 1.0, the logistic metric of mirt and catsim; 1.702 approximates the
normal ogive):

4PL (1PL: :math:`a=1, c=0, d=1`; 2PL: :math:`c=0, d=1`; 3PL: :math:`d=1`), Barton & Lord (1981):

.. math:: P(\theta) = c + \frac{d - c}{1 + e^{-Da(\theta - b)}}

Generalized partial credit model, Muraki (1992), categories :math:`k = 0..m` with step difficulties
:math:`b_1..b_m`:

.. math:: P_k(\theta) = \frac{\exp \sum_{v=1}^{k} Da(\theta - b_v)}{\sum_{h=0}^{m} \exp \sum_{v=1}^{h} Da(\theta - b_v)}

Graded response model, Samejima (1969), ordered thresholds :math:`b_1 < \dots < b_m`:

.. math:: P^*_k(\theta) = \frac{1}{1 + e^{-Da(\theta - b_k)}},\ P^*_0 = 1,\ P^*_{m+1} = 0,\
          P_k = P^*_k - P^*_{k+1}

Fisher information of one item is :math:`I(\theta) = \sum_k P_k'(\theta)^2 / P_k(\theta)`, which reduces to

* 4PL: :math:`I = \frac{P'^2}{P(1-P)}` with :math:`P' = Da\frac{(P-c)(d-P)}{d-c}` (Magis, 2013);
* GPCM: :math:`I = D^2a^2 \operatorname{Var}(k \mid \theta)` (Muraki, 1993);
* GRM: :math:`I = \sum_k \frac{(P^{*\prime}_k - P^{*\prime}_{k+1})^2}{P_k}` with
  :math:`P^{*\prime}_k = Da P^*_k (1 - P^*_k)` (Samejima, 1969).

References
----------
Barton, M. A., & Lord, F. M. (1981). An upper asymptote for the three-parameter logistic item-response model.
Magis, D. (2013). A note on the item information function of the four-parameter logistic model. APM 37(4).
Muraki, E. (1992). A generalized partial credit model. APM 16(2). Muraki, E. (1993). Information functions of the
generalized partial credit model. APM 17(4).
Samejima, F. (1969). Estimation of latent ability using a response pattern of graded scores. Psychometrika
Monograph 17.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "DEFAULT_D",
    "DICHOTOMOUS",
    "GPCM",
    "GRM",
    "MODEL_CODES",
    "ItemParams",
    "category_probabilities",
    "information",
    "log_probability",
    "score_derivatives",
    "score_function",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

DEFAULT_D = 1.0
DICHOTOMOUS = 0
GPCM = 1
GRM = 2
#: Model names of the pool format and the family each belongs to.
MODEL_CODES = {"1PL": DICHOTOMOUS, "2PL": DICHOTOMOUS, "3PL": DICHOTOMOUS, "4PL": DICHOTOMOUS, "GPCM": GPCM, "GRM": GRM}


@dataclass(frozen=True, eq=False)
class ItemParams:
    """Parameters of every item of a pool, as arrays indexed by item.

    Attributes
    ----------
    model : ndarray of int8, shape (n_items,)
        ``DICHOTOMOUS``, ``GPCM`` or ``GRM``.
    a, b, c, d : ndarray, shape (n_items,)
        Discrimination, difficulty, lower and upper asymptote of dichotomous items. For polytomous items ``b``
        is the mean of the steps (their location), ``c = 0`` and ``d = 1``.
    steps : ndarray, shape (n_items, max_steps)
        GPCM steps or GRM thresholds, NaN-padded after the item's own ``m``; NaN for dichotomous items.
    n_categories : ndarray of intp, shape (n_items,)
        2 for dichotomous items, ``m + 1`` for polytomous ones.
    D : float
        Scaling constant of the logistic.
    """

    model: npt.NDArray[np.int8]
    a: FloatArray
    b: FloatArray
    c: FloatArray
    d: FloatArray
    steps: FloatArray
    n_categories: IntArray
    D: float = DEFAULT_D

    def __post_init__(self) -> None:
        for array in (self.model, self.a, self.b, self.c, self.d, self.steps, self.n_categories):
            array.setflags(write=False)

    @property
    def size(self) -> int:
        """Number of items (``n_items`` is kept for a count of items given)."""
        return int(self.a.shape[0])

    @cached_property
    def da(self) -> FloatArray:
        """``D * a`` of every item."""
        result: FloatArray = self.a * self.D
        result.setflags(write=False)
        return result

    @cached_property
    def neg_da(self) -> FloatArray:
        """``-D * a`` of every item (3PL information computes :math:`-z = Da\\,b - Da\\,\\theta` in two steps)."""
        result: FloatArray = -self.da
        result.setflags(write=False)
        return result

    @cached_property
    def da_b(self) -> FloatArray:
        """``D * a * b`` of every item."""
        result: FloatArray = self.da * self.b
        result.setflags(write=False)
        return result

    @cached_property
    def info_scale(self) -> FloatArray:
        """:math:`D^2a^2(1-c)`, the theta-free factor of 3PL information (:func:`_dichotomous_information`)."""
        result: FloatArray = self.da * self.da * (1.0 - self.c)
        result.setflags(write=False)
        return result

    @cached_property
    def upper_is_one(self) -> bool:
        """Whether every item's upper asymptote is 1 (no 4PL item), which shortens the information formula."""
        return bool(np.all(self.d == 1.0))

    @cached_property
    def families(self) -> dict[int, IntArray]:
        """Item indices of each model family present in the pool."""
        return {int(code): np.flatnonzero(self.model == code) for code in np.unique(self.model)}

    @cached_property
    def family_params(self) -> dict[int, _Gathered]:
        """The parameters of each model family gathered once (the live selection step reads them every time)."""
        return {code: _gather(self, items) for code, items in self.families.items()}

    def take(self, items: npt.ArrayLike) -> ItemParams:
        """The parameters of ``items`` alone, in that order (a pool's content area, whose information the live
        selection step computes without the rest of the pool)."""
        idx = np.asarray(items, dtype=np.intp)
        return ItemParams(
            self.model[idx],
            self.a[idx],
            self.b[idx],
            self.c[idx],
            self.d[idx],
            self.steps[idx],
            self.n_categories[idx],
            self.D,
        )

    @property
    def max_categories(self) -> int:
        """The largest number of categories of any item."""
        return int(self.n_categories.max())

    @classmethod
    def dichotomous(
        cls,
        a: npt.ArrayLike,
        b: npt.ArrayLike,
        c: npt.ArrayLike | None = None,
        d: npt.ArrayLike | None = None,
        D: float = DEFAULT_D,
    ) -> ItemParams:
        """Build parameters of a purely dichotomous pool (1PL-4PL) from arrays."""
        b_arr = np.asarray(b, dtype=np.float64)
        n = b_arr.shape[0]
        return cls(
            model=np.zeros(n, dtype=np.int8),
            a=np.broadcast_to(np.asarray(a, dtype=np.float64), (n,)).copy(),
            b=b_arr.copy(),
            c=np.zeros(n) if c is None else np.asarray(c, dtype=np.float64).copy(),
            d=np.ones(n) if d is None else np.asarray(d, dtype=np.float64).copy(),
            steps=np.full((n, 1), np.nan),
            n_categories=np.full(n, 2, dtype=np.intp),
            D=D,
        )

    def catsim_matrix(self) -> FloatArray:
        """The dichotomous items as catsim's ``[a, b, c, d]`` matrix (with ``D`` folded into ``a``)."""
        if np.any(self.model != DICHOTOMOUS):
            raise ValueError("only dichotomous items have a catsim matrix")
        return np.column_stack([self.a * self.D, self.b, self.c, self.d])


@dataclass(frozen=True)
class _Gathered:
    """Parameters of the requested items (``a`` already multiplied by D), broadcast-ready against theta."""

    model: npt.NDArray[np.int8]
    a: FloatArray
    b: FloatArray
    c: FloatArray
    d: FloatArray
    steps: FloatArray  # shape items.shape + (n_out - 1,)
    n_out: int  # categories in the output's last axis

    @cached_property
    def gpcm_layout(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``(slope, intercept, k)`` for :func:`_gpcm_information`, categories on the leading axis, shape
        ``(m + 1,) + items``: category ``k``'s logit is :math:`Da(k\\theta - B_k) = ` ``slope * theta - intercept``
        with :math:`B_k = \\sum_{v \\le k} b_v` (:math:`B_0 = 0`); a category the item does not have gets an
        intercept of :math:`+\\infty`, so its logit is :math:`-\\infty`. ``k`` holds the category numbers 0..m."""
        steps = np.moveaxis(self.steps, -1, 0)
        m = steps.shape[0]
        cumulative = np.concatenate([np.zeros((1, *self.a.shape)), np.cumsum(steps, axis=0)])  # NaN past a gap
        categories = np.arange(m + 1, dtype=np.float64)
        slope = categories.reshape((m + 1,) + (1,) * self.a.ndim) * self.a
        return slope, np.where(np.isnan(cumulative), np.inf, self.a * cumulative), categories

    @cached_property
    def grm_layout(self) -> tuple[FloatArray, FloatArray]:
        """``(b, F)`` for :func:`_grm_information`, on the leading axis: the thresholds with :math:`-\\infty`
        before the first and :math:`+\\infty` after the last, shape ``(m + 2,) + items`` (a missing threshold also
        at :math:`+\\infty`); and the theta-free factor of each category, shape ``(m + 1,) + items``."""
        b = np.moveaxis(np.where(np.isnan(self.steps), np.inf, self.steps), -1, 0)
        with np.errstate(invalid="ignore"):  # inf - inf between two missing thresholds: that category is 0 anyway
            inner = -np.expm1(-self.a * np.diff(b, axis=0))
        ends = np.ones((1, *self.a.shape))
        padded = np.concatenate([np.full((1, *self.a.shape), -np.inf), b, np.full((1, *self.a.shape), np.inf)])
        return padded, np.concatenate([ends, np.where(np.isnan(inner), 1.0, inner), ends])


@dataclass(frozen=True)
class _Dichotomous:
    """Only the 4PL parameters of the requested items (``a`` already multiplied by D): the estimator's hot path."""

    a: FloatArray
    b: FloatArray
    c: FloatArray
    d: FloatArray

    @classmethod
    def gather(cls, params: ItemParams, items: IntArray | None) -> _Dichotomous:
        if items is None:
            return cls(params.da, params.b, params.c, params.d)
        return cls(params.da[items], params.b[items], params.c[items], params.d[items])


def _gather(params: ItemParams, items: IntArray | None) -> _Gathered:
    if items is None:
        p = params
        return _Gathered(p.model, p.da, p.b, p.c, p.d, p.steps[:, : max(p.max_categories - 1, 1)], p.max_categories)
    n_cat = params.n_categories[items]
    n_out = int(n_cat.max()) if n_cat.size else 2
    return _Gathered(
        params.model[items],
        params.da[items],
        params.b[items],
        params.c[items],
        params.d[items],
        params.steps[items][..., : max(n_out - 1, 1)],
        n_out,
    )


def _log_sigmoid(x: FloatArray) -> FloatArray:
    """:math:`\\log \\sigma(x) = -\\log(1 + e^{-x})`, exact for any x (no 0 or 1 rounding)."""
    result: FloatArray = -np.logaddexp(0.0, -x)
    return result


def _sigmoid(x: FloatArray) -> FloatArray:
    result: FloatArray = np.exp(_log_sigmoid(x))
    return result


def _dichotomous_log_probs(theta: FloatArray, da: Any, b: Any, c: Any, d: Any) -> tuple[FloatArray, FloatArray]:
    """log P and log Q of the 4PL, with Q = 1 - P computed without cancellation.

    With :math:`L = \\sigma(z)`, :math:`z = Da(\\theta - b)`: :math:`P = c + (d-c)L` and
    :math:`Q = (1-d) + (d-c)\\sigma(-z)`, so probabilities as small as :math:`e^{-700}` keep their value instead of
    rounding to 0 or 1.
    """
    z = da * (theta - b)
    log_l, log_lbar = _log_sigmoid(z), _log_sigmoid(-z)
    spread = d - c
    with np.errstate(divide="ignore"):
        # c = 0 (or d = 1) leaves only the logistic term, whose log is exact; otherwise the sum is >= c > 0.
        log_p = np.where(c > 0, np.log(c + spread * np.exp(log_l)), np.log(spread) + log_l)
        log_q = np.where(d < 1, np.log((1.0 - d) + spread * np.exp(log_lbar)), np.log(1.0 - c) + log_lbar)
    return log_p, log_q


def _dichotomous_information(theta: FloatArray, params: ItemParams, idx: IntArray | None) -> FloatArray:
    """4PL information in closed form with one exponential, the hot path of item selection.

    With :math:`e = e^{-z}`, :math:`z = Da(\\theta - b)` (Magis, 2013, rewritten):

    .. math:: I = \\frac{D^2a^2(d-c)^2\\,e^2}{(1+e)^2\\,(d + ce)\\,((1-d) + (1-c)e)}
              \\overset{d=1}{=} \\frac{D^2a^2(1-c)\\,e}{(1+e)^2\\,(1 + ce)}

    ``z`` is clipped to [-30, 30], where every item's information is below 1e-10 of its maximum, so ``e`` never
    overflows. The arithmetic is done in place: a simulation evaluates it for every examinee and item at each
    position, and temporary arrays of that size cost more than the arithmetic.
    """
    if idx is None:
        neg_da, da_b, c, d = params.neg_da, params.da_b, params.c, params.d
    else:
        neg_da, da_b, c, d = params.neg_da[idx], params.da_b[idx], params.c[idx], params.d[idx]
    e = np.asarray(np.multiply(theta, neg_da))  # 0-d stays an array, so the in-place steps below work
    e += da_b  # -z = Da b - Da theta
    np.minimum(e, 30.0, out=e)
    np.maximum(e, -30.0, out=e)
    np.exp(e, out=e)
    denominator = e + 1.0
    denominator *= denominator
    term = c * e
    term += d
    denominator *= term
    if params.upper_is_one:  # 2PL/3PL: (1-d) + (1-c)e = (1-c)e, which cancels one e and one (1-c)
        e *= params.info_scale if idx is None else params.info_scale[idx]
    else:
        np.multiply(e, 1.0 - c, out=term)
        term += 1.0 - d
        denominator *= term
        e *= e
        e *= neg_da * neg_da * (d - c) ** 2
    e /= denominator
    return e


def _dichotomous_curvature(theta: FloatArray, g: _Gathered | _Dichotomous) -> tuple[FloatArray, ...]:
    """Scores and their derivatives of both categories, and P, Q: ``(s0, s1, ds0, ds1, p, q)``, one exponential.

    With :math:`e = e^{-z}`, :math:`u = d + ce`, :math:`w = (1-d) + (1-c)e` (so :math:`P = u/(1+e)` and
    :math:`Q = w/(1+e)`, neither by subtraction) and :math:`P''/P' = Da\\,(e-1)/(1+e) = r`:

    .. math:: s_1 = \\frac{Da(d-c)e}{(1+e)u},\\quad s_0 = -\\frac{Da(d-c)e}{(1+e)w},\\quad
              s_1' = s_1 r - s_1^2,\\quad s_0' = s_0 r - s_0^2

    ``z`` is clipped to [-500, 500], inside which ``e`` is a normal float, so nothing divides by zero.
    """
    e = np.exp(-np.minimum(np.maximum(g.a * (theta - g.b), -500.0), 500.0))
    one_e = 1.0 + e
    u = g.d + g.c * e
    w = (1.0 - g.d) + (1.0 - g.c) * e
    ke = g.a * (g.d - g.c) * e / one_e
    s1 = ke / u
    s0 = -ke / w
    r = g.a * (e - 1.0) / one_e
    return s0, s1, s0 * r - s0 * s0, s1 * r - s1 * s1, u / one_e, w / one_e


def _log_probs_and_scores(
    theta: FloatArray, params: ItemParams, items: IntArray | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """:math:`\\log P_k`, :math:`s_k = \\partial \\log P_k / \\partial\\theta` and :math:`s_k'` of every category.

    Shapes are ``broadcast(theta, items) + (K,)`` for any mix of models; categories an item does not have get
    :math:`\\log P = -\\infty` and zero derivatives. Everything is computed in log space, so no probability
    underflows to 0 or rounds to 1. The second derivatives are :math:`s_k' = -D^2a^2\\operatorname{Var}(k)` for the
    GPCM and :math:`-D^2a^2[\\sigma(z_k)\\sigma(-z_k) + \\sigma(z_{k+1})\\sigma(-z_{k+1})]` for the GRM.
    """
    g = _gather(params, items)
    shape = tuple(np.broadcast_shapes(theta.shape, g.a.shape))
    k = g.n_out
    log_probs = np.full((*shape, k), -np.inf)
    scores = np.zeros((*shape, k))
    dscores = np.zeros((*shape, k))
    model = np.broadcast_to(g.model, shape)
    if np.any(model == DICHOTOMOUS):
        log_p, log_q = _dichotomous_log_probs(theta, g.a, g.b, g.c, g.d)
        s0, s1, ds0, ds1, _, _ = _dichotomous_curvature(theta, g)
        sel = model == DICHOTOMOUS
        for cat, (lp, sc, dsc) in enumerate(((log_q, s0, ds0), (log_p, s1, ds1))):
            log_probs[..., cat] = np.where(sel, lp, log_probs[..., cat])
            scores[..., cat] = np.where(sel, sc, scores[..., cat])
            dscores[..., cat] = np.where(sel, dsc, dscores[..., cat])
    if np.any(model == GPCM):
        # log P_k = z_k - logsumexp(z), z_k = sum_{v<=k} Da (theta - b_v); d log P_k / d theta = Da (k - E[k])
        m = k - 1
        increments = g.a[..., None] * (theta[..., None] - g.steps)
        z = np.zeros((*shape, k))
        z[..., 1:] = np.cumsum(np.broadcast_to(increments, (*shape, m)), axis=-1)
        z = np.where(np.isnan(z), -np.inf, z)
        top = z.max(axis=-1, keepdims=True)
        log_pg = z - top - np.log(np.exp(z - top).sum(axis=-1, keepdims=True))
        pg = np.exp(log_pg)
        categories = np.arange(k, dtype=np.float64)
        mean = (pg * categories).sum(axis=-1, keepdims=True)
        var = (pg * (categories - mean) ** 2).sum(axis=-1, keepdims=True)
        real = np.isfinite(log_pg)
        sel = (model == GPCM)[..., None]
        log_probs = np.where(sel, log_pg, log_probs)
        scores = np.where(sel & real, g.a[..., None] * (categories - mean), scores)
        dscores = np.where(sel & real, -(g.a[..., None] ** 2) * var, dscores)
    if np.any(model == GRM):
        log_pr, score_r, dscore_r = (np.moveaxis(x, 0, -1) for x in _grm(theta, g))
        sel = (model == GRM)[..., None]
        log_probs = np.where(sel, log_pr, log_probs)
        scores = np.where(sel, score_r, scores)
        dscores = np.where(sel, dscore_r, dscores)
    return log_probs, scores, dscores


def _leading_steps(theta: FloatArray, g: _Gathered) -> tuple[tuple[int, ...], FloatArray, FloatArray]:
    """``(shape, b, z)`` with steps or thresholds on the leading axis: ``b`` of shape ``(m,) + (1,)*r + items``,
    :math:`z = Da(\\theta - b)` of shape ``(m,) + shape``, NaN where an item has fewer steps than ``m``."""
    shape = tuple(np.broadcast_shapes(theta.shape, g.a.shape))
    m = g.steps.shape[-1]
    steps = np.moveaxis(g.steps, -1, 0).reshape((m, *(1,) * (len(shape) - g.a.ndim), *g.a.shape))
    return shape, steps, g.a * (theta - steps)


def _grm(theta: FloatArray, g: _Gathered, with_curvature: bool = True) -> tuple[FloatArray, FloatArray, FloatArray]:
    """GRM categories in log space, laid out ``(K,) + shape`` (categories on the leading axis).

    With :math:`z_k = Da(\\theta - b_k)` (so :math:`z_k > z_{k+1}`), :math:`P_k = \\sigma(z_k) - \\sigma(z_{k+1})
    = \\sigma(z_k)\\,\\sigma(-z_{k+1})\\,(1 - e^{z_{k+1} - z_k})`, whose last factor does not depend on theta, so
    :math:`\\partial \\log P_k/\\partial\\theta = Da\\,(\\sigma(-z_k) - \\sigma(z_{k+1}))` and
    :math:`s_k' = -D^2a^2[\\sigma(z_k)\\sigma(-z_k) + \\sigma(z_{k+1})\\sigma(-z_{k+1})]`; the end categories keep
    only their one term (:math:`P^*_0 = 1`, :math:`P^*_{m+1} = 0`). Categories an item does not have get
    :math:`\\log P = -\\infty` and zero derivatives; without ``with_curvature`` the third array is all zeros.
    """
    shape, steps, z = _leading_steps(theta, g)
    m = steps.shape[0]
    has = ~np.isnan(z)
    zero, none = np.zeros((1, *shape)), np.zeros((1, *shape), dtype=bool)
    up = np.concatenate([zero, np.where(has, z, 0.0)])  # z_k, k = 0..m (k = 0: +inf, masked by has_up)
    low = np.concatenate([np.where(has, z, 0.0), zero])  # z_{k+1} (past the last threshold: -inf, masked)
    has_up, has_low = np.concatenate([none, has]), np.concatenate([has, none])
    exists = np.concatenate([~none, has])
    # The constant factor 1 - e^{z_{k+1} - z_k} = 1 - e^{-Da (b_{k+1} - b_k)}, from the thresholds themselves: the
    # difference of the z's would round to 0 for thresholds closer than theta's last digit.
    gap = np.diff(steps, axis=0)  # k = 1..m-1, NaN where either threshold is missing
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.log(-np.expm1(-g.a * np.where(np.isnan(gap), 1.0, gap)))
    log_p = np.where(has_up, _log_sigmoid(up), 0.0) + np.where(has_low, _log_sigmoid(-low), 0.0)
    log_p[1:m] += np.where(has_low[1:m], factor, 0.0)
    sig_up, sig_not_up = _sigmoid(up), _sigmoid(-up)
    sig_low, sig_not_low = _sigmoid(low), _sigmoid(-low)
    score = g.a * (np.where(has_up, sig_not_up, 0.0) - np.where(has_low, sig_low, 0.0))
    if with_curvature:
        dscore = -(g.a * g.a) * (
            np.where(has_up, sig_up * sig_not_up, 0.0) + np.where(has_low, sig_low * sig_not_low, 0.0)
        )
    else:
        dscore = np.zeros_like(score)
    return np.where(exists, log_p, -np.inf), np.where(exists, score, 0.0), np.where(exists, dscore, 0.0)


def category_probabilities(theta: npt.ArrayLike, params: ItemParams, items: npt.ArrayLike | None = None) -> FloatArray:
    """Probability of each response category.

    Parameters
    ----------
    theta : array_like
        Abilities, broadcastable against ``items``.
    params : ItemParams
        The pool's parameters.
    items : array_like of int, optional
        Item indices; all items of ``params`` (shape ``(n_items,)``) when omitted.

    Returns
    -------
    ndarray, shape ``broadcast(theta, items) + (K,)``
        :math:`P_k(\\theta)` with ``K`` the largest category count among the items; categories an item does not
        have get probability 0.
    """
    log_probs, _, _ = _log_probs_and_scores(np.asarray(theta, dtype=np.float64), params, _index(items))
    result: FloatArray = np.exp(log_probs)
    return result


def information(theta: npt.ArrayLike, params: ItemParams, items: npt.ArrayLike | None = None) -> FloatArray:
    """Fisher information :math:`I(\\theta) = \\sum_k P_k (\\partial \\log P_k/\\partial\\theta)^2` of each item.

    Returns
    -------
    ndarray, shape ``broadcast(theta, items)``
    """
    theta_arr = np.asarray(theta, dtype=np.float64)
    idx = _index(items)
    if idx is None:
        families = params.families
        if len(families) > 1:  # one vectorised pass per model family, scattered into place
            out = np.empty(np.broadcast_shapes(theta_arr.shape, (params.size,)))
            for code, family in families.items():
                if code == DICHOTOMOUS:
                    out[..., family] = _dichotomous_information(theta_arr, params, family)
                else:
                    out[..., family] = _polytomous_information(theta_arr, params.family_params[code], code)
            return out
        if _all_dichotomous(params, idx):
            return _dichotomous_information(theta_arr, params, idx)
        code = next(iter(families))
        return _polytomous_information(theta_arr, params.family_params[code], code)
    if _all_dichotomous(params, idx):
        return _dichotomous_information(theta_arr, params, idx)
    log_probs, scores, _ = _log_probs_and_scores(theta_arr, params, idx)
    result: FloatArray = (np.exp(log_probs) * scores * scores).sum(axis=-1)
    return result


def _polytomous_information(theta: FloatArray, g: _Gathered, code: int) -> FloatArray:
    """Information of items that all follow one polytomous model (:func:`_gpcm_information`,
    :func:`_grm_information`).

    Both lay categories on the leading axis, so that every sum over categories adds K contiguous rows (a reduction
    over a short last axis costs numpy several times more), and both read theta-free layouts computed once per
    pool: this is the live selection step's hot path, whose cost is the number of numpy calls.
    """
    return _gpcm_information(theta, g) if code == GPCM else _grm_information(theta, g)


def _leading(layout: FloatArray, shape: tuple[int, ...], g: _Gathered) -> FloatArray:
    """A ``(K,) + items`` layout reshaped to broadcast against theta's extra leading axes in ``shape``."""
    extra = len(shape) - g.a.ndim
    return layout if extra == 0 else layout.reshape((layout.shape[0], *(1,) * extra, *g.a.shape))


def _gpcm_information(theta: FloatArray, g: _Gathered) -> FloatArray:
    r"""GPCM information :math:`I = D^2a^2 \operatorname{Var}(k)` under the category probabilities (Muraki, 1993).

    Category ``k``'s logit is :math:`Da(k\theta - B_k)` (:attr:`_Gathered.gpcm_layout`). The variance is taken
    about the modal category :math:`c`: :math:`E[(k-c)^2] - E[k-c]^2` keeps its digits when one category holds almost
    all the probability (far from the item), where :math:`k - E[k]` would lose them to rounding of :math:`E[k]`.
    """
    shape = tuple(np.broadcast_shapes(theta.shape, g.a.shape))
    slope, intercept, categories = g.gpcm_layout
    logits = _leading(slope, shape, g) * theta - _leading(intercept, shape, g)
    offset = categories.reshape((categories.shape[0],) + (1,) * len(shape)) - logits.argmax(axis=0)
    logits -= logits.max(axis=0)
    p = np.exp(logits, out=logits)
    total = p.sum(axis=0)
    weighted = p * offset
    first = weighted.sum(axis=0) / total
    weighted *= offset
    gpcm: FloatArray = g.a * g.a * np.maximum(weighted.sum(axis=0) / total - first * first, 0.0)
    return gpcm


def _grm_information(theta: FloatArray, g: _Gathered) -> FloatArray:
    r"""GRM information without logarithms (Samejima, 1969).

    With :math:`u_k = \sigma(z_k)`, :math:`v_k = \sigma(-z_k)`, :math:`z_k = Da(\theta - b_k)` (:math:`u_0 = 1,
    v_0 = 0` and :math:`u_{m+1} = 0, v_{m+1} = 1` at the ends, from thresholds at :math:`\mp\infty` in
    :attr:`_Gathered.grm_layout`), each category's probability is the product :math:`P_k = u_k\,v_{k+1}\,F_k` with
    the theta-free factor :math:`F_k = 1 - e^{-Da(b_{k+1} - b_k)}` (1 for the end categories), and its score is
    :math:`s_k = Da(v_k - u_{k+1})` (see :func:`_grm`), so

    .. math:: I(\theta) = D^2a^2 \sum_k u_k v_{k+1} F_k (v_k - u_{k+1})^2 .

    Every factor is computed to full relative precision from :math:`e^{-|z|}` (no :math:`1 - \sigma` rounding),
    so far from the item it keeps its digits as the log-space :func:`_grm` does. A missing threshold stands at
    :math:`+\infty` (:math:`u = 0, v = 1`), which gives its categories probability 0.
    """
    shape = tuple(np.broadcast_shapes(theta.shape, g.a.shape))
    b, factor = g.grm_layout
    z = g.a * (theta - _leading(b, shape, g))
    e = np.exp(-np.abs(z))
    r = 1.0 / (1.0 + e)
    er = e * r
    above = z >= 0
    u, v = np.where(above, r, er), np.where(above, er, r)
    s = v[:-1] - u[1:]
    p = u[:-1] * v[1:] * _leading(factor, shape, g)
    p *= s
    p *= s
    grm: FloatArray = g.a * g.a * p.sum(axis=0)
    return grm


def log_probability(
    theta: npt.ArrayLike, params: ItemParams, items: npt.ArrayLike | None, categories: npt.ArrayLike
) -> FloatArray:
    """Log-probability :math:`\\log P_x(\\theta)` of the observed categories, elementwise.

    ``categories`` broadcasts like ``items``. Summing over the items of a test gives its log-likelihood
    :math:`\\ell(\\theta) = \\sum_i \\log P_{i,x_i}(\\theta)`. It is computed in log space, so it stays finite
    and exact however improbable the response (for a category the item has).
    """
    theta_arr = np.asarray(theta, dtype=np.float64)
    idx = _index(items)
    if _all_dichotomous(params, idx):
        g = _gather(params, idx)
        log_p, log_q = _dichotomous_log_probs(theta_arr, g.a, g.b, g.c, g.d)
        result_d: FloatArray = np.where(np.asarray(categories) == 1, log_p, log_q)
        return result_d
    log_probs, _, _ = _log_probs_and_scores(theta_arr, params, idx)
    result: FloatArray = _take_category(log_probs, categories)
    return result


def score_function(
    theta: npt.ArrayLike, params: ItemParams, items: npt.ArrayLike | None, categories: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """First derivative of the log-probability of the observed categories, and each item's Fisher information.

    Returns
    -------
    score : ndarray
        :math:`\\partial \\log P_x(\\theta) / \\partial\\theta = P_x'(\\theta) / P_x(\\theta)`, elementwise.
    info : ndarray
        :math:`I(\\theta)` of the same items, elementwise.
    """
    score, _, info, _ = score_derivatives(theta, params, items, categories)
    return score, info


def score_derivatives(
    theta: npt.ArrayLike, params: ItemParams, items: npt.ArrayLike | None, categories: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """What Newton's method and Warm's estimator need, elementwise per item.

    Returns
    -------
    score : ndarray
        :math:`s_x = \\partial \\log P_x / \\partial\\theta` of the observed category.
    curvature : ndarray
        :math:`s_x' = \\partial^2 \\log P_x / \\partial\\theta^2` (the observed information is its negative).
    info : ndarray
        Fisher information :math:`I = \\sum_k P_k s_k^2`.
    warm_j : ndarray
        Warm's :math:`J = \\sum_k P_k' P_k'' / P_k = \\sum_k P_k s_k (s_k^2 + s_k')`.
    """
    theta_arr = np.asarray(theta, dtype=np.float64)
    idx = _index(items)
    cats = np.asarray(categories)
    if _all_dichotomous(params, idx):
        s0, s1, ds0, ds1, p, q = _dichotomous_curvature(theta_arr, _Dichotomous.gather(params, idx))
        info = -s1 * s0  # P'^2 / (P Q)
        warm_j = p * s1 * (s1 * s1 + ds1) + q * s0 * (s0 * s0 + ds0)
        return np.where(cats == 1, s1, s0), np.where(cats == 1, ds1, ds0), info, warm_j
    log_probs, scores, dscores = _log_probs_and_scores(theta_arr, params, idx)
    probs = np.exp(log_probs)
    info_all: FloatArray = (probs * scores * scores).sum(axis=-1)
    warm: FloatArray = (probs * scores * (scores * scores + dscores)).sum(axis=-1)
    return _take_category(scores, categories), _take_category(dscores, categories), info_all, warm


def _index(items: npt.ArrayLike | None) -> IntArray | None:
    return None if items is None else np.asarray(items, dtype=np.intp)


def _take_category(values: FloatArray, categories: npt.ArrayLike) -> FloatArray:
    """``values[..., x]`` for observed categories ``x`` broadcast against ``values[..., 0]``."""
    cat = np.asarray(categories, dtype=np.intp)
    shape = np.broadcast_shapes(values.shape[:-1], cat.shape)
    full = np.broadcast_to(values, (*shape, values.shape[-1]))
    result: FloatArray = np.take_along_axis(full, np.broadcast_to(cat, shape)[..., None], axis=-1)[..., 0]
    return result


def _all_dichotomous(params: ItemParams, idx: IntArray | None) -> bool:
    if idx is None or len(params.families) == 1:
        return DICHOTOMOUS in params.families and len(params.families) == 1
    return bool(np.all(params.model[idx] == DICHOTOMOUS))
