"""Tests of the ability estimators against catsim, brute-force integration and brute-force optimisation.

The likelihood, information and prior used as references here are coded independently of cat_engine.irt.
"""

import math
from collections.abc import Callable, Sequence
from typing import Any

import catsim.estimation.numerical
import catsim.item_bank
import numpy as np
import numpy.typing as npt
import pytest
from conftest import make_params
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize

from cat_engine import irt
from cat_engine.estimation import (
    METHODS,
    EstimatorConfig,
    LogLikTable,
    Method,
    estimate,
    estimate_batch,
    node_information,
    node_loglik,
)
from cat_engine.irt import ItemParams

FloatArray = npt.NDArray[np.float64]
# One item of the reference model: ("dich", a, b, c, d), or ("gpcm" | "grm", a, [steps or thresholds]); the shape of
# the specs that conftest.make_params takes.
Spec = tuple[Any, ...]
# Scored categories of the items of one pattern, in order.
Cats = Sequence[int] | npt.NDArray[np.integer[Any]]
Pattern = tuple[npt.NDArray[np.int64], list[int]]

# --- independent reference model --------------------------------------------------------------------------------


def ref_probs(theta: npt.ArrayLike, spec: Spec, D: float = 1.0) -> FloatArray:
    """Category probabilities of one item at an array of thetas, shape (T, K)."""
    t = np.atleast_1d(np.asarray(theta, dtype=float))
    kind = spec[0]
    if kind == "dich":
        _, a, b, c, d = spec
        p = c + (d - c) / (1.0 + np.exp(-D * a * (t - b)))
        q = (1.0 - d) + (d - c) / (1.0 + np.exp(D * a * (t - b)))  # 1 - p without cancellation
        both: FloatArray = np.stack([q, p], axis=-1)
        return both
    a, steps = spec[1], spec[2]
    if kind == "gpcm":
        z = np.zeros((t.size, len(steps) + 1))
        for k, step in enumerate(steps, start=1):
            z[:, k] = z[:, k - 1] + D * a * (t - step)
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        gpcm: FloatArray = e / e.sum(axis=1, keepdims=True)
        return gpcm
    star = np.ones((t.size, len(steps) + 2))
    star[:, -1] = 0.0
    for k, thr in enumerate(steps, start=1):
        star[:, k] = 1.0 / (1.0 + np.exp(-D * a * (t - thr)))
    return star[:, :-1] - star[:, 1:]


def ref_item_information(theta: npt.ArrayLike, spec: Spec, D: float = 1.0) -> FloatArray:
    """Closed forms: Magis (2013) for the 4PL, Muraki (1993) for the GPCM, Samejima (1969) for the GRM."""
    t = np.atleast_1d(np.asarray(theta, dtype=float))
    kind = spec[0]
    if kind == "dich":
        _, a, b, c, d = spec
        p = c + (d - c) / (1.0 + np.exp(-D * a * (t - b)))
        dich: FloatArray = (D * a) ** 2 * (p - c) ** 2 * (d - p) ** 2 / ((d - c) ** 2 * p * (1.0 - p))
        return dich
    a, steps = spec[1], spec[2]
    probs = ref_probs(t, spec, D)
    if kind == "gpcm":
        scores = np.arange(len(steps) + 1)
        mean = (probs * scores).sum(axis=1)
        gpcm: FloatArray = (D * a) ** 2 * ((probs * scores * scores).sum(axis=1) - mean**2)
        return gpcm
    star = np.ones((t.size, len(steps) + 2))
    star[:, -1] = 0.0
    for k, thr in enumerate(steps, start=1):
        star[:, k] = 1.0 / (1.0 + np.exp(-D * a * (t - thr)))
    dstar = D * a * star * (1.0 - star)
    grm: FloatArray = ((dstar[:, :-1] - dstar[:, 1:]) ** 2 / probs).sum(axis=1)
    return grm


def ref_loglik(theta: npt.ArrayLike, specs: Sequence[Spec], cats: Cats, D: float = 1.0) -> FloatArray:
    t = np.atleast_1d(np.asarray(theta, dtype=float))
    total = np.zeros(t.size)
    for spec, x in zip(specs, cats, strict=True):
        total += np.log(ref_probs(t, spec, D)[:, x])
    return total


def ref_information(theta: npt.ArrayLike, specs: Sequence[Spec], D: float = 1.0) -> FloatArray:
    t = np.atleast_1d(np.asarray(theta, dtype=float))
    return sum((ref_item_information(t, spec, D) for spec in specs), np.zeros(t.size))


