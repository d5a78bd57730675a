"""Simulated calibration data for the calibration tests, and checks of the simulator itself.

:func:`simulate` draws abilities from N(0, 1) and gives every examinee ``n_fixed`` operational items and ``n_free``
pretest items at random (the way an online-calibration design seeds pretest items into adaptive tests, without the
adaptivity), with responses drawn from :func:`cat_engine.irt.category_probabilities`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from conftest import make_params

from cat_engine.calibration import ResponseData
from cat_engine.irt import ItemParams, category_probabilities

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Simulated:
    data: ResponseData
    theta: FloatArray  # true abilities
    eap: FloatArray  # EAP from the fixed items (N(0, 1) prior), for Stocking's method


def draw_categories(
    theta: FloatArray, params: ItemParams, items: npt.NDArray[np.intp], rng: np.random.Generator
) -> npt.NDArray[np.intp]:
    """One category per (theta, item) pair, by the inverse CDF of the category probabilities."""
    probs = category_probabilities(theta, params, items)
    u = rng.random((theta.shape[0],))
    cats = (np.cumsum(probs, axis=-1) < u[:, None]).sum(axis=-1)
    result: npt.NDArray[np.intp] = np.minimum(cats, params.n_categories[items] - 1).astype(np.intp)
    return result


def simulate(params: ItemParams, free: BoolArray, n_persons: int, n_fixed: int, n_free: int, seed: int) -> Simulated:
    """Each examinee answers ``n_fixed`` random fixed items and ``n_free`` random free items (all when larger)."""
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(n_persons)
    fixed_items, free_items = np.flatnonzero(~free), np.flatnonzero(free)
    persons, items = [], []
    for pool, k in ((fixed_items, n_fixed), (free_items, n_free)):
        k = min(k, pool.size)
        if k == 0:
            continue
        chosen = np.argsort(rng.random((n_persons, pool.size)), axis=1)[:, :k]
        persons.append(np.repeat(np.arange(n_persons), k))
        items.append(pool[chosen].ravel())
    person = np.concatenate(persons).astype(np.intp)
    item = np.concatenate(items).astype(np.intp)
    category = draw_categories(theta[person], params, item, rng)
    data = ResponseData(person=person, item=item, category=category, n_persons=n_persons)
    return Simulated(data, theta, _eap(params, free, data))


def _eap(params: ItemParams, free: BoolArray, data: ResponseData) -> FloatArray:
    nodes = np.linspace(-5.0, 5.0, 81)
    rows = ~free[data.item]
    log_post = np.tile(-0.5 * nodes**2, (data.n_persons, 1))
    probs = category_probabilities(nodes[None, :], params, data.item[rows][:, None])
    lp = np.log(np.take_along_axis(probs, data.category[rows][:, None, None], axis=-1)[..., 0])
    np.add.at(log_post, data.person[rows], lp)
    w = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    result: FloatArray = (w * nodes).sum(axis=1) / w.sum(axis=1)
    return result


def operational_2pl(n: int, seed: int) -> list[tuple[object, ...]]:
    rng = np.random.default_rng(seed)
    return [
        ("dich", float(a), float(b), 0.0, 1.0)
        for a, b in zip(rng.uniform(0.8, 2.0, n), rng.normal(0, 1, n), strict=True)
    ]


def test_draws_follow_the_category_probabilities() -> None:
    params = make_params([("gpcm", 1.0, [-1.0, 0.0, 1.0]), ("dich", 1.0, 0.5, 0.2, 1.0)])
    rng = np.random.default_rng(1)
    n = 40000
    for item in (0, 1):
        cats = draw_categories(np.full(n, 0.3), params, np.full(n, item, dtype=np.intp), rng)
        expected = category_probabilities(0.3, params, [item])[0, : params.n_categories[item]]
        observed = np.bincount(cats, minlength=expected.size) / n
        assert np.all(np.abs(observed - expected) < 4 * np.sqrt(expected * (1 - expected) / n))


def test_design_gives_each_person_the_requested_items() -> None:
    params = make_params(operational_2pl(12, 0))
    free = np.zeros(12, dtype=bool)
    free[8:] = True
    sim = simulate(params, free, 50, n_fixed=5, n_free=2, seed=3)
    counts = np.bincount(sim.data.person, minlength=50)
    assert np.all(counts == 7)
    per_person_free = np.bincount(sim.data.person[free[sim.data.item]], minlength=50)
    assert np.all(per_person_free == 2)
