// The proctor console's model (docs/protocol.md, "Proctor: /ws/proctor"): the room as the server shows it, from the
// snapshot and the event stream, and what the console derives for display. Pure: no DOM, no window, no timers, no
// clock of its own; wherever time matters it comes in as `nowMs`, server time in ms since the Unix epoch.
//
// Rows. A row is a session view exactly as the server computed it (the snapshot's `sessions`, or the `view` that the
// last event of each change carries), plus `at_ms`, the moment of its `time_left_s`. Nothing of a row is re-derived
// from events: an event without a `view` (one stored before views existed) leaves the row as it is. Which commands a
// session allows is the view's `allowed`; the console never re-encodes those guards.
//
// The stream. The snapshot is authoritative and sets the watermark (its last_event_id). Events at or below the last
// id applied are duplicates and change nothing. Events at or below the watermark (a resumed stream's catch-up) are
// history: their views are older than the snapshot's and are not applied, but they still give the detail view its
// chart points and subtest results. A live event of a session the snapshot does not hold (a candidate registered
// after it) asks for a fresh snapshot (`resync`).
//
// The room. The snapshot's `room` (with `open`: whether candidates may begin) is kept as it is; room events
// (`room_opened`, `room_closed`: `session_id` null, `room: {open}`, no view) and the acknowledgement of this
// console's own open_room / close_room update `open`, so every console of the room follows whoever changed it.
//
// Statuses. A row's status (its category, for the counts and filters) comes from its phase and connection:
// `ready` not connected is "not started" (`ready`), connected it is `waiting` (at the welcome when the room is open,
// waiting for it to open when it is closed); `intro` (a subtest's intro, clock not started) and `active` not
// connected are `disconnected`; the others are their phase.
//
// Tracks (per session, for the detail view): each answer's theta and SE keyed by seq, and anchors seq -> position
// from `item_presented`. Seqs are consecutive within a subtest, so one anchor places every answer of its subtest;
// a subtest that ended without one is anchored by its result (its last answer is at position `items`). The server's
// `detail` frame adds points by position and results, and the session's incident notes (live `note` events add to
// them).
//
// Seats. A row's `device` is the computer the sitting is on, `seat_request` the one waiting for the proctor's
// approval to take it over (null: none; "": a computer that sent no id). A waiting request is in the attention list
// (with when the console first saw it) until a view says it was decided (`seat_request` null), here or elsewhere.
//
// Flags (proctor_flags.js). A session's integrity flags are the kinds its view lists (`flags`, in the order raised),
// with what the `flag` events (live or history) and the `detail` said of each: the statistic, when, the evidence. A
// flag waits for a proctor's decision (a note "[Keputusan: KIND] ..." no older than it) and while one waits the
// session needs attention. Decisions are known from the notes this console has seen: live `note` events, and the
// notes of a `detail` (and those kept across a reload of the tab: exportDecisions). Response times come with
// `answered` events and the `detail`'s points, for the chart.

export const COMMANDS = ["pause", "resume", "extend", "terminate"];
export const SEAT_COMMANDS = ["approve_seat", "deny_seat"];
export const ROOM_COMMANDS = ["open_room", "close_room"];
export const NOTE_MAX = 1000; // characters of an incident note (`note`)
export const MESSAGE_MAX = 500; // characters of a message to candidates (`message`)
import {decisionKind, decisionsOf, isOpen, mergeFlag, normalizeFlag} from "./proctor_flags.js";

export const CATEGORIES = ["active", "intro", "waiting", "disconnected", "paused", "ready", "finished", "terminated"];
export const STUCK_MS = 5 * 60 * 1000; // an active, connected candidate without a sign of life this long needs a look
const STATUS_RANK = {disconnected: 0, paused: 1, stuck: 2, intro: 3, active: 4, waiting: 5, ready: 6, finished: 7, terminated: 8};
const ROOM_EVENTS = {room_opened: true, room_closed: false};

// --- one row -----------------------------------------------------------------------------------------------------

// Stream ids "<ms>-<n>" in order (negative, zero or positive like a comparator).
export function compareIds(a, b) {
  const [am, an] = String(a).split("-").map(Number);
  const [bm, bn] = String(b).split("-").map(Number);
  return am !== bm ? am - bm : (an || 0) - (bn || 0);
}

export const isOver = (row) => row.phase === "finished" || row.phase === "terminated";

