"""Tests of ``item_pools/generate_demo_pools.py``, its text in ``item_pools/content/``, and the demo pools and battery.

The generator runs into a temporary directory, reading its text from the TOML files in ``item_pools/content/``. Its
output must be byte for byte what the committed files in ``item_pools/`` hold once what ``cat-exposure`` adds to
them afterwards (each item's ``exposure_k``, the ``+sh`` suffix of the pool version and
``calibration.exposure_control``, and its own indentation) is taken out again; every pool must respect
``docs/pool-format.md`` and the distributions the generator documents. Two runs of the generator agree byte for byte.
The content files load with every template, slot and list used, and a typo in them is reported with the file and
the key. The synthetic response-time parameters follow the rule the generator documents, and ``--add-times`` adds
them to existing files without changing anything else.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from cat_engine.battery import load_battery
from cat_engine.pool import load_pool, save_pool

ROOT = Path(__file__).resolve().parents[1]
POOLS_DIR = ROOT / "item_pools"
GENERATOR = POOLS_DIR / "generate_demo_pools.py"

EXPECTED: dict[str, dict[str, Any]] = {
    "manajerial_sosiokultural.json": {
        "pool_id": "manajerial-sosiokultural",
        "prefix": "MSK",
        "areas": [
            "Integritas",
            "Kerja Sama",
            "Komunikasi",
            "Orientasi pada Hasil",
            "Pelayanan Publik",
            "Pengembangan Diri dan Orang Lain",
            "Mengelola Perubahan",
            "Pengambilan Keputusan",
            "Perekat Bangsa",
        ],
        "per_area": 38,
        "models": {"GPCM": (0.80, 0.90), "GRM": (0.10, 0.20)},
        "model_counts": {"GPCM": 291, "GRM": 51},
        "version": "2026.1-synthetic",
    },
    "literasi_digital.json": {
        "pool_id": "literasi-digital",
        "prefix": "LD",
        "areas": ["Kecakapan Digital", "Etika Digital", "Keamanan Digital", "Budaya Digital"],
        "per_area": 360,
        "models": {"3PL": (1.0, 1.0)},
        "model_counts": {"3PL": 1440},
        "version": "2026.2-synthetic",
    },
    "emerging_skills.json": {
        "pool_id": "emerging-skills",
        "prefix": "ES",
        "areas": ["Berpikir Analitis", "Pemecahan Masalah", "Kreativitas", "Adaptabilitas"],
        "per_area": 360,
        "models": {"2PL": (0.38, 0.42), "3PL": (0.58, 0.62)},
        "model_counts": {"2PL": 576, "3PL": 864},
        "version": "2026.2-synthetic",
    },
}
N_OPTIONS = {"GPCM": 5, "GRM": 4, "2PL": 4, "3PL": 5}


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_demo_pools", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return _load_generator()


@pytest.fixture(scope="module")
def generated(generator: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pools")
    paths = generator.write_pools(out)
    assert sorted(p.name for p in paths) == sorted(EXPECTED)
    return out


@pytest.fixture(scope="module")
def pools(generated: Path) -> dict[str, dict[str, Any]]:
    return {name: json.loads((generated / name).read_text(encoding="utf-8")) for name in EXPECTED}


def _as_generated(committed: bytes) -> bytes:
    """A committed pool file as the generator wrote it, before cat-exposure.

    cat-exposure adds each item's ``exposure_k``, the ``+sh`` suffix of the pool version and
    ``calibration.exposure_control``, and writes the file with two-space indentation; all else (key order, numbers,
    text) it keeps. This takes its additions out and writes the rest as the generator does: UTF-8 JSON with a
    one-space indent and a trailing newline.
    """
    pool = json.loads(committed)
    pool["pool_version"] = pool["pool_version"].split("+sh", 1)[0]
    pool["calibration"].pop("exposure_control", None)
    pool.pop("exposure_strata", None)
    for item in pool["items"]:
        item.pop("exposure_k", None)
    return (json.dumps(pool, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_output_is_byte_identical_to_committed_files(generated: Path, name: str) -> None:
    assert (generated / name).read_bytes() == _as_generated((POOLS_DIR / name).read_bytes()), (
        f"item_pools/{name} is stale: rerun python item_pools/generate_demo_pools.py, then cat-exposure"
    )


def test_text_comes_from_the_content_files(generator: ModuleType, pools: dict[str, dict[str, Any]]) -> None:
    """The generator holds no item text: no stem or option of the pools is in its source."""
    source = GENERATOR.read_text(encoding="utf-8")
    texts = {text for pool in pools.values() for it in pool["items"] for text in [it["stem"], *it["options"]]}
    assert [text for text in texts if len(text) >= 20 and text in source] == []
    assert generator.CONTENT_DIR == POOLS_DIR / "content"


def test_an_edit_of_a_content_file_shows_in_the_pool(generator: ModuleType, tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(generator.CONTENT_DIR, content)
    pool_toml = content / "manajerial_sosiokultural" / "pool.toml"
    text = pool_toml.read_text(encoding="utf-8")
    pool_toml.write_text(text.replace('"Apa yang Anda lakukan?"', '"Apa langkah Anda?"'), encoding="utf-8")
    spec = generator.POOL_SPECS[0]
    pool = generator.build_pool(spec, generator.load_pool_content(content / spec.content))
    stems = [it["stem"] for it in pool["items"]]
    assert any(stem.endswith("Apa langkah Anda?") for stem in stems)
    assert not any("Apa yang Anda lakukan?" in stem for stem in stems)


def test_content_files_load_with_every_template_slot_and_list_used(generator: ModuleType) -> None:
    """The loader refuses a slot, named list or text table that nothing uses; the committed text passes."""
    contents = generator.load_all_content()
    for spec in generator.POOL_SPECS:
        areas = contents[spec.pool_id].areas
        assert [area.name for area in areas] == EXPECTED[spec.filename]["areas"]
        assert all(area.templates for area in areas)


def _stem_pattern(stem: str) -> re.Pattern[str]:
    """A pattern that the stems a template makes match: its text, with anything in place of each placeholder."""
    return re.compile(".+?".join(re.escape(piece) for piece in re.split(r"\{\w+(?:\[\w+\])?\}", stem)))


def test_every_template_makes_items(generator: ModuleType, pools: dict[str, dict[str, Any]]) -> None:
    contents = generator.load_all_content()
    for spec in generator.POOL_SPECS:
        items = pools[spec.filename]["items"]
        for area in contents[spec.pool_id].areas:
            stems = [it["stem"] for it in items if it["content_area"] == area.name]
            for number, template in enumerate(area.templates, start=1):
                pattern = _stem_pattern(template.stem)
                assert any(pattern.fullmatch(stem) for stem in stems), f"{area.name}: template {number} makes no item"


# An expert's typos in a copy of item_pools/content/: (file, text, its replacement, what the error must say).
TYPOS = [
    (
        "manajerial_sosiokultural/integritas.toml",
        "bagian yang sama. {tanya}",
        "bagian yang sama. {tanyaa}",
        "integritas.toml: template 1 ('Rekan satu tim Anda di {unit} menyerahka'...), stem: {tanyaa} names no slot",
    ),
    (
        "manajerial_sosiokultural/integritas.toml",
        "scenario_slots = 2",
        "scenario_slot = 2",
        "integritas.toml: template 3: unknown key 'scenario_slot'",
    ),
    (
        "manajerial_sosiokultural/integritas.toml",
        'unit = ["Bagian Pengadaan Barang/Jasa"',
        'kota = ["Medan"]\nunit = ["Bagian Pengadaan Barang/Jasa"',
        "integritas.toml: template 1 ('Rekan satu tim Anda di {unit} menyerahka'...): the slot 'kota' is never used",
    ),
    (
        "literasi_digital/kecakapan_digital.toml",
        'aktor = "@actors"\nf = "@f"',
        'aktor = "@actor"\nf = "@f"',
        "kecakapan_digital.toml: template 1 ('{aktor} perlu mengirim {f[dok]} kepada {'...), slots.aktor: "
        "there is no list named 'actor'",
    ),
    (
        "literasi_digital/kecakapan_digital.toml",
        "Rumus untuk {goal}",
        "Rumus untuk {gol}",
        "kecakapan_digital.toml [text.sheet_function]: no 'gol'",
    ),
    (
        "literasi_digital/kecakapan_digital.toml",
        'wrong = ["DOCX", "XLSX", "TXT", "PPTX", "HTML"]',
        'wrong = ["DOCX", "XLSX", "TXT", "PPTX"]',
        "kecakapan_digital.toml: template 1 ('{aktor} perlu mengirim {f[dok]} kepada {'...): every value of the slot "
        "'f' needs as many wrong answers",
    ),
    (
        "emerging_skills/kreativitas.toml",
        "{r[aset]}",
        "{r[asset]}",
        "kreativitas.toml: template 1 ('{tempat} memiliki {r[asset]}. {detail} I'...), stem: {r[asset]} names a part "
        "that value 1 of slots.r does not have",
    ),
    ("shared.toml", "units = [", 'spare = ["x"]\nunits = [', "shared.toml [lists]: the list 'spare' is never used"),
]


TYPO_IDS = [
    "placeholder-naming-no-slot",
    "unknown-key",
    "slot-never-used",
    "unknown-list",
    "generator-text-placeholder",
    "uneven-wrong-answers",
    "part-missing",
    "shared-list-never-used",
]


@pytest.mark.parametrize(("file", "text", "typo", "error"), TYPOS, ids=TYPO_IDS)
def test_a_typo_in_the_content_names_its_file_and_key(
    generator: ModuleType, tmp_path: Path, file: str, text: str, typo: str, error: str
) -> None:
    content = tmp_path / "content"
    shutil.copytree(generator.CONTENT_DIR, content)
    path = content / file
    original = path.read_text(encoding="utf-8")
    assert original.count(text) == 1, text
    path.write_text(original.replace(text, typo), encoding="utf-8")
    with pytest.raises(generator.ContentError) as raised:
        generator.build_pools(content)
    message = str(raised.value)
    assert message.startswith(str(path)) and error in message, message


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_committed_pools_carry_exposure_parameters(name: str) -> None:
    committed = json.loads((POOLS_DIR / name).read_text(encoding="utf-8"))
    assert "+sh" in committed["pool_version"]
    record = committed["calibration"]["exposure_control"]
    assert 0 < record["target"] < 1
    # conditional on ability: one parameter per stratum of the estimate (a single number: the same in all)
    assert committed["exposure_strata"] == record["strata"] == [-2.0, -1.0, 0.0, 1.0, 2.0]
    ks = [k for item in committed["items"] for k in np.atleast_1d(item.get("exposure_k", 1.0)).tolist()]
    assert all(0 < k <= 1 for k in ks) and min(ks) < 1


def test_command_line_is_deterministic_across_hash_seeds(generated: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "4321"}
    subprocess.run([sys.executable, str(GENERATOR), str(tmp_path)], check=True, env=env, capture_output=True)
    for name in EXPECTED:
        assert (tmp_path / name).read_bytes() == (generated / name).read_bytes(), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_header(pools: dict[str, dict[str, Any]], name: str) -> None:
    pool, expected = pools[name], EXPECTED[name]
    assert pool["format_version"] == 1
    assert pool["pool_id"] == expected["pool_id"]
    assert pool["pool_version"] == expected["version"]
    assert pool["content_areas"] == expected["areas"]
    assert pool["theta_scale"] == {"mean": 0.0, "sd": 1.0, "D": 1.0}
    calibration = pool["calibration"]
    assert calibration["synthetic"] is True
    for phrase in ("SINTETIS", "SYNTHETIC", "item_pools/generate_demo_pools.py", "seed", "not calibrated"):
        assert phrase in calibration["note"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_counts_models_ids_and_stems(pools: dict[str, dict[str, Any]], name: str) -> None:
    items, expected = pools[name]["items"], EXPECTED[name]
    assert len(items) == expected["per_area"] * len(expected["areas"])
    assert Counter(it["content_area"] for it in items) == dict.fromkeys(expected["areas"], expected["per_area"])
    models = Counter(it["model"] for it in items)
    assert set(models) == set(expected["models"])
    for model, (low, high) in expected["models"].items():
        assert low <= models[model] / len(items) <= high, (model, models[model])
    assert models == expected["model_counts"]
    ids = [it["id"] for it in items]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith(expected["prefix"] + "-") for i in ids)
    stems = [it["stem"] for it in items]
    assert len(set(stems)) == len(stems)
    assert not any("exposure_k" in it for it in items)
    assert all("{" not in text and "}" not in text for it in items for text in [it["stem"], *it["options"]])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_options_keys_and_weights(pools: dict[str, dict[str, Any]], name: str) -> None:
    for it in pools[name]["items"]:
        options, model = it["options"], it["model"]
        assert len(options) == N_OPTIONS[model], it["id"]
        assert len(set(options)) == len(options), it["id"]
        if model in ("GPCM", "GRM"):
            weights, steps = it["option_weights"], it["params"]["b"]
            assert "key" not in it
            assert len(options) == len(steps) + 1
            assert sorted(weights) == list(range(1, len(options) + 1)), it["id"]
            if model == "GRM":
                assert all(lo < hi for lo, hi in pairwise(steps)), it["id"]
        else:
            assert "option_weights" not in it
            assert isinstance(it["key"], int) and 0 <= it["key"] < len(options), it["id"]


def test_key_positions_are_spread(pools: dict[str, dict[str, Any]]) -> None:
    keys = Counter(it["key"] for it in pools["literasi_digital.json"]["items"])
    assert set(keys) == set(range(5))
    assert min(keys.values()) >= 240  # 288 each if uniform, binomial SD 15


@pytest.mark.parametrize("pool_id", ["literasi-digital", "emerging-skills"])
def test_multiple_choice_areas_have_headroom(generator: ModuleType, pool_id: str) -> None:
    """Each area can draft well over its items: 15 % more template scenarios than items, or 128 next to computed
    generators (which make any number of items)."""
    spec = next(s for s in generator.POOL_SPECS if s.pool_id == pool_id)
    assert spec.items_per_area == EXPECTED[spec.filename]["per_area"]
    for area, sources in spec.make_sources(np.random.default_rng(0)).items():
        scenarios = sum(s.capacity for s in sources if isinstance(s, generator.TemplateSource))
        computed = [s for s in sources if isinstance(s, generator.ComputedSource)]
        assert scenarios >= (128 if computed else 1.15 * spec.items_per_area), (area, scenarios)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_enemies(pools: dict[str, dict[str, Any]], name: str) -> None:
    items = pools[name]["items"]
    by_id = {it["id"]: it for it in items}
    in_pairs = [it for it in items if it.get("enemies")]
    assert 0.03 <= len(in_pairs) / len(items) <= 0.05
    for it in in_pairs:
        for other_id in it["enemies"]:
            other = by_id[other_id]
            assert it["id"] in other["enemies"], (it["id"], other_id)
            assert other["content_area"] == it["content_area"], (it["id"], other_id)
            assert other_id != it["id"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parameter_ranges(pools: dict[str, dict[str, Any]], name: str) -> None:
    for it in pools[name]["items"]:
        params = it["params"]
        values = [params["a"], *(params["b"] if isinstance(params["b"], list) else [params["b"]])]
        values += [params["c"]] if "c" in params else []
        assert all(round(v, 3) == v for v in values), it["id"]
        if it["model"] in ("GPCM", "GRM"):
            assert set(params) == {"a", "b"}
            assert 0.5 <= params["a"] <= 2.0
            assert all(-5.0 <= s <= 5.0 for s in params["b"])
        else:
            assert set(params) == ({"a", "b", "c"} if it["model"] == "3PL" else {"a", "b"})
            assert 0.7 <= params["a"] <= 2.8
            assert -3.2 <= params["b"] <= 3.2
            if "c" in params:
                assert 0.05 <= params["c"] <= 0.35


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loads_with_the_pool_loader(generated: Path, name: str) -> None:
    pool = load_pool(generated / name)
    assert pool.pool_id == EXPECTED[name]["pool_id"]
    assert pool.size == EXPECTED[name]["per_area"] * len(EXPECTED[name]["areas"])
    assert pool.has_enemies


def test_demo_battery_loads() -> None:
    battery = load_battery(POOLS_DIR / "cact_demo.toml")
    assert battery.id == "cact-demo"
    assert [s.id for s in battery.subtests] == ["manajerial-sosiokultural", "literasi-digital", "emerging-skills"]


# --- synthetic response-time parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_time_parameters_follow_the_documented_rule(
    generator: ModuleType, pools: dict[str, dict[str, Any]], name: str
) -> None:
    spec = next(s for s in generator.POOL_SPECS if s.filename == name)
    items = pools[name]["items"]
    assert all(set(it["time"]) == {"beta", "alpha"} for it in items)
    beta = np.array([it["time"]["beta"] for it in items])
    alpha = np.array([it["time"]["alpha"] for it in items])
    difficulty = np.array([np.mean(it["params"]["b"]) for it in items])
    assert all(round(v, 3) == v for v in [*beta, *alpha])
    # Graded situational judgement takes longer to read than one-key items.
    assert (50 <= spec.median_seconds <= 70) if name.startswith("manajerial") else (30 <= spec.median_seconds <= 50)
    # Bounds are 3 standard errors of each statistic or more with the smallest pool (342 items): the median of
    # beta has an SE of about 1.25 * 0.3 / sqrt(342) = 0.02, the SD of beta 0.3 / sqrt(2 * 342) = 0.011, the
    # correlation (1 - 0.3^2) / sqrt(342) = 0.05, the median of alpha about 0.012.
    assert abs(np.median(beta) - math.log(spec.median_seconds)) < 0.07
    assert 0.26 < beta.std() < 0.34
    assert 0.15 < np.corrcoef(beta, difficulty)[0, 1] < 0.45
    assert alpha.min() >= 1.5 and alpha.max() <= 2.5 and abs(np.median(alpha) - 2.0) < 0.05
    record = pools[name]["calibration"]["response_time"]
    assert record["synthetic"] is True and record["median_seconds"] == spec.median_seconds
    for phrase in ("SINTETIS", "SYNTHETIC", "item_pools/generate_demo_pools.py", str(spec.seed), "cat-pool times"):
        assert phrase in record["note"]


def test_time_parameters_change_no_other_draw(generator: ModuleType, pools: dict[str, dict[str, Any]]) -> None:
    """The times come from their own stream of the seed: the IRT parameters are those of the committed pools,
    whose exposure parameters were computed for them (checked byte for byte above), and the time stream differs
    from the parameter stream."""
    spec = generator.POOL_SPECS[0]
    times = generator.draw_times(pools[spec.filename]["items"], spec.median_seconds, generator._time_rng(spec))
    assert times == [it["time"] for it in pools[spec.filename]["items"]]
    other = generator.draw_times(pools[spec.filename]["items"], spec.median_seconds, np.random.default_rng(1))
    assert other != times


def _without_times(raw: bytes, indent: int) -> bytes:
    pool = json.loads(raw)
    pool["calibration"].pop("response_time")
    for item in pool["items"]:
        item.pop("time")
    return (json.dumps(pool, ensure_ascii=False, indent=indent) + "\n").encode("utf-8")


def test_add_times_adds_only_the_time_parameters(generator: ModuleType, generated: Path, tmp_path: Path) -> None:
    """``--add-times`` on the committed files without their times gives the committed files back byte for byte
    (two-space indentation, after cat-exposure), and on the generated ones the generated files (one space); a second
    run changes nothing."""
    for source, indent, folder in ((POOLS_DIR, 2, tmp_path / "committed"), (generated, 1, tmp_path / "generated")):
        folder.mkdir()
        for name in EXPECTED:
            (folder / name).write_bytes(_without_times((source / name).read_bytes(), indent))
        assert generator.main([str(folder), "--add-times"]) == 0
        for name in EXPECTED:
            assert (folder / name).read_bytes() == (source / name).read_bytes(), (source, name)
        generator.main([str(folder), "--add-times"])
        for name in EXPECTED:
            assert (folder / name).read_bytes() == (source / name).read_bytes(), (source, name)


def test_add_times_refuses_another_pool(generator: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    shutil.copy(POOLS_DIR / "literasi_digital.json", path)
    with pytest.raises(ValueError, match="pool_id 'literasi-digital', expected 'emerging-skills'"):
        generator.add_times(path, generator.POOL_SPECS[2])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_committed_pools_are_timed_and_save_back_byte_for_byte(name: str, tmp_path: Path) -> None:
    """The committed pools load with every item timed, and the pool loader writes them back unchanged, so a later
    cat-exposure or cat-pool times run changes only what it sets."""
    pool = load_pool(POOLS_DIR / name)
    assert pool.timed.all()
    save_pool(pool, tmp_path / name)
    assert (tmp_path / name).read_bytes() == (POOLS_DIR / name).read_bytes()
