"""``cat-calibrate gather``: the rows of many rooms' responses exports copied into one calibration data set
(docs/calibration.md, "The data set"), with repeats dropped, the battery and pool versions counted and checked, and
the rows counted per item. Reading the rows is :mod:`cat_engine.calibration_data`'s.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from .calibration_data import Row, read_export
from .pool_times import DataFile, Progress

__all__ = ["GatherReport", "gather"]


@dataclass
class GatherReport:
    """What :func:`gather` read and wrote.

    ``versions`` maps ``battery <id>`` and ``pool <subtest>/<pool_id>`` (``pretest pool ...`` for pretest rows) to
    the versions seen with their row counts; ``differing`` lists the keys with more than one version. ``items``
    maps ``(subtest_id, item_id, pretest)`` to the rows kept.
    """

    files: list[DataFile] = field(default_factory=list)
    rows_read: int = 0
    rows_written: int = 0
    repeats: int = 0
    sessions: int = 0
    versions: dict[str, Counter[str]] = field(default_factory=dict)
    items: Counter[tuple[str, str, bool]] = field(default_factory=Counter)

    @property
    def differing(self) -> list[str]:
        return sorted(key for key, seen in self.versions.items() if len(seen) > 1)


def gather(
    paths: Sequence[str | Path],
    out: str | Path | None,
    progress: Callable[[str], Progress] | None = None,
    *,
    allow_mixed: bool = False,
) -> GatherReport:
    """Copy the rows of ``paths`` into the JSON-lines data set ``out`` (typed values, :data:`EXPORT_COLUMNS` in
    order), keeping the first row of each (session, subtest, item) (a room exported twice, or overlapping exports).

    The file is written through a temporary file and kept only when the versions agree (or ``allow_mixed``);
    ``out`` None reads and counts without writing. Raises ``ResponseDataError`` on a bad row (nothing written).
    """
    report = GatherReport()
    seen: set[tuple[str, str, str]] = set()
    sessions: set[str] = set()
    target = None if out is None else Path(out)
    tmp = None if target is None else target.with_name(target.name + ".tmp")
    handle = None if tmp is None else tmp.open("wb")
    complete = False
    try:
        for entry in paths:
            rows, info = read_export(entry, None if progress is None else progress(str(entry)))
            for _, row in rows:
                report.rows_read += 1
                key = (row["session_id"], row["subtest_id"], row["item_id"])
                if key in seen:
                    report.repeats += 1
                    continue
                seen.add(key)
                sessions.add(row["session_id"])
                _count_versions(report, row)
                report.items[(row["subtest_id"], row["item_id"], bool(row["pretest"]))] += 1
                report.rows_written += 1
                if handle is not None:
                    handle.write(orjson.dumps(row) + b"\n")
            report.files.append(info.frozen())
        complete = True
    finally:
        if handle is not None:
            handle.close()
        if tmp is not None and not complete:
            tmp.unlink(missing_ok=True)
    report.sessions = len(sessions)
    if tmp is not None and target is not None:
        if report.differing and not allow_mixed:
            tmp.unlink(missing_ok=True)
        else:
            tmp.replace(target)
    return report


def _count_versions(report: GatherReport, row: Row) -> None:
    battery = report.versions.setdefault(f"battery {row['battery_id']}", Counter())
    battery[str(row["battery_version"])] += 1
    kind = "pretest pool" if row["pretest"] else "pool"
    pool = report.versions.setdefault(f"{kind} {row['subtest_id']}/{row['pool_id']}", Counter())
    pool[str(row["pool_version"])] += 1
