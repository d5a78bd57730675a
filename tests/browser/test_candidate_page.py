"""The candidate page in a real browser against the live server (docs/protocol.md, candidate WebSocket).

Each test drives the page as a candidate would (keyboard, clicks), breaks the connection or the server on purpose,
and checks the outcome on the server through the admin API: every presented item answered exactly once, nothing
lost, nothing applied twice.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect
from protocol_client import AdminApi, ProctorClient

from load_tests.procs import RedisServer, ServerProcess

from .conftest import Live, run_async, short_battery

PENDING_KEY = "cat.candidate.pending"


# --- helpers -----------------------------------------------------------------------------------------------------


def dashed_lower(token: str) -> str:
    """``ABCDEFGHJKMN`` -> ``abcd-efgh-jkmn``, the way a hurried candidate might type it."""
    return "-".join(token[i : i + 4] for i in range(0, len(token), 4)).lower()


def current_item(page: Page, seq: int) -> None:
    """Wait until the item ``seq`` is shown and ready to be answered (connected, nothing being saved)."""
    expect(page.locator("body")).to_have_attribute("data-screen", "item")
    expect(page.locator("#item-form")).to_have_attribute("data-seq", str(seq))
    expect(page.locator("body")).to_have_attribute("data-connection", "ready")
    expect(page.locator("#item-options input").first).to_be_enabled()


def next_screen(page: Page, seq: int) -> str:
    """After answering ``seq - 1``: wait for item ``seq`` or the finished screen; which one came."""
    target = page.locator(f"#item-form[data-seq='{seq}']:not(.saving):visible, #screen-finished:visible")
    expect(target.first).to_be_visible(timeout=15000)
    return "finished" if page.locator("#screen-finished").is_visible() else "item"


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
    page: Page, seq: int, answers: dict[int, int], on_item: Callable[[int], None] | None = None
) -> int:
    """Answer by keyboard from item ``seq`` until the finished screen; records {seq: option index}."""
    while True:
        if next_screen(page, seq) == "finished":
            return seq - 1
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
    """One proctor command over the proctor WebSocket; its acknowledgement."""

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


# --- 1. keyboard only, the whole battery ---------------------------------------------------------------------------


def test_token_by_keyboard_then_whole_battery_by_keyboard(live: Live, open_page: Any, shot: Any) -> None:
    room = live.new_room(1)
    cand = room["candidates"][0]
    page = open_page("/", wait=False)
    console_errors: list[str] = []  # a Content-Security-Policy violation shows up here, not as a page error
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
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
    current_item(page, 1)
    expect(page.locator("#subtest-name")).not_to_be_empty()
    expect(page.locator("#item-number")).to_have_text("Soal ke-1")
    expect(page.locator("#item-max")).to_contain_text("dari maks. 5")
    expect(page.locator("#overall-label")).to_have_text("Subtes 1 dari 3")
    expect(page.locator("#overall-steps li")).to_have_count(3)
    expect(page.locator("#clock")).to_be_visible()
    expect(page.locator("#clock-value")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(page.locator("#subtest-notice")).to_be_hidden()
    assert page.locator("#item-options .option").count() >= 2
    expect(page.locator("#item-options .option-letter").first).to_have_text("A")
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
    subtests_seen: list[str] = []

    def on_item(seq: int) -> None:
        name = page.locator("#subtest-name").inner_text()
        if not subtests_seen or subtests_seen[-1] != name:
            if subtests_seen:  # the first item of a new subtest says the previous one is over, without blocking
                notice = page.locator("#subtest-notice")
                expect(notice).to_be_visible()
                done = f"Subtes {subtests_seen[-1]} selesai. Selamat melanjutkan ke subtes berikutnya."
                expect(notice).to_have_text(done)
                expect(page.locator("#item-number")).to_have_text("Soal ke-1")
                expect(page.locator("#overall-label")).to_have_text(f"Subtes {len(subtests_seen) + 1} dari 3")
                expect(page.locator("#overall-steps li.done")).to_have_count(len(subtests_seen))
                if len(subtests_seen) == 1:
                    shot(page, "candidate-subtest-notice")
            subtests_seen.append(name)
        else:
            expect(page.locator("#subtest-notice")).to_be_hidden()

    total = answer_until_finished(page, 1, answers, on_item)
    assert len(subtests_seen) == 3
    assert 9 <= total <= 15

    # the finished screen with the profile table: one row per subtest, level 1-5 with a word
    expect(page.locator("#screen-finished h1")).to_have_text("Tes selesai. Terima kasih!")
    rows = page.locator("#profile-rows tr")
    expect(rows).to_have_count(3)
    for i in range(3):
        cells = rows.nth(i).locator("th, td")
        expect(cells.nth(0)).to_have_text(subtests_seen[i])
        expect(cells.nth(1)).to_have_text(
            re.compile(r"^[1-5] – (Perlu banyak pengembangan|Perlu pengembangan|Cukup|Baik|Sangat baik)$")
        )
        expect(cells.nth(2)).to_have_text(re.compile(r"^\d{3}$"))
        expect(cells.nth(4)).to_have_text(re.compile(r"^\d+ mnt \d+ dtk$"))
    items_shown = sum(int(rows.nth(i).locator("td").nth(2).inner_text()) for i in range(3))
    assert items_shown == total
    expect(page.locator("#clock")).to_be_hidden()
    assert page.evaluate(f"sessionStorage.getItem('{PENDING_KEY}')") is None
    shot(page, "candidate-finished")

    assert_exactly_once(live, cand["session_id"], answers, total)
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

    current_item(page, 1)
    assert page.evaluate("location.hash") == ""
    assert page.url == f"{live.base_url}/?lang=en"
    expect(page.locator("html")).to_have_attribute("lang", "en")
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

    # item 3: the answer hangs (no reply, connection up) and the page is reloaded: the pending answer survives
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

    current_item(page, 1)
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
    current_item(page, 1)
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
    current_item(page, 1)

    # 4002: the same token opened in another browser takes the session over; no automatic reconnect
    other = open_page(f"/#t={cand['token']}")
    current_item(other, 1)
    expect(page.locator("#screen-takeover")).to_be_visible()
    expect(page.locator("#screen-takeover h1")).to_have_text("Sesi dibuka di komputer lain")
    assert page.evaluate("window.catCandidate.socket") is None
    shot(page, "candidate-takeover")
    # "continue here" takes it back
    page.locator("#takeover-continue").click()
    current_item(page, 1)
    expect(other.locator("#screen-takeover")).to_be_visible()

    # 4003: terminated by the proctor: a final screen
    proctor(live, room, "terminate", session_id=cand["session_id"], reason="Peserta pindah jadwal")
    expect(page.locator("#screen-terminated")).to_be_visible()
    expect(page.locator("#screen-terminated h1")).to_have_text("Sesi tes telah diakhiri")
    shot(page, "candidate-terminated")
    assert page.evaluate("window.catCandidate.socket") is None
    page.reload()
    expect(page.locator("#screen-terminated")).to_be_visible()


# --- subtest time running out -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def timed_server(tmp_path_factory: pytest.TempPathFactory, private_redis: RedisServer) -> Iterator[ServerProcess]:
    """A second server whose subtests last 4 seconds each (same private Redis, its own key prefix)."""
    workdir = tmp_path_factory.mktemp("browser-timed")
    battery = short_battery(workdir, time_limit_s=4)
    server = ServerProcess(
        workdir,
        admin_token=secrets.token_urlsafe(16),
        redis_url=private_redis.url,
        key_prefix=f"bt{secrets.token_hex(4)}",
        env={"CAT_BATTERIES": str(battery), "CAT_DEMO_ROOM": "0"},
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_time_up_moves_on_with_a_gentle_notice(timed_server: ServerProcess, browser: Any, shot: Any) -> None:
    api = AdminApi(timed_server.base_url, timed_server.admin_token)

    async def make() -> dict[str, Any]:
        room = await api.create_room("Ruang Waktu", "cact-short")
        room["candidates"] = await api.register(room["room_id"], [("199001012020121099", "Peserta Waktu")])
        return room

    cand = run_async(make())["candidates"][0]
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{timed_server.base_url}/#t={cand['token']}")
        current_item(page, 1)
        expect(page.locator("#clock")).to_have_class(re.compile(r"\bwarn\b"))  # under five minutes
        expect(page.locator("#clock-value")).to_have_text(re.compile(r"^00:0[0-4]$"))
        # nobody answers: the server pushes the next subtest's first item, and the page says why, calmly
        notice = page.locator("#subtest-notice")
        expect(notice).to_be_visible(timeout=15000)
        expect(notice).to_have_text(re.compile(r"^Waktu subtes .+ habis; jawaban yang sudah disimpan tetap dihitung\."))
        expect(page.locator("#overall-label")).to_have_text("Subtes 2 dari 3")
        shot(page, "candidate-time-up")
        expect(page.locator("#item-options input").first).to_be_enabled()
        # and again, to the end of the battery
        expect(page.locator("#screen-finished")).to_be_visible(timeout=20000)
        expect(page.locator("#profile-rows tr")).to_have_count(3)
        expect(page.locator("#profile-rows tr").first.locator("td").first).to_have_text("Tidak dinilai")
    finally:
        context.close()
    assert not errors, errors
