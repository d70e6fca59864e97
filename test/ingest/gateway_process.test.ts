/**
 * `npm run gateway` as a process: its command line (help, usage errors exit 2), TLS, and graceful
 * shutdown on SIGTERM with calls in flight — none lost, none reported OK that is not on its topic —
 * on the real Pub/Sub emulator behind a TCP proxy that holds Pub/Sub's answers back meanwhile.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { useEmulators } from "../support/emulators";
import { startTcpProxy, type TcpProxy } from "../../chaos/tcp_proxy";
import { pullMessages } from "../support/pubsub_pull";
import { sampleScore, sampleTransaction } from "../support/gateway_events";
import { GatewayClient } from "../../ingest/gateway/client";
import { spawnGateway, type GatewayProcess } from "../../ingest/gateway/child_process";
import { newPubSub } from "../../io/pubsub/client";
import { runCli, runClis, type CliRun } from "../support/run_cli";

const PROJECT = "local-project";

describe("npm run gateway: the command line", function () {
  this.timeout(120_000);
  const mistakes = [
    { args: ["--port", "70000"], message: "error: --port must be at most 65535, got '70000'" },
    { args: ["--max-batch", "20000"], message: "error: --max-batch (20000) cannot exceed --max-in-flight (10000): such a batch could never be admitted" },
    { args: ["--tls-cert", "cert.pem"], message: "error: --tls-cert and --tls-key go together" },
    { args: ["--token-file", "/nonexistent/token"], message: "error: --token-file: cannot read '/nonexistent/token' (ENOENT)" },
    { args: ["--log-level", "loud"], message: "error: --log-level must be one of debug, info, warn, error, got 'loud'" },
  ];
  // Each command line is a process of its own; they do not depend on each other, so they run side by side.
  let help: CliRun;
  let runs: CliRun[];
  before(async () => {
    [help, ...runs] = await runClis([["--help"], ...mistakes.map((m) => m.args)].map((args) => () => runCli("ingest/gateway/main.ts", args, { timeoutMs: 60_000 })));
  });

  it("--help prints the flags and exits 0", () => {
    expect(help.status).to.equal(0);
    expect(help.stdout).to.match(/^Usage: npm run gateway -- \[flags\]/).and.contain("--max-in-flight N").and.contain("--token-file FILE");
  });

  for (const [i, { args, message }] of mistakes.entries()) {
    it(`${args.join(" ")}: one line saying what is wrong, exit 2`, () => {
      const run = runs[i];
      expect(run.status).to.equal(2);
      expect(run.stderr.split("\n")[0]).to.equal(message);
      expect(run.stderr.trimEnd().split("\n")).to.have.length(1);
    });
  }
});

describe("npm run gateway: a process on the Pub/Sub emulator", function () {
  this.timeout(120_000);
  const emulators = useEmulators(["pubsub"]);
  let proxy: TcpProxy;
  let gateway: GatewayProcess | undefined;
  const clients: GatewayClient[] = [];
  let topics = 0;

  before(async () => {
    proxy = await startTcpProxy(emulators.endpoints.pubsub!);
  });
  afterEach(async () => {
    proxy.restore();
    for (const c of clients.splice(0)) c.close();
    await gateway?.stop("SIGKILL");
    gateway = undefined;
  });
  after(async () => {
    await proxy?.close();
  });

  /** Topics (with subscriptions) for the three types; the flags naming them. */
  async function newTopics() {
    const pubsub = newPubSub(PROJECT);
    const names = { transaction: `proc-t-${++topics}`, client: `proc-c-${topics}`, score: `proc-s-${topics}` };
    try {
      for (const name of Object.values(names)) await (await pubsub.createTopic(name))[0].createSubscription(`${name}-sub`);
    } finally {
      await pubsub.close();
    }
    const subscription = (name: string) => `projects/${PROJECT}/subscriptions/${name}-sub`;
    return {
      flags: ["--transactions-topic", names.transaction, "--clients-topic", names.client, "--scores-topic", names.score],
      pull: (type: keyof typeof names, expected: number, timeoutMs?: number) => pullMessages(PROJECT, subscription(names[type]), expected, timeoutMs),
    };
  }

  function client(address: string, options: ConstructorParameters<typeof GatewayClient>[1] = {}): GatewayClient {
    const c = new GatewayClient(address, options);
    clients.push(c);
    return c;
  }

  it("on SIGTERM stops accepting calls, finishes those in flight once Pub/Sub answers, and exits 0: every OK is on its topic", async () => {
    const { flags, pull } = await newTopics();
    gateway = await spawnGateway([...flags, "--grace-ms", "30000"], { PUBSUB_EMULATOR_HOST: proxy.endpoint });
    const c = client(gateway.address);
    await c.ingestScore(sampleScore(0));
    proxy.stall();
    const unary = Array.from({ length: 40 }, (_, n) => c.ingestTransaction(sampleTransaction(n)));
    const batch = c.ingestBatch(Array.from({ length: 50 }, (_, n) => ({ transaction: sampleTransaction(100 + n) })));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const exitCode = gateway.stop("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 500));
    // A new call while stopping is refused (a new connection to the address finds nobody listening).
    const late = await client(gateway.address).ingestScore(sampleScore(1), { timeoutMs: 3_000 }).then(
      () => "OK",
      (error: grpc.ServiceError) => error.code,
    );
    expect(late).to.be.oneOf([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);
    proxy.restore();
    const replies = await Promise.all(unary);
    const batched = await batch;
    expect(await exitCode).to.equal(0);
    expect(batched.accepted).to.equal(50);
    const okIds = [...replies.map((r) => r.event_id), ...batched.items.map((i) => i.event_id)];
    const onTopic = new Set((await pull("transaction", 90)).map((m) => m.attributes.event_id));
    for (const id of okIds) expect(onTopic.has(id), id).to.equal(true);
    expect(onTopic.size).to.equal(90);
    const messages = gateway.logs.map((l) => l.msg);
    expect(messages).to.include.members(["SIGTERM received", "gateway stopping: no new calls; finishing those in flight", "gateway stopped"]);
    const stopping = gateway.logs.find((l) => l.msg === "gateway stopping: no new calls; finishing those in flight")!;
    expect(stopping.events_in_flight).to.equal(90);
    expect(await pull("score", 2, 1_000)).to.have.length(1);
  });

  it("past the grace period cancels the calls still waiting for Pub/Sub: none of them is reported OK", async () => {
    const { flags } = await newTopics();
    gateway = await spawnGateway([...flags, "--grace-ms", "300", "--publish-timeout-ms", "2000"], { PUBSUB_EMULATOR_HOST: proxy.endpoint });
    const c = client(gateway.address);
    await c.ingestScore(sampleScore(0));
    proxy.stall();
    const calls = Array.from({ length: 10 }, (_, n) =>
      c.ingestScore(sampleScore(n)).then(
        () => "OK",
        (error: grpc.ServiceError) => error.code,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await gateway.stop("SIGTERM")).to.equal(0);
    const outcomes = await Promise.all(calls);
    expect(outcomes.filter((o) => o === "OK")).to.have.length(0);
    expect(gateway.logs.map((l) => l.msg)).to.include("gateway stopped: grace period over, calls still in flight were cancelled");
  });

  it("serves TLS with --tls-cert/--tls-key: a client trusting the certificate gets in, a plaintext one does not", async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gateway-tls-"));
    try {
      const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem")], { encoding: "utf8" });
      if (made.error) {
        console.log("  skipped: openssl is missing (apt-get install openssl)");
        return this.skip();
      }
      expect(made.status, made.stderr).to.equal(0);
      const { flags, pull } = await newTopics();
      gateway = await spawnGateway([...flags, "--tls-cert", path.join(dir, "cert.pem"), "--tls-key", path.join(dir, "key.pem")], { PUBSUB_EMULATOR_HOST: proxy.endpoint });
      const reply = await client(gateway.address, { rootCert: fs.readFileSync(path.join(dir, "cert.pem")) }).ingestScore(sampleScore(5));
      const plain = await client(gateway.address).ingestScore(sampleScore(6), { timeoutMs: 3_000 }).then(
        () => "OK",
        (error: grpc.ServiceError) => error.code,
      );
      expect(plain).to.be.oneOf([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);
      expect((await pull("score", 2, 1_500)).map((m) => m.attributes.event_id)).to.deep.equal([reply.event_id]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
