/**
 * SHA-256 (FIPS 180-4) in TypeScript, for the CPU-load knob's repeated rounds: every round hashes
 * the previous digest's 64 hex characters, so a round is two blocks (the hex, then a constant
 * padding block) worked on in preallocated 32-bit arrays — no string, buffer or object per round;
 * the digest becomes text once, at the end.
 *
 * Why not `crypto.hash`: the knob stands for a user's CPU-heavy DoFn, which is JavaScript, and
 * node:crypto's one-shot hash did not scale across worker threads of one process (state shared in
 * OpenSSL, we suppose): on this 2-core machine, fairly quiet, two threads of 100-round loops took
 * 0.96–1.21 s wall and 1.80–2.12 CPU s for what one thread did in 0.80–0.88 s, while two processes,
 * or plain JavaScript arithmetic on two threads (1.06 s for one thread's 1.08), scaled. This one is
 * plain JavaScript arithmetic, about half OpenSSL's speed per round. Figures: `transforms/README.md`.
 */
import { requireForSerialization } from "apache-beam/serialization";

/** The first `count` primes. */
function primes(count: number): number[] {
  const found: number[] = [];
  for (let n = 2; found.length < count; n++) if (found.every((p) => n % p !== 0)) found.push(n);
  return found;
}

/**
 * The first 32 bits of the fractional part of `p`'s `root`-th root (§4.2.2 and §5.3.3 define the
 * constants so), exact: the floating-point estimate corrected with integers.
 */
function fractionBits(p: number, root: 2 | 3): number {
  const scaled = BigInt(p) << BigInt(32 * root); // p · 2^(32·root): its root is the root of p · 2^32
  let r = BigInt(Math.floor((root === 2 ? Math.sqrt(p) : Math.cbrt(p)) * 2 ** 32));
  while (r ** BigInt(root) > scaled) r--;
  while ((r + 1n) ** BigInt(root) <= scaled) r++;
  return Number(r & 0xffffffffn) | 0;
}

const FIRST_PRIMES = primes(64);
/** §4.2.2: the round constants, from the cube roots of the first 64 primes. */
const K = Int32Array.from(FIRST_PRIMES, (p) => fractionBits(p, 3));
/** §5.3.3: the initial hash value, from the square roots of the first 8 primes. */
const INITIAL = Int32Array.from(FIRST_PRIMES.slice(0, 8), (p) => fractionBits(p, 2));

/** The hash value being computed. */
const H = new Int32Array(8);
/** The message schedule of the block being compressed. */
const W = new Int32Array(64);
/** A message's bytes with its padding; grown (never shrunk) for longer messages. */
let message = Buffer.alloc(256);

/** The 16 message words of a block from the schedule's first 16 entries, expanded to 64 (§6.2.2 step 1). */
function expandSchedule(w: Int32Array): void {
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15];
    const y = w[t - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
  }
}

/** §6.2.2 steps 2–4: compresses the block whose schedule is `w` into `H`. */
function compress(w: Int32Array): void {
  let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[t] + w[t]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0] + a) | 0;
  H[1] = (H[1] + b) | 0;
  H[2] = (H[2] + c) | 0;
  H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0;
  H[5] = (H[5] + f) | 0;
  H[6] = (H[6] + g) | 0;
  H[7] = (H[7] + h) | 0;
}

/** Hashes `text`'s UTF-8 bytes into `H` (§5.1.1 padding, §6.2 computation). */
function hashText(text: string): void {
  // UTF-8 takes at most 3 bytes per UTF-16 unit; padding adds 1–64 bytes and the 8-byte length.
  const room = text.length * 3 + 72;
  if (message.length < room) message = Buffer.alloc(room * 2);
  const length = message.write(text, 0, "utf8");
  const padded = Math.ceil((length + 9) / 64) * 64;
  message.fill(0, length, padded);
  message[length] = 0x80;
  message.writeUInt32BE(Math.floor(length / 2 ** 29), padded - 8); // the length in bits, 64-bit big-endian
  message.writeUInt32BE((length * 8) >>> 0, padded - 4);
  H.set(INITIAL);
  for (let block = 0; block < padded; block += 64) {
    for (let t = 0, i = block; t < 16; t++, i += 4) W[t] = (message[i] << 24) | (message[i + 1] << 16) | (message[i + 2] << 8) | message[i + 3];
    expandSchedule(W);
    compress(W);
  }
}

/** Two hex digits (lowercase ASCII) per byte, as the 16 bits of a big-endian pair. */
const HEX_PAIR = Int32Array.from({ length: 256 }, (_, byte) => {
  const digits = byte.toString(16).padStart(2, "0");
  return (digits.charCodeAt(0) << 8) | digits.charCodeAt(1);
});

/**
 * The schedule of a 64-byte message's second block — padding only (0x80, zeros, the length 512),
 * the same for every round — expanded once.
 */
const HEX_PADDING_W = new Int32Array(64);
HEX_PADDING_W[0] = 0x80 << 24;
HEX_PADDING_W[15] = 512;
expandSchedule(HEX_PADDING_W);

/** Replaces `H` by the hash of `H`'s digest as 64 hex characters (one round after the first). */
function rehashHex(): void {
  for (let i = 0; i < 8; i++) {
    const word = H[i];
    W[2 * i] = (HEX_PAIR[word >>> 24] << 16) | HEX_PAIR[(word >>> 16) & 0xff];
    W[2 * i + 1] = (HEX_PAIR[(word >>> 8) & 0xff] << 16) | HEX_PAIR[word & 0xff];
  }
  expandSchedule(W);
  H.set(INITIAL);
  compress(W);
  compress(HEX_PADDING_W);
}

/** `H` as 64 lowercase hex digits. */
function digestHex(): string {
  let hex = "";
  for (let i = 0; i < 8; i++) hex += (H[i] >>> 0).toString(16).padStart(8, "0");
  return hex;
}

/**
 * `rounds` SHA-256 rounds over `text`: the hash of its UTF-8 bytes, then the hash of that digest
 * written as lowercase hex, and so on; returns the last digest in hex (`text` itself at 0 rounds).
 */
export function sha256Rounds(text: string, rounds: number): string {
  if (rounds <= 0) return text;
  hashText(text);
  for (let i = 1; i < rounds; i++) rehashHex();
  return digestHex();
}

requireForSerialization("beam-ts-native/transforms/sha256", exports);
