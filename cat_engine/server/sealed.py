"""Replies sealed with the client's own secret: what the store keeps of a registration's reply.

A roster sent again with the same ``Idempotency-Key`` must get the first reply back, tokens included; but the store
may hold no token in plain text. So the reply is kept encrypted (AES-256-GCM) under a key derived from the
idempotency key, which only the client holds: the store names the reply by another digest of that key
(:func:`~.store.token_digest`), from which the encryption key cannot be found. A random idempotency key (the admin
page sends 128 random bits) makes the sealed reply as safe as the tokens themselves.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["open_sealed", "seal"]

_CONTEXT = b"cat-engine registration reply v1\0"
_NONCE_BYTES = 12


def _key(secret: str) -> bytes:
    return hashlib.sha256(_CONTEXT + secret.encode()).digest()


def seal(secret: str, plain: bytes) -> bytes:
    """``plain`` encrypted and authenticated under a key derived from ``secret``: nonce followed by ciphertext."""
    nonce = os.urandom(_NONCE_BYTES)
    return nonce + AESGCM(_key(secret)).encrypt(nonce, plain, _CONTEXT)


def open_sealed(secret: str, sealed: bytes) -> bytes | None:
    """What :func:`seal` sealed with ``secret``; None when ``sealed`` was not sealed with it (or was altered)."""
    if len(sealed) <= _NONCE_BYTES:
        return None
    try:
        return AESGCM(_key(secret)).decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], _CONTEXT)
    except InvalidTag:
        return None
