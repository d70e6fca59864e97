/**
 * Elements waiting for a stage, oldest first, with the minimum timestamp they hold back and the
 * minimum durability hold they carry (see Engine: the event time of the oldest source input any of
 * them derives from, which must not be acknowledged until they are processed).
 *
 * Both holds are exact at every moment, not only once the queue empties: a live source reads ahead
 * while bundles run, so its queue may never be empty, and a hold stuck at its oldest element would
 * stop the watermark and every acknowledgement. Elements leave in the order they came, so each hold
 * is a sliding-window minimum: a deque of the candidates, increasing, each pushed and popped once.
 */
import type { WindowedValue } from "apache-beam/values";
import { Millis, toMillis } from "../../../sdk/time";

export class ElementQueue {
  private items: WindowedValue<unknown>[] = [];
  /** Index in `items` of the next element to take. */
  private head = 0;
  /** Elements taken since the start, minus those cut off `items` (so `head + dropped` is a sequence number). */
  private dropped = 0;
  private readonly timestamps = new SlidingMinimum();
  private readonly durabilities = new SlidingMinimum();

  get size(): number {
    return this.items.length - this.head;
  }

  /** The earliest timestamp of any element still queued (+Infinity when empty). */
  get hold(): Millis {
    return this.timestamps.minimum;
  }

  /** The lowest durability hold of anything still queued (+Infinity when empty). */
  get durabilityHold(): Millis {
    return this.durabilities.minimum;
  }

  /** Queues `element`, derived from source input no older than `durability` (default: its own timestamp). */
  push(element: WindowedValue<unknown>, durability: Millis = Infinity): void {
    const t = toMillis(element.timestamp);
    const sequence = this.dropped + this.items.length;
    this.timestamps.push(t, sequence);
    this.durabilities.push(t < durability ? t : durability, sequence);
    this.items.push(element);
  }

  /** The next element without removing it. */
  peek(): WindowedValue<unknown> | undefined {
    return this.items[this.head];
  }

  /** Removes and returns up to `max` elements that satisfy `ready`, stopping at the first that does not. */
  take(max: number, ready?: (element: WindowedValue<unknown>) => boolean): WindowedValue<unknown>[] {
    const out: WindowedValue<unknown>[] = [];
    const items = this.items;
    while (out.length < max && this.head < items.length && (ready === undefined || ready(items[this.head]))) {
      out.push(items[this.head]);
      // A queue a source reads ahead into never empties: what was taken must not stay reachable
      // from here until the next compaction (it would outlive the young generation, costing GC).
      items[this.head++] = undefined as unknown as WindowedValue<unknown>;
    }
    const nextSequence = this.dropped + this.head;
    this.timestamps.dropBefore(nextSequence);
    this.durabilities.dropBefore(nextSequence);
    if (this.head === items.length || (this.head > 4096 && this.head * 2 > items.length)) {
      this.items = this.items.slice(this.head);
      this.dropped += this.head;
      this.head = 0;
    }
    return out;
  }
}

/**
 * The minimum of a first-in first-out window of values: candidates in increasing order with their
 * sequence numbers; a value is never a candidate while a smaller one came after it.
 */
class SlidingMinimum {
  private values: Millis[] = [];
  private sequences: number[] = [];
  private first = 0;

  get minimum(): Millis {
    return this.first < this.values.length ? this.values[this.first] : Infinity;
  }

  push(value: Millis, sequence: number): void {
    const last = this.values.length - 1;
    // Equal to the newest candidate (a batch of one timestamp, the usual case): that candidate now
    // lasts as long as this element does.
    if (last >= this.first && this.values[last] === value) {
      this.sequences[last] = sequence;
      return;
    }
    while (this.values.length > this.first && this.values[this.values.length - 1] >= value) {
      this.values.pop();
      this.sequences.pop();
    }
    this.values.push(value);
    this.sequences.push(sequence);
  }

  /** Forgets the values of sequence numbers below `sequence` (they left the queue). */
  dropBefore(sequence: number): void {
    while (this.first < this.values.length && this.sequences[this.first] < sequence) this.first++;
    if (this.first === this.values.length || (this.first > 4096 && this.first * 2 > this.values.length)) {
      this.values = this.values.slice(this.first);
      this.sequences = this.sequences.slice(this.first);
      this.first = 0;
    }
  }
}
