"""The immutable item pool: parameter arrays for the maths, item metadata and text for the pages.

The file format is documented in ``docs/pool-format.md``. :func:`load_pool` validates the whole file before it
builds anything, and every problem raises :class:`~cat_engine.errors.PoolValidationError` naming the file, the
item id and the field, so a pool either loads completely or not at all.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from .errors import PoolValidationError, ResponseOutOfRange
from .irt import DEFAULT_D, DICHOTOMOUS, MODEL_CODES, ItemParams
from .response_time import TimeParams

__all__ = ["FORMAT_VERSION", "TIME_BETA_RANGE", "Item", "Pool", "load_pool", "save_pool"]

FORMAT_VERSION = 1
_TOP_FIELDS = {
    "format_version",
    "pool_id",
    "pool_version",
    "name",
    "calibration",
    "theta_scale",
    "content_areas",
    "exposure_strata",
    "items",
}
_ITEM_FIELDS = {
    "id",
    "model",
    "params",
    "content_area",
    "stem",
    "options",
    "key",
    "option_weights",
    "enemies",
    "exposure_k",
    "shuffle_options",
    "time",
}
_PARAM_NAMES = {
    "1PL": ("b",),
    "2PL": ("a", "b"),
    "3PL": ("a", "b", "c"),
    "4PL": ("a", "b", "c", "d"),
    "GPCM": ("a", "b"),
    "GRM": ("a", "b"),
}
#: Bounds of a time intensity: the median time of an examinee of average speed between 0.1 s and one hour (a value
#: outside is a unit mistake, e.g. log-milliseconds, which are ln 1000 = 6.9 larger).
TIME_BETA_RANGE = (math.log(0.1), math.log(3600.0))


@dataclass(frozen=True)
class Item:
    """One item's metadata and text; its parameters live in :attr:`Pool.params` at the same index."""

    id: str
    model: str
    params: Mapping[str, Any]
    content_area: str
    stem: str
    options: tuple[str, ...]
    key: int | None = None
    option_weights: tuple[int, ...] | None = None
    enemies: tuple[str, ...] = ()
    exposure_k: tuple[float, ...] = (1.0,)  # one value, or one per stratum of the pool's exposure_strata
    shuffle_options: bool = False
    time: tuple[float, float] | None = None  # (beta, alpha) of the lognormal response-time model; None: untimed

    def k_in(self, n_strata: int) -> tuple[float, ...]:
        """The item's exposure parameter in each of ``n_strata`` strata (a single value applies to all)."""
        return self.exposure_k * n_strata if len(self.exposure_k) == 1 else self.exposure_k


