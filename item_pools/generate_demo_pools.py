"""Generate the three synthetic demo item pools of the CACT demo battery (``item_pools/cact_demo.toml``).

Run ``python item_pools/generate_demo_pools.py [OUT_DIR]`` (default: the directory of this script) to rewrite

* ``manajerial_sosiokultural.json`` - 342 graded situational-judgement items, 38 per competency: GPCM with five
  options weighted 1-5, and about 15 % GRM with four options weighted 1-4;
* ``literasi_digital.json`` - 1,440 one-key multiple-choice items (3PL, five options), 360 per pillar;
* ``emerging_skills.json`` - 1,440 one-key multiple-choice items, 360 per area: 40 % 2PL with four options and
  60 % 3PL with five.

The two one-key pools are at version ``2026.2-synthetic``: drawn again on 2026-12-08 with 360 items per area
(from 300 and 240), so the item ids and parameters of ``2026.1-synthetic`` no longer apply to them.

The multiple-choice pools are this large because exposure control *within every ability band* (at most 0.25 of the
examinees of a band given any one item, docs/psychometrics.md section 5.5) must not lengthen tests by much: each
band needs about four times as many informative items as its tests are long. With 120 and 150 items per area the
control lengthened the tests of N(0, 1) examinees by 26-36 %, with 300 and 240 by 21-24 %, and with 360 by 19 %
(the limit is 20 %). A third of the one-key items have difficulties spread evenly over [-3.2, 3.2] so the tails,
where tests are longest, have depth too. Each area can draft more than it needs: an area made of templates alone
has at least 419 scenarios, and an area with computed items also has at least 128 template scenarios plus
generators that make any number of distinct items.

The files follow ``docs/pool-format.md``. Only numpy and the standard library are used and every random draw
comes from the fixed seeds in :data:`POOL_SPECS`, so the output is byte-identical on every run (and on every
``PYTHONHASHSEED``); ``tests/test_generate_demo_pools.py`` checks that the committed files match.

How the text is made
--------------------
The text is data, not code: TOML files under ``item_pools/content/``, each documenting its format in its opening
comment (``docs/pool-format.md`` has an overview).

* ``<pool>/pool.toml`` - the pool's name, its content areas in reporting order with the file of each, and (for the
  situational-judgement pool) the closing questions of its stems;
* ``<pool>/<area>.toml`` - the area's :class:`Template` objects, stems with combinatorial slots (scenario x context x
  actor x detail) and their options, and the fixed text (``[text.NAME]``) of the generators of items that compute
  their own answer (number series, data tables, set counts, ordering puzzles, spreadsheet formulas, weighted
  scoring, project schedules, word problems);
* ``shared.toml`` - named lists used by several pools (``"@units"``).

To change an item's wording, edit its TOML file and rerun this script, then ``cat-exposure`` (see ``README.md``).
This module is the machinery: it loads and checks the text (a placeholder that names no slot, a slot or list that is
never used, an unknown key or a missing text raises :class:`ContentError`, naming the file and the key), combines
the slots, runs the generators, draws the parameters and the display order, and writes the files.

Options are listed best first (situational judgement, weights 5..1 or 4..1) or keyed first (multiple choice); the
generator shuffles the display order and records the weights or the key.

Every item has a *scenario*: its template plus the values of the template's core slots (all slots but the last,
unless the template says otherwise). Items outside enemy pairs never share a scenario. An enemy pair is two items
of the same content area with the same scenario that differ only in a cosmetic slot (the detail); each lists the
other in ``enemies``. About 4 % of the items of each pool are in such pairs.

The IRT parameters are SYNTHETIC, drawn as below and rounded to 3 decimals, not calibrated on real examinees:

* GPCM: a ~ lognormal(log 1.0, 0.25) clipped to [0.5, 2.0]; location ~ N(0, 0.9) clipped to [-2.5, 2.5];
  steps = location + [-1.5, -0.5, 0.5, 1.5] + N(0, 0.25) noise (they may be slightly disordered, as GPCM allows).
* GRM: a as for GPCM; thresholds = location + [-1.2, 0, 1.2] + N(0, 0.15) noise, then pushed apart to be strictly
  increasing with a gap of at least 0.2.
* 2PL/3PL: a ~ lognormal(log 1.5, 0.25) clipped to [0.7, 2.8]; b ~ U(-3.2, 3.2) with probability 0.3, else
  N(0, 1.1) clipped to [-3.2, 3.2]; c ~ Beta(4, 16) clipped to [0.05, 0.35] (3PL only).

Every item also has SYNTHETIC response-time parameters (``time``: van der Linden's lognormal model, log-seconds;
``docs/pool-format.md``), drawn by :func:`draw_times` from their own stream of the pool's seed, so they change no
other draw, and rounded to 3 decimals:

* beta = ln(median seconds of the pool) + 0.3 * (0.3 z + sqrt(1 - 0.3^2) e), with z the item's difficulty (b, or
  the mean step of a graded item) standardized within the pool and e ~ N(0, 1): a spread of 0.3 between items and
  a mild positive relation with difficulty (correlation 0.3: harder items take longer). The median is 60 s for the
  situational-judgement pool, whose scenarios take longer to read, 38 s for Literasi Digital and 45 s for
  Emerging Skills (its computed items: series, tables, puzzles);
* alpha ~ lognormal(log 2.0, 0.12) clipped to [1.5, 2.5] (a log-time SD of 0.4 to 0.67).

``--add-times`` adds them to the pool files already in OUT_DIR, in place, from the same rule and seed, leaving the
rest of each file as it was (the committed pools carry exposure parameters computed for exactly these items and
must not be drawn again); it writes the file with the indentation it had.

``exposure_k`` is not written: ``cat-exposure`` fills it in after a simulation study.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import re
import tomllib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import numpy as np

__all__ = [
    "CONTENT_DIR",
    "DEFAULT_OUT_DIR",
    "POOL_SPECS",
    "ContentError",
    "PoolContent",
    "PoolSpec",
    "Template",
    "add_times",
    "build_pool",
    "build_pools",
    "draw_times",
    "load_all_content",
    "load_pool_content",
    "main",
    "render_pool",
    "write_pools",
]

DEFAULT_OUT_DIR = Path(__file__).resolve().parent
CONTENT_DIR = DEFAULT_OUT_DIR / "content"
REPO_DIR = DEFAULT_OUT_DIR.parent
GENERATOR_PATH = "item_pools/generate_demo_pools.py"
POOL_VERSION = "2026.1-synthetic"  # the first draw; a pool drawn again with more items gets a new version
CALIBRATION_DATE = "2026-11-28"
ENEMY_SHARE = 0.04  # share of the items of a pool that are in enemy pairs
TAIL_SHARE = 0.3  # share of the one-key items whose difficulty is uniform over the range
B_RANGE = 3.2  # difficulties within [-B_RANGE, B_RANGE]
DEEPER_POOL_VERSION = "2026.2-synthetic"  # the one-key pools drawn again at 360 items per area
DEEPER_POOL_DATE = "2026-12-08"
CLOSING_SLOT = "tanya"  # filled with one of the pool's closing questions, drawn for every item
TIME_STREAM = 3  # child of the pool's seed for the time parameters (0-2: content, models, IRT parameters)
TIME_BETA_SD = 0.3  # spread of the items' time intensities (log-seconds)
TIME_DIFFICULTY_CORRELATION = 0.3  # of an item's time intensity with its difficulty

Rng = np.random.Generator
SlotValue = str | Mapping[str, str]
Text = Mapping[str, Any]  # the [text.NAME] table of a computed-item generator


# --- drafts, templates and sources ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    """The text of one item before its display order is drawn.

    ``options`` are ordered best to worst (situational judgement) or keyed first (multiple choice, the rest are
    distractors, possibly more than will be shown). Items with the same ``scenario`` cover the same situation.
    """

    stem: str
    options: tuple[str, ...]
    scenario: str


@dataclass(frozen=True)
class Template:
    """A stem with combinatorial slots and its options (best or keyed option first).

    ``slots`` maps each slot name to its alternatives, in order; a value is a string, or a mapping of named parts
    used as ``{slot[part]}``. Parts may themselves contain ``{other_slot}`` placeholders. The first ``core`` slots
    (default: all but the last) define the scenario; the remaining slots are cosmetic details, which is how the two
    items of an enemy pair differ. ``{tanya}`` is filled with a random closing question of the pool.
    """

    stem: str
    options: tuple[str, ...]
    slots: Mapping[str, tuple[SlotValue, ...]]
    core: int = -1

    @property
    def n_core(self) -> int:
        return len(self.slots) - 1 if self.core < 0 else self.core


def _fill(text: str, values: Mapping[str, Any]) -> str:
    """Fill ``{slot}`` and ``{slot[part]}`` placeholders, twice, so slot parts may name other slots."""
    out = text.format_map(values)
    return out.format_map(values) if "{" in out else out


def _combinations(template: Template, names: Sequence[str]) -> list[tuple[int, ...]]:
    """Every combination of value indices of the named slots."""
    return list(itertools.product(*(range(len(template.slots[n])) for n in names)))


def _balanced_order(combos: Sequence[tuple[int, ...]], rng: Rng) -> list[tuple[int, ...]]:
    """A random order of ``combos`` in which each next combination uses the slot values used least so far."""
    pending = [combos[int(i)] for i in rng.permutation(len(combos))]
    used: dict[tuple[int, int], int] = {}
    order = []
    while pending:
        best = min(range(len(pending)), key=lambda i: sum(used.get((s, v), 0) for s, v in enumerate(pending[i])))
        combo = pending.pop(best)
        for slot_value in enumerate(combo):
            used[slot_value] = used.get(slot_value, 0) + 1
        order.append(combo)
    return order


class Source(Protocol):
    """Something that drafts items for one content area."""

    can_pair: bool

    def draw(self, rng: Rng) -> Draft | None:
        """A draft with a scenario not drawn before, or None once the source is exhausted."""

    def draw_pair(self, rng: Rng) -> tuple[Draft, Draft] | None:
        """Two drafts of one new scenario with different stems, or None."""


class TemplateSource:
    """Draws items from a :class:`Template`, each scenario (core slot combination) at most once.

    Scenarios are taken in a balanced random order (each next one uses the slot values used least so far) and the
    cosmetic details cycle through a shuffled list, so the items of a template spread over all its alternatives.
    """

    can_pair = True

    def __init__(self, template: Template, name: str, rng: Rng, extras: Mapping[str, Sequence[str]]) -> None:
        self.template = template
        self.name = name
        self.extras = extras
        names = list(template.slots)
        self._core_names = names[: template.n_core]
        self._detail_names = names[template.n_core :]
        self._cores = _balanced_order(_combinations(template, self._core_names), rng)
        self._details = _combinations(template, self._detail_names)
        self._detail_queue: list[tuple[int, ...]] = []
        self.can_pair = len(self._details) >= 2

    @property
    def capacity(self) -> int:
        """How many scenarios are left."""
        return len(self._cores)

    def draw(self, rng: Rng) -> Draft | None:
        if not self._cores:
            return None
        return self._draft(self._cores.pop(0), self._next_detail(rng), rng)

    def draw_pair(self, rng: Rng) -> tuple[Draft, Draft] | None:
        if not self._cores or not self.can_pair:
            return None
        core, first = self._cores.pop(0), self._next_detail(rng)
        second = self._next_detail(rng)
        while second == first:
            second = self._next_detail(rng)
        return self._draft(core, first, rng), self._draft(core, second, rng)

    def _next_detail(self, rng: Rng) -> tuple[int, ...]:
        if not self._detail_queue:
            self._detail_queue = [self._details[int(i)] for i in rng.permutation(len(self._details))]
        return self._detail_queue.pop()

    def _draft(self, core: tuple[int, ...], detail: tuple[int, ...], rng: Rng) -> Draft:
        slots = self.template.slots
        values: dict[str, Any] = {n: slots[n][i] for n, i in zip(self._core_names, core, strict=True)}
        values.update({n: slots[n][i] for n, i in zip(self._detail_names, detail, strict=True)})
        values.update({n: choices[int(rng.integers(len(choices)))] for n, choices in self.extras.items()})
        stem = _fill(self.template.stem, values)
        options = tuple(_fill(option, values) for option in self.template.options)
        return Draft(stem, options, f"{self.name}:{'.'.join(map(str, core))}")


Generator = Callable[[Rng, Text], Draft]


class ComputedSource:
    """Draws items from a generator that computes its answer and words the item with its text table; never pairs.

    ``where`` names the text table (file and key) in the error raised when the text lacks something the generator
    needs, or has a placeholder it does not fill.
    """

    can_pair = False

    def __init__(self, generator: Generator, text: Text, where: str) -> None:
        self.generator = generator
        self.text = text
        self.where = where

    def draw(self, rng: Rng) -> Draft | None:
        try:
            return self.generator(rng, self.text)
        except KeyError as exc:
            raise ContentError(f"{self.where}: no {exc.args[0]!r} (a missing key, or an unknown placeholder)") from exc
        except (IndexError, ValueError) as exc:
            raise ContentError(f"{self.where}: {exc}") from exc

    def draw_pair(self, rng: Rng) -> tuple[Draft, Draft] | None:
        return None


# --- the content files --------------------------------------------------------------------------------------------


class ContentError(ValueError):
    """A content file that cannot be used; the message names the file and the key."""


_REFERENCE = re.compile(r"@(\w+)(?:\[(\d*):(\d*)\])?")
_PLACEHOLDER = re.compile(r"\{(\w+)(?:\[(\w+)\])?\}")
_TEMPLATE_KEYS = ("stem", "options", "answers_from", "generic_wrong", "scenario_slots", "slots", "lists")
_KINDS = {str: "a string", int: "a whole number", list: "a list", dict: "a table"}


def _read_toml(path: Path, keys: Collection[str]) -> tuple[dict[str, Any], str]:
    """The file's top table (with no keys but ``keys``) and the file's name for errors."""
    where = str(path.relative_to(REPO_DIR)) if path.is_relative_to(REPO_DIR) else str(path)
    try:
        with path.open("rb") as file:
            return _checked(tomllib.load(file), keys, where), where
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ContentError(f"{where}: {exc}") from exc


def _checked(table: Any, keys: Collection[str], where: str) -> dict[str, Any]:
    """``table``, which must be a table with no keys but ``keys``."""
    if not isinstance(table, dict):
        raise ContentError(f"{where}: must be a table")
    unknown = [key for key in table if key not in keys]
    if unknown:
        raise ContentError(f"{where}: unknown key {unknown[0]!r} (the keys are {', '.join(keys)})")
    return table


def _get(table: Mapping[str, Any], key: str, kind: type, where: str, default: Any = None) -> Any:
    """``table[key]``, which must be of type ``kind``; ``default`` when missing, unless that is None (required)."""
    value = table.get(key, default)
    if value is None:
        raise ContentError(f"{where}: the key {key!r} is missing")
    if type(value) is not kind:
        raise ContentError(f"{where}: {key!r} must be {_KINDS[kind]}")
    return value


def _strings(values: Any, where: str) -> list[str]:
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise ContentError(f"{where}: must be a non-empty list of non-empty strings")
    return values


class _Lists:
    """The named lists of one scope (a template, an area file, shared.toml), looked up here and then outwards.

    Remembers which lists were used, so that one never used (most likely a typo) can be reported.
    """

    def __init__(self, where: str, lists: Mapping[str, Any], outer: _Lists | None = None) -> None:
        empty = [name for name, values in lists.items() if not isinstance(values, list) or not values]
        if empty:
            raise ContentError(f"{where}: the list {empty[0]!r} must be a non-empty list")
        self.where, self.lists, self.outer = where, lists, outer
        self.used: set[str] = set()

    def resolve(self, value: Any, where: str) -> Any:
        """``value``, or the list it names if it is a reference ``"@name"`` or ``"@name[start:stop]"``."""
        if not (isinstance(value, str) and value.startswith("@")):
            return value
        match = _REFERENCE.fullmatch(value)
        if match is None:
            raise ContentError(f'{where}: {value!r} is not a list reference ("@name" or "@name[2:7]")')
        name, start, stop = match.groups()
        scope: _Lists | None = self
        while scope is not None and name not in scope.lists:
            scope = scope.outer
        if scope is None:
            raise ContentError(f"{where}: there is no list named {name!r}")
        scope.used.add(name)
        values = scope.lists[name]
        return values[int(start) if start else None : int(stop) if stop else None] if "[" in value else values

    def resolve_all(self, value: Any, where: str) -> Any:
        """``value`` with every list reference in it, in tables and lists too, resolved."""
        if isinstance(value, dict):
            return {key: self.resolve_all(item, f"{where}.{key}") for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve_all(item, f"{where}[{i}]") for i, item in enumerate(value)]
        return self.resolve(value, where)

    def check_all_used(self) -> None:
        unused = [name for name in self.lists if name not in self.used]
        if unused:
            raise ContentError(f"{self.where}: the list {unused[0]!r} is never used")


def _answer_options(
    slots: dict[str, tuple[SlotValue, ...]], table: Mapping[str, Any], lists: _Lists, where: str
) -> tuple[str, ...]:
    """The options of an ``answers_from`` template, key first; the slot's values get the parts they name.

    Each value is a table with its ``answer`` and ``wrong`` answers (as many in every value), which become the parts
    ``key``, ``d1``, ``d2``, ... With ``generic_wrong``, two general wrong answers follow the value's own: which two
    follows from the answer's text (not ``hash``, which varies between runs).
    """
    name = _get(table, "answers_from", str, where)
    generic = lists.resolve(table.get("generic_wrong", []), f"{where}, generic_wrong")
    values, counts = [], set()
    for i, value in enumerate(slots.get(name, ())):
        at = f"{where}, value {i + 1} of slots.{name}"
        if not isinstance(value, dict):
            raise ContentError(f"{at}: must be a table with `answer`, `wrong` and the parts the stem uses")
        answer, wrong = _get(value, "answer", str, at), _strings(_get(value, "wrong", list, at), f"{at}.wrong")
        if generic:
            first = sum(map(ord, answer)) % len(generic)
            wrong = [*wrong, generic[first], generic[(first + 1) % len(generic)]]
        parts = {key: part for key, part in value.items() if key not in ("answer", "wrong")}
        values.append({**parts, "key": answer} | {f"d{j + 1}": text for j, text in enumerate(wrong)})
        counts.add(len(wrong))
    if not values:
        raise ContentError(f"{where}: answers_from names no slot ({name!r})")
    if len(counts) != 1:
        raise ContentError(f"{where}: every value of the slot {name!r} needs as many wrong answers")
    slots[name] = tuple(values)
    return (f"{{{name}[key]}}", *(f"{{{name}[d{j + 1}]}}" for j in range(counts.pop())))


def _load_template(table: Any, lists: _Lists, extras: Collection[str], where: str) -> Template:
    stem = _get(_checked(table, _TEMPLATE_KEYS, where), "stem", str, where)
    where = f"{where} ({stem[:40]!r}...)"
    own = _Lists(f"{where} [template.lists]", _get(table, "lists", dict, where, {}), lists)
    slots: dict[str, tuple[SlotValue, ...]] = {}
    for name, written in _get(table, "slots", dict, where).items():
        values = own.resolve(written, f"{where}, slots.{name}")
        if not isinstance(values, list) or not values or not all(isinstance(v, str | dict) for v in values):
            raise ContentError(f"{where}, slots.{name}: must be a non-empty list of strings or tables, or a list name")
        slots[name] = tuple(values)
    if ("options" in table) == ("answers_from" in table) or ("generic_wrong" in table and "options" in table):
        raise ContentError(f"{where}: give either `options`, or `answers_from` (and maybe `generic_wrong`)")
    if "options" in table:
        options = tuple(_strings(table["options"], f"{where}, options"))
    else:
        options = _answer_options(slots, table, own, where)
    core = _get(table, "scenario_slots", int, where, -1)
    if "scenario_slots" in table and not 1 <= core <= len(slots):
        raise ContentError(f"{where}: scenario_slots must be between 1 and the number of slots ({len(slots)})")
    own.check_all_used()
    template = Template(stem, options, slots, core)
    _check_placeholders(template, extras, where)
    return template


def _texts_of(template: Template) -> Iterator[tuple[str, Any]]:
    """Every text of a template that may hold placeholders, with the key that names it in errors."""
    yield "stem", template.stem
    yield from ((f"option {i + 1}", option) for i, option in enumerate(template.options))
    for name, values in template.slots.items():
        for i, value in enumerate(values):
            parts = {"": value} if isinstance(value, str) else {f"part {p!r} of ": t for p, t in value.items()}
            yield from ((f"{part}value {i + 1} of slots.{name}", text) for part, text in parts.items())


def _placeholder_problem(template: Template, extras: Collection[str], name: str, part: str | None) -> str | None:
    if name in extras:
        return None if part is None else "takes no part"
    if name not in template.slots:
        return f"names no slot (the slots are {', '.join(template.slots)})"
    values = template.slots[name]
    if part is None:
        return None if all(isinstance(v, str) for v in values) else f"needs a part: the values of {name!r} are tables"
    missing = [i for i, v in enumerate(values) if not isinstance(v, Mapping) or part not in v]
    return f"names a part that value {missing[0] + 1} of slots.{name} does not have" if missing else None


def _check_placeholders(template: Template, extras: Collection[str], where: str) -> None:
    """Every placeholder names a slot (and a part that each of its values has); every slot is used somewhere."""
    used: set[str] = set()
    for key, text in _texts_of(template):
        if not isinstance(text, str) or not text:
            raise ContentError(f"{where}, {key}: must be a non-empty string")
        for match in _PLACEHOLDER.finditer(text):
            used.add(match.group(1))
            problem = _placeholder_problem(template, extras, *match.groups())
            if problem:
                raise ContentError(f"{where}, {key}: {match.group()} {problem}")
        if re.search(r"[{}]", _PLACEHOLDER.sub("", text)):
            raise ContentError(f"{where}, {key}: a brace that is not part of a {{slot}} or {{slot[part]}} placeholder")
    unused = [name for name in template.slots if name not in used]
    if unused:
        raise ContentError(f"{where}: the slot {unused[0]!r} is never used (in the stem, options or other slots)")


@dataclass(frozen=True)
class AreaContent:
    """The text of one content area: its templates, and its computed-item generators with their text."""

    name: str
    templates: tuple[Template, ...]
    computed: tuple[ComputedSource, ...]


@dataclass(frozen=True)
class PoolContent:
    """The text of one pool: its name, the closing questions of its stems, and its areas in reporting order."""

    name: str
    closing_questions: tuple[str, ...]
    areas: tuple[AreaContent, ...]


def _load_generators(texts: Mapping[str, Any], lists: _Lists, where: str) -> list[ComputedSource]:
    """The generators each ``[text.NAME]`` table words, in the order of the tables."""
    unknown = [name for name in texts if name not in _GENERATORS]
    if unknown:
        raise ContentError(f"{where}: [text.{unknown[0]}] names no generator (they are: {', '.join(_GENERATORS)})")
    resolved = {name: lists.resolve_all(text, f"{where} [text.{name}]") for name, text in texts.items()}
    return [ComputedSource(g, resolved[name], f"{where} [text.{name}]") for name in texts for g in _GENERATORS[name]]


def _load_area(path: Path, name: str, shared: _Lists, extras: Collection[str]) -> AreaContent:
    raw, where = _read_toml(path, ("lists", "template", "text"))
    lists = _Lists(f"{where} [lists]", _get(raw, "lists", dict, where, {}), shared)
    templates = _get(raw, "template", list, where, [])
    area = AreaContent(
        name,
        tuple(_load_template(t, lists, extras, f"{where}: template {i + 1}") for i, t in enumerate(templates)),
        tuple(_load_generators(_get(raw, "text", dict, where, {}), lists, where)),
    )
    lists.check_all_used()
    if not area.templates and not area.computed:
        raise ContentError(f"{where}: no [[template]] and no [text.*] table")
    return area


def _shared_lists(content_dir: Path) -> _Lists:
    raw, where = _read_toml(content_dir / "shared.toml", ("lists",))
    return _Lists(f"{where} [lists]", _get(raw, "lists", dict, where, {}))


def load_pool_content(directory: Path, shared: _Lists | None = None) -> PoolContent:
    """Load and check the text of one pool from its folder under ``item_pools/content/``."""
    raw, where = _read_toml(directory / "pool.toml", ("name", "closing_questions", "areas"))
    questions = raw.get("closing_questions")
    closing = tuple(_strings(questions, f"{where}, closing_questions")) if questions is not None else ()
    shared = shared if shared is not None else _shared_lists(directory.parent)
    areas = []
    for i, entry in enumerate(_get(raw, "areas", list, where)):
        at = f"{where}, area {i + 1}"
        file, name = _get(_checked(entry, ("name", "file"), at), "file", str, at), _get(entry, "name", str, at)
        areas.append(_load_area(directory / file, name, shared, [CLOSING_SLOT] if closing else []))
    return PoolContent(_get(raw, "name", str, where), closing, tuple(areas))


def load_all_content(content_dir: Path = CONTENT_DIR) -> dict[str, PoolContent]:
    """The text of every demo pool, by pool id, checked; also checks that every list of ``shared.toml`` is used."""
    shared = _shared_lists(content_dir)
    contents = {spec.pool_id: load_pool_content(content_dir / spec.content, shared) for spec in POOL_SPECS}
    shared.check_all_used()
    return contents


# --- drafting a content area ------------------------------------------------------------------------------------


def make_sources(content: PoolContent, prefix: str, rng: Rng) -> dict[str, list[Source]]:
    """The sources of every area, in order: one per template (drawing its scenario order now), then the generators."""
    extras = {CLOSING_SLOT: content.closing_questions} if content.closing_questions else {}
    return {
        area.name: [
            *(TemplateSource(t, f"{prefix}/{area.name}/{i + 1}", rng, extras) for i, t in enumerate(area.templates)),
            *area.computed,
        ]
        for area in content.areas
    }


def _draw_unique(source: Source, rng: Rng, used_stems: set[str], tries: int = 200) -> Draft | None:
    for _ in range(tries):
        draft = source.draw(rng)
        if draft is None:
            return None
        if draft.stem not in used_stems:
            return draft
    return None


def _draft_area(
    sources: Sequence[Source], n_items: int, n_pairs: int, rng: Rng, used_stems: set[str]
) -> list[list[Draft]]:
    """Draft ``n_items`` items for one area as groups: ``n_pairs`` enemy pairs, then single items.

    Sources take turns (in a shuffled order) so each contributes about equally until it runs out of scenarios.
    """
    groups: list[list[Draft]] = []
    pairing = [s for s in sources if s.can_pair]
    pairing = [pairing[i] for i in rng.permutation(len(pairing))]
    turn = 0
    while len(groups) < n_pairs:
        if turn >= 10 * len(pairing) + n_pairs:
            raise RuntimeError("not enough scenarios to make the enemy pairs")
        pair = pairing[turn % len(pairing)].draw_pair(rng)
        turn += 1
        if pair is not None and not {pair[0].stem, pair[1].stem} & used_stems:
            used_stems.update((pair[0].stem, pair[1].stem))
            groups.append(list(pair))
    active = [sources[i] for i in rng.permutation(len(sources))]
    n_single = n_items - 2 * n_pairs
    while n_single > 0:
        if not active:
            raise RuntimeError("the sources of an area ran out of scenarios")
        for source in list(active):
            if n_single == 0:
                break
            draft = _draw_unique(source, rng, used_stems)
            if draft is None:
                active.remove(source)
                continue
            used_stems.add(draft.stem)
            groups.append([draft])
            n_single -= 1
    return groups


def _spread(total: int, n_bins: int, rng: Rng) -> list[int]:
    """Split ``total`` over ``n_bins`` as evenly as possible, the remainder going to random bins."""
    counts = [total // n_bins] * n_bins
    for i in rng.choice(n_bins, size=total % n_bins, replace=False):
        counts[int(i)] += 1
    return counts


# --- options and parameters -------------------------------------------------------------------------------------


def _graded_options(draft: Draft, n_options: int, rng: Rng) -> dict[str, Any]:
    """Options in a random display order and their weights (best = ``n_options``, worst = 1).

    A four-option (GRM) item drops the middle one of the five ranked options.
    """
    ranked = list(draft.options)
    if len(ranked) != 5:
        raise ValueError(f"a graded template needs five ranked options: {draft.stem}")
    if n_options == 4:
        del ranked[2]
    order = [int(i) for i in rng.permutation(n_options)]
    return {"options": [ranked[i] for i in order], "option_weights": [n_options - i for i in order]}


def _keyed_options(draft: Draft, n_options: int, rng: Rng) -> dict[str, Any]:
    """The key at a uniformly random position among ``n_options - 1`` distractors drawn from the draft's."""
    key_text, distractors = draft.options[0], list(draft.options[1:])
    if len(distractors) < n_options - 1:
        raise ValueError(f"too few distractors for {n_options} options: {draft.stem}")
    chosen = [distractors[int(i)] for i in rng.choice(len(distractors), size=n_options - 1, replace=False)]
    key = int(rng.integers(n_options))
    chosen.insert(key, key_text)
    if len(set(chosen)) != n_options:
        raise ValueError(f"duplicate options: {draft.stem}")
    return {"options": chosen, "key": key}


