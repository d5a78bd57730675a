"""Generate the three synthetic demo item pools of the CACT demo battery (``item_pools/cact_demo.toml``).

Run ``python item_pools/generate_demo_pools.py [OUT_DIR]`` (default: the directory of this script) to rewrite

* ``manajerial_sosiokultural.json`` - 342 graded situational-judgement items, 38 per competency: GPCM with five
  options weighted 1-5, and about 15 % GRM with four options weighted 1-4;
* ``literasi_digital.json`` - 480 one-key multiple-choice items (3PL, five options), 120 per pillar;
* ``emerging_skills.json`` - 600 one-key multiple-choice items, 150 per area: 40 % 2PL with four options and
  60 % 3PL with five.

The multiple-choice pools are this large because Sympson-Hetter exposure control (maximum exposure 0.25) must not
lengthen tests by more than 15 %: with 80 items per area it lengthened them by about 20 %. Emerging-skills tests
are the shortest (about 12 items without exposure control), so they need the largest pool. Each area can draft
more than it needs: an area made of templates alone has at least 150 scenarios, and an area with computed items
also has at least 80 template scenarios plus generators that make any number of distinct items.

The files follow ``docs/pool-format.md``. Only numpy and the standard library are used and every random draw
comes from the fixed seeds in :data:`POOL_SPECS`, so the output is byte-identical on every run (and on every
``PYTHONHASHSEED``); ``tests/test_generate_demo_pools.py`` checks that the committed files match.

How the text is made
--------------------
Items come from :class:`Template` objects, stems with combinatorial slots (scenario x context x actor x detail),
and from small generators that compute their own answer (number series, data tables, set counts, ordering puzzles,
spreadsheet formulas, weighted scoring, project schedules, word problems). Options are listed best first
(situational judgement, weights 5..1 or 4..1) or keyed first (multiple choice); the generator shuffles the display
order and records the weights or the key.

Every item has a *scenario*: its template plus the values of the template's core slots (all slots but the last,
unless the template says otherwise). Items outside enemy pairs never share a scenario. An enemy pair is two items
of the same content area with the same scenario that differ only in a cosmetic slot (the detail); each lists the
other in ``enemies``. About 4 % of the items of each pool are in such pairs.

The IRT parameters are SYNTHETIC, drawn as below and rounded to 3 decimals, not calibrated on real examinees:

* GPCM: a ~ lognormal(log 1.0, 0.25) clipped to [0.5, 2.0]; location ~ N(0, 0.9) clipped to [-2.5, 2.5];
  steps = location + [-1.5, -0.5, 0.5, 1.5] + N(0, 0.25) noise (they may be slightly disordered, as GPCM allows).
* GRM: a as for GPCM; thresholds = location + [-1.2, 0, 1.2] + N(0, 0.15) noise, then pushed apart to be strictly
  increasing with a gap of at least 0.2.
* 2PL/3PL: a ~ lognormal(log 1.5, 0.25) clipped to [0.7, 2.8]; b ~ N(0, 1.1) clipped to [-3, 3];
  c ~ Beta(4, 16) clipped to [0.05, 0.35] (3PL only).

``exposure_k`` is not written: ``cat-exposure`` fills it in after a simulation study.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import numpy as np

__all__ = [
    "DEFAULT_OUT_DIR",
    "POOL_SPECS",
    "PoolSpec",
    "Template",
    "build_pool",
    "build_pools",
    "main",
    "render_pool",
    "write_pools",
]

DEFAULT_OUT_DIR = Path(__file__).resolve().parent
GENERATOR_PATH = "item_pools/generate_demo_pools.py"
POOL_VERSION = "2026.1-synthetic"
CALIBRATION_DATE = "2026-11-28"
ENEMY_SHARE = 0.04  # share of the items of a pool that are in enemy pairs

Rng = np.random.Generator
SlotValue = str | Mapping[str, str]


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


def tpl(stem: str, options: Sequence[str], core: int = -1, **slots: Sequence[SlotValue]) -> Template:
    """Build a :class:`Template`; slots are keyword arguments, in order."""
    return Template(stem, tuple(options), {name: tuple(values) for name, values in slots.items()}, core)


def mc(key: str, *distractors: str, **parts: str) -> dict[str, str]:
    """A slot value that carries its own key and distractors, used as ``{slot[key]}``, ``{slot[d1]}``, ..."""
    return {**parts, "key": key} | {f"d{i + 1}": d for i, d in enumerate(distractors)}


def mc_options(slot: str, n_distractors: int) -> tuple[str, ...]:
    """The option placeholders of a slot built with :func:`mc`: key first."""
    return (f"{{{slot}[key]}}", *(f"{{{slot}[d{i + 1}]}}" for i in range(n_distractors)))


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


class ComputedSource:
    """Draws items from a function that writes a stem and computes its answer; it never makes enemy pairs."""

    can_pair = False

    def __init__(self, make: Callable[[Rng], Draft]) -> None:
        self.make = make

    def draw(self, rng: Rng) -> Draft | None:
        return self.make(rng)

    def draw_pair(self, rng: Rng) -> tuple[Draft, Draft] | None:
        return None


def _template_sources(
    templates: Sequence[Template], prefix: str, rng: Rng, extras: Mapping[str, Sequence[str]] | None = None
) -> list[Source]:
    return [TemplateSource(t, f"{prefix}{i + 1}", rng, extras or {}) for i, t in enumerate(templates)]


# --- drafting a content area ------------------------------------------------------------------------------------


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
    b = _r(np.clip(rng.normal(0.0, 1.1), -3.0, 3.0))
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
    """What one pool file holds: identity, areas, how its items are drafted and which models they get."""

    pool_id: str
    name: str
    filename: str
    prefix: str
    seed: int
    areas: tuple[str, ...]
    items_per_area: int
    make_sources: Callable[[Rng], Mapping[str, Sequence[Source]]]
    minority_model: str  # the less common model of the pool ...
    minority_share: float  # ... and its share of the items (0 for a single-model pool)
    majority_model: str


def _assign_models(spec: PoolSpec, n_items: int, rng: Rng) -> list[str]:
    models = [spec.majority_model] * n_items
    for i in rng.choice(n_items, size=round(spec.minority_share * n_items), replace=False):
        models[int(i)] = spec.minority_model
    return models


def _calibration(seed: int) -> dict[str, Any]:
    note = (
        f"PARAMETER SINTETIS: dibangkitkan oleh {GENERATOR_PATH} dengan seed {seed}, tidak dikalibrasi dengan "
        "data peserta ujian yang sebenarnya; hanya untuk demonstrasi dan pengujian. "
        f"SYNTHETIC parameters: generated by {GENERATOR_PATH} with seed {seed}, not calibrated on real "
        "examinees; for demonstration and testing only."
    )
    return {"note": note, "date": CALIBRATION_DATE, "method": "synthetic random draw (numpy)", "synthetic": True}


def build_pool(spec: PoolSpec) -> dict[str, Any]:
    """Build one pool as a dict in the format of ``docs/pool-format.md``."""
    content_rng, model_rng, param_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(spec.seed).spawn(3))
    sources = spec.make_sources(content_rng)
    n_items = spec.items_per_area * len(spec.areas)
    pairs = _spread(round(ENEMY_SHARE * n_items / 2), len(spec.areas), content_rng)
    used_stems: set[str] = set()
    placed: list[tuple[str, Draft, int]] = []  # (area, draft, group number)
    for area, n_pairs in zip(spec.areas, pairs, strict=True):
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
    return {
        "format_version": 1,
        "pool_id": spec.pool_id,
        "pool_version": POOL_VERSION,
        "name": spec.name,
        "calibration": _calibration(spec.seed),
        "theta_scale": {"mean": 0.0, "sd": 1.0, "D": 1.0},
        "content_areas": list(spec.areas),
        "items": items,
    }


def render_pool(pool: Mapping[str, Any]) -> bytes:
    """The stable serialisation of a pool: UTF-8 JSON, one-space indent, trailing newline."""
    return (json.dumps(pool, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def build_pools() -> dict[str, dict[str, Any]]:
    """All demo pools, by file name."""
    return {spec.filename: build_pool(spec) for spec in POOL_SPECS}


def write_pools(out_dir: str | Path = DEFAULT_OUT_DIR) -> list[Path]:
    """Write every demo pool into ``out_dir`` (created if needed) and return the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for filename, pool in build_pools().items():
        path = out / filename
        path.write_bytes(render_pool(pool))
        paths.append(path)
    return paths


# --- small helpers for computed items ---------------------------------------------------------------------------


def _pick(rng: Rng, values: Sequence[Any]) -> Any:
    return values[int(rng.integers(len(values)))]


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


# === Manajerial & Sosial Kultural: situational judgement, options best (weight 5) to worst (weight 1) ==========

MSK_AREAS = (
    "Integritas",
    "Kerja Sama",
    "Komunikasi",
    "Orientasi pada Hasil",
    "Pelayanan Publik",
    "Pengembangan Diri dan Orang Lain",
    "Mengelola Perubahan",
    "Pengambilan Keputusan",
    "Perekat Bangsa",
)

_TANYA = (
    "Apa yang Anda lakukan?",
    "Apa yang sebaiknya Anda lakukan?",
    "Tindakan apa yang paling tepat?",
    "Bagaimana Anda menyikapinya?",
)

_UNITS = (
    "Dinas Kependudukan dan Pencatatan Sipil",
    "Badan Pendapatan Daerah",
    "Dinas Kesehatan",
    "Dinas Pendidikan",
    "Dinas Sosial",
    "Badan Kepegawaian dan Pengembangan SDM",
    "Dinas Penanaman Modal dan PTSP",
    "Dinas Perhubungan",
    "Badan Perencanaan Pembangunan Daerah",
    "Dinas Komunikasi dan Informatika",
)

_INTEGRITAS = (
    tpl(
        'Rekan satu tim Anda di {unit} menyerahkan amplop dari {pemberi} sebagai "uang terima kasih" {alasan}. '
        "Menurutnya, semua anggota tim mendapat bagian yang sama. {tanya}",
        (
            "Menolak amplop itu, mengingatkan rekan bahwa pemberian tersebut termasuk gratifikasi, dan melaporkan "
            "kejadiannya kepada Unit Pengendalian Gratifikasi",
            "Menolak amplop itu dengan sopan dan meminta rekan mengembalikan seluruh uangnya kepada pemberi",
            "Menolak bagian Anda sendiri, tetapi menyerahkan kepada rekan-rekan apakah mereka mau menerimanya",
            "Mengusulkan agar uang itu dimasukkan ke kas tim untuk membiayai kegiatan bersama",
            "Menerimanya karena pekerjaan sudah selesai dan pemberian itu tidak memengaruhi keputusan apa pun",
        ),
        unit=("Bagian Pengadaan Barang/Jasa", "Bidang Sarana dan Prasarana", "Bagian Umum", "Bidang Aplikasi"),
        pemberi=(
            "rekanan penyedia komputer",
            "kontraktor renovasi gedung kantor",
            "penyedia jasa katering rapat",
            "vendor aplikasi layanan daring",
        ),
        alasan=(
            "karena pembayaran proyeknya cair tepat waktu",
            "setelah hasil pekerjaannya diterima tanpa catatan",
            "menjelang hari raya",
            "karena berkas kontraknya selesai diproses lebih cepat",
        ),
    ),
    tpl(
        "Menjelang akhir tahun anggaran, atasan Anda di {unit} meminta Anda menyusun laporan perjalanan dinas "
        "{kegiatan} dengan {manipulasi}. Ia beralasan {alasan}. {tanya}",
        (
            "Menolak dengan sopan, menjelaskan risiko hukumnya, dan menyusun laporan sesuai kegiatan yang benar-benar "
            "dilaksanakan",
            "Menyusun laporan sesuai fakta dan menyerahkannya kepada atasan tanpa mengomentari permintaannya",
            "Menyampaikan keberatan kepada rekan kerja sambil menunggu apakah atasan akan menanyakannya lagi",
            "Meminta atasan memberikan perintah itu secara tertulis, lalu mengerjakannya",
            "Mengerjakannya karena itu perintah atasan dan demi kepentingan unit",
        ),
        unit=_UNITS,
        kegiatan=("ke ibu kota provinsi", "untuk pemantauan ke kecamatan", "untuk studi banding ke daerah lain"),
        manipulasi=(
            "jumlah hari yang lebih banyak dari kenyataan",
            "nama pegawai yang sebenarnya tidak ikut berangkat",
            "kuitansi hotel yang nilainya dinaikkan",
        ),
        alasan=(
            "agar serapan anggaran mencapai target",
            "bahwa hal itu sudah biasa dilakukan pada tahun-tahun sebelumnya",
            "supaya anggaran unit tidak dipotong tahun depan",
        ),
    ),
    tpl(
        "Anda ditunjuk sebagai anggota tim {proses[tim]} di {unit}. Saat membaca daftar {proses[daftar]}, Anda "
        "mendapati bahwa salah satu nama adalah {kerabat} Anda. {detail} {tanya}",
        (
            "Menyatakan adanya konflik kepentingan secara tertulis kepada ketua tim dan tidak ikut menilai berkas "
            "kerabat tersebut",
            "Memberi tahu ketua tim tentang hubungan tersebut dan meminta arahan sebelum melanjutkan penilaian",
            "Tetap menilai dengan niat seobjektif mungkin tanpa memberi tahu siapa pun tentang hubungan itu",
            "Memberikan nilai yang sedikit lebih rendah kepada kerabat tersebut agar tidak dicurigai",
            "Menilai seperti biasa sambil membantu kerabat tersebut melengkapi kekurangan berkasnya",
        ),
        proses=(
            {"tim": "penilai seleksi tenaga pendukung", "daftar": "pelamar yang lolos seleksi administrasi"},
            {"tim": "pemilihan penyedia jasa kebersihan", "daftar": "pemilik perusahaan peserta tender"},
            {"tim": "verifikasi proposal bantuan hibah", "daftar": "ketua lembaga pengusul"},
            {"tim": "seleksi penerima beasiswa daerah", "daftar": "calon penerima beasiswa"},
        ),
        unit=_UNITS[:6],
        kerabat=("adik ipar", "sepupu", "keponakan", "paman"),
        detail=(
            "Belum ada anggota tim lain yang mengetahui hubungan tersebut.",
            "Ketua tim sedang dinas luar selama seminggu.",
            "Penilaian harus selesai dalam dua hari.",
        ),
        core=2,
    ),
    tpl(
        "{rekan} di {unit} sering memakai {aset[aset]} untuk {aset[untuk]}. {detail} Bagaimana sikap Anda?",
        (
            "Mengingatkannya secara langsung dan santun bahwa aset kantor hanya untuk kepentingan dinas, lalu "
            "melapor kepada atasan bila kebiasaan itu berlanjut",
            "Melaporkan kebiasaan tersebut kepada atasan langsung agar ditindaklanjuti sesuai aturan",
            "Memastikan Anda sendiri tidak ikut memakai aset kantor untuk keperluan pribadi, tanpa menegurnya",
            "Membicarakan kebiasaannya dengan rekan-rekan lain tanpa menyampaikannya langsung kepadanya",
            "Membiarkannya karena pemakaian sesekali dianggap wajar dan tidak merugikan Anda",
        ),
        rekan=("Seorang rekan senior", "Rekan satu ruangan Anda", "Seorang pejabat pengawas"),
        unit=_UNITS[:5],
        aset=(
            {"aset": "kendaraan dinas", "untuk": "mengantar keluarganya berbelanja pada akhir pekan"},
            {"aset": "printer dan kertas kantor", "untuk": "mencetak brosur usaha sampingannya"},
            {"aset": "laptop inventaris kantor", "untuk": "mengerjakan pesanan desain dari klien pribadinya"},
            {"aset": "ruang rapat kantor", "untuk": "pertemuan arisan keluarganya"},
        ),
        detail=(
            "Pegawai lain mulai menirunya.",
            "Ia mengatakan bahwa atasan tidak pernah mempersoalkannya.",
            "Anda pernah diajak ikut memanfaatkannya.",
        ),
    ),
    tpl(
        "Menjelang {pemilu}, {pihak} meminta Anda {permintaan}. {detail} {tanya}",
        (
            "Menolak dengan santun, menjelaskan kewajiban ASN untuk bersikap netral dan melayani semua warga secara "
            "adil, serta mengingatkannya tentang aturan yang berlaku",
            "Menolak permintaan itu tanpa memberikan penjelasan panjang",
            "Menghindari pertemuan dengannya sampai pemilihan selesai",
            "Menyarankannya meminta bantuan orang lain yang bukan ASN",
            "Memenuhi permintaan itu asalkan dilakukan di luar jam kerja",
        ),
        pemilu=("pemilihan kepala daerah", "pemilihan umum legislatif", "pemilihan kepala desa"),
        pihak=(
            "seorang kerabat yang menjadi tim sukses salah satu calon",
            "rekan kantor yang aktif mendukung salah satu calon",
            "seorang tokoh masyarakat yang mendukung salah satu calon",
        ),
        permintaan=(
            "ikut membagikan materi kampanye di grup percakapan warga",
            "mendahulukan pelayanan bagi pendukung calon tersebut",
            "mengunggah foto bersama calon itu di akun media sosial Anda",
        ),
        detail=(
            "Ia menjanjikan jabatan bila calonnya menang.",
            "Ia mengatakan tidak akan ada yang tahu.",
            "Permintaan itu disampaikan di depan beberapa rekan Anda.",
        ),
    ),
)

_KERJA_SAMA = (
    tpl(
        "Anda memimpin tim kecil di {unit} yang sedang menyiapkan {tugas}. Salah satu anggota tim, {anggota}, "
        "{masalah}. {detail} {tanya}",
        (
            "Mengajaknya berbicara empat mata untuk memahami kendalanya, lalu bersama-sama menyepakati pembagian "
            "ulang tugas dan tenggat yang realistis",
            "Mengingatkannya tentang tenggat dan menawarkan bantuan anggota lain untuk bagian yang paling mendesak",
            "Membagikan bagiannya kepada anggota lain agar pekerjaan tim tetap selesai",
            "Menyelesaikan sendiri bagiannya diam-diam supaya tidak ada keributan dalam tim",
            "Melaporkan kepada atasan bahwa keterlambatan tim disebabkan oleh anggota tersebut",
        ),
        unit=_UNITS[:5],
        tugas=(
            "laporan kinerja tahunan",
            "bahan paparan untuk kunjungan kementerian",
            "pembaruan standar pelayanan",
            "dokumen usulan anggaran",
        ),
        masalah=(
            "belum menyelesaikan bagiannya padahal tenggat tinggal tiga hari",
            "jarang hadir dalam rapat koordinasi tim",
        ),
        anggota=("seorang pegawai senior", "seorang pegawai yang baru dimutasi", "rekan yang juga sahabat Anda"),
        detail=("Anggota lain mulai mengeluh.", "Atasan menanyakan perkembangan pekerjaan tim."),
        core=3,
    ),
    tpl(
        "{peminta} meminta bantuan Anda untuk {bantuan} hari ini juga. Padahal Anda sendiri sedang mengerjakan "
        "{pekerjaan} yang harus selesai {kapan}. {tanya}",
        (
            "Menanyakan kebutuhan dan tenggatnya, lalu menyepakati waktu dan bentuk bantuan yang dapat diberikan "
            "tanpa mengorbankan pekerjaan Anda",
            "Memberikan bantuan singkat sekarang, misalnya contoh atau petunjuk, dan menjanjikan bantuan lengkap "
            "setelah pekerjaan Anda selesai",
            "Menyarankannya meminta bantuan kepada rekan lain yang sedang tidak terlalu sibuk",
            "Menunda pekerjaan Anda sendiri dan membantu sepenuhnya meskipun pekerjaan Anda berisiko terlambat",
            "Menolak karena permintaan itu bukan bagian dari tugas Anda",
        ),
        peminta=("Seorang rekan dari bidang lain", "Kepala seksi dari unit tetangga", "Rekan yang baru dimutasi"),
        bantuan=(
            "menyiapkan data rekapitulasi yang dibutuhkan untuk rapat pimpinan",
            "mengajarinya cara menggunakan aplikasi pelaporan yang baru",
            "memeriksa kelengkapan berkas usulan kegiatan",
        ),
        pekerjaan=("laporan bulanan", "rekap kehadiran pegawai", "tanggapan atas surat pengaduan warga"),
        kapan=("besok pagi", "sore ini", "lusa"),
    ),
    tpl(
        "Dalam rapat tim di {unit} yang membahas {topik}, usulan Anda {respon}. {detail} {tanya}",
        (
            "Mendengarkan alasan keberatan mereka, menjelaskan kembali data pendukung usulan Anda, dan tetap "
            "mendukung sepenuhnya keputusan yang disepakati tim",
            "Menerima keputusan tim dan menawarkan diri membantu pelaksanaan usulan yang dipilih",
            "Menerima keputusan tim, tetapi memilih tidak lagi menyampaikan usulan pada rapat berikutnya",
            "Meminta atasan meninjau ulang keputusan tim tanpa membicarakannya dulu dengan anggota lain",
            "Menjalankan bagian tugas Anda sesuai usulan Anda sendiri karena yakin hasilnya lebih baik",
        ),
        unit=_UNITS,
        topik=(
            "pembagian jadwal piket pelayanan",
            "rencana sosialisasi program ke desa-desa",
            "penyederhanaan alur persetujuan surat",
            "pemilihan aplikasi rapat daring",
        ),
        respon=("ditolak oleh sebagian besar anggota", "dikritik keras oleh seorang rekan senior"),
        detail=(
            "Anda yakin usulan tersebut lebih efisien.",
            "Tim akhirnya memutuskan memakai usulan lain.",
            "Setelah rapat, beberapa rekan diam-diam mengaku mendukung usulan Anda.",
        ),
    ),
    tpl(
        "Unit Anda di {unit} bekerja sama dengan {mitra} dalam {program}. {masalah} {detail} {tanya}",
        (
            "Mengajak mitra bertemu untuk menyepakati cara kerja bersama, termasuk format, jadwal, dan saluran "
            "komunikasi, serta memastikan kontribusi setiap pihak tercatat",
            "Menghubungi penanggung jawab dari pihak mitra untuk membahas masalah itu dan mencari jalan keluar",
            "Menyesuaikan cara kerja unit Anda sendiri tanpa melibatkan mitra agar program tetap berjalan",
            "Melaporkan masalah itu kepada atasan dan menunggu arahan tanpa menghubungi mitra",
            "Mengurangi keterlibatan mitra dan mengerjakan program sebisanya dengan tim unit Anda sendiri",
        ),
        unit=_UNITS[2:7],
        mitra=(
            "puskesmas setempat",
            "pemerintah desa",
            "sebuah organisasi kemasyarakatan",
            "dinas dari kabupaten tetangga",
        ),
        program=("pendataan warga miskin", "kampanye pencegahan stunting", "penanganan banjir musiman"),
        masalah=(
            "Data yang dikirim mitra sering terlambat dan formatnya berbeda-beda.",
            "Dalam laporan kepada pimpinan, kontribusi mitra tidak disebutkan sama sekali.",
            "Mitra mengeluh bahwa unit Anda jarang membalas pesan koordinasi.",
        ),
        detail=(
            "Hasil program itu harus dilaporkan kepada bupati bulan depan.",
            "Ini pertama kalinya unit Anda bekerja sama dengan mitra tersebut.",
            "Kerja sama itu sudah berjalan dua tahun.",
        ),
    ),
)

_KOMUNIKASI = (
    tpl(
        "Anda diminta menjelaskan {aturan} kepada {audiens} di {tempat}. Sebagian besar peserta {kondisi}. {tanya}",
        (
            "Menyampaikan inti aturan dengan bahasa sederhana dan contoh sehari-hari, membagikan ringkasan tertulis, "
            "lalu membuka sesi tanya jawab",
            "Membacakan poin-poin penting aturan dan memberikan kesempatan bertanya di akhir acara",
            "Menjelaskan pasal demi pasal sesuai bunyi aturan agar tidak ada yang keliru",
            "Membagikan salinan aturan lengkap dan meminta peserta mempelajarinya sendiri di rumah",
            "Menyerahkan penjelasan kepada perangkat desa karena mereka lebih dekat dengan warga",
        ),
        aturan=(
            "perubahan syarat pengajuan bantuan sosial",
            "prosedur baru pembuatan KTP elektronik",
            "aturan baru pajak bumi dan bangunan",
            "tata cara pendaftaran sekolah secara daring",
        ),
        audiens=("warga", "para ketua RT dan RW", "kelompok tani", "perwakilan orang tua murid"),
        tempat=("balai desa", "aula kecamatan", "kantor kelurahan"),
        kondisi=(
            "kurang terbiasa dengan istilah hukum",
            "lebih nyaman berbahasa daerah",
            "datang dengan banyak keluhan tentang aturan lama",
        ),
    ),
    tpl(
        "Atasan Anda memberikan instruksi singkat melalui pesan untuk {tugas}, tetapi {ketidakjelasan}. {detail} "
        "{tanya}",
        (
            "Mengirim pesan singkat yang merangkum pemahaman Anda dan menanyakan hal yang belum jelas, sambil mulai "
            "menyiapkan bagian yang sudah pasti",
            "Menunggu kesempatan bertemu atasan untuk menanyakannya langsung sebelum mulai bekerja",
            "Bertanya kepada rekan yang pernah mengerjakan tugas serupa, lalu mengikuti sarannya",
            "Mengerjakannya sesuai tafsiran Anda sendiri tanpa konfirmasi",
            "Menunda pekerjaan sampai atasan memberikan instruksi yang lebih lengkap",
        ),
        tugas=(
            "menyiapkan bahan rapat koordinasi",
            "menyusun surat undangan sosialisasi",
            "mengumpulkan data capaian program",
            "membuat telaahan staf",
        ),
        ketidakjelasan=(
            "tidak menyebutkan tenggat waktunya",
            "isinya dapat ditafsirkan dengan dua cara yang berbeda",
            "formatnya berbeda dengan permintaan sebelumnya",
        ),
        detail=(
            "Atasan sedang mengikuti rapat sampai sore.",
            "Rekan Anda menafsirkan instruksi itu secara berbeda.",
            "Atasan dikenal tidak suka ditanya berulang kali.",
        ),
    ),
    tpl(
        "Sebuah unggahan di media sosial menyebutkan bahwa {kantor} {tuduhan}. Unggahan itu {sebaran}, dan Anda "
        "ditugasi menanggapinya. {tanya}",
        (
            "Memeriksa fakta kejadiannya terlebih dahulu, lalu menyampaikan tanggapan resmi yang sopan dan jelas, "
            "termasuk langkah perbaikan bila keluhan itu benar",
            "Segera menyampaikan tanggapan resmi bahwa keluhan sedang ditelusuri dan mengajak pengunggah "
            "menghubungi kanal pengaduan",
            "Menghubungi pengunggah melalui pesan pribadi dan memintanya menghapus unggahan tersebut",
            "Tidak menanggapi agar masalah tidak berkepanjangan dan menunggu isunya mereda",
            "Membalas unggahan itu dengan membantah semua tuduhan sebelum memeriksa faktanya",
        ),
        kantor=(
            "kantor kecamatan tempat Anda bekerja",
            "puskesmas di wilayah Anda",
            "unit layanan perizinan tempat Anda bertugas",
            "kantor Disdukcapil tempat Anda bertugas",
        ),
        tuduhan=(
            "memungut biaya tambahan untuk layanan yang seharusnya gratis",
            "menolak melayani seorang warga lanjut usia",
            "membiarkan antrean menumpuk sejak pagi",
        ),
        sebaran=(
            "sudah dibagikan ribuan kali",
            "mulai diberitakan oleh media daring lokal",
            "dipenuhi komentar kasar terhadap petugas",
        ),
    ),
    tpl(
        "Seorang {warga} datang ke {layanan[tempat]} untuk {layanan[perlu]}, tetapi berkasnya belum dapat diproses "
        "karena {alasan}. Ia sudah {detail}. Bagaimana Anda menyampaikannya?",
        (
            "Menjelaskan dengan ramah alasan berkas belum dapat diproses, memberikan daftar tertulis kekurangannya, "
            "dan menawarkan cara melengkapinya tanpa harus mengantre ulang",
            "Menjelaskan kekurangan berkasnya dengan sopan dan memintanya kembali setelah berkas lengkap",
            "Menyampaikan bahwa berkasnya kurang dan menyarankannya bertanya kepada petugas informasi",
            "Menerima berkasnya terlebih dahulu tanpa menjelaskan kekurangannya agar ia tidak kecewa",
            "Mengembalikan berkasnya sambil menunjuk papan persyaratan yang terpasang di dinding",
        ),
        warga=("warga lanjut usia", "pedagang kecil", "ibu yang membawa anak balita", "warga dari desa terpencil"),
        layanan=(
            {"tempat": "loket pelayanan kecamatan", "perlu": "mengurus surat keterangan ahli waris"},
            {"tempat": "kantor Disdukcapil", "perlu": "memperbarui kartu keluarga"},
            {"tempat": "loket perizinan", "perlu": "mengajukan izin usaha mikro"},
        ),
        alasan=(
            "salah satu dokumen wajib belum dilampirkan",
            "data pada dokumennya tidak sesuai dengan data kependudukan",
        ),
        detail=("mengantre sejak pagi", "datang untuk kedua kalinya", "menempuh perjalanan jauh"),
    ),
)

_ORIENTASI_HASIL = (
    tpl(
        "Hingga {waktu}, capaian {target} di unit Anda baru {persen} persen dari target tahunan. {detail} {tanya}",
        (
            "Menganalisis penyebab ketertinggalan, menetapkan target bulanan yang terukur bersama tim, dan "
            "memantau kemajuannya setiap minggu",
            "Menambah jam layanan dan mengerahkan tim untuk mengejar target secepat mungkin",
            "Mengusulkan kepada atasan agar target tahunan direvisi sesuai kondisi lapangan",
            "Melanjutkan cara kerja yang sama sambil berharap capaian meningkat di akhir tahun",
            "Melaporkan capaian dengan angka perkiraan yang lebih tinggi agar unit tidak mendapat teguran",
        ),
        waktu=("akhir triwulan ketiga", "awal November", "akhir September"),
        target=(
            "perekaman KTP elektronik",
            "realisasi penerimaan pajak daerah",
            "cakupan imunisasi dasar lengkap",
            "penyaluran bantuan alat pertanian",
        ),
        persen=("48", "55", "61"),
        detail=(
            "Atasan meminta Anda menyusun rencana percepatan.",
            "Sebagian anggota tim menganggap target itu memang tidak realistis.",
            "Anggaran kegiatan tidak dapat ditambah.",
        ),
        core=2,
    ),
    tpl(
        "Anda memperhatikan bahwa {proses} di {unit} {masalah}. {detail} {tanya}",
        (
            "Mengumpulkan data tentang titik-titik yang memperlambat proses, menyusun usulan perbaikan yang konkret, "
            "dan mengajukannya kepada atasan untuk diuji coba",
            "Menyampaikan temuan itu kepada atasan dalam rapat rutin disertai beberapa contoh kasus",
            "Memperbaiki cara kerja Anda sendiri tanpa mengusulkan perubahan bagi unit",
            "Membicarakan masalah itu dengan rekan-rekan tanpa menindaklanjutinya",
            "Membiarkannya karena selama ini pekerjaan tetap selesai",
        ),
        proses=(
            "proses verifikasi berkas",
            "penyusunan laporan bulanan",
            "pengarsipan surat masuk",
            "penjadwalan layanan",
        ),
        unit=_UNITS,
        masalah=(
            "memakan waktu hampir dua kali lipat dari standar",
            "sering menghasilkan kesalahan data yang harus diperbaiki ulang",
        ),
        detail=(
            "Belum ada yang pernah mengeluhkannya secara resmi.",
            "Tugas itu sebenarnya bukan tanggung jawab utama Anda.",
            "Rekan-rekan sudah terbiasa dengan cara kerja tersebut.",
        ),
        core=3,
    ),
    tpl(
        "Anda harus menyerahkan {dokumen} kepada {penerima} {tenggat}. Saat pemeriksaan akhir, Anda menemukan "
        "{masalah}. {tanya}",
        (
            "Segera memperbaiki bagian yang paling penting, memberi tahu penerima tentang kondisi dokumen, dan "
            "menyepakati waktu penyerahan versi final bila perlu",
            "Lembur untuk memperbaiki semua kekurangan sebelum tenggat tanpa memberi tahu siapa pun",
            "Meminta perpanjangan waktu kepada penerima tanpa menjelaskan alasannya secara rinci",
            "Menyerahkan dokumen tepat waktu dan berencana memperbaikinya nanti jika ada yang bertanya",
            "Menyerahkan dokumen apa adanya karena ketepatan waktu lebih penting daripada ketepatan isi",
        ),
        dokumen=(
            "laporan evaluasi program",
            "rekapitulasi data penerima bantuan",
            "rancangan rencana kerja tahunan",
            "bahan paparan pimpinan",
        ),
        penerima=("atasan", "inspektorat", "kementerian"),
        masalah=("beberapa angka yang tidak cocok dengan data sumber", "satu bagian analisis yang belum lengkap"),
        tenggat=("besok pagi", "dua jam lagi", "sore ini"),
    ),
    tpl(
        "Pimpinan {unit} menugasi Anda untuk {inisiatif} dalam {durasi}. {detail} Langkah pertama apa yang paling "
        "tepat?",
        (
            "Menetapkan ukuran keberhasilan beserta data awalnya, lalu menyusun rencana kerja bertahap dengan target "
            "antara yang jelas",
            "Mempelajari penyebab masalah bersama tim sebelum memilih program perbaikan",
            "Langsung meniru program unit lain yang dianggap berhasil",
            "Menunggu arahan lebih rinci dari pimpinan tentang cara pelaksanaannya",
            "Membuat banyak kegiatan sekaligus agar terlihat aktif di mata pimpinan",
        ),
        unit=_UNITS,
        inisiatif=(
            "menurunkan waktu tunggu layanan",
            "meningkatkan jumlah warga yang memakai layanan daring",
            "mengurangi jumlah berkas yang dikembalikan karena tidak lengkap",
            "meningkatkan indeks kepuasan masyarakat",
        ),
        durasi=("tiga bulan", "empat bulan", "enam bulan"),
        detail=(
            "Belum ada data awal yang tercatat dengan rapi.",
            "Tim Anda hanya terdiri atas tiga orang.",
            "Unit lain pernah mencoba hal serupa dan gagal.",
        ),
        core=2,
    ),
)

