/**
 * TestStream: an unbounded source whose every element, watermark advance and processing-time
 * advance is scripted by the test, so triggers and late data can be tested deterministically.
 *
 * ```ts
 * const clicks = root.apply(
 *   testStream<Click>()
 *     .addElements({ value: click1, timestamp: 1_000 }, { value: click2, timestamp: 2_000 })
 *     .advanceWatermarkTo(60_000)
 *     .advanceProcessingTime(5_000)
 *     .addElements({ value: lateClick, timestamp: 3_000 })
 *     .advanceWatermarkToInfinity(),
 * );
 * ```
 * It is Beam's standard primitive (`beam:transform:teststream:v1` with a `TestStreamPayload`), the
 * one Java's and Python's TestStream emit, so any runner that implements it can run it. Each
 * element is encoded with the stream's coder in the outer (whole-stream) context, as Java
 * (`CoderUtils.encodeToByteArray`) and Python (`coder.encode`) do; Prism relies on that.
 */
import * as beam from "apache-beam";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { Context, type Coder } from "apache-beam/coders/coders";
import { GeneralObjectCoder } from "apache-beam/coders/js_coders";
import type { Pipeline } from "apache-beam/internal/pipeline";
// The SDK's coders write to protobufjs streams: this is part of apache-beam's own API.
import { Writer } from "protobufjs";

/** URN of Beam's TestStream primitive. */
export const TEST_STREAM_URN = "beam:transform:teststream:v1";

/**
 * Beam's maximum timestamp in milliseconds (Java's `BoundedWindow.TIMESTAMP_MAX_VALUE`, Go's
 * `mtime.MaxTimestamp`): a watermark here means "no more data, ever".
 */
const MAX_TIMESTAMP_MILLIS = 9_223_372_036_854_775n;

/** An element of the stream with its event time. */
export interface TimestampedElement<T> {
  value: T;
  /** Event time: milliseconds since the epoch, or a Date. */
  timestamp: number | Date;
}

/**
 * A scripted unbounded source, built step by step and applied to the pipeline's root:
 * `root.apply(testStream<T>().addElements(...).advanceWatermarkToInfinity())`.
 *
 * Each step returns a new TestStream (the one it was called on is unchanged), so a common prefix
 * can be shared between tests. The output PCollection is UNBOUNDED, in the global window, with the
 * stream's coder.
 */
export class TestStream<T> extends beam.PTransformClass<beam.Root, beam.PCollection<T>> {
  /** Use {@link testStream}. */
  constructor(
    private readonly coder: Coder<T>,
    private readonly events: readonly runnerApi.TestStreamPayload_Event[],
    private readonly watermark: bigint,
  ) {
    super("TestStream");
  }

  /** Adds elements, all at once, each at its own event time (which may be behind the watermark: late data). */
  addElements(...elements: TimestampedElement<T>[]): TestStream<T> {
    this.requireOpen("addElements");
    if (elements.length === 0) throw new Error("addElements needs at least one element");
    const encoded = elements.map(({ value, timestamp }) => ({
      encodedElement: encode(this.coder, value),
      timestamp: BigInt(millisOf(timestamp, "an element's timestamp")),
    }));
    return this.then({ oneofKind: "elementEvent", elementEvent: { elements: encoded, tag: "" } });
  }

  /** Advances the watermark to `time`, which must be later than the current watermark. */
  advanceWatermarkTo(time: number | Date): TestStream<T> {
    this.requireOpen("advanceWatermarkTo");
    const millis = BigInt(millisOf(time, "the watermark"));
    if (millis <= this.watermark) {
      throw new Error(`the watermark must advance: it is at ${this.watermark}, asked for ${millis}`);
    }
    return this.advanceWatermark(millis);
  }

  /** Advances the watermark to the end of time: every window closes. Ends the stream; no step may follow. */
  advanceWatermarkToInfinity(): TestStream<T> {
    this.requireOpen("advanceWatermarkToInfinity");
    return this.advanceWatermark(MAX_TIMESTAMP_MILLIS);
  }

  /** Advances the runner's processing-time clock by `ms` (> 0), firing processing-time triggers that come due. */
  advanceProcessingTime(ms: number): TestStream<T> {
    this.requireOpen("advanceProcessingTime");
    if (!Number.isSafeInteger(ms) || ms <= 0) throw new Error(`advanceProcessingTime needs a whole number of ms > 0, got ${ms}`);
    return this.then({ oneofKind: "processingTimeEvent", processingTimeEvent: { advanceDuration: BigInt(ms) } });
  }

  /** Called by the SDK when the stream is applied to the root: emits the primitive and its UNBOUNDED output. */
  expandInternal(_root: beam.Root, pipeline: Pipeline, transformProto: runnerApi.PTransform): beam.PCollection<T> {
    const coderId = pipeline.context.getCoderId(this.coder);
    const payload = runnerApi.TestStreamPayload.create({
      coderId,
      events: [...this.events],
    });
    transformProto.spec = { urn: TEST_STREAM_URN, payload: runnerApi.TestStreamPayload.toBinary(payload) };
    return pipeline.createPCollectionInternal<T>(coderId, undefined, runnerApi.IsBounded_Enum.UNBOUNDED);
  }

  private advanceWatermark(millis: bigint): TestStream<T> {
    return new TestStream(
      this.coder,
      [...this.events, { event: { oneofKind: "watermarkEvent", watermarkEvent: { newWatermark: millis, tag: "" } } }],
      millis,
    );
  }

  private then(event: runnerApi.TestStreamPayload_Event["event"]): TestStream<T> {
    return new TestStream(this.coder, [...this.events, { event }], this.watermark);
  }

  private requireOpen(step: string): void {
    if (this.watermark === MAX_TIMESTAMP_MILLIS) {
      throw new Error(`${step}: the stream has ended (its watermark was advanced to infinity)`);
    }
  }
}

/**
 * Starts a TestStream of elements encoded with `coder` (default: the SDK's GeneralObjectCoder, which
 * takes strings, numbers, booleans, arrays, null and plain objects). The watermark starts at Beam's
 * minimum timestamp.
 */
export function testStream<T>(coder: Coder<T> = new GeneralObjectCoder() as Coder<T>): TestStream<T> {
  return new TestStream<T>(coder, [], -MAX_TIMESTAMP_MILLIS);
}

function encode<T>(coder: Coder<T>, value: T): Uint8Array {
  const writer = new Writer();
  coder.encode(value, writer, Context.wholeStream);
  return writer.finish();
}

function millisOf(time: number | Date, what: string): number {
  const millis = time instanceof Date ? time.getTime() : time;
  if (!Number.isSafeInteger(millis)) throw new Error(`${what} must be whole milliseconds, got ${time}`);
  return millis;
}
