"""The proctor console at ``/proctor`` against the live server, with candidates driven by the protocol client.

Candidates keep their WebSocket open across the test's browser steps, so they live on an event loop of their own
(:class:`Loop`); ``run_async`` (a fresh loop per call) serves one-shot calls such as the admin API.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

import pytest
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
        self.clients: list[CandidateClient | ProctorClient] = []

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


def candidate(loop: Loop, live: Live, who: dict[str, Any]) -> CandidateClient:
    client = CandidateClient(live.server.ws_url, who["token"])
    loop.clients.append(client)
    return client


async def answer(client: CandidateClient, n: int) -> Frame:
    """Answer ``n`` items (option 0), or fewer if the battery ends; the last reply."""
    reply = client.current
    assert reply is not None
    for _ in range(n):
        if client.current is None or client.current.type != "item":
            break
        reply = await client.answer_current(lambda f: 0)
    assert reply is not None
    return reply


async def answer_until(client: CandidateClient, done: Callable[[Frame], bool], limit: int = 40) -> int:
    """Answer until ``done(current frame)``; the number of answers given."""
    count = 0
    while client.current is not None and not done(client.current):
        assert client.current.type == "item", client.current
        await client.answer_current(lambda f: 0)
        count += 1
        assert count <= limit, "the battery did not end"
    return count


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
    expect(page.locator('#counts [data-filter="ready"] .count-n')).to_have_text("3")
    expect(page.locator("#room-name")).to_have_text(room["name"])

    # a candidate starts and answers: status, answered counts and SE follow live
    client = candidate(loop, live, first)
    loop.run(client.connect())
    expect(row(page, first).locator(".status")).to_have_text("Aktif")
    loop.run(answer(client, 2))
    answered = row(page, first).locator("td.ans")
    expect(answered).to_have_attribute("data-answered", "2")
    expect(answered).to_have_attribute("data-total", "2")
    expect(answered).to_have_text("2 / 2")
    server = live.get(f"/api/sessions/{first['session_id']}")["session"]
    se_cell = row(page, first).locator("td.se")
    expect(se_cell).to_have_attribute("data-se", re.compile(r"^0\.\d+"))
    assert abs(float(se_cell.get_attribute("data-se") or "nan") - server["se"]) < 1e-3
    expect(se_cell.locator(".se-label")).to_have_text(f"{server['se']:.2f} / 0.30".replace(".", ","))
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
    loop.run(client.connect())
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
    loop.run(other.connect())
    expect(r2.locator(".status")).to_have_text("Aktif")
    page.locator("#room-pause").click()
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


def test_detail_view_charts_each_answer_and_shows_levels(live: Live, open_page: OpenPage, loop: Loop) -> None:
    room = live.new_room(1)
    page = sign_in(open_page, live, room)
    (who,) = room["candidates"]
    client = candidate(loop, live, who)
    loop.run(client.connect())
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
    loop.run(client.connect())
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
    loop.run(client.connect())
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
    loop.run(client.connect())
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
    loop.run(late_client.connect())
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

    # signing out forgets the token; a wrong token is refused with a message
    page.locator("#signout").click()
    expect(page.locator("#signin")).to_be_visible()
    page.locator("#token-input").fill("not-a-token")
    page.locator("#signin-form button[type=submit]").click()
    expect(page.locator("#signin-msg")).to_contain_text("Token pengawas tidak dikenal")
    shot(page, "proctor-signin")
    assert page.evaluate("sessionStorage.getItem('cat.proctor.token')") is None


PEOPLE = [
    ("199001012020121001", "Siti Rahmawati"),
    ("198805172015032002", "Agus Pratama"),
    ("199203232019031003", "Dewi Lestari Kusumaningrum"),
    ("198711092014021004", "Bambang Hermawan"),
    ("199506152020122005", "Rina Marlina"),
    ("199108302018011006", "Yusuf Hidayat"),
    ("199412072021032007", "Nur Aini Fitriani"),
] + [(f"19960101202212{i:04d}", f"Peserta Cadangan {i:02d}") for i in range(8, 31)]


def test_screenshots(live: Live, open_page: OpenPage, loop: Loop, shot: Shot) -> None:
    room = make_room(live, PEOPLE, name="Ruang CAT 2 — BKD Provinsi")
    c = room["candidates"]
    clients = [candidate(loop, live, who) for who in c[:7]]
    proctor = ProctorClient(live.server.ws_url, room["proctor_token"])
    loop.clients.append(proctor)

    async def arrange() -> None:
        for client in clients:
            await client.connect()
        await answer_until(clients[0], lambda f: f.type == "finished")  # finished
        await answer(clients[1], 2)  # active
        await answer(clients[2], 3)  # paused below
        await answer(clients[3], 2)  # disconnected below
        await answer(clients[4], 1)  # terminated below
        await answer_until(clients[5], lambda f: f.type == "item" and f["subtest"]["index"] == 1)
        await answer(clients[5], 2)  # active in the second subtest
        await answer(clients[6], 4)
        await proctor.connect()
        await proctor.command("pause", session_id=c[2]["session_id"], reason="Izin ke toilet")
        await proctor.command("terminate", session_id=c[4]["session_id"], reason="Membawa telepon genggam")
        await clients[3].disconnect()

    loop.run(arrange(), timeout=60)
    page = sign_in(open_page, live, room)
    expect(row(page, c[0]).locator(".status")).to_have_text("Selesai")
    expect(row(page, c[2]).locator(".status")).to_have_text("Dijeda")
    expect(row(page, c[3]).locator(".status")).to_have_text("Terputus")
    expect(row(page, c[4]).locator(".status")).to_have_text("Dihentikan")
    expect(page.locator('#counts [data-filter="attention"] .count-n')).to_have_text("2")
    shot(page, "proctor-room")

    # a second disconnect while watching: the alert list grows
    loop.run(clients[6].disconnect())
    expect(page.locator("#alert-list li")).to_have_count(2)
    expect(page.locator("#alert-list li").first).to_contain_text(c[6]["name"])
    shot(page, "proctor-alert")

    row(page, c[1]).locator("button.act-terminate").click()
    confirm_dialog(page).locator("#confirm-reason").fill("Bekerja sama dengan peserta lain")
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
    row(page, c[1]).focus()
    page.keyboard.press("ArrowDown")  # keyboard: the focus ring moves to the next row
    expect(row(page, c[2])).to_be_focused()
    shot(page, "proctor-room-en")
