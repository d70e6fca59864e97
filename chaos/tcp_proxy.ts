/**
 * A TCP proxy on loopback for outage probes and tests: clients connect to the proxy, the proxy relays bytes to
 * the real service, and the test can cut the service off and bring it back without touching it (an
 * emulator that keeps its data in memory must not be restarted):
 *
 * ```ts
 * const proxy = await startTcpProxy("127.0.0.1:8086");
 * process.env.BIGTABLE_EMULATOR_HOST = proxy.endpoint;
 * proxy.cut();      // open connections are reset, new ones are reset as soon as they are accepted
 * proxy.restore();  // new connections are relayed again
 * proxy.stall();    // connections stay open but no byte moves either way: a service that hangs
 * proxy.restore();  // bytes flow again, those held back included
 * await proxy.close();
 * ```
 * Bounded: at most `maxConnections` clients at once (the listener refuses more).
 */
import * as net from "net";

/** A running proxy. */
export interface TcpProxy {
  /** `127.0.0.1:port` to point clients at. */
  endpoint: string;
  /** Connections accepted since the start, and how many of them were reset because of a cut. */
  readonly stats: { accepted: number; reset: number };
  /** Makes the service unreachable: resets every open connection and every new one until {@link restore}. */
  cut(): void;
  /** Makes the service hang: connections stay open, nothing is relayed until {@link restore}. */
  stall(): void;
  /** Relays again: new connections after a cut; held-back bytes after a stall. */
  restore(): void;
  /** Resets every connection and stops listening; idempotent. */
  close(): Promise<void>;
}

const HOST = "127.0.0.1";
const DEFAULT_MAX_CONNECTIONS = 64;

/** A reset (RST), not a polite FIN: what a client sees when a service or the network dies. */
function reset(socket: net.Socket): void {
  if (!socket.destroyed) socket.resetAndDestroy();
}

/** Starts a proxy on a free loopback port relaying to `target` (`host:port`). */
export async function startTcpProxy(target: string, options: { maxConnections?: number } = {}): Promise<TcpProxy> {
  const separator = target.lastIndexOf(":");
  const targetHost = target.slice(0, separator);
  const targetPort = Number(target.slice(separator + 1));
  if (!targetHost || !Number.isInteger(targetPort) || targetPort <= 0) throw new Error(`startTcpProxy: target must be host:port, got ${JSON.stringify(target)}`);

  /** Relayed connections: the client's side and ours to the service. */
  const open = new Set<{ client: net.Socket; upstream: net.Socket }>();
  const stats = { accepted: 0, reset: 0 };
  let down = false;
  let stalled = false;
  let closed = false;

  const relay = (connection: { client: net.Socket; upstream: net.Socket }) => {
    connection.client.pipe(connection.upstream);
    connection.upstream.pipe(connection.client);
  };
  const hold = (connection: { client: net.Socket; upstream: net.Socket }) => {
    connection.client.unpipe(connection.upstream);
    connection.upstream.unpipe(connection.client);
    connection.client.pause();
    connection.upstream.pause();
  };

  const server = net.createServer((client) => {
    stats.accepted++;
    if (down || closed) {
      stats.reset++;
      reset(client);
      return;
    }
    const connection = { client, upstream: net.connect(targetPort, targetHost) };
    open.add(connection);
    // Either side failing or closing takes the other down with it, as one connection would.
    const teardown = () => {
      open.delete(connection);
      reset(connection.client);
      reset(connection.upstream);
    };
    client.on("error", () => undefined).on("close", teardown);
    connection.upstream.on("error", () => undefined).on("close", teardown);
    if (!stalled) relay(connection);
  });
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as net.AddressInfo;

  const resetAll = () => {
    for (const connection of [...open]) {
      open.delete(connection);
      stats.reset++;
      reset(connection.client);
      reset(connection.upstream);
    }
  };

  return {
    endpoint: `${HOST}:${port}`,
    stats,
    cut() {
      down = true;
      resetAll();
    },
    stall() {
      stalled = true;
      for (const connection of open) hold(connection);
    },
    restore() {
      down = false;
      if (stalled) {
        stalled = false;
        for (const connection of open) relay(connection);
      }
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      resetAll();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
