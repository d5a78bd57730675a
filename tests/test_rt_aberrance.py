"""Tests of :mod:`cat_engine.rt_aberrance`: each statistic's null distribution by simulation under the lognormal
model (fixed seeds), its power on the aberrant patterns of the simulation study, and the exact pieces (the
Poisson-binomial tail, the leave-one-out residuals) against brute force.

Tolerances: a rejection rate measured on ``m`` simulated examinees has a binomial standard deviation
:math:`\\sqrt{p(1-p)/m}`; bounds are four of those from the nominal rate, so a correct method fails them with a
probability of the order of 1e-4 (and, with fixed seeds, never once it has passed), while a wrong null (a missing
factor, a wrong variance) moves the rate by far more.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import numpy.typing as npt
import pytest

from cat_engine.response_time import TimeParams, simulate_log_times, speed_estimate
from cat_engine.rt_aberrance import (
    FAST_Z,
    fast_correct_count,
    loo_residuals,
    poisson_binomial_tail,
    preknowledge,
    rapid_guessing,
    rapid_thresholds,
    speed_change,
)

FloatArray = npt.NDArray[np.float64]
SIMULEES = 2000


def _params(rng: np.random.Generator, n: int, alpha: tuple[float, float] = (1.5, 2.5)) -> TimeParams:
    """Items of about 45 s at average speed (beta ~ N(3.8, 0.3)) with time discriminations uniform in ``alpha``."""
    return TimeParams(rng.normal(3.8, 0.3, n), rng.uniform(*alpha, n))


def _tolerance(p: float, m: int) -> float:
    return 4.0 * math.sqrt(p * (1.0 - p) / m)


def _normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


# --- Poisson-binomial tail -------------------------------------------------------------------------------------


def test_poisson_binomial_tail_matches_enumeration() -> None:
    rates = np.random.default_rng(1).uniform(0.0, 0.6, 9)
    for k in range(11):
        brute = 0.0
        for outcome in itertools.product((0, 1), repeat=rates.size):
            if sum(outcome) >= k:
                brute += math.prod(r if o else 1.0 - r for r, o in zip(rates, outcome, strict=True))
        assert poisson_binomial_tail(k, rates) == pytest.approx(brute, abs=1e-14)


def test_poisson_binomial_tail_edges() -> None:
    assert poisson_binomial_tail(0, []) == 1.0
    assert poisson_binomial_tail(1, []) == 0.0
    assert poisson_binomial_tail(3, [1.0, 1.0, 1.0]) == 1.0
    # a tiny tail keeps its digits (accumulated, not 1 - a sum): P(all 4) = 1e-12
    assert poisson_binomial_tail(4, [1e-3] * 4) == pytest.approx(1e-12, rel=1e-9)


# --- rapid guessing --------------------------------------------------------------------------------------------


def test_rapid_thresholds_are_ten_percent_of_the_mean_time_capped() -> None:
    params = TimeParams(np.array([math.log(20.0), math.log(200.0)]), np.array([2.0, 2.0]))
    thresholds = rapid_thresholds(params)
    assert thresholds[0] == pytest.approx(0.1 * 20.0 * math.exp(0.125))
    assert thresholds[1] == 10.0
    assert rapid_thresholds(params, fraction=0.2, cap_s=100.0)[1] == pytest.approx(0.2 * 200.0 * math.exp(0.125))


def test_rapid_count_follows_its_poisson_binomial_null() -> None:
    """At the reference speed the simulated count's tail matches the exact tail the p-value uses."""
    rng = np.random.default_rng(11)
    # low time discriminations make rapid responses common enough to measure the tail (rates of 2-10 %)
    params = _params(rng, 30, alpha=(0.9, 1.3))
    reference = 0.6
    log_t = simulate_log_times(params, np.full((SIMULEES, 1), reference), rng)
    counts = np.array([rapid_guessing(row, params, reference_speed=reference).count for row in log_t])
    log_thr = np.log(rapid_thresholds(params))
    rates = [_normal_cdf(z) for z in params.alpha * (log_thr - params.beta + reference)]
    for k in (1, 2, 3, 4, 5):
        exact = poisson_binomial_tail(k, rates)
        assert abs(np.mean(counts >= k) - exact) < _tolerance(exact, SIMULEES), k


def test_rapid_false_alarms_bounded_below_the_reference_speed() -> None:
    """Normal examinees at the reference speed (the worst case the bound covers) and at the mean speed."""
    rng = np.random.default_rng(12)
    params = _params(rng, 40)
    alpha = 0.01
    for tau in (0.0, 0.6):
        log_t = simulate_log_times(params, np.full((SIMULEES, 1), tau), rng)
        flagged = np.mean([rapid_guessing(row, params, alpha=alpha).flagged for row in log_t])
        print(f"rapid guessing, normal examinees at tau = {tau}: false-alarm rate {flagged:.4f} (alpha {alpha})")
        assert flagged <= alpha + _tolerance(alpha, SIMULEES)


