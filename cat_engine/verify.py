"""Check an evidence bundle: signatures, the files the server used, each session's audit chain, and a replay of each
session through the engine from its audit (what ``cat-verify`` does; docs/verification.md).

The replay starts a fresh sitting with the session's seed and the pretest key of its session id
(:func:`cat_engine.session.new_session`, :func:`cat_engine.session_pretest.pretest_key_of`) and applies every audit
entry as the transition the server applied, at the entry's ``at_ms``:

* ``hello`` connects (after stopping a connection it took over from, at the ``stopped_ms`` of the ``disconnected``
  entry its change left when there is one, else at the hello's time) and lets the clock catch up
  (:func:`~cat_engine.session.tick`), or, with ``outcome: approval``, records a request to move; ``disconnected``
  stops the clock;
* ``start``, ``intro_ended`` (the intro ended by itself: ``tick`` with no intro left), ``answer`` (its ``response``,
  the display position sent), a late ``answer`` (``outcome: time_up``: the clock ran out), ``proctor`` (pause,
  resume, extend, terminate, approve or deny a move) and ``note`` are the transitions of the same name;
* ``message``, repeats (an ``outcome`` of ``duplicate``, ``finished``, ``ignored``, ``room_closed``), ``suppressed``
  and ``room_flag`` (a flag on the answer timing of several sessions of the room, which one session's audit cannot
  recompute) change nothing.

A subtest's clock that runs out is ended by the server's timer, which the audit does not record: before an entry
that needs it (a ``start`` or ``intro_ended`` of the next subtest, a late answer, a repeat answered as finished, a
proctor command) and after the last entry (at the bundle's time) the replay ends the subtest if its time is up then,
which gives the same result (a subtest that ran out is recorded with its time limit, however late that was
noticed). A proctor command refused after that catch-up is tried once more without it (a command that came within
the timer's few milliseconds).

Each ``flag`` entry must be the next integrity flag the replay raised (:mod:`cat_engine.session_integrity`): same
kind, time, subtest, evidence responses, statistic name and number of responses, and value, p-value and threshold
within :data:`_FLAG_TOLERANCE`; a flag the replay raises that the audit does not record is reported at the entry
after the change that raised it (``flag_missing``), one the replay does not raise at its own entry (``flag_extra``).
A ``flag`` entry the replay has not raised yet may follow the server's timer ending a subtest: the replay first ends
the subtest if its time is up then, as for the other entries.

Each ``presented`` entry must be the next item the replay presented: same ``seq``, subtest, item and option order, a
pretest item (:mod:`cat_engine.session_pretest`) marked ``"pretest": true`` and no other, and, when the entry records
them (audits written before it do not), the operational interim estimate ``theta`` and ``se`` at that moment within a
relative :data:`_FLAG_TOLERANCE`; each applied answer must name the item presented, choose the stored ``option`` its
``response`` maps to and take the ``response_ms`` the replayed clock measures. The first entry that differs ends the
replay of that session and is reported by its step (its position in the session's audit, from 1). Once all entries are
applied the replayed result (theta, SE, level, level probability, scaled score, items, time, stop reason per subtest;
status, notes) must be the exported one, within the precision it was exported with; a result that lists the flags raised
and the statistics of the final screening must list the replay's.

Nothing here imports the server: the bundle's format is docs/verification.md, "Technical format".
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from . import session as core
from .battery import Battery
from .errors import CatError, TimeUp
from .events import Answered, Event, Flagged, ItemPresented, PretestPresented
from .options import item_option_order
from .pool import Pool
from .session import Command, Phase, SessionState
from .session_integrity import screen_session
from .session_pretest import presented_item_id, pretest_key_of
from .signing import BUNDLE_DOMAIN, SESSION_DOMAIN, chain_next, chain_start, key_id, signature_valid

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Finding",
    "Replay",
    "Report",
    "SessionReport",
    "check_chain",
    "replay",
    "verify_bundle",
]

FORMAT = "cat-engine-evidence"
FORMAT_VERSION = 1

# The exported profile rounds theta and SE to 4 decimals, the level probability and the time used to 3
# (cat_engine.battery.SubtestResult.to_dict). A replay on another machine may differ from the server's floats in the
# last bits, which can move a rounded value by one unit of its last place and never more; a difference beyond that
# is a different result.
_TOLERANCE = {"theta": 1e-4, "se": 1e-4, "level_probability": 1e-3, "time_used_s": 1e-3}
_REPEATS = ("duplicate", "finished", "ignored", "room_closed")
# A flag's statistic is recomputed by the replay: the same code on the same inputs, but another machine's libm or
# numpy may differ from the server's in the last bits, which a relative 1e-6 covers many times over (p-values of
# different flags differ in far more than that).
_FLAG_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Finding:
    """One thing that does not check out.

    ``session_id`` is None for the bundle as a whole. ``step`` is the audit entry (from 1) where it shows; 0 is
    before the first entry (a signature, a file), and the number of entries + 1 the session's end (its result).
    ``code`` is a stable name (docs/verification.md, "What cat-verify checks"); ``values`` fill its message;
    ``detail`` says it in English.
    """

    session_id: str | None
    step: int
    code: str
    detail: str
    values: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "step": self.step,
            "code": self.code,
            "detail": self.detail,
            "values": dict(self.values),
        }


@dataclass(frozen=True)
class SessionReport:
    """What was found of one session: ``steps`` audit entries, whether it had a result (``over``)."""

    session_id: str
    steps: int
    over: bool
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "ok": self.ok,
            "steps": self.steps,
            "over": self.over,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class Report:
    """The check of a whole bundle."""

    room_id: str
    generated_ms: int
    battery_id: str
    battery_version: str
    key_id: str
    key_given: bool  # checked with a public key given by the auditor (else with the bundle's own)
    findings: tuple[Finding, ...]  # of the bundle as a whole
    sessions: tuple[SessionReport, ...]

    @property
    def ok(self) -> bool:
        return not self.findings and all(s.ok for s in self.sessions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "room_id": self.room_id,
            "generated_ms": self.generated_ms,
            "battery": {"id": self.battery_id, "version": self.battery_version},
            "key_id": self.key_id,
            "key_given": self.key_given,
            "findings": [f.to_dict() for f in self.findings],
            "sessions": [s.to_dict() for s in self.sessions],
        }


# --- the chain -----------------------------------------------------------------------------------------------------


def check_chain(session_id: str, rows: Sequence[Mapping[str, Any]], head: str) -> list[Finding]:
    """The audit chain's faults: rows ``{"entry": JSON text, "prev": hex or None}`` in stored order, ``head`` the hash
    the store kept after the last one ("" none).

    Entries without ``prev`` at the start were written before the audit was chained: reported (``chain_unchained``),
    since nothing protects them. After them the chain must start at the session's chain start (``chain_start``:
    else entries before it are missing) and each ``prev`` must be the hash of the entry before (``chain_broken`` at
    the entry before it: that one was changed, or entries were removed or inserted after it); the last entry's hash
    must be the head kept (``chain_head``: else entries are missing at the end).
    """
    out: list[Finding] = []
    unchained = 0
    while unchained < len(rows) and rows[unchained].get("prev") is None:
        unchained += 1
    if unchained:
        out.append(
            Finding(
                session_id,
                1,
                "chain_unchained",
                f"the first {unchained} audit entries were written before the audit was chained",
                {"count": str(unchained)},
            )
        )
    expected = chain_start(session_id)
    for k in range(unchained, len(rows)):
        prev = rows[k].get("prev")
        if prev != expected:
            if k == unchained:
                out.append(
                    Finding(session_id, k + 1, "chain_start", "the chain does not start at the session's chain start")
                )
            else:
                out.append(
                    Finding(
                        session_id,
                        k,
                        "chain_broken",
                        f"entry {k + 1} does not carry the hash of entry {k}",
                        {"next": str(k + 1)},
                    )
                )
            return out
        if prev is None or not isinstance(rows[k].get("entry"), str):
            out.append(Finding(session_id, k + 1, "malformed", "an audit row without its entry text or prev"))
            return out
        expected = chain_next(prev, rows[k]["entry"].encode())
    if head and len(rows) > unchained and expected != head:
        out.append(Finding(session_id, len(rows) + 1, "chain_head", "the last entry is not the head the store kept"))
    return out


# --- the replay ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replay:
    """A replayed session: the state after its last entry, and the first step that differs (None: none)."""

    state: SessionState
    divergence: Finding | None


class _Diverged(Exception):
    def __init__(self, code: str, detail: str, **values: object) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.values = {k: _text(v) for k, v in values.items()}


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def replay(
    battery: Battery, session_id: str, seed: int, entries: Sequence[bytes], until_ms: int | None = None
) -> Replay:
    """Replay the audit ``entries`` (stored bytes, in order) of session ``session_id`` with ``seed`` (see the
    module docstring); ``until_ms``: the time the audit was read at (a clock that ran out by then was ended by the
    server's timer)."""
    r = _Replayer(battery, seed, pretest_key_of(session_id))
    try:
        r.run(entries)
        if until_ms is not None:
            r.catch_up(until_ms)
    except _Diverged as exc:
        step_of = r.step if r.step else 0
        return Replay(r.state, Finding(session_id, step_of, exc.code, exc.detail, exc.values))
    return Replay(r.state, None)


class _Replayer:
    def __init__(self, battery: Battery, seed: int, pretest_key: tuple[int, int] | None) -> None:
        self.battery = battery
        self.state = core.new_session(battery, seed, pretest_key=pretest_key)
        self.pending: deque[ItemPresented] = deque()
        self.flags: deque[Flagged] = deque()
        self.step = 0
        self.consumed: set[int] = set()
        self.entries: list[dict[str, Any]] = []

    # --- driving ---

    def run(self, raw: Sequence[bytes]) -> None:
        for k, text in enumerate(raw, 1):
            self.step = k
            try:
                entry = orjson.loads(text)
            except orjson.JSONDecodeError:
                raise _Diverged("malformed", "the entry is not JSON") from None
            if not isinstance(entry, dict) or not isinstance(entry.get("kind"), str) or not _is_int(entry.get("at_ms")):
                raise _Diverged("malformed", "the entry has no kind or at_ms")
            self.entries.append(entry)
        for k, entry in enumerate(self.entries, 1):
            self.step = k
            if entry["kind"] == "presented":
                self._presented(entry)
                continue
            if k in self.consumed:
                continue
            self._nothing_pending(flags=entry["kind"] != "flag")
            handler = _HANDLERS.get(entry["kind"])
            if handler is None:
                raise _Diverged("unknown_kind", f"an entry of unknown kind {entry['kind']!r}", kind=entry["kind"])
            handler(self, entry, entry["at_ms"])
        self.step = len(self.entries) + 1
        self._nothing_pending()

    def _apply(self, transition: tuple[SessionState, list[Event]]) -> list[Event]:
        self.state, events = transition
        self.pending.extend(e for e in events if isinstance(e, ItemPresented))
        self.flags.extend(e for e in events if isinstance(e, Flagged))
        return events

    def _nothing_pending(self, flags: bool = True) -> None:
        if self.pending:
            p = self.pending[0]
            pool, _ = _pool_of(self.battery, p)
            raise _Diverged(
                "presented_missing",
                f"the replay presented item {pool.items[p.item_index].id} as seq {p.seq}; the audit records none",
                item_id=pool.items[p.item_index].id,
                seq=p.seq,
            )
        if flags and self.flags:
            f = self.flags[0]
            raise _Diverged(
                "flag_missing",
                f"the replay raised the flag {f.kind} at {f.at_ms}; the audit records none",
                flag=f.kind,
                at_ms=f.at_ms,
            )

    def catch_up(self, at_ms: int) -> None:
        """End the current subtest when its time is up at ``at_ms`` (the server's timer, which the audit does not
        record, did it then or earlier)."""
        left = core.time_left_ms(self.battery, self.state, at_ms)
        if self.state.phase is Phase.ACTIVE and left is not None and left <= 0:
            self._apply(core.tick(self.battery, self.state, at_ms))

    def _require(self, ok: bool, what: str, **values: object) -> None:
        if not ok:
            raise _Diverged("not_applicable", f"{what}; the replayed session is {self._where()}", **values)

    def _where(self) -> str:
        s = self.state
        if s.phase in (Phase.INTRO, Phase.ACTIVE, Phase.PAUSED):
            return f"{s.phase.value} in subtest {s.subtest_index} (seq {s.seq})"
        return s.phase.value

    def _current_item(self) -> str | None:
        return presented_item_id(self.battery, self.state)

    # --- entries ---

    def _presented(self, e: dict[str, Any]) -> None:
        if not self.pending:
            raise _Diverged(
                "presented_extra",
                f"the audit says item {e.get('item_id')} was presented; the replay presented none here",
                item_id=e.get("item_id"),
            )
        p = self.pending.popleft()
        sub = self.battery.subtests[p.subtest_index]
        pool, pretest = _pool_of(self.battery, p)
        expected: dict[str, Any] = {
            "seq": p.seq,
            "subtest": sub.id,
            "item_id": pool.items[p.item_index].id,
            "option_order": list(item_option_order(pool, self.state.seed, p.subtest_index, p.item_index, pretest)),
        }
        if e.get("pretest", False) is not pretest:  # only a pretest item's entry says so, with true
            raise _Diverged(
                "presentation",
                f"presented pretest: the replay gives {_text(pretest)}, the audit {_text(e.get('pretest'))}",
                field="pretest",
                expected=pretest,
                found=e.get("pretest"),
            )
        for name in ("theta", "se"):
            value = getattr(p, name)
            if name in e and not _same_flag_field(value, e[name]):
                raise _Diverged(
                    "presentation",
                    f"presented {name}: the replay gives {_text(value)}, the audit {_text(e[name])}",
                    field=name,
                    expected=value,
                    found=e[name],
                )
        for name, value in expected.items():
            if e.get(name) != value:
                code = "item" if name == "item_id" else "presentation"
                raise _Diverged(
                    code,
                    f"presented {name}: the replay gives {value!r}, the audit {e.get(name)!r}",
                    field=name,
                    expected=value,
                    found=e.get(name),
                )

    def _hello(self, e: dict[str, Any], at_ms: int) -> None:
        outcome, device = e.get("outcome"), e.get("device")
        if outcome == "finished":
            self.catch_up(at_ms)
            self._require(self.state.phase is Phase.FINISHED, "a hello answered as finished")
            return
        if outcome == "approval":
            self._require(core.needs_approval(self.state, device), "a hello waiting for approval to move")
            if self.state.seat_request != ("" if device is None else device):
                self._apply(core.request_seat(self.state, device, at_ms))
            return
        if outcome is not None:
            raise _Diverged("malformed", f"a hello with an unknown outcome {outcome!r}")
        self._require(
            self.state.phase not in (Phase.FINISHED, Phase.TERMINATED) and not core.needs_approval(self.state, device),
            "a hello that took the sitting",
        )
        self.state = core.seat(self.state, device)
        if self.state.connected:  # a connection taken over: its clock stopped when it was lost, or now
            self._apply(core.disconnect(self.battery, self.state, self._takeover_stop(at_ms)))
        self._apply(core.connect(self.battery, self.state, at_ms))
        if self.state.phase is not Phase.READY:
            self._apply(core.tick(self.battery, self.state, at_ms))

    def _takeover_stop(self, at_ms: int) -> int:
        """The time a taken-over connection's clock stopped: the ``stopped_ms`` of the ``disconnected`` entry the
        hello's own change left (after the hello's entries and the items it presented), else the hello's time."""
        for j in range(self.step, len(self.entries)):
            entry = self.entries[j]
            if entry["kind"] in ("intro_ended", "presented"):
                continue
            if entry["kind"] == "disconnected" and "stopped_ms" in entry:
                if not _is_int(entry["stopped_ms"]) or entry["stopped_ms"] > at_ms:
                    raise _Diverged("malformed", "a takeover's clock stop later than the hello that took over")
                self.consumed.add(j + 1)
                return int(entry["stopped_ms"])
            break
        return at_ms

    def _disconnected(self, e: dict[str, Any], at_ms: int) -> None:
        self._require("stopped_ms" not in e, "a takeover's clock stop without the hello that took over")
        self._apply(core.disconnect(self.battery, self.state, at_ms))

    def _start(self, e: dict[str, Any], at_ms: int) -> None:
        if e.get("outcome") == "finished":
            self.catch_up(at_ms)
            self._require(self.state.phase is Phase.FINISHED, "a start answered as finished")
        if e.get("outcome") in _REPEATS:
            return
        if e.get("outcome") is not None:
            raise _Diverged("malformed", f"a start with an unknown outcome {e.get('outcome')!r}")
        subtest = e.get("subtest")
        self.catch_up(at_ms)
        if subtest is None:
            self._require(self.state.phase is Phase.READY, "a start of the battery")
        else:
            self._require(
                self.state.phase is Phase.INTRO and self.state.subtest_index == subtest,
                f"a start of subtest {subtest}",
            )
        self._transition(lambda: core.start(self.battery, self.state, at_ms), "start")

    def _intro_ended(self, e: dict[str, Any], at_ms: int) -> None:
        self.catch_up(at_ms)
        self._require(
            self.state.phase is Phase.INTRO and self.state.subtest_index == e.get("subtest"),
            f"the intro of subtest {e.get('subtest')} ending by itself",
        )
        self._apply(core.tick(self.battery, self.state, at_ms, intro_limit_ms=0))

    def _answer(self, e: dict[str, Any], at_ms: int) -> None:
        outcome = e.get("outcome")
        if outcome == "finished":
            self.catch_up(at_ms)
            self._require(self.state.phase is Phase.FINISHED, "an answer answered as finished")
        if outcome in _REPEATS:
            return
        item = self._current_item()
        if "item_id" in e and e["item_id"] != item:
            raise _Diverged(
                "item",
                f"the answer names item {e['item_id']}; the replay presents {item}",
                field="item_id",
                expected=item,
                found=e["item_id"],
            )
        if outcome == "time_up":
            left = core.time_left_ms(self.battery, self.state, at_ms)
            self._require(
                self.state.phase is Phase.ACTIVE and e.get("seq") == self.state.seq,
                "an answer that came after the time ran out",
            )
            if left is None or left > 0:
                raise _Diverged(
                    "time",
                    f"the audit says the time had run out; the replayed clock has {left} ms left",
                    left_ms=left,
                )
            self._apply(core.tick(self.battery, self.state, at_ms))
            return
        if outcome is not None:
            raise _Diverged("malformed", f"an answer with an unknown outcome {outcome!r}")
        if not all(_is_int(e.get(name)) for name in ("seq", "response", "option", "response_ms")):
            raise _Diverged("malformed", "an applied answer without seq, response, option and response_ms")
        try:
            events = self._apply(core.answer(self.battery, self.state, e["seq"], e["response"], at_ms))
        except TimeUp:
            left = core.time_left_ms(self.battery, self.state, at_ms)
            detail = "the answer was applied; the replayed clock says the time had run out"
            raise _Diverged("time", detail, left_ms=left) from None
        except CatError as exc:
            raise _Diverged("not_applicable", f"the answer cannot be applied: {exc}", reason=str(exc)) from None
        applied = next(ev for ev in events if isinstance(ev, Answered))
        for name, value in (("option", applied.response), ("response_ms", applied.response_ms)):
            if e[name] != value:
                raise _Diverged(
                    name,
                    f"answer {name}: the replay gives {value}, the audit {e[name]}",
                    field=name,
                    expected=value,
                    found=e[name],
                )

    def _proctor(self, e: dict[str, Any], at_ms: int) -> None:
        try:
            command = Command(str(e.get("command")))
        except ValueError:
            raise _Diverged("malformed", f"an unknown proctor command {e.get('command')!r}") from None
        reason = e.get("reason") or ""
        seconds = e.get("seconds")
        if not isinstance(reason, str) or (command is Command.EXTEND and not _both_numbers(seconds, 0)):
            raise _Diverged("malformed", f"a proctor's {command.value} without its reason or seconds")
        before = self.state

        def apply() -> tuple[SessionState, list[Event]]:
            b, s = self.battery, self.state
            if command is Command.PAUSE:
                return core.pause(b, s, at_ms, reason)
            if command is Command.RESUME:
                return core.resume(b, s, at_ms)
            if command is Command.EXTEND:
                return core.extend_time(b, s, float(seconds), at_ms)  # type: ignore[arg-type]
            if command is Command.APPROVE_SEAT:
                return core.approve_seat(b, s, at_ms)
            if command is Command.DENY_SEAT:
                return core.deny_seat(b, s, at_ms)
            return core.terminate(b, s, reason, at_ms)

        flags = list(self.flags)
        self.catch_up(at_ms)
        if self.state is not before:  # the time was up: the timer ended the subtest first, or had not yet
            try:
                self._apply(apply())
                return
            except CatError:  # it came within the timer's few milliseconds: the subtest was still on
                self.state = before
                self.flags = deque(flags)
        self._transition(apply, f"the proctor's {command.value}")

    def _flag(self, e: dict[str, Any], at_ms: int) -> None:
        if not self.flags:  # raised when the server's timer ended a subtest (the timer leaves no entry of its own)
            self.catch_up(at_ms)
        if not self.flags:
            raise _Diverged(
                "flag_extra",
                f"the audit says the flag {e.get('flag')!r} was raised; the replay raises none here",
                flag=e.get("flag"),
            )
        f = self.flags.popleft()
        wire = orjson.loads(orjson.dumps(f.to_dict()))  # as written: a non-finite value is null
        expected: dict[str, Any] = {
            "flag": f.kind,
            "at_ms": f.at_ms,
            "subtest": f.subtest_index,
            "responses": wire["responses"],
            **{f"statistic.{k}": v for k, v in wire["statistic"].items()},
        }
        statistic = e.get("statistic")
        found = {**e, **({f"statistic.{k}": v for k, v in statistic.items()} if isinstance(statistic, dict) else {})}
        for name, value in expected.items():
            if not _same_flag_field(value, found.get(name)):
                raise _Diverged(
                    "flag",
                    f"flag {name}: the replay gives {_text(value)}, the audit {_text(found.get(name))}",
                    field=name,
                    expected=value,
                    found=found.get(name),
                )

    def _note(self, e: dict[str, Any], at_ms: int) -> None:
        text = e.get("text")
        if not isinstance(text, str):
            raise _Diverged("malformed", "a note without its text")
        self._transition(lambda: core.add_note(self.battery, self.state, text, at_ms), "a note")

    def _nothing(self, e: dict[str, Any], at_ms: int) -> None:
        return None

    def _transition(self, apply: Callable[[], tuple[SessionState, list[Event]]], what: str) -> None:
        try:
            self._apply(apply())
        except CatError as exc:
            raise _Diverged(
                "not_applicable", f"{what} cannot be applied: {exc}; the replayed session is {self._where()}"
            ) from None


_HANDLERS: dict[str, Callable[[_Replayer, dict[str, Any], int], None]] = {
    "hello": _Replayer._hello,
    "start": _Replayer._start,
    "intro_ended": _Replayer._intro_ended,
    "answer": _Replayer._answer,
    "proctor": _Replayer._proctor,
    "note": _Replayer._note,
    "message": _Replayer._nothing,
    "suppressed": _Replayer._nothing,
    "room_flag": _Replayer._nothing,
    "disconnected": _Replayer._disconnected,
    "flag": _Replayer._flag,
}


def _pool_of(battery: Battery, p: ItemPresented) -> tuple[Pool, bool]:
    """The pool of a presented item (its subtest's pretest pool for a pretest item) and whether it is one."""
    sub = battery.subtests[p.subtest_index]
    if isinstance(p, PretestPresented) and sub.pretest is not None:
        return sub.pretest.pool, True
    return sub.pool, False


def _same_flag_field(mine: Any, theirs: Any) -> bool:
    """Whether a flag entry's field is the replay's: a float within :data:`_FLAG_TOLERANCE` (relative), anything
    else equal and of the same type."""
    if isinstance(mine, float) and _both_numbers(mine, theirs):
        return abs(mine - float(theirs)) <= _FLAG_TOLERANCE * max(abs(mine), abs(float(theirs))) + 1e-300
    return bool(mine == theirs) and type(mine) is type(theirs)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- the result ----------------------------------------------------------------------------------------------------


def _result_differences(battery: Battery, state: SessionState, result: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, replayed, exported) of each field of an exported result the replayed state does not give."""
    replayed = {
        "status": state.phase.value,
        "terminated_reason": state.terminated_reason,
        "pools": list(state.pools),
        "notes": [{"at_ms": n.at_ms, "text": n.text} for n in state.notes],
    }
    if "flags" in result:  # results stored before flags existed have none
        replayed["flags"] = list(state.flags)
    out = [(name, value, result.get(name)) for name, value in replayed.items() if result.get(name) != value]
    if "integrity" in result:
        out += _integrity_differences(battery, state, result["integrity"])
    mine = core.profile(battery, state).to_dict()
    theirs = result.get("profile")
    if not isinstance(theirs, dict):
        return [*out, ("profile", mine, theirs)]
    out.extend(
        (f"profile.{name}", mine[name], theirs.get(name))
        for name in ("battery_id", "battery_version", "complete")
        if theirs.get(name) != mine[name]
    )
    subs = theirs.get("subtests")
    if not isinstance(subs, list) or len(subs) != len(mine["subtests"]):
        return [*out, ("profile.subtests", len(mine["subtests"]), subs if not isinstance(subs, list) else len(subs))]
    for mine_sub, their_sub in zip(mine["subtests"], subs, strict=True):
        if not isinstance(their_sub, dict):
            out.append((f"subtest {mine_sub['subtest_id']}", mine_sub, their_sub))
            continue
        for name, value in mine_sub.items():
            got = their_sub.get(name)
            if not _same(name, value, got):
                out.append((f"subtest {mine_sub['subtest_id']} {name}", value, got))
        extra = sorted(set(their_sub) - set(mine_sub))
        out.extend((f"subtest {mine_sub['subtest_id']} {name}", "(none)", their_sub[name]) for name in extra)
    return out


def _integrity_differences(battery: Battery, state: SessionState, theirs: Any) -> list[tuple[str, Any, Any]]:
    """The exported final screening's statistics against the replay's (numbers within :data:`_FLAG_TOLERANCE`)."""
    mine = [orjson.loads(orjson.dumps(s.to_dict())) for s in screen_session(battery, state).statistics]
    if not isinstance(theirs, list) or len(theirs) != len(mine) or not all(isinstance(s, dict) for s in theirs):
        return [("integrity", [s["name"] for s in mine], theirs)]
    return [
        (f"integrity {m['name']} {name}", value, t.get(name))
        for m, t in zip(mine, theirs, strict=True)
        for name, value in m.items()
        if not _same_flag_field(value, t.get(name))
    ]


def _same(name: str, mine: Any, theirs: Any) -> bool:
    """Whether an exported profile field is the replayed one: numbers within the field's rounding (_TOLERANCE) or
    equal, anything else equal and of the same type (a level 3 is not "3", nor true)."""
    if _both_numbers(mine, theirs):
        tolerance = _TOLERANCE.get(name, 0.0)
        return bool(abs(float(mine) - float(theirs)) <= tolerance + 1e-9)
    return bool(mine == theirs) and type(mine) is type(theirs)


def _both_numbers(a: Any, b: Any) -> bool:
    return all(isinstance(x, int | float) and not isinstance(x, bool) for x in (a, b))


# --- the bundle ----------------------------------------------------------------------------------------------------


def verify_bundle(
    bundle: Mapping[str, Any],
    battery: Battery,
    files: Mapping[str, Any],
    public_key: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Check ``bundle`` (parsed JSON) against ``battery`` and ``files``, what the battery was loaded from
    (:func:`cat_engine.signing.battery_files`), with the auditor's ``public_key`` (base64 raw; None: the bundle's
    own). ``progress(done, total)`` is told after each session.

    Raises
    ------
    ValueError
        When ``bundle`` is not an evidence bundle of a known format version.
    """
    if not isinstance(bundle, Mapping) or bundle.get("format") != FORMAT:
        raise ValueError("not an evidence bundle of cat-engine")
    if bundle.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"evidence format version {bundle.get('format_version')!r}; this tool reads {FORMAT_VERSION}")
    try:
        room_id = str(bundle["room"]["room_id"])
        sessions = list(bundle["sessions"])
        own_key = str(bundle["public_key"])
        exported = bundle["battery"]
        generated = int(bundle["generated_ms"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"the bundle lacks {exc}") from None
    findings: list[Finding] = []
    key = public_key or own_key
    if public_key is not None and public_key != own_key:
        findings.append(
            Finding(None, 0, "key_mismatch", "the bundle names another public key than the one given", {"key": own_key})
        )
    unsigned = {k: v for k, v in bundle.items() if k != "signature"}
    if not signature_valid(key, BUNDLE_DOMAIN, unsigned, str(bundle.get("signature", ""))):
        findings.append(Finding(None, 0, "signature", "the bundle's signature is not valid for the key"))
    file_findings = _file_findings(exported, battery, files)
    findings += file_findings
    reports = []
    for n, session in enumerate(sessions, 1):
        reports.append(_session_report(session, battery, key, file_findings, generated))
        if progress is not None:
            progress(n, len(sessions))
    return Report(
        room_id=room_id,
        generated_ms=generated,
        battery_id=battery.id,
        battery_version=battery.version,
        key_id=_key_id(key),
        key_given=public_key is not None,
        findings=tuple(findings),
        sessions=tuple(reports),
    )


def _key_id(key: str) -> str:
    try:
        return key_id(key)
    except ValueError:
        return "?"


def _file_findings(exported: Any, battery: Battery, files: Mapping[str, Any]) -> list[Finding]:
    """The files given against what the server loaded: battery id and version, the battery file's and each pool
    file's SHA-256 (a subtest's pretest pool too)."""
    if not isinstance(exported, Mapping):
        return [Finding(None, 0, "malformed", "the bundle names no battery")]
    out = []
    if (exported.get("id"), exported.get("version")) != (battery.id, battery.version):
        out.append(
            Finding(
                None,
                0,
                "battery_mismatch",
                "the battery given is not the one the bundle names",
                {
                    "expected": f"{exported.get('id')} {exported.get('version')}",
                    "found": f"{battery.id} {battery.version}",
                },
            )
        )
    if exported.get("sha256") != files.get("sha256"):
        out.append(
            Finding(
                None,
                0,
                "battery_file",
                "the battery file differs from the one the server loaded",
                {"file": str(files.get("file"))},
            )
        )
    theirs = {s.get("id"): s for s in exported.get("subtests", []) if isinstance(s, Mapping)}
    for sub in files.get("subtests", []):
        server = theirs.get(sub["id"])
        if server is None or server.get("sha256") != sub["sha256"] or server.get("pool_version") != sub["pool_version"]:
            out.append(
                Finding(
                    None,
                    0,
                    "pool_file",
                    f"the pool file of subtest {sub['id']} differs from the one the server loaded",
                    {"subtest": sub["id"], "file": sub["file"]},
                )
            )
        mine, exported_pretest = sub.get("pretest"), (server or {}).get("pretest")
        if mine is not None or exported_pretest is not None:
            same = (
                isinstance(mine, Mapping)
                and isinstance(exported_pretest, Mapping)
                and all(exported_pretest.get(k) == mine.get(k) for k in ("sha256", "pool_version"))
            )
            if not same:
                out.append(
                    Finding(
                        None,
                        0,
                        "pool_file",
                        f"the pretest pool file of subtest {sub['id']} differs from the one the server loaded",
                        {"subtest": sub["id"], "file": str((mine or {}).get("file"))},
                    )
                )
    return out


def _session_report(
    session: Any, battery: Battery, key: str, file_findings: list[Finding], generated_ms: int
) -> SessionReport:
    if not isinstance(session, Mapping) or not isinstance(session.get("session_id"), str):
        return SessionReport("?", 0, False, (Finding(None, 0, "malformed", "a session without its id"),))
    sid = session["session_id"]
    rows = session.get("audit")
    result_text = session.get("result")
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        return SessionReport(sid, 0, False, (Finding(sid, 0, "malformed", "a session without its audit"),))
    findings: list[Finding] = []
    unsigned = {k: v for k, v in session.items() if k != "signature"}
    if not signature_valid(key, SESSION_DOMAIN, unsigned, str(session.get("signature", ""))):
        findings.append(Finding(sid, 0, "session_signature", "the session's signature is not valid for the key"))
    findings += [Finding(sid, f.step, f.code, f.detail, f.values) for f in file_findings]
    findings += check_chain(sid, rows, str(session.get("audit_head") or ""))
    texts = [r.get("entry") for r in rows]
    try:
        seed = int(session["seed"])
        if seed < 0 or not all(isinstance(t, str) for t in texts):
            raise ValueError
    except (KeyError, TypeError, ValueError):
        findings.append(Finding(sid, 0, "malformed", "a session without its seed or its entries' text"))
        return SessionReport(sid, len(rows), result_text is not None, tuple(findings))
    done = replay(battery, sid, seed, [str(t).encode() for t in texts], until_ms=generated_ms)
    if done.divergence is not None:
        findings.append(done.divergence)
    else:
        findings += _end_findings(session, battery, done.state, len(rows) + 1)
    return SessionReport(sid, len(rows), result_text is not None, tuple(sorted(findings, key=lambda f: f.step)))


def _end_findings(session: Mapping[str, Any], battery: Battery, state: SessionState, step: int) -> list[Finding]:
    """The replayed end against the exported phase and result."""
    sid = session["session_id"]
    out = []
    phase = session.get("phase")
    if phase is not None and phase != state.phase.value:
        out.append(
            Finding(
                sid,
                step,
                "phase",
                f"the session is {phase}; the replay ends {state.phase.value}",
                {"expected": state.phase.value, "found": str(phase)},
            )
        )
    text = session.get("result")
    if text is None:
        return out
    try:
        result = orjson.loads(text)
        if not isinstance(result, dict):
            raise ValueError
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return [*out, Finding(sid, step, "malformed", "the result is not a JSON object")]
    who = {"session_id": sid, "employee_id": session.get("employee_id"), "name": session.get("name")}
    differences = [(k, v, result.get(k)) for k, v in who.items() if result.get(k) != v]
    differences += _result_differences(battery, state, result)
    for name, mine, theirs in differences:
        out.append(
            Finding(
                sid,
                step,
                "result",
                f"result {name}: the replay gives {_text(mine)}, the bundle {_text(theirs)}",
                {"field": name, "expected": _text(mine), "found": _text(theirs)},
            )
        )
    return out
