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
0.01) per evaluation. Flags of one kind that share a seat are joined (connected components). Measured rates are in
docs/integrity-room.md.

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
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

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

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Kind = Literal["operator", "lockstep"]

_MIN_RUN = 10  # a run with fewer answers borrows the seat's whole sitting as its sample of item times
_THETAS = np.geomspace(0.05, 20.0, 16)  # log z of the Chernoff bound
# shares of the room's false-alarm rate alpha: operator pairs, groups of 3 and of 4, lockstep pairs
_SHARES = {"operator": 0.3, "operator3": 0.2, "operator4": 0.2, "lockstep": 0.3}
_SCREEN_Z = 2.0  # an operator pair has this many standard deviations fewer repeats than its timing predicts
_EDGE_P = 0.1  # a tested pair at or below this p-value joins the graph whose cliques are tested as groups
# work per evaluation, most extreme candidates first; skipping a test never raises the false-alarm rate
_MAX_PAIR_TESTS, _MAX_CLIQUES, _MAX_GROUP_TESTS = 150, 200, 30


@dataclass(frozen=True)
class TimingConfig:
    """Thresholds of the room timing statistics (see the module docstring).

    Attributes
    ----------
    alpha : float
        Family-wise false-alarm rate of a room of independent seats, per evaluation (0.3 of it for operator pairs,
        0.2 for groups of 3, 0.2 for groups of 4, 0.3 for lockstep pairs).
    min_answers : int
        Counted answers each seat of a pair needs before the pair can be flagged.
    max_repeat_share : float
        An ``operator`` pair has at most this share of repeats among its counted adjacencies.
    min_close_share : float
        A ``lockstep`` pair has at least this many close alternations per answer of its less active seat.
    lockstep_window_ms, lockstep_window_share : float
        The close window :math:`w = \\min(w_{\\max}, s \\cdot \\text{larger median response time})`.
    break_tolerance_ms : float
        A gap between an answer and the next item's display longer than this is a break. The server's own records
        have no gap at all without a break, and a break (an intro, a pause, a reconnect) lasts seconds; 500 ms also
        forgives data whose display times include a network latency (a simulation's, a client's).
    grid : int
        Cells of the time grid of the null chain.
    """

    alpha: float = 0.01
    min_answers: int = 20
    max_repeat_share: float = 0.1
    min_close_share: float = 0.5
    lockstep_window_ms: float = 2000.0
    lockstep_window_share: float = 0.1
    break_tolerance_ms: float = 500.0
    grid: int = 80

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1 or self.min_answers < 2 or self.grid < 8:
            raise ValueError("alpha must be within (0, 1), min_answers >= 2 and grid >= 8")
        if not 0 <= self.max_repeat_share < 1 or not 0 < self.min_close_share <= 2:
            raise ValueError("max_repeat_share must be within [0, 1) and min_close_share within (0, 2]")
        if self.lockstep_window_ms < 0 or self.lockstep_window_share < 0 or self.break_tolerance_ms < 0:
            raise ValueError("windows and tolerances must be non-negative")


def _array(values: npt.ArrayLike, what: str, seat: int) -> FloatArray:
    out = np.asarray(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"seat {seat}: {what} must be finite")
    return out


