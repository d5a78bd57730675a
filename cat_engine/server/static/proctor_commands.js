// What the proctor does from the console: commands, with their confirmation dialog (who is affected, the reason or
// the minutes) and the server's acknowledgement reported per candidate (a room-wide command reports who was skipped
// and why); a move to another computer approved (asks first, saying the current computer loses the test) or denied
// (at once); incident notes and messages written in the same dialog (a text box with its count of characters; what
// was typed is kept until the server took it); opening and closing the room (closing asks first); the results
// download; and the notices that report them. Who a command can reach is the sessions' `allowed`
// (proctor_model.js), never a guess of ours: a room-wide command's confirmation says how many it reaches and lists
// exactly those. A note or a message reaches any session; a message to the room reaches every one (shown by those
// connected), and its acknowledgement says how many saw it.
//
//   const commands = createCommands(ui, {send, changed});  // send(frame) -> true when it went out on a live
//                                                          // connection; changed() after the room's state moved
//   commands.ask("pause", sid | null, openerButton);       // also "open_room" (sent at once), "close_room",
//                                                          // "approve_seat", "deny_seat" (sent at once), "note",
//                                                          // "message" (sid null: the room)
//   commands.roomPending();                                // an open_room / close_room awaits its ack
//   commands.onAck(frame); commands.failPending(); commands.notice("ok" | "bad", text);
//   commands.rateLimited(frame, waitMs, detailAsked); // a command or detail refused as too frequent: say so, and
//   commands.heldFor();                               // send none until waitMs passed (heldFor(): ms left)
//   commands.download(changed);                    // the room's results as CSV; changed() after the button's state
//   commands.note(sid, text);                      // a note sent at once, without the dialog (a decision on a flag,
//                                                  // proctor_detail.js): null when it went out, else why not

import {category, closePlan, roomPlan, statusTextKey, MESSAGE_MAX, NOTE_MAX, ROOM_COMMANDS} from "./proctor_model.js";
import {charCount, cleanText, seatLabel} from "./proctor_format.js";

const $ = (id) => document.getElementById(id);
const CODES = {bad_command: "code_bad_command", not_found: "code_not_found", forbidden: "code_forbidden"};
// What bad_command means for a command whose guard is not the session's phase.
const KIND_CODES = {note: {bad_command: "code_note_full"}, approve_seat: {bad_command: "code_seat_gone"}, deny_seat: {bad_command: "code_seat_gone"}};
const TEXT_MAX = {note: NOTE_MAX, message: MESSAGE_MAX}; // commands written in the text box, and their limits
const draftKey = (kind, sid) => `${kind}:${sid ?? "room"}`;

