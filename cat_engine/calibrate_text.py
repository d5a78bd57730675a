"""The texts of ``cat-calibrate`` in Bahasa Indonesia (default) and English (``--lang en``): messages and the
readable reports of ``gather``, ``run`` and ``drift`` made from their JSON reports (:mod:`cat_engine.calibrate_cli`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .i18n import message_in

__all__ = ["drift_text", "gather_text", "message", "run_text"]

_MESSAGES: dict[str, dict[str, str]] = {
    "reading": {"id": "Membaca {path} (kB)", "en": "Reading {path} (kB)"},
    "calibrating": {
        "id": "Mengkalibrasi {n} butir pretes ({method}) dengan {fixed} butir operasional tetap ...",
        "en": "Calibrating {n} pretest items ({method}) with {fixed} operational items fixed ...",
    },
    "calibrated": {"id": "  selesai dalam {seconds:.1f} detik", "en": "  done in {seconds:.1f} s"},
    "reestimating": {"id": "Mengestimasi ulang butir", "en": "Re-estimating items"},
    "file": {"id": "  {path}: {rows} baris, sha256 {sha}", "en": "  {path}: {rows} rows, sha256 {sha}"},
    "gathered": {
        "id": "Data: {rows} respons dari {sessions} sesi ({repeats} baris ulangan dilewati, {read} baris dibaca)",
        "en": "Data: {rows} responses of {sessions} sessions ({repeats} repeated rows skipped, {read} rows read)",
    },
    "versions_differ": {"id": "Versi berbeda: {name}: {versions}", "en": "Versions differ: {name}: {versions}"},
    "versions_agree": {
        "id": "Versi baterai dan bank soal sama di semua baris",
        "en": "Battery and pool versions agree",
    },
    "not_written_mixed": {
        "id": "Data TIDAK ditulis: versi berbeda (pakai --allow-mixed untuk tetap menulis)",
        "en": "Data NOT written: versions differ (use --allow-mixed to write anyway)",
    },
    "data_written": {"id": "Data ditulis ke {path}", "en": "Data written to {path}"},
    "items_header": {
        "id": "  subtes           butir              pretes       n",
        "en": "  subtest          item               pretest      n",
    },
    "yes": {"id": "ya", "en": "yes"},
    "no": {"id": "tidak", "en": "no"},
    "run_title": {
        "id": "Kalibrasi daring: baterai {battery} v{version}, subtes {subtest}, metode {method}",
        "en": "Online calibration: battery {battery} v{version}, subtest {subtest}, method {method}",
    },
    "run_data": {
        "id": "Data: {persons} sesi, {responses} respons; {free} butir pretes diestimasi, {fixed} butir operasional "
        "tetap ({pool}); dilewati: {skipped}",
        "en": "Data: {persons} sessions, {responses} responses; {free} pretest items estimated, {fixed} operational "
        "items fixed ({pool}); skipped: {skipped}",
    },
    "em": {"id": "EM: {cycles} siklus, {state}", "en": "EM: {cycles} cycles, {state}"},
    "converged": {"id": "konvergen", "en": "converged"},
    "not_converged": {"id": "BELUM konvergen", "en": "NOT converged"},
    "rule": {
        "id": "Aturan promosi: n >= {min_responses}, SE(a) <= {max_se_a}, SE(b) <= {max_se_b}, SE(langkah) <= "
        "{max_se_step}, konvergen, p-fit >= {alpha}",
        "en": "Promotion rule: n >= {min_responses}, SE(a) <= {max_se_a}, SE(b) <= {max_se_b}, SE(step) <= "
        "{max_se_step}, converged, fit p >= {alpha}",
    },
    "run_header": {
        "id": "  butir          model     n      a  SE(a)       b  SE(b)      c     X2  df  p-fit   promosi  alasan",
        "en": "  item           model     n      a  SE(a)       b  SE(b)      c     X2  df  fit-p   promoted reasons",
    },
    "no_responses": {"id": "tanpa respons", "en": "no responses"},
    "run_summary": {
        "id": "{promoted} dari {estimated} butir pretes yang diestimasi dipromosikan",
        "en": "{promoted} of {estimated} estimated pretest items promoted",
    },
    "op_written": {
        "id": "Bank soal operasional ditulis ke {path} (versi {version}, +{n} butir)",
        "en": "Operational pool written to {path} (version {version}, +{n} items)",
    },
    "pt_written": {
        "id": "Bank soal pretes ditulis ke {path} (versi {version}, {n} butir)",
        "en": "Pretest pool written to {path} (version {version}, {n} items)",
    },
    "pt_empty": {
        "id": "Semua butir pretes dipromosikan: tidak ada bank soal pretes baru",
        "en": "Every pretest item was promoted: no new pretest pool",
    },
    "exposure_note": {
        "id": "Catatan: butir baru tanpa parameter paparan (exposure_k = 1); jalankan ulang cat-exposure",
        "en": "Note: the new items have no exposure parameters (exposure_k = 1); run cat-exposure again",
    },
    "report_written": {"id": "Laporan ditulis ke {json} dan {text}", "en": "Report written to {json} and {text}"},
    "plots_written": {"id": "Grafik ditulis ke {path}", "en": "Plots written to {path}"},
    "nothing": {
        "id": "Tidak ada butir pretes subtes {subtest} dengan respons dalam data: tidak ada yang dikalibrasi",
        "en": "No pretest item of subtest {subtest} has responses in the data: nothing calibrated",
    },
    "no_pretest_pool": {
        "id": "subtes {subtest} tidak punya bank soal pretes: berikan --pretest-pool",
        "en": "subtest {subtest} has no pretest pool: give --pretest-pool",
    },
    "no_subtest": {
        "id": "baterai {battery} tidak punya subtes {subtest} (ada: {known})",
        "en": "battery {battery} has no subtest {subtest} (it has: {known})",
    },
    "other_version": {
        "id": "data dijawab pada versi lain bank soal {pool}: {found} baris; baterai memakai versi {version}",
        "en": "data answered on another version of pool {pool}: {found} rows; the battery has version {version}",
    },
    "drift_title": {
        "id": "Drift parameter: baterai {battery} v{version}, subtes {subtest}, bank soal {pool}",
        "en": "Parameter drift: battery {battery} v{version}, subtest {subtest}, pool {pool}",
    },
    "drift_header": {
        "id": "  butir               n  a-lama  a-baru      Δa  b-lama  b-baru      Δb    z(b)   p-fit  tanda",
        "en": "  item                n   a-old   a-new      Δa   b-old   b-new      Δb    z(b)   fit-p  flags",
    },
    "drift_few": {"id": "tidak diestimasi (n < {min})", "en": "not estimated (n < {min})"},
    "drift_summary": {
        "id": "{flagged} dari {estimated} butir ditandai (|Δb| > {tb}, |Δa| > {ta}, keduanya > {z} SE; p-fit < "
        "{alpha}); {few} butir dengan < {min} respons tidak diestimasi",
        "en": "{flagged} of {estimated} items flagged (|Δb| > {tb}, |Δa| > {ta}, both > {z} SE; fit p < {alpha}); "
        "{few} items with < {min} responses not estimated",
    },
    "drift_written": {"id": "Laporan drift ditulis ke {path}", "en": "Drift report written to {path}"},
}


def message(key: str, lang: str, **values: object) -> str:
    """The message ``key`` of ``cat-calibrate`` in ``lang``, formatted with ``values``."""
    return message_in(_MESSAGES, key, lang, **values)


def _f(value: Any, width: int, digits: int = 3) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:{width}.{digits}f}"


def gather_text(report: Mapping[str, Any], lang: str) -> str:
    """The readable report of ``cat-calibrate gather``."""
    lines = [message("file", lang, path=f["file"], rows=f["rows"], sha=f["sha256"][:12]) for f in report["files"]]
    lines.append(
        message(
            "gathered",
            lang,
            rows=report["rows_written"],
            sessions=report["sessions"],
            repeats=report["repeats"],
            read=report["rows_read"],
        )
    )
    for key in report["differing"]:
        seen = ", ".join(f"{v} ({n})" for v, n in report["versions"][key].items())
        lines.append(message("versions_differ", lang, name=key, versions=seen))
    if not report["differing"]:
        lines.append(message("versions_agree", lang))
    lines += ["", message("items_header", lang)]
    for it in report["items"]:
        flag = message("yes" if it["pretest"] else "no", lang)
        lines.append(f"  {it['subtest_id']:<16} {it['item_id']:<18} {flag:<8} {it['n']:6d}")
    return "\n".join(lines)


def run_text(report: Mapping[str, Any], lang: str) -> str:
    """The readable report of ``cat-calibrate run``."""
    cal = report["calibration"]
    skipped = ", ".join(f"{k} {v}" for k, v in report["skipped"].items()) or "0"
    state = message("converged" if cal["converged"] else "not_converged", lang)
    rule = report["rule"]
    lines = [
        message(
            "run_title",
            lang,
            battery=report["battery"]["id"],
            version=report["battery"]["version"],
            subtest=report["subtest"],
            method=cal["method"],
        ),
        message(
            "run_data",
            lang,
            persons=report["persons"],
            responses=report["responses"],
            free=report["estimated"],
            fixed=report["operational_items"],
            pool=report["operational_pool"],
            skipped=skipped,
        ),
        message("em", lang, cycles=cal["cycles"], state=state),
        message("rule", lang, alpha=report["fit"]["alpha"], **rule),
        "",
        message("run_header", lang),
    ]
    for it in report["items"]:
        if not it["estimated"]:
            lines.append(f"  {it['id']:<14} {it['model']:<5} {it['n']:5d}  {message('no_responses', lang)}")
            continue
        est, se, fit = it["estimate"], it["se"], it["fit"]
        b = est["b"] if not isinstance(est["b"], list) else sum(est["b"]) / len(est["b"])
        se_b = se["b"] if se["b"] is not None else (max(se["steps"]) if se.get("steps") else None)
        c = est.get("c")
        verdict = message("yes" if it["promoted"] else "no", lang)
        lines.append(
            f"  {it['id']:<14} {it['model']:<5} {it['n']:5d} {_f(est['a'], 6, 2)} {_f(se['a'], 6)} {_f(b, 7, 2)}"
            f" {_f(se_b, 6)} {_f(c, 6, 2)} {_f(fit['statistic'], 6, 1)} {fit['df'] or '-':>3} {_f(fit['p_value'], 6)}"
            f"   {verdict:<7} {','.join(it['reasons'])}"
        )
    lines += ["", message("run_summary", lang, promoted=report["promoted"], estimated=report["estimated"])]
    return "\n".join(lines)


def drift_text(report: Mapping[str, Any], lang: str) -> str:
    """The readable report of ``cat-calibrate drift``."""
    rule = report["rule"]
    lines = [
        message(
            "drift_title",
            lang,
            battery=report["battery"]["id"],
            version=report["battery"]["version"],
            subtest=report["subtest"],
            pool=report["pool"],
        ),
        "",
        message("drift_header", lang),
    ]
    for it in report["items"]:
        if it["b_new"] is None:
            lines.append(f"  {it['id']:<16} {it['n']:6d}  {message('drift_few', lang, min=rule['min_responses'])}")
            continue
        lines.append(
            f"  {it['id']:<16} {it['n']:6d} {_f(it['a_old'], 7, 2)} {_f(it['a_new'], 7, 2)} {_f(it['delta_a'], 7)}"
            f" {_f(it['b_old'], 7, 2)} {_f(it['b_new'], 7, 2)} {_f(it['delta_b'], 7)} {_f(it['z_b'], 7, 2)}"
            f" {_f(it['fit_p'], 7, 4)}  {','.join(it['flags'])}"
        )
    s = report["summary"]
    lines += [
        "",
        message(
            "drift_summary",
            lang,
            flagged=s["flagged"],
            estimated=s["estimated"],
            tb=rule["threshold_b"],
            ta=rule["threshold_a"],
            alpha=rule["fit_alpha"],
            z=rule["min_z"],
            few=s["not_estimated"],
            min=rule["min_responses"],
        ),
    ]
    return "\n".join(lines)
