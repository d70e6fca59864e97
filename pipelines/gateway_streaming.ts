/**
 * The streaming pipeline's part for events that came through the gateway (ingest/gateway/):
 *
 *   ReadFromPubSub (clients) ─▶ parse ─┬─▶ WriteToBigtable (clientes)
 *   ReadFromPubSub (scores)  ─▶ parse ─┼─▶ WriteToBigtable (scores)
 *                                      └─ dead letters ─▶ with the transactions' dead letters
 *   transactions (rows), profiles, scores, dead letters ─▶ where each event went ─▶ WriteToBigtable (eventos)
 *
 * Row keys and the `eventos` index: transforms/gateway_tables.ts. Redeliveries are deduplicated on
 * the `event_id` attribute; event time from `event_time_ms`, as for transactions.
 */
import * as beam from "apache-beam";
import { requireForSerialization } from "apache-beam/serialization";
import { readFromPubSub, type PubSubMessage } from "../io/pubsub_read";
import { writeToBigtable } from "../io/bigtable";
import { deadLetterRowKey, type DeadLetterTarget } from "../io/dead_letters";
import { EVENT_ID_ATTRIBUTE, EVENT_TIME_ATTRIBUTE } from "../ingest/messages";
import { transactionRowKey } from "../transforms/bigtable_row";
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
  scoreRow,
  sideEventRows,
  transactionEventRows,
  type CustomerProfile,
  type RiskScore,
} from "../transforms/gateway_tables";

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
