"""Pretest items in live sittings (cat_engine/session_pretest.py, the ``[subtests.pretest]`` table of
cat_engine/battery.py, the session machine, the codec's layout 5).

The main check replays the same answers to the operational items through the battery with the pretest table and
through the same battery without it: with the same seed the operational test (items, answers, estimates, stop,
flags, profile) must be the very same, only the time used grows by the pretest answers' time.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from conftest import battery_dict, make_pool_dict, subtest_dict, write_battery
from test_session_integrity import timed_pool

from cat_engine import session as core
from cat_engine.battery import Battery, load_battery
from cat_engine.codec import decode, encode
from cat_engine.errors import BatteryConfigError, StateCorrupted, TimeUp
from cat_engine.events import Answered, Event, ItemPresented, PretestAnswered, PretestPresented
from cat_engine.options import current_order, item_option_order, shown_position
from cat_engine.pool import Item
from cat_engine.pretest import PretestDesign, PretestPlan, given_order, plan_examinee
from cat_engine.server import frames
from cat_engine.session import Phase, SessionState
from cat_engine.session_pretest import (
    CLEARED,
    KEY_DOMAIN,
    PretestKey,
    plan,
    presented_item,
    presented_item_id,
    pretest_key_of,
)
from cat_engine.stopping import StopReason

OP_MS, PRE_MS = 8_000, 5_000  # how long each operational and each pretest answer takes
LIMIT_S, PER_ITEM_S = 600.0, 45.0
PRETEST = {"s1": (3, 3), "s2": (2, 4)}  # subtest: (count, after)


def _subtests(pretest: bool, n_pool: int = 60, **s1: Any) -> list[dict[str, Any]]:
    """s1: 3PL items, 8 to 12 of them with an SE target; s2: fixed at 9, mixed one-key and graded items."""
    first = subtest_dict("s1", min_items=8, max_items=12, se_target=0.4, time_limit_s=LIMIT_S, **s1)
    second = subtest_dict("s2", min_items=9, max_items=9, se_target=None, time_limit_s=LIMIT_S)
    if pretest:
        for sub, (count, after) in zip((first, second), PRETEST.values(), strict=True):
            sub["pretest"] = {
                "pool": f"{sub['id']}_pre.json",
                "count": count,
                "after": after,
                "time_per_item_s": PER_ITEM_S,
            }
    return [first, second]


def _pretest_pool(n: int, seed: int, like: str, n_polytomous: int = 0) -> dict[str, Any]:
    """A pretest pool whose item ids look like those of the operational pool ``like`` (the candidate sees an item's
    id): ``like-9000`` on, the texts named after them."""
    data = make_pool_dict(n, seed=seed, pool_id=f"{like}-pretest", n_polytomous=n_polytomous)
    for i, item in enumerate(data["items"]):
        new = f"{like}-{9000 + i:04d}"
        item["stem"] = item["stem"].replace(item["id"], new)
        item["options"] = [o.replace(item["id"], new) for o in item["options"]]
        item["id"] = new
    return data


def _pools(n_pool: int = 60) -> dict[str, dict[str, Any]]:
    return {
        "s1.json": make_pool_dict(n_pool, seed=3, pool_id="s1"),
        "s2.json": make_pool_dict(30, seed=9, pool_id="s2", n_polytomous=8),
        "s1_pre.json": _pretest_pool(7, 21, "s1"),
        "s2_pre.json": _pretest_pool(3, 22, "s2", n_polytomous=3),
    }


def _pair(directory: Path, n_pool: int = 60) -> tuple[Battery, Battery]:
    pools = _pools(n_pool)
    with_path = write_battery(directory, battery_dict(_subtests(True)), pools=pools, filename="with.toml")
    without_path = write_battery(directory, battery_dict(_subtests(False)), pools=pools, filename="without.toml")
    return load_battery(with_path), load_battery(without_path)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Battery, Battery]:
    return _pair(tmp_path_factory.mktemp("pretest"))


def choice(item: Item, seed: int) -> int:
    """The stored option the examinee of session ``seed`` picks: a fixed function of the item id and the seed (right
    on two items in three)."""
    h = zlib.crc32(f"{item.id}/{seed}".encode())
    n = len(item.options)
    if item.key is None:
        return h % n
    return item.key if h % 3 else (item.key + 1) % n


def begin(battery: Battery, seed: int, key: PretestKey | None = None) -> tuple[SessionState, list[Event]]:
    s = core.new_session(battery, seed, pretest_key=key)
    s, _ = core.connect(battery, s, 0)
    s, events = core.start(battery, s, 0)
    s, more = core.start(battery, s, 0)
    return s, [*events, *more]


def step(battery: Battery, s: SessionState, t: int) -> tuple[SessionState, list[Event], int]:
    """Answer the item presented (the examinee's choice) after its time; the state, its events and the time."""
    pool, item, pretest = presented_item(battery, s)
    t += PRE_MS if pretest else OP_MS
    shown = shown_position(current_order(battery, s), choice(pool.items[item], s.seed))
    s, events = core.answer(battery, s, s.seq, shown, t)
    return s, events, t


def sit(battery: Battery, seed: int, key: PretestKey | None = None) -> tuple[SessionState, list[Event]]:
    """A whole sitting, every item answered by :func:`choice`."""
    s, events = begin(battery, seed, key)
    t = 0
    while s.phase not in (Phase.FINISHED, Phase.TERMINATED):
        if s.phase is Phase.INTRO:
            s, more = core.start(battery, s, t)
        else:
            s, more, t = step(battery, s, t)
        events += more
    return s, events


def presented_by_subtest(events: list[Event]) -> dict[int, list[ItemPresented]]:
    out: dict[int, list[ItemPresented]] = {}
    for e in events:
        if isinstance(e, ItemPresented):
            out.setdefault(e.subtest_index, []).append(e)
    return out


# --- where they come -----------------------------------------------------------------------------------------------


def test_pretest_items_come_where_the_plan_puts_them_never_last(pair: tuple[Battery, Battery]) -> None:
    battery, _ = pair
    lengths: set[int] = set()
    for seed in range(25):
        s, events = sit(battery, 1000 + seed)
        for index, shown in presented_by_subtest(events).items():
            schedule = plan(battery, index, s.seed)
            assert schedule is not None
            items, after = schedule
            n_operational = len(s.done[index].items)
            lengths.add(n_operational)
            expected = given_order(PretestPlan(np.array(items), np.array(after)), n_operational)
            observed = [
                ("pretest" if isinstance(e, PretestPresented) else "operational", e.position - 1) for e in shown
            ]
            assert observed == expected, (seed, index)
            given = [e.item_index for e in shown if isinstance(e, PretestPresented)]
            count, first_after = PRETEST[battery.subtests[index].id]
            assert given == list(items) and len(given) == count  # every plan reaches its slots here
            assert not isinstance(shown[-1], PretestPresented)  # never the last item
            kinds = [k for k, _ in observed]
            assert "pretest" not in kinds[:first_after]  # never among the first `after`
            assert "pretest" not in kinds[-2:]  # at least two operational items after the last one
    assert len(lengths) > 3  # the SE target made tests of several lengths (s2 is fixed at 9)


def test_a_slot_the_operational_part_never_reaches_is_not_given(tmp_path: Path) -> None:
    """s1's pool has 6 items and min_items 8: the test stops when the pool runs out, and a pretest item planned after
    the 6th operational answer would be the last item: it is not given."""
    pools = _pools(n_pool=6)
    battery = load_battery(write_battery(tmp_path, battery_dict(_subtests(True)), pools=pools))
    cut = kept = 0
    for seed in range(60):
        schedule = plan(battery, 0, seed)
        assert schedule is not None
        s, events = sit(battery, seed)
        shown = presented_by_subtest(events)[0]
        assert s.done[0].stop_reason is StopReason.POOL_EXHAUSTED and len(s.done[0].items) == 6
        given = [e.item_index for e in shown if isinstance(e, PretestPresented)]
        wanted = [item for item, a in zip(*schedule, strict=True) if a < 6]
        assert given == wanted and not isinstance(shown[-1], PretestPresented)
        cut += len(wanted) < len(schedule[0])
        kept += len(wanted) == len(schedule[0])
    assert cut and kept  # both cases were seen


# --- not scored ----------------------------------------------------------------------------------------------------


def test_the_operational_test_is_the_one_without_pretest_items(pair: tuple[Battery, Battery]) -> None:
    with_pretest, without = pair
    for seed in (7, 8, 2**61 + 12345, 99):
        a, a_events = sit(with_pretest, seed)
        b, b_events = sit(without, seed)
        assert a.phase is b.phase is Phase.FINISHED
        given = dict.fromkeys(range(2), 0)
        for e in a_events:
            if isinstance(e, PretestAnswered):
                given[e.subtest_index] += 1
        for k, (ra, rb) in enumerate(zip(a.done, b.done, strict=True)):
            assert (ra.items, ra.responses, ra.response_ms) == (rb.items, rb.responses, rb.response_ms)
            assert (ra.theta, ra.se, ra.stop_reason) == (rb.theta, rb.se, rb.stop_reason)
            assert ra.time_used_ms == rb.time_used_ms + PRE_MS * given[k]  # the pretest answers' time, no more
        # every operational estimate on the way, and what the integrity screening raised
        op_a = [(e.item_index, e.theta, e.se) for e in a_events if type(e) is Answered]
        op_b = [(e.item_index, e.theta, e.se) for e in b_events if type(e) is Answered]
        assert op_a == op_b and a.flags == b.flags
        pa, pb = core.profile(with_pretest, a).to_dict(), core.profile(without, b).to_dict()
        for row_a, row_b, k in zip(pa["subtests"], pb["subtests"], range(2), strict=True):
            assert row_a["time_used_s"] == pytest.approx(row_b["time_used_s"] + PRE_MS * given[k] / 1000)
            row_a.pop("time_used_s"), row_b.pop("time_used_s")
        assert pa == pb
        assert core.trajectory(with_pretest, a) == core.trajectory(without, b)


def test_pretest_answers_are_recorded_apart_with_their_own_scoring(pair: tuple[Battery, Battery]) -> None:
    battery, _ = pair
    s, _ = begin(battery, 31)
    t, seen = 0, 0
    last_op: Answered | None = None
    while s.phase is Phase.ACTIVE and s.subtest_index == 0:
        before = s
        s, events, t = step(battery, s, t)
        answered = events[0]
        assert isinstance(answered, Answered)
        if isinstance(answered, PretestAnswered):
            seen += 1
            pool = battery.subtests[0].pretest.pool  # type: ignore[union-attr]
            assert answered.item_index == before.pretest_item
            assert answered.category == pool.score(answered.item_index, answered.response)
            assert answered.response_ms == PRE_MS
            assert last_op is not None and (answered.theta, answered.se) == (last_op.theta, last_op.se)
            assert (s.items, s.theta, s.se) == (before.items, before.theta, before.se)  # nothing operational moved
            assert s.pretest_items[-1] == answered.item_index and s.pretest_responses[-1] == answered.response
            assert s.pretest_response_ms[-1] == PRE_MS and s.item_index == before.item_index
            nxt = events[1]
            assert isinstance(nxt, ItemPresented) and nxt.seq == before.seq + 1
        else:
            last_op = answered
        if s.phase is Phase.ACTIVE and s.subtest_index == 0:
            assert len(s.items) + len(s.pretest_items) == s.seq - 1  # every seq so far answered once
    assert seen == PRETEST["s1"][0]
    assert s.pretest_items == () and s.pretest_item == -1  # cleared with the subtest


def test_pretest_options_are_shuffled_from_their_own_stream(pair: tuple[Battery, Battery]) -> None:
    battery, _ = pair
    sub = battery.subtests[0]
    assert sub.pretest is not None
    differs = 0
    for seed in range(12):
        s, _ = begin(battery, seed)
        t = 0
        while s.pretest_item < 0:
            s, _, t = step(battery, s, t)
        item = s.pretest_item
        order = current_order(battery, s)
        assert order == item_option_order(sub.pretest.pool, seed, 0, item, pretest=True)
        assert sorted(order) == list(range(len(sub.pretest.pool.items[item].options)))
        differs += order != item_option_order(sub.pretest.pool, seed, 0, item)  # the operational stream's order
        assert presented_item_id(battery, s) == sub.pretest.pool.items[item].id
        _, events = core.answer(battery, s, s.seq, 2, t + 1000)
        assert events[0].response == order[2] and events[0].shown == 2  # type: ignore[attr-defined]
    assert differs > 6


# --- time and frames -----------------------------------------------------------------------------------------------


def test_the_pretest_time_is_allowed_from_the_start_and_shown(pair: tuple[Battery, Battery]) -> None:
    battery, without = pair
    s, _ = begin(battery, 5)
    allowed = LIMIT_S + PRETEST["s1"][0] * PER_ITEM_S
    assert battery.subtests[0].time_allowed_s == allowed and without.subtests[0].time_allowed_s == LIMIT_S
    assert core.time_left_ms(battery, s, 0) == allowed * 1000
    intro = core.new_session(battery, 5)
    intro, _ = core.start(battery, intro, 0)
    shown = orjson.loads(frames.subtest_intro_frame(battery, intro, 0, 300_000))
    assert shown["time_limit_s"] == allowed and shown["subtest"]["items_max"] == 12 + PRETEST["s1"][0]


def test_item_frames_do_not_tell_a_pretest_item_apart(pair: tuple[Battery, Battery]) -> None:
    battery, _ = pair
    s, _ = begin(battery, 17)
    t, answered = 0, 0
    keys: set[frozenset[str]] = set()
    while s.phase is Phase.ACTIVE and s.subtest_index == 0:
        raw = frames.item_frame(battery, s, t)
        frame = orjson.loads(raw)
        assert b"pretest" not in raw.lower()  # neither the word nor the pretest pool's id
        keys.add(frozenset(frame) | frozenset(f"item.{k}" for k in frame["item"]))
        pool, item, _ = presented_item(battery, s)
        assert frame["item"]["stem"] == pool.items[item].stem
        assert frame["progress"]["answered"] == answered  # counts the pretest answers too: no gap, no repeat
        assert frame["progress"]["max_items"] == 12 + PRETEST["s1"][0]
        s, _, t = step(battery, s, t)
        answered += 1
    assert len(keys) == 1  # one shape for all


def test_time_up_on_a_pretest_item_ends_the_subtest_on_the_operational_answers(pair: tuple[Battery, Battery]) -> None:
    battery, _ = pair
    s, _ = begin(battery, 23)
    t = 0
    while s.pretest_item < 0:
        s, _, t = step(battery, s, t)
    late = round(battery.subtests[0].time_allowed_s * 1000) + 1  # type: ignore[operator]
    with pytest.raises(TimeUp):
        core.answer(battery, s, s.seq, 0, late)
    ended, _ = core.tick(battery, s, late)
    record = ended.done[0]
    assert record.stop_reason is StopReason.TIME_UP and record.items == s.items
    assert (record.theta, record.se) == battery.subtests[0].final_estimate(
        s.items,
        battery.subtests[0].pool.categories(s.items, s.responses),
        (s.theta, s.se),  # type: ignore[arg-type]
    )
    assert ended.phase is Phase.INTRO and ended.pretest_item == -1 and ended.pretest_items == ()
    terminated, _ = core.terminate(battery, s, "menyontek", t + 10)
    assert terminated.done[0].items == s.items and terminated.pretest_item == -1
    assert decode(battery, encode(terminated)) == terminated


# --- codec ---------------------------------------------------------------------------------------------------------


def test_a_state_showing_a_pretest_item_roundtrips_and_continues_the_same(pair: tuple[Battery, Battery]) -> None:
    battery, _ = pair
    s, _ = begin(battery, 41)
    t = 0
    while not (s.pretest_item >= 0 and s.pretest_items):  # the second pretest item is shown
        s, _, t = step(battery, s, t)
    back = decode(battery, encode(s))
    assert back == s
    a, b = s, back
    for _ in range(6):
        a, ea, _ = step(battery, a, t)
        b, eb, t = step(battery, b, t)
        assert (a, ea) == (b, eb)


def test_layout4_states_decode_without_pretest_items(pair: tuple[Battery, Battery]) -> None:
    battery, without = pair
    for b in (battery, without):
        s, _ = begin(b, 3)
        s, _, _ = step(b, s, 0)  # one operational answer: no pretest item yet
        raw = orjson.loads(encode(s))
        assert raw[0] == 5 and raw[-5:] == [-1, [], [], [], None]
        old = orjson.dumps([4, *raw[1:-5]])
        assert decode(b, old) == s
        assert encode(decode(b, old))[:2] == b"[5"
        keyed, _ = begin(b, 3, (12345, 6))
        keyed, _, _ = step(b, keyed, 0)
        raw = orjson.loads(encode(keyed))
        assert raw[-1] == [12345, 6]
        assert decode(b, orjson.dumps([4, *raw[1:-5]])).pretest_key is None  # layout 4 had no key


def test_the_codec_refuses_pretest_fields_that_do_not_fit(pair: tuple[Battery, Battery]) -> None:
    battery, without = pair
    s, _ = begin(battery, 41)
    t = 0
    while not (s.pretest_item >= 0 and s.pretest_items):
        s, _, t = step(battery, s, t)
    size = battery.subtests[0].pretest.pool.size  # type: ignore[union-attr]
    bad_states = [
        replace(s, pretest_item=size),  # not an item of the pretest pool
        replace(s, pretest_responses=()),  # lengths differ
        replace(s, pretest_items=(size + 3,)),  # an answer to no pretest item
        replace(s, pretest_items=(0, 1, 2, 3), pretest_responses=(0,) * 4, pretest_response_ms=(1,) * 4),  # > count
        replace(s, phase=Phase.INTRO, item_index=-1, intro_at_ms=0, items=(), responses=(), response_ms=()),
    ]
    for bad in bad_states:
        with pytest.raises(StateCorrupted):
            decode(battery, encode(bad))
    plain, _ = begin(without, 41)
    for bad in (replace(plain, pretest_item=0), replace(plain, **{**CLEARED, "pretest_items": (0,)})):
        with pytest.raises(StateCorrupted):
            decode(without, encode(bad))


# --- the plan ------------------------------------------------------------------------------------------------------


def test_plans_spread_sessions_evenly_over_the_pretest_items(pair: tuple[Battery, Battery]) -> None:
    """Independent seeds: each item's count is Binomial(E, K/N); every count within 5 SD of its mean E K / N."""
    battery, _ = pair
    sub = battery.subtests[0]
    assert sub.pretest is not None
    n, k, sessions = sub.pretest.pool.size, sub.pretest.count, 3000
    counts = np.zeros(n)
    slots = PretestDesign(n, k, sub.stopping.min_items, sub.pretest.after).slots
    for seed in range(sessions):
        schedule = plan(battery, 0, seed * 7919 + 1)
        assert schedule is not None
        items, after = schedule
        assert len(set(items)) == k and list(after) == sorted(after) and set(after) <= set(slots.tolist())
        counts[list(items)] += 1
    p = k / n
    assert np.all(np.abs(counts - sessions * p) <= 5 * np.sqrt(sessions * p * (1 - p))), counts
    assert plan(battery, 0, 5) == plan(battery, 0, 5) and plan(battery, 0, 5) != plan(battery, 1, 5)


# --- the plans of a room (pretest keys) -----------------------------------------------------------------------------


ROOM = "R7K2QX"


def room_key(room: str, number: int) -> PretestKey:
    key = pretest_key_of(f"{room}-{number:04d}")
    assert key is not None
    return key


def test_the_pretest_key_of_a_session_id() -> None:
    """The design seed is SHA-256 of the domain word and the room id, cut to 62 bits; the examinee index the
    session number less one (the store numbers a room's sessions from 1)."""
    seed = int.from_bytes(hashlib.sha256(KEY_DOMAIN + ROOM.encode()).digest()[:8], "big") >> 2
    assert pretest_key_of(f"{ROOM}-0001") == (seed, 0)
    assert pretest_key_of(f"{ROOM}-0042") == (seed, 41)
    assert pretest_key_of(f"{ROOM}-123456789012") == (seed, 123456789011)
    assert 0 <= seed < 2**62
    other = pretest_key_of("R7K2QY-0001")
    assert other is not None and other[0] != seed and other[1] == 0
    for odd in ("", "S1", ROOM, f"{ROOM}-", f"{ROOM}-001", f"{ROOM}-0000", f"-{ROOM}", f"{ROOM}-00x1", "A-B-0001"):
        assert pretest_key_of(odd) is None, odd
    assert pretest_key_of(f"{ROOM}-\u0661\u0662\u0663\u0664") is None  # Arabic-Indic digits are not a number here


def test_a_rooms_plans_keep_every_items_count_within_one(pair: tuple[Battery, Battery]) -> None:
    """Sessions 1..E of one room: after every E each subtest's pretest items were planned within one time of each
    other, and each plan is K different items at the design's slots."""
    battery, _ = pair
    sessions = 60  # over 8 blocks of s1's 7 items and 20 of s2's 3
    for index, sub in enumerate(battery.subtests):
        assert sub.pretest is not None
        n, k = sub.pretest.pool.size, sub.pretest.count
        slots = set(PretestDesign(n, k, sub.stopping.min_items, sub.pretest.after).slots.tolist())
        counts = np.zeros(n, dtype=int)
        for e in range(sessions):
            schedule = plan(battery, index, 99, room_key(ROOM, e + 1))
            assert schedule is not None
            items, after = schedule
            assert len(set(items)) == k and list(after) == sorted(after) and set(after) <= slots
            counts[list(items)] += 1
            assert counts.max() - counts.min() <= 1, (index, e, counts)
        assert counts.sum() == sessions * k


def test_the_seed_of_a_sitting_does_not_move_its_plan_but_the_room_does(pair: tuple[Battery, Battery]) -> None:
    battery, _ = pair
    key = room_key(ROOM, 5)
    assert plan(battery, 0, 1, key) == plan(battery, 0, 2**61 + 7, key)  # the key alone places the items
    # another room's permutations: the sequences of plans differ
    mine = [plan(battery, 0, 1, room_key(ROOM, n)) for n in range(1, 15)]
    theirs = [plan(battery, 0, 1, room_key("HM3PTW", n)) for n in range(1, 15)]
    assert mine != theirs and sum(a != b for a, b in zip(mine, theirs, strict=True)) > 7


def test_without_a_key_the_plan_is_examinee_0_of_the_sessions_own_seed(pair: tuple[Battery, Battery]) -> None:
    battery, _ = pair
    sub = battery.subtests[0]
    assert sub.pretest is not None
    design = sub.pretest.design(sub.stopping.min_items)
    for seed in (0, 5, 2**61 + 3):
        p = plan_examinee(design, (seed, 0), 0)
        assert plan(battery, 0, seed) == plan(battery, 0, seed, None) == (tuple(p.items), tuple(p.after_answer))
    assert core.new_session(battery, 5).pretest_key is None
    with pytest.raises(ValueError):
        core.new_session(battery, 5, pretest_key=(-1, 0))


def test_a_keyed_sitting_gives_its_plan_and_the_same_operational_test(pair: tuple[Battery, Battery]) -> None:
    """A sitting with a key gives the key's plan; its operational test is the one of its seed without a key."""
    battery, _ = pair
    for number, seed in ((1, 7), (2, 8), (9, 2**61 + 12345)):
        key = room_key(ROOM, number)
        keyed, events = sit(battery, seed, key)
        plain, _ = sit(battery, seed)
        assert keyed.phase is plain.phase is Phase.FINISHED and keyed.pretest_key == key
        for index, shown in presented_by_subtest(events).items():
            schedule = plan(battery, index, seed, key)
            assert schedule is not None
            assert [e.item_index for e in shown if isinstance(e, PretestPresented)] == list(schedule[0])
        assert [(d.items, d.responses, d.theta, d.se) for d in keyed.done] == [
            (d.items, d.responses, d.theta, d.se) for d in plain.done
        ]


def test_a_keyed_state_roundtrips_and_a_bad_key_is_refused(pair: tuple[Battery, Battery]) -> None:
    battery, _ = pair
    key = room_key(ROOM, 3)
    s, _ = begin(battery, 41, key)
    t = 0
    while not (s.pretest_item >= 0 and s.pretest_items):
        s, _, t = step(battery, s, t)
    back = decode(battery, encode(s))
    assert back == s and back.pretest_key == key
    a, b = s, back
    for _ in range(6):
        a, ea, _ = step(battery, a, t)
        b, eb, t = step(battery, b, t)
        assert (a, ea) == (b, eb)
    raw = orjson.loads(encode(s))
    for bad in ([1], [1, 2, 3], [-1, 0], [0, -1], "key", [True, 0], [1.5, 0], {"a": 1}):
        with pytest.raises(StateCorrupted):
            decode(battery, orjson.dumps([*raw[:-1], bad]))


# --- the battery table ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"count": 8}, "pretest.count"),  # the pretest pool has 7 items
        ({"count": 0}, "pretest.count"),
        ({"count": 2.0}, "pretest.count"),
        ({"after": 0}, "pretest.after"),
        ({"after": 7}, "pretest.after"),  # min_items 8 < after + 2
        ({"time_per_item_s": -1}, "pretest.time_per_item_s"),
        ({"colour": 1}, "pretest.colour"),
        ({"pool": ""}, "pretest.pool"),
        ({"pool": "s1.json"}, "pretest.pool"),  # the operational pool's own ids
    ],
)
def test_bad_pretest_tables_are_refused_naming_subtest_and_field(
    tmp_path: Path, change: dict[str, Any], field: str
) -> None:
    subs = _subtests(True)
    subs[0]["pretest"].update(change)
    path = write_battery(tmp_path, battery_dict(subs), pools=_pools())
    with pytest.raises(BatteryConfigError) as info:
        load_battery(path)
    assert (info.value.subtest_id, info.value.field) == ("s1", field), info.value


