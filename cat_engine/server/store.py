"""The session store: everything the server keeps, behind one small async interface.

Two twins implement it and pass the same test suite (``tests/test_server_store.py``):
:class:`~.memory_store.MemoryStore` (the embedded default, one process) and :class:`~.redis_store.RedisStore`
(any number of processes and hosts). Values are opaque bytes to the store; the session layer owns their meaning.

What is kept
------------
* **Rooms**: id, name, battery id, creation time; a proctor token per room.
* **Sessions** (one per registered candidate): the encoded core state with a **version** that every commit bumps,
  the id of the connection that owns the session, the candidate's identity.
* **Reply**: the reply frame sent for the last applied answer, with its seq (exactly-once resends: a client only
  ever resends its last answer).
* **Audit**: one append-only log per session of every frame received and item presented, with server time; a hash
  chain (:mod:`cat_engine.signing`): each entry is stored with ``prev``, the hash of the one before (the session's
  chain start for the first), and the session keeps its chain's head, the hash after its last entry.
* **Tokens** only as digests (:func:`token_digest`): the registration's reply is the only place a token is shown.
* **Room events**: one append-only stream per room; ids ``"<ms>-<n>"`` increase, so a reader resumes after the
  last id it saw.
* **Results**: the final profile of a finished or terminated session, kept until the HR system acknowledges it.
* **Raised room flags**: per room, the keys of the room-level integrity flags already pushed and of the periods
  already evaluated (:meth:`Store.mark_raised`), so that each flag is pushed once whichever process finds it and
  each period is evaluated by one process.

Invariants
----------
* :meth:`Store.commit` is atomic: state, owner, reply, audit entries, room events and result are written together,
  and only if the stored version still equals the expected one. Otherwise nothing is written. What a session
  record is after a commit is :func:`committed` (the version and owner rules, in this module only).
* The audit chain is never broken: an entry's ``prev`` is the head stored with the session at the moment it is
  appended, and the new head is written in the same atomic step (:meth:`Store.commit`, :meth:`Store.append_audit`).
  The Redis store computes the hashes in Python from the head it last saw and its scripts write only if the stored
  head is still that one (else it computes them again on the head the script returns).
* A session id is ``"<room_id>-<n>"``; room ids never contain ``-``, so :func:`room_of` recovers the room.
* Registration is all or none: a roster naming an employee id the room already has (or naming one twice) raises
  :class:`~.wire_errors.Refusal` ``duplicate_employee`` with that id, and nothing of it is stored. A registration
  with an idempotency key is stored at most once: repeated, it stores nothing and returns the reply of the first.
* A token lookup is only an index: the session record's own token digest is the truth (a lookup left behind by
  a registration that failed half way, or by a token replaced since, leads to no session).
* Noise is bounded (:class:`NoiseBudget`): the audit entries and room events of a commit marked ``noise`` (a
  reconnect) and the entries of :meth:`Store.append_audit` (a repeat) count against the session's budget; beyond it
  they are counted, not stored. Everything that advances the test is never noise. An audit stream holds at most
  :data:`AUDIT_MAXLEN` entries, far above what a session can write (answers and presentations are bounded by the
  battery, noise by its lifetime cap): beyond it an entry is counted as held back, not stored. Nothing is ever
  trimmed from the front, so a stored audit is always the whole chain from the session's first entry.
"""

from __future__ import annotations

import abc
import hashlib
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from .wire_errors import Refusal

__all__ = [
    "AUDIT_MAXLEN",
    "BEAT_INTERVAL_S",
    "DEAD_AFTER_MS",
    "EVENTS_PER_READ",
    "NOISE_LIFETIME_MINUTES",
    "NOISE_SUMMARIES",
    "AuditChain",
    "AuditRow",
    "CandidateRecord",
    "Commit",
    "NoiseBudget",
    "Notification",
    "RoomRecord",
    "SessionRecord",
    "Store",
    "StoreUnavailable",
    "committed",
    "duplicate_employee",
    "room_of",
    "suppressed_entry",
    "token_digest",
]

Notification = Callable[[str, bytes], Awaitable[None]]
"""Callback of :meth:`Store.listen`: ``(session_id, message)``."""


EVENTS_PER_READ = 1000  # the most room events one waiting read returns (one proctor frame in batch mode)
BEAT_INTERVAL_S = 2.0  # how often a server process records that it is alive (:meth:`Store.beat`)
DEAD_AFTER_MS = 3 * int(BEAT_INTERVAL_S * 1000)  # a process silent this long is taken for dead
# Noise a session may store in all: this many minutes' worth of its per-minute budget, plus at most this many
# "suppressed" summary entries (one per minute in which something was held back)
NOISE_LIFETIME_MINUTES = 20
NOISE_SUMMARIES = 100
# Most entries an audit stream holds; the entries beyond are held back (counted), never the oldest trimmed, so the
# chain stays whole. A session writes at most 2 entries per item (answer, presented) plus proctor commands and
# connection losses, plus noise_per_minute x (NOISE_LIFETIME_MINUTES + 1) + NOISE_SUMMARIES: far below this, so the
# cap never holds back an applied answer; it only bounds what no client can make the server write.
AUDIT_MAXLEN = 50_000


