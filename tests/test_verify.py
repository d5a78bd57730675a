"""The replay and the bundle check (cat_engine/verify.py) on sessions driven through the session machine directly.

:class:`Driver` plays the server's use cases as ``cat_engine/server/candidate.py`` and ``proctor.py`` do (the same
core transitions, the same ``now`` for a change and its audit entries, the entries made by
``cat_engine/server/audit.py`` with the entries its events leave, ``audit.derived``), without a store. Random sittings
with reconnects, takeovers, a dead process's stopped clock, pauses, extensions, time running out (by the timer,
which leaves no entry, and by a late answer), intros ending by themselves, notes and terminations must replay to the
very same records; each kind of change to an entry must be reported at its step; the result must be the one the
server stored (``cat_engine/server/results.py``) within its printed precision; and a bundle built as
docs/verification.md describes must pass, or fail naming the session, when a byte of it or a file changes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import battery_dict, make_pool_dict, subtest_dict, write_battery
from test_session_integrity import timed_pool

from cat_engine import session as core
from cat_engine.battery import Battery, load_battery
from cat_engine.errors import CatError, TimeUp
from cat_engine.events import Answered
from cat_engine.server import audit
from cat_engine.server.results import result_record
from cat_engine.server.store import CandidateRecord
from cat_engine.session import Command, Phase, SessionState
from cat_engine.session_pretest import presented_item_id
from cat_engine.signing import (
    BUNDLE_DOMAIN,
    SESSION_DOMAIN,
    battery_files,
    chain_of,
    chain_start,
    new_private_key,
    public_key_text,
    sign,
)
from cat_engine.verify import check_chain, replay, verify_bundle

T0 = 1_800_000_000_000
INTRO_MS = 20_000  # the intro limit the driver's server runs with
SID = "R7K2QX-0001"


@pytest.fixture(scope="module")
def battery_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two subtests with short time limits: one fixed at 5 items (one-key items, options shuffled per sitting), one
    of 3 to 8 items with an SE target, of mixed dichotomous and graded items, with randomesque selection."""
    subs = [
        subtest_dict("s1", max_items=5, min_items=5, se_target=None, time_limit_s=40),
        subtest_dict(
            "s2",
            max_items=8,
            min_items=3,
            se_target=0.45,
            time_limit_s=60,
            selection={"randomesque": 3, "first_item_randomesque": 5, "start_theta": 0.0, "exposure_control": "none"},
        ),
    ]
    pools = {"s2.json": make_pool_dict(40, seed=9, pool_id="s2", n_polytomous=8)}
    return write_battery(tmp_path_factory.mktemp("verify"), battery_dict(subs), pools=pools)


@pytest.fixture(scope="module")
def battery(battery_path: Path) -> Battery:
    return load_battery(battery_path)


# --- a server without a store ------------------------------------------------------------------------------------


