"""Item selection: maximum information (against catsim), randomesque, Sympson-Hetter, content balancing, enemies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from catsim.item_bank import ItemBank
from catsim.selection import MaxInfoSelector
from conftest import make_item, make_pool, make_pool_dict

from cat_engine.battery import load_battery
from cat_engine.draws import KeyArray, as_keys
from cat_engine.irt import information
from cat_engine.pool import Pool
from cat_engine.selection import (
    BlueprintArea,
    ResolvedBlueprint,
    SelectionConfig,
    block_items,
    content_minimums_met,
    draw_lottery,
    lottery_of,
    select_items,
    select_one,
)

PLAIN = SelectionConfig(randomesque=1, first_item_randomesque=1)


def _select(
    pool: Pool,
    theta: float | np.ndarray,
    *,
    config: SelectionConfig = PLAIN,
    available: np.ndarray | None = None,
    n_given: int | np.ndarray = 1,
    rows: int = 1,
    blueprint: ResolvedBlueprint | None = None,
    area_counts: np.ndarray | None = None,
    max_items: int = 40,
    seed: int = 0,
    lottery: np.ndarray | None = None,
    considered: np.ndarray | None = None,
) -> np.ndarray:
    """select_items for ``rows`` examinees sharing theta/availability unless arrays are passed.

    Row r has the key ``(seed, r)``; with Sympson-Hetter and no ``lottery`` given, each row's lottery is drawn with
    :func:`draw_lottery` from the keys ``(seed + 1, r)``.
    """
    theta_arr = np.broadcast_to(np.asarray(theta, dtype=np.float64), (rows,)).copy()
    if available is None:
        available = np.ones((rows, pool.size), dtype=bool)
    elif available.ndim == 1:
        available = np.broadcast_to(available, (rows, pool.size)).copy()
    if area_counts is None:
        area_counts = np.zeros((rows, len(pool.content_areas)), dtype=np.intp)
    elif area_counts.ndim == 1:
        area_counts = np.broadcast_to(area_counts, (rows, len(pool.content_areas))).copy()
    n_given_arr = np.broadcast_to(np.asarray(n_given, dtype=np.intp), (rows,)).copy()
    if lottery is None and config.exposure_control == "sympson_hetter":
        lottery = draw_lottery(pool, _keys(seed + 1, rows))
    return select_items(
        pool,
        config,
        blueprint,
        theta_arr,
        available,
        area_counts,
        n_given_arr,
        max_items,
        _keys(seed, rows),
        lottery,
        considered,
    )


def _keys(seed: int, rows: int) -> KeyArray:
    return as_keys([[seed, r] for r in range(rows)])


def _info(pool: Pool, theta: float) -> npt.NDArray[np.float64]:
    row: npt.NDArray[np.float64] = information(np.array([theta])[:, None], pool.params)[0]
    return row


# --- maximum information -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_pool() -> Pool:
    return make_pool(n_items=1000, seed=2024, areas=("A", "B", "C"))


def test_max_info_matches_catsim(big_pool: Pool) -> None:
    """With D = 1 catsim's [a, b, c, d] matrix equals our parameters; both pick the same item."""
    matrix = big_pool.params.catsim_matrix()
    np.testing.assert_array_equal(matrix[:, 0], big_pool.params.a)
    bank = ItemBank(matrix)
    selector = MaxInfoSelector()
    rng = np.random.default_rng(7)
    n_cases = 120
    thetas = rng.uniform(-3.5, 3.5, n_cases)
    administered: list[list[int]] = []
    for row in range(n_cases):
        given = set(rng.choice(1000, size=int(rng.integers(0, 60)), replace=False).tolist())
        if row % 2:  # also take away the best items at this theta, so the answer is deep in the ranking
            best = np.argsort(-information(np.array([thetas[row]])[:, None], big_pool.params)[0])
            given |= set(best[: int(rng.integers(1, 40))].tolist())
        administered.append(sorted(given))
    available = np.ones((n_cases, 1000), dtype=bool)
    for row, taken in enumerate(administered):
        available[row, taken] = False
    n_given = np.array([len(g) for g in administered], dtype=np.intp)
    ours = select_items(
        big_pool,
        PLAIN,
        None,
        thetas,
        available,
        np.zeros((n_cases, 3), dtype=np.intp),
        n_given,
        100,
        _keys(0, n_cases),
    )
    theirs = [
        selector.select(item_bank=bank, administered_items=list(given), est_theta=float(t))
        for t, given in zip(thetas, administered, strict=True)
    ]
    assert ours.tolist() == theirs


