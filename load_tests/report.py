"""The report of a run: ``report.json`` and a readable ``summary.txt``.

Everything in it was measured in the run it describes; only the targets (:mod:`load_tests.scenarios`) are given.
The keys every report has (the interface other tools rely on): ``scenario``, ``examinees``, ``answers``,
``errors``, ``lost``, ``duplicated``, ``latency_ms`` (``p50``, ``p95``, ``p99``, ``p99.9``, ``max``),
``cpu_us_per_answer``, ``floor_cpu_us_per_answer`` and ``rmse_by_subtest``. A figure that could not be measured
in the run (no floor run, a server not started here) is null.

``errors`` counts every error except the store's ``unavailable`` refusals while the store was disrupted on purpose
(a failover), which are retryable and counted in ``retryable_unavailable``. ``redis_bytes_per_session`` is the mean
Redis memory of a finished session by ``MEMORY USAGE`` (``session_memory`` has the max, the sample and the parts);
``failover`` is the failover's section (null in other scenarios).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .messages import message
from .phase import PhaseResult
from .scenarios import COMMON_CHECKS, Scenario
from .stats import central_rate, mean_rate, rate_series, summarise
from .verify import AnswerCheck

__all__ = ["REQUIRED_KEYS", "Measurements", "build_report", "lookup", "summary_text", "write_report"]

REQUIRED_KEYS = (
    "scenario",
    "examinees",
    "answers",
    "errors",
    "lost",
    "duplicated",
    "latency_ms",
    "cpu_us_per_answer",
    "floor_cpu_us_per_answer",
    "rmse_by_subtest",
)


@dataclass
class Measurements:
    """Everything a run measured, handed to :func:`build_report`."""

    scenario: Scenario
    settings: dict[str, Any]
    started_at: str
    machine: dict[str, Any]
    load: PhaseResult
    floor: list[PhaseResult]  # the floor runs in the order they ran (before and after the load); empty: none
    floor_redis: bool
    answers: AnswerCheck
    rmse_by_subtest: dict[str, dict[str, Any]]
    rmse_max_deviation: float | None
    redis_memory: dict[str, Any] | None
    proctors: dict[str, Any]
    storm: dict[str, Any] | None
    results: dict[str, Any]
    session_memory: dict[str, Any] | None = None
    failover: dict[str, Any] | None = None


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else round(a / b, 3)


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def lookup(report: dict[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` in the report (None when absent)."""
    value: Any = report
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _floor_phase(f: PhaseResult) -> dict[str, Any]:
    return {
        "answers": f.rec.answers,
        "frame_bytes": f.rec.mean_frame_bytes,
        "cpu_us_per_answer": f.per_answer_us(f.server_cpu_s),
        "redis_cpu_us_per_answer": f.per_answer_us(f.redis_cpu_s),
        "generator_cpu_us_per_answer": f.per_answer_us(f.generator_cpu_s),
        "duration_s": round(f.seconds, 2),
    }


