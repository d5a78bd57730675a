// The proctor console (docs/protocol.md, "Proctor: /ws/proctor"): a live table of the room, the room's state (open
// or closed, who is waiting) with the button that opens or closes it, moves to another computer waiting for
// approval, disconnect alerts, integrity flags waiting for a decision, confirmed commands per candidate or for the
// whole room, incident notes and messages, a candidate detail view with a chart of theta and SE, the time each answer
// took, the flags with their evidence and decisions, and the notes, and the room's results as CSV. This module wires
// the parts together: the socket and its frames, the server clock estimate, persistence for this tab, sign-in and
// sign-out, and the page's handlers.
//
//   proctor_model.js     the room from snapshot + events (pure)   proctor_view.js    top bar, counts, alerts, table
//   proctor_detail.js    the detail dialog and its chart          proctor_commands.js  commands, acks, download
//   proctor_format.js    numbers, clocks, times (pure)            proctor_texts.js   texts (id, en)
//   proctor_flags.js     flags: reasons, decisions, RT data (pure) proctor_rt_chart.js the response-time chart
//
// Time. The model and the views take server time (ms since the Unix epoch): this PC's clock plus an offset. Every
// live event and snapshot gives a lower bound of the offset (it happened before it reached us), so the largest
// sample wins; a live event far below the estimate means this PC's clock was changed, and it starts over from it.
//
// Reconnects (socket.js) back off unless a hello succeeds: the socket is told ready() at the snapshot, never at a bare
// open. `rate_limited` (on a hello, a detail or a command) is waited out as it asks, with one notice; 4009 (this token
// open in too many consoles) retries slowly; a server that keeps refusing gets one notice per outage, not one a try.
// `restarting` and its close (1012, the server process being restarted) are said nowhere but the connection
// indicator: the socket is back within a second, resuming after the last event seen.

import {applyTexts, currentLang, languageSwitch, makeT} from "./i18n.js";
import {ReconnectingSocket, retryAfterDelay, slowDelay} from "./socket.js";
import {TEXTS} from "./proctor_texts.js";
import {RoomModel} from "./proctor_model.js";
import {localeOf} from "./proctor_format.js";
import {
  clearRows,
  renderAlerts,
  renderConn,
  renderCounts,
  renderFlags,
  renderRoomState,
  renderSeats,
  renderTable,
  renderTop,
  rowElement,
} from "./proctor_view.js";
import {initDecisions, renderDetail} from "./proctor_detail.js";
import {reasonText} from "./proctor_flags.js";
import {createCommands} from "./proctor_commands.js";

const TOKEN_KEY = "cat.proctor.token";
const RESUME_KEY = "cat.proctor.resume";
const PING_MS = 20000;
const SILENT_MS = 50000; // no frame (not even a pong) for this long: the connection is dead, drop it
const RESYNC_GAP_MS = 3000; // at most one fresh snapshot asked for this often

const $ = (id) => document.getElementById(id);

let lang = currentLang();
let clockOffset = null; // server ms - this PC's ms
const model = new RoomModel();
const hellos = []; // last_event_id of each hello sent (null: none), for the tests

// The page's state, shared with the views (proctor_view.js describes it).
const ui = {
  t: makeT(TEXTS, lang),
  locale: localeOf(lang),
  model,
  now: () => Date.now() + (clockOffset ?? 0),
  token: null,
  socket: null,
  conn: "idle",
  live: false, // a snapshot arrived on the current connection
  filter: "all",
  sort: {key: "order", dir: 1},
  downloading: false,
  roomBusy: false, // an open_room / close_room awaits its ack
  detail: null, // {sid, reqId, loading, error, tab, deciding, returnFocus}
  on: null,
};
let lastFrameAt = 0;
let resyncAt = null;
let nextDetailId = 1;
let helloAfter = 0; // Date.now() before which no hello is said (rate_limited)
let helloTimer = null;
let detailTimer = null;
const troubleNoticed = new Set(); // error codes already reported since the last snapshot (one notice per outage)

const stats = {};
for (const key of ["snapshots", "events", "history", "duplicates"]) {
  Object.defineProperty(stats, key, {get: () => model.stats[key], enumerable: true});
}
stats.hellos = hellos;
window.catProctor = {
  get socket() {
    return ui.socket;
  },
  stats,
  model,
  ui,
};

