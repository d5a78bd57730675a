"""``cat-calibrate``: online calibration of pretest items and drift checks of operational items from the responses
exports of rooms (docs/calibration.md, "Commands").

* ``gather EXPORT... --out DATA.jsonl``: one data set from many rooms' exports (:func:`cat_engine.calibration_data.
  gather`): repeated (session, item) rows dropped, battery and pool versions checked, rows counted per item;
* ``run DATA... --battery B --subtest ID --out-dir DIR``: calibrate the subtest's pretest items with its
  operational items fixed, apply the promotion and fit rules, write the new operational and pretest pool versions
  and a report (:mod:`cat_engine.calibration_run`);
* ``drift DATA... --battery B --subtest ID``: re-estimate each operational item from the live data and flag the
  ones that moved or misfit (:mod:`cat_engine.drift`).

Texts in Bahasa Indonesia by default, English with ``--lang en`` (:mod:`cat_engine.calibrate_text`); progress of
the long steps goes to stderr. Exit status: 0; 1 when there is nothing to do (``run``: no pretest responses;
``gather``: versions differ and nothing was written); 2 for bad arguments, files or data.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from .battery import Battery, Subtest, load_battery
from .calibrate_text import drift_text, gather_text, message, run_text
from .calibration import METHODS
from .calibration_data import SubtestData, load_subtest
from .calibration_gather import gather
from .calibration_run import RunOptions, RunResult, calibrate_subtest, write_pools
from .cli import ProgressBar
from .drift import DriftRule, drift
from .errors import ConfigError
from .i18n import LANGUAGES, default_language
from .pool import Pool, load_pool, save_pool
from .pool_promotion import calibrated_version
from .pool_times import Progress, ResponseDataError
from .pretest_promotion import PromotionRule

__all__ = ["main"]


class _Stop(Exception):
    """A problem with the arguments or files: printed, exit status 2."""


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def _probability(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be within [0, 1], got {text}")
    return value


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    p.add_argument("--lang", choices=LANGUAGES, default=default_language(), help="id (default) or en")


def _subtest_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="+", type=Path, metavar="DATA", help="data set(s) or exports: JSON lines or CSV")
    p.add_argument("--battery", type=Path, required=True, help="battery config (TOML) the data come from")
    p.add_argument("--subtest", required=True, help="subtest id in --battery")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cat-calibrate", description="Online calibration and drift of item pools.")
    commands = p.add_subparsers(dest="command", required=True)
    g = commands.add_parser("gather", help="gather rooms' response exports into one data set")
    g.add_argument("exports", nargs="+", type=Path, metavar="EXPORT", help="responses exports (JSON lines or CSV)")
    g.add_argument("--out", type=Path, help="write the data set (JSON lines) here")
    g.add_argument("--allow-mixed", action="store_true", help="write even when battery or pool versions differ")
    _common(g)

    r = commands.add_parser("run", help="calibrate pretest items and write the new pool versions")
    _subtest_args(r)
    r.add_argument("--out-dir", type=Path, required=True, help="directory for the pools, report and plots")
    r.add_argument("--method", choices=METHODS, default="mem", help="mem (default), oem or stocking-a")
    r.add_argument("--pretest-pool", type=Path, help="the pretest pool (default: the battery subtest's)")
    r.add_argument("--start", choices=("pool", "defaults"), default="pool", help="starting values (default pool)")
    r.add_argument("--fix-c", action="store_true", help="hold the 3PL items' c at their starting values")
    r.add_argument(
        "--a-prior-sd",
        type=float,
        default=RunOptions.a_prior_sd,
        help="sd of the lognormal prior on a, centred on the operational items' mean log a (0.5; 0: none)",
    )
    r.add_argument("--min-responses", type=_positive_int, default=PromotionRule.min_responses)
    r.add_argument("--max-se-a", type=float, default=PromotionRule.max_se_a)
    r.add_argument("--max-se-b", type=float, default=PromotionRule.max_se_b)
    r.add_argument("--max-se-step", type=float, default=PromotionRule.max_se_step)
    r.add_argument(
        "--fit-alpha", type=_probability, default=0.01, help="promote only with fit p >= this (0.01; 0: no fit rule)"
    )
    r.add_argument("--fit-groups", type=_positive_int, default=10, help="ability groups of the fit test (10)")
    r.add_argument("--pool-version", help="pool_version of the new operational pool (default: +calYYYYMMDD)")
    r.add_argument("--pretest-version", help="pool_version of the new pretest pool (default: +calYYYYMMDD)")
    r.add_argument("--plot", action="store_true", help="write PNG plots of each item's fit into OUT_DIR/plots")
    _common(r)

    d = commands.add_parser("drift", help="re-estimate operational items from live data and flag drift")
    _subtest_args(d)
    d.add_argument("--threshold-b", type=float, default=DriftRule.threshold_b, help="flag |delta b| above (0.3)")
    d.add_argument("--threshold-a", type=float, default=DriftRule.threshold_a, help="flag |delta a| above (0.3)")
    d.add_argument("--fit-alpha", type=_probability, default=DriftRule.fit_alpha, help="flag fit p below (0.01)")
    d.add_argument("--min-responses", type=_positive_int, default=DriftRule.min_responses)
    d.add_argument("--min-z", type=float, default=DriftRule.min_z, help="a flagged change exceeds this many SEs")
    d.add_argument("--out", type=Path, help="also write the JSON report here")
    _common(d)
    return p


def _reading(lang: str) -> Callable[[str], Progress]:
    def for_file(path: str) -> Progress:
        bar = ProgressBar(message("reading", lang, path=path))
        return lambda done, total: bar(-(-done // 1024), -(-total // 1024))

    return for_file


def _emit(result: dict[str, Any], text: str, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(orjson.dumps(result).decode() + "\n")
    else:
        print(text)


# --- gather ---------------------------------------------------------------------------------------------------


def _gather(args: argparse.Namespace) -> int:
    lang = args.lang
    report = gather(args.exports, args.out, _reading(lang), allow_mixed=args.allow_mixed)
    written = args.out is not None and (not report.differing or args.allow_mixed)
    result = {
        "files": [{"file": f.path, "rows": f.rows, "sha256": f.sha256} for f in report.files],
        "rows_read": report.rows_read,
        "rows_written": report.rows_written,
        "repeats": report.repeats,
        "sessions": report.sessions,
        "versions": {k: dict(v) for k, v in report.versions.items()},
        "differing": report.differing,
        "items": [
            {"subtest_id": s, "item_id": i, "pretest": p, "n": n} for (s, i, p), n in sorted(report.items.items())
        ],
        "written": str(args.out) if written else None,
    }
    _emit(result, gather_text(result, lang), args.json)
    if not args.json:
        if written:
            print(message("data_written", lang, path=args.out))
        elif report.differing and args.out is not None:
            print(message("not_written_mixed", lang))
    return 1 if report.differing and args.out is not None and not args.allow_mixed else 0


# --- run and drift --------------------------------------------------------------------------------------------


def _subtest(args: argparse.Namespace) -> tuple[Battery, Subtest, Pool | None]:
    battery = load_battery(args.battery)
    found = [s for s in battery.subtests if s.id == args.subtest]
    if not found:
        known = ", ".join(s.id for s in battery.subtests)
        raise _Stop(message("no_subtest", args.lang, battery=battery.id, subtest=args.subtest, known=known))
    sub = found[0]
    path = getattr(args, "pretest_pool", None)
    if path is not None:
        return battery, sub, load_pool(path)
    return battery, sub, None if sub.pretest is None else sub.pretest.pool


def _check_versions(data: SubtestData, pools: Sequence[Pool | None], lang: str) -> None:
    """Refuse data answered on another version of the pools given (their parameters or scoring may differ)."""
    for kind, pool in zip(("pool", "pretest pool"), pools, strict=True):
        if pool is None:
            continue
        seen = data.versions.get(f"{kind} {pool.pool_id}", {})
        other = {v: n for v, n in seen.items() if v != pool.pool_version}
        if other:
            found = ", ".join(f"{v} ({n})" for v, n in other.items())
            raise _Stop(message("other_version", lang, pool=pool.pool_id, version=pool.pool_version, found=found))


def _file_name(pool_id: str, version: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]", "_", f"{pool_id}-{version}") + ".json"


def _run_report(
    result: RunResult, battery: Battery, sub: Subtest, options: RunOptions, args: argparse.Namespace
) -> dict[str, Any]:
    data, cal = result.data, result.calibration
    return {
        "battery": {"id": battery.id, "version": battery.version},
        "subtest": sub.id,
        "data": [{"file": f.path, "rows": f.rows, "sha256": f.sha256} for f in data.files],
        "skipped": dict(data.skipped),
        "versions": {k: dict(v) for k, v in data.versions.items()},
        "persons": data.responses.n_persons,
        "responses": int(data.responses.item.size),
        "operational_items": data.n_operational,
        "operational_pool": f"{sub.pool.pool_id}@{sub.pool.pool_version}",
        "estimated": int(data.free.sum()),
        "calibration": {
            "method": cal.method,
            "cycles": cal.cycles,
            "converged": bool(cal.converged),
            "log_likelihood": cal.log_likelihood,
            "fix_c": options.fix_c,
            "a_prior_sd": options.a_prior_sd,
            "start": args.start,
        },
        "rule": asdict(options.rule),
        "fit": {"alpha": options.fit_alpha, "groups": options.fit_groups, "min_per_group": options.min_per_group},
        "items": result.items,
        "promoted": int(result.promoted.sum()),
    }


def _run(args: argparse.Namespace) -> int:
    lang = args.lang
    battery, sub, pretest = _subtest(args)
    if pretest is None:
        raise _Stop(message("no_pretest_pool", lang, subtest=sub.id))
    data = load_subtest(args.data, sub.id, sub.pool, pretest, start=args.start, progress=_reading(lang))
    _check_versions(data, (sub.pool, pretest), lang)
    if not data.free.any():
        print(message("nothing", lang, subtest=sub.id), file=sys.stderr)
        return 1
    rule = PromotionRule(args.min_responses, args.max_se_a, args.max_se_b, args.max_se_step)
    options = RunOptions(args.method, args.fix_c, rule, args.fit_alpha, args.fit_groups, a_prior_sd=args.a_prior_sd)
    n_free, started = int(data.free.sum()), time.perf_counter()
    print(message("calibrating", lang, n=n_free, method=args.method, fixed=data.n_operational), file=sys.stderr)
    result = calibrate_subtest(data, pretest, options)
    print(message("calibrated", lang, seconds=time.perf_counter() - started), file=sys.stderr)
    day = date.today()
    op_version = args.pool_version or calibrated_version(sub.pool.pool_version, day)
    pt_version = args.pretest_version or calibrated_version(pretest.pool_version, day)
    pools = write_pools(
        result,
        sub.pool,
        pretest,
        battery=(battery.id, battery.version),
        subtest_id=sub.id,
        options=options,
        day=day,
        operational_version=op_version,
        pretest_version=pt_version,
    )
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    report = _run_report(result, battery, sub, options, args)
    op_path = out / _file_name(pools.operational.pool_id, op_version)
    save_pool(pools.operational, op_path)
    written: dict[str, Any] = {"operational": {"path": str(op_path), "pool_version": op_version}, "pretest": None}
    if pools.pretest is not None:
        pt_path = out / _file_name(pools.pretest.pool_id, pt_version)
        save_pool(pools.pretest, pt_path)
        written["pretest"] = {"path": str(pt_path), "pool_version": pt_version}
    report["written"] = written
    text = run_text(report, lang)
    (out / "report.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    (out / "report.txt").write_text(text + "\n", encoding="utf-8")
    _emit(report, text, args.json)
    notes = [message("op_written", lang, path=op_path, version=op_version, n=len(pools.promoted))]
    if pools.pretest is None:
        notes.append(message("pt_empty", lang))
    else:
        pt = written["pretest"]
        notes.append(message("pt_written", lang, path=pt["path"], version=pt_version, n=pools.pretest.size))
    if pools.promoted:
        notes.append(message("exposure_note", lang))
    notes.append(message("report_written", lang, json=out / "report.json", text=out / "report.txt"))
    if args.plot:
        notes.append(message("plots_written", lang, path=_plots(result, out / "plots", lang)))
    print("\n".join(notes), file=sys.stderr if args.json else sys.stdout)
    return 0


def _plots(result: RunResult, directory: Path, lang: str) -> Path:
    from .calibration_plots import plot_item_fit

    fit, data = result.fit, result.data
    chosen = []
    for k in range(data.n_operational, data.params.size):
        groups = fit.groups[k]
        if groups is not None:
            entry = (k, data.item_ids[k], groups, float(fit.statistic[k]), int(fit.df[k]), float(fit.p_value[k]))
            chosen.append(entry)
    plot_item_fit(result.calibration.params, chosen, directory, lang)
    return directory


def _drift(args: argparse.Namespace) -> int:
    lang = args.lang
    battery, sub, _ = _subtest(args)
    data = load_subtest(args.data, sub.id, sub.pool, None, include_pretest=False, progress=_reading(lang))
    _check_versions(data, (sub.pool, None), lang)
    rule = DriftRule(args.threshold_b, args.threshold_a, args.fit_alpha, args.min_responses, args.min_z)
    bar = ProgressBar(message("reestimating", lang))
    items = drift(data, rule, progress=bar)
    rows = [it.to_dict() for it in items]
    estimated = [it for it in items if it.b_new is not None]
    report = {
        "battery": {"id": battery.id, "version": battery.version},
        "subtest": sub.id,
        "pool": f"{sub.pool.pool_id}@{sub.pool.pool_version}",
        "data": [{"file": f.path, "rows": f.rows, "sha256": f.sha256} for f in data.files],
        "persons": data.responses.n_persons,
        "method": "mem, one item free at a time, the others fixed",
        "rule": asdict(rule),
        "items": rows,
        "summary": {
            "estimated": len(estimated),
            "not_estimated": len(items) - len(estimated),
            "flagged": sum(1 for it in items if it.flags),
        },
    }
    _emit(report, drift_text(report, lang), args.json)
    if args.out is not None:
        args.out.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
        print(message("drift_written", lang, path=args.out), file=sys.stderr if args.json else sys.stdout)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cat-calibrate``."""
    args = _parser().parse_args(argv)
    handlers = {"gather": _gather, "run": _run, "drift": _drift}
    try:
        return handlers[args.command](args)
    except (ConfigError, ResponseDataError, _Stop) as exc:
        print(f"cat-calibrate {args.command}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cat-calibrate {args.command}: {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
