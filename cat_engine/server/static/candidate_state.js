// The candidate page's decisions, pure (no DOM, no storage, no timers; time comes in as `now`, in ms of any one
// clock): which screen a frame from the server leads to, the steps before the battery starts (who am I,
// instructions, practice, begin), what a frame does to the pending answer, seats (another computer waiting for the
// proctor's approval, moved, refused), the proctor's messages and the notices of what changed, when the link is dead,
// when the offline banner shows, the countdowns, and the keyboard.
//
// Exactly once (docs/pages.md): an answer is kept ("pending") from before it is sent until a reply shows what became
// of it. After a reconnect or a reload, once the hello reply has come: the same item again means "resend the pending
// answer" (the server applies it, or replies as before if it already had); a later item, the next subtest's intro or
// `finished` means it is over (applied, or its subtest ended); the errors time_up and finished settle it too.

export const LETTERS = "ABCDEFGHI";
// A silent link shows the banner within IDLE_PING_MS + REPLY_TIMEOUT_MS + two 1 s checks = 14 s (docs/protocol.md,
// "Dead links": within 15 s): the page checks every CHECK_MS, pings after IDLE_PING_MS of quiet, drops the link when
// the pong is REPLY_TIMEOUT_MS late, and then shows the banner at once (deadLinkDownSince). The ping also keeps the
// server from closing a quiet connection (it does after 30 s without a frame, error `idle`).
export const REPLY_TIMEOUT_MS = 5000; // no frame this long after hello/start/answer/ping: the link is dead, reconnect
export const IDLE_PING_MS = 7000; // ping after this long without a frame
export const CHECK_MS = 1000; // how often the page looks at its link (candidate.js: checkLink)
export const BANNER_DELAY_MS = 1000; // a quicker reconnect is not worth alarming anyone
export const DEAD_LINK_BANNER_MS = IDLE_PING_MS + REPLY_TIMEOUT_MS + 2 * CHECK_MS; // the worst case: 14 s
export const WARN_BELOW_MS = 5 * 60 * 1000; // the clock turns to its warning colour

// --- the pending answer ------------------------------------------------------------------------------------------

// The pending answer kept in storage (`raw`, JSON) if it is a well-formed one of `token`; null otherwise.
export function readPending(raw, token) {
  try {
    const p = JSON.parse(raw);
    if (p && p.token === token && Number.isInteger(p.seq) && Number.isInteger(p.response)) return p;
  } catch {
    // unreadable: treat as none
  }
  return null;
}

export const pendingRecord = (token, seq, response) => JSON.stringify({token, seq, response});

// The screen's item state after an `item` frame. `page` = {item, selected, itemError}; `pending` the pending answer
// or null. Returns the new state plus: `same` (the item on screen again), `settled` (the pending answer was applied:
// forget it), `resend` (send the pending answer again: the server dedups).
export function itemArrives(page, pending, frame) {
  const settled = pending !== null && pending.seq !== frame.seq;
  const keep = settled ? null : pending;
  const same = page.item !== null && page.item !== undefined && page.item.seq === frame.seq;
  return {
    item: frame,
    selected: keep ? keep.response : same ? page.selected : null,
    itemError: same ? page.itemError : null,
    same,
    settled,
    resend: keep !== null,
  };
}

// Whether a state frame other than `item` settles the pending answer: the next subtest's intro (the answer's subtest
// is over: applied, or its time ran out), `finished`, and the frames of a battery not started (`welcome`, `waiting`
// for a closed room: no answer can be pending there). `paused` keeps it: the same item comes back on resume, and the
// answer is resent then. So does a `waiting` of any other reason (`approval`: this computer waits for the proctor to
// let it take the sitting over; what comes after the approval says what became of the answer).
export function settlesPending(type, reason) {
  if (type === "waiting") return reason === "room_closed";
  return ["subtest_intro", "finished", "welcome"].includes(type);
}

// The frames that say where the session is: the reply to a hello, and what the server pushes as the session moves.
export const STATE_FRAMES = ["waiting", "welcome", "subtest_intro", "item", "paused", "finished"];

