"""Events the session state machine emits: frozen records of what happened, with the time it happened.

Each event has a ``type`` (the wire name used in room event streams) and :meth:`Event.to_dict`. Events are for
the server, proctors and the audit log; some carry theta and SE, so the server must never forward an event to a
candidate as it is.

Inside the code a subtest's position in the battery is ``subtest_index``; on the wire (docs/protocol.md, browsers in
the field) the field keeps its documented name ``subtest``: :meth:`Event.to_dict` renames it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .battery import Profile, SubtestResult

__all__ = [
    "Answered",
    "Connected",
    "Disconnected",
    "Event",
    "Finished",
    "Flagged",
    "ItemPresented",
    "NoteAdded",
    "Paused",
    "PretestAnswered",
    "PretestPresented",
    "Resumed",
    "SeatApproved",
    "SeatChangeRequested",
    "SeatDenied",
    "Started",
    "SubtestDone",
    "SubtestIntro",
    "Terminated",
    "TimeExtended",
    "statistic_object",
]


@dataclass(frozen=True)
class Event:
    """Base of all events; ``at_ms`` is the ``now_ms`` of the transition that emitted it."""

    type: ClassVar[str] = "event"
    at_ms: int

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with ``type`` first and wire field names (events holding a dataclass flatten it themselves)."""
        return {"type": self.type, **{_WIRE_NAMES.get(k, k): v for k, v in self.__dict__.items()}}


_WIRE_NAMES = {"subtest_index": "subtest"}


@dataclass(frozen=True)
class Connected(Event):
    """The candidate's connection came up."""

    type: ClassVar[str] = "connected"


@dataclass(frozen=True)
class Disconnected(Event):
    """The candidate's connection dropped."""

    type: ClassVar[str] = "disconnected"


@dataclass(frozen=True)
class Started(Event):
    """The candidate confirmed who they are and began the battery (its first subtest's intro follows)."""

    type: ClassVar[str] = "started"


@dataclass(frozen=True)
class SubtestIntro(Event):
    """The intro of subtest ``subtest_index`` is shown; its clock has not started."""

    type: ClassVar[str] = "subtest_intro"
    subtest_index: int


@dataclass(frozen=True)
class ItemPresented(Event):
    """Item ``item_index`` of subtest ``subtest_index`` is presented as ``seq``; ``position`` counts from 1 in the
    subtest's operational items; ``theta`` and ``se`` are the operational interim estimate at that moment (None
    before the subtest's first answer)."""

    type: ClassVar[str] = "item_presented"
    seq: int
    subtest_index: int
    item_index: int
    position: int
    theta: float | None = None
    se: float | None = None


@dataclass(frozen=True)
class PretestPresented(ItemPresented):
    """A pretest item presented (:mod:`cat_engine.session_pretest`): ``item_index`` is its index in the subtest's
    pretest pool, ``position`` its place among the examinee's pretest items of the subtest, from 1. The candidate's
    frame does not tell it from an operational item; proctors' streams name it ``pretest_presented``."""

    type: ClassVar[str] = "pretest_presented"


@dataclass(frozen=True)
class Answered(Event):
    """An answer was applied: ``response`` is the stored index of the option chosen (what is scored and kept),
    ``shown`` the display position the candidate chose it at (:mod:`cat_engine.options`); ``theta`` and ``se`` are
    the estimate after it."""

    type: ClassVar[str] = "answered"
    seq: int
    subtest_index: int
    item_index: int
    response: int
    shown: int
    category: int
    response_ms: int
    theta: float
    se: float


@dataclass(frozen=True)
class PretestAnswered(Answered):
    """An answer to a pretest item (``item_index`` in the pretest pool, ``category`` by its scoring): recorded,
    never scored for the examinee; ``theta`` and ``se`` are the operational estimate, which it does not move."""

    type: ClassVar[str] = "pretest_answered"


