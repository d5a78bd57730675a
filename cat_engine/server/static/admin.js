// Admin page: sign in with the admin token, create rooms, register rosters, print or download the candidates'
// tokens, download a room's results. Talks to the admin HTTP API of docs/protocol.md ("Admin HTTP API").
//
// The admin token is typed once and kept in sessionStorage (this tab only), never in the URL. A room's proctor
// token exists only in the reply that created the room (the server keeps its hash): it is held in memory here, shown
// once, and printed on the first sheet of slips. The room shown is in the address as #room=ID (no secret).

import { applyTexts, currentLang, languageSwitch, makeT } from "/static/i18n.js";

const TEXTS = {
  id: {
    __lang: "id",
    page_title: "Admin CAT",
    title: "Admin CAT",
    subtitle: "Persiapan hari ujian",
    signout: "Keluar",
    signin_h: "Masuk sebagai admin",
    signin_help: "Ketik token admin server ini. Token hanya disimpan selama tab ini terbuka.",
    token_label: "Token admin",
    signin_btn: "Masuk",
    signin_checking: "Memeriksa token…",
    signin_wrong: "Token admin ditolak oleh server. Periksa token (huruf besar/kecil berpengaruh) lalu coba lagi.",
    signin_expired: "Token admin tidak diterima lagi oleh server. Masukkan token admin sekali lagi.",
    signin_empty: "Ketik token admin terlebih dahulu.",
    create_h: "Buat ruang",
    room_name: "Nama ruang",
    room_name_ph: "mis. Ruang 1 — Kanreg Medan",
    battery: "Baterai tes",
    create_btn: "Buat ruang",
    create_no_battery: "Server belum memuat baterai tes apa pun.",
    rooms_h: "Ruang",
    refresh: "Muat ulang",
    rooms_empty: "Belum ada ruang. Buat ruang baru di atas.",
    tokens_link: "Token",
    no_room: "Pilih ruang di sebelah kiri, atau buat ruang baru.",
    room_id: "ID ruang",
    room_unknown: "Ruang {id} tidak ditemukan di server ini.",
    results_btn: "Unduh hasil (CSV)",
    results_empty: "Berkas hasil diunduh, tetapi belum berisi baris: belum ada sesi yang selesai di ruang ini.",
    results_done: "Hasil diunduh: {n} baris.",
    proctor_h: "Token pengawas",
    proctor_once:
      "ditampilkan hanya sekali. Server hanya menyimpan sidiknya: catat, cetak, atau serahkan kepada pengawas sekarang.",
    proctor_open: "Buka konsol pengawas",
    proctor_printed: "Token ini ikut tercetak pada lembar pertama saat Anda menekan Cetak.",
    created: "Ruang \u201c{name}\u201d dibuat dengan ID {id}.",
    roster_h: "Daftarkan peserta",
    csv_label: "Berkas CSV",
    csv_hint: "Baris pertama:",
    csv_hint2: "(pemisah koma atau titik koma)",
    csv_btn: "Unggah daftar",
    csv_choose: "Pilih berkas…",
    csv_no_file: "Belum ada berkas dipilih",
    battery_info: "{id}, versi {version} · {n} subtes: {names}",
    csv_none: "Pilih berkas CSV terlebih dahulu.",
    csv_too_big: "Berkas terlalu besar: paling banyak 1 MiB.",
    paste_label: "Atau tempel baris: NIP lalu nama",
    paste_ph: "199001012020121001, Budi Santoso\n199202022021012002, Siti Aminah, S.Kom.",
    paste_btn: "Daftarkan baris",
    paste_none: "Tempel sedikitnya satu baris: NIP, nama.",
    paste_bad_line: "Baris {n} tidak berisi NIP dan nama: \u201c{line}\u201d. Tidak ada yang dikirim.",
    sending: "Mengirim…",
    registered: "{n} peserta terdaftar. Token mereka ada di tabel di bawah.",
    refused: "Server menolak daftar ini. Tidak satu pun peserta dari daftar ini disimpan; perbaiki lalu kirim lagi.",
    dup_hint: "NIP {id} sudah terdaftar di ruang ini atau muncul dua kali dalam daftar.",
    server_says: "Pesan server:",
    err_network: "Server tidak dapat dihubungi. Periksa jaringan lalu coba lagi.",
    err_unavailable: "Penyimpanan server sedang tidak tersedia. Coba lagi sebentar lagi.",
    err_too_large: "Data terlalu besar: paling banyak 1 MiB per kiriman.",
    err_generic: "Permintaan gagal (HTTP {status}).",
    tokens_h: "Token peserta",
    print_btn: "Cetak",
    csv_dl_btn: "Unduh CSV",
    tokens_empty: "Belum ada peserta di ruang ini.",
    col_name: "Nama",
    col_employee: "NIP",
    col_session: "ID sesi",
    col_token: "Token",
    count: "{n} terdaftar",
    slip_address: "Alamat ujian",
    slip_token: "Token",
    slip_help: "Buka alamat di atas, lalu ketik token ini. Jangan berikan token kepada orang lain.",
    slip_employee: "NIP",
    slip_proctor: "Token pengawas — RAHASIA, hanya untuk pengawas ruang",
    slip_proctor_addr: "Konsol pengawas",
    slip_proctor_link: "Tautan langsung",
  },
  en: {
    __lang: "en",
    page_title: "CAT admin",
    title: "CAT admin",
    subtitle: "Test-day preparation",
    signout: "Sign out",
    signin_h: "Sign in as admin",
    signin_help: "Type this server's admin token. It is kept only while this tab is open.",
    token_label: "Admin token",
    signin_btn: "Sign in",
    signin_checking: "Checking the token…",
    signin_wrong: "The server refused this admin token. Check it (letter case matters) and try again.",
    signin_expired: "The server no longer accepts the admin token. Please type the admin token again.",
    signin_empty: "Type the admin token first.",
    create_h: "Create a room",
    room_name: "Room name",
    room_name_ph: "e.g. Room 1 — Medan regional office",
    battery: "Test battery",
    create_btn: "Create room",
    create_no_battery: "The server has not loaded any test battery.",
    rooms_h: "Rooms",
    refresh: "Reload",
    rooms_empty: "No rooms yet. Create one above.",
    tokens_link: "Tokens",
    no_room: "Choose a room on the left, or create a new one.",
    room_id: "Room ID",
    room_unknown: "Room {id} does not exist on this server.",
    results_btn: "Download results (CSV)",
    results_empty: "The results file was downloaded but has no rows yet: no session of this room is over.",
    results_done: "Results downloaded: {n} rows.",
    proctor_h: "Proctor token",
    proctor_once:
      "shown only once. The server keeps only its fingerprint: write it down, print it or hand it to the proctor now.",
    proctor_open: "Open the proctor console",
    proctor_printed: "It is also printed on the first sheet when you press Print.",
    created: "Room \u201c{name}\u201d created with ID {id}.",
    roster_h: "Register candidates",
    csv_label: "CSV file",
    csv_hint: "First row:",
    csv_hint2: "(comma or semicolon separated)",
    csv_btn: "Upload roster",
    csv_choose: "Choose a file…",
    csv_no_file: "No file chosen",
    battery_info: "{id}, version {version} · {n} subtests: {names}",
    csv_none: "Choose a CSV file first.",
    csv_too_big: "The file is too large: at most 1 MiB.",
    paste_label: "Or paste rows: employee ID, then name",
    paste_ph: "199001012020121001, Budi Santoso\n199202022021012002, Siti Aminah, S.Kom.",
    paste_btn: "Register rows",
    paste_none: "Paste at least one row: employee ID, name.",
    paste_bad_line: "Row {n} does not hold an employee ID and a name: \u201c{line}\u201d. Nothing was sent.",
    sending: "Sending…",
    registered: "{n} candidates registered. Their tokens are in the table below.",
    refused: "The server refused this roster. None of its candidates were stored; fix it and send it again.",
    dup_hint: "Employee ID {id} is already registered in this room, or appears twice in the roster.",
    server_says: "Server message:",
    err_network: "The server cannot be reached. Check the network and try again.",
    err_unavailable: "The server's store is unavailable right now. Try again in a moment.",
    err_too_large: "Too much data: at most 1 MiB per request.",
    err_generic: "The request failed (HTTP {status}).",
    tokens_h: "Candidate tokens",
    print_btn: "Print",
    csv_dl_btn: "Download CSV",
    tokens_empty: "No candidates in this room yet.",
    col_name: "Name",
    col_employee: "Employee ID",
    col_session: "Session ID",
    col_token: "Token",
    count: "{n} registered",
    slip_address: "Test address",
    slip_token: "Token",
    slip_help: "Open the address above, then type this token. Do not give your token to anyone.",
    slip_employee: "Employee ID",
    slip_proctor: "Proctor token — CONFIDENTIAL, for the room's proctor only",
    slip_proctor_addr: "Proctor console",
    slip_proctor_link: "Direct link",
  },
};

