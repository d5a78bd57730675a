"""The pages and their assets are served by the server itself, with a strict Content-Security-Policy."""

from __future__ import annotations

import urllib.request

from .conftest import Live


def test_pages_and_assets_served_with_csp(live: Live) -> None:
    for path in ("/", "/proctor", "/admin", "/static/base.css", "/static/i18n.js", "/static/socket.js"):
        with urllib.request.urlopen(live.base_url + path, timeout=5) as resp:
            assert resp.status == 200, path
            assert "default-src 'self'" in resp.headers["Content-Security-Policy"], path


def test_live_room_created_while_a_browser_runs(live: Live, browser: object) -> None:
    room = live.new_room(2)
    assert len(room["candidates"]) == 2
    assert live.get(f"/api/rooms/{room['room_id']}")["room"]["room_id"] == room["room_id"]
