import { expect } from "chai";
import "apache-beam";
import * as operators from "apache-beam/worker/operators";
import { GlobalWindow, type PaneInfo, type WindowedValue } from "apache-beam/values";
import { emitAll } from "../../io/emit";
import { toInstant } from "../../sdk/time";

const pane = { timing: 3, index: 0, onTimeIndex: 0, isFirst: true, isLast: true } as unknown as PaneInfo;
const template: WindowedValue<unknown> = { value: undefined, windows: [new GlobalWindow()], timestamp: toInstant(0), pane };

/** A receiver recording what it got, answering with a promise (settled later) for the values in `slow`. */
function recorder(slow: Set<unknown>) {
  const got: unknown[] = [];
  const pending: (() => void)[] = [];
  const receiver = {
    receive(element: WindowedValue<unknown>): operators.ProcessResult {
      got.push(element.value);
      if (!slow.has(element.value)) return operators.NonPromise;
      return new Promise<void>((resolve) => pending.push(resolve));
    },
  };
  return { receiver: receiver as unknown as operators.Receiver, got, settleNext: () => pending.shift()?.() };
}

describe("io/emit: a source's batch handed on without outrunning the steps downstream", () => {
  it("hands an array on synchronously while every step answers at once", () => {
    const { receiver, got } = recorder(new Set());
    expect(emitAll(receiver, template, [1, 2, 3])).to.equal(operators.NonPromise);
    expect(got).to.deep.equal([1, 2, 3]);
  });

  it("waits for a step's promise before the next value, then goes on from the one after it", async () => {
    const { receiver, got, settleNext } = recorder(new Set([2, 4]));
    const result = emitAll(receiver, template, [1, 2, 3, 4, 5]);
    expect(result).to.be.an.instanceOf(Promise);
    expect(got).to.deep.equal([1, 2]);
    settleNext();
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).to.deep.equal([1, 2, 3, 4]);
    settleNext();
    await result;
    expect(got).to.deep.equal([1, 2, 3, 4, 5]);
  });
});
