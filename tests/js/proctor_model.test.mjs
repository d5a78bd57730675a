// proctor_model.js: the console's room from the snapshot and the event stream, without a browser.

import assert from "node:assert/strict";
import {describe, test} from "node:test";
import {load} from "./static.mjs";

const M = await load("proctor_model.js");
const {RoomModel} = M;

const T0 = 1_796_300_000_000;

const ROOM = {
  room_id: "R7K2QX",
  name: "Ruang 1",
  battery: {id: "b", version: "1", name: "B"},
  subtests: [
    {id: "s1", name: "Satu", se_target: 0.3, max_items: 5, time_limit_s: 600},
    {id: "s2", name: "Dua", se_target: 0.35, max_items: 5, time_limit_s: null},
  ],
};

function view(n, fields = {}) {
  return {
    session_id: `R7K2QX-000${n}`,
    employee_id: `E${n}`,
    name: `Peserta ${n}`,
    phase: "ready",
    connected: false,
    subtest_index: 0,
    subtest: "s1",
    answered: 0,
    answered_total: 0,
    theta: null,
    se: null,
    se_target: 0.3,
    time_left_s: 600,
    last_seen_ms: null,
    pause_reason: "",
    terminated_reason: "",
    allowed: ["terminate"],
    ...fields,
  };
}

const active = (n, fields = {}) =>
  view(n, {phase: "active", connected: true, last_seen_ms: T0, allowed: ["pause", "extend", "terminate"], ...fields});

function snapshot(sessions, last = "0-0", at = T0) {
  return {type: "snapshot", room: ROOM, sessions, last_event_id: last, at_ms: at};
}

function ev(id, n, event, v = undefined) {
  const item = {type: "event", id, session_id: `R7K2QX-000${n}`, event: {at_ms: Number(id.split("-")[0]), ...event}};
  if (v) item.view = v;
  return item;
}

const strip = ({at_ms, ...row}) => row;

describe("snapshot and events", () => {
  test("the snapshot's views become the rows, in its order, with its moment", () => {
    const m = new RoomModel();
    const views = [view(2), active(1)];
    const change = m.applyFrame(snapshot(views, "0-0", T0 + 5), T0 + 9);
    assert.equal(change.snapshot, true);
    assert.deepEqual([...change.changed], ["R7K2QX-0002", "R7K2QX-0001"]);
    assert.deepEqual(m.list().map(strip), views);
    assert.ok(m.list().every((row) => row.at_ms === T0 + 5));
    assert.equal(m.lastEventId, "0-0");
    assert.equal(m.watermark, "0-0");
    assert.equal(m.room, ROOM);
  });

  test("a snapshot without at_ms (an older server) takes the moment it is applied", () => {
    const m = new RoomModel();
    const frame = snapshot([view(1)]);
    delete frame.at_ms;
    m.applyFrame(frame, T0 + 42);
    assert.equal(m.row("R7K2QX-0001").at_ms, T0 + 42);
  });

  test("an event's view replaces the row; an event without one leaves it as it is", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([view(1), view(2)]), T0);
    const after = active(1, {answered: 0, last_seen_ms: T0 + 1000, time_left_s: 600});
    m.applyFrame(ev(`${T0 + 1000}-0`, 1, {type: "connected"}), T0 + 1000);
    assert.equal(m.row("R7K2QX-0001").phase, "ready"); // no view: nothing re-derived
    const change = m.applyFrame(ev(`${T0 + 1000}-1`, 1, {type: "item_presented", seq: 1, subtest: 0, position: 1}, after), T0 + 1000);
    assert.deepEqual(strip(m.row("R7K2QX-0001")), after);
    assert.equal(m.row("R7K2QX-0001").at_ms, T0 + 1000);
    assert.deepEqual([...change.changed], ["R7K2QX-0001"]);
    assert.equal(change.liveAt, T0 + 1000);
    assert.equal(m.lastEventId, `${T0 + 1000}-1`);
    assert.deepEqual(strip(m.row("R7K2QX-0002")), view(2));
  });

  test("a batch applies each event in order", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1)]), T0);
    const v1 = active(1, {answered: 1, answered_total: 1, theta: 0.4, se: 0.8});
    const v2 = active(1, {answered: 2, answered_total: 2, theta: 0.2, se: 0.6});
    const frame = {
      type: "events",
      events: [
        {id: `${T0 + 10}-0`, session_id: "R7K2QX-0001", event: {type: "answered", at_ms: T0 + 10, seq: 1, subtest: 0, theta: 0.4, se: 0.8}},
        {id: `${T0 + 10}-1`, session_id: "R7K2QX-0001", event: {type: "item_presented", at_ms: T0 + 10, seq: 2, subtest: 0, position: 2}, view: v1},
        {id: `${T0 + 20}-0`, session_id: "R7K2QX-0001", event: {type: "answered", at_ms: T0 + 20, seq: 2, subtest: 0, theta: 0.2, se: 0.6}},
        {id: `${T0 + 20}-1`, session_id: "R7K2QX-0001", event: {type: "item_presented", at_ms: T0 + 20, seq: 3, subtest: 0, position: 3}, view: v2},
      ],
    };
    const change = m.applyFrame(frame, T0 + 30);
    assert.deepEqual(strip(m.row("R7K2QX-0001")), v2);
    assert.equal(m.row("R7K2QX-0001").at_ms, T0 + 20);
    assert.equal(change.liveAt, T0 + 20);
    assert.equal(m.stats.views, 2);
  });

  test("duplicates (ids at or below the last applied) change nothing", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1)], `${T0}-5`), T0);
    const stale = m.applyFrame(ev(`${T0}-5`, 1, {type: "paused", reason: ""}, view(1, {phase: "paused"})), T0);
    assert.equal(m.row("R7K2QX-0001").phase, "active");
    assert.equal(stale.changed.size, 0);
    m.applyFrame(ev(`${T0 + 1}-0`, 1, {type: "paused", reason: "x"}, active(1, {phase: "paused", pause_reason: "x"})), T0);
    m.applyFrame(ev(`${T0 + 1}-0`, 1, {type: "resumed"}, active(1)), T0); // the same id again
    assert.equal(m.row("R7K2QX-0001").phase, "paused");
    assert.equal(m.stats.duplicates, 2);
  });

  test("events up to the snapshot's last_event_id are history: their views are not applied, their points are", () => {
    const m = new RoomModel();
    m.lastEventId = `${T0}-0`; // resuming a stream
    const now = active(1, {answered: 2, answered_total: 2, theta: 0.1, se: 0.5});
    m.applyFrame(snapshot([now], `${T0 + 20}-1`, T0 + 30), T0 + 30);
    const old = active(1, {answered: 1, answered_total: 1, theta: 0.4, se: 0.8});
    m.applyFrame(ev(`${T0 + 10}-0`, 1, {type: "answered", seq: 1, subtest: 0, theta: 0.4, se: 0.8}), T0 + 30);
    const change = m.applyFrame(ev(`${T0 + 10}-1`, 1, {type: "item_presented", seq: 2, subtest: 0, position: 2}, old), T0 + 30);
    assert.deepEqual(strip(m.row("R7K2QX-0001")), now);
    assert.equal(change.liveAt, null);
    assert.equal(m.stats.history, 2);
    assert.equal(m.lastEventId, `${T0 + 10}-1`);
    assert.deepEqual(m.trajectory("R7K2QX-0001", 0), [{position: 1, theta: 0.4, se: 0.8}]);
    // past the watermark, views apply again
    const later = active(1, {answered: 3, answered_total: 3});
    m.applyFrame(ev(`${T0 + 40}-1`, 1, {type: "item_presented", seq: 4, subtest: 0, position: 4}, later), T0 + 40);
    assert.deepEqual(strip(m.row("R7K2QX-0001")), later);
  });

  test("a live event of a session the snapshot lacks asks for a fresh snapshot; history of one gone is skipped", () => {
    const m = new RoomModel();
    m.lastEventId = "5-0";
    m.applyFrame(snapshot([active(1)], "9-0"), T0);
    const gone = m.applyFrame(ev("7-0", 3, {type: "connected"}, active(3)), T0);
    assert.equal(gone.resync, false);
    assert.equal(m.lastEventId, "7-0");
    assert.equal(m.row("R7K2QX-0003"), null);
    const fresh = m.applyFrame(ev("10-0", 4, {type: "connected"}, active(4)), T0);
    assert.equal(fresh.resync, true);
    assert.equal(m.lastEventId, "7-0"); // not moved past it: the event comes again, after the new snapshot
    assert.equal(m.row("R7K2QX-0004"), null);
    // the fresh snapshot holds the newcomer
    const again = m.applyFrame(snapshot([active(1), active(4)], "10-0"), T0);
    assert.equal(again.resync, false);
    assert.equal(m.row("R7K2QX-0004").phase, "active");
  });

  test("a new snapshot drops sessions no longer in the room, their alerts and their tracks", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1), active(2, {connected: false})]), T0);
    m.applyFrame(ev(`${T0}-1`, 2, {type: "answered", seq: 1, subtest: 0, theta: 0, se: 1}), T0);
    assert.equal(m.activeAlerts().length, 1);
    m.applyFrame(snapshot([active(1)], `${T0}-1`), T0);
    assert.equal(m.list().length, 1);
    assert.equal(m.activeAlerts().length, 0);
    assert.equal(m.tracks.has("R7K2QX-0002"), false);
  });

  test("ids compare as stream ids", () => {
    assert.ok(M.compareIds("10-0", "9-5") > 0);
    assert.ok(M.compareIds("10-2", "10-10") < 0);
    assert.equal(M.compareIds("0-0", "0-0"), 0);
    assert.ok(M.compareIds("1-0", "0-0") > 0);
  });
});

