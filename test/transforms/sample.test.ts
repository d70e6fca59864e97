/**
 * The parse transforms and aggregates over the committed sample (fixtures/sample/), checked against
 * its manifest and against totals computed here with a parser of this file's own: the expected
 * values never come from the code under test.
 */
import { expect } from "chai";
import * as beam from "apache-beam";
import { expectSameElements, fromArray, runPipeline } from "../../testing";
import type { Transaction } from "../../transforms/transaction";
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
import { csvFields, goodTransactions, jsonFields, sampleLines, sampleManifest } from "../support/independent_sample";

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

const revenuePaise = (t: Transaction) => t.finalPricePaise * t.quantity;
const quantity = (t: Transaction) => t.quantity;
const one = () => 1;

function top5<Row extends Record<string, unknown>>(rows: Row[], measure: string, key: string): Row[] {
  return [...rows]
    .sort((a, b) => (b[measure] as number) - (a[measure] as number) || (String(a[key]) < String(b[key]) ? -1 : 1))
    .slice(0, 5);
}

describe("transforms over the committed sample (fixtures/sample)", () => {
  const manifest = sampleManifest();
  const csvLines = sampleLines("transactions.csv");
  const jsonLines = sampleLines("transactions.jsonl");
  const expectedCsv = goodTransactions(csvLines, manifest["transactions.csv"], csvFields);
  const expectedJson = goodTransactions(jsonLines, manifest["transactions.jsonl"], jsonFields);
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
    expectSameElements(out.byProductAndCenter, totals(all, ["productId", "distributionCenter"], { revenuePaise, quantity }));
  });

  it("revenue per sales channel", () => {
    expectSameElements(out.byChannel, totals(all, ["salesChannel"], { revenuePaise }));
  });

  it("quantity per customer state", () => {
    expectSameElements(out.byState, totals(all, ["customerState"], { quantity }));
  });

  it("revenue and count per category", () => {
    expectSameElements(out.byCategory, totals(all, ["category"], { revenuePaise, count: one }));
  });

  it("revenue and count per payment method", () => {
    expectSameElements(out.byPaymentMethod, totals(all, ["paymentMethod"], { revenuePaise, count: one }));
  });

  it("top 5 channels by revenue and top 5 states by quantity", () => {
    const channels = top5(totals(all, ["salesChannel"], { revenuePaise }), "revenuePaise", "salesChannel");
    const states = top5(totals(all, ["customerState"], { quantity }), "quantity", "customerState");
    expect(out.topChannels).to.have.length(1);
    expect(out.topChannels[0].map((r) => r.salesChannel)).to.deep.equal(channels.map((r) => r.salesChannel));
    expectSameElements(out.topChannels[0], channels);
    expect(out.topStates).to.deep.equal([states]);
  });
});
