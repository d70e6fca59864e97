/**
 * Ports and readiness: a free loopback port to start an emulator on, and bounded waits until it
 * answers (HTTP for the Pub/Sub emulator, a TCP connection for the Bigtable emulator).
 */
import * as http from "http";
import * as net from "net";

const PROBE_TIMEOUT_MS = 1_000;
const PROBE_INTERVAL_MS = 100;

/**
 * A loopback port free right now (the kernel's pick for port 0). Another process may take it before
 * the emulator binds it; the caller retries on a bind failure.
 */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on host:port (within a second). */
export function acceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Whether an HTTP GET of http://host:port/ gets any response (within a second). */
export function answersHttp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ host, port, path: "/", timeout: PROBE_TIMEOUT_MS, agent: false }, (response) => {
      response.resume();
      resolve(true);
    });
    request.once("timeout", () => request.destroy());
    request.once("error", () => resolve(false));
  });
}

/** What ends a wait early: the process we are waiting for has exited. */
export interface WaitAbort {
  /** Resolves (with a description) if waiting is pointless, e.g. the emulator exited. */
  aborted: Promise<string>;
}

/**
 * Probes until `probe` is true; rejects after `timeoutMs`, or as soon as `abort.aborted` resolves.
 * `what` names the thing awaited in the errors.
 */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, abort?: WaitAbort): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let abortedWith: string | undefined;
  void abort?.aborted.then((reason) => (abortedWith = reason));
  for (;;) {
    if (abortedWith !== undefined) throw new Error(`${what}: gave up, ${abortedWith}`);
    if (await probe()) return;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`${what}: no answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(PROBE_INTERVAL_MS, left)));
  }
}
