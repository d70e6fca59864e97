/**
 * Where fraud happens. Rows are grouped in blocks of {@link BLOCK_ROWS} consecutive transactions;
 * a block is, with a probability set by `--fraud-prob`, the scene of one fraud episode that
 * rewrites some of its rows. Whether and how is a hash of the seed and the block's number only, so
 * a worker generating any range of rows knows the episodes that touch it, and a file boundary in
 * the middle of a block changes nothing.
 *
 * The patterns, and the rule that finds them (checked by `test/generator/fraud_patterns.test.ts`):
 * - `device_burst` (card testing): 6–12 transactions from one device within minutes (20–60 s
 *   apart), each on a different customer's card, small amounts (₹100–₹2,000), paid by credit card
 *   on the mobile app, far from those customers' homes. Rule: ≥ 5 transactions from one device
 *   within 10 minutes.
 * - `impossible_travel` (a cloned card): a customer pays at home, then 5–40 minutes later in a
 *   state at least 1,000 km away, from a device that is not theirs. The second transaction is the
 *   fraud. Rule: two transactions of one customer whose implied speed exceeds 900 km/h.
 * - `amount_anomaly` (account takeover): one transaction of 10–40 times the customer's habitual
 *   spend. Rule: an amount above 6 times the customer's typical amount (legitimate ones stay
 *   within 2.5 times).
 */
import { hash32, seededRandom, weightedChoice } from "../../fixtures/prng";
import { FAR_PLACES, PLACES } from "./geography";
import { customerHomeState, unit, type World } from "./world";

/** Consecutive rows one episode may rewrite. */
export const BLOCK_ROWS = 16;

/** The labels of the `fraud_pattern` column, in code order; `none` for legitimate transactions. */
export const FRAUD_PATTERNS = ["none", "device_burst", "impossible_travel", "amount_anomaly"] as const;

/** One of {@link FRAUD_PATTERNS}. */
export type FraudPattern = (typeof FRAUD_PATTERNS)[number];

/** Codes of the patterns in {@link FRAUD_PATTERNS}. */
export const DEVICE_BURST = 1;
export const IMPOSSIBLE_TRAVEL = 2;
export const AMOUNT_ANOMALY = 3;

/** Relative frequency of episodes of each pattern. */
const EPISODE_WEIGHTS = [
  [DEVICE_BURST, 20],
  [IMPOSSIBLE_TRAVEL, 40],
  [AMOUNT_ANOMALY, 40],
] as const;
const MIN_BURST = 6;
const MAX_BURST = 12;
/** Fraudulent rows an episode produces on average: 9 for a burst, 1 otherwise. */
const FRAUD_ROWS_PER_EPISODE = (20 * ((MIN_BURST + MAX_BURST) / 2) + 40 + 40) / 100;

const episodePatternOf = weightedChoice(EPISODE_WEIGHTS);

/** One fraud episode: what it rewrites in its block. */
export interface Episode {
  /** Code in {@link FRAUD_PATTERNS}. */
  pattern: number;
  /** Rows of the block it rewrites, from the block's first: the burst's length, or 2, or 1. */
  rows: number;
  /** The customer (impossible travel, amount anomaly). */
  customer: number;
  /** The device (the burst's, or the clone's for impossible travel). */
  device: number;
  /** Index in `PLACES` where the fraud happens (burst, impossible travel). */
  place: number;
  /** Gap between the burst's transactions, or between the two transactions of a trip, in ms. */
  gapMs: number;
  /** Multiple of the customer's habitual spend (amount anomaly). */
  amountFactor: number;
}

/** Probability that a block holds an episode, so that about `fraudProbability` of rows are fraud. */
export function episodeProbability(fraudProbability: number): number {
  return Math.min(1, (fraudProbability * BLOCK_ROWS) / FRAUD_ROWS_PER_EPISODE);
}

/** The episode of block `block`, or undefined when its rows are all legitimate. */
export function episodeOf(world: World, block: number, probability: number): Episode | undefined {
  const low = block % 4294967296;
  const high = Math.floor(block / 4294967296);
  if (unit(hash32(world.salted.episode, low, high)) >= probability) return undefined;
  const random = seededRandom(hash32(world.salted.episodeDetail, low, high));
  const pattern = episodePatternOf(random.next());
  const customer = random.int(0, world.customers - 1);
  const home = customerHomeState(world, customer);
  if (pattern === DEVICE_BURST) {
    return { pattern, rows: random.int(MIN_BURST, MAX_BURST), customer, device: random.int(0, world.devices - 1), place: random.int(0, PLACES.length - 1), gapMs: random.int(20, 60) * 1000, amountFactor: 1 };
  }
  if (pattern === IMPOSSIBLE_TRAVEL) {
    // A device of someone else: the next owner's first device, whatever the counts.
    const device = (customer + 1 + random.int(0, world.customers - 2)) % world.customers;
    return { pattern, rows: 2, customer, device, place: random.pick(FAR_PLACES[home]), gapMs: random.int(5, 40) * 60_000, amountFactor: 1 };
  }
  return { pattern, rows: 1, customer, device: -1, place: home, gapMs: 0, amountFactor: 10 + random.next() * 30 };
}
