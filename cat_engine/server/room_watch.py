r"""Room-level integrity flags, live: one operator answering for several seats, seats answering in lockstep.

A session's own flags are raised by the session machine at the answer that crosses a threshold. The room-level ones
rest on the answer timing of several sessions together (:func:`cat_engine.room_timing.room_timing`,
docs/integrity-room.md), which no single change sees; so every ``CAT_ROOM_WATCH_S`` seconds (default 120; 0: off)
each server process looks at the rooms that moved (:func:`watch_rooms`, started by the app) and evaluates them with
the computation of the integrity report (:func:`.integrity.room_seats`, :func:`.integrity.timing_report`), off the
event loop.

One evaluation per room and period, whatever the number of processes: time is cut in periods of the interval
(period :math:`b = \lfloor t / I \rfloor`), and a process evaluates a room only when its mark ``look:b`` in the store
is the first (:meth:`.store.Store.mark_raised`); the others skip the room until the next period.

False alarms over a whole sitting: the report's bounds hold per evaluation (:math:`\alpha` for a room of
independent seats), and a sitting of two hours is looked at a hundred times. So the :math:`k`-th period of a room
(counted from the period of its first answer, :math:`k \ge 1`) evaluates at

.. math:: \alpha_k = \alpha \, \frac{6}{\pi^2 k^2}, \qquad \sum_{k \ge 1} \alpha_k = \alpha,

an alpha-spending sequence (Lan & DeMets 1983) with no planned number of looks: at most one evaluation per period
(the marks), so by the union bound a room of independent seats raises a live flag with probability at most
:math:`\alpha` over its whole sitting, however long. The tests' evidence grows with the answers (an operator's group
reaches p-values of 1e-10 and below within a subtest, docs/integrity-room.md) while :math:`\alpha_k` falls as
:math:`k^{-2}`: two hours into a sitting with the default period of two minutes,
:math:`\alpha_{60} \approx 1.7 \cdot 10^{-4} \alpha`. The report on request
(``GET /api/rooms/{id}/integrity``) is one look, at :math:`\alpha`.

Which rooms: a room whose event stream has a new event since this process last looked at it (something happened:
an answer, a connection, a command), and at a process's first look only a room whose newest event is under
:data:`FIRST_LOOK_MS` old. So a room is evaluated while its sessions answer, once more after its last answer, and a
quiet room costs one read per look (its newest event id).

Once only: each flag is named by its kind and its sessions' ids, sorted (:func:`flag_key`), and marked in the store
(:meth:`.store.Store.mark_raised`, atomic); only the process whose mark is the first pushes it, so a flag is pushed once
whatever the number of processes and evaluations. A group that gains or loses a seat is another flag. The mark comes
first: a process that fails half way through the pushes leaves the remaining seats without it (at most once); the
report (``GET /api/rooms/{id}/integrity``) always has every flag of the moment.

What a flag leaves, in each of its sessions, through the transaction loop (one commit each, the state unchanged): a
``flag`` room event of the per-session flag's shape (kind ``operator`` or ``lockstep``, the group's statistic, no
subtest, no responses) with ``sessions``, the group's other sessions (docs/protocol.md, "Integrity flags"), and a
``room_flag`` audit entry (:func:`.audit.room_flag`), which ``cat-verify`` takes as it is. The session's own state,
its ``flags`` and its result do not change: a room-level flag is evidence for a person to review, like every flag.

Cost: per look, the list of rooms and each one's newest event id; per room evaluated (once per period across the
processes), its sessions' audits and the room timing (0.2 s for a room of 100 seats, under 2 s for 400,
docs/integrity-room.md, "Cost"), in a worker thread.

Reference: Lan, K. K. G., & DeMets, D. L. (1983). Discrete sequential boundaries for clinical trials. *Biometrika*,
70(3), 659-663.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from ..events import Event, statistic_object
from ..room_timing import TimingConfig
from . import audit, tasks
from .integrity import room_seats, timing_report
from .store import StoreUnavailable
from .transaction import Change, Loaded, Step, Transactions
from .wire_errors import Refusal

__all__ = [
    "FIRST_LOOK_MS",
    "STATISTIC_NAMES",
    "Raised",
    "RoomFlagged",
    "RoomWatch",
    "flag_key",
    "look_alpha",
    "watch_rooms",
]

_log = logging.getLogger("cat_engine.server")

FIRST_LOOK_MS = 10 * 60_000  # at a process's first look, a room whose newest event is older is taken as quiet
# the statistic of a room flag (integrity.timing_report's "statistic"), by kind: over every pair of the group's seats,
# the share of alternations among counted adjacencies (operator), or of close alternations per answer (lockstep)
STATISTIC_NAMES = {"operator": "alternation_share", "lockstep": "close_share"}


@dataclass(frozen=True)
class RoomFlagged(Event):
    """A room-level flag of ``kind`` that names this session with ``sessions`` (the group's others).

    ``name``, ``value``, ``p_value`` and ``threshold`` are the group's statistic (it flags when
    ``p_value <= threshold``), ``n`` this session's applied answers it was computed from. On the wire it is a
    ``flag`` event of the per-session shape, with no subtest and no responses, and ``sessions``.
    """

    type: ClassVar[str] = "flag"
    kind: str
    name: str
    value: float
    p_value: float
    threshold: float
    n: int
    sessions: tuple[str, ...]

    def statistic(self) -> dict[str, Any]:
        """The statistic as its wire object."""
        return statistic_object(self.name, self.value, self.p_value, self.threshold, self.n)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "at_ms": self.at_ms,
            "kind": self.kind,
            "statistic": self.statistic(),
            "subtest": None,
            "responses": [],
            "sessions": list(self.sessions),
        }


@dataclass(frozen=True)
class Raised:
    """A room flag this process pushed: its kind, its sessions (sorted), the group's statistic and when."""

    kind: str
    sessions: tuple[str, ...]
    statistic: float
    p_value: float
    threshold: float
    at_ms: int


