import { expect } from "chai";
import * as beam from "apache-beam"; // first: the SDK's modules have an import cycle that only resolves from its root
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { PipelineContext } from "apache-beam/internal/pipeline";
import { StrUtf8Coder } from "apache-beam/coders/standard_coders";
import { TEST_STREAM_URN, testStream, type TestStream } from "../../sdk/test_stream";
import { testStreamEvents, type TestStreamEvent } from "../../runners/direct/handlers/test_stream";
import { capturePipeline, transformNamed } from "./capture_pipeline";

interface Order {
  id: string;
  amount: number;
  items: string[];
  coupon: null;
}

/** Applies `stream` to a fresh pipeline and returns the proto as shipped, with the TestStream transform. */
async function shipped(stream: TestStream<unknown>) {
  const proto = await capturePipeline((root) => {
    root.apply(stream);
  });
  const pipeline = runnerApi.Pipeline.fromBinary(runnerApi.Pipeline.toBinary(proto));
  return { pipeline, transform: transformNamed(pipeline, "TestStream") };
}

/** What the runner's TestStream handler reads back. */
async function roundTrip(stream: TestStream<unknown>): Promise<TestStreamEvent[]> {
  const { pipeline, transform } = await shipped(stream);
  return testStreamEvents(transform, new PipelineContext(pipeline.components!, ""));
}

describe("sdk/test_stream → runner: a TestStream round trip", () => {
  const order: Order = { id: "o-1", amount: 1299.5, items: ["book", "pen"], coupon: null };

  it("gives the runner back the exact events, elements decoded and the end of time as +Infinity", async () => {
    const stream = testStream<unknown>()
      .addElements({ value: "first", timestamp: 1_000 }, { value: order, timestamp: new Date(2_000) })
      .advanceWatermarkTo(60_000)
      .advanceProcessingTime(5_000)
      .addElements({ value: 42, timestamp: 3_000 })
      .advanceWatermarkToInfinity();
    expect(await roundTrip(stream)).to.deep.equal([
      {
        kind: "elements",
        elements: [
          { value: "first", timestampMs: 1_000 },
          { value: order, timestampMs: 2_000 },
        ],
      },
      { kind: "watermark", watermarkMs: 60_000 },
      { kind: "processingTime", advanceMs: 5_000 },
      { kind: "elements", elements: [{ value: 42, timestampMs: 3_000 }] },
      { kind: "watermark", watermarkMs: Infinity },
    ]);
  });

  it("emits Beam's standard primitive with an UNBOUNDED output carrying the payload's coder", async () => {
    const { pipeline, transform } = await shipped(testStream<string>().addElements({ value: "x", timestamp: 0 }));
    expect(transform.spec!.urn).to.equal(TEST_STREAM_URN).and.to.equal("beam:transform:teststream:v1");
    expect(transform.inputs).to.deep.equal({});
    const payload = runnerApi.TestStreamPayload.fromBinary(transform.spec!.payload);
    expect(payload.endpoint).to.equal(undefined);
    const output = pipeline.components!.pcollections[Object.values(transform.outputs)[0]];
    expect(output.isBounded).to.equal(runnerApi.IsBounded_Enum.UNBOUNDED);
    expect(output.coderId).to.equal(payload.coderId);
    expect(pipeline.components!.coders[payload.coderId].spec!.urn).to.equal("beam:coder:genericobjectjs:v1");
  });

  it("encodes each element with the coder in the outer context, as Java and Python do", async () => {
    const { pipeline, transform } = await shipped(
      testStream<string>(new StrUtf8Coder()).addElements({ value: "abc", timestamp: 7 }) as TestStream<unknown>,
    );
    const payload = runnerApi.TestStreamPayload.fromBinary(transform.spec!.payload);
    expect(pipeline.components!.coders[payload.coderId].spec!.urn).to.equal("beam:coder:string_utf8:v1");
    const event = payload.events[0].event;
    if (event.oneofKind !== "elementEvent") throw new Error(`expected elements, got ${event.oneofKind}`);
    // Nested, a string would carry a length prefix (3, then the bytes).
    expect([...event.elementEvent.elements[0].encodedElement]).to.deep.equal([97, 98, 99]);
    expect(event.elementEvent.elements[0].timestamp).to.equal(7n);
  });

  it("is immutable: a shared prefix serves several streams", async () => {
    const opening = testStream<unknown>().addElements({ value: "a", timestamp: 10 });
    const onTime = opening.advanceWatermarkToInfinity();
    const late = opening.advanceWatermarkTo(100).addElements({ value: "late", timestamp: 10 });
    expect(await roundTrip(opening)).to.have.length(1);
    expect(await roundTrip(onTime)).to.have.length(2);
    expect(await roundTrip(late)).to.deep.equal([
      { kind: "elements", elements: [{ value: "a", timestampMs: 10 }] },
      { kind: "watermark", watermarkMs: 100 },
      { kind: "elements", elements: [{ value: "late", timestampMs: 10 }] },
    ]);
  });

  it("refuses scripts no runner could replay", () => {
    const stream = testStream<number>().advanceWatermarkTo(100);
    expect(() => stream.advanceWatermarkTo(100)).to.throw(/the watermark must advance: it is at 100, asked for 100/);
    expect(() => stream.advanceProcessingTime(0)).to.throw(/advanceProcessingTime needs a whole number of ms > 0/);
    expect(() => stream.addElements()).to.throw(/at least one element/);
    expect(() => stream.addElements({ value: 1, timestamp: 1.5 })).to.throw(/an element's timestamp must be whole milliseconds/);
    expect(() => stream.addElements({ value: 1, timestamp: new Date(NaN) })).to.throw(/whole milliseconds/);
    const ended = stream.advanceWatermarkToInfinity();
    expect(() => ended.addElements({ value: 1, timestamp: 1 })).to.throw(/addElements: the stream has ended/);
    expect(() => ended.advanceProcessingTime(1)).to.throw(/the stream has ended/);
    expect(() => ended.advanceWatermarkToInfinity()).to.throw(/the stream has ended/);
  });

  it("says what the runner cannot replay: events for a tagged output", async () => {
    const { pipeline, transform } = await shipped(testStream<unknown>().addElements({ value: 1, timestamp: 1 }));
    const payload = runnerApi.TestStreamPayload.fromBinary(transform.spec!.payload);
    payload.events.push({ event: { oneofKind: "watermarkEvent", watermarkEvent: { newWatermark: 5n, tag: "side" } } });
    transform.spec!.payload = runnerApi.TestStreamPayload.toBinary(payload);
    expect(() => testStreamEvents(transform, new PipelineContext(pipeline.components!, ""))).to.throw(
      /TestStream 'TestStream': events for the tagged output 'side' are unsupported/,
    );
  });

  it("is applied like any root transform, next to others", async () => {
    const proto = await capturePipeline((root) => {
      const clicks = root.apply(beam.withName("clicks", testStream<number>().addElements({ value: 1, timestamp: 1 })));
      const views = root.apply(beam.withName("views", testStream<number>().addElements({ value: 2, timestamp: 2 })));
      beam.P([clicks, views]).apply(beam.flatten());
    });
    const urns = Object.values(proto.components!.transforms).map((t) => t.spec?.urn);
    expect(urns.filter((urn) => urn === TEST_STREAM_URN)).to.have.length(2);
  });
});
