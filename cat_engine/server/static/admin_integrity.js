// The admin page's integrity view of a room (GET /api/rooms/{id}/integrity, docs/protocol.md, "Integrity report"):
// the flagged sessions with each flag's reason in plain words and its p-value, every session's p-values per statistic
// on a log scale against the thresholds, the answer arrivals of each flagged timing group (one lane per seat, on one
// time axis), and the report as CSV. The data work is in admin_integrity_model.js (pure), the SVG in
// admin_integrity_plots.js.
//
// The reasons and the p-value wording are the proctor console's own (proctor_texts.js, through proctor_flags.js),
// shared so both pages say the same thing of a flag. The report is fetched when the view is opened or reloaded, held
// for the room shown, and forgotten with another room or a sign-out.

import {makeT} from "./i18n.js";
import {csvRowCount} from "./admin_roster.js";
import {el, notice} from "./admin_view.js";
import {TEXTS as PROCTOR_TEXTS} from "./proctor_texts.js";
import {pText, reasonText, small} from "./proctor_flags.js";
import {clock, localeOf, timeOfDay} from "./proctor_format.js";
import {flaggedSessions, pStrips, ROOM_KINDS, timeWindow, timingGroups, WINDOWS} from "./admin_integrity_model.js";
import {pValuePlot, timingPlot} from "./admin_integrity_plots.js";

const $ = (id) => document.getElementById(id);
const SUPERSCRIPT = {"-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹"};

let deps = null; // {api, apiJson, failure, download} from admin.js

const fresh = () => ({roomId: null, open: false, loading: false, report: null, windows: [], seq: 0});

// The page's words: the admin page's, and the proctor console's for what a flag means.
function words(page) {
  const lang = page.t("__lang") === "en" ? "en" : "id";
  return {t: page.t, shared: makeT(PROCTOR_TEXTS, lang), locale: localeOf(lang)};
}

export function setupIntegrity(page, wiring) {
  deps = wiring;
  page.integrity = fresh();
  $("integrity-btn").addEventListener("click", () => toggle(page));
  $("integrity-refresh").addEventListener("click", () => load(page));
  $("integrity-csv").addEventListener("click", () => downloadCsv(page));
  const timing = $("integrity-timing");
  timing.addEventListener("change", (event) => onWindow(page, event));
  timing.addEventListener("input", (event) => onWindow(page, event));
}

// Forget the report (a sign-out): the next room or sign-in starts with the view closed.
export function forgetIntegrity(page) {
  const seq = (page.integrity?.seq ?? 0) + 1;
  page.integrity = {...fresh(), seq};
  renderIntegrity(page);
}

async function toggle(page) {
  const state = page.integrity;
  state.open = !state.open;
  renderIntegrity(page);
  if (!state.open) return;
  $("integrity-h").focus();
  await load(page);
}

async function load(page) {
  const state = page.integrity;
  const roomId = page.roomId;
  if (!roomId) return;
  const seq = ++state.seq;
  state.loading = true;
  notice(page, $("integrity-msg"), "info", "integrity_loading");
  renderIntegrity(page);
  try {
    const report = await deps.apiJson(`/api/rooms/${encodeURIComponent(roomId)}/integrity`);
    if (seq !== state.seq || roomId !== page.roomId) return;
    state.report = report;
    state.windows = timingGroups(report).map(() => ({width: WINDOWS[0], start: 0}));
    notice(page, $("integrity-msg"), null);
  } catch (error) {
    if (seq === state.seq && roomId === page.roomId) deps.failure($("integrity-msg"), error, "integrity_failed");
  } finally {
    if (seq === state.seq) {
      state.loading = false;
      renderIntegrity(page);
    }
  }
}

async function downloadCsv(page) {
  const roomId = page.roomId;
  const button = $("integrity-csv");
  button.disabled = true;
  try {
    const resp = await deps.api(`/api/rooms/${encodeURIComponent(roomId)}/integrity?format=csv`);
    const csv = await resp.text();
    deps.download(`integrity-${roomId}.csv`, new Blob([csv], {type: "text/csv;charset=utf-8"}));
    if (roomId === page.roomId) notice(page, $("integrity-msg"), "ok", "integrity_csv_done", {n: csvRowCount(csv)});
  } catch (error) {
    if (roomId === page.roomId) deps.failure($("integrity-msg"), error, "integrity_csv_failed");
  } finally {
    button.disabled = false;
  }
}

// --- drawing ---------------------------------------------------------------------------------------------------------

