/**
 * The Pub/Sub read's element with attributes: serialized `google.pubsub.v1.PubsubMessage` bytes,
 * what Dataflow's native read emits, then a decode step — checked here without an emulator, on the
 * pipeline proto and on the bytes (encoded and decoded by protobufjs's generated code, independently
 * of ours).
 */
import { expect } from "chai";
import * as beam from "apache-beam";
import { Pipeline } from "apache-beam/internal/pipeline";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { protos } from "@google-cloud/pubsub";
import { readFromPubSub, PUBSUB_READ_URN } from "../../io/pubsub/read";
import { decodePubSubMessage, elementOf, REFUSAL_ATTRIBUTE } from "../../io/pubsub/message";
import { encodePubsubMessage } from "../../io/pubsub/message_bytes";

const PubsubMessage = protos.google.pubsub.v1.PubsubMessage;

function readGraph(withAttributes: boolean) {
  const p = new Pipeline();
  new beam.Root(p).apply(readFromPubSub({ subscription: "s", projectId: "p", withAttributes }));
  const proto = p.getProto();
  const transforms = proto.components!.transforms;
  const [readId, read] = Object.entries(transforms).find(([, t]) => t.spec?.urn === PUBSUB_READ_URN)!;
  const output = Object.values(read.outputs)[0];
  const consumers = Object.values(transforms).filter((t) => Object.values(t.inputs).includes(output));
  const coderUrn = proto.components!.coders[proto.components!.pcollections[output].coderId].spec!.urn;
  return { readId, read, consumers, coderUrn };
}

