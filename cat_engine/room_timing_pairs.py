"""The tests of one pair of seats, and of one seat against a group, with their null chains
(:mod:`cat_engine.room_timing`, docs/integrity-room.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .room_timing_data import (
    _MIN_RUN,
    _THETAS,
    FloatArray,
    IntArray,
    Kind,
    RoomAnswers,
    TimingConfig,
)

__all__ = ["GroupTest", "PairTest", "group_test", "lockstep_test", "operator_test"]

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
