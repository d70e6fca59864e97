// The aggregates dashboard: revenue per minute per category (uPlot, pane timing as markers), the
// per-category totals, the latest panes, and the top-5 channels and states.
"use strict";

const CATEGORY_COLORS = ["#5b8def", "#e8833a", "#3fae6a", "#a35bd6", "#d6455b", "#2bb5b8", "#b8a12b", "#7a7f8c"];
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
let chart;
let chartCategories = "";
/** The latest pane of each (category, minute in seconds), with its earlier panes, for the markers. */
let panes = new Map();

/** One pane's marker: ○ early, ● on time, ◆ late. */
function marker(ctx, x, y, r, timing, color) {
  ctx.beginPath();
  ctx.strokeStyle = color;
  if (timing === "LATE") {
    ctx.moveTo(x, y - r * 1.4);
    ctx.lineTo(x + r * 1.4, y);
    ctx.lineTo(x, y + r * 1.4);
    ctx.lineTo(x - r * 1.4, y);
    ctx.closePath();
    ctx.fillStyle = "#c4320a";
  } else {
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.fillStyle = timing === "ON_TIME" ? color : "#fff";
  }
  ctx.fill();
  ctx.stroke();
}

/** Marks every pane of each minute at its revenue: the earlier ones small, the latest one large. */
function drawPaneMarkers(u) {
  const ctx = u.ctx;
  ctx.save();
  ctx.lineWidth = 2 * uPlot.pxRatio;
  u.series.forEach((series, i) => {
    if (i === 0 || !series.show) return;
    const color = CATEGORY_COLORS[(i - 1) % CATEGORY_COLORS.length];
    for (const x of u.data[0]) {
      const pane = panes.get(`${series.label}\u0000${x}`);
      if (!pane) continue;
      const px = u.valToPos(x, "x", true);
      for (const earlier of pane.earlier) marker(ctx, px, u.valToPos(earlier.revenue, "y", true), 3 * uPlot.pxRatio, earlier.timing, color);
      marker(ctx, px, u.valToPos(pane.revenue, "y", true), 5 * uPlot.pxRatio, pane.timing, color);
    }
  });
  ctx.restore();
}

function showChart(dashboard) {
  const container = document.getElementById("revenue-chart");
  const categories = [...new Set(dashboard.minutes.map((m) => m.category))].sort();
  const xs = [...new Set(dashboard.minutes.map((m) => m.minuteStartMs / 1000))].sort((a, b) => a - b);
  panes = new Map(dashboard.minutes.map((m) => [`${m.category}\u0000${m.minuteStartMs / 1000}`, m]));
  const data = [xs, ...categories.map((c) => xs.map((x) => (panes.has(`${c}\u0000${x}`) ? panes.get(`${c}\u0000${x}`).revenue : null)))];
  if (xs.length === 0) return;
  if (chart === undefined || categories.join() !== chartCategories) {
    chartCategories = categories.join();
    if (chart) chart.destroy();
    chart = new uPlot(
      {
        width: Math.max(400, container.clientWidth),
        height: 320,
        scales: {
          // Set below: a few minutes either side of the data, so that one minute is a point in time, not a day.
          x: { time: true, auto: false },
          y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] },
        },
        series: [
          { label: "minute (UTC)", value: (u, v) => (v === null ? "—" : new Date(v * 1000).toISOString().slice(11, 16)) },
          ...categories.map((c, i) => ({
            label: c,
            stroke: CATEGORY_COLORS[i % CATEGORY_COLORS.length],
            width: 2,
            points: { show: false },
            value: (u, v) => (v === null ? "—" : formatMoney(v)),
          })),
        ],
        axes: [{}, { size: 60, values: (u, values) => values.map((v) => compact.format(v)) }],
        hooks: { draw: [drawPaneMarkers] },
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      },
      data,
      container,
    );
  } else {
    chart.setData(data);
  }
  chart.setScale("x", { min: xs[0] - 150, max: xs[xs.length - 1] + 150 });
}

function bars(id, rows, label, value, format) {
  const max = Math.max(1, ...rows.map(value));
  document.getElementById(id).replaceChildren(
    ...rows.map((row, i) =>
      el(
        "div",
        { class: "bar", "data-name": label(row), "data-value": value(row) },
        el("span", {}, `${i + 1}. ${label(row)}`),
        el("span", {}, el("div", { class: "fill", style: `width:${(100 * value(row)) / max}%` })),
        el("span", { class: "value" }, format(value(row))),
      ),
    ),
  );
}

function show(dashboard) {
  showChart(dashboard);
  fillTable(
    "category-totals",
    dashboard.categories.map((c) => ({
      attributes: { "data-category": c.category, "data-revenue": c.revenue.toFixed(2), "data-count": c.count },
      cells: [c.category, el("td", { class: "num" }, formatMoney(c.revenue)), el("td", { class: "num" }, formatCount(c.count))],
    })),
  );
  document.getElementById("panes-early").textContent = formatCount(dashboard.panes.EARLY);
  document.getElementById("panes-on-time").textContent = formatCount(dashboard.panes.ON_TIME);
  document.getElementById("panes-late").textContent = formatCount(dashboard.panes.LATE);
  fillTable(
    "recent-panes",
    dashboard.recentPanes.map((p) => ({
      attributes: { "data-timing": p.timing },
      cells: [
        new Date(p.minuteStartMs).toISOString().slice(11, 16),
        p.category,
        el("td", { class: `pane-${p.timing}` }, p.timing.replace("_", "-").toLowerCase()),
        el("td", { class: "num" }, p.update),
        el("td", { class: "num" }, formatMoney(p.revenue)),
        el("td", { class: "num" }, formatCount(p.count)),
      ],
    })),
  );
  bars("top-channels", dashboard.topChannels, (c) => c.salesChannel, (c) => c.revenue, (v) => `₹ ${formatMoney(v)}`);
  bars("top-states", dashboard.topStates, (s) => s.customerState, (s) => s.quantity, formatCount);
}

fetch("/api/dashboard").then((r) => r.json()).then(show);
fetch("/api/job").then((r) => r.json()).then(showJobState);
subscribe((update) => {
  showJobState(update.job);
  show(update.dashboard);
});
