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

# Probabilities are kept inside [_EPS, 1 - _EPS] where a logarithm or a division follows, so that no pattern of
# responses can produce inf or NaN downstream.
_EPS = 1e-12


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
    def n_items(self) -> int:
        """Number of items."""
        return int(self.a.shape[0])

    @cached_property
    def da(self) -> FloatArray:
        """``D * a`` of every item."""
        result: FloatArray = self.a * self.D
        result.setflags(write=False)
        return result

    @cached_property
    def families(self) -> dict[int, IntArray]:
        """Item indices of each model family present in the pool."""
        return {int(code): np.flatnonzero(self.model == code) for code in np.unique(self.model)}

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
    """Parameters of the requested items, broadcast-ready against theta."""

    model: npt.NDArray[np.int8]
    a: FloatArray
    b: FloatArray
    c: FloatArray
    d: FloatArray
    steps: FloatArray  # shape items.shape + (max_steps,)
    n_categories: IntArray
    n_out: int  # categories in the output's last axis


def _gather(params: ItemParams, items: npt.ArrayLike | None) -> _Gathered:
    if items is None:
        p = params
        n_out = p.max_categories
        return _Gathered(p.model, p.a, p.b, p.c, p.d, p.steps, p.n_categories, n_out)
    idx = np.asarray(items, dtype=np.intp)
    n_cat = params.n_categories[idx]
    n_out = int(n_cat.max()) if n_cat.size else 2
    return _Gathered(
        params.model[idx],
        params.a[idx],
        params.b[idx],
        params.c[idx],
        params.d[idx],
        params.steps[idx][..., : max(n_out - 1, 1)],
        n_cat,
        n_out,
    )


def _shape(theta: FloatArray, g: _Gathered) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(theta.shape, g.a.shape))


def _dichotomous_p(theta: FloatArray, g: _Gathered) -> tuple[FloatArray, FloatArray]:
    """P and dP/dtheta of the 4PL."""
    logistic = 1.0 / (1.0 + np.exp(-g.a * (theta - g.b)))
    p = g.c + (g.d - g.c) * logistic
    # dP/dtheta = Da (d - c) L (1 - L) = Da (P - c)(d - P) / (d - c)
    dp = g.a * (g.d - g.c) * logistic * (1.0 - logistic)
    return p, dp


def _with_d(params: ItemParams, items: npt.ArrayLike | None) -> _Gathered:
    g = _gather(params, items)
    # D is folded into a once, so the model code below reads the textbook formulas with Da written as a.
    return _Gathered(g.model, g.a * params.D, g.b, g.c, g.d, g.steps, g.n_categories, g.n_out)


def _gpcm_probs(theta: FloatArray, g: _Gathered) -> FloatArray:
    """Category probabilities of the GPCM, shape broadcast + (n_out,); padded categories get 0."""
    shape = _shape(theta, g)
    m = g.n_out - 1
    # z_k = sum_{v<=k} Da (theta - b_v); padded steps are NaN and make their category's z = -inf.
    increments = g.a[..., None] * (theta[..., None] - g.steps[..., :m])
    z = np.zeros((*shape, m + 1))
    z[..., 1:] = np.cumsum(np.broadcast_to(increments, (*shape, m)), axis=-1)
    z = np.where(np.isnan(z), -np.inf, z)
    z -= z.max(axis=-1, keepdims=True)
    ez = np.exp(z)
    result: FloatArray = ez / ez.sum(axis=-1, keepdims=True)
    return result


def _grm_cumulative(theta: FloatArray, g: _Gathered) -> tuple[FloatArray, FloatArray]:
    """P*_0..P*_{m+1} and their derivatives, shape broadcast + (n_out + 1,)."""
    shape = _shape(theta, g)
    m = g.n_out - 1
    thresholds = np.where(np.isnan(g.steps[..., :m]), np.inf, g.steps[..., :m])
    inner = 1.0 / (1.0 + np.exp(-g.a[..., None] * (theta[..., None] - thresholds)))
    star = np.zeros((*shape, m + 2))
    star[..., 0] = 1.0
    star[..., 1 : m + 1] = inner
    dstar = np.zeros_like(star)
    dstar[..., 1 : m + 1] = g.a[..., None] * inner * (1.0 - inner)
    return star, dstar


def _probs_and_derivs(
    theta_in: npt.ArrayLike, params: ItemParams, items: npt.ArrayLike | None
) -> tuple[FloatArray, FloatArray, _Gathered]:
    """Category probabilities P_k and derivatives P_k' for any mix of models."""
    theta = np.asarray(theta_in, dtype=np.float64)
    g = _with_d(params, items)
    shape = _shape(theta, g)
    k = g.n_out
    probs = np.zeros((*shape, k))
    derivs = np.zeros((*shape, k))
    model = np.broadcast_to(g.model, shape)
    if np.any(model == DICHOTOMOUS):
        p, dp = _dichotomous_p(theta, g)
        sel = (model == DICHOTOMOUS)[..., None]
        pair = np.stack(np.broadcast_arrays(1.0 - p, p), axis=-1)
        dpair = np.stack(np.broadcast_arrays(-dp, dp), axis=-1)
        probs[..., :2] = np.where(sel, pair, probs[..., :2])
        derivs[..., :2] = np.where(sel, dpair, derivs[..., :2])
    if np.any(model == GPCM):
        pg = _gpcm_probs(theta, g)
        categories = np.arange(k, dtype=np.float64)
        mean = (pg * categories).sum(axis=-1, keepdims=True)
        # dP_k/dtheta = Da P_k (k - E[k])
        dg = g.a[..., None] * pg * (categories - mean)
        sel = (model == GPCM)[..., None]
        probs = np.where(sel, pg, probs)
        derivs = np.where(sel, dg, derivs)
    if np.any(model == GRM):
        star, dstar = _grm_cumulative(theta, g)
        pr = star[..., :-1] - star[..., 1:]
        dr = dstar[..., :-1] - dstar[..., 1:]
        sel = (model == GRM)[..., None]
        probs = np.where(sel, pr, probs)
        derivs = np.where(sel, dr, derivs)
    return probs, derivs, g


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
    probs, _, _ = _probs_and_derivs(theta, params, items)
    return probs