@dataclass(frozen=True)
class RoomAnswers:
    """The answers of a room's seats, validated, with the derived quantities every statistic uses.

    Parameters
    ----------
    arrival : tuple of ndarray
        Per seat, the server time (ms) each answer arrived, non-decreasing.
    response : tuple of ndarray
        Per seat, each answer's ``response_ms`` (non-negative), aligned with ``arrival``.
    break_tolerance_ms : float
        See :class:`TimingConfig`.

    Attributes
    ----------
    shown : tuple of ndarray
        When each answer's item was shown: :math:`a_i - r_i` after a break, else :math:`a_{i-1}`.
    run : tuple of ndarray
        Per answer, the index of its uninterrupted run (a new run after each break; the first answer starts run 0).
    times, seats, positions
        All answers in time order (ties: the lower seat first): time, seat, and each seat's answers' positions in it.
    previous, shown_at
        For each answer in that order: the position of its seat's previous answer (-1 for a first), and when its
        item was shown.
    padded_positions, padded_shown
        Per seat, ``[-1, positions...]`` and ``[shown..., inf]`` padded to one width: the last answer before, and the
        next item's display after, any count of the seat's answers.
    median_response : ndarray
        Each seat's median response time (ms; 0 without answers).
    """

    arrival: tuple[FloatArray, ...]
    response: tuple[FloatArray, ...]
    break_tolerance_ms: float = 500.0
    shown: tuple[FloatArray, ...] = field(init=False, repr=False)
    run: tuple[IntArray, ...] = field(init=False, repr=False)
    times: FloatArray = field(init=False, repr=False)
    seats: IntArray = field(init=False, repr=False)
    positions: tuple[IntArray, ...] = field(init=False, repr=False)
    previous: IntArray = field(init=False, repr=False)
    shown_at: FloatArray = field(init=False, repr=False)
    padded_positions: IntArray = field(init=False, repr=False)
    padded_shown: FloatArray = field(init=False, repr=False)
    median_response: FloatArray = field(init=False, repr=False)

    @classmethod
    def of(
        cls,
        arrival_ms: Sequence[npt.ArrayLike],
        response_ms: Sequence[npt.ArrayLike],
        break_tolerance_ms: float = 500.0,
    ) -> RoomAnswers:
        """Validate per-seat arrays; ValueError when they are not finite, not aligned or not in time order."""
        if len(arrival_ms) != len(response_ms):
            raise ValueError("one response_ms array per seat")
        arrival = tuple(_array(a, "arrival_ms", s) for s, a in enumerate(arrival_ms))
        response = tuple(_array(r, "response_ms", s) for s, r in enumerate(response_ms))
        for s, (a, r) in enumerate(zip(arrival, response, strict=True)):
            if a.size != r.size:
                raise ValueError(f"seat {s}: {a.size} arrivals but {r.size} response times")
            if np.any(np.diff(a) < 0) or np.any(r < 0):
                raise ValueError(f"seat {s}: arrivals must be in time order and response times non-negative")
        return cls(arrival, response, break_tolerance_ms)

    def __post_init__(self) -> None:
        shown, runs = [], []
        for a, r in zip(self.arrival, self.response, strict=True):
            before = np.concatenate(([-np.inf], a[:-1]))
            brk = a - r - before > self.break_tolerance_ms
            p = np.where(brk, a - r, before)  # no break: shown when the previous answer arrived
            shown.append(p)
            runs.append(np.maximum(np.cumsum(brk) - 1, 0).astype(np.int64))
        n = [a.size for a in self.arrival]
        times = np.concatenate([*self.arrival, np.zeros(0)])
        seats = np.repeat(np.arange(len(n), dtype=np.int64), n)
        order = np.lexsort((seats, times))
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        starts = np.concatenate(([0], np.cumsum(n)))
        positions = tuple(rank[starts[s] : starts[s + 1]] for s in range(len(n)))
        previous = np.full(times.size, -1, dtype=np.int64)
        shown_at = np.empty(times.size)
        width = max(n, default=0) + 1
        padded_positions = np.full((len(n), width), -1, dtype=np.int64)
        padded_shown = np.full((len(n), width), np.inf)
        for s, pos in enumerate(positions):
            previous[pos[1:]] = pos[:-1]
            shown_at[pos] = shown[s]
            padded_positions[s, 1 : pos.size + 1] = pos
            padded_shown[s, : pos.size] = shown[s]
        medians = [float(np.median(r)) if r.size else 0.0 for r in self.response]
        object.__setattr__(self, "shown", tuple(shown))
        object.__setattr__(self, "run", tuple(runs))
        object.__setattr__(self, "times", times[order])
        object.__setattr__(self, "seats", seats[order])
        object.__setattr__(self, "positions", positions)
        object.__setattr__(self, "previous", previous)
        object.__setattr__(self, "shown_at", shown_at)
        object.__setattr__(self, "padded_positions", padded_positions)
        object.__setattr__(self, "padded_shown", padded_shown)
        object.__setattr__(self, "median_response", np.array(medians))

    @property
    def n_seats(self) -> int:
        return len(self.arrival)

    def windows(self, config: TimingConfig) -> FloatArray:
        """The close window of every pair (ms), :math:`\\min(w_{\\max}, s \\cdot \\max(\\tilde r_A, \\tilde r_B))`."""
        med = self.median_response
        return np.minimum(config.lockstep_window_ms, config.lockstep_window_share * np.maximum.outer(med, med))


@dataclass(frozen=True)
class PairCounts:
    """Counted adjacencies of every pair, split by the seat whose answer ends them.

    ``adjacencies[x, y]``, ``repeats[x, y]`` and ``close[x, y]`` count the adjacencies of pair (x, y) that end with
    an answer of seat ``x``; a pair's totals are ``M + M.T`` (:meth:`total`). ``adjacencies[x, y]`` is also the
    number of seat ``x``'s answers counted with ``y`` (every answer but the first of each segment).
    """

    adjacencies: IntArray
    repeats: IntArray
    close: IntArray

    @staticmethod
    def total(matrix: IntArray) -> IntArray:
        """A pair's total from the split matrix (symmetric)."""
        return matrix + matrix.T


