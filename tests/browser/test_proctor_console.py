"""The proctor console at ``/proctor`` against the live server, with candidates driven by the protocol client.

Candidates keep their WebSocket open across the test's browser steps, so they live on an event loop of their own
(:class:`Loop`); ``run_async`` (a fresh loop per call) serves one-shot calls such as the admin API. A candidate
goes past the welcome and each subtest's intro with ``start`` frames (:func:`begin`, :func:`past_intros`); the
closed-room, seat, note and message tests speak to the server over a bare WebSocket (:class:`RawCandidate`), with the
computer's ``device`` id where it matters.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import threading
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

import pytest
import websockets
from playwright.sync_api import Locator, Page, expect
from protocol_client import RESULT_COLUMNS, CandidateClient, Frame, ProctorClient

from .conftest import Live, run_async

T = TypeVar("T")
OpenPage = Callable[..., Page]
Shot = Callable[[Page, str], Any]


class Loop:
    """An event loop in a thread of its own, for connections that outlive one call."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.clients: list[CandidateClient | ProctorClient | RawCandidate] = []

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return self.submit(coro).result(timeout)

    def close(self) -> None:
        for client in self.clients:
            self.run(client.disconnect(), timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


PAGES: list[tuple[Page, list[str]]] = []


@pytest.fixture(autouse=True)
def no_console_errors() -> Iterator[None]:
    PAGES.clear()
    yield
    errors = [e for _, found in PAGES for e in found]
    PAGES.clear()
    assert not errors, f"console errors: {errors}"


@pytest.fixture
def loop() -> Iterator[Loop]:
    bg = Loop()
    try:
        yield bg
    finally:
        bg.close()


def candidate(loop: Loop, live: Live, who: dict[str, Any], *, auto_start: bool = True) -> CandidateClient:
    """A candidate of ``who``; ``auto_start=False`` leaves the welcome and the intros to the test."""
    client = CandidateClient(live.server.ws_url, who["token"], auto_start=auto_start)
    loop.clients.append(client)
    return client


async def start(client: CandidateClient, frame: Frame) -> Frame:
    """Go on from a ``welcome`` (begin the battery) or a ``subtest_intro`` (begin its subtest); the server's reply."""
    go: dict[str, Any] = {"type": "start"}
    if frame.type == "subtest_intro":
        go["subtest"] = int(frame["subtest"]["index"])
    await client.send(go)
    return await client.recv()


async def past_intros(client: CandidateClient, frame: Frame) -> Frame:
    """From ``frame`` on, start whatever waits for a ``start`` (the welcome, an intro): the next other frame."""
    while frame.type in ("welcome", "subtest_intro"):
        frame = await start(client, frame)
    return frame


async def begin(client: CandidateClient) -> Frame:
    """Connect and go past the welcome and the first intro: the first item (or wherever the session is)."""
    return await past_intros(client, await client.connect())


async def answer(client: CandidateClient, n: int) -> Frame:
    """Answer ``n`` items (option 0), going past the intros between subtests, or fewer if the battery ends; the
    last reply."""
    reply = client.current
    assert reply is not None
    for _ in range(n):
        if client.current is None or client.current.type != "item":
            break
        reply = await past_intros(client, await client.answer_current(lambda f: 0))
    assert reply is not None
    return reply


async def answer_until(client: CandidateClient, done: Callable[[Frame], bool], limit: int = 40) -> int:
    """Answer until ``done(current frame)``, going past the intros between subtests; the number of answers given."""
    count = 0
    while client.current is not None and not done(client.current):
        assert client.current.type == "item", client.current
        await past_intros(client, await client.answer_current(lambda f: 0))
        count += 1
        assert count <= limit, "the battery did not end"
    return count


class RawCandidate:
    """A candidate's bare WebSocket on ``/ws/candidate`` (the ``websockets`` library, no protocol client).

    After its ``hello`` it pings every few seconds, as the candidate page does, so that the server does not close it
    as idle (``CAT_IDLE_DISCONNECT_S``) while a test works the console; ``recv`` skips the pongs.
    """

    def __init__(self, live: Live, token: str, device: str | None = None) -> None:
        self.url = live.server.ws_url.rstrip("/") + "/ws/candidate"
        self.token = token
        self.device = device
        self.ws: Any = None
        self.pinger: asyncio.Task[None] | None = None

    async def hello(self) -> dict[str, Any]:
        """Connect, say ``hello`` (with this computer's ``device`` id, if any) and return the server's first frame."""
        self.ws = await websockets.connect(self.url)
        hello: dict[str, Any] = {"type": "hello", "token": self.token}
        if self.device is not None:
            hello["device"] = self.device
        await self.send(hello)
        self.pinger = asyncio.create_task(self._ping())
        return await self.recv()

    async def _ping(self) -> None:
        try:
            while True:
                await asyncio.sleep(5)
                await self.send({"type": "ping"})
        except websockets.ConnectionClosed:
            pass

    async def closed(self, timeout: float = 15.0) -> int | None:
        """The close code once the server has closed the connection."""
        await asyncio.wait_for(self.ws.wait_closed(), timeout)
        return int(self.ws.close_code) if self.ws.close_code is not None else None

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def recv(self, timeout: float = 15.0) -> dict[str, Any]:
        """The next frame that is not a ``pong``."""
        while True:
            frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if frame.get("type") != "pong":
                return frame

    async def disconnect(self) -> None:
        if self.pinger is not None:
            self.pinger.cancel()
        if self.ws is not None:
            await self.ws.close()


def raw_candidate(loop: Loop, live: Live, who: dict[str, Any], device: str | None = None) -> RawCandidate:
    client = RawCandidate(live, who["token"], device)
    loop.clients.append(client)
    return client


def answers_given(client: CandidateClient) -> int:
    """Distinct items answered so far: every item frame seen but the one being presented."""
    seqs = {int(f["seq"]) for f in client.items}
    current = client.current
    if current is not None and current.type == "item":
        seqs.discard(int(current["seq"]))
    return len(seqs)


def console_errors(page: Page) -> list[str]:
    """Console errors of ``page`` from now on (a Content-Security-Policy violation is one)."""
    errors: list[str] = []

    def seen(msg: Any) -> None:
        url = str(msg.location.get("url", ""))
        if msg.type == "error" and not url.endswith("/favicon.ico"):  # the browser asks for one; we have none
            errors.append(f"{msg.text} ({url})")

    page.on("console", seen)
    return errors


def sign_in(open_page: OpenPage, live: Live, room: dict[str, Any], lang: str | None = None) -> Page:
    """The console signed in to ``room``, its table filled; console errors fail the test at the end."""
    page = open_page("/proctor", wait=False)
    errors = console_errors(page)
    PAGES.append((page, errors))
    page.goto(live.base_url + "/proctor" + (f"?lang={lang}" if lang else ""))
    page.locator("#token-input").fill(room["proctor_token"])
    page.locator("#signin-form button[type=submit]").click()
    expect(page.locator("#rows tr")).to_have_count(len(room["candidates"]))
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    return page


def row(page: Page, who: dict[str, Any]) -> Locator:
    return page.locator(f'#rows tr[data-session="{who["session_id"]}"]')


def confirm_dialog(page: Page) -> Locator:
    return page.locator("dialog#confirm")


def make_room(live: Live, people: list[tuple[str, str]], name: str = "Ruang Uji") -> dict[str, Any]:
    async def make() -> dict[str, Any]:
        room = await live.api.create_room(name, "cact-short")
        room["candidates"] = await live.api.register(room["room_id"], people)
        return room

    return run_async(make())


# --- tests -------------------------------------------------------------------------------------------------------


def test_sign_in_lists_the_room_and_follows_answers_and_drops(live: Live, open_page: OpenPage, loop: Loop) -> None:
    room = live.new_room(3)
    page = sign_in(open_page, live, room)
    first, second = room["candidates"][0], room["candidates"][1]
    for who in room["candidates"]:
        expect(row(page, who)).to_contain_text(who["name"])
        expect(row(page, who)).to_contain_text(who["employee_id"])
    expect(row(page, first).locator(".status")).to_have_text("Belum mulai")
    expect(row(page, first).locator(".status .badge")).to_have_attribute("title", "Belum pernah terhubung")
    expect(page.locator('#counts [data-filter="ready"] .count-n')).to_have_text("3")
    expect(page.locator("#room-name")).to_have_text(room["name"])
    expect(page.locator("#room-state")).to_have_attribute("data-open", "true")
    expect(page.locator("#waiting-count .waiting-n")).to_have_text("0")

    # a candidate comes: at the welcome (the room is open), then a subtest's intro, then the first item
    client = candidate(loop, live, first, auto_start=False)
    welcome = loop.run(client.connect())
    assert welcome.type == "welcome", welcome
    status = row(page, first).locator(".status")
    expect(status).to_have_text("Di halaman sambutan")
    expect(page.locator("#waiting-count .waiting-n")).to_have_text("1")
    expect(page.locator('#counts [data-filter="waiting"] .count-n')).to_have_text("1")
    expect(page.locator('#counts [data-filter="waiting"] .count-label')).to_have_text("Di halaman sambutan")
    expect(page.locator('#counts [data-filter="ready"] .count-n')).to_have_text("2")
    intro = loop.run(start(client, welcome))
    assert intro.type == "subtest_intro", intro
    expect(status).to_have_text("Petunjuk subtes")
    expect(page.locator('#counts [data-filter="intro"] .count-n')).to_have_text("1")
    expect(page.locator("#waiting-count .waiting-n")).to_have_text("0")
    expect(row(page, first).locator("td.time")).to_have_class(re.compile(r"\bfrozen\b"))  # no clock at an intro
    assert loop.run(start(client, intro)).type == "item"
    expect(status).to_have_text("Aktif")
    expect(page.locator('#counts [data-filter="intro"] .count-n')).to_have_text("0")

    # the candidate answers: status, answered counts and SE follow live
    loop.run(answer(client, 2))
    answered = row(page, first).locator("td.ans")
    expect(answered).to_have_attribute("data-answered", "2")
    expect(answered).to_have_attribute("data-total", "2")
    expect(answered).to_have_text("2 / 2")
    server = live.get(f"/api/sessions/{first['session_id']}")["session"]
    se_cell = row(page, first).locator("td.se")
    expect(se_cell).to_have_attribute("data-se", re.compile(r"^0\.\d+"))
    shown_se = se_cell.get_attribute("data-se") or "nan"
    assert abs(float(shown_se) - server["se"]) < 1e-3
    # the page rounds the number's shortest decimal form half away from zero (ICU); Python's :.2f rounds the
    # binary value, which differs on a SE such as 0.585 (0.58499999...): round as the page does
    label = Decimal(shown_se).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    expect(se_cell.locator(".se-label")).to_have_text(f"{label} / 0.30".replace(".", ","))
    expect(row(page, first).locator("td.seen")).to_have_text(re.compile(r"baru saja|\d+ dtk lalu"))
    # the time left counts down locally while the candidate is active and connected
    seconds = int(row(page, first).locator("td.time").get_attribute("data-seconds") or "0")
    assert 1700 < seconds <= 1800
    page.wait_for_function(
        "([sid, s]) => Number(document.querySelector(`#rows tr[data-session='${sid}'] td.time`).dataset.seconds) < s",
        arg=[first["session_id"], seconds],
    )
    expect(row(page, second).locator("td.ans")).to_have_text("0 / 0")
    expect(page.locator("#alerts")).to_be_hidden()

    # the candidate's connection drops: an alert names them and the row stands out until they are back
    loop.run(client.disconnect())
    alert = page.locator(f'#alert-list li[data-session="{first["session_id"]}"]')
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(first["name"])
    expect(row(page, first)).to_have_class(re.compile(r"\balerting\b"))
    expect(row(page, first).locator(".status")).to_have_text("Terputus")
    expect(page.locator('#counts [data-filter="disconnected"] .count-n')).to_have_text("1")
    expect(row(page, first).locator("td.time")).to_have_class(re.compile(r"\bfrozen\b"))  # no clock while away
    # "Show" brings the row into view and focuses it
    alert.locator(".alert-show").click()
    expect(row(page, first)).to_be_focused()
    loop.run(client.connect())
    expect(alert).to_have_count(0)
    expect(page.locator("#alerts")).to_be_hidden()
    expect(row(page, first)).not_to_have_class(re.compile(r"\balerting\b"))
    expect(row(page, first).locator(".status")).to_have_text("Aktif")
    expect(row(page, first).locator("td.time")).not_to_have_class(re.compile(r"\bfrozen\b"))

    # dismissing an alert removes it from the list; the status still says disconnected
    loop.run(client.disconnect())
    expect(alert).to_be_visible()
    alert.locator(".alert-dismiss").click()
    expect(alert).to_have_count(0)
    expect(row(page, first)).not_to_have_class(re.compile(r"\balerting\b"))
    expect(row(page, first).locator(".status")).to_have_text("Terputus")
    expect(page.locator('#counts [data-filter="attention"] .count-n')).to_have_text("1")

    # the attention filter shows only who needs help
    page.locator('#counts [data-filter="attention"]').click()
    expect(page.locator("#rows tr")).to_have_count(1)
    page.locator('#counts [data-filter="attention"]').click()
    expect(page.locator("#rows tr")).to_have_count(3)


def test_pause_resume_extend_terminate_with_confirmation(live: Live, open_page: OpenPage, loop: Loop) -> None:
    room = live.new_room(2)
    page = sign_in(open_page, live, room)
    first, second = room["candidates"]
    client = candidate(loop, live, first)
    loop.run(begin(client))
    loop.run(answer(client, 1))
    seq = int(client.current["seq"]) if client.current else 0
    r1, r2 = row(page, first), row(page, second)
    expect(r1.locator(".status")).to_have_text("Aktif")

    # buttons follow the state: a candidate not yet started can only be terminated
    expect(r2.locator("button.act-pause")).to_be_disabled()
    expect(r2.locator("button.act-extend")).to_be_disabled()
    expect(r2.locator("button.act-terminate")).to_be_enabled()

    # pause, with a reason, after a confirmation that names the candidate
    r1.locator("button.act-pause").click()
    dialog = confirm_dialog(page)
    expect(dialog).to_be_visible()
    expect(dialog.locator("#confirm-h")).to_have_text("Jeda tes?")
    expect(dialog.locator("#confirm-who")).to_contain_text(first["name"])
    expect(dialog.locator("#confirm-who")).not_to_contain_text(second["name"])
    dialog.locator("#confirm-reason").fill("Gangguan listrik")
    pushed = loop.submit(client.recv(15))
    dialog.locator("#confirm-ok").click()
    frame = pushed.result(15)
    assert frame.type == "paused" and frame["reason"] == "Gangguan listrik"
    expect(dialog).to_be_hidden()
    expect(r1.locator(".status")).to_have_text("Dijeda")
    expect(page.locator("#notices")).to_contain_text(f"{first['name']}: dijeda.")
    expect(r1.locator("button.act-resume")).to_have_text("Lanjutkan")
    expect(page.locator('#counts [data-filter="paused"] .count-n')).to_have_text("1")

    # resume: the candidate gets the same item again
    pushed = loop.submit(client.recv(15))
    r1.locator("button.act-resume").click()
    expect(dialog.locator("#confirm-h")).to_have_text("Lanjutkan tes?")
    dialog.locator("#confirm-ok").click()
    frame = pushed.result(15)
    assert frame.type == "item" and frame["seq"] == seq
    expect(r1.locator(".status")).to_have_text("Aktif")
    expect(page.locator("#notices")).to_contain_text(f"{first['name']}: dilanjutkan.")

    # extend by 10 minutes: the candidate gets a `time` frame; the row's clock jumps
    before = float(frame["time_left_s"])
    r1.locator("button.act-extend").click()
    dialog.locator("#confirm-minutes").fill("10")
    pushed = loop.submit(client.recv(15))
    dialog.locator("#confirm-ok").click()
    frame = pushed.result(15)
    assert frame.type == "time" and float(frame["time_left_s"]) > before + 590
    page.wait_for_function(
        "(sid) => Number(document.querySelector(`#rows tr[data-session='${sid}'] td.time`).dataset.seconds) > 2300",
        arg=first["session_id"],
    )
    expect(page.locator("#notices")).to_contain_text("ditambah 10 menit")

    # cancelling sends nothing
    r2.locator("button.act-terminate").click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(r2.locator(".status")).to_have_text("Belum mulai")

    # terminate needs a reason; the candidate is then closed with `terminated`
    r1.locator("button.act-terminate").click()
    expect(dialog.locator("#confirm-h")).to_have_text("Hentikan tes?")
    dialog.locator("#confirm-ok").click()
    expect(dialog.locator("#confirm-error")).to_have_text("Isi alasan penghentian.")
    expect(dialog).to_be_visible()
    dialog.locator("#confirm-reason").fill("Membawa catatan")
    closed = loop.submit(client.wait_closed(15))
    dialog.locator("#confirm-ok").click()
    assert closed.result(15) == 4003
    assert any(f.code == "terminated" for f in client.history)
    expect(r1.locator(".status")).to_have_text("Dihentikan")
    for kind in ("pause", "extend", "terminate"):
        expect(r1.locator(f"button.act-{kind}")).to_be_disabled()
    expect(r1.locator("td.ans")).to_have_text("— / 1")

    # a room-wide pause: the dialog lists who is affected, the ack reports who was skipped
    other = candidate(loop, live, second)
    loop.run(begin(other))
    expect(r2.locator(".status")).to_have_text("Aktif")
    expect(page.locator("#room-pause")).to_have_text("Jeda semua (1)")
    page.locator("#room-pause").click()
    expect(dialog.locator("#confirm-text")).to_contain_text("1 peserta berikut akan dijeda (1 Aktif)")
    expect(dialog.locator("#confirm-who li")).to_have_count(1)
    expect(dialog.locator("#confirm-who")).to_contain_text(second["name"])
    pushed = loop.submit(other.recv(15))
    dialog.locator("#confirm-ok").click()
    assert pushed.result(15).type == "paused"
    expect(page.locator("#notices")).to_contain_text("Jeda seluruh ruang: 1 berhasil. 1 dilewati")
    expect(r2.locator(".status")).to_have_text("Dijeda")
    expect(page.locator("#room-pause")).to_be_disabled()
    page.locator("#room-resume").click()
    pushed = loop.submit(other.recv(15))
    dialog.locator("#confirm-ok").click()
    assert pushed.result(15).type == "item"
    expect(r2.locator(".status")).to_have_text("Aktif")


def level_text(result: dict[str, Any]) -> str:
    """A result's level as the detail view writes it: with the probability that it is the true level, in whole
    percent (JavaScript's Math.round), ">99"/"<1" at the ends."""
    percent = math.floor(result["level_probability"] * 100 + 0.5)
    shown = ">99" if percent >= 100 else "<1" if percent <= 0 else str(percent)
    return f"{result['level']} ({shown} %)"


def test_detail_view_charts_each_answer_and_shows_levels(live: Live, open_page: OpenPage, loop: Loop) -> None:
    room = live.new_room(1)
    page = sign_in(open_page, live, room)
    (who,) = room["candidates"]
    client = candidate(loop, live, who)
    loop.run(begin(client))
    loop.run(answer(client, 2))
    expect(row(page, who).locator("td.ans")).to_have_attribute("data-answered", "2")

    # Enter on the focused row opens the detail view
    row(page, who).focus()
    page.keyboard.press("Enter")
    detail = page.locator("dialog#detail")
    expect(detail).to_be_visible()
    expect(detail.locator("#detail-name")).to_have_text(who["name"])
    expect(detail.locator("#detail-ids")).to_contain_text(who["employee_id"])
    chart = detail.locator("#chart")
    expect(chart).to_have_attribute("data-points", "2")
    expect(chart.locator('[data-series="theta"] circle')).to_have_count(2)
    expect(chart.locator('[data-series="se"] circle')).to_have_count(2)
    expect(chart.locator("line.ref-target")).to_have_count(1)
    expect(chart.locator(".band-theta")).to_have_count(1)

    # a live answer adds a point
    loop.run(answer(client, 1))
    expect(chart.locator('[data-series="theta"] circle')).to_have_count(3)

    # the whole battery: each subtest's level comes from subtest_done, the chart has a tab per subtest
    loop.run(answer_until(client, lambda f: f.type == "finished"))
    expect(detail.locator("#detail-badge")).to_have_text("Selesai")
    profile = live.get(f"/api/sessions/{who['session_id']}")["profile"]
    for index, sub in enumerate(profile["subtests"]):
        result_row = detail.locator(f'#detail-results tr[data-subtest="{index}"]')
        expect(result_row).to_have_attribute("data-level", str(sub["level"]))
        expect(result_row.locator("td").first).to_have_text(str(sub["items_administered"]))
        # the level with the probability that it is the true one, and a tooltip that says so
        level_cell = result_row.locator("td").nth(3)
        expect(level_cell).to_have_text(level_text(sub))
        assert float(result_row.get_attribute("data-level-probability") or "nan") == sub["level_probability"]
        expect(level_cell).to_have_attribute("title", re.compile(r"^Kepastian level: peluang .+ bahwa level [1-5] "))
    tabs = detail.locator("#chart-tabs button")
    expect(tabs).to_have_count(len(profile["subtests"]))
    for index, sub in enumerate(profile["subtests"]):
        tabs.nth(index).click()
        expect(chart).to_have_attribute("data-subtest", str(index))
        expect(chart.locator('[data-series="theta"] circle')).to_have_count(sub["items_administered"])

    # Escape closes it and gives the focus back to the row
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()
    expect(row(page, who)).to_be_focused()

    # a console opened after the battery is over gets the levels and every point from `detail`, without replaying
    # the room's stream
    late = sign_in(open_page, live, room)
    row(late, who).click()
    late_detail = late.locator("dialog#detail")
    for index, sub in enumerate(profile["subtests"]):
        result_row = late_detail.locator(f'#detail-results tr[data-subtest="{index}"]')
        expect(result_row).to_have_attribute("data-level", str(sub["level"]))
        expect(result_row.locator("td").nth(3)).to_have_text(level_text(sub))
        late_detail.locator("#chart-tabs button").nth(index).click()
        expect(late_detail.locator('#chart [data-series="theta"] circle')).to_have_count(sub["items_administered"])
    assert late.evaluate("window.catProctor.stats.hellos") == [None]


def test_a_candidate_silent_for_minutes_is_flagged(live: Live, open_page: OpenPage, loop: Loop) -> None:
    room = live.new_room(1)
    (who,) = room["candidates"]
    page = open_page("/proctor", wait=False)
    PAGES.append((page, console_errors(page)))
    page.clock.install()  # the page's clock, moved on below instead of waiting minutes
    page.goto(live.base_url + f"/proctor#t={room['proctor_token']}")
    expect(page.locator("#rows tr")).to_have_count(1)
    client = candidate(loop, live, who)
    loop.run(begin(client))
    loop.run(answer(client, 1))
    cells = row(page, who)
    expect(cells.locator("td.ans")).to_have_attribute("data-answered", "1")
    expect(cells.locator(".status .extra")).to_have_text("")
    expect(page.locator('#counts [data-filter="attention"] .count-n')).to_have_text("0")
    # six minutes without an answer (the page's clock only: its connection may time out and come back meanwhile,
    # which changes nothing here, since the server's last_seen_ms stays where it was)
    page.clock.fast_forward("06:00")
    expect(cells.locator(".status .extra")).to_have_text("Diam 6 mnt")
    expect(cells).to_have_class(re.compile(r"\batt-warn\b"))
    expect(cells.locator(".status .badge")).to_have_text("Aktif")
    expect(page.locator('#counts [data-filter="attention"] .count-n')).to_have_text("1")
    expect(cells.locator("td.seen")).to_have_text("6 mnt lalu")


def test_results_csv_download_matches_the_admin_api(live: Live, open_page: OpenPage, loop: Loop) -> None:
    room = live.new_room(2)
    first = room["candidates"][0]
    client = candidate(loop, live, first)
    loop.run(begin(client))
    loop.run(answer_until(client, lambda f: f.type == "finished"))
    page = sign_in(open_page, live, room)
    expect(row(page, first).locator(".status")).to_have_text("Selesai")
    with page.expect_download() as info:
        page.locator("#download").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    downloaded = open(download.path(), encoding="utf-8").read()  # noqa: SIM115 - read at once
    admin = run_async(live.api.request("GET", f"/api/rooms/{room['room_id']}/results?format=csv"))
    assert admin.status == 200
    assert downloaded == admin.text
    lines = downloaded.splitlines()
    assert lines[0].split(",") == list(RESULT_COLUMNS)
    assert len(lines) == 1 + 3 and all(first["employee_id"] in line for line in lines[1:])
    expect(page.locator("#notices")).to_contain_text(download.suggested_filename)


def test_reconnect_with_last_event_id_misses_nothing_and_counts_nothing_twice(
    live: Live, open_page: OpenPage, loop: Loop
) -> None:
    room = live.new_room(1)
    page = sign_in(open_page, live, room)
    (who,) = room["candidates"]
    client = candidate(loop, live, who)
    loop.run(begin(client))
    loop.run(answer(client, 1))
    cells = row(page, who).locator("td.ans")
    expect(cells).to_have_attribute("data-total", "1")

    # drop the console's connection and hold the reconnect while the candidate answers two more
    page.evaluate(
        """() => new Promise((resolve) => {
            const s = window.catProctor.socket;
            s.drop();
            const held = () => { if (s.ws === null) { clearTimeout(s.timer); resolve(); } else setTimeout(held, 5); };
            held();
        })"""
    )
    expect(page.locator("#conn")).to_have_attribute("data-state", "waiting")
    loop.run(answer(client, 2))
    total = answers_given(client)
    in_subtest = int(client.current["progress"]["answered"]) if client.current else 0
    assert total == 3
    history_before = page.evaluate("window.catProctor.stats.history")
    page.evaluate("window.catProctor.socket.open()")
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    expect(cells).to_have_attribute("data-total", str(total))
    expect(cells).to_have_attribute("data-answered", str(in_subtest))
    hellos = page.evaluate("window.catProctor.stats.hellos")
    # the first hello takes the snapshot and live events; the reconnect resumes after the last event seen
    assert hellos[0] is None and hellos[-1] not in (None, "0-0"), hellos
    # the missed events came after the snapshot as history: 2 answers and 2 items presented
    assert page.evaluate("window.catProctor.stats.history") - history_before >= 4

    # a plain drop (the socket reconnects by itself) replays nothing twice
    snapshots = page.evaluate("window.catProctor.stats.snapshots")
    page.evaluate("window.catProctor.socket.drop()")
    page.wait_for_function("(n) => window.catProctor.stats.snapshots > n", arg=snapshots)
    expect(page.locator("#conn")).to_have_attribute("data-state", "open")
    expect(cells).to_have_attribute("data-total", str(total))

    # live answers still count once each, and the detail chart has one point per answer
    loop.run(answer(client, 1))
    total = answers_given(client)
    in_subtest = int(client.current["progress"]["answered"]) if client.current else 0
    expect(cells).to_have_attribute("data-total", str(total))
    expect(cells).to_have_attribute("data-answered", str(in_subtest))
    row(page, who).click()
    chart = page.locator("#chart")
    expect(chart).to_have_attribute("data-points", str(in_subtest))
    expect(chart.locator('[data-series="theta"] circle')).to_have_count(in_subtest)
    page.keyboard.press("Escape")

    # a candidate registered after the snapshot appears once they connect (the console takes a fresh snapshot)
    (late,) = run_async(live.api.register(room["room_id"], [("199912312024121099", "Peserta Susulan")]))
    expect(page.locator("#rows tr")).to_have_count(1)
    late_client = candidate(loop, live, late)
    loop.run(begin(late_client))
    expect(page.locator("#rows tr")).to_have_count(2)
    expect(row(page, late).locator(".status")).to_have_text("Aktif")
    expect(cells).to_have_attribute("data-total", str(total))


def test_sign_in_by_link_survives_a_reload_and_speaks_english(live: Live, open_page: OpenPage, shot: Shot) -> None:
    room = live.new_room(2)
    page = open_page("/proctor", wait=False)
    PAGES.append((page, console_errors(page)))
    page.goto(live.base_url + f"/proctor?lang=en#t={room['proctor_token']}")
    expect(page.locator("#rows tr")).to_have_count(2)
    assert "#t=" not in page.url and room["proctor_token"] not in page.url
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#roster thead")).to_contain_text("Candidate")
    expect(page.locator("#roster thead")).to_contain_text("Time left")
    expect(page.locator("#rows tr").first.locator(".status")).to_have_text("Not started")
    expect(page.locator("#conn")).to_have_text("Connected")
    expect(page.locator("#lang button[lang=en]")).to_have_attribute("aria-pressed", "true")

    # a reload reconnects with the token kept for this tab
    page.reload()
    expect(page.locator("#rows tr")).to_have_count(2)
    expect(page.locator("#signin")).to_be_hidden()

    # the language switch
    page.locator("#lang button[lang=id]").click()
    expect(page.locator("#roster thead")).to_contain_text("Peserta")
    expect(page.locator("#rows tr").first.locator(".status")).to_have_text("Belum mulai")
    expect(page.locator("html")).to_have_attribute("lang", "id")

    # signing out forgets the token; a wrong token is refused with a message, and what was typed stays in the field,
    # marked, to be corrected
    page.locator("#signout").click()
    expect(page.locator("#signin")).to_be_visible()
    field = page.locator("#token-input")
    expect(field).to_have_value("")
    expect(field).to_have_attribute("placeholder", "ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2-3456")
    wrong = room["proctor_token"][:-1] + ("A" if room["proctor_token"][-1] != "A" else "B")  # one symbol mistyped
    field.fill(wrong)
    page.locator("#signin-form button[type=submit]").click()
    expect(page.locator("#signin-msg")).to_contain_text("Token pengawas tidak dikenal")
    expect(page.locator("#signin-msg")).to_contain_text("Periksa ketikan")
    expect(field).to_have_value(wrong)
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    shot(page, "proctor-signin")
    assert page.evaluate("sessionStorage.getItem('cat.proctor.token')") is None
    # corrected by hand, in lower case with spaces for the dashes: the server does not mind
    typed = room["proctor_token"].lower().replace("-", " ")
    assert re.fullmatch(r"([a-z2-9]{4} ){6}[a-z2-9]{4}", typed), typed  # 28 symbols in groups of four
    field.fill(typed)
    expect(field).not_to_have_attribute("aria-invalid", "true")
    page.locator("#signin-form button[type=submit]").click()
    expect(page.locator("#rows tr")).to_have_count(2)
    expect(page.locator("#signin")).to_be_hidden()
    expect(field).to_have_value("")  # signed in: the token leaves the page


def test_a_closed_room_holds_candidates_until_the_proctor_opens_it(
    live: Live, open_page: OpenPage, loop: Loop, shot: Shot
) -> None:
    room = live.new_room(3, open=False)
    first, second, third = room["candidates"]
    page = sign_in(open_page, live, room)
    state, toggle = page.locator("#room-state"), page.locator("#room-toggle")
    waiting = page.locator("#waiting-count .waiting-n")
    expect(state).to_have_attribute("data-open", "false")
    expect(state).to_contain_text("Ruang ditutup")
    expect(toggle).to_have_text("Buka ruang")
    expect(toggle).to_be_enabled()
    expect(waiting).to_have_text("0")

    # a candidate who comes is told to wait; the console counts them waiting
    raw = raw_candidate(loop, live, first)
    assert loop.run(raw.hello()) == {"type": "waiting", "reason": "room_closed"}
    expect(waiting).to_have_text("1")
    expect(page.locator("#waiting-count")).to_contain_text("1 menunggu")
    expect(row(page, first).locator(".status")).to_have_text("Menunggu")
    expect(page.locator('#counts [data-filter="waiting"] .count-label')).to_have_text("Menunggu")
    expect(page.locator('#counts [data-filter="ready"] .count-n')).to_have_text("2")
    # the count shows who they are
    page.locator("#waiting-count").click()
    expect(page.locator("#rows tr")).to_have_count(1)
    expect(page.locator("#waiting-count")).to_have_attribute("aria-pressed", "true")
    page.locator("#waiting-count").click()
    expect(page.locator("#rows tr")).to_have_count(3)
    shot(page, "proctor-room-closed")

    # a second console of the room
    other = sign_in(open_page, live, room)
    expect(other.locator("#room-state")).to_have_attribute("data-open", "false")

    # "Buka ruang", from the keyboard: the candidate waiting gets the welcome; both consoles show the room open
    welcome = loop.submit(raw.recv())
    toggle.focus()
    page.keyboard.press("Enter")
    frame = welcome.result(15)
    assert frame["type"] == "welcome" and frame["candidate"]["employee_id"] == first["employee_id"], frame
    expect(state).to_have_attribute("data-open", "true")
    expect(state).to_contain_text("Ruang dibuka")
    expect(toggle).to_have_text("Tutup ruang")
    expect(page.locator("#notices")).to_contain_text("Ruang dibuka")
    expect(row(page, first).locator(".status")).to_have_text("Di halaman sambutan")
    expect(waiting).to_have_text("1")
    expect(other.locator("#room-state")).to_have_attribute("data-open", "true")  # from the room event
    expect(other.locator("#notices")).to_contain_text("Ruang dibuka dari konsol pengawas lain")
    expect(row(other, first).locator(".status")).to_have_text("Di halaman sambutan")
    rooms = {r["room_id"]: r for r in live.get("/api/rooms")["rooms"]}
    assert rooms[room["room_id"]]["open"] is True
    for console in (page, other):  # the room event (session_id null) asked for no fresh snapshot
        assert console.evaluate("window.catProctor.stats.snapshots") == 1

    # a candidate starts the battery while the room is open
    client = candidate(loop, live, second)
    loop.run(begin(client))
    expect(row(page, second).locator(".status")).to_have_text("Aktif")

    # closing asks first, saying who waits and who goes on; cancelling keeps the room open
    toggle.click()
    dialog = confirm_dialog(page)
    expect(dialog.locator("#confirm-h")).to_have_text("Tutup ruang?")
    expect(dialog.locator("#confirm-text")).to_contain_text("1 sedang menunggu, 1 belum terhubung")
    expect(dialog.locator("#confirm-text")).to_contain_text("tetap berlanjut (1 peserta)")
    expect(dialog.locator("#confirm-who")).to_be_hidden()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(toggle).to_be_focused()
    expect(state).to_have_attribute("data-open", "true")
    toggle.click()
    dialog.locator("#confirm-ok").click()
    expect(state).to_have_attribute("data-open", "false")
    expect(toggle).to_have_text("Buka ruang")
    expect(page.locator("#notices")).to_contain_text("Ruang ditutup")
    expect(other.locator("#room-state")).to_have_attribute("data-open", "false")
    expect(row(page, first).locator(".status")).to_have_text("Menunggu")

    # while it is closed a newcomer waits, and the test under way goes on
    late = raw_candidate(loop, live, third)
    assert loop.run(late.hello()) == {"type": "waiting", "reason": "room_closed"}
    expect(waiting).to_have_text("2")
    loop.run(answer(client, 1))
    expect(row(page, second).locator("td.ans")).to_have_attribute("data-total", "1")
    # the candidate at the welcome who starts now is told to wait too
    loop.run(raw.send({"type": "start"}))
    assert loop.run(raw.recv()) == {"type": "waiting", "reason": "room_closed"}
    expect(row(page, first).locator(".status")).to_have_text("Menunggu")


def seat_entry(page: Page, who: dict[str, Any]) -> Locator:
    return page.locator(f'#seat-list li[data-session="{who["session_id"]}"]')


def test_a_move_to_another_computer_waits_for_the_proctor(
    live: Live, open_page: OpenPage, loop: Loop, shot: Shot
) -> None:
    room = live.new_room(2, open=True)
    first, second = room["candidates"]
    page = sign_in(open_page, live, room)
    seat = row(page, first).locator("td.seat")
    expect(seat).to_have_text("—")  # no computer yet
    expect(page.locator("#seats")).to_be_hidden()

    # the sitting is taken on the computer of its first hello; the table shows that computer's last 4 characters
    here = raw_candidate(loop, live, first, device="deviceAAAA1111")
    assert loop.run(here.hello())["type"] == "welcome"
    expect(seat).to_have_text("1111")
    expect(seat).to_have_attribute("title", "Komputer: deviceAAAA1111")

    # a hello from another computer waits for approval; the console lists the request and marks the row
    there = raw_candidate(loop, live, first, device="deviceBBBB2222")
    assert loop.run(there.hello()) == {"type": "waiting", "reason": "approval"}
    entry = seat_entry(page, first)
    expect(entry).to_be_visible()
    expect(entry).to_contain_text(f"Peserta {first['name']} meminta pindah ke komputer lain")
    expect(entry).to_contain_text("dari 1111 ke 2222")
    expect(page.locator("#seats-h")).to_have_text("1 permintaan pindah kursi")
    expect(row(page, first).locator(".status .badge")).to_have_text("Minta pindah kursi")
    expect(row(page, first)).to_have_class(re.compile(r"\batt-seat\b"))
    expect(page.locator('#counts [data-filter="attention"] .count-n')).to_have_text("1")
    expect(row(page, second).locator(".status .badge")).to_have_text("Belum mulai")
    # the request floats over the table: the table does not move when it goes (measured again below)
    with_request = table_box(page)
    shot(page, "proctor-seat-request")

    # "Setujui", from the keyboard, asks first: the test moves there and the current computer loses it
    approve = entry.locator(".seat-approve")
    approve.focus()
    page.keyboard.press("Enter")
    dialog = confirm_dialog(page)
    expect(dialog.locator("#confirm-h")).to_have_text("Pindahkan tes ke komputer lain?")
    expect(dialog.locator("#confirm-text")).to_contain_text("pindah ke komputer 2222")
    expect(dialog.locator("#confirm-text")).to_contain_text("Komputer yang sekarang (1111) kehilangan tes ini")
    expect(dialog.locator("#confirm-who")).to_contain_text(first["name"])
    expect(dialog.locator("#confirm-ok")).to_be_focused()
    shot(page, "proctor-seat-approve")
    page.keyboard.press("Escape")  # cancelled: nothing is sent
    expect(dialog).to_be_hidden()
    expect(approve).to_be_focused()
    expect(entry).to_be_visible()
    page.keyboard.press("Enter")
    expect(dialog.locator("#confirm-ok")).to_be_focused()
    page.keyboard.press("Enter")
    # the first computer loses the sitting; the second goes on from where it is (the welcome)
    lost = loop.run(here.recv())
    assert lost["type"] == "error" and lost["code"] == "taken_over", lost
    assert loop.run(here.closed()) == 4002
    moved = loop.run(there.recv())
    assert moved["type"] == "welcome" and moved["candidate"]["employee_id"] == first["employee_id"], moved
    expect(entry).to_have_count(0)
    expect(page.locator("#seats")).to_be_hidden()
    expect(row(page, first)).to_be_focused()  # the focus does not fall to the page when the entry goes
    expect(seat).to_have_text("2222")
    expect(row(page, first).locator(".status .badge")).to_have_text("Di halaman sambutan")
    expect(row(page, first)).not_to_have_class(re.compile(r"\batt-seat\b"))
    expect(page.locator("#notices")).to_contain_text(f"{first['name']}: pindah ke komputer baru disetujui.")
    assert table_box(page) == with_request
    summary = live.get(f"/api/sessions/{first['session_id']}")["session"]
    assert summary["device"] == "deviceBBBB2222" and summary["seat_request"] is None

    # a third computer asks; a second console of the room sees it too, and both clear when one denies it
    other = sign_in(open_page, live, room)
    third = raw_candidate(loop, live, first, device="deviceCCCC3333")
    assert loop.run(third.hello()) == {"type": "waiting", "reason": "approval"}
    expect(entry).to_contain_text("dari 2222 ke 3333")
    expect(seat_entry(other, first)).to_be_visible()
    # the detail view shows the request too, with its buttons
    row(other, first).click()
    other_detail = other.locator("dialog#detail")
    expect(other_detail.locator("#detail-facts")).to_contain_text("Minta pindah ke")
    expect(other_detail.locator("#detail-facts")).to_contain_text("3333 (deviceCCCC3333)")
    expect(other_detail.locator("button.act-approve_seat")).to_be_visible()
    expect(other_detail.locator("button.act-deny_seat")).to_be_enabled()
    deny = entry.locator(".seat-deny")
    expect(deny).to_have_text("Tolak")
    deny.focus()
    page.keyboard.press("Space")  # denied at once, no question asked
    refused = loop.run(third.recv())
    assert refused["type"] == "error" and refused["code"] == "seat_denied", refused
    assert loop.run(third.closed()) == 4011
    expect(entry).to_have_count(0)
    expect(seat_entry(other, first)).to_have_count(0)  # decided on another console: gone there too
    expect(other_detail.locator("button.act-approve_seat")).to_be_hidden()
    expect(other_detail.locator("#detail-facts")).not_to_contain_text("Minta pindah ke")
    expect(page.locator("#notices")).to_contain_text(f"{first['name']}: permintaan pindah kursi ditolak.")
    expect(seat).to_have_text("2222")  # the sitting stays where it was
    expect(row(other, first).locator("td.seat")).to_have_text("2222")
    # the approved computer still holds the sitting and goes on
    loop.run(there.send({"type": "start"}))
    assert loop.run(there.recv())["type"] == "subtest_intro"
    expect(row(page, first).locator(".status .badge")).to_have_text("Petunjuk subtes")


def test_incident_notes_and_messages(live: Live, open_page: OpenPage, loop: Loop, shot: Shot) -> None:
    room = live.new_room(2, open=True)
    first, second = room["candidates"]
    page = sign_in(open_page, live, room)
    sock = raw_candidate(loop, live, first, device="deviceAAAA1111")
    assert loop.run(sock.hello())["type"] == "welcome"
    r1 = row(page, first)
    note_button = r1.locator("button.act-note")
    expect(r1.locator(".status .badge")).to_have_text("Di halaman sambutan")
    expect(note_button).to_have_attribute("data-notes", "0")

    # a note from the row: a text box, nothing sent while it is empty, Ctrl+Enter saves it
    note_button.click()
    dialog = confirm_dialog(page)
    area = dialog.locator("#confirm-textarea")
    expect(dialog.locator("#confirm-h")).to_have_text("Catatan kejadian")
    expect(area).to_be_focused()
    expect(area).to_have_attribute("maxlength", "1000")
    dialog.locator("#confirm-ok").click()
    expect(dialog.locator("#confirm-error")).to_have_text("Tulis teksnya dulu.")
    expect(dialog).to_be_visible()
    first_note = "Layar berkedip;\npindah ke meja 12"
    expect(area).to_have_attribute("aria-invalid", "true")
    area.fill(first_note)
    expect(dialog.locator("#confirm-error")).to_be_hidden()  # typing answers the error
    expect(dialog.locator("#confirm-count")).to_contain_text(f"{len(first_note)} / 1000 karakter")
    shot(page, "proctor-note")
    area.press("Control+Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#notices")).to_contain_text(f"{first['name']}: catatan disimpan.")
    expect(note_button).to_have_attribute("data-notes", "1")
    expect(note_button.locator(".act-n")).to_have_text("1")

    # the detail lists the notes with their times; one written there appears at once
    r1.click()
    detail = page.locator("dialog#detail")
    notes = detail.locator("#detail-notes li")
    expect(notes).to_have_count(1)
    expect(notes.first.locator(".note-text")).to_have_text(first_note)
    expect(notes.first.locator("time")).to_have_text(re.compile(r"^\d\d[.:]\d\d[.:]\d\d$"))
    expect(detail.locator("#notes-h")).to_have_text("Catatan kejadian (1)")
    expect(detail.locator("#detail-facts")).to_contain_text("1111 (deviceAAAA1111)")
    detail.locator("#detail-actions button.act-note").click()
    area.fill("Peserta meminta izin ke toilet")
    dialog.locator("#confirm-ok").click()
    expect(notes).to_have_count(2)
    expect(notes.nth(1).locator(".note-text")).to_have_text("Peserta meminta izin ke toilet")
    expect(detail.locator("#notes-h")).to_have_text("Catatan kejadian (2)")

    # a message to this candidate, from the detail: it reaches their socket; the acknowledgement says so
    detail.locator("#detail-actions button.act-message").click()
    expect(dialog.locator("#confirm-h")).to_have_text("Kirim pesan")
    expect(area).to_have_attribute("maxlength", "500")
    area.fill("Mohon tenang, waktu tidak berjalan.")
    dialog.locator("#confirm-ok").click()
    frame = loop.run(sock.recv())
    assert frame["type"] == "message" and frame["text"] == "Mohon tenang, waktu tidak berjalan.", frame
    assert isinstance(frame["at_ms"], int)
    expect(page.locator("#notices")).to_contain_text(f"{first['name']}: pesan terkirim dan tampil di layarnya.")
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()

    # a message to the room: the dialog says who will see it, the acknowledgement how many did
    page.locator("#room-message").click()
    expect(dialog.locator("#confirm-h")).to_have_text("Pesan ke seluruh ruang")
    expect(dialog.locator("#confirm-text")).to_contain_text("tampil di layar 1 peserta yang sedang terhubung")
    expect(dialog.locator("#confirm-text")).to_contain_text("1 peserta lain tidak terhubung")
    area.fill("Sisa waktu 5 menit.\nPeriksa jawaban Anda.")
    shot(page, "proctor-message")
    dialog.locator("#confirm-ok").click()
    frame = loop.run(sock.recv())
    assert frame["type"] == "message" and frame["text"] == "Sisa waktu 5 menit.\nPeriksa jawaban Anda.", frame
    expect(page.locator("#notices")).to_contain_text(
        "Pesan ke seluruh ruang terkirim: tampil di layar 1 peserta yang terhubung; 1 lainnya tidak terhubung"
    )

    # a message to a candidate who is not connected is recorded, and the console says they did not see it
    row(page, second).click()
    detail.locator("#detail-actions button.act-message").click()
    expect(dialog.locator("#confirm-text")).to_contain_text("sedang tidak terhubung")
    area.fill("Hubungi pengawas")
    dialog.locator("#confirm-ok").click()
    expect(page.locator("#notices")).to_contain_text(f"{second['name']}: pesan dicatat, tetapi peserta tidak terhubung")
    page.keyboard.press("Escape")

    # the candidate begins; the session is then terminated from the console; its notes are in the results, one
    # written afterwards included
    loop.run(sock.send({"type": "start"}))
    intro = loop.run(sock.recv())
    assert intro["type"] == "subtest_intro", intro
    loop.run(sock.send({"type": "start", "subtest": intro["subtest"]["index"]}))
    assert loop.run(sock.recv())["type"] == "item"
    expect(r1.locator(".status .badge")).to_have_text("Aktif")
    r1.locator("button.act-terminate").click()
    dialog.locator("#confirm-reason").fill("Pindah ruang")
    dialog.locator("#confirm-ok").click()
    ended = loop.run(sock.recv())
    assert ended["type"] == "error" and ended["code"] == "terminated", ended
    expect(r1.locator(".status .badge")).to_have_text("Dihentikan")
    note_button.click()
    area.fill("Dipindahkan ke ruang 3 oleh panitia")
    dialog.locator("#confirm-ok").click()
    expect(note_button).to_have_attribute("data-notes", "3")
    results = live.get(f"/api/rooms/{room['room_id']}/results?format=json")["results"]
    mine = [r for r in results if r["session_id"] == first["session_id"]]
    assert mine, results
    expected = "\n".join([first_note, "Peserta meminta izin ke toilet", "Dipindahkan ke ruang 3 oleh panitia"])
    assert all(r["notes"] == expected and r["status"] == "terminated" for r in mine), mine
    assert all(r["session_id"] != second["session_id"] for r in results)  # not over: no rows