def test_max_info_with_d_scaling_matches_catsim_matrix() -> None:
    """With D = 1.702 catsim's matrix folds D into a; the choice still agrees with catsim."""
    data = make_pool_dict(200, seed=5)
    data["theta_scale"]["D"] = 1.702
    pool = Pool.from_dict(data)
    bank = ItemBank(pool.params.catsim_matrix())
    for t in np.linspace(-3, 3, 13):
        ours = int(_select(pool, t)[0])
        assert ours == MaxInfoSelector().select(item_bank=bank, administered_items=[], est_theta=float(t))


def test_no_available_item_gives_minus_one() -> None:
    pool = make_pool(n_items=5)
    available = np.zeros(pool.size, dtype=bool)
    assert _select(pool, 0.0, available=available).tolist() == [-1]
    k5 = SelectionConfig(randomesque=5, first_item_randomesque=5)
    assert _select(pool, 0.0, available=available, config=k5).tolist() == [-1]


def test_rows_are_independent() -> None:
    """Each row gets its own maximum at its own theta and availability."""
    pool = make_pool(n_items=80, seed=3)
    thetas = np.array([-2.0, 0.0, 2.0])
    available = np.ones((3, pool.size), dtype=bool)
    available[1, :40] = False
    chosen = _select(pool, thetas, rows=3, available=available)
    for row in range(3):
        info = np.where(available[row], _info(pool, float(thetas[row])), -np.inf)
        assert chosen[row] == int(np.argmax(info))


# --- randomesque -------------------------------------------------------------------------------------------------


def test_randomesque_chooses_among_top_k_and_covers_them() -> None:
    pool = make_pool(n_items=100, seed=11)
    k = 5
    config = SelectionConfig(randomesque=k, first_item_randomesque=1)
    available = np.ones(pool.size, dtype=bool)
    available[::7] = False
    info = np.where(available, _info(pool, 0.4), -np.inf)
    top = set(np.argsort(-info)[:k].tolist())
    chosen = _select(pool, 0.4, config=config, available=available, rows=3000, n_given=3)
    assert set(chosen.tolist()) == top
    counts = np.bincount(chosen, minlength=pool.size)[sorted(top)]
    assert counts.min() > 3000 / k * 0.7  # roughly uniform


def test_randomesque_with_fewer_available_than_k() -> None:
    pool = make_pool(n_items=30, seed=2)
    available = np.zeros(pool.size, dtype=bool)
    available[[4, 9]] = True
    config = SelectionConfig(randomesque=10, first_item_randomesque=10)
    chosen = _select(pool, 0.0, config=config, available=available, rows=500)
    assert set(chosen.tolist()) == {4, 9}


def test_first_item_randomesque_applies_only_to_the_first_item() -> None:
    pool = make_pool(n_items=100, seed=12)
    config = SelectionConfig(randomesque=1, first_item_randomesque=8)
    info = _info(pool, 0.0)
    n_given = np.array([0, 1] * 500)
    chosen = _select(pool, 0.0, config=config, rows=1000, n_given=n_given)
    first, later = chosen[n_given == 0], chosen[n_given == 1]
    assert set(later.tolist()) == {int(np.argmax(info))}
    assert set(first.tolist()) == set(np.argsort(-info)[:8].tolist())


def test_first_item_randomesque_spreads_first_items_over_seeds() -> None:
    pool = make_pool(n_items=200, seed=13)
    config = SelectionConfig(randomesque=1, first_item_randomesque=10)
    top10 = set(np.argsort(-_info(pool, config.start_theta))[:10].tolist())
    firsts = [int(_select(pool, config.start_theta, config=config, n_given=0, seed=s)[0]) for s in range(200)]
    assert set(firsts) <= top10
    assert len(set(firsts)) >= 9
    assert max(firsts.count(i) for i in set(firsts)) < 60


# --- Sympson-Hetter ----------------------------------------------------------------------------------------------


def _pool_with_k(n_items: int, seed: int, ks: dict[int, float]) -> Pool:
    data = make_pool_dict(n_items, seed=seed)
    for i, k in ks.items():
        data["items"][i]["exposure_k"] = k
    return Pool.from_dict(data)


def test_sympson_hetter_tiny_k_items_almost_never_chosen() -> None:
    base = make_pool(n_items=80, seed=21)
    top = np.argsort(-_info(base, 0.0))[:5].tolist()
    pool = _pool_with_k(80, 21, dict.fromkeys(top, 0.0001))
    config = SelectionConfig(randomesque=1, first_item_randomesque=1, exposure_control="sympson_hetter")
    chosen = _select(pool, 0.0, config=config, rows=4000)
    hits = int(np.isin(chosen, top).sum())
    assert hits <= 10  # expected about 4000 * 5 * 1e-4 = 2
    # Without exposure control the same pool gives the top item every time.
    assert set(_select(pool, 0.0, rows=50).tolist()) == {top[0]}
    # With control the choice is the best item whose k is 1.
    info = _info(pool, 0.0)
    best_free = int(np.argmax(np.where(pool.exposure_k[0] == 1.0, info, -np.inf)))
    assert np.mean(chosen == best_free) > 0.99


