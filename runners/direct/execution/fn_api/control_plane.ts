/**
 * The runner's side of Beam's Fn API, one gRPC server on loopback for every SDK worker of a pool
 * (sdk_worker_pool.ts: one job's, or several jobs' one after another, their ids prefixed per job):
 * control (descriptors on request, ProcessBundle instructions, their responses), data (each
 * bundle's encoded elements in, its outputs back), state (side-input reads, answered by the bundle's
 * stage) and logging (each worker's log lines, kept per worker with the step that wrote them).
 * What runs when is decided elsewhere (fn_api_executor.ts); this only moves bytes.
 */
import * as grpc from "@grpc/grpc-js";
import {
  beamFnControlDefinition,
  beamFnDataDefinition,
  beamFnLoggingDefinition,
  beamFnStateDefinition,
} from "apache-beam/proto/beam_fn_api.grpc-server";
import {
  Elements,
  InstructionRequest,
  InstructionResponse,
  LogControl,
  LogEntry_List,
  LogEntry_Severity_Enum,
  ProcessBundleDescriptor,
  ProcessBundleResponse,
  StateKey,
  StateRequest,
  StateResponse,
} from "apache-beam/proto/beam_fn_api";

/** How many of a worker's last log lines are kept for the error of a bundle it failed. */
const KEPT_LOG_LINES = 30;
/** State answers are cut into chunks of this size (a gRPC message is at most 4 MB by default). */
const STATE_CHUNK_BYTES = 1 << 20;

/** What a bundle in flight receives and answers. */
export interface BundleChannel {
  /** Encoded output elements of one DataSink; `isLast` closes that sink. */
  onData(transformId: string, data: Uint8Array, isLast: boolean): void;
  /** The encoded answer to a state read of this bundle's stage. */
  readState(key: StateKey): Uint8Array;
}

/** One SDK worker connected to us. */
export class WorkerConnection {
  readonly logs: string[] = [];
  /** Per instruction: the step its last log line came from (the step a crash most likely hit). */
  readonly lastStep = new Map<string, string>();
  private attach!: (stream: grpc.ServerDuplexStream<Elements, Elements>) => void;
  /** The worker opens its data channel when its first bundle needs it. */
  private readonly data = new Promise<grpc.ServerDuplexStream<Elements, Elements>>((resolve) => (this.attach = resolve));
  private readonly pending = new Map<string, { resolve(r: ProcessBundleResponse): void; reject(e: Error): void }>();
  private lost: Error | undefined;

  constructor(
    readonly id: string,
    private readonly control: grpc.ServerDuplexStream<InstructionResponse, InstructionRequest>,
  ) {
    control.on("data", (response: InstructionResponse) => {
      const waiter = this.pending.get(response.instructionId);
      if (waiter === undefined) return;
      this.pending.delete(response.instructionId);
      if (response.error !== "") waiter.reject(new Error(response.error));
      else if (response.response.oneofKind === "processBundle") waiter.resolve(response.response.processBundle);
      else waiter.reject(new Error(`worker ${id} answered ${response.response.oneofKind} to a ProcessBundle request`));
    });
    const end = () => this.disconnected(new Error(`worker ${id} disconnected`));
    control.on("end", end);
    control.on("error", end);
    control.on("close", end);
  }

  /** False once the worker is gone (exited, disconnected, stopped). */
  get isConnected(): boolean {
    return this.lost === undefined;
  }

  attachData(stream: grpc.ServerDuplexStream<Elements, Elements>): void {
    this.attach(stream);
    this.dataStream = stream;
  }

  private dataStream: grpc.ServerDuplexStream<Elements, Elements> | undefined;

