// Integrity flags in the proctor console (proctor_flags.js and what proctor_model.js keeps of them): the attention
// list with flags, the reasons in both languages, decisions, and the data of the response-time chart.

import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {describe, test} from "node:test";
import {load, STATIC_DIR} from "./static.mjs";

const M = await load("proctor_model.js");
const F = await load("proctor_flags.js");
const {rtAxisMax} = await load("proctor_rt_chart.js");
const {niceTicks} = await load("chart.js");
const {TEXTS} = await load("proctor_texts.js");
const {makeT} = await load("i18n.js");
const {RoomModel} = M;
const id = makeT(TEXTS, "id");
const en = makeT(TEXTS, "en");

const T0 = 1_796_300_000_000;
const ROOM = {
  room_id: "R7K2QX",
  name: "Ruang 1",
  battery: {id: "b", version: "1", name: "B"},
  subtests: [
    {id: "s1", name: "Satu", se_target: 0.3, max_items: 12, time_limit_s: 600},
    {id: "s2", name: "Dua", se_target: 0.3, max_items: 12, time_limit_s: 600},
  ],
};
const sid = (n) => `R7K2QX-000${n}`;

function active(n, fields = {}) {
  return {
    session_id: sid(n),
    employee_id: `E${n}`,
    name: `Peserta ${n}`,
    phase: "active",
    connected: true,
    subtest_index: 0,
    subtest: "s1",
    answered: 0,
    answered_total: 0,
    theta: null,
    se: null,
    se_target: 0.3,
    time_left_s: 600,
    last_seen_ms: T0,
    pause_reason: "",
    terminated_reason: "",
    allowed: ["pause", "extend", "terminate"],
    notes: 0,
    flags: [],
    ...fields,
  };
}

const snapshot = (sessions, last = "0-0") => ({type: "snapshot", room: ROOM, sessions, last_event_id: last, at_ms: T0});

function ev(ms, n, event, view = undefined) {
  const item = {type: "event", id: `${ms}-0`, session_id: sid(n), event: {at_ms: ms, ...event}};
  if (view) item.view = view;
  return item;
}

// A `flag` event as the server emits it (docs/protocol.md): positions of `responses` counted from 0; the last event
// of its change, so it carries the view, which lists the session's kinds (`kinds`, in the order raised).
function flagEvent(ms, n, kind, fields = {}, kinds = [kind]) {
  const statistic = {name: "rapid_guessing", value: 4, p_value: 0.0002, threshold: 0.002, n: 6};
  return ev(ms, n, {type: "flag", kind, statistic, subtest: null, responses: [[0, 1], [0, 2], [0, 4], [0, 5]], ...fields}, active(n, {flags: kinds}));
}

const noteEvent = (ms, n, text) => ev(ms, n, {type: "note", text});

