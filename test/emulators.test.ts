import { expect } from "chai";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Bigtable } from "@google-cloud/bigtable";
import { PubSub } from "@google-cloud/pubsub";
import { describeMissing, missingEmulators, startEmulators, type EmulatorName } from "../emulators";
import { acceptsConnections } from "../emulators/health";
import { groupAlive, processesOfGroup } from "../emulators/process_group";
import { gcloudSdkRoot } from "../emulators/sdk";

const ALL: EmulatorName[] = ["pubsub", "bigtable"];
const VARIABLES = ["PUBSUB_EMULATOR_HOST", "BIGTABLE_EMULATOR_HOST"];
const ROOT = path.join(__dirname, "..");

/** Runs `body` with the emulator variables unset (so emulators are started, not reused), then restores them. */
async function withoutEmulatorVariables<T>(body: () => Promise<T>): Promise<T> {
  const saved = VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const name of VARIABLES) delete process.env[name];
  try {
    return await body();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

function hostPort(endpoint: string): [string, number] {
  const separator = endpoint.lastIndexOf(":");
  return [endpoint.slice(0, separator), Number(endpoint.slice(separator + 1))];
}

/** Whether `condition` holds within `ms` (a killed process is reaped by its parent a moment later). */
async function eventually(condition: () => boolean, ms = 3_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  return condition();
}

/** The command lines (arguments joined by spaces) of the processes of process group `group`. */
function groupCommandLines(group: number): string[] {
  return (processesOfGroup(group) ?? []).map((member) => fs.readFileSync(`/proc/${member.pid}/cmdline`, "utf8").split("\0").join(" "));
}

function executable(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode: 0o755 });
}

describe("emulators: what is missing", () => {
  let fakeRoot: string;
  beforeEach(() => (fakeRoot = fs.mkdtempSync(path.join(os.tmpdir(), "fake-gcloud-sdk-"))));
  afterEach(() => fs.rmSync(fakeRoot, { recursive: true, force: true }));

  it("names each absent executable under a fake SDK root, with the package that installs it", async () => {
    const missing = await withoutEmulatorVariables(() => missingEmulators(ALL, { sdkRoot: fakeRoot }));
    expect(missing).to.deep.equal([
      {
        emulator: "pubsub",
        missing: path.join(fakeRoot, "platform/pubsub-emulator/bin/cloud-pubsub-emulator"),
        install: "apt-get install google-cloud-cli-pubsub-emulator",
      },
      {
        emulator: "bigtable",
        missing: path.join(fakeRoot, "platform/bigtable-emulator/cbtemulator"),
        install: "apt-get install google-cloud-cli-bigtable-emulator",
      },
    ]);
    expect(describeMissing(missing[0])).to.equal(
      `the Pub/Sub emulator is missing (${fakeRoot}/platform/pubsub-emulator/bin/cloud-pubsub-emulator); install it with: apt-get install google-cloud-cli-pubsub-emulator`,
    );
  });

  it("reports Java when the Pub/Sub emulator is there but no java is", async () => {
    executable(path.join(fakeRoot, "platform/pubsub-emulator/bin/cloud-pubsub-emulator"), "#!/bin/sh\n");
    executable(path.join(fakeRoot, "platform/bigtable-emulator/cbtemulator"), "#!/bin/sh\n");
    const saved = { PATH: process.env.PATH, JAVA_HOME: process.env.JAVA_HOME };
    process.env.PATH = fakeRoot;
    delete process.env.JAVA_HOME;
    try {
      const missing = await withoutEmulatorVariables(() => missingEmulators(ALL, { sdkRoot: fakeRoot }));
      expect(missing).to.deep.equal([{ emulator: "pubsub", missing: "java", install: "apt-get install openjdk-17-jre-headless" }]);
      expect(describeMissing(missing[0])).to.equal("the Pub/Sub emulator needs java, which is missing; install it with: apt-get install openjdk-17-jre-headless");
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.JAVA_HOME !== undefined) process.env.JAVA_HOME = saved.JAVA_HOME;
    }
  });

  it("makes startEmulators throw the install commands, starting nothing", async () => {
    const error = await withoutEmulatorVariables(() => startEmulators(["bigtable"], { sdkRoot: fakeRoot }).then(() => undefined, (e: Error) => e));
    expect(error?.message).to.equal(
      `cannot start the emulators:\n  - the Bigtable emulator is missing (${fakeRoot}/platform/bigtable-emulator/cbtemulator); install it with: apt-get install google-cloud-cli-bigtable-emulator`,
    );
  });

  it("counts an emulator given by its variable as present: it is reused, not started", async () => {
    const saved = process.env.BIGTABLE_EMULATOR_HOST;
    process.env.BIGTABLE_EMULATOR_HOST = "127.0.0.1:1";
    try {
      expect(await missingEmulators(["bigtable"], { sdkRoot: fakeRoot })).to.deep.equal([]);
    } finally {
      if (saved === undefined) delete process.env.BIGTABLE_EMULATOR_HOST;
      else process.env.BIGTABLE_EMULATOR_HOST = saved;
    }
  });
});

