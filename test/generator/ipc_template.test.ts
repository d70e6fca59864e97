/**
 * The IPC streams the Parquet encoder hands to parquet-wasm, filled into templates
 * (`ingest/generator/ipc_template.ts`), against apache-arrow's own writer: the same bytes for every
 * batch of every table, whether the batch made its template or reused one.
 */
import { expect } from "chai";
import * as arrow from "apache-arrow";
import * as crypto from "crypto";
import { allocateColumns, type ColumnBatch } from "../../ingest/generator/columns";
import { arrowBatch } from "../../ingest/generator/parquet_wasm_encoding";
import { IpcTemplates } from "../../ingest/generator/ipc_template";
import { TABLE_SPECS, type TableName } from "../../ingest/generator/schema";
import { tableBatch } from "../../ingest/generator/table_batches";
import { makeWorld } from "../../ingest/generator/world";
import { SMALL_WORLD } from "./small_world";

const apacheArrow = (batch: ColumnBatch): Uint8Array => arrow.tableToIPC(new arrow.Table(arrowBatch(batch)), "stream");
const sha256 = (bytes: Uint8Array): string => crypto.createHash("sha256").update(bytes).digest("hex");

describe("generator IPC templates", () => {
  const world = makeWorld({ ...SMALL_WORLD, rows: 10_000 });
  const sizes: Record<TableName, number> = { transactions: world.rows, customers: world.customers, devices: world.devices };

  for (const table of ["transactions", "customers", "devices"] as const) {
    it(`gives apache-arrow's bytes for every batch of ${table}, full and partial, made or reused`, () => {
      const batchRows = table === "transactions" ? 1_024 : 64;
      const columns = allocateColumns(TABLE_SPECS[table], batchRows);
      let made = 0;
      const templates = new IpcTemplates((batch) => (made++, apacheArrow(batch)));
      let batches = 0;
      for (let first = 0; first < sizes[table]; first += batchRows) {
        const batch = tableBatch(world, table, first, Math.min(batchRows, sizes[table] - first), columns);
        const ours = sha256(templates.stream(batch));
        expect(ours, `${table} rows ${first}+`).to.equal(sha256(apacheArrow(batch)));
        batches++;
      }
      // Every batch has the full size but the last: one template for them, one for the last.
      expect(batches).to.be.greaterThan(2);
      expect(made).to.equal(sizes[table] % batchRows === 0 ? 1 : 2);
    });
  }
});
