/**
 * Unary pulls from one subscription, several on the wire at once, so that the subscription's next
 * messages are already on their way while the ones before are processed. A pull that brings
 * messages is followed by the next at once — not when the reader next asks, which a busy reader
 * does late, leaving the server idle — until {@link MAX_BUFFERED} messages wait unread. A pull that
 * comes back empty is not: the next one waits for the reader (no spinning on an idle subscription).
 *
 * Against the Pub/Sub emulator (2 cores, 200-byte messages; it answers at most 100 messages a pull
 * whatever is asked) pulls with acknowledgements, measured: 1 in flight ≈ 12 000 msg/s, 2 ≈ 14 000,
 * 4 ≈ 20 000–26 000, 8 ≈ 15 000 (it starts to thrash); the high-level client's streaming pull
 * 1 900–3 800. Hence unary pulls, {@link PULLS_IN_FLIGHT} of them — for a reader that asks as soon
 * as it has handled what it took.
 *
 * A reader that is busy for long stretches (a pipeline running a bundle of a thousand messages,
 * synchronously, for tens of milliseconds) leaves the answers of the pulls on the wire waiting in our
 * socket, and the server idle, until it asks again: with 4 pulls of 100 the streaming pipeline read
 * 4 000–5 000 msg/s from a full subscription with this process, the emulator and Bigtable together
 * using under one of the two cores. So the depth adapts: when every pull on the wire has come back
 * with messages before the reader asked again, the reader is the slow side and the server waited on
 * it — more pulls go out (up to {@link MAX_PULLS_IN_FLIGHT}, and never more messages asked for than
 * {@link MAX_BUFFERED}); when at most one had, the depth falls back towards {@link PULLS_IN_FLIGHT}.
 * Measured, the same pipeline at 10 in flight: 6 500–8 400 msg/s (against 4 000–5 200 at 4, the
 * machine loaded alike).
 *
 * The emulator's own limit, measured (1 pull at a time, 200-byte messages, the machine at load 8–10):
 * while no message is outstanding a pull answers in 1–6 ms whatever the backlog, but once any is
 * (pulled, not yet acknowledged: 100 or 1 000 alike) each pull costs time in proportion to the
 * messages the subscription holds — 40–50 ms at 300 000, 160–290 ms at 1 200 000 — and concurrent
 * pulls wait on each other (4 at a time: 300–450 msg/s at 1 200 000). Why, read in its code
 * (cloud-pubsub-emulator 0.8.20, `MessageBacklog`): every pull, and a timer every second, first looks
 * for expired leases, and while any message is delivered and unacknowledged that rebuilds the set of
 * undelivered messages — the whole backlog — under the subscription's lock. A reader that
 * acknowledges only after its writes always has messages outstanding, so against the emulator its
 * reading rate fell as the backlog grew: an overload that built a backlog of a million read a few
 * hundred messages a second. The service has no such cost.
 *
 * Hence the gate (./pull_gate.ts), from measurements, not from the server's name: pulls sent while
 * nothing is outstanding are timed apart from the others; when the others are several times slower
 * and a lock-step cycle costs less, each pull waits (at most a second) until the reader's leases
 * (./leases.ts) have every message acknowledged, and goes alone. Measured (bench/pull_gate.ts, a
 * reader acknowledging 20 ms after each read, machine at load 7): from 1 000 000 messages 3 624
 * msg/s gated against 269 overlapped; from 300 000, 3 499 against 2 794. In a pipeline the cycle is
 * its write and commit, so the runner commits at once while the source awaits it
 * (`StreamSource.awaitingCommit`), and sinks stop lingering when no bundle comes meanwhile.
 * While the gate waits on acknowledgements, next() returns empty after {@link GATE_SLICE_MS}
 * ({@link holdingBack}): that says nothing about the subscription, which stays "not empty".
 * Not gated, no more pulls go on the wire than would all answer within their timeout if
 * served one after the other, two before one has been timed: at a million messages four overlapped
 * pulls timed out, and what the emulator had handed them stayed outstanding for an ack deadline,
 * making every pull slow — clear ones too — for a minute.
 *
 * An unreachable service (UNAVAILABLE…) is retried by the client within each pull; a pull still
 * failing at its timeout comes back empty (DEADLINE_EXCEEDED, or CANCELLED when the client's timer
 * fired first), and the next one starts: an outage pauses the reading, it does not fail the job
 * (test/pipelines/pubsub_outage.test.ts). Any other failure does.
 */
