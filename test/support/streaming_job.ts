/**
 * The streaming pipeline's job on the suite's emulators: a fresh topic with the pipeline's
 * subscription, the default tables, and dead letters as files in a fresh temporary folder.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PubSub } from "@google-cloud/pubsub";
import type { StreamingJob } from "../../pipelines/streaming";

export const PROJECT = "local-project";
export const INSTANCE = "e-commerce-data";

/** A job of the streaming pipeline reading topic `topic` (made here, with its subscription); remove `deadLetterDir` after. */
export async function streamingJobOnTopic(topic: string, ackDeadlineSeconds: number): Promise<{ job: StreamingJob; deadLetterDir: string }> {
  const pubsub = new PubSub({ projectId: PROJECT });
  const [created] = await pubsub.createTopic(topic);
  await created.createSubscription(`${topic}-pipeline`, { ackDeadlineSeconds });
  await pubsub.close();
  const deadLetterDir = fs.mkdtempSync(path.join(os.tmpdir(), "dead-letters-"));
  const job: StreamingJob = {
    subscription: `${topic}-pipeline`,
    project: PROJECT,
    instance: INSTANCE,
    table: "transacoes",
    aggregateTable: "receita_por_minuto",
    deadLetter: { kind: "files", prefix: path.join(deadLetterDir, "dead") },
    createTables: true,
  };
  return { job, deadLetterDir };
}
