// What the job page and the dashboard share: the live feed, number and time formats, the header.
"use strict";

/** Calls `onUpdate({job, dashboard})` with every update the server sends (server-sent events). */
function subscribe(onUpdate) {
  const events = new EventSource("/events");
  events.addEventListener("update", (event) => onUpdate(JSON.parse(event.data)));
  // EventSource reconnects by itself; once the job's process is gone there is nothing to reconnect to.
  events.onerror = () => document.body.classList.add("disconnected");
  events.onopen = () => document.body.classList.remove("disconnected");
  return events;
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const money2 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function formatCount(n) {
  return integer.format(n);
}

function formatRate(perSecond) {
  return `${perSecond >= 100 ? integer.format(perSecond) : oneDecimal.format(perSecond)}/s`;
}

function formatMoney(rupees) {
  return money2.format(rupees);
}

/** A watermark as the page shows it: a UTC time, or what an infinite one means. */
function formatWatermark(w) {
  if (w === "-inf") return "no data yet";
  if (w === "+inf") return "done (+∞)";
  return new Date(w).toISOString().slice(11, 23) + " UTC";
}

function formatDuration(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${oneDecimal.format(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** The header's state badge and elapsed time. */
function showJobState(job) {
  const state = document.getElementById("job-state");
  state.textContent = job.state;
  state.dataset.state = job.state;
  document.getElementById("elapsed").textContent = formatDuration(job.elapsedMs);
  const reason = document.getElementById("drain-reason");
  if (reason) reason.textContent = job.drainReason ? `(${job.drainReason})` : "";
  const running = job.state === "RUNNING" || job.state === "DRAINING";
  for (const id of ["drain", "cancel"]) {
    const button = document.getElementById(id);
    if (button) button.disabled = !running || (id === "drain" && job.state === "DRAINING");
  }
}

/** An element with text and optional attributes (children appended as given). */
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

/** Replaces the rows of table body `id` with `rows` (arrays of cells, or [cells, attributes]). */
function fillTable(id, rows) {
  const body = document.getElementById(id);
  body.replaceChildren(
    ...rows.map(({ cells, attributes }) => el("tr", attributes, ...cells.map((c) => (c instanceof Node && c.tagName === "TD" ? c : el("td", {}, c))))),
  );
}
