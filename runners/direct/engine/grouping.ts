/**
 * The state behind a GroupByKey or a lifted Combine: one accumulator per (window, key), emitted as a
 * pane once the input watermark passes the end of its window (the default trigger).
 *
 * A plain GroupByKey is the aggregator that appends to a list; a lifted Combine adds each input to its
 * accumulator as it arrives, so memory stays proportional to the number of keys, not of elements.
 */
import { IntervalWindow, Window, WindowedValue, KV } from "apache-beam/values";
import { PaneInfoCoder } from "apache-beam/coders/standard_coders";
import { Millis, toInstant } from "./time";
import { mergeOverlapping, windowKey, windowMaxTimestamp } from "./windows";

/** How values of one key and window are folded together. */
export interface Aggregator<A> {
  create(): A;
  add(accumulator: A, value: unknown): A;
  /** Folds accumulators of windows that merged (sessions). */
  merge(accumulators: A[]): A;
  /** The value of the emitted pane. */
  output(accumulator: A): unknown;
}

/** What a grouping needs to know about its transform. */
export interface GroupingSpec {
  /** Equal keys map to equal strings (Beam groups by encoded key). */
  keyIdentity(key: unknown): string;
  aggregator: Aggregator<unknown>;
  /** True when windows must be merged before firing (sessions). */
  mergesWindows: boolean;
}

interface Group {
  key: unknown;
  keyId: string;
  window: Window;
  windowEnd: Millis;
  accumulator: unknown;
}

export class Grouping {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly spec: GroupingSpec) {}

  /** Adds one keyed element to every window it is in. */
  add(element: WindowedValue<unknown>): void {
    const { key, value } = element.value as KV<unknown, unknown>;
    const keyId = this.spec.keyIdentity(key);
    const aggregator = this.spec.aggregator;
    for (const window of element.windows) {
      const id = windowKey(window) + "\u0000" + keyId;
      let group = this.groups.get(id);
      if (group === undefined) {
        group = { key, keyId, window, windowEnd: windowMaxTimestamp(window), accumulator: aggregator.create() };
        this.groups.set(id, group);
      }
      group.accumulator = aggregator.add(group.accumulator, value);
    }
  }

  /** The earliest output timestamp this grouping may still emit (+Infinity when empty). */
  get hold(): Millis {
    let min = Infinity;
    for (const group of this.groups.values()) if (group.windowEnd < min) min = group.windowEnd;
    return min;
  }

  get size(): number {
    return this.groups.size;
  }

  /** Removes and returns the panes of every window the watermark has passed. */
  fire(watermark: Millis): WindowedValue<unknown>[] {
    if (this.spec.mergesWindows) this.mergeWindows();
    const panes: WindowedValue<unknown>[] = [];
    for (const [id, group] of this.groups) {
      if (group.windowEnd < watermark) {
        this.groups.delete(id);
        panes.push({
          value: { key: group.key, value: this.spec.aggregator.output(group.accumulator) },
          windows: [group.window],
          timestamp: toInstant(group.windowEnd),
          pane: PaneInfoCoder.ONE_AND_ONLY_FIRING,
        });
      }
    }
    return panes;
  }

  /** Merges each key's overlapping interval windows into one group per merged window. */
  private mergeWindows(): void {
    const byKey = new Map<string, Group[]>();
    for (const group of this.groups.values()) {
      const list = byKey.get(group.keyId);
      if (list === undefined) byKey.set(group.keyId, [group]);
      else list.push(group);
    }
    for (const groups of byKey.values()) {
      if (groups.length < 2) continue;
      const { into } = mergeOverlapping(groups.map((g) => g.window as IntervalWindow));
      const mergedGroups = new Map<string, Group[]>();
      for (const g of groups) {
        const target = into.get(windowKey(g.window))!;
        const k = windowKey(target);
        (mergedGroups.get(k) ?? mergedGroups.set(k, []).get(k)!).push(g);
      }
      for (const [k, members] of mergedGroups) {
        if (members.length === 1 && windowKey(members[0].window) === k) continue;
        const window = into.get(windowKey(members[0].window))!;
        for (const m of members) this.groups.delete(windowKey(m.window) + "\u0000" + m.keyId);
        this.groups.set(k + "\u0000" + members[0].keyId, {
          key: members[0].key,
          keyId: members[0].keyId,
          window,
          windowEnd: windowMaxTimestamp(window),
          accumulator: this.spec.aggregator.merge(members.map((m) => m.accumulator)),
        });
      }
    }
  }
}
