/**
 * Google Cloud Storage for our file sources and sinks: `gs://bucket/object` URIs, pattern listing,
 * streamed reads and writes, with `@google-cloud/storage`.
 *
 * Sources and sinks carry only {@link GcsOptions} (plain data, serialized with the pipeline); the
 * client is made lazily where they run and kept per options in this module, so credentials are
 * needed only there, and one worker shares one client (and its connection pool) between steps.
 */
import type { Readable, Writable } from "stream";
import { hasWildcard, matchesWildcard, splitPattern } from "./file_patterns";

/** How to reach GCS. Everything optional: the defaults are the real service and the ambient credentials. */
export interface GcsOptions {
  /** Another endpoint (`http://127.0.0.1:PORT` for a test server). The client sends no credentials to it. */
  apiEndpoint?: string;
  /** The project, when the ambient credentials do not say. */
  projectId?: string;
}

/** A parsed `gs://` URI. */
export interface GcsLocation {
  bucket: string;
  /** The object name (may be empty for `gs://bucket/`). */
  name: string;
}

// A type only: an import declaration, even `import type`, becomes a require in the closure transform.
type Storage = import("@google-cloud/storage").Storage;

const clients = new Map<string, Storage>();

/** True for a `gs://` URI. */
export function isGcsUri(uri: string): boolean {
  return uri.startsWith("gs://");
}

/** The bucket and object name of a `gs://bucket/name` URI; fails, naming it, when it is not one. */
export function parseGcsUri(uri: string): GcsLocation {
  const match = /^gs:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (match === null) throw new Error(`'${uri}' is not a GCS URI: expected gs://bucket/object`);
  return { bucket: match[1], name: match[2] };
}

/** The storage client for these options, made on first use. */
export function gcsClient(options: GcsOptions = {}): Storage {
  const key = JSON.stringify([options.apiEndpoint ?? "", options.projectId ?? ""]);
  let client = clients.get(key);
  if (client === undefined) {
    // Required here, not imported: every worker thread loads this module with the file sources, and
    // the client (~50 ms of CPU to load) only where a gs:// file is read or written.
    const { Storage: StorageClient } = require("@google-cloud/storage") as typeof import("@google-cloud/storage");
    client = new StorageClient({ apiEndpoint: options.apiEndpoint, projectId: options.projectId });
    clients.set(key, client);
  }
  return client;
}

/**
 * The objects a `gs://` pattern names, sorted. A plain URI names itself (whether it exists shows
 * when it is read); a wildcard in the last segment lists that "directory" and keeps the matches.
 * Fails, naming the pattern, when a wildcard matches nothing.
 */
export async function expandGcsPattern(pattern: string, options: GcsOptions = {}): Promise<string[]> {
  if (!hasWildcard(pattern)) return [pattern];
  const { bucket, name } = parseGcsUri(pattern);
  const { directory, name: wildcard } = splitPattern(name);
  const literal = wildcard.slice(0, wildcard.search(/[*?]/));
  // The delimiter keeps the listing to this "directory": nested objects come back as one prefix each.
  const [files] = await withGcsContext(pattern, "listing", () =>
    gcsClient(options).bucket(bucket).getFiles({ prefix: directory + literal, delimiter: "/", autoPaginate: true }),
  );
  const uris = files
    .filter((file) => matchesWildcard(file.name.slice(directory.length), wildcard))
    .map((file) => `gs://${bucket}/${file.name}`)
    .sort();
  if (uris.length === 0) throw new Error(`file pattern '${pattern}' matches no object`);
  return uris;
}

/**
 * A stream of the object's bytes, downloaded as it is read (never the whole object in memory); with
 * `range`, only bytes `start` to `end` (inclusive; to the end when absent), one ranged request.
 */
export function gcsReadStream(uri: string, options: GcsOptions = {}, range?: { start: number; end?: number }): Readable {
  const { bucket, name } = parseGcsUri(uri);
  return gcsClient(options).bucket(bucket).file(name).createReadStream(range ?? {});
}

/** The object's size in bytes, from its metadata. */
export async function gcsObjectSize(uri: string, options: GcsOptions = {}): Promise<number> {
  const { bucket, name } = parseGcsUri(uri);
  const [metadata] = await gcsClient(options).bucket(bucket).file(name).getMetadata();
  return Number(metadata.size);
}

/**
 * A stream uploading to the object in one request (`resumable: false`): GCS makes the object
 * visible only when the upload completes, so a failed or abandoned write never shows a partial
 * object. The stream finishes once the object exists.
 */
export function gcsWriteStream(uri: string, options: GcsOptions = {}, contentType = "text/plain; charset=utf-8"): Writable {
  const { bucket, name } = parseGcsUri(uri);
  return gcsClient(options).bucket(bucket).file(name).createWriteStream({ resumable: false, contentType });
}

/** Moves an object (a server-side copy, then the source is deleted); the destination is replaced. */
export async function moveGcsObject(from: string, to: string, options: GcsOptions = {}): Promise<void> {
  const source = parseGcsUri(from);
  const destination = parseGcsUri(to);
  if (source.bucket !== destination.bucket) throw new Error(`moving '${from}' to '${to}': both must be in the same bucket`);
  await withGcsContext(from, `moving to '${to}'`, () => gcsClient(options).bucket(source.bucket).file(source.name).move(destination.name));
}

/** Deletes an object; one already gone is not an error (deletes are replayed). */
export async function deleteGcsObject(uri: string, options: GcsOptions = {}): Promise<void> {
  const { bucket, name } = parseGcsUri(uri);
  await withGcsContext(uri, "deleting", () => gcsClient(options).bucket(bucket).file(name).delete({ ignoreNotFound: true }));
}

/**
 * Runs a GCS call, and on failure says which URI and what was being done: the client's own errors
 * name neither (a 404 says "No such object" and, from some endpoints, only a JSON body).
 */
export async function withGcsContext<T>(uri: string, doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw gcsError(uri, doing, error);
  }
}

/** An error naming the URI, the operation and the reason (a 404 is said in words). */
export function gcsError(uri: string, doing: string, error: unknown): Error {
  const code = (error as { code?: unknown }).code;
  const reason = code === 404 ? "no such object or bucket" : (error as Error).message ?? String(error);
  return new Error(`${doing} '${uri}' failed: ${reason}`, { cause: error });
}
