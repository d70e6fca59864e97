/** The dead letters of a running job, counted by the step and field that rejected them, with a few samples each. */
import type { DeadLetter } from "../transforms/dead_letter";

const SAMPLES_PER_REASON = 3;
const MAX_INPUT_CHARS = 200;

/** One group of dead letters: same step, same field. */
export interface DeadLetterReason {
  step: string;
  /** The offending field, or undefined where the whole record was at fault. */
  field?: string;
  count: number;
  /** The first few, as received: why, from where, and the input (truncated). */
  samples: { reason: string; origin?: string; input: string }[];
}

/** Counts the dead letters it is shown. */
export class DeadLetterWatch {
  private readonly reasons = new Map<string, DeadLetterReason>();
  private total = 0;

  /** Takes one dead letter into account. */
  add(letter: DeadLetter): void {
    this.total++;
    const key = `${letter.step}\u0000${letter.field ?? ""}`;
    let group = this.reasons.get(key);
    if (group === undefined) {
      group = { step: letter.step, field: letter.field, count: 0, samples: [] };
      this.reasons.set(key, group);
    }
    group.count++;
    if (group.samples.length < SAMPLES_PER_REASON) {
      const input = letter.input.length > MAX_INPUT_CHARS ? `${letter.input.slice(0, MAX_INPUT_CHARS)}…` : letter.input;
      group.samples.push({ reason: letter.reason, origin: letter.origin, input });
    }
  }

  /** Every dead letter so far, and the groups, largest first. */
  view(): { total: number; reasons: DeadLetterReason[] } {
    return { total: this.total, reasons: [...this.reasons.values()].sort((a, b) => b.count - a.count) };
  }
}
