/** The world of the generator tests: small, so runs take well under a second. */
import type { WorldOptions } from "../../ingest/generator/world";

/** 3,000 transactions over two months, 200 customers with 300 devices, 5 % fraud. */
export const SMALL_WORLD: WorldOptions = {
  seed: 3,
  rows: 3_000,
  customers: 200,
  devices: 300,
  startMs: Date.UTC(2024, 0, 1),
  endMs: Date.UTC(2024, 2, 1),
  fraudProbability: 0.05,
};
