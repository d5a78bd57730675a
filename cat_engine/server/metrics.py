"""The server's Prometheus metrics (docs/protocol.md, "Metrics"), kept by ``prometheus_client``; on a host that runs
several server processes they add up across them.

Two modes, fixed when ``prometheus_client`` is first imported (it reads ``PROMETHEUS_MULTIPROC_DIR`` then):

* **One process** (the variable unset): each :class:`Metrics` keeps its metrics in a registry of its own, never the
  client's global one, so apps built side by side in one process (the tests) never see each other's counts.
* **Several processes** (the variable names a directory): each process writes its values to files of its own pid in
  that directory, and ``/metrics``, whichever process answers it, merges every file there
  (``MultiProcessCollector`` on a fresh registry): counters and histograms are summed over the processes, ended ones
  included, so they never go backwards while the host runs; gauges are summed over the live processes
  (``livesum``) or their largest is taken (``livemax``). ``python server.py`` with ``CAT_WORKERS > 1`` makes a
  fresh directory before uvicorn starts the workers (:func:`prepare_multiprocess_dir`); for
  ``uvicorn server:app --workers N`` the operator sets the variable to an empty directory. A process that ends
  removes its live gauges (:meth:`Metrics.close`); those of a process that died without are dropped at the next
  scrape. In this mode one process holds one :class:`Metrics` (a second would share its files).

Invariants
----------
* Every family is in the exposition from the start, each fixed label value (``kind``, every wire error ``code``)
  at 0, in both modes, so a rate never starts from a missing series.
* Room labels are bounded: a process gives their own label to the first :data:`MAX_ROOM_LABELS` rooms its candidates
  use (the rooms of an exam day, far fewer) and counts any later room under ``room="other"``. A room keeps the label
  it got for the life of the process, so a gauge goes down under the label it went up under.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from collections.abc import Iterable, MutableMapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics, generate_latest
from prometheus_client import values as _values
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from .wire_errors import WIRE_ERRORS

__all__ = [
    "CONTENT_TYPE",
    "MAX_ROOM_LABELS",
    "MULTIPROC_ENV",
    "OTHER_ROOM",
    "Metrics",
    "prepare_multiprocess_dir",
]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MAX_ROOM_LABELS = 500
OTHER_ROOM = "other"  # not a room id (those are 6 characters)
CONNECTION_KINDS = ("candidate", "proctor")
SUPPRESSED_KINDS = ("audit", "events")

# seconds from an answer frame read off the socket (before decoding, and before waiting for the connection's previous
# move) to its reply sent; applied answers only (candidate_ws.py observes it)
ANSWER_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# seconds of one Store.commit (a Lua script on Redis, about a millisecond; microseconds in memory)
COMMIT_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)

# _created series (the start time of each counter) would only double the exposition; multiprocess mode has none.
# (The client leaves a few functions untyped: hence the ignores in this module.)
disable_created_metrics()  # type: ignore[no-untyped-call]


def _multiprocess_dir() -> str | None:
    """The directory of multiprocess mode, None in one-process mode (as the client chose at its import)."""
    if not getattr(_values.ValueClass, "_multiprocess", False):
        return None
    return os.environ.get(MULTIPROC_ENV) or None


def prepare_multiprocess_dir(env: MutableMapping[str, str]) -> str | None:
    """Give the server processes about to start an empty multiprocess directory, named in ``env``.

    The operator's ``PROMETHEUS_MULTIPROC_DIR``, if set, is made if missing and emptied of the client's files
    (``*.db``: values of an earlier run would be added to this one's); otherwise a fresh directory is made under the
    system's temporary directory and set in ``env``. Returns the directory made here (the caller removes it at
    exit), or None for the operator's.
    """
    given = env.get(MULTIPROC_ENV)
    if given:
        os.makedirs(given, exist_ok=True)
        for path in glob.glob(os.path.join(given, "*.db")):
            os.remove(path)
        return None
    made = tempfile.mkdtemp(prefix="cat-metrics-")
    env[MULTIPROC_ENV] = made
    return made


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped by its parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):  # no /proc: trust the signal
        return True


def _drop_dead(path: str) -> None:
    """Remove the live gauges of processes that ended without :meth:`Metrics.close` (killed), as
    ``mark_process_dead`` would; another process's scrape may be removing them at the same time."""
    alive: dict[str, bool] = {}
    for file in glob.glob(os.path.join(path, "gauge_live*_*.db")):
        pid = os.path.basename(file)[: -len(".db")].rsplit("_", 1)[1]
        if pid.isdigit() and pid not in alive:
            alive[pid] = _alive(int(pid))
        if not alive.get(pid, True):
            with contextlib.suppress(FileNotFoundError):
                os.remove(file)


class _Merged(Collector):
    """Every process's values merged from the multiprocess directory, in the order and with the families of this
    process's registry (a family no process has written yet still gets its HELP and TYPE)."""

    def __init__(self, path: str, own: CollectorRegistry) -> None:
        self._path = path
        self._own = own

    def collect(self) -> Iterable[Metric]:
        _drop_dead(self._path)
        files = MultiProcessCollector(None, self._path)  # type: ignore[no-untyped-call]
        merged = {m.name: m for m in files.collect()}  # type: ignore[no-untyped-call]
        for family in self._own.collect():
            yield merged.pop(family.name, None) or Metric(family.name, family.documentation, family.type)
        yield from merged.values()


