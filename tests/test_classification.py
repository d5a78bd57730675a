"""Level accuracy and consistency against hand-computed normal probabilities and counted truths."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cat_engine.classification import classification_summary, level_probabilities, levels_of

CUTS = (-1.5, -0.5, 0.5, 1.5)


def _phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def test_levels_follow_the_cuts_as_the_battery_reports_them() -> None:
    assert levels_of([-3.0, -1.5, -1.49, 0.0, 0.5, 1.5, 4.0], CUTS).tolist() == [1, 2, 2, 3, 4, 5, 5]


def test_level_probabilities_are_the_normal_masses_between_cuts() -> None:
    probs = level_probabilities([0.2, -2.0], [0.3, 0.5], CUTS)
    assert probs.shape == (2, 5)
    assert probs.sum(axis=1) == pytest.approx([1.0, 1.0])
    expected = [
        _phi((-1.5 - 0.2) / 0.3),
        _phi((-0.5 - 0.2) / 0.3) - _phi((-1.5 - 0.2) / 0.3),
        _phi((0.5 - 0.2) / 0.3) - _phi((-0.5 - 0.2) / 0.3),
        _phi((1.5 - 0.2) / 0.3) - _phi((0.5 - 0.2) / 0.3),
        1 - _phi((1.5 - 0.2) / 0.3),
    ]
    assert probs[0] == pytest.approx(expected, abs=1e-12)
    assert probs[1, 0] == pytest.approx(_phi(0.5 / 0.5), abs=1e-12)  # (-1.5 - -2.0) / 0.5


def test_summary_counts_accuracy_and_expects_it_from_the_estimates() -> None:
    truth = np.array([-2.0, -1.0, 0.0, 0.0, 1.0, 2.0])
    theta = np.array([-1.8, -0.4, 0.1, 0.6, 1.0, 1.4])  # levels 1, 3, 3, 4, 4, 4 against 1, 2, 3, 3, 4, 5
    se = np.full(6, 0.3)
    s = classification_summary(truth, theta, se, CUTS)
    assert s["level_accuracy"] == pytest.approx(3 / 6)
    probs = level_probabilities(theta, se, CUTS)
    reported = levels_of(theta, CUTS)
    assert s["level_accuracy_expected"] == pytest.approx(np.mean(probs[np.arange(6), reported - 1]))
    assert s["level_consistency"] == pytest.approx(np.mean((probs**2).sum(axis=1)))
    by_level = {row["level"]: row for row in s["levels"]}
    assert [by_level[k]["examinees"] for k in range(1, 6)] == [1, 1, 2, 1, 1]
    assert [by_level[k]["accuracy"] for k in range(1, 6)] == [1.0, 0.0, 0.5, 1.0, 0.0]


def test_a_precise_estimate_far_from_the_cuts_is_certain_and_an_empty_level_has_no_figure() -> None:
    s = classification_summary([0.0], [0.0], [1e-6], CUTS)
    assert s["level_accuracy"] == s["level_accuracy_expected"] == s["level_consistency"] == pytest.approx(1.0)
    assert s["levels"][0] == {"level": 1, "examinees": 0, "accuracy": None, "expected_accuracy": None}
