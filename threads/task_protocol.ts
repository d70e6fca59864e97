/** The messages between the task pool (`pool.ts`, main thread) and its threads (`task_main.ts`). */

/** Run the export `name` of `module` with `task`. */
export interface TaskRequest {
  seq: number;
  module: string;
  name: string;
  task: unknown;
}

/** A task's result, or the error it threw (as it crosses threads). */
export type TaskReply =
  | { seq: number; ok: true; value: unknown }
  | { seq: number; ok: false; error: { name: string; message: string; stack?: string } };