_PELAYANAN_PUBLIK = (
    tpl(
        "Seorang {pemohon} mendatangi meja Anda di {kantor} dengan nada marah karena {izin} yang diajukannya "
        "{keterlambatan}. {detail} {tanya}",
        (
            "Mendengarkan keluhannya dengan tenang, memeriksa posisi berkasnya saat itu juga, menjelaskan penyebab "
            "dan kepastian waktu penyelesaiannya, lalu memantaunya sampai selesai",
            "Meminta maaf atas keterlambatan, mencatat nomor berkasnya untuk ditelusuri, dan berjanji menghubunginya "
            "kembali",
            "Mengarahkannya ke loket pengaduan agar keluhannya ditangani sesuai prosedur",
            "Menjelaskan bahwa keterlambatan itu disebabkan oleh bidang lain dan di luar kewenangan Anda",
            "Memintanya bersabar karena semua berkas diproses sesuai urutan masuk",
        ),
        pemohon=("pemilik warung makan", "pengusaha bengkel", "pengelola klinik swasta", "pemilik toko bangunan"),
        izin=("izin usaha", "persetujuan bangunan gedung", "sertifikat standar usaha"),
        keterlambatan=(
            "belum terbit padahal sudah melewati batas waktu layanan",
            "sudah tiga kali dikembalikan dengan alasan yang berbeda-beda",
        ),
        kantor=("Mal Pelayanan Publik", "kantor DPMPTSP"),
        detail=(
            "Antrean di belakangnya cukup panjang.",
            "Ia mengancam akan melapor ke Ombudsman.",
            "Ternyata berkasnya tertahan di bidang lain.",
        ),
        core=3,
    ),
    tpl(
        "Seorang warga yang mengaku {hubungan} meminta agar {layanan} miliknya didahulukan tanpa mengikuti antrean. "
        "{detail} {tanya}",
        (
            "Menjelaskan dengan sopan bahwa semua warga dilayani sesuai antrean dan prosedur yang sama, lalu "
            "memberinya informasi perkiraan waktu layanan",
            "Menolak permintaannya dengan sopan dan mempersilakannya kembali ke ruang tunggu",
            "Menanyakan kepada atasan apakah permintaan warga tersebut boleh dipenuhi",
            "Mendahulukannya secara diam-diam agar tidak timbul masalah dengan pihak yang disebutkannya",
            "Langsung memprosesnya dan meminta warga lain memaklumi karena ia tamu penting",
        ),
        hubungan=(
            "kenalan kepala dinas",
            "kerabat seorang anggota DPRD",
            "teman lama Anda semasa sekolah",
            "tokoh masyarakat setempat",
        ),
        layanan=(
            "pengurusan akta kelahiran",
            "pencetakan KTP elektronik",
            "pengurusan surat pindah",
            "legalisasi ijazah",
        ),
        detail=(
            "Ia menawarkan imbalan agar urusannya cepat selesai.",
            "Ia beralasan harus segera berangkat ke luar kota.",
            "Warga lain di ruang tunggu memperhatikan percakapan Anda.",
        ),
    ),
    tpl(
        "Saat {layanan} sedang ramai, {gangguan}. Puluhan warga sudah menunggu. {detail} {tanya}",
        (
            "Segera mengumumkan gangguan secara terbuka, menawarkan pilihan menunggu atau dijadwalkan ulang dengan "
            "prioritas, dan tetap melayani hal yang dapat dikerjakan secara manual",
            "Mengumumkan adanya gangguan dan meminta warga menunggu sambil terus menyampaikan perkembangan "
            "perbaikannya",
            "Meminta warga pulang dan kembali keesokan harinya",
            "Melanjutkan pekerjaan administrasi lain sambil menunggu sistem pulih tanpa memberi penjelasan kepada "
            "warga",
            "Meminta petugas keamanan menutup loket sampai sistem kembali normal",
        ),
        layanan=(
            "pelayanan perekaman data kependudukan",
            "pelayanan pembayaran pajak kendaraan",
            "pendaftaran pasien rawat jalan",
            "pelayanan pengajuan izin",
        ),
        gangguan=(
            "aplikasi layanan tiba-tiba tidak dapat diakses",
            "listrik padam dan genset tidak menyala",
            "jaringan internet kantor terputus",
        ),
        detail=(
            "Petugas TI memperkirakan perbaikan memakan waktu dua jam.",
            "Belum ada kepastian kapan gangguan selesai.",
            "Sebagian warga datang dari desa yang jauh.",
        ),
    ),
    tpl(
        "Seorang {warga} datang ke {urusan[tempat]} untuk {urusan[perlu]}, tetapi {hambatan}. {detail} {tanya}",
        (
            "Melayaninya langsung dengan bantuan yang sesuai kebutuhannya, lalu mengusulkan perbaikan fasilitas "
            "atau prosedur agar hambatan itu tidak terulang",
            "Mendampinginya sendiri sampai urusannya selesai",
            "Meminta petugas lain atau petugas keamanan membantunya",
            "Menyarankannya kembali lain waktu bersama keluarga yang dapat membantu",
            "Memintanya mengikuti prosedur yang sama seperti warga lain agar adil",
        ),
        warga=(
            "penyandang disabilitas netra",
            "warga lanjut usia berkursi roda",
            "warga yang tidak bisa membaca",
            "ibu hamil",
        ),
        urusan=(
            {"tempat": "kantor kelurahan", "perlu": "mengurus surat keterangan domisili"},
            {"tempat": "kantor pelayanan pajak daerah", "perlu": "membayar pajak bumi dan bangunan"},
            {"tempat": "kantor Disdukcapil", "perlu": "mengurus kartu identitas anak"},
        ),
        hambatan=(
            "formulir hanya tersedia dalam bentuk cetak yang harus diisi sendiri",
            "loket pelayanan berada di lantai dua tanpa lift",
        ),
        detail=(
            "Petugas di loket itu sedang melayani banyak warga.",
            "Ia datang tanpa pendamping.",
            "Hambatan tersebut bukan pertama kalinya dikeluhkan.",
        ),
    ),
)

_PENGEMBANGAN_DIRI = (
    tpl(
        "Unit Anda akan mulai menggunakan {sistem} {kapan}. Anda belum menguasainya, {detail}. {tanya}",
        (
            "Mempelajari panduan dan modul daring secara mandiri, mempraktikkannya dengan data contoh, lalu berbagi "
            "catatan belajar dengan rekan",
            "Meminta bimbingan singkat dari rekan atau unit yang sudah lebih dulu memakai sistem tersebut",
            "Mengusulkan kepada atasan agar pelatihan resmi dipercepat",
            "Menunggu pelatihan resmi dan sementara itu tetap memakai cara lama",
            "Meminta rekan yang lebih paham mengerjakan bagian tugas Anda yang memakai sistem tersebut",
        ),
        sistem=(
            "aplikasi tata naskah dinas elektronik",
            "sistem informasi keuangan daerah yang baru",
            "aplikasi analisis data berbasis dasbor",
            "aplikasi kinerja pegawai yang baru",
        ),
        kapan=("bulan depan", "dalam dua minggu", "mulai triwulan berikutnya"),
        detail=(
            "sementara pelatihan resmi baru dijadwalkan tiga bulan lagi",
            "padahal Anda akan menjadi pengguna utamanya",
            "dan beberapa rekan juga mengalami hal yang sama",
        ),
    ),
    tpl(
        "Seorang {junior} di tim Anda {masalah}. {detail} {tanya}",
        (
            "Memberikan contoh dan umpan balik yang spesifik secara rutin, lalu memberinya tugas bertahap yang makin "
            "menantang",
            "Menyarankannya mengikuti pelatihan yang relevan dan bersedia menjawab bila ia bertanya",
            "Memberikan panduan tertulis dan membiarkannya belajar sendiri",
            "Memperbaiki sendiri hasil kerjanya tanpa menjelaskan letak kesalahannya",
            "Mengurangi tugasnya dan mengalihkannya kepada pegawai lain yang lebih cepat",
        ),
        junior=(
            "CPNS yang baru bergabung",
            "pegawai yang baru dimutasi dari bagian lain",
            "pegawai PPPK yang baru diangkat",
        ),
        masalah=(
            "sering keliru menyusun draf surat dinas",
            "kesulitan memahami alur verifikasi berkas",
            "ragu-ragu saat menjawab pertanyaan warga",
            "lambat mengolah data dengan aplikasi lembar kerja",
        ),
        detail=(
            "Ia tampak segan bertanya kepada rekan lain.",
            "Beban kerja tim sedang tinggi.",
            "Atasan meminta Anda membantunya berkembang.",
        ),
    ),
    tpl(
        "{periode}, atasan menyampaikan bahwa {kritik}. {detail} Bagaimana sikap Anda?",
        (
            "Menanyakan contoh konkretnya, menyusun rencana perbaikan dengan target yang jelas, dan meminta umpan "
            "balik berkala dari atasan",
            "Menerima masukan tersebut dan berusaha memperbaiki diri pada periode berikutnya",
            "Meminta rekan dekat menilai apakah kritik tersebut memang benar",
            "Menjelaskan panjang lebar alasan di balik kekurangan tersebut",
            "Menganggap kritik itu sebagai tanda ketidaksukaan pribadi atasan",
        ),
        periode=(
            "Dalam evaluasi kinerja semester ini",
            "Dalam pertemuan umpan balik bulanan",
            "Saat membahas hasil penilaian perilaku kerja",
        ),
        kritik=(
            "laporan yang Anda susun sering terlambat",
            "paparan yang Anda sampaikan kurang runtut",
            "Anda jarang berbagi informasi dengan tim",
            "analisis data Anda sering kurang mendalam",
        ),
        detail=(
            "Menurut Anda, penilaian itu kurang adil.",
            "Rekan-rekan Anda tidak pernah mengeluhkan hal tersebut.",
            "Ini pertama kalinya Anda mendapat kritik seperti itu.",
        ),
    ),
    tpl(
        "Anda baru saja mengikuti {pelatihan} yang dibiayai kantor. {detail} Apa yang Anda lakukan setelah kembali "
        "bekerja di {unit}?",
        (
            "Menerapkan materi yang relevan dalam pekerjaan dan mengadakan sesi berbagi pengetahuan bersama tim",
            "Membagikan bahan pelatihan kepada rekan dan menawarkan diri menjelaskannya bila diperlukan",
            "Menerapkan materi pelatihan dalam pekerjaan Anda sendiri",
            "Menyimpan sertifikatnya untuk keperluan kenaikan pangkat",
            "Kembali bekerja seperti biasa karena materi pelatihan sulit diterapkan di kantor",
        ),
        pelatihan=(
            "pelatihan analisis kebijakan",
            "kursus manajemen risiko",
            "pelatihan pelayanan prima",
            "bimbingan teknis pengadaan barang/jasa",
            "pelatihan kepemimpinan pengawas",
        ),
        unit=_UNITS,
        detail=(
            "Materinya sangat relevan dengan masalah yang sedang dihadapi tim.",
            "Tidak ada kewajiban membuat laporan hasil pelatihan.",
            "Rekan-rekan Anda belum mendapat kesempatan mengikuti pelatihan serupa.",
        ),
        core=1,
    ),
)

_MENGELOLA_PERUBAHAN = (
    tpl(
        "{unit} mulai menerapkan {perubahan}. Sebagian rekan Anda {reaksi}. {detail} {tanya}",
        (
            "Mencari tahu tujuan dan manfaat perubahan itu, menyesuaikan cara kerja Anda, dan membantu rekan "
            "memahami serta menjalaninya",
            "Menjalankan perubahan itu dengan sungguh-sungguh dan menyampaikan kendala yang muncul melalui jalur resmi",
            "Menjalankan perubahan sebatas yang diwajibkan sambil menunggu hasilnya terbukti",
            "Ikut menyampaikan keberatan bersama rekan-rekan agar perubahan itu ditunda",
            "Tetap memakai cara lama selama belum ada sanksi",
        ),
        unit=_UNITS,
        perubahan=(
            "penyederhanaan birokrasi yang mengalihkan jabatan struktural menjadi jabatan fungsional",
            "sistem kerja fleksibel dengan sebagian pegawai bekerja dari rumah",
            "layanan yang sepenuhnya daring tanpa berkas fisik",
            "penggabungan dua bidang menjadi satu",
        ),
        reaksi=("menolak dan terus membandingkannya dengan cara lama", "khawatir kehilangan peran dan tunjangan"),
        detail=(
            "Anda sendiri belum sepenuhnya memahami manfaat perubahan itu.",
            "Pimpinan meminta setiap pegawai mendukung perubahan tersebut.",
            "Kinerja tim mulai menurun sejak perubahan itu diumumkan.",
        ),
        core=2,
    ),
    tpl(
        "Dua minggu setelah {unit} beralih ke {sistem}, {masalah}. {detail} {tanya}",
        (
            "Mencatat kendala yang muncul, membantu rekan mengatasi kendala yang bisa diselesaikan, dan "
            "menyampaikan masukan perbaikan kepada pengelola sistem",
            "Menyusun panduan singkat penggunaan sistem baru itu untuk rekan-rekan",
            "Menyarankan agar sistem lama dan sistem baru dipakai bersamaan sampai semua pegawai terbiasa",
            "Menunggu pengelola sistem memperbaiki semua kendala sebelum mendorong rekan memakainya",
            "Mendukung usulan kembali ke sistem lama karena lebih dikenal semua orang",
        ),
        unit=_UNITS,
        sistem=(
            "aplikasi antrean daring",
            "tanda tangan elektronik untuk surat dinas",
            "aplikasi pelaporan keuangan yang baru",
            "sistem arsip digital",
        ),
        masalah=(
            "masih banyak pegawai yang mencetak dokumen lalu memindainya kembali",
            "warga dan pegawai mengeluhkan sejumlah kendala teknis",
            "beberapa rekan meminta agar sistem lama dipakai lagi",
        ),
        detail=(
            "Anda ditunjuk sebagai penanggung jawab masa transisi.",
            "Atasan menanyakan pendapat Anda.",
            "Anda termasuk pegawai yang paling cepat menguasai sistem baru itu.",
        ),
        core=3,
    ),
    tpl(
        "Anda dimutasi ke {tujuan} dengan tugas yang {beda}. {detail} {tanya}",
        (
            "Menerima penugasan itu sebagai kesempatan belajar, mempelajari tugas baru secara aktif, dan membangun "
            "hubungan kerja dengan rekan di tempat baru",
            "Menjalankan tugas baru sebaik mungkin sambil menyesuaikan diri secara bertahap",
            "Meminta masa penyesuaian yang panjang sebelum diberi tanggung jawab penuh",
            "Menjalankan tugas seadanya sambil menunggu kesempatan mengajukan pindah kembali",
            "Mengajukan keberatan dan menunda keberangkatan sampai tugasnya disesuaikan",
        ),
        tujuan=(
            "kantor kecamatan di daerah perbatasan",
            "unit yang baru dibentuk",
            "bidang perencanaan",
            "UPT di kabupaten lain",
        ),
        beda=("sama sekali berbeda dengan pengalaman Anda", "menuntut kemampuan yang belum pernah Anda pelajari"),
        detail=(
            "Keluarga Anda belum bisa ikut pindah.",
            "Rekan-rekan di tempat baru tampak belum terbuka terhadap Anda.",
            "Anda merasa mutasi itu tidak sesuai dengan keinginan Anda.",
        ),
    ),
    tpl(
        "Di tengah pengerjaan {pekerjaan}, pimpinan tiba-tiba mengalihkan prioritas tim ke {prioritas}. {detail} "
        "{tanya}",
        (
            "Menyesuaikan rencana kerja dengan cepat, menanyakan hal yang perlu diprioritaskan, dan menyepakati ulang "
            "tenggat pekerjaan lama dengan atasan",
            "Beralih ke prioritas baru dan menyelesaikan pekerjaan lama di sela-sela waktu",
            "Menyelesaikan pekerjaan lama lebih dulu sebelum ikut menangani prioritas baru",
            "Mengerjakan prioritas baru sambil mengeluhkan perubahan rencana kepada rekan-rekan",
            "Meminta dibebaskan dari prioritas baru karena hal itu bukan bagian dari tugas Anda",
        ),
        pekerjaan=("rencana kerja tahunan", "pemutakhiran basis data aset", "penyusunan SOP pelayanan"),
        prioritas=(
            "penanganan bencana banjir di wilayah Anda",
            "persiapan pemeriksaan mendadak dari BPK",
            "program prioritas nasional yang baru diumumkan",
            "penanganan keluhan warga yang sedang viral",
        ),
        detail=(
            "Pekerjaan lama Anda sudah hampir selesai.",
            "Tenggat pekerjaan lama tidak berubah.",
            "Anda belum pernah menangani hal seperti itu.",
        ),
    ),
)

_PENGAMBILAN_KEPUTUSAN = (
    tpl(
        "Anda diminta memutuskan {keputusan} {tenggat}. Data yang tersedia {kondisi}. {tanya}",
        (
            "Mengolah data yang ada untuk membandingkan pilihan berdasarkan kriteria yang jelas, memeriksa ulang "
            "bagian yang meragukan, lalu memutuskan tepat waktu dan mencatat dasar keputusannya",
            "Meminta masukan dari rekan yang memahami kondisi lapangan sebelum memutuskan",
            "Meminta perpanjangan waktu sampai semua data lengkap",
            "Memutuskan berdasarkan pengalaman tahun lalu tanpa memeriksa data terbaru",
            "Menyerahkan keputusan kepada atasan agar Anda tidak disalahkan",
        ),
        keputusan=(
            "lokasi posko pelayanan keliling untuk bulan depan",
            "penyedia jasa pemeliharaan jaringan yang akan direkomendasikan",
            "desa yang menjadi prioritas penyaluran bantuan air bersih",
            "jadwal layanan tambahan pada akhir pekan",
        ),
        tenggat=("sore ini", "dalam dua hari", "sebelum rapat pimpinan besok"),
        kondisi=("belum lengkap", "saling bertentangan antara dua sumber", "cukup banyak tetapi belum diolah"),
    ),
    tpl(
        "Atasan Anda sedang {absen} dan tidak dapat dihubungi. Tiba-tiba {kejadian}, dan keputusan harus diambil "
        "{waktu}. {tanya}",
        (
            "Mengambil langkah yang paling perlu untuk mencegah kerugian sesuai kewenangan dan prosedur darurat, lalu "
            "segera melaporkannya kepada atasan",
            "Menghubungi pejabat lain yang berwenang untuk meminta persetujuan sebelum bertindak",
            "Mengumpulkan rekan-rekan untuk bermusyawarah sampai tercapai kesepakatan",
            "Menunggu sampai atasan dapat dihubungi karena keputusan itu bukan wewenang Anda",
            "Memutuskan apa saja yang paling cepat tanpa mempertimbangkan aturan yang berlaku",
        ),
        absen=("dalam penerbangan ke Jakarta", "mengikuti rapat tertutup di kantor gubernur", "cuti sakit"),
        kejadian=(
            "atap ruang arsip bocor dan air mulai membasahi dokumen penting",
            "penyedia meminta persetujuan perubahan jadwal pengiriman logistik bencana",
            "server layanan daring menunjukkan tanda-tanda diretas",
            "sekelompok warga datang menuntut kejelasan penyaluran bantuan",
        ),
        waktu=("dalam satu jam", "dalam beberapa menit", "hari ini juga"),
    ),
    tpl(
        "Anggaran {kegiatan} di {unit} dipotong {persen} persen, sehingga tidak semua rencana dapat dijalankan. "
        "{detail} {tanya}",
        (
            "Menilai setiap kegiatan berdasarkan dampak, urgensi, dan keterkaitannya dengan sasaran unit, lalu "
            "mengusulkan prioritas beserta alasan yang dapat dipertanggungjawabkan",
            "Mengurangi skala semua kegiatan secara proporsional agar setiap bidang tetap mendapat bagian",
            "Mempertahankan kegiatan yang paling mudah dilaksanakan",
            "Mendahulukan kegiatan yang diusulkan oleh bidang yang paling keras memintanya",
            "Menunda semua kegiatan sampai ada kepastian tambahan anggaran",
        ),
        kegiatan=("pelatihan pegawai", "sosialisasi program", "pemeliharaan sarana", "pengadaan perlengkapan layanan"),
        unit=_UNITS,
        persen=("20", "30", "40"),
        detail=(
            "Setiap bidang meminta kegiatannya tetap dipertahankan.",
            "Anda diminta menyusun usulan prioritas dalam seminggu.",
            "Sebagian kegiatan sudah dijanjikan kepada masyarakat.",
        ),
        core=2,
    ),
    tpl(
        "Anda menerima laporan bahwa {pelaku} di unit yang Anda pimpin {dugaan}. {detail} {tanya}",
        (
            "Memeriksa kebenaran laporan dengan mengumpulkan bukti dan keterangan dari pihak terkait, termasuk "
            "pegawai tersebut, lalu mengambil tindakan sesuai aturan",
            "Memanggil pegawai tersebut untuk meminta klarifikasi sebelum memutuskan langkah berikutnya",
            "Meneruskan laporan itu kepada bagian kepegawaian tanpa memeriksanya terlebih dahulu",
            "Mengabaikan laporan tersebut sampai ada pengaduan kedua",
            "Langsung menegur keras pegawai tersebut di depan rekan-rekannya",
        ),
        pelaku=("seorang staf senior", "seorang petugas loket", "seorang staf administrasi"),
        dugaan=(
            "sering meninggalkan kantor pada jam kerja",
            "meminta uang tambahan kepada warga",
            "mengisi daftar hadir untuk rekannya yang tidak masuk",
            "bersikap kasar kepada warga",
        ),
        detail=(
            "Laporan itu dikirim tanpa nama pelapor.",
            "Pegawai tersebut dikenal berprestasi.",
            "Laporan itu datang dari rekan yang sedang berselisih dengannya.",
        ),
    ),
)

_PEREKAT_BANGSA = (
    tpl(
        "Tim Anda di {unit} terdiri atas pegawai dari {keragaman}. Dalam {situasi}, {masalah}. {tanya}",
        (
            "Segera menengahi dengan tenang, mengingatkan pentingnya saling menghormati, lalu berbicara secara "
            "pribadi dengan pihak yang terlibat agar hal serupa tidak terulang",
            "Mengingatkan semua anggota tim tentang etika bekerja dalam keberagaman pada kesempatan berikutnya",
            "Mengalihkan pembicaraan ke topik lain agar suasana tidak memanas",
            "Melaporkan kejadian itu kepada atasan tanpa berbicara dengan pihak yang terlibat",
            "Membiarkannya karena hal seperti itu biasa terjadi dalam pergaulan",
        ),
        unit=_UNITS,
        keragaman=(
            "berbagai suku dan daerah asal",
            "latar belakang agama yang berbeda-beda",
            "berbagai daerah, dari Sumatra sampai Papua",
        ),
        masalah=(
            "seorang rekan melontarkan candaan yang menyinggung suku atau agama rekan lainnya",
            "beberapa pegawai hanya mau bekerja dengan rekan dari daerah yang sama",
            "muncul perdebatan panas tentang pilihan politik menjelang pemilu",
        ),
        situasi=("rapat persiapan kegiatan", "obrolan santai di ruang kerja", "grup percakapan kantor"),
    ),
    tpl(
        "Anda bertugas di {wilayah} yang warganya berasal dari berbagai suku dan agama. Menjelang {acara}, "
        "{masalah}. {detail} {tanya}",
        (
            "Mengajak tokoh dari berbagai kelompok berdialog untuk mencari solusi bersama dan memastikan pelayanan "
            "pemerintah tetap adil bagi semua warga",
            "Menyampaikan imbauan resmi agar warga menjaga kerukunan dan melaporkan perkembangannya kepada pimpinan",
            "Meminta aparat keamanan berjaga di lokasi tanpa melibatkan tokoh masyarakat",
            "Menunggu sampai situasinya mereda dengan sendirinya",
            "Mengikuti keinginan kelompok yang paling besar agar suasana cepat tenang",
        ),
        wilayah=(
            "sebuah kecamatan di daerah transmigrasi",
            "sebuah kelurahan di kawasan industri",
            "sebuah desa di perbatasan dua kabupaten",
        ),
        acara=(
            "perayaan hari besar keagamaan",
            "pemilihan kepala desa",
            "peringatan hari jadi daerah",
            "pembagian bantuan sosial",
        ),
        masalah=(
            "beredar pesan berantai yang memojokkan salah satu kelompok",
            "dua kelompok pemuda berselisih soal penggunaan lapangan desa",
            "sebagian warga meminta agar kegiatan hanya melibatkan kelompok tertentu",
        ),
        detail=(
            "Anda baru tiga bulan bertugas di sana.",
            "Pimpinan meminta Anda ikut menanganinya.",
            "Beberapa tokoh masyarakat sudah menghubungi Anda.",
        ),
    ),
    tpl(
        "Seorang rekan baru di {unit} berasal dari {daerah} dan {kesulitan}. {detail} {tanya}",
        (
            "Mengajaknya terlibat dalam kegiatan tim, membiasakan penggunaan bahasa Indonesia dalam urusan kantor, "
            "dan menegur dengan santun setiap candaan yang merendahkan",
            "Menemaninya beradaptasi dan memperkenalkannya kepada rekan-rekan lain",
            "Menyarankannya mempelajari bahasa dan kebiasaan setempat secepatnya",
            "Bersikap ramah kepadanya, tetapi tidak ikut campur dalam cara rekan lain memperlakukannya",
            "Membiarkannya menyesuaikan diri sendiri karena semua pegawai baru mengalami hal yang sama",
        ),
        unit=_UNITS,
        daerah=("Nusa Tenggara Timur", "Papua", "Aceh", "Maluku", "Kalimantan Barat"),
        kesulitan=(
            "belum fasih berbahasa daerah yang dipakai sebagian besar rekan dan warga",
            "sering menjadi bahan candaan karena logat bicaranya",
        ),
        detail=(
            "Ia terlihat mulai menarik diri dari kegiatan tim.",
            "Ia belum mengenal kebiasaan kerja di kantor ini.",
            "Beberapa rekan menganggap hal itu tidak perlu dipersoalkan.",
        ),
    ),
    tpl(
        "Anda ditunjuk menjadi ketua panitia {acara} di {unit}. Pegawai kantor Anda berasal dari beragam agama, "
        "suku, dan daerah. {detail} {tanya}",
        (
            "Melibatkan perwakilan dari berbagai latar belakang dalam kepanitiaan, menyusun acara yang dapat diikuti "
            "semua pegawai, serta mengatur waktu dan konsumsi dengan menghormati keyakinan masing-masing",
            "Menanyakan kebutuhan pegawai melalui survei singkat sebelum menyusun acara",
            "Menyusun acara seperti tahun-tahun sebelumnya karena belum pernah ada keluhan",
            "Mengikuti usulan mayoritas panitia agar persiapan cepat selesai",
            "Menyerahkan sepenuhnya urusan acara kepada pegawai yang paling senior",
        ),
        acara=(
            "peringatan Hari Ulang Tahun Republik Indonesia",
            "peringatan Hari Sumpah Pemuda",
            "acara pisah sambut pimpinan",
            "syukuran akhir tahun kantor",
        ),
        unit=_UNITS,
        detail=(
            "Sebagian panitia mengusulkan acara yang hanya akrab bagi kelompok mayoritas.",
            "Beberapa pegawai khawatir tidak dapat ikut karena jadwalnya bertepatan dengan waktu ibadah mereka.",
            "Anggarannya terbatas sehingga tidak semua usulan dapat dipenuhi.",
        ),
    ),
)

_MSK_TEMPLATES: dict[str, tuple[Template, ...]] = {
    "Integritas": _INTEGRITAS,
    "Kerja Sama": _KERJA_SAMA,
    "Komunikasi": _KOMUNIKASI,
    "Orientasi pada Hasil": _ORIENTASI_HASIL,
    "Pelayanan Publik": _PELAYANAN_PUBLIK,
    "Pengembangan Diri dan Orang Lain": _PENGEMBANGAN_DIRI,
    "Mengelola Perubahan": _MENGELOLA_PERUBAHAN,
    "Pengambilan Keputusan": _PENGAMBILAN_KEPUTUSAN,
    "Perekat Bangsa": _PEREKAT_BANGSA,
}


def _msk_sources(rng: Rng) -> dict[str, list[Source]]:
    extras = {"tanya": _TANYA}
    return {
        area: _template_sources(templates, f"MSK/{area}/", rng, extras) for area, templates in _MSK_TEMPLATES.items()
    }


# === Literasi Digital: one key (listed first) and at least four distractors ====================================

LD_AREAS = ("Kecakapan Digital", "Etika Digital", "Keamanan Digital", "Budaya Digital")

_ACTORS = ("Anda", "Seorang staf sekretariat", "Seorang analis kebijakan", "Seorang pengelola arsip")