def token_digest(token: str) -> str:
    """What is kept of a token (candidate or proctor): its SHA-256, hex. Tokens are random (59 bits and more), so a
    digest without salt cannot be reversed by trying likely values."""
    return hashlib.sha256(token.encode()).hexdigest()


def duplicate_employee(employee_id: str) -> Refusal:
    """The refusal of a roster that names ``employee_id`` twice, or one already registered in the room."""
    return Refusal("duplicate_employee", f"employee id {employee_id!r}", employee_id=employee_id)


class StoreUnavailable(Exception):
    """The store cannot be reached (Redis down); nothing was written."""


def room_of(session_id: str) -> str:
    """The room id a session id belongs to."""
    return session_id.rsplit("-", 1)[0]


@dataclass(frozen=True)
class RoomRecord:
    room_id: str
    name: str
    battery_id: str
    created_ms: int
    # whether candidates may begin (the proctor's open_room); the API creates rooms closed unless asked, and a room
    # stored before the gate existed is open, as it was
    open: bool = True
    archived: bool = False  # done with: closed for good, its roster frozen, hidden from the admin page's list


@dataclass(frozen=True)
class CandidateRecord:
    session_id: str
    employee_id: str
    name: str
    token_digest: str  # token_digest() of the candidate's token; the token itself is never stored


@dataclass(frozen=True)
class SessionRecord:
    """One session as loaded: identity, state bytes and their version, owner."""

    candidate: CandidateRecord
    state: bytes
    version: int
    owner: str  # connection id owning the session ("" when none)
    suppressed: tuple[int, int] = (0, 0)  # noise held back so far (audit entries, room events): NoiseBudget

    @property
    def session_id(self) -> str:
        return self.candidate.session_id


@dataclass(frozen=True)
class AuditRow:
    """One stored audit entry with its stream id and ``prev`` (None: written before the audit was chained)."""

    id: str
    entry: bytes
    prev: str | None


@dataclass(frozen=True)
class AuditChain:
    """A session's audit as stored, with the chain's head the store keeps beside it ("" when it keeps none: no
    entry yet, or only entries written before the audit was chained)."""

    rows: tuple[AuditRow, ...]
    head: str


@dataclass(frozen=True)
class Commit:
    """What one atomic commit writes (see :meth:`Store.commit`)."""

    state: bytes
    owner: str | None = None  # None keeps the owner
    reply: tuple[int, bytes] | None = None  # (seq, reply frame) of an applied answer
    audit: Sequence[bytes] = ()
    events: Sequence[bytes] = ()
    result: bytes | None = None  # final profile, once the session is over
    persist: bool = False  # the session is over: keep it and its audit until results are acknowledged
    noise: bool = False  # a reconnect that advances nothing: its audit and events count against the budget


@dataclass
class NoiseBudget:
    """What one session has stored of noise: the rule both stores apply (the Redis store in Lua, the same steps).

    In each minute (of the store's clock) a session may store ``per_minute`` noise audit entries and as many room
    events, and :data:`NOISE_LIFETIME_MINUTES` times that in all; a write that would go over is held back whole and
    only counted (``dropped_*``). The first write held back in a minute leaves one summary audit entry instead
    (:data:`NOISE_SUMMARIES` at most in all).
    """

    minute: int = -1
    audit: int = 0  # stored in this minute
    events: int = 0
    total_audit: int = 0  # stored in all
    total_events: int = 0
    dropped_audit: int = 0  # held back in all
    dropped_events: int = 0
    told_minute: int = -1  # the minute of the last summary entry
    summaries: int = 0

    def admit(self, now_ms: int, per_minute: int, n_audit: int, n_events: int) -> tuple[bool, bool, bool]:
        """Count a noisy write of ``n_audit`` entries and ``n_events`` events at ``now_ms``; returns (store its
        audit, store its events, write a summary entry)."""
        minute = now_ms // 60_000
        if minute != self.minute:
            self.minute, self.audit, self.events = minute, 0, 0
        lifetime = per_minute * NOISE_LIFETIME_MINUTES
        keep_audit = self.audit + n_audit <= per_minute and self.total_audit + n_audit <= lifetime
        keep_events = self.events + n_events <= per_minute and self.total_events + n_events <= lifetime
        if keep_audit:
            self.audit += n_audit
            self.total_audit += n_audit
        else:
            self.dropped_audit += n_audit
        if keep_events:
            self.events += n_events
            self.total_events += n_events
        else:
            self.dropped_events += n_events
        held = (n_audit > 0 and not keep_audit) or (n_events > 0 and not keep_events)
        tell = held and self.told_minute != minute and self.summaries < NOISE_SUMMARIES
        if tell:
            self.told_minute = minute
            self.summaries += 1
        return keep_audit, keep_events, tell


