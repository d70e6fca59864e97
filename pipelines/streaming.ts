/**
 * The streaming pipeline (seed 004's job, done better):
 *
 *   ReadFromPubSub ─▶ parse + validate ─┬─ valid ─┬─▶ transaction rows ─▶ WriteToBigtable (transacoes)
 *                                        │         └─▶ revenue per category per minute ─▶ WriteToBigtable (receita_por_minuto)
 *                                        └─ dead letters ─▶ dead-letter output
 *   (rows a Bigtable write refuses for good go to the same dead-letter target, from the sink)
 *
 * Event time from the publisher's `event_time_ms` attribute, redeliveries deduplicated on
 * `transaction_id`; a message is acknowledged only once everything it produced is written.
 * With `gateway` (events from ingest/gateway/), also its clients and scores topics, each
 * transaction row with its customer's score, and the `eventos` index: gateway_streaming.ts.
 */
import * as beam from "apache-beam";
import { readFromPubSub, type PubSubMessage } from "../io/pubsub/read";
import { writeToBigtable } from "../io/bigtable";
import { deadLetterWriter, writeDeadLetters } from "../io/dead_letters";
import { EVENT_TIME_ATTRIBUTE, TRANSACTION_ID_ATTRIBUTE } from "../ingest/messages";
import { parsePubSubTransactions } from "../transforms/parse_json";
import { toBigtableRows, TRANSACTION_FAMILY } from "../transforms/bigtable_row";
import { requireForSerialization } from "apache-beam/serialization";
import { revenuePerCategoryPerMinute } from "../transforms/revenue_per_minute";
import { REVENUE_PER_MINUTE_FAMILY, toCategoryMinuteRows } from "../transforms/category_minute_row";
import type { Transaction } from "../transforms/transaction";
import type { DeadLetter } from "../transforms/dead_letter";
import type { DeadLetterTarget } from "../io/dead_letters";
import { gatewayPart, scoredTransactionRows, type GatewayTables } from "./gateway_streaming";

/** Elements per bundle unless told otherwise: small bundles keep the time to an acknowledgement short. */
export const STREAMING_BUNDLE_SIZE = 1_000;

/** What the streaming pipeline reads and writes. */
export interface StreamingJob {
  /** Exactly one of topic and subscription. */
  topic?: string;
  subscription?: string;
  project: string;
  instance: string;
  table: string;
  aggregateTable: string;
  deadLetter: DeadLetterTarget;
  /** Create the Bigtable tables (and families) if missing. */
  createTables?: boolean;
  /** Events from the gateway: also its clients and scores topics, and the index of where each event went. */
  gateway?: GatewayTables;
}

/** Builds the streaming pipeline for `job`. */
export function streamingPipeline(job: StreamingJob): (root: beam.Root) => void {
  // Rows Bigtable can never take become dead letters too, beside those of parsing and validation.
  const bigtable = { projectId: job.project, instanceId: job.instance, deadLetters: deadLetterWriter(inJobProject(job)) };
  return (root) => {
    const messages = root.apply(
      readFromPubSub({
        topic: job.topic,
        subscription: job.subscription,
        projectId: job.project,
        timestampAttribute: EVENT_TIME_ATTRIBUTE,
        idAttribute: TRANSACTION_ID_ATTRIBUTE,
        withAttributes: true,
      }),
    ) as beam.PCollection<PubSubMessage>;
    const { valid, deadLetter } = messages.apply(parsePubSubTransactions());
    const counted = valid.map(countValid, { valid: beam.counter("valid") });
    const gateway = job.gateway;
    // Through the gateway, a transaction's row also carries its customer's score (gateway_streaming.ts).
    const rows = gateway ? scoredTransactionRows(counted, { ...job, gateway }) : counted.apply(toBigtableRows());
    rows.apply(writeToBigtable({ ...bigtable, tableId: job.table, createTable: job.createTables ? { families: [TRANSACTION_FAMILY] } : undefined }));
    valid
      .apply(revenuePerCategoryPerMinute())
      .apply(toCategoryMinuteRows())
      .apply(writeToBigtable({ ...bigtable, tableId: job.aggregateTable, createTable: job.createTables ? { families: [REVENUE_PER_MINUTE_FAMILY] } : undefined }));
    const deadLetters = gateway ? gatewayPart(root, { ...job, gateway }, valid, deadLetter) : deadLetter;
    deadLetters.map(countDeadLetter, { deadLetters: beam.counter("deadLetters") }).apply(writeDeadLetters(inJobProject(job)));
  };
}

/** The dead-letter target, with the job's project (and Bigtable instance) where it names a service. */
function inJobProject(job: StreamingJob): DeadLetterTarget {
  const target = job.deadLetter;
  if (target.kind === "pubsub") return { projectId: job.project, ...target };
  if (target.kind === "bigtable") return { projectId: job.project, ...target };
  return target;
}

/** Counts a valid transaction on its way to Bigtable. */
export function countValid(t: Transaction, context: { valid: beam.Counter }): Transaction {
  context.valid.increment();
  return t;
}

/** Counts a dead letter on its way out. */
export function countDeadLetter(d: DeadLetter, context: { deadLetters: beam.Counter }): DeadLetter {
  context.deadLetters.increment();
  return d;
}

requireForSerialization("beam-ts-native/pipelines/streaming", exports);