def information(theta: npt.ArrayLike, params: ItemParams, items: npt.ArrayLike | None = None) -> FloatArray:
    """Fisher information :math:`I(\\theta) = \\sum_k P_k'^2 / P_k` of each item (see the module docstring).

    Returns
    -------
    ndarray, shape ``broadcast(theta, items)``
    """
    theta_arr = np.asarray(theta, dtype=np.float64)
    if items is None:
        families = params.families
        if len(families) > 1:  # one vectorised pass per model family, scattered into place
            out = np.empty(np.broadcast_shapes(theta_arr.shape, (params.n_items,)))
            for idx in families.values():
                out[..., idx] = information(theta_arr, params, idx)
            return out
        if DICHOTOMOUS in families:
            return _dichotomous_info(theta_arr, params.da, params.b, params.c, params.d)
    else:
        idx = np.asarray(items, dtype=np.intp)
        if _all_dichotomous(params, idx):
            return _dichotomous_info(theta_arr, params.da[idx], params.b[idx], params.c[idx], params.d[idx])
    probs, derivs, _ = _probs_and_derivs(theta_arr, params, items)
    result: FloatArray = (derivs * derivs / np.maximum(probs, _EPS)).sum(axis=-1)
    return result


def log_probability(
    theta: npt.ArrayLike, params: ItemParams, items: npt.ArrayLike | None, categories: npt.ArrayLike
) -> FloatArray:
    """Log-probability :math:`\\log P_x(\\theta)` of the observed categories, elementwise.

    ``categories`` broadcasts like ``items``. Summing over the items of a test gives its log-likelihood
    :math:`\\ell(\\theta) = \\sum_i \\log P_{i,x_i}(\\theta)`. Probabilities are floored at 1e-12, so the result is
    always finite.
    """
    theta_arr = np.asarray(theta, dtype=np.float64)
    idx = None if items is None else np.asarray(items, dtype=np.intp)
    if _all_dichotomous(params, idx):
        p, _ = _dichotomous_fast(theta_arr, params, idx)
        chosen = np.where(np.asarray(categories) == 1, p, 1.0 - p)
    else:
        probs, _, _ = _probs_and_derivs(theta_arr, params, idx)
        probs, cat = _broadcast_categories(probs, categories)
        chosen = np.take_along_axis(probs, cat[..., None], axis=-1)[..., 0]
    result: FloatArray = np.log(np.maximum(chosen, _EPS))
    return result


def _broadcast_categories(probs: FloatArray, categories: npt.ArrayLike) -> tuple[FloatArray, IntArray]:
    """Broadcast category probabilities ``(..., K)`` and observed categories against each other."""
    cat = np.asarray(categories, dtype=np.intp)
    shape = np.broadcast_shapes(probs.shape[:-1], cat.shape)
    return np.broadcast_to(probs, (*shape, probs.shape[-1])), np.broadcast_to(cat, shape)


def _all_dichotomous(params: ItemParams, idx: IntArray | None) -> bool:
    if idx is None or len(params.families) == 1:
        return DICHOTOMOUS in params.families and len(params.families) == 1
    return bool(np.all(params.model[idx] == DICHOTOMOUS))


def _dichotomous_fast(theta: FloatArray, params: ItemParams, idx: IntArray | None) -> tuple[FloatArray, FloatArray]:
    """P and P' of dichotomous items, the 4PL formulas without the category axis."""
    if idx is None:
        da, b, c, d = params.da, params.b, params.c, params.d
    else:
        da, b, c, d = params.da[idx], params.b[idx], params.c[idx], params.d[idx]
    logistic = 1.0 / (1.0 + np.exp(-da * (theta - b)))
    return c + (d - c) * logistic, da * (d - c) * logistic * (1.0 - logistic)


def _dichotomous_info(theta: FloatArray, da: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray) -> FloatArray:
    logistic = 1.0 / (1.0 + np.exp(-da * (theta - b)))
    p = c + (d - c) * logistic
    dp = da * (d - c) * logistic * (1.0 - logistic)
    result: FloatArray = dp * dp / np.maximum(p * (1.0 - p), _EPS)
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
    theta_arr = np.asarray(theta, dtype=np.float64)
    idx = None if items is None else np.asarray(items, dtype=np.intp)
    if _all_dichotomous(params, idx):
        p, dp = _dichotomous_fast(theta_arr, params, idx)
        pq = np.maximum(p * (1.0 - p), _EPS)
        score_d: FloatArray = (np.asarray(categories) - p) * dp / pq
        info_d: FloatArray = dp * dp / pq
        return score_d, info_d
    probs, derivs, _ = _probs_and_derivs(theta_arr, params, idx)
    probs, cat = _broadcast_categories(probs, categories)
    derivs = np.broadcast_to(derivs, probs.shape)
    p_x = np.take_along_axis(probs, cat[..., None], axis=-1)[..., 0]
    dp_x = np.take_along_axis(derivs, cat[..., None], axis=-1)[..., 0]
    score = dp_x / np.maximum(p_x, _EPS)
    info = (derivs * derivs / np.maximum(probs, _EPS)).sum(axis=-1)
    return score, info
