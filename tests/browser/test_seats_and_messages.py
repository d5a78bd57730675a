"""The candidate page's seats, the proctor's messages and notices, and dead links, in Chromium against the live server
(docs/protocol.md: "Seats", the `message` and `time` frames, "Dead links").

Each browser context has its own localStorage, so a second context is another computer (another device id). The
proctor's side is a raw proctor WebSocket (``proctor()``: ``hello`` with the room's proctor token, then one command and
its ``ack``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Page, WebSocketRoute, expect
from protocol_client import ProctorClient

from .conftest import Live, run_async
from .test_candidate_page import (
    DEVICE_KEY,
    _pool_items,
    begin_battery,
    choose_by_keyboard,
    clock_seconds,
    current_item,
    frames_sent,
    heading_focused,
    item_frame,
    next_screen,
    on_screen,
    proctor,
    session_summary,
)

APPROVAL_ID = (
    "Tes Anda sedang berjalan di komputer lain. Pengawas perlu menyetujui pindah ke komputer ini. Mohon tunggu."
)
APPROVAL_EN = (
    "Your test is running on another computer. The proctor needs to approve moving it to this computer. Please wait."
)
MOVED_ID = "Tes dipindahkan ke komputer lain atas persetujuan pengawas"
MOVED_EN = "The test was moved to another computer with the proctor's approval"
DENIED_ID = "Pengawas tidak menyetujui pindah komputer"
DENIED_EN = "The proctor did not approve the move"


def shot_both(page: Page, shot: Any, name: str, check_en: tuple[str, str] | None = None) -> None:
    """Screenshots in Indonesian and English (1366x768); ``check_en``: (selector, English text) to see first."""
    shot(page, f"{name}-id")
    page.locator("#lang button", has_text="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    if check_en is not None:
        expect(page.locator(check_en[0])).to_have_text(check_en[1])
    shot(page, f"{name}-en")
    page.locator("#lang button", has_text="ID").click()
    expect(page.locator("html")).to_have_attribute("lang", "id")


def hellos(sent: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in sent if f["type"] == "hello"]


def room_wide(live: Live, room: dict[str, Any], command: str, **fields: Any) -> dict[str, Any]:
    """A proctor command to the whole room (``"room": true``); its acknowledgement, every result ok."""

    async def go() -> dict[str, Any]:
        client = ProctorClient(live.server.ws_url, room["proctor_token"])
        try:
            await client.connect()
            ack = await client.command(command, room=True, **fields)
            return ack.data
        finally:
            await client.disconnect()

    ack = run_async(go())
    assert ack["type"] == "ack" and ack["results"] and all(r["ok"] for r in ack["results"]), ack
    return ack


def audit(live: Live, session_id: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = live.get(f"/api/sessions/{session_id}/audit")["entries"]
    return entries


# --- seats ----------------------------------------------------------------------------------------------------------


def test_another_computer_waits_for_approval_then_takes_the_sitting(live: Live, open_page: Any, shot: Any) -> None:
    room = live.new_room(1)
    cand = room["candidates"][0]
    sid = cand["session_id"]
    first = open_page(f"/#t={cand['token']}")
    begin_battery(first)
    first_device = first.evaluate(f"localStorage.getItem('{DEVICE_KEY}')")

    # another computer (its own localStorage: another device id) opens the same token: it waits for the proctor
    second = open_page("/", wait=False)
    sent = frames_sent(second)
    second.goto(f"{live.base_url}/#t={cand['token']}")
    on_screen(second, "approval")
    heading_focused(second, "approval")
    expect(second.locator("#approval-title")).to_have_text("Menunggu persetujuan pengawas")
    expect(second.locator("#approval-text")).to_have_text(APPROVAL_ID)
    expect(second.locator("body")).to_have_attribute("data-connection", "ready")
    expect(second.locator("#banner")).to_be_hidden()
    second_device = second.evaluate(f"localStorage.getItem('{DEVICE_KEY}')")
    assert second_device != first_device
    summary = session_summary(live, sid)
    assert (summary["device"], summary["seat_request"], summary["connected"]) == (first_device, second_device, True)
    shot_both(second, shot, "candidate-approval", ("#approval-text", APPROVAL_EN))

    # nothing moved meanwhile: the first computer answers on
    current_item(first, 1)
    answers = {1: choose_by_keyboard(first, 1)}
    first.keyboard.press("Enter")
    assert next_screen(first, 2) == "item"
    current_item(first, 2)

    # the waiting page keeps its connection: it pings when the link is quiet, it does not reconnect
    for _ in range(30):
        if any(f["type"] == "ping" for f in sent):
            break
        second.wait_for_timeout(500)
    assert [f["type"] for f in sent][:2] == ["hello", "ping"], sent
    assert len(hellos(sent)) == 1, sent
    on_screen(second, "approval")

    # the proctor approves: the first computer is told the test moved; the second goes on where the sitting is
    proctor(live, room, "approve_seat", session_id=sid)
    on_screen(first, "takeover")
    expect(first.locator("#screen-takeover")).to_have_attribute("data-kind", "moved")
    expect(first.locator("#takeover-title")).to_have_text(MOVED_ID)
    expect(first.locator("#takeover-continue")).to_have_text("Sambungkan lagi")
    assert first.evaluate("window.catCandidate.socket") is None  # no reconnect by itself
    shot_both(first, shot, "candidate-moved", ("#takeover-title", MOVED_EN))
    current_item(second, 2)
    assert len(hellos(sent)) == 1  # on the same connection
    answers[2] = choose_by_keyboard(second, 2)
    second.keyboard.press("Enter")
    assert next_screen(second, 3) == "item"
    summary = session_summary(live, sid)
    assert (summary["device"], summary["seat_request"]) == (second_device, None)
    entries = audit(live, sid)
    applied = [(e["seq"], e["response"]) for e in entries if e["kind"] == "answer" and "outcome" not in e]
    assert applied == [(1, answers[1]), (2, answers[2])], entries
    assert [(e.get("device"), e.get("outcome")) for e in entries if e["kind"] == "hello"][:2] == [
        (first_device, None),
        (second_device, "approval"),
    ]

    # "Sambungkan lagi" on the first computer is a hello like any other: the proctor must approve the way back
    first.locator("#takeover-continue").click()
    on_screen(first, "approval")
    expect(first.locator("#approval-text")).to_have_text(APPROVAL_ID)
    current_item(second, 3)
    assert session_summary(live, sid)["seat_request"] == first_device


def test_a_denied_move_ends_the_request_and_the_first_computer_goes_on(live: Live, open_page: Any, shot: Any) -> None:
    room = live.new_room(1)
    cand = room["candidates"][0]
    sid = cand["session_id"]
    first = open_page(f"/#t={cand['token']}")
    begin_battery(first)
    first.keyboard.press("b")  # chosen, not yet saved, while another computer asks

    second = open_page("/?lang=en", wait=False)
    sent = frames_sent(second)
    second.goto(f"{live.base_url}/?lang=en#t={cand['token']}")
    on_screen(second, "approval")
    expect(second.locator("#approval-text")).to_have_text(APPROVAL_EN)

    proctor(live, room, "deny_seat", session_id=sid)
    on_screen(second, "denied")
    heading_focused(second, "denied")
    expect(second.locator("#denied-title")).to_have_text(DENIED_EN)
    expect(second.locator("#screen-denied")).to_contain_text("first computer")
    expect(second.locator("#denied-retry")).to_have_text("Try again")
    assert second.evaluate("window.catCandidate.socket") is None
    second.locator("#lang button", has_text="ID").click()
    expect(second.locator("#denied-title")).to_have_text(DENIED_ID)
    expect(second.locator("#screen-denied")).to_contain_text("Kembali ke komputer itu, atau hubungi pengawas.")
    shot_both(second, shot, "candidate-denied", ("#denied-title", DENIED_EN))

    # the first computer goes on as if nothing happened: its choice is still there, its answer is applied
    current_item(first, 1)
    expect(first.locator("#item-options .option").nth(1)).to_have_class(re.compile(r"\bselected\b"))
    first.keyboard.press("Enter")
    assert next_screen(first, 2) == "item"
    summary = session_summary(live, sid)
    assert (summary["seat_request"], summary["connected"], summary["answered_total"]) == (None, True, 1)

    # no reconnect by itself (one hello so far); "Coba lagi" asks the proctor again
    assert len(hellos(sent)) == 1, sent
    on_screen(second, "denied")
    second.locator("#denied-retry").click()
    on_screen(second, "approval")
    assert len(hellos(sent)) == 2, sent
    assert session_summary(live, sid)["seat_request"] is not None
    current_item(first, 2)


# --- the proctor's messages and notices of what changed ---------------------------------------------------------------


def save_button_uncovered(page: Page) -> None:
    """The Save button lies wholly in the window and is what sits at its own centre (nothing over it)."""
    found = page.locator("#item-submit").evaluate(
        """(button) => {
            const r = button.getBoundingClientRect();
            const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
            return {inside: r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth,
                    hit: top === button || button.contains(top)};
        }"""
    )
    assert found == {"inside": True, "hit": True}, found


def test_messages_stack_until_closed_by_keyboard_and_notices_say_what_changed(
    live: Live, open_page: Any, shot: Any
) -> None:
    room = live.new_room(2)
    cand, neighbour = room["candidates"]
    sid = cand["session_id"]
    page = open_page(f"/#t={cand['token']}")
    other = open_page(f"/#t={neighbour['token']}")
    begin_battery(page)
    begin_battery(other)
    page.keyboard.press("b")
    messages = page.locator("#messages .message")
    expect(page.locator("#messages")).to_be_hidden()

    # a message to this candidate: prominent, with the time, announced (an alert); the Save button stays in view
    text = "Sisa waktu 5 menit, periksa jawaban Anda."
    proctor(live, room, "message", session_id=sid, text=text)
    expect(messages).to_have_count(1)
    first = messages.first
    expect(first).to_have_attribute("role", "alert")
    expect(first.locator(".message-text")).to_have_text(text)
    expect(first.locator(".message-from")).to_have_text("Pesan dari pengawas")
    expect(first.locator(".message-time")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(first.locator(".message-close")).to_have_text("Tutup")
    save_button_uncovered(page)
    expect(other.locator("#messages .message")).to_have_count(0)  # to this candidate only

    # a message to the whole room: it reaches both pages, and stacks on top of the first here
    room_text = "Mohon tetap di tempat; pengawas akan berkeliling."
    room_wide(live, room, "message", text=room_text)
    expect(messages).to_have_count(2)
    expect(messages.nth(0).locator(".message-text")).to_have_text(room_text)
    expect(messages.nth(1).locator(".message-text")).to_have_text(text)
    expect(other.locator("#messages .message .message-text")).to_have_text([room_text])
    save_button_uncovered(page)
    shot_both(
        page, shot, "candidate-message", ("#messages .message >> nth=0 >> .message-from", "Message from the proctor")
    )

    # the messages take no focus: the keys still choose on the item
    page.keyboard.press("c")
    expect(page.locator("#item-options .option").nth(2)).to_have_class(re.compile(r"\bselected\b"))
    # Esc closes the newest
    page.keyboard.press("Escape")
    expect(messages).to_have_count(1)
    expect(messages.first.locator(".message-text")).to_have_text(text)
    # a reload keeps the message not yet closed
    page.reload()
    current_item(page, 1)
    expect(messages).to_have_count(1)
    expect(messages.first.locator(".message-text")).to_have_text(text)
    page.keyboard.press("c")  # the choice is the page's own until saved: made again after the reload
    # its "Tutup" by keyboard: Shift+Tab from the stem, then Enter; the focus goes back to the item
    page.locator("#item-stem").focus()
    close = messages.first.locator(".message-close")
    for _ in range(6):
        if close.evaluate("el => el === document.activeElement"):
            break
        page.keyboard.press("Shift+Tab")
    expect(close).to_be_focused()
    page.keyboard.press("Enter")
    expect(messages).to_have_count(0)
    expect(page.locator("#messages")).to_be_hidden()
    expect(page.locator("#item-stem")).to_be_focused()

    # ten more minutes: a notice says so (a status, not an alert), and the clock moves
    before = clock_seconds(page)
    proctor(live, room, "extend", session_id=sid, seconds=600)
    extended = page.locator("#messages .message.is-notice", has_text="Waktu ditambah 10 menit")
    expect(extended).to_have_count(1)
    expect(extended).to_have_attribute("role", "status")
    assert clock_seconds(page) >= before + 600 - 3
    save_button_uncovered(page)

    # a pause with its reason, then the resume: "Tes dilanjutkan"
    reason = "Ada pengumuman dari panitia."
    proctor(live, room, "pause", session_id=sid, reason=reason)
    on_screen(page, "paused")
    expect(page.locator("#paused-reason-text")).to_have_text(reason)
    proctor(live, room, "resume", session_id=sid)
    current_item(page, 1)
    resumed = page.locator("#messages .message.is-notice", has_text="Tes dilanjutkan")
    expect(resumed).to_have_count(1)
    shot(page, "candidate-notices-id")
    # notices go by themselves (NOTICE_MS, 15 s of the page's own timers)
    expect(page.locator("#messages .message")).to_have_count(0, timeout=25000)
    # the item goes on: the choice made before the extension and the pause is still there, and is saved once
    expect(page.locator("#item-options .option").nth(2)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("Enter")
    assert next_screen(page, 2) == "item"
    answers = [(e["seq"], e["response"]) for e in audit(live, sid) if e["kind"] == "answer"]
    assert answers == [(1, 2)], answers


# --- dead links ------------------------------------------------------------------------------------------------------

WATCH_BANNER = """() => {
    window.__bannerAt = null;
    const banner = document.getElementById("banner");
    new MutationObserver(() => {
        if (!banner.hidden && window.__bannerAt === null) window.__bannerAt = performance.now();
    }).observe(banner, {attributes: true, attributeFilter: ["hidden"]});
}"""

OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
ONLINE = {**OFFLINE, "offline": False}


def test_a_silent_link_shows_the_banner_within_15_s_then_the_page_reconnects(live: Live, open_page: Any) -> None:
    """The network goes away without a close (Chromium's network emulation: the open WebSocket carries nothing in
    either direction and no close event comes): the page's own watchdog notices it within 15 s of its timers."""
    room = live.new_room(1)
    cand = room["candidates"][0]
    page = open_page("/", wait=False)
    sent = frames_sent(page)
    page.goto(f"{live.base_url}/#t={cand['token']}")
    begin_battery(page)
    page.keyboard.press("b")
    banner = page.locator("#banner")
    expect(banner).to_be_hidden()

    page.evaluate(WATCH_BANNER)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    silent_at = page.evaluate("performance.now()")  # taken before: the elapsed time is, if anything, overstated
    cdp.send("Network.emulateNetworkConditions", OFFLINE)
    expect(banner).to_be_visible(timeout=30000)
    expect(banner).to_contain_text("Koneksi terputus, menyambung ulang...")
    elapsed = page.evaluate("window.__bannerAt") - silent_at
    # the page's contract is 15 s of its own timers (14 s at worst by construction); 2 s for the scheduling of a busy
    # test machine
    print(f"the silent link's banner after {elapsed:.0f} ms of the page's timers")
    assert elapsed <= 15000 + 2000, elapsed
    assert any(f["type"] == "ping" for f in sent), sent  # the quiet link was asked first
    # the item stays, and cannot be answered while the link is down
    expect(page.locator("#item-options input").first).to_be_disabled()
    expect(page.locator("#item-submit")).to_be_disabled()

    cdp.send("Network.emulateNetworkConditions", ONLINE)
    expect(banner).to_be_hidden(timeout=20000)
    current_item(page, 1)
    assert len(hellos(sent)) >= 2, sent
    expect(page.locator("#item-options .option").nth(1)).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("Enter")
    assert next_screen(page, 2) == "item"
    answers = [(e["seq"], e["response"]) for e in audit(live, cand["session_id"]) if e["kind"] == "answer"]
    assert answers == [(1, 1)], answers


