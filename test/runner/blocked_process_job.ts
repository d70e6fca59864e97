/** A job whose workers are busy in a DoFn for a minute (for the orphan test: its runner gets SIGKILLed). */
import * as beam from "apache-beam";
import { directRunner } from "../../runners/direct";

void directRunner({ environment: "process", workers: 2 }).run((root) =>
  root.apply(beam.create([1, 2])).map(
    beam.withName("blockTheEventLoop", (x: number) => {
      const end = Date.now() + 60_000;
      while (Date.now() < end);
      return x;
    }),
  ),
);
