/**
 * `environment: "external"`: SDK workers a user (or the SDK's portable client, with LOOPBACK) runs
 * in a worker pool of their own (Beam's BeamFnExternalWorkerPool service). The runner asks the pool
 * to start each worker, pointed at the job's control plane, and to stop it at the end.
 */
import * as grpc from "@grpc/grpc-js";
import { BeamFnExternalWorkerPoolClient } from "apache-beam/proto/beam_fn_api.grpc-client";
import type { ControlPlane } from "./control_plane";
import type { FnApiWorker, WorkerSource } from "./process_workers";

/** Starts and stops workers in a pool at `poolUrl`. */
export class ExternalWorkers implements WorkerSource {
  private readonly client: BeamFnExternalWorkerPoolClient;
  private readonly running = new Map<string, () => void>();
  private started = 0;

  constructor(
    private readonly plane: ControlPlane,
    private readonly poolUrl: string,
    private readonly startTimeoutMs: number,
  ) {
    this.client = new BeamFnExternalWorkerPoolClient(poolUrl, grpc.ChannelCredentials.createInsecure());
  }

  async start(): Promise<FnApiWorker> {
    const id = `pool-worker-${++this.started}`;
    const endpoint = { url: this.plane.endpoint, authentication: undefined };
    const deadline = new Date(Date.now() + this.startTimeoutMs);
    await new Promise<void>((resolve, reject) =>
      this.client.startWorker({ workerId: id, controlEndpoint: endpoint, loggingEndpoint: endpoint, artifactEndpoint: undefined, provisionEndpoint: undefined, params: {} }, { deadline }, (error, response) => {
        if (error) reject(new Error(`worker pool ${this.poolUrl} did not start worker ${id}: ${error.message}`));
        else if (response?.error) reject(new Error(`worker pool ${this.poolUrl} did not start worker ${id}: ${response.error}`));
        else resolve();
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const connection = await Promise.race([
      this.plane.connected(id),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`worker ${id} of pool ${this.poolUrl} did not connect within ${this.startTimeoutMs} ms`)), this.startTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    let ended!: (how: string) => void;
    const exited = new Promise<string>((resolve) => (ended = resolve));
    this.running.set(id, () => ended("stopped"));
    return { id, connection, printed: [], exited };
  }

  stop(worker: FnApiWorker): void {
    this.running.get(worker.id)?.();
    this.running.delete(worker.id);
    this.plane.forget(worker.id);
    this.client.stopWorker({ workerId: worker.id }, () => undefined);
  }

  async stopAll(): Promise<void> {
    for (const id of [...this.running.keys()]) {
      this.running.get(id)!();
      this.plane.forget(id);
      await new Promise<void>((resolve) => this.client.stopWorker({ workerId: id }, { deadline: new Date(Date.now() + 2000) }, () => resolve()));
    }
    this.running.clear();
    this.client.close();
  }
}
