"""The calibration data set: rows of the responses export (``GET /api/rooms/{room_id}/responses``), gathered from
many rooms into one file, and read for one subtest into :class:`~cat_engine.calibration.ResponseData`.

The rows' columns are :data:`EXPORT_COLUMNS` (docs/protocol.md, "Responses export"); a file is CSV with a header or
JSON lines, told apart and read as ``cat-pool times`` reads its files (:mod:`cat_engine.pool_times`: UTF-8, an
optional byte-order mark, progress by bytes, SHA-256 of the bytes, errors naming the file and the line).

* :func:`cat_engine.calibration_gather.gather` copies the rows of many exports into one JSON-lines data set,
  keeping the first row of each (session, subtest, item), and counts the versions seen and the rows per item;
* :func:`load_subtest` reads a data set for one subtest of a battery: persons are sessions, the subtest's
  operational items are fixed at the operational pool's parameters and its pretest items are free, starting
  from the pretest pool's provisional parameters (or defaults from their share correct). See docs/calibration.md.
"""

from __future__ import annotations

import hashlib
import os
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .calibration import ResponseData
from .irt import ItemParams
from .pool import Pool
from .pool_times import DataFile, Progress, ResponseDataError, _csv_rows, _json_rows, _lines
from .pretest_items import SeededItems, concat_params, provisional_params

__all__ = [
    "EXPORT_COLUMNS",
    "REQUIRED",
    "FileInfo",
    "SubtestData",
    "item_range",
    "load_subtest",
    "read_export",
]

EXPORT_COLUMNS = (
    "room_id",
    "session_id",
    "battery_id",
    "battery_version",
    "subtest_id",
    "pool_id",
    "pool_version",
    "item_id",
    "pretest",
    "position",
    "option",
    "category",
    "response_ms",
    "at_ms",
    "theta_before",
    "se_before",
    "theta_after",
    "se_after",
    "final_theta",
    "final_se",
)
"""The columns of a row of the responses export (the keys of a JSON line, in this order)."""

REQUIRED = ("session_id", "battery_id", "battery_version", "subtest_id", "pool_id", "pool_version", "item_id")
_TEXT = {"room_id", *REQUIRED}
_INTEGER = {"position", "option", "category", "response_ms", "at_ms"}
_NUMBER = {"theta_before", "se_before", "theta_after", "se_after", "final_theta", "final_se"}
_NOT_NULL = {"session_id", "subtest_id", "item_id"}
_FORMULA_START = frozenset("=+-@\t\r")  # what the server's CSV writer defuses with a leading '

Row = dict[str, Any]


def _value(name: str, value: Any, path: str, line: int, csv_text: bool) -> Any:
    """One cell as its JSON type (CSV text converted; empty CSV cells and JSON null are None)."""
    if csv_text and isinstance(value, str):
        if value == "":
            value = None
        elif name in _TEXT and len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_START:
            value = value[1:]  # undo the spreadsheet defusing
    if value is None:
        if name in _NOT_NULL:
            raise ResponseDataError(path, line, f"{name} must be a non-empty string, got null")
        return False if name == "pretest" else None
    try:
        if name == "pretest":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
                return value.strip().lower() in ("true", "1")
            raise ValueError
        if name in _INTEGER:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if name in _NUMBER:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            return number if np.isfinite(number) else None
    except ValueError:
        raise ResponseDataError(path, line, f"{name}: {value!r} is not a valid value") from None
    text = str(value).strip()
    if name in _NOT_NULL and not text:
        raise ResponseDataError(path, line, f"{name} must be a non-empty string")
    return text


def _row(raw: Mapping[str, Any], path: str, line: int, csv_text: bool) -> Row:
    for name in REQUIRED:
        if name not in raw:
            raise ResponseDataError(path, line, f"no {name} (is this a responses export?)")
    if "option" not in raw and "category" not in raw:
        raise ResponseDataError(path, line, "neither option nor category")
    return {name: _value(name, raw.get(name), path, line, csv_text) for name in EXPORT_COLUMNS}


