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
