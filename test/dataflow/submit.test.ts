/**
 * `npm run pipeline -- --runner=dataflow` end to end, against a local Dataflow endpoint
 * (support/fake_dataflow.ts: no Dataflow emulator exists) and the local GCS one
 * (support/fake_gcs.ts: no GCS emulator exists). Each submission is the real command line in its
 * own process: build, pack, stage, create, watch.
 */
import { expect } from "chai";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { JobState_Enum } from "apache-beam/proto/beam_job_api";
import { directRunner } from "../../runners/direct";
import { runBatch } from "../../pipelines/batch";
import { resolveInput } from "../../io/files/input_format";
import { BASE_EXPERIMENTS, STREAMING_EXPERIMENTS } from "../../runners/dataflow/job_request";
import { DOCKER_ENVIRONMENT_URN, NPM_ROLE_URN, URL_ARTIFACT_URN } from "../../runners/dataflow/environment";
import { useFakeDataflowAndGcs } from "../support/fake_dataflow";
import { runCli, type CliRun, type RunCliOptions } from "../support/run_cli";

const SAMPLE = ["fixtures/sample/transactions.csv", "fixtures/sample/transactions.jsonl"];
const IMAGE = "europe-west10-docker.pkg.dev/demo/beam-ts-native/harness:test";

