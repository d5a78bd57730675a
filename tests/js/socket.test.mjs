// socket.js: the reconnecting WebSocket's backoff, with a fake WebSocket, fake timers and a fake clock.

import assert from "node:assert/strict";
import {describe, test} from "node:test";
import {load} from "./static.mjs";

const S = await load("socket.js");

// A world of fake time: timers run only when the test advances the clock.
function world({random = Math.random} = {}) {
  const w = {now: 0, timers: [], sockets: [], nextId: 1};
  class FakeSocket {
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      this.listeners = {};
      w.sockets.push(this);
    }
    addEventListener(type, fn) {
      (this.listeners[type] ??= []).push(fn);
    }
    emit(type, event = {}) {
      for (const fn of this.listeners[type] ?? []) fn(event);
    }
    send(text) {
      this.sent.push(JSON.parse(text));
    }
    // the server (or the network) side
    opens() {
      this.readyState = 1;
      this.emit("open");
    }
    frame(obj) {
      this.emit("message", {data: JSON.stringify(obj)});
    }
    closes(code) {
      this.readyState = 3;
      this.emit("close", {code});
    }
    close(code) {
      if (this.readyState !== 3) this.closes(code);
    }
  }
  w.env = {
    WebSocket: FakeSocket,
    url: "ws://test/ws/candidate",
    now: () => w.now,
    random,
    setTimeout: (fn, ms) => {
      const id = w.nextId++;
      w.timers.push({id, at: w.now + ms, fn});
      return id;
    },
    clearTimeout: (id) => {
      w.timers = w.timers.filter((t) => t.id !== id);
    },
  };
  w.last = () => w.sockets[w.sockets.length - 1];
  // run the timers due up to now + ms, in order
  w.advance = (ms) => {
    const end = w.now + ms;
    for (;;) {
      w.timers.sort((a, b) => a.at - b.at);
      const next = w.timers[0];
      if (!next || next.at > end) break;
      w.timers.shift();
      w.now = next.at;
      next.fn();
    }
    w.now = end;
  };
  // wait for the pending reconnect timer; returns the wait it had
  w.reconnect = () => {
    assert.equal(w.timers.length, 1, "one reconnect timer is pending");
    const wait = w.timers[0].at - w.now;
    const before = w.sockets.length;
    w.advance(wait);
    assert.equal(w.sockets.length, before + 1, "the timer opened a new socket");
    return wait;
  };
  return w;
}

// A page that says hello on each open, as candidate.js and proctor.js do.
function page(w, onClose = () => true) {
  return new S.ReconnectingSocket("/ws/candidate", {onOpen: (s) => s.send({type: "hello", token: "T"}), onClose}, w.env);
}

// Bounds of the wait after `failures` failures: the jitter around the doubled base, under the 5-10 s cap.
function bounds(failures) {
  const base = S.FIRST_DELAY_MS * 2 ** (failures - 1);
  return [Math.min(0.75 * base, S.CAP_LOW_MS), Math.min(1.25 * base, S.CAP_HIGH_MS)];
}

function assertWithin(wait, [low, high], what) {
  assert.ok(wait >= low && wait <= high, `${what}: ${wait} not in [${low}, ${high}]`);
}

