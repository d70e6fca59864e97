/**
 * Seed 000's CPU-load knob: per-record work made heavy on purpose, to measure how a pipeline scales
 * with cores when records cost more than reading them. Each record is hashed with SHA-256, then the
 * digest (as hex) rehashed, `rounds` times in all; the record passes through unchanged. The hashing
 * is JavaScript (`sha256.ts`), as a user's heavy DoFn is: node:crypto's does not scale across the
 * runner's worker threads.
 */
import * as beam from "apache-beam";
import { requireForSerialization } from "apache-beam/serialization";
import { sha256Rounds } from "./sha256";
import type { TextLine } from "./text_line";

/** `lines` after `rounds` SHA-256 rounds over each (0: `lines` itself, no step added). */
export function withCpuLoad(lines: beam.PCollection<TextLine>, rounds: number): beam.PCollection<TextLine> {
  if (!Number.isInteger(rounds) || rounds < 0) throw new Error(`cpu load needs a whole number of rounds of at least 0, got ${rounds}`);
  if (rounds === 0) return lines;
  return lines.map(
    beam.withName(`cpuLoad(${rounds})`, (line: TextLine) => {
      sha256Rounds(line.line, rounds);
      return line;
    }),
  );
}

requireForSerialization("beam-ts-native/transforms/cpu_load", exports);
