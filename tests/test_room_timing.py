"""cat_engine.room_timing: counts against brute force, the null chain against Monte Carlo of its own model, p-values
of independent seats, power on operator groups and lockstep pairs, and the edge cases.

The simulated seats follow van der Linden's lognormal model with per-seat speed and per-item intensity (real-time
scale: medians of 40, 25 and 30 s in three subtests, intros of 5-60 s, everyone starting together), or the load
generator's timing (median 3 s, sigma 0.5, intros of 0.5-2 s). An operator is one queue: it serves the oldest
waiting item or intro of its four seats, thinking a lognormal time for each item.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Sequence

import numpy as np
import pytest

from cat_engine import room_timing as rt
from cat_engine import room_timing_data as rtd
from cat_engine import room_timing_pairs as rtp
from cat_engine.room_timing import (
    GroupTest,
    PairCounts,
    PairTest,
    RoomAnswers,
    TimingConfig,
    group_test,
    lockstep_test,
    operator_test,
    pair_counts,
    room_timing,
    seat_pair_counts,
)

Seat = tuple[np.ndarray, np.ndarray]
REAL = {"medians": (40000.0, 25000.0, 30000.0), "intro": (5000.0, 60000.0), "tau_sd": 0.3, "beta_sd": 0.3}
LOAD = {"medians": (3000.0,) * 3, "intro": (500.0, 2000.0), "tau_sd": 0.0, "beta_sd": 0.0}


def seat(
    rng: np.random.Generator,
    medians: Sequence[float] = REAL["medians"],  # type: ignore[assignment]
    intro: tuple[float, float] = (5000.0, 60000.0),
    tau_sd: float = 0.3,
    beta_sd: float = 0.3,
    sigma: float = 0.5,
    lengths: Sequence[int] | None = None,
) -> Seat:
    """One independent seat: arrival times and response_ms (ms), starting at 0 with the room."""
    tau = tau_sd * rng.standard_normal()
    lengths = rng.integers(12, 30, len(medians)).tolist() if lengths is None else lengths
    t = rng.uniform(*intro)
    arrival, response = [], []
    for median, n in zip(medians, lengths, strict=False):  # fewer lengths: fewer subtests
        t += rng.uniform(*intro)
        for _ in range(n):
            d = median * np.exp(-tau + beta_sd * rng.standard_normal() + sigma * rng.standard_normal())
            t += d
            arrival.append(t)
            response.append(d)
    return np.round(arrival), np.round(response)


def operator_group(
    rng: np.random.Generator, think: float, intro: tuple[float, float], k: int = 4, lengths: int | None = None
) -> list[Seat]:
    """``k`` seats answered by one person: a FIFO queue of their intros and items, one at a time."""
    plans = []
    for _ in range(k):
        sizes = rng.integers(12, 30, 3).tolist() if lengths is None else [lengths]
        plans.append(["intro"] + [job for n in sizes for job in ["intro"] + ["item"] * n])
    step = [0] * k
    queue = [(0.0, s) for s in range(k)]
    busy = 0.0
    arrival: list[list[float]] = [[] for _ in range(k)]
    response: list[list[float]] = [[] for _ in range(k)]
    while queue:
        ready, s = heapq.heappop(queue)
        job = plans[s][step[s]]
        busy = max(ready, busy) + (rng.uniform(*intro) if job == "intro" else think * np.exp(0.5 * rng.normal()))
        if job == "item":
            arrival[s].append(busy)
            response[s].append(busy - ready)
        step[s] += 1
        if step[s] < len(plans[s]):
            heapq.heappush(queue, (busy, s))
    return [(np.round(a), np.round(r)) for a, r in zip(arrival, response, strict=True)]


def lockstep_pair(rng: np.random.Generator, **timing: object) -> list[Seat]:
    """Two seats fed by one source: each answers 0.3-1.5 s after the source, in either order."""
    source, response = seat(rng, **timing)  # type: ignore[arg-type]
    out = []
    for _ in range(2):
        a = np.maximum.accumulate(source + rng.uniform(300.0, 1500.0, source.size))
        out.append((np.round(a), np.round(np.diff(np.concatenate(([a[0] - response[0]], a))))))
    return out


def answers(seats: Sequence[Seat]) -> RoomAnswers:
    return RoomAnswers.of([a for a, _ in seats], [r for _, r in seats])


# --- counts ------------------------------------------------------------------------------------------------------


def _brute(room: RoomAnswers, a: int, b: int, window: float) -> dict[int, list[int]]:
    """The definition, pair by pair: merge (ties: the lower seat first); an adjacency counts when the later answer's
    item was shown by the time of the earlier one, and so was the item the other seat answers next."""
    events = sorted(
        [(t, a, i) for i, t in enumerate(room.arrival[a])] + [(t, b, i) for i, t in enumerate(room.arrival[b])]
    )
    out = {a: [0, 0, 0], b: [0, 0, 0]}
    for k in range(1, len(events)):
        (t0, s0, _), (t1, s1, i1) = events[k - 1], events[k]
        other = a + b - s1
        later = [i for _, s, i in events[k + 1 :] if s == other]
        if room.shown[s1][i1] <= t0 and later and room.shown[other][later[0]] <= t0:
            out[s1][0] += 1
            out[s1][1] += s0 == s1
            out[s1][2] += s0 != s1 and t1 - t0 <= window
    return out


def _small_room() -> RoomAnswers:
    rng = np.random.default_rng(5)
    seats = [seat(rng, lengths=(8, 6, 9)) for _ in range(5)]
    seats += operator_group(rng, 7500.0, (5000.0, 60000.0), lengths=12)
    a, r = seats[0]
    r = r.copy()
    r[10] -= 20000.0  # a pause: the item was shown 20 s after the answer before
    seats[0] = (a, r)
    seats.append((seats[1][0].copy(), seats[1][1].copy()))  # identical timestamps
    seats.append((np.array([1000.0]), np.array([900.0])))  # one answer
    seats.append((np.zeros(0), np.zeros(0)))  # none
    return answers(seats)


def test_counts_match_the_definition() -> None:
    room = _small_room()
    config = TimingConfig()
    counts = pair_counts(room, config)
    windows = room.windows(config)
    for a in range(room.n_seats):
        for b in range(a + 1, room.n_seats):
            want = _brute(room, a, b, windows[a, b])
            got = {
                s: [int(m[s, o]) for m in (counts.adjacencies, counts.repeats, counts.close)]
                for s, o in ((a, b), (b, a))
            }
            assert got == want, (a, b)
    assert counts.adjacencies[5:9, 5:9].sum() > 0 and counts.repeats[5:9, 5:9].sum() == 0  # the operator's seats


def test_one_seats_counts_are_its_row_and_column() -> None:
    room = _small_room()
    counts = pair_counts(room)
    for s in range(room.n_seats):
        row_m, row_r, row_k, col_m, col_r, col_k = seat_pair_counts(room, s)
        assert np.array_equal(row_m, counts.adjacencies[s]) and np.array_equal(col_m, counts.adjacencies[:, s])
        assert np.array_equal(row_r, counts.repeats[s]) and np.array_equal(col_r, counts.repeats[:, s])
        assert np.array_equal(row_k, counts.close[s]) and np.array_equal(col_k, counts.close[:, s])


def test_breaks_and_runs() -> None:
    room = RoomAnswers.of([[1000, 2000, 3000, 9000, 10000]], [[700, 1000, 1040, 2000, 1000]], break_tolerance_ms=50)
    # 3000 - 1040 = 1960 is within 50 ms of 2000: no break; 9000 - 2000 = 7000 is a break (an intro, a pause)
    assert room.shown[0].tolist() == [300, 1000, 2000, 7000, 9000]
    assert room.run[0].tolist() == [0, 0, 0, 1, 1]


@pytest.mark.parametrize(
    ("arrival", "response", "match"),
    [
        ([[2, 1]], [[1, 1]], "time order"),
        ([[1, 2]], [[1, -1]], "non-negative"),
        ([[1, 2]], [[1]], "response times"),
        ([[1, np.nan]], [[1, 1]], "finite"),
        ([[1]], [], "per seat"),
    ],
)
def test_bad_arrays_are_refused(arrival: list[list[float]], response: list[list[float]], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        RoomAnswers.of(arrival, response)


def test_bad_config_is_refused() -> None:
    with pytest.raises(ValueError):
        TimingConfig(alpha=0)
    with pytest.raises(ValueError):
        TimingConfig(max_repeat_share=1.0)
    with pytest.raises(ValueError):
        TimingConfig(lockstep_window_ms=-1)


# --- the null chain ----------------------------------------------------------------------------------------------


def _chain_model_draws(
    segment: rtp._Segment, delta: float, cells: int, n: int, window_cells: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The chain's model simulated directly: item times from the grid probabilities, the second seat's clock half a
    cell after the first's, the first answer and the other seat's age as observed. Repeats and close alternations."""
    p = [rtp._pmf(s, delta, cells) for s in segment.samples]
    first = int(segment.labels[0])
    age = min(round(segment.age / delta - 0.5), int(np.flatnonzero(p[1 - first])[-1]) - 1)
    cells_ = np.arange(cells + 1)
    rest = rng.choice(cells_, size=80 * n, p=p[1 - first])
    rest = rest[rest > age][:n]  # the other seat's item time, given it has lasted longer than its age
    nxt = [np.zeros(n), np.zeros(n)]
    nxt[first] = rng.choice(cells_, size=n, p=p[first]).astype(float)
    nxt[1 - first] = rest - (age + 0.5)
    last, now = np.full(n, first), np.zeros(n)
    repeats, close = np.zeros(n, int), np.zeros(n, int)
    for _ in range(segment.labels.size - 1):
        lab = (nxt[1] < nxt[0]).astype(int)
        t = np.minimum(nxt[0], nxt[1])
        repeats += lab == last
        close += (lab != last) & (t - now <= window_cells + 0.5)
        for s in (0, 1):
            sel = lab == s
            nxt[s][sel] += rng.choice(cells_, size=int(sel.sum()), p=p[s])
        last, now = lab, t
    return repeats, close