import type { v1, protos } from "@google-cloud/pubsub";
import { PullGate, type PullGateStats } from "./pull_gate";
import { publishTimeOf } from "./publish_time";

type ReceivedMessage = protos.google.pubsub.v1.IReceivedMessage;

/** What the pulls have done so far (cumulative: a reader derives rates from two readings), and what the gate measured. */
export interface PullStats extends PullGateStats {
  /** Pulls that came back (answered, timed out or failed). */
  pulls: number;
  /** Messages they brought. */
  pulledMessages: number;
  /** Pulls answered with no message. */
  emptyPulls: number;
  /** Pulls that got no answer within their timeout. */
  timedOutPulls: number;
  /** Time the pulls spent on the wire, added up (ms). */
  pullMs: number;
  /** Pulls on the wire now. */
  pullsInFlight: number;
  /** Pulls it keeps on the wire now (see the module comment). */
  pullDepth: number;
  /** Messages arrived and not yet taken by the reader. */
  unreadMessages: number;
}

/** Pulls on the wire at once for a reader that keeps up (see the module comment). */
export const PULLS_IN_FLIGHT = 4;
/** Pulls on the wire at most, for a reader busy for long stretches (see the module comment). */
export const MAX_PULLS_IN_FLIGHT = 16;
/** Unread messages past which no pull is started until the reader takes them. */
export const MAX_BUFFERED = 2_000;
/**
 * The messages pulled and not yet acknowledged, as the reader's leases count them (./leases.ts):
 * what the pull gate waits on.
 */
export interface Outstanding {
  /** Messages handed to the reader and not yet acknowledged (acknowledgements on their way included). */
  readonly outstanding: number;
  /** Resolves once none is (at once if none is now), or after `maxWaitMs`. */
  whenNoneOutstanding(maxWaitMs: number): Promise<void>;
}

/**
 * How long next() waits, at most, while the gate waits for acknowledgements rather than for a pull:
 * the reader's caller gets control back that soon, for its commits may be what those
 * acknowledgements wait on (a runner's checkpoint, due while it waits on this source).
 */
const GATE_SLICE_MS = 20;
/** Messages asked for per pull (the emulator sends at most 100; the service up to 1 000). */
const PULL_BATCH = 1_000;
/**
 * The longest a pull waits on an empty subscription before it comes back empty. Pulls are never cut
 * shorter: messages the server hands to a pull the client has given up on are lost to this reader
 * until their ack deadline passes (a minute, typically), so a waiting caller stops waiting instead.
 * Not shorter than this either: under load the emulator took over 500 ms to answer pulls, and pulls
 * of 500 ms left hundreds of messages hidden for their ack deadline. Longer — up to
 * {@link MAX_PULL_TIMEOUT_MS}, four times the slowest recent pull — when pulls that bring messages
 * are measured slow: on a backlog of a million, at load 14, the emulator's pulls took 300 ms to 2 s,
 * and each that timed out left what it was handed outstanding for a minute, every pull slower for it.
 */
const PULL_TIMEOUT_MS = 2_000;
/** The longest timeout a pull is given, however slow the pulls before it (see {@link PULL_TIMEOUT_MS}). */
const MAX_PULL_TIMEOUT_MS = 10_000;
/** What `late` (see settle()) waits past the longest pull timeout, for the last answers to be handled. */
const LATE_MARGIN_MS = 300;