def scalar_loglik(theta: float, specs: Sequence[Spec], cats: Cats, D: float = 1.0) -> float:
    """The same log-likelihood at one theta in plain Python math (fast enough to integrate with quad)."""
    total = 0.0
    for spec, x in zip(specs, cats, strict=True):
        kind, a = spec[0], D * spec[1]
        if kind == "dich":
            _, _, b, c, d = spec
            if x == 1:
                total += math.log(c + (d - c) / (1.0 + math.exp(-a * (theta - b))))
            else:
                total += math.log((1.0 - d) + (d - c) / (1.0 + math.exp(a * (theta - b))))
        elif kind == "gpcm":
            z = [0.0]
            for step in spec[2]:
                z.append(z[-1] + a * (theta - step))
            top = max(z)
            total += z[x] - top - math.log(sum(math.exp(v - top) for v in z))
        else:
            star = [1.0] + [1.0 / (1.0 + math.exp(-a * (theta - t))) for t in spec[2]] + [0.0]
            total += math.log(star[x] - star[x + 1])
    return total


def ref_log_prior(theta: npt.ArrayLike, mean: float, sd: float) -> FloatArray:
    return -0.5 * ((np.asarray(theta, dtype=float) - mean) / sd) ** 2


def random_specs(rng: np.random.Generator, n: int, kind: str) -> list[Spec]:
    specs: list[Spec] = []
    for i in range(n):
        k = ("dich", "gpcm", "grm")[i % 3] if kind == "mixed" else kind
        a = float(rng.lognormal(0.0, 0.3))
        if k == "dich":
            specs.append(("dich", a, float(rng.normal()), float(rng.uniform(0.0, 0.25)), float(rng.uniform(0.9, 1))))
        elif k == "gpcm":
            specs.append(("gpcm", a, [float(s) for s in rng.normal(0, 1.2, size=rng.integers(1, 5))]))
        else:
            specs.append(("grm", a, [float(s) for s in np.sort(rng.uniform(-2.5, 2.5, size=rng.integers(1, 5)))]))
    return specs


def simulate(rng: np.random.Generator, specs: Sequence[Spec], theta: float, D: float = 1.0) -> list[int]:
    cats = []
    for spec in specs:
        p = ref_probs(theta, spec, D)[0]
        cats.append(int(rng.choice(p.size, p=p / p.sum())))
    return cats


def random_patterns(
    seed: int, kind: str, n_patterns: int, n_pool: int = 60, lengths: tuple[int, int] = (5, 25)
) -> tuple[ItemParams, list[Spec], list[Pattern]]:
    """(params, specs, [(items, cats)]) with patterns simulated from random true thetas."""
    rng = np.random.default_rng(seed)
    specs = random_specs(rng, n_pool, kind)
    patterns: list[Pattern] = []
    for _ in range(n_patterns):
        items = rng.choice(n_pool, size=rng.integers(*lengths), replace=False)
        theta = float(rng.uniform(-2.0, 2.0))
        patterns.append((items, simulate(rng, [specs[i] for i in items], theta)))
    return make_params(specs), specs, patterns


# --- brute-force references -------------------------------------------------------------------------------------


def brute_eap(
    config: EstimatorConfig, specs: Sequence[Spec], cats: Cats, D: float = 1.0, widen: float = 0.0
) -> tuple[float, float]:
    """Posterior mean and SD by adaptive quadrature (scipy.integrate.quad) over [theta_min, theta_max], widened by
    ``widen`` on each side."""
    lo, hi = config.theta_min - widen, config.theta_max + widen
    grid = np.linspace(lo, hi, 2001)
    log_post = ref_loglik(grid, specs, cats, D) + ref_log_prior(grid, config.prior_mean, config.prior_sd)
    top = log_post.max()
    peak = float(grid[np.argmax(log_post)])

    def density(t: float) -> float:
        value = scalar_loglik(t, specs, cats, D) - 0.5 * ((t - config.prior_mean) / config.prior_sd) ** 2
        return math.exp(value - top)

    kwargs = {"epsabs": 1e-13, "epsrel": 1e-10, "limit": 200, "points": [peak]}  # density peaks at 1
    z = float(integrate.quad(density, lo, hi, **kwargs)[0])
    mean = float(integrate.quad(lambda t: t * density(t), lo, hi, **kwargs)[0]) / z
    var = float(integrate.quad(lambda t: (t - mean) ** 2 * density(t), lo, hi, **kwargs)[0]) / z
    return mean, math.sqrt(var)


def brute_argmax(objective: Callable[[FloatArray], FloatArray], lo: float, hi: float) -> float:
    """Global maximiser of a vectorised objective on [lo, hi]: a fine grid, then minimize_scalar (bounded) around
    the best node."""
    grid = np.linspace(lo, hi, 3001)
    values = objective(grid)
    best = int(np.argmax(values))
    left, right = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    res = optimize.minimize_scalar(
        lambda t: -objective(np.array([t]))[0], bounds=(left, right), method="bounded", options={"xatol": 1e-11}
    )
    return float(res.x) if -res.fun >= values[best] else float(grid[best])


