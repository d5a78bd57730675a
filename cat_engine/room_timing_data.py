"""The answers of a room's seats and the counts every timing statistic reads (:mod:`cat_engine.room_timing`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = ["PairCounts", "RoomAnswers", "TimingConfig", "expected_repeat_share", "pair_counts", "seat_pair_counts"]

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
