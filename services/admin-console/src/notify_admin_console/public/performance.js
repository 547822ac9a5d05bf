// The performance page's charts: fetches the console's JSON report (the console asks the
// analytics service, never the browser) and draws messages sent per day by channel and the share
// sent within 10 seconds per day with uPlot. Without this script the page still shows the tables.
import uPlot from "/static/uplot/uPlot.esm.js";

// GOV.UK colours, in the order of the .console-swatch--N classes in console.css.
const COLOURS = ["#1d70b8", "#d4351c", "#00703c"];
const HEIGHT = 240;
const root = document.getElementById("performance");

function days(report) {
  return report.days.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000);
}

function dayLabel(t) {
  return new Date(t * 1000).toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
}

// Whole numbers for counts, 0-100% for shares.
const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 1000000];

function plot(target, series, data, format, y) {
  target.replaceChildren();
  const options = {
    width: Math.max(target.clientWidth, 300),
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { y },
    axes: [
      { values: (u, splits) => splits.map(dayLabel) },
      { size: 70, values: (u, splits) => splits.map(format), incrs: y.incrs },
    ],
    series: [{}, ...series],
  };
  new uPlot(options, data, target);
  target.dataset.drawn = "true";
}

function draw(report) {
  if (!report.available || !report.days.length) return;
  const times = days(report);
  const sent = document.getElementById("chart-sent");
  const count = (v) => v.toLocaleString("en-GB", { maximumFractionDigits: 0 });
  plot(
    sent,
    report.channels.map((c, i) => ({ label: c.name, stroke: COLOURS[i], width: 2, points: { size: 6 } })),
    [times, ...report.channels.map((c) => report.days.map((d) => d.sent[c.key]))],
    count,
    { range: (u, min, max) => [0, Math.max(max ?? 0, 1)], incrs: COUNT_STEPS },
  );
  const within = document.getElementById("chart-within");
  plot(
    within,
    [{ label: "Within 10 seconds", stroke: COLOURS[0], width: 2, points: { size: 6 } }],
    [times, report.days.map((d) => d.share_within_10_seconds)],
    (v) => `${(v * 100).toLocaleString("en-GB", { maximumFractionDigits: 1 })}%`,
    { range: [0, 1] },
  );
}

async function refresh() {
  try {
    const response = await fetch(root.dataset.performanceUrl, { headers: { Accept: "application/json" } });
    if (response.ok) draw(await response.json());
  } catch {
    // The tables the server rendered stay as they are.
  }
}

if (root) refresh();
