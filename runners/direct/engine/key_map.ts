/**
 * Values by the grouping identity of their key, looked up for every element a grouping or a
 * pre-combiner takes in. A key of the fast path of `execution/keys.ts`'s identity (a string, number,
 * boolean, null or undefined) is looked up as itself — in a Map (SameValueZero) such keys are equal
 * exactly when their identity strings are — so no string is made per element; any other key by its
 * identity (its coder's encoding).
 */
export class KeyMap<V> {
  private readonly plain = new Map<unknown, V>();
  private readonly encoded = new Map<string, V>();

  /** `identity`: the grouping identity of a key not of the fast path. */
  constructor(private readonly identity: (key: unknown) => string) {}

  get size(): number {
    return this.plain.size + this.encoded.size;
  }

  get(key: unknown): V | undefined {
    return isPlainKey(key) ? this.plain.get(key) : this.encoded.get(this.identity(key));
  }

  set(key: unknown, value: V): void {
    if (isPlainKey(key)) this.plain.set(key, value);
    else this.encoded.set(this.identity(key), value);
  }

  delete(key: unknown): void {
    if (isPlainKey(key)) this.plain.delete(key);
    else this.encoded.delete(this.identity(key));
  }
}

function isPlainKey(key: unknown): boolean {
  const type = typeof key;
  return type === "string" || type === "number" || type === "boolean" || key === null || key === undefined;
}
