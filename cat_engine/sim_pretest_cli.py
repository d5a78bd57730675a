"""``cat-sim --pretest N:K``: seed N pretest items into every subtest, K per examinee, and calibrate them.

The subtests' operational figures are exactly those of the same run without ``--pretest``; each subtest's summary
gains a ``pretest`` block (:func:`cat_engine.simulate_pretest.pretest_summary`). Design and rules:
:mod:`cat_engine.pretest`, :mod:`cat_engine.pretest_items`, :mod:`cat_engine.pretest_promotion`,
docs/psychometrics.md ("Pretest seeding (simulated)").
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import orjson

from .errors import ConfigError
from .i18n import message, message_in
from .pretest import PretestDesign
from .simulate_pretest import run_pretest

__all__ = ["FIX_C", "PRETEST_AFTER", "parse_pretest", "pretest_report", "sim_pretest"]

#: No pretest item before this many operational answers.
PRETEST_AFTER = 3
#: Whether the lower asymptote of 3PL pretest items stays at its provisional 1/options (true) or is estimated
#: with the calibration's prior (false); docs/psychometrics.md gives the measurements behind the choice.
FIX_C = False

_MESSAGES: dict[str, dict[str, str]] = {
    "bad_format": {
        "id": "cat-sim: --pretest: harus N:K, bilangan bulat dengan N >= 1 dan 1 <= K <= N (mis. 40:4), bukan {text!r}",
        "en": "cat-sim: --pretest: expected N:K, integers with N >= 1 and 1 <= K <= N (e.g. 40:4), got {text!r}",
    },
    "min_items": {
        "id": "cat-sim: --pretest: subtes {subtest!r} memerlukan min_items minimal {need} (butir pretest diberikan "
        "setelah {after} butir operasional dan tidak pernah sebagai butir terakhir), sekarang {min_items}; "
        "dengan --pool atur --min-items",
        "en": "cat-sim: --pretest: subtest {subtest!r} needs min_items of at least {need} (pretest items come after "
        "{after} operational items and never last), it has {min_items}; with --pool set --min-items",
    },
    "not_with_aberrance": {
        "id": "cat-sim: --pretest tidak dapat digabung dengan --aberrance",
        "en": "cat-sim: --pretest cannot be combined with --aberrance",
    },
    "calibrating": {"id": "Kalibrasi pretest {name}", "en": "Calibrating pretest {name}"},
    "heading": {
        "id": "  Pretest (disimulasikan): {items} butir, {per_examinee} per peserta, {mean:.0f} respons per butir "
        "({low}-{high})",
        "en": "  Pretest (simulated): {items} items, {per_examinee} per examinee, {mean:.0f} responses per item "
        "({low}-{high})",
    },
    "accuracy": {
        "id": "    RMSE a {rmse_a}   RMSE b {rmse_b}   bias b {bias_b}   RMSE c {rmse_c}   RMSE ambang "
        "{rmse_thresholds}",
        "en": "    RMSE a {rmse_a}   RMSE b {rmse_b}   bias b {bias_b}   RMSE c {rmse_c}   RMSE thresholds "
        "{rmse_thresholds}",
    },
    "promoted": {
        "id": "    lolos ke bank operasional: {promoted} dari {items}   (kalibrasi {method}, {cycles} siklus, {conv})",
        "en": "    promoted to the operational pool: {promoted} of {items}   ({method} calibration, {cycles} cycles, "
        "{conv})",
    },
    "converged": {"id": "konvergen", "en": "converged"},
    "not_converged": {"id": "TIDAK konvergen: {n} butir pretest", "en": "NOT converged: {n} pretest items"},
    "em_not_converged": {"id": "TIDAK konvergen: siklus EM habis", "en": "NOT converged: EM cycles ran out"},
}


def parse_pretest(text: str) -> tuple[int, int]:
    """``"N:K"`` as ``(N, K)`` with ``N >= 1`` and ``1 <= K <= N``; raises ValueError otherwise."""
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(part.strip().isdigit() for part in parts):
        raise ValueError(text)
    n, k = int(parts[0]), int(parts[1])
    if n < 1 or not 1 <= k <= n:
        raise ValueError(text)
    return n, k


def _fail(key: str, lang: str, **values: Any) -> int:
    print(message_in(_MESSAGES, key, lang, **values), file=sys.stderr)
    return 2


def _battery_indices(args: argparse.Namespace, ids: list[str]) -> list[int]:
    """Each chosen subtest's index in the battery (which seeds its design); 0 for ``--pool``."""
    if args.battery is None:
        return [0] * len(ids)
    from .battery import load_battery

    order = [s.id for s in load_battery(args.battery).subtests]
    return [order.index(i) for i in ids]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def pretest_report(block: dict[str, Any], lang: str) -> str:
    """A subtest's ``pretest`` block as text."""
    n = block["items_not_converged"]
    key = "converged" if block["converged"] else "not_converged" if n else "em_not_converged"
    status = message_in(_MESSAGES, key, lang, n=n)
    numbers = {k: _fmt(block[k]) for k in ("rmse_a", "rmse_b", "bias_b", "rmse_c", "rmse_thresholds")}
    return "\n".join(
        [
            message_in(
                _MESSAGES,
                "heading",
                lang,
                items=block["items"],
                per_examinee=block["per_examinee"],
                mean=block["responses_per_item"],
                low=block["responses_min"],
                high=block["responses_max"],
            ),
            message_in(_MESSAGES, "accuracy", lang, **numbers),
            message_in(
                _MESSAGES,
                "promoted",
                lang,
                promoted=block["promoted"],
                items=block["items"],
                method=block["method"],
                cycles=block["cycles"],
                conv=status,
            ),
        ]
    )


