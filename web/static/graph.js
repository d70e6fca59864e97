// The job graph: steps from the pipeline proto laid out top to bottom in layers, composites as
// dashed boxes that open into a cluster of their children, fused stages as colored stripes.
"use strict";

const NODE_W = 230;
const NODE_H = 54;
const GAP_X = 26;
const GAP_Y = 44;
const MARGIN = 16;
const CLUSTER_PAD = 10;
const CLUSTER_LABEL = 16;
const SVG_NS = "http://www.w3.org/2000/svg";
const STAGE_COLORS = ["#5b8def", "#e8833a", "#3fae6a", "#a35bd6", "#d6455b", "#2bb5b8", "#b8a12b", "#7a7f8c"];

function svg(tag, attributes, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

function truncated(text, max) {
  return text.length <= max ? text : text.slice(0, max - 1) + "…";
}

class JobGraphView {
  constructor(container, legend) {
    this.container = container;
    this.legend = legend;
    this.expanded = new Set();
    this.structure = "";
    this.job = undefined;
  }

  /** Shows `job` (a JobView): redraws when what is visible changed, else updates figures in place. */
  update(job) {
    this.job = job;
    if (job.steps.length === 0) {
      this.structure = "";
      this.container.textContent = "waiting for the job to start…";
      return;
    }
    this.steps = new Map(job.steps.map((s) => [s.id, s]));
    this.stageColor = new Map(job.stages.map((s, i) => [s.id, STAGE_COLORS[i % STAGE_COLORS.length]]));
    const structure = job.steps.map((s) => s.id).join() + "|" + [...this.expanded].sort().join();
    if (structure !== this.structure) {
      this.structure = structure;
      this.draw();
    }
    this.refreshFigures();
  }

  expandAll() {
    for (const s of this.job.steps) if (s.composite) this.expanded.add(s.id);
    this.update(this.job);
  }

  collapseAll() {
    this.expanded.clear();
    this.update(this.job);
  }

  toggle(id) {
    if (this.expanded.has(id)) this.expanded.delete(id);
    else this.expanded.add(id);
    this.update(this.job);
  }

  /** The box a step is drawn in: itself, or the outermost closed composite around it. */
  representative(id) {
    const chain = [];
    for (let s = this.steps.get(id); s; s = s.parent ? this.steps.get(s.parent) : undefined) chain.unshift(s);
    return (chain.find((s) => !(s.composite && this.expanded.has(s.id))) || chain[chain.length - 1]).id;
  }

  /**
   * A compound layout: each open composite is laid out on its own as a block (its children in layers,
   * closed ones as boxes, open ones as nested blocks), and is then one item of its parent's layers, so
   * clusters never overlap. Edges join the boxes that show each end.
   */
  layout() {
    const leaves = this.job.steps.filter((s) => !s.composite);
    const producer = new Map();
    for (const leaf of leaves) for (const pc of leaf.outputs) producer.set(pc, leaf.id);
    const leafEdges = [];
    for (const leaf of leaves) {
      for (const pc of leaf.inputs) if (producer.has(pc)) leafEdges.push([producer.get(pc), leaf.id]);
    }
    const ancestry = (id) => {
      const chain = [];
      for (let s = this.steps.get(id); s; s = s.parent ? this.steps.get(s.parent) : undefined) chain.unshift(s.id);
      return chain;
    };
    const nodes = [];
    const clusters = [];
    const position = new Map();

    /** Lays out `ids` (siblings); returns the block's size and a function placing it at (x, y). */
    const block = (ids) => {
      const members = new Set(ids);
      const items = ids.map((id, order) => {
        const s = this.steps.get(id);
        if (s.composite && this.expanded.has(id)) {
          const inner = block(s.children);
          return { id, order, inner, w: inner.w + 2 * CLUSTER_PAD, h: inner.h + 2 * CLUSTER_PAD + CLUSTER_LABEL };
        }
        return { id, order, w: NODE_W, h: NODE_H };
      });
      const byId = new Map(items.map((i) => [i.id, i]));
      const preds = new Map(ids.map((id) => [id, new Set()]));
      for (const [from, to] of leafEdges) {
        const a = ancestry(from).find((x) => members.has(x));
        const b = ancestry(to).find((x) => members.has(x));
        if (a !== undefined && b !== undefined && a !== b) preds.get(b).add(a);
      }
      // Layers: the longest path from a first item (a cycle between closed composites is cut where found).
      const layer = new Map();
      const visiting = new Set();
      const layerOf = (id) => {
        if (layer.has(id)) return layer.get(id);
        if (visiting.has(id)) return 0;
        visiting.add(id);
        let l = 0;
        for (const p of preds.get(id)) l = Math.max(l, layerOf(p) + 1);
        visiting.delete(id);
        layer.set(id, l);
        return l;
      };
      ids.forEach(layerOf);
      const rows = [];
      for (const item of items) (rows[layer.get(item.id)] ||= []).push(item);
      // Within a layer: by the mean slot of each item's predecessors (fewer crossings), then pipeline order.
      const slot = new Map();
      for (const row of rows.filter(Boolean)) {
        const weight = (item) => {
          const ps = [...preds.get(item.id)].filter((p) => slot.has(p));
          return ps.length ? ps.reduce((sum, p) => sum + slot.get(p), 0) / ps.length : item.order / 1000;
        };
        row.sort((a, b) => weight(a) - weight(b) || a.order - b.order);
        row.forEach((item, i) => slot.set(item.id, i));
      }
      const filled = rows.filter(Boolean);
      const rowWidth = (row) => row.reduce((w, item) => w + item.w, 0) + GAP_X * (row.length - 1);
      const w = Math.max(NODE_W, ...filled.map(rowWidth));
      const rowHeights = filled.map((row) => Math.max(...row.map((item) => item.h)));
      const h = rowHeights.reduce((sum, rh) => sum + rh, 0) + GAP_Y * (filled.length - 1);
      const place = (x0, y0) => {
        let y = y0;
        filled.forEach((row, r) => {
          let x = x0 + (w - rowWidth(row)) / 2;
          for (const item of row) {
            const top = y + (rowHeights[r] - item.h) / 2;
            if (item.inner) {
              clusters.push({ id: item.id, x, y: top, w: item.w, h: item.h });
              item.inner.place(x + CLUSTER_PAD, top + CLUSTER_PAD + CLUSTER_LABEL);
            } else {
              nodes.push(item.id);
              position.set(item.id, { x, y: top });
            }
            x += item.w + GAP_X;
          }
          y += rowHeights[r] + GAP_Y;
        });
      };
      return { w, h, place };
    };
    const whole = block(this.job.roots);
    whole.place(MARGIN, MARGIN);
    const edges = new Set();
    for (const [from, to] of leafEdges) {
      const a = this.representative(from);
      const b = this.representative(to);
      if (a !== b) edges.add(a + "\u0000" + b);
    }
    return { nodes, clusters, edges, position, width: whole.w + 2 * MARGIN, height: whole.h + 2 * MARGIN };
  }

  draw() {
    const { nodes, clusters, edges, position, width, height } = this.layout();
    const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "job graph" });
    root.append(
      svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, svg("path", { d: "M0,0 L10,5 L0,10 z", fill: "#98a2b3" }))),
    );
    // Open composites behind everything, outermost first (the layout placed them so).
    for (const { id, x, y, w, h } of clusters) {
      const step = this.steps.get(id);
      const label = svg("text", { x: x + 8, y: y + 15 }, `▾ ${truncated(step.label, Math.max(12, Math.floor(w / 7)))}`);
      label.addEventListener("click", () => this.toggle(id));
      root.append(svg("g", { class: "cluster", "data-composite": step.name }, svg("title", {}, step.name), svg("rect", { x, y, width: w, height: h }), label));
    }
    for (const edge of edges) {
      const [a, b] = edge.split("\u0000");
      const p = position.get(a);
      const q = position.get(b);
      const x1 = p.x + NODE_W / 2, y1 = p.y + NODE_H, x2 = q.x + NODE_W / 2, y2 = q.y;
      const bend = Math.max(20, Math.abs(y2 - y1) / 2);
      root.append(svg("path", { class: "edge", d: `M${x1},${y1} C${x1},${y1 + bend} ${x2},${y2 - bend} ${x2},${y2}`, "marker-end": "url(#arrow)" }));
    }
    for (const id of nodes) {
      const s = this.steps.get(id);
      const { x, y } = position.get(id);
      const g = svg("g", { class: s.composite ? "node composite" : "node", transform: `translate(${x},${y})`, "data-id": id, "data-step": s.name });
      g.append(svg("title", {}, `${s.name}${s.urn ? `\n${s.urn}` : ""}\nstage${s.stages.length > 1 ? "s" : ""}: ${s.stages.join(", ") || "none"}`));
      g.append(svg("rect", { class: "box", width: NODE_W, height: NODE_H }));
      // One stripe per fused stage the step runs in (a closed composite may span several).
      const stripe = (NODE_H - 12) / Math.max(1, s.stages.length);
      s.stages.forEach((stage, i) => g.append(svg("rect", { x: 0, y: 6 + i * stripe, width: 5, height: Math.max(2, stripe - 1), fill: this.stageColor.get(stage) })));
      g.append(svg("text", { class: "label", x: 12, y: 20 }, (s.composite ? "▸ " : "") + truncated(s.label, 30)));
      g.append(svg("text", { class: "figures", x: 12, y: 40 }));
      if (s.composite) g.addEventListener("click", () => this.toggle(id));
      root.append(g);
    }
    this.container.replaceChildren(root);
    this.legend.replaceChildren(
      ...this.job.stages.map((stage) => el("span", { style: `--swatch:${this.stageColor.get(stage.id)}`, "data-stage": stage.id }, `${stage.id}: ${truncated(stage.name, 48)}`)),
    );
  }

  refreshFigures() {
    for (const g of this.container.querySelectorAll("g.node")) {
      const s = this.steps.get(g.dataset.id);
      g.dataset.state = s.state;
      const inText = s.inputs.length ? `in ${formatCount(s.elementsIn)}` : "source";
      g.querySelector("text.figures").textContent = `${inText} · out ${formatCount(s.elementsOut)} · ${formatRate(s.ratePerSecond)} · ${s.state}`;
    }
  }
}