class Metrics:
    """The metrics of one server process (see the module docstring for the two modes).

    Parameters
    ----------
    max_rooms : int
        Rooms that get a label of their own (:data:`MAX_ROOM_LABELS`); later rooms are ``room="other"``.
    """

    def __init__(self, max_rooms: int = MAX_ROOM_LABELS) -> None:
        self.multiprocess_dir = _multiprocess_dir()
        self.registry = r = CollectorRegistry()
        self._max_rooms = max_rooms
        self._rooms: set[str] = set()
        self._connections = Gauge(
            "cat_live_connections",
            "Open WebSocket connections, by endpoint.",
            ["kind"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self._sessions = Gauge(
            "cat_live_sessions",
            "Candidate sessions with a connection (a session with connections on two processes counts twice).",
            registry=r,
            multiprocess_mode="livesum",
        )
        self._answers = Counter("cat_answers", "Answers applied and stored.", registry=r)
        self._answer_seconds = Histogram(
            "cat_answer_seconds",
            "Time from an answer frame received to its reply sent.",
            registry=r,
            buckets=ANSWER_BUCKETS,
        )
        self._conflicts = Counter(
            "cat_store_conflicts",
            "Commits retried because another process changed the session first.",
            registry=r,
        )
        self._commit_seconds = Histogram(
            "cat_store_commit_seconds", "Time of one store commit.", registry=r, buckets=COMMIT_BUCKETS
        )
        self._frames = Counter("cat_frames", "Frames received, by endpoint.", ["kind"], registry=r)
        self._errors = Counter("cat_errors", "Errors sent to clients, by code.", ["code"], registry=r)
        self._suppressed = Counter(
            "cat_suppressed",
            "Audit entries and room events of repeats and reconnects held back (counted, not stored) over a"
            " session's budget.",
            ["kind"],
            registry=r,
        )
        self._loop_lag = Gauge(
            "cat_event_loop_lag_seconds",
            "How late the event loop ran a 0.5 s sleep, the largest of the last 15 s (the largest process).",
            registry=r,
            multiprocess_mode="livemax",
        )
        self._room_live = Gauge(
            "cat_room_live_candidates",
            "Candidate sessions with a connection, by room (room=other: rooms beyond the label bound).",
            ["room"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self._room_answers = Counter(
            "cat_room_answers",
            "Answers applied and stored, by room (room=other: rooms beyond the label bound).",
            ["room"],
            registry=r,
        )
        # the fixed label values, at 0 from the start (and the hot paths' children looked up once)
        self._connection_of = {kind: self._connections.labels(kind) for kind in CONNECTION_KINDS}
        self._frames_of = {kind: self._frames.labels(kind) for kind in CONNECTION_KINDS}
        self._errors_of = {code: self._errors.labels(code) for code in WIRE_ERRORS}
        self._suppressed_of = {kind: self._suppressed.labels(kind) for kind in SUPPRESSED_KINDS}

    # --- recording ---------------------------------------------------------------------------------------------

    def connection_opened(self, kind: str) -> None:
        self._connection_of[kind].inc()

    def connection_closed(self, kind: str) -> None:
        self._connection_of[kind].dec()

    def frame(self, kind: str) -> None:
        """Count a frame received on a ``kind`` endpoint."""
        self._frames_of[kind].inc()

    def error(self, code: str) -> None:
        """Count an error sent (a wire error code)."""
        child = self._errors_of.get(code)
        (child if child is not None else self._errors.labels(code)).inc()

    def conflict(self) -> None:
        self._conflicts.inc()

    def count_suppressed(self, kind: str, count: int) -> None:
        """Count ``count`` noise entries of ``kind`` (``audit`` or ``events``) the store held back."""
        self._suppressed_of[kind].inc(count)

    def observe_answer(self, seconds: float, room_id: str) -> None:
        """Count an applied answer of a session of ``room_id``, and its latency."""
        self._answers.inc()
        self._answer_seconds.observe(seconds)
        self._room_answers.labels(self.room_label(room_id)).inc()

    def observe_commit(self, seconds: float) -> None:
        self._commit_seconds.observe(seconds)

    def loop_lag(self, seconds: float) -> None:
        self._loop_lag.set(seconds)

    def session_opened(self, room_id: str) -> None:
        """A candidate session of ``room_id`` got its first connection on this process."""
        self._sessions.inc()
        self._room_live.labels(self.room_label(room_id)).inc()

    def session_closed(self, room_id: str) -> None:
        """A candidate session of ``room_id`` lost its last connection on this process."""
        self._sessions.dec()
        self._room_live.labels(self.room_label(room_id)).dec()

    def room_label(self, room_id: str) -> str:
        """The ``room`` label of ``room_id``: itself while fewer than ``max_rooms`` rooms have one, else ``other``."""
        if room_id in self._rooms:
            return room_id
        if len(self._rooms) < self._max_rooms:
            self._rooms.add(room_id)
            return room_id
        return OTHER_ROOM

    # --- reading -----------------------------------------------------------------------------------------------

    def value(self, name: str, **labels: str) -> float:
        """This process's own value of the sample ``name`` with ``labels`` (0 when there is none)."""
        return self.registry.get_sample_value(name, labels) or 0.0

    def render(self) -> bytes:
        """The exposition text (format 0.0.4, :data:`CONTENT_TYPE`): this process's metrics, or in multiprocess
        mode every process's, merged."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        merged.register(_Merged(self.multiprocess_dir, self.registry))
        return generate_latest(merged)

    def close(self) -> None:
        """The process is ending: in multiprocess mode its live gauges leave the sums (its counters stay)."""
        if self.multiprocess_dir is not None:
            mark_process_dead(os.getpid(), self.multiprocess_dir)  # type: ignore[no-untyped-call]