def _long_segment() -> rtp._Segment:
    rng = np.random.default_rng(11)
    room = answers([seat(rng, lengths=(25,)) for _ in range(2)])
    return max(rtp._segments(room, 0, 1), key=lambda s: s.labels.size)


def test_repeat_distribution_is_its_models() -> None:
    segment, cells, n = _long_segment(), 40, 40_000
    delta = rtp._grid([segment], cells)
    exact = np.cumsum(rtp._repeat_distribution(segment, delta, cells, 14))
    repeats, _ = _chain_model_draws(segment, delta, cells, n, 0, np.random.default_rng(3))
    observed = np.array([(repeats <= k).mean() for k in range(15)])
    # Monte Carlo error: 4.5 binomial standard errors (seeded, so a fixed check), plus 1e-4 for the empty cells
    assert np.all(np.abs(observed - exact) <= 4.5 * np.sqrt(exact * (1 - exact) / n) + 1e-4), (observed, exact)
    assert 0 < exact[0] < exact[-1] < 1


def test_close_generating_function_is_its_models() -> None:
    segment, cells, n = _long_segment(), 40, 40_000
    delta = rtp._grid([segment], cells)
    window_cells = 3
    log_mgf = rtp._close_log_mgf(segment, delta, cells, window_cells)
    _, close = _chain_model_draws(segment, delta, cells, n, window_cells, np.random.default_rng(4))
    for theta, exact in zip(rtd._THETAS[:4], log_mgf[:4], strict=True):
        values = np.exp(theta * close)
        # the mean of exp(theta K) within 4.5 standard errors of the simulation
        assert abs(values.mean() - np.exp(exact)) <= 4.5 * values.std() / np.sqrt(n), theta
    for k in range(1, 8):  # and the Chernoff bound is above the simulated tail
        bound = min(1.0, float(np.exp(np.min(log_mgf - rtd._THETAS * k))))
        assert (close >= k).mean() <= bound + 4.5 * np.sqrt(bound * (1 - bound) / n) + 1e-4


