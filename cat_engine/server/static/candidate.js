// The candidate's page: token, one item at a time, pause, finish (docs/protocol.md, candidate WebSocket).
//
// Exactly once: an answer is written to sessionStorage ("pending") before it is sent and stays there until a
// reply shows what became of it (a later item, `finished`, or the errors time_up/finished). After a reconnect
// (or a reload), once the hello reply arrives: the same item again means "resend the pending answer" (the server
// applies it, or replies as before if it already had); a later item or `finished` means it was applied.

import { applyTexts, currentLang, languageSwitch, makeT } from "/static/i18n.js";
import { ReconnectingSocket } from "/static/socket.js";

const TEXTS = {
  id: {
    __lang: "id",
    page_title: "Tes Kompetensi",
    app_title: "Tes Kompetensi Berbasis Komputer",
    time_left: "Sisa waktu",
    no_time_limit: "Tanpa batas waktu",
    connecting: "Menghubungkan ke server tes...",
    banner_reconnecting: "Koneksi terputus, menyambung ulang... Jawaban Anda yang sudah tersimpan tetap aman.",
    banner_first: "Belum tersambung ke server tes, mencoba lagi... Jika lama, beri tahu pengawas.",
    welcome: "Selamat datang",
    token_intro: "Ketik token yang tertera pada kartu peserta Anda, lalu tekan Mulai.",
    token_label: "Token peserta",
    token_placeholder: "ABCD-EFGH-JKMN",
    token_hint: "Huruf besar atau kecil sama saja; tanda hubung boleh diketik atau tidak.",
    start: "Mulai",
    token_empty: "Silakan ketik token Anda terlebih dahulu.",
    bad_token: "Token tidak dikenal atau sudah tidak berlaku. Periksa kembali token pada kartu Anda, atau tanyakan kepada pengawas.",
    subtest_of: "Subtes {n} dari {total}",
    item_number: "Soal ke-{n}",
    item_max: "dari maks. {max} soal (biasanya selesai lebih awal)",
    step_done: "Subtes {n}: selesai",
    step_current: "Subtes {n}: sedang dikerjakan",
    step_todo: "Subtes {n}: belum",
    choose_one: "Pilih satu jawaban",
    hint_choose: "Pilih satu jawaban: klik pilihan, atau tekan huruf A–{last} / angka 1–{n}.",
    hint_save: "Tekan “Simpan & lanjut” (atau Enter). Jawaban tidak dapat diubah setelah disimpan.",
    hint_saving: "Jawaban sedang disimpan...",
    hint_offline: "Menunggu koneksi. Jawaban akan disimpan setelah tersambung kembali.",
    submit: "Simpan & lanjut",
    saving: "Menyimpan...",
    bad_response: "Jawaban tadi tidak dapat diterima. Silakan pilih lagi.",
    subtest_completed: "Subtes {name} selesai. Selamat melanjutkan ke subtes berikutnya.",
    subtest_time_up: "Waktu subtes {name} habis; jawaban yang sudah disimpan tetap dihitung.",
    paused_title: "Tes dihentikan sementara",
    paused_wait: "Mohon tunggu di tempat Anda. Pengawas akan melanjutkan tes.",
    paused_reason: "Pesan pengawas:",
    paused_clock: "Waktu tes tidak berjalan selama jeda.",
    takeover_title: "Sesi dibuka di komputer lain",
    takeover_text: "Tes Anda sedang dibuka di komputer atau jendela lain, jadi halaman ini berhenti.",
    takeover_hint: "Jika Anda ingin melanjutkan di komputer ini, tekan tombol di bawah. Jika bukan Anda yang membukanya, beri tahu pengawas.",
    takeover_button: "Lanjutkan di komputer ini",
    terminated_title: "Sesi tes telah diakhiri",
    terminated_text: "Pengawas telah mengakhiri sesi tes Anda. Jawaban yang sudah tersimpan tetap tercatat.",
    terminated_hint: "Silakan hubungi pengawas ruangan.",
    finished_title: "Tes selesai. Terima kasih!",
    finished_text: "Semua jawaban Anda sudah tersimpan. Silakan tinggalkan tempat setelah diizinkan pengawas.",
    profile_title: "Ringkasan hasil Anda",
    col_subtest: "Subtes",
    col_level: "Tingkat",
    col_score: "Skor",
    col_items: "Jumlah soal",
    col_time: "Waktu",
    profile_note: "Tingkat 1 (terendah) sampai 5 (tertinggi). Hasil resmi disampaikan oleh panitia.",
    no_profile: "Hasil tes akan disampaikan oleh panitia penyelenggara.",
    finished_exit: "Tutup dan kembali ke layar awal",
    level_1: "Perlu banyak pengembangan",
    level_2: "Perlu pengembangan",
    level_3: "Cukup",
    level_4: "Baik",
    level_5: "Sangat baik",
    level_none: "Tidak dinilai",
    duration: "{m} mnt {s} dtk",
  },
  en: {
    __lang: "en",
    page_title: "Competency Test",
    app_title: "Computer-Based Competency Test",
    time_left: "Time left",
    no_time_limit: "No time limit",
    connecting: "Connecting to the test server...",
    banner_reconnecting: "Connection lost, reconnecting... Your saved answers are safe.",
    banner_first: "Not connected to the test server yet, trying again... If this takes long, tell the proctor.",
    welcome: "Welcome",
    token_intro: "Type the token printed on your candidate card, then press Start.",
    token_label: "Candidate token",
    token_placeholder: "ABCD-EFGH-JKMN",
    token_hint: "Upper or lower case does not matter; dashes are optional.",
    start: "Start",
    token_empty: "Please type your token first.",
    bad_token: "This token is unknown or no longer valid. Check the token on your card, or ask the proctor.",
    subtest_of: "Subtest {n} of {total}",
    item_number: "Question {n}",
    item_max: "of at most {max} (usually ends earlier)",
    step_done: "Subtest {n}: done",
    step_current: "Subtest {n}: in progress",
    step_todo: "Subtest {n}: not yet",
    choose_one: "Choose one answer",
    hint_choose: "Choose one answer: click an option, or press a letter A–{last} / a number 1–{n}.",
    hint_save: "Press “Save & continue” (or Enter). An answer cannot be changed once saved.",
    hint_saving: "Saving your answer...",
    hint_offline: "Waiting for the connection. Your answer will be saved once it is back.",
    submit: "Save & continue",
    saving: "Saving...",
    bad_response: "That answer could not be accepted. Please choose again.",
    subtest_completed: "Subtest {name} is complete. On to the next subtest.",
    subtest_time_up: "Time for subtest {name} is up; the answers you saved still count.",
    paused_title: "The test is paused",
    paused_wait: "Please stay in your seat. The proctor will resume the test.",
    paused_reason: "Message from the proctor:",
    paused_clock: "The test clock does not run during the pause.",
    takeover_title: "Your session was opened on another computer",
    takeover_text: "Your test is open on another computer or window, so this page has stopped.",
    takeover_hint: "To continue on this computer, press the button below. If it was not you, tell the proctor.",
    takeover_button: "Continue on this computer",
    terminated_title: "The test session has been ended",
    terminated_text: "The proctor has ended your test session. The answers you saved are kept.",
    terminated_hint: "Please contact the room proctor.",
    finished_title: "The test is finished. Thank you!",
    finished_text: "All your answers are saved. Please leave your seat when the proctor allows it.",
    profile_title: "Summary of your results",
    col_subtest: "Subtest",
    col_level: "Level",
    col_score: "Score",
    col_items: "Questions",
    col_time: "Time",
    profile_note: "Level 1 (lowest) to 5 (highest). The official results are given by the organisers.",
    no_profile: "Your results will be given to you by the organisers.",
    finished_exit: "Close and return to the start screen",
    level_1: "Needs much development",
    level_2: "Needs development",
    level_3: "Adequate",
    level_4: "Good",
    level_5: "Very good",
    level_none: "Not scored",
    duration: "{m} min {s} s",
  },
};