PEOPLE = [
    ("199001012020121001", "Siti Rahmawati"),
    ("198805172015032002", "Agus Pratama"),
    ("199203232019031003", "Dewi Lestari Kusumaningrum"),
    ("198711092014021004", "Bambang Hermawan"),
    ("199506152020122005", "Rina Marlina"),
    ("199108302018011006", "Yusuf Hidayat"),
    ("199412072021032007", "Nur Aini Fitriani"),
] + [(f"19960101202212{i:04d}", f"Peserta Cadangan {i:02d}") for i in range(8, 31)]


def visible_rows(page: Page) -> int:
    """Rows of the table wholly in sight, between its sticky header and the bottom of its scrolling box, without
    scrolling; the box itself must end inside the window."""
    return int(
        page.evaluate(
            """() => {
                const wrap = document.getElementById("table-wrap").getBoundingClientRect();
                const head = document.querySelector("#roster thead").getBoundingClientRect();
                if (wrap.bottom > window.innerHeight + 0.5) return -1;
                return [...document.querySelectorAll("#rows tr")].filter((tr) => {
                    const r = tr.getBoundingClientRect();
                    return r.top >= head.bottom - 0.5 && r.bottom <= wrap.bottom + 0.5;
                }).length;
            }"""
        )
    )


def cut_subtests(page: Page) -> list[str]:
    """Subtest names cut short in the table (their cell narrower than the name), or without their full name on hover."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll("#rows td.sub")].flatMap((td) => {
                const name = td.querySelector(".sub-name").textContent;
                if (name === "—") return [];
                const problems = [];
                if (td.scrollWidth > td.clientWidth + 1) problems.push(`cut: ${name}`);
                if (td.title !== name) problems.push(`title ${td.title} != ${name}`);
                return problems;
            })"""
        )
    )


