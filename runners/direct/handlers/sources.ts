/**
 * Handlers of the source URNs: each turns its transform into an engine StreamSource. Adding a
 * source = adding a line here and its URN to plan/urns.ts' SOURCE_URNS.
 */
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { PipelineContext } from "apache-beam/internal/pipeline";
import { deserializeFn } from "apache-beam/internal/serialize";
import { SYNTHETIC_STREAM_URN, type SyntheticStreamSettings } from "../../../io/synthetic_stream";
import type { Clock, ManualClock } from "../../../sdk/clock";
import type { StreamSource } from "../../../sdk/stream_source";
import { testStreamEvents, TEST_STREAM_URN } from "./test_stream";
import { TestStreamSource } from "./test_stream_source";
import { SyntheticStreamSource } from "../../../io/synthetic_stream_source";
import { PUBSUB_READ_URN } from "../../../io/pubsub/read";
import { PubSubSource } from "../../../io/pubsub/source";

type SourceHandler = (transform: runnerApi.PTransform, context: PipelineContext, clock: Clock) => StreamSource;

// A Map, not an object literal with computed keys: ts-closure-transform 0.1.8 leaves imported names
// inside computed property names unresolved (a ReferenceError when the module loads).
const SOURCE_HANDLERS = new Map<string, SourceHandler>([
  // The runner gives a TestStream pipeline a manual clock: the stream's events move it.
  [TEST_STREAM_URN, (transform, context, clock) => new TestStreamSource(testStreamEvents(transform, context), clock as ManualClock)],
  [
    PUBSUB_READ_URN,
    (transform) => {
      const read = runnerApi.PubSubReadPayload.fromBinary(transform.spec!.payload);
      const projectId = (read.subscription || read.topic).split("/")[1];
      return new PubSubSource(read, projectId);
    },
  ],
  [
    SYNTHETIC_STREAM_URN,
    (transform, _context, clock) => new SyntheticStreamSource(deserializeFn(transform.spec!.payload) as SyntheticStreamSettings, clock),
  ],
]);

/** URNs a source handler exists for. */
export const SOURCE_URNS: ReadonlySet<string> = new Set(SOURCE_HANDLERS.keys());

/** The engine source for a source transform. */
export function streamSource(transform: runnerApi.PTransform, context: PipelineContext, clock: Clock): StreamSource {
  const handler = SOURCE_HANDLERS.get(transform.spec?.urn ?? "");
  if (handler === undefined) throw new Error(`step '${transform.uniqueName}': no source handler for URN ${transform.spec?.urn}`);
  return handler(transform, context, clock);
}
