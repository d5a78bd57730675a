"""The pretest seeding design: balanced counts, positions never last nor early, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from cat_engine.pretest import (
    PretestDesign,
    PretestPlan,
    assigned_items,
    block_permutation,
    given_order,
    plan_examinee,
    plan_examinees,
)


@pytest.mark.parametrize(("n", "k", "examinees"), [(40, 4, 5000), (7, 3, 333), (13, 2, 100), (5, 5, 12), (9, 1, 50)])
def test_counts_differ_by_at_most_one_after_any_number_of_examinees(n: int, k: int, examinees: int) -> None:
    design = PretestDesign(n, k, min_items=10)
    items = np.stack([assigned_items(design, 11, e) for e in range(examinees)])
    for upto in (1, n // 2 + 1, n, n + 3, examinees // 2, examinees):
        counts = np.bincount(items[:upto].ravel(), minlength=n)
        assert counts.sum() == upto * k
        assert counts.max() - counts.min() <= 1


def test_an_examinee_never_gets_the_same_item_twice() -> None:
    design = PretestDesign(10, 6, min_items=10)
    for e in range(200):
        assert len(set(assigned_items(design, 3, e).tolist())) == 6


def test_each_block_draws_its_own_order() -> None:
    design = PretestDesign(40, 4, min_items=10)
    perms = [block_permutation(design, 5, r) for r in range(5)]
    assert all(sorted(p.tolist()) == list(range(40)) for p in perms)
    assert len({tuple(p.tolist()) for p in perms}) == 5


def test_positions_are_sorted_within_the_slots_and_distinct_when_there_is_room() -> None:
    design = PretestDesign(40, 4, min_items=8, after=3)  # slots 3..6: exactly four
    assert design.slots.tolist() == [3, 4, 5, 6]
    for e in range(300):
        plan = plan_examinee(design, 2, e)
        assert plan.after_answer.tolist() == [3, 4, 5, 6]
    wide = PretestDesign(40, 3, min_items=20, after=2)
    seen = set()
    for e in range(300):
        after = plan_examinee(wide, 2, e).after_answer
        assert np.all(np.diff(after) > 0)
        assert after.min() >= 2 and after.max() <= 18
        seen.update(after.tolist())
    assert seen == set(range(2, 19))  # every slot is used


def test_more_items_than_slots_share_slots() -> None:
    design = PretestDesign(20, 5, min_items=6, after=2)  # slots 2..4
    for e in range(100):
        after = plan_examinee(design, 1, e).after_answer
        assert np.all(np.diff(after) >= 0)
        assert after.min() >= 2 and after.max() <= 4


def test_the_order_within_an_examinee_varies() -> None:
    design = PretestDesign(4, 4, min_items=10)  # every examinee gets all four items
    orders = {tuple(plan_examinee(design, 9, e).items.tolist()) for e in range(60)}
    assert len(orders) > 10


def test_plans_are_deterministic_per_seed_and_differ_between_seeds() -> None:
    design = PretestDesign(40, 4, min_items=10)
    first = plan_examinees(design, (9, 1), 120)
    again = plan_examinees(design, (9, 1), 120)
    other = plan_examinees(design, (9, 2), 120)
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert not np.array_equal(first[0], other[0])
    one = plan_examinee(design, (9, 1), 77)  # one examinee alone, as a live session would compute it
    assert np.array_equal(one.items, first[0][77]) and np.array_equal(one.after_answer, first[1][77])


def test_given_order_never_ends_on_a_pretest_item_nor_starts_with_one() -> None:
    design = PretestDesign(40, 4, min_items=10, after=3)
    for e in range(200):
        plan = plan_examinee(design, 4, e)
        for length in (10, 11, 25):
            order = given_order(plan, length)
            assert [kind for kind, _ in order].count("pretest") == 4
            assert order[-1][0] == "operational" and order[-2][0] == "operational"
            assert all(kind == "operational" for kind, _ in order[:3])
            assert [i for kind, i in order if kind == "operational"] == list(range(length))


def test_a_short_test_leaves_out_the_slots_it_does_not_reach() -> None:
    plan = PretestPlan(items=np.array([5, 1, 7]), after_answer=np.array([3, 4, 6]))
    assert given_order(plan, 5) == [
        ("operational", 0),
        ("operational", 1),
        ("operational", 2),
        ("pretest", 0),
        ("operational", 3),
        ("pretest", 1),
        ("operational", 4),
    ]


@pytest.mark.parametrize(
    ("n", "k", "min_items", "after"), [(0, 1, 10, 3), (5, 6, 10, 3), (5, 0, 10, 3), (5, 2, 4, 3), (5, 2, 10, -1)]
)
def test_impossible_designs_are_refused(n: int, k: int, min_items: int, after: int) -> None:
    with pytest.raises(ValueError):
        PretestDesign(n, k, min_items, after)
