// The candidate detail dialog of the proctor console: status and facts (the seat, a move waiting for approval),
// command buttons (notes, a message, the move's approval), the integrity flags (why in plain words, the statistic,
// when, the evidence, and the decision recorded on each, or a short form to record it), results per subtest, the
// proctors' incident notes with their times, a chart per subtest of theta (with a +-SE band) and SE against the
// target, one point per answer, and under it the time each answer took (the flags' evidence marked). What it shows
// comes from the model (rows, trajectories, timings, results, notes, flags); `ui.detail` = {sid, loading, error, tab,
// deciding (the flag kind whose decision form is open, or null)} is the dialog's own state.

import {category, hasSeatRequest, isOver, levelPercent, notesCount, timeLeftAt, NOTE_MAX} from "./proctor_model.js";
import {ago, charCount, cleanText, clock, num, seatLabel, tickLabel, timeOfDay} from "./proctor_format.js";
import {decisionNote, evidenceText, isOpen, medianSeconds, reasonText, rtPoints, statisticText} from "./proctor_flags.js";
import {lineChart} from "./chart.js";
import {rtChart} from "./proctor_rt_chart.js";
import {BADGE, buildActions, setAttr, setText, statusText, updateActions} from "./proctor_view.js";

const $ = (id) => document.getElementById(id);

function fact(dl, label, value) {
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = value;
  dl.append(dt, dd);
}

function renderFacts(ui, row) {
  const {t, locale, model} = ui;
  const over = isOver(row);
  const facts = $("detail-facts");
  facts.replaceChildren();
  const info = model.subtestInfo(row.subtest_index);
  const total = model.room?.subtests?.length ?? 0;
  fact(facts, t("f_subtest"), over || !info ? "—" : `${row.subtest_index + 1}/${total} · ${info.name}`);
  fact(facts, t("f_answered"), t("answered_fact", {sub: over ? "—" : row.answered, total: row.answered_total}));
  fact(facts, t("f_estimate"), over ? "—" : `${num(row.theta, locale)} / ${num(row.se, locale)}`);
  fact(facts, t("f_time"), over ? "—" : clock(timeLeftAt(row, ui.now())));
  fact(facts, t("f_seen"), ago(row.last_seen_ms, ui.now(), t));
  const device = typeof row.device === "string" && row.device ? row.device : null;
  fact(facts, t("f_seat"), device ? `${seatLabel(device, t)} (${device})` : "—");
  if (hasSeatRequest(row)) {
    const to = row.seat_request ? `${seatLabel(row.seat_request, t)} (${row.seat_request})` : seatLabel("", t);
    fact(facts, t("f_seat_request"), to);
    facts.lastElementChild.className = "seat-asked";
  }
  if (row.phase === "paused" && row.pause_reason) fact(facts, t("f_pause_reason"), row.pause_reason);
  if (row.phase === "terminated") fact(facts, t("f_term_reason"), row.terminated_reason || "—");
}

// The proctors' incident notes, oldest first, each with its time (from the server's `detail`, then live events).
function renderNotes(ui, row) {
  const {t, locale} = ui;
  const notes = ui.model.notes(row.session_id);
  const count = Math.max(notesCount(row), notes.length);
  setText($("notes-h"), t("notes_h", {n: count}));
  const list = $("detail-notes");
  const signature = JSON.stringify([locale, notes]);
  if (list.dataset.signature !== signature) {
    list.dataset.signature = signature;
    list.replaceChildren(
      ...notes.map((note) => {
        const li = document.createElement("li");
        const time = document.createElement("time");
        time.dateTime = new Date(note.at_ms).toISOString();
        time.textContent = timeOfDay(note.at_ms, locale);
        time.title = new Date(note.at_ms).toLocaleString(locale);
        const text = document.createElement("span");
        text.className = "note-text";
        text.textContent = note.text;
        li.append(time, text);
        return li;
      }),
    );
  }
  list.hidden = notes.length === 0;
  const msg = $("notes-msg");
  msg.hidden = notes.length > 0;
  setText(msg, count > notes.length && ui.detail.loading ? t("notes_loading") : t("notes_empty"));
}