def test_sympson_hetter_with_all_k_one_is_max_info() -> None:
    pool = make_pool(n_items=150, seed=22)
    assert np.all(pool.exposure_k == 1.0)
    sh = SelectionConfig(randomesque=1, first_item_randomesque=1, exposure_control="sympson_hetter")
    thetas = np.linspace(-3, 3, 200)
    available = np.random.default_rng(1).random((200, pool.size)) < 0.8
    a = _select(pool, thetas, rows=200, config=sh, available=available, seed=5)
    b = _select(pool, thetas, rows=200, config=PLAIN, available=available, seed=6)
    assert a.tolist() == b.tolist()


def test_sympson_hetter_intermediate_k_passes_at_its_rate() -> None:
    base = make_pool(n_items=50, seed=23)
    best = int(np.argmax(_info(base, 0.0)))
    pool = _pool_with_k(50, 23, {best: 0.3})
    config = SelectionConfig(randomesque=1, first_item_randomesque=1, exposure_control="sympson_hetter")
    chosen = _select(pool, 0.0, config=config, rows=5000)
    assert np.mean(chosen == best) == pytest.approx(0.3, abs=0.03)


def test_sympson_hetter_lottery_ignored_when_nothing_passes() -> None:
    ks = dict.fromkeys(range(6), 0.0001)
    pool = _pool_with_k(6, 24, ks)
    config = SelectionConfig(randomesque=1, first_item_randomesque=1, exposure_control="sympson_hetter")
    chosen = _select(pool, 0.0, config=config, rows=2000)
    assert np.all(chosen >= 0)
    assert np.mean(chosen == int(np.argmax(_info(pool, 0.0)))) > 0.99


def test_sympson_hetter_needs_a_lottery() -> None:
    pool = make_pool(n_items=10)
    config = SelectionConfig(exposure_control="sympson_hetter")
    with pytest.raises(ValueError):
        select_items(
            pool,
            config,
            None,
            np.zeros(1),
            np.ones((1, 10), dtype=bool),
            np.zeros((1, 2), dtype=np.intp),
            np.ones(1, dtype=np.intp),
            10,
            _keys(0, 1),
        )


def test_draw_lottery_passes_items_at_their_k() -> None:
    pool = _pool_with_k(40, 27, {0: 0.0001, 1: 0.25, 2: 0.5, 3: 0.9})
    lottery = draw_lottery(pool, _keys(1, 20_000))
    assert lottery.shape == (20_000, 40) and lottery.dtype == np.float64
    assert lottery[7].tolist() == lottery_of(pool, (1, 7)).tolist()  # the one-examinee form: the same numbers
    rates = (lottery < pool.exposure_k[0]).mean(axis=0)
    assert rates[0] < 0.001
    assert rates[1:4] == pytest.approx([0.25, 0.5, 0.9], abs=0.02)
    assert np.all(rates[4:] == 1.0)


def test_failed_lottery_item_stays_out_for_the_whole_subtest() -> None:
    """The lottery is drawn once per subtest: an item that failed it is never chosen at a later step."""
    base = make_pool(n_items=60, seed=28)
    best = int(np.argmax(_info(base, 0.0)))
    pool = _pool_with_k(60, 28, {best: 0.5})
    config = SelectionConfig(randomesque=1, first_item_randomesque=1, exposure_control="sympson_hetter")
    seed = next(s for s in range(100) if lottery_of(pool, (s, 0))[best] >= 0.5)
    lottery = draw_lottery(pool, _keys(seed, 1))
    for step, theta in enumerate(np.linspace(-0.3, 0.3, 9)):
        chosen = _select(pool, theta, config=config, lottery=lottery, n_given=step + 1, seed=step)[0]
        assert chosen != best
    lottery[0, best] = 0.0
    assert _select(pool, 0.0, config=config, lottery=lottery)[0] == best


