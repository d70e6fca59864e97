/**
 * A value as a user would recognize it in an error message — numbers bare, strings and structures as
 * JSON — bounded in length and in depth whatever the value: the text of a dead letter must never be
 * what fails (a field nested 10,000 deep made `JSON.stringify` overflow the stack) nor what fills
 * memory (a 5 MB field repeated in a reason).
 */
import { requireForSerialization } from "apache-beam/serialization";

/** Characters of a shown value, past which it is cut and ends with `…`. */
export const SHOWN_VALUE_MAX_CHARS = 120;
/** Levels of nesting shown; deeper structures show as `{…}` / `[…]`. */
const MAX_DEPTH = 3;
/** Entries shown per object or array. */
const MAX_ENTRIES = 8;

/** `value` as JSON (numbers bare), at most {@link SHOWN_VALUE_MAX_CHARS} characters and {@link MAX_DEPTH} levels. */
export function showValue(value: unknown, maxChars = SHOWN_VALUE_MAX_CHARS): string {
  if (typeof value === "number") return String(value);
  const parts: string[] = [];
  // The budget lets each part be cut short without ever building a long string.
  const budget = { left: maxChars + 1 };
  write(value, 0, parts, budget);
  const shown = parts.join("");
  return shown.length > maxChars ? `${shown.slice(0, maxChars - 1)}…` : shown;
}

function write(value: unknown, depth: number, parts: string[], budget: { left: number }): void {
  if (budget.left <= 0) return;
  const push = (text: string) => {
    const cut = text.length > budget.left ? text.slice(0, budget.left) : text;
    parts.push(cut);
    budget.left -= cut.length;
  };
  if (typeof value === "string") return push(JSON.stringify(value.length > budget.left ? value.slice(0, budget.left) : value));
  if (value === null || typeof value === "boolean" || typeof value === "number") return push(String(value));
  if (value === undefined) return push("undefined");
  if (typeof value !== "object") return push(typeof value);
  const isArray = Array.isArray(value);
  if (depth >= MAX_DEPTH) return push(isArray ? "[…]" : "{…}");
  push(isArray ? "[" : "{");
  let count = 0;
  for (const key in value as Record<string, unknown>) {
    if (budget.left <= 0) return;
    if (count > 0) push(",");
    if (count === MAX_ENTRIES) {
      push("…");
      break;
    }
    if (!isArray) push(`${JSON.stringify(key.length > budget.left ? key.slice(0, budget.left) : key)}:`);
    write((value as Record<string, unknown>)[key], depth + 1, parts, budget);
    count++;
  }
  push(isArray ? "]" : "}");
}

requireForSerialization("beam-ts-native/transforms/shown_value", exports);
