/**
 * `npm run bench:gateway [-- --seconds S --batch-size B]`: seed 002's load test, against our gateway
 * on the real Pub/Sub emulator. Seed 002 measured the mean round trip of its gRPC server as 1, 2,
 * 5, 10, 15 and 20 clients sent events (~6 s at 1 client, ~31 s at 20); here the same client counts
 * and beyond (50, 100):
 *
 * 1. the emulators start; the gateway runs as its own process (`npm run gateway`), as it would in
 *    production, with this process as the clients: each client a separate gRPC connection;
 * 2. for each client count, every client sends unary IngestTransaction calls back to back for S
 *    seconds (closed loop: the next call when the previous answered), then IngestBatch calls of B
 *    transactions for S seconds: round trip p50/p95/p99, mean, requests/s, events/s and errors;
 *    the topic has no subscription during these phases (the emulator would otherwise keep every
 *    message in memory), which Pub/Sub accepts and acknowledges the same;
 * 3. gateway → row written: the streaming pipeline (our runner) reads a subscription of the
 *    transactions topic into Bigtable while 10 clients send unary calls at a steady 1000 events/s
 *    for S seconds, the gateway stamping each with its receive time: the transaction sink's
 *    write-lag distribution is then "gateway received → row written" (mean, max);
 * 4. prints one JSON line, and writes `.bench/gateway.svg`: round trip against clients, ours
 *    (unary p50 and p99, batch p99) beside seed 002's mean, on a log scale (ours is milliseconds,
 *    theirs seconds).
 * Everything started is stopped at the end, also on failure.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import "apache-beam";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { startEmulators, type RunningEmulators } from "../emulators";
import { GatewayClient } from "../ingest/gateway/client";
import { spawnGateway, type GatewayProcess } from "../ingest/gateway/child_process";
import type { TransactionData } from "../ingest/gateway/proto";
import { sampleTransaction } from "../test/support/gateway_events";
import { newPubSub } from "../io/pubsub/client";
import { closeBigtableClients } from "../io/bigtable";
import { writeLagMetricName } from "../io/batching_sink";
import { directRunner, type DirectPipelineResult } from "../runners/direct";
import { positiveNumberFlag, runBench, wholeNumberFlag, type Bench, type BenchFlags } from "./command";
import { streamingPipeline, type StreamingJob } from "../pipelines/streaming";

const PROJECT = "local-project";
const INSTANCE = "e-commerce-data";
const CLIENT_COUNTS = [1, 2, 5, 10, 15, 20, 50, 100];
/** Seed 002's figure: mean round trip in seconds per client count, as its report reads the chart. */
const SEED_002_MEAN_S: [number, number][] = [[1, 6], [2, 7], [5, 9], [10, 16.5], [15, 24], [20, 31]];
const TOPICS = { transaction: "bench-transacoes", client: "bench-clientes", score: "bench-scores" };
const ROWS_RATE = 1000;
const ROWS_CLIENTS = 10;

/** One phase's figures. */
interface Phase {
  clients: number;
  calls: number;
  events: number;
  errors: number;
  seconds: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  mean_ms: number;
  calls_per_s: number;
  events_per_s: number;
}

