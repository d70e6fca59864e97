/**
 * The streaming demo's summary as text: every figure counts what this run handled, says why the run
 * ended and what it left unread, and tells which emulators are still up.
 */
import { DEMO_SUBSCRIPTION, type DemoSummary } from "./demo";
import type { PipelineOptions } from "./options";
import { describeRunEnd } from "./run_end";
import { formatRupeesGrouped } from "../transforms/money";
import { formatGatewayFeed } from "./demo_gateway";

/** Formats `s` for people; every number in it comes from `s`. */
export function formatDemoSummary(s: DemoSummary, options: PipelineOptions): string {
  const cbt = `cbt -project ${options.project} -instance ${options.instance}`;
  const unread = Math.max(0, s.published.published - s.read);
  const reused = s.emulators.reused.length > 0;
  return [
    "",
    "summary",
    `  ended           ${describeRunEnd(s.ended)}`,
    ...(s.gateway
      ? formatGatewayFeed(s.gateway).map((line) => `  ${line}`)
      : [`  published       ${s.published.published} messages (${s.published.valid} valid rows, ${s.published.invalid} bad rows)`]),
    `  read            ${s.read} of them${unread > 0 ? `; ${unread} left unread in subscription ${DEMO_SUBSCRIPTION}` : ""}`,
    `  handled         ${s.acknowledged} acknowledged (everything they produced written)`,
    `  valid           ${s.valid} → Bigtable ${options.table} (and ${options.aggregateTable}, per category per minute)`,
    `  dead letters    ${s.deadLetters} → ${describeTarget(options)}`,
    `  duplicates      ${s.duplicates} dropped (same transaction_id and payload as a message already read)`,
    `  throughput      ${Math.round(s.acknowledged / Math.max(s.seconds, 1e-3))} messages/s handled (${s.acknowledged} in ${s.seconds.toFixed(1)} s)`,
    `  latency         p50 ${s.ackLatencyP50Ms} ms, p99 ${s.ackLatencyP99Ms} ms (publish → every row written and the message acknowledged;`,
    `                  the demo publishes the whole input at once, so this includes the wait behind the burst — at a steady`,
    `                  rate the job keeps up with, it is ~110 ms: npm run bench:e2e)`,
    "",
    `three rows of ${options.table}, as \`cbt read\` shows them:`,
    s.sampleRows.trimEnd(),
    "",
    `revenue per category, this run (its minutes of the per-minute aggregate${s.droppedLate ? `; ${s.droppedLate} transactions too late for it` : ""}):`,
    ...s.revenueByCategory.map((c) => `  ${c.category.padEnd(16)} ${formatRupeesGrouped(c.revenuePaise).padStart(16)}  (${c.count} transactions)`),
    "",
    ...(reused ? reusedEmulators(s) : startedEmulators()),
    `  ${cbt} read ${options.table} count=3`,
    `  ${cbt} count ${options.table}`,
    `  npm run rows -- --table ${options.table} --limit 5`,
    ...(s.gateway?.sampleEventId ? [`  npm run event -- --event-id ${s.gateway.sampleEventId}   # where that event went`] : []),
  ].join("\n");
}

function startedEmulators(): string[] {
  return [
    "look further (the demo stopped the emulators it started; keep them up to look):",
    "  npm run emulators                      # in another terminal; then export the two variables it prints",
    "  npm run pipeline                       # reuses those emulators, which keep the rows",
  ];
}

function reusedEmulators(s: DemoSummary): string[] {
  const stopped = s.emulators.started.length > 0 ? `; it stopped the ${s.emulators.started.join(" and ")} emulator it started` : "";
  return [`look further (the ${s.emulators.reused.join(" and ")} emulator you pointed at is still running, with the rows${stopped}):`];
}

function describeTarget(options: PipelineOptions): string {
  const t = options.deadLetter;
  return t.kind === "files" ? `files ${t.prefix}-*.jsonl` : t.kind === "pubsub" ? `Pub/Sub topic ${t.topic}` : `Bigtable table ${t.table}`;
}
