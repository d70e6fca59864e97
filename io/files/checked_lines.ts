/**
 * Bytes of a text file into checked lines. A file is bytes, and what a parser must never be handed
 * as a good line is checked here, where the bytes still are: a line that is not valid UTF-8 (a
 * lenient decoder would turn it into U+FFFD and a *valid* row), a line holding a NUL byte, a line
 * longer than the configured limit. Each still becomes a {@link TextLine} — with the `refusal` that
 * makes the parsers dead-letter it — so nothing vanishes, and memory stays bounded by the limit: the
 * bytes of an overlong line past it are skipped as they arrive, not gathered, and a long line is
 * joined once, when its newline arrives (about twice the limit plus a chunk at most, per file read).
 *
 * Lines end at `\n`; a `\r` before it is dropped; a last line without a newline is kept. A multi-byte
 * character never straddles a newline, so splitting bytes at newlines keeps characters whole.
 */
import { isUtf8 } from "buffer";
import type { TextLine } from "../../transforms/text_line";

/** Default longest line, in bytes (Pub/Sub's own limit on a message is 10 MB). */
export const DEFAULT_MAX_LINE_BYTES = 10 * 2 ** 20;
/** Bytes of an overlong line kept for its dead letter. */
const OVERLONG_PREVIEW_BYTES = 1024;
const NEWLINE = 0x0a;
const CR = 0x0d;

const lenientUtf8 = new TextDecoder("utf-8");

/** Splits the bytes of one file, pushed chunk by chunk, into checked lines (see the module comment). */
export class LineSplitter {
  /** The start of a line still open, in the pieces it came in: joined once, when its newline comes. */
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private lineNumber: number;
  /** Within an overlong line: its bytes are skipped until its newline. */
  private skipping = false;

  constructor(
    private readonly file: string,
    private readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
    /** The 1-based number of the first line it will split (a file split's first line). */
    firstLine = 1,
  ) {
    this.lineNumber = firstLine - 1;
  }

  /** The lines completed by `chunk`. */
  push(chunk: Buffer): TextLine[] {
    const lines: TextLine[] = [];
    let data = chunk;
    if (this.skipping) {
      const newline = data.indexOf(NEWLINE);
      if (newline === -1) return lines;
      this.skipping = false;
      data = data.subarray(newline + 1);
    }
    if (this.carryBytes > 0) {
      // Only the open line is joined: copying the whole chunk behind it made a second chunk per chunk.
      const newline = data.indexOf(NEWLINE);
      if (newline === -1) {
        this.keepPartial(data, lines);
        return lines;
      }
      this.addLine(Buffer.concat([...this.carry, data.subarray(0, newline)]), lines);
      this.carry = [];
      this.carryBytes = 0;
      data = data.subarray(newline + 1);
    }
    const last = data.lastIndexOf(NEWLINE);
    if (last === -1) {
      this.keepPartial(data, lines);
      return lines;
    }
    this.splitComplete(data.subarray(0, last), lines);
    this.keepPartial(data.subarray(last + 1), lines);
    return lines;
  }

  /** The last line, if the file did not end with a newline. */
  end(): TextLine[] {
    const lines: TextLine[] = [];
    if (this.carryBytes > 0) this.addLine(Buffer.concat(this.carry), lines);
    this.carry = [];
    this.carryBytes = 0;
    return lines;
  }

  /** Keeps more of a line still open, unless that makes it too long: then it is reported and skipped. */
  private keepPartial(partial: Buffer, lines: TextLine[]): void {
    if (partial.length === 0) return;
    if (this.carryBytes + partial.length <= this.maxLineBytes) {
      // A copy: a view would keep the whole chunk it came from alive.
      this.carry.push(Buffer.from(partial));
      this.carryBytes += partial.length;
      return;
    }
    this.addOverlong(Buffer.concat([...this.carry, partial], Math.min(OVERLONG_PREVIEW_BYTES, this.carryBytes + partial.length)), lines);
    this.carry = [];
    this.carryBytes = 0;
    this.skipping = true;
  }

  /** Lines separated by newlines in `bytes`, which ends just before a newline. */
  private splitComplete(bytes: Buffer, lines: TextLine[]): void {
    // The common case, a clean chunk, is checked and decoded once, not line by line.
    if (isUtf8(bytes) && bytes.indexOf(0) === -1 && bytes.length <= this.maxLineBytes) {
      const text = bytes.toString("utf8");
      let start = 0;
      for (;;) {
        const newline = text.indexOf("\n", start);
        const stop = newline === -1 ? text.length : newline;
        const end = stop > start && text.charCodeAt(stop - 1) === CR ? stop - 1 : stop;
        lines.push({ line: text.slice(start, end), file: this.file, lineNumber: ++this.lineNumber });
        if (newline === -1) return;
        start = newline + 1;
      }
    }
    let start = 0;
    for (;;) {
      const newline = bytes.indexOf(NEWLINE, start);
      const stop = newline === -1 ? bytes.length : newline;
      this.addLine(bytes.subarray(start, stop), lines);
      if (newline === -1) return;
      start = newline + 1;
    }
  }

  /** One line's bytes (without its newline), checked. */
  private addLine(raw: Buffer, lines: TextLine[]): void {
    const bytes = raw.length > 0 && raw[raw.length - 1] === CR ? raw.subarray(0, raw.length - 1) : raw;
    if (bytes.length > this.maxLineBytes) return this.addOverlong(bytes, lines);
    const lineNumber = ++this.lineNumber;
    if (!isUtf8(bytes)) {
      lines.push({ line: lenientUtf8.decode(bytes), file: this.file, lineNumber, refusal: "expected UTF-8 text, found bytes that are not valid UTF-8" });
      return;
    }
    const line = bytes.toString("utf8");
    const nul = bytes.indexOf(0);
    if (nul !== -1) {
      lines.push({ line, file: this.file, lineNumber, refusal: `expected text, found a NUL byte at byte ${nul + 1} of the line` });
      return;
    }
    lines.push({ line, file: this.file, lineNumber });
  }

  private addOverlong(start: Buffer, lines: TextLine[]): void {
    lines.push({
      line: lenientUtf8.decode(start.subarray(0, OVERLONG_PREVIEW_BYTES)),
      file: this.file,
      lineNumber: ++this.lineNumber,
      refusal: `line longer than the limit of ${this.maxLineBytes} bytes (maxLineBytes); its first ${OVERLONG_PREVIEW_BYTES} bytes are kept`,
    });
  }
}
