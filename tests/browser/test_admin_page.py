"""The admin page at /admin: sign-in with the admin token, rooms (created closed or open, archived), rosters (CSV file
or pasted rows) and their correction (edit or remove a candidate who has not started), tokens to print or download
(only those the tab got in a reply: the server keeps digests) at the server's public address, the proctor card,
replacing lost candidate and proctor tokens, results download, errors in the page's language; checked against the
admin API and the sockets of the live server."""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from playwright.sync_api import FilePayload, Page, expect
from protocol_client import CandidateClient, ProctorClient

from cat_engine.server.results import RESULT_COLUMNS
from cat_engine.server.wire_errors import text as wire_text
from load_tests.procs import RedisServer, ServerProcess

from .conftest import VIEWPORT, Live, run_async, short_battery

BATTERY = "cact-short"
SHOWN_TOKEN = re.compile(r"^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$")
# a proctor token as shown and printed: 28 symbols of the unambiguous alphabet in dashed groups of four
PROCTOR_TOKEN = re.compile(r"^[A-HJKMNP-Z2-9]{4}(-[A-HJKMNP-Z2-9]{4}){6}$")
NOT_HELD = "tidak tersimpan di halaman ini"
# a stub, installed before the page's scripts: the test sees the call instead of a print dialog
STUB_PRINT = "window.print = () => { window.__printed = (window.__printed || 0) + 1; };"

OpenPage = Callable[..., Page]


def shown(token: str) -> str:
    return "-".join(token[i : i + 4] for i in range(0, 12, 4))


def typed(shown_token: str) -> str:
    """A token as the table shows it, as a candidate would type it (the dashes are optional for the server too)."""
    return shown_token.replace("-", "")


# the address a server of these tests announces as CAT_PUBLIC_URL (nothing listens there: it is only printed)
PUBLIC_URL = "http://10.20.30.40:8000"


@pytest.fixture(scope="module")
def public_live(tmp_path_factory: pytest.TempPathFactory, private_redis: RedisServer) -> Iterator[Live]:
    """A second live server, like ``live`` but with ``CAT_PUBLIC_URL`` set (``live``'s fixture takes no env)."""
    workdir = tmp_path_factory.mktemp("admin-public")
    token = secrets.token_urlsafe(16)
    env = {"CAT_BATTERIES": str(short_battery(workdir)), "CAT_DEMO_ROOM": "0", "CAT_PUBLIC_URL": PUBLIC_URL}
    server = ServerProcess(
        workdir, admin_token=token, redis_url=private_redis.url, key_prefix=f"bp{secrets.token_hex(4)}", env=env
    )
    server.start()
    try:
        yield Live(server, private_redis, token)
    finally:
        server.stop()


def start_test(live: Live, token: str) -> str:
    """A candidate begins the battery over a raw WebSocket: ``hello``, the ``welcome``, then ``start``; the type of
    the frame that follows (a subtest's intro or an item: the session is no longer ``ready``)."""

    async def go() -> str:
        async with websockets.connect(f"{live.server.ws_url}/ws/candidate") as ws:
            await ws.send(json.dumps({"type": "hello", "token": token}))
            welcome = json.loads(await ws.recv())
            assert welcome["type"] == "welcome", welcome
            await ws.send(json.dumps({"type": "start"}))
            return str(json.loads(await ws.recv())["type"])

    return run_async(go())


def phases(live: Live, room_id: str) -> dict[str, str]:
    return {s["session_id"]: s["phase"] for s in live.get(f"/api/rooms/{room_id}")["sessions"]}


def candidate_hello(live: Live, token: str) -> str:
    """What a candidate's ``hello`` with ``token`` gets: the first frame's type, or the error's code (a valid token
    gets ``welcome`` in an open room, ``waiting`` in a closed one)."""

    async def hello() -> str:
        client = CandidateClient(live.server.ws_url, token, auto_start=False)
        try:
            frame = await client.connect()
            return str(frame.code or frame.type)
        finally:
            await client.disconnect()

    return run_async(hello())


def proctor_hello(live: Live, token: str) -> str:
    """What a proctor's ``hello`` with ``token`` gets: ``snapshot``, or the error's code."""

    async def hello() -> str:
        proctor = ProctorClient(live.server.ws_url, token)
        try:
            frame = await proctor.connect()
            return str(frame.code or frame.type)
        finally:
            await proctor.disconnect()

    return run_async(hello())


def sign_in(page: Page, token: str) -> None:
    page.locator("#token-input").fill(token)
    page.locator("#signin-form button[type=submit]").click()


def signed_in(page: Page, live: Live) -> None:
    sign_in(page, live.admin_token)
    expect(page.locator("#app")).to_be_visible()


def api_candidates(live: Live, room_id: str) -> list[dict[str, Any]]:
    """The room's candidates from GET: employee id, name, session id (no token)."""
    cands = live.get(f"/api/rooms/{room_id}/candidates")["candidates"]
    return sorted(cands, key=lambda c: c["session_id"])


def table_rows(page: Page) -> list[dict[str, str]]:
    rows = page.locator("#tokens tbody tr")
    return [
        {
            "name": row.locator(".name").inner_text(),
            "employee_id": row.locator(".employee").inner_text(),
            "session_id": row.locator(".session").inner_text(),
            "token": row.locator(".token").inner_text(),
        }
        for row in rows.all()
    ]


