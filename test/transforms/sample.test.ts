/**
 * The parse transforms and aggregates over the committed sample (fixtures/sample/), checked against
 * its manifest and against totals computed here with a parser of this file's own: the expected
 * values never come from the code under test.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as beam from "apache-beam";
import { expectSameElements, fromArray, runPipeline } from "../../testing";
import type { Transaction } from "../../transforms/transaction";
import type { TextLine } from "../../transforms/text_line";
import { parseCsvTransactions } from "../../transforms/parse_csv";
import { parseJsonTransactions } from "../../transforms/parse_json";
import type { ParsedTransactions } from "../../transforms/validate";
import {
  type CategoryRevenue,
  type ChannelRevenue,
  type PaymentMethodRevenue,
  type ProductCenterSales,
  type StateQuantity,
  quantityByState,
  revenueByCategory,
  revenueByChannel,
  revenueByPaymentMethod,
  salesByProductAndCenter,
} from "../../transforms/aggregates";
import { topChannelsByRevenue, topStatesByQuantity } from "../../transforms/top_n";

const SAMPLE_DIR = path.join(__dirname, "../../fixtures/sample");
const TOLERANCE = 1e-6;

interface ManifestLine {
  line: number;
  field: string | null;
}
interface FileManifest {
  lines: number;
  goodRecords: number;
  headerLines: number;
  blankLines: number;
  badRecords: ManifestLine[];
}

/** The file's physical lines, counted by `\n` as the manifest counts them, `\r` left in place. */
function sampleLines(file: string): TextLine[] {
  const text = fs.readFileSync(path.join(SAMPLE_DIR, file), "utf8");
  return text.split("\n").slice(0, -1).map((line, i) => ({ line, file, lineNumber: i + 1 }));
}

/** Fields of a well-formed CSV line: quotes, `""` and commas inside quotes. Nothing else needed here. */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') { field += '"'; i++; }
    else if (c === '"') quoted = !quoted;
    else if (c === "," && !quoted) { fields.push(field); field = ""; }
    else field += c;
  }
  fields.push(field);
  return fields;
}

/** A transaction from the 14 values of a good record, in column order. */
function transactionOf(v: (string | number)[]): Transaction {
  const [day, month, year] = String(v[8]).split("-").map(Number);
  const [hours, minutes, seconds] = String(v[9]).split(":").map(Number);
  return {
    transactionId: String(v[0]), userId: String(v[1]), productId: String(v[2]), category: String(v[3]),
    price: Number(v[4]), discountPercent: Number(v[5]), finalPrice: Number(v[6]), paymentMethod: String(v[7]),
    quantity: Number(v[10]), salesChannel: String(v[11]), customerState: String(v[12]), distributionCenter: String(v[13]),
    eventTimeMs: Date.UTC(year, month - 1, day, hours, minutes, seconds),
  };
}

/** The good records of a sample file, read without the project's parser: every line not header, blank or bad. */
function goodTransactions(lines: TextLine[], manifest: FileManifest, values: (line: string) => (string | number)[]): Transaction[] {
  const bad = new Set(manifest.badRecords.map((b) => b.line));
  return lines
    .filter((l) => l.lineNumber! > manifest.headerLines && !bad.has(l.lineNumber!) && l.line.replace("\r", "") !== "")
    .map((l) => transactionOf(values(l.line.replace(/\r$/, ""))));
}

/** Totals of `measures` per key, the way a report would compute them: one loop. */
function totals(transactions: Transaction[], keyFields: (keyof Transaction)[], measures: Record<string, (t: Transaction) => number>) {
  const groups = new Map<string, Record<string, unknown>>();
  for (const t of transactions) {
    const id = JSON.stringify(keyFields.map((k) => t[k]));
    const row = groups.get(id) ?? Object.fromEntries([...keyFields.map((k) => [k, t[k]]), ...Object.keys(measures).map((m) => [m, 0])]);
    groups.set(id, row);
    for (const [m, of] of Object.entries(measures)) row[m] = (row[m] as number) + of(t);
  }
  return [...groups.values()];
}

const revenue = (t: Transaction) => t.finalPrice * t.quantity;
const quantity = (t: Transaction) => t.quantity;
const one = () => 1;

function top5<Row extends Record<string, unknown>>(rows: Row[], measure: string, key: string): Row[] {
  return [...rows]
    .sort((a, b) => (b[measure] as number) - (a[measure] as number) || (String(a[key]) < String(b[key]) ? -1 : 1))
    .slice(0, 5);
}