const TOKEN_KEY = "cat.adminToken";
const MAX_BODY = 1 << 20;
const SLIPS_PER_SHEET = 10; // 2 columns x 5 rows on A4

let lang = currentLang();
let t = makeT(TEXTS, lang);

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  batteries: [],
  rooms: [],
  roomsLoaded: false,
  proctorTokens: new Map(), // room id -> proctor token, from the creation reply only (this page's memory)
  roomId: null,
  candidates: [],
  roomMissing: false,
  loadSeq: 0,
};

const $ = (id) => document.getElementById(id);

// --- small helpers ----------------------------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

export function showToken(token) {
  return token.match(/.{1,4}/g).join("-");
}

const origin = () => location.origin;
const candidateLink = (token) => `${origin()}/#t=${encodeURIComponent(token)}`;
const proctorLink = (token) => `${origin()}/proctor#t=${encodeURIComponent(token)}`;

// Notices remember what they say (a text key, its variables, a server message) so a language switch re-renders them.
function notice(node, kind, key, vars = {}, detail = null) {
  node.msg = kind ? { kind, key, vars, detail } : null;
  renderNotice(node);
}

function renderNotice(node) {
  const m = node.msg;
  node.hidden = !m;
  if (!m) return;
  node.className = `notice ${m.kind}`;
  const keys = Array.isArray(m.key) ? m.key : [m.key];
  const parts = keys.map((k) => el("span", { class: "line", text: t(k, m.vars) }));
  if (m.detail) {
    parts.push(el("span", { class: "line detail" }, el("span", { text: `${t("server_says")} ` }), el("q", { text: m.detail })));
  }
  node.replaceChildren(...parts);
}

