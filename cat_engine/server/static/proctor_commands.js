// What the proctor does from the console: commands, with their confirmation dialog (who is affected, the reason or
// the minutes) and the server's acknowledgement reported per candidate (a room-wide command reports who was skipped
// and why); the results download; and the notices that report both. Who a command can reach is the sessions'
// `allowed` (proctor_model.js), never a guess of ours.
//
//   const commands = createCommands(ui, {send});   // send(frame) -> true when it went out on a live connection
//   commands.ask("pause", sid | null, openerButton);
//   commands.onAck(frame); commands.failPending(); commands.notice("ok" | "bad", text);
//   commands.rateLimited(frame, waitMs, detailAsked); // a command or detail refused as too frequent: say so, and
//   commands.heldFor();                               // send none until waitMs passed (heldFor(): ms left)
//   commands.download(changed);                    // the room's results as CSV; changed() after the button's state

import {category, roomTargets} from "./proctor_model.js";

const $ = (id) => document.getElementById(id);
const CODES = {bad_command: "code_bad_command", not_found: "code_not_found", forbidden: "code_forbidden"};

export function createCommands(ui, {send}) {
  const pending = new Map(); // command id -> {kind, sid (null: the room), targets, minutes}
  let nextId = 1;
  let confirming = null; // {kind, sid, opener}
  let heldUntil = 0; // Date.now() before which no command is sent (rate_limited)

  const t = (...args) => ui.t(...args);

  function targetsFor(kind, sid) {
    if (sid) return [ui.model.row(sid)].filter(Boolean);
    return roomTargets(ui.model.list(), kind);
  }

  function notice(kind, message) {
    const box = $("notices");
    const item = document.createElement("div");
    item.className = `notice ${kind === "ok" ? "ok" : "bad"} toast`;
    item.dataset.kind = kind;
    const text = document.createElement("span");
    text.textContent = message;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.textContent = "×";
    close.title = t("dismiss");
    close.setAttribute("aria-label", t("dismiss"));
    close.addEventListener("click", () => item.remove());
    item.append(text, close);
    box.prepend(item);
    while (box.children.length > 4) box.lastElementChild.remove();
    if (kind === "ok") setTimeout(() => item.remove(), 10000);
  }

  function sendCommand(kind, sid, fields) {
    const id = nextId++;
    const frame = {type: kind, id, ...fields};
    if (sid) frame.session_id = sid;
    else frame.room = true;
    const targets = targetsFor(kind, sid).map((row) => row.session_id);
    const held = heldFor();
    if (held > 0) {
      notice("bad", t("rate_wait", {s: Math.ceil(held / 1000)}));
      return;
    }
    if (!ui.live || !send(frame)) {
      notice("bad", t("err_offline"));
      return;
    }
    pending.set(id, {kind, sid, targets, minutes: fields.seconds ? fields.seconds / 60 : null});
  }

  const nameOf = (sid) => ui.model.row(sid)?.name ?? sid;

  function listNames(ids, max = 5) {
    const names = ids.slice(0, max).map(nameOf);
    if (ids.length > max) names.push(t("cf_more", {n: ids.length - max}));
    return names.join(", ");
  }

  function why(result) {
    return CODES[result.code] ? `${t(CODES[result.code])} (${result.code})` : `${result.code}: ${result.message ?? ""}`;
  }

  function onAck(frame) {
    const sent = pending.get(frame.id);
    pending.delete(frame.id);
    const kind = frame.command ?? sent?.kind;
    const results = frame.results ?? [];
    const cmd = t(`cmd_${kind}`);
    if (sent && !sent.sid) {
      const ok = results.filter((r) => r.ok).length;
      const expected = new Set(sent.targets);
      const skipped = results.filter((r) => !r.ok && r.code === "bad_command" && !expected.has(r.session_id));
      const failed = results.filter((r) => !r.ok && !skipped.includes(r));
      const parts = [t("ack_room", {cmd, ok})];
      if (skipped.length) parts.push(t("ack_room_skipped", {n: skipped.length, list: listNames(skipped.map((r) => r.session_id))}));
      if (failed.length) parts.push(t("ack_room_failed", {list: failed.map((r) => `${nameOf(r.session_id)} — ${why(r)}`).join("; ")}));
      notice(failed.length ? "bad" : "ok", parts.join(" "));
      return;
    }
    for (const r of results) {
      const name = nameOf(r.session_id);
      if (r.ok) notice("ok", t("ack_one_ok", {name, done: t(`done_${kind}`, {min: sent?.minutes ?? ""})}));
      else notice("bad", t("ack_one_fail", {name, cmd, why: why(r)}));
    }
  }

  const heldFor = () => Math.max(0, heldUntil - Date.now());

  // `rate_limited`: nothing was done, and no command goes out for `waitMs`. The command it answers is no longer
  // pending: the one its id names, or, when the error names none and no `detail` is outstanding (`detailAsked`), the
  // oldest pending (the server answers a connection's frames in order). Returns whether it answered a command.
  function rateLimited(frame, waitMs, detailAsked) {
    heldUntil = Math.max(heldUntil, Date.now() + waitMs);
    let id = frame.id ?? null;
    if (id === null && !detailAsked && pending.size) id = pending.keys().next().value;
    const sent = id === null ? undefined : pending.get(id);
    if (sent) pending.delete(id);
    const s = Math.ceil(waitMs / 1000);
    if (sent) notice("bad", t("rate_cmd", {cmd: t(`cmd_${sent.kind}`), who: sent.sid ? nameOf(sent.sid) : t("all_room"), s}));
    else notice("bad", t("rate_limited", {s}));
    return sent !== undefined;
  }

  // The connection dropped with commands unanswered: say so, since their outcome is unknown.
  function failPending() {
    for (const sent of pending.values()) {
      const who = sent.sid ? nameOf(sent.sid) : t("all_room");
      notice("bad", t("ack_lost", {cmd: t(`cmd_${sent.kind}`), who}));
    }
    pending.clear();
  }

  function ask(kind, sid, opener) {
    const targets = targetsFor(kind, sid);
    if (!targets.length) return;
    confirming = {kind, sid, opener};
    const dialog = $("confirm");
    dialog.dataset.kind = kind;
    $("confirm-h").textContent = t(`cf_${kind}_h`);
    $("confirm-text").textContent = sid ? t(`cf_${kind}_one`) : t(`cf_${kind}_room`, {n: targets.length});
    const who = $("confirm-who");
    who.replaceChildren();
    const shown = targets.slice(0, 8);
    for (const row of shown) {
      const li = document.createElement("li");
      const name = document.createElement("strong");
      name.textContent = row.name;
      const id = document.createElement("span");
      id.className = "muted";
      id.textContent = ` · ${row.employee_id} · ${t(`st_${category(row)}`)}`;
      li.append(name, id);
      who.append(li);
    }
    if (targets.length > shown.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = t("cf_more", {n: targets.length - shown.length});
      who.append(li);
    }
    const reasonRow = $("confirm-reason-row");
    reasonRow.hidden = !(kind === "pause" || kind === "terminate");
    $("confirm-reason-label").textContent = t(kind === "terminate" ? "reason_required" : "reason_optional");
    $("confirm-reason").value = "";
    $("confirm-reason").required = kind === "terminate";
    $("confirm-minutes-row").hidden = kind !== "extend";
    $("confirm-minutes").value = "5";
    $("confirm-error").hidden = true;
    const ok = $("confirm-ok");
    ok.textContent = t(`ok_${kind}`);
    ok.className = kind === "terminate" ? "danger" : "primary";
    dialog.showModal();
    if (!reasonRow.hidden) $("confirm-reason").focus();
    else if (kind === "extend") $("confirm-minutes").select();
    else ok.focus();
  }

  function confirmError(message, field) {
    const box = $("confirm-error");
    box.textContent = message;
    box.hidden = false;
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }

  function submit(event) {
    event.preventDefault();
    if (!confirming) return;
    const {kind, sid} = confirming;
    const fields = {};
    const reason = $("confirm-reason");
    const minutes = $("confirm-minutes");
    reason.removeAttribute("aria-invalid");
    minutes.removeAttribute("aria-invalid");
    if (kind === "terminate") {
      if (!reason.value.trim()) return confirmError(t("err_reason"), reason);
      fields.reason = reason.value.trim();
    } else if (kind === "pause" && reason.value.trim()) {
      fields.reason = reason.value.trim();
    } else if (kind === "extend") {
      const m = Number(minutes.value);
      if (!Number.isInteger(m) || m < 1 || m > 1440) return confirmError(t("err_minutes"), minutes);
      fields.seconds = m * 60;
    }
    close();
    sendCommand(kind, sid, fields);
  }

  function close() {
    const opener = confirming?.opener;
    confirming = null;
    if ($("confirm").open) $("confirm").close();
    if (opener?.isConnected && !opener.disabled) opener.focus();
  }

  // The room's results as CSV (the admin API's file, with the proctor token), saved under the server's file name.
  async function download(changed) {
    if (!ui.model.room || ui.downloading) return;
    ui.downloading = true;
    const button = $("download");
    button.textContent = t("download_busy");
    changed();
    try {
      const room = ui.model.room.room_id;
      const response = await fetch(`/api/rooms/${encodeURIComponent(room)}/results?format=csv`, {
        headers: {Authorization: `Bearer ${ui.token}`},
        cache: "no-store",
      });
      if (response.status === 401 || response.status === 403) {
        notice("bad", t("dl_auth"));
        return;
      }
      if (!response.ok) {
        notice("bad", t("dl_fail", {status: response.status}));
        return;
      }
      const blob = await response.blob();
      const disposition = response.headers.get("content-disposition") ?? "";
      const file = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? `results-${room}.csv`;
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = file;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      notice("ok", t("dl_ok", {file}));
    } catch {
      notice("bad", t("dl_net"));
    } finally {
      ui.downloading = false;
      button.textContent = t("download");
      changed();
    }
  }

  $("confirm-form").addEventListener("submit", submit);
  $("confirm-cancel").addEventListener("click", close);
  $("confirm").addEventListener("cancel", (event) => {
    event.preventDefault();
    close();
  });

  return {ask, close, onAck, failPending, notice, download, rateLimited, heldFor};
}