describe("time left", () => {
  test("runs down from the view's moment only while active and connected", () => {
    const running = {...active(1, {time_left_s: 100}), at_ms: T0};
    assert.equal(M.timeLeftAt(running, T0), 100);
    assert.equal(M.timeLeftAt(running, T0 + 2500), 97.5);
    assert.equal(M.timeLeftAt(running, T0 + 500_000), 0);
    assert.equal(M.clockRuns(running), true);
    for (const fields of [{connected: false}, {phase: "paused"}, {phase: "ready", connected: true}]) {
      const frozen = {...running, ...fields};
      assert.equal(M.timeLeftAt(frozen, T0 + 2500), 100, JSON.stringify(fields));
    }
    assert.equal(M.timeLeftAt({...running, time_left_s: null}, T0 + 2500), null);
  });

  test("a row's moment is its snapshot's or its event's", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1, {time_left_s: 300})], "0-0", T0), T0 + 100);
    assert.equal(M.timeLeftAt(m.row("R7K2QX-0001"), T0 + 10_000), 290);
    m.applyFrame(ev(`${T0 + 20_000}-0`, 1, {type: "time_extended", subtest: 0, extra_ms: 60000}, active(1, {time_left_s: 340})), T0 + 20_100);
    assert.equal(M.timeLeftAt(m.row("R7K2QX-0001"), T0 + 30_000), 330);
  });
});

describe("counts, filters and sort", () => {
  const rows = [
    {...active(1, {answered: 2, answered_total: 2, se: 0.5}), at_ms: T0},
    {...view(2), at_ms: T0},
    {...active(3, {connected: false, answered: 1, answered_total: 6, subtest_index: 1, se: 0.4, se_target: 0.35}), at_ms: T0},
    {...view(4, {phase: "paused", connected: true, answered: 3, answered_total: 3, last_seen_ms: T0 - 1000, allowed: ["resume", "extend", "terminate"]}), at_ms: T0},
    {...view(5, {phase: "finished", answered_total: 12, time_left_s: null, allowed: []}), at_ms: T0},
    {...view(6, {phase: "terminated", answered_total: 4, time_left_s: null, terminated_reason: "x", allowed: []}), at_ms: T0},
  ];

  test("counts per status and per phase", () => {
    assert.deepEqual(M.countsOf(rows, T0), {
      all: 6,
      attention: 2,
      active: 1,
      intro: 0,
      waiting: 0,
      disconnected: 1,
      paused: 1,
      ready: 1,
      finished: 1,
      terminated: 1,
    });
    assert.deepEqual(M.phaseCounts(rows), {active: 2, ready: 1, paused: 1, finished: 1, terminated: 1});
    assert.deepEqual(M.phaseCounts([]), {});
  });

  test("filters", () => {
    const ids = (filter) => M.visibleRows(rows, {filter, nowMs: T0}).map((r) => r.employee_id);
    assert.deepEqual(ids("all"), ["E1", "E2", "E3", "E4", "E5", "E6"]);
    assert.deepEqual(ids("attention"), ["E3", "E4"]);
    assert.deepEqual(ids("disconnected"), ["E3"]);
    assert.deepEqual(ids("active"), ["E1"]);
    assert.deepEqual(ids("finished"), ["E5"]);
  });

  test("sort keys, both directions, unknown values last, ties in roster order", () => {
    const ids = (key, dir = 1) => M.visibleRows(rows, {sort: {key, dir}, nowMs: T0}).map((r) => r.employee_id);
    assert.deepEqual(ids("order", -1), ["E6", "E5", "E4", "E3", "E2", "E1"]);
    assert.deepEqual(ids("status"), ["E3", "E4", "E1", "E2", "E5", "E6"]);
    assert.deepEqual(ids("answered"), ["E2", "E1", "E4", "E6", "E3", "E5"]);
    assert.deepEqual(ids("answered", -1), ["E5", "E3", "E6", "E4", "E1", "E2"]);
    assert.deepEqual(ids("progress"), ["E2", "E1", "E4", "E3", "E5", "E6"]);
    // se against the target; no SE last in both directions
    assert.deepEqual(ids("se"), ["E3", "E1", "E2", "E4", "E5", "E6"]);
    assert.deepEqual(ids("se", -1), ["E1", "E3", "E2", "E4", "E5", "E6"]);
    // time left (no limit last); seen (never seen last)
    assert.deepEqual(ids("time").slice(-2), ["E5", "E6"]);
    assert.deepEqual(ids("seen"), ["E4", "E1", "E3", "E2", "E5", "E6"]);
    const byName = M.visibleRows([rows[1], rows[0]], {sort: {key: "name", dir: 1}, nowMs: T0});
    assert.deepEqual(byName.map((r) => r.employee_id), ["E1", "E2"]);
  });

  test("the time sort follows the running clocks", () => {
    const a = {...active(1, {time_left_s: 100}), at_ms: T0};
    const b = {...active(2, {time_left_s: 90, connected: false}), at_ms: T0};
    const order = (now) => M.visibleRows([a, b], {sort: {key: "time", dir: 1}, nowMs: now}).map((r) => r.employee_id);
    assert.deepEqual(order(T0), ["E2", "E1"]);
    assert.deepEqual(order(T0 + 20_000), ["E1", "E2"]); // a ran down to 80, b stood still at 90
  });

  test("row numbers come from the session id", () => {
    assert.equal(M.rowNumber({session_id: "R7K2QX-0007"}, 0), "7");
    assert.equal(M.rowNumber({session_id: "odd"}, 4), "5");
  });
});

