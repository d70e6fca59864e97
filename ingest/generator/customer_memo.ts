/**
 * What a transaction needs of its customer (home state, habitual spend, preferred channel),
 * remembered: three hashes and a power per row cost ~0.07 µs, a sixth of what a thread spends
 * making a row (ingest/generator/README.md, "Where the CPU goes").
 *
 * A world of up to {@link MAX_REMEMBERED} customers (the default is 100,000) is remembered whole,
 * 4 bytes a customer (1 MB at most: a core's L2 cache holds it), each filled in the first time the
 * customer pays; a larger one is hashed per row, as before. Measured per row: 100,000 customers
 * −0.09 µs, 250,000 −0.05; 1,000,000 remembered (4 MB) +0.04, and a direct-mapped table of the
 * last 131,072 of 3,000,000 customers +0.05. The values are those of `world.ts`'s functions.
 */
import { CUSTOMER_STATES, SALES_CHANNELS } from "../../fixtures/vocabulary";
import { customerHomeState, customerPreferredChannel, customerTypicalPaise, type World } from "./world";

/** Customers a world may have for a thread to remember them all (1 MB). */
export const MAX_REMEMBERED = 1 << 18;
/** The three attributes packed into one int32: spend (≤ 1,280,000 paise) in the low 21 bits, then home, then channel. */
const TYPICAL_BITS = 21;
const HOME_BITS = 4;
const CHANNEL_BITS = 3;
if (CUSTOMER_STATES.length > 2 ** HOME_BITS || SALES_CHANNELS.length > 2 ** CHANNEL_BITS) throw new Error("customer_memo: a customer's attributes no longer fit their bits");

/** The attributes of a world's customers, remembered: one per world (and per thread). */
export class CustomerMemo {
  /** Each customer's packed attributes, 0 until known (a spend is at least ₹200); empty when the world has too many customers. */
  private readonly attributes: Int32Array;

  constructor(private readonly world: World) {
    this.attributes = new Int32Array(world.customers <= MAX_REMEMBERED ? world.customers : 0);
  }

  /** The customer's attributes, packed: read them with {@link homeOf}, {@link typicalPaiseOf} and {@link preferredChannelOf}. */
  of(customer: number): number {
    const remembered = customer < this.attributes.length ? this.attributes[customer] : 0;
    if (remembered !== 0) return remembered;
    const world = this.world;
    const packed =
      customerTypicalPaise(world, customer) | (customerHomeState(world, customer) << TYPICAL_BITS) | (customerPreferredChannel(world, customer) << (TYPICAL_BITS + HOME_BITS));
    if (customer < this.attributes.length) this.attributes[customer] = packed;
    return packed;
  }
}

/** The customer's habitual spend, paise (`customerTypicalPaise`), from {@link CustomerMemo.of}. */
export function typicalPaiseOf(packed: number): number {
  return packed & ((1 << TYPICAL_BITS) - 1);
}

/** Index in `PLACES` of the customer's home state (`customerHomeState`), from {@link CustomerMemo.of}. */
export function homeOf(packed: number): number {
  return (packed >>> TYPICAL_BITS) & ((1 << HOME_BITS) - 1);
}

/** Index in `SALES_CHANNELS` of the customer's preferred channel (`customerPreferredChannel`), from {@link CustomerMemo.of}. */
export function preferredChannelOf(packed: number): number {
  return packed >>> (TYPICAL_BITS + HOME_BITS);
}
