"""Per-process metrics in the Prometheus text exposition format (version 0.0.4).

Small enough to keep without a client library: counters by label, one gauge family and one histogram. Each
server process exposes its own; Prometheus sums over processes.
"""

from __future__ import annotations

import bisect
from collections import Counter

__all__ = ["Metrics"]

# seconds from an answer frame read off the socket (before decoding, and before waiting for the connection's previous
# move) to its reply sent; applied answers only (candidate_ws.py observes it)
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """Counters, gauges and the answer-latency histogram of one process."""

    def __init__(self) -> None:
        self.connections: Counter[str] = Counter()  # live, by kind (candidate / proctor)
        self.frames: Counter[str] = Counter()  # received, by kind
        self.errors: Counter[str] = Counter()  # sent, by code
        self.suppressed: Counter[str] = Counter()  # noise held back by the store, by kind (the store's own counter)
        self.answers = 0
        self.conflicts = 0
        self._bucket_counts = [0] * (len(_BUCKETS) + 1)
        self._latency_sum = 0.0

    def observe_answer(self, seconds: float) -> None:
        """Count an applied answer and its latency."""
        self.answers += 1
        self._bucket_counts[bisect.bisect_left(_BUCKETS, seconds)] += 1
        self._latency_sum += seconds

    def error(self, code: str) -> None:
        self.errors[code] += 1

    def render(self, live_sessions: int) -> str:
        """The exposition text."""
        out = [
            "# HELP cat_live_connections Open WebSocket connections of this process.",
            "# TYPE cat_live_connections gauge",
        ]
        out += [f'cat_live_connections{{kind="{k}"}} {self.connections[k]}' for k in ("candidate", "proctor")]
        out += [
            "# HELP cat_live_sessions Candidate sessions with a connection on this process.",
            "# TYPE cat_live_sessions gauge",
            f"cat_live_sessions {live_sessions}",
            "# HELP cat_answers_total Answers applied and stored.",
            "# TYPE cat_answers_total counter",
            f"cat_answers_total {self.answers}",
            "# HELP cat_store_conflicts_total Commits retried because another process changed the session first.",
            "# TYPE cat_store_conflicts_total counter",
            f"cat_store_conflicts_total {self.conflicts}",
            "# HELP cat_frames_total Frames received, by endpoint.",
            "# TYPE cat_frames_total counter",
        ]
        out += [f'cat_frames_total{{kind="{k}"}} {v}' for k, v in sorted(self.frames.items())]
        out += ["# HELP cat_errors_total Errors sent to clients, by code.", "# TYPE cat_errors_total counter"]
        out += [f'cat_errors_total{{code="{k}"}} {v}' for k, v in sorted(self.errors.items())]
        out += [
            "# HELP cat_suppressed_total Audit entries and room events of repeats and reconnects held back (counted,"
            " not stored) over a session's budget.",
            "# TYPE cat_suppressed_total counter",
        ]
        out += [f'cat_suppressed_total{{kind="{k}"}} {self.suppressed[k]}' for k in ("audit", "events")]
        out += [
            "# HELP cat_answer_seconds Time from an answer frame received to its reply sent.",
            "# TYPE cat_answer_seconds histogram",
        ]
        running = 0
        for bound, count in zip((*_BUCKETS, float("inf")), self._bucket_counts, strict=True):
            running += count
            label = "+Inf" if bound == float("inf") else repr(bound)
            out.append(f'cat_answer_seconds_bucket{{le="{label}"}} {running}')
        out += [f"cat_answer_seconds_sum {self._latency_sum:.6f}", f"cat_answer_seconds_count {running}"]
        return "\n".join(out) + "\n"
