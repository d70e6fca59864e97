/**
 * What a fraud-labelled input says about a transaction beyond the purchase itself: the device it
 * was paid from and whether (and how) it was fraud. The generator's Parquet files carry it
 * (`ingest/generator/`); the fraud report groups by it.
 */

/** The fraud labels of one transaction. */
export interface FraudLabels {
  /** The device paid from. */
  deviceId: string;
  /** The label. */
  isFraud: boolean;
  /** The fraud pattern (`none`, `device_burst`, `impossible_travel`, `amount_anomaly`). */
  pattern: string;
}
