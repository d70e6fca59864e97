/**
 * RFC 4180 fields of one CSV line, fast.
 *
 * The batch ETL pushes millions of lines through here, so the splitter walks the line with
 * `indexOf` (native, vectorized) from delimiter to delimiter instead of testing every character,
 * and copies a quoted field piecewise only when it holds `""` escapes.
 *
 * Records never span lines in our files (writers quote, they don't embed newlines), so a quote left
 * open at the end of the line is an error of that row, not a reason to read on.
 */
import type { ParseResult } from "./parse_result";
import { requireForSerialization } from "apache-beam/serialization";

const QUOTE = 0x22;
const COMMA = 0x2c;

/**
 * Splits a CSV line (already stripped of BOM and line terminator, see `lineContent`) into its fields.
 *
 * - A field starting with `"` is quoted: it may hold commas, and `""` stands for one `"`. Only a
 *   comma or the end of the line may follow its closing quote.
 * - Any other field runs to the next comma, taken literally (a stray `"` inside it is kept, as
 *   Python's csv and most spreadsheets do).
 * - Fields are not trimmed; an empty line is one empty field.
 *
 * Errors (row-level, no field): an unterminated quoted field; text after a closing quote.
 */
export function splitCsvLine(line: string): ParseResult<string[]> {
  const fields: string[] = [];
  // Stored by index, not pushed: V8 left the pushes here as calls to the builtin.
  let count = 0;
  const end = line.length;
  let at = 0;
  for (;;) {
    if (at < end && line.charCodeAt(at) === QUOTE) {
      let value = "";
      // Start of the part of the field not yet copied into `value`; `""` escapes end a part.
      let chunk = at + 1;
      for (;;) {
        const quote = line.indexOf('"', chunk);
        if (quote === -1) {
          return { error: { reason: `unterminated quoted field starting at character ${at + 1}` } };
        }
        if (line.charCodeAt(quote + 1) === QUOTE) {
          value += line.slice(chunk, quote + 1);
          chunk = quote + 2;
          continue;
        }
        value += line.slice(chunk, quote);
        at = quote + 1;
        break;
      }
      fields[count++] = value;
      if (at === end) return { ok: fields };
      if (line.charCodeAt(at) !== COMMA) {
        return {
          error: { reason: `expected a comma after the quoted field ending at character ${at}, found '${line[at]}'` },
        };
      }
      at++;
    } else {
      const comma = line.indexOf(",", at);
      if (comma === -1) {
        fields[count++] = line.slice(at);
        return { ok: fields };
      }
      fields[count++] = line.slice(at, comma);
      at = comma + 1;
    }
  }
}

requireForSerialization("beam-ts-native/transforms/csv_line", exports);
