import { expect } from "chai";
import { execFile } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import "apache-beam"; // first: the SDK's modules have an import cycle that only resolves from its root
import { directRunner as sdkDirectRunner } from "apache-beam/runners/direct_runner";
import { findOnPath } from "../../emulators/sdk";
import { deadLetterWriter } from "../../io/dead_letters";
import type { DeadLetter } from "../../transforms/dead_letter";
import { writeInBatches, writeRetriesMetricName } from "../../io/batching_sink";
import { bigtableBatchWriter, closeBigtableClients, formatRowsLikeCbt, readRows, writeToBigtable, type ReadRow, type WriteToBigtableOptions } from "../../io/bigtable";
import { directRunner } from "../../runners/direct";
import { fromArray } from "../../testing";
import { ECOMMERCE_INSTANCE as INSTANCE, transactionRow, type BigtableRow } from "../../transforms/bigtable_row";
import { useEmulators } from "../support/emulators";
import { generatedTransactions } from "../transforms/transactions";
import { flakyMutateRows, planFaults, takeFaults } from "./flaky_bigtable";

const execFileAsync = promisify(execFile);
const ROOT = path.join(__dirname, "..", "..");
const ROWS: BigtableRow[] = generatedTransactions(2000).map(transactionRow);

let tables = 0;
/** A table of its own for each test, created by the sink. */
function freshTable(): WriteToBigtableOptions {
  return { instanceId: INSTANCE, tableId: `test-${process.pid}-${tables++}`, createTable: { families: ["dados"] } };
}

/** Every cell of `rows` as one sorted list of lines: equal lists mean equal tables. */
function cellLines(rows: ReadonlyArray<{ key: string; cells: ReadonlyArray<{ qualifier: string; value: string; timestampMicros: number; family?: string }> }>, family?: string): string[] {
  return rows
    .flatMap((row) => row.cells.map((c) => [row.key, c.family ?? family, c.qualifier, c.timestampMicros, c.value].join("\u0000")))
    .sort();
}

