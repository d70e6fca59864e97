/**
 * The trigger state machines, driven by hand: each test feeds elements, watermarks and clock values
 * as the engine would and checks the exact sequence of firings.
 */
import { expect } from "chai";
import { triggerStateMachine } from "../../runners/direct/engine/triggers";
import type { TriggerContext, TriggerSpec, TriggerStateMachine } from "../../runners/direct/engine/triggers/spec";

/** The window [0, 60 s): its max timestamp is 59 999. */
const WINDOW_MAX = 59_999;
/** A watermark before the end of the window, and one past it. */
const BEFORE = 10_000;
const PAST = 60_000;

function ctx(watermark: number, now: number, windowMaxTimestamp = WINDOW_MAX): TriggerContext {
  return { watermark, now, windowMaxTimestamp };
}

/**
 * One engine event: an element (when `element`), then the firing decision, firing if asked.
 * Returns whether it fired; checks that shouldFire is pure on the way.
 */
function step(trigger: TriggerStateMachine, c: TriggerContext, element: boolean): boolean {
  if (element) trigger.onElement(c);
  const fire = trigger.shouldFire(c);
  expect(trigger.shouldFire(c), "shouldFire asked twice").to.equal(fire);
  if (fire) trigger.onFire(c);
  return fire;
}
const elementAt = (t: TriggerStateMachine, c: TriggerContext) => step(t, c, true);
const tickAt = (t: TriggerStateMachine, c: TriggerContext) => step(t, c, false);

/** `n` elements at one context; the firings, in order. */
function elements(t: TriggerStateMachine, n: number, c: TriggerContext = ctx(BEFORE, 0)): boolean[] {
  return Array.from({ length: n }, () => elementAt(t, c));
}

const count = (n: number): TriggerSpec => ({ kind: "afterCount", count: n });
const delay = (ms: number): TriggerSpec => ({ kind: "afterProcessingTime", delayMs: ms });
const repeatedly = (trigger: TriggerSpec): TriggerSpec => ({ kind: "repeatedly", trigger });