// The session's flags, each with its reason, statistic, when and evidence, and the decision recorded on it (or the
// button that opens the decision form). Rebuilt only when what it shows changes, so the focus stays put.
function renderFlags(ui, row) {
  const {t, locale, model} = ui;
  const sid = row.session_id;
  const flags = model.flags(sid);
  const decisions = model.decisions(sid);
  const box = $("detail-flags-box");
  box.hidden = flags.length === 0;
  const open = flags.filter((f) => isOpen(f, decisions)).length;
  setText($("detail-flags-h"), t("flags_detail_h", {n: flags.length, open}));
  const list = $("detail-flags");
  const signature = JSON.stringify([locale, sid, flags, [...decisions], ui.live, ui.detail.deciding]);
  if (list.dataset.signature !== signature) {
    list.dataset.signature = signature;
    const focused = document.activeElement;
    const refocus = list.contains(focused) ? focused.closest("li")?.dataset.kind : null;
    const nameOf = (index) => model.subtestInfo(index)?.name ?? null;
    list.replaceChildren(
      ...flags.map((flag) => {
        const li = document.createElement("li");
        li.className = "flag-item";
        li.dataset.kind = flag.kind;
        const reason = document.createElement("strong");
        reason.className = "flag-reason";
        reason.textContent = reasonText(flag.kind, t);
        const stat = document.createElement("span");
        stat.className = "flag-stat";
        stat.textContent = statisticText(flag, t, locale);
        const meta = document.createElement("span");
        meta.className = "flag-meta";
        const when = flag.at_ms === null ? "" : t("flag_raised", {time: timeOfDay(flag.at_ms, locale)});
        const sub = flag.subtest === null || flag.kind === "rapid" ? "" : t("flag_subtest", {subtest: nameOf(flag.subtest) ?? flag.subtest + 1});
        meta.textContent = [when, sub, evidenceText(flag, t, nameOf)].filter(Boolean).join(" · ");
        li.append(reason, stat, meta);
        const decided = decisions.get(flag.kind);
        if (!isOpen(flag, decisions)) {
          li.classList.add("decided");
          const line = document.createElement("span");
          line.className = "flag-decision";
          line.textContent = t("flag_decided", {time: timeOfDay(decided.at_ms, locale), text: decided.text || "—"});
          li.append(line);
        } else {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "small flag-decide";
          button.textContent = t("flag_decide");
          button.setAttribute("aria-label", t("flag_decide_label", {reason: reasonText(flag.kind, t)}));
          button.setAttribute("aria-expanded", String(ui.detail.deciding === flag.kind));
          button.disabled = !ui.live;
          button.addEventListener("click", () => openDecision(ui, flag.kind));
          li.append(button);
        }
        return li;
      }),
    );
    if (refocus) list.querySelector(`li[data-kind="${CSS.escape(refocus)}"] button`)?.focus();
  }
  // the form closes once its flag is decided (here or on another console)
  const form = $("decision-form");
  const deciding = ui.detail.deciding;
  if (deciding !== null && !flags.some((f) => f.kind === deciding && isOpen(f, decisions))) closeDecision(ui, false);
  form.hidden = ui.detail.deciding === null;
  if (!form.hidden) setText($("decision-for"), t("decide_for", {reason: reasonText(ui.detail.deciding, t)}));
}

function openDecision(ui, kind) {
  ui.detail.deciding = kind;
  $("decision-outcome").value = "";
  $("decision-text").value = "";
  $("decision-error").hidden = true;
  renderDetail(ui);
  $("decision-form").scrollIntoView({block: "nearest"});
  $("decision-outcome").focus();
}

// Close the form; the focus goes back to its flag's button (`refocus`) when it is still there.
function closeDecision(ui, refocus = true) {
  const kind = ui.detail?.deciding ?? null;
  if (ui.detail) ui.detail.deciding = null;
  $("decision-form").hidden = true;
  if (refocus && kind !== null) {
    renderDetail(ui);
    $("detail-flags").querySelector(`li[data-kind="${CSS.escape(kind)}"] button`)?.focus();
  }
}

function decisionError(message, field) {
  const box = $("decision-error");
  box.textContent = message;
  box.hidden = false;
  field.focus();
}

// Wire the decision form once: it sends an incident note "[Keputusan: KIND] outcome — remarks" with
// `note(sid, text)`, which returns null when the note went out, else what to say (offline, held back).
export function initDecisions(ui, note) {
  $("decision-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const d = ui.detail;
    if (!d || d.deciding === null) return;
    const outcome = $("decision-outcome").value;
    if (!outcome) return decisionError(ui.t("err_decide_outcome"), $("decision-outcome"));
    const text = decisionNote(d.deciding, ui.t(`outcome_${outcome}`), cleanText($("decision-text").value).replace(/\n+/g, " "));
    if (charCount(text) > NOTE_MAX) return decisionError(ui.t("err_text_long", {n: charCount(text), max: NOTE_MAX}), $("decision-text"));
    const refused = note(d.sid, text);
    if (refused) return decisionError(refused, $("decision-save"));
    closeDecision(ui);
  });
  $("decision-cancel").addEventListener("click", () => closeDecision(ui));
  // choosing or typing answers the error
  for (const id of ["decision-outcome", "decision-text"]) $(id).addEventListener("input", () => ($("decision-error").hidden = true));
  $("decision-form").addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.preventDefault(); // Escape closes the form, not the whole dialog
    event.stopPropagation();
    closeDecision(ui);
  });
}

