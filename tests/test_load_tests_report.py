"""load_tests.report: the report's schema, the checks, the summary in both languages; the plots."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from load_tests.candidate import Candidate, Pacing
from load_tests.examinee import RandomResponder, ThinkTime
from load_tests.phase import PhaseResult
from load_tests.recorder import Recorder
from load_tests.report import REQUIRED_KEYS, Measurements, build_report, lookup, write_report
from load_tests.scenarios import SCENARIOS
from load_tests.verify import AnswerCheck


def _phase(answers: int, latency_ms: float, cpu_s: float) -> PhaseResult:
    rec = Recorder()
    pacing = Pacing("open", ThinkTime.parse("fixed:1"), 0.1)
    clients = []
    for i in range(2):
        rng = np.random.default_rng(i)
        c = Candidate("t", ["ws://127.0.0.1:9"], RandomResponder(rng), pacing, rng, rec, 0.0)
        c.outcome = "finished"
        c.acked = dict.fromkeys(range(1, answers // 2 + 1), ("I", 0))
        clients.append(c)
    t0 = rec.started
    for k in range(answers):
        rec.scheduled(t0 + k * 0.01)
        rec.answered(t0 + k * 0.01, t0 + k * 0.01 + latency_ms / 1000, t0 + k * 0.01)
    rec.connect_ms.extend([5.0, 6.0])
    rec.mark("storm")
    return PhaseResult(rec, clients, 2.0, cpu_s, cpu_s / 10, cpu_s / 2, 50 * 2**20, [(0.0, 1), (1.0, 2)])


def _measurements(floor: bool = True) -> Measurements:
    sc = SCENARIOS["peak"]
    ref_row = {"n": 2, "rmse": 0.3, "bias": 0.01, "reference_rmse": 0.28, "reference_bias": 0.0}
    return Measurements(
        scenario=sc,
        settings={
            "rooms": 1,
            "store": "redis",
            "instances": 1,
            "workers": 2,
            "mode": "open",
            "think": "fixed:1",
            "time_scale": 0.1,
            "target": "own",
        },
        started_at="2026-01-01T00:00:00+00:00",
        machine={"cores": 2, "load0": 0.5, "load1": 0.7},
        load=_phase(100, 4.0, 0.1),
        # a floor run before the load and one after, on a machine that slowed down in between
        floor=[_phase(100, 1.0, 0.016), _phase(100, 1.0, 0.024)] if floor else [],
        floor_redis=True,
        answers=AnswerCheck(acknowledged=100, applied=100),
        rmse_by_subtest={"s": {**ref_row, "reference_mean_length": 10.0, "ratio": 1.0714}},
        rmse_max_deviation=0.0714,
        redis_memory={"delta_bytes": 2048, "per_session_bytes": 1024, "per_answer_bytes": 20, "sessions": 2},
        proctors={
            "connections": 0,
            "rooms": 1,
            "rooms_opened": 1,
            "rooms_found_open": 0,
            "examinees_waited": 0,
            "starts": 8,
        },
        storm=None,
        results={"rows": 2, "finished_sessions": 2, "theta_mismatch": 0},
    )


def test_the_report_has_the_interface_keys() -> None:
    report = build_report(_measurements())
    assert set(REQUIRED_KEYS) <= set(report)
    assert set(report["latency_ms"]) >= {"p50", "p95", "p99", "p99.9", "max"}
    assert report["scenario"] == "peak" and report["examinees"] == 1000
    assert report["answers"] == 100 and report["errors"] == 0
    assert report["latency_ms"]["p50"] == pytest.approx(4.0)
    assert report["cpu_us_per_answer"] == pytest.approx(1000.0)
    assert report["floor_cpu_us_per_answer"] == pytest.approx(200.0)  # over both floor runs
    assert [p["cpu_us_per_answer"] for p in report["floor"]["phases"]] == pytest.approx([160.0, 240.0])
    assert report["floor"]["answers"] == 200
    assert report["ratio_to_floor"]["cpu"] == pytest.approx(5.0)
    assert report["ratio_to_floor"]["latency_p50"] == pytest.approx(4.0)
    assert report["rmse_by_subtest"]["s"]["rmse"] == 0.3
    json.dumps(report)  # JSON-ready


def test_checks_compare_measured_values_with_the_targets() -> None:
    report = build_report(_measurements())
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["errors"]["passed"] and checks["lost"]["passed"] and checks["duplicated"]["passed"]
    assert checks["rmse_within_10pct_of_cat_sim"]["passed"]
    assert checks["latency_p99_le_25ms"]["passed"]
    assert not checks["cpu_le_2.5x_floor"]["passed"]  # 5x the floor
    assert checks["unfinished"]["value"] == 998  # a peak of 1,000 examinees of whom two finished
    assert lookup(report, "latency_ms.p99") == report["latency_ms"]["p99"]
    assert lookup(report, "no.such.key") is None


def test_without_a_floor_the_ratios_are_null() -> None:
    report = build_report(_measurements(floor=False))
    assert report["floor_cpu_us_per_answer"] is None and report["floor"] is None
    assert report["ratio_to_floor"] == {"cpu": None, "latency_p50": None, "latency_p99": None}
    assert not {c["name"]: c for c in report["checks"]}["cpu_le_2.5x_floor"]["passed"]


@pytest.mark.parametrize(("lang", "word"), [("id", "Latensi"), ("en", "latency")])
def test_report_and_summary_are_written(tmp_path: Path, lang: str, word: str) -> None:
    report = build_report(_measurements())
    path, text = write_report(report, tmp_path, lang)
    assert json.loads(path.read_text())["scenario"] == "peak"
    assert word in text and (tmp_path / "summary.txt").read_text() == text
    assert "160 / 240 us" in text  # each floor run's CPU per answer
    gate = "Ruang: 1, dibuka pengawas 1" if lang == "id" else "Rooms: 1, opened by a proctor 1"
    assert gate in text and text.count("\n" + gate.split(":")[0] + ":") == 1


def test_plots_are_written(tmp_path: Path) -> None:
    from load_tests.plots import plot_run

    m = _measurements()
    written = plot_run(m.load, m.floor, tmp_path, "en")
    assert {p.name for p in written} >= {"latency_histogram.png", "latency_over_time.png", "throughput.png"}
    assert all(p.stat().st_size > 1000 for p in written)


def test_recorder_timestamps_are_relative_to_its_start() -> None:
    rec = Recorder()
    now = time.monotonic()
    rec.answered(now - 0.002, now, None)
    assert rec.latency_t[0] >= 0 and rec.latency_ms[0] == pytest.approx(2.0)
    assert len(rec.lag_ms) == 0


def test_unavailable_while_the_store_is_disrupted_is_retryable_not_an_error() -> None:
    rec = Recorder()
    rec.error("unavailable")  # no disruption: an error
    rec.begin_disruption("kill -9 a server")  # not the store: still an error
    rec.error("unavailable")
    rec.end_disruption("settled")
    rec.begin_disruption("kill -9 a master", store=True)
    rec.error("unavailable")
    rec.error("proctor:unavailable")
    rec.error("internal")  # any other code stays an error
    rec.end_disruption("failover settled", store=True)
    rec.error("unavailable")
    assert rec.errors == {"unavailable": 3, "internal": 1}
    assert rec.retryable == {"unavailable": 1, "proctor:unavailable": 1}
    assert rec.window_errors == {"unavailable": 2, "proctor:unavailable": 1, "internal": 1}


@pytest.mark.parametrize(("lang", "word"), [("id", "dapat diulang"), ("en", "retryable")])
def test_the_failover_and_the_memory_per_session_are_reported(tmp_path: Path, lang: str, word: str) -> None:
    m = _measurements()
    m.load.rec.retryable["unavailable"] = 7
    m.session_memory = {
        "mean": 60_000,
        "max": 61_000,
        "min": 59_000,
        "sampled": 2,
        "rooms": 1,
        "parts_mean": {"session": 2000, "audit": 15000, "result": 1400, "token_index": 150, "room_share": 41450},
    }
    m.failover = {
        "killed_node": "127.0.0.1:7000",
        "rooms_on_it": 1,
        "rooms_per_master": {"127.0.0.1:7000": 1},
        "at_answers": 40,
        "at_s": 3.0,
        "failover_s": 2.5,
        "rejoined_s": 2.8,
        "examinees_sitting": 2,
        "unrecovered": 0,
        "slowest_recovery_s": 3.5,
        "recovery_s": {"n": 2, "p50": 3.0},
        "errors_by_code": {"unavailable": 7},
        "retryable_unavailable": 7,
        "problem": None,
    }
    report = build_report(m)
    assert report["errors"] == 0 and report["retryable_unavailable"] == 7
    assert report["redis_bytes_per_session"] == 60_000 and report["failover"]["failover_s"] == 2.5
    _, text = write_report(report, tmp_path, lang)
    assert "Failover:" in text and word in text and "58.6 KB" in text and "127.0.0.1:7000" in text
