/**
 * Metrics of bundles run on a worker thread: the worker's MetricsContainer is read and reset after
 * each bundle, its cells travel as plain data, and the main thread merges them into the job's
 * container, so `counters()` and `distributions()` read the same whatever the number of workers.
 */
import { MetricsContainer } from "apache-beam/worker/metrics";

/** One metric cell as it crosses threads. */
export interface MetricUpdate {
  metricType: string;
  name?: string;
  transformId?: string;
  pcollectionId?: string;
  payload: Uint8Array;
}

interface Cell {
  is_set: boolean;
  name?: string;
  transformId?: string;
  pcollectionId?: string;
  value: { payload(): Uint8Array; loadFromPayload(payload: Uint8Array): void; merge(other: unknown): void; reset(): void; toEmptyMonitoringInfo(): { urn: string } };
  reset(): void;
}

// The container keeps its cells in a private map; its monitoring infos drop the metric type we need to merge.
const cellsOf = (container: MetricsContainer) => (container as unknown as { metrics: Map<string, Cell> }).metrics.values();

// A cell's monitoring-info URN names its metric type, except the element count's.
const metricTypeOf = (urn: string) => (urn === "beam:metric:element_count:v1" ? "beam:metric:user:element_count:v1" : urn);

/** What changed in `container` since the last call, which resets it. */
export function takeMetricUpdates(container: MetricsContainer): MetricUpdate[] {
  const updates: MetricUpdate[] = [];
  for (const cell of cellsOf(container)) {
    if (!cell.is_set) continue;
    updates.push({
      metricType: metricTypeOf(cell.value.toEmptyMonitoringInfo().urn),
      name: cell.name,
      transformId: cell.transformId,
      pcollectionId: cell.pcollectionId,
      payload: cell.value.payload(),
    });
    cell.value.reset();
    cell.reset();
  }
  return updates;
}

/** Adds a worker's updates into the job's container. */
export function mergeMetricUpdates(container: MetricsContainer, updates: readonly MetricUpdate[]): void {
  const scratch = new MetricsContainer();
  for (const { metricType, name, transformId, pcollectionId, payload } of updates) {
    const spec = { metricType, name } as never;
    const incoming = scratch.getMetric(transformId, pcollectionId, spec) as unknown as Cell;
    incoming.value.loadFromPayload(payload);
    const target = container.getMetric(transformId, pcollectionId, spec) as unknown as Cell;
    target.value.merge(incoming.value);
    target.is_set = true;
  }
}
