/**
 * A fake Google Cloud Storage for tests: a local HTTP server speaking exactly the JSON API calls
 * `@google-cloud/storage` 7 makes for what this project uses — list objects (with prefix, delimiter
 * and pages), object metadata, media download (whole, or a byte range: `Range: bytes=A-B` / `A-`,
 * answered 206 with `Content-Range`, as GCS does), multipart upload (`resumable: false`), resumable
 * upload sessions (chunks with `Content-Range`, `308` with `Range` for what the session holds,
 * status queries, the object created only when the last byte arrives), rewrite (copy, for
 * `file.move`) and delete. `uploadFault` makes chunks fail, to test resumption and retries. There is no official GCS emulator; anything else answers
 * 501 and is recorded in `unhandled`, so a test fails loudly when the client starts calling
 * something this fake does not know.
 *
 * Point the client at it with `new Storage({ apiEndpoint: fake.endpoint, projectId: "p" })`: with a
 * custom endpoint the client sends no credentials (`useAuthWithCustomEndpoint` defaults to false).
 */
import * as crypto from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import { CRC32C } from "@google-cloud/storage";

interface StoredObject {
  data: Buffer;
  contentType: string;
  generation: number;
  updated: string;
}

/** A running fake: its endpoint, its buckets' objects, and the requests it could not answer. */
export interface FakeGcs {
  /** `http://127.0.0.1:PORT`, for `apiEndpoint`. */
  endpoint: string;
  /** Puts an object in place, as if uploaded earlier. */
  put(bucket: string, name: string, data: string | Buffer): void;
  /** The object's content, or undefined when it does not exist. */
  get(bucket: string, name: string): Buffer | undefined;
  /** The names of a bucket's objects, sorted. */
  names(bucket: string): string[];
  /** `METHOD path` of every request answered 501. */
  unhandled: string[];
  /** How many list pages were served (pagination is exercised with a small page size). */
  listPages: number;
  /** Every ranged download served: the object and the bytes asked for, `[first, last]` (inclusive). */
  rangedReads: { name: string; first: number; last: number }[];
  /**
   * Called for every chunk of a resumable upload before it is taken, with the object name and the
   * chunk's first byte: `"reset"` keeps the first half of the chunk and cuts the connection (a
   * failure in mid-stream), a number answers that HTTP status and keeps nothing, undefined takes it.
   */
  uploadFault?: (name: string, offset: number) => "reset" | number | undefined;
  /** Resumable upload requests served: `created` sessions, `chunks` taken, `statusQueries`, `faults` injected. */
  resumable: { created: number; chunks: number; statusQueries: number; faults: number };
  close(): Promise<void>;
}

