"""calibrate() against girth's marginal maximum likelihood on complete data (every person answers every item).

girth (a dev dependency, skipped when absent) estimates every item with theta ~ N(0, 1) and the logistic metric
without a scaling constant (its P = sigma(a (theta - b)), i.e. D = 1), so with D = 1 the two parameterisations are
the same and calibrate() is run with every item free (plain Bock-Aitkin EM on the N(0, 1) scale).

Criterion: for every item parameter |ours - girth| < 1 SE (ours), and < 0.25 SE for every a (and every 2PL b). girth
differs from an exact MML in ways that make this looser than the quadrature alone would: it stops when a moves by
less than 1e-3 (GPCM steps can still be drifting), and its GRM/2PL thresholds solve integral equations instead of
maximising the likelihood. So the test also checks that our estimate has the higher marginal log-likelihood.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import make_params
from test_calibration import pretest_specs, starting_specs
from test_calibration_sim import simulate

from cat_engine.calibration import calibrate
from cat_engine.irt import ItemParams

girth = pytest.importorskip("girth")


@pytest.mark.parametrize("kind", ["2pl", "gpcm", "grm"])
def test_calibrate_agrees_with_girth_mml_on_complete_data(kind: str) -> None:
    specs = pretest_specs(kind, 12, 3)
    true = make_params(specs)
    start = make_params(starting_specs(specs))
    free = np.ones(true.size, dtype=bool)
    sim = simulate(true, free, 1000, n_fixed=0, n_free=12, seed=4)
    ours = calibrate(start, free, sim.data)
    assert ours.converged

    matrix = np.zeros((true.size, sim.data.n_persons), dtype=int)  # girth: items x persons
    matrix[sim.data.item, sim.data.person] = sim.data.category
    options: dict[str, Any] = {"max_iteration": 200, "use_LUT": False}
    fit = {"2pl": girth.twopl_mml, "gpcm": girth.pcm_mml, "grm": girth.grm_mml}[kind](matrix, options)
    theirs_a = np.asarray(fit["Discrimination"], dtype=float)
    theirs_b = np.asarray(fit["Difficulty"], dtype=float).reshape(true.size, -1)

    z_a = (ours.params.a - theirs_a) / ours.se_a
    if kind == "2pl":
        ours_b, se_b = ours.params.b[:, None], ours.se_b[:, None]
    else:
        m = theirs_b.shape[1]
        ours_b, se_b = ours.params.steps[:, :m], ours.se_steps[:, :m]
    z_b = (ours_b - theirs_b) / se_b
    print(f"{kind}: max |a diff|/SE {np.abs(z_a).max():.3f}, max |b diff|/SE {np.abs(z_b).max():.3f}")
    assert np.abs(z_a).max() < 0.25
    assert np.abs(z_b).max() < (0.25 if kind == "2pl" else 1.0)

    def log_likelihood(a: np.ndarray, b: np.ndarray) -> float:
        steps = true.steps.copy()
        if kind != "2pl":
            steps[:, : b.shape[1]] = b
        location = b[:, 0] if kind == "2pl" else b.mean(axis=1)
        at = ItemParams(true.model, a, location, true.c, true.d, steps, true.n_categories, true.D)
        return calibrate(at, np.zeros(true.size, dtype=bool), sim.data).log_likelihood  # nothing free: just the LL

    assert log_likelihood(ours.params.a, ours_b) >= log_likelihood(theirs_a, theirs_b) - 1e-3
