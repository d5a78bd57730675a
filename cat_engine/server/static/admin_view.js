// The admin page's drawing: notices, the battery choice, the rooms list, one room (its proctor token, its candidates
// with the tokens this page holds) and the A4 sheets of slips to print, from the page's state (admin.js):
//   page = {t, batteries, rooms, roomsLoaded, proctorTokens, tokens, roomId, candidates, roomMissing, busy, origin}
// Only rows whose token this page holds get a slip; the others show that the token is not here, and a button to
// replace it.

import {sheetsOf, showToken, tokenPlan} from "./admin_roster.js";

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

export const candidateLink = (origin, token) => `${origin}/#t=${encodeURIComponent(token)}`;
export const proctorLink = (origin, token) => `${origin}/proctor#t=${encodeURIComponent(token)}`;

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
  const parts = keys.map((k) => el("span", {class: "line", text: page.t(k, m.vars)}));
  if (m.detail) {
    parts.push(el("span", {class: "line detail"}, el("span", {text: `${page.t("server_says")} `}), el("q", {text: m.detail})));
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

export function renderRooms(page) {
  $("rooms-empty").hidden = !page.roomsLoaded || page.rooms.length > 0;
  $("rooms").replaceChildren(
    ...page.rooms.map((room) => {
      const current = room.room_id === page.roomId;
      const link = el(
        "a",
        {href: `#room=${encodeURIComponent(room.room_id)}`, class: "room-link"},
        el("span", {class: "room-name", text: room.name}),
        el("span", {class: "room-meta"}, el("code", {text: room.room_id}), ` · ${batteryName(page, room.battery)}`),
        el("span", {class: "room-go", text: `${page.t("tokens_link")} ›`}),
      );
      if (current) link.setAttribute("aria-current", "true");
      return el("li", {class: current ? "room current" : "room", "data-room": room.room_id}, link);
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
  for (const id of ["csv-btn", "paste-btn", "results-btn", "results-xlsx-btn"]) $(id).disabled = page.roomMissing;

  const proctorToken = page.proctorTokens.get(roomId);
  $("proctor-box").hidden = !proctorToken;
  if (proctorToken) {
    $("proctor-token").textContent = proctorToken;
    $("proctor-link").href = proctorLink(page.origin, proctorToken);
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
  $("print-btn").disabled = held.length === 0 && !proctorToken;
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
          el("td", {class: "name", text: c.name}),
          el("td", {class: "employee", text: c.employee_id}),
          el("td", {class: "session", text: c.session_id}),
          el(
            "td",
            {class: "token"},
            c.token ? el("code", {text: showToken(c.token)}) : el("span", {class: "not-held", text: t("token_not_held")}),
          ),
          el(
            "td",
            {class: "act"},
            el("button", {
              type: "button",
              class: "small reissue-btn",
              "data-session": c.session_id,
              "aria-label": t("reissue_one_label", {name: c.name}),
              text: t("reissue_one_btn"),
              ...(page.busy || page.roomMissing ? {disabled: ""} : {}),
            }),
          ),
        ),
      ),
    );
  buildSheets(page);
}

// --- slips to print ---------------------------------------------------------------------------------------------

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
    el("div", {class: "slip-address", text: `${page.origin}/`}),
    el("div", {class: "slip-label", text: t("slip_token")}),
    el("div", {class: "slip-token", text: showToken(cand.token)}),
    el("div", {class: "slip-help", text: t("slip_help")}),
  );
}

function proctorSlip(page, room, token) {
  const {t} = page;
  return el(
    "div",
    {class: "slip proctor"},
    el(
      "div",
      {class: "slip-top"},
      el("span", {class: "slip-room", text: room ? room.name : page.roomId}),
      el("span", {class: "slip-session", text: page.roomId}),
    ),
    el("div", {class: "slip-name", text: t("slip_proctor")}),
    el("div", {class: "slip-label", text: t("slip_proctor_addr")}),
    el("div", {class: "slip-address", text: `${page.origin}/proctor`}),
    el("div", {class: "slip-label", text: t("slip_token")}),
    el("div", {class: "slip-token proctor-token-print", text: token}),
    el("div", {class: "slip-label", text: t("slip_proctor_link")}),
    el("div", {class: "slip-address small", text: proctorLink(page.origin, token)}),
  );
}

// Sheets of A4, each with its own margins (the @page margin is 0, so no browser header or footer is printed); the
// proctor's slip (two cells) first when this page holds the room's proctor token, then a slip per candidate whose
// token this page holds.
export function buildSheets(page) {
  const sheets = $("sheets");
  const roomId = page.roomId;
  if (!roomId || page.roomMissing) {
    sheets.replaceChildren();
    return;
  }
  const room = page.rooms.find((r) => r.room_id === roomId);
  const slips = [];
  const proctorToken = page.proctorTokens.get(roomId);
  if (proctorToken) slips.push({node: proctorSlip(page, room, proctorToken), cells: 2});
  for (const c of roomPlan(page).held) slips.push({node: slip(page, room, c), cells: 1});
  const layout = sheetsOf(slips.map((s) => s.cells));
  sheets.replaceChildren(...layout.map((indexes) => el("div", {class: "sheet"}, ...indexes.map((i) => slips[i].node))));
}
