/**
 * The pipeline's environments as Dataflow must see them: the SDK's placeholder environment
 * (`js_default`) becomes a Docker environment running the harness image, depending on this
 * project's package as an `npm` artifact (the role the TypeScript boot `npm install`s), and every
 * transform the SDK harness executes names that environment. Once the artifacts are uploaded, each
 * `file` artifact is rewritten to a `url` one (`gs://…` + sha256), role kept — what Beam's Go and
 * Python SDKs do before they write `pipeline.pb`.
 */
import * as runnerApi from "apache-beam/proto/beam_runner_api";
import { TYPESCRIPT_DEFAULT_ENVIRONMENT_URN } from "apache-beam/internal/environments";

export const DOCKER_ENVIRONMENT_URN = "beam:env:docker:v1";
export const FILE_ARTIFACT_URN = "beam:artifact:type:file:v1";
export const URL_ARTIFACT_URN = "beam:artifact:type:url:v1";
/** The role the TypeScript container's boot installs with `npm install` (the SDK names roles `type`). */
export const NPM_ROLE_URN = "beam:artifact:type:npm:v1";

/** Primitives the runner itself executes: they need no SDK environment. */
const RUNNER_PRIMITIVES = new Set([
  "beam:transform:impulse:v1",
  "beam:transform:group_by_key:v1",
  "beam:transform:flatten:v1",
  "beam:transform:reshuffle:v1",
]);

/** A local file the environment depends on, before staging. */
export interface LocalDependency {
  path: string;
  sha256: string;
  roleUrn: string;
  /** For `npm` roles: the package name. */
  packageName: string;
}

/** Where a staged dependency landed. */
export interface StagedDependency {
  url: string;
  sha256: string;
}

/**
 * A copy of `pipeline` whose TypeScript environments run `image` and depend on `dependencies`, with
 * every SDK-executed transform naming its environment. Throws when the pipeline has no TypeScript
 * environment, or a transform names an environment that does not exist.
 */
export function withDockerEnvironment(pipeline: runnerApi.Pipeline, image: string, dependencies: LocalDependency[]): runnerApi.Pipeline {
  const result = runnerApi.Pipeline.clone(pipeline);
  const environments = result.components!.environments;
  const typescript = Object.keys(environments).filter((id) => environments[id].urn === TYPESCRIPT_DEFAULT_ENVIRONMENT_URN);
  if (typescript.length === 0) throw new Error("the pipeline has no TypeScript environment to run on Dataflow");
  for (const id of typescript) {
    environments[id] = runnerApi.Environment.create({
      ...environments[id],
      urn: DOCKER_ENVIRONMENT_URN,
      payload: runnerApi.DockerPayload.toBinary({ containerImage: image }),
      dependencies: [...environments[id].dependencies, ...dependencies.map(fileArtifact)],
    });
  }
  for (const [id, transform] of Object.entries(result.components!.transforms)) {
    const leaf = transform.subtransforms.length === 0;
    if (transform.environmentId === "" && leaf && !RUNNER_PRIMITIVES.has(transform.spec?.urn ?? "")) transform.environmentId = typescript[0];
    if (transform.environmentId !== "" && environments[transform.environmentId] === undefined) {
      throw new Error(`transform ${transform.uniqueName || id} names environment '${transform.environmentId}', which the pipeline does not have`);
    }
  }
  return result;
}

/** The local file dependencies of every environment: what must be uploaded. */
export function fileDependencies(pipeline: runnerApi.Pipeline): { path: string; sha256: string }[] {
  const seen = new Map<string, string>();
  for (const environment of Object.values(pipeline.components!.environments)) {
    for (const artifact of environment.dependencies) {
      if (artifact.typeUrn !== FILE_ARTIFACT_URN) continue;
      const file = runnerApi.ArtifactFilePayload.fromBinary(artifact.typePayload);
      seen.set(file.path, file.sha256);
    }
  }
  return [...seen].map(([path, sha256]) => ({ path, sha256 }));
}

/** A copy of `pipeline` with each `file` artifact replaced by the `url` artifact it was staged as. */
export function withStagedDependencies(pipeline: runnerApi.Pipeline, staged: Map<string, StagedDependency>): runnerApi.Pipeline {
  const result = runnerApi.Pipeline.clone(pipeline);
  for (const environment of Object.values(result.components!.environments)) {
    environment.dependencies = environment.dependencies.map((artifact) => {
      if (artifact.typeUrn !== FILE_ARTIFACT_URN) return artifact;
      const file = runnerApi.ArtifactFilePayload.fromBinary(artifact.typePayload);
      const landed = staged.get(file.path);
      if (landed === undefined) throw new Error(`artifact ${file.path} was not staged`);
      return runnerApi.ArtifactInformation.create({
        typeUrn: URL_ARTIFACT_URN,
        typePayload: runnerApi.ArtifactUrlPayload.toBinary({ url: landed.url, sha256: landed.sha256 }),
        roleUrn: artifact.roleUrn,
        rolePayload: artifact.rolePayload,
      });
    });
  }
  return result;
}

/** True when any PCollection is unbounded: Dataflow then runs a streaming job. */
export function isStreaming(pipeline: runnerApi.Pipeline): boolean {
  return Object.values(pipeline.components!.pcollections).some((pc) => pc.isBounded === runnerApi.IsBounded_Enum.UNBOUNDED);
}

function fileArtifact(dependency: LocalDependency): runnerApi.ArtifactInformation {
  return runnerApi.ArtifactInformation.create({
    typeUrn: FILE_ARTIFACT_URN,
    typePayload: runnerApi.ArtifactFilePayload.toBinary({ path: dependency.path, sha256: dependency.sha256 }),
    roleUrn: dependency.roleUrn,
    rolePayload: new TextEncoder().encode(dependency.packageName),
  });
}
