// Admin page: sign in with the admin token, create and archive rooms, register rosters and correct them (edit or
// remove a candidate who has not started), print or download the candidates' tokens, print the proctor card,
// replace lost tokens, download a room's results. Talks to the admin HTTP API of docs/protocol.md ("Admin HTTP
// API"). This module wires the parts together (the API, sign-in, the handlers); the data work is in
// admin_roster.js (pure), the drawing in admin_view.js, the texts in admin_texts.js; a room's integrity report in
// admin_integrity.js.
//
// The admin token is typed once and kept in sessionStorage (this tab only), never in the URL. The server keeps
// candidate and proctor tokens only as digests: a token exists only in the reply that made it (room creation,
// registration, a replacement). Those replies' tokens are held in memory here, per room (proctorTokens, tokens),
// never stored: shown, printed on slips and downloaded from this tab, and gone with a reload or a sign-out. A row
// whose token this tab does not hold gets a new one on request (POST .../tokens; the old one stops working). The room
// shown is in the address as #room=ID (no secret). Slips and links carry the server's public address (GET /api/info,
// CAT_PUBLIC_URL), else this page's own; the proctor token is printed on a card of its own, never on the slips.

import {applyTexts, currentLang, languageSwitch, makeT} from "./i18n.js";
import {TEXTS} from "./admin_texts.js";
import {
  apiError,
  candidateEdit,
  createRoomBody,
  csvRowCount,
  failureNotice,
  chunks,
  MAX_BODY,
  mayHaveLanded,
  mergeTokens,
  parsePasted,
  randomKey,
  rosterAttempt,
  rosterRefused,
  rowMovedOn,
  slipBase,
  tokensCsv,
  tokensExport,
} from "./admin_roster.js";
import {
  buildProctorCard,
  buildSheets,
  candidateLink,
  el,
  notice as showNotice,
  renderAddress,
  renderBatteries,
  renderBatteryInfo,
  renderFileName,
  renderNotice,
  renderRoom,
  renderRooms,
  roomPlan,
} from "./admin_view.js";
import {forgetIntegrity, renderIntegrity, setupIntegrity} from "./admin_integrity.js";

const TOKEN_KEY = "cat.adminToken";

let lang = currentLang();

// The page's state; admin_view.js draws it.
const page = {
  t: makeT(TEXTS, lang),
  // the address on slips and links: this page's own until GET /api/info says the server's public one
  address: slipBase(null, location.origin, location.hostname),
  token: sessionStorage.getItem(TOKEN_KEY),
  batteries: [],
  rooms: [],
  roomsLoaded: false,
  showArchived: false, // archived rooms are listed only when asked
  proctorTokens: new Map(), // room id -> proctor token, from a creation or replacement reply (this page's memory)
  tokens: new Map(), // room id -> Map(session id -> token), from registration and replacement replies (memory only)
  roomId: null,
  candidates: [], // the room's rows from GET: employee_id, name, session_id (never a token)
  phases: new Map(), // session id -> phase, from GET /api/rooms/{id} ("ready": not started; may be edited, removed)
  busy: false, // a token replacement, a removal or an archiving is under way (its buttons are disabled)
  confirming: null, // what the confirmation dialog asks about: {kind, sessionIds, opener}
  editing: null, // the row the edit dialog corrects: {session_id, employee_id, name, opener}
  rosterAttempt: null, // the last roster sent and its Idempotency-Key (reused by a retry of a roster that may have landed)
  roomMissing: false,
  loadSeq: 0,
};

const $ = (id) => document.getElementById(id);
const notice = (node, kind, key, vars = {}, detail = null) => showNotice(page, node, kind, key, vars, detail);

function download(filename, blob) {
  const url = URL.createObjectURL(blob);
  const a = el("a", {href: url, download: filename});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// --- API --------------------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor({status, code, message, employeeId}) {
    super(message);
    this.status = status;
    this.code = code;
    this.employeeId = employeeId;
  }
}

