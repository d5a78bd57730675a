r"""Simulated aberrant test-taking beside normal examinees, to measure the integrity statistics.

A battery is simulated for ``n`` examinees, some of whom behave in one of four aberrant ways (``cat-sim
--aberrance KIND:SHARE,...``); everyone else answers by the IRT model at their true ability and takes the time of
van der Linden's lognormal model at their speed (:mod:`cat_engine.response_time`).

Population. :math:`\theta \sim N(0, 1)` and the speed :math:`\tau \sim N(0, \sigma_\tau^2)` with
:math:`\sigma_\tau` = :data:`SPEED_SD`, independent. The subtests' abilities correlate as the battery's integrity
settings say (:math:`\rho`; the same ability in every subtest when :math:`\rho = 1`):
:math:`\theta_s = \sqrt\rho\, g + \sqrt{1-\rho}\, e_s` with :math:`g, e_s \sim N(0, 1)`.

Kinds:

``preknowledge``
    The examinee knows the :data:`KNOWN_SHARE` most exposed items of each pool (their exposure in a pilot run of
    normal examinees): on them the answer is the top category, and the log-time is :data:`KNOWN_SPEEDUP` below what
    the model gives (``exp(-1.2)``: 30 % of the time; reading and clicking the known answer). Other items: normal.
``rapid``
    Each answer is, with probability :data:`RAPID_SHARE`, a rapid guess: an option drawn uniformly, in a time
    with log-seconds :math:`N(\ln 2, 0.5^2)` (median 2 s, 95 % within 0.75-5.3 s).
``proxy``
    Another person, with ability and speed drawn independently from the population, answers from the start of a
    subtest drawn uniformly among the second to the last.
``operator``
    One person answers for :data:`OPERATOR_SEATS` seats of a room, one answer at a time
    (:mod:`cat_engine.simulate_rooms` lays out when).

The IRT draws of every examinee are made as for a normal one (:func:`cat_engine.simulate.simulate_subtest`'s
``respond`` hook replaces some of them), so the selection of normal examinees is unaffected by the others.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .battery import Battery, Subtest
from .draws import as_keys
from .response_time import TimeParams, simulate_log_times
from .simulate import SubtestSimulation, simulate_subtest

__all__ = [
    "KINDS",
    "KNOWN_SHARE",
    "KNOWN_SPEEDUP",
    "OPERATOR_SEATS",
    "RAPID_SHARE",
    "SPEED_SD",
    "AberrantBattery",
    "parse_mix",
    "simulate_aberrant_battery",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

KINDS = ("preknowledge", "rapid", "proxy", "operator")
NORMAL = "normal"
SPEED_SD = 0.3
KNOWN_SHARE = 0.2
KNOWN_SPEEDUP = 1.2
RAPID_SHARE = 0.3
RAPID_LOG_MEAN = math.log(2.0)
RAPID_LOG_SD = 0.5
OPERATOR_SEATS = 4
PILOT_EXAMINEES = 2000
PILOT_STREAM = 2**20  # the pilot's keys: (seed, subtest index + PILOT_STREAM), apart from the examinees' own

# Answer modes recorded per (examinee, position): how the answer was produced.
MODE_MODEL, MODE_RAPID, MODE_KNOWN = 0, 1, 2


def parse_mix(text: str) -> dict[str, float]:
    """``"preknowledge:0.05,rapid:0.05"`` as ``{kind: share}``; raises ValueError naming the bad part."""
    mix: dict[str, float] = {}
    for part in text.split(","):
        kind, sep, share_text = part.strip().partition(":")
        if not sep or kind not in KINDS:
            raise ValueError(f"{part.strip()!r}: expected KIND:SHARE with KIND one of {', '.join(KINDS)}")
        try:
            share = float(share_text)
        except ValueError:
            raise ValueError(f"{part.strip()!r}: the share is not a number") from None
        if not 0 < share < 1 or kind in mix:
            raise ValueError(f"{part.strip()!r}: the share must be in (0, 1), each kind once")
        mix[kind] = share
    if sum(mix.values()) >= 1:
        raise ValueError("the shares add up to 1 or more: no normal examinee is left to measure false alarms")
    return mix


@dataclass(frozen=True)
class AberrantBattery:
    """The simulated battery: per subtest the simulation, the log-seconds and answer modes; per examinee the kind.

    Attributes
    ----------
    kinds : ndarray of str, shape (N,)
        ``"normal"`` or one of :data:`KINDS`.
    results : list of SubtestSimulation
    log_times : list of ndarray, shape (N, max_items)
        Log-seconds of each answer as the examinee took it (NaN after the end, or on untimed pools); for operator
        seats the seat's own time is set by :mod:`cat_engine.simulate_rooms`.
    modes : list of ndarray of int, shape (N, max_items)
        :data:`MODE_MODEL`, :data:`MODE_RAPID` or :data:`MODE_KNOWN` per answer.
    switch : ndarray of int, shape (N,)
        The subtest a proxy takes over at (-1 for everyone else).
    operator_group : ndarray of int, shape (N,)
        The operator group of an operator seat (-1 for everyone else).
    """

    kinds: npt.NDArray[np.str_]
    results: list[SubtestSimulation]
    log_times: list[FloatArray]
    modes: list[IntArray]
    switch: IntArray
    operator_group: IntArray
    speed: FloatArray


def _assign_kinds(n: int, mix: Mapping[str, float], rng: np.random.Generator) -> npt.NDArray[np.str_]:
    """Each examinee's kind, in random order; the operator seats are a multiple of :data:`OPERATOR_SEATS`."""
    kinds = np.full(n, NORMAL, dtype="<U12")
    start = 0
    for kind in KINDS:
        count = round(mix.get(kind, 0.0) * n)
        if kind == "operator":
            count -= count % OPERATOR_SEATS
        kinds[start : start + count] = kind
        start += count
    if start >= n:
        raise ValueError("no normal examinee is left")
    shuffled: npt.NDArray[np.str_] = kinds[rng.permutation(n)]
    return shuffled


