/**
 * Where dead letters go: JSON-lines files (local or `gs://`), a Pub/Sub topic, or a Bigtable table.
 * Each dead letter carries the raw input, the step that rejected it, the field to blame, the reason
 * and the time, so it can be read, fixed and replayed.
 *
 * ```ts
 * parsed.deadLetter.apply(writeDeadLetters({ kind: "files", prefix: "out/dead-letters" }));
 * parsed.deadLetter.apply(writeDeadLetters({ kind: "pubsub", topic: "dead-letters", projectId }));
 * parsed.deadLetter.apply(writeDeadLetters({ kind: "bigtable", table: "dead_letters", createTable: true }));
 * ```
 */
import { createHash, randomBytes } from "crypto";
import * as beam from "apache-beam";
import { requireForSerialization } from "apache-beam/serialization";
import type { DeadLetter } from "../transforms/dead_letter";
import type { BigtableRow } from "../transforms/bigtable_row";
import type { BatchWriter } from "./batching_sink";
import { bigtableBatchWriter, DEFAULT_PROJECT_ID, writeToBigtable } from "./bigtable";
import type { GcsOptions } from "./files/gcs";
import { createOutputFile } from "./files/output_files";
import { publishBatch, publishTarget, pubsubMessage, writeToPubSub } from "./pubsub/write";
import { writeTextFiles } from "./files/text_file_sink";

/** Where {@link writeDeadLetters} writes. Project ids default to `local-project`, as the CLI's do. */
export type DeadLetterTarget =
  | {
      kind: "files";
      /** `prefix-00000-of-0000N.jsonl`: a local path prefix or `gs://bucket/prefix`. */
      prefix: string;
      /** Default 1. */
      shards?: number;
      gcs?: GcsOptions;
    }
  | {
      kind: "pubsub";
      /** `projects/P/topics/T`, or `T` in `projectId`. */
      topic: string;
      projectId?: string;
    }
  | {
      kind: "bigtable";
      table: string;
      projectId?: string;
      instanceId: string;
      /** Create the table (family {@link DEAD_LETTER_FAMILY}) if it does not exist. Default false. */
      createTable?: boolean;
    };

/** The column family of dead-letter rows. */
export const DEAD_LETTER_FAMILY = "dead";

/**
 * Writes dead letters to `target`: one JSON line per dead letter in files; one message per dead
 * letter (the same JSON) with attributes `step`, `field`, `origin` and `event_id` (those known) on Pub/Sub; one
 * row per dead letter ({@link deadLetterRow}) in Bigtable.
 */
export function writeDeadLetters(target: DeadLetterTarget): beam.PTransform<beam.PCollection<DeadLetter>, beam.PCollection<unknown>> {
  switch (target.kind) {
    case "files":
      return beam.withName(`writeDeadLetters(${target.prefix})`, (letters: beam.PCollection<DeadLetter>) =>
        letters.apply(writeTextFiles<DeadLetter>({ prefix: target.prefix, suffix: ".jsonl", shards: target.shards ?? 1, format: "jsonl", gcs: target.gcs })),
      );
    case "pubsub":
      return beam.withName(`writeDeadLetters(${target.topic})`, (letters: beam.PCollection<DeadLetter>) =>
        letters.apply(writeToPubSub<DeadLetter>({ topic: target.topic, projectId: target.projectId ?? defaultProject(target.topic), attributes: deadLetterAttributes })),
      );
    case "bigtable":
      return beam.withName(`writeDeadLetters(${target.table})`, (letters: beam.PCollection<DeadLetter>) =>
        letters.map(deadLetterRow).apply(
          writeToBigtable({
            tableId: target.table,
            projectId: target.projectId,
            instanceId: target.instanceId,
            createTable: target.createTable ? { families: [DEAD_LETTER_FAMILY] } : undefined,
          }),
        ),
      );
    default:
      throw new Error(`writeDeadLetters: unknown target kind '${(target as { kind: unknown }).kind}'; expected files, pubsub or bigtable`);
  }
}

/**
 * A batch writer of dead letters to `target`, for a sink to give the elements its destination
 * refuses (`deadLetters` of writeToBigtable; see io/batching_sink.ts): to Bigtable and Pub/Sub as
 * {@link writeDeadLetters} writes them; to files, one JSON-lines file per batch beside the
 * dead-letter shards, `<prefix>-refused-<time>-<random>.jsonl`, complete (flushed, or uploaded) before
 * the batch counts as written — a file sink's shards appear only when their input ends, and a sink's
 * refusals may come at any time of a stream.
 */
