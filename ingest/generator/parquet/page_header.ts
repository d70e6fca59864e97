/**
 * Parquet's page headers (Thrift `PageHeader`), written before each page's bytes: a dictionary page,
 * or a version 1 data page. Version 1 rather than 2: the columns are REQUIRED, so there are no
 * levels for version 2 to keep apart from the compressed values, and version 1 is the one every
 * reader knows. Encodings are chosen per column either way (`column_plan.ts`).
 */
import { Encoding } from "./column_plan";
import type { CompactWriter } from "./thrift_compact";

const PageType = { DATA_PAGE: 0, DICTIONARY_PAGE: 2 } as const;

/** What a page header says of its page. */
export interface PageSizes {
  /** Values in the page. */
  values: number;
  uncompressed: number;
  compressed: number;
}

/** The header of a data page of `encoding`. */
export function writeDataPageHeader(writer: CompactWriter, page: PageSizes, encoding: number): void {
  writer.structValue((header) => {
    header
      .i32(1, PageType.DATA_PAGE)
      .i32(2, page.uncompressed)
      .i32(3, page.compressed)
      .struct(5, (data) =>
        data
          .i32(1, page.values)
          .i32(2, encoding)
          // Levels' encodings: required fields even where, as here, there are no levels.
          .i32(3, Encoding.RLE)
          .i32(4, Encoding.RLE),
      );
  });
}

/** The header of a dictionary page (its values PLAIN). */
export function writeDictionaryPageHeader(writer: CompactWriter, page: PageSizes): void {
  writer.structValue((header) => {
    header
      .i32(1, PageType.DICTIONARY_PAGE)
      .i32(2, page.uncompressed)
      .i32(3, page.compressed)
      .struct(7, (dictionary) => dictionary.i32(1, page.values).i32(2, Encoding.PLAIN));
  });
}