function download(filename, blob) {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// A field for a spreadsheet: quoted when needed; a leading = + - @ is defused so a spreadsheet shows it as text.
function csvField(value) {
  let v = String(value ?? "");
  if (/^[=+\-@\t\r]/.test(v)) v = `'${v}`;
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

// --- API --------------------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path, { method = "GET", body, type, token = state.token } = {}) {
  const headers = { Authorization: `Bearer ${token}` };
  if (type) headers["Content-Type"] = type;
  let resp;
  try {
    resp = await fetch(path, { method, headers, body, cache: "no-store", credentials: "omit" });
  } catch {
    throw new ApiError(0, "network", "");
  }
  if (resp.ok) return resp;
  let code = "http";
  let message = "";
  try {
    const data = await resp.json();
    code = data.error.code;
    message = data.error.message;
  } catch {
    // not a JSON error body (a proxy's page): keep the status only
  }
  const error = new ApiError(resp.status, code, message);
  if (resp.status === 401 && token === state.token) signOut("signin_expired");
  throw error;
}

async function apiJson(path, options) {
  return (await api(path, options)).json();
}

// Show an API failure in a notice: a text of ours for what the person should do, and the server's own words.
function failure(node, error, leadKey = null) {
  if (error.status === 401) return; // signOut has already asked for the token again
  const keys = leadKey ? [leadKey] : [];
  const vars = { status: error.status };
  if (error.code === "network") keys.push("err_network");
  else if (error.code === "unavailable") keys.push("err_unavailable");
  else if (error.code === "too_large") keys.push("err_too_large");
  else if (!leadKey) keys.push("err_generic");
  const dup = /employee id '([^']*)'/.exec(error.message);
  if (dup) {
    keys.push("dup_hint");
    vars.id = dup[1];
  }
  notice(node, "bad", keys, vars, error.message || null);
}

// --- sign-in ----------------------------------------------------------------------------------------------------

function signOut(reasonKey = null) {
  state.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
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
    const data = await apiJson("/api/batteries", { token: typed });
    state.token = typed;
    sessionStorage.setItem(TOKEN_KEY, typed);
    state.batteries = data.batteries;
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
  renderBatteries();
  await loadRooms();
  await route();
}

// --- rooms ------------------------------------------------------------------------------------------------------

function batteryName(id) {
  const b = state.batteries.find((x) => x.id === id);
  return b ? b.name : id;
}

function renderBatteries() {
  const select = $("room-battery");
  const previous = select.value;
  select.replaceChildren(...state.batteries.map((b) => el("option", { value: b.id, text: b.name })));
  if (previous) select.value = previous;
  renderBatteryInfo();
  $("create-btn").disabled = state.batteries.length === 0;
  notice($("create-msg"), state.batteries.length ? null : "warn", "create_no_battery");
}

