// The candidate page's decisions, pure (no DOM, no storage, no timers; time comes in as `now`, in ms of any one
// clock): what a frame from the server does to the pending answer and the screen, when the link is dead, when the
// offline banner shows, the countdown, and the keyboard.
//
// Exactly once (docs/pages.md): an answer is kept ("pending") from before it is sent until a reply shows what became
// of it. After a reconnect or a reload, once the hello reply has come: the same item again means "resend the pending
// answer" (the server applies it, or replies as before if it already had); a later item or `finished` means it was
// applied; the errors time_up and finished settle it too.

export const LETTERS = "ABCDEFGHI";
export const REPLY_TIMEOUT_MS = 15000; // no frame this long after hello/answer/ping: the link is dead, reconnect
export const IDLE_PING_MS = 20000; // ping after this long without a frame, to notice a dead link early
export const BANNER_DELAY_MS = 1000; // a quicker reconnect is not worth alarming anyone
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

// The screen's item state after an `item` frame. `page` = {item, selected, itemError, notice}; `pending` the pending
// answer or null. Returns the new state plus: `same` (the item on screen again), `settled` (the pending answer was
// applied: forget it), `resend` (send the pending answer again: the server dedups).
export function itemArrives(page, pending, frame) {
  const settled = pending !== null && pending.seq !== frame.seq;
  const keep = settled ? null : pending;
  const same = page.item !== null && page.item !== undefined && page.item.seq === frame.seq;
  return {
    item: frame,
    selected: keep ? keep.response : same ? page.selected : null,
    itemError: same ? page.itemError : null,
    notice: same ? page.notice : frame.previous_subtest || null,
    same,
    settled,
    resend: keep !== null,
  };
}

// What a frame says of the connection's hello, while no reply has come (`helloReplied` false):
//   "ready"    the session's state (item, paused, finished): the hello succeeded, answers may be sent
//   "later"    rate_limited: nothing was done, say hello again after its retry_after_ms (the connection stays open)
//   "refused"  any other error: the hello failed (the error and the close code that follows decide what next)
//   null       not a reply to the hello (one came already, or a pong, a time...)
export function helloReply(helloReplied, frame) {
  if (helloReplied) return null;
  if (["item", "paused", "finished"].includes(frame.type)) return "ready";
  if (frame.type === "error") return frame.code === "rate_limited" ? "later" : "refused";
  return null;
}

// What an error frame means for the page:
//   "bad_token"   the hello itself was refused (its token cannot be one)
//   "settle"      the pending answer is over (came too late; what comes next follows)
//   "settle_resync" it is over and the battery ended: reconnect to get `finished`
//   "retry"       the answer was refused: forget it, choose again
//   "keep"        refused while paused: kept, resent when the item comes back
//   "resync"      out of step with the server: reconnect, the hello reply says where the session is
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
    case "bad_message":
    case "not_authenticated":
      return "resync";
    default:
      return "none";
  }
}

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

// The offline banner: shown once a session's connection has been down for BANNER_DELAY_MS. Returns the new
// {downSince, showOffline}.
export function banner({screen, hasSocket, helloReplied, downSince}, now) {
  const down = ["loading", "item", "paused"].includes(screen) && hasSocket && !helloReplied;
  const since = down ? (downSince ?? now) : null;
  return {downSince: since, showOffline: down && now - since >= BANNER_DELAY_MS};
}

// What a close code means for the page (docs/protocol.md, error table):
//   "bad_token", "takeover", "terminated"   a final screen, no reconnect
//   "finished"    1000 after the `finished` frame: the battery is over, no reconnect
//   "windows"     4009 too_many_connections: the token is open in too many windows; retry slowly
//   "busy"        1013 unavailable, 1011 internal: the server cannot serve now; retry with the backoff
//   "restart"     1012 restarting: this server process is being restarted, the others serve; reconnect soon
//                 (socket.js waits 0.2-1 s), only the reconnecting banner
//   "retry"       anything else (a network drop): reconnect
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

// --- the countdown -----------------------------------------------------------------------------------------------

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