def build_report(m: Measurements) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    rec, sc = m.load.rec, m.scenario
    latency = summarise(rec.latency_ms)
    finished = sum(1 for c in m.load.clients if c.outcome == "finished")
    cpu_us = m.load.per_answer_us(m.load.server_cpu_s)
    floor_answers = sum(f.rec.answers for f in m.floor)
    # over all floor runs: one before and one after the load phase, so a drift of the machine's speed cancels
    floor_cpu_s = [f.server_cpu_s for f in m.floor if f.server_cpu_s is not None]
    floor_cpu_us = (
        round(sum(floor_cpu_s) / floor_answers * 1e6, 1) if floor_answers and len(floor_cpu_s) == len(m.floor) else None
    )
    floor_latency = summarise([x for f in m.floor for x in f.rec.latency_ms]) if m.floor else None
    _, achieved = rate_series(rec.ack_t)
    report: dict[str, Any] = {
        "scenario": sc.name,
        "examinees": sc.examinees,
        "finished": finished,
        "unfinished": sc.examinees - finished,
        "answers": rec.answers,
        "applied": m.answers.applied,
        "errors": sum(rec.errors.values()),
        "errors_by_code": dict(sorted(rec.errors.items())),
        "retryable_unavailable": sum(rec.retryable.values()),
        "lost": m.answers.lost,
        "duplicated": m.answers.duplicated,
        "mismatched": m.answers.mismatched,
        "unacknowledged": m.answers.unacknowledged,
        "resends_answered_from_storage": m.answers.resends,
        "late_answers": m.answers.late,
        "profile_mismatch": m.answers.profile_mismatch,
        "lost_examples": [f"{sid}#{seq}" for sid, seq in m.answers.lost_seqs[:20]],
        "latency_ms": latency,
        "connect_ms": summarise(rec.connect_ms),
        "resume_ms": summarise(rec.resume_ms),
        "recovered_answers": len(rec.recovered_ms),
        "recovered_ms": summarise(rec.recovered_ms),
        "send_lag_ms": summarise(rec.lag_ms) if sc.mode == "open" else None,
        "throughput": {
            "duration_s": round(m.load.seconds, 2),
            "offered_per_s": _rate(mean_rate(rec.due_t)),
            "achieved_per_s": _rate(mean_rate(rec.ack_t)),
            "sustained_offered_per_s": _rate(central_rate(rec.due_t)),
            "sustained_achieved_per_s": _rate(central_rate(rec.ack_t)),
            "peak_achieved_1s": float(achieved.max()) if rec.answers else None,
        },
        "connections": {"lost": dict(rec.drops), "failed_connect_attempts": rec.reconnect_attempts},
        "cpu_us_per_answer": cpu_us,
        "redis_cpu_us_per_answer": m.load.per_answer_us(m.load.redis_cpu_s),
        "generator_cpu_us_per_answer": m.load.per_answer_us(m.load.generator_cpu_s),
        "server_cpu_s": None if m.load.server_cpu_s is None else round(m.load.server_cpu_s, 3),
        "server_rss_max_mb": None if not m.load.max_rss else round(m.load.max_rss / 2**20, 1),
        "floor_cpu_us_per_answer": floor_cpu_us,
        "floor": None
        if not m.floor
        else {
            "redis_round_trip": m.floor_redis,
            "answers": floor_answers,
            "errors": sum(sum(f.rec.errors.values()) for f in m.floor),
            "latency_ms": floor_latency,
            "cpu_us_per_answer": floor_cpu_us,
            "phases": [_floor_phase(f) for f in m.floor],
        },
        "ratio_to_floor": {
            "cpu": _ratio(cpu_us, floor_cpu_us),
            "latency_p50": _ratio(latency["p50"], floor_latency["p50"] if floor_latency else None),
            "latency_p99": _ratio(latency["p99"], floor_latency["p99"] if floor_latency else None),
        },
        "item_frame_bytes": rec.mean_frame_bytes,
        "rmse_by_subtest": m.rmse_by_subtest,
        "rmse_max_deviation": m.rmse_max_deviation,
        "redis_memory": m.redis_memory,
        "redis_bytes_per_session": None if m.session_memory is None else m.session_memory["mean"],
        "session_memory": m.session_memory,
        "proctors": m.proctors,
        "storm": m.storm,
        "failover": m.failover,
        "results": m.results,
        "disruptions": [{"t": t, "event": label} for t, label in rec.marks],
        "settings": m.settings,
        "machine": m.machine,
        "started_at": m.started_at,
    }
    report["checks"] = [
        {
            "name": c.name,
            "value": lookup(report, c.path),
            "op": c.op,
            "limit": c.limit,
            "passed": c.passed(lookup(report, c.path)),
        }
        for c in (*COMMON_CHECKS, *sc.checks)
    ]
    return report


def _stats(s: dict[str, Any] | None, lang: str) -> str:
    if not s or not s.get("n"):
        return message("none", lang)
    return "  ".join(f"{k} {s[k]:.1f}" for k in ("p50", "p95", "p99", "p99.9", "max")) + f"  (n={s['n']})"


def _num(value: float | None, fmt: str = ".0f") -> str:
    return "-" if value is None else format(value, fmt)