def test_idle_from_the_server_reconnects_like_a_dropped_link(live: Live, open_page: Any) -> None:
    """Error `idle` and close 4010 (the server took the link for dead): the page says hello again and goes on."""
    item = _pool_items()[0][1]
    sent: list[dict[str, Any]] = []
    connections = [0]

    def route(ws: WebSocketRoute) -> None:
        connections[0] += 1
        conn = connections[0]

        def on_message(message: str | bytes) -> None:
            frame = json.loads(message)
            sent.append(frame)
            if frame["type"] != "hello":
                return
            ws.send(json.dumps(item_frame(item)))
            if conn == 1:
                ws.send(json.dumps({"type": "error", "code": "idle", "message": "no frame for 30 s"}))
                ws.close(code=4010, reason="idle")

        ws.on_message(on_message)

    page = open_page("/", wait=False)
    page.route_web_socket(re.compile(r".*/ws/candidate$"), route)
    page.goto(f"{live.base_url}/#t=ABCD-EFGH-JKMN")
    expect(page.locator("body")).to_have_attribute("data-screen", "item")
    for _ in range(40):
        if connections[0] >= 2 and len(hellos(sent)) >= 2:
            break
        page.wait_for_timeout(250)
    assert connections[0] == 2 and len(hellos(sent)) == 2, sent
    current_item(page, 7)
    expect(page.locator("#item-stem")).to_have_text(item["stem"])