_KECAKAPAN = (
    tpl(
        "{aktor} perlu mengirim {f[dok]} kepada {penerima} {f[tujuan]}. Format berkas yang paling tepat adalah ...",
        mc_options("f", 5),
        aktor=_ACTORS,
        f=(
            mc(
                "PDF",
                "DOCX",
                "XLSX",
                "TXT",
                "PPTX",
                "HTML",
                dok="surat undangan yang sudah ditandatangani",
                tujuan="agar tata letaknya tidak berubah dan isinya tidak mudah diubah",
            ),
            mc(
                "CSV",
                "PDF",
                "JPG",
                "PPTX",
                "MP4",
                "DOCX",
                dok="tabel data penerima bantuan",
                tujuan="agar dapat langsung diolah dengan aplikasi lembar kerja apa pun",
            ),
            mc(
                "JPG",
                "BMP",
                "PDF",
                "DOCX",
                "TIFF tanpa kompresi",
                "CSV",
                dok="foto kegiatan lapangan",
                tujuan="dengan ukuran berkas kecil untuk diunggah ke situs web kantor",
            ),
            mc(
                "DOCX",
                "PDF",
                "JPG",
                "PNG",
                "MP3",
                "CSV",
                dok="draf peraturan yang masih akan diberi masukan oleh bagian hukum",
                tujuan="agar masukan dapat ditulis langsung dengan fitur lacak perubahan (track changes)",
            ),
            mc(
                "MP3",
                "WAV tanpa kompresi",
                "DOCX",
                "PNG",
                "CSV",
                "PDF",
                dok="rekaman wawancara dengan narasumber",
                tujuan="dalam format audio yang umum dan berukuran ringkas",
            ),
            mc(
                "PPTX",
                "PDF",
                "CSV",
                "MP3",
                "TXT",
                "JPG",
                dok="bahan paparan untuk rapat pimpinan",
                tujuan="agar dapat ditampilkan per salindia dan masih dapat diubah oleh rekan",
            ),
        ),
        penerima=("rekan di unit lain", "rekan satu tim", "tim teknis"),
    ),
    tpl(
        "Anda menyimpan {dok} di penyimpanan awan kantor dan ingin {s[tujuan]}. Pengaturan berbagi yang paling "
        "tepat adalah ...",
        mc_options("s", 4),
        s=(
            mc(
                "Membagikannya kepada akun pimpinan dengan akses hanya-lihat",
                "Membagikan tautan publik dengan akses edit untuk siapa saja",
                "Mengirim kata sandi akun penyimpanan Anda kepada pimpinan",
                "Memberikan akses edit kepada seluruh pegawai kantor",
                "Mengunggah salinannya ke grup media sosial kantor",
                tujuan="agar pimpinan dapat membacanya tanpa bisa mengubah isinya",
            ),
            mc(
                "Membagikannya kepada akun setiap anggota tim dengan akses edit",
                "Mengirim salinan berkas lewat surel agar setiap anggota mengeditnya masing-masing",
                "Membagikan tautan publik dengan akses edit untuk siapa saja yang memiliki tautan",
                "Memberikan kata sandi akun Anda kepada semua anggota tim",
                "Membagikannya kepada anggota tim dengan akses hanya-lihat",
                tujuan="agar anggota tim dapat menyunting dokumen yang sama secara bersamaan",
            ),
            mc(
                "Membagikannya kepada akun mitra dengan akses pemberi komentar",
                "Membagikannya kepada akun mitra dengan akses edit",
                "Membagikan tautan publik dengan akses edit untuk siapa saja",
                "Membagikannya kepada akun mitra dengan akses hanya-lihat tanpa komentar",
                "Mengirim kata sandi akun Anda agar mitra dapat masuk sendiri",
                tujuan="agar mitra dari instansi lain dapat memberi komentar tanpa mengubah isinya",
            ),
            mc(
                "Mencabut akses akun rekan tersebut dari pengaturan berbagi dokumen",
                "Mengganti nama berkas dokumen itu",
                "Memindahkan dokumen itu ke folder lain di akun yang sama",
                "Mengirim pesan kepada rekan tersebut agar tidak membukanya lagi",
                'Menambahkan kata "RAHASIA" pada judul dokumen',
                tujuan="agar rekan yang sudah pindah tugas tidak bisa lagi membukanya",
            ),
            mc(
                "Membatasi akses hanya untuk akun petugas yang berwenang dan menonaktifkan tautan publik",
                "Membagikan tautan publik, tetapi tidak menyebarkannya",
                "Menuliskan kata sandi dokumen pada nama berkasnya",
                "Memberikan akses edit kepada seluruh pegawai agar mudah diperiksa",
                "Mengirimkan tautannya ke grup percakapan kantor",
                tujuan="agar data pribadi warga di dalamnya hanya dapat dibuka oleh petugas yang berwenang",
            ),
        ),
        dok=(
            "laporan kegiatan",
            "rekap data layanan",
            "rancangan standar operasional prosedur",
            "daftar hadir pelatihan",
        ),
        core=2,
    ),
    tpl(
        '{aktor} ingin mencari {q[cari]} tentang "{topik}" di mesin pencari. Kata kunci yang paling tepat adalah ...',
        mc_options("q", 4),
        q=(
            mc(
                "{topik} filetype:pdf",
                "{topik} pdf only",
                "{topik} -pdf",
                "{topik} site:pdf",
                "pdf + {topik} + dokumen",
                cari="dokumen berformat PDF",
            ),
            mc(
                "{topik} site:go.id",
                "{topik} filetype:go.id",
                "{topik} -go.id",
                "{topik} pemerintah resmi",
                "go.id OR {topik}",
                cari="informasi yang hanya berasal dari situs pemerintah",
            ),
            mc(
                '"{topik}"',
                '-"{topik}"',
                "({topik})",
                "{topik} +persis",
                "{topik} filetype:frasa",
                cari="halaman yang memuat frasa itu secara persis",
            ),
            mc(
                "{topik} -lowongan",
                "{topik} +lowongan",
                "{topik} site:lowongan",
                '{topik} "lowongan"',
                "{topik} filetype:lowongan",
                cari='informasi yang tidak memuat kata "lowongan"',
            ),
        ),
        topik=(
            "standar pelayanan minimal",
            "pelindungan data pribadi",
            "sistem pemerintahan berbasis elektronik",
            "indeks kepuasan masyarakat",
            "pengadaan barang/jasa pemerintah",
            "tanda tangan elektronik",
        ),
        aktor=_ACTORS,
    ),
    tpl(
        "Saat {kerja}, Anda ingin {k[aksi]}. Pintasan papan ketik yang tepat pada sistem operasi Windows adalah ...",
        mc_options("k", 5),
        k=(
            mc("Ctrl+Z", "Ctrl+Y", "Ctrl+X", "Ctrl+S", "Ctrl+U", "Alt+F4", aksi="membatalkan tindakan terakhir"),
            mc("Ctrl+F", "Ctrl+P", "Ctrl+G", "Ctrl+A", "Ctrl+K", "Ctrl+D", aksi="mencari sebuah kata di dalam dokumen"),
            mc("Ctrl+S", "Ctrl+P", "Ctrl+Z", "Ctrl+D", "Ctrl+N", "Ctrl+W", aksi="menyimpan dokumen"),
            mc("Ctrl+A", "Ctrl+S", "Ctrl+E", "Ctrl+Z", "Ctrl+L", "Ctrl+Q", aksi="memilih seluruh isi dokumen"),
            mc("Ctrl+P", "Ctrl+S", "Ctrl+C", "Ctrl+F", "Ctrl+T", "Ctrl+R", aksi="mencetak dokumen"),
            mc(
                "Win+L",
                "Win+D",
                "Ctrl+L",
                "Alt+F4",
                "Win+E",
                "Ctrl+Shift+L",
                aksi="mengunci layar komputer sebelum meninggalkan meja",
            ),
        ),
        kerja=(
            "menyusun notula rapat",
            "mengetik laporan bulanan",
            "menyunting draf surat edaran",
            "memeriksa tabel anggaran",
        ),
    ),
    tpl(
        "Anda menerima {dok} dalam bentuk PDF yang ditandatangani secara elektronik oleh {penandatangan}. {detail} "
        "Cara yang paling tepat untuk memastikan keasliannya adalah ...",
        (
            "Memverifikasi tanda tangan elektroniknya melalui layanan verifikasi dokumen resmi penyelenggara "
            "sertifikat elektronik",
            "Mencocokkan gambar tanda tangan dengan surat lama yang Anda simpan",
            "Mencetaknya lalu meminta cap basah dari kantor pengirim",
            "Memeriksa apakah ada logo instansi pada kop surat",
            "Menanyakannya di grup percakapan kantor",
            "Memeriksa ukuran berkas PDF tersebut",
        ),
        dok=(
            "surat keputusan mutasi",
            "surat undangan rapat",
            "sertifikat pelatihan",
            "surat keterangan kelulusan seleksi",
        ),
        penandatangan=("kepala dinas", "sekretaris daerah", "kepala BKD"),
        detail=(
            "Tampilan tanda tangannya sama persis dengan surat sebelumnya.",
            "Surat itu dikirim dari alamat surel yang belum pernah Anda kenal.",
            "Isi surat itu tampak janggal.",
        ),
    ),
    tpl(
        "Saat memimpin rapat daring bersama {peserta} {waktu}, Anda ingin {v[aksi]}. Fitur aplikasi rapat daring yang "
        "paling tepat adalah ...",
        mc_options("v", 5),
        v=(
            mc(
                "Ruang diskusi terpisah (breakout room)",
                "Berbagi layar (share screen)",
                "Ruang tunggu (waiting room)",
                "Rekam rapat (record)",
                "Angkat tangan (raise hand)",
                "Latar belakang virtual",
                aksi="membagi peserta ke dalam beberapa kelompok diskusi kecil, lalu mengumpulkannya kembali",
            ),
            mc(
                "Ruang tunggu (waiting room)",
                "Latar belakang virtual",
                "Angkat tangan (raise hand)",
                "Berbagi layar (share screen)",
                "Ruang diskusi terpisah (breakout room)",
                "Reaksi emoji",
                aksi="memastikan hanya peserta yang diundang yang dapat bergabung",
            ),
            mc(
                "Berbagi layar (share screen)",
                "Ruang tunggu (waiting room)",
                "Ruang diskusi terpisah (breakout room)",
                "Angkat tangan (raise hand)",
                "Latar belakang virtual",
                "Reaksi emoji",
                aksi="menampilkan bahan paparan dari laptop Anda kepada semua peserta",
            ),
            mc(
                "Angkat tangan (raise hand)",
                "Berbagi layar (share screen)",
                "Ruang tunggu (waiting room)",
                "Rekam rapat (record)",
                "Latar belakang virtual",
                "Ruang diskusi terpisah (breakout room)",
                aksi="mengatur giliran bicara peserta yang ingin bertanya",
            ),
            mc(
                "Rekam rapat (record)",
                "Berbagi layar (share screen)",
                "Angkat tangan (raise hand)",
                "Ruang tunggu (waiting room)",
                "Latar belakang virtual",
                "Reaksi emoji",
                aksi="menyimpan jalannya rapat bagi anggota tim yang berhalangan hadir",
            ),
            mc(
                "Bisukan semua peserta (mute all)",
                "Matikan kamera semua peserta",
                "Latar belakang virtual",
                "Ruang tunggu (waiting room)",
                "Reaksi emoji",
                "Berbagi layar (share screen)",
                aksi="mengurangi gangguan suara dari peserta yang sedang tidak berbicara",
            ),
        ),
        peserta=("para camat", "tim dari beberapa dinas", "peserta pelatihan", "mitra dari kementerian"),
        waktu=("pagi ini", "siang ini", "sore ini"),
    ),
    tpl(
        "{aktor} perlu mengirim surel {e[situasi]}. {detail} Cara yang paling tepat adalah ...",
        mc_options("e", 5),
        aktor=_ACTORS,
        e=(
            mc(
                "Menuliskan alamat semua peserta di kolom Bcc",
                "Menuliskan alamat semua peserta di kolom Kepada (To)",
                "Menuliskan alamat semua peserta di kolom Cc",
                "Meneruskan surel undangan tahun lalu yang memuat daftar alamat peserta",
                "Menyalin daftar alamat semua peserta ke badan surel",
                "Membagi peserta ke dalam empat surel dengan alamat di kolom Cc",
                situasi="undangan kepada 200 peserta sosialisasi tanpa memperlihatkan alamat surel peserta satu sama "
                "lain",
            ),
            mc(
                "Alamat atasan di kolom Kepada (To), alamat kedua rekan di kolom Cc",
                "Ketiga alamat di kolom Bcc",
                "Alamat kedua rekan di kolom Kepada (To), alamat atasan di kolom Bcc",
                "Alamat atasan dan kedua rekan di kolom Cc tanpa mengisi kolom Kepada (To)",
                "Tiga surel terpisah dengan lampiran yang berbeda-beda",
                "Alamat atasan di kolom Kepada (To), alamat kedua rekan di kolom Bcc",
                situasi="laporan kepada atasan dengan salinan terbuka untuk dua rekan yang perlu mengetahui isinya",
            ),
            mc(
                "Mengunggah berkas ke penyimpanan awan kantor dan mengirim tautannya dengan hak akses yang sesuai",
                "Mengganti nama berkas menjadi lebih pendek agar ukurannya berkurang",
                "Mengubah ekstensi berkas menjadi .txt",
                "Mengirimnya dari surel pribadi yang batas lampirannya lebih besar",
                "Mengirim ulang surel yang sama berkali-kali sampai berhasil",
                "Menempelkan isi berkas ke badan surel dalam bentuk gambar",
                situasi="dengan lampiran berukuran 60 MB, padahal batas lampiran surel kantor 25 MB",
            ),
            mc(
                "Memakai tombol Balas (Reply)",
                "Memakai tombol Balas Semua (Reply All)",
                "Memakai tombol Teruskan (Forward) ke seluruh pegawai",
                "Menulis surel baru kepada seluruh pegawai",
                "Memakai tombol Balas Semua (Reply All) dan menghapus subjeknya",
                "Memakai tombol Balas Semua (Reply All) dan menambahkan alamat pengirim di kolom Bcc",
                situasi="balasan yang hanya ditujukan kepada pengirim atas sebuah surel yang dikirim ke seluruh "
                "pegawai",
            ),
            mc(
                "Menulis subjek yang spesifik, misalnya perihal dan tenggatnya, lalu menyampaikan permintaan di "
                "paragraf "
                "pertama",
                "Mengosongkan subjek surel",
                'Menulis subjek "PENTING!!!" tanpa keterangan lain',
                "Menaruh permintaan di paragraf terakhir surel yang panjang",
                "Menandai surel sebagai prioritas tinggi tanpa menyebutkan tenggatnya",
                "Menulis seluruh isi surel dengan huruf kapital",
                situasi="berisi permintaan data yang harus dijawab penerima sebelum tenggat",
            ),
            mc(
                "Mengaktifkan balasan otomatis (out of office) yang menyebutkan masa cuti dan kontak pengganti",
                "Memberikan kata sandi surel kepada rekan agar ia membalas setiap surel yang masuk",
                "Meneruskan semua surel kantor ke surel pribadi",
                "Membuat aturan yang menghapus semua surel yang masuk selama cuti",
                "Mencantumkan nomor ponsel pribadi di tanda tangan surel tanpa keterangan cuti",
                "Mengirim kabar cuti kepada kontak yang sering berkirim surel tanpa mengaktifkan balasan otomatis",
                situasi="pemberitahuan otomatis kepada setiap pengirim selama masa cuti dua minggu",
            ),
        ),
        detail=(
            "Surel itu harus terkirim hari ini.",
            "Surel itu dikirim dari akun surel kantor.",
            "Isinya sudah disetujui atasan.",
        ),
    ),
    tpl(
        "{aktor} ingin {n[tujuan]}. {detail} Cara yang paling tepat adalah ...",
        mc_options("n", 5),
        aktor=_ACTORS,
        n=(
            mc(
                "Memakai pola tahun-bulan di awal nama, misalnya 2026-03 Laporan Bulanan",
                "Memakai nama bulan di awal nama, misalnya Maret 2026 Laporan Bulanan",
                "Memakai pola bulan-tahun di awal nama, misalnya 03-2026 Laporan Bulanan",
                "Memakai kata final dan revisi, misalnya Laporan Bulanan final revisi 2",
                "Memakai kata terbaru, misalnya Laporan Bulanan terbaru",
                "Memakai nama penyusun di awal nama, misalnya Rina Laporan Bulanan",
                tujuan="menamai berkas laporan bulanan agar selalu berurutan menurut waktu ketika diurutkan "
                "berdasarkan "
                "nama, termasuk lintas tahun",
            ),
            mc(
                "Memulihkannya dari folder sampah (trash) penyimpanan awan",
                "Membuat ulang berkas itu dari awal",
                "Mengosongkan folder sampah (trash) agar sinkronisasi berjalan lagi",
                "Memasang ulang aplikasi penyimpanan awan di laptop",
                "Memformat ulang laptop agar berkasnya muncul kembali",
                "Mengganti kata sandi akun penyimpanan awan",
                tujuan="mengembalikan berkas yang kemarin tidak sengaja terhapus dari folder bersama di penyimpanan "
                "awan "
                "kantor",
            ),
            mc(
                "Membuka riwayat versi (version history) dokumen dan memulihkan versi sebelum perubahan itu",
                "Menekan Ctrl+Z berulang kali di komputer sendiri",
                "Menghapus dokumen itu, lalu membuat dokumen baru",
                "Meminta rekan tersebut mengetik ulang isi lama dari ingatannya",
                "Mengubah hak akses semua orang menjadi hanya-lihat",
                "Mengunduh dokumen versi sekarang sebagai cadangan",
                tujuan="mengembalikan isi dokumen bersama ke keadaan sebelum diubah secara keliru oleh seorang rekan "
                "tadi "
                "pagi",
            ),
            mc(
                "Mengemas semuanya menjadi satu berkas arsip ZIP",
                "Mengganti ekstensi setiap berkas menjadi .zip",
                "Memindahkan semua berkas ke satu folder di desktop, lalu melampirkan foldernya",
                "Mengirim 40 surel terpisah",
                "Memperpendek nama setiap berkas",
                "Memindai ulang semua berkas dengan resolusi yang lebih tinggi",
                tujuan="mengirim 40 berkas pindaian sekaligus sebagai satu lampiran",
            ),
            mc(
                "Memakai fitur pencarian berkas dengan kata kunci judul dan filter tanggal",
                "Membuka folder satu per satu dari yang paling atas",
                "Mengurutkan semua berkas berdasarkan ukurannya",
                "Memindahkan semua berkas ke satu folder baru",
                "Menghapus berkas-berkas lama agar pencarian lebih mudah",
                "Mengganti nama semua berkas dengan nomor urut",
                tujuan="menemukan surat keputusan tahun lalu di antara ribuan berkas di komputer kantor",
            ),
            mc(
                "Memakai fitur pengenalan karakter optik (OCR)",
                "Mengganti ekstensi berkas dari .jpg menjadi .docx",
                "Memperbesar resolusi gambar pindaian",
                "Menempelkan gambar pindaian ke pengolah kata",
                "Mengemas berkas pindaian menjadi ZIP",
                "Mengubah gambar pindaian menjadi hitam-putih",
                tujuan="mengubah hasil pindaian surat menjadi teks yang dapat disunting",
            ),
        ),
        detail=(
            "Pekerjaan itu harus selesai hari ini.",
            "Komputer yang dipakai adalah laptop kantor.",
            "Pimpinan sedang menunggu hasilnya.",
        ),
    ),
    tpl(
        "Anda mengolah {data} di aplikasi lembar kerja dan ingin {s[aksi]}. {detail} Fitur yang paling tepat adalah "
        "...",
        mc_options("s", 5),
        s=(
            mc(
                "Saring (filter)",
                "Urutkan (sort)",
                "Sembunyikan kolom (hide column)",
                "Gabungkan sel (merge cells)",
                "Bekukan panel (freeze panes)",
                "Hapus duplikat (remove duplicates)",
                aksi="menampilkan hanya baris milik satu kecamatan tanpa menghapus baris lainnya",
            ),
            mc(
                "Bekukan panel (freeze panes)",
                "Saring (filter)",
                "Gabungkan sel (merge cells)",
                "Bungkus teks (wrap text)",
                "Urutkan (sort)",
                "Pemformatan bersyarat (conditional formatting)",
                aksi="membuat baris judul kolom tetap terlihat ketika menggulir ke bawah",
            ),
            mc(
                "Tabel pivot (pivot table)",
                "Bekukan panel (freeze panes)",
                "Bungkus teks (wrap text)",
                "Cari dan ganti (find and replace)",
                "Gabungkan sel (merge cells)",
                "Validasi data (data validation)",
                aksi="meringkas jumlah data per kecamatan dan per bulan dalam satu tabel ringkas",
            ),
            mc(
                "Pemformatan bersyarat (conditional formatting)",
                "Saring (filter)",
                "Tabel pivot (pivot table)",
                "Bekukan panel (freeze panes)",
                "Gabungkan sel (merge cells)",
                "Validasi data (data validation)",
                aksi="memberi warna secara otomatis pada sel yang nilainya di bawah target",
            ),
            mc(
                "Validasi data (data validation) berupa daftar pilihan",
                "Pemformatan bersyarat (conditional formatting)",
                "Bekukan panel (freeze panes)",
                "Tabel pivot (pivot table)",
                "Saring (filter)",
                "Bungkus teks (wrap text)",
                aksi="membatasi isian kolom status agar hanya berisi pilihan yang sudah ditentukan",
            ),
            mc(
                "Hapus duplikat (remove duplicates)",
                "Urutkan (sort)",
                "Bekukan panel (freeze panes)",
                "Gabungkan sel (merge cells)",
                "Bungkus teks (wrap text)",
                "Tabel pivot (pivot table)",
                aksi="menemukan dan menghapus baris data yang tercatat dua kali",
            ),
        ),
        data=("data penerima bantuan", "rekap kunjungan layanan", "data capaian program", "data pengaduan warga"),
        detail=(
            "Lembar kerja itu berisi ribuan baris.",
            "Datanya akan dipaparkan dalam rapat besok.",
            "Berkas itu juga dipakai oleh beberapa rekan.",
        ),
    ),
)

_SHEET_DATA = (
    "realisasi anggaran per kegiatan",
    "jumlah pemohon per hari",
    "nilai tes peserta",
    "jumlah kunjungan pasien per hari",
    "jumlah surat masuk per minggu",
)
_SHEET_GOALS = {
    "SUM": "menjumlahkan seluruh data tersebut",
    "AVERAGE": "menghitung rata-ratanya",
    "MAX": "mencari nilai tertingginya",
    "MIN": "mencari nilai terendahnya",
}


def _sheet_function_item(rng: Rng) -> Draft:
    col, last, func = _pick(rng, "BCDEF"), int(rng.integers(11, 61)), _pick(rng, tuple(_SHEET_GOALS))
    cells = f"{col}2:{col}{last}"
    wrong = {
        "SUM": ["AVERAGE", "COUNT", "MAX", "MEDIAN"],
        "AVERAGE": ["SUM", "COUNT", "MEDIAN", "MAX"],
        "MAX": ["MIN", "SUM", "COUNT", "MODE"],
        "MIN": ["MAX", "SUM", "COUNT", "MODE"],
    }[func]
    distractors = [f"={w}({cells})" for w in wrong]
    distractors.append(f"=SUM({cells})/{last}" if func == "AVERAGE" else f"={col}2+{col}{last}")
    stem = (
        f"Pada aplikasi lembar kerja, data {_pick(rng, _SHEET_DATA)} tercatat di sel {col}2 sampai {col}{last}. "
        f"Rumus untuk {_SHEET_GOALS[func]} adalah ..."
    )
    return Draft(stem, (f"={func}({cells})", *distractors), f"sheet:{func}")


_COUNTIF_DATA = (
    ("permohonan", "Selesai", "Proses"),
    ("peserta", "Lulus", "Tidak Lulus"),
    ("surat", "Sudah Dibalas", "Belum Dibalas"),
    ("pengaduan", "Ditutup", "Ditindaklanjuti"),
)


def _sheet_countif_item(rng: Rng) -> Draft:
    col, last = _pick(rng, "CDEFG"), int(rng.integers(11, 81))
    obj, yes, other = _pick(rng, _COUNTIF_DATA)
    cells = f"{col}2:{col}{last}"
    stem = (
        f'Pada aplikasi lembar kerja, sel {col}2 sampai {col}{last} berisi status setiap {obj}, yaitu "{yes}" atau '
        f'"{other}". Pemisah argumen yang dipakai adalah titik koma. Rumus untuk menghitung banyaknya {obj} '
        f'berstatus "{yes}" adalah ...'
    )
    distractors = (
        f"=COUNT({cells})",
        f"=COUNTA({cells})",
        f'=SUMIF({cells};"{yes}")',
        f'=SUM({cells};"{yes}")',
        f'=IF({cells}="{yes}";1;0)',
    )
    return Draft(stem, (f'=COUNTIF({cells};"{yes}")', *distractors), "sheet:COUNTIF")


_SHEET_CONSTANTS = (
    "tarif retribusi per meter persegi",
    "persentase pajak daerah",
    "target tahunan unit",
    "harga satuan konsumsi rapat",
)


def _sheet_absolute_item(rng: Rng) -> Draft:
    col, row = _pick(rng, "BCDEFGH"), int(rng.integers(1, 4))
    formula_cell = f"{_pick(rng, 'CDEFGH')}{int(rng.integers(5, 10))}"
    stem = (
        f"Sel {col}{row} berisi {_pick(rng, _SHEET_CONSTANTS)}. Rumus di sel {formula_cell} memakai nilai itu dan "
        f"akan disalin ke bawah maupun ke samping. Agar rujukan ke sel {col}{row} tidak ikut berubah, alamat sel itu "
        "ditulis ..."
    )
    distractors = (f"{col}{row}", f"{col}${row}", f"${col}{row}", f"#{col}#{row}", f"[{col}{row}]")
    return Draft(stem, (f"${col}${row}", *distractors), "sheet:absolute")


