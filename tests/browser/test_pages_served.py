"""The pages and their assets are served by the server itself, with a strict Content-Security-Policy."""

from __future__ import annotations

import re
import urllib.request

from cat_engine.server.pages import STATIC_DIR

from .conftest import Live


def test_pages_and_assets_served_with_csp(live: Live) -> None:
    for path in ("/", "/proctor", "/admin", "/static/base.css", "/static/i18n.js", "/static/socket.js", "/favicon.ico"):
        with urllib.request.urlopen(live.base_url + path, timeout=5) as resp:
            assert resp.status == 200, path
            if path != "/favicon.ico":
                assert "default-src 'self'" in resp.headers["Content-Security-Policy"], path


def test_live_room_created_while_a_browser_runs(live: Live, browser: object) -> None:
    room = live.new_room(2)
    assert len(room["candidates"]) == 2
    assert live.get(f"/api/rooms/{room['room_id']}")["room"]["room_id"] == room["room_id"]


def test_no_asset_names_another_origin() -> None:
    """An offline test site works: no asset loads anything from elsewhere (the SVG namespace is a name, not a
    request), and no stylesheet imports or fetches."""
    external = re.compile(r"(?:https?:)?//(?!www\.w3\.org/2000/svg)[\w.-]+\.[a-z]{2,}", re.IGNORECASE)
    files = sorted(STATIC_DIR.iterdir())
    assert {f.suffix for f in files} <= {".html", ".js", ".css", ".svg"}
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not external.search(text), (path.name, external.search(text))
        if path.suffix == ".css":
            assert "@import" not in text and "url(http" not in text, path.name
