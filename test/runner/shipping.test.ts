/**
 * The worker-thread executor's choice per stage (runners/direct/execution/shipping.ts), fed the
 * timings a bundle would report: threads are started only for a bundle whose work left pays for
 * their start — a file's splits do, a bundle of cheap messages never does, however slow its first
 * elements (JIT warm-up, clients created); over a bounded input whose first element alone uses
 * {@link EARLY_START_CPU_MS} of CPU they are started at once — and once threads run, shipping goes on only while it
 * makes bundles finish sooner.
 */
import { expect } from "chai";
import { EARLY_START_CPU_MS, POOL_START_MS, PROBE_ELEMENTS, ShippingChoice, type PoolState } from "../../runners/direct/execution/shipping";

/** Runs a bundle of `elements` through `choice` at `msPerElement` (its first ones at `firstMs`); what it did. */
function runBundle(choice: ShippingChoice, elements: number, msPerElement: number, pool: PoolState, firstMs: number[] = []): { pieces: number[]; shipped: number } {
  const pieces: number[] = [];
  let done = 0;
  do {
    const next = choice.next(elements - done, pool);
    if (next === "ship") return { pieces, shipped: elements - done };
    expect(next, "a piece of what is left").to.be.within(Math.min(1, elements - done), elements - done);
    let ms = 0;
    for (let i = done; i < done + next; i++) ms += firstMs[i] ?? msPerElement;
    choice.ranHere(ms, next, pool, ms);
    pieces.push(next);
    done += next;
  } while (done < elements);
  return { pieces, shipped: 0 };
}

describe("shipping a stage's bundles to worker threads", () => {
  it("a split of a large file (300 ms an element) starts the threads after two elements run here", () => {
    const choice = new ShippingChoice();
    const { pieces, shipped } = runBundle(choice, 64, 300, "none");
    expect(pieces).to.deep.equal([1, 1]);
    expect(shipped).to.equal(62);
  });

  it("bundles of messages (0.2 ms each, the first two 120 and 20 ms) never start them, and run whole once measured", () => {
    const choice = new ShippingChoice();
    const first = runBundle(choice, 100, 0.2, "none", [120, 20]);
    expect(first.shipped).to.equal(0);
    expect(first.pieces.reduce((a, b) => a + b, 0)).to.equal(100);
    expect(first.pieces.length, "pieces measuring the first bundle").to.be.at.most(6);
    // The sample (50 ms) completes within the next bundle; every bundle after it runs whole.
    expect(runBundle(choice, 1000, 0.2, "none").shipped).to.equal(0);
    for (let bundle = 0; bundle < 50; bundle++) expect(runBundle(choice, 1000, 0.2, "none")).to.deep.equal({ pieces: [1000], shipped: 0 });
  });

  it("a bundle whose work left exceeds a pool's start ships; one just below it does not", () => {
    const perElement = 2;
    const elements = POOL_START_MS / perElement;
    const measured = () => {
      const choice = new ShippingChoice();
      runBundle(choice, 100, perElement, "none");
      return choice;
    };
    expect(measured().next(elements, "none")).to.equal("ship");
    expect(measured().next(elements - 1, "none")).to.equal(elements - 1);
    expect(measured().next(elements, "starting"), "threads still starting: the same rule").to.equal("ship");
  });

  it("with threads started, probes by shipping, then keeps bundles here while shipped ones took longer per element", () => {
    const choice = new ShippingChoice();
    let shippedElements = 0;
    while (choice.next(100, "started") === "ship") {
      choice.shipped(100 * 0.5, 100);
      shippedElements += 100;
    }
    expect(shippedElements, "the probe").to.equal(PROBE_ELEMENTS);
    choice.ranHere(100 * 0.2, 100, "started", 100 * 0.2);
    expect(choice.next(100, "started"), "here is faster").to.equal(100);
    // Kept bundles pay for a probe now and then: within 2% of the time they ran here.
    let keptMs = 0;
    while (choice.next(100, "started") !== "ship") {
      choice.ranHere(100 * 0.2, 100, "started", 100 * 0.2);
      keptMs += 20;
      expect(keptMs, "a probe comes").to.be.below(100_000);
    }
    expect(keptMs).to.be.at.least((PROBE_ELEMENTS * 0.5) / 0.02 - 20);
  });

  it("with threads started, ships on while shipped bundles finish sooner", () => {
    const choice = new ShippingChoice();
    while (choice.next(1000, "started") === "ship") choice.shipped(1000 * 0.1, 1000);
    choice.ranHere(1000 * 0.3, 1000, "started", 1000 * 0.3);
    expect(choice.next(1000, "started")).to.equal("ship");
  });

  it("over a bounded input, a first run using enough CPU starts the threads at once; a cheap one, or an unbounded input, does not", () => {
    const startsEarly = (bounded: boolean, firstCpuMs: number, pool: PoolState = "none") => {
      const choice = new ShippingChoice(bounded);
      expect(choice.startsPoolEarly(pool), "before any run").to.equal(false);
      choice.ranHere(firstCpuMs * 3, 1, pool, firstCpuMs);
      return choice.startsPoolEarly(pool);
    };
    expect(startsEarly(true, EARLY_START_CPU_MS), "a file's split step").to.equal(true);
    expect(startsEarly(true, EARLY_START_CPU_MS - 1), "elapsed time does not count, CPU does").to.equal(false);
    expect(startsEarly(true, 7), "a short job's first element").to.equal(false);
    expect(startsEarly(false, 120), "a streaming source's first message").to.equal(false);
    expect(startsEarly(true, 300, "starting"), "threads already starting").to.equal(false);
    // Only the first run counts: later costly runs go by the work left (POOL_START_MS).
    const choice = new ShippingChoice(true);
    choice.ranHere(5, 1, "none", 5);
    choice.ranHere(300, 1, "none", 300);
    expect(choice.startsPoolEarly("none")).to.equal(false);
  });
});