def _storage_item(rng: Rng) -> Draft:
    media = _pick(rng, ("flashdisk", "kartu memori", "folder penyimpanan awan"))
    thing = _pick(rng, ("berkas pindaian", "foto kegiatan", "berkas presentasi"))
    cap, size = _pick(rng, (2, 4, 8, 16)), _pick(rng, (3, 6, 7, 12, 15, 24, 45))
    key = cap * 1024 // size
    traps = (cap * 1000 // size, key + 1, cap * 1024 // (size * 10), cap * 10240 // size)
    stem = (
        f"Sebuah {media} berkapasitas {cap} GB masih kosong. Paling banyak berapa {thing} berukuran {size} MB "
        "yang dapat disimpan di dalamnya? (Anggap 1 GB = 1.024 MB.)"
    )
    options = [f"{_num(v)} berkas" for v in (key, *_numeric_distractors(key, traps))]
    return Draft(stem, tuple(options), "storage")


_ETIKA = (
    tpl(
        "{p[siapa]} meminta Anda mengirimkan {data} melalui {kanal} untuk {p[untuk]}. Tindakan yang paling tepat "
        "sesuai prinsip pelindungan data pribadi adalah ...",
        (
            "Tidak memberikan data tersebut sebelum ada dasar hukum, persetujuan, dan mekanisme resmi dari instansi, "
            "lalu mengarahkan permintaan itu melalui jalur resmi",
            "Mengirimkan data tersebut karena peminta berjanji akan menjaganya",
            "Mengirimkan data tersebut setelah menghapus kolom nama saja",
            "Mengirimkan sebagian data terlebih dahulu sebagai contoh",
            "Mengunggah data itu ke folder publik agar peminta dapat mengunduhnya sendiri",
            "Mengirimkannya dengan syarat ada imbalan sebagai biaya pengolahan data",
        ),
        p=(
            {"siapa": "Seorang kenalan dari perusahaan swasta", "untuk": "promosi produk asuransi"},
            {"siapa": "Seorang rekan dari instansi lain", "untuk": "pemutakhiran data di instansinya"},
            {"siapa": "Seorang wartawan", "untuk": "bahan liputan"},
            {"siapa": "Panitia sebuah seminar", "untuk": "mengundang peserta ke acara mereka"},
        ),
        data=(
            "daftar nama dan NIK penerima bantuan",
            "salinan KTP dan kartu keluarga para pemohon izin",
            "data rekam medis pasien puskesmas",
            "daftar nomor telepon dan alamat peserta pelatihan",
        ),
        kanal=("aplikasi pesan", "surel pribadi", "flashdisk"),
    ),
    tpl(
        "Anda ingin mengunggah {k[konten]} ke akun media sosial resmi {unit} sebagai {tujuan}. Langkah yang paling "
        "tepat sebelum mengunggahnya adalah ...",
        mc_options("k", 4),
        k=(
            mc(
                "Menyamarkan nama, nomor telepon, dan identitas lain warga tersebut",
                "Mengunggahnya apa adanya agar terlihat autentik",
                "Menambahkan keterangan yang menyindir warga yang mengadu",
                "Mengunggahnya setelah memotong bagian tanggalnya saja",
                "Menandai akun pribadi warga tersebut agar ia mengetahuinya",
                konten="tangkapan layar percakapan pengaduan seorang warga",
            ),
            mc(
                "Memastikan ada persetujuan orang tua atau mengaburkan wajah anak-anak",
                "Mengunggahnya karena kegiatan itu terbuka untuk umum",
                "Menandai akun orang tua anak-anak pada foto tersebut",
                "Mencantumkan nama lengkap dan alamat anak-anak agar informatif",
                "Mengunggahnya dengan resolusi yang lebih rendah saja",
                konten="foto kegiatan posyandu yang memperlihatkan wajah anak-anak",
            ),
            mc(
                "Menutup atau mengaburkan NIK, alamat, dan data pribadi lain pada berkas itu",
                "Mengunggahnya karena pemohon sudah menyerahkan berkasnya kepada kantor",
                "Mengubah fotonya menjadi hitam-putih",
                "Mengunggahnya sebagai cerita (story) yang hilang dalam 24 jam",
                "Menambahkan tanda air berlogo instansi",
                konten="foto berkas permohonan yang memuat NIK dan alamat pemohon",
            ),
            mc(
                "Tidak menampilkan wajah dan identitas warga tersebut kecuali ia memberikan persetujuan",
                "Mengunggahnya agar warga lain tidak meniru perilakunya",
                "Memberi judul yang menonjolkan kemarahan warga agar banyak ditonton",
                "Menghapus suara petugas dari video tersebut",
                "Mengunggahnya setelah jam kerja",
                konten="video pelayanan yang merekam seorang warga sedang mengeluh dengan emosi",
            ),
            mc(
                "Hanya mencantumkan nomor peserta dan informasi yang memang wajib diumumkan",
                "Mencantumkan nama lengkap, alamat, dan nilai setiap peserta",
                "Menambahkan foto setiap peserta agar pengumuman lebih jelas",
                "Mengunggahnya tanpa pemeriksaan karena data itu milik kantor",
                "Membagikannya juga ke grup percakapan warga",
                konten="pengumuman hasil seleksi yang memuat data peserta yang tidak lulus",
            ),
        ),
        tujuan=("bahan publikasi kinerja", "contoh layanan yang responsif", "laporan kegiatan kepada masyarakat"),
        unit=_UNITS,
    ),
    tpl(
        "Di grup percakapan {grup}, seorang anggota membagikan {konten}. {detail} Sikap yang paling tepat adalah ...",
        (
            "Tidak meneruskannya, mengingatkan pengirim dengan santun tentang etika dan risiko hukumnya, serta "
            "memintanya menghapus konten itu",
            "Meneruskannya ke grup lain agar lebih banyak orang tahu",
            "Memberi tanda suka agar pengirimnya tidak tersinggung",
            "Menyimpannya untuk berjaga-jaga lalu membagikannya nanti",
            "Menambahkan komentar yang lebih keras terhadap pihak yang dibicarakan",
            "Membiarkannya karena grup itu bersifat tertutup",
        ),
        grup=("alumni kampus", "RT tempat tinggal Anda", "pegawai kantor", "keluarga besar"),
        konten=(
            "tangkapan layar berisi tuduhan korupsi terhadap seorang pejabat yang belum terbukti",
            "video yang merendahkan kelompok agama tertentu",
            "foto kecelakaan yang memperlihatkan korban secara jelas",
            "tulisan yang menjadikan suku tertentu sebagai bahan olok-olok",
            "data pribadi seorang warga yang dituduh melakukan penipuan",
            "meme yang mengejek kondisi fisik seorang rekan kerja",
        ),
        detail=(
            "Beberapa anggota sudah memberi tanda suka.",
            "Pengirimnya adalah orang yang Anda segani.",
            "Konten itu sudah dibagikan di banyak grup lain.",
        ),
    ),
    tpl(
        "Anda sedang membuat {m[media]} untuk {acara} dan ingin memakai {m[aset]} yang Anda temukan di internet. "
        "{detail} Langkah yang paling tepat adalah ...",
        (
            "Memakai materi berlisensi bebas atau meminta izin pemilik hak cipta, lalu mencantumkan sumbernya",
            "Memakainya karena materi yang ada di internet boleh digunakan siapa saja",
            "Memakainya tanpa izin asalkan hasilnya tidak dijual",
            "Memotong sebagian materi itu agar pelanggaran hak cipta tidak terdeteksi",
            "Menghapus tanda air dari materi tersebut sebelum memakainya",
            "Mengaku sebagai pembuat materi itu agar tidak dipersoalkan",
        ),
        m=(
            {"media": "video profil kantor", "aset": "lagu populer sebagai musik latar"},
            {"media": "poster sosialisasi", "aset": "foto karya seorang fotografer"},
            {"media": "bahan paparan", "aset": "infografik dari sebuah media daring"},
            {"media": "buletin internal", "aset": "ilustrasi dari sebuah situs berbagi gambar"},
        ),
        acara=("peringatan hari jadi instansi", "kampanye layanan publik", "rapat kerja tahunan"),
        detail=(
            "Tenggat pembuatannya tinggal dua hari.",
            "Hasilnya akan diunggah ke kanal resmi instansi.",
            "Atasan ingin hasilnya terlihat menarik.",
        ),
    ),
    tpl(
        "Anda tidak setuju dengan {kebijakan} dan ingin menanggapinya di {platform}. {detail} Cara yang paling "
        "sesuai dengan etika ASN adalah ...",
        (
            "Menyampaikan masukan yang santun dan berbasis data melalui kanal resmi, tanpa menyerang pribadi siapa pun",
            "Mengunggah kritik bernada kasar di akun pribadi agar didengar",
            "Membuat akun anonim untuk menyebarkan sindiran",
            "Membagikan dokumen internal yang belum dipublikasikan sebagai bukti",
            "Menandai akun pimpinan dalam unggahan yang berisi ejekan",
            "Ikut menyebarkan unggahan orang lain yang berisi hinaan",
        ),
        kebijakan=(
            "kebijakan baru tentang jam kerja pegawai",
            "keputusan pemerintah daerah menaikkan tarif retribusi pasar",
            "perubahan aturan kenaikan pangkat",
            "rencana penggabungan dua dinas",
        ),
        platform=("media sosial", "grup percakapan alumni", "kolom komentar portal berita"),
        detail=(
            "Tagar tentang hal itu sedang ramai dibicarakan.",
            "Beberapa rekan mengajak Anda ikut berkomentar.",
            "Anda merasa kebijakan itu merugikan banyak pegawai.",
        ),
    ),
    tpl(
        "Anda ingin memakai layanan kecerdasan artifisial (AI) generatif publik untuk {tugas} {dok}. {detail} "
        "Langkah yang paling tepat adalah ...",
        (
            "Tidak memasukkan isi dokumen itu ke layanan AI publik, kecuali bagian yang tidak rahasia, atau memakai "
            "layanan yang disetujui instansi",
            "Mengunggah seluruh dokumen karena layanan AI tidak menyimpan data",
            "Mengunggahnya dari akun pribadi agar tidak tercatat atas nama kantor",
            "Mengganti judul dokumen, lalu mengunggah seluruh isinya",
            "Mengunggahnya pada malam hari ketika layanan sedang sepi",
            "Meminta rekan mengunggahkannya untuk Anda",
        ),
        tugas=("merangkum", "menerjemahkan", "memperbaiki tata bahasa"),
        dok=(
            "laporan hasil audit internal yang belum dipublikasikan",
            "notula rapat yang memuat data pribadi pegawai",
            "daftar pengaduan warga beserta nomor teleponnya",
            "rancangan kebijakan yang masih dirahasiakan",
        ),
        detail=(
            "Tenggat pekerjaan sudah sangat dekat.",
            "Rekan Anda mengatakan semua orang sudah melakukannya.",
            "Anda belum membaca pedoman internal tentang penggunaan AI.",
        ),
    ),
    tpl(
        "Anda perlu {k[tujuan]} kepada {penerima} melalui {kanal}. Cara yang paling sesuai dengan etika "
        "berkomunikasi digital adalah ...",
        mc_options("k", 4),
        k=(
            mc(
                "Mengirim pesan yang sopan pada jam kerja, menyebutkan tenggat dan hal yang dibutuhkan dengan jelas",
                "Menulis seluruh pesan dengan huruf kapital agar lebih diperhatikan",
                "Mengirim pesan yang sama berulang kali setiap beberapa menit",
                "Menyindir pihak yang terlambat di grup yang lebih besar",
                "Mengirim pengingat pada tengah malam agar langsung terbaca pagi harinya",
                tujuan="mengingatkan tenggat laporan",
            ),
            mc(
                "Menyampaikan salam, tujuan, rincian data, format, dan tenggatnya dengan jelas serta menyertakan "
                "kontak Anda",
                'Mengirim satu kata "data?" tanpa penjelasan',
                "Menulis permintaan dengan huruf kapital semua",
                "Meneruskan permintaan itu ke seluruh pegawai dengan banyak tembusan yang tidak perlu",
                "Menghubunginya berkali-kali di luar jam kerja",
                tujuan="meminta data",
            ),
            mc(
                "Menyampaikannya secara pribadi dan santun dengan menunjukkan bagian yang perlu diperbaiki",
                "Mengumumkan kesalahan itu di grup besar agar menjadi pelajaran",
                "Memperbaikinya diam-diam tanpa memberi tahu siapa pun",
                "Mengirim tangkapan layar kesalahan itu langsung kepada pimpinan",
                "Menuliskan kritik dengan tanda seru berulang-ulang",
                tujuan="menyampaikan koreksi atas data keliru dalam laporannya",
            ),
            mc(
                "Mengunggahnya ke penyimpanan awan kantor dan mengirim tautan dengan akses yang sesuai beserta "
                "penjelasan singkat",
                "Memecahnya menjadi puluhan pesan tanpa keterangan",
                "Mengirimnya ke semua pegawai agar pasti sampai",
                "Mengirimnya tanpa pesan pengantar apa pun",
                "Mengirimnya dari akun pribadi tanpa memberi tahu isinya",
                tujuan="mengirim dokumen berukuran besar",
            ),
            mc(
                "Membalas secara santun dengan alasan singkat dan menawarkan perwakilan atau waktu lain",
                "Tidak membalas sama sekali",
                'Membalas dengan satu kata "tidak bisa"',
                "Menerima undangan itu, lalu tidak hadir",
                "Membalas ke semua peserta dengan keluhan panjang tentang jadwal rapat",
                tujuan="menyampaikan bahwa Anda tidak dapat menghadiri rapat yang jadwalnya bentrok",
            ),
        ),
        penerima=("rekan di bidang lain", "pejabat di instansi mitra", "anggota tim kerja"),
        kanal=("surel", "aplikasi pesan"),
    ),
    tpl(
        "Saat menyusun {d[dok]} di {unit}, Anda ingin memakai {d[bahan]}. {detail} Tindakan yang paling tepat "
        "adalah ...",
        (
            "Memakainya dengan mencantumkan sumber dan penulisnya secara jelas, baik sebagai kutipan langsung maupun "
            "parafrasa",
            "Menyalinnya tanpa menyebut sumber karena dipakai untuk kepentingan dinas, bukan untuk dijual",
            "Mengubah beberapa kata agar tidak terdeteksi aplikasi pemeriksa plagiarisme",
            "Mencantumkan sumbernya hanya bila ada yang menanyakan",
            "Menyajikannya sebagai hasil kajian unit Anda sendiri",
            "Meminta rekan menulis ulang bahan itu, lalu mencantumkan nama rekan tersebut sebagai penulisnya",
        ),
        d=(
            {"dok": "kajian kebijakan", "bahan": "beberapa paragraf dari sebuah jurnal ilmiah"},
            {"dok": "naskah sambutan pimpinan", "bahan": "kutipan dari artikel opini seorang akademisi"},
            {"dok": "laporan hasil pelatihan", "bahan": "bagan dari modul milik lembaga pelatihan lain"},
            {"dok": "bahan paparan rapat kerja", "bahan": "data hasil survei dari situs sebuah lembaga riset"},
            {"dok": "artikel untuk situs web kantor", "bahan": "uraian dari tulisan blog seorang pakar"},
            {
                "dok": "naskah akademik rancangan peraturan daerah",
                "bahan": "kerangka analisis dari tesis seorang mahasiswa",
            },
        ),
        unit=_UNITS[:4],
        detail=(
            "Tenggat penyusunannya tinggal dua hari.",
            "Dokumen itu akan dipublikasikan.",
            "Rekan Anda mengatakan tidak akan ada yang memeriksa sumbernya.",
        ),
    ),
    tpl(
        "Anda mengelola akun media sosial resmi {unit}. {s[situasi]} {detail} Tindakan yang paling tepat adalah ...",
        mc_options("s", 5),
        s=(
            mc(
                "Membalas dengan sopan, meminta maaf atas ketidaknyamanannya, dan mengarahkannya ke kanal pengaduan "
                "agar keluhannya ditindaklanjuti",
                "Menghapus komentar itu dan memblokir akunnya",
                "Membalas dengan menyebutkan kesalahan warga itu di depan umum",
                "Mengabaikannya karena akun resmi tidak wajib membalas komentar",
                "Membalas dengan nada sindiran agar warga lain tidak ikut mengeluh",
                "Membalasnya dari akun pribadi Anda dengan nada keras",
                situasi="Seorang warga menulis komentar bernada marah tentang layanan yang lambat.",
            ),
            mc(
                "Segera memperbaiki unggahan itu dan menerbitkan ralat yang jelas",
                "Membiarkannya karena hanya sedikit warga yang membacanya",
                "Menghapusnya diam-diam tanpa ralat apa pun",
                "Menyalahkan rekan pembuat desainnya di kolom komentar",
                "Menunggu sampai ada warga yang protes",
                "Mematikan kolom komentar agar kesalahan itu tidak dibahas",
                situasi="Anda menyadari bahwa pengumuman jadwal layanan yang Anda unggah tadi pagi memuat tanggal yang "
                "salah.",
            ),
            mc(
                "Menolaknya karena akun resmi hanya untuk informasi layanan dan kepentingan publik, bukan untuk "
                "promosi "
                "usaha pribadi",
                "Mengunggahnya karena pemilik usahanya kerabat pejabat",
                "Mengunggahnya sebagai cerita (story) agar cepat hilang",
                "Meminta imbalan sebelum mengunggahnya",
                "Mengunggahnya asalkan dilakukan di luar jam kerja",
                "Mengunggahnya, lalu menghapusnya keesokan harinya",
                situasi="Seorang kenalan meminta akun resmi ikut mempromosikan usaha katering milik kerabat seorang "
                "pejabat.",
            ),
            mc(
                "Menanggapinya dengan informasi resmi yang jelas beserta sumbernya, tanpa menyerang pribadi "
                "penyebarnya",
                "Membalas dengan hinaan agar penyebarnya jera",
                "Membuka data pribadi penyebarnya agar diketahui warganet",
                "Menghapus semua komentar pada unggahan itu, termasuk yang tidak bermasalah",
                "Mengabaikannya walaupun kabar bohong itu terus dibagikan",
                "Meminta rekan-rekan membuat akun palsu untuk membantahnya",
                situasi="Sebuah akun menyebarkan kabar bohong tentang biaya layanan di kolom komentar akun resmi.",
            ),
            mc(
                "Membalas bahwa data pribadi sebaiknya tidak dikirim lewat media sosial, mengarahkannya ke kanal "
                "layanan "
                "resmi, dan tidak menyimpan atau menyebarkan foto dokumennya",
                "Mengunggah tangkapan layar pesan itu sebagai contoh warga yang tidak membaca pengumuman",
                "Meneruskan foto dokumen itu ke grup percakapan kantor agar cepat diproses",
                "Menyimpan foto dokumen itu di ponsel pribadi untuk arsip",
                "Meminta warga itu mengirim data pribadi tambahan melalui pesan langsung",
                "Mengabaikan pesan itu tanpa membalas",
                situasi="Seorang warga mengirim pesan langsung berisi foto KTP dan kartu keluarganya untuk menanyakan "
                "status permohonannya.",
            ),
            mc(
                "Menyampaikan dengan santun bahwa akun resmi instansi harus netral dan tidak boleh dipakai untuk "
                "kegiatan politik praktis",
                "Mengunggahnya karena permintaan itu datang dari seorang pejabat",
                "Mengunggahnya tanpa keterangan agar tidak terlihat sebagai kampanye",
                "Mengunggahnya, lalu menonaktifkan kolom komentar",
                "Mengunggahnya di akun pribadi Anda sebagai gantinya",
                "Mengunggahnya pada malam hari agar tidak banyak yang melihat",
                situasi="Seorang pejabat meminta akun resmi mengunggah foto dukungan kepada salah satu calon kepala "
                "daerah.",
            ),
        ),
        unit=_UNITS[:4],
        detail=(
            "Akun itu diikuti puluhan ribu warga.",
            "Hari itu Anda bertugas sendirian.",
            "Kejadian itu berlangsung pada akhir pekan.",
        ),
    ),
    tpl(
        "Anda hendak mengunggah {u[konten]} di {platform}. {detail} Keputusan yang paling tepat adalah ...",
        mc_options("u", 5),
        u=(
            mc(
                "Tidak mengunggahnya karena data pribadi pemohon dapat terbaca",
                "Mengunggahnya karena hanya teman yang dapat melihatnya",
                "Mengunggahnya dengan kecerahan foto yang diturunkan",
                "Mengunggahnya sebagai cerita yang hilang dalam 24 jam",
                "Mengunggahnya asalkan wajah Anda tidak tampak",
                "Mengunggahnya, lalu menghapusnya sore hari",
                konten="foto meja kerja Anda yang tanpa sengaja memperlihatkan layar berisi data pemohon layanan",
            ),
            mc(
                "Tidak mengunggahnya dan menyelesaikan persoalannya secara langsung atau melalui jalur yang tepat",
                "Mengunggahnya tanpa menyebut nama karena ciri-cirinya sudah cukup jelas",
                "Mengunggahnya dari akun samaran",
                "Mengunggahnya karena urusan pribadi tidak terkait dengan kantor",
                "Mengunggahnya hanya untuk teman dekat",
                "Mengunggahnya, lalu menyangkal bila ada yang bertanya",
                konten="tulisan yang menjelek-jelekkan atasan dan seorang rekan kerja dengan menyebut ciri-ciri mereka",
            ),
            mc(
                "Tidak mengunggahnya karena informasi internal itu belum boleh dipublikasikan",
                "Mengunggahnya karena rekan-rekan berhak tahu lebih awal",
                "Mengunggahnya setelah mengaburkan foto profil anggota grup",
                'Mengunggahnya dengan keterangan "kabar burung"',
                "Mengunggahnya hanya untuk teman dekat",
                "Mengunggahnya, lalu menghapusnya setelah ada pengumuman resmi",
                konten="tangkapan layar percakapan grup kantor yang membahas rencana mutasi pegawai yang belum "
                "diumumkan",
            ),
            mc(
                "Tidak mengunggahnya karena dapat mempermalukan warga itu dan melanggar privasinya",
                "Mengunggahnya dengan sedikit mengaburkan wajah warga itu",
                "Mengunggahnya karena kejadiannya memang lucu",
                "Mengunggahnya dengan musik latar agar lebih menghibur",
                "Mengunggahnya dari akun samaran",
                "Mengunggahnya hanya untuk rekan-rekan kantor",
                konten="video seorang warga lanjut usia yang kebingungan mengisi formulir di loket Anda",
            ),
            mc(
                "Tidak mengunggahnya karena ASN wajib menjaga netralitas, termasuk di media sosial",
                "Mengunggahnya karena itu ruang pribadi Anda",
                "Mengunggahnya tanpa tagar nama calon",
                "Cukup memberi tanda suka pada unggahan calon itu karena tanda suka tidak termasuk dukungan",
                "Mengunggahnya di luar jam kerja",
                "Mengunggahnya melalui akun anggota keluarga",
                konten="komentar yang mendukung salah satu pasangan calon kepala daerah",
            ),
            mc(
                "Menyampaikan ucapan duka tanpa menampilkan foto korban demi menghormati korban dan keluarganya",
                "Mengunggah foto itu agar orang lain lebih berhati-hati",
                "Mengunggahnya dengan peringatan konten sensitif saja",
                "Mengunggah foto itu dalam ukuran kecil",
                "Mengunggahnya hanya sebagai cerita 24 jam",
                "Menandai akun keluarga korban agar mereka segera tahu",
                konten="ucapan duka untuk korban kecelakaan disertai foto korban yang terlihat jelas",
            ),
        ),
        platform=("akun media sosial pribadi", "status aplikasi pesan Anda", "grup percakapan alumni Anda"),
        detail=(
            "Akun Anda diikuti banyak rekan kantor.",
            "Anda ingin unggahan itu menarik banyak perhatian.",
            "Teman-teman Anda biasa mengunggah hal serupa.",
        ),
    ),
    tpl(
        "Dalam rapat daring {rapat}, {e[situasi]}. {detail} Tindakan yang paling tepat adalah ...",
        mc_options("e", 5),
        e=(
            mc(
                "Memberi tahu peserta dan meminta persetujuan pemimpin rapat sebelum mulai merekam",
                "Merekam diam-diam dengan aplikasi perekam layar",
                "Merekam, lalu mengunggahnya ke kanal video publik",
                "Merekam tanpa pemberitahuan karena rapat itu resmi",
                "Merekam suaranya saja karena rekaman suara tidak memerlukan izin",
                "Meminta peserta mematikan kamera, lalu merekam tanpa pemberitahuan",
                situasi="Anda ingin merekam jalannya rapat sebagai bahan notula",
            ),
            mc(
                "Memberi tahu peserta itu dengan halus agar menghentikan berbagi layar, serta tidak menyimpan atau "
                "menyebarkan isi percakapan tersebut",
                "Mengambil tangkapan layar untuk bahan candaan",
                "Membacakan isi percakapan itu agar ia lebih berhati-hati",
                "Diam saja, lalu menceritakannya kepada rekan lain setelah rapat",
                "Meneruskan tangkapan layarnya kepada atasan peserta itu",
                "Ikut mengomentari isi percakapan itu di kolom obrolan rapat",
                situasi="seorang peserta berbagi layar dan tanpa sengaja menampilkan percakapan pribadinya",
            ),
            mc(
                "Memberi tahu pemimpin rapat alasannya dan tetap berpartisipasi melalui suara atau kolom obrolan",
                "Keluar dari rapat tanpa pemberitahuan",
                "Mematikan mikrofon dan kamera tanpa memberi tahu, lalu tidak menanggapi panggilan",
                "Tetap terhubung, tetapi meninggalkan perangkat untuk mengerjakan hal lain",
                "Meminta rekan menjawab pertanyaan atas nama Anda",
                "Memaksa menyalakan kamera walaupun suara Anda menjadi putus-putus bagi semua peserta",
                situasi="koneksi internet Anda lemah sehingga Anda tidak dapat menyalakan kamera",
            ),
            mc(
                "Menuliskan pertanyaan di kolom obrolan atau memakai fitur angkat tangan, lalu menunggu dipersilakan",
                "Langsung menyalakan mikrofon dan memotong paparan",
                "Mengirim pesan pribadi berulang kali kepada narasumber",
                "Menunggu rapat selesai, lalu mengeluh di grup bahwa tidak diberi kesempatan",
                "Menulis pertanyaan dengan huruf kapital semua di kolom obrolan",
                "Meminta peserta lain memotong paparan untuk menyampaikan pertanyaan Anda",
                situasi="Anda ingin bertanya ketika narasumber masih memaparkan materi",
            ),
            mc(
                "Menolak dengan sopan karena rapat itu hanya untuk peserta yang diundang",
                "Membagikannya asalkan kenalan itu mematikan kamera",
                "Membagikannya karena tidak ada yang akan memeriksa daftar peserta",
                "Membagikan tautan itu ke grup alumni sekalian",
                "Merekam rapat dan mengirimkan rekamannya kepadanya",
                "Membagikannya setelah rapat dimulai agar tidak terlihat oleh pemimpin rapat",
                situasi="seorang kenalan dari luar instansi meminta Anda membagikan tautan rapat itu agar ia dapat "
                "ikut "
                "menyimak",
            ),
            mc(
                "Tidak ikut mengejek dan menanggapi pendapat tersebut secara santun berdasarkan isinya",
                "Ikut menambahkan emoji tertawa di kolom obrolan",
                "Mengambil tangkapan layar ejekan itu untuk dibagikan ke grup lain",
                "Keluar dari rapat karena suasananya tidak nyaman",
                "Membalas ejekan itu dengan ejekan yang lebih keras",
                "Mengirim pesan pribadi kepada peserta itu agar ia tidak berpendapat lagi",
                situasi="seorang peserta menyampaikan pendapat yang berbeda dan peserta lain mulai mengejeknya di "
                "kolom "
                "obrolan",
            ),
        ),
        rapat=(
            "koordinasi lintas dinas",
            "evaluasi kinerja triwulan",
            "sosialisasi kebijakan baru",
            "pembahasan anggaran",
        ),
        detail=(
            "Rapat itu diikuti lebih dari lima puluh peserta.",
            "Rapat dipimpin langsung oleh kepala dinas.",
            "Rapat sudah berjalan setengah jam.",
        ),
    ),
)

_KEAMANAN = (
    tpl(
        "Anda menerima surel yang mengatasnamakan {pihak}. Surel itu {isi} dan meminta Anda {aksi} melalui tautan "
        "yang disertakan. Tindakan yang paling tepat adalah ...",
        (
            "Tidak membuka tautannya, memastikan keasliannya melalui kanal resmi, dan melaporkan surel itu kepada "
            "tim keamanan siber kantor",
            "Membuka tautannya untuk memeriksa apakah situsnya terlihat resmi",
            "Membalas surel itu untuk menanyakan keasliannya",
            "Meneruskan surel itu ke semua rekan agar mereka waspada",
            "Mengisi data yang diminta karena logonya sama dengan logo aslinya",
            "Menghapusnya tanpa melapor kepada siapa pun",
        ),
        pihak=("bagian TI kantor", "bank tempat gaji pegawai dibayarkan", "BKN", "penyedia layanan surel"),
        isi=(
            "menyebutkan bahwa akun Anda akan diblokir dalam 24 jam",
            "mengabarkan bahwa Anda memenangi undian berhadiah",
            "memberitahukan pemutakhiran data kepegawaian yang mendesak",
        ),
        aksi=(
            "memasukkan nama pengguna dan kata sandi",
            "mengisi nomor rekening dan kode OTP",
            "mengunduh formulir pemutakhiran data",
        ),
    ),
    tpl(
        "Seseorang menelepon Anda dan mengaku sebagai {pihak}. Ia meminta {kode} yang baru saja masuk ke ponsel Anda "
        "dengan alasan {alasan}. Tindakan yang paling tepat adalah ...",
        (
            "Tidak memberikan kode itu kepada siapa pun, menutup telepon, lalu menghubungi lembaga terkait melalui "
            "nomor resminya",
            "Memberikan kode itu karena penelepon mengetahui nama lengkap Anda",
            "Memberikan separuh kode untuk menguji keaslian penelepon",
            "Meminta penelepon mengirim ulang kode lain melalui pesan singkat",
            "Menanyakan nama penelepon, lalu memberikan kodenya",
            "Memberikan kode itu setelah penelepon menyebutkan NIP Anda dengan benar",
        ),
        pihak=(
            "petugas bank",
            "staf bagian kepegawaian",
            "petugas layanan pelanggan operator seluler",
            "petugas BPJS Kesehatan",
        ),
        kode=("kode OTP", "kode verifikasi aplikasi pesan"),
        alasan=(
            "transaksi mencurigakan di rekening Anda perlu dibatalkan",
            "data gaji Anda perlu diperbarui",
            "hadiah undian untuk Anda akan segera dikirim",
        ),
    ),
    tpl(
        "Anda sedang berada di {tempat} dan perlu {aksi} segera. Di sana tersedia Wi-Fi gratis tanpa kata sandi. "
        "{detail} Tindakan yang paling aman adalah ...",
        (
            "Memakai koneksi data seluler pribadi atau VPN resmi kantor, bukan Wi-Fi terbuka tersebut",
            "Memakai Wi-Fi tersebut karena situs kantor sudah memakai HTTPS",
            "Memakai Wi-Fi tersebut, lalu segera mengganti kata sandi setelahnya",
            "Meminjam laptop pengunjung lain yang sudah terhubung ke jaringan itu",
            "Memakai Wi-Fi tersebut dengan mode penyamaran (incognito) pada peramban",
            "Memakai Wi-Fi tersebut asalkan sinyalnya kuat",
        ),
        tempat=("bandara", "sebuah kafe", "lobi hotel", "stasiun kereta"),
        aksi=(
            "mengirim berkas laporan yang memuat data pribadi warga",
            "masuk ke aplikasi keuangan kantor",
            "menyetujui dokumen melalui aplikasi tata naskah dinas",
        ),
        detail=(
            "Beberapa pengunjung lain juga memakai jaringan itu.",
            "Nama jaringannya mirip dengan nama tempat tersebut.",
            "Anda harus menyelesaikannya dalam sepuluh menit.",
        ),
    ),
    tpl(
        "{unit} menyimpan {data} hanya di satu komputer. {detail} Praktik pencadangan yang paling tepat adalah ...",
        (
            "Membuat beberapa salinan terjadwal di media yang berbeda, termasuk satu salinan di lokasi terpisah atau "
            "layanan awan resmi, dan menguji pemulihannya secara berkala",
            "Menyalin data itu ke folder lain di komputer yang sama",
            "Mencetak semua data sebagai cadangan",
            "Menyalin data itu ke flashdisk pribadi yang dibawa pulang oleh seorang pegawai",
            "Mencadangkan data setahun sekali menjelang audit",
            "Memindahkan data ke komputer yang lebih baru tanpa menyimpan salinan lain",
        ),
        unit=_UNITS,
        data=(
            "arsip digital surat keputusan",
            "basis data penerima bantuan",
            "hasil pindaian dokumen kepegawaian",
            "data keuangan kegiatan",
        ),
        detail=(
            "Komputer itu sudah berumur tujuh tahun.",
            "Minggu lalu instansi tetangga terkena serangan ransomware.",
            "Listrik di kantor sering padam.",
        ),
    ),
    tpl(
        'Anda menerima pesan WhatsApp dari {pengirim} berisi berkas "{b[nama]}" yang disebut sebagai {b[klaim]}. '
        "{detail} Tindakan yang paling tepat adalah ...",
        (
            "Tidak mengunduh atau memasang berkas itu, menghapus pesannya, lalu memblokir dan melaporkan nomor "
            "pengirimnya",
            "Mengunduhnya untuk melihat isinya, lalu segera menghapusnya",
            "Membalas pesan itu untuk memastikan identitas pengirim sebelum membuka berkasnya",
            "Memasang berkas itu karena antivirus ponsel tidak memberi peringatan",
            "Meneruskannya kepada rekan yang lebih paham teknologi agar dibuka olehnya",
            "Membukanya di ponsel anggota keluarga agar ponsel kerja tetap aman",
        ),
        pengirim=("nomor yang tidak dikenal", "nomor yang mengaku kurir paket", "nomor berfoto profil logo bank"),
        b=(
            {"nama": "Undangan Pernikahan.apk", "klaim": "undangan pernikahan kerabat Anda"},
            {"nama": "Surat Tilang Elektronik.apk", "klaim": "bukti pelanggaran lalu lintas"},
            {"nama": "Foto Paket.apk", "klaim": "foto paket kiriman untuk Anda"},
            {"nama": "Tagihan BPJS.apk", "klaim": "rincian tunggakan iuran"},
        ),
        detail=(
            "Pengirim mendesak Anda segera membukanya.",
            "Pesan serupa juga diterima beberapa rekan kantor.",
            "Ponsel itu juga Anda pakai untuk aplikasi kantor.",
        ),
    ),
    tpl(
        "Kata sandi akun {akun} Anda diduga bocor karena {sebab}. {detail} Langkah yang paling tepat adalah ...",
        (
            "Segera mengganti kata sandi dengan yang kuat dan unik, mengaktifkan verifikasi dua langkah, dan "
            "melaporkannya kepada pengelola TI",
            "Menunggu sampai benar-benar terlihat aktivitas yang mencurigakan",
            "Mengganti kata sandi dengan menambahkan angka 1 di belakang kata sandi lama",
            "Memakai satu kata sandi baru yang sama untuk semua akun agar mudah diingat",
            "Menghapus riwayat peramban di komputer Anda",
            "Memberi tahu rekan agar tidak membuka akun tersebut",
        ),
        akun=("surel kantor", "aplikasi kepegawaian", "media sosial resmi instansi", "aplikasi keuangan daerah"),
        sebab=(
            "kata sandi yang sama pernah Anda pakai di situs belanja yang diretas",
            "Anda pernah masuk ke akun itu dari komputer umum di warnet",
            "Anda menuliskannya di kertas yang tertempel di monitor",
        ),
        detail=(
            "Belum ada aktivitas mencurigakan yang terlihat.",
            "Anda menerima pemberitahuan percobaan masuk dari kota lain.",
            "Akun itu juga dipakai oleh rekan satu tim Anda.",
        ),
    ),
    tpl(
        'Anda menemukan flashdisk bertuliskan "{label}" di {lokasi}. {detail} Tindakan yang paling tepat adalah ...',
        (
            "Tidak menyambungkannya ke komputer mana pun dan menyerahkannya kepada tim TI atau petugas keamanan kantor",
            "Menyambungkannya ke komputer untuk mencari tahu pemiliknya",
            "Membukanya di komputer umum agar komputer kerja tetap aman",
            "Memindainya dengan antivirus, lalu membuka isinya",
            "Memformat flashdisk itu, lalu memakainya sendiri",
            "Membawanya pulang dan membukanya di laptop pribadi",
        ),
        label=("Data Gaji 2026", "Rahasia", "Foto Kegiatan", "Soal Ujian"),
        lokasi=("tempat parkir kantor", "ruang rapat", "lobi pelayanan"),
        detail=(
            "Tidak ada yang mengakuinya sebagai miliknya.",
            "Rekan Anda penasaran ingin melihat isinya.",
            "Komputer di meja Anda sedang menyala.",
        ),
    ),
    tpl(
        "Anda bertugas sebagai {peran} di {unit}. Suatu hari, {k[situasi]}. Tindakan yang paling tepat adalah ...",
        mc_options("k", 5),
        k=(
            mc(
                "Mengunci layar komputer sebelum meninggalkan meja",
                "Mematikan monitornya saja",
                "Meminta rekan di sebelah mengawasi komputer Anda",
                "Membiarkannya karena hanya pergi sebentar",
                "Meminimalkan jendela aplikasi tanpa mengunci layar",
                "Menurunkan kecerahan layar agar isinya tidak terbaca",
                situasi="Anda harus meninggalkan meja sebentar, sementara aplikasi kerja masih terbuka di komputer",
            ),
            mc(
                "Menyimpan pekerjaan, lalu memasang pembaruan itu sesegera mungkin sesuai kebijakan TI",
                "Menunda pembaruan terus-menerus karena mengganggu pekerjaan",
                "Mematikan fitur pembaruan otomatis",
                "Mengunduh berkas pembaruan dari situs tidak resmi agar lebih cepat",
                "Menunggu sampai laptop bermasalah sebelum memasangnya",
                "Memasang ulang laptop dengan sistem operasi bajakan yang tidak perlu diperbarui",
                situasi="muncul pemberitahuan pembaruan keamanan sistem operasi pada laptop kantor Anda",
            ),
            mc(
                "Menyerahkannya kepada tim TI untuk penghapusan data secara aman atau penghancuran media sesuai "
                "prosedur",
                "Menghapus berkasnya, lalu mengosongkan tempat sampah (recycle bin) saja",
                "Menjual komputer itu ke pedagang barang bekas",
                "Memformat hard disk-nya sekali, lalu menghibahkannya kepada warga",
                "Menyimpannya di gudang tanpa pencatatan",
                "Membuangnya ke tempat sampah biasa",
                situasi="Anda diminta menyingkirkan komputer lama yang hard disk-nya berisi data warga",
            ),
            mc(
                "Tidak memasangnya dan meminta aplikasi yang sudah disetujui tim TI",
                "Memasangnya karena gratis dan banyak diunduh orang",
                "Memasangnya setelah mematikan antivirus agar tidak terganggu",
                "Memasang versi bajakan dari aplikasi berbayar sebagai gantinya",
                "Memasangnya memakai akun administrator milik rekan",
                "Memasangnya asalkan hanya dipakai sekali",
                situasi="Anda ingin memasang aplikasi pengolah PDF gratis dari situs yang tidak dikenal di komputer "
                "kantor",
            ),
            mc(
                "Menanyakan keperluannya dengan sopan dan memberi tahu petugas keamanan bila ia tidak berwenang",
                "Membiarkannya karena ia tampak seperti teknisi",
                "Meminjamkan kartu akses Anda kepadanya",
                "Menahan pintu agar ia mudah keluar-masuk",
                "Menegurnya setelah ia selesai dengan urusannya",
                "Mengabaikannya karena keamanan gedung bukan tugas Anda",
                situasi="seseorang yang tidak Anda kenal ikut masuk di belakang Anda ke area kerja khusus pegawai "
                "tanpa "
                "menempelkan kartu akses",
            ),
            mc(
                "Segera mengganti kata sandi bawaan dengan kata sandi yang kuat dan unik",
                "Tetap memakai kata sandi bawaan karena sudah diatur penyedia",
                "Menuliskan kata sandi bawaan pada kertas yang ditempel di bawah laptop",
                "Mengganti kata sandinya dengan tanggal lahir Anda",
                "Membagikan kata sandi bawaan itu kepada seluruh tim",
                "Menghapus kata sandi agar laptop langsung terbuka",
                situasi="Anda menerima laptop kantor baru yang masih memakai kata sandi bawaan dari penyedia",
            ),
        ),
        peran=(
            "operator aplikasi kepegawaian",
            "bendahara pengeluaran",
            "petugas loket pelayanan",
            "pengelola arsip digital",
        ),
        unit=_UNITS[:3],
    ),
    tpl(
        "Seseorang menghubungi Anda melalui aplikasi pesan dengan foto profil dan nama {atasan}, lalu meminta Anda "
        "{permintaan}. Nomor itu belum tersimpan di ponsel Anda. {detail} Tindakan yang paling tepat adalah ...",
        (
            "Tidak menanggapi permintaan itu sebelum memastikannya langsung kepada {atasan} melalui nomor yang sudah "
            "Anda kenal atau secara tatap muka",
            "Segera memenuhi permintaan itu karena foto profil dan gaya bahasanya mirip",
            "Menanyakan nama lengkap dan jabatan pengirim sebagai bukti identitas",
            "Memenuhi sebagian permintaan itu terlebih dahulu sambil menunggu kabar",
            "Meneruskan permintaan itu kepada rekan lain agar ia yang memenuhinya",
            "Memenuhi permintaan itu karena menolak perintah atasan dapat berakibat buruk",
        ),
        atasan=("kepala dinas Anda", "sekretaris dinas", "kepala bidang Anda", "camat tempat Anda bertugas"),
        permintaan=(
            "mentransfer dana talangan untuk keperluan mendesak",
            "mengirim daftar nama dan nomor rekening pegawai",
            "mengirim kode OTP yang baru saja masuk ke ponsel Anda",
            "mengirim salinan dokumen anggaran yang belum dipublikasikan",
        ),
        detail=(
            "Pesan itu ditulis dengan nada sangat mendesak.",
            "Pengirim meminta Anda merahasiakannya dari rekan-rekan.",
            "Pengirim mengaku sedang rapat sehingga tidak bisa ditelepon.",
        ),
    ),
    tpl(
        "Dalam pelatihan keamanan siber untuk {peserta}, fasilitator menanyakan arti {c[istilah]}. {detail} "
        "Penjelasan yang paling tepat adalah ...",
        mc_options("c", 5),
        c=(
            mc(
                "Cara masuk akun yang meminta bukti tambahan selain kata sandi, misalnya kode dari aplikasi "
                "autentikator",
                "Memasukkan kata sandi yang sama sebanyak dua kali",
                "Memakai satu kata sandi untuk dua akun yang berbeda",
                "Mengganti kata sandi dua kali dalam setahun",
                "Masuk ke satu akun dari dua perangkat sekaligus",
                "Menyimpan kata sandi di dua tempat yang berbeda",
                istilah="verifikasi dua langkah (two-factor authentication)",
            ),
            mc(
                "Program jahat yang mengunci atau mengenkripsi data, lalu meminta tebusan agar data dapat dibuka "
                "kembali",
                "Aplikasi resmi untuk mencadangkan data secara otomatis",
                "Surel berisi iklan yang dikirim tanpa diminta",
                "Perangkat untuk memperkuat sinyal Wi-Fi kantor",
                "Program untuk mempercepat kinerja komputer",
                "Kerusakan hard disk akibat komputer terlalu panas",
                istilah="ransomware",
            ),
            mc(
                "Upaya menipu korban agar menyerahkan data rahasia dengan menyamar sebagai pihak tepercaya",
                "Serangan yang membanjiri server dengan lalu lintas palsu hingga layanan lumpuh",
                "Pencadangan data ke layanan penyimpanan awan",
                "Perangkat lunak untuk memblokir iklan di peramban",
                "Cara mempercepat jaringan internet kantor",
                "Kerusakan data akibat listrik padam",
                istilah="phishing",
            ),
            mc(
                "Koneksi antara peramban dan situs itu terenkripsi, tetapi belum menjamin situs itu bukan situs "
                "penipuan",
                "Situs itu pasti milik instansi pemerintah",
                "Situs itu dijamin bebas dari virus dan penipuan",
                "Situs itu sudah diperiksa oleh aparat penegak hukum",
                "Situs itu tidak menyimpan data apa pun",
                "Situs itu hanya dapat dibuka dari jaringan kantor",
                istilah="ikon gembok dan awalan HTTPS pada alamat situs",
            ),
            mc(
                "Manipulasi psikologis agar seseorang membocorkan informasi atau melakukan tindakan yang melemahkan "
                "keamanan",
                "Perancangan jaringan komputer khusus untuk media sosial",
                "Teknik pemrograman aplikasi layanan kemasyarakatan",
                "Proses pencadangan data secara berkala",
                "Pendinginan ruang server agar perangkat tidak rusak",
                "Survei kepuasan masyarakat melalui media sosial",
                istilah="rekayasa sosial (social engineering)",
            ),
            mc(
                "Setiap pengguna hanya diberi hak akses yang benar-benar diperlukan untuk tugasnya",
                "Semua pegawai diberi hak administrator agar pekerjaan tidak terhambat",
                "Hak akses diberikan berdasarkan lamanya masa kerja pegawai",
                "Akses ke sistem hanya dibuka pada hari kerja",
                "Semua pengguna memakai satu akun bersama",
                "Hanya pimpinan yang boleh memiliki akun",
                istilah="prinsip hak akses minimum (least privilege)",
            ),
            mc(
                "Pengubahan data menjadi bentuk acak yang hanya dapat dibaca kembali oleh pihak yang memiliki kuncinya",
                "Pemadatan data agar ukuran berkasnya lebih kecil",
                "Penyalinan data ke media lain sebagai cadangan",
                "Penghapusan data secara permanen",
                "Penyembunyian folder agar tidak terlihat di layar",
                "Pemasangan kata sandi pada layar komputer",
                istilah="enkripsi",
            ),
        ),
        peserta=("pegawai baru", "operator aplikasi layanan", "para kepala seksi"),
        detail=(
            "Pertanyaan itu muncul dalam kuis pembuka.",
            "Pertanyaan itu muncul dalam kuis penutup.",
            "Peserta diminta menjawab secara tertulis.",
        ),
    ),
    tpl(
        "Ponsel yang juga Anda pakai untuk {keperluan} {h[situasi]}. {detail} Tindakan yang paling tepat adalah ...",
        mc_options("h", 5),
        h=(
            mc(
                "Segera mengunci dan menghapus data ponsel dari jarak jauh, mengganti kata sandi akun penting, dan "
                "melapor ke tim TI",
                "Menunggu beberapa hari, siapa tahu ada yang mengembalikannya",
                "Menelepon nomor ponsel itu berulang kali tanpa langkah lain",
                "Membeli ponsel baru dan masuk ke akun yang sama tanpa mengganti kata sandi",
                "Mengunggah pengumuman kehilangan yang memuat alamat rumah Anda",
                "Hanya melaporkan kehilangan kartu SIM kepada operator seluler",
                situasi="hilang di angkutan umum",
            ),
            mc(
                "Menolak izin yang tidak berhubungan dengan fungsi aplikasi dan menghapus aplikasi itu bila tetap "
                "memaksa",
                "Mengizinkan semuanya agar aplikasi berjalan lancar",
                "Mengizinkan semuanya karena aplikasi itu gratis",
                "Mengizinkan akses kontak saja karena tidak berbahaya",
                "Mengizinkan semuanya, lalu mematikan ponsel setiap malam",
                "Mengizinkan semuanya karena aplikasi itu banyak diunduh",
                situasi="menampilkan permintaan izin akses ke kontak, lokasi, dan mikrofon dari aplikasi senter yang "
                "baru "
                "dipasang",
            ),
            mc(
                "Mencadangkan data, keluar dari akun kantor, dan menghapus data penting sebelum menyerahkannya",
                "Menyerahkannya beserta PIN layar tanpa mengeluarkan akun apa pun",
                "Meninggalkannya di konter semalaman dengan aplikasi kantor tetap dalam keadaan masuk",
                "Meminta teknisi memasang aplikasi tambahan agar ponsel lebih cepat",
                "Menyerahkannya tanpa mencadangkan data karena teknisi pasti berhati-hati",
                "Menuliskan kata sandi surel kantor di nota servis agar teknisi dapat menguji ponsel",
                situasi="akan diperbaiki di konter servis umum",
            ),
            mc(
                "Tidak memasangnya dan hanya memasang aplikasi dari toko aplikasi resmi",
                "Memasangnya karena iklannya menjanjikan ponsel lebih cepat",
                "Mengaktifkan izin pemasangan dari sumber tak dikenal agar aplikasinya dapat dipasang",
                "Memasangnya, lalu menghapusnya bila ponsel bermasalah",
                "Memasangnya setelah membaca satu ulasan positif",
                "Meneruskan tautan aplikasinya kepada rekan agar mereka mencobanya lebih dulu",
                situasi="menampilkan iklan aplikasi pembersih memori yang harus dipasang dari luar toko aplikasi resmi",
            ),
            mc(
                "Mengaktifkan kunci layar dengan PIN yang kuat atau biometrik",
                "Membiarkannya agar ponsel mudah dipinjam rekan",
                "Memakai pola sederhana berbentuk huruf L",
                "Memakai PIN 123456 agar mudah diingat",
                "Menempelkan PIN pada sarung ponsel",
                "Cukup menyembunyikan ikon aplikasi kantor dari layar utama",
                situasi="belum memakai kunci layar apa pun",
            ),
            mc(
                "Mencadangkan data, keluar dari semua akun, lalu melakukan pengaturan ulang pabrik sebelum "
                "menyerahkannya",
                "Menghapus foto dan pesan secara manual saja",
                "Menjualnya apa adanya karena pembelinya kenalan sendiri",
                "Mencabut kartu SIM-nya saja",
                "Menghapus aplikasi kantor tanpa keluar dari akunnya",
                "Mengganti gambar latar agar tidak terlihat sebagai milik Anda",
                situasi="akan dijual karena Anda sudah membeli ponsel baru",
            ),
        ),
        keperluan=("membuka surel kantor", "menyetujui dokumen elektronik", "mengakses aplikasi keuangan kantor"),
        detail=(
            "Ponsel itu milik pribadi Anda.",
            "Di dalamnya tersimpan foto dokumen kantor.",
            "Anda jarang memeriksa pengaturan keamanannya.",
        ),
    ),
)

_FIRST_NAMES = ("Rina", "Budi", "Made", "Yohanes", "Siti", "Agus", "Maria", "Dewi", "Fajar", "Teguh", "Lestari")
_PASSPHRASE_WORDS = (
    "Jeruk",
    "Pelangi",
    "Rantai",
    "Kopi",
    "Hujan",
    "Meja",
    "Layang",
    "Sawah",
    "Kancil",
    "Perahu",
    "Gunung",
    "Bambu",
    "Kelapa",
    "Jembatan",
    "Lentera",
    "Rebana",
    "Cendana",
    "Merpati",
    "Tenun",
    "Ombak",
)
_ACCOUNTS = ("surel kantor", "aplikasi kepegawaian", "aplikasi tata naskah dinas", "akun penyimpanan awan kantor")
_UNIT_SHORT = ("Dukcapil", "Bapenda", "Dinkes", "Disdik", "Dinsos", "BKPSDM", "Bappeda", "Diskominfo")


def _password_item(rng: Rng) -> Draft:
    name, year = _pick(rng, _FIRST_NAMES), int(rng.integers(1975, 2001))
    unit, account = _pick(rng, _UNIT_SHORT), _pick(rng, _ACCOUNTS)
    words = [_PASSPHRASE_WORDS[int(i)] for i in rng.choice(len(_PASSPHRASE_WORDS), size=3, replace=False)]
    strong = "-".join(words) + f"-{int(rng.integers(10, 100))}{_pick(rng, '!?#*')}"
    weak = (
        f"{name}{year}",
        f"{unit}2026!",
        "P@ssw0rd123",
        f"{name.lower()}@{str(year)[2:]}",
        "12345678",
        f"{unit.lower()}{name.lower()}",
        "qwerty2026",
    )
    stem = (
        f"{name}, pegawai {unit} kelahiran {year}, akan membuat kata sandi baru untuk {account}. Kata sandi yang "
        "paling kuat adalah ..."
    )
    return Draft(stem, (strong, *weak), "password")


_BUDAYA = (
    tpl(
        "Di grup percakapan {grup} beredar pesan berantai bahwa {isi}. {detail} Langkah pertama yang paling tepat "
        "adalah ...",
        (
            "Memeriksa kebenarannya melalui situs atau akun resmi instansi terkait dan kanal cek fakta sebelum "
            "menanggapinya",
            "Meneruskannya segera karena lebih baik berjaga-jaga",
            "Mempercayainya karena sudah banyak orang yang membagikannya",
            "Menambahkan komentar agar pesan itu terlihat lebih meyakinkan",
            "Mengisi tautan yang tersedia untuk membuktikan keasliannya",
            "Membalas dengan ajakan agar semua anggota grup ikut menyebarkannya",
        ),
        grup=("keluarga", "RT", "alumni sekolah", "pegawai kantor"),
        isi=(
            "pemerintah akan membagikan bantuan tunai kepada setiap warga yang mengisi formulir pada sebuah tautan",
            "pendaftaran CPNS tahun ini dibuka melalui sebuah nomor WhatsApp khusus",
            "air keran di kota Anda tercemar bahan kimia berbahaya",
            "gaji ke-13 ASN tahun ini dibatalkan",
            "terjadi penculikan anak di sekolah-sekolah sekitar kecamatan Anda",
            "rebusan daun tertentu dapat menyembuhkan demam berdarah",
        ),
        detail=(
            "Pesan itu mencantumkan logo instansi pemerintah.",
            "Pengirimnya adalah orang yang Anda hormati.",
            'Pesan itu diakhiri ajakan "sebarkan sebelum dihapus".',
        ),
    ),
    tpl(
        "Seorang {warga} datang ke {tempat} karena kesulitan {kesulitan}. Tindakan yang paling tepat adalah ...",
        (
            "Mendampinginya langkah demi langkah menggunakan ponselnya sendiri sambil menjelaskan cara menjaga "
            "keamanan datanya",
            "Meminta kata sandi dan PIN-nya, lalu mengurus semuanya tanpa penjelasan",
            "Menyarankannya meminta bantuan anak atau cucunya di rumah",
            "Memintanya kembali setelah ia bisa menggunakan ponselnya sendiri",
            "Memberikan alamat situs layanan, lalu mempersilakannya mencoba sendiri",
            "Mengisi formulirnya dengan data perkiraan agar cepat selesai",
        ),
        warga=(
            "warga lanjut usia",
            "pedagang pasar",
            "warga penyandang disabilitas netra",
            "petani dari desa terpencil",
        ),
        kesulitan=(
            "mendaftar layanan kesehatan secara daring",
            "mengaktifkan identitas kependudukan digital",
            "mengisi formulir bantuan sosial daring",
            "membayar pajak daerah melalui aplikasi",
        ),
        tempat=("kantor kelurahan", "Mal Pelayanan Publik", "kantor kecamatan"),
    ),
    tpl(
        "{tempat}, {kejadian}. {detail} Sikap yang paling mencerminkan budaya digital yang sehat adalah ...",
        (
            "Tidak ikut menyebarkan, menanggapi dengan santun dan menyejukkan bila perlu, serta melaporkan konten yang "
            "mengandung ujaran kebencian",
            "Ikut membalas dengan komentar keras agar pihak lain jera",
            "Membagikannya ulang dengan komentar sindiran",
            "Memberi tanda suka pada komentar yang paling lucu",
            "Membuat akun samaran untuk membela kelompok yang dirugikan",
            "Mengikuti ajakan tersebut agar tidak dikucilkan kelompok Anda",
        ),
        tempat=(
            "Di kolom komentar sebuah portal berita",
            "Di grup percakapan warga",
            "Di linimasa media sosial Anda",
        ),
        kejadian=(
            "ramai perdebatan yang saling menghina antarpendukung calon kepala daerah",
            "beredar video seorang pelajar dari daerah lain yang diolok-olok karena logatnya",
            "sebuah akun mengajak warganet memboikot usaha milik kelompok agama tertentu",
            "banyak komentar yang merendahkan warga dari suatu pulau setelah sebuah berita kriminal",
            "sebuah akun anonim menyebarkan tuduhan yang memojokkan satu suku tertentu",
        ),
        detail=(
            "Beberapa teman Anda ikut berkomentar.",
            "Unggahan itu sudah dibagikan ribuan kali.",
            "Ada akun yang menandai Anda dalam percakapan itu.",
        ),
    ),
    tpl(
        'Anda menemukan {sumber} berjudul "{judul}". {detail} Sikap yang paling tepat sebelum membagikannya adalah ...',
        (
            "Membaca isinya secara utuh, memeriksa sumber dan tanggalnya, lalu membandingkannya dengan media kredibel "
            "dan sumber resmi",
            "Membagikannya karena judulnya sudah menjelaskan isinya",
            'Membagikannya dengan catatan "belum tentu benar"',
            "Menilai kebenarannya dari jumlah tanda suka dan komentar",
            "Mempercayainya karena tampilannya mirip media besar",
            "Menganggapnya benar karena sesuai dengan pengalaman pribadi Anda",
        ),
        sumber=(
            "artikel di situs yang baru Anda kenal",
            "unggahan akun media sosial dengan banyak pengikut",
            "video pendek tanpa keterangan sumber",
        ),
        judul=(
            "Mengejutkan! Semua Tenaga Non-ASN Diberhentikan Bulan Depan",
            "Terbukti! Minum Air Garam Setiap Pagi Mencegah Semua Penyakit",
            "Viral: Jalan Tol Baru Ditutup Permanen Mulai Besok",
            "Fakta Baru! Gaji ASN Naik 50 Persen Tahun Ini",
        ),
        detail=(
            "Isinya sangat sesuai dengan harapan Anda.",
            "Tanggal penerbitannya tidak tercantum.",
            "Beberapa kerabat sudah membagikannya.",
        ),
    ),
    tpl(
        "{unit} masih {k[lama]}. Pimpinan meminta usulan untuk {tujuan}. Usulan yang paling sesuai dengan budaya "
        "kerja digital adalah ...",
        mc_options("k", 4),
        unit=_UNITS,
        k=(
            mc(
                "Menyunting bersama satu dokumen di penyimpanan awan kantor dengan riwayat versi dan hak akses yang "
                "jelas",
                "Mencetak setiap versi dan menyimpannya dalam map terpisah",
                "Memberi nomor versi secara manual pada nama berkas, lalu tetap mengirimnya lewat surel",
                "Menunjuk satu orang untuk mengetik ulang semua masukan",
                "Mengirim draf melalui akun media sosial pribadi",
                lama="mengedarkan draf dokumen lewat surel berulang kali sehingga muncul banyak versi yang berbeda",
            ),
            mc(
                "Memakai sistem pengelolaan pengaduan daring yang terhubung antarinstansi sehingga statusnya dapat "
                "dilacak",
                "Memindahkan catatan ke buku yang lebih besar",
                "Mengetik pengaduan di dokumen pribadi masing-masing petugas",
                "Meminta warga mengadu lewat akun media sosial pribadi petugas",
                "Memotret halaman buku pengaduan setiap minggu",
                lama="mencatat pengaduan warga di buku tulis",
            ),
            mc(
                "Memakai satu formulir daring terstandar yang datanya langsung terkumpul dan dapat dipantau di dasbor",
                "Meminta setiap bidang mengirim data dalam bentuk cetak",
                "Menyalin ulang semua data secara manual ke satu berkas",
                "Mengumpulkan data hanya setahun sekali",
                "Meminta setiap bidang memotret laporannya",
                lama="mengumpulkan data kegiatan setiap bulan dari setiap bidang dalam format yang berbeda-beda",
            ),
            mc(
                "Mendigitalkan arsip secara bertahap dengan penamaan dan klasifikasi yang konsisten di sistem arsip "
                "elektronik resmi",
                "Menambah lemari arsip",
                "Memotret arsip dengan ponsel pribadi masing-masing pegawai",
                "Menyimpan hasil pindaian di laptop pribadi pimpinan",
                "Membuang arsip yang jarang dibuka",
                lama="menyimpan arsip surat di lemari tanpa salinan digital",
            ),
        ),
        tujuan=("mempercepat pekerjaan", "mendukung penerapan SPBE", "mengurangi penggunaan kertas"),
    ),
    tpl(
        "Seorang warga mengirim pertanyaan tentang {layanan} ke akun media sosial pribadi Anda {waktu}. {detail} "
        "Tindakan yang paling tepat adalah ...",
        (
            "Membalas dengan sopan dan mengarahkannya ke kanal layanan resmi instansi yang dapat menindaklanjuti "
            "pertanyaannya",
            "Mengabaikan pesan itu karena dikirim ke akun pribadi",
            "Menjawab berdasarkan ingatan tanpa memeriksa informasi terbaru",
            "Memintanya mengirim semua dokumen pribadinya ke akun Anda agar bisa dibantu",
            "Membalas bahwa urusan kantor bukan urusan Anda di luar jam kerja",
            "Membagikan pertanyaannya di akun Anda sebagai contoh warga yang tidak membaca pengumuman",
        ),
        layanan=(
            "syarat pembuatan akta kelahiran",
            "jadwal imunisasi di puskesmas",
            "status permohonan izin usahanya",
            "cara mendaftar bantuan modal usaha",
        ),
        waktu=("pada malam hari", "pada hari Minggu", "saat Anda sedang cuti"),
        detail=(
            "Ia mengenal Anda sebagai pegawai di instansi itu.",
            "Pertanyaannya cukup mendesak.",
            "Ia juga melampirkan foto KTP-nya.",
        ),
    ),
    tpl(
        "{waktu}, pemerintah daerah Anda akan meluncurkan layanan {layanan} secara daring. Agar layanan itu "
        "{a[tujuan]}, langkah yang paling tepat adalah ...",
        mc_options("a", 5),
        a=(
            mc(
                "Memastikan situsnya dapat dibaca aplikasi pembaca layar, misalnya dengan teks alternatif pada gambar "
                "dan label yang jelas pada setiap isian",
                "Memperbanyak gambar dan animasi agar tampilannya menarik",
                "Menyediakan formulir berupa gambar hasil pindaian",
                "Memakai huruf abu-abu muda berukuran kecil agar tampak modern",
                "Memasang kode CAPTCHA berupa gambar tanpa alternatif suara",
                "Menyajikan informasi persyaratan hanya dalam bentuk video tanpa teks",
                tujuan="dapat dipakai warga penyandang disabilitas netra",
            ),
            mc(
                "Membuat halaman yang ringan dan dapat diisi bertahap, serta menyediakan alternatif melalui SMS atau "
                "layanan tatap muka",
                "Menambahkan video beresolusi tinggi di halaman utama",
                "Mewajibkan warga mengunduh aplikasi berukuran besar",
                "Hanya menerima unggahan dokumen beresolusi tinggi",
                "Membuka layanan daring hanya pada jam kerja",
                "Meminta warga pergi ke kota terdekat untuk mencari sinyal",
                tujuan="dapat dipakai warga di daerah dengan sinyal internet lemah",
            ),
            mc(
                "Memakai bahasa sederhana, huruf yang cukup besar, dan langkah yang sedikit, serta menyediakan nomor "
                "bantuan dan pendamping",
                "Memakai banyak istilah teknis agar terlihat profesional",
                "Membatasi waktu pengisian formulir hanya lima menit",
                "Menyembunyikan nomor bantuan agar warga belajar mandiri",
                "Menyusun menu yang berlapis-lapis",
                "Menampilkan informasi dengan huruf kecil agar muat dalam satu layar",
                tujuan="mudah dipakai oleh warga lanjut usia",
            ),
            mc(
                "Memakai domain resmi go.id dan mengumumkan alamatnya melalui kanal resmi instansi",
                "Memakai domain gratis agar cepat diluncurkan",
                "Menyebarkan tautannya melalui pesan berantai tanpa sumber",
                "Hanya membagikan alamat dari layanan pemendek tautan",
                "Meminta warga mencarinya sendiri di mesin pencari",
                "Memasang logo yang mencolok tanpa memakai domain resmi",
                tujuan="dipercaya warga dan tidak mudah ditiru situs palsu",
            ),
            mc(
                "Melibatkan perwakilan warga dalam uji coba dan memperbaikinya berdasarkan masukan mereka",
                "Meluncurkannya tanpa uji coba agar sesuai jadwal",
                "Mengujinya hanya di kalangan pegawai internal",
                "Meniru tampilan aplikasi instansi lain tanpa menyesuaikannya",
                "Menambahkan fitur sebanyak mungkin",
                "Mengukur keberhasilan hanya dari jumlah unduhan",
                tujuan="benar-benar sesuai dengan kebutuhan warga",
            ),
            mc(
                "Tetap membuka layanan tatap muka dan menyediakan gerai bantuan di kantor kelurahan",
                "Menutup semua loket layanan tatap muka",
                "Meminta warga membeli ponsel pintar",
                "Hanya melayani warga yang memiliki alamat surel",
                "Meminta warga menitipkan kata sandinya kepada tetangga",
                "Menyediakan layanan hanya melalui aplikasi",
                tujuan="tetap menjangkau warga yang tidak memiliki ponsel pintar",
            ),
        ),
        layanan=(
            "pendaftaran izin usaha mikro",
            "pengaduan masyarakat",
            "permohonan akta kelahiran",
            "pendaftaran bantuan sosial",
        ),
        waktu=("Bulan depan", "Awal tahun depan", "Tiga bulan lagi"),
    ),
    tpl(
        "Di grup percakapan kerja {grup}, {n[situasi]}. {detail} Sikap yang paling sesuai dengan budaya digital yang "
        "sehat adalah ...",
        mc_options("n", 5),
        n=(
            mc(
                "Mengusulkan kesepakatan agar grup kerja dipakai untuk informasi kedinasan, sedangkan obrolan santai "
                "dipindahkan ke grup lain",
                "Keluar dari grup tanpa pamit",
                "Menegur keras anggota yang mengirim stiker di depan semua anggota",
                "Mematikan notifikasi, lalu tidak pernah membaca grup lagi",
                "Ikut mengirim stiker agar suasana tetap akrab",
                "Membuat grup baru diam-diam hanya dengan rekan dekat",
                situasi="banyak anggota mengirim ucapan dan stiker sehingga pengumuman penting tenggelam",
            ),
            mc(
                "Mengusulkan secara santun kesepakatan jam respons untuk pesan kerja, kecuali dalam keadaan darurat",
                "Memblokir nomor pimpinan setelah jam kerja",
                "Membalas dengan keluhan di grup",
                "Mengeluhkan pimpinan di media sosial",
                "Pura-pura tidak membaca pesan kerja tanpa pernah membicarakannya",
                "Meminta rekan lain selalu membalas atas nama Anda",
                situasi="pimpinan sering mengirim tugas pada larut malam dan mengharapkan jawaban segera",
            ),
            mc(
                "Mengingatkannya dengan santun agar mencantumkan sumber resmi dan membagikan tautan informasi resmi "
                "sebagai rujukan",
                "Ikut meneruskan informasi itu ke grup lain",
                "Mengeluarkannya dari grup tanpa penjelasan",
                "Menertawakannya di grup lain",
                "Membiarkannya karena tidak semua informasi perlu diperiksa",
                'Membalas setiap pesannya dengan kata "hoaks" tanpa penjelasan',
                situasi="seorang anggota sering membagikan informasi kepegawaian yang belum jelas sumbernya",
            ),
            mc(
                "Menawarkan diri untuk mendampinginya dan membagikan panduan singkat",
                "Menertawakan pertanyaannya di grup",
                "Membiarkannya mencari tahu sendiri",
                "Mengerjakan bagiannya tanpa menjelaskan apa pun",
                "Melaporkannya kepada atasan sebagai pegawai yang lamban",
                "Memintanya kembali memakai cara manual",
                situasi="seorang rekan baru tampak kesulitan memakai aplikasi kolaborasi yang dipakai tim",
            ),
            mc(
                "Mengusulkan agar keputusan penting juga ditulis ringkas, misalnya dalam notula bersama, agar mudah "
                "dirujuk",
                "Tidak mendengarkan pesan suara yang lebih dari satu menit",
                "Mengeluhkan pesan suara itu di grup lain",
                "Meminta semua anggota berhenti memakai grup",
                "Meneruskan semua pesan suara itu ke akun pribadi",
                "Membalas setiap pesan suara dengan pesan suara yang lebih panjang",
                situasi="keputusan-keputusan penting hanya disampaikan melalui pesan suara yang panjang",
            ),
            mc(
                "Mengingatkan bahwa foto itu dapat mempermalukan rekan tersebut dan memintanya menghapus foto itu",
                "Ikut menertawakannya dengan emoji",
                "Menyimpan foto itu untuk berjaga-jaga",
                "Meneruskannya ke grup lain",
                "Menambahkan komentar yang lebih lucu",
                "Mengirimkannya kepada atasan rekan yang tertidur",
                situasi="seorang anggota mengunggah foto rekan yang tertidur di meja kerja sebagai lelucon",
            ),
        ),
        grup=("bidang Anda", "tim proyek lintas dinas", "seluruh pegawai kantor"),
        detail=(
            "Grup itu beranggotakan lebih dari enam puluh orang.",
            "Beberapa anggota mulai mengeluh.",
            "Kebiasaan itu sudah berlangsung berbulan-bulan.",
        ),
    ),
    tpl(
        "{korban} menjadi sasaran {bentuk} di media sosial setelah {pemicu}. Tindakan yang paling tepat adalah ...",
        (
            "Tidak ikut menyebarkan, menunjukkan dukungan kepada korban, menyimpan bukti, dan melaporkan akun atau "
            "konten tersebut melalui fitur pelaporan",
            "Ikut berkomentar agar korban belajar dari kesalahannya",
            "Diam saja karena itu bukan urusan Anda",
            "Membalas para pelaku dengan hinaan serupa",
            "Menyebarkan data pribadi pelaku agar ia dihukum warganet",
            "Menyarankan korban menutup semua akunnya tanpa langkah lain",
        ),
        korban=(
            "Seorang rekan kerja Anda",
            "Anak tetangga Anda yang masih duduk di bangku SMP",
            "Seorang petugas loket di kantor Anda",
            "Seorang tenaga honorer di unit Anda",
        ),
        bentuk=(
            "ejekan dan hinaan beramai-ramai",
            "penyebaran foto yang disunting untuk mempermalukannya",
            "komentar kasar tentang penampilan fisiknya",
            "pesan ancaman dari akun-akun anonim",
        ),
        pemicu=("videonya tersebar luas", "sebuah salah paham kecil", "unggahannya disalahartikan"),
    ),
)


def _ld_sources(rng: Rng) -> dict[str, list[Source]]:
    return {
        "Kecakapan Digital": [
            *_template_sources(_KECAKAPAN, "LD/KD", rng),
            ComputedSource(_sheet_function_item),
            ComputedSource(_sheet_countif_item),
            ComputedSource(_sheet_absolute_item),
            ComputedSource(_storage_item),
        ],
        "Etika Digital": _template_sources(_ETIKA, "LD/ED", rng),
        "Keamanan Digital": [*_template_sources(_KEAMANAN, "LD/KS", rng), ComputedSource(_password_item)],
        "Budaya Digital": _template_sources(_BUDAYA, "LD/BD", rng),
    }


# === Emerging Skills: one key (listed first) and at least four distractors =====================================

ES_AREAS = ("Berpikir Analitis", "Pemecahan Masalah", "Kreativitas", "Adaptabilitas")

_SERIES_STEMS = (
    "Bilangan berikutnya dari deret {seq}, ... adalah ...",
    "Perhatikan deret berikut: {seq}, ... Bilangan yang tepat untuk melanjutkannya adalah ...",
    "Lanjutkan pola bilangan {seq}, ... Bilangan berikutnya adalah ...",
)


def _series_draft(rng: Rng, shown: Sequence[int], key: int, traps: Iterable[int], kind: str) -> Draft:
    stem = _pick(rng, _SERIES_STEMS).format(seq=", ".join(_num(v) for v in shown))
    options = [_num(v) for v in (key, *_numeric_distractors(key, traps))]
    return Draft(stem, tuple(options), f"series:{kind}")


def _series_second_order(rng: Rng) -> Draft:
    """Differences growing by a constant: 3, 5, 8, 12, 17, ..."""
    start, diff, step = int(rng.integers(2, 31)), int(rng.integers(1, 8)), int(rng.integers(1, 5))
    terms = [start]
    for i in range(6):
        terms.append(terms[-1] + diff + i * step)
    key = terms[-1]
    traps = (key - step, key + step, terms[-2] + (terms[-2] - terms[-3]) * 2)
    return _series_draft(rng, terms[:-1], key, traps, "second-order")


def _series_multiply_add(rng: Rng) -> Draft:
    """Each term times m plus k: 2, 5, 11, 23, ..."""
    factor, shift = _pick(rng, (2, 3)), _pick(rng, (-3, -2, -1, 1, 2, 3, 4))
    start = int(rng.integers(2, 7))
    terms = [start]
    for _ in range(5):
        terms.append(terms[-1] * factor + shift)
    key = terms[-1]
    traps = (terms[-2] * factor, key + factor, terms[-2] + (terms[-2] - terms[-3]), key - 2 * shift)
    return _series_draft(rng, terms[:-1], key, traps, "multiply-add")


def _series_interleaved(rng: Rng) -> Draft:
    """Two interleaved arithmetic series, one rising and one falling: 4, 60, 7, 55, 10, 50, 13, ..."""
    up, up_step = int(rng.integers(1, 21)), int(rng.integers(2, 7))
    down, down_step = int(rng.integers(40, 91)), int(rng.integers(2, 8))
    terms = []
    for i in range(4):
        terms += [up + i * up_step, down - i * down_step]
    key = terms[-1]
    traps = (up + 4 * up_step, terms[-3], key - down_step, key + down_step)
    return _series_draft(rng, terms[:-1], key, traps, "interleaved")


def _series_squares(rng: Rng) -> Draft:
    """Squares plus a constant: 5, 10, 17, 26, ..."""
    base, shift = int(rng.integers(1, 9)), int(rng.integers(-3, 6))
    terms = [(base + i) ** 2 + shift for i in range(6)]
    key = terms[-1]
    traps = (terms[-2] + (terms[-2] - terms[-3]), (base + 5) ** 2, key + 2, key - 2)
    return _series_draft(rng, terms[:-1], key, traps, "squares")


def _series_fibonacci(rng: Rng) -> Draft:
    """Each term the sum of the two before: 2, 5, 7, 12, 19, ..."""
    first = int(rng.integers(1, 10))
    terms = [first, first + int(rng.integers(1, 10))]
    for _ in range(5):
        terms.append(terms[-1] + terms[-2])
    key = terms[-1]
    traps = (terms[-2] + (terms[-2] - terms[-3]), terms[-2] * 2, key + terms[0], key - 1)
    return _series_draft(rng, terms[:-1], key, traps, "fibonacci")


_DISTRICTS = (
    "Sukamaju",
    "Mekarsari",
    "Sidorejo",
    "Tanjung Baru",
    "Karanganyar",
    "Sumberrejo",
    "Bukit Indah",
    "Lembah Hijau",
    "Harapan Jaya",
    "Sukadamai",
    "Pasir Putih",
    "Batu Ampar",
)
_TABLE_TOPICS = (
    "permohonan izin usaha mikro",
    "kunjungan pasien rawat jalan",
    "pengaduan warga yang masuk",
    "peserta pelatihan kerja",
    "perekaman KTP elektronik",
)
_TABLE_PERIODS = (("triwulan I", "triwulan II"), ("tahun 2024", "tahun 2025"), ("bulan Maret", "bulan April"))


def _table_item(rng: Rng) -> Draft:
    """Five districts, two periods: the key is the largest growth rate, which is not the largest absolute growth."""
    question = _pick(rng, ("pct", "drop"))
    while True:
        before = rng.integers(60, 401, size=5)
        after = np.rint(before * (1 + rng.uniform(-0.2, 0.45, size=5))).astype(int)
        change, rate = after - before, (after - before) / before
        if question == "pct":
            top = np.sort(rate)[::-1]
            if top[0] - top[1] >= 0.03 and int(np.argmax(rate)) != int(np.argmax(change)):
                key = int(np.argmax(rate))
                break
        else:
            low = np.sort(change)
            if low[0] < 0 and low[1] - low[0] >= 3 and int(np.argmin(change)) != int(np.argmin(rate)):
                key = int(np.argmin(change))
                break
    names = [_DISTRICTS[int(i)] for i in rng.choice(len(_DISTRICTS), size=5, replace=False)]
    first, second = _pick(rng, _TABLE_PERIODS)
    rows = "; ".join(
        f"{n}: {_num(int(b))} menjadi {_num(int(a))}" for n, b, a in zip(names, before, after, strict=True)
    )
    asked = (
        "persentase kenaikan terbesar" if question == "pct" else "penurunan jumlah terbesar (dalam angka, bukan persen)"
    )
    stem = (
        f"Jumlah {_pick(rng, _TABLE_TOPICS)} di lima kecamatan pada {first} dan {second} adalah sebagai berikut: "
        f"{rows}. Kecamatan dengan {asked} adalah ..."
    )
    return Draft(stem, (names[key], *(n for i, n in enumerate(names) if i != key)), f"table:{question}")


# The enemy-pair detail of the logic templates is the name or unit: the same argument about someone else.
_SYLLOGISMS = (
    {"a": "mengikuti pelatihan teknis", "b": "wajib menyusun laporan pelatihan"},
    {"a": "bertugas di loket pelayanan", "b": "wajib mengenakan tanda pengenal"},
    {"a": "menangani data pribadi warga", "b": "wajib menandatangani pakta kerahasiaan"},
    {"a": "memakai kendaraan dinas", "b": "wajib mengisi buku perjalanan"},
    {"a": "lulus uji kompetensi", "b": "berhak mengikuti seleksi jabatan"},
    {"a": "bekerja dari rumah", "b": "wajib melaporkan hasil kerja harian"},
    {"a": "memegang akun aplikasi keuangan", "b": "wajib mengganti kata sandi setiap tiga bulan"},
    {"a": "mengelola uang kegiatan", "b": "wajib mengikuti bimbingan teknis akuntansi"},
    {"a": "menjadi anggota tim pengadaan", "b": "wajib memiliki sertifikat pengadaan barang/jasa"},
    {"a": "bertugas sebagai verifikator berkas", "b": "wajib memeriksa keaslian setiap dokumen"},
    {"a": "menjadi narasumber kegiatan", "b": "wajib menyerahkan materi paparan"},
    {"a": "mengambil cuti tahunan", "b": "wajib menyerahkan pekerjaannya kepada rekan pengganti"},
)
_STAFF_UNITS = ("Bidang Perencanaan", "Bagian Umum", "Bidang Pelayanan", "Sekretariat", "Bidang Keuangan")
_PEOPLE = ("Pak Darto", "Bu Ratna", "Pak Yohanes", "Bu Siti", "Pak Made", "Bu Maria")

# Conditional rules "if P then Q" with the facts needed for modus ponens, modus tollens and for the fallacies of
# affirming Q and of denying P: q_concl is what P lets one conclude about the person, nq_concl its negation.
_RULES = (
    {
        "p": "berkas permohonan izin lengkap",
        "q": "izin terbit paling lambat lima hari kerja",
        "p_fact": "Berkas permohonan {nama} lengkap",
        "np_fact": "Berkas permohonan {nama} tidak lengkap",
        "q_fact": "Izin milik {nama} terbit dalam tiga hari kerja",
        "nq_fact": "Izin milik {nama} belum terbit setelah tujuh hari kerja",
        "q_concl": "Izin milik {nama} terbit paling lambat lima hari kerja",
        "nq_concl": "Izin milik {nama} tidak terbit dalam lima hari kerja",
        "unknown": "Belum dapat dipastikan apakah berkas permohonan {nama} lengkap",
        "unknown_q": "Belum dapat dipastikan apakah izin milik {nama} terbit paling lambat lima hari kerja",
        "other": "Petugas lalai memproses izin milik {nama}",
    },
    {
        "p": "seorang pegawai terlambat lebih dari tiga kali dalam sebulan",
        "q": "tunjangan kinerjanya dipotong",
        "p_fact": "{nama} terlambat lebih dari tiga kali bulan ini",
        "np_fact": "{nama} tidak terlambat lebih dari tiga kali bulan ini",
        "q_fact": "Tunjangan kinerja {nama} bulan ini dipotong",
        "nq_fact": "Tunjangan kinerja {nama} bulan ini tidak dipotong",
        "q_concl": "Tunjangan kinerja {nama} bulan ini dipotong",
        "nq_concl": "Tunjangan kinerja {nama} bulan ini tidak dipotong",
        "unknown": "Belum dapat dipastikan apakah {nama} terlambat lebih dari tiga kali bulan ini",
        "unknown_q": "Belum dapat dipastikan apakah tunjangan kinerja {nama} bulan ini dipotong",
        "other": "{nama} tidak pernah terlambat bulan ini",
    },
    {
        "p": 'seorang pegawai mendapat predikat kinerja "sangat baik"',
        "q": "ia diikutkan dalam program pengembangan talenta",
        "p_fact": '{nama} mendapat predikat kinerja "sangat baik"',
        "np_fact": '{nama} tidak mendapat predikat kinerja "sangat baik"',
        "q_fact": "{nama} diikutkan dalam program pengembangan talenta",
        "nq_fact": "{nama} tidak diikutkan dalam program pengembangan talenta",
        "q_concl": "{nama} diikutkan dalam program pengembangan talenta",
        "nq_concl": "{nama} tidak diikutkan dalam program pengembangan talenta",
        "unknown": 'Belum dapat dipastikan apakah {nama} mendapat predikat kinerja "sangat baik"',
        "unknown_q": "Belum dapat dipastikan apakah {nama} diikutkan dalam program pengembangan talenta",
        "other": '{nama} mendapat predikat kinerja "kurang"',
    },
    {
        "p": "sebuah surat dinas ditandatangani secara elektronik",
        "q": "surat itu memuat kode QR untuk verifikasi",
        "p_fact": "Surat yang diterima {nama} ditandatangani secara elektronik",
        "np_fact": "Surat yang diterima {nama} tidak ditandatangani secara elektronik",
        "q_fact": "Surat yang diterima {nama} memuat kode QR untuk verifikasi",
        "nq_fact": "Surat yang diterima {nama} tidak memuat kode QR untuk verifikasi",
        "q_concl": "Surat yang diterima {nama} memuat kode QR untuk verifikasi",
        "nq_concl": "Surat yang diterima {nama} tidak memuat kode QR untuk verifikasi",
        "unknown": "Belum dapat dipastikan apakah surat yang diterima {nama} ditandatangani secara elektronik",
        "unknown_q": "Belum dapat dipastikan apakah surat yang diterima {nama} memuat kode QR untuk verifikasi",
        "other": "Surat yang diterima {nama} palsu",
    },
    {
        "p": "seorang warga terdaftar sebagai penerima bantuan",
        "q": "namanya tercantum dalam data tunggal sosial ekonomi",
        "p_fact": "{nama} terdaftar sebagai penerima bantuan",
        "np_fact": "{nama} tidak terdaftar sebagai penerima bantuan",
        "q_fact": "Nama {nama} tercantum dalam data tunggal sosial ekonomi",
        "nq_fact": "Nama {nama} tidak tercantum dalam data tunggal sosial ekonomi",
        "q_concl": "Nama {nama} tercantum dalam data tunggal sosial ekonomi",
        "nq_concl": "Nama {nama} tidak tercantum dalam data tunggal sosial ekonomi",
        "unknown": "Belum dapat dipastikan apakah {nama} terdaftar sebagai penerima bantuan",
        "unknown_q": "Belum dapat dipastikan apakah nama {nama} tercantum dalam data tunggal sosial ekonomi",
        "other": "{nama} tidak membutuhkan bantuan",
    },
    {
        "p": "sebuah rapat dihadiri kurang dari separuh anggota",
        "q": "rapat itu ditunda",
        "p_fact": "Rapat yang dipimpin {nama} kemarin dihadiri kurang dari separuh anggota",
        "np_fact": "Rapat yang dipimpin {nama} kemarin dihadiri sedikitnya separuh anggota",
        "q_fact": "Rapat yang dipimpin {nama} kemarin ditunda",
        "nq_fact": "Rapat yang dipimpin {nama} kemarin tidak ditunda",
        "q_concl": "Rapat yang dipimpin {nama} kemarin ditunda",
        "nq_concl": "Rapat yang dipimpin {nama} kemarin tidak ditunda",
        "unknown": (
            "Belum dapat dipastikan apakah rapat yang dipimpin {nama} kemarin dihadiri kurang dari separuh anggota"
        ),
        "unknown_q": "Belum dapat dipastikan apakah rapat yang dipimpin {nama} kemarin ditunda",
        "other": "Semua anggota hadir dalam rapat yang dipimpin {nama} kemarin",
    },
    {
        "p": "suhu ruang server melebihi 30 derajat Celsius",
        "q": "alarm pendingin di ruang itu berbunyi",
        "p_fact": "Tadi malam suhu ruang server yang dijaga {nama} melebihi 30 derajat Celsius",
        "np_fact": "Tadi malam suhu ruang server yang dijaga {nama} tidak melebihi 30 derajat Celsius",
        "q_fact": "Tadi malam alarm pendingin di ruang server yang dijaga {nama} berbunyi",
        "nq_fact": "Tadi malam alarm pendingin di ruang server yang dijaga {nama} tidak berbunyi",
        "q_concl": "Tadi malam alarm pendingin di ruang server yang dijaga {nama} berbunyi",
        "nq_concl": "Tadi malam alarm pendingin di ruang server yang dijaga {nama} tidak berbunyi",
        "unknown": "Belum dapat dipastikan apakah tadi malam suhu ruang server yang dijaga {nama} melebihi 30 derajat "
        "Celsius",
        "unknown_q": "Belum dapat dipastikan apakah tadi malam alarm pendingin di ruang server yang dijaga {nama} "
        "berbunyi",
        "other": "Mesin pendingin di ruang server yang dijaga {nama} rusak",
    },
    {
        "p": "sebuah permohonan informasi publik diajukan secara lengkap",
        "q": "permohonan itu dijawab paling lambat sepuluh hari kerja",
        "p_fact": "Permohonan informasi yang diajukan {nama} lengkap",
        "np_fact": "Permohonan informasi yang diajukan {nama} tidak lengkap",
        "q_fact": "Permohonan informasi yang diajukan {nama} dijawab dalam enam hari kerja",
        "nq_fact": "Permohonan informasi yang diajukan {nama} belum dijawab setelah dua belas hari kerja",
        "q_concl": "Permohonan informasi yang diajukan {nama} dijawab paling lambat sepuluh hari kerja",
        "nq_concl": "Permohonan informasi yang diajukan {nama} tidak dijawab dalam sepuluh hari kerja",
        "unknown": "Belum dapat dipastikan apakah permohonan informasi yang diajukan {nama} lengkap",
        "unknown_q": "Belum dapat dipastikan apakah permohonan informasi yang diajukan {nama} dijawab paling lambat "
        "sepuluh hari kerja",
        "other": "Petugas informasi menolak permohonan {nama}",
    },
    {
        "p": "seorang peserta pelatihan hadir kurang dari 80 persen sesi",
        "q": "ia tidak memperoleh sertifikat",
        "p_fact": "{nama} hadir kurang dari 80 persen sesi pelatihan",
        "np_fact": "{nama} hadir sedikitnya 80 persen sesi pelatihan",
        "q_fact": "{nama} tidak memperoleh sertifikat pelatihan",
        "nq_fact": "{nama} memperoleh sertifikat pelatihan",
        "q_concl": "{nama} tidak memperoleh sertifikat pelatihan",
        "nq_concl": "{nama} memperoleh sertifikat pelatihan",
        "unknown": "Belum dapat dipastikan apakah {nama} hadir kurang dari 80 persen sesi pelatihan",
        "unknown_q": "Belum dapat dipastikan apakah {nama} memperoleh sertifikat pelatihan",
        "other": "{nama} tidak mengikuti ujian akhir pelatihan",
    },
    {
        "p": "laporan keuangan sebuah kegiatan diserahkan setelah tanggal 10",
        "q": "pencairan dana tahap berikutnya untuk kegiatan itu ditunda",
        "p_fact": "Laporan keuangan kegiatan yang dikelola {nama} diserahkan setelah tanggal 10",
        "np_fact": "Laporan keuangan kegiatan yang dikelola {nama} diserahkan paling lambat tanggal 10",
        "q_fact": "Pencairan dana tahap berikutnya untuk kegiatan yang dikelola {nama} ditunda",
        "nq_fact": "Pencairan dana tahap berikutnya untuk kegiatan yang dikelola {nama} tidak ditunda",
        "q_concl": "Pencairan dana tahap berikutnya untuk kegiatan yang dikelola {nama} ditunda",
        "nq_concl": "Pencairan dana tahap berikutnya untuk kegiatan yang dikelola {nama} tidak ditunda",
        "unknown": "Belum dapat dipastikan apakah laporan keuangan kegiatan yang dikelola {nama} diserahkan setelah "
        "tanggal 10",
        "unknown_q": "Belum dapat dipastikan apakah pencairan dana tahap berikutnya untuk kegiatan yang dikelola "
        "{nama} ditunda",
        "other": "Laporan keuangan kegiatan yang dikelola {nama} memuat kesalahan",
    },
)

_LOGIC = (
    tpl(
        "Semua pegawai yang {s[a]} {s[b]}. Sebagian staf {unit} {s[a]}. Kesimpulan yang pasti benar adalah ...",
        (
            "Sebagian staf {unit} {s[b]}",
            "Semua staf {unit} {s[b]}",
            "Semua pegawai yang {s[b]} adalah staf {unit}",
            "Sebagian staf {unit} tidak {s[b]}",
            "Tidak ada staf {unit} yang {s[b]}",
            "Semua staf {unit} {s[a]}",
        ),
        s=_SYLLOGISMS,
        unit=_STAFF_UNITS,
    ),
    tpl(
        "Aturan yang berlaku: jika {r[p]}, maka {r[q]}. Faktanya: {r[nq_fact]}. Kesimpulan yang pasti benar adalah ...",
        ("{r[np_fact]}", "{r[p_fact]}", "{r[unknown]}", "{r[other]}", "{r[q_fact]}"),
        r=_RULES,
        nama=_PEOPLE,
    ),
    tpl(
        "Aturan yang berlaku: jika {r[p]}, maka {r[q]}. Faktanya: {r[q_fact]}. Kesimpulan yang paling tepat adalah ...",
        ("{r[unknown]}", "{r[p_fact]}", "{r[np_fact]}", "{r[nq_fact]}", "{r[other]}"),
        r=_RULES,
        nama=_PEOPLE,
    ),
    tpl(
        "Semua pegawai yang {s[a]} {s[b]}. Tidak ada staf {unit} yang {s[b]}. Kesimpulan yang pasti benar adalah ...",
        (
            "Tidak ada staf {unit} yang {s[a]}",
            "Sebagian staf {unit} {s[a]}",
            "Semua staf {unit} {s[a]}",
            "Sebagian staf {unit} {s[b]}",
            "Semua pegawai yang tidak {s[a]} adalah staf {unit}",
            "Belum dapat dipastikan apakah ada staf {unit} yang {s[a]}",
        ),
        s=_SYLLOGISMS,
        unit=_STAFF_UNITS,
    ),
    tpl(
        "Aturan yang berlaku: jika {r[p]}, maka {r[q]}. Faktanya: {r[p_fact]}. Kesimpulan yang pasti benar adalah ...",
        ("{r[q_concl]}", "{r[unknown_q]}", "{r[nq_concl]}", "{r[np_fact]}", "{r[other]}", "{r[unknown]}"),
        r=_RULES,
        nama=_PEOPLE,
    ),
    tpl(
        "Aturan yang berlaku: jika {r[p]}, maka {r[q]}. Faktanya: {r[np_fact]}. Kesimpulan yang paling tepat adalah "
        "...",
        ("{r[unknown_q]}", "{r[nq_concl]}", "{r[q_concl]}", "{r[p_fact]}", "{r[other]}", "{r[unknown]}"),
        r=_RULES,
        nama=_PEOPLE,
    ),
    tpl(
        "{penyimpul} menyimpulkan bahwa {f[klaim]}. Dasarnya: {f[bukti]}. {detail} Kelemahan utama penalaran tersebut "
        "adalah ...",
        mc_options("f", 5),
        f=(
            mc(
                "Pengaruh perubahan lain pada waktu yang sama, yaitu ruang tunggu baru, belum dipisahkan dari pengaruh "
                "pelatihan",
                "Indeks kepuasan tidak dapat dipakai untuk mengukur mutu layanan",
                "Pelatihan seharusnya diikuti seluruh pegawai, bukan hanya petugas layanan",
                "Kenaikan indeks kepuasan pasti hanya bersifat sementara",
                "Survei kepuasan seharusnya dilakukan oleh pimpinan sendiri",
                "Ruang tunggu baru tidak mungkin memengaruhi kepuasan warga",
                klaim="pelatihan layanan prima meningkatkan kepuasan warga",
                bukti="indeks kepuasan naik setelah pelatihan, padahal pada bulan yang sama ruang tunggu baru mulai "
                "dipakai",
            ),
            mc(
                "Responden survei tidak mewakili seluruh pengguna karena warga yang gagal memakai layanan daring tidak "
                "ikut disurvei",
                "Survei daring selalu lebih mahal daripada survei tatap muka",
                "Layanan perizinan tidak boleh dibandingkan dengan layanan lain",
                "Warga yang berhasil mengurus izin tidak boleh dimintai pendapat",
                "Survei seharusnya diisi oleh petugas, bukan oleh warga",
                "Kepuasan warga tidak dapat diukur dengan survei",
                klaim="warga paling puas dengan layanan perizinan daring dibandingkan layanan lainnya",
                bukti="survei kepuasan layanan itu hanya dikirim kepada warga yang berhasil menyelesaikan "
                "permohonannya "
                "secara daring",
            ),
            mc(
                "Jumlah pelanggaran tidak dibandingkan dengan jumlah usaha di setiap kecamatan",
                "Pelanggaran perizinan seharusnya tidak dicatat per kecamatan",
                "Jumlah usaha yang besar pasti membuat data tidak akurat",
                "Data pelanggaran seharusnya dikumpulkan selama sepuluh tahun",
                "Kecamatan dengan banyak usaha tidak mungkin melakukan pelanggaran",
                "Pelanggaran di kecamatan lain pasti tidak tercatat",
                klaim="pelaku usaha di Kecamatan Sukamaju paling tidak patuh terhadap aturan perizinan",
                bukti="jumlah pelanggaran di sana paling tinggi, padahal jumlah usahanya tiga kali lipat kecamatan "
                "lain",
            ),
            mc(
                "Kesimpulan ditarik dari dua keluhan pada hari pertama yang belum mewakili seluruh pengguna",
                "Keluhan di media sosial tidak boleh ditanggapi oleh instansi",
                "Aplikasi antrean seharusnya dibuat oleh pihak swasta",
                "Hari pertama peluncuran selalu menjadi hari paling sepi",
                "Warga yang mengeluh pasti tidak memakai aplikasi itu",
                "Keluhan warga tidak pernah berhubungan dengan mutu aplikasi",
                klaim="aplikasi antrean yang baru diluncurkan gagal dan perlu dihentikan",
                bukti="dua warga mengeluhkannya di media sosial pada hari pertama",
            ),
            mc(
                "Tidak ada pembanding, misalnya jumlah perekaman sebelum program atau jumlah warga yang wajib merekam",
                "Angka 4.000 terlalu besar untuk dapat dipercaya",
                "Program jemput bola seharusnya dilaksanakan oleh kecamatan",
                "Perekaman KTP elektronik tidak dapat dihitung jumlahnya",
                "Angka perekaman seharusnya disajikan dalam bentuk grafik",
                "Perekaman KTP elektronik bukan urusan pemerintah daerah",
                klaim="program jemput bola berhasil menaikkan cakupan perekaman KTP elektronik",
                bukti="selama program berjalan tercatat 4.000 perekaman",
            ),
            mc(
                "Jumlah berkas tidak dibandingkan dengan jumlah jam kerja, sehingga hasil kerja per jam belum "
                "diketahui",
                "Lembur tidak dicatat dalam sistem presensi",
                "Jumlah berkas yang diselesaikan tidak berhubungan dengan kinerja",
                "Pegawai yang lembur pasti bekerja lebih lambat",
                "Data lembur seharusnya dirahasiakan",
                "Produktivitas hanya dapat dinilai oleh atasan langsung",
                klaim="pegawai yang paling sering lembur adalah pegawai yang paling produktif",
                bukti="pegawai dengan jam lembur terbanyak juga menyelesaikan berkas paling banyak",
            ),
            mc(
                "Kedua angka diukur pada periode dan kondisi yang berbeda sehingga tidak sebanding",
                "Rata-rata tidak dapat dipakai untuk mengukur waktu layanan",
                "Selisih 15 menit terlalu kecil untuk diperhatikan",
                "Waktu layanan seharusnya diukur dalam jam, bukan menit",
                "Kantor A pasti memiliki petugas yang lebih banyak",
                "Pengukuran selama seminggu selalu menghasilkan angka yang lebih kecil",
                klaim="layanan di kantor A lebih cepat daripada di kantor B",
                bukti="rata-rata waktu layanan kantor A 20 menit, diukur pada satu hari yang sepi, sedangkan kantor B "
                "35 "
                "menit, diukur selama seminggu penuh",
            ),
            mc(
                "Peserta pelatihan daring tentu sudah dapat mengakses internet, sehingga tidak mewakili seluruh warga "
                "desa",
                "Formulir elektronik tidak termasuk kemampuan digital",
                "Pelatihan daring tidak pernah efektif",
                "Warga desa tidak membutuhkan kemampuan digital",
                "Pelatihan seharusnya diadakan oleh pemerintah kabupaten",
                "Mengisi formulir elektronik terlalu sulit bagi warga desa",
                klaim="seluruh warga desa sudah melek digital",
                bukti="semua peserta pelatihan daring yang diadakan desa mampu mengisi formulir elektronik",
            ),
        ),
        penyimpul=("Seorang kepala bidang", "Tim evaluasi program", "Seorang analis kebijakan"),
        detail=(
            "Kesimpulan itu akan dipakai sebagai dasar kebijakan.",
            "Pimpinan meminta Anda menilai kesimpulan itu.",
            "Kesimpulan itu sudah tercantum dalam draf laporan.",
        ),
    ),
)

_SET_PAIRS = (
    ("pelatihan pelayanan prima", "pelatihan literasi digital"),
    ("bimbingan teknis keuangan", "bimbingan teknis pengadaan"),
    ("kelas bahasa Inggris", "kelas analisis data"),
    ("uji kompetensi teknis", "uji kompetensi manajerial"),
    ("vaksinasi influenza", "pemeriksaan kesehatan berkala"),
)


def _sets_item(rng: Rng) -> Draft:
    """Two overlapping groups (inclusion-exclusion); the traps forget the overlap or count another region."""
    first, second = _pick(rng, _SET_PAIRS)
    while True:
        total, both = int(rng.integers(40, 121)), int(rng.integers(3, 16))
        a, b = both + int(rng.integers(5, 36)), both + int(rng.integers(5, 36))
        neither = total - (a + b - both)
        if neither >= 3:
            break
    only_one = a + b - 2 * both
    if rng.integers(2):
        asked, key, kind = "tidak mengikuti satu pun dari keduanya", neither, "neither"
        traps = [total - a - b, neither + both, a + b - both, only_one, both]
    else:
        asked, key, kind = "hanya mengikuti salah satu dari keduanya", only_one, "only-one"
        traps = [a + b, a + b - both, neither, total - both, only_one + both]
    stem = (
        f"Dari {total} pegawai {_pick(rng, _UNITS)}, {a} orang mengikuti {first}, {b} orang mengikuti {second}, dan "
        f"{both} orang mengikuti keduanya. Banyak pegawai yang {asked} adalah ..."
    )
    return Draft(stem, tuple(f"{v} orang" for v in (key, *_numeric_distractors(key, traps))), f"sets:{kind}")


_ORDINALS = ("pertama", "kedua", "ketiga", "keempat", "kelima")
_ORDER_NAMES = ("Andi", "Bima", "Citra", "Dewi", "Eko", "Fitri", "Gilang", "Hana", "Irfan", "Joko")

# Each frame words the five positions and the clues of an ordering puzzle; the names are people or districts.
_ORDER_FRAMES = (
    {
        "intro": "Lima pegawai, yaitu {names}, memaparkan usulan inovasi secara bergiliran dalam satu rapat.",
        "before": "{x} tampil sebelum {y}",
        "next": "{y} tampil tepat setelah {x}",
        "apart": "{x} dan {y} tidak tampil berurutan",
        "notfirst": "{x} tidak tampil pertama",
        "notlast": "{x} tidak tampil terakhir",
        "at": "{x} tampil {pos}",
        "question": "Pegawai yang tampil {pos} adalah ...",
        "positions": _ORDINALS,
        "people": True,
    },
    {
        "intro": (
            "Lima pegawai, yaitu {names}, mendapat giliran piket loket dari hari Senin sampai Jumat, satu orang "
            "setiap hari."
        ),
        "before": "{x} bertugas lebih awal daripada {y}",
        "next": "{y} bertugas tepat sehari setelah {x}",
        "apart": "{x} dan {y} tidak bertugas pada hari yang berurutan",
        "notfirst": "{x} tidak bertugas pada hari Senin",
        "notlast": "{x} tidak bertugas pada hari Jumat",
        "at": "{x} bertugas pada hari {pos}",
        "question": "Pegawai yang bertugas pada hari {pos} adalah ...",
        "positions": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat"),
        "people": True,
    },
    {
        "intro": "Tim monitoring mengunjungi lima kecamatan, yaitu {names}, satu per satu.",
        "before": "{x} dikunjungi sebelum {y}",
        "next": "{y} dikunjungi tepat setelah {x}",
        "apart": "{x} dan {y} tidak dikunjungi berurutan",
        "notfirst": "{x} tidak dikunjungi pertama",
        "notlast": "{x} tidak dikunjungi terakhir",
        "at": "{x} dikunjungi {pos}",
        "question": "Kecamatan yang dikunjungi {pos} adalah ...",
        "positions": _ORDINALS,
        "people": False,
    },
)


def _clue_holds(clue: tuple[Any, ...], pos: Mapping[str, int]) -> bool:
    kind, x = clue[0], clue[1]
    if kind == "before":
        return pos[x] < pos[clue[2]]
    if kind == "next":
        return pos[clue[2]] == pos[x] + 1
    if kind == "apart":
        return abs(pos[x] - pos[clue[2]]) > 1
    if kind == "notfirst":
        return pos[x] != 0
    if kind == "notlast":
        return pos[x] != 4
    return pos[x] == clue[2]  # "at"


def _settles(orders: Sequence[Mapping[str, int]], clues: Sequence[tuple[Any, ...]], asked: int) -> bool:
    """Whether every order that fits the clues puts the same name at position ``asked``."""
    fits = [o for o in orders if all(_clue_holds(c, o) for c in clues)]
    return len({next(n for n, i in o.items() if i == asked) for o in fits}) == 1


def _ordering_item(rng: Rng) -> Draft:
    """Five in a row and a few true clues, kept to a minimal set that still fixes who is at the asked position."""
    frame = _pick(rng, _ORDER_FRAMES)
    pool = _ORDER_NAMES if frame["people"] else _DISTRICTS
    names = [pool[int(i)] for i in rng.choice(len(pool), size=5, replace=False)]  # the true order
    truth = {n: i for i, n in enumerate(names)}
    orders = [dict(zip(p, range(5), strict=True)) for p in itertools.permutations(names)]
    while True:
        asked = int(rng.integers(5))
        candidates: list[tuple[Any, ...]] = []
        for x, y in itertools.permutations(names, 2):
            candidates += [("before", x, y)] if truth[x] < truth[y] else []
            candidates += [("next", x, y)] if truth[y] == truth[x] + 1 else []
            candidates += [("apart", x, y)] if abs(truth[x] - truth[y]) > 1 and x < y else []
        for x in names:
            candidates += [("notfirst", x)] if truth[x] != 0 else []
            candidates += [("notlast", x)] if truth[x] != 4 else []
            candidates += [("at", x, truth[x])] if truth[x] != asked else []
        candidates = [candidates[int(i)] for i in rng.permutation(len(candidates))]

        clues: list[tuple[Any, ...]] = []
        for clue in candidates:
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
            return frame["at"].format(x=clue[1], pos=positions[clue[2]])
        return frame[clue[0]].format(x=clue[1], y=clue[2] if len(clue) > 2 else "")

    listed = sorted(names)
    said = [say(c) for c in clues]
    stem = (
        frame["intro"].format(names=_and_list(listed))
        + " Diketahui: "
        + "; ".join(said[:-1])
        + f"; dan {said[-1]}. "
        + frame["question"].format(pos=positions[asked])
    )
    key = names[asked]
    return Draft(stem, (key, *(n for n in listed if n != key)), "ordering")


_RATE_TASKS = (
    ("memverifikasi", "berkas permohonan"),
    ("menginput", "data penerima bantuan"),
    ("memindai", "lembar arsip"),
    ("memeriksa", "laporan pertanggungjawaban"),
)


def _rate_item(rng: Rng) -> Draft:
    """Work = workers x hours x rate; the traps forget the change in workers or in work."""
    verb, thing = _pick(rng, _RATE_TASKS)
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
    stem = (
        f"Sebanyak {workers} petugas dapat {verb} {_num(work)} {thing} dalam {hours} jam. Dengan kecepatan kerja "
        f"yang sama, berapa jam yang dibutuhkan {workers2} petugas untuk {verb} {_num(work2)} {thing}?"
    )
    return Draft(stem, tuple(f"{_num(v)} jam" for v in (key, *wrong)), "rate")


_BUDGET_ITEMS = (
    "sosialisasi layanan",
    "pelatihan aparatur desa",
    "pemeliharaan gedung",
    "pengadaan perlengkapan kantor",
)
_BUDGET_USES = ("konsumsi", "sewa tempat", "honor narasumber", "pencetakan materi")


def _budget_item(rng: Rng) -> Draft:
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
    stem = (
        f"Anggaran {_pick(rng, _BUDGET_ITEMS)} sebesar Rp{total} juta dipotong {cut} persen. Dari sisa anggaran itu, "
        f"{spent} persen dipakai untuk {_pick(rng, _BUDGET_USES)}. Sisa anggaran yang masih tersedia adalah ..."
    )
    return Draft(stem, tuple(f"Rp{_num(v)} juta" for v in (key, *wrong)), "budget")


def _average_item(rng: Rng) -> Draft:
    """A new member moves the mean from m to m2: the new score is (n + 1) m2 - n m."""
    while True:
        n, mean = int(rng.integers(4, 13)), int(rng.integers(60, 86))
        mean2 = mean + int(rng.integers(1, 5))
        key = (n + 1) * mean2 - n * mean
        if key <= 100:
            break
    rise = mean2 - mean
    traps = (mean2 + rise, key - rise, key + rise, mean2, n * mean2 - (n - 1) * mean)
    what = _pick(rng, ("nilai uji kompetensi", "nilai pelatihan", "nilai tes kebugaran"))
    stem = (
        f"Rata-rata {what} {n} pegawai di sebuah bidang adalah {mean}. Setelah seorang pegawai baru ikut diuji, "
        f"rata-ratanya menjadi {mean2}. Nilai pegawai baru tersebut adalah ..."
    )
    return Draft(stem, tuple(str(v) for v in (key, *_numeric_distractors(key, traps))), "average")


_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_ROUTINES = (
    "Pemeliharaan server kantor",
    "Pembersihan saluran air kantor",
    "Kunjungan layanan keliling ke desa",
    "Pemeriksaan alat pemadam kebakaran",
)


def _weekday_item(rng: Rng) -> Draft:
    """Day of the week after n intervals of k days; the traps are off by one interval or one day."""
    every, start, count = _pick(rng, (3, 4, 5, 6, 8, 9, 10, 11, 12)), int(rng.integers(7)), int(rng.integers(2, 7))
    key = (start + every * count) % 7
    traps = [(start + every * (count - 1)) % 7, (start + every * (count + 1)) % 7, (start + every * count + 1) % 7]
    traps += [(start + (every + 1) * count) % 7, (key - 1) % 7, (key + 2) % 7]
    wrong = _distinct(key, traps, range(7), 5)
    stem = (
        f"{_pick(rng, _ROUTINES)} dilakukan setiap {every} hari sekali. Kegiatan terakhir dilaksanakan pada hari "
        f"{_DAYS[start]}. Kegiatan yang ke-{count} sesudahnya jatuh pada hari ..."
    )
    return Draft(stem, tuple(_DAYS[d] for d in (key, *wrong)), "weekday")


_STAGES = ("pendaftaran", "verifikasi berkas", "pemeriksaan lapangan", "persetujuan pejabat", "pencetakan dokumen")
_FLOWS = ("permohonan izin usaha", "permohonan bantuan renovasi rumah", "pengajuan sertifikat standar usaha")


def _bottleneck_item(rng: Rng) -> Draft:
    """The stage with the least capacity per hour limits the flow, not the stage that takes longest per file."""
    while True:
        staff = rng.integers(1, 6, size=5)
        minutes = rng.integers(3, 41, size=5)
        capacity = 60 * staff / minutes
        order = np.sort(capacity)
        if order[1] - order[0] >= 1.0 and int(np.argmin(capacity)) != int(np.argmax(minutes)):
            break
    key = int(np.argmin(capacity))
    rows = "; ".join(
        f"{stage} ({int(s)} petugas, {int(m)} menit per berkas)"
        for stage, s, m in zip(_STAGES, staff, minutes, strict=True)
    )
    stem = (
        f"Alur {_pick(rng, _FLOWS)} terdiri atas lima tahap, dan setiap petugas hanya menangani tahapnya sendiri: "
        f"{rows}. Tahap yang membatasi jumlah berkas yang dapat diselesaikan per jam adalah ..."
    )
    names = [s[0].upper() + s[1:] for s in _STAGES]
    return Draft(stem, (names[key], *(n for i, n in enumerate(names) if i != key)), "bottleneck")


_VENDORS = (
    "CV Arta Mandiri",
    "CV Bina Karya",
    "PT Cipta Solusi",
    "PT Duta Teknik",
    "CV Eka Prima",
    "PT Fajar Nusantara",
    "CV Graha Sarana",
    "PT Harmoni Data",
)
_TENDERS = (
    "pemeliharaan jaringan komputer",
    "jasa kebersihan gedung",
    "pengembangan aplikasi layanan",
    "pengadaan seragam petugas",
    "jasa katering rapat",
)
_CRITERIA = ("harga", "mutu teknis", "waktu pelaksanaan")
_CRITERIA_WEIGHTS = ((50, 30, 20), (40, 40, 20), (40, 30, 30), (30, 50, 20), (20, 50, 30), (30, 30, 40))


def _weighted_item(rng: Rng) -> Draft:
    """Five bidders scored on three weighted criteria; the key wins on the weighted score but not on the plain sum."""
    weights = np.array(_pick(rng, _CRITERIA_WEIGHTS))
    while True:
        scores = rng.integers(12, 20, size=(5, 3)) * 5  # 60, 65, ..., 95
        weighted, plain = scores @ weights, scores.sum(axis=1)
        top, top_plain = np.sort(weighted)[::-1], np.sort(plain)[::-1]
        key, plain_key = int(np.argmax(weighted)), int(np.argmax(plain))
        if top[0] - top[1] >= 100 and top_plain[0] > top_plain[1] and key != plain_key:
            break
    names = [_VENDORS[int(i)] for i in rng.choice(len(_VENDORS), size=5, replace=False)]
    rows = "; ".join(f"{n} {s[0]}/{s[1]}/{s[2]}" for n, s in zip(names, scores.tolist(), strict=True))
    (c1, c2, c3), (w1, w2, w3) = _CRITERIA, weights.tolist()
    criteria = f"{c1} {w1} persen, {c2} {w2} persen, dan {c3} {w3} persen"
    stem = (
        f"Panitia menilai lima penawaran {_pick(rng, _TENDERS)} dengan bobot {criteria}. Setiap kriteria diberi skor "
        f"0-100 (makin tinggi makin baik; skor harga tinggi berarti penawaran murah). Skor harga/mutu teknis/waktu "
        f"pelaksanaan: {rows}. Penawaran dengan nilai akhir tertinggi adalah ..."
    )
    return Draft(stem, (names[key], *(n for i, n in enumerate(names) if i != key)), "weighted")


# Five activities (name, prerequisites) of a small project; activities with no link may run at the same time.
_PROJECTS = (
    (
        "pameran layanan publik",
        (
            ("menyusun konsep acara", ()),
            ("memesan tempat", (0,)),
            ("merancang materi pameran", (0,)),
            ("mencetak materi pameran", (2,)),
            ("menata stan", (1, 3)),
        ),
    ),
    (
        "pelatihan aplikasi bagi operator desa",
        (
            ("menyusun kurikulum", ()),
            ("mengundang peserta", (0,)),
            ("menulis modul", (0,)),
            ("menyiapkan akun latihan", ()),
            ("melaksanakan pelatihan", (1, 2, 3)),
        ),
    ),
    (
        "peluncuran layanan pengaduan daring",
        (
            ("menyusun alur layanan", ()),
            ("membuat formulir daring", (0,)),
            ("menyusun materi sosialisasi", (0,)),
            ("menguji formulir daring", (1,)),
            ("meluncurkan layanan", (2, 3)),
        ),
    ),
)


def _schedule_item(rng: Rng) -> Draft:
    """The shortest completion time is the longest chain of prerequisites; the traps add everything up or take the
    shorter chain."""
    project, steps = _pick(rng, _PROJECTS)
    while True:
        days = [int(d) for d in rng.integers(2, 10, size=5)]
        finish: list[int] = []
        for (_, needs), d in zip(steps, days, strict=True):
            finish.append(max((finish[j] for j in needs), default=0) + d)
        key = finish[-1]
        chains = sorted({finish[j] for j in steps[-1][1]})
        if len(chains) >= 2 and chains[-1] - chains[0] >= 2:
            break
    traps = [sum(days), chains[0] + days[-1], key - days[-1], max(days) * 2]
    parts = []
    for (name, needs), d in zip(steps, days, strict=True):
        after = f", setelah {_and_list([steps[j][0] for j in needs])} selesai" if needs else ""
        parts.append(f"{name} ({d} hari{after})")
    stem = (
        f"Persiapan {project} terdiri atas lima kegiatan: {'; '.join(parts)}. Kegiatan yang tidak saling menunggu "
        "dapat dikerjakan bersamaan oleh tim yang berbeda. Waktu tercepat untuk menyelesaikan seluruh persiapan "
        "adalah ..."
    )
    return Draft(stem, tuple(f"{v} hari" for v in (key, *_numeric_distractors(key, traps))), "schedule")


_PROBLEM_SOLVING = (
    tpl(
        "Dalam {periode}, jumlah {masalah} di {unit} meningkat hampir dua kali lipat. {detail} Langkah pertama yang "
        "paling tepat adalah ...",
        (
            "Mengumpulkan data kasus untuk menemukan pola dan penyebab utamanya sebelum memilih solusi",
            "Langsung menambah petugas agar masalah cepat tertangani",
            "Memberikan teguran kepada semua petugas yang menangani pekerjaan itu",
            "Meniru solusi dari instansi lain tanpa memeriksa kecocokannya",
            "Menunggu beberapa bulan untuk melihat apakah masalahnya mereda sendiri",
            "Mengganti aplikasi yang dipakai dengan aplikasi baru",
        ),
        periode=("tiga bulan terakhir", "dua bulan terakhir", "semester ini"),
        masalah=(
            "berkas permohonan yang dikembalikan karena tidak lengkap",
            "keluhan warga tentang antrean",
            "kesalahan input data penerima bantuan",
            "surat masuk yang terlambat didisposisikan",
            "permintaan perbaikan perangkat komputer",
        ),
        unit=_UNITS,
        detail=(
            "Pimpinan meminta solusi dalam dua minggu.",
            "Jumlah petugas tidak berubah.",
            "Setiap bidang saling menyalahkan.",
        ),
        core=2,
    ),
    tpl(
        "{p[situasi]} {detail} Solusi yang paling tepat adalah ...",
        mc_options("p", 4),
        p=(
            mc(
                "Menjadwalkan pencetakan dokumen besar di luar jam sibuk dan membiasakan pengiriman dokumen secara "
                "elektronik",
                "Membeli printer baru untuk setiap pegawai",
                "Melarang pegawai mencetak dokumen apa pun",
                "Mencetak semua dokumen di tempat fotokopi di luar kantor dengan biaya pribadi",
                "Membiarkannya karena kemacetan hanya terjadi menjelang tenggat",
                situasi=(
                    "Printer bersama di ruangan Anda sering macet karena dipakai mencetak dokumen dalam jumlah besar "
                    "menjelang tenggat laporan."
                ),
            ),
            mc(
                "Menyusun agenda dan batas waktu per topik, mengirim bahan sebelum rapat, dan menutup setiap topik "
                "dengan keputusan serta penanggung jawabnya",
                "Menghapus rapat mingguan sama sekali",
                "Memperpanjang jadwal rapat menjadi setengah hari",
                "Membatasi peserta rapat hanya untuk pimpinan",
                "Mengganti rapat tatap muka dengan rapat daring tanpa mengubah cara rapatnya",
                situasi="Rapat koordinasi mingguan di unit Anda selalu molor lebih dari dua jam tanpa keputusan yang "
                "jelas.",
            ),
            mc(
                "Menganalisis kolom yang paling sering salah diisi, menyederhanakan formulirnya, dan menambahkan "
                "contoh pengisian",
                "Menambah petugas pemeriksa berkas",
                "Menolak semua berkas yang salah tanpa penjelasan",
                "Meminta warga meminta orang lain mengisikan formulirnya",
                "Mencetak formulir dalam jumlah yang lebih banyak",
                situasi=(
                    "Warga sering salah mengisi formulir permohonan sehingga berkasnya harus diperbaiki berulang kali."
                ),
            ),
            mc(
                "Menyepakati kode klasifikasi arsip, menata ulang arsip secara bertahap, dan membuat daftar arsip yang "
                "dapat dicari",
                "Membeli lemari arsip tambahan",
                "Menyerahkan semua urusan arsip kepada satu orang pegawai",
                "Memusnahkan arsip yang berumur lebih dari setahun",
                "Meminta setiap pegawai menyimpan arsipnya sendiri di meja masing-masing",
                situasi="Berkas arsip di unit Anda sulit ditemukan saat diperlukan karena disimpan tanpa pola yang "
                "sama.",
            ),
            mc(
                "Menyediakan templat isian daring yang seragam beserta jadwal pengiriman dan contoh pengisiannya",
                "Mengirim surat teguran kepada kecamatan yang terlambat",
                "Mengetik ulang sendiri semua data dari kecamatan",
                "Mengurangi jumlah data yang dilaporkan tanpa berkoordinasi",
                "Menunggu semua data masuk tanpa batas waktu",
                situasi="Data capaian program dari kecamatan sering terlambat masuk karena dikirim dengan format yang "
                "berbeda-beda.",
            ),
            mc(
                "Menyediakan kanal saran yang mudah, seperti kode QR dan pesan singkat, serta mengumumkan tindak "
                "lanjut atas saran yang masuk",
                "Memindahkan kotak saran ke ruang pimpinan",
                "Menganggap warga sebenarnya sudah puas",
                "Mewajibkan setiap warga mengisi saran sebelum pulang",
                "Mengganti kotak saran dengan yang lebih besar",
                situasi="Kotak saran di kantor Anda hampir selalu kosong, padahal survei menunjukkan banyak warga yang "
                "kurang puas.",
            ),
        ),
        detail=(
            "Anggaran untuk perbaikan sangat terbatas.",
            "Pimpinan menunjuk Anda untuk mencari jalan keluarnya.",
            "Masalah ini sudah berlangsung berbulan-bulan.",
        ),
    ),
    tpl(
        "{c[soal]} {detail} Pilihan yang memenuhi semua ketentuan adalah ...",
        mc_options("c", 5),
        c=(
            mc(
                "Membagi pegawai menjadi tiga gelombang pada hari yang berbeda dalam minggu itu, dengan petugas loket "
                "dijadwalkan bergantian",
                "Melatih 60 pegawai sekaligus di ruang kelas itu dalam satu hari",
                "Menutup loket selama dua hari agar semua petugas dapat ikut bersamaan",
                "Melatih 20 pegawai setiap bulan selama tiga bulan",
                "Melatih 20 pegawai saja dan meminta sisanya belajar sendiri",
                "Menunda pelatihan sampai tersedia ruang yang lebih besar",
                soal="Unit Anda harus melatih 60 pegawai memakai aplikasi baru. Ruang kelas hanya menampung 20 orang, "
                "pelatihan harus selesai dalam satu minggu, dan loket layanan tidak boleh tutup karena petugasnya ikut "
                "pelatihan.",
            ),
            mc(
                "Hari pertama: Desa Talang pada pagi hari dan satu desa lain pada siang hari; hari kedua: desa yang "
                "tersisa",
                "Mengirim semua paket dalam satu perjalanan pada hari pertama",
                "Hari pertama: dua desa lainnya; hari kedua: Desa Talang pada sore hari",
                "Mengirim ke satu desa setiap hari selama tiga hari",
                "Menyewa dua mobil tambahan agar semua paket terkirim dalam sehari",
                "Hari pertama: Desa Talang pada sore hari; hari kedua: dua desa lainnya",
                soal="Sebanyak 300 paket bantuan harus dikirim ke tiga desa, masing-masing 100 paket, dalam dua hari. "
                "Hanya ada satu mobil berkapasitas 100 paket yang dapat menempuh dua perjalanan sehari, tidak ada "
                "anggaran sewa kendaraan, dan jalan ke Desa Talang hanya aman dilalui pada pagi hari.",
            ),
            mc(
                "Rabu pagi",
                "Senin pagi",
                "Rabu siang",
                "Kamis siang",
                "Selasa pagi",
                "Kamis pagi",
                soal="Anda harus menjadwalkan rapat dua jam dengan empat kepala bidang. Kabid A hanya dapat hadir pada "
                "hari Senin atau Rabu, Kabid B tidak dapat hadir pada hari Senin, Kabid C hanya dapat hadir pada pagi "
                "hari, dan Kabid D dapat hadir kapan saja. Ruang rapat hanya kosong pada Senin pagi, Rabu pagi, Rabu "
                "siang, dan Kamis siang.",
            ),
            mc(
                "Aplikasi R: gratis, server di dalam negeri, dapat diisi tanpa akun",
                "Aplikasi P: berbayar, server di dalam negeri, dapat diisi tanpa akun",
                "Aplikasi Q: gratis, server di luar negeri, dapat diisi tanpa akun",
                "Aplikasi S: gratis, server di dalam negeri, pengisi wajib membuat akun",
                "Aplikasi T: berbayar, server di luar negeri, pengisi wajib membuat akun",
                "Aplikasi U: gratis, server di luar negeri, pengisi wajib membuat akun",
                soal="Instansi Anda memilih aplikasi survei kepuasan warga. Aplikasi itu harus gratis, menyimpan data "
                "di server dalam negeri, dan dapat diisi warga tanpa membuat akun.",
            ),
            mc(
                "Empat petugas bertugas dua hari dan dua petugas bertugas satu hari",
                "Setiap petugas bertugas dua hari",
                "Lima petugas bertugas dua hari dan satu petugas tidak bertugas",
                "Dua petugas bertugas tiga hari dan empat petugas bertugas satu hari",
                "Dua petugas bertugas dua hari dan empat petugas bertugas satu hari",
                "Setiap petugas bertugas satu hari",
                soal="Enam petugas bergiliran menjaga loket dari Senin sampai Jumat. Setiap hari loket harus dijaga "
                "tepat dua petugas, setiap petugas mendapat sedikitnya satu giliran, dan tidak ada petugas yang "
                "bertugas lebih dari dua hari dalam seminggu.",
            ),
            mc(
                "Gedung serbaguna: kapasitas 200 orang, jarak 1,5 km, di luar zona rawan banjir",
                "Balai desa: kapasitas 120 orang, jarak 0,5 km, di luar zona rawan banjir",
                "Gedung sekolah: kapasitas 180 orang, jarak 1 km, di dalam zona rawan banjir",
                "Stadion: kapasitas 500 orang, jarak 6 km, di luar zona rawan banjir",
                "Aula kampus: kapasitas 160 orang, jarak 2,5 km, di luar zona rawan banjir",
                "Gudang logistik: kapasitas 150 orang, jarak 1 km, di dalam zona rawan banjir",
                soal="Pemerintah kecamatan mencari gedung untuk posko pengungsian sementara. Gedung itu harus "
                "menampung sedikitnya 150 orang, berjarak kurang dari 2 km dari desa terdampak, dan berada di luar "
                "zona rawan banjir.",
            ),
            mc(
                "Rudi, Sari, dan Vina",
                "Rudi, Tono, dan Vina",
                "Sari, Umi, dan Tono",
                "Rudi, Tono, dan Sari",
                "Rudi, Umi, dan Tono",
                "Sari, Umi, dan Rudi",
                soal="Anda menyusun tim verifikasi beranggotakan tiga orang dari lima calon: Rudi, Sari, Tono, Umi, "
                "dan "
                "Vina. Tim harus memuat sedikitnya satu orang bersertifikat pengadaan (hanya Sari dan Umi yang "
                "memilikinya), Rudi dan Tono tidak boleh berada dalam satu tim karena bersaudara, dan Vina harus ikut "
                "karena hanya ia yang menguasai aplikasi verifikasi.",
            ),
        ),
        detail=(
            "Keputusan harus diambil hari ini.",
            "Pimpinan meminta Anda memeriksa semua ketentuan dengan cermat.",
            "Usulan ini akan dibahas dalam rapat staf.",
        ),
    ),
    tpl(
        "{pemberi} meminta Anda {t[tugas]}. {detail} Sebelum mulai, informasi yang paling penting untuk dipastikan "
        "adalah ...",
        mc_options("t", 5),
        t=(
            mc(
                "Sebaran warga yang belum merekam KTP elektronik beserta akses transportasi ke lokasinya",
                "Jumlah kendaraan dinas yang dimiliki kantor",
                "Lokasi yang paling dekat dengan kantor dinas",
                "Lokasi layanan keliling tahun lalu saja",
                "Daftar petugas yang paling senior",
                "Anggaran konsumsi untuk petugas",
                tugas="mengusulkan lokasi baru untuk layanan keliling perekaman KTP elektronik",
            ),
            mc(
                "Tahap mana dalam alur perizinan yang paling lama beserta penyebabnya",
                "Jumlah pengikut akun media sosial kantor",
                "Nama-nama warga yang paling sering mengeluh",
                "Desain formulir izin di daerah lain",
                "Jumlah pegawai yang akan pensiun tahun ini",
                "Jumlah total izin yang terbit sejak kantor berdiri",
                tugas="menyusun rencana penanganan keluhan warga tentang lamanya pengurusan izin",
            ),
            mc(
                "Tingkat kemampuan awal operator desa serta ketersediaan perangkat dan jaringan internet di desa",
                "Jumlah halaman modul pelatihan tahun lalu",
                "Daftar hadir rapat persiapan sebelumnya",
                "Nama pengembang aplikasi tersebut",
                "Jumlah desa di kabupaten tetangga",
                "Menu konsumsi selama pelatihan",
                tugas="merencanakan pelatihan aplikasi baru bagi operator desa",
            ),
            mc(
                "Data penerimaan per pasar dan per bulan untuk melihat di mana dan sejak kapan penurunan terjadi",
                "Jumlah pasar di kabupaten lain",
                "Jadwal libur nasional tahun depan",
                "Nama-nama pedagang yang paling lama berjualan",
                "Warna seragam petugas penarik retribusi",
                "Usulan target retribusi tahun depan",
                tugas="mencari penyebab turunnya penerimaan retribusi pasar",
            ),
            mc(
                "Jumlah pengunjung dan waktu tunggu per jam serta per jenis layanan",
                "Jumlah meja yang tersedia di gudang",
                "Keinginan para petugas untuk dipindahkan",
                "Jumlah petugas di mal pelayanan kota lain",
                "Data kehadiran petugas tahun lalu saja",
                "Luas area parkir",
                tugas="menyusun usulan penambahan petugas di Mal Pelayanan Publik",
            ),
            mc(
                "Data siswa yang putus sekolah beserta alasan utamanya, misalnya biaya, jarak, atau harus bekerja",
                "Jumlah sekolah yang memiliki laboratorium komputer",
                "Daftar prestasi lomba sekolah-sekolah di kecamatan",
                "Jumlah guru yang akan naik pangkat",
                "Program serupa di negara lain",
                "Jadwal ujian sekolah tahun depan",
                tugas="merancang program pengurangan angka putus sekolah di kecamatan",
            ),
        ),
        pemberi=("Kepala dinas", "Sekretaris daerah", "Kepala bidang Anda"),
        detail=(
            "Waktu yang tersedia hanya dua minggu.",
            "Belum ada data awal yang terkumpul.",
            "Tugas ini baru pertama kali diberikan kepada Anda.",
        ),
    ),
    tpl(
        "{s[solusi]} sudah diterapkan di kantor Anda {lama}. {detail} Cara yang paling tepat untuk menilai apakah "
        "solusi itu berhasil adalah ...",
        mc_options("s", 5),
        s=(
            mc(
                "Membandingkan rata-rata waktu tunggu dan jumlah keluhan sebelum dan sesudah penerapan pada hari-hari "
                "dengan jumlah pengunjung yang sebanding",
                "Menanyakan pendapat tim yang merancang sistem itu",
                "Menghitung jumlah unduhan aplikasi antrean",
                "Melihat apakah pimpinan menyukai tampilan aplikasinya",
                "Membandingkan jumlah pengunjung hari ini dengan hari pertama penerapan",
                "Menghitung berapa kali petugas membuka aplikasi itu",
                solusi="Sistem antrean daring",
            ),
            mc(
                "Membandingkan persentase berkas yang dikembalikan karena salah isi sebelum dan sesudah formulir "
                "diubah",
                "Menghitung jumlah kolom yang berhasil dihapus",
                "Menanyakan kepada petugas apakah formulir baru tampak lebih rapi",
                "Menghitung jumlah formulir yang dicetak",
                "Membandingkan formulir baru dengan formulir daerah lain",
                "Menunggu apakah ada keluhan di media sosial",
                solusi="Formulir permohonan yang disederhanakan",
            ),
            mc(
                "Membandingkan persentase wajib pajak yang membayar tepat waktu antara yang menerima pengingat dan "
                "yang "
                "belum menerimanya",
                "Menghitung jumlah pesan singkat yang terkirim",
                "Menanyakan kepada operator seluler apakah pesannya terbaca",
                "Menghitung biaya pengiriman pesan singkat",
                "Menghitung jumlah wajib pajak yang menyimpan nomor kantor",
                "Menanyakan kepada beberapa pegawai apakah mereka menerima pesan itu",
                solusi="Pengingat jatuh tempo pajak melalui pesan singkat",
            ),
            mc(
                "Membandingkan jumlah naskah yang dikembalikan untuk diperbaiki sebelum dan sesudah pelatihan",
                "Menghitung jumlah peserta yang hadir dalam pelatihan",
                "Menanyakan apakah peserta menyukai narasumbernya",
                "Menghitung jumlah halaman modul pelatihan",
                "Melihat nilai kuis pada hari pelatihan saja",
                "Menghitung biaya konsumsi pelatihan",
                solusi="Pelatihan penulisan naskah dinas bagi staf",
            ),
            mc(
                "Membandingkan cakupan layanan di desa sasaran sebelum dan sesudah program dengan desa yang belum "
                "dikunjungi",
                "Menghitung jumlah kilometer yang ditempuh kendaraan layanan",
                "Menghitung jumlah foto kegiatan yang diunggah",
                "Menanyakan pendapat sopir kendaraan layanan",
                "Menghitung jumlah desa yang sudah dikunjungi saja",
                "Melihat jumlah tanda suka pada unggahan kegiatan",
                solusi="Layanan jemput bola ke desa-desa terpencil",
            ),
            mc(
                "Membandingkan lama tindak lanjut pengaduan dan persentase pengaduan yang tuntas dengan keadaan "
                "sebelum "
                "kanal itu dibuka",
                "Menghitung jumlah pesan yang masuk saja",
                "Menghitung jumlah stiker yang dikirim warga",
                "Menanyakan apakah petugas senang memakai aplikasi itu",
                "Membandingkan jumlah pengikut akun media sosial kantor",
                "Menghitung jumlah ponsel yang dibeli untuk layanan itu",
                solusi="Kanal pengaduan melalui aplikasi pesan",
            ),
        ),
        lama=("selama tiga bulan", "sejak awal tahun", "selama satu semester"),
        detail=(
            "Pimpinan meminta laporan hasilnya.",
            "Sebagian pegawai merasa solusi itu sudah pasti berhasil.",
            "Anggaran tahun depan bergantung pada hasil penilaian ini.",
        ),
    ),
    tpl(
        "Sejak {unit} {x[perubahan]}, {x[gejala]}. {detail} Dugaan penyebab yang paling masuk akal untuk diperiksa "
        "lebih dulu adalah ...",
        mc_options("x", 5),
        x=(
            mc(
                "Warga belum mengetahui lokasi baru atau kesulitan menjangkaunya",
                "Warga tiba-tiba tidak lagi membutuhkan layanan tersebut",
                "Aplikasi layanan daring sedang bermasalah",
                "Jumlah penduduk di wilayah itu menurun drastis",
                "Petugas di gedung baru kurang ramah",
                "Formulir permohonan di gedung baru berbeda",
                perubahan="pindah ke gedung baru di pinggir kota",
                gejala="jumlah warga yang datang langsung turun tajam, sedangkan jumlah permohonan daring tetap",
            ),
            mc(
                "Formulir menjadi terlalu panjang atau ada kolom baru yang membingungkan",
                "Warga tidak lagi tertarik pada layanan itu",
                "Jaringan internet warga mendadak melambat",
                "Petugas loket kurang ramah",
                "Jumlah penduduk berkurang",
                "Warna tampilan formulir berubah",
                perubahan="menambahkan sepuluh kolom isian baru pada formulir daring",
                gejala="makin banyak warga yang berhenti di tengah pengisian formulir",
            ),
            mc(
                "Warga yang biasanya datang pada sore hari kini menumpuk pada pagi hari",
                "Petugas pagi bekerja lebih lambat daripada sebelumnya",
                "Jumlah penduduk bertambah pesat dalam sebulan",
                "Sistem antrean rusak setiap pagi",
                "Warga lebih suka datang pagi karena cuacanya sejuk",
                "Jumlah jenis layanan bertambah",
                perubahan="menghapus jadwal layanan sore",
                gejala="antrean pada pagi hari menjadi jauh lebih panjang",
            ),
            mc(
                "Operator desa belum terbiasa memakai aplikasi baru itu atau kesulitan mengaksesnya",
                "Kepala desa tidak lagi peduli terhadap laporan",
                "Jumlah desa bertambah",
                "Tenggat pelaporan terlalu longgar",
                "Operator desa sedang cuti bersamaan",
                "Laporan desa tidak lagi diperlukan",
                perubahan="mewajibkan laporan desa dikirim melalui aplikasi baru",
                gejala="banyak desa terlambat mengirim laporan, padahal sebelumnya selalu tepat waktu",
            ),
            mc(
                "Jenis atau ketebalan kertas dari pemasok baru tidak cocok untuk printer yang ada",
                "Pegawai mencetak lebih banyak dokumen daripada biasanya",
                "Printer-printer itu sudah waktunya diganti semua",
                "Tinta printer yang dipakai sudah habis",
                "Jaringan listrik kantor tidak stabil",
                "Pegawai kurang terampil memakai printer",
                perubahan="berganti pemasok kertas",
                gejala="printer di beberapa ruangan menjadi sering macet",
            ),
            mc(
                "Pegawai sering lupa kata sandi karena harus sering menggantinya",
                "Akun-akun pegawai sedang diretas secara bersamaan",
                "Bagian TI kekurangan pegawai",
                "Aplikasi yang dipakai pegawai bertambah banyak",
                "Pegawai sengaja membuat bagian TI sibuk",
                "Koneksi internet kantor lambat",
                perubahan="mewajibkan penggantian kata sandi setiap bulan",
                gejala="permintaan atur ulang kata sandi ke bagian TI melonjak",
            ),
        ),
        unit=("kantor Anda", "kantor kecamatan binaan Anda", "unit layanan tempat Anda bertugas"),
        detail=(
            "Pimpinan meminta jawaban cepat.",
            "Belum ada yang memeriksa datanya secara rinci.",
            "Beberapa pegawai sudah menduga-duga penyebabnya.",
        ),
    ),
)

_GENERIC_WEAK_IDEAS = (
    "Menunggu arahan lebih lanjut dari pimpinan sebelum melakukan apa pun",
    "Meniru persis program instansi lain tanpa menyesuaikannya dengan kondisi setempat",
    "Menunggu tambahan anggaran tahun depan sebelum mencoba apa pun",
    "Membentuk tim besar yang membahasnya selama berbulan-bulan sebelum mencoba apa pun",
)


def _idea(key: str, d1: str, d2: str, **parts: str) -> dict[str, str]:
    """A creativity slot value: its key, two specific distractors and two of the generic weak ideas.

    The generic pair is picked from the key text (not ``hash``, which varies between runs), so every item keeps
    two distractors written for its own situation.
    """
    first = sum(map(ord, key)) % len(_GENERIC_WEAK_IDEAS)
    weak = (_GENERIC_WEAK_IDEAS[first], _GENERIC_WEAK_IDEAS[(first + 1) % len(_GENERIC_WEAK_IDEAS)])
    return mc(key, d1, d2, *weak, **parts)


_CREATIVITY = (
    tpl(
        "{tempat} memiliki {r[aset]}. {detail} Ide pemanfaatan yang paling kreatif dan tetap sesuai aturan adalah ...",
        mc_options("r", 4),
        tempat=(
            "Kantor kecamatan tempat Anda bertugas",
            "Perpustakaan daerah",
            "Kantor dinas Anda",
            "Balai pelatihan milik pemerintah daerah",
        ),
        r=(
            _idea(
                "Menjadikannya lokasi layanan keliling dan pasar produk UMKM binaan pada akhir pekan",
                "Menyewakannya kepada pihak swasta dan membagikan hasilnya kepada pegawai",
                "Memasang pagar agar halaman itu tidak dipakai siapa pun",
                aset="halaman parkir luas yang kosong setiap akhir pekan",
            ),
            _idea(
                "Mengubahnya menjadi ruang konsultasi layanan daring yang jadwalnya dapat dipesan warga",
                "Menjadikannya gudang tambahan untuk arsip lama",
                "Memakainya sebagai ruang istirahat pribadi pimpinan",
                aset="ruang rapat kecil di lantai dasar yang jarang dipakai",
            ),
            _idea(
                "Memasang perangkat lunak ringan lalu menjadikannya pojok belajar digital bagi warga dan pegawai",
                "Menyimpannya di gudang sampai ada penghapusan aset",
                "Membagikannya kepada pegawai untuk dibawa pulang",
                aset="puluhan komputer lama yang masih berfungsi, tetapi tidak lagi dipakai",
            ),
            _idea(
                "Mengisinya dengan video singkat tanya-jawab layanan yang dibawakan langsung oleh petugas loket",
                "Mengunggah ulang pengumuman lama agar akun itu terlihat aktif",
                "Menutup akun tersebut",
                aset="akun media sosial resmi yang jarang diperbarui",
            ),
            _idea(
                "Menampilkan nomor antrean, perkiraan waktu tunggu, dan infografik persyaratan layanan secara "
                "bergantian",
                "Menayangkan siaran televisi hiburan sepanjang hari",
                "Mematikannya untuk menghemat listrik",
                aset="layar televisi di ruang tunggu yang jarang dinyalakan",
            ),
            _idea(
                "Mengolahnya untuk memperkirakan hari-hari sibuk dan menyesuaikan jadwal petugas",
                "Menghapus data lama agar server tidak penuh",
                "Mencetak seluruh data untuk disimpan di lemari arsip",
                aset="data kunjungan layanan beberapa tahun terakhir yang belum pernah diolah",
            ),
        ),
        detail=(
            "Anggaran tahun ini sangat terbatas.",
            "Pimpinan meminta ide yang dapat dijalankan dalam sebulan.",
            "Warga sering mengeluhkan kurangnya fasilitas layanan.",
        ),
    ),
    tpl(
        "Anda diminta meningkatkan {g[tujuan]} di {wilayah} tanpa tambahan anggaran. {detail} Gagasan yang paling "
        "kreatif dan dapat dijalankan adalah ...",
        mc_options("g", 4),
        wilayah=("kecamatan Anda", "desa binaan Anda", "kelurahan tempat Anda bertugas"),
        g=(
            _idea(
                'Melatih kader desa menjadi "duta layanan daring" yang membantu warga mengirim pengaduan lewat ponsel',
                "Mencetak spanduk besar di setiap desa walaupun anggarannya belum ada",
                "Mewajibkan warga mengadu secara daring dan menutup loket pengaduan langsung",
                tujuan="jumlah warga yang memakai layanan pengaduan daring",
            ),
            _idea(
                "Menggabungkan jadwal posyandu dengan kegiatan yang sudah ramai didatangi warga, seperti pasar "
                "mingguan",
                "Mengirim surat edaran ke setiap rumah",
                "Memberikan sanksi kepada keluarga yang tidak datang",
                tujuan="kehadiran warga di posyandu",
            ),
            _idea(
                "Membuat papan capaian pembayaran per RT yang diumumkan setiap bulan dan memberi penghargaan sederhana "
                "bagi RT terbaik",
                "Menaikkan denda keterlambatan tanpa sosialisasi",
                "Menagih dari rumah ke rumah oleh seluruh pegawai setiap hari",
                tujuan="kepatuhan warga membayar pajak bumi dan bangunan",
            ),
            _idea(
                "Menghidupkan pojok baca di balai desa dengan relawan mahasiswa yang bergiliran mendongeng",
                "Membeli ribuan buku baru walaupun anggarannya tidak tersedia",
                "Mewajibkan setiap anak meminjam buku setiap minggu",
                tujuan="minat baca anak-anak",
            ),
            _idea(
                "Membuat bank sampah yang menukar sampah terpilah dengan poin untuk membayar iuran kebersihan",
                "Memasang lebih banyak tempat sampah tanpa pembeda jenis",
                "Melarang warga membuang sampah yang belum dipilah tanpa menyediakan sarananya",
                tujuan="partisipasi warga dalam memilah sampah",
            ),
            _idea(
                "Menyusun jadwal kunjungan berdasarkan usulan sekolah dan komunitas, lalu mengumumkannya lewat grup "
                "percakapan desa",
                "Menambah rute kunjungan ke semua desa sekaligus",
                "Menghentikan layanan di desa yang jarang dikunjungi warga",
                tujuan="pemanfaatan layanan perpustakaan keliling",
            ),
        ),
        detail=(
            "Tim Anda hanya terdiri atas dua orang.",
            "Pimpinan ingin melihat hasil awal dalam tiga bulan.",
            "Cara-cara lama sudah dicoba dan hasilnya kurang memuaskan.",
        ),
    ),
    tpl(
        "Warga sering {k[keluhan]} saat mengurus {layanan}. {detail} Gagasan baru yang paling tepat adalah ...",
        mc_options("k", 4),
        layanan=("izin usaha", "dokumen kependudukan", "bantuan sosial", "surat keterangan di kelurahan"),
        k=(
            _idea(
                "Membuat daftar periksa persyaratan interaktif yang dapat dibuka lewat kode QR di spanduk dan media "
                "sosial",
                "Menempel daftar persyaratan yang lebih panjang di papan pengumuman",
                "Meminta warga datang ke kantor untuk bertanya sebelum mengurus berkas",
                keluhan="harus bolak-balik karena tidak mengetahui persyaratannya",
            ),
            _idea(
                "Menerapkan nomor antrean daring dengan perkiraan jam layanan sehingga warga dapat datang mendekati "
                "gilirannya",
                "Membuka loket lebih pagi",
                "Membatasi jumlah warga yang dilayani setiap hari",
                keluhan="mengantre berjam-jam sejak subuh",
            ),
            _idea(
                "Mengganti formulir dengan wawancara singkat yang dipandu petugas lalu langsung diketik ke sistem",
                "Mencetak formulir dengan huruf yang lebih besar",
                "Menambahkan lebih banyak kolom agar datanya lengkap",
                keluhan="kebingungan mengisi formulir",
            ),
            _idea(
                "Mengirim pemberitahuan otomatis melalui pesan singkat setiap kali status berkas berubah",
                "Meminta warga menelepon kantor setiap minggu",
                "Menempel daftar berkas yang sudah selesai di papan pengumuman",
                keluhan="tidak mengetahui perkembangan berkasnya",
            ),
            _idea(
                "Membuka layanan sore secara bergiliran dan layanan jemput bola di pusat keramaian",
                "Menyarankan warga mengambil cuti dari pekerjaannya",
                "Memperpanjang jam layanan setiap hari tanpa menambah petugas",
                keluhan="kesulitan datang karena bekerja pada jam kantor",
            ),
            _idea(
                "Memanfaatkan data kependudukan yang sudah terhubung sehingga warga cukup menunjukkan NIK",
                "Menyediakan mesin fotokopi gratis di kantor",
                "Meminta warga membawa banyak fotokopi cadangan",
                keluhan="harus memfotokopi dokumen yang sama berulang kali",
            ),
        ),
        detail=(
            "Pimpinan terbuka terhadap uji coba kecil.",
            "Sebagian besar petugas sudah terbiasa memakai aplikasi pesan.",
            "Keluhan tersebut sering muncul di media sosial.",
        ),
    ),
    tpl(
        "Anda harus menyosialisasikan {s[topik]} kepada {sasaran}. {detail} Cara yang paling kreatif dan efektif "
        "adalah ...",
        mc_options("s", 4),
        sasaran=("warga lanjut usia", "pelajar SMA", "para pedagang pasar", "pegawai di kantor Anda"),
        s=(
            _idea(
                "Membuat simulasi singkat berupa permainan peran tentang kebocoran data yang dapat langsung "
                "dipraktikkan peserta",
                "Membacakan pasal-pasal undang-undangnya secara lengkap",
                "Membagikan salinan cetak undang-undangnya",
                topik="aturan tentang pelindungan data pribadi",
            ),
            _idea(
                "Membuat kalender bergambar untuk ditempel di rumah dan pengingat otomatis melalui grup percakapan RT",
                "Mengumumkannya satu kali melalui pengeras suara",
                "Memasang satu spanduk di kantor kelurahan",
                topik="jadwal baru pengangkutan sampah",
            ),
            _idea(
                "Mengadakan simulasi evakuasi mendadak, mengukur waktunya, lalu mengevaluasinya bersama peserta",
                "Mengirim denah jalur evakuasi melalui surel",
                "Meminta setiap orang membaca prosedur evakuasi secara mandiri",
                topik="prosedur evakuasi saat gempa",
            ),
            _idea(
                "Membuat video pendek berupa cerita sehari-hari yang memperlihatkan langkah melapor, lalu "
                "menyebarkannya melalui akun resmi",
                "Memasang nomor pengaduan di pojok papan pengumuman",
                "Menerbitkan surat edaran yang panjang",
                topik="cara melaporkan pungutan liar",
            ),
            _idea(
                "Menghadirkan orang tua yang anaknya sudah diimunisasi untuk berbagi pengalaman secara langsung",
                "Membagikan brosur yang penuh istilah medis",
                "Menyampaikan ceramah satu arah di balai desa",
                topik="manfaat imunisasi lengkap",
            ),
            _idea(
                "Membuka pojok pendampingan di tempat keramaian agar peserta dapat langsung mengaktifkannya di ponsel "
                "masing-masing",
                "Mengirim surat pemberitahuan ke setiap desa",
                "Memasang iklan di surat kabar nasional",
                topik="layanan identitas kependudukan digital",
            ),
        ),
        detail=(
            "Waktu yang tersedia hanya satu minggu.",
            "Peserta biasanya cepat bosan dengan ceramah.",
            "Anggaran yang tersedia sangat kecil.",
        ),
    ),
    tpl(
        "Anda diminta membuat {p[acara]} di {tempat} lebih menarik dan bermanfaat. {detail} Ide yang paling kreatif "
        "dan "
        "tetap relevan adalah ...",
        mc_options("p", 4),
        p=(
            _idea(
                "Mengisi lima menit apel dengan cerita singkat praktik baik dari bidang yang berbeda secara bergiliran",
                "Memperpanjang durasi apel agar lebih banyak pengumuman dapat dibacakan",
                "Mewajibkan pegawai menghafal isi pengumuman apel",
                acara="apel pagi mingguan",
            ),
            _idea(
                "Menyajikannya sebagai infografik dan kisah dampak layanan bagi warga, dilengkapi tautan ke data "
                "rincinya",
                "Menambah jumlah halaman dan tabel agar laporan tampak lengkap",
                "Mencetaknya di kertas yang lebih tebal dan mengilap",
                acara="laporan kinerja tahunan",
            ),
            _idea(
                "Membahas studi kasus nyata yang sudah disamarkan dalam diskusi kelompok kecil",
                "Membacakan isi peraturan pasal demi pasal",
                "Membagikan salinan peraturan tanpa penjelasan",
                acara="sosialisasi aturan disiplin pegawai",
            ),
            _idea(
                "Memakai permainan peran dengan skenario keluhan warga yang sering terjadi, lalu memberi umpan balik "
                "langsung",
                "Memutar video ceramah berdurasi dua jam",
                "Menugaskan peserta meringkas buku pedoman pelayanan",
                acara="pelatihan pelayanan prima",
            ),
            _idea(
                "Mengubahnya menjadi buletin digital singkat dengan rubrik kiat kerja dan profil pegawai yang ditulis "
                "bergiliran oleh setiap bidang",
                "Menerbitkannya setahun sekali dengan jumlah halaman yang lebih banyak",
                "Mengisinya hanya dengan salinan surat edaran",
                acara="buletin internal kantor",
            ),
            _idea(
                "Membuka rapat dengan dasbor capaian yang selalu diperbarui, lalu memakai sisa waktu untuk memecahkan "
                "satu masalah utama bersama-sama",
                "Meminta setiap bidang membacakan laporan tertulisnya secara bergantian",
                "Menambah frekuensi rapat menjadi dua kali seminggu",
                acara="rapat evaluasi bulanan",
            ),
        ),
        tempat=("kantor dinas Anda", "kantor kecamatan Anda", "sekretariat daerah", "balai pelatihan daerah"),
        detail=(
            "Pimpinan ingin ada perubahan yang terasa dalam sebulan.",
            "Pegawai mulai jenuh dengan cara yang lama.",
            "Tidak ada tambahan anggaran untuk kegiatan itu.",
        ),
    ),
    tpl(
        "Pemerintah daerah ingin {m[tujuan]}, tetapi {kendala}. {detail} Gagasan yang paling kreatif dan dapat "
        "dijalankan adalah ...",
        mc_options("m", 4),
        m=(
            _idea(
                "Menggerakkan kebiasaan membawa botol minum sendiri dengan memanfaatkan dispenser yang ada sebagai "
                "stasiun isi ulang dan memajang capaian pengurangan plastik per unit",
                "Melarang semua plastik mulai besok tanpa menyediakan pengganti",
                "Mencetak poster larangan plastik dalam jumlah besar",
                tujuan="mengurangi sampah plastik sekali pakai di kantor-kantor pemerintah",
            ),
            _idea(
                "Mengajak warga mengirim foto jalan rusak beserta titik lokasinya melalui kanal pengaduan resmi, lalu "
                "memetakannya di dasbor",
                "Menunggu laporan tahunan dari setiap kecamatan",
                "Menugaskan satu petugas menyusuri seluruh jalan kabupaten",
                tujuan="mempercepat pendataan jalan rusak",
            ),
            _idea(
                "Menutup satu ruas jalan setiap Minggu pagi untuk hari bebas kendaraan dengan kegiatan olahraga yang "
                "dikelola komunitas",
                "Membangun stadion baru di pusat kota",
                "Mewajibkan warga mendaftar senam di kantor kelurahan",
                tujuan="meningkatkan minat warga berolahraga",
            ),
            _idea(
                "Membuka pendaftaran daring dan lewat pesan singkat untuk memilih jam kedatangan, serta memindahkan "
                "pengambilan obat rutin ke hari lain",
                "Membuka pendaftaran lebih pagi pada hari Senin",
                "Membatasi jumlah pasien yang dilayani pada hari Senin",
                tujuan="mengurangi antrean panjang di puskesmas pada Senin pagi",
            ),
            _idea(
                "Membuat katalog digital bersama yang dipromosikan melalui akun resmi dan dipajang lewat kode QR di "
                "ruang tunggu layanan publik",
                "Mewajibkan pegawai membeli produk UMKM setiap bulan",
                "Mencetak brosur tebal untuk setiap UMKM",
                tujuan="meningkatkan penjualan produk UMKM binaan",
            ),
            _idea(
                "Membagikan bahan rapat dalam bentuk digital sebelum rapat dan menampilkan dokumen bersama di layar "
                "selama rapat",
                "Mencetak bahan rapat dengan huruf yang lebih kecil",
                "Melarang peserta membawa catatan ke ruang rapat",
                tujuan="mengurangi pemakaian kertas dalam rapat-rapat dinas",
            ),
        ),
        kendala=("anggarannya sangat terbatas", "jumlah pegawai yang tersedia sedikit", "waktunya hanya tiga bulan"),
        detail=(
            "Gagasan terbaik akan diuji coba di satu kecamatan.",
            "Pimpinan meminta gagasan yang berbeda dari tahun lalu.",
            "Usulan harus disampaikan minggu ini.",
        ),
    ),
    tpl(
        "Anda memfasilitasi sesi curah gagasan tentang {topik}. {s[situasi]} {detail} Langkah yang paling tepat "
        "sebagai "
        "fasilitator adalah ...",
        mc_options("s", 4),
        s=(
            mc(
                "Menyepakati aturan bahwa penilaian gagasan ditunda sampai semua gagasan terkumpul",
                "Meminta peserta senior itu meninggalkan ruangan",
                "Langsung memilih gagasan yang paling aman agar tidak ada perdebatan",
                "Membiarkannya karena penilaian sejak awal menghemat waktu",
                "Mengakhiri sesi dan meminta gagasan dikirim lewat surel",
                situasi="Sejak awal, seorang peserta senior langsung menilai setiap gagasan tidak mungkin dijalankan.",
            ),
            mc(
                "Meminta setiap peserta menuliskan gagasannya secara mandiri terlebih dahulu, lalu membacakannya "
                "bergiliran",
                "Membiarkan kedua orang itu terus berbicara karena gagasannya bagus",
                "Mengakhiri sesi lebih cepat",
                "Menunjuk peserta yang diam dan memintanya langsung berpendapat di depan semua orang",
                "Meminta kedua orang itu memutuskan gagasan terbaik",
                situasi="Hanya dua orang yang terus berbicara, sementara peserta lain diam.",
            ),
            mc(
                "Memberikan pemantik baru, misalnya meminta peserta melihat masalah itu dari sudut pandang warga atau "
                "dari bidang yang sama sekali berbeda",
                "Memilih saja program tahun sebelumnya karena sudah teruji",
                "Menambah durasi sesi tanpa mengubah caranya",
                "Meminta pimpinan menentukan gagasannya",
                "Meminta peserta menyalin program daerah lain",
                situasi="Gagasan yang muncul hampir sama dengan program tahun-tahun sebelumnya.",
            ),
            mc(
                "Menegaskan bahwa semua gagasan diterima, memulai dengan contoh gagasan yang tidak biasa, dan tidak "
                "mencantumkan nama pengusul",
                "Memberi nilai pada setiap gagasan di depan semua peserta",
                "Hanya mencatat gagasan dari pimpinan",
                "Meminta peserta hanya menyampaikan gagasan yang sudah pasti dapat dijalankan",
                "Menertawakan gagasan yang aneh agar suasana cair",
                situasi="Peserta ragu menyampaikan gagasan karena takut dianggap konyol.",
            ),
            mc(
                "Mengelompokkan gagasan, menilainya dengan kriteria dampak dan kemudahan, lalu memilih satu untuk "
                "diuji "
                "coba dalam skala kecil",
                "Menjalankan semua gagasan sekaligus",
                "Mengadakan sesi curah gagasan baru dari awal",
                "Memilih gagasan yang diusulkan oleh peserta paling senior",
                "Menyimpan semua gagasan untuk dibahas tahun depan",
                situasi="Gagasan sudah banyak terkumpul, tetapi belum ada yang dipilih untuk dicoba.",
            ),
            mc(
                "Memakai teknik berbatas waktu, misalnya setiap orang menulis tiga gagasan dalam lima menit, lalu "
                "mengembangkannya bersama",
                "Membatalkan sesi dan menundanya sampai ada waktu yang lebih longgar",
                "Meminta pimpinan memutuskan sendiri tanpa curah gagasan",
                "Memakai seluruh waktu untuk menjelaskan latar belakang masalah",
                "Hanya mendengarkan satu gagasan dari setiap bidang tanpa pengembangan",
                situasi="Waktu sesi hanya tiga puluh menit.",
            ),
        ),
        topik=(
            "peningkatan layanan perpustakaan daerah",
            "pengurangan antrean di kantor pelayanan",
            "promosi wisata daerah",
            "program kebersihan lingkungan kantor",
        ),
        detail=(
            "Peserta berasal dari beberapa bidang.",
            "Hasil sesi akan dilaporkan kepada pimpinan.",
            "Sesi itu dihadiri dua belas orang.",
        ),
    ),
    tpl(
        "{forum}, muncul persoalan berikut: {k[situasi]} {detail} Gagasan kolaborasi yang paling kreatif adalah ...",
        mc_options("k", 4),
        k=(
            _idea(
                "Mengadakan kelas memasak menu bergizi dan pojok buku resep sehat di perpustakaan bersama kader "
                "kesehatan",
                "Memindahkan sebagian koleksi buku ke puskesmas",
                "Membiarkan setiap unit menjalankan programnya sendiri seperti biasa",
                situasi="perpustakaan daerah ingin menambah pengunjung, sedangkan dinas kesehatan ingin memperluas "
                "edukasi gizi.",
            ),
            _idea(
                "Menjadikan pembuatan konten promosi wisata sebagai proyek praktik siswa multimedia yang dibimbing "
                "bersama",
                "Menyewa agensi iklan dari luar daerah",
                "Meminta siswa membuat konten tanpa bimbingan dan tanpa pengakuan sebagai praktik",
                situasi="dinas pariwisata membutuhkan konten promosi, sedangkan SMK setempat membutuhkan tempat "
                "praktik "
                "bagi siswa jurusan multimedia.",
            ),
            _idea(
                "Membangun dasbor bersama yang menggabungkan data perkiraan panen dan harga pasar sebagai peringatan "
                "dini",
                "Meminta dinas perdagangan melakukan survei panen sendiri",
                "Bertukar laporan cetak setahun sekali",
                situasi="dinas pertanian memiliki data perkiraan panen, sedangkan dinas perdagangan kesulitan "
                "mengantisipasi lonjakan harga pangan.",
            ),
            _idea(
                "Menggabungkan layanan perekaman dokumen kependudukan dengan jadwal posyandu keliling",
                "Meminta warga pelosok datang ke kantor kabupaten",
                "Membeli kendaraan keliling baru untuk setiap dinas",
                situasi="dinas kependudukan ingin menjangkau warga di pelosok, sedangkan dinas kesehatan rutin "
                "mengadakan posyandu keliling.",
            ),
            _idea(
                "Memetakan rute aman ke sekolah bersama-sama dan menempatkan petugas penyeberangan di titik rawan pada "
                "jam masuk sekolah",
                "Melarang siswa berjalan kaki ke sekolah",
                "Memasang spanduk imbauan keselamatan di kantor dinas",
                situasi="dinas perhubungan memiliki data titik rawan kecelakaan, sedangkan dinas pendidikan ingin "
                "meningkatkan keselamatan siswa.",
            ),
            _idea(
                "Melatih komunitas pemuda binaan menjadi relawan siaga bencana bersertifikat",
                "Meminta BPBD merekrut relawan dari daerah lain",
                "Mengadakan lomba olahraga tanpa kaitan dengan kesiapsiagaan bencana",
                situasi="BPBD membutuhkan relawan siaga bencana, sedangkan dinas pemuda dan olahraga membina banyak "
                "komunitas pemuda yang aktif.",
            ),
        ),
        forum=(
            "Dalam forum inovasi daerah",
            "Dalam rapat koordinasi antardinas",
            "Dalam penyusunan rencana kerja tahunan",
        ),
        detail=(
            "Kedua pihak terbuka untuk bekerja sama.",
            "Tidak ada anggaran khusus untuk kerja sama itu.",
            "Pimpinan daerah ingin hasilnya terlihat dalam enam bulan.",
        ),
    ),
)

_ADAPTABILITY = (
    tpl(
        "Mulai {kapan}, {unit} mengganti {p[lama]} dengan {p[baru]}. {detail} Sikap yang paling tepat adalah ...",
        (
            "Mempelajari cara kerja baru sejak awal, mencobanya dalam tugas sehari-hari, dan mencari bantuan bila "
            "mengalami kesulitan",
            "Menunggu sampai sebagian besar rekan berhasil menggunakannya, baru kemudian ikut beralih",
            "Tetap memakai cara lama untuk pekerjaan sendiri dan memakai cara baru hanya bila diminta",
            "Meminta pimpinan menunda perubahan sampai semua pegawai benar-benar siap",
            "Meminta rekan yang lebih paham mengerjakan bagian tugas Anda yang memakai cara baru",
            "Mengikuti pelatihannya, tetapi kembali ke cara lama begitu menemui kesulitan pertama",
        ),
        kapan=("bulan depan", "minggu depan", "awal tahun anggaran berikutnya"),
        unit=("kantor Anda", "bidang tempat Anda bekerja", "dinas tempat Anda bertugas"),
        p=(
            {"lama": "buku agenda surat manual", "baru": "aplikasi persuratan elektronik"},
            {"lama": "rapat tatap muka mingguan", "baru": "rapat daring dua kali seminggu"},
            {"lama": "laporan kegiatan dalam bentuk cetak", "baru": "dasbor kinerja yang diperbarui setiap hari"},
            {"lama": "pembagian tugas tetap per orang", "baru": "tim kerja lintas bidang yang berganti setiap proyek"},
            {"lama": "presensi sidik jari", "baru": "presensi berbasis lokasi di ponsel"},
            {"lama": "meja kerja tetap untuk setiap pegawai", "baru": "ruang kerja bersama tanpa meja tetap"},
        ),
        detail=(
            "Anda sudah sangat nyaman dengan cara lama.",
            "Pelatihan yang disediakan hanya satu hari.",
            "Beberapa rekan meragukan manfaat perubahan itu.",
        ),
        core=3,
    ),
    tpl(
        "{waktu}, {s[kejadian]}. {detail} Sikap yang paling tepat adalah ...",
        (
            "Menerima kenyataan itu dengan tenang, mempelajari penyebab dan masukan yang ada, lalu menyusun langkah "
            "perbaikan",
            "Mencoba lagi dengan cara yang sama sambil berharap hasilnya berbeda",
            "Menghindari tugas serupa di kemudian hari agar tidak kecewa lagi",
            "Mencari pihak yang dapat disalahkan atas kegagalan tersebut",
            "Meluapkan kekecewaan di media sosial agar pimpinan mengetahui perasaan Anda",
            "Menunggu beberapa minggu sampai perasaan Anda membaik sebelum memikirkannya lagi",
        ),
        waktu=("Pekan lalu", "Kemarin", "Bulan ini"),
        s=(
            {"kejadian": "usulan program yang Anda susun selama tiga bulan ditolak dalam rapat anggaran"},
            {"kejadian": "aplikasi yang Anda kembangkan bersama tim mendapat banyak keluhan pada minggu pertama"},
            {"kejadian": "Anda tidak lolos seleksi jabatan yang sudah lama Anda persiapkan"},
            {"kejadian": "laporan Anda dikembalikan pimpinan untuk ketiga kalinya dengan banyak catatan"},
            {"kejadian": "kegiatan lapangan yang Anda rancang batal karena cuaca buruk sehari sebelum pelaksanaan"},
            {"kejadian": "target kinerja tim Anda dinaikkan di tengah tahun karena ada program prioritas baru"},
        ),
        detail=(
            "Rekan-rekan menanyakan rencana Anda selanjutnya.",
            "Pimpinan tetap mengharapkan hasil dari Anda.",
            "Anda merasa sudah berusaha maksimal.",
        ),
    ),
    tpl(
        "Anda mendadak diminta menggantikan rekan yang {alasan} untuk {tugas}. {detail} Apa yang paling tepat Anda "
        "lakukan?",
        (
            "Segera mempelajari catatan dan bahan yang ada, menanyakan hal-hal penting kepada rekan atau atasan, lalu "
            "menjalankan tugas itu sebaik mungkin",
            "Menolak penugasan itu karena berada di luar keahlian Anda",
            "Menerima penugasan, tetapi menunda pelaksanaannya sampai rekan tersebut kembali",
            "Menjalankan tugas itu tanpa persiapan dan mengandalkan improvisasi",
            "Meminta atasan menunjuk orang lain yang lebih berpengalaman",
            "Meniru persis cara kerja rekan tersebut tanpa memahami tujuannya",
        ),
        alasan=("sakit", "sedang cuti melahirkan", "dipindahtugaskan"),
        tugas=(
            "memandu rapat koordinasi dengan para camat",
            "menyajikan data capaian program di depan tim evaluator",
            "mengoperasikan aplikasi pengadaan secara elektronik",
            "menjawab pertanyaan wartawan tentang layanan unit Anda",
            "mengelola akun media sosial kantor selama sebulan",
            "mendampingi tim audit dari inspektorat",
        ),
        detail=(
            "Waktu persiapan Anda hanya satu hari.",
            "Anda belum pernah melakukan tugas itu.",
            "Rekan tersebut masih bisa dihubungi sesekali.",
        ),
    ),
    tpl(
        "Anda baru bergabung dengan {tim} yang {budaya}. {detail} Sikap yang paling tepat adalah ...",
        (
            "Mengamati cara kerja tim, menanyakan harapan terhadap peran Anda, dan menyesuaikan diri sambil "
            "menawarkan kontribusi sesuai keahlian",
            "Bekerja dengan cara yang biasa Anda pakai di unit asal karena terbukti berhasil",
            "Menunggu sampai ada yang memberi Anda tugas yang jelas",
            "Meminta tim menyesuaikan cara kerjanya dengan kebiasaan Anda",
            "Hanya berkomunikasi dengan anggota yang berasal dari instansi yang sama dengan Anda",
            "Mengikuti semua kebiasaan tim tanpa pernah menyampaikan pendapat",
        ),
        tim=(
            "tim percepatan transformasi digital",
            "satuan tugas penanganan bencana",
            "tim lintas instansi penyusun rencana tata ruang",
            "kelompok kerja reformasi birokrasi",
        ),
        budaya=(
            "terbiasa bekerja cepat dengan keputusan yang sering berubah",
            "sebagian besar anggotanya bekerja jarak jauh dari kota yang berbeda-beda",
            "anggotanya berasal dari instansi dengan aturan kerja yang berbeda-beda",
        ),
        detail=(
            "Cara kerja tim itu sangat berbeda dengan unit asal Anda.",
            "Belum ada pembagian tugas yang jelas untuk Anda.",
            "Anda belum mengenal satu pun anggota tim.",
        ),
    ),
    tpl(
        "{t[nama]} mulai banyak dipakai untuk {t[untuk]} di instansi pemerintah. {detail} Langkah yang paling "
        "tepat adalah ...",
        (
            "Mempelajari dasar-dasarnya dari sumber yang kredibel, mencobanya pada pekerjaan sederhana sesuai aturan, "
            "dan berbagi pengalaman dengan rekan",
            "Menunggu instruksi resmi sebelum mempelajari apa pun tentang teknologi itu",
            "Menolak memakainya karena cara lama sudah cukup",
            "Langsung memakainya untuk semua pekerjaan, termasuk yang memuat data rahasia, tanpa memeriksa aturannya",
            "Meminta rekan yang lebih muda mengerjakan semua tugas yang memerlukan teknologi itu",
            "Mengikuti banyak seminar tentang teknologi itu tanpa pernah mencoba menerapkannya",
        ),
        t=(
            {"nama": "Kecerdasan artifisial generatif", "untuk": "menyusun draf laporan dan ringkasan rapat"},
            {"nama": "Kecerdasan artifisial generatif", "untuk": "menjawab pertanyaan umum warga secara otomatis"},
            {"nama": "Dasbor analisis data", "untuk": "memantau capaian program"},
            {"nama": "Dasbor analisis data", "untuk": "menyusun perencanaan anggaran"},
            {"nama": "Tanda tangan elektronik", "untuk": "menerbitkan surat dinas"},
            {"nama": "Tanda tangan elektronik", "untuk": "mengesahkan dokumen layanan warga"},
            {"nama": "Penyuntingan dokumen bersama secara daring", "untuk": "menyusun laporan lintas bidang"},
            {"nama": "Sistem informasi geografis", "untuk": "merencanakan program pembangunan"},
            {"nama": "Sistem informasi geografis", "untuk": "memetakan sasaran bantuan sosial"},
            {"nama": "Rapat daring", "untuk": "berkoordinasi dengan kantor di daerah terpencil"},
        ),
        detail=(
            "Kantor Anda belum mengadakan pelatihan tentang hal itu.",
            "Beberapa rekan yang lebih muda sudah mulai memakainya.",
            "Anda khawatir pekerjaan Anda akan berubah karenanya.",
        ),
    ),
    tpl(
        "Di tengah pengerjaan {tugas}, {perubahan}. {detail} Sikap yang paling tepat adalah ...",
        (
            "Menyesuaikan rencana kerja, menata ulang prioritas bersama atasan, dan menyampaikan dampaknya kepada "
            "pihak terkait",
            "Tetap bekerja sesuai rencana awal karena rencana itu sudah disepakati",
            "Menghentikan semua pekerjaan sampai ada kejelasan penuh dari pimpinan",
            "Mengeluhkan perubahan itu kepada rekan-rekan",
            "Menyerahkan pekerjaan itu kepada rekan lain",
            "Berusaha memenuhi semua tuntutan baru tanpa memberi tahu siapa pun bahwa sebagian target lama tidak akan "
            "tercapai",
        ),
        tugas=(
            "penyusunan laporan evaluasi program",
            "persiapan pameran layanan publik",
            "pemutakhiran basis data pegawai",
            "penyusunan rencana kerja tahunan",
        ),
        perubahan=(
            "tenggatnya dimajukan satu minggu",
            "ruang lingkupnya diperluas atas permintaan pimpinan",
            "dua anggota tim ditarik ke tugas lain",
            "anggarannya dipotong separuh",
        ),
        detail=(
            "Sebagian pekerjaan sudah selesai.",
            "Anda baru mengetahuinya dari rekan, bukan dari atasan.",
            "Pihak lain sudah menunggu hasilnya.",
        ),
    ),
    tpl(
        "Setelah {k[kejadian]}, {pemberi} memberi masukan bahwa {k[masukan]}. {detail} Tanggapan yang paling tepat "
        "adalah ...",
        (
            "Menerima masukan itu dengan terbuka, menanyakan contoh konkretnya, dan menerapkannya pada pekerjaan "
            "berikutnya",
            "Menjelaskan panjang lebar bahwa masukan itu tidak tepat",
            "Mengiyakan masukan itu, tetapi tetap bekerja dengan cara yang sama",
            "Meminta pendapat rekan lain tentang adil tidaknya masukan itu sebelum menanggapinya",
            "Menghindari tugas serupa agar tidak mendapat masukan lagi",
            "Menyalahkan sempitnya waktu atas kekurangan tersebut",
        ),
        k=(
            {
                "kejadian": "Anda memaparkan hasil kajian di rapat pimpinan",
                "masukan": "penyampaian Anda terlalu teknis bagi pendengar",
            },
            {
                "kejadian": "Anda menyerahkan laporan bulanan",
                "masukan": "data dalam laporan Anda sering tidak disertai sumbernya",
            },
            {
                "kejadian": "Anda memimpin proyek kecil pertama Anda",
                "masukan": "Anda kurang melibatkan anggota tim dalam mengambil keputusan",
            },
            {
                "kejadian": "Anda melayani seorang warga yang marah di loket",
                "masukan": "nada bicara Anda terdengar defensif",
            },
            {
                "kejadian": "Anda menyusun draf surat edaran",
                "masukan": "kalimat-kalimatnya terlalu panjang dan sulit dipahami",
            },
            {
                "kejadian": "Anda menyelesaikan tugas-tugas triwulan ini",
                "masukan": "pekerjaan Anda selalu selesai mepet tenggat",
            },
            {
                "kejadian": "Anda memfasilitasi pelatihan untuk operator desa",
                "masukan": "materi Anda terlalu padat untuk waktu yang tersedia",
            },
            {
                "kejadian": "Anda mengelola akun media sosial kantor selama sebulan",
                "masukan": "unggahan Anda kurang menjawab pertanyaan yang sering diajukan warga",
            },
        ),
        pemberi=("atasan langsung Anda", "kepala dinas", "mentor Anda dalam program pengembangan talenta"),
        detail=(
            "Masukan itu disampaikan di depan beberapa rekan.",
            "Anda merasa sudah bekerja sangat keras.",
            "Ini pertama kalinya Anda menerima masukan seperti itu.",
        ),
    ),
    tpl(
        "Anda dimutasi ke {tempat} yang {ciri}. {detail} Sikap yang paling tepat adalah ...",
        (
            "Mempelajari kebiasaan dan kebutuhan setempat, membangun hubungan dengan rekan dan tokoh masyarakat, serta "
            "menyesuaikan cara kerja tanpa melanggar aturan",
            "Menerapkan cara kerja dari tempat lama tanpa penyesuaian karena sudah terbukti berhasil",
            "Membatasi interaksi hanya pada urusan kedinasan agar tetap profesional",
            "Segera mengajukan permohonan mutasi kembali",
            "Menunggu warga dan rekan setempat menyesuaikan diri dengan cara kerja Anda",
            "Mengikuti semua kebiasaan setempat, termasuk yang bertentangan dengan aturan",
        ),
        tempat=(
            "sebuah kecamatan di daerah kepulauan",
            "kantor cabang di wilayah pegunungan",
            "unit layanan di kawasan perbatasan",
            "kantor di kota besar yang sangat sibuk",
        ),
        ciri=(
            "bahasa sehari-harinya belum Anda kuasai",
            "jaringan internetnya sangat terbatas",
            "kebiasaan kerjanya sangat berbeda dengan kantor lama Anda",
        ),
        detail=(
            "Anda belum mengenal siapa pun di sana.",
            "Keluarga Anda belum bisa ikut pindah.",
            "Atasan baru Anda berharap Anda cepat berkontribusi.",
        ),
    ),
    tpl(
        "Anda ditugaskan memimpin uji coba {program} di instansi Anda. {s[kondisi]} {detail} Langkah yang paling tepat "
        "adalah ...",
        mc_options("s", 5),
        s=(
            mc(
                "Menyusun langkah kerja sementara berdasarkan tujuan program, mengonsultasikannya kepada atasan, dan "
                "memperbaruinya begitu petunjuk teknis terbit",
                "Menunda uji coba sampai petunjuk teknis terbit tanpa memberi tahu siapa pun",
                "Menjalankan uji coba menurut selera sendiri tanpa mencatat apa pun",
                "Meminta instansi lain menjalankan uji coba untuk Anda",
                "Menolak penugasan karena aturannya belum lengkap",
                "Menyalin petunjuk teknis program lain apa adanya",
                kondisi="Petunjuk teknisnya belum terbit, padahal uji coba harus dimulai bulan depan.",
            ),
            mc(
                "Mencari tahu alasan warga, lalu menyesuaikan rancangan, misalnya dengan menyediakan pendampingan di "
                "lokasi layanan",
                "Menghapus cara lama seketika agar warga terpaksa beralih",
                "Menghentikan uji coba karena dianggap gagal",
                "Melaporkan bahwa uji coba berjalan lancar tanpa menyebut kendala",
                "Menyalahkan warga yang dianggap enggan berubah",
                "Mengabaikan temuan itu dan tetap berjalan sesuai rencana",
                kondisi="Di tengah uji coba, ternyata sebagian besar warga masih memilih cara lama daripada cara baru "
                "yang diuji coba.",
            ),
            mc(
                "Mempelajari perubahan aturannya, menilai bagian uji coba yang terdampak, dan menyesuaikannya bersama "
                "tim",
                "Tetap menjalankan uji coba sesuai aturan lama",
                "Menghentikan uji coba secara permanen",
                "Menunggu orang lain menjelaskan dampaknya tanpa mempelajarinya sendiri",
                "Mengubah seluruh rancangan tanpa memeriksa bagian mana yang terdampak",
                "Merahasiakan perubahan aturan itu dari tim agar mereka tidak bingung",
                kondisi="Aturan yang menjadi dasar program berubah di tengah jalan.",
            ),
            mc(
                "Menganalisis penyebabnya bersama tim, mencoba perbaikan kecil, dan memantau hasilnya setiap minggu",
                "Menurunkan target diam-diam agar terlihat tercapai",
                "Mengganti seluruh anggota tim",
                "Menghentikan uji coba pada minggu kedua",
                "Menunggu sampai akhir uji coba tanpa mengubah apa pun",
                "Menambah jam kerja tim dua kali lipat tanpa mencari penyebabnya",
                kondisi="Hasil minggu pertama jauh di bawah target.",
            ),
            mc(
                "Memahami alasan dan harapan pimpinan baru, menyampaikan data hasil sementara, lalu menyesuaikan "
                "rencana "
                "sesuai keputusannya",
                "Menolak perubahan karena rencana lama sudah disetujui pimpinan sebelumnya",
                "Mengubah semuanya seketika tanpa menyampaikan data yang sudah ada",
                "Meminta pimpinan lama membela rencana Anda",
                "Tetap menjalankan rencana lama secara diam-diam",
                "Menyerahkan kepemimpinan uji coba kepada orang lain",
                kondisi="Pimpinan yang baru dilantik meminta arah uji coba diubah.",
            ),
            mc(
                "Menyepakati pembagian peran, cara berkomunikasi, dan jadwal kerja bersama sejak awal",
                "Meminta semua anggota mengikuti kebiasaan bidang Anda",
                "Membiarkan setiap anggota bekerja dengan caranya sendiri tanpa koordinasi",
                "Hanya bekerja sama dengan anggota dari bidang Anda",
                "Meminta anggota yang berbeda kebiasaan dikeluarkan dari tim",
                "Mengerjakan sendiri bagian-bagian yang penting",
                kondisi="Anggota tim berasal dari tiga bidang dengan kebiasaan kerja yang berbeda-beda.",
            ),
        ),
        program=(
            "layanan perizinan daring",
            "sistem antrean terpadu berbasis aplikasi",
            "layanan pengaduan melalui aplikasi pesan",
            "pembayaran retribusi nontunai",
        ),
        detail=(
            "Program ini belum pernah dijalankan di instansi Anda.",
            "Pimpinan memantau perkembangannya setiap minggu.",
            "Tim Anda hanya terdiri atas empat orang.",
        ),
    ),
)


def _es_sources(rng: Rng) -> dict[str, list[Source]]:
    return {
        "Berpikir Analitis": [
            *_template_sources(_LOGIC, "ES/BA", rng),
            ComputedSource(_series_second_order),
            ComputedSource(_series_multiply_add),
            ComputedSource(_series_interleaved),
            ComputedSource(_series_squares),
            ComputedSource(_series_fibonacci),
            ComputedSource(_table_item),
            ComputedSource(_sets_item),
            ComputedSource(_ordering_item),
        ],
        "Pemecahan Masalah": [
            *_template_sources(_PROBLEM_SOLVING, "ES/PM", rng),
            ComputedSource(_rate_item),
            ComputedSource(_budget_item),
            ComputedSource(_average_item),
            ComputedSource(_weekday_item),
            ComputedSource(_bottleneck_item),
            ComputedSource(_weighted_item),
            ComputedSource(_schedule_item),
        ],
        "Kreativitas": _template_sources(_CREATIVITY, "ES/KR", rng),
        "Adaptabilitas": _template_sources(_ADAPTABILITY, "ES/AD", rng),
    }


# --- the pools and the command line -----------------------------------------------------------------------------

POOL_SPECS = (
    PoolSpec(
        pool_id="manajerial-sosiokultural",
        name="Manajerial & Sosial Kultural",
        filename="manajerial_sosiokultural.json",
        prefix="MSK",
        seed=20260101,
        areas=MSK_AREAS,
        items_per_area=38,
        make_sources=_msk_sources,
        majority_model="GPCM",
        minority_model="GRM",
        minority_share=0.15,
    ),
    PoolSpec(
        pool_id="literasi-digital",
        name="Literasi Digital",
        filename="literasi_digital.json",
        prefix="LD",
        seed=20260102,
        areas=LD_AREAS,
        items_per_area=120,
        make_sources=_ld_sources,
        majority_model="3PL",
        minority_model="3PL",
        minority_share=0.0,
    ),
    PoolSpec(
        pool_id="emerging-skills",
        name="Emerging Skills",
        filename="emerging_skills.json",
        prefix="ES",
        seed=20260103,
        areas=ES_AREAS,
        items_per_area=150,
        make_sources=_es_sources,
        majority_model="3PL",
        minority_model="2PL",
        minority_share=0.40,
    ),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the synthetic demo item pools (deterministic).")
    parser.add_argument(
        "out_dir", nargs="?", type=Path, default=DEFAULT_OUT_DIR, help="output directory (default: item_pools/)"
    )
    args = parser.parse_args(argv)
    for path in write_pools(args.out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