def test_conditional_misfits_are_their_models() -> None:
    """The conditional chain against its grid model simulated directly: the tested seat's item times from the grid
    probabilities (its first answer given its observed age), half a cell off the others' answers."""
    rng = np.random.default_rng(13)
    room = answers([seat(rng, lengths=(25,)) for _ in range(3)])
    stretches, _, _ = rtp._stretches(room, 2, [0, 1])
    st = max(stretches, key=lambda x: x.hi - x.lo)
    delta, cap = rtp._conditional_grid([st], 2)
    exact = np.cumsum(rtp._misfit_distribution(st, delta, cap, 2, 25))
    n = 20_000
    p = np.append(rtp._pmf(st.sample, delta, cap), 0.0)
    age = min(max(round(st.age / delta - 0.5), 0), int(np.flatnonzero(p)[-1]) - 1)
    steps = max(int(np.ceil((st.hi - st.lo) / delta)), 1)
    draws = rng.choice(p.size, size=40 * n, p=p)
    first = draws[draws > age][:n] - age - 0.5
    times = first[:, None] + np.concatenate([np.zeros((n, 1)), np.cumsum(rng.choice(p.size, (n, 120), p=p), 1)], 1)
    times = np.where(times < steps, times, np.inf)  # answers after the stretch do not count
    misfits = np.zeros(n, dtype=int)
    for j in (0, 1):
        marks = np.array([min(max(round((t - st.lo) / delta), 1), steps) for t, k in st.refs if k == j], dtype=float)
        before = np.searchsorted(marks, times)  # the other seat's answers before each answer of the tested seat
        counts = np.diff(before, axis=1)
        valid = np.isfinite(times)
        closed = valid[:, 1:]
        misfits += np.sum(closed & (counts == 0), axis=1) + np.sum(closed * np.maximum(counts - 1, 0), axis=1)
        tail_start = np.where(valid.any(axis=1), before[np.arange(n), valid.sum(axis=1) - 1], marks.size)
        misfits += np.maximum(marks.size - tail_start - 1, 0) * valid.any(axis=1)
    observed = np.array([(misfits <= k).mean() for k in range(25)])
    # 4.5 binomial standard errors of the simulation (seeded), plus 1e-4 for the empty cells
    assert np.all(np.abs(observed - exact) <= 4.5 * np.sqrt(exact * (1 - exact) / n) + 1e-4), (observed, exact)
    assert exact[0] < 0.01 < exact[-1]


