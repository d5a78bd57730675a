// The integrity report of a room (GET /api/rooms/{id}/integrity, docs/protocol.md, "Integrity report") as the admin
// page shows it: the flagged sessions, every session's p-value per statistic on a log scale against its threshold,
// and the answer arrivals of each flagged timing group, one lane per seat. Pure: no DOM, no clock; texts come in as
// `t` where words are needed.
//
// A flag is a prompt for a person to look, never a finding (docs/integrity.md): nothing here ranks or judges.

// The kinds of a session's screening (cat_engine/aberrance.py KINDS), in the report's order, and of the room timing.
export const STAT_KINDS = ["rapid", "preknowledge", "misfit", "speed_change", "ability_change"];
export const ROOM_KINDS = ["operator", "lockstep"];

// The lowest decade the p-value axis may reach, and the highest it starts at: the axis spans at least 1 .. 1e-4 (the
// default thresholds, 0.002 to 0.0125, sit well inside), deeper when a p-value or a threshold needs it, never past
// 1e-12 (a smaller p-value is drawn at the axis's end, marked as beyond it).
export const DEEPEST_DECADE = -12;
export const SHALLOWEST_DECADE = -4;

const finite = (v) => typeof v === "number" && Number.isFinite(v);

// --- the flagged sessions ---------------------------------------------------------------------------------------------

// Every session with a flag of its own or in a flagged timing group, in the report's order (registration order):
//   {session_id, employee_id, name, phase, look, flags: [{kind, p_value, threshold, room: null | {sessions, others}}]}
// A session's own flags come first, in the order raised, each with its statistic's p-value and threshold at the
// report's look (null when the statistic is not computed at that look); then the timing groups it is in.
export function flaggedSessions(report) {
  const sessions = report?.sessions ?? [];
  const byId = new Map(sessions.map((s) => [s.session_id, s]));
  const groups = report?.room_timing?.flags ?? [];
  const out = [];
  for (const s of sessions) {
    const stats = new Map((s.statistics ?? []).map((st) => [st.kind, st]));
    const flags = (s.flags ?? []).map((kind) => {
      const st = stats.get(kind);
      return {
        kind,
        p_value: finite(st?.p_value) ? st.p_value : null,
        threshold: finite(st?.threshold) ? st.threshold : null,
        room: null,
      };
    });
    for (const g of groups) {
      if (!g.sessions.includes(s.session_id)) continue;
      const others = g.sessions.filter((id) => id !== s.session_id).map((id) => byId.get(id)?.name ?? id);
      flags.push({
        kind: g.kind,
        p_value: finite(g.p_value) ? g.p_value : null,
        threshold: finite(g.threshold) ? g.threshold : null,
        room: {sessions: g.sessions, others},
      });
    }
    if (flags.length === 0) continue;
    const {session_id, employee_id, name, phase, look} = s;
    out.push({session_id, employee_id, name, phase, look, flags});
  }
  return out;
}

// --- p-values on a log scale ------------------------------------------------------------------------------------------

// The axis's lowest decade (an integer exponent e, the axis spans 10^0 .. 10^e): one decade under the smallest
// positive p-value or threshold shown, within [DEEPEST_DECADE, SHALLOWEST_DECADE].
export function pFloor(values) {
  const positive = values.filter((v) => finite(v) && v > 0);
  const smallest = positive.length ? Math.min(...positive) : 1;
  const e = Math.floor(Math.log10(smallest)) - 1;
  return Math.max(DEEPEST_DECADE, Math.min(SHALLOWEST_DECADE, e));
}

// The place of p-value `p` along an axis from x0 (p = 1) to x1 (p = 10^floor): linear in -log10 p,
//   x = x0 + (x1 - x0) * log10(p) / floor,
// so each decade takes the same width and smaller (more unusual) p-values lie further right. A p-value at or under
// 10^floor (0 included) is put at x1 and `beyond` is true; one above 1 (none should be) at x0.
export function logPlace(p, floor, x0, x1) {
  if (!finite(p) || p <= 10 ** floor) return {x: x1, beyond: true};
  const share = Math.min(1, Math.max(0, Math.log10(Math.min(p, 1)) / floor));
  return {x: x0 + (x1 - x0) * share, beyond: false};
}

// The decades 10^0 .. 10^floor as ticks: {exponent, value}; every second one when there are more than 7.
export function decadeTicks(floor) {
  const step = -floor > 7 ? 2 : 1;
  const ticks = [];
  for (let e = 0; e >= floor; e -= step) ticks.push({exponent: e, value: 10 ** e});
  if (ticks[ticks.length - 1].exponent !== floor) ticks.push({exponent: floor, value: 10 ** floor});
  return ticks;
}

