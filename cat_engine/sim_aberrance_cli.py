"""``cat-sim --aberrance KIND:SHARE,...``: simulate aberrant examinees beside normal ones and measure the flags.

The subtests' figures are those of the normal examinees alone; the ``aberrance`` block is
:func:`cat_engine.aberrance_measure.measure_aberrance`'s.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from typing import Any

import numpy as np

from .aberrance import IntegrityConfig
from .aberrance_measure import measure_aberrance
from .battery import Battery, load_battery
from .i18n import message_in
from .simulate import SubtestSimulation
from .simulate_aberrance import NORMAL, simulate_aberrant_battery
from .simulate_rooms import lay_out_rooms

__all__ = ["aberrance_report", "run_aberrance"]

_MESSAGES: dict[str, dict[str, str]] = {
    "simulating": {"id": "Simulasi {name}", "en": "Simulating {name}"},
    "screening": {"id": "Pemeriksaan integritas", "en": "Integrity screening"},
    "needs_battery": {
        "id": "--aberrance memerlukan --battery (pergantian orang terjadi antar-subtes)",
        "en": "--aberrance needs --battery (a stand-in takes over between subtests)",
    },
    "heading": {"id": "Integritas (peserta disimulasikan)", "en": "Integrity (simulated examinees)"},
    "false_alarms": {
        "id": "  alarm palsu pada {n} peserta normal: {rate:.3f}",
        "en": "  false alarms among {n} normal examinees: {rate:.3f}",
    },
    "kind_line": {
        "id": "  {kind}: {n} peserta ({share:.1%}), ditandai {flagged:.3f}",
        "en": "  {kind}: {n} examinees ({share:.1%}), flagged {flagged:.3f}",
    },
    "by_flag": {"id": "  tanda menurut jenis (bagian tiap kelompok):", "en": "  flags by kind (share of each group):"},
}


def _normal_only(result: SubtestSimulation, rows: np.ndarray[Any, np.dtype[np.bool_]]) -> SubtestSimulation:
    return replace(
        result,
        true_theta=result.true_theta[rows],
        theta=result.theta[rows],
        se=result.se[rows],
        lengths=result.lengths[rows],
        reasons=result.reasons[rows],
        items=result.items[rows],
        categories=result.categories[rows],
        considered=result.considered[rows],
        visited=result.visited[rows],
        keys=result.keys[rows],
    )


def run_aberrance(
    args: argparse.Namespace, subtests: list[Any], bar: Any
) -> tuple[list[dict[str, Any]], dict[str, Any], float]:
    """Simulate and screen as ``args`` ask; returns the normal examinees' subtest summaries, the ``aberrance``
    block and the wall time. ``subtests`` are the battery's as ``cat-sim`` selected them; ``bar(label)`` makes a
    progress bar."""
    started = time.perf_counter()
    if args.battery is None:
        raise SystemExit("cat-sim: " + message_in(_MESSAGES, "needs_battery", args.lang))
    battery: Battery = replace(load_battery(args.battery), subtests=tuple(subtests))
    config: IntegrityConfig = battery.integrity
    bars: dict[str, Any] = {}

    def progress(name: str, done: int, total: int) -> None:
        if name not in bars:
            bars[name] = bar(message_in(_MESSAGES, "simulating", args.lang, name=name))
        bars[name](done, total)

    rho = 1.0 if config.ability_correlation is None else config.ability_correlation
    sim = simulate_aberrant_battery(battery, args.examinees, args.seed, args.aberrance, rho, progress)
    timelines = lay_out_rooms(sim, np.random.default_rng([args.seed, 1]))
    block = measure_aberrance(sim, timelines, config, progress=bar(message_in(_MESSAGES, "screening", args.lang)))
    normal = sim.kinds == NORMAL
    summaries = [_normal_only(r, normal).summary() for r in sim.results]
    return summaries, block, time.perf_counter() - started


def aberrance_report(block: dict[str, Any], lang: str) -> str:
    """The ``aberrance`` block as text."""
    lines = [
        "",
        message_in(_MESSAGES, "heading", lang),
        message_in(_MESSAGES, "false_alarms", lang, n=block["examinees"], rate=block["false_alarm_rate"]),
    ]
    lines += [
        message_in(
            _MESSAGES, "kind_line", lang, kind=k["kind"], n=k["examinees"], share=k["share"], flagged=k["flagged"]
        )
        for k in block["kinds"]
    ]
    lines.append(message_in(_MESSAGES, "by_flag", lang))
    for flag, shares in block["by_flag"].items():
        lines.append(f"    {flag}: " + ", ".join(f"{group} {share:.3f}" for group, share in shares.items()))
    return "\n".join(lines)
