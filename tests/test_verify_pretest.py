"""The replay of sittings with pretest items (cat_engine/verify.py with cat_engine/session_pretest.py): the audit's
``presented`` entries say which items were pretest items and the operational estimate at that moment, and the
replay must reproduce all of it, find a tampered pretest answer, and pass a bundle of such sittings.

The server's use cases are played by tests/test_verify.py's :class:`Driver`, with the answer entry naming the item
presented as the server does (a pretest item's own id) and the session made as the server makes it: with the pretest
key of its session id (:func:`cat_engine.session_pretest.pretest_key_of`), which the replay derives again.
"""

from __future__ import annotations

import random
from itertools import pairwise
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import battery_dict, subtest_dict, write_battery
from test_session_pretest import _pools
from test_verify import SID, T0, Driver, make_bundle, resigned, same_records

from cat_engine import session as core
from cat_engine.battery import Battery, load_battery
from cat_engine.session import Command, Phase
from cat_engine.session_pretest import presented_item, pretest_key_of
from cat_engine.signing import battery_files, new_private_key, public_key_text
from cat_engine.verify import replay, verify_bundle


def _subtests() -> list[dict[str, Any]]:
    """The subtest tables of the module's battery."""
    subs = [
        subtest_dict("s1", min_items=6, max_items=8, se_target=0.5, time_limit_s=90),
        subtest_dict("s2", min_items=7, max_items=7, se_target=None, time_limit_s=120),
    ]
    subs[0]["pretest"] = {"pool": "s1_pre.json", "count": 3, "after": 2, "time_per_item_s": 20}
    subs[1]["pretest"] = {"pool": "s2_pre.json", "count": 2, "after": 3, "time_per_item_s": 20}
    return subs


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    """Two subtests with pretest items (one-key ones in s1, graded ones in s2) and short time limits."""
    path = write_battery(tmp_path_factory.mktemp("verify-pretest"), battery_dict(_subtests()), pools=_pools())
    return load_battery(path)


class PretestDriver(Driver):
    def __init__(self, battery: Battery, seed: int, session_id: str | None = SID) -> None:
        """The session ``session_id`` as the server makes it (None: a session without a pretest key)."""
        super().__init__(battery, seed)
        key = None if session_id is None else pretest_key_of(session_id)
        self.state = core.new_session(battery, seed, pretest_key=key)


def sit(battery: Battery, rng: random.Random, seed: int, session_id: str = SID) -> PretestDriver:
    """A random sitting to its end: answers at random times, reconnects, pauses, time running out, terminations."""
    d = PretestDriver(battery, seed, session_id)
    t, conn, n = T0, "c1", 1
    d.hello(t, conn, "pc-1")
    d.start(t + 500, conn)
    for _ in range(300):
        s = d.state
        if s.phase in (Phase.FINISHED, Phase.TERMINATED):
            break
        t += rng.randint(300, 7000)
        roll = rng.random()
        if s.phase is Phase.INTRO:
            d.start(t, conn, s.subtest_index)
        elif s.phase is Phase.PAUSED:
            d.proctor(t, Command.RESUME)
        elif roll < 0.75:
            pool, item, _ = presented_item(battery, s)
            d.answer(t, conn, rng.randrange(pool.n_options(item)))
        elif roll < 0.82:
            d.goodbye(t, conn)
            t += rng.randint(500, 20_000)
            n += 1
            conn = f"c{n}"
            d.hello(t, conn, "pc-1")
        elif roll < 0.87:
            left = core.time_left_ms(battery, s, t)
            assert left is not None
            t += left + rng.randint(1, 3000)
            d.answer(t, conn, 0)  # late: the time ran out
        elif roll < 0.92:
            d.proctor(t, Command.PAUSE, "listrik padam")
        elif roll < 0.96:
            d.proctor(t, Command.EXTEND, seconds=30)
        elif roll < 0.97:
            d.proctor(t, Command.TERMINATE, "menyontek")
    d.until = t + 60_000
    return d


def _entries(d: Driver, kind: str) -> list[tuple[int, dict[str, Any]]]:
    return [(k, orjson.loads(e)) for k, e in enumerate(d.entries) if orjson.loads(e)["kind"] == kind]


