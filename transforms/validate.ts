/**
 * The `validate` step every transaction parser ends with, and the parse-then-validate composite the
 * three input formats (CSV, JSON lines, Pub/Sub) are built from.
 *
 * A parse step only cuts a record out of its input (CSV syntax, JSON syntax); this step converts and
 * checks the fields (see `transaction_fields.ts`). Each step routes what it refuses to a dead letter
 * named after itself, so a dead letter's `step` says whether the syntax or the content was wrong.
 */
import * as beam from "apache-beam";
import type { DeadLetter } from "./dead_letter";
import type { Transaction } from "./transaction";
import type { FraudLabels } from "./fraud_labels";
import { lineOrigin, type TextLine } from "./text_line";
import type { PubSubMessage } from "./parse_json";
import { transactionFromValues } from "./transaction_fields";
import { deadLetterOf, type ParseResult } from "./parse_result";
import { requireForSerialization } from "apache-beam/serialization";

/** A record cut out of its input, its fields not yet converted. */
export interface RawTransaction {
  /** The record's values in `TRANSACTION_COLUMNS` order (strings from CSV, any JSON value from JSON). */
  values: unknown[];
  /** The raw input it was cut from, kept for the dead letter. */
  input: string;
  /** Where the input came from, when known (see {@link RecordOrigin}). */
  origin?: RecordOrigin;
  /** The event id it carried (gateway events), passed on to its transaction or dead letter. */
  eventId?: string;
  /** Fraud labels the input carries, passed on to the valid transaction unchanged. */
  fraud?: FraudLabels;
}

/**
 * Where a record came from: its origin text, or the line or message it was cut from. A line's
 * `file:line` and a message's `pubsub:<id>` are made by {@link originText} only for a dead letter:
 * built for every record, they were strings made and dropped for every valid one.
 */
export type RecordOrigin = string | TextLine | PubSubMessage;

/** The origin text of a dead letter (`file:line`, `pubsub:<id>`); undefined when nothing is known. */
export function originText(origin: RecordOrigin | undefined): string | undefined {
  if (typeof origin !== "object") return origin;
  // Beam's PubsubMessage leaves an unknown id empty rather than undefined.
  if ("data" in origin) return origin.messageId ? `pubsub:${origin.messageId}` : undefined;
  return lineOrigin(origin);
}

/** What a parse step emits for one input: a record to validate, or a dead letter. Nothing for a skipped line. */
export type ParseStepOutput = { record: RawTransaction } | { deadLetter: DeadLetter };

/**
 * The two outputs of every transaction parser. Every input record ends up in exactly one of them.
 * (A type alias, not an interface: Beam's `PValue` needs the index signature aliases get implicitly.)
 */
export type ParsedTransactions = {
  valid: beam.PCollection<Transaction>;
  deadLetter: beam.PCollection<DeadLetter>;
};

/**
 * What the validate step emits for one record: the transaction, tagged `ok` (the conversion's own
 * result is the tagged output: no wrapper made per valid record), or a dead letter.
 */
export type ValidationOutput = { ok: Transaction } | { deadLetter: DeadLetter };

/** Name of the validation step, as it appears in the job graph and in its dead letters' `step`. */
export const VALIDATE_STEP = "validateTransactions";

/** A parse step's outputs for `input`: the record cut out of it, or a dead letter when that failed. */
export function parseStepOutput(
  result: ParseResult<unknown[]>,
  input: string,
  origin: RecordOrigin | undefined,
  step: string,
  eventId?: string,
): ParseStepOutput {
  if ("error" in result) return { deadLetter: deadLetterOf(result.error, input, originText(origin), step, eventId) };
  const record: RawTransaction = { values: result.ok, input };
  if (origin !== undefined) record.origin = origin;
  if (eventId !== undefined) record.eventId = eventId;
  return { record };
}

/** The dead letter of an input its reader refused (a `refusal` of a TextLine or a Pub/Sub message). */
export function refusedInput(refusal: string, input: string, origin: RecordOrigin | undefined, step: string): ParseStepOutput {
  return { deadLetter: deadLetterOf({ reason: refusal }, input, originText(origin), step) };
}

/** The validation step's output for one record (the body of its DoFn). */
export function validateRecord(record: RawTransaction, step: string): ValidationOutput[] {
  const result = transactionFromValues(record.values);
  if ("ok" in result) {
    if (record.fraud !== undefined) result.ok = { ...result.ok, fraud: record.fraud };
    if (record.eventId !== undefined) result.ok.eventId = record.eventId;
    return [result];
  }
  return [{ deadLetter: deadLetterOf(result.error, record.input, originText(record.origin), step, record.eventId) }];
}

/** Converts and validates raw records into transactions; the refused ones become dead letters. */
export function validateTransactions(): beam.PTransform<beam.PCollection<RawTransaction>, ParsedTransactions> {
  const step = VALIDATE_STEP;
  return beam.withName(step, (records: beam.PCollection<RawTransaction>): ParsedTransactions => {
    const checked: { ok: beam.PCollection<Transaction>; deadLetter: beam.PCollection<DeadLetter> } = records
      .apply(beam.withName("checkFields", beam.parDo({ process: (record: RawTransaction) => validateRecord(record, step) })))
      .apply(beam.split(["ok", "deadLetter"]));
    return { valid: checked.ok, deadLetter: checked.deadLetter };
  });
}

/**
 * A transaction parser: the step `parseStep` (running `parse` on every input element) followed by
 * {@link validateTransactions}, with the dead letters of both in one output.
 *
 * `parse` must be an exported function of a module registered for serialization (the DoFn
 * captures it by reference); it returns nothing for inputs that are not records (blank lines).
 */
export function parseThenValidate<I>(
  name: string,
  parseStep: string,
  parse: (element: I, step: string) => ParseStepOutput[],
): beam.PTransform<beam.PCollection<I>, ParsedTransactions> {
  return beam.withName(name, (input: beam.PCollection<I>): ParsedTransactions => {
    const parsed: { record: beam.PCollection<RawTransaction>; deadLetter: beam.PCollection<DeadLetter> } = input
      .apply(beam.withName(parseStep, beam.parDo({ process: (element: I) => parse(element, parseStep) })))
      .apply(beam.split(["record", "deadLetter"]));
    const checked = parsed.record.apply(validateTransactions());
    const deadLetter = beam
      .P([parsed.deadLetter, checked.deadLetter])
      .apply(beam.withName("allDeadLetters", beam.flatten<DeadLetter>()));
    return { valid: checked.valid, deadLetter };
  });
}

requireForSerialization("beam-ts-native/transforms/validate", exports);