describe("stuck", () => {
  const row = {...active(1, {last_seen_ms: T0}), at_ms: T0};

  test("an active, connected candidate silent for five minutes needs a look", () => {
    assert.equal(M.idleMinutes(row, T0 + 4 * 60_000 + 59_999), 0);
    assert.equal(M.statusKey(row, T0 + 4 * 60_000), "active");
    assert.equal(M.needsAttention(row, T0 + 4 * 60_000), false);
    assert.equal(M.idleMinutes(row, T0 + 5 * 60_000), 5);
    assert.equal(M.idleMinutes(row, T0 + 6 * 60_000 + 30_000), 6);
    assert.equal(M.statusKey(row, T0 + 6 * 60_000), "stuck");
    assert.equal(M.category(row), "active");
    assert.equal(M.needsAttention(row, T0 + 6 * 60_000), true);
    assert.equal(M.countsOf([row], T0 + 6 * 60_000).attention, 1);
    assert.deepEqual(M.visibleRows([row], {filter: "attention", nowMs: T0 + 6 * 60_000}), [row]);
  });

  test("only while active and connected, and only once seen", () => {
    const later = T0 + 60 * 60_000;
    assert.equal(M.idleMinutes({...row, connected: false}, later), 0);
    assert.equal(M.idleMinutes({...row, phase: "paused"}, later), 0);
    assert.equal(M.idleMinutes({...row, last_seen_ms: null}, later), 0);
    assert.equal(M.statusKey({...row, connected: false}, later), "disconnected");
  });
});

describe("alerts", () => {
  test("raised for an active candidate whose connection is down, cleared when they are back", () => {
    const m = new RoomModel();
    const first = m.applyFrame(snapshot([active(1), active(2, {connected: false, last_seen_ms: T0 - 5000})]), T0);
    assert.deepEqual(first.raised, ["R7K2QX-0002"]);
    assert.deepEqual(m.activeAlerts(), [{session_id: "R7K2QX-0002", since: T0 - 5000}]);
    const down = m.applyFrame(ev(`${T0 + 10}-0`, 1, {type: "disconnected"}, active(1, {connected: false, last_seen_ms: T0 + 10})), T0 + 10);
    assert.deepEqual(down.raised, ["R7K2QX-0001"]);
    assert.deepEqual(m.activeAlerts().map((a) => a.session_id), ["R7K2QX-0001", "R7K2QX-0002"]); // newest first
    assert.equal(m.isAlerting("R7K2QX-0001"), true);
    // still down: no second alert
    const again = m.applyFrame(ev(`${T0 + 20}-0`, 1, {type: "time_extended", subtest: 0, extra_ms: 1000}, active(1, {connected: false, last_seen_ms: T0 + 10})), T0 + 20);
    assert.deepEqual(again.raised, []);
    // back: the alert clears itself
    m.applyFrame(ev(`${T0 + 30}-0`, 1, {type: "connected"}, active(1, {last_seen_ms: T0 + 30})), T0 + 30);
    assert.equal(m.isAlerting("R7K2QX-0001"), false);
    assert.deepEqual(m.activeAlerts().map((a) => a.session_id), ["R7K2QX-0002"]);
  });

  test("a dismissed alert stays dismissed until the candidate is back and drops again", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1, {connected: false})]), T0);
    m.dismissAlert("R7K2QX-0001");
    assert.deepEqual(m.activeAlerts(), []);
    assert.equal(m.isAlerting("R7K2QX-0001"), false);
    m.applyFrame(snapshot([active(1, {connected: false})]), T0 + 5);
    assert.deepEqual(m.activeAlerts(), []);
    m.applyFrame(ev(`${T0 + 10}-0`, 1, {type: "connected"}, active(1)), T0 + 10);
    const down = m.applyFrame(ev(`${T0 + 20}-0`, 1, {type: "disconnected"}, active(1, {connected: false, last_seen_ms: null})), T0 + 21);
    assert.deepEqual(down.raised, ["R7K2QX-0001"]);
    assert.deepEqual(m.activeAlerts(), [{session_id: "R7K2QX-0001", since: T0 + 21}]); // never seen: since now
    m.dismissAllAlerts();
    assert.deepEqual(m.activeAlerts(), []);
  });

  test("no alert for a paused, finished or not-yet-started candidate offline", () => {
    const m = new RoomModel();
    const change = m.applyFrame(snapshot([view(1), view(2, {phase: "paused"}), view(3, {phase: "finished"})]), T0);
    assert.deepEqual(change.raised, []);
  });
});

