"""The transaction loop every change to a session goes through: load, pure step, commit, remember.

A use case hands :meth:`Transactions.run` a *step*: an async function of the loaded session (:class:`Loaded`)
that decides, without writing anything, and returns

* a :class:`Change` (a core transition's new state and events, the frames to send, audit entries, a new owner, the
  answer whose reply to keep), which is committed in one atomic write (docs/protocol.md, ARCHITECTURE.md: state,
  audit, room events with the session's view after the change, reply, result), or
* :class:`Unchanged` (frames to send and an audit entry, e.g. the stored reply of a resent answer), or
* None (nothing to do),

or raises :class:`~.wire_errors.Refusal` before anything is written. A commit that loses the race to another
process is retried from the load, so two processes can never apply the same answer twice.

Invariants
----------
* A session's record as this process last loaded or wrote it is remembered (:class:`_Known`) to save the next
  load. It is only a first guess: a change decided on it commits only if the stored version is still the same,
  and any other decision (a refusal, :class:`Unchanged`, None) is taken again on the stored record.
* Room events of a change are its core events in order; the last one carries the session's summary after the
  change, computed at that event's time, so a proctor console shows what the server computed.
* Noise (:class:`~.store.NoiseBudget`): a change whose events are only connections and disconnections advances
  nothing, so its audit entries and room events are committed as noise; so is the audit entry of
  :class:`Unchanged`. The state itself is always committed.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from .. import codec
from ..battery import Battery
from ..events import Connected, Disconnected, Event
from ..session import Phase, SessionState
from ..view import session_view
from . import audit, frames
from .auth import is_room_id, is_session_id
from .metrics import Metrics
from .results import result_record
from .store import Commit, SessionRecord, Store, committed, room_of
from .wire_errors import Refusal

__all__ = ["Change", "Done", "Loaded", "Step", "Transactions", "Unchanged"]

_MAX_ATTEMPTS = 10
_KNOWN_MAX = 20_000  # sessions whose last record this process remembers (about 2 KB each)
_OVER = (Phase.FINISHED, Phase.TERMINATED)


@dataclass(frozen=True)
class Loaded:
    """A session as a step sees it: the stored record, its room's battery, and the decoded state."""

    record: SessionRecord
    battery: Battery
    state: SessionState


@dataclass(frozen=True)
class Change:
    """A step's decision to change the session (see the module docstring)."""

    state: SessionState
    events: list[Event]
    frames: list[bytes]
    audit: list[bytes] = field(default_factory=list)
    owner: str | None = None  # None keeps the owner
    reply_seq: int | None = None  # the answer this change applies: the last frame is kept as its reply


@dataclass(frozen=True)
class Unchanged:
    """A step's decision to answer without changing the session: frames to send, an audit entry, and whether the
    connection ends after the frames."""

    frames: list[bytes]
    audit: bytes | None = None
    end: bool = False


Decision = Change | Unchanged | None
Step = Callable[[Loaded], Awaitable[Decision]]


@dataclass(frozen=True)
class Done:
    """What :meth:`Transactions.run` did: the decision, the record it was taken on, and the session now."""

    decision: Decision
    before: Loaded
    state: SessionState

    @property
    def frames(self) -> list[bytes]:
        return [] if self.decision is None else self.decision.frames


@dataclass(frozen=True)
class _Known:
    loaded: Loaded
    fresh: bool  # loaded from the store for this call (a failed commit then is a real conflict)


class Transactions:
    """The loop over a :class:`~.store.Store` and the loaded batteries, with the process's clock."""

    def __init__(
        self,
        store: Store,
        batteries: Mapping[str, Battery],
        metrics: Metrics,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.batteries = batteries
        self.metrics = metrics
        self._clock = clock
        self._room_battery: dict[str, Battery] = {}
        self._known: OrderedDict[str, _Known] = OrderedDict()

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    async def battery_of(self, room_id: str) -> Battery:
        """The battery of a room (``not_found`` when the room is gone or its battery is not loaded here)."""
        if not is_room_id(room_id):  # checked at every entry too: no crafted id names a store key
            raise Refusal("not_found", f"no room {room_id[:40]!a}")
        battery = self._room_battery.get(room_id)
        if battery is None:
            room = await self.store.get_room(room_id)
            if room is None or room.battery_id not in self.batteries:
                raise Refusal("not_found", f"room {room_id} or its battery is not available")
            battery = self._room_battery[room_id] = self.batteries[room.battery_id]
        return battery

    async def load(self, session_id: str) -> Loaded:
        """The stored session (``bad_token`` when it does not exist or expired, ``not_found`` for a malformed id)."""
        if not is_session_id(session_id):
            raise Refusal("not_found", f"no session {session_id[:40]!a}")
        battery = await self.battery_of(room_of(session_id))
        record = await self.store.load(session_id)
        if record is None:
            raise Refusal("bad_token", "the session does not exist or has expired")
        return Loaded(record, battery, codec.decode(battery, record.state))

    async def run(self, session_id: str, step: Step) -> Done:
        """Run ``step`` on the session and commit its change; retried when another commit came first."""
        known = self._known.pop(session_id, None)
        for _ in range(_MAX_ATTEMPTS):
            if known is None:
                known = _Known(await self.load(session_id), fresh=True)
            loaded = known.loaded
            try:
                decision = await step(loaded)
            except Refusal:
                if known.fresh:
                    raise
                known = None  # decided on a remembered record: decide again on the stored one
                continue
            if not isinstance(decision, Change):
                if not known.fresh:
                    known = None
                    continue
                self._remember(session_id, known)
                if decision is not None and decision.audit is not None:
                    await self.store.append_audit(session_id, decision.audit)
                return Done(decision, loaded, loaded.state)
            commit = self._commit_of(loaded, decision)
            started = time.perf_counter()
            landed, _ = await self.store.commit(session_id, loaded.record.version, commit)
            self.metrics.observe_commit(time.perf_counter() - started)
            if landed:
                after = Loaded(committed(loaded.record, commit), loaded.battery, decision.state)
                self._remember(session_id, _Known(after, fresh=False))
                return Done(decision, loaded, decision.state)
            if known.fresh:  # a remembered record that went stale is no conflict: another process moved on
                self.metrics.conflict()
            known = None
        raise Refusal("internal", "the session kept changing under us")

    def forget(self, session_id: str) -> None:
        """Drop what this process remembers of a session (changed outside the loop: the next move loads it)."""
        self._known.pop(session_id, None)

    def _remember(self, session_id: str, known: _Known) -> None:
        self._known[session_id] = known
        if len(self._known) > _KNOWN_MAX:
            self._known.popitem(last=False)

    @staticmethod
    def _commit_of(loaded: Loaded, change: Change) -> Commit:
        battery, candidate, state = loaded.battery, loaded.record.candidate, change.state
        ended = state.phase in _OVER and loaded.state.phase not in _OVER
        # a note written after the end goes into the kept result too
        over = ended or (state.phase in _OVER and state.notes != loaded.state.notes)
        room_events: list[bytes] = []
        if change.events:
            view = session_view(battery, state, change.events[-1].at_ms)
            summary = frames.session_summary(candidate, view)
            room_events = frames.room_events(candidate.session_id, change.events, summary)
        return Commit(
            state=codec.encode(state),
            owner=change.owner,
            reply=None if change.reply_seq is None else (change.reply_seq, change.frames[-1]),
            audit=[*change.audit, *audit.derived(battery, state, change.events)],
            events=room_events,
            result=result_record(candidate, battery, state) if over else None,
            persist=over,
            noise=bool(change.events) and all(isinstance(e, Connected | Disconnected) for e in change.events),
        )
