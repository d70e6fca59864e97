import { expect } from "chai";
import { PaneTable } from "../../runners/direct/engine/pane_table";

interface TestPane {
  windowId: string;
  key: unknown;
  keyId: string;
  name: string;
}

// As execution/keys.ts's identity: typed strings for the plain keys, an encoding for the others.
const identity = (key: unknown) => (typeof key === "object" && key !== null ? "e" + JSON.stringify(key) : typeof key + ":" + String(key));
const pane = (windowId: string, key: unknown, name = `${windowId}/${String(key)}`): TestPane => ({ windowId, key, keyId: identity(key), name });
const names = (table: PaneTable<TestPane>) => [...table.values()].map((p) => p.name);

describe("direct runner: the pane table", () => {
  it("finds panes by window and key, and visits them in the order they were opened", () => {
    const table = new PaneTable<TestPane>(identity);
    table.set(pane("w1", "a"));
    table.set(pane("w2", "a"));
    table.set(pane("w1", "b"));
    expect(names(table)).to.deep.equal(["w1/a", "w2/a", "w1/b"]);
    expect(table.size).to.equal(3);
    expect(table.get("w1", "b")?.name).to.equal("w1/b");
    expect(table.get("w2", "b")).to.equal(undefined);
    // Ids that would collide if window and key were simply concatenated stay apart.
    table.set(pane("w", "1a"));
    expect(table.get("w1", "a")?.name).to.equal("w1/a");
    expect(table.get("w", "1a")?.name).to.equal("w/1a");
  });

  it("finds a pane by a key equal to its own, plain or encoded, and keeps keys of different types apart", () => {
    const table = new PaneTable<TestPane>(identity);
    table.set(pane("w", 1, "number 1"));
    table.set(pane("w", "1", "string 1"));
    table.set(pane("w", { user: "a" }, "object a"));
    expect(table.get("w", 1)?.name).to.equal("number 1");
    expect(table.get("w", "1")?.name).to.equal("string 1");
    // Another object with the same encoding is the same key, as Beam groups by the key's coder.
    expect(table.get("w", { user: "a" })?.name).to.equal("object a");
    expect(table.get("w", { user: "b" })).to.equal(undefined);
    table.delete(pane("w", { user: "a" }));
    expect(table.get("w", { user: "a" })).to.equal(undefined);
    expect(table.size).to.equal(2);
  });

  it("puts a replacement in the place of the pane it replaces, and deletes while its panes are visited", () => {
    const table = new PaneTable<TestPane>(identity);
    for (const [w, k] of [["w1", "a"], ["w2", "a"], ["w1", "b"]]) table.set(pane(w, k));
    table.set(pane("w2", "a", "replacement"));
    expect(names(table)).to.deep.equal(["w1/a", "replacement", "w1/b"]);
    for (const p of table.values()) if (p.windowId === "w1") table.delete(p);
    expect(names(table)).to.deep.equal(["replacement"]);
    expect(table.get("w1", "a")).to.equal(undefined);
    table.delete(pane("w2", "a"));
    expect(table.size).to.equal(0);
    // Deleting what is not there changes nothing.
    table.delete(pane("w9", "z"));
    expect(table.size).to.equal(0);
  });
});
