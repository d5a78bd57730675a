// The proctor console's main view: top bar, connection indicator, the room's state (open or closed, who is waiting,
// the button that opens or closes it), counts (which double as filters), disconnect alerts and the room's table with
// its per-row and room-wide command buttons, the moves to another computer waiting for approval, and the integrity
// flags waiting for a proctor's decision. It draws what
// the model holds and changes only what differs, so focus and scroll stay put while a busy room updates twice a
// second. Seat requests, alerts and notices sit in an overlay over the table's corner: nothing that comes and goes
// moves the table.
//
// `ui` is the page's state (proctor.js): {t, locale, model, now() (server ms), live, conn, token, filter, sort,
// downloading, roomBusy}; `on` its handlers: {filter(key), openDetail(sid, el), command(kind, sid, button),
// dismissAlert(sid), showRow(sid)}.

import {
  allows,
  category,
  countsOf,
  hasSeatRequest,
  notesCount,
  inSitting,
  idleMinutes,
  isOver,
  needsAttention,
  pauseOrResume,
  roomTargets,
  rowNumber,
  statusKey,
  statusTextKey,
  timeLeftAt,
  visibleRows,
  waitingCount,
  CATEGORIES,
} from "./proctor_model.js";
import {ago, clock, num, seatLabel, timeOfDay} from "./proctor_format.js";
import {reasonText} from "./proctor_flags.js";

const $ = (id) => document.getElementById(id);
export const BADGE = {
  active: "ok",
  intro: "intro",
  waiting: "wait",
  disconnected: "bad",
  paused: "warn",
  ready: "idle",
  finished: "info",
  terminated: "dark",
};

// The status of a row in words: its category's text (a waiting candidate's depends on whether the room is open).
export const statusText = (ui, row) => ui.t(statusTextKey(category(row), ui.model.roomOpen()));
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

// The room's state, prominent: open or closed, how many candidates are waiting (connected, not started; a button
// that shows them), and the button that opens or closes the room (closing asks first).
export function renderRoomState(ui) {
  const {t, model} = ui;
  const open = model.roomOpen();
  const box = $("room-state");
  box.hidden = open === null;
  box.dataset.open = String(open);
  setText($("room-state-text"), open ? t("room_open") : t("room_closed"));
  setText($("room-state-hint"), open ? t("room_open_hint") : t("room_closed_hint"));
  const waiting = waitingCount(model.list());
  const count = $("waiting-count");
  setText(count.querySelector(".waiting-n"), waiting);
  setText(count.querySelector(".waiting-label"), t("waiting_label", {n: waiting}));
  setAttr(count, "title", t(open ? "waiting_title_open" : "waiting_title_closed"));
  setAttr(count, "aria-pressed", String(ui.filter === "waiting"));
  count.classList.toggle("zero", waiting === 0);
  const toggle = $("room-toggle");
  const kind = open ? "close_room" : "open_room";
  toggle.dataset.action = kind;
  setText(toggle, t(`room_${kind}`));
  setAttr(toggle, "title", t(`room_${kind}_title`));
  toggle.className = open ? "room-toggle" : "room-toggle primary";
  toggle.hidden = open === null; // a server that does not say whether the room is open
  toggle.disabled = !ui.live || open === null || Boolean(ui.roomBusy);
}