function renderBatteryInfo() {
  const b = state.batteries.find((x) => x.id === $("room-battery").value);
  $("battery-info").textContent = b
    ? t("battery_info", {
        id: b.id,
        version: b.version,
        n: b.subtests.length,
        names: b.subtests.map((s) => s.name).join(", "),
      })
    : "";
}

function renderFileName() {
  const file = $("csv-file").files[0];
  $("csv-name").textContent = file ? file.name : t("csv_no_file");
  $("csv-name").classList.toggle("chosen", Boolean(file));
}

async function loadRooms() {
  try {
    const data = await apiJson("/api/rooms");
    state.rooms = data.rooms.slice().reverse(); // newest first
    state.roomsLoaded = true;
    notice($("rooms-msg"), null);
  } catch (error) {
    failure($("rooms-msg"), error);
  }
  renderRooms();
}

function renderRooms() {
  $("rooms-empty").hidden = !state.roomsLoaded || state.rooms.length > 0;
  $("rooms").replaceChildren(
    ...state.rooms.map((room) => {
      const current = room.room_id === state.roomId;
      const link = el(
        "a",
        { href: `#room=${encodeURIComponent(room.room_id)}`, class: "room-link" },
        el("span", { class: "room-name", text: room.name }),
        el("span", { class: "room-meta" }, el("code", { text: room.room_id }), ` · ${batteryName(room.battery)}`),
        el("span", { class: "room-go", text: `${t("tokens_link")} ›` }),
      );
      if (current) link.setAttribute("aria-current", "true");
      return el("li", { class: current ? "room current" : "room", "data-room": room.room_id }, link);
    }),
  );
}

async function createRoom(event) {
  event.preventDefault();
  const name = $("room-name").value.trim();
  const battery = $("room-battery").value;
  if (!name || !battery) return;
  $("create-btn").disabled = true;
  try {
    const room = await apiJson("/api/rooms", {
      method: "POST",
      type: "application/json",
      body: JSON.stringify({ name, battery }),
    });
    state.proctorTokens.set(room.room_id, room.proctor_token);
    $("room-name").value = "";
    notice($("create-msg"), "ok", "created", { name: room.name, id: room.room_id });
    state.rooms.unshift({ room_id: room.room_id, name: room.name, battery: room.battery });
    renderRooms();
    if (location.hash === `#room=${room.room_id}`) await route();
    else location.hash = `room=${room.room_id}`;
  } catch (error) {
    failure($("create-msg"), error);
  } finally {
    $("create-btn").disabled = state.batteries.length === 0;
  }
}

// --- one room: roster and tokens --------------------------------------------------------------------------------

function hashRoom() {
  return new URLSearchParams(location.hash.slice(1)).get("room");
}

async function route() {
  if (!state.token) return;
  const roomId = hashRoom();
  if (roomId !== state.roomId) {
    state.roomId = roomId;
    state.candidates = [];
    state.roomMissing = false;
    for (const id of ["roster-msg", "results-msg"]) notice($(id), null);
    $("csv-file").value = "";
    $("paste-text").value = "";
    renderFileName();
  }
  renderRooms();
  renderRoom();
  if (roomId) await loadCandidates();
}

async function loadCandidates() {
  const roomId = state.roomId;
  const seq = ++state.loadSeq;
  try {
    const data = await apiJson(`/api/rooms/${encodeURIComponent(roomId)}/candidates`);
    if (seq !== state.loadSeq) return;
    state.candidates = data.candidates;
  } catch (error) {
    if (seq !== state.loadSeq) return;
    if (error.status === 404) state.roomMissing = true;
    else failure($("roster-msg"), error);
  }
  renderRoom();
}

