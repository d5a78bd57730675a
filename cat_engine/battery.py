"""A battery of adaptive subtests, its TOML config, the one-examinee adaptive step and the competency profile.

The config format is documented in ``docs/battery-format.md``. :func:`load_battery` validates the file and every
pool it names before returning; any problem raises :class:`~cat_engine.errors.BatteryConfigError` (or the pool's
:class:`~cat_engine.errors.PoolValidationError`) naming the file, the subtest and the field.

Reporting
---------
A subtest's level is :math:`1 + \\#\\{k : \\hat\\theta \\ge c_k\\}` for its four increasing cuts :math:`c_1..c_4`, so
levels run 1-5. Its scaled score is
:math:`\\mathrm{clip}(\\lfloor \\mu_s + \\sigma_s \\hat\\theta + \\tfrac12 \\rfloor, s_{min}, s_{max})` with the
battery's reporting scale (halves round up). A subtest that ended before any answer reports neither.
"""

from __future__ import annotations

import math
import tomllib
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from .briefing import PracticeItem, Texts, practice_items, texts
from .classification import level_probabilities
from .errors import BatteryConfigError
from .estimation import METHODS, EstimatorConfig, LogLikTable, estimate, final_exists
from .integrity_config import IntegrityConfig
from .pool import Pool, load_pool
from .selection import (
    BlueprintArea,
    ResolvedBlueprint,
    SelectionConfig,
    lottery_of,
    select_one,
)
from .stopping import StoppingConfig, StopReason, decide_stop
from .subtest_pretest import DEFAULT_AFTER, SubtestPretest

__all__ = [
    "FORMAT_VERSION",
    "Battery",
    "Profile",
    "ReportingScale",
    "StepResult",
    "Subtest",
    "SubtestResult",
    "battery_from_dict",
    "load_battery",
]

FORMAT_VERSION = 1
_LOTTERY_CACHE = 2048  # examinees per subtest (a site's sitting), at 8 bytes per item each
_TOP_KEYS = {
    "format_version",
    "id",
    "version",
    "name",
    "show_profile_to_candidate",
    "reporting",
    "subtests",
    "instructions",
    "practice",
    "integrity",
}
_SUBTEST_KEYS = {
    "id",
    "name",
    "pool",
    "time_limit_s",
    "level_cuts",
    "estimator",
    "selection",
    "stopping",
    "blueprint",
    "instructions",
    "pretest",
}
_PRETEST_KEYS = {"pool", "count", "after", "time_per_item_s"}
_SECTION_KEYS = {
    "estimator": {"method", "prior_mean", "prior_sd", "quadrature_points", "theta_min", "theta_max", "final"},
    "selection": {"method", "randomesque", "first_item_randomesque", "start_theta", "exposure_control"},
    "stopping": {"se_target", "min_items", "max_items", "classification_cuts", "classification_z"},
}


@dataclass(frozen=True)
class ReportingScale:
    """Linear reporting scale for theta."""

    mean: float = 500.0
    sd: float = 100.0
    minimum: float = 100.0
    maximum: float = 900.0

    def scaled(self, theta: float) -> int:
        """Scaled score of ``theta``, rounded and clipped to the scale's range."""
        # Halves round up (500.5 -> 501), as score reports are read, not to even as Python's round() does.
        return int(min(max(math.floor(self.mean + self.sd * theta + 0.5), self.minimum), self.maximum))


@dataclass(frozen=True)
class StepResult:
    """What the adaptive step decided after the responses so far.

    ``next_item`` is the item to present, or -1 when ``stop_reason`` is not ``CONTINUE``.
    """

    theta: float
    se: float
    stop_reason: StopReason
    next_item: int


