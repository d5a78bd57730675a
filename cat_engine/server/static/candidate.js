// The candidate's page: token, one item at a time, pause, finish (docs/protocol.md, candidate WebSocket). This module
// wires the parts together: the socket and its frames, the pending answer in sessionStorage, the keyboard, sign-in by
// token or link. The decisions are in candidate_state.js (pure), the screens in candidate_view.js, the texts in
// candidate_texts.js.
//
// Exactly once: an answer is written to sessionStorage ("pending") before it is sent and stays there until a reply
// shows what became of it (candidate_state.js: itemArrives, errorAction).
//
// Reconnects (socket.js) back off unless a hello succeeds: the socket is told ready() at the hello's first state frame
// (item, paused, finished), never at a bare open. A `rate_limited` hello is said again after the wait it asks for, on
// the same connection; 4009 (the token open in too many windows) retries slowly; 1012 (the server process restarting)
// comes back within a second, with the reconnecting banner only; after `finished` the server closes with 1000 and the
// page does not come back.

import {applyTexts, currentLang, languageSwitch, makeT} from "./i18n.js";
import {ReconnectingSocket, retryAfterDelay, slowDelay} from "./socket.js";
import {TEXTS} from "./candidate_texts.js";
import {
  banner,
  closeAction,
  countdown,
  errorAction,
  helloReply,
  itemArrives,
  optionForKey,
  pendingRecord,
  readPending,
  stopClock as stoppedClock,
  tokenFromHash,
  tokenTyped,
  watchdog,
} from "./candidate_state.js";
import * as view from "./candidate_view.js";

const TOKEN_KEY = "cat.candidate.token";
const PENDING_KEY = "cat.candidate.pending";

const $ = (id) => document.getElementById(id);

let lang = currentLang();

// The page's state; candidate_view.js draws it.
const page = {
  t: makeT(TEXTS, lang),
  now: () => performance.now(),
  pending: () => loadPending(),
  token: null,
  socket: null,
  helloReplied: false, // the current connection got its hello reply: answers may be sent
  everConnected: false,
  screen: null,
  item: null, // the last `item` frame
  selected: null, // option index chosen for page.item
  notice: null, // previous_subtest shown above page.item
  itemError: null,
  pausedReason: "",
  finished: null,
  tokenError: null,
  lastRx: 0,
  waitingSince: null,
  downSince: null, // when the connection went down (null while ready)
  showOffline: false, // down for longer than BANNER_DELAY_MS: banner shown
  linkNote: null, // why the link is down when the server said: "busy" or "windows" (candidate_state.js: bannerKey)
  helloAfter: 0, // Date.now() before which no hello is said (rate_limited asked to wait)
  clock: countdown(null, false, 0),
};

// --- pending answer (sessionStorage) ----------------------------------------------------------------------------

function loadPending() {
  return readPending(sessionStorage.getItem(PENDING_KEY), page.token);
}

function savePending(seq, response) {
  sessionStorage.setItem(PENDING_KEY, pendingRecord(page.token, seq, response));
}

function clearPending() {
  sessionStorage.removeItem(PENDING_KEY);
}

function sendPending() {
  const p = loadPending();
  if (!p || !page.helloReplied || !page.socket) return;
  if (page.socket.send({type: "answer", seq: p.seq, response: p.response})) page.waitingSince = Date.now();
}

// --- connection -------------------------------------------------------------------------------------------------

let helloTimer = null;

// Say hello on `s` now, or when rate_limited's wait is over.
function sayHello(s) {
  clearTimeout(helloTimer);
  helloTimer = null;
  if (s !== page.socket || !s.isOpen || page.helloReplied) return;
  const wait = page.helloAfter - Date.now();
  if (wait > 0) {
    helloTimer = setTimeout(() => sayHello(s), wait);
    return;
  }
  if (s.send({type: "hello", token: page.token})) page.waitingSince = Date.now();
}

function connect() {
  stopSocket();
  page.helloReplied = false;
  page.linkNote = null;
  let socket = null; // the handlers run for this socket only (onState already runs inside the constructor)
  socket = new ReconnectingSocket("/ws/candidate", {
    onOpen: (s) => {
      if (s !== page.socket) return;
      page.helloReplied = false;
      page.lastRx = Date.now();
      sayHello(s);
    },
    onFrame: (frame, s) => {
      if (s === page.socket) onFrame(frame);
    },
    onState: (name) => {
      if (socket !== page.socket) return;
      if (name !== "open") {
        page.helloReplied = false;
        page.waitingSince = null;
        stopClock();
      }
      refresh();
    },
    onClose: (event, s) => (s === page.socket ? onClose(event) : false),
  });
  page.socket = socket;
}

