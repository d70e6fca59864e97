/**
 * Transactions from CSV lines: the batch ETL's files, one record per line, columns and header as in
 * {@link TRANSACTION_COLUMNS}.
 *
 * What a line is (see {@link csvLineRole}):
 * - blank (whitespace only): not a record; skipped, no dead letter;
 * - the header on line 1 of its file: skipped. It must be exactly {@link CSV_HEADER} (after an
 *   optional BOM); a file with other columns or another order is not ours, and its first line
 *   becomes a dead letter. When the line number is unknown (a bare string), every header line is
 *   skipped: a PCollection has no order, so "first" cannot be told, and a header carries no
 *   transaction to lose;
 * - anything else is a record: a header elsewhere, bad CSV syntax or a wrong column count make it a
 *   dead letter of the parse step; bad field values a dead letter of the validate step.
 * So: records in = valid + dead letters, always.
 */
import type * as beam from "apache-beam";
import { TRANSACTION_COLUMNS, type Transaction } from "./transaction";
import { transactionFromValues } from "./transaction_fields";
import { splitCsvLine } from "./csv_line";
import { asTextLine, isBlankLine, lineContent, type TextLine } from "./text_line";
import type { ParseResult } from "./parse_result";
import { parseStepOutput, refusedInput, parseThenValidate, type ParsedTransactions, type ParseStepOutput } from "./validate";
import { requireForSerialization } from "apache-beam/serialization";

/** The header line of a transactions CSV file. */
export const CSV_HEADER = TRANSACTION_COLUMNS.join(",");

/** Name of the CSV parse step, as it appears in the job graph and in its dead letters' `step`. */
export const PARSE_CSV_STEP = "parseCsvLines";

/** What a line of a transactions CSV file is: a record, the file's header, or a blank line. */
export type CsvLineRole = "record" | "header" | "blank";

// A header line is the header plus at most a BOM and a CRLF; longer lines need no comparison.
const LONGEST_HEADER_LINE = CSV_HEADER.length + 3;

/**
 * Tells records from the lines that are skipped: blank lines, and the header when it is line 1 of
 * its file or when `lineNumber` is unknown. A header anywhere else is a "record" (and a dead letter).
 */
export function csvLineRole(line: string, lineNumber?: number): CsvLineRole {
  if (isBlankLine(line)) return "blank";
  const mayBeHeader = lineNumber === undefined || lineNumber === 1;
  return mayBeHeader && line.length <= LONGEST_HEADER_LINE && lineContent(line) === CSV_HEADER ? "header" : "record";
}

/**
 * The 14 raw values of a record line. Row-level errors: a header where a record belongs, bad CSV
 * syntax (see `splitCsvLine`), a column count other than 14.
 */
function csvRecordValues(line: string): ParseResult<string[]> {
  const content = lineContent(line);
  if (content === CSV_HEADER) {
    return { error: { reason: "expected a record, found the header line (only line 1 of a file may be the header)" } };
  }
  const fields = splitCsvLine(content);
  if ("ok" in fields && fields.ok.length !== TRANSACTION_COLUMNS.length) {
    return { error: { reason: `expected ${TRANSACTION_COLUMNS.length} columns, found ${fields.ok.length}` } };
  }
  return fields;
}

/**
 * Parses and validates one record line into a transaction, for plain loops; pair it with
 * {@link csvLineRole} to skip what the transform skips.
 */
export function parseCsvLine(line: string): ParseResult<Transaction> {
  const values = csvRecordValues(line);
  return "error" in values ? values : transactionFromValues(values.ok);
}

/** The CSV parse step's output for one line (the body of its DoFn). */
export function parseCsvElement(element: string | TextLine, step: string): ParseStepOutput[] {
  const textLine = asTextLine(element);
  if (textLine.refusal !== undefined) return [refusedInput(textLine.refusal, textLine.line, textLine, step)];
  if (csvLineRole(textLine.line, textLine.lineNumber) !== "record") return [];
  return [parseStepOutput(csvRecordValues(textLine.line), textLine.line, textLine, step)];
}

/**
 * Parses CSV lines into transactions. Input: lines as {@link TextLine} records (preferred: the line
 * number places the header, file and line number become the dead letter's origin) or bare strings.
 */
export function parseCsvTransactions(): beam.PTransform<beam.PCollection<string | TextLine>, ParsedTransactions> {
  return parseThenValidate("parseCsvTransactions", PARSE_CSV_STEP, parseCsvElement);
}

requireForSerialization("beam-ts-native/transforms/parse_csv", exports);
