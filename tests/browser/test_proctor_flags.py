"""Integrity flags where proctors act: a rapid-guessing candidate flagged in the console at ``/proctor`` with its
reason, the evidence in the candidate detail (the response-time chart beside the theta chart), and the proctor's
decision recorded as an incident note, against the live server (docs/protocol.md, "detail", docs/pages.md).

The candidate is the protocol client answering each item the moment it arrives: the server measures a response from
the item's presentation to the answer, so every response takes a few milliseconds, far under the rapid-response
threshold of the demo pools' items (a tenth of a typical time of tens of seconds, at most 10 s). The rapid-guessing
flag then comes at the fifth timed answer (``IntegrityConfig``: at least 5 timed responses, 3 rapid, a share of 0.1).
What the console says is checked against what the server recorded: the ``flag`` entry of the session's audit, the
``detail`` frame and the pools' time parameters.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from protocol_client import ProctorClient

from load_tests.procs import REPO_ROOT

from .conftest import Live
from .test_proctor_console import (
    Loop,
    OpenPage,
    Shot,
    answer,
    begin,
    candidate,
    no_console_errors,  # noqa: F401 (autouse: console errors of the pages fail the test)
    row,
    sign_in,
)

RAPID_ID = "Menjawab terlalu cepat pada banyak soal (kemungkinan menebak)"
RAPID_EN = "Answered many questions implausibly fast (likely guessing)"
FAST_ANSWERS = 7  # past the fifth timed answer, where the flag is raised, and into the second subtest


@pytest.fixture
def bg() -> Iterator[Loop]:
    """An event loop of its own for the candidates' and proctors' connections that outlive one call."""
    loop = Loop()
    try:
        yield loop
    finally:
        loop.close()


def audit_of(live: Live, session_id: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = live.get(f"/api/sessions/{session_id}/audit")["entries"]
    return entries


def flag_entries(live: Live, session_id: str) -> list[dict[str, Any]]:
    return [e for e in audit_of(live, session_id) if e["kind"] == "flag"]


def sit_fast(loop: Loop, live: Live, who: dict[str, Any], answers: int) -> Any:
    """A candidate who answers ``answers`` items the moment each arrives (past the intros); the client."""
    client = candidate(loop, live, who)
    loop.run(begin(client))
    loop.run(answer(client, answers))
    return client


def test_a_rapid_guesser_is_flagged_with_its_reason_evidence_and_decision(
    live: Live, open_page: OpenPage, bg: Loop, shot: Shot
) -> None:
    room = live.new_room(2, name="Ruang Integritas")
    fast, other = room["candidates"]
    page = sign_in(open_page, live, room)
    expect(page.locator("#flags")).to_be_hidden()

    sit_fast(bg, live, fast, FAST_ANSWERS)
    sit_fast(bg, live, other, 2)  # two rapid answers: too few to test, no flag
    (flag,) = flag_entries(live, fast["session_id"])
    assert flag["flag"] == "rapid", flag
    assert flag_entries(live, other["session_id"]) == []
    stat = flag["statistic"]
    assert stat["name"] == "rapid_guessing" and stat["p_value"] <= stat["threshold"], stat

    # the attention list: one entry, the reason in plain words, and the row marked
    entry = page.locator(f'#flag-list li[data-session="{fast["session_id"]}"]')
    expect(entry).to_be_visible()
    expect(page.locator("#flag-list li")).to_have_count(1)
    expect(entry).to_have_attribute("data-kinds", "rapid")
    expect(entry.locator(".flag-what")).to_have_text(RAPID_ID)
    expect(entry.locator(".flag-who")).to_contain_text(fast["name"])
    expect(entry.locator(".flag-when")).to_contain_text("sejak")
    expect(page.locator("#flags-h")).to_have_text("1 peserta ditandai untuk diperiksa")
    expect(page.locator("#flags .flags-note")).to_contain_text("bukan bukti kecurangan")
    fast_row = row(page, fast)
    expect(fast_row).to_have_class(re.compile(r"\batt-flag\b"))
    expect(fast_row.locator(".flag-chip")).to_have_attribute("data-label", "Perlu dicek")
    expect(fast_row).to_have_attribute("aria-label", re.compile(r", Perlu dicek$"))
    expect(fast_row.locator(".flag-chip")).to_have_attribute("title", re.compile(re.escape(RAPID_ID)))
    expect(row(page, other).locator(".flag-chip")).to_be_hidden()
    expect(page.locator('#counts [data-filter="attention"] .count-n')).to_have_text("1")
    page.locator('#counts [data-filter="attention"]').click()
    expect(page.locator("#rows tr")).to_have_count(1)
    expect(page.locator("#rows tr")).to_have_attribute("data-session", fast["session_id"])
    page.locator('#counts [data-filter="attention"]').click()
    shot(page, "proctor-flag-list")

    # a console opened after the flag, in English: the kind comes with the summary, the rest with the detail
    late = sign_in(open_page, live, room, lang="en")
    late_entry = late.locator(f'#flag-list li[data-session="{fast["session_id"]}"]')
    expect(late_entry.locator(".flag-what")).to_have_text(RAPID_EN)
    expect(late.locator("#flags .flags-note")).to_contain_text("not proof of cheating")
    late_entry.locator(".flag-show").click()
    late_item = late.locator('#detail-flags li[data-kind="rapid"]')
    expect(late_item.locator(".flag-reason")).to_have_text(RAPID_EN)
    count, n = round(stat["value"]), stat["n"]
    expect(late_item.locator(".flag-stat")).to_contain_text(f"{count} of {n} timed answers")
    expect(late.locator("#detail-flags-box .flag-disclaimer")).to_contain_text("never changes a score")
    late.keyboard.press("Escape")

    # the detail, opened from the entry with the keyboard: the flag, its statistic, when, and the evidence
    entry.locator(".flag-show").focus()
    page.keyboard.press("Enter")
    detail = page.locator("dialog#detail")
    expect(detail).to_be_visible()
    item = detail.locator('#detail-flags li[data-kind="rapid"]')
    expect(item.locator(".flag-reason")).to_have_text(RAPID_ID)
    expect(item.locator(".flag-stat")).to_contain_text(f"{count} dari {n} jawaban")
    expect(item.locator(".flag-stat")).to_contain_text("ambang 0,002")
    expect(item.locator(".flag-meta")).to_contain_text("ditandai pukul")
    positions = sorted(p + 1 for s, p in flag["responses"] if s == 0)
    assert len(positions) >= 3, flag
    expect(item.locator(".flag-meta")).to_contain_text("Bukti: ")
    expect(item.locator(".flag-meta")).to_contain_text(f"butir ke-{', '.join(map(str, positions))}")
    expect(detail.locator("#detail-flags-h")).to_have_text("Tanda untuk diperiksa (1 dari 1 belum diputuskan)")

    # the response-time chart of the first subtest beside the theta chart: one stem per answer, on the same x axis,
    # the flag's evidence marked (a triangle, not colour alone), each at the position the audit names
    detail.locator('#chart-tabs button[data-subtest="0"]').click()
    rt = detail.locator("#rt-chart")
    expect(rt).to_have_attribute("data-subtest", "0")
    answered = detail.locator('#chart [data-series="theta"] circle')
    expect(answered.first).to_be_visible()
    n_first = answered.count()
    expect(rt.locator(".rt-answer")).to_have_count(n_first)
    expect(rt).to_have_attribute("data-points", str(n_first))
    expect(rt).to_have_attribute("data-evidence", str(len(positions)))
    evidence = rt.locator(".rt-answer.rt-evidence")
    expect(evidence).to_have_count(len(positions))
    expect(evidence.locator("path.rt-mark")).to_have_count(len(positions))
    assert [int(x) for x in evidence.evaluate_all("els => els.map(e => e.dataset.x)")] == positions
    # each stem stands under its theta point (the charts share the x axis)
    centres = "els => els.map(e => e.getBoundingClientRect().x + e.getBoundingClientRect().width / 2)"
    theta_x = answered.evaluate_all(centres)
    stem_x = rt.locator(".rt-answer circle").evaluate_all(centres)
    # the same width, viewBox width and side margins put both at the same x; 2 px allow for sub-pixel rounding
    assert all(abs(a - b) < 2.0 for a, b in zip(theta_x, stem_x, strict=True)), (theta_x, stem_x)
    # the time and the item's typical time on hover, in the page's words
    expect(evidence.first.locator("title")).to_have_text(
        re.compile(r"^Butir ke-\d+: 0,\d detik · waktu wajar sekitar \d+ detik · bukti: ")
    )
    expect(rt.locator("svg")).to_have_attribute("aria-labelledby", re.compile(r"^rt-title-"))
    shot(page, "proctor-flag-detail")

    # the decision: a short form under the flag, keyboard only; an outcome is required; the note lands in the audit
    before = live.get(f"/api/sessions/{fast['session_id']}")["session"]
    decide = item.locator("button.flag-decide")
    decide.focus()
    page.keyboard.press("Enter")
    form = detail.locator("#decision-form")
    expect(form).to_be_visible()
    expect(detail.locator("#decision-for")).to_have_text(f"Keputusan tentang: {RAPID_ID}")
    expect(detail.locator("#decision-outcome")).to_be_focused()
    # Escape closes the form, not the dialog; the focus goes back to the flag's button
    page.keyboard.press("Escape")
    expect(form).to_be_hidden()
    expect(detail).to_be_visible()
    expect(item.locator("button.flag-decide")).to_be_focused()
    page.keyboard.press("Enter")
    detail.locator("#decision-text").fill("diawasi di meja 4")
    detail.locator("#decision-text").press("Enter")
    expect(detail.locator("#decision-error")).to_have_text("Pilih keputusannya dulu.")
    expect(detail.locator("#decision-outcome")).to_be_focused()
    detail.locator("#decision-outcome").select_option("watch")
    expect(detail.locator("#decision-error")).to_be_hidden()  # choosing answers the error
    shot(page, "proctor-flag-decision")
    detail.locator("#decision-text").press("Enter")
    expect(form).to_be_hidden()
    text = "[Keputusan: rapid] Diawasi lebih lanjut — diawasi di meja 4"
    expect(page.locator("#notices")).to_contain_text(f"{fast['name']}: catatan disimpan.")
    expect(item).to_have_class(re.compile(r"\bdecided\b"))
    expect(item.locator(".flag-decision")).to_contain_text("Diawasi lebih lanjut — diawasi di meja 4")
    expect(detail.locator("#detail-notes .note-text").last).to_have_text(text)
    expect(detail.locator("#detail-flags-h")).to_have_text("Tanda untuk diperiksa (0 dari 1 belum diputuskan)")
    # decided: out of the attention list, here and on the other console
    expect(page.locator("#flags")).to_be_hidden()
    expect(page.locator('#counts [data-filter="attention"] .count-n')).to_have_text("0")
    expect(fast_row).not_to_have_class(re.compile(r"\batt-flag\b"))
    expect(late.locator("#flags")).to_be_hidden()
    notes = [e for e in audit_of(live, fast["session_id"]) if e["kind"] == "note"]
    assert [e["text"] for e in notes] == [text]
    # the decision is a note: the session's estimate, answers and flags are as they were
    after = live.get(f"/api/sessions/{fast['session_id']}")["session"]
    assert {k: after[k] for k in ("theta", "se", "answered_total", "flags")} == {
        k: before[k] for k in ("theta", "se", "answered_total", "flags")
    }
    assert after["notes"] == before["notes"] + 1

    # Escape closes the detail; the entry that opened it is gone, so the focus goes to the candidate's row
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()
    expect(fast_row).to_be_focused()


def test_the_detail_frame_carries_each_answers_time_and_the_flags(live: Live, bg: Loop) -> None:
    room = live.new_room(1)
    (who,) = room["candidates"]
    proctor = ProctorClient(live.server.ws_url, room["proctor_token"])
    bg.clients.append(proctor)
    assert bg.run(proctor.connect()).type == "snapshot"
    sit_fast(bg, live, who, FAST_ANSWERS)

    def of_type(kind: str) -> list[dict[str, Any]]:
        return [e["event"] for e in proctor.events if e["event"]["type"] == kind]

    async def detail() -> dict[str, Any]:
        """The detail frame, once the room's stream has also delivered every answer and the flag."""
        await proctor.send({"type": "detail", "session_id": who["session_id"], "id": "d"})
        got: dict[str, Any] | None = None
        while got is None or len(of_type("answered")) < FAST_ANSWERS or not of_type("flag"):
            frame = await proctor.recv(10)
            if frame.type == "detail":
                got = frame.data
        return got

    frame = bg.run(detail())
    answered, flagged = of_type("answered"), of_type("flag")
    assert len(answered) == FAST_ANSWERS and len(flagged) == 1
    # each point's time is the one its `answered` event reported, subtest by subtest, position by position
    points = [(sub["index"], p) for sub in frame["subtests"] for p in sub["points"]]
    assert [p["response_ms"] for _, p in points] == [e["response_ms"] for e in answered]
    # the typical time: exp(beta + 1 / (2 alpha^2)) of the item's time parameters in the pool file (the items in
    # the order the audit says they were presented; the last one presented is not answered yet)
    presented = [e for e in audit_of(live, who["session_id"]) if e["kind"] == "presented"]
    times = _pool_times()
    for (index, p), shown in zip(points, presented[: len(points)], strict=True):
        beta, alpha = times[shown["item_id"]]
        expected = round(math.exp(beta + 0.5 / alpha**2) * 1000)
        assert p["expected_ms"] == expected, (index, p, shown)
    # the flags are the `flag` events' fields, as the room stream carried them
    assert frame["flags"] == [{k: v for k, v in e.items() if k != "type"} for e in flagged]


def _pool_times() -> dict[str, tuple[float, float]]:
    """Item id -> (beta, alpha) of every item with time parameters in the demo pools."""
    out: dict[str, tuple[float, float]] = {}
    for name in ("manajerial_sosiokultural", "literasi_digital", "emerging_skills"):
        data = json.loads((REPO_ROOT / "item_pools" / f"{name}.json").read_text(encoding="utf-8"))
        for item in data["items"]:
            if item.get("time"):
                out[item["id"]] = (float(item["time"]["beta"]), float(item["time"]["alpha"]))
    return out