function stopSocket() {
  clearTimeout(helloTimer);
  helloTimer = null;
  const old = page.socket;
  page.socket = null;
  page.helloReplied = false;
  page.waitingSince = null;
  if (old) old.stop();
}

// Out of step with the server: a fresh connection's hello reply says where the session is.
function resync() {
  if (page.socket) page.socket.drop();
}

// Returns false (no reconnect), or the least wait before the next try (ms; 0: the socket's backoff alone).
function onClose(event) {
  clearTimeout(helloTimer);
  helloTimer = null;
  page.helloReplied = false;
  page.waitingSince = null;
  stopClock();
  const waitAsked = Math.max(0, page.helloAfter - Date.now());
  switch (closeAction(event.code, page.finished !== null)) {
    case "bad_token":
      badToken();
      return false;
    case "takeover":
      stopSocket();
      show("takeover");
      return false;
    case "terminated":
      terminated();
      return false;
    case "finished":
      stopSocket();
      return false;
    case "windows":
      page.linkNote = "windows";
      refresh();
      return Math.max(slowDelay(), waitAsked);
    case "busy":
      page.linkNote = "busy";
      refresh();
      return waitAsked;
    case "restart": // the socket comes back within a second; the pending answer is resent after the hello
      page.linkNote = null;
      refresh();
      return waitAsked;
    default:
      if (waitAsked === 0) page.linkNote = null;
      refresh();
      return waitAsked;
  }
}

function onFrame(frame) {
  page.lastRx = Date.now();
  page.waitingSince = null;
  const reply = helloReply(page.helloReplied, frame);
  if (reply === "ready") {
    page.helloReplied = true;
    page.everConnected = true;
    page.linkNote = null;
    page.socket?.ready();
  }
  switch (frame.type) {
    case "item":
      onItem(frame);
      break;
    case "paused":
      page.pausedReason = typeof frame.reason === "string" ? frame.reason : "";
      stopClock();
      show("paused");
      break;
    case "time":
      setClock(frame.time_left_s, page.clock.running);
      break;
    case "finished":
      clearPending();
      page.finished = frame;
      stopClock();
      stopSocket();
      show("finished");
      return;
    case "error":
      onError(frame, reply !== null);
      break;
    default: // pong and anything newer than this page
      break;
  }
  refresh();
}

function onItem(frame) {
  const next = itemArrives(page, loadPending(), frame);
  if (next.settled) clearPending();
  Object.assign(page, {item: next.item, selected: next.selected, itemError: next.itemError, notice: next.notice});
  setClock(frame.time_left_s, true);
  show("item");
  if (!next.same) view.renderItem(page, (i) => choose(i, false));
  if (next.resend) sendPending(); // the same item again (after a reconnect or a resume): resend, the server dedups
  if (!next.same) view.focusItem(page);
}

function onError(frame, helloReply) {
  switch (errorAction(frame.code, helloReply)) {
    case "bad_token":
      badToken();
      break;
    case "settle":
      clearPending();
      break;
    case "settle_resync":
      clearPending();
      resync();
      break;
    case "retry":
      clearPending();
      page.selected = null;
      page.itemError = "bad_response";
      if (page.item) view.renderItem(page, (i) => choose(i, false));
      break;
    case "resync":
      resync();
      break;
    case "later": // rate_limited: the same hello, after the wait it asks for (the connection stays open)
      page.linkNote = "busy";
      page.helloAfter = Date.now() + retryAfterDelay(frame.retry_after_ms);
      if (page.socket) sayHello(page.socket);
      break;
    default: // "keep", "none"
      break;
  }
}

function badToken() {
  const typed = page.token || "";
  sessionStorage.removeItem(TOKEN_KEY);
  clearPending();
  stopSocket();
  page.token = null;
  page.item = null;
  page.tokenError = "bad_token";
  $("token-input").value = typed;
  show("token");
  $("token-input").focus();
  $("token-input").select();
}

function terminated() {
  clearPending();
  stopSocket();
  show("terminated");
}

