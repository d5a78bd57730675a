// The candidate page's screens, the clock in the top bar and the offline banner, drawn from the page's state
// (candidate.js):
//   page = {t, lang, screen, waitingReason, welcome, steps, notMe, practiceSelected, intro, introClock, startSent,
//           item, selected, itemError, pausedReason, finished, tokenError, helloReplied, everConnected, showOffline,
//           linkNote, clock, takeoverKind, messages, pending() (the pending answer or null), now() (ms)}
// Screens: loading, token, waiting, approval, denied, confirm, instructions, practice, begin, intro, item, paused,
// takeover, terminated, finished. `showScreen(name)` shows one; `focusScreen(page)` moves the focus to its heading
// (the token field on the token screen, the stem on an item); `renderItem(page, onChoose)` and
// `renderPractice(page, onChoose)` build the options once per item; `renderMessages(page, onClose)` keeps the stack of
// messages and notices above the screen; `refresh(page)` redraws everything else.

import {
  bannerKey,
  timeOfDay,
  clockLeft,
  formatClock,
  hintKey,
  introSteps,
  LETTERS,
  limitText,
  minutesSeconds,
  pickText,
  previousKey,
  steps,
  waitingKey,
  WARN_BELOW_MS,
} from "./candidate_state.js";

const $ = (id) => document.getElementById(id);
const SCREENS = [
  "loading", "token", "waiting", "approval", "denied", "confirm", "instructions", "practice", "begin", "intro", "item",
  "paused", "takeover", "terminated", "finished",
];

export function showScreen(name) {
  document.body.dataset.screen = name;
  for (const s of SCREENS) $(`screen-${s}`).hidden = s !== name;
}

// A new screen takes the focus to its heading, so a screen reader reads it and Tab starts from the top of it.
export function focusScreen(page) {
  if (page.screen === "token") return; // the token field has it
  if (page.screen === "item") {
    focusItem(page);
    return;
  }
  $(`screen-${page.screen}`)?.querySelector("h1")?.focus({preventScroll: true});
}

// Everything that depends on the state and the language, except the options of an item (renderItem, renderPractice).
export function refresh(page) {
  renderBanner(page);
  renderClock(page);
  switch (page.screen) {
    case "token":
      renderToken(page);
      break;
    case "waiting":
      renderWaiting(page);
      break;
    case "confirm":
      renderConfirm(page);
      break;
    case "instructions":
      renderInstructions(page);
      break;
    case "practice":
      if (page.welcome) renderPracticeChrome(page);
      break;
    case "begin":
      renderBegin(page);
      break;
    case "intro":
      renderIntro(page);
      break;
    case "item":
      if (page.item) renderItemChrome(page);
      break;
    case "paused":
      renderPaused(page);
      break;
    case "takeover":
      renderTakeover(page);
      break;
    case "finished":
      renderFinished(page);
      break;
    default:
      break;
  }
}

// A reconnect that takes less than a second goes unnoticed; a longer one gets the banner and dims the item.
export function renderBanner(page) {
  const banner = $("banner");
  banner.hidden = !page.showOffline;
  if (page.showOffline) $("banner-text").textContent = page.t(bannerKey({note: page.linkNote, everConnected: page.everConnected}));
  document.body.classList.toggle("offline", page.showOffline);
  document.body.dataset.connection = page.helloReplied ? "ready" : "down";
}

// The subtest's clock, in the top bar while an item is answered (and frozen while paused); never before the subtest
// has started (the intro shows its limit instead).
export function renderClock(page) {
  const box = $("clock");
  const visible = page.screen === "item" || (page.screen === "paused" && page.item !== null);
  box.hidden = !visible;
  if (!visible) return;
  const left = clockLeft(page.clock, page.now());
  const value = $("clock-value");
  const text = left === null ? page.t("no_time_limit") : formatClock(left);
  if (value.textContent !== text) value.textContent = text;
  box.querySelector(".clock-label").hidden = left === null;
  box.classList.toggle("warn", left !== null && left < WARN_BELOW_MS);
  box.classList.toggle("stopped", !page.clock.running);
}

export function renderToken(page) {
  const box = $("token-error");
  box.hidden = !page.tokenError;
  box.textContent = page.tokenError ? page.t(page.tokenError) : "";
}

export function renderWaiting(page) {
  $("waiting-text").textContent = page.t(waitingKey(page.waitingReason));
}

const limit = (page, seconds) => {
  const {key, vars} = limitText(seconds);
  return page.t(key, vars);
};

function cell(text, className = "") {
  const td = document.createElement("td");
  if (className) td.className = className;
  td.textContent = text;
  return td;
}

