// The admin page's integrity view, its pure parts (admin_integrity_model.js): the flagged sessions, the log scale of
// the p-value plot and its threshold, the rows per statistic, the timing lanes and their window; and the texts the
// view looks up (its own in admin_texts.js, the flags' reasons shared with the proctor console).

import assert from "node:assert/strict";
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {describe, test} from "node:test";
import {load, STATIC_DIR} from "./static.mjs";

const I = await load("admin_integrity_model.js");
const ADMIN = (await load("admin_texts.js")).TEXTS;
const PROCTOR = (await load("proctor_texts.js")).TEXTS;
const {FLAG_KINDS} = await load("proctor_flags.js");

const T0 = 1_796_300_000_000;
const stat = (kind, p, threshold, flagged = p <= threshold) => ({name: kind, kind, value: 1, p_value: p, threshold, flagged, n: 10});

// A room of four as the server reports it: Ani flagged rapid (final look), Budi and Citra in an operator pair, Dedi
// not started.
function report() {
  return {
    room_id: "R7K2QX",
    at_ms: T0 + 600_000,
    sessions: [
      {session_id: "R-1", employee_id: "E1", name: "Ani", phase: "finished", look: "final", flags: ["rapid"],
       statistics: [stat("rapid", 1.2e-8, 0.002), stat("misfit", 0.4, 0.005), stat("speed_change", 0.3, 0.0125)]},
      {session_id: "R-2", employee_id: "E2", name: "Budi", phase: "active", look: "interim", flags: [],
       statistics: [stat("rapid", 0.9, 0.002), stat("speed_change", 0.5, 0.0025)]},
      {session_id: "R-3", employee_id: "E3", name: "Citra", phase: "active", look: "interim", flags: [],
       statistics: [stat("rapid", 0.7, 0.002)]},
      {session_id: "R-4", employee_id: "E4", name: "Dedi", phase: "ready", look: "interim", flags: [], statistics: []},
    ],
    room_timing: {
      seats: 3,
      eligible_seats: 3,
      thresholds: {operator: 1e-5, lockstep: 1e-5},
      flags: [{kind: "operator", sessions: ["R-2", "R-3"], statistic: 1, p_value: 3e-11, threshold: 1e-5,
               arrival_ms: [[T0 + 4000, T0 + 12_000, T0 + 20_000], [T0 + 8000, T0 + 16_000, T0 + 24_000]]}],
    },
  };
}

describe("the flagged sessions", () => {
  test("a session's own flags with their p-values, then the timing groups it is in, naming the other seats", () => {
    const rows = I.flaggedSessions(report());
    assert.deepEqual(rows.map((r) => r.session_id), ["R-1", "R-2", "R-3"]);
    const [ani, budi, citra] = rows;
    assert.deepEqual(ani.flags, [{kind: "rapid", p_value: 1.2e-8, threshold: 0.002, room: null}]);
    assert.equal(budi.look, "interim");
    assert.deepEqual(budi.flags, [{kind: "operator", p_value: 3e-11, threshold: 1e-5, room: {sessions: ["R-2", "R-3"], others: ["Citra"]}}]);
    assert.deepEqual(citra.flags[0].room.others, ["Budi"]);
  });

  test("a flag whose statistic the look did not compute has no p-value; an empty report has no rows", () => {
    const r = report();
    r.sessions[1].flags = ["speed_change", "preknowledge"];
    const budi = I.flaggedSessions(r).find((s) => s.session_id === "R-2");
    assert.deepEqual(budi.flags.map((f) => [f.kind, f.p_value]), [["speed_change", 0.5], ["preknowledge", null], ["operator", 3e-11]]);
    assert.deepEqual(I.flaggedSessions({sessions: [], room_timing: {flags: []}}), []);
    assert.deepEqual(I.flaggedSessions(null), []);
  });
});

