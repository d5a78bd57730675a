// A WebSocket that reconnects by itself, with a backoff that a server in trouble cannot turn into a storm of hellos.
// Frames are JSON objects.
//
//   const s = new ReconnectingSocket("/ws/candidate", {onOpen, onFrame, onState, onClose});
//   s.send({type: "ping"});       // false when not open (the caller keeps what it must resend)
//   s.ready();                    // the hello succeeded (the page saw the session's state): the backoff starts over
//   s.drop();                     // drop the connection as a network fault would, at once; it reconnects
//   s.stop();                     // close for good
//
// onOpen(socket) runs on each open so the page can say hello again. onState(state) gets "connecting" | "open" |
// "waiting". onClose(event, socket) may return false to stop reconnecting (close codes that mean "do not come back":
// bad token, taken over, terminated, finished), or a number: the least wait (ms) before the next try.
//
// Backoff. A WebSocket opens even while the server cannot serve (its store down: every hello gets `unavailable`,
// close 1013), so an open proves nothing; only ready() does. Each close counts one failure; the wait before the next
// try is 0.5 s doubling with each failure, with jitter, up to a cap drawn anew each time between 5 and 10 s
// (backoffDelay). The count starts over at the first close after ready(), unless that close is the server's own
// trouble (1011, 1013) within STABLE_MS of ready(): a server that takes the hello but fails each answer is waited
// for like one that fails the hello. So a lab of 400 pages asks at most about 40-80 times a second through an outage.
//
// A restart. A server process being restarted (a rolling restart) finishes the move under way, then closes with 1012
// (service restart): the page comes back after a short wait, 0.2-1 s (restartDelay), instead of the backoff's, since
// the other processes are serving. Only the first QUICK_RESTARTS of such closes in a row (with no successful hello in
// between) are quick; after them 1012 is waited for like any other failure, so a server that only ever says 1012
// cannot make the pages spin. The close counts as a failure all the same.
//
// The browser's WebSocket, timers, clock and Math.random are used unless the third argument says otherwise (the Node
// tests pass fakes): {WebSocket, setTimeout, clearTimeout, now, random, url}.

export const FIRST_DELAY_MS = 500;
export const CAP_LOW_MS = 5000;
export const CAP_HIGH_MS = 10000;
export const STABLE_MS = 30000; // ready this long, a connection counts as healthy whatever closes it
export const RESTART_LOW_MS = 200;
export const RESTART_HIGH_MS = 1000;
export const QUICK_RESTARTS = 3;
export const SERVICE_RESTART = 1012; // restarting (docs/protocol.md)
const OPEN = 1; // WebSocket.OPEN
const SERVER_TROUBLE = new Set([1011, 1013]); // internal, unavailable (docs/protocol.md)

// The wait (ms) before the next try after `failures` (>= 1) failures in a row: 0.5 s * 2^(failures-1), times a
// jitter of 0.75-1.25, but never over a cap drawn between CAP_LOW_MS and CAP_HIGH_MS.
export function backoffDelay(failures, random = Math.random) {
  const base = FIRST_DELAY_MS * 2 ** Math.min(Math.max(failures, 1) - 1, 16);
  const cap = CAP_LOW_MS + random() * (CAP_HIGH_MS - CAP_LOW_MS);
  return Math.min(base * (0.75 + random() * 0.5), cap);
}

// The wait (ms) a `rate_limited` error asks for (its `retry_after_ms`; 1 s when missing or bad, at most a minute),
// plus up to half of it again (at least 250 ms) so that pages refused together do not come back together.
export function retryAfterDelay(retryAfterMs, random = Math.random) {
  const asked = Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? Math.min(retryAfterMs, 60000) : 1000;
  return asked + random() * Math.max(250, asked / 2);
}

// The wait (ms) after a close with 1012 (the process is restarting; the others serve): RESTART_LOW_MS to
// RESTART_HIGH_MS, spread so that the pages of a process do not all come back at once.
export const restartDelay = (random = Math.random) => RESTART_LOW_MS + random() * (RESTART_HIGH_MS - RESTART_LOW_MS);

// A wait between CAP_LOW_MS and CAP_HIGH_MS: for a refusal that will not clear up at once (too many windows).
export const slowDelay = (random = Math.random) => CAP_LOW_MS + random() * (CAP_HIGH_MS - CAP_LOW_MS);

export class ReconnectingSocket {
  constructor(path, handlers, env = {}) {
    this.env = {
      WebSocket: env.WebSocket ?? globalThis.WebSocket,
      setTimeout: env.setTimeout ?? ((fn, ms) => setTimeout(fn, ms)),
      clearTimeout: env.clearTimeout ?? ((id) => clearTimeout(id)),
      now: env.now ?? (() => Date.now()),
      random: env.random ?? Math.random,
    };
    this.url = env.url ?? (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
    this.handlers = handlers;
    this.failures = 0; // closes since the backoff last started over
    this.restarts = 0; // closes with 1012 in a row, since the last successful hello
    this.readyAt = null; // when the current connection's hello succeeded (null: not yet)
    this.lastWait = null; // the last wait chosen (ms), for the tests
    this.stopped = false;
    this.ws = null;
    this.timer = null;
    this.open();
  }

  open() {
    if (this.stopped) return;
    this.timer = null;
    this.readyAt = null;
    this.state("connecting");
    const ws = new this.env.WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (this.ws !== ws) return;
      this.state("open");
      this.handlers.onOpen?.(this);
    });
    ws.addEventListener("message", (event) => {
      if (this.ws !== ws) return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.handlers.onFrame?.(frame, this);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.closed(event);
    });
  }

  closed(event) {
    const now = this.env.now();
    const healthy = this.readyAt !== null && (!SERVER_TROUBLE.has(event.code) || now - this.readyAt >= STABLE_MS);
    this.readyAt = null;
    this.failures = healthy ? 1 : this.failures + 1;
    this.restarts = event.code === SERVICE_RESTART ? this.restarts + 1 : 0;
    const again = this.handlers.onClose?.(event, this);
    if (again === false || this.stopped) {
      this.stopped = true;
      return;
    }
    this.state("waiting");
    const floor = typeof again === "number" && again > 0 ? again : 0;
    const quick = this.restarts > 0 && this.restarts <= QUICK_RESTARTS;
    const wait = quick ? restartDelay(this.env.random) : backoffDelay(this.failures, this.env.random);
    this.lastWait = Math.max(wait, floor);
    this.timer = this.env.setTimeout(() => this.open(), this.lastWait);
  }

  // The page saw the hello succeed on this connection.
  ready() {
    if (this.isOpen && this.readyAt === null) {
      this.readyAt = this.env.now();
      this.restarts = 0;
    }
  }

  state(name) {
    this.handlers.onState?.(name);
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === OPEN;
  }

  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  // Drop the connection as a network fault would, and go on at once as after its close (the page's watchdog uses it
  // for a link gone silent, the tests to break one). The close event is not waited for: on a dead link it comes only
  // when the browser gives up the closing handshake (a minute, or when the network is back), and the page would sit
  // with a connection that carries nothing until then.
  drop() {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null; // its own close event, whenever it comes, is ignored
    try {
      ws.close(4000, "drop");
    } catch {
      // closed already
    }
    this.closed({code: 4000, reason: "drop", wasClean: false});
  }

  stop() {
    this.stopped = true;
    this.env.clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000, "bye");
  }
}