// What a frame says of the connection's hello, while no reply has come (`helloReplied` false):
//   "ready"    the session's state (waiting, welcome, subtest_intro, item, paused, finished): the hello succeeded
//   "later"    rate_limited: nothing was done, say hello again after its retry_after_ms (the connection stays open)
//   "refused"  any other error: the hello failed (the error and the close code that follows decide what next)
//   null       not a reply to the hello (one came already, or a pong, a time...)
export function helloReply(helloReplied, frame) {
  if (helloReplied) return null;
  if (STATE_FRAMES.includes(frame.type)) return "ready";
  if (frame.type === "error") return frame.code === "rate_limited" ? "later" : "refused";
  return null;
}

// What an error frame means for the page (the codes not named here, `seat_denied`, `idle`, `taken_over`... are
// "none": their close code decides):
//   "bad_token"   the hello itself was refused (its token cannot be one)
//   "settle"      the pending answer is over (came too late; what comes next follows)
//   "settle_resync" it is over and the battery ended: reconnect to get `finished`
//   "retry"       the answer was refused: forget it, choose again
//   "keep"        refused while paused: kept, resent when the item comes back
//   "resync"      out of step with the server: reconnect, the hello reply says where the session is (not_started:
//                 an answer while the server shows an intro or the welcome; a page following the protocol never
//                 gets it, and the hello reply shows that screen again)
//   "later"       rate_limited: say hello again after the wait it asks for
//   "none"        the close code that follows decides (bad_token, taken_over, terminated, too_many_connections,
//                 unavailable, internal, restarting, flood...)
export function errorAction(code, helloReply) {
  if (helloReply && code === "bad_message") return "bad_token";
  switch (code) {
    case "rate_limited":
      return "later";
    case "time_up":
      return "settle";
    case "finished":
      return "settle_resync";
    case "bad_response":
      return "retry";
    case "paused":
      return "keep";
    case "wrong_seq":
    case "not_started":
    case "bad_message":
    case "not_authenticated":
      return "resync";
    default:
      return "none";
  }
}

// --- screens and the steps before the battery --------------------------------------------------------------------

// Before the battery starts the page walks the candidate through its own steps, sending nothing until `start`:
//   confirm       who the token belongs to, and the battery ("Ini saya"; someone else calls the proctor)
//   instructions  the page's general instructions, then the battery's own
//   practice      each practice item in turn (`index`), answered in the page only: untimed, unscored, never sent
//   begin         "Mulai tes": sends {"type": "start"}
// The steps are kept per token (sessionStorage), so a reconnect, a reload or a room closed and opened again
// (`welcome` again) brings the candidate back to where they were, not to the start.
export const STEPS = ["confirm", "instructions", "practice", "begin"];

export const firstSteps = () => ({step: "confirm", index: 0, done: false});

// The steps after the candidate moves on from `steps`; `practiceCount` is the number of practice items.
export function nextStep(steps, practiceCount) {
  switch (steps.step) {
    case "confirm":
      return {step: "instructions", index: 0, done: false};
    case "instructions":
      return practiceCount > 0 ? {step: "practice", index: 0, done: false} : {step: "begin", index: 0, done: false};
    case "practice":
      if (!steps.done) return {...steps, done: true}; // the choice is "saved": the feedback shows, then move on
      if (steps.index + 1 < practiceCount) return {step: "practice", index: steps.index + 1, done: false};
      return {step: "begin", index: 0, done: false};
    default:
      return {step: "begin", index: 0, done: false};
  }
}

export const stepsRecord = (token, steps) => JSON.stringify({token, step: steps.step, index: steps.index});

// The steps kept in storage (`raw`, JSON) for `token`, fitted to a battery of `practiceCount` practice items; the
// first step when there are none (or they are of another token, or unreadable). A practice item is shown afresh.
export function readSteps(raw, token, practiceCount) {
  try {
    const s = JSON.parse(raw);
    if (s && s.token === token && STEPS.includes(s.step) && Number.isInteger(s.index) && s.index >= 0) {
      if (s.step !== "practice") return {step: s.step, index: 0, done: false};
      if (s.index < practiceCount) return {step: "practice", index: s.index, done: false};
      return {step: "begin", index: 0, done: false};
    }
  } catch {
    // unreadable: start over
  }
  return firstSteps();
}

