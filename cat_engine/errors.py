"""The one exception tree of the engine.

Every error the engine raises on purpose is a :class:`CatError`. The tree separates whose fault an error is,
because each side gets a different answer: a candidate gets an error frame and may try again, a proctor gets
a refused command, a pool author gets a message naming the file, item and field, and our own bugs are logged
and alarmed. Each class carries a stable ``code`` that the server puts on the wire unchanged.

::

    CatError                          code
    ├── CandidateError                (the candidate's move was not allowed)
    │   ├── WrongSequence             wrong_seq      answer for an item that is not the current one
    │   ├── ResponseOutOfRange        bad_response   option index outside the item's options
    │   ├── SessionNotStarted         not_started    answering before the battery started
    │   ├── SessionPaused             paused         answering while paused
    │   ├── TimeUp                    time_up        answering after the subtest's time ran out
    │   ├── SessionFinished           finished       answering after the battery ended
    │   └── SessionTerminated         terminated     answering after a proctor terminated the session
    ├── ProctorError                  (a proctor command that does not fit the session's state)
    │   └── IllegalCommand            bad_command    e.g. resume when not paused, extend by <= 0 s
    ├── ConfigError                   (a pool author's or battery author's file is wrong)
    │   ├── PoolValidationError       bad_pool       names file, item id and field
    │   └── BatteryConfigError        bad_battery    names file, subtest and field
    └── EngineError                   internal       our fault: a state that cannot happen did
        └── StateCorrupted            bad_state      stored bytes do not decode into a valid state

Notes
-----
Transitions in :mod:`cat_engine.session` validate every input before computing anything, so a raised
:class:`CandidateError` or :class:`ProctorError` always leaves the caller's state untouched (states are frozen,
a transition returns a new one).
"""

from __future__ import annotations

__all__ = [
    "BatteryConfigError",
    "CandidateError",
    "CatError",
    "ConfigError",
    "EngineError",
    "IllegalCommand",
    "PoolValidationError",
    "ProctorError",
    "ResponseOutOfRange",
    "SessionFinished",
    "SessionNotStarted",
    "SessionPaused",
    "SessionTerminated",
    "StateCorrupted",
    "TimeUp",
    "WrongSequence",
]


class CatError(Exception):
    """Base of every error the engine raises on purpose."""

    code = "error"


class CandidateError(CatError):
    """The candidate's input is not allowed in the session's current state."""

    code = "candidate_error"


class WrongSequence(CandidateError):
    """An answer names a sequence number other than the item being presented."""

    code = "wrong_seq"


class ResponseOutOfRange(CandidateError):
    """A response is not the index of one of the item's options."""

    code = "bad_response"


class SessionNotStarted(CandidateError):
    """The session has not been started, so there is nothing to answer."""

    code = "not_started"


class SessionPaused(CandidateError):
    """The session is paused by a proctor."""

    code = "paused"


class TimeUp(CandidateError):
    """The subtest's time ran out before the answer arrived."""

    code = "time_up"


class SessionFinished(CandidateError):
    """The battery is finished."""

    code = "finished"


class SessionTerminated(CandidateError):
    """A proctor terminated the session."""

    code = "terminated"


class ProctorError(CatError):
    """A proctor command does not fit the session's state."""

    code = "proctor_error"


class IllegalCommand(ProctorError):
    """E.g. resuming a session that is not paused, or extending time by a non-positive amount."""

    code = "bad_command"


class ConfigError(CatError):
    """A pool or battery file is wrong; the message tells its author what to fix."""

    code = "bad_config"


class PoolValidationError(ConfigError):
    """An item pool failed validation.

    Parameters
    ----------
    source : str
        The file (or other source) the pool came from.
    item_id : str or None
        The offending item's id, or None for a pool-level field.
    field : str
        The offending field, e.g. ``"params.a"``.
    problem : str
        What is wrong, in words a pool author can act on.
    """

    code = "bad_pool"

    def __init__(self, source: str, item_id: str | None, field: str, problem: str) -> None:
        self.source = source
        self.item_id = item_id
        self.field = field
        self.problem = problem
        where = f"item {item_id!r}, " if item_id is not None else ""
        super().__init__(f"{source}: {where}field {field!r}: {problem}")


class BatteryConfigError(ConfigError):
    """A battery config failed validation.

    Parameters
    ----------
    source : str
        The battery file.
    subtest_id : str or None
        The offending subtest's id, or None for a battery-level field.
    field : str
        The offending field, e.g. ``"stopping.max_items"``.
    problem : str
        What is wrong.
    """

    code = "bad_battery"

    def __init__(self, source: str, subtest_id: str | None, field: str, problem: str) -> None:
        self.source = source
        self.subtest_id = subtest_id
        self.field = field
        self.problem = problem
        where = f"subtest {subtest_id!r}, " if subtest_id is not None else ""
        super().__init__(f"{source}: {where}field {field!r}: {problem}")


class EngineError(CatError):
    """Our fault: an invariant of the engine did not hold."""

    code = "internal"


class StateCorrupted(EngineError):
    """Stored session bytes do not decode into a state valid for the battery."""

    code = "bad_state"
