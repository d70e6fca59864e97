/**
 * Seed 000's CPU-load knob: per-record work made heavy on purpose, to measure how a pipeline scales
 * with cores when records cost more than reading them. Each record is hashed with SHA-256, then the
 * digest (as hex) rehashed, `rounds` times in all; the record passes through unchanged.
 */
import * as crypto from "crypto";
import * as beam from "apache-beam";
import { requireForSerialization } from "apache-beam/serialization";
import type { TextLine } from "./text_line";

/** `rounds` SHA-256 rounds over `text`; returns the last digest, in hex. */
export function sha256Rounds(text: string, rounds: number): string {
  let digest = text;
  // One-shot hashing: the per-call cost of a Hash object would dominate 32-byte inputs. Digests
  // travel as hex strings: a Buffer per round is an ArrayBuffer whose freeing took GC helper threads
  // about 3x the hashing's CPU (measured), so one "single-threaded" loop used 1.5 cores.
  for (let i = 0; i < rounds; i++) digest = crypto.hash("sha256", digest, "hex");
  return digest;
}

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
