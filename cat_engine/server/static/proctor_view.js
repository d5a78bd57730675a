// The proctor console's main view: top bar, connection indicator, counts (which double as filters), disconnect
// alerts and the room's table with its per-row and room-wide command buttons. It draws what the model holds and
// changes only what differs, so focus and scroll stay put while a busy room updates twice a second.
//
// `ui` is the page's state (proctor.js): {t, locale, model, now() (server ms), live, conn, token, filter, sort,
// downloading}; `on` its handlers: {filter(key), openDetail(sid, el), command(kind, sid, button), dismissAlert(sid),
// showRow(sid)}.

import {
  allows,
  category,
  countsOf,
  idleMinutes,
  isOver,
  needsAttention,
  pauseOrResume,
  roomAvailability,
  rowNumber,
  statusKey,
  timeLeftAt,
  visibleRows,
  CATEGORIES,
} from "./proctor_model.js";
import {ago, clock, num, timeOfDay} from "./proctor_format.js";

const $ = (id) => document.getElementById(id);
export const BADGE = {active: "ok", disconnected: "bad", paused: "warn", ready: "idle", finished: "info", terminated: "dark"};
const ROOM_BUTTONS = [["room-pause", "pause"], ["room-resume", "resume"], ["room-extend", "extend"], ["room-terminate", "terminate"]];

const rowEls = new Map(); // session_id -> <tr>, kept across renders

// --- small DOM helpers -------------------------------------------------------------------------------------------

export function setText(el, value) {
  const v = String(value);
  if (el.textContent !== v) el.textContent = v;
}

export function setAttr(el, name, value) {
  if (value === null || value === undefined || value === false) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else if (el.getAttribute(name) !== String(value)) {
    el.setAttribute(name, String(value));
  }
}

// Make `parent`'s children exactly `wanted`, in order, moving only what is out of place (keeps focus).
function syncChildren(parent, wanted) {
  const keep = new Set(wanted);
  for (const child of [...parent.children]) if (!keep.has(child)) child.remove();
  wanted.forEach((node, i) => {
    if (parent.children[i] !== node) parent.insertBefore(node, parent.children[i] ?? null);
  });
}

export const rowElement = (sid) => rowEls.get(sid) ?? null;

export function clearRows() {
  rowEls.clear();
  $("rows").replaceChildren();
}

// --- top bar, counts, alerts -------------------------------------------------------------------------------------

export function renderConn(ui) {
  const {t} = ui;
  const conn = $("conn");
  const shown = ui.conn === "open" && !ui.live ? "connecting" : ui.conn;
  conn.dataset.state = shown;
  setText($("conn-text"), t(`conn_${shown}`));
  conn.title = shown === "waiting" ? t("conn_title_waiting") : "";
  $("reconnect").hidden = shown !== "waiting";
  if (!$("signin").hidden && ui.token) {
    const msg = $("signin-msg");
    msg.className = "notice info";
    msg.textContent = t("signin_connecting");
    msg.hidden = false;
  }
}

export function renderTop(ui) {
  const room = ui.model.room;
  $("room-label").hidden = !room;
  if (room) {
    setText($("room-name"), room.name);
    setText($("room-meta"), ui.t("room_meta", {room: room.room_id, battery: room.battery?.name ?? room.battery?.id ?? ""}));
  }
}

export function renderCounts(ui, on) {
  const {t} = ui;
  const counts = countsOf(ui.model.list(), ui.now());
  const box = $("counts");
  const keys = ["all", "attention", ...CATEGORIES];
  if (box.children.length !== keys.length) {
    box.replaceChildren();
    for (const key of keys) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = `count count-${key}`;
      button.dataset.filter = key;
      const n = document.createElement("span");
      n.className = "count-n";
      const label = document.createElement("span");
      label.className = "count-label";
      button.append(n, label);
      button.addEventListener("click", () => on.filter(key));
      box.append(button);
    }
  }
  for (const button of box.children) {
    const key = button.dataset.filter;
    setText(button.querySelector(".count-n"), counts[key]);
    setText(button.querySelector(".count-label"), key === "all" ? t("count_all") : key === "attention" ? t("count_attention") : t(`st_${key}`));
    setAttr(button, "aria-pressed", String(ui.filter === key));
    button.classList.toggle("zero", counts[key] === 0 && key !== "all");
  }
}

