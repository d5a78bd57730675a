"""The evidence bundle of a room (``GET /api/rooms/{room_id}/evidence``) and the key that signs it.

A bundle holds, per session of the room, its audit as stored (each entry's exact JSON text with its ``prev``, the
chain's head), its seed, its result as stored, and the content hashes of the battery and pool files the server
loaded; each session is signed on its own and the whole bundle once more, with the server's Ed25519 key
(:mod:`cat_engine.signing`; the format is docs/verification.md, "Technical format"). ``cat-verify`` checks it.

The key comes from ``CAT_SIGNING_KEY_FILE``; without one, a process makes an ephemeral key the first time it is
asked (:func:`signer_for`; the app asks at start, so the public key is logged and printed then).

A live session is read until its record is the same before and after its audit and result are read (a commit in
between bumps its version), so each session of a bundle is one consistent moment of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .. import codec
from ..battery import Battery
from ..signing import (
    BUNDLE_DOMAIN,
    SESSION_DOMAIN,
    battery_files,
    key_id,
    load_private_key,
    new_private_key,
    public_key_text,
    sign,
)
from ..verify import FORMAT, FORMAT_VERSION
from .settings import Settings
from .store import AuditChain, RoomRecord, SessionRecord, Store

__all__ = ["Signer", "battery_digests", "key_banner", "prime", "room_bundle", "signer_for"]

_log = logging.getLogger("cat_engine.server")
_READ_ATTEMPTS = 5  # reads of a session that a commit kept moving before its latest read is taken as it is


@dataclass(frozen=True)
class Signer:
    """The key that signs bundles, its public half (base64 of the raw 32 bytes) and its short id."""

    key: Ed25519PrivateKey
    public_key: str
    key_id: str
    ephemeral: bool
    source: str  # the key file ("" for an ephemeral key)


_SIGNERS: dict[str, Signer] = {}  # by key file ("": this process's ephemeral key)
_FILES: dict[Battery, dict[str, Any]] = {}  # battery -> battery_files(battery), computed once


def signer_for(settings: Settings) -> Signer:
    """The signer of ``settings.signing_key_file``, loaded once per process (an ephemeral key made once when none
    is set); logs the public key the first time.

    Raises
    ------
    ValueError, OSError
        When the key file cannot be read or holds no Ed25519 private key.
    """
    path = settings.signing_key_file
    name = "" if path is None else str(path)
    signer = _SIGNERS.get(name)
    if signer is None:
        key = new_private_key() if path is None else load_private_key(path)
        public = public_key_text(key)
        signer = _SIGNERS[name] = Signer(key, public, key_id(public), path is None, name)
        if signer.ephemeral:
            _log.warning("%s", key_banner(signer))
        else:
            _log.info("%s", key_banner(signer))
    return signer


def key_banner(signer: Signer) -> str:
    """One line saying which key signs evidence bundles, for the start-up banner and the log."""
    if signer.ephemeral:
        return (
            f"Evidence signing key: EPHEMERAL (made at start, lost on exit; set CAT_SIGNING_KEY_FILE), Ed25519 "
            f"public key {signer.public_key} (id {signer.key_id})"
        )
    return f"Evidence signing key {signer.source}: Ed25519 public key {signer.public_key} (id {signer.key_id})"


def battery_digests(battery: Battery) -> dict[str, Any]:
    """What ``battery`` was loaded from (:func:`cat_engine.signing.battery_files`), hashed once per process."""
    files = _FILES.get(battery)
    if files is None:
        files = _FILES[battery] = battery_files(battery)
    return files


def prime(batteries: Iterable[Battery]) -> None:
    """Hash the battery and pool files now (at start, right after loading them), not at the first bundle."""
    for battery in batteries:
        battery_digests(battery)


async def room_bundle(store: Store, room: RoomRecord, battery: Battery, signer: Signer, now_ms: int) -> bytes:
    """The signed evidence bundle of ``room`` (JSON, indented), every session in registration order."""
    files = await asyncio.to_thread(battery_digests, battery)
    sessions = []
    for first in await store.load_room(room.room_id):
        read = await _consistent(store, first)
        if read is not None:
            sessions.append(read)
    return await asyncio.to_thread(_assemble, room, battery, files, sessions, signer, now_ms)


async def _consistent(store: Store, record: SessionRecord) -> tuple[SessionRecord, AuditChain, bytes | None] | None:
    """A session's record, audit and result as of one moment (None: it is gone)."""
    sid = record.session_id
    for _ in range(_READ_ATTEMPTS):
        chain = await store.audit_chain(sid)
        result = await store.result(sid)
        after = await store.load(sid)
        if after is None:
            return None
        if after.version == record.version:
            return after, chain, result
        record = after
    return record, await store.audit_chain(sid), await store.result(sid)


def _assemble(
    room: RoomRecord,
    battery: Battery,
    files: dict[str, Any],
    sessions: list[tuple[SessionRecord, AuditChain, bytes | None]],
    signer: Signer,
    now_ms: int,
) -> bytes:
    out = []
    for record, chain, result in sessions:
        state = codec.decode(battery, record.state)
        session: dict[str, Any] = {
            "session_id": record.session_id,
            "employee_id": record.candidate.employee_id,
            "name": record.candidate.name,
            "seed": str(state.seed),
            "phase": state.phase.value,
            "audit": [{"id": row.id, "entry": row.entry.decode(), "prev": row.prev} for row in chain.rows],
            "audit_head": chain.head,
            "suppressed": {"audit": record.suppressed[0], "events": record.suppressed[1]},
            "result": None if result is None else result.decode(),
        }
        session["signature"] = sign(signer.key, SESSION_DOMAIN, session)
        out.append(session)
    bundle: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_ms": now_ms,
        "room": {
            "room_id": room.room_id,
            "name": room.name,
            "battery_id": room.battery_id,
            "created_ms": room.created_ms,
            "open": room.open,
            "archived": room.archived,
        },
        "battery": files,
        "sessions": out,
        "public_key": signer.public_key,
        "key_id": signer.key_id,
        "key_ephemeral": signer.ephemeral,
    }
    bundle["signature"] = sign(signer.key, BUNDLE_DOMAIN, bundle)
    return orjson.dumps(bundle, option=orjson.OPT_INDENT_2)
