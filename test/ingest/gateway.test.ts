/**
 * The ingestion gateway with a real gRPC client against the server, on the real Pub/Sub emulator
 * (reached through a TCP proxy, so a test can stall Pub/Sub or cut it off): each RPC, each kind of
 * bad input, the in-flight window under a stalled Pub/Sub, Pub/Sub down, deadlines, the shared
 * token, health and reflection. Shutdown of the process: gateway_process.test.ts.
 */
import { expect } from "chai";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import * as path from "path";
import { newPubSub } from "../../io/pubsub/client";
import { service as healthService } from "grpc-health-check";
import { useEmulators } from "../support/emulators";
import { startTcpProxy, type TcpProxy } from "../../chaos/tcp_proxy";
import { pullMessages, type PulledMessage } from "../support/pubsub_pull";
import { sampleClient, sampleScore, sampleTransaction, SAMPLE_EVENT_TIME_MS } from "../support/gateway_events";
import { startGateway, type GatewayOptions, type RunningGateway } from "../../ingest/gateway/server";
import { GatewayClient } from "../../ingest/gateway/client";
import { fieldViolationsOf, fieldViolationsOfError } from "../../ingest/gateway/rpc_status";
import { silentLogger } from "../../ingest/gateway/logger";
import { SERVICE_NAME } from "../../ingest/gateway/proto";
import { EVENT_TYPES, type EventType } from "../../ingest/gateway/events";
import { eventIdTimeMs } from "../../ingest/gateway/event_id";
import { parsePubSubPayload } from "../../transforms/parse_json";