def _r(x: float) -> float:
    """Round to 3 decimals (and turn -0.0 into 0.0)."""
    return round(float(x), 3) + 0.0


def _a_graded(rng: Rng) -> float:
    return _r(np.clip(rng.lognormal(math.log(1.0), 0.25), 0.5, 2.0))


def _location(rng: Rng) -> float:
    return float(np.clip(rng.normal(0.0, 0.9), -2.5, 2.5))


def _gpcm_params(rng: Rng) -> dict[str, Any]:
    a = _a_graded(rng)
    steps = _location(rng) + np.array([-1.5, -0.5, 0.5, 1.5]) + rng.normal(0.0, 0.25, size=4)
    return {"a": a, "b": [_r(s) for s in steps]}


def _grm_params(rng: Rng) -> dict[str, Any]:
    a = _a_graded(rng)
    thresholds = _location(rng) + np.array([-1.2, 0.0, 1.2]) + rng.normal(0.0, 0.15, size=3)
    for i in range(1, len(thresholds)):
        thresholds[i] = max(thresholds[i], thresholds[i - 1] + 0.2)
    return {"a": a, "b": [_r(t) for t in thresholds]}


def _dichotomous_params(rng: Rng, guessing: bool) -> dict[str, Any]:
    a = _r(np.clip(rng.lognormal(math.log(1.5), 0.25), 0.7, 2.8))
    # most items near the middle, where most examinees are; a share spread evenly so the tails have depth too
    spread = rng.random() < TAIL_SHARE
    b = _r(rng.uniform(-B_RANGE, B_RANGE) if spread else np.clip(rng.normal(0.0, 1.1), -B_RANGE, B_RANGE))
    if not guessing:
        return {"a": a, "b": b}
    return {"a": a, "b": b, "c": _r(np.clip(rng.beta(4.0, 16.0), 0.05, 0.35))}


