"""The in-memory twin of the Redis store: the embedded default for one process.

Everything lives in dicts of this process and is lost when it exits; there is no expiry, but room events are kept
``events_keep_s`` only, as in the Redis store, and noise and audit streams are bounded as there
(:class:`~.store.NoiseBudget`, :data:`~.store.AUDIT_MAXLEN`). Commits are atomic
because they run without an ``await`` between the version check and the last write (one event loop); the record a
commit leaves is :func:`~.store.committed` of the one before. The audit chain's head lives beside each session's
entries and moves with every entry appended, in the same step.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ..signing import chain_next, chain_start
from .store import (
    AUDIT_MAXLEN,
    EVENTS_PER_READ,
    AuditChain,
    AuditRow,
    CandidateRecord,
    Commit,
    NoiseBudget,
    Notification,
    RoomRecord,
    SessionRecord,
    Store,
    committed,
    duplicate_employee,
    room_of,
    suppressed_entry,
    token_digest,
)

__all__ = ["MemoryStore"]


@dataclass
class _Session:
    record: SessionRecord
    last_reply: tuple[int, bytes] | None = None  # (seq, reply) of the last applied answer
    audit: list[AuditRow] = field(default_factory=list)
    noise: NoiseBudget = field(default_factory=NoiseBudget)
    head: str = ""  # the audit chain's head: the hash after the last entry ("" before the first)


@dataclass
class _Room:
    record: RoomRecord
    sessions: list[str] = field(default_factory=list)
    employees: dict[str, str] = field(default_factory=dict)
    next_number: int = 1
    events: list[tuple[str, bytes]] = field(default_factory=list)
    results: dict[str, bytes] = field(default_factory=dict)
    registrations: dict[str, bytes] = field(default_factory=dict)  # idempotency key -> reply
    proctor_digest: str = ""
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class _Ids:
    """Stream ids ``"<ms>-<n>"`` that increase, as Redis gives them."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._ms = 0
        self._n = 0

    def next(self) -> str:
        ms = int(self._clock() * 1000)
        if ms <= self._ms:
            self._n += 1
        else:
            self._ms, self._n = ms, 0
        return f"{self._ms}-{self._n}"


def _id_key(stream_id: str) -> tuple[int, int]:
    ms, _, n = stream_id.partition("-")
    return int(ms), int(n or 0)