async function api(path, {method = "GET", body, type, token = page.token, extra = {}} = {}) {
  const headers = {Authorization: `Bearer ${token}`, ...extra};
  if (type) headers["Content-Type"] = type;
  let resp;
  try {
    resp = await fetch(path, {method, headers, body, cache: "no-store", credentials: "omit"});
  } catch {
    throw new ApiError({status: 0, code: "network", message: "", employeeId: null});
  }
  if (resp.ok) return resp;
  let data = null;
  try {
    data = await resp.json();
  } catch {
    // not a JSON error body (a proxy's page): keep the status only
  }
  const error = new ApiError(apiError(resp.status, data));
  if (resp.status === 401 && token === page.token) signOut("signin_expired");
  throw error;
}

async function apiJson(path, options) {
  return (await api(path, options)).json();
}

// Show an API failure in a notice: texts of ours, in the page's language, for what happened and what to do (by the
// error's code; `overrides` gives an action's own text for a code), and the server's English details in a smaller
// line.
function failure(node, error, leadKey = null, overrides = {}) {
  if (error.status === 401) return; // signOut has already asked for the token again
  const {keys, vars, detail} = failureNotice(error, leadKey, overrides);
  notice(node, "bad", keys, vars, detail);
}

// --- sign-in ----------------------------------------------------------------------------------------------------

function signOut(reasonKey = null) {
  if (!reasonKey) {
    // signing out on purpose forgets the tokens held (an expired admin token keeps them for the next sign-in)
    page.proctorTokens.clear();
    page.tokens.clear();
  }
  page.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  closeEdit();
  closeConfirm();
  printed();
  forgetIntegrity(page);
  $("app").hidden = true;
  $("signout").hidden = true;
  $("signin").hidden = false;
  notice($("signin-msg"), reasonKey ? "bad" : null, reasonKey);
  $("token-input").value = "";
  $("token-input").focus();
}

async function signIn(event) {
  event.preventDefault();
  const typed = $("token-input").value.trim();
  if (!typed) {
    notice($("signin-msg"), "bad", "signin_empty");
    return;
  }
  const button = event.submitter ?? $("signin-form").querySelector("button");
  button.disabled = true;
  notice($("signin-msg"), "info", "signin_checking");
  try {
    const data = await apiJson("/api/batteries", {token: typed});
    page.token = typed;
    sessionStorage.setItem(TOKEN_KEY, typed);
    page.batteries = data.batteries;
    notice($("signin-msg"), null);
    await enterApp();
  } catch (error) {
    if (error.status === 401) {
      notice($("signin-msg"), "bad", "signin_wrong");
      $("token-input").select();
    } else {
      failure($("signin-msg"), error);
    }
  } finally {
    button.disabled = false;
  }
}

async function enterApp() {
  $("signin").hidden = true;
  $("app").hidden = false;
  $("signout").hidden = false;
  renderBatteries(page);
  await Promise.all([loadInfo(), loadRooms()]);
  await route();
}

// The address slips and links carry: the server's CAT_PUBLIC_URL, else this page's own (with a warning when that is
// this computer's own address). A server without /api/info, or one that fails, leaves the page's own.
async function loadInfo() {
  try {
    const data = await apiJson("/api/info");
    page.address = slipBase(data?.public_url, location.origin, location.hostname);
  } catch {
    page.address = slipBase(null, location.origin, location.hostname);
  }
  renderAddress(page);
}

// --- rooms ------------------------------------------------------------------------------------------------------

async function loadRooms() {
  try {
    const data = await apiJson("/api/rooms");
    page.rooms = data.rooms.slice().reverse(); // newest first
    page.roomsLoaded = true;
    notice($("rooms-msg"), null);
  } catch (error) {
    failure($("rooms-msg"), error);
  }
  renderRooms(page);
}

