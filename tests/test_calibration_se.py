"""Tests of cat_engine.calibration_se: the linear algebra, and the SEs against the spread of replicated estimates."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_params
from test_calibration import pretest_specs, starting_specs
from test_calibration_sim import operational_2pl, simulate

from cat_engine.calibration import calibrate
from cat_engine.calibration_se import _fd_hessian, standard_errors


def test_standard_errors_invert_each_information_matrix() -> None:
    rng = np.random.default_rng(0)
    root = rng.normal(size=(4, 3, 3))
    info = root @ np.swapaxes(root, 1, 2) + 0.5 * np.eye(3)
    expected = np.sqrt(np.diagonal(np.linalg.inv(info), axis1=1, axis2=2))
    np.testing.assert_allclose(standard_errors(info), expected, rtol=1e-10)


def test_a_singular_information_gives_nan_for_that_item_only() -> None:
    info = np.stack([np.eye(2), np.array([[1.0, 1.0], [1.0, 1.0]]), -np.eye(2)])
    se = standard_errors(info)
    np.testing.assert_allclose(se[0], 1.0)
    assert np.all(np.isnan(se[1:]))


def test_fd_hessian_of_a_quadratic_is_exact() -> None:
    matrices = np.array([[[2.0, 0.5], [0.5, 1.0]], [[3.0, -1.0], [-1.0, 4.0]]])

    def score(eta: np.ndarray) -> np.ndarray:  # gradient of -x'Ax/2
        result: np.ndarray = -np.einsum("npq,nq->np", matrices, eta)
        return result

    np.testing.assert_allclose(_fd_hessian(score, np.array([[0.3, -2.0], [5.0, 1.0]])), -matrices, atol=1e-8)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["2pl", "gpcm"])
def test_mem_standard_errors_match_the_spread_of_replicated_estimates(kind: str) -> None:
    """30 replications of 8 pretest items with 500 answers each: the root mean square SE over the replications and
    items is within 25 % of the pooled empirical SD of the estimates. The pooled SD of 8 x 30 estimates has a
    relative sampling error of about 5 %."""
    fixed_specs = operational_2pl(60, 7)
    free_specs = pretest_specs(kind, 8, 8)
    true = make_params(fixed_specs + free_specs)
    start = make_params(fixed_specs + starting_specs(free_specs))
    free = np.zeros(true.size, dtype=bool)
    free[60:] = True
    estimates, ses = [], []
    for rep in range(30):
        sim = simulate(true, free, 1000, 25, 4, seed=1000 + rep)
        cal = calibrate(start, free, sim.data)
        step = cal.params.steps[free][:, :3] if kind == "gpcm" else cal.params.b[free][:, None]
        step_se = cal.se_steps[free][:, :3] if kind == "gpcm" else cal.se_b[free][:, None]
        estimates.append(np.column_stack([cal.params.a[free], step]))
        ses.append(np.column_stack([cal.se_a[free], step_se]))
    est, se = np.array(estimates), np.array(ses)  # (reps, items, params)
    empirical_sd = np.sqrt(est.var(axis=0, ddof=1).mean(axis=0))  # pooled over items, per parameter
    model_se = np.sqrt((se**2).mean(axis=(0, 1)))
    ratio = model_se / empirical_sd
    print(f"{kind}: SE / empirical SD per parameter {np.round(ratio, 3)}")
    assert np.all((ratio > 0.75) & (ratio < 1.25)), ratio