_MODELS: dict[str, tuple[Callable[[Rng], dict[str, Any]], int]] = {
    "GPCM": (_gpcm_params, 5),
    "GRM": (_grm_params, 4),
    "2PL": (lambda rng: _dichotomous_params(rng, guessing=False), 4),
    "3PL": (lambda rng: _dichotomous_params(rng, guessing=True), 5),
}


# --- pools ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolSpec:
    """What one pool file holds: identity, how many items, which models; its text is in ``content/<content>/``."""

    pool_id: str
    prefix: str
    seed: int
    items_per_area: int
    minority_model: str  # the less common model of the pool ...
    minority_share: float  # ... and its share of the items (0 for a single-model pool)
    majority_model: str
    median_seconds: float  # median response time of an examinee of average speed on the pool's typical item
    pool_version: str = POOL_VERSION  # new items, new version: a sitting saved on the old items is not restored
    calibration_date: str = CALIBRATION_DATE  # the day of the draw

    @property
    def content(self) -> str:
        """The folder of the pool's text under ``item_pools/content/``, and the name of its file."""
        return self.pool_id.replace("-", "_")

    @property
    def filename(self) -> str:
        return f"{self.content}.json"

    def make_sources(self, rng: Rng, content_dir: Path = CONTENT_DIR) -> dict[str, list[Source]]:
        """The item sources of every area, by area name."""
        return make_sources(load_pool_content(content_dir / self.content), self.prefix, rng)


