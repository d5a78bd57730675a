"""After the run: what the server stored, against what the clients saw; and how accurate the scores are.

Exactly once (``docs/protocol.md``): every answer a client saw acknowledged must be applied exactly once. The audit
log of each session (``GET /api/sessions/{id}/audit``) lists every answer frame the server handled; an *applied*
one is an ``answer`` entry with ``response_ms`` and no ``outcome`` (a resend answered from the stored reply has
``outcome: duplicate``, a late one ``outcome: time_up``). Entries of other kinds (``hello``, ``presented``,
proctor commands, ``start``) say nothing about answers; ``start`` entries are only counted: those that began the
battery or a subtest (no ``outcome``) and those that changed nothing (an ``outcome``: a repeat, a closed room).
Per session:

* **lost** - acknowledged seqs with no applied entry;
* **duplicated** - applied entries beyond the first for one seq;
* **mismatched** - acknowledged seqs applied with another item or response than the client sent;
* **unacknowledged** - applied seqs the client never saw acknowledged (only a run cut short leaves these);
* the profile's ``items_administered``, summed over subtests, must equal the applied answers.

Accuracy: the final theta of each subtest from the full profile (``GET /api/sessions/{id}``) against the examinee's
true theta: bias and RMSE per subtest, beside the same statistics of :func:`cat_engine.simulate.simulate_battery`
for the same battery and the same true thetas, computed in the same run.
"""

from __future__ import annotations

import functools
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from cat_engine.battery import Battery
from cat_engine.simulate import simulate_battery

from .candidate import Candidate
from .deployment import Room, Sitter
from .proctor import Proctor
from .target import AdminApi, ApiError

__all__ = [
    "AnswerCheck",
    "Verification",
    "accuracy",
    "answered_events",
    "check_answers",
    "fetch_sessions",
    "profile_items",
    "reference",
    "rmse_comparison",
    "verify_run",
]