describe("trajectory and results", () => {
  const SID = "R7K2QX-0001";
  const answered = (id, seq, subtest, theta, se) => ev(id, 1, {type: "answered", seq, subtest, item_index: 1, theta, se});
  const presented = (id, seq, subtest, position, v) => ev(id, 1, {type: "item_presented", seq, subtest, item_index: 2, position}, v);
  const result = (id, name, items, stop = "se_target") => ({
    subtest_id: id, name, theta: 0.5, se: 0.29, level: 3, level_probability: 0.874, scaled_score: 550, items_administered: items,
    time_used_s: 60, stop_reason: stop, pool_id: "p", pool_version: "1",
  });

  test("points placed by the items presented, results from subtest_done and finished", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([view(1)]), T0);
    m.applyFrame(ev("1-0", 1, {type: "connected"}), T0);
    m.applyFrame(presented("1-1", 1, 0, 1, active(1)), T0);
    m.applyFrame(answered("2-0", 1, 0, 0.4, 0.8), T0);
    m.applyFrame(presented("2-1", 2, 0, 2, active(1, {answered: 1, answered_total: 1, theta: 0.4, se: 0.8})), T0);
    m.applyFrame(answered("3-0", 2, 0, 0.3, 0.6), T0);
    const done = m.applyFrame(ev("3-1", 1, {type: "subtest_done", subtest: 0, result: result("s1", "Satu", 2)}), T0);
    assert.equal(done.resultsChanged, true);
    m.applyFrame(presented("3-2", 3, 1, 1, active(1, {subtest_index: 1, subtest: "s2", answered_total: 2})), T0);
    m.applyFrame(answered("4-0", 3, 1, -0.2, 0.9), T0);
    m.applyFrame(presented("4-1", 4, 1, 2, active(1, {subtest_index: 1, subtest: "s2", answered: 1, answered_total: 3})), T0);
    assert.deepEqual(m.trajectory(SID, 0), [{position: 1, theta: 0.4, se: 0.8}, {position: 2, theta: 0.3, se: 0.6}]);
    assert.deepEqual(m.trajectory(SID, 1), [{position: 1, theta: -0.2, se: 0.9}]);
    assert.deepEqual(m.chartSubtests(SID), [0, 1]);
    let lines = m.subtestRows(SID);
    assert.deepEqual(lines.map((l) => [l.status, l.items]), [["done", 2], ["current", 1]]);
    assert.equal(lines[0].result.level, 3);
    assert.equal(lines[1].theta, -0.2);
    // the last answer ends the battery: its result comes with `finished`
    m.applyFrame(answered("5-0", 4, 1, -0.1, 0.7), T0);
    m.applyFrame(ev("5-1", 1, {type: "subtest_done", subtest: 1, result: result("s2", "Dua", 2, "max_items")}), T0);
    const finishedView = view(1, {phase: "finished", subtest_index: 2, subtest: null, answered_total: 4, time_left_s: null, allowed: []});
    m.applyFrame(ev("5-2", 1, {type: "finished", profile: {subtests: [result("s1", "Satu", 2), result("s2", "Dua", 2, "max_items")]}}, finishedView), T0);
    assert.deepEqual(m.trajectory(SID, 1).map((p) => p.position), [1, 2]);
    lines = m.subtestRows(SID);
    assert.deepEqual(lines.map((l) => [l.status, l.items, l.result.stop_reason]), [["done", 2, "se_target"], ["done", 2, "max_items"]]);
    assert.deepEqual(m.chartSubtests(SID), [0, 1]);
  });

  test("answers seen before any item of their subtest are placed once one is, or by the subtest's result", () => {
    const m = new RoomModel();
    // the console joined while item seq 7 (position 3 of subtest 0) was on screen
    m.applyFrame(snapshot([active(1, {answered: 2, answered_total: 2})], "9-0"), T0);
    m.applyFrame(answered("10-0", 7, 0, 0.1, 0.5), T0);
    assert.deepEqual(m.trajectory(SID, 0), []); // no anchor yet
    m.applyFrame(presented("10-1", 8, 0, 4, active(1, {answered: 3, answered_total: 3})), T0);
    assert.deepEqual(m.trajectory(SID, 0), [{position: 3, theta: 0.1, se: 0.5}]);
    // the next answer ends the subtest: no item of it presented after, the result says where it was
    const m2 = new RoomModel();
    m2.applyFrame(snapshot([active(1, {answered: 4, answered_total: 4})], "9-0"), T0);
    m2.applyFrame(answered("10-0", 9, 0, 0.2, 0.3), T0);
    m2.applyFrame(ev("10-1", 1, {type: "subtest_done", subtest: 0, result: result("s1", "Satu", 5)}), T0);
    m2.applyFrame(presented("10-2", 10, 1, 1, active(1, {subtest_index: 1, answered_total: 5})), T0);
    assert.deepEqual(m2.trajectory(SID, 0), [{position: 5, theta: 0.2, se: 0.3}]);
    assert.deepEqual(m2.trajectory(SID, 1), []);
    assert.deepEqual(m2.chartSubtests(SID), [0, 1]); // the one under way has a (still empty) chart
  });

  test("the server's detail frame fills in the points and results before the console came", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1, {subtest_index: 1, subtest: "s2", answered: 2, answered_total: 5})], "9-0"), T0);
    m.applyFrame(answered("10-0", 8, 1, 0.0, 0.5), T0);
    m.applyFrame(presented("10-1", 9, 1, 4, active(1, {subtest_index: 1, subtest: "s2", answered: 3, answered_total: 6})), T0);
    const ok = m.applyDetail({
      type: "detail",
      session_id: SID,
      subtests: [
        {index: 0, status: "done", points: [1, 2, 3].map((p) => ({position: p, theta: p / 10, se: 1 / p})), result: result("s1", "Satu", 3)},
        {index: 1, status: "current", points: [1, 2].map((p) => ({position: p, theta: -p / 10, se: 1 / p})), result: null},
      ],
    });
    assert.equal(ok, true);
    assert.deepEqual(m.trajectory(SID, 0).map((p) => p.position), [1, 2, 3]);
    assert.deepEqual(m.trajectory(SID, 1), [
      {position: 1, theta: -0.1, se: 1},
      {position: 2, theta: -0.2, se: 0.5},
      {position: 3, theta: 0.0, se: 0.5},
    ]);
    assert.equal(m.results(SID).get(0).items, 3);
    assert.equal(m.applyDetail({type: "detail", session_id: "R7K2QX-0099", subtests: []}), false);
  });

  test("subtest lines of a session not started, terminated, and results kept across a reload", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([view(1), view(2, {phase: "terminated", answered_total: 2, time_left_s: null, allowed: []})]), T0);
    assert.deepEqual(m.subtestRows(SID).map((l) => l.status), ["unreached", "unreached"]);
    assert.deepEqual(m.chartSubtests(SID), []);
    assert.deepEqual(m.subtestRows("R7K2QX-0002").map((l) => l.status), ["unreached", "unreached"]);
    m.applyFrame(ev("1-0", 1, {type: "subtest_done", subtest: 0, result: result("s1", "Satu", 4)}), T0);
    const kept = m.exportResults();
    assert.deepEqual(Object.keys(kept), [SID]);
    const reloaded = new RoomModel();
    reloaded.importResults(JSON.parse(JSON.stringify(kept)));
    reloaded.applyFrame(snapshot([view(1)]), T0);
    assert.deepEqual(reloaded.results(SID).get(0), m.results(SID).get(0));
    assert.deepEqual(M.normalizeResult(result("s1", "Satu", 4)), {
      items: 4, theta: 0.5, se: 0.29, level: 3, level_probability: 0.874, scaled_score: 550, stop_reason: "se_target",
    });
  });

  test("the level's probability comes with every result, null without a level or from an older server", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([view(1)]), T0);
    m.applyFrame(ev("1-0", 1, {type: "subtest_done", subtest: 0, result: result("s1", "Satu", 4)}), T0);
    assert.equal(m.results(SID).get(0).level_probability, 0.874);
    // a subtest ended before any answer: no level, no probability
    const empty = {...result("s2", "Dua", 0, "time_up"), theta: 0, se: 1, level: null, level_probability: null, scaled_score: null};
    m.applyFrame(ev("1-1", 1, {type: "subtest_done", subtest: 1, result: empty}), T0);
    assert.deepEqual([m.results(SID).get(1).level, m.results(SID).get(1).level_probability], [null, null]);
    // finished's profile and the detail frame carry it too; a result kept from before the server sent it has none
    const m2 = new RoomModel();
    m2.applyFrame(snapshot([view(1)]), T0);
    m2.applyDetail({type: "detail", session_id: SID, subtests: [{index: 0, status: "done", points: [], result: {...result("s1", "Satu", 3), level_probability: 0.612}}]});
    assert.equal(m2.results(SID).get(0).level_probability, 0.612);
    const finishedView = view(1, {phase: "finished", subtest_index: 2, subtest: null, time_left_s: null, allowed: []});
    m2.applyFrame(ev("2-0", 1, {type: "finished", profile: {subtests: [result("s1", "Satu", 3), result("s2", "Dua", 2)]}}, finishedView), T0);
    assert.equal(m2.results(SID).get(1).level_probability, 0.874);
    const {level_probability: _, ...older} = result("s1", "Satu", 4);
    assert.equal(M.normalizeResult(older).level_probability, null);
    assert.equal(M.normalizeResult({...older, level_probability: "0.9"}).level_probability, null); // numbers only
  });

  test("the level's probability in whole percent, never 0 or 100", async () => {
    assert.equal(M.levelPercent(0.874), "87");
    assert.equal(M.levelPercent(0.875), "88");
    assert.equal(M.levelPercent(0.5), "50");
    assert.equal(M.levelPercent(0.994), "99");
    assert.equal(M.levelPercent(0.995), ">99"); // rounds to 100: the level is still not certain
    assert.equal(M.levelPercent(1), ">99");
    assert.equal(M.levelPercent(0.004), "<1");
    assert.equal(M.levelPercent(0), "<1");
    for (const none of [null, undefined, Number.NaN, "0.9"]) assert.equal(M.levelPercent(none), null);
    // as the detail table writes it, with its tooltip, in each language
    const {TEXTS} = await load("proctor_texts.js");
    const {makeT} = await load("i18n.js");
    const id = makeT(TEXTS, "id");
    const en = makeT(TEXTS, "en");
    assert.equal(id("r_level_p", {level: 3, p: M.levelPercent(0.874)}), "3 (87 %)");
    assert.equal(en("r_level_p", {level: 5, p: M.levelPercent(0.999)}), "5 (>99 %)");
    assert.match(id("r_level_p_title", {level: 3, p: "87"}), /peluang 87 % bahwa level 3 adalah level sebenarnya/);
    assert.match(en("r_level_p_title", {level: 3, p: "87"}), /87 % probability that level 3 is the candidate's true level/);
  });
});

