"""Tests of cat_engine.calibration_mstep: the maximiser against a grid search, the prior, the bounds."""

from __future__ import annotations

import numpy as np
import pytest

from cat_engine.calibration_models import Family
from cat_engine.calibration_mstep import BetaPrior, SlopePrior, gradient, maximize, objective
from cat_engine.irt import DICHOTOMOUS, GRM

NODES = np.linspace(-4.0, 4.0, 17)[None, :]


def _counts(p1: np.ndarray, n: np.ndarray) -> np.ndarray:
    return np.stack([n * (1 - p1), n * p1], axis=-1)


def test_maximize_finds_the_maximum_of_a_2pl_objective() -> None:
    family = Family(DICHOTOMOUS, 2)
    fixed = np.array([[0.0, 1.0]])
    n = 30.0 * np.exp(-0.5 * NODES**2)
    p1 = 1 / (1 + np.exp(-1.3 * (NODES - 0.4)))
    weights = _counts(p1, n)
    weights[..., 1] += 0.7 * (NODES > 0)  # off-model counts, so the maximum is not simply the generating values
    fit = maximize(family, np.array([[1.0, 0.0]]), fixed, NODES, weights, 1.0)
    assert fit.converged.all()
    grad, _ = gradient(family, fit.eta, fixed, NODES, weights, 1.0, None)
    np.testing.assert_allclose(grad, 0.0, atol=1e-6)
    a, b = np.meshgrid(
        np.linspace(fit.eta[0, 0] - 0.05, fit.eta[0, 0] + 0.05, 21),
        np.linspace(fit.eta[0, 1] - 0.05, fit.eta[0, 1] + 0.05, 21),
    )
    grid = np.column_stack([a.ravel(), b.ravel()])
    values = objective(
        family, grid, np.repeat(fixed, grid.shape[0], 0), NODES, np.repeat(weights, grid.shape[0], 0), 1.0, None
    )
    assert objective(family, fit.eta, fixed, NODES, weights, 1.0, None)[0] >= values.max() - 1e-9


def test_items_are_maximised_independently_in_one_batch() -> None:
    family = Family(GRM, 3)
    fixed = np.zeros((2, 2))
    rng = np.random.default_rng(2)
    weights = rng.uniform(1, 20, size=(2, 17, 3))
    start = np.array([[1.0, -1.0, 1.0], [1.0, -1.0, 1.0]])
    both = maximize(family, start, fixed, NODES, weights, 1.0)
    alone = maximize(family, start[1:], fixed[1:], NODES, weights[1:], 1.0)
    np.testing.assert_allclose(both.eta[1], alone.eta[0], atol=1e-7)


def test_beta_prior_has_its_mode_at_0_2_and_enters_the_gradient() -> None:
    prior = BetaPrior()
    c = np.linspace(0.05, 0.6, 1000)
    assert abs(c[np.argmax(prior.log_density(c))] - 0.2) < 1e-3
    family = Family(DICHOTOMOUS, 2, free_c=True)
    weights = np.zeros((1, 17, 2))  # no data: the maximum is the prior's mode
    fit = maximize(family, np.array([[1.0, 0.0, 0.1]]), np.array([[0.0, 1.0]]), NODES, weights, 1.0, prior)
    np.testing.assert_allclose(fit.eta[0, 2], 0.2, atol=1e-6)


def test_a_maximum_beyond_the_bounds_is_not_converged() -> None:
    family = Family(DICHOTOMOUS, 2)
    weights = np.zeros((1, 17, 2))
    weights[..., 1] = 10.0  # everyone correct: b runs to -infinity
    fit = maximize(family, np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), NODES, weights, 1.0)
    assert not fit.converged[0]


def test_slope_prior_derivatives_and_mode() -> None:
    """The lognormal prior's gradient and curvature are its density's derivatives (central differences); with no
    data the maximum is its mode, a = exp(mu - sigma^2); bad settings are refused."""
    prior = SlopePrior(mean_log=0.4, sd_log=0.5)
    a = np.linspace(0.2, 6.0, 50)
    h = 1e-5
    np.testing.assert_allclose(
        prior.gradient(a), (prior.log_density(a + h) - prior.log_density(a - h)) / (2 * h), rtol=1e-6
    )
    np.testing.assert_allclose(prior.curvature(a), (prior.gradient(a + h) - prior.gradient(a - h)) / (2 * h), rtol=1e-5)
    family = Family(DICHOTOMOUS, 2)
    fit = maximize(
        family, np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), NODES, np.zeros((1, 17, 2)), 1.0, slope=prior
    )
    np.testing.assert_allclose(fit.eta[0, 0], np.exp(0.4 - 0.25), rtol=1e-6)
    with pytest.raises(ValueError, match="slope prior"):
        SlopePrior(0.0, 0.0)


def test_slope_prior_keeps_an_item_answered_like_a_step_finite() -> None:
    """An item everyone above 0 answers right and everyone at or below 0 wrong (the step between two nodes):
    maximum likelihood runs a up to its search bound (no maximum); with the prior a converges to a finite value far
    below it, and b stays between the nodes of the step."""
    family = Family(DICHOTOMOUS, 2)
    fixed = np.array([[0.0, 1.0]])
    n = 40.0 * np.exp(-0.5 * NODES**2)
    weights = _counts((NODES > 0).astype(float), n)
    free = maximize(family, np.array([[1.0, 0.3]]), fixed, NODES, weights, 1.0, max_iter=400)
    held = maximize(family, np.array([[1.0, 0.3]]), fixed, NODES, weights, 1.0, slope=SlopePrior(0.0, 0.5))
    assert not free.converged[0] and free.eta[0, 0] > 40  # at the bound MAX_A = 50: not an estimate
    assert held.converged[0] and 1.0 < held.eta[0, 0] < 20 and 0.0 < held.eta[0, 1] < 0.5
