r"""How precisely ``n`` responses can calibrate an item: the Cramér-Rao bound, and the sample size a target needs.

Before seeding pretest items a psychometrician asks how many responses each needs; after a calibration, whether
its errors are those of the estimator or of the data. Both answers come from the expected Fisher information of one
response about the item's parameters :math:`\eta` when the examinee's ability is known and drawn from the
population :math:`g` (here :math:`N(0, 1)`, the operational scale):

.. math:: \mathcal I(\eta) = \int g(\theta) \sum_k P_k(\theta; \eta)\,
          \nabla_\eta \log P_k(\theta; \eta)\, \nabla_\eta \log P_k(\theta; \eta)^\top \, d\theta ,

computed on a grid of :math:`\theta` with the derivatives of :mod:`cat_engine.calibration_models` (the pool's own
parameterisation: :math:`(a, b)`, :math:`(a, b, c)`, or :math:`(a, b_1, \dots, b_m)`). With ``n`` independent
responses the information is :math:`n \mathcal I`, and no unbiased estimator has a smaller variance than
:math:`[(n \mathcal I)^{-1}]_{jj}` (Cramér 1946; Rao 1945): :func:`standard_error_bounds`. Online calibration knows
the ability only through the operational items, which can only lose information, so the bound with a known ability
is a floor for it too; a prior (the Beta prior on :math:`c` of :mod:`cat_engine.calibration`) adds information and
bias, so an estimate with a prior can fall below the floor for the parameter it shrinks.

:func:`responses_needed` inverts it: the smallest ``n`` with every listed parameter's bound at most ``target``,
:math:`n = \max_j [\mathcal I^{-1}]_{jj} / \text{target}^2`.

References
----------
Cramér, H. (1946). *Mathematical methods of statistics*. Princeton University Press (section 32.3).
Rao, C. R. (1945). Information and the accuracy attainable in the estimation of statistical parameters. *Bulletin
of the Calcutta Mathematical Society*, 37, 81-91.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from .calibration_models import Family, evaluate
from .irt import DICHOTOMOUS, ItemParams

__all__ = ["expected_information", "responses_needed", "standard_error_bounds"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

_NODES = np.linspace(-6.0, 6.0, 121)
_WEIGHTS = np.exp(-0.5 * _NODES**2) / np.exp(-0.5 * _NODES**2).sum()  # N(0, 1) on the grid


def _family(params: ItemParams, item: int, free_c: bool) -> tuple[Family, FloatArray, FloatArray]:
    """The calibration family of ``item``, its parameter vector and its constants ``(c, d)``."""
    model, k = int(params.model[item]), int(params.n_categories[item])
    if model == DICHOTOMOUS:
        guessing = free_c and float(params.c[item]) > 0
        eta = [params.a[item], params.b[item]] + ([params.c[item]] if guessing else [])
        return (
            Family(model, 2, guessing),
            np.array([eta], dtype=np.float64),
            np.array([[params.c[item], params.d[item]]]),
        )
    steps = params.steps[item][: k - 1]
    return Family(model, k), np.array([[params.a[item], *steps]], dtype=np.float64), np.zeros((1, 2))


def expected_information(params: ItemParams, item: int, *, free_c: bool = True) -> FloatArray:
    r""":math:`\mathcal I(\eta)` of one response to ``item`` (shape (p, p)) by an examinee of known ability from
    :math:`N(0, 1)`; ``free_c``: a dichotomous item's :math:`c` is a parameter (when it is above 0)."""
    family, eta, fixed = _family(params, item, free_c)
    logp, dlogp = evaluate(family, eta, fixed, _NODES[None, :], params.D)
    assert dlogp is not None
    p = np.exp(logp[0])  # (Q, K)
    g = dlogp[0]  # (Q, K, p)
    info: FloatArray = np.einsum("q,qk,qki,qkj->ij", _WEIGHTS, p, g, g)
    return info


def standard_error_bounds(params: ItemParams, item: int, responses: float, *, free_c: bool = True) -> FloatArray:
    """The smallest standard error ``responses`` responses allow for each parameter of ``item`` (its calibration
    vector: a, b[, c] or a, steps); infinite where the information is singular (an item no one can tell apart)."""
    if not responses > 0:
        raise ValueError(f"responses {responses!r}: must be greater than 0")
    info = expected_information(params, item, free_c=free_c)
    try:
        inverse = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.full(info.shape[0], math.inf)
    out: FloatArray = np.sqrt(np.maximum(np.diag(inverse), 0.0) / responses)
    return out


def responses_needed(params: ItemParams, item: int, target: float, *, free_c: bool = True) -> float:
    """The number of responses whose :func:`standard_error_bounds` of a and b (or a and the steps) are at most
    ``target``, c (when free) being estimated beside them but not held to it: a floor on the sample size any
    calibration of ``item`` needs for that precision."""
    if not target > 0:
        raise ValueError(f"target {target!r}: must be greater than 0")
    variances = standard_error_bounds(params, item, 1.0, free_c=free_c) ** 2
    if int(params.model[item]) == DICHOTOMOUS:
        variances = variances[:2]
    return float(np.max(variances) / target**2)