const TOKEN_KEY = "cat.candidate.token";
const PENDING_KEY = "cat.candidate.pending";
const SCREENS = ["loading", "token", "item", "paused", "takeover", "terminated", "finished"];
const LETTERS = "ABCDEFGHI";
const WARN_BELOW_MS = 5 * 60 * 1000;
const REPLY_TIMEOUT_MS = 15000; // no frame this long after hello/answer/ping: the link is dead, reconnect
const BANNER_DELAY_MS = 1000; // a quicker reconnect is not worth alarming anyone
const IDLE_PING_MS = 20000; // ping after this long without a frame, to notice a dead link early

const $ = (id) => document.getElementById(id);

let lang = currentLang();
let t = makeT(TEXTS, lang);

const state = {
  token: null,
  socket: null,
  helloReplied: false, // the current connection got its hello reply: answers may be sent
  everConnected: false,
  screen: null,
  item: null, // the last `item` frame
  selected: null, // option index chosen for state.item
  notice: null, // previous_subtest shown above state.item
  itemError: null,
  pausedReason: "",
  finished: null,
  tokenError: null,
  lastRx: 0,
  waitingSince: null,
  downSince: null, // when the connection went down (null while ready)
  showOffline: false, // down for longer than BANNER_DELAY_MS: banner shown
};

