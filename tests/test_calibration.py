"""Tests of cat_engine.calibration: recovery, brute-force marginal ML, fixed items, methods, bad input.

The simulated designs come from tests/test_calibration_sim.py. Tolerances are stated in standard errors: with
independent estimation errors, |estimate - truth| / SE is about standard normal.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from conftest import make_params
from test_calibration_sim import Simulated, operational_2pl, simulate

from cat_engine.calibration import BetaPrior, Calibration, ResponseData, calibrate
from cat_engine.irt import ItemParams

FloatArray = npt.NDArray[np.float64]
Spec = tuple[Any, ...]


def pretest_specs(kind: str, n: int, seed: int) -> list[Spec]:
    """True parameters of ``n`` pretest items of one kind."""
    rng = np.random.default_rng(seed)
    out: list[Spec] = []
    for _ in range(n):
        a = float(rng.uniform(0.8, 2.0))
        if kind == "2pl":
            out.append(("dich", a, float(rng.normal()), 0.0, 1.0))
        elif kind == "3pl":
            out.append(("dich", a, float(rng.normal()), float(rng.uniform(0.12, 0.28)), 1.0))
        else:
            # steps 0.5 to 1.2 apart around a location near 0, so every category is used by some examinees
            gaps = np.cumsum(rng.uniform(0.5, 1.2, 3 if kind == "gpcm" else 4))
            out.append((kind, a, (gaps - gaps.mean() + rng.normal(0.0, 0.5)).tolist()))
    return out


def starting_specs(specs: list[Spec]) -> list[Spec]:
    """Default starting values: a = 1, b = 0, c = 0.2 for 3PL items, steps evenly spaced on [-1, 1]."""
    return [
        ("dich", 1.0, 0.0, 0.2 if s[3] > 0 else 0.0, 1.0)
        if s[0] == "dich"
        else (s[0], 1.0, list(np.linspace(-1, 1, len(s[2]))))
        for s in specs
    ]


def design(
    kind: str, n_free: int, n_persons: int, seed: int, n_fixed: int = 25
) -> tuple[ItemParams, ItemParams, npt.NDArray[np.bool_], Simulated]:
    """60 fixed 2PL items (25 answered per person) and ``n_free`` pretest items, 4 per person."""
    fixed_specs = operational_2pl(60, seed)
    free_specs = pretest_specs(kind, n_free, seed + 1)
    true = make_params(fixed_specs + free_specs)
    start = make_params(fixed_specs + starting_specs(free_specs))
    free = np.zeros(true.size, dtype=bool)
    free[60:] = True
    return true, start, free, simulate(true, free, n_persons, n_fixed, 4, seed + 2)


def z_scores(cal: Calibration, true: ItemParams, free: npt.NDArray[np.bool_]) -> dict[str, FloatArray]:
    """(estimate - truth) / SE of every estimated parameter, by name."""
    out = {"a": (cal.params.a[free] - true.a[free]) / cal.se_a[free]}
    dich = free & (true.model == 0)
    if dich.any():
        out["b"] = (cal.params.b[dich] - true.b[dich]) / cal.se_b[dich]
    has_c = ~np.isnan(cal.se_c)
    if has_c.any():
        out["c"] = (cal.params.c[has_c] - true.c[has_c]) / cal.se_c[has_c]
    steps = ~np.isnan(cal.se_steps)
    if steps.any():
        out["steps"] = (cal.params.steps[steps] - true.steps[steps]) / cal.se_steps[steps]
    return out


@pytest.mark.parametrize("kind", ["2pl", "3pl", "gpcm", "grm"])
def test_mem_recovers_the_true_parameters_within_their_standard_errors(kind: str) -> None:
    true, start, free, sim = design(kind, n_free=20, n_persons=2500, seed=11)  # 500 answers per pretest item
    cal = calibrate(start, free, sim.data)
    assert cal.converged and cal.method == "mem"
    assert np.all(cal.responses[free] > 400)
    z = np.concatenate(list(z_scores(cal, true, free).values()))
    assert np.all(np.isfinite(z))
    # |z| < 2 for 95 % of a normal's draws; allow 85 % and no estimate beyond 4 SEs
    assert np.mean(np.abs(z) < 2.0) >= 0.85, np.round(z, 2)
    assert np.abs(z).max() < 4.0
    # the SEs are neither much too small nor too large: mean |z| of a standard normal is 0.80
    assert 0.55 < np.mean(np.abs(z)) < 1.1


@pytest.mark.parametrize("kind", ["2pl", "gpcm"])
def test_rmse_falls_with_sample_size(kind: str) -> None:
    rmse = []
    for n_persons in (1000, 4000):  # 200 and 800 answers per item
        true, start, free, sim = design(kind, n_free=20, n_persons=n_persons, seed=21)
        cal = calibrate(start, free, sim.data)
        rmse.append(math.sqrt(float(np.mean((cal.params.a[free] - true.a[free]) ** 2))))
    # four times the data halves the RMSE in theory; require a clear fall
    assert rmse[1] < 0.75 * rmse[0], rmse


@pytest.mark.parametrize("method", ["mem", "oem", "stocking-a"])
def test_fixed_items_are_returned_unchanged(method: str) -> None:
    _, start, free, sim = design("3pl", n_free=6, n_persons=600, seed=31)
    cal = calibrate(start, free, sim.data, method=method, theta_hat=sim.eap)
    for name in ("a", "b", "c", "d", "steps", "model", "n_categories"):
        np.testing.assert_array_equal(getattr(cal.params, name)[~free], getattr(start, name)[~free])
    for se in (cal.se_a, cal.se_b, cal.se_c):
        assert np.all(np.isnan(se[~free])) and np.all(np.isfinite(se[free]))
    assert np.all(np.isnan(cal.se_steps))
    assert cal.params.D == start.D
    assert not np.array_equal(cal.params.a[free], start.a[free])
    assert cal.method == method


def test_responses_count_the_answers_per_item() -> None:
    _, start, free, sim = design("2pl", n_free=5, n_persons=300, seed=41)
    cal = calibrate(start, free, sim.data)
    np.testing.assert_array_equal(cal.responses, np.bincount(sim.data.item, minlength=start.size))


def test_oem_is_the_first_mem_cycle_and_mem_goes_further() -> None:
    true, start, free, sim = design("2pl", n_free=10, n_persons=2000, seed=51)
    oem = calibrate(start, free, sim.data, method="oem")
    one_cycle = calibrate(start, free, sim.data, method="mem", max_cycles=1)
    np.testing.assert_allclose(one_cycle.params.a, oem.params.a, rtol=0, atol=1e-12)
    assert oem.cycles == 1 and oem.converged
    assert not one_cycle.converged  # MEM cut short is reported as such
    mem = calibrate(start, free, sim.data, method="mem")
    assert mem.cycles > 1
    # OEM's posteriors ignore the pretest item, which attenuates a (Ban et al., 2001); MEM removes that bias
    assert np.mean(oem.params.a[free] - true.a[free]) < np.mean(mem.params.a[free] - true.a[free]) - 0.05


def test_mem_log_likelihood_rises_cycle_by_cycle() -> None:
    _, start, free, sim = design("gpcm", n_free=8, n_persons=1200, seed=61)
    values = [calibrate(start, free, sim.data, max_cycles=k).log_likelihood for k in (1, 2, 3, 5, 100)]
    assert all(later >= earlier - 1e-6 for earlier, later in itertools.pairwise(values)), values


def test_stocking_uses_the_given_abilities() -> None:
    true, start, free, sim = design("2pl", n_free=6, n_persons=1500, seed=71)
    with_truth = calibrate(start, free, sim.data, method="stocking-a", theta_hat=sim.theta)
    z = (with_truth.params.a[free] - true.a[free]) / with_truth.se_a[free]
    assert np.abs(z).max() < 3.5  # with the true abilities Method A is plain ML with known theta
    shifted = calibrate(start, free, sim.data, method="stocking-a", theta_hat=sim.theta + 1.0)
    np.testing.assert_allclose(shifted.params.b[free], with_truth.params.b[free] + 1.0, atol=1e-5)


def test_fix_c_holds_the_lower_asymptote() -> None:
    _, start, free, sim = design("3pl", n_free=5, n_persons=800, seed=81)
    cal = calibrate(start, free, sim.data, fix_c=True)
    np.testing.assert_array_equal(cal.params.c, start.c)
    assert np.all(np.isnan(cal.se_c))
    assert np.all(np.isfinite(cal.se_a[free]))


def test_a_strong_c_prior_pulls_c_to_its_mode() -> None:
    _, start, free, sim = design("3pl", n_free=5, n_persons=800, seed=81)
    cal = calibrate(start, free, sim.data, c_prior=BetaPrior(1001.0, 4001.0))  # mode 0.2, 5000 pseudo-answers
    np.testing.assert_allclose(cal.params.c[free], 0.2, atol=0.01)


# --- brute force: the marginal likelihood of one free item, written independently -----------------------------


def _p2pl(theta: FloatArray, a: float, b: float, c: float = 0.0) -> FloatArray:
    return c + (1.0 - c) / (1.0 + np.exp(-a * (theta - b)))


def _gpcm(theta: FloatArray, a: float, steps: FloatArray) -> FloatArray:
    z = np.concatenate([np.zeros((theta.size, 1)), np.cumsum(a * (theta[:, None] - steps[None, :]), axis=1)], axis=1)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    result: FloatArray = e / e.sum(axis=1, keepdims=True)
    return result


@pytest.mark.parametrize("kind", ["2pl", "3pl", "gpcm"])
def test_mem_is_the_marginal_ml_of_a_free_item_found_by_brute_force(kind: str) -> None:
    optimize = pytest.importorskip("scipy.optimize")
    fixed_specs = operational_2pl(15, 3)
    free_spec = {
        "2pl": ("dich", 1.4, 0.3, 0.0, 1.0),
        "3pl": ("dich", 1.6, 0.2, 0.2, 1.0),
        "gpcm": ("gpcm", 1.2, [-0.8, 0.1, 0.9]),
    }[kind]
    true = make_params([*fixed_specs, free_spec])
    start = make_params([*fixed_specs, *starting_specs([free_spec])])
    free = np.zeros(16, dtype=bool)
    free[15] = True
    sim = simulate(true, free, 700, n_fixed=8, n_free=1, seed=5)
    cal = calibrate(start, free, sim.data, tol=1e-8, max_cycles=500)

    # Gauss-Hermite quadrature of N(0, 1); each person's likelihood of the fixed items, by the 2PL formula
    nodes, weights = np.polynomial.hermite_e.hermegauss(81)
    weights = weights / weights.sum()
    d = sim.data
    like_fixed = np.ones((d.n_persons, nodes.size))
    x_free = np.zeros(d.n_persons, dtype=int)
    for p, i, x in zip(d.person.tolist(), d.item.tolist(), d.category.tolist(), strict=True):
        if i == 15:
            x_free[p] = x
        else:
            _, a, b, _, _ = fixed_specs[i]
            prob = _p2pl(nodes, a, b)
            like_fixed[p] *= prob if x == 1 else 1.0 - prob
    base = like_fixed * weights

    def neg_log_posterior(v: FloatArray) -> float:
        if kind == "gpcm":
            probs = _gpcm(nodes, v[0], v[1:])  # (Q, K)
            item = probs[:, x_free].T
            prior = 0.0
        else:
            c = v[2] if kind == "3pl" else 0.0
            if kind == "3pl" and not 0 < c < 1:
                return math.inf
            p1 = _p2pl(nodes, v[0], v[1], c)
            item = np.where(x_free[:, None] == 1, p1[None, :], 1.0 - p1[None, :])
            prior = 4.0 * math.log(c) + 16.0 * math.log(1.0 - c) if kind == "3pl" else 0.0  # Beta(5, 17)
        return -float(np.log((base * item).sum(axis=1)).sum()) - prior

    x0 = np.array([1.0, 0.0, 0.2] if kind == "3pl" else [1.0, 0.0] if kind == "2pl" else [1.0, -1.0, 0.0, 1.0])
    best = optimize.minimize(
        neg_log_posterior,
        x0,
        method="Nelder-Mead",
        options={"xatol": 1e-9, "fatol": 1e-11, "maxiter": 40000, "maxfev": 40000},
    )
    if kind == "gpcm":
        ours = np.concatenate([[cal.params.a[15]], cal.params.steps[15, :3]])
        se = np.concatenate([[cal.se_a[15]], cal.se_steps[15, :3]])
    else:
        ours = np.array([cal.params.a[15], cal.params.b[15]] + ([cal.params.c[15]] if kind == "3pl" else []))
        se = np.array([cal.se_a[15], cal.se_b[15]] + ([cal.se_c[15]] if kind == "3pl" else []))
    # the same estimate up to the two quadratures and the optimisers' tolerance
    np.testing.assert_allclose(ours, best.x, rtol=0, atol=0.01 * se.min())

    # and the SEs from the brute-force Hessian (central differences of the negative log posterior)
    h = 1e-4
    k = best.x.size
    hessian = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            f = neg_log_posterior
            hessian[i, j] = (f(best.x + ei + ej) - f(best.x + ei - ej) - f(best.x - ei + ej) + f(best.x - ei - ej)) / (
                4 * h * h
            )
    brute_se = np.sqrt(np.diag(np.linalg.inv(hessian)))
    np.testing.assert_allclose(se, brute_se, rtol=0.03)


# --- bad input -----------------------------------------------------------------------------------------------


def _small() -> tuple[ItemParams, npt.NDArray[np.bool_], ResponseData]:
    params = make_params([("dich", 1.0, 0.0, 0.0, 1.0), ("gpcm", 1.0, [-1.0, 1.0]), ("dich", 1.0, 0.0, 0.2, 1.0)])
    free = np.array([False, True, True])
    data = ResponseData(
        person=np.array([0, 0, 1, 1, 1], dtype=np.intp),
        item=np.array([0, 1, 0, 1, 2], dtype=np.intp),
        category=np.array([1, 2, 0, 0, 1], dtype=np.intp),
        n_persons=2,
    )
    return params, free, data


def _with(data: ResponseData, **changes: Any) -> ResponseData:
    fields: dict[str, Any] = {"person": data.person, "item": data.item, "category": data.category}
    fields.update(changes)
    return ResponseData(n_persons=data.n_persons, **fields)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"category": np.array([1, 3, 0, 0, 1])}, "category out of range.*item 1, which has 3 categories"),
        ({"category": np.array([1, 2, 0, 0, 2])}, "category out of range"),
        ({"category": np.array([-1, 2, 0, 0, 1])}, "category out of range"),
        ({"item": np.array([0, 1, 0, 1, 3])}, r"item out of range \[0, 3\)"),
        ({"person": np.array([0, 0, 1, 1, 2])}, r"person out of range \[0, 2\)"),
        ({"person": np.array([0, 0, 0, 1, 1])}, "more than once"),
        ({"item": np.array([0, 1, 0, 1])}, "1-D arrays of one length"),
        ({"category": np.array([1.0, 2.0, 0.0, 0.0, 1.0])}, "must hold integers"),
    ],
)
def test_bad_responses_raise_a_clear_value_error(change: dict[str, Any], message: str) -> None:
    params, free, data = _small()
    with pytest.raises(ValueError, match=message):
        calibrate(params, free, _with(data, **change))


def test_bad_arguments_raise_a_clear_value_error() -> None:
    params, free, data = _small()
    with pytest.raises(ValueError, match="boolean array of shape"):
        calibrate(params, np.array([0, 1, 1]), data)
    with pytest.raises(ValueError, match="boolean array of shape"):
        calibrate(params, np.array([False, True]), data)
    with pytest.raises(ValueError, match="method must be one of"):
        calibrate(params, free, data, method="bilog")
    with pytest.raises(ValueError, match="needs theta_hat"):
        calibrate(params, free, data, method="stocking-a")
    with pytest.raises(ValueError, match="theta_hat must be 2 finite"):
        calibrate(params, free, data, method="stocking-a", theta_hat=np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match=r"free items \[0\] have no responses"):
        calibrate(
            params,
            np.array([True, True, True]),
            _with(data, person=np.array([0, 1, 1]), item=np.array([1, 1, 2]), category=np.array([1, 2, 0])),
        )
    with pytest.raises(ValueError, match="OEM needs fixed"):
        calibrate(params, np.array([True, True, True]), data, method="oem")
    bad_start = make_params([("dich", 1.0, 0.0, 0.0, 1.0), ("grm", 1.0, [1.0, -1.0]), ("dich", 1.0, 0.0, 0.2, 1.0)])
    with pytest.raises(ValueError, match=r"free items \[1\] have inadmissible starting values"):
        calibrate(bad_start, free, data)


def test_an_item_everyone_answers_correctly_is_reported_as_not_converged() -> None:
    _, start, free, sim = design("2pl", n_free=3, n_persons=600, seed=91)
    d = sim.data
    category = np.where(d.item == 60, 1, d.category)
    cal = calibrate(start, free, _with(d, category=category))
    assert not cal.item_converged[60] and cal.item_converged[61] and cal.item_converged[~free].all()
    assert not cal.converged
    assert cal.params.b[60] < -5.0
