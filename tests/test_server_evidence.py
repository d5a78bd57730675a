"""Evidence bundles end to end: a room sat over the live server (the real app under uvicorn, memory store and a
private Redis) by the protocol client, its bundle fetched with the admin token, checked by ``cat-verify``'s entry;
then the same bundle with one response, one audit entry or one result field changed, its signature broken, or a pool
file changed, must fail naming the session (and the step). Plus the key the server signs with, and the audit entries
its events leave (``audit.derived``).
"""

from __future__ import annotations

import base64
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import AppServer, battery_dict, run_bounded, server_on, subtest_dict, write_battery
from cryptography.hazmat.primitives import serialization
from protocol_client import AdminApi, CandidateClient, ProctorClient

from cat_engine import session as core
from cat_engine import verify as verify_module
from cat_engine.battery import Battery, load_battery
from cat_engine.events import Connected, Disconnected, SeatApproved
from cat_engine.server import audit, evidence
from cat_engine.server.settings import Settings
from cat_engine.signing import new_private_key, public_key_text
from cat_engine.verify_cli import main as verify_main

ADMIN = "evidence-" + secrets.token_hex(8)
BATTERY = "evidence-test"


@pytest.fixture(scope="module")
def battery_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    subs = [
        subtest_dict("s1", max_items=3, min_items=3, se_target=None, time_limit_s=600),
        subtest_dict("s2", max_items=6, min_items=2, se_target=0.5, time_limit_s=600),
    ]
    directory = tmp_path_factory.mktemp("evidence")
    write_battery(directory, battery_dict(subs, id=BATTERY, version="2026.9"))
    return directory


@pytest.fixture(params=["memory", "redis"])
def server(
    request: pytest.FixtureRequest, app_server: Callable[..., AppServer], battery_dir: Path
) -> Iterator[AppServer]:
    srv = server_on(request, app_server, admin_token=ADMIN, demo_room=False, batteries=(battery_dir / "battery.toml",))
    yield srv
    srv.stop()


run = run_bounded


async def sit_room(srv: AppServer) -> tuple[str, list[str]]:
    """A room of four: one sits to the end, one is paused, resumed and noted and finishes, one is terminated half
    way, one never comes. The room id and the session ids in that order."""
    admin = AdminApi(srv.base_url, ADMIN)
    room = await admin.create_room("Ruang bukti", BATTERY)
    people = await admin.register(room["room_id"], [("E1", "Ani"), ("E2", "Bayu"), ("E3", "Citra"), ("E4", "Dedi")])
    proctor = ProctorClient(srv.ws_url, room["proctor_token"])
    await proctor.connect()

    async def to_the_end(client: CandidateClient, start: int = 0) -> None:
        frame = client.current
        for n in range(start, start + 100):
            if frame is None or frame.type != "item":
                break
            frame = await client.answer(int(frame["seq"]), n % len(frame["item"]["options"]))
        assert frame is not None and frame.type == "finished", frame

    ani = CandidateClient(srv.ws_url, people[0]["token"], device="komputer-01")
    first = await ani.connect()
    assert first.type == "item", first.raw
    await to_the_end(ani)
    await ani.disconnect()

    citra = CandidateClient(srv.ws_url, people[2]["token"], device="komputer-03")
    await citra.connect()
    await citra.answer_current(lambda f: 1)
    assert (await proctor.command("pause", session_id=people[2]["session_id"], reason="listrik"))["results"][0]["ok"]
    await citra.wait_for("paused")
    assert (await proctor.command("resume", session_id=people[2]["session_id"]))["results"][0]["ok"]
    await citra.wait_for("item")
    assert (await proctor.note(people[2]["session_id"], "pindah meja"))["results"][0]["ok"]
    await to_the_end(citra, 1)
    await citra.disconnect()

    bayu = CandidateClient(srv.ws_url, people[1]["token"], device="komputer-02")
    await bayu.connect()
    await bayu.answer_current(lambda f: 0)
    await bayu.answer_current(lambda f: 2)
    ack = await proctor.command("terminate", session_id=people[1]["session_id"], reason="joki")
    assert ack["results"][0]["ok"], ack
    await bayu.disconnect()
    await proctor.disconnect()
    return room["room_id"], [p["session_id"] for p in people]