// The screen a state frame leads to (`steps`: where the candidate is before the battery starts; `reason`: a
// `waiting` frame's).
export function screenFor(type, steps, reason) {
  switch (type) {
    case "waiting":
      return reason === "approval" ? "approval" : "waiting";
    case "welcome":
      return steps.step;
    case "subtest_intro":
      return "intro";
    case "item":
    case "paused":
    case "finished":
      return type;
    default:
      return null;
  }
}

// The text key of the waiting screen for a `waiting` frame's reason (a reason this page does not know: a general wait).
export const waitingKey = (reason) => (reason === "room_closed" ? "waiting_room_closed" : "waiting_general");

// A text meant for the candidate in the chosen language: the battery's texts come as {"id": ..., "en": ...}; a plain
// string is itself; a language missing falls back to Indonesian, then to any; null (none) is "".
export function pickText(text, lang) {
  if (typeof text === "string") return text;
  if (!text || typeof text !== "object") return "";
  for (const value of [text[lang], text.id, ...Object.values(text)]) {
    if (typeof value === "string" && value !== "") return value;
  }
  return "";
}

// A subtest's time limit as a text key and its values: whole minutes, or seconds under a minute, or no limit.
export function limitText(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return {key: "limit_none", vars: {}};
  if (seconds < 60) return {key: "limit_seconds", vars: {s: Math.max(0, Math.round(seconds))}};
  return {key: "limit_minutes", vars: {m: Math.round(seconds / 60)}};
}

// The intro's `previous_subtest` as a text key (null: none).
export function previousKey(previous) {
  if (!previous || typeof previous !== "object") return null;
  return previous.reason === "time_up" ? "subtest_time_up" : "subtest_completed";
}

// The steps of the battery as an intro shows them: the subtests before `index` done, `index` current.
export const introSteps = (index, count) => steps({subtests_done: index, subtests_total: count}, index);

// --- the device --------------------------------------------------------------------------------------------------

// The id of this computer sent in every hello (docs/protocol.md, "Seats"): 22 characters of A-Z a-z 0-9 - _ (132
// random bits), made once from `bytes` (crypto.getRandomValues) and kept in localStorage.
export const DEVICE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
export const DEVICE_LENGTH = 22;

export function makeDevice(bytes) {
  if (!bytes || bytes.length < DEVICE_LENGTH) throw new Error(`makeDevice needs ${DEVICE_LENGTH} random bytes`);
  let id = "";
  for (let i = 0; i < DEVICE_LENGTH; i++) id += DEVICE_ALPHABET[bytes[i] & 63]; // 64 letters: every one as likely
  return id;
}

// A device id as the server takes it (8 to 64 of A-Z a-z 0-9 - _), or null.
export const readDevice = (raw) => (typeof raw === "string" && /^[A-Za-z0-9_-]{8,64}$/.test(raw) ? raw : null);

// --- the link ----------------------------------------------------------------------------------------------------

// A dead link (no close event, no frames) is noticed by a reply that does not come: "drop" (reconnect and resend),
// "ping" (quiet for a while: ask), or null.
export function watchdog({open, waitingSince, helloReplied, lastRx}, now) {
  if (!open) return null;
  if (waitingSince !== null && now - waitingSince > REPLY_TIMEOUT_MS) return "drop";
  if (waitingSince === null && helloReplied && now - lastRx > IDLE_PING_MS) return "ping";
  return null;
}

// The banner's text key: why the link is down when the server said (`note`: "busy" for rate_limited or unavailable,
// "windows" for too_many_connections), else whether the session was ever reached on this page.
export function bannerKey({note, everConnected}) {
  if (note === "busy" || note === "windows") return `banner_${note}`;
  return everConnected ? "banner_reconnecting" : "banner_first";
}

// The screens of a session under way (the connection matters there: the banner shows when it is down).
export const SESSION_SCREENS = [
  "loading", "waiting", "approval", "confirm", "instructions", "practice", "begin", "intro", "item", "paused",
];

// The `downSince` to set when the watchdog dropped a silent link at `now`: the link has been dead for several seconds
// already, so the banner shows at once rather than BANNER_DELAY_MS later.
export const deadLinkDownSince = (now) => now - BANNER_DELAY_MS;

