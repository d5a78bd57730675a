// candidate_state.js: the candidate page's decisions (exactly-once answers, the link, the clock, the keyboard).

import assert from "node:assert/strict";
import {describe, test} from "node:test";
import {load} from "./static.mjs";

const C = await load("candidate_state.js");

const item = (seq, extra = {}) => ({type: "item", seq, item: {id: "X", stem: "?", options: ["a", "b", "c"]}, time_left_s: 60, ...extra});
const screen = (fields = {}) => ({item: null, selected: null, itemError: null, notice: null, ...fields});

describe("the pending answer", () => {
  test("kept in storage only when well-formed and of this token", () => {
    const raw = C.pendingRecord("TOK", 4, 2);
    assert.deepEqual(C.readPending(raw, "TOK"), {token: "TOK", seq: 4, response: 2});
    assert.equal(C.readPending(raw, "OTHER"), null);
    assert.equal(C.readPending(null, "TOK"), null);
    assert.equal(C.readPending("{not json", "TOK"), null);
    assert.equal(C.readPending(JSON.stringify({token: "TOK", seq: "4", response: 2}), "TOK"), null);
    assert.equal(C.readPending(JSON.stringify({token: "TOK", seq: 4, response: 1.5}), "TOK"), null);
  });

  test("the same item after a reconnect: resend the pending answer, keep it chosen", () => {
    const pending = {token: "T", seq: 5, response: 1};
    const next = C.itemArrives(screen({item: item(5), selected: 1}), pending, item(5));
    assert.deepEqual([next.same, next.settled, next.resend, next.selected], [true, false, true, 1]);
  });

  test("after a reload (nothing on screen) the pending answer's item comes back chosen and is resent", () => {
    const next = C.itemArrives(screen(), {token: "T", seq: 5, response: 2}, item(5, {previous_subtest: {name: "S", reason: "completed"}}));
    assert.deepEqual([next.same, next.settled, next.resend, next.selected], [false, false, true, 2]);
    assert.deepEqual(next.notice, {name: "S", reason: "completed"});
  });

  test("a later item: the pending answer was applied", () => {
    const next = C.itemArrives(screen({item: item(5), selected: 1, itemError: "bad_response"}), {token: "T", seq: 5, response: 1}, item(6));
    assert.deepEqual([next.same, next.settled, next.resend, next.selected, next.itemError], [false, true, false, null, null]);
    assert.equal(next.item.seq, 6);
  });

  test("the same item again without a pending answer (resumed after a pause) keeps the screen as it was", () => {
    const was = screen({item: item(5), selected: 2, notice: {name: "S", reason: "time_up"}});
    const next = C.itemArrives(was, null, item(5));
    assert.deepEqual([next.same, next.settled, next.resend, next.selected], [true, false, false, 2]);
    assert.deepEqual(next.notice, {name: "S", reason: "time_up"});
  });

  test("the first state frame of a connection is its hello succeeding; an error refuses it; rate_limited defers it", () => {
    for (const type of ["item", "paused", "finished"]) assert.equal(C.helloReply(false, {type}), "ready", type);
    for (const code of ["unavailable", "too_many_connections", "terminated", "bad_token", "bad_message", "internal"]) {
      assert.equal(C.helloReply(false, {type: "error", code}), "refused", code);
    }
    assert.equal(C.helloReply(false, {type: "error", code: "rate_limited", retry_after_ms: 800}), "later");
    assert.equal(C.helloReply(false, {type: "pong"}), null);
    assert.equal(C.helloReply(false, {type: "time", time_left_s: 10}), null);
    for (const frame of [{type: "item"}, {type: "finished"}, {type: "error", code: "wrong_seq"}]) {
      assert.equal(C.helloReply(true, frame), null, frame.type); // the hello was answered already
    }
  });

  test("what each error means", () => {
    assert.equal(C.errorAction("bad_message", true), "bad_token");
    assert.equal(C.errorAction("bad_message", false), "resync");
    assert.equal(C.errorAction("time_up", false), "settle");
    assert.equal(C.errorAction("finished", false), "settle_resync");
    assert.equal(C.errorAction("bad_response", false), "retry");
    assert.equal(C.errorAction("paused", false), "keep");
    assert.equal(C.errorAction("wrong_seq", false), "resync");
    assert.equal(C.errorAction("not_authenticated", false), "resync");
    assert.equal(C.errorAction("rate_limited", true), "later");
    for (const code of ["bad_token", "taken_over", "terminated", "internal", "flood", "unavailable", "too_many_connections", "restarting"]) {
      assert.equal(C.errorAction(code, false), "none", code);
    }
    // restarting is the reply to a hello sent to a process being restarted: its close (1012) decides, not a token
    assert.equal(C.errorAction("restarting", true), "none");
  });

  test("what each close code means", () => {
    assert.equal(C.closeAction(4001, false), "bad_token");
    assert.equal(C.closeAction(4002, false), "takeover");
    assert.equal(C.closeAction(4003, false), "terminated");
    assert.equal(C.closeAction(4009, false), "windows");
    assert.equal(C.closeAction(1013, false), "busy");
    assert.equal(C.closeAction(1011, false), "busy");
    // a process being restarted (rolling restart): come back soon, only the reconnecting banner
    assert.equal(C.closeAction(1012, false), "restart");
    // the server closes with 1000 after `finished`: no reconnect; a 1000 without it comes back (the hello says where)
    assert.equal(C.closeAction(1000, true), "finished");
    assert.equal(C.closeAction(1000, false), "retry");
    for (const code of [1006, 1001, 1008, 1009, 4000, 4008]) assert.equal(C.closeAction(code, false), "retry", String(code));
  });
});