// Who the token belongs to, and the battery: each subtest with its most items and its time limit.
export function renderConfirm(page) {
  const w = page.welcome;
  if (!w) return;
  $("confirm-name").textContent = w.candidate?.name ?? "";
  $("confirm-employee").textContent = w.candidate?.employee_id ?? "";
  $("confirm-battery").textContent = w.battery?.name ?? "";
  $("confirm-subtests").replaceChildren(
    ...(w.battery?.subtests ?? []).map((sub) => {
      const tr = document.createElement("tr");
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = sub.name;
      tr.append(name, cell(String(sub.items_max ?? "–"), "num"), cell(limit(page, sub.time_limit_s), "num"));
      return tr;
    }),
  );
  $("confirm-not-me").hidden = !page.notMe;
}

export function renderInstructions(page) {
  const w = page.welcome;
  const own = w ? pickText(w.instructions, page.lang) : "";
  $("battery-instructions-box").hidden = own === "";
  $("battery-instructions").textContent = own;
  const practice = w && Array.isArray(w.practice) && w.practice.length > 0;
  $("instructions-next").textContent = page.t(practice ? "instructions_to_practice" : "instructions_next");
  markMore();
}

// "Scroll down for more" beside the button while the instructions go on below the card's edge.
export function markMore() {
  const body = $("instructions-body");
  $("instructions-more").hidden = body.scrollTop + body.clientHeight >= body.scrollHeight - 4;
}

