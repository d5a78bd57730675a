"""Sealed registration replies: only the idempotency key opens them; nothing of the plain text shows."""

from __future__ import annotations

from cat_engine.server.sealed import open_sealed, seal


def test_the_same_key_opens_what_it_sealed() -> None:
    plain = b'[{"token": "ABCDEFGHJKMN"}]'
    sealed = seal("key-1", plain)
    assert open_sealed("key-1", sealed) == plain
    assert b"ABCDEFGHJKMN" not in sealed
    assert seal("key-1", plain) != sealed  # a fresh nonce each time


def test_another_key_or_an_altered_blob_opens_nothing() -> None:
    sealed = seal("key-1", b"secret")
    assert open_sealed("key-2", sealed) is None
    altered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    assert open_sealed("key-1", altered) is None
    assert open_sealed("key-1", b"short") is None
    assert open_sealed("key-1", b"") is None
