/**
 * `npm run jobs -- list|show|cancel|drain [JOB] --project P [--region R]`: the Dataflow jobs of a
 * project and region. JOB is a job id or the name of an active job. Usage errors exit 2, a refusal
 * of the API exits 1 with its text.
 */
import { CommandFailure, parseFlags, runCommand, UsageError } from "./command_line";
import { DataflowApi } from "../runners/dataflow/api";
import { DataflowFailure } from "../runners/dataflow/failure";
import type { DataflowJob } from "../runners/dataflow/job_request";

const HELP = `Usage: npm run jobs -- COMMAND [JOB] --project P [flags]

  list                  the active jobs (--all: every job)
  show JOB              a job's state, type, times, console URL and latest messages
  cancel JOB            stop a job now (what is in flight is lost)
  drain JOB             streaming: stop reading, finish what was read, then stop

JOB is a job id or the name of an active job.

  --project=ID          Google Cloud project (required)
  --region=REGION       Dataflow region (default: europe-west10)
  --all                 list: terminated jobs too
  --dataflowEndpoint=URL  API endpoint (tests point it at a local one)
  --verbose             print the stack of a failure (so does DEBUG=1)
  --help                this text
`;

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === undefined || command === "--help") {
    process.stdout.write(HELP);
    return;
  }
  if (!["list", "show", "cancel", "drain"].includes(command)) throw new UsageError(`unknown command '${command}': expected list, show, cancel or drain`);
  const jobArg = rest[0] !== undefined && !rest[0].startsWith("--") ? rest.shift() : undefined;
  const flags = parseFlags(rest, {
    project: { type: "string" },
    region: { type: "string", default: "europe-west10" },
    all: { type: "boolean", default: false },
    dataflowEndpoint: { type: "string" },
    help: { type: "boolean", default: false },
  });
  if (flags.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!flags.project) throw new UsageError("--project is required: the Google Cloud project whose jobs to see");
  if (command !== "list" && jobArg === undefined) throw new UsageError(`${command} needs JOB: a job id or the name of an active job (npm run jobs -- list shows them)`);
  const api = new DataflowApi({ project: flags.project, region: flags.region!, endpoint: flags.dataflowEndpoint });
  const say = (line: string) => process.stdout.write(`${line}\n`);

  if (command === "list") {
    const jobs = await api.listJobs(flags.all ? "ALL" : "ACTIVE");
    if (jobs.length === 0) say(`no ${flags.all ? "" : "active "}jobs in ${flags.project}/${flags.region}`);
    for (const job of jobs) say(`${job.id}  ${(job.name ?? "").padEnd(40)} ${shortType(job).padEnd(9)} ${(job.currentState ?? "").padEnd(22)} ${job.createTime ?? ""}`);
    return;
  }
  const jobId = await resolveJob(api, jobArg!);
  if (command === "show") {
    const job = await api.getJob(jobId);
    say(`${job.id}  ${job.name}`);
    say(`  type      ${shortType(job)}`);
    say(`  state     ${job.currentState ?? "?"}${job.currentStateTime ? ` since ${job.currentStateTime}` : ""}${job.requestedState ? ` (requested ${job.requestedState})` : ""}`);
    say(`  created   ${job.createTime ?? "?"}`);
    if (job.replacedByJobId) say(`  replaced  by ${job.replacedByJobId}`);
    say(`  console   ${api.consoleUrl(jobId)}`);
    const messages = await api.messages(jobId);
    for (const m of messages.slice(-10)) say(`  ${m.time} ${(m.messageImportance ?? "").replace("JOB_MESSAGE_", "").padEnd(8)} ${m.messageText}`);
    return;
  }
  const job = await api.requestState(jobId, command === "cancel" ? "JOB_STATE_CANCELLED" : "JOB_STATE_DRAINED");
  say(`${command === "cancel" ? "cancel" : "drain"} requested for ${jobId} (${job.name ?? ""}): now ${job.currentState ?? "?"}; npm run jobs -- show ${jobId} --project ${flags.project} --region ${flags.region} follows it`);
}

/** A job id as it is; a name, to the id of the active job of that name. */
async function resolveJob(api: DataflowApi, job: string): Promise<string> {
  // Dataflow ids look like 2024-01-31_12_34_56-1234567890123456789; names cannot hold '_'.
  if (/^\d{4}-\d{2}-\d{2}_/.test(job)) return job;
  const named = await api.activeJobNamed(job);
  if (named?.id === undefined) throw new UsageError(`no active job named '${job}' in ${api.target.project}/${api.target.region}: give a job id, or see npm run jobs -- list`);
  return named.id;
}

function shortType(job: DataflowJob): string {
  return (job.type ?? "").replace("JOB_TYPE_", "").toLowerCase();
}

runCommand(
  () => main().catch((error: unknown) => {
    throw error instanceof DataflowFailure ? new CommandFailure(error.message, error.exitCode) : error;
  }),
  "jobs",
);
