"""Integrity primitives shared by the server and ``cat-verify``: the audit hash chain, canonical JSON, file digests
and Ed25519 signatures (docs/verification.md, "Technical format").

Audit chain
-----------
Every audit entry of a session is stored with ``prev``, the hash of the entry before it; the first entry's ``prev``
is the session's chain start. With :math:`e_k` the exact stored bytes of entry :math:`k` (UTF-8 JSON) and
:math:`p_k` its ``prev`` as 64 lowercase hex characters (ASCII),

.. math::

    p_1 = \\mathrm{SHA256}(\\texttt{"cat-engine audit chain v1\\n"} \\,\\|\\, \\mathit{session\\_id}), \\qquad
    p_{k+1} = h_k = \\mathrm{SHA256}(p_k \\,\\|\\, e_k),

so changing, removing or inserting any entry changes every later ``prev``, and a chain cannot be moved to another
session. (A hash chain as in Haber & Stornetta 1991, "How to time-stamp a digital document"; SHA-256 of FIPS 180-4.)

Canonical JSON
--------------
:func:`canonical_json`: keys sorted, no whitespace, UTF-8, strings escaped as JSON requires and nothing more; only
objects, arrays, strings, integers, booleans and null (no floats: stored entries and results travel as their exact
JSON text). For such documents the bytes are those of RFC 8785 (JSON Canonicalization Scheme) as long as keys are
ASCII and integers stay below 2^53 (seeds travel as decimal strings).

Signatures
----------
Ed25519 (RFC 8032) over ``domain || canonical_json(value)``; keys are PEM PKCS#8 files (``openssl genpkey -algorithm
ed25519``), public keys travel as the base64 of their 32 raw bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .battery import Battery
from .pool import Pool

__all__ = [
    "BUNDLE_DOMAIN",
    "CHAIN_TAG",
    "SESSION_DOMAIN",
    "battery_files",
    "canonical_json",
    "chain_next",
    "chain_of",
    "chain_start",
    "file_sha256",
    "key_id",
    "load_private_key",
    "new_private_key",
    "public_key_text",
    "read_public_key",
    "sign",
    "signature_valid",
]

CHAIN_TAG = b"cat-engine audit chain v1\n"
SESSION_DOMAIN = b"cat-engine evidence session v1\n"  # what a session's signature covers starts with this
BUNDLE_DOMAIN = b"cat-engine evidence bundle v1\n"  # ... and the whole bundle's


# --- the audit chain -------------------------------------------------------------------------------------------


def chain_start(session_id: str) -> str:
    """The ``prev`` of a session's first audit entry (hex)."""
    return hashlib.sha256(CHAIN_TAG + session_id.encode()).hexdigest()


def chain_next(prev: str, entry: bytes) -> str:
    """The hash of an entry stored with ``prev``: the ``prev`` of the entry after it (hex)."""
    return hashlib.sha256(prev.encode("ascii") + entry).hexdigest()


def chain_of(start: str, entries: Sequence[bytes]) -> list[str]:
    """``[start, h_1, ..., h_n]``: entry ``k`` (from 1) is stored with ``prev`` = element ``k - 1``, and the last
    element is the chain's head after all of them."""
    out = [start]
    for entry in entries:
        out.append(chain_next(out[-1], entry))
    return out


# --- canonical JSON and file digests ---------------------------------------------------------------------------


def _no_floats(value: Any, path: str = "$") -> None:
    if isinstance(value, float):
        raise TypeError(f"{path}: floats have no canonical form here; carry them inside a JSON text")
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{path}: keys must be strings")
            _no_floats(v, f"{path}.{k}")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _no_floats(v, f"{path}[{i}]")


def canonical_json(value: Any) -> bytes:
    """The canonical bytes of ``value`` (see the module docstring); TypeError for floats or non-string keys."""
    _no_floats(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex), as ``sha256sum`` prints it."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def battery_files(battery: Battery) -> dict[str, Any]:
    """What a battery was loaded from: its id and version, its file's name and SHA-256, and per subtest the pool's
    id, version, file (relative to the battery's directory when below it) and SHA-256, and the same of its pretest
    pool under ``pretest`` when it has one.

    Raises OSError when a file cannot be read (a battery built in memory has none)."""
    source = Path(battery.source)
    base = source.parent.resolve()

    def pool_file(pool: Pool) -> dict[str, Any]:
        pool_path = Path(pool.source)
        resolved = pool_path.resolve()
        name = str(resolved.relative_to(base)) if resolved.is_relative_to(base) else pool_path.name
        return {
            "pool_id": pool.pool_id,
            "pool_version": pool.pool_version,
            "file": name,
            "sha256": file_sha256(pool_path),
        }

    subtests = []
    for sub in battery.subtests:
        entry = {"id": sub.id, **pool_file(sub.pool)}
        if sub.pretest is not None:
            entry["pretest"] = pool_file(sub.pretest.pool)
        subtests.append(entry)
    return {
        "id": battery.id,
        "version": battery.version,
        "file": source.name,
        "sha256": file_sha256(source),
        "subtests": subtests,
    }


# --- keys and signatures ---------------------------------------------------------------------------------------


def new_private_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 key (an ephemeral one: lost when the process ends)."""
    return Ed25519PrivateKey.generate()


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """The Ed25519 private key of a PEM PKCS#8 file without a password.

    Raises
    ------
    ValueError
        When the file holds no such key (the message names the file).
    OSError
        When it cannot be read.
    """
    data = Path(path).read_bytes()
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: not a PEM (PKCS#8) private key without a password: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path}: the key is not an Ed25519 key")
    return key


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The public half of ``key`` as the base64 of its 32 raw bytes."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def key_id(public_key: str) -> str:
    """A short name of a public key (base64 text): the first 16 hex digits of the SHA-256 of its raw bytes."""
    return hashlib.sha256(base64.b64decode(public_key)).hexdigest()[:16]


def read_public_key(text: str) -> str:
    """A public key given as PEM (``-----BEGIN PUBLIC KEY-----``) or as base64 of the 32 raw bytes, as base64.

    Raises ValueError when ``text`` is neither."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode())
        except ValueError as exc:
            raise ValueError(f"not a PEM public key: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the public key is not an Ed25519 key")
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode()
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError("not base64 text") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key has 32 bytes, this one {len(raw)}")
    return base64.b64encode(raw).decode()


def sign(key: Ed25519PrivateKey, domain: bytes, value: Any) -> str:
    """The Ed25519 signature of ``domain || canonical_json(value)``, base64."""
    return base64.b64encode(key.sign(domain + canonical_json(value))).decode()


def signature_valid(public_key: str, domain: bytes, value: Any, signature: str) -> bool:
    """Whether ``signature`` (base64) is the signature of ``domain || canonical_json(value)`` by ``public_key``
    (base64 raw); False for anything malformed."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(signature, validate=True), domain + canonical_json(value))
    except (InvalidSignature, ValueError, TypeError, binascii.Error):
        return False
    return True
