import { expect } from "chai";
import { expectSameElements, runTransform } from "../../testing";
import { TRANSACTION_COLUMNS, type Transaction, type TransactionColumn } from "../../transforms/transaction";
import type { DeadLetter } from "../../transforms/dead_letter";
import { CSV_HEADER, csvLineRole, parseCsvLine, parseCsvTransactions, PARSE_CSV_STEP } from "../../transforms/parse_csv";
import { VALIDATE_STEP } from "../../transforms/validate";
import type { TextLine } from "../../transforms/text_line";
import { directRunner as sdkDirectRunner } from "apache-beam/runners/direct_runner";
import { csvLineWith, VALID_FIELDS, VALID_TRANSACTION } from "./transactions";

const FILE = "cases.csv";

/** A line that must become a dead letter: of the parse step when `field` is undefined, else of validation. */
interface RejectedCase {
  name: string;
  line: string;
  field?: TransactionColumn;
  reason: string;
}

/** A line that must parse, into the valid transaction with these changes. */
interface AcceptedCase {
  name: string;
  line: string;
  expected: Partial<Transaction>;
}

const rowLevel: RejectedCase[] = [
  { name: "13 columns", line: csvLineWith().replace(/,DC-Delhi$/, ""), reason: "expected 14 columns, found 13" },
  { name: "15 columns (a comma left unquoted)", line: csvLineWith() + ", Okhla", reason: "expected 14 columns, found 15" },
  { name: "an unterminated quote", line: csvLineWith().replace(/DC-Delhi$/, '"DC-Delhi, Okhla'), reason: "unterminated quoted field" },
  { name: "text after a closing quote", line: csvLineWith().replace(/DC-Delhi$/, '"DC-Delhi"x'), reason: "expected a comma after the quoted field" },
  { name: "a header line that is not line 1", line: CSV_HEADER, reason: "found the header line" },
];

