r"""Answer timing across the sessions of one room: one operator serving several seats, or two seats in lockstep.

The data are, per seat (session) of a room, the server time each applied answer arrived (``at_ms`` of the audit's
``answer`` entries) and its ``response_ms``. The item of answer :math:`i` was shown at
:math:`p_i = a_i - r_i`; when nothing interrupted the seat, :math:`p_i = a_{i-1}` exactly (the server presents the
next item in the transition that applies the answer, and ``response_ms`` is clock time used since then). A
difference :math:`p_i - a_{i-1}` above ``break_tolerance_ms`` is a *break*: a subtest intro, a pause, a lost
connection (time stops while the candidate cannot work). A seat is *on an item* during each
:math:`[p_i, a_i]`.

Pair view
---------
For two seats A and B, merge their answers in time order (ties: the lower seat index first). An *adjacency* is two
consecutive answers of the merged sequence; it *counts* when both seats were on an item throughout the time between
them, so intros, pauses and the time before a seat's first item or after its last answer never count. Over the
counted adjacencies, ``m`` in all:

* :math:`R` *repeats*: both answers of the same seat (the other answered nothing in between);
* :math:`K` *close alternations*: answers of different seats at most :math:`w` ms apart, with
  :math:`w = \min(w_{\max}, s\cdot\max(\tilde r_A, \tilde r_B))` (``lockstep_window_ms``, ``lockstep_window_share``,
  :math:`\tilde r` a seat's median response time), so the window follows the pace of the seats.

One person answering for :math:`k` seats one answer at a time serves them round-robin: every item of a seat waits
while the other seats' items are answered, so between two answers of A there is exactly one answer of B
(:math:`R = 0`) and no two answers are ever close (the operator needs a think time for each). Two seats answering in
lockstep (one source feeding both, or one copying the other) put a B answer within :math:`w` of nearly every A
answer (:math:`K \approx \min(n_A, n_B)`).

Null distribution
-----------------
Under independence each seat keeps its own timing. The null model conditions on it the only way that can give the
small p-values a room of 400 seats (79,800 pairs) needs: each seat is a renewal process whose item times are drawn
independently from the seat's own response times in the same uninterrupted run (one subtest; the whole sitting when
the run has fewer than 10 answers), the two seats are independent, and every counted stretch (*segment*) starts
from the state observed at its first answer. This is a parametric bootstrap of each seat's own timing; it keeps the
shared start of a room (the observed state is where each segment begins) and a seat's pace in each subtest. (A
circular shift of one seat's series against the other, the model-free alternative, cannot give a p-value below
about :math:`1/n` for :math:`n` answers, far above the :math:`10^{-7}` a room needs.)

The merged sequence of two renewal processes is a Markov chain on (seat of the last answer :math:`L`, the age
of the other seat :math:`O`'s current item), discretised on a grid of :math:`\Delta = c / G` ms (:math:`G` =
``grid`` cells; :math:`c` the longest response time of either seat, at most 6 times the larger median; longer times
are put at :math:`c`, which only makes repeats rarer under the null, so the p-value larger). The seats' clocks are
half a cell apart, so their answers never tie on the grid: an age index :math:`j` is an age of
:math:`(j + \tfrac12)\Delta`. With :math:`p_L` the probability function of :math:`L`'s item time on the grid and
:math:`S_O(y) = P(T_O > y)`, from :math:`(L, j)`:

.. math:: (L, j) \to (L, j + g) \text{ (a repeat)} \quad \text{w.p. } p_L(g)\, S_O(j + g) / S_O(j),

.. math:: (L, j) \to (O, r) \text{ (an alternation, } (r + \tfrac12)\Delta \text{ after } L\text{'s answer)} \quad
          \text{w.p. } p_O(j + 1 + r)\, S_L(r) / S_O(j).

Propagating the state with the number of repeats as a counter gives the exact (on the grid) null distribution of
:math:`R` over each segment; segments are convolved, and the pair's operator p-value is :math:`P_0(R \le R_{obs})`.
For :math:`K` (a count that is large under lockstep) the chain propagates :math:`E[z^K]` for a grid of
:math:`z \ge 1` and the p-value is the Chernoff bound :math:`P_0(K \ge K_{obs}) \le \min_z E[z^K] z^{-K_{obs}}`, an
upper bound (so conservative); close alternations count up to :math:`\lceil w/\Delta \rceil` cells, slightly more
than :math:`w`, again conservative.

Groups
------
A pair holds little evidence in a short battery (about :math:`10^{-6}` from 40 answers each), but an operator's
seats each keep a place in one cycle. For seats :math:`s_1 < \dots < s_k` (:func:`group_test`): the pair test of
:math:`s_1, s_2`, then for each later seat :math:`s_j` a test *given* the timelines of :math:`s_1 .. s_{j-1}` as
observed (:func:`_conditional`): :math:`s_j` is the renewal process of its own run, and its *misfits* are breaks of
strict alternation with any of the seats before it. Each p-value is valid given the seats before it, so their
product :math:`\pi` is at least a product of independent uniforms and :math:`P(U_1 \cdots U_{k-1} \le \pi) =
\pi \sum_{i<k-1} (-\ln \pi)^i / i!` is a valid p-value for the group (Fisher's 1932 combination of p-values).

False alarms
------------
Every statistic needs ``min_answers`` counted answers of each seat of a pair. Pairs whose repeats are at most
``max_repeat_share`` of their adjacencies and at least 2 standard deviations below what their own timing predicts
(:func:`expected_repeat_share`) are tested, most extreme first; those with :math:`p \le 0.1` form a graph, and the
groups of 3 and 4 seats inside its maximal cliques (Bron & Kerbosch 1973) are tested, strongest first. At most 150
pair tests of each kind, 200 cliques and 30 group tests per evaluation: a room where everyone keeps one steady pace
alternates a lot by itself, and the work stays bounded. A pair is flagged ``operator`` at
:math:`p \le 0.3\alpha/\binom N2`, a group of :math:`k` at :math:`p \le 0.2\alpha/\binom Nk` (:math:`k = 3, 4`); a
pair whose close share reaches ``min_close_share`` is flagged ``lockstep`` at :math:`p \le 0.3\alpha/\binom N2`
(first: two seats in lockstep also alternate). :math:`N` is the number of seats with ``min_answers`` answers. The
bounds are Bonferroni over *every* pair and group of the room, so singling out candidates from the data, or skipping
some, costs nothing: a room of independent seats raises any flag with probability at most :math:`\alpha` (default
0.01) per evaluation; a passing test names 2 to 4 seats, so a seat of a room of exchangeable seats is falsely
flagged with probability at most :math:`2.6\alpha/N`. Flags of one kind that share a seat are joined (connected
components). Measured rates are in docs/integrity-room.md.

Cost
----
:func:`pair_counts` is :math:`O(N E \log n)` for :math:`N` seats, :math:`E` answers in all and :math:`n` per seat,
vectorised over the answers (one pass per seat); :func:`seat_pair_counts`, the pairs of the seat that just answered,
is :math:`O(E + nN)`: what changes when one seat answers. A pair test is :math:`O(m\, G^2 k)` (:math:`k` the
counter's range, at most ``max_repeat_share`` :math:`\cdot m + 1`, or the 16 values of :math:`z`); a conditional
test :math:`O(T A k)` for :math:`T` grid cells of time and :math:`A` of age. Tests run only for what the counts
single out, which in a room of independent seats is almost nothing.

References
----------
Bron, C., & Kerbosch, J. (1973). Algorithm 457: finding all cliques of an undirected graph. *Communications of the
ACM*, 16(9), 575-577.
Chernoff, H. (1952). A measure of asymptotic efficiency for tests of a hypothesis based on the sum of observations.
*Annals of Mathematical Statistics*, 23(4), 493-507.
Cox, D. R. (1962). *Renewal theory*. Methuen (the renewal process, forward recurrence).
Daley, D. J., & Vere-Jones, D. (2003). *An introduction to the theory of point processes*, vol. I (2nd ed.). Springer.
Efron, B., & Tibshirani, R. J. (1993). *An introduction to the bootstrap*. Chapman & Hall (parametric bootstrap).
Fisher, R. A. (1932). *Statistical methods for research workers* (4th ed.), section 21.1. Oliver & Boyd.
van der Linden, W. J. (2009). Conceptual issues in response-time modeling. *Journal of Educational Measurement*,
46(3), 247-272.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .room_timing_data import (
    _EDGE_P,
    _MAX_CLIQUES,
    _MAX_GROUP_TESTS,
    _MAX_PAIR_TESTS,
    _SCREEN_Z,
    _SHARES,
    FloatArray,
    Kind,
    PairCounts,
    RoomAnswers,
    TimingConfig,
    expected_repeat_share,
    pair_counts,
    seat_pair_counts,
)
from .room_timing_pairs import GroupTest, PairTest, group_test, lockstep_test, operator_test

__all__ = [
    "GroupTest",
    "PairCounts",
    "PairTest",
    "RoomAnswers",
    "RoomTiming",
    "TimingConfig",
    "TimingFlag",
    "expected_repeat_share",
    "group_test",
    "lockstep_test",
    "operator_test",
    "pair_counts",
    "room_timing",
    "seat_pair_counts",
]

# --- the room ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimingFlag:
    """A group of seats flagged by their answer timing.

    Attributes
    ----------
    kind : str
        ``operator`` or ``lockstep``.
    seats : tuple of int
        The seats (indices into the room's arrays), sorted.
    statistic : float
        Over every pair of these seats: the share of alternations among counted adjacencies (operator) or of close
        alternations per answer of the less active seat (lockstep).
    p_value, threshold : float
        Of the evidence that passed by the widest margin (smallest p-value over its threshold).
    evidence : tuple of PairTest or GroupTest
        The tests that passed their thresholds.
    """

    kind: Kind
    seats: tuple[int, ...]
    statistic: float
    p_value: float
    threshold: float
    evidence: tuple[PairTest | GroupTest, ...]


@dataclass(frozen=True)
class RoomTiming:
    """The room's timing statistics.

    Attributes
    ----------
    flags : tuple of TimingFlag
    tested : tuple of PairTest or GroupTest
        Every test run (the pairs and groups the counts singled out).
    counts : PairCounts
    eligible_seats : int
        Seats with at least ``min_answers`` answers: :math:`N` of the thresholds.
    thresholds : dict
        The p-value each kind of test needs: ``operator`` (pairs), ``operator3``, ``operator4`` (groups) and
        ``lockstep``.
    """

    flags: tuple[TimingFlag, ...]
    tested: tuple[PairTest | GroupTest, ...]
    counts: PairCounts
    eligible_seats: int
    thresholds: dict[str, float]


def _cliques(graph: dict[int, set[int]], most: int = _MAX_CLIQUES) -> list[tuple[int, ...]]:
    """Maximal cliques of a graph (Bron and Kerbosch 1973, with a pivot), at most ``most`` of them."""
    out: list[tuple[int, ...]] = []

    def grow(r: set[int], p: set[int], x: set[int]) -> None:
        if len(out) >= most:
            return
        if not p and not x:
            out.append(tuple(sorted(r)))
            return
        pivot = max(p | x, key=lambda v: len(graph[v] & p))
        for v in sorted(p - graph[pivot]):
            grow(r | {v}, p & graph[v], x & graph[v])
            p = p - {v}
            x = x | {v}

    grow(set(), set(graph), set())
    return out


def _candidates(clique: tuple[int, ...]) -> list[tuple[int, ...]]:
    """The groups tested in a maximal clique: itself when it has 3 seats; its 4-seat subsets when it has 4 to 8;
    windows of 4 consecutive seats beyond (a large clique of independent seats is not a worry: it never forms)."""
    if len(clique) == 3:
        return [clique]
    if len(clique) <= 8:
        return list(itertools.combinations(clique, 4))
    return [clique[i : i + 4] for i in range(len(clique) - 3)]


def _share(counts: PairCounts, seats: Sequence[int], kind: Kind) -> float:
    idx = np.ix_(list(seats), list(seats))
    m = counts.adjacencies[idx]
    if kind == "operator":
        return 1.0 - float(counts.repeats[idx].sum()) / max(float(m.sum()), 1.0)
    fewest = np.triu(np.minimum(m, m.T), 1).sum()
    return float(np.triu(PairCounts.total(counts.close[idx]), 1).sum()) / max(float(fewest), 1.0)


def _flags(passed: Sequence[tuple[PairTest | GroupTest, float]], kind: Kind, counts: PairCounts) -> list[TimingFlag]:
    """Evidence sharing a seat joined into one flag (connected components)."""
    parent: dict[int, int] = {}

    def root(v: int) -> int:
        while parent.setdefault(v, v) != v:
            v = parent[v]
        return v

    for test, _ in passed:
        for other in test.seats[1:]:
            parent[root(other)] = root(test.seats[0])
    members: dict[int, list[tuple[PairTest | GroupTest, float]]] = {}
    for item in passed:
        members.setdefault(root(item[0].seats[0]), []).append(item)
    out = []
    for items in members.values():
        seats = tuple(sorted({v for test, _ in items for v in test.seats}))
        best, limit = min(items, key=lambda item: item[0].p_value / item[1])
        evidence = tuple(test for test, _ in items)
        out.append(TimingFlag(kind, seats, _share(counts, seats, kind), best.p_value, limit, evidence))
    return sorted(out, key=lambda f: f.seats)


def _most_extreme(mask: npt.NDArray[np.bool_], key: FloatArray) -> list[tuple[int, int]]:
    """The pairs (a < b) of ``mask``, smallest ``key`` first, at most :data:`_MAX_PAIR_TESTS`."""
    pairs = np.argwhere(np.triu(mask, 1))
    order = np.argsort(key[pairs[:, 0], pairs[:, 1]], kind="stable")[:_MAX_PAIR_TESTS]
    return [(int(a), int(b)) for a, b in pairs[order]]


def room_timing(
    arrival_ms: Sequence[npt.ArrayLike] | RoomAnswers,
    response_ms: Sequence[npt.ArrayLike] | None = None,
    config: TimingConfig | None = None,
) -> RoomTiming:
    """Flag operator groups and lockstep pairs among a room's seats.

    1. :func:`pair_counts` of every pair; eligible pairs have ``min_answers`` counted answers of each seat.
    2. ``lockstep``: eligible pairs whose close share reaches ``min_close_share`` are tested
       (:func:`lockstep_test`) against :math:`0.3\\alpha / \\binom{N}{2}`.
    3. ``operator``: the eligible pairs not in lockstep with at most ``max_repeat_share`` repeats, and 2 standard
       deviations fewer than :func:`expected_repeat_share` predicts, are tested (:func:`operator_test`) against
       :math:`0.3\\alpha / \\binom{N}{2}`; those at :math:`p \\le 0.1` make a graph, and the groups inside its
       maximal cliques (:func:`_candidates`) are tested with :func:`group_test` against
       :math:`0.2\\alpha / \\binom{N}{k}`, :math:`k = 3, 4`.
    4. Passing tests that share a seat make one flag.

    :math:`N` is the number of seats with at least ``min_answers`` answers. Bonferroni over every pair and every
    group of 3 and 4 seats of the room (whichever the counts single out): a room of independent seats raises a flag
    with probability at most :math:`\\alpha` per evaluation.

    Parameters
    ----------
    arrival_ms : sequence of array_like, or RoomAnswers
        Per seat, the server arrival time (ms) of each applied answer, in time order.
    response_ms : sequence of array_like
        Per seat, each answer's ``response_ms`` (omit when ``arrival_ms`` is a :class:`RoomAnswers`).
    config : TimingConfig, optional

    Returns
    -------
    RoomTiming
        ``flags`` names each flagged group once; seats are indices into the arrays.
    """
    config = config or TimingConfig()
    if isinstance(arrival_ms, RoomAnswers):
        room = arrival_ms
    else:
        if response_ms is None:
            raise ValueError("response_ms is required with arrival arrays")
        room = RoomAnswers.of(arrival_ms, response_ms, config.break_tolerance_ms)
    counts = pair_counts(room, config)
    eligible = int(sum(a.size >= config.min_answers for a in room.arrival))
    limits = {
        "operator": _SHARES["operator"] * config.alpha / max(math.comb(eligible, 2), 1),
        "operator3": _SHARES["operator3"] * config.alpha / max(math.comb(eligible, 3), 1),
        "operator4": _SHARES["operator4"] * config.alpha / max(math.comb(eligible, 4), 1),
        "lockstep": _SHARES["lockstep"] * config.alpha / max(math.comb(eligible, 2), 1),
    }
    m = counts.adjacencies
    fewest = np.minimum(m, m.T)
    enough = np.triu(fewest >= config.min_answers, 1)
    tested: list[PairTest | GroupTest] = []
    locked: list[tuple[PairTest | GroupTest, float]] = []
    close = PairCounts.total(counts.close)
    lock_share = np.divide(close, fewest, out=np.zeros(close.shape), where=fewest > 0)
    for a, b in _most_extreme(enough & (lock_share >= config.min_close_share), -lock_share):
        t = lockstep_test(room, a, b, config)
        tested.append(t)
        if t.p_value <= limits["lockstep"] and t.close >= config.min_close_share * min(t.answers):
            locked.append((t, limits["lockstep"]))
    repeats, total = PairCounts.total(counts.repeats), PairCounts.total(m)
    rho = expected_repeat_share(room)
    z = (rho * total - repeats) / np.sqrt(np.maximum(rho * (1 - rho) * total, 1e-12))
    alternate = enough & (repeats <= config.max_repeat_share * total) & (z >= _SCREEN_Z)
    for pair, _ in locked:
        alternate[pair.seats] = False  # two seats in lockstep also alternate: lockstep says more
    graph: dict[int, set[int]] = {}
    evidence: dict[tuple[int, int], float] = {}
    operator: list[tuple[PairTest | GroupTest, float]] = []
    for a, b in _most_extreme(alternate, -z):
        t = operator_test(room, a, b, config)
        tested.append(t)
        if t.p_value <= limits["operator"] and t.repeats <= config.max_repeat_share * t.adjacencies:
            operator.append((t, limits["operator"]))
        if t.p_value <= _EDGE_P:
            graph.setdefault(a, set()).add(b)
            graph.setdefault(b, set()).add(a)
            evidence[(a, b)] = math.log(max(t.p_value, 1e-300))
    groups = [g for clique in _cliques(graph) if len(clique) >= 3 for g in _candidates(clique)]
    groups.sort(key=lambda g: sum(evidence[pair] for pair in itertools.combinations(g, 2)))  # strongest first
    for group in groups[:_MAX_GROUP_TESTS]:
        g = group_test(room, group, config)
        tested.append(g)
        limit = limits[f"operator{len(group)}"]
        if g.p_value <= limit:
            operator.append((g, limit))
    flags = (*_flags(operator, "operator", counts), *_flags(locked, "lockstep", counts))
    return RoomTiming(tuple(flags), tuple(tested), counts, eligible, limits)
