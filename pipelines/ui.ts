/**
 * `--ui`: the web page of the streaming job (web/), told which of this pipeline's outputs feed its
 * dead-letter panel and aggregates dashboard.
 */
import type { WatchedOutputs } from "../web/server";

/** The outputs of {@link streamingPipeline} the UI watches, by step name and tag. */
export const STREAMING_UI_OUTPUTS: WatchedOutputs = {
  deadLetters: { step: "parsePubSubTransactions", output: "deadLetter" },
  transactions: { step: "parsePubSubTransactions", output: "valid" },
  revenuePerMinute: { step: "revenuePerCategoryPerMinute" },
};
