import { expect } from "chai";
import * as beam from "apache-beam";
import { expectSameElements, fromArray, runPipeline, runTransform } from "../../testing";
import type { Transaction } from "../../transforms/transaction";
import {
  quantityByState,
  revenueByCategory,
  revenueByChannel,
  revenueByPaymentMethod,
  salesByProductAndCenter,
  salesSummary,
  summaryCombineFn,
  type SalesSummary,
} from "../../transforms/aggregates";
import { topChannelsByRevenue, topN, topStatesByQuantity } from "../../transforms/top_n";
import { directRunner } from "../../runners/direct";
import { generatedTransactions, VALID_TRANSACTION } from "./transactions";
import { formatRupees } from "../../transforms/money";
import { describeAtWorkerCounts, testWorkers } from "../support/worker_counts";
import * as protobufjs from "protobufjs";
import { Context } from "apache-beam/coders/coders";
import { GeneralObjectCoder } from "apache-beam/coders/js_coders";

const sale = (changes: Partial<Transaction>): Transaction => ({ ...VALID_TRANSACTION, ...changes });

/** Five purchases whose totals are easy to check by hand. */
const SALES: Transaction[] = [
  sale({ transactionId: "1", productId: "P1", distributionCenter: "DC-A", finalPricePaise: 1000, quantity: 1, salesChannel: "Web", customerState: "Goa", category: "Books", paymentMethod: "UPI" }),
  sale({ transactionId: "2", productId: "P1", distributionCenter: "DC-A", finalPricePaise: 1000, quantity: 3, salesChannel: "Store", customerState: "Goa", category: "Books", paymentMethod: "Card" }),
  sale({ transactionId: "3", productId: "P1", distributionCenter: "DC-B", finalPricePaise: 250, quantity: 2, salesChannel: "Web", customerState: "Kerala", category: "Toys", paymentMethod: "UPI" }),
  sale({ transactionId: "4", productId: "P2", distributionCenter: "DC-A", finalPricePaise: 700, quantity: 1, salesChannel: "Web", customerState: "Delhi", category: "Toys", paymentMethod: "UPI" }),
  sale({ transactionId: "5", productId: "P2", distributionCenter: "DC-A", finalPricePaise: 10, quantity: 4, salesChannel: "App", customerState: "Delhi", category: "Books", paymentMethod: "Cash" }),
];

describe("transforms/aggregates: sales totals per key", () => {
  it("totals revenue and quantity per product and distribution center (seed 000's first)", async () => {
    expectSameElements(await runTransform(salesByProductAndCenter(), SALES), [
      { productId: "P1", distributionCenter: "DC-A", revenuePaise: 4000, quantity: 4 },
      { productId: "P1", distributionCenter: "DC-B", revenuePaise: 500, quantity: 2 },
      { productId: "P2", distributionCenter: "DC-A", revenuePaise: 740, quantity: 5 },
    ]);
  });

  it("totals revenue per sales channel", async () => {
    expectSameElements(await runTransform(revenueByChannel(), SALES), [
      { salesChannel: "Web", revenuePaise: 2200 },
      { salesChannel: "Store", revenuePaise: 3000 },
      { salesChannel: "App", revenuePaise: 40 },
    ]);
  });

  it("totals quantity per customer state", async () => {
    expectSameElements(await runTransform(quantityByState(), SALES), [
      { customerState: "Goa", quantity: 4 },
      { customerState: "Kerala", quantity: 2 },
      { customerState: "Delhi", quantity: 5 },
    ]);
  });

  it("totals revenue and counts transactions per category and per payment method", async () => {
    const out = await runPipeline((root) => {
      const sales = root.apply(fromArray(SALES));
      return { byCategory: sales.apply(revenueByCategory()), byPayment: sales.apply(revenueByPaymentMethod()) };
    });
    expectSameElements(out.byCategory, [
      { category: "Books", revenuePaise: 4040, count: 3 },
      { category: "Toys", revenuePaise: 1200, count: 2 },
    ]);
    expectSameElements(out.byPayment, [
      { paymentMethod: "UPI", revenuePaise: 2200, count: 3 },
      { paymentMethod: "Card", revenuePaise: 3000, count: 1 },
      { paymentMethod: "Cash", revenuePaise: 40, count: 1 },
    ]);
  });

  it("sums money exactly: 100 000 purchases of 0.10 are 10000.00, in any bundling", async () => {
    // In floating-point rupees, 0.1 added 100 000 times is 10000.000000018848: a drift money must not have.
    const dimes = Array.from({ length: 100_000 }, (_, i) => sale({ transactionId: `D${i}`, finalPricePaise: 10, quantity: 1 }));
    const [row] = await runTransform(revenueByCategory(), dimes, { runner: directRunner({ bundleSize: 777 }) });
    expect(row.revenuePaise).to.equal(1_000_000);
    expect(formatRupees(row.revenuePaise)).to.equal("10000.00");
  });

  it("agrees exactly with a plain loop over 20k generated transactions", async () => {
    const transactions = generatedTransactions(20_000);
    const expected = new Map<string, { revenuePaise: number; quantity: number }>();
    for (const t of transactions) {
      const key = `${t.productId}|${t.distributionCenter}`;
      const total = expected.get(key) ?? { revenuePaise: 0, quantity: 0 };
      total.revenuePaise += t.finalPricePaise * t.quantity;
      total.quantity += t.quantity;
      expected.set(key, total);
    }
    const rows = await runTransform(salesByProductAndCenter(), transactions);
    expectSameElements(
      rows,
      [...expected].map(([key, total]) => {
        const [productId, distributionCenter] = key.split("|");
        return { productId, distributionCenter, ...total };
      }),
    );
    for (const row of rows) expect(Number.isSafeInteger(row.revenuePaise), `${row.productId}: ${row.revenuePaise}`).to.equal(true);
  });
});