def test_a_pretest_table_loads_with_its_defaults(tmp_path: Path) -> None:
    subs = _subtests(True)
    subs[0]["pretest"] = {"pool": "s1_pre.json", "count": 2}
    battery = load_battery(write_battery(tmp_path, battery_dict(subs), pools=_pools()))
    pretest = battery.subtests[0].pretest
    assert pretest is not None and (pretest.count, pretest.after, pretest.time_per_item_s) == (2, 3, 0.0)
    assert battery.subtests[0].time_allowed_s == LIMIT_S and battery.subtests[0].items_max == 14
    assert battery.pool_versions == ("s1@1.0", "s2@1.0", "s1-pretest@1.0", "s2-pretest@1.0")


# --- integrity -----------------------------------------------------------------------------------------------------


def test_rapid_pretest_answers_raise_no_flag(tmp_path: Path) -> None:
    """Six answers in half a second each raise the rapid-guessing flag when they are operational ones, and nothing
    when they are the pretest answers: the integrity screening never sees a pretest answer."""
    subs = [subtest_dict("s1", min_items=12, max_items=12, se_target=None, time_limit_s=3600)]
    subs[0]["pretest"] = {"pool": "s1_pre.json", "count": 6, "after": 3}
    pools = {"s1.json": timed_pool(60, 1, "t1"), "s1_pre.json": _pretest_pool(8, 5, "t1")}
    battery = load_battery(write_battery(tmp_path, battery_dict(subs), pools=pools))

    def run(rapid: Callable[[SessionState, bool], bool]) -> SessionState:
        s, _ = begin(battery, 77)
        t = 0
        while s.phase is Phase.ACTIVE:
            pretest = presented_item(battery, s)[2]
            t += 500 if rapid(s, pretest) else 30_000
            s, _ = core.answer(battery, s, s.seq, 0, t)
        return s

    assert "rapid" not in run(lambda s, pretest: False).flags  # a calm examinee: no flag
    assert "rapid" in run(lambda s, pretest: not pretest and 3 <= len(s.items) < 9).flags  # six rapid operational
    calm = run(lambda s, pretest: pretest)  # the six pretest answers rapid
    assert calm.phase is Phase.FINISHED and "rapid" not in calm.flags