function renderResults(ui, sid) {
  const {t, locale} = ui;
  const tbody = $("detail-results");
  tbody.replaceChildren();
  for (const line of ui.model.subtestRows(sid)) {
    const tr = document.createElement("tr");
    const r = line.result;
    const stop = r?.stop_reason ? t(`stop_${r.stop_reason}`) : line.status === "current" ? t("r_current") : line.status === "done" ? "" : t("r_not_reached");
    // the level with the probability that it is the true one, "3 (87 %)", whenever the result carries it
    const hasLevel = r?.level !== null && r?.level !== undefined;
    const percent = hasLevel ? levelPercent(r.level_probability) : null;
    const values = [
      line.name,
      line.items ?? "—",
      num(line.theta, locale),
      num(line.se, locale),
      !hasLevel ? "—" : percent === null ? r.level : t("r_level_p", {level: r.level, p: percent}),
      r?.scaled_score ?? "—",
      stop,
    ];
    values.forEach((v, i) => {
      const td = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) td.scope = "row";
      td.textContent = String(v);
      if (i > 0 && i < 6) td.className = "num";
      if (i === 4 && percent !== null) td.title = t("r_level_p_title", {level: r.level, p: percent});
      tr.append(td);
    });
    tr.dataset.subtest = String(line.index);
    if (line.status === "current") tr.className = "current";
    if (line.status === "unreached") tr.className = "unreached";
    if (hasLevel) tr.dataset.level = String(r.level);
    if (percent !== null) tr.dataset.levelProbability = String(r.level_probability);
    tbody.append(tr);
  }
}

// Chart tabs: every subtest with points, and the one under way; the current subtest is chosen first.
function renderTabs(ui, sid, row) {
  const d = ui.detail;
  const tabs = $("chart-tabs");
  const available = ui.model.chartSubtests(sid);
  if (d.tab === null || !available.includes(d.tab)) {
    d.tab = available.includes(row.subtest_index) ? row.subtest_index : (available[available.length - 1] ?? null);
  }
  const key = available.join(",");
  if (tabs.dataset.key !== key) {
    tabs.dataset.key = key;
    tabs.replaceChildren(
      ...available.map((index) => {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "small tab";
        b.dataset.subtest = String(index);
        b.addEventListener("click", () => {
          d.tab = index;
          renderDetail(ui);
        });
        return b;
      }),
    );
  }
  for (const b of tabs.children) {
    const index = Number(b.dataset.subtest);
    setText(b, ui.model.subtestInfo(index)?.name ?? "");
    setAttr(b, "aria-pressed", String(index === d.tab));
  }
}

function renderChart(ui, row) {
  const {t, locale} = ui;
  const d = ui.detail;
  const box = $("chart");
  const msg = $("chart-msg");
  const pts = d.tab === null ? [] : ui.model.trajectory(row.session_id, d.tab);
  box.dataset.points = String(pts.length);
  box.dataset.subtest = d.tab === null ? "" : String(d.tab);
  msg.hidden = Boolean(pts.length) && !d.error;
  if (d.error) setText(msg, t("chart_error", {message: d.error}));
  else if (d.loading && !pts.length) setText(msg, t("chart_loading"));
  else if (!pts.length) setText(msg, t("chart_empty"));
  const signature = JSON.stringify([locale, d.tab, pts]);
  if (box.dataset.signature === signature) return;
  box.dataset.signature = signature;
  if (!pts.length) {
    box.replaceChildren();
    return;
  }
  const sub = ui.model.subtestInfo(d.tab);
  const target = sub?.se_target ?? row.se_target ?? 0.3;
  const lo = Math.min(-2, ...pts.map((p) => p.theta - p.se));
  const hi = Math.max(2, ...pts.map((p) => p.theta + p.se));
  const seMax = Math.max(1, ...pts.map((p) => p.se)) * 1.05;
  const last = pts[pts.length - 1];
  const xMax = chartXMax(ui, lastPosition(pts));
  lineChart(box, {
    title: t("chart_title", {name: row.name, subtest: sub?.name ?? "", n: pts.length}),
    desc: t("chart_desc", {theta: num(last.theta, locale), se: num(last.se, locale), target: num(target, locale)}),
    x: {min: 1, max: xMax, label: t("axis_x")},
    format: (v) => tickLabel(v, locale),
    panels: [
      {
        name: "theta",
        weight: 3,
        ticks: 5,
        y: {min: Math.max(-4.5, Math.floor(lo * 2) / 2), max: Math.min(4.5, Math.ceil(hi * 2) / 2), label: t("axis_theta")},
        bands: [{cls: "band-theta", points: pts.map((p) => ({x: p.position, lo: p.theta - p.se, hi: p.theta + p.se}))}],
        lines: [{cls: "line-theta", name: "theta", points: pts.map((p) => ({x: p.position, y: p.theta}))}],
      },
      {
        name: "se",
        weight: 2,
        ticks: 3,
        y: {min: 0, max: seMax, label: t("axis_se")},
        refs: [{cls: "ref-target", y: target, label: `${t("legend_target")} ${num(target, locale)}`}],
        lines: [{cls: "line-se", name: "se", points: pts.map((p) => ({x: p.position, y: p.se}))}],
      },
    ],
  });
}

