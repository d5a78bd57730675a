"""The admin page at /admin: sign-in with the admin token, rooms, rosters (CSV file or pasted rows), tokens to print
or download, results download; checked against the admin API of the live server."""

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
# a stub, installed before the page's scripts: the test sees the call instead of a print dialog
STUB_PRINT = "window.print = () => { window.__printed = (window.__printed || 0) + 1; };"

OpenPage = Callable[..., Page]


def shown(token: str) -> str:
    return "-".join(token[i : i + 4] for i in range(0, 12, 4))


def sign_in(page: Page, token: str) -> None:
    page.locator("#token-input").fill(token)
    page.locator("#signin-form button[type=submit]").click()


def signed_in(page: Page, live: Live) -> None:
    sign_in(page, live.admin_token)
    expect(page.locator("#app")).to_be_visible()


def api_candidates(live: Live, room_id: str) -> list[dict[str, Any]]:
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

    async def proctor_hello() -> str:
        proctor = ProctorClient(live.server.ws_url, proctor_token)
        try:
            return (await proctor.connect()).type
        finally:
            await proctor.disconnect()

    assert run_async(proctor_hello()) == "snapshot", "the proctor token shown does not open the room"
    shot(page, "admin-rooms")

    # --- a roster CSV file: registered, the table and the API agree
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
    assert table_rows(page) == [
        {"name": c["name"], "employee_id": c["employee_id"], "session_id": c["session_id"], "token": shown(c["token"])}
        for c in api
    ]
    assert all(SHOWN_TOKEN.match(row["token"]) for row in table_rows(page))

    # --- pasted rows: tab (from a spreadsheet) or semicolon separated, a comma kept inside the name
    page.locator("#paste-text").fill(
        "employee_id\tname\n199404042023041004\tDewi Lestari, S.Psi.\n199505052023051005; Rahmat Hidayat\n"
    )
    page.locator("#paste-btn").click()
    expect(page.locator("#roster-msg")).to_contain_text("2 peserta terdaftar")
    expect(page.locator("#tokens tbody tr")).to_have_count(5)
    api = api_candidates(live, room_id)
    assert [c["name"] for c in api[3:]] == ["Dewi Lestari, S.Psi.", "Rahmat Hidayat"]

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

    # --- the tokens as CSV, built in the page: the same rows as the API, with the candidate link
    with page.expect_download() as info:
        page.locator("#csv-dl-btn").click()
    download = info.value
    assert download.suggested_filename == f"tokens-{room_id}.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == ["employee_id", "name", "session_id", "token", "link"]
    fields = ("employee_id", "name", "session_id", "token")
    assert list(reader) == [{**{k: c[k] for k in fields}, "link": f"{live.base_url}/#t={c['token']}"} for c in api]
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
        expect(slip.locator(".slip-token")).to_have_text(shown(cand["token"]))
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
    assert not csp, csp


def test_slips_fill_several_a4_pages(open_page: OpenPage, live: Live) -> None:
    room = live.new_room(12, name="Ruang Besar")
    page = open_page(f"/admin#room={room['room_id']}")
    signed_in(page, live)
    expect(page.locator("#tokens tbody tr")).to_have_count(12)
    expect(page.locator("#proctor-box")).to_be_hidden()  # shown only in the tab that created the room
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
    page.emulate_media(media="print")
    expect(page.locator(".slip").first).to_contain_text("Test address")
    page.emulate_media(media="screen")

    # the switch in the top bar turns the page (and the slips) back to Bahasa Indonesia
    page.locator("#lang button", has_text="ID").click()
    expect(page.locator("#print-btn")).to_have_text("Cetak")
    expect(page.locator("#csv-dl-btn")).to_have_text("Unduh CSV")
    expect(page.locator(".slip").first).to_contain_text("Alamat ujian")
    assert page.evaluate("document.documentElement.lang") == "id"
