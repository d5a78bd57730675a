"""cat_engine.server.metrics: the Prometheus text exposition (format 0.0.4), parsed by a small parser here."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cat_engine.server.hub import Hub
from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.metrics import Metrics
from cat_engine.server.settings import Settings

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
_VALUE = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+|Inf|NaN)"
_SAMPLE = re.compile(rf"^(?P<name>{_NAME})(?:\{{(?P<labels>{_LABEL}(?:,{_LABEL})*)?\}})? (?P<value>{_VALUE})$")
_HELP = re.compile(rf"^# HELP (?P<name>{_NAME}) (?P<text>.*)$")
_TYPE = re.compile(rf"^# TYPE (?P<name>{_NAME}) (?P<type>counter|gauge|histogram|summary|untyped)$")
_LABEL_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


@dataclass
class Family:
    name: str
    type: str
    help: str = ""
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)


def parse(text: str) -> dict[str, Family]:
    """Parse exposition text strictly: every line is HELP, TYPE or a sample of the family declared last."""
    assert text.endswith("\n"), "the exposition ends with a line feed"
    families: dict[str, Family] = {}
    helps: dict[str, str] = {}
    current: Family | None = None
    for n, line in enumerate(text[:-1].split("\n"), 1):
        assert line, f"line {n} is empty"
        if m := _HELP.match(line):
            assert m["name"] not in helps, f"line {n}: second HELP for {m['name']}"
            helps[m["name"]] = m["text"]
            continue
        if m := _TYPE.match(line):
            name = m["name"]
            assert name not in families, f"line {n}: second TYPE for {name}"
            current = families[name] = Family(name, m["type"], helps.get(name, ""))
            continue
        assert not line.startswith("#"), f"line {n}: unexpected comment {line!r}"
        m = _SAMPLE.match(line)
        assert m, f"line {n}: not a sample line: {line!r}"
        assert current is not None, f"line {n}: sample before any TYPE"
        name = m["name"]
        allowed = {current.name}
        if current.type == "histogram":
            allowed = {f"{current.name}_bucket", f"{current.name}_sum", f"{current.name}_count"}
        assert name in allowed, f"line {n}: {name} outside its family {current.name}"
        labels = dict(_LABEL_PAIR.findall(m["labels"] or ""))
        value = float(m["value"].replace("Inf", "inf"))
        current.samples.append((name, labels, value))
    for name, family in families.items():
        assert family.help, f"{name} has no HELP"
    assert set(helps) == set(families), "HELP without TYPE"
    return families


def value(families: dict[str, Family], family: str, sample: str | None = None, **labels: str) -> float:
    found = [v for n, lab, v in families[family].samples if n == (sample or family) and lab == labels]
    assert len(found) == 1, (family, sample, labels, families[family].samples)
    return found[0]


def buckets(families: dict[str, Family]) -> list[tuple[float, float]]:
    return [
        (float(lab["le"].replace("Inf", "inf")), v)
        for n, lab, v in families["cat_answer_seconds"].samples
        if n.endswith("_bucket")
    ]


def test_fresh_metrics_parse_with_every_documented_family() -> None:
    families = parse(Metrics().render(0))
    assert {
        "cat_live_connections",
        "cat_answers_total",
        "cat_answer_seconds",
        "cat_errors_total",
        "cat_frames_total",
        "cat_store_conflicts_total",
    } <= set(families)
    assert families["cat_live_connections"].type == "gauge"
    assert families["cat_answer_seconds"].type == "histogram"
    for name in ("cat_answers_total", "cat_errors_total", "cat_frames_total", "cat_store_conflicts_total"):
        assert families[name].type == "counter"
        assert name.endswith("_total")
    assert value(families, "cat_live_connections", kind="candidate") == 0
    assert value(families, "cat_live_connections", kind="proctor") == 0
    assert value(families, "cat_answers_total") == 0
    assert families["cat_errors_total"].samples == []  # no code seen yet
    assert value(families, "cat_answer_seconds", "cat_answer_seconds_count") == 0
    assert value(families, "cat_answer_seconds", "cat_answer_seconds_sum") == 0
    assert all(v == 0 for _, v in buckets(families))


def test_counts_and_gauges_show_what_was_recorded() -> None:
    m = Metrics()
    m.connections["candidate"] += 3
    m.connections["proctor"] += 1
    m.frames["candidate"] += 40
    m.frames["proctor"] += 2
    m.conflicts += 5
    families = parse(m.render(live_sessions=7))
    assert value(families, "cat_live_connections", kind="candidate") == 3
    assert value(families, "cat_live_connections", kind="proctor") == 1
    assert value(families, "cat_live_sessions") == 7
    assert value(families, "cat_frames_total", kind="candidate") == 40
    assert value(families, "cat_frames_total", kind="proctor") == 2
    assert value(families, "cat_store_conflicts_total") == 5


def test_errors_by_code() -> None:
    m = Metrics()
    for code in ["bad_message", "wrong_seq", "bad_message", "flood", "bad_message", "time_up"]:
        m.error(code)
    families = parse(m.render(0))
    samples = families["cat_errors_total"].samples
    assert {lab["code"]: v for _, lab, v in samples} == {"bad_message": 3, "wrong_seq": 1, "flood": 1, "time_up": 1}
    assert all(set(lab) == {"code"} for _, lab, _ in samples)
    assert len(samples) == 4  # one sample per code


def test_noise_held_back_by_the_store_is_counted_by_kind() -> None:
    m = Metrics()
    assert value(parse(m.render(0)), "cat_suppressed_total", kind="audit") == 0
    store = MemoryStore(noise_per_minute=10)
    hub = Hub(Settings(demo_room=False), store, {}, "admin", m)
    store.suppressed["audit"] += 4  # what the store holds back is what the process's metrics show
    store.suppressed["events"] += 2
    families = parse(hub.metrics.render(0))
    assert families["cat_suppressed_total"].type == "counter"
    assert value(families, "cat_suppressed_total", kind="audit") == 4
    assert value(families, "cat_suppressed_total", kind="events") == 2


LATENCIES = [0.0, 0.0004, 0.001, 0.0011, 0.003, 0.02, 0.02, 0.3, 0.9, 1.0, 2.5, 2.6, 30.0]


def test_histogram_is_cumulative_and_counts_every_answer() -> None:
    m = Metrics()
    for s in LATENCIES:
        m.observe_answer(s)
    families = parse(m.render(0))
    bs = buckets(families)
    bounds = [b for b, _ in bs]
    assert bounds == sorted(bounds) and len(set(bounds)) == len(bounds)
    assert bounds[-1] == math.inf
    counts = [c for _, c in bs]
    assert counts == sorted(counts)  # cumulative
    for bound, count in bs:  # each bucket counts the observations <= its bound
        assert count == sum(1 for s in LATENCIES if s <= bound), bound
    total = value(families, "cat_answer_seconds", "cat_answer_seconds_count")
    assert total == counts[-1] == len(LATENCIES) == m.answers
    assert value(families, "cat_answers_total") == m.answers
    assert value(families, "cat_answer_seconds", "cat_answer_seconds_sum") == pytest.approx(sum(LATENCIES), abs=1e-5)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), max_size=30),
    st.lists(st.sampled_from(["bad_message", "too_large", "flood", "wrong_seq", "internal"]), max_size=10),
    st.integers(min_value=0, max_value=10_000),
)
def test_any_recording_parses(latencies: list[float], errors: list[str], live: int) -> None:
    m = Metrics()
    for s in latencies:
        m.observe_answer(s)
    for code in errors:
        m.error(code)
    families = parse(m.render(live))
    counts = [c for _, c in buckets(families)]
    assert counts == sorted(counts)
    assert counts[-1] == len(latencies) == value(families, "cat_answer_seconds", "cat_answer_seconds_count")
    assert value(families, "cat_answers_total") == len(latencies)
    assert value(families, "cat_live_sessions") == live
    assert sum(v for _, _, v in families["cat_errors_total"].samples) == len(errors)


def test_parser_rejects_malformed_text() -> None:
    """The parser above is strict enough to catch what a scraper would refuse."""
    good = "# HELP x_total A counter.\n# TYPE x_total counter\nx_total 1\n"
    parse(good)
    for bad in [
        good.rstrip("\n"),
        good + "\n",
        good + "y_total 1\n",
        good.replace("x_total 1", "x_total one"),
        good.replace("x_total 1", "x_total{kind=candidate} 1"),
        good.replace("x_total 1", "x total 1"),
        "x_total 1\n",
        good.replace("# TYPE x_total counter", "# TYPE x_total meter"),
    ]:
        with pytest.raises(AssertionError):
            parse(bad)
