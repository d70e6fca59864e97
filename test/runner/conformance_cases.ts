/**
 * The pipelines of the runner conformance suite (run by conformance.test.ts).
 *
 * Each case builds a pipeline and returns what to collect. The suite runs it on the SDK's direct
 * runner and on ours and compares the outputs as multisets; where the SDK's runner cannot run a case,
 * `sdkCannotRun` says why and ours is checked against `expected` alone.
 *
 * Rules every case follows, so that it keeps its meaning on any runner:
 * - Outputs are plain values: windows, timestamps and panes are converted inside the pipeline
 *   ({@link describeContext}), never compared as SDK objects.
 * - Nothing depends on bundle boundaries: a DoFn that works per bundle is followed by a step that
 *   makes the result bundle-independent (the SDK runs one bundle; ours runs many, and the suite
 *   also runs it in bundles of two).
 * - Code that runs inside a DoFn is serialized by the SDK: it may call the module-level helpers
 *   below and capture constants, but never `beam` itself (its namespace holds classes, which the
 *   serializer rejects).
 */
import * as beam from "apache-beam";
import Long from "long";
import * as combiners from "apache-beam/transforms/combiners";
import type { CombineFn } from "apache-beam/transforms/group_and_combine";
import type { Outputs } from "../../testing";
import { fromArray } from "../../testing";
import { testStream, type TestStream } from "../../sdk/test_stream";

/** The collected form of a case's outputs: an array, or a record of arrays by tag. */
export type Expected = unknown[] | { [tag: string]: unknown[] };

/** One pipeline of the conformance suite. */
export interface ConformanceCase {
  /** What the case checks; it is the test's name. */
  name: string;
  /** Builds the pipeline and returns the PCollection(s) to collect. */
  build: (root: beam.Root) => Outputs;
  /**
   * The output computed independently of any runner. Checked on every runner that runs the case;
   * required when `sdkCannotRun` is set.
   */
  expected?: Expected;
  /** Why the SDK's direct runner cannot serve as the reference here (shown in the test's name). */
  sdkCannotRun?: string;
  /** Absolute tolerance for numbers (for float sums and means, whose value depends on order). */
  tolerance?: number;
  /**
   * How many times ours runs the case in each configuration (default 1): for a result that depends
   * on how bundles happen to interleave, which one run may not reveal.
   */
  repetitions?: number;
}

// ---------------------------------------------------------------------------------------------
// Helpers. Those called inside DoFns travel with them (serialized by the SDK).

/** Milliseconds since the epoch of an SDK instant (exact for every event time used here). */
function millis(instant: Long): number {
  return instant.toNumber();
}

/** A window as a comparable value: `"global"`, or its bounds in milliseconds. */
function describeWindow(window: beam.Window): "global" | { start: number; end: number } {
  const interval = window as beam.IntervalWindow;
  return interval.end === undefined ? "global" : { start: millis(interval.start), end: millis(interval.end) };
}

/** What a DoFn sees of an element's context, as plain values. */
function describeContext(context: WindowContext) {
  const pane = context.pane.lookup();
  return {
    window: describeWindow(context.window.lookup()),
    timestamp: millis(context.timestamp.lookup()),
    pane: { timing: pane.timing, index: pane.index, onTimeIndex: pane.onTimeIndex, isFirst: pane.isFirst, isLast: pane.isLast },
  };
}

/** The context parameters {@link describeContext} reads. */
interface WindowContext {
  window: beam.ParDoLookupParam<beam.Window>;
  timestamp: beam.ParDoLookupParam<Long>;
  pane: beam.ParDoLookupParam<beam.PaneInfo>;
}

/** A fresh context spec for {@link describeContext} (params are bound per transform). */
function windowContext(): WindowContext {
  return { window: beam.windowParam(), timestamp: beam.timestampParam(), pane: beam.paneInfoParam() };
}

/** Appends, to each element, the context it was seen in. */
function withContextDescribed<T>(name: string) {
  return (input: beam.PCollection<T>): beam.PCollection<{ element: T } & ReturnType<typeof describeContext>> =>
    input.map(beam.withName(name, (element: T, context: WindowContext) => ({ element, ...describeContext(context) })), windowContext());
}

/** A GroupBy output (`{key, value: Iterable}`) with its values as an array sorted by JSON. */
function sortedGroup<K, V>(kv: beam.KV<K, Iterable<V>>): { key: K; values: V[] } {
  return { key: kv.key, values: [...kv.value].sort(byJson) };
}

