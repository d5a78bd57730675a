"""The embedded demo room and the start-up banner of ``python server.py``."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cat_engine.battery import load_battery
from cat_engine.server.auth import normalise_proctor_token, show_candidate_token
from cat_engine.server.demo import DEMO_CANDIDATES, create_demo_room, demo_banner
from cat_engine.server.memory_store import MemoryStore
from cat_engine.server.metrics import Metrics
from cat_engine.server.settings import Settings
from cat_engine.server.transaction import Transactions

DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"


def _room() -> tuple[dict[str, object], MemoryStore]:
    store = MemoryStore()
    battery = load_battery(DEMO)
    tx = Transactions(store, {battery.id: battery}, Metrics())
    return asyncio.run(create_demo_room(tx, battery.id)), store


def test_demo_room_registers_its_candidates_with_working_tokens() -> None:
    room, store = _room()
    cands = room["candidates"]
    assert isinstance(cands, list) and len(cands) == DEMO_CANDIDATES
    shown = str(room["proctor_token"])  # given out dashed, as on a slip; stored without the dashes
    assert len(shown) == 34 and shown.count("-") == 6
    assert asyncio.run(store.room_for_proctor_token(normalise_proctor_token(shown))) == room["room_id"]
    for cand in cands:
        assert asyncio.run(store.session_for_token(cand["token"])) == cand["session_id"]


def test_banner_names_the_urls_and_tokens_in_both_languages() -> None:
    room, _ = _room()
    cands = room["candidates"]
    assert isinstance(cands, list)
    for lang, word in (("id", "token pengawas"), ("en", "proctor token")):
        text = demo_banner(Settings(host="127.0.0.1", port=8000, lang=lang), "ADMINTOKEN", room)
        assert "http://127.0.0.1:8000" in text and "ws://127.0.0.1:8000/ws/candidate" in text
        assert "ADMINTOKEN" in text and word in text and str(room["proctor_token"]) in text
        assert show_candidate_token(cands[0]["token"]) in text
        for page in ("/\n", "/proctor\n", "/admin\n", f"/proctor#t={room['proctor_token']}\n"):
            assert "http://127.0.0.1:8000" + page in text, page
        assert f"http://127.0.0.1:8000/#t={cands[0]['token']}\n" in text
        assert "CAT_PUBLIC_URL" not in text  # a loopback server needs no public address


def test_banner_without_a_demo_room() -> None:
    text = demo_banner(Settings(host="10.0.0.5", port=8000, lang="en"), "T", None)
    assert "http://10.0.0.5:8000/admin\n" in text and "Demo room" not in text


def test_banner_prints_the_public_url_and_warns_when_it_is_unset_on_a_network_address() -> None:
    """README: CAT_PUBLIC_URL is printed on slips and in links; the banner warns when it is unset and HOST is not
    loopback (the links would carry an address lab computers may not reach)."""
    room, _ = _room()
    public = Settings(host="0.0.0.0", port=8000, lang="en", public_url="http://10.20.30.40:8000")
    text = demo_banner(public, "T", room)
    assert "http://10.20.30.40:8000/proctor\n" in text and "ws://10.20.30.40:8000/ws/candidate" in text
    assert "0.0.0.0" not in text and "CAT_PUBLIC_URL" not in text
    for lang, warning in (("en", "WARNING: CAT_PUBLIC_URL"), ("id", "PERINGATAN: CAT_PUBLIC_URL")):
        text = demo_banner(Settings(host="0.0.0.0", port=8000, lang=lang), "T", room)
        assert warning in text and "http://0.0.0.0:8000/admin\n" in text
