// The candidate page's screens (token, item, pause, takeover, terminated, finished), the clock in the top bar and
// the offline banner, drawn from the page's state (candidate.js):
//   page = {t, screen, item, selected, notice, itemError, pausedReason, finished, tokenError, helloReplied,
//           everConnected, showOffline, linkNote, clock, pending() (the pending answer or null), now() (ms)}
// `showScreen(name)` shows one screen; `renderItem(page, onChoose)` builds an item's options once; `refresh(page)`
// redraws everything else.

import {bannerKey, clockLeft, formatClock, hintKey, LETTERS, minutesSeconds, steps, WARN_BELOW_MS} from "./candidate_state.js";

const $ = (id) => document.getElementById(id);
const SCREENS = ["loading", "token", "item", "paused", "takeover", "terminated", "finished"];

export function showScreen(name) {
  document.body.dataset.screen = name;
  for (const s of SCREENS) $(`screen-${s}`).hidden = s !== name;
}

// Everything that depends on the state and the language, except the item's own options (renderItem).
export function refresh(page) {
  renderBanner(page);
  renderClock(page);
  if (page.screen === "token") renderToken(page);
  if (page.screen === "item" && page.item) renderItemChrome(page);
  if (page.screen === "paused") renderPaused(page);
  if (page.screen === "finished") renderFinished(page);
}

// A reconnect that takes less than a second goes unnoticed; a longer one gets the banner and dims the item.
export function renderBanner(page) {
  const banner = $("banner");
  banner.hidden = !page.showOffline;
  if (page.showOffline) $("banner-text").textContent = page.t(bannerKey({note: page.linkNote, everConnected: page.everConnected}));
  document.body.classList.toggle("offline", page.showOffline);
  document.body.dataset.connection = page.helloReplied ? "ready" : "down";
}

export function renderClock(page) {
  const box = $("clock");
  const visible = page.screen === "item" || page.screen === "paused";
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

// The item's stem and options (once per item; the choice and the rest follow in renderItemChrome).
export function renderItem(page, onChoose) {
  const f = page.item;
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
  renderItemChrome(page);
}

export function focusItem(page) {
  if (page.screen === "item") $("item-stem").focus({preventScroll: true});
}

export function focusOption(index) {
  $("item-options").querySelectorAll("input")[index]?.focus();
}

function renderNotice(page) {
  const notice = $("subtest-notice");
  notice.hidden = !page.notice;
  if (!page.notice) return;
  const timeUp = page.notice.reason === "time_up";
  notice.textContent = page.t(timeUp ? "subtest_time_up" : "subtest_completed", {name: page.notice.name});
  notice.classList.toggle("ok", !timeUp);
  notice.classList.toggle("warn", timeUp);
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
  renderNotice(page);
  renderProgress(page);

  const inputs = [...$("item-options").querySelectorAll("input")];
  inputs.forEach((input, i) => {
    input.checked = i === page.selected;
    input.closest(".option").classList.toggle("selected", i === page.selected);
  });
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
  return level;
}

function numCell(text) {
  const td = document.createElement("td");
  td.className = "num";
  td.textContent = text;
  return td;
}

// The thank-you, and the profile (level, scaled score, items, time per subtest) when the battery shows it.
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
      tr.append(name, levelCell(page, sub), numCell(sub.scaled_score ?? "–"), numCell(String(sub.items)), numCell(time));
      return tr;
    }),
  );
}
