/**
 * What a batch run wrote, said from the disk rather than assumed: the JSON-lines files under the
 * output folder that this run created or rewrote, grouped by output. An empty input writes nothing,
 * and the message says so instead of naming a folder that was never created.
 */
import * as fs from "fs";
import * as path from "path";

/** One line: "written under DIR/: transacoes (4 files), dead-letters (1 file), …", or that nothing was. */
export function describeWritten(dir: string, sinceMs: number): string {
  const outputs = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".jsonl")) : [];
  // The kernel stamps files with a coarse clock (a few ms behind Date.now()); an earlier run's files
  // are older by far more than the margin: a process start alone takes longer.
  const files = outputs.filter((f) => fs.statSync(path.join(dir, f)).mtimeMs >= sinceMs - 20);
  if (files.length === 0) {
    // An earlier run's files are left as they were: said, so nobody reads them as this run's.
    const earlier = outputs.length === 0 ? "" : `; ${dir}/ still holds ${outputs.length} file${outputs.length === 1 ? "" : "s"} of an earlier run`;
    return `nothing was written: the inputs hold no records${earlier}`;
  }
  const byOutput = new Map<string, number>();
  // Shards are named <output>-<shard>-of-<shards>.jsonl (io/text_file_sink.ts).
  for (const f of files) {
    const output = f.replace(/-\d+-of-\d+\.jsonl$/, "");
    byOutput.set(output, (byOutput.get(output) ?? 0) + 1);
  }
  const parts = [...byOutput].sort().map(([output, n]) => `${output} (${n} file${n === 1 ? "" : "s"})`);
  return `written under ${dir}/ as JSON lines: ${parts.join(", ")}`;
}
