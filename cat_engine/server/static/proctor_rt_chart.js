// The response-time chart of the candidate detail (an SVG, no library; drawn the way chart.js draws): one stem per
// answer of a subtest, its height the seconds the answer took, a short dash at the item's typical time, and the
// answers a flag rests on marked with a triangle (not by colour alone). It keeps chart.js's width, side margins and
// x positions, so each answer stands under its point of the theta chart above it.
//
//   rtChart(container, {
//     title: "…", desc: "…",                 // accessible name and description of the image
//     xMax: 12, xLabel: "Butir ke-", yLabel: "Detik",
//     format: (v) => "1,5",                   // tick labels of the y axis
//     points: [{position, seconds, expected (null: unknown), kinds: [flag kinds it is evidence for]}],
//     pointTitle: (p) => "…",                 // the hover text of one answer
//   });

import {el, niceTicks, text} from "./chart.js";

const W = 560; // chart.js's width and side margins: the x axis lines up with the theta chart's
const H = 170;
const M = {left: 46, right: 14, top: 12, bottom: 34};

const Y_TICKS = 3;

// The y axis's top: the first tick (of about Y_TICKS nice steps) past the longest time or typical time shown, and
// past 5 s at least, so the axis ends on a labelled line.
export function rtAxisMax(points) {
  const top = Math.max(5, ...points.map((p) => Math.max(p.seconds, p.expected ?? 0)));
  const ticks = niceTicks(0, top, Y_TICKS);
  const step = ticks[1] - ticks[0];
  return Math.ceil(top / step - 1e-9) * step;
}

export function rtChart(container, spec) {
  const fmt = spec.format ?? ((v) => String(v));
  const svg = el("svg", {viewBox: `0 0 ${W} ${H}`, role: "img", class: "line-chart rt", preserveAspectRatio: "xMidYMid meet"});
  const titleId = `rt-title-${Math.random().toString(36).slice(2, 8)}`;
  el("title", {id: titleId}, svg).textContent = spec.title ?? "";
  if (spec.desc) el("desc", {}, svg).textContent = spec.desc;
  svg.setAttribute("aria-labelledby", titleId);

  const xMin = 1;
  const xMax = Math.max(spec.xMax, xMin + 1);
  const plotW = W - M.left - M.right;
  const h = H - M.top - M.bottom;
  const yMax = rtAxisMax(spec.points);
  const sx = (v) => M.left + ((v - xMin) / (xMax - xMin)) * plotW;
  const sy = (v) => M.top + h - (Math.min(Math.max(v, 0), yMax) / yMax) * h;

  const g = el("g", {class: "panel", "data-panel": "rt"}, svg);
  el("rect", {x: M.left, y: M.top, width: plotW, height: h, class: "plot-bg"}, g);
  for (const v of niceTicks(0, yMax, Y_TICKS)) {
    el("line", {x1: M.left, x2: M.left + plotW, y1: sy(v), y2: sy(v), class: "grid"}, g);
    text(g, M.left - 6, sy(v) + 4, fmt(v), {class: "tick", "text-anchor": "end"});
  }
  const step = Math.max(1, Math.ceil((xMax - xMin + 1) / 10));
  for (let v = xMin; v <= xMax; v += step) {
    el("line", {x1: sx(v), x2: sx(v), y1: M.top, y2: M.top + h, class: "grid grid-x"}, g);
    text(g, sx(v), M.top + h + 15, String(v), {class: "tick", "text-anchor": "middle"});
  }
  const ly = M.top + h / 2;
  text(g, 12, ly, spec.yLabel ?? "", {class: "axis-label", transform: `rotate(-90 12 ${ly})`, "text-anchor": "middle"});
  text(g, M.left + plotW / 2, M.top + h + 30, spec.xLabel ?? "", {class: "axis-label", "text-anchor": "middle"});

  const half = Math.min(9, (plotW / (xMax - xMin + 1)) * 0.3); // half the width of the typical time's dash
  const series = el("g", {class: "series rt-series", "data-series": "rt"}, g);
  for (const p of spec.points) {
    const evidence = p.kinds.length > 0;
    const x = sx(p.position);
    const y = sy(p.seconds);
    const answer = el("g", {class: evidence ? "rt-answer rt-evidence" : "rt-answer", "data-x": p.position, "data-kinds": p.kinds.join(" ")}, series);
    el("title", {}, answer).textContent = spec.pointTitle ? spec.pointTitle(p) : `${p.position}: ${fmt(p.seconds)}`;
    if (p.expected !== null) el("line", {x1: x - half, x2: x + half, y1: sy(p.expected), y2: sy(p.expected), class: "rt-expected"}, answer);
    el("line", {x1: x, x2: x, y1: sy(0), y2: y, class: "rt-stem"}, answer);
    if (evidence) {
      // a triangle over the answer, big enough to see at a glance whatever the colours (kept inside the image)
      const tip = Math.max(y - 8, 11);
      el("path", {d: `M${x.toFixed(1)},${tip.toFixed(1)}l-6,-10h12z`, class: "rt-mark"}, answer);
      el("circle", {cx: x.toFixed(1), cy: y.toFixed(1), r: 4.5, class: "pt"}, answer);
    } else {
      el("circle", {cx: x.toFixed(1), cy: y.toFixed(1), r: 3.5, class: "pt"}, answer);
    }
  }
  container.replaceChildren(svg);
  return svg;
}
