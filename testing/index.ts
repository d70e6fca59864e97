/**
 * Unit-testing Beam transforms on in-memory PCollections.
 *
 * ```ts
 * import { runTransform, expectSameElements } from "beam-ts-native/testing";
 * import { parseCsvTransactions } from "beam-ts-native/transforms/parse_csv";
 * const { valid } = await runTransform(parseCsvTransactions(), lines);
 * expectSameElements(valid, expected);
 * ```
 * Inputs enter through {@link fromArray} (linear, unlike `beam.create`); outputs are collected
 * in this process whatever the runner does to the DoFns (it serializes them, as Dataflow would).
 */
import * as beam from "apache-beam";
import { AssertionError } from "assert";
import { fromArray } from "../io/in_memory";
import { closeCollection, collect, openCollection } from "../io/in_process";
import { defaultTestRunner } from "./default_runner";
import type { PipelineResult } from "apache-beam/runners/runner";

export { fromArray } from "../io/in_memory";

/** What a pipeline returns that can be collected: one PCollection or a record of them. */
export type Outputs = beam.PCollection<any> | { [tag: string]: beam.PCollection<any> };

/** The collected form of {@link Outputs}: an array, or a record of arrays with the same tags. */
export type Collected<O> =
  [O] extends [beam.PCollection<infer T>]
    ? T[]
    : { [K in keyof O]: O[K] extends beam.PCollection<infer T> ? T[] : never };

/** Options shared by the run helpers. */
export interface TestRunOptions {
  /** The runner to execute on; defaults to this project's runner for tests. */
  runner?: beam.Runner;
}

/**
 * Builds a pipeline with `build`, runs it to completion and returns every element of the returned
 * PCollection(s).
 */
export async function runPipeline<O extends Outputs>(build: (root: beam.Root) => O, options: TestRunOptions = {}): Promise<Collected<O>> {
  return (await runJob(build, options)).outputs;
}

/** Like {@link runPipeline}, and also returns the job's result (metrics, counters). */
export async function runJob<O extends Outputs>(
  build: (root: beam.Root) => O,
  options: TestRunOptions = {},
): Promise<{ outputs: Collected<O>; result: PipelineResult }> {
  const runner = options.runner ?? defaultTestRunner();
  const ids = new Map<string, string>();
  let single: string | undefined;
  let result: PipelineResult;
  try {
    result = await runner.run((root) => {
      const outputs = build(root);
      if (outputs instanceof beam.PCollection) {
        single = openCollection("output");
        collectInto(outputs, single, "output");
      } else {
        for (const [tag, pcoll] of Object.entries(outputs)) {
          const id = openCollection(tag);
          ids.set(tag, id);
          collectInto(pcoll, id, tag);
        }
      }
    });
  } catch (err) {
    if (single !== undefined) closeCollection(single);
    for (const id of ids.values()) closeCollection(id);
    throw err;
  }
  if (single !== undefined) return { outputs: closeCollection(single) as Collected<O>, result };
  const outputs: Record<string, unknown[]> = {};
  for (const [tag, id] of ids) outputs[tag] = closeCollection(id);
  return { outputs: outputs as Collected<O>, result };
}

/** Runs `transform` over `input` (an in-memory PCollection) and returns its output(s). */
export function runTransform<I, O extends Outputs>(
  transform: beam.PTransform<beam.PCollection<I>, O>,
  input: readonly I[],
  options: TestRunOptions = {},
): Promise<Collected<O>> {
  return runPipeline<O>((root) => root.apply(fromArray(input)).apply(transform), options);
}

function collectInto(pcoll: beam.PCollection<unknown>, id: string, tag: string): void {
  pcoll.map(
    beam.withName(`collect(${tag})`, (element: unknown) => {
      collect(id, element);
    }),
  );
}

/** Options for {@link expectSameElements}. */
export interface CompareOptions {
  /** Numbers within this absolute difference are equal (sums of floats depend on order). Default 0. */
  tolerance?: number;
}

/**
 * Asserts that two collections hold the same elements with the same multiplicities, in any order
 * (a PCollection has no order). On failure the message lists what is missing and what is unexpected,
 * and mocha shows a diff of the two, sorted.
 */
export function expectSameElements<T>(actual: readonly T[], expected: readonly T[], options: CompareOptions = {}): void {
  const tolerance = options.tolerance ?? 0;
  const unmatched = [...expected];
  const unexpected: T[] = [];
  for (const element of actual) {
    const at = unmatched.findIndex((candidate) => approximatelyEqual(element, candidate, tolerance));
    if (at === -1) unexpected.push(element);
    else unmatched.splice(at, 1);
  }
  if (unexpected.length === 0 && unmatched.length === 0) return;
  const show = (xs: readonly unknown[]) => xs.slice(0, 10).map((x) => JSON.stringify(x)).join("\n    ");
  throw new AssertionError({
    message:
      `collections differ (${actual.length} actual, ${expected.length} expected)` +
      (unmatched.length ? `\n  missing ${unmatched.length}:\n    ${show(unmatched)}` : "") +
      (unexpected.length ? `\n  unexpected ${unexpected.length}:\n    ${show(unexpected)}` : ""),
    actual: canonicalOrder(actual),
    expected: canonicalOrder(expected),
    operator: "sameElements",
  });
}

function canonicalOrder<T>(xs: readonly T[]): T[] {
  return [...xs].sort((a, b) => {
    const ka = JSON.stringify(a) ?? "";
    const kb = JSON.stringify(b) ?? "";
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

function approximatelyEqual(a: unknown, b: unknown, tolerance: number): boolean {
  if (typeof a === "number" && typeof b === "number") {
    return a === b || Math.abs(a - b) <= tolerance || (Number.isNaN(a) && Number.isNaN(b));
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) &&
    approximatelyEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tolerance));
}