// The subtest clock runs only while the candidate is active and connected.
export const clockRuns = (row) => row.phase === "active" && Boolean(row.connected);

// Time left in seconds at server time nowMs: the view's time_left_s, less what ran since its moment (null: no limit).
export function timeLeftAt(row, nowMs) {
  const left = row.time_left_s;
  if (left === null || left === undefined) return null;
  if (!clockRuns(row) || typeof row.at_ms !== "number") return left;
  return Math.max(0, left - (nowMs - row.at_ms) / 1000);
}

// A candidate in the middle of the battery: a subtest under way or its intro on screen.
export const inSitting = (row) => row.phase === "active" || row.phase === "intro";

// The status (category) shown: the phase, with a candidate in the middle of the battery whose connection is down
// shown as disconnected, and one not started yet as waiting while connected.
export function category(row) {
  if (row.phase === "ready") return row.connected ? "waiting" : "ready";
  if (inSitting(row)) return row.connected ? row.phase : "disconnected";
  return row.phase;
}

// The text key of a status: a waiting candidate is at the welcome when the room is open (`roomOpen` true), waiting
// for it to open otherwise.
export function statusTextKey(cat, roomOpen) {
  if (cat === "waiting") return roomOpen === true ? "st_welcome" : "st_waiting";
  return `st_${cat}`;
}

// Connected candidates whose battery has not started: at the welcome, or waiting for the room to open.
export const isWaiting = (row) => row.phase === "ready" && Boolean(row.connected);
export const waitingCount = (rows) => rows.filter(isWaiting).length;

// Whole minutes an active, connected candidate has been silent, once that is STUCK_MS or more (0 otherwise).
export function idleMinutes(row, nowMs) {
  if (!clockRuns(row) || row.last_seen_ms === null || row.last_seen_ms === undefined) return 0;
  const idle = nowMs - row.last_seen_ms;
  return idle >= STUCK_MS ? Math.floor(idle / 60000) : 0;
}

export function statusKey(row, nowMs) {
  const cat = category(row);
  return cat === "active" && idleMinutes(row, nowMs) ? "stuck" : cat;
}

// A move to another computer waits for the proctor's decision ("" is a request from a computer without an id).
export const hasSeatRequest = (row) => typeof row.seat_request === "string";

// How many incident notes the proctors wrote on the session (0 from a server that does not say).
export const notesCount = (row) => (Number.isInteger(row.notes) && row.notes > 0 ? row.notes : 0);

// `flagged`: the sessions with a flag waiting for a decision (RoomModel.flagged()), if any.
export const needsAttention = (row, nowMs, flagged = null) =>
  ["disconnected", "paused", "stuck"].includes(statusKey(row, nowMs)) || hasSeatRequest(row) || Boolean(flagged?.has(row.session_id));

// Whether the server says the session's state allows the command now.
export const allows = (row, kind) => Array.isArray(row.allowed) && row.allowed.includes(kind);

// The one button that pauses or resumes: resume when that is what the session allows.
export const pauseOrResume = (row) => (allows(row, "resume") ? "resume" : "pause");

// Rows a room-wide command would reach, and which room-wide commands reach anyone at all.
export const roomTargets = (rows, kind) => rows.filter((row) => allows(row, kind));
export function roomAvailability(rows) {
  return Object.fromEntries(COMMANDS.map((kind) => [kind, rows.some((row) => allows(row, kind))]));
}

// What a room-wide command would do, for its confirmation: exactly the rows whose `allowed` holds it (the count
// said and the names listed are the same rows), and how many of them are in each status ([[category, n]], in the
// order of CATEGORIES, statuses with none left out).
export function roomPlan(rows, kind) {
  const targets = roomTargets(rows, kind);
  const per = new Map();
  for (const row of targets) per.set(category(row), (per.get(category(row)) ?? 0) + 1);
  return {targets, count: targets.length, byStatus: CATEGORIES.filter((c) => per.has(c)).map((c) => [c, per.get(c)])};
}

// What closing the room changes: candidates not started wait (`held`: connected now, `absent`: not here yet);
// those in the middle of the battery (`going`) carry on.
export function closePlan(rows) {
  const plan = {held: 0, absent: 0, going: 0};
  for (const row of rows) {
    if (row.phase === "ready") plan[row.connected ? "held" : "absent"] += 1;
    else if (!isOver(row)) plan.going += 1;
  }
  return plan;
}

