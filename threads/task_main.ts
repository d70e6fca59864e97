/**
 * What a thread of the task pool (`pool.ts`) runs: for each request, calls the export `name` of
 * `module` with `task` and replies with its result (buffers moved when the function returned
 * `transferring(...)`), or with its error. One request at a time: the pool sends the next once
 * this one is answered.
 */
import { parentPort } from "worker_threads";
import { unwrapResult } from "./transfer";
import type { TaskReply, TaskRequest } from "./task_protocol";

const port = parentPort!;

port.on("message", (request: TaskRequest) => void answer(request));

async function answer(request: TaskRequest): Promise<void> {
  let reply: TaskReply;
  let buffers: ArrayBuffer[] = [];
  try {
    const fn = (require(request.module) as Record<string, unknown>)[request.name];
    if (typeof fn !== "function") throw new Error(`${request.module} exports no function ${request.name}`);
    const result = unwrapResult(await fn(request.task));
    buffers = result.buffers;
    reply = { seq: request.seq, ok: true, value: result.value };
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    reply = { seq: request.seq, ok: false, error: { name: e.name, message: e.message, stack: e.stack } };
  }
  port.postMessage(reply, buffers);
}
