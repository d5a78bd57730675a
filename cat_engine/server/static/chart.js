// A small SVG line chart (no library): stacked panels sharing one x axis, each with lines (with dots), shaded bands
// and dashed reference lines. Drawn into a container, replacing what was there; sized by viewBox, so CSS sets the
// width. Colours come from CSS classes (proctor.css), nothing inline but geometry.
//
//   lineChart(container, {
//     title: "…", desc: "…",                       // accessible name and description of the image
//     x: {min: 1, max: 12, label: "Butir ke-"},
//     format: (v) => v.toFixed(2),                   // tick labels of the y axes
//     panels: [
//       {weight: 3, y: {min: -3, max: 3, label: "θ"},
//        bands: [{cls: "band-theta", points: [{x, lo, hi}]}],
//        lines: [{cls: "line-theta", name: "theta", points: [{x, y}]}],
//        refs: [{cls: "ref-target", y: 0.3, label: "0.30"}]},
//     ],
//   });

const NS = "http://www.w3.org/2000/svg";
const W = 560;
const H = 320;
const M = {left: 46, right: 14, top: 10, bottom: 34};
const GAP = 22;

// An SVG element with attributes, appended to `parent` when given (the response-time chart draws with it too).
export function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.append(node);
  return node;
}

export function text(parent, x, y, content, attrs = {}) {
  const node = el("text", {x, y, ...attrs}, parent);
  node.textContent = content;
  return node;
}

// Ticks at a "nice" step (1, 2, 2.5 or 5 times a power of ten) giving about `count` intervals over [min, max].
export function niceTicks(min, max, count = 4) {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const ticks = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + 1e-9; v += step) ticks.push(Math.round(v * 1e6) / 1e6 + 0); // + 0: no -0
  return ticks;
}

function integerTicks(min, max, count = 10) {
  const step = Math.max(1, Math.ceil((max - min + 1) / count));
  const ticks = [];
  for (let v = min; v <= max; v += step) ticks.push(v);
  return ticks;
}

function pathOf(points, sx, sy) {
  return points.map((p, i) => `${i ? "L" : "M"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join("");
}

export function lineChart(container, spec) {
  const fmt = spec.format ?? ((v) => String(v));
  const svg = el("svg", {viewBox: `0 0 ${W} ${H}`, role: "img", class: "line-chart", preserveAspectRatio: "xMidYMid meet"});
  const titleId = `chart-title-${Math.random().toString(36).slice(2, 8)}`;
  const title = el("title", {id: titleId}, svg);
  title.textContent = spec.title ?? "";
  if (spec.desc) el("desc", {}, svg).textContent = spec.desc;
  svg.setAttribute("aria-labelledby", titleId);

  const xMin = spec.x.min;
  const xMax = Math.max(spec.x.max, xMin + 1);
  const plotW = W - M.left - M.right;
  const sx = (v) => M.left + ((v - xMin) / (xMax - xMin)) * plotW;
  const totalWeight = spec.panels.reduce((sum, p) => sum + (p.weight ?? 1), 0);
  const plotH = H - M.top - M.bottom - GAP * (spec.panels.length - 1);

  let top = M.top;
  spec.panels.forEach((panel, index) => {
    const h = (plotH * (panel.weight ?? 1)) / totalWeight;
    const {min, max} = panel.y;
    const sy = (v) => top + h - ((Math.min(Math.max(v, min), max) - min) / (max - min)) * h;
    const g = el("g", {class: `panel panel-${index}`, "data-panel": panel.name ?? index}, svg);

    // frame, horizontal grid and y ticks
    el("rect", {x: M.left, y: top, width: plotW, height: h, class: "plot-bg"}, g);
    for (const v of niceTicks(min, max, panel.ticks ?? 4)) {
      el("line", {x1: M.left, x2: M.left + plotW, y1: sy(v), y2: sy(v), class: v === 0 ? "grid grid-zero" : "grid"}, g);
      text(g, M.left - 6, sy(v) + 4, fmt(v), {class: "tick", "text-anchor": "end"});
    }
    // vertical grid at the x ticks
    for (const v of integerTicks(xMin, xMax)) {
      el("line", {x1: sx(v), x2: sx(v), y1: top, y2: top + h, class: "grid grid-x"}, g);
    }
    // y axis label, rotated along the axis
    const ly = top + h / 2;
    text(g, 12, ly, panel.y.label ?? "", {class: "axis-label", transform: `rotate(-90 12 ${ly})`, "text-anchor": "middle"});

    for (const band of panel.bands ?? []) {
      if (band.points.length === 0) continue;
      const upper = band.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.hi).toFixed(1)}`);
      const lower = [...band.points].reverse().map((p) => `${sx(p.x).toFixed(1)},${sy(p.lo).toFixed(1)}`);
      el("polygon", {points: [...upper, ...lower].join(" "), class: `band ${band.cls ?? ""}`}, g);
    }
    for (const ref of panel.refs ?? []) {
      if (ref.y < min || ref.y > max) continue;
      el("line", {x1: M.left, x2: M.left + plotW, y1: sy(ref.y), y2: sy(ref.y), class: `ref ${ref.cls ?? ""}`}, g);
      if (ref.label) text(g, M.left + 6, sy(ref.y) - 5, ref.label, {class: `ref-label ${ref.cls ?? ""}`});
    }
    for (const line of panel.lines ?? []) {
      const series = el("g", {class: `series ${line.cls ?? ""}`, "data-series": line.name ?? ""}, g);
      if (line.points.length > 1) el("path", {d: pathOf(line.points, sx, sy), class: "line"}, series);
      for (const p of line.points) {
        const dot = el("circle", {cx: sx(p.x).toFixed(1), cy: sy(p.y).toFixed(1), r: 3.5, class: "pt", "data-x": p.x}, series);
        el("title", {}, dot).textContent = `${spec.x.label ?? "x"} ${p.x}: ${fmt(p.y)}`;
      }
    }
    // x tick labels under the last panel only (the axis is shared)
    if (index === spec.panels.length - 1) {
      for (const v of integerTicks(xMin, xMax)) text(g, sx(v), top + h + 15, String(v), {class: "tick", "text-anchor": "middle"});
      text(g, M.left + plotW / 2, top + h + 30, spec.x.label ?? "", {class: "axis-label", "text-anchor": "middle"});
    }
    top += h + GAP;
  });

  container.replaceChildren(svg);
  return svg;
}

// An empty SVG image `width` x `height` (by viewBox: CSS sets its size) with its accessible name (`title`) and
// description (`desc`), for a chart drawn with el() and text() (the admin page's integrity plots).
export function svgImage(width, height, {title = "", desc = "", cls = "line-chart"} = {}) {
  const svg = el("svg", {viewBox: `0 0 ${width} ${height}`, role: "img", class: cls, preserveAspectRatio: "xMidYMid meet"});
  const titleId = `chart-title-${Math.random().toString(36).slice(2, 8)}`;
  el("title", {id: titleId}, svg).textContent = title;
  if (desc) el("desc", {}, svg).textContent = desc;
  svg.setAttribute("aria-labelledby", titleId);
  return svg;
}
