/**
 * A destination for sink tests that is slow on purpose and records what reached it and how many
 * writes overlapped. Registered for serialization, so the write function the runner rebuilds calls
 * into this very module.
 */
import { requireForSerialization } from "apache-beam/serialization";
import { runsOnJobThread } from "../../sdk/job_thread";

interface Recording {
  written: number[];
  inFlight: number;
  peakInFlight: number;
  writes: number;
}

const recordings = new Map<string, Recording>();
let next = 0;

/** Starts a recording; returns its id. */
export function startRecording(): string {
  const id = `recording-${next++}`;
  recordings.set(id, { written: [], inFlight: 0, peakInFlight: 0, writes: 0 });
  return id;
}

/** Writes `batch` after `delayMs`, or fails with `failWith` if given. */
export async function recordWrite(id: string, batch: number[], delayMs: number, failWith?: string): Promise<void> {
  const r = recordings.get(id)!;
  r.inFlight++;
  r.peakInFlight = Math.max(r.peakInFlight, r.inFlight);
  try {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (failWith !== undefined) throw new Error(failWith);
    r.written.push(...batch);
    r.writes++;
  } finally {
    r.inFlight--;
  }
}

/** Ends a recording and returns it. */
export function takeRecording(id: string): Recording {
  const r = recordings.get(id)!;
  recordings.delete(id);
  return r;
}

requireForSerialization("beam-ts-native/test/io/slow_destination", exports);
// What it records is read by the test on its own thread: the steps that write here run on that thread.
runsOnJobThread("beam-ts-native/test/io/slow_destination");