def read_export(path: str | Path, progress: Progress | None = None) -> tuple[Iterator[tuple[int, Row]], FileInfo]:
    """The rows of one export file as ``(line, row)`` with typed values (all of :data:`EXPORT_COLUMNS`, None where
    absent), and the file's :class:`FileInfo`, filled in as the rows are read (final once the iterator ends).

    Raises :class:`~cat_engine.pool_times.ResponseDataError` (file and line) on a bad row, when iterated.
    """
    name = str(path)
    info = FileInfo(name)

    def rows() -> Iterator[tuple[int, Row]]:
        digest = hashlib.sha256()
        try:
            handle = Path(name).open("rb")  # noqa: SIM115 (closed below; the generator owns it)
        except OSError as exc:
            raise ResponseDataError(name, None, f"cannot read the file: {exc.strerror}") from exc
        with handle:
            first = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
            handle.seek(0)
            if first.startswith(b"["):
                raise ResponseDataError(name, 1, "a JSON array: give JSON lines (one object per line) or CSV")
            lines = _lines(handle, name, digest, os.fstat(handle.fileno()).st_size, progress)
            csv_text = not first.startswith(b"{")
            source = _csv_rows(lines, name, REQUIRED) if csv_text else _json_rows(lines, name)
            for line, raw in source:
                info.rows += 1
                yield line, _row(raw, name, line, csv_text)
        info.sha256 = digest.hexdigest()

    return rows(), info


@dataclass
class FileInfo:
    """A :class:`~cat_engine.pool_times.DataFile` filled while its file is read."""

    path: str
    rows: int = 0
    unknown_items: int = 0
    sha256: str = ""

    def frozen(self) -> DataFile:
        return DataFile(self.path, self.rows, self.unknown_items, self.sha256)


# --- one subtest ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SubtestData:
    """A subtest's responses ready for :func:`~cat_engine.calibration.calibrate`.

    Items are the operational pool's (indices ``0..n_operational-1``, fixed) followed by the pretest pool's;
    ``free`` marks the pretest items with responses. ``final_theta`` is each person's reported estimate of the
    subtest (NaN where the export has none). ``skipped`` counts rows left out: ``other_subtest``, ``unknown_item``
    (an id the pool it is marked for does not hold) and ``repeated`` (a second row of a (session, item) pair).
    """

    params: ItemParams
    free: npt.NDArray[np.bool_]
    responses: ResponseData
    item_ids: tuple[str, ...]
    n_operational: int
    sessions: tuple[str, ...]
    final_theta: npt.NDArray[np.float64]
    files: tuple[DataFile, ...]
    skipped: Mapping[str, int]
    versions: Mapping[str, Mapping[str, int]]

    @property
    def counts(self) -> npt.NDArray[np.intp]:
        """Responses per item."""
        result: npt.NDArray[np.intp] = np.bincount(self.responses.item, minlength=self.params.size).astype(np.intp)
        return result


def _category(row: Row, pool: Pool, index: int, path: str, line: int) -> int:
    option, category = row["option"], row["category"]
    n_cat = int(pool.params.n_categories[index])
    if category is None:
        if option is None or not 0 <= option < pool.n_options(index):
            raise ResponseDataError(path, line, f"option {option!r} is not an option of item {row['item_id']}")
        category = int(pool.scoring[index, option])
    if not 0 <= category < n_cat:
        raise ResponseDataError(path, line, f"category {category} out of range for item {row['item_id']}")
    return int(category)


def _defaults(pretest: Pool, item: npt.NDArray[np.intp], category: npt.NDArray[np.intp]) -> ItemParams:
    """Default starting values of the pretest items from their responses (:func:`provisional_params`)."""
    seeded = SeededItems(
        truth=pretest.params,
        models=tuple(it.model for it in pretest.items),
        n_options=np.array(pretest.option_counts, dtype=np.intp),
        source=np.zeros(pretest.size, dtype=np.intp),
    )
    return provisional_params(seeded, item, category)