export function renderCounts(ui, on) {
  const {t} = ui;
  const counts = countsOf(ui.model.list(), ui.now(), ui.model.flagged());
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
    const label = key === "all" ? t("count_all") : key === "attention" ? t("count_attention") : t(statusTextKey(key, ui.model.roomOpen()));
    setText(button.querySelector(".count-label"), label);
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

// Moves to another computer waiting for the proctor, oldest first: who asks, from which computer to which, since
// when, with *Setujui* (asks first) and *Tolak*. An entry leaves once the request is decided (here or on another
// console); the focus then goes to the next entry, or to the candidate's row.
export function renderSeats(ui, on) {
  const {t, model} = ui;
  const now = ui.now();
  const requests = model.seatRequests();
  $("seats").hidden = requests.length === 0;
  setText($("seats-h"), t("seats_h", {n: requests.length}));
  const list = $("seat-list");
  const existing = new Map([...list.children].map((li) => [li.dataset.session, li]));
  const wanted = [];
  for (const {session_id: sid, since, device, requested} of requests) {
    const row = model.row(sid);
    let li = existing.get(sid);
    if (!li) {
      li = document.createElement("li");
      li.className = "seat-req";
      li.dataset.session = sid;
      const who = document.createElement("strong");
      who.className = "seat-who";
      const what = document.createElement("span");
      what.className = "seat-what";
      const approve = document.createElement("button");
      approve.type = "button";
      approve.className = "small primary seat-approve";
      approve.addEventListener("click", () => on.command("approve_seat", sid, approve));
      const deny = document.createElement("button");
      deny.type = "button";
      deny.className = "small seat-deny";
      deny.addEventListener("click", () => on.command("deny_seat", sid, deny));
      li.append(who, what, approve, deny);
    }
    li.dataset.requested = requested;
    setText(li.querySelector(".seat-who"), t("seat_req_text", {name: row.name}));
    setAttr(li.querySelector(".seat-who"), "title", `${row.name} · ${row.employee_id}`);
    const from = seatLabel(device, t);
    const to = seatLabel(requested, t);
    setText(li.querySelector(".seat-what"), t("seat_req_what", {from, to, time: timeOfDay(since, ui.locale), ago: ago(since, now, t)}));
    setAttr(li.querySelector(".seat-what"), "title", `${device ?? "—"} → ${requested || t("seat_no_id")}`);
    for (const [cls, kind, label] of [[".seat-approve", "approve_seat", "seat_approve"], [".seat-deny", "deny_seat", "seat_deny"]]) {
      const button = li.querySelector(cls);
      setText(button, t(label));
      setAttr(button, "aria-label", t(`${label}_label`, {name: row.name}));
      button.disabled = !ui.live || !allows(row, kind);
    }
    wanted.push(li);
  }
  // an entry decided while the focus was in it: the focus moves on rather than falling to the page
  const focused = document.activeElement;
  const leaving = focused && list.contains(focused) ? focused.closest("li") : null;
  const gone = leaving && !wanted.includes(leaving) ? leaving.dataset.session : null;
  syncChildren(list, wanted);
  if (gone !== null) {
    const next = list.querySelector("button:not(:disabled)") ?? rowElement(gone);
    next?.focus({preventScroll: true});
  }
}

// Integrity flags waiting for a decision, one entry per candidate, the newest first: who, why in plain words (a
// flag is a prompt to look, not a finding: the list says so), since when, and *Periksa*, which opens the detail
// where the evidence is and the decision is recorded. An entry goes once every flag of it is decided.
export function renderFlags(ui, on) {
  const {t, model} = ui;
  const now = ui.now();
  const entries = model.flagList();
  $("flags").hidden = entries.length === 0;
  setText($("flags-h"), t("flags_h", {n: entries.length}));
  const list = $("flag-list");
  const existing = new Map([...list.children].map((li) => [li.dataset.session, li]));
  const wanted = [];
  for (const {session_id: sid, flags, since} of entries) {
    const row = model.row(sid);
    let li = existing.get(sid);
    if (!li) {
      li = document.createElement("li");
      li.className = "flag-entry";
      li.dataset.session = sid;
      const who = document.createElement("strong");
      who.className = "flag-who";
      const what = document.createElement("span");
      what.className = "flag-what";
      const when = document.createElement("span");
      when.className = "flag-when";
      const show = document.createElement("button");
      show.type = "button";
      show.className = "small flag-show";
      show.addEventListener("click", () => on.openDetail(sid, show));
      li.append(who, what, when, show);
    }
    li.dataset.kinds = flags.map((f) => f.kind).join(" ");
    setText(li.querySelector(".flag-who"), `${row.name} (${row.employee_id})`);
    setText(li.querySelector(".flag-what"), flags.map((f) => reasonText(f.kind, t)).join("; "));
    setText(li.querySelector(".flag-when"), since === null ? "" : t("flag_since", {time: timeOfDay(since, ui.locale), ago: ago(since, now, t)}));
    setText(li.querySelector(".flag-show"), t("flag_show"));
    setAttr(li.querySelector(".flag-show"), "aria-label", t("flag_show_label", {name: row.name}));
    wanted.push(li);
  }
  syncChildren(list, wanted);
}

// --- command buttons ---------------------------------------------------------------------------------------------

// Kinds whose button is there only while the session allows them (a move waiting for approval).
const ONLY_WHEN_ALLOWED = new Set(["approve_seat", "deny_seat"]);
// Kinds every session takes (a note, a message): enabled whenever the console is live.
const ALWAYS = new Set(["note", "message"]);

function actionButton(kind, sid, on) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = `small act act-${kind}`;
  button.dataset.action = kind;
  if (kind === "note") button.innerHTML = '<span class="act-label"></span><span class="act-n" aria-hidden="true"></span>';
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    on.command(button.dataset.action, sid, button); // pause and resume share one button
  });
  return button;
}