async function createRoom(event) {
  event.preventDefault();
  const name = $("room-name").value.trim();
  const battery = $("room-battery").value;
  if (!name || !battery) return;
  $("create-btn").disabled = true;
  try {
    const body = JSON.stringify(createRoomBody(name, battery, $("room-open").checked));
    const room = await apiJson("/api/rooms", {method: "POST", type: "application/json", body});
    page.proctorTokens.set(room.room_id, room.proctor_token);
    $("room-name").value = "";
    $("room-open").checked = false; // the next room starts closed again unless asked
    const created = room.open === true ? "created_open" : room.open === false ? "created_closed" : "created";
    notice($("create-msg"), "ok", created, {name: room.name, id: room.room_id});
    const listed = {room_id: room.room_id, name: room.name, battery: room.battery, open: room.open, archived: false};
    page.rooms.unshift(listed);
    renderRooms(page);
    if (location.hash === `#room=${room.room_id}`) await route();
    else location.hash = `room=${room.room_id}`;
  } catch (error) {
    failure($("create-msg"), error);
  } finally {
    $("create-btn").disabled = page.batteries.length === 0;
  }
}

// --- one room: roster and tokens --------------------------------------------------------------------------------

async function route() {
  if (!page.token) return;
  const roomId = new URLSearchParams(location.hash.slice(1)).get("room");
  if (roomId !== page.roomId) {
    page.roomId = roomId;
    page.candidates = [];
    page.phases = new Map();
    page.roomMissing = false;
    printed();
    for (const id of ["roster-msg", "results-msg", "tokens-msg", "proctor-msg", "archive-msg"]) notice($(id), null);
    $("csv-file").value = "";
    $("paste-text").value = "";
    renderFileName(page);
  }
  renderRooms(page);
  renderRoom(page);
  renderIntegrity(page);
  if (roomId) await loadCandidates();
}

// The room's roster (GET .../candidates) and, beside it, each session's phase and the room's state (GET
// /api/rooms/{id}): a row may be edited or removed only before its candidate starts. Without the second the phases
// are not known (the server still refuses a started one).
async function loadCandidates() {
  const roomId = page.roomId;
  const seq = ++page.loadSeq;
  const path = `/api/rooms/${encodeURIComponent(roomId)}`;
  const view = apiJson(path).catch(() => null);
  try {
    const data = await apiJson(`${path}/candidates`);
    const state = await view;
    if (seq !== page.loadSeq) return;
    page.candidates = data.candidates;
    page.phases = new Map((state?.sessions ?? []).map((s) => [s.session_id, s.phase]));
    const room = page.rooms.find((r) => r.room_id === roomId);
    if (room && state?.room) {
      room.open = state.room.open;
      room.archived = state.room.archived === true;
      renderRooms(page);
    }
  } catch (error) {
    await view;
    if (seq !== page.loadSeq) return;
    if (error.status === 404) page.roomMissing = true;
    else failure($("roster-msg"), error);
  }
  renderRoom(page);
}

async function sendRoster(body, type, button) {
  const roomId = page.roomId;
  button.disabled = true;
  notice($("roster-msg"), "info", "sending");
  const attempt = (page.rosterAttempt = rosterAttempt(page.rosterAttempt, roomId, body, () => randomKey(crypto)));
  try {
    const extra = {"Idempotency-Key": attempt.key};
    const data = await apiJson(`/api/rooms/${encodeURIComponent(roomId)}/candidates`, {method: "POST", type, body, extra});
    page.tokens.set(roomId, mergeTokens(page.tokens.get(roomId), data.candidates, {replace: false}));
    page.rosterAttempt = null;
    notice($("roster-msg"), "ok", "registered", {n: data.candidates.length});
    return true;
  } catch (error) {
    attempt.uncertain = mayHaveLanded(error.status);
    // a refused roster stored nothing: say so first, then why
    failure($("roster-msg"), error, rosterRefused(error.status) ? "refused" : null);
    return false;
  } finally {
    button.disabled = false;
    if (roomId === page.roomId) await loadCandidates();
  }
}

