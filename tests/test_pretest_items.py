"""Simulated pretest items: true parameters like the pool's, provisional starting values, joined parameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cat_engine.irt import DICHOTOMOUS, GPCM, GRM, ItemParams
from cat_engine.pool import load_pool
from cat_engine.pretest_items import concat_params, draw_seeded_items, provisional_params

POOLS = Path(__file__).resolve().parents[1] / "item_pools"


def test_concat_pads_the_steps_and_keeps_every_field() -> None:
    poly = load_pool(POOLS / "manajerial_sosiokultural.json").params
    dich = ItemParams.dichotomous([1.0, 2.0], [0.5, -0.5], [0.2, 0.0])
    both = concat_params(dich, poly)
    assert both.size == 2 + poly.size
    assert both.steps.shape == (2 + poly.size, poly.steps.shape[1])
    assert np.all(np.isnan(both.steps[:2]))
    assert np.array_equal(both.a[2:], poly.a) and np.array_equal(both.c[:2], [0.2, 0.0])
    assert np.array_equal(both.n_categories, np.concatenate([[2, 2], poly.n_categories]))
    with pytest.raises(ValueError, match="scaling constants"):
        concat_params(dich, ItemParams.dichotomous([1.0], [0.0], D=1.702))


def test_seeded_items_copy_their_source_models_with_a_little_jitter() -> None:
    pool = load_pool(POOLS / "emerging_skills.json")
    seeded = draw_seeded_items(pool, 2000, np.random.default_rng(1))
    t, p = seeded.truth, pool.params
    src = seeded.source
    assert seeded.models == tuple(pool.items[int(s)].model for s in src)
    assert np.array_equal(seeded.n_options, [len(pool.items[int(s)].options) for s in src])
    assert np.array_equal(t.c == 0, p.c[src] == 0)  # a 2PL source stays 2PL
    assert np.all((t.c[t.c > 0] >= 0.02) & (t.c[t.c > 0] <= 0.45))
    assert 0.05 < np.std(np.log(t.a / p.a[src])) < 0.15
    assert 0.15 < np.std(t.b - p.b[src]) < 0.25
    assert abs(np.mean(t.b) - np.mean(p.b)) < 0.15  # distributed like the pool


def test_seeded_polytomous_items_keep_their_categories_and_ordered_grm_thresholds() -> None:
    pool = load_pool(POOLS / "manajerial_sosiokultural.json")
    seeded = draw_seeded_items(pool, 400, np.random.default_rng(2))
    t = seeded.truth
    assert set(np.unique(t.model)) == {GPCM, GRM}
    assert np.array_equal(t.n_categories, pool.params.n_categories[seeded.source])
    for i in range(t.size):
        own = t.steps[i, : t.n_categories[i] - 1]
        assert not np.isnan(own).any() and np.isnan(t.steps[i, t.n_categories[i] - 1 :]).all()
        assert t.b[i] == pytest.approx(own.mean())
        if t.model[i] == GRM:
            assert np.all(np.diff(own) >= 0.1 - 1e-12)


def test_provisional_values_follow_the_share_correct() -> None:
    pool = load_pool(POOLS / "literasi_digital.json")
    seeded = draw_seeded_items(pool, 3, np.random.default_rng(3))
    # item 0: 90% correct, item 1: 30% correct, item 2: no responses
    item = np.array([0] * 10 + [1] * 10)
    category = np.array([1] * 9 + [0] + [1] * 3 + [0] * 7)
    start = provisional_params(seeded, item, category)
    assert np.all(start.a == 1.0) and np.all(start.model == DICHOTOMOUS)
    assert np.allclose(start.c, 1.0 / seeded.n_options)  # every literasi item has a guessing parameter
    assert start.b[0] < 0 < start.b[1]
    assert start.b[2] == 0.0
    assert np.all(np.abs(start.b) <= 3.0)


def test_provisional_polytomous_steps_are_spread_evenly_around_the_mean_score() -> None:
    pool = load_pool(POOLS / "manajerial_sosiokultural.json")
    seeded = draw_seeded_items(pool, 2, np.random.default_rng(4))
    m = seeded.truth.n_categories - 1
    item = np.array([0] * 4 + [1] * 4)
    category = np.concatenate([np.full(4, m[0]), np.zeros(4, dtype=int)])  # item 0 always top, item 1 always 0
    start = provisional_params(seeded, item, category)
    for i in (0, 1):
        own = start.steps[i, : m[i]]
        assert np.allclose(np.diff(own), 2.0 / (m[i] - 1))
        assert own.mean() == pytest.approx(start.b[i])
    assert start.b[0] < 0 < start.b[1]
