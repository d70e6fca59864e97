/**
 * Elements as lines of a text file: plain text, JSON lines, or CSV (RFC 4180 quoting), and the
 * header line a file starts with.
 */

/** How {@link formatLine} writes an element. */
export type TextFileFormat = "text" | "jsonl" | "csv";

/** What a writer needs to format lines: the format and, for CSV, the columns. */
export interface LineFormat {
  format: TextFileFormat;
  /** CSV: the columns, in order; an object element's fields are read by these names. */
  columns?: readonly string[];
}

/**
 * The line for one element, without its newline.
 * - `text`: a string as it is; anything else as JSON.
 * - `jsonl`: the element as JSON.
 * - `csv`: an array's items, or an object's fields in the order of `columns`, quoted where needed.
 */
export function formatLine(element: unknown, { format, columns }: LineFormat): string {
  if (format === "text") return typeof element === "string" ? element : toJson(element);
  if (format === "jsonl") return toJson(element);
  if (Array.isArray(element)) return element.map(csvField).join(",");
  if (element !== null && typeof element === "object") {
    if (columns === undefined) throw new Error(`cannot write ${preview(element)} as CSV: objects need the columns (give a header)`);
    const record = element as Record<string, unknown>;
    return columns.map((column) => csvField(record[column])).join(",");
  }
  return csvField(element);
}

/**
 * The header line for `header`: CSV column names are quoted like fields; a text header is used as
 * it is. JSON lines have no header.
 */
export function headerLine(format: TextFileFormat, header: string | readonly string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (format === "jsonl") throw new Error("JSON lines files have no header: remove the header option");
  if (typeof header === "string") return header;
  if (format !== "csv") throw new Error("a text file's header is one line: give it as a string");
  return header.map(csvField).join(",");
}

/** One CSV field: quoted when it holds a comma, a quote or a line break, quotes doubled. */
export function csvField(value: unknown): string {
  const text =
    value === undefined || value === null
      ? ""
      : typeof value === "string"
        ? value
        : value instanceof Date
          ? value.toISOString()
          : typeof value === "object"
            ? JSON.stringify(value)
            : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function toJson(element: unknown): string {
  const json = JSON.stringify(element);
  if (json === undefined) throw new Error(`cannot write ${String(element)} as JSON`);
  return json;
}

function preview(element: unknown): string {
  const json = JSON.stringify(element) ?? String(element);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
