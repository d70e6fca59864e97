/**
 * bench:streaming's recording of the panes reaching its sink: element-to-pane latencies and each
 * pane's delay past its window's end, as histograms (memory stays flat). The bench reads them on its
 * own thread, so this module is declared `runsOnJobThread`: the runner keeps the recording step
 * there, whatever the number of workers (on a worker thread it would fill a copy). Kept apart from
 * the bench's other DoFns so that only this step is held to the job's thread.
 */
import type * as beam from "apache-beam";
import { requireForSerialization } from "apache-beam/serialization";
import { runsOnJobThread } from "../sdk/job_thread";

/** The histograms, filled as panes arrive. */
export interface PaneLatencies {
  elements: number;
  panes: number;
  latencies: Map<number, number>;
  delays: Map<number, number>;
}

const measured: PaneLatencies = { elements: 0, panes: 0, latencies: new Map(), delays: new Map() };

/** Records a pane as it reaches the sink: its elements' latencies and its delay past the window's end. */
export function recordPane(row: { madeAt: Record<string, number> }, context: { window: beam.ParDoLookupParam<beam.Window> }): void {
  const arrivedAt = Date.now();
  const windowEnd = (context.window.lookup() as beam.IntervalWindow).end.toNumber();
  measured.panes++;
  measured.delays.set(arrivedAt - windowEnd, (measured.delays.get(arrivedAt - windowEnd) ?? 0) + 1);
  for (const [madeAt, n] of Object.entries(row.madeAt)) {
    const latency = arrivedAt - Number(madeAt);
    measured.latencies.set(latency, (measured.latencies.get(latency) ?? 0) + n);
    measured.elements += n;
  }
}

/** What was recorded so far. */
export function paneLatencies(): PaneLatencies {
  return measured;
}

requireForSerialization("beam-ts-native/bench/pane_latencies", exports);
runsOnJobThread("beam-ts-native/bench/pane_latencies");
