"""The integrity report where the administrator acts: the admin page's view of a room's report
(``GET /api/rooms/{room_id}/integrity``, admin_integrity.js), against the live server (docs/pages.md, "Admin page").

A rapid guesser (the protocol client answering each item the moment it arrives, as in test_proctor_flags.py) is
listed with its reason in plain words and its p-value against the threshold, drawn as a marked point in the p-value
plot, and the report downloads as CSV. Three seats answered by one "operator" (one client loop answering the seats in
turn, with lognormal think times) are flagged by the room timing, and the page draws their answers on one time axis,
one lane per seat, each stroke where the server's arrival time puts it. What the page shows is checked against the
report the server gives.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cat_engine.server.integrity import CSV_COLUMNS

from .conftest import Live
from .test_proctor_console import (
    PAGES,
    Loop,
    OpenPage,
    Shot,
    answer,
    begin,
    candidate,
    console_errors,
    no_console_errors,  # noqa: F401 (autouse: console errors of the pages fail the test)
)

RAPID_ID = "Menjawab terlalu cepat pada banyak soal (kemungkinan menebak)"
RAPID_EN = "Answered many questions implausibly fast (likely guessing)"
OPERATOR_ID = "Waktu menjawab terkait dengan kursi lain"
FAST_ANSWERS = 7  # past the fifth timed answer, where the rapid flag is raised
# the timing plot's geometry (admin_integrity_plots.js): the plot spans x = 150 .. 720 - 22 of the viewBox
X0, X1 = 150.0, 698.0


@pytest.fixture
def bg() -> Iterator[Loop]:
    loop = Loop()
    try:
        yield loop
    finally:
        loop.close()


def admin_page(open_page: OpenPage, live: Live, room_id: str, lang: str | None = None) -> Page:
    """The admin page signed in and showing ``room_id``; its console errors fail the test."""
    page = open_page("/admin", wait=False)
    PAGES.append((page, console_errors(page)))
    page.goto(f"{live.base_url}/admin{'?lang=' + lang if lang else ''}#room={room_id}")
    page.locator("#token-input").fill(live.admin_token)
    page.locator("#signin-form button[type=submit]").click()
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#room-id")).to_have_text(room_id)
    return page


def open_integrity(page: Page) -> None:
    """Open the view with the keyboard: the heading takes the focus, the report is drawn."""
    button = page.locator("#integrity-btn")
    expect(button).to_have_attribute("aria-expanded", "false")
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#integrity")).to_be_visible()
    expect(page.locator("#integrity-h")).to_be_focused()
    expect(page.locator("#integrity-body")).to_be_visible()


def report_of(live: Live, room_id: str) -> dict[str, Any]:
    report: dict[str, Any] = live.get(f"/api/rooms/{room_id}/integrity")
    return report


def test_a_rapid_guesser_in_the_rooms_integrity_report(live: Live, open_page: OpenPage, bg: Loop, shot: Shot) -> None:
    room = live.new_room(3, name="Ruang Laporan Integritas")
    fast, slow, absent = room["candidates"]
    client = candidate(bg, live, fast)
    bg.run(begin(client))
    bg.run(answer(client, FAST_ANSWERS))
    other = candidate(bg, live, slow)
    bg.run(begin(other))
    bg.run(answer(other, 2))  # too few answers to test: no statistic, no flag

    report = report_of(live, room["room_id"])
    by_id = {s["session_id"]: s for s in report["sessions"]}
    assert by_id[fast["session_id"]]["flags"] == ["rapid"], by_id[fast["session_id"]]
    assert by_id[slow["session_id"]]["flags"] == [] and by_id[absent["session_id"]]["flags"] == []
    rapid = next(s for s in by_id[fast["session_id"]]["statistics"] if s["kind"] == "rapid")
    assert rapid["flagged"] and rapid["p_value"] <= rapid["threshold"] == 0.002, rapid

    page = admin_page(open_page, live, room["room_id"])
    open_integrity(page)
    view = page.locator("#integrity")
    expect(view.locator(".integrity-note")).to_contain_text("bukan bukti kecurangan")
    expect(page.locator("#integrity-summary")).to_contain_text("3 sesi, 1 ditandai")

    # the table: the flagged candidate only, the kind, its reason in plain words (the console's), the p-value
    groups = page.locator("#integrity-table tbody")
    expect(groups).to_have_count(1)
    group = page.locator(f'#integrity-table tbody[data-session="{fast["session_id"]}"]')
    expect(group).to_have_attribute("data-kinds", "rapid")
    expect(group.locator("th.who .name")).to_have_text(fast["name"])
    expect(group.locator("th.who .ids")).to_have_text(f"{fast['employee_id']} · {fast['session_id']}")
    flag_row = group.locator('tr[data-kind="rapid"]')
    expect(flag_row.locator(".reason-text")).to_have_text(RAPID_ID)
    p_words = "p < 0,0001" if rapid["p_value"] < 1e-4 else re.compile(r"^p = 0,\d+")
    expect(flag_row.locator(".p")).to_contain_text(p_words)
    expect(flag_row.locator(".p")).to_contain_text("(ambang 0,002)")

    # the p-value plot: a row per statistic kind, a point per statistic the server computed, the flagged one a
    # diamond; on the log axis it lies right of (under) the dashed threshold
    plot = page.locator("#integrity-p-plot svg")
    expect(plot).to_have_attribute("role", "img")
    expect(plot).to_have_attribute("aria-labelledby", re.compile(r"^chart-title-"))
    expect(plot.locator(".strip")).to_have_count(5)
    computed = sum(len(s["statistics"]) for s in report["sessions"])
    expect(plot.locator(".pt")).to_have_count(computed)
    marked = plot.locator(f'.strip[data-kind="rapid"] path.pt.flagged[data-session="{fast["session_id"]}"]')
    expect(marked).to_have_count(1)
    expect(marked.locator("title")).to_have_text(re.compile(rf"^{re.escape(fast['name'])}: p .* — ditandai$"))
    threshold = plot.locator('.strip[data-kind="rapid"] .ref-threshold')
    expect(threshold).to_have_attribute("data-threshold", "0.002")
    mark_x = marked.evaluate("e => e.getBBox().x + e.getBBox().width / 2")
    line_x = float(threshold.get_attribute("x1") or "nan")
    assert mark_x > line_x, (mark_x, line_x)
    flagged_stats = sum(
        1 for s in report["sessions"] for st in s["statistics"] if st["flagged"] or st["kind"] in s["flags"]
    )
    expect(page.locator("#integrity-p-plot")).to_have_attribute("data-flagged", str(flagged_stats))
    # the room timing: one seat with answers would not be tested; here two, too few answers to flag
    expect(page.locator("#integrity-timing .timing-group")).to_have_count(0)
    expect(page.locator("#integrity-timing-summary")).to_contain_text("kelompok ditandai")
    page.locator("#integrity-h").evaluate("e => e.scrollIntoView()")
    shot(page, "admin-integrity")

    # the CSV: the server's, one row per session
    with page.expect_download() as info:
        page.locator("#integrity-csv").click()
    download = info.value
    assert download.suggested_filename == f"integrity-{room['room_id']}.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["session_id"] for r in rows] == [s["session_id"] for s in report["sessions"]]
    assert {r["session_id"]: r["flags"] for r in rows}[fast["session_id"]] == "rapid"
    expect(page.locator("#integrity-msg")).to_contain_text("3 baris")

    # in English: the same reason in the console's English words
    page.locator("#lang button[lang=en]").click()
    expect(flag_row.locator(".reason-text")).to_have_text(RAPID_EN)
    expect(view.locator(".integrity-note")).to_contain_text("not proof of cheating")
    expect(flag_row.locator(".p")).to_contain_text("(threshold 0.002)")

    # the same button closes it
    page.locator("#integrity-btn").click()
    expect(page.locator("#integrity")).to_be_hidden()


async def operator(clients: list[Any], per_seat: int, seed: int) -> None:
    """One person answering ``clients`` in turn, ``per_seat`` answers each, thinking a lognormal time (median
    150 ms) before each answer: one answer at a time, never two seats at once."""
    rng = random.Random(seed)
    for _ in range(per_seat):
        for client in clients:
            await asyncio.sleep(rng.lognormvariate(-1.9, 0.8))
            await answer(client, 1)


def test_one_operator_for_three_seats_is_drawn_on_one_time_axis(
    live: Live, open_page: OpenPage, bg: Loop, shot: Shot
) -> None:
    # the demo battery (at least 8 to 10 items a subtest): enough answers per seat for the room timing (20)
    room = live.new_room(3, name="Ruang Satu Operator", battery="cact-demo")
    clients = [candidate(bg, live, who) for who in room["candidates"]]
    for client in clients:
        bg.run(begin(client))
    bg.run(operator(clients, 30, seed=7), timeout=120)

    report = report_of(live, room["room_id"])
    timing = report["room_timing"]
    ids = [c["session_id"] for c in room["candidates"]]
    operator_flags = [f for f in timing["flags"] if f["kind"] == "operator"]
    assert [sorted(f["sessions"]) for f in operator_flags] == [sorted(ids)], timing["flags"]
    flag = operator_flags[0]
    assert len(flag["arrival_ms"]) == len(flag["sessions"]) and all(len(a) == 30 for a in flag["arrival_ms"])

    page = admin_page(open_page, live, room["room_id"])
    open_integrity(page)
    # each seat's row names the operator flag with the two other seats
    for who in room["candidates"]:
        row = page.locator(f'#integrity-table tbody[data-session="{who["session_id"]}"] tr[data-kind="operator"]')
        expect(row.locator(".reason-text")).to_contain_text(OPERATOR_ID)
        others = [c["name"] for c in room["candidates"] if c is not who]
        expect(row.locator(".with")).to_contain_text(others[0])
        expect(row.locator(".with")).to_contain_text(others[1])

    k = [f["kind"] for f in timing["flags"]].index("operator")
    figure = page.locator(f'#integrity-timing .timing-group[data-group="{k}"]')
    expect(figure).to_have_attribute("data-kind", "operator")
    expect(figure.locator("h5")).to_contain_text("Satu operator")
    svg = figure.locator("svg.timing-plot")
    expect(svg).to_have_attribute("role", "img")
    lanes = svg.locator(".lane")
    expect(lanes).to_have_count(3)
    # one lane per seat in the flag's order, one stroke per answer, each at its arrival on the shared axis
    t0 = min(min(a) for a in flag["arrival_ms"])
    span = max(max(a) for a in flag["arrival_ms"]) - t0
    for i, session in enumerate(flag["sessions"]):
        lane = svg.locator(f'.lane[data-session="{session}"]')
        expect(lane).to_have_attribute("data-marks", "30")
        xs = [float(x) for x in lane.locator("line.arrival").evaluate_all("els => els.map(e => e.getAttribute('x1'))")]
        expected = [X0 + (ms - t0) / span * (X1 - X0) for ms in flag["arrival_ms"][i]]
        assert all(abs(a - b) <= 0.06 for a, b in zip(xs, expected, strict=True)), (session, xs, expected)
    # the seats take turns: merged in arrival order, no seat answers twice in a row
    merged = sorted((ms, i) for i, arr in enumerate(flag["arrival_ms"]) for ms in arr)
    assert all(merged[j][1] != merged[j - 1][1] for j in range(1, len(merged)))
    # the window: under two minutes of answers fit any width, so the start cannot move; the choice keeps the focus
    select = figure.locator("select.window-width")
    select.focus()
    select.select_option("120")
    expect(select).to_be_focused()
    expect(figure.locator("input.window-start")).to_be_disabled()
    expect(svg.locator(".lane").first).to_have_attribute("data-marks", "30")
    figure.evaluate("e => e.scrollIntoView()")
    shot(page, "admin-integrity-timing")