def test_random_sittings_with_pretest_items_replay_to_the_same_records(battery: Battery) -> None:
    rng = random.Random(20261207)
    pretest_seen = 0
    for k in range(30):
        d = sit(battery, rng, rng.getrandbits(62))
        done = replay(battery, SID, d.state.seed, d.entries, until_ms=d.until)
        assert done.divergence is None, (k, done.divergence)
        same_records(done.state, d.state)
        a, b = done.state, d.state
        assert (a.pretest_item, a.pretest_items, a.pretest_responses) == (
            b.pretest_item,
            b.pretest_items,
            b.pretest_responses,
        )
        presented = [e for _, e in _entries(d, "presented")]
        assert all({"theta", "se"} <= set(e) for e in presented)
        assert all(e.get("pretest", True) is True for e in presented if "pretest" in e)
        pretest_seen += sum(1 for e in presented if e.get("pretest") is True)
    assert pretest_seen > 20


def _finished(battery: Battery, seed: int = 5, session_id: str | None = SID) -> PretestDriver:
    d = PretestDriver(battery, seed, session_id)
    d.hello(T0, "c1")
    d.start(T0 + 100, "c1")
    t = T0 + 100
    while d.state.phase is not Phase.FINISHED:
        t += 3000
        if d.state.phase is Phase.INTRO:
            d.start(t, "c1", d.state.subtest_index)
        else:
            d.answer(t, "c1", (t // 3000) % 2)
    return d


def _pretest_answer(d: Driver) -> tuple[int, dict[str, Any]]:
    """The first answer to a pretest item: its index in the entries and the entry."""
    seqs = {e["seq"] for _, e in _entries(d, "presented") if e.get("pretest")}
    return next((k, e) for k, e in _entries(d, "answer") if e["seq"] in seqs)


def test_presented_entries_name_pretest_items_and_the_estimate_then(battery: Battery) -> None:
    d = _finished(battery)
    presented = [e for _, e in _entries(d, "presented")]
    pretest = [e for e in presented if e.get("pretest")]
    assert len(pretest) == 3 + 2
    s1_pre = {it.id for it in battery.subtests[0].pretest.pool.items}  # type: ignore[union-attr]
    assert {e["item_id"] for e in pretest if e["subtest"] == "s1"} <= s1_pre
    assert all("pretest" not in e for e in presented if e["item_id"] not in s1_pre and e["subtest"] == "s1")
    firsts = [e for e in presented if e["theta"] is None]
    assert [e["subtest"] for e in firsts] == ["s1", "s2"] and all(e["se"] is None for e in firsts)
    # a pretest item does not move the estimate: the entry after it carries the same one
    for before, after in pairwise(presented):
        if before.get("pretest"):
            assert (after["theta"], after["se"]) == (before["theta"], before["se"])


def _pretest_items(d: Driver) -> list[str]:
    return [e["item_id"] for _, e in _entries(d, "presented") if e.get("pretest")]


def test_a_session_replays_under_its_own_id_only(battery: Battery) -> None:
    """The replay takes the pretest key from the session id: a session replays under its own id, not under another
    session's of its room (another examinee of the design) or another room's; a session made without a key replays
    under an id that gives none."""
    for number, seed in ((1, 5), (2, 5), (3, 9)):
        sid = f"R7K2QX-{number:04d}"
        d = _finished(battery, seed, sid)
        assert d.state.pretest_key == pretest_key_of(sid) and d.state.pretest_key is not None
        done = replay(battery, sid, seed, d.entries)
        assert done.divergence is None and done.state.pretest_key == d.state.pretest_key
        same_records(done.state, d.state)
        first = next(k for k, e in _entries(d, "presented") if e.get("pretest"))
        for other in (f"R7K2QX-{number + 1:04d}", f"HM3PTW-{number:04d}", "S1"):
            found = replay(battery, other, seed, d.entries).divergence
            # the same seed, so the same operational test: the first difference is at or after the first pretest item
            assert found is not None and found.step >= first + 1, (sid, other, found)
    plain = _finished(battery, 5, None)
    assert plain.state.pretest_key is None
    assert replay(battery, "S1", 5, plain.entries).divergence is None
    assert replay(battery, SID, 5, plain.entries).divergence is not None
    # sessions 1 and 2 of the room: same seed, different examinees, so different pretest items
    assert _pretest_items(_finished(battery, 5, "R7K2QX-0001")) != _pretest_items(_finished(battery, 5, "R7K2QX-0002"))


def test_a_tampered_pretest_answer_is_found(battery: Battery) -> None:
    d = _finished(battery, seed=9)
    k, entry = _pretest_answer(d)
    options = len(next(e for _, e in _entries(d, "presented") if e["seq"] == entry["seq"])["option_order"])
    for change, code in (
        ({"response": (entry["response"] + 1) % options}, "option"),  # another position, same stored option
        ({"response_ms": entry["response_ms"] + 400}, "response_ms"),
        ({"item_id": "s1-0001"}, "item"),
    ):
        entries = list(d.entries)
        entries[k] = orjson.dumps({**entry, **change})
        found = replay(battery, SID, 9, entries).divergence
        assert found is not None and (found.step, found.code) == (k + 1, code), (change, found)


def test_a_tampered_presented_entry_is_found(battery: Battery) -> None:
    d = _finished(battery, seed=9)
    presented = _entries(d, "presented")
    k, entry = next((k, e) for k, e in presented if e.get("pretest"))
    j, operational = next((j, e) for j, e in presented if e["theta"] is not None and not e.get("pretest"))
    for at, changed in (
        (k, {key: v for key, v in entry.items() if key != "pretest"}),  # a pretest item passed off as operational
        (j, {**operational, "pretest": True}),
        (j, {**operational, "theta": operational["theta"] + 0.01}),
        (j, {**operational, "se": None}),
    ):
        entries = list(d.entries)
        entries[at] = orjson.dumps(changed)
        found = replay(battery, SID, 9, entries).divergence
        assert found is not None and (found.step, found.code) == (at + 1, "presentation"), (changed, found)
    # a pretest item's entry removed: the replay names the pretest item it presented there
    entries = [*d.entries[:k], *d.entries[k + 1 :]]
    found = replay(battery, SID, 9, entries).divergence
    assert found is not None and (found.code, found.values["item_id"]) == ("presented_missing", entry["item_id"])
    # an audit written before the estimate was recorded (no theta, no se) still replays
    entries = [
        orjson.dumps({key: v for key, v in e.items() if key not in ("theta", "se")})
        for e in map(orjson.loads, d.entries)
    ]
    assert replay(battery, SID, 9, entries).divergence is None


def test_a_bundle_with_pretest_items_passes_and_a_changed_pretest_answer_fails(battery: Battery) -> None:
    rng = random.Random(11)
    key = new_private_key()
    sessions: list[tuple[str, Driver]] = [
        (f"R7K2QX-000{i}", sit(battery, rng, seed=300 + i, session_id=f"R7K2QX-000{i}")) for i in range(1, 4)
    ]
    sessions.append(("R7K2QX-0004", _finished(battery, seed=9, session_id="R7K2QX-0004")))
    bundle = make_bundle(battery, sessions, key)
    files = battery_files(battery)
    assert verify_bundle(bundle, battery, files, public_key_text(key)).ok
    # the last session's first pretest answer takes 400 ms more, and the bundle is signed again
    k, entry = _pretest_answer(sessions[-1][1])
    changed = orjson.loads(orjson.dumps(bundle))
    rows = changed["sessions"][3]["audit"]
    rows[k]["entry"] = orjson.dumps({**entry, "response_ms": entry["response_ms"] + 400}).decode()
    report = verify_bundle(resigned(changed, key), battery, files, public_key_text(key))
    (failed,) = [s for s in report.sessions if not s.ok]
    assert failed.session_id == "R7K2QX-0004"
    assert [(f.step, f.code) for f in failed.findings] == [(k + 1, "chain_broken"), (k + 1, "response_ms")]


def test_the_pretest_pools_are_part_of_what_a_sitting_was_made_with(battery: Battery, tmp_path: Path) -> None:
    """A state and a result name the pretest pools too (``pools``), and the bundle's files the pretest pool files: a
    bundle checked against a battery whose pretest pool has another version fails on that file and on the result's
    pools."""
    d = _finished(battery)
    assert d.state.pools[-2:] == ("s1-pretest@1.0", "s2-pretest@1.0")
    assert orjson.loads(d.result())["pools"] == list(d.state.pools)
    key = new_private_key()
    bundle = make_bundle(battery, [("R7K2QX-0001", d)], key)
    pools = _pools()
    pools["s1_pre.json"]["pool_version"] = "1.1"
    other = load_battery(write_battery(tmp_path, battery_dict(_subtests()), pools=pools))
    report = verify_bundle(bundle, other, battery_files(other), public_key_text(key))
    (failed,) = report.sessions
    assert [(f.code, f.values.get("field")) for f in failed.findings] == [("pool_file", None), ("result", "pools")]
    assert "pretest pool file of subtest s1" in failed.findings[0].detail
    assert battery_files(battery)["subtests"][0]["pretest"]["pool_version"] == "1.0"
