// The admin page's drawing: notices, the battery choice, the rooms list, one room (its proctor token, its candidates
// with the tokens this page holds) and what is printed (the A4 sheets of candidate slips, or the proctor card), from
// the page's state (admin.js):
//   page = {t, batteries, rooms, roomsLoaded, showArchived, proctorTokens, tokens, roomId, candidates, phases,
//           roomMissing, busy, address: {base, source, warn}}
// Only rows whose token this page holds get a slip; the others show that the token is not here, and a button to
// replace it. The proctor token is never on the candidates' sheets: it has a card of its own.

import {
  editable,
  phaseKey,
  roomState,
  say,
  sheetsOf,
  showProctorToken,
  showToken,
  tokenPlan,
  visibleRooms,
} from "./admin_roster.js";

const $ = (id) => document.getElementById(id);

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// Links to the pages at the address the slips carry (CAT_PUBLIC_URL, or this page's origin), with the token as the
// server gave it.
export const candidateLink = (base, token) => `${base}/#t=${encodeURIComponent(token)}`;
export const proctorLink = (base, token) => `${base}/proctor#t=${encodeURIComponent(token)}`;

// Notices remember what they say (text keys, their variables, a server message) so a language switch redraws them.
export function notice(page, node, kind, key, vars = {}, detail = null) {
  node.msg = kind ? {kind, key, vars, detail} : null;
  renderNotice(page, node);
}

export function renderNotice(page, node) {
  const m = node.msg;
  node.hidden = !m;
  if (!m) return;
  node.className = `notice ${m.kind}`;
  const keys = Array.isArray(m.key) ? m.key : [m.key];
  const parts = keys.map((k) => el("span", {class: "line", text: say(page.t, k, m.vars)}));
  if (m.detail) {
    // the server's English details (a line, a field), under the page's own sentences, smaller and labelled
    const label = el("span", {class: "detail-label", text: `${page.t("server_says")} `});
    parts.push(el("span", {class: "line detail"}, label, el("code", {lang: "en", text: m.detail})));
  }
  node.replaceChildren(...parts);
}

export function batteryName(page, id) {
  const b = page.batteries.find((x) => x.id === id);
  return b ? b.name : id;
}

export function renderBatteries(page) {
  const select = $("room-battery");
  const previous = select.value;
  select.replaceChildren(...page.batteries.map((b) => el("option", {value: b.id, text: b.name})));
  if (previous) select.value = previous;
  renderBatteryInfo(page);
  $("create-btn").disabled = page.batteries.length === 0;
  notice(page, $("create-msg"), page.batteries.length ? null : "warn", "create_no_battery");
}

export function renderBatteryInfo(page) {
  const b = page.batteries.find((x) => x.id === $("room-battery").value);
  $("battery-info").textContent = b
    ? page.t("battery_info", {id: b.id, version: b.version, n: b.subtests.length, names: b.subtests.map((s) => s.name).join(", ")})
    : "";
}

export function renderFileName(page) {
  const file = $("csv-file").files[0];
  $("csv-name").textContent = file ? file.name : page.t("csv_no_file");
  $("csv-name").classList.toggle("chosen", Boolean(file));
}

// A room's state as a small badge (open: candidates may begin; closed: they wait for the proctor; archived: closed
// for good); null when the server does not say.
const STATE_TEXTS = {
  open: ["room_state_open", "room_state_open_title", "room_state_open_note"],
  closed: ["room_state_closed", "room_state_closed_title", "room_state_closed_note"],
  archived: ["room_state_archived", "room_state_archived_title", "room_state_archived_note"],
};

export function roomStateBadge(page, room) {
  const state = roomState(room);
  if (!state) return null;
  const [text, title] = STATE_TEXTS[state];
  return el("span", {
    class: `room-state ${state}`,
    "data-open": String(state === "open"),
    title: page.t(title),
    text: page.t(text),
  });
}

// The address slips and links carry, and a warning when lab computers cannot reach it.
export function renderAddress(page) {
  const {base, source, warn} = page.address;
  notice(page, $("address-msg"), warn ? "warn" : null, "address_warn", {base});
  $("slip-address").textContent = page.t(source === "public" ? "address_public" : "address_page", {base});
  $("slip-address").classList.toggle("warn", warn);
}