// A spread of the i-th session within a row, in [-1, 1): the fractional part of (i + 1/2) times the golden ratio's
// conjugate, so that sessions with the same p-value do not hide each other (the first sits near the middle, not on
// the row's edge) and each keeps its place between reports.
export function spread(i) {
  return (((i + 0.5) * 0.6180339887498949) % 1) * 2 - 1;
}

// One row per statistic kind: every session whose screening computed it, its p-value and whether it is flagged (the
// statistic flagged at this look, or the session holds a flag of the kind), and the distinct thresholds of the row
// (a change test's differs between the interim and the final look).
//   {floor, rows: [{kind, thresholds: [..], points: [{session_id, name, p_value, threshold, flagged, spread}]}]}
export function pStrips(report) {
  const sessions = report?.sessions ?? [];
  const rows = STAT_KINDS.map((kind) => ({kind, thresholds: [], points: []}));
  const values = [];
  sessions.forEach((s, i) => {
    for (const st of s.statistics ?? []) {
      const row = rows.find((r) => r.kind === st.kind);
      if (!row) continue;
      const p = finite(st.p_value) ? st.p_value : null;
      const threshold = finite(st.threshold) ? st.threshold : null;
      const flagged = st.flagged === true || (s.flags ?? []).includes(st.kind);
      row.points.push({session_id: s.session_id, name: s.name, p_value: p, threshold, flagged, spread: spread(i)});
      if (threshold !== null && !row.thresholds.includes(threshold)) row.thresholds.push(threshold);
      values.push(p, threshold);
    }
  });
  for (const row of rows) row.thresholds.sort((a, b) => b - a);
  return {floor: pFloor(values), rows};
}

// --- answer timing: one lane per seat ------------------------------------------------------------------------------

// Each flagged timing group with the arrivals it was tested on (the report's `arrival_ms`, server ms), as seconds
// from the group's first answer: {kind, p_value, threshold, statistic, t0_ms, span_s, lanes: [{session_id, name,
// employee_id, times_s: [..]}]}. A group without arrivals (a server from before the field) has no lanes.
export function timingGroups(report) {
  const byId = new Map((report?.sessions ?? []).map((s) => [s.session_id, s]));
  return (report?.room_timing?.flags ?? []).map((g) => {
    const arrivals = Array.isArray(g.arrival_ms) ? g.arrival_ms : [];
    const all = arrivals.flat().filter(finite);
    const t0 = all.length ? Math.min(...all) : null;
    const lanes =
      t0 === null
        ? []
        : g.sessions.map((id, i) => ({
            session_id: id,
            name: byId.get(id)?.name ?? id,
            employee_id: byId.get(id)?.employee_id ?? "",
            times_s: (arrivals[i] ?? []).filter(finite).map((ms) => (ms - t0) / 1000),
          }));
    return {
      kind: g.kind,
      p_value: finite(g.p_value) ? g.p_value : null,
      threshold: finite(g.threshold) ? g.threshold : null,
      statistic: finite(g.statistic) ? g.statistic : null,
      t0_ms: t0,
      span_s: all.length ? (Math.max(...all) - t0) / 1000 : 0,
      lanes,
    };
  });
}

// The widths of the time window an administrator may choose (seconds; null: the whole span). Alternation shows at a
// few minutes: one operator serving four seats answers each every half minute or so.
export const WINDOWS = [null, 600, 120];

// The window shown: [from, to] seconds within [0, span], `width` seconds wide (null or wider than the span: all of
// it) starting at `start` (clamped so that the window stays inside the span).
export function timeWindow(span, width, start) {
  const total = Math.max(span, 1);
  if (width === null || width >= total) return {from: 0, to: total, start: 0, maxStart: 0};
  const maxStart = total - width;
  const from = Math.min(Math.max(0, Number(start) || 0), maxStart);
  return {from, to: from + width, start: from, maxStart};
}

// Tick step of a time axis of `seconds`: the smallest of 1 s .. 1 h steps (clock-friendly) giving at most `count`
// intervals.
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200];

export function timeTicks(from, to, count = 8) {
  const step = STEPS.find((s) => (to - from) / s <= count) ?? Math.ceil((to - from) / count / 3600) * 3600;
  const ticks = [];
  const first = Math.ceil(from / step - 1e-9) + 0; // + 0: no -0
  for (let k = first; k * step <= to + 1e-9; k += 1) ticks.push(k * step);
  return ticks;
}

// The arrivals of a lane within [from, to].
export const inWindow = (times, from, to) => times.filter((v) => v >= from && v <= to);