const PROJECT = "local-project";
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe("ingest/gateway: gRPC ingestion on the Pub/Sub emulator", function () {
  this.timeout(60_000);
  const emulators = useEmulators(["pubsub"]);
  let proxy: TcpProxy;
  let previousHost: string | undefined;
  let suite = 0;
  const running: RunningGateway[] = [];
  const clients: GatewayClient[] = [];

  before(async () => {
    proxy = await startTcpProxy(emulators.endpoints.pubsub!);
  });
  afterEach(async () => {
    proxy.restore();
    for (const c of clients.splice(0)) c.close();
    for (const g of running.splice(0)) await g.shutdown(5_000);
    if (previousHost !== undefined) process.env.PUBSUB_EMULATOR_HOST = previousHost;
    previousHost = undefined;
  });
  after(async () => {
    await proxy?.close();
  });

  /** Topics and subscriptions of one test, by event type. */
  async function newTopics(): Promise<Record<EventType, { topic: string; subscription: string }>> {
    const pubsub = newPubSub(PROJECT);
    const out = {} as Record<EventType, { topic: string; subscription: string }>;
    try {
      suite++;
      for (const type of EVENT_TYPES) {
        const name = `gw-${type}-${suite}`;
        const [topic] = await pubsub.createTopic(name);
        await topic.createSubscription(`${name}-sub`);
        out[type] = { topic: name, subscription: `projects/${PROJECT}/subscriptions/${name}-sub` };
      }
    } finally {
      await pubsub.close();
    }
    return out;
  }

  /** A gateway publishing through the proxy, and a client of it. */
  async function gateway(overrides: Partial<Omit<GatewayOptions, "publisher">> & { publisher?: Partial<GatewayOptions["publisher"]> } = {}, clientOptions: ConstructorParameters<typeof GatewayClient>[1] = {}) {
    const topics = await newTopics();
    previousHost = process.env.PUBSUB_EMULATOR_HOST;
    process.env.PUBSUB_EMULATOR_HOST = proxy.endpoint;
    const g = await startGateway({
      port: 0,
      maxMessageBytes: 4 << 20,
      maxBatchEvents: 1000,
      maxStreamRejections: 100,
      log: silentLogger,
      ...overrides,
      publisher: {
        projectId: PROJECT,
        topics: { transaction: topics.transaction.topic, client: topics.client.topic, score: topics.score.topic },
        maxInFlight: 10_000,
        batchMaxMessages: 100,
        batchMaxMs: 2,
        publishTimeoutMs: 10_000,
        ...overrides.publisher,
      },
    });
    // The test's own reads go straight to the emulator, not through the proxy.
    process.env.PUBSUB_EMULATOR_HOST = previousHost;
    running.push(g);
    const client = new GatewayClient(g.address, clientOptions);
    clients.push(client);
    const pull = (type: EventType, expected: number, timeoutMs?: number) => pullMessages(PROJECT, topics[type].subscription, expected, timeoutMs);
    return { gateway: g, client, pull, topics };
  }

  async function failure(call: Promise<unknown>): Promise<grpc.ServiceError> {
    try {
      await call;
    } catch (error) {
      return error as grpc.ServiceError;
    }
    throw new Error("expected the call to fail, it succeeded");
  }

  const byEventId = (messages: PulledMessage[]) => new Map(messages.map((m) => [m.attributes.event_id, m]));

  describe("the unary calls", () => {
    it("IngestTransaction replies with a generated ULID only once the message is on the transactions topic, with its attributes", async () => {
      const { client, pull } = await gateway();
      const before = Date.now();
      const reply = await client.ingestTransaction(sampleTransaction(7));
      expect(reply.event_id).to.match(ULID);
      expect(eventIdTimeMs(reply.event_id)).to.be.within(before - 1, Date.now() + 1);
      expect(reply.message_id).to.not.equal("");
      const [message] = await pull("transaction", 1);
      expect(message.attributes).to.deep.equal({ event_id: reply.event_id, event_type: "transaction", event_time_ms: String(SAMPLE_EVENT_TIME_MS + 7000), transaction_id: "T-7" });
      // The pipeline's own parser reads the payload: the fixture's columns, money back in exact paise.
      const parsed = parsePubSubPayload(message.data);
      expect(parsed).to.have.property("ok").that.deep.includes({ transactionId: "T-7", userId: "u7", pricePaise: 100_007, discountPercent: 10, finalPricePaise: 90_006, quantity: 2, eventTimeMs: SAMPLE_EVENT_TIME_MS + 7000 });
      expect(JSON.parse(message.data).event_id).to.equal(reply.event_id);
    });

    it("keeps the client's own event id (in canonical upper case) and stamps an unset event time with the receive time", async () => {
      const { client, pull } = await gateway();
      const own = "01hzy8x3k2m4n5p6q7r8s9t0vw";
      const before = Date.now();
      const reply = await client.ingestTransaction(sampleTransaction(1, { event_id: own, event_time_ms: "0" }));
      expect(reply.event_id).to.equal(own.toUpperCase());
      const [message] = await pull("transaction", 1);
      expect(message.attributes.event_id).to.equal(own.toUpperCase());
      const stamped = Number(message.attributes.event_time_ms);
      expect(stamped).to.be.within(before, Date.now());
      // The payload's Purchase_Time, like the fixture's, is to the second.
      expect(JSON.parse(message.data).Purchase_Time).to.equal(new Date(stamped).toISOString().slice(11, 19));
    });

    it("IngestClient and IngestScore land on their own topics", async () => {
      const { client, pull } = await gateway();
      const c = await client.ingestClient(sampleClient(3));
      const s = await client.ingestScore(sampleScore(4));
      const [profile] = await pull("client", 1);
      const [score] = await pull("score", 1);
      expect(profile.attributes).to.include({ event_id: c.event_id, event_type: "client" });
      expect(JSON.parse(profile.data)).to.include({ event_id: c.event_id, user_id: "u3", name: "Customer 3", email: "c3@example.com", state: "Delhi", city: "New Delhi" });
      expect(score.attributes).to.include({ event_id: s.event_id, event_type: "score", event_time_ms: String(SAMPLE_EVENT_TIME_MS + 4) });
      expect(JSON.parse(score.data)).to.include({ event_id: s.event_id, user_id: "u4", score: 148, model: "risk-v1" });
      expect(await pull("transaction", 1, 1_500)).to.have.length(0);
    });
  });

  describe("bad input: INVALID_ARGUMENT with google.rpc.BadRequest, nothing published", () => {
    const cases: { what: string; call: (c: GatewayClient) => Promise<unknown>; violations: { field: string; description: RegExp }[] }[] = [
      {
        what: "an event id that is not a ULID",
        call: (c) => c.ingestTransaction(sampleTransaction(1, { event_id: "not-a-ulid" })),
        violations: [{ field: "event_id", description: /must be a ULID.*found 10 characters/ }],
      },
      {
        what: "an event id with a letter Crockford's base 32 excludes",
        call: (c) => c.ingestScore(sampleScore(1, { event_id: "01HZY8X3K2M4N5P6Q7R8S9T0VU" })),
        violations: [{ field: "event_id", description: /without I, L, O, U/ }],
      },
      {
        what: "every missing field of a transaction at once",
        call: (c) => c.ingestTransaction(sampleTransaction(1, { transaction_id: " ", user_id: "", distribution_center: "" })),
        violations: [
          { field: "transaction_id", description: /transaction_id is required/ },
          { field: "user_id", description: /user_id is required/ },
          { field: "distribution_center", description: /distribution_center is required/ },
        ],
      },
      {
        what: "a final price that is not the discounted price",
        call: (c) => c.ingestTransaction(sampleTransaction(1, { final_price_paise: "95000" })),
        violations: [{ field: "final_price_paise", description: /Final_Price\(Rs\.\) must be Price \(Rs\.\) × \(1 − Discount \(%\)\/100\) = 900\.009.*found "950\.00"/ }],
      },
      {
        what: "a discount over 100 %",
        call: (c) => c.ingestTransaction(sampleTransaction(1, { discount_percent: 150 })),
        violations: [{ field: "discount_percent", description: /between 0 and 100, found 150/ }],
      },
      {
        what: "a negative price and no quantity",
        call: (c) => c.ingestTransaction(sampleTransaction(1, { price_paise: "-5", quantity: 0 })),
        violations: [
          { field: "price_paise", description: /whole number from 0 to .*found -5/ },
          { field: "quantity", description: /at least 1, found 0/ },
        ],
      },
      {
        what: "an event time before 1970",
        call: (c) => c.ingestTransaction(sampleTransaction(1, { event_time_ms: "-1000" })),
        violations: [{ field: "event_time_ms", description: /whole number from 0 to 253402300799999, found -1000/ }],
      },
      {
        what: "an e-mail address without a domain",
        call: (c) => c.ingestClient(sampleClient(1, { email: "nobody" })),
        violations: [{ field: "email", description: /name@domain\.tld, found "nobody"/ }],
      },
      {
        what: "a score above 1000 and no model",
        call: (c) => c.ingestScore(sampleScore(1, { score: 1001, model: "" })),
        violations: [
          { field: "model", description: /model is required/ },
          { field: "score", description: /from 0 to 1000, found 1001/ },
        ],
      },
      {
        what: "a name longer than any name",
        call: (c) => c.ingestClient(sampleClient(1, { name: "x".repeat(5000) })),
        violations: [{ field: "name", description: /at most 1024 characters, found 5000/ }],
      },
    ];
    for (const { what, call, violations } of cases) {
      it(what, async () => {
        const { client, pull } = await gateway();
        const error = await failure(call(client));
        expect(error.code, error.details).to.equal(grpc.status.INVALID_ARGUMENT);
        const found = fieldViolationsOfError(error);
        expect(found.map((v) => v.field)).to.deep.equal(violations.map((v) => v.field));
        violations.forEach((v, i) => expect(found[i].description).to.match(v.description));
        expect(error.details).to.contain(violations[0].field);
        const published = await Promise.all(EVENT_TYPES.map((type) => pull(type, 1, 500)));
        expect(published.flat()).to.have.length(0);
      });
    }

    it("refuses a message larger than --max-message-bytes (RESOURCE_EXHAUSTED), and still serves the next one", async () => {
      const { client, pull } = await gateway({ maxMessageBytes: 16 * 1024 });
      const error = await failure(client.ingestClient(sampleClient(1, { city: "y".repeat(20_000) })));
      expect(error.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
      expect(error.details).to.match(/larger than max/i);
      const reply = await client.ingestClient(sampleClient(2));
      const [message] = await pull("client", 1);
      expect(message.attributes.event_id).to.equal(reply.event_id);
    });
  });

  describe("IngestBatch", () => {
    it("answers one status per item, in order: accepted items are on their topics, invalid ones say why", async () => {
      const { client, pull } = await gateway();
      const events = [
        { transaction: sampleTransaction(1) },
        { client: sampleClient(2, { email: "" }) },
        { score: sampleScore(3) },
        {},
        { transaction: sampleTransaction(4, { quantity: 0 }) },
        { client: sampleClient(5) },
      ];
      const reply = await client.ingestBatch(events);
      expect(reply.items.map((i) => [i.index, i.status.code])).to.deep.equal([
        [0, grpc.status.OK],
        [1, grpc.status.INVALID_ARGUMENT],
        [2, grpc.status.OK],
        [3, grpc.status.INVALID_ARGUMENT],
        [4, grpc.status.INVALID_ARGUMENT],
        [5, grpc.status.OK],
      ]);
      expect(reply).to.include({ accepted: 3, rejected: 3 });
      expect(fieldViolationsOf(reply.items[1].status.details)).to.deep.equal([{ field: "events[1].client.email", description: "email is required, found an empty value" }]);
      expect(fieldViolationsOf(reply.items[3].status.details)[0].field).to.equal("events[3].event");
      expect(fieldViolationsOf(reply.items[4].status.details)[0].field).to.equal("events[4].transaction.quantity");
      // An item whose id was valid keeps it even when refused; accepted items have Pub/Sub's id.
      expect(reply.items[4].event_id).to.match(ULID);
      for (const i of [0, 2, 5]) expect(reply.items[i].message_id).to.not.equal("");
      const [t] = await pull("transaction", 1);
      const [s] = await pull("score", 1);
      const [c] = await pull("client", 2, 1_500);
      expect([t.attributes.event_id, s.attributes.event_id, c.attributes.event_id]).to.deep.equal([reply.items[0].event_id, reply.items[2].event_id, reply.items[5].event_id]);
    });

    it("a thousand events in one call, all on the topic with distinct, time-ordered ids", async () => {
      const { client, pull } = await gateway();
      const reply = await client.ingestBatch(Array.from({ length: 1000 }, (_, n) => ({ transaction: sampleTransaction(n) })));
      expect(reply.accepted).to.equal(1000);
      const ids = reply.items.map((i) => i.event_id);
      expect([...ids].sort()).to.deep.equal(ids);
      expect(new Set(ids).size).to.equal(1000);
      const pulled = byEventId(await pull("transaction", 1000));
      expect([...pulled.keys()].sort()).to.deep.equal(ids);
    });

    it("refuses an empty batch and one over --max-batch as a whole", async () => {
      const { client } = await gateway({ maxBatchEvents: 10 });
      const empty = await failure(client.ingestBatch([]));
      expect(empty.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(fieldViolationsOfError(empty)).to.deep.equal([{ field: "events", description: "a batch needs at least one event" }]);
      const big = await failure(client.ingestBatch(Array.from({ length: 11 }, (_, n) => ({ score: sampleScore(n) }))));
      expect(big.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(fieldViolationsOfError(big)[0].description).to.equal("a batch holds at most 10 events, found 11");
    });
  });

  describe("IngestStream", () => {
    it("publishes every valid event of a stream and lists the others, once every event is settled", async () => {
      const { client, pull } = await gateway({ publisher: { maxInFlight: 50 } });
      const stream = client.openStream();
      const bad = new Set([10, 250, 499]);
      for (let n = 0; n < 500; n++) {
        await stream.write(bad.has(n) ? { transaction: sampleTransaction(n, { category: "" }) } : { transaction: sampleTransaction(n) });
      }
      const summary = await stream.end();
      expect(summary).to.include({ accepted: 497, rejected: 3 });
      expect(summary.rejections.map((r) => r.index)).to.deep.equal([10, 250, 499]);
      expect(fieldViolationsOf(summary.rejections[0].status.details)).to.deep.equal([{ field: "transaction.category", description: "category is required, found an empty value" }]);
      const pulled = await pull("transaction", 497);
      expect(pulled).to.have.length(497);
      expect(new Set(pulled.map((m) => m.attributes.transaction_id))).to.not.include.any.keys("T-10", "T-250", "T-499");
    });

    it("fails a stream with more rejections than --max-stream-rejections", async () => {
      const { client } = await gateway({ maxStreamRejections: 3 });
      const stream = client.openStream();
      for (let n = 0; n < 10; n++) await stream.write({ score: sampleScore(n, { user_id: "" }) });
      const error = await failure(stream.end());
      expect(error.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(error.details).to.match(/more than 3 events of this stream were not accepted; stopped after event 3, 0 accepted before/);
    });
  });

  describe("when Pub/Sub misbehaves", () => {
    it("answers RESOURCE_EXHAUSTED past the in-flight window while Pub/Sub stalls, and completes what it admitted once Pub/Sub is back", async () => {
      const { client, gateway: g, pull } = await gateway({ publisher: { maxInFlight: 5 } });
      await client.ingestScore(sampleScore(0)); // the connection to Pub/Sub is open before the stall
      proxy.stall();
      const admitted = Array.from({ length: 5 }, (_, n) => client.ingestScore(sampleScore(n + 1)));
      await until(() => g.publisher.eventsInFlight === 5);
      const refused = await failure(client.ingestScore(sampleScore(9)));
      expect(refused.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
      expect(refused.details).to.match(/limit of events in flight/);
      const batch = await failure(client.ingestBatch([{ score: sampleScore(10) }]));
      expect(batch.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
      proxy.restore();
      const replies = await Promise.all(admitted);
      const pulled = byEventId(await pull("score", 6));
      expect(pulled.size).to.equal(6);
      for (const r of replies) expect(pulled.has(r.event_id)).to.equal(true);
      expect([...pulled.values()].map((m) => JSON.parse(m.data).score)).to.not.include(sampleScore(9).score);
    });

    it("answers UNAVAILABLE while Pub/Sub is down — and what it answered so for never reaches the topic", async () => {
      const { client, pull } = await gateway({ publisher: { publishTimeoutMs: 1_500 } });
      await client.ingestTransaction(sampleTransaction(0));
      proxy.cut();
      const down = await failure(client.ingestTransaction(sampleTransaction(1)));
      expect(down.code).to.equal(grpc.status.UNAVAILABLE);
      expect(down.details).to.match(/Pub\/Sub did not accept event [0-9A-Z]{26}/);
      const batch = await client.ingestBatch([{ transaction: sampleTransaction(2) }, { transaction: sampleTransaction(3) }]);
      expect(batch.items.map((i) => i.status.code)).to.deep.equal([grpc.status.UNAVAILABLE, grpc.status.UNAVAILABLE]);
      proxy.restore();
      // Pub/Sub's client reconnects with backoff: the gateway says UNAVAILABLE until it has; the
      // producer retries with the same event id, as a producer should.
      const eventId = "01HZY8X3K2M4N5P6Q7R8S9T0VW";
      const deadline = Date.now() + 30_000;
      let back: { event_id: string } | undefined;
      while (back === undefined && Date.now() < deadline) {
        back = await client.ingestTransaction(sampleTransaction(4, { event_id: eventId })).catch((error: grpc.ServiceError) => {
          expect(error.code).to.equal(grpc.status.UNAVAILABLE);
          return undefined;
        });
      }
      expect(back?.event_id).to.equal(eventId);
      // Waits for a third message, which must not come: the events answered UNAVAILABLE.
      const pulled = await pull("transaction", 3, 3_000);
      expect(pulled.map((m) => m.attributes.transaction_id).sort()).to.deep.equal(["T-0", "T-4"]);
      expect(pulled.map((m) => m.attributes.event_id)).to.include(eventId);
    });

    it("honours the caller's deadline: DEADLINE_EXCEEDED when Pub/Sub is slower than the caller can wait", async () => {
      const { client } = await gateway();
      await client.ingestScore(sampleScore(0));
      proxy.stall();
      const started = Date.now();
      const error = await failure(client.ingestScore(sampleScore(1), { timeoutMs: 300 }));
      expect(error.code).to.equal(grpc.status.DEADLINE_EXCEEDED);
      expect(Date.now() - started).to.be.below(5_000);
    });
  });

  describe("operability", () => {
    it("with a shared token: UNAUTHENTICATED without it or with another; health answers without one", async () => {
      const { gateway: g, client, pull } = await gateway({ token: "s3cret" }, { token: "s3cret" });
      const ok = await client.ingestScore(sampleScore(1));
      for (const token of [undefined, "guess"]) {
        const stranger = new GatewayClient(g.address, { token });
        clients.push(stranger);
        const error = await failure(stranger.ingestScore(sampleScore(2)));
        expect(error.code).to.equal(grpc.status.UNAUTHENTICATED);
      }
      expect((await pull("score", 2, 1_500)).map((m) => m.attributes.event_id)).to.deep.equal([ok.event_id]);
      expect(await healthOf(g.address, "")).to.equal("SERVING");
    });

    it("serves the standard health service and server reflection", async () => {
      const { gateway: g } = await gateway();
      expect(await healthOf(g.address, SERVICE_NAME)).to.equal("SERVING");
      const services = await reflectedServices(g.address);
      expect(services).to.include.members([SERVICE_NAME, "grpc.health.v1.Health"]);
    });
  });
});

/** Waits until `condition` holds; bounded. */
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** grpc.health.v1.Health/Check, as a load balancer asks it. */
function healthOf(address: string, service: string): Promise<string> {
  const Health = grpc.makeGenericClientConstructor(healthService, "Health");
  const client = new Health(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    check(request: { service: string }, callback: (error: grpc.ServiceError | null, response: { status: string }) => void): void;
  };
  return new Promise<string>((resolve, reject) => client.check({ service }, (error, response) => (error ? reject(error) : resolve(response.status)))).finally(() => client.close());
}

/** The services listed by server reflection (v1), as grpcurl's `list` asks for them. */
async function reflectedServices(address: string): Promise<string[]> {
  const protoPath = path.join(path.dirname(require.resolve("@grpc/reflection")), "..", "proto", "grpc", "reflection", "v1", "reflection.proto");
  const definition = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, { keepCase: true })) as unknown as {
    grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
  };
  const client = new definition.grpc.reflection.v1.ServerReflection(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const call = (client as unknown as { ServerReflectionInfo(): grpc.ClientDuplexStream<object, { list_services_response?: { service: { name: string }[] } }> }).ServerReflectionInfo();
      call.on("data", (response: { list_services_response?: { service: { name: string }[] } }) => {
        resolve((response.list_services_response?.service ?? []).map((s: { name: string }) => s.name));
        call.end();
      });
      call.on("error", reject);
      call.write({ list_services: "" });
    });
  } finally {
    client.close();
  }
}
