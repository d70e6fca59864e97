/**
 * The folder rules the READMEs state (engine imports no protos; runners import no io/ and no
 * @google-cloud/*; io/ imports no runners/; sdk/ imports none of ours; nothing imports bench/ or
 * web/; the library imports no cli/), checked with dependency-cruiser against .dependency-cruiser.cjs.
 * The second case breaks each kind of rule on purpose in a scratch tree and expects it caught, so a
 * rule that silently matches nothing fails here.
 */
import { expect } from "chai";
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { promisify } from "util";

const ROOT = path.resolve(__dirname, "..");
const DEPCRUISE = path.join(ROOT, "node_modules", ".bin", "depcruise");
const CONFIG = path.join(ROOT, ".dependency-cruiser.cjs");
const SOURCE_FOLDERS = ["cli", "threads", "sdk", "transforms", "runners", "testing", "pipelines", "io", "ingest", "emulators", "fixtures", "bench", "web"];

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** The rule violations dependency-cruiser finds under `cwd` (which holds the folders cruised). */
async function violations(cwd: string): Promise<Violation[]> {
  const folders = SOURCE_FOLDERS.filter((f) => fs.existsSync(path.join(cwd, f)));
  const { stdout } = await promisify(execFile)(DEPCRUISE, ["--config", CONFIG, "--output-type", "json", ...folders], {
    cwd,
    maxBuffer: 64 * 2 ** 20,
    timeout: 300_000,
  }).catch((error: { stdout?: string; stderr?: string }) => {
    // depcruise exits non-zero when it finds violations; its JSON is still on stdout.
    if (error.stdout) return { stdout: error.stdout };
    throw new Error(`depcruise failed: ${error.stderr ?? error}`);
  });
  const result = JSON.parse(stdout) as { summary: { violations: Violation[] } };
  return result.summary.violations;
}

/** Writes `files` (path → content) under `dir`. */
function writeTree(dir: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
}

describe("folder rules (dependency-cruiser)", function () {
  this.timeout(300_000);

  it("the code keeps every rule the READMEs state", async () => {
    const found = await violations(ROOT);
    expect(found.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).to.deep.equal([]);
  });

  it("catches each kind of rule broken on purpose", async () => {
    // Inside the project, so that apache-beam and @google-cloud/* resolve from its node_modules.
    const scratch = fs.mkdtempSync(path.join(ROOT, ".depcruise-scratch-"));
    try {
      writeTree(scratch, {
        "tsconfig.json": JSON.stringify({ compilerOptions: { module: "node16", moduleResolution: "node16" } }),
        "runners/direct/engine/bad.ts": 'import * as runnerApi from "apache-beam/proto/beam_runner_api";\nexport const x = runnerApi;\n',
        "runners/direct/handlers/bad.ts": 'import { y } from "../../../io/connector";\nimport { v1 } from "@google-cloud/pubsub";\nexport const x = [y, v1];\n',
        "io/connector.ts": 'import { x } from "../runners/direct/engine/bad";\nexport const y = x;\n',
        "sdk/bad.ts": 'import { y } from "../io/connector";\nexport const x = y;\n',
        "transforms/bad.ts": 'import { z } from "../bench/runner";\nimport { page } from "../web/page";\nimport { cli } from "../cli/main";\nexport const x = [z, page, cli];\n',
        "bench/runner.ts": "export const z = 1;\n",
        "web/page.ts": "export const page = 1;\n",
        "cli/main.ts": "export const cli = 1;\n",
      });
      const caught = new Set((await violations(scratch)).map((v) => v.rule.name));
      expect([...caught].sort()).to.deep.equal(
        [
          "engine-no-protos",
          "io-no-runners",
          "library-no-cli",
          "nothing-imports-bench",
          "nothing-imports-web",
          "runners-no-google-cloud",
          "runners-no-io",
          "sdk-only-apache-beam",
        ].sort(),
      );
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
});