class Driver:
    """One session as the server's use cases run it, with its audit entries (see the module docstring)."""

    def __init__(self, battery: Battery, seed: int) -> None:
        self.battery = battery
        self.state = core.new_session(battery, seed)
        self.entries: list[bytes] = []
        self.owner = ""
        self.until = T0  # when the audit is read: after the last thing that happened (a timer leaves no entry)

    def _commit(self, new: SessionState, events: list[Any], own: list[bytes]) -> None:
        self.entries += [*own, *audit.derived(self.battery, new, events)]
        self.state = new

    def hello(self, t: int, conn: str, device: str | None = None, stopped: int | None = None) -> None:
        """CandidateCases.hello; ``stopped``: the old owner's process is dead, its last heartbeat then."""
        b, s = self.battery, self.state
        if s.phase is Phase.FINISHED:
            self.entries.append(audit.hello(t, conn, device, outcome="finished"))
            return
        assert s.phase is not Phase.TERMINATED
        if core.needs_approval(s, device):
            entry = audit.hello(t, conn, device, outcome="approval")
            if s.seat_request == ("" if device is None else device):
                self.entries.append(entry)
                return
            asked, requested = core.request_seat(s, device, t)
            self._commit(asked, list(requested), [entry])
            return
        s = core.seat(s, device)
        events: list[Any] = []
        if self.owner and self.owner != conn and s.connected:
            s, evs = core.disconnect(b, s, t if stopped is None else min(stopped, t))
            events += evs
        s, evs = core.connect(b, s, t)
        events += evs
        own = [audit.hello(t, conn, device)]
        if s.phase is not Phase.READY:
            in_intro = s.subtest_index if s.phase is Phase.INTRO else None
            s, evs = core.tick(b, s, t, INTRO_MS)
            if in_intro is not None and evs:
                own.append(audit.intro_ended(t, in_intro))
            events += evs
        self.owner = conn
        self._commit(s, events, own)

    def start(self, t: int, conn: str, subtest: int | None = None) -> None:
        s = self.state
        if (s.phase is Phase.READY and subtest is None) or (
            s.phase is Phase.INTRO and subtest in (None, s.subtest_index)
        ):
            begun = None if s.phase is Phase.READY else s.subtest_index
            new, events = core.start(self.battery, s, t)
            self._commit(new, events, [audit.start(t, conn, begun)])
        else:
            self.entries.append(audit.start(t, conn, subtest, outcome="ignored"))

    def answer(self, t: int, conn: str, response: int) -> str:
        """CandidateCases.answer of the item shown (a pretest item's own id); 'applied', 'time_up' or 'refused'."""
        b, s = self.battery, self.state
        item_id = presented_item_id(b, s)
        try:
            new, events = core.answer(b, s, s.seq, response, t)
        except TimeUp:
            new, events = core.tick(b, s, t)
            self._commit(new, events, [audit.answer(t, conn, s.seq, response, item_id=item_id, outcome="time_up")])
            return "time_up"
        except CatError:
            return "refused"
        applied = next(e for e in events if isinstance(e, Answered))
        entry = audit.answer(
            t, conn, s.seq, response, item_id=item_id, response_ms=applied.response_ms, option=applied.response
        )
        self._commit(new, events, [entry])
        return "applied"

    def resend(self, t: int, conn: str, seq: int, response: int) -> None:
        self.entries.append(audit.answer(t, conn, seq, response, outcome="duplicate"))

    def timer(self, t: int) -> None:
        """The connection's timer (CandidateCases.tick): the time ran out, or the intro ended by itself."""
        s = self.state
        new, events = core.tick(self.battery, s, t, INTRO_MS)
        if events:
            self._commit(new, events, [audit.intro_ended(t, s.subtest_index)] if s.phase is Phase.INTRO else [])

    def goodbye(self, t: int, conn: str) -> None:
        if self.owner != conn or not self.state.connected:
            return
        new, events = core.disconnect(self.battery, self.state, t)
        self.owner = ""
        self._commit(new, events, [])

    def proctor(self, t: int, command: Command, reason: str = "", seconds: float | None = None) -> bool:
        b, s = self.battery, self.state
        moves: dict[Command, Callable[[], tuple[SessionState, list[Any]]]] = {
            Command.PAUSE: lambda: core.pause(b, s, t, reason),
            Command.RESUME: lambda: core.resume(b, s, t),
            Command.EXTEND: lambda: core.extend_time(b, s, seconds or 0, t),
            Command.TERMINATE: lambda: core.terminate(b, s, reason, t),
            Command.APPROVE_SEAT: lambda: core.approve_seat(b, s, t),
            Command.DENY_SEAT: lambda: core.deny_seat(b, s, t),
        }
        try:
            new, events = moves[command]()
        except CatError:
            return False
        if command is Command.APPROVE_SEAT:
            self.owner = ""
        self._commit(new, events, [audit.proctor(t, command, reason, seconds)])
        return True

    def note(self, t: int, text: str) -> None:
        new, events = core.add_note(self.battery, self.state, text, t)
        self._commit(new, events, [audit.note(t, new.notes[-1].text)])

    def result(self) -> bytes:
        return result_record(CandidateRecord(SID, "E001", "Sari", "digest"), self.battery, self.state)


