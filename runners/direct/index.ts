import type { Runner } from "apache-beam/runners/runner";
import { directRunner as sdkDirectRunner } from "apache-beam/runners/direct_runner";

/** Placeholder until the native runner lands: delegates to the SDK's direct runner. */
export function directRunner(options: object = {}): Runner {
  return sdkDirectRunner(options);
}
