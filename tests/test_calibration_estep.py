"""Tests of cat_engine.calibration_estep: the grid, the prior, normalisation and grouped sums."""

from __future__ import annotations

import numpy as np

from cat_engine.calibration_estep import Grouper, log_prior, normalise, quadrature_nodes


def test_prior_is_a_normalised_standard_normal_on_the_grid() -> None:
    nodes = quadrature_nodes(49)
    assert nodes[0] == -6.0 and nodes[-1] == 6.0 and nodes.size == 49
    w = np.exp(log_prior(nodes))
    np.testing.assert_allclose(w.sum(), 1.0)
    np.testing.assert_allclose((w * nodes).sum(), 0.0, atol=1e-12)
    np.testing.assert_allclose((w * nodes**2).sum(), 1.0, rtol=1e-6)


def test_normalise_returns_weights_and_log_normaliser() -> None:
    log_post = np.array([[0.0, np.log(3.0)], [-1000.0, -1000.0]])
    weight, log_norm = normalise(log_post)
    np.testing.assert_allclose(weight, [[0.25, 0.75], [0.5, 0.5]])
    np.testing.assert_allclose(log_norm, [np.log(4.0), -1000.0 + np.log(2.0)])


def test_grouper_sums_like_add_at_including_empty_groups() -> None:
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 7, 50)
    groups[groups == 3] = 4  # group 3 empty
    values = rng.normal(size=(50, 5))
    expected = np.zeros((8, 5))
    np.add.at(expected, groups, values)
    grouper = Grouper(groups, 8)
    np.testing.assert_allclose(grouper.sum(values), expected)
    table = rng.normal(size=(4, 5, 3))
    first, second = rng.integers(0, 4, 50), rng.integers(0, 3, 50)
    rows_expected = np.zeros((8, 5))
    np.add.at(rows_expected, groups, table[first, :, second])
    np.testing.assert_allclose(grouper.sum_rows(table, first, second), rows_expected)
    np.testing.assert_array_equal(Grouper(np.array([], dtype=np.intp), 3).sum(np.zeros((0, 2))), np.zeros((3, 2)))