@dataclass(frozen=True, eq=False)
class Subtest:
    """One adaptive subtest: its pool and its estimator, selection, stopping and time settings."""

    id: str
    name: str
    pool: Pool
    level_cuts: tuple[float, float, float, float]
    estimator: EstimatorConfig = field(default_factory=EstimatorConfig)
    selection: SelectionConfig = field(default_factory=SelectionConfig)
    stopping: StoppingConfig = field(default_factory=StoppingConfig)
    time_limit_s: float | None = None
    blueprint: ResolvedBlueprint | None = None
    instructions: Texts | None = None  # shown in the subtest's intro
    pretest: SubtestPretest | None = None  # new items seeded into its sittings (cat_engine.session_pretest)

    @property
    def items_max(self) -> int:
        """The most items a sitting of the subtest presents: ``stopping.max_items`` plus its pretest items."""
        return self.stopping.max_items + (0 if self.pretest is None else self.pretest.count)

    @property
    def time_allowed_s(self) -> float | None:
        """The subtest's time limit with its pretest items' time: ``time_limit_s + count * time_per_item_s`` (None:
        no limit). The pretest time is allowed from the start, so the time a candidate sees never jumps when a
        pretest item comes (which would tell it apart); every pretest item planned is given in a subtest that
        reaches ``min_items`` operational answers (:mod:`cat_engine.pretest`)."""
        if self.time_limit_s is None or self.pretest is None:
            return self.time_limit_s
        return self.time_limit_s + self.pretest.count * self.pretest.time_per_item_s

    @cached_property
    def log_table(self) -> LogLikTable:
        """The pool's log-probabilities at the estimator's nodes (built on first use)."""
        return LogLikTable.build(self.estimator, self.pool.params)

    @cached_property
    def _lotteries(self) -> OrderedDict[tuple[int, ...], npt.NDArray[np.float64]]:
        return OrderedDict()

    def _lottery(self, seed_key: tuple[int, ...]) -> npt.NDArray[np.float64]:
        """The Sympson-Hetter uniforms of ``seed_key``, drawn once and kept for the live examinees' next steps.

        Drawing them costs a hash per item, the largest cost of a step after the information; the cache holds the
        :data:`_LOTTERY_CACHE` most recent examinees (a pure function of the key, so a miss only costs the draw
        again).
        """
        cache = self._lotteries
        lottery = cache.get(seed_key)
        if lottery is None:
            lottery = lottery_of(self.pool, seed_key)
            lottery.setflags(write=False)
            cache[seed_key] = lottery
            if len(cache) > _LOTTERY_CACHE:
                cache.popitem(last=False)
        else:
            cache.move_to_end(seed_key)
        return lottery

    def final_estimate(
        self, items: Sequence[int], categories: Sequence[int], interim: tuple[float, float]
    ) -> tuple[float, float]:
        """The reported theta and SE of a subtest that has ended: by the estimator's ``final`` method when it has
        one and an item was answered, else the ``interim`` estimate that guided the test. A final MLE or WLE that
        does not exist (pinned at a bound of the theta range, e.g. every answer wrong on 3PL items) gives way to
        the interim estimate too: a bound with the capped SE is no measurement."""
        final = self.estimator.final
        if final is None or final == self.estimator.method or not items:
            return interim
        config = replace(self.estimator, method=final)
        theta, se = estimate(config, self.pool.params, items, categories, self.log_table)
        return (theta, se) if bool(final_exists(config, theta)) else interim

    def level(self, theta: float) -> int:
        """Competency level 1-5 of ``theta``."""
        return 1 + int(np.searchsorted(np.asarray(self.level_cuts), theta, side="right"))

    def level_probability(self, theta: float, se: float) -> float:
        """The probability that the level of ``theta`` is the examinee's true level, from a normal posterior
        :math:`N(\\hat\\theta, SE^2)` (:mod:`cat_engine.classification`)."""
        return float(level_probabilities([theta], [se], self.level_cuts)[0, self.level(theta) - 1])

    def step(
        self, items: Sequence[int], categories: Sequence[int], seed_key: Sequence[int], time_up: bool = False
    ) -> StepResult:
        """Estimate from the responses so far, check the stopping rules and, unless stopping, select the next item.

        This is the single-examinee form of what :mod:`cat_engine.simulate` does for many examinees at once, with
        the same estimator, selection and stopping functions. Its random draws are a pure function of
        ``seed_key`` (e.g. the session's seed and the subtest's index) and the number of items answered.
        """
        pool = self.pool
        n_given = len(items)
        theta, se = estimate(self.estimator, pool.params, items, categories, self.log_table)
        blocked = set(items)
        if pool.has_enemies:
            blocked.update(pool.enemies_of(items))
        area_counts = pool.area_counts(items)
        reason = decide_stop(
            self.stopping,
            n_given,
            theta,
            se,
            self.blueprint is None or self.blueprint.minimums_met(area_counts),
            n_given >= pool.size or len(blocked) >= pool.size,
            time_up,
        )
        if reason is not StopReason.CONTINUE:
            return StepResult(theta, se, reason, -1)
        lottery = None
        if self.selection.exposure_control == "sympson_hetter":
            # One lottery per examinee and subtest (the classic procedure), the same at every step.
            lottery = self._lottery(tuple(seed_key))
        chosen = select_one(
            pool,
            self.selection,
            self.blueprint,
            theta if n_given else self.selection.start_theta,
            blocked,
            area_counts,
            n_given,
            self.stopping.max_items,
            seed_key,
            lottery,
        )
        return StepResult(theta, se, StopReason.CONTINUE, chosen)


