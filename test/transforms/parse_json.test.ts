import { expect } from "chai";
import { expectSameElements, runTransform } from "../../testing";
import { type Transaction, type TransactionColumn } from "../../transforms/transaction";
import type { DeadLetter } from "../../transforms/dead_letter";
import {
  parseJsonLine,
  parseJsonTransactions,
  parsePubSubPayload,
  parsePubSubTransactions,
  PARSE_JSON_STEP,
  PARSE_PUBSUB_STEP,
} from "../../transforms/parse_json";
import { VALIDATE_STEP } from "../../transforms/validate";
import { jsonLineWith, VALID_FIELDS, VALID_TRANSACTION } from "./transactions";

/** JSON-specific cases; the field rules themselves are pinned once, in parse_csv.test.ts. */
interface RejectedCase {
  name: string;
  line: string;
  field?: TransactionColumn;
  reason: string;
}

const rejected: RejectedCase[] = [
  { name: "unparseable JSON (a truncated line)", line: jsonLineWith().slice(0, 60), reason: "expected a JSON object, found invalid JSON" },
  { name: "a JSON array", line: JSON.stringify(Object.values(VALID_FIELDS)), reason: "expected a JSON object, found an array" },
  { name: "a JSON string", line: '"T000000000001"', reason: "expected a JSON object, found a string" },
  { name: "a JSON number", line: "42", reason: "expected a JSON object, found a number" },
  { name: "JSON null", line: "null", reason: "expected a JSON object, found null" },
  { name: "a missing key", line: jsonLineWith({ Payment_Method: undefined }), field: "Payment_Method", reason: "Payment_Method is required, found nothing" },
  { name: "a null value", line: jsonLineWith({ Category: null }), field: "Category", reason: "Category is required, found null" },
  { name: "an empty string", line: jsonLineWith({ User_ID: "" }), field: "User_ID", reason: "User_ID is required, found an empty value" },
  { name: "a non-numeric string for a number", line: jsonLineWith({ "Price (Rs.)": "abc" }), field: "Price (Rs.)", reason: `found "abc"` },
  { name: "a percent string for the discount", line: jsonLineWith({ "Discount (%)": "10%" }), field: "Discount (%)", reason: `found "10%"` },
  { name: "a boolean for a number", line: jsonLineWith({ "Price (Rs.)": true }), field: "Price (Rs.)", reason: "Price (Rs.) must be a number, found true" },
  { name: "an object for a text", line: jsonLineWith({ Category: { name: "Books" } }), field: "Category", reason: `Category must be text, found {"name":"Books"}` },
  { name: "a number for the date", line: jsonLineWith({ Purchase_Date: 15032024 }), field: "Purchase_Date", reason: "must be a date dd-mm-yyyy, found 15032024" },
  { name: "a negative JSON quantity", line: jsonLineWith({ Quantity: -1 }), field: "Quantity", reason: "at least 1, found -1" },
  { name: "an out-of-range JSON discount", line: jsonLineWith({ "Discount (%)": 150 }), field: "Discount (%)", reason: "between 0 and 100, found 150" },
  { name: "an inconsistent JSON final price", line: jsonLineWith({ "Final_Price(Rs.)": 100 }), field: "Final_Price(Rs.)", reason: "within 0.01, found 100" },
  { name: "an impossible date", line: jsonLineWith({ Purchase_Date: "30-02-2024" }), field: "Purchase_Date", reason: "real calendar date" },
  { name: "an impossible time", line: jsonLineWith({ Purchase_Time: "12:60:00" }), field: "Purchase_Time", reason: "valid time of day" },
  // The reason shows the value bounded: JSON.stringify of this overflowed the stack and failed the job.
  { name: "a field nested 10,000 deep", line: jsonLineWith({ User_ID: "deep" }).replace('"deep"', "[".repeat(10_000) + "]".repeat(10_000)), field: "User_ID", reason: "User_ID must be text, found [[[[…]]]" },
  { name: "a 1 MB array for a text", line: jsonLineWith({ Category: Array.from({ length: 100_000 }, (_, i) => i) }), field: "Category", reason: "Category must be text, found [0,1,2,3,4,5,6,7,…]" },
  { name: "a purchase in the year 2300", line: jsonLineWith({ Purchase_Date: "01-01-2300" }), field: "Purchase_Date", reason: "from 01-01-1970 to 31-12-2099" },
];

const accepted: { name: string; line: string; expected?: Partial<Transaction> }[] = [
  { name: "numbers as numeric strings", line: jsonLineWith() },
  { name: "numbers as JSON numbers", line: jsonLineWith({ "Price (Rs.)": 100, "Discount (%)": 10, "Final_Price(Rs.)": 90, Quantity: 2 }) },
  { name: "ids as JSON numbers", line: jsonLineWith({ Product_ID: 8235030767923 }) },
  { name: "keys in another order, with spaces", line: `{ "Distribution_Center" : "DC-Delhi", ${jsonLineWith({ Distribution_Center: undefined }).slice(1)}` },
  { name: "extra keys (ignored)", line: JSON.stringify({ event_id: "e-1", ...JSON.parse(jsonLineWith()) }) },
  { name: "a \\u escape and raw non-ASCII", line: jsonLineWith({ Customer_State: "Tamil Nadu – Chennai", Distribution_Center: "DC-Pondichéry" }).replace("é", "\\u00e9"), expected: { customerState: "Tamil Nadu – Chennai", distributionCenter: "DC-Pondichéry" } },
  { name: "a CRLF line ending", line: jsonLineWith() + "\r" },
  { name: "a UTF-8 BOM", line: "\uFEFF" + jsonLineWith() },
];