describe("io/pubsub: the read's element as Dataflow's native read makes it", () => {
  it("with attributes: the primitive's output is bytes, decoded by the next step", () => {
    const { read, consumers, coderUrn } = readGraph(true);
    expect(runnerApi.PubSubReadPayload.fromBinary(read.spec!.payload).withAttributes).to.equal(true);
    expect(coderUrn).to.equal("beam:coder:bytes:v1");
    expect(consumers).to.have.length(1);
    expect(consumers[0].spec!.urn).to.equal("beam:transform:pardo:v1");
    expect(consumers[0].uniqueName).to.equal("readFromPubSub(s)/map(decodePubsubMessage)");
  });

  it("without attributes: payload bytes, no decode step", () => {
    const { coderUrn, consumers } = readGraph(false);
    expect(coderUrn).to.equal("beam:coder:bytes:v1");
    expect(consumers).to.have.length(0);
  });

  it("a pulled message becomes the PubsubMessage proto's bytes, and the decode step gives back payload, attributes, id and publish time", () => {
    const pulled = PubsubMessage.create({
      data: Buffer.from('{"Transaction_ID":"T1"}'),
      attributes: { event_time_ms: "1700000000123", transaction_id: "T1" },
      messageId: "42",
      publishTime: { seconds: 1700000001, nanos: 250_000_000 },
      orderingKey: "k",
    });
    const read = runnerApi.PubSubReadPayload.create({ subscription: "projects/p/subscriptions/s", withAttributes: true });
    const bytes = elementOf(pulled, read);
    const independent = PubsubMessage.decode(bytes);
    expect(Buffer.from(independent.data as Uint8Array).toString()).to.equal('{"Transaction_ID":"T1"}');
    expect(independent.attributes).to.deep.equal({ event_time_ms: "1700000000123", transaction_id: "T1" });
    expect(independent.messageId).to.equal("42");
    expect(independent.orderingKey).to.equal("k");
    const decoded = decodePubSubMessage(bytes);
    expect(Buffer.from(decoded.data).toString()).to.equal('{"Transaction_ID":"T1"}');
    expect(decoded.attributes).to.deep.equal({ event_time_ms: "1700000000123", transaction_id: "T1" });
    expect(decoded.messageId).to.equal("42");
    expect(decoded.publishTimeMs).to.equal(1700000001250);
    // Without attributes the element is the payload alone.
    expect(Buffer.from(elementOf(pulled, { ...read, withAttributes: false })).toString()).to.equal('{"Transaction_ID":"T1"}');
  });

  it("the decode step in the read's thread gets the message the bytes encode, as decoding a copy of them (another thread's) gives it, once", () => {
    const read = runnerApi.PubSubReadPayload.create({ subscription: "projects/p/subscriptions/s", withAttributes: true });
    const pulled = [
      PubsubMessage.create({ data: Buffer.from("{}"), attributes: { transaction_id: "T1" }, messageId: "7", publishTime: { seconds: 1700000001, nanos: 250_000_000 } }),
      PubsubMessage.create({ data: Buffer.from([0xff]), messageId: "8", publishTime: { seconds: "1700000002", nanos: 0 } }),
      // Named like the refusal: the bytes carry it in the refusal's place, and decoding lifts it out as the refusal.
      PubsubMessage.create({ data: Buffer.from("x"), attributes: { [REFUSAL_ATTRIBUTE]: "forged" }, messageId: "9" }),
    ];
    for (const message of pulled) {
      for (const refusal of [undefined, "why"]) {
        const bytes = elementOf(message, read, refusal);
        const copied = decodePubSubMessage(Buffer.from(bytes));
        const handed = decodePubSubMessage(bytes);
        // Handed over, not decoded: the pulled payload itself.
        expect(handed.data).to.equal(message.data);
        expect({ ...handed, data: Buffer.from(handed.data) }).to.deep.equal({ ...copied, data: Buffer.from(copied.data) });
        expect(handed.refusal).to.equal(refusal ?? message.attributes?.[REFUSAL_ATTRIBUTE]);
        // The same bytes decoded again give a message of its own.
        const again = decodePubSubMessage(bytes);
        expect(again).to.not.equal(handed);
        expect({ ...again, data: Buffer.from(again.data) }).to.deep.equal({ ...copied, data: Buffer.from(copied.data) });
      }
    }
  });

  it("its bytes read back, by protobufjs's decoder, as the message protobufjs's encoder writes: multi-byte lengths and varints, UTF-8, empty and missing fields, a refusal", () => {
    const long = "é€😀".repeat(700);
    const messages: protos.google.pubsub.v1.IPubsubMessage[] = [
      { data: Buffer.from(long), attributes: { [long]: long, a: "" }, messageId: "1".repeat(200), publishTime: { seconds: 2 ** 40 + 3, nanos: 999_999_999 }, orderingKey: "ключ" },
      { data: Buffer.alloc(0), attributes: {}, messageId: "", publishTime: { seconds: 0, nanos: 0 } },
      { data: Buffer.from([0, 255, 128]) },
      { attributes: { only: "attributes" }, publishTime: { seconds: "1700000001", nanos: 5 } },
      { data: Buffer.from("before 1970"), publishTime: { seconds: -86_400, nanos: 1 } },
      { data: Buffer.alloc(300_000, 7), messageId: "big" },
      // Short texts, ASCII or not, either side of the length below which ASCII is copied in JS.
      { data: Buffer.from("x"), attributes: { é: "ü", k: "€uro", ["a".repeat(64)]: "b".repeat(65), ["c".repeat(63) + "é"]: "d" }, messageId: "ид" },
    ];
    for (const message of messages) {
      const ours = PubsubMessage.toObject(PubsubMessage.decode(encodePubsubMessage(message)), { longs: Number });
      const theirs = PubsubMessage.toObject(PubsubMessage.decode(PubsubMessage.encode(PubsubMessage.fromObject(message)).finish()), { longs: Number });
      expect(ours).to.deep.equal(theirs);
    }
    const refused = PubsubMessage.decode(encodePubsubMessage(messages[0], { name: REFUSAL_ATTRIBUTE, value: "why" }));
    expect(refused.attributes).to.deep.equal({ ...messages[0].attributes, [REFUSAL_ATTRIBUTE]: "why" });
    // A refusal replaces an attribute of its name rather than doubling it.
    const replaced = PubsubMessage.decode(encodePubsubMessage({ attributes: { [REFUSAL_ATTRIBUTE]: "forged", b: "1" } }, { name: REFUSAL_ATTRIBUTE, value: "why" }));
    expect(replaced.attributes).to.deep.equal({ b: "1", [REFUSAL_ATTRIBUTE]: "why" });
  });
});
