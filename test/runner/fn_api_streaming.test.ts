/**
 * The streaming pipeline (pipelines/streaming.ts) with its stages in SDK worker processes, on
 * Google's emulators: the sample is published once to one topic with a subscription per run, so
 * every run reads the same messages with the same event times. The run in process and the runs with
 * one and with two workers (one SdkWorkerPool for both) must write the same transaction rows
 * (checksum, and what the sample says they are), the same dead letters, the same per-minute
 * aggregate cells, and leave nothing unacknowledged.
 *
 * In a worker the runner cannot offer `deferWrites` (sdk/deferred_writes.ts: the SDK's operator
 * context has none), so the sinks await their writes in `finishBundle`, as on Dataflow: a bundle's
 * response comes back only once its writes have landed, and its input stays held until then
 * (engine/durability.ts). The last test shows it with a slow sink in a worker, watching what was
 * acknowledged against what had landed while the job runs.
 *
 * The gateway part (pipelines/gateway_streaming.ts) too: profiles, scores and purchases through the
 * gateway (in this process), each topic with a subscription per run; first the profiles and scores
 * (a run of the job), then the purchases (a second run), so that every score is known to the
 * purchases after it, deterministically. Each run's `transacoes` (with the customers' scores),
 * `clientes`, `scores` and `eventos` must be the in-process run's.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import "apache-beam";
import { useEmulators } from "../support/emulators";
import { INSTANCE, PROJECT, streamingJobOnTopic } from "../support/streaming_job";
import { checksum, expectedRows, goodTransactions, sampleBadRowCount, SAMPLE_FILES } from "../support/sample_rows";
import { directRunner, type DirectPipelineResult, type DirectRunnerOptions } from "../../runners/direct";
import { SdkWorkerPool } from "../../runners/direct/execution/fn_api/sdk_worker_pool";
import { streamingPipeline, type StreamingJob } from "../../pipelines/streaming";
import { ingest } from "../../ingest/publisher";
import { readRows, closeBigtableClients } from "../../io/bigtable";
import { readFromPubSub } from "../../io/pubsub/read";
import { writeInBatches } from "../../io/batching_sink";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { sleepThenAppend } from "./slow_write";
import { stopIfStillRunning } from "../support/live_job";
import { EVENT_TIME_ATTRIBUTE } from "../../ingest/messages";
import { writeLagHistogram } from "../../io/write_lag_histogram";
import { newPubSub } from "../../io/pubsub/client";
import { unacknowledged } from "../support/pubsub_pull";
import { sampleClient, sampleScore, sampleTransaction, SAMPLE_EVENT_TIME_MS } from "../support/gateway_events";
import { startLocalGateway } from "../support/local_gateway";
import { GatewayClient } from "../../ingest/gateway/client";
import type { ReadRow } from "../../io/bigtable";

const TOPIC = "transactions-fn-api";
const RUNS = ["in_process", "workers1", "workers2"] as const;
type RunName = (typeof RUNS)[number];

/** What a run left in Bigtable, the dead letters and Pub/Sub. */
interface RunOutput {
  rowsChecksum: string;
  rowCount: number;
  /** Each aggregate row's key and its latest revenue cell. */
  aggregates: Record<string, string>;
  /** Each dead letter's input, step and reason (its time differs from run to run), sorted. */
  deadLetters: string[];
  counters: Record<string, number>;
  /** Elements each sink wrote, from its write-lag distribution (in the job's metrics, wherever the sink ran). */
  sinkWrites: Record<string, number>;
  acknowledged: number;
  leftUnacknowledged: number;
}

