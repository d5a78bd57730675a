// The admin page's data work, pure (no DOM, no fetch): pasted roster rows, CSV fields for spreadsheets, the tokens
// file, how tokens are shown and slips laid out on sheets, and what a failed API request tells the person.

export const MAX_BODY = 1 << 20; // the server's limit on a request body (413 above it)
export const SLIPS_PER_SHEET = 10; // 2 columns x 5 rows on A4

// A token in groups of four for reading and typing: "ABCDEFGHJKMN" -> "ABCD-EFGH-JKMN".
export function showToken(token) {
  return (token.match(/.{1,4}/g) ?? [""]).join("-");
}

// A field for a spreadsheet: quoted when needed; a leading = + - @ (or tab, CR) is defused so a spreadsheet shows it
// as text instead of running it as a formula.
export function csvField(value) {
  let v = String(value ?? "");
  if (/^[=+\-@\t\r]/.test(v)) v = `'${v}`;
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
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

// The tokens file: employee_id,name,session_id,token,link with CRLF line ends (`linkOf(token)` gives the link).
export function tokensCsv(candidates, linkOf) {
  const lines = ["employee_id,name,session_id,token,link"];
  for (const c of bySession(candidates)) {
    lines.push([c.employee_id, c.name, c.session_id, c.token, linkOf(c.token)].map(csvField).join(","));
  }
  return `${lines.join("\r\n")}\r\n`;
}

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
