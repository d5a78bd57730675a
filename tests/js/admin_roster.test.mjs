// admin_roster.js: the admin page's rosters, CSV, slips and API errors.

import assert from "node:assert/strict";
import {describe, test} from "node:test";
import {load} from "./static.mjs";

const A = await load("admin_roster.js");

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

describe("tokens and slips", () => {
  test("tokens in groups of four", () => {
    assert.equal(A.showToken("ABCDEFGHJKMN"), "ABCD-EFGH-JKMN");
    assert.equal(A.showToken("ABCDEF"), "ABCD-EF");
    assert.equal(A.showToken(""), "");
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
