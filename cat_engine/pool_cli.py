"""``cat-pool``: tools for the psychometrician's view of an item pool.

``cat-pool report`` is the pool report; ``cat-pool times DATA... --pool POOL`` estimates the items' response-time
parameters from exported responses (:mod:`cat_engine.pool_times`, ``docs/pool-format.md``).

``cat-pool report POOL`` simulates the pool alone with the defaults ``cat-sim --pool`` uses (EAP, SE target 0.3,
1 to 40 items, randomesque 1, no blueprint, no exposure control); ``cat-pool report --battery F --subtest ID``
takes the subtest's pool and all its settings. The report (``docs/pool-report.md``) is printed as text, or with
``--json`` as one JSON object on stdout; the simulation's progress bar goes to stderr. Exit status 0, or 2 for
bad arguments or an invalid pool or battery (the message names the file, item and field).

Messages are in Bahasa Indonesia unless ``--lang en`` or ``CAT_LANG=en``.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import orjson

from . import pool_times_cli
from .battery import Subtest, load_battery
from .cli import POOL_DEFAULTS, ProgressBar, pool_subtest
from .errors import ConfigError
from .estimation import METHODS
from .i18n import LANGUAGES, default_language, message_in
from .pool import load_pool
from .pool_fixes import FINE_STEP, ThinRegion
from .pool_report import DEFAULT_TARGET, PoolReport, build_report
from .simulate import simulate_subtest

__all__ = ["main", "text_report"]

_LIST_LIMIT = 10  # items listed by name in the text report (the JSON lists all)

_MESSAGES: dict[str, dict[str, str]] = {
    "simulating": {"id": "Simulasi {name}", "en": "Simulating {name}"},
    "title": {
        "id": "Laporan bank soal: {name} ({pool_id} v{version}), {n} butir, {areas} area konten",
        "en": "Pool report: {name} ({pool_id} v{version}), {n} items, {areas} content areas",
    },
    "from_battery": {"id": "dari baterai {path}", "en": "from battery {path}"},
    "pool_alone": {"id": "bank soal saja, bawaan cat-sim --pool", "en": "pool alone, cat-sim's --pool defaults"},
    "settings": {
        "id": "Subtes {id} ({source}): estimator {est}, target SE {se}, {min}-{max} butir, randomesque {rq}, "
        "kendali paparan {ec}, {bp}",
        "en": "Subtest {id} ({source}): estimator {est}, SE target {se}, {min}-{max} items, randomesque {rq}, "
        "exposure control {ec}, {bp}",
    },
    "none": {"id": "tidak ada", "en": "none"},
    "blueprint": {"id": "dengan cetak biru", "en": "with a blueprint"},
    "no_blueprint": {"id": "tanpa cetak biru", "en": "no blueprint"},
    "threshold_default": {
        "id": "Ambang informasi τ = {tau:.3f} (bawaan: 1/(SE² × maks butir) = 1/({se:.2f}² × {max})); "
        "paparan maksimum r = {r:.2f}",
        "en": "Information threshold τ = {tau:.3f} (default: 1/(SE² × max items) = 1/({se:.2f}² × {max})); "
        "maximum exposure r = {r:.2f}",
    },
    "threshold_given": {
        "id": "Ambang informasi τ = {tau:.3f} (--info-threshold); paparan maksimum r = {r:.2f}",
        "en": "Information threshold τ = {tau:.3f} (--info-threshold); maximum exposure r = {r:.2f}",
    },
    "depth_title": {
        "id": "Informasi dan kedalaman menurut theta (kedalaman = butir dengan I_i(θ) > τ; "
        "diperlukan = panjang tes rata-rata / r)",
        "en": "Information and depth along theta (depth = items with I_i(θ) > τ; required = mean test length / r)",
    },
    "depth_header": {"id": "  theta     I(θ)  kedalaman  diperlukan", "en": "  theta     I(θ)      depth    required"},
    "area_legend": {"id": "  Area: {legend}", "en": "  Areas: {legend}"},
    "k_title": {"id": "Parameter paparan Sympson-Hetter (K)", "en": "Sympson-Hetter exposure parameters (K)"},
    "k_header": {
        "id": "  strata θ̂             K<1   K min  K median",
        "en": "  stratum of θ̂         K<1   K min  K median",
    },
    "all_strata": {"id": "semua", "en": "all"},
    "sim_title": {
        "id": "Simulasi: {n} peserta, theta sebenarnya seragam pada [{lo:g}, {hi:g}], seed {seed}; "
        "panjang tes rata-rata {length:.1f}, paparan maksimum {max:.3f}",
        "en": "Simulation: {n} examinees, true theta uniform on [{lo:g}, {hi:g}], seed {seed}; "
        "mean test length {length:.1f}, maximum exposure {max:.3f}",
    },
    "band_header": {
        "id": "  rentang θ   peserta  panjang  diperlukan  butir-terpakai  paparan-maks   >r  semua   RMSE",
        "en": "  θ band    examinees   length    required      items-used  max-exposure   >r    all   RMSE",
    },
    "never_used": {
        "id": "Tidak pernah dipakai: {n} butir ({share:.1%}); {weak} di antaranya tidak pernah melampaui τ pada "
        "[{lo:g}, {hi:g}]",
        "en": "Never used: {n} items ({share:.1%}); {weak} of them never exceed τ on [{lo:g}, {hi:g}]",
    },
    "examples": {"id": "  contoh (b terendah dulu): {items}", "en": "  e.g. (lowest b first): {items}"},
    "overexposed": {
        "id": "Dipakai oleh lebih dari {r:.2f} peserta suatu rentang θ: {n} butir",
        "en": "Used by more than {r:.2f} of the examinees of a θ band: {n} items",
    },
    "over_row": {
        "id": "  {id} (b {b:+.2f}, {area}): {rate:.3f} pada {band}",
        "en": "  {id} (b {b:+.2f}, {area}): {rate:.3f} in {band}",
    },
    "more": {"id": "  ... dan {n} lagi (lihat --json)", "en": "  ... and {n} more (see --json)"},
    "thin_title": {
        "id": "Bagian bank soal yang tipis (kedalaman < diperlukan)",
        "en": "Where the pool is thin (depth < required)",
    },
    "whole_pool": {"id": "  seluruh bank soal:", "en": "  whole pool:"},
    "by_area": {
        "id": "  per area konten (diperlukan = panjang rata-rata × porsi target / r):",
        "en": "  per content area (required = mean length × target share / r):",
    },
    "thin_none": {"id": "    tidak ada", "en": "    none"},
    "region": {
        "id": "    {area}θ {t1:+.2f}..{t2:+.2f}: kedalaman min {depth}, diperlukan {req:.1f}, kurang hingga {short} "
        "-> tambah {n} butir: {plan}",
        "en": "    {area}θ {t1:+.2f}..{t2:+.2f}: depth min {depth}, required {req:.1f}, short by up to {short} "
        "-> add {n} items: {plan}",
    },
    "placement": {"id": "{count} dengan b {lo:+.2f}..{hi:+.2f}", "en": "{count} with b {lo:+.2f}..{hi:+.2f}"},
    "area_fix_note": {
        "id": "  (dengan cetak biru, tambahan per area sekaligus memenuhi kebutuhan seluruh bank soal)",
        "en": "  (with a blueprint, the per-area additions also meet the whole pool's requirement)",
    },
    "typical": {
        "id": "  Butir baru direncanakan seperti butir khas bank soal: {model}, a {a:.2f}{c}; informasinya > τ untuk "
        "θ − b pada [{lo:+.2f}, {hi:+.2f}]",
        "en": "  New items are planned like the pool's typical item: {model}, a {a:.2f}{c}; its information > τ for "
        "θ − b in [{lo:+.2f}, {hi:+.2f}]",
    },
    "raised": {
        "id": " (a dinaikkan: dengan a median informasinya tidak pernah cukup di atas τ)",
        "en": " (a raised: at the median a its information never rises well above τ)",
    },
    "seconds": {"id": "Waktu {seconds:.2f} detik", "en": "Time {seconds:.2f} s"},
    "plots_written": {"id": "Grafik ditulis ke {path}", "en": "Plots written to {path}"},
    "need_source": {"id": "berikan POOL atau --battery", "en": "give POOL or --battery"},
    "both_sources": {"id": "berikan POOL atau --battery, bukan keduanya", "en": "give POOL or --battery, not both"},
    "need_subtest": {
        "id": "--subtest diperlukan: baterai ini punya subtes {ids}",
        "en": "--subtest is required: this battery has subtests {ids}",
    },
    "unknown_subtest": {
        "id": "subtes {id!r} tidak ada di baterai (ada: {ids})",
        "en": "no subtest {id!r} in the battery (it has {ids})",
    },
    "subtest_without_battery": {"id": "--subtest hanya berlaku dengan --battery", "en": "--subtest needs --battery"},
    "pool_setting_with_battery": {
        "id": "{option} hanya berlaku untuk POOL saja (baterai memakai pengaturan subtesnya)",
        "en": "{option} applies to POOL alone (a battery uses its subtest's settings)",
    },
    "no_ec_without_battery": {
        "id": "--no-exposure-control hanya berlaku dengan --battery",
        "en": "--no-exposure-control needs --battery",
    },
}


def message(key: str, lang: str, **values: object) -> str:
    """The message ``key`` of this tool in ``lang``, formatted with ``values``."""
    return message_in(_MESSAGES, key, lang, **values)


# --- arguments ------------------------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {text}")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The ``cat-pool`` parser and its subcommands' parsers by name."""
    p = argparse.ArgumentParser(prog="cat-pool", description="Item pool tools for the psychometrician.")
    commands = p.add_subparsers(dest="command", required=True)
    r = commands.add_parser(
        "report",
        help="pool information, depth, exposure and where the pool is thin",
        description="Pool information and depth along theta, exposure parameters, a simulation's item usage by "
        "true-theta band, and where the pool is thin with the items that would fix it (docs/pool-report.md).",
    )
    r.add_argument("pool", nargs="?", type=Path, metavar="POOL", help="item pool (JSON)")
    r.add_argument("--battery", type=Path, help="battery config (TOML): take the pool and settings of --subtest")
    r.add_argument("--subtest", help="subtest id in --battery (needed when it has more than one)")
    r.add_argument("--examinees", type=_positive_int, default=3000, help="simulated examinees (default 3000)")
    r.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    r.add_argument(
        "--theta-range",
        type=float,
        nargs=2,
        default=(-3.0, 3.0),
        metavar=("LO", "HI"),
        help="true thetas are drawn uniformly from [LO, HI] (default -3 3)",
    )
    r.add_argument(
        "--target",
        type=_rate,
        default=DEFAULT_TARGET,
        help=f"maximum exposure rate r within a theta band (default {DEFAULT_TARGET})",
    )
    r.add_argument(
        "--info-threshold",
        type=_positive,
        help="information an item needs at theta to count in the depth (default 1/(SE_target^2 * max_items))",
    )
    r.add_argument("--no-exposure-control", action="store_true", help="with --battery: switch Sympson-Hetter off")
    r.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    r.add_argument("--plot", type=Path, metavar="DIR", help="write PNG plots into DIR")
    single = r.add_argument_group("settings with POOL alone (as cat-sim --pool)")
    single.add_argument("--estimator", choices=METHODS, help="default eap")
    single.add_argument("--se-target", type=_positive, help="default 0.3")
    single.add_argument("--min-items", type=_positive_int, help="default 1")
    single.add_argument("--max-items", type=_positive_int, help="default 40")
    single.add_argument("--randomesque", type=_positive_int, help="default 1")
    r.add_argument("--lang", choices=LANGUAGES, default=default_language(), help="id (default) or en")
    t = commands.add_parser(
        "times",
        help="estimate the items' response-time parameters from exported responses",
        description="Estimate the items' time intensity (beta) and time discrimination (alpha) of the lognormal "
        "response-time model from response files (CSV or JSON lines with session, item_id, response_ms), jointly "
        "with the sessions' speeds; --out writes a copy of the pool with them (docs/pool-format.md).",
    )
    pool_times_cli.add_arguments(t)
    return p, {"report": r, "times": t}