export class PubSubPuller {
  private readonly inFlight = new Set<Promise<void>>();
  private arrived: ReceivedMessage[] = [];
  /** Pulls kept on the wire now, from {@link PULLS_IN_FLIGHT} to {@link MAX_PULLS_IN_FLIGHT} (see the module comment). */
  private pullDepth = PULLS_IN_FLIGHT;
  /** When the last pull got no answer: the server may have handed it messages, hidden from us for their ack deadline. */
  private lastUnansweredAt = -Infinity;
  /** Pulls that came back with messages since the reader last took what had arrived. */
  private answeredUnread = 0;
  /** The most messages one pull has brought (what the server answers a pull with: 100 on the emulator). */
  private largestPull = 0;
  private failure: Error | undefined;
  private stopped = false;
  /** Whether pulls wait for nothing to be outstanding (see ./pull_gate.ts). */
  private readonly gate = new PullGate();
  /** The next pull is to go alone, once nothing is outstanding (gated, or a probe). */
  private clearPullWanted = false;
  /** A pull held back until the outstanding messages are acknowledged, or the gate's wait bound has passed. */
  private heldBack: Promise<void> | undefined;
  private readonly counts = { pulls: 0, pulledMessages: 0, emptyPulls: 0, timedOutPulls: 0, pullMs: 0 };
  /**
   * Since when every pull has come back answered and empty (the emulator and the service answer an
   * empty subscription with an empty response before the deadline); undefined once one brought
   * messages or timed out — a pull that gets no answer says nothing about the subscription.
   */
  private answeredEmptySince: number | undefined;

  constructor(
    private readonly client: v1.SubscriberClient,
    private readonly subscription: string,
    /** The subscription's ack deadline (ms): how long messages handed to a pull that got no answer stay hidden. */
    private readonly ackDeadlineMs = 60_000,
    /** The reader's count of what it has not acknowledged; without it pulls always overlap (no gate). */
    private readonly outstanding?: Outstanding,
  ) {}

  /**
   * What has arrived since the last call, after waiting — for the next pull to come back, but not past
   * processing time `deadline` — if nothing had; an empty array means nothing came (no backlog).
   * Keeps {@link PULLS_IN_FLIGHT} pulls on the wire (one, after the acknowledgements, while gated).
   * While the gate holds a pull back it returns after {@link GATE_SLICE_MS} at most ({@link holdingBack}
   * then says why it brought nothing). Rejects with the first pull that failed for any reason but an
   * empty subscription.
   */
  async next(deadline: number): Promise<ReceivedMessage[]> {
    this.adaptDepth();
    this.refill();
    const until = Math.min(deadline, Date.now() + PULL_TIMEOUT_MS);
    while (this.arrived.length === 0 && this.failure === undefined) {
      const onAcks = this.inFlight.size === 0 && this.heldBack !== undefined;
      const waitingOn = onAcks ? [this.heldBack!] : [...this.inFlight];
      const answered = await within(Promise.race(waitingOn), Math.min(until, onAcks ? Date.now() + GATE_SLICE_MS : until) - Date.now(), true);
      // A pull came back (with messages or not), the time is up, or the gate held on: as far as this call waits.
      if (!answered || !onAcks) break;
    }
    if (this.failure !== undefined) throw this.failure;
    this.answeredUnread = 0;
    return this.arrived.splice(0);
  }

  /** How many pulls it keeps on the wire now (see the module comment). */
  get depth(): number {
    return this.pullDepth;
  }

  /** Whether the gate is holding the next pull back for acknowledgements (nothing is on the wire): an empty next() says nothing about the subscription. */
  get holdingBack(): boolean {
    return this.heldBack !== undefined && this.inFlight.size === 0;
  }

  /** What the pulls have done so far. */
  get stats(): PullStats {
    return { ...this.counts, pullsInFlight: this.inFlight.size, pullDepth: this.pullDepth, unreadMessages: this.arrived.length, ...this.gate.stats };
  }

