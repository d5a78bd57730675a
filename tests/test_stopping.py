"""Stopping rules: each reason, their precedence, what holds off the precision and classification rules."""

from __future__ import annotations

from typing import Any, TypedDict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cat_engine.stopping import StoppingConfig, StopReason, decide_stop, decide_stops


def _reasons(
    config: StoppingConfig,
    n_given: list[int] | int,
    theta: list[float] | float = 0.0,
    se: list[float] | float = 1.0,
    content_ok: list[bool] | bool = True,
    exhausted: list[bool] | bool = False,
    time_up: list[bool] | bool = False,
) -> list[StopReason]:
    n = np.atleast_1d(np.asarray(n_given, dtype=np.intp))
    shape = n.shape

    def arr(value: object, dtype: type) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=dtype), shape).copy()

    out = decide_stops(
        config,
        n,
        arr(theta, np.float64),
        arr(se, np.float64),
        arr(content_ok, np.bool_),
        arr(exhausted, np.bool_),
        arr(time_up, np.bool_),
    )
    return [StopReason(int(r)) for r in out]


class _Inputs(TypedDict, total=False):
    """Keyword arguments of :func:`_reasons` besides the config and the item count."""

    theta: list[float] | float
    se: list[float] | float
    content_ok: list[bool] | bool
    exhausted: list[bool] | bool
    time_up: list[bool] | bool


def test_continue_when_nothing_holds() -> None:
    config = StoppingConfig(se_target=0.3, min_items=1, max_items=10, classification_cuts=(0.0,))
    assert _reasons(config, [1, 5, 9], theta=0.1, se=0.5) == [StopReason.CONTINUE] * 3


def test_se_target() -> None:
    config = StoppingConfig(se_target=0.3, min_items=1, max_items=40)
    got = _reasons(config, [5, 5, 5, 5], se=[0.2, 0.3, 0.30000001, 0.9])
    assert got == [StopReason.SE_TARGET, StopReason.SE_TARGET, StopReason.CONTINUE, StopReason.CONTINUE]


def test_no_precision_rule_without_se_target() -> None:
    config = StoppingConfig(se_target=None, max_items=40)
    assert _reasons(config, 20, se=0.0001) == [StopReason.CONTINUE]


def test_classified() -> None:
    config = StoppingConfig(min_items=1, max_items=40, classification_cuts=(-1.0, 1.0), classification_z=2.0)
    # theta 0, se 0.4: interval [-0.8, 0.8] excludes both cuts.
    # theta 0.5, se 0.3: [-0.1, 1.1] contains 1.0.
    # theta 2.5, se 0.5: [1.5, 3.5] excludes both.
    # theta -1.0 exactly on a cut: never classified.
    got = _reasons(config, [5, 5, 5, 5], theta=[0.0, 0.5, 2.5, -1.0], se=[0.4, 0.3, 0.5, 0.01])
    assert got == [StopReason.CLASSIFIED, StopReason.CONTINUE, StopReason.CLASSIFIED, StopReason.CONTINUE]


def test_classified_boundary_is_strict() -> None:
    config = StoppingConfig(min_items=1, max_items=40, classification_cuts=(1.0,), classification_z=1.0)
    # distance 0.5 == z * se: the interval touches the cut, not classified.
    assert _reasons(config, 3, theta=0.5, se=0.5) == [StopReason.CONTINUE]
    assert _reasons(config, 3, theta=0.5, se=0.49) == [StopReason.CLASSIFIED]


def test_max_items() -> None:
    config = StoppingConfig(min_items=1, max_items=10)
    assert _reasons(config, [9, 10, 11]) == [StopReason.CONTINUE, StopReason.MAX_ITEMS, StopReason.MAX_ITEMS]


def test_pool_exhausted() -> None:
    config = StoppingConfig(min_items=5, max_items=10)
    assert _reasons(config, [2, 2], exhausted=[True, False]) == [StopReason.POOL_EXHAUSTED, StopReason.CONTINUE]


def test_time_up() -> None:
    config = StoppingConfig(min_items=5, max_items=10)
    assert _reasons(config, [0, 3], time_up=[True, False]) == [StopReason.TIME_UP, StopReason.CONTINUE]


def test_precedence() -> None:
    """time_up > max_items > pool_exhausted > se_target > classified > continue."""
    config = StoppingConfig(se_target=0.3, min_items=1, max_items=10, classification_cuts=(0.0,))
    everything: _Inputs = {"theta": 2.0, "se": 0.1, "exhausted": True, "time_up": True}
    assert _reasons(config, 10, **everything) == [StopReason.TIME_UP]
    assert _reasons(config, 10, **(everything | {"time_up": False})) == [StopReason.MAX_ITEMS]
    assert _reasons(config, 5, **(everything | {"time_up": False})) == [StopReason.POOL_EXHAUSTED]
    assert _reasons(config, 5, theta=2.0, se=0.1) == [StopReason.SE_TARGET]
    assert _reasons(config, 5, theta=2.0, se=0.5) == [StopReason.CLASSIFIED]
    assert _reasons(config, 5, theta=0.5, se=0.5) == [StopReason.CONTINUE]


