import { expect } from "chai";
import { parseOptions, UsageError } from "../../pipelines/options";
import { defaultJobName } from "../../runners/dataflow/options";
import { useFakeDataflowAndGcs } from "../support/fake_dataflow";
import { runCli, runClis } from "../support/run_cli";

const BASE = ["--runner=dataflow", "--project=demo", "--tempLocation=gs://demo-bucket/tmp"];

function usageError(args: string[]): string {
  try {
    parseOptions(args);
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`expected a usage error for ${args.join(" ")}`);
}

describe("--runner=dataflow flags", () => {
  it("takes Beam's flag names, defaults --region to europe-west10 and --stagingLocation under --tempLocation", () => {
    const o = parseOptions([
      ...BASE,
      "--numWorkers=2",
      "--maxNumWorkers=5",
      "--autoscalingAlgorithm=THROUGHPUT_BASED",
      "--machineType=n2-standard-2",
      "--usePublicIps=false",
      "--workerZone=europe-west10-b",
      "--labels=team=data",
      "--labels=env=dev",
      "--experiments=a,b",
      "--experiments=c",
      "--jobName=etl-1",
    ]).dataflow!;
    expect(o.region).to.equal("europe-west10");
    expect(o.stagingLocation).to.equal("gs://demo-bucket/tmp/staging");
    expect(o).to.include({ numWorkers: 2, maxNumWorkers: 5, autoscalingAlgorithm: "THROUGHPUT_BASED", machineType: "n2-standard-2", usePublicIps: false, workerZone: "europe-west10-b", jobName: "etl-1" });
    expect(o.labels).to.deep.equal({ team: "data", env: "dev" });
    expect(o.experiments).to.deep.equal(["a", "b", "c"]);
    expect(o.streaming).to.equal(true);
    expect(o.sdkContainerImage).to.equal("europe-west10-docker.pkg.dev/demo/beam-ts-native/harness:0.1.0");
    expect(parseOptions([...BASE, "--pipeline=batch"]).dataflow!.streaming).to.equal(false);
  });

  it("makes Beam Python's default job name, kept to Dataflow's rules", () => {
    expect(defaultJobName("ana", new Date(Date.UTC(2026, 11, 1, 9, 5, 7, 42)))).to.equal("beamapp-ana-1201090507-042");
    const long = defaultJobName("x".repeat(80), new Date(0));
    expect(long.length).to.be.at.most(63);
    expect(long).to.match(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
  });

  const cases: [string, string[], RegExp][] = [
    ["missing project", ["--runner=dataflow", "--tempLocation=gs://b/tmp"], /needs --project/],
    ["missing tempLocation", ["--runner=dataflow", "--project=demo"], /needs --tempLocation=gs:\/\//],
    ["a tempLocation that is not gs://", ["--runner=dataflow", "--project=demo", "--tempLocation=/tmp/x"], /--tempLocation=\/tmp\/x: Dataflow needs a GCS location/],
    ["a bucket name too short for GCS", ["--runner=dataflow", "--project=demo", "--tempLocation=gs://b/tmp"], /--tempLocation=gs:\/\/b\/tmp: .*a bucket name is 3–63 characters/],
    ["a stagingLocation that is not gs://", [...BASE, "--stagingLocation=s3://b/x"], /--stagingLocation=s3:\/\/b\/x/],
    ["a bad region", [...BASE, "--region=Europe"], /--region=Europe is not a region/],
    ["a job name with capitals", [...BASE, "--jobName=My_Job"], /--jobName=My_Job: a Dataflow job name is 1–63 characters/],
    ["a job name too long", [...BASE, `--jobName=${"a".repeat(64)}`], /1–63 characters/],
    ["workerRegion with workerZone", [...BASE, "--workerRegion=europe-west10", "--workerZone=europe-west10-a"], /--workerRegion and --workerZone are mutually exclusive/],
    ["the worker_region experiment with workerRegion", [...BASE, "--experiments=worker_region=europe-west3", "--workerRegion=europe-west10"], /worker_region=europe-west3 and --workerRegion are mutually exclusive/],
    ["the worker_region experiment with workerZone", [...BASE, "--experiments=worker_region=europe-west3", "--workerZone=europe-west10-a"], /and --workerZone are mutually exclusive/],
    ["numWorkers above maxNumWorkers", [...BASE, "--numWorkers=5", "--maxNumWorkers=2"], /--numWorkers=5 exceeds --maxNumWorkers=2/],
    ["a negative worker count", [...BASE, "--numWorkers=-1"], /--numWorkers=-1: expected a whole number of workers/],
    ["an unknown autoscaling algorithm", [...BASE, "--autoscalingAlgorithm=FAST"], /THROUGHPUT_BASED or NONE/],
    ["usePublicIps not a boolean", [...BASE, "--usePublicIps=no"], /--usePublicIps=no: expected true or false/],
    ["a label key with capitals", [...BASE, "--labels=Team=x"], /--labels=Team=x: a label key/],
    ["a label value with spaces", [...BASE, "--labels=team=a b"], /a label value/],
    ["a service account that is not an email", [...BASE, "--serviceAccountEmail=worker"], /--serviceAccountEmail=worker is not an email/],
    ["a malformed subnetwork", [...BASE, "--subnetwork=default"], /--subnetwork=default: expected regions\/REGION\/subnetworks\/NAME/],
    ["update without a job name", [...BASE, "--update"], /--update replaces the running job of the same name: give its --jobName/],
    ["update of a batch job", [...BASE, "--pipeline=batch", "--update", "--jobName=j"], /a batch job cannot be updated/],
    ["transformNameMapping without update", [...BASE, '--transformNameMapping={"a":"b"}'], /applies to --update only/],
    ["transformNameMapping not JSON", [...BASE, "--update", "--jobName=j", "--transformNameMapping={a"], /--transformNameMapping is not JSON/],
    ["transformNameMapping not a map of names", [...BASE, "--update", "--jobName=j", '--transformNameMapping=["a"]'], /expected a JSON object of step names/],
    ["an endpoint that is not a URL", [...BASE, "--dataflowEndpoint=localhost:1"], /--dataflowEndpoint=localhost:1: expected a URL/],
    ["a Dataflow flag on the direct runner", ["--runner=direct", "--numWorkers=2"], /--numWorkers is a Dataflow flag: add --runner=dataflow/],
    ["an unknown runner", ["--runner=flink"], /--runner=flink: expected direct or dataflow/],
  ];
  for (const [what, args, message] of cases) {
    it(`rejects ${what}, naming the flag`, () => expect(usageError(args)).to.match(message));
  }

  describe("on the command line", () => {
    const fakes = useFakeDataflowAndGcs();

    it("a usage error exits 2 with the reason in one line, and nothing is uploaded or created", async () => {
      const { dataflow, gcs } = fakes;
      const run = await runCli("pipelines/main.ts", [...BASE, "--workerRegion=europe-west10", "--workerZone=europe-west10-a", `--dataflowEndpoint=${dataflow.endpoint}`, `--storageEndpoint=${gcs.endpoint}`]);
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr.split("\n")[0]).to.equal("error: --workerRegion and --workerZone are mutually exclusive: give one of them");
      expect(run.stderr.trimEnd().split("\n")).to.have.length(1);
      expect(dataflow.requests).to.have.length(0);
      expect(gcs.names("demo-bucket")).to.have.length(0);
    });

    it("a local output or dead-letter path, which a worker cannot write, exits 2 naming the flag", async () => {
      const { dataflow, gcs } = fakes;
      const endpoints = [`--dataflowEndpoint=${dataflow.endpoint}`, `--storageEndpoint=${gcs.endpoint}`];
      const [output, deadLetters] = await runClis([
        () => runCli("pipelines/main.ts", [...BASE, ...endpoints, "--pipeline=batch", "--output=out/batch"]),
        () => runCli("pipelines/main.ts", [...BASE, ...endpoints, "--dead-letter=files:out/dead"]),
      ]);
      expect(output.status, output.stderr).to.equal(2);
      expect(output.stderr).to.contain("error: --output=out/batch: on Dataflow the job writes to GCS; give --output=gs://BUCKET/PATH");
      expect(deadLetters.status, deadLetters.stderr).to.equal(2);
      expect(deadLetters.stderr).to.contain("error: --dead-letter=files:out/dead: on Dataflow dead-letter files go to GCS");
      expect(dataflow.requests).to.have.length(0);
      expect(gcs.names("demo-bucket")).to.have.length(0);
    });

    it("--help prints the Dataflow flags in the one flag table", async () => {
      const run = await runCli("pipelines/main.ts", ["--help"]);
      expect(run.status).to.equal(0);
      for (const flag of ["--numWorkers", "--maxNumWorkers", "--autoscalingAlgorithm", "--machineType", "--network", "--subnetwork", "--usePublicIps", "--serviceAccountEmail", "--workerRegion", "--workerZone", "--labels", "--experiments", "--sdkContainerImage", "--update", "--transformNameMapping", "--jobName", "--dry-run"]) {
        expect(run.stdout).to.match(new RegExp(`^  ${flag}\\b`, "m"));
      }
      expect(run.stdout).to.match(/--region=REGION\s+Dataflow region \(default: europe-west10\)/);
    });
  });
});
