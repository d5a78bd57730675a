"""The calibration data set (cat_engine/calibration_data.py): export rows read from JSON lines and CSV alike,
one subtest's rows made into ResponseData (operational items fixed, pretest items free), bad rows named by file
and line, and ``gather``'s deduplication, version check and counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from calibration_sim import operational_pool, pretest_pool, simulate_rows, write_csv, write_jsonl

from cat_engine.calibration_data import EXPORT_COLUMNS, load_subtest, read_export
from cat_engine.calibration_gather import gather
from cat_engine.pool import Pool
from cat_engine.pool_times import ResponseDataError, read_responses

TRUTH: list[tuple[str, dict[str, Any]]] = [
    ("2PL", {"a": 1.3, "b": 0.4}),
    ("3PL", {"a": 1.1, "b": -0.3, "c": 0.2}),
    ("GPCM", {"a": 0.9, "b": [-1, 0, 1]}),
]


@pytest.fixture(scope="module")
def pools() -> tuple[Pool, Pool]:
    op = Pool.from_dict(operational_pool(20, 3))
    pt = Pool.from_dict(pretest_pool(TRUTH))
    return op, pt


def _rows(pools: tuple[Pool, Pool], n: int = 40, **kw: object) -> list[dict[str, object]]:
    op, pt = pools
    truth = Pool.from_dict(pretest_pool(TRUTH)).params
    return simulate_rows(op, n, 8, 5, pretest=pt, pretest_truth=truth, per_pretest=2, **kw)  # type: ignore[arg-type]


def test_csv_and_json_lines_read_alike(tmp_path: Path, pools: tuple[Pool, Pool]) -> None:
    rows = _rows(pools)
    a = load_subtest([write_jsonl(tmp_path / "a.jsonl", rows)], "s1", *pools)
    b = load_subtest([write_csv(tmp_path / "a.csv", rows)], "s1", *pools)
    for name in ("person", "item", "category"):
        assert np.array_equal(getattr(a.responses, name), getattr(b.responses, name))
    assert np.array_equal(a.final_theta, b.final_theta) and a.sessions == b.sessions
    assert a.files[0].rows == b.files[0].rows == len(rows) and len(a.files[0].sha256) == 64


def test_one_subtest_as_response_data(tmp_path: Path, pools: tuple[Pool, Pool]) -> None:
    op, pt = pools
    rows = _rows(pools)
    other = [dict(r, subtest_id="s2") for r in rows[:5]]
    unknown = [dict(rows[0], item_id="NOPE", session_id="X-1")]
    no_category = [dict(r, category=None, session_id="Y-1") for r in rows[:3]]
    data = load_subtest([write_jsonl(tmp_path / "d.jsonl", rows + other + unknown + no_category)], "s1", op, pt)
    assert data.skipped == {"other_subtest": 5, "unknown_item": 1}
    assert data.n_operational == op.size and data.params.size == op.size + pt.size
    assert data.item_ids[op.size :] == tuple(it.id for it in pt.items)
    # operational items fixed at the pool's values, pretest items free from the pretest pool's
    assert not data.free[: op.size].any() and data.free[op.size :].all()
    assert np.array_equal(data.params.a[: op.size], op.params.a)
    assert np.array_equal(data.params.a[op.size :], pt.params.a)
    r = data.responses
    assert r.n_persons == 40 + 1 and r.item.size == len(rows) + 3
    for j in (0, 17, len(rows) - 1):  # each row where it belongs
        row = rows[j]
        k = data.item_ids.index(str(row["item_id"]))
        assert (row["pretest"] is True) == (k >= op.size)
        matches = (r.person == data.sessions.index(str(row["session_id"]))) & (r.item == k)
        assert r.category[matches].tolist() == [row["category"]]
    # a row without a category is scored from its option by the pool
    y = data.sessions.index("Y-1")
    assert r.category[r.person == y].tolist() == [row["category"] for row in rows[:3]]
    assert data.final_theta[0] == rows[0]["final_theta"]
    assert data.counts[op.size :].sum() == 80


def test_default_starting_values_and_no_pretest(tmp_path: Path, pools: tuple[Pool, Pool]) -> None:
    op, pt = pools
    path = write_jsonl(tmp_path / "d.jsonl", _rows(pools, final_theta=False))
    data = load_subtest([path], "s1", op, pt, start="defaults")
    assert np.isnan(data.final_theta).all()
    assert np.allclose(data.params.a[op.size :], 1.0)
    assert data.params.c[op.size + 1] == pytest.approx(0.25)  # 3PL: 1 / options
    without = load_subtest([path], "s1", op, pt, include_pretest=False)
    assert without.skipped == {"pretest": 80} and not without.free.any()
    with pytest.raises(ValueError, match="start"):
        load_subtest([path], "s1", op, pt, start="guess")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"session_id": ""}, "session_id"),
        ({"category": 7}, "category 7 out of range"),
        ({"category": None, "option": 9}, "option 9"),
        ({"pretest": "maybe"}, "pretest"),
        ({"position": 1.5}, "position"),
    ],
)
def test_bad_rows_are_named_by_file_and_line(
    tmp_path: Path, pools: tuple[Pool, Pool], change: dict[str, object], problem: str
) -> None:
    rows = _rows(pools, n=2)
    rows[3] = dict(rows[3], **change)
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(ResponseDataError, match=problem) as caught:
        load_subtest([path], "s1", *pools)
    assert (caught.value.path, caught.value.line) == (str(path), 4)


def test_a_file_without_the_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "times.csv"
    path.write_text("session,item_id,response_ms\nS1,I1,2000\n")
    rows, _ = read_export(path)
    with pytest.raises(ResponseDataError, match="lacks"):
        list(rows)


def test_gather_dedupes_checks_versions_and_counts(tmp_path: Path, pools: tuple[Pool, Pool]) -> None:
    rows = _rows(pools, n=10)
    first = write_jsonl(tmp_path / "room1.jsonl", rows)
    again = write_csv(tmp_path / "room1-again.csv", rows[:7])  # an overlapping export
    out = tmp_path / "data.jsonl"
    report = gather([first, again], out)
    assert (report.rows_read, report.rows_written, report.repeats) == (len(rows) + 7, len(rows), 7)
    assert report.sessions == 10 and report.differing == []
    written = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert written == [{c: r[c] for c in EXPORT_COLUMNS} for r in rows]
    assert sum(report.items.values()) == len(rows)
    assert sum(n for (_, _, pretest), n in report.items.items() if pretest) == 20

    newer = [dict(r, pool_version="2026.2", session_id="Z-" + str(r["session_id"])) for r in rows if not r["pretest"]]
    mixed = write_jsonl(tmp_path / "room2.jsonl", newer)
    out2 = tmp_path / "mixed.jsonl"
    report = gather([first, mixed], out2)
    assert report.differing == ["pool s1/op"] and report.versions["pool s1/op"] == {"2026.1": 80, "2026.2": 80}
    assert not out2.exists() and not (tmp_path / "mixed.jsonl.tmp").exists()
    assert gather([first, mixed], out2, allow_mixed=True).differing == ["pool s1/op"] and out2.exists()


@pytest.mark.parametrize("writer", [write_jsonl, write_csv])
def test_cat_pool_times_reads_the_export_as_it_is(tmp_path: Path, pools: tuple[Pool, Pool], writer: Any) -> None:
    """The export names its session column ``session_id``; ``cat-pool times`` takes it for ``session``."""
    op, _ = pools
    rows = _rows(pools, n=10)
    data = read_responses([writer(tmp_path / "room", rows)], op)
    assert data.files[0].unknown_items == 20  # the pretest rows: not items of the operational pool
    assert data.item.size == len(rows) - 20 and len(data.sessions) == 10
    assert data.sessions[0] == rows[0]["session_id"]