// A roster file as text: UTF-8 when it is (with or without BOM), else the Windows code page spreadsheets save in.
async function fileText(file) {
  const bytes = await file.arrayBuffer();
  try {
    return new TextDecoder("utf-8", {fatal: true}).decode(bytes);
  } catch {
    return new TextDecoder("windows-1252").decode(bytes);
  }
}

async function uploadCsv(event) {
  event.preventDefault();
  const file = $("csv-file").files[0];
  if (!file) {
    notice($("roster-msg"), "bad", "csv_none");
    return;
  }
  if (file.size > MAX_BODY) {
    notice($("roster-msg"), "bad", "csv_too_big");
    return;
  }
  const text = await fileText(file);
  if (await sendRoster(text, "text/csv; charset=utf-8", $("csv-btn"))) {
    $("csv-file").value = "";
    renderFileName(page);
  }
}

async function registerPasted(event) {
  event.preventDefault();
  const {rows, error} = parsePasted($("paste-text").value);
  if (error) {
    notice($("roster-msg"), "bad", "paste_bad_line", error);
    return;
  }
  if (!rows.length) {
    notice($("roster-msg"), "bad", "paste_none");
    return;
  }
  const body = JSON.stringify({candidates: rows});
  if (await sendRoster(body, "application/json", $("paste-btn"))) $("paste-text").value = "";
}

// What a print or a download left out: the rows whose token this tab does not hold.
function handedOut(doneKey, leftKey, n, left) {
  notice($("tokens-msg"), left ? "warn" : "ok", left ? [doneKey, leftKey] : [doneKey], {n, left});
}

function downloadTokens() {
  const {held, missing} = roomPlan(page);
  if (!held.length) return;
  const csv = tokensCsv(held, (token) => candidateLink(page.address.base, token));
  // a BOM so that spreadsheet programs read the names as UTF-8
  download(`tokens-${page.roomId}.csv`, new Blob(["\ufeff", csv], {type: "text/csv;charset=utf-8"}));
  handedOut("dl_done", "dl_left_out", held.length, missing.length);
}

// The tokens as an XLSX file: the server makes it from the table this page holds (it keeps no tokens itself).
async function downloadTokensXlsx() {
  const {held, missing} = roomPlan(page);
  if (!held.length) return;
  const roomId = page.roomId;
  const body = JSON.stringify(tokensExport(roomId, held, (token) => candidateLink(page.address.base, token)));
  const button = $("xlsx-dl-btn");
  button.disabled = true;
  try {
    const resp = await api("/api/export.xlsx", {method: "POST", type: "application/json", body});
    download(`tokens-${roomId}.xlsx`, await resp.blob());
    handedOut("dl_done", "dl_left_out", held.length, missing.length);
  } catch (error) {
    failure($("tokens-msg"), error, "xlsx_dl_fail");
  } finally {
    if (roomId === page.roomId) renderRoom(page);
  }
}

// --- confirmations: replacing lost tokens, removing a candidate, archiving the room --------------------------------

// Fill the confirmation dialog and open it with Cancel focused (Enter on a dialog that just opened does nothing
// that cannot be undone). `who` lists the rows concerned; `danger` paints the button red.
function openConfirm({kind, sessionIds = [], opener, title, text, who = [], note, ok, danger = false}) {
  const {t} = page;
  page.confirming = {kind, sessionIds, opener};
  const dialog = $("confirm");
  dialog.dataset.kind = kind;
  $("confirm-h").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-note").textContent = note;
  $("confirm-ok").textContent = ok;
  $("confirm-ok").className = danger ? "danger" : "primary";
  const list = $("confirm-who");
  const shown = who.slice(0, 8);
  list.replaceChildren(
    ...shown.map((r) =>
      el("li", {}, el("strong", {text: r.name}), el("span", {class: "muted", text: ` · ${r.employee_id} · ${r.session_id}`})),
    ),
  );
  const more = who.length - shown.length;
  if (more > 0) list.append(el("li", {class: "muted", text: t("cf_more", {n: more})}));
  list.hidden = who.length === 0;
  dialog.showModal();
  $("confirm-cancel").focus();
}

