/**
 * Beam's ArtifactStagingService for the job server: the reverse-retrieval protocol portable clients
 * speak after PrepareJob. The client opens `ReverseArtifactRetrievalService` with the staging token
 * PrepareJob gave it; we ask it to resolve each environment's dependencies, then to send every file
 * it resolved to, chunk by chunk, and keep them under our staging folder named by their SHA-256
 * (checked against the one the client declared). The environments' dependencies then name the staged
 * copies, so the job no longer depends on the client's files. Embedded artifacts are kept as they are;
 * any other kind (a URL: this machine reaches no other host) stays as the client gave it.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import type { ArtifactRequestWrapper, ArtifactResponseWrapper } from "apache-beam/proto/beam_artifact_api";

const FILE_URN = "beam:artifact:type:file:v1";
const EMBEDDED_URN = "beam:artifact:type:embedded:v1";

/** The staged dependencies of each environment, by environment id. */
export type StagedDependencies = Record<string, runnerApi.ArtifactInformation[]>;

interface Session {
  environments: Record<string, runnerApi.Environment>;
  /** Set once the client opened its stream; resolves with what was staged. */
  staged?: Promise<StagedDependencies>;
}

/** Reads a bidirectional stream's messages one at a time, in order. */
class MessageReader<T> {
  private readonly queued: T[] = [];
  private readonly waiting: { resolve(m: T): void; reject(e: Error): void }[] = [];
  private ended: Error | undefined;

  constructor(stream: grpc.ServerDuplexStream<T, unknown>) {
    stream.on("data", (message: T) => {
      const waiter = this.waiting.shift();
      if (waiter !== undefined) waiter.resolve(message);
      else this.queued.push(message);
    });
    const end = (error?: Error) => {
      this.ended ??= error ?? new Error("the client closed its artifact stream before staging ended");
      for (const waiter of this.waiting.splice(0)) waiter.reject(this.ended);
    };
    stream.on("end", () => end());
    stream.on("error", end);
    stream.on("close", () => end());
  }

  next(): Promise<T> {
    const message = this.queued.shift();
    if (message !== undefined) return Promise.resolve(message);
    if (this.ended !== undefined) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
}

/** Staging sessions, one per prepared job, and the files they staged under `root`. */
export class ArtifactStaging {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly root: string) {}

  /** Opens the session of a prepared job whose client will offer `environments`' dependencies. */
  open(token: string, environments: Record<string, runnerApi.Environment>): void {
    this.sessions.set(token, { environments });
  }

  /**
   * What the client staged for the job, once it has (undefined if its client never opened the
   * stream: the dependencies stay as they were). Rejects with why staging failed.
   */
  async staged(token: string): Promise<StagedDependencies | undefined> {
    const session = this.sessions.get(token);
    this.sessions.delete(token);
    return session?.staged;
  }

  /** The ReverseArtifactRetrievalService handler: drives one client's offer to the end. */
  readonly reverseArtifactRetrievalService = (call: grpc.ServerDuplexStream<ArtifactResponseWrapper, ArtifactRequestWrapper>): void => {
    const messages = new MessageReader(call);
    // The SDK's client (protobuf-ts) waits for response headers, which a stream that ends without a
    // message would never send on their own.
    call.sendMetadata(new grpc.Metadata());
    const fail = (code: grpc.status, message: string) => call.emit("error", Object.assign(new Error(message), { code, details: message }));
    void messages.next().then(
      (first) => {
        const session = this.sessions.get(first.stagingToken);
        if (session === undefined || session.staged !== undefined) {
          fail(grpc.status.NOT_FOUND, `no job is waiting for artifacts with staging token '${first.stagingToken}'`);
          return;
        }
        session.staged = this.stage(first.stagingToken, session.environments, messages, call);
        session.staged.then(
          () => call.end(),
          (error: Error) => fail(grpc.status.FAILED_PRECONDITION, error.message),
        );
      },
      () => undefined,
    );
  };

  private async stage(
    token: string,
    environments: Record<string, runnerApi.Environment>,
    messages: MessageReader<ArtifactResponseWrapper>,
    call: grpc.ServerDuplexStream<ArtifactResponseWrapper, ArtifactRequestWrapper>,
  ): Promise<StagedDependencies> {
    const staged: StagedDependencies = {};
    for (const [id, environment] of Object.entries(environments)) {
      if (environment.dependencies.length === 0) {
        staged[id] = [];
        continue;
      }
      call.write({ request: { oneofKind: "resolveArtifact", resolveArtifact: { artifacts: environment.dependencies, preferredUrns: [FILE_URN, EMBEDDED_URN] } } });
      const resolved = await messages.next();
      if (resolved.response.oneofKind !== "resolveArtifactResponse") {
        throw new Error(`environment '${id}': the client answered ${resolved.response.oneofKind} to a ResolveArtifacts request`);
      }
      staged[id] = [];
      for (const artifact of resolved.response.resolveArtifactResponse.replacements) {
        staged[id].push(artifact.typeUrn === FILE_URN ? await this.fetch(token, id, artifact, messages, call) : artifact);
      }
    }
    return staged;
  }

  /** Asks the client for one file and keeps it under the session's folder, named by its SHA-256. */
  private async fetch(
    token: string,
    environment: string,
    artifact: runnerApi.ArtifactInformation,
    messages: MessageReader<ArtifactResponseWrapper>,
    call: grpc.ServerDuplexStream<ArtifactResponseWrapper, ArtifactRequestWrapper>,
  ): Promise<runnerApi.ArtifactInformation> {
    const offered = runnerApi.ArtifactFilePayload.fromBinary(artifact.typePayload);
    const dir = path.join(this.root, token);
    fs.mkdirSync(dir, { recursive: true });
    const partial = path.join(dir, `incoming-${crypto.randomUUID()}`);
    const hash = crypto.createHash("sha256");
    call.write({ request: { oneofKind: "getArtifact", getArtifact: { artifact } } });
    const file = fs.openSync(partial, "w");
    try {
      for (;;) {
        const message = await messages.next();
        if (message.response.oneofKind !== "getArtifactResponse") {
          throw new Error(`environment '${environment}', artifact ${offered.path}: the client answered ${message.response.oneofKind} to a GetArtifact request`);
        }
        const { data } = message.response.getArtifactResponse;
        hash.update(data);
        fs.writeSync(file, data);
        if (message.isLast) break;
      }
    } finally {
      fs.closeSync(file);
    }
    const sha256 = hash.digest("hex");
    if (offered.sha256 !== "" && offered.sha256 !== sha256) {
      fs.rmSync(partial, { force: true });
      throw new Error(`environment '${environment}', artifact ${offered.path}: received SHA-256 ${sha256}, the client declared ${offered.sha256}`);
    }
    const stagedPath = path.join(dir, sha256);
    fs.renameSync(partial, stagedPath);
    return { ...artifact, typePayload: runnerApi.ArtifactFilePayload.toBinary({ path: stagedPath, sha256 }) };
  }
}