// The time each answer of the chosen subtest took, under the theta chart and on its x axis; the flags' evidence marked.
function renderRt(ui, row, xMax) {
  const {t, locale, model} = ui;
  const d = ui.detail;
  const box = $("rt-chart");
  const msg = $("rt-msg");
  const flags = model.flags(row.session_id);
  const pts = d.tab === null ? [] : rtPoints(model.timings(row.session_id, d.tab), flags, d.tab);
  box.dataset.points = String(pts.length);
  box.dataset.evidence = String(pts.filter((p) => p.kinds.length).length);
  box.dataset.subtest = d.tab === null ? "" : String(d.tab);
  msg.hidden = pts.length > 0;
  setText(msg, d.loading && !pts.length ? t("chart_loading") : t("rt_empty"));
  const signature = JSON.stringify([locale, d.tab, xMax, pts]);
  if (box.dataset.signature === signature) return;
  box.dataset.signature = signature;
  if (!pts.length) {
    box.replaceChildren();
    return;
  }
  const sub = model.subtestInfo(d.tab);
  const seconds = (v, digits = 1) => num(v, locale, digits);
  rtChart(box, {
    title: t("rt_title", {name: row.name, subtest: sub?.name ?? "", n: pts.length}),
    desc: t("rt_desc", {median: seconds(medianSeconds(pts)), k: pts.filter((p) => p.kinds.length).length}),
    xMax,
    xLabel: t("axis_x"),
    yLabel: t("axis_rt"),
    format: (v) => tickLabel(v, locale),
    points: pts,
    pointTitle: (p) =>
      [
        t("rt_point", {x: p.position, s: seconds(p.seconds)}),
        p.expected === null ? "" : t("rt_point_expected", {s: seconds(p.expected, 0)}),
        p.kinds.length ? t("rt_point_evidence", {reasons: p.kinds.map((k) => reasonText(k, t)).join("; ")}) : "",
      ]
        .filter(Boolean)
        .join(" · "),
  });
}

// The x axis both charts share: at least the points there are, and up to 10 of the subtest's items (3 at least).
function chartXMax(ui, points) {
  const sub = ui.model.subtestInfo(ui.detail.tab);
  return Math.max(points, Math.min(sub?.max_items ?? 10, 10), 3);
}

// Draw the open dialog (`on` gives the command buttons their handler).
export function renderDetail(ui, on = ui.on) {
  const d = ui.detail;
  if (!d) return;
  const row = ui.model.row(d.sid);
  if (!row) return;
  const cat = category(row);
  setText($("detail-name"), row.name);
  setText($("detail-ids"), ui.t("detail_ids", {emp: row.employee_id, sid: row.session_id}));
  const badge = $("detail-badge");
  badge.className = `badge ${BADGE[cat]}`;
  setText(badge, statusText(ui, row));
  $("detail").dataset.status = cat;
  renderFacts(ui, row);
  const actions = $("detail-actions");
  if (!actions.children.length || actions.dataset.session !== row.session_id) {
    actions.replaceChildren();
    actions.dataset.session = row.session_id;
    buildActions(actions, row.session_id, on, {detail: true});
  }
  updateActions(actions, row, ui);
  renderResults(ui, row.session_id);
  renderNotes(ui, row);
  renderFlags(ui, row);
  renderTabs(ui, row.session_id, row);
  renderChart(ui, row);
  // the same x axis as the theta chart's (timings and trajectory place the same answers)
  const tab = ui.detail.tab;
  renderRt(ui, row, chartXMax(ui, tab === null ? 0 : lastPosition(ui.model.trajectory(row.session_id, tab))));
}

const lastPosition = (points) => (points.length ? points[points.length - 1].position : 0);
