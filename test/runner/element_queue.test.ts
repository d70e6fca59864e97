import { expect } from "chai";
import "apache-beam";
import { GlobalWindow, PaneInfo, WindowedValue } from "apache-beam/values";
import { ElementQueue } from "../../runners/direct/engine/element_queue";
import { toInstant } from "../../sdk/time";

const pane = { timing: 3, index: 0, onTimeIndex: 0, isFirst: true, isLast: true } as unknown as PaneInfo;

function element(timestamp: number): WindowedValue<unknown> {
  return { value: timestamp, windows: [new GlobalWindow()], timestamp: toInstant(timestamp), pane };
}

/** A tiny deterministic generator (the test must fail the same way every time it fails). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe("direct runner: element queue holds", () => {
  it("keep the exact minimum timestamp and durability of what is still queued, while it never empties", () => {
    const queue = new ElementQueue();
    const model: Array<{ t: number; d: number }> = [];
    const next = random(7);
    for (let step = 0; step < 20_000; step++) {
      if (next() < 0.55 || model.length === 0) {
        const t = Math.floor(next() * 1000);
        const durability = next() < 0.5 ? Infinity : Math.floor(next() * 1000);
        queue.push(element(t), durability);
        model.push({ t, d: Math.min(t, durability) });
      } else {
        // Never take everything: the queue a source reads ahead into stays non-empty.
        const n = Math.max(0, Math.min(model.length - 1, 1 + Math.floor(next() * 5)));
        const taken = queue.take(n).map((e) => e.value);
        expect(taken).to.deep.equal(model.splice(0, n).map((m) => m.t));
      }
      expect(queue.size).to.equal(model.length);
      expect(queue.hold).to.equal(Math.min(Infinity, ...model.map((m) => m.t)));
      expect(queue.durabilityHold).to.equal(Math.min(Infinity, ...model.map((m) => m.d)));
    }
  });

  it("stop taking at the first element that is not ready, and keep its holds", () => {
    const queue = new ElementQueue();
    for (const t of [5, 1, 9, 3]) queue.push(element(t));
    expect(queue.take(10, (e) => (e.value as number) !== 9).map((e) => e.value)).to.deep.equal([5, 1]);
    expect([queue.size, queue.hold, queue.durabilityHold]).to.deep.equal([2, 3, 3]);
    queue.take(10);
    expect([queue.size, queue.hold, queue.durabilityHold]).to.deep.equal([0, Infinity, Infinity]);
  });
});