def test_considered_marks_chosen_and_more_informative_items_that_failed() -> None:
    base = make_pool(n_items=60, seed=25)
    info = _info(base, 0.2)
    order = np.argsort(-info).tolist()
    pool = _pool_with_k(60, 25, {order[0]: 0.0001, order[1]: 0.5, order[2]: 0.0001, order[5]: 0.3})
    available = np.ones(pool.size, dtype=bool)
    available[order[3]] = False  # administered: never considered
    config = SelectionConfig(randomesque=1, first_item_randomesque=1, exposure_control="sympson_hetter")
    rows = 400
    passes = draw_lottery(pool, _keys(3, rows)) < pool.exposure_k[0]
    considered = np.zeros((rows, 1, pool.size), dtype=bool)
    chosen = _select(
        pool,
        0.2,
        config=config,
        rows=rows,
        available=available,
        lottery=draw_lottery(pool, _keys(3, rows)),
        considered=considered,
    )
    for r in range(rows):
        more = available & (info > info[chosen[r]])
        assert not (more & passes[r]).any()  # the chosen item is the most informative that passed
        expected = more & ~passes[r]
        expected[chosen[r]] = True
        assert considered[r, 0].tolist() == expected.tolist()
    # The tiny-k top item is considered on (almost) every row although it is (almost) never chosen.
    assert considered[:, 0, order[0]].mean() > 0.99
    assert (chosen == order[0]).mean() < 0.02
    assert not considered[:, 0, order[3]].any()


def test_considered_without_exposure_control_marks_the_chosen_item() -> None:
    pool = make_pool(n_items=20, seed=26)
    considered = np.zeros((1, 1, pool.size), dtype=bool)
    considered[0, 0, 0] = True  # accumulates in place
    chosen = int(_select(pool, 0.0, considered=considered)[0])
    assert chosen != 0
    assert np.flatnonzero(considered[0, 0]).tolist() == sorted([0, chosen])


# --- content balancing -------------------------------------------------------------------------------------------


def _area_pool() -> Pool:
    """Three areas; the most informative items at theta 0 are in A, then B, then C (per area, b = 0 is best)."""
    items = []
    for area, a in (("A", 2.0), ("B", 1.5), ("C", 1.0)):
        for j, b in enumerate((0.0, 1.0, -1.0, 2.0)):
            items.append(make_item(f"{area}{j}", a=a, b=b, c=0.0, area=area))
    return Pool.from_dict(make_pool_dict(areas=("A", "B", "C"), items=items))


def _bp(pool: Pool, **areas: BlueprintArea) -> ResolvedBlueprint:
    blueprint = ResolvedBlueprint.resolve(areas, pool)
    assert blueprint is not None
    return blueprint


def _area_of(pool: Pool, item: int) -> str:
    return pool.content_areas[int(pool.area_index[item])]


def test_content_balancing_picks_area_with_largest_deficit() -> None:
    pool = _area_pool()
    bp = _bp(pool, A=BlueprintArea(0.5), B=BlueprintArea(0.3), C=BlueprintArea(0.2))
    # n = 4, counts A=3, B=0, C=1: deficits 0.5*5-3 = -0.5, 0.3*5-0 = 1.5, 0.2*5-1 = 0 -> B.
    chosen = _select(pool, 0.0, blueprint=bp, area_counts=np.array([3, 0, 1]), n_given=4)[0]
    assert _area_of(pool, chosen) == "B"
    assert pool.items[chosen].id == "B0"  # the most informative item of B
    # Counts A=0: A has the largest deficit and its best item wins.
    chosen = _select(pool, 0.0, blueprint=bp, area_counts=np.array([0, 2, 2]), n_given=4)[0]
    assert pool.items[chosen].id == "A0"
    # C behind: 0.2*9 - 0 = 1.8 beats A 0.5*9-5 = -0.5 and B 0.3*9-3 = -0.3.
    chosen = _select(pool, 0.0, blueprint=bp, area_counts=np.array([5, 3, 0]), n_given=8)[0]
    assert pool.items[chosen].id == "C0"


def test_content_balancing_skips_unavailable_items_within_the_area() -> None:
    pool = _area_pool()
    bp = _bp(pool, A=BlueprintArea(0.5), B=BlueprintArea(0.3), C=BlueprintArea(0.2))
    available = np.ones(pool.size, dtype=bool)
    available[pool.index_of("B0")] = False
    chosen = _select(pool, 0.0, blueprint=bp, area_counts=np.array([3, 0, 1]), n_given=4, available=available)[0]
    assert _area_of(pool, chosen) == "B"
    assert pool.items[chosen].id != "B0"


def test_areas_at_their_maximum_are_closed() -> None:
    pool = _area_pool()
    # B has by far the largest deficit but is at its maximum.
    bp = _bp(pool, A=BlueprintArea(0.1), B=BlueprintArea(0.8, max=1), C=BlueprintArea(0.1))
    chosen = _select(pool, 0.0, blueprint=bp, area_counts=np.array([1, 1, 1]), n_given=3)[0]
    assert _area_of(pool, chosen) != "B"
    # Below the maximum it is B.
    bp2 = _bp(pool, A=BlueprintArea(0.1), B=BlueprintArea(0.8, max=2), C=BlueprintArea(0.1))
    chosen = _select(pool, 0.0, blueprint=bp2, area_counts=np.array([1, 1, 1]), n_given=3)[0]
    assert _area_of(pool, chosen) == "B"


