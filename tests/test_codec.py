"""cat_engine.codec: states round-trip in every phase, stay small, refuse what is not a state of the battery, and a
state written by an earlier layout decodes with what that layout did not hold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from conftest import battery_dict, load, subtest_dict
from sittings import begin, finished, fixed_battery_data, pools, through_intros

from cat_engine.battery import Battery
from cat_engine.codec import decode, encode
from cat_engine.errors import StateCorrupted
from cat_engine.estimation import estimate
from cat_engine.session import (
    Note,
    Phase,
    SessionState,
    add_note,
    answer,
    connect,
    disconnect,
    extend_time,
    new_session,
    pause,
    request_seat,
    seat,
    start,
    terminate,
)


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    """Subtest s1: 3 items, 10 s; s2: 2 items, 20 s."""
    return load(tmp_path_factory.mktemp("fixed"), fixed_battery_data(), pools=pools())


@pytest.fixture(scope="module")
def adaptive(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    data = battery_dict(subtests=[subtest_dict("s1", max_items=15, min_items=3, se_target=0.45)])
    return load(tmp_path_factory.mktemp("adaptive"), data, pools=pools())


@pytest.fixture(scope="module")
def long40(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    data = battery_dict(
        subtests=[
            subtest_dict("s1", max_items=40, min_items=40, se_target=0.3, time_limit_s=3600),
            subtest_dict("s2", max_items=5),
        ]
    )
    return load(tmp_path_factory.mktemp("long40"), data, pools=pools())


def test_encode_decode_roundtrip_in_every_phase(fixed: Battery) -> None:
    states = [new_session(fixed, 11)]
    s = begin(fixed, seed=11)
    states.append(s)
    s, _ = answer(fixed, s, s.seq, 2, 1_234)
    states.append(s)
    s, _ = extend_time(fixed, s, 1.5, 1_300)
    states.append(s)
    p, _ = pause(fixed, s, 1_400)
    states.append(p)
    d, _ = disconnect(fixed, s, 1_500)
    states.append(d)
    states.append(terminate(fixed, s, "reason", 1_600)[0])
    states.append(finished(fixed))
    for state in states:
        data = encode(state)
        assert isinstance(data, bytes)
        assert decode(fixed, data) == state
        assert encode(decode(fixed, data)) == data


def test_finished_40_item_subtest_encodes_small(long40: Battery) -> None:
    s = begin(long40)
    t = 0
    rng = np.random.default_rng(4)
    while not s.done:
        t += int(rng.integers(5_000, 90_000))
        s, _ = answer(long40, s, s.seq, int(rng.integers(0, 4)), t)
    assert len(s.done) == 1 and len(s.done[0].items) == 40
    assert s.done[0].stop_reason.label == "max_items"
    data = encode(s)
    assert len(data) < 2048
    assert decode(long40, data) == s


def _raw(state: SessionState) -> list[Any]:
    return list(orjson.loads(encode(state)))


def _corrupted(battery: Battery, raw: Any) -> None:
    data = raw if isinstance(raw, bytes) else orjson.dumps(raw)
    with pytest.raises(StateCorrupted):
        decode(battery, data)


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\xff\xfe", b"not json", b"{}", b"[]", b"null", b"42", b"[1, 2, 3]", b'"state"', b"[1,"],
)
def test_decode_rejects_garbage(fixed: Battery, data: bytes) -> None:
    _corrupted(fixed, data)


def test_decode_rejects_truncated_and_bit_flipped_bytes(fixed: Battery) -> None:
    data = encode(begin(fixed))
    for cut in range(0, len(data) - 1, 7):
        _corrupted(fixed, data[:cut])
    _corrupted(fixed, data.replace(b'"active"', b'"activ"'))


def test_decode_rejects_unknown_layouts(fixed: Battery) -> None:
    for layout in (0, 6, "5", None):
        raw = _raw(begin(fixed))
        raw[0] = layout
        _corrupted(fixed, raw)
    raw = _raw(begin(fixed))
    _corrupted(fixed, raw[:-1])  # a layout-5 state with a field missing
    _corrupted(fixed, [1, *raw[1:]])  # layout 1 with the fields of layout 5
    _corrupted(fixed, [2, *raw[1:]])  # layout 2 with the fields of layout 5
    _corrupted(fixed, [3, *raw[1:]])  # layout 3 with the fields of layout 5
    _corrupted(fixed, [4, *raw[1:]])  # layout 4 with the fields of layout 5


def test_layout2_states_decode_outside_intros(fixed: Battery) -> None:
    """A session stored before intros existed (layout 2: no intro time) continues as it was."""
    s = begin(fixed, seed=5)
    s, _ = answer(fixed, s, s.seq, 1, 1_000)
    old = orjson.dumps([2, *_raw(s)[1:-11]])  # without layout 3's five fields, 4's one, 5's five
    assert decode(fixed, old) == s
    assert encode(decode(fixed, old))[:2] == b"[5"


def test_seats_and_notes_roundtrip(fixed: Battery) -> None:
    s = begin(fixed)
    s = seat(s, "device-A-123")
    s, _ = request_seat(s, None, 2_000)
    s, _ = add_note(fixed, s, "Peserta pindah meja: layar rusak", 3_000)
    back = decode(fixed, encode(s))
    assert back == s
    assert (back.device, back.seat_request, back.notes) == ("device-A-123", "", (Note(3_000, s.notes[0].text),))
    assert back.seat_request_at_ms == 2_000


def test_intro_states_roundtrip_and_are_checked(fixed: Battery) -> None:
    s, _ = connect(fixed, new_session(fixed, 3), 0)
    s, _ = start(fixed, s, 1_000)
    assert s.phase is Phase.INTRO
    assert decode(fixed, encode(s)) == s
    raw = _raw(s)
    for index, value in ((-11, None), (9, 4), (7, 2)):  # no intro time; an item shown; past the last subtest
        bad = list(raw)
        bad[index] = value
        _corrupted(fixed, bad)


# --- flags (layout 4) -----------------------------------------------------------------------------------------------


def test_flags_roundtrip_and_a_layout3_state_has_none(fixed: Battery) -> None:
    """The integrity flag kinds raised come back in their order; a state stored before they existed (layout 3: the
    same fields without the last) decodes with none."""
    s = begin(fixed, seed=5)
    s, _ = answer(fixed, s, s.seq, 1, 1_000)
    flagged = replace(s, flags=("rapid", "speed_change"))
    assert _raw(flagged)[-6] == ["rapid", "speed_change"]  # layout 5's five pretest fields follow
    assert decode(fixed, encode(flagged)) == flagged
    assert decode(fixed, encode(s)).flags == ()
    old = orjson.dumps([3, *_raw(flagged)[1:-6]])
    assert decode(fixed, old) == s
    assert encode(decode(fixed, old))[:2] == b"[5"
    for bad in ("rapid", [1], ["rapid", "rapid"], None):
        raw = _raw(flagged)
        raw[-6] = bad
        _corrupted(fixed, raw)


# --- the pretest key (layout 5) --------------------------------------------------------------------------------------


def test_a_pretest_key_roundtrips_last_and_a_layout4_state_has_none(fixed: Battery) -> None:
    """Layout 5's last field is the pretest key, ``[design seed, examinee]`` or null; a layout-4 state has none."""
    s = new_session(fixed, 5, pretest_key=(2**62 - 1, 17))
    s, _ = connect(fixed, s, 0)
    s, _ = start(fixed, s, 0)
    raw = _raw(s)
    assert raw[-1] == [2**62 - 1, 17] and _raw(replace(s, pretest_key=None))[-1] is None
    assert decode(fixed, encode(s)) == s
    old = orjson.dumps([4, *raw[1:-5]])  # without layout 5's four pretest fields and the key
    assert decode(fixed, old) == replace(s, pretest_key=None)
    for bad in ([17], [0, -1], [-1, 0], [0, 1.0], [False, 1], "17"):
        raw[-1] = bad
        _corrupted(fixed, raw)


