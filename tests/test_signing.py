"""The integrity primitives (cat_engine/signing.py): the audit chain against its definition computed here with
hashlib, canonical JSON, file digests, and Ed25519 signatures (round trip, wrong key, one byte changed)."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from pathlib import Path

import pytest
from conftest import battery_dict, subtest_dict, write_battery
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cat_engine.battery import load_battery
from cat_engine.signing import (
    BUNDLE_DOMAIN,
    SESSION_DOMAIN,
    battery_files,
    canonical_json,
    chain_next,
    chain_of,
    chain_start,
    file_sha256,
    key_id,
    load_private_key,
    new_private_key,
    public_key_text,
    read_public_key,
    sign,
    signature_valid,
)

# --- the chain -------------------------------------------------------------------------------------------------


def test_chain_start_binds_the_session() -> None:
    expected = hashlib.sha256(b"cat-engine audit chain v1\nR7K2QX-0001").hexdigest()
    assert chain_start("R7K2QX-0001") == expected
    assert chain_start("R7K2QX-0002") != expected


def test_each_link_is_sha256_of_prev_and_the_entry_bytes() -> None:
    entries = [b'{"kind":"hello","at_ms":1}', b'{"kind":"start","at_ms":2}', "é".encode()]
    links = chain_of(chain_start("S-1"), entries)
    assert len(links) == len(entries) + 1 and links[0] == chain_start("S-1")
    for k, entry in enumerate(entries):
        assert links[k + 1] == hashlib.sha256(links[k].encode() + entry).hexdigest()
        assert links[k + 1] == chain_next(links[k], entry)


def test_changing_one_entry_changes_every_later_link() -> None:
    entries = [f'{{"n":{i}}}'.encode() for i in range(6)]
    links = chain_of(chain_start("S-1"), entries)
    changed = [*entries[:3], b'{"n":33}', *entries[4:]]
    other = chain_of(chain_start("S-1"), changed)
    assert other[:4] == links[:4]
    assert all(a != b for a, b in zip(other[4:], links[4:], strict=True))


# --- canonical JSON and files ------------------------------------------------------------------------------------


def test_canonical_json_sorts_keys_and_keeps_utf8() -> None:
    value = {"b": [1, {"d": None, "c": True}], "a": 'é\n"x"\u2028', "z": -3}
    assert canonical_json(value) == '{"a":"é\\n\\"x\\"\u2028","b":[1,{"c":true,"d":null}],"z":-3}'.encode()
    # the same value built in another key order gives the same bytes
    assert canonical_json({"z": -3, "a": 'é\n"x"\u2028', "b": [1, {"c": True, "d": None}]}) == canonical_json(value)


@pytest.mark.parametrize("value", [1.5, {"a": [0.1]}, {1: "x"}])
def test_canonical_json_refuses_floats_and_other_keys(value: object) -> None:
    with pytest.raises(TypeError):
        canonical_json(value)


def test_battery_files_hash_what_was_loaded(tmp_path: Path) -> None:
    subs = [subtest_dict("s1"), subtest_dict("s2", pool="pools/second.json")]
    (tmp_path / "pools").mkdir()
    path = write_battery(tmp_path, battery_dict(subs))
    files = battery_files(load_battery(path))
    assert files["file"] == "battery.toml"
    assert files["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [(s["id"], s["file"]) for s in files["subtests"]] == [("s1", "s1.json"), ("s2", "pools/second.json")]
    for sub in files["subtests"]:
        assert sub["sha256"] == hashlib.sha256((tmp_path / sub["file"]).read_bytes()).hexdigest()
    (tmp_path / "s1.json").write_bytes((tmp_path / "s1.json").read_bytes() + b" ")
    assert file_sha256(tmp_path / "s1.json") != files["subtests"][0]["sha256"]


# --- keys and signatures -----------------------------------------------------------------------------------------


def test_sign_and_check_round_trip() -> None:
    key = new_private_key()
    public = public_key_text(key)
    value = {"session_id": "R7K2QX-0001", "audit": [{"entry": '{"kind":"hello"}', "prev": "ab"}], "n": 3}
    signature = sign(key, SESSION_DOMAIN, value)
    assert signature_valid(public, SESSION_DOMAIN, value, signature)
    # the same bytes in another domain do not pass (a session's signature is not a bundle's)
    assert not signature_valid(public, BUNDLE_DOMAIN, value, signature)


def test_a_wrong_key_does_not_pass() -> None:
    value = {"a": "b"}
    signature = sign(new_private_key(), BUNDLE_DOMAIN, value)
    assert not signature_valid(public_key_text(new_private_key()), BUNDLE_DOMAIN, value, signature)


def test_one_byte_changed_does_not_pass() -> None:
    key = new_private_key()
    public = public_key_text(key)
    value = {"result": '{"theta":0.1234}', "seed": "12345"}
    signature = sign(key, BUNDLE_DOMAIN, value)
    assert not signature_valid(public, BUNDLE_DOMAIN, {**value, "result": '{"theta":0.1235}'}, signature)
    raw = bytearray(base64.b64decode(signature))
    raw[10] ^= 1
    assert not signature_valid(public, BUNDLE_DOMAIN, value, base64.b64encode(bytes(raw)).decode())
    assert not signature_valid(public, BUNDLE_DOMAIN, value, "not base64!")
    assert not signature_valid("AAAA", BUNDLE_DOMAIN, value, signature)


def test_private_key_files(tmp_path: Path) -> None:
    key = new_private_key()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "key.pem").write_bytes(pem)
    assert public_key_text(load_private_key(tmp_path / "key.pem")) == public_key_text(key)
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "ec.pem").write_bytes(other)
    with pytest.raises(ValueError, match="not an Ed25519 key"):
        load_private_key(tmp_path / "ec.pem")
    (tmp_path / "junk.pem").write_text("hello")
    with pytest.raises(ValueError, match=r"junk\.pem"):
        load_private_key(tmp_path / "junk.pem")


def test_a_key_made_by_openssl_as_the_docs_say(tmp_path: Path) -> None:
    """docs/verification.md tells operators to make the key with ``openssl genpkey -algorithm ed25519``."""
    path = tmp_path / "signing-key.pem"
    made = subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(path)], capture_output=True)
    assert made.returncode == 0, made.stderr
    key = load_private_key(path)
    public = subprocess.run(["openssl", "pkey", "-in", str(path), "-pubout"], capture_output=True, check=True)
    assert read_public_key(public.stdout.decode()) == public_key_text(key)


def test_public_keys_as_pem_or_base64() -> None:
    key = new_private_key()
    public = public_key_text(key)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert read_public_key(pem.decode()) == public
    assert read_public_key(f"  {public}\n") == public
    assert key_id(public) == hashlib.sha256(base64.b64decode(public)).hexdigest()[:16]
    with pytest.raises(ValueError, match="32 bytes"):
        read_public_key(base64.b64encode(b"short").decode())
    with pytest.raises(ValueError):
        read_public_key("not a key at all")