const clock = { leftMs: null, base: 0, running: false };

// --- pending answer (sessionStorage) --------------------------------------------------------------------------

function loadPending() {
  try {
    const p = JSON.parse(sessionStorage.getItem(PENDING_KEY));
    if (p && p.token === state.token && Number.isInteger(p.seq) && Number.isInteger(p.response)) return p;
  } catch {
    // unreadable: treat as none
  }
  return null;
}

function savePending(seq, response) {
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ token: state.token, seq, response }));
}

function clearPending() {
  sessionStorage.removeItem(PENDING_KEY);
}

function sendPending() {
  const p = loadPending();
  if (!p || !state.helloReplied || !state.socket) return;
  if (state.socket.send({ type: "answer", seq: p.seq, response: p.response })) state.waitingSince = Date.now();
}

// --- connection ------------------------------------------------------------------------------------------------

function connect() {
  stopSocket();
  state.helloReplied = false;
  let socket = null; // the handlers run for this socket only (onState already runs inside the constructor)
  socket = new ReconnectingSocket("/ws/candidate", {
    onOpen: (s) => {
      if (s !== state.socket) return;
      state.helloReplied = false;
      state.lastRx = Date.now();
      if (s.send({ type: "hello", token: state.token })) state.waitingSince = Date.now();
    },
    onFrame: (frame, s) => {
      if (s === state.socket) onFrame(frame);
    },
    onState: (name) => {
      if (socket !== state.socket) return;
      if (name !== "open") {
        state.helloReplied = false;
        state.waitingSince = null;
        stopClock();
      }
      refresh();
    },
    onClose: (event, s) => (s === state.socket ? onClose(event) : false),
  });
  state.socket = socket;
}

function stopSocket() {
  const old = state.socket;
  state.socket = null;
  state.helloReplied = false;
  state.waitingSince = null;
  if (old) old.stop();
}

function resync() {
  // out of step with the server: a fresh connection's hello reply says where the session is
  if (state.socket) state.socket.drop();
}

function onClose(event) {
  state.helloReplied = false;
  state.waitingSince = null;
  stopClock();
  if (event.code === 4001) {
    badToken();
    return false;
  }
  if (event.code === 4002) {
    stopSocket();
    show("takeover");
    return false;
  }
  if (event.code === 4003) {
    terminated();
    return false;
  }
  refresh();
  return true;
}

function onFrame(frame) {
  state.lastRx = Date.now();
  state.waitingSince = null;
  const helloReply = !state.helloReplied && ["item", "paused", "finished", "error"].includes(frame.type);
  if (helloReply) {
    state.helloReplied = true;
    state.everConnected = true;
  }
  switch (frame.type) {
    case "item":
      onItem(frame);
      break;
    case "paused":
      onPaused(frame);
      break;
    case "time":
      setClock(frame.time_left_s, clock.running);
      break;
    case "finished":
      onFinished(frame);
      return;
    case "error":
      onError(frame, helloReply);
      break;
    default: // pong and anything newer than this page
      break;
  }
  refresh();
}

function onItem(frame) {
  let pending = loadPending();
  if (pending && pending.seq !== frame.seq) {
    // a later item: the pending answer was applied (an earlier one cannot happen; either way it is settled)
    clearPending();
    pending = null;
  }
  const same = state.item !== null && state.item.seq === frame.seq;
  state.item = frame;
  if (!same) {
    state.selected = null;
    state.itemError = null;
    state.notice = frame.previous_subtest || null;
  }
  if (pending) state.selected = pending.response;
  setClock(frame.time_left_s, true);
  show("item");
  if (!same) renderItem();
  if (pending) sendPending(); // the same item again (after a reconnect or a resume): resend, the server dedups
  if (!same) focusItem();
}

function onPaused(frame) {
  state.pausedReason = typeof frame.reason === "string" ? frame.reason : "";
  stopClock();
  show("paused");
}