describe("emulators: started for real", function () {
  this.timeout(60_000);
  let sdkRoot: string | undefined;

  before(async function () {
    sdkRoot = await gcloudSdkRoot();
    const missing = await withoutEmulatorVariables(() => missingEmulators(ALL));
    if (missing.length > 0) {
      for (const m of missing) console.log(`  skipped: ${describeMissing(m)}`);
      this.skip();
    }
  });

  it("starts both; the real clients create a topic and a table; stop() leaves no port open and no process alive", async () => {
    const emulators = await withoutEmulatorVariables(() => startEmulators(ALL, { sdkRoot }));
    try {
      expect(emulators.env).to.deep.equal({ PUBSUB_EMULATOR_HOST: emulators.endpoints.pubsub, BIGTABLE_EMULATOR_HOST: emulators.endpoints.bigtable });
      expect(emulators.endpoints.pubsub).to.match(/^127\.0\.0\.1:\d+$/);
      expect(emulators.endpoints.bigtable).to.match(/^127\.0\.0\.1:\d+$/);

      // An explicit universe and emulator mode spare the clients a probe of the GCE metadata server.
      const pubsub = new PubSub({ projectId: "local-project", apiEndpoint: emulators.endpoints.pubsub, emulatorMode: true, universeDomain: "googleapis.com" });
      const [topic] = await pubsub.createTopic("health-check");
      expect(topic.name).to.equal("projects/local-project/topics/health-check");
      await pubsub.close();

      const bigtable = new Bigtable({ projectId: "local-project", apiEndpoint: emulators.endpoints.bigtable, metricsEnabled: false, universeDomain: "googleapis.com" });
      const [table] = await bigtable.instance("e-commerce-data").createTable("health-check", { families: ["dados"] });
      expect((await table.exists())[0]).to.equal(true);
      await bigtable.close();
      expect(emulators.logFiles).to.have.length(2);
      expect(fs.readFileSync(emulators.logFiles[1], "utf8")).to.contain("Cloud Bigtable emulator running");
    } finally {
      await emulators.stop();
    }

    for (const endpoint of [emulators.endpoints.pubsub!, emulators.endpoints.bigtable!]) {
      expect(await acceptsConnections(...hostPort(endpoint)), `${endpoint} still open`).to.equal(false);
    }
    for (const pid of [emulators.pids.pubsub!, emulators.pids.bigtable!]) {
      expect(groupAlive(pid), `process group ${pid} still alive`).to.equal(false);
    }
    // The folder of their logs goes with them: nothing is left under the temp dir.
    expect(fs.existsSync(path.dirname(emulators.logFiles[0])), "log folder left behind").to.equal(false);
  });

  it("an owner killed with SIGKILL takes the Java Pub/Sub emulator and cbtemulator with it, and their log folder", async () => {
    const script = `
      require("./emulators").startEmulators(["pubsub", "bigtable"]).then((e) => {
        console.log(JSON.stringify({ pids: e.pids, logFiles: e.logFiles }));
        setInterval(() => {}, 1000);
      });`;
    const env = { ...process.env };
    for (const name of VARIABLES) delete env[name];
    const owner = spawn(process.execPath, ["-r", "./scripts/register.js", "-e", script], { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] });
    const started = await new Promise<{ pids: { pubsub: number; bigtable: number }; logFiles: string[] }>((resolve, reject) => {
      owner.stdout.once("data", (data: Buffer) => resolve(JSON.parse(String(data))));
      owner.once("exit", (code) => reject(new Error(`owner exited (${code}) before starting its emulators`)));
    });
    const groups = [started.pids.pubsub, started.pids.bigtable];
    expect(groupCommandLines(started.pids.pubsub).join("\n")).to.contain("java");
    expect(groupCommandLines(started.pids.bigtable).join("\n")).to.contain("cbtemulator");
    owner.kill("SIGKILL");
    await new Promise((resolve) => owner.once("exit", resolve));
    // The watchdog gives SIGTERM 2 s before SIGKILL; 10 s bounds it with room for a loaded machine.
    for (const group of groups) expect(await eventually(() => !groupAlive(group), 10_000), `process group ${group} survived its owner`).to.equal(true);
    const logDir = path.dirname(started.logFiles[0]);
    expect(await eventually(() => !fs.existsSync(logDir), 5_000), `${logDir} left behind`).to.equal(true);
  });

  it("starts the Pub/Sub emulator's JVM with the options for a small machine, unless the user set their own", async function () {
    if (!fs.existsSync("/proc/self/cmdline")) {
      console.log("  skipped: /proc is missing (not Linux), so the emulator's JVM command line cannot be read");
      this.skip();
    }
    const javaCommandLine = async (): Promise<string> => {
      const started = await withoutEmulatorVariables(() => startEmulators(["pubsub"], { sdkRoot }));
      try {
        return groupCommandLines(started.pids.pubsub!).find((line) => line.includes("java")) ?? "";
      } finally {
        await started.stop();
      }
    };
    const saved = process.env.CLOUD_PUBSUB_EMULATOR_OPTS;
    try {
      delete process.env.CLOUD_PUBSUB_EMULATOR_OPTS;
      expect(await javaCommandLine()).to.include("-XX:+UseSerialGC").and.to.include("-XX:TieredStopAtLevel=1").and.to.include("-XX:MaxRAMPercentage=60");
      process.env.CLOUD_PUBSUB_EMULATOR_OPTS = "-Xmx300m";
      const theirs = await javaCommandLine();
      expect(theirs).to.include("-Xmx300m").and.not.to.include("-XX:+UseSerialGC");
    } finally {
      if (saved === undefined) delete process.env.CLOUD_PUBSUB_EMULATOR_OPTS;
      else process.env.CLOUD_PUBSUB_EMULATOR_OPTS = saved;
    }
  });

  it("reuses endpoints set in the environment: starts nothing, and its stop() leaves them running", async () => {
    const first = await withoutEmulatorVariables(() => startEmulators(ALL, { sdkRoot }));
    const saved = VARIABLES.map((name) => [name, process.env[name]] as const);
    try {
      Object.assign(process.env, first.env);
      const reused = await startEmulators(ALL, { sdkRoot });
      expect(reused.endpoints).to.deep.equal(first.endpoints);
      expect(reused.env).to.deep.equal(first.env);
      expect(reused.logFiles).to.deep.equal([]);
      expect(reused.pids).to.deep.equal({});
      await reused.stop();
      expect(await acceptsConnections(...hostPort(first.endpoints.bigtable!))).to.equal(true);
      expect(groupAlive(first.pids.pubsub!)).to.equal(true);
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await first.stop();
    }
  });

  it("fails clearly when an endpoint in the environment does not answer", async () => {
    const saved = process.env.BIGTABLE_EMULATOR_HOST;
    process.env.BIGTABLE_EMULATOR_HOST = "127.0.0.1:1";
    try {
      const error = await startEmulators(["bigtable"]).then(() => undefined, (e: Error) => e);
      expect(error?.message).to.match(/BIGTABLE_EMULATOR_HOST=127\.0\.0\.1:1 is set, so the Bigtable emulator is expected there \(unset it to have one started\): no answer within/);
    } finally {
      if (saved === undefined) delete process.env.BIGTABLE_EMULATOR_HOST;
      else process.env.BIGTABLE_EMULATOR_HOST = saved;
    }
  });
});

