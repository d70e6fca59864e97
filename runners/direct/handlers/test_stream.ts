/**
 * Reads Beam's TestStream primitive (`beam:transform:teststream:v1`) into the plain list of events
 * the runner replays: elements decoded to JS values, watermark advances, processing-time advances.
 * Whichever SDK wrote it (ours: `sdk/test_stream.ts`), each element is its coder's encoding in the
 * outer (whole-stream) context, and times are int64 milliseconds.
 */
import Long from "long";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { Context } from "apache-beam/coders/coders";
import type { PipelineContext } from "apache-beam/internal/pipeline";
import { Reader } from "protobufjs";
import { type Millis, toMillis } from "../../../sdk/time";
import { TEST_STREAM_URN } from "../plan/urns";

/** One step of a TestStream, in order. */
export type TestStreamEvent =
  /** These elements arrive, each at its event time (possibly behind the watermark: late). */
  | { kind: "elements"; elements: { value: unknown; timestampMs: Millis }[] }
  /** The source's watermark moves to `watermarkMs`; +Infinity: the stream will never produce again. */
  | { kind: "watermark"; watermarkMs: Millis }
  /** The runner's processing-time clock moves forward by `advanceMs`. */
  | { kind: "processingTime"; advanceMs: number };

/**
 * The events of a TestStream transform, elements decoded with the payload's coder (looked up in
 * `context`). Throws for what this runner cannot replay: events for tagged (secondary) outputs and
 * a stream served by a TestStreamService endpoint.
 */
export function testStreamEvents(transform: runnerApi.PTransform, context: PipelineContext): TestStreamEvent[] {
  if (transform.spec?.urn !== TEST_STREAM_URN) {
    throw new Error(`transform '${transform.uniqueName}' is not a TestStream (urn ${transform.spec?.urn})`);
  }
  const payload = runnerApi.TestStreamPayload.fromBinary(transform.spec.payload);
  if (payload.endpoint?.url) {
    throw new Error(`TestStream '${transform.uniqueName}': events served from ${payload.endpoint.url} are unsupported`);
  }
  const coder = context.getCoder<unknown>(payload.coderId);
  return payload.events.map(({ event }): TestStreamEvent => {
    switch (event.oneofKind) {
      case "elementEvent":
        requireMainOutput(transform, event.elementEvent.tag);
        return {
          kind: "elements",
          elements: event.elementEvent.elements.map((element) => ({
            value: coder.decode(new Reader(element.encodedElement), Context.wholeStream),
            timestampMs: millisOf(element.timestamp),
          })),
        };
      case "watermarkEvent":
        requireMainOutput(transform, event.watermarkEvent.tag);
        return { kind: "watermark", watermarkMs: millisOf(event.watermarkEvent.newWatermark) };
      case "processingTimeEvent":
        return { kind: "processingTime", advanceMs: millisOf(event.processingTimeEvent.advanceDuration) };
      case undefined:
        throw new Error(`TestStream '${transform.uniqueName}' has an event with nothing set`);
    }
  });
}

/** Int64 milliseconds as engine time: Beam's extreme timestamps become ±Infinity. */
function millisOf(int64: bigint): Millis {
  return toMillis(Long.fromString(int64.toString()));
}

function requireMainOutput(transform: runnerApi.PTransform, tag: string): void {
  if (tag !== "") {
    throw new Error(`TestStream '${transform.uniqueName}': events for the tagged output '${tag}' are unsupported`);
  }
}