/** Orders values by their JSON text: a total order for plain values. */
function byJson(a: unknown, b: unknown): number {
  const ja = JSON.stringify(a);
  const jb = JSON.stringify(b);
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

/** Event-time timestamps: `t` seconds since the epoch. */
function atSecond(element: { t: number }): Long {
  return Long.fromNumber(element.t * 1000);
}

// ---------------------------------------------------------------------------------------------
// Inputs and reusable pieces.

const SALES = [
  { shop: "north", item: "pen", amount: 2.5 },
  { shop: "north", item: "ink", amount: 7.25 },
  { shop: "north", item: "pen", amount: 2.5 },
  { shop: "south", item: "pad", amount: 4.1 },
  { shop: "south", item: "pen", amount: 2.6 },
  { shop: "east", item: "ink", amount: 0.3 },
];

/** Clicks in event time (seconds): two users, spread over three minutes. */
const CLICKS = [
  { user: "ana", t: 5, page: "home" },
  { user: "ana", t: 50, page: "cart" },
  { user: "ana", t: 65, page: "pay" },
  { user: "bob", t: 59, page: "home" },
  { user: "bob", t: 60, page: "home" },
  { user: "bob", t: 179, page: "cart" },
];

/** CLICKS with event timestamps, in 60 s fixed windows. */
function clicksInMinutes(root: beam.Root): beam.PCollection<(typeof CLICKS)[number]> {
  return root
    .apply(fromArray(CLICKS))
    .apply(beam.assignTimestamps(atSecond))
    .apply(beam.windowInto(beam.fixedWindows(60)));
}

/**
 * Session events in seconds, gap 10 s. ana: 0, 5, 12 merge into [0, 22); 40 alone is [40, 50).
 * bob: 3 alone is [3, 13); 30, 35 merge into [30, 45). No two windows merely touch (where
 * merging rules could differ).
 */
const SESSION_EVENTS = [
  { user: "ana", t: 0 },
  { user: "ana", t: 5 },
  { user: "ana", t: 12 },
  { user: "ana", t: 40 },
  { user: "bob", t: 3 },
  { user: "bob", t: 30 },
  { user: "bob", t: 35 },
];

function sessionsOfTenSeconds(root: beam.Root): beam.PCollection<(typeof SESSION_EVENTS)[number]> {
  return root
    .apply(fromArray(SESSION_EVENTS))
    .apply(beam.assignTimestamps(atSecond))
    .apply(beam.windowInto(beam.sessions(10)));
}

/**
 * Statistics of numbers with an accumulator of several fields, including a bounded list: a CombineFn
 * whose merge is not just "add the accumulators".
 */
interface Stats {
  count: number;
  sum: number;
  sumOfSquares: number;
  /** The two largest inputs, descending. */
  top: number[];
}

const STATS: CombineFn<number, Stats, { count: number; mean: number; variance: number; top: number[] }> = {
  createAccumulator: () => ({ count: 0, sum: 0, sumOfSquares: 0, top: [] }),
  addInput: (acc: Stats, x: number) => ({
    count: acc.count + 1,
    sum: acc.sum + x,
    sumOfSquares: acc.sumOfSquares + x * x,
    top: [...acc.top, x].sort((a, b) => b - a).slice(0, 2),
  }),
  mergeAccumulators: (accs: Iterable<Stats>) => {
    let merged: Stats = { count: 0, sum: 0, sumOfSquares: 0, top: [] };
    for (const acc of accs) {
      merged = {
        count: merged.count + acc.count,
        sum: merged.sum + acc.sum,
        sumOfSquares: merged.sumOfSquares + acc.sumOfSquares,
        top: [...merged.top, ...acc.top].sort((a, b) => b - a).slice(0, 2),
      };
    }
    return merged;
  },
  extractOutput: (acc: Stats) => {
    const mean = acc.sum / acc.count;
    return { count: acc.count, mean, variance: acc.sumOfSquares / acc.count - mean * mean, top: acc.top };
  },
};

/** State of {@link batchInFinishBundle} and {@link countPerWindowInBundle}, set in startBundle. */
interface BundleState<B> {
  buffered: B;
}

/**
 * Buffers a bundle's elements and emits them as one batch from finishBundle, in the window and pane
 * of the last element seen (all are in the global window here).
 */
function batchInFinishBundle(): beam.DoFn<number, number[], WindowContext> {
  type State = BundleState<{ elements: number[]; window?: beam.Window; pane?: beam.PaneInfo }>;
  return {
    startBundle: function (this: State) {
      this.buffered = { elements: [] };
    },
    process: function (this: State, element: number, context: WindowContext) {
      this.buffered.elements.push(element);
      this.buffered.window = context.window.lookup();
      this.buffered.pane = context.pane.lookup();
    },
    finishBundle: function* (this: State) {
      const { elements, window, pane } = this.buffered;
      if (elements.length === 0) return;
      yield { value: elements, windows: [window!], pane: pane!, timestamp: Long.fromNumber(0) };
    },
  };
}

/**
 * Counts a bundle's elements per window and emits the partial counts from finishBundle, each in the
 * window it counts, at that window's max timestamp. Several bundles give several partial counts per
 * window; the pipeline sums them.
 */
function countPerWindowInBundle(): beam.DoFn<unknown, { windowEnd: number; count: number }, WindowContext> {
  type State = BundleState<Map<number, { window: beam.Window; pane: beam.PaneInfo; count: number }>>;
  return {
    startBundle: function (this: State) {
      this.buffered = new Map();
    },
    process: function (this: State, _element: unknown, context: WindowContext) {
      const window = context.window.lookup();
      const end = millis(window.maxTimestamp());
      const entry = this.buffered.get(end) ?? { window, pane: context.pane.lookup(), count: 0 };
      entry.count += 1;
      this.buffered.set(end, entry);
    },
    finishBundle: function* (this: State) {
      for (const { window, pane, count } of this.buffered.values()) {
        const windowEnd = millis(window.maxTimestamp()) + 1;
        yield { value: { windowEnd, count }, windows: [window], pane, timestamp: window.maxTimestamp() };
      }
    },
  };
}

/** Adds `step` to a number: one link of the deep chain. */
function addStep(step: number) {
  return beam.withName(`add${step}`, (x: number) => x + step);
}

const HUNDRED_THOUSAND = Array.from({ length: 100_000 }, (_, i) => ({ key: `k${i % 7}`, value: i }));

/** Sum and count per key of HUNDRED_THOUSAND, computed without Beam. */
function hundredThousandTotals(): { key: string; total: number; count: number }[] {
  const totals = new Map<string, { key: string; total: number; count: number }>();
  for (const { key, value } of HUNDRED_THOUSAND) {
    const entry = totals.get(key) ?? { key, total: 0, count: 0 };
    entry.total += value;
    entry.count += 1;
    totals.set(key, entry);
  }
  return [...totals.values()];
}

/** The SDK's minimum timestamp (of every source element), as {@link millis} rounds it. */
const MIN_TIMESTAMP = millis(Long.fromValue("-9223372036854775"));
/** The global window's max timestamp (of every grouping output there), as {@link millis} rounds it. */
const GLOBAL_WINDOW_MAX_TIMESTAMP = millis(Long.fromValue("9223371950454775"));

/**
 * The pane the SDK attaches to every element it emits once (its `PaneInfoCoder.ONE_AND_ONLY_FIRING`).
 * It is decoded from byte 0x09, so it says "first, not last, LATE" rather than Beam's "first, last,
 * ON_TIME". Our runner reproduces it where the SDK's runtime produces it (the impulse), not where
 * our engine makes panes (groupings): see {@link onlyFiringPane}.
 */
function sdkOneAndOnlyPane() {
  return { timing: "LATE", index: 0, onTimeIndex: 0, isFirst: true, isLast: false };
}

/**
 * The pane of a grouping's only firing (default trigger, batch): on time, first and last — what Beam
 * specifies and Dataflow gives. The SDK's runner attaches {@link sdkOneAndOnlyPane} instead.
 */
function onlyFiringPane() {
  return { timing: "ON_TIME", index: 0, onTimeIndex: 0, isFirst: true, isLast: true };
}

/** Why a case where several elements read one window of an iterable side input cannot take the SDK's runner as reference. */
const SDK_ONE_SHOT_ITERABLE = "the SDK runner hands every element the same one-shot generator, so only the first read sees the values";

/** Why a case whose outputs carry a grouping's pane cannot take the SDK's runner as reference. */
const SDK_GROUPING_PANE = "the SDK runner marks a grouping's only pane LATE and not last; ours, like Beam, ON_TIME, first and last";

/**
 * Windowed side inputs: 10 s fixed windows on the main input and the side input alike. Side data
 * falls in [0, 10) and [10, 20); [20, 30) holds a main element but no side data (the empty read
 * there is right; anywhere else it is the bug these cases pin).
 */
interface Order {
  t: number;
  id: number;
  amount: number;
}
const ORDERS: Order[] = [
  { t: 3, id: 1, amount: 5 },
  { t: 7, id: 2, amount: 7 },
  { t: 15, id: 3, amount: 4 },
  { t: 25, id: 4, amount: 1 },
];
/** ORDERS without the second order of [0, 10): for an iterable side input, see SDK_ONE_SHOT_ITERABLE. */
const ONE_ORDER_PER_WINDOW = ORDERS.filter((o) => o.id !== 2);
const WORDS = [
  { t: 1, word: "a" },
  { t: 2, word: "b" },
  { t: 12, word: "c" },
];
/** One rate per window, none in [20, 30) (where the singleton's default applies). */
const RATES = [
  { t: 4, rate: 2 },
  { t: 14, rate: 3 },
];
const NO_RATE = 0;
/** Scheduling decides whether a side input that is read too early shows; many runs reveal it. */
const SIDE_INPUT_REPETITIONS = 20;
const TEN_SECOND_WINDOWS = 10;
const TEST_STREAM_IS_OURS = "the SDK runner has no TestStream";

/** What each order sees of WORDS in its window, and of RATES. */
const WORDS_SEEN = [
  { id: 1, words: ["a", "b"] },
  { id: 2, words: ["a", "b"] },
  { id: 3, words: ["c"] },
  { id: 4, words: [] },
];
const RATES_SEEN = [
  { id: 1, rate: 2 },
  { id: 2, rate: 2 },
  { id: 3, rate: 3 },
  { id: 4, rate: NO_RATE },
];

/**
 * `elements` from `beam.create` with their event times, in 10 s windows. Not fromArray: `create`
 * reshuffles, so its output leaves a grouping at the end of the global window and assignTimestamps
 * moves it back — timestamps that run behind the work still to come.
 */
function createdInWindows<T extends { t: number }>(name: string, elements: T[]) {
  return beam.withName(name, (root: beam.Root) =>
    root
      .apply(beam.create(elements))
      .apply(beam.assignTimestamps(atSecond))
      .apply(beam.windowInto(beam.fixedWindows(TEN_SECOND_WINDOWS))),
  );
}

/** An element of {@link ordersAndSideStream}: an order or a side element. */
type Tagged<S> = { order: Order } | { side: S };

/**
 * ORDERS and side data `side` played by one TestStream: the first side element of [0, 10) arrives
 * with the first order, the rest of that window's behind the watermark (5 s, still before the
 * window's end) with the second order, and the order of [10, 20) before that window's side data.
 */
function ordersAndSideStream<S extends { t: number }>(side: S[]): TestStream<Tagged<S>> {
  const at = <E extends { t: number }>(e: E) => e.t * 1000;
  type Element = { value: Tagged<S>; timestamp: number };
  const orders = (...ids: number[]): Element[] => ORDERS.filter((o) => ids.includes(o.id)).map((order) => ({ value: { order }, timestamp: at(order) }));
  const sides = (from: number, to: number): Element[] => side.filter((e) => e.t >= from && e.t < to).map((e) => ({ value: { side: e }, timestamp: at(e) }));
  const firstWindow = sides(0, 10);
  // Numbers advance the watermark (ms); arrays are elements arriving together.
  const script: (number | Element[])[] = [
    [...orders(1), ...firstWindow.slice(0, 1)],
    5_000,
    [...firstWindow.slice(1), ...orders(2)],
    12_000,
    orders(3),
    sides(10, 20),
    20_000,
    orders(4),
  ];
  let stream = testStream<Tagged<S>>();
  for (const step of script) {
    if (typeof step === "number") stream = stream.advanceWatermarkTo(step);
    else if (step.length > 0) stream = stream.addElements(...step);
  }
  return stream.advanceWatermarkToInfinity();
}

/** The orders and the side data of `stream`, each in 10 s windows. */
function streamedInWindows<S>(root: beam.Root, stream: TestStream<Tagged<S>>): { orders: beam.PCollection<Order>; side: beam.PCollection<S> } {
  const tagged = root.apply(stream).apply(beam.windowInto(beam.fixedWindows(TEN_SECOND_WINDOWS)));
  return {
    orders: tagged.flatMap(function ordersOnly(e: Tagged<S>) { return "order" in e ? [e.order] : []; }),
    side: tagged.flatMap(function sideOnly(e: Tagged<S>) { return "side" in e ? [e.side] : []; }),
  };
}

/** Each order with the words of its window (an iterable side input). */
function withWordsOfWindow(orders: beam.PCollection<Order>, words: beam.PCollection<{ word: string }>) {
  return orders.map(
    function withWords(order: Order, context: { words: beam.ParDoLookupParam<Iterable<string>> }) {
      return { id: order.id, words: [...context.words.lookup()].sort() };
    },
    { words: beam.iterableSideInput(words.map(function wordOf(w: { word: string }) { return w.word; })) },
  );
}

/** Each order with the rate of its window (a singleton side input, NO_RATE where there is none). */
function withRateOfWindow(orders: beam.PCollection<Order>, rates: beam.PCollection<{ rate: number }>) {
  return orders.map(
    function withRate(order: Order, context: { rate: beam.ParDoLookupParam<number> }) {
      return { id: order.id, rate: context.rate.lookup() };
    },
    { rate: beam.singletonSideInput(rates.map(function rateOf(r: { rate: number }) { return r.rate; }), NO_RATE) },
  );
}

/** Each order with the total amount of its window's orders (a singleton side input combined from the main input). */
function withTotalOfWindow(orders: beam.PCollection<Order>) {
  const totals: beam.PCollection<{ total: number }> = orders.apply(beam.groupGlobally<Order>().combining("amount", combiners.sum, "total"));
  return orders.map(
    function withTotal(order: Order, context: { total: beam.ParDoLookupParam<{ total: number }> }) {
      return { id: order.id, windowTotal: context.total.lookup().total };
    },
    { total: beam.singletonSideInput(totals) },
  );
}
const TOTALS_SEEN = [
  { id: 1, windowTotal: 12 },
  { id: 2, windowTotal: 12 },
  { id: 3, windowTotal: 4 },
  { id: 4, windowTotal: 1 },
];

// ---------------------------------------------------------------------------------------------
// The cases.

export const CASES: ConformanceCase[] = [
  // --- In-memory sources ---
  {
    name: "empty source through map, flatMap, groupBy and countPerElement",
    build: (root) => {
      const empty = root.apply(fromArray([] as number[]));
      return {
        mapped: empty.map(function double(x: number) { return 2 * x; }),
        flatMapped: empty.flatMap(function twice(x: number) { return [x, x]; }),
        grouped: empty.apply(beam.groupBy(function parity(x: number) { return x % 2; })),
        counted: empty.apply(beam.countPerElement()),
      };
    },
    expected: { mapped: [], flatMapped: [], grouped: [], counted: [] },
  },
  {
    name: "single element",
    build: (root) => root.apply(fromArray([{ id: 1, name: "only" }])).map(function label(r: { id: number; name: string }) {
      return `${r.id}:${r.name}`;
    }),
    expected: ["1:only"],
  },
  {
    name: "100k elements grouped and summed per key",
    build: (root) =>
      root
        .apply(fromArray(HUNDRED_THOUSAND))
        .apply(beam.groupBy("key").combining("value", combiners.sum, "total").combining("value", combiners.count, "count")),
    expected: hundredThousandTotals(),
  },

  // --- Element-wise transforms ---
  {
    name: "map and flatMap (zero, one and several outputs per element)",
    build: (root) =>
      root
        .apply(fromArray([0, 1, 2, 3]))
        .flatMap(function repeatSelf(n: number) { return Array.from({ length: n }, () => n); })
        .map(function square(n: number) { return n * n; }),
    expected: [1, 4, 4, 9, 9, 9],
  },
  {
    name: "parDo with startBundle/finishBundle: batches emitted in finishBundle hold every element once",
    build: (root) =>
      root
        .apply(fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))
        .apply(beam.withName("batch", beam.parDo(batchInFinishBundle(), windowContext())))
        .flatMap(function unbatch(batch: number[]) { return batch; }),
    expected: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  },
  {
    name: "parDo finishBundle emits WindowedValues into the windows they count, at their max timestamp",
    build: (root) =>
      clicksInMinutes(root)
        .apply(beam.withName("countInBundle", beam.parDo(countPerWindowInBundle(), windowContext())))
        .apply(withContextDescribed("describePartialCount"))
        // What finishBundle's outputs carried becomes part of the grouping key (as text).
        .map(function asPartial(partial: { element: { windowEnd: number; count: number }; window: unknown; timestamp: number }) {
          return { ...partial.element, seenIn: JSON.stringify({ window: partial.window, timestamp: partial.timestamp }) };
        })
        // Bundle-independent from here: the partial counts of a window (one per bundle) are summed.
        .apply(beam.groupBy(["windowEnd", "seenIn"]).combining("count", combiners.sum, "count")),
    expected: [
      { windowEnd: 60000, seenIn: { window: { start: 0, end: 60000 }, timestamp: 59999 }, count: 3 },
      { windowEnd: 120000, seenIn: { window: { start: 60000, end: 120000 }, timestamp: 119999 }, count: 2 },
      { windowEnd: 180000, seenIn: { window: { start: 120000, end: 180000 }, timestamp: 179999 }, count: 1 },
    ].map((e) => ({ ...e, seenIn: JSON.stringify(e.seenIn) })),
  },

  // --- Context parameters ---
  {
    name: "context params at the source: global window, minimum timestamp, the SDK's pane",
    build: (root) => root.apply(fromArray(["a", "b"])).apply(withContextDescribed("describe")),
    expected: ["a", "b"].map((element) => ({ element, window: "global", timestamp: MIN_TIMESTAMP, pane: sdkOneAndOnlyPane() })),
  },
  {
    name: "context params after assignTimestamps and fixed windows",
    build: (root) =>
      clicksInMinutes(root)
        .map(function page(click: { page: string; t: number }) { return `${click.page}@${click.t}`; })
        .apply(withContextDescribed("describe")),
    expected: CLICKS.map((c) => ({
      element: `${c.page}@${c.t}`,
      window: { start: Math.floor(c.t / 60) * 60000, end: (Math.floor(c.t / 60) + 1) * 60000 },
      timestamp: c.t * 1000,
      pane: sdkOneAndOnlyPane(),
    })),
  },
  {
    name: "context params after sliding windows: a DoFn sees each window of an element separately",
    build: (root) =>
      root
        .apply(fromArray([{ t: 10 }, { t: 45 }]))
        .apply(beam.assignTimestamps(atSecond))
        .apply(beam.windowInto(beam.slidingWindows(60, 30)))
        .apply(withContextDescribed("describe")),
    expected: [
      { element: { t: 10 }, window: { start: -30000, end: 30000 }, timestamp: 10000 },
      { element: { t: 10 }, window: { start: 0, end: 60000 }, timestamp: 10000 },
      { element: { t: 45 }, window: { start: 0, end: 60000 }, timestamp: 45000 },
      { element: { t: 45 }, window: { start: 30000, end: 90000 }, timestamp: 45000 },
    ].map((e) => ({ ...e, pane: sdkOneAndOnlyPane() })),
  },

  // --- Split and partition ---
  {
    name: "split into tagged outputs",
    build: (root) =>
      root
        .apply(fromArray([1, 20, 3, 40, 5]))
        .map(function bySize(n: number) { return n < 10 ? { small: n } : { large: `${n}` }; })
        .apply(beam.split(["small", "large"])),
    expected: { small: [1, 3, 5], large: ["20", "40"] },
  },
  {
    name: "non-exclusive split sends an element with several tags to each",
    build: (root) =>
      root
        .apply(fromArray([{ text: 1, audit: 1 }, { text: 2 }, { audit: 3 }]))
        .apply(beam.split(["text", "audit"], { exclusive: false })),
    expected: { text: [1, 2], audit: [1, 3] },
  },
  {
    name: "partition into three",
    build: (root) => {
      const parts = root
        .apply(fromArray([1, 2, 3, 4, 5, 6, 7]))
        .apply(beam.partition(function byRemainder(n: number, count: number) { return n % count; }, 3));
      return { zero: parts[0], one: parts[1], two: parts[2] };
    },
    expected: { zero: [3, 6], one: [1, 4, 7], two: [2, 5] },
  },

  // --- Side inputs ---
  {
    name: "singleton side input computed from the main input (a diamond through a side input)",
    build: (root) => {
      const amounts = root.apply(fromArray([10, 30, 60]));
      const total: beam.PCollection<{ total: number }> = amounts.apply(beam.groupGlobally<number>().combining((x) => x, combiners.sum, "total"));
      return amounts.map(
        function share(amount: number, context: { total: beam.ParDoLookupParam<{ total: number }> }) {
          return amount / context.total.lookup().total;
        },
        { total: beam.singletonSideInput(total) },
      );
    },
    expected: [0.1, 0.3, 0.6],
    tolerance: 1e-12,
  },
  {
    name: "singleton side input from an empty PCollection falls back to its default",
    build: (root) => {
      const none = root.apply(fromArray([] as number[]));
      return root.apply(fromArray([1, 2])).map(
        function plusSide(x: number, context: { side: beam.ParDoLookupParam<number> }) { return x + context.side.lookup(); },
        { side: beam.singletonSideInput(none, 100) },
      );
    },
    expected: [101, 102],
  },
  {
    name: "iterable side input from an empty PCollection is empty",
    build: (root) => {
      const none = root.apply(fromArray([] as string[]));
      return root.apply(fromArray([1, 2])).map(
        function withSide(x: number, context: { side: beam.ParDoLookupParam<Iterable<string>> }) {
          return { x, side: [...context.side.lookup()] };
        },
        { side: beam.iterableSideInput(none) },
      );
    },
    expected: [{ x: 1, side: [] }, { x: 2, side: [] }],
  },
  {
    name: "iterable side input read by a single element",
    build: (root) => {
      const words = root.apply(fromArray(["b", "a", "c"]));
      return root.apply(fromArray(["go"])).map(
        function joinSide(go: string, context: { words: beam.ParDoLookupParam<Iterable<string>> }) {
          return `${go}:${[...context.words.lookup()].sort().join(",")}`;
        },
        { words: beam.iterableSideInput(words) },
      );
    },
    expected: ["go:a,b,c"],
  },
  {
    name: "iterable side input read by every element",
    sdkCannotRun: SDK_ONE_SHOT_ITERABLE,
    build: (root) => {
      const words = root.apply(fromArray(["b", "a"]));
      return root.apply(fromArray([1, 2, 3])).map(
        function withWords(n: number, context: { words: beam.ParDoLookupParam<Iterable<string>> }) {
          return { n, words: [...context.words.lookup()].sort() };
        },
        { words: beam.iterableSideInput(words) },
      );
    },
    expected: [1, 2, 3].map((n) => ({ n, words: ["a", "b"] })),
  },
  {
    name: "singleton side input from a windowed PCollection: each element sees its own window's value",
    build: (root) => {
      const clicks = clicksInMinutes(root);
      const perMinute: beam.PCollection<number> = clicks.apply(beam.countGlobally());
      return clicks.map(
        function withMinuteCount(click: { t: number }, context: { count: beam.ParDoLookupParam<number> }) {
          return { t: click.t, clicksThatMinute: context.count.lookup() };
        },
        { count: beam.singletonSideInput(perMinute) },
      );
    },
    expected: [
      { t: 5, clicksThatMinute: 3 },
      { t: 50, clicksThatMinute: 3 },
      { t: 59, clicksThatMinute: 3 },
      { t: 65, clicksThatMinute: 2 },
      { t: 60, clicksThatMinute: 2 },
      { t: 179, clicksThatMinute: 1 },
    ],
  },
  // The side input is created before the main input: our engine then gets to the main input's
  // elements first (it runs the most downstream stage that has input).
  {
    name: "iterable side input in fixed windows, both from create: each element sees all of its window's",
    build: (root) => {
      const words = root.apply(createdInWindows("words", WORDS));
      return withWordsOfWindow(root.apply(createdInWindows("orders", ONE_ORDER_PER_WINDOW)), words);
    },
    expected: WORDS_SEEN.filter((seen) => seen.id !== 2),
    repetitions: SIDE_INPUT_REPETITIONS,
  },
  {
    name: "singleton side input in fixed windows, both from create: each element sees its window's value or the default",
    build: (root) => {
      const rates = root.apply(createdInWindows("rates", RATES));
      return withRateOfWindow(root.apply(createdInWindows("orders", ORDERS)), rates);
    },
    expected: RATES_SEEN,
    repetitions: SIDE_INPUT_REPETITIONS,
  },
  {
    name: "singleton side input in fixed windows combined from the main input (from create)",
    build: (root) => withTotalOfWindow(root.apply(createdInWindows("orders", ORDERS))),
    expected: TOTALS_SEEN,
    repetitions: SIDE_INPUT_REPETITIONS,
  },
  {
    name: "iterable side input in fixed windows combined per key from the main input (from create)",
    sdkCannotRun: SDK_ONE_SHOT_ITERABLE,
    build: (root) => {
      const orders = root.apply(createdInWindows("orders", ORDERS));
      const totals = orders.apply(
        beam.groupBy(function size(o: Order) { return o.amount >= 6 ? "large" : "small"; }).combining("amount", combiners.sum, "total"),
      );
      return orders.map(
        function withTotals(order: Order, context: { totals: beam.ParDoLookupParam<Iterable<{ key: string; total: number }>> }) {
          return { id: order.id, totals: [...context.totals.lookup()].map((t) => `${t.key}:${t.total}`).sort() };
        },
        { totals: beam.iterableSideInput(totals) },
      );
    },
    expected: [
      { id: 1, totals: ["large:7", "small:5"] },
      { id: 2, totals: ["large:7", "small:5"] },
      { id: 3, totals: ["small:4"] },
      { id: 4, totals: ["small:1"] },
    ],
    repetitions: SIDE_INPUT_REPETITIONS,
  },
  {
    name: "iterable side input in fixed windows from a TestStream, side data arriving before, with and after the main",
    sdkCannotRun: TEST_STREAM_IS_OURS,
    build: (root) => {
      const { orders, side } = streamedInWindows(root, ordersAndSideStream(WORDS));
      return withWordsOfWindow(orders, side);
    },
    expected: WORDS_SEEN,
    repetitions: SIDE_INPUT_REPETITIONS,
  },
  {
    name: "singleton side input in fixed windows from a TestStream",
    sdkCannotRun: TEST_STREAM_IS_OURS,
    build: (root) => {
      const { orders, side } = streamedInWindows(root, ordersAndSideStream(RATES));
      return withRateOfWindow(orders, side);
    },
    expected: RATES_SEEN,
    repetitions: SIDE_INPUT_REPETITIONS,
  },
  {
    name: "iterable side input from a TestStream: side data behind the watermark reaches the reads after it, even after an empty read",
    sdkCannotRun: TEST_STREAM_IS_OURS,
    build: (root) => {
      const order = (id: number, t: number) => ({ value: { order: { t, id, amount: 1 } }, timestamp: t * 1000 });
      const word = (word: string, t: number) => ({ value: { side: { t, word } }, timestamp: t * 1000 });
      const stream = testStream<Tagged<{ t: number; word: string }>>()
        .addElements(word("a", 1), order(1, 3), order(2, 25))
        .advanceWatermarkTo(30_000)
        .addElements(word("b", 2), word("z", 22))
        .addElements(order(3, 7), order(4, 27))
        .advanceWatermarkToInfinity();
      const { orders, side } = streamedInWindows(root, stream);
      return withWordsOfWindow(orders, side);
    },
    // Orders 1 and 2 read once the watermark passed their windows, before the late words arrived.
    expected: [
      { id: 1, words: ["a"] },
      { id: 2, words: [] },
      { id: 3, words: ["a", "b"] },
      { id: 4, words: ["z"] },
    ],
    repetitions: SIDE_INPUT_REPETITIONS,
  },
  {
    name: "singleton side input in fixed windows combined from a TestStream main input",
    sdkCannotRun: TEST_STREAM_IS_OURS,
    build: (root) => withTotalOfWindow(streamedInWindows(root, ordersAndSideStream([] as { t: number }[])).orders),
    expected: TOTALS_SEEN,
    repetitions: SIDE_INPUT_REPETITIONS,
  },

  // --- GroupBy ---
  {
    name: "groupBy a field",
    build: (root) => root.apply(fromArray(SALES)).apply(beam.groupBy("shop")).map(sortedGroup),
    expected: [
      { key: "east", values: [SALES[5]] },
      { key: "north", values: [SALES[1], SALES[0], SALES[2]] },
      { key: "south", values: [SALES[3], SALES[4]] },
    ].map((g) => ({ ...g, values: [...g.values].sort(byJson) })),
  },
  {
    name: "groupBy several fields (an array key)",
    build: (root) =>
      root
        .apply(fromArray(SALES))
        .apply(beam.groupBy(["shop", "item"]))
        .map(function countGroup(kv: beam.KV<unknown[], Iterable<unknown>>) { return { key: kv.key, n: [...kv.value].length }; }),
    expected: [
      { key: ["north", "pen"], n: 2 },
      { key: ["north", "ink"], n: 1 },
      { key: ["south", "pad"], n: 1 },
      { key: ["south", "pen"], n: 1 },
      { key: ["east", "ink"], n: 1 },
    ],
  },
  {
    name: "groupBy output in the global window: window, timestamp and pane of each group",
    sdkCannotRun: SDK_GROUPING_PANE,
    build: (root) =>
      root
        .apply(fromArray([3, 1, 4, 1, 5, 9, 2, 6]))
        .apply(beam.groupBy(function parity(n: number) { return n % 2 === 0 ? "even" : "odd"; }))
        .map(sortedGroup)
        .apply(withContextDescribed("describeGroup")),
    expected: [
      { key: "even", values: [2, 4, 6] },
      { key: "odd", values: [1, 1, 3, 5, 9] },
    ].map((element) => ({ element, window: "global", timestamp: GLOBAL_WINDOW_MAX_TIMESTAMP, pane: onlyFiringPane() })),
  },

  // --- Combiners ---
  {
    name: "several fields combined at once: sum, max, count and mean per key",
    build: (root) =>
      root
        .apply(fromArray(SALES))
        .apply(
          beam
            .groupBy("shop")
            .combining("amount", combiners.sum, "revenue")
            .combining("item", combiners.max, "lastItem")
            .combining("item", combiners.count, "sales")
            .combining("amount", combiners.mean, "averageSale"),
        ),
    expected: [
      { shop: "north", revenue: 12.25, lastItem: "pen", sales: 3, averageSale: 12.25 / 3 },
      { shop: "south", revenue: 6.7, lastItem: "pen", sales: 2, averageSale: 3.35 },
      { shop: "east", revenue: 0.3, lastItem: "ink", sales: 1, averageSale: 0.3 },
    ],
    tolerance: 1e-9,
  },
  {
    name: "countPerElement",
    build: (root) => root.apply(fromArray(["pen", "ink", "pen", "pad", "pen"])).apply(beam.countPerElement()),
    expected: [
      { element: "pen", count: 3 },
      { element: "ink", count: 1 },
      { element: "pad", count: 1 },
    ],
  },
  {
    name: "countGlobally",
    build: (root) => root.apply(fromArray(SALES)).apply(beam.countGlobally()),
    expected: [6],
  },
  {
    name: "countGlobally of an empty PCollection emits nothing (SDK semantics; Java and Python emit 0)",
    build: (root) => root.apply(fromArray([] as number[])).apply(beam.countGlobally()),
    expected: [],
  },
  {
    name: "custom CombineFn with a multi-field accumulator (count, mean, variance, top two)",
    build: (root) =>
      root
        .apply(fromArray([2, 4, 4, 4, 5, 5, 7, 9].map((x, i) => ({ group: i % 2 === 0 ? "even-index" : "odd-index", x }))))
        .apply(beam.groupBy("group").combining("x", STATS, "stats")),
    expected: [
      { group: "even-index", stats: { count: 4, mean: 4.5, variance: 3.25, top: [7, 5] } },
      { group: "odd-index", stats: { count: 4, mean: 5.5, variance: 4.25, top: [9, 5] } },
    ],
    tolerance: 1e-9,
  },
  {
    name: "groupGlobally with binary-function combiners",
    build: (root) =>
      root
        .apply(fromArray([3, 1, 4, 1, 5]))
        .apply(
          beam
            .groupGlobally<number>()
            .combining((x) => x, (a: number, b: number) => Math.min(a, b), "min")
            .combining((x) => x, (a: number, b: number) => a * b, "product"),
        ),
    expected: [{ min: 1, product: 60 }],
  },

  // --- Flatten ---
  {
    name: "flatten of one PCollection",
    build: (root) => beam.P([root.apply(fromArray([1, 2]))]).apply(beam.flatten()),
    expected: [1, 2],
  },
  {
    name: "flatten of three PCollections",
    build: (root) =>
      beam
        .P([
          root.apply(fromArray([1, 2])),
          root.apply(fromArray([] as number[])),
          root.apply(fromArray([2, 3, 4])),
        ])
        .apply(beam.flatten()),
    expected: [1, 2, 2, 3, 4],
  },
  {
    name: "flatten of a PCollection with itself yields each element twice",
    build: (root) => {
      const numbers = root.apply(fromArray([1, 2, 3]));
      return beam.P([numbers, numbers]).apply(beam.flatten());
    },
    expected: [1, 1, 2, 2, 3, 3],
  },

  // --- Windowing ---
  {
    name: "windowInto globalWindows after fixed windows: one group across the minutes",
    sdkCannotRun: SDK_GROUPING_PANE,
    build: (root) =>
      clicksInMinutes(root)
        .apply(beam.windowInto(beam.globalWindows()))
        .apply(beam.groupBy("user").combining("page", combiners.count, "clicks"))
        .apply(withContextDescribed("describeTotal")),
    expected: [
      { user: "ana", clicks: 3 },
      { user: "bob", clicks: 3 },
    ].map((element) => ({ element, window: "global", timestamp: GLOBAL_WINDOW_MAX_TIMESTAMP, pane: onlyFiringPane() })),
  },
  {
    name: "assignTimestamps + fixed windows + groupBy: one group per user and minute, at the window's end",
    sdkCannotRun: SDK_GROUPING_PANE,
    build: (root) =>
      clicksInMinutes(root)
        .apply(beam.groupBy("user"))
        .map(function pages(kv: beam.KV<string, Iterable<{ page: string }>>) {
          return { user: kv.key, pages: [...kv.value].map((c) => c.page).sort() };
        })
        .apply(withContextDescribed("describeMinute")),
    expected: [
      { element: { user: "ana", pages: ["cart", "home"] }, window: { start: 0, end: 60000 }, timestamp: 59999 },
      { element: { user: "ana", pages: ["pay"] }, window: { start: 60000, end: 120000 }, timestamp: 119999 },
      { element: { user: "bob", pages: ["home"] }, window: { start: 0, end: 60000 }, timestamp: 59999 },
      { element: { user: "bob", pages: ["home"] }, window: { start: 60000, end: 120000 }, timestamp: 119999 },
      { element: { user: "bob", pages: ["cart"] }, window: { start: 120000, end: 180000 }, timestamp: 179999 },
    ].map((e) => ({ ...e, pane: onlyFiringPane() })),
  },
  {
    name: "sliding windows: an element counts in every window that covers it",
    sdkCannotRun: SDK_GROUPING_PANE,
    build: (root) =>
      clicksInMinutes(root)
        .apply(beam.windowInto(beam.slidingWindows(60, 30)))
        .apply(beam.groupGlobally().combining("user", combiners.count, "clicks"))
        .apply(withContextDescribed("describeWindowCount")),
    expected: [
      { clicks: 1, window: { start: -30000, end: 30000 } }, // 5
      { clicks: 3, window: { start: 0, end: 60000 } }, // 5, 50, 59
      { clicks: 4, window: { start: 30000, end: 90000 } }, // 50, 59, 60, 65
      { clicks: 2, window: { start: 60000, end: 120000 } }, // 60, 65
      { clicks: 1, window: { start: 120000, end: 180000 } }, // 179
      { clicks: 1, window: { start: 150000, end: 210000 } }, // 179
    ].map(({ clicks, window }) => ({ element: { clicks }, window, timestamp: window.end - 1, pane: onlyFiringPane() })),
  },
  {
    name: "sessions + groupBy: merged windows, each group at its session's end",
    sdkCannotRun: "the SDK runner rejects merging windows",
    build: (root) =>
      sessionsOfTenSeconds(root)
        .apply(beam.groupBy("user"))
        .map(function times(kv: beam.KV<string, Iterable<{ t: number }>>) {
          return { user: kv.key, times: [...kv.value].map((e) => e.t).sort((a, b) => a - b) };
        })
        .apply(withContextDescribed("describeSession")),
    expected: [
      { element: { user: "ana", times: [0, 5, 12] }, window: { start: 0, end: 22000 }, timestamp: 21999 },
      { element: { user: "ana", times: [40] }, window: { start: 40000, end: 50000 }, timestamp: 49999 },
      { element: { user: "bob", times: [3] }, window: { start: 3000, end: 13000 }, timestamp: 12999 },
      { element: { user: "bob", times: [30, 35] }, window: { start: 30000, end: 45000 }, timestamp: 44999 },
    ].map((e) => ({ ...e, pane: onlyFiringPane() })),
  },
  {
    name: "sessions + combining: one sum per user and session",
    sdkCannotRun: "the SDK runner rejects merging windows",
    build: (root) =>
      sessionsOfTenSeconds(root)
        .apply(beam.groupBy("user").combining("t", combiners.sum, "secondsSum"))
        .apply(withContextDescribed("describeSessionSum")),
    expected: [
      { user: "ana", secondsSum: 17, window: { start: 0, end: 22000 } },
      { user: "ana", secondsSum: 40, window: { start: 40000, end: 50000 } },
      { user: "bob", secondsSum: 3, window: { start: 3000, end: 13000 } },
      { user: "bob", secondsSum: 65, window: { start: 30000, end: 45000 } },
    ].map(({ window, ...element }) => ({ element, window, timestamp: window.end - 1, pane: onlyFiringPane() })),
  },

  // --- Graph shapes ---
  {
    name: "deep graph: a chain of 200 maps",
    build: (root) => {
      let numbers = root.apply(fromArray([0, 1000, 2000]));
      for (let step = 1; step <= 200; step++) numbers = numbers.map(addStep(step));
      return numbers;
    },
    expected: [20100, 21100, 22100],
  },
  {
    name: "wide graph: 50 branches of one source flattened",
    build: (root) => {
      const source = root.apply(fromArray([1, 2, 3]));
      const branches = Array.from({ length: 50 }, (_, branch) =>
        source.map(beam.withName(`branch${branch}`, (x: number) => ({ branch, x }))),
      );
      return beam.P(branches).apply(beam.flatten());
    },
    expected: Array.from({ length: 50 }, (_, branch) => [1, 2, 3].map((x) => ({ branch, x }))).flat(),
  },
  {
    name: "diamond: two branches of one PCollection re-joined by flatten and grouped",
    build: (root) => {
      const numbers = root.apply(fromArray([1, 2, 3, 4, 5, 6]));
      const doubled = numbers.map(function double(n: number) { return { parity: n % 2, value: 2 * n }; });
      const evens = numbers.flatMap(function keepEven(n: number) { return n % 2 === 0 ? [{ parity: 0, value: n }] : []; });
      return beam.P([doubled, evens]).apply(beam.flatten()).apply(beam.groupBy("parity").combining("value", combiners.sum, "sum"));
    },
    expected: [
      { parity: 0, sum: 24 + 12 },
      { parity: 1, sum: 18 },
    ],
  },
  {
    name: "diamond: two aggregations of one PCollection re-joined by key with coGroupBy",
    build: (root) => {
      const sales = root.apply(fromArray(SALES));
      const revenue = sales.apply(beam.groupBy("shop").combining("amount", combiners.sum, "revenue"));
      const items = sales.apply(
        beam.withName("distinctItems", beam.groupBy("shop").combining("item", (a: string, b: string) => (a < b ? a : b), "firstItem")),
      );
      return beam
        .P({ revenue, items })
        .apply(beam.coGroupBy("shop"))
        .map(function joinShop(joined: { key: unknown; values: { [tag: string]: Iterable<any> } }) {
          const [shopRevenue] = [...joined.values.revenue];
          const [shopItems] = [...joined.values.items];
          return { shop: joined.key, revenue: shopRevenue.revenue, firstItem: shopItems.firstItem };
        });
    },
    expected: [
      { shop: "north", revenue: 12.25, firstItem: "ink" },
      { shop: "south", revenue: 6.7, firstItem: "pad" },
      { shop: "east", revenue: 0.3, firstItem: "ink" },
    ],
    tolerance: 1e-9,
  },
];