def sit(battery: Battery, rng: random.Random, seed: int) -> Driver:
    """A random sitting to its end: answers at random times, with everything the module docstring lists."""
    d = Driver(battery, seed)
    t, conn, n = T0, "p1/c1", 1
    device = "pc-1"
    d.hello(t, conn, device)
    d.start(t + 500, conn)
    t += 1000
    for _ in range(400):
        s = d.state
        if s.phase in (Phase.FINISHED, Phase.TERMINATED):
            break
        roll = rng.random()
        t += rng.randint(300, 9000)
        if s.phase is Phase.INTRO:
            if roll < 0.3:
                t += INTRO_MS
                d.timer(t)  # left alone: the intro ends by itself
            elif roll < 0.4:
                d.goodbye(t, conn)
                t += rng.randint(1000, INTRO_MS * 2)
                n += 1
                conn = f"p1/c{n}"
                d.hello(t, conn, device)  # an intro that ran out meanwhile ends in the hello
                d.start(t, conn, d.state.subtest_index)
            else:
                d.start(t, conn, s.subtest_index)
            continue
        if s.phase is Phase.PAUSED:
            d.proctor(t, Command.RESUME)
            continue
        if s.phase is Phase.READY:
            d.start(t, conn)
            continue
        options = battery.subtests[s.subtest_index].pool.n_options(s.item_index)
        if roll < 0.55:
            if d.answer(t, conn, rng.randrange(options)) == "applied" and rng.random() < 0.1:
                d.resend(t + 5, conn, s.seq, 0)
        elif roll < 0.62:  # the connection drops; the page comes back a while later
            d.goodbye(t, conn)
            t += rng.randint(500, 30_000)
            n += 1
            conn = f"p1/c{n}"
            d.hello(t, conn, device)
        elif roll < 0.67:  # a reload: the new connection takes over while the old one is still open
            n += 1
            old, conn = conn, f"p1/c{n}"
            d.hello(t, conn, device)
            d.goodbye(t + 10, old)
        elif roll < 0.70:  # the process died: the new one stops the old clock at its last heartbeat
            n += 1
            conn = f"p2/c{n}"
            d.hello(t, conn, device, stopped=t - rng.randint(100, 6000))
        elif roll < 0.75:  # the time runs out: the connection's timer ends the subtest, or a late answer finds out
            left = core.time_left_ms(battery, s, t)
            assert left is not None
            if rng.random() < 0.5 and s.connected:
                d.timer(t + left + rng.randint(0, 20))  # a few ms late
                t += left + 1000
            else:
                t += left + rng.randint(1, 5000)
                d.answer(t, conn, 0)
        elif roll < 0.80:
            d.proctor(t, Command.PAUSE, "listrik padam")
        elif roll < 0.84:
            d.proctor(t, Command.EXTEND, seconds=rng.choice([30, 60.5]))
        elif roll < 0.87:
            d.note(t, f"catatan {rng.randint(1, 99)}")
        elif roll < 0.89:  # another computer asks to take the sitting; the proctor decides
            other = f"pc-{rng.randint(2, 9)}"
            d.hello(t, "p1/x", other)
            if rng.random() < 0.5:
                d.proctor(t + 2000, Command.APPROVE_SEAT)
                n += 1
                conn, device = f"p1/c{n}", other
                d.hello(t + 4000, conn, device)
            else:
                d.proctor(t + 2000, Command.DENY_SEAT)
        elif roll < 0.895:
            d.proctor(t, Command.TERMINATE, "menyontek")
        else:
            d.entries.append(audit.message(t, "sisa waktu 5 menit"))
    d.until = t + 60_000
    return d


def same_records(a: SessionState, b: SessionState) -> None:
    assert (a.phase, a.subtest_index, a.seq, a.terminated_reason) == (
        b.phase,
        b.subtest_index,
        b.seq,
        b.terminated_reason,
    )
    assert a.done == b.done  # every subtest's items, responses, response times, theta, SE, stop reason, time
    assert (a.items, a.responses, a.response_ms, a.theta, a.se) == (b.items, b.responses, b.response_ms, b.theta, b.se)
    assert (a.notes, a.device, a.extra_ms, a.connected) == (b.notes, b.device, b.extra_ms, b.connected)


# --- the replay --------------------------------------------------------------------------------------------------


def test_random_sittings_replay_to_the_same_records(battery: Battery) -> None:
    rng = random.Random(20260418)
    kinds: set[str] = set()
    ended: set[str] = set()
    for k in range(40):
        d = sit(battery, rng, seed=rng.getrandbits(62))
        done = replay(battery, SID, d.state.seed, d.entries, until_ms=d.until)
        assert done.divergence is None, (k, done.divergence)
        same_records(done.state, d.state)
        kinds.update(str(orjson.loads(e)["kind"]) for e in d.entries)
        kinds |= {"takeover" for e in d.entries if b'"stopped_ms"' in e}
        ended.update(r.stop_reason.label for r in d.state.done)
    # the sittings went through everything the replay must handle (else this test would prove less than it says)
    assert kinds >= {"hello", "start", "answer", "presented", "intro_ended", "disconnected", "takeover", "proctor"}
    assert kinds >= {"note", "message"}
    assert ended >= {"time_up", "max_items", "terminated"}


