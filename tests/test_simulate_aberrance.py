"""Simulated aberrant test-taking: each kind behaves as documented, normal examinees are left alone."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from cat_engine.battery import Battery, load_battery
from cat_engine.simulate_aberrance import (
    KNOWN_SPEEDUP,
    MODE_KNOWN,
    MODE_MODEL,
    MODE_RAPID,
    OPERATOR_SEATS,
    RAPID_SHARE,
    AberrantBattery,
    parse_mix,
    simulate_aberrant_battery,
)

REPO = Path(__file__).resolve().parents[1]


@cache
def _battery() -> Battery:
    return load_battery(REPO / "item_pools" / "cact_demo.toml")


@cache
def _sim() -> AberrantBattery:
    mix = {"preknowledge": 0.1, "rapid": 0.1, "proxy": 0.1, "operator": 0.08}
    return simulate_aberrant_battery(_battery(), 400, 11, mix, pilot=300)


def test_parse_mix_reads_kinds_and_shares() -> None:
    assert parse_mix("preknowledge:0.05, rapid:0.1") == {"preknowledge": 0.05, "rapid": 0.1}


@pytest.mark.parametrize(
    "text", ["rapid", "cheat:0.1", "rapid:x", "rapid:0", "rapid:1.2", "rapid:0.1,rapid:0.2", "rapid:0.6,proxy:0.4"]
)
def test_parse_mix_names_the_bad_part(text: str) -> None:
    with pytest.raises(ValueError):
        parse_mix(text)


def test_kinds_have_their_shares_and_operators_come_in_groups() -> None:
    sim = _sim()
    counts = {k: int((sim.kinds == k).sum()) for k in ("normal", "preknowledge", "rapid", "proxy", "operator")}
    assert counts == {"normal": 248, "preknowledge": 40, "rapid": 40, "proxy": 40, "operator": 32}
    groups = sim.operator_group[sim.kinds == "operator"]
    assert np.array_equal(np.bincount(groups), np.full(32 // OPERATOR_SEATS, OPERATOR_SEATS))
    assert np.all(sim.operator_group[sim.kinds != "operator"] == -1)


def test_only_rapid_and_preknowledge_answers_leave_the_model() -> None:
    sim = _sim()
    for mode in sim.modes:
        others = ~np.isin(sim.kinds, ["rapid", "preknowledge"])
        assert np.all(mode[others] == MODE_MODEL)
        assert np.all(mode[sim.kinds == "rapid"] != MODE_KNOWN)
        assert np.all(mode[sim.kinds == "preknowledge"] != MODE_RAPID)


def test_rapid_guesses_are_about_their_share_fast_and_at_chance() -> None:
    sim = _sim()
    guesses = answers = correct = 0
    for result, mode, log_t in zip(sim.results, sim.modes, sim.log_times, strict=True):
        rows = sim.kinds == "rapid"
        given = result.items[rows] >= 0
        answers += int(given.sum())
        rapid = (mode[rows] == MODE_RAPID) & given
        guesses += int(rapid.sum())
        assert np.all(np.exp(log_t[rows][rapid]) < 30)  # median 2 s, log-sd 0.5: 30 s is 5.4 sd away
        top = result.subtest.pool.params.n_categories[result.items[rows][rapid]] - 1
        correct += int((result.categories[rows][rapid] == top).sum())
    # Binomial: 4 sd of the share over the answers of 40 examinees.
    assert abs(guesses / answers - RAPID_SHARE) < 4 * np.sqrt(RAPID_SHARE * (1 - RAPID_SHARE) / answers)
    assert correct / guesses < 0.45  # 4-5 options per item: a chance of a top answer around 0.2-0.25


def test_known_items_are_answered_top_and_fast() -> None:
    sim = _sim()
    rows = sim.kinds == "preknowledge"
    known = 0
    for result, mode, log_t in zip(sim.results, sim.modes, sim.log_times, strict=True):
        knew = (mode[rows] == MODE_KNOWN) & (result.items[rows] >= 0)
        known += int(knew.sum())
        items = result.items[rows][knew]
        assert np.all(result.categories[rows][knew] == result.subtest.pool.params.n_categories[items] - 1)
        pool = result.subtest.pool
        z = pool.time_alpha[items] * (log_t[rows][knew] - pool.time_beta[items] + sim.speed[rows][np.nonzero(knew)[0]])
        # Standardized by the item, the known items' residuals centre on -alpha * speedup, not 0.
        assert z.mean() < -0.5 * KNOWN_SPEEDUP * pool.time_alpha[items].mean()
    assert known > 100


def test_a_proxy_brings_another_ability_from_a_later_subtest() -> None:
    sim = _sim()
    proxies = np.flatnonzero(sim.kinds == "proxy")
    assert np.all((sim.switch[proxies] >= 1) & (sim.switch[proxies] < len(sim.results)))
    assert np.all(sim.switch[sim.kinds != "proxy"] == -1)
    first = sim.results[0].true_theta
    for index, result in enumerate(sim.results):
        own = proxies[sim.switch[proxies] > index]
        other = proxies[sim.switch[proxies] <= index]
        assert np.array_equal(result.true_theta[own], first[own])  # the demo battery: one ability (rho = 1)
        assert not np.any(result.true_theta[other] == first[other])


def test_an_operator_answers_for_all_seats_with_one_ability() -> None:
    sim = _sim()
    for result in sim.results:
        for g in range(int(sim.operator_group.max()) + 1):
            assert np.unique(result.true_theta[sim.operator_group == g]).size == 1


def test_normal_times_follow_the_model_residuals() -> None:
    sim = _sim()
    rows = sim.kinds == "normal"
    z_all = []
    for result, log_t in zip(sim.results, sim.log_times, strict=True):
        given = result.items[rows] >= 0
        items = result.items[rows][given]
        pool = result.subtest.pool
        speed = np.broadcast_to(sim.speed[rows][:, None], given.shape)[given]
        z_all.append(pool.time_alpha[items] * (log_t[rows][given] - pool.time_beta[items] + speed))
    z = np.concatenate(z_all)
    assert abs(z.mean()) < 4 / np.sqrt(z.size) and abs(z.std() - 1) < 0.05
