"""The admin API's test-day additions over HTTP: the public address, roster corrections, archiving a room.

``GET /api/info``, ``PATCH``/``DELETE /api/sessions/{id}`` and ``POST /api/rooms/{id}/archive`` as docs/protocol.md
states them, with the start-up banner's warning about ``CAT_PUBLIC_URL``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import AppServer, battery_dict, subtest_dict, write_battery
from test_server_admin import ADMIN, call

from cat_engine.server.demo import demo_banner, public_base
from cat_engine.server.settings import Settings


@pytest.fixture(scope="module")
def battery_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    subs = [subtest_dict("s1", max_items=3, min_items=3, se_target=None, time_limit_s=600)]
    return write_battery(tmp_path_factory.mktemp("battery"), battery_dict(subs, id="edits"))


@pytest.fixture(scope="module")
def srv(app_server: Callable[..., AppServer], battery_path: Path) -> Iterator[AppServer]:
    settings = Settings(
        admin_token=ADMIN, demo_room=False, batteries=(battery_path,), public_url="http://10.20.30.40:8000"
    )
    server = app_server(settings)
    yield server
    server.stop()


def _room(srv: AppServer, n: int = 3) -> tuple[str, list[dict[str, str]]]:
    room = call(srv, "POST", "/api/rooms", {"name": "Ruang Koreksi", "battery": "edits", "open": True}).json
    roster = [{"employee_id": f"P{i:03d}", "name": f"Peserta {i}"} for i in range(1, n + 1)]
    cands = call(srv, "POST", f"/api/rooms/{room['room_id']}/candidates", {"candidates": roster}).json["candidates"]
    return room["room_id"], cands


def test_info_gives_the_public_address(srv: AppServer) -> None:
    reply = call(srv, "GET", "/api/info")
    assert (reply.status, reply.json) == (200, {"public_url": "http://10.20.30.40:8000"})
    call(srv, "GET", "/api/info", token=None).error(401, "unauthorized")


def test_edit_and_remove_over_http(srv: AppServer) -> None:
    room_id, cands = _room(srv)
    sid = cands[0]["session_id"]
    reply = call(srv, "PATCH", f"/api/sessions/{sid}", {"name": "Peserta Satu"})
    assert (reply.status, reply.json) == (
        200,
        {"candidate": {"session_id": sid, "employee_id": "P001", "name": "Peserta Satu"}},
    )
    call(srv, "PATCH", f"/api/sessions/{sid}", {"employee_id": "P002"}).error(
        409, "duplicate_employee", employee_id="P002"
    )
    call(srv, "PATCH", f"/api/sessions/{sid}", {"nama": "x"}).error(400, "bad_request")
    call(srv, "PATCH", f"/api/sessions/{room_id}-0099", {"name": "x"}).error(404, "not_found")
    call(srv, "PATCH", f"/api/sessions/{sid}", {"name": "x"}, token="wrong").error(401, "unauthorized")
    gone = cands[2]["session_id"]
    assert call(srv, "DELETE", f"/api/sessions/{gone}").json == {"removed": gone}
    call(srv, "DELETE", f"/api/sessions/{gone}").error(404, "not_found")
    listed = call(srv, "GET", f"/api/rooms/{room_id}/candidates").json["candidates"]
    assert [c["session_id"] for c in listed] == [sid, cands[1]["session_id"]]
    assert listed[0]["name"] == "Peserta Satu"


def test_archive_over_http(srv: AppServer) -> None:
    room_id, _ = _room(srv, 1)
    assert call(srv, "POST", f"/api/rooms/{room_id}/archive").json == {
        "room_id": room_id,
        "open": False,
        "archived": True,
    }
    rooms = {r["room_id"]: r for r in call(srv, "GET", "/api/rooms").json["rooms"]}
    assert (rooms[room_id]["open"], rooms[room_id]["archived"]) == (False, True)
    call(srv, "POST", f"/api/rooms/{room_id}/candidates", {"candidates": [{"employee_id": "X", "name": "Y"}]}).error(
        400, "bad_request"
    )
    call(srv, "POST", "/api/rooms/ZZZZZZ/archive").error(404, "not_found")
    status = call(srv, "GET", f"/api/rooms/{room_id}").json
    assert (status["room"]["open"], status["room"]["archived"]) == (False, True)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_banner_warns_when_slips_would_carry_an_unreachable_address(lang: str) -> None:
    exposed = Settings(host="0.0.0.0", port=8000, lang=lang)
    text = demo_banner(exposed, "T", None)
    assert "CAT_PUBLIC_URL" in text and ("WARNING" if lang == "en" else "PERINGATAN") in text
    assert "http://0.0.0.0:8000/proctor" in text
    public = Settings(host="0.0.0.0", port=8000, lang=lang, public_url="https://cat.kanreg.go.id")
    text = demo_banner(public, "T", None)
    assert "CAT_PUBLIC_URL" not in text and "https://cat.kanreg.go.id/proctor" in text
    assert "wss://cat.kanreg.go.id/ws/candidate" in text
    assert "CAT_PUBLIC_URL" not in demo_banner(Settings(host="127.0.0.1", lang=lang), "T", None)
    assert public_base(Settings(host="127.0.0.1", port=9000)) == "http://127.0.0.1:9000"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://cat.kanreg.go.id/", "https://cat.kanreg.go.id"),
        ("http://10.20.30.40:8000", "http://10.20.30.40:8000"),
        ("  http://lab.local/cat/ ", "http://lab.local/cat"),
    ],
)
def test_public_url_setting_is_read_and_trimmed(value: str, expected: str) -> None:
    assert Settings.from_env({"CAT_PUBLIC_URL": value}).public_url == expected
    assert Settings.from_env({}).public_url is None


@pytest.mark.parametrize("value", ["cat.kanreg.go.id", "ftp://x", "http://", "http://x/?a=1", "http://x/#t"])
def test_a_bad_public_url_is_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(ValueError, match="CAT_PUBLIC_URL"):
        Settings.from_env({"CAT_PUBLIC_URL": value})
