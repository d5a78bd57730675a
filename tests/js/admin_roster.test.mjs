// admin_roster.js: the admin page's rosters, CSV, slips and API errors.

import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {describe, test} from "node:test";
import {load} from "./static.mjs";

const A = await load("admin_roster.js");
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

  test("the XLSX request for the tokens table", () => {
    const cands = [
      {employee_id: "2", name: "=Dua", session_id: "R-0002", token: "BBBBCCCCDDDD"},
      {employee_id: "1", name: "Satu", session_id: "R-0001", token: "AAAABBBBCCCC"},
    ];
    assert.deepEqual(A.tokensExport("R7K2PQ", cands, (token) => `L${token}`), {
      filename: "tokens-R7K2PQ",
      columns: ["employee_id", "name", "session_id", "token", "link"],
      rows: [
        ["1", "Satu", "R-0001", "AAAABBBBCCCC", "LAAAABBBBCCCC"],
        ["2", "=Dua", "R-0002", "BBBBCCCCDDDD", "LBBBBCCCCDDDD"], // verbatim: the XLSX types it as text
      ],
    });
  });

  test("the tokens file: sorted by session, with the candidate link, CRLF", () => {
    const cands = [
      {employee_id: "2", name: "Dua, S.E.", session_id: "R-0002", token: "BBBBCCCCDDDD"},
      {employee_id: "1", name: "Satu", session_id: "R-0001", token: "AAAABBBBCCCC"},
    ];
    const csv = A.tokensCsv(cands, (token) => `http://x/#t=${token}`);
    assert.equal(
      csv,
      "employee_id,name,session_id,token,link\r\n" +
        "1,Satu,R-0001,AAAABBBBCCCC,http://x/#t=AAAABBBBCCCC\r\n" +
        '2,"Dua, S.E.",R-0002,BBBBCCCCDDDD,http://x/#t=BBBBCCCCDDDD\r\n',
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
        "1,Satu,R7K2PQ-0001,AAAABBBBCCCC,LAAAABBBBCCCC\r\n" +
        "3,Tiga,R7K2PQ-0003,KKKKMMMMNNNN,LKKKKMMMMNNNN\r\n",
    );
    assert.equal(A.tokensCsv(plan.held, link), A.tokensCsv(plan.rows, link));
    assert.deepEqual(A.tokensExport("R7K2PQ", plan.rows, link).rows.map((r) => r[2]), ["R7K2PQ-0001", "R7K2PQ-0003"]);
    assert.equal(A.tokensCsv(plan.missing, link), "employee_id,name,session_id,token,link\r\n");
    // slips: the proctor's (two cells) and one per row held
    assert.deepEqual(A.sheetsOf([2, ...plan.held.map(() => 1)]), [[0, 1, 2]]);
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
  test("the error body read defensively", () => {
    assert.deepEqual(A.apiError(502, null), {status: 502, code: "http", message: "", employeeId: null});
    assert.deepEqual(A.apiError(400, {error: {code: "bad_request", message: "no"}}), {status: 400, code: "bad_request", message: "no", employeeId: null});
    assert.deepEqual(A.apiError(500, {detail: "x"}), {status: 500, code: "http", message: "", employeeId: null});
  });

  test("a duplicate employee is named from the error's employee_id, never from its message", () => {
    const body = {error: {code: "duplicate_employee", message: "employee id '199001012020121001' is already registered", employee_id: "199001012020121001"}};
    const error = A.apiError(409, body);
    assert.equal(A.rosterRefused(error.status), true);
    assert.deepEqual(A.failureNotice(error, "refused"), {
      keys: ["refused", "dup_hint"],
      vars: {status: 409, id: "199001012020121001"},
      detail: body.error.message,
    });
    // the same words without the field: no id is guessed from the message
    const old = A.apiError(400, {error: {code: "bad_request", message: body.error.message}});
    assert.deepEqual(A.failureNotice(old, "refused").keys, ["refused"]);
  });

  test("what to do, by code", () => {
    const keys = (status, code, lead = null) => A.failureNotice({status, code, message: "", employeeId: null}, lead).keys;
    assert.deepEqual(keys(0, "network"), ["err_network"]);
    assert.deepEqual(keys(503, "unavailable"), ["err_unavailable"]);
    assert.deepEqual(keys(413, "too_large", "refused"), ["refused", "err_too_large"]);
    assert.deepEqual(keys(500, "internal"), ["err_generic"]);
    assert.deepEqual(keys(400, "bad_request", "refused"), ["refused"]);
    assert.equal(A.rosterRefused(404), false);
    assert.equal(A.failureNotice({status: 500, code: "x", message: "", employeeId: null}).detail, null);
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