def test_min_items_holds_off_se_target_and_classified() -> None:
    config = StoppingConfig(se_target=0.3, min_items=5, max_items=10, classification_cuts=(0.0,))
    got = _reasons(config, [1, 4, 5], theta=3.0, se=0.1)
    assert got == [StopReason.CONTINUE, StopReason.CONTINUE, StopReason.SE_TARGET]
    got = _reasons(config, [4, 5], theta=3.0, se=0.5)
    assert got == [StopReason.CONTINUE, StopReason.CLASSIFIED]


def test_content_minimums_hold_off_se_target_and_classified() -> None:
    config = StoppingConfig(se_target=0.3, min_items=1, max_items=10, classification_cuts=(0.0,))
    assert _reasons(config, [5, 5], theta=3.0, se=0.1, content_ok=[False, True]) == [
        StopReason.CONTINUE,
        StopReason.SE_TARGET,
    ]
    assert _reasons(config, 5, theta=3.0, se=0.5, content_ok=False) == [StopReason.CONTINUE]


def test_min_items_and_content_do_not_hold_off_hard_limits() -> None:
    config = StoppingConfig(se_target=0.3, min_items=8, max_items=10)
    assert _reasons(config, 10, content_ok=False) == [StopReason.MAX_ITEMS]
    assert _reasons(config, 2, content_ok=False, exhausted=True) == [StopReason.POOL_EXHAUSTED]
    assert _reasons(config, 2, content_ok=False, time_up=True) == [StopReason.TIME_UP]


def test_vectorised_rows_are_independent() -> None:
    config = StoppingConfig(se_target=0.3, min_items=2, max_items=6, classification_cuts=(0.0,))
    got = _reasons(
        config,
        [1, 3, 6, 3, 3, 3],
        theta=[0.0, 0.0, 0.0, 2.0, 0.1, 0.1],
        se=[0.1, 0.2, 0.9, 0.5, 0.5, 0.5],
        exhausted=[False, False, False, False, True, False],
        time_up=[False, False, False, False, False, True],
    )
    assert got == [
        StopReason.CONTINUE,
        StopReason.SE_TARGET,
        StopReason.MAX_ITEMS,
        StopReason.CLASSIFIED,
        StopReason.POOL_EXHAUSTED,
        StopReason.TIME_UP,
    ]


def test_stop_reason_labels() -> None:
    assert [r.label for r in StopReason] == [
        "continue",
        "se_target",
        "classified",
        "max_items",
        "pool_exhausted",
        "time_up",
        "terminated",
    ]


def test_defaults() -> None:
    config = StoppingConfig()
    assert (config.se_target, config.min_items, config.max_items) == (None, 1, 40)
    assert config.classification_cuts == ()
    assert config.classification_z == 1.96


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_items": 0},
        {"min_items": -1},
        {"min_items": 11, "max_items": 10},
        {"max_items": 0},
        {"se_target": 0.0},
        {"se_target": -0.3},
        {"se_target": float("nan")},
        {"classification_z": 0.0},
        {"classification_z": -1.0},
    ],
)
def test_config_validation(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        StoppingConfig(**kwargs)


def test_min_equal_max_is_allowed() -> None:
    config = StoppingConfig(min_items=40, max_items=40, se_target=0.01)
    assert _reasons(config, [39, 40], se=0.001) == [StopReason.CONTINUE, StopReason.MAX_ITEMS]


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 50),
    theta=st.floats(-4, 4),
    se=st.floats(0.01, 2.0),
    content_ok=st.booleans(),
    exhausted=st.booleans(),
    time_up=st.booleans(),
    se_target=st.one_of(st.none(), st.floats(0.1, 1.0)),
    cuts=st.lists(st.floats(-2, 2), max_size=3),
    min_items=st.integers(1, 10),
)
def test_scalar_and_vectorised_rules_agree(
    n: int,
    theta: float,
    se: float,
    content_ok: bool,
    exhausted: bool,
    time_up: bool,
    se_target: float | None,
    cuts: list[float],
    min_items: int,
) -> None:
    """The live step uses decide_stop, simulations decide_stops: one rule set, the same answer."""
    config = StoppingConfig(se_target=se_target, min_items=min_items, max_items=40, classification_cuts=tuple(cuts))
    one = decide_stop(config, n, theta, se, content_ok, exhausted, time_up)
    many = decide_stops(
        config,
        np.array([n]),
        np.array([theta]),
        np.array([se]),
        np.array([content_ok]),
        np.array([exhausted]),
        np.array([time_up]),
    )
    assert int(one) == int(many[0])