describe("the attention list with flags", () => {
  test("a flagged session needs attention until its flag is decided, and only the flags' sessions are listed", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1), active(2), active(3)]), T0);
    assert.equal(M.countsOf(m.list(), T0, m.flagged()).attention, 0);
    const change = m.applyFrame(flagEvent(T0 + 1000, 2, "rapid"), T0 + 1000);
    assert.deepEqual(change.flagsRaised, [sid(2)]);
    assert.deepEqual([...m.flagged()], [sid(2)]);
    assert.equal(M.countsOf(m.list(), T0 + 1000, m.flagged()).attention, 1);
    // without the flagged set (a caller that does not know of flags) the row is as before
    assert.equal(M.countsOf(m.list(), T0 + 1000).attention, 0);
    const shown = M.visibleRows(m.list(), {filter: "attention", nowMs: T0 + 1000, flagged: m.flagged()});
    assert.deepEqual(shown.map((r) => r.session_id), [sid(2)]);
    assert.deepEqual(m.flagList().map((e) => [e.session_id, e.since, e.flags.map((f) => f.kind)]), [[sid(2), T0 + 1000, ["rapid"]]]);
    // an ordinary note decides nothing; a decision on another kind neither
    m.applyFrame(noteEvent(T0 + 2000, 2, "Peserta ke toilet"), T0 + 2000);
    m.applyFrame(noteEvent(T0 + 2001, 2, F.decisionNote("misfit", "Wajar")), T0 + 2001);
    assert.equal(m.flagList().length, 1);
    // the decision on the kind: no longer waiting, out of the list and of the attention count
    m.applyFrame(noteEvent(T0 + 3000, 2, F.decisionNote("rapid", id("outcome_watch"), "diawasi di meja 4")), T0 + 3000);
    assert.deepEqual(m.flagList(), []);
    assert.equal(M.countsOf(m.list(), T0 + 3000, m.flagged()).attention, 0);
    assert.equal(m.flags(sid(2)).length, 1); // the flag itself stays, decided
    assert.deepEqual(m.decisions(sid(2)).get("rapid"), {at_ms: T0 + 3000, text: "Diawasi lebih lanjut — diawasi di meja 4"});
  });

  test("the newest flag first; flags of unknown time (raised before the console knew) last; ties in roster order", () => {
    const m = new RoomModel();
    // sessions 4 and 5 were flagged before this console's snapshot: their views list the kinds, nothing more
    m.applyFrame(snapshot([active(5, {flags: ["misfit"]}), active(1), active(2), active(3), active(4, {flags: ["rapid"]})]), T0);
    m.applyFrame(flagEvent(T0 + 1000, 3, "rapid"), T0 + 1000);
    m.applyFrame(flagEvent(T0 + 3000, 1, "preknowledge"), T0 + 3000);
    // raised before session 1's but streamed after it: its own time orders it
    m.applyFrame(flagEvent(T0 + 3500, 2, "rapid", {at_ms: T0 + 2000}), T0 + 3500);
    const order = m.flagList().map((e) => e.session_id);
    assert.deepEqual(order, [sid(1), sid(2), sid(3), sid(5), sid(4)]);
    assert.equal(m.flagList()[3].since, null);
    // a second kind on an older entry brings it to the top
    m.applyFrame(flagEvent(T0 + 4000, 3, "speed_change", {subtest: 1}, ["rapid", "speed_change"]), T0 + 4000);
    assert.deepEqual(m.flagList()[0].session_id, sid(3));
    assert.deepEqual(m.flagList()[0].flags.map((f) => f.kind), ["rapid", "speed_change"]);
    // with a flag waiting and a disconnect, the row needs attention either way; the count counts it once
    m.applyFrame(ev(T0 + 5000, 3, {type: "disconnected"}, active(3, {connected: false, flags: ["rapid", "speed_change"]})), T0 + 5000);
    assert.equal(M.countsOf(m.list(), T0 + 5000, m.flagged()).attention, 5);
  });

  test("a flag raised again after its decision waits again; one decided before a detail showed it stays decided", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1)]), T0);
    m.applyFrame(flagEvent(T0 + 1000, 1, "rapid"), T0 + 1000);
    m.applyFrame(noteEvent(T0 + 2000, 1, F.decisionNote("rapid", "Wajar")), T0 + 2000);
    assert.equal(m.openFlags(sid(1)).length, 0);
    const again = m.applyFrame(flagEvent(T0 + 3000, 1, "rapid", {statistic: {name: "rapid_guessing", value: 6, p_value: 1e-6, threshold: 0.002, n: 8}}), T0 + 3000);
    assert.deepEqual(again.flagsRaised, [sid(1)]);
    assert.equal(m.openFlags(sid(1))[0].statistic.value, 6);
    // a console that signs in later sees the kind in the view; the detail brings the flag and the notes
    const late = new RoomModel();
    late.applyFrame(snapshot([active(1, {flags: ["rapid"], notes: 1})]), T0 + 9000);
    assert.deepEqual([...late.flagged()], [sid(1)]); // its decision is not known before the detail
    late.applyDetail({
      type: "detail",
      session_id: sid(1),
      subtests: [],
      notes: [{at_ms: T0 + 4000, text: F.decisionNote("rapid", "Dilaporkan ke panitia")}],
      flags: [{kind: "rapid", at_ms: T0 + 3000, statistic: {name: "rapid_guessing", value: 6, p_value: 1e-6, threshold: 0.002, n: 8}, subtest: null, responses: []}],
    });
    assert.deepEqual([...late.flagged()], []);
    assert.equal(late.flags(sid(1))[0].at_ms, T0 + 3000);
  });

  test("decisions seen are kept across a reload of the tab: decided flags do not come back as waiting", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1), active(2)]), T0);
    m.applyFrame(flagEvent(T0 + 1000, 1, "rapid"), T0 + 1000);
    m.applyFrame(flagEvent(T0 + 1500, 2, "rapid"), T0 + 1500);
    m.applyFrame(noteEvent(T0 + 2000, 1, "biasa"), T0 + 2000);
    m.applyFrame(noteEvent(T0 + 3000, 1, F.decisionNote("rapid", "Wajar")), T0 + 3000);
    const kept = JSON.parse(JSON.stringify(m.exportDecisions())); // as sessionStorage keeps it
    assert.deepEqual(kept, {[sid(1)]: [{at_ms: T0 + 3000, text: "[Keputusan: rapid] Wajar"}]});
    const reloaded = new RoomModel();
    reloaded.importDecisions(kept);
    reloaded.importDecisions(kept); // twice: nothing doubled
    reloaded.applyFrame(snapshot([active(1, {flags: ["rapid"], notes: 2}), active(2, {flags: ["rapid"]})], `${T0 + 3000}-0`), T0 + 9000);
    assert.deepEqual([...reloaded.flagged()], [sid(2)]);
    assert.equal(reloaded.notes(sid(1)).length, 1);
    // what is not a decision is not taken back
    reloaded.importDecisions({[sid(2)]: [{at_ms: 1, text: "biasa"}, {at_ms: 2}], [sid(1)]: "x"});
    assert.deepEqual(reloaded.notes(sid(2)), []);
  });

  test("history (events up to the snapshot's watermark) tells the flags but announces none", () => {
    const m = new RoomModel();
    m.lastEventId = `${T0}-0`;
    m.applyFrame(snapshot([active(1, {flags: ["rapid"]})], `${T0 + 5000}-0`), T0 + 6000);
    const change = m.applyFrame(flagEvent(T0 + 1000, 1, "rapid"), T0 + 6000);
    assert.deepEqual(change.flagsRaised, []);
    assert.equal(m.flags(sid(1))[0].at_ms, T0 + 1000);
    assert.equal(m.flags(sid(1))[0].statistic.p_value, 0.0002);
    // the same flag live again (a duplicate id) is not raised twice
    assert.deepEqual(m.applyFrame(flagEvent(T0 + 1000, 1, "rapid"), T0 + 6000).flagsRaised, []);
  });

  test("a flag event without a kind is ignored; malformed evidence is dropped", () => {
    assert.equal(F.normalizeFlag({type: "flag", at_ms: 1}), null);
    const flag = F.normalizeFlag({kind: "misfit", at_ms: 5, statistic: {name: "lz_star", value: -3.1, p_value: "x"}, responses: [[0, 1], [0, -1], ["a", 2], [1]]});
    assert.deepEqual(flag.responses, [[0, 1]]);
    assert.equal(flag.statistic.p_value, null);
    assert.equal(flag.statistic.n, null);
  });
});