class MemoryStore(Store):
    """All state in this process's memory."""

    kind = "memory"

    def __init__(
        self, events_keep_s: int = 300, noise_per_minute: int = 100, clock: Callable[[], float] = time.time
    ) -> None:
        self._events_keep_ms = events_keep_s * 1000
        self._noise_per_minute = noise_per_minute
        self._audit_maxlen = AUDIT_MAXLEN
        self._clock = clock
        self._rooms: dict[str, _Room] = {}
        self._sessions: dict[str, _Session] = {}
        self._tokens: dict[str, str] = {}  # token digest -> session id
        self._proctor_tokens: dict[str, str] = {}  # token digest -> room id
        self._listeners: list[Notification] = []
        self._beats: dict[str, int] = {}
        self._raised: dict[str, set[str]] = {}  # room id -> keys of the room-level flags raised
        self._ids = _Ids(clock)
        self.suppressed: Counter[str] = Counter()

    async def ping(self) -> bool:
        return True

    async def create_room(self, room: RoomRecord, proctor_token: str) -> None:
        digest = token_digest(proctor_token)
        self._rooms[room.room_id] = _Room(room, proctor_digest=digest)
        self._proctor_tokens[digest] = room.room_id

    async def get_room(self, room_id: str) -> RoomRecord | None:
        room = self._rooms.get(room_id)
        return None if room is None else room.record

    async def archive_room(self, room_id: str, event: bytes) -> bool:
        return await self._set_room(room_id, event, False, archived=True)

    async def set_room_open(self, room_id: str, is_open: bool, event: bytes) -> bool:
        return await self._set_room(room_id, event, is_open)

    async def _set_room(self, room_id: str, event: bytes, is_open: bool, archived: bool | None = None) -> bool:
        room = self._rooms.get(room_id)
        if room is None:
            return False
        room.record = replace(
            room.record, open=is_open, archived=room.record.archived if archived is None else archived
        )
        room.events.append((self._ids.next(), event))
        room.changed.set()
        room.changed = asyncio.Event()
        return True

    async def list_rooms(self) -> list[RoomRecord]:
        return [r.record for r in self._rooms.values()]

    async def room_for_proctor_token(self, token: str) -> str | None:
        return self._proctor_tokens.get(token_digest(token))

    async def replace_proctor_token(self, room_id: str, token: str) -> bool:
        room = self._rooms.get(room_id)
        if room is None:
            return False
        self._proctor_tokens.pop(room.proctor_digest, None)
        room.proctor_digest = token_digest(token)
        self._proctor_tokens[room.proctor_digest] = room_id
        return True

    async def next_session_numbers(self, room_id: str, count: int) -> range:
        room = self._rooms[room_id]
        first = room.next_number
        room.next_number += count
        return range(first, first + count)

    async def add_candidates(
        self,
        room_id: str,
        candidates: Sequence[tuple[CandidateRecord, bytes]],
        idempotency: tuple[str, bytes] | None = None,
    ) -> bytes | None:
        room = self._rooms[room_id]
        if idempotency is not None and idempotency[0] in room.registrations:
            return room.registrations[idempotency[0]]
        seen: set[str] = set()
        for cand, _ in candidates:
            if cand.employee_id in room.employees or cand.employee_id in seen:
                raise duplicate_employee(cand.employee_id)
            seen.add(cand.employee_id)
        for cand, state in candidates:
            self._sessions[cand.session_id] = _Session(SessionRecord(cand, state, 1, ""))
            self._tokens[cand.token_digest] = cand.session_id
            room.sessions.append(cand.session_id)
            room.employees[cand.employee_id] = cand.session_id
        if idempotency is not None:
            room.registrations[idempotency[0]] = idempotency[1]
        return None

    async def session_for_token(self, token: str) -> str | None:
        return self._tokens.get(token_digest(token))

    async def replace_candidate_token(self, session_id: str, digest: str) -> CandidateRecord | None:
        s = self._sessions.get(session_id)
        if s is None:
            return None
        self._tokens.pop(s.record.candidate.token_digest, None)
        candidate = replace(s.record.candidate, token_digest=digest)
        s.record = replace(s.record, candidate=candidate)
        self._tokens[digest] = session_id
        return candidate

    async def edit_candidate(self, session_id: str, expected_version: int, employee_id: str, name: str) -> bool:
        s = self._sessions.get(session_id)
        if s is None or s.record.version != expected_version:
            return False
        room, old = self._rooms[room_of(session_id)], s.record.candidate
        if employee_id != old.employee_id:
            if employee_id in room.employees:
                raise duplicate_employee(employee_id)
            del room.employees[old.employee_id]
            room.employees[employee_id] = session_id
        candidate = replace(old, employee_id=employee_id, name=name)
        s.record = replace(s.record, candidate=candidate, version=s.record.version + 1)
        return True

    async def remove_candidate(self, session_id: str, expected_version: int) -> bool:
        s = self._sessions.get(session_id)
        if s is None or s.record.version != expected_version:
            return False
        room = self._rooms[room_of(session_id)]
        room.sessions.remove(session_id)
        room.employees.pop(s.record.candidate.employee_id, None)
        room.results.pop(session_id, None)
        self._tokens.pop(s.record.candidate.token_digest, None)
        del self._sessions[session_id]
        return True

    async def room_candidates(self, room_id: str) -> list[CandidateRecord]:
        room = self._rooms.get(room_id)
        return [] if room is None else [self._sessions[s].record.candidate for s in room.sessions]

    async def load(self, session_id: str) -> SessionRecord | None:
        s = self._sessions.get(session_id)
        return None if s is None else s.record

    async def load_room(self, room_id: str) -> list[SessionRecord]:
        room = self._rooms.get(room_id)
        return [] if room is None else [self._sessions[s].record for s in room.sessions]

    async def commit(self, session_id: str, expected_version: int, commit: Commit) -> tuple[bool, list[str]]:
        s = self._sessions.get(session_id)
        if s is None or s.record.version != expected_version:
            return False, []
        room = self._rooms[room_of(session_id)]
        s.record = committed(s.record, commit)
        if commit.reply is not None:
            s.last_reply = commit.reply
        keep_audit, keep_events = True, True
        if commit.noise:
            keep_audit, keep_events = self._admit_noise(s, len(commit.audit), len(commit.events))
        for entry in commit.audit if keep_audit else ():
            self._add_audit(s, entry)
        ids = []
        if commit.events and keep_events:  # events older than the time they are kept go, as the Redis store trims them
            cut = int(self._clock() * 1000) - self._events_keep_ms
            kept = (i for i, (event_id, _) in enumerate(room.events) if _id_key(event_id)[0] >= cut)
            del room.events[: next(kept, len(room.events))]
        for event in commit.events if keep_events else ():
            event_id = self._ids.next()
            room.events.append((event_id, event))
            ids.append(event_id)
        if commit.result is not None:
            room.results[session_id] = commit.result
        if ids:
            room.changed.set()
            room.changed = asyncio.Event()
        return True, ids

    async def reply(self, session_id: str, seq: int) -> bytes | None:
        s = self._sessions.get(session_id)
        if s is None or s.last_reply is None or s.last_reply[0] != seq:
            return None
        return s.last_reply[1]

    async def audit(self, session_id: str) -> list[tuple[str, bytes]]:
        s = self._sessions.get(session_id)
        return [] if s is None else [(row.id, row.entry) for row in s.audit]

    async def audit_chain(self, session_id: str) -> AuditChain:
        s = self._sessions.get(session_id)
        return AuditChain((), "") if s is None else AuditChain(tuple(s.audit), s.head)

    async def append_audit(self, session_id: str, entry: bytes) -> None:
        s = self._sessions.get(session_id)
        if s is not None and self._admit_noise(s, 1, 0)[0]:
            self._add_audit(s, entry)

    def _add_audit(self, s: _Session, entry: bytes) -> None:
        """Append ``entry`` to the session's chain, or hold it back (counted) once the stream is full."""
        if len(s.audit) >= self._audit_maxlen:
            s.noise.dropped_audit += 1
            s.record = replace(s.record, suppressed=(s.noise.dropped_audit, s.noise.dropped_events))
            self._held_back("audit", 1)
            return
        prev = s.head or chain_start(s.record.session_id)
        s.audit.append(AuditRow(self._ids.next(), entry, prev))
        s.head = chain_next(prev, entry)

    def _admit_noise(self, s: _Session, n_audit: int, n_events: int) -> tuple[bool, bool]:
        now_ms = int(self._clock() * 1000)
        keep_audit, keep_events, tell = s.noise.admit(now_ms, self._noise_per_minute, n_audit, n_events)
        if tell:
            self._add_audit(s, suppressed_entry(now_ms, self._noise_per_minute))
        self._held_back("audit", 0 if keep_audit else n_audit)
        self._held_back("events", 0 if keep_events else n_events)
        s.record = replace(s.record, suppressed=(s.noise.dropped_audit, s.noise.dropped_events))
        return keep_audit, keep_events

    async def read_events(self, room_id: str, after_id: str, block_ms: int) -> list[tuple[str, bytes]]:
        room = self._rooms.get(room_id)
        if room is None:
            return []
        after = _id_key(after_id)
        found = [(i, e) for i, e in room.events if _id_key(i) > after]
        if block_ms <= 0:
            return found
        if not found:
            try:
                await asyncio.wait_for(room.changed.wait(), block_ms / 1000)
            except TimeoutError:
                return []
            found = [(i, e) for i, e in room.events if _id_key(i) > after]
        return found[:EVENTS_PER_READ]

    async def last_event_id(self, room_id: str) -> str:
        room = self._rooms.get(room_id)
        return room.events[-1][0] if room is not None and room.events else "0-0"

    async def results(self, room_id: str) -> dict[str, bytes]:
        room = self._rooms.get(room_id)
        return {} if room is None else dict(room.results)

    async def result(self, session_id: str) -> bytes | None:
        room = self._rooms.get(room_of(session_id))
        return None if room is None else room.results.get(session_id)

    async def ack_results(self, room_id: str, session_ids: Sequence[str]) -> int:
        room = self._rooms.get(room_id)
        if room is None:
            return 0
        return sum(1 for sid in set(session_ids) if sid in room.results)

    async def notify(self, session_id: str, message: bytes) -> None:
        for callback in list(self._listeners):
            await callback(session_id, message)

    def listen(self, callback: Notification) -> None:
        self._listeners.append(callback)

    async def mark_raised(self, room_id: str, key: str) -> bool:
        raised = self._raised.setdefault(room_id, set())
        if key in raised:
            return False
        raised.add(key)
        return True

    async def beat(self, process_id: str, now_ms: int) -> None:
        self._beats[process_id] = now_ms

    async def last_beat(self, process_id: str) -> int | None:
        return self._beats.get(process_id)