const commands = createCommands(ui, {
  send: (frame) => Boolean(ui.socket?.send(frame)),
  changed: () => {
    ui.roomBusy = commands.roomPending();
    queueRender();
  },
});

// --- rendering ----------------------------------------------------------------------------------------------------

let renderQueued = false;
let detailQueued = false;

function render() {
  renderQueued = false;
  renderTop(ui);
  renderConn(ui);
  renderRoomState(ui);
  renderCounts(ui, ui.on);
  renderSeats(ui, ui.on);
  renderAlerts(ui, ui.on);
  renderFlags(ui, ui.on);
  renderTable(ui, ui.on);
  if (ui.detail) renderDetail(ui);
}

function queueRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(render);
}

function queueDetail() {
  if (detailQueued) return;
  detailQueued = true;
  requestAnimationFrame(() => {
    detailQueued = false;
    if (ui.detail) renderDetail(ui);
  });
}

function announce(message) {
  const region = $("alert-live");
  region.textContent = "";
  setTimeout(() => (region.textContent = message), 50);
}

function focusRow(sid) {
  if (ui.filter !== "all") {
    ui.filter = "all";
    render();
  }
  const tr = rowElement(sid);
  if (!tr) return;
  tr.scrollIntoView({block: "center"});
  tr.focus();
}

// --- detail view --------------------------------------------------------------------------------------------------

function openDetail(sid, returnFocus) {
  if (!model.row(sid)) return;
  ui.detail = {sid, reqId: null, loading: false, error: null, tab: null, deciding: null, returnFocus};
  requestDetail();
  renderDetail(ui);
  const dialog = $("detail");
  if (!dialog.open) dialog.showModal();
  $("detail-close").focus();
}

// The history of the sitting (every answer's point, the results of subtests done) comes from the server's `detail`.
function requestDetail() {
  clearTimeout(detailTimer);
  detailTimer = null;
  const d = ui.detail;
  if (!d || !ui.live) return;
  const held = commands.heldFor();
  if (held > 0) {
    // rate_limited asked to wait: ask once the wait is over
    d.reqId = null;
    d.loading = true;
    detailTimer = setTimeout(requestDetail, held);
    return;
  }
  d.reqId = `d${nextDetailId++}`;
  d.loading = true;
  d.error = null;
  ui.socket.send({type: "detail", session_id: d.sid, id: d.reqId});
}

function onDetail(frame) {
  if (!model.applyDetail(frame)) return;
  const d = ui.detail;
  if (d?.sid === frame.session_id && (frame.id === undefined || frame.id === null || frame.id === d.reqId)) {
    d.loading = false;
    d.error = null;
  }
  queueDetail();
}

function closeDetail() {
  const returnFocus = ui.detail?.returnFocus;
  const shown = ui.detail?.sid;
  ui.detail = null;
  clearTimeout(detailTimer);
  detailTimer = null;
  if ($("detail").open) $("detail").close();
  const sid = returnFocus?.dataset?.session;
  const target = sid ? rowElement(sid) : returnFocus;
  // an opener that went meanwhile (a flag's entry, gone once decided): the candidate's row
  const fallback = shown ? rowElement(shown) : null;
  if (target?.isConnected) target.focus();
  else if (fallback?.isConnected) fallback.focus();
}

// --- persistence (this tab only): where the stream was, the subtest results and the decisions on flags seen -------

let saveTimer = null;
let resultsDirty = false;

function saveResume(withResults) {
  if (withResults) resultsDirty = true;
  if (saveTimer) return;
  saveTimer = setTimeout(() => {
    saveTimer = null;
    if (!ui.token) return;
    let stored = loadResume(ui.token) ?? {token: ui.token, results: {}};
    stored.last_event_id = model.lastEventId;
    stored.decisions = model.exportDecisions();
    if (resultsDirty) {
      stored = {...stored, results: model.exportResults()};
      resultsDirty = false;
    }
    sessionStorage.setItem(RESUME_KEY, JSON.stringify(stored));
  }, 400);
}

function loadResume(token) {
  try {
    const stored = JSON.parse(sessionStorage.getItem(RESUME_KEY) || "{}");
    return stored.token === token ? stored : null;
  } catch {
    return null;
  }
}

// --- connection ---------------------------------------------------------------------------------------------------

