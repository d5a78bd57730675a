"""What a run measures while it runs: one :class:`Recorder` shared by every client of a run (one event loop).

Times are seconds on the monotonic clock from the recorder's start. Latencies are milliseconds.

* ``latency`` - answer sent to its reply (the next item or ``finished``) received, on the same connection;
* ``recovered`` - answers whose reply was lost with the connection and came back after a reconnect and a resend
  (drop to reply; kept apart so that a network drop is not read as server latency);
* ``connect`` - first WebSocket handshake started to the ``hello`` reply received;
* ``resume`` - connection lost (or dropped on purpose) to the session resumed: ``hello`` answered and any
  unacknowledged answer resent and answered;
* ``lag`` - open loop only: how late an answer left against its schedule (the client waited for a reply or a
  reconnect).

Errors are counted by code: the server's error frames under their wire code, the client's own troubles under
``client:<what>`` (reply timeouts, connections lost outside a planned disruption, examinees that never finished).
Connections lost during a planned disruption (a storm, a killed server) are counted, but are not errors. While a
disruption of the *store* is under way (a Redis Cluster master killed and failed over), the server's ``unavailable``
refusals (:data:`RETRYABLE`: the client reconnects and resends) are expected too: they are counted apart, in
``retryable``, not as errors. Every error code seen during any disruption is also counted in ``window_errors``.
"""

from __future__ import annotations

import time
from array import array
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["RETRYABLE", "Recorder"]

#: Error codes that say "the store cannot take this now, try again": expected while the store is disrupted on purpose.
RETRYABLE = frozenset({"unavailable", "proctor:unavailable"})


@dataclass
class Recorder:
    """Measurements of one run (or of its floor run)."""

    started: float = field(default_factory=time.monotonic)
    latency_t: array[float] = field(default_factory=lambda: array("d"))
    latency_ms: array[float] = field(default_factory=lambda: array("d"))
    due_t: array[float] = field(default_factory=lambda: array("d"))
    lag_ms: array[float] = field(default_factory=lambda: array("d"))
    connect_ms: array[float] = field(default_factory=lambda: array("d"))
    resume_ms: array[float] = field(default_factory=lambda: array("d"))
    resume_t: array[float] = field(default_factory=lambda: array("d"))
    recovered_ms: array[float] = field(default_factory=lambda: array("d"))
    ack_t: array[float] = field(default_factory=lambda: array("d"))
    frame_bytes: int = 0
    frames: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    retryable: Counter[str] = field(default_factory=Counter)
    window_errors: Counter[str] = field(default_factory=Counter)
    drops: Counter[str] = field(default_factory=Counter)
    reconnect_attempts: int = 0
    started_examinees: int = 0
    finished_examinees: int = 0
    marks: list[tuple[float, str]] = field(default_factory=list)
    disruptions: int = 0
    store_disruptions: int = 0

    def now(self) -> float:
        """Seconds since the start of the run."""
        return time.monotonic() - self.started

    def mark(self, label: str) -> None:
        """Note an event of the run (a storm, a kill, a restart) for the report and the plots."""
        self.marks.append((round(self.now(), 3), label))

    # --- disruptions -------------------------------------------------------------------------------------------

    def begin_disruption(self, label: str, store: bool = False) -> None:
        """Connections lost from now until :meth:`end_disruption` are expected, not errors; with ``store`` (the
        store itself is disrupted) so are the server's :data:`RETRYABLE` refusals."""
        self.disruptions += 1
        self.store_disruptions += int(store)
        self.mark(label)

    def end_disruption(self, label: str, store: bool = False) -> None:
        self.disruptions -= 1
        self.store_disruptions -= int(store)
        self.mark(label)

    def lost_connection(self, planned: bool) -> None:
        """A connection was lost: planned (the client dropped it), expected (a disruption) or an error."""
        if planned:
            self.drops["planned"] += 1
        elif self.disruptions > 0:
            self.drops["disruption"] += 1
        else:
            self.drops["unexpected"] += 1
            self.errors["client:connection_lost"] += 1

    # --- answers -----------------------------------------------------------------------------------------------

    def answered(self, sent: float, received: float, due: float | None) -> None:
        """An answer sent at ``sent`` got its reply at ``received`` on the same connection (monotonic clock)."""
        t = received - self.started
        self.latency_t.append(t)
        self.latency_ms.append((received - sent) * 1000)
        self.ack_t.append(t)
        if due is not None:
            self.lag_ms.append(max(sent - due, 0.0) * 1000)

    def recovered(self, lost_at: float, received: float) -> None:
        """An answer whose reply came only after a reconnect and a resend."""
        self.recovered_ms.append((received - lost_at) * 1000)
        self.ack_t.append(received - self.started)

    def scheduled(self, due: float) -> None:
        """An answer was due (offered load) at ``due`` (monotonic clock)."""
        self.due_t.append(due - self.started)

    def item_frame(self, size: int) -> None:
        self.frame_bytes += size
        self.frames += 1

    @property
    def answers(self) -> int:
        """Answers acknowledged so far."""
        return len(self.ack_t)

    @property
    def mean_frame_bytes(self) -> int:
        return self.frame_bytes // self.frames if self.frames else 0

    def error(self, code: str) -> None:
        """An error frame (or a trouble of the client's own): an error, or, while the store is disrupted on
        purpose, a retryable refusal counted apart."""
        if code in RETRYABLE and self.store_disruptions > 0:
            self.retryable[code] += 1
        else:
            self.errors[code] += 1
        if self.disruptions > 0:
            self.window_errors[code] += 1
