// The admin page's integrity plots, SVG drawn with chart.js's helpers (no library). Colours come from admin.css; a
// flagged session is told by its shape (a diamond, not a dot), never by colour alone.
//
//   pValuePlot(container, {
//     title, desc, axisLabel,                   // accessible name and description; the x axis's label
//     strips: pStrips(report),                  // admin_integrity_model.js: {floor, rows}
//     rowLabel: (kind) => "…",                  // a row's name
//     tickLabel: ({exponent, value}) => "…",    // a decade's label
//     pointTitle: (point) => "…", thresholdTitle: (threshold) => "…", emptyRow: "…",
//   });
//   timingPlot(container, {
//     title, desc, axisLabel,
//     lanes: [{session_id, name, times_s}],     // one lane per seat (timingGroups)
//     window: {from, to},                       // seconds shown (timeWindow)
//     tickLabel: (seconds) => "…", markTitle: (lane, seconds) => "…",
//   });

import {el, svgImage, text} from "./chart.js";
import {decadeTicks, inWindow, logPlace, timeTicks} from "./admin_integrity_model.js";

const W = 720;
const M = {left: 150, right: 22, top: 10, bottom: 42};
const ROW_H = 34;
const LANE_H = 30;
const LABEL_CHARS = 22; // a row's or lane's label is cut to this many characters (its title has it whole)

function label(g, x, y, words) {
  const cut = words.length > LABEL_CHARS ? `${words.slice(0, LABEL_CHARS - 1)}…` : words;
  const node = text(g, x, y, cut, {class: "row-label", "text-anchor": "end"});
  if (cut !== words) el("title", {}, node).textContent = words;
  return node;
}

// A diamond centred on (x, y), `r` from the centre to each corner.
const diamond = (x, y, r) => `M${x.toFixed(1)},${(y - r).toFixed(1)}l${r},${r}l${-r},${r}l${-r},${-r}z`;

// Every session's p-value per statistic kind on a log scale (1 on the left, smaller to the right), a row per kind,
// each row's thresholds as dashed lines; flagged points are diamonds.
export function pValuePlot(container, spec) {
  const {floor, rows} = spec.strips;
  const H = M.top + rows.length * ROW_H + M.bottom;
  const svg = svgImage(W, H, {title: spec.title, desc: spec.desc, cls: "line-chart p-plot"});
  const x0 = M.left;
  const x1 = W - M.right;
  const bottom = M.top + rows.length * ROW_H;
  const g = el("g", {class: "panel", "data-floor": floor}, svg);
  el("rect", {x: x0, y: M.top, width: x1 - x0, height: bottom - M.top, class: "plot-bg"}, g);
  for (const tick of decadeTicks(floor)) {
    const {x} = logPlace(tick.value, floor, x0, x1);
    el("line", {x1: x, x2: x, y1: M.top, y2: bottom, class: "grid grid-x"}, g);
    text(g, x, bottom + 15, spec.tickLabel(tick), {class: "tick", "text-anchor": "middle"});
  }
  text(g, x0 + (x1 - x0) / 2, bottom + 32, spec.axisLabel ?? "", {class: "axis-label", "text-anchor": "middle"});

  rows.forEach((row, index) => {
    const top = M.top + index * ROW_H;
    const mid = top + ROW_H / 2;
    const strip = el("g", {class: "strip", "data-kind": row.kind, "data-points": row.points.length}, g);
    if (index > 0) el("line", {x1: x0, x2: x1, y1: top, y2: top, class: "grid"}, strip);
    label(strip, x0 - 8, mid + 4, spec.rowLabel(row.kind));
    for (const threshold of row.thresholds) {
      const {x} = logPlace(threshold, floor, x0, x1);
      const line = el("line", {x1: x, x2: x, y1: top + 3, y2: top + ROW_H - 3, class: "ref ref-threshold", "data-threshold": threshold}, strip);
      el("title", {}, line).textContent = spec.thresholdTitle(threshold);
    }
    if (row.points.length === 0) {
      text(strip, x0 + 10, mid + 4, spec.emptyRow ?? "", {class: "tick empty-row"});
      return;
    }
    // the flagged ones last, so that they are drawn over the others
    const ordered = [...row.points].sort((a, b) => Number(a.flagged) - Number(b.flagged));
    for (const point of ordered) {
      const {x, beyond} = logPlace(point.p_value, floor, x0, x1);
      const y = mid + point.spread * (ROW_H / 2 - 7);
      const classes = ["pt", point.flagged ? "flagged" : "", beyond ? "beyond" : ""].filter(Boolean).join(" ");
      const attrs = {class: classes, "data-session": point.session_id, "data-flagged": String(point.flagged)};
      const mark = point.flagged
        ? el("path", {d: diamond(x, y, 6.5), ...attrs}, strip)
        : el("circle", {cx: x.toFixed(1), cy: y.toFixed(1), r: 3.5, ...attrs}, strip);
      el("title", {}, mark).textContent = spec.pointTitle(point);
    }
  });
  container.replaceChildren(svg);
  return svg;
}

// The answer arrivals of a group of seats on one time axis, a lane per seat, a short stroke per answer.
export function timingPlot(container, spec) {
  const {from, to} = spec.window;
  const H = M.top + spec.lanes.length * LANE_H + M.bottom;
  const svg = svgImage(W, H, {title: spec.title, desc: spec.desc, cls: "line-chart timing-plot"});
  const x0 = M.left;
  const x1 = W - M.right;
  const bottom = M.top + spec.lanes.length * LANE_H;
  const sx = (v) => x0 + ((v - from) / Math.max(to - from, 1e-9)) * (x1 - x0);
  const g = el("g", {class: "panel", "data-from": from, "data-to": to}, svg);
  el("rect", {x: x0, y: M.top, width: x1 - x0, height: bottom - M.top, class: "plot-bg"}, g);
  for (const v of timeTicks(from, to)) {
    el("line", {x1: sx(v), x2: sx(v), y1: M.top, y2: bottom, class: "grid grid-x"}, g);
    text(g, sx(v), bottom + 15, spec.tickLabel(v), {class: "tick", "text-anchor": "middle"});
  }
  text(g, x0 + (x1 - x0) / 2, bottom + 32, spec.axisLabel ?? "", {class: "axis-label", "text-anchor": "middle"});

  spec.lanes.forEach((lane, index) => {
    const top = M.top + index * LANE_H;
    const mid = top + LANE_H / 2;
    const shown = inWindow(lane.times_s, from, to);
    const row = el("g", {class: `lane lane-${index % 4}`, "data-session": lane.session_id, "data-marks": shown.length}, g);
    if (index > 0) el("line", {x1: x0, x2: x1, y1: top, y2: top, class: "grid"}, row);
    label(row, x0 - 8, mid + 4, lane.name);
    el("line", {x1: x0, x2: x1, y1: mid, y2: mid, class: "lane-base"}, row);
    for (const v of shown) {
      const mark = el("line", {x1: sx(v).toFixed(1), x2: sx(v).toFixed(1), y1: top + 6, y2: top + LANE_H - 6, class: "arrival"}, row);
      el("title", {}, mark).textContent = spec.markTitle(lane, v);
    }
  });
  container.replaceChildren(svg);
  return svg;
}
