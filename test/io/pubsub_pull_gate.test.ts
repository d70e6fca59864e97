/**
 * The pull gate's decisions from measured latencies (io/pubsub/pull_gate.ts): it engages only when
 * overlapped pulls are several times slower than clear ones and a lock-step cycle costs less, never
 * where they cost alike (the service), probes now and then, and lets go once the slowdown is gone.
 * The gate on the wire, against the emulator: test/io/pubsub_puller.test.ts.
 */
import { expect } from "chai";
import { MAX_WAIT_MS, PROBE_INTERVAL_MS, PullGate, SLOWDOWN } from "../../io/pubsub/pull_gate";

const T0 = 1_000_000;

/** A gate that has seen `clear` clear pulls and `overlapped` overlapped ones, at those latencies. */
function gateAfter(clearMs: number, overlappedMs: number, samples = 3): PullGate {
  const gate = new PullGate(T0);
  for (let i = 0; i < samples; i++) gate.answered(overlappedMs, false);
  for (let i = 0; i < samples; i++) gate.answered(clearMs, true);
  return gate;
}

describe("io/pubsub pull gate", () => {
  it("engages when overlapped pulls are several times slower than clear ones, over enough samples", () => {
    const gate = new PullGate(T0);
    gate.answered(120, false);
    gate.answered(130, false);
    gate.answered(2, true);
    gate.answered(3, true);
    expect(gate.gating, "two samples of each are not enough").to.equal(false);
    gate.answered(140, false);
    gate.answered(2, true);
    expect(gate.gating).to.equal(true);
    expect(gate.waitsForAcks(T0 + 1)).to.equal(true);
    // Gated, the overlapped figure is the latest such pull (the probes, from now on).
    expect(gate.stats).to.include({ pullGating: 1, clearPullMs: 2, overlappedPullMs: 140, gateEngaged: 1 });
  });

  it("never engages where overlapped pulls cost what clear ones do, and stops asking for clear pulls once it knows", () => {
    expect(gateAfter(30, 30 * SLOWDOWN - 1).gating, "just under the slowdown").to.equal(false);
    const gate = gateAfter(30, 40, 5);
    expect(gate.gating).to.equal(false);
    for (let t = T0; t < T0 + 10 * PROBE_INTERVAL_MS; t += PROBE_INTERVAL_MS / 2) {
      expect(gate.waitsForAcks(t), `at ${t - T0} ms`).to.equal(false);
      gate.answered(40, false);
    }
    expect(gate.stats).to.include({ pullGating: 0, gatedPulls: 0, gateEngaged: 0 });
  });

  it("asks for clear pulls one after the other while it knows too few, once overlapped ones are known", () => {
    const gate = new PullGate(T0);
    expect(gate.waitsForAcks(T0), "no overlapped pull known yet").to.equal(false);
    for (let i = 0; i < 3; i++) gate.answered(100, false);
    expect(gate.waitsForAcks(T0 + 1)).to.equal(true);
    gate.answered(2, true);
    expect(gate.waitsForAcks(T0 + 2)).to.equal(true);
  });

  it("at a job's start, does not hold the wire for more clear pulls while overlapped ones answer as fast as the clear one known", () => {
    const gate = new PullGate(T0);
    gate.answered(60, true);
    for (let i = 0; i < 3; i++) gate.answered(40, false);
    expect(gate.waitsForAcks(T0 + 1), "overlapped pulls are not slow: no wait for the acknowledgements").to.equal(false);
    for (let i = 0; i < 3; i++) gate.answered(60 * SLOWDOWN, false);
    expect(gate.waitsForAcks(T0 + 2), "once they are slow, clear pulls one after the other").to.equal(true);
    gate.answered(2, true);
    expect(gate.waitsForAcks(T0 + 3)).to.equal(true);
  });

  it("held acknowledgements (a window keeping its messages): a clear probe waits no longer than two overlapped pulls, and one that ran out is not repeated before the probe interval", () => {
    const gate = new PullGate(T0);
    for (let i = 0; i < 3; i++) gate.answered(150, false);
    expect(gate.waitsForAcks(T0 + 1)).to.equal(true);
    expect(gate.waitBoundMs(), "bounded by what it could save").to.equal(300);
    gate.sentAfterWait(300, true);
    gate.answered(150, false);
    expect(gate.waitsForAcks(T0 + 2), "the acknowledgements did not come: not at once again").to.equal(false);
    expect(gate.waitsForAcks(T0 + PROBE_INTERVAL_MS + 2), "but at the next probe").to.equal(true);
    gate.sentAfterWait(5, false);
    gate.answered(3, true);
    expect(gate.waitsForAcks(T0 + PROBE_INTERVAL_MS + 3), "a wait that got them: the next clear pull at once").to.equal(true);
    expect(gateAfter(2, 200).waitBoundMs(), "gated: the full bound").to.equal(MAX_WAIT_MS);
  });

  it("weighs the server's time, and bounds a probe's wait by the wall-clock time overlapped pulls take the reader", () => {
    // A busy reader: its overlapped pulls took 30 ms of the server's time, 150 ms until it took their answers.
    const gate = new PullGate(T0);
    for (let i = 0; i < 3; i++) gate.answered(30, false, 150);
    expect(gate.waitsForAcks(T0 + 1)).to.equal(true);
    expect(gate.waitBoundMs()).to.equal(300);
    for (let i = 0; i < 3; i++) gate.answered(10, true, 12);
    expect(gate.gating, "30 ms against 10: not the slowdown").to.equal(false);
    expect(gate.stats).to.include({ clearPullMs: 10, overlappedPullMs: 30 });
    expect({ clear: gate.clearWallMs, overlapped: gate.overlappedWallMs }).to.deep.equal({ clear: 12, overlapped: 150 });
  });

  it("probes again when clear pulls were measured slow (a busy server), and engages once probes find them fast", () => {
    const gate = gateAfter(200, 500, 5);
    expect(gate.gating).to.equal(false);
    expect(gate.waitsForAcks(T0 + 1), "not before the probe interval").to.equal(false);
    let t = T0;
    for (let probe = 0; probe < 3; probe++) {
      t += PROBE_INTERVAL_MS;
      expect(gate.waitsForAcks(t), `probe ${probe}`).to.equal(true);
      gate.answered(5, true);
    }
    expect(gate.gating).to.equal(true);
  });

  it("stays out when a lock-step cycle (waiting for the acknowledgements, then a clear pull) costs more than an overlapped pull", () => {
    const gate = new PullGate(T0);
    for (let i = 0; i < 3; i++) gate.sentAfterWait(500);
    for (let i = 0; i < 3; i++) gate.answered(200, false);
    for (let i = 0; i < 3; i++) gate.answered(2, true);
    expect(gate.gating).to.equal(false);
    expect(gate.stats.ackWaitMs).to.equal(500);
  });

  it("gated, lets one overlapped pull through per probe interval, and lets go once it is no longer slow", () => {
    const gate = gateAfter(2, 150);
    expect(gate.gating).to.equal(true);
    expect(gate.waitsForAcks(T0 + PROBE_INTERVAL_MS - 1)).to.equal(true);
    expect(gate.waitsForAcks(T0 + PROBE_INTERVAL_MS), "the probe").to.equal(false);
    expect(gate.waitsForAcks(T0 + PROBE_INTERVAL_MS + 1), "one probe per interval").to.equal(true);
    gate.answered(160, false);
    expect(gate.gating, "still slow").to.equal(true);
    expect(gate.waitsForAcks(T0 + 2 * PROBE_INTERVAL_MS)).to.equal(false);
    gate.answered(5, false);
    expect(gate.gating, "the slowdown is gone").to.equal(false);
    expect(gate.stats).to.include({ pullGating: 0, gateEngaged: 1 });
  });
});