/** A valid purchase, distinct per (client, n); the gateway stamps the event time when `stamp`. */
function transaction(client: number, n: number, stamp = false): Partial<TransactionData> {
  return sampleTransaction(n % 90_000, {
    transaction_id: `B-${client}-${n}`,
    user_id: `u${(client * 7919 + n) % 5000}`,
    event_time_ms: stamp ? "0" : String(Date.UTC(2024, 0, 1) + n * 1000),
  });
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/** Every client calls `send` back to back for `seconds`; `send` resolves with the events it carried. */
async function closedLoop(clients: GatewayClient[], seconds: number, send: (client: GatewayClient, index: number, n: number) => Promise<number>): Promise<Phase> {
  const latencies: number[] = [];
  let events = 0;
  let errors = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(
    clients.map(async (client, index) => {
      for (let n = 0; performance.now() < end; n++) {
        const t0 = performance.now();
        try {
          // Awaited first, then added: `events += await …` would read `events` before the wait.
          const carried = await send(client, index, n);
          events += carried;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    clients: clients.length,
    calls: latencies.length,
    events,
    errors,
    seconds: round(elapsed),
    p50_ms: round(quantile(latencies, 0.5)),
    p95_ms: round(quantile(latencies, 0.95)),
    p99_ms: round(quantile(latencies, 0.99)),
    mean_ms: round(latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length)),
    calls_per_s: Math.round(latencies.length / elapsed),
    events_per_s: Math.round(events / elapsed),
  };
}

/** `count` clients, each on its own connection, connected before the clock starts. */
async function connectedClients(address: string, count: number): Promise<GatewayClient[]> {
  const clients = Array.from({ length: count }, () => new GatewayClient(address, { ownConnection: true }));
  await Promise.all(clients.map((c) => new Promise<void>((resolve, reject) => c.raw.waitForReady(Date.now() + 10_000, (e) => (e ? reject(e) : resolve())))));
  return clients;
}

/** Phase 3: gateway received → transaction row written, with the streaming pipeline reading. */
async function rowLatency(address: string, seconds: number, workDir: string): Promise<{ rows: number; mean_ms: number; max_ms: number }> {
  const pubsub = newPubSub(PROJECT);
  const subscription = "bench-transacoes-pipeline";
  await pubsub.topic(TOPICS.transaction).createSubscription(subscription, { ackDeadlineSeconds: 60 });
  await pubsub.close();
  const count = Math.round(ROWS_RATE * seconds);
  const job: StreamingJob = {
    subscription,
    project: PROJECT,
    instance: INSTANCE,
    table: "bench_gateway_transacoes",
    aggregateTable: "bench_gateway_receita",
    deadLetter: { kind: "files", prefix: path.join(workDir, "dead-letters") },
    createTables: true,
  };
  const result = (await directRunner({ stopAfter: { records: count } }).runAsync(streamingPipeline(job))) as DirectPipelineResult;
  const clients = await connectedClients(address, ROWS_CLIENTS);
  try {
    const perClient = count / ROWS_CLIENTS;
    const interval = (1000 * ROWS_CLIENTS) / ROWS_RATE;
    const started = performance.now();
    await Promise.all(
      clients.map(async (client, index) => {
        for (let n = 0; n < perClient; n++) {
          const due = started + n * interval - performance.now();
          if (due > 1) await new Promise((resolve) => setTimeout(resolve, due));
          await client.ingestTransaction(transaction(1000 + index, n, true));
        }
      }),
    );
    const state = await result.waitUntilFinish(120_000);
    if (state !== JobState_Enum.DONE) throw result.error() ?? new Error(`the pipeline ended ${JobState_Enum[state]}`);
    const lag = (await result.distributions())[writeLagMetricName(`writeToBigtable(${job.table})`)] as unknown as { count: number; sum: number; max: number } | undefined;
    if (lag?.count !== count) throw new Error(`the transaction sink reports ${lag?.count} rows written, expected ${count}`);
    return { rows: lag.count, mean_ms: Math.round(lag.sum / lag.count), max_ms: lag.max };
  } finally {
    for (const c of clients) c.close();
    await closeBigtableClients();
  }
}

/** The chart: round trip (ms, log scale) against clients (log scale), ours beside seed 002's. */
function chart(unary: Phase[], batched: Phase[]): string {
  const W = 760;
  const H = 460;
  const left = 70;
  const right = 180;
  const top = 40;
  const bottom = 60;
  const x = (clients: number) => left + ((W - left - right) * Math.log10(clients)) / Math.log10(100);
  const yMin = 0.1;
  const yMax = 100_000;
  const y = (ms: number) => top + ((H - top - bottom) * (Math.log10(yMax) - Math.log10(Math.max(ms, yMin)))) / (Math.log10(yMax) - Math.log10(yMin));
  const line = (points: [number, number][], color: string, label: string, row: number, dashed = false) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="6 4"' : ""} points="${points.map(([c, ms]) => `${x(c).toFixed(1)},${y(ms).toFixed(1)}`).join(" ")}"/>` +
    points.map(([c, ms]) => `<circle cx="${x(c).toFixed(1)}" cy="${y(ms).toFixed(1)}" r="3" fill="${color}"/>`).join("") +
    `<line x1="${W - right + 15}" x2="${W - right + 40}" y1="${top + 20 * row}" y2="${top + 20 * row}" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="6 4"' : ""}/>` +
    `<text x="${W - right + 45}" y="${top + 20 * row + 4}" font-size="12">${label}</text>`;
  const yTicks = [0.1, 1, 10, 100, 1000, 10_000, 100_000]
    .map((ms) => `<line x1="${left}" x2="${W - right}" y1="${y(ms)}" y2="${y(ms)}" stroke="#ddd"/><text x="${left - 8}" y="${y(ms) + 4}" font-size="11" text-anchor="end">${ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`}</text>`)
    .join("");
  const xTicks = CLIENT_COUNTS.map((c) => `<line x1="${x(c)}" x2="${x(c)}" y1="${top}" y2="${H - bottom}" stroke="#eee"/><text x="${x(c)}" y="${H - bottom + 16}" font-size="11" text-anchor="middle">${c}</text>`).join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${left}" y="22" font-size="15">Round trip against concurrent clients: our gateway vs seed 002</text>
${yTicks}${xTicks}
<text x="${(left + W - right) / 2}" y="${H - 20}" font-size="12" text-anchor="middle">concurrent clients (each its own connection)</text>
${line(SEED_002_MEAN_S.map(([c, s]) => [c, s * 1000]), "#c0392b", "seed 002, mean", 0, true)}
${line(unary.map((p) => [p.clients, p.p50_ms]), "#2980b9", "unary, p50", 1)}
${line(unary.map((p) => [p.clients, p.p99_ms]), "#1a5276", "unary, p99", 2)}
${line(batched.map((p) => [p.clients, p.p99_ms]), "#27ae60", `batch of ${batched[0]?.events && batched[0].calls ? Math.round(batched[0].events / batched[0].calls) : "?"}, p99`, 3)}
</svg>
`;
}

const BENCH: Bench = {
  name: "bench:gateway",
  summary: "Seed 002's load test against our gRPC ingestion gateway on the Pub/Sub emulator: round trips and\nevents/s at 1 to 100 clients; one JSON line on stdout and a chart (bench/README.md).",
  flags: [
    { name: "seconds", type: "string", value: "S", default: "3", help: "how long each client count sends" },
    { name: "batch-size", type: "string", value: "B", default: "100", help: "events per request" },
    { name: "out", type: "string", value: "FILE", default: ".bench/gateway.svg", help: "where the chart goes" },
  ],
};

async function main(flags: BenchFlags): Promise<void> {
  const seconds = positiveNumberFlag(flags, "seconds");
  const batchSize = wholeNumberFlag(flags, "batch-size");
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-gateway-"));
  let emulators: RunningEmulators | undefined;
  let gateway: GatewayProcess | undefined;
  try {
    emulators = await startEmulators(["pubsub", "bigtable"]);
    Object.assign(process.env, emulators.env);
    gateway = await spawnGateway(
      ["--create-topics", "--max-in-flight", "100000", "--transactions-topic", TOPICS.transaction, "--clients-topic", TOPICS.client, "--scores-topic", TOPICS.score],
      emulators.env,
    );
    const unary: Phase[] = [];
    const batched: Phase[] = [];
    const batchOf = (client: number, n: number) => Array.from({ length: batchSize }, (_, i) => ({ transaction: transaction(client, n * batchSize + i) }));
    // Warm-up: the JIT of both processes and the emulator's JVM, not measured.
    const warm = await connectedClients(gateway.address, 10);
    await closedLoop(warm, 2, (c, i, n) => c.ingestTransaction(transaction(i, n)).then(() => 1));
    await closedLoop(warm, 1, (c, i, n) => c.ingestBatch(batchOf(i, n)).then((r) => r.accepted));
    for (const c of warm) c.close();
    for (const count of CLIENT_COUNTS) {
      const clients = await connectedClients(gateway.address, count);
      try {
        unary.push(await closedLoop(clients, seconds, (c, i, n) => c.ingestTransaction(transaction(i, n)).then(() => 1)));
        batched.push(await closedLoop(clients, seconds, (c, i, n) => c.ingestBatch(batchOf(i, 1_000_000 + n)).then((r) => r.accepted)));
      } finally {
        for (const c of clients) c.close();
      }
      process.stderr.write(`${count} clients: unary p99 ${unary.at(-1)!.p99_ms} ms, ${unary.at(-1)!.calls_per_s}/s; batches p99 ${batched.at(-1)!.p99_ms} ms, ${batched.at(-1)!.events_per_s} events/s\n`);
    }
    const rows = await rowLatency(gateway.address, seconds, workDir);
    fs.mkdirSync(path.dirname((flags.out as string)!), { recursive: true });
    fs.writeFileSync((flags.out as string)!, chart(unary, batched));
    const at20 = unary.find((p) => p.clients === 20)!;
    process.stdout.write(
      `${JSON.stringify({
        bench: "gateway",
        seconds_per_phase: seconds,
        batch_size: batchSize,
        p99_ms_at_20_clients: at20.p99_ms,
        mean_ms_at_20_clients: at20.mean_ms,
        seed_002_mean_ms_at_20_clients: 31_000,
        unary_requests_per_s: Math.max(...unary.map((p) => p.calls_per_s)),
        batched_events_per_s: Math.max(...batched.map((p) => p.events_per_s)),
        errors: [...unary, ...batched].reduce((a, p) => a + p.errors, 0),
        gateway_to_row_written_mean_ms: rows.mean_ms,
        gateway_to_row_written_max_ms: rows.max_ms,
        gateway_to_row_written_rate_per_s: ROWS_RATE,
        unary,
        batched,
        chart: (flags.out as string),
      })}\n`,
    );
  } finally {
    await gateway?.stop("SIGTERM");
    await emulators?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

runBench(BENCH, main);
