"""Tests of cat_engine.irt against independent scalar formulas, numerical derivatives and catsim."""

import math
from collections.abc import Sequence
from decimal import Decimal, getcontext
from typing import Any

import catsim.irt
import numpy as np
import pytest
from conftest import make_params
from hypothesis import given, settings
from hypothesis import strategies as st

from cat_engine.irt import (
    ItemParams,
    category_probabilities,
    information,
    log_probability,
    score_function,
)

SETTINGS = settings(max_examples=40, deadline=None)
# One item of the reference formulas: ("dich", a, b, c, d), or ("gpcm" | "grm", a, [steps or thresholds]); the shape
# of the specs that conftest.make_params takes.
Spec = tuple[Any, ...]

# --- independent reference formulas (plain Python math) -------------------------------------------------------


def ref_4pl(theta: float, a: float, b: float, c: float = 0.0, d: float = 1.0, D: float = 1.0) -> float:
    """P(correct) of the 4PL, Barton & Lord (1981)."""
    return c + (d - c) / (1.0 + math.exp(-D * a * (theta - b)))


def ref_gpcm(theta: float, a: float, steps: Sequence[float], D: float = 1.0) -> list[float]:
    """Category probabilities of the GPCM, Muraki (1992)."""
    z = [0.0]
    for step in steps:
        z.append(z[-1] + D * a * (theta - step))
    top = max(z)
    e = [math.exp(v - top) for v in z]
    total = sum(e)
    return [v / total for v in e]


def ref_grm(theta: float, a: float, thresholds: Sequence[float], D: float = 1.0) -> list[float]:
    """Category probabilities of the GRM, Samejima (1969)."""
    star = [1.0] + [1.0 / (1.0 + math.exp(-D * a * (theta - t))) for t in thresholds] + [0.0]
    return [star[k] - star[k + 1] for k in range(len(thresholds) + 1)]


def ref_probs(theta: float, spec: Spec, D: float = 1.0) -> list[float]:
    """Category probabilities of one item described by a spec tuple."""
    kind = spec[0]
    if kind == "dich":
        _, a, b, c, d = spec
        p = ref_4pl(theta, a, b, c, d, D)
        return [1.0 - p, p]
    if kind == "gpcm":
        return ref_gpcm(theta, spec[1], spec[2], D)
    return ref_grm(theta, spec[1], spec[2], D)


def ref_information(theta: float, spec: Spec, D: float = 1.0, h: float = 1e-5) -> float:
    """sum_k P_k'^2 / P_k with P_k' by central difference of the reference formulas."""
    up = ref_probs(theta + h, spec, D)
    down = ref_probs(theta - h, spec, D)
    mid = ref_probs(theta, spec, D)
    total = 0.0
    for pu, pd, pm in zip(up, down, mid, strict=True):
        if pm > 0:
            total += ((pu - pd) / (2 * h)) ** 2 / pm
    return total


# --- strategies -------------------------------------------------------------------------------------------------

thetas = st.floats(-4.0, 4.0, allow_nan=False)
discriminations = st.floats(0.2, 3.0, allow_nan=False)
locations = st.floats(-3.0, 3.0, allow_nan=False)


@st.composite
def dichotomous_specs(draw: st.DrawFn) -> Spec:
    kind = draw(st.sampled_from(["1PL", "2PL", "3PL", "4PL"]))
    a = 1.0 if kind == "1PL" else draw(discriminations)
    b = draw(locations)
    c = draw(st.floats(0.0, 0.35)) if kind in ("3PL", "4PL") else 0.0
    d = draw(st.floats(0.75, 1.0)) if kind == "4PL" else 1.0
    return ("dich", a, b, c, d)


@st.composite
def gpcm_specs(draw: st.DrawFn) -> Spec:
    steps = draw(st.lists(locations, min_size=1, max_size=5))
    return ("gpcm", draw(discriminations), steps)