@dataclass
class AnswerCheck:
    """The exactly-once check of one session (or, added up, of a run)."""

    acknowledged: int = 0
    applied: int = 0
    lost: int = 0
    duplicated: int = 0
    mismatched: int = 0
    unacknowledged: int = 0
    resends: int = 0
    late: int = 0
    profile_mismatch: int = 0
    starts: int = 0
    starts_unchanged: int = 0
    lost_seqs: list[tuple[str, int]] = field(default_factory=list)

    def add(self, other: AnswerCheck) -> None:
        for name in ("acknowledged", "applied", "lost", "duplicated", "mismatched", "unacknowledged", "resends"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.starts += other.starts
        self.starts_unchanged += other.starts_unchanged
        self.late += other.late
        self.profile_mismatch += other.profile_mismatch
        self.lost_seqs += other.lost_seqs


def check_answers(
    acked: Mapping[int, tuple[str, int]], entries: Sequence[Mapping[str, Any]], session_id: str = ""
) -> AnswerCheck:
    """Compare a client's acknowledged answers with a session's audit entries.

    Parameters
    ----------
    acked : mapping
        ``seq -> (item_id, response)`` the client saw acknowledged.
    entries : sequence of mapping
        The session's audit entries.
    session_id : str
        Named in ``lost_seqs``.
    """
    applied: dict[int, list[Mapping[str, Any]]] = {}
    out = AnswerCheck(acknowledged=len(acked))
    for e in entries:
        if e.get("kind") == "start":
            if e.get("outcome"):
                out.starts_unchanged += 1
            else:
                out.starts += 1
        if e.get("kind") != "answer":  # hello, presented, start, proctor...: not an answer frame
            continue
        outcome = e.get("outcome")
        if outcome == "duplicate":
            out.resends += 1
        elif outcome == "time_up":
            out.late += 1
        elif "response_ms" in e:
            applied.setdefault(int(e["seq"]), []).append(e)
    out.applied = sum(len(v) for v in applied.values())
    out.duplicated = sum(len(v) - 1 for v in applied.values())
    for seq, (item_id, response) in acked.items():
        found = applied.get(seq)
        if not found:
            out.lost += 1
            out.lost_seqs.append((session_id, seq))
        elif found[0].get("item_id") != item_id or found[0].get("response") != response:
            out.mismatched += 1
    out.unacknowledged = sum(1 for seq in applied if seq not in acked)
    return out


T = TypeVar("T")


def retried(call: Callable[[], T], tries: int = 5, wait_s: float = 1.0) -> T:
    """``call()``, tried again after ``wait_s`` (doubling) while it fails with a retryable :class:`ApiError` (no
    answer, or 503: the store unavailable for now, as while a Redis Cluster fails over), ``tries`` times in all."""
    for attempt in range(tries):
        try:
            return call()
        except ApiError as err:
            if not err.retryable or attempt == tries - 1:
                raise
            time.sleep(wait_s * 2**attempt)
    raise AssertionError("unreachable")


def fetch_sessions(
    admin: AdminApi, session_ids: Sequence[str], threads: int = 8
) -> dict[str, tuple[list[dict[str, Any]], dict[str, Any]] | None]:
    """``(audit entries, session)`` of each session from the admin API (None where a request failed)."""

    def one(sid: str) -> tuple[list[dict[str, Any]], dict[str, Any]] | None:
        try:
            return retried(lambda: admin.audit(sid)), retried(lambda: admin.session(sid))
        except ApiError:
            return None

    with ThreadPoolExecutor(threads) as pool:
        return dict(zip(session_ids, pool.map(one, session_ids), strict=True))


def profile_items(profile: Mapping[str, Any] | None) -> int:
    """Answers a full profile counts (``items_administered`` over subtests)."""
    return 0 if profile is None else sum(int(s.get("items_administered") or 0) for s in profile.get("subtests", []))


def accuracy(truth: Mapping[str, float], profiles: Mapping[str, Mapping[str, Any] | None]) -> dict[str, dict[str, Any]]:
    """Bias and RMSE of the final theta per subtest, over the sessions with a profile.

    Parameters
    ----------
    truth : mapping
        Session id -> true theta.
    profiles : mapping
        Session id -> full profile (None when there is none).
    """
    errors: dict[str, list[float]] = {}
    lengths: dict[str, list[int]] = {}
    for sid, profile in profiles.items():
        if profile is None or sid not in truth:
            continue
        for row in profile.get("subtests", []):
            if row.get("stop_reason") == "terminated" or not row.get("items_administered"):
                continue
            errors.setdefault(row["subtest_id"], []).append(float(row["theta"]) - truth[sid])
            lengths.setdefault(row["subtest_id"], []).append(int(row["items_administered"]))
    return {
        sub: {**_bias_rmse(np.asarray(e)), "mean_length": round(float(np.mean(lengths[sub])), 3)}
        for sub, e in errors.items()
    }


def _bias_rmse(error: np.ndarray[Any, np.dtype[np.float64]]) -> dict[str, Any]:
    return {
        "n": int(error.size),
        "bias": round(float(error.mean()), 4),
        "rmse": round(float(np.sqrt(np.mean(error**2))), 4),
    }


def reference(
    battery: Battery, true_theta: Sequence[float] | npt.NDArray[np.float64], seed: int
) -> tuple[dict[str, dict[str, Any]], list[int]]:
    """``cat-sim``'s bias, RMSE and mean test length per subtest for the same battery and true thetas, and each
    examinee's number of answers over the battery in that simulation (what the run can expect before it has run)."""
    results = simulate_battery(battery, np.asarray(true_theta, dtype=np.float64), seed)
    out = {}
    answers = np.zeros(len(true_theta), dtype=np.int64)
    for sim in results:
        row = _bias_rmse(sim.theta - sim.true_theta)
        row["mean_length"] = round(float(sim.lengths.mean()), 3)
        out[sim.subtest.id] = row
        answers += sim.lengths
    return out, answers.tolist()


def rmse_comparison(
    measured: Mapping[str, Mapping[str, Any]], ref: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, dict[str, Any]], float | None]:
    """Per subtest: the run's RMSE and bias beside cat-sim's, and their ratio; plus the largest ``|ratio - 1|``."""
    rows: dict[str, dict[str, Any]] = {}
    worst: float | None = None
    for sub, r in ref.items():
        m = measured.get(sub, {})
        ratio = None
        if m.get("rmse") is not None and r["rmse"] > 0:
            ratio = round(m["rmse"] / r["rmse"], 4)
            worst = max(worst or 0.0, abs(ratio - 1.0))
        rows[sub] = {
            "n": m.get("n", 0),
            "rmse": m.get("rmse"),
            "bias": m.get("bias"),
            "mean_length": m.get("mean_length"),
            "reference_rmse": r["rmse"],
            "reference_bias": r["bias"],
            "reference_mean_length": r["mean_length"],
            "ratio": ratio,
        }
    return rows, None if worst is None or math.isnan(worst) else round(worst, 4)


