/**
 * The shortcuts that make a transaction row cheaper, against the plain computation they replace:
 * ids written four digits at a time (`columns.ts`), and customers' attributes remembered
 * (`customer_memo.ts`) rather than hashed per row.
 */
import { expect } from "chai";
import { AsciiColumn } from "../../ingest/generator/columns";
import { CustomerMemo, homeOf, MAX_REMEMBERED, preferredChannelOf, typicalPaiseOf } from "../../ingest/generator/customer_memo";
import { customerHomeState, customerPreferredChannel, customerTypicalPaise, makeWorld } from "../../ingest/generator/world";
import { SMALL_WORLD } from "./small_world";

describe("generator row shortcuts", () => {
  it("writes prefixed numbers zero-padded to their width, across every group of digits", () => {
    const cases: [number, number][] = [
      [0, 12],
      [7, 12],
      [9_999, 12],
      [10_000, 12],
      [99_999_999, 12],
      [100_000_000, 12],
      [123_456_789_012, 12],
      [999_999_999_999, 12],
      [0, 9],
      [123_456_789, 9],
      [999_999_999, 9],
      [42, 6],
      [999_999, 6],
      [12_345_678, 8],
      [5, 1],
      [31, 3],
    ];
    // Bytes for a one-character value each at first: the values outgrow them, and digits still land in the new bytes.
    const twelve = cases.filter(([, digits]) => digits === 12).map(([n]) => n);
    const column = new AsciiColumn(cases.length + twelve.length, 1);
    // One value at a time (widths differ), then a column's worth of one width at once.
    for (const [n, digits] of cases) column.pushPrefixedNumbers(84, [n], 1, digits);
    const expected = cases.map(([n, digits]) => "T" + String(n).padStart(digits, "0"));
    expect(cases.map((_, k) => column.valueAt(k))).to.deep.equal(expected);
    column.pushPrefixedNumbers(84, twelve, twelve.length, 12);
    expect(twelve.map((_, k) => column.valueAt(cases.length + k))).to.deep.equal(twelve.map((n) => "T" + String(n).padStart(12, "0")));
  });

  it("remembers each customer's home, habitual spend and preferred channel as the world's functions give them", () => {
    for (const customers of [SMALL_WORLD.customers, MAX_REMEMBERED + 1]) {
      const world = makeWorld({ ...SMALL_WORLD, customers, devices: customers });
      const memo = new CustomerMemo(world);
      const sample = Array.from({ length: 500 }, (_, k) => (k * 7_919) % customers);
      // Twice: once computed, once remembered (in a world small enough to be remembered).
      for (const pass of [1, 2]) {
        for (const customer of sample) {
          const packed = memo.of(customer);
          const where = `customer ${customer} of ${customers}, pass ${pass}`;
          expect(homeOf(packed), where).to.equal(customerHomeState(world, customer));
          expect(typicalPaiseOf(packed), where).to.equal(customerTypicalPaise(world, customer));
          expect(preferredChannelOf(packed), where).to.equal(customerPreferredChannel(world, customer));
        }
      }
    }
  });
});
