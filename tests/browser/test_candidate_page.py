"""The candidate page in a real browser against the live server (docs/protocol.md, candidate WebSocket).

Each test drives the page as a candidate would (keyboard, clicks), breaks the connection or the server on purpose,
and checks the outcome on the server through the admin API: every presented item answered exactly once, nothing
lost, nothing applied twice. A sitting goes welcome -> "Ini saya" -> instructions -> practice -> "Mulai tes" ->
each subtest's intro -> "Mulai" -> items (:func:`begin_battery`; :func:`next_screen` passes the intros between
subtests). The layout tests serve the page frames of their own (the longest item of each demo pool) through a
WebSocket route, since the server chooses the items.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect
from protocol_client import AdminApi, ProctorClient

from load_tests.procs import REPO_ROOT, RedisServer, ServerProcess

from .conftest import Live, run_async, short_battery

PENDING_KEY = "cat.candidate.pending"
DEVICE_KEY = "cat.device"


# --- helpers -----------------------------------------------------------------------------------------------------


def dashed_lower(token: str) -> str:
    """``ABCDEFGHJKMN`` -> ``abcd-efgh-jkmn``, the way a hurried candidate might type it."""
    return "-".join(token[i : i + 4] for i in range(0, len(token), 4)).lower()


def on_screen(page: Page, name: str, timeout: float = 5000) -> None:
    """Wait until the page shows the screen ``name`` (``body[data-screen]``)."""
    expect(page.locator("body")).to_have_attribute("data-screen", name, timeout=timeout)


def tab_to(page: Page, selector: str, limit: int = 12) -> None:
    """Press Tab until ``selector`` has the focus (the keyboard-only way to a button)."""
    target = page.locator(selector)
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    expect(target).to_be_focused()


def heading_focused(page: Page, screen: str) -> None:
    """A new screen takes the focus to its heading."""
    expect(page.locator(f"#screen-{screen} h1")).to_be_focused()


def confirm_and_start(page: Page, *, keyboard: bool = False) -> None:
    """From the welcome to the first subtest's intro: "Ini saya", the instructions, each practice item (chosen and
    "saved" in the page only), then "Mulai tes". ``keyboard``: Tab and Enter only, checking where the focus goes."""

    def press(selector: str) -> None:
        if keyboard:
            tab_to(page, selector)
            page.keyboard.press("Enter")
        else:
            page.locator(selector).click()

    on_screen(page, "confirm")
    press("#confirm-yes")
    on_screen(page, "instructions")
    if keyboard:
        heading_focused(page, "instructions")
    expect(page.locator(".final-warning")).to_be_visible()  # before any item: answers cannot be changed
    press("#instructions-next")
    for index in range(20):
        expect(page.locator("body")).to_have_attribute("data-screen", re.compile(r"^(practice|begin)$"))
        if page.locator("body").get_attribute("data-screen") == "begin":
            break
        expect(page.locator("#practice-form")).to_have_attribute("data-index", str(index))
        feedback = page.locator("#practice-feedback")
        expect(feedback).to_be_hidden()
        if keyboard:
            heading_focused(page, "practice")
            page.keyboard.press("b")
            page.keyboard.press("Enter")
        else:
            page.locator("#practice-options .option").nth(1).click()
            page.locator("#practice-submit").click()
        expect(feedback).to_be_visible()
        expect(page.locator("#practice-options input").first).to_be_disabled()
        if keyboard:
            expect(page.locator("#practice-submit")).to_be_focused()
            page.keyboard.press("Enter")
        else:
            page.locator("#practice-submit").click()
    on_screen(page, "begin")
    if keyboard:
        heading_focused(page, "begin")
    press("#begin-start")
    on_screen(page, "intro", timeout=10000)


def start_subtest(page: Page, *, keyboard: bool = False) -> None:
    """On a subtest's intro: "Mulai" (by click, or Tab and Enter)."""
    on_screen(page, "intro", timeout=10000)
    button = page.locator("#intro-start")
    expect(button).to_be_enabled()
    if keyboard:
        heading_focused(page, "intro")
        tab_to(page, "#intro-start")
        page.keyboard.press("Enter")
    else:
        button.click()


def begin_battery(page: Page, *, keyboard: bool = False) -> None:
    """From the welcome to the first item, ready to be answered."""
    confirm_and_start(page, keyboard=keyboard)
    start_subtest(page, keyboard=keyboard)
    current_item(page, 1)


def current_item(page: Page, seq: int) -> None:
    """Wait until the item ``seq`` is shown and ready to be answered (connected, nothing being saved)."""
    expect(page.locator("body")).to_have_attribute("data-screen", "item")
    expect(page.locator("#item-form")).to_have_attribute("data-seq", str(seq))
    expect(page.locator("body")).to_have_attribute("data-connection", "ready")
    expect(page.locator("#item-options input").first).to_be_enabled()


def next_screen(page: Page, seq: int, *, through_intro: bool = True) -> str:
    """After answering ``seq - 1``: wait for item ``seq``, the next subtest's intro or the finished screen; which one
    came. ``through_intro``: an intro is passed with "Mulai", and then item ``seq`` is what came."""
    item = f"#item-form[data-seq='{seq}']:not(.saving):visible"
    target = page.locator(f"{item}, #screen-finished:visible, #screen-intro:visible")
    expect(target.first).to_be_visible(timeout=15000)
    if page.locator("#screen-finished").is_visible():
        return "finished"
    if page.locator("#screen-intro").is_visible():
        if not through_intro:
            return "intro"
        start_subtest(page)
        expect(page.locator(item)).to_be_visible(timeout=15000)
    return "item"


def choose_by_keyboard(page: Page, seq: int) -> int:
    """Choose an option with the keyboard only (a different way per item); returns the option index chosen."""
    way = seq % 3
    if way == 0:  # a letter
        page.keyboard.press("b")
        chosen = 1
    elif way == 1:  # a digit
        page.keyboard.press("3")
        chosen = 2
    else:  # Tab into the radio group, then the arrow keys
        page.keyboard.press("Tab")
        page.keyboard.press("ArrowDown")
        chosen = 1
    expect(page.locator("#item-options .option.selected")).to_have_count(1)
    expect(page.locator("#item-options .option").nth(chosen)).to_have_class(re.compile(r"\bselected\b"))
    expect(page.locator("#item-options input").nth(chosen)).to_be_checked()
    expect(page.locator("#item-submit")).to_be_enabled()
    return chosen


