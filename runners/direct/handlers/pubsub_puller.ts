/**
 * Unary pulls from one subscription, several on the wire at once, so that the subscription's next
 * messages are already on their way while the ones before are processed.
 *
 * Against the Pub/Sub emulator (2 cores, 200-byte messages; it answers at most 100 messages a pull
 * whatever is asked) pulls with acknowledgements, measured: 1 in flight ≈ 12 000 msg/s, 2 ≈ 14 000,
 * 4 ≈ 20 000, 8 ≈ 15 000 (it starts to thrash). Hence {@link PULLS_IN_FLIGHT}.
 */
import type { v1, protos } from "@google-cloud/pubsub";

type ReceivedMessage = protos.google.pubsub.v1.IReceivedMessage;

/** Pulls on the wire at once (see the module comment). */
export const PULLS_IN_FLIGHT = 4;
/** Messages asked for per pull (the emulator sends at most 100; the service up to 1 000). */
const PULL_BATCH = 1_000;
/**
 * The longest a pull waits on an empty subscription before it comes back empty. Pulls are never cut
 * shorter: messages the server hands to a pull the client has given up on are lost to this reader
 * until their ack deadline passes (a minute, typically), so a waiting caller stops waiting instead.
 */
const PULL_TIMEOUT_MS = 2_000;

export class PubSubPuller {
  private readonly inFlight = new Set<Promise<void>>();
  private arrived: ReceivedMessage[] = [];
  private failure: Error | undefined;

  constructor(
    private readonly client: v1.SubscriberClient,
    private readonly subscription: string,
  ) {}

  /**
   * What has arrived since the last call, after waiting — for the next pull to come back, but not past
   * processing time `deadline` — if nothing had; an empty array means nothing came (no backlog).
   * Keeps {@link PULLS_IN_FLIGHT} pulls on the wire. Rejects with the first pull that failed for any
   * reason but an empty subscription.
   */
  async next(deadline: number): Promise<ReceivedMessage[]> {
    while (this.inFlight.size < PULLS_IN_FLIGHT) this.startPull();
    if (this.arrived.length === 0 && this.failure === undefined) {
      let timer: NodeJS.Timeout | undefined;
      const deadlinePassed = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, Math.min(PULL_TIMEOUT_MS, deadline - Date.now())))));
      await Promise.race([...this.inFlight, deadlinePassed]);
      clearTimeout(timer);
    }
    if (this.failure !== undefined) throw this.failure;
    return this.arrived.splice(0);
  }

  /** Waits for the pulls on the wire to come back and returns what they (and earlier ones) brought. */
  async settle(): Promise<ReceivedMessage[]> {
    await Promise.all(this.inFlight);
    return this.arrived.splice(0);
  }

  private startPull(): void {
    const pull: Promise<void> = this.client
      .pull({ subscription: this.subscription, maxMessages: PULL_BATCH }, { timeout: PULL_TIMEOUT_MS })
      .then(
        ([response]) => {
          for (const message of response.receivedMessages ?? []) this.arrived.push(message);
        },
        (error: Error) => {
          if (isTimeout(error)) return;
          this.failure ??= new Error(`Pub/Sub pull from ${this.subscription} failed: ${error.message}`, { cause: error });
        },
      )
      .finally(() => this.inFlight.delete(pull));
    this.inFlight.add(pull);
  }
}

function isTimeout(error: unknown): boolean {
  const code = (error as { code?: number }).code;
  // DEADLINE_EXCEEDED: the pull's own timeout on an empty subscription.
  return code === 4;
}
