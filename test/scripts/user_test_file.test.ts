import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import { createRequire } from "module";
import * as path from "path";
import { buildProject } from "../../runners/dataflow/package";
const { ts, root, loadConfig } = require("../../scripts/closure-compiler");

// What a user does first: the README's test file, importing `beam-ts-native/...` as a package,
// run alone with `npx mocha FILE`. Resolving the package name needs the build (dist/), so this
// suite builds first as a Dataflow submission does (`buildProject`: the build `npm run build` runs)
// — unless a clean build of exactly these sources is there already: the Dataflow dry runs
// (test/dataflow/) make one, and record its fingerprint only once it succeeded; building the same
// sources again would write the same files (~20–40 s of the suite). One build at a time: the
// Dataflow suites may be building in another process.
const userDir = path.join(root, "tmp", "user-test", "test");
const userFile = path.join(userDir, "my.test.ts");

/** The README's first TypeScript block under "Testing your transforms", exactly as printed. */
function readmeSnippet(): string {
  const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Testing your transforms"));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error("README.md: no ```ts block under \"## Testing your transforms\"");
  return block[1];
}

describe("scripts: the README's test file, run alone as a user would", function () {
  this.timeout(300_000);

  before(() => {
    buildProject();
    fs.mkdirSync(userDir, { recursive: true });
    fs.writeFileSync(userFile, readmeSnippet());
  });

  after(() => fs.rmSync(path.join(root, "tmp", "user-test"), { recursive: true, force: true }));

  it("resolves every folder index of the package by the folder's name (beam-ts-native/testing)", () => {
    const requireAsUser = createRequire(userFile);
    const folders = loadConfig().raw.include as string[];
    const indexes = folders.flatMap((folder) => {
      const found: string[] = [];
      const walk = (dir: string) => {
        for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
          if (entry.isDirectory()) walk(path.join(dir, entry.name));
          else if (entry.name === "index.ts") found.push(dir);
        }
      };
      walk(folder);
      return found;
    });
    expect(indexes).to.include("testing");
    for (const folder of indexes) {
      expect(requireAsUser.resolve(`beam-ts-native/${folder}`), folder).to.equal(path.join(root, "dist", folder, "index.js"));
    }
  });

  it("type-checks the README's snippet against the built package: every name it uses is imported", () => {
    const { options } = loadConfig();
    const program = ts.createProgram([userFile], { ...options, noEmit: true });
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d: any) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(diagnostics).to.deep.equal([]);
  });

  it("runs that one file with `npx mocha FILE`, and only its tests", () => {
    const names = [...readmeSnippet().matchAll(/\bit\("([^"]+)"/g)].map((m) => m[1]);
    expect(names.length).to.be.greaterThan(0);
    const mocha = spawnSync(process.execPath, [path.join(root, "node_modules", ".bin", "mocha"), path.relative(root, userFile)], {
      cwd: root, encoding: "utf8", timeout: 240_000,
    });
    expect(mocha.status, `mocha failed:\n${mocha.stdout}${mocha.stderr}`).to.equal(0);
    for (const name of names) expect(mocha.stdout).to.include(name);
    expect(mocha.stdout).to.match(new RegExp(`\\b${names.length} passing`));
    expect(mocha.stdout).not.to.include("build: what npm run build emits");
  });
});