  /**
   * Since when the subscription has been known empty (nothing unread here either), or undefined. Not
   * before an ack deadline has passed since the last pull that got no answer: what the server handed
   * that pull is hidden until then, and empty answers meanwhile do not mean an empty subscription.
   */
  emptySince(): number | undefined {
    if (this.arrived.length > 0 || this.answeredEmptySince === undefined) return undefined;
    const since = Math.max(this.answeredEmptySince, this.lastUnansweredAt + this.ackDeadlineMs);
    return since <= Date.now() ? since : undefined;
  }

  /**
   * Whether every pull since the last one that brought messages came back answered and empty (nothing
   * unread here either): the backlog is gone as far as the server says — for figures; an idle stop
   * waits for {@link emptySince}, which also waits out what a pull that got no answer may hide.
   */
  get answeredEmpty(): boolean {
    return this.answeredEmptySince !== undefined && this.arrived.length === 0;
  }

  /** Starts no more pulls (those on the wire still come back). */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Starts no more pulls and returns every message still unread, with `late`: what the pulls still on
   * the wire bring after all (messages published meanwhile), once they are all back — at most
   * {@link MAX_PULL_TIMEOUT_MS} after this call plus a margin, never rejecting. The caller hands those
   * back before closing the client: left unread, they would stay hidden until their ack deadline.
   * Waiting for them costs a process nothing it did not already pay: a pull on the wire keeps it alive
   * until it comes back anyway (`npm run pipeline` exited 0.7 s after its summary with and without
   * this, on the emulator). Cancelling those pulls would end it at once (40 ms) but loses their
   * messages: the emulator still hands messages to a pull its client has cancelled, and they stay
   * hidden. Nothing here waits for them: a job ends without them (they are handed back as they come),
   * where waiting 300 ms for the pulls to come back — those on an empty subscription wait out their
   * timeout — was 7–10% of a 50 000-message benchmark run.
   */
  async settle(): Promise<{ unread: ReceivedMessage[]; late: Promise<ReceivedMessage[]> }> {
    this.stop();
    const unread = this.arrived.splice(0);
    const late = this.inFlight.size === 0 ? Promise.resolve([]) : within(Promise.all(this.inFlight), MAX_PULL_TIMEOUT_MS + LATE_MARGIN_MS).then(() => this.arrived.splice(0));
    return { unread, late };
  }

  /**
   * The reader asks again: deeper if every pull kept on the wire came back with messages meanwhile
   * (the server waited on the reader), back towards {@link PULLS_IN_FLIGHT} if at most one did.
   */
  private adaptDepth(): void {
    if (this.answeredUnread >= this.pullDepth) this.pullDepth = Math.min(MAX_PULLS_IN_FLIGHT, this.pullDepth * 2);
    else if (this.answeredUnread <= 1) this.pullDepth = Math.max(PULLS_IN_FLIGHT, this.pullDepth - 1);
  }

  private refill(): void {
    if (this.stopped || this.heldBack !== undefined) return;
    const wireIdle = this.inFlight.size === 0 && this.arrived.length === 0;
    // Gated, the gate is asked only when a pull could go (a probe it grants is not lost to a busy wire).
    if (this.outstanding !== undefined && !this.clearPullWanted && (wireIdle || !this.gate.gating) && this.gate.waitsForAcks(Date.now())) {
      this.clearPullWanted = true;
    }
    if (this.clearPullWanted) {
      // No other pull goes out meanwhile: the clear one goes alone once the wire is idle and the acknowledgements are in.
      if (wireIdle) this.pullWhenAcknowledged();
      return;
    }
    if (this.gate.gating) {
      // The gate's overlapped probe: one pull, with whatever is outstanding.
      if (wireIdle) this.startPull();
      return;
    }
    // The usual pulls as before (none once MAX_BUFFERED wait unread); one past them only while the
    // messages unread and on their way (a pull's worth each) stay within MAX_BUFFERED.
    const perPull = Math.max(1, this.largestPull);
    // Slow pulls may be served one after the other (the emulator's are): no more on the wire than
    // would all be answered within their timeout — one that is not leaves what the server handed it
    // outstanding for an ack deadline. Before one is timed (with a gate), two: one clear, one overlapped.
    const overlappedMs = this.gate.overlappedWallMs;
    const depth =
      overlappedMs > 0
        ? Math.min(this.pullDepth, Math.max(1, Math.floor(this.pullTimeoutMs() / (2 * overlappedMs))))
        : this.outstanding !== undefined && Number.isNaN(overlappedMs)
          ? Math.min(2, this.pullDepth)
          : this.pullDepth;
    while (
      !this.stopped &&
      this.inFlight.size < depth &&
      this.arrived.length < MAX_BUFFERED &&
      (this.inFlight.size < PULLS_IN_FLIGHT || this.arrived.length + (this.inFlight.size + 1) * perPull <= MAX_BUFFERED)
    ) {
      this.startPull();
    }
  }

