"""One person answering for several seats of a room, one answer at a time (issue 18's ``operator``).

An :class:`Operator` serves its seats in the order their items (and intros) arrived: it reads the item that has
waited longest, thinks for a drawn time, answers, and moves on. It is a single queue with one server, so when an
item arrives its answer time is known at once: it starts when the operator is free (or now) and takes a drawn
think time. Each seat's :class:`~load_tests.candidate.Candidate` asks its :class:`OperatorPacing` how long to wait
before answering (or before sending ``start`` after an intro), and the operator books that time. Operator seats
are always closed loop, whatever the scenario's pacing: a person answers only what is on the screen.

The seats keep their own simulated examinee for the choice of option (so the run's accuracy checks still hold);
only the timing is the operator's. The operator's think time is, unless given, the scenario's divided by the
number of seats, so each seat keeps about a normal pace and only the interleaving gives the operator away.

After the run, :func:`operator_report` reads every session's audit, builds each room's answer arrival times and
``response_ms`` and runs :func:`cat_engine.room_timing.room_timing` on them: the planted groups should come out as
``operator`` groups and no other seat should be flagged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cat_engine.room_timing import TimingConfig, room_timing

from .candidate import Pacing
from .examinee import ThinkTime
from .target import AdminApi
from .verify import retried

__all__ = ["GROUP_SIZE", "Operator", "OperatorPacing", "answer_times", "operator_report", "plant_groups"]

GROUP_SIZE = 4


@dataclass
class Operator:
    """One person answering for several seats, one thing at a time.

    Parameters
    ----------
    think : ThinkTime
        The operator's think time per item, real seconds (scaled by ``time_scale``).
    time_scale : float
        Factor on think times (as the run's).
    rng : numpy.random.Generator
    clock : callable
        Monotonic seconds (``time.monotonic``; a test passes its own).

    Attributes
    ----------
    busy_until : float
        When the operator finishes what it has taken on.
    booked : list of (float, float, str)
        Every job taken on: (start, end, what): ``item`` or ``reading``, in order.
    """

    think: ThinkTime
    time_scale: float
    rng: np.random.Generator
    clock: Callable[[], float] = time.monotonic
    busy_until: float = float("-inf")
    booked: list[tuple[float, float, str]] = field(default_factory=list)

    def book(self, seconds: float, what: str) -> float:
        """Take on a job of ``seconds`` now (after everything taken on before); the seconds until it is done."""
        now = self.clock()
        start = max(now, self.busy_until)
        self.busy_until = start + seconds
        self.booked.append((start, self.busy_until, what))
        return self.busy_until - now


@dataclass(frozen=True)
class OperatorPacing(Pacing):
    """The pacing of a seat served by ``operator``: every think time and every intro reading is a job in the
    operator's queue (closed loop, whatever ``mode`` says)."""

    operator: Operator | None = None

    def _op(self) -> Operator:
        if self.operator is None:
            raise ValueError("an OperatorPacing needs its operator")
        return self.operator

    def delay(self, rng: np.random.Generator) -> float:
        """Seconds until the operator has answered the item that has just arrived (``rng`` is not used: the
        operator draws its own think times)."""
        op = self._op()
        return op.book(op.think.sample(op.rng) * op.time_scale, "item")

    def reading_delay(self, rng: np.random.Generator) -> float:
        """Seconds until the operator has read the intro that has just arrived and pressed start."""
        op = self._op()
        return op.book(self.reading.sample(op.rng), "reading")

    @classmethod
    def of(cls, pacing: Pacing, operator: Operator) -> OperatorPacing:
        """The pacing of a seat of ``operator``, otherwise as ``pacing`` (closed loop)."""
        return cls("closed", pacing.think, pacing.time_scale, pacing.reading, operator)


def plant_groups(room_seats: Sequence[Sequence[int]], groups_per_room: int, seed: int) -> list[list[int]]:
    """The seats of each operator group: ``groups_per_room`` groups of :data:`GROUP_SIZE` seats drawn (seeded)
    from each room's seats (examinee indices). ValueError when a room has too few seats."""
    out: list[list[int]] = []
    for r, seats in enumerate(room_seats):
        need = groups_per_room * GROUP_SIZE
        if need > len(seats):
            raise ValueError(f"room {r + 1} has {len(seats)} seats, fewer than {need} for {groups_per_room} groups")
        if need == 0:
            continue
        chosen = np.random.default_rng([seed, 4, r]).choice(np.asarray(seats), size=need, replace=False)
        out += [sorted(int(s) for s in chosen[g * GROUP_SIZE : (g + 1) * GROUP_SIZE]) for g in range(groups_per_room)]
    return out


def answer_times(entries: Sequence[Mapping[str, Any]]) -> tuple[list[float], list[float]]:
    """A session's applied answers from its audit entries: arrival times (``at_ms``) and ``response_ms``.

    Applied answers are the ``answer`` entries with ``response_ms`` and no ``outcome`` (a resend is ``duplicate``,
    a late answer ``time_up``: neither changed anything).
    """
    applied = [e for e in entries if e.get("kind") == "answer" and "response_ms" in e and not e.get("outcome")]
    applied.sort(key=lambda e: float(e["at_ms"]))
    return [float(e["at_ms"]) for e in applied], [float(e["response_ms"]) for e in applied]


def operator_report(
    admin: AdminApi,
    rooms: Sequence[Sequence[str]],
    session_of: Mapping[int, str],
    groups: Sequence[Sequence[int]],
    config: TimingConfig | None = None,
    threads: int = 8,
) -> dict[str, Any]:
    """The room timing statistics of every room holding a planted group, from the sessions' audits.

    Parameters
    ----------
    admin : AdminApi
    rooms : sequence of sequence of str
        Each room's session ids.
    session_of : mapping
        Examinee index -> session id.
    groups : sequence of sequence of int
        The planted operator groups (examinee indices).
    config : TimingConfig, optional

    Returns
    -------
    dict
        ``groups`` planted, ``detected`` (planted groups flagged ``operator`` with exactly their seats),
        ``partly`` (planted groups with some seat in an operator flag), ``other_seats_flagged`` (seats outside every
        planted group in any flag), and per room the flags (session ids, kind, p-value, statistic).
    """
    planted = [{session_of[s] for s in g} for g in groups]
    watched = [room for room in rooms if any(p & set(room) for p in planted)]
    wanted = [sid for room in watched for sid in room]

    def audit(sid: str) -> list[dict[str, Any]]:
        return retried(lambda: admin.audit(sid))

    with ThreadPoolExecutor(threads) as pool:
        audits = dict(zip(wanted, pool.map(audit, wanted), strict=True))
    detected = partly = 0
    other: set[str] = set()
    rows = []
    for room in watched:
        times = [answer_times(audits[sid]) for sid in room]
        result = room_timing([t[0] for t in times], [t[1] for t in times], config)
        flags: list[dict[str, Any]] = [
            {
                "kind": f.kind,
                "sessions": [room[s] for s in f.seats],
                "p_value": f.p_value,
                "statistic": round(f.statistic, 4),
            }
            for f in result.flags
        ]
        inside = [p for p in planted if p & set(room)]
        for p in inside:
            detected += any(f["kind"] == "operator" and set(f["sessions"]) == p for f in flags)
            partly += any(f["kind"] == "operator" and set(f["sessions"]) & p for f in flags)
        union = set().union(*inside)
        other |= {sid for f in flags for sid in f["sessions"] if sid not in union}
        rows.append({"sessions": len(room), "eligible": result.eligible_seats, "flags": flags})
    return {
        "groups": len(planted),
        "detected": detected,
        "partly": partly,
        "other_seats_flagged": len(other),
        "rooms": rows,
    }