def answer_until_finished(
    page: Page,
    seq: int,
    answers: dict[int, int],
    on_item: Callable[[int], None] | None = None,
    on_intro: Callable[[int], None] | None = None,
) -> int:
    """Answer by keyboard from item ``seq`` until the finished screen, passing each intro with "Mulai" (after
    ``on_intro(seq)``); records {seq: option index}."""
    while True:
        kind = next_screen(page, seq, through_intro=False)
        if kind == "finished":
            return seq - 1
        if kind == "intro":
            if on_intro is not None:
                on_intro(seq)
            start_subtest(page)
            expect(page.locator(f"#item-form[data-seq='{seq}']:visible")).to_be_visible(timeout=15000)
            continue
        current_item(page, seq)
        if on_item is not None:
            on_item(seq)
        answers[seq] = choose_by_keyboard(page, seq)
        page.keyboard.press("Enter")
        seq += 1


def assert_exactly_once(live: Live, session_id: str, answers: dict[int, int], total: int) -> list[dict[str, Any]]:
    """Audit: every seq 1..total was presented once and applied once, with the response the page chose."""
    entries: list[dict[str, Any]] = live.get(f"/api/sessions/{session_id}/audit")["entries"]
    presented = [e["seq"] for e in entries if e["kind"] == "presented"]
    assert presented == list(range(1, total + 1)), presented
    answer_entries = [e for e in entries if e["kind"] == "answer"]
    applied = [e for e in answer_entries if "outcome" not in e]
    assert [e["seq"] for e in applied] == list(range(1, total + 1)), answer_entries
    for e in applied:
        assert e["response"] == answers[e["seq"]], (e, answers)
    for e in answer_entries:  # a resend is only ever the same answer again, never a different one
        assert e.get("outcome") in (None, "duplicate"), e
        assert e["response"] == answers[e["seq"]], (e, answers)
    detail = live.get(f"/api/sessions/{session_id}")
    assert detail["session"]["phase"] == "finished"
    assert detail["session"]["answered_total"] == total
    assert detail["profile"]["complete"] is True
    assert sum(s["items_administered"] for s in detail["profile"]["subtests"]) == total
    return entries


def proctor(live: Live, room: dict[str, Any], command: str, **fields: Any) -> dict[str, Any]:
    """One proctor command over the proctor WebSocket (``open_room`` and ``close_room`` included); its
    acknowledgement."""

    async def go() -> dict[str, Any]:
        client = ProctorClient(live.server.ws_url, room["proctor_token"])
        try:
            snapshot = await client.connect()
            assert snapshot.type == "snapshot", snapshot.data
            ack = await client.command(command, **fields)
            return ack.data
        finally:
            await client.disconnect()

    ack = run_async(go())
    assert ack["type"] == "ack" and all(r["ok"] for r in ack["results"]), ack
    return ack


def clock_seconds(page: Page) -> int:
    minutes, seconds = page.locator("#clock-value").inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


def session_summary(live: Live, session_id: str) -> dict[str, Any]:
    summary: dict[str, Any] = live.get(f"/api/sessions/{session_id}")["session"]
    return summary


def frames_sent(page: Page) -> list[dict[str, Any]]:
    """Every frame the page sends on its candidate WebSockets from now on (the list grows)."""
    sent: list[dict[str, Any]] = []

    def watch(ws: Any) -> None:
        if ws.url.endswith("/ws/candidate"):
            ws.on("framesent", lambda payload: sent.append(json.loads(payload)))

    page.on("websocket", watch)
    return sent


# --- 1. keyboard only, the whole battery ---------------------------------------------------------------------------


