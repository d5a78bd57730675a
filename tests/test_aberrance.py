"""Tests of :mod:`cat_engine.aberrance`: the screening of a session over synthetic timed pools.

Normal examinees answer by the IRT model at their ability and take lognormal times at their speed
(:math:`\\tau \\sim N(0, 0.3^2)`); aberrant ones are built as in the simulation study of ``docs/integrity.md``
(rapid guesses, known items answered correctly and fast, a stand-in from a later subtest on). Items are drawn at
random from each pool rather than adaptively: the null distributions of the response-time statistics hold given the
responses whatever chose the items, and the adaptive case is measured on the demo battery in the docs.

Rates are measured on a fixed seed; bounds are four binomial standard deviations from the nominal rate (or, for
power, below the measured one), so a correct screening passes them and a miscalibrated one does not.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import pytest

from cat_engine.aberrance import KINDS, IntegrityConfig, Screening, SubtestData, screen
from cat_engine.battery import Battery, Subtest
from cat_engine.estimation import EstimatorConfig, LogLikTable, estimate
from cat_engine.irt import category_probabilities
from cat_engine.pool import Pool
from cat_engine.session import Phase, SessionState, SubtestRecord
from cat_engine.session_integrity import screen_session, session_subtests
from cat_engine.stopping import StopReason

FloatArray = npt.NDArray[np.float64]
RHO = 1.0  # the abilities of the subtests agree, as in the simulation study's default
LENGTHS = (12, 15, 14)


def _pool(rng: np.random.Generator, pool_id: str, graded: bool, n: int = 60, timed: bool = True) -> Pool:
    items: list[dict[str, Any]] = []
    for i in range(n):
        item: dict[str, Any] = {"id": f"{pool_id}-{i}", "content_area": "A", "stem": "s"}
        if graded:
            steps = sorted(rng.normal(0.0, 1.0, 3).round(3).tolist())
            item |= {"model": "GPCM", "params": {"a": round(rng.uniform(0.6, 1.4), 3), "b": steps}}
            item |= {"options": ["w", "x", "y", "z"], "option_weights": [1, 2, 3, 4]}
        else:
            params = {"a": round(rng.uniform(0.8, 2.0), 3), "b": round(rng.normal(), 3), "c": 0.2}
            item |= {"model": "3PL", "params": params, "options": ["w", "x", "y", "z", "v"], "key": 0}
        if timed:
            item["time"] = {"beta": round(rng.normal(3.8, 0.3), 3), "alpha": round(rng.uniform(1.5, 2.5), 3)}
        items.append(item)
    data = {
        "format_version": 1,
        "pool_id": pool_id,
        "pool_version": "1",
        "name": pool_id,
        "calibration": {"note": "synthetic, for tests"},
        "content_areas": ["A"],
        "items": items,
    }
    return Pool.from_dict(data)


@pytest.fixture(scope="module")
def pools() -> tuple[Pool, ...]:
    rng = np.random.default_rng(7)
    return (_pool(rng, "sjt", True), _pool(rng, "mc1", False), _pool(rng, "mc2", False))


def _draw(rng: np.random.Generator, theta: float, pool: Pool, items: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    probs = category_probabilities(theta, pool.params, items)
    u = rng.random((items.shape[0], 1))
    out: npt.NDArray[np.intp] = np.minimum(
        (u > probs.cumsum(axis=-1)).sum(axis=-1), pool.params.n_categories[items] - 1
    )
    return out


class _Sitting:
    """Simulates the sittings of one kind on the three pools (EAP estimates, fast with the node table)."""

    def __init__(self, pools: tuple[Pool, ...]) -> None:
        self.pools = pools
        self.config = EstimatorConfig()
        self.tables = [LogLikTable.build(self.config, p.params) for p in pools]

    def run(self, rng: np.random.Generator, kind: str = "normal") -> list[SubtestData]:
        theta, tau = rng.standard_normal(), rng.normal(0.0, 0.3)
        switch = int(rng.integers(1, 3)) if kind == "proxy" else 99
        stand_in = (rng.standard_normal(), rng.normal(0.0, 0.3))
        out = []
        for s, (pool, length) in enumerate(zip(self.pools, LENGTHS, strict=True)):
            th, ta = stand_in if s >= switch else (theta, tau)
            items = rng.choice(pool.size, length, replace=False)
            categories = _draw(rng, th, pool, items)
            params = pool.time_params_of(items)
            log_t = params.beta - ta + rng.standard_normal(length) / params.alpha
            if kind == "rapid":
                guess = rng.random(length) < 0.3
                log_t[guess] = rng.normal(math.log(2.0), 0.5, int(guess.sum()))
                categories[guess] = (rng.random(int(guess.sum())) < 0.2).astype(np.intp)
            if kind == "preknowledge":
                known = rng.random(length) < 0.5
                log_t[known] -= 1.2
                categories[known] = pool.params.n_categories[items[known]] - 1
            est = estimate(self.config, pool.params, items, categories, self.tables[s])
            ms = tuple(round(1000 * math.exp(x)) for x in log_t)
            out.append(SubtestData(pool, tuple(items.tolist()), tuple(categories.tolist()), ms, *est))
        return out


def _rate(results: list[Screening], kind: str | None = None) -> float:
    if kind is None:
        return float(np.mean([r.flagged for r in results]))
    return float(np.mean([any(f.kind == kind for f in r.flags) for r in results]))


def test_false_alarms_of_normal_examinees_within_the_budget(pools: tuple[Pool, ...]) -> None:
    """The union over all kinds and over the three looks at the subtest ends, against the written budget."""
    rng = np.random.default_rng(100)
    sitting = _Sitting(pools)
    config = IntegrityConfig(ability_correlation=RHO)
    m = 1500
    final, ever = [], []
    for _ in range(m):
        data = sitting.run(rng)
        looks = [screen(data[: s + 1], config, final=s == 2) for s in range(3)]
        final.append(looks[-1])
        ever.append(Screening(flags=tuple(f for look in looks for f in look.flags)))
    budget = config.budget(3)
    assert budget == pytest.approx(0.047)
    rates = {kind: _rate(ever, kind) for kind in KINDS}
    print(f"normal examinees: any flag at the final look {_rate(final):.4f}, over the looks {_rate(ever):.4f}; {rates}")
    assert _rate(ever) <= budget + 4 * math.sqrt(budget * (1 - budget) / m)
    levels = dict(zip(KINDS, (0.002, 0.01, 0.005, 0.0125 * 1.2, 0.0125 * 1.2), strict=True))
    for kind in KINDS:
        assert rates[kind] <= levels[kind] + 4 * math.sqrt(levels[kind] / m), kind


@pytest.mark.parametrize(
    ("kind", "flag", "bound"),
    [("rapid", "rapid", 0.95), ("preknowledge", "preknowledge", 0.8), ("proxy", None, 0.4)],
)
def test_aberrant_examinees_are_flagged(pools: tuple[Pool, ...], kind: str, flag: str | None, bound: float) -> None:
    """Power on the simulation study's kinds; bounds set well below the rates measured (printed), whose binomial
    SD on 300 examinees is at most 0.03."""
    rng = np.random.default_rng(101)
    sitting = _Sitting(pools)
    config = IntegrityConfig(ability_correlation=RHO)
    results = [screen(sitting.run(rng, kind), config) for _ in range(300)]
    rates = {k: round(_rate(results, k), 3) for k in KINDS}
    print(f"{kind}: flagged {_rate(results):.3f}; by kind {rates}")
    assert (_rate(results) if flag is None else rates[flag]) >= bound


def test_evidence_names_the_responses(pools: tuple[Pool, ...]) -> None:
    rng = np.random.default_rng(102)
    data = _Sitting(pools).run(rng)
    # six rapid answers at 0.5 s in the second subtest (above the share 0.1 of 41 answers), the rest as simulated
    second = data[1]
    ms = list(second.response_ms)
    for position in (1, 4, 6, 9, 12, 14):
        ms[position] = 500
    data[1] = replace(second, response_ms=tuple(ms))
    result = screen(data)
    rapid = [f for f in result.flags if f.kind == "rapid"]
    assert len(rapid) == 1
    assert set(rapid[0].responses) >= {(1, 1), (1, 4), (1, 6), (1, 9), (1, 12), (1, 14)}
    assert rapid[0].statistic.value >= 6 and rapid[0].statistic.n == sum(LENGTHS)
    # three rapid answers are improbable under the model but under the share of 0.1: no flag
    for position in (9, 12, 14):
        ms[position] = second.response_ms[position]
    few = screen([data[0], replace(second, response_ms=tuple(ms)), data[2]])
    stat = next(s for s in few.statistics if s.name == "rapid_guessing")
    assert 3 <= stat.value < 0.1 * 41 and stat.p_value < 0.002 and not stat.flagged
    # a much slower person from the third subtest on
    third = data[2]
    data[2] = replace(third, response_ms=tuple(5 * t for t in third.response_ms))
    change = [f for f in screen(data).flags if f.kind == "speed_change"]
    assert len(change) == 1 and change[0].subtest == 2
    assert change[0].responses == tuple((2, i) for i in range(LENGTHS[2]))


def test_preknowledge_evidence_is_correct_and_fast(pools: tuple[Pool, ...]) -> None:
    rng = np.random.default_rng(103)
    sitting = _Sitting(pools)
    for _ in range(20):
        data = sitting.run(rng, "preknowledge")
        for f in screen(data).flags:
            if f.kind == "preknowledge":
                for s, i in f.responses:
                    top = data[s].pool.params.n_categories[data[s].items[i]] - 1
                    assert data[s].categories[i] == top


def test_untimed_data_give_no_response_time_statistic(pools: tuple[Pool, ...]) -> None:
    rng = np.random.default_rng(104)
    data = _Sitting(pools).run(rng)
    no_times = [replace(d, response_ms=()) for d in data]
    names = [s.name for s in screen(no_times, IntegrityConfig(ability_correlation=0.5)).statistics]
    assert names == ["lz_star", "ability_change"]
    untimed = _pool(np.random.default_rng(1), "untimed", False, timed=False)
    items = tuple(range(20))
    plain = SubtestData(untimed, items, (1, 0) * 10, (30000,) * 20, 0.1, 0.4)
    assert [s.name for s in screen([plain]).statistics] == ["lz_star"]
    assert [s.name for s in screen([replace(plain, items=(3,), categories=(1,), response_ms=(900,))]).statistics] == []


def test_minimums_and_the_partial_subtest(pools: tuple[Pool, ...]) -> None:
    rng = np.random.default_rng(105)
    data = _Sitting(pools).run(rng)
    one = [
        replace(
            data[0], items=data[0].items[:1], categories=data[0].categories[:1], response_ms=data[0].response_ms[:1]
        )
    ]
    assert screen(one).statistics == ()
    partial = [*data[:2], replace(data[2], complete=False)]
    interim = screen(partial, IntegrityConfig(ability_correlation=RHO), final=False)
    names = {s.name: s for s in interim.statistics}
    assert set(names) == {"rapid_guessing", "speed_change", "ability_change"}
    assert names["rapid_guessing"].n == sum(LENGTHS)  # the partial subtest counts for rapid guessing
    assert names["speed_change"].n == LENGTHS[0] + LENGTHS[1]  # but not for the change tests
    assert names["speed_change"].threshold == pytest.approx(0.0125 * 0.2)
    # all answers correct: no group of other responses, so no pre-knowledge test
    tops = [replace(d, categories=tuple((d.pool.params.n_categories[list(d.items)] - 1).tolist())) for d in data]
    assert "preknowledge" not in [s.name for s in screen(tops).statistics]
    assert "lz_star" in [s.name for s in screen(tops).statistics]


def test_graded_top_category_counts_as_correct(pools: tuple[Pool, ...]) -> None:
    sjt = pools[0]
    items = tuple(range(20))
    categories = (3, 2) * 10  # top category on even positions only
    params = sjt.time_params_of(list(items))
    ms = tuple(round(1000 * math.exp(b - (1.5 if i % 2 == 0 else 0.0))) for i, b in enumerate(params.beta))
    result = screen([SubtestData(sjt, items, categories, ms, 1.0, 0.4)])
    flags = {f.kind: f for f in result.flags}
    assert "preknowledge" in flags
    assert all(i % 2 == 0 for _, i in flags["preknowledge"].responses)


def test_inputs_and_config_are_validated(pools: tuple[Pool, ...]) -> None:
    with pytest.raises(ValueError, match="categories"):
        SubtestData(pools[1], (1, 2), (1,))
    with pytest.raises(ValueError, match="response times"):
        SubtestData(pools[1], (1, 2), (1, 0), (1000,))
    with pytest.raises(ValueError, match="alpha_misfit"):
        IntegrityConfig(alpha_misfit=1.5)
    with pytest.raises(ValueError, match="ability_correlation"):
        IntegrityConfig(ability_correlation=-0.1)
    with pytest.raises(ValueError, match="minimum"):
        IntegrityConfig(min_rapid=0)
    with pytest.raises(ValueError, match="min_rapid_share"):
        IntegrityConfig(min_rapid_share=1.0)
    assert IntegrityConfig().budget(3) == pytest.approx(0.002 + 0.01 + 0.005 + 0.0125 + 0.2 * 0.0125)


def test_results_serialise_to_json(pools: tuple[Pool, ...]) -> None:
    data = _Sitting(pools).run(np.random.default_rng(106), "rapid")
    result = screen(data, IntegrityConfig(ability_correlation=RHO))
    decoded = orjson.loads(orjson.dumps(result.to_dict()))
    assert [s["name"] for s in decoded["statistics"]] == [s.name for s in result.statistics]
    assert decoded["flags"] and decoded["flags"][0]["kind"] == "rapid"
    assert all(isinstance(r, list) and len(r) == 2 for r in decoded["flags"][0]["responses"])


def _battery(pools: tuple[Pool, ...]) -> Battery:
    subtests = tuple(Subtest(p.pool_id, p.pool_id, p, (-1.5, -0.5, 0.5, 1.5)) for p in pools)
    return Battery("b", "1", "battery", subtests)


def test_session_subtests_read_the_state(pools: tuple[Pool, ...]) -> None:
    battery = _battery(pools)
    done = SubtestRecord((0, 1, 2), (3, 0, 1), (4000, 5000, 6000), 0.4, 0.5, StopReason.SE_TARGET, 15000)
    state = SessionState(
        battery_id="b",
        battery_version="1",
        seed=1,
        phase=Phase.ACTIVE,
        subtest_index=1,
        item_index=7,
        items=(5, 6),
        responses=(0, 2),
        response_ms=(7000, 8000),
        theta=0.2,
        se=0.8,
        done=(done,),
    )
    first, current = session_subtests(battery, state)
    assert first.categories == (3, 0, 1) and first.complete  # SJT option weights 1..4 score categories 0..3
    assert first.theta == 0.4 and first.response_ms == (4000, 5000, 6000)
    assert current.categories == (1, 0) and not current.complete  # key 0: option 0 is correct
    assert current.theta == 0.2 and current.items == (5, 6)
    assert len(session_subtests(battery, replace(state, phase=Phase.INTRO, items=(), responses=()))) == 1
    finished = replace(state, phase=Phase.FINISHED, items=(), responses=(), response_ms=(), done=(done,) * 3)
    long_done = SubtestRecord(tuple(range(12)), (3, 2) * 6, (30000,) * 12, 0.4, 0.5, StopReason.SE_TARGET, 1)
    finished = replace(finished, done=(long_done,) * 3)
    assert "lz_star" in [s.name for s in screen_session(battery, finished).statistics]
    assert "lz_star" not in [s.name for s in screen_session(battery, replace(finished, phase=Phase.INTRO)).statistics]
