"""load_tests.stats: percentiles, rates."""

from __future__ import annotations

import numpy as np
import pytest

from load_tests.stats import central_rate, mean_rate, rate_series, summarise


def test_percentiles_interpolate_between_order_statistics() -> None:
    s = summarise(list(range(1, 101)))  # 1..100
    assert s["n"] == 100
    assert s["mean"] == 50.5
    assert s["p50"] == 50.5
    assert s["p95"] == pytest.approx(95.05)
    assert s["p99"] == pytest.approx(99.01)
    assert s["p99.9"] == pytest.approx(99.901)
    assert s["max"] == 100


def test_percentiles_of_one_value_and_of_none() -> None:
    assert summarise([7.0]) == {"n": 1, "mean": 7.0, "p50": 7.0, "p95": 7.0, "p99": 7.0, "p99.9": 7.0, "max": 7.0}
    empty = summarise([])
    assert empty["n"] == 0
    assert all(empty[k] is None for k in ("mean", "p50", "p95", "p99", "p99.9", "max"))


def test_percentiles_ignore_order() -> None:
    values = np.random.default_rng(0).exponential(5.0, 1000)
    assert summarise(values) == summarise(values[::-1].copy())
    assert summarise(values)["p99"] == round(float(np.percentile(values, 99)), 3)


def test_rate_series_counts_per_bin() -> None:
    starts, rates = rate_series([0.1, 0.2, 0.9, 1.5, 3.2], 1.0)
    assert starts.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert rates.tolist() == [3.0, 1.0, 0.0, 1.0]
    starts, rates = rate_series([0.1, 0.6], 0.5, end=2.0)
    assert rates.tolist() == [2.0, 2.0, 0.0, 0.0]


def test_mean_rate() -> None:
    assert mean_rate([]) is None
    assert mean_rate([1.0]) is None
    assert mean_rate([0.0, 1.0, 2.0, 4.0]) == pytest.approx(0.75)


def test_central_rate_leaves_out_ramp_and_tail() -> None:
    steady = np.linspace(10.0, 20.0, 1001)  # 100 per second for 10 s
    tail = np.array([40.0, 60.0, 90.0])
    assert central_rate(np.concatenate([[0.0], steady, tail])) == pytest.approx(100.0, rel=0.05)
    assert central_rate([0.0, 1.0]) == pytest.approx(1.0)
