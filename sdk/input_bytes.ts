/**
 * A bounded source's size, said in its step's proto so that a runner can size its workers before
 * running anything (Dataflow sizes a batch job's first workers from its sources' estimated bytes).
 * It rides in the standard `PTransform.annotations` map, which a runner may ignore: it is a hint
 * and changes no result. Our direct runner starts its worker threads at the job's start when the
 * job's bounded sources announce enough bytes to share (`runners/direct/execution/shipping.ts`),
 * instead of waiting for a stage's first run to show that the job is heavy.
 */
import type * as runnerApi from "apache-beam/proto/beam_runner_api";

/** The annotation's key; its value is the number of bytes as decimal text. */
export const INPUT_BYTES_ANNOTATION = "beam-ts-native:annotation:bounded_input_bytes:v1";

/** Says on `transform` (a bounded source's step) that it reads `bytes` bytes that workers can share. */
export function annotateInputBytes(transform: runnerApi.PTransform, bytes: number): void {
  transform.annotations = { ...transform.annotations, [INPUT_BYTES_ANNOTATION]: new TextEncoder().encode(String(bytes)) };
}

/** The bytes the job's bounded sources announce, together (0 when none does). */
export function announcedInputBytes(components: runnerApi.Components): number {
  let bytes = 0;
  for (const transform of Object.values(components.transforms)) {
    const announced = transform.annotations?.[INPUT_BYTES_ANNOTATION];
    if (announced === undefined) continue;
    const value = Number(new TextDecoder().decode(announced));
    if (Number.isFinite(value) && value > 0) bytes += value;
  }
  return bytes;
}