def table_box(page: Page) -> tuple[float, float, float, float]:
    box = page.locator("#table-wrap").bounding_box()
    assert box is not None
    return (box["x"], box["y"], box["width"], box["height"])


def test_screenshots(live: Live, open_page: OpenPage, loop: Loop, shot: Shot) -> None:
    """A room of 30 at 1366x768 in every status: every row in sight at once, subtest names whole, alerts and notices
    over the table without moving it, and "pause all" saying exactly whom it pauses."""
    room = make_room(live, PEOPLE, name="Ruang CAT 2 — BKD Provinsi")
    c = room["candidates"]
    assert len(c) == 30
    clients = [candidate(loop, live, who, auto_start=i < 7 or i == 9) for i, who in enumerate(c[:10])]
    proctor = ProctorClient(live.server.ws_url, room["proctor_token"])
    loop.clients.append(proctor)

    async def arrange() -> None:
        for client in clients[:7]:
            await begin(client)
        await answer_until(clients[0], lambda f: f.type == "finished")  # finished
        await answer(clients[1], 2)  # active
        await answer(clients[2], 3)  # paused below
        await answer(clients[3], 2)  # disconnected below
        await answer(clients[4], 1)  # terminated below
        await answer_until(clients[5], lambda f: f.type == "item" and f["subtest"]["index"] == 1)
        await answer(clients[5], 2)  # active in the second subtest
        await answer(clients[6], 4)
        await clients[7].connect()  # at the welcome
        await start(clients[8], await clients[8].connect())  # at the first subtest's intro
        await begin(clients[9])  # active, just begun
        await proctor.connect()
        await proctor.command("pause", session_id=c[2]["session_id"], reason="Izin ke toilet")
        await proctor.command("terminate", session_id=c[4]["session_id"], reason="Membawa telepon genggam")
        for text in ("Izin ke toilet pukul 09.40", "Kembali pukul 09.46"):
            ack = await proctor.command("note", session_id=c[2]["session_id"], text=text)
            assert ack.type == "ack" and ack["results"][0]["ok"], ack
        await clients[3].disconnect()

    loop.run(arrange(), timeout=90)
    page = sign_in(open_page, live, room)
    expect(row(page, c[0]).locator(".status")).to_have_text("Selesai")
    expect(row(page, c[2]).locator(".status")).to_have_text("Dijeda")
    expect(row(page, c[3]).locator(".status")).to_have_text("Terputus")
    expect(row(page, c[4]).locator(".status")).to_have_text("Dihentikan")
    expect(row(page, c[7]).locator(".status")).to_have_text("Di halaman sambutan")
    expect(row(page, c[8]).locator(".status")).to_have_text("Petunjuk subtes")
    expect(row(page, c[10]).locator(".status")).to_have_text("Belum mulai")
    # two needing a proctor, and candidates 0 and 5 answered 5 items in milliseconds: flagged for rapid guessing
    expect(page.locator('#counts [data-filter="attention"] .count-n')).to_have_text("4")
    expect(page.locator("#waiting-count .waiting-n")).to_have_text("1")
    expect(row(page, c[2]).locator("button.act-note .act-n")).to_have_text("2")
    # 30 rows in sight at 1366x768, none cut short
    assert page.viewport_size == {"width": 1366, "height": 768}
    assert visible_rows(page) == 30
    assert cut_subtests(page) == []
    shot(page, "proctor-room")

    # a second disconnect while watching: the alert list grows, over the table, which does not move
    before = table_box(page)
    loop.run(clients[6].disconnect())
    expect(page.locator("#alert-list li")).to_have_count(2)
    expect(page.locator("#alert-list li").first).to_contain_text(c[6]["name"])
    assert table_box(page) == before
    assert visible_rows(page) == 30
    shot(page, "proctor-alert")

    # a candidate asks to move to another computer: the request floats over the table too, and the row says so
    seat_a = raw_candidate(loop, live, c[11], device="labPC-0042-A7Q1")
    assert loop.run(seat_a.hello())["type"] == "welcome"
    seat_b = raw_candidate(loop, live, c[11], device="labPC-0043-K9D2")
    assert loop.run(seat_b.hello()) == {"type": "waiting", "reason": "approval"}
    expect(seat_entry(page, c[11])).to_contain_text("dari A7Q1 ke K9D2")
    expect(row(page, c[11]).locator(".status .badge")).to_have_text("Minta pindah kursi")
    expect(row(page, c[11]).locator("td.seat")).to_have_text("A7Q1")
    assert table_box(page) == before
    assert visible_rows(page) == 30
    assert cut_subtests(page) == []
    shot(page, "proctor-seat-room")

    # "pause all" names exactly the sessions whose `allowed` holds pause (disconnected ones included), and its count
    # is theirs
    sessions = live.get(f"/api/rooms/{room['room_id']}")["sessions"]
    pausable = {s["session_id"] for s in sessions if "pause" in s["allowed"]}
    assert pausable and any(not s["connected"] for s in sessions if s["session_id"] in pausable)
    n = len(pausable)
    expect(page.locator("#room-pause")).to_have_text(f"Jeda semua ({n})")
    page.locator("#room-pause").click()
    dialog = confirm_dialog(page)
    expect(dialog.locator("#confirm-text")).to_contain_text(f"{n} peserta berikut akan dijeda (")
    expect(dialog.locator("#confirm-text")).to_contain_text("Terputus")
    expect(dialog.locator("#confirm-who li")).to_have_count(n)
    listed = set(dialog.locator("#confirm-who li").evaluate_all("(lis) => lis.map((li) => li.dataset.session)"))
    assert listed == pausable
    shot(page, "proctor-pause-all")
    page.keyboard.press("Escape")

    # a notice (an acknowledgement) floats over the table too
    row(page, c[9]).locator("button.act-extend").click()
    dialog.locator("#confirm-ok").click()
    expect(page.locator("#notices")).to_contain_text("ditambah 5 menit")
    assert table_box(page) == before
    assert visible_rows(page) == 30

    row(page, c[1]).locator("button.act-terminate").click()
    dialog.locator("#confirm-reason").fill("Bekerja sama dengan peserta lain")
    shot(page, "proctor-confirm")
    page.keyboard.press("Escape")

    row(page, c[5]).click()
    chart = page.locator("#chart")
    expect(chart.locator('[data-series="theta"] circle')).to_have_count(2)
    page.locator("#chart-tabs button").first.click()
    expect(chart).to_have_attribute("data-subtest", "0")
    expect(chart).not_to_have_attribute("data-points", "0")
    shot(page, "proctor-detail")

    # the same room in English
    page.keyboard.press("Escape")
    page.locator("#lang button[lang=en]").click()
    expect(row(page, c[3]).locator(".status")).to_have_text("Disconnected")
    expect(row(page, c[7]).locator(".status")).to_have_text("At the welcome")
    expect(row(page, c[8]).locator(".status")).to_have_text("Subtest intro")
    expect(row(page, c[11]).locator(".status .badge")).to_have_text("Asks to move")
    expect(page.locator("#seats-h")).to_have_text("1 seat move request(s)")
    expect(page.locator("#roster thead")).to_contain_text("Seat")
    assert cut_subtests(page) == []
    row(page, c[1]).focus()
    page.keyboard.press("ArrowDown")  # keyboard: the focus ring moves to the next row
    expect(row(page, c[2])).to_be_focused()
    shot(page, "proctor-room-en")
