/**
 * Reading a byte range of a local file a chunk at a time into buffers reused from one read to the
 * next, so that reading leaves no garbage behind. A Buffer per chunk (what a read stream makes) is
 * freed only by a garbage collection; alive when a scavenge comes, as a chunk being split into lines
 * or written out is, it is promoted and waits for a full collection: tens of MB per thread between
 * them, in every thread reading.
 */
import * as fs from "fs";

/** Bytes per read. */
export const CHUNK_BYTES = 1 << 20;

/**
 * Buffers of finished reads, for the next. A thread reads one split (or one file) at a time, so two
 * serve it (one read into while the other is used); a few more are kept for reads that overlap.
 */
const spareBuffers: Buffer[] = [];
const SPARE_BUFFERS = 4;

/**
 * The bytes of [start, end) of a local file (`end` Infinity: to its end), a chunk at a time, read
 * into two reused buffers: the next chunk is read while the caller uses this one (one chunk of
 * read-ahead, no more). A chunk is overwritten as soon as the caller asks for the next one: by then
 * the caller must be done with it (have copied out what it keeps, or written it). Fails naming the file.
 */
export async function* localChunks(file: string, start: number, end: number): AsyncGenerator<Buffer> {
  const handle = await fs.promises.open(file, "r").catch((error: Error) => {
    throw readFailure(file, error);
  });
  const buffers = [spareBuffers.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES), spareBuffers.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES)];
  const read = (buffer: Buffer, position: number) =>
    handle.read(buffer, 0, Math.min(CHUNK_BYTES, end - position), position).then(
      ({ bytesRead }) => buffer.subarray(0, bytesRead),
      (error: Error) => {
        throw readFailure(file, error);
      },
    );
  let position = start;
  let next: Promise<Buffer> | undefined = position < end ? read(buffers[0], position) : undefined;
  try {
    for (let i = 0; next !== undefined; i++) {
      const chunk: Buffer = await next;
      position += chunk.length;
      next = chunk.length === 0 || position >= end ? undefined : read(buffers[(i + 1) % 2], position);
      if (chunk.length > 0) yield chunk;
    }
  } finally {
    // A caller that stopped early leaves a read in flight: it settles before the handle closes.
    await next?.catch(() => undefined);
    await handle.close();
    for (const buffer of buffers) if (spareBuffers.length < SPARE_BUFFERS) spareBuffers.push(buffer);
  }
}

/** A local file that could not be read, named. */
export function readFailure(file: string, error: Error): Error {
  return new Error(`reading '${file}' failed: ${error.message}`, { cause: error });
}
