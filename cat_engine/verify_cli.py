"""``cat-verify BUNDLE --battery F [--public-key K] [--json]``: check a room's evidence bundle (docs/verification.md).

It checks the signatures (with the public key ``K`` when given: a PEM file, a file holding the base64 key, or the
base64 text itself; else with the key the bundle names, whose id it prints to compare with the published one), that
the battery file ``F`` and its pool files are the ones the server loaded, each session's audit chain, and replays
each session through the engine (:mod:`cat_engine.verify`). It prints one line per session (``--json``: one JSON
object on stdout), progress on stderr, and exits 0 when everything checks out, 1 naming each session that does not
with what it found, in step order (the first step that differs first), 2 for bad arguments or unreadable files.

Messages are in Bahasa Indonesia unless ``--lang en`` or ``CAT_LANG=en``.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from .battery import load_battery
from .cli import ProgressBar
from .errors import ConfigError
from .i18n import LANGUAGES, default_language, message_in
from .signing import battery_files, read_public_key
from .verify import Finding, Report, SessionReport, verify_bundle

__all__ = ["finding_message", "main", "text_report"]

_FINDINGS_SHOWN = 5  # findings of one session printed as text (--json has all)

_MESSAGES: dict[str, dict[str, str]] = {
    "title": {
        "id": "Bukti ruang {room}, dibuat {when}; baterai {battery}; {n} sesi",
        "en": "Evidence of room {room}, made {when}; battery {battery}; {n} sessions",
    },
    "key_given": {
        "id": "Kunci penanda tangan: id {key_id} (diperiksa dengan kunci publik yang diberikan)",
        "en": "Signing key: id {key_id} (checked with the public key given)",
    },
    "key_own": {
        "id": "Kunci penanda tangan: id {key_id}, kunci yang dicantumkan bundel sendiri; cocokkan id ini dengan kunci "
        "publik yang diumumkan penyelenggara (atau beri --public-key)",
        "en": "Signing key: id {key_id}, the key the bundle names itself; compare this id with the public key the "
        "organiser published (or give --public-key)",
    },
    "bundle_fail": {"id": "GAGAL bundel: {message}", "en": "FAIL  bundle: {message}"},
    "session_ok": {"id": "SAH   {sid}  {steps} langkah, {what}", "en": "OK    {sid}  {steps} steps, {what}"},
    "session_fail": {"id": "GAGAL {sid}", "en": "FAIL  {sid}"},
    "finding": {"id": "      {where}: {message}", "en": "      {where}: {message}"},
    "result_same": {"id": "hasil sama", "en": "same result"},
    "no_result": {"id": "belum selesai (tanpa hasil)", "en": "not over (no result)"},
    "more": {
        "id": "      ... dan {n} temuan lain (lihat --json)",
        "en": "      ... and {n} more findings (see --json)",
    },
    "step": {"id": "langkah {step} ({what})", "en": "step {step} ({what})"},
    "before": {"id": "sebelum langkah pertama", "en": "before the first step"},
    "end": {"id": "akhir sesi (hasil)", "en": "the session's end (result)"},
    "summary_ok": {
        "id": "LOLOS: {ok} sesi sah; setiap hasil mengikuti jawaban yang tercatat",
        "en": "PASSED: {ok} sessions verified; every result follows from the answers recorded",
    },
    "summary_fail": {
        "id": "TIDAK LOLOS: {ok} sesi sah, {bad} gagal{bundle}",
        "en": "NOT PASSED: {ok} sessions verified, {bad} failed{bundle}",
    },
    "bundle_problems": {"id": "; bundel sendiri: {n} masalah", "en": "; the bundle itself: {n} problems"},
    "replaying": {"id": "Memutar ulang sesi", "en": "Replaying sessions"},
    "cannot_read": {"id": "tidak dapat membaca {path}: {error}", "en": "cannot read {path}: {error}"},
    "not_bundle": {"id": "{path} bukan bundel bukti: {error}", "en": "{path} is not an evidence bundle: {error}"},
    "bad_key": {"id": "kunci publik tidak dapat dibaca: {error}", "en": "the public key cannot be read: {error}"},
    # findings (cat_engine.verify.Finding.code)
    "signature": {
        "id": "tanda tangan bundel tidak sah untuk kunci ini: isinya diubah, atau ditandatangani kunci lain",
        "en": "the bundle's signature is not valid for the key: it was changed, or signed with another key",
    },
    "key_mismatch": {
        "id": "bundel menyebut kunci publik lain ({key}) daripada yang diberikan",
        "en": "the bundle names another public key ({key}) than the one given",
    },
    "battery_mismatch": {
        "id": "baterai yang diberikan ({found}) bukan baterai bundel ({expected})",
        "en": "the battery given ({found}) is not the bundle's ({expected})",
    },
    "battery_file": {
        "id": "berkas baterai {file} berbeda dari yang dimuat server",
        "en": "the battery file {file} differs from the one the server loaded",
    },
    "pool_file": {
        "id": "berkas bank soal {file} (subtes {subtest}) berbeda dari yang dimuat server",
        "en": "the pool file {file} (subtest {subtest}) differs from the one the server loaded",
    },
    "session_signature": {
        "id": "tanda tangan sesi ini tidak sah: datanya diubah setelah diekspor",
        "en": "this session's signature is not valid: its data was changed after export",
    },
    "chain_unchained": {
        "id": "{count} entri audit pertama ditulis sebelum audit dirantai: tidak terlindungi",
        "en": "the first {count} audit entries were written before the audit was chained: not protected",
    },
    "chain_start": {
        "id": "rantai audit tidak dimulai di awal sesi: entri sebelum langkah ini hilang",
        "en": "the audit chain does not start at the session's beginning: entries before this step are missing",
    },
    "flag": {
        "id": "tanda integritas ({field}): mesin memberi {expected}, audit mencatat {found}",
        "en": "integrity flag ({field}): the engine gives {expected}, the audit records {found}",
    },
    "flag_missing": {
        "id": "mesin menaikkan tanda {flag} di sini, tetapi audit tidak mencatatnya",
        "en": "the engine raises the flag {flag} here, but the audit does not record it",
    },
    "flag_extra": {
        "id": "audit mencatat tanda {flag}, tetapi mesin tidak menaikkan tanda di sini",
        "en": "the audit records the flag {flag}, but the engine raises none here",
    },
    "chain_broken": {
        "id": "rantai audit putus: entri ini diubah, atau ada entri dihapus atau disisipkan sesudahnya",
        "en": "the audit chain breaks: this entry was changed, or entries were removed or inserted after it",
    },
    "chain_head": {
        "id": "entri terakhir bukan ujung rantai yang disimpan server: entri di akhir hilang",
        "en": "the last entry is not the chain's head the server kept: entries at the end are missing",
    },
    "malformed": {"id": "data rusak atau tidak lengkap ({detail})", "en": "damaged or incomplete data ({detail})"},
    "unknown_kind": {"id": "entri audit berjenis tak dikenal {kind}", "en": "an audit entry of unknown kind {kind}"},
    "presented_missing": {
        "id": "mesin menyajikan butir {item_id} (seq {seq}) di sini, tetapi audit tidak mencatatnya",
        "en": "the engine presents item {item_id} (seq {seq}) here, but the audit does not record it",
    },
    "presented_extra": {
        "id": "audit mencatat butir {item_id} disajikan, tetapi mesin tidak menyajikan butir di sini",
        "en": "the audit records item {item_id} as presented, but the engine presents none here",
    },
    "item": {
        "id": "butir: mesin menyajikan {expected}, audit mencatat {found}",
        "en": "item: the engine presents {expected}, the audit records {found}",
    },
    "presentation": {
        "id": "penyajian ({field}): mesin memberi {expected}, audit mencatat {found}",
        "en": "presentation ({field}): the engine gives {expected}, the audit records {found}",
    },
    "option": {
        "id": "pilihan jawaban yang tersimpan: mesin memberi {expected}, audit mencatat {found}",
        "en": "stored option of the answer: the engine gives {expected}, the audit records {found}",
    },
    "response_ms": {
        "id": "waktu jawab (ms): jam mesin memberi {expected}, audit mencatat {found}",
        "en": "response time (ms): the engine's clock gives {expected}, the audit records {found}",
    },
    "time": {
        "id": "waktu subtes: audit dan jam mesin tidak sepakat apakah waktu sudah habis (sisa menurut mesin: "
        "{left_ms} ms)",
        "en": "subtest time: the audit and the engine's clock disagree on whether the time had run out (left by the "
        "engine's clock: {left_ms} ms)",
    },
    "not_applicable": {
        "id": "langkah ini tidak dapat diterapkan pada sesi yang diputar ulang ({detail})",
        "en": "this step cannot be applied to the replayed session ({detail})",
    },
    "phase": {
        "id": "sesi berstatus {found}, pemutaran ulang berakhir {expected}",
        "en": "the session is {found}, the replay ends {expected}",
    },
    "result": {
        "id": "hasil ({field}): pemutaran ulang memberi {expected}, bundel mencatat {found}",
        "en": "result ({field}): the replay gives {expected}, the bundle records {found}",
    },
}


def message(key: str, lang: str, **values: object) -> str:
    """The message ``key`` of this tool in ``lang``, formatted with ``values``."""
    return message_in(_MESSAGES, key, lang, **values)


def finding_message(finding: Finding, lang: str) -> str:
    """A finding in words (its English ``detail`` for a code this version does not know)."""
    table = _MESSAGES.get(finding.code)
    if table is None:
        return finding.detail
    values: defaultdict[str, str] = defaultdict(lambda: "?", {"detail": finding.detail, **finding.values})
    return table[lang if lang in LANGUAGES else "id"].format_map(values)


def _kinds(bundle: dict[str, Any]) -> dict[str, list[str]]:
    """Per session, each audit entry's ``kind`` (and ``seq``), to say which step a finding is."""
    out: dict[str, list[str]] = {}
    for session in bundle.get("sessions", []):
        names = []
        for row in session.get("audit", []):
            try:
                entry = orjson.loads(row.get("entry", ""))
                seq = entry.get("seq")
                names.append(str(entry.get("kind")) + ("" if seq is None else f" seq {seq}"))
            except (orjson.JSONDecodeError, AttributeError):
                names.append("?")
        out[str(session.get("session_id"))] = names
    return out