export function renderAlerts(ui, on) {
  const {t, model} = ui;
  const now = ui.now();
  const active = model.activeAlerts();
  $("alerts").hidden = active.length === 0;
  setText($("alerts-h"), t("alerts_h", {n: active.length}));
  const list = $("alert-list");
  const existing = new Map([...list.children].map((li) => [li.dataset.session, li]));
  const wanted = [];
  for (const {session_id: sid, since} of active) {
    const row = model.row(sid);
    let li = existing.get(sid);
    if (!li) {
      li = document.createElement("li");
      li.className = "alert";
      li.dataset.session = sid;
      const who = document.createElement("strong");
      who.className = "alert-who";
      const what = document.createElement("span");
      what.className = "alert-what";
      const show = document.createElement("button");
      show.type = "button";
      show.className = "small alert-show";
      show.addEventListener("click", () => on.showRow(sid));
      const dismiss = document.createElement("button");
      dismiss.type = "button";
      dismiss.className = "small alert-dismiss";
      dismiss.addEventListener("click", () => on.dismissAlert(sid));
      li.append(who, what, show, dismiss);
    }
    setText(li.querySelector(".alert-who"), `${row.name} (${row.employee_id})`);
    setText(li.querySelector(".alert-what"), t("alert_text", {time: timeOfDay(since, ui.locale), ago: ago(since, now, t)}));
    setText(li.querySelector(".alert-show"), t("alert_show"));
    setText(li.querySelector(".alert-dismiss"), t("alert_dismiss"));
    setAttr(li.querySelector(".alert-dismiss"), "aria-label", `${t("alert_dismiss")}: ${row.name}`);
    wanted.push(li);
  }
  syncChildren(list, wanted);
}

// --- command buttons ---------------------------------------------------------------------------------------------

function actionButton(kind, sid, on) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = `small act act-${kind}`;
  button.dataset.action = kind;
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    on.command(button.dataset.action, sid, button); // pause and resume share one button
  });
  return button;
}

export function buildActions(container, sid, on) {
  container.append(actionButton("pause", sid, on), actionButton("extend", sid, on), actionButton("terminate", sid, on));
}

// Labels and enabled state from the row's `allowed` (the server's word on what the state allows now).
export function updateActions(container, row, ui) {
  const {t} = ui;
  for (const button of container.querySelectorAll("button.act")) {
    let kind = button.dataset.action;
    if (kind === "pause" || kind === "resume") {
      kind = pauseOrResume(row);
      button.dataset.action = kind;
      button.classList.toggle("act-resume", kind === "resume");
      button.classList.toggle("act-pause", kind === "pause");
    }
    setText(button, t(`act_${kind}`));
    setAttr(button, "title", t(`act_${kind}_title`, {name: row.name}));
    setAttr(button, "aria-label", t(`act_${kind}_title`, {name: row.name}));
    button.disabled = !ui.live || !allows(row, kind);
  }
}

// --- the table ---------------------------------------------------------------------------------------------------

function cell(tr, cls, html = "") {
  const td = document.createElement("td");
  td.className = cls;
  if (html) td.innerHTML = html;
  tr.append(td);
  return td;
}

function makeRow(sid, on) {
  const tr = document.createElement("tr");
  tr.tabIndex = 0;
  tr.dataset.session = sid;
  tr.className = "row";
  cell(tr, "c-no num");
  cell(tr, "who", '<span class="name"></span><span class="emp"></span>');
  cell(tr, "status", '<span class="badge"></span><span class="extra"></span>');
  cell(tr, "sub", '<span class="sub-idx"></span><span class="sub-name"></span>');
  cell(tr, "ans num");
  cell(tr, "se", '<span class="bar" aria-hidden="true"><span class="fill"></span></span><span class="se-label"></span>');
  cell(tr, "time num");
  cell(tr, "seen");
  buildActions(cell(tr, "act"), sid, on);
  tr.addEventListener("click", (event) => {
    if (event.target.closest("button")) return;
    on.openDetail(sid, tr);
  });
  tr.addEventListener("keydown", (event) => {
    if (event.target !== tr) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      on.openDetail(sid, tr);
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      (event.key === "ArrowDown" ? tr.nextElementSibling : tr.previousElementSibling)?.focus();
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      (event.key === "Home" ? tr.parentElement.firstElementChild : tr.parentElement.lastElementChild)?.focus();
    }
  });
  return tr;
}

function updateStatus(status, row, ui, now) {
  const {t} = ui;
  const cat = category(row);
  const badge = status.firstChild;
  setText(badge, t(`st_${cat}`));
  const badgeClass = `badge ${BADGE[cat]}`;
  if (badge.className !== badgeClass) badge.className = badgeClass;
  const extra = status.lastChild;
  const idle = idleMinutes(row, now);
  if (idle) {
    setText(extra, t("idle_for", {n: idle}));
    extra.className = "extra chip warn";
    setAttr(extra, "title", t("idle_title", {n: idle}));
  } else if (row.phase === "paused" && !row.connected) {
    setText(extra, t("paused_offline"));
    extra.className = "extra chip bad";
    setAttr(extra, "title", null);
  } else {
    setText(extra, "");
    extra.className = "extra";
    setAttr(extra, "title", row.phase === "paused" && row.pause_reason ? row.pause_reason : null);
  }
}