describe("commands come from the views' allowed", () => {
  const rows = [
    {...active(1), at_ms: T0},
    {...view(2), at_ms: T0},
    {...view(3, {phase: "paused", allowed: ["resume", "terminate"]}), at_ms: T0},
    {...view(4, {phase: "finished", allowed: []}), at_ms: T0},
  ];

  test("per row", () => {
    assert.equal(M.allows(rows[0], "pause"), true);
    assert.equal(M.allows(rows[1], "pause"), false);
    assert.equal(M.allows(rows[1], "terminate"), true);
    assert.equal(M.pauseOrResume(rows[0]), "pause");
    assert.equal(M.pauseOrResume(rows[2]), "resume");
    assert.equal(M.allows(rows[2], "extend"), false); // what the server says, even for a paused session
    const older = {...rows[0]};
    delete older.allowed;
    assert.equal(M.allows(older, "pause"), false); // no guess when the server does not say
  });

  test("room-wide: enabled when any session allows the command, reaching those that do", () => {
    assert.deepEqual(M.roomAvailability(rows), {pause: true, resume: true, extend: true, terminate: true});
    assert.deepEqual(M.roomTargets(rows, "terminate").map((r) => r.employee_id), ["E1", "E2", "E3"]);
    assert.deepEqual(M.roomTargets(rows, "resume").map((r) => r.employee_id), ["E3"]);
    assert.deepEqual(M.roomAvailability(rows.slice(1, 2)), {pause: false, resume: false, extend: false, terminate: true});
    assert.deepEqual(M.roomAvailability([]), {pause: false, resume: false, extend: false, terminate: false});
    assert.deepEqual(M.COMMANDS, ["pause", "resume", "extend", "terminate"]);
  });
});