def test_max_zero_area_never_offered() -> None:
    pool = _area_pool()
    bp = _bp(pool, A=BlueprintArea(0.5, max=0), B=BlueprintArea(0.25), C=BlueprintArea(0.25))
    chosen = _select(pool, np.linspace(-2, 2, 50), rows=50, blueprint=bp, n_given=0)
    assert all(_area_of(pool, int(c)) != "A" for c in chosen)


def test_only_under_minimum_areas_when_remaining_slots_are_needed() -> None:
    pool = _area_pool()
    bp = _bp(pool, A=BlueprintArea(0.8), B=BlueprintArea(0.1), C=BlueprintArea(0.1, min=2))
    counts = np.array([6, 2, 0])
    # 8 given, max 10: 2 slots left = C's shortfall of 2 -> only C is open although A has the larger deficit.
    chosen = _select(pool, 0.0, blueprint=bp, area_counts=counts, n_given=8, max_items=10)[0]
    assert _area_of(pool, chosen) == "C"
    # With slots to spare the deficit rule applies: A (0.8*9-6 = 1.2) beats C (0.1*9 = 0.9).
    chosen = _select(pool, 0.0, blueprint=bp, area_counts=counts, n_given=8, max_items=20)[0]
    assert _area_of(pool, chosen) == "A"


def test_must_fill_offers_every_under_minimum_area_by_deficit() -> None:
    pool = _area_pool()
    bp = _bp(pool, A=BlueprintArea(0.6), B=BlueprintArea(0.2, min=2), C=BlueprintArea(0.2, min=1))
    counts = np.array([5, 1, 0])
    # 6 given, max 8: shortfall B 1 + C 1 = 2 = remaining -> A closed; deficits B 0.2*7-1 = 0.4, C 1.4 -> C.
    chosen = _select(pool, 0.0, blueprint=bp, area_counts=counts, n_given=6, max_items=8)[0]
    assert _area_of(pool, chosen) == "C"


def test_blueprint_set_aside_when_no_open_area_has_items() -> None:
    pool = _area_pool()
    bp = _bp(pool, A=BlueprintArea(0.4, max=1), B=BlueprintArea(0.4, max=1), C=BlueprintArea(0.2))
    available = np.ones(pool.size, dtype=bool)
    available[pool.area_index == 2] = False  # C (the only open area) has nothing left
    available[pool.index_of("A0")] = False
    chosen = _select(pool, 0.0, blueprint=bp, area_counts=np.array([1, 1, 2]), n_given=4, available=available)[0]
    info = np.where(available, _info(pool, 0.0), -np.inf)
    assert chosen == int(np.argmax(info))
    assert _area_of(pool, chosen) in ("A", "B")


def test_area_filter_matches_a_per_area_loop_with_an_empty_area() -> None:
    # pool.area_groups feeds one reduceat over areas; an area without items must not borrow its neighbour's
    pool = Pool.from_dict({**make_pool_dict(n_items=40, areas=("A", "B", "C")), "content_areas": ["A", "E", "B", "C"]})
    order, starts, areas = pool.area_groups
    assert list(areas) == [0, 2, 3] and sorted(order) == list(range(pool.size))
    rng = np.random.default_rng(5)
    eligible = rng.random((50, pool.size)) < 0.2
    grouped = np.logical_or.reduceat(eligible[:, order], starts, axis=1)
    for j, area in enumerate(areas):
        assert np.array_equal(grouped[:, j], eligible[:, pool.area_index == area].any(axis=1))


def test_unnamed_areas_stay_open_with_target_zero() -> None:
    pool = _area_pool()
    bp = _bp(pool, A=BlueprintArea(0.5, max=1), B=BlueprintArea(0.5, max=1))
    chosen = _select(pool, 0.0, blueprint=bp, area_counts=np.array([1, 1, 0]), n_given=2)[0]
    assert _area_of(pool, chosen) == "C"


def test_resolve_blueprint() -> None:
    pool = _area_pool()
    assert ResolvedBlueprint.resolve({}, pool) is None
    bp = _bp(pool, B=BlueprintArea(1.0, min=1, max=3))
    assert bp.target.tolist() == [0.0, 1.0, 0.0]
    assert bp.minimum.tolist() == [0, 1, 0]
    assert bp.maximum.tolist() == [10**6, 3, 10**6]
    with pytest.raises(KeyError):
        ResolvedBlueprint.resolve({"Z": BlueprintArea(1.0)}, pool)


