/**
 * Staging: putting the job's files where Dataflow reads them — under
 * `<stagingLocation>/<jobName>-<time>/` on GCS with `@google-cloud/storage`, or, for `--dry-run`,
 * into a local folder that mirrors it. Either way each file's sha256 is computed from the bytes
 * written, and its `gs://` URL is the one the job request names.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Storage } from "@google-cloud/storage";
import { parseGcsUri } from "../../io/gcs";

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

/** Uploads to GCS in one request each (no resumable session: the files are small and written once). */
export function gcsStaging(location: string, storage: Storage): Staging {
  const { bucket, name: prefix } = parseGcsUri(location);
  return {
    location,
    async put(name, data) {
      const object = `${prefix}${name}`;
      try {
        await storage.bucket(bucket).file(object).save(data, { resumable: false, contentType: "application/octet-stream" });
      } catch (error) {
        throw new Error(`uploading gs://${bucket}/${object} failed: ${(error as Error).message}`, { cause: error });
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
