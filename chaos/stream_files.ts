/**
 * A live stream to publish, as files: generated purchases with malformed records among them, so a
 * probe knows from the files alone (chaos/expected_rows.ts) the rows and dead letters it must end with.
 */
import * as fs from "fs";
import * as path from "path";
import { writeTransactions } from "../fixtures/generate";

/**
 * `rows` generated purchases (JSON lines, seeded) and `bad` malformed records — each different, so
 * each is its own dead letter — spread evenly over `parts` files under `dir`; their paths in order.
 */
export async function writeStreamFiles(dir: string, options: { rows: number; bad: number; parts: number; seed?: number }): Promise<string[]> {
  const all = path.join(dir, "all.jsonl");
  await writeTransactions({ rows: options.rows, seed: options.seed ?? 11, format: "jsonl", out: all });
  const good = fs.readFileSync(all, "utf8").split("\n").filter((line) => line.length > 0);
  fs.rmSync(all);
  const records = [...good];
  // A bad record every so often: it travels with good ones, as poison does.
  for (let i = 0; i < options.bad; i++) records.splice(Math.floor(((i + 0.5) * records.length) / options.bad), 0, `{"Transaction_ID":"malformed-${i}"}`);
  const perPart = Math.ceil(records.length / options.parts);
  return Array.from({ length: options.parts }, (_, part) => {
    const file = path.join(dir, `stream-${part}.jsonl`);
    fs.writeFileSync(file, records.slice(part * perPart, (part + 1) * perPart).join("\n") + "\n");
    return file;
  });
}
