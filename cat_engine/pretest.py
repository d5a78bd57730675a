r"""Seeding design of pretest items: which of a subtest's N pretest items an examinee gets, and where.

A pretest item is a new item shown inside an operational test to gather responses for its calibration. It never
counts for the examinee: not for theta, stopping, exposure, content balancing or the profile. This module is only
the *design*, pure and stateless, shared by ``cat-sim --pretest`` (:mod:`cat_engine.simulate_pretest`) and the
live session (:mod:`cat_engine.session_pretest`: a room's sessions share a design seed and take their roster numbers
as examinee indices): everything an examinee gets follows from ``(seed, examinee index)`` alone, so servers need no
shared counter of how often each pretest item was given.

Which items: a random cyclic block design
-----------------------------------------
Examinees are taken in blocks of :math:`N` by their index :math:`e`: block :math:`r = \lfloor e / N \rfloor`,
place :math:`i = e \bmod N`. Each block has its own random permutation :math:`\pi_r` of the N items, drawn from
``(seed, r)``, and examinee :math:`e` gets

.. math:: \pi_r[(iK + j) \bmod N], \qquad j = 0, \dots, K - 1 .

Within a block the slots :math:`iK + j` run through :math:`0, 1, \dots, NK - 1` in order, so the first :math:`m`
examinees of a block fill :math:`mK` consecutive slots of the cycle: every item is given
:math:`\lfloor mK/N \rfloor` or :math:`\lceil mK/N \rceil` times, and a full block gives each item exactly K times.
Hence, for examinees :math:`0..E-1`, the counts of any two items differ by **at most one**. An examinee's K slots
are consecutive modulo N, so they are K different items (:math:`K \le N`). A fresh permutation per block varies
which items are given together. (Examinee indices that are not consecutive, e.g. a live roster with gaps, keep
counts near equal, only no longer within one.)

Where: positions in the test
----------------------------
The operational length is not known in advance, so a position is stated as **"give pretest item j right after
operational answer** :math:`p_j` **"**: :math:`p_j` operational answers come before it. Each :math:`p_j` is drawn
from the slots

.. math:: p \in \{\text{after}, \dots, \text{min\_items} - 2\}

without replacement while there are at least K slots (each pretest item then sits between two different
operational items), with replacement otherwise (several pretest items in a row), and sorted. Since a test gives at
least ``min_items`` operational items, at least two operational items follow the last pretest item: a pretest
item is **never the last item** of the subtest, and never among the first ``after`` items (default 3), which
let the examinee settle in. Which of the K items goes to which position is a random order. The draws come from the
examinee's own generator ``(seed, e)``. Pretest item j is given only if :math:`p_j` is below the operational
length, which a test shorter than ``min_items`` (only when the pool runs out) may not reach.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "PRETEST_STREAM",
    "PretestDesign",
    "PretestPlan",
    "assigned_items",
    "block_permutation",
    "examinee_rng",
    "given_order",
    "plan_examinee",
    "plan_examinees",
]

IntArray = npt.NDArray[np.intp]
Seed = int | Sequence[int]

#: A word mixed into every pretest generator, so that its draws are independent of any other stream of the seed.
PRETEST_STREAM = 0x50524554  # "PRET"
_BLOCK, _EXAMINEE = 0, 1


@dataclass(frozen=True)
class PretestDesign:
    """A subtest's pretest design.

    Attributes
    ----------
    n_items : int
        N, the subtest's pretest items.
    per_examinee : int
        K, pretest items per examinee (``1 <= K <= N``).
    min_items : int
        The subtest's minimum operational length (its stopping rule's ``min_items``).
    after : int
        No pretest item before this many operational answers (default 3); needs ``after <= min_items - 2``.
    """

    n_items: int
    per_examinee: int
    min_items: int
    after: int = 3

    def __post_init__(self) -> None:
        if self.n_items < 1:
            raise ValueError(f"the number of pretest items must be at least 1, got {self.n_items}")
        if not 1 <= self.per_examinee <= self.n_items:
            raise ValueError(f"pretest items per examinee must be in 1..{self.n_items}, got {self.per_examinee}")
        if self.after < 0:
            raise ValueError(f"'after' must be at least 0, got {self.after}")
        if self.last_slot < self.after:
            raise ValueError(
                f"pretest items go after {self.after} and before the last two of at least min_items operational "
                f"items: min_items must be at least {self.after + 2}, got {self.min_items}"
            )

    @property
    def last_slot(self) -> int:
        """The largest :math:`p_j`: ``min_items - 2``, so that at least two operational items follow."""
        return self.min_items - 2

    @property
    def slots(self) -> IntArray:
        """The values :math:`p_j` may take: ``after .. min_items - 2``."""
        return np.arange(self.after, self.last_slot + 1, dtype=np.intp)


@dataclass(frozen=True, eq=False)
class PretestPlan:
    """One examinee's pretest items in the order given.

    Attributes
    ----------
    items : ndarray of int, shape (K,)
        Pretest item indices ``0..N-1``.
    after_answer : ndarray of int, shape (K,)
        Nondecreasing: ``items[j]`` is given right after operational answer ``after_answer[j]``.
    """

    items: IntArray
    after_answer: IntArray


def _words(seed: Seed) -> list[int]:
    return [int(seed)] if isinstance(seed, int | np.integer) else [int(s) for s in seed]


def block_permutation(design: PretestDesign, seed: Seed, block: int) -> IntArray:
    """:math:`\\pi_r`, the random order of the N items in block ``block``, drawn from ``(seed, block)``."""
    rng = np.random.default_rng([*_words(seed), PRETEST_STREAM, _BLOCK, block])
    perm: IntArray = rng.permutation(design.n_items).astype(np.intp)
    return perm


def examinee_rng(seed: Seed, examinee: int) -> np.random.Generator:
    """The generator of examinee ``examinee``'s order and positions, from ``(seed, examinee)``."""
    return np.random.default_rng([*_words(seed), PRETEST_STREAM, _EXAMINEE, examinee])