def test_content_minimums_met() -> None:
    pool = _area_pool()
    bp = _bp(pool, A=BlueprintArea(0.5, min=2), B=BlueprintArea(0.5, min=1))
    counts = np.array([[2, 1, 0], [1, 5, 5], [3, 0, 0], [2, 1, 9]])
    assert content_minimums_met(bp, counts).tolist() == [True, False, False, True]
    assert content_minimums_met(None, counts).tolist() == [True] * 4
    assert [bp.minimums_met(row) for row in counts.tolist()] == [True, False, False, True]  # a live session's form


# --- enemies -----------------------------------------------------------------------------------------------------


def _enemy_pool() -> Pool:
    items = [make_item(f"i{j}", a=1.0 + 0.1 * j, b=0.0, c=0.0) for j in range(8)]
    items[0]["enemies"] = ["i3"]
    items[5]["enemies"] = ["i0"]  # declared on the other side: symmetric
    items[6]["enemies"] = ["i7"]
    return Pool.from_dict(make_pool_dict(items=items, areas=("A",)))


def test_enemies_of_lists_the_rows_of_the_enemy_matrix() -> None:
    pool = _enemy_pool()
    assert sorted(pool.enemies_of([0])) == [3, 5]
    assert sorted(pool.enemies_of([0, 7, 1])) == [3, 5, 6]
    assert pool.enemies_of([]) == [] and pool.enemies_of([1, 2]) == []
    for items in ([0, 6], [3, 5, 7], list(range(8))):
        blocked = np.zeros(pool.size, dtype=bool)
        blocked[pool.enemies_of(items)] = True
        np.testing.assert_array_equal(blocked, pool.enemy_matrix[items].any(axis=0))


def test_area_helpers_of_the_one_examinee_step() -> None:
    pool = _area_pool()
    n_areas = len(pool.content_areas)
    assert pool.area_of == tuple(pool.area_index.tolist())
    assert pool.area_sizes == tuple(int((pool.area_index == a).sum()) for a in range(n_areas))
    items = [0, 3, 4, pool.size - 1]
    assert pool.area_counts(items) == np.bincount(pool.area_index[items], minlength=n_areas).tolist()
    assert pool.area_counts([]) == [0] * n_areas
    for a in range(n_areas):
        inside = pool.area_items[a]
        assert not inside.flags.writeable
        np.testing.assert_array_equal(inside, np.flatnonzero(pool.area_index == a))
        assert [pool.area_position[i] for i in inside.tolist()] == list(range(inside.size))
        np.testing.assert_array_equal(pool.area_params[a].b, pool.params.b[inside])


def test_block_items_removes_chosen_and_enemies() -> None:
    pool = _enemy_pool()
    available = np.ones((3, pool.size), dtype=bool)
    block_items(available, pool, np.array([0, -1, 7], dtype=np.intp))
    assert np.flatnonzero(~available[0]).tolist() == [0, 3, 5]
    assert available[1].all()  # -1 rows are skipped
    assert np.flatnonzero(~available[2]).tolist() == [6, 7]


def test_block_items_without_enemies() -> None:
    pool = make_pool(n_items=10)
    available = np.ones((2, pool.size), dtype=bool)
    block_items(available, pool, np.array([4, 2], dtype=np.intp))
    assert np.flatnonzero(~available[0]).tolist() == [4]
    assert np.flatnonzero(~available[1]).tolist() == [2]
    block_items(available, pool, np.array([-1, -1], dtype=np.intp))
    assert (~available).sum() == 2


def test_selection_after_blocking_never_gives_an_enemy() -> None:
    pool = _enemy_pool()
    available = np.ones((1, pool.size), dtype=bool)
    given: list[int] = []
    while True:
        chosen = _select(pool, 0.0, available=available)
        if chosen[0] < 0:
            break
        given.append(int(chosen[0]))
        block_items(available, pool, chosen)
    assert not pool.enemy_matrix[np.ix_(given, given)].any()
    assert len(given) == len(set(given))
    assert 7 in given and 6 not in given  # i7 is more informative and blocks i6


# --- determinism and config --------------------------------------------------------------------------------------


def test_same_seed_same_choice() -> None:
    pool = _pool_with_k(120, 31, {3: 0.4, 10: 0.2, 50: 0.7})
    config = SelectionConfig(randomesque=4, first_item_randomesque=10, exposure_control="sympson_hetter")
    thetas = np.linspace(-2, 2, 64)
    n_given = np.arange(64) % 3
    a = _select(pool, thetas, rows=64, config=config, n_given=n_given, seed=99)
    b = _select(pool, thetas, rows=64, config=config, n_given=n_given, seed=99)
    assert a.tolist() == b.tolist()
    others = {tuple(_select(pool, thetas, rows=64, config=config, n_given=n_given, seed=s).tolist()) for s in range(5)}
    assert len(others) > 1