describe("transforms over the committed sample (fixtures/sample)", () => {
  const manifest: Record<string, FileManifest> = JSON.parse(fs.readFileSync(path.join(SAMPLE_DIR, "manifest.json"), "utf8")).files;
  const csvLines = sampleLines("transactions.csv");
  const jsonLines = sampleLines("transactions.jsonl");
  const expectedCsv = goodTransactions(csvLines, manifest["transactions.csv"], csvFields);
  const expectedJson = goodTransactions(jsonLines, manifest["transactions.jsonl"], (line) => {
    const object = JSON.parse(line);
    return ["Transaction_ID", "User_ID", "Product_ID", "Category", "Price (Rs.)", "Discount (%)", "Final_Price(Rs.)", "Payment_Method", "Purchase_Date", "Purchase_Time", "Quantity", "Sales_Channel", "Customer_State", "Distribution_Center"].map((k) => object[k]);
  });
  const all = [...expectedCsv, ...expectedJson];

  let out: Awaited<ReturnType<typeof runSample>>;
  function runSample() {
    return runPipeline((root) => {
      const csv: ParsedTransactions = root.apply(beam.withName("csvLines", fromArray(csvLines))).apply(parseCsvTransactions());
      const json: ParsedTransactions = root.apply(beam.withName("jsonLines", fromArray(jsonLines))).apply(parseJsonTransactions());
      const transactions = beam.P([csv.valid, json.valid]).apply(beam.flatten<Transaction>());
      const byChannel: beam.PCollection<ChannelRevenue> = transactions.apply(revenueByChannel());
      const byState: beam.PCollection<StateQuantity> = transactions.apply(quantityByState());
      return {
        csvValid: csv.valid, csvDead: csv.deadLetter, jsonValid: json.valid, jsonDead: json.deadLetter,
        byProductAndCenter: transactions.apply(salesByProductAndCenter()) as beam.PCollection<ProductCenterSales>,
        byChannel,
        byState,
        byCategory: transactions.apply(revenueByCategory()) as beam.PCollection<CategoryRevenue>,
        byPaymentMethod: transactions.apply(revenueByPaymentMethod()) as beam.PCollection<PaymentMethodRevenue>,
        topChannels: byChannel.apply(topChannelsByRevenue()) as beam.PCollection<ChannelRevenue[]>,
        topStates: byState.apply(topStatesByQuantity()) as beam.PCollection<StateQuantity[]>,
      };
    });
  }
  before(async () => {
    out = await runSample();
  });

  for (const [file, valid, dead] of [["transactions.csv", "csvValid", "csvDead"], ["transactions.jsonl", "jsonValid", "jsonDead"]] as const) {
    it(`${file}: the dead letters are exactly the manifest's bad lines, blamed on its fields`, () => {
      const expected = manifest[file].badRecords.map((b) => ({ origin: `${file}:${b.line}`, field: b.field ?? undefined }));
      expectSameElements(out[dead].map((d) => ({ origin: d.origin, field: d.field })), expected);
    });

    it(`${file}: the valid transactions are exactly the good records, read independently`, () => {
      expect(out[valid]).to.have.length(manifest[file].goodRecords);
      expectSameElements(out[valid], file === "transactions.csv" ? expectedCsv : expectedJson, { tolerance: 1e-9 });
    });

    it(`${file}: valid + dead letters = lines − header − blank lines`, () => {
      const m = manifest[file];
      expect(out[valid].length + out[dead].length).to.equal(m.lines - m.headerLines - m.blankLines);
    });
  }

  it("revenue and quantity per product and distribution center", () => {
    expectSameElements(out.byProductAndCenter, totals(all, ["productId", "distributionCenter"], { revenue, quantity }), { tolerance: TOLERANCE });
  });

  it("revenue per sales channel", () => {
    expectSameElements(out.byChannel, totals(all, ["salesChannel"], { revenue }), { tolerance: TOLERANCE });
  });

  it("quantity per customer state", () => {
    expectSameElements(out.byState, totals(all, ["customerState"], { quantity }));
  });

  it("revenue and count per category", () => {
    expectSameElements(out.byCategory, totals(all, ["category"], { revenue, count: one }), { tolerance: TOLERANCE });
  });

  it("revenue and count per payment method", () => {
    expectSameElements(out.byPaymentMethod, totals(all, ["paymentMethod"], { revenue, count: one }), { tolerance: TOLERANCE });
  });

  it("top 5 channels by revenue and top 5 states by quantity", () => {
    const channels = top5(totals(all, ["salesChannel"], { revenue }), "revenue", "salesChannel");
    const states = top5(totals(all, ["customerState"], { quantity }), "quantity", "customerState");
    expect(out.topChannels).to.have.length(1);
    expect(out.topChannels[0].map((r) => r.salesChannel)).to.deep.equal(channels.map((r) => r.salesChannel));
    expectSameElements(out.topChannels[0], channels, { tolerance: TOLERANCE });
    expect(out.topStates).to.deep.equal([states]);
  });
});
