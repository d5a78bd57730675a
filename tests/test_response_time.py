"""Tests of :mod:`cat_engine.response_time`: the lognormal model's speed estimate against brute force, its residuals
and mean time against simulation, and the joint estimate of item parameters against the truth, against the spread
over replications and against the exact leverages of the least-squares fit.

Every simulation has a fixed seed; each tolerance says why it is wide enough for sampling noise and still tight
enough to catch a wrong formula.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from cat_engine.response_time import (
    SpeedEstimate,
    TimeParams,
    expected_seconds,
    fit_time_params,
    log_density,
    log_seconds,
    residuals,
    simulate_log_times,
    speed_estimate,
)

FloatArray = npt.NDArray[np.float64]


def _params(rng: np.random.Generator, n: int) -> TimeParams:
    return TimeParams(rng.normal(3.8, 0.3, n), rng.uniform(1.5, 2.5, n))


# --- speed given the items -------------------------------------------------------------------------------------


def _log_posterior(tau: FloatArray, log_t: FloatArray, params: TimeParams, prior_sd: float | None) -> FloatArray:
    """Summed log density at each of many speeds, plus the log prior (brute force, one row per speed)."""
    total: FloatArray = log_density(log_t[None, :], params, tau[:, None]).sum(axis=1)
    if prior_sd is not None:
        total = total - 0.5 * (tau / prior_sd) ** 2
    return total


@pytest.mark.parametrize("prior_sd", [None, 0.3, 1.0])
@pytest.mark.parametrize("n", [1, 3, 25])
def test_speed_estimate_maximises_the_likelihood(n: int, prior_sd: float | None) -> None:
    rng = np.random.default_rng(10 * n + (0 if prior_sd is None else int(10 * prior_sd)))
    params = _params(rng, n)
    log_t = simulate_log_times(params, 0.4, rng)
    est = speed_estimate(log_t, params, prior_sd)
    assert est.n == n
    # A grid of step 1e-4 over [-3, 3]: its best point is within half a step of the maximum.
    grid = np.arange(-3.0, 3.0, 1e-4)
    best = grid[np.argmax(_log_posterior(grid, log_t, params, prior_sd))]
    assert abs(est.tau - best) <= 0.6e-4
    # SE = (-d2/dtau2 log posterior)^(-1/2) by a central difference (exact for a quadratic, up to rounding).
    h = 1e-3
    f = _log_posterior(np.array([est.tau - h, est.tau, est.tau + h]), log_t, params, prior_sd)
    curvature = -(f[0] - 2 * f[1] + f[2]) / h**2
    assert est.se == pytest.approx(curvature**-0.5, rel=1e-5)


def test_speed_estimate_without_responses_is_the_prior() -> None:
    empty = TimeParams(np.empty(0), np.empty(0))
    assert speed_estimate([], empty, 0.3) == SpeedEstimate(0.0, pytest.approx(0.3), 0)  # type: ignore[arg-type]
    assert speed_estimate([], empty) == SpeedEstimate(0.0, math.inf, 0)


def test_a_prior_shrinks_the_speed_towards_zero() -> None:
    params = TimeParams(np.array([4.0, 4.0]), np.array([2.0, 2.0]))
    log_t = np.array([3.5, 3.6])  # faster than average: tau = 0.45 by ML
    ml, shrunk = speed_estimate(log_t, params), speed_estimate(log_t, params, 0.3)
    assert ml.tau == pytest.approx(0.45)
    assert 0 < shrunk.tau < ml.tau and shrunk.se < ml.se


# --- residuals, density and mean time --------------------------------------------------------------------------


def _normal_cdf(x: FloatArray) -> FloatArray:
    out: FloatArray = 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))
    return out


def test_residuals_are_standard_normal_under_the_model() -> None:
    rng = np.random.default_rng(7)
    params = _params(rng, 30)
    tau = rng.normal(0.0, 0.3, 2000)
    log_t = simulate_log_times(params, tau[:, None], rng)
    z = residuals(log_t, params, tau[:, None]).ravel()
    n = z.size  # 60,000 residuals
    # Mean within 4 standard errors (1/sqrt(n)); variance within 4 SE of a normal sample variance (sqrt(2/n)).
    assert abs(z.mean()) < 4 / math.sqrt(n)
    assert abs(z.var() - 1.0) < 4 * math.sqrt(2 / n)
    # Kolmogorov-Smirnov distance below its 0.1 % critical value 1.95 / sqrt(n): the shape is normal, not just
    # the first two moments.
    z.sort()
    cdf = _normal_cdf(z)
    ks = max(float(np.max(np.arange(1, n + 1) / n - cdf)), float(np.max(cdf - np.arange(n) / n)))
    assert ks < 1.95 / math.sqrt(n)
    # A wrong sign of tau would fail this: the residuals would spread with 2 * tau's variance.
    wrong = residuals(log_t, params, -tau[:, None]).ravel()
    assert wrong.var() > 1.0 + 10 * math.sqrt(2 / n)


def test_residuals_and_density_by_hand() -> None:
    params = TimeParams(np.array([4.0, 3.0]), np.array([2.0, 0.5]))
    z = residuals([4.5, 2.0], params, 0.25)
    np.testing.assert_allclose(z, [2.0 * 0.75, 0.5 * -0.75])
    density = log_density([4.5, 2.0], params, 0.25)
    np.testing.assert_allclose(density, np.log(params.alpha) - 0.5 * math.log(2 * math.pi) - 0.5 * z**2)


def test_log_density_integrates_to_one() -> None:
    params = TimeParams(np.array([3.8]), np.array([1.7]))
    grid = np.linspace(3.8 - 0.2 - 8, 3.8 - 0.2 + 8, 200_001)
    mass = np.exp(log_density(grid, params.take(np.zeros(grid.size)), 0.2)).sum() * (grid[1] - grid[0])
    assert mass == pytest.approx(1.0, abs=1e-9)


def test_expected_seconds_matches_a_monte_carlo_mean() -> None:
    rng = np.random.default_rng(3)
    params = TimeParams(np.array([3.7, 4.1, 2.5]), np.array([2.0, 1.2, 0.8]))
    tau = -0.3
    draws = np.exp(simulate_log_times(params.take(np.repeat(np.arange(3), 200_000).reshape(3, -1).T), tau, rng))
    mean, se = draws.mean(axis=0), draws.std(axis=0) / math.sqrt(draws.shape[0])
    expected = expected_seconds(params, tau)
    # Within 4 Monte Carlo standard errors; the mean of the lognormal, not its median exp(beta - tau), which the
    # third item (SD 1.25 log-seconds) would miss by 118 %.
    assert np.all(np.abs(mean - expected) < 4 * se)
    assert np.all(expected > np.exp(params.beta - tau))


def test_log_seconds() -> None:
    np.testing.assert_allclose(log_seconds([1500, 40_000]), [math.log(1.5), math.log(40.0)])
    assert log_seconds([0])[0] == math.log(0.001)  # at least 1 ms: never -inf


# --- validation ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("beta", "alpha"),
    [
        ([1.0, 2.0], [1.0]),
        ([math.nan], [1.0]),
        ([math.inf], [1.0]),
        ([1.0], [0.0]),
        ([1.0], [-1.0]),
        ([1.0], [math.nan]),
    ],
)
def test_time_params_validation(beta: list[float], alpha: list[float]) -> None:
    with pytest.raises(ValueError):
        TimeParams(np.array(beta), np.array(alpha))


def test_speed_estimate_needs_one_time_per_item() -> None:
    params = TimeParams(np.array([3.0, 3.5]), np.array([2.0, 2.0]))
    with pytest.raises(ValueError, match="1 times for 2 items"):
        speed_estimate([3.0], params)


def test_take() -> None:
    params = TimeParams(np.array([3.0, 3.5, 4.0]), np.array([1.0, 2.0, 3.0]))
    taken = params.take([2, 0])
    np.testing.assert_array_equal(taken.beta, [4.0, 3.0])
    np.testing.assert_array_equal(taken.alpha, [3.0, 1.0])


@pytest.mark.parametrize(
    ("item", "person", "log_t", "match"),
    [
        ([0, 0, 1], [0, 1, 0], [1.0, 1.0], "1-d of one length"),
        ([0.0, 0.0], [0, 1], [1.0, 1.0], "integer"),
        ([], [], [], "need responses"),
        ([0, -1], [0, 1], [1.0, 1.0], "non-negative"),
        ([0, 0, 1, 1], [0, 1, 0, 1], [1.0, math.nan, 1.0, 1.0], "finite"),
        ([0, 0, 1], [0, 1, 0], [1.0, 1.0, 1.0], "item 1 has 1 responses"),
        ([0, 0, 1, 1], [0, 1, 0, 2], [1.0, 1.0, 1.0, 1.0], "person 1 has 1 responses"),
    ],
)
def test_fit_validation(item: list[int], person: list[int], log_t: list[float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fit_time_params(np.array(item, dtype=np.intp if item == [] else None), np.array(person, dtype=np.intp), log_t)


# --- joint estimate of the items ---------------------------------------------------------------------------------


class Design:
    """Simulated data: ``n_items`` items, ``n_persons`` examinees with ``per_person`` random items each."""

    def __init__(self, seed: int, n_items: int = 40, n_persons: int = 800, per_person: int = 20) -> None:
        self.rng = np.random.default_rng(seed)
        self.params = _params(self.rng, n_items)
        self.tau = self.rng.normal(0.0, 0.3, n_persons)
        chosen = np.array([self.rng.choice(n_items, per_person, replace=False) for _ in range(n_persons)])
        self.item = chosen.ravel()
        self.person = np.repeat(np.arange(n_persons), per_person)
        # The estimand: the fit puts the *sample's* mean speed at 0, so its beta is beta - mean(tau).
        self.target_beta = self.params.beta - self.tau.mean()

    def draw(self) -> FloatArray:
        mean = self.params.beta[self.item] - self.tau[self.person]
        out: FloatArray = mean + self.rng.standard_normal(self.item.size) / self.params.alpha[self.item]
        return out


def test_fit_recovers_the_parameters() -> None:
    d = Design(seed=1)
    fit = fit_time_params(d.item, d.person, d.draw())
    assert fit.converged and fit.iterations < 100
    assert abs(fit.tau.mean()) < 1e-12  # the identification
    np.testing.assert_array_equal(fit.n, np.bincount(d.item))
    # Within 3 SE for at least 38 of 40 items (99.7 % each if the SEs are right: 2 misses are already unlikely).
    assert np.sum(np.abs(fit.beta - d.target_beta) < 3 * fit.se_beta) >= 38
    assert np.sum(np.abs(fit.alpha - d.params.alpha) < 3 * fit.se_alpha) >= 38
    # Speeds from 20 items each have an SE of about 1 / sqrt(20 * 4) = 0.11 against a spread of 0.3: r ~ 0.94.
    assert np.corrcoef(fit.tau, d.tau - d.tau.mean())[0, 1] > 0.9
    assert np.abs(fit.params.beta - fit.beta).max() == 0


def test_plain_fit_is_a_stationary_point_of_the_joint_likelihood() -> None:
    """Without the degrees-of-freedom correction the result is the joint ML estimate: the gradient of the joint
    log-likelihood in beta, tau and log alpha vanishes."""
    d = Design(seed=2, n_items=12, n_persons=150, per_person=6)
    y = d.draw()
    fit = fit_time_params(d.item, d.person, y, correct_df=False, tol=1e-12)
    e = y - fit.beta[d.item] + fit.tau[d.person]
    a2 = fit.alpha[d.item] ** 2
    grad_beta = np.bincount(d.item, a2 * e)
    grad_tau = -np.bincount(d.person, a2 * e)
    grad_log_alpha = np.bincount(d.item, 1.0 - a2 * e**2)
    for grad in (grad_beta, grad_tau, grad_log_alpha):
        assert np.abs(grad).max() < 1e-7


def test_fit_that_stops_early_says_so() -> None:
    d = Design(seed=3, n_items=10, n_persons=100, per_person=5)
    fit = fit_time_params(d.item, d.person, d.draw(), max_iter=1)
    assert fit.iterations == 1 and not fit.converged


@pytest.mark.parametrize(("n_items", "n_persons", "per_person"), [(40, 400, 20), (20, 300, 5)])
def test_standard_errors_match_the_spread_over_replications(n_items: int, n_persons: int, per_person: int) -> None:
    """The same examinees and items answer 100 times anew: the SD of the estimates over the replications against
    the mean reported SE, pooled over the items (root mean square of the ratio)."""
    d = Design(seed=4, n_items=n_items, n_persons=n_persons, per_person=per_person)
    fits = [fit_time_params(d.item, d.person, d.draw()) for _ in range(100)]
    for name in ("beta", "alpha"):
        estimates = np.array([getattr(f, name) for f in fits])
        reported = np.array([getattr(f, f"se_{name}") for f in fits]).mean(axis=0)
        ratio = math.sqrt(np.mean(estimates.var(axis=0, ddof=1) / reported**2))
        # Sampling error of the pooled ratio: sqrt(1 / (2 * 99 * n_items)), 0.011 with 40 items and 0.016 with 20;
        # the profiled information leaves errors of up to 2.5 % (measured with other seeds, 5 to 20 items each).
        # With 5 items each the unprofiled 1 / (alpha sqrt(n)) and alpha / sqrt(2 nu) are 9 % and 19 % too small,
        # which this bound catches.
        assert 0.93 < ratio < 1.07, (name, ratio)


def test_degrees_of_freedom_remove_the_bias_of_alpha() -> None:
    """With 10 items per examinee plain joint ML overstates alpha by about 1/sqrt(1 - 1/10 - 1/n) - 1 = 5.5 %; the
    corrected estimate is unbiased up to E[sqrt(nu / chi2_nu)] - 1 = 3 / (4 nu) ~ 0.4 %."""
    d = Design(seed=5, n_items=40, n_persons=800, per_person=10)
    corrected, plain = [], []
    for _ in range(30):
        y = d.draw()
        corrected.append(fit_time_params(d.item, d.person, y).alpha / d.params.alpha - 1)
        plain.append(fit_time_params(d.item, d.person, y, correct_df=False).alpha / d.params.alpha - 1)
    # Each mean is over 1,200 relative errors with SD about 1 / sqrt(2 * 180) = 0.053: its SE is 0.0015.
    assert abs(np.mean(corrected)) < 0.01
    assert 0.04 < np.mean(plain) < 0.07


@pytest.mark.parametrize(
    ("n_items", "n_persons", "per_person", "rtol"),
    [(10, 60, 4, 0.03), (30, 150, 15, 0.003)],
)
def test_degrees_of_freedom_match_the_exact_leverages(
    n_items: int, n_persons: int, per_person: int, rtol: float
) -> None:
    """nu_i = n_i - sum of the leverages of item i's responses in the weighted least-squares fit of beta and tau;
    the fit uses their first-order form, against the exact hat matrix here. Its error shrinks with the items per
    examinee and the responses per item: up to 2.4 % with 4 items each and about 24 responses per item, 0.16 % with
    15 and about 75 (measured with these seeds)."""
    d = Design(seed=6, n_items=n_items, n_persons=n_persons, per_person=per_person)
    fit = fit_time_params(d.item, d.person, d.draw())
    n_obs = d.item.size
    design = np.zeros((n_obs, n_items + n_persons))
    design[np.arange(n_obs), d.item] = 1.0
    design[np.arange(n_obs), n_items + d.person] = -1.0
    weighted = design * fit.alpha[d.item][:, None]
    u, s, _ = np.linalg.svd(weighted, full_matrices=False)
    u = u[:, s > 1e-9 * s[0]]
    assert u.shape[1] == n_items + n_persons - 1  # one constraint: the origin
    exact = fit.n - np.bincount(d.item, (u**2).sum(axis=1))
    np.testing.assert_allclose(fit.df, exact, rtol=rtol)
    assert np.abs(fit.df / exact - 1).max() > 1e-5  # an approximation, not the exact value by accident