def _pass(
    room: RoomAnswers, partner: int, pos: IntArray, prev_pos: IntArray, shown: FloatArray
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], FloatArray]:
    """For answers at global positions ``pos`` (their own seat's previous answer at ``prev_pos``, their item shown at
    ``shown``), paired with seat ``partner``: whether the adjacency they end counts, whether it is a repeat, and its
    length in ms."""
    times = room.times
    partner_pos = room.positions[partner]
    partner_shown = room.shown[partner]
    before = np.searchsorted(partner_pos, pos)  # the partner's answers earlier in the room's order
    last_pos = np.concatenate(([-1], partner_pos))[before]  # -1: none yet
    padded = np.append(partner_shown, np.inf)  # no later answer: the partner is on no item any more
    next_shown = padded[before]
    pred = np.maximum(prev_pos, last_pos)
    pred_time = np.where(pred >= 0, times[np.maximum(pred, 0)], np.inf)
    counted = (pred >= 0) & (room.seats[pos] != partner) & (shown <= pred_time) & (next_shown <= pred_time)
    return counted, prev_pos > last_pos, times[pos] - pred_time


def _own(room: RoomAnswers) -> tuple[IntArray, IntArray, FloatArray]:
    """Every answer's global position, its seat's previous answer's position (-1 for a first), its display time."""
    return np.arange(room.times.size, dtype=np.int64), room.previous, room.shown_at


def pair_counts(room: RoomAnswers, config: TimingConfig | None = None) -> PairCounts:
    """Adjacencies, repeats and close alternations of every pair of seats (see :class:`PairCounts`).

    :math:`O(N E \\log n)`, one vectorised pass over the room's answers per seat.
    """
    config = config or TimingConfig()
    n = room.n_seats
    window = room.windows(config)
    pos, prev, shown = _own(room)
    counts = np.zeros((3, n, n), dtype=np.int64)
    for partner in range(n):
        counted, repeat, gap = _pass(room, partner, pos, prev, shown)
        seat = room.seats
        close = counted & ~repeat & (gap <= window[seat, partner])
        for k, mask in enumerate((counted, counted & repeat, close)):
            counts[k, :, partner] = np.bincount(seat[mask], minlength=n)
    return PairCounts(counts[0], counts[1], counts[2])


def seat_pair_counts(room: RoomAnswers, seat: int, config: TimingConfig | None = None) -> tuple[IntArray, ...]:
    """The counts of the pairs of one seat: what changes when ``seat`` answers. :math:`O(E + nN)`.

    Returns
    -------
    tuple of ndarray
        ``(adjacencies, repeats, close)`` rows and then the same three columns: ``row[k][y]`` is
        ``PairCounts.<k>[seat, y]`` and ``column[k][x]`` is ``PairCounts.<k>[x, seat]``.
    """
    config = config or TimingConfig()
    n = room.n_seats
    med = room.median_response
    window = np.minimum(config.lockstep_window_ms, config.lockstep_window_share * np.maximum(med[seat], med))
    pos, prev, shown = _own(room)
    counted, repeat, gap = _pass(room, seat, pos, prev, shown)
    close = counted & ~repeat & (gap <= window[room.seats])
    column = tuple(np.bincount(room.seats[m], minlength=n) for m in (counted, counted & repeat, close))
    mine = room.positions[seat]
    rows = [np.zeros(n, dtype=np.int64) for _ in range(3)]
    if mine.size:
        # for each of the seat's answers, every other seat's answers before it: a cumulative histogram
        bucket = np.searchsorted(mine, pos, side="right")
        hist = np.bincount(bucket * n + room.seats, minlength=(mine.size + 1) * n).reshape(mine.size + 1, n)
        before = np.cumsum(hist, axis=0)[: mine.size]
        before[:, seat] = 0
        last_pos = room.padded_positions[np.arange(n), before]  # column 0 is -1: no earlier answer
        next_shown = room.padded_shown[np.arange(n), before]
        own_prev = prev[mine][:, None]
        pred = np.maximum(own_prev, last_pos)
        pred_time = np.where(pred >= 0, room.times[np.maximum(pred, 0)], np.inf)
        ok = (pred >= 0) & (room.shown[seat][:, None] <= pred_time) & (next_shown <= pred_time)
        ok[:, seat] = False
        rep = ok & (own_prev > last_pos)
        near = ok & ~(own_prev > last_pos) & (room.times[mine][:, None] - pred_time <= window[None, :])
        rows = [m.sum(axis=0).astype(np.int64) for m in (ok, rep, near)]
    return (*rows, *column)


