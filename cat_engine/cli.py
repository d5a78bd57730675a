"""Command-line tools: ``cat-sim`` (simulation studies), ``cat-exposure`` (Sympson-Hetter calibration) and
``cat-validate`` (check pool and battery files).

Messages are in Bahasa Indonesia unless ``--lang en`` or ``CAT_LANG=en``. Progress goes to stderr, so
``cat-sim --json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt
import orjson

from .battery import Battery, Subtest, load_battery
from .errors import ConfigError
from .estimation import METHODS, EstimatorConfig
from .exposure import CalibrationRound, band_max_exposure, calibrate_sympson_hetter, with_exposure_control
from .i18n import LANGUAGES, default_language, message
from .pool import Pool, load_pool, save_pool
from .selection import SelectionConfig
from .simulate import SubtestSimulation, simulate_subtest
from .simulate_aberrance import parse_mix
from .stopping import StoppingConfig

__all__ = ["POOL_DEFAULTS", "exposure_main", "pool_subtest", "sim_main", "validate_main"]


class ProgressBar:
    """A one-line progress bar on a stream (stderr), redrawn at most ten times a second."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        filled = int(self.width * done / max(total, 1))
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total}{end}")
        self.stream.flush()


def _language_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=LANGUAGES, default=default_language(), help="id (default) or en")


# --- cat-sim ---------------------------------------------------------------------------------------------------