def config_for(method: Method, **kwargs: Any) -> EstimatorConfig:
    return EstimatorConfig(method=method, **kwargs)


# --- MLE against catsim -----------------------------------------------------------------------------------------


def test_mle_matches_catsim() -> None:
    rng = np.random.default_rng(2026)
    n = 300
    a = rng.lognormal(0.0, 0.3, n)
    b = rng.normal(0.0, 1.0, n)
    c = rng.uniform(0.05, 0.3, n)
    params = ItemParams.dichotomous(a, b, c)
    bank = catsim.item_bank.ItemBank(params.catsim_matrix())
    catsim_estimator = catsim.estimation.numerical.NumericalSearchEstimator()
    config = EstimatorConfig(method="mle", theta_min=-6, theta_max=6, quadrature_points=121)
    compared = 0
    while compared < 30:
        length = int(rng.integers(10, 31))
        items = rng.choice(n, size=length, replace=False)
        theta = rng.normal()
        p = c[items] + (1 - c[items]) / (1 + np.exp(-a[items] * (theta - b[items])))
        responses = (rng.random(length) < p).astype(int)
        if responses.min() == responses.max():
            continue
        expected = catsim_estimator.estimate(
            item_bank=bank,
            administered_items=[int(i) for i in items],
            response_vector=[bool(r) for r in responses],
            est_theta=0.0,
        )
        if abs(abs(expected) - 6.0) < 1e-3:
            continue  # catsim's search ends on the bound: no interior MLE to compare
        got, se = estimate(config, params, items, responses)
        assert got == pytest.approx(expected, abs=1e-3)
        info = ref_information(got, [("dich", a[i], b[i], c[i], 1.0) for i in items])[0]
        assert se == pytest.approx(1.0 / math.sqrt(info), rel=1e-6)
        compared += 1


# --- EAP against adaptive quadrature ----------------------------------------------------------------------------


# The engine integrates over [theta_min, theta_max] by the trapezoid rule, whose error is O(h^2): against adaptive
# quadrature over the same range the 61-node grid (h = 0.133) stays well inside 2e-3 and 401 nodes inside 1e-5.
@pytest.mark.parametrize(
    ("kind", "points", "tol"),
    [
        ("dich", 61, 2e-3),
        ("gpcm", 61, 2e-3),
        ("grm", 61, 2e-3),
        ("mixed", 61, 2e-3),
        ("dich", 401, 1e-5),
        ("gpcm", 401, 1e-5),
        ("grm", 401, 1e-5),
        ("mixed", 401, 1e-5),
    ],
)
def test_eap_matches_quadrature(kind: str, points: int, tol: float) -> None:
    params, specs, patterns = random_patterns(seed=sum(map(ord, kind)), kind=kind, n_patterns=8)
    config = EstimatorConfig(method="eap", quadrature_points=points)
    for items, cats in patterns:
        mean, sd = brute_eap(config, [specs[i] for i in items], cats)
        got, se = estimate(config, params, items, cats)
        assert got == pytest.approx(mean, abs=tol)
        assert se == pytest.approx(sd, abs=tol)