@dataclass(frozen=True, eq=False)
class Pool:
    """A validated item pool.

    Attributes
    ----------
    params : ItemParams
        Parameter arrays of every item, indexed by item index (the item's position in :attr:`items`).
    area_index : ndarray of intp, shape (n_items,)
        Each item's content area as an index into :attr:`content_areas`.
    scoring : ndarray of intp, shape (n_items, max_options)
        Category scored for each option index; -1 where the item has no such option.
    exposure_k : ndarray, shape (n_strata, n_items)
        Sympson-Hetter exposure-control parameters (1 = no control), one row per stratum of the ability estimate
        (a single row without :attr:`exposure_strata`).
    exposure_strata : tuple of float
        Increasing edges :math:`c_1 < \\dots < c_{S-1}` of the strata of :math:`\\hat\\theta` that the rows of
        :attr:`exposure_k` belong to: stratum :math:`s` holds :math:`c_s < \\hat\\theta \\le c_{s+1}`; empty for
        unconditional parameters.
    enemy_matrix : ndarray of bool, shape (n_items, n_items)
        ``enemy_matrix[i, j]`` is true when items i and j must not appear in one test (symmetric).
    time_beta, time_alpha : ndarray, shape (n_items,)
        Time intensity (log-seconds) and time discrimination of each item in van der Linden's lognormal
        response-time model (:mod:`cat_engine.response_time`); NaN for an item without ``time`` (untimed).
    timed : ndarray of bool, shape (n_items,)
        Whether each item has time parameters.
    """

    pool_id: str
    pool_version: str
    name: str
    calibration: Mapping[str, Any]
    theta_scale: Mapping[str, float]
    content_areas: tuple[str, ...]
    items: tuple[Item, ...]
    params: ItemParams
    area_index: npt.NDArray[np.intp]
    scoring: npt.NDArray[np.intp]
    exposure_k: npt.NDArray[np.float64]
    enemy_matrix: npt.NDArray[np.bool_]
    exposure_strata: tuple[float, ...] = ()
    source: str = "<memory>"
    _index_of: Mapping[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for array in (self.area_index, self.scoring, self.exposure_k, self.enemy_matrix):
            array.setflags(write=False)

    def stratum_of(self, theta: float) -> int:
        """The exposure stratum (row of :attr:`exposure_k`) of an ability estimate."""
        return bisect_left(self.exposure_strata, theta)

    def strata_of(self, theta: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
        """:meth:`stratum_of` of many estimates."""
        result: npt.NDArray[np.intp] = np.searchsorted(self.exposure_strata, theta, side="left")
        return result

    @property
    def size(self) -> int:
        """Number of items in the pool (``n_items`` is kept for a count of items given)."""
        return len(self.items)

    @cached_property
    def has_enemies(self) -> bool:
        """Whether any item has an enemy (checked once: the matrix is read on every adaptive step)."""
        return bool(self.enemy_matrix.any())

    @cached_property
    def area_groups(self) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Items grouped by content area, for one-pass per-area reductions.

        Returns ``(order, starts, areas)``: ``order`` lists item indices area by area, ``starts[j]`` is where area
        ``areas[j]`` begins in it; areas without items are left out (``numpy.ufunc.reduceat`` cannot express an
        empty group).
        """
        order = np.argsort(self.area_index, kind="stable")
        counts = np.bincount(self.area_index, minlength=len(self.content_areas))
        areas = np.flatnonzero(counts)
        starts = (np.cumsum(counts) - counts)[areas]
        for array in (order, starts, areas):
            array.setflags(write=False)
        return order, starts, areas

    @cached_property
    def _enemy_lists(self) -> tuple[tuple[int, ...], ...]:
        return tuple(tuple(np.flatnonzero(row).tolist()) for row in self.enemy_matrix)

    def enemies_of(self, items: Sequence[int]) -> list[int]:
        """Indices of the enemies of ``items`` (with repeats), to block them in one step."""
        lists = self._enemy_lists
        return [enemy for item in items for enemy in lists[item]]

    @cached_property
    def area_of(self) -> tuple[int, ...]:
        """Content-area index of each item, as Python ints (the one-examinee step counts in plain Python)."""
        return tuple(self.area_index.tolist())

    @cached_property
    def area_sizes(self) -> tuple[int, ...]:
        """Number of items in each content area."""
        return tuple(np.bincount(self.area_index, minlength=len(self.content_areas)).tolist())

    def area_counts(self, items: Sequence[int]) -> list[int]:
        """How many of ``items`` are in each content area."""
        counts = [0] * len(self.content_areas)
        area_of = self.area_of
        for item in items:
            counts[area_of[item]] += 1
        return counts

    @cached_property
    def area_items(self) -> tuple[npt.NDArray[np.intp], ...]:
        """``area_items[a]``: indices of the items of content area ``a``, ascending."""
        inside = tuple(np.flatnonzero(self.area_index == a) for a in range(len(self.content_areas)))
        for array in inside:
            array.setflags(write=False)
        return inside

    @cached_property
    def area_params(self) -> tuple[ItemParams, ...]:
        """``area_params[a]``: the parameters of :attr:`area_items` ``[a]`` (the live step computes the information
        of the one area its next item comes from)."""
        return tuple(self.params.take(items) for items in self.area_items)

    @cached_property
    def area_position(self) -> tuple[int, ...]:
        """Each item's position in its area's :attr:`area_items`."""
        position = [0] * self.size
        for items in self.area_items:
            for at, item in enumerate(items.tolist()):
                position[item] = at
        return tuple(position)

    @cached_property
    def option_counts(self) -> tuple[int, ...]:
        """Number of options of each item (read for every stored answer when a session is restored)."""
        return tuple(len(item.options) for item in self.items)

    def categories(self, items: Sequence[int], responses: Sequence[int]) -> list[int]:
        """Categories scored by already validated option indices ``responses`` on ``items``."""
        scoring = self._scoring_rows
        return [scoring[i][r] for i, r in zip(items, responses, strict=True)]

    @cached_property
    def _scoring_rows(self) -> tuple[tuple[int, ...], ...]:
        """:attr:`scoring` as Python ints (each answer scores all the subtest's responses again)."""
        return tuple(tuple(row) for row in self.scoring.tolist())

    @cached_property
    def time_beta(self) -> npt.NDArray[np.float64]:
        """Time intensity of each item in log-seconds, NaN where untimed."""
        beta = np.array([math.nan if it.time is None else it.time[0] for it in self.items], dtype=np.float64)
        beta.setflags(write=False)
        return beta

    @cached_property
    def time_alpha(self) -> npt.NDArray[np.float64]:
        """Time discrimination of each item (1 / SD of its log-time), NaN where untimed."""
        alpha = np.array([math.nan if it.time is None else it.time[1] for it in self.items], dtype=np.float64)
        alpha.setflags(write=False)
        return alpha

    @cached_property
    def timed(self) -> npt.NDArray[np.bool_]:
        """Whether each item has time parameters."""
        timed = np.array([it.time is not None for it in self.items], dtype=bool)
        timed.setflags(write=False)
        return timed

    def time_params_of(self, items: Sequence[int] | npt.NDArray[np.intp]) -> TimeParams:
        """The time parameters of item indices ``items``, in that order.

        Raises
        ------
        ValueError
            When one of the items is untimed (the message names the first such item).
        """
        index = np.asarray(items, dtype=np.intp)
        untimed = index[~self.timed[index]]
        if untimed.size:
            raise ValueError(f"item {self.items[int(untimed[0])].id} has no time parameters (untimed)")
        return TimeParams(self.time_beta[index], self.time_alpha[index])

    def index_of(self, item_id: str) -> int:
        """Item index of an item id (KeyError when absent)."""
        return self._index_of[item_id]

    def n_options(self, item_index: int) -> int:
        """Number of options item ``item_index`` shows."""
        return self.option_counts[item_index]

    def score(self, item_index: int, response: int) -> int:
        """The category that option index ``response`` scores on item ``item_index``.

        Raises
        ------
        ResponseOutOfRange
            When ``response`` is not an option index of the item.
        """
        n = len(self.items[item_index].options)
        if isinstance(response, bool) or not isinstance(response, int) or not 0 <= response < n:
            raise ResponseOutOfRange(f"response must be an option index 0..{n - 1}, got {response!r}")
        return self._scoring_rows[item_index][response]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<memory>") -> Pool:
        """Validate a pool in the JSON format and build it; see ``docs/pool-format.md``."""
        return _build(data, source)

    def to_dict(self) -> dict[str, Any]:
        """The pool in its file format (the exact inverse of :meth:`from_dict`)."""
        items = []
        for item in self.items:
            out: dict[str, Any] = {
                "id": item.id,
                "model": item.model,
                "params": dict(item.params),
                "content_area": item.content_area,
                "stem": item.stem,
                "options": list(item.options),
            }
            if item.key is not None:
                out["key"] = item.key
            if item.option_weights is not None:
                out["option_weights"] = list(item.option_weights)
            if item.enemies:
                out["enemies"] = list(item.enemies)
            if item.exposure_k != (1.0,):
                k = item.exposure_k
                out["exposure_k"] = k[0] if len(k) == 1 else list(k)
            if item.shuffle_options != _default_shuffle(item.model, item.option_weights):
                out["shuffle_options"] = item.shuffle_options
            if item.time is not None:
                out["time"] = {"beta": item.time[0], "alpha": item.time[1]}
            items.append(out)
        strata = {"exposure_strata": list(self.exposure_strata)} if self.exposure_strata else {}
        return {
            "format_version": FORMAT_VERSION,
            "pool_id": self.pool_id,
            "pool_version": self.pool_version,
            "name": self.name,
            "calibration": dict(self.calibration),
            "theta_scale": dict(self.theta_scale),
            "content_areas": list(self.content_areas),
            **strata,
            "items": items,
        }

    def with_exposure_k(
        self,
        exposure_k: npt.ArrayLike,
        pool_version: str | None = None,
        record: Mapping[str, Any] | None = None,
        strata: Sequence[float] = (),
    ) -> Pool:
        """A copy of the pool with new Sympson-Hetter parameters (validated like a loaded file).

        ``exposure_k`` has shape (n_items,), or (len(strata) + 1, n_items) for parameters conditional on the strata
        of the ability estimate whose edges ``strata`` gives. ``pool_version`` replaces the version when given;
        ``record`` is stored as ``calibration.exposure_control`` so the file says how its parameters were made.
        """
        data = self.to_dict()
        if pool_version is not None:
            data["pool_version"] = pool_version
        if record is not None:
            data["calibration"]["exposure_control"] = dict(record)
        data.pop("exposure_strata", None)
        if strata:
            data["exposure_strata"] = [float(c) for c in strata]
        k = np.asarray(exposure_k, dtype=np.float64)
        rows = k.reshape(1, -1) if k.ndim == 1 else k
        if rows.shape != (len(strata) + 1, self.size):
            raise ValueError(f"exposure_k has shape {k.shape}; expected ({len(strata) + 1}, {self.size})")
        for item, column in zip(data["items"], rows.T.tolist(), strict=True):
            item.pop("exposure_k", None)
            if any(value != 1.0 for value in column):
                item["exposure_k"] = column[0] if len(set(column)) == 1 else column
        return _build(data, self.source)

    def with_time_params(
        self,
        time: Mapping[str, tuple[float, float]],
        pool_version: str | None = None,
        record: Mapping[str, Any] | None = None,
    ) -> Pool:
        """A copy of the pool with new time parameters (validated like a loaded file).

        ``time`` maps item ids to ``(beta, alpha)``; the other items keep theirs (or stay untimed).
        ``pool_version`` replaces the version when given; ``record`` is stored as ``calibration.response_time`` so
        the file says how its time parameters were made.
        """
        unknown = set(time) - set(self._index_of)
        if unknown:
            raise ValueError(f"no item {sorted(unknown)[0]!r} in pool {self.pool_id}")
        data = self.to_dict()
        if pool_version is not None:
            data["pool_version"] = pool_version
        if record is not None:
            data["calibration"]["response_time"] = dict(record)
        for item in data["items"]:
            if item["id"] in time:
                beta, alpha = time[item["id"]]
                item["time"] = {"beta": float(beta), "alpha": float(alpha)}
        return _build(data, self.source)


def load_pool(path: str | Path) -> Pool:
    """Load and validate a pool file; raises :class:`PoolValidationError` on any problem."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise PoolValidationError(source, None, "<file>", f"cannot read the file: {exc.strerror}") from exc
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PoolValidationError(source, None, "<file>", f"not valid JSON: {exc}") from exc
    return _build(data, source)


def save_pool(pool: Pool, path: str | Path) -> None:
    """Write a pool file (UTF-8, indented, stable key order), atomically via a temporary file."""
    target = Path(path)
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_bytes(orjson.dumps(pool.to_dict(), option=orjson.OPT_INDENT_2) + b"\n")
    tmp.replace(target)


# --- validation -----------------------------------------------------------------------------------------------


class _Checker:
    """Raises PoolValidationError with the file named; keeps the validation code short."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, item_id: str | None, name: str, problem: str) -> PoolValidationError:
        return PoolValidationError(self.source, item_id, name, problem)

    def string(self, obj: Mapping[str, Any], name: str, item_id: str | None, label: str | None = None) -> str:
        value = obj.get(name)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(item_id, label or name, "must be a non-empty string")
        return value

    def number(self, value: Any, item_id: str | None, name: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(item_id, name, f"must be a finite number, got {value!r}")
        return float(value)

    def integer(self, value: Any, item_id: str | None, name: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(item_id, name, f"must be an integer, got {value!r}")
        return value


def _build(data: Any, source: str) -> Pool:
    chk = _Checker(source)
    if not isinstance(data, Mapping):
        raise chk.fail(None, "<top>", "the pool must be a JSON object")
    unknown = set(data) - _TOP_FIELDS
    if unknown:
        raise chk.fail(None, sorted(unknown)[0], "unknown field (check the spelling against docs/pool-format.md)")
    version = data.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:  # true and 1.0 compare equal to 1: not a version
        raise chk.fail(None, "format_version", f"must be the integer {FORMAT_VERSION}, got {version!r}")
    pool_id = chk.string(data, "pool_id", None)
    pool_version = chk.string(data, "pool_version", None)
    name = chk.string(data, "name", None)
    calibration = data.get("calibration")
    if not isinstance(calibration, Mapping):
        raise chk.fail(None, "calibration", "must be an object with at least a 'note'")
    chk.string(calibration, "note", None, "calibration.note")
    scale = _theta_scale(chk, data.get("theta_scale", {}))
    areas = data.get("content_areas")
    if not isinstance(areas, list) or not areas or not all(isinstance(a, str) and a for a in areas):
        raise chk.fail(None, "content_areas", "must be a non-empty list of area names")
    if len(set(areas)) != len(areas):
        raise chk.fail(None, "content_areas", "lists an area twice")
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise chk.fail(None, "items", "must be a non-empty list")
    strata = _exposure_strata(chk, data.get("exposure_strata", []))

    items: list[Item] = []
    seen: dict[str, int] = {}
    for position, raw in enumerate(raw_items):
        item = _item(chk, raw, position, areas, len(strata) + 1)
        if item.id in seen:
            raise chk.fail(item.id, "id", f"duplicate id (also item #{seen[item.id] + 1})")
        seen[item.id] = position
        items.append(item)

    enemy = np.zeros((len(items), len(items)), dtype=bool)
    for i, item in enumerate(items):
        for other in item.enemies:
            if other not in seen:
                raise chk.fail(item.id, "enemies", f"unknown enemy item {other!r}")
            if other == item.id:
                raise chk.fail(item.id, "enemies", "an item cannot be its own enemy")
            enemy[i, seen[other]] = enemy[seen[other], i] = True

    return Pool(
        pool_id=pool_id,
        pool_version=pool_version,
        name=name,
        calibration=dict(calibration),
        theta_scale=scale,
        content_areas=tuple(areas),
        items=tuple(items),
        params=_params(items, scale["D"]),
        area_index=np.array([areas.index(it.content_area) for it in items], dtype=np.intp),
        scoring=_scoring(items),
        exposure_k=np.array([it.k_in(len(strata) + 1) for it in items], dtype=np.float64).T.copy(),
        enemy_matrix=enemy,
        exposure_strata=strata,
        source=source,
        _index_of=dict(seen),
    )


def _theta_scale(chk: _Checker, raw: Any) -> dict[str, float]:
    if not isinstance(raw, Mapping):
        raise chk.fail(None, "theta_scale", "must be an object {mean, sd, D}")
    unknown = set(raw) - {"mean", "sd", "D"}
    if unknown:
        raise chk.fail(None, f"theta_scale.{sorted(unknown)[0]}", "unknown field")
    scale = {
        "mean": chk.number(raw.get("mean", 0.0), None, "theta_scale.mean"),
        "sd": chk.number(raw.get("sd", 1.0), None, "theta_scale.sd"),
        "D": chk.number(raw.get("D", DEFAULT_D), None, "theta_scale.D"),
    }
    if scale["sd"] <= 0 or scale["D"] <= 0:
        raise chk.fail(None, "theta_scale", "sd and D must be > 0")
    return scale


def _exposure_strata(chk: _Checker, raw: Any) -> tuple[float, ...]:
    if not isinstance(raw, list):
        raise chk.fail(None, "exposure_strata", "must be a list of increasing numbers (the strata's edges)")
    edges = tuple(chk.number(c, None, "exposure_strata") for c in raw)
    if any(high <= low for low, high in pairwise(edges)):
        raise chk.fail(None, "exposure_strata", f"the edges must increase, got {list(edges)}")
    return edges


def _exposure_k(chk: _Checker, raw: Any, item_id: str, n_strata: int) -> tuple[float, ...]:
    values = raw if isinstance(raw, list) else [raw]
    k = tuple(chk.number(value, item_id, "exposure_k") for value in values)
    if isinstance(raw, list) and len(k) != n_strata:
        raise chk.fail(item_id, "exposure_k", f"{len(k)} values for the {n_strata} strata of exposure_strata")
    bad = [value for value in k if not 0 < value <= 1]
    if bad:
        raise chk.fail(item_id, "exposure_k", f"must be in (0, 1], got {bad[0]}")
    return k


def _default_shuffle(model: str, option_weights: tuple[int, ...] | None) -> bool:
    """Options are shown in a per-candidate order by default on one-key items, never on graded (ordered) ones."""
    return MODEL_CODES[model] == DICHOTOMOUS and option_weights is None


def _item(chk: _Checker, raw: Any, position: int, areas: Sequence[str], n_strata: int) -> Item:
    if not isinstance(raw, Mapping):
        raise chk.fail(None, f"items[{position}]", "each item must be an object")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not item_id:
        raise chk.fail(None, f"items[{position}].id", "must be a non-empty string")
    unknown = set(raw) - _ITEM_FIELDS
    if unknown:
        raise chk.fail(item_id, sorted(unknown)[0], "unknown field (check the spelling against docs/pool-format.md)")
    model = raw.get("model")
    if not isinstance(model, str) or model not in MODEL_CODES:
        raise chk.fail(item_id, "model", f"must be one of {', '.join(MODEL_CODES)}, got {model!r}")
    area = raw.get("content_area")
    if area not in areas:
        raise chk.fail(item_id, "content_area", f"{area!r} is not one of the pool's content_areas")
    stem = chk.string(raw, "stem", item_id)
    options = raw.get("options")
    if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) and o for o in options):
        raise chk.fail(item_id, "options", "must be a list of at least two non-empty strings")
    params = _item_params(chk, raw.get("params"), model, item_id)
    key: int | None = None
    weights: tuple[int, ...] | None = None
    if MODEL_CODES[model] == DICHOTOMOUS:
        if "option_weights" in raw:
            raise chk.fail(item_id, "option_weights", f"a {model} item is scored by 'key', not option weights")
        if "key" not in raw:
            raise chk.fail(item_id, "key", "missing: a dichotomous item needs the index of its correct option")
        key = chk.integer(raw["key"], item_id, "key")
        if not 0 <= key < len(options):
            raise chk.fail(item_id, "key", f"must be an option index 0..{len(options) - 1}, got {key}")
    else:
        if "key" in raw:
            raise chk.fail(item_id, "key", f"a {model} item is scored by 'option_weights', not a key")
        m = len(params["b"])
        if len(options) != m + 1:
            raise chk.fail(
                item_id, "options", f"{len(options)} options but the {m} steps in params.b make {m + 1} categories"
            )
        raw_w = raw.get("option_weights")
        if not isinstance(raw_w, list):
            raise chk.fail(item_id, "option_weights", "missing: a graded item needs one weight per option")
        weights = tuple(chk.integer(w, item_id, "option_weights") for w in raw_w)
        if len(weights) != len(options):
            raise chk.fail(item_id, "option_weights", f"{len(weights)} weights for {len(options)} options")
        if sorted(weights) != list(range(min(weights), min(weights) + len(weights))):
            raise chk.fail(item_id, "option_weights", f"must be consecutive integers each used once, got {weights}")
    enemies = raw.get("enemies", [])
    if not isinstance(enemies, list) or not all(isinstance(e, str) for e in enemies):
        raise chk.fail(item_id, "enemies", "must be a list of item ids")
    k = _exposure_k(chk, raw.get("exposure_k", 1.0), item_id, n_strata)
    shuffle = raw.get("shuffle_options", _default_shuffle(model, weights))
    if not isinstance(shuffle, bool):
        raise chk.fail(item_id, "shuffle_options", f"must be true or false, got {shuffle!r}")
    time = _item_time(chk, raw["time"], item_id) if "time" in raw else None
    return Item(item_id, model, params, str(area), stem, tuple(options), key, weights, tuple(enemies), k, shuffle, time)


def _item_time(chk: _Checker, raw: Any, item_id: str) -> tuple[float, float]:
    """``{"beta": log-seconds, "alpha": > 0}`` of the lognormal response-time model."""
    if not isinstance(raw, Mapping):
        raise chk.fail(item_id, "time", 'must be an object {"beta": log-seconds, "alpha": > 0}')
    for name in raw:
        if name not in ("beta", "alpha"):
            raise chk.fail(item_id, f"time.{name}", "unknown field (the time parameters are beta and alpha)")
    for name in ("beta", "alpha"):
        if name not in raw:
            raise chk.fail(item_id, f"time.{name}", "missing: the response-time model needs beta and alpha")
    beta = chk.number(raw["beta"], item_id, "time.beta")
    low, high = TIME_BETA_RANGE
    if not low <= beta <= high:
        raise chk.fail(
            item_id,
            "time.beta",
            f"must be log-seconds in [{low:.2f}, {high:.2f}] (a median of 0.1 s to 1 h), got {beta}"
            + (" (log-milliseconds? subtract 6.908)" if beta > high else ""),
        )
    alpha = chk.number(raw["alpha"], item_id, "time.alpha")
    if alpha <= 0:
        raise chk.fail(item_id, "time.alpha", f"time discrimination must be > 0, got {alpha}")
    return beta, alpha


def _item_params(chk: _Checker, raw: Any, model: str, item_id: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise chk.fail(item_id, "params", "must be an object")
    expected = _PARAM_NAMES[model]
    for name in raw:
        if name not in expected:
            raise chk.fail(item_id, f"params.{name}", f"not a parameter of the {model} model (expects {expected})")
    for name in expected:
        if name not in raw:
            raise chk.fail(item_id, f"params.{name}", f"missing: the {model} model needs {', '.join(expected)}")
    out: dict[str, Any] = {}
    if "a" in expected:
        out["a"] = chk.number(raw["a"], item_id, "params.a")
        if out["a"] <= 0:
            raise chk.fail(item_id, "params.a", f"discrimination must be > 0, got {out['a']}")
    if MODEL_CODES[model] == DICHOTOMOUS:
        out["b"] = chk.number(raw["b"], item_id, "params.b")
        for name in ("c", "d"):
            if name in expected:
                out[name] = chk.number(raw[name], item_id, f"params.{name}")
                if not 0 <= out[name] <= 1:
                    raise chk.fail(item_id, f"params.{name}", f"must be within [0, 1], got {out[name]}")
        if out.get("c", 0.0) >= out.get("d", 1.0):
            raise chk.fail(item_id, "params.c", "the lower asymptote c must be below the upper asymptote d")
        return out
    steps = raw["b"]
    if not isinstance(steps, list) or not steps:
        raise chk.fail(item_id, "params.b", f"a {model} item needs a non-empty list of step parameters")
    out["b"] = [chk.number(s, item_id, "params.b") for s in steps]
    if model == "GRM" and any(lo >= hi for lo, hi in pairwise(out["b"])):
        raise chk.fail(item_id, "params.b", f"GRM thresholds must be strictly increasing, got {out['b']}")
    return out


def _params(items: Sequence[Item], D: float) -> ItemParams:
    n = len(items)
    max_steps = max((len(it.params["b"]) for it in items if MODEL_CODES[it.model] != DICHOTOMOUS), default=1)
    steps = np.full((n, max_steps), np.nan)
    a, b, c, d = np.ones(n), np.zeros(n), np.zeros(n), np.ones(n)
    n_cat = np.full(n, 2, dtype=np.intp)
    for i, it in enumerate(items):
        a[i] = it.params.get("a", 1.0)
        if MODEL_CODES[it.model] == DICHOTOMOUS:
            b[i] = it.params["b"]
            c[i] = it.params.get("c", 0.0)
            d[i] = it.params.get("d", 1.0)
        else:
            s = it.params["b"]
            steps[i, : len(s)] = s
            b[i] = float(np.mean(s))
            n_cat[i] = len(s) + 1
    model = np.array([MODEL_CODES[it.model] for it in items], dtype=np.int8)
    return ItemParams(model=model, a=a, b=b, c=c, d=d, steps=steps, n_categories=n_cat, D=D)


def _scoring(items: Sequence[Item]) -> npt.NDArray[np.intp]:
    width = max(len(it.options) for it in items)
    table = np.full((len(items), width), -1, dtype=np.intp)
    for i, it in enumerate(items):
        if it.key is not None:
            table[i, : len(it.options)] = 0
            table[i, it.key] = 1
        else:
            assert it.option_weights is not None  # validated: polytomous items carry weights
            low = min(it.option_weights)
            table[i, : len(it.options)] = [w - low for w in it.option_weights]
    return table