def assigned_items(design: PretestDesign, seed: Seed, examinee: int, perm: IntArray | None = None) -> IntArray:
    """The K items of examinee ``examinee`` in the cyclic block design (``perm``: its block's permutation, if
    already drawn)."""
    if examinee < 0:
        raise ValueError(f"the examinee index must be at least 0, got {examinee}")
    n, k = design.n_items, design.per_examinee
    block, place = divmod(examinee, n)
    if perm is None:
        perm = block_permutation(design, seed, block)
    chosen: IntArray = perm[(place * k + np.arange(k)) % n]
    return chosen


def plan_examinee(design: PretestDesign, seed: Seed, examinee: int, perm: IntArray | None = None) -> PretestPlan:
    """Examinee ``examinee``'s pretest items and positions (module docstring)."""
    items = assigned_items(design, seed, examinee, perm)
    rng = examinee_rng(seed, examinee)
    order = rng.permutation(items).astype(np.intp)
    slots, k = design.slots, design.per_examinee
    after = np.sort(rng.choice(slots, size=k, replace=k > slots.size)).astype(np.intp)
    return PretestPlan(items=order, after_answer=after)


def plan_examinees(design: PretestDesign, seed: Seed, examinees: int) -> tuple[IntArray, IntArray]:
    """The plans of examinees ``0..examinees-1`` as arrays ``(items, after_answer)`` of shape (E, K)."""
    k = design.per_examinee
    items = np.zeros((examinees, k), dtype=np.intp)
    after = np.zeros((examinees, k), dtype=np.intp)
    perm = np.zeros(0, dtype=np.intp)
    for e in range(examinees):
        if e % design.n_items == 0:
            perm = block_permutation(design, seed, e // design.n_items)
        plan = plan_examinee(design, seed, e, perm)
        items[e], after[e] = plan.items, plan.after_answer
    return items, after


def given_order(plan: PretestPlan, n_operational: int) -> list[tuple[str, int]]:
    """The whole test as given: ``("operational", i)`` for the i-th operational item and ``("pretest", j)`` for
    ``plan.items[j]``, for a test of ``n_operational`` operational items (pretest items past its end left out)."""
    order: list[tuple[str, int]] = []
    j = 0
    for answered in range(n_operational + 1):
        while j < plan.after_answer.size and plan.after_answer[j] == answered:
            if answered < n_operational:  # an item after the last operational answer would be the last: left out
                order.append(("pretest", j))
            j += 1
        if answered < n_operational:
            order.append(("operational", answered))
    return order
