/**
 * The parts the worker-thread executor cuts a bundle into (runners/direct/execution/bundle_parts.ts):
 * contiguous, in input order, every element once, shrinking towards the end of the bundle; a part
 * queued on a thread behind the one it runs is the smallest, and none is queued at the very end.
 */
import { expect } from "chai";
import { BundleParts } from "../../runners/direct/execution/bundle_parts";

function allParts<T>(elements: T[], threads: number): T[][] {
  const parts = new BundleParts(elements, threads);
  const taken: T[][] = [];
  for (let part = parts.next(); part !== undefined; part = parts.next()) {
    expect(part.index).to.equal(taken.length);
    taken.push(part.elements);
  }
  expect(parts.handedOut).to.equal(taken.length);
  return taken;
}

describe("bundle parts for worker threads", () => {
  for (const [n, threads] of [[0, 2], [1, 2], [4, 2], [64, 2], [1000, 2], [1000, 8], [7, 3]] as const) {
    it(`${n} elements for ${threads} threads: every element once, in order, parts never growing`, () => {
      const elements = Array.from({ length: n }, (_, i) => i);
      const parts = allParts(elements, threads);
      expect(parts.flat()).to.deep.equal(elements);
      for (let i = 1; i < parts.length; i++) expect(parts[i].length).to.be.at.most(parts[i - 1].length);
      if (n === 0) expect(parts).to.deep.equal([[]]);
      else expect(parts.every((p) => p.length > 0)).to.equal(true);
    });
  }

  it("a bundle of 64 file splits for 2 threads: the first part a quarter, the last ones single splits", () => {
    const parts = allParts(Array.from({ length: 64 }, (_, i) => i), 2);
    expect(parts[0]).to.have.length(16);
    expect(parts[parts.length - 1]).to.have.length(1);
    expect(parts.length).to.be.below(20);
  });

  it("a bundle of 1000 cheap elements is not cut into single elements at its end", () => {
    const parts = allParts(Array.from({ length: 1000 }, (_, i) => i), 2);
    expect(Math.min(...parts.slice(0, -1).map((p) => p.length))).to.be.at.least(15);
    expect(parts.length).to.be.below(40);
  });

  it("a part queued behind another is the smallest, and none is queued once the shares are down to it", () => {
    const elements = Array.from({ length: 64 }, (_, i) => i);
    const parts = new BundleParts(elements, 2);
    const taken: number[][] = [];
    const queuedSizes: number[] = [];
    // A worker thread's two slots and the job's thread, taking in turn until the end.
    for (;;) {
      const running = parts.next();
      const queued = parts.next(true);
      if (running === undefined) break;
      taken[running.index] = running.elements;
      if (queued !== undefined) {
        taken[queued.index] = queued.elements;
        queuedSizes.push(queued.elements.length);
      }
    }
    expect(taken.flat(), "every element once, in order").to.deep.equal(elements);
    expect(queuedSizes.length, "parts queued").to.be.greaterThan(0);
    expect(queuedSizes.every((n) => n === 1), "each the smallest part").to.equal(true);
    const last = new BundleParts([1, 2, 3], 2);
    expect(last.next(true), "a bundle whose shares are the smallest queues nothing").to.equal(undefined);
    expect(last.next()?.elements).to.deep.equal([1]);
  });

  it("after stop nothing more is handed out", () => {
    const parts = new BundleParts([1, 2, 3, 4], 2);
    expect(parts.next()?.elements).to.deep.equal([1]);
    parts.stop();
    expect(parts.next()).to.equal(undefined);
    const empty = new BundleParts([], 2);
    empty.stop();
    expect(empty.next()).to.equal(undefined);
  });
});
