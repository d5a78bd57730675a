r"""A simulated examinee: a true ability, responses drawn from the IRT model, and think times.

The server never sends item parameters. The generator reads the same battery and pool files as the server and maps
each item frame to its pool item by the frame's ``subtest.id`` and ``item.id``. A response is drawn in two steps:

1. a category :math:`k \sim P_k(\theta)` from the item's model (:func:`cat_engine.irt.category_probabilities`);
2. an option index that the pool scores as :math:`k`, uniformly among such options (for a one-key item, category 0
   is any of the distractors; for a polytomous item each category usually has exactly one option).

The server shows each session the options in its own order (``shuffle_options``, docs/pool-format.md) and expects
the answer as a position in the frame's list; it never says which stored option sits where. So the examinee finds
the drawn option by its text among the frame's options, as a person reads the screen (:meth:`ItemBank.position_of`).
The category the server scores has exactly the model's distribution, whatever the order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from cat_engine.battery import Battery
from cat_engine.irt import category_probabilities
from cat_engine.pool import Pool

__all__ = ["ItemBank", "RandomResponder", "Responder", "SimulatedExaminee", "ThinkTime", "sample_option"]


class Responder(Protocol):
    """Anything that picks an option for an item frame."""

    def respond(self, subtest_id: str, item_id: str, options: Sequence[str]) -> int:
        """The position in the frame's ``options`` (the texts, in the order shown) of the option chosen for item
        ``item_id`` of subtest ``subtest_id``."""
        ...


@dataclass(frozen=True)
class ItemBank:
    """The pools of a battery, to find the item behind an item frame (a subtest's pretest pool too: a pretest item
    comes as an item like any other).

    Parameters
    ----------
    battery : Battery
        The battery the server runs (same files, same versions).
    """

    battery: Battery
    _pools: dict[str, tuple[Pool, ...]] = field(init=False, repr=False)
    _options: dict[tuple[str, int], tuple[npt.NDArray[np.intp], ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        pools = {s.id: (s.pool,) if s.pretest is None else (s.pool, s.pretest.pool) for s in self.battery.subtests}
        object.__setattr__(self, "_pools", pools)
        object.__setattr__(self, "_options", {})

    def locate(self, subtest_id: str, item_id: str) -> tuple[Pool, int]:
        """The pool (the operational one, else the pretest one) and item index of ``item_id`` in subtest
        ``subtest_id`` (KeyError when unknown)."""
        for pool in self._pools[subtest_id]:
            try:
                return pool, pool.index_of(item_id)
            except KeyError:
                continue
        raise KeyError(f"no item {item_id!r} in subtest {subtest_id!r}")

    def options_by_category(self, pool: Pool, index: int) -> tuple[npt.NDArray[np.intp], ...]:
        """For each category of item ``index`` of ``pool``, the option indices that score it (cached per item)."""
        key = (pool.pool_id, index)
        found = self._options.get(key)
        if found is None:
            scoring = pool.scoring[index, : pool.n_options(index)]
            n_cat = int(pool.params.n_categories[index])
            found = tuple(np.flatnonzero(scoring == k) for k in range(n_cat))
            self._options[key] = found
        return found

    def position_of(self, subtest_id: str, item_id: str, option: int, shown: Sequence[str]) -> int:
        """Where stored option ``option`` of ``item_id`` is in the frame's ``shown`` options, found by its text.

        Options with the same text look the same on screen: the first of them is taken.

        Raises
        ------
        ValueError
            When the frame's options are not the pool item's (another pool file than the server's).
        """
        pool, index = self.locate(subtest_id, item_id)
        texts = pool.items[index].options
        if sorted(shown) != sorted(texts):
            raise ValueError(f"item {item_id}: the frame's options are not the pool's ({len(shown)} shown)")
        return list(shown).index(texts[option])


def sample_option(bank: ItemBank, subtest_id: str, item_id: str, theta: float, rng: np.random.Generator) -> int:
    """An option index for ``item_id`` drawn from the IRT model at ability ``theta``.

    Parameters
    ----------
    bank : ItemBank
    subtest_id, item_id : str
        As in the item frame.
    theta : float
        The examinee's true ability.
    rng : numpy.random.Generator

    Returns
    -------
    int
        An option index whose scored category is distributed as :math:`P_k(\\theta)`.
    """
    pool, index = bank.locate(subtest_id, item_id)
    options = bank.options_by_category(pool, index)
    probs = category_probabilities(theta, pool.params, [index])[0, : len(options)]
    category = min(int((rng.random() > np.cumsum(probs)).sum()), len(options) - 1)
    choices = options[category]
    if choices.size == 0:  # a category no option scores (a malformed pool): fall back to any option
        return int(rng.integers(pool.n_options(index)))
    return int(choices[rng.integers(choices.size)]) if choices.size > 1 else int(choices[0])


@dataclass
class SimulatedExaminee:
    """One examinee with true ability ``theta`` who answers every item by the IRT model."""

    theta: float
    bank: ItemBank
    rng: np.random.Generator

    def respond(self, subtest_id: str, item_id: str, options: Sequence[str]) -> int:
        """Draw a stored option for the item and answer with its position among the ``options`` shown."""
        option = sample_option(self.bank, subtest_id, item_id, self.theta, self.rng)
        return self.bank.position_of(subtest_id, item_id, option, options)


@dataclass
class RandomResponder:
    """Picks any option uniformly (the echo floor's items belong to no pool)."""

    rng: np.random.Generator

    def respond(self, subtest_id: str, item_id: str, options: Sequence[str]) -> int:
        """A uniformly drawn position."""
        return int(self.rng.integers(max(len(options), 1)))


_KINDS = {"fixed": 1, "uniform": 2, "exponential": 1, "lognormal": 2}


@dataclass(frozen=True)
class ThinkTime:
    """A think-time distribution in seconds of real time (before the run's time-scale factor).

    Written ``KIND:ARGS``: ``fixed:S``, ``uniform:MIN:MAX``, ``exponential:MEAN``, ``lognormal:MEDIAN:SIGMA``.
    """

    kind: str
    args: tuple[float, ...]

    @classmethod
    def parse(cls, spec: str) -> ThinkTime:
        """Read ``KIND:ARGS``; ValueError on anything else."""
        kind, *raw = spec.strip().split(":")
        if kind not in _KINDS or len(raw) != _KINDS[kind]:
            raise ValueError(
                f"think time {spec!r}: expected fixed:S, uniform:MIN:MAX, exponential:MEAN or lognormal:MEDIAN:SIGMA"
            )
        try:
            args = tuple(float(a) for a in raw)
        except ValueError:
            raise ValueError(f"think time {spec!r}: the arguments must be numbers") from None
        if any(not math.isfinite(a) or a < 0 for a in args) or (kind == "uniform" and args[0] > args[1]):
            raise ValueError(f"think time {spec!r}: arguments must be finite, non-negative (and MIN <= MAX)")
        return cls(kind, args)

    @property
    def mean(self) -> float:
        """Mean think time in seconds."""
        if self.kind == "uniform":
            return (self.args[0] + self.args[1]) / 2
        if self.kind == "lognormal":
            return self.args[0] * math.exp(self.args[1] ** 2 / 2)
        return self.args[0]

    def scaled(self, factor: float) -> ThinkTime:
        """The same kind of distribution with every time multiplied by ``factor`` (a lognormal keeps its sigma)."""
        if not (math.isfinite(factor) and factor > 0):
            raise ValueError(f"think time factor {factor!r}: must be finite and greater than 0")
        if self.kind == "lognormal":
            return ThinkTime(self.kind, (self.args[0] * factor, self.args[1]))
        return ThinkTime(self.kind, tuple(a * factor for a in self.args))

    def sample(self, rng: np.random.Generator) -> float:
        """One think time in seconds."""
        if self.kind == "fixed":
            return self.args[0]
        if self.kind == "uniform":
            return float(rng.uniform(self.args[0], self.args[1]))
        if self.kind == "exponential":
            return float(rng.exponential(self.args[0]))
        return float(self.args[0] * math.exp(self.args[1] * rng.standard_normal()))

    def __str__(self) -> str:
        return ":".join([self.kind, *(f"{a:g}" for a in self.args)])