const fieldLevel: RejectedCase[] = [
  ...TRANSACTION_COLUMNS.map((column) => ({
    name: `${column} empty`,
    line: csvLineWith({ [column]: "" }),
    field: column,
    reason: `${column} is required, found an empty value`,
  })),
  { name: "Category only whitespace", line: csvLineWith({ Category: "   " }), field: "Category", reason: "Category is required" },
  { name: "Price with a decimal comma", line: csvLineWith({ "Price (Rs.)": "12,50" }), field: "Price (Rs.)", reason: `must be a number written with '.' as the decimal point, found "12,50"` },
  { name: "Price not a number", line: csvLineWith({ "Price (Rs.)": "abc" }), field: "Price (Rs.)", reason: `found "abc"` },
  { name: "Price with a currency sign", line: csvLineWith({ "Price (Rs.)": "₹100" }), field: "Price (Rs.)", reason: `found "₹100"` },
  { name: "Price in exponent notation", line: csvLineWith({ "Price (Rs.)": "1e2" }), field: "Price (Rs.)", reason: "'.' as the decimal point" },
  { name: "Price in hexadecimal", line: csvLineWith({ "Price (Rs.)": "0x64" }), field: "Price (Rs.)", reason: "'.' as the decimal point" },
  { name: "Price Infinity", line: csvLineWith({ "Price (Rs.)": "Infinity" }), field: "Price (Rs.)", reason: "'.' as the decimal point" },
  { name: "Price with two decimal points", line: csvLineWith({ "Price (Rs.)": "1.2.3" }), field: "Price (Rs.)", reason: "'.' as the decimal point" },
  { name: "Price negative", line: csvLineWith({ "Price (Rs.)": "-1", "Final_Price(Rs.)": "-0.9" }), field: "Price (Rs.)", reason: "Price (Rs.) must be at least 0, found -1" },
  { name: "Final_Price negative", line: csvLineWith({ "Final_Price(Rs.)": "-90" }), field: "Final_Price(Rs.)", reason: "Final_Price(Rs.) must be at least 0, found -90" },
  { name: "Price with a third decimal (not whole paise)", line: csvLineWith({ "Price (Rs.)": "100.005" }), field: "Price (Rs.)", reason: "Price (Rs.) must have at most two decimals (whole paise), found 100.005" },
  { name: "Final_Price not a number", line: csvLineWith({ "Final_Price(Rs.)": "ninety" }), field: "Final_Price(Rs.)", reason: "'.' as the decimal point" },
  { name: "Discount above 100", line: csvLineWith({ "Discount (%)": "150", "Final_Price(Rs.)": "0" }), field: "Discount (%)", reason: "Discount (%) must be between 0 and 100, found 150" },
  { name: "Discount below 0", line: csvLineWith({ "Discount (%)": "-5", "Final_Price(Rs.)": "105" }), field: "Discount (%)", reason: "Discount (%) must be between 0 and 100, found -5" },
  { name: "Discount with a percent sign", line: csvLineWith({ "Discount (%)": "10%" }), field: "Discount (%)", reason: `found "10%"` },
  { name: "Final_Price without the discount applied", line: csvLineWith({ "Final_Price(Rs.)": "100.00" }), field: "Final_Price(Rs.)", reason: `Final_Price(Rs.) must be Price (Rs.) × (1 − Discount (%)/100) = 90 within 0.01, found "100.00"` },
  { name: "Final_Price off by 0.02", line: csvLineWith({ "Final_Price(Rs.)": "90.02" }), field: "Final_Price(Rs.)", reason: "= 90 within 0.01" },
  { name: "Purchase_Date 31-02 (no such day)", line: csvLineWith({ Purchase_Date: "31-02-2024" }), field: "Purchase_Date", reason: `must be a real calendar date dd-mm-yyyy, found "31-02-2024"` },
  { name: "Purchase_Date 29-02 of a common year", line: csvLineWith({ Purchase_Date: "29-02-2023" }), field: "Purchase_Date", reason: "real calendar date" },
  { name: "Purchase_Date 29-02-1900 (centuries are not leap years)", line: csvLineWith({ Purchase_Date: "29-02-1900" }), field: "Purchase_Date", reason: "real calendar date" },
  { name: "Purchase_Date month 13", line: csvLineWith({ Purchase_Date: "13-13-2024" }), field: "Purchase_Date", reason: "real calendar date" },
  { name: "Purchase_Date day 00", line: csvLineWith({ Purchase_Date: "00-01-2024" }), field: "Purchase_Date", reason: "real calendar date" },
  { name: "Purchase_Date in ISO order", line: csvLineWith({ Purchase_Date: "2024-01-05" }), field: "Purchase_Date", reason: `must be a date dd-mm-yyyy, found "2024-01-05"` },
  { name: "Purchase_Date without leading zeros", line: csvLineWith({ Purchase_Date: "5-1-2024" }), field: "Purchase_Date", reason: "must be a date dd-mm-yyyy" },
  { name: "Purchase_Date with slashes", line: csvLineWith({ Purchase_Date: "05/01/2024" }), field: "Purchase_Date", reason: "must be a date dd-mm-yyyy" },
  { name: "Purchase_Date before the Unix epoch", line: csvLineWith({ Purchase_Date: "31-12-1969" }), field: "Purchase_Date", reason: "must be from 01-01-1970 to 31-12-2099" },
  { name: "Purchase_Date centuries away (2300)", line: csvLineWith({ Purchase_Date: "01-06-2300" }), field: "Purchase_Date", reason: "must be from 01-01-1970 to 31-12-2099, found \"01-06-2300\"" },
  { name: "Purchase_Date in the year 9999", line: csvLineWith({ Purchase_Date: "31-12-9999" }), field: "Purchase_Date", reason: "must be from 01-01-1970 to 31-12-2099" },
  { name: "Purchase_Time hour 25", line: csvLineWith({ Purchase_Time: "25:00:00" }), field: "Purchase_Time", reason: `valid time of day 00:00:00 to 23:59:59, found "25:00:00"` },
  { name: "Purchase_Time minute 60", line: csvLineWith({ Purchase_Time: "12:60:00" }), field: "Purchase_Time", reason: "valid time of day" },
  { name: "Purchase_Time second 60", line: csvLineWith({ Purchase_Time: "12:00:60" }), field: "Purchase_Time", reason: "valid time of day" },
  { name: "Purchase_Time without a leading zero", line: csvLineWith({ Purchase_Time: "9:00:00" }), field: "Purchase_Time", reason: "must be a time HH:MM:SS" },
  { name: "Purchase_Time with AM/PM", line: csvLineWith({ Purchase_Time: "10:20:30 PM" }), field: "Purchase_Time", reason: "must be a time HH:MM:SS" },
  { name: "Quantity 0", line: csvLineWith({ Quantity: "0" }), field: "Quantity", reason: "Quantity must be a whole number of at least 1, found 0" },
  { name: "Quantity negative", line: csvLineWith({ Quantity: "-1" }), field: "Quantity", reason: "at least 1, found -1" },
  { name: "Quantity fractional", line: csvLineWith({ Quantity: "1.5" }), field: "Quantity", reason: "whole number of at least 1, found 1.5" },
  { name: "Quantity in words", line: csvLineWith({ Quantity: "two" }), field: "Quantity", reason: `found "two"` },
];

