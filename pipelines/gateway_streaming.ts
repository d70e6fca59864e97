/**
 * The streaming pipeline's part for events that came through the gateway (ingest/gateway/):
 *
 *   ReadFromPubSub (clients) ─▶ parse ─┬─▶ WriteToBigtable (clientes)
 *   ReadFromPubSub (scores)  ─▶ parse ─┼─▶ WriteToBigtable (scores)
 *                                      └─ dead letters ─▶ with the transactions' dead letters
 *   transactions (rows), profiles, scores, dead letters ─▶ where each event went ─▶ WriteToBigtable (eventos)
 *   transactions ─▶ with the customer's score as of the purchase (read from `scores`) ─▶ their rows
 *
 * The score join is a lookup of the `scores` table, a batch of transactions at a time
 * (io/batch_lookup.ts: Beam's enrichment pattern), rather than a side input or a keyed join:
 * - a side input of the scores stream is, in Beam's model and on our runner, ready for a window
 *   only once the scores' watermark has passed it — for the global window, never, on an unbounded
 *   stream; per-minute windows would hold every transaction back a minute and know only that
 *   minute's scores;
 * - a keyed join that keeps each customer's latest score needs per-key state, which our runner
 *   does not offer yet (nor the TS SDK's DoFn API);
 * - the scores are in Bigtable anyway, newest first by event time, one row per customer: a read
 *   of the batch's customers' rows gives each purchase the newest score not after it (point in
 *   time: a score computed later did not inform the purchase), across restarts, with no state
 *   held in the job. "Known" means written to `scores` by then: a score and a purchase sent at
 *   the same moment may race.
 *
 * Row keys and the `eventos` index: transforms/gateway_tables.ts. Redeliveries are deduplicated on
 * the `event_id` attribute; event time from `event_time_ms`, as for transactions.
 */
import * as beam from "apache-beam";
import { requireForSerialization } from "apache-beam/serialization";
import { readFromPubSub, type PubSubMessage } from "../io/pubsub/read";
import { readRows, writeToBigtable, type ReadRow } from "../io/bigtable";
import { lookupInBatches, type BatchLookup } from "../io/batch_lookup";
import { deadLetterRowKey, type DeadLetterTarget } from "../io/dead_letters";
import { EVENT_ID_ATTRIBUTE, EVENT_TIME_ATTRIBUTE } from "../ingest/messages";
import { keyPart, transactionRowKey, type BigtableRow } from "../transforms/bigtable_row";
import type { DeadLetter } from "../transforms/dead_letter";
import type { Transaction } from "../transforms/transaction";
import {
  CLIENT_FAMILY,
  clientRow,
  deadLetterEventRows,
  EVENT_FAMILY,
  parseClients,
  parseScores,
  SCORE_FAMILY,
  scoreAsOf,
  scoredTransactionRow,
  scoreRow,
  sideEventRows,
  transactionEventRows,
  type CustomerProfile,
  type RiskScore,
  type ScoredTransaction,
} from "../transforms/gateway_tables";

/** Score versions read per customer: a purchase older than the customer's last this-many scores gets none. */
const SCORE_VERSIONS = 16;
/** Bigtable's NOT_FOUND: the scores table does not exist yet (no score written so far). */
const NOT_FOUND = 5;

/** The gateway's topics (as subscriptions) and tables. */
export interface GatewayTables {
  clientsSubscription: string;
  scoresSubscription: string;
  clientsTable: string;
  scoresTable: string;
  eventsTable: string;
}

/** What the gateway part needs of the job. */
export interface GatewayPart {
  gateway: GatewayTables;
  project: string;
  instance: string;
  table: string;
  deadLetter: DeadLetterTarget;
  createTables?: boolean;
}

