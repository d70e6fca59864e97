/**
 * Collecting a pipeline's outputs when its steps run in other processes (the SDK workers of
 * environment "process"): each element is appended as one JSON line to a file per output, so what
 * the workers saw can be read back here. The in-process reference collects the same way, so both
 * sides go through the same encoding. Registered, so a worker rebuilding the step calls this module.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as beam from "apache-beam";
import { requireForSerialization } from "apache-beam/serialization";
import type { Outputs } from "../../testing";

/** Appends `element` to `file` as one JSON line (bigints, Longs and Maps made plain). */
export function appendElement(file: string, element: unknown): void {
  fs.appendFileSync(file, `${JSON.stringify(element, plain)}\n`);
}

function plain(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Map) return { map: [...value.entries()] };
  if (value !== null && typeof value === "object" && "low" in value && "high" in value && "unsigned" in value) return String(value);
  return value;
}

/** Where one run's outputs go: a fresh folder, a file per output tag. */
export class FileCollection {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "fn-api-collect-"));

  /** Adds a collecting step after each output of `build`. */
  collecting(build: (root: beam.Root) => Outputs): (root: beam.Root) => void {
    return (root) => {
      const outputs = build(root);
      const tagged = outputs instanceof beam.PCollection ? { output: outputs } : outputs;
      for (const [tag, pcoll] of Object.entries(tagged)) {
        const file = path.join(this.dir, `${tag}.jsonl`);
        fs.writeFileSync(file, "");
        pcoll.map(beam.withName(`collect(${tag})`, (element: unknown) => appendElement(file, element)));
      }
    };
  }

  /** Every output's elements, by tag, read back; the folder is removed. */
  read(): Record<string, unknown[]> {
    const outputs: Record<string, unknown[]> = {};
    for (const name of fs.readdirSync(this.dir)) {
      const lines = fs.readFileSync(path.join(this.dir, name), "utf8").split("\n").filter((l) => l !== "");
      outputs[name.replace(/\.jsonl$/, "")] = lines.map((l) => JSON.parse(l));
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    return outputs;
  }
}

requireForSerialization("beam-ts-native/test/support/file_collect", exports);
