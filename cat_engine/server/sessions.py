"""Candidate and proctor use cases: load a session, apply a core transition, commit, answer.

Every change follows the flow of docs/protocol.md and ARCHITECTURE.md: one load (a Redis round trip), one pure
core transition, one atomic commit with a version check (state, audit, room events, reply, result), then the
reply. A commit that loses the race to another process is retried from the load, so two processes can never
apply the same answer twice. A refused move raises :class:`Refused` before anything is written.

Connection ownership: a session is owned by the connection that last said ``hello`` (``owner`` =
``"<process id>/<connection id>"``). A newer connection takes over; the older one is told ``taken_over`` through
a store notification and closed. The clock of a connection left behind by a dead process is stopped at that
process's last heartbeat, so a server crash does not eat a candidate's time.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from .. import session as core
from ..battery import Battery
from ..errors import CatError, TimeUp
from ..events import Answered, Event, ItemPresented, Paused, Resumed, SubtestDone
from ..session import Phase, SessionState
from ..stopping import StopReason
from . import frames
from .messages import text
from .metrics import Metrics
from .store import Commit, SessionRecord, Store, room_of

__all__ = ["BEAT_INTERVAL_S", "Outcome", "Refused", "Sessions", "summary_of"]

BEAT_INTERVAL_S = 2.0
_DEAD_AFTER_MS = 3 * int(BEAT_INTERVAL_S * 1000)
_MAX_ATTEMPTS = 10
_KNOWN_MAX = 20_000  # sessions whose last record this process remembers (about 2 KB each)

# close codes (docs/protocol.md)
CLOSE_BAD_TOKEN = 4001
CLOSE_TAKEN_OVER = 4002
CLOSE_TERMINATED = 4003
CLOSE_INTERNAL = 1011
_CLOSES = {"bad_token": CLOSE_BAD_TOKEN, "taken_over": CLOSE_TAKEN_OVER, "terminated": CLOSE_TERMINATED}


class Refused(Exception):
    """A move the server refuses; ``code`` goes on the wire, ``close`` (when set) closes the connection."""

    def __init__(self, code: str, detail: str = "", close: int | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.close = close if close is not None else _CLOSES.get(code)


@dataclass
class Outcome:
    """Frames to send, in order, and when the current subtest's clock runs out (epoch ms; None: not running)."""

    frames: list[bytes] = field(default_factory=list)
    deadline_ms: int | None = None


@dataclass
class _Change:
    state: SessionState
    events: list[Event]
    frames: list[bytes]
    audit: list[dict[str, Any]] = field(default_factory=list)
    owner: str | None = None
    reply_seq: int | None = None
    by_candidate: bool = True  # False for a proctor's command: the candidate was not "seen"


def _previous(events: list[Event]) -> tuple[int, StopReason] | None:
    done = [e for e in events if isinstance(e, SubtestDone)]
    if not done:
        return None
    last = done[-1]
    return last.subtest, StopReason[last.result.stop_reason.upper()]


def _answered_now(state: SessionState) -> int:
    """Answers in the subtest under way (once the sitting is over, every subtest's answers are in ``done``)."""
    return len(state.items) if state.phase in (Phase.ACTIVE, Phase.PAUSED) else 0


def summary_of(before: Mapping[str, Any], events: list[Event], now_ms: int | None) -> dict[str, Any]:
    """What a proctor sees of a session that its state does not hold, after ``events``: the last theta and SE of
    the subtest under way, the pause reason, and when the candidate was last heard from.

    ``now_ms`` is that moment, None when the change is not the candidate's (a proctor command): ``last_seen_ms``
    then keeps its value. Phase, progress and time are read from the state itself (:meth:`Sessions.session_view`).
    """
    s = {"theta": None, "se": None, "pause_reason": "", "last_seen_ms": None, **before}
    for ev in events:
        if isinstance(ev, Answered):
            s["theta"], s["se"] = round(ev.theta, 4), round(ev.se, 4)
        elif isinstance(ev, ItemPresented) and ev.position == 1:
            s["theta"] = s["se"] = None  # a new subtest starts from the prior
        elif isinstance(ev, Paused):
            s["pause_reason"] = ev.reason
        elif isinstance(ev, Resumed):
            s["pause_reason"] = ""
    if now_ms is not None:
        s["last_seen_ms"] = now_ms
    return s


