/**
 * Modules whose state belongs to the thread that runs the pipeline. A module registered for
 * serialization is called by reference from the DoFns rebuilt on a runner's worker — but on a worker
 * thread or process it is a fresh copy of the module, with state of its own. That is right for a
 * client or a parser, and wrong for an in-process fake or a recording the test (or bench) reads on
 * its own thread afterwards: the steps would write into a copy nobody reads. Such a module says so
 * here, next to its registration, and the direct runner runs every stage whose serialized steps name
 * it on the job's thread (with SDK worker processes, where no stage can run there, the job fails
 * before it starts, naming the step and the module). Plain data a step only sends back belongs in
 * `main_thread.ts` instead, which works on every thread.
 */

const modules = new Set<string>();

/**
 * Declares that the module registered for serialization as `moduleName` keeps state the job's own
 * thread reads or sets up: steps that call it run on that thread, whatever the number of workers.
 */
export function runsOnJobThread(moduleName: string): void {
  modules.add(moduleName);
}

/** The modules declared with {@link runsOnJobThread} in this process. */
export function jobThreadModules(): ReadonlySet<string> {
  return modules;
}
