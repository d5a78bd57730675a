"""``cat-pool times``: estimate the items' response-time parameters from exported responses.

Reads one or more files of responses (CSV with a header, or JSON lines) with at least ``session``, ``item_id`` and
``response_ms``, fits van der Linden's lognormal model (:func:`cat_engine.response_time.fit_time_params`) to the
responses on the pool's items, and writes the estimates into a copy of the pool (``--out``). The data format, the
rules for bad rows and the method are in ``docs/pool-format.md`` ("Response times").

Rows on items that are not in the pool are skipped and counted (an export of a room holds every subtest's items);
any other bad row (a missing field, a ``response_ms`` that is not a positive number, a second response of a
session to an item) stops the tool with an error naming the file and the line. Items with fewer than
``--min-responses`` usable responses keep what they had. The command line (options, report, run) is
:mod:`cat_engine.pool_times_cli`'s.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from .pool import Pool
from .response_time import TimeFit, fit_time_params, log_seconds

__all__ = [
    "COLUMNS",
    "DataFile",
    "PoolTimes",
    "ResponseDataError",
    "Responses",
    "estimate_pool_times",
    "read_responses",
    "time_record",
    "times_pool_version",
]

COLUMNS = ("session", "item_id", "response_ms")
METHOD = (
    "joint maximum likelihood of the lognormal response-time model (van der Linden 2006): alternating closed-form "
    "updates, mean speed of the sample 0, alpha with the residual degrees of freedom"
)
_PROGRESS_EVERY = 2000  # lines between progress reports

Progress = Callable[[int, int], None]  # (bytes read, bytes in the file)


class ResponseDataError(ValueError):
    """A row of a response file that cannot be used; names the file and the line."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path, self.line, self.problem = path, line, problem
        super().__init__(f"{path}{'' if line is None else f':{line}'}: {problem}")


@dataclass(frozen=True)
class DataFile:
    """What one response file held: data rows, rows skipped as not on the pool's items, its SHA-256."""

    path: str
    rows: int
    unknown_items: int
    sha256: str


@dataclass(frozen=True)
class Responses:
    """Responses on the pool's items: item index, session index (into ``sessions``) and log-seconds."""

    item: npt.NDArray[np.intp]
    session: npt.NDArray[np.intp]
    log_t: npt.NDArray[np.float64]
    sessions: tuple[str, ...]
    files: tuple[DataFile, ...]


def _lines(handle: BinaryIO, path: str, digest: Any, total: int, progress: Progress | None) -> Iterator[str]:
    """The file's lines decoded as UTF-8 (a byte-order mark dropped); hashes the bytes and reports them read."""
    done = 0
    for number, raw in enumerate(handle, start=1):
        digest.update(raw)
        done += len(raw)
        if progress is not None and number % _PROGRESS_EVERY == 0:
            progress(done, total)
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise ResponseDataError(path, number, "not UTF-8 text") from None
    if progress is not None:
        progress(total, total)


