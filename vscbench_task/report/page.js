"use strict";
const DATA = JSON.parse(document.getElementById("data").textContent);
const NS = "http://www.w3.org/2000/svg";
const MODELS = DATA.models;
const COLUMNS = {
  overall: [["rank", "rank"], ["name", "model"], ["overall", "overall (mean of parts)"], ["rank_ci", "rank 95% CI"],
            ["image_mean", "image-centric mean"], ["text_mean", "text-centric mean"]],
  part: [["rank", "rank"], ["name", "model"], ["u", "SRA_u"], ["s", "SRA_s"], ["mean", "mean"],
         ["rank_ci", "rank 95% CI"], ["docs", "docs"]],
};
const FIXED = new Set(["rank", "name"]);
const state = {part: Object.keys(DATA.board_titles)[0], sort: "rank", asc: true, filter: "", hidden: new Set(), selected: null};

function fmt(v) { return v === null || v === undefined ? "\u2014" : v.toFixed(3); }
function fmtInterval(iv) {
  if (!iv || iv[0] === null) return "\u2014";
  return iv[1] === null ? fmt(iv[0]) : `${fmt(iv[0])} [${fmt(iv[1])}, ${fmt(iv[2])}]`;
}
function fmtRanks(r) { return r[0] === null ? "\u2014" : `[${r[0]}, ${r[1]}]`; }
function isOverall() { return DATA.board_of[state.part] === "overall"; }
function columns() { return isOverall() ? COLUMNS.overall : COLUMNS.part; }
function cellText(row, key) {
  if (key === "name") return MODELS[row.m].name;
  if (key === "rank") return row.rank === null ? "\u2014" : String(row.rank);
  if (key === "rank_ci") return fmtRanks(row.rank_ci);
  if (key === "docs") return String(row.docs);
  const v = row[key];
  return Array.isArray(v) ? fmtInterval(v) : fmt(v);
}
function sortValue(row, key) {
  if (key === "name") return MODELS[row.m].name.toLowerCase();
  if (key === "rank_ci") return row.rank_ci[0];
  const v = row[key];
  return Array.isArray(v) ? v[0] : v;
}
function compare(a, b) {
  const x = sortValue(a, state.sort), y = sortValue(b, state.sort);
  if (x === y) return (a.rank ?? 1e9) - (b.rank ?? 1e9);
  if (x === null || x === undefined) return 1;
  if (y === null || y === undefined) return -1;
  return (x < y ? -1 : 1) * (state.asc ? 1 : -1);
}
function metricBoxes() {
  const box = document.getElementById("metrics");
  box.querySelectorAll("label").forEach((l) => l.remove());
  for (const [key, label] of columns()) {
    if (FIXED.has(key)) continue;
    const l = document.createElement("label");
    const c = document.createElement("input");
    c.type = "checkbox"; c.value = key; c.checked = !state.hidden.has(key); c.dataset.metric = key;
    c.addEventListener("change", () => { if (c.checked) state.hidden.delete(key); else state.hidden.add(key); renderBoard(); });
    l.append(c, " " + label + " ");
    box.append(l);
  }
}
function renderBoard() {
  const table = document.getElementById("board");
  const cols = columns().filter(([key]) => !state.hidden.has(key));
  const head = document.createElement("tr");
  for (const [key, label] of cols) {
    const th = document.createElement("th");
    th.textContent = label; th.dataset.key = key;
    if (key === state.sort) th.className = state.asc ? "sorted-asc" : "sorted-desc";
    th.addEventListener("click", () => {
      state.asc = state.sort === key ? !state.asc : (key === "rank" || key === "name" || key === "rank_ci");
      state.sort = key; renderBoard();
    });
    head.append(th);
  }
  table.tHead.replaceChildren(head);
  const rows = [...DATA.boards[state.part]].sort(compare);
  const needle = state.filter.toLowerCase();
  const body = document.createDocumentFragment();
  let shown = 0;
  for (const row of rows) {
    const tr = document.createElement("tr");
    tr.dataset.m = row.m; tr.id = `row-${row.m}`;
    if (needle && !MODELS[row.m].name.toLowerCase().includes(needle)) tr.hidden = true; else shown++;
    if (state.selected === row.m) tr.className = "selected";
    for (const [key] of cols) {
      const td = document.createElement("td");
      if (key === "name") { const b = document.createElement("bdi"); b.textContent = cellText(row, key); td.append(b); td.className = "name"; td.title = MODELS[row.m].source; }
      else td.textContent = cellText(row, key);
      td.dataset.key = key;
      tr.append(td);
    }
    tr.addEventListener("click", () => select(row.m));
    body.append(tr);
  }
  table.tBodies[0].replaceChildren(body);
  document.getElementById("count").textContent = `${shown} of ${rows.length} models`;
  document.getElementById("board-note").textContent = isOverall()
    ? "Overall: the figure lmms-eval reports for the vscbench group, the plain mean of the two parts' means (models with both parts). Rank 95% CI: bootstrap interval of the rank."
    : "Ranked by the mean of SRA_u and SRA_s; each figure with its 95% bootstrap interval. Rank 95% CI: bootstrap interval of the rank.";
}
function select(m) {
  state.selected = state.selected === m ? null : m;
  document.querySelectorAll("#board tbody tr").forEach((tr) => tr.classList.toggle("selected", Number(tr.dataset.m) === state.selected));
  document.querySelectorAll(".heat tbody tr").forEach((tr) => tr.classList.toggle("selected", Number(tr.dataset.m) === state.selected));
  document.querySelectorAll("circle.pt").forEach((c) => c.classList.toggle("selected", Number(c.dataset.m) === state.selected));
  const row = document.getElementById(`row-${m}`);
  if (state.selected !== null && row) row.scrollIntoView({block: "nearest"});
}
function svgEl(name, attrs, parent) {
  const el = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  parent.append(el);
  return el;
}
function renderPlane(part) {
  const plane = DATA.planes[part];
  const size = 440, pad = 48, inner = size - 2 * pad;
  const [[x0, x1], [y0, y1]] = plane.limits;
  const X = (v) => pad + (v - x0) / (x1 - x0) * inner, Y = (v) => size - pad - (v - y0) / (y1 - y0) * inner;
  const wrap = document.createElement("figure");
  const svg = svgEl("svg", {class: "plane", id: `plane-${part}`, width: size, height: size, viewBox: `0 0 ${size} ${size}`}, wrap);
  const clip = svgEl("clipPath", {id: `clip-${part}`}, svgEl("defs", {}, svg));
  svgEl("rect", {x: pad, y: pad, width: inner, height: inner}, clip);
  svgEl("rect", {x: pad, y: pad, width: inner, height: inner, fill: "none", stroke: "#999"}, svg);
  const inside = svgEl("g", {"clip-path": `url(#clip-${part})`}, svg);
  svgEl("line", {x1: X(0), y1: Y(0), x2: X(1), y2: Y(1), stroke: "#999", "stroke-dasharray": "5 4"}, inside);
  svgEl("line", {x1: X(0), y1: Y(1), x2: X(1), y2: Y(0), stroke: "#999", "stroke-dasharray": "1 3"}, inside);
  for (let t = 0; t <= 1.0001; t += 0.1) {
    const v = Math.round(t * 10) / 10;
    if (v >= x0 && v <= x1) svgEl("text", {x: X(v), y: size - pad + 14, "text-anchor": "middle"}, svg).textContent = v.toFixed(1);
    if (v >= y0 && v <= y1) svgEl("text", {x: pad - 6, y: Y(v) + 4, "text-anchor": "end"}, svg).textContent = v.toFixed(1);
  }
  svgEl("text", {x: size / 2, y: size - 8, "text-anchor": "middle"}, svg).textContent = "SRA_s (safe inputs answered)";
  svgEl("text", {x: 12, y: size / 2, transform: `rotate(-90 12 ${size / 2})`, "text-anchor": "middle"}, svg).textContent = "SRA_u (unsafe inputs recognised)";
  svgEl("text", {x: size / 2, y: 18, "text-anchor": "middle", "font-weight": "bold"}, svg).textContent = `${plane.title} \u2014 ${DATA.judge}`;
  for (const p of plane.points) {
    if (p.s[1] !== null) svgEl("line", {class: "ci", x1: X(p.s[1]), x2: X(p.s[2]), y1: Y(p.u[0]), y2: Y(p.u[0])}, inside);
    if (p.u[1] !== null) svgEl("line", {class: "ci", x1: X(p.s[0]), x2: X(p.s[0]), y1: Y(p.u[1]), y2: Y(p.u[2])}, inside);
  }
  const tip = document.getElementById("tooltip");
  for (const p of plane.points) {
    const c = svgEl("circle", {class: "pt", id: `pt-${part}-${p.m}`, cx: X(p.s[0]), cy: Y(p.u[0]), r: 5}, inside);
    c.dataset.m = p.m;
    c.addEventListener("mouseover", (ev) => {
      const m = MODELS[p.m];
      tip.textContent = `#${m.number} ${m.name}\n${plane.title}\nSRA_s ${fmtInterval(p.s)}\nSRA_u ${fmtInterval(p.u)}`;
      tip.style.left = `${ev.pageX + 12}px`; tip.style.top = `${ev.pageY + 12}px`; tip.style.display = "block";
    });
    c.addEventListener("mouseout", () => { tip.style.display = "none"; });
    c.addEventListener("click", () => select(p.m));
  }
  document.getElementById("planes").append(wrap);
}
for (const [key, title] of Object.entries(DATA.board_titles)) {
  const option = document.createElement("option");
  option.value = key; option.textContent = title;
  document.getElementById("part").append(option);
}
document.getElementById("part").addEventListener("change", (ev) => {
  state.part = ev.target.value; state.sort = "rank"; state.asc = true; metricBoxes(); renderBoard();
});
document.getElementById("filter").addEventListener("input", (ev) => { state.filter = ev.target.value; renderBoard(); });
document.querySelectorAll(".heat tbody tr").forEach((tr) => tr.addEventListener("click", () => select(Number(tr.dataset.m))));
metricBoxes(); renderBoard(); renderPlane("image"); renderPlane("text");
document.body.dataset.ready = "1";