export function renderIntegrity(page) {
  const state = page.integrity;
  if (!state) return;
  if (state.roomId !== page.roomId) {
    // another room: its report is not this one's
    Object.assign(state, {...fresh(), seq: state.seq + 1, roomId: page.roomId});
    notice(page, $("integrity-msg"), null);
  }
  $("integrity-btn").setAttribute("aria-expanded", String(state.open));
  $("integrity").hidden = !state.open || !page.roomId;
  $("integrity-refresh").disabled = state.loading;
  $("integrity-body").hidden = !state.report;
  if (!state.open || !state.report) return;
  const w = words(page);
  renderSummary(state.report, w);
  renderTable(state.report, w);
  renderPValues(state.report, w);
  renderTiming(page, state.report, w);
}

function renderSummary(report, {t, locale}) {
  const sessions = report.sessions ?? [];
  const flagged = flaggedSessions(report).length;
  const interim = sessions.some((s) => s.look === "interim" && (s.statistics ?? []).length > 0);
  const time = report.at_ms ? timeOfDay(report.at_ms, locale) : "—";
  $("integrity-summary").textContent = [t("integrity_summary", {time, n: sessions.length, flagged}), interim ? t("integrity_interim") : ""]
    .filter(Boolean)
    .join(" ");
}

// The p-value of a flag against its threshold, in the console's words ("p < 0,0001 (ambang 0,002)").
const pWords = (flag, {shared, locale}) =>
  flag.p_value === null ? "—" : shared("flag_p", {p: pText(flag.p_value, locale), threshold: small(flag.threshold, locale)});

// One row group (a <tbody>) per flagged session: its name heads the group, a row per flag.
function renderTable(report, w) {
  const {t, shared} = w;
  const rows = flaggedSessions(report);
  const table = $("integrity-table");
  $("integrity-none").hidden = rows.length > 0;
  table.hidden = rows.length === 0;
  for (const body of table.querySelectorAll("tbody")) body.remove();
  for (const s of rows) {
    const look = s.look === "interim" ? el("span", {class: "badge warn look", title: t("integrity_interim_title"), text: t("integrity_interim_badge")}) : null;
    const who = el(
      "th",
      {scope: "rowgroup", rowspan: String(s.flags.length), class: "who"},
      el("span", {class: "name", text: s.name}),
      el("span", {class: "ids", text: `${s.employee_id} · ${s.session_id}`}),
      look,
    );
    const flagRows = s.flags.map((flag, i) => {
      const others = flag.room ? el("span", {class: "with", text: t("integrity_with", {names: flag.room.others.join(", ")})}) : null;
      return el(
        "tr",
        {"data-kind": flag.kind},
        i === 0 ? who : null,
        el("td", {class: "kind"}, el("code", {text: flag.kind})),
        el("td", {class: "reason"}, el("span", {class: "reason-text", text: reasonText(flag.kind, shared)}), others),
        el("td", {class: "p", text: pWords(flag, w)}),
      );
    });
    table.append(el("tbody", {"data-session": s.session_id, "data-kinds": s.flags.map((f) => f.kind).join(" ")}, ...flagRows));
  }
}

// A decade as the axis labels it: 1, 0,1, 0,01, then 10⁻³ and on.
function decadeLabel({exponent, value}, locale) {
  if (exponent >= -2) return value.toLocaleString(locale, {maximumFractionDigits: 2});
  return `10${[...String(exponent)].map((c) => SUPERSCRIPT[c]).join("")}`;
}

function renderPValues(report, {t, locale}) {
  const strips = pStrips(report);
  const points = strips.rows.flatMap((r) => r.points);
  const box = $("integrity-p-plot");
  $("integrity-p-none").hidden = points.length > 0;
  box.hidden = points.length === 0;
  if (points.length === 0) {
    box.replaceChildren();
    return;
  }
  const flagged = new Set(points.filter((p) => p.flagged).map((p) => p.session_id)).size;
  pValuePlot(box, {
    title: t("integrity_p_title"),
    desc: t("integrity_p_desc", {n: (report.sessions ?? []).length, points: points.length, flagged}),
    axisLabel: t("integrity_p_axis"),
    strips,
    rowLabel: (kind) => t(`stat_${kind}`),
    tickLabel: (tick) => decadeLabel(tick, locale),
    pointTitle: (p) => t(p.flagged ? "integrity_point_flagged" : "integrity_point", {name: p.name, p: pText(p.p_value, locale)}),
    thresholdTitle: (threshold) => t("integrity_threshold", {threshold: small(threshold, locale)}),
    emptyRow: t("integrity_not_computed"),
  });
  box.dataset.points = String(points.length);
  box.dataset.flagged = String(points.filter((p) => p.flagged).length);
}