describe("backoff", () => {
  test("bare opens do not start the backoff over: the server answering unavailable (1013) to every hello", () => {
    const w = world();
    const s = page(w);
    const waits = [];
    for (let i = 1; i <= 12; i++) {
      w.last().opens();
      assert.deepEqual(w.last().sent, [{type: "hello", token: "T"}]);
      w.last().frame({type: "error", code: "unavailable", message: "..."});
      w.last().closes(1013);
      assert.equal(s.failures, i);
      waits.push(w.reconnect());
      assertWithin(waits.at(-1), bounds(i), `wait ${i}`);
    }
    // from the fifth failure on, every wait is 5-10 s
    for (const wait of waits.slice(4)) assertWithin(wait, [S.CAP_LOW_MS, S.CAP_HIGH_MS], "capped wait");
  });

  test("sockets that never open back off the same way", () => {
    const w = world({random: () => 0.5});
    page(w);
    const waits = [];
    for (let i = 0; i < 8; i++) {
      w.last().closes(1006);
      waits.push(w.reconnect());
    }
    assert.deepEqual(waits.slice(0, 4), [500, 1000, 2000, 4000]);
    assert.deepEqual(waits.slice(4), [7500, 7500, 7500, 7500]); // the cap drawn at 0.5: 7.5 s
  });

  test("a successful hello starts the backoff over at the next close", () => {
    const w = world({random: () => 0.5});
    const s = page(w);
    for (let i = 0; i < 6; i++) {
      w.last().opens();
      w.last().closes(1013);
      w.reconnect();
    }
    assert.equal(s.failures, 6);
    w.last().opens();
    s.ready(); // the page saw the session's state
    w.advance(1000);
    w.last().closes(1006); // a network drop
    assert.equal(s.failures, 1);
    assert.equal(w.reconnect(), 500);
  });

  test("ready() on a socket that is not open changes nothing", () => {
    const w = world({random: () => 0.5});
    const s = page(w);
    w.last().closes(1006);
    w.reconnect();
    s.ready(); // not open yet
    w.last().closes(1006);
    assert.equal(s.failures, 2);
  });

  test("unavailable soon after a successful hello keeps backing off; after STABLE_MS it starts over", () => {
    const w = world({random: () => 0.5});
    const s = page(w);
    // a server that takes each hello but fails the answer that follows (e.g. replicas not confirming)
    const waits = [];
    for (let i = 0; i < 7; i++) {
      w.last().opens();
      s.ready();
      w.advance(200);
      w.last().closes(1013);
      waits.push(w.reconnect());
    }
    assert.deepEqual(waits, [500, 1000, 2000, 4000, 7500, 7500, 7500]);
    // a connection that served for longer than STABLE_MS: its 1013 is a fresh outage
    w.last().opens();
    s.ready();
    w.advance(S.STABLE_MS);
    w.last().closes(1013);
    assert.equal(w.reconnect(), 500);
  });

  test("onClose returning false stops; a number is the least wait", () => {
    const w = world({random: () => 0.5});
    let answer = 8000;
    const s = page(w, () => answer);
    w.last().opens();
    w.last().closes(4009);
    assert.equal(w.reconnect(), 8000); // over the backoff's 500
    answer = 0;
    w.last().closes(1006);
    assert.equal(w.reconnect(), 1000);
    answer = false;
    w.last().closes(4001);
    assert.equal(w.timers.length, 0);
    assert.equal(s.stopped, true);
  });

  test("stop() closes for good: no timer, no new socket", () => {
    const w = world();
    const s = page(w);
    w.last().opens();
    w.last().closes(1006);
    assert.equal(w.timers.length, 1);
    s.stop();
    assert.equal(w.timers.length, 0);
    w.advance(60000);
    assert.equal(w.sockets.length, 1);
    const t = world();
    const s2 = page(t);
    t.last().opens();
    s2.stop(); // closes the open socket with 1000: not reconnected
    assert.equal(t.timers.length, 0);
    assert.equal(t.sockets.length, 1);
  });

  test("a minute of a store outage: a handful of hellos per page, not a hundred", () => {
    const w = world();
    page(w);
    // the socket opens at once and the hello is refused at once: only the waits space the hellos
    for (;;) {
      const sock = w.last();
      sock.opens();
      sock.closes(1013);
      const wait = w.timers[0].at - w.now;
      if (w.now + wait > 60000) break;
      w.reconnect();
    }
    const hellos = w.sockets.reduce((n, sock) => n + sock.sent.length, 0);
    // 0.5 + 1 + 2 + 4 s, then one per 5-10 s: between 10 and 15 in a minute (the old backoff reached 5 s: about 16;
    // one that started over at each open: about 100)
    assert.ok(hellos >= 9 && hellos <= 15, `${hellos} hellos`);
  });
});

