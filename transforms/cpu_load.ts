/**
 * Seed 000's CPU-load knob: per-record work made heavy on purpose, to measure how a pipeline scales
 * with cores when records cost more than reading them. Each record is hashed with SHA-256, then the
 * digest rehashed, `rounds` times in all; the record passes through unchanged.
 */
import * as crypto from "crypto";
import * as beam from "apache-beam";
import { requireForSerialization } from "apache-beam/serialization";
import type { TextLine } from "./text_line";

/** `rounds` SHA-256 rounds over `text`; returns the last digest. */
export function sha256Rounds(text: string, rounds: number): Buffer {
  let digest: Buffer | string = text;
  for (let i = 0; i < rounds; i++) digest = crypto.createHash("sha256").update(digest).digest();
  return digest as Buffer;
}

/** Passes every line through after `rounds` SHA-256 rounds over it (0: the identity, no step added). */
export function cpuLoad(rounds: number): beam.PTransform<beam.PCollection<TextLine>, beam.PCollection<TextLine>> {
  if (!Number.isInteger(rounds) || rounds < 0) throw new Error(`cpuLoad needs a whole number of rounds of at least 0, got ${rounds}`);
  return beam.withName(`cpuLoad(${rounds})`, (lines: beam.PCollection<TextLine>) =>
    rounds === 0
      ? lines
      : lines.map((line: TextLine) => {
          sha256Rounds(line.line, rounds);
          return line;
        }),
  );
}

requireForSerialization("beam-ts-native/transforms/cpu_load", exports);
