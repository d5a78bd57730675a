"""cat_engine.options: each session's order of an item's options, and how it travels through the core and server.

The candidate sees and sends display positions; the core scores and keeps stored option indices; the audit records
the order shown. A pure function of (seed, subtest, item), so a restored session shows the same order.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from conftest import battery_dict, load, make_item, make_pool_dict, subtest_dict
from server_world import frame, make_world, run

from cat_engine import codec
from cat_engine import session as core
from cat_engine.battery import Battery
from cat_engine.draws import as_keys, uniforms_one
from cat_engine.errors import ResponseOutOfRange
from cat_engine.events import Answered, ItemPresented
from cat_engine.options import (
    OPTION_STREAM,
    current_order,
    item_option_order,
    option_order,
    option_orders,
    shown_position,
    stored_option,
)
from cat_engine.pool import Pool
from cat_engine.server import audit
from cat_engine.server.frames import item_frame
from cat_engine.session import Phase, SessionState

# --- the order itself ------------------------------------------------------------------------------------------


def test_an_order_is_a_permutation_and_the_same_every_time() -> None:
    for n in (2, 3, 4, 5, 7, 10, 65, 100):  # above 64 options uniforms_one takes its array path
        order = option_order(123456789, 2, 17, n, True)
        assert sorted(order) == list(range(n))
        assert option_order(123456789, 2, 17, n, True) == order


def test_the_order_is_the_argsort_of_the_items_own_stream() -> None:
    draws = uniforms_one((42, 1), OPTION_STREAM + 9, 5)
    assert option_order(42, 1, 9, 5, True) == tuple(int(k) for k in np.argsort(draws, kind="stable"))


def test_no_shuffle_and_fewer_than_two_options_keep_the_stored_order() -> None:
    assert option_order(5, 0, 3, 5, False) == (0, 1, 2, 3, 4)
    assert option_order(5, 0, 3, 1, True) == (0,)
    assert option_order(5, 0, 3, 0, True) == ()


def test_seed_subtest_and_item_each_change_the_order() -> None:
    base = option_order(1000, 0, 0, 6, True)  # 720 orders: a chance match is rare, and these are fixed
    assert option_order(1001, 0, 0, 6, True) != base
    assert option_order(1000, 1, 0, 6, True) != base
    assert option_order(1000, 0, 1, 6, True) != base


def test_orders_over_many_sessions_are_uniform() -> None:
    """Over 4800 fixed seeds, every order of 4 options turns up about equally often, and each option lands in each
    position about a quarter of the time (chi-square bounds at p = 0.001: a fixed seed set, so no flakiness)."""
    n, sessions = 4, 4800
    orders = [option_order(seed, 0, 7, n, True) for seed in range(sessions)]
    counts = Counter(orders)
    assert len(counts) == 24
    expected = sessions / 24
    chi2_orders = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2_orders < 49.73  # chi-square, 23 degrees of freedom, 0.999 quantile
    cells = np.zeros((n, n))
    for order in orders:
        cells[range(n), order] += 1  # position p shows stored option order[p]
    expected_cell = sessions / n
    chi2_cells = float(((cells - expected_cell) ** 2 / expected_cell).sum())
    assert chi2_cells < 27.88  # 9 degrees of freedom (fixed margins), 0.999 quantile
    # neighbouring sessions are unrelated: the same order about 1 time in 24
    same = sum(a == b for a, b in itertools.pairwise(orders))
    assert same < 2 * sessions / 24


def test_batch_orders_equal_the_one_at_a_time_orders() -> None:
    seeds = [0, 1, 2**61 + 5, 987654321]
    keys = as_keys([[s, 1] for s in seeds])
    for n in (4, 70):
        batch = option_orders(keys, 12, n)
        assert [tuple(int(k) for k in row) for row in batch] == [option_order(s, 1, 12, n, True) for s in seeds]
    items = [3, 8, 3, 0]
    per_row = option_orders(keys, items, 5)
    assert [tuple(int(k) for k in row) for row in per_row] == [
        option_order(s, 1, i, 5, True) for s, i in zip(seeds, items, strict=True)
    ]


def test_the_option_streams_stay_clear_of_the_selection_streams() -> None:
    # selection reads 4 * items_answered + purpose (below 2**33) and the lottery 2**41 (docs in cat_engine.options)
    assert OPTION_STREAM > 2**33 and OPTION_STREAM + 10**7 < 2**41


def test_display_positions_and_stored_options_are_inverse() -> None:
    order = option_order(77, 0, 4, 5, True)
    for shown in range(5):
        option = stored_option(order, shown)
        assert option == order[shown]
        assert shown_position(order, option) == shown
    for bad in (-1, 5, True, 1.0, "1", None):
        with pytest.raises(ResponseOutOfRange):
            stored_option(order, bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        shown_position(order, 9)


# --- which items shuffle ---------------------------------------------------------------------------------------


def _mixed_pool() -> Pool:
    items = [
        make_item("K", key=2, n_options=5),
        make_item("G", model="GPCM", b=[-1.0, 0.0, 1.0, 2.0]),
        {**make_item("F", key=1, n_options=5), "shuffle_options": False},
        {**make_item("H", model="GRM", b=[-1.0, 0.0, 1.0, 2.0]), "shuffle_options": True},
    ]
    return Pool.from_dict(make_pool_dict(items=items), source="<test>")


def test_the_pool_field_decides_which_items_shuffle() -> None:
    pool = _mixed_pool()
    assert [it.shuffle_options for it in pool.items] == [True, False, False, True]
    seeds = range(50)
    # one-key items shuffle by default; graded ones and those with shuffle_options = false never do
    assert len({item_option_order(pool, s, 0, 0) for s in seeds}) > 10
    assert {item_option_order(pool, s, 0, 1) for s in seeds} == {(0, 1, 2, 3, 4)}
    assert {item_option_order(pool, s, 0, 2) for s in seeds} == {(0, 1, 2, 3, 4)}
    assert len({item_option_order(pool, s, 0, 3) for s in seeds}) > 10  # a graded item may opt in
    assert item_option_order(pool, 3, 0, 0) == option_order(3, 0, 0, 5, True)


# --- sessions --------------------------------------------------------------------------------------------------


def _battery(directory: Path, shuffle: bool | None) -> Battery:
    """Two adaptive subtests over pools with dichotomous and graded items; ``shuffle`` False turns shuffling off on
    every item, None keeps the defaults."""
    pools: dict[str, dict[str, Any]] = {
        "s1.json": make_pool_dict(50, seed=11, pool_id="p1"),
        "s2.json": make_pool_dict(30, seed=12, pool_id="p2", n_polytomous=8),
    }
    if shuffle is not None:
        for pool in pools.values():
            for item in pool["items"]:
                item["shuffle_options"] = shuffle
    subtests = [subtest_dict("s1", max_items=12, se_target=0.35), subtest_dict("s2", max_items=10, se_target=0.4)]
    directory.mkdir(parents=True, exist_ok=True)
    return load(directory, battery_dict(subtests), pools=pools)


def _sit(battery: Battery, seed: int, by_position: bool) -> tuple[SessionState, list[Any]]:
    """A whole sitting whose examinee picks stored options by a fixed rule (the key two times in three on one-key
    items, otherwise an option drawn in item order); ``by_position`` answers with the option's display position,
    as a candidate does, otherwise with its stored index (right only when nothing is shuffled)."""
    rng = random.Random(seed)
    now = 0
    state, _ = core.connect(battery, core.new_session(battery, seed), now)
    answers: list[Any] = []
    while state.phase in (Phase.READY, Phase.INTRO, Phase.ACTIVE):
        if state.phase is not Phase.ACTIVE:
            state, _ = core.start(battery, state, now)
            continue
        item = battery.subtests[state.subtest_index].pool.items[state.item_index]
        chosen = item.key if item.key is not None and rng.random() < 2 / 3 else rng.randrange(len(item.options))
        response = shown_position(current_order(battery, state), chosen) if by_position else chosen
        now += 2000
        state, events = core.answer(battery, state, state.seq, response, now)
        answered = next(e for e in events if isinstance(e, Answered))
        assert (answered.response, answered.shown) == (chosen, response)
        answers.append((answered.item_index, answered.response, answered.category))
    return state, answers


def test_answering_by_position_scores_what_the_stored_order_scores(tmp_path: Path) -> None:
    shuffled = _battery(tmp_path / "on", None)
    plain = _battery(tmp_path / "off", False)
    moved = 0
    for seed in (3, 40, 2**40 + 1):
        a, answers_a = _sit(shuffled, seed, by_position=True)
        b, answers_b = _sit(plain, seed, by_position=False)
        assert a.phase is b.phase is Phase.FINISHED
        assert answers_a == answers_b  # the same items, stored options and categories
        assert [d.responses for d in a.done] == [d.responses for d in b.done]
        assert core.profile(shuffled, a) == core.profile(plain, b)
        pool = shuffled.subtests[0].pool
        moved += sum(item_option_order(pool, seed, 0, i) != tuple(range(4)) for i, _, _ in answers_a[:5])
    assert moved > 0  # the positions sent really differed from the stored indices


def test_graded_items_show_their_scale_in_order(tmp_path: Path) -> None:
    battery = _battery(tmp_path, None)
    pool = battery.subtests[1].pool
    graded = [i for i, it in enumerate(pool.items) if it.option_weights is not None]
    assert graded and all(item_option_order(pool, s, 1, i) == tuple(range(5)) for s in range(20) for i in graded)


def test_a_restored_session_shows_the_same_order(tmp_path: Path) -> None:
    battery = _battery(tmp_path, None)
    state, _ = core.connect(battery, core.new_session(battery, 2024), 0)
    state, _ = core.start(battery, state, 0)
    state, _ = core.start(battery, state, 0)
    for k in range(4):
        state, _ = core.answer(battery, state, state.seq, k % 4, 1000 * (k + 1))
    assert state.phase is Phase.ACTIVE
    restored = codec.decode(battery, codec.encode(state))
    assert current_order(battery, restored) == current_order(battery, state)
    assert item_frame(battery, restored, 9000) == item_frame(battery, state, 9000)
    # and the same display position answers the same stored option in both
    _, events = core.answer(battery, state, state.seq, 1, 9000)
    _, again = core.answer(battery, restored, restored.seq, 1, 9000)
    assert events == again


def test_frames_of_one_item_differ_only_in_the_order_of_the_texts(tmp_path: Path) -> None:
    """The frame never carries a stored index: two sessions shown the same item in different orders get frames
    that differ in nothing but the order of the option texts."""
    battery = _battery(tmp_path, None)
    frames_by_order: dict[tuple[int, ...], dict[str, Any]] = {}
    for seed in range(40):
        state, _ = core.connect(battery, core.new_session(battery, seed), 0)
        state, _ = core.start(battery, state, 0)
        state, _ = core.start(battery, state, 0)
        # the same item for everyone: present item 0 of the pool
        state = replace(state, item_index=0)
        frames_by_order[current_order(battery, state)] = orjson.loads(item_frame(battery, state, 0))
    assert len(frames_by_order) > 5
    item = battery.subtests[0].pool.items[0]
    for order, shown in frames_by_order.items():
        assert shown["item"]["options"] == [item.options[k] for k in order]
        shown["item"]["options"] = sorted(shown["item"]["options"])
    first, *rest = frames_by_order.values()
    assert all(other == first for other in rest)


# --- the audit -------------------------------------------------------------------------------------------------


def test_presented_entries_record_the_order_shown(tmp_path: Path) -> None:
    battery = _battery(tmp_path, None)
    events = [ItemPresented(5, 1, 0, 3, 1), ItemPresented(6, 2, 1, 4, 1)]
    entries = [orjson.loads(e) for e in audit.presented(battery, 77, events)]
    assert [e["option_order"] for e in entries] == [
        list(item_option_order(battery.subtests[0].pool, 77, 0, 3)),
        list(item_option_order(battery.subtests[1].pool, 77, 1, 4)),
    ]
    assert [e["item_id"] for e in entries] == [
        battery.subtests[0].pool.items[3].id,
        battery.subtests[1].pool.items[4].id,
    ]


def test_the_server_audits_the_order_shown_and_the_option_chosen(tmp_path: Path) -> None:
    battery = _battery(tmp_path, None)

    async def go() -> None:
        w = await make_world(battery)
        out = await w.sit("p1/c1")
        shown = frame(out.frames[0])
        state = await w.state()
        order = current_order(battery, state)
        item = battery.subtests[0].pool.items[state.item_index]
        assert shown["item"]["options"] == [item.options[k] for k in order]
        assert item.key is not None
        key = item.key
        position = shown_position(order, key)  # the examinee picks the key by its text on screen
        assert shown["item"]["options"][position] == item.options[key]
        await w.process.candidates.answer(w.sid(), "p1/c1", 1, position)
        entries = await w.audit()
        presented = [e for e in entries if e["kind"] == "presented"]
        assert presented[0]["option_order"] == list(order) and presented[0]["item_id"] == item.id
        assert len(presented) == 2  # the next item's order is recorded too
        after = await w.state()
        assert presented[1]["option_order"] == list(current_order(battery, after))
        answer = next(e for e in entries if e["kind"] == "answer")
        assert (answer["response"], answer["option"]) == (position, key)  # as sent, and as stored
        assert after.responses == (key,)  # the state keeps the stored option
        answered = next(e["event"] for e in await w.events() if e["event"]["type"] == "answered")
        assert (answered["response"], answered["shown"]) == (key, position)

    run(go)