function renderRoom() {
  const roomId = state.roomId;
  $("no-room").hidden = Boolean(roomId);
  $("room").hidden = !roomId;
  if (!roomId) {
    buildSheets();
    return;
  }
  const room = state.rooms.find((r) => r.room_id === roomId);
  $("room-h").textContent = state.roomMissing ? t("room_unknown", { id: roomId }) : room ? room.name : roomId;
  $("room-id").textContent = roomId;
  $("room-battery-name").textContent = room ? batteryName(room.battery) : "…";
  for (const id of ["csv-btn", "paste-btn", "results-btn"]) $(id).disabled = state.roomMissing;

  const proctorToken = state.proctorTokens.get(roomId);
  $("proctor-box").hidden = !proctorToken;
  if (proctorToken) {
    $("proctor-token").textContent = proctorToken;
    $("proctor-link").href = proctorLink(proctorToken);
  }

  const cands = state.candidates.slice().sort((a, b) => a.session_id.localeCompare(b.session_id));
  $("count").textContent = t("count", { n: cands.length });
  $("tokens-empty").hidden = cands.length > 0 || state.roomMissing;
  $("tokens").hidden = cands.length === 0;
  $("print-btn").disabled = cands.length === 0 && !proctorToken;
  $("csv-dl-btn").disabled = cands.length === 0;
  $("tokens")
    .querySelector("tbody")
    .replaceChildren(
      ...cands.map((c, i) =>
        el(
          "tr",
          { "data-session": c.session_id },
          el("td", { class: "num", text: String(i + 1) }),
          el("td", { class: "name", text: c.name }),
          el("td", { class: "employee", text: c.employee_id }),
          el("td", { class: "session", text: c.session_id }),
          el("td", { class: "token" }, el("code", { text: showToken(c.token) })),
        ),
      ),
    );
  buildSheets();
}

async function sendRoster(body, type, button) {
  const roomId = state.roomId;
  button.disabled = true;
  notice($("roster-msg"), "info", "sending");
  try {
    const data = await apiJson(`/api/rooms/${encodeURIComponent(roomId)}/candidates`, { method: "POST", type, body });
    notice($("roster-msg"), "ok", "registered", { n: data.candidates.length });
    return true;
  } catch (error) {
    failure($("roster-msg"), error, error.status === 400 ? "refused" : null);
    return false;
  } finally {
    button.disabled = false;
    if (roomId === state.roomId) await loadCandidates();
  }
}

// A roster file as text: UTF-8 when it is (with or without BOM), else the Windows code page spreadsheets save in.
async function fileText(file) {
  const bytes = await file.arrayBuffer();
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
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
    renderFileName();
  }
}

// Pasted rows: "employee id <sep> name" per line, sep a tab (from a spreadsheet), a semicolon or a comma; the name
// is the rest of the line, so "Siti Aminah, S.Kom." keeps its comma. A header line naming employee_id is skipped.
function parsePasted(text) {
  const rows = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const sep = line.includes("\t") ? "\t" : line.includes(";") ? ";" : ",";
    const at = line.indexOf(sep);
    const employee = (at < 0 ? line : line.slice(0, at)).trim().replace(/^"|"$/g, "");
    const name = (at < 0 ? "" : line.slice(at + 1)).trim().replace(/^"|"$/g, "").trim();
    if (rows.length === 0 && /^(employee_id|nip)$/i.test(employee)) continue;
    if (!employee || !name) return { error: { n: i + 1, line: line.slice(0, 60) } };
    rows.push({ employee_id: employee, name });
  }
  return { rows };
}

async function registerPasted(event) {
  event.preventDefault();
  const { rows, error } = parsePasted($("paste-text").value);
  if (error) {
    notice($("roster-msg"), "bad", "paste_bad_line", error);
    return;
  }
  if (!rows.length) {
    notice($("roster-msg"), "bad", "paste_none");
    return;
  }
  const body = JSON.stringify({ candidates: rows });
  if (await sendRoster(body, "application/json", $("paste-btn"))) $("paste-text").value = "";
}

function downloadTokens() {
  const lines = ["employee_id,name,session_id,token,link"];
  const cands = state.candidates.slice().sort((a, b) => a.session_id.localeCompare(b.session_id));
  for (const c of cands) {
    lines.push([c.employee_id, c.name, c.session_id, c.token, candidateLink(c.token)].map(csvField).join(","));
  }
  // a BOM so that spreadsheet programs read the names as UTF-8
  const blob = new Blob(["\ufeff", `${lines.join("\r\n")}\r\n`], { type: "text/csv;charset=utf-8" });
  download(`tokens-${state.roomId}.csv`, blob);
}

async function downloadResults() {
  const roomId = state.roomId;
  notice($("results-msg"), null);
  try {
    const resp = await api(`/api/rooms/${encodeURIComponent(roomId)}/results?format=csv`);
    const text = await resp.text();
    download(`results-${roomId}.csv`, new Blob([text], { type: "text/csv;charset=utf-8" }));
    const rows = text.split("\n").filter((l) => l.trim()).length - 1;
    notice($("results-msg"), rows > 0 ? "ok" : "info", rows > 0 ? "results_done" : "results_empty", { n: rows });
  } catch (error) {
    failure($("results-msg"), error);
  }
}