def test_token_by_keyboard_then_whole_battery_by_keyboard(live: Live, open_page: Any, shot: Any) -> None:
    room = live.new_room(1)
    cand = room["candidates"][0]
    page = open_page("/", wait=False)
    console_errors: list[str] = []  # a Content-Security-Policy violation shows up here, not as a page error
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    sent = frames_sent(page)
    page.goto(live.base_url + "/")

    # the token screen, in Indonesian by default, with the cursor in the token field
    expect(page.locator("#screen-token")).to_be_visible()
    expect(page.locator("#token-start")).to_have_text("Mulai")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("#token-input")).to_be_focused()
    shot(page, "candidate-token")

    # Enter on an empty field says what to do and goes nowhere
    page.keyboard.press("Enter")
    expect(page.locator("#token-error")).to_have_text(re.compile("ketik token"))
    expect(page.locator("#screen-token")).to_be_visible()

    page.keyboard.type(dashed_lower(cand["token"]))
    page.keyboard.press("Enter")

    # who the token belongs to, and the battery: three subtests with their most items and time limits
    on_screen(page, "confirm")
    heading_focused(page, "confirm")
    expect(page.locator("#confirm-name")).to_have_text(cand["name"])
    expect(page.locator("#confirm-employee")).to_have_text(cand["employee_id"])
    expect(page.locator("#confirm-battery")).to_have_text("CAT — uji peramban (singkat)")
    rows = page.locator("#confirm-subtests tr")
    expect(rows).to_have_count(3)
    expect(rows.first.locator("th")).to_have_text("Manajerial & Sosial Kultural")
    expect(rows.first.locator("td").nth(0)).to_have_text("5")
    expect(rows.first.locator("td").nth(1)).to_have_text("30 menit")
    expect(page.locator("#confirm-yes")).to_have_text("Ini saya")
    # "not me" says to call the proctor, and sends nothing
    tab_to(page, "#confirm-not-me-button")
    page.keyboard.press("Enter")
    expect(page.locator("#confirm-not-me")).to_be_visible()
    expect(page.locator("#confirm-not-me")).to_contain_text("hubungi pengawas")
    assert [f["type"] for f in sent] == ["hello"]
    expect(page.locator("#clock")).to_be_hidden()
    # the time does not run before the battery starts
    before = session_summary(live, cand["session_id"])
    assert before["phase"] == "ready" and before["connected"] is True, before

    # Tab and Enter through "Ini saya", the instructions, the practice and "Mulai tes"
    confirm_and_start(page, keyboard=True)
    # the practice sent nothing: the hello, then the one start
    assert [f["type"] for f in sent] == ["hello", "start"], sent
    assert sent[1] == {"type": "start"}
    assert sent[0]["device"] == page.evaluate(f"localStorage.getItem('{DEVICE_KEY}')")
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", sent[0]["device"])

    # the first subtest's intro: no clock on screen, its facts, its instructions, the countdown to its own start
    heading_focused(page, "intro")
    expect(page.locator("#intro-title")).to_have_text("Manajerial & Sosial Kultural")
    expect(page.locator("#intro-of")).to_have_text("Subtes 1 dari 3")
    expect(page.locator("#intro-items")).to_have_text("Paling banyak 5 soal (biasanya selesai lebih awal)")
    expect(page.locator("#intro-limit")).to_have_text("Batas waktu: 30 menit")
    expect(page.locator("#intro-previous")).to_be_hidden()
    expect(page.locator("#intro-instructions")).to_contain_text("situasi kerja")
    expect(page.locator("#intro-countdown")).to_have_text(re.compile(r"^Mulai otomatis dalam 0[45]:\d\d$"))
    expect(page.locator("#clock")).to_be_hidden()
    at_intro = session_summary(live, cand["session_id"])
    assert at_intro["phase"] == "intro", at_intro
    start_subtest(page, keyboard=True)
    assert sent[2] == {"type": "start", "subtest": 0}, sent

    current_item(page, 1)
    expect(page.locator("#subtest-name")).to_have_text("Manajerial & Sosial Kultural")
    expect(page.locator("#item-number")).to_have_text("Soal ke-1")
    expect(page.locator("#item-max")).to_contain_text("dari maks. 5")
    expect(page.locator("#overall-label")).to_have_text("Subtes 1 dari 3")
    expect(page.locator("#overall-steps li")).to_have_count(3)
    expect(page.locator("#clock")).to_be_visible()
    expect(page.locator("#clock-value")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    assert page.locator("#item-options .option").count() >= 2
    expect(page.locator("#item-options .option-letter").first).to_have_text("A")
    expect(page.locator("#item-stem")).to_be_focused()
    # the one button is disabled until an option is chosen; Enter with nothing chosen does nothing
    expect(page.locator("#item-submit")).to_have_text("Simpan & lanjut")
    expect(page.locator("#item-submit")).to_be_disabled()
    page.keyboard.press("Enter")
    expect(page.locator("#item-submit")).to_be_disabled()
    assert page.evaluate(f"sessionStorage.getItem('{PENDING_KEY}')") is None
    # the countdown counts down by itself
    first = clock_seconds(page)
    expect(page.locator("#clock-value")).not_to_have_text(page.locator("#clock-value").inner_text(), timeout=3000)
    assert clock_seconds(page) < first
    shot(page, "candidate-item")

    answers: dict[int, int] = {}
    subtests_seen: list[str] = ["Manajerial & Sosial Kultural"]

    def on_intro(seq: int) -> None:
        # the next subtest's intro says the previous one is over, and waits for "Mulai" (no clock meanwhile)
        notice = page.locator("#intro-previous")
        expect(notice).to_be_visible()
        expect(notice).to_have_text(f"Subtes {subtests_seen[-1]} selesai.")
        expect(page.locator("#intro-of")).to_have_text(f"Subtes {len(subtests_seen) + 1} dari 3")
        expect(page.locator("#intro-steps li.done")).to_have_count(len(subtests_seen))
        expect(page.locator("#clock")).to_be_hidden()
        subtests_seen.append(page.locator("#intro-title").inner_text())
        if len(subtests_seen) == 2:
            shot(page, "candidate-intro-next")

    def on_item(seq: int) -> None:
        expect(page.locator("#subtest-name")).to_have_text(subtests_seen[-1])

    total = answer_until_finished(page, 1, answers, on_item, on_intro)
    assert subtests_seen == ["Manajerial & Sosial Kultural", "Literasi Digital", "Emerging Skills"]
    assert 9 <= total <= 15
    # each subtest was started by the page's "Mulai", once, after its intro
    starts = [f for f in sent if f["type"] == "start"]
    assert starts == [{"type": "start"}] + [{"type": "start", "subtest": i} for i in range(3)], starts

    # the finished screen with the profile table: one row per subtest, level 1-5 with a word, and under it how far
    # the level can be trusted (the profile's level_probability in whole percent)
    expect(page.locator("#screen-finished h1")).to_have_text("Tes selesai. Terima kasih!")
    heading_focused(page, "finished")
    rows = page.locator("#profile-rows tr")
    expect(rows).to_have_count(3)
    profile = live.get(f"/api/sessions/{cand['session_id']}")["profile"]
    for i in range(3):
        cells = rows.nth(i).locator("th, td")
        expect(cells.nth(0)).to_have_text(subtests_seen[i])
        expect(cells.nth(1).locator(".level-word")).to_have_text(
            re.compile(r"^[1-5] – (Perlu banyak pengembangan|Perlu pengembangan|Cukup|Baik|Sangat baik)$")
        )
        percent = math.floor(profile["subtests"][i]["level_probability"] * 100 + 0.5)  # as JS Math.round
        shown = ">99" if percent >= 100 else "<1" if percent <= 0 else str(percent)
        certainty = cells.nth(1).locator(".level-certainty")
        expect(certainty).to_have_text(f"Kepastian tingkat: {shown} %")
        expect(certainty).to_have_attribute("title", re.compile(r"^Peluang bahwa tingkat ini"))
        expect(cells.nth(2)).to_have_text(re.compile(r"^\d{3}$"))
        expect(cells.nth(4)).to_have_text(re.compile(r"^\d+ mnt \d+ dtk$"))
    items_shown = sum(int(rows.nth(i).locator("td").nth(2).inner_text()) for i in range(3))
    assert items_shown == total
    expect(page.locator("#clock")).to_be_hidden()
    assert page.evaluate(f"sessionStorage.getItem('{PENDING_KEY}')") is None
    shot(page, "candidate-finished")

    entries = assert_exactly_once(live, cand["session_id"], answers, total)
    hellos = [e for e in entries if e["kind"] == "hello"]
    assert hellos and all(e.get("device") == sent[0]["device"] for e in hellos), hellos
    assert console_errors == []

    # a reload shows the finished screen again (a finished battery answers hello with `finished`)
    page.reload()
    expect(page.locator("#screen-finished")).to_be_visible()
    expect(page.locator("#profile-rows tr")).to_have_count(3)


# --- 2. a link with the token, English, reload ----------------------------------------------------------------------


def test_link_starts_directly_in_english_and_reload_resumes(live: Live, open_page: Any, shot: Any) -> None:
    room = live.new_room(1)
    cand = room["candidates"][0]
    page = open_page(f"/?lang=en#t={cand['token']}")

    on_screen(page, "confirm")
    assert page.evaluate("location.hash") == ""
    assert page.url == f"{live.base_url}/?lang=en"
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#confirm-yes")).to_have_text("This is me")
    expect(page.locator("#confirm-subtests tr").first.locator("td").nth(1)).to_have_text("30 minutes")
    page.locator("#confirm-yes").click()
    on_screen(page, "instructions")
    expect(page.locator(".final-warning")).to_contain_text("cannot be changed once saved")
    expect(page.locator("#battery-instructions")).to_contain_text("This test has three subtests")

    # a reload keeps the token and the step reached (sessionStorage): the instructions again, not the welcome
    page.reload()
    on_screen(page, "instructions")
    # the language switch changes the page's texts and the battery's in place
    page.locator("#lang button", has_text="ID").click()
    expect(page.locator("html")).to_have_attribute("lang", "id")
    assert "lang=id" in page.url
    expect(page.locator(".final-warning")).to_contain_text("tidak dapat diubah")
    expect(page.locator("#battery-instructions")).to_contain_text("Tes ini terdiri dari tiga subtes")
    expect(page.locator("#instructions-next")).to_have_text("Lanjut ke latihan")
    page.locator("#instructions-next").click()
    on_screen(page, "practice")
    expect(page.locator("#practice-stem")).to_contain_text("Rekan kerja meminta bantuan")
    page.locator("#lang button", has_text="EN").click()
    expect(page.locator("#practice-stem")).to_contain_text("A colleague asks for your help")
    expect(page.locator("#practice-options .option-text").nth(1)).to_have_text(
        "Help after finishing the most urgent work."
    )
    expect(page.locator("#practice-submit")).to_have_text("Save & continue")

    page.locator("#practice-options .option").nth(0).click()
    page.locator("#practice-submit").click()
    expect(page.locator("#practice-feedback")).to_contain_text("Practice done: you chose A")
    page.locator("#practice-submit").click()
    on_screen(page, "begin")
    expect(page.locator("#begin-start")).to_have_text("Start the test")
    page.locator("#begin-start").click()
    on_screen(page, "intro")
    expect(page.locator("#intro-start")).to_have_text("Start")
    expect(page.locator("#intro-countdown")).to_have_text(re.compile(r"^Starts by itself in \d\d:\d\d$"))

    # a reload at the intro shows the same intro (its clock still not started)
    page.reload()
    on_screen(page, "intro")
    expect(page.locator("#intro-of")).to_have_text("Subtest 1 of 3")
    assert session_summary(live, cand["session_id"])["phase"] == "intro"
    start_subtest(page)

    current_item(page, 1)
    expect(page.locator("#item-submit")).to_have_text("Save & continue")
    expect(page.locator("#item-number")).to_have_text("Question 1")
    expect(page.locator("#item-max")).to_contain_text("of at most 5")
    expect(page.locator("#overall-label")).to_have_text("Subtest 1 of 3")
    expect(page.locator(".clock-label")).to_have_text("Time left")
    expect(page.locator("#item-hint")).to_contain_text("Choose one answer")
    page.keyboard.press("a")
    expect(page.locator("#item-hint")).to_contain_text("cannot be changed")
    shot(page, "candidate-item-en")

    # a reload keeps the token (sessionStorage) and resumes at the same item; the choice was not sent
    page.reload()
    current_item(page, 1)
    expect(page.locator("#item-submit")).to_be_disabled()
    expect(page.locator("#item-submit")).to_have_text("Save & continue")

    # the language switch in the top bar changes the texts in place
    page.locator("#lang button", has_text="ID").click()
    expect(page.locator("#item-submit")).to_have_text("Simpan & lanjut")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    assert "lang=id" in page.url

    page.locator("#item-options .option").nth(0).click()
    page.locator("#item-submit").click()
    assert next_screen(page, 2) == "item"
    entries = live.get(f"/api/sessions/{cand['session_id']}/audit")["entries"]
    assert [(e["seq"], e["response"]) for e in entries if e["kind"] == "answer"] == [(1, 0)]


# --- 3. lost frames: the answer or its reply never arrives ---------------------------------------------------------


def test_lost_answer_and_lost_reply_are_resent_and_applied_once(live: Live, open_page: Any) -> None:
    room = live.new_room(1)
    cand = room["candidates"][0]
    page = open_page("/", wait=False)

    # a man in the middle of every candidate WebSocket of this page
    ctl: dict[str, Any] = {"mode": None, "sent": [], "swallowed": []}

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        sent: list[dict[str, Any]] = []
        ctl["sent"].append(sent)

        def from_page(message: str | bytes) -> None:
            frame = json.loads(message)
            sent.append(frame)
            if frame["type"] == "answer" and ctl["mode"] in ("drop_answer", "hold_answer"):
                ctl["swallowed"].append(frame)
                if ctl["mode"] == "drop_answer":  # the answer dies with the connection
                    ws.close(code=4000, reason="network")
                    server.close()
                ctl["mode"] = None
                return
            if frame["type"] == "answer" and ctl["mode"] == "drop_reply":
                ctl["mode"] = "dropping_reply"
            server.send(message)

        def from_server(message: str | bytes) -> None:
            if ctl["mode"] == "dropping_reply":  # the reply is lost, then the connection
                ctl["mode"] = None
                ctl["swallowed"].append(json.loads(message))
                ws.close(code=4000, reason="network")
                server.close()
                return
            ws.send(message)

        ws.on_message(from_page)
        server.on_message(from_server)

    def answers_sent(conn: int) -> list[dict[str, Any]]:
        return [f for f in ctl["sent"][conn] if f["type"] == "answer"]

    page.route_web_socket(re.compile(r".*/ws/candidate$"), route)
    page.goto(f"{live.base_url}/#t={cand['token']}")
    begin_battery(page)
    answers: dict[int, int] = {}

    # item 1: the answer never reaches the server; after the reconnect the page resends it, the server applies it
    current_item(page, 1)
    ctl["mode"] = "drop_answer"
    page.keyboard.press("2")
    answers[1] = 1
    page.keyboard.press("Enter")
    assert next_screen(page, 2) == "item"
    assert ctl["swallowed"] == [{"type": "answer", "seq": 1, "response": 1}]
    assert len(ctl["sent"]) == 2
    # before it: the hello, the battery's start and the subtest's (the practice sent nothing)
    assert [f["type"] for f in ctl["sent"][0]] == ["hello", "start", "start", "answer"]
    assert ctl["sent"][1][0]["type"] == "hello"  # resent only after a new hello (and its reply)
    assert answers_sent(1) == ctl["swallowed"]  # the very same answer, once

    # item 2: applied, but the reply is lost; after the reconnect the hello reply is item 3: nothing to resend
    current_item(page, 2)
    ctl["mode"] = "drop_reply"
    page.keyboard.press("c")
    answers[2] = 2
    page.keyboard.press("Enter")
    assert next_screen(page, 3) == "item"
    assert ctl["swallowed"][1]["type"] == "item" and ctl["swallowed"][1]["seq"] == 3  # the lost reply
    assert len(ctl["sent"]) == 3
    assert answers_sent(2) == []
    assert page.evaluate(f"sessionStorage.getItem('{PENDING_KEY}')") is None

    # item 3: the answer hangs (no reply, connection up) and the page is reloaded: the pending answer survives (its
    # reply may be the next subtest's intro: every subtest has at least three items, perhaps no more)
    current_item(page, 3)
    ctl["mode"] = "hold_answer"
    page.keyboard.press("1")
    answers[3] = 0
    page.keyboard.press("Enter")
    expect(page.locator("#item-submit")).to_have_text("Menyimpan...")
    expect(page.locator("#item-options input").first).to_be_disabled()
    assert ctl["swallowed"][2] == {"type": "answer", "seq": 3, "response": 0}
    pending = json.loads(page.evaluate(f"sessionStorage.getItem('{PENDING_KEY}')"))
    assert (pending["seq"], pending["response"]) == (3, 0)
    page.reload()
    assert next_screen(page, 4) == "item"
    assert len(ctl["sent"]) == 4
    assert answers_sent(3) == [ctl["swallowed"][2]]
    assert page.evaluate(f"sessionStorage.getItem('{PENDING_KEY}')") is None

    entries = live.get(f"/api/sessions/{cand['session_id']}/audit")["entries"]
    answer_entries = [(e["seq"], e["response"], e.get("outcome")) for e in entries if e["kind"] == "answer"]
    assert answer_entries == [(1, 1, None), (2, 2, None), (3, 0, None)], answer_entries


def test_drop_right_after_submitting_loses_nothing(live: Live, open_page: Any) -> None:
    """socket.drop() just after Enter: whichever way the race goes, each seq is applied once."""
    room = live.new_room(1)
    cand = room["candidates"][0]
    page = open_page(f"/#t={cand['token']}")
    begin_battery(page)
    answers: dict[int, int] = {}
    for seq in (1, 2, 3):
        current_item(page, seq)
        answers[seq] = choose_by_keyboard(page, seq)
        page.keyboard.press("Enter")
        page.evaluate("window.catCandidate.socket.drop()")
    total = answer_until_finished(page, 4, answers)
    entries = assert_exactly_once(live, cand["session_id"], answers, total)
    assert len([e for e in entries if e["kind"] == "hello"]) == 4  # the first connection and three reconnects


# --- 4. server restart ---------------------------------------------------------------------------------------------


def test_server_restart_mid_test_resumes_at_the_same_item(live: Live, open_page: Any, shot: Any) -> None:
    room = live.new_room(1)
    cand = room["candidates"][0]
    page = open_page(f"/#t={cand['token']}")
    answers: dict[int, int] = {}

    begin_battery(page)
    answers[1] = choose_by_keyboard(page, 1)
    page.keyboard.press("Enter")
    assert next_screen(page, 2) == "item"
    current_item(page, 2)
    stem = page.locator("#item-stem").inner_text()
    page.keyboard.press("d")  # chosen, not yet saved, when the server dies

    live.server.kill()
    banner = page.locator("#banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Koneksi terputus, menyambung ulang...")
    # the item stays on screen, but cannot be answered while the connection is down
    expect(page.locator("#item-stem")).to_have_text(stem)
    expect(page.locator("#item-options input").first).to_be_disabled()
    expect(page.locator("#item-submit")).to_be_disabled()
    page.keyboard.press("Enter")
    shot(page, "candidate-reconnecting")

    live.server.start()
    expect(banner).to_be_hidden(timeout=20000)
    current_item(page, 2)
    expect(page.locator("#item-stem")).to_have_text(stem)
    expect(page.locator("#item-options .option").nth(3)).to_have_class(re.compile(r"\bselected\b"))
    answers[2] = 3
    page.keyboard.press("Enter")
    total = answer_until_finished(page, 3, answers)
    assert_exactly_once(live, cand["session_id"], answers, total)


# --- 5. pause and resume by the proctor -------------------------------------------------------------------------------


def test_pause_with_reason_then_resume(live: Live, open_page: Any, shot: Any) -> None:
    room = live.new_room(1)
    cand = room["candidates"][0]
    sid = cand["session_id"]
    page = open_page(f"/#t={cand['token']}")
    begin_battery(page)
    page.keyboard.press("b")  # a choice made before the pause is still there after it

    reason = "Listrik padam di ruang sebelah, mohon tunggu sebentar."
    proctor(live, room, "pause", session_id=sid, reason=reason)
    expect(page.locator("#screen-paused")).to_be_visible()
    expect(page.locator("#screen-item")).to_be_hidden()
    expect(page.locator("#screen-paused h1")).to_have_text("Tes dihentikan sementara")
    expect(page.locator("#paused-reason-text")).to_have_text(reason)
    expect(page.locator("#clock")).to_have_class(re.compile(r"\bstopped\b"))
    frozen = page.locator("#clock-value").inner_text()

    # the proctor gives ten more minutes while paused: the `time` frame moves the countdown
    proctor(live, room, "extend", session_id=sid, seconds=600)
    expect(page.locator("#clock-value")).not_to_have_text(frozen)
    assert clock_seconds(page) >= 600 + int(frozen.split(":")[0]) * 60 + int(frozen.split(":")[1]) - 2
    page.keyboard.press("Enter")  # nothing to submit while paused
    shot(page, "candidate-paused")

    proctor(live, room, "resume", session_id=sid)
    current_item(page, 1)
    expect(page.locator("#screen-paused")).to_be_hidden()
    expect(page.locator("#item-options .option").nth(1)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("Enter")
    assert next_screen(page, 2) == "item"
    entries = live.get(f"/api/sessions/{sid}/audit")["entries"]
    assert [(e["seq"], e["response"]) for e in entries if e["kind"] == "answer"] == [(1, 1)]
    assert [e["command"] for e in entries if e["kind"] == "proctor"] == ["pause", "extend", "resume"]


# --- close codes: bad token, taken over, terminated ---------------------------------------------------------------


def test_bad_token_takeover_and_termination(live: Live, open_page: Any, shot: Any) -> None:
    room = live.new_room(1)
    cand = room["candidates"][0]

    # 4001: back to the token screen with a message, the typed token kept for correcting
    page = open_page("/")
    page.locator("#token-input").fill("ZZZZ-ZZZZ-ZZZZ")
    page.locator("#token-start").click()
    expect(page.locator("#token-error")).to_have_text(re.compile("Token tidak dikenal"))
    expect(page.locator("#token-input")).to_have_value("ZZZZ-ZZZZ-ZZZZ")
    assert page.evaluate("sessionStorage.getItem('cat.candidate.token')") is None
    shot(page, "candidate-token-error")

    # the right token (spaces instead of dashes) from the same screen
    page.locator("#token-input").fill(" " + " ".join(dashed_lower(cand["token"]).split("-")) + " ")
    page.locator("#token-start").click()
    begin_battery(page)

    # 4002: the same token opened in another window of this browser (the same computer: the same device id) takes
    # the session over at once; this page says so and does not reconnect by itself (another computer would wait for
    # the proctor's approval instead: test_seats_and_messages.py)
    errors: list[str] = []
    other = page.context.new_page()
    other.on("pageerror", lambda exc: errors.append(str(exc)))
    other.goto(f"{live.base_url}/#t={cand['token']}")
    current_item(other, 1)
    on_screen(page, "takeover")
    expect(page.locator("#screen-takeover")).to_have_attribute("data-kind", "window")
    expect(page.locator("#screen-takeover h1")).to_have_text("Tes dibuka di jendela lain")
    expect(page.locator("#takeover-continue")).to_have_text("Lanjutkan di jendela ini")
    assert page.evaluate("window.catCandidate.socket") is None
    shot(page, "candidate-takeover")
    # "continue here" takes it back (the same device: no approval needed)
    page.locator("#takeover-continue").click()
    current_item(page, 1)
    on_screen(other, "takeover")
    expect(other.locator("#screen-takeover")).to_have_attribute("data-kind", "window")
    other.close()
    assert errors == []

    # 4003: terminated by the proctor: a final screen
    proctor(live, room, "terminate", session_id=cand["session_id"], reason="Peserta pindah jadwal")
    expect(page.locator("#screen-terminated")).to_be_visible()
    expect(page.locator("#screen-terminated h1")).to_have_text("Sesi tes telah diakhiri")
    shot(page, "candidate-terminated")
    assert page.evaluate("window.catCandidate.socket") is None
    page.reload()
    expect(page.locator("#screen-terminated")).to_be_visible()


# --- the room closed, then opened; the steps kept; the device id -----------------------------------------------------


def test_closed_room_waits_then_the_welcome_comes_and_steps_are_kept(live: Live, open_page: Any) -> None:
    room = live.new_room(1, open=False)
    cand = room["candidates"][0]
    page = open_page("/", wait=False)
    sent = frames_sent(page)
    page.goto(f"{live.base_url}/#t={cand['token']}")

    # a calm wait; the connection stays open (no reconnects, no banner)
    on_screen(page, "waiting")
    heading_focused(page, "waiting")
    expect(page.locator("#waiting-text")).to_have_text("Ruang belum dibuka oleh pengawas. Mohon tunggu.")
    expect(page.locator("body")).to_have_attribute("data-connection", "ready")
    page.locator("#lang button", has_text="EN").click()
    expect(page.locator("#waiting-text")).to_have_text("The proctor has not opened the room yet. Please wait.")
    expect(page.locator("#waiting-title")).to_have_text("Please wait")
    page.locator("#lang button", has_text="ID").click()
    expect(page.locator("#banner")).to_be_hidden()
    assert session_summary(live, cand["session_id"])["phase"] == "ready"

    # the device id: made once, kept in localStorage, sent in the hello; the server keeps it in the audit
    device = page.evaluate(f"localStorage.getItem('{DEVICE_KEY}')")
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", device), device
    assert sent == [{"type": "hello", "token": cand["token"], "device": device}]

    # the proctor opens the room: the welcome arrives on the same connection
    ack = proctor(live, room, "open_room")
    assert ack["room"] == {"open": True}, ack
    on_screen(page, "confirm")
    expect(page.locator("#confirm-name")).to_have_text(cand["name"])
    assert [f["type"] for f in sent] == ["hello"]

    # on to "Mulai tes"; the proctor closes the room just before it is pressed: the page waits again
    page.locator("#confirm-yes").click()
    page.locator("#instructions-next").click()
    on_screen(page, "practice")
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    on_screen(page, "begin")
    proctor(live, room, "close_room")
    page.locator("#begin-start").click()
    on_screen(page, "waiting")
    expect(page.locator("#waiting-text")).to_have_text("Ruang belum dibuka oleh pengawas. Mohon tunggu.")
    # opened again: the welcome comes back, and the page goes on from the step the candidate had reached
    proctor(live, room, "open_room")
    on_screen(page, "begin")
    expect(page.locator("#begin-start")).to_be_enabled()
    page.locator("#begin-start").click()
    on_screen(page, "intro")

    # a reload sends the same device id again; another browser has another
    page.reload()
    on_screen(page, "intro")
    hellos = [f for f in sent if f["type"] == "hello"]
    assert len(hellos) == 2 and {h["device"] for h in hellos} == {device}, hellos
    assert page.evaluate(f"localStorage.getItem('{DEVICE_KEY}')") == device
    other = open_page("/")
    other_device = other.evaluate("() => localStorage.getItem('cat.device')")
    assert other_device is None  # made when needed: at the first hello
    other.locator("#token-input").fill("ZZZZ-ZZZZ-ZZZZ")
    other.locator("#token-start").click()
    expect(other.locator("#token-error")).to_be_visible()
    other_device = other.evaluate(f"localStorage.getItem('{DEVICE_KEY}')")
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", other_device) and other_device != device

    entries = live.get(f"/api/sessions/{cand['session_id']}/audit")["entries"]
    assert [e.get("device") for e in entries if e["kind"] == "hello"] == [device, device]
    starts = [(e["subtest"], e.get("outcome")) for e in entries if e["kind"] == "start"]
    assert starts == [(None, "room_closed"), (None, None)], starts


# --- the clock runs only in a subtest --------------------------------------------------------------------------------


def test_time_left_does_not_move_before_start_nor_during_an_intro(live: Live, open_page: Any) -> None:
    room = live.new_room(1)
    cand = room["candidates"][0]
    sid = cand["session_id"]
    page = open_page(f"/#t={cand['token']}")

    def still(phase: str) -> float | None:
        """The session's time left now and a moment later: the same, in ``phase``; no clock on the page."""
        first = session_summary(live, sid)
        time.sleep(1.2)
        second = session_summary(live, sid)
        assert first["phase"] == second["phase"] == phase, (first, second)
        assert second["time_left_s"] == first["time_left_s"], (first, second)
        expect(page.locator("#clock")).to_be_hidden()
        left: float | None = first["time_left_s"]
        return left

    on_screen(page, "confirm")
    still("ready")
    confirm_and_start(page)
    at_intro = still("intro")
    assert at_intro in (None, 1800), at_intro  # not started: the whole limit, or none shown yet
    # a reload at the intro does not start it either
    page.reload()
    on_screen(page, "intro")
    assert still("intro") == at_intro
    start_subtest(page)
    current_item(page, 1)
    expect(page.locator("#clock")).to_be_visible()
    assert clock_seconds(page) <= 1800
    # now it runs (the same reading as above, which did not move before)
    first = session_summary(live, sid)
    time.sleep(1.2)
    second = session_summary(live, sid)
    assert first["phase"] == second["phase"] == "active"
    assert second["time_left_s"] < first["time_left_s"] <= 1800, (first, second)


# --- every screen fits a lab screen, in both languages (and screenshots of them) -------------------------------------

VIEWPORTS = {"768": {"width": 1366, "height": 768}, "657": {"width": 1366, "height": 657}}


def assert_fits(page: Page, *visible: str) -> None:
    """Nothing scrolls but what is meant to (a card's body, a stem): neither the document nor ``main``; and each of
    ``visible`` (the screen's buttons) lies wholly inside the window."""
    sizes = page.evaluate(
        """() => {
            const m = document.querySelector("main"), d = document.scrollingElement;
            return {main: m.scrollHeight - m.clientHeight, doc: d.scrollHeight - innerHeight,
                    wide: d.scrollWidth - innerWidth, height: innerHeight, width: innerWidth};
        }"""
    )
    assert sizes["main"] <= 0 and sizes["doc"] <= 0 and sizes["wide"] <= 0, sizes
    for selector in visible:
        box = page.locator(selector).bounding_box()
        assert box is not None, selector
        assert box["y"] >= 0 and box["y"] + box["height"] <= sizes["height"], (selector, box, sizes)
        assert box["x"] >= 0 and box["x"] + box["width"] <= sizes["width"], (selector, box, sizes)


SCREEN_TEXTS = {
    "waiting": ("#waiting-title", "Mohon tunggu", "Please wait"),
    "confirm": ("#confirm-title", "Periksa data Anda", "Check your details"),
    "instructions": ("#instructions-title", "Petunjuk", "Instructions"),
    "practice": ("#practice-title", "Soal latihan 1 dari 1", "Practice question 1 of 1"),
    "begin": ("#begin-title", "Latihan selesai", "Practice done"),
    "intro": ("#intro-of", "Subtes 1 dari 3", "Subtest 1 of 3"),
}
SCREEN_BUTTONS = {
    "waiting": (),
    "confirm": ("#confirm-yes", "#confirm-not-me-button"),
    "instructions": ("#instructions-next",),
    "practice": ("#practice-submit",),
    "begin": ("#begin-start", "#begin-back"),
    "intro": ("#intro-start",),
}


def test_screens_before_the_items_fit_in_both_languages(live: Live, open_page: Any, shot: Any) -> None:
    combos = [(size, lang) for size in VIEWPORTS for lang in ("id", "en")]
    room = live.new_room(len(combos), open=False)
    pages: list[tuple[str, str, Page]] = []
    for (size, lang), cand in zip(combos, room["candidates"], strict=True):
        page = open_page(f"/?lang={lang}#t={cand['token']}")
        page.set_viewport_size(VIEWPORTS[size])
        pages.append((size, lang, page))

    def check(size: str, lang: str, page: Page, screen: str) -> None:
        on_screen(page, screen)
        selector, text_id, text_en = SCREEN_TEXTS[screen]
        expect(page.locator(selector)).to_have_text(text_id if lang == "id" else text_en)
        assert_fits(page, *SCREEN_BUTTONS[screen])
        shot(page, f"candidate-{screen}-{lang}-{size}")
        if lang == "id":  # the switch works on this screen, and back
            page.locator("#lang button", has_text="EN").click()
            expect(page.locator(selector)).to_have_text(text_en)
            assert_fits(page, *SCREEN_BUTTONS[screen])
            page.locator("#lang button", has_text="ID").click()
            expect(page.locator(selector)).to_have_text(text_id)

    for size, lang, page in pages:
        check(size, lang, page, "waiting")
    proctor(live, room, "open_room")
    for size, lang, page in pages:
        check(size, lang, page, "confirm")
        page.locator("#confirm-not-me-button").click()  # the longest confirm screen: with the call-the-proctor note
        expect(page.locator("#confirm-not-me")).to_be_visible()
        assert_fits(page, *SCREEN_BUTTONS["confirm"])
        page.locator("#confirm-yes").click()
        check(size, lang, page, "instructions")
        # the warning is in view at once; what does not fit scrolls inside the card
        warning = page.locator(".final-warning").bounding_box()
        assert warning is not None and warning["y"] + warning["height"] <= VIEWPORTS[size]["height"]
        page.locator("#instructions-next").click()
        check(size, lang, page, "practice")
        page.keyboard.press("b")
        page.keyboard.press("Enter")
        expect(page.locator("#practice-feedback")).to_be_visible()
        assert_fits(page, "#practice-submit", "#practice-feedback")
        shot(page, f"candidate-practice-done-{lang}-{size}")
        page.keyboard.press("Enter")
        check(size, lang, page, "begin")
        page.locator("#begin-start").click()
        check(size, lang, page, "intro")


# --- the longest items of the demo pools fit, through a page fed frames of the test's own ----------------------------


def _pool_items() -> list[tuple[str, dict[str, Any]]]:
    """Per demo pool: the item with the longest stem and the one with the most text (stem and options)."""
    chosen: list[tuple[str, dict[str, Any]]] = []
    for path in sorted((REPO_ROOT / "item_pools").glob("*.json")):
        items = json.loads(path.read_text(encoding="utf-8"))["items"]
        longest_stem = max(items, key=lambda it: len(it["stem"]))
        most_text = max(items, key=lambda it: len(it["stem"]) + sum(len(o) for o in it["options"]))
        chosen.append((f"{path.stem}-stem", longest_stem))
        if most_text["id"] != longest_stem["id"]:
            chosen.append((f"{path.stem}-text", most_text))
    return chosen


def item_frame(item: dict[str, Any], seq: int = 7) -> dict[str, Any]:
    return {
        "type": "item",
        "seq": seq,
        "item": {"id": item["id"], "stem": item["stem"], "options": item["options"]},
        "subtest": {"index": 1, "id": "literasi-digital", "name": "Manajerial & Sosial Kultural", "count": 3},
        "progress": {"answered": 6, "max_items": 40, "subtests_done": 1, "subtests_total": 3},
        "time_left_s": 1500,
    }


def fake_server(page: Page, reply: Callable[[int, dict[str, Any]], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Answer the page's candidate WebSocket from the test: ``reply(connection number, frame)`` gives the frames to
    send back. Returns the frames the page sent."""
    sent: list[dict[str, Any]] = []
    connections = [0]

    def route(ws: WebSocketRoute) -> None:
        connections[0] += 1
        conn = connections[0]

        def on_message(message: str | bytes) -> None:
            frame = json.loads(message)
            sent.append(frame)
            for out in reply(conn, frame):
                ws.send(json.dumps(out))

        ws.on_message(on_message)

    page.route_web_socket(re.compile(r".*/ws/candidate$"), route)
    return sent


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_longest_items_of_each_pool_fit_with_the_button_in_view(
    live: Live, open_page: Any, shot: Any, size: str
) -> None:
    items = _pool_items()
    assert len(items) >= 3
    stretched = dict(items[0][1], id="X-LONG", stem=" ".join([items[0][1]["stem"]] * 4))  # longer than any pool has
    current: dict[str, Any] = {}
    page = open_page("/", wait=False)
    page.set_viewport_size(VIEWPORTS[size])
    fake_server(page, lambda conn, frame: [item_frame(current["item"])] if frame["type"] == "hello" else [])

    for name, item in [*items, ("stretched", stretched)]:
        current["item"] = item
        page.goto("about:blank")
        page.goto(f"{live.base_url}/#t=ABCD-EFGH-JKMN")
        current_item(page, 7)
        expect(page.locator("#item-stem")).to_have_text(item["stem"])
        expect(page.locator("#item-options .option")).to_have_count(len(item["options"]))
        page.keyboard.press("e" if len(item["options"]) >= 5 else "a")
        assert_fits(page, "#item-submit", "#item-hint", "#clock")
        # every option is wholly in view; a stem that does not fit scrolls inside its own card
        for box in [page.locator("#item-options .option").nth(i).bounding_box() for i in range(len(item["options"]))]:
            assert box is not None and box["y"] + box["height"] <= VIEWPORTS[size]["height"], (name, box)
        stem = page.locator("#item-stem").evaluate(
            "el => ({scroll: el.scrollHeight, client: el.clientHeight, overflow: getComputedStyle(el).overflowY})"
        )
        assert stem["client"] >= 60, (name, stem)  # at least a couple of lines of the stem in view
        if name == "stretched":
            assert stem["scroll"] > stem["client"] and stem["overflow"] == "auto", stem
            page.locator("#item-stem").focus()
            page.keyboard.press("End")  # the stem scrolls by keyboard too
            for _ in range(50):  # smooth scrolling takes a moment
                if page.locator("#item-stem").evaluate("el => el.scrollTop") > 0:
                    break
                page.wait_for_timeout(100)
            assert page.locator("#item-stem").evaluate("el => el.scrollTop") > 0
        elif size == "768":
            assert stem["scroll"] <= stem["client"], (name, stem)  # on a 1366x768 window every pool stem fits whole
        shot(page, f"candidate-longest-{name}-{size}")


def test_unknown_wait_and_not_started_show_the_sessions_screen(live: Live, open_page: Any) -> None:
    """A `waiting` of an unknown reason shows a general wait; an answer refused as `not_started` (a page out of step:
    the server shows an intro) reconnects, and the hello's reply puts the right screen up, the answer forgotten."""
    intro = {
        "type": "subtest_intro",
        "subtest": {
            "index": 1,
            "id": "b",
            "name": "Literasi Digital",
            "count": 3,
            "items_max": 40,
            "instructions": None,
        },
        "time_limit_s": None,
        "starts_in_s": 250,
    }
    item = _pool_items()[0][1]

    def reply(conn: int, frame: dict[str, Any]) -> list[dict[str, Any]]:
        if frame["type"] == "hello":
            return (
                [{"type": "waiting", "reason": "maintenance"}]
                if conn == 1
                else [item_frame(item)]
                if conn == 2
                else [intro]
            )
        if frame["type"] == "answer":
            return [{"type": "error", "code": "not_started", "message": "send start first"}]
        return []

    page = open_page("/", wait=False)
    sent = fake_server(page, reply)
    page.goto(f"{live.base_url}/?lang=en#t=ABCD-EFGH-JKMN")
    on_screen(page, "waiting")
    expect(page.locator("#waiting-text")).to_have_text("The test cannot start yet. Please wait in your seat.")
    page.locator("#lang button", has_text="ID").click()
    expect(page.locator("#waiting-text")).to_have_text("Tes belum dapat dimulai. Mohon tunggu di tempat Anda.")
    page.evaluate("window.catCandidate.socket.drop()")
    current_item(page, 7)
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    on_screen(page, "intro", timeout=10000)
    expect(page.locator("#intro-title")).to_have_text("Literasi Digital")
    expect(page.locator("#intro-limit")).to_have_text("Batas waktu: Tanpa batas waktu")
    expect(page.locator("#intro-instructions-box")).to_be_hidden()
    expect(page.locator("#intro-previous")).to_be_hidden()
    expect(page.locator("#clock")).to_be_hidden()
    assert page.evaluate(f"sessionStorage.getItem('{PENDING_KEY}')") is None
    assert [f["type"] for f in sent] == ["hello", "hello", "answer", "hello"], sent
    page.locator("#intro-start").click()
    expect(page.locator("#intro-start")).to_be_disabled()  # sent once, until the reply
    assert sent[-1] == {"type": "start", "subtest": 1}


# --- subtest time running out, intros starting by themselves ----------------------------------------------------------


@pytest.fixture(scope="module")
def timed_server(tmp_path_factory: pytest.TempPathFactory, private_redis: RedisServer) -> Iterator[ServerProcess]:
    """A second server whose subtests last 4 seconds each and whose intros start their subtest by themselves after
    3 seconds (same private Redis, its own key prefix)."""
    workdir = tmp_path_factory.mktemp("browser-timed")
    battery = short_battery(workdir, time_limit_s=4)
    server = ServerProcess(
        workdir,
        admin_token=secrets.token_urlsafe(16),
        redis_url=private_redis.url,
        key_prefix=f"bt{secrets.token_hex(4)}",
        env={"CAT_BATTERIES": str(battery), "CAT_DEMO_ROOM": "0", "CAT_INTRO_LIMIT_S": "3"},
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_time_up_moves_on_with_a_gentle_notice(timed_server: ServerProcess, browser: Any, shot: Any) -> None:
    api = AdminApi(timed_server.base_url, timed_server.admin_token)

    async def make() -> dict[str, Any]:
        room = await api.create_room("Ruang Waktu", "cact-short", open=True)
        room["candidates"] = await api.register(room["room_id"], [("199001012020121099", "Peserta Waktu")])
        return room

    cand = run_async(make())["candidates"][0]
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sent = frames_sent(page)
        page.goto(f"{timed_server.base_url}/#t={cand['token']}")
        confirm_and_start(page)
        # nobody presses "Mulai": the intro counts down and the subtest starts by itself
        expect(page.locator("#intro-countdown")).to_have_text(re.compile(r"^Mulai otomatis dalam 00:0[0-3]$"))
        expect(page.locator("#intro-limit")).to_have_text("Batas waktu: 4 detik")
        current_item(page, 1)
        expect(page.locator("#clock")).to_have_class(re.compile(r"\bwarn\b"))  # under five minutes
        expect(page.locator("#clock-value")).to_have_text(re.compile(r"^00:0[0-4]$"))
        # nobody answers: the server pushes the next subtest's intro, which says why, calmly
        on_screen(page, "intro", timeout=15000)
        notice = page.locator("#intro-previous")
        expect(notice).to_be_visible()
        expect(notice).to_have_text(
            re.compile(r"^Waktu subtes .+ habis; jawaban yang sudah disimpan tetap dihitung\.$")
        )
        expect(notice).to_have_class(re.compile(r"\bwarn\b"))
        expect(page.locator("#intro-of")).to_have_text("Subtes 2 dari 3")
        expect(page.locator("#clock")).to_be_hidden()
        shot(page, "candidate-time-up")
        # and again, to the end of the battery, without a key pressed
        expect(page.locator("#screen-finished")).to_be_visible(timeout=30000)
        expect(page.locator("#profile-rows tr")).to_have_count(3)
        expect(page.locator("#profile-rows tr").first.locator("td").first).to_have_text("Tidak dinilai")
        expect(page.locator("#profile-rows .level-certainty")).to_have_count(0)  # no level, no certainty
        # the page started the battery and nothing else: the intros ran out on the server
        assert [f for f in sent if f["type"] != "ping"] == [sent[0], {"type": "start"}], sent

        async def audit() -> list[dict[str, Any]]:
            return await api.audit(cand["session_id"])

        kinds = [e["kind"] for e in run_async(audit())]
        assert kinds.count("intro_ended") == 3, kinds
    finally:
        context.close()
    assert not errors, errors
