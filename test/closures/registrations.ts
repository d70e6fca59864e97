import { getRegisteredModules } from "apache-beam/serialization";

/**
 * Mocha hooks that take back, after each test, the modules the test registered for serialization:
 * the SDK keeps registrations for the life of the process, and a name nothing resolves (an example
 * module compiled in memory) would fail `verifySerialization` in the suites after.
 */
export function takeBackRegistrationsAfterEach(): void {
  let before = 0;
  beforeEach(() => {
    before = getRegisteredModules().length;
  });
  afterEach(() => {
    getRegisteredModules().splice(before);
  });
}