@dataclass(frozen=True)
class SubtestDone(Event):
    """A subtest ended; ``result`` is its profile row."""

    type: ClassVar[str] = "subtest_done"
    subtest_index: int
    result: SubtestResult

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with the result flattened to its own dict."""
        return {"type": self.type, "at_ms": self.at_ms, "subtest": self.subtest_index, "result": self.result.to_dict()}


@dataclass(frozen=True)
class Finished(Event):
    """The battery is finished."""

    type: ClassVar[str] = "finished"
    profile: Profile

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with the profile as a dict."""
        return {"type": self.type, "at_ms": self.at_ms, "profile": self.profile.to_dict()}


@dataclass(frozen=True)
class Paused(Event):
    """A proctor paused the session."""

    type: ClassVar[str] = "paused"
    reason: str = ""


@dataclass(frozen=True)
class Resumed(Event):
    """A proctor resumed the session."""

    type: ClassVar[str] = "resumed"


@dataclass(frozen=True)
class TimeExtended(Event):
    """A proctor gave subtest ``subtest_index`` ``extra_ms`` more."""

    type: ClassVar[str] = "time_extended"
    subtest_index: int
    extra_ms: int


@dataclass(frozen=True)
class SeatChangeRequested(Event):
    """A hello came from ``requested``, another device than the session's ``device`` (None: it sent no id); the
    sitting waits for a proctor to approve or deny the move."""

    type: ClassVar[str] = "seat_change_requested"
    device: str | None
    requested: str | None


@dataclass(frozen=True)
class SeatApproved(Event):
    """A proctor approved the move to ``device``: the sitting continues there."""

    type: ClassVar[str] = "seat_approved"
    device: str | None


@dataclass(frozen=True)
class SeatDenied(Event):
    """A proctor denied the move to ``device``: the sitting stays where it was."""

    type: ClassVar[str] = "seat_denied"
    device: str | None


@dataclass(frozen=True)
class NoteAdded(Event):
    """A proctor recorded an incident note on the sitting."""

    type: ClassVar[str] = "note"
    text: str


def statistic_object(name: str, value: float, p_value: float, threshold: float, n: int) -> dict[str, Any]:
    """An integrity statistic as its wire object (the ``statistic`` of a ``flag`` event; docs/protocol.md)."""
    return {"name": name, "value": value, "p_value": p_value, "threshold": threshold, "n": n}


@dataclass(frozen=True)
class Flagged(Event):
    """An integrity statistic raised a flag of ``kind`` for the first time in the sitting
    (:mod:`cat_engine.session_integrity`): evidence for a person to review, never a change to the score.

    ``name``, ``value``, ``p_value``, ``threshold`` and ``n`` are the statistic's
    (:class:`cat_engine.aberrance.Statistic`: it flags when ``p_value <= threshold``; ``n`` responses);
    ``subtest_index`` the first subtest after a change (None for the other kinds); ``responses`` the
    ``(subtest, position)`` pairs of the responses it rests on, positions counted from 0 in the subtest's answers.
    On the wire the statistic is one object: ``{"type": "flag", "at_ms", "kind", "statistic": {"name", "value",
    "p_value", "threshold", "n"}, "subtest", "responses": [[subtest, position], ...]}``.
    """

    type: ClassVar[str] = "flag"
    kind: str
    name: str
    value: float
    p_value: float
    threshold: float
    n: int
    subtest_index: int | None
    responses: tuple[tuple[int, int], ...]

    def statistic(self) -> dict[str, Any]:
        """The statistic as its wire object."""
        return statistic_object(self.name, self.value, self.p_value, self.threshold, self.n)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict with the statistic as one object and the responses as pairs."""
        return {
            "type": self.type,
            "at_ms": self.at_ms,
            "kind": self.kind,
            "statistic": self.statistic(),
            "subtest": self.subtest_index,
            "responses": [[s, p] for s, p in self.responses],
        }


@dataclass(frozen=True)
class Terminated(Event):
    """A proctor ended the sitting for good."""

    type: ClassVar[str] = "terminated"
    reason: str
