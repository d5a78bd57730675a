"""Messages of the command-line tools in Bahasa Indonesia (default) and English.

The language comes from ``--lang`` or the ``CAT_LANG`` environment variable (``id`` or ``en``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["LANGUAGES", "default_language", "message", "message_in"]

LANGUAGES = ("id", "en")

_MESSAGES: dict[str, dict[str, str]] = {
    "simulating": {"id": "Simulasi {name}", "en": "Simulating {name}"},
    "subtest": {"id": "Subtes", "en": "Subtest"},
    "examinees": {"id": "Peserta", "en": "Examinees"},
    "mean_length": {"id": "Rata-rata panjang tes", "en": "Mean test length"},
    "length_pct": {"id": "Panjang (P5 / median / P95)", "en": "Length (P5 / median / P95)"},
    "bias": {"id": "Bias", "en": "Bias"},
    "rmse": {"id": "RMSE", "en": "RMSE"},
    "mean_se": {"id": "Rata-rata SE", "en": "Mean SE"},
    "coverage": {"id": "Cakupan interval 95%", "en": "95% interval coverage"},
    "max_exposure": {"id": "Paparan butir maksimum", "en": "Maximum item exposure"},
    "unused": {"id": "Porsi butir tak terpakai", "en": "Share of items never used"},
    "overlap": {"id": "Rata-rata tumpang tindih tes", "en": "Mean test overlap"},
    "by_theta": {"id": "Menurut rentang theta sebenarnya", "en": "By true-theta band"},
    "band_header": {
        "id": "rentang theta      n    bias   rmse   SE     cakupan panjang paparan-maks",
        "en": "theta band         n    bias   rmse   SE     cover   length  max-exposure",
    },
    "levels_line": {
        "id": "Ketepatan level {accuracy:.3f} (diharapkan dari estimasi {expected:.3f}), konsistensi {consistency:.3f}",
        "en": "Level accuracy {accuracy:.3f} (expected from the estimates {expected:.3f}), "
        "consistency {consistency:.3f}",
    },
    "stop_reasons": {"id": "Alasan berhenti", "en": "Stop reasons"},
    "seconds": {"id": "Waktu {seconds:.2f} detik", "en": "Time {seconds:.2f} s"},
    "plots_written": {"id": "Grafik ditulis ke {path}", "en": "Plots written to {path}"},
    "calibrating": {
        "id": "Kalibrasi Sympson-Hetter {name}: target paparan {target:.2f}",
        "en": "Sympson-Hetter calibration of {name}: target exposure {target:.2f}",
    },
    "round": {
        "id": "  putaran {round}: paparan maks {max_exposure:.3f} (dalam satu pita {band_max_exposure:.3f}), "
        "panjang rata-rata {mean_length:.1f}, butir dikendalikan {items_controlled}",
        "en": "  round {round}: max exposure {max_exposure:.3f} (within a band {band_max_exposure:.3f}), "
        "mean length {mean_length:.1f}, items controlled {items_controlled}",
    },
    "check": {
        "id": "  pemeriksaan: paparan maks {max_exposure:.3f}, panjang rata-rata {mean_length:.1f} "
        "(tanpa kendali {baseline:.1f}, +{growth:.1%})",
        "en": "  check: max exposure {max_exposure:.3f}, mean length {mean_length:.1f} "
        "(without control {baseline:.1f}, +{growth:.1%})",
    },
    "check_bands": {
        "id": "  pemeriksaan per pita kemampuan (theta seragam -3..3): paparan maks dalam satu pita "
        "{band_max_exposure:.3f}",
        "en": "  check by ability band (uniform theta -3..3): max exposure within a band {band_max_exposure:.3f}",
    },
    "pool_written": {
        "id": "  parameter ditulis ke {path} (versi bank soal {version})",
        "en": "  parameters written to {path} (pool version {version})",
    },
    "dry_run": {"id": "  (uji coba: berkas tidak diubah)", "en": "  (dry run: file not changed)"},
    "valid": {"id": "SAH  {path}: {what}", "en": "OK   {path}: {what}"},
    "invalid": {"id": "GAGAL {path}: {error}", "en": "FAIL {path}: {error}"},
    "pool_summary": {"id": "bank soal {pool_id} v{version}, {n} butir", "en": "pool {pool_id} v{version}, {n} items"},
    "battery_summary": {
        "id": "baterai {battery_id} v{version}, {n} subtes",
        "en": "battery {battery_id} v{version}, {n} subtests",
    },
}


def default_language() -> str:
    """``CAT_LANG`` when it names a known language, else Bahasa Indonesia."""
    lang = os.environ.get("CAT_LANG", "id")
    return lang if lang in LANGUAGES else "id"


def message(key: str, lang: str, **values: object) -> str:
    """The message ``key`` in ``lang``, formatted with ``values``."""
    return message_in(_MESSAGES, key, lang, **values)


def message_in(table: Mapping[str, Mapping[str, str]], key: str, lang: str, **values: object) -> str:
    """The message ``key`` of a tool's own ``table`` in ``lang`` (Bahasa Indonesia unless a known language),
    formatted with ``values``."""
    return table[key][lang if lang in LANGUAGES else "id"].format(**values)