  /** Sends a ProcessBundle instruction; resolves with the worker's response. */
  processBundle(instructionId: string, descriptorId: string): Promise<ProcessBundleResponse> {
    if (this.lost !== undefined) return Promise.reject(this.lost);
    return new Promise((resolve, reject) => {
      this.pending.set(instructionId, { resolve, reject });
      this.control.write(
        InstructionRequest.create({
          instructionId,
          request: { oneofKind: "processBundle", processBundle: { processBundleDescriptorId: descriptorId, cacheTokens: [], elements: undefined } },
        }),
      );
    });
  }

  /** Sends a bundle's input: every element, then the end of the input. */
  async sendInput(instructionId: string, transformId: string, data: Uint8Array): Promise<void> {
    const stream = await this.data;
    stream.write(Elements.create({ data: [{ instructionId, transformId, data, isLast: true }], timers: [] }));
  }

  /** Fails whatever waits on this worker: it is gone. */
  disconnected(reason: Error): void {
    if (this.lost !== undefined) return;
    this.lost = reason;
    for (const waiter of this.pending.values()) waiter.reject(reason);
    this.pending.clear();
  }

  addLog(line: string): void {
    this.logs.push(line);
    if (this.logs.length > KEPT_LOG_LINES) this.logs.shift();
  }

  close(): void {
    this.disconnected(new Error(`worker ${this.id} was stopped`));
    this.control.end();
    this.dataStream?.end();
  }
}

/** The job an instruction or descriptor id belongs to: ids are `<job>/<rest>` (sdk_worker_pool.ts). */
function jobOf(id: string): string {
  return id.slice(0, id.indexOf("/"));
}

/** The Fn API endpoints of the jobs whose workers connect to it. */
export class ControlPlane {
  // Bundles' outputs and side data may be large: no 4 MB limit on what workers send.
  private readonly server = new grpc.Server({ "grpc.max_receive_message_length": -1 });
  private readonly descriptors = new Map<string, ProcessBundleDescriptor>();
  private readonly stepNames = new Map<string, (transformId: string) => string>();
  private readonly bundles = new Map<string, BundleChannel>();
  private readonly workers = new Map<string, WorkerConnection>();
  private readonly waiting = new Map<string, (worker: WorkerConnection) => void>();
  private url = "";

  /** @param onLog where a worker's log lines at WARN and above are written (ours, with the step) */
  constructor(private readonly onLog: (line: string) => void) {
    const workerId = (call: grpc.ServerDuplexStream<unknown, unknown> | grpc.ServerUnaryCall<unknown, unknown>) =>
      String(call.metadata.get("worker_id")[0] ?? "");
    this.server.addService(beamFnControlDefinition, {
      control: (call: grpc.ServerDuplexStream<InstructionResponse, InstructionRequest>) => {
        const id = workerId(call);
        const connection = new WorkerConnection(id, call);
        this.workers.set(id, connection);
        this.announce(id);
      },
      getProcessBundleDescriptor: (call: grpc.ServerUnaryCall<{ processBundleDescriptorId: string }, ProcessBundleDescriptor>, callback: grpc.sendUnaryData<ProcessBundleDescriptor>) => {
        const descriptor = this.descriptors.get(call.request.processBundleDescriptorId);
        if (descriptor === undefined) callback({ code: grpc.status.NOT_FOUND, details: `no descriptor '${call.request.processBundleDescriptorId}'` });
        else callback(null, descriptor);
      },
    });
    this.server.addService(beamFnDataDefinition, {
      data: (call: grpc.ServerDuplexStream<Elements, Elements>) => {
        const id = workerId(call);
        this.workers.get(id)?.attachData(call);
        call.on("data", (elements: Elements) => {
          for (const data of elements.data) this.bundles.get(data.instructionId)?.onData(data.transformId, data.data, data.isLast);
        });
        call.on("error", () => undefined);
      },
    });
    this.server.addService(beamFnStateDefinition, {
      state: (call: grpc.ServerDuplexStream<StateRequest, StateResponse>) => {
        call.on("data", (request: StateRequest) => call.write(this.answerState(request)));
        call.on("error", () => undefined);
      },
    });
    this.server.addService(beamFnLoggingDefinition, {
      logging: (call: grpc.ServerDuplexStream<LogEntry_List, LogControl>) => {
        const id = workerId(call);
        call.on("data", (list: LogEntry_List) => {
          for (const entry of list.logEntries) {
            const stepName = entry.transformId ? this.stepNames.get(jobOf(entry.instructionId))?.(entry.transformId) ?? entry.transformId : undefined;
            const step = stepName !== undefined ? ` [${stepName}]` : "";
            const line = `${LogEntry_Severity_Enum[entry.severity]}${step} ${entry.message.trimEnd()}`;
            const worker = this.workers.get(id);
            worker?.addLog(line);
            if (entry.instructionId && stepName !== undefined) worker?.lastStep.set(entry.instructionId, stepName);
            if (entry.severity >= LogEntry_Severity_Enum.WARN) this.onLog(`worker ${id}: ${line}`);
          }
        });
        call.on("error", () => undefined);
      },
    });
  }