// The offline banner: shown once a session's connection has been down for BANNER_DELAY_MS. Returns the new
// {downSince, showOffline}.
export function banner({screen, hasSocket, helloReplied, downSince}, now) {
  const down = SESSION_SCREENS.includes(screen) && hasSocket && !helloReplied;
  const since = down ? (downSince ?? now) : null;
  return {downSince: since, showOffline: down && now - since >= BANNER_DELAY_MS};
}

// What a close code means for the page (docs/protocol.md, error table):
//   "bad_token", "takeover", "terminated"   a final screen, no reconnect (4002 taken_over: another window of this
//                 computer took the sitting, or the proctor approved moving it to another computer)
//   "seat_denied" 4011: the proctor did not let this computer take the sitting over; a final screen, no reconnect
//                 (the candidate may ask again: "Coba lagi")
//   "finished"    1000 after the `finished` frame: the battery is over, no reconnect
//   "windows"     4009 too_many_connections: the token is open in too many windows; retry slowly
//   "busy"        1013 unavailable, 1011 internal: the server cannot serve now; retry with the backoff
//   "restart"     1012 restarting: this server process is being restarted, the others serve; reconnect soon
//                 (socket.js waits 0.2-1 s), only the reconnecting banner
//   "retry"       anything else: a network drop, 4010 idle (the server took the link for dead), ... reconnect
export function closeAction(code, finished) {
  switch (code) {
    case 4001:
      return "bad_token";
    case 4002:
      return "takeover";
    case 4003:
      return "terminated";
    case 4009:
      return "windows";
    case 4011:
      return "seat_denied";
    case 4010:
      return "retry";
    case 1011:
    case 1013:
      return "busy";
    case 1012:
      return "restart";
    case 1000:
      return finished ? "finished" : "retry";
    default:
      return "retry";
  }
}

// --- seats: which "taken over" this is ------------------------------------------------------------------------------

// Another window of this browser that says hello with the same token tells the others (BroadcastChannel); a
// `taken_over` soon after it is that window's doing (the same computer), any other the proctor's approval of a move
// to another computer (docs/protocol.md, "Seats"). `sameDeviceAt`: when such a hello was last heard (null: never).
export const SAME_DEVICE_WINDOW_MS = 30000;

// Whether two tokens as typed are the same token (case, spaces and dashes do not matter, as on the server).
export const sameToken = (a, b) =>
  typeof a === "string" && typeof b === "string" && a.replace(/[\s-]/g, "").toUpperCase() === b.replace(/[\s-]/g, "").toUpperCase();

export function takeoverKind(sameDeviceAt, now) {
  return sameDeviceAt !== null && now - sameDeviceAt <= SAME_DEVICE_WINDOW_MS ? "window" : "moved";
}

// --- the proctor's messages, and notices of what changed -----------------------------------------------------------

// The stack over the page's content: {id, kind, at, ...}; kind "message" (a proctor's `message` frame: `text`, its
// time `atMs`; shown until the candidate closes it) or "notice" (the page saying what changed: `key` and `vars` of a
// text; it goes by itself after NOTICE_MS). Newest first; at most MAX_MESSAGES (the oldest go).
export const NOTICE_MS = 15000;
export const MAX_MESSAGES = 20;

export function addMessage(list, entry) {
  return [entry, ...list].slice(0, MAX_MESSAGES);
}

export const dismissMessage = (list, id) => list.filter((m) => m.id !== id);

// The notices whose time is up at `now` removed (the messages stay until closed).
export const expireNotices = (list, now) => list.filter((m) => m.kind !== "notice" || now - m.at < NOTICE_MS);

// A `message` frame as an entry of the stack (null when it has no text).
export function messageEntry(frame, id, now) {
  if (typeof frame.text !== "string" || frame.text.trim() === "") return null;
  const atMs = Number.isFinite(frame.at_ms) ? frame.at_ms : null;
  return {id, kind: "message", at: now, atMs, text: frame.text};
}

// The proctor's messages kept in sessionStorage (so a reload does not lose one not yet closed): those of `token`.
export const messagesRecord = (token, list) => JSON.stringify({token, messages: list.filter((m) => m.kind === "message")});

