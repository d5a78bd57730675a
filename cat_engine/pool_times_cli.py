"""``cat-pool times`` on the command line: its options, report (id/en) and run; the reading and the estimation are
:mod:`cat_engine.pool_times`'s.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from .cli import ProgressBar
from .errors import ConfigError
from .i18n import LANGUAGES, default_language, message_in
from .pool import Pool, load_pool, save_pool
from .pool_times import (
    PoolTimes,
    Progress,
    ResponseDataError,
    Responses,
    estimate_pool_times,
    read_responses,
    time_record,
    times_pool_version,
)

__all__ = ["add_arguments", "run", "text_report", "to_dict"]


_MESSAGES: dict[str, dict[str, str]] = {
    "reading": {"id": "Membaca {path} (kB)", "en": "Reading {path} (kB)"},
    "title": {
        "id": "Parameter waktu respons: {name} ({pool_id} v{version}), {n} butir",
        "en": "Response-time parameters: {name} ({pool_id} v{version}), {n} items",
    },
    "file": {
        "id": "  {path}: {rows} baris, {unknown} baris pada butir di luar bank soal dilewati",
        "en": "  {path}: {rows} rows, {unknown} rows on items not in the pool skipped",
    },
    "used": {
        "id": "Dipakai: {responses} respons dari {sessions} sesi (butir dengan >= {min} respons, sesi dengan >= 2)",
        "en": "Used: {responses} responses of {sessions} sessions (items with >= {min} responses, sessions with >= 2)",
    },
    "fit": {
        "id": "Kemungkinan maksimum bersama: {iterations} iterasi, {state}; SD kecepatan τ sesi {sd:.3f}",
        "en": "Joint maximum likelihood: {iterations} iterations, {state}; SD of the sessions' speed τ {sd:.3f}",
    },
    "converged": {"id": "konvergen", "en": "converged"},
    "not_converged": {"id": "BELUM konvergen", "en": "NOT converged"},
    "header": {
        "id": "  butir              n     beta  SE(beta)   alpha  SE(alpha)  median-detik  sebelumnya (beta / alpha)",
        "en": "  item               n     beta  SE(beta)   alpha  SE(alpha)  median-secs   previous (beta / alpha)",
    },
    "kept": {"id": "tetap: {previous}", "en": "kept: {previous}"},
    "untimed": {"id": "tanpa parameter waktu", "en": "untimed"},
    "summary": {
        "id": "Ringkasan: {estimated} butir diestimasi (median beta {beta:.3f} = {seconds:.0f} detik, median alpha "
        "{alpha:.2f}); {kept} butir dengan respons < {min} tetap; {none} butir tanpa respons",
        "en": "Summary: {estimated} items estimated (median beta {beta:.3f} = {seconds:.0f} s, median alpha "
        "{alpha:.2f}); {kept} items with < {min} responses kept; {none} items without responses",
    },
    "shift": {
        "id": "Rata-rata perubahan beta dari nilai sebelumnya: {shift:+.3f} pada {n} butir (termasuk asal skala: "
        "rata-rata kecepatan data ini = 0)",
        "en": "Mean change of beta from the previous values: {shift:+.3f} over {n} items (includes the origin: "
        "this data's mean speed = 0)",
    },
    "nothing": {
        "id": "Tidak ada butir dengan >= {min} respons dari sesi dengan >= 2 respons: tidak ada yang diestimasi",
        "en": "No item has >= {min} responses from sessions with >= 2: nothing estimated",
    },
    "written": {
        "id": "Bank soal ditulis ke {path} (versi {version})",
        "en": "Pool written to {path} (version {version})",
    },
    "not_written": {"id": "Tanpa --out: tidak ada berkas yang ditulis", "en": "No --out: no file written"},
}


def message(key: str, lang: str, **values: object) -> str:
    """The message ``key`` of ``cat-pool times`` in ``lang``, formatted with ``values``."""
    return message_in(_MESSAGES, key, lang, **values)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``cat-pool times``."""
    parser.add_argument("data", nargs="+", type=Path, metavar="DATA", help="response files: CSV or JSON lines")
    parser.add_argument("--pool", type=Path, required=True, help="the item pool (JSON) the responses are on")
    parser.add_argument("--out", type=Path, help="write the pool with the estimated time parameters here")
    parser.add_argument(
        "--min-responses", type=_at_least_two, default=100, help="responses an item needs to be estimated (100)"
    )
    parser.add_argument("--pool-version", help="pool_version to write (default: the current one with '+rtYYYYMMDD')")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the report")
    parser.add_argument("--lang", choices=LANGUAGES, default=default_language(), help="id (default) or en")