def _subtest(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Subtest:
    """The subtest to report on; argument errors exit through ``parser.error`` (status 2)."""
    lang = args.lang
    single = {name: getattr(args, name) for name in POOL_DEFAULTS}
    if args.pool is None and args.battery is None:
        parser.error(message("need_source", lang))
    if args.pool is not None and args.battery is not None:
        parser.error(message("both_sources", lang))
    if args.pool is not None:
        if args.subtest is not None:
            parser.error(message("subtest_without_battery", lang))
        if args.no_exposure_control:
            parser.error(message("no_ec_without_battery", lang))
        try:
            return pool_subtest(load_pool(args.pool), **single)
        except ValueError as exc:  # e.g. min_items > max_items
            parser.error(str(exc))
    for name, value in single.items():
        if value is not None:
            parser.error(message("pool_setting_with_battery", lang, option="--" + name.replace("_", "-")))
    battery = load_battery(args.battery)
    ids = ", ".join(s.id for s in battery.subtests)
    if args.subtest is None:
        if len(battery.subtests) != 1:
            parser.error(message("need_subtest", lang, ids=ids))
        sub = battery.subtests[0]
    else:
        chosen = [s for s in battery.subtests if s.id == args.subtest]
        if not chosen:
            parser.error(message("unknown_subtest", lang, id=args.subtest, ids=ids))
        sub = chosen[0]
    if args.no_exposure_control:
        sub = replace(sub, selection=replace(sub.selection, exposure_control="none"))
    return sub


# --- the text report ------------------------------------------------------------------------------------------


def _band(low: float | None, high: float | None) -> str:
    lo = "-inf" if low is None else f"{low:+g}"
    hi = "+inf" if high is None else f"{high:+g}"
    return f"({lo}, {hi}]"


def _region_line(region: ThinRegion, lang: str, label: str = "") -> str:
    plan = ", ".join(message("placement", lang, count=p.count, lo=p.b_low, hi=p.b_high) for p in region.placements)
    return message(
        "region",
        lang,
        area=label,
        t1=region.theta_low,
        t2=region.theta_high,
        depth=region.min_depth,
        req=region.required,
        short=region.shortfall,
        n=region.items_needed,
        plan=plan,
    )


def text_report(report: PoolReport, lang: str, source: str, seed: int) -> str:
    """The report as text in ``lang``; ``source`` says where the subtest came from."""
    pool = report.pool
    areas = pool.content_areas
    settings = report.settings()
    lines = [
        message(
            "title",
            lang,
            name=pool.name,
            pool_id=pool.pool_id,
            version=pool.pool_version,
            n=pool.size,
            areas=len(areas),
        ),
        message(
            "settings",
            lang,
            id=report.subtest.id,
            source=source,
            est=settings["estimator"],
            se="-" if settings["se_target"] is None else f"{settings['se_target']:.2f}",
            min=settings["min_items"],
            max=settings["max_items"],
            rq=settings["randomesque"],
            ec=settings["exposure_control"],
            bp=message("blueprint" if settings["blueprint"] else "no_blueprint", lang),
        ),
    ]
    stopping = report.subtest.stopping
    if report.threshold_is_default:
        se = stopping.se_target if stopping.se_target is not None else 0.3
        lines.append(
            message("threshold_default", lang, tau=report.threshold, se=se, max=stopping.max_items, r=report.target)
        )
    else:
        lines.append(message("threshold_given", lang, tau=report.threshold, r=report.target))

    # Information and depth every 0.5.
    profile = report.profile
    lines += ["", message("depth_title", lang)]
    names = [f"A{a + 1}" for a in range(len(areas))]
    lines.append(message("depth_header", lang) + "".join(f"{n:>5}" for n in names))
    every = round(0.5 / FINE_STEP)
    for g in range(0, profile.theta.size, every):
        required = report.required[g]
        lines.append(
            f"  {profile.theta[g]:+5.1f} {profile.information[g]:8.2f} {profile.depth[g]:10d} "
            + (f"{required:11.1f}" if not math.isnan(required) else f"{'-':>11}")
            + "".join(f"{int(d):5d}" for d in profile.depth_by_area[:, g])
        )
    lines.append(
        message("area_legend", lang, legend=", ".join(f"{n} = {a}" for n, a in zip(names, areas, strict=True)))
    )

    lines += ["", message("k_title", lang), message("k_header", lang)]
    for s in report.strata:
        label = message("all_strata", lang) if len(report.strata) == 1 else _band(s.low, s.high)
        lines.append(f"  {label:<20} {s.items_controlled:4d}  {s.min_k:6.3f}  {s.median_k:8.3f}")

    lo, hi = report.theta_range
    lines += [
        "",
        message(
            "sim_title",
            lang,
            n=report.examinees,
            lo=lo,
            hi=hi,
            seed=seed,
            length=report.mean_length,
            max=float(report.exposure.max()),
        ),
        message("band_header", lang),
    ]
    for b in report.bands:
        if not b.examinees:
            continue
        lines.append(
            f"  {_band(b.low, b.high):<10} {b.examinees:9d} {b.mean_length:8.1f} {b.mean_length / report.target:11.1f}"
            f" {b.items_used:15d} {b.max_exposure:13.3f} {b.over(report.target).size:4d} {b.always().size:6d}"
            f" {b.rmse:6.3f}"
        )
    b_of = pool.params.b
    never = report.never_used
    weak = np.intersect1d(never, report.never_useful)
    lines += [
        "",
        message("never_used", lang, n=never.size, share=never.size / pool.size, weak=weak.size, lo=lo, hi=hi),
    ]
    if never.size:
        shown = never[np.argsort(b_of[never], kind="stable")][:_LIST_LIMIT]
        lines.append(
            message("examples", lang, items=", ".join(f"{pool.items[i].id} (b {b_of[i]:+.2f})" for i in shown))
        )
    over = report.overexposed
    band_max = report.band_max
    lines.append(message("overexposed", lang, r=report.target, n=over.size))
    for i in over[:_LIST_LIMIT]:
        k = int(np.argmax([b.rates[i] for b in report.bands]))
        band = report.bands[k]
        lines.append(
            message(
                "over_row",
                lang,
                id=pool.items[i].id,
                b=b_of[i],
                area=pool.items[i].content_area,
                rate=band_max[i],
                band=_band(band.low, band.high),
            )
        )
    if over.size > _LIST_LIMIT:
        lines.append(message("more", lang, n=over.size - _LIST_LIMIT))

    lines += ["", message("thin_title", lang)]
    t = report.typical
    lines.append(
        message(
            "typical",
            lang,
            model=t.model,
            a=t.a,
            c=f", c {t.c:.2f}" if t.c else "",
            lo=t.low_offset,
            hi=t.high_offset,
        )
        + (message("raised", lang) if t.raised else "")
    )
    lines.append(message("whole_pool", lang))
    lines += [_region_line(r, lang) for r in report.thin] or [message("thin_none", lang)]
    if report.required_by_area is not None:
        lines.append(message("by_area", lang))
        lines += [_region_line(r, lang, f"{r.area}: ") for r in report.thin_by_area] or [message("thin_none", lang)]
        if report.thin_by_area:
            lines.append(message("area_fix_note", lang))
    return "\n".join(lines)


# --- entry point ----------------------------------------------------------------------------------------------


def _report(args: argparse.Namespace, report_parser: argparse.ArgumentParser) -> int:
    lang = args.lang
    low, high = args.theta_range
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        report_parser.error(f"--theta-range needs finite LO < HI, got {low:g} {high:g}")
    started = time.perf_counter()
    try:
        subtest = _subtest(args, report_parser)
    except ConfigError as exc:
        print(f"cat-pool: {exc}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    truth = rng.uniform(low, high, args.examinees)
    simulation = simulate_subtest(subtest, truth, rng, ProgressBar(message("simulating", lang, name=subtest.name)))
    report = build_report(
        subtest, simulation, threshold=args.info_threshold, target=args.target, theta_range=(low, high)
    )
    seconds = time.perf_counter() - started
    source = message("pool_alone", lang) if args.battery is None else message("from_battery", lang, path=args.battery)
    if args.json:
        data = report.to_dict()
        data["simulation"]["seed"] = args.seed
        data["source"] = {
            key: None if path is None else str(path) for key, path in (("pool", args.pool), ("battery", args.battery))
        }
        data["seconds"] = seconds
        sys.stdout.write(orjson.dumps(data).decode() + "\n")
    else:
        print(text_report(report, lang, source, args.seed))
        print(message("seconds", lang, seconds=seconds))
    if args.plot is not None:
        from .pool_report_plots import plot_pool_report

        plot_pool_report(report, args.plot, lang)
        print(message("plots_written", lang, path=args.plot), file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cat-pool``."""
    parser, commands = _parser()
    args = parser.parse_args(argv)
    if args.command == "times":
        return pool_times_cli.run(args)
    return _report(args, commands["report"])


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
