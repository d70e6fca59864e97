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

/** The page's bytes compressed (or the same bytes for none). */
export function compressPage(page: Uint8Array, compression: PageCompression): Uint8Array {
  if (compression === "none") return page;
  zstd ??= new Encoder(ZSTD_LEVEL);
  return zstd.encodeSync(Buffer.from(page.buffer, page.byteOffset, page.byteLength));
}