const accepted: AcceptedCase[] = [
  { name: "a plain record", line: csvLineWith(), expected: {} },
  { name: "a quoted field holding a comma", line: csvLineWith({ Distribution_Center: "DC-Delhi, Okhla" }), expected: { distributionCenter: "DC-Delhi, Okhla" } },
  { name: 'a "" escape inside quotes', line: csvLineWith({ Distribution_Center: 'DC-Mumbai "Bhiwandi"' }), expected: { distributionCenter: 'DC-Mumbai "Bhiwandi"' } },
  { name: "every field quoted", line: TRANSACTION_COLUMNS.map((c) => `"${VALID_FIELDS[c]}"`).join(","), expected: {} },
  { name: "a CRLF line ending", line: csvLineWith() + "\r", expected: {} },
  { name: "a UTF-8 BOM before a record", line: "\uFEFF" + csvLineWith(), expected: {} },
  { name: "non-ASCII text", line: csvLineWith({ Customer_State: "Tamil Nadu – Chennai", Distribution_Center: "DC-Pondichéry" }), expected: { customerState: "Tamil Nadu – Chennai", distributionCenter: "DC-Pondichéry" } },
  { name: "spaces around values (trimmed)", line: csvLineWith({ Category: "  Books ", "Price (Rs.)": " 100.00", Quantity: "2 " }), expected: {} },
  { name: "Final_Price exactly 0.01 off", line: csvLineWith({ "Final_Price(Rs.)": "90.01" }), expected: { finalPricePaise: 9001 } },
  { name: "Final_Price rounded to the paisa", line: csvLineWith({ "Price (Rs.)": "19.99", "Discount (%)": "15", "Final_Price(Rs.)": "16.99" }), expected: { pricePaise: 1999, discountPercent: 15, finalPricePaise: 1699 } },
  { name: "Discount 0 and 100, price 0", line: csvLineWith({ "Price (Rs.)": "0", "Discount (%)": "100", "Final_Price(Rs.)": "0" }), expected: { pricePaise: 0, discountPercent: 100, finalPricePaise: 0 } },
  { name: "a fractional discount", line: csvLineWith({ "Discount (%)": "12.5", "Final_Price(Rs.)": "87.50" }), expected: { discountPercent: 12.5, finalPricePaise: 8750 } },
  { name: "a sign and no integer digits", line: csvLineWith({ "Price (Rs.)": "+.5", "Discount (%)": "0", "Final_Price(Rs.)": "0.50" }), expected: { pricePaise: 50, discountPercent: 0, finalPricePaise: 50 } },
  { name: "a price with trailing zeros past the paisa", line: csvLineWith({ "Price (Rs.)": "100.000" }), expected: { pricePaise: 10_000 } },
  { name: "Quantity 3.0", line: csvLineWith({ Quantity: "3.0" }), expected: { quantity: 3 } },
  { name: "a leap day", line: csvLineWith({ Purchase_Date: "29-02-2024" }), expected: { eventTimeMs: Date.UTC(2024, 1, 29, 10, 20, 30) } },
  { name: "29-02-2000 (a leap century)", line: csvLineWith({ Purchase_Date: "29-02-2000" }), expected: { eventTimeMs: Date.UTC(2000, 1, 29, 10, 20, 30) } },
  { name: "the epoch's first second", line: csvLineWith({ Purchase_Date: "01-01-1970", Purchase_Time: "00:00:00" }), expected: { eventTimeMs: 0 } },
  { name: "the last second of year 2099", line: csvLineWith({ Purchase_Date: "31-12-2099", Purchase_Time: "23:59:59" }), expected: { eventTimeMs: Date.UTC(2099, 11, 31, 23, 59, 59) } },
];

/** Every case as a line of one file, from line 2 on, so that no case is the file's first line. */
const rejected = [...rowLevel, ...fieldLevel];
const caseLines: TextLine[] = [...rejected, ...accepted].map((c, i) => ({
  line: c.line,
  file: FILE,
  lineNumber: i + 2,
}));
const originOf = (c: RejectedCase) => `${FILE}:${rejected.indexOf(c) + 2}`;

