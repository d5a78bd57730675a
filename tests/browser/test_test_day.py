"""A test day in two pages: a candidate in the candidate page, the proctor watching in the console.

The candidate confirms who they are, reads the instructions, practises and starts (the console shows them at the
welcome, then active); they complete a subtest while the console follows every answer live, and the next subtest's
intro waits for them (the console shows it) until they press "Mulai"; the proctor pauses the candidate
from the console (with the confirmation), the candidate page shows the pause, the proctor resumes; the candidate's
network drops mid-test and then the server itself is killed and started again, and the battery still finishes with
every answer applied exactly once. Both pages run in Chromium against the real server over a private Redis.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import Live
from .test_candidate_page import (
    assert_exactly_once,
    begin_battery,
    choose_by_keyboard,
    current_item,
    next_screen,
    on_screen,
    start_subtest,
)


def answer_one(page: Page, seq: int, answers: dict[int, int]) -> None:
    current_item(page, seq)
    answers[seq] = choose_by_keyboard(page, seq)
    page.keyboard.press("Enter")


def test_a_test_day_in_two_pages(live: Live, open_page: Callable[..., Page], shot: Callable[[Page, str], Path]) -> None:
    room = live.new_room(3, name="Ruang 1 — Kanreg Makassar")
    me = room["candidates"][0]
    sid = me["session_id"]

    console: Page = open_page("/proctor#t=" + room["proctor_token"])
    expect(console.locator("#conn")).to_have_attribute("data-state", "open")
    row = console.locator(f'#rows tr[data-session="{sid}"]')
    expect(row.locator(".status")).to_have_text("Belum mulai")

    page: Page = open_page("/#t=" + me["token"])
    answers: dict[int, int] = {}
    on_screen(page, "confirm")
    expect(row.locator(".status")).to_have_text("Di halaman sambutan")
    begin_battery(page)
    expect(row.locator(".status")).to_have_text("Aktif")
    expect(row.locator("td.ans")).to_have_attribute("data-answered", "0")

    # the first subtest, answer by answer; the console follows each one
    seq = 1
    while True:
        answer_one(page, seq, answers)
        seq += 1
        kind = next_screen(page, seq, through_intro=False)
        expect(row.locator("td.ans")).to_have_attribute("data-total", str(seq - 1))
        if kind == "intro":
            break
        expect(row.locator("td.ans")).to_have_attribute("data-answered", str(seq - 1))
        expect(row.locator("td.se")).to_have_attribute("data-se", re.compile(r"^\d\.\d+"))
    # the candidate page's intro says the subtest is done and waits; the console shows the intro, nothing answered
    expect(page.locator("#intro-previous")).to_be_visible()
    expect(row.locator(".status")).to_have_text("Petunjuk subtes")
    expect(row.locator("td.ans")).to_have_attribute("data-answered", "0")
    start_subtest(page)
    current_item(page, seq)
    expect(row.locator(".status")).to_have_text("Aktif")
    first_done = seq - 1
    session = live.get(f"/api/sessions/{sid}")["session"]
    assert (session["subtest_index"], session["answered_total"]) == (1, first_done)
    shot(console, "test-day-console-live")

    # the proctor pauses the candidate from the console, with a reason; the candidate page shows it
    row.locator("button.act-pause").click()
    dialog = console.locator("dialog#confirm")
    expect(dialog.locator("#confirm-who")).to_contain_text(me["name"])
    dialog.locator("#confirm-reason").fill("Mohon tunggu, ada pengumuman")
    dialog.locator("#confirm-ok").click()
    expect(page.locator("body")).to_have_attribute("data-screen", "paused")
    expect(page.locator("#paused-reason-text")).to_have_text("Mohon tunggu, ada pengumuman")
    expect(row.locator(".status")).to_have_text("Dijeda")
    shot(page, "test-day-candidate-paused")
    row.locator("button.act-resume").click()
    dialog.locator("#confirm-ok").click()
    current_item(page, seq)
    expect(row.locator(".status")).to_have_text("Aktif")

    # the network drops with an answer on its way; the page reconnects and resends it: applied once
    current_item(page, seq)
    answers[seq] = choose_by_keyboard(page, seq)
    page.keyboard.press("Enter")
    page.evaluate("window.catCandidate.socket.drop()")
    seq += 1
    assert next_screen(page, seq) == "item"
    expect(row.locator("td.ans")).to_have_attribute("data-total", str(seq - 1))

    # the server is killed and started again (Redis keeps everything): both pages come back by themselves
    live.server.kill()
    expect(console.locator("#conn")).not_to_have_attribute("data-state", "open")
    live.server.start()
    expect(console.locator("#conn")).to_have_attribute("data-state", "open", timeout=20000)
    current_item(page, seq)
    expect(row.locator(".status")).to_have_text("Aktif")

    # to the end; the console sees the finish, and the audit shows every answer applied exactly once
    while next_screen(page, seq) == "item":
        answer_one(page, seq, answers)
        seq += 1
    total = seq - 1
    expect(page.locator("#profile-rows tr")).to_have_count(3)
    expect(row.locator(".status")).to_have_text("Selesai")
    expect(row.locator("td.ans")).to_have_attribute("data-total", str(total))
    assert_exactly_once(live, sid, answers, total)
    kinds = [e.get("command") for e in live.get(f"/api/sessions/{sid}/audit")["entries"] if e["kind"] == "proctor"]
    assert kinds == ["pause", "resume"]

    # the detail view charts one point per answer of the first subtest
    row.click()
    chart = console.locator("dialog#detail #chart")
    console.locator("dialog#detail #chart-tabs button").first.click()
    expect(chart.locator('[data-series="theta"] circle')).to_have_count(first_done)