describe("phases ready and intro", () => {
  const rows = [
    {...view(1), at_ms: T0}, // not connected, never seen
    {...view(2, {connected: true, last_seen_ms: T0}), at_ms: T0}, // at the welcome, or waiting for the room
    {...view(3, {connected: false, last_seen_ms: T0 - 60_000}), at_ms: T0}, // came, then left before starting
    {...view(4, {phase: "intro", connected: true, last_seen_ms: T0, allowed: ["terminate"]}), at_ms: T0},
    {...view(5, {phase: "intro", connected: false, last_seen_ms: T0 - 5000, allowed: ["terminate"]}), at_ms: T0},
    {...active(6), at_ms: T0},
  ];

  test("statuses: ready connected is waiting, intro is its own, intro offline is disconnected", () => {
    assert.deepEqual(rows.map(M.category), ["ready", "waiting", "ready", "intro", "disconnected", "active"]);
    assert.deepEqual(rows.map(M.inSitting), [false, false, false, true, true, true]);
    assert.equal(M.needsAttention(rows[4], T0), true);
    assert.equal(M.needsAttention(rows[3], T0), false);
    assert.equal(M.needsAttention(rows[1], T0), false);
  });

  test("a waiting candidate's words follow the room: waiting while closed, at the welcome while open", () => {
    assert.equal(M.statusTextKey("waiting", false), "st_waiting");
    assert.equal(M.statusTextKey("waiting", null), "st_waiting");
    assert.equal(M.statusTextKey("waiting", true), "st_welcome");
    assert.equal(M.statusTextKey("intro", true), "st_intro");
    assert.equal(M.statusTextKey("ready", false), "st_ready");
  });

  test("counts and filters hold every status; the waiting count is the connected candidates not started", () => {
    const counts = M.countsOf(rows, T0);
    assert.deepEqual(counts, {
      all: 6,
      attention: 1,
      active: 1,
      intro: 1,
      waiting: 1,
      disconnected: 1,
      paused: 0,
      ready: 2,
      finished: 0,
      terminated: 0,
    });
    const sum = M.CATEGORIES.reduce((n, c) => n + counts[c], 0);
    assert.equal(sum, counts.all); // every row in exactly one status
    assert.equal(M.waitingCount(rows), 1);
    assert.equal(M.waitingCount(rows.map((r) => ({...r, connected: true}))), 3);
    const ids = (filter) => M.visibleRows(rows, {filter, nowMs: T0}).map((r) => r.employee_id);
    assert.deepEqual(ids("waiting"), ["E2"]);
    assert.deepEqual(ids("intro"), ["E4"]);
    assert.deepEqual(ids("ready"), ["E1", "E3"]);
    assert.deepEqual(ids("disconnected"), ["E5"]);
    assert.deepEqual(ids("attention"), ["E5"]);
    assert.deepEqual(M.phaseCounts(rows), {ready: 3, intro: 2, active: 1});
  });

  test("sorted by status: trouble first, then the intro, active, waiting, not started", () => {
    const ids = M.visibleRows(rows, {sort: {key: "status", dir: 1}, nowMs: T0}).map((r) => r.employee_id);
    assert.deepEqual(ids, ["E5", "E4", "E6", "E2", "E1", "E3"]);
  });

  test("no clock runs at an intro; no candidate at one is silent", () => {
    const intro = {...rows[3], time_left_s: 600};
    assert.equal(M.clockRuns(intro), false);
    assert.equal(M.timeLeftAt(intro, T0 + 60_000), 600);
    assert.equal(M.idleMinutes(intro, T0 + 60 * 60_000), 0);
  });

  test("an alert is raised for a candidate who drops at an intro, not for one who leaves the welcome", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([view(1, {connected: true}), view(2, {phase: "intro", connected: true})]), T0);
    const left = m.applyFrame(ev(`${T0 + 1}-0`, 1, {type: "disconnected"}, view(1, {last_seen_ms: T0 + 1})), T0 + 1);
    assert.deepEqual(left.raised, []);
    const dropped = m.applyFrame(ev(`${T0 + 2}-0`, 2, {type: "disconnected"}, view(2, {phase: "intro", last_seen_ms: T0 + 2})), T0 + 2);
    assert.deepEqual(dropped.raised, ["R7K2QX-0002"]);
  });

  test("started and subtest_intro events apply their views; the intro's subtest is the current one in the detail", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([view(1, {connected: true, last_seen_ms: T0})]), T0);
    m.applyFrame(ev(`${T0 + 1}-0`, 1, {type: "started"}), T0 + 1);
    const change = m.applyFrame(ev(`${T0 + 1}-1`, 1, {type: "subtest_intro", subtest: 0}, view(1, {phase: "intro", connected: true, last_seen_ms: T0 + 1})), T0 + 1);
    assert.equal(change.resync, false);
    assert.deepEqual([...change.changed], ["R7K2QX-0001"]);
    assert.equal(M.category(m.row("R7K2QX-0001")), "intro");
    assert.deepEqual(m.subtestRows("R7K2QX-0001").map((l) => l.status), ["current", "unreached"]);
    assert.deepEqual(m.chartSubtests("R7K2QX-0001"), [0]);
  });
});

describe("the room's open state", () => {
  const roomEvent = (id, type, open) => {
    const item = {type: "event", id, session_id: null, event: {type, at_ms: Number(id.split("-")[0])}};
    if (open !== undefined) item.room = {open};
    return item;
  };

  test("from the snapshot; unknown without one or when the server does not say", () => {
    const m = new RoomModel();
    assert.equal(m.roomOpen(), null);
    m.applyFrame({...snapshot([view(1)]), room: {...ROOM, open: false}}, T0);
    assert.equal(m.roomOpen(), false);
    m.applyFrame({...snapshot([view(1)]), room: {...ROOM, open: true}}, T0);
    assert.equal(m.roomOpen(), true);
    m.applyFrame(snapshot([view(1)]), T0); // ROOM has no `open`
    assert.equal(m.roomOpen(), null);
  });

  test("a room event (session_id null, no view) sets it without a resync, and moves the stream on", () => {
    const m = new RoomModel();
    m.applyFrame({...snapshot([view(1, {connected: true})], `${T0}-0`), room: {...ROOM, open: false}}, T0);
    const before = strip(m.row("R7K2QX-0001"));
    const opened = m.applyFrame(roomEvent(`${T0 + 10}-0`, "room_opened", true), T0 + 10);
    assert.equal(opened.resync, false);
    assert.equal(opened.room, true);
    assert.equal(opened.changed.size, 0);
    assert.equal(opened.liveAt, T0 + 10);
    assert.equal(m.roomOpen(), true);
    assert.equal(m.lastEventId, `${T0 + 10}-0`);
    assert.deepEqual(strip(m.row("R7K2QX-0001")), before);
    assert.equal(m.room.name, ROOM.name); // the rest of the room kept
    // the same state again changes nothing
    const again = m.applyFrame(roomEvent(`${T0 + 11}-0`, "room_opened", true), T0 + 11);
    assert.equal(again.room, false);
    // closed, in a batch among session events
    const batch = m.applyFrame(
      {
        type: "events",
        events: [
          {id: `${T0 + 20}-0`, session_id: null, event: {type: "room_closed", at_ms: T0 + 20}, room: {open: false}},
          {id: `${T0 + 20}-1`, session_id: "R7K2QX-0001", event: {type: "started", at_ms: T0 + 20}},
          {id: `${T0 + 20}-2`, session_id: "R7K2QX-0001", event: {type: "subtest_intro", at_ms: T0 + 20, subtest: 0}, view: view(1, {phase: "intro", connected: true})},
        ],
      },
      T0 + 20,
    );
    assert.equal(batch.resync, false);
    assert.equal(batch.room, true);
    assert.equal(m.roomOpen(), false);
    assert.equal(m.row("R7K2QX-0001").phase, "intro");
    assert.equal(m.lastEventId, `${T0 + 20}-2`);
    // a duplicate changes nothing
    const dup = m.applyFrame(roomEvent(`${T0 + 20}-0`, "room_opened", true), T0 + 30);
    assert.equal(m.roomOpen(), false);
    assert.equal(dup.room, false);
  });

  test("a room event without its `room` field goes by its type; another type of room event is ignored", () => {
    const m = new RoomModel();
    m.applyFrame({...snapshot([view(1)]), room: {...ROOM, open: false}}, T0);
    m.applyFrame(roomEvent("5-0", "room_opened"), T0);
    assert.equal(m.roomOpen(), true);
    m.applyFrame(roomEvent("6-0", "room_closed"), T0);
    assert.equal(m.roomOpen(), false);
    const other = m.applyFrame(roomEvent("7-0", "room_renamed"), T0);
    assert.equal(other.resync, false);
    assert.equal(other.room, false);
    assert.equal(m.roomOpen(), false);
    assert.equal(m.lastEventId, "7-0");
    // session_id absent altogether is a room event too
    const bare = m.applyFrame({type: "event", id: "8-0", event: {type: "room_opened", at_ms: 8}, room: {open: true}}, T0);
    assert.equal(bare.resync, false);
    assert.equal(m.roomOpen(), true);
  });

  test("room events up to the snapshot are history: the snapshot's state stands", () => {
    const m = new RoomModel();
    m.lastEventId = `${T0}-0`;
    m.applyFrame({...snapshot([view(1)], `${T0 + 50}-0`), room: {...ROOM, open: true}}, T0 + 60);
    const old = m.applyFrame(roomEvent(`${T0 + 10}-0`, "room_closed", false), T0 + 60);
    assert.equal(old.room, false);
    assert.equal(old.resync, false);
    assert.equal(m.roomOpen(), true);
    assert.equal(m.lastEventId, `${T0 + 10}-0`);
    assert.equal(m.stats.history, 1);
  });

  test("a room event before any snapshot does not crash; the acknowledgement's state is taken", () => {
    const m = new RoomModel();
    const early = m.applyFrame(roomEvent("5-0", "room_opened", true), T0);
    assert.equal(early.resync, false);
    assert.equal(m.roomOpen(), null);
    m.applyFrame({...snapshot([view(1)], "5-0"), room: {...ROOM, open: false}}, T0);
    assert.equal(m.setRoomOpen(true), true);
    assert.equal(m.roomOpen(), true);
    assert.equal(m.setRoomOpen(true), false);
    assert.equal(m.setRoomOpen(undefined), false);
    assert.equal(m.roomOpen(), true);
  });
});

