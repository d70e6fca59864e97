/**
 * `npm run job-server -- [--port 8099]`: Beam's Job API for our runner (runners/portable/job_server.ts),
 * on loopback, until Ctrl-C or SIGTERM (running jobs are cancelled, their workers stopped).
 */
import { parseFlags, runCommand, UsageError } from "./command_line";
import { JobServer } from "../runners/portable/job_server";
import { log } from "./log";

const HELP = `Usage: npm run job-server -- [flags]

Serves Beam's Job API (JobService) on 127.0.0.1, running submitted pipelines on our runner with
their stages in SDK workers: the client's own (environmentType LOOPBACK) or worker processes we start.

  --port=N     the port to listen on        (default: 8099)
  --verbose    print the stack of a failure (so does DEBUG=1)
  --help       this text

From TypeScript: new PortableRunner({ jobEndpoint: "localhost:8099", environmentType: "LOOPBACK" }).
`;

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { port: { type: "string", default: "8099" }, help: { type: "boolean", default: false } });
  if (flags.help) {
    process.stdout.write(HELP);
    return;
  }
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got '${flags.port}'`);
  const logger = log().child({ step: "job-server" });
  const server = new JobServer((line) => logger.info(line));
  const address = await server.listen(port);
  logger.info({ address }, `job server listening on ${address}`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  logger.info("stopping: cancelling running jobs");
  await server.stop();
}

runCommand(main, "npm run job-server");