describe("restarts (1012)", () => {
  test("a close with 1012 after a successful hello comes back within 0.2-1 s, even after a long backoff", () => {
    for (const [r, expected] of [[0, 200], [0.5, 600], [1 - 1e-9, 1000]]) {
      const w = world({random: () => r});
      const s = page(w);
      for (let i = 0; i < 6; i++) {
        w.last().opens();
        w.last().closes(1013); // an outage first: the backoff is at its cap
        w.reconnect();
      }
      w.last().opens();
      s.ready();
      w.advance(5000);
      w.last().frame({type: "error", code: "restarting", message: "..."});
      w.last().closes(1012);
      assert.ok(Math.abs(w.reconnect() - expected) < 1e-6, `random ${r}`);
      assert.deepEqual(w.last().sent, []); // a new socket, not opened yet: the hello follows its open
      w.last().opens();
      assert.deepEqual(w.last().sent, [{type: "hello", token: "T"}]);
    }
  });

  test("1012 again before any hello succeeds: quick QUICK_RESTARTS times in a row, then the backoff", () => {
    const w = world({random: () => 0.5});
    const s = page(w);
    w.last().opens();
    s.ready();
    const waits = [];
    for (let i = 0; i < S.QUICK_RESTARTS + 3; i++) {
      w.last().opens();
      w.last().closes(1012); // a process draining answers each hello with 1012
      waits.push(w.reconnect());
    }
    const quick = Array(S.QUICK_RESTARTS).fill(600);
    // failures went on counting meanwhile (1 at the close after the hello, then 2, 3): the backoff goes on from 4
    assert.deepEqual(waits, [...quick, 4000, 7500, 7500]);
    // a successful hello starts the quick restarts over
    w.last().opens();
    s.ready();
    w.last().closes(1012);
    assert.equal(w.reconnect(), 600);
  });

  test("another close in between starts the count of quick restarts over; a rate_limited wait stays a floor", () => {
    const w = world({random: () => 0.5});
    let floor = 0;
    page(w, () => floor);
    for (let i = 0; i < S.QUICK_RESTARTS; i++) {
      w.last().closes(1012);
      w.reconnect();
    }
    w.last().closes(1006); // refused: the backoff's wait
    assert.equal(w.reconnect(), S.backoffDelay(S.QUICK_RESTARTS + 1, () => 0.5));
    w.last().closes(1012);
    assert.equal(w.reconnect(), 600);
    floor = 3000; // the page was asked to wait (rate_limited) before the restart
    w.last().closes(1012);
    assert.equal(w.reconnect(), 3000);
  });

  test("an answer in flight when the process restarts is resent after the new hello's item (candidate_state.js)", async () => {
    const C = await load("candidate_state.js");
    const w = world({random: () => 0.25});
    const item = (seq) => ({type: "item", seq, item: {id: `I${seq}`, stem: "?", options: ["a", "b"]}, time_left_s: 60});
    let screen = {item: null, selected: null, itemError: null, notice: null};
    let pending = null;
    const s = new S.ReconnectingSocket(
      "/ws/candidate",
      {
        onOpen: (sock) => sock.send({type: "hello", token: "T"}),
        onFrame: (frame, sock) => {
          if (frame.type !== "item") return;
          sock.ready();
          const next = C.itemArrives(screen, pending, frame);
          screen = next;
          if (next.settled) pending = null;
          if (next.resend) sock.send({type: "answer", seq: pending.seq, response: pending.response});
        },
        onClose: () => 0,
      },
      w.env,
    );
    w.last().opens();
    w.last().frame(item(7));
    pending = {token: "T", seq: 7, response: 1};
    assert.equal(s.send({type: "answer", seq: 7, response: 1}), true);
    // the process drains: it made the move under way, or not yet; either way it says restarting and closes 1012
    w.last().frame({type: "error", code: "restarting", message: "..."});
    w.last().closes(1012);
    assert.equal(w.reconnect(), S.restartDelay(() => 0.25)); // 400 ms
    w.last().opens();
    w.last().frame(item(7)); // another process: the same item, the answer had not been applied
    assert.deepEqual(w.last().sent, [{type: "hello", token: "T"}, {type: "answer", seq: 7, response: 1}]);
    w.last().frame(item(8)); // its reply
    assert.equal(pending, null);
  });
});

