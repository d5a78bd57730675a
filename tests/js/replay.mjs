// Replays recorded proctor frames into proctor_model.js and checks the result against the server's own view of the
// room. Run by tests/test_pages_js.py, which records the frames from a real server:
//
//   node tests/js/replay.mjs recording.json
//
// recording.json = {
//   replays: [{name, resume_from (null, or the last_event_id the first recorded hello carried), frames: [...] (of
//              one connection, or of several one after the other, as a console sees them across a reconnect),
//              expect: the GET /api/rooms/{id} reply taken after the frames}],
//   details: {session_id: the server's `detail` frame of that session}
// }
//
// For each replay: no frame asks for a fresh snapshot; the model's rows equal the GET's sessions, field by field, the
// time left projected to the GET's at_ms (0.15 s allowed on clocks that run); the model's counts per phase equal the
// GET's `counts`; each session's chart points equal the server's `detail` points, and every subtest result the model
// holds equals the detail's. Prints what differs and exits 1 when anything does.

import {readFileSync} from "node:fs";
import {load} from "./static.mjs";

const {RoomModel, timeLeftAt, clockRuns, phaseCounts, normalizeResult} = await load("proctor_model.js");

const TIME_TOLERANCE_S = 0.15;
const POINT_TOLERANCE = 1e-4; // the detail frame's points are rounded to 4 decimals, the events' are not
const problems = [];
const problem = (replay, text) => problems.push(`${replay}: ${text}`);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const close = (a, b, tol) => typeof a === "number" && typeof b === "number" && Math.abs(a - b) <= tol;

function checkRows(name, model, expect) {
  const at = expect.at_ms;
  if (typeof at !== "number") problem(name, `the GET reply has no at_ms (${JSON.stringify(at)})`);
  const rows = model.list();
  if (!same(rows.map((r) => r.session_id).sort(), expect.sessions.map((s) => s.session_id).sort())) {
    problem(name, `sessions ${JSON.stringify(rows.map((r) => r.session_id))} != ${JSON.stringify(expect.sessions.map((s) => s.session_id))}`);
  }
  for (const want of expect.sessions) {
    const row = model.row(want.session_id);
    if (!row) continue;
    const {at_ms: _moment, ...got} = row;
    if (!same(Object.keys(got).sort(), Object.keys(want).sort())) {
      problem(name, `${want.session_id}: fields ${JSON.stringify(Object.keys(got).sort())} != ${JSON.stringify(Object.keys(want).sort())}`);
    }
    for (const key of Object.keys(want)) {
      if (key === "time_left_s") continue;
      if (!same(got[key], want[key])) problem(name, `${want.session_id}.${key}: ${JSON.stringify(got[key])} != ${JSON.stringify(want[key])}`);
    }
    const left = timeLeftAt(row, at);
    const wanted = want.time_left_s;
    const ok =
      wanted === null ? left === null : clockRuns(row) ? close(left, wanted, TIME_TOLERANCE_S) : close(left, wanted, 1e-9);
    if (!ok) {
      problem(name, `${want.session_id}.time_left_s: ${left} (view ${row.time_left_s} at ${row.at_ms}, runs ${clockRuns(row)}) != ${wanted} at ${at}`);
    }
  }
  const counts = phaseCounts(rows);
  if (!same(Object.entries(counts).sort(), Object.entries(expect.counts).sort())) {
    problem(name, `counts ${JSON.stringify(counts)} != ${JSON.stringify(expect.counts)}`);
  }
}

function checkDetails(name, model, details) {
  for (const [sid, detail] of Object.entries(details)) {
    if (!model.row(sid)) continue;
    for (const sub of detail.subtests) {
      const got = model.trajectory(sid, sub.index);
      const want = sub.points;
      const ok =
        got.length === want.length &&
        got.every((p, i) => p.position === want[i].position && close(p.theta, want[i].theta, POINT_TOLERANCE) && close(p.se, want[i].se, POINT_TOLERANCE));
      if (!ok) problem(name, `${sid} subtest ${sub.index}: points ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
    }
    for (const [index, result] of model.results(sid)) {
      const sub = detail.subtests.find((s) => s.index === index);
      if (!sub?.result || !same(result, normalizeResult(sub.result))) {
        problem(name, `${sid} subtest ${index}: result ${JSON.stringify(result)} != ${JSON.stringify(sub?.result ?? null)}`);
      }
    }
    if (model.row(sid).phase === "finished") {
      const done = detail.subtests.filter((s) => s.status === "done").length;
      if (model.results(sid).size !== done) problem(name, `${sid}: ${model.results(sid).size} results, the server has ${done}`);
    }
  }
}

const recording = JSON.parse(readFileSync(process.argv[2], "utf-8"));
for (const replay of recording.replays) {
  const model = new RoomModel();
  if (replay.resume_from) model.lastEventId = replay.resume_from;
  let resyncs = 0;
  for (const frame of replay.frames) {
    const change = model.applyFrame(frame, replay.expect.at_ms);
    if (change.resync) resyncs += 1;
  }
  if (resyncs) problem(replay.name, `${resyncs} frame(s) asked for a fresh snapshot`);
  if (model.stats.snapshots < 1) problem(replay.name, "no snapshot");
  checkRows(replay.name, model, replay.expect);
  checkDetails(replay.name, model, recording.details);
  const s = model.stats;
  console.log(
    `${replay.name}: ${replay.frames.length} frames, ${s.events} events (${s.views} views applied, ${s.history} history, ` +
      `${s.duplicates} duplicates), ${model.list().length} rows`,
  );
}
if (problems.length) {
  console.log(`\n${problems.length} difference(s):\n${problems.join("\n")}`);
  process.exit(1);
}
console.log("the model's rows, counts, points and results equal the server's");