def test_product_of_p_values() -> None:
    rng = np.random.default_rng(2)
    products = rng.random((200_000, 3)).prod(axis=1)
    for c in (1e-3, 1e-2, 0.1):
        assert rtp._product_tail(c, 1) == pytest.approx(c)
        assert rtp._product_tail(c, 2) == pytest.approx(c * (1 - np.log(c)))
        share = (products <= c).mean()  # 4.5 binomial standard errors of the simulation
        assert abs(share - rtp._product_tail(c, 3)) <= 4.5 * np.sqrt(share * (1 - share) / products.size) + 1e-5
    assert rtp._product_tail(0.0, 3) == 0.0 and rtp._product_tail(1.0, 3) == 1.0


def test_maximal_cliques() -> None:
    rng = np.random.default_rng(8)
    for _ in range(20):
        n = 9
        edges = np.triu(rng.random((n, n)) < 0.5, 1)
        graph: dict[int, set[int]] = {}
        for a, b in np.argwhere(edges).tolist():
            graph.setdefault(a, set()).add(b)
            graph.setdefault(b, set()).add(a)
        nodes = sorted(graph)

        cliques = [
            c
            for k in range(1, len(nodes) + 1)
            for c in itertools.combinations(nodes, k)
            if all(b in graph[a] for a, b in itertools.combinations(c, 2))
        ]
        maximal = {c for c in cliques if not any(set(c) < set(d) for d in cliques)}
        assert set(rt._cliques(graph)) == maximal