@dataclass(frozen=True)
class SubtestResult:
    """One row of the competency profile (a finished subtest as reported; the raw record of its answers is the
    session's :class:`~cat_engine.session.SubtestRecord`).

    ``n_items`` is the number of items given; on the wire it keeps its documented name ``items_administered``.
    """

    subtest_id: str
    name: str
    theta: float
    se: float
    level: int | None  # None when no item was answered: the estimate is only the prior
    scaled_score: int | None
    n_items: int
    time_used_s: float
    stop_reason: str
    pool_id: str
    pool_version: str
    level_probability: float | None = None  # P(the level is the true level), from theta and SE

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {
            "subtest_id": self.subtest_id,
            "name": self.name,
            "theta": round(self.theta, 4),
            "se": round(self.se, 4),
            "level": self.level,
            "level_probability": None if self.level_probability is None else round(self.level_probability, 3),
            "scaled_score": self.scaled_score,
            "items_administered": self.n_items,
            "time_used_s": round(self.time_used_s, 3),
            "stop_reason": self.stop_reason,
            "pool_id": self.pool_id,
            "pool_version": self.pool_version,
        }


@dataclass(frozen=True)
class Profile:
    """The competency profile of one examinee; names the battery and pool versions that produced it."""

    battery_id: str
    battery_version: str
    subtests: tuple[SubtestResult, ...]
    complete: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return {
            "battery_id": self.battery_id,
            "battery_version": self.battery_version,
            "complete": self.complete,
            "subtests": [s.to_dict() for s in self.subtests],
        }


@dataclass(frozen=True, eq=False)
class Battery:
    """An ordered battery of subtests."""

    id: str
    version: str
    name: str
    subtests: tuple[Subtest, ...]
    reporting: ReportingScale = field(default_factory=ReportingScale)
    show_profile_to_candidate: bool = False
    source: str = "<memory>"
    instructions: Texts | None = None  # shown at the welcome, after the candidate confirmed who they are
    practice: tuple[PracticeItem, ...] = ()  # tried at the welcome: never sent back, stored or scored
    integrity: IntegrityConfig = field(default_factory=IntegrityConfig)  # the aberrance statistics' settings

    @property
    def pool_versions(self) -> tuple[str, ...]:
        """``pool_id@pool_version`` of each subtest's pool (with the battery version, what scored a result), then of
        each pretest pool in subtest order (what a sitting presents)."""
        operational = [f"{s.pool.pool_id}@{s.pool.pool_version}" for s in self.subtests]
        pretest = [f"{s.pretest.pool.pool_id}@{s.pretest.pool.pool_version}" for s in self.subtests if s.pretest]
        return tuple(operational + pretest)

    def result(
        self, index: int, theta: float, se: float, n_items: int, time_used_s: float, stop_reason: StopReason
    ) -> SubtestResult:
        """The profile row of subtest ``index``."""
        sub = self.subtests[index]
        answered = n_items > 0  # a subtest ended before any answer (time up, terminated) has no level to report
        return SubtestResult(
            subtest_id=sub.id,
            name=sub.name,
            theta=theta,
            se=se,
            level=sub.level(theta) if answered else None,
            level_probability=sub.level_probability(theta, se) if answered else None,
            scaled_score=self.reporting.scaled(theta) if answered else None,
            n_items=n_items,
            time_used_s=time_used_s,
            stop_reason=stop_reason.label,
            pool_id=sub.pool.pool_id,
            pool_version=sub.pool.pool_version,
        )


