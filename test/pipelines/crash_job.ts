/**
 * The streaming pipeline as its own process, for the crash test: reads the subscription given,
 * writes Bigtable (rows, aggregate, dead letters), and prints `progress <read> <acknowledged>` every
 * 50 ms. SIGINT drains it; SIGKILL is the crash. A second argument is its checkpoint directory.
 */
import { directRunner, type DirectPipelineResult } from "../../runners/direct";
import { streamingPipeline } from "../../pipelines/streaming";
import { drainOnSignals } from "../../cli/signals";

async function main(): Promise<void> {
  const [subscription, checkpointDir] = process.argv.slice(2);
  const result = (await directRunner({ bundleSize: 100, checkpointDir }).runAsync(
    streamingPipeline({
      subscription,
      project: "local-project",
      instance: "e-commerce-data",
      table: "transacoes",
      aggregateTable: "receita_por_minuto",
      deadLetter: { kind: "bigtable", table: "dead_letters", instanceId: "e-commerce-data", createTable: true },
      createTables: true,
    }),
  )) as DirectPipelineResult;
  drainOnSignals(result);
  const ticker = setInterval(() => {
    const p = result.progress();
    const source = Object.values(p.sources)[0] ?? {};
    process.stdout.write(`progress ${p.sourceElements} ${source.acknowledged ?? 0}\n`);
  }, 50);
  const state = await result.waitUntilFinish();
  clearInterval(ticker);
  process.stdout.write(`finished ${state}\n`);
  process.exit(result.error() ? 1 : 0);
}

main().catch((error) => {
  process.stderr.write(`${error}\n`);
  process.exit(1);
});
