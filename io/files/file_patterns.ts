/**
 * File patterns: `*` and `?` wildcards in the last path segment (`data/*.csv`,
 * `gs://bucket/exports/part-??.jsonl`), as a shell would match them. Node 20 has no `fs.glob`,
 * and one segment is all our inputs need; `**` and wildcards in directories are refused rather
 * than half-supported.
 */
import * as fs from "fs";
import * as path from "path";

/** A pattern split where matching happens: the literal directory part and the last segment. */
export interface SplitPattern {
  /** Everything up to and including the last `/` (empty for a bare name). */
  directory: string;
  /** The last segment, which may hold `*` and `?`. */
  name: string;
}

/** True when the pattern holds a wildcard (`*` or `?`). */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes("?");
}

/** Splits `pattern` at its last `/`; fails, naming it, when a wildcard sits in a directory. */
export function splitPattern(pattern: string): SplitPattern {
  const slash = pattern.lastIndexOf("/");
  const directory = pattern.slice(0, slash + 1);
  if (hasWildcard(directory)) {
    throw new Error(`file pattern '${pattern}': wildcards are supported in the last path segment only`);
  }
  return { directory, name: pattern.slice(slash + 1) };
}

/**
 * True when `name` (one path segment) matches `pattern`: `*` is any run of characters, `?` any one
 * character. As in a shell, a leading `.` must be matched literally, so `*` skips hidden files
 * (and the hidden temp files of our sinks).
 */
export function matchesWildcard(name: string, pattern: string): boolean {
  if (name.startsWith(".") && !pattern.startsWith(".")) return false;
  // Iterative matching with one backtrack point: linear for the patterns people write, never exponential.
  let n = 0;
  let p = 0;
  let starP = -1;
  let starN = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === "?" || pattern[p] === name[n])) {
      n++;
      p++;
    } else if (p < pattern.length && pattern[p] === "*") {
      starP = p++;
      starN = n;
    } else if (starP !== -1) {
      p = starP + 1;
      n = ++starN;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

/**
 * The local files a pattern names, sorted: the file itself for a plain path, the regular files of
 * the directory whose names match for a wildcard. Fails, naming the pattern, when nothing matches.
 */
export function expandLocalPattern(pattern: string): string[] {
  if (!hasWildcard(pattern)) {
    if (!fs.existsSync(pattern)) throw new Error(`input file '${pattern}' does not exist`);
    if (!fs.statSync(pattern).isFile()) throw new Error(`input '${pattern}' is not a file`);
    return [pattern];
  }
  const { directory, name } = splitPattern(pattern);
  const dir = directory === "" ? "." : directory;
  if (!fs.existsSync(dir)) throw new Error(`file pattern '${pattern}' matches nothing: directory '${dir}' does not exist`);
  const matches = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => matchesWildcard(entry.name, name) && (entry.isFile() || (entry.isSymbolicLink() && fs.statSync(path.join(dir, entry.name)).isFile())))
    .map((entry) => directory + entry.name)
    .sort();
  if (matches.length === 0) throw new Error(`file pattern '${pattern}' matches no file`);
  return matches;
}