def load_battery(path: str | Path) -> Battery:
    """Load and validate a battery file and every pool it names."""
    source = str(path)
    try:
        with Path(path).open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise BatteryConfigError(source, None, "<file>", f"cannot read the file: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise BatteryConfigError(source, None, "<file>", f"not valid TOML: {exc}") from exc
    return battery_from_dict(data, source, Path(path).parent)


def battery_from_dict(data: Mapping[str, Any], source: str, base_dir: Path) -> Battery:
    """Validate a parsed battery config; pool paths are relative to ``base_dir``."""
    v = _Validator(source)
    v.keys(data, _TOP_KEYS, None, "")
    version_field = data.get("format_version")
    if type(version_field) is not int or version_field != FORMAT_VERSION:
        raise v.fail(None, "format_version", f"must be the integer {FORMAT_VERSION}, got {version_field!r}")
    battery_id, version, name = (v.string(data, key, None) for key in ("id", "version", "name"))
    reporting = data.get("reporting", {})
    v.keys(reporting, {"scale_mean", "scale_sd", "scale_min", "scale_max"}, None, "reporting.")
    scale = ReportingScale(
        mean=v.number(reporting, "scale_mean", None, 500.0, "reporting."),
        sd=v.number(reporting, "scale_sd", None, 100.0, "reporting."),
        minimum=v.number(reporting, "scale_min", None, 100.0, "reporting."),
        maximum=v.number(reporting, "scale_max", None, 900.0, "reporting."),
    )
    if not scale.sd > 0 or not scale.minimum < scale.maximum:
        raise v.fail(None, "reporting", "need scale_sd > 0 and scale_min < scale_max")
    raw_subtests = data.get("subtests")
    if not isinstance(raw_subtests, list) or not raw_subtests:
        raise v.fail(None, "subtests", "at least one [[subtests]] table is required")
    subtests = [_subtest(v, raw, base_dir) for raw in raw_subtests]
    ids = [s.id for s in subtests]
    for sid in ids:
        if ids.count(sid) > 1:
            raise v.fail(sid, "id", "two subtests share this id")
    show = data.get("show_profile_to_candidate", False)
    if not isinstance(show, bool):
        raise v.fail(None, "show_profile_to_candidate", "must be true or false")
    try:
        instructions = None if "instructions" not in data else texts(data["instructions"], "instructions")
        practice = practice_items(data.get("practice"))
    except ValueError as exc:
        field_name, _, problem = str(exc).partition(": ")
        raise v.fail(None, field_name, problem) from exc
    return Battery(
        integrity=_integrity(v, data.get("integrity", {})),
        id=battery_id,
        version=version,
        name=name,
        subtests=tuple(subtests),
        reporting=scale,
        show_profile_to_candidate=show,
        source=source,
        instructions=instructions,
        practice=practice,
    )


def _integrity(v: _Validator, raw: Any) -> IntegrityConfig:
    """The ``[integrity]`` table: any field of :class:`IntegrityConfig` (docs/battery-format.md)."""
    settings = {f.name: f for f in fields(IntegrityConfig)}
    v.keys(raw, set(settings), None, "integrity.")
    values: dict[str, Any] = {}
    for name in raw:
        if settings[name].type == "int":
            values[name] = v.integer(raw, name, None, None, "integrity.")
        else:
            values[name] = v.number(raw, name, None, None, "integrity.")
    try:
        return IntegrityConfig(**values)
    except ValueError as exc:
        raise v.fail(None, "integrity", str(exc)) from exc


class _Validator:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, subtest: str | None, name: str, problem: str) -> BatteryConfigError:
        return BatteryConfigError(self.source, subtest, name, problem)

    def keys(self, table: Any, allowed: set[str], subtest: str | None, prefix: str) -> None:
        if not isinstance(table, Mapping):
            raise self.fail(subtest, prefix.rstrip(".") or "<top>", "must be a table")
        for key in table:
            if key not in allowed:
                raise self.fail(subtest, prefix + key, "unknown setting (check the spelling in docs/battery-format.md)")

    def string(self, table: Mapping[str, Any], name: str, subtest: str | None, prefix: str = "") -> str:
        value = table.get(name)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(subtest, prefix + name, "must be a non-empty string")
        return value

    def number(
        self, table: Mapping[str, Any], name: str, subtest: str | None, default: float | None, prefix: str = ""
    ) -> float:
        value = table.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise self.fail(subtest, prefix + name, f"must be a finite number, got {value!r}")
        return float(value)

    def integer(
        self, table: Mapping[str, Any], name: str, subtest: str | None, default: int | None, prefix: str
    ) -> int:
        value = table.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(subtest, prefix + name, f"must be an integer, got {value!r}")
        return value


