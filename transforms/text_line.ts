/**
 * A line of a text file (CSV or JSON lines) as the parse transforms receive it.
 *
 * Readers should send {@link TextLine} records: the line number lets the CSV parser tell the
 * file's header (line 1) from a header pasted where a record belongs, and file + line number
 * become the dead letter's origin (`orders.csv:42`). A bare string is accepted too, for inputs
 * whose position is unknown (see `csvLineRole` for what that means for headers).
 */
import { requireForSerialization } from "apache-beam/serialization";

/** One line of a text file, without its line terminator (a trailing `\r` or `\n` is tolerated). */
export interface TextLine {
  /** The line's text, exactly as read. */
  line: string;
  /** The file it was read from (a path or a `gs://` URI). */
  file?: string;
  /** 1-based position of the line in its file. */
  lineNumber?: number;
  /**
   * Why the reader refuses the line though it delivers it (not UTF-8, a NUL byte, too long): the
   * parsers make it a dead letter with this reason, and `line` is what could be shown of it.
   */
  refusal?: string;
}

const BOM = 0xfeff;
const CR = 0x0d;
const LF = 0x0a;

/** The line as a {@link TextLine}, whichever form it arrived in. */
export function asTextLine(element: string | TextLine): TextLine {
  return typeof element === "string" ? { line: element } : element;
}

/** `file:lineNumber`, or as much of it as is known; undefined when nothing is. */
export function lineOrigin(line: TextLine): string | undefined {
  if (line.file === undefined) return line.lineNumber === undefined ? undefined : `line ${line.lineNumber}`;
  return line.lineNumber === undefined ? line.file : `${line.file}:${line.lineNumber}`;
}

/**
 * The line without a leading UTF-8 byte order mark and without a trailing `\r\n`, `\n` or `\r`.
 * Files written on Windows (CRLF, BOM) then read exactly like the others.
 */
export function lineContent(line: string): string {
  const start = line.charCodeAt(0) === BOM ? 1 : 0;
  let end = line.length;
  if (end > start && line.charCodeAt(end - 1) === LF) end--;
  if (end > start && line.charCodeAt(end - 1) === CR) end--;
  return start === 0 && end === line.length ? line : line.slice(start, end);
}

/**
 * True when the line holds nothing but whitespace (a BOM counts as whitespace). Blank lines are not
 * records: editors and `cat`-ed files leave them around, and they carry nothing to keep.
 */
export function isBlankLine(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) continue;
    // A record exits here at its first character; trim() would copy the whole line first.
    if (c < 0x80) return false;
    // JavaScript's trim() knows the Unicode spaces, the BOM among them.
    if (line[i].trim() !== "") return false;
  }
  return true;
}

requireForSerialization("beam-ts-native/transforms/text_line", exports);
