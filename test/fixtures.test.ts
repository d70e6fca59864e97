import { expect } from "chai";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRANSACTION_COLUMNS } from "../transforms/transaction";
import { runCommandLine, writeTransactions, type WriteTransactionsOptions } from "../fixtures/generate";
import { sampleFiles, type SampleManifest } from "../fixtures/sample";
import { transactionRows } from "../fixtures/transaction_rows";

// The rules below are written out again here, from the schema in fixtures/README.md, rather than
// imported from fixtures/: a test that reused the generator's own constants could not catch them drifting.
const CATEGORIES = ["Electronics", "Clothing", "Home & Kitchen", "Books", "Beauty", "Sports", "Toys"];
const PAYMENT_METHODS = ["Credit Card", "Debit Card", "Net Banking", "UPI", "Cash on Delivery"];
const SALES_CHANNELS = ["Web", "Mobile App", "Marketplace", "Store", "Call Center"];
const HEADER = TRANSACTION_COLUMNS.join(",");
const NUMERIC = new Set<string>(["Price (Rs.)", "Discount (%)", "Final_Price(Rs.)", "Quantity"]);
const SAMPLE_DIR = join(__dirname, "..", "fixtures", "sample");

/** Physical lines of a file that ends with `\n`, each without its line ending, and whether that ending was CRLF. */
function physicalLines(text: string): { text: string; crlf: boolean }[] {
  expect(text.endsWith("\n"), "file ends with a newline").to.equal(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => (line.endsWith("\r") ? { text: line.slice(0, -1), crlf: true } : { text: line, crlf: false }));
}