// SE against the target: the bar is full (and green) once se <= se_target.
function updateSe(se, row, ui, over) {
  const {t, locale} = ui;
  const fill = se.querySelector(".fill");
  const hasSe = !over && row.se !== null && row.se !== undefined;
  const ratio = hasSe ? Math.min(1, (row.se_target || 0) / row.se) : 0;
  const reached = hasSe && row.se <= row.se_target;
  fill.style.width = `${Math.round(ratio * 100)}%`;
  fill.className = reached ? "fill reached" : "fill";
  setText(se.querySelector(".se-label"), hasSe ? `${num(row.se, locale)} / ${num(row.se_target, locale)}` : "—");
  se.dataset.se = hasSe ? String(row.se) : "";
  se.classList.toggle("reached", reached);
  se.classList.toggle("none", !hasSe);
  const title = hasSe ? `${t("se_title", {se: num(row.se, locale, 3), target: num(row.se_target, locale)})}${reached ? ` — ${t("se_reached")}` : ""}` : null;
  setAttr(se, "title", title);
}

function updateRow(tr, row, index, ui) {
  const {t, model} = ui;
  const now = ui.now();
  const cat = category(row);
  const key = statusKey(row, now);
  const over = isOver(row);
  const rowClass = [
    "row",
    needsAttention(row, now) ? (key === "disconnected" ? "att-bad" : "att-warn") : "",
    model.isAlerting(row.session_id) ? "alerting" : "",
    over ? "over" : "",
  ].filter(Boolean).join(" ");
  if (tr.className !== rowClass) tr.className = rowClass;
  tr.dataset.status = cat;
  setAttr(tr, "aria-label", `${row.name}, ${t(`st_${cat}`)}`);
  const [no, who, status, sub, ans, se, time, seen, act] = tr.children;
  setText(no, rowNumber(row, index));
  setText(who.firstChild, row.name);
  setText(who.lastChild, row.employee_id);
  updateStatus(status, row, ui, now);
  const info = model.subtestInfo(row.subtest_index);
  const total = model.room?.subtests?.length ?? 0;
  setText(sub.firstChild, over || !info ? "" : `${row.subtest_index + 1}/${total}`);
  setText(sub.lastChild, over || !info ? "—" : info.name);
  setAttr(sub, "title", over || !info ? null : info.name);
  const all = row.answered_total;
  setText(ans, over ? `— / ${all}` : `${row.answered} / ${all}`);
  ans.dataset.answered = String(row.answered);
  ans.dataset.total = String(all);
  setAttr(ans, "title", t("answered_title", {sub: row.answered, total: all}));
  updateSe(se, row, ui, over);
  const left = timeLeftAt(row, now);
  setText(time, over ? "—" : clock(left));
  time.dataset.seconds = left === null || over ? "" : String(Math.round(left));
  time.classList.toggle("low", !over && left !== null && left < 120 && row.phase === "active");
  time.classList.toggle("frozen", !over && left !== null && !(row.phase === "active" && row.connected));
  setText(seen, ago(row.last_seen_ms, now, t));
  setAttr(seen, "title", row.last_seen_ms ? timeOfDay(row.last_seen_ms, ui.locale) : null);
  updateActions(act, row, ui);
}

export function renderTable(ui, on) {
  const {t, model} = ui;
  const rows = model.list();
  for (const id of rowEls.keys()) if (!model.row(id)) rowEls.delete(id);
  const index = new Map(rows.map((row, i) => [row.session_id, i]));
  const collator = new Intl.Collator(ui.locale);
  const shown = visibleRows(rows, {filter: ui.filter, sort: ui.sort, nowMs: ui.now(), compareText: collator.compare});
  const wanted = shown.map((row) => {
    let tr = rowEls.get(row.session_id);
    if (!tr) {
      tr = makeRow(row.session_id, on);
      rowEls.set(row.session_id, tr);
    }
    updateRow(tr, row, index.get(row.session_id), ui);
    return tr;
  });
  const focused = document.activeElement;
  syncChildren($("rows"), wanted);
  if (focused && focused !== document.activeElement && focused.isConnected) focused.focus({preventScroll: true});
  const empty = $("empty");
  empty.hidden = wanted.length > 0 || !model.room;
  setText(empty, rows.length ? t("empty_filter") : t("empty_room"));
  for (const th of document.querySelectorAll("#roster th[data-sort]")) {
    const active = th.dataset.sort === ui.sort.key;
    setAttr(th, "aria-sort", active ? (ui.sort.dir > 0 ? "ascending" : "descending") : null);
  }
  const available = roomAvailability(rows);
  for (const [id, kind] of ROOM_BUTTONS) $(id).disabled = !ui.live || !available[kind];
  $("download").disabled = !model.room || ui.downloading;
}