# --- layout 1 (the first release) ----------------------------------------------------------------------------------


def _layout1(state: SessionState) -> bytes:
    """The bytes the first release wrote for ``state``: its first 19 fields."""
    raw = _raw(state)
    return orjson.dumps([1, *raw[1:19]])


def test_layout1_states_decode_with_theta_recomputed(fixed: Battery) -> None:
    """A session stored by the first release continues: theta and SE come back from its answers, the pause reason
    and when the candidate was last seen are unknown."""
    s = begin(fixed, seed=5)
    assert decode(fixed, _layout1(s)) == replace(s, last_seen_ms=None)  # no answer yet: no estimate
    s, _ = answer(fixed, s, s.seq, 1, 1_000)
    s, _ = answer(fixed, s, s.seq, 0, 2_000)
    assert s.theta is not None and s.se is not None
    old = decode(fixed, _layout1(s))
    assert old.theta == pytest.approx(s.theta, abs=1e-12) and old.se == pytest.approx(s.se, abs=1e-12)
    assert replace(old, theta=s.theta, se=s.se, last_seen_ms=s.last_seen_ms) == s
    sub = fixed.subtests[0]
    direct = estimate(sub.estimator, sub.pool.params, list(s.items), sub.pool.categories(s.items, s.responses))
    assert old.theta == pytest.approx(direct[0], abs=1e-9)
    paused, _ = pause(fixed, s, 2_500, "toilet")
    assert decode(fixed, _layout1(paused)).pause_reason == ""
    over = finished(fixed)
    restored = decode(fixed, _layout1(over))
    assert (restored.theta, restored.se) == (over.done[-1].theta, over.done[-1].se)
    assert encode(restored)[:2] == b"[5"  # written again in the current layout