def options_in_view(page: Page, name: str) -> None:
    """Every option of the item lies wholly in the window and in its list's visible part (none scrolled away)."""
    boxes = page.locator("#item-options").evaluate(
        """(list) => {
            const l = list.getBoundingClientRect();
            return [...list.querySelectorAll(".option")].map((o) => {
                const r = o.getBoundingClientRect();
                return r.top >= Math.max(l.top, 0) - 1 && r.bottom <= Math.min(l.bottom, innerHeight) + 1;
            });
        }"""
    )
    assert boxes and all(boxes), (name, boxes)


def test_messages_leave_the_longest_items_answerable(live: Live, open_page: Any, shot: Any) -> None:
    """The longest items of the pools with messages over them. On a 1366x768 screen two messages of a few lines leave
    every option and the Save button in view. On 1366x657 (a lab screen less the browser's bars) four long ones: the
    stack gives way first and scrolls inside itself, the newest message still shows, the Save button stays in view and
    uncovered, and once the messages are closed (Esc) every option is in view again."""
    from .test_candidate_page import VIEWPORTS, assert_fits, fake_server

    sentence = "Periksa kembali jawaban Anda sebelum menyimpan, dan angkat tangan bila ada kendala. "
    two = [{"type": "message", "text": f"{i}. {sentence * 2}", "at_ms": 1796300000000 + i} for i in range(2)]
    four = [{"type": "message", "text": f"{i}. {sentence * 3}", "at_ms": 1796300000000 + i} for i in range(4)]
    current: dict[str, Any] = {}
    page = open_page("/", wait=False)
    fake_server(
        page,
        lambda conn, frame: [item_frame(current["item"]), *current["messages"]] if frame["type"] == "hello" else [],
    )
    for size, messages in (("768", two), ("657", four)):
        page.set_viewport_size(VIEWPORTS[size])
        current["messages"] = messages
        for name, item in _pool_items():
            current["item"] = item
            page.goto("about:blank")
            page.goto(f"{live.base_url}/#t=ABCD-EFGH-JKMN")
            current_item(page, 7)
            stack = page.locator("#messages .message")
            expect(stack).to_have_count(len(messages))
            page.keyboard.press("a")
            assert_fits(page, "#item-submit", "#item-hint")
            save_button_uncovered(page)
            newest = stack.first.locator(".message-head").bounding_box()
            assert newest is not None and newest["y"] >= 0, (name, newest)
            if size == "768":
                options_in_view(page, name)
                page.evaluate("sessionStorage.clear()")  # the next load shows only its frames' messages
                continue
            box = page.locator("#messages").evaluate("el => ({scroll: el.scrollHeight, client: el.clientHeight})")
            assert box["scroll"] > box["client"], box  # the stack scrolls inside itself
            if name == _pool_items()[0][0]:
                shot(page, "candidate-messages-stack-657")
            for _ in messages:
                page.keyboard.press("Escape")
            expect(stack).to_have_count(0)
            options_in_view(page, name)
            save_button_uncovered(page)