def expected_repeat_share(room: RoomAnswers, bins: int = 48) -> FloatArray:
    r"""Every pair's share of repeats expected under independence, from each seat's response times alone.

    For stationary independent renewal processes, the chance that B answers nothing during an interval of length
    :math:`g` of A is :math:`S_B(g) = E[(T_B - g)^+] / E[T_B]` (the forward recurrence time; Cox, 1962), so

    .. math:: \rho_{AB} = \frac{\sum_i S_B(g_i) + \sum_j S_A(h_j)}{n_A + n_B}

    over A's item times :math:`g_i` and B's :math:`h_j`, each divided by the median of its run (a subtest's pace is
    not spread: two seats in the same subtest at the same pace are what alternates). A screen only: the scaled
    times are put on ``bins`` logarithmic bins, so every pair costs one matrix product, :math:`O(N^2 \cdot bins)`.
    """
    n = room.n_seats
    positive = []
    for r, runs in zip(room.response, room.run, strict=True):
        scale = np.full(r.size, float(np.median(r)) if r.size else 1.0)
        for run in np.unique(runs).tolist():
            here = runs == run
            if here.sum() >= _MIN_RUN:
                scale[here] = float(np.median(r[here]))
        scaled = np.divide(r, scale, out=np.zeros(r.size), where=scale > 0)
        positive.append(scaled[scaled > 0])
    values = np.concatenate([*positive, np.ones(1)])
    edges = np.geomspace(float(values.min()), float(values.max()) * 1.0001, bins + 1)
    centers = np.sqrt(edges[:-1] * edges[1:])
    hist = np.zeros((n, bins))
    tail = np.zeros((n, bins))
    for s, r in enumerate(positive):
        if not r.size:
            continue
        hist[s] = np.histogram(r, edges)[0]
        t = np.sort(r)
        above = np.concatenate((np.cumsum(t[::-1])[::-1], [0.0]))  # sum of the times from index k on
        k = np.searchsorted(t, centers)
        tail[s] = (above[k] - centers * (t.size - k)) / t.sum()
    expected = hist @ tail.T  # [a, b]: a's intervals in which b answers nothing
    counts = hist.sum(axis=1)
    total = counts[:, None] + counts[None, :]
    out: FloatArray = np.divide(expected + expected.T, total, out=np.zeros((n, n)), where=total > 0)
    return out


# --- one pair: its segments and the null chain -------------------------------------------------------------------


@dataclass(frozen=True)
class _Segment:
    labels: IntArray  # 0: the pair's first seat, 1: its second, in time order
    times: FloatArray
    age: float  # at the first answer: time since the other seat was shown its current item
    samples: tuple[FloatArray, FloatArray]  # item times of each seat in its run during the segment


def _next_of(labels: IntArray, label: int) -> IntArray:
    """For each index j, the first index >= j holding ``label`` (``labels.size`` when there is none)."""
    idx = np.where(labels == label, np.arange(labels.size), labels.size)
    return np.minimum.accumulate(idx[::-1])[::-1] if idx.size else idx


def _sample(room: RoomAnswers, seat: int, answer: int) -> FloatArray:
    """Item times of the run that ``answer`` of ``seat`` belongs to (the whole sitting for a short run)."""
    runs = room.run[seat]
    sample = room.response[seat][runs == runs[answer]]
    return sample if sample.size >= _MIN_RUN else room.response[seat]


def _segments(room: RoomAnswers, a: int, b: int) -> list[_Segment]:
    """The pair's counted stretches, each with its observed starting state and the seats' item-time samples."""
    pos = np.concatenate([room.positions[a], room.positions[b]])
    order = np.argsort(pos)
    labels = np.repeat(np.array([0, 1], dtype=np.int64), [room.positions[a].size, room.positions[b].size])[order]
    index = np.concatenate([np.arange(room.positions[a].size), np.arange(room.positions[b].size)])[order]
    times = room.times[pos[order]]
    seat = (a, b)
    shown = np.where(labels == 0, room.shown[a][np.minimum(index, max(room.shown[a].size - 1, 0))], 0.0)
    if room.shown[b].size:
        shown = np.where(labels == 1, room.shown[b][np.minimum(index, room.shown[b].size - 1)], shown)
    nxt = (_next_of(labels, 0), _next_of(labels, 1))
    padded = np.append(shown, np.inf)
    # adjacency k -> k+1 counts when both seats were on an item since answer k: the answer k+1's own item, and the
    # other seat's next answer's item, were shown by then
    own = shown[1:]
    other = np.where(labels[1:] == 0, padded[nxt[1][1:]], padded[nxt[0][1:]])
    counted = (own <= times[:-1]) & (other <= times[:-1])
    out: list[_Segment] = []
    edges = np.flatnonzero(np.diff(np.concatenate(([0], counted.astype(np.int64), [0]))))
    for start, stop in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        first = int(labels[start])
        later = [int(nxt[lab][start + 1]) for lab in (0, 1)]
        age = float(times[start] - shown[later[1 - first]])
        # each seat's run during the segment: that of its next answer (the first seat's answer at the start ends
        # its previous item, which may belong to the run before)
        at = [later[lab] if later[lab] < labels.size else start for lab in (0, 1)]
        samples = tuple(_sample(room, seat[lab], int(index[at[lab]])) for lab in (0, 1))
        out.append(_Segment(labels[start : stop + 1], times[start : stop + 1], age, (samples[0], samples[1])))
    return out


