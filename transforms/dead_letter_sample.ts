/**
 * A few dead letters to show, out of however many there are: the first `n` in input order (file,
 * then line number), with the total count. A global combine holding at most `n` letters per worker,
 * so a run with millions of bad lines keeps a handful in memory; the letters themselves go to a
 * dead-letter sink, streamed.
 */
import * as beam from "apache-beam";
import { requireForSerialization } from "apache-beam/serialization";
import type { DeadLetter } from "./dead_letter";

/** How many dead letters there were, and the first few. */
export interface DeadLetterSample {
  count: number;
  first: DeadLetter[];
}

/** Orders dead letters by origin, `file:line` with the line compared as a number. */
export function inputOrder(a: DeadLetter, b: DeadLetter): number {
  const [fileA, lineA] = splitOrigin(a.origin);
  const [fileB, lineB] = splitOrigin(b.origin);
  if (fileA !== fileB) return fileA < fileB ? -1 : 1;
  return lineA - lineB;
}

function splitOrigin(origin: string | undefined): [string, number] {
  if (origin === undefined) return ["", 0];
  const colon = origin.lastIndexOf(":");
  const line = Number(origin.slice(colon + 1));
  return colon === -1 || !Number.isFinite(line) ? [origin, 0] : [origin.slice(0, colon), line];
}

/** Keeps the first `n` of `letters` in input order (sorted in place). */
export function firstOf(letters: DeadLetter[], n: number): DeadLetter[] {
  letters.sort(inputOrder);
  if (letters.length > n) letters.length = n;
  return letters;
}

/** The count and the first `n` dead letters of the input; one element, `{ count: 0, first: [] }` for none. */
export function deadLetterSample(n = 5): beam.PTransform<beam.PCollection<DeadLetter>, beam.PCollection<DeadLetterSample>> {
  const sampleFn: beam.CombineFn<DeadLetter, DeadLetterSample, DeadLetterSample> = {
    createAccumulator: () => ({ count: 0, first: [] }),
    addInput: (sample: DeadLetterSample, letter: DeadLetter) => {
      sample.count++;
      sample.first.push(letter);
      // Sorting only when twice full keeps adding cheap.
      if (sample.first.length >= 2 * n) firstOf(sample.first, n);
      return sample;
    },
    mergeAccumulators: (samples: Iterable<DeadLetterSample>) => {
      const merged: DeadLetterSample = { count: 0, first: [] };
      for (const s of samples) {
        merged.count += s.count;
        merged.first.push(...s.first);
      }
      firstOf(merged.first, n);
      return merged;
    },
    extractOutput: (sample: DeadLetterSample) => ({ count: sample.count, first: firstOf(sample.first, n) }),
  };
  return beam.withName(`deadLetterSample(${n})`, (letters: beam.PCollection<DeadLetter>) =>
    letters.apply(beam.groupGlobally<DeadLetter>().combining((letter: DeadLetter) => letter, sampleFn, "sample")).map(
      beam.withName("sample", (result: { sample: DeadLetterSample }) => result.sample),
    ),
  );
}

requireForSerialization("beam-ts-native/transforms/dead_letter_sample", exports);
