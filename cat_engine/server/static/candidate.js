// The candidate's page: token, waiting for the room, who am I, instructions, practice, each subtest's intro, one item
// at a time, pause, finish (docs/protocol.md, candidate WebSocket); seats (another computer waits for the proctor's
// approval; moved, refused), the proctor's messages and notices of what changed. This module wires the parts
// together: the socket and its frames, the pending answer, the steps before the battery and the messages not yet
// closed in sessionStorage, the device id in localStorage, the keyboard, sign-in by token or link. The decisions are in candidate_state.js (pure), the screens in
// candidate_view.js, the texts in candidate_texts.js.
//
// Exactly once: an answer is written to sessionStorage ("pending") before it is sent and stays there until a reply
// shows what became of it (candidate_state.js: itemArrives, settlesPending, errorAction).
//
// Nothing starts a clock but the candidate (or an intro's own time running out on the server): the steps before the
// battery are the page's own and send nothing; "Mulai tes" sends {"type": "start"}, each intro's "Mulai"
// {"type": "start", "subtest": i}.
//
// Reconnects (socket.js) back off unless a hello succeeds: the socket is told ready() at the hello's first state frame
// (waiting, welcome, subtest_intro, item, paused, finished), never at a bare open. A `rate_limited` hello is said again
// after the wait it asks for, on the same connection; 4009 (the token open in too many windows) retries slowly; 1012
// (the server process restarting) comes back within a second, with the reconnecting banner only; after `finished` the
// server closes with 1000 and the page does not come back.
//
// Seats (docs/protocol.md, "Seats"): a hello from another computer gets `waiting` with the reason `approval` and the
// page waits on its connection (pinging) for the proctor; approved, the frame of where the session is follows and the
// page goes on there; denied, `seat_denied` (4011) ends it (no reconnect but by "Coba lagi"). The computer the
// sitting leaves gets `taken_over` (4002): the page says it moved (or, when another window of this browser said hello
// with the same token just before, that it was opened there) and offers to reconnect, which the server puts through
// the proctor's approval again.
//
// Dead links: checkLink runs every second; a silent link is dropped (socket.drop() does not wait for a close that a
// dead link never delivers) and the banner shows at once, within 14 s of the last frame.

import {applyTexts, currentLang, languageSwitch, makeT} from "./i18n.js";
import {ReconnectingSocket, retryAfterDelay, slowDelay} from "./socket.js";
import {TEXTS} from "./candidate_texts.js";
import {
  addMessage,
  banner,
  CHECK_MS,
  closeAction,
  countdown,
  deadLinkDownSince,
  DEVICE_LENGTH,
  dismissMessage,
  errorAction,
  expireNotices,
  firstSteps,
  helloReply,
  itemArrives,
  makeDevice,
  messageEntry,
  messagesRecord,
  nextStep,
  noticeFor,
  optionForKey,
  pendingRecord,
  readDevice,
  readMessages,
  readPending,
  readSteps,
  sameToken,
  screenFor,
  settlesPending,
  stepsRecord,
  stopClock as stoppedClock,
  takeoverKind,
  tokenFromHash,
  tokenTyped,
  watchdog,
} from "./candidate_state.js";
import * as view from "./candidate_view.js";

const TOKEN_KEY = "cat.candidate.token";
const PENDING_KEY = "cat.candidate.pending";
const STEPS_KEY = "cat.candidate.steps";
const MESSAGES_KEY = "cat.candidate.messages";
const DEVICE_KEY = "cat.device";
const CHANNEL = "cat.candidate"; // BroadcastChannel between the windows of this browser: who said hello with a token
const LATE_NOTICE_MS = 2000; // another window's notice this soon after a takeover was that takeover's cause

const $ = (id) => document.getElementById(id);

let lang = currentLang();