// The row's number in the room: the session id's numeric tail ("R7K2QX-0007" -> "7"), else its place in the roster.
export function rowNumber(row, index) {
  const tail = String(row.session_id).split("-").pop();
  return /^\d+$/.test(tail) ? String(Number(tail)) : String(index + 1);
}

// --- the room: counts, filters, sort -----------------------------------------------------------------------------

// Counts per status for the filter buttons: all, attention, and each category (`flagged` as for needsAttention).
export function countsOf(rows, nowMs, flagged = null) {
  const counts = {all: 0, attention: 0};
  for (const c of CATEGORIES) counts[c] = 0;
  for (const row of rows) {
    counts.all += 1;
    counts[category(row)] += 1;
    if (needsAttention(row, nowMs, flagged)) counts.attention += 1;
  }
  return counts;
}

// Sessions per phase, as the admin API's `counts` (phases with none left out).
export function phaseCounts(rows) {
  const counts = {};
  for (const row of rows) counts[row.phase] = (counts[row.phase] ?? 0) + 1;
  return counts;
}

export function matchesFilter(row, filter, nowMs, flagged = null) {
  if (filter === "all") return true;
  if (filter === "attention") return needsAttention(row, nowMs, flagged);
  return category(row) === filter;
}

function sortValue(row, key, nowMs, index) {
  switch (key) {
    case "name":
      return row.name ?? "";
    case "status":
      return STATUS_RANK[statusKey(row, nowMs)];
    case "progress":
      return isOver(row) ? 1e9 : row.subtest_index * 10000 + row.answered;
    case "answered":
      return row.answered_total;
    case "se":
      return row.se === null || row.se === undefined ? Infinity : row.se / (row.se_target || 1);
    case "time":
      return timeLeftAt(row, nowMs) ?? Infinity;
    case "seen":
      return row.last_seen_ms ?? Infinity;
    default:
      return index;
  }
}

