/**
 * A page's compression: zstd (`@toondepauw/node-zstd`, the reference C library through Node-API,
 * prebuilt per platform) or none. Snappy files are still written by `parquet-wasm`
 * (`file_encoding.ts`).
 */
import { Encoder } from "@toondepauw/node-zstd";

/** The codecs this writer offers. */
export type PageCompression = "zstd" | "none";

/** Thrift enum `CompressionCodec`. */
export const CODEC_IDS: Readonly<Record<PageCompression, number>> = { none: 0, zstd: 6 };

/**
 * zstd's level: 1, as `parquet-wasm` wrote (the Rust crate's default). Measured on the transactions
 * (ingest/generator/README.md): level 3 makes files a few per cent smaller for a quarter more CPU.
 */
export const ZSTD_LEVEL = 1;

/** The thread's encoder, made once. */
let zstd: Encoder | undefined;

/**
 * The page's bytes compressed (or the same bytes for none); `page` must not change until then.
 * Through the library's asynchronous `encode` (the compression runs on libuv's pool while the
 * thread waits): its `encodeSync` (2.0.0 and 1.2.0) leaks native memory, ~16 kB per call for a
 * 300 kB page, garbage collection or not (+100 MB of RSS over a 1 GB run); `encode` leaks nothing.
 */
export async function compressPage(page: Uint8Array, compression: PageCompression): Promise<Uint8Array> {
  if (compression === "none") return page;
  zstd ??= new Encoder(ZSTD_LEVEL);
  return zstd.encode(Buffer.from(page.buffer, page.byteOffset, page.byteLength));
}