// --- slips to print ---------------------------------------------------------------------------------------------

function slip(room, cand) {
  return el(
    "div",
    { class: "slip" },
    el(
      "div",
      { class: "slip-top" },
      el("span", { class: "slip-room", text: room ? room.name : state.roomId }),
      el("span", { class: "slip-session", text: cand.session_id }),
    ),
    el("div", { class: "slip-name", text: cand.name }),
    el("div", { class: "slip-employee", text: `${t("slip_employee")}: ${cand.employee_id}` }),
    el("div", { class: "slip-label", text: t("slip_address") }),
    el("div", { class: "slip-address", text: `${origin()}/` }),
    el("div", { class: "slip-label", text: t("slip_token") }),
    el("div", { class: "slip-token", text: showToken(cand.token) }),
    el("div", { class: "slip-help", text: t("slip_help") }),
  );
}

function proctorSlip(room, token) {
  return el(
    "div",
    { class: "slip proctor" },
    el(
      "div",
      { class: "slip-top" },
      el("span", { class: "slip-room", text: room ? room.name : state.roomId }),
      el("span", { class: "slip-session", text: state.roomId }),
    ),
    el("div", { class: "slip-name", text: t("slip_proctor") }),
    el("div", { class: "slip-label", text: t("slip_proctor_addr") }),
    el("div", { class: "slip-address", text: `${origin()}/proctor` }),
    el("div", { class: "slip-label", text: t("slip_token") }),
    el("div", { class: "slip-token proctor-token-print", text: token }),
    el("div", { class: "slip-label", text: t("slip_proctor_link") }),
    el("div", { class: "slip-address small", text: proctorLink(token) }),
  );
}

// Sheets of A4, each with its own margins (the @page margin is 0, so no browser header or footer is printed).
function buildSheets() {
  const sheets = $("sheets");
  const roomId = state.roomId;
  if (!roomId || state.roomMissing) {
    sheets.replaceChildren();
    return;
  }
  const room = state.rooms.find((r) => r.room_id === roomId);
  const slips = [];
  const proctorToken = state.proctorTokens.get(roomId);
  if (proctorToken) slips.push({ node: proctorSlip(room, proctorToken), cells: 2 });
  const cands = state.candidates.slice().sort((a, b) => a.session_id.localeCompare(b.session_id));
  for (const c of cands) slips.push({ node: slip(room, c), cells: 1 });
  const pages = [];
  let page = null;
  let used = SLIPS_PER_SHEET;
  for (const s of slips) {
    if (used + s.cells > SLIPS_PER_SHEET) {
      page = el("div", { class: "sheet" });
      pages.push(page);
      used = 0;
    }
    page.append(s.node);
    used += s.cells;
  }
  sheets.replaceChildren(...pages);
}

function printSlips() {
  buildSheets();
  window.print();
}

// --- start ------------------------------------------------------------------------------------------------------

function applyLanguage() {
  t = makeT(TEXTS, lang);
  applyTexts(document, t);
  for (const node of document.querySelectorAll(".notice")) if (node.msg !== undefined) renderNotice(node);
  renderFileName();
  if (!$("app").hidden) {
    renderBatteries();
    renderRooms();
    renderRoom();
  }
}

function start() {
  languageSwitch($("lang"), lang, (code) => {
    lang = code;
    applyLanguage();
  });
  applyTexts(document, t);
  renderFileName();
  $("signin-form").addEventListener("submit", signIn);
  $("signout").addEventListener("click", () => signOut());
  $("create-form").addEventListener("submit", createRoom);
  $("rooms-refresh").addEventListener("click", loadRooms);
  $("csv-form").addEventListener("submit", uploadCsv);
  $("csv-file").addEventListener("change", renderFileName);
  $("room-battery").addEventListener("change", renderBatteryInfo);
  $("paste-form").addEventListener("submit", registerPasted);
  $("print-btn").addEventListener("click", printSlips);
  $("csv-dl-btn").addEventListener("click", downloadTokens);
  $("results-btn").addEventListener("click", downloadResults);
  window.addEventListener("hashchange", route);

  if (!state.token) {
    signOut();
    return;
  }
  apiJson("/api/batteries")
    .then((data) => {
      state.batteries = data.batteries;
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