def _operator_groups(kinds: npt.NDArray[np.str_]) -> IntArray:
    """Operator seats in groups of :data:`OPERATOR_SEATS`, in order of appearance."""
    group = np.full(kinds.shape[0], -1, dtype=np.intp)
    seats = np.flatnonzero(kinds == "operator")
    group[seats] = np.arange(seats.size) // OPERATOR_SEATS
    return group


def _known_items(subtest: Subtest, keys: npt.NDArray[np.uint64], rng: np.random.Generator) -> npt.NDArray[np.bool_]:
    """The :data:`KNOWN_SHARE` most exposed items of the pool among normal examinees (a pilot run)."""
    pilot = simulate_subtest(subtest, rng.standard_normal(keys.shape[0]), rng, keys=keys)
    exposure = pilot.exposure
    n_known = max(1, round(KNOWN_SHARE * subtest.pool.size))
    known = np.zeros(subtest.pool.size, dtype=bool)
    known[np.argsort(-exposure, kind="stable")[:n_known]] = True
    return known


def _abilities(n: int, n_subtests: int, rho: float, rng: np.random.Generator) -> FloatArray:
    common = rng.standard_normal(n)
    if rho >= 1.0:
        return np.repeat(common[:, None], n_subtests, axis=1)
    unique = rng.standard_normal((n, n_subtests))
    out: FloatArray = math.sqrt(rho) * common[:, None] + math.sqrt(1.0 - rho) * unique
    return out


class _Responder:
    """The ``respond`` hook of one subtest: rapid guesses and known items replace the model's draws."""

    def __init__(
        self, subtest: Subtest, kinds: npt.NDArray[np.str_], known: npt.NDArray[np.bool_], rng: np.random.Generator
    ) -> None:
        shape = (kinds.shape[0], subtest.stopping.max_items)
        self.pool = subtest.pool
        self.known = known
        self.knows = kinds == "preknowledge"
        self.guess = (rng.random(shape) < RAPID_SHARE) & (kinds == "rapid")[:, None]
        self.option_draw = rng.random(shape)
        self.n_options = np.asarray(subtest.pool.option_counts, dtype=np.intp)
        self.mode = np.full(shape, MODE_MODEL, dtype=np.intp)

    def __call__(self, rows: IntArray, position: int, chosen: IntArray, drawn: IntArray) -> IntArray:
        out = drawn.copy()
        guess = self.guess[rows, position]
        if guess.any():
            items = chosen[guess]
            n_opt = self.n_options[items]
            option = np.minimum((self.option_draw[rows[guess], position] * n_opt).astype(np.intp), n_opt - 1)
            out[guess] = self.pool.scoring[items, option]
            self.mode[rows[guess], position] = MODE_RAPID
        knew = self.knows[rows] & self.known[chosen] & ~guess
        if knew.any():
            out[knew] = self.pool.params.n_categories[chosen[knew]] - 1
            self.mode[rows[knew], position] = MODE_KNOWN
        return out


