import type { Runner } from "apache-beam/runners/runner";
import { directRunner as sdkDirectRunner } from "apache-beam/runners/direct_runner";

/** The runner the testing helpers use when none is given. */
export function defaultTestRunner(): Runner {
  return sdkDirectRunner();
}
