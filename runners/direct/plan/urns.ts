/**
 * The one table of the URNs the runner treats specially; everything else is a step run by an SDK
 * operator. Each is the SDK's own constant (the transform's `urn`, or `internal/urns`), or ours where
 * the SDK has none (the TestStream, built by `sdk/test_stream.ts`) — never a second spelling.
 */
import { combinePerKey, groupByKey, impulse } from "apache-beam/transforms/internal";
import { flatten } from "apache-beam/transforms/flatten";
import { parDo } from "apache-beam/transforms/pardo";
import { GLOBAL_WINDOW_MAPPING_FN_URN } from "apache-beam/internal/urns";

export { TEST_STREAM_URN } from "../../../sdk/test_stream";
export const IMPULSE: string = impulse.urn;
export const PAR_DO: string = parDo.urn;
export const FLATTEN: string = flatten.urn;
export const GROUP_BY_KEY: string = groupByKey.urn;
export const COMBINE_PER_KEY: string = combinePerKey.urn;
export const GLOBAL_WINDOW_MAPPING: string = GLOBAL_WINDOW_MAPPING_FN_URN;