def roster_csv(rows: list[tuple[str, str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(["employee_id", "name"])
    writer.writerows(rows)
    return buf.getvalue().encode()


def confirm_dialog(page: Page, opener: Any) -> Any:
    """Open the confirmation from ``opener`` with the keyboard; the dialog opens with Cancel focused."""
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#confirm")
    expect(dialog).to_be_visible()
    expect(page.locator("#confirm-cancel")).to_be_focused()
    return dialog


def download_csv(page: Page) -> list[dict[str, str]]:
    with page.expect_download() as info:
        page.locator("#csv-dl-btn").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == ["employee_id", "name", "session_id", "token", "link"]
    rows = list(reader)
    assert all(SHOWN_TOKEN.match(r["token"]) for r in rows), "the tokens file does not show tokens as the slips do"
    return rows


def upload(page: Page, name: str, data: bytes) -> None:
    payload: FilePayload = {"name": name, "mimeType": "text/csv", "buffer": data}
    page.locator("#csv-file").set_input_files(files=[payload])
    page.locator("#csv-btn").click()


def pdf_pages(page: Page) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", page.pdf(prefer_css_page_size=True)))


def test_wrong_token_refused_then_sign_in_kept_for_the_tab(open_page: OpenPage, live: Live, shot: Any) -> None:
    page = open_page("/admin")
    expect(page.locator("#signin h1")).to_have_text("Masuk sebagai admin")
    expect(page.locator("#app")).to_be_hidden()

    sign_in(page, "bukan-token-admin")
    expect(page.locator("#signin-msg")).to_contain_text("Token admin ditolak")
    expect(page.locator("#signin-msg")).to_have_class(re.compile(r"\bbad\b"))
    expect(page.locator("#app")).to_be_hidden()
    assert page.evaluate("sessionStorage.getItem('cat.adminToken')") is None
    shot(page, "admin-signin")

    signed_in(page, live)
    expect(page.locator("#signin")).to_be_hidden()
    expect(page.locator(f"#room-battery option[value='{BATTERY}']")).to_have_count(1)
    assert live.admin_token not in page.url
    assert page.evaluate("sessionStorage.getItem('cat.adminToken')") == live.admin_token

    # typed once: a reload of the tab keeps the admin signed in
    page.reload()
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#signin")).to_be_hidden()

    # a room that does not exist says so
    page.evaluate("location.hash = 'room=R-tidak-ada'")
    expect(page.locator("#room-h")).to_contain_text("tidak ditemukan")

    # a token the server no longer accepts (401 on any request): asked again, with a message
    page.evaluate("sessionStorage.setItem('cat.adminToken', 'kedaluwarsa')")
    page.reload()
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#signin-msg")).to_contain_text("tidak diterima lagi")
    expect(page.locator("#app")).to_be_hidden()
    signed_in(page, live)


def test_room_roster_tokens_download_and_print(open_page: OpenPage, live: Live, shot: Any) -> None:
    live.new_room(2, name="Ruang 1 — Kanreg Medan")
    page = open_page("/admin", wait=False)
    csp: list[str] = []
    page.on("console", lambda msg: csp.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.add_init_script(STUB_PRINT)
    page.goto(live.base_url + "/admin")
    signed_in(page, live)

    # --- create a room: id and proctor token shown once, with the link to the proctor console
    page.locator("#room-name").fill("Ruang 2 — Kanreg Medan")
    page.locator("#room-battery").select_option(BATTERY)
    page.locator("#create-btn").click()
    expect(page.locator("#proctor-box")).to_be_visible()
    expect(page.locator("#proctor-box")).to_contain_text("hanya sekali")
    room_id = page.locator("#room-id").inner_text()
    proctor_token = page.locator("#proctor-token").inner_text()
    assert room_id and PROCTOR_TOKEN.match(proctor_token), proctor_token
    expect(page.locator("#room-h")).to_have_text("Ruang 2 — Kanreg Medan")
    expect(page.locator("#proctor-link")).to_have_attribute("href", f"{live.base_url}/proctor#t={proctor_token}")
    assert page.url.endswith(f"#room={room_id}")
    rooms = {r["room_id"]: r for r in live.get("/api/rooms")["rooms"]}
    assert rooms[room_id] == {
        "room_id": room_id,
        "name": "Ruang 2 — Kanreg Medan",
        "battery": BATTERY,
        "open": False,
        "archived": False,
    }
    # this server has no CAT_PUBLIC_URL and the page is on 127.0.0.1: slips would carry an address lab PCs cannot
    # reach, and the page says so
    warning = page.locator("#address-msg")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(f"Slip dan tautan akan memuat alamat {live.base_url}")
    expect(warning).to_contain_text("CAT_PUBLIC_URL")
    expect(page.locator("#slip-address")).to_contain_text("CAT_PUBLIC_URL tidak disetel")
    expect(page.locator("#rooms li.current")).to_contain_text("Ruang 2 — Kanreg Medan")
    expect(page.locator("#rooms li")).to_have_count(len(rooms))

    assert proctor_hello(live, proctor_token) == "snapshot", "the proctor token shown does not open the room"
    shot(page, "admin-rooms")

    # --- a roster CSV file: registered, the table and the API agree, the tokens from the registration's reply
    roster = [
        ("199001012020121001", "Budi Santoso"),
        ("199202022021012002", "Siti Aminah, S.Kom."),
        ("199303032022031003", "I Gusti Ayu Ngurah"),
    ]
    upload(page, "peserta.csv", roster_csv(roster))
    expect(page.locator("#roster-msg")).to_contain_text("3 peserta terdaftar")
    expect(page.locator("#csv-name")).to_have_text("Belum ada berkas dipilih")  # cleared once registered
    expect(page.locator("#tokens tbody tr")).to_have_count(3)
    api = api_candidates(live, room_id)
    assert [(c["employee_id"], c["name"]) for c in api] == roster
    assert all("token" not in c for c in api)
    rows = table_rows(page)
    assert [{k: r[k] for k in ("name", "employee_id", "session_id")} for r in rows] == api
    assert all(SHOWN_TOKEN.match(row["token"]) for row in rows)
    assert len({row["token"] for row in rows}) == 3
    expect(page.locator("#held-text")).to_contain_text("Token semua peserta (3)")
    # the room was created closed: a valid token is told to wait
    assert candidate_hello(live, typed(rows[1]["token"])) == "waiting", "a token shown does not open its session"

    # --- pasted rows: tab (from a spreadsheet) or semicolon separated, a comma kept inside the name
    page.locator("#paste-text").fill(
        "employee_id\tname\n199404042023041004\tDewi Lestari, S.Psi.\n199505052023051005; Rahmat Hidayat\n"
    )
    page.locator("#paste-btn").click()
    expect(page.locator("#roster-msg")).to_contain_text("2 peserta terdaftar")
    expect(page.locator("#tokens tbody tr")).to_have_count(5)
    api = api_candidates(live, room_id)
    assert [c["name"] for c in api[3:]] == ["Dewi Lestari, S.Psi.", "Rahmat Hidayat"]
    tokens = {r["session_id"]: typed(r["token"]) for r in table_rows(page)}
    assert len(set(tokens.values())) == 5 and all(SHOWN_TOKEN.match(shown(t)) for t in tokens.values())

    # --- a duplicate employee id: refused in the page's words (the id from the error's field), the server's English
    # details apart, nothing of that roster stored
    upload(page, "tambahan.csv", roster_csv([("199606062024061006", "Andi Wijaya"), ("199001012020121001", "Budi")]))
    msg = page.locator("#roster-msg")
    expect(msg).to_have_class(re.compile(r"\bbad\b"))
    expect(msg.locator(".line").nth(0)).to_have_text(
        "Server menolak daftar ini. Tidak satu pun peserta dari daftar ini disimpan; perbaiki lalu kirim lagi."
    )
    expect(msg.locator(".line").nth(1)).to_have_text(
        "NIP 199001012020121001 sudah terdaftar di ruang ini atau muncul dua kali dalam daftar."
    )
    expect(msg.locator(".detail")).to_contain_text("Rincian teknis dari server")
    expect(msg).not_to_contain_text(wire_text("duplicate_employee", "id"))  # the server's sentence is not the page's
    expect(page.locator("#csv-name")).to_have_text("tambahan.csv")  # kept, to be fixed and sent again
    assert api_candidates(live, room_id) == api
    expect(page.locator("#tokens tbody tr")).to_have_count(5)

    # --- a bad row: the line and the field said in Indonesian, the server's English details in a smaller line
    upload(page, "kosong.csv", b"employee_id,name\r\n199707072024071007,Wulan\r\n199808082024081008,   \r\n")
    expect(msg.locator(".line").nth(1)).to_have_text("Server menolak permintaan ini karena isinya tidak valid.")
    expect(msg.locator(".line").nth(2)).to_have_text("Letak masalah: baris 3 berkas CSV, kolom nama (name): kosong.")
    detail = msg.locator(".detail")
    expect(detail).to_contain_text("CSV roster: line 3: 'name' is empty")
    assert float(detail.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) < float(
        msg.locator(".line").nth(2).evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    ), "the server's details are not set apart in a smaller line"
    assert api_candidates(live, room_id) == api
    page.locator("#lang button", has_text="EN").click()
    expect(msg.locator(".line").nth(2)).to_have_text("Where: line 3 of the CSV file, field name (name): empty.")
    page.locator("#lang button", has_text="ID").click()

    # --- the tokens as CSV, built in the page: the same rows as the API, the tokens dashed as on the slips, the
    # candidate link
    with page.expect_download() as info:
        page.locator("#csv-dl-btn").click()
    assert info.value.suggested_filename == f"tokens-{room_id}.csv"
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert list(csv.DictReader(io.StringIO(text))) == [
        {**c, "token": shown(tokens[c["session_id"]]), "link": f"{live.base_url}/#t={tokens[c['session_id']]}"}
        for c in api
    ]
    expect(page.locator("#tokens-msg")).to_have_text("Token diunduh: 5.")
    page.locator("#tokens tbody tr").last.scroll_into_view_if_needed()
    shot(page, "admin-tokens")

    # --- print: window.print() with one slip per candidate, the page itself hidden; the proctor token is not on them
    page.locator("#print-btn").click()
    assert page.evaluate("window.__printed") == 1
    expect(page.locator(".slip")).to_have_count(5)
    expect(page.locator(".slip").first).to_be_hidden()  # on screen the slips are not shown
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("main")).to_be_hidden()
    expect(page.locator("#proctor-sheet")).to_be_hidden()
    slips = page.locator(".sheet .slip")
    expect(slips).to_have_count(5)
    expect(slips.first).to_be_visible()
    printed = page.locator("#sheets").inner_text()
    assert proctor_token not in printed and typed(proctor_token) not in printed
    for i, cand in enumerate(api):
        slip = slips.nth(i)
        expect(slip).to_be_visible()
        expect(slip.locator(".slip-token")).to_have_text(shown(tokens[cand["session_id"]]))
        expect(slip.locator(".slip-address")).to_have_text(f"{live.base_url}/")
        expect(slip.locator(".slip-room")).to_have_text("Ruang 2 — Kanreg Medan")
        expect(slip.locator(".slip-name")).to_have_text(cand["name"])
    family = slips.nth(0).locator(".slip-token").evaluate("e => getComputedStyle(e).fontFamily")
    assert "mono" in family.lower()
    page.set_viewport_size({"width": 794, "height": 1123})  # one A4 sheet at 96 dpi
    shot(page, "admin-print")
    assert pdf_pages(page) == 1
    page.emulate_media(media="screen")
    expect(page.locator(".topbar")).to_be_visible()

    # --- a reload forgets every token: the rows stay, each saying its token is not here; nothing to print
    page.set_viewport_size({"width": 1366, "height": 768})
    page.reload()
    expect(page.locator("#tokens tbody tr")).to_have_count(5)
    expect(page.locator("#tokens tbody .token")).to_have_text([NOT_HELD] * 5)
    assert [{k: r[k] for k in ("name", "employee_id", "session_id")} for r in table_rows(page)] == api
    expect(page.locator("#proctor-box")).to_be_hidden()
    expect(page.locator("#proctor-state")).to_contain_text("tidak tersimpan di halaman ini")
    expect(page.locator("#held-text")).to_contain_text("tidak menyimpan token 5 peserta")
    for button in ("#print-btn", "#csv-dl-btn", "#xlsx-dl-btn"):
        expect(page.locator(button)).to_be_disabled()
    expect(page.locator(".slip")).to_have_count(0)
    assert candidate_hello(live, tokens[api[0]["session_id"]]) == "waiting", "a reload must not change a token"
    assert not csp, csp


def test_rooms_created_closed_unless_asked_open(open_page: OpenPage, live: Live, shot: Any) -> None:
    page = open_page("/admin")
    signed_in(page, live)
    box = page.locator("#room-open")
    expect(box).not_to_be_checked()  # closed by default
    expect(page.locator("#room-open-hint")).to_contain_text("ruang dibuat tertutup")

    # a room created as the form comes: closed, and said so in the notice, the rooms list and the room's panel
    page.locator("#room-name").fill("Ruang Tertutup")
    page.locator("#room-battery").select_option(BATTERY)
    page.locator("#create-btn").click()
    expect(page.locator("#proctor-box")).to_be_visible()
    closed_id = page.locator("#room-id").inner_text()
    closed_token = page.locator("#proctor-token").inner_text()
    expect(page.locator("#create-msg")).to_contain_text("dalam keadaan tertutup")
    listed = page.locator(f'#rooms li[data-room="{closed_id}"] .room-state')
    expect(listed).to_have_text("Ditutup")
    expect(listed).to_have_attribute("data-open", "false")
    expect(page.locator("#room-state-now")).to_have_text("Ditutup")
    rooms = {r["room_id"]: r for r in live.get("/api/rooms")["rooms"]}
    assert rooms[closed_id]["open"] is False

    # the box ticked from the keyboard: the room is open at once
    page.locator("#room-name").fill("Ruang Terbuka")
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
    shot(page, "admin-create-open")
    page.locator("#create-btn").click()
    expect(page.locator("#create-msg")).to_contain_text("sudah dibuka")
    open_id = page.locator("#room-id").inner_text()
    assert open_id != closed_id
    expect(page.locator(f'#rooms li[data-room="{open_id}"] .room-state')).to_have_text("Dibuka")
    expect(page.locator(f'#rooms li[data-room="{closed_id}"] .room-state')).to_have_text("Ditutup")
    expect(page.locator("#room-state-now")).to_have_text("Dibuka")
    expect(box).not_to_be_checked()  # the next room is closed again unless asked
    rooms = {r["room_id"]: r for r in live.get("/api/rooms")["rooms"]}
    assert rooms[open_id]["open"] is True and rooms[closed_id]["open"] is False

    # the server agrees: a candidate of the closed room waits, one of the open room gets the welcome
    page.locator("#paste-text").fill("199707072024071007, Wulan Sari")
    page.locator("#paste-btn").click()
    expect(page.locator("#tokens tbody .token")).to_have_text([SHOWN_TOKEN])
    assert candidate_hello(live, typed(table_rows(page)[0]["token"])) == "welcome"
    page.locator(f'#rooms li[data-room="{closed_id}"] a').click()
    expect(page.locator("#room-id")).to_have_text(closed_id)
    page.locator("#paste-text").fill("199808082024081008, Joko Susilo")
    page.locator("#paste-btn").click()
    expect(page.locator("#tokens tbody .token")).to_have_text([SHOWN_TOKEN])
    assert candidate_hello(live, typed(table_rows(page)[0]["token"])) == "waiting"

    async def snapshot_open() -> Any:
        proctor = ProctorClient(live.server.ws_url, closed_token)
        try:
            return (await proctor.connect())["room"]["open"]
        finally:
            await proctor.disconnect()

    assert run_async(snapshot_open()) is False
    shot(page, "admin-rooms-open-closed")

    # the list in English
    page.locator("#lang button", has_text="EN").click()
    expect(page.locator(f'#rooms li[data-room="{open_id}"] .room-state')).to_have_text("Open")
    expect(page.locator(f'#rooms li[data-room="{closed_id}"] .room-state')).to_have_text("Closed")
    expect(page.locator("label[for=room-open]")).to_have_text("Open the room now")


def test_lost_tokens_reissued_one_row_then_the_rest(open_page: OpenPage, live: Live, shot: Any) -> None:
    room = live.new_room(5, name="Ruang Token Hilang")
    old = {c["session_id"]: c["token"] for c in room["candidates"]}
    page = open_page(f"/admin#room={room['room_id']}", wait=False)
    page.add_init_script(STUB_PRINT)
    page.goto(f"{live.base_url}/admin#room={room['room_id']}")
    signed_in(page, live)
    rows = page.locator("#tokens tbody tr")
    expect(rows).to_have_count(5)
    expect(page.locator("#tokens tbody .token")).to_have_text([NOT_HELD] * 5)  # made by the API, not in this tab
    expect(page.locator("#reissue-missing-btn")).to_have_text("Terbitkan ulang token yang tidak ada di halaman ini (5)")
    row_box = rows.nth(1).bounding_box()
    shot(page, "admin-tokens-not-held")

    # --- one row, by keyboard: Escape changes nothing; confirmed, only that row gets a new token
    second = sorted(old)[1]
    button = rows.nth(1).locator(".reissue-btn")
    expect(button).to_have_attribute("aria-label", "Terbitkan token baru untuk Peserta 02")
    dialog = confirm_dialog(page, button)
    expect(dialog.locator("#confirm-who li")).to_have_count(1)
    expect(dialog.locator("#confirm-who")).to_contain_text("Peserta 02")
    expect(dialog.locator("#confirm-note")).to_contain_text("berhenti berlaku saat ini juga")
    shot(page, "admin-reissue-confirm")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    expect(page.locator("#tokens tbody .token")).to_have_text([NOT_HELD] * 5)

    confirm_dialog(page, button)
    page.locator("#confirm-ok").click()
    expect(page.locator("#tokens-msg")).to_contain_text("Token baru diterbitkan: 1")
    new_token = rows.nth(1).locator(".token")
    expect(new_token).to_have_text(SHOWN_TOKEN)
    expect(rows.nth(1).locator(".reissue-btn")).to_be_focused()
    for i in (0, 2, 3, 4):
        expect(rows.nth(i).locator(".token")).to_have_text(NOT_HELD)
    box = rows.nth(1).bounding_box()
    assert row_box and box, "the row is not drawn"
    assert (box["width"], box["height"]) == (row_box["width"], row_box["height"]), "the row changed size with its token"
    fresh = typed(new_token.inner_text())
    assert fresh != old[second]
    assert candidate_hello(live, old[second]) == "bad_token", "the replaced token still opens the session"
    assert candidate_hello(live, fresh) == "welcome"
    assert candidate_hello(live, old[sorted(old)[0]]) == "welcome", "a token not replaced stopped working"
    expect(page.locator("#held-text")).to_contain_text("menyimpan token 1 dari 5 peserta")

    # --- print and download hold only the row with a token, and say how many were left out and why
    page.locator("#print-btn").click()
    assert page.evaluate("window.__printed") == 1
    expect(page.locator(".slip")).to_have_count(1)
    expect(page.locator(".slip-token")).to_have_text(shown(fresh))
    expect(page.locator("#tokens-msg")).to_contain_text("4 peserta tidak ikut tercetak")
    assert [(r["session_id"], r["token"]) for r in download_csv(page)] == [(second, shown(fresh))]
    expect(page.locator("#tokens-msg")).to_contain_text("4 peserta tidak ada di berkas")

    # --- the rest at once: the four rows without a token, behind the same confirmation
    dialog = confirm_dialog(page, page.locator("#reissue-missing-btn"))
    expect(dialog.locator("#confirm-text")).to_have_text("4 peserta mendapat token baru:")
    expect(dialog.locator("#confirm-who li")).to_have_count(4)
    page.locator("#confirm-ok").click()
    expect(page.locator("#tokens-msg")).to_contain_text("Token baru diterbitkan: 4")
    expect(page.locator("#tokens tbody .token")).to_have_text([SHOWN_TOKEN] * 5)
    expect(page.locator("#reissue-missing-btn")).to_be_disabled()
    expect(page.locator("#print-btn")).to_be_focused()  # nothing left to re-issue: the next step
    expect(page.locator("#held-text")).to_contain_text("Token semua peserta (5)")
    shown_tokens = {r["session_id"]: typed(r["token"]) for r in table_rows(page)}
    assert shown_tokens[second] == fresh  # the row replaced first keeps its token
    assert {r["session_id"]: typed(r["token"]) for r in download_csv(page)} == shown_tokens
    third = sorted(old)[2]
    assert candidate_hello(live, old[third]) == "bad_token"
    assert candidate_hello(live, shown_tokens[third]) == "welcome"
    page.emulate_media(media="print")
    expect(page.locator(".sheet .slip")).to_have_count(5)
    page.emulate_media(media="screen")


def test_new_proctor_token(open_page: OpenPage, live: Live, shot: Any) -> None:
    room = live.new_room(1, name="Ruang Pengawas")
    page = open_page(f"/admin#room={room['room_id']}", wait=False)
    page.add_init_script(STUB_PRINT)
    page.goto(f"{live.base_url}/admin#room={room['room_id']}")
    signed_in(page, live)
    expect(page.locator("#proctor-box")).to_be_hidden()  # shown only in the tab that got it
    expect(page.locator("#proctor-state")).to_contain_text("tidak tersimpan di halaman ini")
    expect(page.locator("#print-btn")).to_be_disabled()  # no candidate token here, and never the proctor's
    dialog = confirm_dialog(page, page.locator("#proctor-new-btn"))
    expect(dialog.locator("#confirm-h")).to_have_text("Terbitkan token pengawas baru?")
    expect(dialog).to_contain_text("berhenti berlaku saat ini juga")
    expect(dialog).to_contain_text("Konsol pengawas yang sudah masuk tetap berjalan sampai tersambung ulang")
    expect(dialog.locator("#confirm-who")).to_be_hidden()
    page.locator("#confirm-ok").click()
    expect(page.locator("#proctor-msg")).to_contain_text("Token pengawas baru diterbitkan")
    expect(page.locator("#proctor-box")).to_be_visible()
    expect(page.locator("#proctor-box")).to_contain_text("hanya sekali")
    token = page.locator("#proctor-token").inner_text()
    assert PROCTOR_TOKEN.match(token) and token != room["proctor_token"], token  # the new one, dashed
    expect(page.locator("#proctor-link")).to_have_attribute("href", f"{live.base_url}/proctor#t={token}")
    expect(page.locator("#proctor-new-btn")).to_be_focused()
    assert proctor_hello(live, room["proctor_token"]) == "bad_token", "the old proctor token still opens the room"
    assert proctor_hello(live, token) == "snapshot"
    assert proctor_hello(live, typed(token).lower()) == "snapshot", "typed from paper: dashes and case do not matter"
    shot(page, "admin-proctor-reissued")
    # the link handed out opens the room's console
    console = open_page("/proctor", wait=False)
    console.goto(str(page.locator("#proctor-link").get_attribute("href")))
    expect(console.locator("#rows tr")).to_have_count(1)
    console.close()

    # printed on a card of its own: the room, the console's address, the token dashed in a monospaced face
    page.locator("#proctor-print-btn").click()
    assert page.evaluate("window.__printed") == 1
    expect(page.locator("#proctor-msg")).to_contain_text("Kartu pengawas dikirim ke pencetak")
    page.emulate_media(media="print")
    card = page.locator("#proctor-sheet .proctor-card")
    expect(card).to_be_visible()
    expect(page.locator("#sheets")).to_be_hidden()
    expect(card.locator(".card-token")).to_have_text(token)
    expect(card.locator(".card-room")).to_have_text("Ruang Pengawas")
    expect(card.locator(".card-address")).to_have_text(f"{live.base_url}/proctor")
    expect(card.locator(".card-link")).to_have_text(f"{live.base_url}/proctor#t={token}")
    expect(card).to_contain_text("RAHASIA")
    family = card.locator(".card-token").evaluate("e => getComputedStyle(e).fontFamily")
    assert "mono" in family.lower()
    assert pdf_pages(page) == 1
    # once printed, the card leaves the page, and the browser's own Print takes the candidates' slips again
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    expect(page.locator("#proctor-sheet .proctor-card")).to_have_count(0)
    assert page.evaluate("document.body.dataset.print") is None
    page.emulate_media(media="screen")


def test_slips_fill_several_a4_pages(open_page: OpenPage, live: Live) -> None:
    room = live.new_room(12, name="Ruang Besar")
    page = open_page(f"/admin#room={room['room_id']}")
    signed_in(page, live)
    expect(page.locator("#tokens tbody tr")).to_have_count(12)
    expect(page.locator("#proctor-box")).to_be_hidden()  # shown only in the tab that created the room
    confirm_dialog(page, page.locator("#reissue-missing-btn"))
    expect(page.locator("#confirm-who li")).to_have_count(9)  # eight names and "... and 4 more"
    expect(page.locator("#confirm-who li").last).to_have_text("… dan 4 peserta lainnya")
    page.locator("#confirm-ok").click()
    expect(page.locator("#tokens tbody .token")).to_have_text([SHOWN_TOKEN] * 12)
    page.emulate_media(media="print")
    expect(page.locator(".sheet")).to_have_count(2)
    expect(page.locator(".sheet").first.locator(".slip")).to_have_count(10)
    expect(page.locator(".slip.proctor")).to_have_count(0)
    assert pdf_pages(page) == 2


def test_results_csv_downloaded_with_the_bearer_token(open_page: OpenPage, live: Live) -> None:
    room = live.new_room(2, name="Ruang Hasil")
    first = room["candidates"][0]

    async def finish() -> str:
        client = CandidateClient(live.server.ws_url, first["token"])
        frame = await client.connect()
        while frame.type in ("welcome", "subtest_intro", "item"):
            if frame.type == "item":
                frame = await client.answer(int(frame["seq"]), 0)
                continue
            go: dict[str, Any] = {"type": "start"}
            if frame.type == "subtest_intro":
                go["subtest"] = int(frame["subtest"]["index"])
            await client.send(go)
            frame = await client.recv()
        await client.disconnect()
        return frame.type

    assert run_async(finish()) == "finished"
    page = open_page(f"/admin#room={room['room_id']}")
    signed_in(page, live)
    expect(page.locator("#tokens tbody tr")).to_have_count(2)
    with page.expect_download() as info:
        page.locator("#results-btn").click()
    download = info.value
    assert download.suggested_filename == f"results-{room['room_id']}.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows and tuple(rows[0]) == RESULT_COLUMNS
    assert {r["session_id"] for r in rows} == {first["session_id"]}
    api_rows = live.get(f"/api/rooms/{room['room_id']}/results")["results"]
    assert len(rows) == len(api_rows)
    expect(page.locator("#results-msg")).to_contain_text(f"{len(rows)} baris")


def test_english_texts(open_page: OpenPage, live: Live) -> None:
    room = live.new_room(1, name="Room EN")
    # ?lang=en before the hash (open_page's lang= would append it after the hash)
    page = open_page(f"/admin?lang=en#room={room['room_id']}")
    expect(page.locator("#signin h1")).to_have_text("Sign in as admin")
    assert page.evaluate("document.documentElement.lang") == "en"
    sign_in(page, "wrong")
    expect(page.locator("#signin-msg")).to_contain_text("The server refused this admin token")
    signed_in(page, live)
    expect(page.locator("#create-h")).to_have_text("Create a room")
    expect(page.locator("#print-btn")).to_have_text("Print candidate slips")
    expect(page.locator("#csv-dl-btn")).to_have_text("Download CSV")
    expect(page.locator("#tokens thead")).to_contain_text("Employee ID")
    expect(page.locator("label.file-pick")).to_have_text("Choose a file…")
    expect(page.locator("#count")).to_have_text("1 registered")
    expect(page.locator("#tokens tbody .token")).to_have_text("not held on this page")
    row_button = page.locator("#tokens tbody .reissue-btn")
    expect(row_button).to_have_text("New token")
    expect(row_button).to_have_attribute("aria-label", "Issue a new token for Peserta 01")
    expect(page.locator("#proctor-new-btn")).to_have_text("Issue a new proctor token")
    confirm_dialog(page, row_button)
    expect(page.locator("#confirm-h")).to_have_text("Issue new tokens?")
    expect(page.locator("#confirm-note")).to_contain_text("old token stops working at once")
    page.locator("#confirm-ok").click()
    expect(page.locator("#tokens-msg")).to_contain_text("New tokens issued: 1")
    page.emulate_media(media="print")
    expect(page.locator(".slip").first).to_contain_text("Test address")
    page.emulate_media(media="screen")

    # the switch in the top bar turns the page (and the slips) back to Bahasa Indonesia
    page.locator("#lang button", has_text="ID").click()
    expect(page.locator("#print-btn")).to_have_text("Cetak slip peserta")
    expect(page.locator("#csv-dl-btn")).to_have_text("Unduh CSV")
    expect(page.locator(".slip").first).to_contain_text("Alamat ujian")
    assert page.evaluate("document.documentElement.lang") == "id"


def test_slips_and_proctor_card_at_the_public_address(browser: Any, public_live: Live, shot: Any) -> None:
    """With CAT_PUBLIC_URL set, slips, links and the tokens file carry it (not the page's 127.0.0.1), with no
    warning; the slips never hold the proctor token, which is printed on a card of its own."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.add_init_script(STUB_PRINT)
        page.goto(public_live.base_url + "/admin")
        signed_in(page, public_live)
        assert public_live.get("/api/info") == {"public_url": PUBLIC_URL}
        expect(page.locator("#address-msg")).to_be_hidden()

        page.locator("#room-name").fill("Ruang 3 — Kanreg Medan")
        page.locator("#room-battery").select_option(BATTERY)
        page.locator("#create-btn").click()
        expect(page.locator("#proctor-box")).to_be_visible()
        room_id = page.locator("#room-id").inner_text()
        proctor_token = page.locator("#proctor-token").inner_text()
        assert PROCTOR_TOKEN.match(proctor_token), proctor_token
        expect(page.locator("#proctor-link")).to_have_attribute("href", f"{PUBLIC_URL}/proctor#t={proctor_token}")
        expect(page.locator("#proctor-box")).to_contain_text("tidak pernah tercetak pada slip peserta")
        expect(page.locator("#slip-address")).to_have_text(
            f"Alamat pada slip dan tautan: {PUBLIC_URL} (CAT_PUBLIC_URL server)."
        )
        roster = "\n".join(f"19900101202012{i:04d}, Peserta Publik {i:02d}" for i in range(1, 13))
        page.locator("#paste-text").fill(roster)
        page.locator("#paste-btn").click()
        expect(page.locator("#tokens tbody .token")).to_have_text([SHOWN_TOKEN] * 12)
        tokens = {r["session_id"]: r["token"] for r in table_rows(page)}

        # the tokens file: dashed tokens, links at the public address
        rows = download_csv(page)
        assert {r["session_id"]: r["token"] for r in rows} == tokens
        assert all(r["link"] == f"{PUBLIC_URL}/#t={typed(r['token'])}" for r in rows)

        # the candidates' slips: the public address, and nothing of the proctor's
        page.locator("#print-btn").click()
        assert page.evaluate("window.__printed") == 1
        page.emulate_media(media="print")
        slips = page.locator(".sheet .slip")
        expect(slips).to_have_count(12)
        expect(page.locator(".sheet")).to_have_count(2)
        expect(page.locator("#proctor-sheet")).to_be_hidden()
        expect(page.locator(".sheet .slip-address")).to_have_text([f"{PUBLIC_URL}/"] * 12)
        expect(slips.first.locator(".slip-token")).to_have_text(next(iter(tokens.values())))
        printed = page.locator("#sheets").inner_text()
        assert "127.0.0.1" not in printed
        for secret in (proctor_token, typed(proctor_token)):
            assert secret not in printed and secret not in page.locator("#sheets").inner_html()
        assert pdf_pages(page) == 2
        shot(page, "admin-slips-sheet")

        # the proctor card: its own paper, the token dashed in large type, the console at the public address
        page.emulate_media(media="screen")
        card_button = page.locator("#proctor-print-btn")
        card_button.focus()
        page.keyboard.press("Enter")
        assert page.evaluate("window.__printed") == 2
        page.emulate_media(media="print")
        expect(page.locator("#sheets")).to_be_hidden()
        card = page.locator("#proctor-sheet .proctor-card")
        expect(card).to_be_visible()
        expect(card.locator(".card-token")).to_have_text(proctor_token)
        expect(card.locator(".card-address")).to_have_text(f"{PUBLIC_URL}/proctor")
        expect(card.locator(".card-link")).to_have_text(f"{PUBLIC_URL}/proctor#t={proctor_token}")
        expect(card.locator(".card-room")).to_have_text("Ruang 3 — Kanreg Medan")
        expect(card).to_contain_text(room_id)
        assert not any(t in page.locator("#proctor-sheet").inner_text() for t in tokens.values())
        size = card.locator(".card-token").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        slip_size = page.locator("#proctor-sheet .slip-label").first.evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)"
        )
        assert size >= 2 * slip_size, "the proctor token is not in large type"
        # within the card's content (as wide as its "RAHASIA" line), on one line
        box, inner = card.locator(".card-token").bounding_box(), card.locator(".card-secret").bounding_box()
        assert box and inner and box["x"] + box["width"] <= inner["x"] + inner["width"], "the token runs off the card"
        lines = card.locator(".card-token").evaluate(
            "e => { const r = document.createRange(); r.selectNodeContents(e); return r.getClientRects().length; }"
        )
        assert lines == 1, "the token is broken over lines"
        shot(page, "admin-proctor-card")  # before the PDF: printing it ends with afterprint (the slips again)
        assert pdf_pages(page) == 1
        page.emulate_media(media="screen")
        assert proctor_hello(public_live, typed(proctor_token)) == "snapshot"
    finally:
        context.close()
    assert not errors, errors


def test_edit_and_remove_candidates_who_have_not_started(open_page: OpenPage, live: Live, shot: Any) -> None:
    room = live.new_room(4, name="Ruang Koreksi")
    room_id = room["room_id"]
    cands = {c["session_id"]: c for c in room["candidates"]}
    first, second, third, fourth = sorted(cands)
    page = open_page(f"/admin#room={room_id}")
    signed_in(page, live)
    rows = page.locator("#tokens tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("#tokens tbody .edit-btn:enabled")).to_have_count(4)
    expect(page.locator("#tokens tbody .remove-btn:enabled")).to_have_count(4)

    # --- edit by keyboard: the dialog opens on the name; Escape changes nothing
    edit = rows.nth(0).locator(".edit-btn")
    expect(edit).to_have_attribute("aria-label", "Ubah nama atau NIP Peserta 01")
    edit.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#edit")
    expect(dialog).to_be_visible()
    expect(page.locator("#edit-name")).to_be_focused()
    expect(page.locator("#edit-name")).to_have_value("Peserta 01")
    expect(page.locator("#edit-employee")).to_have_value(cands[first]["employee_id"])
    expect(page.locator("#edit-session")).to_have_text(first)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(edit).to_be_focused()

    page.keyboard.press("Enter")
    page.keyboard.type("Budi Santoso, S.Kom.")  # the name was selected: typing replaces it
    page.locator("#edit-employee").fill("199001012020129999")
    shot(page, "admin-edit-dialog")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#tokens-msg")).to_contain_text(
        f"Data peserta {first} diperbarui: Budi Santoso, S.Kom., NIP 199001012020129999."
    )
    expect(rows.nth(0).locator(".name")).to_have_text("Budi Santoso, S.Kom.")
    expect(rows.nth(0).locator(".edit-btn")).to_be_focused()
    by_session = {c["session_id"]: c for c in api_candidates(live, room_id)}
    assert (by_session[first]["name"], by_session[first]["employee_id"]) == (
        "Budi Santoso, S.Kom.",
        "199001012020129999",
    )
    assert candidate_hello(live, cands[first]["token"]) == "welcome", "an edit must not change the token"

    # --- an employee id another candidate has: 409 duplicate_employee, said in Indonesian in the dialog
    rows.nth(1).locator(".edit-btn").click()
    page.locator("#edit-employee").fill("199001012020129999")
    page.locator("#edit-save").click()
    msg = page.locator("#edit-msg")
    expect(msg).to_be_visible()
    expect(msg.locator(".line").nth(0)).to_have_text("Data peserta tidak diubah.")
    expect(msg.locator(".line").nth(1)).to_have_text("NIP 199001012020129999 sudah dipakai peserta lain di ruang ini.")
    expect(msg).not_to_contain_text(wire_text("duplicate_employee", "id"))
    expect(msg).not_to_contain_text("already registered")
    expect(dialog).to_be_visible()  # kept open, to be fixed
    # an empty name is caught before anything is sent
    page.locator("#edit-name").fill("   ")
    page.locator("#edit-save").click()
    expect(msg).to_have_text("Nama tidak boleh kosong.")
    expect(page.locator("#edit-name")).to_be_focused()
    page.locator("#edit-cancel").click()
    expect(dialog).to_be_hidden()
    assert api_candidates(live, room_id)[1]["employee_id"] == cands[second]["employee_id"]

    # --- remove, behind a confirmation (Cancel focused): the row, its session and its token are gone
    confirm = confirm_dialog(page, rows.nth(1).locator(".remove-btn"))
    expect(confirm.locator("#confirm-h")).to_have_text("Hapus peserta?")
    expect(confirm.locator("#confirm-who")).to_contain_text("Peserta 02")
    expect(confirm.locator("#confirm-note")).to_contain_text("tidak dapat dibatalkan")
    expect(page.locator("#confirm-ok")).to_have_class(re.compile(r"\bdanger\b"))
    page.keyboard.press("Escape")
    expect(rows).to_have_count(4)
    confirm_dialog(page, rows.nth(1).locator(".remove-btn"))
    page.locator("#confirm-ok").click()
    expect(page.locator("#tokens-msg")).to_contain_text("Peserta 02 (NIP")
    expect(page.locator("#tokens-msg")).to_contain_text("dihapus dari ruang ini")
    expect(rows).to_have_count(3)
    assert second not in {c["session_id"] for c in api_candidates(live, room_id)}
    assert candidate_hello(live, cands[second]["token"]) == "bad_token", "a removed candidate's token still works"

    # --- a candidate who started after the page loaded: the removal is refused (409 started), in Indonesian
    assert start_test(live, cands[fourth]["token"]) in ("subtest_intro", "item")
    assert phases(live, room_id)[fourth] != "ready"
    confirm_dialog(page, rows.nth(2).locator(".remove-btn"))
    page.locator("#confirm-ok").click()
    tokens_msg = page.locator("#tokens-msg")
    expect(tokens_msg).to_have_class(re.compile(r"\bbad\b"))
    expect(tokens_msg.locator(".line").nth(0)).to_have_text("Peserta tidak dihapus.")
    expect(tokens_msg.locator(".line").nth(1)).to_have_text("Peserta ini sudah mulai tes: ia tidak dapat dihapus lagi.")
    expect(tokens_msg).not_to_contain_text(wire_text("started", "id"))
    assert fourth in {c["session_id"] for c in api_candidates(live, room_id)}
    # the table learnt it: that row can no longer be edited or removed, and says why
    expect(rows.nth(2).locator(".remove-btn")).to_be_disabled()
    expect(rows.nth(2).locator(".edit-btn")).to_be_disabled()
    expect(rows.nth(2).locator(".phase")).to_have_text("Sedang tes")

    # --- and an edit of one who started meanwhile: 409 started in the dialog, nothing changed
    assert start_test(live, cands[third]["token"]) in ("subtest_intro", "item")
    rows.nth(1).locator(".edit-btn").click()
    page.locator("#edit-name").fill("Nama Baru")
    page.locator("#edit-save").click()
    expect(msg.locator(".line").nth(1)).to_have_text("Peserta ini sudah mulai tes: datanya tidak dapat diubah lagi.")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(rows.nth(1).locator(".edit-btn")).to_be_disabled()
    assert api_candidates(live, room_id)[1]["name"] == "Peserta 03"
    rows.last.scroll_into_view_if_needed()
    shot(page, "admin-roster-started")

    # the page in English says the same in English
    page.locator("#lang button", has_text="EN").click()
    expect(tokens_msg.locator(".line").nth(1)).to_have_text(
        "This candidate has started the test: they can no longer be removed."
    )
    expect(rows.nth(0).locator(".edit-btn")).to_have_text("Edit")
    expect(rows.nth(0).locator(".remove-btn")).to_have_text("Remove")
    expect(rows.nth(1).locator(".phase")).to_have_text("Testing")


def test_archived_room_hidden_from_the_list(open_page: OpenPage, live: Live, shot: Any) -> None:
    keep = live.new_room(1, name="Ruang Tetap")
    gone = live.new_room(1, name="Ruang Lama")
    page = open_page(f"/admin#room={gone['room_id']}")
    signed_in(page, live)
    listed = page.locator(f'#rooms li[data-room="{gone["room_id"]}"]')
    expect(listed).to_be_visible()
    expect(page.locator("#show-archived")).not_to_be_checked()

    dialog = confirm_dialog(page, page.locator("#archive-btn"))
    expect(dialog.locator("#confirm-h")).to_have_text("Arsipkan ruang ini?")
    expect(dialog.locator("#confirm-text")).to_contain_text(f"Ruang Lama\u201d ({gone['room_id']})")
    expect(dialog.locator("#confirm-note")).to_contain_text("tidak dapat dibuka kembali")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert {r["room_id"]: r for r in live.get("/api/rooms")["rooms"]}[gone["room_id"]]["archived"] is False

    confirm_dialog(page, page.locator("#archive-btn"))
    page.locator("#confirm-ok").click()
    expect(page.locator("#archive-msg")).to_contain_text("Ruang \u201cRuang Lama\u201d diarsipkan")
    rooms = {r["room_id"]: r for r in live.get("/api/rooms")["rooms"]}
    assert rooms[gone["room_id"]]["archived"] is True and rooms[gone["room_id"]]["open"] is False
    assert rooms[keep["room_id"]]["archived"] is False

    # gone from the list; the room's own panel stays, marked, its roster final
    expect(listed).to_have_count(0)
    expect(page.locator(f'#rooms li[data-room="{keep["room_id"]}"]')).to_be_visible()
    expect(page.locator("#room-state-now")).to_have_text("Diarsipkan")
    expect(page.locator("#archive-btn")).to_be_hidden()
    expect(page.locator("#room-h")).to_be_focused()
    for button in ("#paste-btn", "#csv-btn"):
        expect(page.locator(button)).to_be_disabled()
    expect(page.locator("#tokens tbody .edit-btn")).to_be_disabled()
    expect(page.locator("#results-btn")).to_be_enabled()  # its results can still be downloaded

    # shown again, marked, when asked (from the keyboard)
    expect(page.locator("label[for=show-archived]")).to_contain_text("Tampilkan arsip (")
    page.locator("#show-archived").focus()
    page.keyboard.press("Space")
    expect(listed).to_be_visible()
    expect(listed).to_have_class(re.compile(r"\barchived\b"))
    expect(listed.locator(".room-state")).to_have_text("Diarsipkan")
    shot(page, "admin-archived")

    # a fresh page knows it from GET /api/rooms: hidden by default
    page.reload()
    expect(page.locator(f'#rooms li[data-room="{keep["room_id"]}"]')).to_be_visible()
    expect(page.locator(f'#rooms li[data-room="{gone["room_id"]}"]')).to_have_count(0)
    expect(page.locator("#room-state-now")).to_have_text("Diarsipkan")
