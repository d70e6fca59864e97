/**
 * The world the transactions happen in: customers, their devices and the merchants, each a pure
 * function of the seed and its index — no table is kept in memory, so any worker can generate any
 * range of rows (or of the customer and device tables) and agree with every other worker.
 */
import { hash32, weightedChoice } from "../../fixtures/prng";
import { CATEGORIES, CUSTOMER_STATES, SALES_CHANNELS } from "../../fixtures/vocabulary";

/** What the generator is asked for, checked (see `options.ts`). */
export interface WorldOptions {
  /** Same seed and options, same bytes. An integer 0 to 2^32 - 1. */
  seed: number;
  /** Transactions in the whole run. */
  rows: number;
  /** Customers (ids `C000000000`…). */
  customers: number;
  /** Devices (ids `D000000000`…), at least one per customer. */
  devices: number;
  /** First instant of the range, ms since the epoch (midnight UTC of `--start`). */
  startMs: number;
  /** End of the range (exclusive), ms since the epoch (midnight UTC after `--end`). */
  endMs: number;
  /** Share of transactions that are fraudulent, 0 to {@link MAX_FRAUD_PROBABILITY}. */
  fraudProbability: number;
}

/** Above this share, every block of rows would have to be an episode (see `fraud_episodes.ts`). */
export const MAX_FRAUD_PROBABILITY = 0.15;

/** Merchants the transactions are paid to; each sells one category. */
export const MERCHANTS = 500;
/** Products per merchant. */
export const PRODUCTS_PER_MERCHANT = 100;

/** Device types with their relative frequency. */
export const DEVICE_TYPES = [
  ["Android", 60],
  ["iOS", 25],
  ["Web browser", 15],
] as const;

/** Salts keep the hash streams of different attributes independent of each other. */
export const SALT = {
  customerState: 11,
  customerTypical: 12,
  customerChannel: 13,
  deviceType: 14,
  merchantCategory: 15,
  row: 16,
  episode: 17,
  episodeDetail: 18,
  transactionIdHigh: 19,
  transactionIdLow: 20,
} as const;

/** The seed mixed with each salt, computed once: the first argument of every hash of that attribute. */
export type SaltedSeeds = { readonly [K in keyof typeof SALT]: number };

/** The options with what every row needs precomputed. */
export interface World extends WorldOptions {
  salted: SaltedSeeds;
  /** What each merchant sells (index in `CATEGORIES`): a row looks it up rather than hashing. */
  merchantCategories: Uint8Array;
}

/** Index in `SALES_CHANNELS` of a channel, drawn by its frequency from a uniform number in [0, 1). */
export const channelCodeOf = weightedChoice(SALES_CHANNELS.map((choice, i) => [i, choice[1]] as const));
const deviceTypeOf = weightedChoice(DEVICE_TYPES.map((choice, i) => [i, choice[1]] as const));

/** The world of these options. */
export function makeWorld(options: WorldOptions): World {
  const salted = Object.fromEntries(Object.entries(SALT).map((entry) => [entry[0], hash32(options.seed, entry[1])])) as SaltedSeeds;
  const merchantCategories = Uint8Array.from({ length: MERCHANTS }, (_, merchant) => hash32(salted.merchantCategory, merchant) % CATEGORIES.length);
  return { ...options, salted, merchantCategories };
}

/** A uniform number in [0, 1) from a 32-bit hash. */
export function unit(hash: number): number {
  return hash / 4294967296;
}

/** Index in `CUSTOMER_STATES` (and `PLACES`) of the customer's home state. */
export function customerHomeState(world: World, customer: number): number {
  return hash32(world.salted.customerState, customer) % CUSTOMER_STATES.length;
}

/**
 * A customer's habitual spend per transaction, in paise: ₹200 to ₹12,800, log-uniform (few big
 * spenders, many small ones). Legitimate transactions stay within 0.25–2.5 times it.
 */
export function customerTypicalPaise(world: World, customer: number): number {
  return Math.round(20_000 * 2 ** (6 * unit(hash32(world.salted.customerTypical, customer))));
}

/** Index in `SALES_CHANNELS` of the channel the customer uses most. */
export function customerPreferredChannel(world: World, customer: number): number {
  return channelCodeOf(unit(hash32(world.salted.customerChannel, customer)));
}

/** The customer who owns device `device`: devices are dealt round-robin, so everyone has one. */
export function deviceOwner(world: World, device: number): number {
  return device % world.customers;
}

/** How many devices the customer owns (devices `customer`, `customer + customers`, …). */
export function deviceCount(world: World, customer: number): number {
  return Math.floor((world.devices - 1 - customer) / world.customers) + 1;
}

/** Index in {@link DEVICE_TYPES} of the device's type. */
export function deviceType(world: World, device: number): number {
  return deviceTypeOf(unit(hash32(world.salted.deviceType, device)));
}

/** Index in `CATEGORIES` of what the merchant sells. */
export function merchantCategory(world: World, merchant: number): number {
  return world.merchantCategories[merchant];
}
