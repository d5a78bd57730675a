"""Tests of :mod:`cat_engine.pool_times` (``cat-pool times``): the CSV and JSON-lines readers and their errors, the
choice of the items to estimate, the pool version and record, and the command end to end on small files.

The statistical properties of the estimator (recovery, standard errors, bias) are tested in
``tests/test_response_time.py``; here one end-to-end run checks that milliseconds become log-seconds and that the
written estimates are near the truth the data were drawn from.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from conftest import make_pool_dict, write_pool

from cat_engine import pool_cli
from cat_engine.pool import Pool, load_pool
from cat_engine.pool_times import (
    ResponseDataError,
    Responses,
    estimate_pool_times,
    read_responses,
    time_record,
    times_pool_version,
)

ID = "pool-{:04d}"  # the ids of make_pool_dict's items


@pytest.fixture
def pool() -> Pool:
    return Pool.from_dict(make_pool_dict(12, seed=3), source="<test>")


def write_csv(
    path: Path, rows: list[list[Any]], header: tuple[str, ...] = ("session", "item_id", "response_ms")
) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


# --- readers ---------------------------------------------------------------------------------------------------


def test_csv_and_json_lines_read_the_same_responses(pool: Pool, tmp_path: Path) -> None:
    rows = [["s1", ID.format(0), 1500], ["s1", ID.format(3), 40000], ["s2", ID.format(0), 2250.5]]
    # Extra columns in any order are ignored, as the room export will carry more (score, theta...).
    csv_path = write_csv(
        tmp_path / "r.csv",
        [[r[2], "x", r[1], r[0]] for r in rows],
        header=("response_ms", "score", "item_id", "session"),
    )
    jsonl = write_jsonl(
        tmp_path / "r.jsonl",
        [{"session": s, "item_id": i, "response_ms": ms, "theta": 0.1} for s, i, ms in rows],
    )
    for path in (csv_path, jsonl):
        data = read_responses([path], pool)
        assert data.item.tolist() == [0, 3, 0]
        assert data.session.tolist() == [0, 0, 1] and data.sessions == ("s1", "s2")
        np.testing.assert_allclose(data.log_t, np.log([1.5, 40.0, 2.2505]))
        (summary,) = data.files
        assert (summary.path, summary.rows, summary.unknown_items) == (str(path), 3, 0)
        assert summary.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_csv_with_byte_order_mark_crlf_quotes_and_blank_lines(pool: Pool, tmp_path: Path) -> None:
    text = '\ufeffsession,item_id,response_ms,note\r\n"s,1",pool-0001,1000,"two\r\nlines"\r\n\r\ns2,pool-0002,2000,\r\n'
    path = tmp_path / "excel.csv"
    path.write_bytes(text.encode("utf-8"))
    data = read_responses([path], pool)
    assert data.sessions == ("s,1", "s2") and data.item.tolist() == [1, 2]
    assert data.files[0].rows == 2


def test_items_not_in_the_pool_are_skipped_and_counted(pool: Pool, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [["s1", "other-1", 900], ["s1", ID.format(1), 900], ["s9", "other-2", 5]])
    data = read_responses([path], pool)
    assert data.item.tolist() == [1]
    assert data.sessions == ("s1",)  # a session seen only on other pools' items is not counted
    assert (data.files[0].rows, data.files[0].unknown_items) == (3, 2)


def test_a_session_may_span_files_and_integer_ids_are_read_as_text(pool: Pool, tmp_path: Path) -> None:
    a = write_csv(tmp_path / "a.csv", [["7", ID.format(0), 1000]])
    b = write_jsonl(tmp_path / "b.jsonl", [{"session": 7, "item_id": ID.format(1), "response_ms": 1200}])
    data = read_responses([a, b], pool)
    assert data.sessions == ("7",) and data.session.tolist() == [0, 0]
    assert [f.path for f in data.files] == [str(a), str(b)]


def test_progress_is_reported_per_file(pool: Pool, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [[f"s{k}", ID.format(k % 12), 1000 + k] for k in range(5000)])
    calls: list[tuple[str, int, int]] = []
    read_responses([path], pool, lambda name: lambda done, total: calls.append((name, done, total)))
    size = path.stat().st_size
    assert len(calls) >= 3 and all(name == str(path) and total == size for name, _, total in calls)
    assert [done for _, done, _ in calls] == sorted(done for _, done, _ in calls)
    assert calls[-1][1] == size


BAD_CSV = [
    ("session,item_id\ns1,pool-0000\n", 1, "the header lacks response_ms"),
    ("", None, "empty file"),
    ("session,item_id,response_ms\ns1,pool-0000,0\n", 2, "finite number > 0"),
    ("session,item_id,response_ms\ns1,pool-0000,-5\n", 2, "finite number > 0"),
    ("session,item_id,response_ms\ns1,pool-0000,abc\n", 2, "must be a number"),
    ("session,item_id,response_ms\ns1,pool-0000,\n", 2, "must be a number"),
    ("session,item_id,response_ms\ns1,pool-0000,inf\n", 2, "finite number > 0"),
    ("session,item_id,response_ms\ns1,pool-0000,nan\n", 2, "finite number > 0"),
    ("session,item_id,response_ms\ns1,pool-0000,1000\n,pool-0001,1000\n", 3, "session must be a non-empty"),
    ("session,item_id,response_ms\ns1,,1000\n", 2, "item_id must be a non-empty"),
    ("session,item_id,response_ms\ns1,pool-0000,1000,9\n", 2, "4 fields, the header has 3"),
    ("session,item_id,response_ms\ns1,pool-0000,1000\ns1,pool-0000,1200\n", 3, "second response of session s1"),
    ('[{"session": "s1"}]', 1, "a JSON array"),
]


@pytest.mark.parametrize(("text", "line", "problem"), BAD_CSV)
def test_a_bad_csv_row_names_the_file_and_line(pool: Pool, tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ResponseDataError) as info:
        read_responses([path], pool)
    assert (info.value.path, info.value.line) == (str(path), line)
    assert problem in str(info.value)
    assert str(info.value).startswith(f"{path}:{line}:" if line else f"{path}:")


BAD_JSONL = [
    ('{"session": "s1", "item_id": "pool-0000", "response_ms": 1000}\n{"session": "s2"', 2, "not a JSON object"),
    ('{"session": "s1", "item_id": "pool-0000"}\n', 1, "no response_ms"),
    ('{"session": "s1", "item_id": "pool-0000", "response_ms": true}\n', 1, "must be a number"),
    ('{"session": "s1", "item_id": "pool-0000", "response_ms": null}\n', 1, "must be a number"),
    ('{"session": "s1", "item_id": "pool-0000", "response_ms": "12x"}\n', 1, "must be a number"),
    ('{"session": ["s1"], "item_id": "pool-0000", "response_ms": 5}\n', 1, "session must be"),
    ('{"session": "s1", "item_id": 1.5, "response_ms": 5}\n', 1, "item_id must be"),
    ('{"session": "s1", "item_id": "pool-0000", "response_ms": 5}\n\n[1, 2]\n', 3, "not a JSON object"),
]


@pytest.mark.parametrize(("text", "line", "problem"), BAD_JSONL)
def test_a_bad_json_line_names_the_file_and_line(
    pool: Pool, tmp_path: Path, text: str, line: int, problem: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ResponseDataError) as info:
        read_responses([path], pool)
    assert (info.value.path, info.value.line) == (str(path), line)
    assert problem in str(info.value)


def test_the_same_export_given_twice_is_refused(pool: Pool, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", [["s1", ID.format(0), 1000]])
    with pytest.raises(ResponseDataError, match=re.escape(f"(first at {path}:2)")) as info:
        read_responses([path, path], pool)
    assert info.value.line == 2


def test_missing_file_and_non_utf8(pool: Pool, tmp_path: Path) -> None:
    with pytest.raises(ResponseDataError, match="cannot read the file"):
        read_responses([tmp_path / "nope.csv"], pool)
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"session,item_id,response_ms\nJos\xe9,pool-0000,1000\n")
    with pytest.raises(ResponseDataError, match="not UTF-8") as info:
        read_responses([path], pool)
    assert info.value.line == 2


# --- which items are estimated ---------------------------------------------------------------------------------


def _responses(pairs: list[tuple[int, int]], pool: Pool, seed: int = 0) -> Responses:
    rng = np.random.default_rng(seed)
    item = np.array([i for i, _ in pairs], dtype=np.intp)
    session = np.array([s for _, s in pairs], dtype=np.intp)
    n_sessions = int(session.max()) + 1
    return Responses(item, session, rng.normal(3.5, 0.5, item.size), tuple(f"s{k}" for k in range(n_sessions)), ())


def test_items_below_the_minimum_and_single_response_sessions_are_left_out(pool: Pool) -> None:
    # Items 0-3 answered by sessions 0-29 (4 each); item 5 by sessions 0-3 only; session 30 answers item 0 alone.
    pairs = [(i, s) for s in range(30) for i in range(4)] + [(5, s) for s in range(4)] + [(0, 30)]
    times = estimate_pool_times(_responses(pairs, pool), pool, min_responses=10)
    assert times.estimated.tolist() == [True] * 4 + [False] * 8
    assert times.n[:6].tolist() == [30, 30, 30, 30, 0, 4]  # used responses; item 5's four are counted, not used
    assert times.sessions_used == 30 and times.responses_used == 120
    assert np.isnan(times.beta[4:]).all() and np.isfinite(times.se_alpha[:4]).all()
    assert times.fit is not None and times.fit.converged


def test_the_selection_is_repeated_until_stable(pool: Pool) -> None:
    """Item 2 has 10 responses, but 5 come from sessions whose other response is on item 3 (too few): without
    item 3 those sessions hold one response each, so item 2 falls to 5 and is left out too."""
    pairs = [(i, s) for s in range(20) for i in (0, 1)] + [(2, s) for s in range(5)]
    pairs += [(2, s) for s in range(20, 25)] + [(3, s) for s in range(20, 25)]
    times = estimate_pool_times(_responses(pairs, pool), pool, min_responses=10)
    assert times.estimated.tolist()[:4] == [True, True, False, False]
    assert times.sessions_used == 20


def test_nothing_to_estimate(pool: Pool) -> None:
    times = estimate_pool_times(_responses([(0, 0), (1, 0)], pool), pool, min_responses=2)
    assert times.fit is None and not times.estimated.any() and times.sessions_used == 0


# --- version and record ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2026.1", "2026.1+rt20261207"),
        ("2026.1+sh0.25", "2026.1+rt20261207+sh0.25"),
        ("2026.1+rt20250101+sh0.25", "2026.1+rt20261207+sh0.25"),
        ("2026.1+rt20250101", "2026.1+rt20261207"),
    ],
)
def test_times_pool_version(version: str, expected: str) -> None:
    assert times_pool_version(version, date(2026, 12, 7)) == expected


def test_cat_exposure_keeps_the_time_suffix() -> None:
    from cat_engine.cli import exposure_pool_version

    timed = times_pool_version("2026.1+sh0.25", date(2026, 12, 7))
    assert exposure_pool_version(timed, 0.2) == "2026.1+rt20261207+sh0.20"


# --- the command end to end ------------------------------------------------------------------------------------

TRUE_BETA = np.log(np.linspace(20.0, 60.0, 12))  # 20 s to 60 s at average speed
TRUE_ALPHA = np.linspace(1.5, 2.5, 12)


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    """300 sessions with 6 random items each of the 12, times drawn from the model; item 11 is never given."""
    rng = np.random.default_rng(11)
    rows: list[list[Any]] = []
    for s in range(300):
        tau = rng.normal(0.0, 0.3)
        for i in rng.choice(11, 6, replace=False):
            seconds = math.exp(TRUE_BETA[i] - tau + rng.standard_normal() / TRUE_ALPHA[i])
            rows.append([f"sess-{s}", ID.format(int(i)), round(seconds * 1000)])
    rows.append(["sess-0", "other-pool-item", 1000])
    return write_csv(tmp_path / "responses.csv", rows)


@pytest.fixture
def pool_file(tmp_path: Path) -> Path:
    data = make_pool_dict(12, seed=3, pool_version="2026.1+sh0.25")
    data["items"][10]["time"] = {"beta": 3.0, "alpha": 1.0}  # will be re-estimated
    data["items"][11]["time"] = {"beta": 3.3, "alpha": 1.1}  # no responses: kept
    data["items"][0]["exposure_k"] = 0.5
    data["calibration"]["response_time"] = {"note": "synthetic", "method": "synthetic random draw"}
    return write_pool(tmp_path / "pool.json", data)


def test_end_to_end_writes_a_pool_with_the_estimates(
    data_file: Path, pool_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "new.json"
    argv = ["times", str(data_file), "--pool", str(pool_file), "--out", str(out), "--min-responses", "50"]
    assert pool_cli.main([*argv, "--json"]) == 0
    captured = capsys.readouterr()
    assert "responses.csv (kB) [" in captured.err  # the reading's progress bar
    result = orjson.loads(captured.out)
    before, after = load_pool(pool_file), load_pool(out)
    # The estimates are near the truth: within 4 of their SEs (the origin, the sample's mean speed, moves them
    # together by about 0.3 / sqrt(300) = 0.017, a third of an SE; 4 SE covers that with room for 11 items).
    for k in range(11):
        beta, alpha = after.items[k].time or (math.nan, math.nan)
        item = result["items"][k]
        assert item["estimated"] and item["n"] > 50
        assert abs(beta - TRUE_BETA[k]) < 4 * item["se_beta"], k
        assert abs(alpha - TRUE_ALPHA[k]) < 4 * item["se_alpha"], k
        assert (beta, alpha) == (round(item["beta"], 4), round(item["alpha"], 4))
    assert after.items[11].time == (3.3, 1.1) and not result["items"][11]["estimated"]
    assert result["items"][10]["previous"] == {"beta": 3.0, "alpha": 1.0}
    # Everything but the time fields, the version and the record is unchanged.
    old, new = before.to_dict(), after.to_dict()
    record = new["calibration"].pop("response_time")
    old["calibration"].pop("response_time")
    for item in (*old["items"], *new["items"]):
        item.pop("time", None)
    version = new.pop("pool_version")
    assert re.fullmatch(r"2026\.1\+rt\d{8}\+sh0\.25", version) and old.pop("pool_version") == "2026.1+sh0.25"
    assert new == old
    assert result["written"] == {"path": str(out), "pool_version": version}
    assert record["date"].replace("-", "") == version.split("+rt")[1][:8]
    assert record["data"] == [
        {"file": str(data_file), "sha256": hashlib.sha256(data_file.read_bytes()).hexdigest(), "rows": 1801}
    ]
    assert (record["items_estimated"], record["items_kept"], record["min_responses"]) == (11, 1, 50)
    assert record["responses"] == 1800 and record["sessions"] == 300 and record["converged"] is True
    assert record["previous"] == "synthetic random draw"
    assert result["files"][0]["unknown_items"] == 1
    assert result["summary"]["estimated"] == 11 and result["summary"]["without_responses"] == 1
    assert result["summary"]["shift_items"] == 1
    assert result["summary"]["mean_beta_shift"] == pytest.approx(result["items"][10]["beta"] - 3.0)


def test_text_report_in_both_languages(
    data_file: Path, pool_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAT_LANG", raising=False)
    argv = ["times", str(data_file), "--pool", str(pool_file), "--min-responses", "50"]
    assert pool_cli.main(argv) == 0
    text = capsys.readouterr().out
    assert text.startswith("Parameter waktu respons: Pool pool (pool v2026.1+sh0.25), 12 butir")
    for phrase in ("1 baris pada butir di luar bank soal dilewati", "Dipakai: 1800 respons dari 300 sesi", "konvergen"):
        assert phrase in text
    assert "Tanpa --out: tidak ada berkas yang ditulis" in text
    (row,) = [line.split() for line in text.splitlines() if line.startswith("  pool-0010 ")]
    assert row[-3:] == ["3.000", "/", "1.000"]  # the previous values beside the estimate
    assert float(row[6]) == pytest.approx(math.exp(float(row[2])), abs=0.06)  # the median seconds

    assert pool_cli.main([*argv, "--lang", "en"]) == 0
    english = capsys.readouterr().out
    assert english.startswith("Response-time parameters: Pool pool")
    assert "Summary: 11 items estimated" in english and "No --out: no file written" in english
    assert "butir" not in english


def test_items_below_the_minimum_are_reported_as_kept(
    data_file: Path, pool_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With 300 sessions of 6 items out of 11, each item has about 164 responses: a minimum of 160 splits them."""
    argv = ["times", str(data_file), "--pool", str(pool_file), "--min-responses", "160", "--lang", "en"]
    assert pool_cli.main([*argv, "--json"]) == 0
    items = orjson.loads(capsys.readouterr().out)["items"]
    estimated = [item for item in items if item["estimated"]]
    kept = [item for item in items if not item["estimated"] and item["n"]]
    assert estimated and kept
    assert all(item["n"] >= 160 for item in estimated) and all(item["beta"] is None for item in kept)
    assert pool_cli.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    for item in kept:
        (line,) = [line for line in lines if line.startswith(f"  {item['id']} ")]
        assert line.split()[1] == str(item["n"]) and "kept: " in line