/** Starts a fake on a free port; `pageSize` is the default `maxResults` of a list call. */
export async function startFakeGcs(options: { pageSize?: number } = {}): Promise<FakeGcs> {
  const pageSize = options.pageSize ?? 1000;
  const buckets = new Map<string, Map<string, StoredObject>>();
  let generation = 1;
  const bucket = (name: string) => buckets.get(name) ?? buckets.set(name, new Map()).get(name)!;
  const store = (b: string, name: string, data: Buffer, contentType = "application/octet-stream") => {
    const object = { data, contentType, generation: generation++, updated: new Date().toISOString() };
    bucket(b).set(name, object);
    return object;
  };
  const metadata = (b: string, name: string, o: StoredObject) => ({
    kind: "storage#object",
    id: `${b}/${name}/${o.generation}`,
    name,
    bucket: b,
    generation: String(o.generation),
    metageneration: "1",
    contentType: o.contentType,
    size: String(o.data.length),
    md5Hash: crypto.createHash("md5").update(o.data).digest("base64"),
    crc32c: crc32c(o.data),
    updated: o.updated,
  });

  const fake: FakeGcs = {
    endpoint: "",
    put: (b, name, data) => void store(b, name, Buffer.from(data)),
    get: (b, name) => buckets.get(b)?.get(name)?.data,
    names: (b) => [...(buckets.get(b)?.keys() ?? [])].sort(),
    unhandled: [],
    listPages: 0,
    rangedReads: [],
    resumable: { created: 0, chunks: 0, statusQueries: 0, faults: 0 },
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };

  const sessions = new Map<string, { bucket: string; name: string; contentType: string; received: Buffer[]; size: number }>();

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://fake");
    const path = url.pathname;
    const q = url.searchParams;
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const notFound = (what: string) => json(404, { error: { code: 404, message: `No such object: ${what}` } });
    let m: RegExpMatchArray | null;

    if (req.method === "GET" && (m = path.match(/^\/storage\/v1\/b\/([^/]+)\/o$/))) {
      fake.listPages++;
      const b = decodeURIComponent(m[1]);
      const prefix = q.get("prefix") ?? "";
      const delimiter = q.get("delimiter") ?? "";
      const max = Number(q.get("maxResults") ?? pageSize);
      const start = q.get("pageToken") ?? "";
      const items: unknown[] = [];
      const prefixes = new Set<string>();
      let nextPageToken: string | undefined;
      for (const name of fake.names(b)) {
        if (!name.startsWith(prefix) || name <= start) continue;
        if (items.length + prefixes.size >= max) {
          nextPageToken = lastListed(items, prefixes);
          break;
        }
        const cut = delimiter === "" ? -1 : name.indexOf(delimiter, prefix.length);
        if (cut !== -1) prefixes.add(name.slice(0, cut + delimiter.length));
        else items.push(metadata(b, name, bucket(b).get(name)!));
      }
      return json(200, { kind: "storage#objects", items, prefixes: [...prefixes], nextPageToken });
    }

    if (req.method === "GET" && (m = path.match(/^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/))) {
      const b = decodeURIComponent(m[1]);
      const name = decodeURIComponent(m[2]);
      const o = buckets.get(b)?.get(name);
      if (o === undefined) return notFound(`${b}/${name}`);
      if (q.get("alt") !== "media") return json(200, metadata(b, name, o));
      const meta = metadata(b, name, o);
      let body = o.data;
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
      if (range !== null) {
        const first = Number(range[1]);
        const last = Math.min(range[2] === "" ? o.data.length - 1 : Number(range[2]), o.data.length - 1);
        if (first >= o.data.length) {
          res.writeHead(416, { "content-range": `bytes */${o.data.length}` });
          res.end();
          return;
        }
        fake.rangedReads.push({ name, first, last });
        body = o.data.subarray(first, last + 1);
        // A range carries the whole object's hashes, which the client does not check on a range.
        res.writeHead(206, {
          "content-type": o.contentType,
          "content-length": String(body.length),
          "content-range": `bytes ${first}-${last}/${o.data.length}`,
          "x-goog-hash": `crc32c=${meta.crc32c},md5=${meta.md5Hash}`,
          "x-goog-generation": String(o.generation),
        });
      } else {
        res.writeHead(200, {
          "content-type": o.contentType,
          "content-length": String(o.data.length),
          "x-goog-hash": `crc32c=${meta.crc32c},md5=${meta.md5Hash}`,
          "x-goog-generation": String(o.generation),
        });
      }
      // In pieces, as a real download arrives: readers must not assume one chunk per object.
      for (let at = 0; at < body.length; at += 64 * 1024) {
        if (!res.write(body.subarray(at, at + 64 * 1024))) await new Promise((r) => res.once("drain", r));
      }
      res.end();
      return;
    }

    if (req.method === "POST" && (m = path.match(/^\/upload\/storage\/v1\/b\/([^/]+)\/o$/)) && q.get("uploadType") === "multipart") {
      const b = decodeURIComponent(m[1]);
      const { fields, content } = parseMultipart(req.headers["content-type"] ?? "", await readBody(req));
      const name = q.get("name") ?? (fields.name as string | undefined);
      if (name === undefined) return json(400, { error: { code: 400, message: "upload without an object name" } });
      const o = store(b, name, content, (fields.contentType as string | undefined) ?? "application/octet-stream");
      return json(200, metadata(b, name, o));
    }

    if (req.method === "POST" && (m = path.match(/^\/upload\/storage\/v1\/b\/([^/]+)\/o$/)) && q.get("uploadType") === "resumable" && !q.has("upload_id")) {
      const b = decodeURIComponent(m[1]);
      const body = await readBody(req);
      const fields = body.length > 0 ? (JSON.parse(body.toString("utf8")) as Record<string, unknown>) : {};
      const name = q.get("name") ?? (fields.name as string | undefined);
      if (name === undefined) return json(400, { error: { code: 400, message: "upload without an object name" } });
      const id = crypto.randomUUID();
      sessions.set(id, { bucket: b, name, contentType: (fields.contentType as string | undefined) ?? "application/octet-stream", received: [], size: 0 });
      fake.resumable.created++;
      res.writeHead(200, { location: `${fake.endpoint}/upload/storage/v1/b/${m[1]}/o?uploadType=resumable&upload_id=${id}` });
      res.end();
      return;
    }

    if (req.method === "PUT" && path.match(/^\/upload\/storage\/v1\/b\/([^/]+)\/o$/) && q.has("upload_id")) {
      const session = sessions.get(q.get("upload_id")!);
      if (session === undefined) return json(404, { error: { code: 404, message: "No such upload session" } });
      // `bytes FIRST-LAST/TOTAL`, `bytes FIRST-*/TOTAL` (the rest in one request) or `bytes */TOTAL` (a status query); TOTAL may be `*`.
      const range = /^bytes (?:(\d+)-(\d+|\*)|\*)\/(\d+|\*)$/.exec(req.headers["content-range"] ?? "");
      if (range === null) return json(400, { error: { code: 400, message: `bad Content-Range '${req.headers["content-range"]}'` } });
      const total = range[3] === "*" ? undefined : Number(range[3]);
      const persisted = () => {
        if (session.size === 0) return {};
        return { range: `bytes=0-${session.size - 1}` };
      };
      const finish = () => {
        const o = store(session.bucket, session.name, Buffer.concat(session.received), session.contentType);
        sessions.delete(q.get("upload_id")!);
        return json(200, metadata(session.bucket, session.name, o));
      };
      if (range[1] === undefined) {
        fake.resumable.statusQueries++;
        await readBody(req);
        if (total !== undefined && session.size === total) return finish();
        res.writeHead(308, persisted());
        res.end();
        return;
      }
      const first = Number(range[1]);
      if (first > session.size) return json(400, { error: { code: 400, message: `chunk starts at ${first}, the session holds ${session.size} bytes` } });
      const fault = fake.uploadFault?.(session.name, first);
      if (fault !== undefined) {
        fake.resumable.faults++;
        const body = await readBody(req);
        if (fault !== "reset") return json(fault, { error: { code: fault, message: "injected fault" } });
        // Half the chunk reached the server before the connection broke.
        const kept = body.subarray(session.size - first, Math.floor(body.length / 2));
        session.received.push(Buffer.from(kept));
        session.size += kept.length;
        req.socket.destroy();
        return;
      }
      const body = await readBody(req);
      // The client may resend bytes the session already holds: keep only what is new.
      const fresh = body.subarray(Math.min(body.length, session.size - first));
      session.received.push(Buffer.from(fresh));
      session.size += fresh.length;
      fake.resumable.chunks++;
      if (total !== undefined && session.size >= total) return finish();
      res.writeHead(308, persisted());
      res.end();
      return;
    }

    if (req.method === "POST" && (m = path.match(/^\/storage\/v1\/b\/([^/]+)\/o\/(.+)\/rewriteTo\/b\/([^/]+)\/o\/(.+)$/))) {
      await readBody(req);
      const [sb, sn, db, dn] = [m[1], m[2], m[3], m[4]].map(decodeURIComponent);
      const source = buckets.get(sb)?.get(sn);
      if (source === undefined) return notFound(`${sb}/${sn}`);
      const o = store(db, dn, source.data, source.contentType);
      const size = String(o.data.length);
      return json(200, { kind: "storage#rewriteResponse", totalBytesRewritten: size, objectSize: size, done: true, resource: metadata(db, dn, o) });
    }

    if (req.method === "DELETE" && (m = path.match(/^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/))) {
      const b = decodeURIComponent(m[1]);
      const name = decodeURIComponent(m[2]);
      if (!buckets.get(b)?.delete(name)) return notFound(`${b}/${name}`);
      res.writeHead(204);
      res.end();
      return;
    }

    fake.unhandled.push(`${req.method} ${path}`);
    await readBody(req);
    json(501, { error: { code: 501, message: `fake GCS does not implement ${req.method} ${path}` } });
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: 500, message: error.message } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/** The page token that resumes a listing after the last entry of this page. */
function lastListed(items: unknown[], prefixes: Set<string>): string {
  const names = [...(items as { name: string }[]).map((i) => i.name), ...prefixes];
  // A prefix stands for every name under it: resume after all of them.
  return names.map((n) => (n.endsWith("/") ? n + "\uffff" : n)).sort().pop()!;
}

function crc32c(data: Buffer): string {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A `multipart/related` upload: the JSON metadata part and the media part. */
function parseMultipart(contentType: string, body: Buffer): { fields: Record<string, unknown>; content: Buffer } {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (boundary === undefined) throw new Error(`multipart upload without a boundary: '${contentType}'`);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const next = body.indexOf(delimiter, at + delimiter.length);
    if (next === -1) break;
    parts.push(body.subarray(at + delimiter.length, next));
    at = next;
  }
  const [meta, media] = parts.map((part) => {
    const headerEnd = part.indexOf("\r\n\r\n");
    // Each part is framed by CRLF after the delimiter and CRLF before the next one.
    return part.subarray(headerEnd + 4, part.length - 2);
  });
  if (meta === undefined || media === undefined) throw new Error(`multipart upload with ${parts.length} parts, expected 2`);
  return { fields: JSON.parse(meta.toString("utf8")) as Record<string, unknown>, content: media };
}
