/**
 * Staging: putting the job's files where Dataflow reads them — under
 * `<stagingLocation>/<jobName>-<time>/` on GCS through the upload the caller gives (the command
 * line's uses `@google-cloud/storage`: this library names no connector), or, for `--dry-run`, into a
 * local folder that mirrors it. Either way each file's sha256 is computed from the bytes written,
 * and its `gs://` URL is the one the job request names.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { DataflowFailure } from "./failure";

/** One staged file. */
export interface StagedFile {
  name: string;
  url: string;
  sha256: string;
  bytes: number;
}

/** Where staged files go. */
export interface Staging {
  /** `gs://…/` every staged name is under. */
  readonly location: string;
  put(name: string, data: Buffer): Promise<StagedFile>;
}

/** `<stagingLocation>/<jobName>-<YYYYMMDDHHMMSS>/` (Go's layout: one folder per submission). */
export function stagingFolder(stagingLocation: string, jobName: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${stagingLocation.replace(/\/+$/, "")}/${jobName}-${stamp}/`;
}

/** Writes `data` to the `gs://` URL. */
export type Upload = (url: string, data: Buffer) => Promise<void>;

/** Stages with `upload` under `location`. */
export function uploadStaging(location: string, upload: Upload): Staging {
  return {
    location,
    async put(name, data) {
      const url = `${location}${name}`;
      try {
        await upload(url, data);
      } catch (error) {
        throw new DataflowFailure(`uploading ${url} failed, the job was not created: ${(error as Error).message}`);
      }
      return staged(location, name, data);
    },
  };
}

/** Writes into `folder` what {@link gcsStaging} would upload to `location` (for `--dry-run`). */
export function folderStaging(location: string, folder: string): Staging {
  return {
    location,
    async put(name, data) {
      const file = path.join(folder, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, data);
      return staged(location, name, data);
    },
  };
}

function staged(location: string, name: string, data: Buffer): StagedFile {
  return { name, url: `${location}${name}`, sha256: crypto.createHash("sha256").update(data).digest("hex"), bytes: data.length };
}
