/**
 * Metrics a bundle ran elsewhere (another process or thread) reported as MonitoringInfos, added into
 * the job's MetricsContainer, so `counters()` and `distributions()` read as if the steps had run here.
 */
import type { MonitoringInfo } from "apache-beam/proto/metrics";
import { MetricsContainer } from "apache-beam/worker/metrics";

/** The user metrics of the SDK's MetricsContainer (what it can load from a payload). */
const USER_METRIC_URNS = new Set(["beam:metric:user:sum_int64:v1", "beam:metric:user:distribution_int64:v1"]);

interface MergeableCell {
  is_set: boolean;
  value: { loadFromPayload(payload: Uint8Array): void; merge(other: unknown): void };
}

/** Adds each user metric of `infos` to the same metric (transform, name) in `into`. */
export function mergeMonitoringInfos(into: MetricsContainer, infos: readonly MonitoringInfo[]): void {
  const scratch = new MetricsContainer();
  for (const info of infos) {
    if (!USER_METRIC_URNS.has(info.urn)) continue;
    const spec = { metricType: info.urn, name: info.labels.NAME };
    const transformId = info.labels.TRANSFORM ?? info.labels.PTRANSFORM;
    const reported = scratch.getMetric(transformId, undefined, spec) as unknown as MergeableCell;
    reported.value.loadFromPayload(info.payload);
    const cell = into.getMetric(transformId, undefined, spec) as unknown as MergeableCell;
    cell.value.merge(reported.value);
    cell.is_set = true;
    scratch.reset();
  }
}
