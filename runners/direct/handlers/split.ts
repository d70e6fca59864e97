/**
 * `beam.split` / `beam.partition` ParDos (the SDK's splitting DoFn): each element is an object whose
 * key names the output it goes to. Same semantics as the SDK's SplittingDoFnOperator — exclusive
 * splits reject elements with several tags, unknown tags are renamed, ignored or rejected as asked —
 * without building a key array per element.
 */
import * as operators from "apache-beam/worker/operators";
import type { WindowedValue } from "apache-beam/values";
import type { ValueReceiver } from "../../../sdk/value_receiver";
import type { NativeOperator } from "./pardo";

/** The splitting DoFn's options, as the SDK serializes them. */
export interface SplitOptions {
  knownTags: string[];
  unknownTagBehavior?: "error" | "ignore" | "rename";
  unknownTagName?: string;
  exclusive: boolean;
}

export class SplitOperator implements NativeOperator {
  private readonly known: Set<string>;
  /** By tag, in a Map: a lookup by a variable name in an object is a generic (slow) property load, per element. */
  private readonly receivers: Map<string, ValueReceiver>;
  /**
   * The last known tag met and its receiver: most elements take the tag the one before took (a
   * parser's records, not its dead letters), and a property name from `for…in` is the very string
   * of the last one, so one comparison replaces a Set and a Map lookup per element.
   */
  private lastTag: string | undefined;
  private lastReceiver: ValueReceiver | undefined;

  constructor(
    readonly transformId: string,
    receivers: Record<string, ValueReceiver>,
    private readonly options: SplitOptions,
  ) {
    this.known = new Set(options.knownTags);
    this.receivers = new Map(Object.entries(receivers));
  }

  async startBundle(): Promise<void> {}

  async finishBundle(): Promise<void> {}

  process(input: WindowedValue<unknown>): operators.ProcessResult {
    return this.processValue(input.value, input);
  }

  /** Each tagged part of `element` to its output, in the windows of `like`. */
  processValue(element: unknown, like: WindowedValue<unknown>): operators.ProcessResult {
    const value = element as Record<string, unknown>;
    let tags = 0;
    let pending: Promise<void>[] | undefined;
    for (const key in value) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      tags++;
      let receiver: ValueReceiver | undefined;
      if (key === this.lastTag) receiver = this.lastReceiver;
      else {
        let tag = key;
        if (!this.known.has(tag)) {
          if (this.options.unknownTagBehavior === "rename") tag = this.options.unknownTagName!;
          else if (this.options.unknownTagBehavior === "ignore") continue;
          else throw new Error(`Unexpected tag '${tag}' for ${JSON.stringify(value)} not in ${this.options.knownTags}`);
        }
        receiver = this.receivers.get(tag);
        if (tag === key) {
          this.lastTag = key;
          this.lastReceiver = receiver;
        }
      }
      if (receiver === undefined) continue;
      const result = receiver.receiveValue(value[key], like);
      if (result !== operators.NonPromise) (pending ??= []).push(result);
    }
    if (this.options.exclusive && tags !== 1) {
      throw new Error(`Multiple keys for exclusively split element: ${JSON.stringify(value)}`);
    }
    if (pending === undefined) return operators.NonPromise;
    return pending.length === 1 ? pending[0] : Promise.all(pending).then(() => undefined);
  }
}
