/**
 * What Dataflow's workers install: this project built (`npm run build`) and packed (`npm pack`,
 * the files `package.json` lists). The TypeScript harness's boot `npm install`s that tarball, and its
 * worker then `require`s every module named in `registered_node_modules` — so each name is checked
 * here against the tarball's own file list and its `exports`, before anything is uploaded.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { withBuildLock } from "./build_lock";
import { DataflowFailure } from "./failure";

/** The fields of `package.json` this module reads. */
export interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  exports?: Record<string, string | { default?: string }>;
}

/** The packed project. */
export interface ProjectTarball {
  /** Absolute path of the `.tgz`. */
  path: string;
  /** Its file name (`beam-ts-native-0.1.0.tgz`). */
  fileName: string;
  /** Paths inside the package, as `npm pack` lists them (`dist/io/gcs.js`, `package.json`, …). */
  files: string[];
  sha256: string;
  bytes: number;
}

const ROOT = projectRoot(__dirname);

/** The project's root folder (source and built files sit at different depths below it). */
export function projectRoot(from = __dirname): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** This project's `package.json`. */
export function projectPackage(): PackageJson {
  return JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as PackageJson;
}

/**
 * The variable naming a folder where {@link packProject} keeps the tarball of each build it packed,
 * and packs the same build again from (unset: `npm pack` every time). The test suite sets it for the
 * submissions it runs: each is a process of its own, and `npm pack` cost seconds each.
 */
export const PACK_CACHE_VARIABLE = "BEAM_TS_NATIVE_PACK_CACHE";

/** Where a clean build records the fingerprint of what it was built from. */
const BUILD_FINGERPRINT = path.join(ROOT, "dist", ".build-fingerprint");
/** Held while `dist/` is removed and built again; outside the tree, so never packed or fingerprinted. */
const BUILD_LOCK = path.join(ROOT, "node_modules", ".cache", "beam-ts-native", "build.lock");

/**
 * Builds the project afresh (`dist/` removed, then `scripts/build.js`, what `npm run build` runs:
 * a module moved or deleted since an earlier build must not ship) and packs it into `destination`.
 * A `dist/` that a clean build made from exactly the sources there now (same fingerprint) is packed
 * as it is: submitting the same code again does not rebuild it. With `cacheDir` (default: the
 * folder {@link PACK_CACHE_VARIABLE} names, if set), a tarball packed there earlier from the same
 * build and root files is copied instead of packing again. Fails with the build's or npm's own output.
 */
export function packProject(destination: string, cacheDir = process.env[PACK_CACHE_VARIABLE] || undefined): ProjectTarball {
  fs.mkdirSync(destination, { recursive: true });
  // Packed under the lock too: another build must not remove dist/ while npm reads it.
  const packed = withBuildLock(BUILD_LOCK, () => {
    const fingerprint = buildIfChanged();
    const cached = cacheDir === undefined ? undefined : path.join(cacheDir, packKey(fingerprint));
    const kept = cached === undefined ? undefined : readPacked(cached);
    if (kept !== undefined) fs.writeFileSync(path.join(destination, kept.fileName), kept.data);
    const made = kept ?? npmPack(destination);
    if (cached !== undefined && kept === undefined) storePacked(cached, made);
    return made;
  });
  const tarball = path.join(path.resolve(destination), packed.fileName);
  return {
    path: tarball,
    fileName: packed.fileName,
    files: packed.files,
    sha256: crypto.createHash("sha256").update(packed.data).digest("hex"),
    bytes: packed.data.length,
  };
}

/**
 * Makes `dist/` a clean build of the sources as they are now, unless it is one already (same
 * fingerprint), one build at a time ({@link withBuildLock}). Fails with the build's own output.
 */
export function buildProject(): void {
  withBuildLock(BUILD_LOCK, buildIfChanged);
}

/** The build of {@link buildProject}, the lock held; returns the fingerprint `dist/` was built from. */
function buildIfChanged(): string {
  const fingerprint = buildFingerprint();
  if (fs.existsSync(BUILD_FINGERPRINT) && fs.readFileSync(BUILD_FINGERPRINT, "utf8") === fingerprint) return fingerprint;
  fs.rmSync(path.join(ROOT, "dist"), { recursive: true, force: true });
  const build = spawnSync(process.execPath, [path.join(ROOT, "scripts", "build.js")], { cwd: ROOT, encoding: "utf8" });
  if (build.status !== 0) throw new DataflowFailure(`building the project failed (node scripts/build.js), nothing was uploaded:\n${build.stderr || build.stdout}`);
  fs.writeFileSync(BUILD_FINGERPRINT, fingerprint);
  return fingerprint;
}

/** A tarball `npm pack` made: its name, the paths inside it and its bytes. */
interface Packed {
  fileName: string;
  files: string[];
  data: Buffer;
}