function checksum(lines: string[]): string {
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

function written(rows: BigtableRow[]): { rows: number; cells: number; checksum: string } {
  const lines = cellLines(rows.map((r) => ({ key: r.key, cells: r.cells })), "dados");
  return { rows: new Set(rows.map((r) => r.key)).size, cells: lines.length, checksum: checksum(lines) };
}

function read(rows: ReadRow[]): { rows: number; cells: number; checksum: string } {
  const lines = cellLines(rows);
  return { rows: rows.length, cells: lines.length, checksum: checksum(lines) };
}

async function failure(run: Promise<unknown>): Promise<Error> {
  return run.then(
    () => {
      throw new Error("expected the job to fail");
    },
    (error: Error) => error,
  );
}

describe("io: Bigtable, against the emulator", function () {
  this.timeout(60_000);
  const emulators = useEmulators(["bigtable"]);
  after(closeBigtableClients);

  const runners = [
    { name: "our direct runner", runner: () => directRunner() },
    { name: "the SDK's direct runner", runner: () => sdkDirectRunner() },
  ];
  for (const { name, runner } of runners) {
    it(`writes transaction rows, read back cell for cell, on ${name}`, async () => {
      const table = freshTable();
      // 2000 rows in batches of 300: the last batch is partial, and 3 in flight make the sink push back.
      await runner().run((root) => {
        root.apply(fromArray(ROWS)).apply(writeToBigtable({ ...table, batchSize: 300, maxInFlight: 3 }));
      });
      expect(read(await readRows(table))).to.deep.equal(written(ROWS));
    });
  }

  it("a replay of the same rows leaves the table identical (no new cells, no new versions)", async () => {
    const table = freshTable();
    const write = () =>
      directRunner().run((root) => {
        root.apply(fromArray(ROWS)).apply(writeToBigtable({ ...table, batchSize: 500 }));
      });
    await write();
    const first = read(await readRows(table));
    await write();
    expect(read(await readRows(table))).to.deep.equal(first);
    expect(first).to.deep.equal(written(ROWS));
  });

  it("retries only the entries that failed transiently, then writes everything", async () => {
    const table = freshTable();
    const flaky = ROWS.filter((_, i) => i % 7 === 3).map((r) => r.key);
    planFaults({ failOnce: flaky });
    let retriesCounted: number | undefined;
    try {
      const result = await directRunner().run((root) => {
        root
          .apply(fromArray(ROWS))
          .apply(writeInBatches("flakyBigtable", bigtableBatchWriter({ ...table, initialBackoffMs: 1, maxBackoffMs: 5 }, flakyMutateRows), { batchSize: 250 }));
      });
      retriesCounted = (await result.counters())[writeRetriesMetricName("flakyBigtable")];
    } finally {
      const { attempts } = takeFaults();
      const sends = new Map<string, number>();
      for (const key of attempts.flat()) sends.set(key, (sends.get(key) ?? 0) + 1);
      const flakySet = new Set(flaky);
      // Each injected failure is sent exactly twice, every other row exactly once.
      expect([...sends].filter(([key, n]) => n !== (flakySet.has(key) ? 2 : 1))).to.deep.equal([]);
      expect(sends.size).to.equal(ROWS.length);
      // An attempt is a batch's first (all its rows new) or a retry carrying only entries that failed.
      const seen = new Set<string>();
      const retries = attempts.filter((keys) => {
        const fresh = keys.filter((key) => !seen.has(key));
        for (const key of keys) seen.add(key);
        expect(fresh.length === keys.length || (fresh.length === 0 && keys.every((key) => flakySet.has(key))), `attempt ${keys}`).to.equal(true);
        return fresh.length === 0;
      });
      expect(retries.flat().sort()).to.deep.equal([...flaky].sort());
      expect(retries).to.have.length(ROWS.length / 250); // every batch held some, each retried once
      // The sink counts what it sent again, for the job page.
      expect(retriesCounted).to.equal(flaky.length);
    }
    expect(read(await readRows(table))).to.deep.equal(written(ROWS));
  });

  it("fails the job, naming the step and the row, when an entry still fails after maxRetries", async () => {
    const table = freshTable();
    const stuck = ROWS[42].key;
    planFaults({ failAlways: [stuck] });
    let attempts: string[][] = [];
    const error = await failure(
      directRunner().run((root) => {
        root
          .apply(fromArray(ROWS.slice(0, 100)))
          .apply(writeInBatches("flakyBigtable", bigtableBatchWriter({ ...table, maxRetries: 3, initialBackoffMs: 1, maxBackoffMs: 5 }, flakyMutateRows)));
      }),
    ).finally(() => (attempts = takeFaults().attempts));
    expect(error.message).to.contain("step 'flakyBigtable' failed");
    expect(error.message).to.contain(`row '${stuck}' was not written: UNAVAILABLE (14) injected fault, still after 4 attempts`);
    expect(attempts.map((keys) => keys.length)).to.deep.equal([100, 1, 1, 1]);
  });

  it("dead-letters the rows Bigtable can never take, with its reason, writes the rest, and retries the transient ones", async () => {
    const table = freshTable();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "refused-rows-"));
    const rows = ROWS.slice(0, 300);
    // A cell Bigtable cannot store (refused before sending), an entry it refuses, one failing once.
    const unstorable: BigtableRow = { ...rows[10], cells: rows[10].cells.map((c) => ({ ...c, timestampMicros: c.timestampMicros + 1 })) };
    const refused = rows[20].key;
    planFaults({ refuse: [refused], failOnce: [rows[30].key] });
    const input = rows.map((r, i) => (i === 10 ? unstorable : r));
    try {
      await directRunner().run((root) => {
        root.apply(fromArray(input)).apply(
          writeInBatches("flakyBigtable", bigtableBatchWriter({ ...table, initialBackoffMs: 1, maxBackoffMs: 5 }, flakyMutateRows), {
            batchSize: 100,
            deadLetters: deadLetterWriter({ kind: "files", prefix: path.join(dir, "dead") }),
          }),
        );
      });
      const letters = fs
        .readdirSync(dir)
        .flatMap((name) => fs.readFileSync(path.join(dir, name), "utf8").trim().split("\n"))
        .map((line) => JSON.parse(line) as DeadLetter);
      expect(letters.map((d) => [JSON.parse(d.input).key, d.step]).sort()).to.deep.equal([
        [rows[10].key, "flakyBigtable"],
        [refused, "flakyBigtable"],
      ].sort());
      const reasons = Object.fromEntries(letters.map((d) => [JSON.parse(d.input).key, d.reason]));
      expect(reasons[rows[10].key]).to.contain("is not a whole number of milliseconds");
      expect(reasons[refused]).to.contain("refused the row: INVALID_ARGUMENT (3) injected refusal (not retryable)");
      const keys = new Set((await readRows(table)).map((r) => r.key));
      expect(keys.size).to.equal(rows.length - 2);
      expect(keys.has(refused) || keys.has(rows[10].key)).to.equal(false);
      expect(keys.has(rows[30].key)).to.equal(true);
    } finally {
      takeFaults();
      fs.rmSync(dir, { recursive: true });
    }
  });

  it("fails the job on a row Bigtable refuses when the sink has no dead-letter output", async () => {
    const table = freshTable();
    planFaults({ refuse: [ROWS[3].key] });
    const error = await failure(
      directRunner().run((root) => {
        root.apply(fromArray(ROWS.slice(0, 10))).apply(writeInBatches("flakyBigtable", bigtableBatchWriter(table, flakyMutateRows)));
      }),
    ).finally(takeFaults);
    expect(error.message).to.contain("step 'flakyBigtable' failed");
    expect(error.message).to.contain("1 of 10 elements were refused");
    expect(error.message).to.contain("(no dead-letter output given to the sink)");
  });

  it("fails the job at once, naming the step, table, row and reason, on a non-retryable error", async () => {
    // Without the client's own resends of an unanswered call (~6 s here): the sink's decision is what is tested.
    const error = await failure(
      directRunner().run((root) => {
        root.apply(fromArray(ROWS.slice(0, 10))).apply(writeToBigtable({ instanceId: INSTANCE, tableId: "no-such-table", unansweredCallRetries: 0 }));
      }),
    );
    expect(error.message).to.contain("step 'writeToBigtable(no-such-table)' failed");
    expect(error.message).to.contain(`Bigtable table projects/local-project/instances/e-commerce-data/tables/no-such-table: row '${ROWS[0].key}' was not written: NOT_FOUND (5)`);
    expect(error.message).to.contain("(not retryable)");
  });

  it("refuses a cell timestamp Bigtable would reject, naming the row and the cell", async () => {
    const bad: BigtableRow = { ...ROWS[0], cells: [{ ...ROWS[0].cells[0], timestampMicros: ROWS[0].cells[0].timestampMicros + 1 }] };
    const error = await failure(
      directRunner().run((root) => {
        root.apply(fromArray([bad])).apply(writeToBigtable(freshTable()));
      }),
    );
    expect(error.message).to.match(new RegExp(`row '${bad.key}', cell dados:transaction_id: timestampMicros \\d+ is not a whole number of milliseconds`));
  });

  describe("as cbt shows it", () => {
    const TABLE = { instanceId: INSTANCE, tableId: "transacoes", createTable: { families: ["dados"] } };
    const SHOWN = ROWS.slice(0, 5);
    let cbt: string | undefined;

    before(async function () {
      cbt = findOnPath("cbt");
      if (cbt === undefined) {
        console.log("  skipped: cbt is missing; install it with: apt-get install google-cloud-cli-cbt");
        this.skip();
      }
      await directRunner().run((root) => {
        root.apply(fromArray(SHOWN)).apply(writeToBigtable(TABLE));
      });
    });

    /** Output of the real cbt against the emulator; a TZ other than UTC checks local-time timestamps. */
    async function cbtRead(...args: string[]): Promise<string> {
      const env = { ...process.env, BIGTABLE_EMULATOR_HOST: emulators.endpoints.bigtable, TZ: "Asia/Kolkata" };
      return (await execFileAsync(cbt!, ["-project", "local-project", "-instance", "e-commerce-data", "read", ...args], { env, timeout: 20_000 })).stdout;
    }

    async function npmRows(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
      return execFileAsync("npm", ["run", "--silent", "rows", "--", ...args], { cwd: ROOT, env: { ...env, TZ: "Asia/Kolkata" }, timeout: 30_000 }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );
    }

    it("cbt read shows seed 004's layout: family dados with category, final_price, payment and price", async () => {
      const out = await cbtRead("transacoes", "prefix=u");
      const blocks = out.split(`${"-".repeat(40)}\n`).filter((b) => b !== "");
      expect(blocks.map((b) => b.split("\n")[0])).to.deep.equal(SHOWN.map((r) => r.key).sort());
      const first = SHOWN.find((r) => r.key === blocks[0].split("\n")[0])!;
      for (const qualifier of ["category", "final_price", "payment", "price"]) {
        const cell = first.cells.find((c) => c.qualifier === qualifier)!;
        expect(blocks[0]).to.match(new RegExp(`\\n  dados:${qualifier} +@ \\d{4}/\\d\\d/\\d\\d-\\d\\d:\\d\\d:\\d\\d\\.000000\\n    "${cell.value}"\\n`));
      }
    });

    it("npm run rows prints exactly what cbt read prints, tricky values included", async () => {
      const tricky: BigtableRow = {
        key: "z#tricky",
        family: "dados",
        cells: [
          { qualifier: "category", value: 'line one\nline "two"\\ é \u0001 \u007f \u200b 😀', timestampMicros: 1_700_000_000_123_000 },
          { qualifier: "category", value: "older version", timestampMicros: 1_600_000_000_000_000 },
          { qualifier: "price", value: "", timestampMicros: 1_700_000_000_000_000 },
        ],
      };
      await directRunner().run((root) => {
        root.apply(fromArray([tricky])).apply(writeToBigtable(TABLE));
      });
      const ours = await npmRows([], { ...process.env, BIGTABLE_EMULATOR_HOST: emulators.endpoints.bigtable });
      expect(ours.stderr).to.equal("");
      expect(ours.stdout).to.equal(await cbtRead("transacoes"));
      expect(ours.stdout).to.contain('    "line one\\nline \\"two\\"\\\\ é \\x01 \\x7f \\u200b 😀"\n');
      // --limit and --prefix are readRows options; the same formatter prints what they select.
      const TZ = process.env.TZ;
      process.env.TZ = "Asia/Kolkata";
      try {
        expect(formatRowsLikeCbt(await readRows({ instanceId: INSTANCE, tableId: "transacoes", limit: 5 }))).to.equal(await cbtRead("transacoes", "count=5"));
        expect(formatRowsLikeCbt(await readRows({ instanceId: INSTANCE, tableId: "transacoes", prefix: "z#" }))).to.equal(await cbtRead("transacoes", "prefix=z#"));
      } finally {
        if (TZ === undefined) delete process.env.TZ;
        else process.env.TZ = TZ;
      }
    });

    it("npm run rows: --help shows the defaults; a bad flag exits 2; without an emulator it says so", async () => {
      const env = { ...process.env };
      delete env.BIGTABLE_EMULATOR_HOST;
      const [help, bad, badLimit, none] = await Promise.all([
        npmRows(["--help"], env),
        npmRows(["--tabel", "x"], env),
        npmRows(["--limit", "many"], { ...env, BIGTABLE_EMULATOR_HOST: emulators.endpoints.bigtable }),
        npmRows([], env),
      ]);
      expect(help.code).to.equal(0);
      expect(help.stdout).to.contain("(default: transacoes)").and.to.contain("(default: local-project)").and.to.contain("(default: e-commerce-data)");
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.match(/^error: Unknown option '--tabel'/);
      expect([badLimit.code, badLimit.stderr.split("\n")[0]]).to.deep.equal([2, "error: --limit must be a positive integer, got 'many'"]);
      // gcloud's default emulator port may be in use by someone's emulator; then the command says it uses that.
      if (none.code === 0) {
        expect(none.stderr).to.equal("warn: BIGTABLE_EMULATOR_HOST is not set; using the emulator answering on localhost:8086\n");
      } else {
        // A missing variable is the user's to fix: exit 2, one line, no stack.
        expect(none.code).to.equal(2);
        expect(none.stderr.split("\n")).to.have.length(2);
        expect(none.stderr).to.match(/^error: BIGTABLE_EMULATOR_HOST is not set, and no Bigtable emulator answers on localhost:8086/);
        expect(none.stderr).to.contain("npm run emulators");
      }
    });
  });
});