describe("room-wide commands say exactly whom they reach", () => {
  // "pause all said 14 active but listed disconnected people too": the count and the list are the same rows
  const rows = [
    {...active(1), at_ms: T0},
    {...active(2, {connected: false}), at_ms: T0}, // active, connection down: the server still allows pause
    {...active(3), at_ms: T0},
    {...view(4, {phase: "intro", connected: true, allowed: ["terminate"]}), at_ms: T0},
    {...view(5, {phase: "paused", allowed: ["resume", "extend", "terminate"]}), at_ms: T0},
    {...view(6, {connected: true}), at_ms: T0},
    {...view(7), at_ms: T0},
    {...view(8, {phase: "finished", allowed: []}), at_ms: T0},
  ];

  test("pause all: the rows whose allowed holds pause, by status", () => {
    const plan = M.roomPlan(rows, "pause");
    assert.equal(plan.count, 3);
    assert.deepEqual(plan.targets.map((r) => r.employee_id), ["E1", "E2", "E3"]);
    assert.equal(plan.targets.length, plan.count);
    assert.deepEqual(plan.byStatus, [["active", 2], ["disconnected", 1]]);
    assert.equal(plan.byStatus.reduce((n, [, k]) => n + k, 0), plan.count);
    assert.ok(plan.targets.every((r) => M.allows(r, "pause")));
    assert.ok(rows.filter((r) => !plan.targets.includes(r)).every((r) => !M.allows(r, "pause")));
  });

  test("the other room-wide commands too", () => {
    assert.deepEqual(M.roomPlan(rows, "resume").byStatus, [["paused", 1]]);
    const term = M.roomPlan(rows, "terminate");
    assert.equal(term.count, 7);
    assert.deepEqual(term.byStatus, [["active", 2], ["intro", 1], ["waiting", 1], ["disconnected", 1], ["paused", 1], ["ready", 1]]);
    assert.deepEqual(M.roomPlan([], "pause"), {targets: [], count: 0, byStatus: []});
  });

  test("closing the room: who will wait, who is not here, who carries on", () => {
    assert.deepEqual(M.closePlan(rows), {held: 1, absent: 1, going: 5});
    assert.deepEqual(M.ROOM_COMMANDS, ["open_room", "close_room"]);
  });
});

