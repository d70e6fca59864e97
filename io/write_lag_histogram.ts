/**
 * Quantiles of a sink's write lag (written at − element timestamp: publish → written where event
 * time is the publish time), which a Beam distribution (count, sum, min, max) cannot give. Counts in
 * buckets 5% wide, per sink step, kept in the process that runs the sink: a sink on one of the
 * direct runner's worker threads sends its lags to the job's thread with its bundle's outputs
 * (`sdk/main_thread.ts`), and an SDK worker process keeps its own. For benchmarks and tests of
 * latency; the job's metrics keep the distribution.
 */
import { isMainThread } from "worker_threads";
import { onMainThread, sendToMainThread } from "../sdk/main_thread";

/** Bucket index of a lag: 0 for under 1 ms, then ⌈log₁.₀₅(ms)⌉. */
const GROWTH = Math.log(1.05);

const histograms = new Map<string, Map<number, number>>();

/** Records lags of sink `step`, one per element written (ms). */
export function recordWriteLags(step: string, lagsMs: readonly number[]): void {
  if (isMainThread) add(step, lagsMs);
  else sendToMainThread(RECORD, [step, lagsMs]);
}

const RECORD = "beam-ts-native/io/write_lag_histogram.record";
onMainThread(RECORD, (payload) => {
  const [step, lagsMs] = payload as [string, number[]];
  add(step, lagsMs);
});

function add(step: string, lagsMs: readonly number[]): void {
  let histogram = histograms.get(step);
  if (histogram === undefined) histograms.set(step, (histogram = new Map()));
  for (const lag of lagsMs) {
    const bucket = lag < 1 ? 0 : Math.ceil(Math.log(lag) / GROWTH);
    histogram.set(bucket, (histogram.get(bucket) ?? 0) + 1);
  }
}

/** What sink `step` recorded so far in this process (a copy), for {@link writeLagQuantile}. */
export function writeLagHistogram(step: string): Map<number, number> {
  return new Map(histograms.get(step) ?? []);
}

/**
 * The `p` quantile (0–1) of the lags recorded between snapshot `since` (from {@link writeLagHistogram};
 * empty: from the start) and now, in ms — the upper bound of its bucket, so at most 5% above the
 * truth; NaN when none.
 */
export function writeLagQuantile(step: string, p: number, since: Map<number, number> = new Map()): number {
  const now = histograms.get(step) ?? new Map<number, number>();
  const counts = [...now].map(([bucket, n]) => [bucket, n - (since.get(bucket) ?? 0)] as const).filter(([, n]) => n > 0).sort((a, b) => a[0] - b[0]);
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  let seen = 0;
  for (const [bucket, n] of counts) {
    seen += n;
    if (seen >= p * total) return bucket === 0 ? 1 : Math.round(Math.exp(bucket * GROWTH));
  }
  return NaN;
}
