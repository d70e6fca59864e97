/**
 * The ingest publisher (seed 004's producer, done better): reads CSV / JSON-lines files, streamed,
 * and publishes one message per row, batched, either as fast as possible, at a fixed rate, or paced
 * by the rows' own event times (`replaySpeed` × real time). Reports progress and final counts.
 */
import type { Topic } from "@google-cloud/pubsub";
import { newPubSub } from "../io/pubsub/client";
import { forEachLineChunk } from "../io/files/text_files";
import { formatByExtension, InputError, TEXT_FORMATS, type InputFormat } from "../io/files/input_format";
import { EVENT_TIME_ATTRIBUTE, rowMessage, type RowMessage } from "./messages";

/** What to publish and how fast. */
export interface IngestOptions {
  inputs: string[];
  /** The format of every input; default: each by its extension (io/files/input_format.ts). */
  format?: InputFormat;
  topic: string;
  projectId: string;
  /** Messages per second; 0 = as fast as possible (default). */
  rate?: number;
  /** Pace by event time: 60 = one minute of event time per second. Overrides `rate`. */
  replaySpeed?: number;
  /** Create the topic if it does not exist. */
  createTopic?: boolean;
  /**
   * The event time each message carries: the row's own (`"row"`, default), or the moment it is
   * published (`"now"`: a live stream made of the rows, seed 004's emulation of one).
   */
  eventTime?: "row" | "now";
  /** Called with the counts so far every {@link PROGRESS_EVERY_MS} while publishing, whatever the pace, and once at the end. */
  onProgress?: (counts: IngestCounts) => void;
  /** Stops publishing (what was sent stays sent); the counts say how far it got. */
  signal?: AbortSignal;
}

/** What was published. */
export interface IngestCounts {
  published: number;
  valid: number;
  invalid: number;
  seconds: number;
  /** Whether every row of every input was sent (false when `signal` stopped it before the end). */
  complete: boolean;
}

/** How often progress is reported while publishing (ms). */
export const PROGRESS_EVERY_MS = 200;

/**
 * The format `input` is published in: a text one, since each line is a message. Parquet is refused
 * with an {@link InputError} naming the input (its rows are columns, not lines: the batch ETL reads it).
 */
export function publishedFormat(input: string, declared?: InputFormat): "csv" | "jsonl" {
  const format = declared ?? formatByExtension(input, TEXT_FORMATS);
  if (format === "parquet") {
    throw new InputError(`input '${input}' is Parquet: the publisher sends rows of text (CSV or JSON lines); read Parquet with npm run pipeline -- --pipeline=batch`);
  }
  return format;
}

/** Publishes every row of `inputs` to `topic`; resolves once every message is acknowledged by Pub/Sub. */
export async function ingest(options: IngestOptions): Promise<IngestCounts> {
  // Every input checked before the first message: a refusal publishes nothing.
  const formats = options.inputs.map((input) => publishedFormat(input, options.format));
  const pubsub = newPubSub(options.projectId);
  const topic = pubsub.topic(options.topic, { batching: { maxMessages: 1000, maxMilliseconds: 10 } });
  if (options.createTopic) {
    const [exists] = await topic.exists();
    if (!exists) await topic.create();
  }
  const started = Date.now();
  const counts: IngestCounts = { published: 0, valid: 0, invalid: 0, seconds: 0, complete: false };
  const pace = pacer(options, started);
  let inFlight: Promise<string>[] = [];
  // On a timer, not per chunk of lines: at a low rate a chunk takes minutes to publish.
  const onProgress = options.onProgress;
  const progress = onProgress && setInterval(() => onProgress({ ...counts, seconds: (Date.now() - started) / 1000 }), PROGRESS_EVERY_MS);
  let stopped = false;
  try {
    for (const [i, input] of options.inputs.entries()) {
      const format = formats[i];
      if (options.signal?.aborted) {
        stopped = true;
        break;
      }
      await forEachLineChunk(input, async (lines) => {
        for (const line of lines) {
          if (options.signal?.aborted) {
            stopped = true;
            break;
          }
          const message = rowMessage(line, format);
          if (message === undefined) continue;
          if (options.eventTime === "now") message.attributes[EVENT_TIME_ATTRIBUTE] = String(Date.now());
          await pace(message);
          inFlight.push(publish(topic, message));
          counts.published++;
          if (message.valid) counts.valid++;
          else counts.invalid++;
        }
        // Bound what is buffered in the client: wait for this chunk's publishes.
        await Promise.all(inFlight);
        inFlight = [];
      });
    }
    await Promise.all(inFlight);
  } finally {
    clearInterval(progress);
    await pubsub.close();
  }
  counts.complete = !stopped;
  counts.seconds = (Date.now() - started) / 1000;
  options.onProgress?.(counts);
  return counts;
}

function publish(topic: Topic, message: RowMessage): Promise<string> {
  return topic.publishMessage({ data: message.data, attributes: message.attributes });
}

/** Waits until `message` is due: by a fixed rate, or by its event time relative to the first one. */
function pacer(options: IngestOptions, started: number): (message: RowMessage) => Promise<void> {
  let sent = 0;
  let firstEventTime: number | undefined;
  return async (message) => {
    let dueAt = started;
    if (options.replaySpeed !== undefined && options.replaySpeed > 0) {
      if (message.eventTimeMs !== undefined) {
        firstEventTime ??= message.eventTimeMs;
        dueAt = started + Math.max(0, message.eventTimeMs - firstEventTime) / options.replaySpeed;
      }
    } else if (options.rate !== undefined && options.rate > 0) {
      dueAt = started + (sent * 1000) / options.rate;
    }
    sent++;
    const wait = dueAt - Date.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
  };
}