describe("p-values on a log scale", () => {
  test("each decade takes the same width, 1 is at the left end and smaller p-values lie further right", () => {
    const [x0, x1, floor] = [100, 700, -6];
    assert.deepEqual(I.logPlace(1, floor, x0, x1), {x: x0, beyond: false});
    const places = [0.1, 0.01, 0.001, 1e-4, 1e-5].map((p) => I.logPlace(p, floor, x0, x1).x);
    for (const [k, x] of places.entries()) assert.ok(Math.abs(x - (x0 + ((k + 1) * (x1 - x0)) / 6)) < 1e-9, `${k}: ${x}`);
    // a threshold of 0.002 between the decades 0.01 and 0.001, at log10(0.002)/floor of the width
    const {x} = I.logPlace(0.002, floor, x0, x1);
    assert.ok(x > places[1] && x < places[2]);
    assert.ok(Math.abs(x - (x0 + (x1 - x0) * (Math.log10(0.002) / floor))) < 1e-9);
  });

  test("a p-value at or past the axis's end, 0 or missing, is put at the end and marked beyond it", () => {
    for (const p of [1e-6, 1e-9, 0, null, Number.NaN]) assert.deepEqual(I.logPlace(p, -6, 0, 600), {x: 600, beyond: true}, String(p));
    assert.deepEqual(I.logPlace(1.5, -6, 0, 600), {x: 0, beyond: false});
  });

  test("the axis reaches one decade under the smallest p-value or threshold, from 1e-4 down to 1e-12", () => {
    assert.equal(I.pFloor([0.5, 0.002, null]), I.SHALLOWEST_DECADE); // 0.002 -> -4 at least
    assert.equal(I.pFloor([]), I.SHALLOWEST_DECADE);
    assert.equal(I.pFloor([0.3, 1.2e-8, 0.002]), -9);
    assert.equal(I.pFloor([1e-30, 0]), I.DEEPEST_DECADE);
    // every value shown lies inside the axis (none beyond it) unless it is past 1e-12
    const floor = I.pFloor([3e-7, 0.0125]);
    assert.equal(I.logPlace(3e-7, floor, 0, 1).beyond, false);
  });

  test("decade ticks from 1 to the floor, every second one on a long axis, the floor always labelled", () => {
    assert.deepEqual(I.decadeTicks(-4).map((t) => t.exponent), [0, -1, -2, -3, -4]);
    assert.deepEqual(I.decadeTicks(-9).map((t) => t.exponent), [0, -2, -4, -6, -8, -9]);
    assert.equal(I.decadeTicks(-2)[2].value, 0.01);
  });

  test("one row per statistic kind, every session's point, flagged ones marked, the row's distinct thresholds", () => {
    const {floor, rows} = I.pStrips(report());
    assert.deepEqual(rows.map((r) => r.kind), I.STAT_KINDS);
    assert.equal(floor, -9); // Ani's 1.2e-8
    const rapid = rows.find((r) => r.kind === "rapid");
    assert.deepEqual(rapid.points.map((p) => [p.session_id, p.flagged]), [["R-1", true], ["R-2", false], ["R-3", false]]);
    assert.deepEqual(rapid.thresholds, [0.002]);
    // the change test at the final look (0.0125) and the interim one (0.0025): two thresholds, larger first
    assert.deepEqual(rows.find((r) => r.kind === "speed_change").thresholds, [0.0125, 0.0025]);
    assert.deepEqual(rows.find((r) => r.kind === "preknowledge").points, []);
    // a session holding a flag of the kind is highlighted even when this look's statistic is above its threshold
    const r = report();
    r.sessions[1].flags = ["speed_change"];
    const change = I.pStrips(r).rows.find((row) => row.kind === "speed_change");
    assert.equal(change.points.find((p) => p.session_id === "R-2").flagged, true);
  });

  test("the spread within a row is in [-1, 1) and differs between neighbours", () => {
    const spreads = Array.from({length: 40}, (_, i) => I.spread(i));
    assert.ok(spreads.every((s) => s >= -1 && s < 1));
    for (let i = 1; i < spreads.length; i += 1) assert.ok(Math.abs(spreads[i] - spreads[i - 1]) > 0.05, String(i));
  });
});