describe("emulators: a start that fails", () => {
  it("says so at once when the emulator exits while starting, with the end of its log", async () => {
    const fakeRoot = fs.mkdtempSync(path.join(os.tmpdir(), "fake-gcloud-sdk-"));
    try {
      executable(path.join(fakeRoot, "platform/bigtable-emulator/cbtemulator"), "#!/bin/sh\necho 'boom: no licence to emulate' >&2\nexit 3\n");
      const logDir = path.join(fakeRoot, "logs");
      const error = await withoutEmulatorVariables(() => startEmulators(["bigtable"], { sdkRoot: fakeRoot, logDir }).then(() => undefined, (e: Error) => e));
      expect(error?.message).to.match(/^the Bigtable emulator on 127\.0\.0\.1:\d+: gave up, it exited \(exit code 3\)\n/);
      expect(error?.message).to.match(new RegExp(`${logDir}/bigtable-\\d+\\.log ends with:\nboom: no licence to emulate$`));
    } finally {
      fs.rmSync(fakeRoot, { recursive: true, force: true });
    }
  });
});

describe("emulators: nothing outlives its owner", function () {
  this.timeout(30_000);
  let fakeRoot: string;

  // A stand-in for the Pub/Sub launcher: a shell that starts the real server as its child (where the
  // real script execs Java) and waits, so killing the shell alone would leave the server behind.
  before(() => {
    fakeRoot = fs.mkdtempSync(path.join(os.tmpdir(), "fake-gcloud-sdk-"));
    executable(path.join(fakeRoot, "server.js"), `
      const [host, port, pidFile] = process.argv.slice(2);
      require("fs").writeFileSync(pidFile, String(process.pid));
      require("net").createServer((socket) => socket.end()).listen(Number(port), host);
      console.log("fake emulator on " + host + ":" + port);
    `);
    executable(
      path.join(fakeRoot, "platform/bigtable-emulator/cbtemulator"),
      `#!/bin/sh\n"${process.execPath}" "${fakeRoot}/server.js" "$2" "$4" "${fakeRoot}/server.pid" &\nwait\n`,
    );
  });
  after(() => fs.rmSync(fakeRoot, { recursive: true, force: true }));

  it("stop() kills the launcher's whole process group, its children too", async () => {
    const emulators = await withoutEmulatorVariables(() => startEmulators(["bigtable"], { sdkRoot: fakeRoot }));
    const server = Number(fs.readFileSync(path.join(fakeRoot, "server.pid"), "utf8"));
    expect(server).to.not.equal(emulators.pids.bigtable);
    await emulators.stop();
    expect(groupAlive(emulators.pids.bigtable!)).to.equal(false);
    // The server, the launcher's child, is what listened: its port is closed.
    expect(await acceptsConnections(...hostPort(emulators.endpoints.bigtable!))).to.equal(false);
  });

  for (const ending of ["process.exit(0)", "SIGINT", "SIGTERM", "SIGKILL"] as const) {
    it(`a process that ends by ${ending} without calling stop() takes its emulators with it`, async () => {
      const script = `
        require("./emulators").startEmulators(["bigtable"], { sdkRoot: ${JSON.stringify(fakeRoot)} }).then((e) => {
          console.log(e.pids.bigtable);
          ${ending === "process.exit(0)" ? "process.exit(0);" : "setInterval(() => {}, 1000);"}
        });`;
      const env = { ...process.env };
      for (const name of VARIABLES) delete env[name];
      const child = spawn(process.execPath, ["-r", "./scripts/register.js", "-e", script], { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] });
      const pid = await new Promise<number>((resolve, reject) => {
        child.stdout.once("data", (data: Buffer) => resolve(Number(String(data).trim())));
        child.once("exit", (code) => reject(new Error(`child exited (${code}) before starting its emulator`)));
      });
      if (ending !== "process.exit(0)") {
        expect(groupAlive(pid)).to.equal(true);
        child.kill(ending);
      }
      const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve([child.exitCode, child.signalCode]);
        else child.once("exit", (c, s) => resolve([c, s]));
      });
      // A signal nobody else handles is re-raised once the emulators are stopped: the process still dies of it.
      expect(ending === "process.exit(0)" ? code : signal).to.equal(ending === "process.exit(0)" ? 0 : ending);
      // After SIGKILL no handler ran: the watchdog stops the group (SIGTERM, which the fake obeys at once).
      expect(await eventually(() => !groupAlive(pid), ending === "SIGKILL" ? 10_000 : 3_000), `process group ${pid} survived its owner`).to.equal(true);
    });
  }
});