def _sim_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cat-sim", description="Simulate examinees through a battery or one pool.")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--battery", type=Path, help="battery config (TOML)")
    source.add_argument("--pool", type=Path, help="one item pool (JSON), with the settings below")
    p.add_argument("--examinees", type=int, default=1000, help="number of simulated examinees (default 1000)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--theta", type=float, nargs="+", help="true thetas to simulate instead of drawing them")
    p.add_argument(
        "--theta-dist",
        type=_theta_dist,
        default=("normal",),
        metavar="normal|uniform:LO:HI",
        help="where the true thetas are drawn from: N(0,1) (default) or uniform on [LO, HI], e.g. uniform:-3:3",
    )
    p.add_argument("--subtest", action="append", help="only this subtest id (repeatable)")
    p.add_argument("--no-exposure-control", action="store_true", help="switch Sympson-Hetter off")
    p.add_argument(
        "--aberrance",
        type=_aberrance_mix,
        metavar="KIND:SHARE[,...]",
        help="simulate aberrant examinees beside normal ones and report the integrity flags; kinds: preknowledge, "
        "rapid, proxy, operator (docs/integrity.md), e.g. preknowledge:0.05,rapid:0.05 (needs --battery)",
    )
    p.add_argument(
        "--pretest",
        metavar="N:K",
        help="seed N pretest items with known parameters into each subtest, K per examinee, calibrate them and "
        "report their accuracy (docs/psychometrics.md, 'Pretest seeding'), e.g. 40:4",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    p.add_argument("--plot", type=Path, metavar="DIR", help="write PNG plots into DIR")
    single = p.add_argument_group("settings with --pool")
    single.add_argument("--estimator", choices=METHODS, default="eap")
    single.add_argument("--se-target", type=float, default=0.3)
    single.add_argument("--min-items", type=int, default=1)
    single.add_argument("--max-items", type=int, default=40)
    single.add_argument("--randomesque", type=int, default=1)
    _language_option(p)
    return p


#: What ``--pool`` simulates when no setting is given (``cat-sim`` and ``cat-pool report``).
POOL_DEFAULTS: dict[str, Any] = {
    "estimator": "eap",
    "se_target": 0.3,
    "min_items": 1,
    "max_items": 40,
    "randomesque": 1,
}


def pool_subtest(pool: Pool, **settings: Any) -> Subtest:
    """The subtest a pool alone is simulated as: :data:`POOL_DEFAULTS` with any of them replaced by ``settings``
    (None keeps the default)."""
    s = {**POOL_DEFAULTS, **{k: v for k, v in settings.items() if v is not None}}
    return Subtest(
        id=pool.pool_id,
        name=pool.name,
        pool=pool,
        level_cuts=(-1.5, -0.5, 0.5, 1.5),
        estimator=EstimatorConfig(method=s["estimator"]),
        selection=SelectionConfig(randomesque=s["randomesque"]),
        stopping=StoppingConfig(se_target=s["se_target"], min_items=s["min_items"], max_items=s["max_items"]),
    )


def _subtests(args: argparse.Namespace) -> list[Subtest]:
    if args.pool is not None:
        subtests = [pool_subtest(load_pool(args.pool), **{name: getattr(args, name) for name in POOL_DEFAULTS})]
    else:
        battery = load_battery(args.battery)
        subtests = list(battery.subtests)
        if args.subtest:
            unknown = set(args.subtest) - {s.id for s in subtests}
            if unknown:
                raise SystemExit(f"cat-sim: unknown subtest {sorted(unknown)[0]!r}")
            subtests = [s for s in subtests if s.id in args.subtest]
    if args.no_exposure_control:
        subtests = [replace(s, selection=replace(s.selection, exposure_control="none")) for s in subtests]
    return subtests


def _theta_dist(text: str) -> tuple[str, ...] | tuple[str, float, float]:
    """``normal`` or ``uniform:LO:HI`` (LO < HI)."""
    if text == "normal":
        return ("normal",)
    parts = text.split(":")
    try:
        if parts[0] != "uniform" or len(parts) != 3:
            raise ValueError
        low, high = float(parts[1]), float(parts[2])
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected normal or uniform:LO:HI, got {text!r}") from None
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise argparse.ArgumentTypeError(f"uniform:LO:HI needs finite LO < HI, got {text!r}")
    return ("uniform", low, high)


def _aberrance_mix(text: str) -> dict[str, float]:
    try:
        return parse_mix(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _edges(text: str) -> tuple[float, ...]:
    """``C1,C2,...``: increasing finite numbers."""
    try:
        edges = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected increasing numbers separated by commas, got {text!r}") from None
    if not all(np.isfinite(edges)) or any(b <= a for a, b in pairwise(edges)):
        raise argparse.ArgumentTypeError(f"expected increasing numbers separated by commas, got {text!r}")
    return edges


def _draw(dist: tuple[Any, ...], rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
    if dist[0] == "uniform":
        drawn: npt.NDArray[np.float64] = rng.uniform(dist[1], dist[2], n)
        return drawn
    return rng.standard_normal(n)


def run_simulation(args: argparse.Namespace, progress: bool = True) -> tuple[list[SubtestSimulation], float]:
    """Simulate what ``args`` ask for; returns the per-subtest results and the wall time."""
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    truth = np.asarray(args.theta, dtype=np.float64) if args.theta else _draw(args.theta_dist, rng, args.examinees)
    results = []
    for sub in _subtests(args):
        bar = ProgressBar(message("simulating", args.lang, name=sub.name)) if progress else None
        results.append(simulate_subtest(sub, truth, rng, bar))
    return results, time.perf_counter() - started


def _report(summaries: Sequence[dict[str, Any]], seconds: float, lang: str) -> str:
    lines = []
    for s in summaries:
        pct = s["length_percentiles"]
        lines += [
            "",
            f"{message('subtest', lang)}: {s['name']} ({s['pool_id']}, {s['pool_items']})",
            f"  {message('examinees', lang)}: {s['examinees']}",
            f"  {message('mean_length', lang)}: {s['mean_length']:.2f}",
            f"  {message('length_pct', lang)}: {pct['5']:.0f} / {pct['50']:.0f} / {pct['95']:.0f}",
            f"  {message('bias', lang)}: {s['bias']:+.4f}   {message('rmse', lang)}: {s['rmse']:.4f}   "
            f"{message('mean_se', lang)}: {s['mean_se']:.4f}",
            f"  {message('coverage', lang)}: {s['coverage_95']:.3f}",
            "  "
            + message(
                "levels_line",
                lang,
                accuracy=s["level_accuracy"],
                expected=s["level_accuracy_expected"],
                consistency=s["level_consistency"],
            ),
            f"  {message('max_exposure', lang)}: {s['max_exposure']:.3f}   {message('unused', lang)}: "
            f"{s['unused_share']:.3f}   {message('overlap', lang)}: {s['mean_overlap']:.3f}",
            f"  {message('stop_reasons', lang)}: "
            + ", ".join(f"{k} {v}" for k, v in sorted(s["stop_reasons"].items())),
            f"  {message('by_theta', lang)}:",
            f"    {message('band_header', lang)}",
        ]
        for b in s["by_theta"]:
            low = "-inf" if b["theta_low"] is None else f"{b['theta_low']:+.0f}"
            high = "+inf" if b["theta_high"] is None else f"{b['theta_high']:+.0f}"
            lines.append(
                f"    ({low:>4}, {high:>4}]  {b['examinees']:5d} {b['bias']:+.3f} {b['rmse']:.3f}  "
                f"{b['mean_se']:.3f}  {b['coverage_95']:.3f}   {b['mean_length']:5.1f}   {b['max_exposure']:.3f}"
            )
    lines += ["", message("seconds", lang, seconds=seconds)]
    return "\n".join(lines)


def sim_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cat-sim``."""
    args = _sim_parser().parse_args(argv)
    if args.pretest is not None:
        from .sim_pretest_cli import sim_pretest

        return sim_pretest(args)
    if args.aberrance is not None:
        return _sim_aberrance(args)
    try:
        results, seconds = run_simulation(args)
    except ConfigError as exc:
        print(f"cat-sim: {exc}", file=sys.stderr)
        return 2
    summaries = [r.summary() for r in results]
    if args.json:
        sys.stdout.write(orjson.dumps({"subtests": summaries, "seconds": seconds}).decode() + "\n")
    else:
        print(_report(summaries, seconds, args.lang))
    if args.plot is not None:
        from .plots import plot_simulation

        plot_simulation(results, args.plot, args.lang)
        print(message("plots_written", args.lang, path=args.plot), file=sys.stderr)
    return 0


def _sim_aberrance(args: argparse.Namespace) -> int:
    from .sim_aberrance_cli import aberrance_report, run_aberrance

    try:
        summaries, block, seconds = run_aberrance(args, _subtests(args), ProgressBar)
    except (ConfigError, ValueError) as exc:
        print(f"cat-sim: {exc}", file=sys.stderr)
        return 2
    if args.json:
        out = {"subtests": summaries, "aberrance": block, "seconds": seconds}
        sys.stdout.write(orjson.dumps(out).decode() + "\n")
    else:
        print(_report(summaries, seconds, args.lang) + aberrance_report(block, args.lang))
    return 0


# --- cat-exposure ----------------------------------------------------------------------------------------------


def _exposure_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cat-exposure",
        description="Compute Sympson-Hetter exposure parameters and write them into the pool files of a battery.",
    )
    p.add_argument("--battery", type=Path, required=True)
    p.add_argument("--target", type=float, default=0.2, help="target maximum exposure rate (default 0.2)")
    p.add_argument("--examinees", type=int, default=2000, help="simulated examinees per round (default 2000)")
    p.add_argument("--rounds", type=int, default=12, help="rounds of the procedure (default 12)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--subtest", action="append", help="only this subtest id (repeatable)")
    p.add_argument(
        "--strata",
        type=_edges,
        default=(),
        metavar="C1,C2,...",
        help="edges of the strata of the ability estimate for parameters conditional on ability, e.g. "
        "--strata=-2,-1,0,1,2 (with '=', as the list starts with a minus; default: unconditional parameters)",
    )
    p.add_argument(
        "--stratum-target", type=float, help="target maximum exposure within each true-ability band (default --target)"
    )
    p.add_argument(
        "--theta-dist",
        type=_theta_dist,
        metavar="normal|uniform:LO:HI",
        help="true abilities of the simulees (default: normal, or uniform:-3:3 with --strata; uniform ones are "
        "reweighted to N(0,1) for the overall rate)",
    )
    p.add_argument(
        "--average-last",
        type=int,
        default=1,
        metavar="N",
        help="write the mean of the parameters of the last N rounds, which carry less noise than one round's "
        "(default 1)",
    )
    p.add_argument("--dry-run", action="store_true", help="compute and report, but do not write the pools")
    p.add_argument(
        "--pool-version",
        help="pool_version to write (default: the current one with a '+shTARGET' suffix, since new exposure "
        "parameters change which items examinees see)",
    )
    _language_option(p)
    return p


def exposure_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cat-exposure``."""
    parser = _exposure_parser()
    args = parser.parse_args(argv)
    if not 1 <= args.average_last <= args.rounds:
        parser.error("--average-last must be between 1 and --rounds")
    for name in ("target", "stratum_target"):
        value = getattr(args, name)
        if value is not None and not 0 < value < 1:
            parser.error(f"--{name.replace('_', '-')} must be in (0, 1)")
    try:
        battery = load_battery(args.battery)
    except ConfigError as exc:
        print(f"cat-exposure: {exc}", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    strata: tuple[float, ...] = args.strata
    dist: tuple[Any, ...] = args.theta_dist or (("uniform", -3.0, 3.0) if strata else ("normal",))
    theta_range = None if dist[0] == "normal" else (dist[1], dist[2])
    for sub in _chosen(battery, args.subtest):
        print(message("calibrating", args.lang, name=sub.name, target=args.target))
        baseline_sub = replace(sub, selection=replace(sub.selection, exposure_control="none"))

        def show(record: CalibrationRound) -> None:
            print(message("round", args.lang, **vars(record)), flush=True)

        k, _ = calibrate_sympson_hetter(
            baseline_sub,
            args.target,
            args.examinees,
            args.rounds,
            rng,
            show,
            strata=strata,
            theta_range=theta_range,
            stratum_target=args.stratum_target,
            average_last=args.average_last,
        )
        check_truth = rng.standard_normal(args.examinees)
        checked = simulate_subtest(with_exposure_control(sub, k, strata), check_truth, rng)
        baseline = simulate_subtest(baseline_sub, check_truth, rng)
        growth = checked.lengths.mean() / baseline.lengths.mean() - 1
        band_check = simulate_subtest(
            with_exposure_control(sub, k, strata), rng.uniform(-3.0, 3.0, args.examinees), rng
        )
        print(
            message(
                "check",
                args.lang,
                max_exposure=checked.exposure.max(),
                mean_length=checked.lengths.mean(),
                baseline=baseline.lengths.mean(),
                growth=growth,
            )
        )
        print(message("check_bands", args.lang, band_max_exposure=band_max_exposure(band_check)))
        if args.dry_run:
            print(message("dry_run", args.lang))
            continue
        record = {
            "target": args.target,
            "examinees": args.examinees,
            "rounds": args.rounds,
            "average_last": args.average_last,
            "seed": args.seed,
            "battery": f"{battery.id}@{battery.version}",
            "subtest": sub.id,
            "strata": list(strata),
            "stratum_target": args.stratum_target if args.stratum_target is not None else args.target,
            "theta_dist": ":".join(str(part) for part in dist),
            "check_max_exposure": round(float(checked.exposure.max()), 4),
            "check_mean_length": round(float(checked.lengths.mean()), 3),
            "check_length_growth": round(float(growth), 4),
            "check_band_max_exposure": round(band_max_exposure(band_check), 4),
        }
        version = args.pool_version or exposure_pool_version(sub.pool.pool_version, args.target)
        save_pool(sub.pool.with_exposure_k(k, version, record, strata), sub.pool.source)
        print(message("pool_written", args.lang, path=sub.pool.source, version=version))
    return 0


def exposure_pool_version(version: str, target: float) -> str:
    """``version`` with its ``+sh...`` suffix set to the target, e.g. ``2026.1`` -> ``2026.1+sh0.20``."""
    base = version.split("+sh", 1)[0]
    return f"{base}+sh{target:.2f}"


def _chosen(battery: Battery, ids: Sequence[str] | None) -> list[Subtest]:
    if not ids:
        return list(battery.subtests)
    unknown = set(ids) - {s.id for s in battery.subtests}
    if unknown:
        raise SystemExit(f"unknown subtest {sorted(unknown)[0]!r}")
    return [s for s in battery.subtests if s.id in ids]


# --- cat-validate ----------------------------------------------------------------------------------------------


def validate_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cat-validate``: check pool (.json) and battery (.toml) files; exit 1 if any is bad."""
    p = argparse.ArgumentParser(prog="cat-validate", description="Validate item pools and battery configs.")
    p.add_argument("files", type=Path, nargs="+")
    _language_option(p)
    args = p.parse_args(argv)
    failed = False
    for path in args.files:
        try:
            if path.suffix == ".toml":
                battery = load_battery(path)
                what = message(
                    "battery_summary",
                    args.lang,
                    battery_id=battery.id,
                    version=battery.version,
                    n=len(battery.subtests),
                )
            else:
                pool = load_pool(path)
                what = message("pool_summary", args.lang, pool_id=pool.pool_id, version=pool.pool_version, n=pool.size)
            print(message("valid", args.lang, path=path, what=what))
        except ConfigError as exc:
            failed = True
            print(message("invalid", args.lang, path=path, error=exc))
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(sim_main())