def _at_least_two(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be >= 2, got {text}")
    return value


def _previous(pool: Pool, k: int) -> dict[str, float] | None:
    time = pool.items[k].time
    return None if time is None else {"beta": time[0], "alpha": time[1]}


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def to_dict(pool: Pool, data: Responses, times: PoolTimes, min_responses: int) -> dict[str, Any]:
    """The result as one JSON-ready object (``--json``)."""
    fit = times.fit
    shift = times.beta - pool.time_beta
    changed = times.estimated & pool.timed
    items = [
        {
            "id": it.id,
            "n": int(times.n[k]),
            "estimated": bool(times.estimated[k]),
            **{name: _number(float(getattr(times, name)[k])) for name in ("beta", "se_beta", "alpha", "se_alpha")},
            "previous": _previous(pool, k),
        }
        for k, it in enumerate(pool.items)
    ]
    return {
        "pool": {"pool_id": pool.pool_id, "pool_version": pool.pool_version, "source": pool.source},
        "files": [vars(f) for f in data.files],
        "min_responses": min_responses,
        "responses_used": times.responses_used,
        "sessions_used": times.sessions_used,
        "iterations": None if fit is None else fit.iterations,
        "converged": None if fit is None else fit.converged,
        "tau_sd": None if fit is None else float(fit.tau.std()),
        "items": items,
        "summary": {
            "estimated": int(times.estimated.sum()),
            "kept": int(((times.n > 0) & ~times.estimated).sum()),
            "without_responses": int((times.n == 0).sum()),
            "median_beta": _number(float(np.median(times.beta[times.estimated]))) if fit else None,
            "median_alpha": _number(float(np.median(times.alpha[times.estimated]))) if fit else None,
            "mean_beta_shift": float(shift[changed].mean()) if changed.any() else None,
            "shift_items": int(changed.sum()),
        },
    }


def text_report(result: Mapping[str, Any], pool: Pool, lang: str) -> str:
    """The result of :func:`to_dict` as text in ``lang``."""
    s = result["summary"]
    lines = [message("title", lang, name=pool.name, pool_id=pool.pool_id, version=pool.pool_version, n=pool.size)]
    lines += [
        message("file", lang, path=f["path"], rows=f["rows"], unknown=f["unknown_items"]) for f in result["files"]
    ]
    lines.append(
        message(
            "used",
            lang,
            responses=result["responses_used"],
            sessions=result["sessions_used"],
            min=result["min_responses"],
        )
    )
    if result["iterations"] is None:
        return "\n".join([*lines, message("nothing", lang, min=result["min_responses"])])
    state = message("converged" if result["converged"] else "not_converged", lang)
    lines += [message("fit", lang, iterations=result["iterations"], state=state, sd=result["tau_sd"]), ""]
    lines.append(message("header", lang))
    for it in result["items"]:
        p = it["previous"]
        previous = message("untimed", lang) if p is None else f"{p['beta']:.3f} / {p['alpha']:.3f}"
        if it["estimated"]:
            lines.append(
                f"  {it['id']:<14} {it['n']:6d} {it['beta']:8.3f} {it['se_beta']:9.3f} {it['alpha']:7.3f}"
                f" {it['se_alpha']:10.3f} {math.exp(it['beta']):13.1f}   {previous}"
            )
        elif it["n"]:
            lines.append(f"  {it['id']:<14} {it['n']:6d}   {message('kept', lang, previous=previous)}")
    lines += [
        "",
        message(
            "summary",
            lang,
            estimated=s["estimated"],
            beta=s["median_beta"],
            seconds=math.exp(s["median_beta"]),
            alpha=s["median_alpha"],
            kept=s["kept"],
            min=result["min_responses"],
            none=s["without_responses"],
        ),
    ]
    if s["mean_beta_shift"] is not None:
        lines.append(message("shift", lang, shift=s["mean_beta_shift"], n=s["shift_items"]))
    return "\n".join(lines)


def _progress(lang: str) -> Callable[[str], Progress]:
    def for_file(path: str) -> Progress:
        bar = ProgressBar(message("reading", lang, path=path))
        return lambda done, total: bar(-(-done // 1024), -(-total // 1024))

    return for_file


def run(args: argparse.Namespace) -> int:
    """``cat-pool times``: exit 0; 1 when no item could be estimated; 2 for an invalid pool or data file, or when
    ``--out`` cannot be written."""
    lang = args.lang
    try:
        pool = load_pool(args.pool)
        data = read_responses(args.data, pool, _progress(lang))
    except (ConfigError, ResponseDataError) as exc:
        print(f"cat-pool times: {exc}", file=sys.stderr)
        return 2
    times = estimate_pool_times(data, pool, args.min_responses)
    result = to_dict(pool, data, times, args.min_responses)
    written = None
    if times.fit is not None and args.out is not None:
        day = date.today()
        version = args.pool_version or times_pool_version(pool.pool_version, day)
        estimates = {
            pool.items[k].id: (round(float(times.beta[k]), 4), round(float(times.alpha[k]), 4))
            for k in np.flatnonzero(times.estimated)
        }
        record = time_record(pool, data, times, args.min_responses, day)
        try:
            save_pool(pool.with_time_params(estimates, version, record), args.out)
        except OSError as exc:
            print(f"cat-pool times: {args.out}: cannot write the pool: {exc.strerror}", file=sys.stderr)
            return 2
        written = {"path": str(args.out), "pool_version": version}
    result["written"] = written
    if args.json:
        sys.stdout.write(orjson.dumps(result).decode() + "\n")
    else:
        print(text_report(result, pool, lang))
        if times.fit is not None:
            print(
                message("not_written", lang)
                if written is None
                else message("written", lang, path=written["path"], version=written["pool_version"])
            )
    return 0 if times.fit is not None else 1