export function deadLetterWriter(target: DeadLetterTarget): BatchWriter<DeadLetter> {
  switch (target.kind) {
    case "files": {
      const { prefix, gcs } = target;
      return (letters: DeadLetter[]) => writeRefusedFile(prefix, letters, gcs ?? {});
    }
    case "pubsub": {
      const publish = publishTarget(target.topic, target.projectId ?? defaultProject(target.topic));
      return (letters: DeadLetter[]) => publishBatch(publish, letters.map((d) => pubsubMessage(d, deadLetterAttributes)));
    }
    case "bigtable": {
      const write = bigtableBatchWriter({
        tableId: target.table,
        projectId: target.projectId,
        instanceId: target.instanceId,
        createTable: target.createTable ? { families: [DEAD_LETTER_FAMILY] } : undefined,
      });
      return (letters: DeadLetter[]) => write(letters.map(deadLetterRow));
    }
    default:
      throw new Error(`deadLetterWriter: unknown target kind '${(target as { kind: unknown }).kind}'; expected files, pubsub or bigtable`);
  }
}

/** Writes `letters` as one new JSON-lines file named after `prefix` (see {@link deadLetterWriter}). */
export async function writeRefusedFile(prefix: string, letters: DeadLetter[], gcs: GcsOptions): Promise<void> {
  const file = createOutputFile(`${prefix}-refused-${Date.now()}-${randomBytes(4).toString("hex")}.jsonl`, gcs);
  try {
    await file.append(Buffer.from(letters.map((d) => `${JSON.stringify(d)}\n`).join(""), "utf8"));
  } catch (error) {
    await file.abandon();
    throw error;
  }
  await file.close();
}

/** The Pub/Sub attributes of a dead letter: `step`, and `field`, `origin` and `event_id` when known. */
export function deadLetterAttributes(d: DeadLetter): Record<string, string> {
  const attributes: Record<string, string> = { step: d.step };
  if (d.field !== undefined) attributes.field = d.field;
  if (d.origin !== undefined) attributes.origin = d.origin;
  if (d.eventId !== undefined) attributes.event_id = d.eventId;
  return attributes;
}

/**
 * The Bigtable row of a dead letter: key `<step>#<origin>` (`<step>#sha256:<hex>` of the input when
 * the origin is unknown), so the same bad input rejected again — a replay — lands on the same row
 * and a reader sees one row per bad input; family {@link DEAD_LETTER_FAMILY}; qualifiers `input`,
 * `step`, `field` (when known), `reason`, `time` (ISO 8601) and `event_id` (when known), all at the rejection time (a replay
 * adds newer versions of the same cells, which a max-versions GC rule of 1 folds away; a fixed
 * timestamp would overwrite in place, but a max-age GC rule would then delete the cells at once).
 */
export function deadLetterRow(d: DeadLetter): BigtableRow {
  const timestampMicros = Math.floor(d.timeMs) * 1000;
  const cell = (qualifier: string, value: string) => ({ qualifier, value, timestampMicros });
  const cells = [cell("input", d.input), cell("step", d.step)];
  if (d.field !== undefined) cells.push(cell("field", d.field));
  cells.push(cell("reason", d.reason), cell("time", new Date(d.timeMs).toISOString()));
  if (d.eventId !== undefined) cells.push(cell("event_id", d.eventId));
  return { key: deadLetterRowKey(d), family: DEAD_LETTER_FAMILY, cells };
}

/** `<step>#<origin or sha256:hash of the input>`, `%` and `#` inside the parts percent-encoded. */
export function deadLetterRowKey(d: DeadLetter): string {
  const where = d.origin ?? `sha256:${createHash("sha256").update(d.input).digest("hex").slice(0, 32)}`;
  return `${keyPart(d.step)}#${keyPart(where)}`;
}

function keyPart(part: string): string {
  return part.replace(/%/g, "%25").replace(/#/g, "%23");
}

/** A short topic name's project: the default one, as for the CLI's `--project`. */
function defaultProject(topic: string): string | undefined {
  return topic.startsWith("projects/") ? undefined : DEFAULT_PROJECT_ID;
}

requireForSerialization("beam-ts-native/io/dead_letters", exports);