// Ask before replacing: the old slips (or the old proctor token) stop working at once.
function askReissue(kind, sessionIds, opener) {
  if (page.busy || !page.roomId || page.roomMissing) return;
  const {t} = page;
  if (kind === "proctor") {
    const [title, text, note] = [t("cf_proctor_h"), t("cf_proctor_text"), t("cf_proctor_note")];
    openConfirm({kind, opener, title, text, note, ok: t("ok_issue")});
    return;
  }
  const asked = new Set(sessionIds);
  const rows = roomPlan(page).rows.filter((r) => asked.has(r.session_id));
  if (!rows.length) return;
  openConfirm({
    kind,
    opener,
    sessionIds: rows.map((r) => r.session_id), // the rows the dialog names
    title: t("cf_reissue_h"),
    text: rows.length === 1 ? t("cf_reissue_one") : t("cf_reissue_many", {n: rows.length}),
    who: rows,
    note: t("cf_reissue_note"),
    ok: t("ok_issue"),
  });
}

// Ask before removing a candidate who has not started: their session and token are gone for good.
function askRemove(sessionId, opener) {
  if (page.busy || !page.roomId || page.roomMissing) return;
  const {t} = page;
  const row = roomPlan(page).rows.find((r) => r.session_id === sessionId);
  if (!row) return;
  openConfirm({
    kind: "remove",
    opener,
    sessionIds: [sessionId],
    title: t("cf_remove_h"),
    text: t("cf_remove_text"),
    who: [row],
    note: t("cf_remove_note"),
    ok: t("ok_remove"),
    danger: true,
  });
}

// Ask before archiving the room: closed for good, its roster final.
function askArchive(event) {
  if (page.busy || !page.roomId || page.roomMissing) return;
  const {t} = page;
  const room = page.rooms.find((r) => r.room_id === page.roomId);
  openConfirm({
    kind: "archive",
    opener: event.currentTarget,
    title: t("cf_archive_h"),
    text: t("cf_archive_text", {name: room ? room.name : page.roomId, id: page.roomId}),
    note: t("cf_archive_note"),
    ok: t("ok_archive"),
    danger: true,
  });
}

function closeConfirm() {
  const opener = page.confirming?.opener;
  page.confirming = null;
  if ($("confirm").open) $("confirm").close();
  return opener;
}

// Focus back where the person was: the same button, or its twin after the table was drawn again; when that is gone
// or now disabled, the next step: printing, or (nothing to print) the table's heading.
function refocus(opener) {
  if (!opener) return;
  const session = opener.dataset.session;
  const kind = ["reissue-btn", "edit-btn", "remove-btn"].find((c) => opener.classList.contains(c));
  const twin = session && kind ? document.querySelector(`.${kind}[data-session="${CSS.escape(session)}"]`) : null;
  const target = opener.isConnected ? opener : twin;
  if (target && !target.disabled && !target.hidden) target.focus();
  else if (!$("print-btn").disabled) $("print-btn").focus();
  else $("room-h").focus();
}

async function confirmed(event) {
  event.preventDefault();
  const asked = page.confirming;
  closeConfirm();
  if (!asked) return;
  if (asked.kind === "proctor") await reissueProctor();
  else if (asked.kind === "remove") await removeCandidate(asked.sessionIds[0]);
  else if (asked.kind === "archive") await archiveRoom();
  else await reissueTokens(asked.sessionIds);
  if (asked.kind === "archive") $("room-h").focus(); // its button is gone once archived: the room's heading
  else refocus(asked.opener);
}