describe("the link", () => {
  const base = {open: true, waitingSince: null, helloReplied: true, lastRx: 0};

  test("a reply that does not come within 15 s drops the connection", () => {
    assert.equal(C.watchdog({...base, waitingSince: 1000}, 1000 + 15000), null);
    assert.equal(C.watchdog({...base, waitingSince: 1000}, 1000 + 15001), "drop");
  });

  test("20 s without a frame: a ping, which then waits for its pong", () => {
    assert.equal(C.watchdog(base, 20000), null);
    assert.equal(C.watchdog(base, 20001), "ping");
    assert.equal(C.watchdog({...base, helloReplied: false}, 99999), null);
    assert.equal(C.watchdog({...base, open: false, waitingSince: 0}, 99999), null);
  });

  test("the banner says why when the server said", () => {
    assert.equal(C.bannerKey({note: null, everConnected: false}), "banner_first");
    assert.equal(C.bannerKey({note: null, everConnected: true}), "banner_reconnecting");
    assert.equal(C.bannerKey({note: "busy", everConnected: false}), "banner_busy");
    assert.equal(C.bannerKey({note: "windows", everConnected: true}), "banner_windows");
  });

  test("the offline banner waits a second", () => {
    const down = {screen: "item", hasSocket: true, helloReplied: false, downSince: null};
    const first = C.banner(down, 5000);
    assert.deepEqual(first, {downSince: 5000, showOffline: false});
    assert.deepEqual(C.banner({...down, downSince: 5000}, 5999), {downSince: 5000, showOffline: false});
    assert.deepEqual(C.banner({...down, downSince: 5000}, 6000), {downSince: 5000, showOffline: true});
    assert.deepEqual(C.banner({...down, helloReplied: true, downSince: 5000}, 9000), {downSince: null, showOffline: false});
    assert.deepEqual(C.banner({...down, screen: "finished", downSince: 5000}, 9000), {downSince: null, showOffline: false});
    assert.deepEqual(C.banner({...down, hasSocket: false}, 9000), {downSince: null, showOffline: false});
  });
});

describe("the clock", () => {
  test("counts down while running, stops, and has no limit when there is none", () => {
    const clock = C.countdown(90, true, 1000);
    assert.equal(C.clockLeft(clock, 1000), 90000);
    assert.equal(C.clockLeft(clock, 31000), 60000);
    assert.equal(C.clockLeft(clock, 999999), 0);
    const stopped = C.stopClock(clock, 31000);
    assert.deepEqual(stopped, {leftMs: 60000, base: 31000, running: false});
    assert.equal(C.clockLeft(stopped, 99999), 60000);
    const none = C.countdown(null, true, 0);
    assert.equal(none.running, false);
    assert.equal(C.clockLeft(none, 5), null);
    assert.equal(C.countdown(-3, true, 0).leftMs, 0);
  });

  test("mm:ss, rounded up", () => {
    assert.equal(C.formatClock(0), "00:00");
    assert.equal(C.formatClock(1), "00:01");
    assert.equal(C.formatClock(59001), "01:00");
    assert.equal(C.formatClock(1800000), "30:00");
    assert.equal(C.formatClock(3600000 + 5000), "60:05");
  });
});

describe("the item screen", () => {
  test("keys choose options: letters and digits, within the item", () => {
    assert.equal(C.optionForKey("a", 5), 0);
    assert.equal(C.optionForKey("E", 5), 4);
    assert.equal(C.optionForKey("3", 5), 2);
    assert.equal(C.optionForKey("F", 5), -1);
    assert.equal(C.optionForKey("6", 5), -1);
    assert.equal(C.optionForKey("0", 5), -1);
    assert.equal(C.optionForKey("Enter", 5), -1);
    assert.equal(C.optionForKey("x", 5), -1);
  });

  test("subtest steps", () => {
    assert.deepEqual(C.steps({subtests_done: 1, subtests_total: 3}, 1), ["done", "current", "todo"]);
    assert.deepEqual(C.steps({subtests_done: 0, subtests_total: 2}, 0), ["current", "todo"]);
    assert.deepEqual(C.steps({subtests_done: 2, subtests_total: 3}, 2), ["done", "done", "current"]);
  });

  test("the hint under the options", () => {
    const h = (fields) => C.hintKey({itemError: null, saving: false, offline: false, selected: null, ...fields});
    assert.equal(h({}), "hint_choose");
    assert.equal(h({selected: 1}), "hint_save");
    assert.equal(h({selected: 1, saving: true}), "hint_saving");
    assert.equal(h({selected: 1, saving: true, offline: true}), "hint_offline");
    assert.equal(h({offline: true}), "hint_offline");
    assert.equal(h({itemError: "bad_response", offline: true}), "bad_response");
  });

  test("tokens typed and from links, durations", () => {
    assert.equal(C.tokenTyped(" - - "), false);
    assert.equal(C.tokenTyped("abcd-efgh"), true);
    assert.equal(C.tokenFromHash("#t=ABCD-EFGH"), "ABCD-EFGH");
    assert.equal(C.tokenFromHash("#t=AB%20CD%20"), "AB CD");
    assert.equal(C.tokenFromHash("#t=%E0%A4%A"), "%E0%A4%A");
    assert.equal(C.tokenFromHash("#room=1"), null);
    assert.equal(C.tokenFromHash(""), null);
    assert.deepEqual(C.minutesSeconds(611.2), {m: 10, s: 11});
  });
});