def simulate_aberrant_battery(
    battery: Battery,
    examinees: int,
    seed: int,
    mix: Mapping[str, float],
    ability_correlation: float = 1.0,
    progress: Callable[[str, int, int], None] | None = None,
    pilot: int = PILOT_EXAMINEES,
) -> AberrantBattery:
    """Simulate ``battery`` for ``examinees`` people of whom shares ``mix`` are aberrant (module docstring);
    ``pilot`` normal examinees per subtest find the most exposed items first."""
    rng = np.random.default_rng(seed)
    n, n_sub = examinees, len(battery.subtests)
    if "proxy" in mix and n_sub < 2:
        raise ValueError("a proxy needs a battery of at least two subtests")
    kinds = _assign_kinds(n, mix, rng)
    theta = _abilities(n, n_sub, ability_correlation, rng)
    speed = rng.normal(0.0, SPEED_SD, n)
    proxy = kinds == "proxy"
    switch = np.where(proxy, rng.integers(1, max(n_sub, 2), n), -1).astype(np.intp)
    stand_in_theta = _abilities(n, n_sub, ability_correlation, rng)
    stand_in_speed = rng.normal(0.0, SPEED_SD, n)
    group = _operator_groups(kinds)
    seats = group >= 0
    operator_theta = _abilities(int(group.max()) + 1, n_sub, ability_correlation, rng)
    operator_speed = rng.normal(0.0, SPEED_SD, int(group.max()) + 1)
    seeds = rng.integers(0, 2**62, size=n, dtype=np.int64).astype(np.uint64)

    results, log_times, modes = [], [], []
    for index, sub in enumerate(battery.subtests):
        taken_over = proxy & (switch <= index)
        truth = np.where(taken_over, stand_in_theta[:, index], theta[:, index])
        tau = np.where(taken_over, stand_in_speed, speed)
        truth[seats] = operator_theta[group[seats], index]
        tau[seats] = operator_speed[group[seats]]
        pilot_keys = as_keys([[int(s), index + PILOT_STREAM] for s in seeds[:pilot]])
        responder = _Responder(sub, kinds, _known_items(sub, pilot_keys, rng), rng)
        keys = np.stack([seeds, np.full_like(seeds, index)], axis=1)
        report = None if progress is None else _reporter(progress, sub.name)
        result = simulate_subtest(sub, truth, rng, report, keys, responder)
        results.append(result)
        modes.append(responder.mode)
        log_times.append(_log_times(sub, result, responder.mode, tau, rng))
    return AberrantBattery(kinds, results, log_times, modes, switch, group, speed)


def _reporter(progress: Callable[[str, int, int], None], name: str) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        progress(name, done, total)

    return report


def _log_times(
    subtest: Subtest, result: SubtestSimulation, mode: IntArray, tau: FloatArray, rng: np.random.Generator
) -> FloatArray:
    """Log-seconds of every answer by the lognormal model, rapid guesses and known items (module docstring)."""
    out = np.full(result.items.shape, np.nan)
    given = result.items >= 0
    pool = subtest.pool
    rows, cols = np.nonzero(given)
    items = result.items[rows, cols]
    timed = pool.timed[items]
    rows, cols, items = rows[timed], cols[timed], items[timed]
    params = TimeParams(pool.time_beta[items], pool.time_alpha[items])
    drawn = simulate_log_times(params, tau[rows], rng)
    drawn[mode[rows, cols] == MODE_KNOWN] -= KNOWN_SPEEDUP
    rapid = mode[rows, cols] == MODE_RAPID
    drawn[rapid] = rng.normal(RAPID_LOG_MEAN, RAPID_LOG_SD, int(rapid.sum()))
    out[rows, cols] = drawn
    return out