describe("seats: the computer a sitting is on, and moves waiting for approval", () => {
  const DEV = "k3Vq9ZxT2mLp8RwA4cEy1B";
  const NEW = "deviceBBBB2222";
  const asking = (n, fields = {}) =>
    active(n, {device: DEV, seat_request: NEW, allowed: ["pause", "extend", "terminate", "approve_seat", "deny_seat"], ...fields});

  test("a view's seat fields are kept as the server sent them; a request is told by seat_request, '' included", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1, {device: DEV, seat_request: null, notes: 0}), asking(2), view(3, {device: null, seat_request: ""})]), T0);
    assert.equal(m.row("R7K2QX-0001").device, DEV);
    assert.deepEqual([1, 2, 3].map((n) => M.hasSeatRequest(m.row(`R7K2QX-000${n}`))), [false, true, true]);
    assert.equal(M.hasSeatRequest(view(4)), false); // a server that does not say: no request
    assert.deepEqual(m.seatRequests().map((s) => [s.session_id, s.device, s.requested, s.since]), [
      ["R7K2QX-0002", DEV, NEW, T0],
      ["R7K2QX-0003", null, "", T0],
    ]);
  });

  test("seat_change_requested raises the request once; seat_approved and seat_denied clear it", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1, {device: DEV, seat_request: null}), active(2, {device: "dev22222222"})]), T0);
    assert.deepEqual(m.seatRequests(), []);
    const asked = m.applyFrame(ev(`${T0 + 10}-0`, 1, {type: "seat_change_requested", device: DEV, requested: NEW}, asking(1)), T0 + 10);
    assert.deepEqual(asked.seatsRaised, ["R7K2QX-0001"]);
    assert.deepEqual([...asked.changed], ["R7K2QX-0001"]);
    assert.equal(asked.resync, false);
    assert.deepEqual(m.seatRequests(), [{session_id: "R7K2QX-0001", since: T0 + 10, device: DEV, requested: NEW}]);
    assert.equal(M.needsAttention(m.row("R7K2QX-0001"), T0 + 10), true);
    assert.equal(M.countsOf(m.list(), T0 + 10).attention, 1);
    // the same request again (another view of the same change): not raised twice, its time kept
    const again = m.applyFrame(ev(`${T0 + 20}-0`, 1, {type: "answered", seq: 1, subtest: 0, theta: 0, se: 1}, asking(1, {answered: 1})), T0 + 20);
    assert.deepEqual(again.seatsRaised, []);
    assert.equal(m.seatRequests()[0].since, T0 + 10);
    // a newer request from yet another computer replaces it, and is raised
    const other = m.applyFrame(ev(`${T0 + 30}-0`, 1, {type: "seat_change_requested", device: DEV, requested: "deviceCCCC3333"}, asking(1, {seat_request: "deviceCCCC3333"})), T0 + 30);
    assert.deepEqual(other.seatsRaised, ["R7K2QX-0001"]);
    assert.deepEqual(m.seatRequests().map((s) => [s.requested, s.since]), [["deviceCCCC3333", T0 + 30]]);
    // approved: the sitting is on the new computer now, the request gone
    m.applyFrame(ev(`${T0 + 40}-0`, 1, {type: "seat_approved", device: "deviceCCCC3333"}, active(1, {device: "deviceCCCC3333", seat_request: null, connected: false})), T0 + 40);
    assert.deepEqual(m.seatRequests(), []);
    assert.equal(m.row("R7K2QX-0001").device, "deviceCCCC3333");
    // denied (here or on another console): gone too
    m.applyFrame(ev(`${T0 + 50}-0`, 2, {type: "seat_change_requested", device: "dev22222222", requested: null}, active(2, {device: "dev22222222", seat_request: ""})), T0 + 50);
    assert.deepEqual(m.seatRequests().map((s) => s.requested), [""]);
    m.applyFrame(ev(`${T0 + 60}-0`, 2, {type: "seat_denied", device: null}, active(2, {device: "dev22222222", seat_request: null})), T0 + 60);
    assert.deepEqual(m.seatRequests(), []);
    assert.equal(M.needsAttention(m.row("R7K2QX-0002"), T0 + 60), false);
  });

  test("requests are listed oldest first; a fresh snapshot keeps a known one's time and drops what it no longer has", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1), active(2), active(3)]), T0);
    m.applyFrame(ev(`${T0 + 20}-0`, 2, {type: "seat_change_requested"}, asking(2)), T0 + 20);
    m.applyFrame(ev(`${T0 + 30}-0`, 1, {type: "seat_change_requested"}, asking(1)), T0 + 30);
    assert.deepEqual(m.seatRequests().map((s) => s.session_id), ["R7K2QX-0002", "R7K2QX-0001"]);
    const change = m.applyFrame(snapshot([asking(1), active(2), asking(3)], `${T0 + 40}-0`, T0 + 45), T0 + 45);
    assert.deepEqual(change.seatsRaised, ["R7K2QX-0003"]);
    assert.deepEqual(m.seatRequests().map((s) => [s.session_id, s.since]), [["R7K2QX-0001", T0 + 30], ["R7K2QX-0003", T0 + 45]]);
    // history (before the snapshot's watermark) moves no request
    m.applyFrame(ev(`${T0 + 35}-0`, 3, {type: "seat_denied"}, active(3)), T0 + 50);
    assert.equal(m.seatRequests().length, 2);
    m.applyFrame(snapshot([active(2)], `${T0 + 60}-0`, T0 + 60), T0 + 60);
    assert.deepEqual(m.seatRequests(), []);
  });

  test("the approval commands come from allowed, per row only (never room-wide)", () => {
    const row = {...asking(1), at_ms: T0};
    assert.equal(M.allows(row, "approve_seat"), true);
    assert.equal(M.allows(row, "deny_seat"), true);
    const none = {...active(2, {device: DEV, seat_request: null}), at_ms: T0};
    assert.equal(M.allows(none, "approve_seat"), false);
    assert.equal(M.allows(none, "deny_seat"), false);
    assert.deepEqual(M.SEAT_COMMANDS, ["approve_seat", "deny_seat"]);
    assert.deepEqual(Object.keys(M.roomAvailability([row])), M.COMMANDS); // no "approve all"
    assert.equal(M.COMMANDS.includes("approve_seat"), false);
  });
});

describe("incident notes", () => {
  test("the row's count is the view's notes (0 when the server does not say)", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1, {notes: 2}), active(2, {notes: 0}), active(3)]), T0);
    assert.deepEqual([1, 2, 3].map((n) => M.notesCount(m.row(`R7K2QX-000${n}`))), [2, 0, 0]);
    assert.equal(M.notesCount({notes: -1}), 0);
    assert.equal(M.notesCount({notes: "3"}), 0);
    // a note event's view counts it; the note's text is kept for the detail, once
    const change = m.applyFrame(ev(`${T0 + 5}-0`, 2, {type: "note", text: "Layar berkedip;\npindah ke meja 12"}, active(2, {notes: 1})), T0 + 5);
    assert.deepEqual([...change.changed], ["R7K2QX-0002"]);
    assert.equal(change.resync, false);
    assert.equal(M.notesCount(m.row("R7K2QX-0002")), 1);
    assert.deepEqual(m.notes("R7K2QX-0002"), [{at_ms: T0 + 5, text: "Layar berkedip;\npindah ke meja 12"}]);
    m.applyFrame(ev(`${T0 + 5}-0`, 2, {type: "note", text: "Layar berkedip;\npindah ke meja 12"}, active(2, {notes: 1})), T0 + 6); // duplicate id
    assert.equal(m.notes("R7K2QX-0002").length, 1);
    assert.deepEqual(m.notes("R7K2QX-0009"), []);
  });

  test("the detail's notes are the list; a note event seen before it is not counted twice, one after it is added", () => {
    const m = new RoomModel();
    m.applyFrame(snapshot([active(1, {notes: 1})], `${T0}-0`), T0);
    // a note event arrives before the detail that already holds it
    m.applyFrame(ev(`${T0 + 10}-0`, 1, {type: "note", text: "kedua"}, active(1, {notes: 2})), T0 + 10);
    const detail = {type: "detail", session_id: "R7K2QX-0001", subtests: [], notes: [{at_ms: T0 - 100, text: "pertama"}, {at_ms: T0 + 10, text: "kedua"}]};
    assert.equal(m.applyDetail(detail), true);
    assert.deepEqual(m.notes("R7K2QX-0001").map((n) => n.text), ["pertama", "kedua"]);
    // a note written after the detail was computed (its event came first) stays
    m.applyFrame(ev(`${T0 + 20}-0`, 1, {type: "note", text: "ketiga"}, active(1, {notes: 3})), T0 + 20);
    m.applyDetail({...detail});
    assert.deepEqual(m.notes("R7K2QX-0001").map((n) => [n.at_ms, n.text]), [[T0 - 100, "pertama"], [T0 + 10, "kedua"], [T0 + 20, "ketiga"]]);
    // a detail without notes (an older server) leaves them as they are
    m.applyDetail({type: "detail", session_id: "R7K2QX-0001", subtests: []});
    assert.equal(m.notes("R7K2QX-0001").length, 3);
    // history events (a resumed stream) give the texts too, without doubling them
    m.applyFrame(snapshot([active(1, {notes: 3})], `${T0 + 30}-0`, T0 + 30), T0 + 30);
    m.lastEventId = `${T0}-0`;
    m.applyFrame(ev(`${T0 + 20}-0`, 1, {type: "note", text: "ketiga"}, active(1, {notes: 3})), T0 + 31);
    assert.equal(m.notes("R7K2QX-0001").length, 3);
  });

  test("limits of the texts the console sends", () => {
    assert.equal(M.NOTE_MAX, 1000);
    assert.equal(M.MESSAGE_MAX, 500);
  });
});