// A row's buttons; the detail view (`detail`) adds the message and, while a move waits, its approval.
export function buildActions(container, sid, on, {detail = false} = {}) {
  const kinds = ["pause", "extend", "terminate", "note"];
  if (detail) kinds.push("message", "approve_seat", "deny_seat");
  container.append(...kinds.map((kind) => actionButton(kind, sid, on)));
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
    let title = t(`act_${kind}_title`, {name: row.name});
    if (kind === "note") {
      // the notes written so far, as a small count on the button
      const n = notesCount(row);
      setText(button.querySelector(".act-label"), t("act_note"));
      setText(button.querySelector(".act-n"), n || "");
      button.dataset.notes = String(n);
      if (n) title = `${title} (${t("act_note_count", {n})})`;
    } else {
      setText(button, t(`act_${kind}`));
    }
    setAttr(button, "title", title);
    setAttr(button, "aria-label", title);
    const allowed = ALWAYS.has(kind) || allows(row, kind);
    if (ONLY_WHEN_ALLOWED.has(kind)) button.hidden = !allowed;
    button.disabled = !ui.live || !allowed;
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
  cell(tr, "seat");
  cell(tr, "status", '<span class="badge"></span><span class="extra"></span><span class="flag-chip" hidden></span>');
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

// The status badge, and a chip for what else needs saying (silent for minutes, offline while paused), and one for
// flags waiting for a decision (`open`: those flags; their reasons on hover). A move to another computer waiting for
// the proctor takes the badge's place while it waits (the status is then on hover).
function updateStatus(status, row, ui, now, open) {
  const {t} = ui;
  const cat = category(row);
  const [badge, extra, flagChip] = status.children;
  // the chip's words are drawn from data-label (CSS), so the cell's text stays the status; the row's aria-label and
  // the chip's title say them
  flagChip.hidden = open.length === 0;
  setAttr(flagChip, "data-label", open.length ? t("flag_chip") : null);
  setAttr(flagChip, "title", open.length ? t("flag_chip_title", {reasons: open.map((f) => reasonText(f.kind, t)).join("; ")}) : null);
  const idle = idleMinutes(row, now);
  const asking = hasSeatRequest(row);
  setText(badge, asking ? t("seat_chip") : statusText(ui, row));
  const badgeClass = asking ? "badge asking" : `badge ${BADGE[cat]}`;
  if (badge.className !== badgeClass) badge.className = badgeClass;
  const seatTitle = () => t("seat_chip_title", {from: seatLabel(row.device ?? null, t), to: seatLabel(row.seat_request, t)});
  setAttr(badge, "title", asking ? `${statusText(ui, row)} — ${seatTitle()}` : statusTitle(ui, row, cat));
  if (asking) {
    setText(extra, "");
    extra.className = "extra";
    setAttr(extra, "title", null);
  } else if (idle) {
    setText(extra, t("idle_for", {n: idle}));
    extra.className = "extra chip warn";
    setAttr(extra, "title", t("idle_title", {n: idle}));
  } else if ((row.phase === "paused" || (row.phase === "ready" && row.last_seen_ms)) && !row.connected) {
    setText(extra, t("paused_offline"));
    extra.className = "extra chip bad";
    setAttr(extra, "title", row.phase === "ready" ? t("st_ready_left") : null);
  } else {
    setText(extra, "");
    extra.className = "extra";
    setAttr(extra, "title", row.phase === "paused" && row.pause_reason ? row.pause_reason : null);
  }
}

// What a status means, on hover.
function statusTitle(ui, row, cat) {
  const {t} = ui;
  if (cat === "ready") return t(row.last_seen_ms ? "st_ready_left" : "st_ready_never");
  if (cat === "waiting") return t(ui.model.roomOpen() ? "st_welcome_title" : "st_waiting_title");
  if (cat === "intro") return t("st_intro_title");
  if (cat === "disconnected" && row.phase === "intro") return t("st_intro_away_title");
  return null;
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

// A row's look for what needs attention: disconnected, a move waiting, paused or silent, flagged (in that order).
function attentionClass(row, now, flagged) {
  if (!needsAttention(row, now, flagged)) return "";
  if (statusKey(row, now) === "disconnected") return "att-bad";
  if (hasSeatRequest(row)) return "att-seat";
  return needsAttention(row, now) ? "att-warn" : "att-flag";
}

function updateRow(tr, row, index, ui, flagged) {
  const {t, model} = ui;
  const now = ui.now();
  const cat = category(row);
  const over = isOver(row);
  const open = flagged.has(row.session_id) ? model.openFlags(row.session_id) : [];
  const rowClass = [
    "row",
    attentionClass(row, now, flagged),
    model.isAlerting(row.session_id) ? "alerting" : "",
    over ? "over" : "",
  ].filter(Boolean).join(" ");
  if (tr.className !== rowClass) tr.className = rowClass;
  tr.dataset.status = cat;
  tr.dataset.phase = row.phase;
  const flagWords = open.length ? `, ${t("flag_chip")}` : "";
  setAttr(tr, "aria-label", `${row.name}, ${hasSeatRequest(row) ? `${t("seat_chip")}, ` : ""}${statusText(ui, row)}${flagWords}`);
  tr.dataset.flags = open.map((f) => f.kind).join(" ");
  const [no, who, seat, status, sub, ans, se, time, seen, act] = tr.children;
  setText(no, rowNumber(row, index));
  setText(who.firstChild, row.name);
  setText(who.lastChild, row.employee_id);
  setAttr(who, "title", `${row.name} · ${row.employee_id}`);
  // the seat: the last characters of the computer's id, the whole id on hover
  const device = typeof row.device === "string" && row.device ? row.device : null;
  setText(seat, seatLabel(device, t));
  seat.dataset.device = device ?? "";
  setAttr(seat, "title", device ? t("seat_title", {id: device}) : t("seat_none_title"));
  seat.classList.toggle("asked", hasSeatRequest(row));
  updateStatus(status, row, ui, now, open);
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
  setAttr(time, "title", !over && left !== null && inSitting(row) && !(row.phase === "active" && row.connected) ? t("time_frozen_title") : null);
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
  const flagged = model.flagged();
  const shown = visibleRows(rows, {filter: ui.filter, sort: ui.sort, nowMs: ui.now(), compareText: collator.compare, flagged});
  const wanted = shown.map((row) => {
    let tr = rowEls.get(row.session_id);
    if (!tr) {
      tr = makeRow(row.session_id, on);
      rowEls.set(row.session_id, tr);
    }
    updateRow(tr, row, index.get(row.session_id), ui, flagged);
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
  // each room-wide button says how many it reaches: the same rows its confirmation lists
  for (const [id, kind] of ROOM_BUTTONS) {
    const n = roomTargets(rows, kind).length;
    setText($(id), n ? t("room_btn_n", {label: t(`room_${kind}`), n}) : t(`room_${kind}`));
    $(id).dataset.count = String(n);
    $(id).disabled = !ui.live || n === 0;
  }
  $("room-message").disabled = !ui.live || rows.length === 0; // a message reaches every session of the room
  $("download").disabled = !model.room || ui.downloading;
}
