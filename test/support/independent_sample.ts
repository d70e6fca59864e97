/**
 * The committed sample (fixtures/sample/) read WITHOUT the project's parser: its own CSV splitter and
 * the manifest decide which lines are good. Tests compute their expected values from this, so the
 * expectations never come from the code under test.
 */
import * as fs from "fs";
import * as path from "path";
import type { Transaction } from "../../transforms/transaction";
import type { TextLine } from "../../transforms/text_line";

export const SAMPLE_DIR = path.join(__dirname, "../../fixtures/sample");

export interface ManifestLine {
  line: number;
  field: string | null;
}
export interface FileManifest {
  lines: number;
  goodRecords: number;
  headerLines: number;
  blankLines: number;
  badRecords: ManifestLine[];
}

/** The file's physical lines, counted by `\n` as the manifest counts them, `\r` left in place. */
export function sampleLines(file: string): TextLine[] {
  const text = fs.readFileSync(path.join(SAMPLE_DIR, file), "utf8");
  return text.split("\n").slice(0, -1).map((line, i) => ({ line, file, lineNumber: i + 1 }));
}

/** Fields of a well-formed CSV line: quotes, `""` and commas inside quotes. Nothing else needed here. */
export function csvFields(line: string): string[] {
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
    pricePaise: Math.round(Number(v[4]) * 100), discountPercent: Number(v[5]), finalPricePaise: Math.round(Number(v[6]) * 100), paymentMethod: String(v[7]),
    quantity: Number(v[10]), salesChannel: String(v[11]), customerState: String(v[12]), distributionCenter: String(v[13]),
    eventTimeMs: Date.UTC(year, month - 1, day, hours, minutes, seconds),
  };
}

/** The good records of a sample file, read without the project's parser: every line not header, blank or bad. */
export function goodTransactions(lines: TextLine[], manifest: FileManifest, values: (line: string) => (string | number)[]): Transaction[] {
  const bad = new Set(manifest.badRecords.map((b) => b.line));
  return lines
    .filter((l) => l.lineNumber! > manifest.headerLines && !bad.has(l.lineNumber!) && l.line.replace("\r", "") !== "")
    .map((l) => transactionOf(values(l.line.replace(/\r$/, ""))));
}

const JSON_KEYS = ["Transaction_ID", "User_ID", "Product_ID", "Category", "Price (Rs.)", "Discount (%)", "Final_Price(Rs.)", "Payment_Method", "Purchase_Date", "Purchase_Time", "Quantity", "Sales_Channel", "Customer_State", "Distribution_Center"];

/** The 14 values of a JSON line, in column order. */
export function jsonFields(line: string): (string | number)[] {
  const object = JSON.parse(line);
  return JSON_KEYS.map((k) => object[k]);
}

/** The sample's manifest, per file. */
export function sampleManifest(): Record<string, FileManifest> {
  return JSON.parse(fs.readFileSync(path.join(SAMPLE_DIR, "manifest.json"), "utf8")).files;
}

/** Every good transaction of the sample (both files), read independently. */
export function independentGoodTransactions(): Transaction[] {
  const manifest = sampleManifest();
  return [
    ...goodTransactions(sampleLines("transactions.csv"), manifest["transactions.csv"], csvFields),
    ...goodTransactions(sampleLines("transactions.jsonl"), manifest["transactions.jsonl"], jsonFields),
  ];
}