function onFinished(frame) {
  clearPending();
  state.finished = frame;
  stopClock();
  stopSocket();
  show("finished");
}

function onError(frame, helloReply) {
  if (helloReply && frame.code === "bad_message") {
    badToken(); // the hello itself was refused: its token cannot be one
    return;
  }
  switch (frame.code) {
    case "time_up": // the answer came too late; the next subtest's item or `finished` follows
      clearPending();
      break;
    case "finished": // the battery ended meanwhile: fetch the finished frame
      clearPending();
      resync();
      break;
    case "bad_response":
      clearPending();
      state.selected = null;
      state.itemError = "bad_response";
      if (state.item) renderItem();
      break;
    case "paused": // refused while paused: kept, and resent when the item comes back
      break;
    case "wrong_seq":
    case "bad_message":
    case "not_authenticated":
      resync();
      break;
    default: // bad_token, taken_over, terminated, internal, flood...: the close code that follows decides
      break;
  }
}

function badToken() {
  const typed = state.token || "";
  sessionStorage.removeItem(TOKEN_KEY);
  clearPending();
  stopSocket();
  state.token = null;
  state.item = null;
  state.tokenError = "bad_token";
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
  const previous = sessionStorage.getItem(TOKEN_KEY);
  if (previous !== token) clearPending(); // a pending answer belongs to its own token
  sessionStorage.setItem(TOKEN_KEY, token);
  state.token = token;
  state.item = null;
  state.finished = null;
  state.tokenError = null;
  state.everConnected = false;
  show("loading");
  connect();
}

// A dead link (no close event, no frames) is noticed by a reply that does not come: reconnect and resend.
function watchdog() {
  const s = state.socket;
  if (!s || !s.isOpen) return;
  const now = Date.now();
  if (state.waitingSince !== null && now - state.waitingSince > REPLY_TIMEOUT_MS) {
    state.waitingSince = null;
    s.drop();
  } else if (state.waitingSince === null && state.helloReplied && now - state.lastRx > IDLE_PING_MS) {
    if (s.send({ type: "ping" })) state.waitingSince = now;
  }
}

// --- clock -----------------------------------------------------------------------------------------------------

function setClock(seconds, running) {
  clock.leftMs = typeof seconds === "number" ? Math.max(0, seconds * 1000) : null;
  clock.base = performance.now();
  clock.running = Boolean(running) && clock.leftMs !== null;
  renderClock();
}

function clockLeft() {
  if (clock.leftMs === null) return null;
  return Math.max(0, clock.leftMs - (clock.running ? performance.now() - clock.base : 0));
}

function stopClock() {
  clock.leftMs = clockLeft();
  clock.base = performance.now();
  clock.running = false;
  renderClock();
}

