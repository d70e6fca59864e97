/**
 * Rows printed the way `cbt read` prints them, byte for byte, so our output and the CLI seed 004
 * validated with can be compared (or diffed) directly:
 *
 * ```
 * ----------------------------------------
 * 005258a0#998290819169999#T000000000001
 *   dados:category                           @ 2024/03/15-10:20:30.000000
 *     "Books"
 *   dados:final_price                        @ 2024/03/15-10:20:30.000000
 *     "90"
 *
 * ```
 * A line of 40 dashes, the key, then per cell (families, then qualifiers, in byte order) the column
 * left-aligned in 40 characters, ` @ ` and the timestamp in local time to the microsecond, and on the
 * next line the value quoted as Go's `%q` quotes it; a blank line ends each row. As cbt does, this
 * follows the TZ of the environment.
 */
import type { ReadCell, ReadRow } from "./read";

const SEPARATOR = "-".repeat(40);
const COLUMN_WIDTH = 40;

/** `rows` as `cbt read` prints them. */
export function formatRowsLikeCbt(rows: readonly ReadRow[]): string {
  return rows.map(formatRow).join("");
}

function formatRow(row: ReadRow): string {
  const lines = [SEPARATOR, row.key];
  for (const cell of sortedLikeCbt(row.cells)) {
    lines.push(`  ${`${cell.family}:${cell.qualifier}`.padEnd(COLUMN_WIDTH)} @ ${cbtTimestamp(cell.timestampMicros)}`);
    lines.push(`    ${goQuote(Buffer.from(cell.value, "utf8"))}`);
  }
  return lines.join("\n") + "\n\n";
}

/**
 * cbt sorts families, then columns within a family, by bytes (Go string order); its sort keeps the
 * versions of one column in the order they came, newest first. Array.prototype.sort is stable too.
 */
function sortedLikeCbt(cells: readonly ReadCell[]): ReadCell[] {
  const bytes = (s: string) => Buffer.from(s, "utf8");
  return [...cells].sort((a, b) => Buffer.compare(bytes(a.family), bytes(b.family)) || Buffer.compare(bytes(a.qualifier), bytes(b.qualifier)));
}

/** Go's `2006/01/02-15:04:05.000000` of a Bigtable timestamp (microseconds), in local time. */
export function cbtTimestamp(micros: number): string {
  const date = new Date(Math.floor(micros / 1000));
  const two = (n: number) => String(n).padStart(2, "0");
  const fraction = String(((micros % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, "0");
  return (
    `${String(date.getFullYear()).padStart(4, "0")}/${two(date.getMonth() + 1)}/${two(date.getDate())}` +
    `-${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${fraction}`
  );
}

/**
 * Go's `strconv.Quote` of bytes (what `%q` prints): printable runes as they are, `"` and `\` escaped,
 * \a \b \f \n \r \t \v, other control and non-printable runes as \xNN, \uNNNN or \UNNNNNNNN, and
 * bytes that are not UTF-8 as \xNN.
 */
export function goQuote(bytes: Buffer): string {
  let out = '"';
  let i = 0;
  while (i < bytes.length) {
    const [rune, size] = decodeRune(bytes, i);
    if (rune === undefined) {
      out += `\\x${hex(bytes[i], 2)}`;
    } else {
      out += quoteRune(rune);
    }
    i += size;
  }
  return out + '"';
}

const SHORT_ESCAPES = new Map<number, string>([
  [0x07, "\\a"],
  [0x08, "\\b"],
  [0x0c, "\\f"],
  [0x0a, "\\n"],
  [0x0d, "\\r"],
  [0x09, "\\t"],
  [0x0b, "\\v"],
  [0x22, '\\"'],
  [0x5c, "\\\\"],
]);

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function quoteRune(rune: number): string {
  const escape = SHORT_ESCAPES.get(rune);
  if (escape !== undefined) return escape;
  const char = String.fromCodePoint(rune);
  if (PRINTABLE.test(char)) return char;
  if (rune < 0x20 || rune === 0x7f) return `\\x${hex(rune, 2)}`;
  return rune < 0x10000 ? `\\u${hex(rune, 4)}` : `\\U${hex(rune, 8)}`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** The code point at `i` and its length in bytes, or [undefined, 1] where the bytes are not valid UTF-8. */
function decodeRune(bytes: Buffer, i: number): [number | undefined, number] {
  const b0 = bytes[i];
  if (b0 < 0x80) return [b0, 1];
  const size = b0 >= 0xf0 && b0 <= 0xf4 ? 4 : b0 >= 0xe0 ? 3 : b0 >= 0xc2 && b0 <= 0xdf ? 2 : 0;
  if (size === 0 || (size === 3 && b0 > 0xef) || i + size > bytes.length) return [undefined, 1];
  let rune = b0 & (0xff >> (size + 1));
  for (let k = 1; k < size; k++) {
    const b = bytes[i + k];
    if ((b & 0xc0) !== 0x80) return [undefined, 1];
    rune = (rune << 6) | (b & 0x3f);
  }
  const minimum = size === 2 ? 0x80 : size === 3 ? 0x800 : 0x10000;
  if (rune < minimum || rune > 0x10ffff || (rune >= 0xd800 && rune <= 0xdfff)) return [undefined, 1];
  return [rune, size];
}
