import type { Runner } from "apache-beam/runners/runner";
import { directRunner } from "../runners/direct";

/** The runner the testing helpers use when none is given: this project's direct runner. */
export function defaultTestRunner(): Runner {
  return directRunner();
}
