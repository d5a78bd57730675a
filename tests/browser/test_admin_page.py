"""The admin page at /admin: sign-in with the admin token, rooms, rosters (CSV file or pasted rows), tokens to print
or download (only those the tab got in a reply: the server keeps digests), replacing lost candidate and proctor
tokens, results download; checked against the admin API and the sockets of the live server."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import FilePayload, Page, expect
from protocol_client import CandidateClient, ProctorClient

from cat_engine.server.results import RESULT_COLUMNS
from cat_engine.server.wire_errors import text as wire_text

from .conftest import Live, run_async

BATTERY = "cact-short"
SHOWN_TOKEN = re.compile(r"^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$")
NOT_HELD = "tidak tersimpan di halaman ini"
# a stub, installed before the page's scripts: the test sees the call instead of a print dialog
STUB_PRINT = "window.print = () => { window.__printed = (window.__printed || 0) + 1; };"

OpenPage = Callable[..., Page]


def shown(token: str) -> str:
    return "-".join(token[i : i + 4] for i in range(0, 12, 4))


def typed(shown_token: str) -> str:
    """A token as the table shows it, as a candidate would type it (the dashes are optional for the server too)."""
    return shown_token.replace("-", "")


def candidate_hello(live: Live, token: str) -> str:
    """What a candidate's ``hello`` with ``token`` gets: the first frame's type, or the error's code."""

    async def hello() -> str:
        client = CandidateClient(live.server.ws_url, token)
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
    return list(reader)


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
    assert room_id and len(proctor_token) >= 32
    expect(page.locator("#room-h")).to_have_text("Ruang 2 — Kanreg Medan")
    expect(page.locator("#proctor-link")).to_have_attribute("href", f"{live.base_url}/proctor#t={proctor_token}")
    assert page.url.endswith(f"#room={room_id}")
    rooms = {r["room_id"]: r for r in live.get("/api/rooms")["rooms"]}
    assert rooms[room_id] == {"room_id": room_id, "name": "Ruang 2 — Kanreg Medan", "battery": BATTERY}
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
    assert candidate_hello(live, typed(rows[1]["token"])) == "item", "a token shown does not open its session"

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

    # --- a duplicate employee id: refused, the server's message shown, nothing of that roster stored
    upload(page, "tambahan.csv", roster_csv([("199606062024061006", "Andi Wijaya"), ("199001012020121001", "Budi")]))
    msg = page.locator("#roster-msg")
    expect(msg).to_have_class(re.compile(r"\bbad\b"))
    expect(msg).to_contain_text("Tidak satu pun peserta dari daftar ini disimpan")
    expect(msg).to_contain_text("199001012020121001")
    expect(msg).to_contain_text(wire_text("duplicate_employee", "id"))  # the server's own words, in its language
    expect(page.locator("#csv-name")).to_have_text("tambahan.csv")  # kept, to be fixed and sent again
    assert api_candidates(live, room_id) == api
    expect(page.locator("#tokens tbody tr")).to_have_count(5)

    # --- the tokens as CSV, built in the page: the same rows as the API, the tokens of the table, the candidate link
    with page.expect_download() as info:
        page.locator("#csv-dl-btn").click()
    assert info.value.suggested_filename == f"tokens-{room_id}.csv"
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert list(csv.DictReader(io.StringIO(text))) == [
        {**c, "token": tokens[c["session_id"]], "link": f"{live.base_url}/#t={tokens[c['session_id']]}"} for c in api
    ]
    expect(page.locator("#tokens-msg")).to_have_text("Token diunduh: 5.")
    page.locator("#tokens tbody tr").last.scroll_into_view_if_needed()
    shot(page, "admin-tokens")

    # --- print: window.print() with one slip per candidate (and the proctor's), the page itself hidden
    page.locator("#print-btn").click()
    assert page.evaluate("window.__printed") == 1
    expect(page.locator(".slip")).to_have_count(6)
    expect(page.locator(".slip").first).to_be_hidden()  # on screen the slips are not shown
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("main")).to_be_hidden()
    slips = page.locator(".sheet .slip")
    expect(slips).to_have_count(6)
    expect(slips.first).to_be_visible()
    expect(slips.first).to_have_class(re.compile(r"\bproctor\b"))
    expect(slips.first).to_contain_text(proctor_token)
    for i, cand in enumerate(api, start=1):
        slip = slips.nth(i)
        expect(slip).to_be_visible()
        expect(slip.locator(".slip-token")).to_have_text(shown(tokens[cand["session_id"]]))
        expect(slip.locator(".slip-address")).to_have_text(f"{live.base_url}/")
        expect(slip.locator(".slip-room")).to_have_text("Ruang 2 — Kanreg Medan")
        expect(slip.locator(".slip-name")).to_have_text(cand["name"])
    family = slips.nth(1).locator(".slip-token").evaluate("e => getComputedStyle(e).fontFamily")
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
    assert candidate_hello(live, tokens[api[0]["session_id"]]) == "item", "a reload must not change a token"
    assert not csp, csp


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
    assert candidate_hello(live, fresh) == "item"
    assert candidate_hello(live, old[sorted(old)[0]]) == "item", "a token not replaced stopped working"
    expect(page.locator("#held-text")).to_contain_text("menyimpan token 1 dari 5 peserta")

    # --- print and download hold only the row with a token, and say how many were left out and why
    page.locator("#print-btn").click()
    assert page.evaluate("window.__printed") == 1
    expect(page.locator(".slip")).to_have_count(1)
    expect(page.locator(".slip-token")).to_have_text(shown(fresh))
    expect(page.locator("#tokens-msg")).to_contain_text("4 peserta tidak ikut tercetak")
    assert [(r["session_id"], r["token"]) for r in download_csv(page)] == [(second, fresh)]
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
    assert {r["session_id"]: r["token"] for r in download_csv(page)} == shown_tokens
    third = sorted(old)[2]
    assert candidate_hello(live, old[third]) == "bad_token"
    assert candidate_hello(live, shown_tokens[third]) == "item"
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
    assert len(token) >= 32 and token != room["proctor_token"]
    expect(page.locator("#proctor-link")).to_have_attribute("href", f"{live.base_url}/proctor#t={token}")
    expect(page.locator("#proctor-new-btn")).to_be_focused()
    assert proctor_hello(live, room["proctor_token"]) == "bad_token", "the old proctor token still opens the room"
    assert proctor_hello(live, token) == "snapshot"
    shot(page, "admin-proctor-reissued")

    # printed: the proctor's slip; the candidate whose token is not here is left out, and the page says so
    page.locator("#print-btn").click()
    expect(page.locator(".slip")).to_have_count(1)
    expect(page.locator(".slip.proctor")).to_contain_text(token)
    expect(page.locator("#tokens-msg")).to_contain_text("1 peserta tidak ikut tercetak")


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
        while frame.type == "item":
            frame = await client.answer(int(frame["seq"]), 0)
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
    expect(page.locator("#print-btn")).to_have_text("Print")
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
    expect(page.locator("#print-btn")).to_have_text("Cetak")
    expect(page.locator("#csv-dl-btn")).to_have_text("Unduh CSV")
    expect(page.locator(".slip").first).to_contain_text("Alamat ujian")
    assert page.evaluate("document.documentElement.lang") == "id"
