/**
 * Results that leave a thread with their buffers moved, not copied: a task function of the pool
 * (`pool.ts`) returns `transferring(value, buffers)`, and the thread (`task_main.ts`) posts
 * `value` with `buffers` in the transfer list. Loaded in the threads; depends on nothing.
 */

/** A task's result with the buffers to move. */
class Transferring<T> {
  constructor(
    readonly value: T,
    readonly buffers: ArrayBuffer[],
  ) {}
}

/**
 * For a task function's return: `value` is handed to the main thread with `buffers` moved rather
 * than copied (they become unusable in the thread). The main thread receives `value` itself.
 */
export function transferring<T>(value: T, buffers: ArrayBuffer[]): T {
  return new Transferring(value, buffers) as unknown as T;
}

/** What a task returned, as the value to post and the buffers to move with it. */
export function unwrapResult(result: unknown): { value: unknown; buffers: ArrayBuffer[] } {
  return result instanceof Transferring ? { value: result.value, buffers: result.buffers } : { value: result, buffers: [] };
}