async function reissueTokens(sessionIds) {
  const roomId = page.roomId;
  page.busy = true;
  renderRoom(page);
  notice($("tokens-msg"), "info", "reissuing");
  let done = 0;
  try {
    for (const batch of chunks(sessionIds)) {
      const body = JSON.stringify({session_ids: batch});
      const path = `/api/rooms/${encodeURIComponent(roomId)}/tokens`;
      const data = await apiJson(path, {method: "POST", type: "application/json", body});
      page.tokens.set(roomId, mergeTokens(page.tokens.get(roomId), data.candidates, {replace: true}));
      done += data.candidates.length;
    }
    if (roomId === page.roomId) notice($("tokens-msg"), "ok", "reissued", {n: done});
  } catch (error) {
    // the tokens of the pieces already answered are held; the piece without a reply may have replaced its tokens
    const lead = mayHaveLanded(error.status) ? "reissue_unsure" : "reissue_failed";
    if (roomId === page.roomId) failure($("tokens-msg"), error, lead);
  } finally {
    page.busy = false;
    if (roomId === page.roomId) await loadCandidates();
    else renderRoom(page);
  }
}

async function reissueProctor() {
  const roomId = page.roomId;
  page.busy = true;
  renderRoom(page);
  notice($("proctor-msg"), "info", "proctor_reissuing");
  try {
    const data = await apiJson(`/api/rooms/${encodeURIComponent(roomId)}/proctor-token`, {method: "POST"});
    page.proctorTokens.set(roomId, data.proctor_token);
    if (roomId === page.roomId) notice($("proctor-msg"), "ok", "proctor_reissued");
  } catch (error) {
    const lead = mayHaveLanded(error.status) ? "proctor_unsure" : "proctor_failed";
    if (roomId === page.roomId) failure($("proctor-msg"), error, lead);
  } finally {
    page.busy = false;
    renderRoom(page);
  }
}

function reissueMissing(event) {
  askReissue("candidates", roomPlan(page).missing.map((r) => r.session_id), event.currentTarget);
}

// A row's buttons: a new token, edit, remove.
function rowAction(event) {
  const button = event.target.closest("button[data-session]");
  if (!button || button.disabled) return;
  const session = button.dataset.session;
  if (button.classList.contains("reissue-btn")) askReissue("candidates", [session], button);
  else if (button.classList.contains("edit-btn")) openEdit(session, button);
  else if (button.classList.contains("remove-btn")) askRemove(session, button);
}

// --- correcting the roster: a candidate who has not started -------------------------------------------------------

function openEdit(sessionId, opener) {
  if (page.busy || !page.roomId || page.roomMissing) return;
  const row = roomPlan(page).rows.find((r) => r.session_id === sessionId);
  if (!row) return;
  page.editing = {session_id: row.session_id, employee_id: row.employee_id, name: row.name, opener};
  $("edit-session").textContent = row.session_id;
  $("edit-name").value = row.name;
  $("edit-employee").value = row.employee_id;
  notice($("edit-msg"), null);
  $("edit-save").disabled = false;
  $("edit").showModal();
  $("edit-name").focus();
  $("edit-name").select();
}

function closeEdit() {
  const opener = page.editing?.opener;
  page.editing = null;
  if ($("edit").open) $("edit").close();
  return opener;
}