function clockSample(sample, mayLower) {
  if (clockOffset === null || sample > clockOffset || (mayLower && clockOffset - sample > 5000)) clockOffset = sample;
}

async function estimateClock() {
  try {
    const response = await fetch("/healthz", {cache: "no-store"});
    const date = Date.parse(response.headers.get("date") ?? "");
    if (!Number.isNaN(date) && clockOffset === null) clockOffset = date - Date.now();
  } catch {
    // no estimate: the clocks are assumed to agree until the server's times refine it
  }
}

// Say hello on `socket` now, or when rate_limited's wait is over: the first takes the snapshot and live events (a
// sitting's history comes with its `detail`); a reconnect resumes after the last event seen; batch: a busy room's
// events come several to a frame.
function sayHello(socket) {
  clearTimeout(helloTimer);
  helloTimer = null;
  if (ui.socket !== socket || !socket.isOpen || ui.live) return;
  const wait = helloAfter - Date.now();
  if (wait > 0) {
    helloTimer = setTimeout(() => sayHello(socket), wait);
    return;
  }
  const hello = {type: "hello", token: ui.token, batch: true};
  if (model.lastEventId !== null) hello.last_event_id = model.lastEventId;
  hellos.push(hello.last_event_id ?? null);
  socket.send(hello);
}

// One notice per outage for an error that comes back on every try.
function noticeOnce(code, text) {
  if (troubleNoticed.has(code)) return;
  troubleNoticed.add(code);
  commands.notice("bad", text);
}

function connect() {
  commands.failPending();
  ui.socket?.stop();
  clearTimeout(helloTimer);
  helloTimer = null;
  ui.live = false;
  // handlers of a socket that has been replaced (sign-out, "reconnect now") ignore what it still reports; `socket`
  // is null only while the constructor runs (it reports "connecting" at once)
  let socket = null;
  const mine = () => socket === null || ui.socket === socket;
  socket = new ReconnectingSocket("/ws/proctor", {
    onOpen: () => {
      if (!mine()) return;
      ui.live = false;
      lastFrameAt = performance.now();
      sayHello(socket);
    },
    onFrame: (frame) => {
      if (mine()) onFrame(frame);
    },
    onState: (name) => {
      if (!mine()) return;
      ui.conn = name;
      if (name !== "open") ui.live = false;
      renderConn(ui);
      queueRender();
    },
    onClose: (event) => {
      if (!mine()) return false;
      ui.live = false;
      clearTimeout(helloTimer);
      helloTimer = null;
      commands.failPending();
      if (event.code === 4001) {
        signOut(badTokenText());
        return false;
      }
      const waitAsked = Math.max(0, helloAfter - Date.now());
      if (event.code === 4009) {
        noticeOnce("too_many_connections", ui.t("too_many_consoles"));
        return Math.max(slowDelay(), waitAsked); // another console of this token may close: try now and then
      }
      return waitAsked;
    },
  });
  ui.socket = socket;
}

// A fresh snapshot: drop the connection, and the reconnect's hello resumes after the last event applied.
function resync() {
  if (resyncAt !== null && performance.now() - resyncAt < RESYNC_GAP_MS) return;
  resyncAt = performance.now();
  ui.socket?.drop();
}

function onStream(frame) {
  if (frame.type === "snapshot" && typeof frame.at_ms === "number") clockSample(frame.at_ms - Date.now(), false);
  const change = model.applyFrame(frame, ui.now());
  if (change.liveAt !== null) clockSample(change.liveAt - Date.now(), true);
  const said = [
    ...change.seatsRaised.map((sid) => ui.t("seat_announce", {name: model.row(sid)?.name ?? sid})),
    ...change.raised.map((sid) => ui.t("alert_announce", {name: model.row(sid)?.name ?? sid})),
    ...[...new Set(change.flagsRaised)].map((sid) => {
      const reasons = model.openFlags(sid).map((f) => reasonText(f.kind, ui.t));
      return reasons.length ? ui.t("flag_announce", {name: model.row(sid)?.name ?? sid, reason: reasons.join("; ")}) : "";
    }),
  ].filter(Boolean);
  if (said.length) announce(said.join(" "));
  // the room opened or closed from another console (this console's own command is reported with its ack)
  if (change.room && !commands.roomPending()) commands.notice("ok", ui.t(model.roomOpen() ? "room_opened_elsewhere" : "room_closed_elsewhere"));
  if (change.snapshot) {
    ui.live = true;
    ui.socket?.ready();
    troubleNoticed.clear();
    showApp();
    if (ui.detail) requestDetail();
  } else {
    saveResume(change.resultsChanged);
  }
  if (change.resync) resync();
  if (ui.detail && change.changed.has(ui.detail.sid)) queueDetail();
  queueRender();
}

