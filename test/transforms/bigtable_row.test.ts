import { expect } from "chai";
import { expectSameElements, runTransform } from "../../testing";
import {
  toBigtableRows,
  transactionRow,
  transactionRowJson,
  transactionRowKey,
  isoTime,
  TRANSACTION_FAMILY,
  TRANSACTION_QUALIFIERS,
  TRANSACTIONS_TABLE,
  userRowPrefix,
} from "../../transforms/bigtable_row";
import { generatedTransactions, VALID_TRANSACTION } from "./transactions";

describe("transforms/bigtable_row: a transaction as a Bigtable row", () => {
  it("as a JSON line (the batch's stand-in for the table): the row's key, family, timestamp and cells", () => {
    const odd = { ...VALID_TRANSACTION, userId: 'u"#1', customerState: "Tamil Nadu – Chennai\n", distributionCenter: "DC-\u0000", productId: "P\\1\ud800😀" };
    for (const t of [...generatedTransactions(200), odd]) {
      const row = transactionRow(t);
      const line = transactionRowJson(t);
      // Well-formed text (a lone surrogate escaped), so it survives UTF-8 on its way to the file.
      expect(Buffer.from(line).toString()).to.equal(line);
      expect(JSON.parse(line)).to.deep.equal({
        key: row.key,
        family: row.family,
        timestampMicros: row.cells[0].timestampMicros,
        cells: Object.fromEntries(row.cells.map((c) => [c.qualifier, c.value])),
      });
      expect(new Set(row.cells.map((c) => c.timestampMicros)).size).to.equal(1);
    }
  });

  it("writes event times exactly as Date's toISOString does, any date, in any order", () => {
    const edges = [0, -1, 1, 999, 86_399_999, -86_400_001, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(1, 0, 1), 8.64e15, -8.64e15, 8.64e15 + 1, 0.5];
    const spread = Array.from({ length: 5_000 }, (_, i) => Date.UTC(2024, 0, 1) + i * 7_919_777 * (i % 2 === 0 ? 1 : -1));
    for (const ms of [...edges, ...spread, ...spread.slice().reverse()]) {
      let expected: string;
      try {
        expected = new Date(ms).toISOString();
      } catch (error) {
        expect(() => isoTime(ms), String(ms)).to.throw(RangeError);
        continue;
      }
      expect(isoTime(ms), String(ms)).to.equal(expected);
    }
  });

  it("uses seed 004's table and family, and its qualifiers among ours", () => {
    expect(TRANSACTIONS_TABLE).to.equal("transacoes");
    expect(TRANSACTION_FAMILY).to.equal("dados");
    expect(TRANSACTION_QUALIFIERS).to.include.members(["category", "final_price", "payment", "price"]);
  });

  it("keys a row <userId>#<15-digit reverse timestamp>#<transactionId>", () => {
    const key = transactionRowKey({ ...VALID_TRANSACTION, eventTimeMs: 1764969232076 });
    // Seed 004's key for the same instant was 005258a0#8235030767923: the same reverse time, 2 digits wider.
    expect(key).to.equal("005258a0#998235030767923#T000000000001");
  });

  it("gives 100k distinct transactions 100k distinct keys, same-millisecond purchases included", () => {
    const transactions = generatedTransactions(100_000);
    const keys = new Set(transactions.map(transactionRowKey));
    expect(keys.size).to.equal(transactions.length);
    const userAndTime = new Set(transactions.map((t) => `${t.userId}@${t.eventTimeMs}`));
    expect(userAndTime.size, "pairs bought by one user in one millisecond").to.equal(transactions.length / 2);
  });

  it("is deterministic: the same transaction always gets the same key and cells", () => {
    const copy = JSON.parse(JSON.stringify(VALID_TRANSACTION));
    expect(transactionRow(copy)).to.deep.equal(transactionRow(VALID_TRANSACTION));
  });

  it("sorts one user's rows newest first, and a prefix scan returns that user's rows only", () => {
    const times = [Date.UTC(2024, 0, 1), Date.UTC(1970, 0, 1), Date.UTC(9999, 11, 31, 23, 59, 59), Date.UTC(2024, 0, 1, 0, 0, 0, 1)];
    const mine = times.map((eventTimeMs, i) => ({ ...VALID_TRANSACTION, userId: "u1", transactionId: `T${i}`, eventTimeMs }));
    const others = [{ ...VALID_TRANSACTION, userId: "u10" }, { ...VALID_TRANSACTION, userId: "u1#x" }, { ...VALID_TRANSACTION, userId: "u" }];
    const sortedKeys = [...mine, ...others].map(transactionRowKey).sort();
    const scanned = sortedKeys.filter((key) => key.startsWith(userRowPrefix("u1")));
    const newestFirst = [...mine].sort((a, b) => b.eventTimeMs - a.eventTimeMs).map(transactionRowKey);
    expect(scanned).to.deep.equal(newestFirst);
  });

  it("percent-encodes # and % in ids, so keys stay unambiguous", () => {
    const key = transactionRowKey({ ...VALID_TRANSACTION, userId: "a#b%", transactionId: "T#1" });
    expect(key.split("#")).to.have.length(3);
    expect(key).to.match(/^a%23b%25#\d{15}#T%231$/);
    expect(userRowPrefix("a#b%")).to.equal("a%23b%25#");
  });

  it("writes every field as text, stamped with the event time in microseconds", () => {
    const row = transactionRow(VALID_TRANSACTION);
    const micros = VALID_TRANSACTION.eventTimeMs * 1000;
    expect(row.family).to.equal("dados");
    expect(row.cells.map((c) => c.qualifier)).to.deep.equal([...TRANSACTION_QUALIFIERS]);
    expect(row.cells.every((c) => c.timestampMicros === micros && micros % 1000 === 0)).to.equal(true);
    expect(Object.fromEntries(row.cells.map((c) => [c.qualifier, c.value]))).to.deep.equal({
      transaction_id: "T000000000001",
      user_id: "005258a0",
      product_id: "8235030767923",
      category: "Books",
      price: "100.00",
      discount: "10",
      final_price: "90.00",
      payment: "UPI",
      quantity: "2",
      channel: "Web",
      state: "Delhi",
      distribution_center: "DC-Delhi",
      event_time: "2024-03-15T10:20:30.000Z",
    });
  });

  it("maps a PCollection of transactions to their rows", async () => {
    const transactions = generatedTransactions(50);
    const rows = await runTransform(toBigtableRows(), transactions);
    expectSameElements(rows, transactions.map(transactionRow));
  });
});
