/**
 * Elements waiting for a stage, oldest first, with the minimum timestamp they hold back and the
 * minimum durability hold they carry (see Engine: the event time of the oldest source input any of
 * them derives from, which must not be acknowledged until they are processed).
 * Both holds are conservative: they only reset when the queue empties, which never lets a watermark
 * pass an element still waiting here.
 */
import type { WindowedValue } from "apache-beam/values";
import { Millis, toMillis } from "./time";

export class ElementQueue {
  private items: WindowedValue<unknown>[] = [];
  private head = 0;
  private minTimestamp: Millis = Infinity;
  private minDurability: Millis = Infinity;

  get size(): number {
    return this.items.length - this.head;
  }

  /** The earliest timestamp of any element still queued (+Infinity when empty). */
  get hold(): Millis {
    return this.size === 0 ? Infinity : this.minTimestamp;
  }

  /** The lowest durability hold of anything still queued (+Infinity when empty). */
  get durabilityHold(): Millis {
    return this.size === 0 ? Infinity : this.minDurability;
  }

  /** Queues `element`, derived from source input no older than `durability` (default: its own timestamp). */
  push(element: WindowedValue<unknown>, durability: Millis = Infinity): void {
    const t = toMillis(element.timestamp);
    if (t < this.minTimestamp) this.minTimestamp = t;
    const d = t < durability ? t : durability;
    if (d < this.minDurability) this.minDurability = d;
    this.items.push(element);
  }

  /** The next element without removing it. */
  peek(): WindowedValue<unknown> | undefined {
    return this.items[this.head];
  }

  /** Removes and returns up to `max` elements that satisfy `ready`, stopping at the first that does not. */
  take(max: number, ready: (element: WindowedValue<unknown>) => boolean = () => true): WindowedValue<unknown>[] {
    const out: WindowedValue<unknown>[] = [];
    while (out.length < max && this.head < this.items.length && ready(this.items[this.head])) {
      out.push(this.items[this.head++]);
    }
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
      this.minTimestamp = Infinity;
      this.minDurability = Infinity;
    } else if (this.head > 65536 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }
}