describe("answer timing: one lane per seat", () => {
  test("a lane per session of a group, its arrivals in seconds from the group's first answer", () => {
    const [group] = I.timingGroups(report());
    assert.equal(group.kind, "operator");
    assert.equal(group.t0_ms, T0 + 4000);
    assert.equal(group.span_s, 20);
    assert.deepEqual(group.lanes.map((l) => [l.session_id, l.name, l.times_s]), [
      ["R-2", "Budi", [0, 8, 16]],
      ["R-3", "Citra", [4, 12, 20]],
    ]);
    // the lanes take turns: merged in time order, every answer comes from the other seat
    const merged = group.lanes.flatMap((l, i) => l.times_s.map((v) => [v, i])).sort((a, b) => a[0] - b[0]);
    assert.ok(merged.every(([, lane], k) => k === 0 || lane !== merged[k - 1][1]));
  });

  test("a group from a server without arrival times has no lanes", () => {
    const r = report();
    delete r.room_timing.flags[0].arrival_ms;
    const [group] = I.timingGroups(r);
    assert.deepEqual([group.lanes, group.t0_ms, group.span_s], [[], null, 0]);
  });

  test("the window stays inside the span; the whole span when no width or a wider one", () => {
    assert.deepEqual(I.timeWindow(3600, null, 500), {from: 0, to: 3600, start: 0, maxStart: 0});
    assert.deepEqual(I.timeWindow(100, 600, 50), {from: 0, to: 100, start: 0, maxStart: 0});
    assert.deepEqual(I.timeWindow(3600, 600, 1000), {from: 1000, to: 1600, start: 1000, maxStart: 3000});
    assert.deepEqual(I.timeWindow(3600, 600, 9999), {from: 3000, to: 3600, start: 3000, maxStart: 3000});
    assert.deepEqual(I.timeWindow(3600, 120, -5), {from: 0, to: 120, start: 0, maxStart: 3480});
    assert.deepEqual(I.inWindow([0, 5, 10, 15], 5, 10), [5, 10]);
  });

  test("time ticks at a clock-friendly step, at most the count asked", () => {
    assert.deepEqual(I.timeTicks(0, 120), [0, 15, 30, 45, 60, 75, 90, 105, 120]);
    const hour = I.timeTicks(0, 3600);
    assert.deepEqual([hour[1] - hour[0], hour.length], [600, 7]);
    assert.deepEqual(I.timeTicks(100, 220).slice(0, 2), [105, 120]);
    for (const span of [7, 95, 1000, 20_000, 200_000]) assert.ok(I.timeTicks(0, span).length <= 9, String(span));
  });
});

describe("the view's texts", () => {
  const read = (name) => readFileSync(join(STATIC_DIR, name), "utf8");

  test("every key the view looks up is in the admin page's texts, in both languages", () => {
    const script = read("admin_integrity.js") + read("admin_integrity_plots.js");
    const used = new Set([...script.matchAll(/"((?:integrity|stat)_[a-z0-9_]+)"/g)].map((m) => m[1]));
    for (const kind of [...I.STAT_KINDS, ...I.ROOM_KINDS]) used.add(`stat_${kind}`); // made as `stat_${kind}`
    for (const key of ["integrity_summary", "integrity_point_flagged", "integrity_shown", "integrity_mark"]) assert.ok(used.has(key), key);
    for (const key of used) assert.ok(ADMIN.id[key] && ADMIN.en[key], key);
  });

  test("the flags' reasons and p-value wording come from the proctor console's texts, for every kind", () => {
    for (const kind of [...I.STAT_KINDS, ...I.ROOM_KINDS]) {
      assert.ok(FLAG_KINDS.includes(kind), kind);
      for (const lang of ["id", "en"]) assert.ok(PROCTOR[lang][`flag_${kind}`], `${lang} flag_${kind}`);
    }
    for (const lang of ["id", "en"]) assert.ok(PROCTOR[lang].flag_p.includes("{p}") && PROCTOR[lang].flag_p.includes("{threshold}"));
    // shared, not copied: the admin page has no reasons of its own
    for (const kind of FLAG_KINDS) assert.equal(ADMIN.id[`flag_${kind}`], undefined, kind);
  });

  test("the note says a flag is not proof of cheating, in both languages", () => {
    assert.match(ADMIN.id.integrity_note, /bukan bukti kecurangan/);
    assert.match(ADMIN.en.integrity_note, /not proof of cheating/);
  });
});