describe("triggers: state machines", () => {
  describe("never and always", () => {
    it("never fires, never finishes, never asks to be woken", () => {
      const t = triggerStateMachine({ kind: "never" });
      expect(elements(t, 3)).to.deep.equal([false, false, false]);
      expect(tickAt(t, ctx(PAST, 100))).to.equal(false);
      expect(t.isFinished()).to.equal(false);
      expect(t.nextProcessingTimeWakeUp()).to.equal(Infinity);
    });

    it("always fires once per element arrival and not in between", () => {
      const t = triggerStateMachine({ kind: "always" });
      const c = ctx(BEFORE, 0);
      expect([tickAt(t, c), elementAt(t, c), tickAt(t, c), elementAt(t, c), elementAt(t, ctx(PAST, 1)), tickAt(t, ctx(PAST, 2))]).to.deep.equal([
        false, true, false, true, true, false,
      ]);
      expect(t.isFinished()).to.equal(false);
    });
  });

  describe("afterCount", () => {
    it("fires once at the count-th element, then is finished", () => {
      const t = triggerStateMachine(count(3));
      expect(elements(t, 5)).to.deep.equal([false, false, true, false, false]);
      expect(t.isFinished()).to.equal(true);
      expect(t.nextProcessingTimeWakeUp()).to.equal(Infinity);
    });

    it("under repeatedly counts again from each firing and never finishes", () => {
      const t = triggerStateMachine(repeatedly(count(2)));
      expect(elements(t, 7)).to.deep.equal([false, true, false, true, false, true, false]);
      expect(t.isFinished()).to.equal(false);
    });
  });

  describe("afterProcessingTime", () => {
    it("fires once, delay after the pane's first element; later elements do not move the deadline", () => {
      const t = triggerStateMachine(delay(1000));
      expect(t.nextProcessingTimeWakeUp(), "no element yet").to.equal(Infinity);
      expect(elementAt(t, ctx(BEFORE, 100))).to.equal(false);
      expect(t.nextProcessingTimeWakeUp()).to.equal(1100);
      expect(elementAt(t, ctx(BEFORE, 600))).to.equal(false);
      expect(t.nextProcessingTimeWakeUp()).to.equal(1100);
      expect([tickAt(t, ctx(BEFORE, 1099)), tickAt(t, ctx(BEFORE, 1100)), elementAt(t, ctx(BEFORE, 5000)), tickAt(t, ctx(BEFORE, 9000))]).to.deep.equal([
        false, true, false, false,
      ]);
      expect(t.isFinished()).to.equal(true);
      expect(t.nextProcessingTimeWakeUp()).to.equal(Infinity);
    });

    it("under repeatedly waits for the next element before setting a new deadline", () => {
      const t = triggerStateMachine(repeatedly(delay(1000)));
      elementAt(t, ctx(BEFORE, 0));
      expect(tickAt(t, ctx(BEFORE, 1000))).to.equal(true);
      expect(t.nextProcessingTimeWakeUp()).to.equal(Infinity);
      expect(tickAt(t, ctx(BEFORE, 5000))).to.equal(false);
      expect(elementAt(t, ctx(BEFORE, 5500))).to.equal(false);
      expect(t.nextProcessingTimeWakeUp()).to.equal(6500);
      expect([tickAt(t, ctx(BEFORE, 6499)), tickAt(t, ctx(BEFORE, 6500))]).to.deep.equal([false, true]);
      expect(t.isFinished()).to.equal(false);
    });
  });

  describe("default", () => {
    it("fires on time, then once per late arrival, and never finishes", () => {
      const t = triggerStateMachine({ kind: "default" });
      expect([elementAt(t, ctx(BEFORE, 0)), elementAt(t, ctx(WINDOW_MAX, 1)), tickAt(t, ctx(WINDOW_MAX, 2))]).to.deep.equal([false, false, false]);
      expect([tickAt(t, ctx(PAST, 3)), tickAt(t, ctx(PAST + 1, 4))], "on time, then nothing new").to.deep.equal([true, false]);
      expect([elementAt(t, ctx(PAST + 1, 5)), tickAt(t, ctx(PAST + 2, 6)), elementAt(t, ctx(PAST + 2, 7)), elementAt(t, ctx(PAST + 2, 8))]).to.deep.equal([
        true, false, true, true,
      ]);
      expect(t.isFinished()).to.equal(false);
      expect(t.nextProcessingTimeWakeUp()).to.equal(Infinity);
    });

    it("asks for the on-time firing even with no element since an earlier firing (the engine decides on empty panes)", () => {
      const t = triggerStateMachine({ kind: "default" });
      expect(tickAt(t, ctx(PAST, 0))).to.equal(true);
    });
  });

  describe("afterWatermark", () => {
    it("without early or late firings fires once, on time, and finishes", () => {
      const t = triggerStateMachine({ kind: "afterWatermark" });
      expect([elementAt(t, ctx(BEFORE, 0)), tickAt(t, ctx(WINDOW_MAX, 1)), tickAt(t, ctx(PAST, 2))]).to.deep.equal([false, false, true]);
      expect(t.isFinished()).to.equal(true);
      expect([elementAt(t, ctx(PAST, 3)), tickAt(t, ctx(PAST + 5, 4))]).to.deep.equal([false, false]);
    });

    it("early afterProcessingTime (implicitly repeated), on time, then late afterCount(1) per late element", () => {
      const t = triggerStateMachine({ kind: "afterWatermark", early: delay(1000), late: count(1) });
      const fired = [
        elementAt(t, ctx(BEFORE, 0)), // early clock starts: deadline 1000
        tickAt(t, ctx(BEFORE, 999)),
        tickAt(t, ctx(BEFORE, 1000)), // EARLY
        tickAt(t, ctx(BEFORE, 3000)), // early trigger reset: nothing pending
        elementAt(t, ctx(BEFORE, 3500)), // deadline 4500
        tickAt(t, ctx(BEFORE, 4500)), // EARLY
        elementAt(t, ctx(BEFORE, 5000)), // deadline 6000
        tickAt(t, ctx(PAST, 5200)), // ON_TIME, subsumes the pending early firing
        tickAt(t, ctx(PAST, 6000)), // no early firing after the end of the window
        elementAt(t, ctx(PAST, 7000)), // LATE
        tickAt(t, ctx(PAST, 7100)),
        elementAt(t, ctx(PAST, 7200)), // LATE
      ];
      expect(fired).to.deep.equal([false, false, true, false, false, true, false, true, false, true, false, true]);
      expect(t.isFinished()).to.equal(false);
    });

    it("an early afterCount repeats before the end; without a late trigger it finishes on time", () => {
      const t = triggerStateMachine({ kind: "afterWatermark", early: count(2) });
      expect(elements(t, 5)).to.deep.equal([false, true, false, true, false]);
      expect(tickAt(t, ctx(PAST, 0)), "on time").to.equal(true);
      expect(t.isFinished(), "no late trigger").to.equal(true);
      expect(elements(t, 2, ctx(PAST, 1))).to.deep.equal([false, false]);
    });

    it("the late trigger counts only late elements (from the on-time firing)", () => {
      const t = triggerStateMachine({ kind: "afterWatermark", late: count(2) });
      expect(elements(t, 3)).to.deep.equal([false, false, false]);
      expect(tickAt(t, ctx(PAST, 0))).to.equal(true);
      expect(elements(t, 5, ctx(PAST, 1))).to.deep.equal([false, true, false, true, false]);
    });

    it("dashboard: early firings every 5 s of processing time, late firings on every late element", () => {
      const t = triggerStateMachine({
        kind: "afterWatermark",
        early: repeatedly(delay(5000)),
        late: count(1),
      });
      const wakeUps: number[] = [];
      const fired: boolean[] = [];
      const at = (c: TriggerContext, element: boolean) => {
        fired.push(step(t, c, element));
        wakeUps.push(t.nextProcessingTimeWakeUp());
      };
      at(ctx(0, 1000), true); // first element of the pane: early deadline 6000
      at(ctx(0, 3000), true);
      at(ctx(1000, 5999), false);
      at(ctx(1000, 6000), false); // EARLY
      at(ctx(2000, 8000), false); // quiet: nothing to wait for
      at(ctx(2000, 9000), true); // deadline 14000
      at(ctx(30_000, 14_000), false); // EARLY
      at(ctx(30_000, 15_000), true); // deadline 20000
      at(ctx(PAST, 16_000), false); // ON_TIME
      at(ctx(PAST, 20_000), false); // the pending early deadline is gone
      at(ctx(PAST, 21_000), true); // LATE
      at(ctx(PAST, 22_000), true); // LATE
      at(ctx(PAST + 10, 23_000), false);
      expect(fired).to.deep.equal([false, false, false, true, false, false, true, false, true, false, true, true, false]);
      expect(wakeUps).to.deep.equal([
        6000, 6000, 6000, Infinity, Infinity, 14_000, Infinity, 20_000, Infinity, Infinity, Infinity, Infinity, Infinity,
      ]);
      expect(t.isFinished()).to.equal(false);
    });
  });

  describe("composites", () => {
    it("afterAny fires when the first sub-trigger does, then is finished", () => {
      const byCount = triggerStateMachine({ kind: "afterAny", triggers: [count(3), delay(1000)] });
      expect(elements(byCount, 4)).to.deep.equal([false, false, true, false]);
      expect(byCount.isFinished()).to.equal(true);

      const byTime = triggerStateMachine({ kind: "afterAny", triggers: [count(3), delay(1000)] });
      expect([elementAt(byTime, ctx(BEFORE, 0)), tickAt(byTime, ctx(BEFORE, 999)), tickAt(byTime, ctx(BEFORE, 1000)), elementAt(byTime, ctx(BEFORE, 1001))]).to.deep.equal([
        false, false, true, false,
      ]);
      expect(byTime.isFinished()).to.equal(true);
      expect(byTime.nextProcessingTimeWakeUp()).to.equal(Infinity);
    });

    it("afterAll fires once every sub-trigger has, whichever order they got there in", () => {
      const countFirst = triggerStateMachine({ kind: "afterAll", triggers: [count(2), delay(1000)] });
      expect([elementAt(countFirst, ctx(BEFORE, 0)), elementAt(countFirst, ctx(BEFORE, 10)), tickAt(countFirst, ctx(BEFORE, 999)), tickAt(countFirst, ctx(BEFORE, 1000))]).to.deep.equal([
        false, false, false, true,
      ]);
      expect(countFirst.isFinished()).to.equal(true);

      const timeFirst = triggerStateMachine({ kind: "afterAll", triggers: [count(2), delay(1000)] });
      expect([elementAt(timeFirst, ctx(BEFORE, 0)), tickAt(timeFirst, ctx(BEFORE, 1000)), tickAt(timeFirst, ctx(BEFORE, 5000)), elementAt(timeFirst, ctx(BEFORE, 6000)), elementAt(timeFirst, ctx(BEFORE, 7000))]).to.deep.equal([
        false, false, false, true, false,
      ]);
      expect(timeFirst.isFinished()).to.equal(true);
    });

    it("afterAll wakes for the next deadline still ahead, not for one already passed", () => {
      const t = triggerStateMachine({ kind: "afterAll", triggers: [delay(1000), delay(3000), count(2)] });
      elementAt(t, ctx(BEFORE, 0));
      expect(t.nextProcessingTimeWakeUp()).to.equal(1000);
      expect(tickAt(t, ctx(BEFORE, 1000))).to.equal(false);
      expect(t.nextProcessingTimeWakeUp()).to.equal(3000);
      expect(tickAt(t, ctx(BEFORE, 3000))).to.equal(false);
      expect(t.nextProcessingTimeWakeUp(), "only an element can complete it now").to.equal(Infinity);
      expect(elementAt(t, ctx(BEFORE, 4000))).to.equal(true);
    });

    it("afterEach runs its sub-triggers in turn, each counting from the firing before it", () => {
      const t = triggerStateMachine({ kind: "afterEach", triggers: [count(2), count(3)] });
      expect(elements(t, 7)).to.deep.equal([false, true, false, false, true, false, false]);
      expect(t.isFinished()).to.equal(true);
    });

    it("afterEach moves to the next sub-trigger only when the current one finishes (a repeatedly never does)", () => {
      const t = triggerStateMachine({ kind: "afterEach", triggers: [repeatedly(count(2)), count(1)] });
      expect(elements(t, 6)).to.deep.equal([false, true, false, true, false, true]);
      expect(t.isFinished()).to.equal(false);
    });

    it("repeatedly restarts a sub-trigger only once it has finished: repeatedly(afterEach(1, 2)) fires at 1, 3, 4, 6", () => {
      const t = triggerStateMachine(repeatedly({ kind: "afterEach", triggers: [count(1), count(2)] }));
      expect(elements(t, 6)).to.deep.equal([true, false, true, true, false, true]);
    });

    it("orFinally fires as main does until `until` fires, with one last firing for it", () => {
      const t = triggerStateMachine({ kind: "orFinally", main: repeatedly(count(2)), until: count(5) });
      expect(elements(t, 7)).to.deep.equal([false, true, false, true, true, false, false]);
      expect(t.isFinished()).to.equal(true);
    });

    it("orFinally until the end of the window: early panes by count, one at the watermark, then done", () => {
      const t = triggerStateMachine({ kind: "orFinally", main: repeatedly(count(2)), until: { kind: "afterWatermark" } });
      expect(elements(t, 3)).to.deep.equal([false, true, false]);
      expect([tickAt(t, ctx(WINDOW_MAX, 1)), tickAt(t, ctx(PAST, 2)), elementAt(t, ctx(PAST, 3)), elementAt(t, ctx(PAST, 4))]).to.deep.equal([
        false, true, false, false,
      ]);
      expect(t.isFinished()).to.equal(true);
    });

    it("orFinally finishes when a once main trigger finishes (Beam's semantics)", () => {
      const t = triggerStateMachine({ kind: "orFinally", main: count(2), until: delay(1000) });
      expect(elements(t, 2)).to.deep.equal([false, true]);
      expect(t.isFinished()).to.equal(true);
      expect(tickAt(t, ctx(BEFORE, 5000))).to.equal(false);
    });

    it("next processing-time wake-up is the earliest of the sub-triggers that matter", () => {
      const any = triggerStateMachine({ kind: "afterAny", triggers: [delay(3000), delay(1000), count(10)] });
      elementAt(any, ctx(BEFORE, 500));
      expect(any.nextProcessingTimeWakeUp()).to.equal(1500);

      const until = triggerStateMachine({ kind: "orFinally", main: repeatedly(delay(1000)), until: delay(2500) });
      elementAt(until, ctx(BEFORE, 0));
      expect(until.nextProcessingTimeWakeUp()).to.equal(1000);
      expect(tickAt(until, ctx(BEFORE, 1000))).to.equal(true);
      expect(until.nextProcessingTimeWakeUp(), "main reset, until still running").to.equal(2500);
      expect(tickAt(until, ctx(BEFORE, 2500))).to.equal(true);
      expect(until.nextProcessingTimeWakeUp()).to.equal(Infinity);

      const each = triggerStateMachine({ kind: "afterEach", triggers: [count(1), delay(700)] });
      elementAt(each, ctx(BEFORE, 0));
      expect(each.nextProcessingTimeWakeUp(), "delay starts only at its turn").to.equal(Infinity);
      elementAt(each, ctx(BEFORE, 100));
      expect(each.nextProcessingTimeWakeUp()).to.equal(800);

      const late = triggerStateMachine({ kind: "afterWatermark", early: delay(1000), late: delay(200) });
      elementAt(late, ctx(BEFORE, 0));
      expect(late.nextProcessingTimeWakeUp()).to.equal(1000);
      expect(tickAt(late, ctx(PAST, 10))).to.equal(true);
      expect(late.nextProcessingTimeWakeUp(), "late trigger idle until a late element").to.equal(Infinity);
      elementAt(late, ctx(PAST, 50));
      expect(late.nextProcessingTimeWakeUp()).to.equal(250);
    });
  });

  describe("mergeFrom (sessions)", () => {
    /** Two panes of the same trigger, each fed `n` elements. */
    function panes(spec: TriggerSpec, ...counts: number[]): TriggerStateMachine[] {
      return counts.map((n) => {
        const t = triggerStateMachine(spec);
        elements(t, n);
        return t;
      });
    }

    it("afterCount adds the counts of the merging panes, into a fresh pane or into one of them", () => {
      const intoFresh = triggerStateMachine(count(4));
      intoFresh.mergeFrom(panes(count(4), 1, 2));
      expect(elements(intoFresh, 2)).to.deep.equal([true, false]);

      const [a, b] = panes(count(4), 1, 2);
      a.mergeFrom([a, b]); // listing the target among the others does not count it twice
      expect(elements(a, 2)).to.deep.equal([true, false]);
    });

    it("a merged trigger is finished only if every pane's was", () => {
      const [fired, counting] = panes(count(2), 2, 1);
      expect(fired.isFinished()).to.equal(true);
      const merged = triggerStateMachine(count(2));
      merged.mergeFrom([fired, counting]);
      expect(merged.isFinished()).to.equal(false);
      expect(elements(merged, 1)).to.deep.equal([true]);

      const allDone = triggerStateMachine(count(2));
      allDone.mergeFrom(panes(count(2), 2, 3));
      expect(allDone.isFinished()).to.equal(true);
    });

    it("afterProcessingTime keeps the earliest first element", () => {
      const a = triggerStateMachine(delay(1000));
      const b = triggerStateMachine(delay(1000));
      elementAt(a, ctx(BEFORE, 700));
      elementAt(b, ctx(BEFORE, 300));
      const merged = triggerStateMachine(delay(1000));
      merged.mergeFrom([a, b]);
      expect(merged.nextProcessingTimeWakeUp()).to.equal(1300);
      expect([tickAt(merged, ctx(BEFORE, 1299)), tickAt(merged, ctx(BEFORE, 1300))]).to.deep.equal([false, true]);
    });

    it("repeatedly(afterCount) merges the counts since each pane's last firing", () => {
      const merged = triggerStateMachine(repeatedly(count(3)));
      merged.mergeFrom(panes(repeatedly(count(3)), 4, 1)); // 1 and 1 since the last firing
      expect(elements(merged, 2)).to.deep.equal([true, false]);
    });

    it("default: on time only if every pane had fired on time; a late element in any pane is owed a firing", () => {
      const onTime = triggerStateMachine({ kind: "default" });
      elementAt(onTime, ctx(BEFORE, 0));
      expect(tickAt(onTime, ctx(PAST, 1))).to.equal(true);
      const early = triggerStateMachine({ kind: "default" });
      elementAt(early, ctx(BEFORE, 0));
      const merged = triggerStateMachine({ kind: "default" });
      merged.mergeFrom([onTime, early]);
      expect([tickAt(merged, ctx(PAST, 2)), tickAt(merged, ctx(PAST, 3))]).to.deep.equal([true, false]);

      const a = triggerStateMachine({ kind: "default" });
      const b = triggerStateMachine({ kind: "default" });
      for (const t of [a, b]) {
        elementAt(t, ctx(BEFORE, 0));
        tickAt(t, ctx(PAST, 1));
      }
      elementAt(b, ctx(PAST, 2)); // fires a late pane for b ...
      elementAt(b, ctx(PAST, 3)); // ... and another
      const quiet = triggerStateMachine({ kind: "default" });
      quiet.mergeFrom([a, b]);
      expect(tickAt(quiet, ctx(PAST, 4)), "nothing new in either").to.equal(false);
    });

    it("default: a session that merged into a longer window fires on time again at the new end", () => {
      const fired = triggerStateMachine({ kind: "default" });
      elementAt(fired, ctx(BEFORE, 0));
      expect(tickAt(fired, ctx(PAST, 1))).to.equal(true);
      const longer = WINDOW_MAX + 30_000;
      const merged = triggerStateMachine({ kind: "default" });
      merged.mergeFrom([fired]);
      expect([tickAt(merged, ctx(PAST, 2, longer)), tickAt(merged, ctx(longer + 1, 3, longer))]).to.deep.equal([false, true]);
    });

    it("afterWatermark: still early if any pane is; late trigger states combine when all are late", () => {
      const spec: TriggerSpec = { kind: "afterWatermark", early: count(3), late: count(2) };
      const late = triggerStateMachine(spec);
      elementAt(late, ctx(BEFORE, 0));
      expect(tickAt(late, ctx(PAST, 1))).to.equal(true);
      const early = triggerStateMachine(spec);
      elements(early, 2);
      const mixed = triggerStateMachine(spec);
      mixed.mergeFrom([late, early]);
      expect(elementAt(mixed, ctx(BEFORE, 2)), "early count 2 + 1").to.equal(true);
      expect(tickAt(mixed, ctx(PAST, 3)), "on time").to.equal(true);

      const a = triggerStateMachine(spec);
      const b = triggerStateMachine(spec);
      for (const t of [a, b]) {
        tickAt(t, ctx(PAST, 0));
        elementAt(t, ctx(PAST, 1)); // one late element each
      }
      const allLate = triggerStateMachine(spec);
      allLate.mergeFrom([a, b]);
      expect(tickAt(allLate, ctx(PAST, 2)), "late count 1 + 1").to.equal(true);
      expect(elements(allLate, 2, ctx(PAST, 3))).to.deep.equal([false, true]);
    });

    it("afterEach resumes at the least advanced pane's sub-trigger", () => {
      const spec: TriggerSpec = { kind: "afterEach", triggers: [count(2), count(3)] };
      const [ahead, behind] = panes(spec, 3, 1); // ahead: on the second, 1 counted; behind: on the first
      const merged = triggerStateMachine(spec);
      merged.mergeFrom([ahead, behind]);
      expect(elements(merged, 4)).to.deep.equal([true, false, false, true]);
    });

    it("orFinally and afterAll merge their sub-triggers", () => {
      const orSpec: TriggerSpec = { kind: "orFinally", main: repeatedly(count(10)), until: count(4) };
      const or = triggerStateMachine(orSpec);
      or.mergeFrom(panes(orSpec, 1, 2));
      expect(elements(or, 1)).to.deep.equal([true]);
      expect(or.isFinished()).to.equal(true);

      const allSpec: TriggerSpec = { kind: "afterAll", triggers: [count(2), count(3)] };
      const all = triggerStateMachine(allSpec);
      all.mergeFrom(panes(allSpec, 1, 1));
      expect(elements(all, 1)).to.deep.equal([true]);
    });

    it("refuses to merge states of different triggers", () => {
      expect(() => triggerStateMachine(count(2)).mergeFrom([triggerStateMachine(delay(5))])).to.throw(/different triggers/);
    });
  });

  describe("malformed specs", () => {
    it("are refused when the state machine is built, naming the problem", () => {
      expect(() => triggerStateMachine(count(-1))).to.throw(RangeError, /afterCount count/);
      expect(() => triggerStateMachine(delay(NaN))).to.throw(RangeError, /delayMs/);
      expect(() => triggerStateMachine({ kind: "afterAny", triggers: [] })).to.throw(RangeError, /afterAny needs/);
      expect(() => triggerStateMachine({ kind: "afterEach", triggers: [count(1), count(-2)] }), "a later turn").to.throw(RangeError);
      expect(() => triggerStateMachine({ kind: "sometimes" } as unknown as TriggerSpec)).to.throw(RangeError, /unknown trigger kind/);
    });
  });
});