describe("--runner=dataflow against a local Dataflow endpoint and a local GCS", function () {
  this.timeout(600_000);
  const fakes = useFakeDataflowAndGcs();
  const submit = (args: string[], onOutput?: RunCliOptions["onOutput"]): Promise<CliRun> =>
    runCli("pipelines/main.ts", ["--runner=dataflow", "--project=demo", "--tempLocation=gs://demo-bucket/tmp", `--sdkContainerImage=${IMAGE}`, `--dataflowEndpoint=${fakes.dataflow.endpoint}`, `--storageEndpoint=${fakes.gcs.endpoint}`, ...args], { onOutput });
  const jobs = (args: string[]) => runCli("cli/jobs.ts", [...args, "--project=demo", `--dataflowEndpoint=${fakes.dataflow.endpoint}`]);
  /** An object named by a gs:// URL, from the fake GCS. */
  const object = (url: string) => {
    const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(url)!;
    return fakes.gcs.get(m[1], m[2]);
  };
  const sha256 = (data: Buffer) => crypto.createHash("sha256").update(data).digest("hex");


  describe("batch", () => {
    let run: CliRun;
    let request: Record<string, any>;
    let pipeline: runnerApi.Pipeline;

    before(async () => {
      run = await submit([
        "--pipeline=batch",
        "--jobName=batch-etl",
        "--numWorkers=2",
        "--maxNumWorkers=5",
        "--autoscalingAlgorithm=THROUGHPUT_BASED",
        "--machineType=n2-standard-2",
        "--network=etl",
        "--subnetwork=regions/europe-west10/subnetworks/etl",
        "--usePublicIps=false",
        "--serviceAccountEmail=worker@demo.iam.gserviceaccount.com",
        "--workerRegion=europe-west10",
        "--labels=team=data",
        "--experiments=shuffle_mode=service,use_runner_v2",
      ]);
      request = fakes.dataflow.created()[0];
    });

    it("submits, watches the job to DONE and exits 0, printing the states, the messages and the console URL", () => {
      expect(run.status, run.stderr).to.equal(0);
      const id = run.stdout.match(/created job (\S+)/)?.[1];
      expect(id, run.stdout).to.be.a("string");
      expect(fakes.dataflow.job(id!)?.currentState).to.equal("JOB_STATE_DONE");
      expect(run.stdout).to.contain(`https://console.cloud.google.com/dataflow/jobs/europe-west10/${id}?project=demo`);
      const states = [...run.stdout.matchAll(/state (JOB_STATE_\w+)/g)].map((m) => m[1]);
      expect(states).to.deep.equal(["JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING", "JOB_STATE_DONE"]);
      expect(run.stdout).to.contain("Job state is now JOB_STATE_RUNNING");
      // The custom endpoint gets no credentials, as the storage client's does not.
      expect(fakes.dataflow.requests.every((r) => r.authorization === undefined)).to.equal(true);
    });

    it("sends the job request Go's job.go and Python's apiclient.py build, field by field", () => {
      expect(request.projectId).to.equal("demo");
      expect(request.name).to.equal("batch-etl");
      expect(request.type).to.equal("JOB_TYPE_BATCH");
      expect(request.steps).to.deep.equal([]);
      expect(request.clientRequestId).to.match(/^\d{17}-[0-9a-f]{8}$/);
      expect(request.labels).to.deep.equal({ team: "data" });
      expect(request.replaceJobId).to.equal(undefined);
      const env = request.environment;
      expect(env.experiments).to.deep.equal([...BASE_EXPERIMENTS, "shuffle_mode=service"]);
      expect(env.experiments).not.to.include.members(STREAMING_EXPERIMENTS);
      expect(env.tempStoragePrefix).to.equal("gs://demo-bucket/tmp");
      expect(env.serviceAccountEmail).to.equal("worker@demo.iam.gserviceaccount.com");
      expect(env.workerRegion).to.equal("europe-west10");
      expect(env.workerZone).to.equal(undefined);
      expect(env.version).to.deep.equal({ job_type: "FNAPI_BATCH", major: "8" });
      const options = env.sdkPipelineOptions.options;
      expect(options).to.include({ project: "demo", region: "europe-west10", jobName: "batch-etl", tempLocation: "gs://demo-bucket/tmp", stagingLocation: "gs://demo-bucket/tmp/staging", streaming: false, sdkContainerImage: IMAGE });
      expect(options.experiments).to.deep.equal(env.experiments);
      expect(options.registered_node_modules).to.include.members(["apache-beam", "beam-ts-native/io/files/text_files", "beam-ts-native/io/files/text_file_sink", "beam-ts-native/transforms/parse_csv"]);
      expect(env.sdkPipelineOptions.display_data.map((d: { key: string }) => d.key)).to.include.members(["project", "region", "pipelineUrl"]);
      expect(env.workerPools).to.have.length(1);
      const pool = env.workerPools[0];
      expect(pool).to.deep.include({ kind: "harness", numWorkers: 2, machineType: "n2-standard-2", network: "etl", subnetwork: "regions/europe-west10/subnetworks/etl", ipConfiguration: "WORKER_IP_PRIVATE" });
      expect(pool.autoscalingSettings).to.deep.equal({ algorithm: "AUTOSCALING_ALGORITHM_BASIC", maxNumWorkers: 5 });
      expect(pool.sdkHarnessContainerImages).to.have.length(1);
      expect(pool.sdkHarnessContainerImages[0]).to.deep.include({ containerImage: IMAGE, useSingleCorePerContainer: true, environmentId: "jsEnvironment" });
    });

    it("pipelineUrl names the uploaded pipeline.pb: Docker environments, url artifacts with the right sha256, the environment on every SDK transform", () => {
      const pipelineUrl: string = request.environment.sdkPipelineOptions.options.pipelineUrl;
      expect(pipelineUrl).to.match(/^gs:\/\/demo-bucket\/tmp\/staging\/batch-etl-\d{14}\/pipeline\.pb$/);
      const bytes = object(pipelineUrl);
      expect(bytes, `${pipelineUrl} uploaded`).to.not.equal(undefined);
      pipeline = runnerApi.Pipeline.fromBinary(bytes!);
      const environments = Object.entries(pipeline.components!.environments);
      expect(environments.map(([id]) => id)).to.deep.equal(["jsEnvironment"]);
      for (const [, env] of environments) {
        expect(env.urn).to.equal(DOCKER_ENVIRONMENT_URN);
        expect(runnerApi.DockerPayload.fromBinary(env.payload).containerImage).to.equal(IMAGE);
        expect(env.dependencies).to.have.length.greaterThan(0);
        for (const artifact of env.dependencies) {
          expect(artifact.typeUrn).to.equal(URL_ARTIFACT_URN);
          expect(artifact.roleUrn).to.equal(NPM_ROLE_URN);
          expect(new TextDecoder().decode(artifact.rolePayload)).to.equal("beam-ts-native");
          const { url, sha256: expected } = runnerApi.ArtifactUrlPayload.fromBinary(artifact.typePayload);
          const staged = object(url);
          expect(staged, `${url} uploaded`).to.not.equal(undefined);
          expect(sha256(staged!)).to.equal(expected);
          expect(url).to.match(/\/beam-ts-native-0\.1\.0\.tgz$/);
        }
      }
      const runnerPrimitives = ["beam:transform:impulse:v1", "beam:transform:group_by_key:v1", "beam:transform:flatten:v1"];
      for (const t of Object.values(pipeline.components!.transforms)) {
        if (t.subtransforms.length > 0 || runnerPrimitives.includes(t.spec?.urn ?? "")) continue;
        expect(t.environmentId, t.uniqueName).to.equal("jsEnvironment");
      }
      // The local inputs went up with the job, byte for byte.
      for (const [i, file] of SAMPLE.entries()) {
        const uploaded = object(pipelineUrl.replace("pipeline.pb", `inputs/${i}-${path.basename(file)}`));
        expect(uploaded?.equals(fs.readFileSync(file)), file).to.equal(true);
      }
    });

    it("the uploaded pipeline.pb, decoded and run on our runner, writes what the pipeline run directly writes", async () => {
      expect(pipeline, "pipeline.pb decoded by the test before").to.not.equal(undefined);
      const result = await directRunner().runPipeline(pipeline);
      expect(await result.waitUntilFinish()).to.equal(JobState_Enum.DONE);
      const prefix = "tmp/output/batch-etl/";
      const remote = outputs(fakes.gcs.names("demo-bucket").filter((n) => n.startsWith(prefix)).map((n) => [n.slice(prefix.length), fakes.gcs.get("demo-bucket", n)!.toString("utf8")]));
      const local = fs.mkdtempSync(path.join(os.tmpdir(), "direct-batch-"));
      try {
        await runBatch(SAMPLE.map((file) => resolveInput(file)), directRunner(), local);
        const direct = outputs(fs.readdirSync(local).filter((f) => f.endsWith(".jsonl")).map((f) => [f, fs.readFileSync(path.join(local, f), "utf8")]));
        expect(Object.keys(remote).sort()).to.deep.equal(Object.keys(direct).sort());
        expect(Object.keys(direct)).to.include.members(["transacoes", "dead-letters", "revenue-by-category"]);
        // The differences allowed: where the inputs were read from, and when a dead letter was made.
        const stagedInput = new RegExp(`gs://demo-bucket/tmp/staging/batch-etl-\\d{14}/inputs/\\d-`, "g");
        const comparable = (line: string) => line.replace(stagedInput, "fixtures/sample/").replace(/"timeMs":\d+,/, "");
        for (const [name, lines] of Object.entries(remote)) {
          expect(lines.map(comparable).sort(), name).to.deep.equal(direct[name].map(comparable).sort());
        }
      } finally {
        fs.rmSync(local, { recursive: true, force: true });
      }
    });
  });

  describe("streaming", () => {
    it("submits, detaches on Ctrl-C saying how to stop the job, answers 409 to a duplicate, replaces with --update, drains and cancels", async () => {
      const detached = await submit(["--jobName=stream-etl", "--topic=transacoes"], detachWhenRunning());
      expect(detached.status, detached.stderr).to.equal(130);
      const first = fakes.dataflow.created().at(-1)!;
      expect(first.type).to.equal("JOB_TYPE_STREAMING");
      expect(first.environment.experiments).to.deep.equal([...BASE_EXPERIMENTS, ...STREAMING_EXPERIMENTS]);
      expect(first.environment.version.job_type).to.equal("FNAPI_STREAMING");
      expect(first.environment.sdkPipelineOptions.options.streaming).to.equal(true);
      const pipeline = runnerApi.Pipeline.fromBinary(object(first.environment.sdkPipelineOptions.options.pipelineUrl)!);
      const read = Object.values(pipeline.components!.transforms).find((t) => t.spec?.urn === "beam:transform:pubsub_read:v1")!;
      expect(runnerApi.PubSubReadPayload.fromBinary(read.spec!.payload).topic).to.equal("projects/demo/topics/transacoes");
      // Dataflow's native read emits serialized PubsubMessage bytes: the pipeline reads bytes and decodes them next.
      const readOutput = Object.values(read.outputs)[0];
      expect(pipeline.components!.coders[pipeline.components!.pcollections[readOutput].coderId].spec!.urn).to.equal("beam:coder:bytes:v1");
      const decode = Object.values(pipeline.components!.transforms).filter((t) => Object.values(t.inputs).includes(readOutput));
      expect(decode.map((t) => t.uniqueName)).to.deep.equal(["readFromPubSub(transacoes)/map(decodePubsubMessage)"]);
      expect(decode[0].environmentId).to.equal("jsEnvironment");
      const firstId = detached.stdout.match(/created job (\S+)/)![1];
      expect(detached.stdout).to.contain(`Job ${firstId} goes on running on Dataflow`);
      expect(detached.stdout).to.contain(`npm run jobs -- cancel ${firstId} --project demo --region europe-west10`);
      expect(fakes.dataflow.job(firstId)!.currentState).to.equal("JOB_STATE_RUNNING");

      const duplicate = await submit(["--jobName=stream-etl", "--topic=transacoes"]);
      expect(duplicate.status).to.equal(1);
      expect(duplicate.stderr).to.contain("Dataflow API refused to create job stream-etl: HTTP 409 ALREADY_EXISTS");
      expect(duplicate.stderr).to.contain("There is already an active job named stream-etl");
      expect(duplicate.stderr).to.contain("--update to replace it");

      const update = await submit(["--jobName=stream-etl", "--topic=transacoes", "--update", '--transformNameMapping={"readFromPubSub(transacoes)":"read"}'], detachWhenRunning());
      expect(update.status, update.stderr).to.equal(130);
      const replacing = fakes.dataflow.created().at(-1)!;
      expect(replacing.replaceJobId).to.equal(firstId);
      expect(replacing.transformNameMapping).to.deep.equal({ "readFromPubSub(transacoes)": "read" });
      expect(fakes.dataflow.job(firstId)!.currentState).to.equal("JOB_STATE_UPDATED");
      const secondId = update.stdout.match(/created job (\S+)/)![1];
      expect(update.stdout).to.contain(`replacing ${firstId}`);

      const listed = await jobs(["list"]);
      expect(listed.status, listed.stderr).to.equal(0);
      expect(listed.stdout).to.contain(secondId);
      expect(listed.stdout).not.to.contain(firstId);

      const drain = await jobs(["drain", "stream-etl"]);
      expect(drain.status, drain.stderr).to.equal(0);
      expect(drain.stdout).to.contain(`drain requested for ${secondId}`);
      expect(fakes.dataflow.requests.find((r) => r.method === "PUT" && r.path.endsWith(secondId))!.body).to.deep.equal({ requestedState: "JOB_STATE_DRAINED" });
      const shown = await jobs(["show", secondId]);
      expect(shown.stdout).to.contain("JOB_STATE_DRAINING");
      expect(fakes.dataflow.job(secondId)!.currentState).to.equal("JOB_STATE_DRAINED");

      const third = await submit(["--jobName=stream-etl", "--subscription=transacoes-sub"], detachWhenRunning());
      const thirdId = third.stdout.match(/created job (\S+)/)![1];
      const cancel = await jobs(["cancel", thirdId]);
      expect(cancel.status, cancel.stderr).to.equal(0);
      expect(fakes.dataflow.requests.filter((r) => r.method === "PUT").at(-1)!.body).to.deep.equal({ requestedState: "JOB_STATE_CANCELLED" });
      expect(fakes.dataflow.job(thirdId)!.currentState).to.equal("JOB_STATE_CANCELLING");
    });
  });

  describe("refusals", () => {
    it("a 403 on create: the API's own text, what to grant, exit 1, no stack", async () => {
      fakes.dataflow.refuseNext("POST", 403, "PERMISSION_DENIED", "(fake): Permission 'fakes.dataflow.jobs.create' denied on project: 'demo'");
      const run = await submit(["--pipeline=batch", "--jobName=denied"]);
      expect(run.status).to.equal(1);
      expect(run.stderr).to.contain("Dataflow API refused to create job denied: HTTP 403 PERMISSION_DENIED: (fake): Permission 'fakes.dataflow.jobs.create' denied on project: 'demo'.");
      expect(run.stderr).to.contain("roles/dataflow.developer");
      expect(run.stderr).to.contain("gcloud services enable dataflow.googleapis.com --project demo");
      expect(run.stderr).not.to.match(/\n\s+at /);
    });

    it("a 404: the API's own text and which flags to check", async () => {
      const run = await jobs(["show", "2026-01-01_00_00_00-404"]);
      expect(run.status).to.equal(1);
      expect(run.stderr).to.contain("HTTP 404 NOT_FOUND: (fake): Information about job 2026-01-01_00_00_00-404 could not be found");
      expect(run.stderr).to.contain("Check --project demo and --region europe-west10");
    });

    it("no credentials: says how to get them, before anything is built or uploaded", async () => {
      const home = fs.mkdtempSync(path.join(os.tmpdir(), "no-adc-"));
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, CLOUDSDK_CONFIG: home, METADATA_SERVER_DETECTION: "none" };
      delete env.GOOGLE_APPLICATION_CREDENTIALS;
      const before = fakes.gcs.names("demo-bucket").length;
      try {
        const run = await runCli("pipelines/main.ts", ["--runner=dataflow", "--project=demo", "--tempLocation=gs://demo-bucket/tmp", "--jobName=no-credentials", `--storageEndpoint=${fakes.gcs.endpoint}`], { env });
        expect(run.status, run.stderr).to.equal(2);
        expect(run.stderr).to.match(/no Google Cloud credentials \(Application Default Credentials\)/);
        expect(run.stderr).to.contain("gcloud auth application-default login");
        expect(fakes.gcs.names("demo-bucket").length).to.equal(before);
      } finally {
        fs.rmSync(home, { recursive: true, force: true });
      }
    });
  });
});

/** Sends one Ctrl-C once the job shows RUNNING (a second one would end the command at once). */
function detachWhenRunning(): RunCliOptions["onOutput"] {
  let sent = false;
  return (out, signal) => {
    if (!sent && out.includes("state JOB_STATE_RUNNING")) {
      sent = true;
      signal("SIGINT");
    }
  };
}

/** JSON-lines outputs by family (`transacoes-00000-of-00001.jsonl` → `transacoes`), their lines. */
function outputs(files: [string, string][]): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [name, text] of files) {
    const family = name.replace(/-\d{5}-of-\d{5}\.jsonl$/, "");
    (result[family] ??= []).push(...text.split("\n").filter(Boolean));
  }
  return result;
}
