/**
 * What a worker thread of the direct runner loads to start: the SDK, the thread's own modules and
 * the file sources, but not the Google clients no file pipeline uses (`@google-cloud/pubsub` with
 * google-gax, through the SDK's pubsub io, and `@google-cloud/storage`, through io/files/gcs.ts:
 * about 0.1 s of CPU per thread), nor gRPC (`@grpc/grpc-js` with http2 and tls, through the SDK's
 * Fn API channels and expansion service client: another ~0.1 s), which a thread never opens. Each
 * loads when first used (patches/apache-beam+2.49.0.patch and gcs.ts); the SDK's pubsub closures
 * still serialize by name and still encode and decode messages; SDK worker processes still open
 * their channels (test/runner/fn_api*.test.ts).
 */
import * as path from "path";
import { Worker } from "worker_threads";
import { expect } from "chai";
import "apache-beam";
import { registeredObjects } from "apache-beam/serialization";
import { deserializeFn, serializeFn } from "apache-beam/internal/serialize";

const ROOT = path.join(__dirname, "..", "..");
const CLIENTS = /node_modules\/(@google-cloud\/pubsub|@google-cloud\/storage|@grpc\/grpc-js)\//;

/** The client packages (of CLIENTS) loaded by a fresh thread that loads worker_main.ts and the file sources. */
async function clientsLoadedByAThread(): Promise<string[]> {
  const worker = new Worker(
    `const { parentPort, workerData } = require("worker_threads");
     require(workerData.register);
     for (const file of workerData.modules) require(file);
     parentPort.postMessage(Object.keys(require.cache));`,
    {
      eval: true,
      workerData: {
        register: path.join(ROOT, "scripts", "register.js"),
        modules: ["runners/direct/execution/worker_main.ts", "io/files/text_files.ts", "io/files/file_splits.ts", "transforms/parse_csv.ts"].map((f) => path.join(ROOT, f)),
      },
    },
  );
  try {
    const loaded = await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the thread did not report what it loaded within 30 s")), 30_000);
      worker.once("message", (files: string[]) => (clearTimeout(timer), resolve(files)));
      worker.once("error", (error) => (clearTimeout(timer), reject(error)));
    });
    return [...new Set(loaded.map((file) => CLIENTS.exec(file)?.[1]).filter((name) => name !== undefined))];
  } finally {
    await worker.terminate();
  }
}

describe("a worker thread's start-up", () => {
  it("loads neither @google-cloud/pubsub, @google-cloud/storage nor @grpc/grpc-js", async () => {
    expect(await clientsLoadedByAThread()).to.deep.equal([]);
  });

  it("the SDK's pubsub io reaches @google-cloud/pubsub through a registered accessor: its closures serialize by name and still encode and decode messages", () => {
    const accessor = registeredObjects.find((o) => o.name === "beam:apache-beam/io/pubsub.pubsub.self")?.builtin as (() => any) | undefined;
    expect(accessor, "apache-beam/io/pubsub registers its accessor").to.be.a("function");
    const roundTrip = (data: Uint8Array) => accessor!().protos.google.pubsub.v1.PubsubMessage.decode(accessor!().protos.google.pubsub.v1.PubsubMessage.encode({ data }).finish()).data;
    const serialized = serializeFn({ roundTrip });
    expect(new TextDecoder().decode(serialized)).to.include("beam:apache-beam/io/pubsub.pubsub.self");
    const rebuilt = deserializeFn(serialized) as { roundTrip: typeof roundTrip };
    expect(Buffer.from(rebuilt.roundTrip(Buffer.from("paise")))).to.deep.equal(Buffer.from("paise"));
  });
});