def test_rapid_guessers_are_found() -> None:
    """30 % of 40 answers rapid guesses with log-seconds N(ln 2, 0.5^2) (the simulation study's rapid kind)."""
    rng = np.random.default_rng(13)
    params = _params(rng, 40)
    tau = rng.normal(0.0, 0.3, (SIMULEES // 4, 1))
    log_t = simulate_log_times(params, tau, rng)
    guess = rng.random(log_t.shape) < 0.3
    log_t[guess] = rng.normal(math.log(2.0), 0.5, int(guess.sum()))
    results = [rapid_guessing(row, params, alpha=0.002) for row in log_t]
    power = np.mean([r.flagged for r in results])
    effort = np.mean([r.effort for r in results])
    print(f"rapid guessing: power {power:.3f} at alpha 0.002, mean RTE {effort:.3f}")
    # about 12 rapid guesses of which ~80-95 % fall under thresholds of ~4.5 s, against a null count near 0.1
    assert power >= 0.95
    assert 0.65 < effort < 0.8


def test_rapid_guessing_edges() -> None:
    empty = TimeParams(np.zeros(0), np.zeros(0))
    none = rapid_guessing(np.zeros(0), empty)
    assert (none.count, none.n, none.effort, none.p_value, none.flagged) == (0, 0, 1.0, 1.0, False)
    one = TimeParams(np.array([3.8]), np.array([2.0]))
    fast = rapid_guessing([math.log(0.5)], one)
    assert fast.count == 1 and fast.effort == 0.0 and fast.rapid.tolist() == [True]


# --- pre-knowledge ---------------------------------------------------------------------------------------------


def test_loo_residuals_match_a_direct_computation() -> None:
    rng = np.random.default_rng(21)
    params = _params(rng, 12)
    log_t = simulate_log_times(params, 0.2, rng)
    got = loo_residuals(log_t, params)
    for i in range(12):
        others = np.arange(12) != i
        rest = speed_estimate(log_t[others], params.take(np.flatnonzero(others)))
        sd = math.sqrt(params.alpha[i] ** -2 + rest.se**2)
        assert got[i] == pytest.approx((log_t[i] - params.beta[i] + rest.tau) / sd, rel=1e-12)
    with pytest.raises(ValueError, match="two"):
        loo_residuals(log_t[:1], params.take([0]))


def test_loo_residuals_are_standard_normal() -> None:
    rng = np.random.default_rng(22)
    params = _params(rng, 20)
    log_t = simulate_log_times(params, rng.normal(0.0, 0.3, (SIMULEES, 1)), rng)
    r = np.array([loo_residuals(row, params) for row in log_t])
    # 40,000 residuals (correlated within a row at -1/19 or so): mean within 0.02, variance within 0.03 of 1
    assert abs(r.mean()) < 0.02
    assert abs(r.var() - 1.0) < 0.03
    assert abs(np.mean(r < -FAST_Z) - 0.05) < 0.005


def _correctness(rng: np.random.Generator, shape: tuple[int, int], p: float = 0.6) -> npt.NDArray[np.bool_]:
    return rng.random(shape) < p


def test_preknowledge_z_is_standard_normal_under_the_model() -> None:
    rng = np.random.default_rng(23)
    params = _params(rng, 40)
    log_t = simulate_log_times(params, rng.normal(0.0, 0.3, (SIMULEES, 1)), rng)
    correct = _correctness(rng, log_t.shape)
    results = [preknowledge(row, params, c, alpha=0.05) for row, c in zip(log_t, correct, strict=True)]
    z = np.array([r.z for r in results])
    assert abs(z.mean()) < 4 / math.sqrt(SIMULEES)
    assert abs(z.var() - 1.0) < 4 * math.sqrt(2 / SIMULEES)
    rate = np.mean([r.flagged for r in results])
    print(f"pre-knowledge split, normal examinees: rejection rate {rate:.4f} at alpha 0.05")
    assert abs(rate - 0.05) < _tolerance(0.05, SIMULEES)


def _preknowledge_examinees(
    rng: np.random.Generator, params: TimeParams, known_share: float, m: int
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Known items (the first ``known_share`` of the test) answered correctly with log-time 1.2 shorter."""
    log_t = simulate_log_times(params, rng.normal(0.0, 0.3, (m, 1)), rng)
    correct = _correctness(rng, log_t.shape)
    known = np.arange(params.beta.shape[0]) < round(known_share * params.beta.shape[0])
    log_t[:, known] -= 1.2
    correct[:, known] = True
    return log_t, correct


def test_preknowledge_power() -> None:
    """Power at the default level 0.01; on the demo battery 55-69 % of a pre-knowledge examinee's items are known."""
    rng = np.random.default_rng(24)
    params = _params(rng, 40)
    power = {}
    for share in (0.2, 0.5):
        log_t, correct = _preknowledge_examinees(rng, params, share, SIMULEES // 4)
        results = [preknowledge(row, params, c) for row, c in zip(log_t, correct, strict=True)]
        power[share] = np.mean([r.flagged for r in results])
        evidence = np.mean([r.fast[: round(share * 40)].mean() for r in results])
        print(f"pre-knowledge, {share:.0%} of 40 items known: power {power[share]:.3f}, known listed {evidence:.2f}")
    # expected z about 2.1 (20 %) and 3.8 (50 %) against 2.33: powers near 0.4 and 0.95; bounds 5 SD below
    assert power[0.2] >= 0.25
    assert power[0.5] >= 0.85


def test_fast_correct_count_keeps_its_level() -> None:
    """The count of van der Linden & Guo's residuals: conservative under the null, and it finds known items when
    the probabilities of a correct answer are the true ones (here 0.6; in a battery they come from an ability
    estimate that the known items inflate, and the count loses power there: docs/integrity.md)."""
    rng = np.random.default_rng(25)
    params = _params(rng, 40)
    log_t = simulate_log_times(params, rng.normal(0.0, 0.3, (SIMULEES, 1)), rng)
    correct = _correctness(rng, log_t.shape)
    p_null = np.array(
        [
            fast_correct_count(loo_residuals(r, params), c, np.full(40, 0.6))[1]
            for r, c in zip(log_t, correct, strict=True)
        ]
    )
    # the test's exact size were the residuals independent: the largest Poisson-binomial tail at or below 0.05
    size = max(t for t in (poisson_binomial_tail(k, np.full(40, 0.6 * 0.05)) for k in range(41)) if t <= 0.05)
    rate = np.mean(p_null <= 0.05)
    print(f"residual count, normal examinees: rejection rate {rate:.4f}, size under independence {size:.4f}")
    assert rate <= size + _tolerance(size, SIMULEES)
    log_t, correct = _preknowledge_examinees(rng, params, 0.5, SIMULEES // 4)
    count = np.mean(
        [
            fast_correct_count(loo_residuals(r, params), c, np.full(40, 0.6))[1] <= 0.01
            for r, c in zip(log_t, correct, strict=True)
        ]
    )
    split = np.mean([preknowledge(r, params, c).flagged for r, c in zip(log_t, correct, strict=True)])
    print(f"50 % known: power of the residual count {count:.3f}, of the split {split:.3f} (alpha 0.01)")
    assert count >= 0.75 and split >= 0.8


def test_preknowledge_needs_both_groups() -> None:
    params = TimeParams(np.full(3, 3.8), np.full(3, 2.0))
    with pytest.raises(ValueError, match="both"):
        preknowledge(np.full(3, 3.8), params, [True, True, True])


# --- change of speed -------------------------------------------------------------------------------------------


def test_speed_change_null_one_point_exact_two_points_conservative() -> None:
    rng = np.random.default_rng(31)
    params = _params(rng, 39)
    log_t = simulate_log_times(params, rng.normal(0.0, 0.3, (SIMULEES, 1)), rng)
    one = np.array([speed_change(row, params, [20], alpha=0.05).flagged for row in log_t])
    assert abs(one.mean() - 0.05) < _tolerance(0.05, SIMULEES)
    two = np.array([speed_change(row, params, [13, 26], alpha=0.05) for row in log_t])
    rate = np.mean([r.flagged for r in two])
    print(f"speed change at two boundaries: rejection rate {rate:.4f} at alpha 0.05 (Bonferroni)")
    # Bonferroni over two z's correlated about 0.5: the exact size is a little under 0.05
    assert 0.03 < rate <= 0.05 + _tolerance(0.05, SIMULEES)


def test_speed_change_finds_a_new_person() -> None:
    """A stand-in with an independent speed from the population N(0, 0.3^2) takes over after 26 of 39 answers."""
    rng = np.random.default_rng(32)
    params = _params(rng, 39)
    m = SIMULEES // 2
    before, after = rng.normal(0.0, 0.3, m), rng.normal(0.0, 0.3, m)
    tau = np.where(np.arange(39) < 26, before[:, None], after[:, None])
    log_t = simulate_log_times(params, tau, rng)
    results = [speed_change(row, params, [13, 26], alpha=0.0125) for row in log_t]
    power = np.mean([r.flagged for r in results])
    best = np.mean([r.best == 26 for r in results if r.flagged])
    print(f"speed change of a stand-in: power {power:.3f} at alpha 0.0125; change placed right {best:.2f}")
    # |tau_after - tau_before| ~ |N(0, 0.18)| against a critical value of about 2.73 * 0.16: power near 0.3
    assert 0.2 < power < 0.5
    assert best > 0.8
    large = speed_change(simulate_log_times(params, np.where(np.arange(39) < 26, 0.0, 0.8), rng), params, [13, 26])
    assert large.flagged and large.best == 26 and large.tau_after - large.tau_before > 0.5


def test_speed_change_without_eligible_points() -> None:
    params = TimeParams(np.full(6, 3.8), np.full(6, 2.0))
    result = speed_change(np.full(6, 3.8), params, [3], min_side=5)
    assert (result.statistic, result.p_value, result.flagged, result.best) == (0.0, 1.0, False, -1)
    assert math.isnan(result.tau_before)