describe("reasons in plain words", () => {
  test("every kind has its reason in both languages, and none of them says the person cheated", () => {
    for (const kind of F.FLAG_KINDS) {
      const key = F.reasonKey(kind);
      assert.ok(TEXTS.id[key] && TEXTS.en[key], key);
      assert.notEqual(TEXTS.id[key], TEXTS.en[key], key);
      for (const text of [TEXTS.id[key], TEXTS.en[key]]) assert.doesNotMatch(text, /curang|cheat|menyontek|fraud/i, key);
    }
    assert.equal(F.reasonText("rapid", id), "Menjawab terlalu cepat pada banyak soal (kemungkinan menebak)");
    assert.equal(F.reasonText("rapid", en), "Answered many questions implausibly fast (likely guessing)");
    assert.match(F.reasonText("preknowledge", id), /benar dan jauh lebih cepat/);
    assert.match(F.reasonText("preknowledge", en), /correctly and unexpectedly fast/);
    assert.match(F.reasonText("misfit", en), /unlikely for their ability/);
    for (const kind of ["speed_change", "ability_change"]) assert.match(F.reasonText(kind, en), /between subtests.*change of person/);
    for (const kind of ["operator", "lockstep"]) {
      assert.match(F.reasonText(kind, id), /kursi lain/);
      assert.match(F.reasonText(kind, en), /other seats|another seat/);
    }
    // a kind this console does not know is still said, named as it came
    assert.equal(F.reasonText("new_kind", en), "Unusual answering pattern (new_kind)");
  });

  test("the page says a flag is a prompt to check, not proof, and that a score does not change", () => {
    assert.match(TEXTS.id.flag_disclaimer, /bukan bukti kecurangan/);
    assert.match(TEXTS.id.flag_disclaimer, /tidak mengubah nilai/);
    assert.match(TEXTS.en.flag_disclaimer, /not proof of cheating/);
    assert.match(TEXTS.en.flag_disclaimer, /never changes a score/);
    assert.match(TEXTS.id.flags_note, /bukan bukti kecurangan/);
    assert.match(TEXTS.id.decide_hint, /Nilai peserta tidak berubah/);
  });

  test("the statistic in words: the rapid count, or the statistic's value, with its p-value against the threshold", () => {
    const rapid = F.normalizeFlag({kind: "rapid", at_ms: 1, statistic: {name: "rapid_guessing", value: 7, p_value: 0.00031, threshold: 0.002, n: 9}});
    assert.equal(F.statisticText(rapid, id, "id-ID"), "7 dari 9 jawaban jauh lebih cepat daripada waktu wajar soalnya · p = 0,00031 (ambang 0,002)");
    assert.equal(F.statisticText(rapid, en, "en-GB"), "7 of 9 timed answers far below their items' typical time · p = 0.00031 (threshold 0.002)");
    const misfit = F.normalizeFlag({kind: "misfit", at_ms: 1, statistic: {name: "lz_star", value: -3.456, p_value: 2e-7, threshold: 0.005, n: 30}});
    assert.equal(F.statisticText(misfit, en, "en-GB"), "statistic lz* = -3.46 (30 answers) · p < 0.0001 (threshold 0.005)");
    assert.equal(F.statisticText(F.normalizeFlag({kind: "rapid"}), en, "en-GB"), TEXTS.en.flag_stat_none);
  });

  test("the evidence in words: per subtest, items numbered from 1, at most EVIDENCE_LISTED of them", () => {
    const names = ["Satu", "Dua"];
    const flag = F.normalizeFlag({kind: "rapid", responses: [[1, 0], [0, 4], [0, 0], [0, 4]]});
    assert.equal(F.evidenceText(flag, id, (i) => names[i]), "Bukti: Satu butir ke-1, 5; Dua butir ke-1");
    const many = F.normalizeFlag({kind: "rapid", responses: Array.from({length: 15}, (_, i) => [0, i])});
    assert.equal(F.evidenceText(many, en, (i) => names[i]), "Evidence: Satu item no. 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 (+3 more)");
    assert.equal(F.evidenceText(F.normalizeFlag({kind: "misfit"}), en, (i) => names[i]), "");
  });

  test("the texts the flags use exist in both languages (the scripts' t() literals, templates, the HTML)", () => {
    const read = (name) => readFileSync(join(STATIC_DIR, name), "utf8");
    // the modules that show flags (proctor_commands.js builds keys from literals that are not keys: left out)
    const script = ["proctor.js", "proctor_view.js", "proctor_detail.js", "proctor_flags.js"].map(read).join("\n");
    const used = [];
    for (const call of script.matchAll(/\bt\(([^()]*(?:\([^()]*\)[^()]*)*)\)/g)) {
      used.push(...[...call[1].matchAll(/"([a-z][a-z0-9_]*)"/g)].map((m) => m[1]));
    }
    const html = read("proctor.html");
    used.push(...[...html.matchAll(/data-i18n="(\w+)"/g)].map((m) => m[1]));
    used.push(...[...html.matchAll(/data-i18n-attr="\w+:(\w+)"/g)].map((m) => m[1]));
    for (const kind of [...F.FLAG_KINDS, "other"]) used.push(F.reasonKey(kind));
    for (const outcome of F.OUTCOMES) used.push(`outcome_${outcome}`);
    for (const key of ["flags_h", "flag_chip", "flag_decide", "rt_title", "decide_for", "flag_disclaimer", "legend_evidence"]) {
      assert.ok(used.includes(key), key);
    }
    for (const key of new Set(used)) assert.ok(TEXTS.id[key] && TEXTS.en[key], key);
  });
});

