import { expect } from "chai";
import { PaneTable } from "../../runners/direct/engine/pane_table";

interface TestPane {
  windowId: string;
  keyId: string;
  name: string;
}

const pane = (windowId: string, keyId: string, name = `${windowId}/${keyId}`): TestPane => ({ windowId, keyId, name });
const names = (table: PaneTable<TestPane>) => [...table.values()].map((p) => p.name);

describe("direct runner: the pane table", () => {
  it("finds panes by window and key, and visits them in the order they were opened", () => {
    const table = new PaneTable<TestPane>();
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

  it("puts a replacement in the place of the pane it replaces, and deletes while its panes are visited", () => {
    const table = new PaneTable<TestPane>();
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