def sim_pretest(args: argparse.Namespace) -> int:
    """``cat-sim`` with ``--pretest``: the plain run, then the pretest seeding and calibration of each subtest."""
    from .cli import ProgressBar, _report, _subtests, run_simulation

    lang = args.lang
    if args.aberrance is not None:
        return _fail("not_with_aberrance", lang)
    try:
        n_items, per_examinee = parse_pretest(args.pretest)
    except ValueError:
        return _fail("bad_format", lang, text=args.pretest)
    try:
        subtests = _subtests(args)
        for sub in subtests:
            try:
                PretestDesign(n_items, per_examinee, sub.stopping.min_items, PRETEST_AFTER)
            except ValueError:
                need = PRETEST_AFTER + 2
                return _fail(
                    "min_items", lang, subtest=sub.id, need=need, after=PRETEST_AFTER, min_items=sub.stopping.min_items
                )
        results, seconds = run_simulation(args)
    except ConfigError as exc:
        print(f"cat-sim: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    bars: dict[str, Any] = {}

    def progress(name: str, done: int, total: int) -> None:
        if name not in bars:
            bars[name] = ProgressBar(message_in(_MESSAGES, "calibrating", lang, name=name))
        bars[name](done, total)

    indices = _battery_indices(args, [r.subtest.id for r in results])
    try:
        blocks = run_pretest(
            results, indices, n_items, per_examinee, args.seed, after=PRETEST_AFTER, fix_c=FIX_C, progress=progress
        )
    except ValueError as exc:  # the calibration refused its input
        print(f"cat-sim: {exc}", file=sys.stderr)
        return 2
    seconds += time.perf_counter() - started
    summaries = [r.summary() | {"pretest": block} for r, block in zip(results, blocks, strict=True)]
    if args.json:
        sys.stdout.write(orjson.dumps({"subtests": summaries, "seconds": seconds}).decode() + "\n")
    else:
        print(_with_blocks(summaries, seconds, lang, _report))
    if args.plot is not None:
        from .plots import plot_simulation

        plot_simulation(results, args.plot, lang)
        print(message("plots_written", lang, path=args.plot), file=sys.stderr)
    return 0


def _with_blocks(summaries: list[dict[str, Any]], seconds: float, lang: str, report: Any) -> str:
    """The plain report of each subtest followed by its pretest lines, then the time."""
    parts = [report([s], 0.0, lang).rsplit("\n", 2)[0] + "\n" + pretest_report(s["pretest"], lang) for s in summaries]
    return "\n".join(parts) + "\n\n" + message("seconds", lang, seconds=seconds)