function formatClock(ms) {
  const total = Math.ceil(ms / 1000);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

function renderClock() {
  const box = $("clock");
  const visible = state.screen === "item" || state.screen === "paused";
  box.hidden = !visible;
  if (!visible) return;
  const left = clockLeft();
  const value = $("clock-value");
  const text = left === null ? t("no_time_limit") : formatClock(left);
  if (value.textContent !== text) value.textContent = text;
  $("clock").querySelector(".clock-label").hidden = left === null;
  box.classList.toggle("warn", left !== null && left < WARN_BELOW_MS);
  box.classList.toggle("stopped", !clock.running);
}

// --- rendering -------------------------------------------------------------------------------------------------

function show(name) {
  state.screen = name;
  document.body.dataset.screen = name;
  for (const s of SCREENS) $(`screen-${s}`).hidden = s !== name;
  refresh();
}

// Everything that depends on the state and the language, except the item's own DOM (renderItem).
function refresh() {
  renderBanner();
  renderClock();
  if (state.screen === "token") renderToken();
  if (state.screen === "item" && state.item) renderItemChrome();
  if (state.screen === "paused") renderPaused();
  if (state.screen === "finished") renderFinished();
}

// A reconnect that takes less than a second goes unnoticed; a longer one gets the banner and dims the item.
function renderBanner() {
  const inSession = ["loading", "item", "paused"].includes(state.screen);
  const down = inSession && state.socket !== null && !state.helloReplied;
  if (!down) state.downSince = null;
  else if (state.downSince === null) state.downSince = Date.now();
  state.showOffline = down && Date.now() - state.downSince >= BANNER_DELAY_MS;
  const banner = $("banner");
  banner.hidden = !state.showOffline;
  if (state.showOffline) $("banner-text").textContent = t(state.everConnected ? "banner_reconnecting" : "banner_first");
  document.body.classList.toggle("offline", state.showOffline);
  document.body.dataset.connection = state.helloReplied ? "ready" : "down";
}

function tick() {
  const before = state.showOffline;
  renderBanner();
  if (state.showOffline !== before) refresh();
  renderClock();
}

function renderToken() {
  const box = $("token-error");
  box.hidden = !state.tokenError;
  box.textContent = state.tokenError ? t(state.tokenError) : "";
}

function renderItem() {
  const f = state.item;
  $("item-form").dataset.seq = String(f.seq);
  $("item-stem").textContent = f.item.stem;
  const list = $("item-options");
  list.replaceChildren();
  f.item.options.forEach((text, i) => {
    const label = document.createElement("label");
    label.className = "option";
    label.dataset.index = String(i);
    const input = document.createElement("input");
    input.type = "radio";
    input.name = "answer";
    input.value = String(i);
    input.className = "option-radio";
    input.addEventListener("change", () => {
      if (input.checked) choose(i, false);
    });
    const letter = document.createElement("span");
    letter.className = "option-letter";
    letter.textContent = LETTERS[i] || String(i + 1);
    letter.setAttribute("aria-hidden", "true");
    const body = document.createElement("span");
    body.className = "option-text";
    body.textContent = text;
    label.append(input, letter, body);
    list.append(label);
  });
  renderItemChrome();
}

function focusItem() {
  if (state.screen === "item") $("item-stem").focus({ preventScroll: true });
}

function renderItemChrome() {
  const f = state.item;
  const pending = loadPending();
  const saving = pending !== null && pending.seq === f.seq;
  const offline = state.showOffline;
  const locked = saving || !state.helloReplied;

  const notice = $("subtest-notice");
  notice.hidden = !state.notice;
  if (state.notice) {
    const key = state.notice.reason === "time_up" ? "subtest_time_up" : "subtest_completed";
    notice.textContent = t(key, { name: state.notice.name });
    notice.classList.toggle("ok", state.notice.reason !== "time_up");
    notice.classList.toggle("warn", state.notice.reason === "time_up");
  }

  $("subtest-name").textContent = f.subtest.name;
  $("item-number").textContent = t("item_number", { n: f.progress.answered + 1 });
  $("item-max").textContent = t("item_max", { max: f.progress.max_items });
  const total = f.progress.subtests_total;
  $("overall-label").textContent = t("subtest_of", { n: f.subtest.index + 1, total });
  const steps = $("overall-steps");
  steps.replaceChildren();
  for (let i = 0; i < total; i++) {
    const li = document.createElement("li");
    const done = i < f.progress.subtests_done && i !== f.subtest.index;
    const current = i === f.subtest.index;
    li.className = done ? "done" : current ? "current" : "todo";
    li.textContent = String(i + 1);
    const key = done ? "step_done" : current ? "step_current" : "step_todo";
    li.title = t(key, { n: i + 1 });
    li.setAttribute("aria-label", li.title);
    steps.append(li);
  }

  const inputs = [...$("item-options").querySelectorAll("input")];
  inputs.forEach((input, i) => {
    input.checked = i === state.selected;
    input.closest(".option").classList.toggle("selected", i === state.selected);
  });
  $("item-fieldset").disabled = locked;
  $("item-form").classList.toggle("saving", saving);
  $("item-form").setAttribute("aria-busy", String(locked));

  const button = $("item-submit");
  button.disabled = locked || state.selected === null;
  button.textContent = saving ? t("saving") : t("submit");

  const n = f.item.options.length;
  let hint;
  if (state.itemError) hint = t(state.itemError);
  else if (saving) hint = offline ? t("hint_offline") : t("hint_saving");
  else if (offline) hint = t("hint_offline");
  else if (state.selected === null) hint = t("hint_choose", { last: LETTERS[n - 1] || "", n });
  else hint = t("hint_save");
  const hintEl = $("item-hint");
  hintEl.textContent = hint;
  hintEl.classList.toggle("error", Boolean(state.itemError));
}

function choose(index, focus) {
  if (state.screen !== "item" || !state.item || !state.helloReplied || loadPending()) return;
  if (index < 0 || index >= state.item.item.options.length) return;
  state.selected = index;
  state.itemError = null;
  renderItemChrome();
  if (focus) $("item-options").querySelectorAll("input")[index].focus();
}

function submit() {
  if (state.screen !== "item" || !state.item || state.selected === null) return;
  if (!state.helloReplied || loadPending()) return;
  savePending(state.item.seq, state.selected); // stored before it is sent: a reload or a drop cannot lose it
  renderItemChrome();
  sendPending();
}

function renderPaused() {
  const box = $("paused-reason");
  box.hidden = !state.pausedReason;
  $("paused-reason-text").textContent = state.pausedReason;
}

function formatDuration(seconds) {
  const total = Math.round(seconds);
  return t("duration", { m: Math.floor(total / 60), s: total % 60 });
}

function renderFinished() {
  const profile = state.finished ? state.finished.profile : null;
  $("profile").hidden = !profile;
  $("no-profile").hidden = Boolean(profile);
  if (!profile) return;
  $("profile-title").textContent = t("profile_title");
  $("profile-battery").textContent = profile.battery && profile.battery.name ? profile.battery.name : "";
  const rows = $("profile-rows");
  rows.replaceChildren();
  for (const sub of profile.subtests) {
    const tr = document.createElement("tr");
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = sub.name;
    const level = document.createElement("td");
    level.className = "level";
    if (Number.isInteger(sub.level)) {
      const meter = document.createElement("span");
      meter.className = "meter";
      meter.setAttribute("aria-hidden", "true");
      for (let i = 1; i <= 5; i++) {
        const dot = document.createElement("span");
        if (i <= sub.level) dot.className = "on";
        meter.append(dot);
      }
      const word = document.createElement("span");
      word.className = "level-word";
      word.textContent = `${sub.level} – ${t(`level_${sub.level}`)}`;
      level.append(meter, word);
    } else {
      level.textContent = t("level_none");
    }
    const score = document.createElement("td");
    score.className = "num";
    score.textContent = sub.scaled_score ?? "–";
    const items = document.createElement("td");
    items.className = "num";
    items.textContent = String(sub.items);
    const time = document.createElement("td");
    time.className = "num";
    time.textContent = formatDuration(sub.time_s);
    tr.append(name, level, score, items, time);
    rows.append(tr);
  }
}

// --- input -----------------------------------------------------------------------------------------------------

function onKey(event) {
  if (state.screen !== "item" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLInputElement && target.type === "text") return;
  if (event.key === "Enter") {
    if (target instanceof Element && target.closest("button, a")) return; // the focused button does its own job
    event.preventDefault();
    submit();
    return;
  }
  if (event.key.length !== 1) return;
  const key = event.key.toUpperCase();
  let index = -1;
  if (key >= "1" && key <= "9") index = Number(key) - 1;
  else if (LETTERS.includes(key)) index = LETTERS.indexOf(key);
  if (index < 0 || !state.item || index >= state.item.item.options.length) return;
  event.preventDefault();
  choose(index, true);
}

function setLanguage(code) {
  lang = code;
  t = makeT(TEXTS, lang);
  const url = new URL(location.href);
  if (url.searchParams.has("lang")) {
    url.searchParams.set("lang", code);
    history.replaceState(null, "", url.pathname + url.search);
  }
  applyTexts(document, t);
  document.title = t("page_title");
  refresh();
}

function init() {
  applyTexts(document, t);
  document.title = t("page_title");
  languageSwitch($("lang"), lang, setLanguage);

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = $("token-input").value.trim();
    if (!typed.replace(/[\s-]/g, "")) {
      state.tokenError = "token_empty";
      renderToken();
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
    state.everConnected = false;
    show("loading");
    connect();
  });
  $("finished-exit").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    clearPending();
    state.token = null;
    state.item = null;
    state.finished = null;
    state.tokenError = null;
    $("token-input").value = "";
    show("token");
    $("token-input").focus();
  });
  document.addEventListener("keydown", onKey);
  setInterval(tick, 250);
  setInterval(watchdog, 2000);

  window.catCandidate = {
    get socket() {
      return state.socket;
    },
  };

  const fromLink = /^#t=(.+)$/.exec(location.hash);
  if (fromLink) {
    history.replaceState(null, "", location.pathname + location.search);
    let token = fromLink[1];
    try {
      token = decodeURIComponent(token);
    } catch {
      // keep it as it came
    }
    startWithToken(token.trim());
    return;
  }
  const stored = sessionStorage.getItem(TOKEN_KEY);
  if (stored) {
    state.token = stored;
    show("loading");
    connect();
    return;
  }
  show("token");
  $("token-input").focus();
}

init();