// The rows shown: filtered, then sorted by `sort` = {key, dir} (dir 1 or -1); ties keep the roster order and unknown
// values go last whichever the direction. `compareText` orders names (the page passes its locale's comparison);
// `flagged` as for needsAttention.
export function visibleRows(rows, {filter = "all", sort = {key: "order", dir: 1}, nowMs, compareText, flagged = null} = {}) {
  const cmp = compareText ?? ((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return rows
    .map((row, i) => ({row, i, v: sortValue(row, sort.key, nowMs, i)}))
    .filter(({row}) => matchesFilter(row, filter, nowMs, flagged))
    .sort((a, b) => {
      let c;
      if (typeof a.v === "string") c = cmp(a.v, b.v);
      else if (a.v === b.v) c = 0;
      else if (a.v === Infinity) return 1;
      else if (b.v === Infinity) return -1;
      else c = a.v - b.v;
      return c * sort.dir || a.i - b.i;
    })
    .map((x) => x.row);
}

// A subtest result as the detail view shows it (from subtest_done, finished's profile, detail, or sessionStorage).
export function normalizeResult(r) {
  return {
    items: r.items_administered ?? r.items ?? null,
    theta: r.theta ?? null,
    se: r.se ?? null,
    level: r.level ?? null,
    level_probability: typeof r.level_probability === "number" ? r.level_probability : null,
    scaled_score: r.scaled_score ?? null,
    stop_reason: r.stop_reason ?? null,
  };
}

// The probability that a level is the true one (0-1, `level_probability`) in whole percent for display: "87"; ">99"
// and "<1" at the ends, so a level never reads as certain; null when there is none (no level, or a result kept from
// before the server sent it).
export function levelPercent(p) {
  if (typeof p !== "number" || !Number.isFinite(p)) return null;
  const percent = Math.round(Math.min(Math.max(p, 0), 1) * 100);
  if (percent >= 100) return ">99";
  if (percent <= 0) return "<1";
  return String(percent);
}

// --- the model ---------------------------------------------------------------------------------------------------

const newTrack = () => ({anchors: new Map(), answers: new Map(), placed: new Map(), results: new Map(), notes: [], flags: new Map()});
const sameNote = (a, b) => a.at_ms === b.at_ms && a.text === b.text;
const rowOf = (view, atMs) => ({...view, at_ms: atMs});

export class RoomModel {
  constructor() {
    this.reset();
  }

  // Forget the room (sign-out); `lastEventId` may be set afterwards to resume a stream.
  reset() {
    this.room = null;
    this.rows = new Map(); // session_id -> row
    this.order = []; // session ids in the snapshot's order
    this.lastEventId = null; // the last event applied (or skipped as history of a session gone)
    this.watermark = null; // the snapshot's last_event_id: events up to it are history
    this.atMs = null; // the snapshot's server time
    this.alerts = new Map(); // session_id -> {since, dismissed}
    this.seats = new Map(); // session_id -> {since, device, requested}: moves waiting for approval
    this.tracks = new Map(); // session_id -> {anchors, answers, placed, results, notes, flags}
    this.stats = {snapshots: 0, events: 0, history: 0, duplicates: 0, views: 0};
  }

  // The rows in the roster's order.
  list() {
    return this.order.map((id) => this.rows.get(id)).filter(Boolean);
  }

  row(sid) {
    return this.rows.get(sid) ?? null;
  }

  subtestInfo(index) {
    return this.room?.subtests?.[index] ?? null;
  }

  // Whether candidates may begin: true or false, null while unknown (no snapshot yet, or a server without `open`).
  roomOpen() {
    const open = this.room?.open;
    return typeof open === "boolean" ? open : null;
  }

  // The room's state as an acknowledgement or a room event tells it; true when that changed what the console knew.
  setRoomOpen(open) {
    if (!this.room || typeof open !== "boolean" || this.room.open === open) return false;
    this.room = {...this.room, open};
    return true;
  }

  // Any frame of the stream; what changed: {resync, changed (session ids), raised (new alerts), seatsRaised (new
  // moves waiting), flagsRaised (sessions with a live flag new to the console), resultsChanged,
  // liveAt (the newest at_ms of the live events, for the page's clock estimate), snapshot, room (the room's open
  // state changed by a live room event)}.
  applyFrame(frame, nowMs) {
    const change = this.#change();
    if (frame.type === "snapshot") this.applySnapshot(frame, nowMs, change);
    else if (frame.type === "event") this.applyEvent(frame, nowMs, change);
    else if (frame.type === "events") for (const item of frame.events ?? []) this.applyEvent(item, nowMs, change);
    return change;
  }

  applySnapshot(frame, nowMs, change = this.#change()) {
    this.stats.snapshots += 1;
    change.snapshot = true;
    this.room = frame.room;
    this.watermark = frame.last_event_id;
    this.atMs = typeof frame.at_ms === "number" ? frame.at_ms : nowMs;
    if (this.lastEventId === null) this.lastEventId = frame.last_event_id;
    this.rows = new Map();
    this.order = [];
    for (const view of frame.sessions ?? []) {
      this.rows.set(view.session_id, rowOf(view, this.atMs));
      this.order.push(view.session_id);
      change.changed.add(view.session_id);
    }
    for (const sid of [...this.tracks.keys()]) if (!this.rows.has(sid)) this.tracks.delete(sid);
    for (const sid of [...this.alerts.keys()]) if (!this.rows.has(sid)) this.alerts.delete(sid);
    for (const sid of [...this.seats.keys()]) if (!this.rows.has(sid)) this.seats.delete(sid);
    for (const row of this.rows.values()) {
      this.#syncAlert(row, nowMs, change);
      this.#syncSeat(row, this.atMs, change);
    }
    return change;
  }

  applyEvent(item, nowMs, change = this.#change()) {
    this.stats.events += 1;
    if (this.lastEventId !== null && compareIds(item.id, this.lastEventId) <= 0) {
      this.stats.duplicates += 1;
      return change;
    }
    const history = this.watermark !== null && compareIds(item.id, this.watermark) <= 0;
    const sid = item.session_id;
    if (sid === null || sid === undefined) {
      // a room event: the room's state after it (the snapshot's is newer than history's)
      this.lastEventId = item.id;
      const ev = item.event ?? {};
      if (history) {
        this.stats.history += 1;
        return change;
      }
      if (typeof ev.at_ms === "number") change.liveAt = Math.max(change.liveAt ?? ev.at_ms, ev.at_ms);
      const open = typeof item.room?.open === "boolean" ? item.room.open : ROOM_EVENTS[ev.type];
      if (this.setRoomOpen(open)) change.room = true;
      return change;
    }
    if (!this.rows.has(sid)) {
      // history of a session no longer in the room: skipped. A live event of one registered after the snapshot:
      // a fresh snapshot is needed (this event then comes again, as history)
      if (history) this.lastEventId = item.id;
      else change.resync = true;
      return change;
    }
    this.lastEventId = item.id;
    const ev = item.event ?? {};
    if (history) this.stats.history += 1;
    else if (typeof ev.at_ms === "number") change.liveAt = Math.max(change.liveAt ?? ev.at_ms, ev.at_ms);
    if (this.#record(sid, ev)) change.resultsChanged = true;
    if (ev.type === "flag" && mergeFlag(this.#track(sid).flags, normalizeFlag(ev)) && !history) change.flagsRaised.push(sid);
    change.changed.add(sid);
    if (!history && item.view && item.view.session_id === sid) {
      this.stats.views += 1;
      const row = rowOf(item.view, typeof ev.at_ms === "number" ? ev.at_ms : nowMs);
      this.rows.set(sid, row);
      this.#syncAlert(row, nowMs, change);
      this.#syncSeat(row, row.at_ms, change);
    }
    return change;
  }

  // The server's `detail` frame: points by position (with their response times, when it sends them), the results of
  // the subtests done, the notes and the flags. False for a session the room does not hold.
  applyDetail(frame) {
    if (!this.rows.has(frame.session_id)) return false;
    const track = this.#track(frame.session_id);
    for (const raw of Array.isArray(frame.flags) ? frame.flags : []) mergeFlag(track.flags, normalizeFlag(raw));
    for (const sub of frame.subtests ?? []) {
      const placed = track.placed.get(sub.index) ?? new Map();
      for (const p of sub.points ?? []) {
        placed.set(p.position, {theta: p.theta, se: p.se, response_ms: p.response_ms ?? null, expected_ms: p.expected_ms ?? null});
      }
      track.placed.set(sub.index, placed);
      if (sub.status === "done" && sub.result) track.results.set(sub.index, normalizeResult(sub.result));
    }
    if (Array.isArray(frame.notes)) {
      // the server's list as of the detail, and any note event seen since that it does not hold yet
      const notes = frame.notes.map((n) => ({at_ms: n.at_ms, text: n.text}));
      const newest = notes[notes.length - 1]?.at_ms ?? -Infinity;
      for (const n of track.notes) if (n.at_ms > newest && !notes.some((m) => sameNote(m, n))) notes.push(n);
      track.notes = notes;
    }
    return true;
  }

  // The session's incident notes known so far, oldest first: [{at_ms, text}].
  notes(sid) {
    return this.tracks.get(sid)?.notes ?? [];
  }

  // Moves to another computer waiting for approval, oldest first: [{session_id, since, device, requested}].
  seatRequests() {
    return [...this.seats]
      .filter(([sid]) => this.rows.has(sid))
      .sort((a, b) => a[1].since - b[1].since)
      .map(([session_id, s]) => ({session_id, ...s}));
  }

  // Chart points of one subtest of a session: [{position, theta, se}] by position.
  trajectory(sid, index) {
    return this.#placed(sid, index).map(([position, p]) => ({position, theta: p.theta, se: p.se}));
  }

  // Response times of one subtest's answers: [{position, response_ms, expected_ms}] by position (null where unknown:
  // an answer seen before times were sent, or an item without time parameters).
  timings(sid, index) {
    return this.#placed(sid, index).map(([position, p]) => ({
      position,
      response_ms: p.response_ms ?? null,
      expected_ms: p.expected_ms ?? null,
    }));
  }

  // A session's flags, in the order raised: those its view lists (known only by kind until an event or the detail
  // says more: at_ms and statistic null), then any other an event or the detail told: [{kind, at_ms, statistic,
  // subtest, responses}].
  flags(sid) {
    const known = this.tracks.get(sid)?.flags ?? new Map();
    const listed = this.rows.get(sid)?.flags;
    const kinds = Array.isArray(listed) ? listed.filter((k) => typeof k === "string") : [];
    const rest = [...known.values()].filter((f) => !kinds.includes(f.kind)).sort((a, b) => (a.at_ms ?? 0) - (b.at_ms ?? 0));
    const bare = (kind) => ({kind, at_ms: null, statistic: null, subtest: null, responses: []});
    return [...new Set(kinds)].map((kind) => known.get(kind) ?? bare(kind)).concat(rest);
  }

  // The decisions recorded on a session's flags: Map kind -> {at_ms, text}.
  decisions(sid) {
    return decisionsOf(this.notes(sid));
  }

  // The session's flags waiting for a decision.
  openFlags(sid) {
    const decisions = this.decisions(sid);
    return this.flags(sid).filter((flag) => isOpen(flag, decisions));
  }

  // Sessions with a flag waiting for a decision (for needsAttention, countsOf, visibleRows).
  flagged() {
    return new Set(this.order.filter((sid) => this.rows.has(sid) && this.openFlags(sid).length));
  }

  // The flags to check, one entry per session: [{session_id, flags (open), since (the newest at_ms, null: raised
  // before this console knew)}], the newest first, those of unknown time last, ties in the roster's order.
  flagList() {
    return this.order
      .map((session_id, index) => ({session_id, index, flags: this.rows.has(session_id) ? this.openFlags(session_id) : []}))
      .filter((entry) => entry.flags.length)
      .map(({session_id, index, flags}) => {
        const times = flags.map((f) => f.at_ms).filter((ms) => ms !== null);
        return {session_id, index, flags, since: times.length ? Math.max(...times) : null};
      })
      .sort((a, b) => (b.since ?? -Infinity) - (a.since ?? -Infinity) || a.index - b.index)
      .map(({session_id, flags, since}) => ({session_id, flags, since}));
  }

  // Where each answer of one subtest stands: [[position, {theta, se, response_ms, expected_ms}]] by position, from the
  // detail's points and the answers seen since.
  #placed(sid, index) {
    const track = this.tracks.get(sid);
    if (!track) return [];
    const points = new Map(track.placed.get(index) ?? []);
    const answers = [...track.answers].filter(([, a]) => a.subtest === index);
    if (answers.length) {
      let anchor = null;
      for (const [seq, a] of track.anchors) if (a.subtest === index) anchor = {seq, position: a.position};
      const items = track.results.get(index)?.items;
      if (!anchor && Number.isInteger(items)) anchor = {seq: Math.max(...answers.map(([seq]) => seq)), position: items};
      if (anchor) {
        for (const [seq, a] of answers) {
          const position = track.anchors.get(seq)?.position ?? anchor.position + (seq - anchor.seq);
          if (position < 1) continue;
          const known = points.get(position); // the detail's: an event does not carry the typical time
          const took = a.response_ms ?? known?.response_ms ?? null;
          points.set(position, {theta: a.theta, se: a.se, response_ms: took, expected_ms: known?.expected_ms ?? null});
        }
      }
    }
    return [...points].sort((a, b) => a[0] - b[0]);
  }

  // Results of a session's subtests done: Map index -> normalized result.
  results(sid) {
    return this.tracks.get(sid)?.results ?? new Map();
  }

  // One line per subtest of the battery for the detail view: {index, name, status (done | current | unreached), result,
  // items, theta, se, points}.
  subtestRows(sid) {
    const row = this.rows.get(sid);
    if (!row) return [];
    const over = isOver(row);
    return (this.room?.subtests ?? []).map((sub, index) => {
      const result = this.results(sid).get(index) ?? null;
      const points = this.trajectory(sid, index);
      const current = !over && row.phase !== "ready" && index === row.subtest_index;
      const reached = Boolean(result) || points.length > 0 || current || index < row.subtest_index;
      const last = points[points.length - 1];
      const status = current && !result ? "current" : reached ? "done" : "unreached";
      const base = {index, name: sub.name, status, result, points};
      if (result) return {...base, items: result.items ?? points.length, theta: result.theta, se: result.se};
      const items = status === "current" ? row.answered : reached ? points.length : null;
      return {...base, items, theta: last?.theta ?? null, se: last?.se ?? null};
    });
  }

  // Subtests that have a chart: those with points, and the one under way.
  chartSubtests(sid) {
    const row = this.rows.get(sid);
    if (!row) return [];
    return (this.room?.subtests ?? [])
      .map((_, index) => index)
      .filter((index) => this.trajectory(sid, index).length || (!isOver(row) && row.phase !== "ready" && index === row.subtest_index));
  }

  // Disconnect alerts not dismissed, newest first: [{session_id, since}].
  activeAlerts() {
    return [...this.alerts]
      .filter(([sid, a]) => !a.dismissed && this.rows.has(sid))
      .sort((a, b) => b[1].since - a[1].since)
      .map(([session_id, a]) => ({session_id, since: a.since}));
  }

  isAlerting(sid) {
    const a = this.alerts.get(sid);
    return Boolean(a && !a.dismissed);
  }

  dismissAlert(sid) {
    const a = this.alerts.get(sid);
    if (a) a.dismissed = true;
  }

  dismissAllAlerts() {
    for (const a of this.alerts.values()) a.dismissed = true;
  }

  // Subtest results to keep across a reload ({session_id: {index: result}}), and to take back.
  exportResults() {
    const out = {};
    for (const [sid, track] of this.tracks) if (track.results.size) out[sid] = Object.fromEntries(track.results);
    return out;
  }

  // Decisions on flags to keep across a reload ({session_id: [{at_ms, text}]}: the decision notes seen), and to take
  // back (as notes of their sessions), so that a reload does not show decided flags as waiting again.
  exportDecisions() {
    const out = {};
    for (const [sid, track] of this.tracks) {
      const decided = track.notes.filter((n) => decisionKind(n.text) !== null);
      if (decided.length) out[sid] = decided;
    }
    return out;
  }

  importDecisions(stored) {
    for (const [sid, notes] of Object.entries(stored ?? {})) {
      const track = this.#track(sid);
      for (const n of Array.isArray(notes) ? notes : []) {
        const note = {at_ms: n?.at_ms, text: n?.text};
        if (typeof note.text === "string" && decisionKind(note.text) !== null && !track.notes.some((m) => sameNote(m, note))) {
          track.notes.push(note);
        }
      }
      track.notes.sort((a, b) => a.at_ms - b.at_ms);
    }
  }

  importResults(stored) {
    for (const [sid, results] of Object.entries(stored ?? {})) {
      const track = this.#track(sid);
      for (const [index, r] of Object.entries(results)) {
        if (!track.results.has(Number(index))) track.results.set(Number(index), normalizeResult(r));
      }
    }
  }

  // --- internals ---

  #change() {
    return {resync: false, changed: new Set(), raised: [], seatsRaised: [], flagsRaised: [], resultsChanged: false, liveAt: null, snapshot: false, room: false};
  }

  #track(sid) {
    let track = this.tracks.get(sid);
    if (!track) {
      track = newTrack();
      this.tracks.set(sid, track);
    }
    return track;
  }

  // What an event adds to the session's track; true when a subtest result came with it.
  #record(sid, ev) {
    const track = this.#track(sid);
    switch (ev.type) {
      case "item_presented":
        track.anchors.set(ev.seq, {subtest: ev.subtest, position: ev.position});
        return false;
      case "answered":
        track.answers.set(ev.seq, {subtest: ev.subtest, theta: ev.theta, se: ev.se, response_ms: ev.response_ms ?? null});
        return false;
      case "subtest_done":
        track.results.set(ev.subtest, normalizeResult(ev.result ?? {}));
        return true;
      case "note": {
        const note = {at_ms: ev.at_ms, text: ev.text};
        if (typeof note.text === "string" && !track.notes.some((n) => sameNote(n, note))) track.notes.push(note);
        return false;
      }
      case "finished": {
        const subtests = this.room?.subtests ?? [];
        for (const r of ev.profile?.subtests ?? []) {
          const index = subtests.findIndex((sub) => sub.id === (r.subtest_id ?? r.subtest));
          if (index >= 0) track.results.set(index, normalizeResult(r));
        }
        return true;
      }
      default:
        return false;
    }
  }

  // An alert while the candidate is in the middle of the battery (a subtest or its intro) with the connection down;
  // it clears itself once they are back.
  #syncAlert(row, nowMs, change) {
    const sid = row.session_id;
    if (!inSitting(row) || row.connected) {
      this.alerts.delete(sid);
    } else if (!this.alerts.has(sid)) {
      this.alerts.set(sid, {since: row.last_seen_ms ?? nowMs, dismissed: false});
      change.raised.push(sid);
    }
  }

  // A move waiting for approval, from the row's `seat_request`: new (or another computer asking) is raised; gone
  // once decided. `atMs`: when the console learnt of it (the view's moment).
  #syncSeat(row, atMs, change) {
    const sid = row.session_id;
    if (!hasSeatRequest(row)) {
      this.seats.delete(sid);
      return;
    }
    const known = this.seats.get(sid);
    const device = typeof row.device === "string" ? row.device : null;
    if (known && known.requested === row.seat_request) {
      known.device = device;
      return;
    }
    this.seats.set(sid, {since: atMs, device, requested: row.seat_request});
    change.seatsRaised.push(sid);
  }
}