describe("delays", () => {
  test("backoffDelay stays within its jitter and the 5-10 s cap, whatever random gives", () => {
    for (const r of [0, 1e-9, 0.25, 0.5, 0.75, 1 - 1e-9]) {
      for (let failures = 1; failures <= 40; failures++) {
        assertWithin(S.backoffDelay(failures, () => r), bounds(Math.min(failures, 20)), `failures ${failures}, random ${r}`);
      }
    }
    for (let i = 0; i < 2000; i++) {
      const failures = 1 + Math.floor(Math.random() * 30);
      assertWithin(S.backoffDelay(failures), bounds(Math.min(failures, 20)), `failures ${failures}`);
    }
    assert.equal(S.backoffDelay(0, () => 0.5), 500); // read as the first failure
  });

  test("the cap itself is jittered between 5 and 10 s", () => {
    const seen = new Set();
    for (let i = 0; i < 200; i++) seen.add(Math.floor(S.backoffDelay(30) / 1000));
    assert.deepEqual([...seen].sort(), [5, 6, 7, 8, 9]);
  });

  test("retryAfterDelay waits at least what was asked, at most half again (at least 250 ms more)", () => {
    for (const r of [0, 0.5, 1 - 1e-9]) {
      assertWithin(S.retryAfterDelay(2000, () => r), [2000, 3000], "2000");
      assertWithin(S.retryAfterDelay(100, () => r), [100, 350], "100");
      assertWithin(S.retryAfterDelay(undefined, () => r), [1000, 1500], "missing");
      assertWithin(S.retryAfterDelay(-5, () => r), [1000, 1500], "negative");
      assertWithin(S.retryAfterDelay(Number.NaN, () => r), [1000, 1500], "NaN");
      assertWithin(S.retryAfterDelay(3_600_000, () => r), [60000, 90000], "an hour is read as a minute");
    }
  });

  test("restartDelay is 0.2-1 s", () => {
    assert.equal(S.restartDelay(() => 0), S.RESTART_LOW_MS);
    for (let i = 0; i < 200; i++) assertWithin(S.restartDelay(), [S.RESTART_LOW_MS, S.RESTART_HIGH_MS], "restart");
  });

  test("slowDelay is 5-10 s", () => {
    assert.equal(S.slowDelay(() => 0), S.CAP_LOW_MS);
    for (let i = 0; i < 200; i++) assertWithin(S.slowDelay(), [S.CAP_LOW_MS, S.CAP_HIGH_MS], "slow");
  });
});

describe("drop", () => {
  test("a silent link is dropped at once: the page hears the close and reconnects without waiting for the browser", () => {
    const w = world({random: () => 0.5});
    const closes = [];
    const states = [];
    const s = new S.ReconnectingSocket(
      "/ws/candidate",
      {onOpen: (x) => x.send({type: "hello", token: "T"}), onClose: (event) => closes.push(event.code), onState: (n) => states.push(n)},
      w.env,
    );
    const dead = w.last();
    dead.opens();
    s.ready();
    dead.close = (code) => dead.closing.push(code); // a dead link: the close handshake never ends, no close event
    dead.closing = [];
    w.advance(1000);
    s.drop();
    assert.deepEqual(dead.closing, [4000]); // asked to close...
    assert.deepEqual(closes, [4000]); // ...and taken as closed now
    assert.equal(s.isOpen, false);
    assert.equal(s.send({type: "ping"}), false);
    assert.equal(states.at(-1), "waiting");
    assert.equal(w.reconnect(), 500); // healthy before: the backoff starts over
    // the dead socket's own close, a minute later, changes nothing
    dead.closes(1006);
    assert.deepEqual(closes, [4000]);
    assert.equal(w.timers.length, 0);
    w.last().opens();
    assert.deepEqual(w.last().sent, [{type: "hello", token: "T"}]);
    assert.equal(s.isOpen, true);
  });

  test("drop with nothing open does nothing; after stop() it does not reconnect", () => {
    const w = world({random: () => 0.5});
    const closes = [];
    const s = new S.ReconnectingSocket("/ws/candidate", {onClose: (event) => closes.push(event.code)}, w.env);
    w.last().closes(1006);
    s.drop(); // between tries: nothing to drop
    assert.deepEqual(closes, [1006]);
    assert.equal(w.timers.length, 1);
    w.reconnect();
    w.last().opens();
    s.stop();
    s.drop();
    assert.equal(w.timers.length, 0);
  });
});
