// The platform health page's charts: fetches the console's JSON report (the console asks
// Prometheus, never the browser), draws each chart with uPlot and refreshes the tables of latest
// values, the services' states and the Prometheus warning, every refresh_seconds while the tab is
// visible. Without this script the page still shows the tables as the server rendered them.
import uPlot from "/static/uplot/uPlot.esm.js";

// GOV.UK colours, in the order of the .console-swatch--N classes in console.css.
const COLOURS = ["#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#d53880", "#28a197", "#505a5f"];
const HEIGHT = 240;

const root = document.getElementById("health");
const plots = new Map();

function tick(unit) {
  const number = (v, digits) => v.toLocaleString("en-GB", { maximumFractionDigits: digits });
  if (unit === "ratio") return (v) => `${number(v * 100, 1)}%`;
  if (unit === "seconds") return (v) => `${number(v, 2)} s`;
  if (unit === "per_second") return (v) => `${number(v, 2)}/s`;
  return (v) => number(v, 0);
}

// The y axis starts at 0 and ends a little above the highest value (a share never above 100%).
function top(unit, max) {
  if (unit === "ratio") return Math.min(1, Math.max(max * 1.2, 0.01));
  return Math.max(max * 1.1, 0.001);
}

function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}

function draw(chart) {
  const target = document.getElementById(`chart-${chart.id}`);
  if (!target) return;
  plots.get(chart.id)?.destroy();
  plots.delete(chart.id);
  target.dataset.drawn = "false";
  if (!chart.series.length) return; // nothing measured yet: the table below says "No data"
  // From the first point with a value: a platform started a few minutes ago fills the width.
  const first = Math.max(0, chart.times.findIndex((t, i) => chart.series.some((s) => s.values[i] !== null)));
  const times = chart.times.slice(first);
  if (!times.length) return;
  const format = tick(chart.unit);
  const clock = (t) => new Date(t * 1000).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  const options = {
    width: Math.max(target.clientWidth, 300),
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { y: { range: (u, min, max) => [Math.min(0, min ?? 0), top(chart.unit, max ?? 0)] } },
    axes: [{ values: (u, splits) => splits.map(clock) }, { size: 70, values: (u, splits) => splits.map(format) }],
    series: [{}, ...chart.series.map((s, i) => ({
      label: s.name, stroke: COLOURS[i % COLOURS.length], width: 2, points: { size: 5 },
    }))],
  };
  const data = [times, ...chart.series.map((s) => s.values.slice(first))];
  plots.set(chart.id, new uPlot(options, data, target));
  target.dataset.drawn = "true";
}

function latestValues(chart) {
  const body = document.querySelector(`#chart-${chart.id}-latest tbody`);
  if (!body) return;
  const rows = chart.series.map((s, i) => {
    const row = element("tr", "govuk-table__row");
    const name = element("th", "govuk-table__header");
    name.scope = "row";
    const swatch = element("span", `console-swatch console-swatch--${i % COLOURS.length}`);
    swatch.setAttribute("aria-hidden", "true");
    name.append(swatch, s.name);
    row.append(name, element("td", "govuk-table__cell govuk-table__cell--numeric", s.latest_text));
    return row;
  });
  if (!rows.length) {
    const row = element("tr", "govuk-table__row");
    const cell = element("td", "govuk-table__cell", "No data");
    cell.colSpan = 2;
    row.append(cell);
    rows.push(row);
  }
  body.replaceChildren(...rows);
}

function targets(found) {
  const body = document.querySelector("#health-targets tbody");
  if (!body) return;
  const rows = found.map((t) => {
    const row = element("tr", "govuk-table__row");
    const state = element("td", "govuk-table__cell");
    state.append(element("strong", `govuk-tag govuk-tag--${t.up ? "green" : "red"}`, t.up ? "Up" : "Down"));
    row.append(element("td", "govuk-table__cell", t.job), element("td", "govuk-table__cell", t.instance), state);
    return row;
  });
  if (!rows.length) {
    const row = element("tr", "govuk-table__row");
    const cell = element("td", "govuk-table__cell", "No services known to Prometheus");
    cell.colSpan = 3;
    row.append(cell);
    rows.push(row);
  }
  body.replaceChildren(...rows);
}

function status(message) {
  const region = document.getElementById("health-status");
  const current = region.querySelector(".govuk-warning-text__text")?.dataset.message ?? null;
  if (current === message) return;
  if (!message) {
    region.replaceChildren();
    return;
  }
  const warning = element("div", "govuk-warning-text");
  const icon = element("span", "govuk-warning-text__icon", "!");
  icon.setAttribute("aria-hidden", "true");
  const text = element("strong", "govuk-warning-text__text");
  text.dataset.message = message;
  text.append(element("span", "govuk-visually-hidden", "Warning"), ` ${message}`);
  warning.append(icon, text);
  region.replaceChildren(warning);
}

function show(report) {
  status(report.available ? null : `Prometheus is not answering, so there is nothing to show: ${report.message}.`);
  targets(report.targets);
  for (const chart of report.charts) {
    draw(chart);
    latestValues(chart);
  }
  root.dataset.updatedAt = String(Date.now());
}

if (root) {
  let last = null;
  let interval = Number(root.dataset.refreshSeconds || 15) * 1000;
  const refresh = async () => {
    if (document.hidden) return setTimeout(refresh, interval);
    try {
      const response = await fetch(root.dataset.healthUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok || !(response.headers.get("content-type") || "").includes("json")) {
        throw new Error(`HTTP ${response.status}`);
      }
      last = await response.json();
      show(last);
      interval = Number(last.refresh_seconds || 15) * 1000;
    } catch (error) {
      status("The console could not refresh these figures; it will try again. Reload the page if you were signed out.");
      interval = Math.min(interval * 2, 120000);
    }
    setTimeout(refresh, interval);
  };
  refresh();
  let resizing;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => last && last.charts.forEach(draw), 200);
  });
}
