"""``cat-calibrate`` (cat_engine/calibrate_cli.py) end to end on simulated exports: ``gather`` (one data set,
versions checked), ``run`` (pools that load, written with provenance, a report in Bahasa Indonesia or English,
plots), ``drift`` (the shifted item flagged), and the exit statuses for bad input."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from calibration_sim import item_dict, operational_pool, pool_dict, pretest_pool, simulate_rows, write_csv, write_jsonl
from conftest import battery_dict, subtest_dict, write_battery

from cat_engine.battery import load_battery
from cat_engine.calibrate_cli import main
from cat_engine.pool import Pool, load_pool

TRUTH: list[tuple[str, dict[str, Any]]] = [
    ("2PL", {"a": 1.3, "b": 0.4}),
    ("GPCM", {"a": 0.9, "b": [-1.0, 0.0, 1.0]}),
    ("2PL", {"a": 0.15, "b": 2.5}),  # barely discriminating: its SEs are too large to promote
    ("2PL", {"a": 1.0, "b": -0.8}),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    d = tmp_path_factory.mktemp("calibrate")
    op_data = operational_pool(30, 3)
    pt_data = pretest_pool(TRUTH)
    battery = battery_dict([subtest_dict("s1", pool="op.json")], id="calib-test", version="2026.1")
    write_battery(d, battery, pools={"op.json": op_data})
    (d / "pt.json").write_bytes(orjson.dumps(pt_data))
    seeded = subtest_dict("s1", pool="op.json", min_items=5, pretest={"pool": "pt.json", "count": 2})
    write_battery(d, battery_dict([seeded], id="calib-test", version="2026.1"), filename="battery-pt.toml")
    op, pt = Pool.from_dict(op_data), Pool.from_dict(pt_data)
    truth = Pool.from_dict(pool_dict("t", "1", [item_dict(f"T{k}", m, p) for k, (m, p) in enumerate(TRUTH)])).params
    rows = simulate_rows(op, 1600, 12, 7, pretest=pt, pretest_truth=truth, per_pretest=2)
    half = len(rows) // 2
    return {
        "dir": d,
        "op": op,
        "pt": pt,
        "rooms": [write_jsonl(d / "room1.jsonl", rows[:half]), write_csv(d / "room2.csv", rows[half:])],
        "rows": rows,
    }


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_gather_then_run_writes_loadable_pools_with_provenance(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    d: Path = world["dir"]
    data = d / "data.jsonl"
    code, out, _ = _run(["gather", *map(str, world["rooms"]), "--out", str(data), "--json"], capsys)
    gathered = orjson.loads(out)
    assert code == 0 and gathered["written"] == str(data) and gathered["differing"] == []
    assert gathered["rows_written"] == len(world["rows"]) and gathered["sessions"] == 1600
    pretest_counts = {it["item_id"]: it["n"] for it in gathered["items"] if it["pretest"]}
    assert sum(pretest_counts.values()) == 3200 and set(pretest_counts) == {it.id for it in world["pt"].items}

    out_dir = d / "out"
    # the battery's subtest names its pretest pool ([subtests.pretest])
    argv = ["run", str(data), "--battery", str(d / "battery-pt.toml"), "--subtest", "s1", "--out-dir", str(out_dir)]
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    assert "Kalibrasi daring" in out and "dipromosikan" in out and "Mengkalibrasi" in err  # Bahasa Indonesia
    report = orjson.loads((out_dir / "report.json").read_bytes())
    assert (out_dir / "report.txt").read_text().startswith("Kalibrasi daring")
    by_id = {it["id"]: it for it in report["items"]}
    promoted = {i for i, it in by_id.items() if it["promoted"]}
    assert "PT-002" not in promoted and {"se_a", "se_b"} & set(by_id["PT-002"]["reasons"])
    assert {"PT-000", "PT-003"} <= promoted
    for k, (_, true) in enumerate(TRUTH):  # the estimates are near the truth
        it = by_id[f"PT-{k:03d}"]
        if it["promoted"] and not isinstance(true["b"], list):
            assert abs(it["estimate"]["b"] - true["b"]) < 4 * it["se"]["b"]
            assert abs(it["estimate"]["a"] - true["a"]) < 4 * it["se"]["a"]

    written = report["written"]
    new_op = load_pool(written["operational"]["path"])
    assert new_op.pool_version == written["operational"]["pool_version"]
    assert new_op.pool_version.startswith("2026.1+cal")
    assert [it.id for it in new_op.items[world["op"].size :]] == sorted(promoted)
    record = new_op.calibration["online_calibration"]
    assert record["data"] == [
        {"file": str(data), "sha256": hashlib.sha256(data.read_bytes()).hexdigest(), "rows": len(world["rows"])}
    ]
    assert set(record["items"]) == promoted
    assert all(r["responses"] >= 300 and r["method"] == "mem" for r in record["items"].values())
    new_pt = load_pool(written["pretest"]["path"])
    assert {it.id for it in new_pt.items} == {it.id for it in world["pt"].items} - promoted
    # the server loads a battery on the new operational pool
    (d / "next").mkdir()
    (d / "next" / "op.json").write_bytes(Path(written["operational"]["path"]).read_bytes())
    battery = battery_dict([subtest_dict("s1", pool="op.json")], id="calib-test", version="2026.2")
    assert load_battery(write_battery(d / "next", battery)).subtests[0].pool.size == new_op.size


def test_run_in_english_with_plots_and_stocking(world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    d: Path = world["dir"]
    out_dir = d / "out-en"
    argv = ["run", *map(str, world["rooms"]), "--battery", str(d / "battery.toml"), "--subtest", "s1"]
    argv += ["--out-dir", str(out_dir), "--pretest-pool", str(d / "pt.json"), "--lang", "en", "--plot"]
    code, out, err = _run([*argv, "--method", "stocking-a", "--pool-version", "X1", "--json"], capsys)
    assert code == 0, err
    report = orjson.loads(out)
    assert report["calibration"]["method"] == "stocking-a" and report["written"]["operational"]["pool_version"] == "X1"
    assert (out_dir / "report.txt").read_text().startswith("Online calibration")
    plots = sorted(p.name for p in (out_dir / "plots").iterdir())
    assert plots == [f"{it.id}.png" for it in world["pt"].items]


def test_drift_flags_the_shifted_item(world: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    d: Path = world["dir"]
    op: Pool = world["op"]
    truth = replace(op.params, b=op.params.b + np.where(np.arange(op.size) == 4, 1.0, 0.0))
    live = write_jsonl(d / "live.jsonl", simulate_rows(op, 1500, 12, 9, op_truth=truth))
    out = d / "drift.json"
    argv = ["drift", str(live), "--battery", str(d / "battery.toml"), "--subtest", "s1", "--out", str(out)]
    code, text, _ = _run([*argv, "--fit-alpha", "0.001", "--threshold-a", "0.5", "--lang", "en"], capsys)
    assert code == 0 and "Parameter drift" in text
    report = orjson.loads(out.read_bytes())
    flagged = {it["id"] for it in report["items"] if it["flags"]}
    assert flagged == {op.items[4].id} and report["summary"]["flagged"] == 1
    assert report["rule"]["threshold_b"] == 0.3


def test_bad_input_exit_statuses(world: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    d: Path = world["dir"]
    base = ["--battery", str(d / "battery.toml"), "--out-dir", str(tmp_path / "o")]
    room = str(world["rooms"][0])
    code, _, err = _run(["run", room, *base, "--subtest", "s1"], capsys)  # a subtest without a pretest table
    assert code == 2 and "--pretest-pool" in err
    code, _, err = _run(["run", room, *base, "--subtest", "nope", "--pretest-pool", str(d / "pt.json")], capsys)
    assert code == 2 and "nope" in err
    other = pretest_pool([("2PL", {"a": 1.0, "b": 0.0})], pool_id="other")
    (tmp_path / "other.json").write_bytes(orjson.dumps(other))
    code, _, err = _run(["run", room, *base, "--subtest", "s1", "--pretest-pool", str(tmp_path / "other.json")], capsys)
    assert code == 1 and "tidak ada yang dikalibrasi" in err
    older = write_jsonl(tmp_path / "older.jsonl", [dict(r, pool_version="2025.9") for r in world["rows"][:40]])
    code, _, err = _run(["drift", str(older), *base[:2], "--subtest", "s1", "--lang", "en"], capsys)
    assert code == 2 and "another version of pool op: 2025.9 (" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"session_id": "S"}\n')
    code, _, err = _run(["gather", str(bad), "--out", str(tmp_path / "x.jsonl")], capsys)
    assert code == 2 and f"{bad}:1" in err and not (tmp_path / "x.jsonl").exists()
    mixed = write_jsonl(
        tmp_path / "mixed.jsonl",
        [dict(r, battery_version="2026.2", session_id=f"M-{r['session_id']}") for r in world["rows"][:50]],
    )
    code, out, _ = _run(["gather", room, str(mixed), "--out", str(tmp_path / "m.jsonl")], capsys)
    assert code == 1 and "Versi berbeda: battery calib-test" in out and not (tmp_path / "m.jsonl").exists()