@st.composite
def grm_specs(draw: st.DrawFn) -> Spec:
    start = draw(st.floats(-3.0, 0.0))
    gaps = draw(st.lists(st.floats(0.05, 1.5), min_size=0, max_size=4))
    thresholds = [start]
    for gap in gaps:
        thresholds.append(thresholds[-1] + gap)
    return ("grm", draw(discriminations), thresholds)


any_spec = st.one_of(dichotomous_specs(), gpcm_specs(), grm_specs())
mixed_pools = st.lists(any_spec, min_size=1, max_size=8)


def random_mixed_specs(rng: np.random.Generator, n: int) -> list[Spec]:
    specs: list[Spec] = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            specs.append(("dich", rng.uniform(0.3, 2.5), rng.normal(), rng.uniform(0, 0.3), rng.uniform(0.8, 1.0)))
        elif kind == 1:
            specs.append(("gpcm", rng.uniform(0.3, 2.5), list(rng.normal(size=rng.integers(1, 5)))))
        else:
            specs.append(("grm", rng.uniform(0.3, 2.5), sorted(rng.uniform(-2.5, 2.5, size=rng.integers(1, 5)))))
    return specs


# --- probabilities ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["1PL", "2PL", "3PL", "4PL"])
@SETTINGS
@given(data=st.data(), theta=thetas)
def test_dichotomous_probability_matches_formula(model: str, data: st.DataObject, theta: float) -> None:
    a = 1.0 if model == "1PL" else data.draw(discriminations)
    b = data.draw(locations)
    c = data.draw(st.floats(0.0, 0.35)) if model in ("3PL", "4PL") else 0.0
    d = data.draw(st.floats(0.75, 1.0)) if model == "4PL" else 1.0
    if model == "1PL":
        params = ItemParams.dichotomous(1.0, [b])
    elif model == "2PL":
        params = ItemParams.dichotomous([a], [b])
    elif model == "3PL":
        params = ItemParams.dichotomous([a], [b], [c])
    else:
        params = ItemParams.dichotomous([a], [b], [c], [d])
    probs = category_probabilities(theta, params)
    assert probs.shape == (1, 2)
    expected = ref_4pl(theta, a, b, c, d)
    assert probs[0, 1] == pytest.approx(expected, rel=1e-12, abs=1e-14)
    assert probs[0, 0] == pytest.approx(1.0 - expected, rel=1e-12, abs=1e-14)


def test_dichotomous_known_values() -> None:
    params = ItemParams.dichotomous([1.5, 1.0, 2.0], [0.0, 1.0, -1.0], [0.2, 0.0, 0.25], [1.0, 1.0, 0.9])
    probs = category_probabilities(np.array([0.0, 1.0, -1.0]), params, [0, 1, 2])
    # at theta == b the logistic is 1/2, so P = (c + d) / 2
    np.testing.assert_allclose(probs[:, 1], [0.6, 0.5, 0.575], rtol=1e-14)


@SETTINGS
@given(spec=gpcm_specs(), theta=thetas, D=st.sampled_from([1.0, 1.702]))
def test_gpcm_probabilities_match_formula(spec: Spec, theta: float, D: float) -> None:
    params = make_params([spec], D=D)
    probs = category_probabilities(theta, params)
    np.testing.assert_allclose(probs[0], ref_gpcm(theta, spec[1], spec[2], D), rtol=1e-10, atol=1e-14)


@SETTINGS
@given(spec=grm_specs(), theta=thetas, D=st.sampled_from([1.0, 1.702]))
def test_grm_probabilities_match_formula(spec: Spec, theta: float, D: float) -> None:
    params = make_params([spec], D=D)
    probs = category_probabilities(theta, params)
    np.testing.assert_allclose(probs[0], ref_grm(theta, spec[1], spec[2], D), rtol=1e-10, atol=1e-14)


