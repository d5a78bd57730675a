"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, and a live server over a private Redis.

- ``browser``: one headless Chromium per test module (``/usr/bin/chromium``, or ``CAT_CHROMIUM``); a missing
  browser fails the tests with the command that installs it (``scripts/ensure_chromium.sh``, which the test
  command runs), it never skips them.
- ``open_page(path, lang=None)``: a new 1366x768 page on the live server; JavaScript errors in any page fail the test.
- ``live``: ``python server.py`` over a private ``redis-server`` (never the shared one) with a short battery built
  from the demo pools (3-5 items per subtest, so a test can finish a subtest in a few clicks); ``live.new_room(n)``
  creates a room of ``n`` candidates through the admin API.
- ``run_async(coro)``: run a coroutine (the protocol client's, the admin API's) to completion in a thread of its
  own, since Playwright's sync API keeps an event loop running in the test's thread.
- ``shot(page, name)``: a screenshot into ``out/screenshots/`` (or ``CAT_SCREENSHOTS``) for people to review.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tomllib
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import dump_toml
from protocol_client import AdminApi

from load_tests.procs import REPO_ROOT, RedisServer, ServerProcess

T = TypeVar("T")

CHROMIUM = os.environ.get("CAT_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("CAT_SCREENSHOTS", REPO_ROOT / "out" / "screenshots"))
VIEWPORT = {"width": 1366, "height": 768}


def short_battery(directory: Path, *, max_items: int = 5, time_limit_s: int | None = None) -> Path:
    """The demo battery with 3..``max_items`` items per subtest (pools unchanged), written into ``directory``."""
    data = tomllib.loads((REPO_ROOT / "item_pools" / "cact_demo.toml").read_text(encoding="utf-8"))
    data["id"], data["name"] = "cact-short", "CAT — uji peramban (singkat)"
    for sub in data["subtests"]:
        sub["pool"] = str(REPO_ROOT / "item_pools" / sub["pool"])
        sub["stopping"]["min_items"] = min(3, max_items)
        sub["stopping"]["max_items"] = max_items
        sub.pop("blueprint", None)
        if time_limit_s is not None:
            sub["time_limit_s"] = time_limit_s
    path = directory / "short.toml"
    path.write_text(dump_toml(data), encoding="utf-8")
    return path


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)`` in a fresh thread (Playwright's sync API owns this thread's running loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@dataclass
class Live:
    """A running server over a private Redis, with the admin API at hand."""

    server: ServerProcess
    redis: RedisServer
    admin_token: str
    rooms: list[dict[str, Any]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    @property
    def api(self) -> AdminApi:
        return AdminApi(self.base_url, self.admin_token)

    def new_room(
        self, candidates: int = 3, name: str = "Ruang Uji", battery: str = "cact-short", *, open: bool = True
    ) -> dict[str, Any]:
        """Create a room (open unless asked otherwise) and register ``candidates`` people; the room dict gains
        ``candidates`` (with tokens)."""

        async def make() -> dict[str, Any]:
            room = await self.api.create_room(name, battery, open=open)
            roster = [(f"1990010120201210{i:02d}", f"Peserta {i:02d}") for i in range(1, candidates + 1)]
            room["candidates"] = await self.api.register(room["room_id"], roster)
            return room

        room = run_async(make())
        self.rooms.append(room)
        return room

    def get(self, path: str) -> Any:
        return run_async(self.api._json("GET", path))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Playwright's sync API keeps an event loop running in this thread while it is open: one per module, closed at
    the module's end, so that the tests after the browser tests can use ``asyncio.run`` again."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/ensure_chromium.sh (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, private_redis: RedisServer) -> Iterator[Live]:
    workdir = tmp_path_factory.mktemp("browser-live")
    battery = short_battery(workdir)
    demo = REPO_ROOT / "item_pools" / "cact_demo.toml"
    token = secrets.token_urlsafe(16)
    server = ServerProcess(
        workdir,
        admin_token=token,
        redis_url=private_redis.url,
        key_prefix=f"bt{secrets.token_hex(4)}",
        env={"CAT_BATTERIES": f"{battery},{demo}", "CAT_DEMO_ROOM": "0"},
    )
    server.start()
    try:
        yield Live(server, private_redis, token)
    finally:
        server.stop()


@pytest.fixture
def open_page(browser: Any, live: Live) -> Iterator[Callable[..., Any]]:
    """``open_page(path, lang=None)``: a new page in its own context (own storage), at ``live.base_url + path``."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_(path: str = "/", lang: str | None = None, wait: bool = True) -> Any:
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"{path}: {exc}"))
        path, hash_, fragment = path.partition("#")
        if lang is not None:
            path += ("&" if "?" in path else "?") + f"lang={lang}"
        url = live.base_url + path + hash_ + fragment
        if wait:
            page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors in the pages: {errors}"


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take
