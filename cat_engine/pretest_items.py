r"""Simulated pretest items: true parameters drawn like a pool's, and the provisional values calibration starts from.

True parameters
---------------
Each pretest item copies a **source item** drawn uniformly from the pool, keeping its model (2PL, 3PL, GPCM,
GRM...) and number of options, and jitters its parameters, so the new items are distributed like the pool's own:

* :math:`a = a_s \exp(\varepsilon_a)`, :math:`\varepsilon_a \sim N(0, 0.1^2)`;
* dichotomous: :math:`b = b_s + \varepsilon_b`, :math:`\varepsilon_b \sim N(0, 0.2^2)`; a source with
  :math:`c_s > 0` gets :math:`c = \operatorname{clip}(c_s + \varepsilon_c, 0.02, 0.45)`,
  :math:`\varepsilon_c \sim N(0, 0.02^2)`, and a source with :math:`c_s = 0` (1PL/2PL) keeps :math:`c = 0`;
  :math:`d = d_s`;
* polytomous: every step :math:`b_v = b_{s,v} + \delta + \varepsilon_v` with a common shift
  :math:`\delta \sim N(0, 0.2^2)` and :math:`\varepsilon_v \sim N(0, 0.1^2)`; GRM thresholds are then sorted and
  kept at least 0.1 apart, and :math:`b` is the mean of the steps (as in a pool).

Provisional (starting) values
-----------------------------
What an item writer knows before calibration, improved by the item's raw responses:

* :math:`a = 1`;
* dichotomous: :math:`c = 1/\text{options}` for an item whose model has a guessing parameter (source
  :math:`c_s > 0`), else 0; :math:`b` from the share correct :math:`p`: with :math:`p^* =
  \operatorname{clip}\big((p - c)/(1 - c), 0.02, 0.98\big)`,
  :math:`b = \operatorname{clip}(-1.16 \operatorname{logit} p^*, -3, 3)`. (For :math:`\theta \sim N(0,1)` and
  :math:`a = 1`, :math:`P(\text{correct}) \approx \Phi(-b/\sqrt{1 + 1.7^2})` and
  :math:`\Phi^{-1}(p) \approx \operatorname{logit}(p)/1.7`, hence :math:`\sqrt{1 + 1.7^2}/1.7 = 1.16`);
* polytomous: a location :math:`\ell` from the mean score :math:`\bar x` of the :math:`m + 1` categories the
  same way (:math:`p^* = \bar x / m`), and steps spread evenly, :math:`b_v = \ell - 1 + 2(v - 1)/(m - 1)`
  (just :math:`\ell` when :math:`m = 1`);
* an item with no responses starts at :math:`b = 0` (:math:`\ell = 0`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .irt import DICHOTOMOUS, GRM, ItemParams
from .pool import Pool

__all__ = ["SeededItems", "concat_params", "draw_seeded_items", "provisional_params"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

_SD_LOG_A, _SD_B, _SD_C, _SD_SHIFT, _SD_STEP = 0.1, 0.2, 0.02, 0.2, 0.1
_C_RANGE = (0.02, 0.45)
_GRM_GAP = 0.1
_MARGINAL = 1.16  # sqrt(1 + 1.7^2) / 1.7


@dataclass(frozen=True, eq=False)
class SeededItems:
    """The pretest items of a subtest.

    Attributes
    ----------
    truth : ItemParams
        Their true parameters (the responses are drawn from them).
    models : tuple of str
        The model name of each item (its source item's).
    n_options : ndarray of int, shape (N,)
        Options of each item (its source item's).
    source : ndarray of int, shape (N,)
        The pool item each copies.
    """

    truth: ItemParams
    models: tuple[str, ...]
    n_options: IntArray
    source: IntArray

    @property
    def guessing(self) -> npt.NDArray[np.bool_]:
        """Whether each item's model has a lower asymptote (its source's :math:`c > 0`)."""
        result: npt.NDArray[np.bool_] = self.truth.c > 0
        return result


def concat_params(*parts: ItemParams) -> ItemParams:
    """The items of ``parts`` one after the other (steps padded with NaN to the widest); one ``D`` for all."""
    if len({p.D for p in parts}) != 1:
        raise ValueError("the item parameters to join have different scaling constants D")
    width = max(p.steps.shape[1] for p in parts)
    steps = np.concatenate(
        [np.pad(p.steps, ((0, 0), (0, width - p.steps.shape[1])), constant_values=np.nan) for p in parts]
    )
    return ItemParams(
        model=np.concatenate([p.model for p in parts]),
        a=np.concatenate([p.a for p in parts]),
        b=np.concatenate([p.b for p in parts]),
        c=np.concatenate([p.c for p in parts]),
        d=np.concatenate([p.d for p in parts]),
        steps=steps,
        n_categories=np.concatenate([p.n_categories for p in parts]).astype(np.intp),
        D=parts[0].D,
    )


def draw_seeded_items(pool: Pool, n: int, rng: np.random.Generator) -> SeededItems:
    """``n`` pretest items with true parameters drawn like ``pool``'s (module docstring)."""
    p = pool.params
    source = rng.integers(0, pool.size, size=n).astype(np.intp)
    a = p.a[source] * np.exp(rng.normal(0.0, _SD_LOG_A, n))
    b = p.b[source] + rng.normal(0.0, _SD_B, n)
    c_src = p.c[source]
    c = np.where(c_src > 0, np.clip(c_src + rng.normal(0.0, _SD_C, n), *_C_RANGE), 0.0)
    steps = p.steps[source] + rng.normal(0.0, _SD_SHIFT, (n, 1)) + rng.normal(0.0, _SD_STEP, p.steps[source].shape)
    model = p.model[source]
    n_cat = p.n_categories[source]
    for i in np.flatnonzero(model == GRM):
        m = int(n_cat[i]) - 1
        own = np.sort(steps[i, :m])
        steps[i, :m] = own[0] + np.concatenate([[0.0], np.cumsum(np.maximum(np.diff(own), _GRM_GAP))])
    poly = model != DICHOTOMOUS
    b[poly] = np.nanmean(steps[poly], axis=1) if poly.any() else b[poly]
    steps[~poly] = np.nan
    truth = ItemParams(
        model=model.copy(), a=a, b=b, c=c, d=p.d[source].copy(), steps=steps, n_categories=n_cat.copy(), D=p.D
    )
    models = tuple(pool.items[int(s)].model for s in source)
    n_options = np.array([len(pool.items[int(s)].options) for s in source], dtype=np.intp)
    return SeededItems(truth=truth, models=models, n_options=n_options, source=source)


def _location(share: FloatArray) -> FloatArray:
    """:math:`\\operatorname{clip}(-1.16 \\operatorname{logit} p^*, -3, 3)` with :math:`p^*` clipped to
    [0.02, 0.98]."""
    s = np.clip(share, 0.02, 0.98)
    result: FloatArray = np.clip(-_MARGINAL * np.log(s / (1.0 - s)), -3.0, 3.0)
    return result


def provisional_params(seeded: SeededItems, item: IntArray, category: IntArray) -> ItemParams:
    """Starting values of the pretest items from their responses (long form: pretest item index ``item`` and
    score ``category`` of each response); see the module docstring."""
    t = seeded.truth
    n = t.size
    counts = np.bincount(item, minlength=n).astype(np.float64)
    sums = np.bincount(item, weights=category.astype(np.float64), minlength=n)
    m = (t.n_categories - 1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = sums / (counts * m)
    c = np.where(seeded.guessing, 1.0 / seeded.n_options, 0.0)
    dichotomous = t.model == DICHOTOMOUS
    star = np.where(dichotomous, (share - c) / (1.0 - c), share)
    loc = np.where(counts > 0, _location(np.nan_to_num(star, nan=0.5)), 0.0)
    steps = np.full_like(t.steps, np.nan)
    for i in np.flatnonzero(~dichotomous):
        k = int(m[i])
        steps[i, :k] = loc[i] + (np.linspace(-1.0, 1.0, k) if k > 1 else 0.0)
    return ItemParams(
        model=t.model.copy(),
        a=np.ones(n),
        b=loc,
        c=np.where(dichotomous, c, 0.0),
        d=np.ones(n),
        steps=steps,
        n_categories=t.n_categories.copy(),
        D=t.D,
    )