function renderTiming(page, report, w) {
  const {t} = w;
  const timing = report.room_timing ?? {seats: 0, eligible_seats: 0, flags: []};
  const groups = timingGroups(report);
  const line =
    timing.seats < 2
      ? t("integrity_timing_few")
      : t("integrity_timing_summary", {eligible: timing.eligible_seats, seats: timing.seats, n: groups.length});
  $("integrity-timing-summary").textContent = line;
  $("integrity-timing-help").hidden = groups.length === 0;
  $("integrity-timing").replaceChildren(...groups.map((group, i) => groupFigure(page, group, i, w)));
  groups.forEach((group, i) => drawGroup(page, group, i, w));
}

const groupNames = (group) => group.lanes.map((l) => l.name).join(", ");

// A timing group: its heading (the reason, the seats, the p-value), the window's controls and the plot.
function groupFigure(page, group, i, w) {
  const {t, shared} = w;
  const kindWords = ROOM_KINDS.includes(group.kind) ? t(`stat_${group.kind}`) : group.kind;
  const heading = el("h5", {id: `integrity-group-h-${i}`, text: t("integrity_group_h", {kind: kindWords, names: groupNames(group) || "—"})});
  const figure = el(
    "figure",
    {class: "timing-group", "data-kind": group.kind, "data-group": String(i), "aria-labelledby": heading.id},
    heading,
    el("p", {class: "hint", text: `${reasonText(group.kind, shared)} · ${pWords(group, w)}`}),
  );
  if (group.lanes.length === 0) {
    figure.append(el("p", {class: "muted", text: t("integrity_no_arrivals")}));
    return figure;
  }
  const state = page.integrity.windows[i];
  const select = el("select", {id: `integrity-window-${i}`, "data-group": String(i), class: "window-width"});
  for (const width of WINDOWS) {
    const option = el("option", {value: width === null ? "all" : String(width), text: width === null ? t("integrity_window_all") : t("integrity_window_min", {n: width / 60})});
    if (width === state.width) option.selected = true;
    select.append(option);
  }
  const range = el("input", {id: `integrity-start-${i}`, type: "range", min: "0", step: "1", "data-group": String(i), class: "window-start"});
  const controls = el(
    "div",
    {class: "window-controls"},
    el("label", {for: select.id, text: t("integrity_window")}),
    select,
    el("label", {for: range.id, text: t("integrity_start")}),
    range,
    el("output", {id: `integrity-shown-${i}`, for: range.id, class: "hint"}),
  );
  figure.append(controls, el("div", {id: `integrity-plot-${i}`, class: "plot timing-plot-box", "data-session-count": String(group.lanes.length)}));
  return figure;
}

// Draw group `i` in its window, and set its controls to match (they are not rebuilt: the focus stays on them).
function drawGroup(page, group, i, {t, locale}) {
  const box = $(`integrity-plot-${i}`);
  if (!box) return;
  const state = page.integrity.windows[i];
  const win = timeWindow(group.span_s, state.width, state.start);
  state.start = win.start;
  const range = $(`integrity-start-${i}`);
  range.max = String(Math.floor(win.maxStart));
  range.value = String(Math.floor(win.start));
  range.disabled = win.maxStart === 0;
  const first = group.t0_ms === null ? "—" : timeOfDay(group.t0_ms, locale);
  const span = {from: clock(win.from), to: clock(win.to), time: first};
  range.setAttribute("aria-valuetext", t("integrity_shown", span));
  $(`integrity-shown-${i}`).textContent = t("integrity_shown", span);
  const marks = group.lanes.reduce((n, lane) => n + lane.times_s.filter((v) => v >= win.from && v <= win.to).length, 0);
  timingPlot(box, {
    title: t("integrity_timing_title", {names: groupNames(group)}),
    desc: t("integrity_timing_desc", {lanes: group.lanes.length, marks, ...span}),
    axisLabel: t("integrity_time_axis", {time: first}),
    lanes: group.lanes,
    window: win,
    tickLabel: (v) => clock(v),
    markTitle: (lane, v) => t("integrity_mark", {name: lane.name, time: timeOfDay(group.t0_ms + v * 1000, locale)}),
  });
}

function onWindow(page, event) {
  const control = event.target;
  const i = Number(control.dataset.group);
  const state = page.integrity.windows[i];
  const group = page.integrity.report ? timingGroups(page.integrity.report)[i] : null;
  if (!state || !group) return;
  if (control.classList.contains("window-width")) state.width = control.value === "all" ? null : Number(control.value);
  else if (control.classList.contains("window-start")) state.start = Number(control.value);
  else return;
  drawGroup(page, group, i, words(page));
}
