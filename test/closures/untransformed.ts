import * as fs from "fs";
import { createRequire } from "module";
const { ts, loadConfig } = require("../../scripts/closure-compiler");

/**
 * Loads a TypeScript module compiled by plain TypeScript, without the closure transform or its
 * mends: how the same source behaves as JavaScript means it, to compare the transformed module with.
 */
export function requireUntransformed(file: string): Record<string, any> {
  const source = fs.readFileSync(file, "utf8");
  const { options } = loadConfig();
  const js = ts.transpileModule(source, { compilerOptions: { ...options, sourceMap: false }, fileName: file }).outputText;
  const module = { exports: {} as Record<string, any> };
  new Function("exports", "require", "module", js)(module.exports, createRequire(file), module);
  return module.exports;
}