def _pmf(sample: FloatArray, delta: float, cells: int) -> FloatArray:
    """The probability function of an item time on the grid (cells 1..cells; longer times at the last cell)."""
    binned = np.clip(np.rint(sample / delta).astype(np.int64), 1, cells)
    p: FloatArray = np.bincount(binned, minlength=cells + 1).astype(np.float64)
    p /= p.sum()
    return p


def _tail(p: FloatArray, size: int) -> FloatArray:
    """:math:`S(y) = P(T > y)` for y = 0..size-1."""
    s = np.zeros(size)
    n = min(size, p.size)
    s[:n] = np.clip(1.0 - np.cumsum(p), 0.0, 1.0)[:n]
    return s


def _kernels(p_own: FloatArray, p_other: FloatArray, cells: int) -> tuple[FloatArray, FloatArray]:
    """From the state (own answer, the other seat's age index j): the repeat kernel j -> j + g and the alternation
    kernel j -> r (rows: j; columns: the next state's index). Ages are :math:`(j + 1/2)\\Delta`: the two seats' clocks
    are half a cell apart, so their answers never tie on the grid."""
    size = 2 * cells + 2
    own = np.zeros(size)
    own[: p_own.size] = p_own
    other = np.zeros(size)
    other[: p_other.size] = p_other
    s_own, s_other = _tail(p_own, size), _tail(p_other, size)
    j = np.arange(cells + 1)[:, None]
    y = np.arange(cells + 1)[None, :]
    alive = s_other[: cells + 1, None]
    inv = np.divide(1.0, alive, out=np.zeros_like(alive), where=alive > 0)
    g = y - j
    repeat = np.where(g >= 1, own[np.clip(g, 0, size - 1)] * s_other[y], 0.0) * inv
    alternate = other[j + 1 + y] * s_own[y] * inv
    return repeat, alternate


def _grid(segments: Sequence[_Segment], cells: int) -> float:
    """The grid step: the longest item time of either seat, at most 6 times the larger median, over ``cells``."""
    samples = np.concatenate([s for seg in segments for s in seg.samples])
    medians = [float(np.median(s)) for seg in segments for s in seg.samples]
    return max(min(float(samples.max()), 6.0 * max(medians)), 1.0) / cells


def _start(segment: _Segment, p: tuple[FloatArray, FloatArray], delta: float, columns: int) -> list[FloatArray]:
    first = int(segment.labels[0])
    support = int(np.flatnonzero(p[1 - first])[-1])  # the other seat's longest item time: its age stays below
    age = min(round(segment.age / delta - 0.5), support - 1)
    f = [np.zeros((p[0].size, columns)), np.zeros((p[0].size, columns))]
    f[first][max(age, 0)] = 1.0
    return f


def _repeat_distribution(segment: _Segment, delta: float, cells: int, most: int) -> FloatArray:
    """The probabilities of 0..most repeats over the segment under the null chain (exact on the grid)."""
    p = (_pmf(segment.samples[0], delta, cells), _pmf(segment.samples[1], delta, cells))
    kernels = (_kernels(p[0], p[1], cells), _kernels(p[1], p[0], cells))
    f = _start(segment, p, delta, most + 1)
    f[int(segment.labels[0])][:, 1:] = 0.0  # no repeat yet
    for _ in range(segment.labels.size - 1):
        new = [np.zeros_like(f[0]), np.zeros_like(f[1])]
        for lab in (0, 1):
            repeat, alternate = kernels[lab]
            new[lab][:, 1:] += repeat.T @ f[lab][:, :-1]
            new[1 - lab] += alternate.T @ f[lab]
        f = new
    out: FloatArray = f[0].sum(axis=0) + f[1].sum(axis=0)
    return out