def test_gpcm_known_value() -> None:
    # two steps at 0: z = [0, theta, 2 theta]; at theta = 0 every category is equally likely
    params = make_params([("gpcm", 1.3, [0.0, 0.0])])
    np.testing.assert_allclose(category_probabilities(0.0, params)[0], [1 / 3, 1 / 3, 1 / 3], rtol=1e-14)


@SETTINGS
@given(specs=mixed_pools, theta=thetas, D=st.sampled_from([1.0, 1.702]))
def test_mixed_pool_probabilities_match_formulas_and_sum_to_one(specs: list[Spec], theta: float, D: float) -> None:
    params = make_params(specs, D=D)
    probs = category_probabilities(theta, params)
    assert probs.shape == (len(specs), params.max_categories)
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-12)
    assert np.all(probs >= 0.0)
    for i, spec in enumerate(specs):
        expected = ref_probs(theta, spec, D)
        np.testing.assert_allclose(probs[i, : len(expected)], expected, rtol=1e-10, atol=1e-14)
        assert np.all(probs[i, len(expected) :] == 0.0), "categories an item does not have get probability 0"


def test_category_probabilities_sum_to_one_on_a_grid() -> None:
    rng = np.random.default_rng(1)
    params = make_params(random_mixed_specs(rng, 30))
    grid = np.linspace(-10, 10, 201)
    probs = category_probabilities(grid[:, None], params)
    assert probs.shape == (201, 30, params.max_categories)
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=-1), 1.0, rtol=1e-12)


# --- information ------------------------------------------------------------------------------------------------


