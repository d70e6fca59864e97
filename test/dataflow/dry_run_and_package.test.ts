/**
 * The must-show dry runs (`--dry-run`, both pipelines: no network, exit 0), and what a Dataflow
 * worker does with what they staged: the TypeScript container's boot `npm install`s the package
 * into an empty folder, then the SDK's worker entry point (`apache-beam-worker`) `require`s every
 * `registered_node_modules` entry by name from where it is installed. Here the install prefers
 * npm's local cache (`--prefer-offline`), which `npm ci` filled: the boot runs a plain `npm install`.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createRequire } from "module";
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import * as crypto from "crypto";
import { buildFingerprint, packProject, unresolvedModules } from "../../runners/dataflow/package";
import { FILE_ARTIFACT_URN, NPM_ROLE_URN, URL_ARTIFACT_URN } from "../../runners/dataflow/environment";
import { ROOT, runCli, runClis, type CliRun } from "../support/run_cli";

describe("--runner=dataflow --dry-run, and the package as a worker installs it", function () {
  this.timeout(600_000);
  const dirs: Record<string, string> = {};
  const runs: Record<string, CliRun> = {};
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dry-run-"));

  before(async () => {
    const pipelines = ["streaming", "batch"];
    // The must-show command, with a fixed job name so the test finds its folder. The two runs are
    // independent processes, side by side (one build of dist/ at a time: the build lock).
    const done = await runClis(pipelines.map((pipeline) => () => runCli("pipelines/main.ts", ["--runner=dataflow", "--project", "demo", "--tempLocation", "gs://demo-bucket/tmp", "--dry-run", `--pipeline=${pipeline}`, `--jobName=dry-${pipeline}`])));
    for (const [i, pipeline] of pipelines.entries()) {
      runs[pipeline] = done[i];
      dirs[pipeline] = path.join(ROOT, "tmp", "dataflow", `dry-${pipeline}`);
    }
  });
  after(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
    for (const dir of Object.values(dirs)) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const pipeline of ["streaming", "batch"]) {
    it(`${pipeline}: exits 0 and prints the request and what was staged; writes job.json, pipeline.pb and the package`, () => {
      const run = runs[pipeline];
      expect(run.status, run.stderr).to.equal(0);
      expect(run.stdout).to.contain(`Dataflow job dry-${pipeline}: JOB_TYPE_${pipeline.toUpperCase()} in project demo, region europe-west10`);
      expect(run.stdout).to.match(/beam-ts-native-0\.1\.0\.tgz\s+[\d.]+ KiB\s+sha256 [0-9a-f]{16}…/);
      expect(run.stdout).to.contain("dry run: nothing uploaded, no job created");
      const request = JSON.parse(fs.readFileSync(path.join(dirs[pipeline], "job.json"), "utf8"));
      expect(request.name).to.equal(`dry-${pipeline}`);
      const options = request.environment.sdkPipelineOptions.options;
      expect(options.pipelineUrl).to.match(new RegExp(`^gs://demo-bucket/tmp/staging/dry-${pipeline}-\\d{14}/pipeline\\.pb$`));
      // The staged folder mirrors the staging location: pipeline.pb is the one the request names.
      const pb = fs.readFileSync(path.join(dirs[pipeline], "staged", "pipeline.pb"));
      const proto = runnerApi.Pipeline.fromBinary(pb);
      const [artifact] = Object.values(proto.components!.environments)[0].dependencies;
      expect(artifact.typeUrn).to.equal(URL_ARTIFACT_URN);
      expect(artifact.roleUrn).to.equal(NPM_ROLE_URN);
      expect(runnerApi.ArtifactUrlPayload.fromBinary(artifact.typePayload).url).to.equal(options.pipelineUrl.replace("pipeline.pb", "beam-ts-native-0.1.0.tgz"));
      expect(fs.existsSync(path.join(dirs[pipeline], "staged", "beam-ts-native-0.1.0.tgz"))).to.equal(true);
      expect(Object.values(proto.components!.environments).flatMap((e) => e.dependencies).some((a) => a.typeUrn === FILE_ARTIFACT_URN)).to.equal(false);
    });
  }

  it("packs the same sources again without rebuilding them: dist/ untouched, the same tarball; kept, the same again without npm", () => {
    const staged = fs.readFileSync(path.join(dirs.batch, "staged", "beam-ts-native-0.1.0.tgz"));
    const built = path.join(ROOT, "dist", "pipelines", "main.js");
    const before = fs.statSync(built).mtimeMs;
    const cache = path.join(scratch, "packs");
    const tarball = packProject(path.join(scratch, "again"), cache);
    expect(fs.statSync(built).mtimeMs).to.equal(before);
    expect(tarball.sha256).to.equal(crypto.createHash("sha256").update(staged).digest("hex"));
    // Kept in the cache (by the build's fingerprint and the root files), it is copied, not packed again.
    const [key] = fs.readdirSync(cache);
    fs.writeFileSync(path.join(cache, key, tarball.fileName), "kept\n");
    const kept = packProject(path.join(scratch, "kept"), cache);
    expect(fs.readFileSync(kept.path, "utf8")).to.equal("kept\n");
    expect(kept.files).to.deep.equal(tarball.files);
    expect(kept.files).to.include.members(["package.json", "dist/pipelines/main.js"]);
  });

  it("fingerprints what the build reads: a source, a build script, a patch, the lockfile; not installed packages", () => {
    const project = path.join(scratch, "project");
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
      fs.writeFileSync(path.join(project, file), text);
    };
    write("tsconfig.json", JSON.stringify({ include: ["src"] }));
    for (const file of ["package.json", "package-lock.json"]) write(file, "{}");
    write("src/a.ts", "export const a = 1;\n");
    write("scripts/build.js", "// build\n");
    write("patches/ts-closure-transform+0.1.8.patch", "--- a\n");
    const first = buildFingerprint(project);
    expect(buildFingerprint(project)).to.equal(first);
    write("src/node_modules/x/index.ts", "export {};\n");
    write("src/notes.md", "not compiled\n");
    expect(buildFingerprint(project), "installed packages and non-TypeScript files").to.equal(first);
    const seen = new Set([first]);
    for (const [file, text] of [["src/a.ts", "export const a = 2;\n"], ["src/b.ts", "export {};\n"], ["scripts/build.js", "// build 2\n"], ["patches/ts-closure-transform+0.1.8.patch", "--- b\n"], ["package-lock.json", "{ }"]]) {
      write(file, text);
      const next = buildFingerprint(project);
      expect(seen.has(next), file).to.equal(false);
      seen.add(next);
    }
  });

  it("a registered module that the package does not hold, or that no dependency provides, is named", () => {
    const tarball = { files: ["package.json", "dist/io/gcs.js"] };
    expect(unresolvedModules(["beam-ts-native/io/gcs", "beam-ts-native/io/missing", "apache-beam/transforms/pardo", "left-pad", "apache-beam/no/such/module"], tarball)).to.deep.equal([
      "beam-ts-native/io/missing",
      "left-pad",
      "apache-beam/no/such/module",
    ]);
  });

  it("the staged package installs into an empty folder as the container's boot does, and every registered module loads by name", async () => {
    const modules = new Set<string>();
    for (const pipeline of ["streaming", "batch"]) {
      expect(runs[pipeline].status, runs[pipeline].stderr).to.equal(0);
      const request = JSON.parse(fs.readFileSync(path.join(dirs[pipeline], "job.json"), "utf8"));
      for (const m of request.environment.sdkPipelineOptions.options.registered_node_modules) modules.add(m);
    }
    expect([...modules].filter((m) => m.startsWith("beam-ts-native/")).length).to.be.greaterThan(10);
    // The boot renames each artifact to <name>.tar ("npm cannot handle arbitrary suffixes") and installs it in the working directory.
    const worker = path.join(scratch, "worker");
    fs.mkdirSync(worker);
    const staged = path.join(worker, "beam-ts-native-0.1.0.tgz.tar");
    fs.copyFileSync(path.join(dirs.batch, "staged", "beam-ts-native-0.1.0.tgz"), staged);
    const install = await npm(["install", staged, "--prefer-offline", "--no-audit", "--no-fund"], worker);
    expect(install.status, install.output).to.equal(0);
    // What the harness image does once it has installed the package (runners/dataflow/Dockerfile).
    fs.cpSync(path.join(ROOT, "patches"), path.join(worker, "patches"), { recursive: true });
    const patched = await run(path.join(worker, "node_modules", ".bin", "patch-package"), [], worker);
    expect(patched.status, patched.output).to.equal(0);
    expect(patched.output).to.match(/serialize-closures@\S+ ✔/);
    const workerMain = path.join(worker, "node_modules", "apache-beam", "dist", "src", "apache_beam", "worker", "worker_main.js");
    expect(fs.existsSync(path.join(worker, "node_modules", ".bin", "apache-beam-worker")), "the entry point npx runs").to.equal(true);
    // worker_main.js `require`s each name from its own place in node_modules: resolve from there, in a fresh process.
    // The worker's serialize-closures reads what ours writes: a closure capturing a Buffer gets a Buffer.
    // Two independent processes, side by side.
    const written = JSON.stringify(require("serialize-closures").serialize({ bytes: Buffer.from("héllo") }));
    const [load, read] = await Promise.all([
      nodeEval(
        `const r = require("module").createRequire(${JSON.stringify(workerMain)});
       const failed = [];
       for (const m of ${JSON.stringify([...modules])}) { try { r(m); } catch (e) { failed.push(m + ": " + e.message.split("\\n")[0]); } }
       console.log(JSON.stringify({ loaded: ${modules.size} - failed.length, failed }));`,
        worker,
      ),
      nodeEval(
        `const v = require("serialize-closures").deserialize(JSON.parse(${JSON.stringify(written)}));
       console.log(JSON.stringify({ buffer: Buffer.isBuffer(v.bytes), text: Buffer.from(v.bytes).toString() }));`,
        worker,
      ),
    ]);
    expect(load.status, load.output).to.equal(0);
    const outcome = JSON.parse(load.output.trim().split("\n").pop()!);
    expect(outcome.failed).to.deep.equal([]);
    expect(outcome.loaded).to.equal(modules.size);
    expect(read.status, read.output).to.equal(0);
    expect(JSON.parse(read.output.trim().split("\n").pop()!)).to.deep.equal({ buffer: true, text: "héllo" });
    // What was loaded is the installed package, not this checkout.
    const resolved = createRequire(workerMain).resolve("beam-ts-native/io/files/text_files");
    expect(resolved).to.equal(path.join(worker, "node_modules", "beam-ts-native", "dist", "io", "files", "text_files.js"));
    // Built afresh: a module moved or deleted since an earlier build is not shipped.
    const installed = path.join(worker, "node_modules", "beam-ts-native", "dist");
    const shipped = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? shipped(path.join(dir, e.name)) : e.name.endsWith(".js") ? [path.join(dir, e.name)] : []));
    for (const file of shipped(installed)) {
      const source = path.join(ROOT, path.relative(installed, file)).replace(/\.js$/, ".ts");
      expect(fs.existsSync(source), `${path.relative(installed, file)} has a source`).to.equal(true);
    }
  });
});

function npm(args: string[], cwd: string): Promise<{ status: number | null; output: string }> {
  return run("npm", args, cwd);
}

function nodeEval(source: string, cwd: string): Promise<{ status: number | null; output: string }> {
  return run(process.execPath, ["-e", source], cwd);
}

/** A process with a bound: killed after 5 minutes. */
function run(command: string, args: string[], cwd: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: process.env });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}