# --- p-values of independent seats, and flags --------------------------------------------------------------------


def _most(n: int, u: float, level: float = 0.999) -> int:
    """The ``level`` quantile of Binomial(n, u): more p-values below u than this would reject validity."""
    total = 0.0
    for k in range(n + 1):
        total += math.comb(n, k) * u**k * (1 - u) ** (n - k)
        if total >= level:
            return k
    return n


def test_operator_p_values_of_independent_seats_are_valid() -> None:
    """P(p <= u) <= u for pairs of independent seats (real timing, same start): the null model is not assumed."""
    rng = np.random.default_rng(7)
    n = 40
    rooms = [answers([seat(rng, lengths=(14, 14)) for _ in range(2)]) for _ in range(n)]
    values = np.array([operator_test(room, 0, 1).p_value for room in rooms])
    for u in (0.05, 0.2):
        assert (values <= u).sum() <= _most(n, u), (u, np.sort(values)[:10])
    assert values.max() > 0.3  # not everything is small


def test_conditional_p_values_of_independent_seats_are_valid() -> None:
    rng = np.random.default_rng(9)
    n = 24
    values = []
    for _ in range(n):
        room = answers([seat(rng, lengths=(12, 12)) for _ in range(3)])
        values.append(rtp._conditional(room, 2, [0, 1])[2])
    for u in (0.05, 0.2):
        assert (np.array(values) <= u).sum() <= _most(n, u), (u, sorted(values)[:8])
    with pytest.raises(ValueError, match="three or more"):
        group_test(room, [0, 1])


@pytest.mark.parametrize("timing", [REAL, LOAD], ids=["real", "load-test"])
def test_independent_rooms_raise_no_flag(timing: dict[str, object]) -> None:
    """Two rooms of 150 independent seats: no flag. Each room falsely flags anything with probability at most
    alpha = 0.01 (Bonferroni), so this fails for a given seed with probability at most 0.02."""
    for r in range(2):
        rng = np.random.default_rng([21, r])
        result = room_timing(answers([seat(rng, **timing) for _ in range(150)]))  # type: ignore[arg-type]
        assert result.flags == (), result.flags
        assert result.eligible_seats == 150
        assert all(t.p_value > result.thresholds[t.kind] for t in result.tested if isinstance(t, PairTest))


@pytest.mark.parametrize(("timing", "think"), [(REAL, 7500.0), (LOAD, 750.0)], ids=["real", "load-test"])
def test_an_operator_group_is_flagged_and_its_neighbours_are_not(timing: dict[str, object], think: float) -> None:
    for r in range(2):
        rng = np.random.default_rng([31, r])
        seats = [seat(rng, **timing) for _ in range(60)]  # type: ignore[arg-type]
        seats += operator_group(rng, think, timing["intro"])  # type: ignore[arg-type]
        result = room_timing(answers(seats))
        assert all(f.kind == "operator" and set(f.seats) <= {60, 61, 62, 63} for f in result.flags), result.flags
        assert len(result.flags) == 1  # the group, never split in two
        flag = result.flags[0]
        assert flag.seats == (60, 61, 62, 63)
        assert flag.p_value <= flag.threshold and flag.statistic >= 0.9
        groups = [e for e in flag.evidence if isinstance(e, GroupTest)]
        assert groups and all(g.p_value <= result.thresholds["operator4"] for g in groups)
        assert all(c[0] == 0 for g in groups for c in g.conditional)  # no misfit
        assert all(t.repeats == 0 and t.min_gap_ms > 0 for t in flag.evidence if isinstance(t, PairTest))


