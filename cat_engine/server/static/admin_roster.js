// The admin page's data work, pure (no DOM, no fetch): pasted roster rows, spreadsheet-safe CSV fields, the tokens
// this page holds (from the replies that made them) and the room's rows joined with them, the tokens file (CSV, and
// the request for its XLSX), how tokens are shown and slips laid out on sheets, and what a failed API request tells
// the person.

export const MAX_BODY = 1 << 20; // the server's limit on a request body (413 above it)
export const SLIPS_PER_SHEET = 10; // 2 columns x 5 rows on A4
export const MAX_REISSUE = 2000; // session ids per POST /api/rooms/{room_id}/tokens

// The body of POST /api/rooms: a room is created closed unless asked open (its proctor opens it from the console).
export function createRoomBody(name, battery, open) {
  return {name, battery, open: open === true};
}

// A room's state as the rooms list shows it: "archived" (closed for good), "open", "closed", or null when the
// server does not say.
export function roomState(room) {
  if (room?.archived === true) return "archived";
  if (room?.open === true) return "open";
  if (room?.open === false) return "closed";
  return null;
}

// The rooms the list shows: archived ones only when asked (they stay in the page's list, for their room panel).
export const visibleRooms = (rooms, showArchived) => rooms.filter((r) => showArchived || r.archived !== true);

// A token in groups of four for reading and typing: "ABCDEFGHJKMN" -> "ABCD-EFGH-JKMN".
export function showToken(token) {
  return ((token ?? "").match(/.{1,4}/g) ?? [""]).join("-");
}

// The symbols of candidate and proctor tokens (no look-alikes: no 0 1 I L O), docs/protocol.md.
export const TOKEN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const PROCTOR_TOKEN = new RegExp(`^[${TOKEN_ALPHABET}]{28}$`);

// A proctor token as printed: 28 symbols in dashed groups of four ("ABCD-EFGH-...-3456"), whether the server sent
// it dashed or not; a token of the earlier form (32 case-sensitive characters) is shown as it is.
export function showProctorToken(token) {
  const text = String(token ?? "");
  const compact = text.replaceAll("-", "");
  return PROCTOR_TOKEN.test(compact) ? showToken(compact) : text;
}

// --- the address on slips and links ------------------------------------------------------------------------------

// Whether a page's host name is this computer only (a lab PC cannot reach it): localhost, 127.x.x.x, ::1, 0.0.0.0.
export function isLoopbackHost(hostname) {
  const host = String(hostname ?? "").toLowerCase().replace(/^\[|\]$/g, "");
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === "::1" ||
    host === "0.0.0.0" ||
    host === "::"
  );
}

// The address printed on slips and in links: the server's CAT_PUBLIC_URL (GET /api/info) when set, else this page's
// own origin; `warn` when that fallback is a loopback address, which lab computers cannot reach.
export function slipBase(publicUrl, origin, hostname) {
  if (typeof publicUrl === "string" && /^https?:\/\/[^/\s]+/i.test(publicUrl.trim())) {
    return {base: publicUrl.trim().replace(/\/+$/, ""), source: "public", warn: false};
  }
  return {base: origin, source: "page", warn: isLoopbackHost(hostname)};
}

// The spreadsheet-safe CSV rule, the same as the server's (cat_engine/server/spreadsheet.py; docs/protocol.md,
// "Spreadsheet files"; tests/fixtures/formula_payloads.json holds the cases both are checked against).
const FORMULA_START = "=+-@\t\r"; // a cell starting with one of these may run as a formula
const CELL_BREAKS = ",;\t\r\n"; // where some reading of a comma file (by ";", by tabs, blind to quotes) starts a cell
const SKIPPED = ' "'; // what a spreadsheet may pass over before a cell's first character

function formulaAt(text, i) {
  while (i < text.length && SKIPPED.includes(text[i])) i++;
  return i < text.length && FORMULA_START.includes(text[i]);
}

// A text with a ' put wherever a cell could start with a formula character: at its start, and after each , ; tab CR
// LF in it (past spaces and quotes). Quoting alone does not do: a spreadsheet whose list separator is ";" reads
// E1,"Sari;=1+2" as the cells E1,"Sari and =1+2".
export function defuse(text) {
  let out = "";
  let cellStart = true;
  for (let i = 0; i < text.length; i++) {
    if (cellStart && formulaAt(text, i)) out += "'";
    out += text[i];
    cellStart = CELL_BREAKS.includes(text[i]);
  }
  return out;
}

