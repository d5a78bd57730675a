// Integrity flags in the proctor console: what each kind says in plain words, the decisions proctors recorded on them,
// and the data of the response-time chart. Pure: no DOM, no clock; texts come in as the page's `t`.
//
// A flag (the room event `flag`, docs/protocol.md; the `detail` frame's `flags`, docs/protocol.md, "detail") is
// {kind, at_ms, statistic: {name, value, p_value, threshold, n}, subtest, responses: [[subtest, position], ...]}: the
// responses it rests on, each a subtest index and a position counted from 0 among that subtest's answers (the charts'
// "item no." is position + 1). A room-level flag (`operator`, `lockstep`: the answer timing of several sessions) has no
// responses and names the group's other sessions in `sessions`. A flag is a prompt for a person to look, never a
// finding: the texts say so, and it never changes a score.
//
// Decisions. A proctor records a decision on a flag as an incident note (`note`) whose text begins with
// "[Keputusan: KIND]": it lands in the session's audit and the results' notes like any other note. A kind is decided
// when such a note is no older than the kind's latest flag (a flag raised again after a decision is open again).

import {num} from "./proctor_format.js";

export const FLAG_KINDS = ["rapid", "preknowledge", "misfit", "speed_change", "ability_change", "operator", "lockstep"];
export const OUTCOMES = ["ok", "watch", "report"]; // what a decision can say (its words in the page's language)
export const EVIDENCE_LISTED = 12; // positions listed in words per subtest; the chart shows them all

const DECISION = /^\[Keputusan: ([a-z_]+)\][ \t]*/;
const STAT_NAMES = {lz_star: "lz*", rapid_guessing: "rapid", preknowledge: "z"};

export const decisionPrefix = (kind) => `[Keputusan: ${kind}]`;

// The note that records a decision: the prefix, the outcome's words, and the proctor's remarks (if any).
export function decisionNote(kind, outcome, remarks = "") {
  const rest = [outcome, remarks].map((s) => String(s ?? "").trim()).filter(Boolean).join(" — ");
  return rest ? `${decisionPrefix(kind)} ${rest}` : decisionPrefix(kind);
}

// The flag kind a note decides (null: an ordinary note).
export function decisionKind(text) {
  return DECISION.exec(String(text ?? ""))?.[1] ?? null;
}

// The latest decision per kind among a session's notes: Map kind -> {at_ms, text (without the prefix)}.
export function decisionsOf(notes) {
  const out = new Map();
  for (const note of notes ?? []) {
    const kind = decisionKind(note.text);
    if (kind === null) continue;
    const known = out.get(kind);
    if (!known || note.at_ms >= known.at_ms) out.set(kind, {at_ms: note.at_ms, text: note.text.replace(DECISION, "")});
  }
  return out;
}

const finite = (v) => typeof v === "number" && Number.isFinite(v);

// A flag as the console keeps it, from an event or the detail (null: not a flag: no kind).
export function normalizeFlag(raw) {
  if (!raw || typeof raw.kind !== "string" || !raw.kind) return null;
  const s = raw.statistic;
  const statistic =
    s && typeof s === "object"
      ? {
          name: typeof s.name === "string" ? s.name : raw.kind,
          value: finite(s.value) ? s.value : null,
          p_value: finite(s.p_value) ? s.p_value : null,
          threshold: finite(s.threshold) ? s.threshold : null,
          n: Number.isInteger(s.n) ? s.n : null,
        }
      : null;
  const responses = (Array.isArray(raw.responses) ? raw.responses : []).filter(
    (r) => Array.isArray(r) && Number.isInteger(r[0]) && Number.isInteger(r[1]) && r[1] >= 0,
  );
  const sessions = (Array.isArray(raw.sessions) ? raw.sessions : []).filter((s) => typeof s === "string" && s);
  return {
    kind: raw.kind,
    at_ms: finite(raw.at_ms) ? raw.at_ms : null,
    statistic,
    subtest: Number.isInteger(raw.subtest) ? raw.subtest : null,
    responses: responses.map((r) => [r[0], r[1]]),
    ...(sessions.length ? {sessions} : {}), // a room-level flag's other sessions
  };
}

// Keep `flag` in `byKind` (Map kind -> flag) unless an equal or later one of its kind is there; true when it was new
// to the console (a kind not seen, or raised again later).
export function mergeFlag(byKind, flag) {
  if (!flag) return false;
  const known = byKind.get(flag.kind);
  const later = (a, b) => (a ?? -Infinity) > (b ?? -Infinity);
  if (known && !later(flag.at_ms, known.at_ms)) {
    if (flag.at_ms === known.at_ms && !known.statistic && flag.statistic) byKind.set(flag.kind, flag); // more said
    return false;
  }
  byKind.set(flag.kind, flag);
  return true;
}