describe("decisions are notes", () => {
  test("the note begins with the kind's prefix, then the outcome and the remarks", () => {
    assert.equal(F.decisionNote("rapid", "Diawasi lebih lanjut", " meja 4 "), "[Keputusan: rapid] Diawasi lebih lanjut — meja 4");
    assert.equal(F.decisionNote("misfit", "Wajar", ""), "[Keputusan: misfit] Wajar");
    assert.equal(F.decisionKind("[Keputusan: speed_change] Wajar"), "speed_change");
    assert.equal(F.decisionKind("Keputusan: rapid"), null);
    assert.equal(F.decisionKind("catatan [Keputusan: rapid]"), null);
  });

  test("the latest decision of each kind counts", () => {
    const decisions = F.decisionsOf([
      {at_ms: 5, text: "[Keputusan: rapid] Wajar"},
      {at_ms: 9, text: "[Keputusan: rapid] Dilaporkan ke panitia — dua kali"},
      {at_ms: 7, text: "biasa"},
    ]);
    assert.deepEqual([...decisions], [["rapid", {at_ms: 9, text: "Dilaporkan ke panitia — dua kali"}]]);
    assert.equal(F.isOpen({kind: "rapid", at_ms: 9}, decisions), false);
    assert.equal(F.isOpen({kind: "rapid", at_ms: 10}, decisions), true);
    assert.equal(F.isOpen({kind: "rapid", at_ms: null}, decisions), false);
    assert.equal(F.isOpen({kind: "misfit", at_ms: 1}, decisions), true);
  });
});

