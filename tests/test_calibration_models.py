"""Tests of cat_engine.calibration_models: probabilities against cat_engine.irt, derivatives against differences."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_params

from cat_engine.calibration_models import Family, evaluate, valid
from cat_engine.irt import DICHOTOMOUS, GPCM, GRM, category_probabilities

THETA = np.linspace(-5.0, 5.0, 11)[None, :]
FIXED = np.array([[0.15, 0.97], [0.0, 1.0]])  # (c, d) of the two items of each case
CASES = [
    (Family(DICHOTOMOUS, 2), np.array([[1.2, 0.3], [0.7, -1.0]])),
    (Family(DICHOTOMOUS, 2, free_c=True), np.array([[1.2, 0.3, 0.2], [0.7, -1.0, 0.05]])),
    (Family(GPCM, 4), np.array([[1.1, -1.0, 0.5, 0.2], [0.6, 0.0, 1.0, -0.5]])),
    (Family(GRM, 5), np.array([[1.1, -1.0, -0.5, 0.2, 1.3], [1.6, -2.0, 0.0, 0.5, 0.6]])),
]


def _specs(family: Family, eta: np.ndarray) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for row, (c, d) in zip(eta, FIXED, strict=True):
        if family.model == DICHOTOMOUS:
            out.append(("dich", row[0], row[1], row[2] if family.free_c else c, d))
        else:
            out.append(("gpcm" if family.model == GPCM else "grm", row[0], list(row[1:])))
    return out


@pytest.mark.parametrize(("family", "eta"), CASES)
@pytest.mark.parametrize("D", [1.0, 1.702])
def test_probabilities_match_irt(family: Family, eta: np.ndarray, D: float) -> None:
    logp, _ = evaluate(family, eta, FIXED, THETA, D, grad=False)
    params = make_params(_specs(family, eta), D=D)
    expected = category_probabilities(THETA.T, params, np.arange(2)[None, :])  # (Q, n, K)
    np.testing.assert_allclose(np.exp(logp), np.swapaxes(expected, 0, 1), rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize(("family", "eta"), CASES)
def test_derivatives_match_central_differences(family: Family, eta: np.ndarray) -> None:
    _, dlogp = evaluate(family, eta, FIXED, THETA, 1.3)
    assert dlogp is not None and dlogp.shape == (2, 11, family.n_categories, family.n_params)
    for j in range(family.n_params):
        h = 1e-6
        up, down = eta.copy(), eta.copy()
        up[:, j] += h
        down[:, j] -= h
        numeric = (
            evaluate(family, up, FIXED, THETA, 1.3, False)[0] - evaluate(family, down, FIXED, THETA, 1.3, False)[0]
        ) / (2 * h)
        np.testing.assert_allclose(dlogp[..., j], numeric, rtol=1e-6, atol=1e-6)


def test_log_probabilities_stay_finite_far_from_the_item() -> None:
    theta = np.array([[-40.0, 40.0]])
    for family, eta in CASES:
        logp, dlogp = evaluate(family, eta, FIXED, theta, 1.0)
        assert dlogp is not None
        assert np.all(np.isfinite(logp)) and np.all(np.isfinite(dlogp))


def test_valid_rejects_inadmissible_parameters() -> None:
    grm = Family(GRM, 3)
    fixed = np.array([[0.0, 1.0]] * 4)
    eta = np.array([[1.0, -1.0, 1.0], [1.0, 1.0, -1.0], [-0.5, -1.0, 1.0], [1.0, -1.0, 16.0]])
    np.testing.assert_array_equal(valid(grm, eta, fixed), [True, False, False, False])
    three = Family(DICHOTOMOUS, 2, free_c=True)
    dich = np.array([[1.0, 0.0, 0.2], [1.0, 0.0, 0.0], [1.0, 0.0, 0.99]])
    np.testing.assert_array_equal(
        valid(three, dich, np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 0.95]])), [True, False, False]
    )