@pytest.mark.parametrize("kind", ["dich", "gpcm", "grm", "mixed"])
def test_eap_with_a_table_equals_the_quadrature_sum(kind: str) -> None:
    # the live step's path (rows of a LogLikTable summed, the moments in one product) against adaptive quadrature
    # of the model formulas (scipy), and against the path without a table
    params, specs, patterns = random_patterns(seed=7 + sum(map(ord, kind)), kind=kind, n_patterns=8)
    config = EstimatorConfig(method="eap", quadrature_points=61)
    table = LogLikTable.build(config, params)
    for items, cats in patterns:
        mean, sd = brute_eap(config, [specs[i] for i in items], cats)
        got, se = estimate(config, params, items, cats, table)
        assert got == pytest.approx(mean, abs=2e-3)
        assert se == pytest.approx(sd, abs=2e-3)
        plain, plain_se = estimate(config, params, items, cats)
        assert got == pytest.approx(plain, rel=1e-12, abs=1e-12)
        assert se == pytest.approx(plain_se, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("kind", ["dich", "mixed"])
def test_eap_error_shrinks_as_the_square_of_the_spacing(kind: str) -> None:
    # trapezoid rule: halving the spacing divides the error by about 4 (a midpoint or rectangle rule on the
    # range, with its O(h) end error, would only halve it)
    params, specs, patterns = random_patterns(seed=sum(map(ord, kind)), kind=kind, n_patterns=8)
    errors = []
    for points in (41, 81):
        config = EstimatorConfig(method="eap", quadrature_points=points)
        worst = 0.0
        for items, cats in patterns:
            mean, _ = brute_eap(config, [specs[i] for i in items], cats)
            worst = max(worst, abs(estimate(config, params, items, cats)[0] - mean))
        errors.append(worst)
    assert errors[1] < errors[0] / 3


def test_eap_quadrature_error_is_small_with_the_default_grid() -> None:
    # the bound used above: the 61-point rectangle rule is much better than 2e-3 for patterns of 5-25 items
    params, specs, patterns = random_patterns(seed=4, kind="mixed", n_patterns=10)
    config = EstimatorConfig()
    worst = 0.0
    for items, cats in patterns:
        mean, sd = brute_eap(config, [specs[i] for i in items], cats)
        got, se = estimate(config, params, items, cats)
        worst = max(worst, abs(got - mean), abs(se - sd))
    assert worst < 2e-3


def test_eap_with_other_prior_range_and_d() -> None:
    _, specs, patterns = random_patterns(seed=5, kind="mixed", n_patterns=5)
    scaled = make_params(specs, D=1.702)
    config = EstimatorConfig(
        method="eap", prior_mean=0.5, prior_sd=1.5, theta_min=-5, theta_max=5, quadrature_points=401
    )
    for items, cats in patterns:
        mean, sd = brute_eap(config, [specs[i] for i in items], cats, D=1.702)
        got, se = estimate(config, scaled, items, cats)
        assert got == pytest.approx(mean, abs=1e-5)
        assert se == pytest.approx(sd, abs=1e-5)


# --- MAP and WLE against brute-force maximisation ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dich", "gpcm", "grm", "mixed"])
def test_map_matches_bounded_maximisation(kind: str) -> None:
    params, specs, patterns = random_patterns(seed=10 + len(kind), kind=kind, n_patterns=6)
    config = EstimatorConfig(method="map", prior_mean=0.2, prior_sd=1.3)
    for items, cats in patterns:
        sub = [specs[i] for i in items]

        def objective(t: FloatArray, sub: list[Spec] = sub, cats: list[int] = cats) -> FloatArray:
            return ref_loglik(t, sub, cats) + ref_log_prior(t, config.prior_mean, config.prior_sd)

        expected = brute_argmax(objective, config.theta_min, config.theta_max)
        got, se = estimate(config, params, items, cats)
        assert got == pytest.approx(expected, abs=1e-6)
        info = ref_information(got, sub)[0]
        assert se == pytest.approx((info + 1.0 / config.prior_sd**2) ** -0.5, rel=1e-8)


def ref_warm_equation(theta: float, specs: Sequence[Spec], cats: Cats, D: float = 1.0, h: float = 1e-4) -> float:
    """Warm's estimating function l'(t) + J(t) / (2 I(t)), with J = sum_k P_k' P_k'' / P_k, by finite differences
    of the reference probabilities (independent of the engine's analytic derivatives)."""
    total = 0.0
    info = 0.0
    j = 0.0
    for spec, x in zip(specs, cats, strict=True):
        p_minus, p_0, p_plus = (ref_probs(theta + d, spec, D)[0] for d in (-h, 0.0, h))
        d1 = (p_plus - p_minus) / (2 * h)
        d2 = (p_plus - 2 * p_0 + p_minus) / (h * h)
        total += d1[x] / p_0[x]
        info += float(np.sum(d1 * d1 / p_0))
        j += float(np.sum(d1 * d2 / p_0))
    return total + j / (2 * info)


@pytest.mark.parametrize("kind", ["dich", "gpcm", "grm", "mixed"])
def test_wle_solves_warms_equation(kind: str) -> None:
    params, specs, patterns = random_patterns(seed=20 + len(kind), kind=kind, n_patterns=6)
    config = EstimatorConfig(method="wle")
    for items, cats in patterns:
        sub = [specs[i] for i in items]
        got, se = estimate(config, params, items, cats)
        if config.theta_min < got < config.theta_max:
            lo, hi = got - 0.05, got + 0.05
            assert ref_warm_equation(lo, sub, cats) > 0 > ref_warm_equation(hi, sub, cats)
            expected = optimize.brentq(
                lambda t, sub=sub, cats=cats: ref_warm_equation(t, sub, cats), lo, hi, xtol=1e-12
            )
            assert got == pytest.approx(expected, abs=1e-5)
            assert se == pytest.approx(ref_information(got, sub)[0] ** -0.5, rel=1e-8)


def test_wle_takes_the_slope_of_warms_correction_from_its_iterates(monkeypatch: pytest.MonkeyPatch) -> None:
    """The correction's slope is evaluated apart only at the first iterate (a forward difference); every later
    Newton step takes the secant through the iterates, so an estimate costs one extra evaluation, not two per step."""
    import cat_engine.estimation as estimation_module

    params, specs, patterns = random_patterns(seed=31, kind="mixed", n_patterns=6)
    calls = {"extra": 0, "all": 0}
    real_extra, real_all = estimation_module._warm_correction, irt.score_derivatives

    def extra(*args: Any) -> Any:
        calls["extra"] += 1
        return real_extra(*args)

    def counted(*args: Any) -> Any:
        calls["all"] += 1
        return real_all(*args)

    monkeypatch.setattr(estimation_module, "_warm_correction", extra)
    monkeypatch.setattr(estimation_module, "score_derivatives", counted)
    config_bounds = (EstimatorConfig().theta_min, EstimatorConfig().theta_max)
    for items, cats in patterns:
        calls.update(extra=0, all=0)
        got, _ = estimate(EstimatorConfig(method="wle"), params, items, cats)
        sub = [specs[i] for i in items]
        if config_bounds[0] < got < config_bounds[1]:
            assert abs(ref_warm_equation(got, sub, cats)) < 1e-6
        assert calls["extra"] == 1 and calls["all"] >= 3  # the forward difference, then Newton steps


def test_wle_differs_from_the_jeffreys_mode_for_3pl() -> None:
    # For 3PL items Warm's correction J/(2I) is not d/dtheta (1/2 log I): one item a=1.5, b=0, c=0.2 at theta 0
    # has J = 0 but a non-zero derivative of 1/2 log I, so the two estimators must give different answers.
    spec = ("dich", 1.5, 0.0, 0.2, 1.0)
    assert abs(ref_warm_equation(0.0, [spec], [1]) - ref_warm_equation(0.0, [spec], [1], h=1e-3)) < 1e-4
    specs = [spec, ("dich", 1.2, 0.5, 0.25, 1.0), ("dich", 0.9, -0.5, 0.2, 1.0)]
    params = make_params(specs)
    wle, _ = estimate(EstimatorConfig(method="wle"), params, [0, 1, 2], [1, 0, 1])

    def jeffreys(t: FloatArray) -> FloatArray:
        return ref_loglik(t, specs, [1, 0, 1]) + 0.5 * np.log(ref_information(t, specs))

    mode = brute_argmax(jeffreys, -4, 4)
    assert abs(wle - mode) > 1e-3
    assert abs(ref_warm_equation(wle, specs, [1, 0, 1])) < 1e-6


@pytest.mark.parametrize("kind", ["dich", "gpcm", "grm", "mixed"])
def test_mle_matches_bounded_maximisation(kind: str) -> None:
    params, specs, patterns = random_patterns(seed=30 + len(kind), kind=kind, n_patterns=6, lengths=(10, 25))
    config = EstimatorConfig(method="mle")
    for items, cats in patterns:
        sub = [specs[i] for i in items]

        def loglik(t: FloatArray, sub: list[Spec] = sub, cats: list[int] = cats) -> FloatArray:
            return ref_loglik(t, sub, cats)

        expected = brute_argmax(loglik, -4.0, 4.0)
        got, se = estimate(config, params, items, cats)
        assert got == pytest.approx(expected, abs=1e-5)
        assert se == pytest.approx(min(ref_information(got, sub)[0] ** -0.5, config.se_cap), rel=1e-8)


def test_wle_of_all_correct_2pl_is_finite_and_interior() -> None:
    # Warm's estimator exists for perfect 1PL/2PL patterns
    specs = [("dich", 1.0, b, 0.0, 1.0) for b in (-1.0, 0.0, 1.0)]
    params = make_params(specs)
    config = EstimatorConfig(method="wle", theta_min=-6, theta_max=6, quadrature_points=121)
    expected = brute_argmax(lambda t: ref_loglik(t, specs, [1, 1, 1]) + 0.5 * np.log(ref_information(t, specs)), -6, 6)
    got, _ = estimate(config, params, [0, 1, 2], [1, 1, 1])
    assert -6 < got < 6
    assert got == pytest.approx(expected, abs=1e-5)


# --- extreme patterns -------------------------------------------------------------------------------------------

extreme_a = st.floats(0.05, 12.0)
extreme_b = st.floats(-4.0, 4.0)


@st.composite
def extreme_specs(draw: st.DrawFn) -> Spec:
    kind = draw(st.sampled_from(["dich", "gpcm", "grm"]))
    a = draw(extreme_a)
    if kind == "dich":
        c = draw(st.sampled_from([0.0, 1e-9, 0.2, 0.45]))
        d = draw(st.sampled_from([1.0, 0.999, 0.8]))
        return ("dich", a, draw(extreme_b), c, d)
    steps = draw(st.lists(extreme_b, min_size=1, max_size=5))
    if kind == "grm":
        steps = sorted(set(steps))
    return (kind, a, steps)


@st.composite
def extreme_patterns(draw: st.DrawFn) -> tuple[list[Spec], list[int], str]:
    specs = draw(st.lists(extreme_specs(), min_size=1, max_size=12))
    kind = draw(st.sampled_from(["top", "bottom", "random"]))
    n_cat = [2 if s[0] == "dich" else len(s[2]) + 1 for s in specs]
    if kind == "top":
        cats = [k - 1 for k in n_cat]
    elif kind == "bottom":
        cats = [0] * len(specs)
    else:
        cats = [draw(st.integers(0, k - 1)) for k in n_cat]
    return specs, cats, kind


@settings(max_examples=60, deadline=None)
@given(pattern=extreme_patterns(), method=st.sampled_from(METHODS), D=st.sampled_from([1.0, 1.702]))
def test_every_method_is_finite_and_in_range(
    pattern: tuple[list[Spec], list[int], str], method: Method, D: float
) -> None:
    specs, cats, kind = pattern
    params = make_params(specs, D=D)
    config = EstimatorConfig(method=method)
    items = list(range(len(specs)))
    theta, se = estimate(config, params, items, cats)
    assert math.isfinite(theta) and config.theta_min <= theta <= config.theta_max
    assert math.isfinite(se) and se > 0
    if method in ("mle", "wle"):
        assert se <= config.se_cap
    # probabilities saturate to exactly 1.0 in double precision once D a (theta - b) > ~37; that case is the bug
    # shown by test_mle_all_correct_with_saturated_probability_returns_theta_max
    can_saturate = max(D * s[1] for s in specs) * (config.theta_max - config.theta_min) > 30
    if method == "mle" and kind == "top" and not can_saturate:
        assert theta == config.theta_max
    if method == "mle" and kind == "bottom":
        assert theta == config.theta_min


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", ["dich", "gpcm", "grm"])
def test_single_item(method: Method, kind: str) -> None:
    spec = {"dich": ("dich", 1.2, 0.3, 0.2, 1.0), "gpcm": ("gpcm", 1.0, [-1.0, 0.5]), "grm": ("grm", 1.0, [-1, 1])}[
        kind
    ]
    params = make_params([spec])
    config = EstimatorConfig(method=method)
    n_cat = int(params.n_categories[0])
    results = [estimate(config, params, [0], [x]) for x in range(n_cat)]
    for theta, se in results:
        assert config.theta_min <= theta <= config.theta_max
        assert math.isfinite(se) and se > 0
    thetas = [t for t, _ in results]
    assert thetas == sorted(thetas), "a higher category never lowers the estimate"
    if method == "mle":
        assert thetas[0] == config.theta_min and thetas[-1] == config.theta_max


@pytest.mark.parametrize("method", METHODS)
def test_all_correct_and_all_wrong(method: Method) -> None:
    specs = [("dich", 1.0 + 0.1 * i, -1.0 + 0.2 * i, 0.15, 1.0) for i in range(10)]
    params = make_params(specs)
    config = EstimatorConfig(method=method)
    hi, se_hi = estimate(config, params, range(10), [1] * 10)
    lo, se_lo = estimate(config, params, range(10), [0] * 10)
    assert config.theta_min <= lo < hi <= config.theta_max
    assert se_hi > 0 and se_lo > 0
    if method == "mle":
        assert (lo, hi) == (config.theta_min, config.theta_max)
    if method in ("mle", "wle"):
        assert se_hi <= config.se_cap and se_lo <= config.se_cap


@pytest.mark.parametrize("kind", ["gpcm", "grm"])
def test_all_top_category_mle(kind: str) -> None:
    params, _, _ = random_patterns(seed=7, kind=kind, n_patterns=0, n_pool=10)
    top = [int(k) - 1 for k in params.n_categories]
    config = EstimatorConfig(method="mle")
    assert estimate(config, params, range(10), top)[0] == config.theta_max
    assert estimate(config, params, range(10), [0] * 10)[0] == config.theta_min


@pytest.mark.parametrize(("a", "b", "D"), [(4.0, -2.0, 1.702), (10.0, 0.0, 1.0)])
def test_mle_all_correct_with_saturated_probability_returns_theta_max(a: float, b: float, D: float) -> None:
    # BUG: P = c + (d - c) / (1 + exp(-D a (theta - b))) rounds to exactly 1.0 (or d) once D a (theta - b) > ~37,
    # so the log-likelihood of an all-correct pattern is exactly flat near theta_max; np.argmax picks the first
    # node of the flat stretch as the start and Fisher scoring stops there because the score dP/P is exactly 0.
    # MLE returns 3.4667 (resp. 3.7333) instead of theta_max = 4 as documented.
    params = ItemParams.dichotomous([a], [b], D=D)
    config = EstimatorConfig(method="mle")
    theta, se = estimate(config, params, [0], [1])
    assert theta == config.theta_max
    assert se == config.se_cap


def test_mle_and_wle_se_capped_at_range_width() -> None:
    # one item with almost no information: 1/sqrt(I) would far exceed the width of the range
    params = make_params([("dich", 0.01, 0.0, 0.0, 1.0), ("dich", 0.01, 0.5, 0.0, 1.0)])
    for method in ("mle", "wle"):
        config = EstimatorConfig(method=method)
        _, se = estimate(config, params, [0, 1], [1, 0])
        assert se == config.se_cap == 8.0


@pytest.mark.parametrize(("mean", "sd"), [(0.0, 1.0), (0.5, 0.8), (-0.5, 0.7)])
def test_no_responses(mean: float, sd: float) -> None:
    params = make_params([("dich", 1.0, 0.0, 0.0, 1.0)])
    eap = estimate(EstimatorConfig(method="eap", prior_mean=mean, prior_sd=sd), params, [], [])
    # the prior restricted to [-4, 4] (at least 3.5 SD each side here) and discretised
    assert eap[0] == pytest.approx(mean, abs=5e-3)
    assert eap[1] == pytest.approx(sd, abs=5e-3)
    map_theta, map_se = estimate(EstimatorConfig(method="map", prior_mean=mean, prior_sd=sd), params, [], [])
    assert map_theta == mean
    assert map_se == pytest.approx(sd, rel=1e-12)
    for method in ("mle", "wle"):
        config = EstimatorConfig(method=method, prior_mean=mean, prior_sd=sd)
        assert estimate(config, params, [], []) == (mean, config.se_cap)


@pytest.mark.parametrize(("mean", "sd"), [(0.0, 1.0), (-1.0, 1.2), (2.5, 2.0)])
def test_no_responses_eap_matches_truncated_prior(mean: float, sd: float) -> None:
    # far from the prior when the range truncates it, but the prior restricted to the range up to the
    # trapezoid rule's O(h^2) error
    params = make_params([("dich", 1.0, 0.0, 0.0, 1.0)])
    config = EstimatorConfig(method="eap", prior_mean=mean, prior_sd=sd, quadrature_points=401)
    expected = brute_eap(config, [], [])
    got = estimate(config, params, [], [])
    assert got[0] == pytest.approx(expected[0], abs=1e-5)
    assert got[1] == pytest.approx(expected[1], abs=1e-5)


def test_eap_se_stays_positive_for_a_sharp_posterior() -> None:
    # many highly discriminating items at one location: the posterior is narrower than the node spacing
    specs = [("dich", 4.0, 2.0, 0.0, 1.0)] * 60
    params = make_params(specs)
    cats = [1, 0] * 30
    for method in METHODS:
        theta, se = estimate(EstimatorConfig(method=method), params, range(60), cats)
        assert theta == pytest.approx(2.0, abs=0.1)
        assert math.isfinite(se) and se > 0, method


def test_extremely_improbable_responses_are_not_floored() -> None:
    # BUG: log_probability floors every probability at 1e-12 (log = -27.6). Here a 2PL item with a=5, b=4 answered
    # correctly and one with a=5, b=-4 answered wrongly give log-likelihood about -40 everywhere in [-4, 4] (it is
    # flat in the middle, so the posterior is the prior), but after flooring the ends of the range look 12 nats
    # more likely than the middle: EAP reports SD 3.4 instead of 1.0 and MAP -3.8 instead of 0.
    specs = [("dich", 5.0, 4.0, 0.0, 1.0), ("dich", 5.0, -4.0, 0.0, 1.0)]
    params = make_params(specs)
    config = EstimatorConfig(method="eap")
    mean, sd = brute_eap(config, specs, [1, 0])
    got = estimate(config, params, [0, 1], [1, 0])
    assert got[0] == pytest.approx(mean, abs=2e-3)
    assert got[1] == pytest.approx(sd, abs=2e-3)
    map_config = EstimatorConfig(method="map")
    expected = brute_argmax(lambda t: ref_loglik(t, specs, [1, 0]) + ref_log_prior(t, 0.0, 1.0), -4.0, 4.0)
    assert estimate(map_config, params, [0, 1], [1, 0])[0] == pytest.approx(expected, abs=1e-3)


# --- batch estimation -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_estimate_batch_with_padding_matches_estimate(method: Method) -> None:
    rng = np.random.default_rng(99)
    specs = random_specs(rng, 40, "mixed")
    params = make_params(specs)
    config = EstimatorConfig(method=method)
    lengths = [0, 1, 3, 12, 20, 7, 20]
    width = max(lengths)
    n = len(lengths)
    items = np.zeros((n, width), dtype=np.intp)
    cats = np.zeros((n, width), dtype=np.intp)
    mask = np.zeros((n, width), dtype=bool)
    rows = []
    for r, length in enumerate(lengths):
        row_items = rng.choice(40, size=length, replace=False)
        row_cats = simulate(rng, [specs[i] for i in row_items], float(rng.normal()))
        if r == 6:
            row_cats = [int(params.n_categories[i]) - 1 for i in row_items]  # an all-top row
        items[r, :length] = row_items
        cats[r, :length] = row_cats
        mask[r, :length] = True
        rows.append((row_items, row_cats))
    # the log-likelihood of the real responses only, as a simulation accumulates it
    loglik = np.stack([node_loglik(config, params, it, ct) for it, ct in rows])
    theta, se = estimate_batch(config, params, loglik, items, cats, mask)
    assert theta.shape == se.shape == (n,)
    for r, (row_items, row_cats) in enumerate(rows):
        single = estimate(config, params, row_items, row_cats)
        assert theta[r] == pytest.approx(single[0], abs=1e-9)
        assert se[r] == pytest.approx(single[1], rel=1e-9)
    if method == "wle":
        info = node_information(config, params, items, mask)
        again = estimate_batch(config, params, loglik, items, cats, mask, info_at_nodes=info)
        np.testing.assert_allclose(again[0], theta, atol=1e-12)
        np.testing.assert_allclose(again[1], se, rtol=1e-12)


def test_node_loglik_and_information_match_references() -> None:
    rng = np.random.default_rng(12)
    specs = random_specs(rng, 15, "mixed")
    params = make_params(specs)
    config = EstimatorConfig()
    items = np.array([[0, 4, 8, 13], [1, 2, 3, 5]])
    cats = np.array([[1, 0, 1, 0], [0, 1, 1, 1]])
    loglik = node_loglik(config, params, items, cats)
    info = node_information(config, params, items)
    assert loglik.shape == info.shape == (2, 61)
    for r in range(2):
        sub = [specs[i] for i in items[r]]
        np.testing.assert_allclose(loglik[r], ref_loglik(config.nodes, sub, cats[r]), rtol=1e-10)
        np.testing.assert_allclose(info[r], ref_information(config.nodes, sub), rtol=1e-9)
    masked = node_information(config, params, items, np.array([[True, True, False, False], [True] * 4]))
    np.testing.assert_allclose(masked[0], ref_information(config.nodes, [specs[0], specs[4]]), rtol=1e-9)


# --- configuration ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "ml"},
        {"method": "EAP"},
        {"prior_sd": 0.0},
        {"prior_sd": -1.0},
        {"prior_sd": math.nan},
        {"quadrature_points": 10},
        {"quadrature_points": 0},
        {"prior_mean": 4.0},
        {"prior_mean": -5.0},
        {"prior_mean": 2.0, "theta_max": 1.0},
        {"theta_min": 3.0, "theta_max": -3.0},
        {"prior_mean": math.nan},
    ],
)
def test_config_rejects_bad_settings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        EstimatorConfig(**kwargs)