def _assign_models(spec: PoolSpec, n_items: int, rng: Rng) -> list[str]:
    models = [spec.majority_model] * n_items
    for i in rng.choice(n_items, size=round(spec.minority_share * n_items), replace=False):
        models[int(i)] = spec.minority_model
    return models


def _calibration(spec: PoolSpec) -> dict[str, Any]:
    note = (
        f"PARAMETER SINTETIS: dibangkitkan oleh {GENERATOR_PATH} dengan seed {spec.seed}, tidak dikalibrasi dengan "
        "data peserta ujian yang sebenarnya; hanya untuk demonstrasi dan pengujian. "
        f"SYNTHETIC parameters: generated by {GENERATOR_PATH} with seed {spec.seed}, not calibrated on real "
        "examinees; for demonstration and testing only."
    )
    return {"note": note, "date": spec.calibration_date, "method": "synthetic random draw (numpy)", "synthetic": True}


def draw_times(items: Sequence[Mapping[str, Any]], median_seconds: float, rng: Rng) -> list[dict[str, float]]:
    """Synthetic response-time parameters ``{"beta", "alpha"}`` of ``items`` (the rule in the module docstring)."""
    difficulty = np.array([float(np.mean(item["params"]["b"])) for item in items])
    z = (difficulty - difficulty.mean()) / difficulty.std()
    r = TIME_DIFFICULTY_CORRELATION
    noise = rng.standard_normal(len(items))
    beta = math.log(median_seconds) + TIME_BETA_SD * (r * z + math.sqrt(1.0 - r * r) * noise)
    alpha = np.clip(rng.lognormal(math.log(2.0), 0.12, size=len(items)), 1.5, 2.5)
    return [{"beta": _r(b), "alpha": _r(a)} for b, a in zip(beta, alpha, strict=True)]


