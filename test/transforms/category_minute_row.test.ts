import { expect } from "chai";
import { categoryMinuteRow } from "../../transforms/category_minute_row";

describe("transforms/category_minute_row: the aggregate's Bigtable rows", () => {
  const minute = { category: "Home & Kitchen", minuteStartMs: Date.UTC(2024, 4, 1, 10, 30), revenuePaise: 123_450, count: 3, timing: "EARLY", update: 0 };

  it("keys a category's minutes in time order, every pane at the minute's cell timestamp", () => {
    const row = categoryMinuteRow(minute);
    expect(row.key).to.equal("Home & Kitchen#2024-05-01T10:30:00.000Z");
    expect(row.cells.map((c) => [c.qualifier, c.value])).to.deep.equal([
      ["revenue", "1234.50"],
      ["count", "3"],
      ["pane", "EARLY"],
      ["update", "0"],
    ]);
    expect(new Set(row.cells.map((c) => c.timestampMicros))).to.deep.equal(new Set([minute.minuteStartMs * 1000]));
  });

  it("a later pane of the same minute writes the same key and cell timestamps (it overwrites)", () => {
    const early = categoryMinuteRow(minute);
    const onTime = categoryMinuteRow({ ...minute, revenuePaise: 200_000, count: 4, timing: "ON_TIME", update: 1 });
    expect(onTime.key).to.equal(early.key);
    expect(onTime.cells.map((c) => c.timestampMicros)).to.deep.equal(early.cells.map((c) => c.timestampMicros));
  });

  it("keeps the key separator unambiguous", () => {
    expect(categoryMinuteRow({ ...minute, category: "A#B" }).key.startsWith("A%23B#")).to.equal(true);
  });
});