def test_config_accepts_good_settings() -> None:
    config = EstimatorConfig(method="wle", prior_mean=0.5, prior_sd=2.0, quadrature_points=11, theta_min=-3)
    assert config.nodes.shape == (11,)
    assert config.nodes[0] == -3.0 and config.nodes[-1] == 4.0
    assert config.se_cap == 7.0
    np.testing.assert_allclose(config.log_prior, -0.5 * ((config.nodes - 0.5) / 2.0) ** 2)
    with pytest.raises(ValueError):
        config.nodes[0] = 1.0


@pytest.mark.parametrize("n_items", [1, 2, 3, 5])
def test_wle_converges_on_short_3pl_tests(n_items: int) -> None:
    # Short 3PL tests are where Newton on Warm's equation swings around the root unless it uses the derivative of
    # the correction too: the result must be a root of the independently computed equation.
    rng = np.random.default_rng(100 + n_items)
    config = EstimatorConfig(method="wle")
    grid = np.linspace(config.theta_min, config.theta_max, 401)
    checked = 0
    for _ in range(25):
        specs = [
            ("dich", float(rng.lognormal(0.3, 0.3)), float(rng.normal()), float(rng.uniform(0.1, 0.3)), 1.0)
            for _ in range(n_items)
        ]
        cats = [int(x) for x in rng.integers(0, 2, n_items)]
        got, _ = estimate(config, make_params(specs), list(range(n_items)), cats)
        g = np.array([ref_warm_equation(t, specs, cats) for t in grid])
        crossings = np.flatnonzero((g[:-1] > 0) & (g[1:] <= 0))
        if crossings.size == 0:
            continue
        roots = [
            optimize.brentq(lambda t, s=specs, c=cats: ref_warm_equation(t, s, c), grid[i], grid[i + 1])
            for i in crossings
        ]
        assert min(abs(got - r) for r in roots) < 1e-5
        checked += 1
    assert checked >= 15