  /**
   * Sends the next pull once nothing is outstanding, or once the gate's wait bound has passed: the wait
   * is bounded, a reader whose acknowledgements never come (a window holding its messages) still reads.
   */
  private pullWhenAcknowledged(): void {
    this.clearPullWanted = false;
    const since = Date.now();
    this.heldBack = this.outstanding!.whenNoneOutstanding(this.gate.waitBoundMs()).then(() => {
      this.heldBack = undefined;
      this.gate.sentAfterWait(Date.now() - since, this.outstanding!.outstanding > 0);
      if (!this.stopped) this.startPull();
    });
  }

  /** The timeout of the next pull: {@link PULL_TIMEOUT_MS}, longer while pulls are measured slow. */
  private pullTimeoutMs(): number {
    const slowest = Math.max(0, ...[this.gate.clearWallMs, this.gate.overlappedWallMs].filter((ms) => !Number.isNaN(ms)));
    return Math.min(MAX_PULL_TIMEOUT_MS, Math.max(PULL_TIMEOUT_MS, 4 * slowest));
  }

  private startPull(): void {
    let brought = 0;
    const sentAt = Date.now();
    const idleAtSend = idleMs();
    // Clear: nothing outstanding and nothing else on the wire (see ./pull_gate.ts).
    const clear = this.outstanding !== undefined && this.outstanding.outstanding === 0 && this.arrived.length === 0 && this.inFlight.size === 0;
    // Sent with nothing known to wait (no message pulled yet, or the last answers were empty): it may
    // wait for the publisher, which times the stream, not the server. A job's first pull, sent before
    // its stream starts, was timed as the clear one (tens to hundreds of ms): one such figure made
    // overlapped pulls look fast against clear ones.
    const blind = this.counts.pulledMessages === 0 || this.answeredEmptySince !== undefined;
    // The gate weighs the server's time (see serverMs); waits and timeouts, the wall clock's.
    const timeServer = () => {
      const wallMs = Date.now() - sentAt;
      this.gate.answered(serverMs(wallMs, idleAtSend), clear, wallMs);
    };
    const pull: Promise<void> = this.client
      .pull({ subscription: this.subscription, maxMessages: PULL_BATCH }, { timeout: this.pullTimeoutMs() })
      .then(
        ([response]) => {
          const received = response.receivedMessages ?? [];
          for (const message of received) this.arrived.push(message);
          brought = received.length;
          this.counts.pulledMessages += brought;
          if (brought > 0) this.answeredUnread++;
          else this.counts.emptyPulls++;
          // Only a pull answered from what was already there times the server: one that brought less
          // than a full pull found the subscription drained, and a full one holding a message
          // published after it was sent waited for that publish too — both a live stream, not a
          // backlog. And what is timed is the server's time, not ours: see serverMs.
          const fromBacklog = brought > 0 && brought >= this.largestPull && !publishedAfter(received, sentAt);
          if (!blind && fromBacklog) timeServer();
          if (brought > this.largestPull) this.largestPull = brought;
          this.answeredEmptySince = brought > 0 ? undefined : (this.answeredEmptySince ?? Date.now());
        },
        (error: Error) => {
          this.answeredEmptySince = undefined;
          this.lastUnansweredAt = Date.now();
          if (isTimeout(error)) {
            this.counts.timedOutPulls++;
            // At least that slow. (Seen on a backlog of a million, four overlapped pulls waiting on each
            // other: those that time out leave what the server handed them outstanding for an ack
            // deadline, and every pull slow meanwhile — clear ones too.) Timed as an answer is, and a
            // blind one not at all: it may have waited for messages that never came (a 2.1 s timeout
            // counted so had made a busy reader's overlapped pulls look slow on a loaded CI machine).
            if (!blind) timeServer();
            return;
          }
          this.failure ??= new Error(`Pub/Sub pull from ${this.subscription} failed: ${error.message}`, { cause: error });
        },
      )
      .finally(() => {
        this.counts.pulls++;
        this.counts.pullMs += Date.now() - sentAt;
        this.inFlight.delete(pull);
        if (brought > 0) this.refill();
      });
    this.inFlight.add(pull);
  }
}

