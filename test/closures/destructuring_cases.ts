/**
 * Destructuring over iterables, each case returning what it saw: the bindings and every call the
 * pattern made on the iterator. test/closures/destructuring.test.ts runs these compiled with the
 * closure transform, compiled without it, and rebuilt after serialization; all three must agree.
 * Each case reads its bindings through a closure, which is what the transform rewrites.
 */

/** An iterator over `values` (then `tail` forever when given) that logs each `next` and `return`. */
function logged(log: string[], values: unknown[], options: { throwAt?: number; forever?: boolean } = {}): Iterable<any> {
  return {
    [Symbol.iterator]() {
      let at = 0;
      return {
        next() {
          log.push(`next ${at}`);
          if (options.throwAt === at) throw new Error(`pulled past ${at}`);
          if (at < values.length) return { done: false, value: values[at++] };
          if (options.forever) return { done: false, value: at++ };
          return { done: true, value: undefined };
        },
        return() {
          log.push(`return at ${at}`);
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** 1, 2, …, 5, counting its pulls in `pulls`. */
function* counting(pulls: { count: number }) {
  for (let i = 1; i <= 5; i++) {
    pulls.count += 1;
    yield i;
  }
}

/** Two values, then a throw. */
function* throwsAfterTwo() {
  yield "a";
  yield "b";
  throw new Error("third pull");
}

/** 0, 1, 2, … forever; `closed.by` says whether `return()` ended it. */
function* naturals(closed: { by: string }) {
  try {
    for (let i = 0; ; i++) yield i;
  } finally {
    closed.by = "return";
  }
}

/** Runs `body`; an error becomes its message, so cases that throw compare too. */
function outcome(body: () => unknown): unknown {
  try {
    return { value: body() };
  } catch (err) {
    return { threw: (err as Error).message };
  }
}

export const cases: Record<string, () => unknown> = {
  "a counting generator is pulled once for one binding": () => {
    const pulls = { count: 0 };
    const [first] = counting(pulls);
    const read = () => first;
    return { first: read(), pulls: pulls.count };
  },
  "a generator that throws on its third pull, destructured into two": () => {
    const [a, b] = throwsAfterTwo();
    const read = () => [a, b];
    return read();
  },
  "a generator that throws on its third pull, destructured into three": () =>
    outcome(() => {
      const [a, b, c] = throwsAfterTwo();
      const read = () => [a, b, c];
      return read();
    }),
  "an infinite generator, with a hole, is closed by return()": () => {
    const closed = { by: "not closed" };
    const [zero, , two] = naturals(closed);
    const read = () => [zero, two];
    return { values: read(), closed: closed.by };
  },
  "a rest element pulls to the end and does not call return()": () => {
    const log: string[] = [];
    const [head, ...tail] = logged(log, [1, 2, 3]);
    const read = () => ({ head, tail });
    return { ...read(), log };
  },
  "holes pull but bind nothing": () => {
    const log: string[] = [];
    const [, second, , fourth] = logged(log, ["a", "b", "c", "d", "e"]);
    const read = () => [second, fourth];
    return { values: read(), log };
  },
  "a pattern longer than the iterable binds undefined, without return()": () => {
    const log: string[] = [];
    const [a, b, c] = logged(log, ["only"]);
    const read = () => [a, b === undefined, c === undefined];
    return { values: read(), log };
  },
  "defaults apply to undefined only, in order, between pulls": () => {
    const log: string[] = [];
    const fallback = (name: string) => {
      log.push(`default ${name}`);
      return name;
    };
    const [a = fallback("a"), b = fallback("b"), c = fallback("c")] = logged(log, [undefined, null]);
    const read = () => [a, b, c];
    return { values: read(), log };
  },
  "a default reads an earlier binding and a captured variable": () => {
    const offset = 10;
    const read = () => {
      const [a, b = a + offset] = [1];
      return [a, b];
    };
    return read();
  },
  "a throwing default closes the iterator": () => {
    const log: string[] = [];
    const result = outcome(() => {
      const [a, b = (() => { throw new Error("no default"); })()] = logged(log, [1, undefined, 3]);
      return [a, b];
    });
    return { result, log };
  },
  "next() throwing does not call return()": () => {
    const log: string[] = [];
    const result = outcome(() => {
      const [a, b] = logged(log, [1, 2], { throwAt: 1 });
      return [a, b];
    });
    return { result, log };
  },
  "nested patterns take what they bind from each level": () => {
    const outer: string[] = [];
    const inner: string[] = [];
    const [[x, y], { z = "dz" }, w] = logged(outer, [logged(inner, ["x", "y", "ignored"]), {}, "w", "ignored"]);
    const read = () => [x, y, z, w];
    return { values: read(), outer, inner };
  },
  "a Map destructures into entries, and entries into key and value": () => {
    const prices = new Map([["tea", 120], ["coffee", 250], ["cake", 400]]);
    const [[firstKey, firstValue], ...others] = prices;
    const read = () => ({ firstKey, firstValue, others });
    return read();
  },
  "a Set destructures in insertion order": () => {
    const [s1, s2] = new Set(["s", "t", "u"]);
    const read = () => [s1, s2];
    return read();
  },
  "a string destructures by code point, not by UTF-16 unit": () => {
    const [c1, c2, ...rest] = "h😀llo";
    const read = () => ({ c1, c2, rest });
    return read();
  },
  "an infinite iterator with a long pattern takes exactly that many": () => {
    const log: string[] = [];
    const [a, b, c, d] = logged(log, [], { forever: true });
    const read = () => [a, b, c, d];
    return { values: read(), log };
  },
  "parameters and for-of heads destructure the same way": () => {
    const log: string[] = [];
    const firstTwo = ([a, b]: Iterable<unknown>) => [a, b];
    const pairs: unknown[] = [];
    for (const [k, v] of new Map([["x", 1], ["y", 2]])) pairs.push(() => `${k}=${v}`);
    return { params: firstTwo(logged(log, [1, 2, 3])), log, pairs: pairs.map((p) => (p as () => string)()) };
  },
  "assignment patterns swap and close like declarations": () => {
    let a = 1;
    let b = 2;
    [a, b] = [b, a];
    const log: string[] = [];
    let first: unknown;
    [first] = logged(log, ["one", "two"]);
    const read = () => [a, b, first];
    return { values: read(), log };
  },
};