export function renderRooms(page) {
  const archived = page.rooms.filter((r) => r.archived === true).length;
  const shown = visibleRooms(page.rooms, page.showArchived);
  $("show-archived-text").textContent = page.t("show_archived", {n: archived});
  $("show-archived").checked = page.showArchived;
  $("rooms-empty").hidden = !page.roomsLoaded || shown.length > 0;
  $("rooms-empty").textContent = page.t(page.rooms.length > 0 ? "rooms_all_archived" : "rooms_empty");
  $("rooms").replaceChildren(
    ...shown.map((room) => {
      const current = room.room_id === page.roomId;
      const link = el(
        "a",
        {href: `#room=${encodeURIComponent(room.room_id)}`, class: "room-link"},
        el("span", {class: "room-name", text: room.name}),
        el("span", {class: "room-meta"}, el("code", {text: room.room_id}), ` · ${batteryName(page, room.battery)} `, roomStateBadge(page, room)),
        el("span", {class: "room-go", text: `${page.t("tokens_link")} ›`}),
      );
      if (current) link.setAttribute("aria-current", "true");
      const classes = ["room", current ? "current" : "", room.archived === true ? "archived" : ""].filter(Boolean);
      return el("li", {class: classes.join(" "), "data-room": room.room_id}, link);
    }),
  );
}

// The room's rows joined with the tokens this page holds for it.
export const roomPlan = (page) => tokenPlan(page.candidates, page.tokens.get(page.roomId));

export function renderRoom(page) {
  const {t} = page;
  const roomId = page.roomId;
  $("no-room").hidden = Boolean(roomId);
  $("room").hidden = !roomId;
  if (!roomId) {
    buildSheets(page);
    return;
  }
  const room = page.rooms.find((r) => r.room_id === roomId);
  $("room-h").textContent = page.roomMissing ? t("room_unknown", {id: roomId}) : room ? room.name : roomId;
  $("room-id").textContent = roomId;
  $("room-battery-name").textContent = room ? batteryName(page, room.battery) : "…";
  const badge = room ? roomStateBadge(page, room) : null;
  $("room-state-row").hidden = !badge;
  $("room-state-now").replaceChildren(...(badge ? [badge] : []));
  $("room-state-note").textContent = badge ? t(STATE_TEXTS[roomState(room)][2]) : "";
  const archived = room?.archived === true;
  for (const id of ["results-btn", "results-xlsx-btn"]) $(id).disabled = page.roomMissing;
  // an archived room's roster is final: nothing to register (the server would refuse it)
  for (const id of ["csv-btn", "paste-btn"]) $(id).disabled = page.roomMissing || archived;
  $("archive-btn").hidden = archived;
  $("archive-btn").disabled = page.roomMissing || page.busy;

  const proctorToken = page.proctorTokens.get(roomId);
  $("proctor-box").hidden = !proctorToken;
  if (proctorToken) {
    $("proctor-token").textContent = showProctorToken(proctorToken);
    $("proctor-link").href = proctorLink(page.address.base, proctorToken);
  }
  $("proctor-state").textContent = t(proctorToken ? "proctor_held" : "proctor_not_held");
  $("proctor-new-btn").disabled = page.roomMissing || page.busy;

  const {rows, held, missing} = roomPlan(page);
  $("count").textContent = t("count", {n: rows.length});
  $("tokens-empty").hidden = rows.length > 0 || page.roomMissing;
  $("tokens").hidden = rows.length === 0;
  $("held-row").hidden = rows.length === 0;
  $("held-text").textContent =
    missing.length === 0
      ? t("held_all", {n: rows.length})
      : held.length === 0
        ? t("held_none", {n: rows.length})
        : t("held_some", {held: held.length, n: rows.length, missing: missing.length});
  const reissueAll = $("reissue-missing-btn");
  reissueAll.textContent = t("reissue_missing_btn", {n: missing.length});
  reissueAll.disabled = missing.length === 0 || page.busy || page.roomMissing;
  $("print-btn").disabled = held.length === 0;
  $("csv-dl-btn").disabled = held.length === 0;
  $("xlsx-dl-btn").disabled = held.length === 0;
  $("tokens")
    .querySelector("tbody")
    .replaceChildren(
      ...rows.map((c, i) =>
        el(
          "tr",
          {"data-session": c.session_id, class: c.token ? "held" : "missing"},
          el("td", {class: "num", text: String(i + 1)}),
          el("td", {class: "who"}, el("span", {class: "name", text: c.name}), phaseBadge(page, c)),
          el(
            "td",
            {class: "ids"},
            el("span", {class: "employee", text: c.employee_id}),
            el("span", {class: "session", text: c.session_id}),
          ),
          el(
            "td",
            {class: "token"},
            c.token ? el("code", {text: showToken(c.token)}) : el("span", {class: "not-held", text: t("token_not_held")}),
          ),
          el("td", {class: "act"}, ...rowActions(page, c, archived)),
        ),
      ),
    );
  buildSheets(page);
}

