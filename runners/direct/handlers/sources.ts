/**
 * Source transforms → engine StreamSources, by URN. The runner knows one source itself, the
 * TestStream (it reads the SDK's standard payload, with the pipeline's coders); every other source is
 * a connector that registered its constructor in `sdk/stream_source.ts` when its module loaded
 * (Pub/Sub and the synthetic stream register from `io/`), so the runner never imports a connector.
 */
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { PipelineContext } from "apache-beam/internal/pipeline";
import type { Clock, ManualClock } from "../../../sdk/clock";
import { registeredSourceUrns, streamSourceConstructor, type StreamSource } from "../../../sdk/stream_source";
import { TEST_STREAM_URN } from "../plan/urns";
import { testStreamEvents } from "./test_stream";
import { TestStreamSource } from "./test_stream_source";

/** URNs a source exists for now: the TestStream and every registered connector. */
export function sourceUrns(): ReadonlySet<string> {
  return new Set([TEST_STREAM_URN, ...registeredSourceUrns()]);
}

/** The engine source for a source transform. */
export function streamSource(transform: runnerApi.PTransform, context: PipelineContext, clock: Clock): StreamSource {
  const urn = transform.spec?.urn ?? "";
  // The runner gives a TestStream pipeline a manual clock: the stream's events move it.
  if (urn === TEST_STREAM_URN) return new TestStreamSource(testStreamEvents(transform, context), clock as ManualClock);
  const construct = streamSourceConstructor(urn);
  if (construct === undefined) throw new Error(`step '${transform.uniqueName}': no source is registered for URN ${urn}`);
  return construct(transform.spec!.payload, { clock });
}