async function saveEdit(event) {
  event.preventDefault();
  const editing = page.editing;
  if (!editing) return;
  const typed = {name: $("edit-name").value, employee_id: $("edit-employee").value};
  const change = candidateEdit(editing, typed);
  if (change.error) {
    notice($("edit-msg"), "bad", change.error);
    $(change.field === "name" ? "edit-name" : "edit-employee").focus();
    return;
  }
  if (change.unchanged) {
    refocus(closeEdit());
    notice($("tokens-msg"), "info", "edit_unchanged");
    return;
  }
  const roomId = page.roomId;
  $("edit-save").disabled = true;
  notice($("edit-msg"), "info", "edit_saving");
  try {
    const path = `/api/sessions/${encodeURIComponent(editing.session_id)}`;
    const data = await apiJson(path, {method: "PATCH", type: "application/json", body: JSON.stringify(change.body)});
    const c = data.candidate;
    closeEdit();
    notice($("tokens-msg"), "ok", "edited", {session: c.session_id, name: c.name, id: c.employee_id});
    if (roomId === page.roomId) await loadCandidates();
    refocus(editing.opener);
  } catch (error) {
    // the dialog stays open with why, in the page's language, so that the person can fix it or cancel
    const lead = mayHaveLanded(error.status) ? "edit_unsure" : "edit_failed";
    failure($("edit-msg"), error, lead, {duplicate_employee: "edit_dup", started: "edit_started"});
    if (roomId === page.roomId && rowMovedOn(error)) await loadCandidates();
  } finally {
    $("edit-save").disabled = false;
  }
}

async function removeCandidate(sessionId) {
  const roomId = page.roomId;
  const row = roomPlan(page).rows.find((r) => r.session_id === sessionId);
  page.busy = true;
  renderRoom(page);
  notice($("tokens-msg"), "info", "removing");
  try {
    await apiJson(`/api/sessions/${encodeURIComponent(sessionId)}`, {method: "DELETE"});
    const held = new Map(page.tokens.get(roomId) ?? []);
    held.delete(sessionId); // its token leads nowhere now
    page.tokens.set(roomId, held);
    const who = {name: row?.name ?? sessionId, id: row?.employee_id ?? ""};
    if (roomId === page.roomId) notice($("tokens-msg"), "ok", "removed", who);
  } catch (error) {
    const lead = mayHaveLanded(error.status) ? "remove_unsure" : "remove_failed";
    if (roomId === page.roomId) failure($("tokens-msg"), error, lead, {started: "remove_started"});
  } finally {
    page.busy = false;
    if (roomId === page.roomId) await loadCandidates();
    else renderRoom(page);
  }
}

// --- archiving the room -------------------------------------------------------------------------------------------

async function archiveRoom() {
  const roomId = page.roomId;
  const room = page.rooms.find((r) => r.room_id === roomId);
  page.busy = true;
  renderRoom(page);
  notice($("archive-msg"), "info", "archiving");
  try {
    const data = await apiJson(`/api/rooms/${encodeURIComponent(roomId)}/archive`, {method: "POST"});
    if (room) Object.assign(room, {open: data.open === true, archived: data.archived !== false});
    if (roomId === page.roomId) notice($("archive-msg"), "ok", "archived", {name: room ? room.name : roomId});
  } catch (error) {
    const lead = mayHaveLanded(error.status) ? "archive_unsure" : "archive_failed";
    if (roomId === page.roomId) failure($("archive-msg"), error, lead);
  } finally {
    page.busy = false;
    renderRooms(page);
    renderRoom(page);
  }
}

async function downloadResults(format = "csv") {
  const roomId = page.roomId;
  notice($("results-msg"), null);
  try {
    const resp = await api(`/api/rooms/${encodeURIComponent(roomId)}/results?format=${format}`);
    if (format === "xlsx") {
      const file = `results-${roomId}.xlsx`;
      download(file, await resp.blob());
      notice($("results-msg"), "ok", "results_xlsx_done", {file});
      return;
    }
    const text = await resp.text();
    download(`results-${roomId}.csv`, new Blob([text], {type: "text/csv;charset=utf-8"}));
    const rows = csvRowCount(text);
    notice($("results-msg"), rows > 0 ? "ok" : "info", rows > 0 ? "results_done" : "results_empty", {n: rows});
  } catch (error) {
    failure($("results-msg"), error);
  }
}

// Printing: the candidates' slips, or the proctor card, never both on the same paper (body[data-print] says which
// is printed; after printing, the slips again, as the browser's own Print would take).
function printSlips() {
  const {held, missing} = roomPlan(page);
  if (!held.length) return;
  buildSheets(page);
  document.body.dataset.print = "slips";
  handedOut("printed", "print_left_out", held.length, missing.length);
  window.print();
}

