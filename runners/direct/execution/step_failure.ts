/**
 * The error a job fails with when a step throws: it names the step, shows the element (truncated)
 * and keeps the original stack, so the user can find the bug without a debugger.
 */
import { inspect } from "util";

const MAX_ELEMENT_CHARS = 500;

export class StepFailure extends Error {
  constructor(
    readonly step: string,
    readonly element: unknown,
    readonly original: unknown,
    readonly phase = "processing",
  ) {
    const cause = original instanceof Error ? original : new Error(String(original));
    const shown = element === undefined ? "" : ` on element ${truncate(inspect(element, { depth: 4, breakLength: Infinity }))}`;
    super(`step '${step}' failed ${phase}${shown}: ${cause.message}`, { cause });
    this.name = "StepFailure";
    this.stack = `${this.name}: ${this.message}\ncaused by ${cause.stack ?? cause.message}`;
  }
}

/** Wraps `error` as a StepFailure of `step`, unless a step deeper in the stage already did. */
export function asStepFailure(error: unknown, step: string, element?: unknown, phase?: string): StepFailure {
  return error instanceof StepFailure ? error : new StepFailure(step, element, error, phase);
}

function truncate(text: string): string {
  return text.length <= MAX_ELEMENT_CHARS ? text : `${text.slice(0, MAX_ELEMENT_CHARS)}… (${text.length} chars)`;
}