def suppressed_entry(at_ms: int, per_minute: int) -> bytes:
    """The summary audit entry left by the first noisy write held back in a minute (the Lua scripts write the same
    JSON)."""
    return b'{"kind":"suppressed","at_ms":%d,"per_minute":%d,"lifetime_minutes":%d}' % (
        at_ms,
        per_minute,
        NOISE_LIFETIME_MINUTES,
    )


def committed(record: SessionRecord, commit: Commit) -> SessionRecord:
    """The session record a store holds once ``commit`` landed on ``record``: the new state, the next version, and
    the commit's owner (the record's when the commit names none)."""
    owner = record.owner if commit.owner is None else commit.owner
    return replace(record, state=commit.state, version=record.version + 1, owner=owner)


class Store(abc.ABC):
    """The async interface both twins implement."""

    kind: str = "abstract"
    suppressed: Counter[str]  # noise held back by this process's writes, by kind ("audit", "events")
    on_suppressed: Callable[[str, int], None] | None = None  # told of each hold (the process's metrics)

    def _held_back(self, kind: str, count: int) -> None:
        """Count ``count`` noise entries of ``kind`` held back, and tell :attr:`on_suppressed`."""
        if count:
            self.suppressed[kind] += count
            if self.on_suppressed is not None:
                self.on_suppressed(kind, count)

    # --- lifecycle ---------------------------------------------------------------------------------------------

    async def start(self) -> None:  # noqa: B027 (optional hook)
        """Open connections and background tasks."""

    async def close(self) -> None:  # noqa: B027 (optional hook)
        """Release connections and background tasks."""

    @abc.abstractmethod
    async def ping(self) -> bool:
        """Whether the store can be written now (``/healthz``)."""

    # --- rooms and candidates ----------------------------------------------------------------------------------

    @abc.abstractmethod
    async def create_room(self, room: RoomRecord, proctor_token: str) -> None:
        """Store a new room and its proctor token."""

    @abc.abstractmethod
    async def get_room(self, room_id: str) -> RoomRecord | None: ...

    @abc.abstractmethod
    async def archive_room(self, room_id: str, event: bytes) -> bool:
        """Archive a room: closed and archived for good, with ``event`` appended to its room events, together;
        False when there is no such room (nothing is written)."""

    @abc.abstractmethod
    async def set_room_open(self, room_id: str, is_open: bool, event: bytes) -> bool:
        """Open or close a room and append ``event`` to its room events, together; False when there is no such
        room (nothing is written)."""

    @abc.abstractmethod
    async def list_rooms(self) -> list[RoomRecord]: ...

    @abc.abstractmethod
    async def room_for_proctor_token(self, token: str) -> str | None: ...

    @abc.abstractmethod
    async def add_candidates(
        self,
        room_id: str,
        candidates: Sequence[tuple[CandidateRecord, bytes]],
        idempotency: tuple[str, bytes] | None = None,
    ) -> bytes | None:
        """Register ``(candidate, initial state)`` rows, all or none.

        ``idempotency`` is ``(key, reply)``: the registration's idempotency key and the reply to keep with it. When
        a registration of the room with that key is already stored, nothing is written and its reply is returned;
        otherwise None.

        Raises
        ------
        Refusal
            ``duplicate_employee`` (:func:`duplicate_employee`) when an employee id is already in the room or
            appears twice in ``candidates``.
        """

    @abc.abstractmethod
    async def next_session_numbers(self, room_id: str, count: int) -> range:
        """Reserve ``count`` consecutive session numbers of the room."""

    @abc.abstractmethod
    async def session_for_token(self, token: str) -> str | None:
        """The session a candidate token (as typed, normalised) leads to, by its digest; None when none."""

    @abc.abstractmethod
    async def replace_candidate_token(self, session_id: str, digest: str) -> CandidateRecord | None:
        """Give the session a new token (its ``digest``); the old token leads nowhere from now on. The candidate
        record after the change, None when the session does not exist."""

    @abc.abstractmethod
    async def replace_proctor_token(self, room_id: str, token: str) -> bool:
        """Give the room a new proctor token; the old one leads nowhere from now on. False when no such room."""

    @abc.abstractmethod
    async def room_candidates(self, room_id: str) -> list[CandidateRecord]: ...

    @abc.abstractmethod
    async def edit_candidate(self, session_id: str, expected_version: int, employee_id: str, name: str) -> bool:
        """Change a candidate's employee id and name, only if the session's stored version is still the one
        expected (its state was checked on it); the version is bumped. False when the session is gone or moved on;
        :func:`duplicate_employee` when another session of the room has that employee id (nothing written)."""

    @abc.abstractmethod
    async def remove_candidate(self, session_id: str, expected_version: int) -> bool:
        """Remove a session and all that is kept of it (its token leads nowhere), only if its stored version is
        still the one expected; False when it is gone or moved on (nothing written)."""

    # --- sessions ----------------------------------------------------------------------------------------------

    @abc.abstractmethod
    async def load(self, session_id: str) -> SessionRecord | None:
        """One session (one round trip), or None when it does not exist or expired."""

    @abc.abstractmethod
    async def load_room(self, room_id: str) -> list[SessionRecord]:
        """Every session of a room, in registration order."""

    @abc.abstractmethod
    async def commit(self, session_id: str, expected_version: int, commit: Commit) -> tuple[bool, list[str]]:
        """Write ``commit`` atomically if the stored version is ``expected_version``.

        Returns
        -------
        (committed, event_ids)
            ``committed`` is False, with nothing written, when the version moved on; ``event_ids`` are the room
            stream ids given to ``commit.events``.
        """

    @abc.abstractmethod
    async def reply(self, session_id: str, seq: int) -> bytes | None:
        """The reply frame of the applied answer ``seq`` when it was the last one applied, else None."""

    @abc.abstractmethod
    async def audit(self, session_id: str) -> list[tuple[str, bytes]]: ...

    @abc.abstractmethod
    async def audit_chain(self, session_id: str) -> AuditChain:
        """The session's audit with each entry's ``prev`` and the stored head, read together (one atomic read)."""

    @abc.abstractmethod
    async def append_audit(self, session_id: str, entry: bytes) -> None:
        """Append an audit entry outside a commit (a frame that changed nothing, e.g. a resent answer): noise,
        stored within the session's :class:`NoiseBudget`."""

    # --- room events -------------------------------------------------------------------------------------------

    @abc.abstractmethod
    async def read_events(self, room_id: str, after_id: str, block_ms: int) -> list[tuple[str, bytes]]:
        """Room events with ids after ``after_id``, waiting up to ``block_ms`` for the first (0: no wait, and
        every event after the id); a waiting read returns at most :data:`EVENTS_PER_READ` of them."""

    @abc.abstractmethod
    async def last_event_id(self, room_id: str) -> str:
        """Id of the room's newest event, ``"0-0"`` when there is none."""

    # --- results -----------------------------------------------------------------------------------------------

    @abc.abstractmethod
    async def results(self, room_id: str) -> dict[str, bytes]:
        """Final profiles by session id, of the room's sessions that are over."""

    @abc.abstractmethod
    async def result(self, session_id: str) -> bytes | None:
        """The final profile of one session, None while it is not over."""

    @abc.abstractmethod
    async def ack_results(self, room_id: str, session_ids: Sequence[str]) -> int:
        """Mark results as stored by the HR system: they and their audit may now expire. Returns how many."""

    # --- cross-process notifications ---------------------------------------------------------------------------

    @abc.abstractmethod
    async def notify(self, session_id: str, message: bytes) -> None:
        """Tell every server process that something happened to ``session_id`` (best effort)."""

    @abc.abstractmethod
    def listen(self, callback: Notification) -> None:
        """Call ``callback(session_id, message)`` for every notification of a followed room (this process's and
        others')."""

    def follow(self, room_id: str) -> None:  # noqa: B027 (optional hook)
        """Start hearing the notifications of ``room_id`` (counted: each call wants one :meth:`unfollow`)."""

    def unfollow(self, room_id: str) -> None:  # noqa: B027 (optional hook)
        """One :meth:`follow` of ``room_id`` is over; the last one stops its notifications."""

    # --- room-level integrity flags ----------------------------------------------------------------------------

    @abc.abstractmethod
    async def mark_raised(self, room_id: str, key: str) -> bool:
        """Record the mark ``key`` of ``room_id`` (a room-level flag raised: its kind and its sessions; or a period
        evaluated, ``look:<period>``: :mod:`.room_watch`); True only for the first mark of that key, in any process
        (atomic: of several processes marking one key at once, exactly one gets True). Kept as long as the room's
        live keys."""

    # --- process liveness --------------------------------------------------------------------------------------

    @abc.abstractmethod
    async def beat(self, process_id: str, now_ms: int) -> None:
        """Record that ``process_id`` is alive at ``now_ms``."""

    @abc.abstractmethod
    async def last_beat(self, process_id: str) -> int | None:
        """When ``process_id`` last recorded itself alive (None: never, or long ago)."""