def flag_key(kind: str, sessions: Sequence[str]) -> str:
    """The name a room flag is marked under in the store: its kind and its sessions' ids, sorted."""
    return f"{kind}:{','.join(sorted(sessions))}"


def look_alpha(alpha: float, look: int) -> float:
    r""":math:`\alpha_k = \alpha\, 6 / (\pi^2 k^2)` of the ``look``-th period (:math:`k \ge 1`; see the module
    docstring): the levels of all looks add up to ``alpha``."""
    if look < 1:
        raise ValueError(f"look {look}: periods are counted from 1")
    return alpha * 6.0 / (math.pi**2 * look * look)


def _event_ms(event_id: str) -> int:
    """The time part of a room stream id ``"<ms>-<n>"``."""
    ms, _, _ = event_id.partition("-")
    return int(ms) if ms.isdigit() else 0


def _push(event: RoomFlagged) -> Step:
    """The transaction step that records ``event`` in a session: its room event and its audit entry."""
    entry = audit.room_flag(event.at_ms, event.kind, event.statistic(), event.sessions)

    async def step(loaded: Loaded) -> Change:
        return Change(loaded.state, [event], [], audit=[entry])

    return step


class RoomWatch:
    """One process's watch over the rooms (see the module docstring); :meth:`tick` is one look."""

    def __init__(self, tx: Transactions, config: TimingConfig | None = None, interval_s: float = 120.0) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval {interval_s!r} s: must be greater than 0")
        self.tx = tx
        self.config = config or TimingConfig()
        self.period_ms = max(1, round(1000 * interval_s))
        self._looked: dict[str, str] = {}  # room id -> its newest event id when this process last evaluated it

    async def tick(self) -> list[Raised]:
        """Evaluate every room that moved since the last look and that no process has evaluated in this period
        (:meth:`evaluate`); the flags this look pushed.

        A room whose evaluation fails is logged and tried again at the next look; the store unavailable ends the
        look (:class:`~.store.StoreUnavailable`)."""
        out: list[Raised] = []
        now = self.tx.now_ms()
        for room in await self.tx.store.list_rooms():
            last = await self.tx.store.last_event_id(room.room_id)
            seen = self._looked.get(room.room_id)
            if last == seen or last == "0-0":
                continue
            if seen is None and _event_ms(last) < now - FIRST_LOOK_MS:
                self._looked[room.room_id] = last
                continue
            period = now // self.period_ms
            if not await self.tx.store.mark_raised(room.room_id, f"look:{period}"):
                continue  # another process evaluates this room in this period; this one looks again in the next
            try:
                out += await self.evaluate(room.room_id, period)
            except StoreUnavailable:
                raise
            except Exception:
                _log.exception("room watch: the evaluation of room %s failed", room.room_id)
                continue
            self._looked[room.room_id] = last
        return out

    async def evaluate(self, room_id: str, period: int | None = None) -> list[Raised]:
        """Evaluate the answer timing of ``room_id`` now and push each flag no process has pushed before.

        ``period`` (None: now's) sets the level: :func:`look_alpha` of the room's period count, from the period of its
        first answer."""
        store = self.tx.store
        seats = await room_seats(store, await store.load_room(room_id))
        if period is None:
            period = self.tx.now_ms() // self.period_ms
        first = min((s.arrival_ms[0] for s in seats if s.arrival_ms), default=None)
        look = 1 if first is None else max(1, period - int(first) // self.period_ms + 1)
        config = replace(self.config, alpha=look_alpha(self.config.alpha, look))
        report = await asyncio.to_thread(timing_report, seats, config)
        answers = {s.session_id: len(s.arrival_ms) for s in seats}
        out: list[Raised] = []
        for flag in report["flags"]:
            kind, sessions = str(flag["kind"]), tuple(sorted(flag["sessions"]))
            if not await store.mark_raised(room_id, flag_key(kind, sessions)):
                continue
            at = self.tx.now_ms()
            value, p_value, threshold = float(flag["statistic"]), float(flag["p_value"]), float(flag["threshold"])
            for sid in sessions:
                others = tuple(s for s in sessions if s != sid)
                event = RoomFlagged(at, kind, STATISTIC_NAMES[kind], value, p_value, threshold, answers[sid], others)
                try:
                    await self.tx.run(sid, _push(event))
                except Refusal as exc:  # removed from the roster meanwhile: nothing to record it in
                    _log.warning("room watch: flag %s not recorded in %s (%s)", kind, sid, exc.code)
            _log.info("room watch: %s flag raised in room %s for %s (p %.3g)", kind, room_id, sessions, p_value)
            out.append(Raised(kind, sessions, value, p_value, threshold, at))
        return out


async def watch_rooms(tx: Transactions, interval_s: float, config: TimingConfig | None = None) -> None:
    """Look at the rooms every ``interval_s`` seconds (:meth:`RoomWatch.tick`), until cancelled
    (:func:`~.tasks.stop`); a failed look is logged and the next one comes as usual."""
    watch = RoomWatch(tx, config, interval_s)
    while not tasks.cancel_requested():
        await asyncio.sleep(interval_s)
        try:
            await watch.tick()
        except StoreUnavailable as exc:
            _log.warning("room watch: the store is unavailable (%s); next look in %.0f s", exc, interval_s)
        except Exception:
            _log.exception("room watch: a look failed")