describe("the response-time chart's data", () => {
  // one subtest: the detail gives answers 1-3 with their times and typical times, live answers add 4-6
  function sitting() {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1, {answered: 3, answered_total: 3})]), T0);
    m.applyDetail({
      type: "detail",
      session_id: sid(1),
      subtests: [
        {
          index: 0,
          status: "current",
          points: [
            {position: 1, theta: 0.1, se: 0.9, response_ms: 41000, expected_ms: 38000},
            {position: 2, theta: 0.2, se: 0.8, response_ms: 900, expected_ms: 45000},
            {position: 3, theta: 0.1, se: 0.7, response_ms: 1200, expected_ms: null},
          ],
          result: null,
        },
      ],
      notes: [],
      flags: [],
    });
    let ms = T0 + 1000;
    for (const [seq, took] of [[4, 800], [5, 650], [6, 30000]]) {
      m.applyFrame(ev(ms, 1, {type: "item_presented", seq, subtest: 0, position: seq}), ms);
      m.applyFrame(ev(ms + 1, 1, {type: "answered", seq, subtest: 0, theta: 0, se: 0.6, response_ms: took}), ms + 1);
      ms += 1000;
    }
    return m;
  }

  test("each answer's time in seconds, with the typical time the detail gave, by position", () => {
    const m = sitting();
    const timings = m.timings(sid(1), 0);
    assert.deepEqual(timings.map((p) => [p.position, p.response_ms, p.expected_ms]), [
      [1, 41000, 38000],
      [2, 900, 45000],
      [3, 1200, null],
      [4, 800, null],
      [5, 650, null],
      [6, 30000, null],
    ]);
    // the theta chart's points are the same answers, as before
    assert.deepEqual(m.trajectory(sid(1), 0).map((p) => p.position), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Object.keys(m.trajectory(sid(1), 0)[0]).sort(), ["position", "se", "theta"]);
    const rt = F.rtPoints(timings, [], 0);
    assert.deepEqual(rt.map((p) => p.seconds), [41, 0.9, 1.2, 0.8, 0.65, 30]);
    assert.deepEqual(rt.map((p) => p.expected), [38, 45, null, null, null, null]);
    assert.ok(rt.every((p) => p.kinds.length === 0));
    assert.equal(F.medianSeconds(rt), (0.9 + 1.2) / 2);
  });

  test("the flags' evidence is marked on its subtest only, positions counted from 0 in the flag", () => {
    const m = sitting();
    m.applyFrame(flagEvent(T0 + 9000, 1, "rapid", {responses: [[0, 1], [0, 3], [0, 4], [1, 0]]}), T0 + 9000);
    m.applyFrame(flagEvent(T0 + 9500, 1, "preknowledge", {responses: [[0, 4]]}, ["rapid", "preknowledge"]), T0 + 9500);
    const rt = F.rtPoints(m.timings(sid(1), 0), m.flags(sid(1)), 0);
    assert.deepEqual(rt.filter((p) => p.kinds.length).map((p) => [p.position, p.kinds]), [
      [2, ["rapid"]],
      [4, ["rapid"]],
      [5, ["rapid", "preknowledge"]],
    ]);
    assert.deepEqual([...F.evidenceAt(m.flags(sid(1)), 1)], [[1, ["rapid"]]]);
  });

  test("an answer without a recorded time (an older server) is left out of the chart, not drawn as zero", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1)]), T0);
    m.applyFrame(ev(T0 + 1, 1, {type: "item_presented", seq: 1, subtest: 0, position: 1}), T0 + 1);
    m.applyFrame(ev(T0 + 2, 1, {type: "answered", seq: 1, subtest: 0, theta: 0, se: 1}), T0 + 2);
    assert.deepEqual(m.timings(sid(1), 0), [{position: 1, response_ms: null, expected_ms: null}]);
    assert.deepEqual(F.rtPoints(m.timings(sid(1), 0), [], 0), []);
    assert.equal(F.medianSeconds([]), null);
  });

  test("the y axis ends on a tick at most one step past the longest time or typical time shown, 5 s at least", () => {
    for (const [points, top] of [
      [[{seconds: 0.8, expected: null}], 5],
      [[{seconds: 41, expected: 45}, {seconds: 1, expected: 38}], 45],
      [[{seconds: 123.4, expected: 20}], 123.4],
      [[{seconds: 60, expected: null}], 60],
    ]) {
      const max = rtAxisMax(points);
      const step = niceTicks(0, top, 3)[1];
      assert.ok(max >= top && max - top < step, `${top} -> ${max}`);
      assert.ok(niceTicks(0, max, 3).at(-1) === max, `${max} is a tick`);
    }
  });
});