@SETTINGS
@given(specs=mixed_pools, theta=thetas, D=st.sampled_from([1.0, 1.702]))
def test_information_equals_numerical_derivative(specs: list[Spec], theta: float, D: float) -> None:
    params = make_params(specs, D=D)
    info = information(theta, params)
    assert info.shape == (len(specs),)
    expected = [ref_information(theta, spec, D) for spec in specs]
    np.testing.assert_allclose(info, expected, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("kind", ["dich", "gpcm", "grm"])
def test_information_equals_numerical_derivative_per_model_on_grid(kind: str) -> None:
    rng = np.random.default_rng(7)
    specs = [s for s in random_mixed_specs(rng, 60) if s[0] == kind]
    params = make_params(specs)
    grid = np.linspace(-4, 4, 41)
    info = information(grid[:, None], params)
    expected = np.array([[ref_information(t, s) for s in specs] for t in grid])
    np.testing.assert_allclose(info, expected, rtol=1e-5, atol=1e-8)


def _exact_information(theta: float, spec: Spec) -> float:
    """Polytomous item information in 80-digit decimal arithmetic: I = sum_k P_k'^2 / P_k."""
    getcontext().prec = 80
    kind, a, steps = spec[0], Decimal(spec[1]), [Decimal(x) for x in spec[2]]
    t = Decimal(theta)
    if kind == "gpcm":
        z = [Decimal(0)]
        for b in steps:
            z.append(z[-1] + a * (t - b))
        w = [x.exp() for x in z]
        total = sum(w)
        p = [x / total for x in w]
        mean = sum(k * pk for k, pk in enumerate(p))
        return float(a * a * sum(pk * (k - mean) ** 2 for k, pk in enumerate(p)))
    star = [Decimal(1)] + [1 / (1 + (-a * (t - b)).exp()) for b in steps] + [Decimal(0)]
    dstar = [a * ps * (1 - ps) for ps in star]
    return float(sum((dstar[k] - dstar[k + 1]) ** 2 / (star[k] - star[k + 1]) for k in range(len(steps) + 1)))


@pytest.mark.parametrize("theta", [-40.0, -12.0, -3.0, -0.5, 0.0, 0.7, 2.5, 9.0, 40.0])
def test_polytomous_information_is_accurate_far_from_the_items(theta: float) -> None:
    # the whole-pool path (per model family, categories on the leading axis) against 80-digit arithmetic, also
    # where probabilities underflow: selection compares these numbers
    rng = np.random.default_rng(11)
    specs = [s for s in random_mixed_specs(rng, 80) if s[0] != "dich"]
    params = make_params(specs)
    fast = information(np.array([theta]), params)
    exact = [_exact_information(theta, s) for s in specs]
    np.testing.assert_allclose(fast, exact, rtol=1e-9, atol=1e-300)
    general = information(np.array([theta]), params, np.arange(params.size))  # the per-item path
    np.testing.assert_allclose(general, fast, rtol=1e-5, atol=1e-12 * max(exact))


def test_information_closed_forms() -> None:
    # GPCM: D^2 a^2 Var(k | theta); GRM at a symmetric point; 2PL: a^2 P Q
    a, D, theta = 1.2, 1.702, 0.3
    gp = make_params([("gpcm", a, [-0.5, 0.4, 1.0])], D=D)
    p = np.array(ref_gpcm(theta, a, [-0.5, 0.4, 1.0], D))
    k = np.arange(4)
    var = (p * k * k).sum() - (p * k).sum() ** 2
    assert information(theta, gp)[0] == pytest.approx(D * D * a * a * var, rel=1e-12)
    two = ItemParams.dichotomous([a], [0.1], D=D)
    pc = ref_4pl(theta, a, 0.1, D=D)
    assert information(theta, two)[0] == pytest.approx((D * a) ** 2 * pc * (1 - pc), rel=1e-12)


@SETTINGS
@given(spec=dichotomous_specs(), theta=thetas, D=st.sampled_from([1.0, 1.702]))
def test_dichotomous_information_equals_catsim(spec: Spec, theta: float, D: float) -> None:
    _, a, b, c, d = spec
    params = ItemParams.dichotomous([a], [b], [c], [d], D=D)
    expected = catsim.irt.inf(theta, a * D, b, c, d)
    # catsim forms 1 - P, which keeps only ~1e-16 / (1 - P) of its digits far above the item (z > 20): there the
    # comparison is held to a billionth of the item's peak information, (Da)^2 / 4, instead
    peak = (a * D) ** 2 / 4
    assert information(theta, params)[0] == pytest.approx(expected, rel=1e-9, abs=1e-9 * peak)


def test_dichotomous_information_equals_catsim_vectorised() -> None:
    rng = np.random.default_rng(3)
    n = 200
    a, b = rng.lognormal(0, 0.4, n), rng.normal(size=n)
    c, d = rng.uniform(0, 0.3, n), rng.uniform(0.85, 1.0, n)
    params = ItemParams.dichotomous(a, b, c, d, D=1.702)
    grid = np.linspace(-3, 3, 13)
    info = information(grid[:, None], params)
    expected = np.array([[catsim.irt.inf(t, a[i] * 1.702, b[i], c[i], d[i]) for i in range(n)] for t in grid])
    np.testing.assert_allclose(info, expected, rtol=1e-9, atol=1e-12)  # catsim loses digits in (P - c) at tiny I


def test_information_is_positive_and_finite_at_extremes() -> None:
    rng = np.random.default_rng(11)
    params = make_params(random_mixed_specs(rng, 30))
    grid = np.linspace(-10, 10, 101)
    info = information(grid[:, None], params)
    assert np.all(np.isfinite(info))
    assert np.all(info >= 0)


# --- broadcasting -----------------------------------------------------------------------------------------------


def test_broadcast_theta_column_against_all_items() -> None:
    rng = np.random.default_rng(5)
    specs = random_mixed_specs(rng, 9)
    params = make_params(specs)
    theta = np.linspace(-2, 2, 7)
    probs = category_probabilities(theta[:, None], params)
    info = information(theta[:, None], params)
    assert probs.shape == (7, 9, params.max_categories)
    assert info.shape == (7, 9)
    for t_i, t in enumerate(theta):
        for i, spec in enumerate(specs):
            expected = ref_probs(t, spec)
            np.testing.assert_allclose(probs[t_i, i, : len(expected)], expected, rtol=1e-10, atol=1e-14)
            assert info[t_i, i] == pytest.approx(information(t, params, [i])[0], rel=1e-12)
    cats = rng.integers(0, 2, size=9)  # every item has categories 0 and 1
    assert log_probability(theta[:, None], params, None, cats).shape == (7, 9)
    score, info2 = score_function(theta[:, None], params, None, cats)
    assert score.shape == info2.shape == (7, 9)
    np.testing.assert_allclose(info2, info, rtol=1e-12)


def test_broadcast_items_column_against_theta_row() -> None:
    rng = np.random.default_rng(6)
    specs = random_mixed_specs(rng, 12)
    params = make_params(specs)
    nodes = np.linspace(-4, 4, 15)
    items = np.array([3, 0, 11, 5, 5])  # one item per examinee, N = 5, Q = 15
    info = information(nodes[None, :], params, items[:, None])
    probs = category_probabilities(nodes[None, :], params, items[:, None])
    assert info.shape == (5, 15)
    assert probs.shape[:2] == (5, 15)
    assert probs.shape[2] == params.n_categories[items].max()
    cats = np.array([1, 0, 1, 0, 1])
    logp = log_probability(nodes[None, :], params, items[:, None], cats[:, None])
    assert logp.shape == (5, 15)
    for n_i, item in enumerate(items):
        for q_i, t in enumerate(nodes):
            expected = ref_probs(t, specs[item])
            np.testing.assert_allclose(probs[n_i, q_i, : len(expected)], expected, rtol=1e-10, atol=1e-14)
            assert logp[n_i, q_i] == pytest.approx(math.log(expected[cats[n_i]]), rel=1e-10, abs=1e-12)
            assert info[n_i, q_i] == pytest.approx(ref_information(t, specs[item]), rel=1e-5, abs=1e-8)


def test_broadcast_nodes_against_administered_items() -> None:
    # the shape node_loglik uses: theta (Q, 1) against items (N, 1, L) -> (N, Q, L)
    rng = np.random.default_rng(8)
    params = make_params(random_mixed_specs(rng, 10))
    nodes = np.linspace(-3, 3, 9)
    items = np.array([[0, 1, 2], [4, 5, 6]])
    cats = np.array([[1, 0, 1], [0, 1, 1]])
    logp = log_probability(nodes[:, None], params, items[:, None, :], cats[:, None, :])
    assert logp.shape == (2, 9, 3)
    for n_i in range(2):
        for l_i in range(3):
            single = log_probability(nodes, params, items[n_i, l_i], cats[n_i, l_i])
            np.testing.assert_allclose(logp[n_i, :, l_i], single, rtol=1e-12)


def test_scalar_theta_and_scalar_item() -> None:
    params = make_params([("dich", 1.0, 0.0, 0.0, 1.0), ("grm", 1.0, [-1.0, 1.0])])
    assert category_probabilities(0.0, params, 1).shape == (3,)
    assert information(0.0, params, 0).shape == ()
    assert log_probability(0.0, params, 1, 2).shape == ()


# --- log_probability and score_function -------------------------------------------------------------------------


@pytest.mark.parametrize("theta", [-10.0, 10.0])
def test_log_probability_finite_at_extreme_theta(theta: float) -> None:
    specs = [
        ("dich", 3.0, 4.0, 0.0, 1.0),
        ("dich", 3.0, -4.0, 0.0, 1.0),
        ("dich", 2.0, 0.0, 1e-15, 1.0),
        ("dich", 2.0, 0.0, 0.2, 0.95),
        ("gpcm", 3.0, [-3.0, 0.0, 3.0]),
        ("grm", 3.0, [-3.0, 0.0, 3.0]),
    ]
    params = make_params(specs)
    for i in range(len(specs)):
        for cat in range(int(params.n_categories[i])):
            logp = log_probability(theta, params, i, cat)
            assert np.isfinite(logp), (i, cat)
            assert logp <= 0.0
            score, info = score_function(theta, params, i, cat)
            assert np.isfinite(score) and np.isfinite(info)


@pytest.mark.parametrize("c", [0.0, 1e-300, 1e-15, 1e-9])
def test_log_probability_finite_for_c_near_zero(c: float) -> None:
    params = ItemParams.dichotomous([4.0], [3.0], [c])
    grid = np.linspace(-10, 10, 41)
    for cat in (0, 1):
        logp = log_probability(grid, params, 0, cat)
        assert np.all(np.isfinite(logp))
    # well inside the range the floor does not bite: log P(correct) is exact
    expected = math.log(ref_4pl(-2.0, 4.0, 3.0, c))
    assert log_probability(-2.0, params, 0, 1) == pytest.approx(expected, rel=1e-10)


@SETTINGS
@given(specs=mixed_pools, theta=st.floats(-3.5, 3.5), data=st.data())
def test_score_function_is_derivative_of_log_probability(specs: list[Spec], theta: float, data: st.DataObject) -> None:
    params = make_params(specs)
    cats = np.array([data.draw(st.integers(0, int(k) - 1)) for k in params.n_categories])
    items = np.arange(len(specs))
    score, info = score_function(theta, params, items, cats)
    h = 1e-5
    numeric = (log_probability(theta + h, params, items, cats) - log_probability(theta - h, params, items, cats)) / (
        2 * h
    )
    # log_probability floors P at 1e-12 (documented), so compare where the observed category is not floored
    unfloored = np.array(
        [min(ref_probs(theta + s * h, spec)[x] for s in (-1, 0, 1)) > 1e-9 for spec, x in zip(specs, cats, strict=True)]
    )
    np.testing.assert_allclose(score[unfloored], numeric[unfloored], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(info, information(theta, params, items), rtol=1e-12)


def test_log_probability_matches_formula() -> None:
    rng = np.random.default_rng(9)
    specs = random_mixed_specs(rng, 15)
    params = make_params(specs)
    for t in (-2.5, -0.3, 0.0, 1.7):
        for i, spec in enumerate(specs):
            probs = ref_probs(t, spec)
            for cat, p in enumerate(probs):
                assert log_probability(t, params, i, cat) == pytest.approx(math.log(p), rel=1e-10, abs=1e-12)


# --- scaling constant D -----------------------------------------------------------------------------------------


@SETTINGS
@given(specs=mixed_pools)
def test_d_scaling_equals_scaled_discrimination(specs: list[Spec]) -> None:
    D = 1.702
    with_d = make_params(specs, D=D)
    scaled_specs = [(s[0], s[1] * D, *s[2:]) for s in specs]
    folded = make_params(scaled_specs, D=1.0)
    grid = np.linspace(-4, 4, 17)[:, None]
    np.testing.assert_allclose(category_probabilities(grid, with_d), category_probabilities(grid, folded), rtol=1e-12)
    np.testing.assert_allclose(information(grid, with_d), information(grid, folded), rtol=1e-10, atol=1e-300)


def test_catsim_matrix_folds_d() -> None:
    params = ItemParams.dichotomous([1.0, 2.0], [0.5, -0.5], [0.1, 0.2], [1.0, 0.9], D=1.702)
    np.testing.assert_allclose(params.catsim_matrix(), [[1.702, 0.5, 0.1, 1.0], [3.404, -0.5, 0.2, 0.9]])
    with pytest.raises(ValueError, match="dichotomous"):
        make_params([("gpcm", 1.0, [0.0])]).catsim_matrix()


def test_item_params_are_read_only() -> None:
    params = ItemParams.dichotomous([1.0], [0.0])
    with pytest.raises(ValueError):
        params.a[0] = 2.0