async def fetch_evidence(srv: AppServer, room_id: str) -> bytes:
    response = await AdminApi(srv.base_url, ADMIN).request("GET", f"/api/rooms/{room_id}/evidence")
    assert response.status == 200, response.body[:300]
    assert response.headers["content-type"].startswith("application/json")
    assert f'filename="evidence-{room_id}.json"' in response.headers["content-disposition"]
    return response.body


def cat_verify(capsys: pytest.CaptureFixture[str], bundle: Any, battery: Path, *extra: str) -> tuple[int, Any]:
    """``cat-verify BUNDLE --battery F --json ...`` on a bundle (dict) written to a file: (exit code, report)."""
    path = battery.parent / f"bundle-{secrets.token_hex(4)}.json"
    path.write_bytes(bundle if isinstance(bundle, bytes) else orjson.dumps(bundle))
    capsys.readouterr()
    code = verify_main([str(path), "--battery", str(battery), "--json", *extra])
    out = capsys.readouterr().out
    return code, orjson.loads(out)


def failed(report: Any) -> dict[str, list[tuple[int, str]]]:
    return {s["session_id"]: [(f["step"], f["code"]) for f in s["findings"]] for s in report["sessions"] if not s["ok"]}


def test_a_room_sat_live_passes_and_every_change_fails_naming_the_session(
    server: AppServer, battery_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    room_id, (ani, bayu, citra, dedi) = run(lambda: sit_room(server))
    raw = run(lambda: fetch_evidence(server, room_id))
    bundle = orjson.loads(raw)
    battery_path = battery_dir / "battery.toml"
    signer = evidence.signer_for(server.hub.settings)
    assert bundle["public_key"] == signer.public_key

    code, report = cat_verify(capsys, raw, battery_path, "--public-key", signer.public_key)
    assert code == 0, report
    assert report["ok"] and report["key_given"] and report["room_id"] == room_id
    by_id = {s["session_id"]: s for s in report["sessions"]}
    assert [s["session_id"] for s in report["sessions"]] == [ani, bayu, citra, dedi]
    assert [by_id[s]["over"] for s in (ani, bayu, citra, dedi)] == [True, True, True, False]
    assert by_id[dedi]["steps"] == 0 and by_id[ani]["steps"] > 10
    phases = {s["session_id"]: s["phase"] for s in bundle["sessions"]}
    assert phases == {ani: "finished", bayu: "terminated", citra: "finished", dedi: "ready"}

    # one response changed: the chain breaks there and the replay chooses another option there
    changed = orjson.loads(raw)
    rows = changed["sessions"][0]["audit"]
    k = next(i for i, r in enumerate(rows) if '"kind":"answer"' in r["entry"] and '"option"' in r["entry"])
    entry = orjson.loads(rows[k]["entry"])
    entry["response"] = (entry["response"] + 1) % 4
    rows[k]["entry"] = orjson.dumps(entry).decode()
    code, report = cat_verify(capsys, changed, battery_path)
    assert code == 1
    assert [f["code"] for f in report["findings"]] == ["signature"]
    assert failed(report) == {ani: [(0, "session_signature"), (k + 1, "chain_broken"), (k + 1, "option")]}

    # one audit entry removed (Citra's note): the chain breaks before it, and the replay misses the note
    changed = orjson.loads(raw)
    rows = changed["sessions"][2]["audit"]
    k = next(i for i, r in enumerate(rows) if '"kind":"note"' in r["entry"])
    del rows[k]
    code, report = cat_verify(capsys, changed, battery_path)
    assert code == 1
    codes = failed(report)[citra]
    assert codes[:2] == [(0, "session_signature"), (k, "chain_broken")]
    assert ("result" in {c for _, c in codes}) and list(failed(report)) == [citra]

    # one result field changed: the session's signature, and the replayed result
    changed = orjson.loads(raw)
    result = orjson.loads(changed["sessions"][1]["result"])
    result["profile"]["subtests"][0]["level"] = 5 if result["profile"]["subtests"][0]["level"] != 5 else 1
    changed["sessions"][1]["result"] = orjson.dumps(result).decode()
    code, report = cat_verify(capsys, changed, battery_path)
    steps = by_id[bayu]["steps"]
    assert code == 1 and failed(report) == {bayu: [(0, "session_signature"), (steps + 1, "result")]}

    # the bundle's signature broken: the bundle fails, every session still checks out
    changed = orjson.loads(raw)
    signature = bytearray(base64.b64decode(changed["signature"]))
    signature[0] ^= 0x80
    changed["signature"] = base64.b64encode(bytes(signature)).decode()
    code, report = cat_verify(capsys, changed, battery_path)
    assert code == 1 and [f["code"] for f in report["findings"]] == ["signature"] and failed(report) == {}

    # a pool file changed (one byte more, the same items): every session that used it is named
    copy = tmp_path / "copy"
    shutil.copytree(battery_dir, copy, ignore=shutil.ignore_patterns("bundle-*"))
    (copy / "s2.json").write_bytes((copy / "s2.json").read_bytes() + b"\n")
    code, report = cat_verify(capsys, raw, copy / "battery.toml")
    assert code == 1 and [f["code"] for f in report["findings"]] == ["pool_file"]
    assert failed(report) == {s: [(0, "pool_file")] for s in (ani, bayu, citra, dedi)}

    # a key other than the server's
    code, report = cat_verify(capsys, raw, battery_path, "--public-key", public_key_text(new_private_key()))
    assert code == 1 and [f["code"] for f in report["findings"]] == ["key_mismatch", "signature"]


def test_the_text_report_names_the_session_and_step(
    app_server: Callable[..., AppServer], battery_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    srv = app_server(Settings(admin_token=ADMIN, demo_room=False, batteries=(battery_dir / "battery.toml",)))
    room_id, (ani, *_) = run(lambda: sit_room(srv))
    bundle = orjson.loads(run(lambda: fetch_evidence(srv, room_id)))
    rows = bundle["sessions"][0]["audit"]
    k = next(i for i, r in enumerate(rows) if '"kind":"answer"' in r["entry"] and '"option"' in r["entry"])
    entry = orjson.loads(rows[k]["entry"])
    entry["option"] = (entry["option"] + 1) % 4
    rows[k]["entry"] = orjson.dumps(entry).decode()
    path = battery_dir / "tampered.json"
    path.write_bytes(orjson.dumps(bundle))
    capsys.readouterr()
    assert verify_main([str(path), "--battery", str(battery_dir / "battery.toml"), "--lang", "en"]) == 1
    out = capsys.readouterr().out.splitlines()
    fail = out.index(f"FAIL  {ani}")
    assert out[fail + 2].startswith(f"      step {k + 1} (answer seq {entry['seq']}): the audit chain breaks")
    assert out[fail + 3].startswith(f"      step {k + 1} (answer seq {entry['seq']}): stored option of the answer")
    assert out[-1].startswith("NOT PASSED: 3 sessions verified, 1 failed")
    assert verify_main([str(path), "--battery", str(battery_dir / "battery.toml")]) == 1
    assert f"GAGAL {ani}" in capsys.readouterr().out  # Bahasa Indonesia unless asked


def test_evidence_is_for_admins_only(app_server: Callable[..., AppServer], battery_dir: Path) -> None:
    srv = app_server(Settings(admin_token=ADMIN, demo_room=False, batteries=(battery_dir / "battery.toml",)))

    async def go() -> None:
        admin = AdminApi(srv.base_url, ADMIN)
        room = await admin.create_room("Ruang", BATTERY)
        path = f"/api/rooms/{room['room_id']}/evidence"
        assert (await admin.request("GET", path, token=None)).status == 401
        assert (await admin.request("GET", path, token=room["proctor_token"])).status == 401
        assert (await admin.request("GET", "/api/rooms/ZZZZZZ/evidence")).status == 404
        empty = await admin.request("GET", path)
        assert empty.status == 200 and orjson.loads(empty.body)["sessions"] == []

    run(go)


def test_cat_verify_refuses_what_it_cannot_read(
    battery_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    battery = str(battery_dir / "battery.toml")
    assert verify_main([str(tmp_path / "none.json"), "--battery", battery]) == 2
    (tmp_path / "junk.json").write_text("{not json")
    assert verify_main([str(tmp_path / "junk.json"), "--battery", battery]) == 2
    (tmp_path / "other.json").write_text('{"hello": 1}')
    assert verify_main([str(tmp_path / "other.json"), "--battery", battery, "--lang", "en"]) == 2
    assert "is not an evidence bundle" in capsys.readouterr().err
    assert verify_main([str(tmp_path / "other.json"), "--battery", battery, "--public-key", "xyz"]) == 2


# --- the signing key ---------------------------------------------------------------------------------------------


def test_the_key_comes_from_the_file_or_is_ephemeral(tmp_path: Path) -> None:
    key = new_private_key()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (tmp_path / "key.pem").write_bytes(pem)
    from_file = evidence.signer_for(Settings.from_env({"CAT_SIGNING_KEY_FILE": str(tmp_path / "key.pem")}))
    assert from_file.public_key == public_key_text(key) and not from_file.ephemeral
    assert "EPHEMERAL" not in evidence.key_banner(from_file) and from_file.public_key in evidence.key_banner(from_file)
    ephemeral = evidence.signer_for(Settings())
    assert ephemeral.ephemeral and ephemeral is evidence.signer_for(Settings())  # one per process
    assert "EPHEMERAL" in evidence.key_banner(ephemeral) and "CAT_SIGNING_KEY_FILE" in evidence.key_banner(ephemeral)
    (tmp_path / "bad.pem").write_text("not a key")
    with pytest.raises(ValueError, match="PKCS#8"):
        evidence.signer_for(Settings(signing_key_file=tmp_path / "bad.pem"))


def test_files_are_hashed_once_as_loaded(battery_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(battery_dir, tmp_path / "b", ignore=shutil.ignore_patterns("*bundle*", "tampered*"))
    battery = load_battery(tmp_path / "b" / "battery.toml")
    evidence.prime([battery])
    first = evidence.battery_digests(battery)
    (tmp_path / "b" / "s1.json").write_bytes(b"changed on disk after the start")
    assert evidence.battery_digests(battery) == first


# --- what the events of a change leave in the audit ----------------------------------------------------------------


@pytest.fixture(scope="module")
def small(battery_dir: Path) -> Battery:
    return load_battery(battery_dir / "battery.toml")


def _kinds(entries: list[bytes]) -> list[tuple[str, bool]]:
    return [(orjson.loads(e)["kind"], "stopped_ms" in orjson.loads(e)) for e in entries]


def test_derived_entries_record_the_connection_losses_the_clock_needs(small: Battery) -> None:
    state, _ = core.connect(small, core.new_session(small, 3), 0)
    state, _ = core.start(small, state, 0)
    state, events = core.start(small, state, 0)
    assert _kinds(audit.derived(small, state, events)) == [("presented", False)]
    assert audit.derived(small, state, events) == audit.presented(small, state.seed, events)
    # a connection closed: the clock stopped then
    assert _kinds(audit.derived(small, state, [Disconnected(500)])) == [("disconnected", False)]
    # a takeover: by a live process at the hello's time (the hello says it), by a dead one earlier (an entry)
    assert audit.derived(small, state, [Disconnected(900), Connected(900)]) == []
    assert audit.derived(small, state, [Disconnected(700), Connected(900)]) == [
        b'{"kind":"disconnected","at_ms":900,"stopped_ms":700}'
    ]
    # a proctor's approved move disconnects by itself
    assert audit.derived(small, state, [SeatApproved(800, "pc-2"), Disconnected(800)]) == []
    # once the sitting is over, a connection lost changes nothing a replay needs
    over, _ = core.terminate(small, state, "joki", 1000)
    assert audit.derived(small, over, [Disconnected(1200)]) == []


def test_the_replay_knows_every_kind_of_entry_the_server_writes() -> None:
    """An entry of a kind the replay does not know fails verification (``unknown_kind``): so every kind the audit
    module (and the store's summary entry) can write must have its rule in cat_engine/verify.py."""
    root = Path(__file__).resolve().parents[1] / "cat_engine"
    written = set(re.findall(r'"kind": "([a-z_]+)"', (root / "server" / "audit.py").read_text()))
    written |= set(re.findall(r'\{"kind":"([a-z_]+)"', (root / "server" / "store.py").read_text()))
    assert {"hello", "answer", "presented", "disconnected", "suppressed"} <= written  # the pattern finds them
    assert written <= {*verify_module._HANDLERS, "presented"}
