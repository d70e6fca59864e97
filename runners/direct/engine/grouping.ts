/**
 * The state behind a GroupByKey or a lifted Combine: one pane per (window, key), emitted when its
 * trigger says so. The default trigger fires once when the watermark passes the end of the window;
 * other triggers (early, late, count, processing-time firings) come from the windowing strategy.
 *
 * A plain GroupByKey is the aggregator that appends to a list; a lifted Combine adds each input to its
 * accumulator as it arrives, so memory stays proportional to the number of keys, not of elements.
 *
 * Lateness: an element whose window ended more than the allowed lateness before the input watermark
 * is dropped and counted, as is one arriving after its pane's trigger finished. A pane's state is
 * dropped once the watermark passes its window's end plus the allowed lateness (a last pane is
 * emitted then if it holds data not yet emitted). Over a bounded input the watermark is the engine's
 * batch one (-Infinity until all of it is in): every element is on time and event-time panes fire
 * once all input is in, as in Dataflow's batch mode.
 */
import { IntervalWindow, Timing, Window, WindowedValue, KV, PaneInfo } from "apache-beam/values";
import type { Clock } from "../../../sdk/clock";
import type { Millis } from "../../../sdk/time";
import { toInstant } from "../../../sdk/time";
import { mergeOverlapping, windowKey, windowMaxTimestamp } from "./windows";
import type { TriggerContext, TriggerSpec, TriggerStateMachine } from "./triggers/spec";
import { triggerStateMachine } from "./triggers";
import { PaneTable } from "./pane_table";

/**
 * Width of the slots of durability holds (ms of event time) a checkpointed pane folds its
 * uncommitted contributions into: a pane keeps one accumulator per slot, not every value it took in
 * (the streaming job's minute totals held whole transactions, a second's worth of the stream, until
 * each checkpoint — garbage that lived long enough to be promoted). A checkpoint commits whole
 * slots, so its frontier is cut down to a slot boundary ({@link commitFrontier}): a message is then
 * acknowledged at most one checkpoint later.
 */
export const CONTRIBUTION_SLOT_MS = 50;

/**
 * The frontier a checkpoint commits below, given the true one: cut down to a slot boundary, so that
 * what {@link Grouping.commit} folds and what the sources are told is durable are the same messages.
 */
export function commitFrontier(frontier: Millis): Millis {
  return Math.floor(frontier / CONTRIBUTION_SLOT_MS) * CONTRIBUTION_SLOT_MS;
}

/** Contributions to a checkpointed pane not yet committed, of one slot of durability holds. */
interface SlotContributions {
  /** What they add up to. */
  accumulator: unknown;
  /** The lowest durability hold among them. */
  durability: Millis;
}

/** How values of one key and window are folded together. */
export interface Aggregator<A> {
  create(): A;
  add(accumulator: A, value: unknown): A;
  /** Folds accumulators of windows that merged (sessions). */
  merge(accumulators: A[]): A;
  /** The value of the emitted pane. */
  output(accumulator: A): unknown;
}

/** When panes fire and what they hold: a windowing strategy in the engine's terms (read by handlers/windowing_strategy.ts). */
export interface PaneWindowing {
  /** When panes fire. */
  trigger: TriggerSpec;
  /** How long after the end of a window (event time) its late data is still taken in; later data is dropped. */
  allowedLatenessMs: number;
  /** Accumulating panes repeat everything so far; discarding panes hold only what arrived since the last. */
  accumulating: boolean;
  /** Emit the on-time pane even when nothing arrived since the last (early) pane. */
  onTimeFireAlways: boolean;
  /** Emit a last pane at the end of the window's lifetime even when empty. */
  closingFireAlways: boolean;
  /** The timestamp of a pane's output: its window's last instant, or its earliest or latest element's (the engine runs only endOfWindow). */
  outputTime: "endOfWindow" | "earliestInPane" | "latestInPane";
}

