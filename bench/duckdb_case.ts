/**
 * DuckDB on the benchmark's group-by: revenue (final price × quantity) per category over the same
 * CSV, summed exactly in paise and reported in paise as the other variants report it, timed from opening an in-memory database to the last row read. Undefined when
 * `@duckdb/node-api` (a dev dependency) is not installed.
 */
export async function duckdbCategoryRevenue(file: string): Promise<{ seconds: number; revenue: Record<string, number> } | undefined> {
  let duckdb: typeof import("@duckdb/node-api");
  try {
    duckdb = await import("@duckdb/node-api");
  } catch {
    return undefined;
  }
  const start = process.hrtime.bigint();
  const instance = await duckdb.DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    // Money is exact: the price is read as a decimal and summed in paise.
    const reader = await connection.runAndReadAll(
      `SELECT Category AS category, SUM(CAST(ROUND("Final_Price(Rs.)" * 100) AS BIGINT) * Quantity) AS revenue
       FROM read_csv($file, header = true, types = {'Final_Price(Rs.)': 'DECIMAL(18,2)', 'Quantity': 'BIGINT'})
       GROUP BY Category`,
      { file },
    );
    const revenue = Object.fromEntries(reader.getRowObjects().map((row) => [String(row.category), Number(row.revenue)]));
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9, revenue };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