def test_nothing_estimated_exits_1_and_writes_nothing(
    data_file: Path, pool_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "new.json"
    argv = ["times", str(data_file), "--pool", str(pool_file), "--out", str(out), "--min-responses", "5000"]
    assert pool_cli.main([*argv, "--lang", "en"]) == 1
    assert "No item has >= 5000 responses" in capsys.readouterr().out
    assert not out.exists()


def test_pool_version_option(data_file: Path, pool_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "new.json"
    argv = ["times", str(data_file), "--pool", str(pool_file), "--out", str(out), "--min-responses", "50"]
    assert pool_cli.main([*argv, "--pool-version", "2027.0", "--json"]) == 0
    assert load_pool(out).pool_version == "2027.0"


def test_bad_data_exits_2_naming_file_and_line(
    pool_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_csv(tmp_path / "bad.csv", [["s1", ID.format(0), 1000], ["s1", ID.format(1), -3]])
    assert pool_cli.main(["times", str(bad), "--pool", str(pool_file)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3: response_ms must be a finite number > 0" in err


def test_invalid_pool_and_arguments(tmp_path: Path, data_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = make_pool_dict(3)
    data["items"][1]["time"] = {"beta": 3.0, "alpha": -1.0}
    bad_pool = write_pool(tmp_path / "bad-pool.json", data)
    assert pool_cli.main(["times", str(data_file), "--pool", str(bad_pool)]) == 2
    assert "time.alpha" in capsys.readouterr().err
    for argv in (
        ["times", str(data_file)],
        ["times", "--pool", str(bad_pool)],
        ["times", str(data_file), "--pool", str(bad_pool), "--min-responses", "1"],
    ):
        with pytest.raises(SystemExit) as exc:
            pool_cli.main(argv)
        assert exc.value.code == 2


def test_time_record_without_a_fit(pool: Pool) -> None:
    data = _responses([(0, 0), (1, 0)], pool)
    times = estimate_pool_times(data, pool, min_responses=2)
    record = time_record(pool, data, times, 2, date(2026, 1, 2))
    assert record["date"] == "2026-01-02" and record["iterations"] is None and record["previous"] is None


def test_an_unwritable_out_exits_2(
    data_file: Path, pool_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "no-such-dir" / "new.json"
    argv = ["times", str(data_file), "--pool", str(pool_file), "--out", str(out), "--min-responses", "50", "--json"]
    assert pool_cli.main(argv) == 2
    assert "cannot write the pool" in capsys.readouterr().err