describeAtWorkerCounts("transforms/aggregates: salesSummary, every aggregate in one pass", () => {
  it("gives exactly what each aggregate gives alone, in any bundling; nothing for no input", async () => {
    const transactions = generatedTransactions(20_000);
    const out = await runPipeline(
      (root) => {
        const sales = root.apply(fromArray(transactions));
        return {
          summary: sales.apply(salesSummary()),
          salesByProductAndCenter: sales.apply(salesByProductAndCenter()),
          revenueByChannel: sales.apply(revenueByChannel()),
          quantityByState: sales.apply(quantityByState()),
          revenueByCategory: sales.apply(revenueByCategory()),
          revenueByPaymentMethod: sales.apply(revenueByPaymentMethod()),
        };
      },
      { runner: directRunner({ bundleSize: 333, verifySerialization: true, workers: testWorkers() }) },
    );
    expect(out.summary).to.have.length(1);
    const summary = out.summary[0] as SalesSummary;
    for (const name of ["salesByProductAndCenter", "revenueByChannel", "quantityByState", "revenueByCategory", "revenueByPaymentMethod"] as const) {
      expectSameElements(summary[name] as object[], out[name] as object[]);
    }
    expect(summary.salesByProductAndCenter.length).to.equal(new Set(transactions.map((t) => `${t.productId}|${t.distributionCenter}`)).size);
    expect(await runTransform(salesSummary(), [])).to.deep.equal([]);
  });
});

describe("transforms/aggregates: salesSummary's accumulator coder", () => {
  it("encodes its accumulator with every Map kept, as partial accumulators cross threads", () => {
    const fn = summaryCombineFn();
    const summary = SALES.reduce((acc, t) => fn.addInput(acc, t), fn.createAccumulator());
    const coder = fn.accumulatorCoder!(new GeneralObjectCoder());
    const writer = new protobufjs.Writer();
    coder.encode(summary, writer, Context.wholeStream);
    const decoded = coder.decode(new protobufjs.Reader(writer.finish()), Context.wholeStream);
    expect(decoded).to.deep.equal(summary);
    expect(fn.extractOutput(fn.mergeAccumulators([decoded, fn.createAccumulator()]))).to.deep.equal(fn.extractOutput(summary));
  });
});

describe("transforms/top_n: leaderboards over aggregate rows", () => {
  const channels = [
    { salesChannel: "Web", revenuePaise: 50 },
    { salesChannel: "Store", revenuePaise: 70 },
    { salesChannel: "App", revenuePaise: 50 },
    { salesChannel: "Kiosk", revenuePaise: 10 },
    { salesChannel: "Call Center", revenuePaise: 50 },
    { salesChannel: "Marketplace", revenuePaise: 90 },
    { salesChannel: "Fair", revenuePaise: 5 },
  ];

  it("ranks the top 5 channels by revenue, ties broken by name", async () => {
    const [ranking] = await runTransform(topChannelsByRevenue(), channels);
    expect(ranking.map((row) => row.salesChannel)).to.deep.equal(["Marketplace", "Store", "App", "Call Center", "Web"]);
  });

  it("ranks the top 5 states by quantity, and returns all rows when there are fewer", async () => {
    const states = [{ customerState: "Goa", quantity: 4 }, { customerState: "Delhi", quantity: 9 }];
    const [ranking] = await runTransform(topStatesByQuantity(), states);
    expect(ranking).to.deep.equal([{ customerState: "Delhi", quantity: 9 }, { customerState: "Goa", quantity: 4 }]);
  });

  it("gives the same ranking whatever the input order and bundling (ties broken by every key field)", async () => {
    type Row = { productId: string; distributionCenter: string; revenuePaise: number };
    const rows: Row[] = [
      { productId: "P2", distributionCenter: "DC-A", revenuePaise: 5 },
      { productId: "P1", distributionCenter: "DC-B", revenuePaise: 5 },
      { productId: "P1", distributionCenter: "DC-A", revenuePaise: 5 },
      { productId: "P3", distributionCenter: "DC-A", revenuePaise: 6 },
      { productId: "P0", distributionCenter: "DC-A", revenuePaise: 1 },
    ];
    const rank = () => topN<Row>(3, "revenuePaise", ["productId", "distributionCenter"]);
    // Bundles of 2 make the runner combine partial top-3s, exercising mergeAccumulators.
    const out = await runPipeline(
      (root) => ({
        forward: root.apply(beam.withName("forward", fromArray(rows))).apply(beam.withName("rankForward", rank())),
        backward: root.apply(beam.withName("backward", fromArray([...rows].reverse()))).apply(beam.withName("rankBackward", rank())),
      }),
      { runner: directRunner({ bundleSize: 2, verifySerialization: true }) },
    );
    const expected = [rows[3], rows[2], rows[1]];
    expect(out.forward).to.deep.equal([expected]);
    expect(out.backward).to.deep.equal([expected]);
  });

  it("refuses a count that is not a whole number of at least 1", () => {
    expect(() => topN(0, "revenuePaise", "salesChannel")).to.throw("at least 1");
  });
});