def _floor_phases(floor: dict[str, Any]) -> str:
    return " / ".join(_num(p["cpu_us_per_answer"]) for p in floor["phases"])


def summary_text(r: dict[str, Any], lang: str) -> str:
    """The report as lines for people."""
    s = r["settings"]
    lines = [
        message(
            "title",
            lang,
            scenario=r["scenario"],
            examinees=r["examinees"],
            rooms=s["rooms"],
            store=s["store"],
            instances=s["instances"],
            workers=s["workers"],
            mode=message(f"mode_{s['mode']}", lang),
            think=s["think"],
            scale=s["time_scale"],
        ),
        message("target_line", lang, target=message("own_target", lang) if s["target"] == "own" else s["target"]),
        message("machine_line", lang, **r["machine"]),
        message(
            "finished_line",
            lang,
            finished=r["finished"],
            examinees=r["examinees"],
            seconds=r["throughput"]["duration_s"],
            answers=r["answers"],
            applied=r["applied"],
        ),
        message("latency_line", lang, stats=_stats(r["latency_ms"], lang)),
    ]
    if r["floor"]:
        lines.append(message("floor_latency_line", lang, stats=_stats(r["floor"]["latency_ms"], lang)))
    lines.append(message("connect_line", lang, stats=_stats(r["connect_ms"], lang)))
    if r["resume_ms"]["n"]:
        lines.append(message("resume_line", lang, stats=_stats(r["resume_ms"], lang), recovered=r["recovered_answers"]))
    if r["send_lag_ms"]:
        lines.append(message("lag_line", lang, stats=_stats(r["send_lag_ms"], lang)))
    t = r["throughput"]
    lines += [
        message(
            "throughput_line",
            lang,
            offered=_num(t["offered_per_s"], ".1f"),
            achieved=_num(t["achieved_per_s"], ".1f"),
            s_offered=_num(t["sustained_offered_per_s"], ".1f"),
            s_achieved=_num(t["sustained_achieved_per_s"], ".1f"),
            peak=_num(t["peak_achieved_1s"]),
        ),
        *([_gate_line(r["proctors"], lang)] if r["proctors"].get("rooms") else []),
        message("errors_line", lang, n=r["errors"], codes=r["errors_by_code"] or ""),
        *([message("retryable_line", lang, n=r["retryable_unavailable"])] if r.get("retryable_unavailable") else []),
        message(
            "drops_line",
            lang,
            drops=r["connections"]["lost"] or 0,
            attempts=r["connections"]["failed_connect_attempts"],
        ),
        message(
            "exactly_once_line",
            lang,
            lost=r["lost"],
            duplicated=r["duplicated"],
            mismatched=r["mismatched"],
            unacknowledged=r["unacknowledged"],
            resends=r["resends_answered_from_storage"],
            profile=r["profile_mismatch"],
        ),
        message(
            "cpu_line",
            lang,
            cpu=_num(r["cpu_us_per_answer"]),
            floor=_num(r["floor_cpu_us_per_answer"]),
            ratio=_num(r["ratio_to_floor"]["cpu"], ".2f"),
            redis=_num(r["redis_cpu_us_per_answer"]),
            gen=_num(r["generator_cpu_us_per_answer"]),
        ),
        *([message("floor_phases_line", lang, cpu=_floor_phases(r["floor"]))] if r["floor"] else []),
        message(
            "ratio_line",
            lang,
            p50=_num(r["ratio_to_floor"]["latency_p50"], ".2f"),
            p99=_num(r["ratio_to_floor"]["latency_p99"], ".2f"),
            cpu=_num(r["ratio_to_floor"]["cpu"], ".2f"),
        ),
    ]
    mem = r["redis_memory"]
    if mem:
        lines.append(
            message(
                "memory_line",
                lang,
                per_session=_num(mem["per_session_bytes"] / 1024 if mem["per_session_bytes"] is not None else None),
                per_answer=_num(mem["per_answer_bytes"] / 1024 if mem["per_answer_bytes"] is not None else None, ".2f"),
                delta=_num(mem["delta_bytes"] / 2**20, ".1f"),
                n=mem["sessions"],
                rss=_num(r["server_rss_max_mb"]),
            )
        )
    sm = r.get("session_memory")
    if sm:
        parts = ", ".join(f"{k} {v}" for k, v in sm["parts_mean"].items())
        lines.append(
            message(
                "session_memory_line",
                lang,
                mean=_num(sm["mean"] / 1024, ".1f"),
                max=_num(sm["max"] / 1024, ".1f"),
                n=sm["sampled"],
                rooms=sm["rooms"],
                parts=parts,
            )
        )
    lines.append(message("accuracy_title", lang))
    for sub, row in r["rmse_by_subtest"].items():
        lines.append(
            message(
                "accuracy_row",
                lang,
                sub=sub,
                n=row["n"],
                rmse=_num(row["rmse"], ".3f"),
                ref=_num(row["reference_rmse"], ".3f"),
                ratio=_num(row["ratio"], ".3f"),
                bias=_num(row["bias"], "+.3f"),
                ref_bias=_num(row["reference_bias"], "+.3f"),
                length=_num(row.get("mean_length"), ".1f"),
                ref_length=_num(row.get("reference_mean_length"), ".1f"),
            )
        )
    p = r["proctors"]
    if p.get("connections"):
        lines.append(
            message(
                "proctor_line",
                lang,
                n=p["connections"],
                events=p["events"],
                kinds=p["events_by_type"],
                dup=p["duplicates"],
                missing=p["answered_missing"],
                extra=p["answered_extra"],
                reconnects=p["reconnects"],
            )
        )
    if r["storm"]:
        st = r["storm"]
        lines.append(
            message(
                "storm_line", lang, dropped=st["dropped"], resumed=st["resumed"], stats=_stats(st["resume_ms"], lang)
            )
        )
    fo = r.get("failover")
    if fo:
        lines.append(
            message(
                "failover_line",
                lang,
                node=fo["killed_node"] or "-",
                rooms=_num(fo["rooms_on_it"]),
                answers=_num(fo["at_answers"]),
                failover=_num(fo["failover_s"], ".2f"),
                rejoined=_num(fo["rejoined_s"], ".2f"),
                slowest=_num(fo["slowest_recovery_s"], ".2f"),
                p50=_num(fo["recovery_s"]["p50"], ".2f"),
                sitting=fo["examinees_sitting"],
                unrecovered=_num(fo["unrecovered"]),
                codes=fo["errors_by_code"] or "-",
            )
        )
        if fo.get("problem"):
            lines.append(message("failover_problem", lang, problem=fo["problem"]))
    res = r["results"]
    lines.append(
        message(
            "results_line", lang, sessions=res["finished_sessions"], rows=res["rows"], mismatch=res["theta_mismatch"]
        )
    )
    if r["disruptions"]:
        marks = ", ".join(f"{d['t']:.1f} s {d['event']}" for d in r["disruptions"])
        lines.append(message("marks_line", lang, marks=marks))
    lines.append(message("checks_title", lang))
    for c in r["checks"]:
        verdict = message("check_ok" if c["passed"] else "check_fail", lang)
        lines.append(f"  [{verdict}] {c['name']}: {c['value']} ({c['op']} {c['limit']:g})")
    return "\n".join(lines) + "\n"


def _default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Counter):
        return dict(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_report(report: dict[str, Any], directory: Path, lang: str) -> tuple[Path, str]:
    """Write ``report.json`` and ``summary.txt`` into ``directory``; returns the JSON's path and the summary."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "report.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=_default) + "\n", encoding="utf-8")
    text = summary_text(report, lang)
    (directory / "summary.txt").write_text(text, encoding="utf-8")
    return path, text


def _gate_line(proctors: dict[str, Any], lang: str) -> str:
    """How the rooms were opened and how many examinees waited for it (the test day's room gate)."""
    return message(
        "room_gate_line",
        lang,
        rooms=proctors["rooms"],
        opened=proctors["rooms_opened"],
        found_open=proctors["rooms_found_open"],
        waited=proctors["examinees_waited"],
        starts=proctors["starts"],
    )