export function createCommands(ui, {send, changed = () => {}}) {
  const pending = new Map(); // command id -> {kind, sid (null: the room), targets, minutes}
  let nextId = 1;
  let confirming = null; // {kind, sid, opener, device (approve_seat: the request shown)}
  const drafts = new Map(); // draftKey -> text typed for a note or message the server has not taken yet
  let heldUntil = 0; // Date.now() before which no command is sent (rate_limited)

  const t = (...args) => ui.t(...args);

  function targetsFor(kind, sid) {
    if (sid) return [ui.model.row(sid)].filter(Boolean);
    if (kind === "message") return ui.model.list(); // the server sends a room's message to every session of it
    return roomPlan(ui.model.list(), kind).targets;
  }

  const statusOf = (row) => t(statusTextKey(category(row), ui.model.roomOpen()));
  const isRoomCommand = (kind) => ROOM_COMMANDS.includes(kind);

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

  // `keepDrafts`: a note written elsewhere than the dialog leaves the dialog's draft alone.
  function sendCommand(kind, sid, fields, {keepDrafts = false} = {}) {
    const id = nextId++;
    const frame = {type: kind, id, ...fields};
    if (sid) frame.session_id = sid;
    else if (!isRoomCommand(kind)) frame.room = true;
    const targets = isRoomCommand(kind) ? [] : targetsFor(kind, sid).map((row) => row.session_id);
    const held = heldFor();
    if (held > 0) {
      notice("bad", t("rate_wait", {s: Math.ceil(held / 1000)}));
      return;
    }
    if (!ui.live || !send(frame)) {
      notice("bad", t("err_offline"));
      return;
    }
    const draft = TEXT_MAX[kind] && !keepDrafts ? draftKey(kind, sid) : null;
    pending.set(id, {kind, sid, targets, minutes: fields.seconds ? fields.seconds / 60 : null, draft});
    if (isRoomCommand(kind)) changed();
  }

  const roomPending = () => [...pending.values()].some((sent) => isRoomCommand(sent.kind));

  const nameOf = (sid) => ui.model.row(sid)?.name ?? sid;

  function listNames(ids, max = 5) {
    const names = ids.slice(0, max).map(nameOf);
    if (ids.length > max) names.push(t("cf_more", {n: ids.length - max}));
    return names.join(", ");
  }

  function why(result, kind) {
    const key = KIND_CODES[kind]?.[result.code] ?? CODES[result.code];
    return key ? `${t(key)} (${result.code})` : `${result.code}: ${result.message ?? ""}`;
  }

  const connected = (sid) => Boolean(ui.model.row(sid)?.connected);

  function onAck(frame) {
    const sent = pending.get(frame.id);
    pending.delete(frame.id);
    const kind = frame.command ?? sent?.kind;
    const results = frame.results ?? [];
    const cmd = t(`cmd_${kind}`);
    if (isRoomCommand(kind)) {
      // the room's state after the command (the room event that follows tells the other consoles)
      const open = frame.room?.open;
      ui.model.setRoomOpen(open);
      if (typeof open === "boolean") notice("ok", t(open ? "ack_room_opened" : "ack_room_closed"));
      else notice("bad", t("ack_room_unknown", {cmd}));
      changed();
      return;
    }
    // what was typed is no longer needed once every session took it
    if (sent?.draft && results.length && results.every((r) => r.ok)) drafts.delete(sent.draft);
    if (sent && !sent.sid && kind === "message") {
      // a room's message: shown by those connected, recorded for all
      const ok = results.filter((r) => r.ok);
      const on = ok.filter((r) => connected(r.session_id)).length;
      const failed = results.filter((r) => !r.ok);
      const parts = [t("ack_message_room", {on, off: ok.length - on})];
      if (failed.length) parts.push(t("ack_room_failed", {list: failed.map((r) => `${nameOf(r.session_id)} — ${why(r, kind)}`).join("; ")}));
      notice(failed.length ? "bad" : "ok", parts.join(" "));
      return;
    }
    if (sent && !sent.sid) {
      const ok = results.filter((r) => r.ok).length;
      const expected = new Set(sent.targets);
      const skipped = results.filter((r) => !r.ok && r.code === "bad_command" && !expected.has(r.session_id));
      const failed = results.filter((r) => !r.ok && !skipped.includes(r));
      const parts = [t("ack_room", {cmd, ok})];
      if (skipped.length) parts.push(t("ack_room_skipped", {n: skipped.length, list: listNames(skipped.map((r) => r.session_id))}));
      if (failed.length) parts.push(t("ack_room_failed", {list: failed.map((r) => `${nameOf(r.session_id)} — ${why(r, kind)}`).join("; ")}));
      notice(failed.length ? "bad" : "ok", parts.join(" "));
      return;
    }
    for (const r of results) {
      const name = nameOf(r.session_id);
      if (r.ok && kind === "message" && !connected(r.session_id)) notice("bad", t("ack_message_offline", {name}));
      else if (r.ok) notice("ok", t("ack_one_ok", {name, done: t(`done_${kind}`, {min: sent?.minutes ?? ""})}));
      else notice("bad", t("ack_one_fail", {name, cmd, why: why(r, kind)}));
    }
  }

  const heldFor = () => Math.max(0, heldUntil - Date.now());

  // An error frame instead of an ack (a refused command): the command it names, or else an open_room /
  // close_room awaiting its ack, is no longer pending (so the room's button is usable again). The page shows the
  // error itself.
  function onError(frame) {
    let id = frame.id ?? null;
    if (id === null || !pending.has(id)) id = [...pending].find(([, sent]) => isRoomCommand(sent.kind))?.[0] ?? null;
    if (id === null || !pending.has(id)) return;
    const sent = pending.get(id);
    pending.delete(id);
    if (isRoomCommand(sent.kind)) changed();
  }

  // `rate_limited`: nothing was done, and no command goes out for `waitMs`. The command it answers is no longer
  // pending: the one its id names, or, when the error names none and no `detail` is outstanding (`detailAsked`), the
  // oldest pending (the server answers a connection's frames in order). Returns whether it answered a command.
  function rateLimited(frame, waitMs, detailAsked) {
    heldUntil = Math.max(heldUntil, Date.now() + waitMs);
    let id = frame.id ?? null;
    if (id === null && !detailAsked && pending.size) id = pending.keys().next().value;
    const sent = id === null ? undefined : pending.get(id);
    if (sent) pending.delete(id);
    if (sent && isRoomCommand(sent.kind)) changed();
    const s = Math.ceil(waitMs / 1000);
    if (sent) notice("bad", t("rate_cmd", {cmd: t(`cmd_${sent.kind}`), who: sent.sid ? nameOf(sent.sid) : t("all_room"), s}));
    else notice("bad", t("rate_limited", {s}));
    return sent !== undefined;
  }

  // The connection dropped with commands unanswered: say so, since their outcome is unknown.
  function failPending() {
    const had = roomPending();
    for (const sent of pending.values()) {
      const who = sent.sid ? nameOf(sent.sid) : t("all_room");
      notice("bad", t("ack_lost", {cmd: t(`cmd_${sent.kind}`), who}));
    }
    pending.clear();
    if (had) changed();
  }

  // The confirmation's text for a room-wide command: how many it reaches, and in which statuses.
  function roomText(kind) {
    const plan = roomPlan(ui.model.list(), kind);
    const detail = plan.byStatus.map(([cat, n]) => t("cf_status_n", {n, status: t(statusTextKey(cat, ui.model.roomOpen()))})).join(", ");
    return {plan, text: t(`cf_${kind}_room`, {n: plan.count, detail})};
  }

  // The confirmation's text for a message: who will see it.
  function messageText(sid, targets) {
    if (sid) return t("cf_message_one") + (connected(sid) ? "" : ` ${t("cf_message_offline")}`);
    const on = targets.filter((row) => row.connected).length;
    return t("cf_message_room", {on, off: targets.length - on});
  }

  // The confirmation's text for approving a move: where the test goes, and that the current computer loses it.
  function seatText(row) {
    return t("cf_approve_seat_one", {name: row.name, from: seatLabel(row.device ?? null, t), to: seatLabel(row.seat_request, t)});
  }

  function ask(kind, sid, opener) {
    if (kind === "open_room" || kind === "deny_seat") {
      // opening lets people begin; denying a move leaves the sitting where it is: neither needs asking. A denial
      // names the request it refuses: a newer one (another computer) is not refused unseen
      const row = kind === "deny_seat" ? ui.model.row(sid) : null;
      sendCommand(kind, sid, row && typeof row.seat_request === "string" ? {device: row.seat_request} : {});
      return;
    }
    const targets = kind === "close_room" ? [] : targetsFor(kind, sid);
    if (kind !== "close_room" && !targets.length) return;
    confirming = {kind, sid, opener, device: kind === "approve_seat" ? targets[0].seat_request : undefined};
    const dialog = $("confirm");
    dialog.dataset.kind = kind;
    $("confirm-h").textContent = t(kind === "message" && !sid ? "cf_message_room_h" : `cf_${kind}_h`);
    if (kind === "close_room") {
      $("confirm-text").textContent = t("cf_close_room", closePlan(ui.model.list()));
    } else if (kind === "message") {
      $("confirm-text").textContent = messageText(sid, targets);
    } else if (kind === "approve_seat") {
      $("confirm-text").textContent = seatText(targets[0]);
    } else {
      $("confirm-text").textContent = sid ? t(`cf_${kind}_one`) : roomText(kind).text;
    }
    // the list names exactly the rows the command reaches, every one of them (the list scrolls); a message to the
    // room goes to everyone, as its text says
    const who = $("confirm-who");
    who.replaceChildren();
    who.hidden = targets.length === 0 || (kind === "message" && !sid);
    for (const row of targets) {
      const li = document.createElement("li");
      li.dataset.session = row.session_id;
      const name = document.createElement("strong");
      name.textContent = row.name;
      const id = document.createElement("span");
      id.className = "muted";
      id.textContent = ` · ${row.employee_id} · ${statusOf(row)}`;
      li.append(name, id);
      who.append(li);
    }
    const reasonRow = $("confirm-reason-row");
    reasonRow.hidden = !(kind === "pause" || kind === "terminate");
    $("confirm-reason-label").textContent = t(kind === "terminate" ? "reason_required" : "reason_optional");
    $("confirm-reason").value = "";
    $("confirm-reason").required = kind === "terminate";
    $("confirm-minutes-row").hidden = kind !== "extend";
    $("confirm-minutes").value = "5";
    const textRow = $("confirm-text-row");
    const area = $("confirm-textarea");
    textRow.hidden = !TEXT_MAX[kind];
    area.removeAttribute("aria-invalid");
    if (TEXT_MAX[kind]) {
      $("confirm-textarea-label").textContent = t(`${kind}_label`);
      area.maxLength = TEXT_MAX[kind];
      area.rows = kind === "note" ? 6 : 3;
      area.value = drafts.get(draftKey(kind, sid)) ?? "";
      countText();
    }
    $("confirm-error").hidden = true;
    const ok = $("confirm-ok");
    ok.textContent = t(`ok_${kind}`);
    ok.className = kind === "terminate" ? "danger" : "primary";
    dialog.showModal();
    if (!reasonRow.hidden) $("confirm-reason").focus();
    else if (kind === "extend") $("confirm-minutes").select();
    else if (TEXT_MAX[kind]) area.focus();
    else ok.focus();
  }

  // The text box's count of characters (as the server counts them) against its limit.
  function countText() {
    if (!confirming || !TEXT_MAX[confirming.kind]) return;
    const max = TEXT_MAX[confirming.kind];
    const n = charCount(cleanText($("confirm-textarea").value));
    const line = $("confirm-count");
    line.textContent = `${t("text_count", {n, max})} · ${t("text_keys")}`;
    line.classList.toggle("over", n > max);
  }

  function confirmError(message, field) {
    const box = $("confirm-error");
    box.textContent = message;
    box.hidden = false;
    if (field.matches("input, textarea")) field.setAttribute("aria-invalid", "true");
    field.focus();
  }

  function submit(event) {
    event.preventDefault();
    if (!confirming) return;
    const {kind, sid} = confirming;
    const fields = {};
    const reason = $("confirm-reason");
    const minutes = $("confirm-minutes");
    const area = $("confirm-textarea");
    reason.removeAttribute("aria-invalid");
    minutes.removeAttribute("aria-invalid");
    area.removeAttribute("aria-invalid");
    if (TEXT_MAX[kind]) {
      const text = cleanText(area.value);
      const n = charCount(text);
      if (!n) return confirmError(t("err_text_empty"), area);
      if (n > TEXT_MAX[kind]) return confirmError(t("err_text_long", {n, max: TEXT_MAX[kind]}), area);
      // what was typed stays in the dialog when it cannot go out now, and in a draft until the server took it
      if (heldFor() > 0) return confirmError(t("rate_wait", {s: Math.ceil(heldFor() / 1000)}), area);
      if (!ui.live) return confirmError(t("err_offline"), area);
      drafts.set(draftKey(kind, sid), area.value);
      fields.text = text;
    } else if (kind === "approve_seat") {
      // the move approved is the one the dialog named: a newer request (another computer) is asked about again
      const row = ui.model.row(sid);
      const now = row && typeof row.seat_request === "string" ? row.seat_request : null;
      if (now === null) return confirmError(t("cf_seat_gone"), $("confirm-cancel"));
      if (now !== confirming.device) {
        confirming.device = now;
        $("confirm-text").textContent = seatText(row);
        return confirmError(t("cf_seat_changed", {to: seatLabel(now, t)}), $("confirm-ok"));
      }
      fields.device = now; // the server refuses it (bad_command) if yet another request came in meanwhile
    } else if (kind === "terminate") {
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
    if (confirming && TEXT_MAX[confirming.kind]) {
      // a dialog closed by mistake gives back what was typed next time
      const typed = $("confirm-textarea").value;
      const key = draftKey(confirming.kind, confirming.sid);
      if (typed.trim()) drafts.set(key, typed);
      else drafts.delete(key);
    }
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

  // A note from a form of its own (the decision on a flag): sent at once; what to say instead when it cannot go out.
  function note(sid, text) {
    if (heldFor() > 0) return t("rate_wait", {s: Math.ceil(heldFor() / 1000)});
    if (!ui.live) return t("err_offline");
    sendCommand("note", sid, {text}, {keepDrafts: true});
    return null;
  }

  $("confirm-form").addEventListener("submit", submit);
  $("confirm-textarea").addEventListener("input", () => {
    // typing answers the error about the text
    if ($("confirm-textarea").getAttribute("aria-invalid") === "true") $("confirm-error").hidden = true;
    $("confirm-textarea").removeAttribute("aria-invalid");
    countText();
  });
  $("confirm-textarea").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      $("confirm-form").requestSubmit();
    }
  });
  $("confirm-cancel").addEventListener("click", close);
  $("confirm").addEventListener("cancel", (event) => {
    event.preventDefault();
    close();
  });

  return {ask, close, onAck, onError, failPending, notice, download, rateLimited, heldFor, roomPending, note};
}