def answered_events(watched: Sequence[tuple[Counter[str], Mapping[str, int]]]) -> dict[str, int]:
    """Proctors' ``answered`` events against the answers the server applied.

    Each proctor of a room should see exactly one ``answered`` event per applied answer of each session of its
    room. ``watched`` holds, per proctor, its ``answered`` count per session and the applied answers of each
    session of its room. Returns the events missing and the events in excess, added up over proctors.
    """
    missing = extra = 0
    for counts, applied in watched:
        for sid, n in applied.items():
            seen = counts.get(sid, 0)
            missing += max(n - seen, 0)
            extra += max(seen - n, 0)
        extra += sum(v for sid, v in counts.items() if sid not in applied)
    return {"missing": missing, "extra": extra}


def results_consistency(admin: AdminApi, rooms: Sequence[Room], profiles: Mapping[str, Any]) -> dict[str, int]:
    """The rooms' result rows against the profiles: rows, finished sessions, thetas that differ."""
    rows: list[dict[str, Any]] = []
    for room in rooms:
        rows += retried(functools.partial(admin.results, room.room_id))
    theta = {
        (sid, s["subtest_id"]): s["theta"]
        for sid, p in profiles.items()
        if p is not None
        for s in p.get("subtests", [])
    }
    mismatch = sum(
        1
        for row in rows
        if (key := (row["session_id"], row["subtest"])) in theta and abs(float(row["theta"]) - float(theta[key])) > 1e-6
    )
    finished = {row["session_id"] for row in rows if row.get("status") == "finished" and row.get("complete")}
    return {"rows": len(rows), "finished_sessions": len(finished), "theta_mismatch": mismatch}


def room_gate(rooms: Sequence[Room], proctors: Sequence[Proctor], clients: Sequence[Candidate]) -> dict[str, int]:
    """The rooms' opening: rooms, rooms a proctor opened (``open_room`` acknowledged), rooms a proctor found open
    already, examinees who got ``waiting`` (their room closed) at least once, and ``start`` frames the examinees
    sent."""
    opened = {p.token for p in proctors if p.opened}
    found_open = {p.token for p in proctors if p.found_open} - opened
    return {
        "rooms": len(rooms),
        "rooms_opened": sum(1 for room in rooms if room.proctor_token in opened),
        "rooms_found_open": sum(1 for room in rooms if room.proctor_token in found_open),
        "examinees_waited": sum(1 for c in clients if c.waits),
        "starts": sum(c.starts for c in clients),
    }


@dataclass
class Verification:
    """What the server stored, against what the clients and the proctors saw."""

    answers: AnswerCheck
    profiles: dict[str, Any]
    results: dict[str, int]
    proctors: dict[str, Any]
    unreadable: int


def verify_run(
    admin: AdminApi,
    sitters: Sequence[Sitter],
    clients: Sequence[Candidate],
    rooms: Sequence[Room],
    proctors: Sequence[Proctor],
    room_of_proctor: Sequence[int],
    *,
    openers: Sequence[Proctor] = (),
) -> Verification:
    """Check every session of a run (``clients[i]`` sat as ``sitters[i]``; examinees who never arrived have no
    client and no acknowledged answer). ``openers`` opened the rooms (``open_room``) before the examinees came;
    the proctors' summary counts the rooms a proctor of the run opened and the examinees who found their room
    closed (``waiting``) at least once."""
    stored = fetch_sessions(admin, [s.session_id for s in sitters])
    total = AnswerCheck()
    applied: dict[str, int] = {}
    profiles: dict[str, Any] = {}
    unreadable = 0
    for n, s in enumerate(sitters):
        acked = clients[n].acked if n < len(clients) else {}
        found = stored.get(s.session_id)
        if found is None:
            unreadable += 1
            continue
        entries, session = found
        check = check_answers(acked, entries, s.session_id)
        profile = session.get("profile")
        profiles[s.session_id] = profile
        if profile is not None and profile_items(profile) != check.applied:
            check.profile_mismatch += 1
        applied[s.session_id] = check.applied
        total.add(check)
    watched = [
        (p.answered, {sid: applied.get(sid, 0) for sid in rooms[r].session_ids})
        for p, r in zip(proctors, room_of_proctor, strict=True)
    ]
    events = answered_events(watched)
    kinds: Counter[str] = Counter()
    for p in proctors:
        kinds.update(p.events)
    summary = {
        "connections": len(proctors),
        "events": sum(kinds.values()),
        "events_by_type": dict(sorted(kinds.items())),
        "duplicates": sum(p.duplicates for p in proctors),
        "reconnects": sum(max(p.reconnects, 0) for p in proctors),
        "answered_missing": events["missing"],
        "answered_extra": events["extra"],
        **room_gate(rooms, [*openers, *proctors], clients),
        "starts_applied": total.starts,
        "starts_unchanged": total.starts_unchanged,
    }
    return Verification(total, profiles, results_consistency(admin, rooms, profiles), summary, unreadable)