def _time_rng(spec: PoolSpec) -> Rng:
    return np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(TIME_STREAM,)))


def _time_record(spec: PoolSpec) -> dict[str, Any]:
    note = (
        f"WAKTU RESPONS SINTETIS: dibangkitkan oleh {GENERATOR_PATH} dengan seed {spec.seed} (aliran {TIME_STREAM}), "
        "tidak diestimasi dari waktu respons peserta yang sebenarnya. "
        f"SYNTHETIC response-time parameters: drawn by {GENERATOR_PATH} from seed {spec.seed} (stream "
        f"{TIME_STREAM}), not estimated from real response times; estimate them with cat-pool times."
    )
    return {
        "note": note,
        "method": "synthetic random draw (numpy)",
        "synthetic": True,
        "median_seconds": spec.median_seconds,
    }


def build_pool(spec: PoolSpec, content: PoolContent | None = None) -> dict[str, Any]:
    """Build one pool as a dict in the format of ``docs/pool-format.md`` (its text loaded unless given)."""
    content = content if content is not None else load_pool_content(CONTENT_DIR / spec.content)
    areas = [area.name for area in content.areas]
    content_rng, model_rng, param_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(spec.seed).spawn(3))
    sources = make_sources(content, spec.prefix, content_rng)
    n_items = spec.items_per_area * len(areas)
    pairs = _spread(round(ENEMY_SHARE * n_items / 2), len(areas), content_rng)
    used_stems: set[str] = set()
    placed: list[tuple[str, Draft, int]] = []  # (area, draft, group number)
    for area, n_pairs in zip(areas, pairs, strict=True):
        groups = _draft_area(sources[area], spec.items_per_area, n_pairs, content_rng, used_stems)
        flat = [(area, draft, len(placed) + g) for g, group in enumerate(groups) for draft in group]
        placed.extend(flat[int(i)] for i in content_rng.permutation(len(flat)))
    models = _assign_models(spec, n_items, model_rng)
    ids = [f"{spec.prefix}-{i + 1:03d}" for i in range(n_items)]
    members: dict[int, list[str]] = {}
    for item_id, (_, _, group) in zip(ids, placed, strict=True):
        members.setdefault(group, []).append(item_id)
    items = []
    for item_id, model, (area, draft, group) in zip(ids, models, placed, strict=True):
        make_params, n_options = _MODELS[model]
        item: dict[str, Any] = {"id": item_id, "model": model, "params": make_params(param_rng)}
        item.update(content_area=area, stem=draft.stem)
        shape = _graded_options if model in ("GPCM", "GRM") else _keyed_options
        item.update(shape(draft, n_options, content_rng))
        enemies = [other for other in members[group] if other != item_id]
        if enemies:
            item["enemies"] = enemies
        items.append(item)
    stems = [it["stem"] for it in items]
    if len(set(stems)) != len(stems):
        raise AssertionError(f"{spec.pool_id}: stems are not unique")
    for item, time in zip(items, draw_times(items, spec.median_seconds, _time_rng(spec)), strict=True):
        item["time"] = time
    return {
        "format_version": 1,
        "pool_id": spec.pool_id,
        "pool_version": spec.pool_version,
        "name": content.name,
        "calibration": {**_calibration(spec), "response_time": _time_record(spec)},
        "theta_scale": {"mean": 0.0, "sd": 1.0, "D": 1.0},
        "content_areas": areas,
        "items": items,
    }