def _csv_rows(
    lines: Iterator[str], path: str, columns: Sequence[str] = COLUMNS
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise ResponseDataError(path, None, "empty file")
    names = [name.strip() for name in header]
    # the responses export (GET /api/rooms/{id}/responses) names the session column session_id
    missing = [c for c in columns if c not in names and not (c == "session" and "session_id" in names)]
    if missing:
        raise ResponseDataError(path, 1, f"the header lacks {', '.join(missing)} (it has {', '.join(names)})")
    for row in reader:
        if not row or row == [""]:
            continue
        if len(row) != len(names):
            raise ResponseDataError(path, reader.line_num, f"{len(row)} fields, the header has {len(names)}")
        yield reader.line_num, dict(zip(names, row, strict=True))


def _json_rows(lines: Iterator[str], path: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise ResponseDataError(path, number, "not a JSON object (JSON lines: one object per line)") from None
        if not isinstance(row, dict):
            raise ResponseDataError(path, number, "not a JSON object (JSON lines: one object per line)")
        yield number, row


def _text(value: Any, path: str, line: int, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        raise ResponseDataError(path, line, f"{name} must be a non-empty string, got {value!r}")
    return str(value).strip()


def _ms(value: Any, path: str, line: int) -> float:
    try:
        if isinstance(value, bool):
            raise ValueError
        ms = float(value)
    except (TypeError, ValueError):
        raise ResponseDataError(path, line, f"response_ms must be a number, got {value!r}") from None
    if not (math.isfinite(ms) and ms > 0):
        raise ResponseDataError(path, line, f"response_ms must be a finite number > 0, got {value!r}")
    return ms


class _Collector:
    """Responses read so far, across files (a session's responses may be spread over several), in typed arrays:
    a large export holds millions of rows."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.items = array("q")
        self.sessions = array("q")
        self.ms = array("d")
        self.where = array("q")  # file number * 2^32 + line, to name a duplicate's lines
        self.session_of: dict[str, int] = {}
        self.paths: list[str] = []

    def read(self, path: str, progress: Progress | None) -> DataFile:
        digest = hashlib.sha256()
        count = unknown = 0
        file_no = len(self.paths)
        self.paths.append(path)
        with Path(path).open("rb") as handle:
            first = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
            handle.seek(0)
            if first.startswith(b"["):
                raise ResponseDataError(path, 1, "a JSON array: give JSON lines (one object per line) or CSV")
            lines = _lines(handle, path, digest, Path(path).stat().st_size, progress)
            for line, row in (_json_rows if first.startswith(b"{") else _csv_rows)(lines, path):
                count += 1
                if not self.add(row, path, (file_no << 32) + line):
                    unknown += 1
        return DataFile(path, count, unknown, digest.hexdigest())

    def add(self, row: Mapping[str, Any], path: str, where: int) -> bool:
        """Add one row; False when its item is not in the pool."""
        line = where & 0xFFFFFFFF
        if "session" not in row and "session_id" in row:  # a row of the responses export
            row = {**row, "session": row["session_id"]}
        for name in COLUMNS:
            if name not in row:
                raise ResponseDataError(path, line, f"no {name}")
        session = _text(row["session"], path, line, "session")
        item_id = _text(row["item_id"], path, line, "item_id")
        ms = _ms(row["response_ms"], path, line)
        try:
            self.items.append(self.pool.index_of(item_id))
        except KeyError:
            return False
        self.sessions.append(self.session_of.setdefault(session, len(self.session_of)))
        self.ms.append(ms)
        self.where.append(where)
        return True

    def check_duplicates(self, item: npt.NDArray[np.intp], session: npt.NDArray[np.intp]) -> None:
        """Refuse a second response of a session to an item, naming the earliest such row and the first one."""
        key = item * max(len(self.session_of), 1) + session
        order = np.argsort(key, kind="stable")  # rows of one key stay in reading order
        repeats = np.flatnonzero(key[order][1:] == key[order][:-1])
        if not repeats.size:
            return
        k = repeats[np.argmin(order[repeats + 1])]
        first, second = (int(self.where[int(order[r])]) for r in (k, k + 1))
        row = int(order[k + 1])
        session_id = next(s for s, code in self.session_of.items() if code == session[row])
        raise ResponseDataError(
            self.paths[second >> 32],
            second & 0xFFFFFFFF,
            f"a second response of session {session_id} to item {self.pool.items[int(item[row])].id} "
            f"(first at {self.paths[first >> 32]}:{first & 0xFFFFFFFF})",
        )


def read_responses(
    paths: Sequence[str | Path], pool: Pool, progress: Callable[[str], Progress] | None = None
) -> Responses:
    """Read response files (CSV with a header, or JSON lines: told apart by a first character ``{``).

    ``progress(path)`` gives the progress callback of a file (bytes read, bytes in the file). Raises
    :class:`ResponseDataError` naming the file and line of the first bad row (a repeated response is found once
    everything is read, and named by the earliest row that repeats one before it).
    """
    collector = _Collector(pool)
    files = []
    for entry in paths:
        path = str(entry)
        try:
            files.append(collector.read(path, None if progress is None else progress(path)))
        except OSError as exc:
            raise ResponseDataError(path, None, f"cannot read the file: {exc.strerror}") from exc
    item = np.frombuffer(collector.items, dtype=np.int64).astype(np.intp)
    session = np.frombuffer(collector.sessions, dtype=np.int64).astype(np.intp)
    collector.check_duplicates(item, session)
    return Responses(
        item=item,
        session=session,
        log_t=log_seconds(np.frombuffer(collector.ms, dtype=np.float64)),
        sessions=tuple(collector.session_of),
        files=tuple(files),
    )


@dataclass(frozen=True)
class PoolTimes:
    """The estimate for a pool: per pool item, ``n`` usable responses and, where ``estimated``, the fit's values
    (NaN elsewhere); ``fit`` is None when no item had enough responses."""

    n: npt.NDArray[np.intp]
    estimated: npt.NDArray[np.bool_]
    beta: npt.NDArray[np.float64]
    alpha: npt.NDArray[np.float64]
    se_beta: npt.NDArray[np.float64]
    se_alpha: npt.NDArray[np.float64]
    sessions_used: int
    responses_used: int
    fit: TimeFit | None


def estimate_pool_times(data: Responses, pool: Pool, min_responses: int = 100) -> PoolTimes:
    """Fit the items with at least ``min_responses`` responses from sessions with at least two of them.

    Responses on other items are left out of the fit (their parameters are not estimated, so they cannot inform
    the speeds). Leaving them out may take a session below two responses and then an item below the minimum, so
    the selection is repeated until it is stable.
    """
    keep = np.ones(data.item.size, dtype=bool)
    while True:
        per_item = np.bincount(data.item[keep], minlength=pool.size)
        per_session = np.bincount(data.session[keep], minlength=len(data.sessions))
        now = keep & (per_item[data.item] >= min_responses) & (per_session[data.session] >= 2)
        if np.array_equal(now, keep):
            break
        keep = now
    n = np.bincount(data.item, minlength=pool.size).astype(np.intp)
    nan = np.full(pool.size, math.nan)
    if not keep.any():
        return PoolTimes(n, np.zeros(pool.size, dtype=bool), nan, nan, nan, nan, 0, 0, None)
    items, item_code = np.unique(data.item[keep], return_inverse=True)
    sessions, session_code = np.unique(data.session[keep], return_inverse=True)
    fit = fit_time_params(item_code, session_code, data.log_t[keep])
    estimated = np.zeros(pool.size, dtype=bool)
    estimated[items] = True
    n[items] = fit.n

    def spread(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        full = nan.copy()
        full[items] = values
        return full

    return PoolTimes(
        n=n,
        estimated=estimated,
        beta=spread(fit.beta),
        alpha=spread(fit.alpha),
        se_beta=spread(fit.se_beta),
        se_alpha=spread(fit.se_alpha),
        sessions_used=int(sessions.size),
        responses_used=int(keep.sum()),
        fit=fit,
    )


def times_pool_version(version: str, day: date) -> str:
    """``version`` with its ``+rt...`` suffix set to ``day``, before any ``+sh...`` suffix of ``cat-exposure``
    (which keeps what precedes its own): ``2026.1+sh0.25`` -> ``2026.1+rt20261207+sh0.25``."""
    head, sep, tail = re.sub(r"\+rt[^+]*", "", version).partition("+sh")
    return f"{head}+rt{day:%Y%m%d}{sep}{tail}"


def time_record(pool: Pool, data: Responses, times: PoolTimes, min_responses: int, day: date) -> dict[str, Any]:
    """The ``calibration.response_time`` record of a pool written with these estimates."""
    previous = pool.calibration.get("response_time")
    fit = times.fit
    return {
        "method": METHOD,
        "date": day.isoformat(),
        "data": [{"file": f.path, "sha256": f.sha256, "rows": f.rows} for f in data.files],
        "responses": times.responses_used,
        "sessions": times.sessions_used,
        "min_responses": min_responses,
        "items_estimated": int(times.estimated.sum()),
        "items_kept": int((~times.estimated & pool.timed).sum()),
        "iterations": None if fit is None else fit.iterations,
        "converged": None if fit is None else fit.converged,
        "previous": None if not isinstance(previous, Mapping) else previous.get("method"),
    }


# --- the command ----------------------------------------------------------------------------------------------