/** What a grouping needs to know about its transform. */
export interface GroupingSpec {
  /** Equal keys map to equal strings (Beam groups by encoded key). */
  keyIdentity(key: unknown): string;
  aggregator: Aggregator<unknown>;
  /** True when windows must be merged before firing (sessions). */
  mergesWindows: boolean;
  windowing: PaneWindowing;
  /** How a pane's key, window and accumulator become bytes and back (the transform's coders), for checkpoints. */
  codec?: PaneCodec;
}

/** The coders of a grouping's state. */
export interface PaneCodec {
  encodeKey(key: unknown): Uint8Array;
  decodeKey(bytes: Uint8Array): unknown;
  encodeWindow(window: Window): Uint8Array;
  decodeWindow(bytes: Uint8Array): Window;
  encodeAccumulator(accumulator: unknown): Uint8Array;
  decodeAccumulator(bytes: Uint8Array): unknown;
}

/**
 * A pane as a checkpoint keeps it: what its committed contributions add up to, and where its firings
 * stand (base64 of the codec's bytes). Trigger timers are not kept: a restored pane starts them again.
 */
export interface PaneState {
  key: string;
  window: string;
  /** Absent when nothing committed. */
  accumulator?: string;
  index: number;
  lateIndex: number;
  onTimeFired: boolean;
  closed: boolean;
}

/** Elements a grouping refused, by reason. */
export interface DroppedElements {
  /** Their window had expired (end + allowed lateness before the watermark). */
  late: number;
  /** Their pane's trigger had finished. */
  closedWindow: number;
}

interface Pane {
  key: unknown;
  keyId: string;
  window: Window;
  windowId: string;
  windowEnd: Millis;
  accumulator: unknown;
  /** Elements arrived since the last emitted pane. */
  fresh: boolean;
  /** Any element ever arrived. */
  everFilled: boolean;
  index: number;
  lateIndex: number;
  onTimeFired: boolean;
  /** undefined for the default trigger, which needs no state beyond the flags above. */
  trigger: TriggerStateMachine | undefined;
  /** The trigger finished: the pane only waits for garbage collection, refusing elements. */
  closed: boolean;
  /**
   * The oldest source input whose contribution would be lost with this pane's state: inputs since
   * the last emitted pane (discarding), or all of them until the window expires (accumulating: a
   * later pane repeats them) — unless the grouping is checkpointed: then those not yet committed.
   */
  durability: Millis;
  /** Checkpointed: the accumulator of the committed contributions (see {@link Grouping.commit}). */
  committed: unknown;
  /** Checkpointed: the contributions not yet committed, folded per slot (durability hold / {@link CONTRIBUTION_SLOT_MS}, rounded down). */
  uncommitted: Map<number, SlotContributions>;
  /** The slot the latest contribution went to, and its entry: consecutive elements mostly share one. */
  latestSlot: number;
  latestContributions: SlotContributions | undefined;
}

export class Grouping {
  private readonly panes: PaneTable<Pane>;
  private readonly isDefaultTrigger: boolean;
  /** The window of the last element taken in and its id: consecutive elements usually share one window object. */
  private lastWindow: Window | undefined = undefined;
  private lastWindowId = "";
  readonly dropped: DroppedElements = { late: 0, closedWindow: 0 };
  /**
   * Checkpointed (accumulating panes, windows that do not merge, a codec, a checkpoint store): an
   * accumulating pane's inputs need not hold their acknowledgement until the window expires, only
   * until a checkpoint holds what they contributed (checkpoints.ts).
   */
  readonly checkpointed: boolean;

  constructor(
    private readonly spec: GroupingSpec,
    checkpointing = false,
  ) {
    this.panes = new PaneTable((key) => spec.keyIdentity(key));
    this.isDefaultTrigger = spec.windowing.trigger.kind === "default";
    this.checkpointed = checkpointing && spec.windowing.accumulating && !spec.mergesWindows && spec.codec !== undefined;
  }

