// admin_roster.js: the admin page's rosters, CSV, slips and API errors.

import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {describe, test} from "node:test";
import {load} from "./static.mjs";

const A = await load("admin_roster.js");
const {TEXTS} = await load("admin_texts.js");
// the payloads and the CSV field each must become, shared with tests/test_server_spreadsheet.py
const PAYLOADS = JSON.parse(readFileSync(new URL("../fixtures/formula_payloads.json", import.meta.url), "utf8"));
const FORMULA_START = "=+-@\t\r";

// Every cell of a CSV text read by `sep`, with quotes (a spreadsheet's reading) or blind to them (split on `sep`).
function cells(text, sep, quotes) {
  if (!quotes) return text.split(/\r\n|\r|\n/).flatMap((line) => line.split(sep));
  const out = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === "") quoted = true;
    else if (ch === sep || ch === "\n" || ch === "\r") out.push(cell), (cell = "");
    else cell += ch;
  }
  out.push(cell);
  return out;
}

// Whether a cell starts with a formula character past the spaces and quotes a spreadsheet may skip.
const startsFormula = (cell) => FORMULA_START.includes(cell.replace(/^[ "]+/, "")[0] ?? "x");

describe("pasted rows", () => {
  test("tab, semicolon or comma; the name keeps its commas; a header is skipped", () => {
    const text = "employee_id\tname\n199404042023041004\tDewi Lestari, S.Psi.\r\n\n199505052023051005; Rahmat Hidayat\n 1996, Siti Aminah, S.Kom. \n";
    assert.deepEqual(A.parsePasted(text), {
      rows: [
        {employee_id: "199404042023041004", name: "Dewi Lestari, S.Psi."},
        {employee_id: "199505052023051005", name: "Rahmat Hidayat"},
        {employee_id: "1996", name: "Siti Aminah, S.Kom."},
      ],
    });
    assert.deepEqual(A.parsePasted('NIP;Nama\n"123";"Budi"'), {rows: [{employee_id: "123", name: "Budi"}]});
  });

  test("a line without an employee id and a name refuses the whole paste, naming the line", () => {
    assert.deepEqual(A.parsePasted("1, Budi\njust-a-name\n3, Citra"), {error: {n: 2, line: "just-a-name"}});
    assert.deepEqual(A.parsePasted(", Budi"), {error: {n: 1, line: ", Budi"}});
    assert.equal(A.parsePasted(`${"9".repeat(80)}`).error.line.length, 60);
    assert.deepEqual(A.parsePasted("  \n\n"), {rows: []});
    // a header only counts as one on the first line
    assert.deepEqual(A.parsePasted("1, Budi\nemployee_id, name"), {
      rows: [{employee_id: "1", name: "Budi"}, {employee_id: "employee_id", name: "name"}],
    });
  });
});

describe("CSV for spreadsheets", () => {
  test("fields quoted when needed, formulas defused", () => {
    assert.equal(A.csvField("Budi"), "Budi");
    assert.equal(A.csvField("Siti, S.Kom."), '"Siti, S.Kom."');
    assert.equal(A.csvField('Dewi "Dee"'), '"Dewi ""Dee"""');
    assert.equal(A.csvField("a\nb"), '"a\nb"');
    assert.equal(A.csvField("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    assert.equal(A.csvField("+62"), "'+62");
    assert.equal(A.csvField("-1"), "'-1");
    assert.equal(A.csvField("@x"), "'@x");
    assert.equal(A.csvField("=a,b"), `"'=a,b"`);
    assert.equal(A.csvField(null), "");
    assert.equal(A.csvField(42), "42");
  });

  test("the payloads shared with the server's rule", () => {
    assert.ok(PAYLOADS.cells.length >= 20);
    for (const {text, csv} of PAYLOADS.cells) assert.equal(A.csvField(text), csv, JSON.stringify(text));
    for (const {value, csv} of PAYLOADS.numbers) assert.equal(A.csvField(value), csv);
    assert.equal(A.csvField(undefined), "");
  });

  test("no name makes a formula cell when the file is read by commas or by semicolons", () => {
    const cands = PAYLOADS.cells.map(({text}, i) => ({
      employee_id: text,
      name: text,
      session_id: `R-${String(i).padStart(4, "0")}`,
      token: "AAAABBBBCCCC",
    }));
    const csv = A.tokensCsv(cands, (token) => `http://x/#t=${token}`);
    let checked = 0;
    for (const sep of [",", ";", "\t"]) {
      for (const quotes of [true, false]) {
        for (const cell of cells(csv, sep, quotes)) {
          assert.equal(startsFormula(cell), false, `${JSON.stringify(sep)} ${quotes}: ${JSON.stringify(cell)}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 6 * PAYLOADS.cells.length);
    // the reader catches the file the issue reported: a name with ";=" quoted but not defused
    assert.ok(cells('E1,"Sari;=1+2"\r\n', ";", true).some(startsFormula));
    assert.ok(!cells('E1,"Sari;=1+2"\r\n', ",", true).some(startsFormula));
  });

  test("the XLSX request for the tokens table: tokens dashed as on the slips", () => {
    const cands = [
      {employee_id: "2", name: "=Dua", session_id: "R-0002", token: "BBBBCCCCDDDD"},
      {employee_id: "1", name: "Satu", session_id: "R-0001", token: "AAAABBBBCCCC"},
    ];
    assert.deepEqual(A.tokensExport("R7K2PQ", cands, (token) => `L${token}`), {
      filename: "tokens-R7K2PQ",
      columns: ["employee_id", "name", "session_id", "token", "link"],
      rows: [
        ["1", "Satu", "R-0001", "AAAA-BBBB-CCCC", "LAAAABBBBCCCC"],
        ["2", "=Dua", "R-0002", "BBBB-CCCC-DDDD", "LBBBBCCCCDDDD"], // verbatim: the XLSX types it as text
      ],
    });
  });

  test("the tokens file: sorted by session, the token dashed as on the slips, with the candidate link, CRLF", () => {
    const cands = [
      {employee_id: "2", name: "Dua, S.E.", session_id: "R-0002", token: "BBBBCCCCDDDD"},
      {employee_id: "1", name: "Satu", session_id: "R-0001", token: "AAAABBBBCCCC"},
    ];
    const csv = A.tokensCsv(cands, (token) => `http://x/#t=${token}`);
    assert.equal(
      csv,
      "employee_id,name,session_id,token,link\r\n" +
        "1,Satu,R-0001,AAAA-BBBB-CCCC,http://x/#t=AAAABBBBCCCC\r\n" +
        '2,"Dua, S.E.",R-0002,BBBB-CCCC-DDDD,http://x/#t=BBBBCCCCDDDD\r\n',
    );
    assert.deepEqual(cands.map((c) => c.session_id), ["R-0002", "R-0001"]); // the input is left as it was
    assert.equal(A.csvRowCount(csv), 2);
    assert.equal(A.csvRowCount("a,b\n"), 0);
    assert.equal(A.csvRowCount(""), 0);
  });
});

describe("the tokens this page holds", () => {
  // the room's rows as GET /api/rooms/{id}/candidates gives them: no token
  const listed = [
    {employee_id: "3", name: "Tiga", session_id: "R7K2PQ-0003"},
    {employee_id: "1", name: "Satu", session_id: "R7K2PQ-0001"},
    {employee_id: "2", name: "Dua", session_id: "R7K2PQ-0002"},
  ];
  const reply = (pairs) => pairs.map(([session_id, token]) => ({employee_id: "x", name: "x", session_id, token}));

  test("a registration adds its tokens and never overwrites one held; a replacement does", () => {
    const first = reply([["R7K2PQ-0001", "AAAABBBBCCCC"], ["R7K2PQ-0002", "DDDDEEEEFFFF"]]);
    const held = A.mergeTokens(null, first, {replace: false});
    assert.deepEqual([...held], [["R7K2PQ-0001", "AAAABBBBCCCC"], ["R7K2PQ-0002", "DDDDEEEEFFFF"]]);
    // a retried roster's reply (the first tokens) after 0002 was replaced: the replacement stays
    const replaced = A.mergeTokens(held, reply([["R7K2PQ-0002", "GGGGHHHHJJJJ"]]), {replace: true});
    assert.equal(replaced.get("R7K2PQ-0002"), "GGGGHHHHJJJJ");
    const again = reply([["R7K2PQ-0002", "DDDDEEEEFFFF"], ["R7K2PQ-0003", "KKKKMMMMNNNN"]]);
    const retried = A.mergeTokens(replaced, again, {replace: false});
    assert.equal(retried.get("R7K2PQ-0002"), "GGGGHHHHJJJJ");
    assert.equal(retried.get("R7K2PQ-0003"), "KKKKMMMMNNNN");
    // the maps given are left as they were
    assert.equal(held.get("R7K2PQ-0002"), "DDDDEEEEFFFF");
    assert.equal(held.has("R7K2PQ-0003"), false);
    // a row of a reply without a token (no such reply is expected) holds nothing
    const tokenless = [{session_id: "R7K2PQ-0003"}, {session_id: "R7K2PQ-0004", token: ""}];
    assert.equal(A.mergeTokens(held, tokenless, {replace: true}).size, 2);
  });

  test("the room's rows joined with the tokens held, in session order; the others missing", () => {
    const held = new Map([["R7K2PQ-0002", "DDDDEEEEFFFF"], ["R9XXXX-0001", "ZZZZZZZZZZZZ"]]);
    const plan = A.tokenPlan(listed, held);
    assert.deepEqual(plan.rows.map((r) => [r.session_id, r.token]), [
      ["R7K2PQ-0001", null],
      ["R7K2PQ-0002", "DDDDEEEEFFFF"],
      ["R7K2PQ-0003", null],
    ]);
    assert.deepEqual(plan.held.map((r) => r.session_id), ["R7K2PQ-0002"]);
    assert.deepEqual(plan.missing.map((r) => r.session_id), ["R7K2PQ-0001", "R7K2PQ-0003"]);
    assert.deepEqual(plan.held[0], {employee_id: "2", name: "Dua", session_id: "R7K2PQ-0002", token: "DDDDEEEEFFFF"});
    // nothing held for the room (a reload): every row missing
    assert.deepEqual(A.tokenPlan(listed, undefined).held, []);
    assert.equal(A.tokenPlan(listed, new Map()).missing.length, 3);
    // a token in a listed row (an older server's GET) is not taken: only replies this page got count
    assert.deepEqual(A.tokenPlan([{...listed[0], token: "OLDOLDOLDOLD"}], new Map()).held, []);
  });

  test("what the tokens file, its XLSX and the slips hold: the rows with a token only", () => {
    const plan = A.tokenPlan(listed, new Map([["R7K2PQ-0003", "KKKKMMMMNNNN"], ["R7K2PQ-0001", "AAAABBBBCCCC"]]));
    const link = (token) => `L${token}`;
    assert.equal(
      A.tokensCsv(plan.rows, link),
      "employee_id,name,session_id,token,link\r\n" +
        "1,Satu,R7K2PQ-0001,AAAA-BBBB-CCCC,LAAAABBBBCCCC\r\n" +
        "3,Tiga,R7K2PQ-0003,KKKK-MMMM-NNNN,LKKKKMMMMNNNN\r\n",
    );
    assert.equal(A.tokensCsv(plan.held, link), A.tokensCsv(plan.rows, link));
    assert.deepEqual(A.tokensExport("R7K2PQ", plan.rows, link).rows.map((r) => r[2]), ["R7K2PQ-0001", "R7K2PQ-0003"]);
    assert.equal(A.tokensCsv(plan.missing, link), "employee_id,name,session_id,token,link\r\n");
    // slips: one per row held (the proctor token has a card of its own)
    assert.deepEqual(A.sheetsOf(plan.held.map(() => 1)), [[0, 1]]);
  });

  test("a replacement request carries at most 2000 sessions", () => {
    assert.equal(A.MAX_REISSUE, 2000);
    const ids = Array.from({length: 4001}, (_, i) => `R-${i}`);
    const parts = A.chunks(ids);
    assert.deepEqual(parts.map((p) => p.length), [2000, 2000, 1]);
    assert.deepEqual(parts.flat(), ids);
    assert.deepEqual(A.chunks([]), []);
    assert.deepEqual(A.chunks([1, 2, 3], 2), [[1, 2], [3]]);
  });
});

describe("tokens and slips", () => {
  test("tokens in groups of four", () => {
    assert.equal(A.showToken("ABCDEFGHJKMN"), "ABCD-EFGH-JKMN");
    assert.equal(A.showToken("ABCDEF"), "ABCD-EF");
    assert.equal(A.showToken(""), "");
    assert.equal(A.showToken(null), "");
  });

  test("ten cells a sheet, the proctor's slip taking two", () => {
    assert.deepEqual(A.sheetsOf([]), []);
    assert.deepEqual(A.sheetsOf(Array(10).fill(1)).map((s) => s.length), [10]);
    assert.deepEqual(A.sheetsOf(Array(11).fill(1)).map((s) => s.length), [10, 1]);
    const withProctor = A.sheetsOf([2, ...Array(9).fill(1)]);
    assert.deepEqual(withProctor.map((s) => s.length), [9, 1]);
    assert.deepEqual(withProctor[0].slice(0, 2), [0, 1]);
    assert.deepEqual(A.sheetsOf([1, 1, 2], 3), [[0, 1], [2]]);
  });
});

describe("failed requests", () => {
  // the texts of the admin page, and a lookup like i18n.js's makeT (placeholders left visible when missing)
  const makeT = (lang) => (key, vars = {}) => {
    const raw = TEXTS[lang][key];
    assert.ok(raw, `no ${lang} text ${key}`);
    return raw.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  };
  const t = {id: makeT("id"), en: makeT("en")};
  // a notice as the page shows it: its lines in one language, then the server's details
  const shown = (notice, lang) => notice.keys.map((k) => A.say(t[lang], k, notice.vars));
  const body = (code, message, fields = {}) => ({error: {code, message, ...fields}});

  test("the error body read defensively", () => {
    assert.deepEqual(A.apiError(502, null), {status: 502, code: "http", message: "", employeeId: null, retryAfterMs: null});
    assert.deepEqual(A.apiError(400, {error: {code: "bad_request", message: "no"}}), {
      status: 400,
      code: "bad_request",
      message: "no",
      employeeId: null,
      retryAfterMs: null,
    });
    assert.deepEqual(A.apiError(500, {detail: "x"}), {status: 500, code: "http", message: "", employeeId: null, retryAfterMs: null});
    assert.equal(A.apiError(429, body("rate_limited", "", {retry_after_ms: 1500})).retryAfterMs, 1500);
    assert.equal(A.apiError(429, body("rate_limited", "", {retry_after_ms: "soon"})).retryAfterMs, null);
  });

  test("every code the admin API returns has a text of its own in both languages", () => {
    const codes = ["bad_request", "not_found", "duplicate_employee", "started", "unsupported_media_type", "too_large", "unauthorized", "unavailable", "internal", "rate_limited"];
    const texts = new Set();
    for (const code of codes) {
      const error = A.apiError(409, body(code, "Pesan server. (english detail)", {employee_id: "199001012020121001"}));
      const notice = A.failureNotice(error);
      assert.equal(notice.keys[0], A.ERROR_KEYS[code], code);
      for (const lang of ["id", "en"]) {
        const [line] = shown(notice, lang);
        assert.doesNotMatch(line, /\{\w+\}/, `${code} ${lang}: a placeholder left`);
        texts.add(line);
      }
    }
    assert.equal(texts.size, codes.length * 2, "two codes share a text");
    // no reply at all, a reply without a JSON body, a code the page does not know
    assert.deepEqual(A.failureNotice({status: 0, code: "network", message: "", employeeId: null, retryAfterMs: null}).keys, ["err_network"]);
    const proxy = A.failureNotice(A.apiError(502, null));
    assert.deepEqual(shown(proxy, "id"), ["Permintaan gagal (HTTP 502)."]);
    assert.deepEqual(A.failureNotice(A.apiError(418, body("teapot", "x"))).keys, ["err_generic"]);
    // a proxy's page instead of our JSON: said by its status where that tells what happened
    assert.deepEqual(A.failureNotice(A.apiError(413, null), "refused").keys, ["refused", "err_too_large"]);
    assert.deepEqual(A.failureNotice(A.apiError(429, null)).keys, ["err_rate_limited"]);
    assert.deepEqual(A.failureNotice(A.apiError(504, null)).keys, ["err_generic"]);
  });

  test("the server's sentence is never shown: only its English details, apart", () => {
    assert.equal(A.serverDetail("Permintaan tidak valid. (CSV roster: line 3: 'name' is empty)"), "CSV roster: line 3: 'name' is empty");
    assert.equal(A.serverDetail("x (CSV roster: line 2: not UTF-8 (invalid start byte))"), "CSV roster: line 2: not UTF-8 (invalid start byte)");
    // the text before the details may hold parentheses of its own
    assert.equal(A.serverDetail("Diperlukan token admin (atau token pengawas ruang ini). (an admin bearer token is required)"), "an admin bearer token is required");
    assert.equal(A.serverDetail("Penyimpanan data tidak dapat dihubungi; coba lagi."), null);
    assert.equal(A.serverDetail("no room 'a)b'"), null);
    assert.equal(A.serverDetail(""), null);
    assert.equal(A.serverDetail(undefined), null);
    const message = "NIP ini sudah terdaftar di ruang ini; tidak ada peserta yang disimpan. (employee id '1990')";
    const notice = A.failureNotice(A.apiError(409, body("duplicate_employee", message, {employee_id: "1990"})), "refused");
    assert.equal(notice.detail, "employee id '1990'");
    for (const lang of ["id", "en"]) for (const line of shown(notice, lang)) assert.ok(!line.includes("tidak ada peserta yang disimpan"));
  });

  test("a duplicate employee is named from the error's employee_id, never from its message", () => {
    const error = A.apiError(409, body("duplicate_employee", "employee id '199001012020121001' is already registered", {employee_id: "199001012020121001"}));
    assert.equal(A.rosterRefused(error.status), true);
    const notice = A.failureNotice(error, "refused");
    assert.deepEqual(notice.keys, ["refused", "err_duplicate_employee"]);
    assert.deepEqual(notice.vars, {status: 409, id: "199001012020121001"});
    assert.deepEqual(shown(notice, "id"), [
      TEXTS.id.refused,
      "NIP 199001012020121001 sudah terdaftar di ruang ini atau muncul dua kali dalam daftar.",
    ]);
    assert.match(shown(notice, "en")[1], /^Employee ID 199001012020121001 is already registered/);
    // the same words without the field: no id is guessed from the message
    const unnamed = A.failureNotice(A.apiError(409, body("duplicate_employee", "employee id '1' is already registered")), "refused");
    assert.deepEqual(unnamed.keys, ["refused", "err_duplicate_employee_unnamed"]);
    assert.equal(unnamed.vars.id, undefined);
  });

  test("an action's own text for a code: editing a duplicate or a started candidate", () => {
    const overrides = {duplicate_employee: "edit_dup", started: "edit_started"};
    const dup = A.failureNotice(A.apiError(409, body("duplicate_employee", "x", {employee_id: "77"})), "edit_failed", overrides);
    assert.deepEqual(shown(dup, "id"), ["Data peserta tidak diubah.", "NIP 77 sudah dipakai peserta lain di ruang ini."]);
    const started = A.failureNotice(A.apiError(409, body("started", "y (session R7K2PQ-0001 is active)")), "edit_failed", overrides);
    assert.deepEqual(shown(started, "id"), ["Data peserta tidak diubah.", "Peserta ini sudah mulai tes: datanya tidak dapat diubah lagi."]);
    assert.equal(started.detail, "session R7K2PQ-0001 is active");
    // without an override, the code's own text
    assert.deepEqual(A.failureNotice(A.apiError(409, body("started", "")), "remove_failed").keys, ["remove_failed", "err_started"]);
  });

  test("rate limited: when to try again, when the server says", () => {
    const notice = A.failureNotice(A.apiError(429, body("rate_limited", "", {retry_after_ms: 2100})));
    assert.deepEqual(shown(notice, "id"), ["Terlalu banyak permintaan dalam waktu singkat. Coba lagi dalam 3 detik."]);
    assert.deepEqual(shown(notice, "en"), ["Too many requests in a short time. Try again in 3 seconds."]);
  });

  test("a bad request's line and field said in the page's language, the details kept apart", () => {
    const line = (detail, lang = "id") => {
      const notice = A.failureNotice(A.apiError(400, body("bad_request", `Permintaan tidak valid. (${detail})`)), "refused");
      assert.equal(notice.detail, detail);
      return shown(notice, lang).slice(2);
    };
    assert.deepEqual(line("CSV roster: line 3: 'name' is empty"), ["Letak masalah: baris 3 berkas CSV, kolom nama (name): kosong."]);
    assert.deepEqual(line("CSV roster: line 3: 'name' is empty", "en"), ["Where: line 3 of the CSV file, field name (name): empty."]);
    assert.deepEqual(line("candidate 2: 'employee_id' has no letter or digit"), [
      "Letak masalah: baris ke-2 yang dikirim, kolom NIP (employee_id): tidak memuat huruf atau angka.",
    ]);
    assert.deepEqual(line("CSV roster: line 4: 'name' is longer than 200 characters (230)", "en"), [
      "Where: line 4 of the CSV file, field name (name): longer than 200 characters (230).",
    ]);
    const bidi = "CSV roster: line 5: 'name' contains U+202E RIGHT-TO-LEFT OVERRIDE at character 3: line breaks, control characters, format characters (bidi, zero-width) and invisible or unassigned code points are not allowed";
    assert.match(line(bidi)[0], /^Letak masalah: baris 5 berkas CSV, kolom nama \(name\): memuat karakter U\+202E \(karakter ke-3\)/);
    assert.deepEqual(line("CSV roster: line 2: not UTF-8 (invalid start byte)"), [
      "Letak masalah: baris 2 berkas CSV: bukan teks UTF-8 (simpan berkas sebagai \u201cCSV UTF-8\u201d).",
    ]);
    assert.deepEqual(line("CSV roster: line 7: 'name': unexpected end of data"), [
      "Letak masalah: baris 7 berkas CSV, kolom nama (name): tanda petiknya tidak berpasangan, atau ada teks setelah tanda petik penutup.",
    ]);
    assert.deepEqual(line("CSV roster: the CSV needs a header row with the columns employee_id and name"), [TEXTS.id.bad_no_header]);
    assert.deepEqual(line("CSV roster: line 2002: a roster holds at most 2000 candidates"), [
      "Paling banyak 2000 peserta per daftar: bagi daftar menjadi beberapa kiriman.",
    ]);
    assert.deepEqual(line("room R7K2PQ is archived: its roster is final"), [TEXTS.id.bad_archived]);
    assert.deepEqual(line("'name' is empty"), ["Kolom nama (name): kosong."]); // an edit: no line
    assert.deepEqual(line("room name is empty", "en"), ["Field room name: empty."]);
    // words the page does not know: no sentence of its own, the details alone (labelled as the server's)
    assert.deepEqual(line("Idempotency-Key must be 1 to 200 characters"), []);
    assert.equal(A.badRequestLine(null), null);
  });

  test("a notice's texts may hold texts: translated first", () => {
    const tt = (key, vars = {}) => `${key}(${Object.entries(vars).map(([k, v]) => `${k}=${v}`).join(",")})`;
    assert.equal(A.say(tt, "plain", {n: 1}), "plain(n=1)");
    assert.equal(A.say(tt, {key: "outer", vars: {inner: {key: "in", vars: {n: 2}}, skip: null}}, {s: 3}), "outer(s=3,inner=in(n=2))");
  });

  test("what to do, by code", () => {
    const keys = (status, code, lead = null) => A.failureNotice({status, code, message: "", employeeId: null, retryAfterMs: null}, lead).keys;
    assert.deepEqual(keys(0, "network"), ["err_network"]);
    assert.deepEqual(keys(503, "unavailable"), ["err_unavailable"]);
    assert.deepEqual(keys(413, "too_large", "refused"), ["refused", "err_too_large"]);
    assert.deepEqual(keys(500, "internal"), ["err_internal"]);
    assert.deepEqual(keys(400, "bad_request", "refused"), ["refused", "err_bad_request"]);
    assert.deepEqual(keys(415, "unsupported_media_type", "refused"), ["refused", "err_unsupported_media_type"]);
    assert.equal(A.rosterRefused(404), false);
    assert.equal(A.failureNotice({status: 500, code: "x", message: "", employeeId: null, retryAfterMs: null}).detail, null);
    assert.equal(A.rowMovedOn({code: "started"}), true);
    assert.equal(A.rowMovedOn({code: "not_found"}), true);
    assert.equal(A.rowMovedOn({code: "duplicate_employee"}), false);
  });
});

describe("the address on slips and links", () => {
  test("the server's public address when set, else this page's own", () => {
    assert.deepEqual(A.slipBase("http://10.0.0.5:8000/", "http://127.0.0.1:8000", "127.0.0.1"), {
      base: "http://10.0.0.5:8000",
      source: "public",
      warn: false,
    });
    assert.deepEqual(A.slipBase("https://cat.example.go.id", "http://localhost:8000", "localhost").base, "https://cat.example.go.id");
    assert.deepEqual(A.slipBase(null, "http://10.0.0.5:8000", "10.0.0.5"), {base: "http://10.0.0.5:8000", source: "page", warn: false});
    // the page's own address on this computer only: lab computers cannot reach it
    for (const host of ["127.0.0.1", "localhost", "[::1]", "127.1.2.3", "cat.localhost", "0.0.0.0"]) {
      assert.deepEqual(A.slipBase(null, `http://${host}:8000`, host), {base: `http://${host}:8000`, source: "page", warn: true}, host);
    }
    for (const host of ["10.0.0.5", "cat.example.go.id", "127.example.org", "localhost.example.org", "192.168.1.127"]) {
      assert.equal(A.isLoopbackHost(host), false, host);
    }
    // not an address: ignored
    assert.equal(A.slipBase("", "http://10.0.0.5", "10.0.0.5").source, "page");
    assert.equal(A.slipBase("ftp://x", "http://10.0.0.5", "10.0.0.5").source, "page");
    assert.equal(A.slipBase(42, "http://10.0.0.5", "10.0.0.5").source, "page");
  });
});

describe("correcting the roster", () => {
  const current = {session_id: "R7K2PQ-0001", employee_id: "1990", name: "Budi"};

  test("only the fields changed are sent, trimmed; nothing changed sends nothing", () => {
    assert.deepEqual(A.candidateEdit(current, {name: " Budi Santoso ", employee_id: "1990"}), {body: {name: "Budi Santoso"}});
    assert.deepEqual(A.candidateEdit(current, {name: "Budi", employee_id: "1991 "}), {body: {employee_id: "1991"}});
    assert.deepEqual(A.candidateEdit(current, {name: "B", employee_id: "2"}), {body: {name: "B", employee_id: "2"}});
    assert.deepEqual(A.candidateEdit(current, {name: "Budi ", employee_id: " 1990"}), {unchanged: true});
    assert.deepEqual(A.candidateEdit(current, {name: "  ", employee_id: "1990"}), {error: "edit_name_empty", field: "name"});
    assert.deepEqual(A.candidateEdit(current, {name: "Budi", employee_id: ""}), {error: "edit_employee_empty", field: "employee_id"});
  });

  test("a row may be changed before its candidate starts, or when the phase is not known", () => {
    assert.deepEqual(["ready", undefined, null, "intro", "active", "paused", "finished", "terminated"].map(A.editable), [
      true, true, true, false, false, false, false, false,
    ]);
    assert.deepEqual(["ready", undefined, "intro", "active", "paused", "finished", "terminated"].map(A.phaseKey), [
      null, null, "phase_testing", "phase_testing", "phase_testing", "phase_finished", "phase_terminated",
    ]);
  });
});

describe("the proctor token", () => {
  test("28 symbols shown in dashed groups of four, whatever form it came in; an older token as it is", () => {
    assert.equal(A.showProctorToken("ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2-3456"), "ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2-3456");
    assert.equal(A.showProctorToken("ABCDEFGHJKMNPQRSTUVWXYZ23456"), "ABCD-EFGH-JKMN-PQRS-TUVW-XYZ2-3456");
    const old = "Xy_9-abcdefghijklmnopqrstuvwxyz01";
    assert.equal(A.showProctorToken(old), old);
    assert.equal(A.showProctorToken("ABCDEFGHJKMNPQRSTUVWXYZ2345O"), "ABCDEFGHJKMNPQRSTUVWXYZ2345O"); // an O: not of the form
    assert.equal(A.showProctorToken(null), "");
    assert.equal(A.TOKEN_ALPHABET.length, 31);
    assert.doesNotMatch(A.TOKEN_ALPHABET, /[01ILO]/);
  });
});

describe("roster idempotency keys", () => {
  let n = 0;
  const newKey = () => `k${++n}`;
  test("a retry of a roster that may have landed keeps its key; anything else gets a new one", () => {
    const first = A.rosterAttempt(null, "R1", "body", newKey);
    assert.equal(first.key, "k1");
    // succeeded or refused: the next roster, even the same rows, is a new registration
    assert.equal(A.rosterAttempt(first, "R1", "body", newKey).key, "k2");
    const lost = {...first, uncertain: true};
    assert.equal(A.rosterAttempt(lost, "R1", "body", newKey).key, "k1");
    assert.equal(A.rosterAttempt(lost, "R1", "other rows", newKey).key, "k3");
    assert.equal(A.rosterAttempt(lost, "R2", "body", newKey).key, "k4");
  });
  test("no reply or a server failure may have landed; a refusal did not", () => {
    assert.deepEqual([0, 500, 503, 400, 409, 401, 201].map(A.mayHaveLanded), [true, true, true, false, false, false, false]);
  });
  test("random keys are 32 hex digits from getRandomValues", () => {
    const fake = {getRandomValues: (a) => a.fill(171)};
    assert.equal(A.randomKey(fake), "ab".repeat(16));
    assert.match(A.randomKey(globalThis.crypto), /^[0-9a-f]{32}$/);
  });
});

describe("rooms open or closed", () => {
  test("a room is created closed unless the box is ticked", () => {
    assert.deepEqual(A.createRoomBody("Ruang 1", "cact-demo", false), {name: "Ruang 1", battery: "cact-demo", open: false});
    assert.deepEqual(A.createRoomBody("Ruang 1", "cact-demo", true), {name: "Ruang 1", battery: "cact-demo", open: true});
    assert.equal(A.createRoomBody("R", "b", undefined).open, false);
    assert.equal(A.createRoomBody("R", "b", "on").open, false); // only a real true opens it
  });

  test("the state the rooms list shows", () => {
    assert.equal(A.roomState({room_id: "R7K2QX", open: true}), "open");
    assert.equal(A.roomState({room_id: "R7K2QX", open: false}), "closed");
    assert.equal(A.roomState({room_id: "R7K2QX", open: false, archived: true}), "archived");
    assert.equal(A.roomState({room_id: "R7K2QX", open: true, archived: false}), "open");
    assert.equal(A.roomState({room_id: "R7K2QX"}), null); // a server that does not say
    assert.equal(A.roomState(null), null);
  });
});

describe("archived rooms", () => {
  test("hidden from the list unless asked", () => {
    const rooms = [{room_id: "A", archived: false}, {room_id: "B", archived: true}, {room_id: "C"}];
    assert.deepEqual(A.visibleRooms(rooms, false).map((r) => r.room_id), ["A", "C"]);
    assert.deepEqual(A.visibleRooms(rooms, true).map((r) => r.room_id), ["A", "B", "C"]);
  });
});
