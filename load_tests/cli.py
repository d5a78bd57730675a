"""``python -m load_tests SCENARIO [--examinees N] [--report-dir DIR] [...]``.

Runs one scenario (:mod:`load_tests.scenarios`) and writes ``DIR/report.json``, ``DIR/summary.txt`` and PNG plots.
By default it starts its own private Redis (``--store cluster``: a private Redis Cluster) and server processes;
``--target URL`` drives a server already running on loopback instead. Messages are in Bahasa Indonesia unless
``--lang en`` or ``CAT_LANG=en``. Exit status: 0 when the run finished with every correctness target met (no error,
nothing lost or duplicated, everyone finished), 1 otherwise (with ``--strict``: any target missed, performance
included), 2 for a bad command line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .examinee import ThinkTime
from .messages import LANGUAGES, default_language, message
from .procs import install_signal_handlers
from .runner import DEFAULT_BATTERY, RunOptions, run
from .scenarios import SCENARIOS
from .target import NotLoopback, loopback_redis_url, loopback_url

__all__ = ["main", "parser"]

_CORRECTNESS = {"errors", "lost", "duplicated", "unfinished"}


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def parser(lang: str) -> argparse.ArgumentParser:
    """The command line (help in ``lang``; the option names are the same in every language)."""

    def h(key: str) -> str:
        return message(f"help_{key}", lang)

    p = argparse.ArgumentParser(prog="python -m load_tests", description=message("description", lang))
    p.add_argument("scenario", choices=sorted(SCENARIOS), help=message("scenario_help", lang))
    p.add_argument("--examinees", type=_positive_int, help=h("examinees"))
    p.add_argument("--report-dir", type=Path, help=h("report_dir"))
    p.add_argument("--rooms", type=_positive_int, help=h("rooms"))
    p.add_argument("--proctors", type=int, help=h("proctors"))
    p.add_argument("--store", choices=("redis", "cluster", "memory"), help=h("store"))
    p.add_argument("--node-timeout-ms", type=_positive_int, help=h("node_timeout_ms"))
    p.add_argument("--workers", type=_positive_int, help=h("workers"))
    p.add_argument("--instances", type=_positive_int, help=h("instances"))
    p.add_argument("--mode", choices=("open", "closed"), help=h("mode"))
    p.add_argument("--think", help=h("think"))
    p.add_argument("--time-scale", type=_positive_float, help=h("time_scale"))
    p.add_argument("--arrival-rate", type=_positive_float, help=h("arrival_rate"))
    p.add_argument("--drop-share", type=float, help=h("drop_share"))
    p.add_argument("--max-seconds", type=_positive_float, help=h("max_seconds"))
    p.add_argument("--operator-groups", type=int, help=h("operator_groups"))
    p.add_argument("--operator-think", help=h("operator_think"))
    p.add_argument("--seed", type=int, default=1, help=h("seed"))
    p.add_argument("--battery", type=Path, default=DEFAULT_BATTERY, help=h("battery"))
    p.add_argument("--target", help=h("target"))
    p.add_argument("--admin-token", help=h("admin_token"))
    p.add_argument("--redis-url", help=h("redis_url"))
    p.add_argument("--server-pid", type=int, action="append", help=h("server_pid"))
    p.add_argument("--key-prefix", help=h("key_prefix"))
    p.add_argument("--no-floor", action="store_true", help=h("no_floor"))
    p.add_argument("--no-plots", action="store_true", help=h("no_plots"))
    p.add_argument("--no-progress", action="store_true", help=h("no_progress"))
    p.add_argument("--strict", action="store_true", help=h("strict"))
    p.add_argument("--lang", choices=LANGUAGES, default=lang, help=h("lang"))
    return p


def _lang(argv: Sequence[str]) -> str:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in LANGUAGES:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg.split("=", 1)[1] in LANGUAGES:
            return arg.split("=", 1)[1]
    return default_language()


def options(args: argparse.Namespace) -> RunOptions:
    """The run the arguments describe; ValueError or NotLoopback when they do not fit together."""
    sc = SCENARIOS[args.scenario]
    overrides = {
        "examinees": args.examinees,
        "rooms": args.rooms,
        "proctors_per_room": args.proctors,
        "store": args.store,
        "node_timeout_ms": args.node_timeout_ms,
        "workers": args.workers,
        "instances": args.instances,
        "mode": args.mode,
        "think": args.think,
        "time_scale": args.time_scale,
        "arrival_rate": args.arrival_rate,
        "drop_share": args.drop_share,
        "max_seconds": args.max_seconds,
        "operator_groups": args.operator_groups,
        "operator_think": args.operator_think,
    }
    sc = replace(sc, **{k: v for k, v in overrides.items() if v is not None})
    ThinkTime.parse(sc.think)
    if sc.operator_think:
        ThinkTime.parse(sc.operator_think)
    if sc.proctors_per_room < 0 or not 0 <= sc.drop_share <= 1:
        raise ValueError("--proctors must be >= 0 and --drop-share within 0..1")
    smallest_room = sc.examinees // max(min(sc.rooms, sc.examinees), 1)  # the rooms are blocks of examinees
    if sc.operator_groups < 0 or sc.operator_groups * 4 > smallest_room:
        raise ValueError("--operator-groups must be >= 0, with 4 seats per group in every room")
    if args.target is not None:
        loopback_url(args.target)
        if args.redis_url:
            loopback_redis_url(args.redis_url)
        if sc.restarts:
            raise ValueError(message("restart_needs_own", args.lang))
        if sc.failover_at is not None:
            raise ValueError(message("failover_needs_cluster", args.lang))
        sc = replace(sc, instances=1)
    elif sc.failover_at is not None and sc.store != "cluster":
        raise ValueError(message("failover_needs_cluster", args.lang))
    elif sc.store == "memory" and (sc.workers > 1 or sc.instances > 1):
        raise ValueError(message("memory_one_process", args.lang))
    report_dir = args.report_dir or Path("out") / "load-tests" / sc.name
    return RunOptions(
        scenario=sc,
        report_dir=report_dir,
        seed=args.seed,
        battery=args.battery,
        target=args.target,
        admin_token=args.admin_token,
        redis_url=args.redis_url,
        server_pids=tuple(args.server_pid or ()),
        key_prefix=args.key_prefix,
        floor=not args.no_floor,
        plots=not args.no_plots,
        progress=not args.no_progress,
        lang=args.lang,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m load_tests``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    p = parser(_lang(argv))
    args = p.parse_args(argv)
    try:
        opts = options(args)
    except NotLoopback as exc:
        print(message("bad_target", args.lang, error=exc), file=sys.stderr)
        return 2
    except ValueError as exc:
        print(message("bad_option", args.lang, error=exc), file=sys.stderr)
        return 2
    install_signal_handlers()
    report = run(opts)
    failed = [c for c in report["checks"] if not c["passed"]]
    if args.strict:
        return 1 if failed else 0
    return 1 if any(c["name"] in _CORRECTNESS for c in failed) else 0
