r"""Import calibrated item parameters from R mirt and from catsim into the pool format.

Both importers return a pool as a plain dict in the format of ``docs/pool-format.md``, already checked by
:meth:`cat_engine.pool.Pool.from_dict`, so ``Pool.from_dict(result)`` and ``save_pool`` accept it unchanged. A
calibration only carries parameters, so every item gets **placeholder text** to be replaced before the pool goes
live:

* ``stem``: ``"[stem belum diisi] <id>"``;
* dichotomous items: four options ``"Pilihan 1" .. "Pilihan 4"`` and ``key`` 0 (the real number of options and
  the real key must be filled in; the model does not depend on them);
* graded items with :math:`m` thresholds: :math:`m + 1` options ``"Pilihan 1" .. "Pilihan m+1"`` with
  ``option_weights`` 1..m+1, i.e. option ``k`` scores in category ``k`` (reorder the weights when the options are
  shown in another order).

Metrics
-------
mirt's ``coef(model, IRTpars = TRUE)`` reports the traditional parameterisation on the logistic metric,

.. math:: P(\theta) = g + \frac{u - g}{1 + e^{-a(\theta - b)}}, \qquad
          P^*_k(\theta) = \frac{1}{1 + e^{-a(\theta - b_k)}}\ \text{(graded)},

which is this engine's 4PL and GRM with :math:`D = 1` and :math:`c = g`, :math:`d = u`. catsim's item matrix
``[a, b, c, d]`` uses the same logistic metric without a scaling constant, so its pools get :math:`D = 1`.

Errors
------
Every problem raises :class:`~cat_engine.errors.PoolValidationError` naming the source (the CSV path, or
``"<catsim matrix>"``), the item id and the offending column, so an import either succeeds completely or not at
all.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .errors import PoolValidationError
from .pool import FORMAT_VERSION, Pool

__all__ = [
    "DEFAULT_CONTENT_AREA",
    "PLACEHOLDER_DICHOTOMOUS_OPTIONS",
    "from_catsim_matrix",
    "from_mirt_csv",
    "placeholder_options",
    "placeholder_stem",
]

#: Content area of every item unless the CSV has a ``content_area`` column.
DEFAULT_CONTENT_AREA = "Umum"
#: Number of placeholder options a dichotomous item gets.
PLACEHOLDER_DICHOTOMOUS_OPTIONS = 4

_MIRT_NOTE = (
    "Imported from R mirt coef(model, IRTpars = TRUE, simplify = TRUE)$items; "
    "stems, options and keys are placeholders to be filled in"
)
_CATSIM_NOTE = (
    "Imported from a catsim [a, b, c, d] item matrix; stems, options and keys are placeholders to be filled in"
)
_CATSIM_SOURCE = "<catsim matrix>"
# Cells R writes for missing values (write.csv writes NA; na = "" gives empty cells).
_MISSING = frozenset({"", "NA"})
_STEP_COLUMN = re.compile(r"^b(\d+)$")
_INTERCEPT_COLUMN = re.compile(r"^d\d*$")
_MULTIDIM_COLUMN = re.compile(r"^a([2-9]|\d{2,})$")
_CONTENT_COLUMN = "content_area"
_ID_FIELD = "id"


def placeholder_stem(item_id: str) -> str:
    """The placeholder stem of item ``item_id``: ``"[stem belum diisi] <id>"``."""
    return f"[stem belum diisi] {item_id}"


def placeholder_options(n: int) -> list[str]:
    """``n`` placeholder options ``"Pilihan 1" .. "Pilihan n"``."""
    return [f"Pilihan {k}" for k in range(1, n + 1)]


# --- mirt ------------------------------------------------------------------------------------------------------


def from_mirt_csv(
    path: str | os.PathLike[str],
    *,
    pool_id: str,
    pool_version: str,
    name: str,
    content_area: str = DEFAULT_CONTENT_AREA,
    calibration_note: str = _MIRT_NOTE,
    D: float = 1.0,
    polytomous_model: Literal["GRM", "GPCM"] = "GRM",
) -> dict[str, Any]:
    """Read mirt item parameters written with ``write.csv`` and return a pool dict.

    The CSV is what ``write.csv(coef(model, IRTpars = TRUE, simplify = TRUE)$items, path)`` writes:

    * the first column is the item id (its header is ``""`` from ``write.csv``, or e.g. ``"item"`` / ``"id"``);
    * ``a`` (or ``a1``): discrimination;
    * dichotomous items: ``b``, and optionally ``g`` (lower asymptote, default 0) and ``u`` (upper asymptote,
      default 1);
    * graded items: ``b1 .. bk``, thresholds; an item with fewer categories than the widest item has ``NA`` in
      its last threshold columns;
    * mixed pools have ``NA`` (or empty cells) in the columns an item does not use;
    * optional ``content_area``: the item's content area (empty cells get ``content_area``).

    Each row's model is decided by its values: **graded** (``polytomous_model``, default GRM) when any of
    ``b1 ..`` is set; otherwise **4PL** when ``u < 1``, **3PL** when ``g > 0``, and **2PL** otherwise (a Rasch
    or 1PL calibration, with ``a = 1`` throughout, is imported as 2PL items with ``a = 1``).

    Parameters
    ----------
    path : str or PathLike
        The CSV file (UTF-8, with or without a byte-order mark).
    pool_id, pool_version, name : str
        The pool's identity fields.
    content_area : str
        Content area of items without one in the CSV.
    calibration_note : str
        ``calibration.note`` of the pool.
    D : float
        ``theta_scale.D``; mirt's logistic metric is ``D = 1``. Use 1.702 only if the parameters are on the
        normal-ogive metric.
    polytomous_model : {"GRM", "GPCM"}
        The model of the rows with thresholds. mirt writes both ``graded`` and ``gpcm`` items as ``a, b1..bk``
        under ``IRTpars = TRUE``, so the file cannot tell them apart.

    Returns
    -------
    dict
        The pool in the format of ``docs/pool-format.md``, with placeholder stems, options and keys (see the
        module docstring).

    Raises
    ------
    PoolValidationError
        Naming the file, the item id and the column: missing or unknown columns, slope-intercept (``d``) or
        multidimensional (``a2``) output, a non-numeric or non-finite value, a missing required value, a duplicate
        id, parameters out of range (``a <= 0``, ``g``/``u`` outside ``0 <= g < u <= 1``, GRM thresholds not
        strictly increasing).
    """
    if polytomous_model not in ("GRM", "GPCM"):
        raise ValueError(f"polytomous_model must be 'GRM' or 'GPCM', got {polytomous_model!r}")
    source = str(path)
    header, rows = _read_csv(source)
    layout = _mirt_layout(source, header)
    seen: dict[str, int] = {}
    items: list[dict[str, Any]] = []
    areas: list[str] = []
    for line, cells in rows:
        item_id = cells[0].strip()
        if not item_id:
            raise PoolValidationError(source, None, _ID_FIELD, f"line {line}: the item id is empty")
        if len(cells) != len(header):
            raise PoolValidationError(
                source, item_id, "<row>", f"line {line} has {len(cells)} cells but the header has {len(header)}"
            )
        if item_id in seen:
            raise PoolValidationError(source, item_id, _ID_FIELD, f"duplicate id (also on line {seen[item_id]})")
        seen[item_id] = line
        values = {col: _cell(source, item_id, col, cells[i]) for col, i in layout.numeric.items()}
        area = content_area
        if layout.content is not None:
            raw_area = cells[layout.content].strip()
            if raw_area not in _MISSING:
                area = raw_area
        if area not in areas:
            areas.append(area)
        items.append(_mirt_item(source, item_id, area, values, layout, polytomous_model))
    if not items:
        raise PoolValidationError(source, None, "<file>", "the CSV has a header but no item rows")
    return _finish(source, pool_id, pool_version, name, calibration_note, "mirt", D, areas, items)


class _Layout:
    """Where each known column of a mirt CSV is."""

    def __init__(self, numeric: dict[str, int], a_col: str, steps: list[str], content: int | None) -> None:
        self.numeric = numeric  # column name -> index, for every numeric column
        self.a_col = a_col
        self.steps = steps  # b1..bk in order
        self.content = content


def _read_csv(source: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        with Path(source).open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            table = [(reader.line_num, row) for row in reader]
    except OSError as exc:
        raise PoolValidationError(source, None, "<file>", f"cannot read the file: {exc.strerror}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise PoolValidationError(source, None, "<file>", f"not a readable UTF-8 CSV file: {exc}") from exc
    table = [(line, row) for line, row in table if any(cell.strip() for cell in row)]
    if not table:
        raise PoolValidationError(source, None, "<file>", "the file is empty")
    header = [cell.strip() for cell in table[0][1]]
    return header, table[1:]


def _mirt_layout(source: str, header: list[str]) -> _Layout:
    def fail(column: str, problem: str) -> PoolValidationError:
        return PoolValidationError(source, None, column, problem)

    first = header[0]
    if first in {"a", "a1", "b", "g", "u", _CONTENT_COLUMN} or _STEP_COLUMN.match(first):
        raise fail(first, "the first column must be the item id (write.csv writes the row names there)")
    numeric: dict[str, int] = {}
    step_numbers: dict[int, str] = {}
    content: int | None = None
    for i, col in enumerate(header[1:], start=1):
        if col in numeric or (col == _CONTENT_COLUMN and content is not None):
            raise fail(col, "the column appears twice in the header")
        step = _STEP_COLUMN.match(col)
        if col == _CONTENT_COLUMN:
            content = i
        elif col in {"a", "a1", "b", "g", "u"}:
            numeric[col] = i
        elif step:
            numeric[col] = i
            step_numbers[int(step.group(1))] = col
        elif _INTERCEPT_COLUMN.match(col):
            raise fail(
                col,
                "slope-intercept parameters (d) are not supported: export with "
                "coef(model, IRTpars = TRUE, simplify = TRUE)$items",
            )
        elif _MULTIDIM_COLUMN.match(col):
            raise fail(col, "multidimensional models are not supported: the pool needs a unidimensional calibration")
        else:
            raise fail(col, f"unknown column (expected a, b, g, u, b1..bk or {_CONTENT_COLUMN})")
    if "a" in numeric and "a1" in numeric:
        raise fail("a1", "both 'a' and 'a1' are present: keep one discrimination column")
    a_col = "a" if "a" in numeric else "a1"
    if a_col not in numeric:
        raise fail("a", "missing column: the discrimination 'a' (or 'a1') is required")
    if "b" not in numeric and not step_numbers:
        raise fail("b", "missing column: dichotomous items need 'b', graded items 'b1'..'bk'")
    steps = []
    for k in range(1, len(step_numbers) + 1):
        if k not in step_numbers:
            raise fail(f"b{k}", f"missing column: the thresholds {sorted(step_numbers.values())} skip b{k}")
        steps.append(step_numbers[k])
    return _Layout(numeric, a_col, steps, content)


def _cell(source: str, item_id: str, column: str, raw: str) -> float | None:
    text = raw.strip()
    if text in _MISSING:
        return None
    try:
        value = float(text)
    except ValueError:
        raise PoolValidationError(source, item_id, column, f"not a number: {raw!r}") from None
    if not math.isfinite(value):
        raise PoolValidationError(source, item_id, column, f"must be a finite number, got {raw!r}")
    return value


def _mirt_item(
    source: str,
    item_id: str,
    area: str,
    values: Mapping[str, float | None],
    layout: _Layout,
    polytomous_model: str,
) -> dict[str, Any]:
    def fail(column: str, problem: str) -> PoolValidationError:
        return PoolValidationError(source, item_id, column, problem)

    a = values[layout.a_col]
    if a is None:
        raise fail(layout.a_col, "missing value (NA): every item needs a discrimination")
    if a <= 0:
        raise fail(layout.a_col, f"discrimination must be > 0, got {a}")
    g, u, b = values.get("g"), values.get("u"), values.get("b")
    thresholds = [values[col] for col in layout.steps]
    if any(t is not None for t in thresholds):
        last = max(k for k, t in enumerate(thresholds) if t is not None)
        for k in range(last):
            if thresholds[k] is None:
                raise fail(layout.steps[k], f"missing value (NA) between thresholds: {layout.steps[last]} is set")
        steps = [t for t in thresholds[: last + 1] if t is not None]
        if b is not None:
            raise fail("b", f"both b and {layout.steps[0]}.. are set: an item is either dichotomous or graded")
        if g is not None and g != 0.0:
            raise fail("g", f"a graded item has no lower asymptote, got g = {g}")
        if u is not None and u != 1.0:
            raise fail("u", f"a graded item has no upper asymptote, got u = {u}")
        if polytomous_model == "GRM":
            for k in range(1, len(steps)):
                if steps[k] <= steps[k - 1]:
                    raise fail(layout.steps[k], f"GRM thresholds must be strictly increasing, got {steps}")
        m = len(steps)
        return {
            "id": item_id,
            "model": polytomous_model,
            "params": {"a": a, "b": steps},
            "content_area": area,
            "stem": placeholder_stem(item_id),
            "options": placeholder_options(m + 1),
            "option_weights": list(range(1, m + 2)),
        }
    if b is None:
        raise fail("b" if "b" in layout.numeric else layout.steps[0], "missing value (NA): the item has no difficulty")
    c = 0.0 if g is None else g
    d = 1.0 if u is None else u
    if not 0.0 <= c < 1.0:
        raise fail("g", f"the lower asymptote must be within [0, 1), got {c}")
    if not c < d <= 1.0:
        raise fail("u", f"the upper asymptote must be within (g, 1] = ({c}, 1], got {d}")
    return _dichotomous_item(item_id, area, a, b, c, d)


def _dichotomous_item(item_id: str, area: str, a: float, b: float, c: float, d: float) -> dict[str, Any]:
    """A dichotomous item with its model read off the values: 4PL if d < 1, 3PL if c > 0, else 2PL."""
    params: dict[str, float]
    if d < 1.0:
        model, params = "4PL", {"a": a, "b": b, "c": c, "d": d}
    elif c > 0.0:
        model, params = "3PL", {"a": a, "b": b, "c": c}
    else:
        model, params = "2PL", {"a": a, "b": b}
    return {
        "id": item_id,
        "model": model,
        "params": params,
        "content_area": area,
        "stem": placeholder_stem(item_id),
        "options": placeholder_options(PLACEHOLDER_DICHOTOMOUS_OPTIONS),
        "key": 0,
    }


# --- catsim ----------------------------------------------------------------------------------------------------


def from_catsim_matrix(
    matrix: npt.ArrayLike | Any,
    *,
    pool_id: str,
    pool_version: str,
    name: str,
    content_area: str = DEFAULT_CONTENT_AREA,
    calibration_note: str = _CATSIM_NOTE,
    ids: Sequence[str] | None = None,
    source: str = _CATSIM_SOURCE,
) -> dict[str, Any]:
    """Convert catsim's item matrix into a pool dict (``D = 1``).

    Parameters
    ----------
    matrix : array_like, shape (n_items, k), or a catsim ``ItemBank``
        Columns as catsim's :func:`catsim.irt.normalize_item_bank` reads them: ``k = 4`` is ``[a, b, c, d]``,
        ``k = 3`` is ``[a, b, c]``, ``k = 2`` is ``[a, b]`` and ``k = 1`` is ``[b]`` (1PL); a fifth column (the
        exposure rate of ``ItemBank.items``) is ignored. An object with an ndarray ``items`` attribute (a catsim
        ``ItemBank``) is read through it. A 1-D array is one item, as in catsim.
    pool_id, pool_version, name : str
        The pool's identity fields.
    content_area : str
        Content area of every item.
    calibration_note : str
        ``calibration.note`` of the pool.
    ids : sequence of str, optional
        Item ids in row order; default ``"<pool_id>-0001"``, ``"<pool_id>-0002"``, ...
    source : str
        How errors name the matrix.

    Returns
    -------
    dict
        The pool in the format of ``docs/pool-format.md``. Each row's model is read off its values: ``1PL`` for
        a one-column matrix, else **4PL** when ``d < 1``, **3PL** when ``c > 0``, **2PL** otherwise. Stems,
        options and keys are placeholders (see the module docstring).

    Raises
    ------
    PoolValidationError
        Naming the item id and the column (``a``, ``b``, ``c`` or ``d``) of a non-finite or out-of-range value
        (``a <= 0``, ``0 <= c < d <= 1`` violated), or the matrix itself when its shape is wrong.
    """
    bank_items = getattr(matrix, "items", None)
    if isinstance(bank_items, np.ndarray):
        matrix = bank_items
    try:
        arr = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise PoolValidationError(source, None, "<matrix>", f"not a numeric matrix: {exc}") from exc
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[0] == 0 or not 1 <= arr.shape[1] <= 5:
        raise PoolValidationError(
            source, None, "<matrix>", f"must have shape (n_items, 1..5) with n_items >= 1, got {arr.shape}"
        )
    n, k = arr.shape
    if ids is None:
        width = max(4, len(str(n)))
        ids = [f"{pool_id}-{i + 1:0{width}d}" for i in range(n)]
    elif len(ids) != n:
        raise PoolValidationError(source, None, "ids", f"{len(ids)} ids for {n} rows")
    columns = ("b",) if k == 1 else ("a", "b", "c", "d")[: min(k, 4)]
    items: list[dict[str, Any]] = []
    for i, item_id in enumerate(ids):
        row = {col: float(arr[i, j]) for j, col in enumerate(columns)}
        for col, value in row.items():
            if not math.isfinite(value):
                raise PoolValidationError(source, item_id, col, f"must be a finite number, got {value}")
        if k == 1:
            items.append(
                {
                    "id": item_id,
                    "model": "1PL",
                    "params": {"b": row["b"]},
                    "content_area": content_area,
                    "stem": placeholder_stem(item_id),
                    "options": placeholder_options(PLACEHOLDER_DICHOTOMOUS_OPTIONS),
                    "key": 0,
                }
            )
            continue
        a, b, c, d = row["a"], row["b"], row.get("c", 0.0), row.get("d", 1.0)
        if a <= 0:
            raise PoolValidationError(source, item_id, "a", f"discrimination must be > 0, got {a}")
        if not 0.0 <= c < 1.0:
            raise PoolValidationError(source, item_id, "c", f"the lower asymptote must be within [0, 1), got {c}")
        if not c < d <= 1.0:
            raise PoolValidationError(source, item_id, "d", f"the upper asymptote must be within (c, 1], got {d}")
        items.append(_dichotomous_item(item_id, content_area, a, b, c, d))
    return _finish(source, pool_id, pool_version, name, calibration_note, "catsim", 1.0, [content_area], items)


# --- shared ----------------------------------------------------------------------------------------------------


def _finish(
    source: str,
    pool_id: str,
    pool_version: str,
    name: str,
    note: str,
    method: str,
    D: float,
    areas: list[str],
    items: list[dict[str, Any]],
) -> dict[str, Any]:
    """Assemble the pool dict and check it with the pool validator (errors name ``source``)."""
    data: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "pool_id": pool_id,
        "pool_version": pool_version,
        "name": name,
        "calibration": {"note": note, "method": f"imported from {method}", "placeholder_text": True},
        "theta_scale": {"mean": 0.0, "sd": 1.0, "D": float(D)},
        "content_areas": areas,
        "items": items,
    }
    Pool.from_dict(data, source=source)
    return data