def _subtest(v: _Validator, raw: Any, base_dir: Path) -> Subtest:
    if not isinstance(raw, Mapping):
        raise v.fail(None, "subtests", "each subtest must be a table")
    sid = v.string(raw, "id", None)
    v.keys(raw, _SUBTEST_KEYS, sid, "")
    name = v.string(raw, "name", sid)
    pool_path = base_dir / v.string(raw, "pool", sid)
    pool = load_pool(pool_path)  # a bad pool raises its own PoolValidationError naming the pool file
    cuts_raw = raw.get("level_cuts")
    if not isinstance(cuts_raw, list) or len(cuts_raw) != 4:
        raise v.fail(sid, "level_cuts", "must list exactly 4 cuts (levels 1-5)")
    cuts = tuple(v.number({f"level_cuts[{i}]": c}, f"level_cuts[{i}]", sid, None) for i, c in enumerate(cuts_raw))
    if any(lo >= hi for lo, hi in pairwise(cuts)):
        raise v.fail(sid, "level_cuts", f"cuts must be strictly increasing, got {list(cuts)}")
    time_limit = None
    if "time_limit_s" in raw:
        time_limit = v.number(raw, "time_limit_s", sid, None)
        if time_limit <= 0:
            raise v.fail(sid, "time_limit_s", "must be > 0")
    instructions = None
    if "instructions" in raw:
        try:
            instructions = texts(raw["instructions"], "instructions")
        except ValueError as exc:
            field_name, _, problem = str(exc).partition(": ")
            raise v.fail(sid, field_name, problem) from exc
    estimator = _estimator(v, raw.get("estimator", {}), sid)
    selection = _selection(v, raw.get("selection", {}), raw.get("blueprint", {}), sid, pool)
    stopping = _stopping(v, raw.get("stopping"), sid)
    pretest = None if "pretest" not in raw else _pretest(v, raw["pretest"], sid, base_dir, pool, stopping)
    blueprint = ResolvedBlueprint.resolve(selection.blueprint, pool)
    if blueprint is not None:
        if int(blueprint.minimum.sum()) > stopping.max_items:
            raise v.fail(sid, "blueprint", "the area minimums add up to more than stopping.max_items")
        for a, area in enumerate(pool.content_areas):
            available = int(np.sum(pool.area_index == a))
            if blueprint.minimum[a] > available:
                raise v.fail(sid, f"blueprint.{area}", f"min {blueprint.minimum[a]} but the pool has {available} items")
    return Subtest(
        id=sid,
        name=name,
        pool=pool,
        level_cuts=(cuts[0], cuts[1], cuts[2], cuts[3]),
        estimator=estimator,
        selection=selection,
        stopping=stopping,
        time_limit_s=time_limit,
        blueprint=blueprint,
        instructions=instructions,
        pretest=pretest,
    )


def _pretest(v: _Validator, raw: Any, sid: str, base_dir: Path, pool: Pool, stopping: StoppingConfig) -> SubtestPretest:
    """The ``[subtests.pretest]`` table. Rules: ``1 <= count <=`` the pretest pool's size, ``after >= 1``,
    ``time_per_item_s >= 0``, ``stopping.min_items >= after + 2`` (every pretest item comes after ``after``
    operational answers with at least two operational items after it), and no pretest item id is an item id of the
    operational pool."""
    p = "pretest."
    v.keys(raw, _PRETEST_KEYS, sid, p)
    pretest_pool = load_pool(base_dir / v.string(raw, "pool", sid, p))  # its own PoolValidationError when bad
    count = v.integer(raw, "count", sid, None, p)
    if not 1 <= count <= pretest_pool.size:
        raise v.fail(sid, "pretest.count", f"must be 1 to {pretest_pool.size} (the pretest pool's items), got {count}")
    after = v.integer(raw, "after", sid, DEFAULT_AFTER, p)
    if after < 1:
        raise v.fail(sid, "pretest.after", f"must be at least 1 (the first item is operational), got {after}")
    per_item = v.number(raw, "time_per_item_s", sid, 0.0, p)
    if per_item < 0:
        raise v.fail(sid, "pretest.time_per_item_s", f"must be at least 0, got {per_item}")
    if stopping.min_items < after + 2:
        raise v.fail(
            sid,
            "pretest.after",
            f"pretest items come after {after} operational answers and before the last two of at least "
            f"stopping.min_items operational items: min_items must be at least after + 2 = {after + 2}, "
            f"got {stopping.min_items}",
        )
    shared = sorted({it.id for it in pretest_pool.items} & {it.id for it in pool.items})
    if shared:
        listed = ", ".join(shared[:5]) + (", ..." if len(shared) > 5 else "")
        raise v.fail(sid, "pretest.pool", f"item ids also in the operational pool {pool.pool_id!r}: {listed}")
    return SubtestPretest(pool=pretest_pool, count=count, after=after, time_per_item_s=per_item)