def _close_log_mgf(segment: _Segment, delta: float, cells: int, close_cells: int) -> FloatArray:
    r""":math:`\log E[e^{\theta K}]` of the close alternations over the segment, for each theta of the grid."""
    p = (_pmf(segment.samples[0], delta, cells), _pmf(segment.samples[1], delta, cells))
    z = np.exp(_THETAS)[None, :]
    kernels = []
    for lab in (0, 1):
        repeat, alternate = _kernels(p[lab], p[1 - lab], cells)
        near = alternate.copy()
        near[:, close_cells + 1 :] = 0.0
        kernels.append((repeat, alternate - near, near))
    f = _start(segment, p, delta, _THETAS.size)
    log_scale = np.zeros(_THETAS.size)
    for _ in range(segment.labels.size - 1):
        new = [np.zeros_like(f[0]), np.zeros_like(f[1])]
        for lab in (0, 1):
            repeat, far, near = kernels[lab]
            new[lab] += repeat.T @ f[lab]
            new[1 - lab] += far.T @ f[lab] + (near.T @ f[lab]) * z
        scale = new[0].sum(axis=0) + new[1].sum(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        f = [new[0] / scale, new[1] / scale]
        log_scale += np.log(scale)
    out: FloatArray = np.log(np.maximum(f[0].sum(axis=0) + f[1].sum(axis=0), 1e-300)) + log_scale
    return out


@dataclass(frozen=True)
class PairTest:
    """One pair's statistics and test.

    Attributes
    ----------
    seats : tuple of int
    kind : str
        ``operator`` (p-value :math:`P_0(R \\le R_{obs})`) or ``lockstep`` (:math:`P_0(K \\ge K_{obs})`, bound).
    answers : tuple of int
        Counted answers of each seat.
    adjacencies, repeats, close : int
        :math:`m`, :math:`R`, :math:`K`.
    window_ms : float
        The close window :math:`w`.
    min_gap_ms : float
        The shortest time between answers of the two seats inside the counted segments.
    p_value : float
    """

    seats: tuple[int, int]
    kind: Kind
    answers: tuple[int, int]
    adjacencies: int
    repeats: int
    close: int
    window_ms: float
    min_gap_ms: float
    p_value: float

    @property
    def statistic(self) -> float:
        """Share of alternations :math:`1 - R/m` (operator) or of close answers :math:`K/\\min(n_a, n_b)`."""
        if self.kind == "operator":
            return 1.0 - self.repeats / max(self.adjacencies, 1)
        return self.close / max(min(self.answers), 1)


def _observed(segments: Sequence[_Segment], window: float) -> tuple[int, int, int, int, int, float]:
    m = r = k = n_a = n_b = 0
    min_gap = math.inf
    for seg in segments:
        lab, t = seg.labels, seg.times
        same = lab[1:] == lab[:-1]
        gaps = np.diff(t)
        m += lab.size - 1
        r += int(same.sum())
        k += int(np.sum(~same & (gaps <= window)))
        n_a += int(np.sum(lab[1:] == 0))
        n_b += int(np.sum(lab[1:] == 1))
        if np.any(~same):
            min_gap = min(min_gap, float(gaps[~same].min()))
    return m, r, k, n_a, n_b, min_gap


def operator_test(room: RoomAnswers, a: int, b: int, config: TimingConfig | None = None) -> PairTest:
    """Strict alternation of seats ``a`` and ``b``: :math:`P_0(R \\le R_{obs})` under the null chain."""
    config = config or TimingConfig()
    window = float(room.windows(config)[a, b])
    segments = _segments(room, a, b)
    m, r, k, n_a, n_b, min_gap = _observed(segments, window)
    p = 1.0
    if m:
        delta = _grid(segments, config.grid)
        dist = np.zeros(r + 1)
        dist[0] = 1.0
        for seg in segments:
            dist = np.convolve(dist, _repeat_distribution(seg, delta, config.grid, r))[: r + 1]
        p = float(min(max(dist.sum(), 0.0), 1.0))
    return PairTest((a, b), "operator", (n_a, n_b), m, r, k, window, min_gap, p)


def lockstep_test(room: RoomAnswers, a: int, b: int, config: TimingConfig | None = None) -> PairTest:
    """Answers of seats ``a`` and ``b`` close together: the Chernoff bound on :math:`P_0(K \\ge K_{obs})`."""
    config = config or TimingConfig()
    window = float(room.windows(config)[a, b])
    segments = _segments(room, a, b)
    m, r, k, n_a, n_b, min_gap = _observed(segments, window)
    p = 1.0
    if m and k:
        delta = _grid(segments, config.grid)
        close_cells = math.ceil(window / delta)
        log_mgf = sum((_close_log_mgf(seg, delta, config.grid, close_cells) for seg in segments), np.zeros(1))
        p = float(min(1.0, math.exp(min(0.0, float(np.min(log_mgf - _THETAS * k))))))
    return PairTest((a, b), "lockstep", (n_a, n_b), m, r, k, window, min_gap, p)


# --- one seat against others: the conditional test of a group ----------------------------------------------------


def _on_item(room: RoomAnswers, seat: int) -> list[tuple[float, float]]:
    """A seat's uninterrupted stretches on items: from the display of a run's first item to its last answer."""
    a, runs = room.arrival[seat], room.run[seat]
    if not a.size:
        return []
    starts = np.flatnonzero(np.diff(np.concatenate(([-1], runs))))
    ends = np.concatenate((starts[1:] - 1, [a.size - 1]))
    return list(zip(room.shown[seat][starts].tolist(), a[ends].tolist(), strict=True))


def _common(stretches: Sequence[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """The times every seat is on an item: the intersection of the seats' stretches."""
    out = list(stretches[0])
    for other in stretches[1:]:
        both, i, j = [], 0, 0
        while i < len(out) and j < len(other):
            lo, hi = max(out[i][0], other[j][0]), min(out[i][1], other[j][1])
            if hi > lo:
                both.append((lo, hi))
            if out[i][1] < other[j][1]:
                i += 1
            else:
                j += 1
        out = both
    return out


def _within(times: FloatArray, lo: float, hi: float) -> FloatArray:
    out: FloatArray = times[(times > lo) & (times <= hi)]
    return out


def _misfits(mine: FloatArray, refs: Sequence[tuple[float, int]], n_ref: int) -> tuple[int, int]:
    """Misfits of one seat against the others over a stretch, and its answers after the first: at each of its
    answers, one per other seat that has not answered since its previous answer; at each answer of another seat,
    one when that seat had already answered since (ties: the other seats' answers first)."""
    events = sorted([(t, 0, j) for t, j in refs] + [(float(t), 1, -1) for t in mine])
    seen: set[int] = set()
    started = False
    misfits = counted = 0
    for _, is_mine, j in events:
        if is_mine:
            if started:
                misfits += n_ref - len(seen)
                counted += 1
            seen.clear()
            started = True
        else:
            misfits += started and j in seen
            seen.add(j)
    return misfits, counted


@dataclass(frozen=True)
class _Stretch:
    lo: float
    hi: float
    age: float  # of the tested seat's item at ``lo``
    sample: FloatArray  # the tested seat's item times in its run
    refs: tuple[tuple[float, int], ...]  # the other seats' answers: (time, index among the others)


def _stretches(room: RoomAnswers, x: int, ref: Sequence[int]) -> tuple[list[_Stretch], int, int]:
    """The times every seat of ``x`` and ``ref`` is on an item, with ``x``'s observed misfits and counted answers."""
    out = []
    observed = counted = 0
    ax = room.arrival[x]
    for lo, hi in _common([_on_item(room, s) for s in (x, *ref)]):
        k = int(np.searchsorted(ax, lo, side="right"))  # x's item at ``lo`` is that of its next answer
        mine = _within(ax, lo, hi)
        if k >= ax.size or not mine.size:
            continue
        refs = tuple(sorted((float(t), j) for j, s in enumerate(ref) for t in _within(room.arrival[s], lo, hi)))
        m, c = _misfits(mine, refs, len(ref))
        observed += m
        counted += c
        out.append(_Stretch(lo, hi, lo - float(room.shown[x][k]), _sample(room, x, k), refs))
    return out, observed, counted


def _conditional_grid(stretches: Sequence[_Stretch], n_ref: int, cells_per_gap: int = 10) -> tuple[float, int]:
    """Grid step (ms) and longest age (cells) of a conditional test: ``cells_per_gap`` cells per expected gap
    between two answers of the group, ages up to the longest item time, at most 6 times the median."""
    samples = np.concatenate([st.sample for st in stretches])
    median = max(float(np.median(samples)), 1.0)
    delta = median / (cells_per_gap * (n_ref + 1))
    return delta, max(math.ceil(min(float(samples.max()), 6.0 * median) / delta), 2)


def _misfit_distribution(st: _Stretch, delta: float, cap: int, n_ref: int, width: int) -> FloatArray:
    """The null probabilities of 0..width-1 misfits over one stretch (see :func:`_conditional`)."""
    p = np.append(_pmf(st.sample, delta, cap), 0.0)
    alive = _tail(p, cap + 1)
    hazard = np.divide(p[1:], alive, out=np.ones(cap + 1), where=alive > 0)[:, None]
    ages = np.arange(cap + 1)
    steps = max(math.ceil((st.hi - st.lo) / delta), 1)
    at: dict[int, list[int]] = {}
    for t, j in st.refs:
        at.setdefault(min(max(round((t - st.lo) / delta), 1), steps), []).append(j)
    last = np.full(n_ref, -(10**9))
    f = np.zeros((2, cap + 1, width))  # (has answered in the stretch, age, misfits)
    f[0, min(max(round(st.age / delta - 0.5), 0), int(np.flatnonzero(p)[-1]) - 1), 0] = 1.0
    for t in range(steps):
        answer = f * hazard
        new = np.zeros_like(f)
        new[:, 1:] = (f - answer)[:, :-1]
        new[1, 0] += answer[0].sum(axis=0)  # the first answer in the stretch: nothing to fit yet
        silent = (ages[:, None] < t - last[None, :]).sum(axis=1)  # others silent since x's previous answer
        for n in np.unique(silent).tolist():
            if n < width:
                new[1, 0, n:] += answer[1][silent == n].sum(axis=0)[: width - n]
        f = new
        for j in at.get(t + 1, []):
            again = slice(max(t + 1 - int(last[j]), 0), cap + 1)  # j answered after x's previous answer
            moved = f[1, again].copy()
            f[1, again] = 0.0
            f[1, again, 1:] += moved[:, :-1]
            last[j] = t + 1
    out: FloatArray = f.sum(axis=(0, 1))
    return out


def _conditional(room: RoomAnswers, x: int, ref: Sequence[int]) -> tuple[int, int, float]:
    r"""Seat ``x`` against the fixed answer times of the seats ``ref``: (misfits, counted answers, p-value).

    A *misfit* (:func:`_misfits`) is a break of strict alternation between ``x`` and any one of the others; one
    person serving them all in a fixed cycle makes none, whatever the cycle's order. Under the null, ``x`` is a
    renewal process with its run's item times, independent of the others, whose timelines are taken as they are.
    On a grid of :math:`\Delta` = (median item time of ``x``) / (10 (k + 1)) ms, the others' answers at grid points
    and ``x``'s half a cell off (no ties), the state (``x`` has answered in the stretch, its age :math:`a`, misfits
    so far) is stepped cell by cell: ``x`` answers in a cell with the hazard :math:`p(a + 1) / S(a)`, adding a
    misfit per other seat silent since its previous answer; each answer of another seat adds one when that seat
    answered after ``x``'s previous answer. The p-value is :math:`P_0(\text{misfits} \le \text{observed})`,
    exact on the grid; stretches are convolved. Cost :math:`O(T\, A\, (M + k))` for :math:`T` cells of time,
    :math:`A` of age and :math:`M` observed misfits.
    """
    stretches, observed, counted = _stretches(room, x, ref)
    if not stretches:
        return observed, counted, 1.0
    delta, cap = _conditional_grid(stretches, len(ref))
    total = np.zeros(observed + 1)
    total[0] = 1.0
    for st in stretches:
        total = np.convolve(total, _misfit_distribution(st, delta, cap, len(ref), observed + 1))[: observed + 1]
    return observed, counted, float(min(max(total.sum(), 0.0), 1.0))


def _product_tail(c: float, n: int) -> float:
    """:math:`P(U_1 \\cdots U_n \\le c) = c \\sum_{i<n} (-\\ln c)^i / i!` for independent uniforms."""
    if c <= 0:
        return 0.0
    if c >= 1:
        return 1.0
    x = -math.log(c)
    return min(1.0, c * sum(x**i / math.factorial(i) for i in range(n)))


@dataclass(frozen=True)
class GroupTest:
    """The operator test of :math:`k \\ge 3` seats, in ascending order :math:`s_1 < \\dots < s_k`.

    Attributes
    ----------
    seats : tuple of int
    pair : PairTest
        :func:`operator_test` of :math:`s_1, s_2`.
    conditional : tuple of (int, int, float)
        For :math:`s_3, \\dots, s_k`: misfits against the seats before it, its counted answers, and the p-value
        given their timelines.
    p_value : float
        :math:`P(U_1 \\cdots U_{k-1} \\le p_{12} \\prod_j p_{j})`: each p-value is valid given the seats before it,
        so their product is at least a product of independent uniforms.
    """

    seats: tuple[int, ...]
    pair: PairTest
    conditional: tuple[tuple[int, int, float], ...]
    p_value: float


def group_test(room: RoomAnswers, seats: Sequence[int], config: TimingConfig | None = None) -> GroupTest:
    """One person answering for ``seats`` (3 or more): the pair test of the first two, then each further seat
    against the ones before it (:func:`_conditional`), combined."""
    order = tuple(sorted(int(s) for s in seats))
    if len(order) < 3 or len(set(order)) != len(order):
        raise ValueError("a group test needs three or more different seats")
    pair = operator_test(room, order[0], order[1], config)
    conditional = tuple(_conditional(room, s, order[:n]) for n, s in enumerate(order) if n >= 2)
    product = pair.p_value * math.prod(c[2] for c in conditional)
    return GroupTest(order, pair, conditional, _product_tail(product, len(order) - 1))


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