/**
 * Whether one of `received` was published after `sentAt` (epoch ms): the pull then waited for the
 * publisher. On a steady stream of ~6,000 msg/s with 4 pulls on the wire, each full pull of 100 waited
 * ~17 ms for every other one's messages to be published, so overlapped pulls measured 30–190 ms
 * against 1 ms for a clear one (sent after a wait, onto what had piled up meanwhile), and the gate
 * went into lock-step mid-stream: publish → row p50 ~100 ms → ~400 ms (bench:e2e's steady phase).
 * The publish times are the server's clock; where it runs ahead of ours a pull goes untimed, which
 * only leaves the gate fewer samples to engage on.
 */
function publishedAfter(received: readonly protos.google.pubsub.v1.IReceivedMessage[], sentAt: number): boolean {
  for (const { message } of received) if (message != null && publishTimeOf(message) > sentAt) return true;
  return false;
}

/** Milliseconds this thread's event loop has spent waiting for I/O so far. */
function idleMs(): number {
  return performance.eventLoopUtilization().idle;
}

/**
 * How long a pull answered after `latencyMs` on the wire kept us waiting: the time this thread's
 * event loop sat idle meanwhile (it was idle at `idleAtSend`). An answer that came while the thread
 * was busy — a bundle running, a collection — waits in the socket until the thread is free, and the
 * wall-clock latency counts our own work as the server's: in the streaming pipeline every pull sent
 * during a bundle looked slow (overlapped pulls measured 160 ms–1.1 s against 3–10 ms clear ones, on
 * an emulator answering both in milliseconds, GC pauses of 50–100 ms and a start-up stall of 700 ms
 * counted in), and the gate went into lock-step at half the rate the pipeline sustains overlapped,
 * its latency at a steady rate seconds instead of milliseconds. The idle time is a lower bound of the
 * server's time, and equals it for a reader that waits on the pull — as one does on a slow server.
 */
function serverMs(latencyMs: number, idleAtSend: number): number {
  return Math.min(latencyMs, Math.max(0, idleMs() - idleAtSend));
}

/**
 * Waits for `work` (which never rejects), but not past `ms`; true if it was done in time. The timer
 * keeps the process alive only when `keepsAlive` (a reader waiting for its next messages).
 */
async function within(work: Promise<unknown>, ms: number, keepsAlive = false): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
    if (!keepsAlive) timer.unref();
  });
  const done = await Promise.race([work.then(() => true), waited]);
  clearTimeout(timer);
  return done;
}

function isTimeout(error: unknown): boolean {
  const code = (error as { code?: number }).code;
  // DEADLINE_EXCEEDED: the pull's own timeout (an outage the client retried through, or a slow server).
  // CANCELLED: the same timeout enforced by the client library's own timer, which on a starved event
  // loop fires first (seen under a 3× overload on a machine at load 17: it had failed the job).
  return code === 4 || code === 1;
}
