r"""How far a reported level (1-5) can be trusted: classification accuracy and consistency.

A subtest reports level :math:`\ell(\theta) = 1 + \#\{k : \theta \ge c_k\}` for its four cuts :math:`c_1 < \dots <
c_4`. With the estimate :math:`\hat\theta` and its standard error :math:`SE` taken as a normal posterior, the
probability that the true level is :math:`j` is

.. math:: p_j = \Phi\!\left(\frac{c_j - \hat\theta}{SE}\right) - \Phi\!\left(\frac{c_{j-1} - \hat\theta}{SE}\right),
   \qquad c_0 = -\infty,\ c_5 = +\infty.

* **Expected accuracy** (Rudner, 2001): the mean over examinees of :math:`p_{\ell(\hat\theta)}`, the probability that
  the level reported is the true one.
* **Consistency** (Lee, 2010; the same normal approximation): the mean of :math:`\sum_j p_j^2`, the probability that
  two independent administrations give the same level.
* In a simulation the true level is known, so the **accuracy** is also counted directly: the share of examinees
  whose reported level is their true level, overall and for each true level.

References
----------
Rudner, L. M. (2001). Computing the expected proportions of misclassified examinees. Practical Assessment, Research
& Evaluation 7(14).
Lee, W.-C. (2010). Classification consistency and accuracy for complex assessments using item response theory.
JEM 47(1), 1-17.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["classification_summary", "level_probabilities", "levels_of"]

FloatArray = npt.NDArray[np.float64]

_PHI = np.vectorize(lambda z: 0.5 * (1.0 + math.erf(z / math.sqrt(2.0))), otypes=[np.float64])


def levels_of(theta: npt.ArrayLike, cuts: Sequence[float]) -> npt.NDArray[np.intp]:
    """The level 1-5 of each theta (as :meth:`cat_engine.battery.Subtest.level`)."""
    return 1 + np.searchsorted(np.asarray(cuts, dtype=np.float64), np.asarray(theta, dtype=np.float64), side="right")


def level_probabilities(theta_hat: npt.ArrayLike, se: npt.ArrayLike, cuts: Sequence[float]) -> FloatArray:
    """:math:`p_j` for each examinee (rows) and level 1-5 (columns), from a normal posterior around the estimate."""
    mean = np.asarray(theta_hat, dtype=np.float64)[:, None]
    sd = np.maximum(np.asarray(se, dtype=np.float64), 1e-12)[:, None]
    edges = np.asarray(cuts, dtype=np.float64)[None, :]
    below = _PHI((edges - mean) / sd)  # P(true theta < c_k), shape (N, 4)
    cdf = np.hstack([np.zeros_like(mean), below, np.ones_like(mean)])
    probs: FloatArray = np.diff(cdf, axis=1)
    return probs


def classification_summary(
    true_theta: npt.ArrayLike, theta_hat: npt.ArrayLike, se: npt.ArrayLike, cuts: Sequence[float]
) -> dict[str, Any]:
    """Accuracy (counted against the truth, and expected from the estimates) and consistency, with the accuracy
    and expected accuracy per true level."""
    truth = levels_of(true_theta, cuts)
    reported = levels_of(theta_hat, cuts)
    probs = level_probabilities(theta_hat, se, cuts)
    expected = probs[np.arange(reported.size), reported - 1]
    by_level = []
    for level in range(1, len(cuts) + 2):
        mine = truth == level
        by_level.append(
            {
                "level": level,
                "examinees": int(mine.sum()),
                "accuracy": float(np.mean(reported[mine] == level)) if mine.any() else None,
                "expected_accuracy": float(expected[mine].mean()) if mine.any() else None,
            }
        )
    return {
        "level_accuracy": float(np.mean(reported == truth)),
        "level_accuracy_expected": float(expected.mean()),
        "level_consistency": float(np.mean(np.sum(probs**2, axis=1))),
        "levels": by_level,
    }