def test_the_replay_uses_the_clock_inputs(battery: Battery) -> None:
    """Without the entry of a connection lost, the clock of the replay runs on: the next answer's response time
    differs, and that answer is the step reported."""
    d = Driver(battery, 11)
    d.hello(T0, "c1")
    d.start(T0, "c1")
    d.start(T0, "c1", 0)
    d.answer(T0 + 4000, "c1", 1)
    d.goodbye(T0 + 6000, "c1")
    d.hello(T0 + 20_000, "c2")
    d.answer(T0 + 23_000, "c2", 2)
    assert replay(battery, SID, 11, d.entries).divergence is None
    lost = [e for e in d.entries if orjson.loads(e)["kind"] == "disconnected"]
    assert len(lost) == 1
    entries = [e for e in d.entries if e is not lost[0]]
    found = replay(battery, SID, 11, entries).divergence
    assert found is not None and found.code == "response_ms"
    assert orjson.loads(entries[found.step - 1])["kind"] == "answer"
    assert (found.values["expected"], found.values["found"]) == ("19000", "5000")


def _driven(battery: Battery, seed: int = 5) -> Driver:
    d = Driver(battery, seed)
    d.hello(T0, "c1")
    d.start(T0 + 100, "c1")
    d.start(T0 + 200, "c1", 0)
    t = T0 + 200
    while d.state.phase is not Phase.FINISHED:
        t += 3000
        if d.state.phase is Phase.INTRO:
            d.start(t, "c1", d.state.subtest_index)
        else:
            d.answer(t, "c1", (t // 3000) % 2)
    return d


def _edit(entries: list[bytes], kind: str, n: int, **changes: Any) -> tuple[list[bytes], int]:
    """The entries with the ``n``-th entry of ``kind`` changed; its step."""
    out = list(entries)
    steps = [i for i, e in enumerate(entries) if orjson.loads(e)["kind"] == kind]
    i = steps[n]
    out[i] = orjson.dumps({**orjson.loads(entries[i]), **changes})
    return out, i + 1


def test_a_changed_response_is_reported_at_its_step(battery: Battery) -> None:
    d = _driven(battery)
    entry = orjson.loads([e for e in d.entries if orjson.loads(e)["kind"] == "answer"][2])
    shown = entry["response"]
    entries, step = _edit(d.entries, "answer", 2, response=(shown + 1) % 4)
    found = replay(battery, SID, 5, entries).divergence
    assert found is not None and (found.step, found.code) == (step, "option")


def test_a_changed_response_and_option_changes_what_follows(battery: Battery) -> None:
    """Both the position and the stored option changed together: the answer itself checks out, but the estimate
    moves, and the next item presented or the result is not the audit's."""
    d = _driven(battery, seed=8)
    answers = [orjson.loads(e) for e in d.entries if orjson.loads(e)["kind"] == "answer"]
    order = next(orjson.loads(e) for e in d.entries if orjson.loads(e)["kind"] == "presented")["option_order"]
    right = answers[0]["option"] == 0  # the test pools' first item has key 0: score it the other way
    other = next(p for p in range(len(order)) if (order[p] == 0) != right)
    entries, step = _edit(d.entries, "answer", 0, response=other, option=order[other])
    found = replay(battery, SID, 8, entries).divergence
    if found is None:  # the same items would follow: then the result differs (checked by the bundle check)
        pytest.fail("a different answer to a one-key item gave the very same items and no difference")
    assert found.step > step and found.code in ("item", "presented_missing", "presented_extra", "presentation")


def test_a_changed_presented_item_or_order_is_reported(battery: Battery) -> None:
    d = _driven(battery)
    presented = [orjson.loads(e) for e in d.entries if orjson.loads(e)["kind"] == "presented"]
    entries, step = _edit(d.entries, "presented", 3, item_id="s1-9999")
    found = replay(battery, SID, 5, entries).divergence
    assert found is not None and (found.step, found.code) == (step, "item")
    reordered = list(reversed(presented[1]["option_order"]))
    entries, step = _edit(d.entries, "presented", 1, option_order=reordered)
    found = replay(battery, SID, 5, entries).divergence
    assert found is not None and (found.step, found.code, found.values["field"]) == (
        step,
        "presentation",
        "option_order",
    )


def test_a_removed_presentation_or_a_shifted_time_is_reported(battery: Battery) -> None:
    d = _driven(battery)
    i = [k for k, e in enumerate(d.entries) if orjson.loads(e)["kind"] == "presented"][2]
    found = replay(battery, SID, 5, [*d.entries[:i], *d.entries[i + 1 :]]).divergence
    assert found is not None and (found.step, found.code) == (i + 1, "presented_missing")
    answer = orjson.loads([e for e in d.entries if orjson.loads(e)["kind"] == "answer"][1])
    entries, step = _edit(d.entries, "answer", 1, at_ms=answer["at_ms"] + 700)
    found = replay(battery, SID, 5, entries).divergence
    assert found is not None and (found.step, found.code) == (step, "response_ms")


def test_another_seed_is_found_at_the_first_item(battery: Battery) -> None:
    d = _driven(battery, seed=5)
    found = replay(battery, SID, 6, d.entries).divergence
    first = next(k for k, e in enumerate(d.entries, 1) if orjson.loads(e)["kind"] == "presented")
    assert found is not None and found.step == first and found.code in ("item", "presentation")


def test_malformed_and_unknown_entries_are_reported(battery: Battery) -> None:
    d = _driven(battery)
    found = replay(battery, SID, 5, [*d.entries[:3], b"not json", *d.entries[3:]]).divergence
    assert found is not None and (found.step, found.code) == (4, "malformed")
    odd = orjson.dumps({"kind": "teleport", "at_ms": T0})
    found = replay(battery, SID, 5, [*d.entries[:1], odd, *d.entries[1:]]).divergence
    assert found is not None and (found.step, found.code) == (2, "unknown_kind")


# --- the chain ---------------------------------------------------------------------------------------------------


def _rows(session_id: str, entries: list[bytes]) -> tuple[list[dict[str, Any]], str]:
    links = chain_of(chain_start(session_id), entries)
    rows = [{"entry": e.decode(), "prev": p} for e, p in zip(entries, links, strict=False)]
    return rows, links[-1]


def test_an_unbroken_chain_passes_and_a_changed_entry_is_named() -> None:
    entries = [orjson.dumps({"kind": "k", "at_ms": T0 + i}) for i in range(6)]
    rows, head = _rows(SID, entries)
    assert check_chain(SID, rows, head) == []
    changed = [dict(r) for r in rows]
    changed[2]["entry"] = changed[2]["entry"].replace(str(T0 + 2), str(T0 + 3))
    found = check_chain(SID, changed, head)
    assert [(f.step, f.code) for f in found] == [(3, "chain_broken")]
    # the last entry changed: only the head kept beside the chain tells
    last = [dict(r) for r in rows]
    last[-1]["entry"] = last[-1]["entry"].replace("k", "j")
    assert [(f.step, f.code) for f in check_chain(SID, last, head)] == [(7, "chain_head")]


def test_removed_and_moved_entries_are_found() -> None:
    entries = [orjson.dumps({"kind": "k", "at_ms": T0 + i}) for i in range(6)]
    rows, head = _rows(SID, entries)
    assert [(f.step, f.code) for f in check_chain(SID, rows[:3] + rows[4:], head)] == [(3, "chain_broken")]
    assert [(f.step, f.code) for f in check_chain(SID, rows[1:], head)] == [(1, "chain_start")]
    assert [(f.step, f.code) for f in check_chain(SID, rows[:-1], head)] == [(6, "chain_head")]
    # another session's chain is not this one's
    assert [(f.step, f.code) for f in check_chain("R7K2QX-0002", rows, head)] == [(1, "chain_start")]


def test_entries_from_before_the_chain_are_reported_not_a_crash() -> None:
    old = [{"entry": orjson.dumps({"kind": "hello", "at_ms": T0}).decode(), "prev": None}] * 2
    rows, head = _rows(SID, [orjson.dumps({"kind": "k", "at_ms": T0 + i}) for i in range(3)])
    found = check_chain(SID, old + rows, head)
    assert [(f.step, f.code, f.values.get("count")) for f in found] == [(1, "chain_unchained", "2")]
    assert [f.code for f in check_chain(SID, old, "")] == ["chain_unchained"]


# --- the bundle --------------------------------------------------------------------------------------------------


def make_bundle(battery: Battery, sessions: list[tuple[str, Driver]], key: Any) -> dict[str, Any]:
    """A bundle as docs/verification.md, "Technical format", describes it."""
    out = []
    for sid, d in sessions:
        rows, head = _rows(sid, d.entries)
        over = d.state.phase in (Phase.FINISHED, Phase.TERMINATED)
        result = result_record(CandidateRecord(sid, f"E{sid[-1]}", "Sari", "x"), battery, d.state) if over else None
        session: dict[str, Any] = {
            "session_id": sid,
            "employee_id": f"E{sid[-1]}",
            "name": "Sari",
            "seed": str(d.state.seed),
            "phase": d.state.phase.value,
            "audit": [{"id": f"{T0 + i}-0", **r} for i, r in enumerate(rows)],
            "audit_head": head,
            "suppressed": {"audit": 0, "events": 0},
            "result": None if result is None else result.decode(),
        }
        session["signature"] = sign(key, SESSION_DOMAIN, session)
        out.append(session)
    bundle: dict[str, Any] = {
        "format": "cat-engine-evidence",
        "format_version": 1,
        "generated_ms": T0 + 10**7,
        "room": {
            "room_id": "R7K2QX",
            "name": "Ruang 1",
            "battery_id": battery.id,
            "created_ms": T0,
            "open": True,
            "archived": False,
        },
        "battery": battery_files(battery),
        "sessions": out,
        "public_key": public_key_text(key),
        "key_id": "x",
        "key_ephemeral": False,
    }
    bundle["signature"] = sign(key, BUNDLE_DOMAIN, bundle)
    return bundle


@pytest.fixture(scope="module")
def signed(battery: Battery) -> tuple[dict[str, Any], Any]:
    rng = random.Random(3)
    key = new_private_key()
    sessions = [(f"R7K2QX-000{i}", sit(battery, rng, seed=100 + i)) for i in range(1, 4)]
    live = Driver(battery, 77)
    live.hello(T0, "c1")
    live.start(T0, "c1")
    sessions.append(("R7K2QX-0004", live))  # still at its first intro: no result
    return make_bundle(battery, sessions, key), key


def resigned(bundle: dict[str, Any], key: Any) -> dict[str, Any]:
    """The bundle signed again after a change (what only the key's holder can do)."""
    out: dict[str, Any] = orjson.loads(orjson.dumps(bundle))
    for s in out["sessions"]:
        s["signature"] = sign(key, SESSION_DOMAIN, {k: v for k, v in s.items() if k != "signature"})
    out["signature"] = sign(key, BUNDLE_DOMAIN, {k: v for k, v in out.items() if k != "signature"})
    return out


def test_a_bundle_as_documented_passes(battery: Battery, signed: tuple[dict[str, Any], Any]) -> None:
    bundle, key = signed
    report = verify_bundle(bundle, battery, battery_files(battery), public_key_text(key))
    assert report.ok, report.to_dict()
    assert [(s.session_id, s.over) for s in report.sessions][-1] == ("R7K2QX-0004", False)
    # without a key of its own the auditor checks with the bundle's, and is told so
    assert verify_bundle(bundle, battery, battery_files(battery)).key_given is False


def test_one_changed_byte_fails_naming_the_session(battery: Battery, signed: tuple[dict[str, Any], Any]) -> None:
    bundle, key = signed
    changed = orjson.loads(orjson.dumps(bundle))
    changed["sessions"][1]["name"] = "Sari Dewi"
    report = verify_bundle(changed, battery, battery_files(battery), public_key_text(key))
    assert [f.code for f in report.findings] == ["signature"]
    # the name is also the result's: the replay's check of the result names it too
    assert [(s.session_id, [f.code for f in s.findings]) for s in report.sessions if not s.ok] == [
        ("R7K2QX-0002", ["session_signature", "result"])
    ]
    changed = orjson.loads(orjson.dumps(bundle))
    changed["sessions"][2]["suppressed"]["audit"] = 3  # a field nothing else repeats
    report = verify_bundle(changed, battery, battery_files(battery), public_key_text(key))
    assert [(s.session_id, [f.code for f in s.findings]) for s in report.sessions if not s.ok] == [
        ("R7K2QX-0003", ["session_signature"])
    ]


def test_a_changed_result_fails_even_when_signed_again(battery: Battery, signed: tuple[dict[str, Any], Any]) -> None:
    """Whoever holds the key could sign a changed result: the replay still gives the result the answers give."""
    bundle, key = signed
    changed = orjson.loads(orjson.dumps(bundle))
    result = orjson.loads(changed["sessions"][0]["result"])
    sub = result["profile"]["subtests"][0]
    sub["theta"] = round(sub["theta"] + 0.0003, 4)  # three units of the last printed place
    changed["sessions"][0]["result"] = orjson.dumps(result).decode()
    report = verify_bundle(resigned(changed, key), battery, battery_files(battery), public_key_text(key))
    (failed,) = [s for s in report.sessions if not s.ok]
    assert failed.session_id == "R7K2QX-0001"
    assert [(f.code, f.step, f.values["field"]) for f in failed.findings] == [
        ("result", failed.steps + 1, f"subtest {sub['subtest_id']} theta")
    ]
    # within the printed precision (one unit of the last place) it is the same result
    sub["theta"] = round(sub["theta"] - 0.0002, 4)
    changed["sessions"][0]["result"] = orjson.dumps(result).decode()
    assert verify_bundle(resigned(changed, key), battery, battery_files(battery), public_key_text(key)).ok


def test_a_changed_audit_entry_fails_at_its_step_even_when_signed_again(
    battery: Battery, signed: tuple[dict[str, Any], Any]
) -> None:
    bundle, key = signed
    changed = orjson.loads(orjson.dumps(bundle))
    rows = changed["sessions"][2]["audit"]
    k = next(i for i, r in enumerate(rows) if '"kind":"answer"' in r["entry"] and '"option"' in r["entry"])
    entry = orjson.loads(rows[k]["entry"])
    entry["response_ms"] += 1
    rows[k]["entry"] = orjson.dumps(entry).decode()
    report = verify_bundle(resigned(changed, key), battery, battery_files(battery), public_key_text(key))
    (failed,) = [s for s in report.sessions if not s.ok]
    assert failed.session_id == "R7K2QX-0003"
    assert [(f.step, f.code) for f in failed.findings] == [(k + 1, "chain_broken"), (k + 1, "response_ms")]


def test_a_changed_pool_file_or_another_key_fails(
    battery: Battery, battery_path: Path, signed: tuple[dict[str, Any], Any], tmp_path: Path
) -> None:
    bundle, key = signed
    files = battery_files(battery)
    files["subtests"][1]["sha256"] = "0" * 64  # what battery_files gives for a pool file changed on disk
    report = verify_bundle(bundle, battery, files, public_key_text(key))
    assert [f.code for f in report.findings] == ["pool_file"]
    assert all(
        [(f.step, f.code, f.values["subtest"]) for f in s.findings] == [(0, "pool_file", "s2")] for s in report.sessions
    )
    other = public_key_text(new_private_key())
    report = verify_bundle(bundle, battery, battery_files(battery), other)
    assert [f.code for f in report.findings] == ["key_mismatch", "signature"]
    assert all([f.code for f in s.findings] == ["session_signature"] for s in report.sessions)


def test_what_is_not_a_bundle_is_refused(battery: Battery) -> None:
    with pytest.raises(ValueError, match="not an evidence bundle"):
        verify_bundle({"sessions": []}, battery, battery_files(battery))
    with pytest.raises(ValueError, match="version"):
        verify_bundle({"format": "cat-engine-evidence", "format_version": 9}, battery, battery_files(battery))


# --- integrity flags ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def timed(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    """The battery above on timed pools (median times 20 to 60 s), the ability-change test on: the random sittings'
    answers, 0.3 to 9 s apart, are often rapid guesses, and their speed and ability move between subtests."""
    subs = [
        subtest_dict("s1", max_items=5, min_items=5, se_target=None, time_limit_s=40),
        subtest_dict("s2", max_items=8, min_items=3, se_target=0.45, time_limit_s=60),
    ]
    pools = {"s1.json": timed_pool(40, 8, "s1"), "s2.json": timed_pool(40, 9, "s2")}
    data = battery_dict(subs, integrity={"ability_correlation": 0.9})
    return load_battery(write_battery(tmp_path_factory.mktemp("timed"), data, pools=pools))


def _flag_steps(entries: list[bytes]) -> list[int]:
    return [k for k, e in enumerate(entries) if orjson.loads(e)["kind"] == "flag"]


@pytest.fixture(scope="module")
def flagged(timed: Battery) -> list[Driver]:
    """Random sittings of the timed battery that raised flags."""
    rng = random.Random(77)
    out = [sit(timed, rng, seed=rng.getrandbits(62)) for _ in range(30)]
    return [d for d in out if _flag_steps(d.entries)]


def test_sittings_with_flags_replay_to_the_same_flags(timed: Battery, flagged: list[Driver]) -> None:
    kinds: set[str] = set()
    for d in flagged:
        done = replay(timed, SID, d.state.seed, d.entries, until_ms=d.until)
        assert done.divergence is None, done.divergence
        same_records(done.state, d.state)
        assert done.state.flags == d.state.flags
        kinds.update(orjson.loads(d.entries[k])["flag"] for k in _flag_steps(d.entries))
    assert len(flagged) >= 10 and "rapid" in kinds and len(kinds) >= 3, kinds


def test_a_flag_raised_when_the_timer_ended_the_battery_replays(tmp_path: Path) -> None:
    """The server's timer leaves no entry of its own, only the flags it raised: the replay ends the subtest when it
    meets them. The first subtest answered in 7 s an item, the second in 40 s, until its time runs out: the final
    look at the timer's time finds the change of speed."""
    subs = [
        subtest_dict("s1", max_items=5, min_items=5, se_target=None, time_limit_s=600),
        subtest_dict("s2", max_items=20, min_items=20, se_target=None, time_limit_s=220),
    ]
    pools = {"s1.json": timed_pool(40, 8, "s1"), "s2.json": timed_pool(40, 9, "s2")}
    battery = load_battery(write_battery(tmp_path, battery_dict(subs), pools=pools))
    d = Driver(battery, 12)
    d.hello(T0, "c1")
    d.start(T0, "c1")
    d.start(T0, "c1", 0)
    t = T0
    for pace in (7_000, 40_000):
        if d.state.phase is Phase.INTRO:
            d.start(t, "c1", 1)
        begun = t
        while d.state.phase is Phase.ACTIVE and t + pace < begun + 220_000:
            t += pace
            d.answer(t, "c1", 0)
    assert d.state.phase is Phase.ACTIVE and len(d.state.items) == 5
    d.timer(begun + 220_005)
    over = d.state
    assert over.phase is Phase.FINISHED
    steps = _flag_steps(d.entries)
    raised = [orjson.loads(d.entries[k]) for k in steps]
    assert "speed_change" in [f["flag"] for f in raised]
    assert all(f["at_ms"] == begun + 220_005 for f in raised) and steps[0] == len(d.entries) - len(steps)
    done = replay(battery, SID, 12, d.entries)
    assert done.divergence is None and done.state.flags == d.state.flags
    found = replay(battery, SID, 12, d.entries[: steps[0]], until_ms=begun + 220_005).divergence
    assert found is None  # without its flags the audit ends before the timer: nothing was raised yet
    # a later hello finds the battery over (the timer ended it): the flags it raised must be in the audit
    late = audit.hello(begun + 230_000, "c2", outcome="finished")
    assert replay(battery, SID, 12, [*d.entries, late]).divergence is None
    found = replay(battery, SID, 12, [*d.entries[: steps[0]], late]).divergence
    assert found is not None and (found.code, found.step) == ("flag_missing", steps[0] + 2)  # the session's end


def test_a_changed_removed_or_added_flag_is_reported_at_its_step(timed: Battery, flagged: list[Driver]) -> None:
    d = flagged[0]
    k = _flag_steps(d.entries)[0]
    entry = orjson.loads(d.entries[k])
    cases: list[tuple[dict[str, Any], str]] = [
        ({"statistic": {**entry["statistic"], "p_value": entry["statistic"]["p_value"] * 1.01}}, "statistic.p_value"),
        ({"flag": "misfit" if entry["flag"] != "misfit" else "rapid"}, "flag"),
        ({"responses": entry["responses"][:-1]}, "responses"),
        ({"at_ms": entry["at_ms"] + 1}, "at_ms"),
    ]
    for changes, name in cases:
        entries = list(d.entries)
        entries[k] = orjson.dumps({**entry, **changes})
        found = replay(timed, SID, d.state.seed, entries, until_ms=d.until).divergence
        assert found is not None and (found.step, found.code, found.values["field"]) == (k + 1, "flag", name)
    # within the tolerance of another machine's last bits it is the same flag
    entries = list(d.entries)
    close = {**entry["statistic"], "p_value": entry["statistic"]["p_value"] * (1 + 1e-9)}
    entries[k] = orjson.dumps({**entry, "statistic": close})
    assert replay(timed, SID, d.state.seed, entries, until_ms=d.until).divergence is None
    removed = [*d.entries[:k], *d.entries[k + 1 :]]
    found = replay(timed, SID, d.state.seed, removed, until_ms=d.until).divergence
    # reported at the entry after the change that raised it (the session's end, when it was the last)
    assert found is not None and found.code == "flag_missing" and found.step == k + 1
    added = [*d.entries[: k + 1], d.entries[k], *d.entries[k + 1 :]]
    found = replay(timed, SID, d.state.seed, added, until_ms=d.until).divergence
    assert found is not None and (found.step, found.code) == (k + 2, "flag_extra")


def test_a_changed_flag_in_the_result_fails_even_when_signed_again(timed: Battery, flagged: list[Driver]) -> None:
    over = [d for d in flagged if d.state.phase in (Phase.FINISHED, Phase.TERMINATED)]
    key = new_private_key()
    bundle = make_bundle(timed, [(f"R7K2QX-000{i + 1}", d) for i, d in enumerate(over[:3])], key)
    assert verify_bundle(bundle, timed, battery_files(timed), public_key_text(key)).ok
    changed = orjson.loads(orjson.dumps(bundle))
    result = orjson.loads(changed["sessions"][0]["result"])
    assert result["flags"]
    result["flags"] = result["flags"][1:]
    result["integrity"][0]["p_value"] *= 2
    changed["sessions"][0]["result"] = orjson.dumps(result).decode()
    report = verify_bundle(resigned(changed, key), timed, battery_files(timed), public_key_text(key))
    (failed,) = [s for s in report.sessions if not s.ok]
    fields = [f.values["field"] for f in failed.findings]
    assert failed.session_id == "R7K2QX-0001" and "flags" in fields
    assert f"integrity {result['integrity'][0]['name']} p_value" in fields