def _where(finding: Finding, report: SessionReport, kinds: list[str], lang: str) -> str:
    if finding.step <= 0:
        return message("before", lang)
    if finding.step > report.steps:
        return message("end", lang)
    what = kinds[finding.step - 1] if finding.step <= len(kinds) else "?"
    return message("step", lang, step=finding.step, what=what)


def text_report(report: Report, bundle: dict[str, Any], lang: str) -> str:
    """The report as lines of text in ``lang``."""
    when = datetime.fromtimestamp(report.generated_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    battery = f"{report.battery_id} v{report.battery_version}"
    lines = [message("title", lang, room=report.room_id, when=when, battery=battery, n=len(report.sessions))]
    lines.append(message("key_given" if report.key_given else "key_own", lang, key_id=report.key_id))
    lines += [message("bundle_fail", lang, message=finding_message(f, lang)) for f in report.findings]
    kinds = _kinds(bundle)
    for s in report.sessions:
        if s.ok:
            what = message("result_same" if s.over else "no_result", lang)
            lines.append(message("session_ok", lang, sid=s.session_id, steps=s.steps, what=what))
            continue
        lines.append(message("session_fail", lang, sid=s.session_id))
        for finding in s.findings[:_FINDINGS_SHOWN]:
            where = _where(finding, s, kinds.get(s.session_id, []), lang)
            lines.append(message("finding", lang, where=where, message=finding_message(finding, lang)))
        if len(s.findings) > _FINDINGS_SHOWN:
            lines.append(message("more", lang, n=len(s.findings) - _FINDINGS_SHOWN))
    ok = sum(s.ok for s in report.sessions)
    if report.ok:
        lines.append(message("summary_ok", lang, ok=ok))
    else:
        problems = message("bundle_problems", lang, n=len(report.findings)) if report.findings else ""
        lines.append(message("summary_fail", lang, ok=ok, bad=len(report.sessions) - ok, bundle=problems))
    return "\n".join(lines)


def _json_report(report: Report, lang: str) -> dict[str, Any]:
    """The report's dict with each finding's message in ``lang``."""
    out = report.to_dict()
    for finding, data in zip(report.findings, out["findings"], strict=True):
        data["message"] = finding_message(finding, lang)
    for session, data in zip(report.sessions, out["sessions"], strict=True):
        for finding, fdata in zip(session.findings, data["findings"], strict=True):
            fdata["message"] = finding_message(finding, lang)
    return out


def _public_key(text: str) -> str:
    path = Path(text)
    try:
        if path.is_file():
            return read_public_key(path.read_text(encoding="utf-8"))
    except OSError:
        pass
    return read_public_key(text)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="cat-verify", description="Check a room's evidence bundle: signatures, files, audit chains, replay."
    )
    p.add_argument("bundle", type=Path, help="the evidence bundle (GET /api/rooms/{room_id}/evidence)")
    p.add_argument("--battery", type=Path, required=True, help="the battery file (TOML) the room was sat with")
    p.add_argument(
        "--public-key", help="the server's published public key: a PEM file, a file with its base64, or the base64"
    )
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.add_argument("--lang", choices=LANGUAGES, default=default_language(), help="id (default) or en")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cat-verify``: 0 when everything checks out, 1 when anything does not, 2 for bad input."""
    parser = _parser()
    args = parser.parse_args(argv)
    lang = args.lang
    try:
        raw = args.bundle.read_bytes()
    except OSError as exc:
        print(message("cannot_read", lang, path=args.bundle, error=exc.strerror), file=sys.stderr)
        return 2
    try:
        bundle = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        print(message("not_bundle", lang, path=args.bundle, error=exc), file=sys.stderr)
        return 2
    try:
        battery = load_battery(args.battery)
        files = battery_files(battery)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except OSError as exc:
        print(message("cannot_read", lang, path=exc.filename, error=exc.strerror), file=sys.stderr)
        return 2
    key = None
    if args.public_key is not None:
        try:
            key = _public_key(args.public_key)
        except ValueError as exc:
            print(message("bad_key", lang, error=exc), file=sys.stderr)
            return 2
    try:
        report = verify_bundle(bundle, battery, files, key, ProgressBar(message("replaying", lang)))
    except ValueError as exc:
        print(message("not_bundle", lang, path=args.bundle, error=exc), file=sys.stderr)
        return 2
    if args.json:
        sys.stdout.write(orjson.dumps(_json_report(report, lang)).decode() + "\n")
    else:
        print(text_report(report, bundle, lang))
    return 0 if report.ok else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