  /** Listens on a free loopback port; resolves with its address. */
  async start(): Promise<string> {
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    this.url = `127.0.0.1:${port}`;
    return this.url;
  }

  get endpoint(): string {
    return this.url;
  }

  /** A job's transforms are named by `stepName` in its workers' log lines. */
  addJob(job: string, stepName: (transformId: string) => string): void {
    this.stepNames.set(job, stepName);
  }

  /** Forgets a job: its step names and descriptors. */
  removeJob(job: string): void {
    this.stepNames.delete(job);
    for (const id of [...this.descriptors.keys()]) if (jobOf(id) === job) this.descriptors.delete(id);
  }

  /** Serves a descriptor (its id is `<job>/<stage>`) to the workers that ask for it. */
  register(descriptor: ProcessBundleDescriptor): void {
    this.descriptors.set(descriptor.id, descriptor);
  }

  /** Resolves once worker `id` has opened its control channel. */
  connected(id: string): Promise<WorkerConnection> {
    const worker = this.workers.get(id);
    if (worker !== undefined) return Promise.resolve(worker);
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  /** Routes a bundle's data and state while it runs; returns the function that stops routing. */
  openBundle(instructionId: string, channel: BundleChannel): () => void {
    this.bundles.set(instructionId, channel);
    return () => this.bundles.delete(instructionId);
  }

  forget(id: string): void {
    this.workers.get(id)?.close();
    this.workers.delete(id);
  }

  async stop(): Promise<void> {
    for (const id of [...this.workers.keys()]) this.forget(id);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 1000);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private announce(id: string): void {
    const worker = this.workers.get(id);
    const waiter = this.waiting.get(id);
    if (worker !== undefined && waiter !== undefined) {
      this.waiting.delete(id);
      waiter(worker);
    }
  }

  private answerState(request: StateRequest): StateResponse {
    const bundle = this.bundles.get(request.instructionId);
    const fail = (error: string) => StateResponse.create({ id: request.id, error, response: { oneofKind: undefined } });
    if (bundle === undefined) return fail(`no bundle '${request.instructionId}' is running`);
    if (request.request.oneofKind !== "get" || request.stateKey === undefined) return fail(`state ${request.request.oneofKind} is not supported: side inputs are read-only`);
    let bytes: Uint8Array;
    try {
      bytes = bundle.readState(request.stateKey);
    } catch (error) {
      return fail(String((error as Error).message ?? error));
    }
    const token = request.request.get.continuationToken;
    const offset = token.length === 0 ? 0 : Number(new TextDecoder().decode(token));
    const end = Math.min(bytes.length, offset + STATE_CHUNK_BYTES);
    const continuationToken = end < bytes.length ? new TextEncoder().encode(String(end)) : new Uint8Array();
    return StateResponse.create({ id: request.id, error: "", response: { oneofKind: "get", get: { data: bytes.subarray(offset, end), continuationToken } } });
  }
}
