/**
 * Loaded before the suite (.mocharc.json): keeps the test output to what the tests say. The SDK's
 * worker logs a `Processing <descriptor> for <bundle id>` line on console.debug for every bundle it
 * runs — dozens per suite, and nothing a reader of the results can use. Every other debug line passes.
 */
const debug = console.debug.bind(console);
console.debug = (...args: unknown[]) => {
  if (args[0] === "Processing " && args[2] === "for") return;
  debug(...args);
};
