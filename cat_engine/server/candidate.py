"""The candidate's use cases: say hello, start, answer, let the clock run out, hear of a proctor's command, leave.

Each is a step of the transaction loop (:mod:`.transaction`) around a core transition, and returns an
:class:`Outcome`: the frames to send and when the current subtest's time runs out.

Connection ownership: a session is owned by the connection that last said ``hello`` (``owner`` =
``"<process id>/<connection id>"``). A newer connection takes over; the older one is told ``taken_over`` through
a store notification and closed. The clock of a connection left behind by a dead process is stopped at that
process's last heartbeat, so a server crash does not eat a candidate's time.

Before the battery starts a candidate sees ``waiting`` (the room is closed) or ``welcome``; before each subtest its
``subtest_intro``, which ends with the candidate's ``start`` or by itself after ``intro_limit_ms``
(docs/protocol.md, "Flow"). A ``start`` that does not match where the session is changes nothing.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

import orjson

from .. import session as core
from ..battery import Battery
from ..errors import CatError, TimeUp, WrongSequence
from ..events import Answered, Event
from ..session import Phase
from ..session_pretest import presented_item_id
from . import audit, frames
from .store import DEAD_AFTER_MS, room_of, token_digest
from .transaction import Change, Done, Loaded, Transactions, Unchanged
from .wire_errors import Refusal

__all__ = ["CandidateCases", "Outcome"]

# the notifications (kinds of a proctor's change) after which the candidate's screen is sent again
_REFRESHED_BY = ("paused", "resumed", "time_extended")
_NOT_STARTED = (Phase.READY, Phase.INTRO)


@dataclass
class Outcome:
    """Frames to send, in order; when the current subtest's clock runs out (epoch ms; None: not running); whether
    an answer was applied (for the answer-latency metric); and whether the connection ends after these frames (the
    battery is over: a finished session answers any frame with its final state, then closes with 1000)."""

    frames: list[bytes] = field(default_factory=list)
    deadline_ms: int | None = None
    applied: bool = False
    end: bool = False
    pending: bool = False  # the hello waits for a proctor to approve a move to this device: nothing is owned yet


class CandidateCases:
    """The candidate's moves over the transaction loop; ``process_id`` names this server process."""

    def __init__(self, tx: Transactions, process_id: str, lang: str = "id", intro_limit_ms: int = 300_000) -> None:
        self.tx = tx
        self.process_id = process_id
        self.lang = lang
        self.intro_limit_ms = intro_limit_ms

    def _outcome(
        self, loaded: Loaded, state: core.SessionState, out: list[bytes], applied: bool = False, end: bool = False
    ) -> Outcome:
        """The outcome, with the moment the connection's timer must act: the subtest's time running out, or its
        intro ending by itself."""
        deadline = core.intro_ends_ms(state, self.intro_limit_ms)
        if state.running_since_ms is not None:
            now = self.tx.now_ms()
            left = core.time_left_ms(loaded.battery, state, now)
            deadline = None if left is None else now + left
        return Outcome(out, deadline, applied, end)

    def _frame(self, battery: Battery, state: core.SessionState, now: int, events: list[Event] | None = None) -> bytes:
        return frames.state_frame(battery, state, now, self.intro_limit_ms, events or ())

    async def _room_open(self, loaded: Loaded) -> bool:
        """Whether the session's room is open (candidates may begin)."""
        room = await self.tx.store.get_room(room_of(loaded.record.session_id))
        if room is None:
            raise Refusal("bad_token", "the room no longer exists")
        return room.open

    async def _ready_frame(self, loaded: Loaded) -> bytes:
        """What a session whose battery has not started shows: ``welcome``, or ``waiting`` while the room is closed."""
        if not await self._room_open(loaded):
            return frames.waiting_frame("room_closed")
        return frames.welcome_frame(loaded.battery, loaded.record.candidate)

    async def hello(self, token: str, conn: str, device: str | None = None) -> tuple[str, Outcome]:
        """Authenticate a candidate connection, take the session over and say where it is."""
        session_id = await self.tx.store.session_for_token(token)
        if session_id is None:
            raise Refusal("bad_token")

        async def step(loaded: Loaded) -> Change | Unchanged:
            rec, battery, state = loaded.record, loaded.battery, loaded.state
            # the token's index only points here: the session's own digest decides (a stale index leads nowhere)
            if not hmac.compare_digest(rec.candidate.token_digest.encode(), token_digest(token).encode()):
                raise Refusal("bad_token")
            now = self.tx.now_ms()
            if state.phase is Phase.FINISHED:
                entry = audit.hello(now, conn, device, outcome="finished")
                return Unchanged([frames.finished_frame(battery, state)], entry, end=True)
            if state.phase is Phase.TERMINATED:
                raise Refusal("terminated", state.terminated_reason)
            if core.needs_approval(state, device):  # another computer: the proctor decides (docs/protocol.md, Seats)
                waiting = [frames.waiting_frame("approval")]
                entry = audit.hello(now, conn, device, outcome="approval")
                if state.seat_request == ("" if device is None else device):
                    return Unchanged(waiting, entry)  # asked already: the request stands
                asked, request = core.request_seat(state, device, now)
                return Change(asked, request, waiting, [entry])
            state = core.seat(state, device)
            events: list[Event] = []
            if rec.owner and rec.owner != conn and state.connected:
                stopped = await self._stop_time(rec.owner, now, state.last_seen_ms)
                state, evs = core.disconnect(battery, state, stopped)
                events += evs
            state, evs = core.connect(battery, state, now)
            events += evs
            entries = [audit.hello(now, conn, device)]
            if state.phase is Phase.READY:
                frame = await self._ready_frame(loaded)
            else:
                in_intro = state.subtest_index if state.phase is Phase.INTRO else None
                state, evs = core.tick(battery, state, now, self.intro_limit_ms)
                if in_intro is not None and evs:  # the intro ran out while away: the subtest began by itself
                    entries.append(audit.intro_ended(now, in_intro))
                events += evs
                frame = self._frame(battery, state, now, events)
            return Change(state, events, [frame], entries, owner=conn)

        done = await self.tx.run(session_id, step)
        if core.needs_approval(done.state, device):  # nothing taken over: the proctor decides first
            return session_id, Outcome(done.frames, pending=True)
        old = done.before.record.owner
        if isinstance(done.decision, Change) and old and old != conn:
            await self.tx.store.notify(session_id, orjson.dumps({"kind": "takeover", "owner": conn, "old": old}))
        return session_id, self._outcome(done.before, done.state, done.frames, end=_ends(done))

    async def _stop_time(self, owner: str, now_ms: int, last_seen_ms: int | None) -> int:
        """When the clock of a connection owned by ``owner`` really stopped.

        Now, when its process is alive (the connection is being taken over); the dead process's last heartbeat
        otherwise, or, when no heartbeat is on record, when the candidate was last seen.
        """
        process = owner.split("/", 1)[0]
        if process == self.process_id:
            return now_ms
        beat = await self.tx.store.last_beat(process)
        if beat is not None and now_ms - beat <= DEAD_AFTER_MS:
            return now_ms
        known = beat if beat is not None else last_seen_ms
        return now_ms if known is None else min(now_ms, known)

    async def start(self, session_id: str, conn: str, subtest: int | None) -> Outcome:
        """Begin the battery after the welcome, or the subtest of the intro shown; any other ``start`` changes
        nothing and gets the frame of where the session is (docs/protocol.md: a start is harmless to repeat)."""

        async def step(loaded: Loaded) -> Change | Unchanged:
            rec, battery, state = loaded.record, loaded.battery, loaded.state
            if state.phase is Phase.TERMINATED:
                raise Refusal("terminated", state.terminated_reason)
            now = self.tx.now_ms()
            if state.phase is Phase.FINISHED:
                entry = audit.start(now, conn, subtest, outcome="finished")
                return Unchanged([frames.finished_frame(battery, state)], entry, end=True)
            if rec.owner != conn:
                raise Refusal("taken_over")
            if state.phase is Phase.READY and subtest is None:
                if not await self._room_open(loaded):  # a closed room: no new starts
                    waiting = frames.waiting_frame("room_closed")
                    return Unchanged([waiting], audit.start(now, conn, subtest, outcome="room_closed"))
            elif not (state.phase is Phase.INTRO and subtest in (None, state.subtest_index)):
                ready = state.phase is Phase.READY
                here = await self._ready_frame(loaded) if ready else self._frame(battery, state, now)
                return Unchanged([here], audit.start(now, conn, subtest, outcome="ignored"))
            new, events = core.start(battery, state, now)
            begun = None if state.phase is Phase.READY else state.subtest_index
            return Change(new, events, [self._frame(battery, new, now, events)], [audit.start(now, conn, begun)])

        done = await self.tx.run(session_id, step)
        return self._outcome(done.before, done.state, done.frames, end=_ends(done))

    async def answer(self, session_id: str, conn: str, seq: int, response: int) -> Outcome:
        """Apply an answer exactly once and return the reply (or the stored reply of a resend)."""

        async def step(loaded: Loaded) -> Change | Unchanged:
            rec, battery, state = loaded.record, loaded.battery, loaded.state
            if state.phase is Phase.TERMINATED:
                raise Refusal("terminated", state.terminated_reason)
            now = self.tx.now_ms()
            if state.phase is Phase.FINISHED:
                # no owner to check: whatever is sent, the final state and the end of the connection are all it
                # gives (never an item frame stored earlier)
                stored = await self.tx.store.reply(session_id, seq) if seq == state.seq else None
                entry = audit.answer(now, conn, seq, response, outcome="finished" if stored is None else "duplicate")
                return Unchanged([stored or frames.finished_frame(battery, state)], entry, end=True)
            if rec.owner != conn:
                raise Refusal("taken_over")
            if 1 <= seq < state.seq or (state.phase is Phase.INTRO and seq == state.seq):
                # (an intro follows the last answer of a subtest: that answer's seq is still the session's)
                # only the last applied answer's reply is kept (a client resends nothing older): any other seq is
                # refused below as wrong_seq, with the seq of the item shown now
                stored = await self.tx.store.reply(session_id, seq)
                if stored is not None:
                    return Unchanged([stored], audit.answer(now, conn, seq, response, outcome="duplicate"))
            item_id = presented_item_id(battery, state)  # a pretest item's id when one is presented
            try:
                new, events = core.answer(battery, state, seq, response, now)
            except TimeUp:
                new, events = core.tick(battery, state, now)
                late = frames.error_frame(Refusal("time_up"), self.lang)
                entry = audit.answer(now, conn, seq, response, item_id=item_id, outcome="time_up")
                return Change(new, events, [late, self._frame(battery, new, now, events)], [entry])
            except WrongSequence as exc:
                raise Refusal("wrong_seq", str(exc), current_seq=state.seq) from exc
            except CatError as exc:
                raise Refusal.of(exc) from exc
            applied = next(e for e in events if isinstance(e, Answered))
            entry = audit.answer(
                now, conn, seq, response, item_id=item_id, response_ms=applied.response_ms, option=applied.response
            )
            return Change(new, events, [self._frame(battery, new, now, events)], [entry], reply_seq=seq)

        done = await self.tx.run(session_id, step)
        applied = isinstance(done.decision, Change) and done.decision.reply_seq is not None
        if isinstance(done.decision, Change) and not applied:
            self.tx.metrics.error("time_up")  # counted once the commit that carries it is in
        return self._outcome(done.before, done.state, done.frames, applied, _ends(done))

    async def tick(self, session_id: str, conn: str) -> Outcome:
        """End the subtest if its time ran out, or start it if its intro has been shown long enough (the
        connection's timer fired)."""

        async def step(loaded: Loaded) -> Change | None:
            if loaded.record.owner != conn:
                return None
            now, state = self.tx.now_ms(), loaded.state
            new, events = core.tick(loaded.battery, state, now, self.intro_limit_ms)
            if not events:
                return None
            entries = [audit.intro_ended(now, state.subtest_index)] if state.phase is Phase.INTRO else []
            return Change(new, events, [self._frame(loaded.battery, new, now, events)], entries)

        done = await self.tx.run(session_id, step)
        return self._outcome(done.before, done.state, done.frames)

    async def refresh(self, session_id: str, conn: str, kind: str, extra_ms: int = 0) -> Outcome:
        """What to push after a notification about this session (a proctor command or a takeover; ``extra_ms``:
        the time a proctor's extension added)."""
        loaded = await self.tx.load(session_id)
        if loaded.record.owner != conn:
            raise Refusal("taken_over")
        battery, state, now = loaded.battery, loaded.state, self.tx.now_ms()
        if state.phase is Phase.TERMINATED:
            raise Refusal("terminated", state.terminated_reason)
        if kind == "room_opened" and state.phase is Phase.READY:  # a candidate waiting for the room
            return self._outcome(loaded, state, [await self._ready_frame(loaded)])
        if kind not in _REFRESHED_BY or state.phase in _NOT_STARTED:
            return self._outcome(loaded, state, [])
        if kind == "time_extended" and state.phase in (Phase.ACTIVE, Phase.PAUSED):
            return self._outcome(loaded, state, [frames.time_frame(battery, state, now, extra_ms)])
        return self._outcome(loaded, state, [self._frame(battery, state, now)])

    async def goodbye(self, session_id: str, conn: str) -> None:
        """The connection closed: stop the clock, unless a newer connection owns the session."""

        async def step(loaded: Loaded) -> Change | None:
            if loaded.record.owner != conn or not loaded.state.connected:
                return None
            new, events = core.disconnect(loaded.battery, loaded.state, self.tx.now_ms())
            return Change(new, events, [], owner="")

        await self.tx.run(session_id, step)


def _ends(done: Done) -> bool:
    """Whether the connection ends after this move's frames (see :class:`Outcome`)."""
    return isinstance(done.decision, Unchanged) and done.decision.end