describe("transforms/parse_json: JSON lines to transactions", () => {
  let valid: Transaction[];
  let deadLetter: DeadLetter[];

  before(async () => {
    const lines = [...rejected, ...accepted].map((c, i) => ({ line: c.line, file: "cases.jsonl", lineNumber: i + 1 }));
    ({ valid, deadLetter } = await runTransform(parseJsonTransactions(), [...lines, { line: "  ", file: "cases.jsonl", lineNumber: 999 }]));
  });

  describe("rejects", () => {
    for (const [i, c] of rejected.entries()) {
      it(c.name, () => {
        const letters = deadLetter.filter((d) => d.origin === `cases.jsonl:${i + 1}`);
        expect(letters).to.have.length(1);
        expect(letters[0].field).to.equal(c.field);
        expect(letters[0].reason).to.contain(c.reason);
        expect(letters[0].step).to.equal(c.field === undefined ? PARSE_JSON_STEP : VALIDATE_STEP);
        expect(letters[0].input).to.equal(c.line);
        expect(parseJsonLine(c.line)).to.deep.equal({ error: { ...(c.field ? { field: c.field } : {}), reason: letters[0].reason } });
      });
    }
  });

  describe("accepts", () => {
    for (const c of accepted) {
      it(c.name, () => {
        expect(parseJsonLine(c.line)).to.deep.equal({ ok: { ...VALID_TRANSACTION, ...c.expected } });
      });
    }
  });

  it("emits every accepted line as a transaction, skips the blank one, and nothing else", () => {
    expectSameElements(valid, accepted.map((c) => ({ ...VALID_TRANSACTION, ...c.expected })));
    expect(deadLetter).to.have.length(rejected.length);
  });
});

describe("transforms/parse_json: Pub/Sub payloads to transactions", () => {
  const payload = jsonLineWith();

  it("accepts payloads as bytes, as a Buffer and as text, with or without a message id", async () => {
    const out = await runTransform(parsePubSubTransactions(), [
      new TextEncoder().encode(payload),
      Buffer.from(payload, "utf8"),
      payload,
      { data: new TextEncoder().encode(payload), messageId: "17" },
    ]);
    expectSameElements(out.valid, [VALID_TRANSACTION, VALID_TRANSACTION, VALID_TRANSACTION, VALID_TRANSACTION]);
    expect(out.deadLetter).to.deep.equal([]);
    expect(parsePubSubPayload(Buffer.from(payload))).to.deep.equal({ ok: VALID_TRANSACTION });
  });

  it("turns bad messages into dead letters whose origin is the message id, an empty one included", async () => {
    const out = await runTransform(parsePubSubTransactions(), [
      { data: new Uint8Array([0x7b, 0xff, 0x7d]), messageId: "1" },
      { data: new Uint8Array(), messageId: "2" },
      { data: "[]", messageId: "3" },
      { data: jsonLineWith({ Quantity: 0 }), messageId: "4" },
    ]);
    expect(out.valid).to.deep.equal([]);
    const byOrigin = Object.fromEntries(out.deadLetter.map((d) => [d.origin, d]));
    expect(byOrigin["pubsub:1"]).to.include({ step: PARSE_PUBSUB_STEP, input: "{\uFFFD}" });
    expect(byOrigin["pubsub:1"].reason).to.contain("not valid UTF-8");
    expect(byOrigin["pubsub:2"]).to.include({ step: PARSE_PUBSUB_STEP, input: "" });
    expect(byOrigin["pubsub:2"].reason).to.contain("invalid JSON");
    expect(byOrigin["pubsub:3"].reason).to.contain("found an array");
    expect(byOrigin["pubsub:4"]).to.include({ step: VALIDATE_STEP, field: "Quantity" });
    expect(out.deadLetter).to.have.length(4);
  });

  it("dead-letters a message its read refused, with the read's reason, however good its payload", async () => {
    const refusal = "attribute event_time_ms must be whole milliseconds since the epoch…, found \"-1\"";
    const out = await runTransform(parsePubSubTransactions(), [{ data: payload, messageId: "9", refusal }, { data: payload, messageId: "10" }]);
    expect(out.valid).to.deep.equal([VALID_TRANSACTION]);
    expect(out.deadLetter).to.have.length(1);
    expect(out.deadLetter[0]).to.include({ step: PARSE_PUBSUB_STEP, origin: "pubsub:9", input: payload, reason: refusal });
  });
});

describe("transforms/parse_json: lines their reader refused", () => {
  it("become dead letters with the reader's reason, whatever the line holds", async () => {
    const refusal = "expected text, found a NUL byte at byte 3 of the line";
    const out = await runTransform(parseJsonTransactions(), [{ line: jsonLineWith(), file: "f.jsonl", lineNumber: 2, refusal }]);
    expect(out.valid).to.deep.equal([]);
    expect(out.deadLetter).to.have.length(1);
    expect(out.deadLetter[0]).to.include({ step: PARSE_JSON_STEP, origin: "f.jsonl:2", reason: refusal });
  });
});
