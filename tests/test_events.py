"""Events serialise with their wire type first and carry what happened."""

from __future__ import annotations

import orjson

from cat_engine.battery import Profile, SubtestResult
from cat_engine.events import (
    Answered,
    Finished,
    Flagged,
    ItemPresented,
    Paused,
    SubtestDone,
    Terminated,
    TimeExtended,
)


def _result() -> SubtestResult:
    return SubtestResult("s1", "S1", 0.5, 0.3, 4, 550, 12, 60.0, "se_target", "p", "1")


def test_event_types_and_fields() -> None:
    event = Answered(10, 3, 0, 17, 2, 0, 1, 4500, 0.25, 0.41)
    d = event.to_dict()
    assert next(iter(d)) == "type" and d["type"] == "answered"
    assert d == {
        "type": "answered",
        "at_ms": 10,
        "seq": 3,
        "subtest": 0,
        "item_index": 17,
        "response": 2,
        "shown": 0,
        "category": 1,
        "response_ms": 4500,
        "theta": 0.25,
        "se": 0.41,
    }
    assert ItemPresented(1, 4, 1, 9, 2).to_dict()["type"] == "item_presented"
    assert Paused(5, "toilet").to_dict() == {"type": "paused", "at_ms": 5, "reason": "toilet"}
    assert TimeExtended(6, 1, 300000).to_dict()["extra_ms"] == 300000
    assert Terminated(7, "cheating").to_dict()["reason"] == "cheating"


def test_nested_results_serialise_to_json() -> None:
    done = SubtestDone(1, 0, _result()).to_dict()
    assert done["result"]["level"] == 4 and done["result"]["pool_version"] == "1"
    finished = Finished(2, Profile("b", "v", (_result(),), True)).to_dict()
    assert orjson.loads(orjson.dumps(finished))["profile"]["subtests"][0]["scaled_score"] == 550


def test_a_flag_carries_its_statistic_as_one_object() -> None:
    """docs/protocol.md, "Integrity flags": the wire shape of the ``flag`` event."""
    rapid = Flagged(90, "rapid", "rapid_guessing", 4.0, 0.00031, 0.002, 9, None, ((0, 5), (0, 6), (1, 0), (1, 2)))
    assert rapid.to_dict() == {
        "type": "flag",
        "at_ms": 90,
        "kind": "rapid",
        "statistic": {"name": "rapid_guessing", "value": 4.0, "p_value": 0.00031, "threshold": 0.002, "n": 9},
        "subtest": None,
        "responses": [[0, 5], [0, 6], [1, 0], [1, 2]],
    }
    change = Flagged(95, "speed_change", "speed_change", 3.9, 1e-4, 0.0125, 30, 1, ((1, 0),))
    assert orjson.loads(orjson.dumps(change.to_dict()))["subtest"] == 1