  /**
   * Adds one keyed element to every window it is in, unless that window is closed or expired (at
   * the `input` watermark), carrying the durability hold of what is `emitting`. The two are read
   * here, not passed as numbers: a number passed to a call that is not inlined is boxed, and this
   * one is made for every element (two HeapNumbers, 32 B, per element).
   */
  add(element: WindowedValue<unknown>, input: { readonly inputWatermark: Millis }, clock: Clock, emitting: { readonly emitting: Millis }): void {
    const watermark = input.inputWatermark;
    const durability = emitting.emitting;
    const { key, value } = element.value as KV<unknown, unknown>;
    const { aggregator, windowing } = this.spec;
    for (const window of element.windows) {
      const windowId = this.windowIdOf(window);
      let pane = this.panes.get(windowId, key);
      // A window's end is computed once per pane, not per element (it is a Long subtraction).
      const windowEnd = pane?.windowEnd ?? windowMaxTimestamp(window);
      if (watermark !== -Infinity && windowEnd + windowing.allowedLatenessMs < watermark) {
        this.dropped.late++;
        continue;
      }
      if (pane === undefined) {
        pane = this.newPane(key, this.spec.keyIdentity(key), window, windowId, windowEnd);
        this.panes.set(pane);
      } else if (pane.closed) {
        this.dropped.closedWindow++;
        continue;
      }
      pane.accumulator = aggregator.add(pane.accumulator ?? aggregator.create(), value);
      if (this.checkpointed) this.addUncommitted(pane, value, durability);
      if (durability < pane.durability) pane.durability = durability;
      pane.fresh = true;
      pane.everFilled = true;
      pane.trigger?.onElement(this.context(pane, watermark, clock.now()));
    }
  }

  /** The earliest output timestamp this grouping may still emit on time (+Infinity when none). */
  get hold(): Millis {
    let min = Infinity;
    for (const pane of this.panes.values()) if (!pane.onTimeFired && !pane.closed && pane.windowEnd < min) min = pane.windowEnd;
    return min;
  }

  /** The lowest durability hold of any pane (+Infinity when none holds source input). */
  get durabilityHold(): Millis {
    let min = Infinity;
    for (const pane of this.panes.values()) if (pane.durability < min) min = pane.durability;
    return min;
  }

  /** Panes held (open or waiting for garbage collection). */
  get size(): number {
    return this.panes.size;
  }

  /** The earliest processing time at which a trigger may fire without new input (+Infinity when none). */
  nextWakeUp(): Millis {
    if (this.isDefaultTrigger) return Infinity;
    let min = Infinity;
    for (const pane of this.panes.values()) {
      if (pane.trigger !== undefined && !pane.closed) min = Math.min(min, pane.trigger.nextProcessingTimeWakeUp());
    }
    return min;
  }

  /**
   * Emits every pane due at this watermark and processing time through `emit`, with the durability
   * hold it carries; returns how many.
   */
  fire(watermark: Millis, now: Millis, emit: (pane: WindowedValue<unknown>, durability: Millis) => void): number {
    if (this.spec.mergesWindows) this.mergeWindows();
    let fired = 0;
    const { windowing } = this.spec;
    for (const pane of this.panes.values()) {
      const expired = pane.windowEnd + windowing.allowedLatenessMs < watermark;
      if (pane.closed) {
        if (expired) this.panes.delete(pane);
        continue;
      }
      const ctx = this.context(pane, watermark, now);
      const triggered = pane.trigger === undefined
        ? watermark > pane.windowEnd && (!pane.onTimeFired || pane.fresh)
        : pane.trigger.shouldFire(ctx);
      if (!triggered && !expired) continue;
      const timing = watermark <= pane.windowEnd ? Timing.EARLY : pane.onTimeFired ? Timing.LATE : Timing.ON_TIME;
      if (triggered) pane.trigger?.onFire(ctx);
      const finished = expired || (pane.trigger?.isFinished() ?? false);
      const worthEmitting =
        pane.fresh ||
        (timing === Timing.ON_TIME && windowing.onTimeFireAlways && pane.everFilled) ||
        (expired && windowing.closingFireAlways);
      if (timing === Timing.ON_TIME) pane.onTimeFired = true;
      if (worthEmitting) {
        emit(this.emitPane(pane, timing, finished), pane.durability);
        fired++;
        if (!windowing.accumulating) pane.durability = Infinity;
      }
      if (finished) {
        if (expired) this.panes.delete(pane);
        else {
          pane.closed = true;
          pane.accumulator = undefined;
          pane.committed = undefined;
          this.clearUncommitted(pane);
          pane.durability = Infinity;
        }
      }
    }
    return fired;
  }

