import { expect } from "chai";
// The SDK's modules load in its own order only from its index (the operators module alone hits a cycle).
import "apache-beam";
import * as operators from "apache-beam/worker/operators";
import type { WindowedValue } from "apache-beam/values";
import { SplitOperator, type SplitOptions } from "../../runners/direct/handlers/split";
import type { ValueReceiver } from "../../sdk/value_receiver";

/** A receiver that records what it is handed, by output. */
function recording(tag: string, seen: [string, unknown][]): ValueReceiver {
  return {
    receive: (element) => {
      seen.push([tag, element.value]);
      return operators.NonPromise;
    },
    receiveValue: (value) => {
      seen.push([tag, value]);
      return operators.NonPromise;
    },
  };
}

const like = { value: undefined, windows: [], timestamp: 0, pane: undefined } as unknown as WindowedValue<unknown>;

function splitter(options: SplitOptions, outputs = options.knownTags) {
  const seen: [string, unknown][] = [];
  const split = new SplitOperator("split", Object.fromEntries(outputs.map((tag) => [tag, recording(tag, seen)])), options);
  return { seen, send: (element: object) => split.processValue(element, like) };
}

describe("direct runner: the split operator", () => {
  it("hands each element to the output its tag names, whatever the tag of the element before", () => {
    const { seen, send } = splitter({ knownTags: ["record", "deadLetter"], exclusive: true });
    for (const element of [{ record: 1 }, { record: 2 }, { deadLetter: "a" }, { record: 3 }, { deadLetter: "b" }, { deadLetter: "c" }]) send(element);
    expect(seen).to.deep.equal([["record", 1], ["record", 2], ["deadLetter", "a"], ["record", 3], ["deadLetter", "b"], ["deadLetter", "c"]]);
  });

  it("renames, ignores or rejects an unknown tag as asked, also right after a known one", () => {
    const renamed = splitter({ knownTags: ["a", "other"], exclusive: true, unknownTagBehavior: "rename", unknownTagName: "other" });
    for (const element of [{ a: 1 }, { b: 2 }, { a: 3 }, { b: 4 }]) renamed.send(element);
    expect(renamed.seen).to.deep.equal([["a", 1], ["other", 2], ["a", 3], ["other", 4]]);

    const ignored = splitter({ knownTags: ["a"], exclusive: true, unknownTagBehavior: "ignore" });
    for (const element of [{ a: 1 }, { b: 2 }, { a: 3 }]) ignored.send(element);
    expect(ignored.seen).to.deep.equal([["a", 1], ["a", 3]]);

    const strict = splitter({ knownTags: ["a"], exclusive: true, unknownTagBehavior: "error" });
    strict.send({ a: 1 });
    expect(() => strict.send({ b: 2 })).to.throw("Unexpected tag 'b'");
  });

  it("drops a known tag that has no output, and sends every tag of a non-exclusive element", () => {
    const { seen, send } = splitter({ knownTags: ["text", "audit", "unused"], exclusive: false }, ["text", "audit"]);
    for (const element of [{ text: "x", audit: "y" }, { unused: 0 }, { audit: "z" }, { unused: 1, text: "w" }]) send(element);
    expect(seen).to.deep.equal([["text", "x"], ["audit", "y"], ["audit", "z"], ["text", "w"]]);
  });

  it("rejects an element with several tags when the split is exclusive", () => {
    const { send } = splitter({ knownTags: ["a", "b"], exclusive: true });
    send({ a: 1 });
    expect(() => send({ a: 1, b: 2 })).to.throw("Multiple keys for exclusively split element");
  });
});