function onFrame(frame) {
  lastFrameAt = performance.now();
  switch (frame.type) {
    case "snapshot":
    case "event":
    case "events":
      onStream(frame);
      break;
    case "ack":
      commands.onAck(frame);
      break;
    case "detail":
      onDetail(frame);
      break;
    case "error":
      onError(frame);
      break;
    default:
      break; // pong
  }
}

function onError(frame) {
  if (frame.code === "bad_token") {
    signOut(badTokenText());
    return;
  }
  if (frame.code === "rate_limited") {
    onRateLimited(frame);
    return;
  }
  if (frame.code === "too_many_connections") return; // the close (4009) that follows says it
  if (frame.code === "restarting") return; // the close (1012) that follows: the socket is back within a second
  if (frame.code === "unavailable" || frame.code === "internal") {
    noticeOnce(frame.code, ui.t("server_error", {message: `${frame.code}: ${frame.message ?? ""}`}));
    return;
  }
  if (ui.detail?.loading && (frame.code === "not_found" || frame.code === "forbidden")) {
    ui.detail.loading = false;
    ui.detail.error = frame.message || frame.code;
    renderDetail(ui);
    return;
  }
  if (frame.code === "not_authenticated") return; // a command raced the hello; the snapshot follows
  commands.onError(frame);
  commands.notice("bad", ui.t("server_error", {message: `${frame.code}: ${frame.message ?? ""}`}));
}

// Nothing was done; say so once and wait as asked: a hello is said again on this connection, a detail asked again,
// commands held back (proctor_commands.js).
function onRateLimited(frame) {
  const wait = retryAfterDelay(frame.retry_after_ms);
  if (!ui.live) {
    helloAfter = Date.now() + wait;
    noticeOnce("rate_limited", ui.t("rate_limited", {s: Math.ceil(wait / 1000)}));
    if (ui.socket) sayHello(ui.socket);
    return;
  }
  const d = ui.detail;
  const detailAsked = Boolean(d?.loading && d.reqId !== null);
  if (commands.rateLimited(frame, wait, detailAsked) || !detailAsked) return;
  d.reqId = null;
  d.error = ui.t("rate_detail", {s: Math.ceil(wait / 1000)});
  renderDetail(ui);
  clearTimeout(detailTimer);
  detailTimer = setTimeout(requestDetail, wait);
}

setInterval(() => {
  if (!ui.socket?.isOpen) return;
  if (performance.now() - lastFrameAt > SILENT_MS) {
    ui.socket.drop();
    return;
  }
  if (ui.live) ui.socket.send({type: "ping"});
}, PING_MS);

// --- sign-in / sign-out -------------------------------------------------------------------------------------------

// A refused token: one typed into the field (still there) is to be checked and corrected.
const badTokenText = () => ui.t($("token-input").value.trim() ? "bad_token_typed" : "bad_token");

function showApp() {
  // signed in: the token typed leaves the page
  $("token-input").value = "";
  $("token-input").removeAttribute("aria-invalid");
  $("signin").hidden = true;
  for (const id of ["app", "signout", "download", "conn"]) $(id).hidden = false;
}

// The sign-in form; with `message` (a token refused) what was typed stays in the field, marked, to be corrected.
function showSignin(message) {
  $("signin").hidden = false;
  for (const id of ["app", "signout", "download", "conn", "reconnect", "room-label"]) $(id).hidden = true;
  const msg = $("signin-msg");
  msg.className = "notice bad";
  msg.hidden = !message;
  msg.textContent = message ?? "";
  const input = $("token-input");
  if (message && input.value) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
  input.focus();
}

function signIn(token) {
  ui.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  const resume = loadResume(token);
  model.reset();
  model.lastEventId = resume?.last_event_id ?? null;
  model.importResults(resume?.results);
  model.importDecisions(resume?.decisions);
  connect();
  renderConn(ui);
}