def test_a_row_chooses_by_its_own_key_whatever_the_other_rows() -> None:
    pool = _pool_with_k(80, 32, {0: 0.5, 7: 0.3})
    config = SelectionConfig(randomesque=3, first_item_randomesque=6)
    thetas = np.linspace(-1, 1, 16)
    n_given = np.arange(16) % 2
    together = _select(pool, thetas, rows=16, config=config, n_given=n_given, seed=4)
    keys = _keys(4, 16)
    for r in (0, 5, 11):
        alone = select_items(
            pool,
            config,
            None,
            thetas[r : r + 1],
            np.ones((1, 80), dtype=bool),
            np.zeros((1, 2), dtype=np.intp),
            n_given[r : r + 1],
            40,
            keys[r : r + 1],
        )
        assert alone[0] == together[r]


def _conditional_pool(n_items: int, seed: int, item: int, ks: list[float]) -> Pool:
    data = make_pool_dict(n_items, seed=seed)
    data["exposure_strata"] = [-1.0, 1.0]
    data["items"][item]["exposure_k"] = ks
    return Pool.from_dict(data)


def test_conditional_parameters_apply_in_the_stratum_of_the_estimate() -> None:
    base = make_pool(n_items=60, seed=33)
    sh = SelectionConfig(randomesque=1, first_item_randomesque=1, exposure_control="sympson_hetter")
    for theta, stratum in ((-2.0, 0), (-1.0, 0), (0.0, 1), (1.0, 1), (1.5, 2)):
        best = int(np.argmax(_info(base, theta)))
        ks = [1.0, 1.0, 1.0]
        ks[stratum] = 0.25
        pool = _conditional_pool(60, 33, best, ks)
        assert pool.stratum_of(theta) == stratum
        chosen = _select(pool, theta, config=sh, rows=4000, seed=stratum)
        assert np.mean(chosen == best) == pytest.approx(0.25, abs=0.03)
    # Just across an edge the same item is still the most informative, and there its parameter is 1: every
    # examinee gets it, the same lottery draws notwithstanding.
    for edge, below in ((-1.0, 0), (1.0, 1)):
        best = int(np.argmax(_info(base, edge)))
        above = edge + 0.01
        assert int(np.argmax(_info(base, above))) == best  # (else this check would prove nothing)
        ks = [1.0, 1.0, 1.0]
        ks[below] = 0.25
        pool = _conditional_pool(60, 33, best, ks)
        assert pool.stratum_of(edge) == below and pool.stratum_of(above) == below + 1
        assert np.mean(_select(pool, edge, config=sh, rows=4000, seed=9) == best) == pytest.approx(0.25, abs=0.03)
        assert set(_select(pool, above, config=sh, rows=4000, seed=9).tolist()) == {best}


def test_content_area_ties_are_broken_at_random_and_reproducibly() -> None:
    pool = _area_pool()
    bp = _bp(pool, A=BlueprintArea(1 / 3), B=BlueprintArea(1 / 3), C=BlueprintArea(1 / 3))
    rows = 3000
    chosen = _select(pool, 0.0, blueprint=bp, rows=rows, n_given=0)
    shares = np.bincount(pool.area_index[chosen], minlength=3) / rows
    assert shares == pytest.approx([1 / 3] * 3, abs=0.03)  # not always A, the first area listed
    assert _select(pool, 0.0, blueprint=bp, rows=rows, n_given=0).tolist() == chosen.tolist()
    # no tie, no draw: the largest deficit wins on every row
    counts = np.array([1, 0, 1])
    assert set(pool.area_index[_select(pool, 0.0, blueprint=bp, rows=200, n_given=2, area_counts=counts)]) == {1}
    # a tie between two of three areas never goes to the third
    counts = np.array([0, 1, 0])
    tied = pool.area_index[_select(pool, 0.0, blueprint=bp, rows=rows, n_given=1, area_counts=counts)]
    assert set(tied.tolist()) == {0, 2} and abs(np.mean(tied == 0) - 0.5) < 0.04


def test_selection_does_not_modify_inputs() -> None:
    pool = make_pool(n_items=30)
    available = np.ones((2, pool.size), dtype=bool)
    available[0, 3] = False
    before = available.copy()
    counts = np.array([[1, 0], [0, 0]], dtype=np.intp)
    select_items(
        pool,
        SelectionConfig(randomesque=3),
        None,
        np.zeros(2),
        available,
        counts,
        np.array([1, 0]),
        10,
        _keys(0, 2),
    )
    assert (available == before).all()
    assert counts.tolist() == [[1, 0], [0, 0]]