  /**
   * Commits every contribution whose durability hold is below `durableBefore` (everything else its
   * source input produced is written; a slot boundary, see {@link commitFrontier}): folds it into the
   * pane's committed accumulator, which the next {@link snapshot} holds. Returns the lowest hold
   * committed (+Infinity when none), which must stay held until that snapshot is durable.
   */
  commit(durableBefore: Millis): Millis {
    if (commitFrontier(durableBefore) !== durableBefore) throw new Error(`commit below ${durableBefore}: not a slot boundary (commitFrontier)`);
    const aggregator = this.spec.aggregator;
    let lowest = Infinity;
    for (const pane of this.panes.values()) {
      if (pane.uncommitted.size === 0 || pane.durability >= durableBefore) continue;
      let held = Infinity;
      for (const [slot, contributions] of pane.uncommitted) {
        // A slot below the frontier holds only holds below it (the frontier is a slot boundary).
        if ((slot + 1) * CONTRIBUTION_SLOT_MS > durableBefore) {
          if (contributions.durability < held) held = contributions.durability;
          continue;
        }
        pane.committed = pane.committed === undefined ? contributions.accumulator : aggregator.merge([pane.committed, contributions.accumulator]);
        if (contributions.durability < lowest) lowest = contributions.durability;
        pane.uncommitted.delete(slot);
      }
      pane.latestContributions = undefined;
      pane.durability = held;
    }
    return lowest;
  }

  /** Every pane with its committed state (see {@link PaneState}); only for a checkpointed grouping. */
  snapshot(): PaneState[] {
    const codec = this.spec.codec!;
    const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
    return [...this.panes.values()].map((pane) => ({
      key: base64(codec.encodeKey(pane.key)),
      window: base64(codec.encodeWindow(pane.window)),
      accumulator: pane.committed === undefined ? undefined : base64(codec.encodeAccumulator(pane.committed)),
      index: pane.index,
      lateIndex: pane.lateIndex,
      onTimeFired: pane.onTimeFired,
      closed: pane.closed,
    }));
  }

  /**
   * Takes back the panes of a checkpoint (a job restarted where one stopped). Each is due to fire
   * again whether or not its last pane was written before the stop: sinks of accumulating panes
   * overwrite, so a repeat is harmless, and a pane lost with the process is not.
   */
  restore(states: PaneState[], clock: Clock): void {
    const codec = this.spec.codec!;
    const bytes = (text: string) => new Uint8Array(Buffer.from(text, "base64"));
    for (const state of states) {
      const key = codec.decodeKey(bytes(state.key));
      const window = codec.decodeWindow(bytes(state.window));
      const keyId = this.spec.keyIdentity(key);
      const pane = this.newPane(key, keyId, window, windowKey(window), windowMaxTimestamp(window));
      if (state.accumulator !== undefined) {
        pane.committed = codec.decodeAccumulator(bytes(state.accumulator));
        pane.accumulator = codec.decodeAccumulator(bytes(state.accumulator));
        pane.fresh = !state.closed;
        pane.everFilled = true;
      }
      pane.index = state.index;
      pane.lateIndex = state.lateIndex;
      pane.onTimeFired = state.onTimeFired;
      pane.closed = state.closed;
      if (pane.fresh) pane.trigger?.onElement(this.context(pane, -Infinity, clock.now()));
      this.panes.set(pane);
    }
  }

  /** Folds `value`, of source input with hold `durability`, into its slot of the pane's uncommitted contributions. */
  private addUncommitted(pane: Pane, value: unknown, durability: Millis): void {
    const aggregator = this.spec.aggregator;
    const slot = Math.floor(durability / CONTRIBUTION_SLOT_MS);
    let contributions = slot === pane.latestSlot ? pane.latestContributions : undefined;
    if (contributions === undefined) {
      contributions = pane.uncommitted.get(slot);
      if (contributions === undefined) {
        contributions = { accumulator: aggregator.create(), durability };
        pane.uncommitted.set(slot, contributions);
      }
      pane.latestSlot = slot;
      pane.latestContributions = contributions;
    }
    contributions.accumulator = aggregator.add(contributions.accumulator, value);
    if (durability < contributions.durability) contributions.durability = durability;
  }

