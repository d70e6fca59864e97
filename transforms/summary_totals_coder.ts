/**
 * The coder of `salesSummary`'s accumulator. A lifted combine's partial accumulators cross from
 * where they were built to where they are merged — between the direct runner's worker threads, from
 * an SDK worker to the shuffle on Dataflow — encoded with the combine's accumulator coder. The SDK's
 * default (GeneralObjectCoder, BSON for objects) turns the accumulator's Maps into plain objects,
 * which the merge cannot iterate; this one writes every Map as its entries, in order, and gives them
 * back as Maps. Totals are integers (paise, units), exact in JSON.
 */
import { globalRegistry, type Context, type Coder } from "apache-beam/coders/coders";
import { StrUtf8Coder } from "apache-beam/coders/standard_coders";
import type { Reader, Writer } from "protobufjs";
import { requireForSerialization } from "apache-beam/serialization";
import type { SummaryTotals } from "./aggregates";

/** The accumulator as plain arrays: center names, then each Map's entries in insertion order. */
type Encoded = [
  names: string[],
  products: [string, number[]][],
  revenueByChannel: [string, [number]][],
  quantityByState: [string, [number]][],
  revenueByCategory: [string, [number, number]][],
  revenueByPaymentMethod: [string, [number, number]][],
];

const text = new StrUtf8Coder();

/** Encodes a {@link SummaryTotals}, Maps included, as one UTF-8 JSON string. */
export class SummaryTotalsCoder implements Coder<SummaryTotals> {
  static URN = "beam-ts-native:coder:sales_summary_totals:v1";
  type = "summarytotalscoder";

  encode(summary: SummaryTotals, writer: Writer, context: Context): void {
    const { names, products } = summary.salesByProductAndCenter;
    const encoded: Encoded = [
      names,
      [...products],
      [...summary.revenueByChannel],
      [...summary.quantityByState],
      [...summary.revenueByCategory],
      [...summary.revenueByPaymentMethod],
    ];
    text.encode(JSON.stringify(encoded), writer, context);
  }

  decode(reader: Reader, context: Context): SummaryTotals {
    const [names, products, revenueByChannel, quantityByState, revenueByCategory, revenueByPaymentMethod] = JSON.parse(text.decode(reader, context)) as Encoded;
    return {
      // A center's number is the index of its name.
      salesByProductAndCenter: { centers: new Map(names.map((name, i) => [name, i])), names, products: new Map(products) },
      revenueByChannel: new Map(revenueByChannel),
      quantityByState: new Map(quantityByState),
      revenueByCategory: new Map(revenueByCategory),
      revenueByPaymentMethod: new Map(revenueByPaymentMethod),
    };
  }

  toProto(): { spec: { urn: string; payload: Uint8Array }; componentCoderIds: string[] } {
    return { spec: { urn: SummaryTotalsCoder.URN, payload: new Uint8Array() }, componentCoderIds: [] };
  }
}

globalRegistry().register(SummaryTotalsCoder.URN, SummaryTotalsCoder);

requireForSerialization("beam-ts-native/transforms/summary_totals_coder", exports);