/** `npm pack` of the project into `destination`. */
function npmPack(destination: string): Packed {
  const pack = spawnSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", destination], { cwd: ROOT, encoding: "utf8" });
  if (pack.status !== 0) throw new DataflowFailure(`npm pack failed, nothing was uploaded:\n${pack.stderr || pack.stdout}`);
  const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  return { fileName: packed.filename, files: packed.files.map((f) => f.path), data: fs.readFileSync(path.join(destination, packed.filename)) };
}

/**
 * What a tarball is made of besides `dist/`: the build's fingerprint (which `dist/` was built from)
 * and every file at the project's root (`package.json`, and the README and licence npm always packs).
 */
function packKey(fingerprint: string): string {
  const hash = crypto.createHash("sha256").update(fingerprint);
  for (const entry of fs.readdirSync(ROOT, { withFileTypes: true }).filter((e) => e.isFile()).sort((a, b) => a.name.localeCompare(b.name))) {
    hash.update(`\0${entry.name}\0`).update(fs.readFileSync(path.join(ROOT, entry.name)));
  }
  return hash.digest("hex");
}

/** The tarball kept in `folder`, or undefined when none is (complete) there. */
function readPacked(folder: string): Packed | undefined {
  try {
    const { fileName, files } = JSON.parse(fs.readFileSync(path.join(folder, "files.json"), "utf8")) as Omit<Packed, "data">;
    return { fileName, files, data: fs.readFileSync(path.join(folder, fileName)) };
  } catch {
    return undefined;
  }
}

/** Keeps `packed` in `folder`: the tarball first, then its list, each written aside and renamed, so a reader sees both whole or none. */
function storePacked(folder: string, packed: Packed): void {
  fs.mkdirSync(folder, { recursive: true });
  const write = (name: string, data: string | Buffer) => {
    const aside = path.join(folder, `.${name}.${process.pid}.${crypto.randomBytes(4).toString("hex")}`);
    fs.writeFileSync(aside, data);
    fs.renameSync(aside, path.join(folder, name));
  };
  write(packed.fileName, packed.data);
  write("files.json", JSON.stringify({ fileName: packed.fileName, files: packed.files }));
}

/**
 * A digest of everything the build reads: the TypeScript files tsconfig.json includes, the compiler
 * settings, the build scripts (the closure transform), the patches applied to the transform's
 * packages, and the manifest and lockfile (the compiler's version).
 */
export function buildFingerprint(root = ROOT): string {
  const hash = crypto.createHash("sha256");
  const add = (file: string) => hash.update(`${path.relative(root, file)}\0`).update(fs.readFileSync(file)).update("\0");
  const config = JSON.parse(fs.readFileSync(path.join(root, "tsconfig.json"), "utf8")) as { include: string[] };
  const sources = config.include.flatMap((folder) => filesUnder(path.join(root, folder))).filter((f) => f.endsWith(".ts"));
  const scripts = filesUnder(path.join(root, "scripts")).filter((f) => f.endsWith(".js"));
  const patches = filesUnder(path.join(root, "patches"));
  for (const file of [...sources, ...scripts, ...patches].sort()) add(file);
  for (const file of ["tsconfig.json", "package.json", "package-lock.json"]) add(path.join(root, file));
  return hash.digest("hex");
}

/** Every file below `dir` (none if it does not exist), skipping installed packages. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : filesUnder(full);
    return entry.isFile() ? [full] : [];
  });
}

/**
 * The registered module names a worker that installed `tarball` could not `require`: this
 * package's own names must map, through its `exports`, to a file in the tarball; other names must
 * belong to one of its dependencies and resolve here (where the same dependencies are installed).
 */
export function unresolvedModules(modules: readonly string[], tarball: Pick<ProjectTarball, "files">, pkg: PackageJson = projectPackage()): string[] {
  const files = new Set(tarball.files);
  return modules.filter((name) => {
    if (name === pkg.name || name.startsWith(`${pkg.name}/`)) {
      const target = exportTarget(pkg, name === pkg.name ? "." : `./${name.slice(pkg.name.length + 1)}`);
      return target === undefined || !files.has(target);
    }
    const dependency = name.startsWith("@") ? name.split("/").slice(0, 2).join("/") : name.split("/")[0];
    if (pkg.dependencies?.[dependency] === undefined) return true;
    try {
      require.resolve(name, { paths: [ROOT] });
      return false;
    } catch {
      return true;
    }
  });
}

/** The file an `exports` entry maps `subpath` to (`./io/gcs` → `dist/io/gcs.js`), or undefined. */
function exportTarget(pkg: PackageJson, subpath: string): string | undefined {
  for (const [key, value] of Object.entries(pkg.exports ?? {})) {
    const target = typeof value === "string" ? value : value.default;
    if (target === undefined) continue;
    const star = key.indexOf("*");
    if (star === -1) {
      if (key === subpath) return path.posix.normalize(target);
      continue;
    }
    const [before, after] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.startsWith(before) && subpath.endsWith(after) && subpath.length >= before.length + after.length) {
      const matched = subpath.slice(before.length, subpath.length - after.length);
      return path.posix.normalize(target.replace("*", matched));
    }
  }
  return undefined;
}
