/**
 * `npm run bench:streaming [-- --seconds 60 --keys 100 --window-ms 1000 --workers N]`: sustained throughput of
 * our runner through a fixed-window sum over an unbounded in-memory source (the synthetic stream,
 * as fast as the pipeline takes it), the latency from element to pane, and memory at the start and
 * end of the run. Prints one JSON line.
 *
 * Latency is measured on every element: each carries the wall time it was made at, each pane a
 * histogram of those times (1 ms buckets), and the pane's arrival time minus each bucket is that
 * many elements' latency. Histograms are folded into run-wide ones as panes arrive (flat memory). It includes the wait for the window to close (half a window on average);
 * `pane_delay_ms` is the part the runner adds after the window's end.
 */
import * as beam from "apache-beam";
import { directRunner } from "../runners/direct";
import { resolveOptions } from "../runners/direct/options";
import { syntheticStream } from "../io/synthetic_stream";
import { requireForSerialization } from "apache-beam/serialization";
import { positiveNumberFlag, runBench, wholeNumberFlag, type Bench, type BenchFlags } from "./command";
import { paneLatencies, recordPane } from "./pane_latencies";

/** One element of the stream: a key and the wall time it was made at. */
interface Tick {
  key: number;
  madeAt: number;
}

/** Counts elements per made-at millisecond: the pane's latency histogram, and its element count. */
export const madeAtHistogram: beam.CombineFn<Tick, Record<string, number>, Record<string, number>> = {
  createAccumulator: () => ({}),
  addInput: (acc, tick) => {
    acc[tick.madeAt] = (acc[tick.madeAt] ?? 0) + 1;
    return acc;
  },
  mergeAccumulators: (accs) => {
    const out: Record<string, number> = {};
    for (const acc of accs) for (const [k, v] of Object.entries(acc)) out[k] = (out[k] ?? 0) + v;
    return out;
  },
  extractOutput: (acc) => acc,
};

// Registered before main() builds the pipeline, so its DoFns refer to this module by name.
requireForSerialization("beam-ts-native/bench/streaming", exports);

function percentile(sorted: [number, number][], total: number, p: number): number {
  let seen = 0;
  for (const [value, n] of sorted) {
    seen += n;
    if (seen >= p * total) return value;
  }
  return NaN;
}

const BENCH: Bench = {
  name: "bench:streaming",
  summary: "Sustained throughput of our runner through a fixed-window sum over an unbounded in-memory source,\nthe latency from element to pane, and memory at the start and end of the run; one JSON line on\nstdout (bench/README.md).",
  flags: [
    { name: "seconds", type: "string", value: "S", default: "60", help: "how long the stream runs" },
    { name: "keys", type: "string", value: "N", default: "100", help: "keys the elements spread over" },
    { name: "window-ms", type: "string", value: "MS", default: "1000", help: "the fixed windows' size" },
    // Unset: the runner's default (the machine's cores), what a user gets.
    { name: "workers", type: "string", value: "N", help: "the runner's workers (default: the machine's cores)" },
  ],
};

async function main(flags: BenchFlags): Promise<void> {
  const seconds = positiveNumberFlag(flags, "seconds");
  const keys = wholeNumberFlag(flags, "keys");
  const windowSeconds = positiveNumberFlag(flags, "window-ms") / 1000;
  const { workers } = resolveOptions({ workers: flags.workers === undefined ? undefined : wholeNumberFlag(flags, "workers") });
  const rssStartMb = process.memoryUsage().rss / 2 ** 20;
  const started = Date.now();
  let rssMidMb = 0;
  const midTimer = setTimeout(() => (rssMidMb = process.memoryUsage().rss / 2 ** 20), (seconds * 1000) / 2);
  const result = await directRunner({ workers, stopAfter: { durationMs: seconds * 1000 } }).run((root) => {
    root
      .apply(syntheticStream<Tick>({ make: (i) => ({ key: i % keys, madeAt: Date.now() }), elementsPerSecond: 0 }))
      .apply(beam.windowInto(beam.fixedWindows(windowSeconds)))
      .apply(beam.groupBy((t: Tick) => t.key).combining((t: Tick) => t, madeAtHistogram, "madeAt"))
      .map(recordPane, { window: beam.windowParam() });
  });
  clearTimeout(midTimer);
  const elapsed = (Date.now() - started) / 1000;
  const rssEndMb = process.memoryUsage().rss / 2 ** 20;
  const measured = paneLatencies();
  const { elements, latencies, delays } = measured;
  const read = (result as unknown as { progress(): { sourceElements: number } }).progress().sourceElements;
  if (elements !== read) throw new Error(`panes hold ${elements} elements, the source emitted ${read}`);
  const sortedLatencies = [...latencies].sort((a, b) => a[0] - b[0]);
  const sortedDelays = [...delays].sort((a, b) => a[0] - b[0]);
  process.stdout.write(
    JSON.stringify({
      seconds: Math.round(elapsed * 10) / 10,
      window_ms: windowSeconds * 1000,
      keys,
      workers,
      elements,
      panes: measured.panes,
      elements_per_s: Math.round(elements / elapsed),
      latency_p50_ms: percentile(sortedLatencies, elements, 0.5),
      latency_p99_ms: percentile(sortedLatencies, elements, 0.99),
      pane_delay_p50_ms: percentile(sortedDelays, measured.panes, 0.5),
      pane_delay_p99_ms: percentile(sortedDelays, measured.panes, 0.99),
      rss_start_mb: Math.round(rssStartMb),
      rss_mid_mb: Math.round(rssMidMb),
      rss_end_mb: Math.round(rssEndMb),
    }) + "\n",
  );
}

// Only when run: a runner's worker thread loads this module by name (its DoFns live here), and a
// bench started again in every thread — each starting threads of its own — was a thread bomb that
// made the 2-worker run 4x slower than the 1-worker one.
if (require.main === module) runBench(BENCH, main);
