/**
 * A failure of a submission whose message says all the user needs — a refusal of the API with its
 * text, missing credentials, a package the worker could not load — so a command line prints it as
 * one line, without a stack. `exitCode` 2 for what the user sets up (credentials), 1 otherwise.
 */
export class DataflowFailure extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}
