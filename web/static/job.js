// The job page: everything /api/job says, refreshed by the server's events.
"use strict";

const graph = new JobGraphView(document.getElementById("graph"), document.getElementById("stage-legend"));
document.getElementById("expand-all").addEventListener("click", () => graph.expandAll());
document.getElementById("collapse-all").addEventListener("click", () => graph.collapseAll());

for (const action of ["drain", "cancel"]) {
  document.getElementById(action).addEventListener("click", async (event) => {
    event.target.disabled = true;
    await fetch(`/api/${action}`, { method: "POST" });
  });
}

function num(text) {
  return el("td", { class: "num" }, text);
}

function showStages(job) {
  fillTable(
    "stages",
    job.stages.map((s) => ({
      attributes: { "data-stage": s.id, "data-input-watermark": s.inputWatermark, "data-output-watermark": s.outputWatermark },
      cells: [
        el("td", {}, el("b", {}, s.id), " ", el("span", { class: "muted" }, s.rootKind)),
        el(
          "td",
          {},
          el("details", {}, el("summary", {}, `${s.steps.length} steps, from ${s.name}`), el("div", { class: "mono" }, s.steps.map((id) => job.steps.find((step) => step.id === id).name).join("\n"))),
        ),
        num(formatCount(s.elements)),
        num(formatRate(s.ratePerSecond)),
        num(formatCount(s.pending)),
        formatWatermark(s.inputWatermark),
        formatWatermark(s.outputWatermark),
        num(formatDuration(s.dataFreshnessMs)),
        num(formatDuration(s.systemLagMs)),
      ],
    })),
  );
}

function showSources(job) {
  fillTable(
    "sources",
    job.sources.map((s) => ({
      attributes: { "data-source": s.name },
      cells: [
        s.name,
        num(formatCount(s.read)),
        num(formatRate(s.readPerSecond)),
        num(s.report.outstanding === undefined ? "—" : formatCount(s.report.outstanding)),
        num(s.report.acknowledged === undefined ? "—" : formatCount(s.report.acknowledged)),
        num(s.report.duplicates === undefined ? "—" : formatCount(s.report.duplicates)),
        num(s.report.ackLatencyP50Ms === undefined ? "—" : `${formatDuration(s.report.ackLatencyP50Ms)} / ${formatDuration(s.report.ackLatencyP99Ms)}`),
      ],
    })),
  );
}

function showSinks(job) {
  fillTable(
    "sinks",
    job.sinks.map((s) => ({
      attributes: { "data-sink": s.name },
      cells: [
        s.name,
        num(formatCount(s.received)),
        num(formatCount(s.written)),
        num(formatRate(s.writesPerSecond)),
        num(s.writeLagMeanMs === null ? "—" : `${formatDuration(s.writeLagMeanMs)} / ${formatDuration(s.writeLagMaxMs)}`),
        num(s.retries === null ? "—" : formatCount(s.retries)),
      ],
    })),
  );
}

function showDeadLetters(job) {
  document.getElementById("dead-letter-total").textContent = formatCount(job.deadLetters.total);
  fillTable(
    "dead-letters",
    job.deadLetters.reasons.map((r) => ({
      attributes: { "data-step": r.step, "data-field": r.field || "" },
      cells: [
        r.step,
        r.field || el("span", { class: "muted" }, "(whole record)"),
        num(formatCount(r.count)),
        el(
          "td",
          {},
          el(
            "details",
            {},
            el("summary", {}, r.samples[0] ? r.samples[0].reason : ""),
            ...r.samples.map((s) => el("div", { class: "mono" }, `${s.origin || "?"}: ${s.reason}\n  ${s.input}`)),
          ),
        ),
      ],
    })),
  );
}

function showErrors(job) {
  const list = document.getElementById("errors");
  list.replaceChildren(
    ...(job.errors.length
      ? job.errors.map((e) => el("li", { class: "error" }, e.step ? el("b", {}, e.step + ": ") : "", e.message))
      : [el("li", { class: "muted" }, "none")]),
  );
  const d = job.dropped;
  document.getElementById("dropped").textContent = d.late || d.closedWindow ? `dropped: ${d.late} too late for their window, ${d.closedWindow} after it closed` : "";
}

function showSteps(job) {
  fillTable(
    "steps",
    job.steps.map((s) => ({
      attributes: { "data-step": s.name, "data-in": s.elementsIn, "data-out": s.elementsOut },
      cells: [
        el("td", { class: "mono", style: `padding-left:${8 + 14 * (s.name.split("/").length - 1)}px` }, s.label),
        s.stages.join(", "),
        num(s.inputs.length ? formatCount(s.elementsIn) : "—"),
        num(formatCount(s.elementsOut)),
        num(formatRate(s.ratePerSecond)),
        el("td", { class: `state-${s.state}` }, s.state),
      ],
    })),
  );
}

function show(job) {
  showJobState(job);
  graph.update(job);
  showStages(job);
  showSources(job);
  showSinks(job);
  showDeadLetters(job);
  showErrors(job);
  showSteps(job);
}

fetch("/api/job").then((r) => r.json()).then(show);
subscribe((update) => show(update.job));
