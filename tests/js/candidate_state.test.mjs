// candidate_state.js: the candidate page's decisions (the screens and the steps before the battery, exactly-once
// answers, the device id, seats, messages and notices, the link, the clocks, the keyboard).

import assert from "node:assert/strict";
import {describe, test} from "node:test";
import {load} from "./static.mjs";

const C = await load("candidate_state.js");

const item = (seq, extra = {}) => ({type: "item", seq, item: {id: "X", stem: "?", options: ["a", "b", "c"]}, time_left_s: 60, ...extra});
const screen = (fields = {}) => ({item: null, selected: null, itemError: null, ...fields});

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
    const next = C.itemArrives(screen(), {token: "T", seq: 5, response: 2}, item(5));
    assert.deepEqual([next.same, next.settled, next.resend, next.selected], [false, false, true, 2]);
    assert.equal("notice" in next, false); // items no longer tell the end of a subtest: its intro does
  });

  test("a later item: the pending answer was applied", () => {
    const next = C.itemArrives(screen({item: item(5), selected: 1, itemError: "bad_response"}), {token: "T", seq: 5, response: 1}, item(6));
    assert.deepEqual([next.same, next.settled, next.resend, next.selected, next.itemError], [false, true, false, null, null]);
    assert.equal(next.item.seq, 6);
  });

  test("the same item again without a pending answer (resumed after a pause) keeps the screen as it was", () => {
    const was = screen({item: item(5), selected: 2, itemError: "bad_response"});
    const next = C.itemArrives(was, null, item(5));
    assert.deepEqual([next.same, next.settled, next.resend, next.selected, next.itemError], [true, false, false, 2, "bad_response"]);
  });

  test("the first item of a subtest after its intro (nothing on screen) starts with nothing chosen", () => {
    const next = C.itemArrives(screen(), null, item(9));
    assert.deepEqual([next.same, next.settled, next.resend, next.selected, next.itemError], [false, false, false, null, null]);
  });

  test("an intro, the welcome, waiting for the room or finished settle the pending answer; a pause keeps it", () => {
    // the answer's subtest is over (applied, or its time ran out): the intro of the next one says so
    for (const type of ["subtest_intro", "finished", "welcome"]) assert.equal(C.settlesPending(type), true, type);
    assert.equal(C.settlesPending("waiting", "room_closed"), true);
    for (const type of ["paused", "item", "time", "pong", "error", "message"]) assert.equal(C.settlesPending(type), false, type);
    // waiting for the proctor to approve this computer: the sitting has not moved; what follows the approval decides
    assert.equal(C.settlesPending("waiting", "approval"), false);
    assert.equal(C.settlesPending("waiting", "something_new"), false);
  });

  test("the first state frame of a connection is its hello succeeding; an error refuses it; rate_limited defers it", () => {
    for (const type of ["waiting", "welcome", "subtest_intro", "item", "paused", "finished"]) {
      assert.equal(C.helloReply(false, {type}), "ready", type);
    }
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
    // an answer while the server shows an intro or the welcome: reconnect, its hello reply shows that screen again
    assert.equal(C.errorAction("not_started", false), "resync");
    assert.equal(C.errorAction("rate_limited", true), "later");
    for (const code of ["bad_token", "taken_over", "terminated", "internal", "flood", "unavailable", "too_many_connections", "restarting", "seat_denied", "idle"]) {
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
    // the proctor refused this computer the sitting: a final screen ("Coba lagi" asks again)
    assert.equal(C.closeAction(4011, false), "seat_denied");
    // the server took the link for dead (no frame for 30 s): reconnect as after any drop
    assert.equal(C.closeAction(4010, false), "retry");
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

describe("the screens and the steps before the battery", () => {
  const walk = (practiceCount) => {
    const seen = [];
    let s = C.firstSteps();
    for (let i = 0; i < 12 && !(seen.length && s.step === "begin"); i++) {
      seen.push(s.step === "practice" ? `practice ${s.index}${s.done ? " done" : ""}` : s.step);
      s = C.nextStep(s, practiceCount);
    }
    seen.push(s.step);
    return seen;
  };

  test("who am I, instructions, each practice item (chosen, then its feedback), then begin", () => {
    assert.deepEqual(walk(2), [
      "confirm", "instructions", "practice 0", "practice 0 done", "practice 1", "practice 1 done", "begin",
    ]);
    assert.deepEqual(walk(1), ["confirm", "instructions", "practice 0", "practice 0 done", "begin"]);
  });

  test("no practice items: straight from the instructions to begin", () => {
    assert.deepEqual(walk(0), ["confirm", "instructions", "begin"]);
  });

  test("begin stays begin (only `start` leaves it)", () => {
    assert.deepEqual(C.nextStep({step: "begin", index: 0, done: false}, 3), {step: "begin", index: 0, done: false});
  });

  test("the steps are kept per token: a reload or a reconnect comes back to the same step", () => {
    const raw = C.stepsRecord("TOK", {step: "practice", index: 1, done: true});
    // a practice item comes back afresh (nothing chosen, its feedback not shown)
    assert.deepEqual(C.readSteps(raw, "TOK", 3), {step: "practice", index: 1, done: false});
    assert.deepEqual(C.readSteps(raw, "OTHER", 3), C.firstSteps());
    // the battery now has fewer practice items: on to begin
    assert.deepEqual(C.readSteps(raw, "TOK", 1), {step: "begin", index: 0, done: false});
    assert.deepEqual(C.readSteps(C.stepsRecord("TOK", {step: "instructions", index: 0}), "TOK", 0).step, "instructions");
    assert.deepEqual(C.readSteps(C.stepsRecord("TOK", {step: "begin", index: 0}), "TOK", 0).step, "begin");
    for (const bad of [null, "", "{", JSON.stringify({token: "TOK", step: "item", index: 0}), JSON.stringify({token: "TOK", step: "practice", index: -1})]) {
      assert.deepEqual(C.readSteps(bad, "TOK", 2), C.firstSteps(), String(bad));
    }
  });

  test("which screen each state frame leads to", () => {
    const at = (step, index = 0) => ({step, index, done: false});
    assert.equal(C.screenFor("waiting", at("begin")), "waiting");
    assert.equal(C.screenFor("waiting", at("begin"), "room_closed"), "waiting");
    assert.equal(C.screenFor("waiting", at("confirm"), "approval"), "approval");
    assert.equal(C.screenFor("welcome", at("confirm")), "confirm");
    assert.equal(C.screenFor("welcome", at("instructions")), "instructions");
    assert.equal(C.screenFor("welcome", at("practice", 1)), "practice");
    assert.equal(C.screenFor("welcome", at("begin")), "begin");
    assert.equal(C.screenFor("subtest_intro", at("begin")), "intro");
    for (const type of ["item", "paused", "finished"]) assert.equal(C.screenFor(type, at("confirm")), type);
    for (const type of ["time", "pong", "error", "something_new"]) assert.equal(C.screenFor(type, at("confirm")), null);
    for (const type of C.STATE_FRAMES) assert.notEqual(C.screenFor(type, at("confirm")), null, type);
  });

  test("waiting: the closed room has its own text, any other reason a general wait", () => {
    assert.equal(C.waitingKey("room_closed"), "waiting_room_closed");
    assert.equal(C.waitingKey("maintenance"), "waiting_general");
    assert.equal(C.waitingKey(undefined), "waiting_general");
  });

  test("the battery's texts in the chosen language, falling back to Indonesian", () => {
    assert.equal(C.pickText({id: "Halo", en: "Hello"}, "en"), "Hello");
    assert.equal(C.pickText({id: "Halo", en: "Hello"}, "id"), "Halo");
    assert.equal(C.pickText({id: "Halo"}, "en"), "Halo");
    assert.equal(C.pickText({id: "", en: "Hello"}, "id"), "Hello");
    assert.equal(C.pickText({fr: "Salut"}, "en"), "Salut");
    assert.equal(C.pickText("plain", "en"), "plain");
    assert.equal(C.pickText(null, "en"), "");
    assert.equal(C.pickText(undefined, "id"), "");
  });

  test("time limits in minutes (seconds under a minute), or none", () => {
    assert.deepEqual(C.limitText(1800), {key: "limit_minutes", vars: {m: 30}});
    assert.deepEqual(C.limitText(1230), {key: "limit_minutes", vars: {m: 21}});
    assert.deepEqual(C.limitText(4), {key: "limit_seconds", vars: {s: 4}});
    assert.deepEqual(C.limitText(null), {key: "limit_none", vars: {}});
  });

  test("the intro tells how the previous subtest ended, and where this one stands", () => {
    assert.equal(C.previousKey({name: "A", reason: "completed"}), "subtest_completed");
    assert.equal(C.previousKey({name: "A", reason: "time_up"}), "subtest_time_up");
    assert.equal(C.previousKey(undefined), null);
    assert.deepEqual(C.introSteps(0, 3), ["current", "todo", "todo"]);
    assert.deepEqual(C.introSteps(2, 3), ["done", "done", "current"]);
  });
});

describe("the device id", () => {
  test("22 characters of A-Z a-z 0-9 - _, every byte value mapped evenly", () => {
    const bytes = Uint8Array.from({length: 22}, (_, i) => i * 12 + 3);
    const id = C.makeDevice(bytes);
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(C.makeDevice(bytes), id); // the same bytes, the same id
    assert.notEqual(C.makeDevice(Uint8Array.from(bytes, (b) => b ^ 1)), id);
    // 256 byte values over 64 letters: each letter from exactly four values (no bias)
    const counts = new Map();
    for (let b = 0; b < 256; b++) {
      const letter = C.makeDevice(new Uint8Array(22).fill(b))[0];
      counts.set(letter, (counts.get(letter) ?? 0) + 1);
    }
    assert.equal(counts.size, 64);
    assert.ok([...counts.values()].every((n) => n === 4));
    assert.throws(() => C.makeDevice(new Uint8Array(8)));
  });

  test("a kept id is used only when the server would take it", () => {
    assert.equal(C.readDevice("abcDEF12-_xyz"), "abcDEF12-_xyz");
    assert.equal(C.readDevice("short"), null);
    assert.equal(C.readDevice("x".repeat(65)), null);
    assert.equal(C.readDevice("has space 1234"), null);
    assert.equal(C.readDevice(null), null);
  });
});

describe("seats", () => {
  test("taken over soon after another window of this browser said hello: that window; otherwise a move", () => {
    assert.equal(C.takeoverKind(null, 50000), "moved");
    assert.equal(C.takeoverKind(40000, 50000), "window");
    assert.equal(C.takeoverKind(50000 - C.SAME_DEVICE_WINDOW_MS, 50000), "window");
    assert.equal(C.takeoverKind(50000 - C.SAME_DEVICE_WINDOW_MS - 1, 50000), "moved");
  });

  test("the windows of this browser tell each other which token said hello: the same whatever way it was typed", () => {
    assert.equal(C.sameToken("ABCD-EFGH-JKMN", "abcd efgh jkmn"), true);
    assert.equal(C.sameToken("ABCDEFGHJKMN", " abcd-efgh-jkmn "), true);
    assert.equal(C.sameToken("ABCD-EFGH-JKMN", "ABCD-EFGH-JKMP"), false);
    assert.equal(C.sameToken("ABCD", null), false);
    assert.equal(C.sameToken(undefined, undefined), false);
  });

  test("the approval screen is a session's: the banner shows there when the link is down; not on the refusal", () => {
    const down = {hasSocket: true, helloReplied: false, downSince: 0};
    assert.equal(C.banner({...down, screen: "approval"}, 5000).showOffline, true);
    assert.equal(C.banner({...down, screen: "denied"}, 5000).showOffline, false);
  });
});

describe("messages and notices", () => {
  const msg = (id, extra = {}) => ({id, kind: "message", at: 0, atMs: 0, text: `m${id}`, ...extra});
  const note = (id, at) => ({id, kind: "notice", at, key: "notice_resumed", vars: {}});

  test("a message frame becomes an entry; one without text is none", () => {
    const e = C.messageEntry({type: "message", text: "Sisa waktu 5 menit", at_ms: 1796300000000}, 7, 123);
    assert.deepEqual(e, {id: 7, kind: "message", at: 123, atMs: 1796300000000, text: "Sisa waktu 5 menit"});
    assert.equal(C.messageEntry({type: "message", text: "  "}, 1, 0), null);
    assert.equal(C.messageEntry({type: "message"}, 1, 0), null);
    assert.equal(C.messageEntry({type: "message", text: "x", at_ms: "soon"}, 1, 0).atMs, null);
  });

  test("they stack newest first, at most MAX_MESSAGES; closing one keeps the others", () => {
    let list = [];
    for (let i = 1; i <= 3; i++) list = C.addMessage(list, msg(i));
    assert.deepEqual(list.map((m) => m.id), [3, 2, 1]);
    assert.deepEqual(C.dismissMessage(list, 2).map((m) => m.id), [3, 1]);
    assert.deepEqual(C.dismissMessage(list, 99).map((m) => m.id), [3, 2, 1]);
    for (let i = 4; i <= C.MAX_MESSAGES + 5; i++) list = C.addMessage(list, msg(i));
    assert.equal(list.length, C.MAX_MESSAGES);
    assert.equal(list[0].id, C.MAX_MESSAGES + 5);
  });

  test("notices go by themselves after NOTICE_MS; messages stay until closed", () => {
    const list = [note(3, 1000), msg(2, {at: 0}), note(1, 0)];
    assert.deepEqual(C.expireNotices(list, 1000 + C.NOTICE_MS - 1).map((m) => m.id), [3, 2]);
    assert.deepEqual(C.expireNotices(list, 1000 + C.NOTICE_MS).map((m) => m.id), [2]);
    assert.deepEqual(C.expireNotices(list, 10 ** 9).map((m) => m.id), [2]);
  });

  test("the messages not closed are kept per token (not the notices), and read back defensively", () => {
    const raw = C.messagesRecord("TOK", [note(3, 0), msg(2), msg(1)]);
    assert.deepEqual(C.readMessages(raw, "TOK").map((m) => m.id), [2, 1]);
    assert.deepEqual(C.readMessages(raw, "OTHER"), []);
    for (const bad of [null, "", "{", JSON.stringify({token: "TOK", messages: "x"})]) assert.deepEqual(C.readMessages(bad, "TOK"), []);
    const mixed = JSON.stringify({token: "TOK", messages: [msg(1), {id: "2", kind: "message", text: "x"}, null, msg(3, {text: 5})]});
    assert.deepEqual(C.readMessages(mixed, "TOK").map((m) => m.id), [1]);
  });

  test("a message's time of day in the page's clock, hh:mm", () => {
    const at = new Date(2026, 4, 17, 9, 5, 30).getTime();
    assert.equal(C.timeOfDay(at, 0), "09:05");
    assert.equal(C.timeOfDay(null, new Date(2026, 4, 17, 14, 30).getTime()), "14:30");
  });

  test("an extension says how much was added; an item after the pause says the test goes on", () => {
    assert.deepEqual(C.noticeFor({type: "time", time_left_s: 900, extended_s: 600}, "item"), {key: "time_added_minutes", vars: {m: 10}});
    assert.deepEqual(C.noticeFor({type: "time", time_left_s: 900, extended_s: 600.0}, "paused"), {key: "time_added_minutes", vars: {m: 10}});
    assert.deepEqual(C.noticeFor({type: "time", extended_s: 90}, "item"), {key: "time_added_minutes_seconds", vars: {m: 1, s: 30}});
    assert.deepEqual(C.noticeFor({type: "time", extended_s: 45.2}, "item"), {key: "time_added_seconds", vars: {s: 45}});
    // an older server's time frame (no extended_s) says nothing new; neither does a nonsense value
    assert.equal(C.noticeFor({type: "time", time_left_s: 900}, "item"), null);
    assert.equal(C.noticeFor({type: "time", extended_s: -5}, "item"), null);
    assert.deepEqual(C.noticeFor(item(4), "paused"), {key: "notice_resumed", vars: {}});
    for (const before of ["item", "intro", "loading", null]) assert.equal(C.noticeFor(item(4), before), null, String(before));
    assert.equal(C.noticeFor({type: "paused", reason: "x"}, "item"), null);
  });
});

describe("the link", () => {
  const base = {open: true, waitingSince: null, helloReplied: true, lastRx: 0};

  test("a reply that does not come within 5 s drops the connection", () => {
    assert.equal(C.watchdog({...base, waitingSince: 1000}, 1000 + 5000), null);
    assert.equal(C.watchdog({...base, waitingSince: 1000}, 1000 + 5001), "drop");
  });

  test("7 s without a frame: a ping, which then waits for its pong; a dead link shows the banner within 15 s", () => {
    assert.equal(C.watchdog(base, 7000), null);
    assert.equal(C.watchdog(base, 7001), "ping");
    // checked every CHECK_MS, whatever the phase of the checks against the last frame (and each check a little late,
    // as timers are): the ping goes at most a check late, the drop at most a check after the pong is overdue, and the
    // banner at the drop (deadLinkDownSince)
    let worst = 0;
    for (const phase of [0, 1, 250, 500, 999]) {
      for (const late of [0, 3]) {
        let now = phase;
        let checks = 0;
        const check = () => {
          now += C.CHECK_MS + late;
          checks += 1;
        };
        while (C.watchdog(base, now) !== "ping") check();
        const pinged = now;
        while (C.watchdog({...base, waitingSince: pinged}, now) !== "drop") check();
        const shown = C.banner({screen: "item", hasSocket: true, helloReplied: false, downSince: C.deadLinkDownSince(now)}, now);
        assert.equal(shown.showOffline, true);
        worst = Math.max(worst, now - checks * late); // the page's own timers' lateness aside
      }
    }
    assert.ok(worst <= C.DEAD_LINK_BANNER_MS, `banner at ${worst} ms`);
    assert.ok(C.DEAD_LINK_BANNER_MS <= 15000, "docs/protocol.md: a silent link is noticed within 15 s");
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
    // every screen of a session under way shows it; the final ones and the token screen never
    for (const s of ["waiting", "approval", "confirm", "instructions", "practice", "begin", "intro", "paused", "loading"]) {
      assert.equal(C.banner({...down, screen: s, downSince: 0}, 5000).showOffline, true, s);
    }
    for (const s of ["token", "takeover", "denied", "terminated", "finished"]) {
      assert.equal(C.banner({...down, screen: s, downSince: 0}, 5000).showOffline, false, s);
    }
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