// Whether a flag still waits for a decision, given the session's decisions (decisionsOf).
export function isOpen(flag, decisions) {
  const decided = decisions.get(flag.kind);
  return !decided || (flag.at_ms !== null && decided.at_ms < flag.at_ms);
}

// The text key of a kind's reason, and its words (a kind this console does not know is named as it came).
export const reasonKey = (kind) => (FLAG_KINDS.includes(kind) ? `flag_${kind}` : "flag_other");
export const reasonText = (kind, t) => t(reasonKey(kind), {kind});

// A small probability with two significant digits ("0,0025"), "—" for none.
export function small(v, locale) {
  return finite(v) ? v.toLocaleString(locale, {maximumSignificantDigits: 2}) : "—";
}

// A p-value as compared: "= 0,012", "< 0,0001" below that.
export function pText(p, locale) {
  if (!finite(p)) return "—";
  return p < 0.0001 ? `< ${small(0.0001, locale)}` : `= ${small(p, locale)}`;
}

// The statistic of a flag in one line: what was measured, over how many answers, its p-value against the threshold.
export function statisticText(flag, t, locale) {
  const s = flag.statistic;
  if (!s) return t("flag_stat_none");
  const parts = [];
  if (flag.kind === "rapid" && s.value !== null && s.n !== null) parts.push(t("flag_stat_rapid", {k: Math.round(s.value), n: s.n}));
  else parts.push(t("flag_stat", {name: STAT_NAMES[s.name] ?? s.name, value: num(s.value, locale, 2), n: s.n ?? "—"}));
  if (s.p_value !== null) parts.push(t("flag_p", {p: pText(s.p_value, locale), threshold: small(s.threshold, locale)}));
  return parts.join(" · ");
}

// The evidence in words, per subtest: "Subtes A: butir ke-1, 2, 5; Subtes B: butir ke-3" (at most EVIDENCE_LISTED
// positions per subtest, then "+N"), and a room-level flag's other sessions. `nameOf(index)` names a subtest.
export function evidenceText(flag, t, nameOf) {
  const per = new Map();
  for (const [s, p] of flag.responses) per.set(s, [...(per.get(s) ?? []), p + 1]);
  const parts = [...per]
    .sort((a, b) => a[0] - b[0])
    .map(([s, items]) => {
      const sorted = [...new Set(items)].sort((a, b) => a - b);
      const shown = sorted.slice(0, EVIDENCE_LISTED).join(", ");
      const more = sorted.length > EVIDENCE_LISTED ? ` ${t("flag_more", {n: sorted.length - EVIDENCE_LISTED})}` : "";
      return t("flag_evidence_sub", {subtest: nameOf(s) ?? String(s + 1), items: shown + more});
    });
  const evidence = parts.length ? t("flag_evidence", {list: parts.join("; ")}) : "";
  const group = flag.sessions?.length ? t("flag_with", {list: flag.sessions.join(", ")}) : "";
  return [evidence, group].filter(Boolean).join(" · ");
}

// Positions (from 1) of one subtest that some flag rests on: Map position -> [kinds].
export function evidenceAt(flags, subtest) {
  const out = new Map();
  for (const flag of flags) {
    for (const [s, p] of flag.responses) {
      if (s !== subtest) continue;
      const kinds = out.get(p + 1) ?? [];
      if (!kinds.includes(flag.kind)) kinds.push(flag.kind);
      out.set(p + 1, kinds);
    }
  }
  return out;
}

// The response-time chart of one subtest: each answer with a recorded time, in seconds, with the item's typical time
// (the mean at average speed, when the server knows it) and the flags it is evidence for. `points` are the model's
// trajectory points ({position, response_ms, expected_ms}).
export function rtPoints(points, flags, subtest) {
  const evidence = evidenceAt(flags, subtest);
  return points
    .filter((p) => finite(p.response_ms))
    .map((p) => ({
      position: p.position,
      seconds: p.response_ms / 1000,
      expected: finite(p.expected_ms) ? p.expected_ms / 1000 : null,
      kinds: evidence.get(p.position) ?? [],
    }));
}

// The middle response time in seconds (null: none).
export function medianSeconds(rt) {
  const s = rt.map((p) => p.seconds).sort((a, b) => a - b);
  if (!s.length) return null;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
