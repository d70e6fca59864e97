/**
 * Grouping identity of keys. Beam groups by the key coder's encoding; strings, numbers, booleans,
 * null and undefined (the common cases, and the key of every global combine) take a fast path that
 * gives the same equivalence without encoding.
 */
import * as protobufjs from "protobufjs";
import type { Coder } from "apache-beam/coders/coders";
import { Context } from "apache-beam/coders/coders";

/** A function mapping equal keys (by their coder) to equal strings. */
export function keyIdentity(keyCoder: Coder<unknown>): (key: unknown) => string {
  return (key) => {
    if (typeof key === "string") return "s" + key;
    if (typeof key === "number") return "n" + key;
    if (key === null) return "null";
    if (key === undefined) return "undefined";
    if (typeof key === "boolean") return key ? "true" : "false";
    const writer = new protobufjs.Writer();
    keyCoder.encode(key, writer, Context.wholeStream);
    return "e" + Buffer.from(writer.finish()).toString("latin1");
  };
}

/**
 * Values by the grouping identity of their key ({@link keyIdentity}), looked up for every element: a
 * key of the fast path (a string, number, boolean, null or undefined) is its own identity in a Map
 * (SameValueZero: equal exactly when their identity strings are), so no string is made per element;
 * any other key by its encoding.
 */
export class KeyMap<V> {
  private readonly plain = new Map<unknown, V>();
  private readonly encoded = new Map<string, V>();

  constructor(private readonly identity: (key: unknown) => string) {}

  get(key: unknown): V | undefined {
    return isPlainKey(key) ? this.plain.get(key) : this.encoded.get(this.identity(key));
  }

  set(key: unknown, value: V): void {
    if (isPlainKey(key)) this.plain.set(key, value);
    else this.encoded.set(this.identity(key), value);
  }
}

function isPlainKey(key: unknown): boolean {
  const type = typeof key;
  return type === "string" || type === "number" || type === "boolean" || key === null || key === undefined;
}