export function readMessages(raw, token) {
  try {
    const r = JSON.parse(raw);
    if (r && r.token === token && Array.isArray(r.messages)) {
      return r.messages
        .filter((m) => m && m.kind === "message" && Number.isInteger(m.id) && typeof m.text === "string")
        .slice(0, MAX_MESSAGES);
    }
  } catch {
    // unreadable: none
  }
  return [];
}

// A message's time of day, hh:mm in the page's own clock (`atMs` server time, ms since the epoch; `fallback` when
// there is none).
export function timeOfDay(atMs, fallback) {
  const d = new Date(Number.isFinite(atMs) ? atMs : fallback);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

// How much time a proctor added, as a text key and its values: whole minutes, minutes and seconds, or seconds.
export function addedText(seconds) {
  const total = Math.round(seconds);
  if (total >= 60 && total % 60 === 0) return {key: "time_added_minutes", vars: {m: total / 60}};
  if (total >= 60) return {key: "time_added_minutes_seconds", vars: {m: Math.floor(total / 60), s: total % 60}};
  return {key: "time_added_seconds", vars: {s: Math.max(0, total)}};
}

// The notice a frame calls for, given the screen shown before it (null: none): a `time` frame with `extended_s`
// says how much was added; an `item` after the pause screen says the test goes on.
export function noticeFor(frame, screenBefore) {
  if (frame.type === "time" && Number.isFinite(frame.extended_s) && frame.extended_s > 0) {
    return addedText(frame.extended_s);
  }
  if (frame.type === "item" && screenBefore === "paused") return {key: "notice_resumed", vars: {}};
  return null;
}

// --- the countdowns (the subtest's clock, the intro's "starts by itself in") -------------------------------------

// A clock set to `seconds` (null: no limit) at `now`, running or not.
export function countdown(seconds, running, now) {
  const leftMs = typeof seconds === "number" ? Math.max(0, seconds * 1000) : null;
  return {leftMs, base: now, running: Boolean(running) && leftMs !== null};
}

export function clockLeft(clock, now) {
  if (clock.leftMs === null) return null;
  return Math.max(0, clock.leftMs - (clock.running ? now - clock.base : 0));
}

export const stopClock = (clock, now) => ({leftMs: clockLeft(clock, now), base: now, running: false});

// mm:ss, rounded up (00:00 only once the time is really up).
export function formatClock(ms) {
  const total = Math.ceil(ms / 1000);
  return `${String(Math.floor(total / 60)).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
}

// --- the item screen ---------------------------------------------------------------------------------------------

// The option a key chooses (letters A-I or digits 1-9), or -1.
export function optionForKey(key, count) {
  if (typeof key !== "string" || key.length !== 1) return -1;
  const k = key.toUpperCase();
  let index = -1;
  if (k >= "1" && k <= "9") index = Number(k) - 1;
  else if (LETTERS.includes(k)) index = LETTERS.indexOf(k);
  return index < count ? index : -1;
}

// Each subtest's step: "done", "current" or "todo".
export function steps(progress, subtestIndex) {
  return Array.from({length: progress.subtests_total}, (_, i) =>
    i === subtestIndex ? "current" : i < progress.subtests_done ? "done" : "todo",
  );
}

// The text key of the hint under the options.
export function hintKey({itemError, saving, offline, selected}) {
  if (itemError) return itemError;
  if (saving) return offline ? "hint_offline" : "hint_saving";
  if (offline) return "hint_offline";
  return selected === null ? "hint_choose" : "hint_save";
}

// --- tokens ------------------------------------------------------------------------------------------------------

// Something was typed besides spaces and dashes.
export const tokenTyped = (typed) => typed.replace(/[\s-]/g, "") !== "";

// The token of a /#t=TOKEN link, or null.
export function tokenFromHash(hash) {
  const found = /^#t=(.+)$/.exec(hash);
  if (!found) return null;
  try {
    return decodeURIComponent(found[1]).trim();
  } catch {
    return found[1].trim(); // keep it as it came
  }
}

// Minutes and seconds of a duration, for the profile's "time" column.
export function minutesSeconds(seconds) {
  const total = Math.round(seconds);
  return {m: Math.floor(total / 60), s: total % 60};
}