// A candidate who has started: their phase, under the name (why the row can no longer be edited or removed).
function phaseBadge(page, c) {
  const phase = page.phases.get(c.session_id);
  const key = phaseKey(phase);
  if (!key) return null;
  return el("span", {class: "phase badge info", "data-phase": phase, title: page.t("phase_title"), text: page.t(key)});
}

// A row's buttons: a new token; for a candidate who has not started, edit and remove (disabled once they have; the
// server refuses a started one anyway).
function rowActions(page, c, archived) {
  const {t} = page;
  const phase = page.phases.get(c.session_id);
  const off = page.busy || page.roomMissing;
  const fixable = editable(phase) && !archived;
  const button = (cls, text, label, disabled) =>
    el("button", {
      type: "button",
      class: `small ${cls}`,
      "data-session": c.session_id,
      "aria-label": label,
      text,
      ...(disabled ? {disabled: ""} : {}),
    });
  return [
    button("reissue-btn", t("reissue_one_btn"), t("reissue_one_label", {name: c.name}), off),
    button("edit-btn", t("edit_btn"), t("edit_label", {name: c.name}), off || !fixable),
    button("remove-btn", t("remove_btn"), t("remove_label", {name: c.name}), off || !fixable),
  ];
}

// --- what is printed --------------------------------------------------------------------------------------------

function slip(page, room, cand) {
  const {t} = page;
  return el(
    "div",
    {class: "slip"},
    el(
      "div",
      {class: "slip-top"},
      el("span", {class: "slip-room", text: room ? room.name : page.roomId}),
      el("span", {class: "slip-session", text: cand.session_id}),
    ),
    el("div", {class: "slip-name", text: cand.name}),
    el("div", {class: "slip-employee", text: `${t("slip_employee")}: ${cand.employee_id}`}),
    el("div", {class: "slip-label", text: t("slip_address")}),
    el("div", {class: "slip-address", text: `${page.address.base}/`}),
    el("div", {class: "slip-label", text: t("slip_token")}),
    el("div", {class: "slip-token", text: showToken(cand.token)}),
    el("div", {class: "slip-help", text: t("slip_help")}),
  );
}

// Sheets of A4, each with its own margins (the @page margin is 0, so no browser header or footer is printed): a slip
// per candidate whose token this page holds, ten a sheet. The proctor token is never among them (buildProctorCard).
export function buildSheets(page) {
  const sheets = $("sheets");
  const roomId = page.roomId;
  if (!roomId || page.roomMissing) {
    sheets.replaceChildren();
    return;
  }
  const room = page.rooms.find((r) => r.room_id === roomId);
  const slips = roomPlan(page).held.map((c) => slip(page, room, c));
  const layout = sheetsOf(slips.map(() => 1));
  sheets.replaceChildren(...layout.map((indexes) => el("div", {class: "sheet"}, ...indexes.map((i) => slips[i]))));
}

// The proctor card: one A4 sheet with the room, the console's address, the proctor token dashed in large type and the
// direct link; `when` is the moment printed, as the person reads it. Empty when this page does not hold the token.
export function buildProctorCard(page, when) {
  const {t} = page;
  const sheet = $("proctor-sheet");
  const roomId = page.roomId;
  const token = roomId && !page.roomMissing ? page.proctorTokens.get(roomId) : null;
  if (!token) {
    sheet.replaceChildren();
    return;
  }
  const room = page.rooms.find((r) => r.room_id === roomId);
  const field = (label, node) =>
    el("div", {class: "card-field"}, el("div", {class: "slip-label", text: t(label)}), node);
  const card = el(
    "div",
    {class: "proctor-card"},
    el(
      "div",
      {class: "card-head"},
      el("span", {class: "card-title", text: t("card_title")}),
      el("span", {class: "card-room-id", text: roomId}),
    ),
    el("div", {class: "card-secret", text: t("card_secret")}),
    field("card_room", el("div", {class: "card-room", text: room ? room.name : roomId})),
    field("card_console", el("div", {class: "card-address", text: `${page.address.base}/proctor`})),
    field("card_token", el("div", {class: "card-token", text: showProctorToken(token)})),
    field("card_link", el("div", {class: "card-link", text: proctorLink(page.address.base, token)})),
    el("p", {class: "card-help", text: t("card_help")}),
    el("p", {class: "card-issued", text: t("card_issued", {when})}),
  );
  sheet.replaceChildren(el("div", {class: "sheet card-sheet"}, card));
}