// The page's state; candidate_view.js draws it.
const page = {
  t: makeT(TEXTS, lang),
  lang,
  now: () => performance.now(),
  pending: () => loadPending(),
  token: null,
  socket: null,
  helloReplied: false, // the current connection got its hello reply: answers may be sent
  everConnected: false,
  screen: null,
  waitingReason: null, // the last `waiting` frame's reason
  welcome: null, // the last `welcome` frame
  steps: firstSteps(), // where the candidate is before the battery starts (candidate_state.js: STEPS)
  notMe: false, // "not me" pressed on the confirm screen: call the proctor
  practiceSelected: null, // option index chosen for the practice item on screen
  intro: null, // the last `subtest_intro` frame
  introClock: null, // the countdown to the intro's subtest starting by itself
  startSent: false, // a `start` went out and its reply has not come yet
  item: null, // the last `item` frame (null before the subtest's first)
  selected: null, // position chosen in page.item's options (their order in the frame: what the answer sends)
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
  takeoverKind: "moved", // the takeover screen's kind: "moved" (to another computer) or "window" (of this one)
  takeoverAt: null, // Date.now() when the sitting was last taken over from this page (null: never)
  sameDeviceAt: null, // Date.now() when another window of this browser last said hello with this token
  messages: [], // the proctor's messages and the page's notices, newest first (candidate_state.js: addMessage)
  nextMessageId: 1,
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

// --- the steps before the battery (sessionStorage, per token) ---------------------------------------------------

function practiceCount() {
  return Array.isArray(page.welcome?.practice) ? page.welcome.practice.length : 0;
}

function setSteps(steps) {
  page.steps = steps;
  sessionStorage.setItem(STEPS_KEY, stepsRecord(page.token, steps));
}

// --- the proctor's messages (sessionStorage, per token: a reload keeps those not closed) and the notices ----------

function saveMessages() {
  try {
    sessionStorage.setItem(MESSAGES_KEY, messagesRecord(page.token, page.messages));
  } catch {
    // kept in memory only
  }
}

function loadMessages() {
  page.messages = readMessages(sessionStorage.getItem(MESSAGES_KEY), page.token);
  page.nextMessageId = Math.max(0, ...page.messages.map((m) => m.id)) + 1;
}

function pushMessage(entry) {
  if (!entry) return;
  page.messages = addMessage(page.messages, entry);
  page.nextMessageId = entry.id + 1;
  saveMessages();
  renderMessages();
}

function notice(text) {
  if (text) pushMessage({id: page.nextMessageId, kind: "notice", at: Date.now(), key: text.key, vars: text.vars});
}

function closeMessage(id) {
  const inside = document.activeElement?.closest?.(`#messages [data-id="${id}"]`);
  const next = inside ? view.nextCloseButton(id) : null;
  page.messages = dismissMessage(page.messages, id);
  saveMessages();
  renderMessages();
  if (!inside) return;
  if (next) next.focus(); // the focus was on the one closed: to the next message, or back to the screen
  else view.focusScreen(page);
}

function renderMessages() {
  view.renderMessages(page, closeMessage);
}

// --- the other windows of this browser (the same device): a hello there takes the sitting from here -------------

const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel(CHANNEL) : null;
channel?.addEventListener("message", (event) => {
  if (!(event.data && sameToken(event.data.hello, page.token))) return;
  page.sameDeviceAt = Date.now();
  // The other window's hello reaches the server and its `taken_over` reaches this page by another path than this
  // notice: on a busy computer the close can come first. A notice just after such a takeover makes it this
  // browser's own window after all.
  const late = page.takeoverAt !== null && page.sameDeviceAt - page.takeoverAt <= LATE_NOTICE_MS;
  if (page.screen === "takeover" && page.takeoverKind === "moved" && late) {
    page.takeoverKind = "window";
    refresh();
  }
});

// --- the device id (localStorage: this computer, whoever sits at it) --------------------------------------------

let deviceInMemory = null; // when storage is refused (a locked-down kiosk): one id for this page's life

function deviceId() {
  try {
    const kept = readDevice(localStorage.getItem(DEVICE_KEY));
    if (kept) return kept;
  } catch {
    // no storage: fall through
  }
  if (!deviceInMemory) deviceInMemory = makeDevice(crypto.getRandomValues(new Uint8Array(DEVICE_LENGTH)));
  try {
    localStorage.setItem(DEVICE_KEY, deviceInMemory);
  } catch {
    // kept in memory only
  }
  return deviceInMemory;
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
  channel?.postMessage({hello: page.token}); // before the hello: the other windows hear it before the server acts
  if (s.send({type: "hello", token: page.token, device: deviceId()})) page.waitingSince = Date.now();
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
  page.startSent = false; // its reply may be lost: the next hello's reply says where the session is
  stopClock();
  const waitAsked = Math.max(0, page.helloAfter - Date.now());
  switch (closeAction(event.code, page.finished !== null)) {
    case "bad_token":
      badToken();
      return false;
    case "takeover":
      page.takeoverAt = Date.now();
      page.takeoverKind = takeoverKind(page.sameDeviceAt, page.takeoverAt);
      stopSocket();
      show("takeover");
      return false;
    case "seat_denied":
      stopSocket();
      show("denied");
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
  if (settlesPending(frame.type, frame.reason)) clearPending();
  if (["waiting", "welcome", "subtest_intro", "item", "finished"].includes(frame.type)) page.startSent = false;
  notice(noticeFor(frame, page.screen));
  switch (frame.type) {
    case "waiting":
      page.waitingReason = typeof frame.reason === "string" ? frame.reason : null;
      show(screenFor("waiting", page.steps, page.waitingReason));
      break;
    case "welcome":
      onWelcome(frame);
      break;
    case "subtest_intro":
      onIntro(frame);
      break;
    case "item":
      onItem(frame);
      break;
    case "paused":
      page.pausedReason = typeof frame.reason === "string" ? frame.reason : "";
      stopClock();
      show("paused");
      break;
    case "time":
      if (page.screen === "intro" && page.intro) page.intro.time_limit_s = frame.time_left_s; // more time, not started
      else setClock(frame.time_left_s, page.clock.running);
      break;
    case "message":
      pushMessage(messageEntry(frame, page.nextMessageId, Date.now()));
      break;
    case "finished":
      clearPending();
      sessionStorage.removeItem(STEPS_KEY);
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

// The welcome (first, or again after a reconnect, a reload or the room closed and opened): the candidate goes on from
// the step they were at.
function onWelcome(frame) {
  const kept = page.welcome !== null && page.screen === screenFor("welcome", page.steps);
  page.welcome = frame;
  page.item = null;
  page.intro = null;
  if (!kept) {
    page.steps = readSteps(sessionStorage.getItem(STEPS_KEY), page.token, practiceCount());
    page.practiceSelected = null;
  }
  showStep(kept);
}

// The screen of the current step; `kept` when it is the one on screen already (nothing to rebuild, focus stays).
function showStep(kept = false) {
  const name = screenFor("welcome", page.steps);
  if (!kept) page.notMe = false;
  if (name === "practice" && !kept) view.renderPractice(page, (i) => choosePractice(i, false)); // before its focus
  show(name, !kept);
}

function onIntro(frame) {
  const same = page.screen === "intro" && page.intro?.subtest?.index === frame.subtest?.index;
  page.intro = frame;
  page.item = null;
  page.introClock = countdown(frame.starts_in_s, true, page.now());
  setClock(null, false);
  show("intro", !same);
}

function onItem(frame) {
  const next = itemArrives(page, loadPending(), frame);
  if (next.settled) clearPending();
  Object.assign(page, {item: next.item, selected: next.selected, itemError: next.itemError});
  setClock(frame.time_left_s, true);
  const wasItem = page.screen === "item";
  show("item", false);
  if (!next.same) view.renderItem(page, (i) => choose(i, false));
  if (next.resend) sendPending(); // the same item again (after a reconnect or a resume): resend, the server dedups
  if (!next.same || !wasItem) view.focusItem(page);
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
  loadMessages(); // those of this token only
  renderMessages();
  Object.assign(page, {item: null, welcome: null, intro: null, steps: firstSteps(), startSent: false});
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
    s.drop(); // closed at once (socket.js): the page is down from now and reconnects
    if (page.socket === s && !page.helloReplied) {
      page.downSince = deadLinkDownSince(Date.now()); // dead for seconds already: the banner shows now
      refresh();
    }
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

// Show a screen; `focus`: a new screen, whose heading takes the focus.
function show(name, focus = true) {
  const changed = page.screen !== name;
  page.screen = name;
  view.showScreen(name);
  refresh();
  if (focus && changed) view.focusScreen(page);
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
  const kept = expireNotices(page.messages, Date.now());
  if (kept.length !== page.messages.length) {
    const focused = document.activeElement?.closest?.("#messages .message");
    page.messages = kept;
    renderMessages();
    if (focused && !focused.isConnected) view.focusScreen(page); // a notice that had the focus went by itself
  }
  const before = page.showOffline;
  updateBanner();
  if (page.showOffline !== before) view.refresh(page);
  else view.renderBanner(page);
  view.renderClock(page);
  view.renderIntroCountdown(page);
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

// --- the steps before the battery, and the intros ---------------------------------------------------------------

function moveOn() {
  setSteps(nextStep(page.steps, practiceCount()));
  page.practiceSelected = null;
  showStep();
}

function choosePractice(index, focus) {
  const p = view.practiceItem(page);
  if (page.screen !== "practice" || !p || page.steps.done) return;
  if (index < 0 || index >= p.options.length) return;
  page.practiceSelected = index;
  view.renderPracticeChrome(page);
  if (focus) view.focusOption(index, "practice-options");
}

// "Simpan & lanjut" on a practice item: the feedback shows (nothing is sent); then "Lanjut" moves on.
function submitPractice() {
  if (page.screen !== "practice") return;
  if (!page.steps.done) {
    if (page.practiceSelected === null) return;
    page.steps = nextStep(page.steps, practiceCount());
    view.renderPracticeChrome(page);
    view.focusPracticeButton();
    return;
  }
  moveOn();
}

// "Mulai tes" (no subtest: the battery) or an intro's "Mulai" (its subtest): the reply is the next screen.
function sendStart(subtest) {
  if (page.startSent || !page.helloReplied || !page.socket) return;
  const frame = subtest === undefined ? {type: "start"} : {type: "start", subtest};
  if (page.socket.send(frame)) {
    page.startSent = true;
    page.waitingSince = Date.now();
    refresh();
  }
}

function onKey(event) {
  if (event.key === "Escape" && page.messages.length > 0 && !event.ctrlKey && !event.metaKey && !event.altKey) {
    // Esc closes the message that has the focus, or else the newest
    const focused = event.target instanceof Element ? event.target.closest("#messages .message") : null;
    event.preventDefault();
    closeMessage(focused ? Number(focused.dataset.id) : page.messages[0].id);
    return;
  }
  if (!["item", "practice"].includes(page.screen) || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLInputElement && target.type === "text") return;
  const practice = page.screen === "practice";
  if (event.key === "Enter") {
    if (target instanceof Element && target.closest("button, a")) return; // the focused button does its own job
    event.preventDefault();
    if (practice) submitPractice();
    else submit();
    return;
  }
  const options = practice ? view.practiceItem(page)?.options : page.item?.item.options;
  const index = options ? optionForKey(event.key, options.length) : -1;
  if (index < 0) return;
  event.preventDefault();
  if (practice) choosePractice(index, true);
  else choose(index, true);
}

function setLanguage(code) {
  lang = code;
  page.lang = code;
  page.t = makeT(TEXTS, lang);
  const url = new URL(location.href);
  if (url.searchParams.has("lang")) {
    url.searchParams.set("lang", code);
    history.replaceState(null, "", url.pathname + url.search);
  }
  applyTexts(document, page.t);
  document.title = page.t("page_title");
  if (page.screen === "practice") view.renderPractice(page, (i) => choosePractice(i, false)); // the battery's texts
  renderMessages();
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
  $("confirm-yes").addEventListener("click", moveOn);
  $("confirm-not-me-button").addEventListener("click", () => {
    page.notMe = true; // nothing is sent: the proctor sorts it out (the notice is an alert: it is read out)
    refresh();
  });
  $("instructions-next").addEventListener("click", moveOn);
  $("instructions-body").addEventListener("scroll", () => view.markMore(), {passive: true});
  window.addEventListener("resize", () => {
    view.markMore();
    view.fitNewest();
  });
  $("practice-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submitPractice();
  });
  $("begin-back").addEventListener("click", () => {
    setSteps({step: "instructions", index: 0, done: false});
    showStep();
  });
  $("begin-start").addEventListener("click", () => sendStart(undefined));
  $("intro-start").addEventListener("click", () => {
    if (page.intro) sendStart(page.intro.subtest.index);
  });
  // Reconnect after a takeover or a refusal: a hello like any other (the server asks the proctor again if the sitting
  // is on another computer).
  const reconnect = () => {
    page.everConnected = false;
    page.sameDeviceAt = null;
    show("loading");
    connect();
  };
  $("takeover-continue").addEventListener("click", reconnect);
  $("denied-retry").addEventListener("click", reconnect);
  $("finished-exit").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    clearPending();
    sessionStorage.removeItem(STEPS_KEY);
    sessionStorage.removeItem(MESSAGES_KEY);
    Object.assign(page, {token: null, item: null, finished: null, tokenError: null, welcome: null, intro: null});
    page.messages = [];
    renderMessages();
    $("token-input").value = "";
    show("token");
    $("token-input").focus();
  });
  document.addEventListener("keydown", onKey);
  setInterval(tick, 250);
  setInterval(checkLink, CHECK_MS);

  window.catCandidate = {
    get socket() {
      return page.socket;
    },
    get screen() {
      return page.screen;
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
    loadMessages();
    renderMessages();
    show("loading");
    connect();
    return;
  }
  show("token");
  $("token-input").focus();
}

init();
