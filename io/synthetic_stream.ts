/**
 * An unbounded source of generated elements, for local streaming runs, demos and benchmarks:
 * `make(i)` builds the i-th element, stamped with the wall-clock time it is emitted at; the
 * watermark follows the clock. Paced at `elementsPerSecond`, or as fast as the pipeline takes them
 * (0). Runs until `maxElements` (if set) or until the job is drained.
 *
 * Our runner only: Dataflow has no such source (use Pub/Sub there).
 */
import * as beam from "apache-beam";
import { GeneralObjectCoder } from "apache-beam/coders/js_coders";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { deserializeFn, serializeFn } from "apache-beam/internal/serialize";
import type { Pipeline } from "apache-beam/internal/pipeline";
import { registerStreamSource } from "../sdk/stream_source";
import { SyntheticStreamSource } from "./synthetic_stream_source";

/** URN of the synthetic stream; the payload is the serialized {@link SyntheticStreamSettings}. */
export const SYNTHETIC_STREAM_URN = "beam-ts-native:transform:synthetic_stream:v1";

/** What the synthetic stream emits and how fast. */
export interface SyntheticStreamSettings<T = unknown> {
  /** Builds the i-th element (i from 0). Serialized with the pipeline, like a DoFn. */
  make: (i: number) => T;
  /** Elements per second of wall-clock time; 0 = as fast as the pipeline takes them. */
  elementsPerSecond: number;
  /** Stop (and let the job finish) after this many elements; unset = until drained. */
  maxElements?: number;
}

/** An unbounded PCollection of generated elements (see the module doc). */
export function syntheticStream<T>(settings: SyntheticStreamSettings<T>): beam.PTransform<beam.Root, beam.PCollection<T>> {
  if (!(settings.elementsPerSecond >= 0)) throw new Error(`syntheticStream: elementsPerSecond must be ≥ 0, got ${settings.elementsPerSecond}`);
  if (settings.maxElements !== undefined && !(settings.maxElements >= 0)) {
    throw new Error(`syntheticStream: maxElements must be ≥ 0, got ${settings.maxElements}`);
  }
  return beam.withName("syntheticStream", (_root: beam.Root, pipeline: Pipeline, transform: runnerApi.PTransform) => {
    transform.spec = { urn: SYNTHETIC_STREAM_URN, payload: serializeFn(settings) };
    return pipeline.createPCollectionInternal<T>(new GeneralObjectCoder(), undefined, runnerApi.IsBounded_Enum.UNBOUNDED);
  });
}

registerStreamSource(SYNTHETIC_STREAM_URN, (payload, { clock }) => new SyntheticStreamSource(deserializeFn(payload) as SyntheticStreamSettings, clock));