// A field for a spreadsheet: a number as it is (a theta of -0.52 stays a number), null or undefined empty, anything
// else a text: defused, then quoted when it holds , ; " CR or LF.
export function csvField(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return String(value);
  const v = defuse(String(value));
  return /[",;\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

// Pasted rows: "employee id <sep> name" per line, sep a tab (from a spreadsheet), a semicolon or a comma; the name is
// the rest of the line, so "Siti Aminah, S.Kom." keeps its comma. A header line naming employee_id (or NIP) is
// skipped. Returns {rows: [{employee_id, name}]}, or {error: {n (line number), line (its start)}} for a line without
// both.
export function parsePasted(text) {
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
    if (!employee || !name) return {error: {n: i + 1, line: line.slice(0, 60)}};
    rows.push({employee_id: employee, name});
  }
  return {rows};
}

// Candidates in the order of their session ids (the order of the slips and the tokens file).
export const bySession = (candidates) => candidates.slice().sort((a, b) => a.session_id.localeCompare(b.session_id));

// --- the tokens this page holds ----------------------------------------------------------------------------------
// The server keeps tokens only as digests: a token is in the reply that made it (registration, replacement) and
// nowhere else. The page keeps those per room as a Map session_id -> token, in memory only.

// The held tokens after a reply carrying some ({candidates: [{session_id, token, ...}]}), as a new Map. A replacement
// (`replace` true) wins over a token held; a registration does not, since its reply is never newer than one the
// page holds (a retried roster gets the first reply again, and its tokens may have been replaced since).
export function mergeTokens(held, replyCandidates, {replace}) {
  const out = new Map(held ?? []);
  for (const c of replyCandidates) {
    if (typeof c.token !== "string" || !c.token) continue;
    if (replace || !out.has(c.session_id)) out.set(c.session_id, c.token);
  }
  return out;
}

// The room's candidates (from GET, no tokens) joined with the held tokens, in session order: {rows, held, missing},
// each row {employee_id, name, session_id, token} with token null when this page does not hold it.
export function tokenPlan(candidates, held) {
  const rows = bySession(candidates).map((c) => ({
    employee_id: c.employee_id,
    name: c.name,
    session_id: c.session_id,
    token: held?.get(c.session_id) ?? null,
  }));
  return {rows, held: rows.filter((r) => r.token), missing: rows.filter((r) => !r.token)};
}

// A list in pieces of at most `size` (session ids per replacement request).
export function chunks(items, size = MAX_REISSUE) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// The tokens table: its columns, and a row per candidate with a token, in the order of the slips, the token dashed
// as on the slip ("ABCD-EFGH-JKMN"; the server ignores the dashes) and `linkOf(token)` its link. A row without a
// token is left out: there is nothing to hand over.
export const TOKEN_COLUMNS = ["employee_id", "name", "session_id", "token", "link"];
export const tokenRows = (candidates, linkOf) =>
  bySession(candidates.filter((c) => c.token)).map((c) => [
    c.employee_id,
    c.name,
    c.session_id,
    showToken(c.token),
    linkOf(c.token),
  ]);

// The tokens file: the tokens table as CSV with CRLF line ends.
export function tokensCsv(candidates, linkOf) {
  const lines = [TOKEN_COLUMNS, ...tokenRows(candidates, linkOf)].map((row) => row.map(csvField).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

// The body of POST /api/export.xlsx for the tokens table (the server keeps no tokens to make the file from).
export const tokensExport = (roomId, candidates, linkOf) => ({
  filename: `tokens-${roomId}`,
  columns: TOKEN_COLUMNS,
  rows: tokenRows(candidates, linkOf),
});

// Data rows of a CSV file (its lines but the header, blank ones not counted).
export const csvRowCount = (text) => Math.max(0, text.split("\n").filter((l) => l.trim()).length - 1);

// Slips onto sheets: `cells` per slip (the proctor's slip takes two), SLIPS_PER_SHEET cells a sheet; returns the
// slips' indexes per sheet.
export function sheetsOf(cells, perSheet = SLIPS_PER_SHEET) {
  const sheets = [];
  let used = perSheet;
  cells.forEach((n, i) => {
    if (used + n > perSheet) {
      sheets.push([]);
      used = 0;
    }
    sheets[sheets.length - 1].push(i);
    used += n;
  });
  return sheets;
}

// A failed API reply as an error object: {status, code, message, employeeId, retryAfterMs}; `body` is the parsed JSON
// body, or null when there was none (a proxy's page).
export function apiError(status, body) {
  const error = body && typeof body === "object" && body.error && typeof body.error === "object" ? body.error : null;
  return {
    status,
    code: typeof error?.code === "string" ? error.code : "http",
    message: typeof error?.message === "string" ? error.message : "",
    employeeId: typeof error?.employee_id === "string" ? error.employee_id : null,
    retryAfterMs: Number.isFinite(error?.retry_after_ms) ? error.retry_after_ms : null,
  };
}

// A refused roster (stored nothing): the lead text of its notice.
export const rosterRefused = (status) => status === 400 || status === 409;

// The text of each error code the admin API can return (docs/protocol.md, "Errors"), and of a request that got no
// reply ("network"). The server's `message` is in the server's language (CAT_LANG) with English details for
// developers; the page never shows it as its own sentence (see serverDetail).
export const ERROR_KEYS = {
  bad_request: "err_bad_request",
  not_found: "err_not_found",
  duplicate_employee: "err_duplicate_employee",
  started: "err_started",
  unsupported_media_type: "err_unsupported_media_type",
  too_large: "err_too_large",
  unauthorized: "err_unauthorized",
  unavailable: "err_unavailable",
  internal: "err_internal",
  rate_limited: "err_rate_limited",
  network: "err_network",
};

// The code a reply without a JSON error body stands for, by its status (a proxy in front of the server refusing a
// large body, or limiting requests).
const HTTP_CODES = {413: "too_large", 429: "rate_limited"};

// The English details of a server message: what its last parentheses hold ("Permintaan tidak valid. (CSV roster:
// line 3: 'name' is empty)" -> "CSV roster: line 3: 'name' is empty"), or null when it has none. The sentence before
// them is in the server's language, not the page's: it is never shown.
export function serverDetail(message) {
  const text = String(message ?? "").trimEnd();
  if (!text.endsWith(")")) return null;
  let depth = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    if (text[i] === ")") depth++;
    else if (text[i] === "(" && --depth === 0) {
      if (i > 0 && text[i - 1] !== " ") return null;
      const inner = text.slice(i + 1, -1).trim();
      return inner || null;
    }
  }
  return null;
}

// What a refused field was, from the details of a bad_request (the text rule of docs/protocol.md, "Rosters and
// names"): a text key and its variables, or null for words the page does not know.
function fieldReason(detail) {
  let m;
  if (/\bis empty\b/.test(detail)) return {key: "why_empty"};
  if (/has no letter or digit/.test(detail)) return {key: "why_no_letter"};
  if ((m = /is longer than (\d+) characters \((\d+)\)/.exec(detail))) {
    return {key: "why_too_long", vars: {max: +m[1], len: +m[2]}};
  }
  if ((m = /contains (U\+[0-9A-F]{4,6})\b.*? at character (\d+)/.exec(detail))) {
    return {key: "why_bad_char", vars: {cp: m[1], pos: +m[2]}};
  }
  if (/must be a string|must be an object/.test(detail)) return {key: "why_not_text"};
  if (/not UTF-8/.test(detail)) return {key: "why_not_utf8"};
  if (/appears more than once/.test(detail)) return {key: "why_twice"};
  if (/field larger than field limit/.test(detail)) return {key: "why_field_limit"};
  if (/expected after|unexpected end of data|new-line character/.test(detail)) return {key: "why_quote"};
  return null;
}

// The details of a bad_request in the page's words: where (a CSV line, or the n-th row sent), which field, and why;
// or a sentence for a whole request; null when the page cannot say it in its own words (the details line then
// stands alone, labelled as the server's).
export function badRequestLine(detail) {
  if (!detail) return null;
  let m;
  if ((m = /holds at most (\d+) candidates/.exec(detail))) return {key: "bad_too_many", vars: {max: +m[1]}};
  if (/needs a header row/.test(detail)) return {key: "bad_no_header"};
  if (/is archived/.test(detail)) return {key: "bad_archived"};
  if (/unknown battery|battery .* is not loaded/.test(detail)) return {key: "bad_battery"};
  if (/not valid JSON/.test(detail)) return {key: "bad_json"};
  if (/must be a non-empty list/.test(detail)) return {key: "bad_empty_roster"};
  const at = (m = /\bline (\d+)/.exec(detail))
    ? {key: "at_line", vars: {n: +m[1]}}
    : (m = /\bcandidate (\d+)/.exec(detail))
      ? {key: "at_candidate", vars: {n: +m[1]}}
      : null;
  const fieldName = (m = /'(employee_id|name)'/.exec(detail)) ? m[1] : /^room name\b/.test(detail) ? "room_name" : null;
  const field = fieldName ? {key: `field_${fieldName}`} : null;
  const why = fieldReason(detail);
  const parts = [at ? "at" : "", field ? "field" : "", why ? "why" : ""].filter(Boolean);
  if (!parts.length) return null;
  return {key: `bad_${parts.join("_")}`, vars: {at, field, why}};
}

// What a notice says about a failed request: text keys (ours, in the page's language: what happened and what to
// do), their variables, and the server's English details for a smaller line. `leadKey` goes first (what this
// failure means here, e.g. that nothing of a roster was stored); `overrides` maps a code to a text of this action's
// own (e.g. started -> "edit_started"). A duplicate employee id is named from the error's `employee_id`, never
// from its message.
export function failureNotice(error, leadKey = null, overrides = {}) {
  const keys = leadKey ? [leadKey] : [];
  const vars = {status: error.status};
  // a reply without our JSON (a proxy's page) still says something by its status
  const code = error.code === "http" ? (HTTP_CODES[error.status] ?? "http") : error.code;
  let key = overrides[code] ?? ERROR_KEYS[code] ?? "err_generic";
  if (error.code === "duplicate_employee") {
    if (error.employeeId) vars.id = error.employeeId;
    else key = "err_duplicate_employee_unnamed";
  }
  if (error.code === "rate_limited" && error.retryAfterMs !== null) {
    vars.s = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
    key = "err_rate_limited_wait";
  }
  keys.push(key);
  const detail = serverDetail(error.message);
  if (error.code === "bad_request") {
    const line = badRequestLine(detail);
    if (line) keys.push(line);
  }
  return {keys, vars, detail};
}

// A text to show: a key, or {key, vars} whose variables may themselves be texts to show (translated first);
// `vars` are the notice's own, under the item's.
export function say(t, item, vars = {}) {
  if (typeof item === "string") return t(item, vars);
  const filled = {};
  for (const [name, value] of Object.entries(item.vars ?? {})) {
    if (value === null || value === undefined) continue;
    filled[name] = typeof value === "object" ? say(t, value) : value;
  }
  return t(item.key, {...vars, ...filled});
}

// --- correcting the roster ----------------------------------------------------------------------------------------

// Whether a row may be edited or removed: a candidate who has not started (phase "ready"), or one whose phase the
// page does not know (the server refuses a started one with 409 started).
export const editable = (phase) => phase === undefined || phase === null || phase === "ready";

// Whether a refused edit or removal means the table is out of date (the candidate started meanwhile, or is gone).
export const rowMovedOn = (error) => error.code === "started" || error.code === "not_found";

// The text key of a session's phase as the table shows it (null: not started, or not known).
export function phaseKey(phase) {
  if (phase === "intro" || phase === "active" || phase === "paused") return "phase_testing";
  if (phase === "finished") return "phase_finished";
  if (phase === "terminated") return "phase_terminated";
  return null;
}

// The body of PATCH /api/sessions/{id} from the edit dialog: the fields changed, trimmed; {unchanged: true} when
// nothing changed; {error: text key, field} for an empty field (the server checks the rest).
export function candidateEdit(current, typed) {
  const body = {};
  for (const field of ["name", "employee_id"]) {
    const value = String(typed[field] ?? "").trim();
    if (!value) return {error: field === "name" ? "edit_name_empty" : "edit_employee_empty", field};
    if (value !== current[field]) body[field] = value;
  }
  return Object.keys(body).length ? {body} : {unchanged: true};
}

// The Idempotency-Key of a roster about to be sent (docs/protocol.md, registration). The roster that failed in a way
// that may have stored it (no reply, or a 5xx) keeps its key when the same rows go to the same room again, so the
// retry gets the first registration's tokens instead of a duplicate refusal; anything else gets a new key.
export function rosterAttempt(last, roomId, body, newKey) {
  if (last && last.uncertain && last.roomId === roomId && last.body === body) return {...last, uncertain: false};
  return {roomId, body, key: newKey(), uncertain: false};
}

// Whether a failed request may still have been carried out (its reply was lost, or the server failed mid-way).
export function mayHaveLanded(status) {
  return status === 0 || status >= 500;
}

// A random key from the browser's crypto (crypto.randomUUID needs a secure context; a lab LAN may be plain http).
export function randomKey(cryptoLike) {
  const bytes = cryptoLike.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
