/** Where bench/fn_api.ts's pipeline writes its result from whichever process runs the step (registered, so SDK workers call this module). */
import * as fs from "fs";
import { requireForSerialization } from "apache-beam/serialization";

/** Appends one result row to `file` as a JSON line. */
export function appendRow(file: string, row: unknown): void {
  fs.appendFileSync(file, `${JSON.stringify(row)}\n`);
}

requireForSerialization("beam-ts-native/bench/fn_api_sink", exports);