def test_expected_repeat_share_matches_independent_seats() -> None:
    """The screen's stationary expectation against the repeats independent seats make (one run each, so the
    expectation's run scaling is exact); mean over 60 pairs within 10 %, a few standard errors of the mean."""
    rng = np.random.default_rng(17)
    seats = [seat(rng, medians=(30000.0,), lengths=(120,), tau_sd=0.0, beta_sd=0.0) for _ in range(12)]
    room = answers(seats)
    counts = pair_counts(room)
    rho = rt.expected_repeat_share(room)
    upper = np.triu_indices(12, 1)
    observed = PairCounts.total(counts.repeats)[upper] / PairCounts.total(counts.adjacencies)[upper]
    assert observed.mean() == pytest.approx(rho[upper].mean(), rel=0.1)
    assert 0.15 < rho[upper].mean() < 0.35 and np.allclose(rho, rho.T)


def test_a_steady_room_is_bounded_work_and_no_flag() -> None:
    """Everyone at one steady pace (sigma 0.15, no speed differences) alternates a lot by itself: the screens and
    the budgets keep the tests few, and none passes."""
    rng = np.random.default_rng(19)
    result = room_timing(answers([seat(rng, sigma=0.15, tau_sd=0.0, beta_sd=0.0) for _ in range(100)]))
    assert result.flags == ()
    pairs = [t for t in result.tested if isinstance(t, PairTest)]
    assert len(pairs) <= 2 * rtd._MAX_PAIR_TESTS and len(result.tested) - len(pairs) <= rtd._MAX_GROUP_TESTS


def test_a_lockstep_pair_is_flagged_as_lockstep() -> None:
    rng = np.random.default_rng(41)
    seats = [seat(rng) for _ in range(40)] + lockstep_pair(rng, **REAL)
    result = room_timing(answers(seats))
    assert [(f.kind, f.seats) for f in result.flags] == [("lockstep", (40, 41))]
    test = result.flags[0].evidence[0]
    assert isinstance(test, PairTest) and test.statistic >= 0.9 and test.p_value < 1e-20
    assert lockstep_test(answers(seats), 0, 1).p_value > 0.01


def test_identical_timestamps_are_lockstep_not_operator() -> None:
    rng = np.random.default_rng(43)
    twin = seat(rng)
    seats = [seat(rng) for _ in range(10)] + [twin, (twin[0].copy(), twin[1].copy())]
    result = room_timing(answers(seats))
    assert [(f.kind, f.seats) for f in result.flags] == [("lockstep", (10, 11))]
    test = result.flags[0].evidence[0]
    assert isinstance(test, PairTest) and test.min_gap_ms == 0


def test_nothing_is_flagged_before_the_minimum_of_answers() -> None:
    rng = np.random.default_rng(47)
    group = answers(operator_group(rng, 7500.0, (5000.0, 60000.0), lengths=45))
    early = room_timing(group, config=TimingConfig(min_answers=50))
    assert early.flags == () and early.eligible_seats == 0 and early.tested == ()
    assert max(operator_test(group, 0, s).p_value for s in (1, 2, 3)) < 1e-4  # the pattern is there, not yet flagged
    later = room_timing(group, config=TimingConfig(min_answers=20))
    assert [(f.kind, f.seats) for f in later.flags] == [("operator", (0, 1, 2, 3))]


def test_empty_and_tiny_rooms() -> None:
    assert room_timing([], []).flags == ()
    result = room_timing([[1.0], []], [[1.0], []])
    assert result.flags == () and result.tested == ()
    assert PairCounts.total(result.counts.adjacencies).sum() == 0
    with pytest.raises(ValueError, match="response_ms"):
        room_timing([[1.0]])
