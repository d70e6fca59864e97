/**
 * Reading text files line by line, streamed: a file is never held in memory whole, and reading
 * pauses while the steps downstream apply backpressure. Each line becomes a {@link TextLine}
 * (text, file, 1-based line number) so parsers can tell headers from records and dead letters can
 * say where they came from.
 *
 * The reader is an operator of our own URN, registered with the SDK's worker, so the SDK's runners
 * (and Dataflow's TypeScript worker) run it as well as ours.
 */
import * as fs from "fs";
import * as beam from "apache-beam";
import { impulse } from "apache-beam/transforms/internal";
import { GeneralObjectCoder } from "apache-beam/coders/js_coders";
import * as operators from "apache-beam/worker/operators";
import { requireForSerialization } from "apache-beam/serialization";
import type { PTransform as PTransformProto } from "apache-beam/proto/beam_runner_api";
import type { WindowedValue } from "apache-beam/values";
import type { Pipeline } from "apache-beam/internal/pipeline";
import type { TextLine } from "../transforms/text_line";
import { emitAll } from "./emit";

/** URN of the primitive that reads the files named in its payload, once per incoming impulse. */
export const READ_TEXT_LINES_URN = "beam-ts-native:transform:read_text_lines:v1";

const CHUNK_BYTES = 1 << 20;

/** Every line of the given local files, in order, as {@link TextLine}s. */
export function readTextLines(files: string | readonly string[]): beam.PTransform<beam.Root, beam.PCollection<TextLine>> {
  const paths = typeof files === "string" ? [files] : [...files];
  for (const path of paths) {
    if (!fs.existsSync(path)) throw new Error(`readTextLines: input file '${path}' does not exist`);
  }
  const payload = new TextEncoder().encode(JSON.stringify({ paths }));
  return beam.withName(`readTextLines(${paths.join(",")})`, (root: beam.Root) =>
    root.apply(impulse()).apply(
      beam.withName("readLines", (input: beam.PCollection<Uint8Array>, pipeline: Pipeline, transform: PTransformProto) => {
        transform.spec = { urn: READ_TEXT_LINES_URN, payload };
        return pipeline.createPCollectionInternal<TextLine>(new GeneralObjectCoder());
      }),
    ),
  );
}

/**
 * Calls `onLines` with the lines of one file, a chunk at a time, awaiting it when it returns a
 * promise (backpressure). A final line without a newline is kept; a `\r` before the newline is not.
 */
export async function forEachLineChunk(path: string, onLines: (lines: TextLine[]) => void | Promise<void>): Promise<void> {
  let carry = "";
  let lineNumber = 0;
  for await (const chunk of fs.createReadStream(path, { encoding: "utf8", highWaterMark: CHUNK_BYTES })) {
    const text = carry + (chunk as string);
    const lines: TextLine[] = [];
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      lines.push({ line: text.slice(start, end), file: path, lineNumber: ++lineNumber });
      start = nl + 1;
    }
    carry = text.slice(start);
    const pending = onLines(lines);
    if (pending !== undefined) await pending;
  }
  if (carry.length > 0) {
    const pending = onLines([{ line: carry.endsWith("\r") ? carry.slice(0, -1) : carry, file: path, lineNumber: ++lineNumber }]);
    if (pending !== undefined) await pending;
  }
}

/** The reader as an SDK operator. */
export class ReadTextLinesOperator implements operators.IOperator {
  private readonly receiver: operators.Receiver;
  private readonly paths: string[];

  constructor(
    readonly transformId: string,
    transform: PTransformProto,
    context: operators.OperatorContext,
  ) {
    this.receiver = context.getReceiver(Object.values(transform.outputs)[0]);
    this.paths = JSON.parse(new TextDecoder().decode(transform.spec!.payload)).paths;
  }

  async startBundle(): Promise<void> {}

  process(impulseValue: WindowedValue<unknown>): operators.ProcessResult {
    return this.readAll(impulseValue);
  }

  async finishBundle(): Promise<void> {}

  private async readAll(template: WindowedValue<unknown>): Promise<void> {
    for (const path of this.paths) {
      await forEachLineChunk(path, (lines) => emitAll(this.receiver, template, lines) ?? undefined);
    }
  }
}

operators.registerOperator(READ_TEXT_LINES_URN, ReadTextLinesOperator);
requireForSerialization("beam-ts-native/io/text_files", exports);