/** Each transaction with its customer's score as of the purchase, read from `scoresTable` a batch at a time. */
export function latestScoreLookup(projectId: string, instanceId: string, tableId: string): BatchLookup<Transaction, ScoredTransaction> {
  return async (batch) => {
    const keys = [...new Set(batch.map((t) => keyPart(t.userId)))];
    let rows: ReadRow[];
    try {
      rows = await readRows({ projectId, instanceId, tableId, keys, versionsPerColumn: SCORE_VERSIONS });
    } catch (error) {
      if ((error as { cause?: { code?: number } }).cause?.code !== NOT_FOUND) throw error;
      rows = [];
    }
    const cells = new Map(rows.map((r) => [r.key, r.cells]));
    return batch.map((transaction) => {
      const score = scoreAsOf(cells.get(keyPart(transaction.userId)), transaction.eventTimeMs);
      return score === undefined ? { transaction } : { transaction, score };
    });
  };
}

/** The rows of gateway transactions: each with its customer's score as of the purchase, when known. */
export function scoredTransactionRows(transactions: beam.PCollection<Transaction>, job: GatewayPart): beam.PCollection<BigtableRow> {
  return transactions
    .apply(lookupInBatches("withCustomerScore", latestScoreLookup(job.project, job.instance, job.gateway.scoresTable)))
    .map(beam.withName("scoredTransactionRow", (st: ScoredTransaction) => scoredTransactionRow(st)));
}

/** `kind:where` of a dead-letter target, as `--dead-letter` spells it: where an event's dead letter is. */
export function describeTarget(target: DeadLetterTarget): string {
  if (target.kind === "files") return `files:${target.prefix}`;
  if (target.kind === "pubsub") return `pubsub:${target.topic}`;
  return `bigtable:${target.table}`;
}

/**
 * Adds the clients and scores branches and the event index to the pipeline; returns every dead
 * letter (the transactions' ones included) for the job's dead-letter output.
 */
export function gatewayPart(
  root: beam.Root,
  job: GatewayPart,
  transactions: beam.PCollection<Transaction>,
  transactionDeadLetters: beam.PCollection<DeadLetter>,
): beam.PCollection<DeadLetter> {
  const bigtable = { projectId: job.project, instanceId: job.instance };
  const table = (tableId: string, family: string) => writeToBigtable({ ...bigtable, tableId, createTable: job.createTables ? { families: [family] } : undefined });
  const read = (subscription: string) =>
    root.apply(
      readFromPubSub({ subscription, projectId: job.project, timestampAttribute: EVENT_TIME_ATTRIBUTE, idAttribute: EVENT_ID_ATTRIBUTE, withAttributes: true }),
    ) as beam.PCollection<PubSubMessage>;
  const { clientsTable, scoresTable, eventsTable } = job.gateway;
  const transactionsTable = job.table;
  const deadLetters = describeTarget(job.deadLetter);

  const clients = read(job.gateway.clientsSubscription).apply(parseClients());
  clients.valid.map(beam.withName("clientRow", (p: CustomerProfile) => clientRow(p))).apply(table(clientsTable, CLIENT_FAMILY));
  const scores = read(job.gateway.scoresSubscription).apply(parseScores());
  scores.valid.map(beam.withName("scoreRow", (s: RiskScore) => scoreRow(s))).apply(table(scoresTable, SCORE_FAMILY));

  const allDeadLetters = beam
    .P([transactionDeadLetters, clients.deadLetter, scores.deadLetter])
    .apply(beam.withName("gatewayDeadLetters", beam.flatten<DeadLetter>()));
  const whereabouts = [
    transactions.flatMap(beam.withName("transactionWhereabouts", (t: Transaction) => transactionEventRows(t, transactionsTable, transactionRowKey(t)))),
    clients.valid.flatMap(beam.withName("clientWhereabouts", (p: CustomerProfile) => sideEventRows(p, "client", clientsTable))),
    scores.valid.flatMap(beam.withName("scoreWhereabouts", (s: RiskScore) => sideEventRows(s, "score", scoresTable))),
    allDeadLetters.flatMap(beam.withName("deadLetterWhereabouts", (d: DeadLetter) => deadLetterEventRows(d, deadLetters, deadLetterRowKey(d)))),
  ];
  beam.P(whereabouts).apply(beam.withName("whereabouts", beam.flatten())).apply(table(eventsTable, EVENT_FAMILY));
  return allDeadLetters;
}

requireForSerialization("beam-ts-native/pipelines/gateway_streaming", exports);