describe("environment=process: the streaming pipeline in SDK worker processes, on the emulators", function () {
  this.timeout(300_000);
  useEmulators(["pubsub", "bigtable"]);
  let pool: SdkWorkerPool;
  let base: StreamingJob;
  let published = 0;
  const dirs: string[] = [];
  const outputs = new Map<RunName, RunOutput>();
  /** Write lags the sinks recorded in this process during each run: none when they ran in workers. */
  const lagsRecordedHere = new Map<RunName, number>();

  before(async function () {
    this.timeout(300_000);
    pool = new SdkWorkerPool();
    const made = await streamingJobOnTopic(TOPIC, 10);
    base = made.job;
    dirs.push(made.deadLetterDir);
    const pubsub = newPubSub(PROJECT);
    try {
      for (const run of RUNS) await pubsub.topic(TOPIC).createSubscription(`${TOPIC}-${run}`, { ackDeadlineSeconds: 10 });
    } finally {
      await pubsub.close();
    }
    published = (await ingest({ inputs: SAMPLE_FILES, topic: TOPIC, projectId: PROJECT, eventTime: "now" })).published;
    const options: Record<RunName, DirectRunnerOptions> = {
      in_process: {},
      workers1: { environment: "process", workers: 1, sdkWorkerPool: pool },
      // Bundles small enough to spread over both workers.
      workers2: { environment: "process", workers: 2, bundleSize: 300, sdkWorkerPool: pool },
    };
    for (const run of RUNS) outputs.set(run, await streamingRun(run, options[run]));
  });

  after(async () => {
    await pool?.stop();
    await closeBigtableClients();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the pipeline on the run's own subscription, tables and dead-letter folder; reads what it left. */
  async function streamingRun(run: RunName, options: DirectRunnerOptions): Promise<RunOutput> {
    const deadLetterDir = fs.mkdtempSync(path.join(os.tmpdir(), `dead-letters-${run}-`));
    dirs.push(deadLetterDir);
    const job: StreamingJob = {
      ...base,
      subscription: `${TOPIC}-${run}`,
      table: `transacoes_${run}`,
      aggregateTable: `receita_por_minuto_${run}`,
      deadLetter: { kind: "files", prefix: path.join(deadLetterDir, "dead") },
    };
    const result = (await directRunner({ ...options, stopAfter: { records: published } }).run(streamingPipeline(job))) as DirectPipelineResult;
    const rows = await readRows({ projectId: PROJECT, instanceId: INSTANCE, tableId: job.table });
    const aggregates: Record<string, string> = {};
    for (const row of await readRows({ projectId: PROJECT, instanceId: INSTANCE, tableId: job.aggregateTable })) {
      aggregates[row.key] = row.cells.find((c) => c.qualifier === "revenue")!.value;
    }
    const deadLetters = fs
      .readdirSync(deadLetterDir)
      .filter((f) => f.endsWith(".jsonl"))
      .flatMap((f) => fs.readFileSync(path.join(deadLetterDir, f), "utf8").split("\n").filter(Boolean))
      .map((line) => {
        const { input, step, reason } = JSON.parse(line);
        return JSON.stringify({ input, step, reason });
      })
      .sort();
    const sources = result.progress().sources;
    const sinkWrites: Record<string, number> = {};
    for (const [name, distribution] of Object.entries(await result.distributions())) {
      if (name.startsWith("writeLagMs/")) sinkWrites[name] = (distribution as unknown as { count: number }).count;
    }
    // The sinks' step names carry the run's own tables and dead-letter folder: no other run's or test's lags are counted.
    const recordedHere = Object.keys(sinkWrites).flatMap((name) => [...writeLagHistogram(name.slice("writeLagMs/".length)).values()]);
    lagsRecordedHere.set(run, recordedHere.reduce((sum, n) => sum + n, 0));
    return {
      // Keyed by step name without the run's own table names, so that runs compare.
      sinkWrites: Object.fromEntries(Object.entries(sinkWrites).map(([name, count]) => [name.split(`_${run}`).join(""), count])),
      rowsChecksum: checksum(rows),
      rowCount: rows.length,
      aggregates,
      deadLetters,
      counters: await result.counters(),
      acknowledged: sources[Object.keys(sources)[0]].acknowledged,
      leftUnacknowledged: await unacknowledged(PROJECT, `${TOPIC}-${run}`),
    };
  }

  it("in process: every good row, every bad row a dead letter, the aggregates, everything acknowledged", () => {
    const reference = outputs.get("in_process")!;
    const expected = expectedRows(goodTransactions());
    expect(published).to.equal(goodTransactions().length + sampleBadRowCount());
    expect(reference.rowCount).to.equal(expected.length);
    expect(reference.rowsChecksum).to.equal(checksum(expected));
    expect(reference.deadLetters).to.have.length(sampleBadRowCount());
    expect(Object.keys(reference.aggregates).length, "aggregate rows were written").to.be.above(0);
    expect(reference.counters.valid).to.equal(goodTransactions().length);
    expect(reference.acknowledged).to.equal(published);
    expect(reference.leftUnacknowledged).to.equal(0);
    expect(Object.values(reference.sinkWrites), "the two Bigtable sinks wrote").to.have.length(2).and.not.include(0);
    expect(lagsRecordedHere.get("in_process"), "the sinks ran in this process").to.equal(Object.values(reference.sinkWrites).reduce((a, b) => a + b));
  });

  for (const run of ["workers1", "workers2"] as const) {
    it(`with ${run === "workers1" ? "1 worker" : "2 workers"}: the same rows, dead letters, aggregate cells and counters; nothing unacknowledged`, () => {
      const reference = outputs.get("in_process")!;
      const actual = outputs.get(run)!;
      expect(actual).to.deep.equal(reference);
      expect(lagsRecordedHere.get(run), "the sinks ran in the workers, not in this process").to.equal(0);
    });
  }

  it("a sink in a worker: no message is acknowledged before what it produced has landed", async () => {
    const topic = `${TOPIC}-acks`;
    const landedFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "landed-")), "landed.jsonl");
    dirs.push(path.dirname(landedFile));
    const pubsub = newPubSub(PROJECT);
    const messages = 100;
    try {
      const [created] = await pubsub.createTopic(topic);
      await created.createSubscription(`${topic}-pipeline`, { ackDeadlineSeconds: 10 });
      // A second apart in event time, so that acknowledgements can flow bundle by bundle during the run.
      const start = Date.now() - messages * 1000;
      await Promise.all(
        Array.from({ length: messages }, (_, i) => created.publishMessage({ data: Buffer.from(`m${i}`), attributes: { [EVENT_TIME_ATTRIBUTE]: String(start + i * 1000) } })),
      );
    } finally {
      await pubsub.close();
    }
    const result = (await directRunner({ environment: "process", workers: 1, bundleSize: 25, sdkWorkerPool: pool, stopAfter: { records: messages } }).runAsync(
      (root) => {
        root
          .apply(readFromPubSub({ subscription: `${topic}-pipeline`, projectId: PROJECT, timestampAttribute: EVENT_TIME_ATTRIBUTE }))
          // Each batch (a bundle's) lands half a second after the bundle handed it over: an early acknowledgement would show.
          .apply(writeInBatches("slowSink", (batch: unknown[]) => sleepThenAppend(batch, 500, landedFile), { batchSize: 25 }));
      },
    )) as DirectPipelineResult;
    const landed = () => (fs.existsSync(landedFile) ? fs.readFileSync(landedFile, "utf8").split("\n").length - 1 : 0);
    const acknowledged = () => Object.values(result.progress().sources)[0]?.acknowledged ?? 0;
    const observations: { acknowledged: number; landed: number }[] = [];
    let state: JobState_Enum | undefined;
    try {
      const finished = result.waitUntilFinish(60_000);
      let done = false;
      finished.then(
        () => (done = true),
        () => (done = true),
      );
      while (!done) {
        // Acknowledged first: what landed can only grow meanwhile.
        const acked = acknowledged();
        observations.push({ acknowledged: acked, landed: landed() });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      state = await finished;
    } finally {
      state = await stopIfStillRunning(result, state, "the test gave up on it");
    }
    expect(state).to.equal(JobState_Enum.DONE);
    // And once the job is done: everything it acknowledged must have landed by then.
    observations.push({ acknowledged: acknowledged(), landed: landed() });
    for (const o of observations) expect(o.acknowledged, JSON.stringify(o)).to.be.at.most(o.landed);
    expect(
      observations.some((o) => o.acknowledged > 0 && o.acknowledged < messages),
      "acknowledgements flowed during the run, so the check bites",
    ).to.equal(true);
    expect(landed()).to.equal(messages);
    expect(acknowledged()).to.equal(messages);
    expect(await unacknowledged(PROJECT, `${topic}-pipeline`)).to.equal(0);
  });

  describe("with the gateway part: clientes, scores, each purchase's score, eventos", () => {
    const TOPICS = { transaction: "fn-api-gw-transacoes", client: "fn-api-gw-clientes", score: "fn-api-gw-scores" };
    const CUSTOMERS = 12;
    const SCORES = 30;
    const PURCHASES = 60;
    /** Per run: each table's rows, as key and cells, with the run's own names taken out so that runs compare. */
    const tables = new Map<RunName, Record<string, string[]>>();

    before(async function () {
      this.timeout(300_000);
      const pubsub = newPubSub(PROJECT);
      const gateway = await startLocalGateway(PROJECT, TOPICS);
      const client = new GatewayClient(gateway.address);
      try {
        for (const topic of Object.values(TOPICS)) {
          const [created] = await pubsub.createTopic(topic);
          for (const run of RUNS) await created.createSubscription(`${topic}-${run}`, { ackDeadlineSeconds: 10 });
        }
        const jobs = new Map(RUNS.map((run) => [run, gatewayJob(run)]));
        const options: Record<RunName, DirectRunnerOptions> = {
          in_process: {},
          workers1: { environment: "process", workers: 1, sdkWorkerPool: pool },
          workers2: { environment: "process", workers: 2, bundleSize: 10, sdkWorkerPool: pool },
        };
        for (let n = 1; n <= CUSTOMERS; n++) await client.ingestClient(sampleClient(n));
        for (let n = 1; n <= SCORES; n++) await client.ingestScore(sampleScore(n, { user_id: `u${n % CUSTOMERS}` }));
        for (const run of RUNS) await directRunner({ ...options[run], stopAfter: { records: CUSTOMERS + SCORES } }).run(streamingPipeline(jobs.get(run)!));
        for (let n = 1; n <= PURCHASES; n++) await client.ingestTransaction(sampleTransaction(n, { user_id: `u${n % CUSTOMERS}` }));
        // One purchase the pipeline dead-letters (the gateway would refuse it), as another producer could send it.
        await pubsub.topic(TOPICS.transaction).publishMessage({ data: Buffer.from('{"Transaction_ID": "T-bad"}'), attributes: { event_id: "01J0000000000000000000BAD0", event_time_ms: String(SAMPLE_EVENT_TIME_MS) } });
        for (const run of RUNS) await directRunner({ ...options[run], stopAfter: { records: PURCHASES + 1 } }).run(streamingPipeline(jobs.get(run)!));
        for (const run of RUNS) tables.set(run, await gatewayTables(run, jobs.get(run)!));
      } finally {
        client.close();
        await gateway.shutdown(5_000);
        await pubsub.close();
      }
    });

    /** The run's job: its own subscriptions, tables and dead-letter folder. */
    function gatewayJob(run: RunName): StreamingJob {
      const deadLetterDir = fs.mkdtempSync(path.join(os.tmpdir(), `gw-dead-letters-${run}-`));
      dirs.push(deadLetterDir);
      return {
        ...base,
        subscription: `${TOPICS.transaction}-${run}`,
        table: `gw_transacoes_${run}`,
        aggregateTable: `gw_receita_por_minuto_${run}`,
        deadLetter: { kind: "files", prefix: path.join(deadLetterDir, "dead") },
        gateway: {
          clientsSubscription: `${TOPICS.client}-${run}`,
          scoresSubscription: `${TOPICS.score}-${run}`,
          clientsTable: `gw_clientes_${run}`,
          scoresTable: `gw_scores_${run}`,
          eventsTable: `gw_eventos_${run}`,
        },
      };
    }

    async function gatewayTables(run: RunName, job: StreamingJob): Promise<Record<string, string[]>> {
      const deadLetterPrefix = job.deadLetter.kind === "files" ? job.deadLetter.prefix : "";
      // A dead letter's `eventos` cells are stamped with its processing time, which differs from run to run; every other cell with its event time.
      const deadLetter = (row: ReadRow) => row.cells.some((c) => c.qualifier === "outcome" && c.value === "dead_letter");
      const comparable = (row: ReadRow) =>
        JSON.stringify({ key: row.key, cells: row.cells.map((c) => [c.family, c.qualifier, c.value, deadLetter(row) ? 0 : c.timestampMicros]) })
          .split(deadLetterPrefix)
          .join("<dead letters>")
          .split(`_${run}`)
          .join("");
      const read = async (tableId: string) => (await readRows({ projectId: PROJECT, instanceId: INSTANCE, tableId })).map(comparable);
      const gateway = job.gateway!;
      return {
        transacoes: await read(job.table),
        clientes: await read(gateway.clientsTable),
        scores: await read(gateway.scoresTable),
        eventos: await read(gateway.eventsTable),
      };
    }

    it("in process: every purchase, profile and score in its table, purchases with their scores, every event in eventos", () => {
      const reference = tables.get("in_process")!;
      expect(reference.transacoes).to.have.length(PURCHASES);
      expect(reference.clientes).to.have.length(CUSTOMERS);
      expect(reference.scores).to.have.length(CUSTOMERS);
      // Every customer has a score timed before all of the purchases.
      expect(reference.transacoes.filter((row) => row.includes('"customer_score"')), "every purchase got its customer's score").to.have.length(PURCHASES);
      expect(reference.eventos).to.have.length(CUSTOMERS + SCORES + PURCHASES + 1);
    });

    for (const run of ["workers1", "workers2"] as const) {
      it(`with ${run === "workers1" ? "1 worker" : "2 workers"}: the same transacoes, clientes, scores and eventos`, () => {
        expect(tables.get(run)).to.deep.equal(tables.get("in_process"));
      });
    }
  });
});
