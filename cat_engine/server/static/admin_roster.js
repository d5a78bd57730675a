// The admin page's data work, pure (no DOM, no fetch): pasted roster rows, spreadsheet-safe CSV fields, the tokens
// this page holds (from the replies that made them) and the room's rows joined with them, the tokens file (CSV, and
// the request for its XLSX), how tokens are shown and slips laid out on sheets, and what a failed API request tells
// the person.

export const MAX_BODY = 1 << 20; // the server's limit on a request body (413 above it)
export const SLIPS_PER_SHEET = 10; // 2 columns x 5 rows on A4
export const MAX_REISSUE = 2000; // session ids per POST /api/rooms/{room_id}/tokens

// A token in groups of four for reading and typing: "ABCDEFGHJKMN" -> "ABCD-EFGH-JKMN".
export function showToken(token) {
  return ((token ?? "").match(/.{1,4}/g) ?? [""]).join("-");
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

// The tokens table: its columns, and a row per candidate with a token, in the order of the slips (`linkOf(token)`
// gives the link). A row without a token is left out: there is nothing to hand over.
export const TOKEN_COLUMNS = ["employee_id", "name", "session_id", "token", "link"];
export const tokenRows = (candidates, linkOf) =>
  bySession(candidates.filter((c) => c.token)).map((c) => [
    c.employee_id,
    c.name,
    c.session_id,
    c.token,
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

// A failed API reply as an error object: {status, code, message, employeeId}; `body` is the parsed JSON body, or
// null when there was none (a proxy's page).
export function apiError(status, body) {
  const error = body && typeof body === "object" && body.error && typeof body.error === "object" ? body.error : null;
  return {
    status,
    code: typeof error?.code === "string" ? error.code : "http",
    message: typeof error?.message === "string" ? error.message : "",
    employeeId: typeof error?.employee_id === "string" ? error.employee_id : null,
  };
}

// A refused roster (stored nothing): the lead text of its notice.
export const rosterRefused = (status) => status === 400 || status === 409;

// What a notice says about a failed request: text keys (ours: what to do), their variables, and the server's own
// words. A duplicate employee id (409 duplicate_employee) is named from the error's `employee_id`.
export function failureNotice(error, leadKey = null) {
  const keys = leadKey ? [leadKey] : [];
  const vars = {status: error.status};
  if (error.code === "network") keys.push("err_network");
  else if (error.code === "unavailable") keys.push("err_unavailable");
  else if (error.code === "too_large") keys.push("err_too_large");
  else if (!leadKey) keys.push("err_generic");
  if (error.code === "duplicate_employee" && error.employeeId) {
    keys.push("dup_hint");
    vars.id = error.employeeId;
  }
  return {keys, vars, detail: error.message || null};
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
