/**
 * A job whose workers are busy in a DoFn for a minute (for the orphan test: its runner gets
 * SIGKILLed). `blocked_process_job.ts MARKERS`: each worker leaves a file named after its pid in the
 * folder MARKERS once it is in the DoFn.
 */
import * as beam from "apache-beam";
import { directRunner } from "../../runners/direct";
import { blockTheEventLoop } from "./worker_faults";

const markers = process.argv[2];

void directRunner({ environment: "process", workers: 2 }).run((root) =>
  root.apply(beam.create([1, 2])).map(
    beam.withName("blockTheEventLoop", (x: number) => {
      blockTheEventLoop(markers, 60_000);
      return x;
    }),
  ),
);