describe("transforms/parse_csv: CSV lines to transactions", () => {
  let valid: Transaction[];
  let deadLetter: DeadLetter[];
  let startedMs: number;

  before(async () => {
    startedMs = Date.now();
    ({ valid, deadLetter } = await runTransform(parseCsvTransactions(), caseLines));
  });

  function deadLetterOfCase(c: RejectedCase): DeadLetter {
    const letters = deadLetter.filter((d) => d.origin === originOf(c));
    expect(letters, `dead letters for ${originOf(c)}`).to.have.length(1);
    return letters[0];
  }

  function expectRejected(c: RejectedCase, step: string): void {
    const letter = deadLetterOfCase(c);
    expect(letter.field).to.equal(c.field);
    expect(letter.reason).to.contain(c.reason);
    expect(letter.step).to.equal(step);
    expect(letter.input).to.equal(c.line);
    expect(letter.timeMs).to.be.within(startedMs, Date.now());
    // The plain-loop API says the same thing.
    const direct = parseCsvLine(c.line);
    expect(direct).to.deep.equal({ error: { ...(c.field ? { field: c.field } : {}), reason: letter.reason } });
  }

  describe("rejects the whole row (parse step, no field)", () => {
    for (const c of rowLevel) it(c.name, () => expectRejected(c, PARSE_CSV_STEP));
  });

  describe("rejects a field (validate step, the column as field)", () => {
    for (const c of fieldLevel) it(c.name, () => expectRejected(c, VALIDATE_STEP));
  });

  describe("accepts", () => {
    for (const [i, c] of accepted.entries()) {
      it(c.name, () => {
        const transactionId = VALID_TRANSACTION.transactionId;
        const expected = { ...VALID_TRANSACTION, ...c.expected };
        // All accepted cases share the transaction id; find this one among them by content.
        expect(valid.filter((t) => t.transactionId === transactionId)).to.deep.include(expected);
        expect(parseCsvLine(c.line), `case ${i}`).to.deep.equal({ ok: expected });
      });
    }
  });

  it("emits one output per record line and nothing else", () => {
    expect(valid).to.have.length(accepted.length);
    expect(deadLetter).to.have.length(rejected.length);
  });

  describe("skips lines that are not records", () => {
    it("skips blank and whitespace-only lines, of any line ending", async () => {
      const blanks = ["", " ", "\t", "\r", "  \r", "\uFEFF"].map((line, i) => ({ line, file: FILE, lineNumber: i + 2 }));
      expect(blanks.every((l) => csvLineRole(l.line, l.lineNumber) === "blank")).to.equal(true);
      const out = await runTransform(parseCsvTransactions(), [...blanks, csvLineWith()]);
      expectSameElements(out.valid, [VALID_TRANSACTION]);
      expect(out.deadLetter).to.deep.equal([]);
    });

    it("skips the header on line 1, with a BOM and CRLF, and any header line of unknown position", async () => {
      const headers = [
        { line: CSV_HEADER, file: "a.csv", lineNumber: 1 },
        { line: `\uFEFF${CSV_HEADER}\r`, file: "b.csv", lineNumber: 1 },
        CSV_HEADER,
      ];
      const out = await runTransform(parseCsvTransactions(), [...headers, csvLineWith()]);
      expectSameElements(out.valid, [VALID_TRANSACTION]);
      expect(out.deadLetter).to.deep.equal([]);
      expect(csvLineRole(CSV_HEADER, 2)).to.equal("record");
    });
  });
});

describe("transforms/parse_csv: portability", () => {
  it("runs unchanged on the SDK's own direct runner (as on Dataflow's worker)", async () => {
    const lines = [CSV_HEADER, csvLineWith(), csvLineWith({ Quantity: "0" })].map((line, i) => ({ line, file: "a.csv", lineNumber: i + 1 }));
    const out = await runTransform(parseCsvTransactions(), lines, { runner: sdkDirectRunner() });
    expect(out.valid).to.deep.equal([VALID_TRANSACTION]);
    expect(out.deadLetter.map((d) => [d.origin, d.step, d.field])).to.deep.equal([["a.csv:3", VALIDATE_STEP, "Quantity"]]);
  });
});

describe("transforms/parse_csv: every record becomes a transaction or a dead letter", () => {
  it("valid + dead letters = records in (non-blank lines, less the file's header), over a shuffled mix", async () => {
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const kinds = ["accepted", "rejected", "blank"] as const;
    const lines: TextLine[] = [{ line: `\uFEFF${CSV_HEADER}`, file: "mix.csv", lineNumber: 1 }];
    const counts = { accepted: 0, rejected: 0, blank: 0 };
    for (let lineNumber = 2; lineNumber <= 3000; lineNumber++) {
      const kind = kinds[random(kinds.length)];
      counts[kind]++;
      const line =
        kind === "accepted" ? accepted[random(accepted.length)].line
        : kind === "rejected" ? rejected[random(rejected.length)].line
        : ["", "  ", "\r"][random(3)];
      lines.push({ line, file: "mix.csv", lineNumber });
    }
    const out = await runTransform(parseCsvTransactions(), lines);
    const records = lines.filter((l) => csvLineRole(l.line, l.lineNumber) === "record").length;
    expect(records).to.equal(counts.accepted + counts.rejected);
    expect(out.valid.length + out.deadLetter.length).to.equal(records);
    expect(out.valid).to.have.length(counts.accepted);
    expect(out.deadLetter).to.have.length(counts.rejected);
  });
});
