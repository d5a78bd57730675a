"""cat_engine.calibration_design: the Cramér-Rao bound of an item's calibration and the sample size it needs.

The information is checked against its closed form for the 2PL (written here from the model, not from the module),
and the bound against the spread of maximum-likelihood estimates with known abilities over replications
(``calibrate(..., method="stocking-a")`` given the true abilities: the estimator the bound is about).
"""

from __future__ import annotations

import numpy as np
import pytest

from cat_engine.calibration import ResponseData, calibrate
from cat_engine.calibration_design import expected_information, responses_needed, standard_error_bounds
from cat_engine.irt import DICHOTOMOUS, GPCM, ItemParams, category_probabilities


def items(D: float = 1.0) -> ItemParams:
    """0: 2PL (a 1.3, b 0.4); 1: 3PL (a 1.5, b -0.3, c 0.2); 2: GPCM (a 1.1, steps -1, 0.2, 1.1)."""
    steps = np.full((3, 3), np.nan)
    steps[2] = [-1.0, 0.2, 1.1]
    return ItemParams(
        model=np.array([DICHOTOMOUS, DICHOTOMOUS, GPCM], dtype=np.int8),
        a=np.array([1.3, 1.5, 1.1]),
        b=np.array([0.4, -0.3, float(np.mean(steps[2]))]),
        c=np.array([0.0, 0.2, 0.0]),
        d=np.ones(3),
        steps=steps,
        n_categories=np.array([2, 2, 4], dtype=np.intp),
        D=D,
    )


@pytest.mark.parametrize("D", [1.0, 1.702])
def test_2pl_information_is_its_closed_form(D: float) -> None:
    """I = E[P Q D^2 (theta - b, -a)(theta - b, -a)^T] over N(0, 1), integrated here by Gauss-Hermite."""
    a, b = 1.3, 0.4
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / weights.sum()
    p = 1.0 / (1.0 + np.exp(-D * a * (nodes - b)))
    grad = np.stack([nodes - b, np.full_like(nodes, -a)]) * D
    expected = np.einsum("q,iq,jq->ij", weights * p * (1 - p), grad, grad)
    assert expected_information(items(D), 0) == pytest.approx(expected, rel=1e-4)


def test_the_bound_falls_as_one_over_root_n_and_inverts_to_the_sample_size() -> None:
    params = items()
    for item in range(3):
        at_100 = standard_error_bounds(params, item, 100)
        assert standard_error_bounds(params, item, 400) == pytest.approx(at_100 / 2)
        n = responses_needed(params, item, 0.15)
        bounds = standard_error_bounds(params, item, n)
        held = bounds[:2] if item < 2 else bounds  # c (item 1) is estimated beside a and b, not held to 0.15
        assert held.max() == pytest.approx(0.15)
    # a free c costs precision in a and b; a known one gives the 2-parameter bound
    free, known = standard_error_bounds(params, 1, 500), standard_error_bounds(params, 1, 500, free_c=False)
    assert free.shape == (3,) and known.shape == (2,)
    assert np.all(free[:2] > known)
    info = expected_information(params, 2)
    assert info.shape == (4, 4) and np.allclose(info, info.T) and np.all(np.linalg.eigvalsh(info) > 0)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="responses"):
        standard_error_bounds(items(), 0, 0)
    with pytest.raises(ValueError, match="target"):
        responses_needed(items(), 0, -1.0)


def test_the_bound_is_the_spread_of_ml_estimates_with_known_abilities() -> None:
    """200 replications of 1,000 responses to the 2PL and GPCM items, each calibrated by maximum likelihood with the
    true abilities (Stocking's method A given theta): the SD of the estimates is the bound within 20 % (the bound is
    asymptotic; at 1,000 responses the ML estimate is close to efficient)."""
    truth = items()
    rng = np.random.default_rng(3)
    n, reps = 1000, 200
    steps = truth.steps.copy()
    steps[2] = [-1.0, 0.0, 1.0]
    start = ItemParams(truth.model, np.ones(3), np.zeros(3), truth.c, truth.d, steps, truth.n_categories, truth.D)
    estimates = []
    for _ in range(reps):
        theta = rng.normal(size=n)
        probs = category_probabilities(theta[:, None], truth, [0, 2])  # (n, 2 items, K)
        draws = rng.random((n, 2, 1))
        cats = (draws > np.cumsum(probs, axis=-1)).sum(axis=-1)
        person = np.repeat(np.arange(n), 2)
        item = np.tile(np.array([0, 2]), n)
        data = ResponseData(person.astype(np.intp), item.astype(np.intp), cats.reshape(-1).astype(np.intp), n)
        free = np.array([True, False, True])
        fit = calibrate(start, free, data, method="stocking-a", theta_hat=theta)
        estimates.append([fit.params.a[0], fit.params.b[0], fit.params.a[2], *fit.params.steps[2]])
    sd = np.std(np.array(estimates), axis=0, ddof=1)
    bound = np.concatenate([standard_error_bounds(truth, 0, n), standard_error_bounds(truth, 2, n)])
    assert sd / bound == pytest.approx(np.ones(6), abs=0.2)