@dataclass(frozen=True)
class _Known:
    """A session record as this process last loaded or wrote it, decoded.

    Only a first guess that saves a load: a change made on it commits only if the stored version is still the
    same, and any other outcome (a refusal, a stored reply, nothing to do) is decided again on the stored record.
    """

    rec: SessionRecord
    state: SessionState
    summary: dict[str, Any]
    fresh: bool  # loaded from the store for this call (a failed commit then is a real conflict)


class Sessions:
    """The server's use cases over a :class:`~.store.Store` and the loaded batteries."""

    def __init__(
        self,
        store: Store,
        batteries: Mapping[str, Battery],
        metrics: Metrics,
        process_id: str,
        lang: str = "id",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.batteries = batteries
        self.metrics = metrics
        self.process_id = process_id
        self.lang = lang
        self._clock = clock
        self._room_battery: dict[str, Battery] = {}
        self._known: OrderedDict[str, _Known] = OrderedDict()

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    def message(self, code: str, detail: str = "") -> str:
        return text(code, self.lang, detail)

    def error(self, refused: Refused) -> bytes:
        self.metrics.error(refused.code)
        return frames.error_frame(refused.code, self.message(refused.code, refused.detail))

    def _remember(self, session_id: str, known: _Known) -> None:
        self._known[session_id] = known
        if len(self._known) > _KNOWN_MAX:
            self._known.popitem(last=False)

    async def battery_of(self, room_id: str) -> Battery:
        battery = self._room_battery.get(room_id)
        if battery is None:
            room = await self.store.get_room(room_id)
            if room is None or room.battery_id not in self.batteries:
                raise Refused("not_found", f"room {room_id} or its battery is not available")
            battery = self._room_battery[room_id] = self.batteries[room.battery_id]
        return battery

    # --- the load / transition / commit loop -----------------------------------------------------------------

    async def _apply(
        self,
        session_id: str,
        step: Callable[[SessionRecord, Battery, SessionState, Mapping[str, Any]], Awaitable[_Change | None]],
    ) -> tuple[_Change | None, Battery, SessionState]:
        """Run ``step`` on the stored session and commit its change; retried when another commit came first."""
        battery = await self.battery_of(room_of(session_id))
        known = self._known.pop(session_id, None)
        for _ in range(_MAX_ATTEMPTS):
            if known is None:
                rec = await self.store.load(session_id)
                if rec is None:
                    raise Refused("bad_token", "the session does not exist or has expired")
                known = _Known(rec, core.decode(battery, rec.state), orjson.loads(rec.summary), fresh=True)
            rec, state, before = known.rec, known.state, known.summary
            try:
                change = await step(rec, battery, state, before)
            except (Refused, _Early):
                if known.fresh:
                    raise
                known = None  # decided on a remembered record: decide again on the stored one
                continue
            if change is None:
                if not known.fresh:
                    known = None
                    continue
                self._remember(session_id, known)
                return None, battery, state
            now = self.now_ms()
            summary = summary_of(before, change.events, now if change.by_candidate else None)
            over = change.state.phase in (Phase.FINISHED, Phase.TERMINATED) and state.phase not in (
                Phase.FINISHED,
                Phase.TERMINATED,
            )
            commit = Commit(
                state=core.encode(change.state),
                summary=orjson.dumps(summary),
                owner=change.owner,
                reply=None if change.reply_seq is None else (change.reply_seq, change.frames[-1]),
                audit=[orjson.dumps(a) for a in change.audit] + self._presented(battery, change.events),
                events=[orjson.dumps({"session_id": session_id, "event": e.to_dict()}) for e in change.events],
                result=self._result(rec, battery, change.state) if over else None,
                persist=over,
            )
            committed, _ = await self.store.commit(session_id, rec.version, commit)
            if committed:
                owner = rec.owner if change.owner is None else change.owner
                written = SessionRecord(rec.candidate, commit.state, rec.version + 1, owner, commit.summary)
                self._remember(session_id, _Known(written, change.state, summary, fresh=False))
                return change, battery, change.state
            if known.fresh:  # a remembered record that went stale is no conflict: another process moved on
                self.metrics.conflicts += 1
            known = None
        raise Refused("internal", "the session kept changing under us", close=CLOSE_INTERNAL)

    @staticmethod
    def _presented(battery: Battery, events: list[Event]) -> list[bytes]:
        return [
            orjson.dumps(
                {
                    "kind": "presented",
                    "at_ms": e.at_ms,
                    "seq": e.seq,
                    "subtest": battery.subtests[e.subtest].id,
                    "item_id": battery.subtests[e.subtest].pool.items[e.item_index].id,
                }
            )
            for e in events
            if isinstance(e, ItemPresented)
        ]

    def _result(self, rec: SessionRecord, battery: Battery, state: SessionState) -> bytes:
        cand = rec.candidate
        return orjson.dumps(
            {
                "session_id": cand.session_id,
                "room_id": room_of(cand.session_id),
                "employee_id": cand.employee_id,
                "name": cand.name,
                "status": state.phase.value,
                "terminated_reason": state.terminated_reason,
                "pools": list(state.pools),
                "profile": core.profile(battery, state).to_dict(),
            }
        )

    @staticmethod
    def _deadline(battery: Battery, state: SessionState, now_ms: int) -> int | None:
        if state.running_since_ms is None:
            return None
        left = core.time_left_ms(battery, state, now_ms)
        return None if left is None else now_ms + left

    def _outcome(self, battery: Battery, state: SessionState, out: list[bytes]) -> Outcome:
        return Outcome(out, self._deadline(battery, state, self.now_ms()))

    # --- candidate ---------------------------------------------------------------------------------------------

    async def candidate_hello(self, token: str, conn: str) -> tuple[str, Outcome]:
        """Authenticate a candidate connection, take the session over and say where it is."""
        session_id = await self.store.session_for_token(token)
        if session_id is None:
            raise Refused("bad_token")
        taken_from: list[str] = []

        async def step(rec: SessionRecord, battery: Battery, state: SessionState, before: Mapping[str, Any]) -> _Change:
            now = self.now_ms()
            if state.phase is Phase.FINISHED:
                entry = {"kind": "hello", "at_ms": now, "conn": conn, "outcome": "finished"}
                raise _Early(frames.finished_frame(battery, state), entry)
            if state.phase is Phase.TERMINATED:
                raise Refused("terminated", state.terminated_reason)
            events: list[Event] = []
            taken_from.clear()
            if rec.owner and rec.owner != conn:
                taken_from.append(rec.owner)
                if state.connected:
                    stopped = await self._stop_time(rec.owner, now, before.get("last_seen_ms"))
                    state, evs = core.disconnect(battery, state, stopped)
                    events += evs
            state, evs = core.connect(battery, state, now)
            events += evs
            if state.phase is Phase.READY:
                state, evs = core.start(battery, state, now)
                events += evs
            state, evs = core.tick(battery, state, now)
            events += evs
            frame = frames.state_frame(battery, state, now, before.get("pause_reason", ""), _previous(events))
            assert frame is not None  # neither FINISHED nor TERMINATED reach here with a None frame
            audit = [{"kind": "hello", "at_ms": now, "conn": conn}]
            return _Change(state, events, [frame], audit, owner=conn)

        try:
            change, battery, state = await self._apply(session_id, step)
        except _Early as early:
            await self.store.append_audit(session_id, orjson.dumps(early.audit))
            return session_id, Outcome([early.frame])
        assert change is not None
        for old in taken_from:
            await self.store.notify(session_id, orjson.dumps({"kind": "takeover", "owner": conn, "old": old}))
        return session_id, self._outcome(battery, state, change.frames)

    async def _stop_time(self, owner: str, now_ms: int, last_seen_ms: int | None) -> int:
        """When the clock of a connection owned by ``owner`` really stopped.

        Now, when its process is alive (the connection is being taken over); the dead process's last heartbeat
        otherwise, or, when no heartbeat is on record, the last time the session changed.
        """
        process = owner.split("/", 1)[0]
        if process == self.process_id:
            return now_ms
        beat = await self.store.last_beat(process)
        if beat is not None and now_ms - beat <= _DEAD_AFTER_MS:
            return now_ms
        known = beat if beat is not None else last_seen_ms
        return now_ms if known is None else min(now_ms, int(known))

    async def candidate_answer(self, session_id: str, conn: str, seq: int, response: int) -> Outcome:
        """Apply an answer exactly once and return the reply (or the stored reply of a resend)."""

        async def step(rec: SessionRecord, battery: Battery, state: SessionState, before: Mapping[str, Any]) -> _Change:
            if state.phase is Phase.TERMINATED:
                raise Refused("terminated", state.terminated_reason)
            # a finished battery has no owner to check: its last reply and the error `finished` are all it gives
            if rec.owner != conn and state.phase is not Phase.FINISHED:
                raise Refused("taken_over")
            now = self.now_ms()
            entry: dict[str, Any] = {"kind": "answer", "at_ms": now, "conn": conn, "seq": seq, "response": response}
            if 1 <= seq < state.seq or (seq == state.seq and state.phase is Phase.FINISHED):
                stored = await self.store.reply(session_id, seq)
                if stored is not None:
                    raise _Early(stored, {**entry, "outcome": "duplicate"})
            sub = battery.subtests[state.subtest] if state.item >= 0 else None
            if sub is not None:
                entry["item_id"] = sub.pool.items[state.item].id
            try:
                new, events = core.answer(battery, state, seq, response, now)
            except TimeUp:
                new, events = core.tick(battery, state, now)
                frame = frames.state_frame(battery, new, now, "", _previous(events))
                assert frame is not None
                entry["outcome"] = "time_up"
                late = frames.error_frame("time_up", self.message("time_up"))
                return _Change(new, events, [late, frame], [entry])
            except CatError as exc:
                raise Refused(exc.code, str(exc)) from exc
            answered = next(e for e in events if isinstance(e, Answered))
            entry["response_ms"] = answered.response_ms
            frame = frames.state_frame(battery, new, now, "", _previous(events))
            assert frame is not None
            return _Change(new, events, [frame], [entry], reply_seq=seq)

        started = time.perf_counter()
        try:
            change, battery, state = await self._apply(session_id, step)
        except _Early as early:
            await self.store.append_audit(session_id, orjson.dumps(early.audit))
            return Outcome([early.frame])
        assert change is not None
        if change.reply_seq is not None:
            self.metrics.observe_answer(time.perf_counter() - started)
        else:
            self.metrics.error("time_up")  # counted once the commit that carries it is in
        return self._outcome(battery, state, change.frames)

    async def candidate_tick(self, session_id: str, conn: str) -> Outcome:
        """End the subtest if its time ran out (the connection's timer fired)."""

        async def step(
            rec: SessionRecord, battery: Battery, state: SessionState, before: Mapping[str, Any]
        ) -> _Change | None:
            if rec.owner != conn:
                return None
            now = self.now_ms()
            new, events = core.tick(battery, state, now)
            if not events:
                return None
            frame = frames.state_frame(battery, new, now, "", _previous(events))
            assert frame is not None
            return _Change(new, events, [frame])

        change, battery, state = await self._apply(session_id, step)
        return self._outcome(battery, state, [] if change is None else change.frames)

    async def candidate_refresh(self, session_id: str, conn: str, kind: str) -> Outcome:
        """What to push after a notification about this session (a proctor command or a takeover)."""
        rec = await self.store.load(session_id)
        if rec is None:
            raise Refused("bad_token", "the session does not exist or has expired")
        if rec.owner != conn:
            raise Refused("taken_over")
        battery = await self.battery_of(room_of(session_id))
        state = core.decode(battery, rec.state)
        now = self.now_ms()
        if state.phase is Phase.TERMINATED:
            raise Refused("terminated", state.terminated_reason)
        if kind == "time_extended" and state.phase in (Phase.ACTIVE, Phase.PAUSED):
            return self._outcome(battery, state, [frames.time_frame(battery, state, now)])
        if kind not in ("paused", "resumed", "time_extended"):
            return self._outcome(battery, state, [])
        reason = orjson.loads(rec.summary).get("pause_reason", "")
        frame = frames.state_frame(battery, state, now, reason)
        return self._outcome(battery, state, [] if frame is None else [frame])

    async def candidate_goodbye(self, session_id: str, conn: str) -> None:
        """The connection closed: stop the clock, unless a newer connection owns the session."""

        async def step(
            rec: SessionRecord, battery: Battery, state: SessionState, before: Mapping[str, Any]
        ) -> _Change | None:
            if rec.owner != conn or not state.connected:
                return None
            new, events = core.disconnect(battery, state, self.now_ms())
            return _Change(new, events, [], owner="")

        await self._apply(session_id, step)

    # --- proctor -----------------------------------------------------------------------------------------------

    async def proctor_room(self, token: str) -> str:
        room_id = await self.store.room_for_proctor_token(token)
        if room_id is None:
            raise Refused("bad_token")
        return room_id

    async def session_view(self, battery: Battery, rec: SessionRecord, now_ms: int) -> dict[str, Any]:
        """A session summary for proctors and the admin API (docs/protocol.md, snapshot)."""
        state = core.decode(battery, rec.state)
        summary = orjson.loads(rec.summary)
        index = min(state.subtest, len(battery.subtests) - 1)
        sub = battery.subtests[index]
        left = core.time_left_ms(battery, state, now_ms)
        return {
            "session_id": rec.session_id,
            "employee_id": rec.candidate.employee_id,
            "name": rec.candidate.name,
            "phase": state.phase.value,
            "connected": state.connected,
            "subtest_index": state.subtest,
            "subtest": sub.id if state.subtest < len(battery.subtests) else None,
            "answered": _answered_now(state),
            "answered_total": sum(len(d.items) for d in state.done) + _answered_now(state),
            "theta": summary.get("theta"),
            "se": summary.get("se"),
            "se_target": sub.stopping.se_target,
            "time_left_s": None if left is None else round(left / 1000, 1),
            "last_seen_ms": summary.get("last_seen_ms"),
            "pause_reason": summary.get("pause_reason", ""),
            "terminated_reason": state.terminated_reason,
        }

    def room_info(self, room_id: str, name: str, battery: Battery) -> dict[str, Any]:
        return {
            "room_id": room_id,
            "name": name,
            "battery": {"id": battery.id, "version": battery.version, "name": battery.name},
            "subtests": [
                {
                    "id": s.id,
                    "name": s.name,
                    "se_target": s.stopping.se_target,
                    "max_items": s.stopping.max_items,
                    "time_limit_s": s.time_limit_s,
                }
                for s in battery.subtests
            ],
        }

    async def snapshot(self, room_id: str) -> tuple[bytes, str]:
        """The proctor's snapshot frame and its ``last_event_id``; the events after that id follow it."""
        room = await self.store.get_room(room_id)
        if room is None:
            raise Refused("bad_token", "the room no longer exists")
        battery = await self.battery_of(room_id)
        last = await self.store.last_event_id(room_id)
        now = self.now_ms()
        views = [await self.session_view(battery, rec, now) for rec in await self.store.load_room(room_id)]
        info = self.room_info(room_id, room.name, battery)
        return orjson.dumps({"type": "snapshot", "room": info, "sessions": views, "last_event_id": last}), last

    async def proctor_detail(self, room_id: str, request: frames.ProctorDetail) -> bytes:
        """The ``detail`` frame: theta and SE after each answer, per subtest reached (docs/protocol.md)."""
        if room_of(request.session_id) != room_id:
            raise Refused("forbidden", "that session belongs to another room")
        rec = await self.store.load(request.session_id)
        if rec is None:
            raise Refused("not_found", "the session does not exist or has expired")
        battery = await self.battery_of(room_id)
        state = core.decode(battery, rec.state)
        results = core.profile(battery, state).subtests
        subtests = []
        for index, points in enumerate(core.trajectory(battery, state)):
            sub = battery.subtests[index]
            subtests.append(
                {
                    "index": index,
                    "id": sub.id,
                    "name": sub.name,
                    "se_target": sub.stopping.se_target,
                    "status": "done" if index < len(results) else "current",
                    "points": [
                        {"position": k, "theta": round(theta, 4), "se": round(se, 4)}
                        for k, (theta, se) in enumerate(points, 1)
                    ],
                    "result": results[index].to_dict() if index < len(results) else None,
                }
            )
        frame = {"type": "detail", "id": request.request_id, "session_id": request.session_id, "subtests": subtests}
        return orjson.dumps(frame)

    async def proctor_command(self, room_id: str, command: frames.ProctorCommand) -> bytes:
        """Apply a proctor command to one session or the whole room; the acknowledgement frame."""
        if command.session_id is not None:
            if room_of(command.session_id) != room_id:
                raise Refused("forbidden", "that session belongs to another room")
            targets = [command.session_id]
        else:
            targets = [c.session_id for c in await self.store.room_candidates(room_id)]
        results = []
        for sid in targets:
            try:
                await self._command(sid, command)
                results.append({"session_id": sid, "ok": True})
            except Refused as refused:
                if refused.code == "internal":
                    raise
                code = "not_found" if refused.code == "bad_token" else refused.code
                self.metrics.error(code)
                results.append({"session_id": sid, "ok": False, "code": code, "message": self.message(code)})
        return orjson.dumps({"type": "ack", "id": command.request_id, "command": command.command, "results": results})

    async def _command(self, session_id: str, command: frames.ProctorCommand) -> None:
        async def step(rec: SessionRecord, battery: Battery, state: SessionState, before: Mapping[str, Any]) -> _Change:
            now = self.now_ms()
            try:
                if command.command == "pause":
                    new, events = core.pause(battery, state, now, command.reason)
                elif command.command == "resume":
                    new, events = core.resume(battery, state, now)
                elif command.command == "extend":
                    assert command.seconds is not None
                    new, events = core.extend_time(battery, state, command.seconds, now)
                else:
                    new, events = core.terminate(battery, state, command.reason, now)
            except CatError as exc:
                raise Refused(exc.code, str(exc)) from exc
            audit = [{"kind": "proctor", "at_ms": now, "command": command.command, "reason": command.reason}]
            if command.seconds is not None:
                audit[0]["seconds"] = command.seconds
            return _Change(new, events, [], audit, by_candidate=False)

        change, _, _ = await self._apply(session_id, step)
        assert change is not None
        kind = change.events[0].type if change.events else command.command
        await self.store.notify(session_id, orjson.dumps({"kind": kind}))


class _Early(Exception):
    """A step that answers without changing the session (a resend, a finished battery); it leaves an audit entry."""

    def __init__(self, frame: bytes, audit: dict[str, Any]) -> None:
        super().__init__("early reply")
        self.frame = frame
        self.audit = audit