/** RFC 4180 fields of one line, or null when its quoting is broken. */
function splitCsv(line: string): string[] | null {
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let cell = "";
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) return null;
        cell += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          cell += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      cells.push(cell);
      if (i === line.length) return cells;
      if (line[i] !== ",") return null;
      i++;
    } else {
      const comma = line.indexOf(",", i);
      if (comma < 0) {
        cells.push(line.slice(i));
        return cells;
      }
      cells.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

function isCalendarDate(ddmmyyyy: string): boolean {
  const match = /^(\d{2})-(\d{2})-(\d{4})$/.exec(ddmmyyyy);
  if (!match) return false;
  const day = Number(match[1]);
  const month = Number(match[2]);
  const year = Number(match[3]);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/;

/**
 * The column to blame in a record, or undefined when it is acceptable. Columns are checked in file
 * order, then the final price against price and discount. `values` come from CSV (all text) or JSON.
 */
function blamedColumn(values: Record<string, unknown>): string | undefined {
  const numbers: Record<string, number> = {};
  for (const column of TRANSACTION_COLUMNS) {
    const value = values[column];
    if (value === undefined || value === null || value === "") return column;
    if (NUMERIC.has(column)) {
      const n = typeof value === "number" ? value : typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
      if (!Number.isFinite(n) || n < 0) return column;
      if ((column === "Discount (%)" || column === "Quantity") && !Number.isInteger(n)) return column;
      if (column === "Discount (%)" && n > 100) return column;
      if (column === "Quantity" && n < 1) return column;
      numbers[column] = n;
    } else if (typeof value !== "string") return column;
    if (column === "Purchase_Date" && !isCalendarDate(value as string)) return column;
    if (column === "Purchase_Time" && !TIME.test(value as string)) return column;
  }
  const expected = numbers["Price (Rs.)"] * (1 - numbers["Discount (%)"] / 100);
  if (Math.abs(numbers["Final_Price(Rs.)"] - expected) > 0.01) return "Final_Price(Rs.)";
  return undefined;
}

type Verdict = "header" | "blank" | "good" | { bad: string | null };

function csvVerdict(line: string, lineNumber: number): Verdict {
  if (lineNumber === 1) return line.replace(/^\uFEFF/, "") === HEADER ? "header" : { bad: null };
  if (line === "") return "blank";
  if (line === HEADER) return { bad: null };
  const cells = splitCsv(line);
  if (!cells || cells.length !== TRANSACTION_COLUMNS.length) return { bad: null };
  const blamed = blamedColumn(Object.fromEntries(TRANSACTION_COLUMNS.map((column, i) => [column, cells[i]])));
  return blamed === undefined ? "good" : { bad: blamed };
}

function jsonlVerdict(line: string): Verdict {
  if (line === "") return "blank";
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { bad: null };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { bad: null };
  const blamed = blamedColumn(value as Record<string, unknown>);
  return blamed === undefined ? "good" : { bad: blamed };
}

describe("fixtures: the transaction generator", function () {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "fixtures-test-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function generated(options: Omit<WriteTransactionsOptions, "out">, name: string): Promise<{ text: string; bytes: number; rows: number }> {
    const out = join(dir, name);
    const written = await writeTransactions({ ...options, out });
    const buffer = await readFile(out);
    expect(written.bytes).to.equal(buffer.length);
    return { ...written, text: buffer.toString("utf8") };
  }

  it("writes byte-identical files for the same seed, different ones for another seed", async () => {
    const first = await generated({ rows: 3000, seed: 42, format: "csv" }, "a.csv");
    const again = await generated({ rows: 3000, seed: 42, format: "csv" }, "b.csv");
    const other = await generated({ rows: 3000, seed: 43, format: "csv" }, "c.csv");
    expect(again.text === first.text, "same seed, same bytes").to.equal(true);
    expect(other.text === first.text, "another seed, other bytes").to.equal(false);
    const jsonl = await generated({ rows: 3000, seed: 42, format: "jsonl" }, "a.jsonl");
    const jsonlAgain = await generated({ rows: 3000, seed: 42, format: "jsonl" }, "b.jsonl");
    expect(jsonlAgain.text === jsonl.text).to.equal(true);
  });

  it("writes a header and one line per row in CSV, one object per row in JSON lines, with the same values", async () => {
    const csv = await generated({ rows: 1234, seed: 9, format: "csv" }, "count.csv");
    const jsonl = await generated({ rows: 1234, seed: 9, format: "jsonl" }, "count.jsonl");
    const csvLines = physicalLines(csv.text);
    expect(csv.rows).to.equal(1234);
    expect(csvLines).to.have.length(1235);
    expect(csvLines[0].text).to.equal(HEADER);
    const records = physicalLines(jsonl.text).map((line) => JSON.parse(line.text));
    expect(records).to.have.length(1234);
    const mismatches = records.flatMap((record, i) => {
      if (Object.keys(record).join(",") !== HEADER) return [`keys of record ${i + 1}`];
      const cells = csvLines[i + 1].text.split(",");
      return TRANSACTION_COLUMNS.filter((column, c) =>
        NUMERIC.has(column) ? typeof record[column] !== "number" || record[column] !== Number(cells[c]) : record[column] !== cells[c],
      ).map((column) => `${column} of record ${i + 1}`);
    });
    expect(mismatches).to.deep.equal([]);
    expect((await generated({ rows: 0, seed: 9, format: "csv" }, "empty.csv")).text).to.equal(HEADER + "\n");
  });

  it("generates rows that satisfy every schema rule", async () => {
    const rows = 5000;
    const { text } = await generated({ rows, seed: 2024, format: "csv" }, "schema.csv");
    const ids = new Set<string>();
    const users = new Set<string>();
    let previousEvent = -Infinity;
    // Plain checks gathered into one assertion: thousands of chai calls would make this test slow.
    const problems: string[] = [];
    const check = (ok: boolean, rule: string, line: string) => {
      if (!ok && problems.length < 10) problems.push(`${rule}: ${line}`);
    };
    for (const { text: line, crlf } of physicalLines(text).slice(1)) {
      check(!crlf && !/["\r]/.test(line), "no CRLF, no quotes", line);
      const cells = line.split(",");
      check(cells.length === TRANSACTION_COLUMNS.length, "column count", line);
      const row = Object.fromEntries(TRANSACTION_COLUMNS.map((column, i) => [column, cells[i]]));
      check(blamedColumn(row) === undefined, "acceptable record", line);
      check(/^T\d{12}$/.test(row.Transaction_ID), "Transaction_ID", line);
      ids.add(row.Transaction_ID);
      check(/^[0-9a-f]{8}$/.test(row.User_ID), "User_ID", line);
      users.add(row.User_ID);
      check(/^[1-9]\d{12}$/.test(row.Product_ID), "Product_ID", line);
      check(CATEGORIES.includes(row.Category), "Category", line);
      const price = Number(row["Price (Rs.)"]);
      const discount = Number(row["Discount (%)"]);
      check(/^\d+\.\d{2}$/.test(row["Price (Rs.)"]) && price > 0, "Price (Rs.)", line);
      check(/^\d+$/.test(row["Discount (%)"]) && discount <= 70, "Discount (%)", line);
      check(/^\d+\.\d{2}$/.test(row["Final_Price(Rs.)"]), "Final_Price(Rs.) format", line);
      check(Math.abs(Number(row["Final_Price(Rs.)"]) - price * (1 - discount / 100)) <= 0.005 + 1e-9, "final price is the discounted price to the paisa", line);
      check(PAYMENT_METHODS.includes(row.Payment_Method), "Payment_Method", line);
      check(isCalendarDate(row.Purchase_Date) && row.Purchase_Date.endsWith("-2024"), "Purchase_Date in 2024", line);
      check(TIME.test(row.Purchase_Time), "Purchase_Time", line);
      check(/^[1-5]$/.test(row.Quantity), "Quantity", line);
      check(SALES_CHANNELS.includes(row.Sales_Channel), "Sales_Channel", line);
      check(/^[A-Z][A-Za-z ]+$/.test(row.Customer_State), "Customer_State", line);
      check(/^DC-[A-Z][a-z]+$/.test(row.Distribution_Center), "Distribution_Center", line);
      const dayMonthYear = row.Purchase_Date.split("-");
      const event = Date.parse(`${dayMonthYear[2]}-${dayMonthYear[1]}-${dayMonthYear[0]}T${row.Purchase_Time}Z`);
      check(event >= previousEvent, "event times never go back", line);
      previousEvent = event;
    }
    expect(problems).to.deep.equal([]);
    expect(ids.size, "transaction ids are unique").to.equal(rows);
    expect(users.size, "users come back").to.be.within(rows / 10, rows / 3);
  });

  it("keeps purchases within --from..--to, a leap day included", async () => {
    const { text } = await generated({ rows: 500, seed: 1, format: "csv", from: "2024-02-28", to: "2024-03-01" }, "range.csv");
    const days = new Set(physicalLines(text).slice(1).map((line) => line.text.split(",")[8]));
    expect([...days].sort()).to.deep.equal(["01-03-2024", "28-02-2024", "29-02-2024"]);
  });

  it("draws products from a catalogue: --products N, and a default that stops growing with the rows", () => {
    const productsOf = (options: { rows: number; products?: number }) => {
      const products = new Set<string>();
      const categories = new Map<string, string>();
      for (const row of transactionRows({ seed: 3, ...options })) {
        products.add(row.Product_ID);
        // A product keeps its category whatever the catalogue size.
        expect(categories.get(row.Product_ID) ?? row.Category).to.equal(row.Category);
        categories.set(row.Product_ID, row.Category);
      }
      return products.size;
    };
    expect(productsOf({ rows: 20_000, products: 40 })).to.equal(40);
    expect(productsOf({ rows: 2_000 })).to.be.within(150, 200); // rows / 10 while that is below the default catalogue
    expect(productsOf({ rows: 200_000 })).to.equal(5_000); // not 20 000: the default catalogue's size
    expect(() => transactionRows({ rows: 10, seed: 1, products: 0 })).to.throw(RangeError, "products");
  });

  it("rejects bad options before touching the file", async () => {
    const out = join(dir, "never.csv");
    for (const options of [{ rows: -1 }, { rows: 1.5 }, { seed: 2 ** 32 }, { from: "2024-02-30" }, { from: "2024-03-02", to: "2024-03-01" }]) {
      const attempt = writeTransactions({ rows: 10, seed: 1, format: "csv", out, ...options });
      await attempt.then(
        () => expect.fail(`accepted ${JSON.stringify(options)}`),
        (error: Error) => expect(error).to.be.instanceOf(RangeError),
      );
    }
    await readFile(out).then(
      () => expect.fail("a file was written"),
      (error: NodeJS.ErrnoException) => expect(error.code).to.equal("ENOENT"),
    );
  });

  it("command line: --help lists the defaults, a bad flag exits 2 with the reason, good flags write the file", async () => {
    const output = { stdout: "", stderr: "" };
    const capture = { stdout: { write: (text: string) => (output.stdout += text) }, stderr: { write: (text: string) => (output.stderr += text) } };
    expect(await runCommandLine(["--help"], capture)).to.equal(0);
    expect(output.stdout).to.match(/--rows N .*default 1000/).and.match(/--format .*default csv/).and.match(/--sample/);
    for (const argv of [["--bogus"], ["--rows", "ten"], ["--format", "xml"], ["--to", "2024-13-01"], ["--sample", "--seed", "3"], ["stray"]]) {
      output.stderr = "";
      expect(await runCommandLine(argv, capture), argv.join(" ")).to.equal(2);
      // One line, as every command of the project says a mistake.
      expect(output.stderr, argv.join(" ")).to.match(/^error: .+ \(--help lists the options\)\n$/);
    }
    const out = join(dir, "cli.jsonl");
    expect(await runCommandLine(["--rows", "7", "--seed", "3", "--format", "jsonl", "--out", out], capture)).to.equal(0);
    expect(physicalLines(await readFile(out, "utf8"))).to.have.length(7);
  });
});

describe("fixtures: the committed sample", () => {
  const fresh = sampleFiles();
  const manifest: SampleManifest = JSON.parse(fresh["manifest.json"]);

  it("is byte for byte what `npm run fixtures -- --sample` generates", () => {
    expect(Object.keys(fresh).sort()).to.deep.equal(["manifest.json", "transactions.csv", "transactions.jsonl"]);
    for (const [name, text] of Object.entries(fresh)) {
      expect(readFileSync(join(SAMPLE_DIR, name)).equals(Buffer.from(text, "utf8")), `${name} is stale: run npm run fixtures -- --sample`).to.equal(true);
    }
  });

  for (const name of ["transactions.csv", "transactions.jsonl"]) {
    it(`${name}: the manifest lists exactly the lines that break the schema, and counts the rest`, () => {
      const entry = manifest.files[name];
      const lines = physicalLines(fresh[name]);
      const found = { header: 0, blank: 0, good: 0, bad: [] as { line: number; field: string | null }[] };
      lines.forEach(({ text }, i) => {
        const verdict = entry.format === "csv" ? csvVerdict(text, i + 1) : jsonlVerdict(text);
        if (typeof verdict === "string") found[verdict]++;
        else found.bad.push({ line: i + 1, field: verdict.bad });
      });
      expect(found.bad).to.deep.equal(entry.badRecords.map(({ line, field }) => ({ line, field })));
      expect(found.good).to.equal(entry.goodRecords);
      expect(found.blank).to.equal(entry.blankLines);
      expect(found.header).to.equal(entry.headerLines);
      expect(entry.headerLines + entry.goodRecords + entry.badRecords.length + entry.blankLines).to.equal(entry.lines);
      expect(lines).to.have.length(entry.lines);
      for (const tricky of entry.trickyLines) {
        if (tricky.kind === "crlf-line-ending") expect(lines[tricky.line - 1].crlf, `line ${tricky.line}`).to.equal(true);
      }
    });
  }

  it("covers the cases the parsers must handle", () => {
    const csv = manifest.files["transactions.csv"];
    const jsonl = manifest.files["transactions.jsonl"];
    expect(fresh["transactions.csv"].startsWith("\uFEFF" + HEADER + "\n")).to.equal(true);
    expect(new Set(csv.badRecords.filter((bad) => bad.kind === "missing-field").map((bad) => bad.field)).size).to.be.at.least(4);
    expect(csv.badRecords.map((bad) => bad.kind)).to.include.members(["not-a-number", "out-of-range", "not-an-integer", "inconsistent-final-price", "bad-date", "bad-time", "wrong-column-count", "duplicate-header"]);
    expect(csv.trickyLines.map((line) => line.kind)).to.include.members(["utf8-bom", "quoted-comma", "escaped-quote", "crlf-line-ending", "non-ascii", "blank-line"]);
    expect(jsonl.badRecords.map((bad) => bad.kind)).to.include.members(["unparseable-json", "not-an-object", "missing-field", "not-a-number"]);
    expect(jsonl.goodRecords).to.equal(500);
    expect(csv.goodRecords).to.equal(2000);
  });

  it("is documented line by line in fixtures/README.md", () => {
    const readme = readFileSync(join(__dirname, "..", "fixtures", "README.md"), "utf8");
    const documented = readme
      .split("\n")
      .map((line) => /^\| (transactions\.\w+) \| (\d+) \| ([\w-]+) \| ([^|]+?) \|/.exec(line))
      .filter((match) => match !== null)
      .map((match) => `${match[1]}:${match[2]} ${match[3]} ${match[4]}`);
    const listed = Object.entries(manifest.files).flatMap(([file, entry]) =>
      [...entry.badRecords, ...entry.trickyLines].map((line) => `${file}:${line.line} ${line.kind} ${line.field ?? "—"}`),
    );
    expect(documented.sort()).to.deep.equal(listed.sort());
  });
});