function startWithToken(token) {
  if (sessionStorage.getItem(TOKEN_KEY) !== token) clearPending(); // a pending answer belongs to its own token
  sessionStorage.setItem(TOKEN_KEY, token);
  page.token = token;
  page.item = null;
  page.finished = null;
  page.tokenError = null;
  page.everConnected = false;
  show("loading");
  connect();
}

function checkLink() {
  const s = page.socket;
  const action = watchdog({open: Boolean(s?.isOpen), waitingSince: page.waitingSince, helloReplied: page.helloReplied, lastRx: page.lastRx}, Date.now());
  if (action === "drop") {
    page.waitingSince = null;
    s.drop();
  } else if (action === "ping" && s.send({type: "ping"})) {
    page.waitingSince = Date.now();
  }
}

// --- clock, screens ---------------------------------------------------------------------------------------------

function setClock(seconds, running) {
  page.clock = countdown(seconds, running, page.now());
  view.renderClock(page);
}

function stopClock() {
  page.clock = stoppedClock(page.clock, page.now());
  view.renderClock(page);
}

function show(name) {
  page.screen = name;
  view.showScreen(name);
  refresh();
}

function updateBanner() {
  const hasSocket = page.socket !== null;
  Object.assign(page, banner({screen: page.screen, hasSocket, helloReplied: page.helloReplied, downSince: page.downSince}, Date.now()));
}

function refresh() {
  updateBanner();
  view.refresh(page);
}

function tick() {
  const before = page.showOffline;
  updateBanner();
  if (page.showOffline !== before) view.refresh(page);
  else view.renderBanner(page);
  view.renderClock(page);
}

// --- input ------------------------------------------------------------------------------------------------------

function choose(index, focus) {
  if (page.screen !== "item" || !page.item || !page.helloReplied || loadPending()) return;
  if (index < 0 || index >= page.item.item.options.length) return;
  page.selected = index;
  page.itemError = null;
  view.renderItemChrome(page);
  if (focus) view.focusOption(index);
}

function submit() {
  if (page.screen !== "item" || !page.item || page.selected === null) return;
  if (!page.helloReplied || loadPending()) return;
  savePending(page.item.seq, page.selected); // stored before it is sent: a reload or a drop cannot lose it
  view.renderItemChrome(page);
  sendPending();
}

function onKey(event) {
  if (page.screen !== "item" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLInputElement && target.type === "text") return;
  if (event.key === "Enter") {
    if (target instanceof Element && target.closest("button, a")) return; // the focused button does its own job
    event.preventDefault();
    submit();
    return;
  }
  const index = page.item ? optionForKey(event.key, page.item.item.options.length) : -1;
  if (index < 0) return;
  event.preventDefault();
  choose(index, true);
}

function setLanguage(code) {
  lang = code;
  page.t = makeT(TEXTS, lang);
  const url = new URL(location.href);
  if (url.searchParams.has("lang")) {
    url.searchParams.set("lang", code);
    history.replaceState(null, "", url.pathname + url.search);
  }
  applyTexts(document, page.t);
  document.title = page.t("page_title");
  refresh();
}

function init() {
  applyTexts(document, page.t);
  document.title = page.t("page_title");
  languageSwitch($("lang"), lang, setLanguage);

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = $("token-input").value.trim();
    if (!tokenTyped(typed)) {
      page.tokenError = "token_empty";
      view.renderToken(page);
      $("token-input").focus();
      return;
    }
    startWithToken(typed);
  });
  $("item-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  $("takeover-continue").addEventListener("click", () => {
    page.everConnected = false;
    show("loading");
    connect();
  });
  $("finished-exit").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    clearPending();
    Object.assign(page, {token: null, item: null, finished: null, tokenError: null});
    $("token-input").value = "";
    show("token");
    $("token-input").focus();
  });
  document.addEventListener("keydown", onKey);
  setInterval(tick, 250);
  setInterval(checkLink, 2000);

  window.catCandidate = {
    get socket() {
      return page.socket;
    },
  };

  const linked = tokenFromHash(location.hash);
  if (linked !== null) {
    history.replaceState(null, "", location.pathname + location.search);
    startWithToken(linked);
    return;
  }
  const stored = sessionStorage.getItem(TOKEN_KEY);
  if (stored) {
    page.token = stored;
    show("loading");
    connect();
    return;
  }
  show("token");
  $("token-input").focus();
}

init();