def _estimator(v: _Validator, raw: Any, sid: str) -> EstimatorConfig:
    v.keys(raw, _SECTION_KEYS["estimator"], sid, "estimator.")
    method = raw.get("method", "eap")
    if method not in METHODS:
        raise v.fail(sid, "estimator.method", f"must be one of {', '.join(METHODS)}, got {method!r}")
    final = raw.get("final")
    if final is not None and final not in METHODS:
        raise v.fail(sid, "estimator.final", f"must be one of {', '.join(METHODS)}, got {final!r}")
    p = "estimator."
    try:
        return EstimatorConfig(
            method=method,
            final=final,
            prior_mean=v.number(raw, "prior_mean", sid, 0.0, p),
            prior_sd=v.number(raw, "prior_sd", sid, 1.0, p),
            quadrature_points=v.integer(raw, "quadrature_points", sid, 61, p),
            theta_min=v.number(raw, "theta_min", sid, -4.0, p),
            theta_max=v.number(raw, "theta_max", sid, 4.0, p),
        )
    except ValueError as exc:
        raise v.fail(sid, "estimator", str(exc)) from exc


def _selection(v: _Validator, raw: Any, raw_blueprint: Any, sid: str, pool: Pool) -> SelectionConfig:
    v.keys(raw, _SECTION_KEYS["selection"], sid, "selection.")
    p = "selection."
    if raw.get("method", "max_info") != "max_info":
        raise v.fail(sid, "selection.method", "only 'max_info' is supported")
    if not isinstance(raw_blueprint, Mapping):
        raise v.fail(sid, "blueprint", "must be a table of content areas")
    blueprint: dict[str, BlueprintArea] = {}
    for area, spec in raw_blueprint.items():
        if area not in pool.content_areas:
            raise v.fail(
                sid,
                f"blueprint.{area}",
                f"not a content area of pool {pool.pool_id!r} ({', '.join(pool.content_areas)})",
            )
        v.keys(spec, {"target", "min", "max"}, sid, f"blueprint.{area}.")
        target = v.number(spec, "target", sid, None, f"blueprint.{area}.")
        low = v.integer(spec, "min", sid, 0, f"blueprint.{area}.")
        high = v.integer(spec, "max", sid, 10**6, f"blueprint.{area}.")
        if not 0 <= target <= 1 or not 0 <= low <= high:
            raise v.fail(sid, f"blueprint.{area}", "need 0 <= target <= 1 and 0 <= min <= max")
        blueprint[area] = BlueprintArea(target, low, high)
    if blueprint and abs(sum(a.target for a in blueprint.values()) - 1.0) > 0.01:
        raise v.fail(sid, "blueprint", "the targets must add up to 1 (within 0.01)")
    exposure = raw.get("exposure_control", "none")
    if exposure not in ("none", "sympson_hetter"):
        raise v.fail(sid, "selection.exposure_control", f"must be 'none' or 'sympson_hetter', got {exposure!r}")
    try:
        return SelectionConfig(
            randomesque=v.integer(raw, "randomesque", sid, 1, p),
            first_item_randomesque=v.integer(raw, "first_item_randomesque", sid, 10, p),
            start_theta=v.number(raw, "start_theta", sid, 0.0, p),
            exposure_control=exposure,
            blueprint=blueprint,
        )
    except ValueError as exc:
        raise v.fail(sid, "selection", str(exc)) from exc


def _stopping(v: _Validator, raw: Any, sid: str) -> StoppingConfig:
    if raw is None:
        raise v.fail(sid, "stopping", "missing: a subtest needs at least stopping.max_items")
    v.keys(raw, _SECTION_KEYS["stopping"], sid, "stopping.")
    p = "stopping."
    if "max_items" not in raw:
        raise v.fail(sid, "stopping.max_items", "missing: every subtest needs a maximum length")
    se_target = v.number(raw, "se_target", sid, None, p) if "se_target" in raw else None
    cuts = raw.get("classification_cuts", [])
    if not isinstance(cuts, list):
        raise v.fail(sid, "stopping.classification_cuts", "must be a list of numbers")
    try:
        return StoppingConfig(
            se_target=se_target,
            min_items=v.integer(raw, "min_items", sid, 1, p),
            max_items=v.integer(raw, "max_items", sid, None, p),
            classification_cuts=tuple(
                v.number({f"classification_cuts[{i}]": c}, f"classification_cuts[{i}]", sid, None, p)
                for i, c in enumerate(cuts)
            ),
            classification_z=v.number(raw, "classification_z", sid, 1.96, p),
        )
    except ValueError as exc:
        raise v.fail(sid, "stopping", str(exc)) from exc
