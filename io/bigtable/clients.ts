/**
 * Live Bigtable clients, one per project and endpoint, created on first use and shared by every write
 * and read of this process. A sink's write function is serialized with the pipeline and rebuilt by the
 * runner, so it cannot hold a client: it holds plain settings and asks here.
 */
import { Bigtable } from "@google-cloud/bigtable";

const clients = new Map<string, Bigtable>();

/**
 * The client for `projectId`. With BIGTABLE_EMULATOR_HOST set it talks to that emulator (the key
 * includes the endpoint, so a test that starts a new emulator gets a new client, not one bound to a
 * stopped port).
 */
export function bigtableClient(projectId: string): Bigtable {
  const emulator = process.env.BIGTABLE_EMULATOR_HOST || undefined;
  const key = `${projectId}@${emulator ?? "cloud"}`;
  let client = clients.get(key);
  if (client === undefined) {
    client = new Bigtable(
      emulator === undefined
        ? { projectId }
        : // The emulator has no use for client-side metrics (they would be exported to Cloud Monitoring),
          // and an explicit universe spares the client a probe of the GCE metadata server on first call.
          { projectId, metricsEnabled: false, universeDomain: "googleapis.com" },
    );
    clients.set(key, client);
  }
  return client;
}

/** Closes every client this process opened (their gRPC channels); the next use opens new ones. */
export async function closeBigtableClients(): Promise<void> {
  const open = [...clients.values()];
  clients.clear();
  await Promise.all(open.map((client) => client.close()));
}