def render_pool(pool: Mapping[str, Any]) -> bytes:
    """The stable serialisation of a pool: UTF-8 JSON, one-space indent, trailing newline."""
    return (json.dumps(pool, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def build_pools(content_dir: Path = CONTENT_DIR) -> dict[str, dict[str, Any]]:
    """All demo pools, by file name."""
    contents = load_all_content(content_dir)
    return {spec.filename: build_pool(spec, contents[spec.pool_id]) for spec in POOL_SPECS}


def write_pools(out_dir: str | Path = DEFAULT_OUT_DIR, content_dir: Path = CONTENT_DIR) -> list[Path]:
    """Write every demo pool into ``out_dir`` (created if needed) and return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for filename, pool in build_pools(content_dir).items():
        path = out / filename
        path.write_bytes(render_pool(pool))
        paths.append(path)
    return paths


def add_times(path: str | Path, spec: PoolSpec) -> None:
    """Add the synthetic time parameters of ``spec`` to the pool file ``path``, in place (``--add-times``).

    Only each item's ``time`` (written last in the item, where ``save_pool`` puts it) and
    ``calibration.response_time`` (after the generator's own keys of ``calibration``) change; the file keeps its
    indentation, so an existing pool is otherwise written back byte for byte. Running it again changes nothing.
    """
    target = Path(path)
    text = target.read_text(encoding="utf-8")
    pool = json.loads(text)
    if pool.get("pool_id") != spec.pool_id:
        raise ValueError(f"{target}: pool_id {pool.get('pool_id')!r}, expected {spec.pool_id!r}")
    times = draw_times(pool["items"], spec.median_seconds, _time_rng(spec))
    for item, time in zip(pool["items"], times, strict=True):
        item.pop("time", None)
        item["time"] = time
    # Where a full run writes the record: right after the generator's own keys, before what tools add later
    # (cat-exposure's exposure_control), so the file comes out the same whichever ran first.
    own = set(_calibration(spec))
    calibration = {k: v for k, v in pool["calibration"].items() if k in own}
    calibration["response_time"] = _time_record(spec)
    calibration.update((k, v) for k, v in pool["calibration"].items() if k not in own and k != "response_time")
    pool["calibration"] = calibration
    second = text.split("\n", 2)[1]
    indent = len(second) - len(second.lstrip(" "))
    target.write_bytes((json.dumps(pool, ensure_ascii=False, indent=indent) + "\n").encode("utf-8"))


# --- small helpers for computed items ---------------------------------------------------------------------------


def _pick(rng: Rng, values: Sequence[Any]) -> Any:
    return values[int(rng.integers(len(values)))]


def _sample(rng: Rng, values: Sequence[Any], n: int) -> list[Any]:
    """``n`` different values in random order."""
    return [values[int(i)] for i in rng.choice(len(values), size=n, replace=False)]


def _num(x: int | Fraction) -> str:
    """Indonesian number format: 12.500 and 4,5 (at most one decimal)."""
    value = Fraction(x)
    if value.denominator == 1:
        return f"{int(value):,}".replace(",", ".")
    tenths = value * 10
    if tenths.denominator != 1:
        raise ValueError(f"{value} has more than one decimal")
    return f"{int(tenths) // 10:,}".replace(",", ".") + f",{int(tenths) % 10}"


def _is_short_decimal(x: Fraction) -> bool:
    return (x * 10).denominator == 1


def _distinct(key: Any, candidates: Iterable[Any], fallback: Iterable[Any], n: int) -> list[Any]:
    """``n`` distinct distractors: the candidates first (skipping the key and repeats), then the fallback."""
    out: list[Any] = []
    for value in itertools.chain(candidates, fallback):
        if value != key and value not in out:
            out.append(value)
        if len(out) == n:
            return out
    raise ValueError(f"not enough distractors for {key!r}")


def _and_list(words: Sequence[str]) -> str:
    """An Indonesian enumeration: "A", "A dan B", "A, B, dan C"."""
    if len(words) < 3:
        return " dan ".join(words)
    return ", ".join(words[:-1]) + f", dan {words[-1]}"


def _numeric_distractors(key: int, traps: Iterable[int], n: int = 5) -> list[int]:
    """Wrong answers for a numeric item: the typical mistakes, then neighbours of the key; all positive."""
    near = (key + d for d in (1, -1, 2, -2, 3, 4, -3, 5, 6, -4))
    return _distinct(key, (t for t in traps if t > 0), (v for v in near if v > 0), n)


def _numeric_draft(stem: str, option: str, key: int, traps: Iterable[int], scenario: str) -> Draft:
    """A draft whose options are the key and the numeric distractors, each written with ``option`` (``{n}``)."""
    return Draft(stem, tuple(option.format(n=_num(v)) for v in (key, *_numeric_distractors(key, traps))), scenario)


def _one_of(names: Sequence[str], key: int, scenario: str, stem: str) -> Draft:
    """A draft whose options are ``names``, the one at ``key`` first."""
    return Draft(stem, (names[key], *(n for i, n in enumerate(names) if i != key)), scenario)


# --- computed items: Literasi Digital -----------------------------------------------------------------------------


def _sheet_function_item(rng: Rng, text: Text) -> Draft:
    col, last, func = _pick(rng, "BCDEF"), int(rng.integers(11, 61)), _pick(rng, tuple(text["functions"]))
    cells = f"{col}2:{col}{last}"
    distractors = [f"={w}({cells})" for w in text["functions"][func]["wrong"]]
    distractors.append(f"=SUM({cells})/{last}" if func == "AVERAGE" else f"={col}2+{col}{last}")
    goal = text["functions"][func]["goal"]
    stem = text["stem"].format(data=_pick(rng, text["data"]), first_cell=f"{col}2", last_cell=f"{col}{last}", goal=goal)
    return Draft(stem, (f"={func}({cells})", *distractors), f"sheet:{func}")


def _sheet_countif_item(rng: Rng, text: Text) -> Draft:
    col, last = _pick(rng, "CDEFG"), int(rng.integers(11, 81))
    status = _pick(rng, text["statuses"])
    cells, yes = f"{col}2:{col}{last}", status["yes"]
    stem = text["stem"].format(first_cell=f"{col}2", last_cell=f"{col}{last}", **status)
    distractors = (
        f"=COUNT({cells})",
        f"=COUNTA({cells})",
        f'=SUMIF({cells};"{yes}")',
        f'=SUM({cells};"{yes}")',
        f'=IF({cells}="{yes}";1;0)',
    )
    return Draft(stem, (f'=COUNTIF({cells};"{yes}")', *distractors), "sheet:COUNTIF")


def _sheet_absolute_item(rng: Rng, text: Text) -> Draft:
    col, row = _pick(rng, "BCDEFGH"), int(rng.integers(1, 4))
    formula_cell = f"{_pick(rng, 'CDEFGH')}{int(rng.integers(5, 10))}"
    stem = text["stem"].format(cell=f"{col}{row}", constant=_pick(rng, text["constants"]), formula_cell=formula_cell)
    distractors = (f"{col}{row}", f"{col}${row}", f"${col}{row}", f"#{col}#{row}", f"[{col}{row}]")
    return Draft(stem, (f"${col}${row}", *distractors), "sheet:absolute")


def _storage_item(rng: Rng, text: Text) -> Draft:
    medium, thing = _pick(rng, text["media"]), _pick(rng, text["things"])
    capacity, size = _pick(rng, (2, 4, 8, 16)), _pick(rng, (3, 6, 7, 12, 15, 24, 45))
    key = capacity * 1024 // size
    traps = (capacity * 1000 // size, key + 1, capacity * 1024 // (size * 10), capacity * 10240 // size)
    stem = text["stem"].format(medium=medium, capacity=capacity, thing=thing, size=size)
    return _numeric_draft(stem, text["option"], key, traps, "storage")


def _password_item(rng: Rng, text: Text) -> Draft:
    name, year = _pick(rng, text["names"]), int(rng.integers(1975, 2001))
    unit, account = _pick(rng, text["units"]), _pick(rng, text["accounts"])
    strong = "-".join(_sample(rng, text["passphrase_words"], 3)) + f"-{int(rng.integers(10, 100))}{_pick(rng, '!?#*')}"
    names = {"name": name, "year": year, "unit": unit, "name_lower": name.lower(), "unit_lower": unit.lower()}
    weak = [pattern.format(**names, year_2=str(year)[2:]) for pattern in text["weak"]]
    stem = text["stem"].format(name=name, unit=unit, year=year, account=account)
    return Draft(stem, (strong, *weak), "password")


# --- computed items: Emerging Skills, Berpikir Analitis -------------------------------------------------------------


def _series_draft(rng: Rng, text: Text, shown: Sequence[int], key: int, traps: Iterable[int], kind: str) -> Draft:
    stem = _pick(rng, text["stems"]).format(series=", ".join(_num(v) for v in shown))
    return _numeric_draft(stem, "{n}", key, traps, f"series:{kind}")


def _series_second_order(rng: Rng, text: Text) -> Draft:
    """Differences growing by a constant: 3, 5, 8, 12, 17, ..."""
    start, diff, step = int(rng.integers(2, 31)), int(rng.integers(1, 8)), int(rng.integers(1, 5))
    terms = [start]
    for i in range(6):
        terms.append(terms[-1] + diff + i * step)
    key = terms[-1]
    traps = (key - step, key + step, terms[-2] + (terms[-2] - terms[-3]) * 2)
    return _series_draft(rng, text, terms[:-1], key, traps, "second-order")


def _series_multiply_add(rng: Rng, text: Text) -> Draft:
    """Each term times m plus k: 2, 5, 11, 23, ...

    The series must rise: term 2 - term 1 = (m - 1) * start + k, so a start at the fixed point -k / (m - 1) repeats
    itself (3, 3, 3, ...) and one below it falls into negative numbers (2, 1, -1, -5, ...), which leave no positive
    distractors. Such a draw is drawn again; every rising draw is taken as it comes.
    """
    while True:
        factor, shift = _pick(rng, (2, 3)), _pick(rng, (-3, -2, -1, 1, 2, 3, 4))
        start = int(rng.integers(2, 7))
        if (factor - 1) * start + shift > 0:
            break
    terms = [start]
    for _ in range(5):
        terms.append(terms[-1] * factor + shift)
    key = terms[-1]
    traps = (terms[-2] * factor, key + factor, terms[-2] + (terms[-2] - terms[-3]), key - 2 * shift)
    return _series_draft(rng, text, terms[:-1], key, traps, "multiply-add")


def _series_interleaved(rng: Rng, text: Text) -> Draft:
    """Two interleaved arithmetic series, one rising and one falling: 4, 60, 7, 55, 10, 50, 13, ..."""
    up, up_step = int(rng.integers(1, 21)), int(rng.integers(2, 7))
    down, down_step = int(rng.integers(40, 91)), int(rng.integers(2, 8))
    terms = []
    for i in range(4):
        terms += [up + i * up_step, down - i * down_step]
    key = terms[-1]
    traps = (up + 4 * up_step, terms[-3], key - down_step, key + down_step)
    return _series_draft(rng, text, terms[:-1], key, traps, "interleaved")


def _series_squares(rng: Rng, text: Text) -> Draft:
    """Squares plus a constant: 5, 10, 17, 26, ..."""
    base, shift = int(rng.integers(1, 9)), int(rng.integers(-3, 6))
    terms = [(base + i) ** 2 + shift for i in range(6)]
    key = terms[-1]
    traps = (terms[-2] + (terms[-2] - terms[-3]), (base + 5) ** 2, key + 2, key - 2)
    return _series_draft(rng, text, terms[:-1], key, traps, "squares")


def _series_fibonacci(rng: Rng, text: Text) -> Draft:
    """Each term the sum of the two before: 2, 5, 7, 12, 19, ..."""
    first = int(rng.integers(1, 10))
    terms = [first, first + int(rng.integers(1, 10))]
    for _ in range(5):
        terms.append(terms[-1] + terms[-2])
    key = terms[-1]
    traps = (terms[-2] + (terms[-2] - terms[-3]), terms[-2] * 2, key + terms[0], key - 1)
    return _series_draft(rng, text, terms[:-1], key, traps, "fibonacci")


def _table_item(rng: Rng, text: Text) -> Draft:
    """Five districts, two periods: the key is the largest growth rate, which is not the largest absolute growth."""
    question = _pick(rng, ("rate", "fall"))
    while True:
        before = rng.integers(60, 401, size=5)
        after = np.rint(before * (1 + rng.uniform(-0.2, 0.45, size=5))).astype(int)
        change, rate = after - before, (after - before) / before
        if question == "rate":
            top = np.sort(rate)[::-1]
            if top[0] - top[1] >= 0.03 and int(np.argmax(rate)) != int(np.argmax(change)):
                key = int(np.argmax(rate))
                break
        else:
            low = np.sort(change)
            if low[0] < 0 and low[1] - low[0] >= 3 and int(np.argmin(change)) != int(np.argmin(rate)):
                key = int(np.argmin(change))
                break
    names = _sample(rng, text["districts"], 5)
    first, second = _pick(rng, text["periods"])
    rows = "; ".join(
        text["row"].format(district=n, before=_num(int(b)), after=_num(int(a)))
        for n, b, a in zip(names, before, after, strict=True)
    )
    topic = _pick(rng, text["topics"])
    stem = text["stem"].format(topic=topic, first=first, second=second, rows=rows, asked=text[f"asked_{question}"])
    return _one_of(names, key, f"table:{question}", stem)


def _sets_item(rng: Rng, text: Text) -> Draft:
    """Two overlapping groups (inclusion-exclusion); the traps forget the overlap or count another region."""
    first, second = _pick(rng, text["pairs"])
    while True:
        total, both = int(rng.integers(40, 121)), int(rng.integers(3, 16))
        a, b = both + int(rng.integers(5, 36)), both + int(rng.integers(5, 36))
        neither = total - (a + b - both)
        if neither >= 3:
            break
    only_one = a + b - 2 * both
    if rng.integers(2):
        asked, key, kind = text["asked_neither"], neither, "neither"
        traps = [total - a - b, neither + both, a + b - both, only_one, both]
    else:
        asked, key, kind = text["asked_only_one"], only_one, "only-one"
        traps = [a + b, a + b - both, neither, total - both, only_one + both]
    numbers = {"total": total, "a": a, "b": b, "both": both}
    stem = text["stem"].format(unit=_pick(rng, text["units"]), first=first, second=second, asked=asked, **numbers)
    return _numeric_draft(stem, text["option"], key, traps, f"sets:{kind}")


# Whether a clue (kind, x[, y or position]) holds for the positions ``pos`` of the names.
_CLUE_HOLDS: dict[str, Callable[[tuple[Any, ...], Mapping[str, int]], bool]] = {
    "before": lambda clue, pos: pos[clue[1]] < pos[clue[2]],
    "next": lambda clue, pos: pos[clue[2]] == pos[clue[1]] + 1,
    "apart": lambda clue, pos: abs(pos[clue[1]] - pos[clue[2]]) > 1,
    "notfirst": lambda clue, pos: pos[clue[1]] != 0,
    "notlast": lambda clue, pos: pos[clue[1]] != 4,
    "at": lambda clue, pos: pos[clue[1]] == clue[2],
}


def _settles(orders: Sequence[Mapping[str, int]], clues: Sequence[tuple[Any, ...]], asked: int) -> bool:
    """Whether every order that fits the clues puts the same name at position ``asked``."""
    fits = [o for o in orders if all(_CLUE_HOLDS[c[0]](c, o) for c in clues)]
    return len({next(n for n, i in o.items() if i == asked) for o in fits}) == 1


def _true_clues(names: Sequence[str], asked: int, rng: Rng) -> list[tuple[Any, ...]]:
    """Every clue true of the order ``names`` (but the position asked), in random order."""
    truth = {n: i for i, n in enumerate(names)}
    candidates: list[tuple[Any, ...]] = []
    for x, y in itertools.permutations(names, 2):
        candidates += [("before", x, y)] if truth[x] < truth[y] else []
        candidates += [("next", x, y)] if truth[y] == truth[x] + 1 else []
        candidates += [("apart", x, y)] if abs(truth[x] - truth[y]) > 1 and x < y else []
    for x in names:
        candidates += [("notfirst", x)] if truth[x] != 0 else []
        candidates += [("notlast", x)] if truth[x] != 4 else []
        candidates += [("at", x, truth[x])] if truth[x] != asked else []
    return [candidates[int(i)] for i in rng.permutation(len(candidates))]


def _ordering_item(rng: Rng, text: Text) -> Draft:
    """Five in a row and a few true clues, kept to a minimal set that still fixes who is at the asked position."""
    frame = _pick(rng, text["frames"])
    names = _sample(rng, frame["names"], 5)  # the true order
    orders = [dict(zip(p, range(5), strict=True)) for p in itertools.permutations(names)]
    while True:
        asked = int(rng.integers(5))
        clues: list[tuple[Any, ...]] = []
        for clue in _true_clues(names, asked, rng):
            if clue[0] == "at" and any(c[0] == "at" for c in clues):
                continue
            clues.append(clue)
            if _settles(orders, clues, asked):
                break
        for clue in list(clues):
            rest = [c for c in clues if c != clue]
            if rest and _settles(orders, rest, asked):
                clues = rest
        if len(clues) >= 3:
            break
    positions = frame["positions"]

    def say(clue: tuple[Any, ...]) -> str:
        if clue[0] == "at":
            return str(frame["at"].format(x=clue[1], pos=positions[clue[2]]))
        return str(frame[clue[0]].format(x=clue[1], y=clue[2] if len(clue) > 2 else ""))

    listed = sorted(names)
    said = [say(c) for c in clues]
    stem = text["stem"].format(
        intro=frame["intro"].format(names=_and_list(listed)),
        clues="; ".join(said[:-1]),
        last_clue=said[-1],
        question=frame["question"].format(pos=positions[asked]),
    )
    key = names[asked]
    return Draft(stem, (key, *(n for n in listed if n != key)), "ordering")


# --- computed items: Emerging Skills, Pemecahan Masalah -------------------------------------------------------------


def _rate_item(rng: Rng, text: Text) -> Draft:
    """Work = workers x hours x rate; the traps forget the change in workers or in work."""
    task = _pick(rng, text["tasks"])
    rate = int(rng.integers(4, 21))
    workers, hours = int(rng.integers(2, 7)), int(rng.integers(2, 7))
    workers2 = _pick(rng, [w for w in range(2, 9) if w != workers])
    hours2 = _pick(rng, [h for h in range(2, 10) if h != hours])
    work, work2 = rate * workers * hours, rate * workers2 * hours2
    key = Fraction(hours2)
    traps = [
        Fraction(hours * work2, work),
        Fraction(hours * workers, workers2),
        Fraction(hours * work2 * workers2, work * workers),
    ]
    near = (key + d for d in (1, -1, 2, 3, -2, 4) if key + d > 0)
    wrong = _distinct(key, (t for t in traps if _is_short_decimal(t)), near, 5)
    counts = {"workers": workers, "hours": hours, "workers2": workers2, "work": _num(work), "work2": _num(work2)}
    stem = text["stem"].format(**task, **counts)
    return Draft(stem, tuple(text["option"].format(n=_num(v)) for v in (key, *wrong)), "rate")


def _budget_item(rng: Rng, text: Text) -> Draft:
    """Two successive percentage cuts; the traps add the percentages or report the part spent."""
    while True:
        total = _pick(rng, (160, 200, 240, 320, 400, 480, 560, 640, 800))
        cut, spent = _pick(rng, (10, 20, 25, 30)), _pick(rng, (10, 20, 25, 40, 50))
        left = Fraction(total) * (100 - cut) / 100
        key = left * (100 - spent) / 100
        traps = [Fraction(total) * (100 - cut - spent) / 100, left * spent / 100, left, Fraction(total) * spent / 100]
        if _is_short_decimal(key) and all(_is_short_decimal(t) for t in traps):
            break
    wrong = _distinct(key, traps, (key + d for d in (10, -10, 20)), 4)
    budget = _pick(rng, text["budgets"])
    stem = text["stem"].format(budget=budget, total=total, cut=cut, spent=spent, use=_pick(rng, text["uses"]))
    return Draft(stem, tuple(text["option"].format(n=_num(v)) for v in (key, *wrong)), "budget")


def _average_item(rng: Rng, text: Text) -> Draft:
    """A new member moves the mean from m to m2: the new score is (n + 1) m2 - n m."""
    while True:
        n, mean = int(rng.integers(4, 13)), int(rng.integers(60, 86))
        mean2 = mean + int(rng.integers(1, 5))
        key = (n + 1) * mean2 - n * mean
        if key <= 100:
            break
    rise = mean2 - mean
    traps = (mean2 + rise, key - rise, key + rise, mean2, n * mean2 - (n - 1) * mean)
    stem = text["stem"].format(score=_pick(rng, text["scores"]), n=n, mean=mean, mean2=mean2)
    return _numeric_draft(stem, "{n}", key, traps, "average")


def _weekday_item(rng: Rng, text: Text) -> Draft:
    """Day of the week after n intervals of k days; the traps are off by one interval or one day."""
    days = text["days"]
    if len(days) != 7:
        raise ValueError("`days` must list the seven days of the week")
    every, start, count = _pick(rng, (3, 4, 5, 6, 8, 9, 10, 11, 12)), int(rng.integers(7)), int(rng.integers(2, 7))
    key = (start + every * count) % 7
    traps = [(start + every * (count - 1)) % 7, (start + every * (count + 1)) % 7, (start + every * count + 1) % 7]
    traps += [(start + (every + 1) * count) % 7, (key - 1) % 7, (key + 2) % 7]
    wrong = _distinct(key, traps, range(7), 5)
    stem = text["stem"].format(routine=_pick(rng, text["routines"]), every=every, day=days[start], count=count)
    return Draft(stem, tuple(days[d] for d in (key, *wrong)), "weekday")


def _bottleneck_item(rng: Rng, text: Text) -> Draft:
    """The stage with the least capacity per hour limits the flow, not the stage that takes longest per file."""
    while True:
        staff = rng.integers(1, 6, size=5)
        minutes = rng.integers(3, 41, size=5)
        capacity = 60 * staff / minutes
        order = np.sort(capacity)
        if order[1] - order[0] >= 1.0 and int(np.argmin(capacity)) != int(np.argmax(minutes)):
            break
    stages = text["stages"]
    rows = "; ".join(
        text["row"].format(stage=stage, staff=int(s), minutes=int(m))
        for stage, s, m in zip(stages, staff, minutes, strict=True)
    )
    stem = text["stem"].format(flow=_pick(rng, text["flows"]), rows=rows)
    return _one_of([s[0].upper() + s[1:] for s in stages], int(np.argmin(capacity)), "bottleneck", stem)


def _weighted_item(rng: Rng, text: Text) -> Draft:
    """Five bidders scored on three weighted criteria; the key wins on the weighted score but not on the plain sum."""
    weights = np.array(_pick(rng, text["weights"]))
    while True:
        scores = rng.integers(12, 20, size=(5, 3)) * 5  # 60, 65, ..., 95
        weighted, plain = scores @ weights, scores.sum(axis=1)
        top, top_plain = np.sort(weighted)[::-1], np.sort(plain)[::-1]
        key, plain_key = int(np.argmax(weighted)), int(np.argmax(plain))
        if top[0] - top[1] >= 100 and top_plain[0] > top_plain[1] and key != plain_key:
            break
    names = _sample(rng, text["vendors"], 5)
    rows = "; ".join(f"{n} {s[0]}/{s[1]}/{s[2]}" for n, s in zip(names, scores.tolist(), strict=True))
    pairs = zip(text["criteria"], weights.tolist(), strict=True)
    criteria = _and_list([text["criterion"].format(criterion=c, weight=w) for c, w in pairs])
    stem = text["stem"].format(tender=_pick(rng, text["tenders"]), criteria=criteria, rows=rows)
    return _one_of(names, key, "weighted", stem)


def _schedule_item(rng: Rng, text: Text) -> Draft:
    """The shortest completion time is the longest chain of prerequisites; the traps add everything up or take the
    shorter chain."""
    project = _pick(rng, text["projects"])
    names = [activity["name"] for activity in project["activities"]]
    needs = [[names.index(before) for before in activity["after"]] for activity in project["activities"]]
    while True:
        days = [int(d) for d in rng.integers(2, 10, size=5)]
        finish: list[int] = []
        for before, d in zip(needs, days, strict=True):
            finish.append(max((finish[j] for j in before), default=0) + d)
        key = finish[-1]
        chains = sorted({finish[j] for j in needs[-1]})
        if len(chains) >= 2 and chains[-1] - chains[0] >= 2:
            break
    traps = [sum(days), chains[0] + days[-1], key - days[-1], max(days) * 2]
    parts = []
    for name, before, d in zip(names, needs, days, strict=True):
        after = text["after"].format(activities=_and_list([names[j] for j in before])) if before else ""
        parts.append(text["activity"].format(name=name, days=d, after=after))
    stem = text["stem"].format(project=project["name"], activities="; ".join(parts))
    return _numeric_draft(stem, text["option"], key, traps, "schedule")


# The generators that each [text.NAME] table of an area file switches on and words.
_GENERATORS: dict[str, tuple[Generator, ...]] = {
    "sheet_function": (_sheet_function_item,),
    "sheet_countif": (_sheet_countif_item,),
    "sheet_absolute": (_sheet_absolute_item,),
    "storage": (_storage_item,),
    "password": (_password_item,),
    "series": (_series_second_order, _series_multiply_add, _series_interleaved, _series_squares, _series_fibonacci),
    "table": (_table_item,),
    "sets": (_sets_item,),
    "ordering": (_ordering_item,),
    "rate": (_rate_item,),
    "budget": (_budget_item,),
    "average": (_average_item,),
    "weekday": (_weekday_item,),
    "bottleneck": (_bottleneck_item,),
    "weighted": (_weighted_item,),
    "schedule": (_schedule_item,),
}


# --- the pools and the command line -----------------------------------------------------------------------------

POOL_SPECS = (
    PoolSpec(
        pool_id="manajerial-sosiokultural",
        prefix="MSK",
        seed=20260101,
        items_per_area=38,
        majority_model="GPCM",
        minority_model="GRM",
        minority_share=0.15,
        median_seconds=60.0,
    ),
    PoolSpec(
        pool_id="literasi-digital",
        prefix="LD",
        seed=20260102,
        items_per_area=360,
        majority_model="3PL",
        minority_model="3PL",
        minority_share=0.0,
        median_seconds=38.0,
        pool_version=DEEPER_POOL_VERSION,
        calibration_date=DEEPER_POOL_DATE,
    ),
    PoolSpec(
        pool_id="emerging-skills",
        prefix="ES",
        seed=20260103,
        items_per_area=360,
        majority_model="3PL",
        minority_model="2PL",
        minority_share=0.40,
        median_seconds=45.0,
        pool_version=DEEPER_POOL_VERSION,
        calibration_date=DEEPER_POOL_DATE,
    ),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the synthetic demo item pools (deterministic).")
    parser.add_argument(
        "out_dir", nargs="?", type=Path, default=DEFAULT_OUT_DIR, help="output directory (default: item_pools/)"
    )
    parser.add_argument(
        "--content", type=Path, default=CONTENT_DIR, help="folder of the pools' text (default: item_pools/content/)"
    )
    parser.add_argument(
        "--add-times",
        action="store_true",
        help="only add the synthetic response-time parameters to the pool files already in OUT_DIR, in place",
    )
    args = parser.parse_args(argv)
    if args.add_times:
        for spec in POOL_SPECS:
            add_times(args.out_dir / spec.filename, spec)
            print(args.out_dir / spec.filename)
        return 0
    try:
        paths = write_pools(args.out_dir, args.content)
    except ContentError as exc:
        parser.exit(1, f"error: {exc}\n")
    for path in paths:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
