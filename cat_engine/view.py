"""What a proctor sees of one sitting: its :class:`SessionView`, computed from the state alone.

This is the one place the proctor's view of a session is computed. The server sends it in the proctor's snapshot,
in ``GET /api/rooms/{id}``, and after every change on the room's event stream, so a console shows what the server
computed and never re-derives it (nor the commands allowed, which come from
:func:`cat_engine.session.allowed_commands`, the guards the transitions themselves apply).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .battery import Battery
from .session import Command, Phase, SessionState, allowed_commands, time_left_ms

__all__ = ["SessionView", "session_view"]


@dataclass(frozen=True)
class SessionView:
    """A session as a proctor sees it at one moment (``docs/protocol.md``, the snapshot's sessions).

    Attributes
    ----------
    phase, connected, pause_reason, terminated_reason, last_seen_ms
        As in :class:`~cat_engine.session.SessionState`.
    subtest_index : int
        The current subtest (the number of subtests once the battery is finished).
    subtest_id : str or None
        Its id; None once the battery is finished.
    answered, answered_total : int
        Answers in the subtest under way (0 once the sitting is over), and in all subtests.
    theta, se : float or None
        The estimate after the current subtest's last answer, rounded to 4 decimals.
    se_target : float or None
        The precision target of the current subtest (of the last one once the battery is finished).
    time_left_s : float or None
        Time left in the current subtest at the view's moment, to 0.1 s (None: no limit, or not in a subtest).
    allowed : tuple of Command
        The proctor commands the state allows now.
    device, seat_request : str or None
        The device the sitting is taken on, and the one waiting for approval to take it ("" a device without id).
    seat_request_at_ms : int or None
        When that request was made.
    notes : int
        How many incident notes the proctors wrote (their texts are in the detail).
    flags : tuple of str
        The integrity flag kinds raised in the sitting, in the order raised (each is a ``flag`` event with its
        statistic and evidence).
    """

    phase: Phase
    connected: bool
    subtest_index: int
    subtest_id: str | None
    answered: int
    answered_total: int
    theta: float | None
    se: float | None
    se_target: float | None
    time_left_s: float | None
    last_seen_ms: int | None
    pause_reason: str
    terminated_reason: str
    allowed: tuple[Command, ...]
    device: str | None = None
    seat_request: str | None = None
    seat_request_at_ms: int | None = None
    notes: int = 0
    flags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with the wire names (``subtest`` for the subtest id)."""
        return {
            "phase": self.phase.value,
            "connected": self.connected,
            "subtest_index": self.subtest_index,
            "subtest": self.subtest_id,
            "answered": self.answered,
            "answered_total": self.answered_total,
            "theta": self.theta,
            "se": self.se,
            "se_target": self.se_target,
            "time_left_s": self.time_left_s,
            "last_seen_ms": self.last_seen_ms,
            "pause_reason": self.pause_reason,
            "terminated_reason": self.terminated_reason,
            "allowed": [c.value for c in self.allowed],
            "device": self.device,
            "seat_request": self.seat_request,
            "seat_request_at_ms": self.seat_request_at_ms,
            "notes": self.notes,
            "flags": list(self.flags),
        }


def session_view(battery: Battery, state: SessionState, now_ms: int) -> SessionView:
    """The proctor's view of ``state`` at ``now_ms``."""
    n_subtests = len(battery.subtests)
    index = state.subtest_index
    in_subtest = state.phase in (Phase.ACTIVE, Phase.PAUSED)
    answered = len(state.items) if in_subtest else 0  # once over, every subtest's answers are in ``done``
    left = time_left_ms(battery, state, now_ms)
    return SessionView(
        phase=state.phase,
        connected=state.connected,
        subtest_index=index,
        subtest_id=battery.subtests[index].id if index < n_subtests else None,
        answered=answered,
        answered_total=sum(len(d.items) for d in state.done) + answered,
        theta=None if state.theta is None else round(state.theta, 4),
        se=None if state.se is None else round(state.se, 4),
        se_target=battery.subtests[min(index, n_subtests - 1)].stopping.se_target,
        time_left_s=None if left is None else round(left / 1000, 1),
        last_seen_ms=state.last_seen_ms,
        pause_reason=state.pause_reason,
        terminated_reason=state.terminated_reason,
        allowed=allowed_commands(battery, state),
        device=state.device,
        seat_request=state.seat_request,
        seat_request_at_ms=state.seat_request_at_ms,
        notes=len(state.notes),
        flags=state.flags,
    )