def test_layout1_state_of_the_first_release_decodes(fixed: Battery) -> None:
    """Bytes as the first release wrote them (a fixed sample, not produced by today's encoder)."""
    s = begin(fixed, seed=9)
    pool = fixed.subtests[0].pool
    first = s.item_index
    data = orjson.dumps(
        [1, fixed.id, fixed.version, 9, list(fixed.pool_versions), "active", True, 0, 1, first, [], [], [], 0, 0, 0, 0,
         [], ""]
    )  # fmt: skip
    old = decode(fixed, data)
    assert (old.phase, old.subtest_index, old.item_index, old.seq) == (Phase.ACTIVE, 0, first, 1)
    assert (old.theta, old.se, old.pause_reason, old.last_seen_ms) == (None, None, "", None)
    assert 0 <= first < pool.size


def test_decode_rejects_other_battery(fixed: Battery, tmp_path: Path) -> None:
    s = begin(fixed)
    other_version = load(tmp_path, {**fixed_battery_data(), "version": "2027.1"}, pools=pools())
    with pytest.raises(StateCorrupted):
        decode(other_version, encode(s))
    other_id = load(tmp_path, {**fixed_battery_data(), "id": "other"}, pools=pools())
    with pytest.raises(StateCorrupted):
        decode(other_id, encode(s))
    raw = _raw(s)
    raw[1] = "other"
    _corrupted(fixed, raw)
    raw = _raw(s)
    raw[2] = "1999"
    _corrupted(fixed, raw)


def test_decode_rejects_out_of_range_indices(fixed: Battery) -> None:
    s = begin(fixed)
    s, _ = answer(fixed, s, s.seq, 1, 1_000)
    n1 = fixed.subtests[0].pool.size
    cases: list[tuple[int, Any]] = [
        (9, n1),  # current item
        (9, -1),  # an active session needs an item
        (9, 10**9),
        (10, [n1]),  # answered items
        (10, [-1]),
        (11, [4]),  # response beyond the item's 4 options
        (11, [-1]),
        (7, 5),  # subtest index
        (7, -1),
        (5, "bogus"),  # phase
    ]
    for index, value in cases:
        raw = _raw(s)
        raw[index] = value
        _corrupted(fixed, raw)


def test_decode_rejects_bad_finished_subtests(fixed: Battery) -> None:
    s = begin(fixed)
    for t in (1_000, 2_000, 3_000, 4_000):
        s, _ = through_intros(fixed, s, t)
        s, _ = answer(fixed, s, s.seq, 1, t)
    assert len(s.done) == 1
    good = _raw(s)
    assert decode(fixed, orjson.dumps(good)) == s
    mutations: list[Callable[[list[Any]], None]] = [
        lambda r: r[17][0].__setitem__(0, [0, 1, fixed.subtests[0].pool.size]),  # item index
        lambda r: r[17][0].__setitem__(1, [0, 0, 7]),  # response index
        lambda r: r[17][0].__setitem__(5, 99),  # stop reason
        lambda r: r[17].append(r[17][0]),  # more finished subtests than the index says
        lambda r: r.__setitem__(17, []),
        lambda r: r[17][0].__setitem__(1, [0]),  # items and responses differ in length
    ]
    for mutate in mutations:
        raw = orjson.loads(orjson.dumps(good))
        mutate(raw)
        _corrupted(fixed, raw)


def test_decode_rejects_mismatched_current_lengths(fixed: Battery) -> None:
    s = begin(fixed)
    s, _ = answer(fixed, s, s.seq, 1, 1_000)
    raw = _raw(s)
    raw[11] = []
    _corrupted(fixed, raw)


def test_decode_rejects_state_made_with_other_pool_versions(adaptive: Battery) -> None:
    """A recalibrated pool (or new exposure parameters) would change how the sitting continues: refuse it."""
    raw = _raw(begin(adaptive))
    assert raw[4] == list(adaptive.pool_versions)
    raw[4] = [raw[4][0].replace("@", "@old-"), *raw[4][1:]]
    _corrupted(adaptive, raw)


def test_decode_rejects_negative_seed(adaptive: Battery) -> None:
    """new_session refuses a negative seed; a decoded one would make numpy raise ValueError at the next draw."""
    raw = _raw(begin(adaptive))
    raw[3] = -1
    _corrupted(adaptive, raw)