@pytest.mark.parametrize(
    "kwargs",
    [{"randomesque": 0}, {"first_item_randomesque": 0}, {"exposure_control": "sympson-hetter"}],
)
def test_selection_config_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SelectionConfig(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("randomesque", [1, 3])
@pytest.mark.parametrize("exposure", ["none", "sympson_hetter", "conditional"])
def test_one_row_paths_match_the_batch_form(exposure: str, randomesque: int) -> None:
    # a live session's step takes the one-row paths (content balancing and its tie draws in plain Python, the
    # single argmax, the lottery fallback, the one-key draws); they must choose what the vectorised form chooses
    # for the same row and key among many
    control = "none" if exposure == "none" else "sympson_hetter"
    config = SelectionConfig(
        randomesque=randomesque,
        first_item_randomesque=2 * randomesque,
        exposure_control=control,  # type: ignore[arg-type]
    )
    data = {**make_pool_dict(n_items=60, areas=("A", "B", "C")), "content_areas": ["A", "E", "B", "C"]}
    rng = np.random.default_rng(11)
    if exposure == "conditional":
        data["exposure_strata"] = [-0.5, 0.5]
        for item in data["items"]:
            item["exposure_k"] = rng.choice([0.2, 0.6, 1.0], size=3).tolist()
    pool = Pool.from_dict(data)
    for case in range(60):
        areas = {
            name: BlueprintArea(float(t), min=int(low), max=int(low + extra))
            for name, t, low, extra in zip(
                ("A", "E", "B", "C"),
                rng.choice([0.25, 0.2, 0.3, 1 / 3], size=4),  # repeated targets make ties
                rng.integers(0, 3, size=4),
                rng.integers(0, 6, size=4),
                strict=True,
            )
        }
        blueprint = ResolvedBlueprint.resolve(areas, pool)
        rows = 40
        theta = rng.normal(size=rows)
        available = rng.random((rows, pool.size)) < rng.choice([0.02, 0.3, 0.9])
        counts = rng.integers(0, 5, size=(rows, 4))
        n_given = counts.sum(axis=1) + rng.integers(0, 3, size=rows)
        max_items = int(rng.choice([12, 16, 40]))
        lottery = rng.random((rows, pool.size)) if exposure != "none" else None
        keys = _keys(case, rows)
        batch = select_items(pool, config, blueprint, theta, available, counts, n_given, max_items, keys, lottery)
        for r in range(rows):
            one = select_items(
                pool,
                config,
                blueprint,
                theta[r : r + 1],
                available[r : r + 1],
                counts[r : r + 1],
                n_given[r : r + 1],
                max_items,
                keys[r : r + 1],
                None if lottery is None else lottery[r : r + 1],
            )
            assert one[0] == batch[r], (case, r)


def test_the_live_step_looks_at_the_open_area_only_and_chooses_what_the_batch_form_chooses() -> None:
    """select_one computes the information of the blueprint's open area alone (the demo pools: 9 areas of graded
    items of two models, 4 areas of 3PL items); on random sittings, with Sympson-Hetter and randomesque as the demo
    battery sets them, it chooses what select_items chooses over the whole pool."""
    battery = load_battery(Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml")
    rng = np.random.default_rng(17)
    for sub in battery.subtests:
        pool, config, blueprint = sub.pool, sub.selection, sub.blueprint
        assert blueprint is not None and len(pool.content_areas) > 1
        for area, items in enumerate(pool.area_items):
            assert all(pool.area_of[i] == area and pool.area_position[i] == at for at, i in enumerate(items.tolist()))
            np.testing.assert_array_equal(
                information(0.4, pool.area_params[area]), information(0.4, pool.params)[items]
            )
        for row in range(40):
            n_given = int(rng.integers(0, 12))
            given = rng.choice(pool.size, n_given, replace=False).tolist()
            key = (int(rng.integers(0, 2**40)), 0)
            theta = float(rng.normal())
            lottery = lottery_of(pool, key)
            counts = pool.area_counts(given)
            live = select_one(pool, config, blueprint, theta, set(given), counts, n_given, 20, key, lottery)
            available = np.ones((1, pool.size), dtype=bool)
            available[0, given] = False
            batch = select_items(
                pool,
                config,
                blueprint,
                np.array([theta]),
                available,
                np.array([counts], dtype=np.intp),
                np.array([n_given], dtype=np.intp),
                20,
                as_keys([list(key)]),
                lottery[None, :],
            )
            assert live == int(batch[0]), (sub.id, row)
