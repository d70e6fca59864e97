/**
 * Where the generated files go: a local directory, or a `gs://bucket/prefix` uploaded to from the
 * main thread (the only one holding credentials). Either way a file appears under its final name
 * only once it is whole: locally it is written under a hidden temporary name and renamed; on GCS
 * the object exists only when its resumable upload is finalized.
 *
 * GCS uploads are resumable sessions sent in chunks: when a chunk fails (a reset connection, a
 * 5xx), the client asks the session how much it holds and resends from there. An upload the client
 * gives up on is started again from the beginning, up to `attempts` times, then fails naming the
 * object. The bytes are deterministic, so retrying an upload is idempotent whatever the
 * preconditions: the client is told to retry always (its default retries only uploads with
 * `ifGenerationMatch`).
 */
import * as fs from "fs";
import * as path from "path";
import { Readable } from "stream";
import { pipeline } from "stream/promises";
import type { GcsOptions } from "../../io/files/gcs";
import { makeDirectory } from "../../io/files/make_directory";

/** How GCS uploads are made. */
export interface UploadOptions extends GcsOptions {
  /** Bytes per request of a resumable upload: a multiple of 256 KiB (default 8 MiB). */
  chunkBytes?: number;
  /** Whole-upload attempts before a file is reported failed (default 3). */
  attempts?: number;
  /** Retries of one chunk by the client within an attempt (default 4). */
  chunkRetries?: number;
}

/** A place to put whole files. */
export interface Destination {
  /** The directory or `gs://` prefix, for messages. */
  readonly location: string;
  /** Stores the file made of `chunks` end to end as `name`; resolves once it is whole under that name. */
  put(name: string, chunks: readonly Uint8Array[], contentType: string): Promise<void>;
  /** Where `name` is (a path or a `gs://` URI). */
  uriOf(name: string): string;
}

const DEFAULT_CHUNK_BYTES = 8 << 20;

/** The destination `out` names: `gs://bucket/prefix` or a local directory (made if missing). */
export function destinationOf(out: string, upload: UploadOptions = {}): Destination {
  return out.startsWith("gs://") ? gcsDestination(out, upload) : localDestination(out);
}

function localDestination(directory: string): Destination {
  const uriOf = (name: string) => path.join(directory, name);
  return {
    location: directory,
    uriOf,
    put: async (name, chunks) => {
      const temporary = path.join(directory, `.${name}.partial`);
      try {
        await makeDirectory(directory);
        await fs.promises.writeFile(temporary, chunks);
        await fs.promises.rename(temporary, uriOf(name));
      } catch (error) {
        // Best effort: when the directory itself is the problem, there is no temporary file either.
        await fs.promises.rm(temporary, { force: true }).catch(() => undefined);
        throw new Error(`writing '${uriOf(name)}' failed: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}

function gcsDestination(prefix: string, upload: UploadOptions): Destination {
  // Loaded only for a gs:// destination: the client is ~25 MB that a local run does without.
  const { IdempotencyStrategy, Storage } = require("@google-cloud/storage") as typeof import("@google-cloud/storage");
  const { gcsError, parseGcsUri } = require("../../io/files/gcs") as typeof import("../../io/files/gcs");
  const { bucket, name: base } = parseGcsUri(prefix.endsWith("/") ? prefix : `${prefix}/`);
  const storage = new Storage({
    apiEndpoint: upload.apiEndpoint,
    projectId: upload.projectId,
    retryOptions: { autoRetry: true, maxRetries: upload.chunkRetries ?? 4, idempotencyStrategy: IdempotencyStrategy.RetryAlways },
  });
  const attempts = upload.attempts ?? 3;
  const chunkSize = upload.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const uriOf = (name: string) => `gs://${bucket}/${base}${name}`;
  return {
    location: `gs://${bucket}/${base}`,
    uriOf,
    put: async (name, chunks, contentType) => {
      const file = storage.bucket(bucket).file(base + name);
      for (let attempt = 1; ; attempt++) {
        try {
          // Streamed from the chunks in memory; the client keeps the request's chunk to resend.
          await pipeline(Readable.from(chunks), file.createWriteStream({ resumable: true, chunkSize, contentType, validation: "crc32c" }));
          return;
        } catch (error) {
          if (attempt >= attempts) throw gcsError(uriOf(name), `uploading (${attempts} attempts)`, error);
        }
      }
    },
  };
}