def load_subtest(
    paths: Sequence[str | Path],
    subtest_id: str,
    operational: Pool,
    pretest: Pool | None,
    *,
    start: str = "pool",
    include_pretest: bool = True,
    progress: Callable[[str], Progress] | None = None,
) -> SubtestData:
    """Read the rows of ``subtest_id`` from data files (a gathered data set, or exports).

    ``start`` ``"pool"`` starts the pretest items at the pretest pool's parameters, ``"defaults"`` at
    :func:`cat_engine.pretest_items.provisional_params` from their share correct (a = 1, c = 1/options on items with
    a lower asymptote). ``include_pretest=False`` leaves pretest rows out (drift checks of operational items).
    """
    if start not in ("pool", "defaults"):
        raise ValueError(f"start must be 'pool' or 'defaults', got {start!r}")
    person, item, category = array("q"), array("q"), array("q")
    session_of: dict[str, int] = {}
    final: dict[int, float] = {}
    seen: set[tuple[int, int]] = set()
    skipped: Counter[str] = Counter()
    versions: dict[str, Counter[str]] = {}
    files: list[DataFile] = []
    offset = operational.size
    for entry in paths:
        rows, info = read_export(entry, None if progress is None else progress(str(entry)))
        for line, row in rows:
            if row["subtest_id"] != subtest_id:
                skipped["other_subtest"] += 1
                continue
            is_pretest = bool(row["pretest"])
            pool = pretest if is_pretest else operational
            if pool is None or (is_pretest and not include_pretest):
                skipped["unknown_item" if pool is None else "pretest"] += 1
                continue
            try:
                index = pool.index_of(row["item_id"])
            except KeyError:
                skipped["unknown_item"] += 1
                continue
            code = session_of.setdefault(row["session_id"], len(session_of))
            column = index + (offset if is_pretest else 0)
            if (code, column) in seen:
                skipped["repeated"] += 1
                continue
            seen.add((code, column))
            person.append(code)
            item.append(column)
            category.append(_category(row, pool, index, info.path, line))
            if row["final_theta"] is not None:
                final.setdefault(code, row["final_theta"])
            kind = "pretest pool" if is_pretest else "pool"
            versions.setdefault(f"{kind} {row['pool_id']}", Counter())[str(row["pool_version"])] += 1
        files.append(info.frozen())
    p = np.frombuffer(person, dtype=np.int64).astype(np.intp)
    i = np.frombuffer(item, dtype=np.int64).astype(np.intp)
    c = np.frombuffer(category, dtype=np.int64).astype(np.intp)
    n_pretest = 0 if pretest is None else pretest.size
    counts = np.bincount(i, minlength=offset + n_pretest)
    if pretest is None:
        params = operational.params
    else:
        own = i >= offset
        start_values = pretest.params if start == "pool" else _defaults(pretest, i[own] - offset, c[own])
        params = concat_params(operational.params, start_values)
    free = np.zeros(params.size, dtype=bool)
    free[offset:] = counts[offset:] > 0
    ids = tuple(it.id for it in operational.items) + (() if pretest is None else tuple(it.id for it in pretest.items))
    theta = np.full(len(session_of), np.nan)
    for code, value in final.items():
        theta[code] = value
    return SubtestData(
        params=params,
        free=free,
        responses=ResponseData(person=p, item=i, category=c, n_persons=len(session_of)),
        item_ids=ids,
        n_operational=offset,
        sessions=tuple(session_of),
        final_theta=theta,
        files=tuple(files),
        skipped=dict(skipped),
        versions={k: dict(v) for k, v in versions.items()},
    )


def item_range(params: ItemParams, start: int, stop: int) -> ItemParams:
    """Items ``start..stop-1`` of ``params`` (e.g. the operational or the pretest part of a subtest's items)."""
    if (start, stop) == (0, params.size):
        return params
    cut = slice(start, stop)
    return ItemParams(
        model=params.model[cut],
        a=params.a[cut],
        b=params.b[cut],
        c=params.c[cut],
        d=params.d[cut],
        steps=params.steps[cut],
        n_categories=params.n_categories[cut],
        D=params.D,
    )