  private clearUncommitted(pane: Pane): void {
    pane.uncommitted.clear();
    pane.latestContributions = undefined;
  }

  private emitPane(pane: Pane, timing: Timing, isLast: boolean): WindowedValue<unknown> {
    const { aggregator, windowing } = this.spec;
    const info: PaneInfo = {
      timing,
      index: pane.index,
      // Beam's non-speculative index: -1 for early panes, then 0, 1, … for on-time and late ones.
      onTimeIndex: timing === Timing.EARLY ? -1 : pane.lateIndex++,
      isFirst: pane.index === 0,
      isLast,
    };
    pane.index++;
    const value = aggregator.output(pane.accumulator ?? aggregator.create());
    pane.fresh = false;
    if (!windowing.accumulating) pane.accumulator = undefined;
    return { value: { key: pane.key, value }, windows: [pane.window], timestamp: toInstant(pane.windowEnd), pane: info };
  }

  private newPane(key: unknown, keyId: string, window: Window, windowId: string, windowEnd: Millis): Pane {
    return {
      key,
      keyId,
      window,
      windowId,
      windowEnd,
      accumulator: undefined,
      fresh: false,
      everFilled: false,
      index: 0,
      lateIndex: 0,
      onTimeFired: false,
      trigger: this.isDefaultTrigger ? undefined : triggerStateMachine(this.spec.windowing.trigger),
      closed: false,
      durability: Infinity,
      committed: undefined,
      uncommitted: new Map(),
      latestSlot: NaN,
      latestContributions: undefined,
    };
  }

  /** The grouping identity of `window`, computed once for a run of elements in the same window object. */
  private windowIdOf(window: Window): string {
    if (window !== this.lastWindow) {
      this.lastWindowId = windowKey(window);
      this.lastWindow = window;
    }
    return this.lastWindowId;
  }

  private context(pane: Pane, watermark: Millis, now: Millis): TriggerContext {
    return { watermark, now, windowMaxTimestamp: pane.windowEnd };
  }

  /** Merges each key's overlapping interval windows into one pane per merged window. */
  private mergeWindows(): void {
    const byKey = new Map<string, Pane[]>();
    for (const pane of this.panes.values()) {
      if (pane.closed) continue;
      const list = byKey.get(pane.keyId);
      if (list === undefined) byKey.set(pane.keyId, [pane]);
      else list.push(pane);
    }
    for (const panes of byKey.values()) {
      if (panes.length < 2) continue;
      const { into } = mergeOverlapping(panes.map((p) => p.window as IntervalWindow));
      const groups = new Map<string, Pane[]>();
      for (const p of panes) {
        const k = windowKey(into.get(windowKey(p.window))!);
        (groups.get(k) ?? groups.set(k, []).get(k)!).push(p);
      }
      for (const [k, members] of groups) {
        if (members.length === 1 && windowKey(members[0].window) === k) continue;
        const window = into.get(windowKey(members[0].window))!;
        for (const m of members) this.panes.delete(m);
        const merged = this.newPane(members[0].key, members[0].keyId, window, k, windowMaxTimestamp(window));
        const accumulators = members.map((m) => m.accumulator).filter((a) => a !== undefined);
        merged.accumulator = accumulators.length === 0 ? undefined : this.spec.aggregator.merge(accumulators);
        merged.fresh = members.some((m) => m.fresh);
        merged.everFilled = members.some((m) => m.everFilled);
        merged.index = Math.max(...members.map((m) => m.index));
        merged.lateIndex = Math.max(...members.map((m) => m.lateIndex));
        // Once any part of the merged window fired on time, later panes of the whole are late.
        merged.onTimeFired = members.some((m) => m.onTimeFired);
        merged.durability = Math.min(...members.map((m) => m.durability));
        merged.trigger?.mergeFrom(members.map((m) => m.trigger!));
        this.panes.set(merged);
      }
    }
  }
}