// Sign out (the button), or back to the sign-in because the token was refused (`message`): a token typed then stays
// in the field, to be corrected rather than typed again.
function signOut(message) {
  if (!message) $("token-input").value = "";
  const socket = ui.socket;
  ui.socket = null;
  socket?.stop();
  ui.token = null;
  ui.live = false;
  ui.conn = "idle";
  model.reset();
  clearRows();
  if ($("detail").open) $("detail").close();
  commands.close();
  ui.detail = null;
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(RESUME_KEY);
  showSignin(message);
}

// --- wiring -------------------------------------------------------------------------------------------------------

function applyLanguage() {
  ui.t = makeT(TEXTS, lang);
  ui.locale = localeOf(lang);
  applyTexts(document, ui.t);
  document.title = ui.t("page_title");
  render();
}

ui.on = {
  filter: (key) => {
    ui.filter = ui.filter === key ? "all" : key;
    queueRender();
  },
  openDetail,
  command: (kind, sid, button) => commands.ask(kind, sid, button),
  dismissAlert: (sid) => {
    model.dismissAlert(sid);
    queueRender();
  },
  showRow: focusRow,
};

function init() {
  languageSwitch($("lang"), lang, (code) => {
    lang = code;
    applyLanguage();
  });
  applyTexts(document, ui.t);
  document.title = ui.t("page_title");

  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    // sent as typed (the server ignores case, spaces and dashes); the field keeps it until the room's snapshot
    // arrives, so a wrong one can be corrected
    const token = $("token-input").value.trim();
    if (!token) return;
    $("token-input").removeAttribute("aria-invalid");
    signIn(token);
  });
  $("signout").addEventListener("click", () => signOut());
  $("reconnect").addEventListener("click", () => {
    if (ui.token) connect();
  });
  $("download").addEventListener("click", () => commands.download(() => queueRender()));
  for (const kind of ["pause", "resume", "extend", "terminate"]) {
    $(`room-${kind}`).addEventListener("click", (e) => commands.ask(kind, null, e.currentTarget));
  }
  $("room-toggle").addEventListener("click", (e) => commands.ask(e.currentTarget.dataset.action, null, e.currentTarget));
  $("room-message").addEventListener("click", (e) => commands.ask("message", null, e.currentTarget));
  $("token-input").addEventListener("input", () => $("token-input").removeAttribute("aria-invalid"));
  $("waiting-count").addEventListener("click", () => ui.on.filter("waiting"));
  // the table scrolls far enough for its last rows to come out from under the alerts and notices
  new ResizeObserver(() => {
    $("overlay-room").style.height = `${$("overlay").offsetHeight}px`;
  }).observe($("overlay"));
  $("alerts-dismiss-all").addEventListener("click", () => {
    model.dismissAllAlerts();
    queueRender();
  });
  for (const th of document.querySelectorAll("#roster th[data-sort]")) {
    th.querySelector("button").addEventListener("click", () => {
      const key = th.dataset.sort;
      ui.sort = ui.sort.key === key ? {key, dir: -ui.sort.dir} : {key, dir: 1};
      render();
    });
  }
  $("detail-close").addEventListener("click", closeDetail);
  initDecisions(ui, (sid, text) => commands.note(sid, text));
  $("detail").addEventListener("cancel", (event) => {
    event.preventDefault();
    closeDetail();
  });
  $("detail").addEventListener("click", (event) => {
    // a click on the backdrop (outside the dialog's box) closes it; the dialog's own padding does not
    if (event.target !== $("detail")) return;
    const box = $("detail").getBoundingClientRect();
    const inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
    if (!inside) closeDetail();
  });

  setInterval(() => {
    if (model.room) queueRender();
  }, 1000);
  estimateClock();

  // a /proctor#t=TOKEN link signs in and the token leaves the address bar at once
  const linked = new URLSearchParams(location.hash.slice(1)).get("t");
  if (linked) history.replaceState(null, "", location.pathname + location.search);
  const token = linked || sessionStorage.getItem(TOKEN_KEY);
  if (token) {
    if (linked && linked !== sessionStorage.getItem(TOKEN_KEY)) sessionStorage.removeItem(RESUME_KEY);
    showApp();
    signIn(token);
  } else {
    showSignin();
  }
}

init();