// After printing (or signing out): the proctor card is gone from the page, and the browser's own Print takes the
// slips again.
function printed() {
  delete document.body.dataset.print;
  $("proctor-sheet").replaceChildren();
}

function printProctorCard() {
  if (!page.proctorTokens.get(page.roomId)) return;
  const when = new Date().toLocaleString(lang === "en" ? "en-GB" : "id-ID", {dateStyle: "long", timeStyle: "short"});
  buildProctorCard(page, when);
  document.body.dataset.print = "proctor";
  notice($("proctor-msg"), "ok", "proctor_card_printed");
  window.print();
}

// --- start ------------------------------------------------------------------------------------------------------

function applyLanguage() {
  page.t = makeT(TEXTS, lang);
  applyTexts(document, page.t);
  for (const node of document.querySelectorAll(".notice")) if (node.msg !== undefined) renderNotice(page, node);
  renderFileName(page);
  if (!$("app").hidden) {
    renderBatteries(page);
    renderAddress(page);
    renderRooms(page);
    renderRoom(page);
    renderIntegrity(page);
  }
}

function start() {
  languageSwitch($("lang"), lang, (code) => {
    lang = code;
    applyLanguage();
  });
  applyTexts(document, page.t);
  renderFileName(page);
  $("signin-form").addEventListener("submit", signIn);
  $("signout").addEventListener("click", () => signOut());
  $("create-form").addEventListener("submit", createRoom);
  $("rooms-refresh").addEventListener("click", loadRooms);
  $("csv-form").addEventListener("submit", uploadCsv);
  $("csv-file").addEventListener("change", () => renderFileName(page));
  $("room-battery").addEventListener("change", () => renderBatteryInfo(page));
  $("paste-form").addEventListener("submit", registerPasted);
  $("print-btn").addEventListener("click", printSlips);
  $("csv-dl-btn").addEventListener("click", downloadTokens);
  $("xlsx-dl-btn").addEventListener("click", downloadTokensXlsx);
  $("reissue-missing-btn").addEventListener("click", reissueMissing);
  $("tokens").querySelector("tbody").addEventListener("click", rowAction);
  $("proctor-new-btn").addEventListener("click", (event) => askReissue("proctor", [], event.currentTarget));
  $("proctor-print-btn").addEventListener("click", printProctorCard);
  $("archive-btn").addEventListener("click", askArchive);
  $("show-archived").addEventListener("change", (event) => {
    page.showArchived = event.currentTarget.checked;
    renderRooms(page);
  });
  $("edit-form").addEventListener("submit", saveEdit);
  $("edit-cancel").addEventListener("click", () => refocus(closeEdit()));
  $("edit").addEventListener("cancel", (event) => {
    event.preventDefault(); // Escape: closed here, so that the focus goes back to the row's button
    refocus(closeEdit());
  });
  window.addEventListener("afterprint", printed);
  $("confirm-form").addEventListener("submit", confirmed);
  $("confirm-cancel").addEventListener("click", () => refocus(closeConfirm()));
  $("confirm").addEventListener("cancel", (event) => {
    event.preventDefault(); // Escape: closed here, so that the focus goes back to the button that asked
    refocus(closeConfirm());
  });
  $("results-btn").addEventListener("click", () => downloadResults("csv"));
  $("results-xlsx-btn").addEventListener("click", () => downloadResults("xlsx"));
  setupIntegrity(page, {api, apiJson, failure, download});
  window.addEventListener("hashchange", route);

  if (!page.token) {
    signOut();
    return;
  }
  apiJson("/api/batteries")
    .then((data) => {
      page.batteries = data.batteries;
      return enterApp();
    })
    .catch((error) => {
      if (error.status !== 401) {
        signOut();
        failure($("signin-msg"), error);
      }
    });
}

start();