// Options as large choices labelled A, B, C... inside `list`; onChoose(index) when one is picked.
function buildOptions(list, texts, name, onChoose) {
  list.replaceChildren();
  texts.forEach((text, i) => {
    const label = document.createElement("label");
    label.className = "option";
    label.dataset.index = String(i);
    const input = document.createElement("input");
    input.type = "radio";
    input.name = name;
    input.value = String(i);
    input.className = "option-radio";
    input.addEventListener("change", () => {
      if (input.checked) onChoose(i);
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
}

function markChoice(list, selected) {
  [...list.querySelectorAll("input")].forEach((input, i) => {
    input.checked = i === selected;
    input.closest(".option").classList.toggle("selected", i === selected);
  });
}

// The practice item on screen (page.steps.index of the welcome's practice), in the page's language.
export const practiceItem = (page) => page.welcome?.practice?.[page.steps.index] ?? null;

export function renderPractice(page, onChoose) {
  const p = practiceItem(page);
  if (!p) return;
  $("practice-form").dataset.index = String(page.steps.index);
  $("practice-stem").textContent = pickText(p.stem, page.lang);
  $("practice-stem").scrollTop = 0;
  buildOptions($("practice-options"), p.options.map((o) => pickText(o, page.lang)), "practice", onChoose);
  renderPracticeChrome(page);
}

export function renderPracticeChrome(page) {
  const {t} = page;
  const p = practiceItem(page);
  if (!p) return;
  const total = page.welcome.practice.length;
  $("practice-title").textContent = t("practice_title", {n: page.steps.index + 1, total});
  markChoice($("practice-options"), page.practiceSelected);
  const done = page.steps.done;
  $("practice-fieldset").disabled = done;
  $("practice-form").classList.toggle("done", done);
  const feedback = $("practice-feedback");
  feedback.hidden = !done;
  feedback.textContent = done ? t("practice_done", {letter: LETTERS[page.practiceSelected] ?? ""}) : "";
  const button = $("practice-submit");
  button.disabled = !done && page.practiceSelected === null;
  button.textContent = t(done ? "practice_next" : "submit");
  const n = p.options.length;
  const hint = done ? "practice_hint_next" : page.practiceSelected === null ? "hint_choose" : "practice_hint_save";
  $("practice-hint").textContent = t(hint, {last: LETTERS[n - 1] || "", n});
}

export function focusPracticeButton() {
  $("practice-submit").focus();
}

export function renderBegin(page) {
  const practiced = Array.isArray(page.welcome?.practice) && page.welcome.practice.length > 0;
  $("begin-title").textContent = page.t(practiced ? "begin_title_practiced" : "begin_title");
  const button = $("begin-start");
  button.disabled = page.startSent || !page.helloReplied;
  button.textContent = page.t(page.startSent ? "starting" : "begin_start");
}

// A subtest's intro: where it stands in the battery, its most items and time limit, the previous subtest's notice,
// its instructions, and the countdown to its start by itself.
export function renderIntro(page) {
  const f = page.intro;
  if (!f) return;
  const {t} = page;
  const sub = f.subtest;
  const notice = $("intro-previous");
  const prev = previousKey(f.previous_subtest);
  notice.hidden = prev === null;
  notice.textContent = prev ? t(prev, {name: f.previous_subtest.name}) : "";
  notice.classList.toggle("ok", prev === "subtest_completed");
  notice.classList.toggle("warn", prev === "subtest_time_up");
  $("intro-of").textContent = t("subtest_of", {n: sub.index + 1, total: sub.count});
  const list = $("intro-steps");
  list.replaceChildren(
    ...introSteps(sub.index, sub.count).map((step, i) => {
      const li = document.createElement("li");
      li.className = step;
      li.textContent = String(i + 1);
      li.title = t(`step_${step}`, {n: i + 1});
      li.setAttribute("aria-label", li.title);
      return li;
    }),
  );
  $("intro-title").textContent = sub.name;
  $("intro-items").textContent = t("intro_items", {max: sub.items_max});
  $("intro-limit").textContent = t("intro_limit", {limit: limit(page, f.time_limit_s)});
  const own = pickText(sub.instructions, page.lang);
  $("intro-instructions-box").hidden = own === "";
  $("intro-instructions").textContent = own;
  const button = $("intro-start");
  button.disabled = page.startSent || !page.helloReplied;
  button.textContent = t(page.startSent ? "starting" : "start");
  renderIntroCountdown(page);
}

export function renderIntroCountdown(page) {
  if (page.screen !== "intro" || !page.introClock) return;
  const left = clockLeft(page.introClock, page.now());
  const text = left === null ? "" : left > 0 ? page.t("intro_countdown", {time: formatClock(left)}) : page.t("intro_starting");
  const box = $("intro-countdown");
  if (box.textContent !== text) box.textContent = text;
}

// The item's stem and options (once per item; the choice and the rest follow in renderItemChrome).
export function renderItem(page, onChoose) {
  const f = page.item;
  $("item-form").dataset.seq = String(f.seq);
  $("item-stem").textContent = f.item.stem;
  $("item-stem").scrollTop = 0;
  buildOptions($("item-options"), f.item.options, "answer", onChoose);
  renderItemChrome(page);
}

export function focusItem(page) {
  if (page.screen === "item") $("item-stem").focus({preventScroll: true});
}

export function focusOption(index, list = "item-options") {
  $(list).querySelectorAll("input")[index]?.focus();
}

function renderProgress(page) {
  const {t} = page;
  const f = page.item;
  $("subtest-name").textContent = f.subtest.name;
  $("item-number").textContent = t("item_number", {n: f.progress.answered + 1});
  $("item-max").textContent = t("item_max", {max: f.progress.max_items});
  $("overall-label").textContent = t("subtest_of", {n: f.subtest.index + 1, total: f.progress.subtests_total});
  const list = $("overall-steps");
  list.replaceChildren();
  steps(f.progress, f.subtest.index).forEach((step, i) => {
    const li = document.createElement("li");
    li.className = step;
    li.textContent = String(i + 1);
    li.title = t(`step_${step}`, {n: i + 1});
    li.setAttribute("aria-label", li.title);
    list.append(li);
  });
}

export function renderItemChrome(page) {
  const {t} = page;
  const f = page.item;
  const pending = page.pending();
  const saving = pending !== null && pending.seq === f.seq;
  const locked = saving || !page.helloReplied;
  renderProgress(page);

  markChoice($("item-options"), page.selected);
  $("item-fieldset").disabled = locked;
  $("item-form").classList.toggle("saving", saving);
  $("item-form").setAttribute("aria-busy", String(locked));

  const button = $("item-submit");
  button.disabled = locked || page.selected === null;
  button.textContent = saving ? t("saving") : t("submit");

  const n = f.item.options.length;
  const hint = $("item-hint");
  hint.textContent = t(hintKey({itemError: page.itemError, saving, offline: page.showOffline, selected: page.selected}), {
    last: LETTERS[n - 1] || "",
    n,
  });
  hint.classList.toggle("error", Boolean(page.itemError));
}

// Taken over: moved to another computer with the proctor's approval ("moved"), or opened in another window of this
// computer ("window"). The button reconnects either way; the server puts a move back through the proctor.
export function renderTakeover(page) {
  const {t} = page;
  const moved = page.takeoverKind !== "window";
  $("screen-takeover").dataset.kind = moved ? "moved" : "window";
  $("takeover-title").textContent = moved ? t("moved_title") : t("takeover_title");
  $("takeover-text").textContent = moved ? t("moved_text") : t("takeover_text");
  $("takeover-hint").textContent = moved ? t("moved_hint") : t("takeover_hint");
  $("takeover-continue").textContent = moved ? t("moved_button") : t("takeover_button");
}

// The stack of the proctor's messages and the page's notices (page.messages, newest first), above the screen. Each
// entry's element is made once: a screen reader announces it when it appears (a message is an alert, a notice a
// status) and not again at each redraw; a language switch only changes its texts. onClose(id) when "Tutup" is pressed.
export function renderMessages(page, onClose) {
  const box = $("messages");
  const {t} = page;
  const kept = new Map([...box.children].map((el) => [el.dataset.id, el]));
  const wanted = page.messages.map((m) => {
    let el = kept.get(String(m.id));
    if (!el) el = messageElement(m, onClose);
    const from = m.kind === "message" ? t("message_from") : t("notice_from");
    setText(el.querySelector(".message-from"), from);
    setText(el.querySelector(".message-time"), m.kind === "message" ? timeOfDay(m.atMs, m.at) : "");
    setText(el.querySelector(".message-text"), m.kind === "message" ? m.text : t(m.key, m.vars));
    const close = el.querySelector(".message-close");
    setText(close, t("message_close"));
    close.title = t("message_close_title");
    return el;
  });
  for (const [id, el] of kept) if (!page.messages.some((m) => String(m.id) === id)) el.remove();
  wanted.forEach((el, i) => {
    if (box.children[i] !== el) box.insertBefore(el, box.children[i] ?? null);
  });
  box.hidden = wanted.length === 0;
  fitNewest();
}

// The stack gives way to the screen, but never below its newest message, which shows whole (a very long one: at
// least NEWEST_MAX of the window, the rest of it scrolling in the stack).
const NEWEST_MAX = 0.18;

export function fitNewest() {
  const box = $("messages");
  const newest = box.firstElementChild;
  if (box.hidden || !newest) {
    box.style.minHeight = "";
    return;
  }
  const pad = parseFloat(getComputedStyle(box).paddingTop) || 0;
  box.style.minHeight = `${Math.ceil(Math.min(newest.offsetHeight + pad, window.innerHeight * NEWEST_MAX))}px`;
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function messageElement(m, onClose) {
  const el = document.createElement("div");
  el.className = `message is-${m.kind}`;
  el.dataset.id = String(m.id);
  el.dataset.kind = m.kind;
  el.setAttribute("role", m.kind === "message" ? "alert" : "status");
  const icon = document.createElement("span");
  icon.className = "message-icon";
  icon.setAttribute("aria-hidden", "true");
  icon.textContent = m.kind === "message" ? "!" : "i";
  const body = document.createElement("div");
  body.className = "message-body";
  const head = document.createElement("div");
  head.className = "message-head";
  const from = document.createElement("strong");
  from.className = "message-from";
  const time = document.createElement("span");
  time.className = "message-time";
  head.append(from, " ", time);
  const text = document.createElement("p");
  text.className = "message-text";
  text.id = `message-text-${m.id}`;
  body.append(head, text);
  const close = document.createElement("button");
  close.type = "button";
  close.className = "message-close";
  close.setAttribute("aria-describedby", text.id);
  close.addEventListener("click", () => onClose(m.id));
  el.append(icon, body, close);
  return el;
}

// The close button of the newest message after `id` goes (to take the focus), or null.
export function nextCloseButton(id) {
  const others = [...$("messages").children].filter((el) => el.dataset.id !== String(id));
  return others[0]?.querySelector(".message-close") ?? null;
}

export function renderPaused(page) {
  $("paused-reason").hidden = !page.pausedReason;
  $("paused-reason-text").textContent = page.pausedReason;
}

function levelCell(page, sub) {
  const level = document.createElement("td");
  level.className = "level";
  if (!Number.isInteger(sub.level)) {
    level.textContent = page.t("level_none");
    return level;
  }
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
  word.textContent = `${sub.level} – ${page.t(`level_${sub.level}`)}`;
  level.append(meter, word);
  // under the level, how far it can be trusted: the probability that it is the true level, in whole percent
  const p = sub.level_probability;
  if (typeof p === "number" && Number.isFinite(p)) {
    const percent = Math.round(Math.min(Math.max(p, 0), 1) * 100);
    const certainty = document.createElement("small");
    certainty.className = "muted level-certainty";
    certainty.title = page.t("level_certainty_title");
    certainty.textContent = page.t("level_certainty", {p: percent >= 100 ? ">99" : percent <= 0 ? "<1" : percent});
    level.append(document.createElement("br"), certainty);
  }
  return level;
}

// The thank-you, and the profile (level with its certainty, scaled score, items, time per subtest) when the battery
// shows it.
export function renderFinished(page) {
  const profile = page.finished ? page.finished.profile : null;
  $("profile").hidden = !profile;
  $("no-profile").hidden = Boolean(profile);
  if (!profile) return;
  $("profile-title").textContent = page.t("profile_title");
  $("profile-battery").textContent = profile.battery && profile.battery.name ? profile.battery.name : "";
  $("profile-rows").replaceChildren(
    ...profile.subtests.map((sub) => {
      const tr = document.createElement("tr");
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = sub.name;
      const time = page.t("duration", minutesSeconds(sub.time_s));
      tr.append(name, levelCell(page, sub), cell(sub.scaled_score ?? "–", "num"), cell(String(sub.items), "num"), cell(time, "num"));
      return tr;
    }),
  );
}
